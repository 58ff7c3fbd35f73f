//! Walk throughput: a 4-level 4KB stage-1 walk, alone and with every table
//! read (and the output) translated by a 4-level 4KB stage 2.
//!
//! Run: `cargo run --release -p at-emul --example walk_bench` (or
//! `scripts/bench-walk.sh`). Set `WALK_BENCH_N` for the walk count.
use at_emul::s1::{self, Regime, S1Config};
use at_emul::s2::{self, S2Config};
use at_emul::{Access, DescReader, ExternalAbort, Features, Ipa, Pa, Va};
use std::time::Instant;

/// Flat memory at `base`.
struct Mem {
    base: u64,
    words: Vec<u64>,
}

impl Mem {
    fn set(&mut self, pa: u64, v: u64) {
        self.words[((pa - self.base) / 8) as usize] = v;
    }
}

impl DescReader for Mem {
    fn read_desc(&mut self, pa: Pa) -> Result<u64, ExternalAbort> {
        let off = pa.0.checked_sub(self.base).ok_or(ExternalAbort)?;
        self.words
            .get((off / 8) as usize)
            .copied()
            .ok_or(ExternalAbort)
    }
}

const BASE: u64 = 0x4000_0000;
const TABLE: u64 = 0b11;
const PAGE: u64 = 0b11 | (1 << 10); // valid page/table, AF

fn main() {
    let n: u64 = std::env::var("WALK_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000_000);
    let mut m = Mem {
        base: BASE,
        words: vec![0; 0x20_0000 / 8],
    };
    // Stage 1: L0 at +0x0000, L1 +0x1000, L2 +0x2000, L3 +0x3000; VA
    // 0x0000_1234_5600_0000.. maps 512 pages to 0x4010_0000...
    let va0: u64 = 0x0000_1234_5600_0000;
    let idx = |va: u64, l: u32| (va >> (39 - 9 * l)) & 0x1ff;
    m.set(BASE + idx(va0, 0) * 8, (BASE + 0x1000) | TABLE);
    m.set(BASE + 0x1000 + idx(va0, 1) * 8, (BASE + 0x2000) | TABLE);
    m.set(BASE + 0x2000 + idx(va0, 2) * 8, (BASE + 0x3000) | TABLE);
    for i in 0..512u64 {
        m.set(
            BASE + 0x3000 + i * 8,
            (BASE + 0x10_0000 + i * 0x1000) | PAGE | (3 << 6),
        );
    }
    // Stage 2: identity for IPA 0x4000_0000..0x4020_0000 with 4KB pages,
    // tables at +0x8000.. (L0, L1, L2, L3).
    let s2b = BASE + 0x8000;
    m.set(s2b + idx(BASE, 0) * 8, (s2b + 0x1000) | TABLE);
    m.set(s2b + 0x1000 + idx(BASE, 1) * 8, (s2b + 0x2000) | TABLE);
    m.set(s2b + 0x2000 + idx(BASE, 2) * 8, (s2b + 0x3000) | TABLE);
    m.set(
        s2b + 0x2000 + (idx(BASE, 2) + 1) * 8,
        (s2b + 0x4000) | TABLE,
    );
    for i in 0..1024u64 {
        let l3 = if i < 512 {
            s2b + 0x3000
        } else {
            s2b + 0x4000 - 512 * 8
        };
        m.set(
            l3 + i * 8,
            (BASE + i * 0x1000) | PAGE | (3 << 6) | (0xf << 2),
        );
    }
    let f = Features::QEMU_MAX;
    let s1c = S1Config {
        regime: Regime::El10,
        sctlr: 1,
        tcr: 16 | (16 << 16) | (2 << 30) | (5 << 32),
        ttbr0: BASE,
        ttbr1: 0,
        mair: 0xff,
        hcr: 0,
        el0: false,
        pan: false,
        features: f,
    };
    // T0SZ=16, SL0=2 (start level 0), 4KB, PS=48 bits.
    let s2c = S2Config::new(16 | (2 << 6) | (5 << 16), s2b, 1, 0, f);

    for (name, with_s2) in [("stage 1 only", false), ("stage 1 + stage 2", true)] {
        let t = Instant::now();
        let mut acc = 0u64;
        for i in 0..n {
            let va = Va(va0 + ((i & 511) << 12) + (i & 0xff8));
            let r = if with_s2 {
                s1::walk(&s1c, va, &mut m, Access::Read, Some(&s2c)).and_then(|t1| {
                    s2::walk(&s2c, Ipa(t1.oa), &mut m, Access::Read).map(|t2| t2.pa.0)
                })
            } else {
                s1::walk(&s1c, va, &mut m, Access::Read, None).map(|t1| t1.oa)
            };
            match r {
                Ok(pa) => acc = acc.wrapping_add(pa),
                Err(e) => panic!("benchmark walk faulted: {e:?}"),
            }
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "walk_bench: 4-level 4KB {name}: {n} walks in {s:.3} s = {:.0} walks/s (checksum {acc:x})",
            n as f64 / s
        );
    }
}
