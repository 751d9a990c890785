#!/bin/sh
# Build the C spawn shim with its host-side test, and nsd-init (the spawner
# the shim starts from the directory of the running executable) next to it,
# then run the test (needs root). It runs twice: built as shipped, then under
# AddressSanitizer + UndefinedBehaviorSanitizer, stopping at the first finding.
# nsd-init gets UBSan only: it runs children on stacks of its own under
# CLONE_VM, which ASan cannot follow. `run.sh plain` or `run.sh sanitized`
# runs one of the two.
set -eu
cd "$(dirname "$0")/../.."
src=Sources/CNamespace
wire=Sources/NSDWire
out=$(mktemp -d "${TMPDIR:-/tmp}/nsd-cshim-test.XXXXXX")
trap 'rm -rf "$out"' EXIT

# $1: name of the build, $2: flags of the test binary, $3: flags of nsd-init
build_and_run() {
    mkdir "$out/$1"
    gcc -Wall -Wextra -Werror $3 -I "$wire/include" -o "$out/$1/nsd-init" Sources/nsd-init/*.c "$wire"/*.c
    gcc -Wall -Wextra -Werror $2 -I "$src/include" -I "$wire/include" -pthread -o "$out/$1/nsd-cshim-test" \
        Tests/CShim/test.c "$src"/*.c "$wire"/*.c
    echo "== C shim test, $1 build"
    timeout 300 "$out/$1/nsd-cshim-test"
}

sanitize="-O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all"
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
case "${1:-all}" in
    plain | all) build_and_run plain "-O2" "-O2" ;;
esac
case "${1:-all}" in
    sanitized | all) build_and_run sanitized "$sanitize -fsanitize=address,undefined" "$sanitize -fsanitize=undefined" ;;
esac
