//! The EL2 controls the hardware runs with in each context of a nested
//! vCPU, and L1's trap configuration as L0 reads it.
//!
//! At virtual EL2, L0's own configuration plus HCR_EL2.{NV, NV2} (NV1 for
//! an nVHE L1), AT (AT S1E0/S1E1 from virtual EL2 mean L1's EL2&0 regime
//! or its guest's EL1&0 regime depending on TGE, which L0 cannot see L1
//! change in its page), TSC (on QEMU virt without EL3 an untrapped SMC
//! reaches QEMU's firmware), and without TVM/TRVM (they would trap L1's
//! own EL2 register accesses). L1's EL1 TLBIs: see [`TlbiPolicy`].
//! In the guest context, `fgt::merge` of L0's and L1's configurations.

use arch::regs::hcr;
use fgt::{Features, TrapConfig};

use crate::vncr::VncrPage;

/// HCR_EL2 bits added at virtual EL2 (TTLB per [`TlbiPolicy`]).
pub const VEL2_SET: u64 = hcr::NV | hcr::NV2 | hcr::AT | hcr::TSC;
/// HCR_EL2 bits removed at virtual EL2 (L0 runs non-VHE: E2H and TGE are
/// its own and stay clear; TVM/TRVM would trap L1's EL2 registers).
pub const VEL2_CLEAR: u64 = hcr::TVM | hcr::TRVM | hcr::TGE | hcr::E2H | hcr::NV1;

/// HCR_EL2 at virtual EL2 from L0's guest configuration `l0_hcr`, for an
/// L1 in layout `e2h`, trapping its EL1 TLBIs per `tlbi`.
pub const fn vel2_hcr(l0_hcr: u64, e2h: bool, tlbi: TlbiPolicy) -> u64 {
    (l0_hcr & !VEL2_CLEAR)
        | VEL2_SET
        | if e2h { 0 } else { hcr::NV1 }
        | if matches!(tlbi, TlbiPolicy::TrapAll) {
            hcr::TTLB
        } else {
            0
        }
}

/// How L1's EL1 TLB maintenance instructions at virtual EL2 are run.
///
/// Their target depends on L1's HCR_EL2 (Arm ARM chapter D8, "TLB
/// maintenance instructions", the regime an EL1 TLBI at EL2 acts on): with {E2H, TGE} = {1, 1} (a VHE host) they act on L1's
/// EL2&0 regime, which is the hardware EL1&0 regime under L1's VMID, so
/// they may run on the hardware; otherwise they act on the EL1&0 regime
/// of the VMID in L1's VTTBR_EL2 and L0 must replay them for its shadow.
/// L1 changes TGE in its page without a trap, so L0 decides at each trap
/// it sees; the instructions a hypervisor uses right after clearing TGE
/// with no trap in between (Linux KVM's VMALLE1 and VMALLE1IS/OS, and
/// every EL2 TLBI, which NV traps) are trapped always through HFGITR_EL2.
/// What stays open: a VA- or ASID-based EL1 TLBI that L1 issues after
/// clearing TGE and before any other trap would act on L1's own VMID, not
/// its guest's (Linux KVM issues none; docs/nested.md, "NV2 limits").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlbiPolicy {
    /// Every EL1 TLBI traps (HCR_EL2.TTLB).
    TrapAll,
    /// They run on the hardware but for VMALLE1* (HFGITR_EL2).
    Native,
}

impl TlbiPolicy {
    /// The policy for L1's HCR_EL2 `l1_hcr` as of the last trap (FEAT_FGT
    /// present: `fgt`).
    pub const fn for_hcr(l1_hcr: u64, fgt: bool) -> Self {
        if fgt && crate::vel2::host_el0(l1_hcr) {
            TlbiPolicy::Native
        } else {
            TlbiPolicy::TrapAll
        }
    }

    /// The HFGITR_EL2 bits the policy needs.
    pub const fn hfgitr(self) -> u64 {
        match self {
            TlbiPolicy::TrapAll => 0,
            TlbiPolicy::Native => {
                use fgt::bits::hfgitr as f;
                f::TLBIVMALLE1.mask() | f::TLBIVMALLE1IS.mask() | f::TLBIVMALLE1OS.mask()
            }
        }
    }
}

/// HCR_EL2 bits L1 cannot set for its guest: nested virtualization is
/// not offered to L1 (ID_AA64MMFR2_EL1.NV = 0), its E2H/TGE describe its
/// own EL2, and its guest is AArch64.
const L1_HCR_IGNORED: u64 = hcr::NV | hcr::NV1 | hcr::NV2 | hcr::E2H | hcr::TGE | hcr::FWB;

/// L1's trap configuration: the registers in its page and the three L0
/// keeps (MDCR_EL2, CPTR_EL2, CNTHCTL_EL2, each in L1's layout).
pub fn l1_config(
    page: &VncrPage,
    mdcr: u64,
    cptr: u64,
    cnthctl: u64,
    feat: Features,
) -> TrapConfig {
    TrapConfig::from_vncr(&page.0, mdcr, cptr, cnthctl, feat)
}

/// The configuration L1's guest runs with: L0's and L1's traps merged
/// (fgt::merge), plus what of L1's HCR_EL2 is not a trap but applies to
/// its guest: virtual interrupt injection bits for the interrupts L1
/// routes to itself, stage-2 cacheability controls and PTW.
pub fn guest_config(l0: &TrapConfig, l1: &TrapConfig) -> TrapConfig {
    let mut m = fgt::merge(l0, l1);
    let h1 = l1.hcr & !L1_HCR_IGNORED;
    let routed = |route: u64, bit: u64| if h1 & route != 0 { h1 & bit } else { 0 };
    m.hcr |= routed(hcr::IMO, hcr::VI) | routed(hcr::FMO, hcr::VF) | routed(hcr::AMO, hcr::VSE);
    m.hcr |= h1 & (hcr::PTW | hcr::DC | hcr::CD | hcr::ID);
    m.hcr &= !L1_HCR_IGNORED;
    m.hcr |= hcr::RW | hcr::VM;
    // L1's E2H decides the layouts of its CPTR/CNTHCTL, which merge has
    // already translated into L0's (E2H = 0) ones.
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vncr::el2 as off;

    const L0: u64 = hcr::VM
        | hcr::IMO
        | hcr::FMO
        | hcr::AMO
        | hcr::TID3
        | hcr::TSC
        | hcr::RW
        | hcr::API
        | hcr::APK;

    #[test]
    fn vel2_controls() {
        let h = vel2_hcr(L0 | hcr::TVM, true, TlbiPolicy::TrapAll);
        assert_eq!(
            h & (hcr::NV | hcr::NV2 | hcr::AT | hcr::TTLB),
            hcr::NV | hcr::NV2 | hcr::AT | hcr::TTLB
        );
        assert_eq!(h & (hcr::NV1 | hcr::TVM | hcr::E2H), 0);
        assert_ne!(vel2_hcr(L0, false, TlbiPolicy::TrapAll) & hcr::NV1, 0);
        assert_eq!(vel2_hcr(L0, true, TlbiPolicy::Native) & hcr::TTLB, 0);
    }

    #[test]
    fn tlbis_run_natively_only_in_a_vhe_host_context() {
        let host = hcr::E2H | hcr::TGE;
        assert_eq!(TlbiPolicy::for_hcr(host, true), TlbiPolicy::Native);
        assert_eq!(TlbiPolicy::for_hcr(hcr::E2H, true), TlbiPolicy::TrapAll);
        assert_eq!(TlbiPolicy::for_hcr(hcr::TGE, true), TlbiPolicy::TrapAll);
        assert_eq!(
            TlbiPolicy::for_hcr(host, false),
            TlbiPolicy::TrapAll,
            "no FGT"
        );
        // VMALLE1, VMALLE1IS and VMALLE1OS trap even then (bits 42, 28, 18).
        assert_eq!(
            TlbiPolicy::Native.hfgitr(),
            (1 << 42) | (1 << 28) | (1 << 18)
        );
        assert_eq!(TlbiPolicy::TrapAll.hfgitr(), 0);
    }

    #[test]
    fn merged_guest_controls() {
        let feat = Features {
            fgt: true,
            fgt2: false,
            hcx: true,
        };
        let mut l0 = TrapConfig::untrapped(feat);
        l0.hcr = L0;
        let mut page = VncrPage::default();
        // L1: stage 2 on, IRQs to itself with a virtual IRQ pending, WFI
        // trapped, and (wrongly) NV.
        page.set(
            off::HCR,
            hcr::VM
                | hcr::IMO
                | hcr::VI
                | hcr::TWI
                | hcr::NV
                | hcr::E2H
                | hcr::RW
                | hcr::API
                | hcr::APK,
        );
        let l1 = l1_config(&page, 0, 3 << 20, 0b11 << 10, feat);
        let g = guest_config(&l0, &l1);
        assert_ne!(g.hcr & hcr::TWI, 0, "L1's trap");
        assert_ne!(g.hcr & hcr::TID3, 0, "L0's trap");
        assert_ne!(g.hcr & hcr::VI, 0, "L1's virtual IRQ, IMO set");
        assert_eq!(g.hcr & (hcr::NV | hcr::E2H | hcr::TGE), 0);
        assert_ne!(g.hcr & hcr::VM, 0);
        // Without IMO, L1's VI does not apply to its guest.
        page.set(off::HCR, hcr::VI | hcr::RW | hcr::API | hcr::APK);
        let g = guest_config(&l0, &l1_config(&page, 0, 0, 0b11, feat));
        assert_eq!(g.hcr & hcr::VI, 0);
    }
}
