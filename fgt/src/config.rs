//! The trap configuration of a hypervisor (its EL2 trap registers) and the
//! coarse trap controls in it.
//!
//! Bit positions: Arm ARM D24.2 (HCR_EL2, HCRX_EL2, MDCR_EL2, CPTR_EL2,
//! CNTHCTL_EL2) and the GICv3 architecture specification 12.4 (ICH_HCR_EL2).

use crate::bits::{self, FgtReg};

// The register fields are the project's one vocabulary in `arch::regs`.
pub use arch::regs::{cnthctl, cptr, hcr, hcrx, ich_hcr, mdcr};

/// Which optional trap registers a configuration has (the features of the
/// CPU the hypervisor believes it runs on).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// FEAT_FGT: the six FGT registers are in effect.
    pub fgt: bool,
    /// FEAT_FGT2: the five FGT2 registers are in effect.
    pub fgt2: bool,
    /// FEAT_HCX: HCRX_EL2 is in effect (else it reads as 0 with the
    /// enables treated as 1, Arm ARM D24.2.49).
    pub hcx: bool,
}

/// The trap registers of one hypervisor, as L0 reads L1's from its VNCR page
/// (or as L0 writes its own to hardware).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrapConfig {
    /// HCR_EL2.
    pub hcr: u64,
    /// HCRX_EL2.
    pub hcrx: u64,
    /// MDCR_EL2.
    pub mdcr: u64,
    /// CPTR_EL2 (layout chosen by `hcr.E2H`).
    pub cptr: u64,
    /// CNTHCTL_EL2 (layout chosen by `hcr.E2H`).
    pub cnthctl: u64,
    /// ICH_HCR_EL2.
    pub ich_hcr: u64,
    /// The FGT and FGT2 registers, indexed by [`FgtReg`].
    pub fgt: [u64; FgtReg::COUNT],
    /// Which of the optional registers are in effect.
    pub feat: Features,
}

impl TrapConfig {
    /// A configuration that traps nothing at all: AArch64 EL1, every enable
    /// set, every fine-grained register at its untrapped value, E2H=0
    /// layouts with the physical timer and counter open to EL1.
    pub const fn untrapped(feat: Features) -> Self {
        let mut fgt = [0u64; FgtReg::COUNT];
        let mut i = 0;
        while i < FgtReg::COUNT {
            fgt[i] = bits::untrapped(FgtReg::ALL[i]);
            i += 1;
        }
        TrapConfig {
            hcr: hcr::RW | hcr::ENABLES,
            hcrx: hcrx::ENABLES & !hcrx::FGTNXS,
            mdcr: mdcr::E2PB | mdcr::E2TB,
            cptr: 0,
            cnthctl: cnthctl::EL1PCTEN | cnthctl::EL1PCEN,
            ich_hcr: 0,
            fgt,
            feat,
        }
    }
    /// The value of one FGT register.
    pub const fn fgt_reg(&self, r: FgtReg) -> u64 {
        self.fgt[r as usize]
    }
    /// Sets one FGT register.
    pub fn set_fgt_reg(&mut self, r: FgtReg, v: u64) {
        self.fgt[r as usize] = v;
    }
    /// Whether HCR_EL2.E2H is set (selects the CPTR/CNTHCTL layouts).
    pub const fn e2h(&self) -> bool {
        self.hcr & hcr::E2H != 0
    }
    /// HCRX_EL2 as the CPU sees it: without FEAT_HCX it behaves as if every
    /// enable were 1 and every trap 0.
    pub const fn hcrx_eff(&self) -> u64 {
        if self.feat.hcx {
            self.hcrx
        } else {
            hcrx::ENABLES & !hcrx::FGTNXS
        }
    }
    /// Whether the fine-grained traps of `r` are in effect for EL1/EL0:
    /// the feature is present and HCR_EL2.{E2H,TGE} is not {1,1}
    /// (Arm ARM D8.x, "Fine-grained traps").
    pub const fn fgt_active(&self, r: FgtReg) -> bool {
        let host = self.hcr & hcr::E2H != 0 && self.hcr & hcr::TGE != 0;
        !host
            && if r.is_fgt2() {
                self.feat.fgt2
            } else {
                self.feat.fgt
            }
    }
}

/// The VNCR page offset of a register (FEAT_NV2, {NV,NV1,NV2} = {1,0,1}),
/// from the table.
pub const fn vncr_offset(enc: crate::Enc) -> Option<u16> {
    match crate::table::lookup(enc) {
        Some(hit) => hit.desc.vncr_offset(hit.member),
        None => None,
    }
}

impl TrapConfig {
    /// L1's trap configuration as L0 reads it: HCR_EL2, HCRX_EL2,
    /// ICH_HCR_EL2 and the FGT/FGT2 registers from L1's VNCR page (FEAT_NV2
    /// keeps them there, Arm ARM D8.11), and the three trap registers that
    /// are not in the page (MDCR_EL2, CPTR_EL2, CNTHCTL_EL2 trap to L0,
    /// which keeps them) passed in. Offsets come from the table's `Nv2::Mem`
    /// column, the same source `route` uses.
    pub fn from_vncr(
        page: &[u64; 512],
        mdcr: u64,
        cptr: u64,
        cnthctl: u64,
        feat: Features,
    ) -> Self {
        use crate::Enc;
        let at = |enc: Enc| -> u64 {
            match vncr_offset(enc) {
                Some(off) => page.get(off as usize / 8).copied().unwrap_or(0),
                None => 0,
            }
        };
        let mut fgt = [0u64; FgtReg::COUNT];
        for r in FgtReg::ALL {
            fgt[r as usize] = at(r.enc());
        }
        TrapConfig {
            hcr: at(Enc::new(3, 4, 1, 1, 0)),
            hcrx: at(Enc::new(3, 4, 1, 2, 2)),
            mdcr,
            cptr,
            cnthctl,
            ich_hcr: at(Enc::new(3, 4, 12, 11, 0)),
            fgt,
            feat,
        }
    }
}
