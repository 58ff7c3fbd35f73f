//! The guest's GICv3, as logic over two hardware traits so that it is
//! tested on the host: the emulated distributor and redistributors
//! ([`dist_access`], [`redist_access`] over [`GicHw`]) and the list-register
//! bookkeeping of one vCPU ([`VgicCpu::flush`] over [`ListRegs`]).
//!
//! Hardware interrupts the guest owns (its timer PPIs, the SPIs of the
//! devices passed through) reach it as HW=1 virtual interrupts: its
//! deactivation deactivates the physical one without an exit. Distributor
//! and redistributor accesses for owned INTIDs are forwarded; everything
//! else reads as zero and ignores writes, so the guest cannot touch
//! interrupts it does not own. SGIs are purely virtual: an SGI to another
//! vCPU sets a pending bit there and L0 kicks that CPU with a physical SGI.
//! Register map: GICv3 architecture specification IHI 0069, chapter 12.

use core::sync::atomic::{AtomicU16, AtomicU32, AtomicU8, Ordering};

use arch::regs::{ich_hcr, ich_lr};

/// GICD register offsets (IHI 0069, 12.9).
pub mod gicd {
    /// GICD_CTLR.
    pub const CTLR: u64 = 0x0000;
    /// GICD_TYPER.
    pub const TYPER: u64 = 0x0004;
    /// GICD_IIDR.
    pub const IIDR: u64 = 0x0008;
    /// GICD_TYPER2.
    pub const TYPER2: u64 = 0x000C;
    /// GICD_IGROUPR<n>.
    pub const IGROUPR: u64 = 0x0080;
    /// GICD_ISENABLER<n>.
    pub const ISENABLER: u64 = 0x0100;
    /// GICD_ICENABLER<n>.
    pub const ICENABLER: u64 = 0x0180;
    /// GICD_ISPENDR<n>.
    pub const ISPENDR: u64 = 0x0200;
    /// GICD_ICPENDR<n>.
    pub const ICPENDR: u64 = 0x0280;
    /// GICD_ISACTIVER<n>.
    pub const ISACTIVER: u64 = 0x0300;
    /// GICD_ICACTIVER<n>.
    pub const ICACTIVER: u64 = 0x0380;
    /// GICD_IPRIORITYR<n> (byte-accessible).
    pub const IPRIORITYR: u64 = 0x0400;
    /// GICD_ICFGR<n>.
    pub const ICFGR: u64 = 0x0C00;
    /// GICD_IROUTER<n> (64-bit, from INTID 32).
    pub const IROUTER: u64 = 0x6000;
    /// The ID registers (PIDR/CIDR) at the end of the frame.
    pub const ID_REGS: u64 = 0xFFD0;
    /// GICD_CTLR.RWP: register write pending.
    pub const CTLR_RWP: u32 = 1 << 31;
    /// GICD_CTLR.ARE_NS: affinity routing.
    pub const CTLR_ARE_NS: u32 = 1 << 4;
    /// GICD_CTLR.EnableGrp1NS.
    pub const CTLR_ENABLE_G1: u32 = 1 << 1;
    /// GICD_TYPER.MBIS and LPIS: message-based SPIs and LPIs.
    pub const TYPER_MBIS_LPIS: u32 = (1 << 16) | (1 << 17);
    /// Size of the frame.
    pub const SIZE: u64 = 0x1_0000;
}

/// GICR register offsets (IHI 0069, 12.10/12.11); the SGI frame at +64 KiB
/// uses the distributor's offsets for its registers.
pub mod gicr {
    /// GICR_IIDR.
    pub const IIDR: u64 = 0x0004;
    /// GICR_TYPER (64-bit).
    pub const TYPER: u64 = 0x0008;
    /// GICR_WAKER.
    pub const WAKER: u64 = 0x0014;
    /// The SGI_base frame.
    pub const SGI_BASE: u64 = 0x1_0000;
    /// GICR_ICFGR1 (PPI configuration), in the SGI frame.
    pub const ICFGR1: u64 = 0x0C04;
    /// One redistributor: RD_base and SGI_base frames.
    pub const FRAME_SIZE: u64 = 0x2_0000;
    /// GICR_TYPER.Last.
    pub const TYPER_LAST: u64 = 1 << 4;
    /// GICR_TYPER.PLPIS and DirectLPI.
    pub const TYPER_PLPIS_DIRECTLPI: u64 = 0b1001;
    /// GICR_WAKER.ProcessorSleep.
    pub const WAKER_PROCESSOR_SLEEP: u32 = 1 << 1;
    /// GICR_WAKER.ChildrenAsleep.
    pub const WAKER_CHILDREN_ASLEEP: u32 = 1 << 2;
}

/// Default priority for every interrupt (lower is more urgent).
pub const DEFAULT_PRIO: u8 = 0xa0;
/// INTIDs the distributor can describe (SPIs end at 1019).
pub const NR_INTIDS: usize = 1024;
/// First SPI.
pub const SPI_BASE: u32 = 32;
/// First PPI.
pub const PPI_BASE: u32 = 16;
/// SGIs.
pub const NR_SGIS: u32 = 16;

/// The physical distributor and redistributor frames, by offset.
pub trait GicHw {
    /// A 32-bit distributor register.
    fn dist_read32(&self, off: u64) -> u32;
    /// Writes a 32-bit distributor register.
    fn dist_write32(&self, off: u64, v: u32);
    /// A 64-bit distributor register (IROUTER).
    fn dist_read64(&self, off: u64) -> u64;
    /// Writes a 64-bit distributor register.
    fn dist_write64(&self, off: u64, v: u64);
    /// A byte of the distributor (IPRIORITYR).
    fn dist_read8(&self, off: u64) -> u8;
    /// Writes a byte of the distributor.
    fn dist_write8(&self, off: u64, v: u8);
    /// A 32-bit register of redistributor `frame` (offsets from RD_base;
    /// the SGI frame is at [`gicr::SGI_BASE`]).
    fn redist_read32(&self, frame: usize, off: u64) -> u32;
    /// Writes a 32-bit redistributor register.
    fn redist_write32(&self, frame: usize, off: u64, v: u32);
    /// A 64-bit redistributor register (GICR_TYPER).
    fn redist_read64(&self, frame: usize, off: u64) -> u64;
    /// Writes a redistributor byte (IPRIORITYR of the SGI frame).
    fn redist_write8(&self, frame: usize, off: u64, v: u8);
}

/// One trapped guest MMIO access to an emulated GIC frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// Offset in the region (distributor, or the redistributor region).
    pub off: u64,
    /// Size in bytes.
    pub size: u8,
    /// A write (else a read).
    pub write: bool,
    /// The value written.
    pub val: u64,
}

/// Which INTIDs belong to the guest (bitmap over [`NR_INTIDS`]).
#[derive(Debug)]
pub struct Owned([AtomicU32; NR_INTIDS / 32]);

impl Owned {
    /// No INTID.
    pub const fn new() -> Self {
        Owned([const { AtomicU32::new(0) }; NR_INTIDS / 32])
    }
    /// Gives `i` to the guest.
    pub fn set(&self, i: u32) {
        if let Some(w) = self.0.get((i / 32) as usize) {
            w.fetch_or(1 << (i % 32), Ordering::Relaxed);
        }
    }
    /// The bits of word `w` (INTIDs 32w..32w+31).
    pub fn word(&self, w: usize) -> u32 {
        self.0.get(w).map_or(0, |w| w.load(Ordering::Relaxed))
    }
    /// Whether `i` is the guest's.
    pub fn has(&self, i: u32) -> bool {
        self.word((i / 32) as usize) & (1 << (i % 32)) != 0
    }
}

impl Default for Owned {
    fn default() -> Self {
        Self::new()
    }
}

/// The VM-wide state of the emulated distributor.
#[derive(Debug)]
pub struct VgicDist {
    /// The guest's INTIDs.
    pub owned: Owned,
    /// GICD_CTLR as the guest wrote it.
    ctlr: AtomicU32,
    /// Guest-visible SPI priorities (the virtual priority of their LRs).
    spi_prio: [AtomicU8; NR_INTIDS],
    /// Number of vCPUs (redistributor frames that exist).
    pub ncpus: usize,
    /// PPIs (bits 16..31) whose enable is kept virtually and never
    /// forwarded: the timer and maintenance PPIs of a guest hypervisor,
    /// which L0 maps onto physical interrupts differently per context.
    pub virt_ppis: u32,
}

impl VgicDist {
    /// A distributor for `ncpus` vCPUs owning nothing yet.
    pub const fn new(ncpus: usize) -> Self {
        VgicDist {
            owned: Owned::new(),
            ctlr: AtomicU32::new(0),
            spi_prio: [const { AtomicU8::new(DEFAULT_PRIO) }; NR_INTIDS],
            ncpus,
            virt_ppis: 0,
        }
    }
    /// The guest-visible priority of SPI `i`.
    pub fn spi_prio(&self, i: u32) -> u8 {
        self.spi_prio[(i as usize) % NR_INTIDS].load(Ordering::Relaxed)
    }
}

/// The per-vCPU state other vCPUs may touch: the guest-visible SGI/PPI
/// priorities and SGI enables of its redistributor, its GICR_WAKER, and the
/// SGIs sent to it that it has not taken yet.
#[derive(Debug)]
pub struct VgicRedist {
    prio: [AtomicU8; 32],
    sgi_enable: AtomicU16,
    /// Enables of the virtual-only PPIs ([`VgicDist::virt_ppis`]).
    ppi_enable: AtomicU32,
    sgi_pending: AtomicU16,
    waker: AtomicU32,
}

impl VgicRedist {
    /// A redistributor out of reset: asleep, SGIs disabled, default priorities.
    pub const fn new() -> Self {
        VgicRedist {
            prio: [const { AtomicU8::new(DEFAULT_PRIO) }; 32],
            sgi_enable: AtomicU16::new(0),
            ppi_enable: AtomicU32::new(0),
            sgi_pending: AtomicU16::new(0),
            waker: AtomicU32::new(gicr::WAKER_PROCESSOR_SLEEP),
        }
    }
    /// Marks SGI `intid` pending (from a sender on any CPU).
    pub fn send_sgi(&self, intid: u32) {
        self.sgi_pending
            .fetch_or(1 << (intid % NR_SGIS), Ordering::AcqRel);
    }
    /// The guest-visible priority of SGI/PPI `i` (< 32).
    pub fn prio(&self, i: u32) -> u8 {
        self.prio[(i % 32) as usize].load(Ordering::Relaxed)
    }
    /// Whether an SGI sent to this vCPU and enabled waits for it.
    pub fn sgi_waiting(&self) -> bool {
        self.sgi_pending.load(Ordering::Acquire) & self.sgi_enable.load(Ordering::Acquire) != 0
    }
    /// Whether the guest enabled a virtual-only PPI `i`.
    pub fn ppi_enabled(&self, i: u32) -> bool {
        self.ppi_enable.load(Ordering::Acquire) & (1 << (i % 32)) != 0
    }
}

impl Default for VgicRedist {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether an access may reach a register at all (IHI 0069, 12.1.3 "GIC
/// memory-mapped register access"): naturally aligned, and 32 or 64 bits
/// wide except in the byte-accessible priority arrays (`byte_ok`). Anything
/// else is RAZ/WI; forwarding it would make L0 itself issue an unaligned or
/// mis-sized device access, which faults at EL2.
pub fn well_formed(a: &Access, byte_ok: bool) -> bool {
    let size = u64::from(a.size);
    size.is_power_of_two() && a.off.is_multiple_of(size) && size <= 8 && (size >= 4 || byte_ok)
}

/// The ICFGR bits (two per INTID) the guest may see in the word whose
/// first INTID is `first`.
fn icfgr_mask(owned: &Owned, first: u32, min: u32) -> u32 {
    (0..16)
        .filter(|&k| first + k >= min && owned.has(first + k))
        .fold(0, |m, k| m | (3 << (2 * k)))
}

/// Emulated GICD access; returns the value read (0 for writes).
pub fn dist_access(d: &VgicDist, hw: &impl GicHw, a: &Access) -> u64 {
    let o = a.off;
    let prio_bytes = gicd::IPRIORITYR..gicd::IPRIORITYR + NR_INTIDS as u64;
    if !well_formed(a, prio_bytes.contains(&o)) || o >= gicd::SIZE {
        return 0;
    }
    match o {
        gicd::CTLR => {
            if a.write {
                d.ctlr
                    .store(a.val as u32 & gicd::CTLR_ENABLE_G1, Ordering::Relaxed);
                0
            } else {
                u64::from(d.ctlr.load(Ordering::Relaxed) | gicd::CTLR_ARE_NS)
            }
        }
        gicd::TYPER if !a.write && a.size == 4 => {
            u64::from(hw.dist_read32(o) & !gicd::TYPER_MBIS_LPIS)
        }
        gicd::IIDR | gicd::TYPER2 if !a.write && a.size == 4 => u64::from(hw.dist_read32(o)),
        gicd::ID_REGS..=0xFFFF if !a.write && a.size == 4 => u64::from(hw.dist_read32(o)),
        _ if (gicd::IGROUPR..gicd::IPRIORITYR).contains(&o) && a.size == 4 => {
            let base = o & !0x7f;
            let word = ((o - base) / 4) as usize;
            // Word 0 (SGIs/PPIs) is RAZ/WI in the distributor when ARE=1.
            let mask = if word == 0 { 0 } else { d.owned.word(word) };
            // IGROUPR reads as Group 1 for what the guest owns and ignores
            // writes; words the guest owns nothing in never reach the
            // hardware (they may be past the INTIDs it implements).
            if base == gicd::IGROUPR || mask == 0 {
                return u64::from(mask);
            }
            if a.write {
                hw.dist_write32(o, a.val as u32 & mask);
                0
            } else {
                u64::from(hw.dist_read32(o) & mask)
            }
        }
        _ if prio_bytes.contains(&o) => {
            let first = (o - gicd::IPRIORITYR) as u32;
            let mut out = 0u64;
            for b in 0..u32::from(a.size) {
                let i = first + b;
                if i < SPI_BASE || !d.owned.has(i) {
                    continue;
                }
                let off = gicd::IPRIORITYR + u64::from(i);
                if a.write {
                    let p = (a.val >> (8 * b)) as u8;
                    d.spi_prio[i as usize].store(p, Ordering::Relaxed);
                    hw.dist_write8(off, p);
                } else {
                    out |= u64::from(hw.dist_read8(off)) << (8 * b);
                }
            }
            out
        }
        _ if (gicd::ICFGR..gicd::ICFGR + 0x100).contains(&o) && a.size == 4 => {
            let mask = icfgr_mask(&d.owned, ((o - gicd::ICFGR) * 4) as u32, SPI_BASE);
            if mask == 0 {
                return 0;
            }
            if a.write {
                let old = hw.dist_read32(o);
                hw.dist_write32(o, (old & !mask) | (a.val as u32 & mask));
                0
            } else {
                u64::from(hw.dist_read32(o) & mask)
            }
        }
        _ if (gicd::IROUTER + 8 * u64::from(SPI_BASE)..gicd::IROUTER + 8 * 1020).contains(&o) => {
            if !d.owned.has(((o - gicd::IROUTER) / 8) as u32) {
                return 0;
            }
            match (a.write, a.size) {
                (true, 8) => hw.dist_write64(o, a.val),
                (true, _) => hw.dist_write32(o, a.val as u32),
                (false, 8) => return hw.dist_read64(o),
                (false, _) => return u64::from(hw.dist_read32(o)),
            }
            0
        }
        _ => 0,
    }
}

/// Emulated GICR access (the redistributor region, frame by frame; frame
/// n is vCPU n's). Returns the value read (0 for writes).
pub fn redist_access(d: &VgicDist, cpus: &[VgicRedist], hw: &impl GicHw, a: &Access) -> u64 {
    let frame = (a.off / gicr::FRAME_SIZE) as usize;
    let o = a.off % gicr::FRAME_SIZE;
    let prio = gicr::SGI_BASE + gicd::IPRIORITYR;
    if !well_formed(a, (prio..prio + 32).contains(&o)) {
        return 0;
    }
    // Only the frames of the VM's vCPUs exist: the rest of the region is
    // RAZ/WI (forwarding them would touch frames the board does not
    // implement, which aborts at EL2).
    let Some(r) = cpus.get(frame).filter(|_| frame < d.ncpus) else {
        return 0;
    };
    // PPIs the guest owns, in this frame's SGI/PPI space, that reach the
    // hardware (virtual-only ones are kept here).
    let ppi_mask = d.owned.word(0) & 0xffff_0000 & !d.virt_ppis;
    let virt = d.virt_ppis;
    match o {
        gicr::TYPER if !a.write => {
            let v = hw.redist_read64(frame, gicr::TYPER) & !gicr::TYPER_PLPIS_DIRECTLPI;
            if a.size == 8 {
                v
            } else {
                v & 0xffff_ffff
            }
        }
        0x000C if !a.write && a.size == 4 => u64::from(hw.redist_read32(frame, o)),
        gicr::IIDR if !a.write && a.size == 4 => u64::from(hw.redist_read32(frame, o)),
        gicd::ID_REGS..=0xFFFF if !a.write && a.size == 4 => u64::from(hw.redist_read32(frame, o)),
        gicr::WAKER if a.size == 4 => {
            if a.write {
                r.waker.store(
                    a.val as u32 & gicr::WAKER_PROCESSOR_SLEEP,
                    Ordering::Relaxed,
                );
                0
            } else {
                let w = r.waker.load(Ordering::Relaxed);
                u64::from(if w != 0 {
                    w | gicr::WAKER_CHILDREN_ASLEEP
                } else {
                    0
                })
            }
        }
        _ if o >= gicr::SGI_BASE => {
            let so = o - gicr::SGI_BASE;
            match so {
                gicd::IGROUPR if a.size == 4 => {
                    if a.write {
                        0
                    } else {
                        u64::from(u32::MAX)
                    }
                }
                gicd::ISENABLER | gicd::ICENABLER if a.size == 4 => {
                    let set = so == gicd::ISENABLER;
                    if a.write {
                        let sg = (a.val & 0xffff) as u16;
                        let vp = a.val as u32 & virt;
                        if set {
                            r.sgi_enable.fetch_or(sg, Ordering::AcqRel);
                            r.ppi_enable.fetch_or(vp, Ordering::AcqRel);
                        } else {
                            r.sgi_enable.fetch_and(!sg, Ordering::AcqRel);
                            r.ppi_enable.fetch_and(!vp, Ordering::AcqRel);
                        }
                        if ppi_mask != 0 {
                            hw.redist_write32(frame, o, a.val as u32 & ppi_mask);
                        }
                        0
                    } else {
                        let ppis = if ppi_mask != 0 {
                            hw.redist_read32(frame, o) & ppi_mask
                        } else {
                            0
                        };
                        u64::from(r.sgi_enable.load(Ordering::Relaxed))
                            | u64::from(ppis)
                            | u64::from(r.ppi_enable.load(Ordering::Relaxed) & virt)
                    }
                }
                gicd::ISPENDR | gicd::ICPENDR | gicd::ISACTIVER | gicd::ICACTIVER
                    if a.size == 4 =>
                {
                    if ppi_mask == 0 {
                        0
                    } else if a.write {
                        hw.redist_write32(frame, o, a.val as u32 & ppi_mask);
                        0
                    } else {
                        u64::from(hw.redist_read32(frame, o) & ppi_mask)
                    }
                }
                _ if (gicd::IPRIORITYR..gicd::IPRIORITYR + 32).contains(&so) => {
                    let first = (so - gicd::IPRIORITYR) as u32;
                    let mut out = 0u64;
                    for b in 0..u32::from(a.size) {
                        let i = first + b;
                        if i >= 32 {
                            break;
                        }
                        let slot = &r.prio[i as usize];
                        if a.write {
                            let p = (a.val >> (8 * b)) as u8;
                            slot.store(p, Ordering::Relaxed);
                            if d.owned.has(i) {
                                hw.redist_write8(
                                    frame,
                                    gicr::SGI_BASE + gicd::IPRIORITYR + u64::from(i),
                                    p,
                                );
                            }
                        } else {
                            out |= u64::from(slot.load(Ordering::Relaxed)) << (8 * b);
                        }
                    }
                    out
                }
                // ICFGR0: SGIs are edge-triggered, read-only.
                gicd::ICFGR if a.size == 4 => {
                    if a.write {
                        0
                    } else {
                        0xaaaa_aaaa
                    }
                }
                _ if so == gicr::ICFGR1 && a.size == 4 => {
                    let mask = icfgr_mask(&d.owned, PPI_BASE, PPI_BASE);
                    if mask == 0 {
                        0
                    } else if a.write {
                        let old = hw.redist_read32(frame, o);
                        hw.redist_write32(frame, o, (old & !mask) | (a.val as u32 & mask));
                        0
                    } else {
                        u64::from(hw.redist_read32(frame, o) & mask)
                    }
                }
                _ => 0,
            }
        }
        _ => 0,
    }
}

/// Whether a virtual CPU interface with list registers `lrs`,
/// ICH_VMCR_EL2 `vmcr` and active priorities `apr` (ICH_AP0R0/AP1R0_EL2)
/// signals an interrupt now: a pending one of an enabled group whose
/// priority is higher than the priority mask and than the running
/// priority, with `pre_bits` preemption bits (IHI 0069, "Virtual
/// interrupt prioritization" and the ICH_AP1R<n>_EL2 description; only
/// the first APR register, which covers up to 5 preemption bits).
pub fn cpuif_signals(lrs: &[u64], vmcr: u64, apr: [u64; 2], pre_bits: u32) -> bool {
    use arch::regs::ich_vmcr;
    let vpmr = (vmcr >> ich_vmcr::VPMR_SHIFT) & 0xff;
    let shift = 8 - pre_bits.clamp(1, 8);
    let active = (apr[0] | apr[1]) & 0xffff_ffff;
    let running = if active == 0 {
        u64::MAX
    } else {
        u64::from(active.trailing_zeros())
    };
    lrs.iter().any(|&l| {
        let enabled = if l & ich_lr::GROUP1 != 0 {
            vmcr & ich_vmcr::VENG1 != 0
        } else {
            vmcr & ich_vmcr::VENG0 != 0
        };
        let prio = (l >> ich_lr::PRIORITY_SHIFT) & 0xff;
        l & ich_lr::STATE == ich_lr::PENDING && enabled && prio < vpmr && (prio >> shift) < running
    })
}

/// A vCPU's list registers (ICH_LR<n>_EL2, ICH_ELRSR_EL2) and the physical
/// CPU interface operations L0 needs next to them.
pub trait ListRegs {
    /// Number of list registers (ICH_VTR_EL2.ListRegs + 1).
    fn count(&self) -> usize;
    /// ICH_LR<n>_EL2.
    fn read(&self, n: usize) -> u64;
    /// Writes ICH_LR<n>_EL2.
    fn write(&mut self, n: usize, v: u64);
    /// ICH_ELRSR_EL2: bit n set when LR n holds no interrupt.
    fn elrsr(&self) -> u64;
    /// ICH_EISR_EL2: bit n set when LR n is invalid with its EOI
    /// (maintenance) bit set, i.e. its interrupt was completed.
    fn eisr(&self) -> u64;
    /// Whether physical INTID `i` is pending at the distributor (for a
    /// level-triggered interrupt: its line is asserted).
    fn phys_pending(&self, i: u32) -> bool;
    /// Whether physical SPI `i` is level-triggered.
    fn phys_level(&self, i: u32) -> bool;
    /// Deactivates physical INTID `i` (ICC_DIR_EL1).
    fn phys_deactivate(&mut self, i: u32);
}

/// A vCPU's interrupt bookkeeping: the hardware interrupts it owns that
/// fired and wait for a list register (a bitmap: an interrupt can be
/// waiting only once, so nothing is ever dropped), and whether a
/// level-triggered one was just put into a list register.
#[derive(Debug)]
pub struct VgicCpu {
    waiting: [u32; NR_INTIDS / 32],
    /// Virtual PPIs (bits) raised by L0 itself with no physical interrupt
    /// behind them (a guest hypervisor's emulated EL2 timers, its
    /// maintenance interrupt), delivered with HW = 0.
    soft: u32,
    /// The vINTID under which each physical PPI reaches the guest (a guest
    /// hypervisor's EL2 timers run on the EL1 timers at virtual EL2).
    pub ppi_remap: [u8; 32],
    /// A level-triggered SPI was put into an LR and the guest has not
    /// touched its CPU interface since: its line must be checked before the
    /// guest acknowledges it (see [`VgicCpu::resample`]).
    level_check: bool,
    /// ICH_HCR_EL2 as the last flush computed it.
    pub ich_hcr: u64,
}

impl Default for VgicCpu {
    fn default() -> Self {
        Self::new()
    }
}

impl VgicCpu {
    /// Nothing waiting.
    pub const fn new() -> Self {
        let mut ppi_remap = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            ppi_remap[i] = i as u8;
            i += 1;
        }
        VgicCpu {
            waiting: [0; NR_INTIDS / 32],
            soft: 0,
            ppi_remap,
            level_check: false,
            ich_hcr: ich_hcr::EN,
        }
    }

    /// Raises virtual PPI `v` (no physical interrupt behind it).
    pub fn soft_fired(&mut self, v: u32) {
        if v < 32 {
            self.soft |= 1 << v;
        }
    }

    /// Withdraws virtual PPI `v` raised in software and not yet in a list
    /// register (a level that dropped).
    pub fn soft_withdraw(&mut self, v: u32) {
        if v < 32 {
            self.soft &= !(1 << v);
        }
    }

    /// The virtual PPIs raised in software and not yet in a list register.
    pub fn soft_bits(&self) -> u32 {
        self.soft
    }

    /// Whether anything waits to be delivered (hardware or software).
    pub fn has_waiting(&self) -> bool {
        self.soft != 0 || self.waiting() != 0
    }

    /// Takes hardware interrupt `i` out of the waiting set; whether it was
    /// there.
    pub fn take_waiting(&mut self, i: u32) -> bool {
        let Some(w) = self.waiting.get_mut((i / 32) as usize) else {
            return false;
        };
        let was = *w & (1 << (i % 32)) != 0;
        *w &= !(1 << (i % 32));
        was
    }

    /// The vINTID physical INTID `i` is delivered as.
    pub fn vintid(&self, i: u32) -> u32 {
        if i < 32 {
            u32::from(self.ppi_remap[i as usize])
        } else {
            i
        }
    }

    /// A physical interrupt the guest owns fired (L0 acknowledged it and
    /// dropped its priority; it stays active until the guest deactivates it).
    pub fn hw_fired(&mut self, i: u32) {
        if let Some(w) = self.waiting.get_mut((i / 32) as usize) {
            *w |= 1 << (i % 32);
        }
    }

    /// Number of hardware interrupts waiting for a list register.
    pub fn waiting(&self) -> usize {
        self.waiting.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Moves what is pending into free list registers before the guest
    /// runs: SGIs sent to this vCPU that it has enabled (disabled ones stay
    /// pending until enabled), then the waiting hardware interrupts. Sets
    /// the returned ICH_HCR_EL2: En, UIE while anything still waits (its
    /// maintenance interrupt brings L0 back when LRs free up), TALL1 while
    /// a level-triggered SPI's line must be checked.
    pub fn flush(&mut self, redist: &VgicRedist, dist: &VgicDist, lrs: &mut impl ListRegs) -> u64 {
        // Completed interrupts that asked for an EOI maintenance interrupt:
        // clear them, or ICH_EISR (and the maintenance line) stays set.
        let mut eisr = lrs.eisr();
        while eisr != 0 {
            let k = eisr.trailing_zeros() as usize;
            lrs.write(k, 0);
            eisr &= eisr - 1;
        }
        let mut elrsr = lrs.elrsr();
        let n = lrs.count();
        // Set when something deliverable found no free list register.
        let mut starved = false;
        let mut free = |elrsr: &mut u64| -> Option<usize> {
            let k = (0..n).find(|&k| *elrsr & (1 << k) != 0);
            match k {
                Some(k) => {
                    *elrsr &= !(1 << k);
                    Some(k)
                }
                None => {
                    starved = true;
                    None
                }
            }
        };
        // SGIs: pending and enabled. One already pending in an LR is the
        // same (edge) interrupt; one still active there waits for the LR to
        // free, as two LRs must never hold the same vINTID (IHI 0069,
        // 4.4.6), and that LR asks for an EOI maintenance interrupt (the
        // guest's completion brings L0 back, not an underflow that would
        // fire all the while the guest handles it); a disabled one stays
        // pending until it is enabled.
        let enabled = redist.sgi_enable.load(Ordering::Acquire);
        let sgis = redist.sgi_pending.load(Ordering::Acquire) & enabled;
        let mut taken = 0u16;
        let mut blocked = 0u16;
        for i in 0..NR_SGIS {
            if sgis & (1 << i) == 0 {
                continue;
            }
            let found = (0..n).map(|k| (k, lrs.read(k))).find(|(_, l)| {
                l & ich_lr::STATE != 0 && l & ich_lr::HW == 0 && l & ich_lr::VINTID == u64::from(i)
            });
            match found.map(|(k, l)| (k, l, l & ich_lr::STATE)) {
                Some((k, l, ich_lr::ACTIVE)) => {
                    lrs.write(k, l | ich_lr::EOI);
                    blocked |= 1 << i;
                    continue;
                }
                Some(_) => taken |= 1 << i,
                None => {
                    let Some(k) = free(&mut elrsr) else { break };
                    let prio = u64::from(redist.prio(i)) << ich_lr::PRIORITY_SHIFT;
                    lrs.write(k, ich_lr::PENDING | ich_lr::GROUP1 | prio | u64::from(i));
                    taken |= 1 << i;
                }
            }
        }
        if taken != 0 {
            redist.sgi_pending.fetch_and(!taken, Ordering::AcqRel);
        }
        // Software virtual PPIs (HW = 0), while enabled.
        for v in 0..32u32 {
            if self.soft & (1 << v) == 0 {
                continue;
            }
            if dist.virt_ppis & (1 << v) != 0 && !redist.ppi_enabled(v) {
                continue;
            }
            let in_lr = (0..n).any(|k| {
                let l = lrs.read(k);
                l & ich_lr::STATE != 0 && l & ich_lr::VINTID == u64::from(v)
            });
            if in_lr {
                // Already there (pending or active): a level that is still
                // asserted is the same interrupt.
                self.soft &= !(1 << v);
                continue;
            }
            let Some(k) = free(&mut elrsr) else { break };
            let prio = u64::from(redist.prio(v)) << ich_lr::PRIORITY_SHIFT;
            lrs.write(k, ich_lr::PENDING | ich_lr::GROUP1 | prio | u64::from(v));
            self.soft &= !(1 << v);
        }
        // Hardware interrupts (a virtual-only PPI the guest disabled waits).
        'words: for w in 0..self.waiting.len() {
            let mut skip = 0u32;
            while self.waiting[w] & !skip != 0 {
                let b = (self.waiting[w] & !skip).trailing_zeros();
                let i = w as u32 * 32 + b;
                let v = self.vintid(i);
                if v < 32 && dist.virt_ppis & (1 << v) != 0 && !redist.ppi_enabled(v) {
                    skip |= 1 << b;
                    continue;
                }
                // One list register per vINTID (IHI 0069, 4.4.6): a second
                // source of the same vINTID (a guest hypervisor's EL2 timer
                // raised by L0 and then by the hardware timer holding it)
                // waits until the first is done.
                let held = (0..n).any(|k| {
                    let l = lrs.read(k);
                    l & ich_lr::STATE != 0 && l & ich_lr::VINTID == u64::from(v)
                });
                if held {
                    skip |= 1 << b;
                    continue;
                }
                // A PPI (the timers, level-triggered) that waited may have
                // dropped meanwhile: then it is over (deactivated, dropped),
                // as its line is what the guest would have seen.
                if (NR_SGIS..SPI_BASE).contains(&i) && !lrs.phys_pending(i) {
                    lrs.phys_deactivate(i);
                    self.waiting[w] &= !(1 << b);
                    continue;
                }
                let Some(k) = free(&mut elrsr) else {
                    break 'words;
                };
                let prio = if v < SPI_BASE {
                    redist.prio(v)
                } else {
                    dist.spi_prio(v)
                };
                let prio = u64::from(prio) << ich_lr::PRIORITY_SHIFT;
                lrs.write(
                    k,
                    ich_lr::PENDING
                        | ich_lr::HW
                        | ich_lr::GROUP1
                        | prio
                        | (u64::from(i) << ich_lr::PINTID_SHIFT)
                        | u64::from(v),
                );
                if i >= SPI_BASE && lrs.phys_level(i) {
                    self.level_check = true;
                }
                self.waiting[w] &= !(1 << b);
            }
        }
        // A maintenance interrupt (underflow) is asked for only while
        // something deliverable waits for a list register: a disabled
        // interrupt must not keep it firing.
        let more = starved
            || redist.sgi_pending.load(Ordering::Acquire) & enabled & !(taken | blocked) != 0;
        self.ich_hcr = ich_hcr::EN
            | if more { ich_hcr::UIE } else { 0 }
            | if self.level_check { ich_hcr::TALL1 } else { 0 };
        self.ich_hcr
    }

    /// The guest touched its Group 1 CPU interface while a level-triggered
    /// SPI sat pending in a list register (ICH_HCR_EL2.TALL1 trapped it):
    /// every such LR whose physical line has dropped since is withdrawn and
    /// the physical interrupt deactivated, so the pending state follows the
    /// line as on bare hardware (a device acknowledged before it was
    /// cleared must not interrupt twice). The trapped instruction is then
    /// re-executed untrapped. Returns the number of LRs withdrawn.
    pub fn resample(&mut self, lrs: &mut impl ListRegs) -> usize {
        let mut gone = 0;
        for k in 0..lrs.count() {
            let l = lrs.read(k);
            let i = ((l >> ich_lr::PINTID_SHIFT) & ich_lr::PINTID) as u32;
            let pending_hw = l & ich_lr::STATE == ich_lr::PENDING && l & ich_lr::HW != 0;
            if pending_hw && i >= SPI_BASE && lrs.phys_level(i) && !lrs.phys_pending(i) {
                lrs.write(k, 0);
                lrs.phys_deactivate(i);
                gone += 1;
            }
        }
        self.level_check = false;
        self.ich_hcr &= !ich_hcr::TALL1;
        gone
    }
}

#[cfg(test)]
mod tests;
