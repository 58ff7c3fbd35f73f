//! The trap configuration of a hypervisor (its EL2 trap registers) and the
//! coarse trap controls in it.
//!
//! Bit positions: Arm ARM D24.2 (HCR_EL2, HCRX_EL2, MDCR_EL2, CPTR_EL2,
//! CNTHCTL_EL2) and the GICv3 architecture specification 12.4 (ICH_HCR_EL2).

use crate::bits::{self, FgtReg};

/// HCR_EL2 fields (Arm ARM D24.2.48).
pub mod hcr {
    /// Virtual IRQ routing / IRQ virtualisation.
    pub const IMO: u64 = 1 << 4;
    /// FIQ virtualisation.
    pub const FMO: u64 = 1 << 3;
    /// Trap WFI.
    pub const TWI: u64 = 1 << 13;
    /// Trap WFE.
    pub const TWE: u64 = 1 << 14;
    /// Trap ID group 0 (AArch32 only).
    pub const TID0: u64 = 1 << 15;
    /// Trap ID group 1.
    pub const TID1: u64 = 1 << 16;
    /// Trap ID group 2 (cache identification).
    pub const TID2: u64 = 1 << 17;
    /// Trap ID group 3 (feature ID registers).
    pub const TID3: u64 = 1 << 18;
    /// Trap SMC.
    pub const TSC: u64 = 1 << 19;
    /// Trap implementation-defined registers (CRn 11/15).
    pub const TIDCP: u64 = 1 << 20;
    /// Trap ACTLR_EL1.
    pub const TACR: u64 = 1 << 21;
    /// Trap data/unified cache maintenance by set/way.
    pub const TSW: u64 = 1 << 22;
    /// Trap cache maintenance to the Point of Coherency/Persistence.
    pub const TPCP: u64 = 1 << 23;
    /// Trap cache maintenance to the Point of Unification.
    pub const TPU: u64 = 1 << 24;
    /// Trap TLB maintenance.
    pub const TTLB: u64 = 1 << 25;
    /// Trap virtual-memory control writes.
    pub const TVM: u64 = 1 << 26;
    /// Trap general exceptions to EL2.
    pub const TGE: u64 = 1 << 27;
    /// Trap DC ZVA / GVA / GZVA.
    pub const TDZ: u64 = 1 << 28;
    /// HVC disable.
    pub const HCD: u64 = 1 << 29;
    /// Trap virtual-memory control reads.
    pub const TRVM: u64 = 1 << 30;
    /// EL1 is AArch64.
    pub const RW: u64 = 1 << 31;
    /// EL2 host (VHE).
    pub const E2H: u64 = 1 << 34;
    /// Trap LORegion registers.
    pub const TLOR: u64 = 1 << 35;
    /// Trap error-record registers.
    pub const TERR: u64 = 1 << 36;
    /// Pointer-authentication key registers enabled (0 traps).
    pub const APK: u64 = 1 << 40;
    /// Pointer-authentication instructions enabled (0 traps).
    pub const API: u64 = 1 << 41;
    /// Nested virtualisation.
    pub const NV: u64 = 1 << 42;
    /// Nested virtualisation, EL1 register traps.
    pub const NV1: u64 = 1 << 43;
    /// Trap AT S1E0*, S1E1*.
    pub const AT: u64 = 1 << 44;
    /// Enhanced nested virtualisation (VNCR).
    pub const NV2: u64 = 1 << 45;
    /// Fault-injection registers enabled (0 traps).
    pub const FIEN: u64 = 1 << 47;
    /// Trap ID group 4 (cache identification, not CTR_EL0).
    pub const TID4: u64 = 1 << 49;
    /// Trap IC IALLUIS.
    pub const TICAB: u64 = 1 << 50;
    /// Trap cache maintenance to the Point of Unification (FEAT_EVT).
    pub const TOCU: u64 = 1 << 52;
    /// SCXTNUM_ELx enabled (0 traps).
    pub const ENSCXT: u64 = 1 << 53;
    /// Trap TLB maintenance, Inner Shareable.
    pub const TTLBIS: u64 = 1 << 54;
    /// Trap TLB maintenance, Outer Shareable.
    pub const TTLBOS: u64 = 1 << 55;
    /// Allocation-tag access (0 traps the MTE registers).
    pub const ATA: u64 = 1 << 56;
    /// Trap ID group 5 (GMID_EL1).
    pub const TID5: u64 = 1 << 58;
    /// Positive-polarity trap bits (trap when 1), merged by OR.
    pub const TRAPS: u64 = TWI
        | TWE
        | TID0
        | TID1
        | TID2
        | TID3
        | TSC
        | TIDCP
        | TACR
        | TSW
        | TPCP
        | TPU
        | TTLB
        | TVM
        | TDZ
        | TRVM
        | TLOR
        | TERR
        | NV
        | NV1
        | AT
        | TID4
        | TICAB
        | TOCU
        | TTLBIS
        | TTLBOS
        | TID5;
    /// Negative-polarity enables (trap when 0), merged by AND.
    pub const ENABLES: u64 = APK | API | FIEN | ENSCXT | ATA;
}

/// HCRX_EL2 fields (Arm ARM D24.2.49).
pub mod hcrx {
    /// ST64BV0 enabled (0 traps).
    pub const ENAS0: u64 = 1 << 0;
    /// LD64B/ST64B enabled (0 traps).
    pub const ENALS: u64 = 1 << 1;
    /// ST64BV enabled (0 traps).
    pub const ENASR: u64 = 1 << 2;
    /// nXS TLBIs behave as XS.
    pub const FNXS: u64 = 1 << 3;
    /// Fine-grained traps do not apply to the nXS TLBI forms.
    pub const FGTNXS: u64 = 1 << 4;
    /// Trap MSR writes of ALLINT.
    pub const TALLINT: u64 = 1 << 6;
    /// TCR2_EL1 enabled (0 traps).
    pub const TCR2EN: u64 = 1 << 14;
    /// SCTLR2_EL1 enabled (0 traps).
    pub const SCTLR2EN: u64 = 1 << 15;
    /// GCS registers enabled (0 traps).
    pub const GCSEN: u64 = 1 << 22;
    /// FPMR enabled (0 traps).
    pub const ENFPM: u64 = 1 << 23;
    /// Positive trap bits.
    pub const TRAPS: u64 = TALLINT;
    /// Negative-polarity enables (including FGTnXS, whose 1 removes traps).
    pub const ENABLES: u64 = ENAS0 | ENALS | ENASR | FGTNXS | TCR2EN | SCTLR2EN | GCSEN | ENFPM;
}

/// MDCR_EL2 fields (Arm ARM D24.2.77).
pub mod mdcr {
    /// HPMN, the counters reserved for EL1/EL0.
    pub const HPMN: u64 = 0x1f;
    /// Trap PMCR_EL0.
    pub const TPMCR: u64 = 1 << 5;
    /// Trap all PMU registers.
    pub const TPM: u64 = 1 << 6;
    /// Route debug exceptions to EL2 (and imply TDA, TDOSA, TDRA).
    pub const TDE: u64 = 1 << 8;
    /// Trap debug registers.
    pub const TDA: u64 = 1 << 9;
    /// Trap OS-related debug registers.
    pub const TDOSA: u64 = 1 << 10;
    /// Trap debug ROM address registers.
    pub const TDRA: u64 = 1 << 11;
    /// E2PB, profiling-buffer owner (0b11: EL1 owns, no trap).
    pub const E2PB: u64 = 3 << 12;
    /// Trap SPE sampling controls.
    pub const TPMS: u64 = 1 << 14;
    /// Trap TRFCR_EL1.
    pub const TTRF: u64 = 1 << 19;
    /// E2TB, trace-buffer owner (0b11: EL1 owns, no trap).
    pub const E2TB: u64 = 3 << 24;
    /// Trap the debug communications channel.
    pub const TDCC: u64 = 1 << 27;
    /// Positive trap bits.
    pub const TRAPS: u64 = TPMCR | TPM | TDE | TDA | TDOSA | TDRA | TPMS | TTRF | TDCC;
}

/// CPTR_EL2 fields in both layouts (Arm ARM D24.2.33).
pub mod cptr {
    /// E2H=0: trap SVE.
    pub const TZ: u64 = 1 << 8;
    /// E2H=0: trap FP/SIMD.
    pub const TFP: u64 = 1 << 10;
    /// E2H=0: trap SME.
    pub const TSM: u64 = 1 << 12;
    /// E2H=0: trap trace registers.
    pub const TTA: u64 = 1 << 20;
    /// E2H=1: SVE enable field `[17:16]`.
    pub const ZEN: u64 = 3 << 16;
    /// E2H=1: FP enable field `[21:20]`.
    pub const FPEN: u64 = 3 << 20;
    /// E2H=1: SME enable field `[25:24]`.
    pub const SMEN: u64 = 3 << 24;
    /// E2H=1: trap trace registers.
    pub const TTA_E2H: u64 = 1 << 28;
    /// Trap activity-monitor registers (both layouts).
    pub const TAM: u64 = 1 << 30;
    /// Trap CPACR_EL1 (both layouts).
    pub const TCPAC: u64 = 1 << 31;
}

/// CNTHCTL_EL2 fields in both layouts (Arm ARM D24.8.x).
pub mod cnthctl {
    /// E2H=0: EL1/EL0 physical counter access enabled (0 traps).
    pub const EL1PCTEN: u64 = 1 << 0;
    /// E2H=0: EL1/EL0 physical timer access enabled (0 traps).
    pub const EL1PCEN: u64 = 1 << 1;
    /// E2H=1: EL1/EL0 physical counter access enabled (0 traps).
    pub const EL1PCTEN_E2H: u64 = 1 << 10;
    /// E2H=1: EL1/EL0 physical timer access enabled (0 traps).
    pub const EL1PTEN_E2H: u64 = 1 << 11;
    /// FEAT_ECV: trap EL1/EL0 virtual timer registers.
    pub const EL1TVT: u64 = 1 << 13;
    /// FEAT_ECV: trap EL1/EL0 virtual counter reads.
    pub const EL1TVCT: u64 = 1 << 14;
    /// FEAT_ECV: trap the EL02 physical timer when NV/NV1 are set.
    pub const EL1NVPCT: u64 = 1 << 15;
    /// FEAT_ECV: trap the EL02 virtual timer when NV/NV1 are set.
    pub const EL1NVVCT: u64 = 1 << 16;
}

/// ICH_HCR_EL2 fields (GICv3 spec 12.5.x).
pub mod ich_hcr {
    /// Trap common (group 0 and 1) registers.
    pub const TC: u64 = 1 << 10;
    /// Trap group 0 registers.
    pub const TALL0: u64 = 1 << 11;
    /// Trap group 1 registers.
    pub const TALL1: u64 = 1 << 12;
    /// Trap ICC_DIR_EL1.
    pub const TDIR: u64 = 1 << 14;
    /// Trap bits.
    pub const TRAPS: u64 = TC | TALL0 | TALL1 | TDIR;
}

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
        let host = self.hcr & (hcr::E2H | hcr::TGE) == (hcr::E2H | hcr::TGE);
        !host
            && if r.is_fgt2() {
                self.feat.fgt2
            } else {
                self.feat.fgt
            }
    }
}

/// The VNCR page offset of a register (FEAT_NV2), from the table.
pub fn vncr_offset(enc: crate::Enc) -> Option<u16> {
    let hit = crate::table::lookup(enc)?;
    hit.desc.vncr_offset(hit.member)
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
