//! GICv3 as test-l1 drives it at EL2: the distributor (once), this CPU's
//! redistributor and system-register CPU interface, the interrupt handler
//! shared by the current-EL IRQ vector and L2's IRQ exits, and the virtual
//! CPU interface registers (list registers) a hypervisor programs (GICv3
//! IHI 0069 chapters 11, 12).

use super::hw;
use super::world::{cpu, NIRQ};

/// PPIs the suite uses (QEMU virt's timer and maintenance PPIs; the DTB's
/// `arm,armv8-timer` and GIC nodes give the same numbers).
pub mod intid {
    /// Virtual CPU interface maintenance interrupt.
    pub const MAINT: u32 = 25;
    /// EL2 physical timer (CNTHP).
    pub const HPTIMER: u32 = 26;
    /// EL1 virtual timer (CNTV), L2's.
    pub const VTIMER: u32 = 27;
    /// EL2 virtual timer (CNTHV).
    pub const HVTIMER: u32 = 28;
    /// EL1 physical timer (CNTP).
    pub const PTIMER: u32 = 30;
}

static mut GICD: usize = 0x0800_0000;
static mut GICR: usize = 0x080a_0000;
const GICR_STRIDE: usize = 0x2_0000;

fn rd(a: usize) -> u32 {
    // SAFETY: `a` is a GIC register (distributor or redistributor frame the
    // DTB names), mapped as device memory.
    unsafe { core::ptr::read_volatile(a as *const u32) }
}
fn wr(a: usize, v: u32) {
    // SAFETY: as in `rd`.
    unsafe { core::ptr::write_volatile(a as *mut u32, v) }
}

/// Sets the frame addresses (from the DTB).
pub fn set_bases(gicd: usize, gicr: usize) {
    // SAFETY: written once by the boot CPU before any other CPU starts.
    unsafe {
        GICD = gicd;
        GICR = gicr;
    }
}

fn gicd() -> usize {
    // SAFETY: read-only after `set_bases`.
    unsafe { GICD }
}

/// This CPU's redistributor frame (matched by GICR_TYPER.Affinity).
fn my_gicr() -> usize {
    let mpidr = rt::sysreg::read!("S3_0_C0_C0_5");
    let aff = (mpidr & 0xff_ffff) | ((mpidr >> 8) & 0xff00_0000);
    // SAFETY: read-only after `set_bases`.
    let base = unsafe { GICR };
    for i in 0..8 {
        let f = base + i * GICR_STRIDE;
        let typer = u64::from(rd(f + 8)) | (u64::from(rd(f + 12)) << 32);
        if typer >> 32 == aff {
            return f;
        }
        if typer & (1 << 4) != 0 {
            break; // Last
        }
    }
    base
}

/// Distributor: affinity routing, group 1 enabled (boot CPU, once).
pub fn init_dist() {
    let d = gicd();
    wr(d, (1 << 4) | (1 << 1));
}

/// This CPU's redistributor and CPU interface: awake, PPIs the suite uses
/// in group 1 at priority 0x80 and enabled, ICC_* on with priority mask
/// open and EOImode 0.
pub fn init_cpu() {
    let r = my_gicr();
    // GICR_WAKER.ProcessorSleep = 0, wait for ChildrenAsleep = 0.
    wr(r + 0x14, rd(r + 0x14) & !2);
    hw::wait_until(100, || rd(r + 0x14) & 4 == 0);
    let sgi = r + 0x1_0000;
    wr(sgi + 0x80, 0xffff_ffff); // IGROUPR0: all group 1
    for i in [
        intid::MAINT,
        intid::HPTIMER,
        intid::VTIMER,
        intid::HVTIMER,
        intid::PTIMER,
    ] {
        let p = sgi + 0x400 + i as usize;
        // SAFETY: GICR_IPRIORITYR is byte-accessible (IHI 0069 12.10.16).
        unsafe { core::ptr::write_volatile(p as *mut u8, 0x80) };
    }
    let mask = (1 << intid::MAINT)
        | (1 << intid::HPTIMER)
        | (1 << intid::VTIMER)
        | (1 << intid::HVTIMER)
        | (1 << intid::PTIMER);
    wr(sgi + 0x100, mask); // ISENABLER0
                           // ICC_SRE_EL2: SRE and Enable (lower ELs may use ICC_SRE_EL1).
    hw::el2::set_icc_sre(hw::el2::icc_sre() | 0x9);
    rt::sysreg::isb();
    rt::sysreg::write!("S3_0_C4_C6_0", 0xff); // ICC_PMR_EL1
    rt::sysreg::write!("S3_0_C12_C12_3", 0); // ICC_BPR1_EL1
    rt::sysreg::write!("S3_0_C12_C12_4", 0); // ICC_CTLR_EL1: EOImode 0
    rt::sysreg::write!("S3_0_C12_C12_7", 1); // ICC_IGRPEN1_EL1
    rt::sysreg::isb();
    hw::el2::set_ich_hcr(0);
    for n in 0..4 {
        set_lr(n, 0);
    }
    rt::sysreg::isb();
}

/// Acknowledges and handles every pending interrupt at EL2 (from the
/// current-EL IRQ vector, or after an L2 IRQ exit). Timer interrupts have
/// their timer disabled or masked, maintenance interrupts their enable
/// bits cleared and EOI'd list registers freed, so nothing fires again by
/// itself (Arm ARM D12.8, level-sensitive timer outputs).
pub fn handle_irqs(via: u64) {
    let c = cpu();
    c.irq_via = via;
    loop {
        let iar = rt::sysreg::read!("S3_0_C12_C12_0"); // ICC_IAR1_EL1
        let id = (iar & 0xff_ffff) as u32;
        if id >= 1020 {
            break;
        }
        if (id as usize) < NIRQ {
            c.irqs[id as usize] += 1;
        }
        match id {
            intid::HPTIMER => {
                c.timer_istatus[id as usize] = hw::el2::cnthp_ctl() & 4 != 0;
                hw::el2::set_cnthp_ctl(0);
            }
            intid::HVTIMER => {
                c.timer_istatus[id as usize] = hw::el2::cnthv_ctl() & 4 != 0;
                hw::el2::set_cnthv_ctl(0);
            }
            intid::VTIMER => {
                let ctl = hw::el1::cntv_ctl();
                c.timer_istatus[id as usize] = ctl & 4 != 0;
                hw::el1::set_cntv_ctl(ctl | 2);
            }
            intid::PTIMER => {
                let ctl = hw::el1::cntp_ctl();
                c.timer_istatus[id as usize] = ctl & 4 != 0;
                hw::el1::set_cntp_ctl(ctl | 2);
            }
            intid::MAINT => {
                c.misr = hw::el2::ich_misr();
                c.eisr = hw::el2::ich_eisr();
                let eisr = c.eisr;
                for n in 0..16 {
                    if eisr & (1 << n) != 0 {
                        set_lr(n, 0);
                    }
                }
                // Clear every maintenance enable (UIE, LRENPIE, NPIE,
                // VGrp0EIE, VGrp0DIE, VGrp1EIE, VGrp1DIE).
                hw::el2::set_ich_hcr(hw::el2::ich_hcr() & !0xfe);
            }
            _ => {}
        }
        rt::sysreg::isb();
        rt::sysreg::write!("S3_0_C12_C12_1", iar); // ICC_EOIR1_EL1
    }
    rt::sysreg::isb();
}

/// Clears the interrupt counters of this CPU.
pub fn clear_log() {
    let c = cpu();
    c.irqs = [0; NIRQ];
    c.timer_istatus = [false; NIRQ];
    c.misr = 0;
    c.eisr = 0;
    c.irq_via = 0;
}

/// ICH_LR<n>_EL2.
pub fn lr(n: usize) -> u64 {
    match n {
        0 => rt::sysreg::read!("S3_4_C12_C12_0"),
        1 => rt::sysreg::read!("S3_4_C12_C12_1"),
        2 => rt::sysreg::read!("S3_4_C12_C12_2"),
        3 => rt::sysreg::read!("S3_4_C12_C12_3"),
        4 => rt::sysreg::read!("S3_4_C12_C12_4"),
        5 => rt::sysreg::read!("S3_4_C12_C12_5"),
        6 => rt::sysreg::read!("S3_4_C12_C12_6"),
        7 => rt::sysreg::read!("S3_4_C12_C12_7"),
        _ => 0,
    }
}

/// Writes ICH_LR<n>_EL2 (n < 8; others are ignored).
pub fn set_lr(n: usize, v: u64) {
    match n {
        0 => rt::sysreg::write!("S3_4_C12_C12_0", v),
        1 => rt::sysreg::write!("S3_4_C12_C12_1", v),
        2 => rt::sysreg::write!("S3_4_C12_C12_2", v),
        3 => rt::sysreg::write!("S3_4_C12_C12_3", v),
        4 => rt::sysreg::write!("S3_4_C12_C12_4", v),
        5 => rt::sysreg::write!("S3_4_C12_C12_5", v),
        6 => rt::sysreg::write!("S3_4_C12_C12_6", v),
        7 => rt::sysreg::write!("S3_4_C12_C12_7", v),
        _ => {}
    }
}

/// A pending group-1 virtual interrupt with HW = 0 (IHI 0069 12.5.9):
/// State = pending, Group = 1, priority `prio`, `eoi` asks for an EOI
/// maintenance interrupt when L2 deactivates it.
pub fn lr_pending(vintid: u32, prio: u8, eoi: bool) -> u64 {
    (1 << 62)
        | (1 << 60)
        | (u64::from(prio) << 48)
        | if eoi { 1 << 41 } else { 0 }
        | u64::from(vintid)
}

/// Resets the virtual CPU interface (all LRs free, ICH_HCR_EL2 = 0).
pub fn vgic_reset() {
    hw::el2::set_ich_hcr(0);
    for n in 0..4 {
        set_lr(n, 0);
    }
    hw::el2::set_ich_vmcr(0);
    hw::el2::set_ich_ap1r0(0);
    rt::sysreg::isb();
}
