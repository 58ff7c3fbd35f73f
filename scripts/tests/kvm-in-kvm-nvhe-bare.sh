# `kvm-in-kvm-nvhe` on bare QEMU: as kvm-in-kvm-bare, with L1 booted with
# kvm-arm.mode=nvhe, so L1's KVM runs its hypervisor part at EL2 with E2H=0.
kik_check kvm-in-kvm-nvhe-bare kvm-in-kvm-nvhe --bare --timeout 600
