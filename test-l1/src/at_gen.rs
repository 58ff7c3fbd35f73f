//! Random translation state for at-diff: register values and lazily made
//! page tables in the scratch area 0x5000_0000..0x5800_0000.
//!
//! Tables are not built ahead: the emulator walks first through [`LazyMem`],
//! which invents each descriptor the first time it is read in a case (and
//! stores it in RAM), so every descriptor on the walk path is random and
//! nothing else has to be written. A case whose walk would read outside the
//! scratch area is dropped before the hardware runs it, since the hardware
//! would take an External abort there.

use at_emul::{DescReader, ExternalAbort, Features, Pa};

/// Scratch area owned by at-diff.
pub const SCRATCH: core::ops::Range<u64> = 0x5000_0000..0x5800_0000;
/// Where invented descriptors point: 1024 64KB-aligned regions.
const TABLE_POOL: u64 = 0x5000_0000;
/// Where TTBRs point: 8 1MB-aligned regions (room for 16 concatenated
/// 64KB tables).
const TTB_POOL: u64 = 0x5700_0000;

/// xorshift64* (Vigna), seeded per run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // splitmix64 finaliser, so that nearby seeds give unrelated streams.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// True with probability pct/100.
    pub fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    pub fn bit(&mut self, pct: u64) -> u64 {
        u64::from(self.pct(pct))
    }
}

const MAX_SLOTS: usize = 512;

/// The case's memory as seen by the emulator: scratch reads invent
/// descriptors on first use; anything else marks the case as escaped.
pub struct LazyMem {
    pub rng: Rng,
    slots: [u64; MAX_SLOTS],
    n: usize,
    /// A read left the scratch area (or the slot table overflowed).
    pub escaped: bool,
    /// Bias OA[51:50] (descriptor bits [9:8]) to zero: a stage uses DS.
    pub ds_any: bool,
}

impl LazyMem {
    pub fn new(seed: u64) -> Self {
        LazyMem {
            rng: Rng::new(seed),
            slots: [0; MAX_SLOTS],
            n: 0,
            escaped: false,
            ds_any: false,
        }
    }
    /// Starts a new case: every scratch slot is undefined again.
    pub fn reset(&mut self) {
        self.n = 0;
        self.escaped = false;
    }

    /// A random output/table address: mostly a table-pool region, else a
    /// random address of 32..50 bits.
    fn oa(&mut self, pool_pct: u64) -> u64 {
        if self.rng.pct(pool_pct) {
            TABLE_POOL + (self.rng.below(1024) << 16) + (self.rng.below(16) << 12)
        } else {
            let bits = [32u64, 36, 40, 42, 44, 48, 50][self.rng.below(7) as usize];
            self.rng.next() & ((1u64 << bits) - 1) & !0xfff
        }
    }

    /// A random descriptor.
    fn invent(&mut self) -> u64 {
        let r = self.rng.below(100);
        let (ty, pool) = if r < 62 {
            (0b11, 94)
        } else if r < 93 {
            (0b01, 70)
        } else {
            (self.rng.next() & 0b10, 50)
        };
        let mut d = ty | self.oa(pool);
        d |= self.rng.next() & 0xffc; // AttrIndx, NS, AP, SH, AF, nG
        if self.rng.pct(84) {
            d |= 1 << 10;
        } else {
            d &= !(1 << 10);
        }
        if self.ds_any && self.rng.pct(85) {
            d &= !(3 << 8);
        }
        for b in 50..59 {
            d |= self.rng.bit(20) << b;
        }
        d |= self.rng.bit(35) << 51; // DBM, for more dirty-state updates
        for b in 59..64 {
            d |= self.rng.bit(10) << b;
        }
        // Mostly readable (AP/S2AP bit 6 set), so more walks get through
        // stage-2 checks of table reads.
        if self.rng.pct(60) {
            d |= 1 << 6;
        }
        d
    }

    /// A TTBR/VTTBR base: a TTB-pool region, sometimes with stray low or
    /// high bits (RES0 / address size fault cases).
    pub fn ttb(&mut self) -> u64 {
        let mut v = TTB_POOL + (self.rng.below(8) << 20);
        if self.rng.pct(5) {
            v |= 1u64 << (32 + self.rng.below(18));
        }
        if self.rng.pct(10) {
            v |= self.rng.next() & 0x3e;
        }
        v
    }
}

impl DescReader for LazyMem {
    fn read_desc(&mut self, pa: Pa) -> Result<u64, ExternalAbort> {
        let a = pa.0;
        if !SCRATCH.contains(&a) || a & 7 != 0 {
            self.escaped = true;
            return Err(ExternalAbort);
        }
        let p = a as *mut u64;
        if self.slots[..self.n].contains(&a) {
            // SAFETY: `a` is an 8-byte aligned address in the scratch RAM this
            // test owns; volatile because the hardware walker writes it too.
            return Ok(unsafe { core::ptr::read_volatile(p) });
        }
        if self.n == MAX_SLOTS {
            self.escaped = true;
            return Err(ExternalAbort);
        }
        self.slots[self.n] = a;
        self.n += 1;
        let d = self.invent();
        // SAFETY: as above.
        unsafe { core::ptr::write_volatile(p, d) };
        Ok(d)
    }
}

/// TxSZ for a granule/DS choice: mostly valid, sometimes anything.
fn tsz(rng: &mut Rng, big: bool) -> u64 {
    if rng.pct(8) {
        return rng.below(64);
    }
    let min = if big { 12 } else { 16 };
    min + rng.below(48 - min + 1)
}

/// A random TCR in the two-range layout (TCR_EL1, or TCR_EL2 with E2H=1).
pub fn tcr_two_range(rng: &mut Rng, f: &Features) -> u64 {
    let ds = rng.bit(25);
    let tg0 = rng.below(4);
    let tg1 = rng.below(4);
    // 52-bit VA: DS with 4K/16K, or 64K with FEAT_LVA.
    let big0 = ds == 1 || (tg0 == 1 && f.lva);
    let big1 = ds == 1 || (tg1 == 3 && f.lva);
    let mut t = tsz(rng, big0) | (tsz(rng, big1) << 16);
    t |= rng.bit(4) << 7; // EPD0
    t |= rng.below(4) << 8 | rng.below(4) << 10; // IRGN0/ORGN0
    t |= rng.below(4) << 12; // SH0
    t |= tg0 << 14;
    t |= rng.bit(50) << 22; // A1
    t |= rng.bit(4) << 23; // EPD1
    t |= rng.below(4) << 24 | rng.below(4) << 26; // IRGN1/ORGN1
    t |= rng.below(4) << 28; // SH1
    t |= tg1 << 30;
    let ips = if rng.pct(60) {
        5 + rng.below(2)
    } else {
        rng.below(8)
    };
    t |= ips << 32;
    t |= rng.bit(30) << 37 | rng.bit(30) << 38; // TBI0/1
    t |= rng.bit(30) << 39 | rng.bit(30) << 40; // HA/HD
    t |= rng.bit(25) << 41 | rng.bit(25) << 42; // HPD0/1
    t |= rng.bit(20) << 51 | rng.bit(20) << 52; // TBID0/1
    t |= rng.bit(4) << 55 | rng.bit(4) << 56; // E0PD0/1
    t |= ds << 59;
    t
}

/// A random TCR_EL2 in the E2H=0 layout, mixed with two-range bits (the
/// same register is read in both layouts depending on HCR_EL2.E2H).
pub fn tcr_el2(rng: &mut Rng, f: &Features) -> u64 {
    let mut t = tcr_two_range(rng, f);
    t |= rng.bit(30) << 20 | rng.bit(30) << 21 | rng.bit(30) << 22 | rng.bit(25) << 24;
    t |= rng.bit(25) << 32;
    t
}

/// A random VTCR_EL2, mostly with a start level consistent with T0SZ.
pub fn vtcr(rng: &mut Rng, f: &Features) -> u64 {
    let tg = rng.below(4);
    let ds = rng.bit(25);
    let ps = if rng.pct(60) {
        5 + rng.below(2)
    } else {
        rng.below(8)
    };
    let mut v = (tg << 14) | (ps << 16) | (rng.below(4) << 12) | (rng.below(16) << 8);
    v |= rng.bit(30) << 21 | rng.bit(30) << 22 | ds << 32;
    let (stride, gbits) = match tg {
        1 => (13u64, 16u64),
        2 => (11, 14),
        _ => (9, 12),
    };
    let dse = ds == 1 && tg != 1;
    let maxia = if dse || (tg == 1 && f.pa_range >= 6) {
        52
    } else {
        48
    };
    if rng.pct(15) {
        return v | rng.below(64) | (rng.below(4) << 6) | (rng.bit(30) << 33);
    }
    // Pick a start level, then an input size that fits it.
    let starts: &[i64] = match tg {
        1 => &[1, 2, 3],
        2 => {
            if dse {
                &[0, 1, 2, 3]
            } else {
                &[1, 2, 3]
            }
        }
        _ => {
            if dse {
                &[-1, 0, 1, 2, 3]
            } else {
                &[0, 1, 2, 3]
            }
        }
    };
    let start = starts[rng.below(starts.len() as u64) as usize];
    let levels = (3 - start) as u64;
    let lo = levels * stride + gbits + 1;
    let hi = (lo + stride - 1 + 4).min(maxia);
    let ia = if lo > hi {
        lo
    } else {
        lo + rng.below(hi - lo + 1)
    };
    let ia = ia.clamp(16, 52);
    v |= 64 - ia;
    let (sl0, sl2) = match (tg, start) {
        (1, s) | (2, s) => ((3 - s) as u64, 0),
        (_, -1) => (0, 1),
        (_, 3) => (3, 0),
        (_, s) => ((2 - s) as u64, 0),
    };
    v | (sl0 << 6) | (sl2 << 33)
}

/// A random MAIR: common encodings and random bytes.
pub fn mair(rng: &mut Rng) -> u64 {
    const COMMON: [u8; 10] = [0x00, 0x04, 0x08, 0x0c, 0x44, 0xff, 0xbb, 0xaa, 0x4f, 0xf4];
    let mut m = 0;
    for i in 0..8 {
        let b = if rng.pct(70) {
            COMMON[rng.below(COMMON.len() as u64) as usize]
        } else {
            rng.next() as u8
        };
        m |= u64::from(b) << (8 * i);
    }
    m
}

/// A random SCTLR_EL1 based on `base`: M (mostly on), WXN, EE, EPAN.
pub fn sctlr_el1(rng: &mut Rng, base: u64) -> u64 {
    let mut s = base & !((1 << 0) | (1 << 19) | (1 << 25) | (1 << 57));
    s |= rng.bit(85);
    s |= rng.bit(25) << 19;
    s |= rng.bit(15) << 25;
    s |= rng.bit(30) << 57;
    s
}

/// A random VA for a TCR with two ranges (or one when `one_range`).
pub fn va(rng: &mut Rng, tcr: u64, one_range: bool) -> u64 {
    let sel = if one_range { 0 } else { rng.below(2) };
    let t = if sel == 0 {
        tcr & 0x3f
    } else {
        (tcr >> 16) & 0x3f
    };
    let inputsize = 64 - t.clamp(12, 48);
    let mut va = rng.next() & ((1u64 << inputsize) - 1);
    if rng.pct(30) {
        va &= 0xffff_ffff; // a low VA, like a typical kernel/user mapping
    }
    if sel == 1 {
        va |= !((1u64 << inputsize) - 1);
    }
    if rng.pct(8) {
        va ^= 1u64 << (inputsize + rng.below(64 - inputsize));
    }
    if rng.pct(25) {
        va = (va & !(0xffu64 << 56)) | (rng.below(256) << 56);
    }
    va
}

/// Where the stub's mapping keeps its own tables (one 64KB region per
/// level, outside the random table pool).
const STUB_TABLES: u64 = 0x5400_0000;

impl LazyMem {
    /// Defines the slot at `pa` (in scratch) to hold `v` for this case.
    fn define(&mut self, pa: u64, v: u64) {
        if !self.slots[..self.n].contains(&pa) && self.n < MAX_SLOTS {
            self.slots[self.n] = pa;
            self.n += 1;
        }
        // SAFETY: `pa` is an 8-byte aligned scratch address this test owns.
        unsafe { core::ptr::write_volatile(pa as *mut u64, v) };
    }

    /// Identity-maps the 4KB page at `stub` through TTBR0 of the EL2 (or,
    /// with `e2h`, EL2&0) regime described by `tcr`, as a level-3 page that
    /// is read-only and executable at EL2, with plain table descriptors on
    /// the way. The geometry follows Arm ARM D8.2 (start level from T0SZ and
    /// the granule). Returns false if T0SZ cannot cover `stub`.
    pub fn map_stub(&mut self, tcr: u64, e2h: bool, ttbr0: u64, f: &Features, stub: u64) -> bool {
        let (stride, gbits) = match (tcr >> 14) & 3 {
            1 => (13u32, 16u32),
            2 => (11, 14),
            _ => (9, 12),
        };
        let ds_bit = if e2h {
            (tcr >> 59) & 1
        } else {
            (tcr >> 32) & 1
        };
        let ds = ds_bit == 1
            && match gbits {
                12 => f.lpa2_s1_4k,
                14 => f.lpa2_s1_16k,
                _ => false,
            };
        let tsz = (tcr & 0x3f) as u32;
        let min = if ds || (gbits == 16 && f.lva) { 12 } else { 16 };
        if tsz < min || tsz > 33 || (e2h && tcr & (1 << 7) != 0) {
            return false;
        }
        let inputsize = 64 - tsz;
        let mut level = 4 - ((inputsize - 4) / stride) as i32;
        let mut shift = stride * (4 - level) as u32;
        let mut indexmask = (1u64 << (inputsize - shift)) - 1;
        let mut base = ttbr0 & ((1 << 48) - 1) & !indexmask;
        let mut k = 0;
        loop {
            let slot = base | (((stub >> shift) & indexmask) & !7);
            if !SCRATCH.contains(&slot) {
                return false;
            }
            if level == 3 {
                let mut d = (stub & !((1u64 << gbits) - 1)) | 0b11 | (1 << 10) | (2 << 6);
                d |= self.rng.below(8) << 2; // AttrIndx
                if !ds {
                    d |= self.rng.below(4) << 8;
                }
                self.define(slot, d);
                return true;
            }
            let next = STUB_TABLES + (k << 16);
            k += 1;
            self.define(slot, next | 0b11);
            base = next;
            level += 1;
            shift = stride * (4 - level) as u32;
            indexmask = (1u64 << (stride + 3)) - 1;
        }
    }
}

/// A TCR_EL2 for an EL2 MMU-on state: like [`tcr_el2`] but with T0SZ small
/// enough for TTBR0_EL2 to cover test-l1 (at 0x4800_0000) and EPD0 clear.
pub fn tcr_el2_mmu_on(rng: &mut Rng, f: &Features) -> u64 {
    let mut t = tcr_el2(rng, f) & !0x3f & !(1 << 7);
    let tg0 = (t >> 14) & 3;
    // DS sits in different bits in the two layouts: only 64KB+LVA allows a
    // T0SZ below 16 in both.
    let min = if tg0 == 1 && f.lva { 12 } else { 16 };
    t |= min + rng.below(33 - min + 1);
    t
}
