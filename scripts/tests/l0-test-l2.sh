# L0 runs test-l2 at EL1: hypercalls (PSCI, vendor counters call), emulated
# GIC distributor MMIO, interrupts through the vGIC (8 SGIs pending at once
# with 4 list registers, the EL1 virtual and physical timers, an SGI to a
# second vCPU started by CPU_ON that then calls CPU_OFF, the passed-through
# RTC alarm SPI), that GICD/GICR writes cannot reach interrupts the guest does
# not own (an unrouted SPI, L0's maintenance PPI), that 20,000 random GIC
# accesses (seed printed) leave L0 answering, and PSCI SYSTEM_OFF
# through L0 (QEMU exit 0).
log=$LOGS/l0-test-l2.log
scenario_test_l2 "$log" 30
rc=$?
ok=1
[ $rc -eq 0 ] || { echo "qemu exit status $rc"; ok=0; }
expect "$log" "test-l2: start at EL1" "test-l2: hvc psci_version" "test-l2: mmio gicd" \
  "test-l2: irq sgi-burst sent 8 (more than the list registers), taken 8 ok" \
  "test-l2: irq virtual timer fired 3/3 ok" "test-l2: irq physical timer fired 3/3 ok" \
  "test-l2: psci cpu_on(self) = -4 ok" "test-l2: round 1: irq cross-vcpu sgi taken true, vcpu1 off again true ok" \
  "test-l2: round 2: irq cross-vcpu sgi taken true, vcpu1 off again true ok" \
  "test-l2: irq rtc alarm (passed-through SPI 34) taken true ok" \
  "test-l2: gic isolation: spi 35 enable 0 priority 0x0, ppi 25 enable 0 ok" \
  "test-l2: gicr frame 3 (no such vCPU) typer = 0x0 ok" \
  "random accesses, L0 still answers" \
  "test-l2: all ok" || ok=0
expect "$(l0_log "$log")" "L0| cpu0 exits all:" "mem: heap" || ok=0
l0_verdict "$log" || ok=0
expect_not "$log" "BAD" "PANIC" || ok=0
[ $ok = 1 ] || tail_log "$log"
[ $ok = 1 ]
