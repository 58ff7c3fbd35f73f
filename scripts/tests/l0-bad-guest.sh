# Bad input gets a clear L0 error on L0's own console and a failure exit
# (QEMU status 1, through the pvpanic device L0 keeps), never a hang:
# a missing guest module, a file that is not an arm64 Image, a module inside
# L0's memory, a module where QEMU put its DTB, and a malformed DTB.
ok=1
check() { # NAME EXPECTED_MESSAGE QEMU_ARGS...
  local name=$1 msg=$2; shift 2
  local log=$LOGS/l0-bad-guest-$name.log
  qemu_run "$log" 15 -m 512M "$@"
  local rc=$?
  local l0; l0=$(l0_log "$log")
  if [ $rc -eq 1 ] && expect "$l0" "L0 error:" "$msg" "L0| FAILED: setup error"; then
    echo "ok: $name -> exit $rc: $(grep -m1 'L0 error' "$l0" | cut -c1-150)"
  else
    echo "FAIL: $name (exit $rc, expected 1 and '$msg' on L0's console)"; tail_log "$log"; ok=0
  fi
}
junk=$BUILD/junk.bin
head -c 4096 /dev/urandom > "$junk"
check missing "no guest kernel" -kernel "$IMG/el2.bin"
check not-image "not an arm64 Image" -kernel "$IMG/el2.bin" -device guest-loader,addr=$TEST_L2_ADDR,kernel="$junk"
check in-l0-memory "outside guest RAM" -kernel "$IMG/el2.bin" -device guest-loader,addr=0x41000000,kernel="$IMG/test-l2.bin"
check on-boot-dtb "overlaps the DTB" -kernel "$IMG/el2.bin" -device guest-loader,addr=0x48000000,kernel="$IMG/test-l2.bin"
# DTBs QEMU accepts with -dtb (it checks the structure itself) but that lack
# what L0 needs. QEMU's dumpdtb output has no cpu nodes; the second one gets a
# cpu node back and loses its GICv3 (renamed to an unknown compatible).
bad=$BUILD/bad
qemu-system-aarch64 "${QEMU_BOARD[@]}" -serial null -serial null -m 512M -machine dumpdtb="$bad.dtb" >/dev/null 2>&1
dtc -q -I dtb -O dts "$bad.dtb" | sed '/^\tcpus {/,/^\t};/{/^\t\tcpu@/,/^\t\t};/d}' | dtc -q -I dts -O dtb -o "$bad-nocpu.dtb"
check dtb-no-cpus "DTB has no usable cpu nodes" -kernel "$IMG/el2.bin" -dtb "$bad-nocpu.dtb" \
  -device guest-loader,addr=$TEST_L2_ADDR,kernel="$IMG/test-l2.bin"
dtc -q -I dtb -O dts "$bad-nocpu.dtb" | sed 's/"arm,gic-v3"/"arm,gic-v9-unknown"/' \
  | sed 's/^\t\tcpu-map {/\t\tcpu@0 { device_type = "cpu"; compatible = "arm,cortex-a57"; reg = <0>; enable-method = "psci"; };\n\t\tcpu-map {/' \
  | dtc -q -I dts -O dtb -o "$bad-nogic.dtb"
check dtb-no-gic "DTB has no usable arm,gic-v3 node" -kernel "$IMG/el2.bin" -dtb "$bad-nogic.dtb" \
  -device guest-loader,addr=$TEST_L2_ADDR,kernel="$IMG/test-l2.bin"
[ $ok = 1 ]
