# at-diff: AT instructions on bare QEMU (test-l1 at EL2) against the at-emul
# model, PAR_EL1 bit for bit. Passes with >= 10000 cases and 0 differ.
log=$LOGS/at-diff.log
qemu_run "$log" 120 -m 512M -kernel "$IMG/test-l1.bin" -append "at-diff cases=50000"
rc=$?
line=$(grep -E '^at-diff: [0-9]+ cases, [0-9]+ agree, [0-9]+ differ$' "$log" | tail -n 1)
if [ $rc -ne 0 ] || [ -z "$line" ]; then
  echo "qemu rc=$rc, no result line"; tail_log "$log"; false
else
  read -r n a d < <(echo "$line" | sed -E 's/^at-diff: ([0-9]+) cases, ([0-9]+) agree, ([0-9]+) differ$/\1 \2 \3/')
  echo "$line"
  grep -E '^at-diff: (per op|results|features|stage-. leaf|[0-9]+ S12|[0-9]+ hardware)' "$log"
  if [ "$n" -ge 10000 ] && [ "$d" -eq 0 ] && [ "$a" -eq "$n" ]; then
    expect "$log" "test-l1: done rc=0" || { tail_log "$log"; false; }
  else
    echo "at-diff: want >= 10000 cases, all agreeing"; tail_log "$log"; false
  fi
fi
