//! L0's driver for the physical GICv3 (Arm IHI 0069): distributor set-up on
//! the boot CPU, redistributor wake-up and the system-register CPU interface
//! on each CPU, and the register access the vGIC forwards ([`GicHw`]).
//! Physical interrupts are Group 1 NS, taken at EL2 through HCR_EL2.IMO;
//! EOImode=1 splits priority drop from deactivation so that a guest's EOI
//! of a hardware-linked virtual interrupt deactivates it.

use el2::vgic::{gicd, gicr, GicHw, DEFAULT_PRIO, SPI_BASE};
use el2::MAX_CPUS;

/// The first spurious INTID (1020..1023 are special).
const SPURIOUS_MIN: u32 = 1020;
/// Redistributor frames L0 looks through for a CPU's affinity.
const MAX_FRAMES: usize = 512;

/// The physical distributor and the redistributor frames of the VM's
/// CPUs. Every access is bounded to these frames, so no offset a guest
/// controls can make L0 touch anything else.
pub struct PhysGic {
    gicd: u64,
    gicr: u64,
    /// Redistributor frame (RD_base) of each CPU, in DTB order.
    frames: [u64; MAX_CPUS],
    ncpus: usize,
}

/// # Safety
/// `addr` is a naturally aligned register in a GIC frame, mapped as device
/// memory at EL2.
unsafe fn read32(addr: u64) -> u32 {
    // SAFETY: the caller's contract.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}
/// # Safety
/// As for [`read32`].
unsafe fn write32(addr: u64, v: u32) {
    // SAFETY: the caller's contract.
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}
/// # Safety
/// As for [`read32`], 8-byte aligned.
unsafe fn read64(addr: u64) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}
/// # Safety
/// As for [`read64`].
unsafe fn write64(addr: u64, v: u64) {
    // SAFETY: the caller's contract.
    unsafe { core::ptr::write_volatile(addr as *mut u64, v) }
}
/// # Safety
/// As for [`read32`], for a byte-accessible register (IPRIORITYR).
unsafe fn read8(addr: u64) -> u8 {
    // SAFETY: the caller's contract.
    unsafe { core::ptr::read_volatile(addr as *const u8) }
}
/// # Safety
/// As for [`read8`].
unsafe fn write8(addr: u64, v: u8) {
    // SAFETY: the caller's contract.
    unsafe { core::ptr::write_volatile(addr as *mut u8, v) }
}

impl PhysGic {
    /// The GIC whose distributor is at `gicd` and redistributor region at
    /// `gicr`, with the frames of `cpus` (MPIDR affinities, DTB order).
    /// Returns None when a CPU has no redistributor frame.
    ///
    /// # Safety
    /// `gicd` and `gicr` must be the GIC's frames from the DTB, mapped as
    /// device memory at EL2.
    pub unsafe fn new(gicd: u64, gicr: u64, cpus: &[u64]) -> Result<PhysGic, u64> {
        let mut g = PhysGic {
            gicd,
            gicr,
            frames: [0; MAX_CPUS],
            ncpus: cpus.len().min(MAX_CPUS),
        };
        for (i, &mpidr) in cpus.iter().take(MAX_CPUS).enumerate() {
            g.frames[i] = g.find_frame(mpidr).ok_or(mpidr)?;
        }
        Ok(g)
    }

    /// The redistributor frame whose GICR_TYPER affinity matches `mpidr`.
    fn find_frame(&self, mpidr: u64) -> Option<u64> {
        let aff = ((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xff_ffff);
        let mut f = self.gicr;
        for _ in 0..MAX_FRAMES {
            // SAFETY: `f` walks the redistributor region frame by frame and
            // stops at the frame marked Last.
            let t = unsafe { read64(f + gicr::TYPER) };
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

    fn dist(&self, off: u64, size: u64) -> Option<u64> {
        (off.is_multiple_of(size) && off + size <= gicd::SIZE).then_some(self.gicd + off)
    }

    fn redist(&self, frame: usize, off: u64, size: u64) -> Option<u64> {
        (frame < self.ncpus && off.is_multiple_of(size) && off + size <= gicr::FRAME_SIZE)
            .then(|| self.frames[frame] + off)
    }

    /// Number of INTIDs the distributor implements (GICD_TYPER.ITLinesNumber).
    pub fn nr_irqs(&self) -> u32 {
        let n = (self.dist_read32(gicd::TYPER) & 0x1f) + 1;
        (n * 32).min(SPURIOUS_MIN)
    }

    fn wait_rwp(&self) {
        while self.dist_read32(gicd::CTLR) & gicd::CTLR_RWP != 0 {
            core::hint::spin_loop();
        }
    }

    /// Boot CPU: all SPIs Group 1 NS, default priority, disabled; affinity
    /// routing on.
    pub fn init_distributor(&self) {
        self.dist_write32(gicd::CTLR, 0);
        self.wait_rwp();
        let n = self.nr_irqs();
        for i in (SPI_BASE..n).step_by(32) {
            let w = u64::from(i / 32) * 4;
            self.dist_write32(gicd::IGROUPR + w, !0);
            self.dist_write32(gicd::ICENABLER + w, !0);
            self.dist_write32(gicd::ICPENDR + w, !0);
            self.dist_write32(gicd::ICACTIVER + w, !0);
        }
        for i in SPI_BASE..n {
            self.dist_write8(gicd::IPRIORITYR + u64::from(i), DEFAULT_PRIO);
        }
        self.dist_write32(gicd::CTLR, gicd::CTLR_ARE_NS | gicd::CTLR_ENABLE_G1);
        self.wait_rwp();
    }

    /// CPU `cpu`: wake its redistributor, make SGIs/PPIs Group 1, enable
    /// L0's SGIs and `l0_ppis`, enable the system-register interface for
    /// EL2 and EL1 and unmask all priorities.
    pub fn init_cpu(&self, cpu: usize, l0_ppis: &[u32]) {
        let w = self.redist_read32(cpu, gicr::WAKER) & !gicr::WAKER_PROCESSOR_SLEEP;
        self.redist_write32(cpu, gicr::WAKER, w);
        while self.redist_read32(cpu, gicr::WAKER) & gicr::WAKER_CHILDREN_ASLEEP != 0 {
            core::hint::spin_loop();
        }
        let s = gicr::SGI_BASE;
        self.redist_write32(cpu, s + gicd::IGROUPR, !0);
        self.redist_write32(cpu, s + gicd::ICENABLER, !0);
        self.redist_write32(cpu, s + gicd::ICACTIVER, !0);
        for i in 0..32 {
            self.redist_write8(cpu, s + gicd::IPRIORITYR + i, DEFAULT_PRIO);
        }
        // L0 uses all SGIs (guest SGIs are virtual) and its own PPIs.
        let en = l0_ppis.iter().fold(0xffffu32, |m, &p| m | (1 << (p % 32)));
        self.redist_write32(cpu, s + gicd::ISENABLER, en);
        // ICC_SRE_EL2: SRE, DFB, DIB, Enable (lower ELs may use the
        // system-register interface).
        rt::sysreg::write!("ICC_SRE_EL2", 0xf);
        rt::sysreg::isb();
        rt::sysreg::write!("ICC_PMR_EL1", 0xff);
        rt::sysreg::write!("ICC_BPR1_EL1", 0);
        // ICC_CTLR_EL1.EOImode = 1: EOIR drops priority, DIR deactivates.
        rt::sysreg::write!("ICC_CTLR_EL1", 1 << 1);
        rt::sysreg::write!("ICC_IGRPEN1_EL1", 1);
        rt::sysreg::isb();
    }

    /// Whether INTID `i` (an SPI) is pending: for a level-triggered
    /// interrupt, whether its line is asserted (GICD_ISPENDR).
    pub fn spi_pending(&self, i: u32) -> bool {
        self.dist_read32(gicd::ISPENDR + u64::from(i / 32) * 4) & (1 << (i % 32)) != 0
    }

    /// Whether PPI `i` is pending at CPU `cpu`'s redistributor (for the
    /// level-triggered timers: whether the line is asserted, GICR_ISPENDR0).
    pub fn ppi_pending(&self, cpu: usize, i: u32) -> bool {
        self.redist_read32(cpu, gicr::SGI_BASE + gicd::ISPENDR) & (1 << (i % 32)) != 0
    }

    /// Whether PPI `i` is active at CPU `cpu`'s redistributor
    /// (GICR_ISACTIVER0).
    pub fn ppi_active(&self, cpu: usize, i: u32) -> bool {
        self.redist_read32(cpu, gicr::SGI_BASE + gicd::ISACTIVER) & (1 << (i % 32)) != 0
    }

    /// Makes PPI `i` active at CPU `cpu`'s redistributor (GICR_ISACTIVER0):
    /// a context's interrupt that is still being handled comes back with it.
    pub fn ppi_set_active(&self, cpu: usize, i: u32) {
        self.redist_write32(cpu, gicr::SGI_BASE + gicd::ISACTIVER, 1 << (i % 32));
    }

    /// Whether SPI `i` is level-sensitive (GICD_ICFGR: 0b00 level, 0b10 edge).
    pub fn spi_level(&self, i: u32) -> bool {
        let w = self.dist_read32(gicd::ICFGR + u64::from(i / 16) * 4);
        (w >> (2 * (i % 16) + 1)) & 1 == 0
    }
}

impl GicHw for PhysGic {
    fn dist_read32(&self, off: u64) -> u32 {
        // SAFETY: `dist` bounds and aligns the offset within the distributor.
        self.dist(off, 4).map_or(0, |a| unsafe { read32(a) })
    }
    fn dist_write32(&self, off: u64, v: u32) {
        if let Some(a) = self.dist(off, 4) {
            // SAFETY: as above.
            unsafe { write32(a, v) }
        }
    }
    fn dist_read64(&self, off: u64) -> u64 {
        // SAFETY: as above.
        self.dist(off, 8).map_or(0, |a| unsafe { read64(a) })
    }
    fn dist_write64(&self, off: u64, v: u64) {
        if let Some(a) = self.dist(off, 8) {
            // SAFETY: as above.
            unsafe { write64(a, v) }
        }
    }
    fn dist_read8(&self, off: u64) -> u8 {
        // SAFETY: as above (byte access, used for IPRIORITYR only).
        self.dist(off, 1).map_or(0, |a| unsafe { read8(a) })
    }
    fn dist_write8(&self, off: u64, v: u8) {
        if let Some(a) = self.dist(off, 1) {
            // SAFETY: as above.
            unsafe { write8(a, v) }
        }
    }
    fn redist_read32(&self, frame: usize, off: u64) -> u32 {
        // SAFETY: `redist` bounds the frame to the VM's CPUs and the offset
        // to the two 64 KiB frames of one redistributor.
        self.redist(frame, off, 4)
            .map_or(0, |a| unsafe { read32(a) })
    }
    fn redist_write32(&self, frame: usize, off: u64, v: u32) {
        if let Some(a) = self.redist(frame, off, 4) {
            // SAFETY: as above.
            unsafe { write32(a, v) }
        }
    }
    fn redist_read64(&self, frame: usize, off: u64) -> u64 {
        // SAFETY: as above.
        self.redist(frame, off, 8)
            .map_or(0, |a| unsafe { read64(a) })
    }
    fn redist_write8(&self, frame: usize, off: u64, v: u8) {
        if let Some(a) = self.redist(frame, off, 1) {
            // SAFETY: as above.
            unsafe { write8(a, v) }
        }
    }
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

/// Sends physical SGI `intid` to the CPU with affinity `mpidr` (Aff0 < 16):
/// ICC_SGI1R_EL1 TargetList`[15:0]`, Aff1`[23:16]`, INTID`[27:24]`,
/// Aff2`[39:32]`, Aff3`[55:48]` (IHI 0069, 12.2.22).
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
