# `kvm-in-kvm-nvhe` on bare QEMU: as kvm-in-kvm-bare, with L1 booted with
# kvm-arm.mode=nvhe, so L1's KVM runs its hypervisor part at EL2 with E2H=0.
name=kvm-in-kvm-nvhe-bare
"$ROOT/scripts/kvm-in-kvm.sh" kvm-in-kvm-nvhe --bare --timeout 600 --name $name
rc=$?
log=$LOGS/$name.log
ok=1
[ $rc -eq 0 ] || { echo "runner status $rc"; ok=0; }
expect "$log" "CPU: All CPU(s) started at EL2" "kvm [1]: Hyp nVHE mode initialized successfully" \
  "kvm-in-kvm: L1 KVM ready: /dev/kvm, Hyp nVHE mode" "L2| l2: up nproc 1" "kvm-in-kvm: L2 off smp=1 rc=0 ok" \
  "L2| l2: up nproc 2" "kvm-in-kvm: L2 off smp=2 rc=0 ok" "kvm-in-kvm: L1 done: 2 L2 run(s) ok" || ok=0
expect_not "$log" "kvm-in-kvm: FAIL" "Kernel panic" "BAD" "kvm [1]: VHE mode initialized" || ok=0
[ $ok = 1 ] || tail_log "$log"
[ $ok = 1 ]
