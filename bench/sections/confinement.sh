# Sourced by bench/run.sh when SECTIONS has "confinement": what the default confinement costs.
# create + wait of /bin/true (mnt uts ipc pid) over one keep-alive connection, default (confined)
# vs "privileged": true on the same server, vs bubblewrap doing the same confinement work
# (read-only root, /dev, /proc, /tmp, no capabilities); ABBA in four parts like "create". Then one
# strace of the spawner and its children over a few creates: the time of each confinement step.
# ================================================================ confinement
PARTS=4
PART=$(( (CREATE_ITERS + PARTS - 1) / PARTS ))
BW_CONFINED="bwrap --unshare-ipc --unshare-pid --unshare-uts --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --cap-drop ALL --new-session /bin/true"
rm -f "$TMP/raw-conf-default" "$TMP/raw-conf-priv"
for half in $(seq "$PARTS"); do
  ours() {
    log "confinement part $half: namespaced default, then privileged ($PART iterations each)"
    run_client "conf-default-$half" A -c 1 -n "$PART" -w 10 -b "$SPEC_MUIP" -r "$TMP/raw-conf-default"
    run_client "conf-priv-$half" A -c 1 -n "$PART" -w 10 -b "$SPEC_MUIP_PRIV" -r "$TMP/raw-conf-priv"
  }
  theirs() {
    log "confinement part $half: bwrap"
    run_hf "bwrap-conf-$half" $(( 200 / PARTS )) 5 "$BW_CONFINED"
  }
  if (( half % 2 == 1 )); then ours; theirs; else theirs; ours; fi
done
read -r D D50 D99 DN <<<"$(stats "$TMP/raw-conf-default" cw)"
read -r P P50 P99 PN <<<"$(stats "$TMP/raw-conf-priv" cw)"
hf_pool "bwrap-conf"
r=$(ratio "$D" "$HF_MEAN_US")
row "confinement" "create + wait \`/bin/true\`, mnt uts ipc pid, default confinement; one keep-alive connection" \
    "$(us "$D") (p50 $(us "$D50"), p99 $(us "$D99")), n=$DN" \
    "\`$BW_CONFINED\` (hyperfine -N): $(us "$HF_MEAN_US") (p50 $(us "$HF_P50_US"), p99 $(us "$HF_P99_US")), n=$HF_N" \
    "${r:-n/a}×" "≤ 0.7×" "$(verdict "$r" le 0.7)"
r=$(ratio "$D" "$P")
row "confinement" "same, default vs \`\"privileged\": true\` on the same server" "(as above)" \
    "privileged: $(us "$P") (p50 $(us "$P50"), p99 $(us "$P99")), n=$PN" "${r:-n/a}×" "≤ 1.25×" "$(verdict "$r" le 1.25)"

# Where the confinement time goes: `perf trace -a` (tracepoints, little overhead) over 40 creates,
# the calls of nsd-init processes (the sandbox's init, and its command until execve), by call:
# mean time per call × calls per sandbox.
TRACEFS=/sys/kernel/tracing
MOUNTED_TRACEFS=0
if ! mountpoint -q "$TRACEFS"; then mount -t tracefs nodev "$TRACEFS" 2>/dev/null && MOUNTED_TRACEFS=1; fi
if command -v perf >/dev/null && mountpoint -q "$TRACEFS"; then
  log "confinement: perf trace over 40 creates"
  perf trace -a -e 'mount,mount_setattr,open_tree,move_mount,seccomp,capset,prctl,prlimit64,pivot_root,umount2,symlink,mkdir,openat,newfstatat,sethostname,setresuid,setresgid,chdir,execve' \
    -o "$TMP/conf.trace" 2>"$TMP/conf.trace.err" &
  TRACE_PID=$!
  sleep 3
  run_client "conf-trace" A -c 1 -n 40 -w 0 -b "$SPEC_MUIP"
  sleep 1
  kill -INT "$TRACE_PID" 2>/dev/null; wait "$TRACE_PID" 2>/dev/null
  STEPS=$(awk '
    / nsd-init\/[0-9]+ / && match($0, /\( *[0-9.]+ ms\)/) {
      t = substr($0, RSTART + 1, RLENGTH - 4) * 1000
      call = $0; sub(/.* nsd-init\/[0-9]+ /, "", call); sub(/\(.*/, "", call)
      if (call == "prctl") { if ($0 ~ /CAPBSET_DROP/) call = "prctl CAPBSET_DROP"; else if ($0 ~ /CAP_AMBIENT/) call = "prctl AMBIENT"; else call = "prctl other" }
      sum[call] += t; n[call]++; total += t
    }
    END { floor = -1
          for (k in sum) { m = sum[k] / n[k]; if (floor < 0 || m < floor) floor = m; printf "%s %.1f µs × %.1f; ", k, m, n[k] / 40 }
          printf "all listed calls: %.0f µs per sandbox; tracing adds about %.0f µs to every call (the cheapest mean)", total / 40, floor }' "$TMP/conf.trace")
  row "confinement" "per-step cost (\`perf trace -a\`, calls of the sandbox's init and of its command before execve, 40 creates; mean per call × calls per sandbox)" \
      "$STEPS" "" "" "" "info"
else
  note "confinement: perf or tracefs missing: per-step trace skipped"
fi
(( MOUNTED_TRACEFS )) && umount "$TRACEFS" 2>/dev/null
