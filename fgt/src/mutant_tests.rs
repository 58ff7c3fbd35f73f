//! Host tests for rules that `scripts/mutants.sh` (cargo-mutants over
//! `route.rs`, `config.rs`, `ctl.rs` and arch's `esr.rs`) found no test
//! checking: each kills the surviving mutants named in its comment.

use crate::bits::{self, FgtReg};
use crate::config::{cnthctl, cptr, hcr, hcrx, Features, TrapConfig};
use crate::ctl::Ctl;
use crate::esr::{ec, Enc, Esr};
use crate::route::{route, route_from, sysreg_trap, Cause, Route};
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
