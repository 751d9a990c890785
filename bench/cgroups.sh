#!/bin/sh
# The cost of a sandbox's cgroup (issue 13): create + wait of /bin/true with the default pids limit
# against --cgroup-driver none, DELETE of a running sandbox, and GET /sandboxes/{ref}/stats, on
# the release build, as root. Alternating rounds (none, auto, none, auto...) so that drift on a
# shared machine hits both alike; medians of every sample.
#   make release bench/out/create-client && sh bench/cgroups.sh [ROUNDS=4] [N=150]
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-4}
N=${2:-150}
BIN=.build/release/namespaced
CLIENT=bench/out/create-client
[ -x "$BIN" ] && [ -x "$CLIENT" ] || { echo "build first: make release bench/out/create-client" >&2; exit 2; }
WORK=$(mktemp -d /tmp/nsd-bench-cg.XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; sleep 0.5; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

# start NAME PORT ARGS...: a server with its own state directory and cgroup parent.
start() {
    name=$1 port=$2
    shift 2
    "$BIN" --listen "127.0.0.1:$port" --state-dir "$WORK/$name" --no-auth --durability none \
        --log-level notice --cgroup-parent "nsd-bench-$name" "$@" >"$WORK/$name.access.log" 2>"$WORK/$name.log" &
    PIDS="$PIDS $!"
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
    echo "server $name did not start: $(cat "$WORK/$name.log")" >&2
    exit 1
}
start none 18601 --cgroup-driver none
start auto 18602
grep -o 'cgroups: .*' "$WORK/auto.log" | head -1

SPEC='{"command":["/bin/true"],"namespaces":["mnt","uts","ipc","pid"]}'
for round in $(seq "$ROUNDS"); do
    for name in none auto; do
        port=$([ $name = none ] && echo 18601 || echo 18602)
        "$CLIENT" -p "$port" -n "$N" -w 10 -b "$SPEC" -r "$WORK/$name.samples" >/dev/null
    done
done
# Running sandboxes (sleep, never waited for), then deleted: the DELETE kills them.
deletes() {
    "$CLIENT" -p "$1" -n "$N" -W -K -o "$WORK/ids-$1" -b '{"command":["sleep","60"],"namespaces":["mnt","uts","ipc","pid"]}' >/dev/null
    "$CLIENT" -p "$1" -x "$WORK/ids-$1" | tr ' ' '\n' | awk -F= '$1 == "delete_p50_us" { print $2 }'
}
DELETE_NONE=$(deletes 18601)
DELETE_AUTO=$(deletes 18602)

median() { awk -v phase="$1" '$1 == phase { print $2 }' "$2" | sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "n/a") }'; }
echo "create+wait p50 (µs): none $(median cw "$WORK/none.samples")  auto (default pids limit) $(median cw "$WORK/auto.samples")"
echo "DELETE of a running sandbox p50 (µs): none $DELETE_NONE  auto $DELETE_AUTO"

ID=$(curl -s -XPOST -H 'Content-Type: application/json' -d '{"command":["sleep","60"]}' http://127.0.0.1:18602/sandboxes | jq -r .id)
wrk -t1 -c1 -d5s --latency "http://127.0.0.1:18602/sandboxes/$ID/stats" | awk '/50%/ { print "GET /stats p50: " $2 }'
curl -s -XDELETE "http://127.0.0.1:18602/sandboxes/$ID" >/dev/null
