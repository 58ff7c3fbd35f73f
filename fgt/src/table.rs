//! The table: every AArch64 system register and system instruction an EL1
//! or EL0 guest can execute (and the EL2/EL12/EL02 encodings a guest
//! hypervisor at EL1 reaches with HCR_EL2.NV), each with the coarse controls
//! that trap it to EL2 and its fine-grained trap bits.
//!
//! Source: the Arm ARM (DDI 0487 K.a/L.a), chapter D24 register descriptions
//! ("Accessibility" pseudocode of each register) and C5.3 (system
//! instructions); the fine-grained bit layouts are in [`crate::bits`]. The
//! table is hand-written as a compact declarative macro because no
//! machine-readable source of the *trap conditions* is available as a crate
//! (`arm-sysregs` carries register layouts, not accessibility). To update:
//! add a line `"NAME" op0,op1,CRn,CRm,op2 [* count / step [+ bitstep]] KIND
//! FGT [RULES];` and run `cargo test -p fgt` (duplicates fail to compile;
//! the tests check every FGT bit is bound) and the QEMU `fgt-diff` test.
//!
//! Trap-path index (O(1), built by `const fn` at compile time): the nine top
//! bits of the 16-bit encoding (op0, op1, CRn) index [`L1`], which names a
//! 128-slot page of [`L2`] or none; the seven low bits (CRm, op2) index the
//! page. A slot holds the table row and the member number inside a family
//! (for example `DBGBVR<n>_EL1`). Two loads, no search.

use crate::bits::{
    hafgrtr, hdfgrtr, hdfgrtr2, hdfgwtr, hdfgwtr2, hfgitr, hfgitr2, hfgrtr, hfgrtr2, hfgwtr,
    hfgwtr2, FgtBit,
};
use crate::ctl::{Acc, Ctl};
use crate::esr::Enc;

/// What kind of access an encoding allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Readable and writable register.
    RW,
    /// Read-only register (MRS).
    RO,
    /// Write-only register (MSR).
    WO,
    /// System instruction (SYS, direction "write").
    I,
    /// System instruction with result (SYSL, direction "read").
    IL,
}

impl Kind {
    /// Whether an access in direction `read` exists.
    pub const fn allows(self, read: bool) -> bool {
        match self {
            Kind::RW => true,
            Kind::RO | Kind::IL => read,
            Kind::WO | Kind::I => !read,
        }
    }
}

/// Row flag: the row also exists as an nXS TLBI at CRn + 1 (FEAT_XS).
pub const NXS: u8 = 1;

/// What HCR_EL2.{NV,NV1,NV2} = {1,0,1} (FEAT_NV2, a VHE guest hypervisor)
/// does to an EL1 access of this encoding instead of trapping (Arm ARM
/// D8.11, "Enhanced support for nested virtualization").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nv2 {
    /// Nothing: the HCR_EL2.NV rules apply (the access traps).
    Trap,
    /// A load/store at VNCR_EL2 + offset (member n at offset + 8n).
    Mem(u16),
    /// Redirected to the EL1 register of the same name, no trap: only
    /// ELR_EL2, SPSR_EL2, ESR_EL2, FAR_EL2 and TFSR_EL2 (the other EL2
    /// registers, SCTLR_EL2 included, trap).
    Redirect,
}

/// One row of the table: a register, an instruction, or a family of them.
#[derive(Clone, Copy, Debug)]
pub struct Desc {
    /// Arm name (`<n>` marks a family index).
    pub name: &'static str,
    /// Encoding of member 0.
    pub enc: Enc,
    /// Number of members.
    pub count: u8,
    /// Encoding step between members in the 7-bit CRm:op2 space
    /// (1: op2 counts, 8: CRm counts, 16: CRm counts by two).
    pub step: u8,
    /// FGT bit step between members (0: all members share the bit).
    pub bstep: u8,
    /// Access kind.
    pub kind: Kind,
    /// Row flags ([`NXS`]).
    pub flags: u8,
    /// FEAT_NV2 behaviour.
    pub nv2: Nv2,
    /// Fine-grained trap for reads.
    pub fr: Option<FgtBit>,
    /// Fine-grained trap for writes and SYS instructions.
    pub fw: Option<FgtBit>,
    /// Coarse trap rules, in priority order.
    pub coarse: &'static [(Ctl, Acc)],
}

impl Desc {
    /// The encoding of member `n`.
    pub const fn member(&self, n: u8) -> Enc {
        Enc(self.enc.0 + n as u16 * self.step as u16)
    }
    /// The fine-grained bit for direction `read` of member `n`.
    pub const fn fgt(&self, read: bool, n: u8) -> Option<FgtBit> {
        let f = if read { self.fr } else { self.fw };
        match f {
            Some(b) => Some(b.offset(n * self.bstep)),
            None => None,
        }
    }
    /// The VNCR page offset of member `n`, if NV2 turns its accesses into
    /// memory accesses.
    pub const fn vncr_offset(&self, n: u8) -> Option<u16> {
        match self.nv2 {
            Nv2::Mem(off) => Some(off + 8 * n as u16),
            _ => None,
        }
    }
    /// Number of encodings the row describes (nXS forms included).
    pub const fn encodings(&self) -> usize {
        self.count as usize * if self.flags & NXS != 0 { 2 } else { 1 }
    }
}

const fn last(v: &[u8]) -> u8 {
    v[v.len() - 1]
}

macro_rules! fgsel {
    (none) => {
        (None, None)
    };
    (fg $x:ident) => {
        (Some(hfgrtr::$x), Some(hfgwtr::$x))
    };
    (fgr $x:ident) => {
        (Some(hfgrtr::$x), None)
    };
    (dfg $x:ident) => {
        (Some(hdfgrtr::$x), Some(hdfgwtr::$x))
    };
    (dfgr $x:ident) => {
        (Some(hdfgrtr::$x), None)
    };
    (dfgw $x:ident) => {
        (None, Some(hdfgwtr::$x))
    };
    (fgi $x:ident) => {
        (None, Some(hfgitr::$x))
    };
    (afg $x:ident) => {
        (Some(hafgrtr::$x), None)
    };
    (fg2 $x:ident) => {
        (Some(hfgrtr2::$x), Some(hfgwtr2::$x))
    };
    (fg2r $x:ident) => {
        (Some(hfgrtr2::$x), None)
    };
    (dfg2 $x:ident) => {
        (Some(hdfgrtr2::$x), Some(hdfgwtr2::$x))
    };
    (dfg2r $x:ident) => {
        (Some(hdfgrtr2::$x), None)
    };
    (dfg2w $x:ident) => {
        (None, Some(hdfgwtr2::$x))
    };
    (fgi2 $x:ident) => {
        (None, Some(hfgitr2::$x))
    };
}

macro_rules! table {
    ($( $name:literal $op0:literal, $op1:literal, $crn:literal, $crm:literal, $op2:literal
        $(* $n:literal / $st:literal $(+ $bs:literal)?)?
        $kind:ident $(@ $nxs:ident)? $(% $nv2k:ident $(($off:literal))?)? $fk:ident $(($fx:ident))? [ $($c:ident $a:ident),* ] ; )*) => {
        /// The table (see the module docs).
        pub const TABLE: &[Desc] = &[ $(
            {
                let f: (Option<FgtBit>, Option<FgtBit>) = fgsel!($fk $($fx)?);
                Desc {
                    name: $name,
                    enc: Enc::new($op0, $op1, $crn, $crm, $op2),
                    count: last(&[1 $(, $n)?]),
                    step: last(&[1 $(, $st)?]),
                    bstep: last(&[0 $($(, $bs)?)?]),
                    kind: Kind::$kind,
                    flags: 0 $( | table!(@flag $nxs) )?,
                    nv2: table!(@nv2 $($nv2k $($off)?)?),
                    fr: f.0,
                    fw: f.1,
                    coarse: &[ $( (Ctl::$c, Acc::$a) ),* ],
                }
            },
        )* ];
    };
    (@flag nxs) => { NXS };
    (@nv2) => { Nv2::Trap };
    (@nv2 mem $off:literal) => { Nv2::Mem($off) };
    (@nv2 redir) => { Nv2::Redirect };
}

table! {
    // ---- Identification (CRn=0) ------------------------------------------------
    "MIDR_EL1" 3,0,0,0,0 RO fgr(MIDR_EL1) [];
    "MPIDR_EL1" 3,0,0,0,5 RO fgr(MPIDR_EL1) [];
    "REVIDR_EL1" 3,0,0,0,6 RO fgr(REVIDR_EL1) [Tid1 R];
    // The whole feature-ID space op0=3 op1=0 CRn=0 CRm=1..7 (Arm ARM D24.2.48, TID3),
    // including the reserved encodings that read as zero.
    "ID_<CRm,op2>_EL1" 3,0,0,1,0 * 56 / 1 RO none [Tid3 R];
    "CCSIDR_EL1" 3,1,0,0,0 RO fgr(CCSIDR_EL1) [Tid2 R, Tid4 R];
    "CLIDR_EL1" 3,1,0,0,1 RO fgr(CLIDR_EL1) [Tid2 R, Tid4 R];
    "CCSIDR2_EL1" 3,1,0,0,2 RO fgr(CCSIDR_EL1) [Tid2 R, Tid4 R];
    "GMID_EL1" 3,1,0,0,4 RO none [Tid5 R];
    "SMIDR_EL1" 3,1,0,0,6 RO none [Tid1 R];
    "AIDR_EL1" 3,1,0,0,7 RO fgr(AIDR_EL1) [Tid1 R];
    "CSSELR_EL1" 3,2,0,0,0 RW fg(CSSELR_EL1) [Tid2 RW, Tid4 RW];
    "CTR_EL0" 3,3,0,0,1 RO fgr(CTR_EL0) [Tid2 R];
    "DCZID_EL0" 3,3,0,0,7 RO fgr(DCZID_EL0) [];
    // ---- System control (CRn=1) ---------------------------------------------------
    "SCTLR_EL1" 3,0,1,0,0 RW fg(SCTLR_EL1) [Tvm W, Trvm R];
    "ACTLR_EL1" 3,0,1,0,1 RW % mem(0x118) fg2(ACTLR_EL1) [Tacr RW];
    "CPACR_EL1" 3,0,1,0,2 RW fg(CPACR_EL1) [Tcpac RW];
    "SCTLR2_EL1" 3,0,1,0,3 RW fg(SCTLR_EL1) [Sctlr2En RW, Tvm W, Trvm R];
    "RGSR_EL1" 3,0,1,0,5 RW fg2(RGSR_EL1) [Ata RW];
    "GCR_EL1" 3,0,1,0,6 RW fg2(GCR_EL1) [Ata RW];
    // SVE enables first (EC 0x19), then the FP enables (EC 0x07): Arm ARM ZCR_EL1.
    "ZCR_EL1" 3,0,1,2,0 RW none [Tz RW, Tfp RW];
    "TRFCR_EL1" 3,0,1,2,1 RW dfgw(TRFCR_EL1) [Ttrf RW];
    "TRCITECR_EL1" 3,0,1,2,3 RW dfg2(nTRCITECR_EL1) [Ttrf RW];
    "SMPRI_EL1" 3,0,1,2,4 RW fg(nSMPRI_EL1) [];
    "SMCR_EL1" 3,0,1,2,6 RW none [Tsm RW];
    // ---- Translation, PAuth keys, GCS (CRn=2) ---------------------------------------
    "TTBR0_EL1" 3,0,2,0,0 RW fg(TTBR0_EL1) [Tvm W, Trvm R];
    "TTBR1_EL1" 3,0,2,0,1 RW fg(TTBR1_EL1) [Tvm W, Trvm R];
    "TCR_EL1" 3,0,2,0,2 RW fg(TCR_EL1) [Tvm W, Trvm R];
    "TCR2_EL1" 3,0,2,0,3 RW fg(TCR_EL1) [Tcr2En RW, Tvm W, Trvm R];
    "APIAKey{Lo,Hi}_EL1" 3,0,2,1,0 * 2 / 1 RW fg(APIAKey) [Apk RW];
    "APIBKey{Lo,Hi}_EL1" 3,0,2,1,2 * 2 / 1 RW fg(APIBKey) [Apk RW];
    "APDAKey{Lo,Hi}_EL1" 3,0,2,2,0 * 2 / 1 RW fg(APDAKey) [Apk RW];
    "APDBKey{Lo,Hi}_EL1" 3,0,2,2,2 * 2 / 1 RW fg(APDBKey) [Apk RW];
    "APGAKey{Lo,Hi}_EL1" 3,0,2,3,0 * 2 / 1 RW fg(APGAKey) [Apk RW];
    "GCSCR_EL1" 3,0,2,5,0 RW fg(nGCS_EL1) [GcsEn RW];
    "GCSPR_EL1" 3,0,2,5,1 RW fg(nGCS_EL1) [GcsEn RW];
    "GCSCRE0_EL1" 3,0,2,5,2 RW fg(nGCS_EL0) [GcsEn RW];
    "GCSPR_EL0" 3,3,2,5,1 RW fg(nGCS_EL0) [GcsEn RW];
    // ---- Special-purpose (CRn=4) -------------------------------------------------------
    "SPSR_EL1" 3,0,4,0,0 RW none [Nv1 RW];
    "ELR_EL1" 3,0,4,0,1 RW none [Nv1 RW];
    "SP_EL0" 3,0,4,1,0 RW none [];
    "SPSel" 3,0,4,2,0 RW none [];
    "CurrentEL" 3,0,4,2,2 RO none [];
    "PAN" 3,0,4,2,3 RW none [];
    "UAO" 3,0,4,2,4 RW none [];
    "ALLINT" 3,0,4,3,0 RW none [TallInt W];
    "NZCV" 3,3,4,2,0 RW none [];
    "DAIF" 3,3,4,2,1 RW none [];
    "DIT" 3,3,4,2,5 RW none [];
    "SSBS" 3,3,4,2,6 RW none [];
    "TCO" 3,3,4,2,7 RW none [];
    "RNDR" 3,3,2,4,0 RO none [];
    "RNDRRS" 3,3,2,4,1 RO none [];
    "ICC_PMR_EL1" 3,0,4,6,0 RW none [IchTc RW];
    "SVCR" 3,3,4,2,2 RW none [Tsm RW];
    "FPCR" 3,3,4,4,0 RW none [Tfp RW];
    "FPSR" 3,3,4,4,1 RW none [Tfp RW];
    "FPMR" 3,3,4,4,2 RW none [EnFpm RW];
    // ---- Faults, RAS, MTE (CRn=5, 6, 7) ------------------------------------------------
    "AFSR0_EL1" 3,0,5,1,0 RW fg(AFSR0_EL1) [Tvm W, Trvm R];
    "AFSR1_EL1" 3,0,5,1,1 RW fg(AFSR1_EL1) [Tvm W, Trvm R];
    "ESR_EL1" 3,0,5,2,0 RW fg(ESR_EL1) [Tvm W, Trvm R];
    "ERRIDR_EL1" 3,0,5,3,0 RO fgr(ERRIDR_EL1) [Terr R];
    "ERRSELR_EL1" 3,0,5,3,1 RW fg(ERRSELR_EL1) [Terr RW];
    "ERXGSR_EL1" 3,0,5,3,2 RO fg2r(nERXGSR_EL1) [Terr R];
    "ERXFR_EL1" 3,0,5,4,0 RO fgr(ERXFR_EL1) [Terr R];
    "ERXCTLR_EL1" 3,0,5,4,1 RW fg(ERXCTLR_EL1) [Terr RW];
    "ERXSTATUS_EL1" 3,0,5,4,2 RW fg(ERXSTATUS_EL1) [Terr RW];
    "ERXADDR_EL1" 3,0,5,4,3 RW fg(ERXADDR_EL1) [Terr RW];
    "ERXPFGF_EL1" 3,0,5,4,4 RO fgr(ERXPFGF_EL1) [Terr R, Fien R];
    "ERXPFGCTL_EL1" 3,0,5,4,5 RW fg(ERXPFGCTL_EL1) [Terr RW, Fien RW];
    "ERXPFGCDN_EL1" 3,0,5,4,6 RW fg(ERXPFGCDN_EL1) [Terr RW, Fien RW];
    "ERXMISC<n>_EL1" 3,0,5,5,0 * 4 / 1 RW fg(ERXMISCn_EL1) [Terr RW];
    "TFSR_EL1" 3,0,5,6,0 RW fg2(TFSR_EL1) [Nv1 RW, Ata RW];
    "TFSRE0_EL1" 3,0,5,6,1 RW none [Ata RW];
    "FAR_EL1" 3,0,6,0,0 RW fg(FAR_EL1) [Tvm W, Trvm R];
    "PFAR_EL1" 3,0,6,0,5 RW fg2(nPFAR_EL1) [];
    "PAR_EL1" 3,0,7,4,0 RW fg(PAR_EL1) [];
    // ---- PMU (CRn=9, 14) -----------------------------------------------------------------
    "PMINTENSET_EL1" 3,0,9,14,1 RW dfg(PMINTEN) [Tpm RW];
    "PMINTENCLR_EL1" 3,0,9,14,2 RW dfg(PMINTEN) [Tpm RW];
    "PMMIR_EL1" 3,0,9,14,6 RO dfgr(PMMIR_EL1) [Tpm R];
    "PMCR_EL0" 3,3,9,12,0 RW dfgw(PMCR_EL0) [Tpm RW, Tpmcr RW];
    "PMCNTENSET_EL0" 3,3,9,12,1 RW dfg(PMCNTEN) [Tpm RW];
    "PMCNTENCLR_EL0" 3,3,9,12,2 RW dfg(PMCNTEN) [Tpm RW];
    "PMOVSCLR_EL0" 3,3,9,12,3 RW dfg(PMOVS) [Tpm RW];
    "PMSWINC_EL0" 3,3,9,12,4 WO dfgw(PMSWINC_EL0) [Tpm W];
    "PMSELR_EL0" 3,3,9,12,5 RW dfg(PMSELR_EL0) [Tpm RW];
    "PMCEID<n>_EL0" 3,3,9,12,6 * 2 / 1 RO dfgr(PMCEIDn_EL0) [Tpm R];
    "PMCCNTR_EL0" 3,3,9,13,0 RW dfg(PMCCNTR_EL0) [Tpm RW];
    "PMXEVTYPER_EL0" 3,3,9,13,1 RW dfg(PMEVTYPERn_EL0) [Tpm RW];
    "PMXEVCNTR_EL0" 3,3,9,13,2 RW dfg(PMEVCNTRn_EL0) [Tpm RW];
    "PMUSERENR_EL0" 3,3,9,14,0 RW dfg(PMUSERENR_EL0) [Tpm RW];
    "PMOVSSET_EL0" 3,3,9,14,3 RW dfg(PMOVS) [Tpm RW];
    "PMEVCNTR<n>_EL0" 3,3,14,8,0 * 31 / 1 RW dfg(PMEVCNTRn_EL0) [Tpm RW];
    "PMEVTYPER<n>_EL0" 3,3,14,12,0 * 31 / 1 RW dfg(PMEVTYPERn_EL0) [Tpm RW];
    "PMCCFILTR_EL0" 3,3,14,15,7 RW dfg(PMCCFILTR_EL0) [Tpm RW];
    "PMICNTR_EL0" 3,3,9,4,0 RW dfg2(nPMICNTR_EL0) [Tpm RW];
    "PMICFILTR_EL0" 3,3,9,6,0 RW dfg2(nPMICFILTR_EL0) [Tpm RW];
    "PMSSCR_EL1" 3,0,9,13,3 RW dfg2(nPMSSCR_EL1) [Tpm RW];
    "PMZR_EL0" 3,3,9,13,4 WO dfg2w(nPMZR_EL0) [Tpm W];
    "PMUACR_EL1" 3,0,9,14,4 RW dfg2(nPMUACR_EL1) [Tpm RW];
    "PMECR_EL1" 3,0,9,14,5 RW dfg2(nPMECR_EL1) [Tpm RW];
    "PMEVCNTSVR<n>_EL1" 2,0,14,8,0 * 31 / 1 RO dfg2r(nPMSSDATA) [Tpm R];
    "PMCCNTSVR_EL1" 2,0,14,11,7 RO dfg2r(nPMSSDATA) [Tpm R];
    "PMICNTSVR_EL1" 2,0,14,12,0 RO dfg2r(nPMSSDATA) [Tpm R];
    // ---- SPE, TRBE (CRn=9) ---------------------------------------------------------------
    "PMSCR_EL1" 3,0,9,9,0 RW dfg(PMSCR_EL1) [Tpms RW];
    "PMSNEVFR_EL1" 3,0,9,9,1 RW dfg(nPMSNEVFR_EL1) [Tpms RW];
    "PMSICR_EL1" 3,0,9,9,2 RW dfg(PMSICR_EL1) [Tpms RW];
    "PMSIRR_EL1" 3,0,9,9,3 RW dfg(PMSIRR_EL1) [Tpms RW];
    "PMSFCR_EL1" 3,0,9,9,4 RW dfg(PMSFCR_EL1) [Tpms RW];
    "PMSEVFR_EL1" 3,0,9,9,5 RW dfg(PMSEVFR_EL1) [Tpms RW];
    "PMSLATFR_EL1" 3,0,9,9,6 RW dfg(PMSLATFR_EL1) [Tpms RW];
    "PMSIDR_EL1" 3,0,9,9,7 RO dfgr(PMSIDR_EL1) [Tpms R];
    "PMBLIMITR_EL1" 3,0,9,10,0 RW dfg(PMBLIMITR_EL1) [E2pb RW];
    "PMBPTR_EL1" 3,0,9,10,1 RW dfg(PMBPTR_EL1) [E2pb RW];
    "PMBSR_EL1" 3,0,9,10,3 RW dfg(PMBSR_EL1) [E2pb RW];
    "PMSDSFR_EL1" 3,0,9,10,4 RW dfg2(nPMSDSFR_EL1) [Tpms RW];
    "PMBMAR_EL1" 3,0,9,10,5 RW dfg2(nPMBMAR_EL1) [E2pb RW];
    "PMBIDR_EL1" 3,0,9,10,7 RO dfgr(PMBIDR_EL1) [];
    "TRBLIMITR_EL1" 3,0,9,11,0 RW dfg(TRBLIMITR_EL1) [E2tb RW];
    "TRBPTR_EL1" 3,0,9,11,1 RW dfg(TRBPTR_EL1) [E2tb RW];
    "TRBBASER_EL1" 3,0,9,11,2 RW dfg(TRBBASER_EL1) [E2tb RW];
    "TRBSR_EL1" 3,0,9,11,3 RW dfg(TRBSR_EL1) [E2tb RW];
    "TRBMAR_EL1" 3,0,9,11,4 RW dfg(TRBMAR_EL1) [E2tb RW];
    "TRBMPAM_EL1" 3,0,9,11,5 RW dfg2(nTRBMPAM_EL1) [E2tb RW];
    "TRBTRG_EL1" 3,0,9,11,6 RW dfg(TRBTRG_EL1) [E2tb RW];
    "TRBIDR_EL1" 3,0,9,11,7 RO dfgr(TRBIDR_EL1) [];
    // ---- Memory attributes, LOR (CRn=10) ----------------------------------------------------
    "MAIR_EL1" 3,0,10,2,0 RW fg(MAIR_EL1) [Tvm W, Trvm R];
    "MAIR2_EL1" 3,0,10,2,1 RW fg(nMAIR2_EL1) [Tvm W, Trvm R];
    "PIRE0_EL1" 3,0,10,2,2 RW fg(nPIRE0_EL1) [Tvm W, Trvm R];
    "PIR_EL1" 3,0,10,2,3 RW fg(nPIR_EL1) [Tvm W, Trvm R];
    "POR_EL1" 3,0,10,2,4 RW fg(nPOR_EL1) [];
    "S2POR_EL1" 3,0,10,2,5 RW fg(nS2POR_EL1) [];
    "AMAIR_EL1" 3,0,10,3,0 RW fg(AMAIR_EL1) [Tvm W, Trvm R];
    "AMAIR2_EL1" 3,0,10,3,1 RW fg(nAMAIR2_EL1) [Tvm W, Trvm R];
    "LORSA_EL1" 3,0,10,4,0 RW fg(LORSA_EL1) [Tlor RW];
    "LOREA_EL1" 3,0,10,4,1 RW fg(LOREA_EL1) [Tlor RW];
    "LORN_EL1" 3,0,10,4,2 RW fg(LORN_EL1) [Tlor RW];
    "LORC_EL1" 3,0,10,4,3 RW fg(LORC_EL1) [Tlor RW];
    "LORID_EL1" 3,0,10,4,7 RO fgr(LORID_EL1) [Tlor R];
    "POR_EL0" 3,3,10,2,4 RW fg(nPOR_EL0) [];
    // ---- Vectors, GIC CPU interface (CRn=12) ----------------------------------------------
    "VBAR_EL1" 3,0,12,0,0 RW fg(VBAR_EL1) [Nv1 RW];
    "ISR_EL1" 3,0,12,1,0 RO fgr(ISR_EL1) [];
    "DISR_EL1" 3,0,12,1,1 RW none [];
    "ICC_IAR0_EL1" 3,0,12,8,0 RO none [IchTall0 R];
    "ICC_EOIR0_EL1" 3,0,12,8,1 WO none [IchTall0 W];
    "ICC_HPPIR0_EL1" 3,0,12,8,2 RO none [IchTall0 R];
    "ICC_BPR0_EL1" 3,0,12,8,3 RW none [IchTall0 RW];
    "ICC_AP0R<n>_EL1" 3,0,12,8,4 * 4 / 1 RW none [IchTall0 RW];
    "ICC_AP1R<n>_EL1" 3,0,12,9,0 * 4 / 1 RW none [IchTall1 RW];
    "ICC_NMIAR1_EL1" 3,0,12,9,5 RO none [IchTall1 R];
    "ICC_DIR_EL1" 3,0,12,11,1 WO none [IchTc W, IchTdir W];
    "ICC_RPR_EL1" 3,0,12,11,3 RO none [IchTc R];
    "ICC_SGI1R_EL1" 3,0,12,11,5 WO none [ImoFmo W, IchTc W];
    "ICC_ASGI1R_EL1" 3,0,12,11,6 WO none [ImoFmo W, IchTc W];
    "ICC_SGI0R_EL1" 3,0,12,11,7 WO none [ImoFmo W, IchTc W];
    "ICC_IAR1_EL1" 3,0,12,12,0 RO none [IchTall1 R];
    "ICC_EOIR1_EL1" 3,0,12,12,1 WO none [IchTall1 W];
    "ICC_HPPIR1_EL1" 3,0,12,12,2 RO none [IchTall1 R];
    "ICC_BPR1_EL1" 3,0,12,12,3 RW none [IchTall1 RW];
    "ICC_CTLR_EL1" 3,0,12,12,4 RW none [IchTc RW];
    "ICC_SRE_EL1" 3,0,12,12,5 RW none [];
    "ICC_IGRPEN0_EL1" 3,0,12,12,6 RW fg(ICC_IGRPENn_EL1) [IchTall0 RW];
    "ICC_IGRPEN1_EL1" 3,0,12,12,7 RW fg(ICC_IGRPENn_EL1) [IchTall1 RW];
    // ---- Thread ID, AMU (CRn=13) ------------------------------------------------------------
    "CONTEXTIDR_EL1" 3,0,13,0,1 RW fg(CONTEXTIDR_EL1) [Tvm W, Trvm R];
    "RCWSMASK_EL1" 3,0,13,0,3 RW fg2(nRCWSMASK_EL1) [];
    "TPIDR_EL1" 3,0,13,0,4 RW fg(TPIDR_EL1) [];
    "ACCDATA_EL1" 3,0,13,0,5 RW fg(nACCDATA_EL1) [];
    "RCWMASK_EL1" 3,0,13,0,6 RW fg(nRCWMASK_EL1) [];
    "SCXTNUM_EL1" 3,0,13,0,7 RW fg(SCXTNUM_EL1) [Nv1 RW, EnScxt RW];
    "TPIDR_EL0" 3,3,13,0,2 RW fg(TPIDR_EL0) [];
    "TPIDRRO_EL0" 3,3,13,0,3 RW fg(TPIDRRO_EL0) [];
    "TPIDR2_EL0" 3,3,13,0,5 RW fg(nTPIDR2_EL0) [];
    "SCXTNUM_EL0" 3,3,13,0,7 RW fg(SCXTNUM_EL0) [EnScxt RW];
    "AMCR_EL0" 3,3,13,2,0 RW none [Tam RW];
    "AMCFGR_EL0" 3,3,13,2,1 RO none [Tam R];
    "AMCGCR_EL0" 3,3,13,2,2 RO none [Tam R];
    "AMUSERENR_EL0" 3,3,13,2,3 RW none [Tam RW];
    "AMCG1IDR_EL0" 3,3,13,2,6 RO none [Tam R];
    "AMCNTENCLR0_EL0" 3,3,13,2,4 RW afg(AMCNTEN0) [Tam RW];
    "AMCNTENSET0_EL0" 3,3,13,2,5 RW afg(AMCNTEN0) [Tam RW];
    "AMCNTENCLR1_EL0" 3,3,13,3,0 RW afg(AMCNTEN1) [Tam RW];
    "AMCNTENSET1_EL0" 3,3,13,3,1 RW afg(AMCNTEN1) [Tam RW];
    "AMEVCNTR0<n>_EL0" 3,3,13,4,0 * 4 / 1 + 1 RW afg(AMEVCNTR00_EL0) [Tam RW];
    "AMEVCNTR0<n+4>_EL0" 3,3,13,4,4 * 12 / 1 RW none [Tam RW];
    "AMEVTYPER0<n>_EL0" 3,3,13,6,0 * 16 / 1 RO none [Tam R];
    "AMEVCNTR1<n>_EL0" 3,3,13,12,0 * 16 / 1 + 2 RW afg(AMEVCNTR10_EL0) [Tam RW];
    "AMEVTYPER1<n>_EL0" 3,3,13,14,0 * 16 / 1 + 2 RW afg(AMEVTYPER10_EL0) [Tam RW];
    // ---- Generic timer (CRn=14) ---------------------------------------------------------------
    "CNTKCTL_EL1" 3,0,14,1,0 RW none [];
    "CNTFRQ_EL0" 3,3,14,0,0 RO none [];
    "CNTPCT_EL0" 3,3,14,0,1 RO none [El1Pcten R];
    "CNTVCT_EL0" 3,3,14,0,2 RO none [El1Tvct R];
    "CNTPCTSS_EL0" 3,3,14,0,5 RO none [El1Pcten R];
    "CNTVCTSS_EL0" 3,3,14,0,6 RO none [El1Tvct R];
    "CNTP_TVAL_EL0" 3,3,14,2,0 RW none [El1Pten RW];
    "CNTP_CTL_EL0" 3,3,14,2,1 RW none [El1Pten RW];
    "CNTP_CVAL_EL0" 3,3,14,2,2 RW none [El1Pten RW];
    "CNTV_TVAL_EL0" 3,3,14,3,0 RW none [El1Tvt RW];
    "CNTV_CTL_EL0" 3,3,14,3,1 RW none [El1Tvt RW];
    "CNTV_CVAL_EL0" 3,3,14,3,2 RW none [El1Tvt RW];
    // ---- Debug (op0=2, op1=0/3) -------------------------------------------------------------
    "OSDTRRX_EL1" 2,0,0,0,2 RW none [Tdcc RW, Tda RW];
    "MDCCINT_EL1" 2,0,0,2,0 RW none [Tdcc RW, Tda RW];
    "MDSCR_EL1" 2,0,0,2,2 RW % mem(0x158) dfg(MDSCR_EL1) [Tda RW];
    "OSDTRTX_EL1" 2,0,0,3,2 RW none [Tdcc RW, Tda RW];
    "MDSELR_EL1" 2,0,0,4,2 RW dfg2(nMDSELR_EL1) [Tda RW];
    "MDSTEPOP_EL1" 2,0,0,5,2 RW dfg2(nMDSTEPOP_EL1) [Tda RW];
    "OSECCR_EL1" 2,0,0,6,2 RW dfg(OSECCR_EL1) [Tda RW];
    "DBGBVR<n>_EL1" 2,0,0,0,4 * 16 / 8 RW dfg(DBGBVRn_EL1) [Tda RW];
    "DBGBCR<n>_EL1" 2,0,0,0,5 * 16 / 8 RW dfg(DBGBCRn_EL1) [Tda RW];
    "DBGWVR<n>_EL1" 2,0,0,0,6 * 16 / 8 RW dfg(DBGWVRn_EL1) [Tda RW];
    "DBGWCR<n>_EL1" 2,0,0,0,7 * 16 / 8 RW dfg(DBGWCRn_EL1) [Tda RW];
    "MDRAR_EL1" 2,0,1,0,0 RO none [Tdra R];
    "OSLAR_EL1" 2,0,1,0,4 WO dfgw(OSLAR_EL1) [Tdosa W];
    "OSLSR_EL1" 2,0,1,1,4 RO dfgr(OSLSR_EL1) [Tdosa R];
    "OSDLR_EL1" 2,0,1,3,4 RW dfg(OSDLR_EL1) [Tdosa RW];
    "DBGPRCR_EL1" 2,0,1,4,4 RW dfg(DBGPRCR_EL1) [Tdosa RW];
    "DBGCLAIMSET_EL1" 2,0,7,8,6 RW dfg(DBGCLAIM) [Tda RW];
    "DBGCLAIMCLR_EL1" 2,0,7,9,6 RW dfg(DBGCLAIM) [Tda RW];
    "DBGAUTHSTATUS_EL1" 2,0,7,14,6 RO dfgr(DBGAUTHSTATUS_EL1) [Tda R];
    "MDCCSR_EL0" 2,3,0,1,0 RO none [Tdcc R, Tda R];
    "DBGDTR_EL0" 2,3,0,4,0 RW none [Tdcc RW, Tda RW];
    "DBGDTRRX_EL0/DBGDTRTX_EL0" 2,3,0,5,0 RW none [Tdcc RW, Tda RW];
    // ---- Branch record buffer (op0=2, op1=1, CRn=8/9) ------------------------------------------
    "BRBINF<n>_EL1" 2,1,8,0,0 * 16 / 8 RO dfgr(nBRBDATA) [];
    "BRBSRC<n>_EL1" 2,1,8,0,1 * 16 / 8 RO dfgr(nBRBDATA) [];
    "BRBTGT<n>_EL1" 2,1,8,0,2 * 16 / 8 RO dfgr(nBRBDATA) [];
    "BRBINF<n+16>_EL1" 2,1,8,0,4 * 16 / 8 RO dfgr(nBRBDATA) [];
    "BRBSRC<n+16>_EL1" 2,1,8,0,5 * 16 / 8 RO dfgr(nBRBDATA) [];
    "BRBTGT<n+16>_EL1" 2,1,8,0,6 * 16 / 8 RO dfgr(nBRBDATA) [];
    "BRBCR_EL1" 2,1,9,0,0 RW dfg(nBRBCTL) [];
    "BRBFCR_EL1" 2,1,9,0,1 RW dfg(nBRBCTL) [];
    "BRBTS_EL1" 2,1,9,0,2 RW dfg(nBRBCTL) [];
    "BRBINFINJ_EL1" 2,1,9,1,0 RW dfg(nBRBDATA) [];
    "BRBSRCINJ_EL1" 2,1,9,1,1 RW dfg(nBRBDATA) [];
    "BRBTGTINJ_EL1" 2,1,9,1,2 RW dfg(nBRBDATA) [];
    "BRBIDR0_EL1" 2,1,9,2,0 RO dfgr(nBRBIDR) [];
    // ---- Trace unit (op0=2, op1=1; CPTR_EL2.TTA) ---------------------------------------------
    "TRCTRACEIDR" 2,1,0,0,1 RW dfg(TRC) [Tta RW];
    "TRCVICTLR" 2,1,0,0,2 RW dfg(TRCVICTLR) [Tta RW];
    "TRCSEQEVR<n>" 2,1,0,0,4 * 3 / 8 RW dfg(TRC) [Tta RW];
    "TRCCNTRLDVR<n>" 2,1,0,0,5 * 4 / 8 RW dfg(TRC) [Tta RW];
    "TRCIDR<n+8>" 2,1,0,0,6 * 6 / 8 RO dfgr(TRCID) [Tta R];
    "TRCIMSPEC<n>" 2,1,0,0,7 * 8 / 8 RW dfg(TRCIMSPECn) [Tta RW];
    "TRCPRGCTLR" 2,1,0,1,0 RW dfg(TRCPRGCTLR) [Tta RW];
    "TRCQCTLR" 2,1,0,1,1 RW dfg(TRC) [Tta RW];
    "TRCVIIECTLR" 2,1,0,1,2 RW dfg(TRC) [Tta RW];
    "TRCVISSCTLR" 2,1,0,2,2 RW dfg(TRC) [Tta RW];
    "TRCSTATR" 2,1,0,3,0 RO dfgr(TRCSTATR) [Tta R];
    "TRCVIPCSSCTLR" 2,1,0,3,2 RW dfg(TRC) [Tta RW];
    "TRCCONFIGR" 2,1,0,4,0 RW dfg(TRC) [Tta RW];
    "TRCCNTCTLR<n>" 2,1,0,4,5 * 4 / 8 RW dfg(TRC) [Tta RW];
    "TRCAUXCTLR" 2,1,0,6,0 RW dfg(TRCAUXCTLR) [Tta RW];
    "TRCSEQRSTEVR" 2,1,0,6,4 RW dfg(TRC) [Tta RW];
    "TRCSEQSTR" 2,1,0,7,4 RW dfg(TRCSEQSTR) [Tta RW];
    "TRCEVENTCTL0R" 2,1,0,8,0 RW dfg(TRC) [Tta RW];
    "TRCEXTINSELR<n>" 2,1,0,8,4 * 4 / 8 RW dfg(TRC) [Tta RW];
    "TRCCNTVR<n>" 2,1,0,8,5 * 4 / 8 RW dfg(TRCCNTVRn) [Tta RW];
    "TRCIDR<n>" 2,1,0,8,7 * 8 / 8 RO dfgr(TRCID) [Tta R];
    "TRCEVENTCTL1R" 2,1,0,9,0 RW dfg(TRC) [Tta RW];
    "TRCSTALLCTLR" 2,1,0,11,0 RW dfg(TRC) [Tta RW];
    "TRCTSCTLR" 2,1,0,12,0 RW dfg(TRC) [Tta RW];
    "TRCSYNCPR" 2,1,0,13,0 RW dfg(TRC) [Tta RW];
    "TRCCCCTLR" 2,1,0,14,0 RW dfg(TRC) [Tta RW];
    "TRCBBCTLR" 2,1,0,15,0 RW dfg(TRC) [Tta RW];
    "TRCRSCTLR<n+2>" 2,1,1,2,0 * 14 / 8 RW dfg(TRC) [Tta RW];
    "TRCRSCTLR<n+16>" 2,1,1,0,1 * 16 / 8 RW dfg(TRC) [Tta RW];
    "TRCSSCCR<n>" 2,1,1,0,2 * 8 / 8 RW dfg(TRC) [Tta RW];
    "TRCSSCSR<n>" 2,1,1,8,2 * 8 / 8 RW dfg(TRCSSCSRn) [Tta RW];
    "TRCSSPCICR<n>" 2,1,1,0,3 * 8 / 8 RW dfg(TRC) [Tta RW];
    "TRCOSLAR" 2,1,1,0,4 WO dfgw(TRCOSLAR) [Tta W];
    "TRCOSLSR" 2,1,1,1,4 RO dfgr(TRCOSLSR) [Tta R];
    "TRCACVR<n>" 2,1,2,0,0 * 8 / 16 RW dfg(TRC) [Tta RW];
    "TRCACVR<n+8>" 2,1,2,0,1 * 8 / 16 RW dfg(TRC) [Tta RW];
    "TRCACATR<n>" 2,1,2,0,2 * 8 / 16 RW dfg(TRC) [Tta RW];
    "TRCACATR<n+8>" 2,1,2,0,3 * 8 / 16 RW dfg(TRC) [Tta RW];
    "TRCCIDCVR<n>" 2,1,3,0,0 * 8 / 16 RW dfg(TRC) [Tta RW];
    "TRCVMIDCVR<n>" 2,1,3,0,1 * 8 / 16 RW dfg(TRC) [Tta RW];
    "TRCCIDCCTLR0" 2,1,3,0,2 RW dfg(TRC) [Tta RW];
    "TRCCIDCCTLR1" 2,1,3,1,2 RW dfg(TRC) [Tta RW];
    "TRCVMIDCCTLR0" 2,1,3,2,2 RW dfg(TRC) [Tta RW];
    "TRCVMIDCCTLR1" 2,1,3,3,2 RW dfg(TRC) [Tta RW];
    "TRCDEVID" 2,1,7,2,7 RO dfgr(TRCID) [Tta R];
    "TRCCLAIMSET" 2,1,7,8,6 RW dfg(TRCCLAIM) [Tta RW];
    "TRCCLAIMCLR" 2,1,7,9,6 RW dfg(TRCCLAIM) [Tta RW];
    "TRCAUTHSTATUS" 2,1,7,14,6 RO dfgr(TRCAUTHSTATUS) [Tta R];
    "TRCDEVARCH" 2,1,7,15,6 RO dfgr(TRCID) [Tta R];
    // ---- Cache maintenance (op0=1, CRn=7) ---------------------------------------------------------
    "IC IALLUIS" 1,0,7,1,0 I fgi(ICIALLUIS) [Tpu W, Ticab W];
    "IC IALLU" 1,0,7,5,0 I fgi(ICIALLU) [Tpu W, Tocu W];
    "IC IVAU" 1,3,7,5,1 I fgi(ICIVAU) [Tpu W, Tocu W];
    "DC IVAC" 1,0,7,6,1 I fgi(DCIVAC) [Tpcp W];
    "DC IGVAC" 1,0,7,6,3 I fgi(DCIVAC) [Tpcp W];
    "DC IGDVAC" 1,0,7,6,5 I fgi(DCIVAC) [Tpcp W];
    "DC ISW" 1,0,7,6,2 I fgi(DCISW) [Tsw W];
    "DC IGSW" 1,0,7,6,4 I fgi(DCISW) [Tsw W];
    "DC IGDSW" 1,0,7,6,6 I fgi(DCISW) [Tsw W];
    "DC CSW" 1,0,7,10,2 I fgi(DCCSW) [Tsw W];
    "DC CGSW" 1,0,7,10,4 I fgi(DCCSW) [Tsw W];
    "DC CGDSW" 1,0,7,10,6 I fgi(DCCSW) [Tsw W];
    "DC CISW" 1,0,7,14,2 I fgi(DCCISW) [Tsw W];
    "DC CIGSW" 1,0,7,14,4 I fgi(DCCISW) [Tsw W];
    "DC CIGDSW" 1,0,7,14,6 I fgi(DCCISW) [Tsw W];
    "DC ZVA" 1,3,7,4,1 I fgi(DCZVA) [Tdz W];
    "DC GVA" 1,3,7,4,3 I fgi(DCZVA) [Tdz W];
    "DC GZVA" 1,3,7,4,4 I fgi(DCZVA) [Tdz W];
    "DC GBVA" 1,3,7,4,5 I fgi2(DCGBVA) [];
    "DC CVAC" 1,3,7,10,1 I fgi(DCCVAC) [Tpcp W];
    "DC CGVAC" 1,3,7,10,3 I fgi(DCCVAC) [Tpcp W];
    "DC CGDVAC" 1,3,7,10,5 I fgi(DCCVAC) [Tpcp W];
    "DC CVAU" 1,3,7,11,1 I fgi(DCCVAU) [Tpu W, Tocu W];
    "DC CVAP" 1,3,7,12,1 I fgi(DCCVAP) [Tpcp W];
    "DC CGVAP" 1,3,7,12,3 I fgi(DCCVAP) [Tpcp W];
    "DC CGDVAP" 1,3,7,12,5 I fgi(DCCVAP) [Tpcp W];
    "DC CVADP" 1,3,7,13,1 I fgi(DCCVADP) [Tpcp W];
    "DC CGVADP" 1,3,7,13,3 I fgi(DCCVADP) [Tpcp W];
    "DC CGDVADP" 1,3,7,13,5 I fgi(DCCVADP) [Tpcp W];
    "DC CIVAC" 1,3,7,14,1 I fgi(DCCIVAC) [Tpcp W];
    "DC CIGVAC" 1,3,7,14,3 I fgi(DCCIVAC) [Tpcp W];
    "DC CIGDVAC" 1,3,7,14,5 I fgi(DCCIVAC) [Tpcp W];
    "DC CIVAPS" 1,0,7,15,1 I fgi2(nDCCIVAPS) [];
    // ---- Address translation, prediction restriction, BRB, GCS ---------------------------------------
    "AT S1E1R" 1,0,7,8,0 I fgi(ATS1E1R) [At W];
    "AT S1E1W" 1,0,7,8,1 I fgi(ATS1E1W) [At W];
    "AT S1E0R" 1,0,7,8,2 I fgi(ATS1E0R) [At W];
    "AT S1E0W" 1,0,7,8,3 I fgi(ATS1E0W) [At W];
    "AT S1E1RP" 1,0,7,9,0 I fgi(ATS1E1RP) [At W];
    "AT S1E1WP" 1,0,7,9,1 I fgi(ATS1E1WP) [At W];
    "AT S1E1A" 1,0,7,9,2 I fgi(ATS1E1A) [At W];
    "CFP RCTX" 1,3,7,3,4 I fgi(CFPRCTX) [Nv W];
    "DVP RCTX" 1,3,7,3,5 I fgi(DVPRCTX) [Nv W];
    "COSP RCTX" 1,3,7,3,6 I fgi(COSPRCTX) [Nv W];
    "CPP RCTX" 1,3,7,3,7 I fgi(CPPRCTX) [Nv W];
    "BRB IALL" 1,1,7,2,4 I fgi(nBRBIALL) [];
    "BRB INJ" 1,1,7,2,5 I fgi(nBRBINJ) [];
    "GCSPUSHM" 1,3,7,7,0 I fgi(nGCSPUSHM_EL1) [];
    // ---- TLB maintenance, EL1 (op0=1, op1=0, CRn=8; nXS forms at CRn=9) -------------------------------
    "TLBI VMALLE1OS" 1,0,8,1,0 I @nxs fgi(TLBIVMALLE1OS) [Ttlb W, Ttlbos W];
    "TLBI VAE1OS" 1,0,8,1,1 I @nxs fgi(TLBIVAE1OS) [Ttlb W, Ttlbos W];
    "TLBI ASIDE1OS" 1,0,8,1,2 I @nxs fgi(TLBIASIDE1OS) [Ttlb W, Ttlbos W];
    "TLBI VAAE1OS" 1,0,8,1,3 I @nxs fgi(TLBIVAAE1OS) [Ttlb W, Ttlbos W];
    "TLBI VALE1OS" 1,0,8,1,5 I @nxs fgi(TLBIVALE1OS) [Ttlb W, Ttlbos W];
    "TLBI VAALE1OS" 1,0,8,1,7 I @nxs fgi(TLBIVAALE1OS) [Ttlb W, Ttlbos W];
    "TLBI RVAE1IS" 1,0,8,2,1 I @nxs fgi(TLBIRVAE1IS) [Ttlb W, Ttlbis W];
    "TLBI RVAAE1IS" 1,0,8,2,3 I @nxs fgi(TLBIRVAAE1IS) [Ttlb W, Ttlbis W];
    "TLBI RVALE1IS" 1,0,8,2,5 I @nxs fgi(TLBIRVALE1IS) [Ttlb W, Ttlbis W];
    "TLBI RVAALE1IS" 1,0,8,2,7 I @nxs fgi(TLBIRVAALE1IS) [Ttlb W, Ttlbis W];
    "TLBI VMALLE1IS" 1,0,8,3,0 I @nxs fgi(TLBIVMALLE1IS) [Ttlb W, Ttlbis W];
    "TLBI VAE1IS" 1,0,8,3,1 I @nxs fgi(TLBIVAE1IS) [Ttlb W, Ttlbis W];
    "TLBI ASIDE1IS" 1,0,8,3,2 I @nxs fgi(TLBIASIDE1IS) [Ttlb W, Ttlbis W];
    "TLBI VAAE1IS" 1,0,8,3,3 I @nxs fgi(TLBIVAAE1IS) [Ttlb W, Ttlbis W];
    "TLBI VALE1IS" 1,0,8,3,5 I @nxs fgi(TLBIVALE1IS) [Ttlb W, Ttlbis W];
    "TLBI VAALE1IS" 1,0,8,3,7 I @nxs fgi(TLBIVAALE1IS) [Ttlb W, Ttlbis W];
    "TLBI RVAE1OS" 1,0,8,5,1 I @nxs fgi(TLBIRVAE1OS) [Ttlb W, Ttlbos W];
    "TLBI RVAAE1OS" 1,0,8,5,3 I @nxs fgi(TLBIRVAAE1OS) [Ttlb W, Ttlbos W];
    "TLBI RVALE1OS" 1,0,8,5,5 I @nxs fgi(TLBIRVALE1OS) [Ttlb W, Ttlbos W];
    "TLBI RVAALE1OS" 1,0,8,5,7 I @nxs fgi(TLBIRVAALE1OS) [Ttlb W, Ttlbos W];
    "TLBI RVAE1" 1,0,8,6,1 I @nxs fgi(TLBIRVAE1) [Ttlb W];
    "TLBI RVAAE1" 1,0,8,6,3 I @nxs fgi(TLBIRVAAE1) [Ttlb W];
    "TLBI RVALE1" 1,0,8,6,5 I @nxs fgi(TLBIRVALE1) [Ttlb W];
    "TLBI RVAALE1" 1,0,8,6,7 I @nxs fgi(TLBIRVAALE1) [Ttlb W];
    "TLBI VMALLE1" 1,0,8,7,0 I @nxs fgi(TLBIVMALLE1) [Ttlb W];
    "TLBI VAE1" 1,0,8,7,1 I @nxs fgi(TLBIVAE1) [Ttlb W];
    "TLBI ASIDE1" 1,0,8,7,2 I @nxs fgi(TLBIASIDE1) [Ttlb W];
    "TLBI VAAE1" 1,0,8,7,3 I @nxs fgi(TLBIVAAE1) [Ttlb W];
    "TLBI VALE1" 1,0,8,7,5 I @nxs fgi(TLBIVALE1) [Ttlb W];
    "TLBI VAALE1" 1,0,8,7,7 I @nxs fgi(TLBIVAALE1) [Ttlb W];
    // ---- EL2 registers (op1=4), reached from EL1 only with HCR_EL2.NV --------------------------------
    // `% mem(off)`: with NV2 (NV1=0) a load/store at VNCR_EL2 + off (Arm ARM D8.11, VNCR_EL2
    // offsets; every one checked on QEMU by fgt-diff); `% redir`: redirected to the EL1 register.
    "DBGVCR32_EL2" 2,4,0,7,0 RW none [Nv RW];
    "VPIDR_EL2" 3,4,0,0,0 RW % mem(0x88) none [Nv RW];
    "VMPIDR_EL2" 3,4,0,0,5 RW % mem(0x50) none [Nv RW];
    "SCTLR_EL2" 3,4,1,0,0 RW none [Nv RW];
    "ACTLR_EL2" 3,4,1,0,1 RW none [Nv RW];
    "SCTLR2_EL2" 3,4,1,0,3 RW none [Nv RW];
    "HCR_EL2" 3,4,1,1,0 RW % mem(0x78) none [Nv RW];
    "MDCR_EL2" 3,4,1,1,1 RW none [Nv RW];
    "CPTR_EL2" 3,4,1,1,2 RW none [Nv RW];
    "HSTR_EL2" 3,4,1,1,3 RW % mem(0x80) none [Nv RW];
    "HFGRTR_EL2" 3,4,1,1,4 RW % mem(0x1B8) none [Nv RW];
    "HFGWTR_EL2" 3,4,1,1,5 RW % mem(0x1C0) none [Nv RW];
    "HFGITR_EL2" 3,4,1,1,6 RW % mem(0x1C8) none [Nv RW];
    "HACR_EL2" 3,4,1,1,7 RW none [Nv RW];
    "ZCR_EL2" 3,4,1,2,0 RW none [Nv RW];
    "TRFCR_EL2" 3,4,1,2,1 RW none [Nv RW];
    "HCRX_EL2" 3,4,1,2,2 RW % mem(0xA0) none [Nv RW];
    "SMPRIMAP_EL2" 3,4,1,2,5 RW % mem(0x1F8) none [Nv RW];
    "SMCR_EL2" 3,4,1,2,6 RW none [Nv RW];
    "SDER32_EL2" 3,4,1,3,1 RW none [Nv RW];
    "TTBR0_EL2" 3,4,2,0,0 RW none [Nv RW];
    "TTBR1_EL2" 3,4,2,0,1 RW none [Nv RW];
    "TCR_EL2" 3,4,2,0,2 RW none [Nv RW];
    "TCR2_EL2" 3,4,2,0,3 RW none [Nv RW];
    "VTTBR_EL2" 3,4,2,1,0 RW % mem(0x20) none [Nv RW];
    "VTCR_EL2" 3,4,2,1,2 RW % mem(0x40) none [Nv RW];
    "VNCR_EL2" 3,4,2,2,0 RW % mem(0xB0) none [Nv RW];
    "GCSCR_EL2" 3,4,2,5,0 RW none [Nv RW];
    "GCSPR_EL2" 3,4,2,5,1 RW none [Nv RW];
    "VSTTBR_EL2" 3,4,2,6,0 RW none [Nv RW];
    "VSTCR_EL2" 3,4,2,6,2 RW none [Nv RW];
    "DACR32_EL2" 3,4,3,0,0 RW none [Nv RW];
    "HDFGRTR2_EL2" 3,4,3,1,0 RW % mem(0x1A0) none [Nv RW];
    "HDFGWTR2_EL2" 3,4,3,1,1 RW % mem(0x1B0) none [Nv RW];
    "HFGRTR2_EL2" 3,4,3,1,2 RW % mem(0x2C0) none [Nv RW];
    "HFGWTR2_EL2" 3,4,3,1,3 RW % mem(0x2C8) none [Nv RW];
    "HDFGRTR_EL2" 3,4,3,1,4 RW % mem(0x1D0) none [Nv RW];
    "HDFGWTR_EL2" 3,4,3,1,5 RW % mem(0x1D8) none [Nv RW];
    "HAFGRTR_EL2" 3,4,3,1,6 RW % mem(0x1E8) none [Nv RW];
    "HFGITR2_EL2" 3,4,3,1,7 RW % mem(0x310) none [Nv RW];
    "SPSR_EL2" 3,4,4,0,0 RW % redir none [Nv RW];
    "ELR_EL2" 3,4,4,0,1 RW % redir none [Nv RW];
    "SP_EL1" 3,4,4,1,0 RW % mem(0x240) none [Nv RW];
    "SPSR_irq" 3,4,4,3,0 RW none [Nv RW];
    "SPSR_abt" 3,4,4,3,1 RW none [Nv RW];
    "SPSR_und" 3,4,4,3,2 RW none [Nv RW];
    "SPSR_fiq" 3,4,4,3,3 RW none [Nv RW];
    "IFSR32_EL2" 3,4,5,0,1 RW none [Nv RW];
    "AFSR0_EL2" 3,4,5,1,0 RW none [Nv RW];
    "AFSR1_EL2" 3,4,5,1,1 RW none [Nv RW];
    "ESR_EL2" 3,4,5,2,0 RW % redir none [Nv RW];
    "VSESR_EL2" 3,4,5,2,3 RW % mem(0x508) none [Nv RW];
    "FPEXC32_EL2" 3,4,5,3,0 RW none [Nv RW];
    "TFSR_EL2" 3,4,5,6,0 RW % redir none [Nv RW];
    "FAR_EL2" 3,4,6,0,0 RW % redir none [Nv RW];
    "HPFAR_EL2" 3,4,6,0,4 RW none [Nv RW];
    "PMSCR_EL2" 3,4,9,9,0 RW none [Nv RW];
    "MAIR_EL2" 3,4,10,2,0 RW none [Nv RW];
    "PIRE0_EL2" 3,4,10,2,2 RW none [Nv RW];
    "PIR_EL2" 3,4,10,2,3 RW none [Nv RW];
    "POR_EL2" 3,4,10,2,4 RW none [Nv RW];
    "AMAIR_EL2" 3,4,10,3,0 RW none [Nv RW];
    "PFAR_EL2" 3,4,6,0,5 RW none [Nv RW];
    "S2PIR_EL2" 3,4,10,2,5 RW none [Nv RW];
    "HDBSSBR_EL2" 3,4,2,3,2 RW none [Nv RW];
    "HDBSSPROD_EL2" 3,4,2,3,3 RW none [Nv RW];
    "HACDBSBR_EL2" 3,4,2,3,4 RW none [Nv RW];
    "HACDBSCONS_EL2" 3,4,2,3,5 RW none [Nv RW];
    "AMEVCNTVOFF0<n>_EL2" 3,4,13,8,0 * 16 / 1 RW none [Nv RW];
    "AMEVCNTVOFF1<n>_EL2" 3,4,13,10,0 * 16 / 1 RW none [Nv RW];
    "MPAMHCR_EL2" 3,4,10,4,0 RW % mem(0x930) none [Nv RW];
    "MPAMVPMV_EL2" 3,4,10,4,1 RW % mem(0x938) none [Nv RW];
    "MPAM2_EL2" 3,4,10,5,0 RW none [Nv RW];
    "MPAMVPM<n>_EL2" 3,4,10,6,0 * 8 / 1 RW % mem(0x940) none [Nv RW];
    "VBAR_EL2" 3,4,12,0,0 RW none [Nv RW];
    "RVBAR_EL2" 3,4,12,0,1 RO none [Nv R];
    "RMR_EL2" 3,4,12,0,2 RW none [Nv RW];
    "VDISR_EL2" 3,4,12,1,1 RW % mem(0x500) none [Nv RW];
    "ICH_AP0R<n>_EL2" 3,4,12,8,0 * 4 / 1 RW % mem(0x480) none [Nv RW];
    "ICH_AP1R<n>_EL2" 3,4,12,9,0 * 4 / 1 RW % mem(0x4A0) none [Nv RW];
    "ICC_SRE_EL2" 3,4,12,9,5 RW none [Nv RW];
    "ICH_HCR_EL2" 3,4,12,11,0 RW % mem(0x4C0) none [Nv RW];
    "ICH_VTR_EL2" 3,4,12,11,1 RO none [Nv R];
    "ICH_MISR_EL2" 3,4,12,11,2 RO none [Nv R];
    "ICH_EISR_EL2" 3,4,12,11,3 RO none [Nv R];
    "ICH_ELRSR_EL2" 3,4,12,11,5 RO none [Nv R];
    "ICH_VMCR_EL2" 3,4,12,11,7 RW % mem(0x4C8) none [Nv RW];
    "ICH_LR<n>_EL2" 3,4,12,12,0 * 16 / 1 RW % mem(0x400) none [Nv RW];
    "CONTEXTIDR_EL2" 3,4,13,0,1 RW none [Nv RW];
    "TPIDR_EL2" 3,4,13,0,2 RW % mem(0x90) none [Nv RW];
    "SCXTNUM_EL2" 3,4,13,0,7 RW none [Nv RW];
    "CNTVOFF_EL2" 3,4,14,0,3 RW % mem(0x60) none [Nv RW];
    "CNTPOFF_EL2" 3,4,14,0,6 RW % mem(0x1A8) none [Nv RW];
    "CNTHCTL_EL2" 3,4,14,1,0 RW none [Nv RW];
    "CNTHP_TVAL_EL2" 3,4,14,2,0 RW none [Nv RW];
    "CNTHP_CTL_EL2" 3,4,14,2,1 RW none [Nv RW];
    "CNTHP_CVAL_EL2" 3,4,14,2,2 RW none [Nv RW];
    "CNTHV_TVAL_EL2" 3,4,14,3,0 RW none [Nv RW];
    "CNTHV_CTL_EL2" 3,4,14,3,1 RW none [Nv RW];
    "CNTHV_CVAL_EL2" 3,4,14,3,2 RW none [Nv RW];
    "CNTHVS_TVAL_EL2" 3,4,14,4,0 RW none [Nv RW];
    "CNTHVS_CTL_EL2" 3,4,14,4,1 RW none [Nv RW];
    "CNTHVS_CVAL_EL2" 3,4,14,4,2 RW none [Nv RW];
    "CNTHPS_TVAL_EL2" 3,4,14,5,0 RW none [Nv RW];
    "CNTHPS_CTL_EL2" 3,4,14,5,1 RW none [Nv RW];
    "CNTHPS_CVAL_EL2" 3,4,14,5,2 RW none [Nv RW];
    // ---- EL12 / EL02 aliases (op1=5), with HCR_EL2.NV -------------------------------------------------
    "SCTLR_EL12" 3,5,1,0,0 RW % mem(0x110) none [Nv RW];
    "CPACR_EL12" 3,5,1,0,2 RW % mem(0x100) none [Nv RW];
    "SCTLR2_EL12" 3,5,1,0,3 RW none [Nv RW];
    "ZCR_EL12" 3,5,1,2,0 RW % mem(0x1E0) none [Nv RW];
    "TRFCR_EL12" 3,5,1,2,1 RW % mem(0x880) none [Nv RW];
    "SMCR_EL12" 3,5,1,2,6 RW % mem(0x1F0) none [Nv RW];
    "TTBR0_EL12" 3,5,2,0,0 RW % mem(0x200) none [Nv RW];
    "TTBR1_EL12" 3,5,2,0,1 RW % mem(0x210) none [Nv RW];
    "TCR_EL12" 3,5,2,0,2 RW % mem(0x120) none [Nv RW];
    "TCR2_EL12" 3,5,2,0,3 RW % mem(0x270) none [Nv RW];
    "GCSCR_EL12" 3,5,2,5,0 RW none [Nv RW];
    "GCSPR_EL12" 3,5,2,5,1 RW none [Nv RW];
    "SPSR_EL12" 3,5,4,0,0 RW % mem(0x160) none [Nv RW];
    "ELR_EL12" 3,5,4,0,1 RW % mem(0x230) none [Nv RW];
    "AFSR0_EL12" 3,5,5,1,0 RW % mem(0x128) none [Nv RW];
    "AFSR1_EL12" 3,5,5,1,1 RW % mem(0x130) none [Nv RW];
    "ESR_EL12" 3,5,5,2,0 RW % mem(0x138) none [Nv RW];
    "TFSR_EL12" 3,5,5,6,0 RW % mem(0x190) none [Nv RW];
    "FAR_EL12" 3,5,6,0,0 RW % mem(0x220) none [Nv RW];
    "PMSCR_EL12" 3,5,9,9,0 RW % mem(0x828) none [Nv RW];
    "MAIR_EL12" 3,5,10,2,0 RW % mem(0x140) none [Nv RW];
    "PIRE0_EL12" 3,5,10,2,2 RW % mem(0x290) none [Nv RW];
    "PIR_EL12" 3,5,10,2,3 RW % mem(0x2A0) none [Nv RW];
    "POR_EL12" 3,5,10,2,4 RW % mem(0x2A8) none [Nv RW];
    "AMAIR_EL12" 3,5,10,3,0 RW % mem(0x148) none [Nv RW];
    "MPAM1_EL12" 3,5,10,5,0 RW % mem(0x900) none [Nv RW];
    "VBAR_EL12" 3,5,12,0,0 RW % mem(0x250) none [Nv RW];
    "CONTEXTIDR_EL12" 3,5,13,0,1 RW % mem(0x108) none [Nv RW];
    "SCXTNUM_EL12" 3,5,13,0,7 RW % mem(0x188) none [Nv RW];
    "CNTKCTL_EL12" 3,5,14,1,0 RW none [Nv RW];
    "CNTP_TVAL_EL02" 3,5,14,2,0 RW none [Nv RW, El1Nvpct RW];
    "CNTP_CTL_EL02" 3,5,14,2,1 RW % mem(0x180) none [Nv RW, El1Nvpct RW];
    "CNTP_CVAL_EL02" 3,5,14,2,2 RW % mem(0x178) none [Nv RW, El1Nvpct RW];
    "CNTV_TVAL_EL02" 3,5,14,3,0 RW none [Nv RW, El1Nvvct RW];
    "CNTV_CTL_EL02" 3,5,14,3,1 RW % mem(0x170) none [Nv RW, El1Nvvct RW];
    "CNTV_CVAL_EL02" 3,5,14,3,2 RW % mem(0x168) none [Nv RW, El1Nvvct RW];
    // ---- EL2 system instructions (op1=4), with HCR_EL2.NV ---------------------------------------------
    "AT S1E2R" 1,4,7,8,0 I none [Nv W];
    "AT S1E2W" 1,4,7,8,1 I none [Nv W];
    "AT S12E1R" 1,4,7,8,4 I none [Nv W];
    "AT S12E1W" 1,4,7,8,5 I none [Nv W];
    "AT S12E0R" 1,4,7,8,6 I none [Nv W];
    "AT S12E0W" 1,4,7,8,7 I none [Nv W];
    "AT S1E2A" 1,4,7,9,2 I none [Nv W];
    "TLBI IPAS2E1IS" 1,4,8,0,1 I @nxs none [Nv W];
    "TLBI RIPAS2E1IS" 1,4,8,0,2 I @nxs none [Nv W];
    "TLBI IPAS2LE1IS" 1,4,8,0,5 I @nxs none [Nv W];
    "TLBI RIPAS2LE1IS" 1,4,8,0,6 I @nxs none [Nv W];
    "TLBI ALLE2OS" 1,4,8,1,0 I @nxs none [Nv W];
    "TLBI VAE2OS" 1,4,8,1,1 I @nxs none [Nv W];
    "TLBI ALLE1OS" 1,4,8,1,4 I @nxs none [Nv W];
    "TLBI VALE2OS" 1,4,8,1,5 I @nxs none [Nv W];
    "TLBI VMALLS12E1OS" 1,4,8,1,6 I @nxs none [Nv W];
    "TLBI RVAE2IS" 1,4,8,2,1 I @nxs none [Nv W];
    "TLBI RVALE2IS" 1,4,8,2,5 I @nxs none [Nv W];
    "TLBI ALLE2IS" 1,4,8,3,0 I @nxs none [Nv W];
    "TLBI VAE2IS" 1,4,8,3,1 I @nxs none [Nv W];
    "TLBI ALLE1IS" 1,4,8,3,4 I @nxs none [Nv W];
    "TLBI VALE2IS" 1,4,8,3,5 I @nxs none [Nv W];
    "TLBI VMALLS12E1IS" 1,4,8,3,6 I @nxs none [Nv W];
    "TLBI IPAS2E1OS" 1,4,8,4,0 I @nxs none [Nv W];
    "TLBI IPAS2E1" 1,4,8,4,1 I @nxs none [Nv W];
    "TLBI RIPAS2E1" 1,4,8,4,2 I @nxs none [Nv W];
    "TLBI RIPAS2E1OS" 1,4,8,4,3 I @nxs none [Nv W];
    "TLBI IPAS2LE1OS" 1,4,8,4,4 I @nxs none [Nv W];
    "TLBI IPAS2LE1" 1,4,8,4,5 I @nxs none [Nv W];
    "TLBI RIPAS2LE1" 1,4,8,4,6 I @nxs none [Nv W];
    "TLBI RIPAS2LE1OS" 1,4,8,4,7 I @nxs none [Nv W];
    "TLBI RVAE2OS" 1,4,8,5,1 I @nxs none [Nv W];
    "TLBI RVALE2OS" 1,4,8,5,5 I @nxs none [Nv W];
    "TLBI RVAE2" 1,4,8,6,1 I @nxs none [Nv W];
    "TLBI RVALE2" 1,4,8,6,5 I @nxs none [Nv W];
    "TLBI ALLE2" 1,4,8,7,0 I @nxs none [Nv W];
    "TLBI VAE2" 1,4,8,7,1 I @nxs none [Nv W];
    "TLBI ALLE1" 1,4,8,7,4 I @nxs none [Nv W];
    "TLBI VALE2" 1,4,8,7,5 I @nxs none [Nv W];
    "TLBI VMALLS12E1" 1,4,8,7,6 I @nxs none [Nv W];
}

// ---- The compile-time index ----------------------------------------------------------

const fn page_usage() -> ([u8; 512], usize) {
    let mut l1 = [0u8; 512];
    let mut pages = 0usize;
    let mut i = 0;
    while i < TABLE.len() {
        let d = &TABLE[i];
        let mut form = 0;
        while form < 2 {
            if form == 0 || d.flags & NXS != 0 {
                let mut n = 0;
                while n < d.count {
                    let e = d.member(n).0 + if form == 1 { 1 << 7 } else { 0 };
                    let p = (e >> 7) as usize;
                    if l1[p] == 0 {
                        pages += 1;
                        assert!(pages < 256, "too many index pages");
                        l1[p] = pages as u8;
                    }
                    n += 1;
                }
            }
            form += 1;
        }
        i += 1;
    }
    (l1, pages)
}

const USAGE: ([u8; 512], usize) = page_usage();
/// Number of 128-slot pages in [`L2`].
pub const NPAGES: usize = USAGE.1;
/// First level: (op0, op1, CRn) to page number + 1 (0: no page).
pub static L1: [u8; 512] = USAGE.0;

/// Slot encoding: bits `[15:0]` row + 1, `[21:16]` member, [31] nXS form.
const fn build_l2() -> [[u32; 128]; NPAGES] {
    assert!(TABLE.len() < 0xffff, "slot format holds at most 65534 rows");
    let mut l2 = [[0u32; 128]; NPAGES];
    let l1 = USAGE.0;
    let mut i = 0;
    while i < TABLE.len() {
        let d = &TABLE[i];
        assert!(d.count >= 1 && d.count <= 64, "family size");
        assert!(
            (d.enc.0 & 127) as usize + (d.count as usize - 1) * d.step as usize <= 127,
            "family crosses a page"
        );
        let mut form = 0;
        while form < 2 {
            if form == 0 || d.flags & NXS != 0 {
                let mut n = 0;
                while n < d.count {
                    let e = d.member(n).0 + if form == 1 { 1 << 7 } else { 0 };
                    let p = l1[(e >> 7) as usize] as usize - 1;
                    let s = (e & 127) as usize;
                    assert!(l2[p][s] == 0, "duplicate encoding in the table");
                    l2[p][s] = (i as u32 + 1) | ((n as u32) << 16) | ((form as u32) << 31);
                    n += 1;
                }
            }
            form += 1;
        }
        i += 1;
    }
    l2
}

/// Second level: pages of 128 slots indexed by (CRm, op2).
pub static L2: [[u32; 128]; NPAGES] = build_l2();

/// A table hit: the row, the member in its family and whether the access
/// was the nXS form.
#[derive(Clone, Copy, Debug)]
pub struct Hit {
    /// The row.
    pub desc: &'static Desc,
    /// The member number (0 for single registers).
    pub member: u8,
    /// The nXS TLBI form (CRn + 1) of a TLBI row.
    pub nxs: bool,
}

/// Looks an encoding up in O(1): two array loads. A `const fn`, so that
/// other crates can name VNCR offsets as constants taken from this table.
#[inline]
pub const fn lookup(enc: Enc) -> Option<Hit> {
    let i = (enc.0 >> 7) as usize;
    if i >= L1.len() {
        return None;
    }
    let p = L1[i] as usize;
    if p == 0 || p > L2.len() {
        return None;
    }
    let j = (enc.0 & 127) as usize;
    if j >= L2[p - 1].len() {
        return None;
    }
    let v = L2[p - 1][j];
    if v == 0 {
        return None;
    }
    let k = (v & 0xffff) as usize;
    if k == 0 || k > TABLE.len() {
        return None;
    }
    Some(Hit {
        desc: &TABLE[k - 1],
        member: ((v >> 16) & 0x3f) as u8,
        nxs: v & 0x8000_0000 != 0,
    })
}

/// Calls `f` for every encoding the table describes.
pub fn for_each_encoding(mut f: impl FnMut(Enc, Hit)) {
    for desc in TABLE {
        for form in 0..2u16 {
            if form == 1 && desc.flags & NXS == 0 {
                continue;
            }
            for n in 0..desc.count {
                let e = Enc(desc.member(n).0 + (form << 7));
                f(
                    e,
                    Hit {
                        desc,
                        member: n,
                        nxs: form == 1,
                    },
                );
            }
        }
    }
}
