//! The guest's GICv3: virtual CPU interface through the list registers, an
//! overflow queue when more interrupts are pending than there are LRs, SGIs
//! between vCPUs, and the distributor/redistributors emulated by filtering.
//!
//! Hardware interrupts the guest owns (its timer PPIs and the SPIs of
//! passed-through devices) are injected with LR.HW=1, so the guest's EOI
//! deactivates the physical interrupt without an exit. Distributor and
//! redistributor accesses for owned INTIDs are forwarded to the hardware;
//! everything else reads as zero and ignores writes, so the guest cannot touch
//! interrupts it does not own. SGIs are purely virtual: a guest SGI to another
//! vCPU becomes a physical "kick" SGI to that CPU plus a pending bit.

use core::sync::atomic::{AtomicU16, AtomicU32, AtomicU8, Ordering};

use crate::gic::{self, gicd, gicr, DEFAULT_PRIO};
use crate::vcpu::Vcpu;

/// Most CPUs L0 supports (QEMU virt's GICv3 redistributor region fits 123).
pub const MAX_CPUS: usize = 8;
/// Physical SGI L0 uses to tell another CPU it has virtual SGIs pending.
const KICK_SGI: u32 = 0;
/// ICH_LR<n>_EL2 fields (IHI 0069, 12.4.6).
const LR_STATE_PENDING: u64 = 1 << 62;
const LR_STATE_MASK: u64 = 3 << 62;
const LR_HW: u64 = 1 << 61;
const LR_GROUP1: u64 = 1 << 60;
const LR_PRIO_SHIFT: u64 = 48;
const LR_PINTID_SHIFT: u64 = 32;
const LR_VINTID_MASK: u64 = 0xffff_ffff;
/// ICH_HCR_EL2: En, UIE (maintenance interrupt when at most one LR is valid).
const ICH_HCR_EN: u64 = 1 << 0;
const ICH_HCR_UIE: u64 = 1 << 1;
/// Overflow queue length per vCPU.
const QUEUE: usize = 64;
/// ICH_VTR_EL2.ListRegs, bits [4:0]: the number of list registers minus one
/// (IHI 0069, 12.4.10).
const ICH_VTR_LISTREGS: u64 = 0x1f;
/// Virtual interrupts dropped because a vCPU's overflow queue was full
/// (printed with the exit counters; should stay 0).
static DROPPED: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Number of list registers this CPU implements.
pub fn nr_list_regs() -> usize {
    (rt::sysreg::read!("S3_4_C12_C11_1") & ICH_VTR_LISTREGS) as usize + 1 // ICH_VTR_EL2
}

/// Virtual interrupts dropped so far (all vCPUs).
pub fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// INTIDs the guest owns (bitmap over 1024 INTIDs).
static OWNED: [AtomicU32; 32] = [const { AtomicU32::new(0) }; 32];
/// Guest-visible priorities of SPIs.
static SPI_PRIO: [AtomicU8; 1024] = [const { AtomicU8::new(DEFAULT_PRIO) }; 1024];
/// Guest-visible priorities of SGIs/PPIs, per redistributor frame.
static PRIV_PRIO: [[AtomicU8; 32]; MAX_CPUS] =
    [const { [const { AtomicU8::new(DEFAULT_PRIO) }; 32] }; MAX_CPUS];
/// Virtual SGI enable bits, per redistributor frame.
static SGI_ENABLE: [AtomicU16; MAX_CPUS] = [const { AtomicU16::new(0) }; MAX_CPUS];
/// Virtual SGIs sent to each vCPU and not yet queued there.
static SGI_PENDING: [AtomicU16; MAX_CPUS] = [const { AtomicU16::new(0) }; MAX_CPUS];
/// Virtual GICR_WAKER per frame, virtual GICD_CTLR.
static WAKER: [AtomicU32; MAX_CPUS] =
    [const { AtomicU32::new(gicr::WAKER_PROCESSOR_SLEEP) }; MAX_CPUS];
static DIST_CTLR: AtomicU32 = AtomicU32::new(0);
/// Maintenance interrupt INTID.
static MAINT: AtomicU32 = AtomicU32::new(crate::DEFAULT_MAINT_PPI);

/// Gives INTID `i` to the guest.
pub fn set_owned(i: u32) {
    if i < 1024 {
        OWNED[(i / 32) as usize].fetch_or(1 << (i % 32), Ordering::Relaxed);
    }
}
fn owned_mask(word: usize) -> u32 {
    OWNED.get(word).map_or(0, |w| w.load(Ordering::Relaxed))
}
fn owned(i: u32) -> bool {
    owned_mask((i / 32) as usize) & (1 << (i % 32)) != 0
}

/// Records the maintenance-interrupt INTID from the DTB.
pub fn set_maintenance_irq(i: u32) {
    MAINT.store(i, Ordering::Relaxed);
}

macro_rules! lr_access {
    ($n:expr, read) => {
        match $n {
            0 => rt::sysreg::read!("S3_4_C12_C12_0"),
            1 => rt::sysreg::read!("S3_4_C12_C12_1"),
            2 => rt::sysreg::read!("S3_4_C12_C12_2"),
            3 => rt::sysreg::read!("S3_4_C12_C12_3"),
            4 => rt::sysreg::read!("S3_4_C12_C12_4"),
            5 => rt::sysreg::read!("S3_4_C12_C12_5"),
            6 => rt::sysreg::read!("S3_4_C12_C12_6"),
            7 => rt::sysreg::read!("S3_4_C12_C12_7"),
            8 => rt::sysreg::read!("S3_4_C12_C13_0"),
            9 => rt::sysreg::read!("S3_4_C12_C13_1"),
            10 => rt::sysreg::read!("S3_4_C12_C13_2"),
            11 => rt::sysreg::read!("S3_4_C12_C13_3"),
            12 => rt::sysreg::read!("S3_4_C12_C13_4"),
            13 => rt::sysreg::read!("S3_4_C12_C13_5"),
            14 => rt::sysreg::read!("S3_4_C12_C13_6"),
            _ => rt::sysreg::read!("S3_4_C12_C13_7"),
        }
    };
    ($n:expr, write, $v:expr) => {
        match $n {
            0 => rt::sysreg::write!("S3_4_C12_C12_0", $v),
            1 => rt::sysreg::write!("S3_4_C12_C12_1", $v),
            2 => rt::sysreg::write!("S3_4_C12_C12_2", $v),
            3 => rt::sysreg::write!("S3_4_C12_C12_3", $v),
            4 => rt::sysreg::write!("S3_4_C12_C12_4", $v),
            5 => rt::sysreg::write!("S3_4_C12_C12_5", $v),
            6 => rt::sysreg::write!("S3_4_C12_C12_6", $v),
            7 => rt::sysreg::write!("S3_4_C12_C12_7", $v),
            8 => rt::sysreg::write!("S3_4_C12_C13_0", $v),
            9 => rt::sysreg::write!("S3_4_C12_C13_1", $v),
            10 => rt::sysreg::write!("S3_4_C12_C13_2", $v),
            11 => rt::sysreg::write!("S3_4_C12_C13_3", $v),
            12 => rt::sysreg::write!("S3_4_C12_C13_4", $v),
            13 => rt::sysreg::write!("S3_4_C12_C13_5", $v),
            14 => rt::sysreg::write!("S3_4_C12_C13_6", $v),
            _ => rt::sysreg::write!("S3_4_C12_C13_7", $v),
        }
    };
}

fn read_lr(n: usize) -> u64 {
    lr_access!(n, read)
}
fn write_lr(n: usize, v: u64) {
    lr_access!(n, write, v)
}

/// A virtual interrupt waiting for a list register.
#[derive(Clone, Copy, Debug, Default)]
struct Pending {
    intid: u32,
    hw: bool,
}

/// Per-vCPU virtual interface state.
pub struct VgicCpu {
    nr_lrs: usize,
    queue: [Pending; QUEUE],
    len: usize,
}

impl VgicCpu {
    /// Sets up the virtual CPU interface on this CPU (ICH_HCR_EL2.En).
    pub fn new() -> VgicCpu {
        let nr_lrs = nr_list_regs();
        for n in 0..nr_lrs {
            write_lr(n, 0);
        }
        rt::sysreg::write!("S3_4_C12_C11_7", 0); // ICH_VMCR_EL2
        rt::sysreg::write!("S3_4_C12_C11_0", ICH_HCR_EN); // ICH_HCR_EL2
        VgicCpu {
            nr_lrs,
            queue: [Pending::default(); QUEUE],
            len: 0,
        }
    }

    fn enqueue(&mut self, p: Pending) {
        if self.queue[..self.len].iter().any(|q| q.intid == p.intid) {
            return;
        }
        if self.len == QUEUE {
            DROPPED.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.queue[self.len] = p;
        self.len += 1;
    }
}

impl Default for VgicCpu {
    fn default() -> Self {
        Self::new()
    }
}

fn prio_of(vcpu: usize, intid: u32) -> u8 {
    if intid < 32 {
        PRIV_PRIO[vcpu % MAX_CPUS][intid as usize].load(Ordering::Relaxed)
    } else {
        SPI_PRIO[(intid as usize).min(1023)].load(Ordering::Relaxed)
    }
}

/// Moves queued interrupts into free list registers before entering the
/// guest, and asks for a maintenance interrupt while some still wait.
pub fn flush(vcpu: &mut Vcpu) {
    let idx = vcpu.index;
    let sgis = SGI_PENDING[idx].swap(0, Ordering::AcqRel);
    for i in 0..16 {
        if sgis & (1 << i) != 0 {
            vcpu.vgic.enqueue(Pending {
                intid: i,
                hw: false,
            });
        }
    }
    let v = &mut vcpu.vgic;
    if v.len == 0 {
        return;
    }
    let elrsr = rt::sysreg::read!("S3_4_C12_C11_5"); // ICH_ELRSR_EL2: 1 = LR empty
    let mut lr = 0;
    let mut kept = 0;
    for qi in 0..v.len {
        let p = v.queue[qi];
        // A software interrupt already pending in an LR is not queued twice.
        let dup = (0..v.nr_lrs).any(|n| {
            let l = read_lr(n);
            elrsr & (1 << n) == 0
                && l & LR_VINTID_MASK == u64::from(p.intid)
                && l & LR_STATE_MASK == LR_STATE_PENDING
        });
        if dup {
            continue;
        }
        while lr < v.nr_lrs && elrsr & (1 << lr) == 0 {
            lr += 1;
        }
        if lr == v.nr_lrs {
            v.queue[kept] = p;
            kept += 1;
            continue;
        }
        let mut val =
            LR_STATE_PENDING | LR_GROUP1 | (u64::from(prio_of(idx, p.intid)) << LR_PRIO_SHIFT);
        val |= u64::from(p.intid);
        if p.hw {
            val |= LR_HW | (u64::from(p.intid) << LR_PINTID_SHIFT);
        }
        write_lr(lr, val);
        lr += 1;
    }
    v.len = kept;
    let hcr = ICH_HCR_EN | if kept > 0 { ICH_HCR_UIE } else { 0 };
    rt::sysreg::write!("S3_4_C12_C11_0", hcr);
}

/// Handles physical interrupts after an IRQ exit: guest-owned ones are queued
/// as hardware-linked virtual interrupts, L0's own are serviced.
pub fn handle_irq(vcpu: &mut Vcpu) {
    // Bounded: each iteration acknowledges one interrupt.
    for _ in 0..32 {
        let Some(i) = gic::ack() else { return };
        gic::eoi(i);
        if i < 16 {
            // KICK_SGI (or any SGI: all are L0's): pending virtual SGIs are
            // picked up by `flush`.
            gic::deactivate(i);
        } else if i == MAINT.load(Ordering::Relaxed) {
            gic::deactivate(i);
        } else if owned(i) {
            vcpu.vgic.enqueue(Pending { intid: i, hw: true });
        } else {
            log::warn!("unowned physical interrupt {i}: deactivated");
            gic::deactivate(i);
        }
    }
}

/// A guest write to ICC_SGI1R_EL1 (IHI 0069, 12.2.22): TargetList[15:0],
/// Aff1[23:16], INTID[27:24], Aff2[39:32], IRM[40], Aff3[55:48].
pub fn send_sgi(vcpu: &mut Vcpu, v: u64) {
    let intid = ((v >> 24) & 0xf) as u16;
    let irm = v & (1 << 40) != 0;
    let aff = ((v >> 48) & 0xff) << 32 | ((v >> 32) & 0xff) << 16 | ((v >> 16) & 0xff) << 8;
    let vm = crate::vm::get();
    for (t, &mpidr) in vm.machine.cpus.iter().enumerate().take(MAX_CPUS) {
        let hit = if irm {
            t != vcpu.index
        } else {
            mpidr & !0xff == aff && (mpidr & 0xff) < 16 && v & (1 << (mpidr & 0xf)) != 0
        };
        if !hit {
            continue;
        }
        SGI_PENDING[t].fetch_or(1 << intid, Ordering::AcqRel);
        if t != vcpu.index {
            gic::send_sgi(mpidr, KICK_SGI);
        }
    }
}

/// One trapped guest MMIO access to an emulated GIC frame.
pub struct Access {
    pub off: u64,
    pub size: u8,
    pub write: bool,
    pub val: u64,
}

/// Whether an access may reach a register at all (IHI 0069, 12.1.3 "GIC
/// memory-mapped register access"): naturally aligned, and 32 or 64 bits
/// wide except in the byte-accessible priority arrays (`byte_ok`). Anything
/// else is RAZ/WI here; forwarding it would make L0 itself issue an
/// unaligned or mis-sized device access, which faults at EL2.
fn well_formed(a: &Access, byte_ok: bool) -> bool {
    let size = u64::from(a.size);
    size.is_power_of_two() && a.off.is_multiple_of(size) && (size >= 4 || byte_ok)
}

/// Bitmap registers (one bit per INTID) of the distributor and the SGI frame.
fn is_bitmap(o: u64) -> bool {
    (gicd::ISENABLER..gicd::IPRIORITYR).contains(&o)
}

/// Forwards a bitmap register word `word` (INTIDs 32*word..) with `mask` of
/// INTIDs the guest may see; IGROUPR reads as all Group 1 and ignores writes.
fn bitmap(hw: u64, reg_base: u64, a: &Access, mask: u32) -> u64 {
    // Words the guest owns nothing in never reach the hardware (they may be
    // past the INTIDs the distributor implements).
    if reg_base == gicd::IGROUPR || mask == 0 {
        return u64::from(mask);
    }
    if a.write {
        gic::write32(hw, a.val as u32 & mask);
        0
    } else {
        u64::from(gic::read32(hw) & mask)
    }
}

/// Emulated GICD access (64 KiB frame at the physical GICD address).
pub fn dist_access(a: &Access) -> u64 {
    let d = gic::gicd_base();
    let o = a.off;
    if !well_formed(a, (gicd::IPRIORITYR..gicd::IPRIORITYR + 1024).contains(&o)) {
        return 0;
    }
    match o {
        gicd::CTLR => {
            if a.write {
                DIST_CTLR.store(a.val as u32 & gicd::CTLR_ENABLE_G1, Ordering::Relaxed);
                0
            } else {
                u64::from(DIST_CTLR.load(Ordering::Relaxed) | gicd::CTLR_ARE_NS)
            }
        }
        // TYPER without LPIs (bit 17) or message-based SPIs (bit 16).
        gicd::TYPER if !a.write => u64::from(gic::read32(d + o) & !((1 << 17) | (1 << 16))),
        // IIDR, TYPER2 and the ID registers read through.
        0x0008 | 0x000C | 0xFFD0..=0xFFFF if !a.write => u64::from(gic::read32(d + (o & !3))),
        _ if (gicd::IGROUPR..gicd::IPRIORITYR).contains(&o) && a.size == 4 => {
            let base = o & !0x7f;
            let word = ((o - base) / 4) as usize;
            // Word 0 (SGIs/PPIs) is RAZ/WI in the distributor when ARE=1.
            let mask = if word == 0 { 0 } else { owned_mask(word) };
            if base == gicd::IGROUPR || is_bitmap(o) {
                bitmap(d + o, base, a, mask)
            } else {
                0
            }
        }
        _ if (gicd::IPRIORITYR..gicd::IPRIORITYR + 1020).contains(&o) => {
            let first = (o - gicd::IPRIORITYR) as u32;
            let mut out = 0u64;
            for b in 0..u32::from(a.size) {
                let i = first + b;
                if i < 32 || !owned(i) {
                    continue;
                }
                if a.write {
                    let p = (a.val >> (8 * b)) as u8;
                    SPI_PRIO[i as usize].store(p, Ordering::Relaxed);
                    gic::write8(d + gicd::IPRIORITYR + u64::from(i), p);
                } else {
                    out |= u64::from(gic::read8(d + gicd::IPRIORITYR + u64::from(i))) << (8 * b);
                }
            }
            out
        }
        _ if (gicd::ICFGR..gicd::ICFGR + 0x100).contains(&o) && a.size == 4 => {
            let first = ((o - gicd::ICFGR) * 4) as u32;
            let mut mask = 0u32;
            for k in 0..16 {
                if first + k >= 32 && owned(first + k) {
                    mask |= 3 << (2 * k);
                }
            }
            if a.write {
                let old = gic::read32(d + o);
                gic::write32(d + o, (old & !mask) | (a.val as u32 & mask));
                0
            } else {
                u64::from(gic::read32(d + o) & mask)
            }
        }
        _ if (gicd::IROUTER + 8 * 32..gicd::IROUTER + 8 * 1020).contains(&o) => {
            let i = ((o - gicd::IROUTER) / 8) as u32;
            if !owned(i) {
                return 0;
            }
            match (a.write, a.size) {
                (true, 8) => gic::write64(d + o, a.val),
                (true, _) => gic::write32(d + o, a.val as u32),
                (false, 8) => return gic::read64(d + o),
                (false, _) => return u64::from(gic::read32(d + o)),
            }
            0
        }
        _ => 0,
    }
}

/// Emulated GICR access (the redistributor region, frame by frame).
pub fn redist_access(a: &Access) -> u64 {
    let frame = (a.off / gicr::FRAME_SIZE) as usize;
    let base = gic::gicr_base() + frame as u64 * gicr::FRAME_SIZE;
    let o = a.off % gicr::FRAME_SIZE;
    let prio = gicr::SGI_BASE + gicd::IPRIORITYR;
    if !well_formed(a, (prio..prio + 32).contains(&o)) {
        return 0;
    }
    // Only the frames of the VM's vCPUs exist: the rest of the region is
    // RAZ/WI. (Forwarding them would make L0 touch redistributor frames the
    // board does not implement, which aborts at EL2.)
    if frame >= crate::vm::try_get().map_or(0, |vm| vm.ncpus) {
        return 0;
    }
    // PPIs the guest owns, in this frame's SGI/PPI space.
    let ppi_mask = owned_mask(0) & 0xffff_0000;
    match o {
        // TYPER (64-bit, or two 32-bit halves) without PLPIS (bit 0) / DirectLPI (bit 3).
        gicr::TYPER if !a.write => {
            let v = gic::read64(base + gicr::TYPER) & !0b1001;
            if a.size == 8 {
                v
            } else {
                v & 0xffff_ffff
            }
        }
        0x000C if !a.write => u64::from(gic::read32(base + 0x000C)),
        // IIDR and the ID registers read through.
        0x0004 | 0xFFD0..=0xFFFF if !a.write => u64::from(gic::read32(base + (o & !3))),
        gicr::WAKER => {
            if a.write {
                WAKER[frame].store(
                    a.val as u32 & gicr::WAKER_PROCESSOR_SLEEP,
                    Ordering::Relaxed,
                );
                0
            } else {
                let w = WAKER[frame].load(Ordering::Relaxed);
                u64::from(
                    w | if w != 0 {
                        gicr::WAKER_CHILDREN_ASLEEP
                    } else {
                        0
                    },
                )
            }
        }
        _ if o >= gicr::SGI_BASE => {
            let so = o - gicr::SGI_BASE;
            let hw = base + o;
            match so {
                gicd::IGROUPR => u64::from(u32::MAX),
                gicd::ISENABLER | gicd::ICENABLER => {
                    let set = so == gicd::ISENABLER;
                    if a.write {
                        let sg = (a.val & 0xffff) as u16;
                        if set {
                            SGI_ENABLE[frame].fetch_or(sg, Ordering::Relaxed);
                        } else {
                            SGI_ENABLE[frame].fetch_and(!sg, Ordering::Relaxed);
                        }
                        gic::write32(hw, a.val as u32 & ppi_mask);
                        0
                    } else {
                        u64::from(SGI_ENABLE[frame].load(Ordering::Relaxed))
                            | u64::from(gic::read32(hw) & ppi_mask)
                    }
                }
                gicd::ISPENDR | gicd::ICPENDR | gicd::ISACTIVER | gicd::ICACTIVER => {
                    if a.write {
                        gic::write32(hw, a.val as u32 & ppi_mask);
                        0
                    } else {
                        u64::from(gic::read32(hw) & ppi_mask)
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
                        let slot = &PRIV_PRIO[frame][i as usize];
                        if a.write {
                            let p = (a.val >> (8 * b)) as u8;
                            slot.store(p, Ordering::Relaxed);
                            if owned(i) {
                                gic::write8(
                                    base + gicr::SGI_BASE + gicd::IPRIORITYR + u64::from(i),
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
                gicd::ICFGR => 0xaaaa_aaaa,
                0x0C04 => {
                    let mut mask = 0u32;
                    for k in 0..16 {
                        if owned(16 + k) {
                            mask |= 3 << (2 * k);
                        }
                    }
                    if a.write {
                        let old = gic::read32(hw);
                        gic::write32(hw, (old & !mask) | (a.val as u32 & mask));
                        0
                    } else {
                        u64::from(gic::read32(hw) & mask)
                    }
                }
                _ => 0,
            }
        }
        _ => 0,
    }
}
