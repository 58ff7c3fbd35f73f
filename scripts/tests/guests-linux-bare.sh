# The Debian kernel with the `linux` scenario initramfs on bare QEMU (no L0),
# 2 CPUs: both CPUs come up, their timer interrupts tick, and the guest powers
# off (QEMU exits 0). The baseline the L0 run of the same guest is compared to.
initrd=$IMG/linux-initramfs.cpio.gz
log=$LOGS/guests-linux-bare.log
if ! "$ROOT/scripts/mk-initramfs.sh" "$initrd" linux; then
  echo "mk-initramfs.sh failed"
  false
else
  t0=$(date +%s%N)
  qemu_run "$log" 60 -m 1G -smp 2 -kernel "$CACHE/Image" -initrd "$initrd" \
    -append "console=ttyAMA0 panic=-1 rdinit=/init"
  rc=$?
  echo "guests-linux-bare: qemu rc=$rc, $(( ($(date +%s%N) - t0) / 1000000 )) ms wall," \
    "$(grep -m1 -o 'All CPU(s) started at EL[0-9]' "$log" || echo 'boot EL unknown')"
  grep -F 'linux-scenario: timer' "$log" || true
  if [ $rc -eq 0 ] &&
    expect "$log" "linux-scenario: start" "linux-scenario: nproc 2" \
      "linux-scenario: timer irqs in 1s: cpu0=+" "linux-scenario: done" &&
    grep -qE '^linux-scenario: timer irqs in 1s: cpu0=\+[0-9]+ cpu1=\+[0-9]+ ok$' "$log" &&
    expect_not "$log" "Kernel panic" "BAD"; then
    true
  else
    echo "qemu rc=$rc"
    tail_log "$log"
    false
  fi
fi
