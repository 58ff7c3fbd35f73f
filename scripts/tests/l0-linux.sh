# The `linux` scenario: L0 runs Debian's arm64 kernel with a busybox
# initramfs as a 2-vCPU VM; both CPUs come up, every CPU's timer interrupt
# count rises, init powers off through PSCI and QEMU exits 0.
log=$LOGS/l0-linux.log
scenario_linux "$log" 240
rc=$?
ok=1
[ $rc -eq 0 ] || { echo "qemu exit status $rc"; ok=0; }
l0=$(l0_log "$log")
expect "$log" "${LINUX_MARKERS[@]}" || ok=0
expect "$l0" "L0| cpu0 exits all:" "mem: heap" || ok=0
l0_verdict "$log" || ok=0
grep -q "linux-scenario: timer irqs in 1s:.* ok$" "$log" || { echo "timer interrupts did not rise on every CPU"; ok=0; }
expect_not "$log" "Kernel panic" || ok=0
expect_not "$l0" "undefined sysreg" "unhandled exit" || ok=0
grep "linux-scenario: timer" "$log"; grep "exits all" "$l0"
[ $ok = 1 ] || tail_log "$log"
[ $ok = 1 ]
