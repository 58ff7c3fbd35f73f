//! L0's stage-2 translation for its guest (Arm ARM D8.2, "Translation
//! process"; stage-2 descriptors D8.3.2): 4K granule, 48-bit IPA starting at
//! level 0, RAM mapped with the largest blocks that fit, devices with pages.
//!
//! aarch64-paging does not model stage-2 descriptors (S2AP, MemAttr), so the
//! few lines needed are written here.

use crate::mm;

/// VTCR_EL2: T0SZ=16 (48-bit IPA), SL0=2 (start at level 0, 4K), inner/outer
/// WB-WA, inner shareable, TG0=4K, PS=48 bits, RES1 bit 31 (D24.2.210).
const VTCR_T0SZ: u64 = 16;
const VTCR_SL0_L0: u64 = 2 << 6;
const VTCR_CACHE_SH: u64 = (1 << 8) | (1 << 10) | (3 << 12);
const VTCR_PS_48: u64 = 5 << 16;
const VTCR_RES1: u64 = 1 << 31;
pub const VTCR: u64 = VTCR_T0SZ | VTCR_SL0_L0 | VTCR_CACHE_SH | VTCR_PS_48 | VTCR_RES1;

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
}

/// Why a mapping could not be made.
#[derive(Debug)]
pub enum MapError {
    NoMemory,
    Unaligned,
}

fn entry_ptr(table: u64, idx: usize) -> *mut u64 {
    (table as *mut u64).wrapping_add(idx)
}

impl Stage2 {
    /// Creates an empty stage 2 for VMID `vmid`.
    ///
    /// # Errors
    /// `NoMemory` when L0's pool has no page for the root table.
    pub fn new(vmid: u16) -> Result<Stage2, MapError> {
        let root = mm::alloc_pages(1).ok_or(MapError::NoMemory)?;
        Ok(Stage2 { root, vmid })
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
        for l in 0..level {
            let idx = ((ipa >> (39 - 9 * l)) & 0x1ff) as usize;
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
        let idx = ((ipa >> (39 - 9 * level)) & 0x1ff) as usize;
        // SAFETY: as above.
        unsafe { entry_ptr(table, idx).write_volatile(desc) };
        Ok(())
    }
}

/// Makes the stage-2 tables visible to the walker and drops stale entries
/// for this VMID (run before first entry).
pub fn activate(s2: &Stage2) {
    rt::sysreg::write!("VTCR_EL2", VTCR);
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
