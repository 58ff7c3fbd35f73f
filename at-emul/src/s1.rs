//! Stage-1 translation for the EL1&0, EL2 and EL2&0 regimes (Arm ARM D8.2,
//! D8.3, D8.4.1, D8.5; pseudocode AArch64.S1Walk, AArch64.S1CheckPermissions,
//! AArch64.S1DisabledOutput).

use crate::features::Features;
use crate::s2::{self, hcr, output_size, tsz_bounds, S2Config};
use crate::walk::{self, desc, mask, shr, Params};
use crate::{Access, DescReader, DescUpdate, Fault, FaultKind, Granule, Pa, Perms, Va};

/// A stage-1 translation regime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Regime {
    /// EL1&0: SCTLR_EL1, TCR_EL1, TTBR0/1_EL1, MAIR_EL1; two VA ranges.
    El10,
    /// EL2 (HCR_EL2.E2H == 0): SCTLR_EL2, TCR_EL2, TTBR0_EL2, MAIR_EL2; one
    /// VA range.
    El2,
    /// EL2&0 (HCR_EL2.E2H == 1): the EL2 registers, TCR_EL2 in the EL1
    /// layout, TTBR0/1_EL2; two VA ranges.
    El20,
}

impl Regime {
    const fn two_ranges(self) -> bool {
        !matches!(self, Regime::El2)
    }
}

/// TCR_ELx fields (Arm ARM D24.2, TCR_EL1 and TCR_EL2).
pub mod tcr {
    /// EPD0 (two-range layout).
    pub const EPD0: u64 = 1 << 7;
    /// EPD1.
    pub const EPD1: u64 = 1 << 23;
    /// TBI0 (two-range layout).
    pub const TBI0: u64 = 1 << 37;
    /// HA (two-range layout).
    pub const HA: u64 = 1 << 39;
    /// HD (two-range layout).
    pub const HD: u64 = 1 << 40;
    /// HPD0 (two-range layout).
    pub const HPD0: u64 = 1 << 41;
    /// HPD1.
    pub const HPD1: u64 = 1 << 42;
    /// E0PD0.
    pub const E0PD0: u64 = 1 << 55;
    /// E0PD1.
    pub const E0PD1: u64 = 1 << 56;
    /// DS (two-range layout).
    pub const DS: u64 = 1 << 59;
    /// TBI in TCR_EL2 (E2H == 0).
    pub const EL2_TBI: u64 = 1 << 20;
    /// HA in TCR_EL2 (E2H == 0).
    pub const EL2_HA: u64 = 1 << 21;
    /// HD in TCR_EL2 (E2H == 0).
    pub const EL2_HD: u64 = 1 << 22;
    /// HPD in TCR_EL2 (E2H == 0).
    pub const EL2_HPD: u64 = 1 << 24;
    /// DS in TCR_EL2 (E2H == 0).
    pub const EL2_DS: u64 = 1 << 32;
}

/// SCTLR_ELx bits used here (Arm ARM D24.2, SCTLR_EL1).
pub mod sctlr {
    /// MMU enable.
    pub const M: u64 = 1 << 0;
    /// Write implies XN.
    pub const WXN: u64 = 1 << 19;
    /// Translation table endianness.
    pub const EE: u64 = 1 << 25;
    /// Enhanced PAN (FEAT_PAN3).
    pub const EPAN: u64 = 1 << 57;
}

/// The inputs of a stage-1 walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct S1Config {
    /// The regime.
    pub regime: Regime,
    /// SCTLR of the regime.
    pub sctlr: u64,
    /// TCR of the regime.
    pub tcr: u64,
    /// TTBR0 of the regime.
    pub ttbr0: u64,
    /// TTBR1 of the regime (ignored for [`Regime::El2`]).
    pub ttbr1: u64,
    /// MAIR of the regime.
    pub mair: u64,
    /// Effective HCR_EL2 (DC, DCT, NV, NV1 matter for EL1&0).
    pub hcr: u64,
    /// The access is unprivileged (EL0).
    pub el0: bool,
    /// PSTATE.PAN applies to this privileged access.
    pub pan: bool,
    /// The PE's features.
    pub features: Features,
}

/// A successful stage-1 translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct S1Translation {
    /// The output address (an IPA for EL1&0 with stage 2 on, else a PA).
    pub oa: u64,
    /// log2 of the block or page size (12 when the MMU is off).
    pub block_bits: u32,
    /// The leaf level (None when the MMU is off).
    pub level: Option<i8>,
    /// Permissions for the accessing level.
    pub perms: Perms,
    /// Memory attributes, MAIR encoding.
    pub attr: u8,
    /// Shareability.
    pub sh: u8,
    /// Not global (nG).
    pub ng: bool,
    /// Contiguous hint of the leaf.
    pub contiguous: bool,
    /// The descriptor write the hardware would perform (AF or dirty), at a
    /// physical address.
    pub update: Option<DescUpdate>,
}

/// Stage-1 data permissions from `AP[2:1]` (Arm ARM D8.4.1.2, table
/// "Data access permissions"): returns (read, write).
const fn ap_rw(ap: u64, el0: bool) -> (bool, bool) {
    match ap & 3 {
        0 => (!el0, !el0),
        1 => (true, true),
        2 => (!el0, false),
        _ => (true, false),
    }
}

impl S1Config {
    /// Whether the stage-1 MMU is on: SCTLR.M, and for EL1&0 neither
    /// HCR_EL2.DC nor HCR_EL2.TGE (pseudocode AArch64.S1Enabled: the EL1&0
    /// stage 1 needs HCR_EL2.{DC,TGE} == {0,0}; with {E2H,TGE} = {1,1} the
    /// EL1 operations use the EL2&0 regime instead and never get here).
    #[must_use]
    pub const fn enabled(&self) -> bool {
        if self.sctlr & sctlr::M == 0 {
            return false;
        }
        !(matches!(self.regime, Regime::El10)
            && (self.hcr & hcr::DC != 0 || self.hcr & hcr::TGE != 0))
    }

    /// TBI for data accesses, by VA bit 55 in two-range regimes.
    const fn tbi(&self, va: u64) -> bool {
        if self.regime.two_ranges() {
            let sel = (va >> 55) & 1;
            self.tcr & (tcr::TBI0 << sel) != 0
        } else {
            self.tcr & tcr::EL2_TBI != 0
        }
    }

    /// The MMU-off translation (Arm ARM D8.2.11, AArch64.S1DisabledOutput):
    /// a VA with bits above PAMax set (below the tag byte with TBI) is an
    /// Address size fault at level 0; memory is Device-nGnRnE, Outer
    /// Shareable, or with HCR_EL2.DC Normal WB Non-shareable.
    fn disabled(&self, va: u64) -> Result<S1Translation, Fault> {
        let top = if self.tbi(va) { 55 } else { 63 };
        let pamax = self.features.pamax();
        if shr(va, pamax) & mask(top + 1 - pamax) != 0 {
            return Err(s1_fault(FaultKind::AddressSize, 0));
        }
        let (attr, sh) = if matches!(self.regime, Regime::El10) && self.hcr & hcr::DC != 0 {
            (if self.hcr & hcr::DCT != 0 { 0xf0 } else { 0xff }, 0)
        } else {
            (0x00, crate::attrs::SH_OUTER)
        };
        Ok(S1Translation {
            oa: va & mask(52),
            block_bits: 12,
            level: None,
            perms: Perms {
                read: true,
                write: true,
                exec_el0: true,
                exec_priv: true,
            },
            attr,
            sh,
            ng: false,
            contiguous: false,
            update: None,
        })
    }

    /// Decodes the walk parameters for `va` (Arm ARM D8.2: TxSZ, TGx, TBI,
    /// EPDx/E0PDx, {I}PS, DS, HA/HD); returns them with the region's SH and
    /// HPD.
    fn params(&self, va: u64) -> Result<(Params, u8, bool), Fault> {
        let f = &self.features;
        let t = self.tcr;
        let tfault = Err(s1_fault(FaultKind::Translation, 0));
        let (select, tsz, gran, mut epd, sh, hpd, ps, ha, hd, ds_bit);
        if self.regime.two_ranges() {
            select = (va >> 55) & 1;
            let e0pd;
            if select == 0 {
                tsz = (t & 0x3f) as u32;
                gran = Granule::from_tg0(t >> 14);
                epd = t & tcr::EPD0 != 0;
                sh = ((t >> 12) & 3) as u8;
                hpd = t & tcr::HPD0 != 0;
                e0pd = t & tcr::E0PD0 != 0;
            } else {
                tsz = ((t >> 16) & 0x3f) as u32;
                gran = Granule::from_tg1(t >> 30);
                epd = t & tcr::EPD1 != 0;
                sh = ((t >> 28) & 3) as u8;
                hpd = t & tcr::HPD1 != 0;
                e0pd = t & tcr::E0PD1 != 0;
            }
            if e0pd && f.e0pd && self.el0 {
                epd = true;
            }
            ps = (t >> 32) & 7;
            ha = t & tcr::HA != 0;
            hd = t & tcr::HD != 0;
            ds_bit = t & tcr::DS != 0;
        } else {
            select = 0;
            tsz = (t & 0x3f) as u32;
            gran = Granule::from_tg0(t >> 14);
            epd = false;
            sh = ((t >> 12) & 3) as u8;
            hpd = t & tcr::EL2_HPD != 0;
            ps = (t >> 16) & 7;
            ha = t & tcr::EL2_HA != 0;
            hd = t & tcr::EL2_HD != 0;
            ds_bit = t & tcr::EL2_DS != 0;
        }
        let ds = ds_bit
            && match gran {
                Granule::K4 => f.lpa2_s1_4k,
                Granule::K16 => f.lpa2_s1_16k,
                Granule::K64 => false,
            };
        let (min, max) = tsz_bounds(gran, ds, f);
        if tsz < min || tsz > max {
            return tfault;
        }
        let inputsize = 64 - tsz;
        let addrsize = if self.tbi(va) { 56 } else { 64 };
        // VA bits between the input size and the tag must all equal the
        // range select bit (Arm ARM D8.2.2): else Translation fault, level 0.
        if inputsize < addrsize {
            let top = shr(va, inputsize) & mask(addrsize - inputsize);
            let want = if select == 1 {
                mask(addrsize - inputsize)
            } else {
                0
            };
            if top != want {
                return tfault;
            }
        }
        if epd {
            return tfault;
        }
        let stride = gran.stride();
        let start_level = 4 - ((inputsize - 4) / stride) as i8;
        let ha = ha && f.hafdbs >= 1;
        let p = Params {
            stage2: false,
            gran,
            inputsize,
            start_level,
            outputsize: output_size(ps, gran, ds, f),
            ds,
            ha,
            hd: ha && hd && f.hafdbs >= 2,
            ttb: if select == 1 { self.ttbr1 } else { self.ttbr0 },
            big_endian: self.sctlr & sctlr::EE != 0,
            pamax: f.pamax(),
        };
        Ok((p, sh, hpd))
    }
}

const fn s1_fault(kind: FaultKind, level: i8) -> Fault {
    Fault {
        kind,
        level,
        stage2: false,
        s1ptw: false,
        ipa: None,
    }
}

/// Translates `va` through stage 1 of `cfg`'s regime for `access`. With
/// `s2` (EL1&0 only, when stage 2 is enabled) every table address is an IPA
/// translated by stage 2; its faults come back with `s1ptw` set. A required
/// hardware update of the leaf (HA/HD) also needs stage-2 write permission
/// on the descriptor (Arm ARM D8.5.3).
///
/// # Errors
/// The stage-1 [`Fault`], or a stage-2 fault on the walk.
pub fn walk<M: DescReader + ?Sized>(
    cfg: &S1Config,
    va: Va,
    mem: &mut M,
    access: Access,
    s2: Option<&S2Config>,
) -> Result<S1Translation, Fault> {
    let va = va.0;
    if !cfg.enabled() {
        return cfg.disabled(va);
    }
    let (p, tcr_sh, hpd) = cfg.params(va)?;
    let leaf = match s2 {
        Some(s2c) => walk::walk(&p, va, access, mem, &mut |m: &mut M, a| {
            s2::translate_table(s2c, a, m, false)
        })?,
        None => walk::walk(&p, va, access, mem, &mut |_, a| Ok(a))?,
    };

    // Hierarchical controls from table descriptors unless HPD (Arm ARM
    // D8.4.1.3): PXNTable, XNTable/UXNTable, APTable[0] (no EL0 access),
    // APTable[1] (read-only).
    let mut d = leaf.desc;
    if !hpd {
        let ta = u64::from(leaf.tableattrs);
        d |= (ta & 3) << 53;
        if ta & 4 != 0 {
            d &= !(1 << 6);
        }
        if ta & 8 != 0 {
            d |= desc::AP2;
        }
    }
    let mut ap = (d >> 6) & 3;
    let mut uxn = d & (1 << 54) != 0;
    let mut pxn = d & (1 << 53) != 0;
    // FEAT_NV with HCR_EL2.{NV,NV1} = {1,1}: EL1&0 descriptors have PXN in
    // bit 54, UXN is 0 and AP[1] is treated as 0 (Arm ARM D8.4.1.4).
    if matches!(cfg.regime, Regime::El10) && cfg.hcr & hcr::NV != 0 && cfg.hcr & hcr::NV1 != 0 {
        pxn = uxn;
        uxn = false;
        ap &= !1;
    }
    let (ur, uw) = ap_rw(ap, true);
    let (mut pr, mut pw) = ap_rw(ap, false);
    let two = cfg.regime.two_ranges();
    if two && !cfg.el0 && cfg.pan {
        // PAN: no privileged data access to EL0-accessible data; with
        // SCTLR.EPAN also to EL0-executable memory (Arm ARM D8.4.1.2.2).
        if ur || uw || (cfg.features.pan3 && cfg.sctlr & sctlr::EPAN != 0 && !uxn) {
            pr = false;
            pw = false;
        }
    }
    let wxn = cfg.sctlr & sctlr::WXN != 0;
    let (read, write) = if cfg.el0 { (ur, uw) } else { (pr, pw) };
    let perms = Perms {
        read,
        write,
        exec_el0: two && !uxn && !(wxn && uw),
        exec_priv: if two {
            !(pxn || uw || (wxn && pw))
        } else {
            !(uxn || (wxn && pw))
        },
    };
    if !perms.allows(access, cfg.el0) {
        return Err(s1_fault(FaultKind::Permission, leaf.level));
    }
    let mut update = leaf.update;
    if let (Some(u), Some(s2c)) = (update.as_mut(), s2) {
        u.pa = Pa(s2::translate_table(s2c, leaf.desc_addr, mem, true)?);
    }
    let idx = (d >> 2) & 7;
    let attr = (cfg.mair >> (idx * 8)) as u8;
    let sh = if p.ds { tcr_sh } else { ((d >> 8) & 3) as u8 };
    Ok(S1Translation {
        oa: leaf.oa,
        block_bits: leaf.block_bits,
        level: Some(leaf.level),
        perms,
        attr,
        sh,
        ng: d & (1 << 11) != 0,
        contiguous: d & desc::CONTIG != 0,
        update,
    })
}
