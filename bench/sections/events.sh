# Sourced by bench/run.sh when SECTIONS has "events": what GET /events listeners cost and how fast they
# hear an exit; GET /metrics with 10,000 sandboxes in the registry.
# ================================================================ events
# A server of its own (E): a thousand listeners and a 10,000-sandbox registry touch no other figure.
start_server E fsync
E_PORT=${SRV_PORT[E]}
E_URL="http://127.0.0.1:$E_PORT"
threads_of() { find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
# hold_listeners TAG N: N listeners (every event type) held open in the background by bench/out/sse-client,
# at the lowest CPU priority (they stand for dashboards on other hosts); HOLD_PID, or "" when they failed.
hold_listeners() {
  local tag=$1 n=$2
  HOLD_PID=""
  cmd nice -n 19 bench/out/sse-client -p "$E_PORT" -l "$n" -i
  nice -n 19 "$OUT_DIR/sse-client" -p "$E_PORT" -l "$n" -i >"$TMP/hold-$tag.out" 2>"$TMP/hold-$tag.err" &
  HOLD_PID=$!
  for _ in $(seq 300); do
    grep -q '^SSE_READY' "$TMP/hold-$tag.out" 2>/dev/null && return 0
    kill -0 "$HOLD_PID" 2>/dev/null || break
    sleep 0.1
  done
  note "sse-client $tag: $n listeners did not all connect: $(head -c 300 "$TMP/hold-$tag.err")"
  kill -TERM "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null
  HOLD_PID=""
  return 1
}
# release_listeners TAG: closes them; HOLD_LINE is their SSE_HOLD line (what they heard, how many the server closed)
release_listeners() {
  HOLD_LINE=""
  [[ -n "$HOLD_PID" ]] || return 0
  kill -TERM "$HOLD_PID" 2>/dev/null
  wait "$HOLD_PID" 2>/dev/null
  HOLD_PID=""
  HOLD_LINE=$(grep '^SSE_HOLD' "$TMP/hold-$1.out" | tail -n1)
  [[ "$(field closed "$HOLD_LINE")" == 0 ]] || note "sse-client $1: the server closed $(field closed "$HOLD_LINE") listeners: $HOLD_LINE"
}

# ---------------------------------------------------------------- 1,000 idle listeners: RSS and threads
THR_FRESH=$(threads_of "${SRV_PID[E]}")
# What the server is after ordinary use: requests served, and a first listener come and gone (it starts
# the event hub's one thread, which namespace rescans and keep-alives share).
timeout 30 wrk -t1 -c1 -d1s "${AUTH[@]}" "$E_URL/healthz" >/dev/null 2>&1
timeout 5 curl -sN "${AUTH[@]}" --max-time 1 "$E_URL/events" >/dev/null 2>&1
sleep 1
RSS_L0=$(rss_kib "${SRV_PID[E]}"); THR_L0=$(threads_of "${SRV_PID[E]}")
log "events: 1,000 idle listeners (server RSS $(mib "$RSS_L0"), $THR_L0 threads)"
if hold_listeners idle 1000; then
  sleep 1
  RSS_L1=$(rss_kib "${SRV_PID[E]}"); THR_L1=$(threads_of "${SRV_PID[E]}")
  OPEN_L1=$(curl -s "${AUTH[@]}" --max-time 10 "$E_URL/metrics" | awk '$1=="namespaced_event_listeners"{printf "%d", $2}')
  release_listeners idle
  sleep 1
  RSS_L2=$(rss_kib "${SRV_PID[E]}")
  ADDED=$(( RSS_L1 - RSS_L0 ))
  ok=$(awk -v a="$ADDED" -v t0="$THR_L0" -v t1="$THR_L1" 'BEGIN{ print (a < 10240 && t1 <= t0) ? "met" : "**MISSED**" }')
  row "events" "1,000 idle \`GET /events\` listeners (every event type; \`bench/out/sse-client -l 1000 -i\`): server VmRSS and threads (/proc/PID/task) before, with them (${OPEN_L1:-?} listeners in /metrics), after they left" \
      "+$(mib "$ADDED") RSS ($(awk -v a="$ADDED" 'BEGIN{printf "%.1f", a*1024/1000/1024}') KiB a listener: $(mib "$RSS_L0") → $(mib "$RSS_L1") → $(mib "$RSS_L2")); threads $THR_L0 → $THR_L1 (fresh server: $THR_FRESH, before its first listener)" \
      "" "" "< 10 MiB, no thread" "$ok"
else
  row "events" "1,000 idle \`GET /events\` listeners" "n/a (they did not connect)" "" "" "< 10 MiB, no thread" "n/a"
fi

# ---------------------------------------------------------------- fan-out delay with 200 listeners
FANOUT_ITERS=${FANOUT_ITERS:-100}
LOAD_AT_FANOUT=$(cut -d' ' -f1 /proc/loadavg)
log "events: fan-out to 200 listeners, $FANOUT_ITERS sandboxes (host load average $LOAD_AT_FANOUT)"
cmd bench/out/sse-client -p "$E_PORT" -l 200 -n "$FANOUT_ITERS" -w 5 -r "$TMP/fanout.raw"
timeout 120 "$OUT_DIR/sse-client" -p "$E_PORT" -l 200 -n "$FANOUT_ITERS" -w 5 -r "$TMP/fanout.raw" \
  >"$TMP/fanout.out" 2>"$TMP/fanout.err" || note "sse-client fan-out: $(head -c 300 "$TMP/fanout.err") $(cat "$TMP/fanout.out")"
FAN=$(grep '^FANOUT_RESULT' "$TMP/fanout.out" | tail -n1)
FAN_P99_MS=$(awk -v u="$(field p99_us "$FAN")" 'BEGIN{ if (u!="") printf "%.3f", u/1000 }')
row "events" "fan-out: 200 listeners on \`GET /events\`; $FANOUT_ITERS sandboxes (\`/bin/true\`) made one at a time; delay from the exit the sandbox's init recorded (\`exitedAt\`) to the \`sandbox.exited\` event's bytes at each listener (CLOCK_REALTIME, same host; exitedAt has ms resolution)" \
    "p50 $(us "$(field p50_us "$FAN")"), p99 $(us "$(field p99_us "$FAN")"), max $(us "$(field max_us "$FAN")") over $(field samples "$FAN") arrivals; the last listener of each event: p50 $(us "$(field last_p50_us "$FAN")"), p99 $(us "$(field last_p99_us "$FAN")"); $(field missing "$FAN") missing; host load average $LOAD_AT_FANOUT ($(nproc) cores)" \
    "" "" "p99 ≤ 50 ms" "$(verdict "$FAN_P99_MS" le 50)"

# ---------------------------------------------------------------- creates with and without 200 listeners
# Alternating A (no listener), B (200 listeners), in ABBA order twice; each part EVENTS_PART seconds of
# 4 clients looping create + wait + DELETE. Server CPU per cycle from /proc/PID/stat over each part.
EVENTS_PART=${EVENTS_PART:-3}
declare -A E_OK=() E_SECS=() E_CPU=()
part=0
for step in A B B A A B B A; do
  part=$(( part + 1 ))
  if [[ $step == B ]]; then hold_listeners "conc-$part" 200 || continue; fi
  log "events: 4 clients x ${EVENTS_PART}s, $([[ $step == B ]] && echo "200 listeners" || echo "no listener")"
  c0=$(cpu_ticks "${SRV_PID[E]}")
  run_client "ev-$step-$part" E -c 4 -d "$EVENTS_PART" -w 1 -b "$SPEC_MUIP"
  c1=$(cpu_ticks "${SRV_PID[E]}")
  if [[ $step == B ]]; then
    release_listeners "conc-$part"
    # every listener heard every exit of the part (and of the clients' warm-up)
    (( $(field exited_min "$HOLD_LINE" | grep . || echo 0) >= $(field ok "$CC_LINE" | grep . || echo 0) )) ||
      note "events: a listener heard $(field exited_min "$HOLD_LINE") exits of $(field ok "$CC_LINE") sandboxes ($HOLD_LINE)"
  fi
  E_OK[$step]=$(( ${E_OK[$step]:-0} + $(field ok "$CC_LINE" | grep . || echo 0) ))
  E_SECS[$step]=$(awk -v a="${E_SECS[$step]:-0}" -v b="$(field secs "$CC_LINE")" 'BEGIN{print a + (b==""?0:b)}')
  E_CPU[$step]=$(( ${E_CPU[$step]:-0} + c1 - c0 ))
done
ev_rate() { awk -v n="${E_OK[$1]:-0}" -v s="${E_SECS[$1]:-0}" 'BEGIN{ if (s>0) printf "%.1f", n/s }'; }
ev_cpu() { # ms of server CPU a cycle
  awk -v t="${E_CPU[$1]:-0}" -v n="${E_OK[$1]:-0}" -v hz="$(getconf CLK_TCK)" 'BEGIN{ if (n>0) printf "%.2f ms", t*1000/hz/n; else print "n/a" }'
}
r=$(ratio "$(ev_rate B)" "$(ev_rate A)")
row "events" "creates with 200 listeners connected (every event type; they read everything, at nice 19) vs none: 4 clients loop create + wait + DELETE of \`/bin/true\`; A/B in ABBA order twice, ${EVENTS_PART}s a part" \
    "with: $(num "$(ev_rate B)") sandboxes/s (${E_OK[B]:-0} cycles; server CPU $(ev_cpu B) a cycle)" \
    "without: $(num "$(ev_rate A)") sandboxes/s (${E_OK[A]:-0} cycles; server CPU $(ev_cpu A) a cycle)" \
    "${r:-n/a}×" "≥ 0.9×" "$(verdict "$r" ge 0.9)"

# ---------------------------------------------------------------- /metrics with 10,000 sandboxes
stop_server E
# A server of its own again (M), without cgroups: its sandboxes stay in the registry while it is down,
# and other servers on the host clear the empty cgroups of sandboxes they do not know.
# The same measurement on its registry empty and with 10,000 sandboxes: 20 real ones made through the
# API, copied under new ids into a snapshot the server loads at its next start.
start_server M fsync --cgroup-driver none
M_URL="http://127.0.0.1:${SRV_PORT[M]}"
metrics_latency() { # TAG -> METRICS_LINE
  run_wrk "metrics-$1" -t1 -c1 -d3s --latency "$M_URL/metrics"
  METRICS_LINE=$WRK_LINE
}
metrics_latency empty
M_EMPTY=$METRICS_LINE
log "events: a registry of 10,000 sandboxes"
run_client seed M -c 2 -n 10 -K -b "$SPEC_MUIP"
kill -TERM "${SRV_PID[M]}" 2>/dev/null
wait "${SRV_PID[M]}" 2>/dev/null
SNAP=$(find "${SRV_DIR[M]}" -maxdepth 1 -name 'snapshot.*.json' | sed 's/.*snapshot\.\([0-9]*\)\.json/\1/' | sort -n | tail -n1)
SEEDED=0
if [[ -n "$SNAP" ]]; then
  NEXT=$(( $(find "${SRV_DIR[M]}" -maxdepth 1 -name '*.*.*' -printf '%f\n' | sed -n 's/^\(snapshot\|journal\)\.\([0-9]*\)\..*/\2/p' | sort -n | tail -n1) + 1 ))
  # Copies keep every field of a real record but the id, the name and the namespace inodes (the
  # original's); the loader takes them like any exited sandbox.
  jq -c --argjson n 10000 --argjson g "$NEXT" '.generation = $g | .sandboxes as $t | ($t | length) as $k
      | .sandboxes = $t + [range($k; $n) as $i | $t[$i % $k]
          | .id = ("5eed" + (("0000000000000000000000000000" + ($i | tostring)) | .[-28:]))
          | .name = null | .namespaces = {}]' \
    "${SRV_DIR[M]}/snapshot.$SNAP.json" >"${SRV_DIR[M]}/snapshot.$NEXT.json.tmp" &&
    mv "${SRV_DIR[M]}/snapshot.$NEXT.json.tmp" "${SRV_DIR[M]}/snapshot.$NEXT.json" && SEEDED=1
fi
kill_sandboxes_of "${SRV_DIR[M]}"
SRV_PID[M]=""
if (( SEEDED )); then
  start_server M fsync --cgroup-driver none
  M_URL="http://127.0.0.1:${SRV_PORT[M]}"
  COUNTED=$(curl -s "${AUTH[@]}" --max-time 30 "$M_URL/metrics" | awk '$1=="namespaced_sandboxes{state=\"exited\"}"{printf "%d", $2}')
  LISTED=$(curl -s "${AUTH[@]}" --max-time 30 "$M_URL/sandboxes" | jq '.items | length' 2>/dev/null)
  metrics_latency full
  M_FULL=$METRICS_LINE
  # The registry is left as it is: deleting 10,000 sandboxes is no part of the figure.
  kill -TERM "${SRV_PID[M]}" 2>/dev/null
  wait "${SRV_PID[M]}" 2>/dev/null
  SRV_PID[M]=""
  P50_MS=$(awk -v u="$(field lat_p50_us "$M_FULL")" 'BEGIN{ if (u!="") printf "%.3f", u/1000 }')
  row "events" "\`GET /metrics\` with ${LISTED:-?} sandboxes in the registry (/metrics counts ${COUNTED:-?} exited; a server with \`--cgroup-driver none\`), one keep-alive connection (wrk -t1 -c1 -d3s): latency per request, render and HTTP" \
      "p50 $(us "$(field lat_p50_us "$M_FULL")"), p99 $(us "$(field lat_p99_us "$M_FULL")"), mean $(us "$(field lat_mean_us "$M_FULL")"); $(num "$(field rps "$M_FULL")") req/s" \
      "same server, empty registry: p50 $(us "$(field lat_p50_us "$M_EMPTY")"), p99 $(us "$(field lat_p99_us "$M_EMPTY")"), mean $(us "$(field lat_mean_us "$M_EMPTY")")" \
      "$(ratio "$(field lat_p50_us "$M_FULL")" "$(field lat_p50_us "$M_EMPTY")")× (p50)" "p50 ≤ 2 ms" "$(verdict "$P50_MS" le 2)"
else
  note "events: no snapshot to seed 10,000 sandboxes from in ${SRV_DIR[M]}"
  row "events" "\`GET /metrics\` with 10,000 sandboxes" "n/a (no snapshot to seed from)" "" "" "p50 ≤ 2 ms" "n/a"
fi
