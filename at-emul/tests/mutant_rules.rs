//! Rules that `scripts/mutants.sh` (cargo-mutants over s1, s2, attrs, at
//! and walk, host tests plus the at-diff fast mode on QEMU) found no test
//! checking; each test names the surviving mutants it kills. Many need
//! features or registers QEMU's `-cpu max` cannot show (PARange below 52
//! bits, no FEAT_TTST, HCR_EL2.PTW, direct API values).
mod common;
use at_emul::attrs::{s2_is_device, s2_to_mair};
use at_emul::s1::{self, sctlr, tcr, Regime, S1Config};
use at_emul::s2::{self, hcr, S2Config};
use at_emul::{at, Access, AtOp, FaultKind, Features, Granule, Ipa, Va};
use common::*;

/// The assembler names of the AT operations (kills `AtOp::name -> ""`).
#[test]
fn at_op_names() {
    let names: Vec<&str> = AtOp::ALL.iter().map(|op| op.name()).collect();
    assert_eq!(
        names,
        [
            "s1e0r", "s1e0w", "s1e1r", "s1e1w", "s1e1rp", "s1e1wp", "s1e2r", "s1e2w", "s12e0r",
            "s12e0w", "s12e1r", "s12e1w"
        ]
    );
}

/// HCR_EL2 as translation sees it (Arm ARM D24.2, HCR_EL2: with TGE, PTW
/// behaves as 0; with E2H and TGE, also VM, DC and CD). Kills the
/// `effective_hcr` mutants (with {E2H,TGE} = {1,1} no AT operation looks
/// at VM, DC or CD, so only the value itself shows them).
#[test]
fn effective_hcr_clears_what_tge_and_e2h_disable() {
    let all = hcr::VM | hcr::PTW | hcr::DC | hcr::CD | hcr::FWB;
    assert_eq!(at::effective_hcr(all), all);
    assert_eq!(at::effective_hcr(all | hcr::E2H), all | hcr::E2H);
    assert_eq!(
        at::effective_hcr(all | hcr::TGE),
        (all & !hcr::PTW) | hcr::TGE
    );
    assert_eq!(
        at::effective_hcr(all | hcr::TGE | hcr::E2H),
        hcr::FWB | hcr::TGE | hcr::E2H
    );
    assert_eq!(
        at::effective_hcr(u64::MAX) & (all | hcr::TGE | hcr::E2H),
        hcr::FWB | hcr::TGE | hcr::E2H
    );
    assert_eq!(at::effective_hcr(0), 0);
}

/// Stage-2 Device memory (Arm ARM D8.6.5): `MemAttr[3:2]` == 0, or with
/// HCR_EL2.FWB `MemAttr[2]` == 0. Used only for HCR_EL2.PTW, which at-diff
/// leaves out (QEMU deviates there): kills the `s2_is_device` mutants.
#[test]
fn s2_device_memattr_with_and_without_fwb() {
    for m in 0u8..16 {
        assert_eq!(s2_is_device(0, m), m >> 2 == 0, "MemAttr {m:#06b}");
        assert_eq!(
            s2_is_device(hcr::FWB, m),
            m & 4 == 0,
            "FWB MemAttr {m:#06b}"
        );
        assert_eq!(s2_is_device(hcr::FWB | hcr::CD, m), m & 4 == 0);
    }
}

/// Stage-2 MemAttr (FWB = 0) as a MAIR byte (Arm ARM D8.6.5, pseudocode
/// S2ConvertAttrsHints: cacheable types get the read/write-allocate hints,
/// HCR_EL2.CD makes them Non-cacheable). The hints never reach a combined
/// attribute (stage 1's win), so only the value shows them: kills the
/// `<< -> >>` mutant of the outer hint.
#[test]
fn s2_memattr_to_mair_with_allocation_hints() {
    #[rustfmt::skip]
    let cases: &[(u8, u8)] = &[
        (0b0000, 0x00), (0b0001, 0x04), (0b0010, 0x08), (0b0011, 0x0c),
        (0b0101, 0x44), (0b0110, 0x4b), (0b0111, 0x4f), (0b1010, 0xbb),
        (0b1011, 0xbf), (0b1101, 0xf4), (0b1110, 0xfb), (0b1111, 0xff),
        (0b1001, 0xb4),
    ];
    for &(m, want) in cases {
        assert_eq!(s2_to_mair(0, m), want, "MemAttr {m:#06b}");
    }
    for m in 4u8..16 {
        assert_eq!(s2_to_mair(hcr::CD, m), 0x44, "CD, MemAttr {m:#06b}");
    }
    for m in 0u8..4 {
        assert_eq!(
            s2_to_mair(hcr::CD, m),
            m << 2,
            "CD, Device MemAttr {m:#06b}"
        );
    }
}

const F: Features = Features::QEMU_MAX;
const ROOT: u64 = 0x4000_0000;
const ROOT1: u64 = 0x4010_0000;
const T2: u64 = 0x4002_0000;
const T3: u64 = 0x4003_0000;
/// AP[2:1] = 0b01: EL0 and EL1 read/write.
const AP_RW_ALL: u64 = 1 << 6;
const AP_RO_ALL: u64 = 3 << 6;
const DBM: u64 = 1 << 51;
/// TCR_EL1: T0SZ=T1SZ=25 (39-bit), TG0 4KB, TG1 4KB, IPS 48 bits.
const TCR39: u64 = 25 | (25 << 16) | (2 << 30) | (5 << 32);
/// TCR_EL2 (E2H = 0): T0SZ=25, TG0 4KB, PS 48 bits.
const TCR2_39: u64 = 25 | (5 << 16);

fn el1(tcr: u64) -> S1Config {
    S1Config {
        regime: Regime::El10,
        sctlr: sctlr::M,
        tcr,
        ttbr0: ROOT,
        ttbr1: ROOT1,
        mair: 0x44ff_0004_bbaa_ff00,
        hcr: 0,
        el0: false,
        pan: false,
        features: F,
    }
}

fn el2(tcr: u64) -> S1Config {
    S1Config {
        regime: Regime::El2,
        ..el1(tcr)
    }
}

/// Maps `va` with a 4KB page at level 3 under a 39-bit 4KB table at `root`.
fn page39(m: &mut Mem, root: u64, va: u64, leaf: u64) {
    path(m, Granule::K4, root, 1, 9, va, 3, leaf, &[T2, T3]);
}

/// FEAT_HAFDBS dirty state needs TCR.HD as well as HA (Arm ARM D8.5.2):
/// with HA alone a write to a read-only DBM page is a Permission fault and
/// nothing is written. Both the EL1&0 (HD bit 40) and the EL2 (bit 22)
/// layouts. Kills `& -> |`/`^` on `tcr::HD` and `tcr::EL2_HD`.
#[test]
fn s1_dirty_state_needs_hd_not_only_ha() {
    let va = 0x1000u64;
    let leaf = 0x9000_0000 | PAGE | AF | AP_RO_ALL | DBM;
    for (c_ha, c_hahd) in [
        (el1(TCR39 | tcr::HA), el1(TCR39 | tcr::HA | tcr::HD)),
        (
            el2(TCR2_39 | tcr::EL2_HA),
            el2(TCR2_39 | tcr::EL2_HA | tcr::EL2_HD),
        ),
    ] {
        let mut m = Mem::new();
        page39(&mut m, ROOT, va, leaf);
        let e = s1::walk(&c_ha, Va(va), &mut m, Access::Write, None).unwrap_err();
        assert_eq!(
            (e.kind, e.level),
            (FaultKind::Permission, 3),
            "{:?}",
            c_ha.regime
        );
        let t = s1::walk(&c_hahd, Va(va), &mut m, Access::Write, None).unwrap();
        assert_eq!(t.update.map(|u| u.new), Some(leaf & !(1 << 7)));
        // A read needs no dirty state: no update either way.
        let t = s1::walk(&c_hahd, Va(va), &mut m, Access::Read, None).unwrap();
        assert_eq!(t.update, None);
    }
}

/// SCTLR_ELx.WXN (Arm ARM D8.4.1.2): writable memory is never executable,
/// at EL0 (EL0-writable) or EL1 (EL1-writable). `AT` checks no execute
/// permission, so at-diff cannot see it. Kills `WXN = 1 << 19 -> 1 >> 19`.
#[test]
fn s1_wxn_makes_writable_memory_execute_never() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF | AP_RW_ALL);
    let mut c = el1(TCR39);
    // AP = 0b01 is EL0-writable: never executable at EL1 (Arm ARM R_QMCVR).
    let t = s1::walk(&c, Va(va), &mut m, Access::Read, None).unwrap();
    assert!(t.perms.exec_el0 && !t.perms.exec_priv);
    c.sctlr |= sctlr::WXN;
    let t = s1::walk(&c, Va(va), &mut m, Access::Read, None).unwrap();
    assert!(!t.perms.exec_el0 && !t.perms.exec_priv);
    // EL1-only read/write memory: executable at EL1 unless WXN.
    let mut m = Mem::new();
    page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF);
    let mut c = el1(TCR39);
    assert!(s1::walk(&c, Va(va), &mut m, Access::Exec, None).is_ok());
    c.sctlr |= sctlr::WXN;
    let e = s1::walk(&c, Va(va), &mut m, Access::Exec, None).unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::Permission, 3));
    // Read-only memory stays executable with WXN.
    let mut m = Mem::new();
    page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF | AP_RO_ALL);
    assert!(s1::walk(&c, Va(va), &mut m, Access::Exec, None).is_ok());
}

/// With the MMU off, every VA bit from PAMax up to bit 63 (55 with TBI)
/// must be 0 (Arm ARM D8.2.11): bit 63 and bit 62 alone fault too. Kills
/// the `+ -> -`/`*` mutants of the bound.
#[test]
fn s1_mmu_off_checks_every_bit_above_pamax() {
    let c = S1Config {
        sctlr: 0,
        ..el1(TCR39)
    };
    for bit in [52, 55, 56, 61, 62, 63] {
        let e = s1::walk(&c, Va(1 << bit), &mut Mem::new(), Access::Read, None).unwrap_err();
        assert_eq!((e.kind, e.level), (FaultKind::AddressSize, 0), "bit {bit}");
    }
    // With TBI0 the top byte is ignored, bits 52..55 still checked.
    let c = S1Config {
        tcr: TCR39 | tcr::TBI0,
        ..c
    };
    assert!(s1::walk(
        &c,
        Va(0x7f00_0000_0000_1000),
        &mut Mem::new(),
        Access::Read,
        None
    )
    .is_ok());
    assert!(s1::walk(&c, Va(1 << 55), &mut Mem::new(), Access::Read, None).is_err());
}

/// HD without HA does nothing (Arm ARM D8.5.2: dirty state management
/// needs the Access flag management too). Kills `&& -> ||` in the
/// stage-1 `hd` parameter.
#[test]
fn s1_hd_without_ha_updates_nothing() {
    let va = 0x1000u64;
    let leaf = 0x9000_0000 | PAGE | AF | AP_RO_ALL | DBM;
    let mut m = Mem::new();
    page39(&mut m, ROOT, va, leaf);
    let e = s1::walk(&el1(TCR39 | tcr::HD), Va(va), &mut m, Access::Write, None).unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::Permission, 3));
}

/// Stage-1 execute permissions (Arm ARM D8.4.1.2, D8.4.1.3; `AT` checks
/// none, so at-diff cannot): UXN/PXN, EL0-writable memory never executable
/// at EL1, WXN, XNTable/PXNTable, the EL2 regime's XN (bit 54), and with
/// HCR_EL2.{NV,NV1} = {1,1} bit 54 as PXN and UXN as 0. Kills the
/// `exec_el0`/`exec_priv`, `uxn`/`pxn` and WXN mutants of `s1::walk`.
#[test]
fn s1_execute_permissions() {
    const UXN: u64 = 1 << 54;
    const PXN: u64 = 1 << 53;
    let va = 0x1000u64;
    // (regime config, leaf bits, table bits on the level-1 entry,
    //  want exec_el0, want exec_priv)
    let nvnv1 = S1Config {
        hcr: hcr::NV | hcr::NV1,
        ..el1(TCR39)
    };
    let wxn = S1Config {
        sctlr: sctlr::M | sctlr::WXN,
        ..el1(TCR39)
    };
    let wxn2 = S1Config {
        sctlr: sctlr::M | sctlr::WXN,
        ..el2(TCR2_39)
    };
    #[rustfmt::skip]
    let cases: &[(&str, S1Config, u64, u64, bool, bool)] = &[
        ("EL1 RW", el1(TCR39), 0, 0, true, true),
        ("EL1 RO", el1(TCR39), AP_RO_ALL, 0, true, true),
        ("EL0 RW: no EL1 exec", el1(TCR39), AP_RW_ALL, 0, true, false),
        ("UXN", el1(TCR39), UXN, 0, false, true),
        ("PXN", el1(TCR39), PXN, 0, true, false),
        ("UXN+PXN", el1(TCR39), UXN | PXN, 0, false, false),
        ("XNTable", el1(TCR39), 0, 1 << 60, false, true),
        ("PXNTable", el1(TCR39), 0, 1 << 59, true, false),
        ("WXN, EL1 RW", wxn, 0, 0, true, false),
        ("WXN, EL0 RW", wxn, AP_RW_ALL, 0, false, false),
        ("WXN, RO", wxn, AP_RO_ALL, 0, true, true),
        ("NV+NV1: bit 54 is PXN", nvnv1, UXN, 0, true, false),
        ("NV+NV1: bit 53 ignored", nvnv1, PXN, 0, true, true),
        ("NV+NV1: AP[1] is 0", nvnv1, AP_RW_ALL, 0, true, true),
        ("EL2", el2(TCR2_39), 0, 0, false, true),
        ("EL2 XN", el2(TCR2_39), UXN, 0, false, false),
        ("EL2 bit 53", el2(TCR2_39), PXN, 0, false, true),
        ("EL2 WXN, RW", wxn2, 0, 0, false, false),
        ("EL2 WXN, RO", wxn2, AP_RO_ALL, 0, false, true),
    ];
    for (name, c, leaf_bits, table_bits, x0, x1) in cases {
        let mut m = Mem::new();
        page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF | leaf_bits);
        let l1 = ROOT + ix(va, 1, Granule::K4) * 8;
        let d = m.words[&l1];
        m.set(l1, d | table_bits);
        let t = s1::walk(c, Va(va), &mut m, Access::Read, None).unwrap();
        assert_eq!((t.perms.exec_el0, t.perms.exec_priv), (*x0, *x1), "{name}");
        for el0 in [false, true] {
            let c = S1Config { el0, ..*c };
            let r = s1::walk(&c, Va(va), &mut m, Access::Exec, None);
            let allowed = if el0 { *x0 } else { *x1 };
            // EL0 has no data access to EL1-only pages, but instruction
            // fetch permission is separate.
            assert_eq!(
                r.is_ok(),
                allowed,
                "{name}: fetch from EL{}",
                u8::from(!el0)
            );
        }
    }
}

/// The nG and Contiguous bits of a stage-1 leaf, and the Contiguous bit
/// of a stage-2 leaf, are reported (Arm ARM D8.3.2, D8.6.1; PAR_EL1 has
/// neither). Kills the `ng`/`contiguous` mutants of both walks.
#[test]
fn leaf_ng_and_contiguous_are_reported() {
    const NG: u64 = 1 << 11;
    const CONTIG: u64 = 1 << 52;
    let va = 0x1000u64;
    for bits in [0, NG, CONTIG, NG | CONTIG] {
        let mut m = Mem::new();
        page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF | bits);
        let t = s1::walk(&el1(TCR39), Va(va), &mut m, Access::Read, None).unwrap();
        assert_eq!((t.ng, t.contiguous), (bits & NG != 0, bits & CONTIG != 0));
        // Stage 2 (4KB, SL0 = 1, 39-bit IPA).
        let mut m = Mem::new();
        page39(
            &mut m,
            ROOT,
            va,
            0x9000_0000 | PAGE | AF | (3 << 6) | (0xf << 2) | bits,
        );
        let c = S2Config::new(25 | (1 << 6) | (5 << 16), ROOT, hcr::VM, 0, F);
        let t = s2::walk(&c, Ipa(va), &mut m, Access::Read).unwrap();
        assert_eq!(t.contiguous, bits & CONTIG != 0);
    }
}

/// Stage-2 permissions without FEAT_XNX: only `XN[1]` (bit 54) counts, for
/// EL0 and EL1 alike (Arm ARM D8.4.2). Kills the non-XNX `s2_perms`
/// mutants (QEMU's `-cpu max` has FEAT_XNX).
#[test]
fn s2_execute_never_without_xnx() {
    let ipa = 0x1000u64;
    let f = Features { xnx: false, ..F };
    for xn in 0u64..4 {
        let mut m = Mem::new();
        page39(
            &mut m,
            ROOT,
            ipa,
            0x9000_0000 | PAGE | AF | (3 << 6) | (0xf << 2) | (xn << 53),
        );
        let c = S2Config::new(25 | (1 << 6) | (5 << 16), ROOT, hcr::VM, 0, f);
        let t = s2::walk(&c, Ipa(ipa), &mut m, Access::Read).unwrap();
        let x = xn & 2 == 0;
        assert_eq!((t.perms.exec_el0, t.perms.exec_priv), (x, x), "XN {xn:#b}");
        assert_eq!(
            s2::walk_el0(&c, Ipa(ipa), &mut m, Access::Exec, true).is_ok(),
            x
        );
        assert_eq!(s2::walk(&c, Ipa(ipa), &mut m, Access::Exec).is_ok(), x);
        // With FEAT_XNX: 0b00 both, 0b01 EL0 only (priv XN), 0b10 none,
        // 0b11 EL1 only.
        let c = S2Config::new(25 | (1 << 6) | (5 << 16), ROOT, hcr::VM, 0, F);
        let t = s2::walk(&c, Ipa(ipa), &mut m, Access::Read).unwrap();
        let want = [(true, true), (true, false), (false, false), (false, true)][xn as usize];
        assert_eq!((t.perms.exec_el0, t.perms.exec_priv), want, "XNX {xn:#b}");
    }
}

/// VTCR_EL2.TG0 as bits `[15:14]`.
fn tg(g: Granule) -> u64 {
    match g {
        Granule::K4 => 0,
        Granule::K64 => 1 << 14,
        Granule::K16 => 2 << 14,
    }
}

/// The stage-2 start levels that depend on the PE (Arm ARM D8.2.5,
/// AArch64.S2InvalidSL): 4KB SL0 = 2 (level 0) needs PAMax >= 44 bits and
/// SL0 = 3 (level 3) FEAT_TTST; 16KB SL0 = 2 (level 1) needs PAMax >= 42
/// and SL0 = 3 (level 0) DS; 64KB SL0 = 2 (level 1) needs PAMax >= 44 and
/// SL0 = 3 is reserved. QEMU's `-cpu max` has 52 bits, TTST and LPA2, so
/// at-diff sees none of the invalid cases: kills the `s2_start_level`
/// guard mutants.
#[test]
fn s2_start_level_depends_on_pamax_ttst_and_ds() {
    // Aligned to every granule: the output is the page base.
    let ipa = 0x1_0000u64;
    // (granule, SL0, T0SZ, DS, PARange, start level if valid)
    type Case = (Granule, u64, u64, bool, u8, Option<i8>);
    #[rustfmt::skip]
    let cases: &[Case] = &[
        (Granule::K4, 2, 22, false, 3, None),      // 42-bit PAMax
        (Granule::K4, 2, 22, false, 4, Some(0)),   // 44
        (Granule::K4, 2, 22, false, 6, Some(0)),
        (Granule::K16, 2, 24, false, 2, None),     // 40
        (Granule::K16, 2, 24, false, 3, Some(1)),  // 42
        (Granule::K16, 3, 16, false, 6, None),     // no DS
        (Granule::K16, 3, 16, true, 6, Some(0)),
        (Granule::K64, 2, 20, false, 3, None),     // 42
        (Granule::K64, 2, 20, false, 4, Some(1)),  // 44
        (Granule::K64, 3, 20, false, 6, None),     // reserved
        (Granule::K64, 3, 24, false, 6, None),
    ];
    for &(g, sl0, t0sz, ds, pa_range, want) in cases {
        let vtcr =
            t0sz | (sl0 << 6) | tg(g) | (u64::from(pa_range) << 16) | if ds { 1 << 32 } else { 0 };
        let f = Features { pa_range, ..F };
        let iasize = 64 - t0sz as u32;
        let mut m = Mem::new();
        if let Some(start) = want {
            let root_bits = iasize - (g.bits() + g.stride() * (3 - start) as u32);
            let tables = [0x4001_0000, 0x4002_0000, 0x4003_0000];
            path(
                &mut m,
                g,
                ROOT,
                start,
                root_bits,
                ipa,
                3,
                0x9000_0000 | PAGE | AF | (3 << 6),
                &tables,
            );
        }
        let r = s2::walk(
            &S2Config::new(vtcr, ROOT, hcr::VM, 0, f),
            Ipa(ipa),
            &mut m,
            Access::Read,
        );
        match want {
            Some(_) => assert_eq!(
                r.map(|t| (t.pa.0, t.level)),
                Ok((0x9000_0000, 3)),
                "{g:?} SL0={sl0} PARange={pa_range}"
            ),
            None => {
                let e = r.unwrap_err();
                assert_eq!(
                    (e.kind, e.level, m.reads.len()),
                    (FaultKind::Translation, 0, 0),
                    "{g:?} SL0={sl0} PARange={pa_range}"
                );
            }
        }
    }
    // 4KB SL0 = 3 (start at level 3) needs FEAT_TTST, also with T0SZ = 39
    // (25-bit IPA: 16 concatenated level-3 tables), which is in range
    // without it.
    let vtcr = 39 | (3 << 6) | (5 << 16);
    let mut m = Mem::new();
    m.set(ROOT + (ipa >> 12) * 8, 0x9000_0000 | PAGE | AF | (3 << 6));
    let ok = s2::walk(
        &S2Config::new(vtcr, ROOT, hcr::VM, 0, F),
        Ipa(ipa),
        &mut m,
        Access::Read,
    )
    .unwrap();
    assert_eq!((ok.pa.0, ok.level), (0x9000_0000, 3));
    let nost = Features { st: false, ..F };
    let e = s2::walk(
        &S2Config::new(vtcr, ROOT, hcr::VM, 0, nost),
        Ipa(ipa),
        &mut m,
        Access::Read,
    )
    .unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::Translation, 0));
}

/// The largest input size a stage-2 start level takes is 4 bits above
/// its table (16 concatenated tables, Arm ARM D8.2.6): one more is a
/// level-0 Translation fault, for each granule. Kills the `- -> /` mutant
/// of the bound.
#[test]
fn s2_at_most_16_concatenated_start_tables() {
    // (granule, SL0, start level): the largest IPA is
    // bits + stride * (4 - start) + 4.
    for (g, sl0, start) in [
        (Granule::K4, 0u64, 2i8),
        (Granule::K4, 1, 1),
        (Granule::K16, 1, 2),
        (Granule::K64, 1, 2),
    ] {
        let largest = g.bits() + g.stride() * (3 - start) as u32 + g.stride() + 4;
        for (iasize, ok) in [(largest, true), (largest + 1, false)] {
            let t0sz = u64::from(64 - iasize);
            let vtcr = t0sz | (sl0 << 6) | tg(g) | (6 << 16);
            let r = s2::walk(
                &S2Config::new(vtcr, ROOT, hcr::VM, 0, F),
                Ipa(0x1000),
                &mut Mem::new(),
                Access::Read,
            );
            let e = r.unwrap_err();
            // A valid configuration reads the (empty) table: a Translation
            // fault at the start level; an invalid one reads nothing.
            let want = if ok { start } else { 0 };
            assert_eq!(
                (e.kind, e.level),
                (FaultKind::Translation, want),
                "{g:?} SL0={sl0} {iasize}-bit IPA"
            );
        }
    }
}

/// A 52-bit output address puts TTBR BADDR[51:48] in bits [5:2] (Arm ARM
/// D8.2.4): the first descriptor read is above 2^48. QEMU's at-diff tables
/// live below 2^31, so only this shows it. Kills the `>>`/`<<` mutants of
/// the base address.
#[test]
fn ttbr_baddr_51_48_in_bits_5_2_for_52bit_oa() {
    // Stage 2, 64KB granule, PS = 52 bits, T0SZ = 22 (42-bit IPA), SL0 = 1
    // (start level 2), base 0x000a_0000_4000_0000 (BADDR[51:48] = 0xa).
    let base = 0x4000_0000u64;
    let ttb = base | (0xa << 2);
    let vtcr = 22 | (1 << 6) | (1 << 14) | (6 << 16);
    let mut m = Mem::new();
    let _ = s2::walk(
        &S2Config::new(vtcr, ttb, hcr::VM, 0, F),
        Ipa(0x1_0000),
        &mut m,
        Access::Read,
    );
    assert_eq!(m.reads.first().copied(), Some((0xa << 48) | base));
    // Stage 1, 4KB with DS (IPS = 52 bits).
    let tcr = 25 | (25 << 16) | (2 << 30) | (6 << 32) | tcr::DS;
    let c = S1Config {
        ttbr0: ttb,
        ..el1(tcr)
    };
    let mut m = Mem::new();
    let _ = s1::walk(&c, Va(0x1000), &mut m, Access::Read, None);
    assert_eq!(m.reads.first().copied(), Some((0xa << 48) | base));
}

/// A combined Device or Normal Non-cacheable result is Outer Shareable
/// whatever the two stages say (Arm ARM D8.6.7). PAR_EL1.SH forces the
/// same again (`par_shareability`), so at-diff cannot tell: the value
/// `combine` returns shows it. Kills `|| -> &&` in `combine`.
#[test]
fn combine_makes_device_and_non_cacheable_outer_shareable() {
    use at_emul::attrs::{combine, SH_INNER, SH_NON, SH_OUTER};
    // (stage-1 MAIR byte, stage-2 MemAttr, FWB)
    for (s1, s2, h) in [
        (0x00u8, 0b1111u8, 0u64), // stage-1 Device
        (0xff, 0b0001, 0),        // stage-2 Device
        (0x44, 0b1111, 0),        // stage-1 Non-cacheable
        (0xff, 0b0101, 0),        // stage-2 Non-cacheable
        (0xff, 0b0101, hcr::FWB), // FWB: Non-cacheable
        (0xff, 0b0000, hcr::FWB), // FWB: Device
    ] {
        for (sh1, sh2) in [
            (SH_NON, SH_NON),
            (SH_INNER, SH_NON),
            (SH_NON, SH_INNER),
            (SH_INNER, SH_INNER),
        ] {
            let (attr, sh) = combine(h, s1, sh1, s2, sh2);
            assert_eq!(sh, SH_OUTER, "{s1:#x} + {s2:#06b} = {attr:#x}");
        }
    }
    // A Write-Back result keeps the stricter of the two.
    assert_eq!(combine(0, 0xff, SH_NON, 0b1111, SH_INNER), (0xff, SH_INNER));
    assert_eq!(combine(0, 0xff, SH_NON, 0b1111, SH_NON), (0xff, SH_NON));
}

/// Cacheability of a two-stage translation with HCR_EL2.FWB = 0 (Arm ARM
/// D8.6.6): each of the inner and outer nibbles is the weaker of the two
/// stages, Non-cacheable < Write-Through < Write-Back, with stage 1's
/// allocation hints. A stage-1 Write-Through nibble (0b00RW transient,
/// 0b10RW) is kept whatever stage 2 says (the transient one too); a
/// stage-1 Write-Back nibble 0b11RW over stage-2 Write-Through becomes
/// 0b10RW. (Transient Write-Back over Write-Through is left out: QEMU, and
/// at-emul after it, give 0b10RW, dropping the transient hint the
/// pseudocode CombineS1S2AttrHints keeps.) Kills the mutants of
/// `combine_nibble`'s Write-Back test and of the nibble it builds.
#[test]
fn combine_takes_the_weaker_cacheability_per_nibble() {
    use at_emul::attrs::{combine, SH_INNER};
    // Stage-2 MemAttr: [3:2] outer, [1:0] inner; 0b10 Write-Through, 0b11
    // Write-Back.
    const WT: u8 = 0b1010;
    const WB: u8 = 0b1111;
    // (stage-1 MAIR byte, stage-2 MemAttr, combined MAIR byte)
    for (s1, s2, want) in [
        (0xffu8, WB, 0xffu8), // Write-Back both: stage 1
        (0xff, WT, 0xbb),     // Write-Back over Write-Through: WT, RW
        (0xee, WT, 0xaa),     // ... the hints are stage 1's (R, no W)
        (0xbb, WT, 0xbb),     // Write-Through over Write-Through
        (0x33, WT, 0x33),     // transient Write-Through is kept
        (0x33, WB, 0x33),
        (0x22, WB, 0x22),
        (0xf3, 0b1011, 0xb3), // outer WB over WT, inner WT over WB
        (0x3f, 0b1110, 0x3b), // outer WT over WB, inner WB over WT
        (0x4f, WT, 0x4b),     // outer Non-cacheable at stage 1
        (0xff, 0b0110, 0x4b), // outer Non-cacheable at stage 2
    ] {
        assert_eq!(
            combine(0, s1, SH_INNER, s2, SH_INNER).0,
            want,
            "{s1:#04x} + {s2:#06b}"
        );
    }
}

/// The PAR_EL1 fields `Par::success`/`Par::fault` pack with `|` do not
/// overlap, so `|` and `^` agree there: those cargo-mutants `| -> ^`
/// mutants are equivalent (listed in docs/mutants.md), and this test keeps
/// the reason true.
#[test]
fn constants_behind_equivalent_mutants_are_disjoint() {
    use at_emul::Par;
    let groups: &[&[u64]] = &[
        // PAR_EL1 success: RES1, PA[51:12], NS, SH[8:7], ATTR[63:56].
        &[
            Par::RES1,
            0x000f_ffff_ffff_f000,
            Par::NS,
            3 << 7,
            0xff << 56,
        ],
        // PAR_EL1 fault: RES1, F, FST[6:1].
        &[Par::RES1, Par::F, 0x3f << 1],
    ];
    for g in groups {
        for (i, a) in g.iter().enumerate() {
            for b in &g[i + 1..] {
                assert_eq!(a & b, 0, "{a:#x} & {b:#x}");
            }
        }
    }
    assert_eq!(Par::F, 1);
    assert_eq!(at_emul::s2::vtcr::T0SZ_SHIFT, 0);
}
