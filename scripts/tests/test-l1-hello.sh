# test-l1 boots at EL2 on bare QEMU and powers off cleanly.
log=$LOGS/test-l1-hello.log
qemu_run "$log" 20 -m 512M -kernel "$IMG/test-l1.bin" -append hello
rc=$?
[ $rc -eq 0 ] && expect "$log" "test-l1: start at EL2" "test-l1: done rc=0" || { echo "qemu rc=$rc"; tail_log "$log"; false; }
