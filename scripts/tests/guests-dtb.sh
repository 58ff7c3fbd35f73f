# Guest DTBs the guests crate builds from our QEMU DTBs (guests/testdata)
# pass every dtc check without a warning (QEMU's own DTBs do not: its
# guest-loader module nodes draw reg_format/unit_address warnings), and
# decompile to what the guest must see.
out=$BUILD/guests-dtb
rm -rf "$out"
fail=0
if ! (cd "$ROOT" && GUESTS_DTB_OUT="$out" cargo test -q -p guests --lib dump_for_dtc >"$LOGS/guests-dtb.log" 2>&1); then
  echo "cargo test dump_for_dtc failed"; cat "$LOGS/guests-dtb.log"; fail=1
fi
n=0
for f in "$out"/*.guest.dtb; do
  [ -e "$f" ] || continue
  n=$((n + 1))
  dts=${f%.dtb}.dts
  if ! dtc -I dtb -O dts -o "$dts" "$f" 2>"$dts.warn" || [ -s "$dts.warn" ]; then
    echo "dtc on $(basename "$f"):"; cat "$dts.warn"; fail=1; continue
  fi
  expect "$dts" 'method = "hvc";' 'compatible = "arm,psci-1.0\0arm,psci-0.2";' 'enable-method = "psci";' \
    'memory@44000000 {' 'compatible = "arm,gic-v3";' 'compatible = "arm,armv8-timer\0arm,armv7-timer";' || fail=1
  expect_not "$dts" multiboot its@ pcie@ flash@ fw-cfg@ pl061@ gpio-keys platform-bus rng-seed 'memory@40000000' || fail=1
done
[ "$n" -eq 4 ] || { echo "expected 4 guest DTBs, got $n"; fail=1; }
dts=$out/virt-gicv3-initrd.guest.dts
[ -e "$dts" ] && { expect "$dts" 'linux,initrd-start = <0x00 0x49000000>;' 'stdout-path = "/pl011@9000000";' || fail=1; }
dts=$out/virt-gicv3-none.guest.dts
[ -e "$dts" ] && { expect_not "$dts" pl011@ pl031@ virtio_mmio@ apb-pclk cpu@1 stdout-path || fail=1; }
[ $fail -eq 0 ]
