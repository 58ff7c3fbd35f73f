# The `kvm-in-kvm` scenario under L0 (the default of ./scripts/run.sh):
# Debian's 6.12 kernel with KVM in VHE mode starts at virtual EL2 and, with
# QEMU/KVM, runs the same kernel as L2 with 1 and then 2 vCPUs; each L2
# checks its memory, timer and interrupts workload and powers off; L1 powers
# off. Checked from L1's console (stages, markers) and from L0's own console
# (its verdict, L2's exits counted, the shadow stage 2 used); see kik_check
# in scripts/lib.sh. Logs: build/logs/kvm-in-kvm*.
kik_check kvm-in-kvm kvm-in-kvm --timeout 600
