//! L0's memory: the EL2 stage-1 identity map, the physical page allocator for
//! the RAM L0 keeps, and the heap carved from it.
//!
//! The EL2 map is a single level-1 table of 1 GiB identity blocks (device for
//! the first GiB of the virt board, normal write-back for RAM), written once at
//! boot and shared by all CPUs. aarch64-paging's dynamic mapping would add a
//! dependency for a table that never changes, so it is written here.

use buddy_system_allocator::{FrameAllocator, LockedHeap};
use spin::Mutex;

/// Translation granule and page size L0 uses everywhere.
pub const PAGE_SIZE: usize = 4096;
/// RAM that L0 keeps for itself, from the start of RAM: image, DTB copy, heap,
/// page tables, stacks. The guest gets the rest (identity-mapped IPA == PA).
pub const L0_RESERVED: u64 = 64 << 20;
/// Heap size for `alloc` (DTB building, per-vCPU state). The heap lives in
/// L0's BSS because the page allocator itself needs `alloc` for its free lists.
const HEAP_SIZE: usize = 4 << 20;

#[repr(C, align(4096))]
struct HeapArea([u8; HEAP_SIZE]);
static mut HEAP_AREA: HeapArea = HeapArea([0; HEAP_SIZE]);

#[global_allocator]
static HEAP: LockedHeap<32> = LockedHeap::empty();
static FRAMES: Mutex<FrameAllocator<32>> = Mutex::new(FrameAllocator::new());

#[repr(C, align(4096))]
struct Table([u64; 512]);
static mut EL2_L1: Table = Table([0; 512]);

/// MAIR_EL2 attribute indices (D8.5.x MAIR encodings).
const MAIR_DEVICE_NGNRE: u64 = 0x04;
const MAIR_NORMAL_WB: u64 = 0xff;
const ATTR_DEVICE: u64 = 0;
const ATTR_NORMAL: u64 = 1;
/// Block descriptor bits (D8.3.1): valid block, AttrIndx, SH inner, AF.
const DESC_BLOCK: u64 = 0b01;
const DESC_SH_INNER: u64 = 0b11 << 8;
const DESC_AF: u64 = 1 << 10;
const DESC_XN: u64 = 1 << 54;
const GIB: u64 = 1 << 30;

/// TCR_EL2 (non-VHE layout): T0SZ=25 (39-bit VA, walk starts at level 1),
/// inner/outer WB-WA, inner shareable, 4K granule, PS=40 bits; bits 31/23 RES1.
const TCR_EL2: u64 = 25 | (1 << 8) | (1 << 10) | (3 << 12) | (2 << 16) | (1 << 23) | (1 << 31);
/// SCTLR_EL2 (E2H=0): RES1 bits 29,28,23,22,18,16,11,5,4 plus M, C, SA, I.
const SCTLR_EL2: u64 = 0x30C5_0830 | 1 | (1 << 2) | (1 << 3) | (1 << 12);

/// Builds the EL2 identity map covering `[0, ram_end)`. Called once on the
/// boot CPU before any other CPU runs.
pub fn build_el2_map(ram_end: u64) {
    let blocks = ram_end.div_ceil(GIB).min(512) as usize;
    // SAFETY: single-threaded boot; no other CPU has the MMU on with this table yet.
    let t = unsafe { &mut *core::ptr::addr_of_mut!(EL2_L1) };
    for (i, e) in t.0.iter_mut().enumerate().take(blocks) {
        let pa = i as u64 * GIB;
        *e = if i == 0 {
            pa | DESC_BLOCK | (ATTR_DEVICE << 2) | DESC_AF | DESC_XN
        } else {
            pa | DESC_BLOCK | (ATTR_NORMAL << 2) | DESC_SH_INNER | DESC_AF
        };
    }
}

/// Makes every 1 GiB block of the EL2 map that holds no RAM Device memory
/// (the boot map assumes only the first GiB is MMIO; the DTB may place
/// devices higher, such as QEMU virt's PCIe ECAM at 256 GiB). Runs on the
/// boot CPU once the DTB is parsed, before other CPUs start.
pub fn map_device_outside(ram: Range) {
    // SAFETY: single-threaded boot; the entries are rewritten in place and
    // the TLB is invalidated below before any access relies on them.
    let t = unsafe { &mut *core::ptr::addr_of_mut!(EL2_L1) };
    for (i, e) in t.0.iter_mut().enumerate() {
        let (s, end) = (i as u64 * GIB, (i as u64 + 1) * GIB);
        if *e != 0 && (end <= ram.start || s >= ram.end) {
            *e = s | DESC_BLOCK | (ATTR_DEVICE << 2) | DESC_AF | DESC_XN;
        }
    }
    rt::sysreg::dsb_sy();
    // SAFETY: TLB maintenance for the EL2 regime; no memory effect visible to Rust.
    unsafe { core::arch::asm!("tlbi alle2", "dsb nsh", "isb", options(nostack)) };
}

/// Turns on the EL2 MMU and caches with the identity map (each CPU).
pub fn enable_el2_mmu() {
    let ttbr = core::ptr::addr_of!(EL2_L1) as u64;
    rt::sysreg::write!("MAIR_EL2", MAIR_DEVICE_NGNRE | (MAIR_NORMAL_WB << 8));
    rt::sysreg::write!("TCR_EL2", TCR_EL2);
    rt::sysreg::write!("TTBR0_EL2", ttbr);
    rt::sysreg::dsb_sy();
    // SAFETY: invalidating EL2 TLB entries before the first enable has no
    // memory effect visible to Rust.
    unsafe { core::arch::asm!("tlbi alle2", "dsb nsh", options(nostack)) };
    rt::sysreg::isb();
    rt::sysreg::write!("SCTLR_EL2", SCTLR_EL2);
    rt::sysreg::isb();
}

/// A RAM range `[start, end)`.
#[derive(Clone, Copy, Debug)]
pub struct Range {
    pub start: u64,
    pub end: u64,
}

/// Starts the heap (once, on the boot CPU, before anything allocates).
pub fn init_heap() {
    let heap = core::ptr::addr_of_mut!(HEAP_AREA) as usize;
    // SAFETY: HEAP_AREA is used by nothing but the heap, and this runs once on
    // the boot CPU before any allocation.
    unsafe { HEAP.lock().init(heap, HEAP_SIZE) };
}

/// Gives the page allocator every page of `pool` that is not in `holes`
/// (the image, the boot DTB).
///
/// # Errors
/// Fails when the pool has no free page at all.
pub fn init_pool(pool: Range, holes: &[Range]) -> Result<(), &'static str> {
    let mut cuts: [Range; 4] = [Range { start: 0, end: 0 }; 4];
    let n = holes.len().min(4);
    cuts[..n].copy_from_slice(&holes[..n]);
    cuts[..n].sort_unstable_by_key(|r| r.start);
    let mut frames = FRAMES.lock();
    let mut cur = pool.start;
    let mut add = |s: u64, e: u64| {
        let s = s.next_multiple_of(PAGE_SIZE as u64);
        let e = e & !(PAGE_SIZE as u64 - 1);
        if e > s {
            frames.add_frame(
                (s / PAGE_SIZE as u64) as usize,
                (e / PAGE_SIZE as u64) as usize,
            );
        }
    };
    for h in &cuts[..n] {
        if h.end <= cur || h.start >= pool.end {
            continue;
        }
        add(cur, h.start.max(cur));
        cur = h.end;
    }
    add(cur, pool.end);
    if frames.alloc(1).map(|p| frames.dealloc(p, 1)).is_none() {
        return Err("L0's memory pool has no free page");
    }
    Ok(())
}

/// Allocates `n` zeroed, physically contiguous pages, aligned to their size
/// rounded up to a power of two. Returns the physical (= EL2 virtual) address.
pub fn alloc_pages(n: usize) -> Option<u64> {
    let pfn = FRAMES.lock().alloc(n)?;
    let pa = (pfn * PAGE_SIZE) as u64;
    // SAFETY: the pages were just allocated, are identity-mapped and unused.
    unsafe { core::ptr::write_bytes(pa as *mut u8, 0, n * PAGE_SIZE) };
    Some(pa)
}

/// Heap bytes in use and heap size (for the memory counters).
pub fn heap_stats() -> (usize, usize) {
    let h = HEAP.lock();
    (h.stats_alloc_actual(), h.stats_total_bytes())
}

/// Returns `n` pages from [`alloc_pages`].
pub fn free_pages(pa: u64, n: usize) {
    FRAMES.lock().dealloc((pa / PAGE_SIZE as u64) as usize, n);
}

/// Stage-2 table memory from L0's page pool (identity-mapped at EL2).
pub struct PoolTables;

impl el2::stage2::TableMemory for PoolTables {
    fn alloc(&mut self, pages: usize) -> Option<u64> {
        alloc_pages(pages)
    }
    fn free(&mut self, pa: u64, pages: usize) {
        free_pages(pa, pages);
    }
    fn read(&self, table: u64, idx: usize) -> u64 {
        // SAFETY: `table` is a table page this pool handed out (identity-
        // mapped, owned by the Stage2 that asks) and idx < 512.
        unsafe { (table as *const u64).add(idx % 512).read_volatile() }
    }
    fn write(&mut self, table: u64, idx: usize, v: u64) {
        // SAFETY: as in `read`; a table walker may read the entry at any
        // time, which the Stage2 code orders with break-before-make.
        unsafe { (table as *mut u64).add(idx % 512).write_volatile(v) };
        rt::sysreg::dsb_sy();
    }
}

/// Stage-2 TLB maintenance on this CPU, broadcast to the Inner Shareable
/// domain. TLBI IPAS2E1IS and VMALLS12E1IS act on the VMID in VTTBR_EL2,
/// so the VMID is switched in around them (Arm ARM D8.14 "TLB maintenance
/// instructions"; the stage-1 entries built on the old stage 2 go with a
/// TLBI VMALLE1IS).
pub struct HwTlb;

impl HwTlb {
    fn with_vmid(vmid: u16, f: impl FnOnce()) {
        let saved: u64 = rt::sysreg::read!("VTTBR_EL2");
        rt::sysreg::write!(
            "VTTBR_EL2",
            u64::from(vmid) << arch::regs::vttbr::VMID_SHIFT
        );
        rt::sysreg::isb();
        f();
        rt::sysreg::write!("VTTBR_EL2", saved);
        rt::sysreg::isb();
    }
}

impl HwTlb {
    /// Runs `f` (TLB maintenance) with `vmid` current.
    pub fn under(vmid: u16, f: impl FnOnce()) {
        HwTlb::with_vmid(vmid, f);
    }

    /// Drops the stage-1 (EL1&0 regime) translations cached under `vmid`.
    pub fn invalidate_s1(&mut self, vmid: u16) {
        HwTlb::with_vmid(vmid, || {
            // SAFETY: TLB maintenance; no memory effect visible to Rust.
            unsafe { core::arch::asm!("dsb ishst", "tlbi vmalle1is", "dsb ish", options(nostack)) }
        });
    }
}

impl el2::stage2::Tlb for HwTlb {
    fn invalidate_ipa(&mut self, vmid: u16, ipa: u64) {
        HwTlb::with_vmid(vmid, || {
            // SAFETY: TLB maintenance has no effect on memory Rust can see.
            unsafe {
                core::arch::asm!(
                    "dsb ishst",
                    "tlbi ipas2e1is, {}",
                    "dsb ish",
                    "tlbi vmalle1is",
                    "dsb ish",
                    in(reg) ipa >> 12,
                    options(nostack)
                )
            }
        });
    }
    fn invalidate_vmid(&mut self, vmid: u16) {
        HwTlb::with_vmid(vmid, || {
            // SAFETY: as above.
            unsafe {
                core::arch::asm!(
                    "dsb ishst",
                    "tlbi vmalls12e1is",
                    "dsb ish",
                    options(nostack)
                )
            }
        });
    }
}
