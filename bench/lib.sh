# bench/lib.sh — sourced by bench/run.sh: checks, state, teardown and the helpers every section uses.

log() { printf '[bench %3ds] %s\n' "$(( $(date +%s) - T_START ))" "$*" >&2; }
die() { log "$*"; exit 2; }

[[ $(id -u) == 0 ]] || die "needs root (sandboxes, namespaces, lsns of every process)"
[[ -x "$BIN" ]] || die "no server binary at $BIN: run 'swift build -c release' (or 'make bench')"
for t in wrk hyperfine lsns unshare jq curl cc pkg-config timeout; do
  command -v "$t" >/dev/null || die "missing tool: $t"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/nsd-bench.XXXXXX")
# The servers require a token, as every TCP listener does: the clients send it (curl -H, wrk -H,
# create-client through NSD_TOKEN), so the figures include the check.
NSD_TOKEN=$(head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 32)
export NSD_TOKEN
(umask 077; printf '%s\n' "$NSD_TOKEN" >"$TMP/token")
AUTH=(-H "Authorization: Bearer $NSD_TOKEN")
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
    timeout 6 curl -s "${AUTH[@]}" --max-time 5 "http://127.0.0.1:$port/sandboxes" 2>/dev/null |
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
  # Held namespaces' binds (the held section) outlive their server by design.
  findmnt -rn -o TARGET | grep "^$TMP/" | sort -r | while read -r m; do umount -l "$m"; done
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
# http_status URL [SECONDS [curl options...]]
http_status() {
  local url=$1 seconds=${2:-10}
  shift $(( $# < 2 ? $# : 2 ))
  curl -s -o /dev/null -w '%{http_code}' --max-time "$seconds" "$@" "$url" 2>/dev/null
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A free port below the kernel's ephemeral range (ip_local_port_range), or above it when the range
# starts too low: the kernel never hands such a port to an outgoing connection, so the thousands
# of connections a run opens cannot take it between the check and the bind.
free_port() {
  local low high p
  read -r low high </proc/sys/net/ipv4/ip_local_port_range
  for _ in $(seq 200); do
    if (( low > 11024 )); then p=$(( 10000 + RANDOM % (low - 10000) ))
    elif (( high < 64511 )); then p=$(( high + 1 + RANDOM % (65535 - high) ))
    else die "no port outside the ephemeral range $low-$high"; fi
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
           --threads "$THREADS" --durability "$durability" --token-file "$TMP/token")
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
  cmd wrk "$@" -H "Authorization: Bearer \$NSD_TOKEN" -s bench/wrk-report.lua
  timeout $(( WRK_SECONDS + 60 )) wrk "$@" "${AUTH[@]}" -s "$BENCH_DIR/wrk-report.lua" >"$TMP/wrk-$tag.txt" 2>&1
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

# What a user gets (confined), and the same unconfined: the work unshare/bwrap/clone3 do in "create".
SPEC_MUIP='{"command":["/bin/true"],"namespaces":["mnt","uts","ipc","pid"]}'
SPEC_MUIP_PRIV='{"command":["/bin/true"],"namespaces":["mnt","uts","ipc","pid"],"privileged":true}'
SPEC_MUIPN_PRIV='{"command":["/bin/true"],"namespaces":["mnt","uts","ipc","pid","net"],"privileged":true}'
SPEC_SLEEP='{"command":["/bin/sleep","600"],"namespaces":["mnt","uts","ipc","pid"]}'
