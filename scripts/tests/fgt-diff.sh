# fgt-diff: test-l1 at EL2 on bare QEMU checks the fgt crate's trap
# predictions against QEMU's FEAT_FGT and coarse traps, one access at a time.
# Passes with 0 differ and at least 2000 checks.
log=$LOGS/fgt-diff.log
qemu_run "$log" 100 -m 512M -kernel "$IMG/test-l1.bin" -append fgt-diff
rc=$?
line=$(grep -E '^fgt-diff: [0-9]+ checks, [0-9]+ agree, [0-9]+ differ$' "$log" | tail -n 1)
echo "${line:-fgt-diff: no result line}"
grep -E '^fgt-diff: [0-9]+ skipped' "$log" | tail -n 1
read -r checks agree differ < <(echo "$line" | sed -E 's/^fgt-diff: ([0-9]+) checks, ([0-9]+) agree, ([0-9]+) differ$/\1 \2 \3/')
if [ $rc -eq 0 ] && [ -n "$line" ] && [ "${differ:-1}" -eq 0 ] && [ "${checks:-0}" -ge 2000 ] \
  && [ "${agree:-0}" -eq "${checks:-0}" ] && expect "$log" "test-l1: done rc=0"; then
  true
else
  echo "qemu rc=$rc"; grep 'fgt-diff: DIFF' "$log" | head -n 20; tail_log "$log"; false
fi
