//! Memory of the nested suite: where things live, test-l1's EL2 stage-1
//! identity map (in the mode's format), page pools, and the stage-2 tables
//! test-l1 builds for its L2 guests.
//!
//! Physical layout (test-l1's RAM; under L0 the same addresses are L1's
//! IPAs, which L0 maps 1:1):
//!
//! | range | what |
//! |---|---|
//! | 0x4440_0000.. | the test-l1 image (build.rs LOAD_ADDR) |
//! | 0x4900_0000..0x4901_0000 | EL2 stage-1 tables |
//! | 0x4901_0000..0x4903_0000 | the second CPU's EL2 stack |
//! | 0x4940_0000..0x4a00_0000 | stage-2 table pool |
//! | 0x4a00_0000..0x4c00_0000 | L2 memory pool |
//!
//! clear of QEMU's DTB (0x4800_0000), test-l2 (0x4c00_0000) and the at-diff
//! and fgt-diff scratch ranges (0x5000_0000..0x6000_0000).

use super::hw;

/// EL2 stage-1 level-1 table (4 KiB).
pub const EL2_TABLES: u64 = 0x4900_0000;
/// Top of the second CPU's EL2 stack.
pub const CPU1_STACK_TOP: u64 = 0x4902_0000;
/// Stage-2 table pool.
pub const S2_POOL: core::ops::Range<u64> = 0x4940_0000..0x4a00_0000;
/// L2 memory pool.
pub const L2_POOL: core::ops::Range<u64> = 0x4a00_0000..0x4c00_0000;
/// A VA test-l1's EL2 map leaves unmapped (its level-1 entry is invalid).
pub const EL2_HOLE: u64 = 0x1_0000_0000;

/// MAIR: attr0 Normal write-back, attr1 Device-nGnRE, attr2 Normal
/// non-cacheable.
pub const MAIR: u64 = 0x44_04_ff;

const PAGE: u64 = 4096;

/// Writes a 64-bit descriptor.
pub fn put(pa: u64, v: u64) {
    // SAFETY: callers pass 8-byte aligned addresses in the suite's own
    // ranges (table pools, EL2 tables), identity-mapped.
    unsafe { core::ptr::write_volatile(pa as *mut u64, v) }
}
/// Reads a 64-bit word.
pub fn get(pa: u64) -> u64 {
    // SAFETY: as in `put`.
    unsafe { core::ptr::read_volatile(pa as *const u64) }
}
/// Writes a 32-bit word.
pub fn put32(pa: u64, v: u32) {
    // SAFETY: as in `put`, 4-byte aligned.
    unsafe { core::ptr::write_volatile(pa as *mut u32, v) }
}

/// Zeroes a page.
pub fn zero_page(pa: u64) {
    for i in 0..PAGE / 8 {
        put(pa + 8 * i, 0);
    }
}

/// Builds test-l1's EL2 stage-1 map (4K granule, 39-bit VA, 1 GiB blocks
/// at level 1): 0-1 GiB device, 1-2 GiB normal (RAM), 2-4 GiB device,
/// 256 GiB (the high PCIe ECAM) device, [`EL2_HOLE`] and everything else
/// invalid. One format serves both regimes: AP[1] = 0 (EL2 only),
/// PXN/UXN set on device blocks (Arm ARM D8.3, block descriptors).
pub fn build_el2_map() {
    zero_page(EL2_TABLES);
    let dev = |pa: u64| pa | (1 << 10) | (1 << 2) | (3 << 53) | 0b01;
    let normal = |pa: u64| pa | (1 << 10) | (3 << 8) | 0b01;
    put(EL2_TABLES, dev(0));
    put(EL2_TABLES + 8, normal(1 << 30));
    put(EL2_TABLES + 16, dev(2 << 30));
    put(EL2_TABLES + 24, dev(3 << 30));
    put(EL2_TABLES + 256 * 8, dev(256 << 30));
    hw::dsb_ish();
}

/// TCR_EL2 for the map: E2H = 1 takes the EL1 layout (T0SZ, EPD1, TG1,
/// IPS), E2H = 0 the EL2 layout (T0SZ, PS, RES1 bits 31 and 23) (Arm ARM
/// D24.2, TCR_EL2).
pub fn el2_tcr() -> u64 {
    let common = 25 | (1 << 8) | (1 << 10) | (3 << 12);
    if hw::vhe() {
        common | (1 << 23) | (2 << 30) | (2 << 32)
    } else {
        common | (2 << 16) | (1 << 31) | (1 << 23)
    }
}

/// SCTLR_EL2 with the MMU and caches on: RES1 bits of the layout E2H
/// selects (EL1-like with E2H = 1: 29, 28, 23, 22, 20, 11; EL2 layout:
/// 29, 28, 23, 22, 18, 16, 11, 5, 4) plus M, C, I.
pub fn el2_sctlr_on() -> u64 {
    let res1 = if hw::vhe() { 0x30d0_0800 } else { 0x30c5_0830 };
    res1 | 1 | (1 << 2) | (1 << 12)
}

/// Turns test-l1's EL2 MMU on (this CPU).
pub fn el2_mmu_on() {
    hw::el2::set_mair(MAIR);
    hw::el2::set_tcr(el2_tcr());
    hw::el2::set_ttbr0(EL2_TABLES);
    rt::sysreg::isb();
    // SAFETY: TLB maintenance for test-l1's own regime.
    unsafe { core::arch::asm!("tlbi alle2", "dsb ish", "isb", options(nostack)) };
    hw::el2::set_sctlr(el2_sctlr_on());
    rt::sysreg::isb();
}

/// A bump allocator of zeroed pages.
pub struct Pool {
    next: u64,
    end: u64,
}

impl Pool {
    /// A pool over `r`.
    pub const fn new(r: core::ops::Range<u64>) -> Pool {
        Pool {
            next: r.start,
            end: r.end,
        }
    }
    /// A zeroed page (panics when the pool is exhausted: a suite bug).
    pub fn page(&mut self) -> u64 {
        let p = self.next;
        assert!(p + PAGE <= self.end, "nested: page pool exhausted");
        self.next += PAGE;
        zero_page(p);
        p
    }
    /// `n` contiguous zeroed pages.
    pub fn pages(&mut self, n: u64) -> u64 {
        let p = self.next;
        for _ in 0..n {
            self.page();
        }
        p
    }
}

/// Stage-2 attributes of a 4 KiB page (Arm ARM D8.5, stage 2 descriptors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct S2Attr {
    /// S2AP\[0\]: readable.
    pub read: bool,
    /// S2AP\[1\]: writable.
    pub write: bool,
    /// XN\[1\] (bit 54): not executable.
    pub xn: bool,
    /// MemAttr = 0b0001 (Device-nGnRE) instead of 0b1111 (Normal WB).
    pub device: bool,
}

impl S2Attr {
    /// Normal memory, read/write/execute.
    pub const RWX: S2Attr = S2Attr {
        read: true,
        write: true,
        xn: false,
        device: false,
    };
    /// Normal memory, read-only, executable.
    pub const RX: S2Attr = S2Attr {
        read: true,
        write: false,
        xn: false,
        device: false,
    };
    /// Normal memory, read/write, never executable.
    pub const RW: S2Attr = S2Attr {
        read: true,
        write: true,
        xn: true,
        device: false,
    };

    /// The stage-2 page descriptor for `pa`.
    pub fn desc(self, pa: u64) -> u64 {
        let memattr = if self.device { 0b0001 } else { 0b1111 };
        let s2ap = u64::from(self.read) | (u64::from(self.write) << 1);
        pa | 0b11 | (memattr << 2) | (s2ap << 6) | (3 << 8) | (1 << 10) | (u64::from(self.xn) << 54)
    }
}

/// VTCR_EL2 for every VM of the suite: 4K granule, 39-bit IPA (T0SZ = 25)
/// starting at level 1 (SL0 = 1), write-back inner shareable walks, 40-bit
/// PS, 16-bit VMIDs when implemented, RES1 bit 31 (Arm ARM D24.2, VTCR_EL2).
pub fn vtcr(vmid16: bool) -> u64 {
    25 | (1 << 6)
        | (1 << 8)
        | (1 << 10)
        | (3 << 12)
        | (2 << 16)
        | if vmid16 { 1 << 19 } else { 0 }
        | (1 << 31)
}

/// A stage-2 translation: level-1 root, 4K pages, tables from a pool.
#[derive(Clone, Copy, Debug)]
pub struct S2 {
    /// Root table PA.
    pub root: u64,
}

/// Index of `ipa` at `level` (1..=3) for a 4K granule.
pub fn index(ipa: u64, level: u32) -> u64 {
    (ipa >> (12 + 9 * (3 - level))) & 511
}

impl S2 {
    /// An empty stage 2 (root from `pool`).
    pub fn new(pool: &mut Pool) -> S2 {
        S2 { root: pool.page() }
    }

    /// The address of the level-3 descriptor slot for `ipa`, creating
    /// tables from `pool` as needed.
    pub fn slot(&self, pool: &mut Pool, ipa: u64) -> u64 {
        let mut table = self.root;
        for level in 1..3 {
            let a = table + 8 * index(ipa, level);
            let d = get(a);
            table = if d & 0b11 == 0b11 {
                d & 0x0000_ffff_ffff_f000
            } else {
                let t = pool.page();
                put(a, t | 0b11);
                t
            };
        }
        table + 8 * index(ipa, 3)
    }

    /// Maps `len` bytes (whole pages) at `ipa` to `pa`.
    pub fn map(&self, pool: &mut Pool, ipa: u64, pa: u64, len: u64, attr: S2Attr) {
        let mut off = 0;
        while off < len {
            let s = self.slot(pool, ipa + off);
            put(s, attr.desc(pa + off));
            off += PAGE;
        }
        hw::dsb_ish();
    }

    /// The level-3 descriptor slot for `ipa` if its tables exist.
    pub fn find(&self, ipa: u64) -> Option<u64> {
        let mut table = self.root;
        for level in 1..3 {
            let d = get(table + 8 * index(ipa, level));
            if d & 0b11 != 0b11 {
                return None;
            }
            table = d & 0x0000_ffff_ffff_f000;
        }
        Some(table + 8 * index(ipa, 3))
    }

    /// The level at which a walk for `ipa` finds an invalid descriptor
    /// (1..=3), or `None` if it is mapped: the level a stage-2
    /// translation fault reports.
    pub fn fault_level(&self, ipa: u64) -> Option<u32> {
        let mut table = self.root;
        for level in 1..=3 {
            let d = get(table + 8 * index(ipa, level));
            if d & 1 == 0 {
                return Some(level);
            }
            table = d & 0x0000_ffff_ffff_f000;
        }
        None
    }

    /// VTTBR_EL2 for this stage 2 and `vmid`.
    pub fn vttbr(&self, vmid: u16) -> u64 {
        self.root | (u64::from(vmid) << 48)
    }
}
