//! Stage-1 walker and AT/PAR_EL1 rules (Arm ARM D8.2-D8.5, D8.16, C5.5),
//! one test per rule.
mod common;
use at_emul::s1::{self, Regime, S1Config};
use at_emul::s2::S2Config;
use at_emul::{emulate, Access, AtOp, FaultKind, Features, Granule, Par, RegSnapshot, Va};
use common::*;

const F: Features = Features::QEMU_MAX;
const ROOT: u64 = 0x4000_0000;
const ROOT1: u64 = 0x4010_0000;
const T1: u64 = 0x4001_0000;
const T2: u64 = 0x4002_0000;
const T3: u64 = 0x4003_0000;
const S2ROOT: u64 = 0x4800_0000;
/// AP[2:1] = 0b01: EL0 and EL1 read/write.
const AP_RW_ALL: u64 = 1 << 6;
/// AP[2:1] = 0b00: EL1 read/write, EL0 none.
const AP_RW_EL1: u64 = 0;
const AP_RO_ALL: u64 = 3 << 6;
/// TCR_EL1: T0SZ=T1SZ=25 (39-bit), TG0 4KB, TG1 4KB, IPS 48 bits.
const TCR39: u64 = 25 | (25 << 16) | (2 << 30) | (5 << 32);

fn el1(tcr: u64) -> S1Config {
    S1Config {
        regime: Regime::El10,
        sctlr: 1,
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

/// Maps `va` with a 4KB page at level 3 under a 39-bit 4KB TTBR0/1.
fn page39(m: &mut Mem, root: u64, va: u64, leaf: u64) {
    path(m, Granule::K4, root, 1, 9, va, 3, leaf, &[T2, T3]);
}

#[test]
fn s1_4k_39bit_starts_at_level_1() {
    let va = 0x12_3456_7abc;
    let mut m = Mem::new();
    page39(
        &mut m,
        ROOT,
        va,
        0x9000_0000 | PAGE | AF | AP_RW_EL1 | (1 << 2),
    );
    let t = s1::walk(&el1(TCR39), Va(va), &mut m, Access::Read, None).unwrap();
    assert_eq!((t.oa, t.level, t.attr), (0x9000_0abc, Some(3), 0xff));
    assert_eq!(m.reads[0], ROOT + ix(va, 1, Granule::K4) * 8);
}

#[test]
fn s1_ttbr1_selected_by_va_bit55() {
    let va = 0xffff_ff80_0000_1000u64;
    let mut m = Mem::new();
    page39(&mut m, ROOT1, va, 0x9000_0000 | PAGE | AF);
    let t = s1::walk(&el1(TCR39), Va(va), &mut m, Access::Read, None).unwrap();
    assert_eq!(t.oa, 0x9000_0000);
    assert_eq!(m.reads[0] & !0xfff, ROOT1);
}

#[test]
fn s1_va_in_the_gap_is_level0_translation_fault() {
    let e = s1::walk(
        &el1(TCR39),
        Va(1 << 40),
        &mut Mem::new(),
        Access::Read,
        None,
    )
    .unwrap_err();
    assert_eq!(
        (e.kind, e.level, e.stage2),
        (FaultKind::Translation, 0, false)
    );
}

#[test]
fn s1_tbi_ignores_the_top_byte() {
    let va = 0x12_3456_7000u64;
    let mut m = Mem::new();
    page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF);
    let tagged = va | (0x5a << 56);
    assert!(s1::walk(&el1(TCR39), Va(tagged), &mut m, Access::Read, None).is_err());
    let t = s1::walk(
        &el1(TCR39 | (1 << 37)),
        Va(tagged),
        &mut m,
        Access::Read,
        None,
    )
    .unwrap();
    assert_eq!(t.oa, 0x9000_0000);
}

#[test]
fn s1_epd0_is_level0_translation_fault() {
    let e = s1::walk(
        &el1(TCR39 | (1 << 7)),
        Va(0x1000),
        &mut Mem::new(),
        Access::Read,
        None,
    )
    .unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::Translation, 0));
}

#[test]
fn s1_e0pd_faults_el0_accesses_only() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF | AP_RW_ALL);
    let c = el1(TCR39 | (1 << 55));
    assert!(s1::walk(&c, Va(va), &mut m, Access::Read, None).is_ok());
    let e = s1::walk(
        &S1Config { el0: true, ..c },
        Va(va),
        &mut m,
        Access::Read,
        None,
    )
    .unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::Translation, 0));
}

#[test]
fn s1_tsz_below_minimum_is_level0_translation_fault() {
    let e = s1::walk(
        &el1(TCR39 & !0x3f | 14),
        Va(0),
        &mut Mem::new(),
        Access::Read,
        None,
    )
    .unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::Translation, 0));
}

#[test]
fn s1_ap_el0_and_el1_data_permissions() {
    let va = 0x1000u64;
    for (ap, el1r, el1w, el0r, el0w) in [
        (0u64, true, true, false, false),
        (1, true, true, true, true),
        (2, true, false, false, false),
        (3, true, false, true, false),
    ] {
        let mut m = Mem::new();
        page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF | (ap << 6));
        let c = el1(TCR39);
        let u = S1Config { el0: true, ..c };
        let ok = |c: &S1Config, a, m: &mut Mem| s1::walk(c, Va(va), m, a, None).is_ok();
        assert_eq!(ok(&c, Access::Read, &mut m), el1r, "ap={ap}");
        assert_eq!(ok(&c, Access::Write, &mut m), el1w, "ap={ap}");
        assert_eq!(ok(&u, Access::Read, &mut m), el0r, "ap={ap}");
        assert_eq!(ok(&u, Access::Write, &mut m), el0w, "ap={ap}");
    }
}

#[test]
fn s1_permission_fault_reports_leaf_level() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF | AP_RO_ALL);
    let e = s1::walk(&el1(TCR39), Va(va), &mut m, Access::Write, None).unwrap_err();
    assert_eq!(
        (e.kind, e.level, e.fsc()),
        (FaultKind::Permission, 3, 0b00_1111)
    );
}

#[test]
fn s1_aptable_restricts_unless_hpd() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF | AP_RW_ALL);
    // APTable = 0b10 (read-only) on the level-1 table descriptor.
    let l1 = ROOT + ix(va, 1, Granule::K4) * 8;
    m.set(l1, T2 | TABLE | (2 << 61));
    assert!(s1::walk(&el1(TCR39), Va(va), &mut m, Access::Write, None).is_err());
    assert!(s1::walk(&el1(TCR39 | (1 << 41)), Va(va), &mut m, Access::Write, None).is_ok());
    // APTable[0]: no EL0 access.
    m.set(l1, T2 | TABLE | (1 << 61));
    let u = S1Config {
        el0: true,
        ..el1(TCR39)
    };
    assert!(s1::walk(&u, Va(va), &mut m, Access::Read, None).is_err());
}

#[test]
fn s1_xntable_and_pxn_control_execution() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    page39(
        &mut m,
        ROOT,
        va,
        0x9000_0000 | PAGE | AF | AP_RO_ALL | (1 << 53),
    );
    let t = s1::walk(&el1(TCR39), Va(va), &mut m, Access::Read, None).unwrap();
    assert_eq!((t.perms.exec_el0, t.perms.exec_priv), (true, false));
    m.set(ROOT + ix(va, 1, Granule::K4) * 8, T2 | TABLE | (1 << 60));
    let t = s1::walk(&el1(TCR39), Va(va), &mut m, Access::Read, None).unwrap();
    assert!(!t.perms.exec_el0);
}

#[test]
fn s1_pan_denies_privileged_access_to_el0_data() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    page39(
        &mut m,
        ROOT,
        va,
        0x9000_0000 | PAGE | AF | AP_RW_ALL | (1 << 54),
    );
    let c = S1Config {
        pan: true,
        ..el1(TCR39)
    };
    let e = s1::walk(&c, Va(va), &mut m, Access::Read, None).unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::Permission, 3));
}

#[test]
fn s1_pan3_epan_also_denies_el0_executable_memory() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    // EL1-only data, but EL0-executable (UXN = 0).
    page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF | AP_RW_EL1);
    let c = S1Config {
        pan: true,
        ..el1(TCR39)
    };
    assert!(s1::walk(&c, Va(va), &mut m, Access::Read, None).is_ok());
    let c = S1Config {
        sctlr: 1 | (1 << 57),
        ..c
    };
    assert!(s1::walk(&c, Va(va), &mut m, Access::Read, None).is_err());
}

#[test]
fn s1_nv_nv1_treats_ap1_as_zero_and_bit54_as_pxn() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    page39(
        &mut m,
        ROOT,
        va,
        0x9000_0000 | PAGE | AF | AP_RW_ALL | (1 << 54),
    );
    let c = S1Config {
        hcr: (1 << 42) | (1 << 43),
        ..el1(TCR39)
    };
    let t = s1::walk(&c, Va(va), &mut m, Access::Read, None).unwrap();
    assert_eq!((t.perms.exec_el0, t.perms.exec_priv), (true, false));
    assert!(s1::walk(
        &S1Config { el0: true, ..c },
        Va(va),
        &mut m,
        Access::Read,
        None
    )
    .is_err());
}

#[test]
fn s1_access_flag_fault_precedes_permission_fault() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AP_RO_ALL);
    let e = s1::walk(&el1(TCR39), Va(va), &mut m, Access::Write, None).unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::AccessFlag, 3));
}

#[test]
fn s1_dirty_state_dbm_write_clears_ap2() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    let leaf = 0x9000_0000 | PAGE | AF | AP_RO_ALL | (1 << 51);
    page39(&mut m, ROOT, va, leaf);
    let c = el1(TCR39 | (1 << 39) | (1 << 40));
    let t = s1::walk(&c, Va(va), &mut m, Access::Write, None).unwrap();
    assert_eq!(t.update.unwrap().new, leaf & !(1 << 7));
}

#[test]
fn s1_mair_index_and_shareability() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    page39(
        &mut m,
        ROOT,
        va,
        0x9000_0000 | PAGE | AF | (3 << 2) | (2 << 8),
    );
    let t = s1::walk(&el1(TCR39), Va(va), &mut m, Access::Read, None).unwrap();
    assert_eq!((t.attr, t.sh), (0xbb, 2));
}

#[test]
fn s1_lpa2_52bit_va_starts_at_level_minus_1() {
    // DS=1, T0SZ=12, 4KB, IPS=52.
    let tcr = 12 | (25 << 16) | (2 << 30) | (6 << 32) | (1 << 59) | (3 << 12);
    let va = (1u64 << 51) | 0x2000;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        -1,
        4,
        va,
        3,
        0x9000_0000 | PAGE | AF,
        &[T1, T2, T3, 0x4004_0000],
    );
    let t = s1::walk(&el1(tcr), Va(va), &mut m, Access::Read, None).unwrap();
    assert_eq!((t.oa, t.level, t.sh), (0x9000_0000, Some(3), 3));
}

#[test]
fn s1_16k_and_64k_granules_walk() {
    // TG0=64KB (0b01), T0SZ=22 (42 bits): start level 2.
    let tcr = 22 | (1 << 14) | (25 << 16) | (2 << 30) | (5 << 32);
    let va = 0x123_4567_0000u64 + 0x1234;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K64,
        ROOT,
        2,
        13,
        va,
        3,
        0x9000_0000 | PAGE | AF,
        &[T3],
    );
    assert_eq!(
        s1::walk(&el1(tcr), Va(va), &mut m, Access::Read, None)
            .unwrap()
            .oa,
        0x9000_1234
    );
    // TG0=16KB (0b10), T0SZ=28 (36 bits): start level 2 (1 + 2 bits? 36 = 14+11+11).
    let tcr = 28 | (2 << 14) | (25 << 16) | (2 << 30) | (5 << 32);
    let va = 0x3_4567_8abcu64;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K16,
        ROOT,
        2,
        11,
        va,
        3,
        0x9000_0000 | PAGE | AF,
        &[T3],
    );
    assert_eq!(
        s1::walk(&el1(tcr), Va(va), &mut m, Access::Read, None)
            .unwrap()
            .oa,
        0x9000_0000 | (va & 0x3fff)
    );
}

#[test]
fn s1_mmu_off_is_flat_device_with_pa_size_check() {
    let c = S1Config {
        sctlr: 0,
        ..el1(TCR39)
    };
    let t = s1::walk(&c, Va(0x1234_5678), &mut Mem::new(), Access::Read, None).unwrap();
    assert_eq!((t.oa, t.attr, t.sh), (0x1234_5678, 0, 2));
    let e = s1::walk(&c, Va(1 << 60), &mut Mem::new(), Access::Read, None).unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::AddressSize, 0));
}

#[test]
fn s1_hcr_dc_makes_stage1_off_normal_wb() {
    let c = S1Config {
        hcr: 1 << 12,
        ..el1(TCR39)
    };
    let t = s1::walk(&c, Va(0x1000), &mut Mem::new(), Access::Read, None).unwrap();
    assert_eq!((t.attr, t.sh), (0xff, 0));
}

#[test]
fn s1_el2_regime_single_range_ignores_ap1() {
    // TCR_EL2 (E2H=0): T0SZ=25, TG0 4KB, PS 48 bits.
    let va = 0x1000u64;
    let mut m = Mem::new();
    page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF | AP_RW_EL1);
    let c = S1Config {
        regime: Regime::El2,
        tcr: 25 | (5 << 16),
        ..el1(0)
    };
    let t = s1::walk(&c, Va(va), &mut m, Access::Write, None).unwrap();
    assert!(t.perms.write && !t.perms.exec_el0);
    assert!(s1::walk(&c, Va(0xffff_ff80_0000_0000), &mut m, Access::Read, None).is_err());
}

#[test]
fn s1_big_endian_tables_with_sctlr_ee() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF);
    for v in m.words.values_mut() {
        *v = v.swap_bytes();
    }
    let c = S1Config {
        sctlr: 1 | (1 << 25),
        ..el1(TCR39)
    };
    assert_eq!(
        s1::walk(&c, Va(va), &mut m, Access::Read, None).unwrap().oa,
        0x9000_0000
    );
}

/// Stage 2 for the S1PTW tests: 4KB, T0SZ=25, SL0=1, identity 1GB blocks
/// for 0x4000_0000 (Normal WB, RW) and 0x8000_0000 (read-only).
fn s2_identity(m: &mut Mem) -> S2Config {
    m.set(S2ROOT + 8, 0x4000_0000 | BLOCK | AF | (3 << 6) | (0xf << 2));
    m.set(
        S2ROOT + 16,
        0x8000_0000 | BLOCK | AF | (1 << 6) | (0xf << 2),
    );
    S2Config::new(25 | (1 << 6) | (5 << 16), S2ROOT, 1, 0, F)
}

#[test]
fn s1ptw_stage2_fault_on_table_read_is_reported_as_ptw() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    let s2 = s2_identity(&mut m);
    // The level-2 table lives at an IPA stage 2 does not map (3GB).
    path(
        &mut m,
        Granule::K4,
        ROOT,
        1,
        9,
        va,
        3,
        0x9000_0000 | PAGE | AF,
        &[0xc000_0000, T3],
    );
    let e = s1::walk(&el1(TCR39), Va(va), &mut m, Access::Read, Some(&s2)).unwrap_err();
    assert_eq!(
        (e.kind, e.level, e.stage2, e.s1ptw),
        (FaultKind::Translation, 1, true, true)
    );
    assert_eq!(e.ipa.map(|i| i.0), Some(0xc000_0000));
}

#[test]
fn s1ptw_hardware_update_needs_stage2_write_permission() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    let s2 = s2_identity(&mut m);
    // Level-3 table in the read-only 0x8000_0000 GB; leaf AF=0 with HA.
    path(
        &mut m,
        Granule::K4,
        ROOT,
        1,
        9,
        va,
        3,
        0x9000_0000 | PAGE,
        &[T2, 0x8000_0000],
    );
    let c = el1(TCR39 | (1 << 39));
    let e = s1::walk(&c, Va(va), &mut m, Access::Read, Some(&s2)).unwrap_err();
    assert_eq!(
        (e.kind, e.level, e.stage2, e.s1ptw),
        (FaultKind::Permission, 1, true, true)
    );
    // Without the update (AF already set) the walk succeeds.
    m.set(
        0x8000_0000 + ix(va, 3, Granule::K4) * 8,
        0x9000_0000 | PAGE | AF,
    );
    assert!(s1::walk(&c, Va(va), &mut m, Access::Read, Some(&s2)).is_ok());
}

#[test]
fn s1ptw_hcr_ptw_faults_tables_in_stage2_device_memory() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    let mut s2 = s2_identity(&mut m);
    m.set(S2ROOT + 8, 0x4000_0000 | BLOCK | AF | (3 << 6)); // Device
    page39(&mut m, ROOT, va, 0x9000_0000 | PAGE | AF);
    assert!(s1::walk(&el1(TCR39), Va(va), &mut m, Access::Read, Some(&s2)).is_ok());
    s2.hcr |= 1 << 2;
    let e = s1::walk(&el1(TCR39), Va(va), &mut m, Access::Read, Some(&s2)).unwrap_err();
    assert_eq!((e.kind, e.s1ptw, e.level), (FaultKind::Permission, true, 1));
}

fn snap() -> RegSnapshot {
    RegSnapshot {
        sctlr_el1: 1,
        tcr_el1: TCR39,
        ttbr0_el1: ROOT,
        ttbr1_el1: ROOT1,
        mair_el1: 0x44ff_0004_bbaa_ff00,
        hcr_el2: (1 << 31) | 1,
        vtcr_el2: 25 | (1 << 6) | (5 << 16),
        vttbr_el2: S2ROOT,
        features: F,
        ..RegSnapshot::default()
    }
}

#[test]
fn at_par_success_format() {
    let va = 0x1abcu64;
    let mut m = Mem::new();
    s2_identity(&mut m);
    page39(
        &mut m,
        ROOT,
        va,
        0x4500_0000 | PAGE | AF | (1 << 2) | (3 << 8),
    );
    let p = emulate(AtOp::S1E1R, Va(va), &snap(), &mut m);
    assert_eq!(
        p,
        Par((0xff << 56) | 0x4500_0000 | (1 << 11) | (1 << 9) | (3 << 7))
    );
}

#[test]
fn at_par_fault_format_f_fst_s_ptw() {
    let f = at_emul::Fault {
        kind: FaultKind::Permission,
        level: 2,
        stage2: true,
        s1ptw: true,
        ipa: None,
    };
    assert_eq!(
        Par::fault(&f),
        Par(1 | (0b00_1110 << 1) | (1 << 8) | (1 << 9) | (1 << 11))
    );
}

#[test]
fn at_par_sh_is_outer_for_device_and_non_cacheable() {
    assert_eq!(Par::success(0, 0x04, 3).0 >> 7 & 3, 2);
    assert_eq!(Par::success(0, 0x44, 3).0 >> 7 & 3, 2);
    assert_eq!(Par::success(0, 0xff, 3).0 >> 7 & 3, 3);
}

#[test]
fn at_s12e1_combines_stage1_and_stage2_attributes() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    s2_identity(&mut m);
    m.set(S2ROOT + 8, 0x4000_0000 | BLOCK | AF | (3 << 6) | (1 << 2)); // Device-nGnRE
    page39(
        &mut m,
        ROOT,
        va,
        0x4500_0000 | PAGE | AF | (1 << 2) | (3 << 8),
    );
    // Tables are Device at stage 2: fine without HCR_EL2.PTW.
    let p = emulate(AtOp::S12E1R, Va(va), &snap(), &mut m);
    assert_eq!(p.0 & 1, 0);
    assert_eq!((p.0 >> 56, p.0 >> 7 & 3), (0x04, 2));
    // S1E1R gives the stage-1 attributes only.
    assert_eq!(emulate(AtOp::S1E1R, Va(va), &snap(), &mut m).0 >> 56, 0xff);
}

#[test]
fn at_s12_stage2_fault_sets_s_not_ptw() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    s2_identity(&mut m);
    page39(&mut m, ROOT, va, 0xc000_0000 | PAGE | AF);
    let p = emulate(AtOp::S12E1R, Va(va), &snap(), &mut m);
    assert_eq!(p.0 & (1 | (1 << 8) | (1 << 9)), 1 | (1 << 9));
    assert_eq!((p.0 >> 1) & 0x3f, 0b00_0101);
}

#[test]
fn at_s12_writes_translate_with_stage2_write_permission() {
    // AT S12E1W / S12E0W succeed when stage 1 and stage 2 both grant the
    // write, whatever S2AP[0] says (write-only S2AP = 0b10 included); they
    // fault at stage 2 (S set, PTW clear, leaf level) when S2AP[1] is 0,
    // and the reads the other way round (Arm ARM D8.4.2, C5.5).
    let va = 0x1234u64;
    for (s2ap, w_ok, r_ok) in [(3u64, true, true), (2, true, false), (1, false, true)] {
        let mut m = Mem::new();
        s2_identity(&mut m);
        // The output IPA's gigabyte (0xc000_0000) gets its own stage-2 leaf.
        m.set(
            S2ROOT + 24,
            0x1_4000_0000 | BLOCK | AF | (s2ap << 6) | (0xf << 2),
        );
        page39(
            &mut m,
            ROOT,
            va,
            0xc012_3000 | PAGE | AF | AP_RW_ALL | (1 << 2) | (3 << 8),
        );
        for (op, ok) in [
            (AtOp::S12E1W, w_ok),
            (AtOp::S12E0W, w_ok),
            (AtOp::S12E1R, r_ok),
            (AtOp::S12E0R, r_ok),
        ] {
            let p = emulate(op, Va(va), &snap(), &mut m).0;
            if ok {
                assert_eq!(p & 1, 0, "{op:?} s2ap={s2ap}: {p:#x}");
                assert_eq!(p & 0x000f_ffff_ffff_f000, 0x1_4012_3000, "{op:?}");
            } else {
                assert_eq!(
                    p & (1 | (1 << 8) | (1 << 9)),
                    1 | (1 << 9),
                    "{op:?} s2ap={s2ap}"
                );
                assert_eq!((p >> 1) & 0x3f, 0b00_1101, "{op:?}: level-1 permission");
            }
        }
    }
}

#[test]
fn at_fwb_stage2_forces_write_back() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    s2_identity(&mut m);
    m.set(S2ROOT + 8, 0x4000_0000 | BLOCK | AF | (3 << 6) | (6 << 2));
    page39(&mut m, ROOT, va, 0x4500_0000 | PAGE | AF | (5 << 2)); // MAIR idx5 = 0x44
    let s = RegSnapshot {
        hcr_el2: snap().hcr_el2 | (1 << 46),
        ..snap()
    };
    assert_eq!(emulate(AtOp::S12E1R, Va(va), &s, &mut m).0 >> 56, 0xff);
}

#[test]
fn at_s1e1rp_honours_pstate_pan_and_s1e1r_does_not() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    s2_identity(&mut m);
    page39(
        &mut m,
        ROOT,
        va,
        0x4500_0000 | PAGE | AF | AP_RW_ALL | (1 << 54),
    );
    let s = RegSnapshot {
        pstate_pan: true,
        ..snap()
    };
    assert_eq!(emulate(AtOp::S1E1R, Va(va), &s, &mut m).0 & 1, 0);
    assert_eq!(emulate(AtOp::S1E1RP, Va(va), &s, &mut m).0 & 1, 1);
    assert_eq!(emulate(AtOp::S1E1RP, Va(va), &snap(), &mut m).0 & 1, 0);
}

#[test]
fn at_e2h_tge_sends_el1_ops_to_the_el2_and_0_regime() {
    // SCTLR_EL2.M = 0: the EL2&0 regime is flat, Device.
    let s = RegSnapshot {
        hcr_el2: (1 << 34) | (1 << 27) | (1 << 31) | 1,
        ..snap()
    };
    let p = emulate(AtOp::S12E1R, Va(0x1234_5000), &s, &mut Mem::new());
    assert_eq!(p, Par::success(0x1234_5000, 0, 2));
    let p = emulate(AtOp::S1E2W, Va(0x1234_5000), &snap(), &mut Mem::new());
    assert_eq!(p, Par::success(0x1234_5000, 0, 2));
}

/// HCR_EL2.TGE without E2H: the EL1&0 stage 1 behaves as if SCTLR_EL1.M
/// were 0 (Arm ARM D24.2, HCR_EL2.TGE; pseudocode AArch64.S1Enabled, which
/// wants HCR_EL2.{DC,TGE} == {0,0} for the EL1&0 regime), so AT S1E1* and
/// S1E0* give the flat translation, Device-nGnRnE Outer Shareable (Normal
/// Write-Back with HCR_EL2.DC), although SCTLR_EL1.M is 1 and the tables
/// map the VA elsewhere. The EL2&0 regime (here with its MMU on and the
/// same tables) is for {E2H,TGE} = {1,1} only. at-diff does not generate
/// TGE without E2H.
#[test]
fn at_tge_without_e2h_turns_the_el1_stage_1_off() {
    const TGE: u64 = 1 << 27;
    const DC: u64 = 1 << 12;
    const E2H: u64 = 1 << 34;
    let va = 0x1000u64;
    let mut m = Mem::new();
    s2_identity(&mut m);
    page39(&mut m, ROOT, va, 0x4500_0000 | PAGE | AF | AP_RW_ALL);
    let base = RegSnapshot {
        sctlr_el2: 1,
        tcr_el2: TCR39,
        ttbr0_el2: ROOT,
        mair_el2: snap().mair_el1,
        ..snap()
    };
    // Without TGE the EL1 tables apply.
    let p = emulate(AtOp::S1E1R, Va(va), &base, &mut m);
    assert_eq!(p.0 & 0x000f_ffff_ffff_f001, 0x4500_0000);
    let tge = RegSnapshot {
        hcr_el2: base.hcr_el2 | TGE,
        ..base
    };
    for op in [AtOp::S1E1R, AtOp::S1E1W, AtOp::S1E0R, AtOp::S1E0W] {
        assert_eq!(
            emulate(op, Va(va), &tge, &mut m),
            Par::success(va, 0, 2),
            "{op:?}"
        );
    }
    let dc = RegSnapshot {
        hcr_el2: tge.hcr_el2 | DC,
        ..tge
    };
    assert_eq!(
        emulate(AtOp::S1E1R, Va(va), &dc, &mut m),
        Par::success(va, 0xff, 0)
    );
    // With E2H as well: the EL2&0 regime, whose MMU is on.
    let host = RegSnapshot {
        hcr_el2: tge.hcr_el2 | E2H,
        ..tge
    };
    let p = emulate(AtOp::S1E1R, Va(va), &host, &mut m);
    assert_eq!(p.0 & 0x000f_ffff_ffff_f001, 0x4500_0000);
}

/// The FEAT_NV descriptor and PAN rules of HCR_EL2.{NV,NV1} = {1,1} (Arm
/// ARM D8.4.1.4: EL1&0 descriptors have PXN in bit 54, UXN 0, AP[1] read
/// as 0; PSTATE.PAN has no effect) need both bits: with NV or NV1 alone an
/// EL0-accessible page (AP[1] = 1) stays accessible to AT S1E0R, and AT
/// S1E1RP still honours PAN. at-diff sets NV and NV1 only together.
#[test]
fn at_nv_rules_need_both_nv_and_nv1() {
    const NV: u64 = 1 << 42;
    const NV1: u64 = 1 << 43;
    let va = 0x1000u64;
    let mut m = Mem::new();
    s2_identity(&mut m);
    page39(&mut m, ROOT, va, 0x4500_0000 | PAGE | AF | AP_RW_ALL);
    for (bits, el0_ok, pan_applies) in [
        (0, true, true),
        (NV, true, true),
        (NV1, true, true),
        (NV | NV1, false, false),
    ] {
        let s = RegSnapshot {
            hcr_el2: snap().hcr_el2 | bits,
            pstate_pan: true,
            ..snap()
        };
        let p = emulate(AtOp::S1E0R, Va(va), &s, &mut m);
        assert_eq!(p.0 & 1 == 0, el0_ok, "S1E0R, hcr bits {bits:#x}");
        let p = emulate(AtOp::S1E1RP, Va(va), &s, &mut m);
        // PAN denies EL1 access to an EL0-accessible page; with {NV,NV1}
        // = {1,1} the page is not EL0-accessible either (AP[1] is 0).
        assert_eq!(p.0 & 1 == 1, pan_applies, "S1E1RP, hcr bits {bits:#x}");
    }
}

#[test]
fn at_s1e0_uses_el0_permissions() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    s2_identity(&mut m);
    page39(&mut m, ROOT, va, 0x4500_0000 | PAGE | AF | AP_RW_EL1);
    assert_eq!(emulate(AtOp::S1E1W, Va(va), &snap(), &mut m).0 & 1, 0);
    let p = emulate(AtOp::S1E0R, Va(va), &snap(), &mut m);
    assert_eq!((p.0 & 1, (p.0 >> 1) & 0x3f), (1, 0b00_1111));
}

#[test]
fn fault_dabt_iss_has_dfsc_wnr_s1ptw() {
    let f = at_emul::Fault {
        kind: FaultKind::Translation,
        level: 1,
        stage2: true,
        s1ptw: true,
        ipa: None,
    };
    assert_eq!(f.dabt_iss(true), 0b00_0101 | (1 << 6) | (1 << 7));
}

#[test]
fn at_detailed_reports_the_access_flag_update_of_both_stages() {
    let va = 0x1000u64;
    let mut m = Mem::new();
    s2_identity(&mut m);
    let s2leaf = 0x4000_0000 | BLOCK | (3 << 6) | (0xf << 2); // AF = 0
    m.set(S2ROOT + 8, s2leaf);
    let s1leaf = 0x4500_0000 | PAGE; // AF = 0
    page39(&mut m, ROOT, va, s1leaf);
    let s = RegSnapshot {
        tcr_el1: TCR39 | (1 << 39),
        vtcr_el2: snap().vtcr_el2 | (1 << 21),
        ..snap()
    };
    let r = at_emul::emulate_detailed(AtOp::S12E1R, Va(va), &s, &mut m);
    assert_eq!(r.par.0 & 1, 0);
    let u1 = r.updates[0].unwrap();
    assert_eq!(
        (u1.pa.0, u1.new),
        (T3 + ix(va, 3, Granule::K4) * 8, s1leaf | AF)
    );
    let u2 = r.updates[1].unwrap();
    assert_eq!((u2.pa.0, u2.new), (S2ROOT + 8, s2leaf | AF));
}
