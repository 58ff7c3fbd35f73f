# The kvm-in-kvm runner reports failures as such, on bare QEMU: an L2 that
# cannot reach its marker within L1's per-run timeout (2 s), an L1 kernel
# that panics (no init), and a whole run cut by the runner's own timeout
# each end with status 1 and the name of the stage that failed.
ok=1
# check NAME STAGE RUNNER-ARGS...: the runner fails at STAGE.
check() {
  local name=$1 stage=$2 out rc
  shift 2
  out=$("$ROOT/scripts/kvm-in-kvm.sh" --bare --name "kik-fail-$name" "$@" 2>&1)
  rc=$?
  if [ $rc -eq 1 ] && grep -qF "FAILED at stage '$stage'" <<<"$out"; then
    echo "kvm-in-kvm-failures: $name: $(grep -F 'FAILED at stage' <<<"$out" | sed 's/^\[kik\] //') ok"
  else
    echo "kvm-in-kvm-failures: $name: status $rc, expected 1 and a failure at '$stage' BAD"
    tail -n 20 <<<"$out"
    ok=0
  fi
}
check l2-timeout "L2 up smp=1" --l1-append "console=ttyAMA0 panic=-1 rdinit=/init kik.l2smp=1 kik.l2timeout=2"
check l1-panic "L1 init" --l1-append "console=ttyAMA0 panic=-1 rdinit=/no-such-init"
check runner-timeout "L1 kernel started" --timeout 1
[ $ok = 1 ]
