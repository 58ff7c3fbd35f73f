//! Stage-2 translation tables that L0 builds: the guest's own stage 2 and,
//! for the nested core, the shadow stage 2s (Arm ARM D8.2 "Translation
//! process", D8.3.2 stage-2 descriptors, D8.16.1 break-before-make).
//!
//! 4K granule; the IPA size is the largest PARange allows up to 48 bits
//! (ID_AA64MMFR0_EL1.PARange; 52 bits would need LPA2 descriptors). The walk
//! starts at level 0 for 44 and 48 bits and at level 1 below: VTCR_EL2.SL0
//! may not name level 0 for a PA size under 44 bits, and a level-1 start
//! may concatenate up to 16 root tables (Arm ARM D8.2.8, "Concatenated
//! translation tables"), so 40 bits uses 2 of them and 42 bits 8.
//!
//! Table memory and TLB maintenance are behind traits ([`TableMemory`],
//! [`Tlb`]) so that the whole mapping logic is tested on the host.
//!
//! Why not aarch64-paging (0.12 has a `Stage2` regime): it has no
//! concatenated root tables (needed for PARange 2 and 3, e.g. cortex-a53's
//! 40-bit PA), its activation writes VTTBR_EL2 without a VMID and its TLB
//! maintenance is not per VMID, and the shadow stage 2 writes descriptors
//! whose attributes are composed from two walks bit by bit. The few hundred
//! lines here do exactly what L0 needs and are checked against at-emul's
//! walker for every PARange.

use arch::regs::{vtcr, vttbr};

/// Page size and granule (4 KiB).
pub const PAGE: u64 = 4096;
/// Entries per table.
const ENTRIES: usize = 512;
/// PARange encodings (ID_AA64MMFR0_EL1`[3:0]`) to address bits; 6 (52 bits)
/// needs LPA2 descriptors and is capped at 5.
const PARANGE_BITS: [u32; 6] = [32, 36, 40, 42, 44, 48];
/// Output address bits of a descriptor, `[47:12]`.
const OA_MASK: u64 = 0x0000_ffff_ffff_f000;
/// Descriptor type bits `[1:0]`: invalid (bit 0 clear), block (0b01 at
/// levels 1-2), table (0b11 at levels 0-2), page (0b11 at level 3).
const DESC_VALID: u64 = 1;
const DESC_TYPE: u64 = 0b11;
const DESC_TABLE: u64 = 0b11;
const DESC_BLOCK: u64 = 0b01;
const DESC_PAGE: u64 = 0b11;

/// The attribute bits of a stage-2 block or page descriptor (Arm ARM
/// D8.3.2): MemAttr`[5:2]`, S2AP`[7:6]`, SH`[9:8]`, AF`[10]`, XN`[54:53]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct S2Attrs(pub u64);

impl S2Attrs {
    /// The attribute bits a descriptor may carry.
    pub const MASK: u64 = (0xff << 2) | (1 << 10) | (3 << 53);
    /// MemAttr = 0b1111: Normal, inner and outer write-back.
    pub const MEMATTR_NORMAL_WB: u64 = 0b1111 << 2;
    /// MemAttr = 0b0001: Device-nGnRE.
    pub const MEMATTR_DEVICE_NGNRE: u64 = 0b0001 << 2;
    /// MemAttr field.
    pub const MEMATTR: u64 = 0b1111 << 2;
    /// S2AP`[0]`: read allowed.
    pub const READ: u64 = 1 << 6;
    /// S2AP`[1]`: write allowed.
    pub const WRITE: u64 = 1 << 7;
    /// SH = 0b11: Inner Shareable.
    pub const SH_INNER: u64 = 0b11 << 8;
    /// The access flag.
    pub const AF: u64 = 1 << 10;
    /// XN = 0b10: no execution at any EL.
    pub const XN: u64 = 0b10 << 53;
    /// XN field `[54:53]`.
    pub const XN_FIELD: u64 = 0b11 << 53;

    /// Guest RAM: Normal write-back, Inner Shareable, read/write/execute.
    pub const RAM: S2Attrs =
        S2Attrs(Self::MEMATTR_NORMAL_WB | Self::READ | Self::WRITE | Self::SH_INNER | Self::AF);
    /// A passed-through device: Device-nGnRE, read/write, never executable.
    pub const DEVICE: S2Attrs =
        S2Attrs(Self::MEMATTR_DEVICE_NGNRE | Self::READ | Self::WRITE | Self::AF | Self::XN);

    /// Whether reads are allowed.
    pub const fn read(self) -> bool {
        self.0 & Self::READ != 0
    }
    /// Whether writes are allowed.
    pub const fn write(self) -> bool {
        self.0 & Self::WRITE != 0
    }
}

/// Pages for translation tables: L0's page pool on the target, a fake
/// memory in host tests. Addresses are physical (identity-mapped at EL2).
pub trait TableMemory {
    /// `pages` zeroed, contiguous pages aligned to their total size (as
    /// concatenated root tables require), or None when memory is out.
    fn alloc(&mut self, pages: usize) -> Option<u64>;
    /// Returns pages from [`TableMemory::alloc`].
    fn free(&mut self, pa: u64, pages: usize);
    /// Entry `idx` of the table at `table`.
    fn read(&self, table: u64, idx: usize) -> u64;
    /// Writes entry `idx` of the table at `table` (made visible to the
    /// table walker before the next TLB maintenance or entry).
    fn write(&mut self, table: u64, idx: usize, v: u64);
}

/// Stage-2 TLB maintenance for one VMID (TLBI IPAS2E1IS / VMALLS12E1IS on
/// the target; recorded in host tests).
pub trait Tlb {
    /// Drops cached translations of `ipa` (any level) for `vmid`.
    fn invalidate_ipa(&mut self, vmid: u16, ipa: u64);
    /// Drops every cached translation of `vmid`, stage 1 included.
    fn invalidate_vmid(&mut self, vmid: u16);
}

/// Why a mapping could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The table memory is exhausted.
    NoMemory,
    /// An address or size is not page-aligned.
    Unaligned,
    /// The range goes past the IPA size.
    OutOfRange,
}

/// A translation as the tables give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// The output address of the IPA (page offset included).
    pub pa: u64,
    /// The descriptor's attributes.
    pub attrs: S2Attrs,
    /// The level of the leaf (1, 2 or 3).
    pub level: usize,
}

/// Bytes one entry maps at `level` (4K granule).
const fn entry_size(level: usize) -> u64 {
    1 << (39 - 9 * level as u32)
}

/// One VMID's stage-2 tables.
#[derive(Debug)]
pub struct Stage2 {
    root: u64,
    root_pages: usize,
    vmid: u16,
    /// Level the walk starts at (0 or 1).
    start: usize,
    /// IPA bits resolved at the start level (its index width, concatenation
    /// included).
    start_bits: u32,
    vtcr: u64,
    /// Table pages in use, root included.
    pages: usize,
}

impl Stage2 {
    /// Empty tables for VMID `vmid` with the IPA size of PARange `parange`
    /// (ID_AA64MMFR0_EL1`[3:0]`).
    ///
    /// # Errors
    /// `NoMemory` when `mem` has no pages for the root.
    pub fn new(vmid: u16, parange: u64, mem: &mut impl TableMemory) -> Result<Stage2, MapError> {
        let ps = parange.min(PARANGE_BITS.len() as u64 - 1);
        let bits = PARANGE_BITS[ps as usize];
        let start = if bits >= 44 { 0 } else { 1 };
        let start_bits = bits - (39 - 9 * start as u32);
        let root_pages = 1usize << start_bits.saturating_sub(9);
        let root = mem.alloc(root_pages).ok_or(MapError::NoMemory)?;
        // SL0: 0b10 starts at level 0, 0b01 at level 1 (4K granule).
        let sl0 = 2 - start as u64;
        let vtcr = (64 - u64::from(bits)) << vtcr::T0SZ_SHIFT
            | (sl0 << vtcr::SL0_SHIFT)
            | vtcr::IRGN0_WBWA
            | vtcr::ORGN0_WBWA
            | vtcr::SH0_INNER
            | (ps << vtcr::PS_SHIFT)
            | vtcr::RES1;
        Ok(Stage2 {
            root,
            root_pages,
            vmid,
            start,
            start_bits,
            vtcr,
            pages: root_pages,
        })
    }

    /// VTCR_EL2 for these tables (TG0 = 4K, write-back walks, inner shareable).
    pub fn vtcr(&self) -> u64 {
        self.vtcr
    }

    /// VTTBR_EL2: the root and the VMID.
    pub fn vttbr(&self) -> u64 {
        self.root | (u64::from(self.vmid) << vttbr::VMID_SHIFT)
    }

    /// The VMID.
    pub fn vmid(&self) -> u16 {
        self.vmid
    }

    /// The PARange encoding of the IPA size (VTCR_EL2.PS), which is what a
    /// guest is told of its physical address size.
    pub fn parange(&self) -> u64 {
        (self.vtcr >> vtcr::PS_SHIFT) & 7
    }

    /// Number of IPA bits.
    pub fn ipa_bits(&self) -> u32 {
        self.start_bits + 39 - 9 * self.start as u32
    }

    /// Table pages in use, the root included.
    pub fn pages(&self) -> usize {
        self.pages
    }

    fn index(&self, ipa: u64, level: usize) -> usize {
        let mask = if level == self.start {
            (1u64 << self.start_bits) - 1
        } else {
            ENTRIES as u64 - 1
        };
        ((ipa >> (39 - 9 * level as u32)) & mask) as usize
    }

    fn in_range(&self, ipa: u64, size: u64) -> Result<(), MapError> {
        match ipa.checked_add(size) {
            Some(end) if end <= 1 << self.ipa_bits() => Ok(()),
            _ => Err(MapError::OutOfRange),
        }
    }

    /// Maps `[ipa, ipa + size)` to `[pa, pa + size)` with `attrs`, with the
    /// largest blocks alignment allows (1 GiB, 2 MiB, else 4 KiB pages).
    /// Whatever was mapped there before is replaced: a block that is only
    /// partly covered is split first, a replaced valid entry goes through
    /// break-before-make with TLB maintenance, and tables a block replaces
    /// are freed.
    ///
    /// # Errors
    /// `Unaligned`, `OutOfRange`, or `NoMemory` (the mapping is then partial).
    pub fn map(
        &mut self,
        ipa: u64,
        pa: u64,
        size: u64,
        attrs: S2Attrs,
        mem: &mut impl TableMemory,
        tlb: &mut impl Tlb,
    ) -> Result<(), MapError> {
        if !ipa.is_multiple_of(PAGE) || !pa.is_multiple_of(PAGE) || !size.is_multiple_of(PAGE) {
            return Err(MapError::Unaligned);
        }
        self.in_range(ipa, size)?;
        let a = attrs.0 & S2Attrs::MASK;
        let mut off = 0;
        while off < size {
            let (i, p, left) = (ipa + off, pa + off, size - off);
            let level = (1..3)
                .find(|&l| {
                    let bs = entry_size(l);
                    l >= self.start && i % bs == 0 && p % bs == 0 && left >= bs
                })
                .unwrap_or(3);
            let kind = if level == 3 { DESC_PAGE } else { DESC_BLOCK };
            self.set(i, level, Some(p | a | kind), mem, tlb)?;
            off += entry_size(level);
        }
        Ok(())
    }

    /// Unmaps `[ipa, ipa + size)` (page-aligned), splitting blocks that are
    /// only partly covered, with TLB maintenance for every entry removed.
    ///
    /// # Errors
    /// `Unaligned`, `OutOfRange`, or `NoMemory` when a split needs a table.
    pub fn unmap(
        &mut self,
        ipa: u64,
        size: u64,
        mem: &mut impl TableMemory,
        tlb: &mut impl Tlb,
    ) -> Result<(), MapError> {
        if !ipa.is_multiple_of(PAGE) || !size.is_multiple_of(PAGE) {
            return Err(MapError::Unaligned);
        }
        self.in_range(ipa, size)?;
        let mut off = 0;
        while off < size {
            let i = ipa + off;
            let left = size - off;
            // The largest entry that is aligned, fully covered and not above
            // the start level; whole subtrees go at once.
            let level = (self.start..3)
                .find(|&l| i.is_multiple_of(entry_size(l)) && left >= entry_size(l))
                .unwrap_or(3);
            self.set(i, level, None, mem, tlb)?;
            off += entry_size(level);
        }
        Ok(())
    }

    /// Removes every mapping (the root stays) and invalidates the VMID.
    pub fn clear(&mut self, mem: &mut impl TableMemory, tlb: &mut impl Tlb) {
        let n = 1usize << self.start_bits;
        for idx in 0..n {
            let (t, i) = (self.root + (idx / ENTRIES) as u64 * PAGE, idx % ENTRIES);
            let e = mem.read(t, i);
            if e & DESC_VALID != 0 {
                mem.write(t, i, 0);
                if self.start < 3 && e & DESC_TYPE == DESC_TABLE {
                    self.free_table(e & OA_MASK, self.start + 1, mem);
                }
            }
        }
        tlb.invalidate_vmid(self.vmid);
    }

    /// Frees every table, the root included.
    pub fn destroy(mut self, mem: &mut impl TableMemory, tlb: &mut impl Tlb) {
        self.clear(mem, tlb);
        mem.free(self.root, self.root_pages);
    }

    /// Looks `ipa` up.
    pub fn translate(&self, ipa: u64, mem: &impl TableMemory) -> Option<Leaf> {
        if self.in_range(ipa, 1).is_err() {
            return None;
        }
        let mut table = self.root_of(ipa);
        for level in self.start..=3 {
            let e = mem.read(table, self.index(ipa, level) % ENTRIES);
            if e & DESC_VALID == 0 {
                return None;
            }
            let is_table = level < 3 && e & DESC_TYPE == DESC_TABLE;
            if !is_table {
                let bs = entry_size(level);
                return Some(Leaf {
                    pa: (e & OA_MASK & !(bs - 1)) | (ipa & (bs - 1)),
                    attrs: S2Attrs(e & S2Attrs::MASK),
                    level,
                });
            }
            table = e & OA_MASK;
        }
        None
    }

    /// The root page holding the start-level entry of `ipa` (concatenated
    /// roots are consecutive pages).
    fn root_of(&self, ipa: u64) -> u64 {
        self.root + (self.index(ipa, self.start) / ENTRIES) as u64 * PAGE
    }

    /// Sets the entry of `ipa` at `level` to `desc` (None: invalid), making
    /// tables on the way down and splitting blocks in the way.
    fn set(
        &mut self,
        ipa: u64,
        level: usize,
        desc: Option<u64>,
        mem: &mut impl TableMemory,
        tlb: &mut impl Tlb,
    ) -> Result<(), MapError> {
        let mut table = self.root_of(ipa);
        for l in self.start..level {
            let idx = self.index(ipa, l) % ENTRIES;
            let e = mem.read(table, idx);
            table = if e & DESC_VALID != 0 && e & DESC_TYPE == DESC_TABLE {
                e & OA_MASK
            } else if e & DESC_VALID == 0 {
                if desc.is_none() {
                    // Nothing mapped below: nothing to unmap.
                    return Ok(());
                }
                let t = mem.alloc(1).ok_or(MapError::NoMemory)?;
                self.pages += 1;
                mem.write(table, idx, t | DESC_TABLE);
                t
            } else {
                // A block covering more than the target: split it into the
                // next level with the same output and attributes, then
                // replace it with the table (break-before-make).
                let t = mem.alloc(1).ok_or(MapError::NoMemory)?;
                self.pages += 1;
                let bs = entry_size(l + 1);
                let base = e & OA_MASK & !(entry_size(l) - 1);
                let attrs = e & S2Attrs::MASK;
                let kind = if l + 1 == 3 { DESC_PAGE } else { DESC_BLOCK };
                for k in 0..ENTRIES {
                    mem.write(t, k, (base + k as u64 * bs) | attrs | kind);
                }
                mem.write(table, idx, 0);
                tlb.invalidate_ipa(self.vmid, ipa & !(entry_size(l) - 1));
                mem.write(table, idx, t | DESC_TABLE);
                t
            };
        }
        let idx = self.index(ipa, level) % ENTRIES;
        let old = mem.read(table, idx);
        if old & DESC_VALID != 0 {
            // Break-before-make: invalid, TLB maintenance, then the new entry.
            mem.write(table, idx, 0);
            tlb.invalidate_ipa(self.vmid, ipa);
            if level < 3 && old & DESC_TYPE == DESC_TABLE {
                // Everything below goes: the caller covers the whole entry.
                tlb.invalidate_vmid(self.vmid);
                self.free_table(old & OA_MASK, level + 1, mem);
            }
        }
        if let Some(d) = desc {
            mem.write(table, idx, d);
        }
        Ok(())
    }

    /// Frees the table at `t` (of `level`) and the tables below it.
    fn free_table(&mut self, t: u64, level: usize, mem: &mut impl TableMemory) {
        if level < 3 {
            for k in 0..ENTRIES {
                let e = mem.read(t, k);
                if e & DESC_VALID != 0 && e & DESC_TYPE == DESC_TABLE {
                    self.free_table(e & OA_MASK, level + 1, mem);
                }
            }
        }
        mem.free(t, 1);
        self.pages -= 1;
    }
}

#[cfg(test)]
mod tests;
