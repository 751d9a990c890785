# Sourced by bench/run.sh when SECTIONS has "concurrency": 8 clients, --durability fsync vs none.
# ================================================================ concurrency, fsync vs none
# The --durability none server, for comparisons (started by the first section that needs it).
[[ -n "${SRV_PID[B]:-}" ]] || start_server B none

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
