# Sourced by bench/run.sh when SECTIONS has "memory": server VmRSS idle, loaded and after churn.
# ================================================================ memory
log "memory: 200 running sandboxes (sleep 600)"
: >"$TMP/sleep.ids"
run_client sleep200 A -c 4 -n 50 -W -K -o "$TMP/sleep.ids" -b "$SPEC_SLEEP"
RUNNING=$(curl -s "${AUTH[@]}" --max-time 20 "$A_URL/sandboxes?state=running" | jq '.items | length' 2>/dev/null)
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
LEFT=$(curl -s "${AUTH[@]}" --max-time 20 "$A_URL/sandboxes" | jq '.items | length' 2>/dev/null)
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
