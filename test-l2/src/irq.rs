//! Interrupt checks through L0's virtual GIC: more SGIs pending than there
//! are list registers, the EL1 virtual and physical timers, and an SGI to a
//! second vCPU started with PSCI CPU_ON (which then turns itself off).
//!
//! The guest drives the GICv3 as on hardware: system-register CPU interface,
//! distributor and redistributor MMIO (emulated by L0).

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use rt::psci::{fid, Conduit};

/// GICv3 frames on QEMU virt (the guest DTB describes the same addresses).
const GICD: usize = 0x0800_0000;
const GICR: usize = 0x080A_0000;
const GICR_FRAME: usize = 0x2_0000;
const GICR_WAKER: usize = 0x14;
const GICR_SGI_ISENABLER0: usize = 0x1_0100;
const GICR_SGI_ICENABLER0: usize = 0x1_0180;
const GICD_CTLR_ARE_G1: u32 = (1 << 4) | (1 << 1);
/// INTIDs: the EL1 virtual timer PPI and the EL1 physical timer PPI.
const VTIMER: u32 = 27;
const PTIMER: u32 = 30;
/// SGIs used by the burst check (more than the 4 list registers) and the
/// cross-vCPU check.
const BURST: core::ops::RangeInclusive<u32> = 1..=8;
const CROSS_SGI: u32 = 5;
const SPURIOUS: u32 = 1020;
/// The PL031 RTC L0 passes through (QEMU virt: 0x0901_0000, SPI 2 = INTID 34),
/// and its registers (PrimeCell PL031 TRM 3.3): data, match, control,
/// interrupt mask, interrupt clear.
const RTC: usize = 0x0901_0000;
const RTC_DR: usize = 0x00;
const RTC_MR: usize = 0x04;
const RTC_CR: usize = 0x0C;
const RTC_IMSC: usize = 0x10;
const RTC_ICR: usize = 0x1C;
const RTC_INTID: u32 = 34;
/// GICD registers used to give the RTC's SPI to vCPU 0.
const GICD_ISENABLER: usize = 0x100;
const GICD_IROUTER: usize = 0x6000;
/// Interrupts taken at or above 32 (SPIs), counted apart.
static SPI_SEEN: AtomicU32 = AtomicU32::new(0);

/// Interrupts taken, by INTID (below 32), per vCPU.
static SEEN: [[AtomicU32; 32]; 2] = [const { [const { AtomicU32::new(0) }; 32] }; 2];
static SECONDARY_READY: AtomicBool = AtomicBool::new(false);
/// The RTC handler completes the interrupt before clearing the device.
static RTC_ACK_FIRST: AtomicBool = AtomicBool::new(false);

fn cpu() -> usize {
    (rt::sysreg::read!("MPIDR_EL1") & 0xff) as usize % 2
}

fn seen(cpu: usize, i: u32) -> u32 {
    SEEN[cpu][i as usize].load(Ordering::SeqCst)
}

/// Acknowledges and handles every pending interrupt (called from the IRQ vector).
pub fn handle() {
    let c = cpu();
    loop {
        let i = rt::sysreg::read!("ICC_IAR1_EL1") as u32 & 0xff_ffff;
        if i >= SPURIOUS {
            return;
        }
        match i {
            // Level-triggered timers: silence the source before EOI.
            VTIMER => rt::sysreg::write!("CNTV_CTL_EL0", 0),
            PTIMER => rt::sysreg::write!("CNTP_CTL_EL0", 0),
            RTC_INTID if RTC_ACK_FIRST.load(Ordering::SeqCst) => {
                // As some drivers (and a public hypervisor test suite) do:
                // complete the interrupt first, clear the device after. The
                // line is still high at the EOI, so the interrupt fires again
                // at once; it is gone when the device is cleared, and bare
                // hardware then delivers nothing more.
                SPI_SEEN.fetch_add(1, Ordering::SeqCst);
                rt::sysreg::write!("ICC_EOIR1_EL1", u64::from(i));
                let _ = wait_for(5, || false);
                crate::probe::write32(RTC + RTC_IMSC, 0);
                crate::probe::write32(RTC + RTC_ICR, 1);
                continue;
            }
            RTC_INTID => {
                crate::probe::write32(RTC + RTC_IMSC, 0);
                crate::probe::write32(RTC + RTC_ICR, 1);
                SPI_SEEN.fetch_add(1, Ordering::SeqCst);
            }
            _ => {}
        }
        if i < 32 {
            SEEN[c][i as usize].fetch_add(1, Ordering::SeqCst);
        }
        rt::sysreg::write!("ICC_EOIR1_EL1", u64::from(i));
    }
}

fn irqs_on() {
    // SAFETY: unmasking IRQs at EL1; the vector table handles them.
    unsafe { core::arch::asm!("msr daifclr, #2", options(nostack)) };
}
fn irqs_off() {
    // SAFETY: masking IRQs has no memory effect.
    unsafe { core::arch::asm!("msr daifset, #2", options(nostack)) };
}

fn now() -> u64 {
    rt::sysreg::isb();
    rt::sysreg::read!("CNTVCT_EL0")
}

/// Spins until `cond` holds or `ms` milliseconds pass; true if it held.
fn wait_for(ms: u64, cond: impl Fn() -> bool) -> bool {
    let end = now() + rt::sysreg::read!("CNTFRQ_EL0") / 1000 * ms;
    while now() < end {
        if cond() {
            return true;
        }
        core::hint::spin_loop();
    }
    cond()
}

/// This vCPU's GIC: CPU interface on, its redistributor awake, SGIs and the
/// two timer PPIs enabled.
fn init_this_cpu() {
    rt::sysreg::write!("ICC_SRE_EL1", rt::sysreg::read!("ICC_SRE_EL1") | 1);
    rt::sysreg::isb();
    rt::sysreg::write!("ICC_PMR_EL1", 0xff);
    rt::sysreg::write!("ICC_BPR1_EL1", 0);
    rt::sysreg::write!("ICC_CTLR_EL1", 0);
    rt::sysreg::write!("ICC_IGRPEN1_EL1", 1);
    rt::sysreg::isb();
    let r = GICR + cpu() * GICR_FRAME;
    crate::probe::write32(r + GICR_WAKER, 0);
    crate::probe::write32(
        r + GICR_SGI_ISENABLER0,
        0xffff | (1 << VTIMER) | (1 << PTIMER),
    );
}

/// ICC_SGI1R_EL1 value sending SGI `intid` to the vCPU with Aff0 = `target` (Aff1-3 = 0).
fn sgi1r(intid: u32, target: usize) -> u64 {
    (u64::from(intid) << 24) | (1 << target)
}

fn burst(t: &mut crate::Tally) {
    let c = cpu();
    irqs_off();
    for i in BURST {
        rt::sysreg::write!("ICC_SGI1R_EL1", sgi1r(i, c));
    }
    rt::sysreg::isb();
    let early = BURST.map(|i| seen(c, i)).sum::<u32>();
    irqs_on();
    let all = wait_for(200, || BURST.clone().all(|i| seen(c, i) >= 1));
    irqs_off();
    let n = BURST.count() as u32;
    let taken = BURST.map(|i| seen(c, i)).sum::<u32>();
    let ok = early == 0 && all && taken == n;
    rt::println!(
        "test-l2: irq sgi-burst sent {n} (more than the list registers), taken {taken} {}",
        t.verdict(ok)
    );
}

fn timer(t: &mut crate::Tally, name: &str, intid: u32, arm: fn(u64)) {
    let c = cpu();
    let ticks = rt::sysreg::read!("CNTFRQ_EL0") / 1000;
    let mut got = 0;
    for _ in 0..3 {
        let before = seen(c, intid);
        arm(ticks);
        irqs_on();
        if wait_for(200, || seen(c, intid) > before) {
            got += 1;
        }
        irqs_off();
    }
    rt::println!(
        "test-l2: irq {name} timer fired {got}/3 {}",
        t.verdict(got == 3)
    );
}

fn arm_vtimer(ticks: u64) {
    rt::sysreg::write!("CNTV_CVAL_EL0", now() + ticks);
    rt::sysreg::write!("CNTV_CTL_EL0", 1);
}
fn arm_ptimer(ticks: u64) {
    rt::sysreg::isb();
    rt::sysreg::write!("CNTP_CVAL_EL0", rt::sysreg::read!("CNTPCT_EL0") + ticks);
    rt::sysreg::write!("CNTP_CTL_EL0", 1);
}

#[repr(C, align(16))]
struct Stack([u8; 16 * 1024]);
static mut SECONDARY_STACK: Stack = Stack([0; 16 * 1024]);

core::arch::global_asm!(
    ".section .text.secondary, \"ax\"",
    ".global test_l2_secondary",
    "test_l2_secondary:",
    "mov sp, x0",
    "bl {main}",
    "b .",
    main = sym secondary_main,
);

extern "C" fn secondary_main() -> ! {
    crate::exceptions::install();
    init_this_cpu();
    let before = seen(1, CROSS_SGI);
    SECONDARY_READY.store(true, Ordering::SeqCst);
    irqs_on();
    let got = wait_for(500, || seen(1, CROSS_SGI) > before);
    irqs_off();
    rt::println!("test-l2: vcpu1 took sgi {CROSS_SGI}: {got}, calling CPU_OFF");
    rt::psci::call(Conduit::Hvc, fid::CPU_OFF, 0, 0, 0);
    rt::println!("test-l2: vcpu1 CPU_OFF returned BAD");
    loop {
        core::hint::spin_loop();
    }
}

fn affinity(target: u64) -> i64 {
    rt::psci::call(Conduit::Hvc, fid::AFFINITY_INFO, target, 0, 0) as i64
}

fn cross_vcpu(t: &mut crate::Tally, round: u32) {
    extern "C" {
        fn test_l2_secondary();
    }
    if round == 1 {
        let again = rt::psci::call(Conduit::Hvc, fid::CPU_ON, 0, 0, 0) as i64;
        rt::println!(
            "test-l2: psci cpu_on(self) = {again} {}",
            t.verdict(again == rt::psci::ret::ALREADY_ON)
        );
    }
    SECONDARY_READY.store(false, Ordering::SeqCst);
    let before = seen(1, CROSS_SGI);
    let off = affinity(1);
    let top = core::ptr::addr_of_mut!(SECONDARY_STACK) as u64 + 16 * 1024;
    let r = rt::psci::call(
        Conduit::Hvc,
        fid::CPU_ON,
        1,
        test_l2_secondary as *const () as u64,
        top,
    ) as i64;
    let ready = r == 0 && wait_for(500, || SECONDARY_READY.load(Ordering::SeqCst));
    let on = affinity(1);
    rt::println!(
        "test-l2: round {round}: psci cpu_on(1) = {r}, affinity before {off} after {on}, vcpu1 ready {ready} {}",
        t.verdict(off == 1 && r == 0 && ready && on == 0)
    );
    rt::sysreg::write!("ICC_SGI1R_EL1", sgi1r(CROSS_SGI, 1));
    rt::sysreg::isb();
    let got = wait_for(500, || seen(1, CROSS_SGI) > before);
    let gone = wait_for(500, || affinity(1) == 1);
    rt::println!(
        "test-l2: round {round}: irq cross-vcpu sgi taken {got}, vcpu1 off again {gone} {}",
        t.verdict(got && gone)
    );
}

/// A passed-through device interrupt end to end: the PL031's alarm (match
/// register one second ahead) raises SPI 34, which L0 injects hardware-linked.
fn rtc_alarm(t: &mut crate::Tally) {
    crate::probe::write64(GICD + GICD_IROUTER + 8 * RTC_INTID as usize, 0);
    crate::probe::write32(
        GICD + GICD_ISENABLER + 4 * (RTC_INTID as usize / 32),
        1 << (RTC_INTID % 32),
    );
    crate::probe::write32(RTC + RTC_CR, 1);
    crate::probe::write32(RTC + RTC_ICR, 1);
    let before = SPI_SEEN.load(Ordering::SeqCst);
    let now_s = crate::probe::read32(RTC + RTC_DR);
    crate::probe::write32(RTC + RTC_MR, now_s.wrapping_add(1));
    crate::probe::write32(RTC + RTC_IMSC, 1);
    irqs_on();
    let got = wait_for(3000, || SPI_SEEN.load(Ordering::SeqCst) > before);
    irqs_off();
    rt::println!(
        "test-l2: irq rtc alarm (passed-through SPI {RTC_INTID}) taken {got} {}",
        t.verdict(got)
    );
}

/// The same alarm with the handler acknowledging and completing the
/// interrupt before it clears the device: exactly one interrupt, as on bare
/// hardware (the pending state of a passed-through level-triggered
/// interrupt follows its line).
fn rtc_ack_before_clear(t: &mut crate::Tally) {
    RTC_ACK_FIRST.store(true, Ordering::SeqCst);
    crate::probe::write32(RTC + RTC_ICR, 1);
    let before = SPI_SEEN.load(Ordering::SeqCst);
    let now_s = crate::probe::read32(RTC + RTC_DR);
    crate::probe::write32(RTC + RTC_MR, now_s.wrapping_add(1));
    crate::probe::write32(RTC + RTC_IMSC, 1);
    irqs_on();
    let got = wait_for(3000, || SPI_SEEN.load(Ordering::SeqCst) > before);
    // Give a second (spurious) delivery every chance to show up.
    let _ = wait_for(300, || false);
    irqs_off();
    RTC_ACK_FIRST.store(false, Ordering::SeqCst);
    let n = SPI_SEEN.load(Ordering::SeqCst) - before;
    rt::println!(
        "test-l2: irq rtc ack-before-clear taken {n} time(s) {}",
        t.verdict(got && n == 1)
    );
}

/// An SGI the guest disabled (GICR_ICENABLER0) stays pending and is
/// delivered only once the guest enables it again.
fn sgi_disabled(t: &mut crate::Tally) {
    const SGI: u32 = 9;
    let c = cpu();
    let r = GICR + c * GICR_FRAME;
    crate::probe::write32(r + GICR_SGI_ICENABLER0, 1 << SGI);
    let before = seen(c, SGI);
    rt::sysreg::write!("ICC_SGI1R_EL1", sgi1r(SGI, c));
    rt::sysreg::isb();
    irqs_on();
    let early = wait_for(50, || seen(c, SGI) > before);
    crate::probe::write32(r + GICR_SGI_ISENABLER0, 1 << SGI);
    let late = wait_for(200, || seen(c, SGI) > before);
    irqs_off();
    rt::println!(
        "test-l2: irq disabled sgi taken while disabled {early}, after enable {late} {}",
        t.verdict(!early && late)
    );
}

/// PSCI edge cases: CPU_ON with an entry point outside the guest's RAM is
/// INVALID_ADDRESS (and the CPU stays off); the SMC32 CPU_ON ignores the
/// upper halves of its arguments; a second CPU_ON right after a successful
/// one is ALREADY_ON.
fn psci_edges(t: &mut crate::Tally) {
    extern "C" {
        fn test_l2_secondary();
    }
    const INVALID_ADDRESS: i64 = -9;
    const CPU_ON_SMC32: u32 = 0x8400_0003;
    let top = core::ptr::addr_of_mut!(SECONDARY_STACK) as u64 + 16 * 1024;
    let bad = rt::psci::call(Conduit::Hvc, fid::CPU_ON, 1, 0x4000_0000, top) as i64;
    let still_off = affinity(1) == 1;
    rt::println!(
        "test-l2: psci cpu_on(1, entry in L0 memory) = {bad}, still off {still_off} {}",
        t.verdict(bad == INVALID_ADDRESS && still_off)
    );
    SECONDARY_READY.store(false, Ordering::SeqCst);
    let before = seen(1, CROSS_SGI);
    let junk = 0xdead_0000_0000_0000u64;
    let r = rt::psci::call(
        Conduit::Hvc,
        CPU_ON_SMC32,
        junk | 1,
        junk | test_l2_secondary as *const () as u64,
        junk | top,
    ) as u32 as i32;
    let again = rt::psci::call(
        Conduit::Hvc,
        fid::CPU_ON,
        1,
        test_l2_secondary as *const () as u64,
        top,
    ) as i64;
    let ready = r == 0 && wait_for(500, || SECONDARY_READY.load(Ordering::SeqCst));
    rt::println!(
        "test-l2: psci cpu_on32(1) with upper bits set = {r}, cpu_on again = {again}, vcpu1 ready {ready} {}",
        t.verdict(r == 0 && again == rt::psci::ret::ALREADY_ON && ready)
    );
    rt::sysreg::write!("ICC_SGI1R_EL1", sgi1r(CROSS_SGI, 1));
    rt::sysreg::isb();
    let got = wait_for(500, || seen(1, CROSS_SGI) > before);
    let gone = wait_for(500, || affinity(1) == 1);
    rt::println!(
        "test-l2: psci smc32 vcpu1 took sgi {got}, off again {gone} {}",
        t.verdict(got && gone)
    );
}

/// INTIDs the guest does not own: SPI 3 (PCIe INTA on QEMU virt, not passed
/// through) and L0's maintenance-interrupt PPI 25.
const UNOWNED_SPI: u32 = 35;
const L0_MAINT_PPI: u32 = 25;
const GICD_ICENABLER: usize = 0x180;
const GICD_IPRIORITYR: usize = 0x400;

/// The guest tries to take interrupts it does not own through the emulated
/// distributor and redistributor: enable every SPI of a word, disable every
/// SGI/PPI (including L0's maintenance PPI), set a priority. Only its own
/// INTIDs may change; the later checks need L0's maintenance interrupt.
fn gic_isolation(t: &mut crate::Tally) {
    let word = GICD + GICD_ISENABLER + 4 * (UNOWNED_SPI as usize / 32);
    crate::probe::write32(word, u32::MAX);
    let en = crate::probe::read32(word);
    crate::probe::write32(
        GICD + GICD_ICENABLER + 4 * (UNOWNED_SPI as usize / 32),
        u32::MAX,
    );
    let spi_ok = en & (1 << (UNOWNED_SPI % 32)) == 0 && en & (1 << (RTC_INTID % 32)) != 0;
    crate::probe::write8(GICD + GICD_IPRIORITYR + UNOWNED_SPI as usize, 0x10);
    let prio = crate::probe::read8(GICD + GICD_IPRIORITYR + UNOWNED_SPI as usize);
    let r = GICR + cpu() * GICR_FRAME;
    crate::probe::write32(r + GICR_SGI_ICENABLER0, u32::MAX);
    crate::probe::write32(r + GICR_SGI_ISENABLER0, u32::MAX);
    let ppi = crate::probe::read32(r + GICR_SGI_ISENABLER0);
    let ppi_ok = ppi & (1 << L0_MAINT_PPI) == 0 && ppi & (1 << VTIMER) != 0;
    rt::println!(
        "test-l2: gic isolation: spi {UNOWNED_SPI} enable {} priority {prio:#x}, ppi {L0_MAINT_PPI} enable {} {}",
        (en >> (UNOWNED_SPI % 32)) & 1,
        (ppi >> L0_MAINT_PPI) & 1,
        t.verdict(spi_ok && prio == 0 && ppi_ok)
    );
}

/// A redistributor frame past the last vCPU (QEMU virt's GICR region has room
/// for 123) must read as zero, and L0 must survive the access.
fn gicr_beyond_vcpus(t: &mut crate::Tally) {
    const GICR_TYPER: usize = 0x8;
    const FRAME: usize = 3;
    let v = crate::probe::read64(GICR + FRAME * GICR_FRAME + GICR_TYPER);
    crate::probe::write32(GICR + FRAME * GICR_FRAME + GICR_WAKER, 0);
    rt::println!(
        "test-l2: gicr frame {FRAME} (no such vCPU) typer = {v:#x} {}",
        t.verdict(v == 0)
    );
}

/// Runs the interrupt checks.
pub fn run(t: &mut crate::Tally) {
    crate::probe::write32(GICD, GICD_CTLR_ARE_G1);
    init_this_cpu();
    gic_isolation(t);
    gicr_beyond_vcpus(t);
    init_this_cpu();
    burst(t);
    timer(t, "virtual", VTIMER, arm_vtimer);
    timer(t, "physical", PTIMER, arm_ptimer);
    // Twice: the second CPU_ON re-enters a CPU that has been off.
    cross_vcpu(t, 1);
    cross_vcpu(t, 2);
    psci_edges(t);
    sgi_disabled(t);
    rtc_alarm(t);
    rtc_ack_before_clear(t);
}
