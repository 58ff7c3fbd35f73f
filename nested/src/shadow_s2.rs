//! Shadow stage 2: the tables L2 really runs on.
//!
//! L2's addresses go through two stage 2s: L1's (L2 IPA to L1 IPA, tables
//! in L1's memory that L1 edits at will) and L0's (L1 IPA to PA). The
//! hardware walks one, so L0 builds a *shadow* stage 2 per L1 stage 2,
//! mapping L2 IPA straight to PA, filled lazily: when L2 faults at stage 2,
//! [`fill`] walks L1's tables with at-emul (reading L1's memory through a
//! reader that refuses anything outside L1's RAM) and L0's own stage 2, and
//! composes the two leaves — permissions intersected, memory attributes the
//! stricter, the block the smaller (Arm ARM D8.6 "Memory region attributes"
//! for the attribute order). A fault in L1's tables is L1's to handle: it is
//! returned for injection as the stage-2 abort the hardware would give.
//!
//! [`ShadowCache`] keeps the shadows: a hashbrown map from [`Key`] (L1's
//! VTTBR base and VMID, and the VTCR fields that change translation) to the
//! shadow, and an intrusive list in least-recently-used order for eviction
//! when the cache is full (L1 may use any number of VMIDs). Each shadow has
//! a hardware VMID of its own, handed out and taken back by its
//! [`ShadowAlloc`]. L1's TLBIs invalidate exactly the matching entries
//! (by IPA, by VMID, everything). The cache is shared by the VM's vCPUs, so
//! a broadcast TLBI from one vCPU affects what the others run on; a shadow
//! in use on a vCPU (pinned) is never evicted.

use alloc::boxed::Box;
use arch::regs::{vtcr, vttbr};
use at_emul::s2::{walk_el0, S2Config};
use at_emul::{Access, DescReader, Fault, Ipa};
use hashbrown::HashMap;
use intrusive_collections::{intrusive_adapter, LinkedList, LinkedListLink, UnsafeRef};

/// Stage-2 descriptor attribute bits (Arm ARM D8.3.2): MemAttr`[5:2]`,
/// S2AP`[7:6]`, SH`[9:8]`, AF`[10]`, XN`[54:53]`.
pub mod desc {
    /// MemAttr`[3:0]` at bits `[5:2]`.
    pub const MEMATTR_SHIFT: u32 = 2;
    /// S2AP`[0]`: reads allowed.
    pub const S2AP_R: u64 = 1 << 6;
    /// S2AP`[1]`: writes allowed.
    pub const S2AP_W: u64 = 1 << 7;
    /// SH`[1:0]` at bits `[9:8]`.
    pub const SH_SHIFT: u32 = 8;
    /// The access flag.
    pub const AF: u64 = 1 << 10;
    /// XN`[1:0]` at bits `[54:53]` (FEAT_XNX).
    pub const XN_SHIFT: u32 = 53;
}

/// L0's own stage-2 leaf for an L1 IPA (what `el2::stage2` gives).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L0Leaf {
    /// The PA the L1 IPA maps to.
    pub pa: u64,
    /// The descriptor's attribute bits (see [`desc`]).
    pub attrs: u64,
    /// The size of the block or page (a power of two).
    pub size: u64,
}

/// A shadow mapping to install: `[ipa, ipa + size)` to `[pa, pa + size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// L2 IPA, aligned to `size`.
    pub ipa: u64,
    /// PA, aligned to `size`.
    pub pa: u64,
    /// Bytes (the smaller of the two leaves).
    pub size: u64,
    /// Descriptor attribute bits (see [`desc`]).
    pub attrs: u64,
}

/// What an L2 stage-2 fault resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill {
    /// L1's and L0's tables allow it: install this and retry.
    Map(Mapping),
    /// L1's tables do not: inject this stage-2 fault into L1.
    L1Fault(Fault),
    /// L1 maps the address to an L1 IPA L0 has no memory at (an MMIO
    /// region L0 emulates, or nothing).
    NotL0Memory {
        /// The L1 IPA.
        l1_ipa: u64,
    },
}

/// Stage-2 MemAttr (FWB = 0) combination: Device beats Normal; two Device
/// types give the more restrictive (nGnRnE < nGnRE < nGRE < GRE); two
/// Normal types the lower cacheability, inner and outer apart (NC < WT <
/// WB). Arm ARM D8.6.4 "Combining the stage 1 and stage 2 attributes"
/// gives the same order for combining stages.
pub fn combine_memattr(a: u8, b: u8) -> u8 {
    let (a, b) = (a & 0xf, b & 0xf);
    let dev = |m: u8| m & 0xc == 0;
    match (dev(a), dev(b)) {
        (true, true) => a.min(b),
        (true, false) => a,
        (false, true) => b,
        (false, false) => {
            // Outer in [3:2], inner in [1:0]; for Normal the inner field
            // 0b00 is not used by FWB=0 encodings other than Device.
            let outer = (a >> 2).min(b >> 2);
            let inner = (a & 3).min(b & 3).max(1);
            (outer << 2) | inner
        }
    }
}

/// Shareability combination: the larger domain wins (Outer > Inner > Non).
fn combine_sh(a: u8, b: u8) -> u8 {
    let rank = |s: u8| match s & 3 {
        0b10 => 2,
        0b11 => 1,
        _ => 0,
    };
    if rank(a) >= rank(b) {
        a & 3
    } else {
        b & 3
    }
}

/// XN`[1:0]` from the execute permissions (FEAT_XNX: 0b00 both, 0b01 EL0
/// only, 0b10 none, 0b11 EL1 only; Arm ARM D8.4.4).
const fn xn_bits(el0: bool, el1: bool) -> u64 {
    match (el0, el1) {
        (true, true) => 0b00,
        (true, false) => 0b01,
        (false, true) => 0b11,
        (false, false) => 0b10,
    }
}

/// Resolves a stage-2 fault L2 took at `l2_ipa` for `access` (`s1_el0`:
/// the access was made at EL0, which selects the execute permission): walk
/// L1's stage 2 `l1` in L1's memory `mem`, then L0's stage 2 (`l0`), and
/// compose.
pub fn fill<M: DescReader + ?Sized>(
    l1: &S2Config,
    l2_ipa: u64,
    access: Access,
    s1_el0: bool,
    mem: &mut M,
    l0: impl Fn(u64) -> Option<L0Leaf>,
) -> Fill {
    let t = match walk_el0(l1, Ipa(l2_ipa), mem, access, s1_el0) {
        Ok(t) => t,
        Err(f) => return Fill::L1Fault(f),
    };
    let l1_ipa = t.pa.0;
    let Some(l0leaf) = l0(l1_ipa) else {
        return Fill::NotL0Memory { l1_ipa };
    };
    let l1_size = 1u64 << t.block_bits;
    let size = l1_size.min(l0leaf.size);
    let l0_read = l0leaf.attrs & desc::S2AP_R != 0;
    let l0_write = l0leaf.attrs & desc::S2AP_W != 0;
    let l0_xn = (l0leaf.attrs >> desc::XN_SHIFT) & 3;
    let (l0_x0, l0_x1) = (l0_xn == 0 || l0_xn == 1, l0_xn == 0 || l0_xn == 3);
    let read = t.perms.read && l0_read;
    let write = t.perms.write && l0_write;
    let memattr = combine_memattr(
        t.memattr,
        ((l0leaf.attrs >> desc::MEMATTR_SHIFT) & 0xf) as u8,
    );
    let sh = combine_sh(t.sh, ((l0leaf.attrs >> desc::SH_SHIFT) & 3) as u8);
    let attrs = (u64::from(memattr) << desc::MEMATTR_SHIFT)
        | if read { desc::S2AP_R } else { 0 }
        | if write { desc::S2AP_W } else { 0 }
        | (u64::from(sh) << desc::SH_SHIFT)
        | desc::AF
        | (xn_bits(t.perms.exec_el0 && l0_x0, t.perms.exec_priv && l0_x1) << desc::XN_SHIFT);
    Fill::Map(Mapping {
        ipa: l2_ipa & !(size - 1),
        pa: l0leaf.pa & !(size - 1),
        size,
        attrs,
    })
}

/// What identifies an L1 stage 2: VTTBR_EL2.BADDR and VMID (8 bits unless
/// VTCR_EL2.VS), and the VTCR_EL2 fields that change what a walk gives
/// (the walk cacheability fields do not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    /// The table base.
    pub baddr: u64,
    /// L1's VMID.
    pub vmid: u16,
    /// VTCR_EL2 masked to T0SZ, SL0, TG0, PS, VS, HA, HD, DS, SL2.
    pub vtcr: u64,
}

/// VTCR_EL2 bits that change translation results.
const VTCR_KEY: u64 = (0x3f << vtcr::T0SZ_SHIFT)
    | (3 << vtcr::SL0_SHIFT)
    | (3 << vtcr::TG0_SHIFT)
    | (7 << vtcr::PS_SHIFT)
    | vtcr::VS
    | vtcr::HA
    | vtcr::HD
    | vtcr::DS
    | vtcr::SL2;

impl Key {
    /// The key of L1's VTTBR_EL2 and VTCR_EL2.
    pub fn new(l1_vttbr: u64, l1_vtcr: u64) -> Key {
        let vmid = vttbr::vmid(l1_vttbr);
        Key {
            baddr: l1_vttbr & vttbr::BADDR,
            vmid: if l1_vtcr & vtcr::VS != 0 {
                vmid
            } else {
                vmid & 0xff
            },
            vtcr: l1_vtcr & VTCR_KEY,
        }
    }
}

/// One shadow's tables (an `el2::stage2::Stage2` with its own hardware
/// VMID on the target; a fake in host tests).
pub trait ShadowTables {
    /// Installs a mapping; false when table memory is out.
    fn map(&mut self, m: &Mapping) -> bool;
    /// Removes whatever maps `[ipa, ipa + size)`, with TLB maintenance.
    fn unmap(&mut self, ipa: u64, size: u64);
    /// Removes everything, with TLB maintenance for the VMID.
    fn clear(&mut self);
    /// The VTTBR_EL2 value to run L2 with (root and hardware VMID).
    fn vttbr(&self) -> u64;
}

/// Creates and destroys shadows (table memory and hardware VMIDs).
pub trait ShadowAlloc {
    /// The tables it makes.
    type Tables: ShadowTables;
    /// An empty shadow, or None when memory or VMIDs are out.
    fn create(&mut self) -> Option<Self::Tables>;
    /// Frees a shadow (its TLB entries are invalidated first).
    fn destroy(&mut self, t: Self::Tables);
}

/// Counters of the cache (printed with L0's exit counters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lookups that found a shadow.
    pub hits: u64,
    /// Lookups that created one.
    pub misses: u64,
    /// Mappings installed.
    pub fills: u64,
    /// Shadows evicted to make room.
    pub evictions: u64,
    /// TLBI-driven invalidations (by IPA, by VMID or all).
    pub invalidations: u64,
}

struct Node<T> {
    link: LinkedListLink,
    key: Key,
    tables: T,
    /// vCPUs running on it (bit n: vCPU n).
    pinned: u32,
}

intrusive_adapter!(Lru<T> = UnsafeRef<Node<T>>: Node<T> { link => LinkedListLink });

/// Why a shadow could not be had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheError {
    /// Every shadow is in use and no new one can be made.
    Full,
}

/// The shadow stage-2 cache of a VM.
pub struct ShadowCache<A: ShadowAlloc> {
    alloc: A,
    map: HashMap<Key, Box<Node<A::Tables>>>,
    /// Least recently used first.
    lru: LinkedList<Lru<A::Tables>>,
    capacity: usize,
    /// What it did so far.
    pub stats: Stats,
}

// SAFETY: the intrusive list only points into boxes owned by the same
// cache, so the cache moves between threads as one unit; every access goes
// through `&mut self` (the VM wraps it in a lock).
unsafe impl<A: ShadowAlloc + Send> Send for ShadowCache<A> where A::Tables: Send {}

impl<A: ShadowAlloc> ShadowCache<A> {
    /// A cache of at most `capacity` shadows made by `alloc`.
    pub fn new(alloc: A, capacity: usize) -> Self {
        ShadowCache {
            alloc,
            map: HashMap::new(),
            lru: LinkedList::new(Lru::new()),
            capacity: capacity.max(1),
            stats: Stats::default(),
        }
    }

    /// Number of shadows.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The allocator (to reach its counters in tests and reports).
    pub fn alloc(&self) -> &A {
        &self.alloc
    }

    /// Moves a node to the most-recently-used end.
    fn touch(&mut self, node: *const Node<A::Tables>) {
        // SAFETY: `node` is in `self.lru` (every node of the map is, from
        // insertion until removal), and boxes in the map do not move.
        let mut c = unsafe { self.lru.cursor_mut_from_ptr(node) };
        if let Some(r) = c.remove() {
            self.lru.push_back(r);
        }
    }

    /// The shadow for `key`, made if needed (evicting the least recently
    /// used unpinned one when full), and pinned for vCPU `cpu`: it returns
    /// the VTTBR to run L2 with.
    ///
    /// # Errors
    /// [`CacheError::Full`] when nothing can be evicted or made.
    pub fn enter(&mut self, key: Key, cpu: usize) -> Result<u64, CacheError> {
        let bit = 1u32 << (cpu % 32);
        if let Some(n) = self.map.get_mut(&key) {
            n.pinned |= bit;
            let (p, v) = (&**n as *const Node<A::Tables>, n.tables.vttbr());
            self.stats.hits += 1;
            self.touch(p);
            return Ok(v);
        }
        if self.map.len() >= self.capacity {
            self.evict_one()?;
        }
        let tables = match self.alloc.create() {
            Some(t) => t,
            None => {
                self.evict_one()?;
                self.alloc.create().ok_or(CacheError::Full)?
            }
        };
        self.stats.misses += 1;
        let node = Box::new(Node {
            link: LinkedListLink::new(),
            key,
            tables,
            pinned: bit,
        });
        let v = node.tables.vttbr();
        // SAFETY: the box is owned by the map until it is removed from the
        // list first (see `remove`), so the list's reference stays valid.
        let r = unsafe { UnsafeRef::from_raw(&*node as *const Node<A::Tables>) };
        self.lru.push_back(r);
        self.map.insert(key, node);
        Ok(v)
    }

    /// vCPU `cpu` no longer runs on the shadow for `key`.
    pub fn leave(&mut self, key: Key, cpu: usize) {
        if let Some(n) = self.map.get_mut(&key) {
            n.pinned &= !(1u32 << (cpu % 32));
        }
    }

    fn evict_one(&mut self) -> Result<(), CacheError> {
        let victim = self
            .lru
            .iter()
            .find(|n| n.pinned == 0)
            .map(|n| n.key)
            .ok_or(CacheError::Full)?;
        self.remove(victim);
        self.stats.evictions += 1;
        Ok(())
    }

    fn remove(&mut self, key: Key) {
        let Some(node) = self.map.get(&key) else {
            return;
        };
        let p = &**node as *const Node<A::Tables>;
        // SAFETY: as in `touch`; the list reference is dropped before the
        // box it points to.
        unsafe { self.lru.cursor_mut_from_ptr(p) }.remove();
        if let Some(mut node) = self.map.remove(&key) {
            node.tables.clear();
            self.alloc.destroy(node.tables);
        }
    }

    /// Installs a mapping in the shadow for `key` (after [`fill`]).
    /// Returns false when there is no such shadow or memory is out.
    pub fn install(&mut self, key: Key, m: &Mapping) -> bool {
        let done = self.map.get_mut(&key).is_some_and(|n| n.tables.map(m));
        if done {
            self.stats.fills += 1;
        }
        done
    }

    /// TLBI IPAS2E1*/IPAS2LE1*/RIPAS2*: removes `[ipa, ipa + size)` from
    /// every shadow of L1's VMID `vmid`.
    pub fn invalidate_ipa(&mut self, vmid: u16, ipa: u64, size: u64) {
        self.stats.invalidations += 1;
        for n in self.map.values_mut().filter(|n| n.key.vmid == vmid) {
            n.tables.unmap(ipa, size);
        }
    }

    /// TLBI VMALLS12E1*: empties every shadow of L1's VMID `vmid`.
    pub fn invalidate_vmid(&mut self, vmid: u16) {
        self.stats.invalidations += 1;
        for n in self.map.values_mut().filter(|n| n.key.vmid == vmid) {
            n.tables.clear();
        }
    }

    /// Calls `f` with the VTTBR_EL2 of every shadow of L1's VMID `vmid`
    /// (to replay an L1 TLBI under their hardware VMIDs).
    pub fn for_each_of(&self, vmid: u16, mut f: impl FnMut(u64)) {
        for n in self.map.values().filter(|n| n.key.vmid == vmid) {
            f(n.tables.vttbr());
        }
    }

    /// TLBI ALLE1*: empties every shadow.
    pub fn invalidate_all(&mut self) {
        self.stats.invalidations += 1;
        for n in self.map.values_mut() {
            n.tables.clear();
        }
    }
}

impl<A: ShadowAlloc> Drop for ShadowCache<A> {
    fn drop(&mut self) {
        // The list holds references into the map's boxes: empty it first.
        self.lru.fast_clear();
        for (_, mut n) in self.map.drain() {
            n.tables.clear();
            self.alloc.destroy(n.tables);
        }
    }
}

#[cfg(test)]
mod tests;
