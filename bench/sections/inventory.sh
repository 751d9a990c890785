# Sourced by bench/run.sh when SECTIONS has "inventory": GET /namespaces vs lsns with extra processes.
# ================================================================ inventory
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
  code=$(http_status "$A_URL/namespaces" 60 "${AUTH[@]}")
  NS_BYTES=$(curl -s "${AUTH[@]}" --max-time 60 "$A_URL/namespaces" | wc -c)
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
