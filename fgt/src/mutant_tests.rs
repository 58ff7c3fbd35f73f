//! Host tests for rules that `scripts/mutants.sh` (cargo-mutants over
//! `route.rs`, `config.rs`, `ctl.rs` and arch's `esr.rs`) found no test
//! checking: each kills the surviving mutants named in its comment.

use crate::bits::{self, FgtReg};
use crate::config::{cnthctl, cptr, hcr, hcrx, mdcr, Features, TrapConfig};
use crate::ctl::Ctl;
use crate::esr::{ec, Enc, Esr};
use crate::route::{merge, route, route_from, sysreg_trap, Cause, Route};
use crate::table;

const ALL_FEAT: Features = Features {
    fgt: true,
    fgt2: true,
    hcx: true,
};

/// Without FEAT_HCX, HCRX_EL2 behaves as its untrapped value whatever the
/// stored word says (Arm ARM D24.2.49: "behaves as if ... every enable is 1,
/// every trap is 0"; FGTnXS reads 0). Kills the `hcrx_eff` mutants
/// (`& -> |`, `& -> ^`, `delete !`).
#[test]
fn no_hcx_means_hcrx_untrapped_whatever_is_stored() {
    let feat = Features {
        hcx: false,
        ..ALL_FEAT
    };
    for stored in [0, u64::MAX, hcrx::TRAPS, hcrx::ENABLES] {
        let mut c = TrapConfig::untrapped(feat);
        c.hcrx = stored;
        assert_eq!(c.hcrx_eff(), hcrx::ENABLES & !hcrx::FGTNXS, "{stored:#x}");
        table::for_each_encoding(|enc, _| {
            for read in [false, true] {
                assert_eq!(
                    sysreg_trap(&c, enc, read),
                    None,
                    "{enc} read={read} hcrx={stored:#x}"
                );
            }
        });
        for iss in 0..3 {
            assert_eq!(route(&c, Esr::new(ec::LS64, iss)), Route::ToL0);
        }
    }
    // FGTnXS counts as 0 without the feature: the nXS TLBI keeps the trap
    // of its FGT bit.
    let mut c = TrapConfig::untrapped(feat);
    c.hcrx = u64::MAX;
    let vae1is_nxs = Enc::new(1, 0, 9, 3, 1);
    assert!(table::lookup(vae1is_nxs).is_some_and(|h| h.nxs));
    let v = c.fgt_reg(FgtReg::Hfgitr) ^ bits::hfgitr::TLBIVAE1IS.mask();
    c.set_fgt_reg(FgtReg::Hfgitr, v);
    assert!(sysreg_trap(&c, vae1is_nxs, false).is_some());
    c.feat.hcx = true;
    assert_eq!(sysreg_trap(&c, vae1is_nxs, false), None);
}

/// The untrapped configuration in the E2H = 0 or E2H = 1 layouts.
fn untrapped(e2h: bool) -> TrapConfig {
    let mut c = TrapConfig::untrapped(ALL_FEAT);
    if e2h {
        c.hcr |= hcr::E2H;
        c.cptr = cptr::FPEN | cptr::ZEN | cptr::SMEN;
        c.cnthctl = cnthctl::EL1PCTEN_E2H | cnthctl::EL1PTEN_E2H;
    }
    c
}

/// `Ctl::enable` switches on its control and no other (but the companion
/// it documents: NV for NV1 and the ECV EL02 timer traps), and changes only
/// the register bits that control is made of. Kills the `enable` mutants
/// that set or clear extra bits (e.g. NV1's `& !NV2` turned into `| !NV2`).
#[test]
fn enable_switches_on_exactly_its_control() {
    for e2h in [false, true] {
        let base = untrapped(e2h);
        for &ctl in Ctl::ALL {
            assert!(!ctl.active(&base), "{} active untrapped", ctl.name());
            let mut c = base;
            ctl.enable(&mut c);
            assert!(
                ctl.active(&c),
                "{} not active once enabled (e2h={e2h})",
                ctl.name()
            );
            for &other in Ctl::ALL {
                let companion =
                    other == Ctl::Nv && matches!(ctl, Ctl::Nv1 | Ctl::El1Nvpct | Ctl::El1Nvvct);
                if other != ctl && !companion {
                    assert!(
                        !other.active(&c),
                        "enabling {} also enables {} (e2h={e2h})",
                        ctl.name(),
                        other.name()
                    );
                }
            }
            // Only the control's own register changes, by few bits.
            let diff = [
                c.hcr ^ base.hcr,
                c.hcrx ^ base.hcrx,
                c.mdcr ^ base.mdcr,
                c.cptr ^ base.cptr,
                c.cnthctl ^ base.cnthctl,
                c.ich_hcr ^ base.ich_hcr,
            ];
            let bits: u32 = diff.iter().map(|d| d.count_ones()).sum();
            assert!((1..=3).contains(&bits), "{}: {diff:x?}", ctl.name());
            assert_eq!(c.fgt, base.fgt);
            assert_eq!(c.feat, base.feat);
        }
    }
}

/// The exception class of each coarse control's trap: CPTR_EL2's FP, SVE
/// and SME controls take EC 0x07, 0x19 and 0x1d, everything else EC 0x18
/// (Arm ARM D24.2.40). Kills `delete match arm` in `Ctl::ec`.
#[test]
fn coarse_trap_exception_classes() {
    for &ctl in Ctl::ALL {
        let want = match ctl {
            Ctl::Tfp => ec::FP,
            Ctl::Tz => ec::SVE,
            Ctl::Tsm => ec::SME,
            _ => ec::SYSREG,
        };
        assert_eq!(ctl.ec(), want, "{}", ctl.name());
    }
    // And as `sysreg_trap` reports them, in both layouts.
    let smcr_el1 = Enc::new(3, 0, 1, 2, 6);
    let zcr_el1 = Enc::new(3, 0, 1, 2, 0);
    for e2h in [false, true] {
        let mut c = untrapped(e2h);
        Ctl::Tsm.enable(&mut c);
        assert_eq!(
            sysreg_trap(&c, smcr_el1, true),
            Some((ec::SME, Cause::Coarse(Ctl::Tsm)))
        );
        let mut c = untrapped(e2h);
        Ctl::Tz.enable(&mut c);
        assert_eq!(
            sysreg_trap(&c, zcr_el1, false),
            Some((ec::SVE, Cause::Coarse(Ctl::Tz)))
        );
    }
}

/// CNTHCTL_EL2.EL1NVPCT / EL1NVVCT trap the EL02 timers only when the bit
/// is set *and* HCR_EL2.{NV,NV1} = {1,0}; with NV+NV2 (a VHE guest
/// hypervisor) the EL02 timer registers are otherwise VNCR-backed and do
/// not trap. Kills the `&& -> ||` and `& -> |`/`^` mutants of
/// `Ctl::El1Nvpct`/`El1Nvvct`.
#[test]
fn ecv_el02_timer_traps_need_the_bit_and_nv() {
    let cntp_ctl_el02 = Enc::new(3, 5, 14, 2, 1);
    let cntv_ctl_el02 = Enc::new(3, 5, 14, 3, 1);
    for (enc, ctl, bit) in [
        (cntp_ctl_el02, Ctl::El1Nvpct, cnthctl::EL1NVPCT),
        (cntv_ctl_el02, Ctl::El1Nvvct, cnthctl::EL1NVVCT),
    ] {
        let mut c = untrapped(false);
        c.hcr |= hcr::NV | hcr::NV2;
        assert!(!ctl.active(&c), "{}", ctl.name());
        for read in [false, true] {
            assert_eq!(sysreg_trap(&c, enc, read), None, "{enc} read={read}");
        }
        c.cnthctl |= bit;
        assert!(ctl.active(&c));
        for read in [false, true] {
            assert_eq!(
                sysreg_trap(&c, enc, read),
                Some((ec::SYSREG, Cause::Coarse(ctl))),
                "{enc} read={read}"
            );
        }
        // The bit without NV, or with NV1 too: not in effect.
        let mut c = untrapped(false);
        c.cnthctl |= bit;
        assert!(!ctl.active(&c));
        c.hcr |= hcr::NV | hcr::NV1;
        assert!(!ctl.active(&c));
    }
}

/// The syndromes of the exception classes `route` decides by EC, as (EC,
/// ISS, from EL0).
const PROBES: &[(u8, u32, bool)] = &[
    (ec::FP, 0, false),
    (ec::SVE, 0, false),
    (ec::SME, 0, false),
    (ec::PAUTH, 0, false),
    (ec::LS64, 0, false),
    (ec::LS64, 1, false),
    (ec::LS64, 2, false),
    (ec::LS64, 3, false),
    (ec::LS64, 4, false),
    (ec::WFX, 0, false),
    (ec::WFX, 1, false),
    (ec::WFX, 2, false),
    (ec::WFX, 3, false),
    (ec::SMC64, 0, false),
    (ec::SMC32, 0, false),
    (ec::HVC64, 0, false),
    (ec::HVC32, 0, false),
    (ec::ERET, 0, false),
    (ec::SVC64, 0, false),
    (ec::SVC64, 0, true),
    (ec::BKPT_LOW, 0, false),
    (ec::SSTEP_LOW, 0, false),
    (ec::WPT_LOW, 0, false),
    (ec::BRK64, 0, false),
    (ec::DABT_LOW, 0x4f, false),
    (ec::IABT_LOW, 0x0f, false),
    (ec::SERROR, 0, false),
    (ec::UNKNOWN, 0, false),
];

/// `route` for every exception class it decides by EC: untrapped only HVC
/// is L1's; each control sends exactly its classes to L1 (Arm ARM: TWI
/// traps WFI/WFIT and TWE WFE/WFET; CPTR_EL2 TFP traps FP, SVE and SME, TZ
/// SVE, TSM SME; HCR_EL2.API = 0 the PAuth instructions; HCRX_EL2.EnASR
/// ST64BV (ISS 0), EnAS0 ST64BV0 (ISS 1), EnALS LD64B/ST64B (ISS 2); TSC
/// SMC; NV and HFGITR_EL2.ERET ERET; HFGITR_EL2.SVC_EL1/SVC_EL0 SVC from
/// EL1/EL0; MDCR_EL2.TDE the debug exceptions and BRK). Fine-grained
/// controls count only with FEAT_FGT and not with {E2H,TGE} = {1,1}.
///
/// Kills the `route_from` mutants (deleted match arms, LS64 ISS decoding,
/// ERET/SVC conditions) and `fp_traps -> true`; it found the LS64 ISS
/// mix-up (ISS 0 and 2 were checked against EnALS and EnASR the wrong way
/// round).
#[test]
fn other_exception_classes_follow_their_controls() {
    type Set = fn(&mut TrapConfig);
    type Probe = (u8, u32, bool);
    #[rustfmt::skip]
    let cases: &[(&str, Set, &[Probe])] = &[
        ("untrapped", |_| {}, &[]),
        ("TFP", |c| Ctl::Tfp.enable(c), &[(ec::FP, 0, false), (ec::SVE, 0, false), (ec::SME, 0, false)]),
        ("TZ", |c| Ctl::Tz.enable(c), &[(ec::SVE, 0, false)]),
        ("TSM", |c| Ctl::Tsm.enable(c), &[(ec::SME, 0, false)]),
        ("API=0", |c| c.hcr &= !hcr::API, &[(ec::PAUTH, 0, false)]),
        ("EnASR=0", |c| c.hcrx &= !hcrx::ENASR, &[(ec::LS64, 0, false)]),
        ("EnAS0=0", |c| c.hcrx &= !hcrx::ENAS0, &[(ec::LS64, 1, false)]),
        ("EnALS=0", |c| c.hcrx &= !hcrx::ENALS, &[(ec::LS64, 2, false)]),
        ("TWI", |c| c.hcr |= hcr::TWI, &[(ec::WFX, 0, false), (ec::WFX, 2, false)]),
        ("TWE", |c| c.hcr |= hcr::TWE, &[(ec::WFX, 1, false), (ec::WFX, 3, false)]),
        ("TSC", |c| c.hcr |= hcr::TSC, &[(ec::SMC64, 0, false), (ec::SMC32, 0, false)]),
        ("NV", |c| c.hcr |= hcr::NV, &[(ec::ERET, 0, false)]),
        ("HFGITR.ERET", |c| { let v = c.fgt_reg(FgtReg::Hfgitr) ^ bits::hfgitr::ERET.mask(); c.set_fgt_reg(FgtReg::Hfgitr, v) }, &[(ec::ERET, 0, false)]),
        ("HFGITR.SVC_EL1", |c| { let v = c.fgt_reg(FgtReg::Hfgitr) ^ bits::hfgitr::SVC_EL1.mask(); c.set_fgt_reg(FgtReg::Hfgitr, v) }, &[(ec::SVC64, 0, false)]),
        ("HFGITR.SVC_EL0", |c| { let v = c.fgt_reg(FgtReg::Hfgitr) ^ bits::hfgitr::SVC_EL0.mask(); c.set_fgt_reg(FgtReg::Hfgitr, v) }, &[(ec::SVC64, 0, true)]),
        ("HFGITR all, no FEAT_FGT", |c| { c.feat.fgt = false; c.set_fgt_reg(FgtReg::Hfgitr, !bits::untrapped(FgtReg::Hfgitr)) }, &[]),
        // (With the E2H = 1 layouts only: E2H would change CPTR_EL2's.)
        ("HFGITR all, E2H+TGE", |c| if c.e2h() {
            c.hcr |= hcr::TGE;
            c.set_fgt_reg(FgtReg::Hfgitr, !bits::untrapped(FgtReg::Hfgitr));
        }, &[]),
        ("TDE", |c| c.mdcr |= crate::config::mdcr::TDE, &[(ec::BKPT_LOW, 0, false), (ec::SSTEP_LOW, 0, false), (ec::WPT_LOW, 0, false), (ec::BRK64, 0, false)]),
    ];
    for e2h in [false, true] {
        for &(name, set, to_l1) in cases {
            let mut c = untrapped(e2h);
            set(&mut c);
            for &(ecv, iss, el0) in PROBES {
                let hvc = matches!(ecv, ec::HVC64 | ec::HVC32);
                let want = if hvc || to_l1.contains(&(ecv, iss, el0)) {
                    Route::ToL1
                } else {
                    Route::ToL0
                };
                let got = route_from(&c, Esr::new(ecv, iss), el0);
                assert_eq!(
                    got,
                    want,
                    "{name} (e2h={e2h}): EC {ecv:#x} ISS {iss} from EL{}",
                    u8::from(!el0)
                );
                if !el0 && ecv != ec::SVC64 {
                    assert_eq!(
                        route_from(&c, Esr::new(ecv, iss), true),
                        got,
                        "{name}: EC {ecv:#x} from EL0"
                    );
                }
            }
        }
    }
}

/// `Ctl::enable` is idempotent: enabling a control that is already on
/// changes nothing (kills the `| -> ^` mutants of `enable` that toggle
/// NV/NV1 instead of setting them).
#[test]
fn enable_is_idempotent() {
    for e2h in [false, true] {
        for &ctl in Ctl::ALL {
            let mut once = untrapped(e2h);
            ctl.enable(&mut once);
            let mut twice = once;
            ctl.enable(&mut twice);
            assert_eq!(twice, once, "{} (e2h={e2h})", ctl.name());
        }
    }
}

/// `Ctl::e2h_layout` names exactly the controls whose register bits differ
/// between the E2H = 0 and E2H = 1 layouts (checked through what `enable`
/// sets in each layout).
#[test]
fn e2h_layout_names_the_layout_dependent_controls() {
    let changed = |ctl: Ctl, e2h: bool| {
        let base = untrapped(e2h);
        let mut c = base;
        ctl.enable(&mut c);
        (
            c.cptr ^ base.cptr,
            c.cnthctl ^ base.cnthctl,
            c.hcr ^ base.hcr,
            c.mdcr ^ base.mdcr,
        )
    };
    for &ctl in Ctl::ALL {
        assert_eq!(
            ctl.e2h_layout(),
            changed(ctl, false) != changed(ctl, true),
            "{}",
            ctl.name()
        );
    }
}

/// Outside the table only the IMPLEMENTATION DEFINED space (op0 != 0 and
/// CRn 11 or 15) traps, with HCR_EL2.TIDCP; an unallocated encoding with
/// another CRn, or with op0 = 0, never does. Kills `&& -> ||` in
/// `sysreg_trap_from`.
#[test]
fn tidcp_traps_only_the_implementation_defined_space() {
    let mut c = untrapped(false);
    c.hcr |= hcr::TIDCP;
    let mut n = 0;
    for x in 0..=u16::MAX {
        let enc = Enc(x);
        if table::lookup(enc).is_some() {
            continue;
        }
        let impdef = enc.op0() != 0 && matches!(enc.crn(), 11 | 15);
        for read in [false, true] {
            let want = impdef.then_some((ec::SYSREG, Cause::Tidcp));
            assert_eq!(sysreg_trap(&c, enc, read), want, "{enc} read={read}");
        }
        n += usize::from(!impdef && (enc.op0() == 0 || !matches!(enc.crn(), 11 | 15)));
    }
    assert!(n > 10_000);
    // op0 = 0 with CRn 11 is outside the table and not IMPLEMENTATION DEFINED.
    assert_eq!(sysreg_trap(&c, Enc::new(0, 1, 11, 0, 0), true), None);
}

/// `hit_trap` / `hit_trap_from` on a looked-up row give what
/// `sysreg_trap` / `sysreg_trap_from` give (kills `hit_trap -> None`).
#[test]
fn hit_trap_matches_sysreg_trap() {
    let mut traps = 0;
    for &ctl in Ctl::ALL {
        let mut c = untrapped(false);
        ctl.enable(&mut c);
        table::for_each_encoding(|enc, hit| {
            for read in [false, true] {
                let want = sysreg_trap(&c, enc, read);
                traps += usize::from(want.is_some());
                assert_eq!(crate::route::hit_trap(&c, hit, read), want, "{enc}");
                for el0 in [false, true] {
                    assert_eq!(
                        crate::route::hit_trap_from(&c, hit, read, el0),
                        crate::route::sysreg_trap_from(&c, enc, read, el0),
                        "{enc} el0={el0}"
                    );
                }
            }
        });
    }
    assert!(traps > 1000);
}

/// Every coarse control L1 switches on (but IMO/FMO) is in effect in the
/// merged configuration, in every pair of E2H layouts (the ECV EL02 timer traps
/// included), and merging with an untrapped L1 keeps L0's registers as they
/// are (the CPTR_EL2 bits that are not trap controls, e.g. the E2H = 0
/// layout's RES1 bits, included). Kills the `merge` mutants that drop
/// CNTHCTL_EL2.EL1NVPCT/EL1NVVCT or clear L0's other CPTR_EL2 bits.
#[test]
fn merge_keeps_each_l1_control_and_l0_fields() {
    for l0_e2h in [false, true] {
        for l1_e2h in [false, true] {
            let l0 = untrapped(l0_e2h);
            // HCR_EL2.IMO/FMO are interrupt routing, which L0 supplies
            // (`merge` docs; L0 runs L2 with both set).
            for &ctl in Ctl::ALL.iter().filter(|&&c| c != Ctl::ImoFmo) {
                let mut l1 = untrapped(l1_e2h);
                ctl.enable(&mut l1);
                let m = merge(&l0, &l1);
                assert!(
                    ctl.active(&m),
                    "{} lost (l0 e2h={l0_e2h}, l1 e2h={l1_e2h})",
                    ctl.name()
                );
            }
        }
        let mut l0 = untrapped(l0_e2h);
        // CPTR_EL2's RES1 bits of the E2H = 0 layout (13, 9, 7:0) and, for
        // E2H = 1, bits that are no trap control of this crate.
        l0.cptr |= 0x22ff;
        l0.mdcr |= 6; // HPMN
        assert_eq!(merge(&l0, &untrapped(l0_e2h)).cptr, l0.cptr);
    }
}

/// MDCR_EL2.HPMN of the merge is the smaller of L0's and L1's (fewer
/// counters for EL1/EL0 is the stricter setting). Kills the `& -> |`/`^`
/// mutants of the HPMN merge.
#[test]
fn merge_takes_the_smaller_hpmn() {
    for (a, b) in [(6u64, 3u64), (2, 5), (0, 31), (31, 31), (7, 0)] {
        let mut l0 = untrapped(false);
        let mut l1 = untrapped(false);
        l0.mdcr |= a;
        l1.mdcr |= b;
        let m = merge(&l0, &l1);
        assert_eq!(m.mdcr & mdcr::HPMN, a.min(b), "{a} {b}");
        assert_eq!(m.mdcr & !mdcr::HPMN, l0.mdcr & !mdcr::HPMN);
    }
}

/// The bit constants combined with `|` in `config.rs`, `ctl.rs` and
/// `route.rs` where cargo-mutants' `| -> ^` survives are pairwise disjoint,
/// so `|` and `^` give the same value there: those mutants are equivalent
/// (listed in docs/mutants.md), and this test keeps the reason true.
#[test]
fn constants_behind_equivalent_mutants_are_disjoint() {
    let groups: &[&[u64]] = &[
        &[hcr::RW, hcr::ENABLES],
        &[mdcr::E2PB, mdcr::E2TB],
        &[cnthctl::EL1PCTEN, cnthctl::EL1PCEN],
        &[cnthctl::EL1PCTEN_E2H, cnthctl::EL1PTEN_E2H],
        &[hcr::NV, hcr::NV1, hcr::NV2],
        &[hcr::IMO, hcr::FMO],
        &[mdcr::TDA, mdcr::TDOSA, mdcr::TDRA, mdcr::TDE],
        &[cptr::FPEN, cptr::ZEN, cptr::SMEN, cptr::TTA_E2H],
        &[cptr::TFP, cptr::TZ, cptr::TSM, cptr::TTA],
        &[
            cnthctl::EL1TVT,
            cnthctl::EL1TVCT,
            cnthctl::EL1NVPCT,
            cnthctl::EL1NVVCT,
        ],
    ];
    for g in groups {
        for (i, a) in g.iter().enumerate() {
            for b in &g[i + 1..] {
                assert_eq!(a & b, 0, "{a:#x} & {b:#x}");
            }
        }
    }
}

/// The fine-grained traps are off only when HCR_EL2.{E2H, TGE} is {1, 1}
/// (Arm ARM D24.2, HFGRTR_EL2 and the other FGT registers: the traps apply
/// "when EL2 is enabled and HCR_EL2.{E2H, TGE} != {1, 1}"): TGE alone
/// (EL0 of a non-VHE host, whose exceptions go to EL2) and E2H alone keep
/// them. Kills the `& -> |` / `& -> ^` mutants of the E2H test in
/// `fgt_active`.
#[test]
fn fgts_are_off_only_with_e2h_and_tge_both_set() {
    for hcr_bits in [
        0,
        hcr::E2H,
        hcr::TGE,
        hcr::TGE | hcr::RW,
        hcr::E2H | hcr::TGE,
    ] {
        let mut c = TrapConfig::untrapped(ALL_FEAT);
        c.hcr |= hcr_bits;
        let want = hcr_bits & (hcr::E2H | hcr::TGE) != hcr::E2H | hcr::TGE;
        for r in FgtReg::ALL {
            assert_eq!(c.fgt_active(r), want, "{r:?} hcr bits {hcr_bits:#x}");
        }
    }
}
