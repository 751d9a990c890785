#!/bin/sh
# Build the C spawn shim with its host-side test, and nsd-init (the spawner
# the shim starts from the directory of the running executable) next to it,
# then run the test (needs root).
set -eu
cd "$(dirname "$0")/../.."
src=Sources/CNamespace
out=$(mktemp -d "${TMPDIR:-/tmp}/nsd-cshim-test.XXXXXX")
trap 'rm -rf "$out"' EXIT
gcc -Wall -Wextra -Werror -O2 -I Sources/NSDWire/include -o "$out/nsd-init" Sources/nsd-init/*.c Sources/NSDWire/*.c
gcc -Wall -Wextra -Werror -O2 -I "$src/include" -I Sources/NSDWire/include -pthread -o "$out/nsd-cshim-test" Tests/CShim/test.c "$src"/*.c Sources/NSDWire/*.c
timeout 300 "$out/nsd-cshim-test"
