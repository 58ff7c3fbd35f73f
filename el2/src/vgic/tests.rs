//! Host tests of the vGIC logic against a fake GIC.

use super::*;
use core::cell::RefCell;
use std::collections::BTreeMap;
use std::vec::Vec;

/// Registers by (frame, offset); frame usize::MAX is the distributor.
#[derive(Default)]
struct FakeGic {
    regs: RefCell<BTreeMap<(usize, u64), u64>>,
    touched: RefCell<Vec<(usize, u64, bool)>>,
}

const DIST: usize = usize::MAX;

impl FakeGic {
    fn get(&self, f: usize, o: u64) -> u64 {
        self.touched.borrow_mut().push((f, o, false));
        *self.regs.borrow().get(&(f, o)).unwrap_or(&0)
    }
    fn put(&self, f: usize, o: u64, v: u64) {
        self.touched.borrow_mut().push((f, o, true));
        self.regs.borrow_mut().insert((f, o), v);
    }
    fn preset(&self, f: usize, o: u64, v: u64) {
        self.regs.borrow_mut().insert((f, o), v);
    }
}

impl GicHw for FakeGic {
    fn dist_read32(&self, off: u64) -> u32 {
        self.get(DIST, off) as u32
    }
    fn dist_write32(&self, off: u64, v: u32) {
        self.put(DIST, off, u64::from(v))
    }
    fn dist_read64(&self, off: u64) -> u64 {
        self.get(DIST, off)
    }
    fn dist_write64(&self, off: u64, v: u64) {
        self.put(DIST, off, v)
    }
    fn dist_read8(&self, off: u64) -> u8 {
        self.get(DIST, off) as u8
    }
    fn dist_write8(&self, off: u64, v: u8) {
        self.put(DIST, off, u64::from(v))
    }
    fn redist_read32(&self, frame: usize, off: u64) -> u32 {
        self.get(frame, off) as u32
    }
    fn redist_write32(&self, frame: usize, off: u64, v: u32) {
        self.put(frame, off, u64::from(v))
    }
    fn redist_read64(&self, frame: usize, off: u64) -> u64 {
        self.get(frame, off)
    }
    fn redist_write8(&self, frame: usize, off: u64, v: u8) {
        self.put(frame, off, u64::from(v))
    }
}

fn rd(off: u64, size: u8) -> Access {
    Access {
        off,
        size,
        write: false,
        val: 0,
    }
}
fn wr(off: u64, size: u8, val: u64) -> Access {
    Access {
        off,
        size,
        write: true,
        val,
    }
}

#[test]
fn unowned_interrupts_never_reach_the_hardware() {
    let d = VgicDist::new(2);
    d.owned.set(34);
    let hw = FakeGic::default();
    hw.preset(DIST, gicd::ISENABLER + 4, 0xffff_ffff);
    // SPI 34 is the guest's, 35 is not: only bit 2 of word 1 is seen/written.
    assert_eq!(dist_access(&d, &hw, &rd(gicd::ISENABLER + 4, 4)), 1 << 2);
    dist_access(&d, &hw, &wr(gicd::ICENABLER + 4, 4, 0xffff_ffff));
    assert_eq!(hw.get(DIST, gicd::ICENABLER + 4), 1 << 2);
    // A word with nothing owned is RAZ/WI without any hardware access.
    hw.touched.borrow_mut().clear();
    assert_eq!(dist_access(&d, &hw, &rd(gicd::ISENABLER + 8, 4)), 0);
    dist_access(&d, &hw, &wr(gicd::ISENABLER + 8, 4, !0));
    dist_access(&d, &hw, &wr(gicd::IPRIORITYR + 35, 1, 0x10));
    dist_access(&d, &hw, &wr(gicd::IROUTER + 8 * 35, 8, 1));
    dist_access(&d, &hw, &wr(gicd::ICFGR + 12, 4, !0));
    assert!(hw.touched.borrow().is_empty(), "{:?}", hw.touched.borrow());
    // Priority bytes of owned SPIs go through and are remembered for LRs.
    dist_access(&d, &hw, &wr(gicd::IPRIORITYR + 32, 4, 0x40_30_20_10));
    assert_eq!(hw.get(DIST, gicd::IPRIORITYR + 34), 0x30);
    assert_eq!(hw.get(DIST, gicd::IPRIORITYR + 35), 0);
    assert_eq!(d.spi_prio(34), 0x30);
    // ICFGR: only the two bits of SPI 34.
    dist_access(&d, &hw, &wr(gicd::ICFGR + 8, 4, !0));
    assert_eq!(hw.get(DIST, gicd::ICFGR + 8), 3 << 4);
}

#[test]
fn malformed_accesses_are_raz_wi() {
    let d = VgicDist::new(1);
    d.owned.set(40);
    let hw = FakeGic::default();
    for a in [
        rd(gicd::ISENABLER + 5, 4), // misaligned
        rd(gicd::ISENABLER + 4, 1), // byte access outside IPRIORITYR
        rd(gicd::IROUTER + 8 * 40, 1),
        rd(gicd::IROUTER + 8 * 40 + 2, 2),
        wr(gicd::TYPER, 4, 0),
        rd(gicd::SIZE + 4, 4),
        Access {
            off: 0,
            size: 3,
            write: false,
            val: 0,
        },
        Access {
            off: 0,
            size: 16,
            write: false,
            val: 0,
        },
    ] {
        assert_eq!(dist_access(&d, &hw, &a), 0, "{a:?}");
    }
    assert!(hw.touched.borrow().is_empty());
    // TYPER hides LPIs and message-based SPIs.
    hw.preset(DIST, gicd::TYPER, 0x0037_8008 | 0x3_0000);
    assert_eq!(dist_access(&d, &hw, &rd(gicd::TYPER, 4)), 0x0034_8008);
}

#[test]
fn redistributor_frames_past_the_vcpus_do_not_exist() {
    let d = VgicDist::new(2);
    let cpus = [VgicRedist::new(), VgicRedist::new(), VgicRedist::new()];
    let hw = FakeGic::default();
    hw.preset(1, gicr::TYPER, 0x0100_0000_0000_0011);
    assert_eq!(
        redist_access(&d, &cpus, &hw, &rd(gicr::FRAME_SIZE + gicr::TYPER, 8)),
        0x0100_0000_0000_0010
    );
    hw.touched.borrow_mut().clear();
    assert_eq!(
        redist_access(&d, &cpus, &hw, &rd(2 * gicr::FRAME_SIZE + gicr::TYPER, 8)),
        0
    );
    assert_eq!(
        redist_access(&d, &cpus, &hw, &rd(9 * gicr::FRAME_SIZE, 4)),
        0
    );
    assert!(hw.touched.borrow().is_empty());
    // WAKER is virtual.
    let waker = gicr::FRAME_SIZE + gicr::WAKER;
    assert_eq!(redist_access(&d, &cpus, &hw, &rd(waker, 4)), 6);
    redist_access(&d, &cpus, &hw, &wr(waker, 4, 0));
    assert_eq!(redist_access(&d, &cpus, &hw, &rd(waker, 4)), 0);
}

/// Four list registers and a physical interrupt state.
#[derive(Default)]
struct FakeLrs {
    lr: [u64; 4],
    level: Vec<u32>,
    line: Vec<u32>,
    deactivated: Vec<u32>,
}

impl ListRegs for FakeLrs {
    fn count(&self) -> usize {
        4
    }
    fn read(&self, n: usize) -> u64 {
        self.lr[n]
    }
    fn write(&mut self, n: usize, v: u64) {
        self.lr[n] = v;
    }
    fn elrsr(&self) -> u64 {
        (0..4)
            .filter(|&k| self.lr[k] & ich_lr::STATE == 0)
            .fold(0, |m, k| m | 1 << k)
    }
    fn eisr(&self) -> u64 {
        (0..4)
            .filter(|&k| self.lr[k] & ich_lr::STATE == 0 && self.lr[k] & ich_lr::EOI != 0)
            .fold(0, |m, k| m | 1 << k)
    }
    fn phys_pending(&self, i: u32) -> bool {
        self.line.contains(&i)
    }
    fn phys_level(&self, i: u32) -> bool {
        self.level.contains(&i)
    }
    fn phys_deactivate(&mut self, i: u32) {
        self.deactivated.push(i);
    }
}

impl FakeLrs {
    fn intids(&self) -> Vec<u32> {
        self.lr
            .iter()
            .filter(|l| *l & ich_lr::STATE != 0)
            .map(|l| (l & ich_lr::VINTID) as u32)
            .collect()
    }
    /// The guest takes and completes everything in the LRs.
    fn guest_completes_all(&mut self) -> Vec<u32> {
        let v = self.intids();
        self.lr = [0; 4];
        v
    }
}

#[test]
fn disabled_sgis_stay_pending_until_enabled() {
    let d = VgicDist::new(1);
    let r = VgicRedist::new();
    let mut v = VgicCpu::new();
    let mut lrs = FakeLrs::default();
    r.send_sgi(3);
    v.flush(&r, &d, &mut lrs);
    assert!(lrs.intids().is_empty(), "SGI 3 is disabled");
    let hw = FakeGic::default();
    redist_access(&d, &[VgicRedist::new()], &hw, &rd(0, 4));
    // Enable it through GICR_ISENABLER0 of this vCPU's frame.
    redist_access(
        &d,
        core::slice::from_ref(&r),
        &hw,
        &wr(gicr::SGI_BASE + gicd::ISENABLER, 4, 1 << 3),
    );
    v.flush(&r, &d, &mut lrs);
    assert_eq!(lrs.intids(), [3]);
    // Sent again while pending in the LR: still one interrupt.
    r.send_sgi(3);
    v.flush(&r, &d, &mut lrs);
    assert_eq!(lrs.intids(), [3]);
}

#[test]
fn no_hardware_interrupt_is_ever_dropped() {
    let d = VgicDist::new(1);
    let r = VgicRedist::new();
    let mut v = VgicCpu::new();
    let mut lrs = FakeLrs::default();
    // Far more than the LRs (and than any fixed queue): 200 SPIs fired.
    for i in 32..232 {
        v.hw_fired(i);
    }
    let mut seen = Vec::new();
    for _ in 0..100 {
        let hcr = v.flush(&r, &d, &mut lrs);
        let more = hcr & ich_hcr::UIE != 0;
        seen.extend(lrs.guest_completes_all());
        if !more && v.waiting() == 0 {
            break;
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, (32..232).collect::<Vec<u32>>());
    // Each HW LR links the physical INTID.
    v.hw_fired(40);
    v.flush(&r, &d, &mut lrs);
    let l = lrs.lr[0];
    assert_eq!((l >> ich_lr::PINTID_SHIFT) & ich_lr::PINTID, 40);
    assert_ne!(l & ich_lr::HW, 0);
}

#[test]
fn a_level_interrupt_follows_its_line() {
    let d = VgicDist::new(1);
    let r = VgicRedist::new();
    let mut v = VgicCpu::new();
    let mut lrs = FakeLrs {
        level: std::vec![34],
        line: std::vec![34],
        ..FakeLrs::default()
    };
    v.hw_fired(34);
    let hcr = v.flush(&r, &d, &mut lrs);
    assert_ne!(hcr & ich_hcr::TALL1, 0, "the line must be checked first");
    // Line still high when the guest acknowledges: the LR stays.
    assert_eq!(v.resample(&mut lrs), 0);
    assert_eq!(lrs.intids(), [34]);
    assert_eq!(v.ich_hcr & ich_hcr::TALL1, 0);
    // The guest deactivated it with the line high; it fired again, and the
    // device drops the line before the guest acknowledges the new one.
    lrs.lr = [0; 4];
    v.hw_fired(34);
    v.flush(&r, &d, &mut lrs);
    lrs.line.clear();
    assert_eq!(v.resample(&mut lrs), 1);
    assert!(lrs.intids().is_empty());
    assert_eq!(lrs.deactivated, [34]);
    // Edge-triggered and PPIs are never checked.
    v.hw_fired(35);
    v.hw_fired(27);
    assert_eq!(v.flush(&r, &d, &mut lrs) & ich_hcr::TALL1, 0);
}

#[test]
fn an_sgi_sent_while_active_waits_for_its_completion_not_an_underflow() {
    let d = VgicDist::new(1);
    let r = VgicRedist::new();
    let hw = FakeGic::default();
    redist_access(
        &d,
        core::slice::from_ref(&r),
        &hw,
        &wr(gicr::SGI_BASE + gicd::ISENABLER, 4, 1 << 5),
    );
    let mut v = VgicCpu::new();
    let mut lrs = FakeLrs::default();
    r.send_sgi(5);
    v.flush(&r, &d, &mut lrs);
    // The guest acknowledges it (active) and it is sent again.
    let k = (0..4).find(|&k| lrs.lr[k] & ich_lr::STATE != 0).unwrap();
    lrs.lr[k] = (lrs.lr[k] & !ich_lr::STATE) | ich_lr::ACTIVE;
    r.send_sgi(5);
    let hcr = v.flush(&r, &d, &mut lrs);
    assert_eq!(
        hcr & ich_hcr::UIE,
        0,
        "no underflow interrupt while it is handled"
    );
    assert_ne!(lrs.lr[k] & ich_lr::EOI, 0, "its completion is signalled");
    assert_eq!(lrs.intids(), [5], "one LR per vINTID");
    // The guest completes it: the LR is invalid with EOI set (EISR).
    lrs.lr[k] &= !ich_lr::STATE;
    assert_ne!(lrs.eisr(), 0);
    v.flush(&r, &d, &mut lrs);
    assert_eq!(lrs.eisr(), 0, "the completed LR is cleared");
    assert_eq!(lrs.intids(), [5], "the second SGI is delivered");
}

#[test]
fn the_cpu_interface_signals_only_what_it_would_take() {
    use arch::regs::ich_vmcr::{VENG1, VPMR_SHIFT};
    let pend = |prio: u64| ich_lr::PENDING | ich_lr::GROUP1 | prio << ich_lr::PRIORITY_SHIFT | 40;
    let open = VENG1 | 0xf8 << VPMR_SHIFT;
    assert!(cpuif_signals(&[pend(0xa0)], open, [0, 0], 5));
    assert!(
        !cpuif_signals(&[pend(0xa0)], VENG1, [0, 0], 5),
        "masked by the priority mask"
    );
    assert!(
        !cpuif_signals(&[pend(0xa0)], 0xf8 << VPMR_SHIFT, [0, 0], 5),
        "group 1 disabled"
    );
    // 0xa0 active (group 0xa0 >> 3 = 20): an equal priority waits, a higher one preempts.
    assert!(!cpuif_signals(&[pend(0xa0)], open, [0, 1 << 20], 5));
    assert!(cpuif_signals(&[pend(0x80)], open, [0, 1 << 20], 5));
    let active = ich_lr::ACTIVE | ich_lr::GROUP1 | 0x80 << ich_lr::PRIORITY_SHIFT;
    assert!(
        !cpuif_signals(&[active, 0], open, [0, 0], 5),
        "nothing pending"
    );
}
