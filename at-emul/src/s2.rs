//! Stage-2 translation: VTTBR_EL2 / VTCR_EL2 (Arm ARM D8.2, D8.3, D8.4.2,
//! D8.5; pseudocode AArch64.S2Walk, AArch64.S2CheckPermissions).

use crate::features::{pa_bits, Features};
use crate::walk::{self, desc, shr, Params};
use crate::{Access, DescReader, DescUpdate, Fault, FaultKind, Granule, Ipa, Pa, Perms};

/// VTCR_EL2 fields: the project's one definition, in `arch`.
pub use arch::regs::vtcr;

/// HCR_EL2 bits: the project's one definition, in `arch`.
pub use arch::regs::hcr;

/// The stage-2 configuration of a VM: what the walker needs from VTCR_EL2,
/// VTTBR_EL2, HCR_EL2 and SCTLR_EL2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct S2Config {
    /// VTCR_EL2.
    pub vtcr: u64,
    /// VTTBR_EL2 (VMID bits are ignored).
    pub vttbr: u64,
    /// HCR_EL2 (effective value; FWB, CD and PTW matter here).
    pub hcr: u64,
    /// SCTLR_EL2.EE: stage-2 tables are big-endian.
    pub big_endian: bool,
    /// The PE's features.
    pub features: Features,
}

/// A successful stage-2 translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct S2Translation {
    /// The output physical address.
    pub pa: Pa,
    /// log2 of the size of the block or page that mapped the IPA.
    pub block_bits: u32,
    /// The level of the leaf descriptor.
    pub level: i8,
    /// Permissions of the mapping (after a dirty-state update, if any).
    pub perms: Perms,
    /// `MemAttr[3:0]` (descriptor bits `[5:2]`); with HCR_EL2.FWB the
    /// FWB encoding, see [`crate::attrs`].
    pub memattr: u8,
    /// Shareability (descriptor `SH[1:0]`, or VTCR_EL2.SH0 when DS=1).
    pub sh: u8,
    /// The descriptor's Contiguous hint. The walk result is the same for a
    /// correctly programmed contiguous range (Arm ARM D8.6.1); the caller may
    /// use it to map a larger range.
    pub contiguous: bool,
    /// The leaf descriptor as used (after any FEAT_HAFDBS update).
    pub desc: u64,
    /// The descriptor write the hardware would perform (AF or dirty).
    pub update: Option<DescUpdate>,
}

/// The TxSZ bounds of a regime (Arm ARM D8.1.9 / R_DTLMN): min 16 (12 with
/// 52-bit VAs), max 39 (48, 47 for 64KB, with FEAT_TTST).
pub(crate) const fn tsz_bounds(gran: Granule, ds: bool, f: &Features) -> (u32, u32) {
    let max = if f.st {
        if matches!(gran, Granule::K64) {
            47
        } else {
            48
        }
    } else {
        39
    };
    let min = if (matches!(gran, Granule::K64) && f.lva) || ds {
        12
    } else {
        16
    };
    (min, max)
}

/// The effective output size: PS bounded by PARange, and 48 bits at most
/// unless DS=1 or the 64KB granule (Arm ARM D8.2.8, R_PBXTT).
pub(crate) fn output_size(ps: u64, gran: Granule, ds: bool, f: &Features) -> u32 {
    let ps = (ps & 7).min(u64::from(f.pa_range)) as u8;
    let bits = pa_bits(ps);
    if !ds && !matches!(gran, Granule::K64) {
        bits.min(48)
    } else {
        bits
    }
}

/// The stage-2 start level from SL0 (and SL2), or `None` if the combination
/// is invalid or inconsistent with T0SZ (Arm ARM D8.2.5, pseudocode
/// AArch64.S2InvalidSL / AArch64.S2InconsistentSL). Concatenation of up to
/// 16 tables at the start level is allowed.
fn s2_start_level(vtcr: u64, gran: Granule, ds: bool, iasize: u32, f: &Features) -> Option<i8> {
    let sl0 = (vtcr >> vtcr::SL0_SHIFT) & 3;
    let pamax = f.pamax();
    let start: i8 = match gran {
        Granule::K4 => {
            if ds && vtcr & vtcr::SL2 != 0 {
                if sl0 != 0 {
                    return None;
                }
                -1
            } else {
                match sl0 {
                    2 if pamax < 44 => return None,
                    3 if !f.st => return None,
                    3 => 3,
                    _ => 2 - sl0 as i8,
                }
            }
        }
        Granule::K16 => match sl0 {
            2 if pamax < 42 => return None,
            3 if !ds => return None,
            _ => 3 - sl0 as i8,
        },
        Granule::K64 => match sl0 {
            2 if pamax < 44 => return None,
            3 => return None,
            _ => 3 - sl0 as i8,
        },
    };
    let stride = gran.stride();
    let levels = (3 - start) as u32;
    let min = levels * stride + gran.bits() + 1;
    let max = min + (stride - 1) + 4;
    (iasize >= min && iasize <= max).then_some(start)
}

/// Stage-2 permissions from S2AP and `XN[1:0]` (Arm ARM D8.4.2; `XN[1:0]` with
/// FEAT_XNX, else only `XN[1]`).
fn s2_perms(d: u64, f: &Features) -> Perms {
    let s2ap = (d >> 6) & 3;
    let xn = (d >> 53) & 3;
    let (x0, x1) = if f.xnx {
        (xn == 0 || xn == 1, xn == 0 || xn == 3)
    } else {
        (xn & 2 == 0, xn & 2 == 0)
    };
    Perms {
        read: s2ap & 1 != 0,
        write: s2ap & 2 != 0,
        exec_el0: x0,
        exec_priv: x1,
    }
}

impl S2Config {
    /// Builds the configuration from the registers.
    #[must_use]
    pub const fn new(vtcr: u64, vttbr: u64, hcr: u64, sctlr_el2: u64, features: Features) -> Self {
        S2Config {
            vtcr,
            vttbr,
            hcr,
            big_endian: sctlr_el2 & (1 << 25) != 0,
            features,
        }
    }

    /// Whether stage 2 is enabled (HCR_EL2.VM, or HCR_EL2.DC which makes VM
    /// behave as 1).
    #[must_use]
    pub const fn enabled(&self) -> bool {
        self.hcr & hcr::VM != 0 || self.hcr & hcr::DC != 0
    }

    fn params(&self, ipa: u64) -> Result<Params, Fault> {
        let fault = |kind| Fault {
            kind,
            level: 0,
            stage2: true,
            s1ptw: false,
            ipa: Some(Ipa(ipa)),
        };
        let f = &self.features;
        let v = self.vtcr;
        let gran = Granule::from_tg0(v >> vtcr::TG0_SHIFT);
        let ds = v & vtcr::DS != 0
            && match gran {
                Granule::K4 => f.lpa2_s2_4k,
                Granule::K16 => f.lpa2_s2_16k,
                Granule::K64 => false,
            };
        let tsz = ((v >> vtcr::T0SZ_SHIFT) & 0x3f) as u32;
        let (min, max) = tsz_bounds(gran, ds, f);
        // Out-of-range T0SZ: IMPLEMENTATION DEFINED clamp or level-0
        // Translation fault; QEMU (and FEAT_LVA) fault (Arm ARM R_JZDDJ).
        if tsz < min || tsz > max {
            return Err(fault(FaultKind::Translation));
        }
        let inputsize = 64 - tsz;
        let outputsize = output_size(v >> vtcr::PS_SHIFT, gran, ds, f);
        // IPA bits above the input size: Translation fault, level 0.
        if shr(ipa, inputsize) != 0 {
            return Err(fault(FaultKind::Translation));
        }
        let start_level =
            s2_start_level(v, gran, ds, inputsize, f).ok_or(fault(FaultKind::Translation))?;
        let ha = v & vtcr::HA != 0 && f.hafdbs >= 1;
        Ok(Params {
            stage2: true,
            gran,
            inputsize,
            start_level,
            outputsize,
            ds,
            ha,
            hd: ha && v & vtcr::HD != 0 && f.hafdbs >= 2,
            ttb: self.vttbr,
            big_endian: self.big_endian,
            pamax: f.pamax(),
        })
    }
}

/// Translates `ipa` through stage 2 for `access` made by a privileged
/// stage 1 (see [`walk_el0`] for EL0 instruction fetches).
///
/// # Errors
/// The stage-2 [`Fault`] (with `stage2` set and the IPA for HPFAR_EL2).
pub fn walk<M: DescReader + ?Sized>(
    cfg: &S2Config,
    ipa: Ipa,
    mem: &mut M,
    access: Access,
) -> Result<S2Translation, Fault> {
    walk_el0(cfg, ipa, mem, access, false)
}

/// Like [`walk`], `s1_el0` telling whether the stage-1 access was made at
/// EL0 (which selects the `XN[1:0]` meaning for instruction fetches).
///
/// # Errors
/// The stage-2 [`Fault`].
pub fn walk_el0<M: DescReader + ?Sized>(
    cfg: &S2Config,
    ipa: Ipa,
    mem: &mut M,
    access: Access,
    s1_el0: bool,
) -> Result<S2Translation, Fault> {
    let p = cfg.params(ipa.0)?;
    let leaf = walk::walk(&p, ipa.0, access, mem, &mut |_, a| Ok(a))?;
    let perms = s2_perms(leaf.desc, &cfg.features);
    if !perms.allows(access, s1_el0) {
        return Err(Fault {
            kind: FaultKind::Permission,
            level: leaf.level,
            stage2: true,
            s1ptw: false,
            ipa: Some(ipa),
        });
    }
    let sh = if p.ds {
        ((cfg.vtcr >> vtcr::SH0_SHIFT) & 3) as u8
    } else {
        ((leaf.desc >> 8) & 3) as u8
    };
    Ok(S2Translation {
        pa: Pa(leaf.oa),
        block_bits: leaf.block_bits,
        level: leaf.level,
        perms,
        memattr: ((leaf.desc >> 2) & 0xf) as u8,
        sh,
        contiguous: leaf.desc & desc::CONTIG != 0,
        desc: leaf.desc,
        update: leaf.update,
    })
}

/// Translates the address of a stage-1 table descriptor through stage 2
/// (the S1PTW case, Arm ARM D8.3.3): a fault is reported as a stage-2 fault
/// on the walk, and with HCR_EL2.PTW a table in stage-2 Device memory is a
/// stage-2 Permission fault (at the level of the stage-2 leaf).
///
/// # Errors
/// The stage-2 [`Fault`], with `s1ptw` set.
pub fn translate_table<M: DescReader + ?Sized>(
    cfg: &S2Config,
    ipa: u64,
    mem: &mut M,
    write: bool,
) -> Result<u64, Fault> {
    let ptw = |kind, level| Fault {
        kind,
        level,
        stage2: true,
        s1ptw: true,
        ipa: Some(Ipa(ipa)),
    };
    if !cfg.enabled() {
        return Ok(ipa);
    }
    let access = if write { Access::Write } else { Access::Read };
    match walk(cfg, Ipa(ipa), mem, access) {
        Ok(t) => {
            if !write && cfg.hcr & hcr::PTW != 0 && crate::attrs::s2_is_device(cfg.hcr, t.memattr) {
                return Err(ptw(FaultKind::Permission, t.level));
            }
            Ok(t.pa.0)
        }
        Err(f) => Err(ptw(f.kind, f.level)),
    }
}
