//! Host tests: hand-built L1 stage-2 tables, a fake L0 stage 2, and the
//! composed descriptors read back with at-emul's walker.

use super::*;
use at_emul::{ExternalAbort, FaultKind, Features, Pa};
use std::collections::BTreeMap;
use std::vec::Vec;

/// L1's RAM as the walker reads it: 8-byte words by address, and a range
/// outside which every read is refused (as el2's GuestMemory does).
struct L1Mem {
    words: BTreeMap<u64, u64>,
    ram: core::ops::Range<u64>,
}

impl DescReader for L1Mem {
    fn read_desc(&mut self, pa: Pa) -> Result<u64, ExternalAbort> {
        if !self.ram.contains(&pa.0) {
            return Err(ExternalAbort);
        }
        Ok(*self.words.get(&pa.0).unwrap_or(&0))
    }
}

const L1_RAM: core::ops::Range<u64> = 0x4400_0000..0x8000_0000;
/// L1's stage-2 tables: level 1 (root), level 2 and level 3 at these L1 IPAs.
const ROOT: u64 = 0x4800_0000;
const L2T: u64 = 0x4800_1000;
const L3T: u64 = 0x4800_2000;
/// 39-bit IPA (T0SZ 25), start at level 1 (SL0 1), 4K, PS 40 bits.
const VTCR: u64 = 25 | (1 << 6) | (2 << 16) | (1 << 31);
const VM: u64 = arch::regs::hcr::VM;
/// Normal write-back, read/write, AF; as L1 and L0 write them.
const RW_WB: u64 = (0xf << 2) | (3 << 6) | (3 << 8) | (1 << 10);
const PAGE: u64 = 0b11;
const BLOCK: u64 = 0b01;
const TABLE: u64 = 0b11;

fn l1_tables() -> L1Mem {
    let mut m = L1Mem {
        words: BTreeMap::new(),
        ram: L1_RAM,
    };
    // L2 IPA 0..1G -> level 2 table; 0..2M -> level 3 table.
    m.words.insert(ROOT, L2T | TABLE);
    m.words.insert(L2T, L3T | TABLE);
    m
}

fn set(m: &mut L1Mem, table: u64, idx: u64, v: u64) {
    m.words.insert(table + 8 * idx, v);
}

fn cfg() -> S2Config {
    S2Config::new(VTCR, ROOT, VM, 0, Features::QEMU_MAX)
}

/// L0's stage 2: guest RAM identity-mapped in 2 MiB blocks, read/write.
fn l0(ipa: u64) -> Option<L0Leaf> {
    L1_RAM.contains(&ipa).then_some(L0Leaf {
        pa: ipa,
        attrs: RW_WB,
        size: 2 << 20,
    })
}

/// Walks a single shadow descriptor `m` for `ipa` with at-emul (a one-level
/// view: a level-3 page or a level-2 block in a fake table), as the
/// hardware would read the shadow.
fn shadow_perms(m: &Mapping, access: Access) -> bool {
    let mut t = l1_tables();
    t.words.clear();
    let kind = if m.size == 4096 { PAGE } else { BLOCK };
    t.words.insert(ROOT, L2T | TABLE);
    if m.size == 4096 {
        t.words.insert(L2T + 8 * ((m.ipa >> 21) & 511), L3T | TABLE);
        t.words
            .insert(L3T + 8 * ((m.ipa >> 12) & 511), m.pa | m.attrs | kind);
    } else {
        t.words
            .insert(L2T + 8 * ((m.ipa >> 21) & 511), m.pa | m.attrs | kind);
    }
    walk_el0(&cfg(), Ipa(m.ipa), &mut t, access, false).is_ok()
}

#[test]
fn a_page_composes_with_a_block() {
    let mut m = l1_tables();
    set(&mut m, L3T, 1, 0x4400_5000 | RW_WB | PAGE);
    let f = fill(&cfg(), 0x1234, Access::Write, false, &mut m, l0);
    let Fill::Map(map) = f else { panic!("{f:?}") };
    assert_eq!((map.ipa, map.pa, map.size), (0x1000, 0x4400_5000, 4096));
    for a in [Access::Read, Access::Write, Access::Exec] {
        assert!(shadow_perms(&map, a), "{a:?}");
    }
}

#[test]
fn l1_permissions_and_faults_go_to_l1() {
    let mut m = l1_tables();
    // Read-only page at L2 IPA 0x2000; nothing at 0x3000; no AF at 0x4000.
    set(&mut m, L3T, 2, 0x4400_6000 | (RW_WB & !(1 << 7)) | PAGE);
    set(&mut m, L3T, 4, 0x4400_7000 | (RW_WB & !(1 << 10)) | PAGE);
    let f = fill(&cfg(), 0x2008, Access::Write, false, &mut m, l0);
    let Fill::L1Fault(fault) = f else {
        panic!("{f:?}")
    };
    assert_eq!(
        (fault.kind, fault.level, fault.stage2),
        (FaultKind::Permission, 3, true)
    );
    assert_eq!(fault.ipa, Some(Ipa(0x2008)));
    let Fill::Map(map) = fill(&cfg(), 0x2008, Access::Read, false, &mut m, l0) else {
        panic!()
    };
    assert!(shadow_perms(&map, Access::Read));
    assert!(
        !shadow_perms(&map, Access::Write),
        "the shadow keeps L1's read-only"
    );
    let Fill::L1Fault(f) = fill(&cfg(), 0x3000, Access::Read, false, &mut m, l0) else {
        panic!()
    };
    assert_eq!((f.kind, f.level), (FaultKind::Translation, 3));
    let Fill::L1Fault(f) = fill(&cfg(), 0x4000, Access::Read, false, &mut m, l0) else {
        panic!()
    };
    assert_eq!(f.kind, FaultKind::AccessFlag);
}

#[test]
fn the_smaller_block_wins() {
    let mut m = l1_tables();
    // L1: a 2 MiB block at L2 IPA 2M -> L1 IPA 0x4460_0000.
    set(&mut m, L2T, 1, 0x4460_0000 | RW_WB | BLOCK);
    let l0_pages = |ipa: u64| {
        L1_RAM.contains(&ipa).then_some(L0Leaf {
            pa: ipa + 0x1000_0000,
            attrs: RW_WB,
            size: 4096,
        })
    };
    let Fill::Map(a) = fill(&cfg(), 0x20_3456, Access::Read, false, &mut m, l0_pages) else {
        panic!()
    };
    assert_eq!((a.ipa, a.pa, a.size), (0x20_3000, 0x5460_3000, 4096));
    let Fill::Map(b) = fill(&cfg(), 0x20_3456, Access::Read, false, &mut m, l0) else {
        panic!()
    };
    assert_eq!((b.ipa, b.pa, b.size), (0x20_0000, 0x4460_0000, 2 << 20));
}

#[test]
fn attributes_take_the_stricter() {
    assert_eq!(
        combine_memattr(0b0001, 0b1111),
        0b0001,
        "Device beats Normal"
    );
    assert_eq!(combine_memattr(0b0011, 0b0000), 0b0000, "nGnRnE beats GRE");
    assert_eq!(
        combine_memattr(0b0101, 0b1111),
        0b0101,
        "Non-cacheable beats WB"
    );
    assert_eq!(
        combine_memattr(0b1110, 0b1011),
        0b1010,
        "outer WT, inner WT"
    );
    let mut m = l1_tables();
    let dev = (0b0001 << 2) | (3 << 6) | (1 << 10) | (2 << 53);
    set(&mut m, L3T, 9, 0x4400_9000 | dev | PAGE);
    let Fill::Map(map) = fill(&cfg(), 0x9000, Access::Read, false, &mut m, l0) else {
        panic!()
    };
    assert_eq!((map.attrs >> 2) & 0xf, 0b0001);
    assert!(!shadow_perms(&map, Access::Exec), "L1's XN is kept");
}

#[test]
fn hostile_tables_give_faults_not_reads_of_l0() {
    // The root itself outside L1's RAM (e.g. L0's memory).
    let mut m = l1_tables();
    let bogus = S2Config::new(VTCR, 0x4000_0000, VM, 0, Features::QEMU_MAX);
    let Fill::L1Fault(f) = fill(&bogus, 0x1000, Access::Read, false, &mut m, l0) else {
        panic!()
    };
    assert_eq!(f.kind, FaultKind::ExternalAbortOnWalk);
    // A table pointer into MMIO.
    set(&mut m, L2T, 3, 0x0800_0000 | TABLE);
    let Fill::L1Fault(f) = fill(&cfg(), 0x60_0000, Access::Read, false, &mut m, l0) else {
        panic!()
    };
    assert_eq!((f.kind, f.level), (FaultKind::ExternalAbortOnWalk, 3));
    // An output address past L1's 40-bit PA size.
    set(&mut m, L3T, 5, (1 << 40) | RW_WB | PAGE);
    let Fill::L1Fault(f) = fill(&cfg(), 0x5000, Access::Read, false, &mut m, l0) else {
        panic!()
    };
    assert_eq!(f.kind, FaultKind::AddressSize);
    // Tables that point to themselves end within the levels there are.
    let mut loops = L1Mem {
        words: BTreeMap::new(),
        ram: L1_RAM,
    };
    loops.words.insert(ROOT, ROOT | TABLE);
    let f = fill(&cfg(), 0, Access::Read, false, &mut loops, l0);
    assert!(matches!(f, Fill::Map(_) | Fill::L1Fault(_)), "{f:?}");
    // An output L0 has no memory at.
    set(&mut m, L3T, 6, 0x0900_0000 | RW_WB | PAGE);
    assert_eq!(
        fill(&cfg(), 0x6000, Access::Read, false, &mut m, l0),
        Fill::NotL0Memory {
            l1_ipa: 0x0900_0000
        }
    );
    // An illegal VTCR (T0SZ too large for a level-1 start) is a fault too.
    let bad = S2Config::new(63 | (1 << 6), ROOT, VM, 0, Features::QEMU_MAX);
    assert!(matches!(
        fill(&bad, 0, Access::Read, false, &mut m, l0),
        Fill::L1Fault(_)
    ));
}

/// Shadows that record what was done to them.
#[derive(Default)]
struct FakeAlloc {
    next: u64,
    live: Vec<u64>,
    limit: usize,
}

struct FakeTables {
    vttbr: u64,
    maps: Vec<Mapping>,
    cleared: u32,
}

impl ShadowTables for FakeTables {
    fn map(&mut self, m: &Mapping) -> bool {
        self.maps.push(*m);
        true
    }
    fn unmap(&mut self, ipa: u64, size: u64) {
        self.maps
            .retain(|m| m.ipa + m.size <= ipa || m.ipa >= ipa + size);
    }
    fn clear(&mut self) {
        self.maps.clear();
        self.cleared += 1;
    }
    fn vttbr(&self) -> u64 {
        self.vttbr
    }
}

impl ShadowAlloc for FakeAlloc {
    type Tables = FakeTables;
    fn create(&mut self) -> Option<FakeTables> {
        if self.limit != 0 && self.live.len() >= self.limit {
            return None;
        }
        self.next += 1;
        let vttbr = (self.next + 2) << 48 | 0x5000_0000;
        self.live.push(vttbr);
        Some(FakeTables {
            vttbr,
            maps: Vec::new(),
            cleared: 0,
        })
    }
    fn destroy(&mut self, t: FakeTables) {
        self.live.retain(|&v| v != t.vttbr);
    }
}

fn key(vmid: u16) -> Key {
    Key::new(u64::from(vmid) << 48 | 0x4800_0000, VTCR | vtcr::VS)
}

fn page(ipa: u64) -> Mapping {
    Mapping {
        ipa,
        pa: ipa + 0x4000_0000,
        size: 4096,
        attrs: RW_WB,
    }
}

#[test]
fn keys_ignore_what_does_not_translate() {
    let a = Key::new(5 << 48 | 0x4800_0000 | 1, VTCR);
    let b = Key::new(5 << 48 | 0x4800_0000, VTCR | (0xf << 8));
    assert_eq!(a, b, "CnP and walk cacheability do not matter");
    assert_ne!(Key::new(0x4800_0000, VTCR), Key::new(0x4800_0000, VTCR + 1));
    // With 8-bit VMIDs the upper byte is ignored.
    assert_eq!(Key::new(0x0105 << 48, VTCR).vmid, 5);
}

#[test]
fn lookups_hit_and_the_least_recently_used_goes() {
    let mut c = ShadowCache::new(FakeAlloc::default(), 3);
    let v1 = c.enter(key(1), 0).unwrap();
    assert_eq!(c.enter(key(1), 0).unwrap(), v1);
    c.leave(key(1), 0);
    c.enter(key(2), 0).unwrap();
    c.leave(key(2), 0);
    c.enter(key(3), 0).unwrap();
    c.leave(key(3), 0);
    // Key 1 used again: key 2 is now the least recently used.
    c.enter(key(1), 0).unwrap();
    c.leave(key(1), 0);
    c.enter(key(4), 0).unwrap();
    assert_eq!(c.len(), 3);
    assert!(c.map.contains_key(&key(1)) && !c.map.contains_key(&key(2)));
    assert_eq!(
        c.stats,
        Stats {
            hits: 2,
            misses: 4,
            fills: 0,
            evictions: 1,
            invalidations: 0
        }
    );
    assert_eq!(c.alloc().live.len(), 3);
}

#[test]
fn pinned_shadows_stay() {
    let mut c = ShadowCache::new(FakeAlloc::default(), 2);
    c.enter(key(1), 0).unwrap();
    c.enter(key(2), 1).unwrap();
    assert_eq!(c.enter(key(3), 0), Err(CacheError::Full));
    c.leave(key(1), 0);
    assert!(c.enter(key(3), 0).is_ok());
    assert!(c.map.contains_key(&key(2)), "vCPU 1 still runs on it");
    // Out of VMIDs/memory: an unpinned one is evicted to make one.
    let mut d = ShadowCache::new(
        FakeAlloc {
            limit: 1,
            ..FakeAlloc::default()
        },
        8,
    );
    d.enter(key(1), 0).unwrap();
    d.leave(key(1), 0);
    assert!(d.enter(key(2), 0).is_ok());
    assert_eq!(d.len(), 1);
}

#[test]
fn ten_thousand_vmids_stay_bounded() {
    let mut c = ShadowCache::new(FakeAlloc::default(), 16);
    for v in 0..10_000u32 {
        let k = Key::new(
            u64::from(v) << 48 | 0x4800_0000 | (u64::from(v) << 12),
            VTCR | vtcr::VS,
        );
        c.enter(k, 0).unwrap();
        assert!(c.install(k, &page(0x1000)));
        c.leave(k, 0);
        assert!(c.len() <= 16);
    }
    assert_eq!(c.alloc().live.len(), 16);
    assert_eq!(c.stats.evictions, 10_000 - 16);
    drop(c);
}

#[test]
fn tlbis_invalidate_exactly_their_entries() {
    let mut c = ShadowCache::new(FakeAlloc::default(), 4);
    for v in [1, 2] {
        c.enter(key(v), 0).unwrap();
        for ipa in [0x1000, 0x2000, 0x3000] {
            c.install(key(v), &page(ipa));
        }
    }
    c.invalidate_ipa(1, 0x2000, 0x1000);
    let maps = |c: &ShadowCache<FakeAlloc>, v| {
        c.map[&key(v)]
            .tables
            .maps
            .iter()
            .map(|m| m.ipa)
            .collect::<Vec<_>>()
    };
    assert_eq!(maps(&c, 1), [0x1000, 0x3000]);
    assert_eq!(
        maps(&c, 2),
        [0x1000, 0x2000, 0x3000],
        "other VMIDs untouched"
    );
    c.invalidate_vmid(2);
    assert!(maps(&c, 2).is_empty());
    assert_eq!(maps(&c, 1), [0x1000, 0x3000]);
    c.invalidate_all();
    assert!(maps(&c, 1).is_empty());
    assert_eq!(c.stats.invalidations, 3);
    assert_eq!(c.stats.fills, 6);
}
