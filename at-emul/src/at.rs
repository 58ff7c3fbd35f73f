//! The AArch64 `AT` instructions (Arm ARM C5.5, "A64 system instructions
//! for address translation"; D8.16 for PAR_EL1) as executed at EL2: which
//! regime and stages each one uses, and the PAR_EL1 value it produces.

use crate::attrs::{combine, par_shareability};
use crate::features::Features;
use crate::s1::{self, Regime, S1Config};
use crate::s2::{self, hcr, S2Config};
use crate::{Access, DescReader, DescUpdate, Fault, Va};

/// An `AT` operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtOp {
    /// Stage 1, EL0 read.
    S1E0R,
    /// Stage 1, EL0 write.
    S1E0W,
    /// Stage 1, EL1 read.
    S1E1R,
    /// Stage 1, EL1 write.
    S1E1W,
    /// Stage 1, EL1 read, PSTATE.PAN taken into account (FEAT_PAN2).
    S1E1RP,
    /// Stage 1, EL1 write, PSTATE.PAN taken into account.
    S1E1WP,
    /// Stage 1, EL2 read.
    S1E2R,
    /// Stage 1, EL2 write.
    S1E2W,
    /// Stages 1 and 2, EL0 read.
    S12E0R,
    /// Stages 1 and 2, EL0 write.
    S12E0W,
    /// Stages 1 and 2, EL1 read.
    S12E1R,
    /// Stages 1 and 2, EL1 write.
    S12E1W,
}

impl AtOp {
    /// Every operation, for tests and tables.
    pub const ALL: [AtOp; 12] = [
        AtOp::S1E0R,
        AtOp::S1E0W,
        AtOp::S1E1R,
        AtOp::S1E1W,
        AtOp::S1E1RP,
        AtOp::S1E1WP,
        AtOp::S1E2R,
        AtOp::S1E2W,
        AtOp::S12E0R,
        AtOp::S12E0W,
        AtOp::S12E1R,
        AtOp::S12E1W,
    ];

    /// The access the operation checks permissions for.
    #[must_use]
    pub const fn access(self) -> Access {
        match self {
            AtOp::S1E0W
            | AtOp::S1E1W
            | AtOp::S1E1WP
            | AtOp::S1E2W
            | AtOp::S12E0W
            | AtOp::S12E1W => Access::Write,
            _ => Access::Read,
        }
    }

    /// The assembler name, e.g. "s1e1rp".
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            AtOp::S1E0R => "s1e0r",
            AtOp::S1E0W => "s1e0w",
            AtOp::S1E1R => "s1e1r",
            AtOp::S1E1W => "s1e1w",
            AtOp::S1E1RP => "s1e1rp",
            AtOp::S1E1WP => "s1e1wp",
            AtOp::S1E2R => "s1e2r",
            AtOp::S1E2W => "s1e2w",
            AtOp::S12E0R => "s12e0r",
            AtOp::S12E0W => "s12e0w",
            AtOp::S12E1R => "s12e1r",
            AtOp::S12E1W => "s12e1w",
        }
    }
}

/// The register state an `AT` instruction depends on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegSnapshot {
    /// SCTLR_EL1.
    pub sctlr_el1: u64,
    /// TCR_EL1.
    pub tcr_el1: u64,
    /// TTBR0_EL1.
    pub ttbr0_el1: u64,
    /// TTBR1_EL1.
    pub ttbr1_el1: u64,
    /// MAIR_EL1.
    pub mair_el1: u64,
    /// SCTLR_EL2.
    pub sctlr_el2: u64,
    /// TCR_EL2.
    pub tcr_el2: u64,
    /// TTBR0_EL2.
    pub ttbr0_el2: u64,
    /// TTBR1_EL2 (used when HCR_EL2.E2H == 1).
    pub ttbr1_el2: u64,
    /// MAIR_EL2.
    pub mair_el2: u64,
    /// HCR_EL2 as written (the effective value is derived).
    pub hcr_el2: u64,
    /// VTCR_EL2.
    pub vtcr_el2: u64,
    /// VTTBR_EL2.
    pub vttbr_el2: u64,
    /// PSTATE.PAN at EL2, where the AT instruction executes.
    pub pstate_pan: bool,
    /// The PE's features.
    pub features: Features,
}

/// The effective HCR_EL2 for translation purposes: with TGE, PTW reads as 0,
/// and with TGE and E2H also VM, DC and CD (Arm ARM D24.2, HCR_EL2 field
/// descriptions, "behaves as 0 for all purposes other than a direct read").
#[must_use]
pub const fn effective_hcr(v: u64) -> u64 {
    let mut r = v;
    if r & hcr::TGE != 0 {
        r &= !hcr::PTW;
        if r & hcr::E2H != 0 {
            r &= !hcr::VM;
            r &= !hcr::DC;
            r &= !hcr::CD;
        }
    }
    r
}

/// A PAR_EL1 value (Arm ARM D24.2, PAR_EL1, 64-bit format).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Par(pub u64);

impl Par {
    /// PAR_EL1.F: the translation aborted.
    pub const F: u64 = 1 << 0;
    /// PAR_EL1.PTW (fault on a stage-1 walk access through stage 2).
    pub const PTW: u64 = 1 << 8;
    /// PAR_EL1.S (stage-2 fault); in the success format, bit 9 is NS.
    pub const S: u64 = 1 << 9;
    /// PAR_EL1.NS in the success format.
    pub const NS: u64 = 1 << 9;
    /// Bit 11, RES1 in both formats.
    pub const RES1: u64 = 1 << 11;

    /// The success encoding: `PA[51:12]`, NS (the model is Non-secure only),
    /// `SH[8:7]`, `ATTR[63:56]`.
    #[must_use]
    pub const fn success(pa: u64, attr: u8, sh: u8) -> Par {
        Par(Self::RES1
            | (pa & 0x000f_ffff_ffff_f000)
            | Self::NS
            | ((par_shareability(attr, sh) as u64) << 7)
            | ((attr as u64) << 56))
    }

    /// The abort encoding: F, `FST[6:1]`, PTW, S.
    #[must_use]
    pub const fn fault(f: &Fault) -> Par {
        let mut v = Self::RES1 | Self::F | ((f.fsc() as u64) << 1);
        if f.stage2 {
            v |= Self::S;
        }
        if f.s1ptw {
            v |= Self::PTW;
        }
        Par(v)
    }
}

/// Emulates `AT <op>, <va>` executed at EL2 in Non-secure state and returns
/// the PAR_EL1 it produces.
///
/// Regime selection (Arm ARM C5.5): with HCR_EL2.{E2H,TGE} = {1,1} the
/// EL1/EL0 and S12 operations use the EL2&0 regime; S1E2* use EL2&0 when
/// E2H = 1. S1E1* on EL1&0 with stage 2 enabled still read their tables
/// through stage 2. S1E1RP/WP honour PSTATE.PAN (not when HCR_EL2.{NV,NV1}
/// = {1,1}, where PAN has no effect at EL1).
///
/// A synchronous External abort on the walk is reported in PAR_EL1 here;
/// hardware may instead take a Data Abort (Arm ARM D8.16.1).
pub fn emulate<M: DescReader + ?Sized>(op: AtOp, va: Va, r: &RegSnapshot, mem: &mut M) -> Par {
    emulate_detailed(op, va, r, mem).par
}

/// The full outcome of an `AT`: PAR_EL1 and the descriptor writes a
/// FEAT_HAFDBS implementation performs on the way (the stage-1 leaf, then
/// the stage-2 leaf of the final IPA). Updates of stage-2 descriptors used
/// only to translate stage-1 table addresses are not listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AtResult {
    /// PAR_EL1.
    pub par: Par,
    /// Hardware descriptor updates, in the order they happen.
    pub updates: [Option<DescUpdate>; 2],
    /// log2 of the stage-1 block/page size, when stage 1 walked to a leaf.
    pub s1_block_bits: Option<u32>,
    /// log2 of the stage-2 block/page size, when stage 2 mapped the output.
    pub s2_block_bits: Option<u32>,
}

/// Like [`emulate`], also returning the descriptor updates.
pub fn emulate_detailed<M: DescReader + ?Sized>(
    op: AtOp,
    va: Va,
    r: &RegSnapshot,
    mem: &mut M,
) -> AtResult {
    let mut res = AtResult {
        par: Par(0),
        updates: [None, None],
        s1_block_bits: None,
        s2_block_bits: None,
    };
    res.par = emulate_inner(op, va, r, mem, &mut res);
    res
}

fn emulate_inner<M: DescReader + ?Sized>(
    op: AtOp,
    va: Va,
    r: &RegSnapshot,
    mem: &mut M,
    res: &mut AtResult,
) -> Par {
    let h = effective_hcr(r.hcr_el2);
    let e20 = h & hcr::E2H != 0 && h & hcr::TGE != 0;
    let nv_nv1 = h & hcr::NV != 0 && h & hcr::NV1 != 0;
    let pan_on = r.pstate_pan && !nv_nv1;
    // (regime, el0, pan, stage 1+2)
    let (regime, el0, pan, two) = match op {
        AtOp::S1E1R | AtOp::S1E1W => (
            if e20 { Regime::El20 } else { Regime::El10 },
            false,
            false,
            false,
        ),
        AtOp::S1E1RP | AtOp::S1E1WP => (
            if e20 { Regime::El20 } else { Regime::El10 },
            false,
            pan_on,
            false,
        ),
        AtOp::S1E0R | AtOp::S1E0W => (
            if e20 { Regime::El20 } else { Regime::El10 },
            true,
            false,
            false,
        ),
        AtOp::S1E2R | AtOp::S1E2W => (
            if h & hcr::E2H != 0 {
                Regime::El20
            } else {
                Regime::El2
            },
            false,
            false,
            false,
        ),
        AtOp::S12E1R | AtOp::S12E1W => (
            if e20 { Regime::El20 } else { Regime::El10 },
            false,
            false,
            !e20,
        ),
        AtOp::S12E0R | AtOp::S12E0W => (
            if e20 { Regime::El20 } else { Regime::El10 },
            true,
            false,
            !e20,
        ),
    };
    let s1 = if matches!(regime, Regime::El10) {
        S1Config {
            regime,
            sctlr: r.sctlr_el1,
            tcr: r.tcr_el1,
            ttbr0: r.ttbr0_el1,
            ttbr1: r.ttbr1_el1,
            mair: r.mair_el1,
            hcr: h,
            el0,
            pan,
            features: r.features,
        }
    } else {
        S1Config {
            regime,
            sctlr: r.sctlr_el2,
            tcr: r.tcr_el2,
            ttbr0: r.ttbr0_el2,
            ttbr1: r.ttbr1_el2,
            mair: r.mair_el2,
            hcr: h,
            el0,
            pan,
            features: r.features,
        }
    };
    let s2c = S2Config::new(r.vtcr_el2, r.vttbr_el2, h, r.sctlr_el2, r.features);
    let s2on = matches!(regime, Regime::El10) && s2c.enabled();
    let access = op.access();
    let t1 = match s1::walk(&s1, va, mem, access, if s2on { Some(&s2c) } else { None }) {
        Ok(t) => t,
        Err(f) => return Par::fault(&f),
    };
    res.updates[0] = t1.update;
    res.s1_block_bits = t1.level.map(|_| t1.block_bits);
    if !(two && s2on) {
        return Par::success(t1.oa, t1.attr, t1.sh);
    }
    let t2 = match s2::walk_el0(&s2c, crate::Ipa(t1.oa), mem, access, el0) {
        Ok(t) => t,
        Err(f) => return Par::fault(&f),
    };
    res.updates[1] = t2.update;
    res.s2_block_bits = Some(t2.block_bits);
    // HCR_EL2.DC: stage 1 is Normal WB Non-shareable (Tagged kept).
    let (a1, sh1) = if h & hcr::DC != 0 {
        (if t1.attr == 0xf0 { 0xf0 } else { 0xff }, 0)
    } else {
        (t1.attr, t1.sh)
    };
    let (attr, sh) = combine(h, a1, sh1, t2.memattr, t2.sh);
    Par::success(t2.pa.0, attr, sh)
}
