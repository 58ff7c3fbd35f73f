//! Stage-2 walker rules (Arm ARM D8.2-D8.5), one test per rule.
mod common;
use at_emul::s2::{self, S2Config};
use at_emul::{Access, FaultKind, Features, Granule, Ipa};
use common::*;

const F: Features = Features::QEMU_MAX;
const ROOT: u64 = 0x4000_0000;
const T1: u64 = 0x4001_0000;
const T2: u64 = 0x4002_0000;
const T3: u64 = 0x4003_0000;
/// S2AP read/write.
const RW: u64 = 3 << 6;
/// MemAttr Normal WB (0b1111).
const WB: u64 = 0xf << 2;

/// VTCR for 4KB: T0SZ, SL0, PS=48 bits.
fn vtcr4k(t0sz: u64, sl0: u64) -> u64 {
    t0sz | (sl0 << 6) | (5 << 16)
}

fn cfg(vtcr: u64) -> S2Config {
    S2Config::new(vtcr, ROOT, 1, 0, F)
}

#[test]
fn s2_4k_sl0_1_starts_at_level_1_and_maps_a_page() {
    let ipa = 0x12_3456_7000u64 + 0x9ab;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        1,
        9,
        ipa,
        3,
        0x8000_1000 | PAGE | AF | RW | WB,
        &[T2, T3],
    );
    let t = s2::walk(&cfg(vtcr4k(25, 1)), Ipa(ipa), &mut m, Access::Read).unwrap();
    assert_eq!(t.pa.0, 0x8000_19ab);
    assert_eq!((t.level, t.block_bits, t.memattr), (3, 12, 0xf));
    assert_eq!(m.reads.len(), 3);
}

#[test]
fn s2_concatenated_tables_at_start_level() {
    // T0SZ=24 (40-bit IPA) with SL0=1 (start level 1): 2 concatenated
    // level-1 tables; IPA bit 39 selects the second.
    let ipa = 0x80_0000_0000u64 | 0x4000_0000;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        1,
        10,
        ipa,
        1,
        0x1_c000_0000 | BLOCK | AF | RW | WB,
        &[],
    );
    let t = s2::walk(&cfg(vtcr4k(24, 1)), Ipa(ipa), &mut m, Access::Read).unwrap();
    assert_eq!(m.reads[0], ROOT + (512 + 1) * 8);
    assert_eq!((t.pa.0, t.level, t.block_bits), (0x1_c000_0000, 1, 30));
}

#[test]
fn s2_sl0_inconsistent_with_t0sz_is_level0_translation_fault() {
    // 4KB, start level 2 (SL0=0) supports at most 30+4+... 34-bit IPAs.
    let mut m = Mem::new();
    let e = s2::walk(&cfg(vtcr4k(16, 0)), Ipa(0x1000), &mut m, Access::Read).unwrap_err();
    assert_eq!(
        (e.kind, e.level, e.stage2),
        (FaultKind::Translation, 0, true)
    );
    assert!(m.reads.is_empty());
}

#[test]
fn s2_t0sz_out_of_range_is_level0_translation_fault() {
    let e = s2::walk(&cfg(vtcr4k(10, 2)), Ipa(0), &mut Mem::new(), Access::Read).unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::Translation, 0));
}

#[test]
fn s2_ipa_above_input_size_is_level0_translation_fault() {
    let e = s2::walk(
        &cfg(vtcr4k(25, 1)),
        Ipa(1 << 39),
        &mut Mem::new(),
        Access::Read,
    )
    .unwrap_err();
    assert_eq!(
        (e.kind, e.level, e.ipa),
        (FaultKind::Translation, 0, Some(Ipa(1 << 39)))
    );
}

#[test]
fn s2_ds_sl2_starts_at_level_minus_1_with_52bit_ipa() {
    // DS=1, SL2=1, SL0=0, T0SZ=12, PS=52 bits.
    let v = 12 | (6 << 16) | (1 << 32) | (1 << 33);
    let ipa = (1u64 << 51) | 0x1234_5000;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        -1,
        4,
        ipa,
        3,
        0x5000 | PAGE | AF | RW | WB | (1 << 8),
        &[T1, T2, T3, 0x4004_0000],
    );
    let t = s2::walk(&cfg(v), Ipa(ipa), &mut m, Access::Read).unwrap();
    assert_eq!(m.reads[0], ROOT + 8 * 8);
    // DS: descriptor bits [9:8] are OA[51:50].
    assert_eq!(t.pa.0, (1u64 << 50) | 0x5000);
    assert_eq!(t.level, 3);
}

#[test]
fn s2_translation_fault_at_level_minus_1_has_lpa2_encoding() {
    let v = 12 | (6 << 16) | (1 << 32) | (1 << 33);
    let e = s2::walk(&cfg(v), Ipa(0), &mut Mem::new(), Access::Read).unwrap_err();
    assert_eq!(
        (e.kind, e.level, e.fsc()),
        (FaultKind::Translation, -1, 0b10_1011)
    );
}

#[test]
fn s2_block_at_level_3_is_translation_fault() {
    let ipa = 0x4000_0000u64;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        1,
        9,
        ipa,
        3,
        0x8000_0000 | BLOCK | AF | RW,
        &[T2, T3],
    );
    let e = s2::walk(&cfg(vtcr4k(25, 1)), Ipa(ipa), &mut m, Access::Read).unwrap_err();
    assert_eq!(
        (e.kind, e.level, e.fsc()),
        (FaultKind::Translation, 3, 0b00_0111)
    );
}

#[test]
fn s2_level0_block_is_invalid_without_ds() {
    let ipa = 0u64;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        0,
        9,
        ipa,
        0,
        BLOCK | AF | RW,
        &[],
    );
    let e = s2::walk(&cfg(vtcr4k(16, 2)), Ipa(ipa), &mut m, Access::Read).unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::Translation, 0));
}

#[test]
fn s2_64k_level1_block_needs_52bit_pamax() {
    // 64KB, T0SZ=16, SL0=2 -> start level 1; a level-1 block (4TB).
    let v = 16 | (2 << 6) | (1 << 14) | (6 << 16);
    let ipa = 0x123_4567_8000u64;
    let mut m = Mem::new();
    m.set(ROOT, BLOCK | AF | RW | WB);
    let t = s2::walk(&cfg(v), Ipa(ipa), &mut m, Access::Read).unwrap();
    assert_eq!((t.level, t.block_bits, t.pa.0), (1, 42, ipa));
    let f48 = Features { pa_range: 5, ..F };
    let v48 = 16 | (2 << 6) | (1 << 14) | (5 << 16);
    let e = s2::walk(
        &S2Config::new(v48, ROOT, 1, 0, f48),
        Ipa(ipa),
        &mut m,
        Access::Read,
    )
    .unwrap_err();
    assert_eq!((e.kind, e.level), (FaultKind::Translation, 1));
}

#[test]
fn s2_16k_level2_block_is_32mb() {
    // 16KB, T0SZ=28 (36 bits), SL0=1 -> start level 2.
    let v = 28 | (1 << 6) | (2 << 14) | (5 << 16);
    let ipa = 0x3_4567_89abu64;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K16,
        ROOT,
        2,
        11,
        ipa,
        2,
        0x8_0000_0000 | BLOCK | AF | RW,
        &[],
    );
    let t = s2::walk(&cfg(v), Ipa(ipa), &mut m, Access::Read).unwrap();
    assert_eq!((t.level, t.block_bits), (2, 25));
    assert_eq!(t.pa.0, 0x8_0000_0000 | (ipa & ((1 << 25) - 1)));
}

#[test]
fn s2_s2ap_read_only_gives_permission_fault_on_write() {
    let ipa = 0x4000_0000u64;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        1,
        9,
        ipa,
        2,
        0x8000_0000 | BLOCK | AF | (1 << 6),
        &[T2],
    );
    let c = cfg(vtcr4k(25, 1));
    assert!(s2::walk(&c, Ipa(ipa), &mut m, Access::Read).is_ok());
    let e = s2::walk(&c, Ipa(ipa), &mut m, Access::Write).unwrap_err();
    assert_eq!(
        (e.kind, e.level, e.stage2, e.fsc()),
        (FaultKind::Permission, 2, true, 0b00_1110)
    );
    assert_eq!(e.hpfar(), (ipa >> 12) << 4);
}

#[test]
fn s2_s2ap_each_encoding_grants_read_and_write_independently() {
    // Arm ARM D8.4.2, stage-2 data access permissions: S2AP[0] grants
    // reads, S2AP[1] writes: 0b00 none, 0b01 read-only, 0b10 write-only,
    // 0b11 read/write.
    let ipa = 0x4000_0000u64;
    let c = cfg(vtcr4k(25, 1));
    for (s2ap, read, write) in [
        (0u64, false, false),
        (1, true, false),
        (2, false, true),
        (3, true, true),
    ] {
        let mut m = Mem::new();
        path(
            &mut m,
            Granule::K4,
            ROOT,
            1,
            9,
            ipa,
            2,
            0x8000_0000 | BLOCK | AF | (s2ap << 6),
            &[T2],
        );
        for (access, want) in [(Access::Read, read), (Access::Write, write)] {
            match s2::walk(&c, Ipa(ipa), &mut m, access) {
                Ok(t) => {
                    assert!(want, "s2ap={s2ap} {access:?} allowed");
                    assert_eq!((t.perms.read, t.perms.write), (read, write));
                    assert_eq!(t.pa.0, 0x8000_0000);
                }
                Err(e) => {
                    assert!(!want, "s2ap={s2ap} {access:?} denied");
                    assert_eq!(
                        (e.kind, e.level, e.stage2),
                        (FaultKind::Permission, 2, true)
                    );
                }
            }
        }
    }
}

#[test]
fn s2_xn_encodings_with_feat_xnx() {
    let ipa = 0x4000_0000u64;
    let c = cfg(vtcr4k(25, 1));
    for (xn, el0, el1) in [
        (0u64, true, true),
        (1, true, false),
        (2, false, false),
        (3, false, true),
    ] {
        let mut m = Mem::new();
        path(
            &mut m,
            Granule::K4,
            ROOT,
            1,
            9,
            ipa,
            2,
            0x8000_0000 | BLOCK | AF | RW | (xn << 53),
            &[T2],
        );
        let t = s2::walk(&c, Ipa(ipa), &mut m, Access::Read).unwrap();
        assert_eq!((t.perms.exec_el0, t.perms.exec_priv), (el0, el1), "xn={xn}");
        assert_eq!(
            s2::walk_el0(&c, Ipa(ipa), &mut m, Access::Exec, true).is_ok(),
            el0
        );
    }
}

#[test]
fn s2_access_flag_fault_without_ha() {
    let ipa = 0x4000_0000u64;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        1,
        9,
        ipa,
        2,
        0x8000_0000 | BLOCK | RW,
        &[T2],
    );
    let e = s2::walk(&cfg(vtcr4k(25, 1)), Ipa(ipa), &mut m, Access::Read).unwrap_err();
    assert_eq!(
        (e.kind, e.level, e.fsc()),
        (FaultKind::AccessFlag, 2, 0b00_1010)
    );
}

#[test]
fn s2_access_flag_is_set_by_hardware_with_ha() {
    let ipa = 0x4000_0000u64;
    let mut m = Mem::new();
    let leaf = 0x8000_0000 | BLOCK | RW;
    path(&mut m, Granule::K4, ROOT, 1, 9, ipa, 2, leaf, &[T2]);
    let t = s2::walk(
        &cfg(vtcr4k(25, 1) | (1 << 21)),
        Ipa(ipa),
        &mut m,
        Access::Read,
    )
    .unwrap();
    let u = t.update.unwrap();
    assert_eq!(
        (u.pa.0, u.old, u.new),
        (T2 + ix(ipa, 2, Granule::K4) * 8, leaf, leaf | AF)
    );
}

#[test]
fn s2_dirty_state_write_to_dbm_descriptor_sets_s2ap1() {
    let ipa = 0x4000_0000u64;
    let mut m = Mem::new();
    let leaf = 0x8000_0000 | BLOCK | AF | (1 << 6) | (1 << 51);
    path(&mut m, Granule::K4, ROOT, 1, 9, ipa, 2, leaf, &[T2]);
    let with_hd = cfg(vtcr4k(25, 1) | (1 << 21) | (1 << 22));
    let t = s2::walk(&with_hd, Ipa(ipa), &mut m, Access::Write).unwrap();
    assert!(t.perms.write);
    assert_eq!(t.update.unwrap().new, leaf | (1 << 7));
    // Without HD, DBM means nothing.
    let e = s2::walk(
        &cfg(vtcr4k(25, 1) | (1 << 21)),
        Ipa(ipa),
        &mut m,
        Access::Write,
    )
    .unwrap_err();
    assert_eq!(e.kind, FaultKind::Permission);
}

#[test]
fn s2_output_address_above_ps_is_address_size_fault() {
    // PS = 32 bits; a table pointer at 4GB.
    let v = 25 | (1 << 6);
    let ipa = 0x4000_0000u64;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        1,
        9,
        ipa,
        2,
        (1 << 32) | BLOCK | AF | RW,
        &[T2],
    );
    let e = s2::walk(&cfg(v), Ipa(ipa), &mut m, Access::Read).unwrap_err();
    assert_eq!((e.kind, e.level, e.fsc()), (FaultKind::AddressSize, 2, 2));
}

#[test]
fn s2_vttbr_above_ps_is_level0_address_size_fault() {
    let v = 25 | (1 << 6); // PS 32 bits
    let c = S2Config::new(v, 1 << 40, 1, 0, F);
    let e = s2::walk(&c, Ipa(0), &mut Mem::new(), Access::Read).unwrap_err();
    assert_eq!((e.kind, e.level, e.fsc()), (FaultKind::AddressSize, 0, 0));
}

#[test]
fn s2_oa_is_capped_at_48_bits_without_ds_for_4k() {
    // PS=52 bits but DS=0 with 4KB: the effective OA size is 48 bits, so
    // descriptor bits [49:48] are ignored (outside the OA field).
    let v = 25 | (1 << 6) | (6 << 16);
    let ipa = 0x4000_0000u64;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        1,
        9,
        ipa,
        2,
        (3 << 48) | 0x8000_0000 | BLOCK | AF | RW,
        &[T2],
    );
    let t = s2::walk(&cfg(v), Ipa(ipa), &mut m, Access::Read).unwrap();
    assert_eq!(t.pa.0, 0x8000_0000);
}

#[test]
fn s2_64k_52bit_oa_uses_descriptor_bits_15_12() {
    // 64KB, PS=52: OA[51:48] in descriptor bits [15:12].
    let v = 22 | (1 << 6) | (1 << 14) | (6 << 16);
    let ipa = 0x1234_0000u64;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K64,
        ROOT,
        2,
        13,
        ipa,
        3,
        0x5_0000 | (0xa << 12) | PAGE | AF | RW,
        &[T3],
    );
    let t = s2::walk(&cfg(v), Ipa(ipa), &mut m, Access::Read).unwrap();
    assert_eq!(t.pa.0, (0xa << 48) | 0x5_0000);
}

#[test]
fn s2_sh_from_descriptor_or_vtcr_with_ds() {
    let ipa = 0x4000_0000u64;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        1,
        9,
        ipa,
        2,
        0x8000_0000 | BLOCK | AF | RW | (3 << 8),
        &[T2],
    );
    let t = s2::walk(&cfg(vtcr4k(25, 1)), Ipa(ipa), &mut m, Access::Read).unwrap();
    assert_eq!(t.sh, 3);
}

#[test]
fn s2_contiguous_hint_is_reported() {
    let ipa = 0x4000_0000u64;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        1,
        9,
        ipa,
        2,
        0x8000_0000 | BLOCK | AF | RW | (1 << 52),
        &[T2],
    );
    assert!(
        s2::walk(&cfg(vtcr4k(25, 1)), Ipa(ipa), &mut m, Access::Read)
            .unwrap()
            .contiguous
    );
}

#[test]
fn s2_external_abort_on_walk() {
    let mut m = Mem::new();
    m.limit = 0x1000;
    let e = s2::walk(&cfg(vtcr4k(25, 1)), Ipa(0), &mut m, Access::Read).unwrap_err();
    assert_eq!(
        (e.kind, e.level, e.fsc()),
        (FaultKind::ExternalAbortOnWalk, 1, 0b01_0101)
    );
}

#[test]
fn s2_big_endian_tables_with_sctlr_el2_ee() {
    let ipa = 0x4000_0000u64;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        1,
        9,
        ipa,
        2,
        0x8000_0000 | BLOCK | AF | RW,
        &[T2],
    );
    for v in m.words.values_mut() {
        *v = v.swap_bytes();
    }
    let c = S2Config::new(vtcr4k(25, 1), ROOT, 1, 1 << 25, F);
    assert_eq!(
        s2::walk(&c, Ipa(ipa), &mut m, Access::Read).unwrap().pa.0,
        0x8000_0000
    );
}

#[test]
fn s2_ttbr_low_bits_below_table_size_are_ignored() {
    let ipa = 0x4000_0000u64;
    let mut m = Mem::new();
    path(
        &mut m,
        Granule::K4,
        ROOT,
        1,
        9,
        ipa,
        2,
        0x8000_0000 | BLOCK | AF | RW,
        &[T2],
    );
    let c = S2Config::new(vtcr4k(25, 1), ROOT | 0x1 | (0x55 << 48), 1, 0, F);
    assert!(s2::walk(&c, Ipa(ipa), &mut m, Access::Read).is_ok());
}
