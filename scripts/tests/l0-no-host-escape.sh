# No guest can reach the host or fake the verdict (docs/security.md). test-l2
# in `hostile` mode, as L0's guest, tries Arm semihosting (create and write a
# host file, run a host command, end QEMU with status 42) and prints lines
# that pose as L0's ("L0| FAILED: panic", forged counters and power-off).
# 1. Control, with semihosting on: the one run that enables it, because the
#    guest is our own payload and the point is to show its calls are real
#    (the file appears, QEMU exits 42).
# 2. The main job's configuration (scripts/lib.sh QEMU_BOARD, no
#    semihosting): no host file, QEMU exits 0 after L0's own power-off, the
#    forged lines appear only on the guest's console, and L0's verdict (read
#    from L0's UART only) and counters are the real ones.
ok=1
f=$BUILD/escape-probe
hostile() { # LOG QEMU_ARGS...
  local log=$1; shift
  rm -f "$f" "$f.system"
  qemu_run "$log" 30 -m 512M -smp 2 -kernel "$IMG/el2.bin" -append l0.nested=off \
    -device guest-loader,addr=$TEST_L2_ADDR,kernel="$IMG/test-l2.bin",bootargs="hostile $f" "$@"
}
log=$LOGS/l0-no-host-escape-control.log
hostile "$log" -semihosting-config enable=on,target=native
rc=$?
if [ $rc -eq 42 ] && [ -e "$f" ] && [ -e "$f.system" ]; then
  echo "control (semihosting on): QEMU exit $rc, host files created: the payload's calls are real"
else
  echo "control failed: with semihosting on, expected exit 42 and $f(.system) (rc=$rc)"; tail_log "$log"; ok=0
fi
log=$LOGS/l0-no-host-escape.log
hostile "$log"
rc=$?
l0=$(l0_log "$log")
[ $rc -eq 0 ] || { echo "QEMU exit status $rc (want 0: L0's power-off)"; ok=0; }
[ ! -e "$f" ] && [ ! -e "$f.system" ] || { echo "a host file was created by the guest"; ok=0; }
expect "$log" "test-l2: hostile: SYS_OPEN -> refused" "test-l2: hostile: SYS_SYSTEM -> refused" \
  "test-l2: hostile: SYS_EXIT -> refused" "test-l2: hostile: still running after SYS_EXIT" \
  "L0| FAILED: panic" "L0| cpu0 exits all: total=1 hvc=1" "test-l2: all ok" || ok=0
expect_not "$l0" "L0| FAILED" "total=1 hvc=1" || ok=0
l0_verdict "$log" || ok=0
total=$(sed -nE 's/^L0\| cpu0 exits all: total=([0-9]+).*/\1/p' "$l0" | tail -n 1)
[ "${total:-0}" -gt 1000 ] || { echo "L0's own counters missing or implausible (total=${total:-none})"; ok=0; }
echo "main-job configuration: QEMU exit $rc, no host file, L0's counters total=${total:-none}," \
  "forged L0 lines only on the guest console"
rm -f "$f" "$f.system"
[ $ok = 1 ] || tail_log "$log"
[ $ok = 1 ]
