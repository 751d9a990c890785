#!/usr/bin/env bash
# bench/run.sh — the benchmark suite behind `make bench` (which builds the release binary first).
#
# Starts its own release servers (state directories under a fresh temporary directory), measures
#   inventory    GET /namespaces (wrk, one keep-alive connection) vs `lsns --json` (hyperfine),
#                with 0 / 1,000 / 4,000 / 8,000 extra processes in fresh namespaces (bench/procs.c)
#   create       create + wait of /bin/true in mnt,uts,ipc,pid (and + net), privileged, over ONE
#                keep-alive connection (bench/create-client.c) vs `unshare`, `bwrap` and a bare clone3
#                loop (bench/clone-loop.c); the DELETE of each sandbox runs after the timed part
#   confinement  the same with the default confinement vs privileged vs bwrap confining as much;
#                the time of each confinement step from an strace
#   concurrency  8 clients: sandboxes/s and create latency, --durability fsync vs none
#   HTTP         GET /healthz and GET /limits with wrk at 64 and 256 connections vs bench/mhd-bare.c
#   memory       server VmRSS idle, with 200 running sandboxes, after 3 rounds of 1,000 create/delete
# prints ONE Markdown table on stdout and writes it, with the machine and the exact commands,
# to BENCHMARKS.md at the top of the repository.
#
# Needs root. Tools: wrk, hyperfine, lsns, unshare, bwrap (installed with apt-get if missing),
# jq, curl, cc, pkg-config + libmicrohttpd headers.
#
# Environment (all optional):
#   BIN            server binary                          (.build/release/namespaced)
#   THREADS        HTTP threads, server and mhd-bare       (nproc)
#   LEVELS         extra-process levels for the inventory  ("0 1000 4000 8000")
#   CREATE_ITERS   create+wait iterations, one connection  (1000)
#   CONC_SECONDS   length of each 8-client run             (10)
#   WRK_SECONDS    length of each wrk run                  (4)
#   HTTP_ROUNDS    wrk rounds per HTTP figure, best kept   (5)
#   MAX_SECONDS    hard bound for the whole run            (570)
#   OUT            where the report goes                   (BENCHMARKS.md at the repo top; "-" for none)
#   SECTIONS       parts to run, for working on one figure ("http create confinement concurrency memory inventory held");
#                  a partial run is printed, but BENCHMARKS.md is only written by a full one
#
# Files: this script (settings, server A, the order of sections), lib.sh (helpers, teardown),
# sections/NAME.sh (one per section), report.sh (the table and BENCHMARKS.md).
#
# Everything started here (servers, sandboxes, mhd-bare, the procs helper, wrk) is stopped on exit,
# on Ctrl-C and at the time limit; every step runs under `timeout`.
set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT_DIR="$BENCH_DIR/out"

MAX_SECONDS=${MAX_SECONDS:-570}
# Re-exec once under timeout(1): a hard bound for the whole run. timeout signals its process group
# (this script and its foreground children); the TERM trap below then stops the rest, which may
# live in other process groups (the procs helper, sandboxes).
if [[ -z "${_NSD_BENCH_INNER:-}" ]]; then
  export _NSD_BENCH_INNER=1
  exec timeout -k 20 "$MAX_SECONDS" bash "${BASH_SOURCE[0]}" "$@"
fi

BIN=${BIN:-$ROOT/.build/release/namespaced}
THREADS=${THREADS:-$(nproc)}
LEVELS=${LEVELS:-"0 1000 4000 8000"}
CREATE_ITERS=${CREATE_ITERS:-1000}
CONC_SECONDS=${CONC_SECONDS:-10}
WRK_SECONDS=${WRK_SECONDS:-4}
HTTP_ROUNDS=${HTTP_ROUNDS:-5}
OUT=${OUT:-$ROOT/BENCHMARKS.md}
ALL_SECTIONS="http create confinement concurrency memory inventory held"
SECTIONS=${SECTIONS:-$ALL_SECTIONS}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
[[ "$SECTIONS" == "$ALL_SECTIONS" ]] || OUT=-
T_START=$(date +%s)

# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

# ---------------------------------------------------------------- machine
CPU_MODEL=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
MEM_TOTAL=$(awk '/^MemTotal:/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
MACHINE="$(nproc) cores ($CPU_MODEL), $MEM_TOTAL RAM, kernel $(uname -r) ($(uname -m))"
TOOLS="$(lsns --version 2>/dev/null); $(hyperfine --version); $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2); bubblewrap $(bwrap --version 2>/dev/null | awk '{print $2}'); libmicrohttpd $(pkg-config --modversion libmicrohttpd)"
log "machine: $MACHINE"
log "tools: $TOOLS"
HOST_PROCS0=$(count_procs)
HOST_NS0=$(count_ns)
log "host before the run: $HOST_PROCS0 processes, $HOST_NS0 namespaces"

start_server A fsync
A_PID=${SRV_PID[A]}
A_URL="http://127.0.0.1:${SRV_PORT[A]}"
sleep 1
RSS_IDLE=$(rss_kib "$A_PID")
log "idle RSS $(mib "$RSS_IDLE")"

# Each section is bench/sections/NAME.sh, run in the order of ALL_SECTIONS when SECTIONS names it;
# a new section is a new file there plus its name in ALL_SECTIONS.
for section in $ALL_SECTIONS; do
  # shellcheck source=/dev/null
  if want "$section"; then source "$BENCH_DIR/sections/$section.sh"; fi
done

# shellcheck source=bench/report.sh
source "$BENCH_DIR/report.sh"
