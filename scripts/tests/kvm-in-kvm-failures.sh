# The kvm-in-kvm runner reports failures as such. On bare QEMU: an L2 that
# cannot reach its marker within L1's per-run timeout (2 s), an L1 kernel
# that panics (no init), and a whole run cut by the runner's own timeout.
# Under L0: L0 refusing its guest (not an arm64 Image: L0 fails on its own
# console and through pvpanic, QEMU exits 1). Each ends with status 1 and
# the name of the stage that failed (and, under L0, L0's reason).
ok=1
# check NAME STAGE WHY RUNNER-ARGS...: the runner fails at STAGE, its reason
# containing WHY.
check() {
  local name=$1 stage=$2 why=$3 out rc
  shift 3
  out=$("$ROOT/scripts/kvm-in-kvm.sh" --name "kik-fail-$name" "$@" 2>&1)
  rc=$?
  if [ $rc -eq 1 ] && grep -F "FAILED at stage '$stage'" <<<"$out" | grep -qF -- "$why"; then
    echo "kvm-in-kvm-failures: $name: $(grep -F 'FAILED at stage' <<<"$out" | sed 's/^\[kik\] //') ok"
  else
    echo "kvm-in-kvm-failures: $name: status $rc, expected 1 and a failure at '$stage' ($why) BAD"
    tail -n 20 <<<"$out"
    ok=0
  fi
}
check l2-timeout "L2 up smp=1" "timeout after 2s" --bare \
  --l1-append "console=ttyAMA0 panic=-1 rdinit=/init kik.l2smp=1 kik.l2timeout=2"
check l1-panic "L1 init" "L1 kernel panic" --bare --l1-append "console=ttyAMA0 panic=-1 rdinit=/no-such-init"
check runner-timeout "L1 kernel started" "timeout after 1s" --bare --timeout 1
notimage=$BUILD/kik-not-an-image
head -c 4096 /dev/zero >"$notimage"
check l0-refuses "L1 kernel started" "L0 failed: L0| cpu0 ERROR: L0 error: guest kernel is not an arm64 Image" \
  --l1-kernel "$notimage" --timeout 60
grep -qx 'L0| FAILED: setup error' "$LOGS/kik-fail-l0-refuses.l0.log" || { echo "no 'L0| FAILED' on L0's console"; ok=0; }
[ $ok = 1 ]
