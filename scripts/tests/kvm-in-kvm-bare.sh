# The `kvm-in-kvm` scenario on bare QEMU (no L0; L1 at real EL2): Debian's
# 6.12 kernel with KVM in VHE mode as L1 runs the same kernel as L2 with
# QEMU/KVM, with 1 and then 2 vCPUs; each L2 checks its memory, timer and
# interrupts workload and powers off; L1 powers off. The reference the
# under-L0 run is compared to. The runner checks every stage
# (scripts/kvm-in-kvm.sh); this test checks the markers again in the logs.
name=kvm-in-kvm-bare
"$ROOT/scripts/kvm-in-kvm.sh" kvm-in-kvm --bare --timeout 600 --name $name
rc=$?
log=$LOGS/$name.log
ok=1
[ $rc -eq 0 ] || { echo "runner status $rc"; ok=0; }
expect "$log" "CPU: All CPU(s) started at EL2" "kvm [1]: VHE mode initialized successfully" \
  "kvm-in-kvm: L1 KVM ready: /dev/kvm" "L2| l2: up nproc 1" "kvm-in-kvm: L2 off smp=1 rc=0 ok" \
  "L2| l2: up nproc 2" "kvm-in-kvm: L2 off smp=2 rc=0 ok" "kvm-in-kvm: L1 done: 2 L2 run(s) ok" || ok=0
grep -qE '^L2\| l2: workload md5 96995b58d4cbf6aaa9041b4f00c7f6ae ok, irqs cpu0=\+[0-9]+ cpu1=\+[0-9]+ elapsed [0-9.]+s ok$' "$log" ||
  { echo "no good 2-vCPU L2 workload line"; ok=0; }
expect_not "$log" "kvm-in-kvm: FAIL" "Kernel panic" "BAD" || ok=0
[ $ok = 1 ] || tail_log "$log"
[ $ok = 1 ]
