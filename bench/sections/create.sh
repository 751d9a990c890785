# Sourced by bench/run.sh when SECTIONS has "create": create + wait over one connection vs unshare, bwrap, clone3.
# The sandboxes here are "privileged": unconfined, the same work as the references (the cost of the
# default confinement is the "confinement" section's).
# ================================================================ create, one connection
# The --durability none server, for comparisons (started by the first section that needs it).
[[ -n "${SRV_PID[B]:-}" ]] || start_server B none

# The machine is shared, so each comparison runs in ABBA order — namespaced, unshare, bwrap, clone3
# loop, then the same in reverse — and each figure pools its two halves (raw samples, pooled).
# Four parts, ABBA twice: namespaced first in parts 1 and 3, the references first in 2 and 4.
PARTS=4
PART=$(( (CREATE_ITERS + PARTS - 1) / PARTS ))
HALF=$(( (CREATE_ITERS + 1) / 2 ))
for variant in muip muipn; do
  if [[ $variant == muip ]]; then
    spec=$SPEC_MUIP_PRIV; ushare="unshare -muip --fork /bin/true"
    bw="bwrap --unshare-ipc --unshare-pid --unshare-uts --dev-bind / / /bin/true"; cl=""
    label="mnt, uts, ipc, pid"
  else
    spec=$SPEC_MUIPN_PRIV; ushare="unshare -muipn --fork /bin/true"
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
