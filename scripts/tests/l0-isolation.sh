# The guest cannot read or write L0's memory: each access gets a synchronous
# external abort injected, L0 logs it and keeps running, the guest goes on
# (its later checks and SYSTEM_OFF still happen).
log=$LOGS/l0-isolation.log
scenario_test_l2 "$log" 30
rc=$?
ok=1
[ $rc -eq 0 ] || { echo "qemu exit status $rc"; ok=0; }
l0=$(l0_log "$log")
expect "$log" "test-l2: l0-memory read -> abort" "test-l2: l0-memory write -> abort" \
  "test-l2: continued after the aborts" "test-l2: all ok" || ok=0
expect "$l0" "guest read at IPA 0x40000000" "guest write at IPA 0x40000000" "external abort injected" \
  "dabt-fault=" || ok=0
# L0 survived the aborts: it logged them and later powered off cleanly.
l0_verdict "$log" || ok=0
[ $ok = 1 ] || tail_log "$log"
[ $ok = 1 ]
