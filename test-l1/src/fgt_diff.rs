//! fgt-diff: the `fgt` crate's predictions against QEMU (which implements
//! FEAT_FGT and the coarse traps, and is the oracle here).
//!
//! For every encoding of the table and each direction it allows, with the
//! trap registers set to: nothing trapped; each coarse control of the row
//! switched on in turn (both E2H layouts where CPTR_EL2/CNTHCTL_EL2 differ);
//! the row's fine-grained bit flipped; every coarse control at once; every
//! FGT bit at once. Code at EL1 executes the access; whether it trapped to
//! EL2, with which EC and ISS, is compared with `fgt::sysreg_trap`, and
//! every observed trap must also `fgt::route` to L1. Then the other
//! exception classes (WFI, SMC, HVC, FP, SVE, PAuth, ERET, SVC, BRK), and
//! a sweep of every encoding outside the table (which must not trap, except
//! the IMPLEMENTATION DEFINED space with HCR_EL2.TIDCP).
//!
//! Skipped, and listed with the reason: encodings QEMU does not implement
//! (UNDEFINED at EL1 without the control, and with it); FEAT_FGT2 bits
//! (QEMU has FGT = 1); untrapped WFI (it would sleep forever); WFE with
//! TWE (QEMU's WFE never sleeps, so never traps); two places where QEMU 10.0
//! lacks a trap the Arm ARM defines ([`qemu_deviation`]).
//! Prints `fgt-diff: N checks, N agree, N differ`.
//!
//! Args: `fgt-diff [fast=1]`: `fast=1` (for `scripts/mutants.sh`, one run
//! per mutant) leaves out the sweep outside the table; the default run is
//! unchanged.

use crate::el1::{self, Outcome};
use fgt::bits::{self, FgtReg};
use fgt::config::{cnthctl, cptr, hcr, mdcr};
use fgt::esr::ec;
use fgt::table::{self, Hit};
use fgt::{route_from, sysreg_trap, Ctl, Enc, Esr, Features, Route, TrapConfig};

/// Counters and the per-row skip note.
struct Diff {
    checks: u32,
    agree: u32,
    differ: u32,
    skipped: u32,
    hpmn: u64,
    amu: bool,
    /// Encodings with at least one check counted.
    exercised: u32,
}

/// What one access did at EL1.
fn describe(o: Outcome) -> (&'static str, u64) {
    match o {
        Outcome::Done(v) => ("no trap, x0", v),
        Outcome::El1(e) => ("EL1 exception, ESR_EL1", e),
        Outcome::Trap(e) => ("trap to EL2, ESR_EL2", e),
        Outcome::Other(k) => ("other EL2 vector", k),
    }
}

impl Diff {
    /// Writes every trap register except HCR_EL2 (given to the EL1 run).
    fn apply(&self, c: &TrapConfig) {
        rt::sysreg::write!("S3_4_C1_C2_2", c.hcrx);
        rt::sysreg::write!("MDCR_EL2", (c.mdcr & !mdcr::HPMN) | self.hpmn);
        rt::sysreg::write!("CPTR_EL2", c.cptr);
        rt::sysreg::write!("CNTHCTL_EL2", c.cnthctl);
        rt::sysreg::write!("S3_4_C12_C11_0", c.ich_hcr);
        rt::sysreg::write!("S3_4_C1_C1_4", c.fgt_reg(FgtReg::Hfgrtr));
        rt::sysreg::write!("S3_4_C1_C1_5", c.fgt_reg(FgtReg::Hfgwtr));
        rt::sysreg::write!("S3_4_C1_C1_6", c.fgt_reg(FgtReg::Hfgitr));
        rt::sysreg::write!("S3_4_C3_C1_4", c.fgt_reg(FgtReg::Hdfgrtr));
        rt::sysreg::write!("S3_4_C3_C1_5", c.fgt_reg(FgtReg::Hdfgwtr));
        if self.amu {
            rt::sysreg::write!("S3_4_C3_C1_6", c.fgt_reg(FgtReg::Hafgrtr));
        }
        rt::sysreg::isb();
    }

    /// Runs `code` at EL1 under `c`.
    fn exec(&self, c: &TrapConfig, code: &[u32], x0: u64) -> Outcome {
        self.apply(c);
        let safe = base(false).hcr;
        let o = el1::run(code, x0, c.hcr, safe);
        self.apply(&base(false));
        o
    }

    fn verdict(&mut self, ok: bool, what: &dyn Fn()) {
        self.checks += 1;
        if ok {
            self.agree += 1;
        } else {
            self.differ += 1;
            what();
        }
    }
}

/// The untrapped configuration QEMU's CPU is tested in (FEAT_FGT, HCX).
fn base(e2h: bool) -> TrapConfig {
    let mut c = TrapConfig::untrapped(Features {
        fgt: true,
        fgt2: false,
        hcx: true,
    });
    if e2h {
        c.hcr |= hcr::E2H;
        c.cptr = cptr::FPEN | cptr::ZEN | cptr::SMEN;
        c.cnthctl = cnthctl::EL1PCTEN_E2H | cnthctl::EL1PTEN_E2H;
    }
    c
}

/// One configuration to try on an access.
#[derive(Clone, Copy)]
enum Variant {
    Base,
    Coarse(Ctl, bool),
    Fine,
    AllCoarse,
    AllFine,
    /// HCR_EL2.{NV,NV1,NV2} = {1,0,1} with VNCR_EL2 at [`VNCR_PAGE`].
    Nv2,
}

/// The VNCR page for the NV2 checks (this helper's scratch memory).
const VNCR_PAGE: u64 = 0x5820_0000;

/// The value planted at VNCR page offset `off`.
const fn vncr_pattern(off: u64) -> u64 {
    0x5a5a_0000_0000_0000 | off
}

fn fill_vncr_page() {
    for i in 0..512u64 {
        // SAFETY: VNCR_PAGE is this helper's scratch RAM (MMU off).
        unsafe { core::ptr::write_volatile((VNCR_PAGE + 8 * i) as *mut u64, vncr_pattern(8 * i)) };
    }
}

fn vncr_word(off: u16) -> u64 {
    // SAFETY: as in `fill_vncr_page`; `off` is below 4096.
    unsafe { core::ptr::read_volatile((VNCR_PAGE + u64::from(off & 0xff8)) as *const u64) }
}

fn label(v: Variant) -> &'static str {
    match v {
        Variant::Base => "untrapped",
        Variant::Coarse(c, _) => c.name(),
        Variant::Fine => "its FGT bit",
        Variant::AllCoarse => "all coarse controls",
        Variant::AllFine => "all FGT bits",
        Variant::Nv2 => "HCR_EL2.NV+NV2",
    }
}

fn config_for(v: Variant, hit: Hit, read: bool) -> Option<TrapConfig> {
    Some(match v {
        Variant::Base => base(false),
        Variant::Coarse(ctl, e2h) => {
            let mut c = base(e2h);
            ctl.enable(&mut c);
            c
        }
        Variant::Fine => {
            let b = hit.desc.fgt(read, hit.member)?;
            let mut c = base(false);
            let v = c.fgt_reg(b.reg) ^ b.mask();
            c.set_fgt_reg(b.reg, v);
            c
        }
        Variant::AllCoarse => {
            let mut c = base(false);
            for &ctl in Ctl::ALL {
                ctl.enable(&mut c);
            }
            c
        }
        Variant::AllFine => {
            let mut c = base(false);
            for r in FgtReg::ALL {
                if !r.is_fgt2() {
                    c.set_fgt_reg(r, bits::untrapped(r) ^ bits::defined(r));
                }
            }
            c
        }
        Variant::Nv2 => {
            let mut c = base(false);
            c.hcr |= hcr::NV | hcr::NV2;
            c
        }
    })
}

/// Known places where QEMU 10.0 does not follow the Arm ARM; the crate
/// follows the Arm ARM, the access is skipped with the reason.
fn qemu_deviation(v: Variant, hit: Hit) -> Option<&'static str> {
    let name = hit.desc.name;
    match v {
        Variant::Coarse(Ctl::Tpmcr, _) if name == "PMCR_EL0" => Some(
            "QEMU 10.0 does not implement MDCR_EL2.TPMCR (Arm ARM D24.3.17: traps PMCR_EL0 at EL1/EL0)",
        ),
        Variant::Nv2 if name == "TFSR_EL2" => Some(
            "QEMU 10.0.2 crashes (SIGSEGV) on an EL1 access to TFSR_EL2 with HCR_EL2.NV2 and MTE on",
        ),
        Variant::Fine | Variant::AllFine if name == "PMUSERENR_EL0" => Some(
            "QEMU 10.0 does not implement HDFGRTR/HDFGWTR_EL2.PMUSERENR_EL0 (bit 57)",
        ),
        _ => None,
    }
}

/// Checks one access of one encoding; returns false if it must be skipped
/// because QEMU does not implement it.
fn check_access(d: &mut Diff, enc: Enc, hit: Hit, read: bool, undef_skips: &mut u32) {
    let mut absent = false;
    let insn = enc.insn(read, 0);
    // Operand: a data address for instructions, the current value for
    // register writes (read first, at EL1, untrapped), 0 for write-only.
    let mut x0 = el1::DATA;
    if !read && !matches!(hit.desc.kind, table::Kind::I) {
        x0 = 0;
        if hit.desc.kind.allows(true) {
            if let Outcome::Done(v) = d.exec(&base(false), &[enc.insn(true, 0)], 0) {
                x0 = v;
            }
        }
    }
    let mut variants: [Option<Variant>; 12] = [None; 12];
    let mut n = 0;
    let mut push = |v: Variant| {
        if n < variants.len() {
            variants[n] = Some(v);
            n += 1;
        }
    };
    push(Variant::Base);
    for &(ctl, acc) in hit.desc.coarse {
        if acc.covers(read) {
            push(Variant::Coarse(ctl, false));
            if ctl.e2h_layout() {
                push(Variant::Coarse(ctl, true));
            }
        }
    }
    if let Some(b) = hit.desc.fgt(read, hit.member) {
        if b.reg.is_fgt2() || (b.reg == FgtReg::Hafgrtr && !d.amu) {
            d.skipped += 1;
        } else {
            push(Variant::Fine);
        }
    }
    push(Variant::AllCoarse);
    push(Variant::AllFine);
    if hit.desc.coarse.iter().any(|&(c, _)| c == Ctl::Nv) {
        push(Variant::Nv2);
    }
    for v in variants.iter().take(n).flatten() {
        let Some(c) = config_for(*v, hit, read) else {
            continue;
        };
        if let Some(why) = qemu_deviation(*v, hit) {
            rt::println!(
                "fgt-diff: skip {} {} [{}]: {why}",
                hit.desc.name,
                if read { "read" } else { "write" },
                label(*v)
            );
            d.skipped += 1;
            continue;
        }
        let predicted = sysreg_trap(&c, enc, read);
        let nv2 = matches!(v, Variant::Nv2);
        let vncr = hit.desc.vncr_offset(hit.member);
        let mut x0 = x0;
        if nv2 {
            fill_vncr_page();
            if let Some(off) = vncr {
                x0 = 0xc0de_0000_0000_0000 | u64::from(off);
            }
        }
        let o = d.exec(&c, &[insn], x0);
        if nv2 {
            // A redirected write may have changed EL1 registers.
            el1::init();
        }
        // NV2 memory accesses must hit the right VNCR page offset.
        let mem_ok = match (nv2, vncr, o) {
            (true, Some(off), Outcome::Done(v)) if read => v == vncr_pattern(u64::from(off)),
            (true, Some(off), Outcome::Done(_)) => vncr_word(off) == x0,
            _ => true,
        };
        // UNDEFINED (EC 0), or EC 0x18 for the ID space with FEAT_IDST.
        if matches!(v, Variant::Base)
            && matches!(o, Outcome::El1(e) if e >> 26 == 0 || e >> 26 == 0x18)
        {
            absent = true;
        }
        if absent && matches!(o, Outcome::El1(_)) {
            // Not implemented by QEMU: UNDEFINED whatever the control.
            d.skipped += 1;
            *undef_skips += 1;
            continue;
        }
        let ok = mem_ok
            && match (predicted, o) {
                (None, Outcome::Done(_) | Outcome::El1(_)) => true,
                (Some((pec, _)), Outcome::Trap(esr)) => {
                    let esr = Esr(esr);
                    let iss_ok = pec != ec::SYSREG
                        || esr
                            .sysreg_iss()
                            .is_some_and(|s| s.enc == enc && s.read == read && s.rt == 0);
                    esr.ec() == pec && iss_ok && route_from(&c, esr, false) == Route::ToL1
                }
                _ => false,
            };
        d.verdict(ok, &|| {
            let (what, val) = describe(o);
            rt::println!(
                "fgt-diff: DIFF {} {} {} [{}]: predicted {:?}, QEMU: {} {:#x}",
                hit.desc.name,
                enc,
                if read { "read" } else { "write" },
                label(*v),
                predicted.map(|p| p.0),
                what,
                val
            );
        });
    }
}

/// Every encoding outside the table (reads of op0 2 and 3, SYS of op0 1):
/// the crate says none of them traps except the IMPLEMENTATION DEFINED
/// space with HCR_EL2.TIDCP. Tried untrapped, with every coarse control
/// plus TIDCP, and with every FGT bit; an encoding QEMU does not implement
/// (UNDEFINED at EL1 each time) counts as unallocated and is not a check.
/// A register QEMU implements and traps that the table lacks shows up here.
fn sweep_outside_table(d: &mut Diff) {
    let mut outside = 0u32;
    let mut implemented = 0u32;
    let checks0 = d.checks;
    for raw in 0x4000u32..=0xffff {
        let enc = Enc(raw as u16);
        if table::lookup(enc).is_some() {
            continue;
        }
        outside += 1;
        let read = enc.op0() != 1;
        let insn = enc.insn(read, 0);
        let mut absent = false;
        let mut seen = false;
        for v in 0..3 {
            let mut c = base(false);
            match v {
                1 => {
                    for &ctl in Ctl::ALL {
                        ctl.enable(&mut c);
                    }
                    c.hcr |= hcr::TIDCP;
                }
                2 => {
                    for r in FgtReg::ALL {
                        if !r.is_fgt2() {
                            c.set_fgt_reg(r, bits::untrapped(r) ^ bits::defined(r));
                        }
                    }
                }
                _ => {}
            }
            let predicted = sysreg_trap(&c, enc, read);
            let o = d.exec(&c, &[insn], el1::DATA);
            if v == 0 && matches!(o, Outcome::El1(e) if e >> 26 == 0 || e >> 26 == 0x18) {
                absent = true;
            }
            if absent && predicted.is_none() && matches!(o, Outcome::El1(_)) {
                continue;
            }
            seen = true;
            let ok = match (predicted, o) {
                (None, Outcome::Done(_) | Outcome::El1(_)) => true,
                (Some((pec, _)), Outcome::Trap(esr)) => {
                    Esr(esr).ec() == pec && route_from(&c, Esr(esr), false) == Route::ToL1
                }
                _ => false,
            };
            d.verdict(ok, &|| {
                let (what, val) = describe(o);
                rt::println!(
                    "fgt-diff: DIFF outside the table {} {} [{}]: predicted {:?}, QEMU: {} {:#x}",
                    enc,
                    if read { "read" } else { "SYS" },
                    ["untrapped", "all coarse controls + TIDCP", "all FGT bits"][v],
                    predicted.map(|p| p.0),
                    what,
                    val
                );
            });
        }
        if seen && !absent {
            implemented += 1;
            rt::println!(
                "fgt-diff: sweep: {} implemented at EL1, not in the table",
                enc
            );
        }
    }
    rt::println!(
        "fgt-diff: sweep: {} encodings outside the table, {} of them implemented by QEMU at EL1, {} checks",
        outside,
        implemented,
        d.checks - checks0
    );
}

/// The other exception classes L1 can ask to trap.
fn check_classes(d: &mut Diff) {
    const SMC0: u32 = 0xd400_0003;
    const FMOV_D0_XZR: u32 = 0x9e67_03e0;
    const PTRUE_P0_B: u32 = 0x2518_e3e0;
    const PACIA_X0_X1: u32 = 0xdac1_0020;
    const SVC0: u32 = 0xd400_0001;
    const BRK0: u32 = 0xd420_0000;
    const ERET: u32 = 0xd69f_03e0;
    let elr = Enc::new(3, 0, 4, 0, 1).insn(false, 1);
    let spsr = Enc::new(3, 0, 4, 0, 0).insn(false, 2);
    // adr x1, #20 ; msr elr_el1, x1 ; movz x2, #0x3c5 ; msr spsr_el1, x2 ; eret
    let eret_seq = [0x1000_00a1, elr, 0xd280_78a2, spsr, ERET];
    let hvc5 = [el1::hvc(5)];
    type Setup = fn(&mut TrapConfig);
    let cases: &[(&str, &[u32], u8, u32, Setup)] = &[
        ("SMC", &[SMC0], ec::SMC64, 0, |c| c.hcr |= hcr::TSC),
        ("HVC", &hvc5, ec::HVC64, 5, |_| {}),
        ("FP", &[FMOV_D0_XZR], ec::FP, 0, |c| Ctl::Tfp.enable(c)),
        ("SVE", &[PTRUE_P0_B], ec::SVE, 0, |c| Ctl::Tz.enable(c)),
        ("PAuth", &[PACIA_X0_X1], ec::PAUTH, 0, |c| {
            c.hcr &= !hcr::API
        }),
        ("ERET/NV", &eret_seq, ec::ERET, 0, |c| c.hcr |= hcr::NV),
        ("ERET/FGT", &eret_seq, ec::ERET, 0, |c| {
            c.set_fgt_reg(FgtReg::Hfgitr, bits::hfgitr::ERET.mask())
        }),
        ("SVC/FGT", &[SVC0], ec::SVC64, 0, |c| {
            c.set_fgt_reg(FgtReg::Hfgitr, bits::hfgitr::SVC_EL1.mask())
        }),
        ("BRK/TDE", &[BRK0], ec::BRK64, 0, |c| c.mdcr |= mdcr::TDE),
    ];
    for &(name, code, want_ec, iss, setup) in cases {
        for e2h in [false, true] {
            if e2h && !matches!(want_ec, ec::FP | ec::SVE) {
                continue;
            }
            for on in [false, true] {
                let mut c = base(e2h);
                if on {
                    setup(&mut c);
                }
                let predicted = route_from(&c, Esr::new(want_ec, iss), false) == Route::ToL1;
                let o = d.exec(&c, code, 0);
                let ok = match o {
                    Outcome::Trap(e) => predicted && Esr(e).ec() == want_ec,
                    Outcome::Done(_) | Outcome::El1(_) => !predicted,
                    Outcome::Other(_) => false,
                };
                d.verdict(ok, &|| {
                    let (what, val) = describe(o);
                    rt::println!(
                        "fgt-diff: DIFF {name} e2h={e2h} control={on}: predicted trap={predicted}, QEMU: {what} {val:#x}"
                    );
                });
            }
        }
    }
    rt::println!("fgt-diff: skip WFI without TWI: an untrapped WFI would sleep forever");
    rt::println!(
        "fgt-diff: skip WFE with TWE: QEMU's WFE never enters a low-power state, so it never takes the trap (allowed by the Arm ARM; see QEMU HELPER(wfe))"
    );
    d.skipped += 2;
    let mut c = base(false);
    c.hcr |= hcr::TWI;
    let o = d.exec(&c, &[0xd503_207f], 0);
    let ok = matches!(o, Outcome::Trap(e) if Esr(e).ec() == ec::WFX)
        && route_from(&c, Esr::new(ec::WFX, 0), false) == Route::ToL1;
    d.verdict(ok, &|| rt::println!("fgt-diff: DIFF WFI/TWI: QEMU {:?}", o));
}

/// Runs the test; returns the exit code (0 = pass).
pub fn run(args: &str) -> u32 {
    let fast = args.split_whitespace().any(|w| w == "fast=1");
    if rt::current_el() != 2 {
        rt::println!("fgt-diff: needs EL2 (bare QEMU)");
        return 1;
    }
    let mmfr0 = rt::sysreg::read!("ID_AA64MMFR0_EL1");
    let mmfr1 = rt::sysreg::read!("ID_AA64MMFR1_EL1");
    let pfr0 = rt::sysreg::read!("ID_AA64PFR0_EL1");
    let fgt = (mmfr0 >> 56) & 0xf;
    let hcx = (mmfr1 >> 40) & 0xf;
    let amu = (pfr0 >> 44) & 0xf;
    rt::println!(
        "fgt-diff: ID_AA64MMFR0_EL1.FGT={fgt} ID_AA64MMFR1_EL1.HCX={hcx} ID_AA64PFR0_EL1.AMU={amu}"
    );
    if fgt == 0 || hcx == 0 {
        rt::println!("fgt-diff: this CPU lacks FEAT_FGT or FEAT_HCX");
        return 1;
    }
    if fgt >= 2 {
        rt::println!("fgt-diff: note: FGT2 present but not exercised (FGT2 is tested on the host)");
    }
    let mut d = Diff {
        checks: 0,
        agree: 0,
        differ: 0,
        skipped: 0,
        hpmn: rt::sysreg::read!("MDCR_EL2") & mdcr::HPMN,
        amu: amu != 0,
        exercised: 0,
    };
    crate::exc::install_el2_vectors();
    el1::init();
    // VNCR_EL2 (used only while HCR_EL2.NV2 is set).
    rt::sysreg::write!("S3_4_C2_C2_0", VNCR_PAGE);
    d.apply(&base(false));

    let mut last_row: *const table::Desc = core::ptr::null();
    let mut row_absent = 0u32;
    let mut row_total = 0u32;
    let flush = |name: &str, absent: u32, total: u32| {
        if absent > 0 {
            rt::println!(
                "fgt-diff: skip {name}: {absent} checks over {total} accesses: UNDEFINED at EL1 with and without the control (not implemented by QEMU)"
            );
        }
    };
    let mut last_name = "";
    let mut total = 0u32;
    table::for_each_encoding(|enc, hit| {
        total += 1;
        let before = d.checks;
        if !core::ptr::eq(last_row, hit.desc) {
            flush(last_name, row_absent, row_total);
            last_row = hit.desc;
            last_name = hit.desc.name;
            row_absent = 0;
            row_total = 0;
        }
        for read in [true, false] {
            if !hit.desc.kind.allows(read) {
                continue;
            }
            check_access(&mut d, enc, hit, read, &mut row_absent);
            row_total += 1;
        }
        if d.checks > before {
            d.exercised += 1;
        }
    });
    flush(last_name, row_absent, row_total);
    check_classes(&mut d);
    if fast {
        rt::println!("fgt-diff: fast mode: the sweep outside the table is not run");
    } else {
        sweep_outside_table(&mut d);
    }
    rt::println!(
        "fgt-diff: {} skipped (FGT2 bits, features QEMU lacks, WFI/WFE, QEMU deviations); {} of {} encodings exercised",
        d.skipped,
        d.exercised,
        total
    );
    rt::println!(
        "fgt-diff: {} checks, {} agree, {} differ",
        d.checks,
        d.agree,
        d.differ
    );
    u32::from(d.differ != 0 || d.checks == 0)
}
