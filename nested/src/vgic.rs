//! The nested vGIC: L1's virtual CPU interface for its guest.
//!
//! L1 programs ICH_HCR_EL2, ICH_VMCR_EL2, ICH_AP0R/AP1R and ICH_LR<n>_EL2
//! in its VNCR page (FEAT_NV2 makes them memory). While L1's guest runs
//! with L1's HCR_EL2.IMO/FMO set, the hardware list registers hold L1's
//! (loaded by [`load`], synced back by [`sync`]); L0's own list registers
//! for L1 are put aside meanwhile, and anything L0 has pending for L1 takes
//! the vCPU back to virtual EL2 instead. ICH_MISR_EL2, ICH_EISR_EL2 and
//! ICH_ELRSR_EL2 trap and are computed from L1's list registers
//! ([`status`]); ICH_VTR_EL2 is the hardware's (so L1 uses no more list
//! registers than there are). The maintenance interrupt L1 asked for is
//! virtual: its level is "En and MISR != 0" (IHI 0069, 4.9
//! "Maintenance interrupts"; register layouts 12.5).

use arch::regs::{ich_hcr, ich_lr};

use crate::vncr::{el2 as off, VncrPage};

/// Most list registers a CPU has (ICH_VTR_EL2.ListRegs is 4 bits + 1).
pub const MAX_LRS: usize = 16;

/// ICH_HCR_EL2 maintenance-interrupt enables beyond UIE/LRENPIE/NPIE:
/// VGrp0EIE (4), VGrp0DIE (5), VGrp1EIE (6), VGrp1DIE (7); EOIcount
/// `[31:27]`.
const VGRP0EIE: u64 = 1 << 4;
const VGRP0DIE: u64 = 1 << 5;
const VGRP1EIE: u64 = 1 << 6;
const VGRP1DIE: u64 = 1 << 7;
const EOICOUNT_SHIFT: u32 = 27;
/// ICH_VMCR_EL2.VENG0 (bit 0) and VENG1 (bit 1).
const VMCR_VENG0: u64 = 1 << 0;
const VMCR_VENG1: u64 = 1 << 1;
/// ICH_MISR_EL2 bits (IHI 0069, 12.5.8): EOI, U, LRENP, NP, VGrp0E,
/// VGrp0D, VGrp1E, VGrp1D.
pub mod misr {
    /// An LR with EOI maintenance was deactivated (EISR non-zero).
    pub const EOI: u64 = 1 << 0;
    /// Underflow: UIE and at most one valid LR.
    pub const U: u64 = 1 << 1;
    /// LRENPIE and EOIcount non-zero.
    pub const LRENP: u64 = 1 << 2;
    /// NPIE and no pending LR.
    pub const NP: u64 = 1 << 3;
    /// VGrp0EIE and Group 0 enabled.
    pub const VGRP0E: u64 = 1 << 4;
    /// VGrp0DIE and Group 0 disabled.
    pub const VGRP0D: u64 = 1 << 5;
    /// VGrp1EIE and Group 1 enabled.
    pub const VGRP1E: u64 = 1 << 6;
    /// VGrp1DIE and Group 1 disabled.
    pub const VGRP1D: u64 = 1 << 7;
}

/// ICH_MISR_EL2, ICH_EISR_EL2 and ICH_ELRSR_EL2 as L1 reads them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// ICH_MISR_EL2.
    pub misr: u64,
    /// ICH_EISR_EL2: LR n has State 0, HW 0 and EOI 1.
    pub eisr: u64,
    /// ICH_ELRSR_EL2: LR n has State 0.
    pub elrsr: u64,
}

fn lr(page: &VncrPage, n: usize) -> u64 {
    page.get(off::ICH_LR0 + 8 * n)
}

/// L1's status registers from its page, for `nr` list registers.
pub fn status(page: &VncrPage, nr: usize) -> Status {
    let hcr = page.get(off::ICH_HCR);
    let vmcr = page.get(off::ICH_VMCR);
    let mut s = Status::default();
    let (mut valid, mut pending) = (0usize, 0usize);
    for n in 0..nr.min(MAX_LRS) {
        let l = lr(page, n);
        let state = l & ich_lr::STATE;
        if state == 0 {
            s.elrsr |= 1 << n;
            if l & ich_lr::HW == 0 && l & ich_lr::EOI != 0 {
                s.eisr |= 1 << n;
            }
        } else {
            valid += 1;
        }
        if state & ich_lr::PENDING != 0 {
            pending += 1;
        }
    }
    let bit = |c: bool, b: u64| if c { b } else { 0 };
    s.misr = bit(s.eisr != 0, misr::EOI)
        | bit(hcr & ich_hcr::UIE != 0 && valid <= 1, misr::U)
        | bit(
            hcr & ich_hcr::LRENPIE != 0 && (hcr >> EOICOUNT_SHIFT) & 0x1f != 0,
            misr::LRENP,
        )
        | bit(hcr & ich_hcr::NPIE != 0 && pending == 0, misr::NP)
        | bit(hcr & VGRP0EIE != 0 && vmcr & VMCR_VENG0 != 0, misr::VGRP0E)
        | bit(hcr & VGRP0DIE != 0 && vmcr & VMCR_VENG0 == 0, misr::VGRP0D)
        | bit(hcr & VGRP1EIE != 0 && vmcr & VMCR_VENG1 != 0, misr::VGRP1E)
        | bit(hcr & VGRP1DIE != 0 && vmcr & VMCR_VENG1 == 0, misr::VGRP1D);
    s
}

/// Whether L1's maintenance interrupt is asserted (En and MISR non-zero).
pub fn maintenance_pending(page: &VncrPage, nr: usize) -> bool {
    page.get(off::ICH_HCR) & ich_hcr::EN != 0 && status(page, nr).misr != 0
}

/// L1's list registers as the hardware runs them, and how they map back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Hardware ICH_LR<n>_EL2 values.
    pub lrs: [u64; MAX_LRS],
    /// ICH_HCR_EL2 to run with (L1's, with L0's trap bits added).
    pub hcr: u64,
    /// ICH_VMCR_EL2.
    pub vmcr: u64,
    /// ICH_AP0R0_EL2 and ICH_AP1R0_EL2.
    pub apr: [u64; 2],
}

/// Loads L1's virtual interface for its guest: `nr` hardware list
/// registers; `phys(i)` the physical INTID L0 backs L1's INTID `i` with,
/// if any (L1's HW = 1 list registers name L1's INTIDs, IHI 0069 12.5.9
/// pINTID); `l0_traps` ICH_HCR_EL2 trap bits L0 needs.
pub fn load(
    page: &VncrPage,
    nr: usize,
    phys: impl Fn(u32) -> Option<u32>,
    l0_traps: u64,
) -> Loaded {
    let mut out = Loaded {
        hcr: page.get(off::ICH_HCR) | l0_traps,
        vmcr: page.get(off::ICH_VMCR),
        apr: [page.get(off::ICH_AP0R0), page.get(off::ICH_AP1R0)],
        ..Loaded::default()
    };
    for n in 0..nr.min(MAX_LRS) {
        let mut l = lr(page, n);
        if l & ich_lr::HW != 0 && l & ich_lr::STATE != 0 {
            let p1 = ((l >> ich_lr::PINTID_SHIFT) & ich_lr::PINTID) as u32;
            l &= !(ich_lr::PINTID << ich_lr::PINTID_SHIFT);
            match phys(p1) {
                Some(p) => l |= u64::from(p) << ich_lr::PINTID_SHIFT,
                None => {
                    // No physical interrupt behind L1's: a software one
                    // (its deactivation reaches L0 through `sync`).
                    l &= !ich_lr::HW;
                }
            }
        }
        out.lrs[n] = l;
    }
    out
}

/// After the guest ran: the hardware list-register states `hw` back into
/// L1's page (the other fields stay as L1 wrote them), ICH_VMCR_EL2, the
/// active priorities `apr` (ICH_AP0R0/AP1R0_EL2: a guest's acknowledge
/// sets a bit there that its EOI needs later) and ICH_HCR_EL2.EOIcount
/// likewise. Returns the L1 physical INTIDs (pINTID fields) of the HW = 1
/// list registers the guest deactivated: L1 sees those interrupts as its
/// own physical ones, which L0 delivered to it through its own list
/// registers, and their completion must reach those too.
pub fn sync(
    page: &mut VncrPage,
    nr: usize,
    hw: &[u64],
    vmcr: u64,
    apr: [u64; 2],
    hw_hcr: u64,
) -> impl Iterator<Item = u32> {
    let mut done = [None; MAX_LRS];
    for n in 0..nr.min(MAX_LRS).min(hw.len()) {
        let slot = off::ICH_LR0 + 8 * n;
        let old = page.get(slot);
        let state = hw[n] & ich_lr::STATE;
        page.set(slot, (old & !ich_lr::STATE) | state);
        if old & ich_lr::HW != 0 && old & ich_lr::STATE != 0 && state == 0 {
            done[n] = Some(((old >> ich_lr::PINTID_SHIFT) & ich_lr::PINTID) as u32);
        }
    }
    page.set(off::ICH_VMCR, vmcr);
    page.set(off::ICH_AP0R0, apr[0]);
    page.set(off::ICH_AP1R0, apr[1]);
    let eoi_mask = 0x1f << EOICOUNT_SHIFT;
    let h = page.get(off::ICH_HCR);
    page.set(off::ICH_HCR, (h & !eoi_mask) | (hw_hcr & eoi_mask));
    done.into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn page_with(lrs: &[u64], hcr: u64, vmcr: u64) -> VncrPage {
        let mut p = VncrPage::default();
        for (n, &l) in lrs.iter().enumerate() {
            p.set(off::ICH_LR0 + 8 * n, l);
        }
        p.set(off::ICH_HCR, hcr);
        p.set(off::ICH_VMCR, vmcr);
        p
    }

    const PEND: u64 = ich_lr::PENDING | ich_lr::GROUP1;

    #[test]
    fn status_registers() {
        let eoi_lr = ich_lr::EOI | 40;
        let p = page_with(&[PEND | 27, 0, eoi_lr, ich_lr::ACTIVE | 33], ich_hcr::EN, 0);
        let s = status(&p, 4);
        assert_eq!(s.elrsr, 0b0110);
        assert_eq!(s.eisr, 0b0100);
        assert_eq!(s.misr, misr::EOI);
        assert!(maintenance_pending(&p, 4));
        // Underflow with one valid LR, no-pending with none pending.
        let p = page_with(
            &[ich_lr::ACTIVE | 27],
            ich_hcr::EN | ich_hcr::UIE | ich_hcr::NPIE,
            0,
        );
        assert_eq!(status(&p, 4).misr, misr::U | misr::NP);
        // EOIcount with LRENPIE, and the group enable/disable kinds.
        let p = page_with(
            &[PEND | 1, PEND | 2],
            ich_hcr::LRENPIE | (3 << 27) | VGRP1EIE | VGRP0DIE,
            VMCR_VENG1,
        );
        assert_eq!(
            status(&p, 4).misr,
            misr::LRENP | misr::VGRP1E | misr::VGRP0D
        );
        assert!(
            !maintenance_pending(&p, 4),
            "En clear: no maintenance interrupt"
        );
    }

    #[test]
    fn hw_lrs_are_linked_to_physical_interrupts() {
        let hw_lr = |v: u64, p: u64| PEND | ich_lr::HW | (p << 32) | v;
        let p = page_with(
            &[hw_lr(27, 27), hw_lr(50, 99), PEND | 5],
            ich_hcr::EN,
            VMCR_VENG1,
        );
        // L0 backs L1's INTID 27 with physical 27; L1's 99 is L0's software interrupt.
        let l = load(&p, 4, |i| (i == 27).then_some(27), ich_hcr::TALL0);
        assert_eq!((l.lrs[0] >> 32) & 0x1fff, 27);
        assert_ne!(l.lrs[0] & ich_lr::HW, 0);
        assert_eq!(
            l.lrs[1] & ich_lr::HW,
            0,
            "no physical interrupt: software LR"
        );
        assert_eq!(l.lrs[2], PEND | 5);
        assert_eq!(l.hcr, ich_hcr::EN | ich_hcr::TALL0);
        // The guest took 5 (active), deactivated 50, left 27 pending.
        let mut page = p.clone();
        let hw = [l.lrs[0], 0, ich_lr::ACTIVE | ich_lr::GROUP1 | 5, 0];
        let done: Vec<u32> =
            sync(&mut page, 4, &hw, VMCR_VENG1 | 0x80, [0, 1 << 15], 2 << 27).collect();
        assert_eq!(done, [99]);
        assert_eq!(page.get(off::ICH_LR0 + 16) & ich_lr::STATE, ich_lr::ACTIVE);
        assert_eq!(page.get(off::ICH_LR0 + 8) & ich_lr::STATE, 0);
        assert_eq!(
            (page.get(off::ICH_LR0 + 8) >> 32) & 0x1fff,
            99,
            "L1's fields stay"
        );
        assert_eq!(page.get(off::ICH_VMCR), VMCR_VENG1 | 0x80);
        assert_eq!(
            page.get(off::ICH_AP1R0),
            1 << 15,
            "the active priority of 5 stays"
        );
        assert_eq!(page.get(off::ICH_HCR) >> 27, 2);
    }
}
