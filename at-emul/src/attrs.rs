//! Memory attributes: MAIR encodings, the stage-2 MemAttr field, and the
//! combination of stage-1 and stage-2 attributes (Arm ARM D8.5.5, D8.6;
//! pseudocode S2AttrDecode, CombineS1S2Desc). Attributes are carried in the
//! 8-bit MAIR_ELx encoding, which is also PAR_EL1.ATTR.

use crate::s2::hcr;

/// Shareability: Non-shareable.
pub const SH_NON: u8 = 0b00;
/// Shareability: Outer Shareable.
pub const SH_OUTER: u8 = 0b10;
/// Shareability: Inner Shareable.
pub const SH_INNER: u8 = 0b11;

/// Whether a MAIR attribute byte is a Device type (`Attr[7:4]` == 0).
#[must_use]
pub const fn mair_is_device(attr: u8) -> bool {
    attr & 0xf0 == 0
}

/// Whether a stage-2 `MemAttr[3:0]` is Device: `MemAttr[3:2]` == 0, or with
/// HCR_EL2.FWB `MemAttr[2]` == 0 (Arm ARM D8.6.5).
#[must_use]
pub const fn s2_is_device(hcr_el2: u64, memattr: u8) -> bool {
    if hcr_el2 & hcr::FWB != 0 {
        memattr & 0x4 == 0
    } else {
        memattr & 0xc == 0
    }
}

/// Stage-2 MemAttr (FWB=0) to the MAIR encoding, with read/write-allocate
/// hints for cacheable types and HCR_EL2.CD forcing Non-cacheable (Arm ARM
/// D8.6.5; allocation hints as in pseudocode S2ConvertAttrsHints).
#[must_use]
pub const fn s2_to_mair(hcr_el2: u64, memattr: u8) -> u8 {
    let mut hi = (memattr >> 2) & 3;
    let mut lo = memattr & 3;
    let (mut hihint, mut lohint) = (0, 0);
    if hi != 0 {
        if hcr_el2 & hcr::CD != 0 {
            hi = 1;
            lo = 1;
        } else {
            if hi != 1 {
                hihint = 3;
            }
            if lo != 1 {
                lohint = 3;
            }
        }
    }
    (hi << 6) | (hihint << 4) | (lo << 2) | lohint
}

/// Combines one cacheability nibble (inner or outer, MAIR format) of
/// stage 1 and stage 2: Non-cacheable wins, then Write-Through, then
/// Write-Back; hints come from stage 1 (Arm ARM D8.6.6, table "Combining
/// the stage 1 and stage 2 cacheability attributes"). A nibble other than
/// Non-cacheable (0b0100) is Write-Back when bit 2 is set (0b01RW
/// transient, 0b11RW) and Write-Through when it is clear (0b00RW
/// transient, 0b10RW); stage 2's Write-Through is 0b10RW
/// ([`s2_to_mair`]). So only stage-1 Write-Back over stage-2
/// Write-Through changes stage 1's nibble: to Write-Through (0b10RW) with
/// stage 1's hints. A transient Write-Back becomes non-transient, as in
/// QEMU (`combine_cacheattr_nibble`), which at-diff compares against; the
/// pseudocode (CombineS1S2AttrHints) keeps stage 1's transient hint.
const fn combine_nibble(s1: u8, s2: u8) -> u8 {
    if s1 == 4 || s2 == 4 {
        4
    } else if s1 & 0b0100 != 0 && (s2 >> 2) & 3 == 2 {
        (s1 | 0b1000) & !0b0100
    } else {
        s1
    }
}

/// Combination with HCR_EL2.FWB == 0.
const fn combine_nofwb(hcr_el2: u64, s1: u8, s2memattr: u8) -> u8 {
    let s2 = s2_to_mair(hcr_el2, s2memattr);
    let (s1lo, s2lo, s1hi, s2hi) = (s1 & 0xf, s2 & 0xf, s1 >> 4, s2 >> 4);
    if s1hi == 0 || s2hi == 0 {
        // Device wins; the most restrictive Device type wins.
        if s1lo == 0 || s2lo == 0 {
            0x00
        } else if s1lo == 4 || s2lo == 4 {
            0x04
        } else if s1lo == 8 || s2lo == 8 {
            0x08
        } else {
            0x0c
        }
    } else {
        (combine_nibble(s1hi, s2hi) << 4) | combine_nibble(s1lo, s2lo)
    }
}

const fn force_wb_nibble(a: u8) -> u8 {
    if a == 0 || a == 4 {
        0xf
    } else {
        a | 4
    }
}

/// Combination with HCR_EL2.FWB == 1 (Arm ARM D8.6.5, FEAT_S2FWB table).
/// Reserved MemAttr values give Device-nGnRnE, QEMU's choice for these
/// CONSTRAINED UNPREDICTABLE encodings.
const fn combine_fwb(s1: u8, s2memattr: u8) -> u8 {
    match s2memattr & 0xf {
        7 => s1,
        6 => {
            if mair_is_device(s1) {
                0xff
            } else {
                force_wb_nibble(s1 & 0xf) | (force_wb_nibble(s1 >> 4) << 4)
            }
        }
        5 => {
            if mair_is_device(s1) {
                s1
            } else {
                0x44
            }
        }
        m @ 0..=3 => m << 2,
        _ => 0,
    }
}

/// The combined attributes and shareability of a two-stage translation
/// (Arm ARM D8.6.6 and D8.6.7). `s1` is a MAIR byte, `s2memattr` the
/// stage-2 MemAttr field. Device and Normal Non-cacheable results are Outer
/// Shareable. The MTE Tagged encoding 0xF0 is kept through a Write-Back
/// result (QEMU `combine_cacheattrs`).
#[must_use]
pub const fn combine(hcr_el2: u64, s1: u8, s1_sh: u8, s2memattr: u8, s2_sh: u8) -> (u8, u8) {
    let tagged = s1 == 0xf0;
    let s1 = if tagged { 0xff } else { s1 };
    let mut sh = if s1_sh == SH_OUTER || s2_sh == SH_OUTER {
        SH_OUTER
    } else if s1_sh == SH_INNER || s2_sh == SH_INNER {
        SH_INNER
    } else {
        SH_NON
    };
    let mut attr = if hcr_el2 & hcr::FWB != 0 {
        combine_fwb(s1, s2memattr)
    } else {
        combine_nofwb(hcr_el2, s1, s2memattr)
    };
    if mair_is_device(attr) || attr == 0x44 {
        sh = SH_OUTER;
    }
    if tagged && attr == 0xff {
        attr = 0xf0;
    }
    (attr, sh)
}

/// PAR_EL1.SH: Outer Shareable for Device and Normal Non-cacheable, else the
/// translation's shareability (pseudocode PAREncodeShareability).
#[must_use]
pub const fn par_shareability(attr: u8, sh: u8) -> u8 {
    if mair_is_device(attr) || attr == 0x44 || attr == 0x40 {
        SH_OUTER
    } else {
        sh
    }
}
