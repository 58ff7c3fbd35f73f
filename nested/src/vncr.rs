//! The VNCR page (FEAT_NV2, Arm ARM D8.11 "Enhanced support for nested
//! virtualization", VNCR_EL2): the 4 KiB page in which L1's accesses to
//! many EL2 registers, and to the EL1 registers of its guest, become plain
//! loads and stores instead of traps. L0 gives each vCPU one page it owns
//! and reads L1's state from it when L1's guest (L2) is entered.
//!
//! Every offset here is taken from the trap table's NV2 column
//! (`fgt::config::vncr_offset`) at compile time: one source for the layout.

use arch::esr::Enc;

/// The offset of `enc`'s slot; a compile error if the table has none.
const fn slot(enc: Enc) -> usize {
    match fgt::config::vncr_offset(enc) {
        Some(o) => o as usize,
        None => panic!("register without a VNCR slot in fgt's table"),
    }
}

/// Offsets of the EL2 registers L0 reads from the page.
pub mod el2 {
    use super::{slot, Enc};
    /// VTTBR_EL2.
    pub const VTTBR: usize = slot(Enc::new(3, 4, 2, 1, 0));
    /// VTCR_EL2.
    pub const VTCR: usize = slot(Enc::new(3, 4, 2, 1, 2));
    /// VMPIDR_EL2.
    pub const VMPIDR: usize = slot(Enc::new(3, 4, 0, 0, 5));
    /// CNTVOFF_EL2.
    pub const CNTVOFF: usize = slot(Enc::new(3, 4, 14, 0, 3));
    /// HCR_EL2.
    pub const HCR: usize = slot(Enc::new(3, 4, 1, 1, 0));
    /// HSTR_EL2.
    pub const HSTR: usize = slot(Enc::new(3, 4, 1, 1, 3));
    /// VPIDR_EL2.
    pub const VPIDR: usize = slot(Enc::new(3, 4, 0, 0, 0));
    /// TPIDR_EL2.
    pub const TPIDR: usize = slot(Enc::new(3, 4, 13, 0, 2));
    /// HCRX_EL2.
    pub const HCRX: usize = slot(Enc::new(3, 4, 1, 2, 2));
    /// VNCR_EL2 (L1's own, for recursion: unused).
    pub const VNCR: usize = slot(Enc::new(3, 4, 2, 2, 0));
    /// ICH_LR<n>_EL2, 8 bytes apart.
    pub const ICH_LR0: usize = slot(Enc::new(3, 4, 12, 12, 0));
    /// ICH_AP0R0_EL2.
    pub const ICH_AP0R0: usize = slot(Enc::new(3, 4, 12, 8, 0));
    /// ICH_AP1R0_EL2.
    pub const ICH_AP1R0: usize = slot(Enc::new(3, 4, 12, 9, 0));
    /// ICH_HCR_EL2.
    pub const ICH_HCR: usize = slot(Enc::new(3, 4, 12, 11, 0));
    /// ICH_VMCR_EL2.
    pub const ICH_VMCR: usize = slot(Enc::new(3, 4, 12, 11, 7));
    /// VDISR_EL2.
    pub const VDISR: usize = slot(Enc::new(3, 4, 12, 1, 1));
    /// VSESR_EL2.
    pub const VSESR: usize = slot(Enc::new(3, 4, 5, 2, 3));
}

/// The guest's EL1 registers that have a slot: the slot of the *_EL12 /
/// *_EL02 alias (the same slot the EL1 encoding reaches with NV1 = 1), and
/// the two EL1 registers whose slot is used at any NV1 (ACTLR_EL1,
/// MDSCR_EL1) and SP_EL1. In this order the world switch loads and saves
/// them.
pub mod el1 {
    use super::{slot, Enc};
    /// SCTLR_EL1 (SCTLR_EL12).
    pub const SCTLR: usize = slot(Enc::new(3, 5, 1, 0, 0));
    /// CPACR_EL1 (CPACR_EL12).
    pub const CPACR: usize = slot(Enc::new(3, 5, 1, 0, 2));
    /// TTBR0_EL1.
    pub const TTBR0: usize = slot(Enc::new(3, 5, 2, 0, 0));
    /// TTBR1_EL1.
    pub const TTBR1: usize = slot(Enc::new(3, 5, 2, 0, 1));
    /// TCR_EL1.
    pub const TCR: usize = slot(Enc::new(3, 5, 2, 0, 2));
    /// AFSR0_EL1.
    pub const AFSR0: usize = slot(Enc::new(3, 5, 5, 1, 0));
    /// AFSR1_EL1.
    pub const AFSR1: usize = slot(Enc::new(3, 5, 5, 1, 1));
    /// ESR_EL1.
    pub const ESR: usize = slot(Enc::new(3, 5, 5, 2, 0));
    /// FAR_EL1.
    pub const FAR: usize = slot(Enc::new(3, 5, 6, 0, 0));
    /// MAIR_EL1.
    pub const MAIR: usize = slot(Enc::new(3, 5, 10, 2, 0));
    /// AMAIR_EL1.
    pub const AMAIR: usize = slot(Enc::new(3, 5, 10, 3, 0));
    /// VBAR_EL1.
    pub const VBAR: usize = slot(Enc::new(3, 5, 12, 0, 0));
    /// CONTEXTIDR_EL1.
    pub const CONTEXTIDR: usize = slot(Enc::new(3, 5, 13, 0, 1));
    /// SPSR_EL1.
    pub const SPSR: usize = slot(Enc::new(3, 5, 4, 0, 0));
    /// ELR_EL1.
    pub const ELR: usize = slot(Enc::new(3, 5, 4, 0, 1));
    /// SP_EL1 (MSR/MRS SP_EL1, op1 = 4).
    pub const SP: usize = slot(Enc::new(3, 4, 4, 1, 0));
    /// ACTLR_EL1 (in the page at any NV1).
    pub const ACTLR: usize = slot(Enc::new(3, 0, 1, 0, 1));
    /// ZCR_EL1 (ZCR_EL12; FEAT_SVE).
    pub const ZCR: usize = slot(Enc::new(3, 5, 1, 2, 0));
    /// MDSCR_EL1 (in the page at any NV1).
    pub const MDSCR: usize = slot(Enc::new(2, 0, 0, 2, 2));
    /// CNTV_CVAL_EL0 (CNTV_CVAL_EL02).
    pub const CNTV_CVAL: usize = slot(Enc::new(3, 5, 14, 3, 2));
    /// CNTV_CTL_EL0 (CNTV_CTL_EL02).
    pub const CNTV_CTL: usize = slot(Enc::new(3, 5, 14, 3, 1));
    /// CNTP_CVAL_EL0 (CNTP_CVAL_EL02).
    pub const CNTP_CVAL: usize = slot(Enc::new(3, 5, 14, 2, 2));
    /// CNTP_CTL_EL0 (CNTP_CTL_EL02).
    pub const CNTP_CTL: usize = slot(Enc::new(3, 5, 14, 2, 1));
}

/// One vCPU's page, 4 KiB aligned as VNCR_EL2.BADDR requires.
#[repr(C, align(4096))]
#[derive(Clone)]
pub struct VncrPage(pub [u64; 512]);

impl Default for VncrPage {
    fn default() -> Self {
        VncrPage([0; 512])
    }
}

impl VncrPage {
    /// The register in the slot at byte offset `off`.
    #[inline]
    pub fn get(&self, off: usize) -> u64 {
        self.0[(off / 8) % 512]
    }
    /// Writes the slot at byte offset `off`.
    #[inline]
    pub fn set(&mut self, off: usize, v: u64) {
        self.0[(off / 8) % 512] = v;
    }
    /// The slot of encoding `enc`, if it has one (fgt's table).
    pub fn slot_of(enc: Enc) -> Option<usize> {
        fgt::config::vncr_offset(enc).map(usize::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_the_architected_ones() {
        // Arm ARM VNCR_EL2 offsets (R_CSRPQ), as QEMU and KVM use them.
        assert_eq!(
            (
                el2::VTTBR,
                el2::VTCR,
                el2::HCR,
                el2::CNTVOFF,
                el2::ICH_LR0,
                el2::ICH_HCR
            ),
            (0x20, 0x40, 0x78, 0x60, 0x400, 0x4c0)
        );
        assert_eq!(
            (el1::SCTLR, el1::ELR, el1::SPSR, el1::SP),
            (0x110, 0x230, 0x160, 0x240)
        );
        assert_eq!(
            (el1::ACTLR, el1::MDSCR, el1::CNTV_CTL, el1::CNTP_CVAL),
            (0x118, 0x158, 0x170, 0x178)
        );
        let mut p = VncrPage::default();
        p.set(el2::HCR, 7);
        assert_eq!(p.get(0x78), 7);
        assert_eq!(VncrPage::slot_of(Enc::new(3, 4, 1, 1, 0)), Some(0x78));
        assert_eq!(
            VncrPage::slot_of(Enc::new(3, 4, 1, 0, 0)),
            None,
            "SCTLR_EL2 traps"
        );
        assert_eq!(core::mem::align_of::<VncrPage>(), 4096);
    }
}
