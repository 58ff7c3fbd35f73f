//! Random translation state and steered translation tables for at-diff.
//!
//! Registers are random (mostly valid, sometimes anything). Tables are built
//! per case by the generator itself, from its own reading of the Arm ARM
//! (D8.2 geometry, D8.3 descriptors, D8.4 permissions, D8.5 flags), with no
//! help from at-emul: it aims each case at a target (a successful
//! translation, or one fault category: kind, stage and level) and lays out
//! the walk so that the target is reached if the hardware walks as the
//! generator expects. The target only steers the case mix; what is counted
//! and compared is what the hardware returns.
//!
//! Every table lives in the scratch area 0x5000_0000..0x5800_0000 by
//! construction: every address the generator writes where a walk reads
//! memory (TTBRs, table descriptors, the stage-2 leaves that map stage-1
//! table IPAs) is either inside the scratch area (64KB regions, so any index
//! stays inside) or carries an address bit at or above an upper bound of the
//! stage's output size, so the walk stops with an Address size fault before
//! reading. Stage-1 table IPAs are scratch addresses too, so they stay inside
//! even with stage 2 off. Slots the generator did not write hold 0
//! (invalid): the scratch area is cleared once and every slot a case writes
//! is cleared before the next case. Stage-1 descriptors are written in the
//! regime's endianness (SCTLR_ELx.EE).
//!
//! The generator's reading only steers: where it is wrong, a case misses its
//! target (the `steering` line counts how often targets are hit); the
//! outcome is still compared. The one decision that must be right is
//! [`Skip::S12Stage2Perm`]; it is conservative (it ignores the Access flag,
//! and any leaf of the case the output IPA reaches counts).

use at_emul::{AtOp, DescReader, ExternalAbort, Features, Pa, RegSnapshot};

/// Scratch area owned by at-diff.
pub const SCRATCH: core::ops::Range<u64> = 0x5000_0000..0x5800_0000;
/// 1024 64KB regions for the tables of a case.
const POOL: u64 = 0x5000_0000;
const POOL_REGIONS: usize = 1024;
const REGION: u64 = 1 << 16;
/// Where the EL2 stub mapping keeps its tables (one 64KB region per level).
const STUB_TABLES: u64 = 0x5400_0000;
/// Where TTBRs point: 8 1MB-aligned regions (room for 16 concatenated
/// 64KB stage-2 start tables), one per TTBR of a state.
const TTB_POOL: u64 = 0x5700_0000;

/// HCR_EL2 bits the generator reads (Arm ARM D24.2, HCR_EL2).
mod hcr {
    pub const VM: u64 = 1 << 0;
    pub const PTW: u64 = 1 << 2;
    pub const DC: u64 = 1 << 12;
    pub const TGE: u64 = 1 << 27;
    pub const CD: u64 = 1 << 32;
    pub const E2H: u64 = 1 << 34;
    pub const NV: u64 = 1 << 42;
    pub const NV1: u64 = 1 << 43;
}

/// A mask of the low `n` bits.
const fn mask(n: u32) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

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
    /// Uniform in lo..=hi.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }
}

// ---------------------------------------------------------------------------
// Fault categories, as PAR_EL1 reports them.

/// Where a fault is reported: PAR_EL1.S = 0 (stage 1), S = 1 and PTW = 0
/// (stage 2 of the output IPA), S = 1 and PTW = 1 (stage 2 of a stage-1
/// table walk access).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    S1 = 0,
    S2 = 1,
    Ptw = 2,
}

/// The four fault kinds a translation can end in (Arm ARM D8.15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    AddrSize = 0,
    Translation = 1,
    AccessFlag = 2,
    Permission = 3,
}

pub const STAGES: [Stage; 3] = [Stage::S1, Stage::S2, Stage::Ptw];
pub const KINDS: [Kind; 4] = [
    Kind::AddrSize,
    Kind::Translation,
    Kind::AccessFlag,
    Kind::Permission,
];

impl Stage {
    pub const fn name(self) -> &'static str {
        match self {
            Stage::S1 => "stage-1",
            Stage::S2 => "stage-2",
            Stage::Ptw => "s1ptw",
        }
    }
}

impl Kind {
    pub const fn name(self) -> &'static str {
        match self {
            Kind::AddrSize => "addr-size",
            Kind::Translation => "translation",
            Kind::AccessFlag => "access-flag",
            Kind::Permission => "permission",
        }
    }
    /// Whether the kind has a level -1 encoding (FEAT_LPA2): Address size
    /// and Translation faults only (no block descriptor at level -1).
    pub const fn has_level_m1(self) -> bool {
        matches!(self, Kind::AddrSize | Kind::Translation)
    }
}

/// A fault category: stage, kind and lookup level (-1..=3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cat {
    pub stage: Stage,
    pub kind: Kind,
    pub level: i8,
}

/// Number of [`Cat::index`] values.
pub const NCAT: usize = 3 * 4 * 5;

impl Cat {
    pub const fn index(self) -> usize {
        ((self.stage as usize) * 4 + self.kind as usize) * 5 + (self.level + 1) as usize
    }

    /// The category of a PAR_EL1 abort value (F = 1), from FST, S and PTW
    /// (Arm ARM D24.2, PAR_EL1; FST codes as in ESR_ELx.DFSC); None for
    /// other codes (e.g. External abort).
    pub fn from_par(par: u64) -> Option<Cat> {
        let fst = ((par >> 1) & 0x3f) as i8;
        let (kind, level) = match fst {
            0..=3 => (Kind::AddrSize, fst),
            0x29 => (Kind::AddrSize, -1),
            4..=7 => (Kind::Translation, fst - 4),
            0x2b => (Kind::Translation, -1),
            8..=11 => (Kind::AccessFlag, fst - 8),
            12..=15 => (Kind::Permission, fst - 12),
            _ => return None,
        };
        let stage = if par & (1 << 9) == 0 {
            Stage::S1
        } else if par & (1 << 8) != 0 {
            Stage::Ptw
        } else {
            Stage::S2
        };
        Some(Cat { stage, kind, level })
    }
}

/// What a case is aimed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A successful translation.
    Success,
    /// A fault of this category.
    Fault(Cat),
    /// Nothing the generator can aim at (e.g. an invalid TCR): no tables.
    Free,
}

/// Why a generated case is not run on the hardware.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// AT S12E* whose output IPA reaches a stage-2 leaf (as the generator
    /// built it) that does not grant the access: QEMU 10.0.2 aborts on
    /// `assert(!res.cacheattrs.is_s2_format)` in `do_ats_write` for a
    /// stage-2 Permission fault on the final stage-2 walk.
    S12Stage2Perm = 0,
}

/// Number of [`Skip`] reasons.
pub const NSKIP: usize = 1;

impl Skip {
    pub const ALL: [Skip; NSKIP] = [Skip::S12Stage2Perm];
    pub const fn name(self) -> &'static str {
        match self {
            Skip::S12Stage2Perm => "s12-final-stage2-leaf-denies (QEMU assertion)",
        }
    }
}

// ---------------------------------------------------------------------------
// The generator's reading of the translation registers (Arm ARM D8.1, D8.2).

/// The regime of a stage-1 walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Regime {
    El10,
    El2,
    El20,
}

/// PARange / {I}PS encoding to bits; 7 (reserved) reads as the largest.
const fn pa_bits(enc: u64) -> u32 {
    match enc {
        0 => 32,
        1 => 36,
        2 => 40,
        3 => 42,
        4 => 44,
        5 => 48,
        _ => 52,
    }
}

/// TG0 (0b00 4KB, 0b01 64KB, 0b10 16KB; reserved 0b11 read as 4KB, QEMU's
/// choice) to log2 of the granule.
const fn tg0_bits(tg: u64) -> u32 {
    match tg & 3 {
        1 => 16,
        2 => 14,
        _ => 12,
    }
}

/// TG1 (0b01 16KB, 0b10 4KB, 0b11 64KB; reserved 0b00 read as 4KB).
const fn tg1_bits(tg: u64) -> u32 {
    match tg & 3 {
        1 => 14,
        3 => 16,
        _ => 12,
    }
}

/// The geometry of one walk, as the generator lays it out.
#[derive(Clone, Copy, Debug)]
pub struct Geo {
    /// log2 of the granule.
    pub gbits: u32,
    pub inputsize: u32,
    pub start: i8,
    /// Effective DS (FEAT_LPA2 descriptors).
    pub ds: bool,
    /// PARange is 52 bits (FEAT_LPA: 64KB level-1 blocks).
    pub pa52: bool,
    /// The effective output size (None: a reserved PS encoding).
    pub out: Option<u32>,
    /// An upper bound of the output size: PS capped by PARange only.
    pub out_ub: u32,
    pub ha: bool,
    pub hd: bool,
    /// Base address of the start-level table (an IPA for a stage 1 under
    /// stage 2).
    pub root: u64,
}

impl Geo {
    const fn stride(&self) -> u32 {
        self.gbits - 3
    }
    /// The lowest input-address bit a level resolves.
    pub const fn shift(&self, level: i8) -> u32 {
        self.gbits + self.stride() * (3 - level) as u32
    }
    const fn index_bits(&self, level: i8) -> u32 {
        if level == self.start {
            self.inputsize - self.shift(level)
        } else {
            self.stride()
        }
    }
    /// Byte offset of the descriptor for `addr` in its level-`level` table.
    pub const fn slot_off(&self, addr: u64, level: i8) -> u64 {
        ((addr >> self.shift(level)) & mask(self.index_bits(level))) * 8
    }
    /// Block descriptors allowed at `level` (Arm ARM D8.3.1).
    pub const fn block_ok(&self, level: i8) -> bool {
        match self.gbits {
            12 => level == 1 || level == 2 || (level == 0 && self.ds),
            14 => level == 2 || (level == 1 && self.ds),
            _ => level == 2 || (level == 1 && self.pa52),
        }
    }
    pub const fn leaf_ok(&self, level: i8) -> bool {
        level == 3 || self.block_ok(level)
    }
    /// Whether descriptors use the 52-bit OA layouts (OA[51:50] in bits
    /// [9:8] with DS, OA[51:48] in bits [15:12] with 64KB).
    const fn wide(&self) -> bool {
        (self.ds || self.gbits == 16) && self.out_ub > 48
    }
    /// Highest descriptor bit holding an OA bit in place.
    const fn top_oa_bit(&self) -> u32 {
        if self.ds {
            49
        } else {
            47
        }
    }
    /// Bits that make a read address (table or TTBR, or a stage-2 leaf of
    /// a table IPA) fault for sure: at or above the upper bound.
    fn inject_read(&self) -> Option<(u32, u32)> {
        (self.out_ub <= self.top_oa_bit()).then_some((self.out_ub, self.top_oa_bit()))
    }
    /// Bits that make a leaf OA that is never read an Address size fault.
    fn inject_leaf(&self) -> Option<(u32, u32)> {
        match self.out {
            Some(o) if o <= self.top_oa_bit() => Some((o, self.top_oa_bit())),
            _ => None,
        }
    }
    /// The largest output address the generator writes for a valid leaf.
    fn out_limit(&self) -> u32 {
        self.out
            .unwrap_or(48)
            .min(if self.wide() { 52 } else { 48 })
    }
    /// A descriptor's output-address bits for `oa`.
    fn enc(&self, oa: u64) -> u64 {
        if self.wide() && self.ds {
            (oa & mask(50) & !mask(self.gbits)) | (((oa >> 50) & 3) << 8)
        } else if self.wide() && self.gbits == 16 {
            (oa & mask(48) & !mask(16)) | (((oa >> 48) & 0xf) << 12)
        } else {
            oa & mask(if self.ds { 50 } else { 48 }) & !mask(self.gbits)
        }
    }
    /// The output address a descriptor holds (as [`Geo::enc`] writes it).
    fn dec(&self, d: u64) -> u64 {
        if self.wide() && self.ds {
            (d & mask(50) & !mask(self.gbits)) | (((d >> 8) & 3) << 50)
        } else if self.wide() && self.gbits == 16 {
            (d & mask(48) & !mask(16)) | (((d >> 12) & 0xf) << 48)
        } else {
            d & mask(if self.ds { 50 } else { 48 }) & !mask(self.gbits)
        }
    }
}

/// TxSZ bounds (Arm ARM R_DTLMN): 16 (12 with 52-bit VAs) to 39 (48, 47
/// for 64KB, with FEAT_TTST).
fn tsz_ok(tsz: u64, gbits: u32, ds: bool, f: &Features) -> bool {
    let min = if ds || (gbits == 16 && f.lva) { 12 } else { 16 };
    let max = match (f.st, gbits) {
        (false, _) => 39,
        (true, 16) => 47,
        _ => 48,
    };
    (min..=max).contains(&tsz)
}

/// (effective output size, upper bound) for a {I}PS field (Arm ARM
/// R_PBXTT: capped by PARange, and at 48 bits unless DS or 64KB).
fn out_sizes(ps: u64, gbits: u32, ds: bool, f: &Features) -> (Option<u32>, u32) {
    let pr = u64::from(f.pa_range);
    let ub = pa_bits(ps.min(pr));
    let out = (ps != 7).then(|| if ds || gbits == 16 { ub } else { ub.min(48) });
    (out, ub)
}

/// An upper bound of the output size a {I}PS field can give.
pub fn ps_ub(ps: u64, f: &Features) -> u32 {
    pa_bits((ps & 7).min(u64::from(f.pa_range)))
}

/// The start-level table base a TTBR gives (BADDR, low bits below the table
/// size ignored; BADDR[51:48] in TTBR[5:2] with a 52-bit OA).
fn root_of(g: &Geo, ttb: u64) -> u64 {
    let mut b = ttb & mask(48);
    if g.wide() {
        b |= ((ttb >> 2) & 0xf) << 48;
    }
    b & !mask(g.index_bits(g.start) + 3)
}

/// A decoded stage 1 for one VA.
#[derive(Clone, Copy, Debug)]
pub struct S1Dec {
    pub geo: Geo,
    /// Hierarchical permissions disabled (TCR.HPDn).
    pub hpd: bool,
}

/// The generator's stage-1 walk parameters for `va` (Arm ARM D8.2: TxSZ,
/// TG, EPD/E0PD, TBI, VA range, {I}PS, DS, HA/HD, HPD), or None when it
/// expects a level-0 Translation fault (or cannot tell).
pub fn s1_decode(
    regime: Regime,
    tcr: u64,
    ttbr0: u64,
    ttbr1: u64,
    va: u64,
    el0: bool,
    f: &Features,
) -> Option<S1Dec> {
    let b = |n: u32| (tcr >> n) & 1 != 0;
    let (sel, tsz, gbits, epd, hpd, tbi, ps, ha, hd, ds_bit);
    if regime == Regime::El2 {
        sel = 0;
        tsz = tcr & 0x3f;
        gbits = tg0_bits(tcr >> 14);
        epd = false;
        hpd = b(24);
        tbi = b(20);
        ps = (tcr >> 16) & 7;
        ha = b(21);
        hd = b(22);
        ds_bit = b(32);
    } else {
        sel = (va >> 55) & 1;
        if sel == 0 {
            tsz = tcr & 0x3f;
            gbits = tg0_bits(tcr >> 14);
            epd = b(7) || (el0 && f.e0pd && b(55));
            hpd = b(41);
            tbi = b(37);
        } else {
            tsz = (tcr >> 16) & 0x3f;
            gbits = tg1_bits(tcr >> 30);
            epd = b(23) || (el0 && f.e0pd && b(56));
            hpd = b(42);
            tbi = b(38);
        }
        ps = (tcr >> 32) & 7;
        ha = b(39);
        hd = b(40);
        ds_bit = b(59);
    }
    let ds = ds_bit
        && match gbits {
            12 => f.lpa2_s1_4k,
            14 => f.lpa2_s1_16k,
            _ => false,
        };
    if !tsz_ok(tsz, gbits, ds, f) || epd {
        return None;
    }
    let inputsize = 64 - tsz as u32;
    let top = if tbi { 56 } else { 64 };
    let hi = (va >> inputsize) & mask(top - inputsize);
    if hi != if sel == 1 { mask(top - inputsize) } else { 0 } {
        return None;
    }
    let (out, out_ub) = out_sizes(ps, gbits, ds, f);
    let stride = gbits - 3;
    let levels = (inputsize - gbits).div_ceil(stride);
    let ha = ha && f.hafdbs >= 1;
    let mut geo = Geo {
        gbits,
        inputsize,
        start: 4 - levels as i8,
        ds,
        pa52: f.pa_range >= 6,
        out,
        out_ub,
        ha,
        hd: ha && hd && f.hafdbs >= 2,
        root: 0,
    };
    geo.root = root_of(&geo, if sel == 1 { ttbr1 } else { ttbr0 });
    Some(S1Dec { geo, hpd })
}

/// The generator's stage-2 walk parameters (Arm ARM D8.2.5: VTCR T0SZ, SL0,
/// SL2, TG0, PS, DS, HA/HD, start level consistent with T0SZ, up to 16
/// concatenated start tables), or None if it expects a level-0 fault.
pub fn s2_decode(vtcr: u64, vttbr: u64, f: &Features) -> Option<Geo> {
    let gbits = tg0_bits(vtcr >> 14);
    let ds = (vtcr >> 32) & 1 == 1
        && match gbits {
            12 => f.lpa2_s2_4k,
            14 => f.lpa2_s2_16k,
            _ => false,
        };
    let tsz = vtcr & 0x3f;
    if !tsz_ok(tsz, gbits, ds, f) {
        return None;
    }
    let inputsize = 64 - tsz as u32;
    let sl0 = (vtcr >> 6) & 3;
    let sl2 = (vtcr >> 33) & 1 == 1;
    let pamax = pa_bits(u64::from(f.pa_range));
    let start: i8 = match (gbits, sl0) {
        (12, 0) if ds && sl2 => -1,
        (12, _) if ds && sl2 => return None,
        (12, 0) => 2,
        (12, 1) => 1,
        (12, 2) if pamax >= 44 => 0,
        (12, 3) if f.st => 3,
        (14, 0) | (16, 0) => 3,
        (14, 1) | (16, 1) => 2,
        (14, 2) if pamax >= 42 => 1,
        (16, 2) if pamax >= 44 => 1,
        (14, 3) if ds => 0,
        _ => return None,
    };
    let (out, out_ub) = out_sizes((vtcr >> 16) & 7, gbits, ds, f);
    let ha = (vtcr >> 21) & 1 == 1 && f.hafdbs >= 1;
    let mut geo = Geo {
        gbits,
        inputsize,
        start,
        ds,
        pa52: f.pa_range >= 6,
        out,
        out_ub,
        ha,
        hd: ha && (vtcr >> 22) & 1 == 1 && f.hafdbs >= 2,
        root: 0,
    };
    let shift = geo.shift(start);
    if inputsize <= shift || inputsize - shift > geo.stride() + 4 {
        return None;
    }
    geo.root = root_of(&geo, vttbr);
    Some(geo)
}

// ---------------------------------------------------------------------------
// The scratch memory of a case.

const MAX_SLOTS: usize = 256;
const MAX_KEEP: usize = 8;

/// The descriptors written in the scratch area: per case (cleared before
/// the next case) and per state (the EL2 stub mapping, [`Gen::map_stub`]).
/// Also the emulator's memory ([`DescReader`]).
pub struct Tables {
    slots: [u64; MAX_SLOTS],
    n: usize,
    keep: [u64; MAX_KEEP],
    nkeep: usize,
    used: [u64; POOL_REGIONS / 64],
    /// Emulator reads outside the scratch area in this case.
    pub outside: u32,
}

impl Tables {
    const fn new() -> Self {
        Tables {
            slots: [0; MAX_SLOTS],
            n: 0,
            keep: [0; MAX_KEEP],
            nkeep: 0,
            used: [0; POOL_REGIONS / 64],
            outside: 0,
        }
    }

    /// Zeroes the whole scratch area (once per run: RAM may hold anything).
    pub fn clear_scratch() {
        // SAFETY: the scratch area is RAM below the end of the 512MB the
        // test runs with, owned by at-diff; no Rust object lives there.
        unsafe {
            core::ptr::write_bytes(
                SCRATCH.start as *mut u8,
                0,
                (SCRATCH.end - SCRATCH.start) as usize,
            );
        }
        rt::sysreg::dsb_sy();
    }

    fn defined(&self, pa: u64) -> bool {
        self.slots[..self.n].contains(&pa) || self.keep[..self.nkeep].contains(&pa)
    }

    fn get(&self, pa: u64) -> u64 {
        // SAFETY: callers pass 8-byte aligned scratch addresses (RAM owned
        // by at-diff); volatile because the hardware walker writes them too.
        unsafe { core::ptr::read_volatile(pa as *const u64) }
    }

    fn store(pa: u64, v: u64) {
        // SAFETY: as in `get` (checked by the callers).
        unsafe { core::ptr::write_volatile(pa as *mut u64, v) };
    }

    /// Writes a descriptor of this case; false when the slot is outside the
    /// scratch area or the slot list is full (the slot then stays 0).
    fn put(&mut self, pa: u64, v: u64) -> bool {
        if !SCRATCH.contains(&pa) || pa & 7 != 0 {
            return false;
        }
        if !self.defined(pa) {
            if self.n == MAX_SLOTS {
                return false;
            }
            self.slots[self.n] = pa;
            self.n += 1;
        }
        Self::store(pa, v);
        true
    }

    /// Writes a descriptor kept for the whole state.
    fn put_keep(&mut self, pa: u64, v: u64) -> bool {
        if !SCRATCH.contains(&pa) || pa & 7 != 0 || self.nkeep == MAX_KEEP {
            return false;
        }
        self.keep[self.nkeep] = pa;
        self.nkeep += 1;
        Self::store(pa, v);
        true
    }

    /// Clears what the last case wrote (and the hardware may have updated).
    pub fn reset(&mut self) {
        for &pa in &self.slots[..self.n] {
            Self::store(pa, 0);
        }
        self.n = 0;
        self.used = [0; POOL_REGIONS / 64];
        self.outside = 0;
    }

    /// Prints the descriptors of the case (for a difference report).
    pub fn dump(&self) {
        for &pa in self.keep[..self.nkeep].iter().chain(&self.slots[..self.n]) {
            rt::println!("  desc @{pa:#x} = {:#018x}", self.get(pa));
        }
    }

    /// Clears the descriptors kept for a state.
    pub fn reset_keep(&mut self) {
        for &pa in &self.keep[..self.nkeep] {
            Self::store(pa, 0);
        }
        self.nkeep = 0;
    }

    /// Marks the pool region at `r` used; false if it is not a free region.
    fn take(&mut self, r: u64) -> bool {
        if r < POOL || r >= POOL + POOL_REGIONS as u64 * REGION || r & (REGION - 1) != 0 {
            return false;
        }
        let i = ((r - POOL) / REGION) as usize;
        if self.used[i / 64] & (1 << (i % 64)) != 0 {
            return false;
        }
        self.used[i / 64] |= 1 << (i % 64);
        true
    }

    /// A free pool region in `lo..hi`.
    fn alloc_within(&mut self, lo: u64, hi: u64, rng: &mut Rng) -> Option<u64> {
        let lo = (lo.max(POOL) + REGION - 1) & !(REGION - 1);
        let hi = hi.min(POOL + POOL_REGIONS as u64 * REGION);
        if lo >= hi {
            return None;
        }
        let n = (hi - lo) / REGION;
        let s = rng.below(n);
        (0..n)
            .map(|k| lo + ((s + k) % n) * REGION)
            .find(|&r| self.take(r))
    }

    fn alloc(&mut self, rng: &mut Rng) -> Option<u64> {
        self.alloc_within(0, u64::MAX, rng)
    }

    /// A free pool region congruent to `addr` modulo 2^bits (16 < bits <=
    /// 26: the pool is 64MB).
    fn alloc_congruent(&mut self, bits: u32, addr: u64, rng: &mut Rng) -> Option<u64> {
        let n = (POOL_REGIONS as u64 * REGION) >> bits;
        let s = rng.below(n);
        let low = addr & mask(bits) & !(REGION - 1);
        (0..n)
            .map(|k| POOL + (((s + k) % n) << bits) + low)
            .find(|&r| self.take(r))
    }
}

impl DescReader for Tables {
    fn read_desc(&mut self, pa: Pa) -> Result<u64, ExternalAbort> {
        if !SCRATCH.contains(&pa.0) || pa.0 & 7 != 0 {
            self.outside += 1;
            return Err(ExternalAbort);
        }
        Ok(self.get(pa.0))
    }
}

// ---------------------------------------------------------------------------
// The case builder.

/// Share of the cases aimed at a successful translation (when one is
/// possible); the others are aimed at the least-seen fault category.
const SUCCESS_PCT: u64 = 55;

/// The generator: the scratch tables and their random stream.
pub struct Gen {
    pub t: Tables,
    rng: Rng,
    f: Features,
    /// Stage-2 leaves for stage-1 tables are pages (see `build_s1`).
    pages: bool,
    /// Stage-1 tables of this case are big-endian (SCTLR_ELx.EE).
    s1_be: bool,
}

/// What the generator reads off a case's registers.
struct Ctx {
    regime: Regime,
    el0: bool,
    write: bool,
    /// PSTATE.PAN applies (AT S1E1RP/WP, two VA ranges, not NV+NV1).
    pan: bool,
    /// HCR_EL2.{NV,NV1} = {1,1} on EL1&0: AP[1] reads as 0.
    nv1: bool,
    /// SCTLR.EPAN with FEAT_PAN3.
    epan: bool,
    /// SCTLR_ELx.EE of the regime: big-endian stage-1 tables.
    be: bool,
    s1_on: bool,
    /// Stage 2 translates the stage-1 walk (EL1&0, HCR_EL2.VM or DC).
    s2_on: bool,
    /// The output IPA is translated too (AT S12E* with stage 2 on).
    two: bool,
    tcr: u64,
    ttbr0: u64,
    ttbr1: u64,
}

/// What the generator did with a case.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub target: Target,
    /// The VA to translate (the caller's, or one the generator picked).
    pub va: u64,
    pub skip: Option<Skip>,
}

/// A stage-1 walk plan.
struct S1Plan {
    leaf: i8,
    fault: Option<(Kind, i8)>,
    /// The Address size fault is in a table descriptor (else in the leaf).
    as_table: bool,
    /// (stage-1 level whose table read faults, kind, stage-2 level).
    ptw: Option<(i8, Kind, i8)>,
    ap: u64,
    uxn: bool,
    dbm: bool,
    af: bool,
    /// Table-descriptor bits [63:59] that may be set at random.
    tb_ok: u64,
    /// Bits forced into the table descriptor at a level (APTable denial).
    tb_force: Option<(i8, u64)>,
    /// The hardware will write the leaf back (AF/dirty): its table needs
    /// stage-2 write permission.
    update: bool,
    /// The level of a stage-2 fault aimed at on the output IPA.
    s2_level: Option<i8>,
}

/// What the generator's own walk of its stage-2 slots finds.
enum Probe {
    Empty { level: i8, slot: u64 },
    Leaf { level: i8, desc: u64 },
    Blocked,
}

/// What a stage-2 leaf is for.
#[derive(Clone, Copy)]
enum S2Use {
    /// Maps a stage-1 table (read, and written back when `w`).
    Table { w: bool },
    /// Maps the output IPA of an AT S12E* (never denies the access:
    /// QEMU 10.0.2 aborts on that).
    Final { write: bool },
}

impl Gen {
    pub fn new(seed: u64, f: Features) -> Self {
        Gen {
            t: Tables::new(),
            rng: Rng::new(seed),
            f,
            pages: false,
            s1_be: false,
        }
    }

    fn ctx(&self, op: AtOp, s: &RegSnapshot) -> Ctx {
        // Effective HCR_EL2: TGE makes PTW 0, and with E2H also VM, DC, CD.
        let mut h = s.hcr_el2;
        if h & hcr::TGE != 0 {
            h &= !hcr::PTW;
            if h & hcr::E2H != 0 {
                h &= !(hcr::VM | hcr::DC | hcr::CD);
            }
        }
        let e2h = h & hcr::E2H != 0;
        let e20 = e2h && h & hcr::TGE != 0;
        let regime = match op {
            AtOp::S1E2R | AtOp::S1E2W if e2h => Regime::El20,
            AtOp::S1E2R | AtOp::S1E2W => Regime::El2,
            _ if e20 => Regime::El20,
            _ => Regime::El10,
        };
        let nvnv1 = h & (hcr::NV | hcr::NV1) == hcr::NV | hcr::NV1;
        let s12 = matches!(
            op,
            AtOp::S12E0R | AtOp::S12E0W | AtOp::S12E1R | AtOp::S12E1W
        );
        let (sctlr, tcr, ttbr0, ttbr1) = if regime == Regime::El10 {
            (s.sctlr_el1, s.tcr_el1, s.ttbr0_el1, s.ttbr1_el1)
        } else {
            (s.sctlr_el2, s.tcr_el2, s.ttbr0_el2, s.ttbr1_el2)
        };
        let s2_on = regime == Regime::El10 && h & (hcr::VM | hcr::DC) != 0;
        Ctx {
            regime,
            el0: matches!(op, AtOp::S1E0R | AtOp::S1E0W | AtOp::S12E0R | AtOp::S12E0W),
            write: matches!(
                op,
                AtOp::S1E0W
                    | AtOp::S1E1W
                    | AtOp::S1E1WP
                    | AtOp::S1E2W
                    | AtOp::S12E0W
                    | AtOp::S12E1W
            ),
            pan: matches!(op, AtOp::S1E1RP | AtOp::S1E1WP)
                && s.pstate_pan
                && !nvnv1
                && regime != Regime::El2,
            nv1: regime == Regime::El10 && nvnv1,
            epan: (sctlr >> 57) & 1 == 1 && self.f.pan3,
            be: (sctlr >> 25) & 1 == 1,
            s1_on: sctlr & 1 != 0 && !(regime == Regime::El10 && h & hcr::DC != 0),
            s2_on,
            two: s2_on && s12,
            tcr,
            ttbr0,
            ttbr1,
        }
    }

    /// Aims and builds one case: picks a target among the categories the
    /// registers allow (the least-seen one in `hist`, counts of what the
    /// hardware returned so far, most of the time), writes its tables and
    /// says whether the case can run on QEMU.
    pub fn plan(&mut self, op: AtOp, s: &RegSnapshot, va: u64, hist: &[u32; NCAT]) -> Plan {
        self.t.reset();
        let c = self.ctx(op, s);
        self.s1_be = c.be;
        let f = self.f;
        let s2 = if c.s2_on {
            s2_decode(s.vtcr_el2, s.vttbr_el2, &f)
        } else {
            None
        };
        // Stage-1 table IPAs are scratch addresses (< 2^31).
        let s2_tables = !c.s2_on || s2.is_some_and(|g| g.inputsize >= 31);
        let s1 = if c.s1_on {
            s1_decode(c.regime, c.tcr, c.ttbr0, c.ttbr1, va, c.el0, &f)
                .filter(|d| d.geo.root >> d.geo.out_ub == 0)
        } else {
            None
        };
        let s1_ok = s1.is_some() && s2_tables;
        let reach = if c.s1_on {
            s1_ok && !(c.el0 && c.nv1)
        } else {
            true
        };
        let succ_ok = reach && (!c.two || s2.is_some());

        let mut cand = [Cat {
            stage: Stage::S1,
            kind: Kind::Translation,
            level: 0,
        }; NCAT];
        let mut nc = 0;
        let mut push = |stage, kind, level| {
            cand[nc] = Cat { stage, kind, level };
            nc += 1;
        };
        if let (true, Some(d)) = (s1_ok, s1) {
            let g = d.geo;
            for l in g.start..=3 {
                push(Stage::S1, Kind::Translation, l);
                if g.leaf_ok(l) && !g.ha {
                    push(Stage::S1, Kind::AccessFlag, l);
                }
                if g.leaf_ok(l) && (c.write || c.el0 || c.pan) {
                    push(Stage::S1, Kind::Permission, l);
                }
                if (l < 3 && g.inject_read().is_some())
                    || (g.leaf_ok(l) && g.inject_leaf().is_some())
                {
                    push(Stage::S1, Kind::AddrSize, l);
                }
            }
        }
        if let (true, Some(g)) = (c.two && reach, s2) {
            // With a stage-1 walk, the stage-2 tables already hold the
            // scratch IPAs of the stage-1 tables: a fault at a level needs
            // an output IPA with a different index there.
            let lim = match s1 {
                Some(d) if c.s1_on => d.geo.out_limit().min(g.inputsize),
                _ => u32::MAX,
            };
            for l in (g.start..=3).filter(|&l| lim > g.shift(l).max(31)) {
                push(Stage::S2, Kind::Translation, l);
                if g.leaf_ok(l) && !g.ha {
                    push(Stage::S2, Kind::AccessFlag, l);
                }
                if (l < 3 && g.inject_read().is_some())
                    || (g.leaf_ok(l) && g.inject_leaf().is_some())
                {
                    push(Stage::S2, Kind::AddrSize, l);
                }
            }
        }
        if let (true, Some(g)) = (c.s2_on && s1_ok, s2) {
            for l in g.start..=3 {
                push(Stage::Ptw, Kind::Translation, l);
                if g.leaf_ok(l) && !g.ha {
                    push(Stage::Ptw, Kind::AccessFlag, l);
                }
                if g.leaf_ok(l) {
                    push(Stage::Ptw, Kind::Permission, l);
                }
                if g.inject_read().is_some() && (l < 3 || g.leaf_ok(l)) {
                    push(Stage::Ptw, Kind::AddrSize, l);
                }
            }
        }
        let target = if succ_ok && (nc == 0 || self.rng.pct(SUCCESS_PCT)) {
            Target::Success
        } else if nc > 0 {
            let cand = &cand[..nc];
            let pick = if self.rng.pct(80) {
                let min = cand.iter().map(|k| hist[k.index()]).min().unwrap_or(0);
                let n = cand.iter().filter(|k| hist[k.index()] == min).count() as u64;
                let i = self.rng.below(n) as usize;
                cand.iter().filter(|k| hist[k.index()] == min).nth(i)
            } else {
                cand.get(self.rng.below(nc as u64) as usize)
            };
            pick.map_or(Target::Free, |&k| Target::Fault(k))
        } else {
            Target::Free
        };

        let mut va = va;
        // The output address the tables are built to give.
        let mut out = None;
        if c.s1_on {
            if let (true, Some(d)) = (s1_ok, s1) {
                let s2g = if c.s2_on { s2 } else { None };
                out = self.build_s1(&c, &d, s2g.as_ref(), va, target);
            }
        } else {
            // MMU off: the VA is the output; aim it below PAMax (and below
            // the stage-2 input size for AT S12E*).
            let aim = matches!(
                target,
                Target::Success
                    | Target::Fault(Cat {
                        stage: Stage::S2,
                        ..
                    })
            );
            if aim {
                let lim = match (c.two, s2) {
                    (true, Some(g)) => g.inputsize.min(f.pamax()),
                    _ => f.pamax(),
                };
                let s2_level = match target {
                    Target::Fault(k) => Some(k.level),
                    _ => None,
                };
                for _ in 0..6 {
                    va = self.rand_addr(lim);
                    if !c.two || self.output_ipa_ok(s2.as_ref(), va, c.write, s2_level) {
                        break;
                    }
                }
            }
            out = (va >> f.pamax() == 0).then_some(va);
        }
        let mut skip = None;
        if let (true, Some(g), Some(ipa)) = (c.two, s2, out) {
            let t = match target {
                Target::Fault(k) if k.stage == Stage::S2 => Some((k.kind, k.level)),
                _ => None,
            };
            if matches!(target, Target::Success) || t.is_some() {
                self.build_final(&g, ipa, c.write, t);
            }
            if self.s2_denies(&g, ipa, c.write) {
                skip = Some(Skip::S12Stage2Perm);
            }
        }
        Plan { target, va, skip }
    }

    /// A random address below 2^lim (a third of them below 4GB).
    fn rand_addr(&mut self, lim: u32) -> u64 {
        let w = if self.rng.pct(33) {
            lim.min(32)
        } else {
            self.rng.range(u64::from(lim.min(24)), u64::from(lim)) as u32
        };
        self.rng.next() & mask(w)
    }

    /// A leaf level at or below `from`: a page (45%) or a block.
    fn pick_leaf(&mut self, g: &Geo, from: i8) -> i8 {
        let mut blocks = [0i8; 5];
        let mut n = 0;
        for l in from..3 {
            if g.block_ok(l) {
                blocks[n] = l;
                n += 1;
            }
        }
        if n == 0 || self.rng.pct(45) {
            3
        } else {
            blocks[self.rng.below(n as u64) as usize]
        }
    }

    /// An invalid descriptor (Translation fault at `level`): bit 0 clear,
    /// or a block where blocks are not allowed (level 3 "block" is reserved).
    fn invalid(&mut self, g: &Geo, level: i8) -> u64 {
        if !g.block_ok(level) && self.rng.pct(35) {
            return (self.rng.next() & mask(48) & !0xfff) | (self.rng.next() & 0xffc) | 0b01;
        }
        let d = self.rng.next() & !1;
        if d == 0 {
            2
        } else {
            d
        }
    }

    /// Random bits for descriptor bit positions `lo..=hi`, each set with
    /// probability pct.
    fn sprinkle(&mut self, lo: u32, hi: u32, pct: u64) -> u64 {
        let mut v = 0;
        for b in lo..=hi {
            v |= self.rng.bit(pct) << b;
        }
        v
    }

    /// IGNORED/RES0 low bits of a table descriptor (bits [11:2], and the
    /// RES0 bits between 4KB and the granule): never bits that hold an
    /// address bit in this layout.
    fn table_low(&mut self, g: &Geo) -> u64 {
        let mut m = 0xffc;
        if g.ds && (g.wide() || !self.rng.pct(15)) {
            m &= !(3 << 8);
        }
        if g.gbits > 12 && !g.wide() && self.rng.pct(15) {
            m |= mask(g.gbits) & !0xfff;
        }
        if self.rng.pct(50) {
            self.rng.next() & m
        } else {
            0
        }
    }

    /// IGNORED/RES0 high bits of a table descriptor below bit 59.
    fn table_high(&mut self, g: &Geo) -> u64 {
        let lo = if g.ds { 50 } else { 48 };
        self.sprinkle(lo, 58, 10)
    }

    // -- stage 1 ---------------------------------------------------------

    fn build_s1(
        &mut self,
        c: &Ctx,
        d: &S1Dec,
        s2: Option<&Geo>,
        va: u64,
        target: Target,
    ) -> Option<u64> {
        let g = d.geo;
        let mut p = S1Plan {
            leaf: 3,
            fault: None,
            as_table: false,
            ptw: None,
            ap: 0,
            uxn: false,
            dbm: false,
            af: true,
            tb_ok: 0x1f << 59,
            tb_force: None,
            update: false,
            s2_level: None,
        };
        match target {
            Target::Fault(Cat {
                stage: Stage::S1,
                kind,
                level,
            }) => {
                p.fault = Some((kind, level));
                p.leaf = match kind {
                    Kind::AccessFlag | Kind::Permission => level,
                    Kind::AddrSize => {
                        let tab = level < 3 && g.inject_read().is_some();
                        let leaf = g.leaf_ok(level) && g.inject_leaf().is_some();
                        p.as_table = tab && (!leaf || self.rng.pct(50));
                        if p.as_table {
                            self.pick_leaf(&g, level + 1)
                        } else {
                            level
                        }
                    }
                    Kind::Translation => self.pick_leaf(&g, level),
                };
            }
            Target::Fault(Cat {
                stage: Stage::Ptw,
                kind,
                level,
            }) => {
                p.leaf = self.pick_leaf(&g, g.start);
                // Stage-2 levels resolving IPA bits >= 27 index the same
                // entry for every scratch IPA: only the first stage-2 walk
                // of the case (the start-level table) can fault there.
                let lp = if s2.is_none_or(|s| s.shift(level) >= 27) {
                    g.start
                } else {
                    self.rng.range(0, (p.leaf - g.start) as u64) as i8 + g.start
                };
                p.ptw = Some((lp, kind, level));
            }
            Target::Fault(Cat {
                stage: Stage::S2,
                level,
                ..
            }) => {
                p.leaf = self.pick_leaf(&g, g.start);
                p.s2_level = Some(level);
            }
            _ => p.leaf = self.pick_leaf(&g, g.start),
        }
        self.s1_perms(c, d, &mut p);
        if matches!(p.fault, Some((Kind::AccessFlag, _))) {
            p.af = false;
            p.update = c.write && p.dbm && g.hd && p.ap & 2 != 0;
        }
        // A stage-2 fault aimed below the start-level table read needs a
        // path of its own: earlier stage-2 mappings of this case use pages.
        self.pages = p.ptw.is_some_and(|q| q.0 > g.start);

        let mut level = g.start;
        let off = g.slot_off(va, level);
        let mut pa = match s2 {
            None => Some(g.root + off),
            Some(s) => {
                let ptw = p.ptw.filter(|q| q.0 == level).map(|q| (q.1, q.2));
                self.map_root(s, g.root + off, ptw, p.update && p.leaf == level)
            }
        };
        loop {
            let slot = pa?;
            if self.t.defined(slot) {
                // Only the EL2 stub mapping is there before a case (and it
                // has no stage 2): follow its tables.
                let dsc = self.s1_get(slot);
                if s2.is_none() && level < 3 && dsc & 3 == 3 {
                    let base = g.dec(dsc);
                    if SCRATCH.contains(&base) {
                        level += 1;
                        pa = Some(base + g.slot_off(va, level));
                        continue;
                    }
                }
                return None;
            }
            match p.fault {
                Some((Kind::Translation, l)) if l == level => {
                    let dsc = self.invalid(&g, level);
                    self.put_s1(slot, dsc);
                    return None;
                }
                Some((Kind::AddrSize, l)) if l == level && p.as_table => {
                    let (lo, hi) = g.inject_read()?;
                    let r = self.t.alloc(&mut self.rng)?;
                    let bad = r | (1 << self.rng.range(u64::from(lo), u64::from(hi)));
                    let dsc = self.s1_table_desc(&g, bad, level, &p);
                    self.put_s1(slot, dsc);
                    return None;
                }
                _ => {}
            }
            if level == p.leaf {
                let (dsc, out) = self.s1_leaf(c, &g, level, va, s2, &p);
                self.put_s1(slot, dsc);
                return Some(out);
            }
            let next = level + 1;
            let off = g.slot_off(va, next);
            let (addr, next_pa) = match s2 {
                None => {
                    let r = self.t.alloc(&mut self.rng)?;
                    (r, Some(r + off))
                }
                Some(s) => {
                    let ptw = p.ptw.filter(|q| q.0 == next).map(|q| (q.1, q.2));
                    match self.map_table(s, off, ptw, p.update && p.leaf == next) {
                        Some(x) => x,
                        None => {
                            let dsc = self.invalid(&g, level);
                            self.put_s1(slot, dsc);
                            return None;
                        }
                    }
                }
            };
            let dsc = self.s1_table_desc(&g, addr, level, &p);
            self.put_s1(slot, dsc);
            pa = next_pa;
            level = next;
        }
    }

    /// Writes a stage-1 descriptor in the regime's endianness.
    fn put_s1(&mut self, slot: u64, d: u64) {
        let d = if self.s1_be { d.swap_bytes() } else { d };
        self.t.put(slot, d);
    }

    fn s1_get(&self, slot: u64) -> u64 {
        let d = self.t.get(slot);
        if self.s1_be {
            d.swap_bytes()
        } else {
            d
        }
    }

    /// Stage-1 permission bits of the leaf (Arm ARM D8.4.1: AP[2:1],
    /// APTable, PAN/EPAN, NV+NV1, dirty state): granting the access, or
    /// denying it when the target is a Permission fault.
    fn s1_perms(&mut self, c: &Ctx, d: &S1Dec, p: &mut S1Plan) {
        let g = d.geo;
        let r = &mut self.rng;
        p.ap = r.below(4);
        p.uxn = r.pct(30);
        p.dbm = r.pct(35);
        p.af = !(g.ha && r.pct(25));
        let ap_table0 = 1u64 << 61;
        let ap_table1 = 1u64 << 62;
        let xn_table = 1u64 << 60;
        if matches!(p.fault, Some((Kind::Permission, _))) {
            let tables = !d.hpd && p.leaf > g.start;
            let mut opts = [0u8; 6];
            let mut n = 0;
            for (o, ok) in [
                c.write,
                c.el0,
                c.el0 && tables,
                c.write && tables,
                c.pan,
                c.pan && c.epan,
            ]
            .into_iter()
            .enumerate()
            {
                if ok {
                    opts[n] = o as u8;
                    n += 1;
                }
            }
            let lvl = r.range(0, (p.leaf - g.start).max(1) as u64 - 1) as i8 + g.start;
            match opts[r.below(n.max(1) as u64) as usize] {
                0 => {
                    p.ap |= 2;
                    p.dbm = false;
                }
                1 => p.ap &= !1,
                2 => p.tb_force = Some((lvl, ap_table0)),
                3 => p.tb_force = Some((lvl, ap_table1)),
                4 => {
                    p.ap |= 1;
                    p.tb_ok &= !ap_table0;
                }
                _ => {
                    p.ap &= !1;
                    p.uxn = false;
                    p.tb_ok &= !xn_table;
                }
            }
        } else {
            if c.write {
                if g.hd && r.pct(30) {
                    p.ap |= 2;
                    p.dbm = true;
                } else {
                    p.ap &= !2;
                }
                p.tb_ok &= !ap_table1;
            }
            if c.el0 {
                p.ap |= 1;
                p.tb_ok &= !ap_table0;
            } else if c.pan {
                p.ap &= !1;
                if c.epan {
                    p.uxn = true;
                }
            }
        }
        if d.hpd {
            p.tb_ok = 0x1f << 59;
        }
        p.update = (!p.af && g.ha) || (c.write && p.dbm && g.hd && p.ap & 2 != 0);
    }

    fn s1_table_desc(&mut self, g: &Geo, addr: u64, level: i8, p: &S1Plan) -> u64 {
        let mut d = g.enc(addr) | 0b11 | self.table_low(g) | self.table_high(g);
        let r = &mut self.rng;
        d |= (r.next() & r.next() & r.next()) & p.tb_ok;
        if let Some((l, bits)) = p.tb_force {
            if l == level {
                d |= bits;
            }
        }
        d
    }

    /// The stage-1 leaf at `level` and the output address it gives `va`.
    fn s1_leaf(
        &mut self,
        c: &Ctx,
        g: &Geo,
        level: i8,
        va: u64,
        s2: Option<&Geo>,
        p: &S1Plan,
    ) -> (u64, u64) {
        let bits = g.shift(level);
        // An Address size fault aimed at this leaf: an OA bit at or above
        // the output size.
        let bad = matches!(p.fault, Some((Kind::AddrSize, l)) if l == level);
        let oa = if bad {
            let (lo, hi) = g.inject_leaf().unwrap_or((47, 47));
            let base = self.rand_addr(lo);
            base | (1 << self.rng.range(u64::from(lo), u64::from(hi)))
        } else {
            self.final_oa(c, g, s2, va, bits, p.s2_level)
        };
        let out = (oa & !mask(bits)) | (va & mask(bits));
        let r = &mut self.rng;
        let mut d = g.enc(oa & !mask(bits)) | if level == 3 { 0b11 } else { 0b01 };
        if level < 3 && r.pct(15) {
            // RES0 bits between the granule and the block size.
            d |= r.next() & mask(bits.min(48)) & !mask(g.gbits);
        }
        d |= r.next() & 0x3c; // AttrIndx, NS
        d |= p.ap << 6;
        if !g.ds || (!g.wide() && r.pct(15)) {
            d |= r.next() & (3 << 8); // SH (or ignored OA[51:50])
        }
        if p.af {
            d |= 1 << 10;
        }
        d |= r.next() & (1 << 11); // nG
        if g.gbits == 16 && !g.wide() && r.pct(15) {
            d |= r.next() & (0xf << 12);
        }
        d |= r.bit(20) << 50; // GP
        d |= u64::from(p.dbm) << 51;
        d |= r.bit(15) << 52; // Contiguous
        d |= r.bit(30) << 53; // PXN
        d |= u64::from(p.uxn) << 54;
        d |= self.sprinkle(55, 58, 20) | self.sprinkle(59, 63, 10);
        (d, out)
    }

    /// A block/page base for the stage-1 leaf: within the output size and,
    /// for AT S12E*, the stage-2 input size, avoiding stage-2 leaves this
    /// case already has that would deny the access.
    /// With `s2_level` (a stage-2 fault target), also a stage-2 path that
    /// is still empty at that level.
    #[allow(clippy::too_many_arguments)]
    fn final_oa(
        &mut self,
        c: &Ctx,
        g: &Geo,
        s2: Option<&Geo>,
        va: u64,
        bits: u32,
        s2_level: Option<i8>,
    ) -> u64 {
        let mut lim = g.out_limit();
        if let (true, Some(s)) = (c.two, s2) {
            lim = lim.min(s.inputsize);
        }
        let mut oa = 0;
        for i in 0..12 {
            oa = if s2_level.is_some() && i % 2 == 1 {
                self.rng.next() & mask(lim)
            } else {
                self.rand_addr(lim)
            } & !mask(bits);
            if !c.two || self.output_ipa_ok(s2, oa | (va & mask(bits)), c.write, s2_level) {
                break;
            }
        }
        oa
    }

    /// An output IPA for AT S12E*: not mapped by a leaf of this case that
    /// denies the access, and with a stage-2 fault target at `s2_level`,
    /// still unbuilt at that level.
    fn output_ipa_ok(&self, s2: Option<&Geo>, ipa: u64, write: bool, s2_level: Option<i8>) -> bool {
        let Some(s) = s2 else {
            return true;
        };
        if self.s2_denies(s, ipa, write) {
            return false;
        }
        match (s2_level, self.probe(s, ipa)) {
            (Some(lf), Probe::Empty { level, .. }) => level <= lf,
            (Some(_), _) => false,
            _ => true,
        }
    }

    // -- stage 2 ---------------------------------------------------------

    /// Walks the stage-2 slots of this case (and only them) for `ipa`.
    fn probe(&self, s: &Geo, ipa: u64) -> Probe {
        let mut level = s.start;
        let mut base = s.root;
        loop {
            let slot = base + s.slot_off(ipa, level);
            if !SCRATCH.contains(&slot) {
                return Probe::Blocked;
            }
            if !self.t.defined(slot) {
                return Probe::Empty { level, slot };
            }
            let d = self.t.get(slot);
            if d & 1 == 0 {
                return Probe::Blocked;
            }
            if d & 2 != 0 && level < 3 {
                base = s.dec(d);
                if !SCRATCH.contains(&base) {
                    return Probe::Blocked;
                }
                level += 1;
                continue;
            }
            return if (level < 3 && s.block_ok(level)) || (level == 3 && d & 2 != 0) {
                Probe::Leaf { level, desc: d }
            } else {
                Probe::Blocked
            };
        }
    }

    /// Whether the stage-2 leaf this case has for `ipa` denies a read or
    /// write (Arm ARM D8.4.2 S2AP; D8.5.2 a DBM write with VTCR.HD makes it
    /// writable). Conservative: the Access flag is not looked at.
    fn s2_denies(&self, s: &Geo, ipa: u64, write: bool) -> bool {
        if ipa >> s.inputsize != 0 {
            return false;
        }
        match self.probe(s, ipa) {
            Probe::Leaf { desc, .. } => {
                let ap = (desc >> 6) & 3;
                if write {
                    ap & 2 == 0 && !(s.hd && desc & (1 << 51) != 0)
                } else {
                    ap & 1 == 0
                }
            }
            _ => false,
        }
    }

    /// A stage-2 leaf that a table read through it may use.
    fn ptw_usable(s: &Geo, d: u64, w: bool) -> bool {
        let ap = (d >> 6) & 3;
        ap & 1 != 0 && (!w || ap & 2 != 0) && (d & (1 << 10) != 0 || s.ha)
    }

    fn leaf_pa(s: &Geo, level: i8, d: u64, ipa: u64) -> u64 {
        let bits = s.shift(level);
        (s.dec(d) & !mask(bits)) | (ipa & mask(bits))
    }

    /// Maps the start-level table slot at IPA `ipa` (the TTBR, fixed):
    /// returns the PA where that slot is, or None if the read faults (or
    /// the mapping cannot be built).
    fn map_root(&mut self, s: &Geo, ipa: u64, ptw: Option<(Kind, i8)>, w: bool) -> Option<u64> {
        if ipa >> s.inputsize != 0 {
            return None;
        }
        match self.probe(s, ipa) {
            Probe::Leaf { level, desc } => {
                if ptw.is_some() || !Self::ptw_usable(s, desc, w) {
                    return None;
                }
                let pa = Self::leaf_pa(s, level, desc, ipa);
                let region = pa & !(REGION - 1);
                (region == ipa & !(REGION - 1) || self.t.take(region)).then_some(pa)
            }
            Probe::Blocked => None,
            Probe::Empty { level, slot } => {
                if let Some((kind, lf)) = ptw {
                    if lf >= level {
                        self.s2_fault(s, ipa, level, slot, kind, lf, S2Use::Table { w: false });
                    }
                    return None;
                }
                let ls = if self.pages {
                    3
                } else {
                    self.pick_leaf(s, level)
                };
                let bits = s.shift(ls);
                let r = if bits <= 16 {
                    self.t.alloc(&mut self.rng)?
                } else if bits <= 26 {
                    self.t.alloc_congruent(bits, ipa, &mut self.rng)?
                } else {
                    // The TTBR's own region: the leaf maps it to itself.
                    ipa & !(REGION - 1)
                };
                let pa = r + (ipa & (REGION - 1));
                self.s2_path(
                    s,
                    ipa,
                    level,
                    slot,
                    ls,
                    pa & !mask(bits),
                    S2Use::Table { w },
                );
                Some(pa)
            }
        }
    }

    /// Places a new stage-1 table: returns the address to put in the
    /// table descriptor (an IPA in the scratch area) and the PA of the slot
    /// at byte offset `off` in it (None if that read is built to fault).
    fn map_table(
        &mut self,
        s: &Geo,
        off: u64,
        ptw: Option<(Kind, i8)>,
        w: bool,
    ) -> Option<(u64, Option<u64>)> {
        for _ in 0..6 {
            let it = SCRATCH.start + (self.rng.below(1 << 27) & !(REGION - 1)) + off;
            if it >> s.inputsize != 0 {
                return None;
            }
            match self.probe(s, it) {
                Probe::Leaf { level, desc } => {
                    let bits = s.shift(level);
                    if ptw.is_some() || !Self::ptw_usable(s, desc, w) || bits <= 16 {
                        continue;
                    }
                    let oa = s.dec(desc) & !mask(bits);
                    let Some(r) = self.t.alloc_within(oa, oa + (1 << bits), &mut self.rng) else {
                        continue;
                    };
                    let tb = (it & !mask(bits)) + (r - oa);
                    if SCRATCH.contains(&tb) {
                        return Some((tb, Some(r + off)));
                    }
                }
                Probe::Blocked => {}
                Probe::Empty { level, slot } => {
                    if let Some((kind, lf)) = ptw {
                        if lf < level {
                            continue;
                        }
                        self.s2_fault(s, it, level, slot, kind, lf, S2Use::Table { w: false });
                        return Some((it & !(REGION - 1), None));
                    }
                    let ls = if self.pages {
                        3
                    } else {
                        self.pick_leaf(s, level)
                    };
                    let bits = s.shift(ls);
                    let r = self.t.alloc(&mut self.rng)?;
                    let tb = if bits <= 16 {
                        it & !(REGION - 1)
                    } else {
                        (it & !mask(bits)) | (r & mask(bits))
                    };
                    let oa = (r + off) & !mask(bits);
                    self.s2_path(s, tb + off, level, slot, ls, oa, S2Use::Table { w });
                    return Some((tb, Some(r + off)));
                }
            }
        }
        None
    }

    /// Builds the stage-2 walk of the output IPA of an AT S12E*: a leaf
    /// granting the access, or the targeted stage-2 fault.
    fn build_final(&mut self, s: &Geo, ipa: u64, write: bool, t: Option<(Kind, i8)>) {
        if ipa >> s.inputsize != 0 {
            return;
        }
        if let Probe::Empty { level, slot } = self.probe(s, ipa) {
            if let Some((kind, lf)) = t {
                if lf >= level {
                    self.s2_fault(s, ipa, level, slot, kind, lf, S2Use::Final { write });
                    return;
                }
            }
            let ls = self.pick_leaf(s, level);
            let oa = self.rand_addr(s.out_limit()) & !mask(s.shift(ls));
            self.s2_path(s, ipa, level, slot, ls, oa, S2Use::Final { write });
        }
    }

    /// New stage-2 tables from `level` (whose empty slot is `slot`) down to
    /// the leaf at `ls` mapping `ipa` to `oa`.
    #[allow(clippy::too_many_arguments)]
    fn s2_path(&mut self, s: &Geo, ipa: u64, level: i8, slot: u64, ls: i8, oa: u64, u: S2Use) {
        let Some(slot) = self.s2_tables(s, ipa, level, slot, ls) else {
            return;
        };
        let d = self.s2_leaf(s, ls, oa, u);
        self.t.put(slot, d);
    }

    /// New stage-2 tables from `level` to `to` (exclusive): the slot at
    /// level `to`.
    fn s2_tables(
        &mut self,
        s: &Geo,
        ipa: u64,
        mut level: i8,
        mut slot: u64,
        to: i8,
    ) -> Option<u64> {
        while level < to {
            let r = self.t.alloc(&mut self.rng)?;
            let d = s.enc(r)
                | 0b11
                | self.table_low(s)
                | self.table_high(s)
                | self.sprinkle(59, 63, 10);
            self.t.put(slot, d);
            level += 1;
            slot = r + s.slot_off(ipa, level);
        }
        Some(slot)
    }

    fn s2_leaf(&mut self, s: &Geo, level: i8, oa: u64, u: S2Use) -> u64 {
        let r = &mut self.rng;
        let mut d = s.enc(oa) | if level == 3 { 0b11 } else { 0b01 };
        let (ap, dbm, junk) = match u {
            S2Use::Table { w } => (if w || r.pct(70) { 3 } else { 1 }, r.pct(35), false),
            S2Use::Final { write } => {
                if write && s.hd && r.pct(25) {
                    (r.below(2), true, true)
                } else if write {
                    (2 + r.below(2), r.pct(35), true)
                } else {
                    (1 + 2 * r.below(2), r.pct(35), true)
                }
            }
        };
        let af = !(s.ha && r.pct(25));
        if junk && level < 3 && r.pct(15) {
            d |= r.next() & mask(s.shift(level).min(48)) & !mask(s.gbits);
        }
        d |= r.next() & 0x3c; // MemAttr
        d |= ap << 6;
        if !s.ds || (!s.wide() && r.pct(15)) {
            d |= r.next() & (3 << 8);
        }
        d |= u64::from(af) << 10;
        d |= r.next() & (1 << 11);
        if junk && s.gbits == 16 && !s.wide() && r.pct(15) {
            d |= r.next() & (0xf << 12);
        }
        d |= u64::from(dbm) << 51;
        d |= r.bit(15) << 52;
        d |= r.next() & (3 << 53); // XN[1:0]
        d | self.sprinkle(55, 58, 20) | self.sprinkle(59, 63, 10)
    }

    /// Builds a stage-2 walk of `ipa` that faults with `kind` at level `lf`.
    /// For a stage-1 table's IPA (`S2Use::Table`) even the faulting
    /// descriptor only holds scratch addresses or certain Address size
    /// faults; for an output IPA, a faulting leaf still grants the access
    /// (so the QEMU assertion predicate, which ignores AF, passes it).
    #[allow(clippy::too_many_arguments)]
    fn s2_fault(&mut self, s: &Geo, ipa: u64, level: i8, slot: u64, kind: Kind, lf: i8, u: S2Use) {
        let read = matches!(u, S2Use::Table { .. });
        let Some(slot) = self.s2_tables(s, ipa, level, slot, lf) else {
            return;
        };
        let bits = s.shift(lf);
        // Where the leaf would map: the IPA itself for a table IPA (a
        // scratch address), anywhere for an output IPA.
        let oa = if read {
            ipa & !mask(bits)
        } else {
            self.rand_addr(s.out_limit()) & !mask(bits)
        };
        let d = match kind {
            Kind::Translation => self.invalid(s, lf),
            Kind::AccessFlag => self.s2_leaf(s, lf, oa, u) & !(1 << 10),
            Kind::Permission => {
                // No read permission: S2AP = 0b00 or 0b10.
                self.s2_leaf(s, lf, oa, u) & !(1 << 6)
            }
            Kind::AddrSize => {
                let inj = if read {
                    s.inject_read()
                } else {
                    s.inject_leaf().or(s.inject_read())
                };
                let Some((lo, hi)) = inj else {
                    return;
                };
                let table =
                    lf < 3 && s.inject_read().is_some() && (!s.leaf_ok(lf) || self.rng.pct(50));
                let (lo, hi) = if table {
                    s.inject_read().unwrap_or((lo, hi))
                } else {
                    (lo, hi)
                };
                let bad = 1u64 << self.rng.range(u64::from(lo), u64::from(hi));
                if table {
                    let Some(r) = self.t.alloc(&mut self.rng) else {
                        return;
                    };
                    s.enc(r | bad) | 0b11 | self.table_low(s)
                } else if s.leaf_ok(lf) {
                    self.s2_leaf(s, lf, oa | bad, u)
                } else {
                    return;
                }
            }
        };
        self.t.put(slot, d);
    }

    // -- the EL2 MMU-on stub ----------------------------------------------

    /// Identity-maps the 4KB page at `stub` through TTBR0 of the EL2 (or,
    /// with `e2h`, EL2&0) regime described by `tcr`, as a level-3 page that
    /// is read-only and executable at EL2, with plain table descriptors on
    /// the way; kept for the whole state. Returns false if T0SZ cannot
    /// cover `stub`.
    pub fn map_stub(&mut self, tcr: u64, e2h: bool, ttbr0: u64, stub: u64) -> bool {
        let regime = if e2h { Regime::El20 } else { Regime::El2 };
        let Some(d) = s1_decode(regime, tcr, ttbr0, ttbr0, stub, false, &self.f) else {
            return false;
        };
        let g = d.geo;
        let mut level = g.start;
        let mut slot = g.root + g.slot_off(stub, level);
        let mut k = 0;
        loop {
            if !SCRATCH.contains(&slot) {
                return false;
            }
            if level == 3 {
                let mut dsc = g.enc(stub) | 0b11 | (1 << 10) | (2 << 6);
                dsc |= self.rng.below(8) << 2; // AttrIndx
                if !g.ds {
                    dsc |= self.rng.below(4) << 8;
                }
                return self.t.put_keep(slot, dsc);
            }
            let next = STUB_TABLES + (k << 16);
            k += 1;
            if !self.t.put_keep(slot, g.enc(next) | 0b11) {
                return false;
            }
            level += 1;
            slot = next + g.slot_off(stub, level);
        }
    }
}

/// A TTBR/VTTBR value for a state: the 1MB TTB-pool region `i`, sometimes
/// with an address bit at or above `ub` (an upper bound of the output size
/// of every regime that uses it, so the walk faults before reading) or
/// stray low bits (only where they cannot be BADDR[51:48]).
pub fn ttb(rng: &mut Rng, i: u64, ub: u32) -> u64 {
    let mut v = TTB_POOL + ((i & 7) << 20);
    if ub <= 47 && rng.pct(6) {
        v |= 1u64 << rng.range(u64::from(ub), 47);
    }
    if ub <= 48 && rng.pct(10) {
        v |= rng.next() & 0x3e;
    }
    v
}

// ---------------------------------------------------------------------------
// Random registers.

/// TxSZ for a granule/DS choice: mostly valid, sometimes anything.
fn tsz(rng: &mut Rng, big: bool) -> u64 {
    if rng.pct(4) {
        return rng.below(64);
    }
    let min = if big { 12 } else { 16 };
    min + rng.below(48 - min + 1)
}

/// A random TCR in the two-range layout (TCR_EL1, or TCR_EL2 with E2H=1).
pub fn tcr_two_range(rng: &mut Rng, f: &Features) -> u64 {
    // Some states are 4KB with FEAT_LPA2 and a large VA space: the only
    // place for level -1 and level-0 blocks.
    let lpa2 = f.lpa2_s1_4k && rng.pct(12);
    let ds = if lpa2 { 1 } else { rng.bit(25) };
    let tg0 = if lpa2 { 0 } else { rng.below(4) };
    let tg1 = if lpa2 { 2 } else { rng.below(4) };
    // 52-bit VA: DS with 4K/16K, or 64K with FEAT_LVA.
    let big0 = ds == 1 || (tg0 == 1 && f.lva);
    let big1 = ds == 1 || (tg1 == 3 && f.lva);
    let mut t = if lpa2 {
        (12 + rng.below(12)) | ((12 + rng.below(12)) << 16)
    } else {
        tsz(rng, big0) | (tsz(rng, big1) << 16)
    };
    t |= rng.bit(2) << 7; // EPD0
    t |= rng.below(4) << 8 | rng.below(4) << 10; // IRGN0/ORGN0
    t |= rng.below(4) << 12; // SH0
    t |= tg0 << 14;
    t |= rng.bit(50) << 22; // A1
    t |= rng.bit(2) << 23; // EPD1
    t |= rng.below(4) << 24 | rng.below(4) << 26; // IRGN1/ORGN1
    t |= rng.below(4) << 28; // SH1
    t |= tg1 << 30;
    // With LPA2, a 52-bit IPS half the time (output IPAs above 2^48).
    let ips = if lpa2 && rng.pct(50) {
        6
    } else if rng.pct(60) {
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
    // As for stage 1: some states are 4KB FEAT_LPA2 with a level -1 or 0
    // start.
    let lpa2 = f.lpa2_s2_4k && rng.pct(20);
    let tg = if lpa2 { 0 } else { rng.below(4) };
    let ds = if lpa2 { 1 } else { rng.bit(25) };
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
    if !lpa2 && rng.pct(8) {
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
        _ if lpa2 => &[-1, 0],
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
    let mut lo = levels * stride + gbits + 1;
    let hi = (lo + stride - 1 + 4).min(maxia);
    // Mostly room for the scratch area's IPAs (stage-1 tables live there).
    if hi >= 31 && rng.pct(80) {
        lo = lo.max(31);
    }
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
    if rng.pct(5) {
        va ^= 1u64 << (inputsize + rng.below(64 - inputsize));
    }
    // A tag in the top byte: mostly where TBI ignores it.
    let tbi = if one_range {
        tcr & (1 << 20) != 0
    } else {
        tcr & (1 << (37 + sel)) != 0
    };
    if rng.pct(if tbi { 50 } else { 3 }) {
        va = (va & !(0xffu64 << 56)) | (rng.below(256) << 56);
    }
    va
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
