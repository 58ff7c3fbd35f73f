#!/usr/bin/env bash
# Regenerates the host DTBs the `guests` tests read, from our own QEMU runs of
# the board L0 runs on (see scripts/lib.sh). QEMU dumps a 1 MiB blob (its
# working buffer); `dtc -I dtb -O dtb` packs it to its contents without
# changing nodes, properties or phandles. The random /chosen rng-seed and
# kaslr-seed make each run's bytes differ; nothing in the tests depends on them.
#   guests/testdata/gen.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 4096 /dev/zero >"$tmp/kernel"
head -c 8192 /dev/zero >"$tmp/initrd"
dump() { # NAME MACHINE_OPTS EXTRA_ARGS...
  local name=$1 mopts=$2; shift 2
  timeout 30 qemu-system-aarch64 -M "virt,$mopts,dumpdtb=$tmp/$name.dtb" -cpu max -m 1G \
    -nographic "$@" >/dev/null
  dtc -q -I dtb -O dtb -o "$name.dtb" "$tmp/$name.dtb"
}
loader=(-device "guest-loader,addr=0x48000000,kernel=$tmp/kernel,bootargs=console=ttyAMA0")
# The board L0 runs on, with one guest kernel module.
dump virt-gicv3 virtualization=on,gic-version=3 -smp 2 "${loader[@]}"
# The same with an initrd module as well.
dump virt-gicv3-initrd virtualization=on,gic-version=3 -smp 2 "${loader[@]}" \
  -device "guest-loader,addr=0x49000000,initrd=$tmp/initrd"
# Secure world devices present (a secure-only PL011, secure RAM).
dump virt-gicv3-secure virtualization=on,secure=on,gic-version=3 -smp 2 "${loader[@]}"
# The board as the scripts run it: a second PL011 (L0's own console, serial1)
# and the pvpanic PCI device (L0's failure channel).
dump virt-gicv3-l0uart virtualization=on,gic-version=3 -smp 2 "${loader[@]}" \
  -serial null -serial null -device pvpanic-pci
# A GICv2 board: no GICv3 node, which the guest DTB builder must refuse.
dump virt-gicv2 virtualization=on,gic-version=2 -smp 2 "${loader[@]}"
ls -l ./*.dtb
