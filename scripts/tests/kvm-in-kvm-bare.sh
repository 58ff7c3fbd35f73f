# The `kvm-in-kvm` scenario on bare QEMU (no L0; L1 at real EL2): Debian's
# 6.12 kernel with KVM in VHE mode as L1 runs the same kernel as L2 with
# QEMU/KVM, with 1 and then 2 vCPUs; each L2 checks its memory, timer and
# interrupts workload and powers off; L1 powers off. The reference the
# under-L0 run (kvm-in-kvm) is compared to; see kik_check in scripts/lib.sh.
kik_check kvm-in-kvm-bare kvm-in-kvm --bare --timeout 600
