//! Shared helpers for the host tests: a sparse fake memory and a table
//! builder.
#![allow(dead_code, clippy::new_without_default, clippy::too_many_arguments)]

use at_emul::{DescReader, ExternalAbort, Granule, Pa};
use std::collections::BTreeMap;

/// Sparse memory: unset words read as 0; addresses at or above `limit`
/// have no memory (External abort).
pub struct Mem {
    pub words: BTreeMap<u64, u64>,
    pub limit: u64,
    pub reads: Vec<u64>,
}

impl Mem {
    pub fn new() -> Self {
        Mem {
            words: BTreeMap::new(),
            limit: 1 << 52,
            reads: Vec::new(),
        }
    }
    pub fn set(&mut self, pa: u64, v: u64) {
        self.words.insert(pa, v);
    }
}

impl DescReader for Mem {
    fn read_desc(&mut self, pa: Pa) -> Result<u64, ExternalAbort> {
        self.reads.push(pa.0);
        if pa.0 >= self.limit {
            return Err(ExternalAbort);
        }
        Ok(self.words.get(&pa.0).copied().unwrap_or(0))
    }
}

pub const VALID: u64 = 1;
pub const TABLE: u64 = 0b11;
pub const PAGE: u64 = 0b11;
pub const BLOCK: u64 = 0b01;
pub const AF: u64 = 1 << 10;

/// Index of `addr` at `level` for granule `g` (not the concatenated start).
pub fn ix(addr: u64, level: i8, g: Granule) -> u64 {
    let shift = g.bits() + g.stride() * (3 - level) as u32;
    (addr >> shift) & ((1 << g.stride()) - 1)
}

/// Writes a walk path: table descriptors from `start` down to `leaf_level`
/// (exclusive) using `tables[i]` as the next table, then `leaf` at
/// `leaf_level`. `root_ix_bits` is the index width at the start level.
pub fn path(
    m: &mut Mem,
    g: Granule,
    root: u64,
    start: i8,
    root_ix_bits: u32,
    addr: u64,
    leaf_level: i8,
    leaf: u64,
    tables: &[u64],
) {
    let mut base = root;
    let mut lvl = start;
    let mut ti = 0;
    loop {
        let i = if lvl == start {
            let shift = g.bits() + g.stride() * (3 - lvl) as u32;
            (addr >> shift) & ((1 << root_ix_bits) - 1)
        } else {
            ix(addr, lvl, g)
        };
        let slot = base + i * 8;
        if lvl == leaf_level {
            m.set(slot, leaf);
            return;
        }
        let next = tables[ti];
        ti += 1;
        m.set(slot, next | TABLE);
        base = next;
        lvl += 1;
    }
}
