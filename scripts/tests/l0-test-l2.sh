# L0 runs test-l2 at EL1 (one boot, one test): hypercalls (PSCI, vendor
# counters call), emulated GIC distributor MMIO, interrupts through the vGIC
# (8 SGIs pending at once with 4 list registers, the EL1 virtual and physical
# timers, an SGI to a second vCPU started by CPU_ON that then calls CPU_OFF,
# the passed-through RTC alarm SPI), that GICD/GICR writes cannot reach
# interrupts the guest does not own (an unrouted SPI, L0's maintenance PPI),
# that 20,000 random GIC accesses (seed printed) leave L0 answering; and
# isolation: the guest's reads and writes of L0's memory each get a
# synchronous external abort injected, L0 logs it and keeps running, the
# guest goes on; then PSCI SYSTEM_OFF through L0 (QEMU exit 0). (This used
# to be two tests, l0-test-l2 and l0-isolation, passing off the same boot.)
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
  "test-l2: l0-memory read -> abort" "test-l2: l0-memory write -> abort" \
  "guest read at IPA 0x40000000" "guest write at IPA 0x40000000" "external abort injected" \
  "dabt-fault=2" \
  "test-l2: all ok" "L0| cpu0 exits all:" "vgic: 0 interrupts dropped" "guest requested SYSTEM_OFF" || ok=0
expect_not "$log" "BAD" "PANIC" "FATAL" || ok=0
# The aborts come before the end of the run: L0 survived them.
a=$(grep -n "l0-memory write -> abort" "$log" | head -1 | cut -d: -f1)
b=$(grep -n "guest requested SYSTEM_OFF" "$log" | head -1 | cut -d: -f1)
[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || { echo "abort not followed by a clean power-off"; ok=0; }
[ $ok = 1 ] || tail_log "$log"
[ $ok = 1 ]
