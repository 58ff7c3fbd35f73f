//! L0's stage-2 translation for its guest (Arm ARM D8.2, "Translation
//! process"; stage-2 descriptors D8.3.2): 4K granule, the largest IPA size
//! the hardware allows up to 48 bits (ID_AA64MMFR0_EL1.PARange), starting at
//! level 0 from 42 bits up and at level 1 (with up to two concatenated root
//! tables) below; RAM mapped with the largest blocks that fit, devices with
//! pages.
//!
//! aarch64-paging does not model stage-2 descriptors (S2AP, MemAttr), so the
//! few lines needed are written here.

use crate::mm;

/// VTCR_EL2 fields (D24.2.210): inner/outer WB-WA walks, inner shareable,
/// TG0 = 4K (0), RES1 bit 31; T0SZ, SL0 and PS come from the IPA size.
const VTCR_CACHE_SH: u64 = (1 << 8) | (1 << 10) | (3 << 12);
const VTCR_RES1: u64 = 1 << 31;
const VTCR_SL0_SHIFT: u64 = 6;
const VTCR_PS_SHIFT: u64 = 16;
/// PARange encodings (ID_AA64MMFR0_EL1[3:0]) to address bits; 6 (52 bits)
/// needs LPA2 descriptors, which this stage 2 does not use: capped at 5.
const PARANGE_BITS: [u32; 6] = [32, 36, 40, 42, 44, 48];

/// Stage-2 descriptor fields (D8.3.2): MemAttr[5:2], S2AP[7:6], SH[9:8], AF[10].
const S2_MEMATTR_NORMAL_WB: u64 = 0b1111 << 2;
const S2_MEMATTR_DEVICE_NGNRE: u64 = 0b0001 << 2;
const S2_AP_RW: u64 = 0b11 << 6;
const S2_SH_INNER: u64 = 0b11 << 8;
const S2_AF: u64 = 1 << 10;
const S2_XN: u64 = 2 << 53;
const DESC_TABLE: u64 = 0b11;
const DESC_PAGE: u64 = 0b11;
const DESC_BLOCK: u64 = 0b01;
const OA_MASK: u64 = 0x0000_ffff_ffff_f000;

/// What a stage-2 mapping is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemType {
    /// Guest RAM: normal write-back, read/write/exec.
    Ram,
    /// A passed-through device: Device-nGnRE, read/write, never executable.
    Device,
}

/// A guest's stage-2 tables, allocated from L0's page pool.
pub struct Stage2 {
    root: u64,
    vmid: u16,
    /// Level the walk starts at (0 or 1).
    start: usize,
    /// IPA bits resolved by the start level (its index width).
    start_bits: u32,
    vtcr: u64,
}

/// Why a mapping could not be made.
#[derive(Debug)]
pub enum MapError {
    NoMemory,
    Unaligned,
    /// Beyond the IPA size.
    OutOfRange,
}

fn entry_ptr(table: u64, idx: usize) -> *mut u64 {
    (table as *mut u64).wrapping_add(idx)
}

impl Stage2 {
    /// Creates an empty stage 2 for VMID `vmid` with the IPA size of
    /// PARange `parange` (ID_AA64MMFR0_EL1[3:0]).
    ///
    /// # Errors
    /// `NoMemory` when L0's pool has no page for the root table.
    pub fn new(vmid: u16, parange: u64) -> Result<Stage2, MapError> {
        let ps = parange.min(PARANGE_BITS.len() as u64 - 1);
        let bits = PARANGE_BITS[ps as usize];
        // Level 0 resolves IPA[47:39], level 1 IPA[38:30] (4K granule). A
        // level-0 start needs a PA size of at least 44 bits (VTCR_EL2.SL0,
        // D24.2.210), so 40 bits starts at level 1 with two concatenated
        // root tables (D8.2.x, "Concatenated translation tables").
        let start = if bits >= 42 { 0 } else { 1 };
        let start_bits = bits - (39 - 9 * start as u32);
        let root_pages = 1usize << start_bits.saturating_sub(9);
        // alloc_pages aligns to the allocation size, as concatenation requires.
        let root = mm::alloc_pages(root_pages).ok_or(MapError::NoMemory)?;
        let sl0 = 2 - start as u64;
        let vtcr = (64 - u64::from(bits))
            | (sl0 << VTCR_SL0_SHIFT)
            | VTCR_CACHE_SH
            | (ps << VTCR_PS_SHIFT)
            | VTCR_RES1;
        Ok(Stage2 {
            root,
            vmid,
            start,
            start_bits,
            vtcr,
        })
    }

    /// VTCR_EL2 value for these tables.
    pub fn vtcr(&self) -> u64 {
        self.vtcr
    }

    /// Number of IPA bits the guest gets.
    pub fn ipa_bits(&self) -> u32 {
        self.start_bits + 39 - 9 * self.start as u32
    }

    fn index(&self, ipa: u64, level: usize) -> usize {
        let mask = if level == self.start {
            (1u64 << self.start_bits) - 1
        } else {
            0x1ff
        };
        ((ipa >> (39 - 9 * level)) & mask) as usize
    }

    /// VTTBR_EL2 value: root table and VMID (D24.2.211).
    pub fn vttbr(&self) -> u64 {
        self.root | (u64::from(self.vmid) << 48)
    }

    /// Maps `[ipa, ipa+size)` to `[pa, pa+size)`, using 1G/2M blocks where
    /// alignment allows.
    ///
    /// # Errors
    /// `Unaligned` for non-page-aligned input, `NoMemory` if a table cannot be allocated.
    pub fn map(&mut self, ipa: u64, pa: u64, size: u64, ty: MemType) -> Result<(), MapError> {
        let page = mm::PAGE_SIZE as u64;
        if ipa
            .checked_add(size)
            .is_none_or(|end| end > 1 << self.ipa_bits())
        {
            return Err(MapError::OutOfRange);
        }
        if !ipa.is_multiple_of(page) || !pa.is_multiple_of(page) || !size.is_multiple_of(page) {
            return Err(MapError::Unaligned);
        }
        let attrs = match ty {
            MemType::Ram => S2_MEMATTR_NORMAL_WB | S2_AP_RW | S2_SH_INNER | S2_AF,
            MemType::Device => S2_MEMATTR_DEVICE_NGNRE | S2_AP_RW | S2_AF | S2_XN,
        };
        let mut off = 0;
        while off < size {
            let (i, p, left) = (ipa + off, pa + off, size - off);
            // Level 1 blocks are 1 GiB, level 2 blocks 2 MiB, level 3 pages 4 KiB.
            let level = [1usize, 2]
                .into_iter()
                .find(|&l| {
                    let bs = 1u64 << (39 - 9 * l);
                    i % bs == 0 && p % bs == 0 && left >= bs
                })
                .unwrap_or(3);
            let bs = 1u64 << (39 - 9 * level);
            self.set(
                i,
                level,
                p | attrs | if level == 3 { DESC_PAGE } else { DESC_BLOCK },
            )?;
            off += bs;
        }
        Ok(())
    }

    /// Writes the descriptor for `ipa` at `level`, creating tables on the way.
    fn set(&mut self, ipa: u64, level: usize, desc: u64) -> Result<(), MapError> {
        let mut table = self.root;
        for l in self.start..level {
            let idx = self.index(ipa, l);
            let p = entry_ptr(table, idx);
            // SAFETY: `table` is a page-table page L0 allocated and owns; idx < 512.
            let e = unsafe { p.read_volatile() };
            table = if e & 0b11 == DESC_TABLE {
                e & OA_MASK
            } else {
                let t = mm::alloc_pages(1).ok_or(MapError::NoMemory)?;
                // SAFETY: as above; the new table is zeroed (all invalid).
                unsafe { p.write_volatile(t | DESC_TABLE) };
                t
            };
        }
        let idx = self.index(ipa, level);
        // SAFETY: as above.
        unsafe { entry_ptr(table, idx).write_volatile(desc) };
        Ok(())
    }
}

/// Makes the stage-2 tables visible to the walker and drops stale entries
/// for this VMID (run before first entry).
pub fn activate(s2: &Stage2) {
    rt::sysreg::write!("VTCR_EL2", s2.vtcr());
    rt::sysreg::write!("VTTBR_EL2", s2.vttbr());
    rt::sysreg::isb();
    // SAFETY: TLB maintenance for the current VMID; no Rust-visible memory effect.
    unsafe {
        core::arch::asm!(
            "dsb ishst",
            "tlbi vmalls12e1is",
            "dsb ish",
            "isb",
            options(nostack)
        )
    };
}
