#!/usr/bin/env bash
# bench/http-vs-lsns.sh — baseline: namespaced's HTTP API vs. `lsns --json`,
# and namespaced's /healthz vs. a bare libmicrohttpd server (bench/mhd-bare.c).
#
# Usage (from anywhere; needs root for the namespace sandboxes):
#   bench/http-vs-lsns.sh                          # server at http://127.0.0.1:8080
#   URL=http://127.0.0.1:9090 THREADS=4 bench/http-vs-lsns.sh > baseline.md
#
# Environment (all optional):
#   URL           namespaced base URL                 (http://127.0.0.1:8080)
#   THREADS       MHD thread pool size for mhd-bare; set it to the server's
#                 thread count so the /healthz ratio compares like with like
#                                                     (online cores: nproc)
#   BARE_PORT     port for mhd-bare (127.0.0.1)       (18080)
#   PROCS_LEVELS  extra-process levels for lsns vs /namespaces   ("0 2000")
#   PROCS_GROUP   processes per namespace sandbox     (10)
#   MAX_SECONDS   hard limit for the whole run        (900)
#
# stdout: one plain Markdown table. stderr: progress and context.
# If the server is not reachable its rows say so; the lsns and mhd-bare
# rows are still measured. Every step is wrapped in `timeout`, the whole run
# is capped at MAX_SECONDS, and everything started here is killed on exit.
#
# Tools: hyperfine, wrk, lsns, curl, jq, cc, pkg-config + libmicrohttpd dev.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_DIR="$BENCH_DIR/out"

MAX_SECONDS=${MAX_SECONDS:-900}
# Re-exec once under timeout(1): hard global bound. timeout signals its whole
# process group (this script, wrk, hyperfine, mhd-bare); the EXIT/TERM trap
# below then kills the procs helper, which lives in its own process group.
if [[ -z "${_HTTP_VS_LSNS_INNER:-}" ]]; then
  export _HTTP_VS_LSNS_INNER=1
  exec timeout -k 15 "$MAX_SECONDS" bash "${BASH_SOURCE[0]}" "$@"
fi

URL=${URL:-http://127.0.0.1:8080}
URL=${URL%/}
THREADS=${THREADS:-$(nproc)}
BARE_PORT=${BARE_PORT:-18080}
PROCS_LEVELS=${PROCS_LEVELS:-"0 2000"}
PROCS_GROUP=${PROCS_GROUP:-10}
BARE_URL="http://127.0.0.1:$BARE_PORT"

log() { printf '[http-vs-lsns] %s\n' "$*" >&2; }

for t in hyperfine wrk lsns curl jq cc pkg-config timeout; do
  command -v "$t" >/dev/null || { log "missing tool: $t"; exit 2; }
done

TMP=$(mktemp -d /tmp/http-vs-lsns.XXXXXX)
PROCS_PID=""
BARE_PID=""

stop_procs() {
  [[ -n "$PROCS_PID" ]] || return 0
  kill -TERM "$PROCS_PID" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$PROCS_PID" 2>/dev/null || break; sleep 0.1; done
  # last resort: the helper is its own process group leader
  kill -KILL -- "-$PROCS_PID" 2>/dev/null
  wait "$PROCS_PID" 2>/dev/null
  PROCS_PID=""
}
stop_bare() {
  [[ -n "$BARE_PID" ]] || return 0
  kill -TERM "$BARE_PID" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$BARE_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$BARE_PID" 2>/dev/null
  wait "$BARE_PID" 2>/dev/null
  BARE_PID=""
}
cleanup() {
  trap - EXIT INT TERM HUP
  stop_procs
  stop_bare
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'log "interrupted"; cleanup; exit 130' INT
trap 'log "terminated (time limit?)"; cleanup; exit 143' TERM HUP

# ---------------------------------------------------------------- build
build() { # out src extra-flags...
  local out=$1 src=$2; shift 2
  if [[ ! -x "$out" || "$src" -nt "$out" ]]; then
    log "building $(basename "$out")"
    mkdir -p "$OUT_DIR"
    # shellcheck disable=SC2068
    timeout 120 cc -O2 -o "$out" "$src" $@ || { log "build of $src failed"; exit 2; }
  fi
}
build "$OUT_DIR/mhd-bare" "$BENCH_DIR/mhd-bare.c" "$(pkg-config --cflags --libs libmicrohttpd)"
build "$OUT_DIR/procs" "$BENCH_DIR/procs.c"

# ---------------------------------------------------------------- helpers
fmt_us() { # microseconds -> human
  awk -v u="$1" 'BEGIN{ if (u=="") {print "n/a"; exit}
    if (u>=1e6) printf "%.2f s", u/1e6; else if (u>=1000) printf "%.2f ms", u/1000;
    else printf "%.0f µs", u }'
}
ratio() { # a b -> a/b as "1.23×"
  awk -v a="$1" -v b="$2" 'BEGIN{ if (a==""||b==""||b==0) print "n/a"; else printf "%.3g×", a/b }'
}
field() { # key line -> value
  sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"
}
count_procs() { find /proc -maxdepth 1 -name '[0-9]*' | wc -l; }
count_ns() { timeout 60 lsns --json 2>/dev/null | jq '.namespaces | length' 2>/dev/null || echo "?"; }

# run_wrk TAG wrk-args... -> sets WRK_LINE (WRK_RESULT ...) or ""
run_wrk() {
  local tag=$1; shift
  WRK_LINE=""
  timeout 90 wrk "$@" -s "$BENCH_DIR/wrk-report.lua" >"$TMP/wrk-$tag.txt" 2>&1
  WRK_LINE=$(grep '^WRK_RESULT' "$TMP/wrk-$tag.txt" | tail -n1)
  [[ -n "$WRK_LINE" ]] || { log "wrk $tag failed:"; sed 's/^/    /' "$TMP/wrk-$tag.txt" >&2; }
}
wrk_notes() { # WRK_LINE -> notes about errors
  local line=$1 n="" k v
  for k in connect read write status timeout; do
    v=$(field "err_$k" "$line")
    [[ -n "$v" && "$v" != 0 ]] && n+="${n:+, }$v ${k/status/HTTP>=400} errors"
  done
  printf '%s' "$n"
}
http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time "${2:-10}" "$1" 2>/dev/null; }

ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 |"); }

# ---------------------------------------------------------------- context
log "kernel $(uname -r), $(nproc) cores, $(lsns --version 2>/dev/null), $(hyperfine --version), $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)"
log "server URL=$URL  mhd-bare THREADS=$THREADS port=$BARE_PORT  levels: $PROCS_LEVELS"

BASE_NS=$(count_ns)
SERVER_UP=0
code=$(http_status "$URL/healthz" 5)
if [[ "$code" =~ ^[1-5][0-9][0-9]$ ]]; then
  SERVER_UP=1
  log "server answered /healthz with HTTP $code"
else
  log "server at $URL is NOT reachable: its rows will read n/a"
fi

# ---------------------------------------------------------------- /healthz
# (first, on a quiet machine: no sandboxes yet)
BARE_RPS="" BARE_LINE=""
if (exec 3<>"/dev/tcp/127.0.0.1/$BARE_PORT") 2>/dev/null; then
  log "port $BARE_PORT already in use: skipping mhd-bare (set BARE_PORT)"
else
  "$OUT_DIR/mhd-bare" "$BARE_PORT" "$THREADS" 2>"$TMP/mhd-bare.log" &
  BARE_PID=$!
  for _ in $(seq 50); do [[ "$(http_status "$BARE_URL/healthz" 1)" == 200 ]] && break; sleep 0.1; done
  if [[ "$(http_status "$BARE_URL/healthz" 2)" == 200 ]]; then
    log "wrk -t2 -c64 -d10s $BARE_URL/healthz (mhd-bare, $THREADS threads)"
    run_wrk bare-healthz -t2 -c64 -d10s --latency "$BARE_URL/healthz"
    BARE_LINE=$WRK_LINE
    BARE_RPS=$(field rps "$BARE_LINE")
  else
    log "mhd-bare did not come up:"; sed 's/^/    /' "$TMP/mhd-bare.log" >&2
  fi
  stop_bare
fi

SRV_HEALTH_LINE=""
if (( SERVER_UP )); then
  log "wrk -t2 -c64 -d10s $URL/healthz (namespaced)"
  run_wrk srv-healthz -t2 -c64 -d10s --latency "$URL/healthz"
  SRV_HEALTH_LINE=$WRK_LINE
fi

# ---------------------------------------------------------------- lsns vs /namespaces
for level in $PROCS_LEVELS; do
  [[ "$level" =~ ^[0-9]+$ ]] || { log "bad level '$level'"; continue; }
  note=""
  if (( level > 0 )); then
    log "starting $level extra processes in groups of $PROCS_GROUP (own pid/mnt/uts/ipc/net/cgroup ns each)"
    : >"$TMP/procs.out"
    "$OUT_DIR/procs" "$level" -g "$PROCS_GROUP" -t "$MAX_SECONDS" >"$TMP/procs.out" 2>"$TMP/procs.err" &
    PROCS_PID=$!
    for _ in $(seq 600); do
      grep -q '^READY' "$TMP/procs.out" && break
      kill -0 "$PROCS_PID" 2>/dev/null || break
      sleep 0.1
    done
    if ! grep -q '^READY' "$TMP/procs.out"; then
      log "procs helper failed:"; sed 's/^/    /' "$TMP/procs.err" >&2
      stop_procs
      row "\`lsns --json\`" "$level" "lsns" "n/a" "" "" "procs helper failed"
      continue
    fi
    log "$(cat "$TMP/procs.out")"
    sleep 1 # let the spawn burst settle
  fi
  nprocs=$(count_procs); nns=$(count_ns)
  ctx="$nprocs procs, $nns namespaces on host"
  log "level $level: $ctx"

  # lsns --json, no shell in between (-N), output discarded by hyperfine
  log "hyperfine --warmup 3 --runs 20 'lsns --json'"
  LSNS_MEAN_US="" LSNS_SD_US=""
  if timeout 300 hyperfine -N --warmup 3 --runs 20 --style none \
       --export-json "$TMP/lsns-$level.json" 'lsns --json' >"$TMP/hf-$level.txt" 2>&1; then
    LSNS_MEAN_US=$(jq '.results[0].mean * 1e6' "$TMP/lsns-$level.json")
    LSNS_SD_US=$(jq '.results[0].stddev * 1e6' "$TMP/lsns-$level.json")
    LSNS_OUT_BYTES=$(timeout 60 lsns --json | wc -c)
    row "\`lsns --json\`" "$level" "lsns (hyperfine, 20 runs)" \
        "$(fmt_us "$LSNS_MEAN_US") ± $(fmt_us "$LSNS_SD_US")" "" "ref" \
        "$ctx; $LSNS_OUT_BYTES B JSON"
  else
    log "hyperfine failed:"; sed 's/^/    /' "$TMP/hf-$level.txt" >&2
    row "\`lsns --json\`" "$level" "lsns (hyperfine, 20 runs)" "n/a" "" "" "hyperfine failed"
  fi

  # GET /namespaces, one keep-alive connection
  if (( SERVER_UP )); then
    code=$(http_status "$URL/namespaces" 30)
    bytes=$(curl -s --max-time 30 "$URL/namespaces" 2>/dev/null | wc -c)
    log "wrk -t1 -c1 -d5s --latency $URL/namespaces (HTTP $code, $bytes B)"
    run_wrk "ns-$level" -t1 -c1 -d5s --latency --timeout 10s "$URL/namespaces"
    if [[ -n "$WRK_LINE" ]]; then
      lat=$(field lat_mean_us "$WRK_LINE")
      n=$(wrk_notes "$WRK_LINE")
      row "\`GET /namespaces\`" "$level" "namespaced (wrk -t1 -c1 -d5s)" "$(fmt_us "$lat")" \
          "$(field rps "$WRK_LINE")" "$(ratio "$lat" "$LSNS_MEAN_US") of lsns" \
          "HTTP $code, $bytes B${n:+; $n}"
    else
      row "\`GET /namespaces\`" "$level" "namespaced (wrk -t1 -c1 -d5s)" "n/a" "n/a" "n/a" "wrk failed"
    fi
  else
    row "\`GET /namespaces\`" "$level" "namespaced (wrk -t1 -c1 -d5s)" "n/a" "n/a" "n/a" "server not reachable at $URL"
  fi

  if [[ -n "$PROCS_PID" ]]; then
    stop_procs
    # namespaces (net especially) are freed asynchronously: wait, bounded
    for _ in $(seq 30); do
      cur=$(count_ns)
      [[ "$cur" =~ ^[0-9]+$ && "$BASE_NS" =~ ^[0-9]+$ ]] || break
      (( cur <= BASE_NS + 5 )) && break
      sleep 1
    done
    log "sandboxes stopped (namespaces: $nns -> $(count_ns), baseline $BASE_NS)"
  fi
done

# ---------------------------------------------------------------- /healthz rows
if [[ -n "$BARE_LINE" ]]; then
  n=$(wrk_notes "$BARE_LINE")
  row "\`GET /healthz\`" "0" "mhd-bare C, $THREADS threads (wrk -t2 -c64 -d10s)" \
      "$(fmt_us "$(field lat_mean_us "$BARE_LINE")")" "$(field rps "$BARE_LINE")" "ref" "${n:-reference}"
else
  row "\`GET /healthz\`" "0" "mhd-bare C, $THREADS threads (wrk -t2 -c64 -d10s)" "n/a" "n/a" "n/a" "mhd-bare not measured"
fi
if [[ -n "$SRV_HEALTH_LINE" ]]; then
  n=$(wrk_notes "$SRV_HEALTH_LINE")
  row "\`GET /healthz\`" "0" "namespaced (wrk -t2 -c64 -d10s)" \
      "$(fmt_us "$(field lat_mean_us "$SRV_HEALTH_LINE")")" "$(field rps "$SRV_HEALTH_LINE")" \
      "$(ratio "$(field rps "$SRV_HEALTH_LINE")" "$BARE_RPS") of bare req/s" "${n:-}"
else
  why="server not reachable at $URL"; (( SERVER_UP )) && why="wrk failed"
  row "\`GET /healthz\`" "0" "namespaced (wrk -t2 -c64 -d10s)" "n/a" "n/a" "n/a" "$why"
fi

# ---------------------------------------------------------------- table
echo "| Benchmark | Extra procs | Target | Mean latency | Req/s | Ratio | Notes |"
echo "|---|---:|---|---:|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
