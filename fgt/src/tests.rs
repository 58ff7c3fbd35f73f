//! Host tests: table consistency, FGT layouts against AARCHMRS, routing
//! cases for every coarse control, a sample of FGT bits, and `merge`.

use crate::bits::{self, FgtBit, FgtReg};
use crate::config::{hcr, hcrx, mdcr, Features, TrapConfig};
use crate::ctl::Ctl;
use crate::esr::{ec, Enc, Esr};
use crate::route::{merge, route, route_from, sysreg_trap, Cause, Route};
use crate::table::{self, lookup, TABLE};
use std::collections::{BTreeMap, BTreeSet};
use std::vec::Vec;

const ALL_FEAT: Features = Features {
    fgt: true,
    fgt2: true,
    hcx: true,
};

fn base() -> TrapConfig {
    TrapConfig::untrapped(ALL_FEAT)
}

fn e(op0: u8, op1: u8, crn: u8, crm: u8, op2: u8) -> Enc {
    Enc::new(op0, op1, crn, crm, op2)
}

/// Every single-bit field arm-sysregs (AARCHMRS 2026-03) knows, as
/// (register, bit, upper-case name).
fn aarchmrs_bits() -> Vec<(FgtReg, u8, std::string::String)> {
    use arm_sysregs::el2::registers::*;
    use bitflags::Flags;
    fn collect<F: Flags<Bits = u64>>(r: FgtReg, out: &mut Vec<(FgtReg, u8, std::string::String)>) {
        for f in F::FLAGS {
            let b = f.value().bits();
            if b.count_ones() == 1 {
                out.push((r, b.trailing_zeros() as u8, f.name().into()));
            }
        }
    }
    let mut v = Vec::new();
    collect::<HfgrtrEl2>(FgtReg::Hfgrtr, &mut v);
    collect::<HfgwtrEl2>(FgtReg::Hfgwtr, &mut v);
    collect::<HfgitrEl2>(FgtReg::Hfgitr, &mut v);
    collect::<HdfgrtrEl2>(FgtReg::Hdfgrtr, &mut v);
    collect::<HdfgwtrEl2>(FgtReg::Hdfgwtr, &mut v);
    collect::<Hfgrtr2El2>(FgtReg::Hfgrtr2, &mut v);
    collect::<Hfgwtr2El2>(FgtReg::Hfgwtr2, &mut v);
    collect::<Hfgitr2El2>(FgtReg::Hfgitr2, &mut v);
    collect::<Hdfgrtr2El2>(FgtReg::Hdfgrtr2, &mut v);
    collect::<Hdfgwtr2El2>(FgtReg::Hdfgwtr2, &mut v);
    v
}

#[test]
fn fgt_layouts_match_aarchmrs() {
    let theirs: BTreeSet<_> = aarchmrs_bits().into_iter().collect();
    let ours: BTreeSet<_> = bits::ALL
        .iter()
        .filter(|b| b.reg != FgtReg::Hafgrtr)
        .map(|b| (b.reg, b.bit, b.name.to_uppercase()))
        .collect();
    let missing: Vec<_> = theirs.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&theirs).collect();
    assert!(
        missing.is_empty(),
        "bits in AARCHMRS but not here: {missing:?}"
    );
    assert!(extra.is_empty(), "bits here but not in AARCHMRS: {extra:?}");
}

#[test]
fn fgt_bits_defined_once_and_polarity() {
    let mut seen = BTreeMap::new();
    for b in bits::ALL {
        assert!(b.bit < 64);
        assert!(
            seen.insert((b.reg, b.bit), b.name).is_none(),
            "{} defined twice",
            b.name
        );
        assert_eq!(b.neg, b.name.starts_with('n'), "{}", b.name);
    }
    for &(r, first, w, name) in bits::MULTI_BIT {
        for i in first..first + w {
            assert!(!seen.contains_key(&(r, i)), "{name} overlaps a defined bit");
        }
    }
    // The untrapped value sets exactly the negative bits.
    for r in FgtReg::ALL {
        let v = bits::untrapped(r);
        for b in bits::ALL.iter().filter(|b| b.reg == r) {
            assert!(!b.traps(v), "{} traps in the untrapped value", b.name);
            assert!(
                b.traps(v ^ b.mask()),
                "{} does not trap when flipped",
                b.name
            );
        }
    }
}

/// Every defined FGT bit is bound to an encoding, or is listed as
/// controlling something else, or as not bound yet (with the reason).
#[test]
fn every_fgt_bit_bound_or_listed() {
    let mut bound = BTreeSet::new();
    table::for_each_encoding(|_, hit| {
        for read in [false, true] {
            if let Some(b) = hit.desc.fgt(read, hit.member) {
                bound.insert((b.reg, b.bit));
            }
        }
    });
    let listed: BTreeSet<_> = bits::NOT_ENCODINGS
        .iter()
        .map(|(b, _)| (b.reg, b.bit))
        .chain(bits::UNBOUND.iter().map(|(b, _)| (b.reg, b.bit)))
        .collect();
    let mut orphans = Vec::new();
    for b in bits::ALL {
        let k = (b.reg, b.bit);
        if bound.contains(&k) == listed.contains(&k) {
            orphans.push((b.reg.name(), b.name, bound.contains(&k)));
        }
    }
    assert!(
        orphans.is_empty(),
        "unbound-and-unlisted or bound-and-listed: {orphans:?}"
    );
    // A bound bit must be defined in the register it claims.
    for (r, bit) in bound {
        assert!(
            bits::defined(r) & (1 << bit) != 0,
            "{r:?} bit {bit} bound but reserved"
        );
    }
}

#[test]
fn lookup_is_total_and_consistent() {
    let mut n = 0;
    table::for_each_encoding(|enc, hit| {
        let h = lookup(enc).expect("listed encoding not indexed");
        assert!(core::ptr::eq(h.desc, hit.desc));
        assert_eq!((h.member, h.nxs), (hit.member, hit.nxs));
        n += 1;
    });
    let hits = (0..=u16::MAX).filter(|&x| lookup(Enc(x)).is_some()).count();
    assert_eq!(hits, n);
    assert_eq!(n, crate::coverage().encodings);
    // Every row's rules are for directions the row allows.
    for d in TABLE {
        for &(_, acc) in d.coarse {
            assert!(
                (acc.covers(true) && d.kind.allows(true))
                    || (acc.covers(false) && d.kind.allows(false)),
                "{}: rule for a direction that does not exist",
                d.name
            );
        }
    }
}

#[test]
fn untrapped_config_traps_nothing() {
    for e2h in [false, true] {
        let mut c = base();
        if e2h {
            c.hcr |= hcr::E2H;
            c.cptr =
                crate::config::cptr::FPEN | crate::config::cptr::ZEN | crate::config::cptr::SMEN;
            c.cnthctl = crate::config::cnthctl::EL1PCTEN_E2H | crate::config::cnthctl::EL1PTEN_E2H;
        }
        for x in 0..=u16::MAX {
            for read in [false, true] {
                assert_eq!(
                    sysreg_trap(&c, Enc(x), read),
                    None,
                    "{} read={read}",
                    Enc(x)
                );
                assert_eq!(route(&c, Esr::sysreg(Enc(x), read, 0)), Route::ToL0);
            }
        }
    }
}

/// One hand-derived case per coarse control (Arm ARM register
/// "Accessibility" pseudocode): enabling `ctl` on the untrapped
/// configuration traps (or not) the access.
#[test]
fn every_coarse_control_routes() {
    #[rustfmt::skip]
    let cases: &[(Ctl, Enc, bool, bool)] = &[
        (Ctl::Tvm, e(3,0,1,0,0), false, true), (Ctl::Tvm, e(3,0,1,0,0), true, false),
        (Ctl::Trvm, e(3,0,2,0,0), true, true), (Ctl::Trvm, e(3,0,2,0,0), false, false),
        (Ctl::Tsw, e(1,0,7,6,2), false, true), (Ctl::Tsw, e(1,3,7,14,1), false, false),
        (Ctl::Tpcp, e(1,3,7,14,1), false, true), (Ctl::Tpcp, e(1,3,7,11,1), false, false),
        (Ctl::Tpu, e(1,3,7,11,1), false, true), (Ctl::Tpu, e(1,0,7,1,0), false, true),
        (Ctl::Tocu, e(1,3,7,5,1), false, true), (Ctl::Tocu, e(1,0,7,1,0), false, false),
        (Ctl::Ticab, e(1,0,7,1,0), false, true), (Ctl::Ticab, e(1,0,7,5,0), false, false),
        (Ctl::Ttlb, e(1,0,8,7,0), false, true), (Ctl::Ttlb, e(1,0,9,3,1), false, true),
        (Ctl::Ttlbis, e(1,0,8,3,0), false, true), (Ctl::Ttlbis, e(1,0,8,1,0), false, false),
        (Ctl::Ttlbos, e(1,0,8,1,0), false, true), (Ctl::Ttlbos, e(1,0,8,7,0), false, false),
        (Ctl::Tacr, e(3,0,1,0,1), true, true),
        (Ctl::Tid1, e(3,1,0,0,7), true, true), (Ctl::Tid1, e(3,0,0,0,0), true, false),
        (Ctl::Tid2, e(3,3,0,0,1), true, true), (Ctl::Tid2, e(3,2,0,0,0), false, true),
        (Ctl::Tid3, e(3,0,0,4,0), true, true), (Ctl::Tid3, e(3,0,0,7,7), true, true),
        (Ctl::Tid3, e(3,0,0,0,0), true, false),
        (Ctl::Tid4, e(3,1,0,0,0), true, true), (Ctl::Tid4, e(3,3,0,0,1), true, false),
        (Ctl::Tid5, e(3,1,0,0,4), true, true),
        (Ctl::Tdz, e(1,3,7,4,1), false, true),
        (Ctl::Terr, e(3,0,5,3,0), true, true), (Ctl::Terr, e(3,0,5,5,3), false, true),
        (Ctl::Tlor, e(3,0,10,4,7), true, true),
        (Ctl::Apk, e(3,0,2,1,0), false, true), (Ctl::Apk, e(3,0,2,3,1), true, true),
        (Ctl::Fien, e(3,0,5,4,5), false, true), (Ctl::Fien, e(3,0,5,4,2), false, false),
        (Ctl::EnScxt, e(3,3,13,0,7), true, true),
        (Ctl::Ata, e(3,0,1,0,6), true, true),
        (Ctl::At, e(1,0,7,8,0), false, true), (Ctl::At, e(1,4,7,8,0), false, false),
        (Ctl::Nv, e(3,4,1,1,0), true, true), (Ctl::Nv, e(1,4,9,7,0), false, true),
        (Ctl::Nv, e(3,5,1,0,0), false, true), (Ctl::Nv, e(3,0,1,0,0), true, false),
        (Ctl::Nv1, e(3,0,12,0,0), true, true), (Ctl::Nv1, e(3,0,4,0,1), false, true),
        (Ctl::ImoFmo, e(3,0,12,11,5), false, true), (Ctl::ImoFmo, e(3,0,12,12,0), true, false),
        (Ctl::Tcr2En, e(3,0,2,0,3), true, true),
        (Ctl::Sctlr2En, e(3,0,1,0,3), false, true),
        (Ctl::GcsEn, e(3,3,2,5,1), true, true),
        (Ctl::EnFpm, e(3,3,4,4,2), true, true),
        (Ctl::TallInt, e(3,0,4,3,0), false, true), (Ctl::TallInt, e(3,0,4,3,0), true, false),
        (Ctl::Tda, e(2,0,0,2,2), true, true), (Ctl::Tda, e(2,0,0,15,7), false, true),
        (Ctl::Tda, e(2,0,1,0,4), false, false),
        (Ctl::Tdosa, e(2,0,1,0,4), false, true), (Ctl::Tdosa, e(2,0,1,4,4), true, true),
        (Ctl::Tdra, e(2,0,1,0,0), true, true),
        (Ctl::Tdcc, e(2,3,0,1,0), true, true), (Ctl::Tdcc, e(2,0,0,2,2), true, false),
        (Ctl::Tpm, e(3,3,14,8,3), true, true), (Ctl::Tpm, e(3,3,9,12,0), false, true),
        (Ctl::Tpmcr, e(3,3,9,12,0), true, true), (Ctl::Tpmcr, e(3,3,9,12,5), true, false),
        (Ctl::Tpms, e(3,0,9,9,0), true, true),
        (Ctl::E2pb, e(3,0,9,10,0), false, true),
        (Ctl::Ttrf, e(3,0,1,2,1), false, true),
        (Ctl::E2tb, e(3,0,9,11,0), true, true),
        (Ctl::Tfp, e(3,3,4,4,0), true, true), (Ctl::Tfp, e(3,0,1,0,0), true, false),
        (Ctl::Tz, e(3,0,1,2,0), true, true),
        (Ctl::Tsm, e(3,0,1,2,6), true, true),
        (Ctl::Tta, e(2,1,0,1,0), true, true),
        (Ctl::Tam, e(3,3,13,12,5), true, true),
        (Ctl::Tcpac, e(3,0,1,0,2), false, true),
        (Ctl::El1Pcten, e(3,3,14,0,1), true, true), (Ctl::El1Pcten, e(3,3,14,0,2), true, false),
        (Ctl::El1Pten, e(3,3,14,2,1), false, true), (Ctl::El1Pten, e(3,3,14,3,1), false, false),
        (Ctl::El1Tvt, e(3,3,14,3,2), true, true), (Ctl::El1Tvt, e(3,3,14,2,2), true, false),
        (Ctl::El1Tvct, e(3,3,14,0,2), true, true), (Ctl::El1Tvct, e(3,3,14,0,1), true, false),
        (Ctl::El1Nvpct, e(3,5,14,2,1), true, true),
        (Ctl::El1Nvvct, e(3,5,14,3,1), true, true),
        (Ctl::IchTc, e(3,0,4,6,0), true, true), (Ctl::IchTc, e(3,0,12,12,7), true, false),
        (Ctl::IchTall0, e(3,0,12,8,0), true, true), (Ctl::IchTall0, e(3,0,12,12,0), true, false),
        (Ctl::IchTall1, e(3,0,12,12,0), true, true), (Ctl::IchTall1, e(3,0,12,8,3), true, false),
        (Ctl::IchTdir, e(3,0,12,11,1), false, true), (Ctl::IchTdir, e(3,0,12,11,3), true, false),
    ];
    let mut covered = BTreeSet::new();
    for &(ctl, enc, read, want) in cases {
        for e2h in [false, true] {
            if e2h && !ctl.e2h_layout() {
                continue;
            }
            let mut c = base();
            if e2h {
                c.hcr |= hcr::E2H;
                c.cptr = crate::config::cptr::FPEN
                    | crate::config::cptr::ZEN
                    | crate::config::cptr::SMEN;
                c.cnthctl =
                    crate::config::cnthctl::EL1PCTEN_E2H | crate::config::cnthctl::EL1PTEN_E2H;
            }
            ctl.enable(&mut c);
            assert!(ctl.active(&c), "{} not active after enable", ctl.name());
            let got = sysreg_trap(&c, enc, read);
            assert_eq!(
                got.is_some(),
                want,
                "{} {enc} read={read} e2h={e2h}: {got:?}",
                ctl.name()
            );
            if want {
                assert_eq!(got.map(|g| g.0), Some(ctl.ec()));
                let r = route(&c, Esr::sysreg(enc, read, 1));
                assert_eq!(r, Route::ToL1);
            }
        }
        covered.insert(ctl as u8);
    }
    for &ctl in Ctl::ALL {
        assert!(covered.contains(&(ctl as u8)), "no case for {}", ctl.name());
    }
}

#[test]
fn fgt_sample_and_nxs() {
    // (bit, encoding, read)
    let cases: &[(FgtBit, Enc, bool)] = &[
        (bits::hfgrtr::SCTLR_EL1, e(3, 0, 1, 0, 0), true),
        (bits::hfgwtr::SCTLR_EL1, e(3, 0, 1, 0, 0), false),
        (bits::hfgrtr::nPIR_EL1, e(3, 0, 10, 2, 3), true),
        (bits::hfgwtr::nTPIDR2_EL0, e(3, 3, 13, 0, 5), false),
        (bits::hfgitr::TLBIVMALLE1IS, e(1, 0, 8, 3, 0), false),
        (bits::hfgitr::DCZVA, e(1, 3, 7, 4, 1), false),
        (bits::hdfgrtr::DBGBVRn_EL1, e(2, 0, 0, 5, 4), true),
        (bits::hdfgwtr::PMCR_EL0, e(3, 3, 9, 12, 0), false),
        (bits::hafgrtr::AMEVCNTR13_EL0, e(3, 3, 13, 12, 3), true),
        (bits::hafgrtr::AMEVTYPER115_EL0, e(3, 3, 13, 15, 7), true),
        (bits::hfgrtr2::nPFAR_EL1, e(3, 0, 6, 0, 5), true),
        (bits::hdfgrtr2::nPMICNTR_EL0, e(3, 3, 9, 4, 0), true),
    ];
    for &(b, enc, read) in cases {
        let mut c = base();
        let v = c.fgt_reg(b.reg) ^ b.mask();
        c.set_fgt_reg(b.reg, v);
        match sysreg_trap(&c, enc, read) {
            Some((ec::SYSREG, Cause::Fine(got))) => assert_eq!((got.reg, got.bit), (b.reg, b.bit)),
            other => panic!("{}: {other:?}", b.name),
        }
        assert_eq!(
            sysreg_trap(&c, enc, !read),
            None,
            "{} other direction",
            b.name
        );
        // Without the feature, nothing traps.
        c.feat = Features::default();
        assert_eq!(sysreg_trap(&c, enc, read), None);
        // With {E2H, TGE} = {1, 1} the FGT registers do not apply.
        c.feat = ALL_FEAT;
        c.hcr |= hcr::E2H | hcr::TGE;
        assert_eq!(sysreg_trap(&c, enc, read), None);
    }
    // The nXS form of a TLBI follows the same bit unless HCRX_EL2.FGTnXS.
    let mut c = base();
    c.set_fgt_reg(FgtReg::Hfgitr, bits::hfgitr::TLBIVAE1.mask());
    let nxs = e(1, 0, 9, 7, 1);
    assert!(sysreg_trap(&c, nxs, false).is_some());
    c.hcrx |= hcrx::FGTNXS;
    assert!(sysreg_trap(&c, nxs, false).is_none());
    assert!(sysreg_trap(&c, e(1, 0, 8, 7, 1), false).is_some());
}

#[test]
fn unknown_encodings_and_other_classes() {
    let mut c = base();
    // Unallocated: never L1's.
    assert_eq!(sysreg_trap(&c, e(3, 7, 1, 0, 0), true), None);
    // IMPLEMENTATION DEFINED with TIDCP.
    let imp = e(3, 1, 15, 2, 0);
    assert_eq!(route(&c, Esr::sysreg(imp, true, 0)), Route::ToL0);
    c.hcr |= hcr::TIDCP;
    assert_eq!(route(&c, Esr::sysreg(imp, true, 0)), Route::ToL1);
    let c0 = base();
    let r = |c: &TrapConfig, ec: u8, iss: u32| route(c, Esr::new(ec, iss));
    assert_eq!(r(&c0, ec::HVC64, 0), Route::ToL1);
    assert_eq!(r(&c0, ec::SMC64, 0), Route::ToL0);
    assert_eq!(r(&c0, ec::WFX, 0), Route::ToL0);
    assert_eq!(r(&c0, ec::DABT_LOW, 0), Route::ToL0);
    assert_eq!(r(&c0, ec::UNKNOWN, 0), Route::ToL0);
    assert_eq!(r(&c0, 0x3f, 0x1ff_ffff), Route::ToL0);
    let mut c1 = c0;
    c1.hcr |= hcr::TSC | hcr::TWI | hcr::NV;
    c1.hcr &= !hcr::API;
    c1.mdcr |= mdcr::TDE;
    assert_eq!(r(&c1, ec::SMC64, 0), Route::ToL1);
    assert_eq!(r(&c1, ec::WFX, 0), Route::ToL1);
    assert_eq!(r(&c1, ec::WFX, 1), Route::ToL0);
    assert_eq!(r(&c1, ec::ERET, 0), Route::ToL1);
    assert_eq!(r(&c1, ec::PAUTH, 0), Route::ToL1);
    assert_eq!(r(&c1, ec::BRK64, 0), Route::ToL1);
    let mut c2 = c0;
    Ctl::Tfp.enable(&mut c2);
    assert_eq!(r(&c2, ec::FP, 0), Route::ToL1);
    assert_eq!(r(&c2, ec::SVE, 0), Route::ToL1);
    let mut c3 = c0;
    c3.set_fgt_reg(
        FgtReg::Hfgitr,
        bits::hfgitr::SVC_EL0.mask() | bits::hfgitr::ERET.mask(),
    );
    assert_eq!(route_from(&c3, Esr::new(ec::SVC64, 0), true), Route::ToL1);
    assert_eq!(route_from(&c3, Esr::new(ec::SVC64, 0), false), Route::ToL0);
    assert_eq!(r(&c3, ec::ERET, 0), Route::ToL1);
}

/// A tiny deterministic generator for the merge property.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Mostly-untrapped random value: each bit flipped with probability 1/8.
    fn sparse(&mut self) -> u64 {
        self.next() & self.next() & self.next()
    }
}

fn random_config(r: &mut Rng, is_l0: bool) -> TrapConfig {
    let feat = Features {
        fgt: is_l0 || r.next() & 3 != 0,
        fgt2: is_l0 || r.next() & 1 != 0,
        hcx: is_l0 || r.next() & 3 != 0,
    };
    let mut c = TrapConfig::untrapped(feat);
    let nv_bits = hcr::NV | hcr::NV1 | hcr::NV2;
    c.hcr ^= r.sparse() & (hcr::TRAPS | hcr::ENABLES | hcr::IMO | hcr::FMO) & !nv_bits;
    if !is_l0 && r.next() & 1 != 0 {
        c.hcr |= hcr::NV | (r.next() & hcr::NV1);
    }
    if is_l0 {
        c.hcr |= hcr::IMO | hcr::FMO;
    }
    if r.next() & 1 != 0 {
        c.hcr |= hcr::E2H;
        c.cptr = crate::config::cptr::FPEN | crate::config::cptr::ZEN | crate::config::cptr::SMEN;
        c.cnthctl = crate::config::cnthctl::EL1PCTEN_E2H | crate::config::cnthctl::EL1PTEN_E2H;
    }
    c.hcrx ^= r.sparse() & (hcrx::TRAPS | hcrx::ENABLES);
    c.mdcr ^= r.sparse() & (mdcr::TRAPS | mdcr::E2PB | mdcr::E2TB);
    c.cptr ^= r.sparse() & 0xf3f3_0000_u64.wrapping_shl(0) & 0xffff_ffff;
    c.cnthctl ^= r.sparse() & 0x1_ec03;
    c.ich_hcr ^= r.sparse() & crate::config::ich_hcr::TRAPS;
    for reg in FgtReg::ALL {
        let v = c.fgt_reg(reg) ^ (r.sparse() & bits::defined(reg));
        c.set_fgt_reg(reg, v);
    }
    c
}

/// `merge` is the union: every access traps under the merged configuration
/// exactly when it traps under L0's or L1's (nXS TLBIs may trap more, see
/// [`merge`]).
#[test]
fn merge_is_the_union() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let l0 = random_config(&mut rng, true);
        let l1 = random_config(&mut rng, false);
        let m = merge(&l0, &l1);
        table::for_each_encoding(|enc, hit| {
            for read in [false, true] {
                let a = sysreg_trap(&l0, enc, read).is_some();
                let b = sysreg_trap(&l1, enc, read).is_some();
                let u = sysreg_trap(&m, enc, read).is_some();
                // Never fewer traps than either side asked for; more only
                // for nXS TLBIs when the two sides disagree on FGTnXS.
                assert!(
                    u || !(a || b),
                    "{enc} read={read} lost a trap\nl0={l0:x?}\nl1={l1:x?}"
                );
                if !hit.nxs {
                    assert_eq!(
                        u,
                        a || b,
                        "{enc} read={read}\nl0={l0:x?}\nl1={l1:x?}\nm={m:x?}"
                    );
                }
            }
        });
        for ecv in [ec::WFX, ec::FP, ec::SVE, ec::SME, ec::SMC64, ec::PAUTH] {
            for iss in [0, 1] {
                let s = Esr::new(ecv, iss);
                let want = route(&l0, s) == Route::ToL1 || route(&l1, s) == Route::ToL1;
                assert_eq!(route(&m, s) == Route::ToL1, want, "ec {ecv:#x}");
            }
        }
    }
}

#[test]
fn vncr_page_and_nv2() {
    use crate::config::vncr_offset;
    // Every trap register L1 keeps in its VNCR page has an offset.
    for r in FgtReg::ALL {
        assert!(vncr_offset(r.enc()).is_some(), "{}", r.name());
    }
    assert_eq!(vncr_offset(e(3, 4, 1, 1, 0)), Some(0x78));
    assert_eq!(vncr_offset(e(3, 4, 12, 12, 3)), Some(0x418)); // ICH_LR3_EL2
    assert_eq!(vncr_offset(e(3, 4, 1, 1, 1)), None); // MDCR_EL2 traps
                                                     // Offsets are 8-byte aligned, inside the page and distinct.
    let mut seen = BTreeSet::new();
    table::for_each_encoding(|enc, hit| {
        if let Some(off) = hit.desc.vncr_offset(hit.member) {
            assert!(off % 8 == 0 && off < 4096, "{enc}");
            assert!(seen.insert(off), "{enc}: offset {off:#x} used twice");
        }
    });
    let mut page = [0u64; 512];
    page[0x78 / 8] = hcr::TVM | hcr::RW;
    page[0x1b8 / 8] = bits::hfgrtr::TTBR0_EL1.mask();
    page[0x4c0 / 8] = crate::config::ich_hcr::TC;
    let c = TrapConfig::from_vncr(&page, mdcr::TDA, 0, 0, ALL_FEAT);
    assert_eq!(c.hcr, hcr::TVM | hcr::RW);
    assert_eq!(c.fgt_reg(FgtReg::Hfgrtr), bits::hfgrtr::TTBR0_EL1.mask());
    assert_eq!(c.ich_hcr, crate::config::ich_hcr::TC);
    assert_eq!(c.mdcr, mdcr::TDA);
    // NV2: VNCR-backed registers stop trapping, the others still trap.
    let mut c = base();
    c.hcr |= hcr::NV | hcr::NV2;
    assert_eq!(sysreg_trap(&c, e(3, 4, 1, 1, 0), true), None); // HCR_EL2: memory
    assert!(sysreg_trap(&c, e(3, 4, 1, 1, 1), true).is_some()); // MDCR_EL2: trap
    assert_eq!(sysreg_trap(&c, e(3, 5, 1, 0, 0), true), None); // SCTLR_EL12: memory
                                                               // NV1 = 1 (a non-VHE guest hypervisor): the EL2 registers are still
                                                               // VNCR-backed, the EL12 aliases trap (seen on QEMU by fgt-matrix).
    c.hcr |= hcr::NV1;
    assert_eq!(sysreg_trap(&c, e(3, 4, 1, 1, 0), true), None);
    assert!(sysreg_trap(&c, e(3, 5, 1, 0, 0), true).is_some());
}

/// The rules fgt-matrix found on QEMU (each checked there bit by bit).
#[test]
fn rules_found_by_the_matrix() {
    use crate::route::sysreg_trap_from;
    // ZCR_EL1: the SVE enables first (EC 0x19), then the FP enables (EC 0x07).
    let zcr = e(3, 0, 1, 2, 0);
    for e2h in [false, true] {
        let mut c = base();
        if e2h {
            c.hcr |= hcr::E2H;
            c.cptr =
                crate::config::cptr::FPEN | crate::config::cptr::ZEN | crate::config::cptr::SMEN;
            c.cnthctl = crate::config::cnthctl::EL1PCTEN_E2H | crate::config::cnthctl::EL1PTEN_E2H;
        }
        let mut f = c;
        Ctl::Tfp.enable(&mut f);
        assert_eq!(
            sysreg_trap(&f, zcr, true).map(|t| t.0),
            Some(ec::FP),
            "e2h={e2h}"
        );
        Ctl::Tz.enable(&mut f);
        assert_eq!(
            sysreg_trap(&f, zcr, false).map(|t| t.0),
            Some(ec::SVE),
            "e2h={e2h}"
        );
    }
    // TFSR_EL1 and SCXTNUM_EL1 trap with {NV,NV1,NV2} = {1,1,0}.
    let mut c = base();
    Ctl::Nv1.enable(&mut c);
    for enc in [e(3, 0, 5, 6, 0), e(3, 0, 13, 0, 7), e(3, 0, 12, 0, 0)] {
        assert_eq!(
            sysreg_trap(&c, enc, true).map(|t| t.1),
            Some(Cause::Coarse(Ctl::Nv1)),
            "{enc}"
        );
    }
    // ICH_HCR_EL2 traps whatever HCR_EL2.IMO/FMO say.
    let mut c = base();
    c.ich_hcr = crate::config::ich_hcr::TC;
    assert_eq!(c.hcr & (hcr::IMO | hcr::FMO), 0);
    assert!(sysreg_trap(&c, e(3, 0, 4, 6, 0), true).is_some()); // ICC_PMR_EL1
    assert!(sysreg_trap(&c, e(3, 0, 12, 12, 4), false).is_some()); // ICC_CTLR_EL1
                                                                   // HCR_EL2.NV traps CFP RCTX from EL1, never from EL0.
    let cfp = e(1, 3, 7, 3, 4);
    let mut c = base();
    c.hcr |= hcr::NV;
    assert!(sysreg_trap_from(&c, cfp, false, false).is_some());
    assert_eq!(sysreg_trap_from(&c, cfp, false, true), None);
    assert_eq!(
        route_from(&c, Esr::sysreg(cfp, false, 0), true),
        Route::ToL0
    );
    assert_eq!(
        route_from(&c, Esr::sysreg(cfp, false, 0), false),
        Route::ToL1
    );
    // But an EL0 access still traps by the other controls (TDZ on DC ZVA).
    let mut c = base();
    Ctl::Tdz.enable(&mut c);
    assert!(sysreg_trap_from(&c, e(1, 3, 7, 4, 1), false, true).is_some());
}
