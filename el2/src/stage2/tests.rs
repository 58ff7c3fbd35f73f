//! Host tests of the stage-2 tables, read back with at-emul's stage-2
//! walker (the model of the hardware walk) as well as `translate`.

use super::*;
use at_emul::s2::{walk, S2Config};
use at_emul::{Access, DescReader, ExternalAbort, FaultKind, Features, Ipa, Pa};
use std::collections::BTreeMap;
use std::vec::Vec;

/// Table pages in a map, handed out by a bump allocator aligned as asked.
#[derive(Default)]
pub struct FakeMem {
    pages: BTreeMap<u64, [u64; 512]>,
    next: u64,
}

impl FakeMem {
    pub fn new() -> Self {
        FakeMem {
            pages: BTreeMap::new(),
            next: 0x4000_0000,
        }
    }
    pub fn in_use(&self) -> usize {
        self.pages.len()
    }
}

impl TableMemory for FakeMem {
    fn alloc(&mut self, pages: usize) -> Option<u64> {
        let align = (pages as u64).next_power_of_two() * PAGE;
        let pa = self.next.next_multiple_of(align);
        self.next = pa + pages as u64 * PAGE;
        for k in 0..pages as u64 {
            self.pages.insert(pa + k * PAGE, [0; 512]);
        }
        Some(pa)
    }
    fn free(&mut self, pa: u64, pages: usize) {
        for k in 0..pages as u64 {
            assert!(
                self.pages.remove(&(pa + k * PAGE)).is_some(),
                "double free {pa:#x}"
            );
        }
    }
    fn read(&self, table: u64, idx: usize) -> u64 {
        self.pages[&table][idx]
    }
    fn write(&mut self, table: u64, idx: usize, v: u64) {
        self.pages.get_mut(&table).expect("write to a freed table")[idx] = v;
    }
}

impl DescReader for FakeMem {
    fn read_desc(&mut self, pa: Pa) -> Result<u64, ExternalAbort> {
        let page = pa.0 & !(PAGE - 1);
        let t = self.pages.get(&page).ok_or(ExternalAbort)?;
        Ok(t[((pa.0 & (PAGE - 1)) / 8) as usize])
    }
}

/// Every TLB maintenance operation, in order.
#[derive(Default)]
pub struct RecTlb(pub Vec<(u16, Option<u64>)>);

impl Tlb for RecTlb {
    fn invalidate_ipa(&mut self, vmid: u16, ipa: u64) {
        self.0.push((vmid, Some(ipa)));
    }
    fn invalidate_vmid(&mut self, vmid: u16) {
        self.0.push((vmid, None));
    }
}

fn hw_walk(
    s2: &Stage2,
    mem: &mut FakeMem,
    ipa: u64,
    access: Access,
    parange: u8,
) -> Result<u64, FaultKind> {
    let f = Features {
        pa_range: parange,
        ..Features::QEMU_MAX
    };
    let cfg = S2Config::new(s2.vtcr(), s2.vttbr(), arch::regs::hcr::VM, 0, f);
    walk(&cfg, Ipa(ipa), mem, access)
        .map(|t| t.pa.0)
        .map_err(|e| e.kind)
}

const GIB: u64 = 1 << 30;
const MIB2: u64 = 2 << 20;

#[test]
fn every_parange_is_walked_as_the_hardware_walks_it() {
    for parange in 0..=6u64 {
        let mut mem = FakeMem::new();
        let mut tlb = RecTlb::default();
        let mut s2 = Stage2::new(1, parange, &mut mem).unwrap();
        let bits = s2.ipa_bits();
        assert_eq!(bits, [32, 36, 40, 42, 44, 48, 48][parange as usize]);
        // Guest RAM as QEMU virt places it, a device page, and something
        // near the top of the IPA space.
        s2.map(
            0x4400_0000,
            0x4400_0000,
            0x3c00_0000,
            S2Attrs::RAM,
            &mut mem,
            &mut tlb,
        )
        .unwrap();
        s2.map(
            0x0900_0000,
            0x0900_0000,
            PAGE,
            S2Attrs::DEVICE,
            &mut mem,
            &mut tlb,
        )
        .unwrap();
        let top = (1u64 << bits) - 2 * MIB2;
        s2.map(top, 0x4400_0000, MIB2, S2Attrs::RAM, &mut mem, &mut tlb)
            .unwrap();
        assert_eq!(
            s2.map(1 << bits, 0, PAGE, S2Attrs::RAM, &mut mem, &mut tlb),
            Err(MapError::OutOfRange)
        );
        let pr = parange.min(5) as u8;
        for (ipa, want) in [
            (0x4400_0000, Some(0x4400_0000)),
            (0x4523_4568, Some(0x4523_4568)),
            (0x7fff_fff8, Some(0x7fff_fff8)),
            (0x0900_0010, Some(0x0900_0010)),
            (top + 0x1234, Some(0x4400_1234)),
            (0x0901_0000, None),
            (0x8000_0000 % (1 << bits), None),
        ] {
            let got = hw_walk(&s2, &mut mem, ipa, Access::Read, pr);
            match want {
                Some(pa) => assert_eq!(got, Ok(pa), "PARange {parange}, IPA {ipa:#x}"),
                None => assert_eq!(
                    got,
                    Err(FaultKind::Translation),
                    "PARange {parange}, IPA {ipa:#x}"
                ),
            }
            assert_eq!(s2.translate(ipa, &mem).map(|l| l.pa), want);
        }
        // Device memory is never executable.
        assert_eq!(
            hw_walk(&s2, &mut mem, 0x0900_0000, Access::Exec, pr),
            Err(FaultKind::Permission)
        );
        assert!(tlb.0.is_empty(), "fresh mappings need no TLB maintenance");
        let used = mem.in_use();
        assert_eq!(used, s2.pages());
        s2.destroy(&mut mem, &mut tlb);
        assert_eq!(mem.in_use(), 0, "every table freed");
    }
}

#[test]
fn largest_blocks_are_used() {
    let mut mem = FakeMem::new();
    let mut tlb = RecTlb::default();
    let mut s2 = Stage2::new(1, 5, &mut mem).unwrap();
    s2.map(
        GIB,
        GIB,
        GIB + MIB2 + PAGE,
        S2Attrs::RAM,
        &mut mem,
        &mut tlb,
    )
    .unwrap();
    assert_eq!(s2.translate(GIB, &mem).unwrap().level, 1);
    assert_eq!(s2.translate(2 * GIB, &mem).unwrap().level, 2);
    assert_eq!(s2.translate(2 * GIB + MIB2, &mem).unwrap().level, 3);
    assert_eq!(s2.translate(2 * GIB + MIB2 + PAGE, &mem), None);
}

#[test]
fn a_partial_remap_splits_the_block_and_keeps_the_rest() {
    let mut mem = FakeMem::new();
    let mut tlb = RecTlb::default();
    let mut s2 = Stage2::new(7, 5, &mut mem).unwrap();
    s2.map(GIB, GIB, GIB, S2Attrs::RAM, &mut mem, &mut tlb)
        .unwrap();
    // Remap one page of the 1 GiB block read-only elsewhere.
    let ro = S2Attrs(S2Attrs::RAM.0 & !S2Attrs::WRITE);
    let p = GIB + 5 * MIB2 + 3 * PAGE;
    s2.map(p, 0x9000_0000, PAGE, ro, &mut mem, &mut tlb)
        .unwrap();
    let l = s2.translate(p + 8, &mem).unwrap();
    assert_eq!((l.pa, l.level, l.attrs), (0x9000_0008, 3, ro));
    // The rest of the block still maps where it did, with its attributes.
    for ipa in [
        GIB,
        p - PAGE,
        p + PAGE,
        GIB + 5 * MIB2,
        GIB + 6 * MIB2,
        2 * GIB - PAGE,
    ] {
        let l = s2.translate(ipa, &mem).unwrap();
        assert_eq!((l.pa, l.attrs), (ipa, S2Attrs::RAM), "{ipa:#x}");
        assert_eq!(hw_walk(&s2, &mut mem, ipa, Access::Write, 5), Ok(ipa));
    }
    // The page is read-only for the hardware walk too.
    assert_eq!(hw_walk(&s2, &mut mem, p, Access::Read, 5), Ok(0x9000_0000));
    assert_eq!(
        hw_walk(&s2, &mut mem, p, Access::Write, 5),
        Err(FaultKind::Permission)
    );
    // Each replaced valid entry was broken before it was made, with TLB
    // maintenance for its VMID: the 1 GiB block, the 2 MiB block, the page.
    assert_eq!(
        tlb.0,
        [(7, Some(GIB)), (7, Some(GIB + 5 * MIB2)), (7, Some(p))]
    );
}

#[test]
fn unmap_removes_exactly_the_range() {
    let mut mem = FakeMem::new();
    let mut tlb = RecTlb::default();
    let mut s2 = Stage2::new(3, 5, &mut mem).unwrap();
    s2.map(GIB, GIB, 4 * MIB2, S2Attrs::RAM, &mut mem, &mut tlb)
        .unwrap();
    let hole = GIB + MIB2 + 7 * PAGE;
    s2.unmap(hole, 2 * PAGE, &mut mem, &mut tlb).unwrap();
    assert_eq!(s2.translate(hole, &mem), None);
    assert_eq!(s2.translate(hole + PAGE, &mem), None);
    assert_eq!(
        hw_walk(&s2, &mut mem, hole, Access::Read, 5),
        Err(FaultKind::Translation)
    );
    for ipa in [
        GIB,
        hole - PAGE,
        hole + 2 * PAGE,
        GIB + 2 * MIB2,
        GIB + 4 * MIB2 - PAGE,
    ] {
        assert_eq!(s2.translate(ipa, &mem).map(|l| l.pa), Some(ipa), "{ipa:#x}");
    }
    // Whole blocks go without a split; unmapping nothing is a no-op.
    s2.unmap(GIB + 2 * MIB2, MIB2, &mut mem, &mut tlb).unwrap();
    assert_eq!(s2.translate(GIB + 2 * MIB2, &mem), None);
    let before = tlb.0.len();
    s2.unmap(8 * GIB, GIB, &mut mem, &mut tlb).unwrap();
    assert_eq!(tlb.0.len(), before);
    assert!(tlb.0.iter().all(|&(v, _)| v == 3));
    assert!(tlb.0.contains(&(3, Some(hole))) && tlb.0.contains(&(3, Some(GIB + 2 * MIB2))));
}

#[test]
fn a_block_over_finer_mappings_frees_their_tables() {
    let mut mem = FakeMem::new();
    let mut tlb = RecTlb::default();
    let mut s2 = Stage2::new(1, 5, &mut mem).unwrap();
    s2.map(
        GIB + PAGE,
        GIB + PAGE,
        PAGE,
        S2Attrs::RAM,
        &mut mem,
        &mut tlb,
    )
    .unwrap();
    let with_tables = mem.in_use();
    assert_eq!(with_tables, 4); // root, levels 1, 2 and 3
    s2.map(GIB, 0x8000_0000, GIB, S2Attrs::RAM, &mut mem, &mut tlb)
        .unwrap();
    assert_eq!(mem.in_use(), 2);
    assert_eq!(s2.pages(), 2);
    assert_eq!(
        s2.translate(GIB + PAGE, &mem).unwrap().pa,
        0x8000_0000 + PAGE
    );
    assert!(tlb.0.contains(&(1, None)));
}

#[test]
fn clear_leaves_an_empty_root_and_invalidates_the_vmid() {
    let mut mem = FakeMem::new();
    let mut tlb = RecTlb::default();
    let mut s2 = Stage2::new(9, 2, &mut mem).unwrap();
    assert_eq!(mem.in_use(), 2, "40 bits: two concatenated roots");
    s2.map(
        0x4400_0000,
        0x4400_0000,
        0x100_0000 + PAGE,
        S2Attrs::RAM,
        &mut mem,
        &mut tlb,
    )
    .unwrap();
    s2.clear(&mut mem, &mut tlb);
    assert_eq!(mem.in_use(), 2);
    assert_eq!(s2.translate(0x4400_0000, &mem), None);
    assert_eq!(tlb.0.last(), Some(&(9, None)));
}

#[test]
fn unaligned_requests_are_refused() {
    let mut mem = FakeMem::new();
    let mut tlb = RecTlb::default();
    let mut s2 = Stage2::new(1, 5, &mut mem).unwrap();
    for (i, p, n) in [(1, 0, PAGE), (0, 8, PAGE), (0, 0, 100)] {
        assert_eq!(
            s2.map(i, p, n, S2Attrs::RAM, &mut mem, &mut tlb),
            Err(MapError::Unaligned)
        );
    }
    assert_eq!(
        s2.unmap(PAGE, 1, &mut mem, &mut tlb),
        Err(MapError::Unaligned)
    );
    assert_eq!(
        s2.map(!(PAGE - 1), 0, PAGE * 2, S2Attrs::RAM, &mut mem, &mut tlb),
        Err(MapError::OutOfRange)
    );
}
