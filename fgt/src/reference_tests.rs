//! Host tests of [`crate::arch`] against AARCHMRS (the `arm-sysregs` crate):
//! the independent field list the QEMU `fgt-matrix` test sets bits from.

use crate::reference::{self as arch, Layout, Reg};
use std::collections::BTreeSet;
use std::string::{String, ToString};
use std::vec::Vec;

type Bit = (&'static str, u8, String);

/// Every single-bit field AARCHMRS lists for the register behind `key`.
fn theirs() -> BTreeSet<Bit> {
    use arm_sysregs::el2::registers::*;
    use bitflags::Flags;
    fn collect<F: Flags<Bits = u64>>(key: &'static str, out: &mut BTreeSet<Bit>) {
        for f in F::FLAGS {
            let b = f.value().bits();
            if b.count_ones() == 1 {
                out.insert((key, b.trailing_zeros() as u8, f.name().to_string()));
            }
        }
    }
    let mut v = BTreeSet::new();
    collect::<HcrEl2>("HCR_EL2", &mut v);
    collect::<HcrxEl2>("HCRX_EL2", &mut v);
    collect::<MdcrEl2>("MDCR_EL2", &mut v);
    collect::<CptrEl2>("CPTR_EL2", &mut v);
    collect::<CnthctlEl2>("CNTHCTL_EL2", &mut v);
    collect::<IchHcrEl2>("ICH_HCR_EL2", &mut v);
    collect::<HfgrtrEl2>("HFGRTR_EL2", &mut v);
    collect::<HfgwtrEl2>("HFGWTR_EL2", &mut v);
    collect::<HfgitrEl2>("HFGITR_EL2", &mut v);
    collect::<HdfgrtrEl2>("HDFGRTR_EL2", &mut v);
    collect::<HdfgwtrEl2>("HDFGWTR_EL2", &mut v);
    collect::<HafgrtrEl2>("HAFGRTR_EL2", &mut v);
    collect::<Hfgrtr2El2>("HFGRTR2_EL2", &mut v);
    collect::<Hfgwtr2El2>("HFGWTR2_EL2", &mut v);
    collect::<Hfgitr2El2>("HFGITR2_EL2", &mut v);
    collect::<Hdfgrtr2El2>("HDFGRTR2_EL2", &mut v);
    collect::<Hdfgwtr2El2>("HDFGWTR2_EL2", &mut v);
    v
}

/// The register name without the layout suffix.
fn key(l: &Layout) -> &'static str {
    l.name.split(' ').next().unwrap_or(l.name)
}

/// Fields here that AARCHMRS (as arm-sysregs carries it) has not: the
/// merged CPTR_EL2/CNTHCTL_EL2 layouts drop these, and HAFGRTR_EL2's array
/// fields are not expanded there (see the module docs of `arch`).
fn from_arm_arm_only(k: &str, bit: u8, name: &str) -> bool {
    match (k, name) {
        ("CPTR_EL2", "TTA") => bit == 20 || bit == 28,
        ("CNTHCTL_EL2", "EL1PCTEN") => bit == 0 || bit == 10,
        ("HAFGRTR_EL2", n) => {
            n == "AMCNTEN0"
                || n == "AMCNTEN1"
                || n.starts_with("AMEVCNTR1")
                || n.starts_with("AMEVTYPER1")
        }
        _ => false,
    }
}

#[test]
fn arch_fields_match_aarchmrs() {
    let theirs = theirs();
    let mut ours = BTreeSet::new();
    let mut extra = Vec::new();
    for l in arch::LAYOUTS {
        for f in l.fields.iter().filter(|f| f.width == 1) {
            let t = (key(l), f.lo, f.name.to_uppercase());
            if from_arm_arm_only(t.0, f.lo, f.name) {
                assert!(!theirs.contains(&t), "{t:?} is in AARCHMRS after all");
                continue;
            }
            if !theirs.contains(&t) {
                extra.push(t.clone());
            }
            ours.insert(t);
        }
    }
    let missing: Vec<_> = theirs.difference(&ours).collect();
    assert!(missing.is_empty(), "in AARCHMRS, not in arch: {missing:?}");
    assert!(extra.is_empty(), "in arch, not in AARCHMRS: {extra:?}");
}

#[test]
fn arch_multi_bit_fields_match_aarchmrs() {
    use arm_sysregs::el2::registers::*;
    fn width(mask: u64) -> u8 {
        mask.count_ones() as u8
    }
    let want: &[(&Layout, &str, u32, u64)] = &[
        (&arch::HCR_EL2, "BSU", HcrEl2::BSU_SHIFT, HcrEl2::BSU_MASK),
        (
            &arch::HCR_EL2,
            "TWEDEL",
            HcrEl2::TWEDEL_SHIFT,
            HcrEl2::TWEDEL_MASK,
        ),
        (
            &arch::MDCR_EL2,
            "HPMN",
            MdcrEl2::HPMN_SHIFT,
            MdcrEl2::HPMN_MASK,
        ),
        (
            &arch::MDCR_EL2,
            "E2PB",
            MdcrEl2::E2PB_SHIFT,
            MdcrEl2::E2PB_MASK,
        ),
        (
            &arch::MDCR_EL2,
            "E2TB",
            MdcrEl2::E2TB_SHIFT,
            MdcrEl2::E2TB_MASK,
        ),
        (
            &arch::MDCR_EL2,
            "PMSSE",
            MdcrEl2::PMSSE_SHIFT,
            MdcrEl2::PMSSE_MASK,
        ),
        (
            &arch::MDCR_EL2,
            "PMEE",
            MdcrEl2::PMEE_SHIFT,
            MdcrEl2::PMEE_MASK,
        ),
        (
            &arch::CPTR_EL2_E2H1,
            "ZEN",
            CptrEl2::ZEN_SHIFT,
            CptrEl2::ZEN_MASK,
        ),
        (
            &arch::CPTR_EL2_E2H1,
            "FPEN",
            CptrEl2::FPEN_SHIFT,
            CptrEl2::FPEN_MASK,
        ),
        (
            &arch::CPTR_EL2_E2H1,
            "SMEN",
            CptrEl2::SMEN_SHIFT,
            CptrEl2::SMEN_MASK,
        ),
        (
            &arch::CNTHCTL_EL2_E2H0,
            "EVNTI",
            CnthctlEl2::EVNTI_SHIFT,
            CnthctlEl2::EVNTI_MASK,
        ),
        (
            &arch::CNTHCTL_EL2_E2H1,
            "EVNTI",
            CnthctlEl2::EVNTI_SHIFT,
            CnthctlEl2::EVNTI_MASK,
        ),
        (
            &arch::ICH_HCR_EL2,
            "EOIcount",
            IchHcrEl2::EOICOUNT_SHIFT,
            IchHcrEl2::EOICOUNT_MASK,
        ),
        (
            &arch::HFGRTR2_EL2,
            "nFGDTn_EL1",
            Hfgrtr2El2::NFGDTN_EL1_SHIFT,
            Hfgrtr2El2::NFGDTN_EL1_MASK,
        ),
        (
            &arch::HFGRTR2_EL2,
            "nAFGDTn_EL1",
            Hfgrtr2El2::NAFGDTN_EL1_SHIFT,
            Hfgrtr2El2::NAFGDTN_EL1_MASK,
        ),
        (
            &arch::HFGWTR2_EL2,
            "nFGDTn_EL1",
            Hfgwtr2El2::NFGDTN_EL1_SHIFT,
            Hfgwtr2El2::NFGDTN_EL1_MASK,
        ),
        (
            &arch::HFGWTR2_EL2,
            "nAFGDTn_EL1",
            Hfgwtr2El2::NAFGDTN_EL1_SHIFT,
            Hfgwtr2El2::NAFGDTN_EL1_MASK,
        ),
    ];
    let mut n = 0;
    for l in arch::LAYOUTS {
        for f in l.fields.iter().filter(|f| f.width > 1) {
            let w = want
                .iter()
                .find(|w| w.0.name == l.name && w.1 == f.name)
                .unwrap_or_else(|| panic!("{}.{} not checked", l.name, f.name));
            assert_eq!(
                (f.lo as u32, f.width),
                (w.2, width(w.3)),
                "{}.{}",
                l.name,
                f.name
            );
            n += 1;
        }
    }
    // CPTR_EL2/CNTHCTL_EL2 share their multi-bit fields' checks per layout.
    assert_eq!(n, want.len());
}

#[test]
fn arch_fields_disjoint_and_untrapped() {
    for l in arch::LAYOUTS {
        let mut seen = 0u64;
        for f in l.fields {
            assert!(
                f.width >= 1 && f.lo as u32 + f.width as u32 <= 64,
                "{}.{}",
                l.name,
                f.name
            );
            assert_eq!(seen & f.mask(), 0, "{}.{} overlaps", l.name, f.name);
            seen |= f.mask();
            assert_eq!(
                l.field(f.name),
                Some(*f),
                "{}.{} named twice",
                l.name,
                f.name
            );
        }
        assert_eq!(l.defined(), seen);
        assert_eq!(l.res1 & seen, 0, "{}: RES1 overlaps a field", l.name);
        for e in l.enables {
            assert!(
                l.field(e).is_some(),
                "{}: enable {e} is not a field",
                l.name
            );
        }
        let u = l.untrapped();
        if l.reg.is_fgt() {
            assert!(l.enables.is_empty());
            for f in l.fields {
                let on = u & f.mask() == f.mask();
                assert_eq!(on, f.name.starts_with('n'), "{}.{}", l.name, f.name);
            }
        }
    }
    // The values the Arm ARM gives for "traps nothing" on the registers the
    // crate models, spelled out once more by position.
    assert_eq!(
        arch::HCR_EL2.untrapped(),
        (1 << 31) | (1 << 40) | (1 << 41) | (1 << 47) | (1 << 53) | (1 << 56)
    );
    assert_eq!(arch::MDCR_EL2.untrapped(), (3 << 12) | (3 << 24));
    assert_eq!(
        arch::CPTR_EL2_E2H1.untrapped(),
        (3 << 16) | (3 << 20) | (3 << 24)
    );
    assert_eq!(arch::CNTHCTL_EL2_E2H0.untrapped(), 3);
    assert_eq!(arch::ICH_HCR_EL2.untrapped(), 0);
    assert!(arch::LAYOUTS.iter().any(|l| l.reg == Reg::Hdfgwtr2));
}
