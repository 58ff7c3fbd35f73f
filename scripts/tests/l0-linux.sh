# The `linux` scenario: L0 runs Debian's arm64 kernel with a busybox
# initramfs as a 2-vCPU VM; both CPUs come up, every CPU's timer interrupt
# count rises, init powers off through PSCI and QEMU exits 0.
log=$LOGS/l0-linux.log
scenario_linux "$log" 240
rc=$?
ok=1
[ $rc -eq 0 ] || { echo "qemu exit status $rc"; ok=0; }
expect "$log" "${LINUX_MARKERS[@]}" "L0| cpu0 exits all:" "vgic: 0 interrupts dropped" "guest requested SYSTEM_OFF" || ok=0
grep -q "linux-scenario: timer irqs in 1s:.* ok$" "$log" || { echo "timer interrupts did not rise on every CPU"; ok=0; }
expect_not "$log" "Kernel panic" "PANIC" "FATAL" "undefined sysreg" "unhandled exit" || ok=0
grep "linux-scenario: timer" "$log"; grep "exits all" "$log"
[ $ok = 1 ] || tail_log "$log"
[ $ok = 1 ]
