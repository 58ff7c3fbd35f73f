# `kvm-in-kvm-nvhe` under L0: as kvm-in-kvm, with L1 booted with
# kvm-arm.mode=nvhe (its KVM runs its hypervisor part at EL2 with E2H=0) on
# the nVHE-only virtual EL2 L0 gives with l0.vel2=nvhe (kvm-in-kvm.sh adds
# it for this scenario). Logs: build/logs/kvm-in-kvm-nvhe*.
kik_check kvm-in-kvm-nvhe kvm-in-kvm-nvhe --timeout 600
