# Sourced by bench/run.sh when SECTIONS has "http": GET /healthz and GET /limits vs mhd-bare, and
# what the access log costs.
# ================================================================ HTTP
BARE_PORT=$(free_port)
# The bare server answers /limits with the same bytes ours does (read once from a file).
curl -s "${AUTH[@]}" --max-time 10 "$A_URL/limits" >"$TMP/limits.json"
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
      : >"$TMP/access-A.log" # the server appends; emptied between runs so the bench does not fill the disk
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
# What the access log costs: server A as a user gets it (the log on standard output, a file here)
# against the same binary with --access-log off, rounds back to back. No cgroups for Q: it makes no
# sandboxes, and it must not share A's cgroup parent.
start_server Q fsync --access-log off --cgroup-driver none
Q_URL="http://127.0.0.1:${SRV_PORT[Q]}"
OFF_LINE="" ON_LINE=""
for round in $(seq "$HTTP_ROUNDS"); do
  log "wrk /healthz c64 round $round: --access-log off, then the default"
  run_wrk "log-off-$round" -t2 -c64 -d"${WRK_SECONDS}s" --latency "$Q_URL/healthz"
  OFF_LINE=$(best_line "$OFF_LINE" "$WRK_LINE")
  run_wrk "log-on-$round" -t2 -c64 -d"${WRK_SECONDS}s" --latency "$A_URL/healthz"
  ON_LINE=$(best_line "$ON_LINE" "$WRK_LINE")
  LOGGED=$(wc -l <"$TMP/access-A.log")
  : >"$TMP/access-A.log"
done
stop_server Q
DROPPED=$(curl -s "${AUTH[@]}" --max-time 10 "$A_URL/metrics" | awk '$1=="namespaced_access_log_dropped_total"{print $2}')
[[ "${DROPPED:-0}" == 0 ]] || note "access log: $DROPPED lines dropped in the HTTP runs (the writer could not keep up)"
on=$(field rps "$ON_LINE"); off=$(field rps "$OFF_LINE"); r=$(ratio "$on" "$off")
row "HTTP" "access log cost: \`GET /healthz\`, wrk -t2 -c64 -d${WRK_SECONDS}s, best of $HTTP_ROUNDS; the default (JSON line per request to standard output, a file here; ${LOGGED:-?} lines in the last run) vs \`--access-log off\`" \
    "$(num "$on") req/s (p99 $(us "$(field lat_p99_us "$ON_LINE")"))" \
    "off: $(num "$off") req/s (p99 $(us "$(field lat_p99_us "$OFF_LINE")"))" \
    "${r:-n/a}×" "≥ 0.9×" "$(verdict "$r" ge 0.9)"
RSS_AFTER_HTTP=$(rss_kib "$A_PID")
