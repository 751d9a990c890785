# Sourced by bench/run.sh when SECTIONS has "held": namespaces as resources.
# ================================================================ held namespaces
# POST /namespaces + DELETE of a net namespace vs `ip netns add` + `ip netns del` (the same kernel
# work: unshare, an nsfs bind mount, its unmount). hyperfine 1.15 has no per-run cleanup, so each
# ip command is timed on its own with the other as --prepare, and the two means are added.
HELD_ITERS=${HELD_ITERS:-200}
NETNS=nsdbench$$
rm -f "$TMP/raw-held"
log "held: namespaced POST /namespaces + DELETE (net), $HELD_ITERS pairs over one connection"
cmd bench/hold-client.py PORT net "$HELD_ITERS" 10 RAW
python3 "$BENCH_DIR/hold-client.py" "${SRV_PORT[A]}" net "$HELD_ITERS" 10 "$TMP/raw-held" 2>"$TMP/held.err" ||
  note "hold-client failed: $(head -c 300 "$TMP/held.err")"
# Where the time goes: the same on the --durability none server (no journal sync before answering).
[[ -n "${SRV_PID[B]:-}" ]] || start_server B none
rm -f "$TMP/raw-held-none"
python3 "$BENCH_DIR/hold-client.py" "${SRV_PORT[B]}" net "$HELD_ITERS" 10 "$TMP/raw-held-none" 2>"$TMP/held-none.err" ||
  note "hold-client (durability none) failed: $(head -c 300 "$TMP/held-none.err")"
log "held: ip netns add / ip netns del"
HF_ADD="" HF_DEL=""
cmd hyperfine -N --warmup 5 --runs "$HELD_ITERS" --prepare "ip netns del $NETNS" "ip netns add $NETNS"
if timeout 240 hyperfine -N --warmup 5 --runs "$HELD_ITERS" --style none -i \
     --prepare "sh -c 'ip netns del $NETNS 2>/dev/null; true'" --export-json "$TMP/hf-netns-add.json" \
     "ip netns add $NETNS" >"$TMP/hf-netns-add.txt" 2>&1; then
  HF_ADD=$(jq '.results[0].mean * 1e6' "$TMP/hf-netns-add.json")
fi
cmd hyperfine -N --warmup 5 --runs "$HELD_ITERS" --prepare "ip netns add $NETNS" "ip netns del $NETNS"
if timeout 240 hyperfine -N --warmup 5 --runs "$HELD_ITERS" --style none -i \
     --prepare "sh -c 'ip netns add $NETNS 2>/dev/null; true'" --export-json "$TMP/hf-netns-del.json" \
     "ip netns del $NETNS" >"$TMP/hf-netns-del.txt" 2>&1; then
  HF_DEL=$(jq '.results[0].mean * 1e6' "$TMP/hf-netns-del.json")
fi
ip netns del "$NETNS" 2>/dev/null || true
read -r HP HP50 HP99 HPN <<<"$(stats "$TMP/raw-held" pair)"
read -r HH _ <<<"$(stats "$TMP/raw-held" hold)"
read -r HR _ <<<"$(stats "$TMP/raw-held" release)"
IPNS=$(awk -v a="$HF_ADD" -v d="$HF_DEL" 'BEGIN{ if (a!="" && d!="") printf "%.1f", a + d }')
r=$(ratio "$HP" "$IPNS")
row "held" "hold + delete a net namespace: \`POST /namespaces\` + \`DELETE\`, one keep-alive connection (bench/hold-client.py)" \
    "$(us "$HP") (p50 $(us "$HP50"), p99 $(us "$HP99")), n=$HPN; = POST $(us "$HH") + DELETE $(us "$HR")" \
    "\`ip netns add\` $(us "$HF_ADD") + \`ip netns del\` $(us "$HF_DEL") (hyperfine -N, each with the other as --prepare) = $(us "$IPNS")" \
    "${r:-n/a}×" "≤ 0.5×" "$(verdict "$r" le 0.5)"

read -r HN HN50 _ <<<"$(stats "$TMP/raw-held-none" pair)"
r=$(ratio "$HN" "$IPNS")
row "held" "same, \`--durability none\` (no journal sync before the answers)" \
    "$(us "$HN") (p50 $(us "$HN50"))" "(as above) $(us "$IPNS")" "${r:-n/a}×" "—" "info"

# create + wait of /bin/true joining a held net namespace vs making its own.
log "held: create + wait joining a held net namespace vs a new one"
curl -s -o /dev/null "${AUTH[@]}" -H 'Content-Type: application/json' -d '{"type":"net","name":"benchpod"}' \
  "$A_URL/namespaces"
SPEC_OWN='{"command":["/bin/true"],"namespaces":["mnt","uts","ipc","pid","net"]}'
SPEC_JOIN='{"command":["/bin/true"],"namespaces":["mnt","uts","ipc","pid"],"join":{"net":"benchpod"}}'
rm -f "$TMP/raw-own" "$TMP/raw-join"
for half in 1 2; do
  if (( half == 1 )); then order="own join"; else order="join own"; fi
  for v in $order; do
    if [[ $v == own ]]; then s=$SPEC_OWN; else s=$SPEC_JOIN; fi
    run_client "held-$v-$half" A -c 1 -n $(( CREATE_ITERS / 2 )) -w 10 -b "$s" -r "$TMP/raw-$v"
  done
done
curl -s -o /dev/null "${AUTH[@]}" -X DELETE "$A_URL/namespaces/net/benchpod?force=true"
read -r OW OW50 OW99 OWN <<<"$(stats "$TMP/raw-own" cw)"
read -r JW JW50 JW99 JWN <<<"$(stats "$TMP/raw-join" cw)"
r=$(ratio "$JW" "$OW")
row "held" "create + wait \`/bin/true\` (confined; mnt, uts, ipc, pid) joining a held net namespace vs making its own net namespace" \
    "join: $(us "$JW") (p50 $(us "$JW50"), p99 $(us "$JW99")), n=$JWN" \
    "own net: $(us "$OW") (p50 $(us "$OW50"), p99 $(us "$OW99")), n=$OWN" \
    "${r:-n/a}×" "≤ 0.6×" "$(verdict "$r" le 0.6)"
