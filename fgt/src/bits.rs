//! The fine-grained trap registers (FEAT_FGT, FEAT_FGT2) and their bits.
//!
//! One table, [`ALL`], names every bit of HFGRTR_EL2, HFGWTR_EL2, HFGITR_EL2,
//! HDFGRTR_EL2, HDFGWTR_EL2, HAFGRTR_EL2 and the FGT2 registers HFGRTR2_EL2,
//! HFGWTR2_EL2, HFGITR2_EL2, HDFGRTR2_EL2, HDFGWTR2_EL2 with its position.
//! The polarity comes from the Arm name itself: a field whose name starts
//! with `n` traps when 0, every other field traps when 1 (Arm ARM D24.2,
//! "HFGRTR_EL2" and siblings). Bits not listed are RES0 (reserved).
//!
//! Source: Arm ARM K.a/L.a register descriptions; the single-bit fields of
//! every register except HAFGRTR_EL2 are cross-checked by a unit test
//! against the `arm-sysregs` crate 0.5.2, which is generated from Arm's
//! machine-readable AARCHMRS release 2026-03. HAFGRTR_EL2's array fields
//! (`AMEVCNTR0<n>`, `AMEVCNTR1<n>`, `AMEVTYPER1<n>`) are not expanded there and
//! come from the Arm ARM directly. To update: add the new fields below, run
//! `cargo test -p fgt` (the cross-check names any field missing on either
//! side), then bind the new bits to encodings in [`crate::table`].
#![allow(non_upper_case_globals)]

/// A fine-grained trap register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum FgtReg {
    /// HFGRTR_EL2: reads of EL1/EL0 registers.
    Hfgrtr = 0,
    /// HFGWTR_EL2: writes of EL1/EL0 registers.
    Hfgwtr = 1,
    /// HFGITR_EL2: system instructions (and ERET, SVC).
    Hfgitr = 2,
    /// HDFGRTR_EL2: reads of debug, trace, PMU, SPE registers.
    Hdfgrtr = 3,
    /// HDFGWTR_EL2: writes of debug, trace, PMU, SPE registers.
    Hdfgwtr = 4,
    /// HAFGRTR_EL2: reads of activity-monitor registers.
    Hafgrtr = 5,
    /// HFGRTR2_EL2 (FEAT_FGT2).
    Hfgrtr2 = 6,
    /// HFGWTR2_EL2 (FEAT_FGT2).
    Hfgwtr2 = 7,
    /// HFGITR2_EL2 (FEAT_FGT2).
    Hfgitr2 = 8,
    /// HDFGRTR2_EL2 (FEAT_FGT2).
    Hdfgrtr2 = 9,
    /// HDFGWTR2_EL2 (FEAT_FGT2).
    Hdfgwtr2 = 10,
}

impl FgtReg {
    /// Number of FGT registers.
    pub const COUNT: usize = 11;
    /// All of them, in index order.
    pub const ALL: [FgtReg; Self::COUNT] = [
        FgtReg::Hfgrtr,
        FgtReg::Hfgwtr,
        FgtReg::Hfgitr,
        FgtReg::Hdfgrtr,
        FgtReg::Hdfgwtr,
        FgtReg::Hafgrtr,
        FgtReg::Hfgrtr2,
        FgtReg::Hfgwtr2,
        FgtReg::Hfgitr2,
        FgtReg::Hdfgrtr2,
        FgtReg::Hdfgwtr2,
    ];
    /// The architectural name.
    pub const fn name(self) -> &'static str {
        match self {
            FgtReg::Hfgrtr => "HFGRTR_EL2",
            FgtReg::Hfgwtr => "HFGWTR_EL2",
            FgtReg::Hfgitr => "HFGITR_EL2",
            FgtReg::Hdfgrtr => "HDFGRTR_EL2",
            FgtReg::Hdfgwtr => "HDFGWTR_EL2",
            FgtReg::Hafgrtr => "HAFGRTR_EL2",
            FgtReg::Hfgrtr2 => "HFGRTR2_EL2",
            FgtReg::Hfgwtr2 => "HFGWTR2_EL2",
            FgtReg::Hfgitr2 => "HFGITR2_EL2",
            FgtReg::Hdfgrtr2 => "HDFGRTR2_EL2",
            FgtReg::Hdfgwtr2 => "HDFGWTR2_EL2",
        }
    }
    /// The system-register encoding (for MSR/MRS at EL2).
    pub const fn enc(self) -> crate::Enc {
        use crate::Enc;
        match self {
            FgtReg::Hfgrtr => Enc::new(3, 4, 1, 1, 4),
            FgtReg::Hfgwtr => Enc::new(3, 4, 1, 1, 5),
            FgtReg::Hfgitr => Enc::new(3, 4, 1, 1, 6),
            FgtReg::Hdfgrtr => Enc::new(3, 4, 3, 1, 4),
            FgtReg::Hdfgwtr => Enc::new(3, 4, 3, 1, 5),
            FgtReg::Hafgrtr => Enc::new(3, 4, 3, 1, 6),
            FgtReg::Hfgrtr2 => Enc::new(3, 4, 3, 1, 2),
            FgtReg::Hfgwtr2 => Enc::new(3, 4, 3, 1, 3),
            FgtReg::Hfgitr2 => Enc::new(3, 4, 3, 1, 7),
            FgtReg::Hdfgrtr2 => Enc::new(3, 4, 3, 1, 0),
            FgtReg::Hdfgwtr2 => Enc::new(3, 4, 3, 1, 1),
        }
    }
    /// Whether this register belongs to FEAT_FGT2.
    pub const fn is_fgt2(self) -> bool {
        (self as u8) >= 6
    }
}

/// One fine-grained trap bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FgtBit {
    /// The register holding it.
    pub reg: FgtReg,
    /// Bit position.
    pub bit: u8,
    /// Negative polarity: the access traps when the bit is 0 (`nXXX`).
    pub neg: bool,
    /// The Arm field name.
    pub name: &'static str,
}

impl FgtBit {
    /// Defines a bit; the polarity follows the Arm naming rule (leading `n`).
    pub const fn new(reg: FgtReg, bit: u8, name: &'static str) -> Self {
        let neg = !name.is_empty() && name.as_bytes()[0] == b'n';
        FgtBit {
            reg,
            bit,
            neg,
            name,
        }
    }
    /// This bit `off` positions higher (array fields such as `AMEVCNTR1<n>`).
    pub const fn offset(self, off: u8) -> Self {
        FgtBit {
            bit: self.bit + off,
            ..self
        }
    }
    /// Whether a register value `v` of [`Self::reg`] asks for the trap.
    pub const fn traps(self, v: u64) -> bool {
        ((v >> (self.bit & 63)) & 1 != 0) != self.neg
    }
    /// The mask of this bit.
    pub const fn mask(self) -> u64 {
        1u64 << (self.bit & 63)
    }
}

macro_rules! fgt_bits {
    ($( $modname:ident $reg:ident { $( $bit:literal $name:ident ),* $(,)? } )*) => {
        $(
            #[doc = concat!("Bits of ", stringify!($reg), " (see the module docs).")]
            pub mod $modname {
                use super::{FgtBit, FgtReg};
                $(
                    #[doc = concat!("`", stringify!($name), "`, bit ", stringify!($bit), ".")]
                    pub const $name: FgtBit = FgtBit::new(FgtReg::$reg, $bit, stringify!($name));
                )*
            }
        )*
        /// Every defined fine-grained trap bit, register by register.
        pub const ALL: &[FgtBit] = &[ $( $( $modname::$name, )* )* ];
    };
}

fgt_bits! {
    hfgrtr Hfgrtr {
        0 AFSR0_EL1, 1 AFSR1_EL1, 2 AIDR_EL1, 3 AMAIR_EL1, 4 APDAKey, 5 APDBKey, 6 APGAKey,
        7 APIAKey, 8 APIBKey, 9 CCSIDR_EL1, 10 CLIDR_EL1, 11 CONTEXTIDR_EL1, 12 CPACR_EL1,
        13 CSSELR_EL1, 14 CTR_EL0, 15 DCZID_EL0, 16 ESR_EL1, 17 FAR_EL1, 18 ISR_EL1, 19 LORC_EL1,
        20 LOREA_EL1, 21 LORID_EL1, 22 LORN_EL1, 23 LORSA_EL1, 24 MAIR_EL1, 25 MIDR_EL1,
        26 MPIDR_EL1, 27 PAR_EL1, 28 REVIDR_EL1, 29 SCTLR_EL1, 30 SCXTNUM_EL1, 31 SCXTNUM_EL0,
        32 TCR_EL1, 33 TPIDR_EL1, 34 TPIDRRO_EL0, 35 TPIDR_EL0, 36 TTBR0_EL1, 37 TTBR1_EL1,
        38 VBAR_EL1, 39 ICC_IGRPENn_EL1, 40 ERRIDR_EL1, 41 ERRSELR_EL1, 42 ERXFR_EL1,
        43 ERXCTLR_EL1, 44 ERXSTATUS_EL1, 45 ERXMISCn_EL1, 46 ERXPFGF_EL1, 47 ERXPFGCTL_EL1,
        48 ERXPFGCDN_EL1, 49 ERXADDR_EL1, 50 nACCDATA_EL1, 52 nGCS_EL0, 53 nGCS_EL1,
        54 nSMPRI_EL1, 55 nTPIDR2_EL0, 56 nRCWMASK_EL1, 57 nPIRE0_EL1, 58 nPIR_EL1, 59 nPOR_EL0,
        60 nPOR_EL1, 61 nS2POR_EL1, 62 nMAIR2_EL1, 63 nAMAIR2_EL1,
    }
    hfgwtr Hfgwtr {
        0 AFSR0_EL1, 1 AFSR1_EL1, 3 AMAIR_EL1, 4 APDAKey, 5 APDBKey, 6 APGAKey, 7 APIAKey,
        8 APIBKey, 11 CONTEXTIDR_EL1, 12 CPACR_EL1, 13 CSSELR_EL1, 16 ESR_EL1, 17 FAR_EL1,
        19 LORC_EL1, 20 LOREA_EL1, 22 LORN_EL1, 23 LORSA_EL1, 24 MAIR_EL1, 27 PAR_EL1,
        29 SCTLR_EL1, 30 SCXTNUM_EL1, 31 SCXTNUM_EL0, 32 TCR_EL1, 33 TPIDR_EL1, 34 TPIDRRO_EL0,
        35 TPIDR_EL0, 36 TTBR0_EL1, 37 TTBR1_EL1, 38 VBAR_EL1, 39 ICC_IGRPENn_EL1,
        41 ERRSELR_EL1, 43 ERXCTLR_EL1, 44 ERXSTATUS_EL1, 45 ERXMISCn_EL1, 47 ERXPFGCTL_EL1,
        48 ERXPFGCDN_EL1, 49 ERXADDR_EL1, 50 nACCDATA_EL1, 52 nGCS_EL0, 53 nGCS_EL1,
        54 nSMPRI_EL1, 55 nTPIDR2_EL0, 56 nRCWMASK_EL1, 57 nPIRE0_EL1, 58 nPIR_EL1, 59 nPOR_EL0,
        60 nPOR_EL1, 61 nS2POR_EL1, 62 nMAIR2_EL1, 63 nAMAIR2_EL1,
    }
    hfgitr Hfgitr {
        0 ICIALLUIS, 1 ICIALLU, 2 ICIVAU, 3 DCIVAC, 4 DCISW, 5 DCCSW, 6 DCCISW, 7 DCCVAU,
        8 DCCVAP, 9 DCCVADP, 10 DCCIVAC, 11 DCZVA, 12 ATS1E1R, 13 ATS1E1W, 14 ATS1E0R,
        15 ATS1E0W, 16 ATS1E1RP, 17 ATS1E1WP, 18 TLBIVMALLE1OS, 19 TLBIVAE1OS, 20 TLBIASIDE1OS,
        21 TLBIVAAE1OS, 22 TLBIVALE1OS, 23 TLBIVAALE1OS, 24 TLBIRVAE1OS, 25 TLBIRVAAE1OS,
        26 TLBIRVALE1OS, 27 TLBIRVAALE1OS, 28 TLBIVMALLE1IS, 29 TLBIVAE1IS, 30 TLBIASIDE1IS,
        31 TLBIVAAE1IS, 32 TLBIVALE1IS, 33 TLBIVAALE1IS, 34 TLBIRVAE1IS, 35 TLBIRVAAE1IS,
        36 TLBIRVALE1IS, 37 TLBIRVAALE1IS, 38 TLBIRVAE1, 39 TLBIRVAAE1, 40 TLBIRVALE1,
        41 TLBIRVAALE1, 42 TLBIVMALLE1, 43 TLBIVAE1, 44 TLBIASIDE1, 45 TLBIVAAE1, 46 TLBIVALE1,
        47 TLBIVAALE1, 48 CFPRCTX, 49 DVPRCTX, 50 CPPRCTX, 51 ERET, 52 SVC_EL0, 53 SVC_EL1,
        54 DCCVAC, 55 nBRBINJ, 56 nBRBIALL, 57 nGCSPUSHM_EL1, 58 nGCSSTR_EL1, 59 nGCSEPP,
        60 COSPRCTX, 62 ATS1E1A, 63 PSBCSYNC,
    }
    hdfgrtr Hdfgrtr {
        0 DBGBCRn_EL1, 1 DBGBVRn_EL1, 2 DBGWCRn_EL1, 3 DBGWVRn_EL1, 4 MDSCR_EL1, 5 DBGCLAIM,
        6 DBGAUTHSTATUS_EL1, 7 DBGPRCR_EL1, 9 OSLSR_EL1, 10 OSECCR_EL1, 11 OSDLR_EL1,
        12 PMEVCNTRn_EL0, 13 PMEVTYPERn_EL0, 14 PMCCFILTR_EL0, 15 PMCCNTR_EL0, 16 PMCNTEN,
        17 PMINTEN, 18 PMOVS, 19 PMSELR_EL0, 22 PMMIR_EL1, 23 PMBLIMITR_EL1, 24 PMBPTR_EL1,
        25 PMBSR_EL1, 26 PMSCR_EL1, 27 PMSEVFR_EL1, 28 PMSFCR_EL1, 29 PMSICR_EL1, 30 PMSIDR_EL1,
        31 PMSIRR_EL1, 32 PMSLATFR_EL1, 33 TRC, 34 TRCAUTHSTATUS, 35 TRCAUXCTLR, 36 TRCCLAIM,
        37 TRCCNTVRn, 40 TRCID, 41 TRCIMSPECn, 43 TRCOSLSR, 44 TRCPRGCTLR, 45 TRCSEQSTR,
        46 TRCSSCSRn, 47 TRCSTATR, 48 TRCVICTLR, 50 TRBBASER_EL1, 51 TRBIDR_EL1,
        52 TRBLIMITR_EL1, 53 TRBMAR_EL1, 54 TRBPTR_EL1, 55 TRBSR_EL1, 56 TRBTRG_EL1,
        57 PMUSERENR_EL0, 58 PMCEIDn_EL0, 59 nBRBIDR, 60 nBRBCTL, 61 nBRBDATA, 62 nPMSNEVFR_EL1,
        63 PMBIDR_EL1,
    }
    hdfgwtr Hdfgwtr {
        0 DBGBCRn_EL1, 1 DBGBVRn_EL1, 2 DBGWCRn_EL1, 3 DBGWVRn_EL1, 4 MDSCR_EL1, 5 DBGCLAIM,
        7 DBGPRCR_EL1, 8 OSLAR_EL1, 10 OSECCR_EL1, 11 OSDLR_EL1, 12 PMEVCNTRn_EL0,
        13 PMEVTYPERn_EL0, 14 PMCCFILTR_EL0, 15 PMCCNTR_EL0, 16 PMCNTEN, 17 PMINTEN, 18 PMOVS,
        19 PMSELR_EL0, 20 PMSWINC_EL0, 21 PMCR_EL0, 23 PMBLIMITR_EL1, 24 PMBPTR_EL1,
        25 PMBSR_EL1, 26 PMSCR_EL1, 27 PMSEVFR_EL1, 28 PMSFCR_EL1, 29 PMSICR_EL1, 31 PMSIRR_EL1,
        32 PMSLATFR_EL1, 33 TRC, 35 TRCAUXCTLR, 36 TRCCLAIM, 37 TRCCNTVRn, 41 TRCIMSPECn,
        42 TRCOSLAR, 44 TRCPRGCTLR, 45 TRCSEQSTR, 46 TRCSSCSRn, 48 TRCVICTLR, 49 TRFCR_EL1,
        50 TRBBASER_EL1, 52 TRBLIMITR_EL1, 53 TRBMAR_EL1, 54 TRBPTR_EL1, 55 TRBSR_EL1,
        56 TRBTRG_EL1, 57 PMUSERENR_EL0, 60 nBRBCTL, 61 nBRBDATA, 62 nPMSNEVFR_EL1,
    }
    hafgrtr Hafgrtr {
        0 AMCNTEN0, 1 AMEVCNTR00_EL0, 2 AMEVCNTR01_EL0, 3 AMEVCNTR02_EL0, 4 AMEVCNTR03_EL0,
        17 AMCNTEN1,
        18 AMEVCNTR10_EL0, 19 AMEVTYPER10_EL0, 20 AMEVCNTR11_EL0, 21 AMEVTYPER11_EL0,
        22 AMEVCNTR12_EL0, 23 AMEVTYPER12_EL0, 24 AMEVCNTR13_EL0, 25 AMEVTYPER13_EL0,
        26 AMEVCNTR14_EL0, 27 AMEVTYPER14_EL0, 28 AMEVCNTR15_EL0, 29 AMEVTYPER15_EL0,
        30 AMEVCNTR16_EL0, 31 AMEVTYPER16_EL0, 32 AMEVCNTR17_EL0, 33 AMEVTYPER17_EL0,
        34 AMEVCNTR18_EL0, 35 AMEVTYPER18_EL0, 36 AMEVCNTR19_EL0, 37 AMEVTYPER19_EL0,
        38 AMEVCNTR110_EL0, 39 AMEVTYPER110_EL0, 40 AMEVCNTR111_EL0, 41 AMEVTYPER111_EL0,
        42 AMEVCNTR112_EL0, 43 AMEVTYPER112_EL0, 44 AMEVCNTR113_EL0, 45 AMEVTYPER113_EL0,
        46 AMEVCNTR114_EL0, 47 AMEVTYPER114_EL0, 48 AMEVCNTR115_EL0, 49 AMEVTYPER115_EL0,
    }
    hfgrtr2 Hfgrtr2 {
        0 nPFAR_EL1, 1 nERXGSR_EL1, 2 nRCWSMASK_EL1, 3 nCPACRMASK_EL1, 4 nSCTLRMASK_EL1,
        5 nSCTLR2MASK_EL1, 6 nTCRMASK_EL1, 7 nTCR2MASK_EL1, 8 nCPACRALIAS_EL1,
        9 nSCTLRALIAS_EL1, 10 nSCTLR2ALIAS_EL1, 11 nTCRALIAS_EL1, 12 nTCR2ALIAS_EL1,
        13 nACTLRMASK_EL1, 14 nACTLRALIAS_EL1, 15 nTINDEX_EL0, 16 nTINDEX_EL1, 17 nSTINDEX_EL1,
        20 nTTTBRP_EL1, 21 nTTTBRU_EL1, 22 nIRTBRP_EL1, 23 nIRTBRU_EL1, 24 nDPOTBR1_EL1,
        25 nDPOTBR0_EL1, 26 nTPMIN1_EL1, 27 nTPMIN0_EL1, 28 nTPMIN1_EL0, 29 nTPMIN0_EL0,
        30 nTLBIDIDR_EL1, 33 TFSR_EL1, 34 RGSR_EL1, 35 GCR_EL1, 36 nTPIDR3_EL0, 37 nTPIDR3_EL1,
        38 nLDSTT_EL1, 39 ACTLR_EL1,
    }
    hfgwtr2 Hfgwtr2 {
        0 nPFAR_EL1, 2 nRCWSMASK_EL1, 3 nCPACRMASK_EL1, 4 nSCTLRMASK_EL1, 5 nSCTLR2MASK_EL1,
        6 nTCRMASK_EL1, 7 nTCR2MASK_EL1, 8 nCPACRALIAS_EL1, 9 nSCTLRALIAS_EL1,
        10 nSCTLR2ALIAS_EL1, 11 nTCRALIAS_EL1, 12 nTCR2ALIAS_EL1, 13 nACTLRMASK_EL1,
        14 nACTLRALIAS_EL1, 15 nTINDEX_EL0, 16 nTINDEX_EL1, 17 nSTINDEX_EL1, 20 nTTTBRP_EL1,
        21 nTTTBRU_EL1, 22 nIRTBRP_EL1, 23 nIRTBRU_EL1, 24 nDPOTBR1_EL1, 25 nDPOTBR0_EL1,
        26 nTPMIN1_EL1, 27 nTPMIN0_EL1, 28 nTPMIN1_EL0, 29 nTPMIN0_EL0, 33 TFSR_EL1, 34 RGSR_EL1,
        35 GCR_EL1, 36 nTPIDR3_EL0, 37 nTPIDR3_EL1, 38 nLDSTT_EL1, 39 ACTLR_EL1,
    }
    hfgitr2 Hfgitr2 {
        0 TSBCSYNC, 1 nDCCIVAPS, 2 PLBIPERME1OS, 3 PLBIASIDE1OS, 4 PLBIVMALLE1OS,
        5 PLBIPERME1IS, 6 PLBIASIDE1IS, 7 PLBIVMALLE1IS, 8 PLBIPERME1, 9 PLBIASIDE1,
        10 PLBIVMALLE1, 11 PLBIPERMAE1OS, 12 PLBIPERMAE1IS, 13 PLBIPERMAE1, 14 DCGBVA,
    }
    hdfgrtr2 Hdfgrtr2 {
        0 nPMECR_EL1, 2 nPMICNTR_EL0, 3 nPMICFILTR_EL0, 4 nPMUACR_EL1, 5 nMDSELR_EL1,
        6 nPMSSDATA, 7 nPMSSCR_EL1, 8 nSPMEVCNTRn_EL0, 9 nSPMEVTYPERn_EL0, 10 nSPMSELR_EL0,
        11 nSPMCNTEN, 12 nSPMINTEN, 13 nSPMOVS, 14 nSPMCR_EL0, 15 nSPMACCESSR_EL1,
        16 nSPMSCR_EL1, 17 nSPMID, 18 nSPMDEVAFF_EL1, 19 nPMSDSFR_EL1, 20 nTRCITECR_EL1,
        22 nTRBMPAM_EL1, 23 nMDSTEPOP_EL1, 24 nPMBMAR_EL1,
    }
    hdfgwtr2 Hdfgwtr2 {
        0 nPMECR_EL1, 2 nPMICNTR_EL0, 3 nPMICFILTR_EL0, 4 nPMUACR_EL1, 5 nMDSELR_EL1,
        7 nPMSSCR_EL1, 8 nSPMEVCNTRn_EL0, 9 nSPMEVTYPERn_EL0, 10 nSPMSELR_EL0, 11 nSPMCNTEN,
        12 nSPMINTEN, 13 nSPMOVS, 14 nSPMCR_EL0, 15 nSPMACCESSR_EL1, 16 nSPMSCR_EL1,
        19 nPMSDSFR_EL1, 20 nTRCITECR_EL1, 21 nPMZR_EL0, 22 nTRBMPAM_EL1, 23 nMDSTEPOP_EL1,
        24 nPMBMAR_EL1,
    }
}

/// Multi-bit fields, listed so the "every bit assigned or reserved" check
/// knows them: (register, first bit, width, name). They trap the FEAT_FGT2
/// fine-grained debug-trap registers and are not bound to encodings here.
pub const MULTI_BIT: &[(FgtReg, u8, u8, &str)] = &[
    (FgtReg::Hfgrtr2, 18, 2, "nFGDTn_EL1"),
    (FgtReg::Hfgwtr2, 18, 2, "nFGDTn_EL1"),
    (FgtReg::Hfgrtr2, 31, 2, "nAFGDTn_EL1"),
    (FgtReg::Hfgwtr2, 31, 2, "nAFGDTn_EL1"),
];

/// Bits that control something other than a system-register encoding
/// (an exception class or a non-SYS instruction); routed by EC in
/// [`crate::route()`] or, where marked, not routed (listed for honesty).
pub const NOT_ENCODINGS: &[(FgtBit, &str)] = &[
    (hfgitr::ERET, "ERET/ERETAA/ERETAB: EC 0x1a"),
    (hfgitr::SVC_EL0, "SVC from EL0: EC 0x15"),
    (hfgitr::SVC_EL1, "SVC from EL1: EC 0x15"),
    (
        hfgitr::nGCSSTR_EL1,
        "GCSSTR/GCSSTTR (not SYS; EC 0x2d): not routed",
    ),
    (hfgitr::nGCSEPP, "GCS exception-return checks: not routed"),
    (hfgitr::PSBCSYNC, "PSB CSYNC hint: not routed"),
    (hfgitr2::TSBCSYNC, "TSB CSYNC hint: not routed"),
];

/// Defined bits whose encodings are not in [`crate::table`] yet, with the
/// reason; the consistency test requires every other bit to be bound.
pub const UNBOUND: &[(FgtBit, &str)] = &[
    (
        hfgrtr2::nCPACRMASK_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nSCTLRMASK_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nSCTLR2MASK_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTCRMASK_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTCR2MASK_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nCPACRALIAS_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nSCTLRALIAS_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nSCTLR2ALIAS_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTCRALIAS_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTCR2ALIAS_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nACTLRMASK_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nACTLRALIAS_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTINDEX_EL0,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTINDEX_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nSTINDEX_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTTTBRP_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTTTBRU_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nIRTBRP_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nIRTBRU_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nDPOTBR1_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nDPOTBR0_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTPMIN1_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTPMIN0_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTPMIN1_EL0,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTPMIN0_EL0,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTLBIDIDR_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTPIDR3_EL0,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nTPIDR3_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgrtr2::nLDSTT_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nCPACRMASK_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nSCTLRMASK_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nSCTLR2MASK_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTCRMASK_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTCR2MASK_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nCPACRALIAS_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nSCTLRALIAS_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nSCTLR2ALIAS_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTCRALIAS_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTCR2ALIAS_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nACTLRMASK_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nACTLRALIAS_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTINDEX_EL0,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTINDEX_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nSTINDEX_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTTTBRP_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTTTBRU_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nIRTBRP_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nIRTBRU_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nDPOTBR1_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nDPOTBR0_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTPMIN1_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTPMIN0_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTPMIN1_EL0,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTPMIN0_EL0,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTPIDR3_EL0,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nTPIDR3_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgwtr2::nLDSTT_EL1,
        "FEAT_SRMASK/S1POE2/THE/LSUI/... (FGT2) register not in the table yet",
    ),
    (
        hfgitr2::PLBIPERME1OS,
        "FEAT_S1POE2 PLBI instruction not in the table yet",
    ),
    (
        hfgitr2::PLBIASIDE1OS,
        "FEAT_S1POE2 PLBI instruction not in the table yet",
    ),
    (
        hfgitr2::PLBIVMALLE1OS,
        "FEAT_S1POE2 PLBI instruction not in the table yet",
    ),
    (
        hfgitr2::PLBIPERME1IS,
        "FEAT_S1POE2 PLBI instruction not in the table yet",
    ),
    (
        hfgitr2::PLBIASIDE1IS,
        "FEAT_S1POE2 PLBI instruction not in the table yet",
    ),
    (
        hfgitr2::PLBIVMALLE1IS,
        "FEAT_S1POE2 PLBI instruction not in the table yet",
    ),
    (
        hfgitr2::PLBIPERME1,
        "FEAT_S1POE2 PLBI instruction not in the table yet",
    ),
    (
        hfgitr2::PLBIASIDE1,
        "FEAT_S1POE2 PLBI instruction not in the table yet",
    ),
    (
        hfgitr2::PLBIVMALLE1,
        "FEAT_S1POE2 PLBI instruction not in the table yet",
    ),
    (
        hfgitr2::PLBIPERMAE1OS,
        "FEAT_S1POE2 PLBI instruction not in the table yet",
    ),
    (
        hfgitr2::PLBIPERMAE1IS,
        "FEAT_S1POE2 PLBI instruction not in the table yet",
    ),
    (
        hfgitr2::PLBIPERMAE1,
        "FEAT_S1POE2 PLBI instruction not in the table yet",
    ),
    (
        hdfgrtr2::nSPMEVCNTRn_EL0,
        "FEAT_SPMU register not in the table yet",
    ),
    (
        hdfgrtr2::nSPMEVTYPERn_EL0,
        "FEAT_SPMU register not in the table yet",
    ),
    (
        hdfgrtr2::nSPMSELR_EL0,
        "FEAT_SPMU register not in the table yet",
    ),
    (
        hdfgrtr2::nSPMCNTEN,
        "FEAT_SPMU register not in the table yet",
    ),
    (
        hdfgrtr2::nSPMINTEN,
        "FEAT_SPMU register not in the table yet",
    ),
    (hdfgrtr2::nSPMOVS, "FEAT_SPMU register not in the table yet"),
    (
        hdfgrtr2::nSPMCR_EL0,
        "FEAT_SPMU register not in the table yet",
    ),
    (
        hdfgrtr2::nSPMACCESSR_EL1,
        "FEAT_SPMU register not in the table yet",
    ),
    (
        hdfgrtr2::nSPMSCR_EL1,
        "FEAT_SPMU register not in the table yet",
    ),
    (hdfgrtr2::nSPMID, "FEAT_SPMU register not in the table yet"),
    (
        hdfgrtr2::nSPMDEVAFF_EL1,
        "FEAT_SPMU register not in the table yet",
    ),
    (
        hdfgwtr2::nSPMEVCNTRn_EL0,
        "FEAT_SPMU register not in the table yet",
    ),
    (
        hdfgwtr2::nSPMEVTYPERn_EL0,
        "FEAT_SPMU register not in the table yet",
    ),
    (
        hdfgwtr2::nSPMSELR_EL0,
        "FEAT_SPMU register not in the table yet",
    ),
    (
        hdfgwtr2::nSPMCNTEN,
        "FEAT_SPMU register not in the table yet",
    ),
    (
        hdfgwtr2::nSPMINTEN,
        "FEAT_SPMU register not in the table yet",
    ),
    (hdfgwtr2::nSPMOVS, "FEAT_SPMU register not in the table yet"),
    (
        hdfgwtr2::nSPMCR_EL0,
        "FEAT_SPMU register not in the table yet",
    ),
    (
        hdfgwtr2::nSPMACCESSR_EL1,
        "FEAT_SPMU register not in the table yet",
    ),
    (
        hdfgwtr2::nSPMSCR_EL1,
        "FEAT_SPMU register not in the table yet",
    ),
];

/// The value of `reg` that traps nothing: every negative-polarity bit set.
pub const fn untrapped(reg: FgtReg) -> u64 {
    let mut v = 0;
    let mut i = 0;
    while i < ALL.len() {
        if ALL[i].reg as u8 == reg as u8 && ALL[i].neg {
            v |= ALL[i].mask();
        }
        i += 1;
    }
    v
}

/// The mask of every defined bit of `reg`.
pub const fn defined(reg: FgtReg) -> u64 {
    let mut v = 0;
    let mut i = 0;
    while i < ALL.len() {
        if ALL[i].reg as u8 == reg as u8 {
            v |= ALL[i].mask();
        }
        i += 1;
    }
    v
}
