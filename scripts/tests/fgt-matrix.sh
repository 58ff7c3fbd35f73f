# fgt-matrix: every defined bit of every trap-control register (the list in
# fgt/src/arch.rs, independent of the fgt table), alone on top of a
# configuration that traps nothing, against every system-register and
# system-instruction encoding (op0 1..3 at EL1, op1 = 3 at EL0), on bare
# QEMU with MTE on; QEMU decides what traps, fgt's prediction must agree.
# Passes with 0 differ, every check agreeing, at least 95% of the table's
# encodings exercised, and the committed floors below (so that a runner that
# silently stops trapping or trying bits fails): they are this machine's
# figures rounded down and are raised by a deliberate commit.
MIN_CHECKS=21000000     # measured 21,406,315
MIN_TRAP_CHECKS=15500   # measured 15,873 (fgt predicts a trap and QEMU takes it)
MIN_BITS_TRIED=430      # measured 439 of 663 (the rest listed with the reason)
log=$LOGS/fgt-matrix.log
qemu_run "$log" 300 -m 512M -M virt,virtualization=on,gic-version=3,mte=on \
  -kernel "$IMG/test-l1.bin" -append fgt-matrix
rc=$?
line=$(grep -E '^fgt-matrix: [0-9]+ checks, [0-9]+ agree, [0-9]+ differ$' "$log" | tail -n 1)
echo "${line:-fgt-matrix: no result line}"
grep -E '^fgt-matrix: (bits:|table:|known QEMU deviation:|not checkable:|[0-9]+ s$|[0-9]+ trap checks)' "$log"
read -r checks agree differ < <(echo "$line" | sed -E 's/^fgt-matrix: ([0-9]+) checks, ([0-9]+) agree, ([0-9]+) differ$/\1 \2 \3/')
traps=$(sed -nE 's/^fgt-matrix: ([0-9]+) trap checks.*/\1/p' "$log" | tail -n 1)
tried=$(sed -nE 's/^fgt-matrix: bits: [0-9]+ defined in [0-9]+ register layouts, ([0-9]+) tried alone.*/\1/p' "$log" | tail -n 1)
read -r exercised total < <(sed -nE 's/^fgt-matrix: table: ([0-9]+) of ([0-9]+) encodings exercised.*/\1 \2/p' "$log" | tail -n 1)
ok=1
[ $rc -eq 0 ] || { echo "qemu exit status $rc"; ok=0; }
[ -n "$line" ] && [ "${differ:-1}" -eq 0 ] && [ "${agree:-0}" -eq "${checks:-1}" ] || ok=0
[ "${checks:-0}" -ge $MIN_CHECKS ] || { echo "fewer than $MIN_CHECKS checks"; ok=0; }
[ "${traps:-0}" -ge $MIN_TRAP_CHECKS ] || { echo "fewer than $MIN_TRAP_CHECKS trap checks"; ok=0; }
[ "${tried:-0}" -ge $MIN_BITS_TRIED ] || { echo "fewer than $MIN_BITS_TRIED bits tried"; ok=0; }
[ $(( ${exercised:-0} * 100 )) -ge $(( ${total:-1} * 95 )) ] || { echo "table encodings exercised below 95%"; ok=0; }
[ "$(grep -c '^fgt-matrix: known QEMU deviation:' "$log")" -ge 3 ] || { echo "known QEMU deviations not listed"; ok=0; }
expect "$log" "test-l1: done rc=0" || ok=0
if [ $ok != 1 ]; then
  grep 'fgt-matrix: DIFF' "$log" | head -n 40
  tail_log "$log"
fi
[ $ok = 1 ]
