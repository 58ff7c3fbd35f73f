//! Benchmark of `fgt::route` on the host: ns per call over a mix of
//! syndromes (every table encoding in both directions, unknown encodings and
//! other exception classes) against a configuration with traps set.
//! Run: `scripts/bench-route.sh` (= `cargo run --release -p fgt --example bench_route`).
use fgt::{config::hcr, route, Ctl, Enc, Esr, Features, Route, TrapConfig};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let mut cfg = TrapConfig::untrapped(Features {
        fgt: true,
        fgt2: true,
        hcx: true,
    });
    for c in [
        Ctl::Tvm,
        Ctl::Tid3,
        Ctl::Ttlbis,
        Ctl::Tpm,
        Ctl::Tda,
        Ctl::IchTall1,
    ] {
        c.enable(&mut cfg);
    }
    cfg.hcr |= hcr::TWI | hcr::TSC;
    cfg.fgt[0] ^= 0x5555_0000_1234_5678;
    let mut syn: Vec<Esr> = Vec::new();
    fgt::table::for_each_encoding(|e, _| {
        syn.push(Esr::sysreg(e, true, 3));
        syn.push(Esr::sysreg(e, false, 3));
    });
    let mut x: u32 = 12345;
    for _ in 0..syn.len() / 4 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        syn.push(Esr::sysreg(Enc((x >> 8) as u16), x & 1 != 0, 0));
    }
    for ec in [0x01u8, 0x07, 0x16, 0x17, 0x1a, 0x24, 0x3c] {
        syn.push(Esr::new(ec, 0));
    }
    let rounds = 400;
    let start = Instant::now();
    let mut to_l1 = 0usize;
    for _ in 0..rounds {
        for &s in &syn {
            if route(black_box(&cfg), black_box(s)) == Route::ToL1 {
                to_l1 += 1;
            }
        }
    }
    let dt = start.elapsed();
    let calls = rounds * syn.len();
    println!(
        "bench-route: {} calls over {} syndromes, {:.1} ns/call ({} to L1)",
        calls,
        syn.len(),
        dt.as_nanos() as f64 / calls as f64,
        to_l1 / rounds
    );
}
