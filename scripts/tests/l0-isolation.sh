# The guest cannot read or write L0's memory: each access gets a synchronous
# external abort injected, L0 logs it and keeps running, the guest goes on
# (its later checks and SYSTEM_OFF still happen).
log=$LOGS/l0-isolation.log
scenario_test_l2 "$log" 30
rc=$?
ok=1
[ $rc -eq 0 ] || { echo "qemu exit status $rc"; ok=0; }
expect "$log" "test-l2: l0-memory read -> abort" "test-l2: l0-memory write -> abort" \
  "guest read at IPA 0x40000000" "guest write at IPA 0x40000000" "external abort injected" \
  "test-l2: all ok" "dabt-fault=2" || ok=0
# The aborts come before the end of the run: L0 survived them.
a=$(grep -n "l0-memory write -> abort" "$log" | head -1 | cut -d: -f1)
b=$(grep -n "guest requested SYSTEM_OFF" "$log" | head -1 | cut -d: -f1)
[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || { echo "abort not followed by a clean power-off"; ok=0; }
[ $ok = 1 ] || tail_log "$log"
[ $ok = 1 ]
