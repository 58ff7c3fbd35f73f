//! The trap-control registers as the Arm ARM defines them: every field of
//! HCR_EL2, HCRX_EL2, MDCR_EL2, CPTR_EL2 (both E2H layouts), CNTHCTL_EL2
//! (both layouts), ICH_HCR_EL2 and the FEAT_FGT/FGT2 fine-grained trap
//! registers, with the value of each register that traps nothing.
//!
//! This module is the reference the QEMU `fgt-matrix` test sets bits from;
//! it imports nothing from the rest of the crate (the table, the coarse
//! controls, the FGT bit list) so that a wrong rule there cannot hide in
//! the checks. Sources: the Arm ARM (DDI 0487) register descriptions in
//! D24.2 and the GICv3 architecture specification (ICH_HCR_EL2). The field
//! lists were transcribed from Arm's machine-readable AARCHMRS release
//! 2026-03 as the `arm-sysregs` crate 0.5.2 carries it, and a host test
//! (`arch_fields_match_aarchmrs`) compares every single-bit field, both
//! ways, and the position of every multi-bit field with that crate. Where
//! the crate merges two layouts into one and so drops a field, or does not
//! expand an array field, the field comes from the Arm ARM and the test
//! lists it as such: CPTR_EL2.TTA (bit 20 with E2H = 0, 28 with E2H = 1,
//! overlapping FPEN and nothing respectively), CNTHCTL_EL2.EL1PCTEN (bit 0
//! with E2H = 0, 10 with E2H = 1), and HAFGRTR_EL2's AMCNTEN0, AMCNTEN1,
//! `AMEVCNTR1<n>_EL0` and `AMEVTYPER1<n>_EL0`.
//!
//! The value that traps nothing ([`Layout::untrapped`]): for the
//! fine-grained registers every field whose Arm name starts with `n` is 1
//! (those trap when 0) and every other is 0; for the others the fields in
//! [`Layout::enables`] are all-ones (the Arm ARM describes them as
//! "enables", trapping or disabling when 0), every other field is 0, and
//! [`Layout::res1`] is set. MDCR_EL2.HPMN is a count, not a control: 0 here,
//! and the number of event counters (PMCR_EL0.N) in the test.

/// One field: its Arm name, lowest bit and width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// The Arm name (`<n>` for array fields).
    pub name: &'static str,
    /// Lowest bit.
    pub lo: u8,
    /// Width in bits.
    pub width: u8,
}

impl Field {
    /// The mask of the field in its register.
    pub const fn mask(&self) -> u64 {
        (((1u128 << self.width) - 1) as u64) << self.lo
    }
}

const fn b(name: &'static str, lo: u8) -> Field {
    Field { name, lo, width: 1 }
}

const fn f(name: &'static str, lo: u8, width: u8) -> Field {
    Field { name, lo, width }
}

/// A trap-control register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reg {
    /// HCR_EL2.
    Hcr,
    /// HCRX_EL2 (FEAT_HCX).
    Hcrx,
    /// MDCR_EL2.
    Mdcr,
    /// CPTR_EL2.
    Cptr,
    /// CNTHCTL_EL2.
    Cnthctl,
    /// ICH_HCR_EL2 (GICv3).
    IchHcr,
    /// HFGRTR_EL2 (FEAT_FGT).
    Hfgrtr,
    /// HFGWTR_EL2 (FEAT_FGT).
    Hfgwtr,
    /// HFGITR_EL2 (FEAT_FGT).
    Hfgitr,
    /// HDFGRTR_EL2 (FEAT_FGT).
    Hdfgrtr,
    /// HDFGWTR_EL2 (FEAT_FGT).
    Hdfgwtr,
    /// HAFGRTR_EL2 (FEAT_FGT and FEAT_AMUv1).
    Hafgrtr,
    /// HFGRTR2_EL2 (FEAT_FGT2).
    Hfgrtr2,
    /// HFGWTR2_EL2 (FEAT_FGT2).
    Hfgwtr2,
    /// HFGITR2_EL2 (FEAT_FGT2).
    Hfgitr2,
    /// HDFGRTR2_EL2 (FEAT_FGT2).
    Hdfgrtr2,
    /// HDFGWTR2_EL2 (FEAT_FGT2).
    Hdfgwtr2,
}

impl Reg {
    /// Whether this is a fine-grained trap register (polarity from the
    /// field names).
    pub const fn is_fgt(self) -> bool {
        !matches!(
            self,
            Reg::Hcr | Reg::Hcrx | Reg::Mdcr | Reg::Cptr | Reg::Cnthctl | Reg::IchHcr
        )
    }
}

/// One register layout.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// The register.
    pub reg: Reg,
    /// Its name, with the layout (`CPTR_EL2 (E2H=1)`).
    pub name: &'static str,
    /// The layout HCR_EL2.E2H = 1 selects (CPTR_EL2, CNTHCTL_EL2); false
    /// for the E2H = 0 layouts and for registers with one layout.
    pub e2h: bool,
    /// Every field.
    pub fields: &'static [Field],
    /// Fields that are all-ones in the untrapped value (non-FGT registers).
    pub enables: &'static [&'static str],
    /// RES1 bits (set in the untrapped value).
    pub res1: u64,
}

const fn eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl Layout {
    /// The field called `name`, if the layout has one.
    pub const fn field(&self, name: &str) -> Option<Field> {
        let mut i = 0;
        while i < self.fields.len() {
            if eq(self.fields[i].name, name) {
                return Some(self.fields[i]);
            }
            i += 1;
        }
        None
    }
    /// The mask of every defined field.
    pub const fn defined(&self) -> u64 {
        let mut v = 0;
        let mut i = 0;
        while i < self.fields.len() {
            v |= self.fields[i].mask();
            i += 1;
        }
        v
    }
    /// The value that traps nothing (see the module docs).
    pub const fn untrapped(&self) -> u64 {
        let mut v = self.res1;
        let mut i = 0;
        while i < self.fields.len() {
            let fd = self.fields[i];
            let on = if self.reg.is_fgt() {
                fd.name.as_bytes()[0] == b'n'
            } else {
                let mut j = 0;
                let mut found = false;
                while j < self.enables.len() {
                    if eq(self.enables[j], fd.name) {
                        found = true;
                    }
                    j += 1;
                }
                found
            };
            if on {
                v |= fd.mask();
            }
            i += 1;
        }
        v
    }
}

/// HCR_EL2 (Arm ARM D24.2.48).
pub const HCR_EL2: Layout = Layout {
    reg: Reg::Hcr,
    name: "HCR_EL2",
    e2h: false,
    fields: &[
        b("VM", 0),
        b("SWIO", 1),
        b("PTW", 2),
        b("FMO", 3),
        b("IMO", 4),
        b("AMO", 5),
        b("VF", 6),
        b("VI", 7),
        b("VSE", 8),
        b("FB", 9),
        f("BSU", 10, 2),
        b("DC", 12),
        b("TWI", 13),
        b("TWE", 14),
        b("TID0", 15),
        b("TID1", 16),
        b("TID2", 17),
        b("TID3", 18),
        b("TSC", 19),
        b("TIDCP", 20),
        b("TACR", 21),
        b("TSW", 22),
        b("TPCP", 23),
        b("TPU", 24),
        b("TTLB", 25),
        b("TVM", 26),
        b("TGE", 27),
        b("TDZ", 28),
        b("HCD", 29),
        b("TRVM", 30),
        b("RW", 31),
        b("CD", 32),
        b("ID", 33),
        b("E2H", 34),
        b("TLOR", 35),
        b("TERR", 36),
        b("TEA", 37),
        b("APK", 40),
        b("API", 41),
        b("NV", 42),
        b("NV1", 43),
        b("AT", 44),
        b("NV2", 45),
        b("FWB", 46),
        b("FIEN", 47),
        b("GPF", 48),
        b("TID4", 49),
        b("TICAB", 50),
        b("AMVOFFEN", 51),
        b("TOCU", 52),
        b("EnSCXT", 53),
        b("TTLBIS", 54),
        b("TTLBOS", 55),
        b("ATA", 56),
        b("DCT", 57),
        b("TID5", 58),
        b("TWEDEn", 59),
        f("TWEDEL", 60, 4),
    ],
    // RW: EL1 is AArch64. The others trap or disable when 0.
    enables: &["RW", "APK", "API", "FIEN", "EnSCXT", "ATA"],
    res1: 0,
};

/// HCRX_EL2 (Arm ARM D24.2.49).
pub const HCRX_EL2: Layout = Layout {
    reg: Reg::Hcrx,
    name: "HCRX_EL2",
    e2h: false,
    fields: &[
        b("EnAS0", 0),
        b("EnALS", 1),
        b("EnASR", 2),
        b("FnXS", 3),
        b("FGTnXS", 4),
        b("SMPME", 5),
        b("TALLINT", 6),
        b("VINMI", 7),
        b("VFNMI", 8),
        b("CMOW", 9),
        b("MCE2", 10),
        b("MSCEn", 11),
        b("TCR2En", 14),
        b("SCTLR2En", 15),
        b("PTTWI", 16),
        b("D128En", 17),
        b("EnSNERR", 18),
        b("TMEA", 19),
        b("EnSDERR", 20),
        b("EnIDCP128", 21),
        b("GCSEn", 22),
        b("EnFPM", 23),
        b("PACMEn", 24),
        b("VTLBIDEn", 25),
        b("SRMASKEn", 26),
        b("NVTGE", 27),
        b("POE2En", 29),
        b("TPLIMEn", 30),
        b("FDIT", 31),
        b("NVnTTLB", 32),
        b("NVnTTLBIS", 33),
        b("NVnTTLBOS", 34),
        b("VTLBIDOSEn", 35),
        b("FNB", 36),
        b("VTE", 37),
        b("VTAO", 38),
        b("VTCO", 39),
    ],
    enables: &[
        "EnAS0",
        "EnALS",
        "EnASR",
        "MSCEn",
        "TCR2En",
        "SCTLR2En",
        "D128En",
        "EnIDCP128",
        "GCSEn",
        "EnFPM",
        "SRMASKEn",
        "POE2En",
        "TPLIMEn",
    ],
    res1: 0,
};

/// MDCR_EL2 (Arm ARM D24.2.77).
pub const MDCR_EL2: Layout = Layout {
    reg: Reg::Mdcr,
    name: "MDCR_EL2",
    e2h: false,
    fields: &[
        f("HPMN", 0, 5),
        b("TPMCR", 5),
        b("TPM", 6),
        b("HPME", 7),
        b("TDE", 8),
        b("TDA", 9),
        b("TDOSA", 10),
        b("TDRA", 11),
        f("E2PB", 12, 2),
        b("TPMS", 14),
        b("EnSPM", 15),
        b("HPMD", 17),
        b("TTRF", 19),
        b("HCCD", 23),
        f("E2TB", 24, 2),
        b("HLP", 26),
        b("TDCC", 27),
        b("MTPME", 28),
        b("HPMFZO", 29),
        f("PMSSE", 30, 2),
        b("HPMFZS", 36),
        f("PMEE", 40, 2),
        b("EBWE", 43),
        b("EnSTEPOP", 50),
    ],
    // E2PB/E2TB = 0b11: the profiling/trace buffer is owned by EL1, no trap.
    enables: &["E2PB", "E2TB"],
    res1: 0,
};

/// CPTR_EL2 with HCR_EL2.E2H = 0 (Arm ARM D24.2.33).
pub const CPTR_EL2_E2H0: Layout = Layout {
    reg: Reg::Cptr,
    name: "CPTR_EL2 (E2H=0)",
    e2h: false,
    fields: &[
        b("TZ", 8),
        b("TFP", 10),
        b("TSM", 12),
        b("TTA", 20),
        b("TAM", 30),
        b("TCPAC", 31),
    ],
    enables: &[],
    res1: 0x22ff,
};

/// CPTR_EL2 with HCR_EL2.E2H = 1 (Arm ARM D24.2.33).
pub const CPTR_EL2_E2H1: Layout = Layout {
    reg: Reg::Cptr,
    name: "CPTR_EL2 (E2H=1)",
    e2h: true,
    fields: &[
        f("ZEN", 16, 2),
        f("FPEN", 20, 2),
        f("SMEN", 24, 2),
        b("TTA", 28),
        b("E0POE", 29),
        b("TAM", 30),
        b("TCPAC", 31),
        b("E0TP0E", 32),
        b("E0TP1E", 33),
    ],
    enables: &["ZEN", "FPEN", "SMEN"],
    res1: 0,
};

/// CNTHCTL_EL2 with HCR_EL2.E2H = 0 (Arm ARM D24.8).
pub const CNTHCTL_EL2_E2H0: Layout = Layout {
    reg: Reg::Cnthctl,
    name: "CNTHCTL_EL2 (E2H=0)",
    e2h: false,
    fields: &[
        b("EL1PCTEN", 0),
        b("EL1PCEN", 1),
        b("EVNTEN", 2),
        b("EVNTDIR", 3),
        f("EVNTI", 4, 4),
        b("ECV", 12),
        b("EL1TVT", 13),
        b("EL1TVCT", 14),
        b("EL1NVPCT", 15),
        b("EL1NVVCT", 16),
        b("EVNTIS", 17),
        b("CNTVMASK", 18),
        b("CNTPMASK", 19),
    ],
    enables: &["EL1PCTEN", "EL1PCEN"],
    res1: 0,
};

/// CNTHCTL_EL2 with HCR_EL2.E2H = 1 (Arm ARM D24.8).
pub const CNTHCTL_EL2_E2H1: Layout = Layout {
    reg: Reg::Cnthctl,
    name: "CNTHCTL_EL2 (E2H=1)",
    e2h: true,
    fields: &[
        b("EL0PCTEN", 0),
        b("EL0VCTEN", 1),
        b("EVNTEN", 2),
        b("EVNTDIR", 3),
        f("EVNTI", 4, 4),
        b("EL0VTEN", 8),
        b("EL0PTEN", 9),
        b("EL1PCTEN", 10),
        b("EL1PTEN", 11),
        b("ECV", 12),
        b("EL1TVT", 13),
        b("EL1TVCT", 14),
        b("EL1NVPCT", 15),
        b("EL1NVVCT", 16),
        b("EVNTIS", 17),
        b("CNTVMASK", 18),
        b("CNTPMASK", 19),
    ],
    // The EL0 enables matter only with HCR_EL2.TGE = 1; untrapped they are 1 too.
    enables: &[
        "EL0PCTEN", "EL0VCTEN", "EL0VTEN", "EL0PTEN", "EL1PCTEN", "EL1PTEN",
    ],
    res1: 0,
};

/// ICH_HCR_EL2 (GICv3 architecture specification 12.4).
pub const ICH_HCR_EL2: Layout = Layout {
    reg: Reg::IchHcr,
    name: "ICH_HCR_EL2",
    e2h: false,
    fields: &[
        b("En", 0),
        b("UIE", 1),
        b("LRENPIE", 2),
        b("NPIE", 3),
        b("VGrp0EIE", 4),
        b("VGrp0DIE", 5),
        b("VGrp1EIE", 6),
        b("VGrp1DIE", 7),
        b("vSGIEOICount", 8),
        b("TC", 10),
        b("TALL0", 11),
        b("TALL1", 12),
        b("TSEI", 13),
        b("TDIR", 14),
        b("DVIM", 15),
        f("EOIcount", 27, 5),
    ],
    enables: &[],
    res1: 0,
};

macro_rules! fgt_layout {
    ($(#[$m:meta])* $id:ident, $reg:ident, $name:literal, [$($fields:tt)*]) => {
        $(#[$m])*
        pub const $id: Layout = Layout {
            reg: Reg::$reg,
            name: $name,
            e2h: false,
            fields: &[$($fields)*],
            enables: &[],
            res1: 0,
        };
    };
}

fgt_layout!(
    /// HFGRTR_EL2 (Arm ARM D24.2).
    HFGRTR_EL2, Hfgrtr, "HFGRTR_EL2", [
    b("AFSR0_EL1", 0), b("AFSR1_EL1", 1), b("AIDR_EL1", 2), b("AMAIR_EL1", 3), b("APDAKey", 4),
    b("APDBKey", 5), b("APGAKey", 6), b("APIAKey", 7), b("APIBKey", 8), b("CCSIDR_EL1", 9),
    b("CLIDR_EL1", 10), b("CONTEXTIDR_EL1", 11), b("CPACR_EL1", 12), b("CSSELR_EL1", 13),
    b("CTR_EL0", 14), b("DCZID_EL0", 15), b("ESR_EL1", 16), b("FAR_EL1", 17), b("ISR_EL1", 18),
    b("LORC_EL1", 19), b("LOREA_EL1", 20), b("LORID_EL1", 21), b("LORN_EL1", 22),
    b("LORSA_EL1", 23), b("MAIR_EL1", 24), b("MIDR_EL1", 25), b("MPIDR_EL1", 26), b("PAR_EL1", 27),
    b("REVIDR_EL1", 28), b("SCTLR_EL1", 29), b("SCXTNUM_EL1", 30), b("SCXTNUM_EL0", 31),
    b("TCR_EL1", 32), b("TPIDR_EL1", 33), b("TPIDRRO_EL0", 34), b("TPIDR_EL0", 35),
    b("TTBR0_EL1", 36), b("TTBR1_EL1", 37), b("VBAR_EL1", 38), b("ICC_IGRPENn_EL1", 39),
    b("ERRIDR_EL1", 40), b("ERRSELR_EL1", 41), b("ERXFR_EL1", 42), b("ERXCTLR_EL1", 43),
    b("ERXSTATUS_EL1", 44), b("ERXMISCn_EL1", 45), b("ERXPFGF_EL1", 46), b("ERXPFGCTL_EL1", 47),
    b("ERXPFGCDN_EL1", 48), b("ERXADDR_EL1", 49), b("nACCDATA_EL1", 50), b("nGCS_EL0", 52),
    b("nGCS_EL1", 53), b("nSMPRI_EL1", 54), b("nTPIDR2_EL0", 55), b("nRCWMASK_EL1", 56),
    b("nPIRE0_EL1", 57), b("nPIR_EL1", 58), b("nPOR_EL0", 59), b("nPOR_EL1", 60),
    b("nS2POR_EL1", 61), b("nMAIR2_EL1", 62), b("nAMAIR2_EL1", 63),
]);

fgt_layout!(
    /// HFGWTR_EL2 (Arm ARM D24.2).
    HFGWTR_EL2, Hfgwtr, "HFGWTR_EL2", [
    b("AFSR0_EL1", 0), b("AFSR1_EL1", 1), b("AMAIR_EL1", 3), b("APDAKey", 4), b("APDBKey", 5),
    b("APGAKey", 6), b("APIAKey", 7), b("APIBKey", 8), b("CONTEXTIDR_EL1", 11), b("CPACR_EL1", 12),
    b("CSSELR_EL1", 13), b("ESR_EL1", 16), b("FAR_EL1", 17), b("LORC_EL1", 19), b("LOREA_EL1", 20),
    b("LORN_EL1", 22), b("LORSA_EL1", 23), b("MAIR_EL1", 24), b("PAR_EL1", 27), b("SCTLR_EL1", 29),
    b("SCXTNUM_EL1", 30), b("SCXTNUM_EL0", 31), b("TCR_EL1", 32), b("TPIDR_EL1", 33),
    b("TPIDRRO_EL0", 34), b("TPIDR_EL0", 35), b("TTBR0_EL1", 36), b("TTBR1_EL1", 37),
    b("VBAR_EL1", 38), b("ICC_IGRPENn_EL1", 39), b("ERRSELR_EL1", 41), b("ERXCTLR_EL1", 43),
    b("ERXSTATUS_EL1", 44), b("ERXMISCn_EL1", 45), b("ERXPFGCTL_EL1", 47), b("ERXPFGCDN_EL1", 48),
    b("ERXADDR_EL1", 49), b("nACCDATA_EL1", 50), b("nGCS_EL0", 52), b("nGCS_EL1", 53),
    b("nSMPRI_EL1", 54), b("nTPIDR2_EL0", 55), b("nRCWMASK_EL1", 56), b("nPIRE0_EL1", 57),
    b("nPIR_EL1", 58), b("nPOR_EL0", 59), b("nPOR_EL1", 60), b("nS2POR_EL1", 61),
    b("nMAIR2_EL1", 62), b("nAMAIR2_EL1", 63),
]);

fgt_layout!(
    /// HFGITR_EL2 (Arm ARM D24.2).
    HFGITR_EL2, Hfgitr, "HFGITR_EL2", [
    b("ICIALLUIS", 0), b("ICIALLU", 1), b("ICIVAU", 2), b("DCIVAC", 3), b("DCISW", 4),
    b("DCCSW", 5), b("DCCISW", 6), b("DCCVAU", 7), b("DCCVAP", 8), b("DCCVADP", 9),
    b("DCCIVAC", 10), b("DCZVA", 11), b("ATS1E1R", 12), b("ATS1E1W", 13), b("ATS1E0R", 14),
    b("ATS1E0W", 15), b("ATS1E1RP", 16), b("ATS1E1WP", 17), b("TLBIVMALLE1OS", 18),
    b("TLBIVAE1OS", 19), b("TLBIASIDE1OS", 20), b("TLBIVAAE1OS", 21), b("TLBIVALE1OS", 22),
    b("TLBIVAALE1OS", 23), b("TLBIRVAE1OS", 24), b("TLBIRVAAE1OS", 25), b("TLBIRVALE1OS", 26),
    b("TLBIRVAALE1OS", 27), b("TLBIVMALLE1IS", 28), b("TLBIVAE1IS", 29), b("TLBIASIDE1IS", 30),
    b("TLBIVAAE1IS", 31), b("TLBIVALE1IS", 32), b("TLBIVAALE1IS", 33), b("TLBIRVAE1IS", 34),
    b("TLBIRVAAE1IS", 35), b("TLBIRVALE1IS", 36), b("TLBIRVAALE1IS", 37), b("TLBIRVAE1", 38),
    b("TLBIRVAAE1", 39), b("TLBIRVALE1", 40), b("TLBIRVAALE1", 41), b("TLBIVMALLE1", 42),
    b("TLBIVAE1", 43), b("TLBIASIDE1", 44), b("TLBIVAAE1", 45), b("TLBIVALE1", 46),
    b("TLBIVAALE1", 47), b("CFPRCTX", 48), b("DVPRCTX", 49), b("CPPRCTX", 50), b("ERET", 51),
    b("SVC_EL0", 52), b("SVC_EL1", 53), b("DCCVAC", 54), b("nBRBINJ", 55), b("nBRBIALL", 56),
    b("nGCSPUSHM_EL1", 57), b("nGCSSTR_EL1", 58), b("nGCSEPP", 59), b("COSPRCTX", 60),
    b("ATS1E1A", 62), b("PSBCSYNC", 63),
]);

fgt_layout!(
    /// HDFGRTR_EL2 (Arm ARM D24.2).
    HDFGRTR_EL2, Hdfgrtr, "HDFGRTR_EL2", [
    b("DBGBCRn_EL1", 0), b("DBGBVRn_EL1", 1), b("DBGWCRn_EL1", 2), b("DBGWVRn_EL1", 3),
    b("MDSCR_EL1", 4), b("DBGCLAIM", 5), b("DBGAUTHSTATUS_EL1", 6), b("DBGPRCR_EL1", 7),
    b("OSLSR_EL1", 9), b("OSECCR_EL1", 10), b("OSDLR_EL1", 11), b("PMEVCNTRn_EL0", 12),
    b("PMEVTYPERn_EL0", 13), b("PMCCFILTR_EL0", 14), b("PMCCNTR_EL0", 15), b("PMCNTEN", 16),
    b("PMINTEN", 17), b("PMOVS", 18), b("PMSELR_EL0", 19), b("PMMIR_EL1", 22),
    b("PMBLIMITR_EL1", 23), b("PMBPTR_EL1", 24), b("PMBSR_EL1", 25), b("PMSCR_EL1", 26),
    b("PMSEVFR_EL1", 27), b("PMSFCR_EL1", 28), b("PMSICR_EL1", 29), b("PMSIDR_EL1", 30),
    b("PMSIRR_EL1", 31), b("PMSLATFR_EL1", 32), b("TRC", 33), b("TRCAUTHSTATUS", 34),
    b("TRCAUXCTLR", 35), b("TRCCLAIM", 36), b("TRCCNTVRn", 37), b("TRCID", 40),
    b("TRCIMSPECn", 41), b("TRCOSLSR", 43), b("TRCPRGCTLR", 44), b("TRCSEQSTR", 45),
    b("TRCSSCSRn", 46), b("TRCSTATR", 47), b("TRCVICTLR", 48), b("TRBBASER_EL1", 50),
    b("TRBIDR_EL1", 51), b("TRBLIMITR_EL1", 52), b("TRBMAR_EL1", 53), b("TRBPTR_EL1", 54),
    b("TRBSR_EL1", 55), b("TRBTRG_EL1", 56), b("PMUSERENR_EL0", 57), b("PMCEIDn_EL0", 58),
    b("nBRBIDR", 59), b("nBRBCTL", 60), b("nBRBDATA", 61), b("nPMSNEVFR_EL1", 62),
    b("PMBIDR_EL1", 63),
]);

fgt_layout!(
    /// HDFGWTR_EL2 (Arm ARM D24.2).
    HDFGWTR_EL2, Hdfgwtr, "HDFGWTR_EL2", [
    b("DBGBCRn_EL1", 0), b("DBGBVRn_EL1", 1), b("DBGWCRn_EL1", 2), b("DBGWVRn_EL1", 3),
    b("MDSCR_EL1", 4), b("DBGCLAIM", 5), b("DBGPRCR_EL1", 7), b("OSLAR_EL1", 8),
    b("OSECCR_EL1", 10), b("OSDLR_EL1", 11), b("PMEVCNTRn_EL0", 12), b("PMEVTYPERn_EL0", 13),
    b("PMCCFILTR_EL0", 14), b("PMCCNTR_EL0", 15), b("PMCNTEN", 16), b("PMINTEN", 17),
    b("PMOVS", 18), b("PMSELR_EL0", 19), b("PMSWINC_EL0", 20), b("PMCR_EL0", 21),
    b("PMBLIMITR_EL1", 23), b("PMBPTR_EL1", 24), b("PMBSR_EL1", 25), b("PMSCR_EL1", 26),
    b("PMSEVFR_EL1", 27), b("PMSFCR_EL1", 28), b("PMSICR_EL1", 29), b("PMSIRR_EL1", 31),
    b("PMSLATFR_EL1", 32), b("TRC", 33), b("TRCAUXCTLR", 35), b("TRCCLAIM", 36),
    b("TRCCNTVRn", 37), b("TRCIMSPECn", 41), b("TRCOSLAR", 42), b("TRCPRGCTLR", 44),
    b("TRCSEQSTR", 45), b("TRCSSCSRn", 46), b("TRCVICTLR", 48), b("TRFCR_EL1", 49),
    b("TRBBASER_EL1", 50), b("TRBLIMITR_EL1", 52), b("TRBMAR_EL1", 53), b("TRBPTR_EL1", 54),
    b("TRBSR_EL1", 55), b("TRBTRG_EL1", 56), b("PMUSERENR_EL0", 57), b("nBRBCTL", 60),
    b("nBRBDATA", 61), b("nPMSNEVFR_EL1", 62),
]);

fgt_layout!(
    /// HAFGRTR_EL2 (Arm ARM D24.2; the `AMEVCNTR1<n>`/`AMEVTYPER1<n>` arrays expanded).
    HAFGRTR_EL2, Hafgrtr, "HAFGRTR_EL2", [
    b("AMCNTEN0", 0), b("AMEVCNTR00_EL0", 1), b("AMEVCNTR01_EL0", 2), b("AMEVCNTR02_EL0", 3),
    b("AMEVCNTR03_EL0", 4), b("AMCNTEN1", 17),
    b("AMEVCNTR10_EL0", 18), b("AMEVTYPER10_EL0", 19), b("AMEVCNTR11_EL0", 20),
    b("AMEVTYPER11_EL0", 21), b("AMEVCNTR12_EL0", 22), b("AMEVTYPER12_EL0", 23),
    b("AMEVCNTR13_EL0", 24), b("AMEVTYPER13_EL0", 25), b("AMEVCNTR14_EL0", 26),
    b("AMEVTYPER14_EL0", 27), b("AMEVCNTR15_EL0", 28), b("AMEVTYPER15_EL0", 29),
    b("AMEVCNTR16_EL0", 30), b("AMEVTYPER16_EL0", 31), b("AMEVCNTR17_EL0", 32),
    b("AMEVTYPER17_EL0", 33), b("AMEVCNTR18_EL0", 34), b("AMEVTYPER18_EL0", 35),
    b("AMEVCNTR19_EL0", 36), b("AMEVTYPER19_EL0", 37), b("AMEVCNTR110_EL0", 38),
    b("AMEVTYPER110_EL0", 39), b("AMEVCNTR111_EL0", 40), b("AMEVTYPER111_EL0", 41),
    b("AMEVCNTR112_EL0", 42), b("AMEVTYPER112_EL0", 43), b("AMEVCNTR113_EL0", 44),
    b("AMEVTYPER113_EL0", 45), b("AMEVCNTR114_EL0", 46), b("AMEVTYPER114_EL0", 47),
    b("AMEVCNTR115_EL0", 48), b("AMEVTYPER115_EL0", 49),
]);

fgt_layout!(
    /// HFGRTR2_EL2 (Arm ARM D24.2, FEAT_FGT2).
    HFGRTR2_EL2, Hfgrtr2, "HFGRTR2_EL2", [
    b("nPFAR_EL1", 0), b("nERXGSR_EL1", 1), b("nRCWSMASK_EL1", 2), b("nCPACRMASK_EL1", 3),
    b("nSCTLRMASK_EL1", 4), b("nSCTLR2MASK_EL1", 5), b("nTCRMASK_EL1", 6), b("nTCR2MASK_EL1", 7),
    b("nCPACRALIAS_EL1", 8), b("nSCTLRALIAS_EL1", 9), b("nSCTLR2ALIAS_EL1", 10),
    b("nTCRALIAS_EL1", 11), b("nTCR2ALIAS_EL1", 12), b("nACTLRMASK_EL1", 13),
    b("nACTLRALIAS_EL1", 14), b("nTINDEX_EL0", 15), b("nTINDEX_EL1", 16), b("nSTINDEX_EL1", 17),
    f("nFGDTn_EL1", 18, 2), b("nTTTBRP_EL1", 20), b("nTTTBRU_EL1", 21), b("nIRTBRP_EL1", 22),
    b("nIRTBRU_EL1", 23), b("nDPOTBR1_EL1", 24), b("nDPOTBR0_EL1", 25), b("nTPMIN1_EL1", 26),
    b("nTPMIN0_EL1", 27), b("nTPMIN1_EL0", 28), b("nTPMIN0_EL0", 29), b("nTLBIDIDR_EL1", 30),
    f("nAFGDTn_EL1", 31, 2), b("TFSR_EL1", 33), b("RGSR_EL1", 34), b("GCR_EL1", 35),
    b("nTPIDR3_EL0", 36), b("nTPIDR3_EL1", 37), b("nLDSTT_EL1", 38), b("ACTLR_EL1", 39),
]);

fgt_layout!(
    /// HFGWTR2_EL2 (Arm ARM D24.2, FEAT_FGT2).
    HFGWTR2_EL2, Hfgwtr2, "HFGWTR2_EL2", [
    b("nPFAR_EL1", 0), b("nRCWSMASK_EL1", 2), b("nCPACRMASK_EL1", 3), b("nSCTLRMASK_EL1", 4),
    b("nSCTLR2MASK_EL1", 5), b("nTCRMASK_EL1", 6), b("nTCR2MASK_EL1", 7), b("nCPACRALIAS_EL1", 8),
    b("nSCTLRALIAS_EL1", 9), b("nSCTLR2ALIAS_EL1", 10), b("nTCRALIAS_EL1", 11),
    b("nTCR2ALIAS_EL1", 12), b("nACTLRMASK_EL1", 13), b("nACTLRALIAS_EL1", 14),
    b("nTINDEX_EL0", 15), b("nTINDEX_EL1", 16), b("nSTINDEX_EL1", 17), f("nFGDTn_EL1", 18, 2),
    b("nTTTBRP_EL1", 20), b("nTTTBRU_EL1", 21), b("nIRTBRP_EL1", 22), b("nIRTBRU_EL1", 23),
    b("nDPOTBR1_EL1", 24), b("nDPOTBR0_EL1", 25), b("nTPMIN1_EL1", 26), b("nTPMIN0_EL1", 27),
    b("nTPMIN1_EL0", 28), b("nTPMIN0_EL0", 29), f("nAFGDTn_EL1", 31, 2), b("TFSR_EL1", 33),
    b("RGSR_EL1", 34), b("GCR_EL1", 35), b("nTPIDR3_EL0", 36), b("nTPIDR3_EL1", 37),
    b("nLDSTT_EL1", 38), b("ACTLR_EL1", 39),
]);

fgt_layout!(
    /// HFGITR2_EL2 (Arm ARM D24.2, FEAT_FGT2).
    HFGITR2_EL2, Hfgitr2, "HFGITR2_EL2", [
    b("TSBCSYNC", 0), b("nDCCIVAPS", 1), b("PLBIPERME1OS", 2), b("PLBIASIDE1OS", 3),
    b("PLBIVMALLE1OS", 4), b("PLBIPERME1IS", 5), b("PLBIASIDE1IS", 6), b("PLBIVMALLE1IS", 7),
    b("PLBIPERME1", 8), b("PLBIASIDE1", 9), b("PLBIVMALLE1", 10), b("PLBIPERMAE1OS", 11),
    b("PLBIPERMAE1IS", 12), b("PLBIPERMAE1", 13), b("DCGBVA", 14),
]);

fgt_layout!(
    /// HDFGRTR2_EL2 (Arm ARM D24.2, FEAT_FGT2).
    HDFGRTR2_EL2, Hdfgrtr2, "HDFGRTR2_EL2", [
    b("nPMECR_EL1", 0), b("nPMICNTR_EL0", 2), b("nPMICFILTR_EL0", 3), b("nPMUACR_EL1", 4),
    b("nMDSELR_EL1", 5), b("nPMSSDATA", 6), b("nPMSSCR_EL1", 7), b("nSPMEVCNTRn_EL0", 8),
    b("nSPMEVTYPERn_EL0", 9), b("nSPMSELR_EL0", 10), b("nSPMCNTEN", 11), b("nSPMINTEN", 12),
    b("nSPMOVS", 13), b("nSPMCR_EL0", 14), b("nSPMACCESSR_EL1", 15), b("nSPMSCR_EL1", 16),
    b("nSPMID", 17), b("nSPMDEVAFF_EL1", 18), b("nPMSDSFR_EL1", 19), b("nTRCITECR_EL1", 20),
    b("nTRBMPAM_EL1", 22), b("nMDSTEPOP_EL1", 23), b("nPMBMAR_EL1", 24),
]);

fgt_layout!(
    /// HDFGWTR2_EL2 (Arm ARM D24.2, FEAT_FGT2).
    HDFGWTR2_EL2, Hdfgwtr2, "HDFGWTR2_EL2", [
    b("nPMECR_EL1", 0), b("nPMICNTR_EL0", 2), b("nPMICFILTR_EL0", 3), b("nPMUACR_EL1", 4),
    b("nMDSELR_EL1", 5), b("nPMSSCR_EL1", 7), b("nSPMEVCNTRn_EL0", 8), b("nSPMEVTYPERn_EL0", 9),
    b("nSPMSELR_EL0", 10), b("nSPMCNTEN", 11), b("nSPMINTEN", 12), b("nSPMOVS", 13),
    b("nSPMCR_EL0", 14), b("nSPMACCESSR_EL1", 15), b("nSPMSCR_EL1", 16), b("nPMSDSFR_EL1", 19),
    b("nTRCITECR_EL1", 20), b("nPMZR_EL0", 21), b("nTRBMPAM_EL1", 22), b("nMDSTEPOP_EL1", 23),
    b("nPMBMAR_EL1", 24),
]);

/// Every layout, in the order the test tries them.
pub const LAYOUTS: &[Layout] = &[
    HCR_EL2,
    HCRX_EL2,
    MDCR_EL2,
    CPTR_EL2_E2H0,
    CPTR_EL2_E2H1,
    CNTHCTL_EL2_E2H0,
    CNTHCTL_EL2_E2H1,
    ICH_HCR_EL2,
    HFGRTR_EL2,
    HFGWTR_EL2,
    HFGITR_EL2,
    HDFGRTR_EL2,
    HDFGWTR_EL2,
    HAFGRTR_EL2,
    HFGRTR2_EL2,
    HFGWTR2_EL2,
    HFGITR2_EL2,
    HDFGRTR2_EL2,
    HDFGWTR2_EL2,
];
