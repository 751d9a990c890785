#!/usr/bin/env bash
# bench/run.sh — the benchmark suite behind `make bench` (which builds the release binary first).
#
# Starts its own release servers (state directories under a fresh temporary directory), measures
#   inventory    GET /namespaces (wrk, one keep-alive connection) vs `lsns --json` (hyperfine),
#                with 0 / 1,000 / 4,000 / 8,000 extra processes in fresh namespaces (bench/procs.c)
#   create       create + wait of /bin/true in mnt,uts,ipc,pid (and + net) over ONE keep-alive
#                connection (bench/create-client.c) vs `unshare`, `bwrap` and a bare clone3 loop
#                (bench/clone-loop.c); the DELETE of each sandbox runs after the timed part
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
#   SECTIONS       parts to run, for working on one figure ("http create concurrency memory inventory");
#                  a partial run is printed, but BENCHMARKS.md is only written by a full one
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
ALL_SECTIONS="http create concurrency memory inventory"
SECTIONS=${SECTIONS:-$ALL_SECTIONS}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
[[ "$SECTIONS" == "$ALL_SECTIONS" ]] || OUT=-
T_START=$(date +%s)

log() { printf '[bench %3ds] %s\n' "$(( $(date +%s) - T_START ))" "$*" >&2; }
die() { log "$*"; exit 2; }

[[ $(id -u) == 0 ]] || die "needs root (sandboxes, namespaces, lsns of every process)"
[[ -x "$BIN" ]] || die "no server binary at $BIN: run 'swift build -c release' (or 'make bench')"
for t in wrk hyperfine lsns unshare jq curl cc pkg-config timeout; do
  command -v "$t" >/dev/null || die "missing tool: $t"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/nsd-bench.XXXXXX")
declare -A SRV_PID=() SRV_PORT=() SRV_DIR=()
PROCS_PID=""
BARE_PID=""
BARE_PORT=""
CMDS=()      # every measuring command, exactly as run
ROWS=()      # the table
NOTES=()     # what went wrong or looked odd
# cmd ARGS... records a command as a copy-pasteable line (args quoted where needed)
cmd() {
  local a line=""
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then line+="${line:+ }$a"; else line+="${line:+ }'$a'"; fi
  done
  CMDS+=("$line")
}
note() { NOTES+=("$*"); log "NOTE: $*"; }

# ---------------------------------------------------------------- teardown
# Kills every nsd-init whose exit record lives in DIR (the sandboxes of our server), with its tree.
kill_sandboxes_of() {
  local dir prefix pid fd target n=0
  dir=$(realpath -m "$1")
  prefix="$dir/sandboxes/"
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == nsd-init ]] || continue
    for fd in /proc/"$pid"/fd/*; do
      target=$(readlink "$fd" 2>/dev/null) || continue
      if [[ "$target" == "$prefix"*/exit ]]; then
        kill_tree "$pid"
        n=$((n + 1))
        break
      fi
    done
  done
  (( n == 0 )) || log "killed $n leftover sandbox(es) of $dir"
}
kill_tree() {
  local c
  for c in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$c"; done
  kill -KILL "$1" 2>/dev/null
}
stop_procs() {
  [[ -n "$PROCS_PID" ]] || return 0
  kill -TERM "$PROCS_PID" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$PROCS_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$PROCS_PID" 2>/dev/null # the helper leads its own process group
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
# Deletes the sandboxes a server still has, stops it (SIGTERM, then SIGKILL), kills what is left.
stop_server() {
  local name=$1 pid=${SRV_PID[$1]:-} port=${SRV_PORT[$1]:-}
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    timeout 6 curl -s --max-time 5 "http://127.0.0.1:$port/sandboxes" 2>/dev/null |
      jq -r '.items[].id' 2>/dev/null >"$TMP/left-$name.ids"
    if [[ -s "$TMP/left-$name.ids" ]]; then
      log "server $name: deleting $(wc -l <"$TMP/left-$name.ids") leftover sandbox(es)"
      timeout 15 "$OUT_DIR/create-client" -p "$port" -c 4 -x "$TMP/left-$name.ids" >/dev/null 2>&1
    fi
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  kill_sandboxes_of "${SRV_DIR[$name]}"
  SRV_PID[$name]=""
}
CLEANED=0
cleanup() {
  (( CLEANED )) && return 0
  CLEANED=1
  trap - EXIT INT TERM HUP
  stop_procs
  stop_bare
  local s
  for s in "${!SRV_PID[@]}"; do stop_server "$s"; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'log "interrupted"; cleanup; exit 130' INT
trap 'log "terminated (time limit of ${MAX_SECONDS}s?)"; cleanup; exit 143' TERM HUP

# ---------------------------------------------------------------- the helpers (built by `make bench`)
for helper in mhd-bare procs create-client clone-loop; do
  [[ -x "$OUT_DIR/$helper" ]] || die "missing $OUT_DIR/$helper: run 'make bench', which builds it"
done

# ---------------------------------------------------------------- helpers
us() { # µs -> "1.23 ms"
  awk -v u="${1:-}" 'BEGIN{ if (u==""||u=="nan") {print "n/a"; exit}
    if (u>=1e6) printf "%.2f s", u/1e6; else if (u>=1000) printf "%.2f ms", u/1000; else printf "%.0f µs", u }'
}
num() { awk -v x="${1:-}" 'BEGIN{ if (x=="") print "n/a"; else if (x>=100) printf "%.0f", x; else printf "%.1f", x }'; }
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN{ if (a==""||b==""||a=="nan"||b=="nan"||b==0) print ""; else printf "%.2f", a/b }'; }
# verdict RATIO le|ge LIMIT -> met / MISSED / n/a
verdict() {
  [[ -n "$1" ]] || { echo "n/a"; return; }
  awk -v r="$1" -v op="$2" -v l="$3" 'BEGIN{ ok = (op=="le") ? (r<=l) : (r>=l); print ok ? "met" : "**MISSED**" }'
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 |"); }
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null; }
mib() { awk -v k="${1:-}" 'BEGIN{ if (k=="") print "n/a"; else printf "%.1f MiB", k/1024 }'; }
http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time "${2:-10}" "$1" 2>/dev/null; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 200); do
    p=$(( 20000 + RANDOM % 20000 ))
    port_busy "$p" || { echo "$p"; return; }
  done
  die "no free port"
}
count_procs() { find /proc -maxdepth 1 -name '[0-9]*' | wc -l; }
count_ns() { timeout 60 lsns --json 2>/dev/null | jq '.namespaces | length' 2>/dev/null || echo "?"; }

# start_server NAME DURABILITY
start_server() {
  local name=$1 durability=$2 port dir
  port=$(free_port)
  dir="$TMP/state-$name"
  local c=("$BIN" --listen "127.0.0.1:$port" --state-dir "$dir" --log-level warning
           --threads "$THREADS" --durability "$durability")
  cmd "${c[@]}"
  "${c[@]}" 2>"$TMP/server-$name.log" &
  SRV_PID[$name]=$!
  SRV_PORT[$name]=$port
  SRV_DIR[$name]=$dir
  for _ in $(seq 100); do
    [[ "$(http_status "http://127.0.0.1:$port/healthz" 1)" == 200 ]] && break
    kill -0 "${SRV_PID[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  if [[ "$(http_status "http://127.0.0.1:$port/healthz" 2)" != 200 ]]; then
    sed 's/^/    /' "$TMP/server-$name.log" >&2
    die "server $name did not come up"
  fi
  log "server $name ($durability): pid ${SRV_PID[$name]}, port $port, state $dir"
}

# run_wrk TAG wrk-args... -> WRK_LINE ("" on failure)
run_wrk() {
  local tag=$1; shift
  cmd wrk "$@" -s bench/wrk-report.lua
  timeout $(( WRK_SECONDS + 60 )) wrk "$@" -s "$BENCH_DIR/wrk-report.lua" >"$TMP/wrk-$tag.txt" 2>&1
  WRK_LINE=$(grep '^WRK_RESULT' "$TMP/wrk-$tag.txt" | tail -n1)
  [[ -n "$WRK_LINE" ]] || { log "wrk $tag failed:"; sed 's/^/    /' "$TMP/wrk-$tag.txt" >&2; }
}
wrk_errors() { # WRK_LINE -> "" or "N non-2xx, ..."
  local n="" k v
  for k in connect read write status timeout; do
    v=$(field "err_$k" "$1")
    [[ -n "$v" && "$v" != 0 ]] && n+="${n:+, }$v ${k/status/non-2xx/3xx} errors"
  done
  printf '%s' "$n"
}

# run_hf TAG RUNS WARMUP COMMAND -> HF_MEAN_US HF_SD_US HF_P50_US HF_P99_US ("" on failure)
run_hf() {
  local tag=$1 runs=$2 warm=$3 command=$4
  HF_MEAN_US="" HF_SD_US="" HF_P50_US="" HF_P99_US=""
  cmd hyperfine -N --warmup "$warm" --runs "$runs" "$command"
  if timeout 240 hyperfine -N --warmup "$warm" --runs "$runs" --style none \
       --export-json "$TMP/hf-$tag.json" "$command" >"$TMP/hf-$tag.txt" 2>&1; then
    HF_MEAN_US=$(jq '.results[0].mean * 1e6' "$TMP/hf-$tag.json")
    HF_SD_US=$(jq '.results[0].stddev * 1e6' "$TMP/hf-$tag.json")
    HF_P50_US=$(jq '.results[0].times | sort | .[((length*0.5)|ceil)-1] * 1e6' "$TMP/hf-$tag.json")
    HF_P99_US=$(jq '.results[0].times | sort | .[((length*0.99)|ceil)-1] * 1e6' "$TMP/hf-$tag.json")
  else
    log "hyperfine $tag failed:"; sed 's/^/    /' "$TMP/hf-$tag.txt" >&2
  fi
}

# run_client TAG SERVER client-args... -> CC_LINE ("" when it produced no result)
run_client() {
  local tag=$1 name=$2; shift 2
  cmd bench/out/create-client -p "${SRV_PORT[$name]}" "$@"
  timeout 300 "$OUT_DIR/create-client" -p "${SRV_PORT[$name]}" "$@" >"$TMP/cc-$tag.txt" 2>"$TMP/cc-$tag.err"
  local rc=$?
  CC_LINE=$(grep '^CREATE_RESULT' "$TMP/cc-$tag.txt" | tail -n1)
  if (( rc != 0 )) || [[ -s "$TMP/cc-$tag.err" ]]; then
    note "create-client $tag (exit $rc): $(field errors "$CC_LINE") failed iterations; first answers: $(head -c 600 "$TMP/cc-$tag.err" | tr '\n' ' ')"
  fi
}

# stats FILE [PHASE] -> "mean p50 p99 n" (µs) of raw samples ("PHASE value" lines, or bare values)
stats() {
  local file=$1 phase=${2:-}
  [[ -s "$file" ]] || { echo "nan nan nan 0"; return; }
  if [[ -n "$phase" ]]; then awk -v p="$phase" '$1==p{print $2}' "$file"; else cat "$file"; fi |
    sort -g | awk '{v[NR]=$1; s+=$1} END{ if (NR==0) {print "nan nan nan 0"; exit}
      i50=int(NR*0.50); if (i50<NR*0.50) i50++; i99=int(NR*0.99); if (i99<NR*0.99) i99++;
      if (i50<1) i50=1; if (i99<1) i99=1; printf "%.1f %.1f %.1f %d\n", s/NR, v[i50], v[i99], NR }'
}
# hf_pool TAG -> HF_MEAN_US HF_P50_US HF_P99_US HF_N over hf-TAG-1.json and hf-TAG-2.json
hf_pool() {
  local f
  : >"$TMP/hf-$1.raw"
  for f in "$TMP/hf-$1"-[0-9].json; do
    [[ -s "$f" ]] && jq -r '.results[0].times[] * 1e6' "$f" >>"$TMP/hf-$1.raw"
  done
  read -r HF_MEAN_US HF_P50_US HF_P99_US HF_N <<<"$(stats "$TMP/hf-$1.raw")"
}

SPEC_MUIP='{"command":["/bin/true"],"namespaces":["mnt","uts","ipc","pid"]}'
SPEC_MUIPN='{"command":["/bin/true"],"namespaces":["mnt","uts","ipc","pid","net"]}'
SPEC_SLEEP='{"command":["/bin/sleep","600"],"namespaces":["mnt","uts","ipc","pid"]}'

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

# ================================================================ HTTP
if want http; then
BARE_PORT=$(free_port)
# The bare server answers /limits with the same bytes ours does (read once from a file).
curl -s --max-time 10 "$A_URL/limits" >"$TMP/limits.json"
LIMITS_BYTES=$(wc -c <"$TMP/limits.json")
cmd bench/out/mhd-bare "$BARE_PORT" "$THREADS" limits.json
"$OUT_DIR/mhd-bare" "$BARE_PORT" "$THREADS" "$TMP/limits.json" 2>"$TMP/mhd-bare.log" &
BARE_PID=$!
for _ in $(seq 50); do [[ "$(http_status "http://127.0.0.1:$BARE_PORT/healthz" 1)" == 200 ]] && break; sleep 0.1; done
BARE_OK=0
[[ "$(http_status "http://127.0.0.1:$BARE_PORT/healthz" 2)" == 200 ]] && BARE_OK=1
(( BARE_OK )) || { log "mhd-bare did not come up:"; sed 's/^/    /' "$TMP/mhd-bare.log" >&2; }
# best of HTTP_ROUNDS rounds per figure, each round bare then namespaced back to back: on a shared machine a
# throughput figure is only ever pulled down by noise, so the higher of two is the better estimate
best_line() { # two WRK_RESULT lines -> the one with the higher rps
  local a=$1 b=$2
  if [[ -z "$a" ]]; then echo "$b"; elif [[ -z "$b" ]]; then echo "$a"
  elif awk -v x="$(field rps "$a")" -v y="$(field rps "$b")" 'BEGIN{exit !(x>=y)}'; then echo "$a"; else echo "$b"; fi
}
for route in healthz limits; do
  for conns in 64 256; do
    BARE_LINE="" SRV_LINE=""
    for round in $(seq "$HTTP_ROUNDS"); do
      if (( BARE_OK )); then
        log "wrk /$route c$conns round $round: mhd-bare"
        run_wrk "bare-$route-$conns-$round" -t2 -c"$conns" -d"${WRK_SECONDS}s" --latency "http://127.0.0.1:$BARE_PORT/$route"
        BARE_LINE=$(best_line "$BARE_LINE" "$WRK_LINE")
      fi
      log "wrk /$route c$conns round $round: namespaced"
      run_wrk "srv-$route-$conns-$round" -t2 -c"$conns" -d"${WRK_SECONDS}s" --latency "$A_URL/$route"
      SRV_LINE=$(best_line "$SRV_LINE" "$WRK_LINE")
    done
    b=$(field rps "$BARE_LINE"); s=$(field rps "$SRV_LINE"); r=$(ratio "$s" "$b")
    errs=$(wrk_errors "$SRV_LINE"); berrs=$(wrk_errors "$BARE_LINE")
    [[ -n "$errs" ]] && note "namespaced GET /$route at $conns connections (wrk's default 2 s timeout): $errs"
    extra=""; [[ $route == limits ]] && extra=" (bare answers the same $LIMITS_BYTES bytes, a copy of our /limits body, from memory)"
    row "HTTP" "\`GET /$route\`, wrk -t2 -c$conns -d${WRK_SECONDS}s, best of $HTTP_ROUNDS; $THREADS server threads$extra" \
        "$(num "$s") req/s (p50 $(us "$(field lat_p50_us "$SRV_LINE")"), p99 $(us "$(field lat_p99_us "$SRV_LINE")"))${errs:+; $errs}" \
        "mhd-bare: $(num "$b") req/s (p50 $(us "$(field lat_p50_us "$BARE_LINE")"), p99 $(us "$(field lat_p99_us "$BARE_LINE")"))${berrs:+; $berrs}" \
        "${r:-n/a}×" "≥ 0.8×" "$(verdict "$r" ge 0.8)"
  done
done
# what one /limits request costs, without queueing
sleep 1
run_wrk "srv-limits-1" -t1 -c1 -d2s --latency "$A_URL/limits"
LIMITS1_HTTP=$(us "$(field lat_mean_us "$WRK_LINE")")
run_wrk "srv-healthz-1" -t1 -c1 -d2s --latency "$A_URL/healthz"
row "HTTP" "one connection (wrk -t1 -c1 -d2s): mean latency per request" \
    "\`/limits\` $LIMITS1_HTTP; \`/healthz\` $(us "$(field lat_mean_us "$WRK_LINE")")" "" "" "" "info"
stop_bare
RSS_AFTER_HTTP=$(rss_kib "$A_PID")
fi

# The --durability none server, for comparisons.
if want create || want concurrency; then start_server B none; fi

# ================================================================ create, one connection
if want create; then
# The machine is shared, so each comparison runs in ABBA order — namespaced, unshare, bwrap, clone3
# loop, then the same in reverse — and each figure pools its two halves (raw samples, pooled).
# Four parts, ABBA twice: namespaced first in parts 1 and 3, the references first in 2 and 4.
PARTS=4
PART=$(( (CREATE_ITERS + PARTS - 1) / PARTS ))
HALF=$(( (CREATE_ITERS + 1) / 2 ))
for variant in muip muipn; do
  if [[ $variant == muip ]]; then
    spec=$SPEC_MUIP; ushare="unshare -muip --fork /bin/true"
    bw="bwrap --unshare-ipc --unshare-pid --unshare-uts --dev-bind / / /bin/true"; cl=""
    label="mnt, uts, ipc, pid"
  else
    spec=$SPEC_MUIPN; ushare="unshare -muipn --fork /bin/true"
    bw="bwrap --unshare-ipc --unshare-pid --unshare-uts --unshare-net --dev-bind / / /bin/true"; cl="-N"
    label="mnt, uts, ipc, pid, net"
  fi
  declare -A RTT=()
  HAVE_BWRAP=0; command -v bwrap >/dev/null && HAVE_BWRAP=1
  rm -f "$TMP/raw-one-$variant" "$TMP/raw-clone-$variant" "$TMP/raw-cinit-$variant"
  for half in $(seq "$PARTS"); do
    srv_step() {
      log "create ($label) part $half: namespaced, $PART iterations over one connection"
      run_client "one-$variant-$half" A -c 1 -n "$PART" -w 10 -b "$spec" -r "$TMP/raw-one-$variant"
    }
    ref_steps() {
      log "create ($label) part $half: unshare, bwrap, clone3 loop"
      run_hf "unshare-$variant-$half" $(( 200 / PARTS )) 5 "$ushare"
      (( HAVE_BWRAP )) && run_hf "bwrap-$variant-$half" $(( 200 / PARTS )) 5 "$bw"
      cmd bench/out/clone-loop -n $(( 500 / PARTS )) -w 10 $cl -r "$TMP/raw-clone-$variant"
      timeout 120 "$OUT_DIR/clone-loop" -n $(( 500 / PARTS )) -w 10 $cl -r "$TMP/raw-clone-$variant" >"$TMP/clone-$variant-$half.out" 2>"$TMP/clone-$variant.err" ||
        note "clone-loop $variant failed: $(head -c 300 "$TMP/clone-$variant.err")"
      cmd bench/out/clone-loop -i -n $(( 500 / PARTS )) -w 10 $cl -r "$TMP/raw-cinit-$variant"
      timeout 120 "$OUT_DIR/clone-loop" -i -n $(( 500 / PARTS )) -w 10 $cl -r "$TMP/raw-cinit-$variant" >/dev/null 2>"$TMP/cinit-$variant.err" ||
        note "clone-loop -i $variant failed: $(head -c 300 "$TMP/cinit-$variant.err")"
      run_wrk "rtt-$variant-$half" -t1 -c1 -d1s "$A_URL/healthz"
      RTT[$half]=$(field lat_mean_us "$WRK_LINE")
    }
    if (( half % 2 == 1 )); then srv_step; ref_steps; else ref_steps; srv_step; fi
  done
  read -r CW CW50 CW99 CWN <<<"$(stats "$TMP/raw-one-$variant" cw)"
  read -r PO _ <<<"$(stats "$TMP/raw-one-$variant" create)"
  read -r WA _ <<<"$(stats "$TMP/raw-one-$variant" wait)"
  read -r DE _ <<<"$(stats "$TMP/raw-one-$variant" delete)"
  hf_pool "unshare-$variant"; U_MEAN=$HF_MEAN_US U_P50=$HF_P50_US U_P99=$HF_P99_US U_N=$HF_N
  B_MEAN="" B_P50="" B_P99="" B_N=""
  (( HAVE_BWRAP )) && { hf_pool "bwrap-$variant"; B_MEAN=$HF_MEAN_US B_P50=$HF_P50_US B_P99=$HF_P99_US B_N=$HF_N; }
  read -r C_MEAN C_P50 C_P99 C_N <<<"$(stats "$TMP/raw-clone-$variant")"
  SRV_CELL="$(us "$CW") (p50 $(us "$CW50"), p99 $(us "$CW99")), n=$CWN; = POST $(us "$PO") + wait $(us "$WA"); untimed DELETE $(us "$DE")"
  r=$(ratio "$CW" "$U_MEAN")
  row "create" "create + wait \`/bin/true\`, $label; one keep-alive connection" \
      "$SRV_CELL" "\`$ushare\` (hyperfine -N): $(us "$U_MEAN") (p50 $(us "$U_P50"), p99 $(us "$U_P99")), n=$U_N" \
      "${r:-n/a}×" "≤ 1.0×" "$(verdict "$r" le 1.0)"
  r=$(ratio "$CW" "$B_MEAN")
  row "create" "same flags vs bubblewrap" "(as above)" \
      "\`$bw\` (hyperfine -N): $(us "$B_MEAN") (p50 $(us "$B_P50"), p99 $(us "$B_P99")), n=${B_N:-0}" \
      "${r:-n/a}×" "—" "info"
  r=$(ratio "$CW" "$C_MEAN")
  row "create" "same flags vs bare C clone3 + execve + waitpid" "(as above)" \
      "\`bench/out/clone-loop${cl:+ $cl}\`: $(us "$C_MEAN") (p50 $(us "$C_P50"), p99 $(us "$C_P99")), n=$C_N" \
      "${r:-n/a}×" "≤ 1.5×" "$(verdict "$r" le 1.5)"
  # The floor for this design: the sandbox's own process work (clone-loop -i) and the two HTTP
  # round trips (an empty GET over the same kind of connection), nothing else.
  read -r I_MEAN I_P50 I_P99 I_N <<<"$(stats "$TMP/raw-cinit-$variant")"
  RTT_MEAN=$(printf '%s\n' "${RTT[@]}" | awk 'NF{s+=$1; n++} END{ if (n) printf "%.1f", s/n }')
  FLOOR=$(awk -v i="$I_MEAN" -v r="$RTT_MEAN" 'BEGIN{ if (i!="nan" && r!="") printf "%.1f", i + 2*r }')
  row "create" "floor: the sandbox's own work without the server (\`bench/out/clone-loop -i${cl:+ $cl}\`: an init that makes / private, mounts /proc, sets the hostname${cl:+, brings lo up}, vforks \`/bin/true\` and waits) + 2 HTTP round trips (\`GET /healthz\`, wrk -t1 -c1 -d1s)" \
      "$(us "$FLOOR") = $(us "$I_MEAN") (p50 $(us "$I_P50"), n=$I_N) + 2 × $(us "$RTT_MEAN"); namespaced is $(ratio "$CW" "$FLOOR")× this floor" \
      "bare loop: $(us "$C_MEAN")" "$(ratio "$FLOOR" "$C_MEAN")× (floor / bare)" "" "info"
  # where the time goes: the same loop without fsync, and without the /proc mount
  log "create ($label): namespaced --durability none; and mountProc false"
  run_client "one-$variant-none" B -c 1 -n "$HALF" -w 10 -b "$spec"
  NONE_LINE=$CC_LINE
  run_client "one-$variant-noproc" A -c 1 -n "$HALF" -w 10 -b "${spec%\}},\"mountProc\":false}"
  NOPROC_LINE=$CC_LINE
  row "create" "same loop, \`--durability none\` / with \`\"mountProc\":false\` (fsync); $HALF iterations each" \
      "none: $(us "$(field cw_mean_us "$NONE_LINE")") (POST $(us "$(field create_mean_us "$NONE_LINE")") + wait $(us "$(field wait_mean_us "$NONE_LINE")")); no /proc mount: $(us "$(field cw_mean_us "$NOPROC_LINE")") (POST $(us "$(field create_mean_us "$NOPROC_LINE")") + wait $(us "$(field wait_mean_us "$NOPROC_LINE")"))" \
      "" "$(ratio "$(field cw_mean_us "$NONE_LINE")" "$U_MEAN")× / $(ratio "$(field cw_mean_us "$NOPROC_LINE")" "$U_MEAN")× of unshare" "" "info"
done
fi

# ================================================================ concurrency, fsync vs none
if want concurrency; then
# ABBA again: fsync, none, none, fsync, each CONC_SECONDS/2; rates and percentiles pooled.
CONC_HALF=$(awk -v s="$CONC_SECONDS" 'BEGIN{printf "%g", s/2}')
declare -A C_OK=() C_SECS=() C_ERR=()
rm -f "$TMP/raw-conc-A" "$TMP/raw-conc-B"
for step in A B B A; do
  d=fsync; [[ $step == B ]] && d=none
  log "concurrency: 8 clients x ${CONC_HALF}s, --durability $d"
  run_client "conc-$step-$RANDOM" "$step" -c 8 -d "$CONC_HALF" -w 2 -b "$SPEC_MUIP" -r "$TMP/raw-conc-$step"
  C_OK[$step]=$(( ${C_OK[$step]:-0} + $(field ok "$CC_LINE" | grep . || echo 0) ))
  C_ERR[$step]=$(( ${C_ERR[$step]:-0} + $(field errors "$CC_LINE" | grep . || echo 0) ))
  C_SECS[$step]=$(awk -v a="${C_SECS[$step]:-0}" -v b="$(field secs "$CC_LINE")" 'BEGIN{print a + (b==""?0:b)}')
done
stop_server B
conc_cell() { # server
  local rate p50 p99 c50 c99
  rate=$(awk -v n="${C_OK[$1]}" -v s="${C_SECS[$1]}" 'BEGIN{ if (s>0) print n/s }')
  read -r _ p50 p99 _ <<<"$(stats "$TMP/raw-conc-$1" create)"
  read -r _ c50 c99 _ <<<"$(stats "$TMP/raw-conc-$1" cw)"
  CONC_RATE=$rate
  printf '%s sandboxes/s (%s cycles); POST p50 %s, p99 %s; create+wait p50 %s, p99 %s; %s errors' \
    "$(num "$rate")" "${C_OK[$1]}" "$(us "$p50")" "$(us "$p99")" "$(us "$c50")" "$(us "$c99")" "${C_ERR[$1]}"
}
conc_cell A >/dev/null; F_RATE=$CONC_RATE
conc_cell B >/dev/null; N_RATE=$CONC_RATE
r=$(ratio "$F_RATE" "$N_RATE")
row "concurrency" "8 clients (one connection each) loop create + wait + DELETE of \`/bin/true\` (mnt, uts, ipc, pid); ABBA, 2 × ${CONC_HALF}s per server; sandboxes/s counts whole cycles" \
    "\`--durability fsync\`: $(conc_cell A)" "\`--durability none\`: $(conc_cell B)" \
    "${r:-n/a}× (throughput)" "≥ 0.7×" "$(verdict "$r" ge 0.7)"
fi

# ================================================================ memory
if want memory; then
log "memory: 200 running sandboxes (sleep 600)"
: >"$TMP/sleep.ids"
run_client sleep200 A -c 4 -n 50 -W -K -o "$TMP/sleep.ids" -b "$SPEC_SLEEP"
RUNNING=$(curl -s --max-time 20 "$A_URL/sandboxes?state=running" | jq '.items | length' 2>/dev/null)
sleep 1
RSS_200=$(rss_kib "$A_PID")
log "RSS with ${RUNNING:-?} running sandboxes: $(mib "$RSS_200")"
run_client delete200 A -c 4 -x "$TMP/sleep.ids"
DEL200_LINE=$CC_LINE
RSS_AFTER200=$(rss_kib "$A_PID")
RSS_ROUNDS=()
for round in 1 2 3; do
  log "memory: round $round of 1,000 create/wait/delete (8 clients)"
  run_client "round$round" A -c 8 -n 125 -b "$SPEC_MUIP"
  sleep 1
  RSS_ROUNDS+=("$(rss_kib "$A_PID")")
  log "RSS after round $round: $(mib "${RSS_ROUNDS[-1]}") ($(field rate "$CC_LINE") sandboxes/s, $(field errors "$CC_LINE") errors)"
done
LEFT=$(curl -s --max-time 20 "$A_URL/sandboxes" | jq '.items | length' 2>/dev/null)
LEFT_DIRS=$(find "${SRV_DIR[A]}/sandboxes" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
STATE_KIB=$(du -sk "${SRV_DIR[A]}" 2>/dev/null | cut -f1)
[[ "${LEFT:-x}" == 0 ]] || note "after the memory rounds the registry still lists ${LEFT:-?} sandboxes"
(( LEFT_DIRS == 0 )) || note "after the memory rounds $LEFT_DIRS sandbox directories are left in the state dir"
ok200=$(awk -v k="${RSS_200:-}" 'BEGIN{ if (k=="") print "n/a"; else print (k < 65536) ? "met" : "**MISSED**" }')
row "memory" "server VmRSS idle (fresh start) / after the HTTP runs" "$(mib "$RSS_IDLE") / $(mib "$RSS_AFTER_HTTP")" "" "" "" "info"
row "memory" "VmRSS with ${RUNNING:-?} running sandboxes (\`sleep 600\`) / after deleting them (DELETE mean $(us "$(field delete_mean_us "$DEL200_LINE")"))" \
    "$(mib "$RSS_200") / $(mib "$RSS_AFTER200")" "" "" "< 64 MiB" "$ok200"
growth=$(( ${RSS_ROUNDS[2]:-0} - ${RSS_ROUNDS[0]:-0} ))
okflat=$(awk -v g="$growth" -v n="${#RSS_ROUNDS[@]}" 'BEGIN{ if (n<3) print "n/a"; else print (g <= 2048) ? "met" : "**MISSED**" }')
row "memory" "VmRSS after each of 3 rounds of 1,000 create/wait/delete (8 clients); state dir afterwards" \
    "$(mib "${RSS_ROUNDS[0]:-}") → $(mib "${RSS_ROUNDS[1]:-}") → $(mib "${RSS_ROUNDS[2]:-}") (round 1→3: $(awk -v g="$growth" 'BEGIN{printf "%+.1f MiB", g/1024}')); ${LEFT:-?} sandboxes listed, $LEFT_DIRS dirs, $(( ${STATE_KIB:-0} )) KiB on disk" \
    "" "" "flat (≤ +2 MiB round 1→3)" "$okflat"
fi

# ================================================================ inventory
if want inventory; then
NS_BYTES=""
LIMITS_BY_LEVEL=""
for level in $LEVELS; do
  [[ "$level" =~ ^[0-9]+$ ]] || { log "bad level '$level'"; continue; }
  if (( level > 0 )); then
    log "inventory: starting $level extra processes (10 per fresh pid/mnt/uts/ipc/net/cgroup set)"
    cmd bench/out/procs "$level" -g 10 -t "$MAX_SECONDS"
    "$OUT_DIR/procs" "$level" -g 10 -t "$MAX_SECONDS" >"$TMP/procs.out" 2>"$TMP/procs.err" &
    PROCS_PID=$!
    for _ in $(seq 900); do
      grep -q '^READY' "$TMP/procs.out" && break
      kill -0 "$PROCS_PID" 2>/dev/null || break
      sleep 0.1
    done
    if ! grep -q '^READY' "$TMP/procs.out"; then
      note "procs helper failed at $level: $(head -c 300 "$TMP/procs.err")"
      stop_procs
      row "inventory" "+$level processes" "n/a" "n/a" "n/a" "" "procs helper failed"
      continue
    fi
    sleep 1
  fi
  nprocs=$(count_procs); nns=$(count_ns)
  log "inventory at +$level: $nprocs processes, $nns namespaces on the host"
  runs=20; (( level >= 4000 )) && runs=10
  run_hf "lsns-$level" "$runs" 2 "lsns --json"
  L_MEAN=$HF_MEAN_US L_P50=$HF_P50_US L_P99=$HF_P99_US
  L_BYTES=$(timeout 60 lsns --json | wc -c)
  code=$(http_status "$A_URL/namespaces" 60)
  NS_BYTES=$(curl -s --max-time 60 "$A_URL/namespaces" | wc -c)
  run_wrk "ns-$level" -t1 -c1 -d"${WRK_SECONDS}s" --latency --timeout 30s "$A_URL/namespaces"
  lat=$(field lat_mean_us "$WRK_LINE")
  errs=$(wrk_errors "$WRK_LINE")
  [[ "$code" == 200 ]] || note "GET /namespaces at +$level answered HTTP $code"
  [[ -n "$errs" ]] && note "GET /namespaces at +$level: $errs"
  r=$(ratio "$lat" "$L_MEAN")
  target="≤ 1.0×"; lim=1.0
  (( level == 1000 )) && { target="≤ 0.5×"; lim=0.5; }
  (( level == 8000 )) && { target="≤ 0.2×"; lim=0.2; }
  row "inventory" "+$level processes ($nprocs on host, $nns namespaces)" \
      "\`GET /namespaces\` (wrk -t1 -c1): $(us "$lat") (p50 $(us "$(field lat_p50_us "$WRK_LINE")"), p99 $(us "$(field lat_p99_us "$WRK_LINE")")), $(field requests "$WRK_LINE") requests, $NS_BYTES B${errs:+; $errs}" \
      "\`lsns --json\` (hyperfine -N, $runs runs): $(us "$L_MEAN") (p50 $(us "$L_P50"), p99 $(us "$L_P99")), $L_BYTES B" \
      "${r:-n/a}×" "$target" "$(verdict "$r" le "$lim")"
  run_wrk "limits-$level" -t1 -c1 -d2s --latency --timeout 30s "$A_URL/limits"
  LIMITS_BY_LEVEL+="${LIMITS_BY_LEVEL:+, }+$level: $(us "$(field lat_mean_us "$WRK_LINE")")"
  if [[ -n "$PROCS_PID" ]]; then
    stop_procs
    sleep 1
  fi
done
row "inventory" "\`GET /limits\` mean latency, one connection (wrk -t1 -c1 -d2s), by extra processes" "$LIMITS_BY_LEVEL" "" "" "" "info"
fi


RSS_END=$(rss_kib "$A_PID")
stop_server A
# MHD logs "Failed to send the response body ... socket is no longer available" when wrk stops with
# requests in flight: expected at the end of every wrk run, so counted apart from real errors.
GONE=$(grep -c 'socket is no longer available' "$TMP/server-A.log" 2>/dev/null)
grep -v 'socket is no longer available' "$TMP/server-A.log" >"$TMP/server-A.rest" 2>/dev/null
ERRLINES=$(grep -ciE 'error|critical|fatal' "$TMP/server-A.rest" 2>/dev/null)
WARNLINES=$(grep -ci 'warning' "$TMP/server-A.rest" 2>/dev/null)
if [[ "${ERRLINES:-0}" != 0 || "${WARNLINES:-0}" != 0 ]]; then
  note "server log (--log-level warning): $ERRLINES error and $WARNLINES warning lines besides $GONE 'client went away'; first: $(grep -iE 'error|critical|fatal|warning' "$TMP/server-A.rest" | head -n 3 | tr '\n' ' ' | head -c 600)"
else
  log "server log: no errors or warnings besides ${GONE:-0} 'socket is no longer available' lines (wrk stopping mid-request)"
fi
ELAPSED=$(( $(date +%s) - T_START ))

# ================================================================ report
TABLE=$(
  echo "| Area | Benchmark | namespaced | Reference | Ratio | Target | Result |"
  echo "|---|---|---|---|---:|---|---|"
  printf '%s\n' "${ROWS[@]}"
)
printf '%s\n' "$TABLE"
if (( ${#NOTES[@]} )); then
  printf '\nNotes:\n' ; printf -- '- %s\n' "${NOTES[@]}"
fi

if [[ "$OUT" != "-" ]]; then
  {
    echo "# Benchmarks"
    echo
    echo "Generated by \`make bench\` (\`bench/run.sh\`) on $(date -u '+%Y-%m-%d %H:%M UTC') in ${ELAPSED} s;"
    echo "every figure below comes from this one run. The machine is shared and noisy: read the ratios,"
    echo "which compare measurements taken back to back, rather than the absolute numbers."
    echo
    echo "**Machine:** $MACHINE. Before the run the host had $HOST_PROCS0 processes and $HOST_NS0 namespaces"
    echo "(the \"+0\" inventory row is that baseline; the other rows add processes on top of it)."
    echo
    echo "**Tools:** $TOOLS."
    echo
    echo "**Server:** \`$(basename "$BIN")\` release build, \`--threads $THREADS --log-level warning\`, state directory on"
    echo "$(df -T "$TMP" | awk 'NR==2{print $2}') (\`$(df "$TMP" | awk 'NR==2{print $1}')\`); \`--durability fsync\` (the default) unless a row says otherwise."
    echo
    echo "$TABLE"
    echo
    if (( ${#NOTES[@]} )); then
      echo "## Observations from this run"
      echo
      printf -- '- %s\n' "${NOTES[@]}"
      echo
    fi
    cat <<'EOF'
## How each figure is measured

- **inventory** — `GET /namespaces` over one keep-alive connection (`wrk -t1 -c1`, mean latency per
  request, the whole JSON body read) against `lsns --json` (`hyperfine -N`, mean wall time per run, output
  discarded). Extra processes come from `bench/procs.c`: groups of 10 processes, each group in fresh
  pid, mnt, uts, ipc, net and cgroup namespaces (so +1,000 processes adds 600 namespaces). Ratio = server / lsns.
- **create** — `bench/create-client.c` (C, plain sockets, HTTP/1.1 keep-alive, one connection) runs
  `POST /sandboxes` `{"command":["/bin/true"],"namespaces":[...]}` then `POST /sandboxes/{id}/wait?timeout=30`;
  the figure is the time of those two requests (the sandbox has exited when the second answers). The
  `DELETE /sandboxes/{id}` follows each iteration **outside** the timed part; its mean is shown separately.
  The server also mounts a fresh `/proc` in the sandbox (`mountProc` defaults to true with pid + mnt), sets its
  hostname, opens its log files and journals it (fsync) — `unshare`, `bwrap` and the clone3 loop do none of that
  (`unshare -m` does make `/` private recursively; with net the server also brings `lo` up, `unshare -n` does not).
  `bench/clone-loop.c` is the floor: `clone3(CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID[|CLONE_NEWNET])`,
  the child `execve`s `/bin/true`, the parent `waitpid`s; mean per iteration. The four run in ABBA order
  (namespaced, unshare, bwrap, loop, then loop, bwrap, unshare, namespaced), twice, a quarter of the
  iterations each time, and each figure pools the raw samples of all four parts, so drift on the shared
  machine hits all alike.
- **create floor** — what no server built this way can go below: `clone-loop -i` does, per iteration, the
  process work every sandbox has — the clone3 child is an init that makes `/` private, mounts `/proc`, sets
  the hostname (with net: brings `lo` up), starts `/bin/true` with `CLONE_VM|CLONE_VFORK`, waits for it and
  exits with its status (the init is what keeps the exit code when the server is down, forwards signals and
  reaps orphans) — plus two HTTP round trips measured on the same server (`GET /healthz`, one keep-alive
  connection, `wrk -t1 -c1 -d1s`, once per part). What is left between the floor and the ≤ 1.5× bare-loop
  target is the budget for all of the server's own work (parse and check the spec, open the log files,
  journal, registry, reaper, two JSON answers).
- **concurrency** — the same client with 8 threads, one keep-alive connection each, looping
  create + wait + DELETE for a fixed time; sandboxes/s = completed cycles / wall time; "POST" latency is
  `POST /sandboxes` alone. Two servers started identically but for `--durability`, measured in ABBA order
  (fsync, none, none, fsync; half the time each), samples pooled. Ratio = fsync / none throughput.
- **HTTP** — `wrk -t2` for a fixed time against the server and against `bench/mhd-bare.c` (same
  libmicrohttpd, same thread count, epoll thread pool), alternating, 5 rounds (`HTTP_ROUNDS`), the best round of each kept
  (noise only ever lowers a throughput). mhd-bare answers every GET with the static
  `{"status":"ok"}`, and `/limits` with a copy of the server's own `/limits` body fetched just before (same
  bytes on the wire, served from memory with no work behind them), so the ratio is the cost of everything
  above libmicrohttpd: routing, auth, the cached census, ETag, Swift. Ratio = server / bare req/s.
- **memory** — `VmRSS` of the server from `/proc/PID/status`: idle right after start; with 200 running
  `sleep 600` sandboxes (then deleted); after each of 3 rounds of 1,000 create/wait/delete.

## Commands, exactly as run
EOF
    echo
    echo "\`\$TMP\` is the run's fresh temporary directory (\`mktemp -d\`, removed at the end); paths are relative"
    echo "to the repository; ports are picked free at random."
    echo
    echo '```sh'
    printf '%s\n' "${CMDS[@]}" | sed -e "s|$TMP|\$TMP|g" -e "s|$ROOT/||g"
    echo '```'
  } >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
  log "wrote $OUT"
fi
log "done in ${ELAPSED}s"
