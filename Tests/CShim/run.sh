#!/bin/sh
# Build the C spawn shim with its host-side test and run it (needs root).
set -eu
cd "$(dirname "$0")/../.."
src=Sources/CNamespace
out=${TMPDIR:-/tmp}/nsd-cshim-test
gcc -Wall -Wextra -Werror -O2 -I "$src/include" -pthread -o "$out" Tests/CShim/test.c "$src"/*.c
exec timeout 300 "$out"
