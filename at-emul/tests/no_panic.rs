//! Property test: arbitrary registers and table contents never panic; they
//! give a PAR_EL1 / translation or a fault, and the PAR is well formed.
//!
//! The default case count keeps `cargo test` fast. For a long fuzz session:
//! `AT_EMUL_FUZZ_CASES=5000000 cargo test --release -p at-emul --test no_panic`.
use at_emul::s2::{self, S2Config};
use at_emul::{
    emulate, Access, AtOp, DescReader, ExternalAbort, Features, Ipa, Pa, RegSnapshot, Va,
};
use proptest::prelude::*;

/// Memory whose contents are a keyed hash of the address, biased towards
/// valid descriptors pointing into a small window so walks go deep; a
/// range of addresses has no memory.
struct HashMem {
    key: u64,
}

impl DescReader for HashMem {
    fn read_desc(&mut self, pa: Pa) -> Result<u64, ExternalAbort> {
        if pa.0 >> 44 == 0xf {
            return Err(ExternalAbort);
        }
        let mut x = pa.0 ^ self.key;
        x = (x ^ (x >> 31)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x ^= x >> 32;
        Ok(if x & 3 == 0 {
            x
        } else {
            (x & !0x0000_ffff_ffff_f000) | ((x >> 8) & 0x3f_f000) | 3
        })
    }
}

fn cases() -> u32 {
    std::env::var("AT_EMUL_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(512)
}

fn features() -> impl Strategy<Value = Features> {
    (0u8..8, any::<[bool; 8]>(), 0u8..3).prop_map(|(pa, b, hafdbs)| Features {
        pa_range: pa.min(6),
        lpa2_s1_4k: b[0],
        lpa2_s1_16k: b[1],
        lpa2_s2_4k: b[2],
        lpa2_s2_16k: b[3],
        lva: b[4],
        st: b[5],
        hafdbs,
        pan3: b[6],
        xnx: b[7],
        e0pd: true,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn at_emulate_never_panics(
        regs in any::<[u64; 13]>(),
        pan in any::<bool>(),
        f in features(),
        va in any::<u64>(),
        key in any::<u64>(),
        op in 0usize..12,
        shape in any::<u8>(),
    ) {
        let mut regs = regs;
        let mut va = va;
        // Most cases are shaped so walks get past the register checks:
        // in-range TxSZ, a VA inside the range, a consistent stage-2 start.
        if shape & 3 != 0 {
            for i in [1usize, 6] {
                let t0 = 16 + regs[i] % 33;
                let t1 = 16 + (regs[i] >> 16) % 33;
                regs[i] = (regs[i] & !0x3f_003f & !(1 << 7) & !(1 << 23)) | t0 | (t1 << 16);
            }
            va &= (1 << (64 - 16 - u64::from(shape >> 4) % 33)) - 1;
            if shape & 4 != 0 {
                va |= !((1u64 << 40) - 1);
            }
            let sl0 = u64::from(shape >> 2) & 3;
            regs[11] = (regs[11] & !0xff) | (25 + u64::from(shape >> 5)) | (sl0 << 6);
            regs[0] |= 1;
            regs[10] |= 1;
        }
        let s = RegSnapshot {
            sctlr_el1: regs[0], tcr_el1: regs[1], ttbr0_el1: regs[2] & 0x3f_ffff_ffff, ttbr1_el1: regs[3],
            mair_el1: regs[4], sctlr_el2: regs[5], tcr_el2: regs[6], ttbr0_el2: regs[7],
            ttbr1_el2: regs[8], mair_el2: regs[9], hcr_el2: regs[10], vtcr_el2: regs[11],
            vttbr_el2: regs[12] & 0x3f_ffff_ffff, pstate_pan: pan, features: f,
        };
        let p = emulate(AtOp::ALL[op], Va(va), &s, &mut HashMem { key });
        // Bit 11 is RES1; a fault has FST != 0 only in bits [6:1].
        prop_assert!(p.0 & (1 << 11) != 0);
        if p.0 & 1 == 1 {
            prop_assert_eq!(p.0 & !0x3ff & !(1 << 11), 0);
        }
    }

    #[test]
    fn s2_walk_never_panics(vtcr in any::<u64>(), vttbr in any::<u64>(), hcr in any::<u64>(),
                            ipa in any::<u64>(), key in any::<u64>(), f in features(), a in 0u8..3) {
        let c = S2Config::new(vtcr, vttbr & 0xff_ffff_ffff, hcr, 0, f);
        let access = [Access::Read, Access::Write, Access::Exec][a as usize];
        match s2::walk(&c, Ipa(ipa), &mut HashMem { key }, access) {
            Ok(t) => prop_assert!(t.pa.0 < 1 << 52 && (-1..=3).contains(&t.level)),
            Err(e) => prop_assert!(e.stage2 && (-1..=3).contains(&e.level)),
        }
    }
}
