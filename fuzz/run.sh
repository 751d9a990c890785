#!/bin/sh
# Builds the libFuzzer targets and runs each for FUZZ_SECONDS (default 20) from its committed
# seed corpus; `run.sh TARGET...` runs only those. A crash or a broken invariant stops the run
# with a non-zero status and leaves the input in fuzz/crashes/.
#   unescape        the URL unescaper of Sources/CHTTPShim (C)
#   spec-request    SandboxSpecRequest decoding and resolve() (Swift)
#   journal-replay  registry journal and snapshot reading (Swift)
# The Swift targets link NamespaceKit built by SwiftPM with coverage and ASan into its own
# build directory, so the package needs no fuzz-only target.
set -eu
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
swift=${SWIFT:-swift}
toolchain=$(dirname "$(readlink -f "$(command -v swiftc)")")
build=.build/fuzz
out=$build/fuzzers
targets=${*:-unescape spec-request journal-replay}
mkdir -p "$out" fuzz/crashes

# SwiftPM keeps objects of deleted sources: start over when the list of sources changes.
sources=$(find Sources Package.swift -type f | sort | cksum)
if [ "$(cat "$build/sources" 2>/dev/null)" != "$sources" ]; then
    rm -rf "$build"/*/debug/*.build
    mkdir -p "$build" "$out"
    echo "$sources" > "$build/sources"
fi

needs_swift=no
for target in $targets; do [ "$target" = unescape ] || needs_swift=yes; done
if [ $needs_swift = yes ]; then
    # NSDWire's objects are not built for NamespaceKit's module alone: ask for them too.
    for module in NamespaceKit NSDWire; do
        $swift build --build-path "$build" --target $module -Xswiftc -enable-testing \
            -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
    done
    bin=$($swift build --build-path "$build" --show-bin-path)
    modulemaps=$(find "$bin" "$build/checkouts" -name module.modulemap -path '*C*' | sed 's/^/-Xcc -fmodule-map-file=/')
fi

for target in $targets; do
    case $target in
    unescape)
        "$toolchain/clang" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fuse-ld=lld \
            -I Sources/CHTTPShim -o "$out/$target" fuzz/unescape.c Sources/CHTTPShim/unescape.c ;;
    spec-request | journal-replay)
        # shellcheck disable=SC2086 # word splitting of the module map flags is wanted
        "$toolchain/swiftc" -parse-as-library -O -sanitize=fuzzer,address -use-ld=lld -I "$bin/Modules" $modulemaps \
            -Xcc -fmodule-map-file=Sources/CSeccomp/module.modulemap -Xcc -I -Xcc Sources/NSDWire/include \
            -o "$out/$target" "fuzz/$target.swift" "$bin"/*.build/*.o -lseccomp -lmnl ;;
    *)
        echo "unknown fuzz target $target" >&2
        exit 2 ;;
    esac
    # New inputs go to a scratch corpus: the committed one stays the small seed set.
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/nsd-fuzz-$target.XXXXXX")
    mkdir "$scratch.tmp"
    dict=""
    [ -f "fuzz/$target.dict" ] && dict="-dict=fuzz/$target.dict"
    echo "== fuzzing $target for ${seconds}s"
    status=0
    TMPDIR="$scratch.tmp" LSAN_OPTIONS=suppressions=fuzz/lsan.supp:print_suppressions=0 "$out/$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 $dict \
        -artifact_prefix="fuzz/crashes/$target-" "$scratch" "fuzz/corpus/$target" 2>"$scratch.log" || status=$?
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done)' "$scratch.log" || true
    if [ $status != 0 ]; then
        tail -n 60 "$scratch.log"
        echo "fuzz target $target failed; the input is in fuzz/crashes/" >&2
    fi
    rm -rf "$scratch" "$scratch.tmp" "$scratch.log"
    [ $status = 0 ] || exit $status
done
