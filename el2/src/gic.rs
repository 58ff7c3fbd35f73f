//! L0's driver for the physical GICv3 (Arm IHI 0069): distributor set-up on
//! the boot CPU, redistributor wake-up and the system-register CPU interface
//! on each CPU. Physical interrupts are Group 1 NS, taken at EL2 through
//! HCR_EL2.IMO; EOImode=1 splits priority drop from deactivation so that a
//! guest's EOI of a hardware-linked virtual interrupt deactivates it.

use core::sync::atomic::{AtomicU64, Ordering};

/// GICD register offsets (IHI 0069, 12.9).
pub mod gicd {
    pub const CTLR: u64 = 0x0000;
    pub const TYPER: u64 = 0x0004;
    pub const IGROUPR: u64 = 0x0080;
    pub const ISENABLER: u64 = 0x0100;
    pub const ICENABLER: u64 = 0x0180;
    pub const ISPENDR: u64 = 0x0200;
    pub const ICPENDR: u64 = 0x0280;
    pub const ISACTIVER: u64 = 0x0300;
    pub const ICACTIVER: u64 = 0x0380;
    pub const IPRIORITYR: u64 = 0x0400;
    pub const ICFGR: u64 = 0x0C00;
    pub const IROUTER: u64 = 0x6000;
    pub const CTLR_RWP: u32 = 1 << 31;
    pub const CTLR_ARE_NS: u32 = 1 << 4;
    pub const CTLR_ENABLE_G1: u32 = 1 << 1;
}

/// GICR register offsets (IHI 0069, 12.10/12.11); SGI_base frame at +64 KiB.
pub mod gicr {
    pub const TYPER: u64 = 0x0008;
    pub const WAKER: u64 = 0x0014;
    pub const SGI_BASE: u64 = 0x1_0000;
    pub const FRAME_SIZE: u64 = 0x2_0000;
    pub const TYPER_LAST: u64 = 1 << 4;
    pub const WAKER_PROCESSOR_SLEEP: u32 = 1 << 1;
    pub const WAKER_CHILDREN_ASLEEP: u32 = 1 << 2;
}

/// Default priority for every interrupt (lower is more urgent).
pub const DEFAULT_PRIO: u8 = 0xa0;
/// First SPI and the spurious INTIDs.
pub const SPI_BASE: u32 = 32;
const SPURIOUS_MIN: u32 = 1020;

static GICD: AtomicU64 = AtomicU64::new(0);
static GICR: AtomicU64 = AtomicU64::new(0);

/// MMIO read of a 32-bit GIC register.
pub fn read32(addr: u64) -> u32 {
    // SAFETY: `addr` lies in a GIC register frame from the DTB, mapped as device memory at EL2.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}
/// MMIO write of a 32-bit GIC register.
pub fn write32(addr: u64, v: u32) {
    // SAFETY: as for `read32`.
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}
/// MMIO read of a 64-bit GIC register.
pub fn read64(addr: u64) -> u64 {
    // SAFETY: as for `read32`.
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}
/// MMIO write of a 64-bit GIC register.
pub fn write64(addr: u64, v: u64) {
    // SAFETY: as for `read32`.
    unsafe { core::ptr::write_volatile(addr as *mut u64, v) }
}
/// MMIO byte read/write (IPRIORITYR is byte-accessible).
pub fn read8(addr: u64) -> u8 {
    // SAFETY: as for `read32`.
    unsafe { core::ptr::read_volatile(addr as *const u8) }
}
pub fn write8(addr: u64, v: u8) {
    // SAFETY: as for `read32`.
    unsafe { core::ptr::write_volatile(addr as *mut u8, v) }
}

pub fn gicd_base() -> u64 {
    GICD.load(Ordering::Relaxed)
}
pub fn gicr_base() -> u64 {
    GICR.load(Ordering::Relaxed)
}

/// Number of INTIDs the distributor implements (GICD_TYPER.ITLinesNumber).
pub fn nr_irqs() -> u32 {
    let n = (read32(gicd_base() + gicd::TYPER) & 0x1f) + 1;
    (n * 32).min(1020)
}

fn wait_rwp() {
    while read32(gicd_base() + gicd::CTLR) & gicd::CTLR_RWP != 0 {
        core::hint::spin_loop();
    }
}

/// Boot CPU: all SPIs Group 1 NS, default priority, disabled; affinity
/// routing on.
pub fn init_distributor(gicd_addr: u64, gicr_addr: u64) {
    GICD.store(gicd_addr, Ordering::Relaxed);
    GICR.store(gicr_addr, Ordering::Relaxed);
    let d = gicd_addr;
    write32(d + gicd::CTLR, 0);
    wait_rwp();
    let n = nr_irqs();
    for i in (SPI_BASE..n).step_by(32) {
        let w = u64::from(i / 32) * 4;
        write32(d + gicd::IGROUPR + w, !0);
        write32(d + gicd::ICENABLER + w, !0);
        write32(d + gicd::ICPENDR + w, !0);
        write32(d + gicd::ICACTIVER + w, !0);
    }
    for i in SPI_BASE..n {
        write8(d + gicd::IPRIORITYR + u64::from(i), DEFAULT_PRIO);
    }
    write32(d + gicd::CTLR, gicd::CTLR_ARE_NS | gicd::CTLR_ENABLE_G1);
    wait_rwp();
}

/// The redistributor frame whose GICR_TYPER affinity matches `mpidr`.
pub fn redist_for(mpidr: u64) -> Option<u64> {
    let aff = ((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xff_ffff);
    let mut f = gicr_base();
    for _ in 0..512 {
        let t = read64(f + gicr::TYPER);
        if t >> 32 == aff {
            return Some(f);
        }
        if t & gicr::TYPER_LAST != 0 {
            return None;
        }
        f += gicr::FRAME_SIZE;
    }
    None
}

/// Each CPU: wake its redistributor, make SGIs/PPIs Group 1, enable the
/// system-register interface for EL2 and EL1, and unmask all priorities.
/// Returns this CPU's redistributor frame.
pub fn init_cpu(mpidr: u64, l0_ppis: &[u32]) -> Option<u64> {
    let r = redist_for(mpidr)?;
    let w = read32(r + gicr::WAKER) & !gicr::WAKER_PROCESSOR_SLEEP;
    write32(r + gicr::WAKER, w);
    while read32(r + gicr::WAKER) & gicr::WAKER_CHILDREN_ASLEEP != 0 {
        core::hint::spin_loop();
    }
    let s = r + gicr::SGI_BASE;
    write32(s + gicd::IGROUPR, !0);
    write32(s + gicd::ICENABLER, !0);
    write32(s + gicd::ICACTIVER, !0);
    for i in 0..32 {
        write8(s + gicd::IPRIORITYR + i, DEFAULT_PRIO);
    }
    // L0 uses all SGIs (guest SGIs are virtual) and its own PPIs.
    let mut en = 0xffffu32;
    for &p in l0_ppis {
        en |= 1 << p;
    }
    write32(s + gicd::ISENABLER, en);
    // ICC_SRE_EL2: SRE, DFB, DIB, Enable (lower ELs may use the sysreg interface).
    rt::sysreg::write!("ICC_SRE_EL2", 0xf);
    rt::sysreg::isb();
    rt::sysreg::write!("ICC_PMR_EL1", 0xff);
    rt::sysreg::write!("ICC_BPR1_EL1", 0);
    // ICC_CTLR_EL1.EOImode = 1: EOIR drops priority, DIR deactivates.
    rt::sysreg::write!("ICC_CTLR_EL1", 1 << 1);
    rt::sysreg::write!("ICC_IGRPEN1_EL1", 1);
    rt::sysreg::isb();
    Some(r)
}

/// Acknowledges the highest-priority pending interrupt, or None if spurious.
pub fn ack() -> Option<u32> {
    let i = rt::sysreg::read!("ICC_IAR1_EL1") as u32 & 0xff_ffff;
    (i < SPURIOUS_MIN).then_some(i)
}

/// Priority drop (EOImode=1: does not deactivate).
pub fn eoi(intid: u32) {
    rt::sysreg::write!("ICC_EOIR1_EL1", u64::from(intid));
}

/// Deactivation.
pub fn deactivate(intid: u32) {
    rt::sysreg::write!("ICC_DIR_EL1", u64::from(intid));
}

/// Sends physical SGI `intid` to the CPU with affinity `mpidr` (Aff0 < 16).
pub fn send_sgi(mpidr: u64, intid: u32) {
    let aff1 = (mpidr >> 8) & 0xff;
    let aff2 = (mpidr >> 16) & 0xff;
    let aff3 = (mpidr >> 32) & 0xff;
    let list = 1u64 << (mpidr & 0xf);
    let v = (aff3 << 48) | (aff2 << 32) | (u64::from(intid & 0xf) << 24) | (aff1 << 16) | list;
    rt::sysreg::dsb_sy();
    rt::sysreg::write!("ICC_SGI1R_EL1", v);
    rt::sysreg::isb();
}
