# fgt-diff: test-l1 at EL2 on bare QEMU checks the fgt crate's trap
# predictions against QEMU's FEAT_FGT and coarse traps, one access at a time,
# over the whole table and every encoding outside it. Runs on the standard
# board and once more with MTE on (so the MTE registers and DC G* ops are
# exercised too). Each run passes with 0 differ and at least 8000 checks.
fgt_diff_one() {
  local tag=$1; shift
  local log=$LOGS/fgt-diff$tag.log rc line checks agree differ
  qemu_run "$log" 100 -m 512M -kernel "$IMG/test-l1.bin" -append fgt-diff "$@"
  rc=$?
  line=$(grep -E '^fgt-diff: [0-9]+ checks, [0-9]+ agree, [0-9]+ differ$' "$log" | tail -n 1)
  echo "${line:-fgt-diff: no result line}${tag:+ ($tag)}"
  grep -E '^fgt-diff: [0-9]+ skipped' "$log" | tail -n 1
  read -r checks agree differ < <(echo "$line" | sed -E 's/^fgt-diff: ([0-9]+) checks, ([0-9]+) agree, ([0-9]+) differ$/\1 \2 \3/')
  if [ $rc -eq 0 ] && [ -n "$line" ] && [ "${differ:-1}" -eq 0 ] && [ "${checks:-0}" -ge 8000 ] \
    && [ "${agree:-0}" -eq "${checks:-0}" ] && expect "$log" "test-l1: done rc=0"; then
    return 0
  fi
  echo "qemu rc=$rc"; grep 'fgt-diff: DIFF' "$log" | head -n 20; tail_log "$log"
  return 1
}
fgt_diff_one "" && fgt_diff_one "-mte" -M virt,virtualization=on,gic-version=3,mte=on
