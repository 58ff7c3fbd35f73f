//! `bench` mode (bootargs `bench [iters=N]`): times three guest operations,
//! each answered in a different place of the hypervisor stack that runs
//! test-l2, over many iterations, with the virtual counter (CNTVCT_EL0,
//! CNTFRQ_EL0 ticks per second; Arm ARM D12 "The Generic Timer"):
//!
//! | op | what | answered by (test-l2 as L2 under L1's QEMU/KVM) |
//! |----|------|-----------------------------------------------|
//! | `hvc-psci-version` | PSCI_VERSION over HVC (DEN0022) | L1's KVM, in its kernel |
//! | `mmio-user` | 32-bit read of a virtio-mmio transport's MagicValue (offset 0, "virt") | L1's QEMU, in user space (no in-kernel device) |
//! | `mmio-gicd` | 32-bit read of GICD_TYPER (IHI 0069) | L1's KVM, its in-kernel vGICv3 |
//!
//! The device addresses come from the DTB (the first `virtio,mmio` node, the
//! `arm,gic-v3` node's first `reg`). Each op runs `iters` times after a short
//! untimed warm-up; every result is checked (PSCI major version 1, the
//! virtio magic, a GICD_TYPER equal to its first read). One line per op:
//!
//! `bench: op=NAME iters=N ticks=T freq=F ns_per_op=X result=0x.. ok|BAD`
//!
//! then `bench: done ok` or `bench: done FAILED n`.
//!
//! Marks for L0's counters: right before and right after each timed loop
//! (outside the timed span) the payload makes L0's print-counters call,
//! HVC with x0 = 0x86000001. As L2 that HVC goes to L1 (L0 forwards it,
//! printing its exit counters on its own console on the way), so
//! `scripts/bench-nested.sh` can take L0's exits per operation from the
//! difference of two printouts. A pair of marks with nothing between comes
//! first: what the marks themselves cost, to subtract. The answer is not
//! L0's and is ignored: to L1's KVM 0x86000001 is its PTP call
//! (ARM_SMCCC_VENDOR_HYP_KVM_PTP_FUNC_ID), and x1 = [`MARK_ARG`] names no
//! counter, so KVM answers NOT_SUPPORTED; on bare QEMU the marks are
//! plain hypercalls to L1's KVM, answered the same way.

use crate::probe;
use rt::psci::{fid, Conduit};

/// virtio-mmio MagicValue: "virt" little-endian (virtio 1.x, 4.2.2).
const VIRTIO_MAGIC: u32 = 0x7472_6976;
/// GICD_TYPER offset in the distributor frame (IHI 0069).
const GICD_TYPER: usize = 0x0004;
/// Untimed iterations before each timed loop.
const WARMUP: u32 = 64;
/// Iterations when bootargs give none.
pub const DEFAULT_ITERS: u32 = 20_000;
/// x1 of a mark: not a counter KVM's PTP call knows (0 virtual, 1 physical).
const MARK_ARG: u64 = 0xffff_ffff;

/// Where the operations go, from the DTB.
pub struct Devices {
    pub virtio_mmio: usize,
    pub gicd: usize,
}

impl Devices {
    /// Reads the two device bases from the DTB.
    pub fn from_fdt(f: &fdt::Fdt<'_>) -> Option<Self> {
        let base = |compat: &str| {
            f.find_compatible(&[compat])
                .and_then(|n| n.reg())
                .and_then(|mut r| r.next())
                .map(|r| r.starting_address as usize)
        };
        Some(Self {
            virtio_mmio: base("virtio,mmio")?,
            gicd: base("arm,gic-v3")?,
        })
    }
}

/// `iters=N` from the bootargs, else [`DEFAULT_ITERS`].
pub fn iters_from(bootargs: &str) -> u32 {
    bootargs
        .split_ascii_whitespace()
        .find_map(|w| w.strip_prefix("iters="))
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_ITERS)
}

fn now() -> u64 {
    rt::sysreg::isb();
    let t = rt::sysreg::read!("CNTVCT_EL0");
    rt::sysreg::isb();
    t
}

/// A mark for L0's counters (see the module doc); the answer is ignored.
fn mark() {
    let _ = rt::psci::call(Conduit::Hvc, crate::L0_PRINT_COUNTERS, MARK_ARG, 0, 0);
}

/// Runs `op` `iters` times (after the warm-up) between two marks; returns
/// the elapsed counter ticks and the last result; `ok` must hold for every
/// result.
fn time(iters: u32, mut op: impl FnMut() -> u64, ok: impl Fn(u64) -> bool) -> (u64, u64, bool) {
    let mut good = true;
    let mut last = 0;
    for _ in 0..WARMUP {
        last = op();
        good &= ok(last);
    }
    mark();
    let t0 = now();
    for _ in 0..iters {
        last = op();
        good &= ok(last);
    }
    let t1 = now();
    mark();
    (t1.wrapping_sub(t0), last, good)
}

/// Runs the three operations; returns the number of failed ones.
pub fn run(dev: &Devices, iters: u32) -> u32 {
    let freq = rt::sysreg::read!("CNTFRQ_EL0");
    rt::println!(
        "bench: start iters={iters} freq={freq} virtio-mmio={:#x} gicd={:#x}",
        dev.virtio_mmio,
        dev.gicd
    );
    let typer0 = u64::from(probe::read32(dev.gicd + GICD_TYPER));
    type Op<'a> = (&'a str, &'a dyn Fn() -> u64, &'a dyn Fn(u64) -> bool);
    let ops: [Op<'_>; 3] = [
        (
            "hvc-psci-version",
            &|| rt::psci::call(Conduit::Hvc, fid::PSCI_VERSION, 0, 0, 0),
            &|v| (v >> 16) & 0xffff == 1,
        ),
        (
            "mmio-user",
            &|| u64::from(probe::read32(dev.virtio_mmio)),
            &|v| v == u64::from(VIRTIO_MAGIC),
        ),
        (
            "mmio-gicd",
            &|| u64::from(probe::read32(dev.gicd + GICD_TYPER)),
            &|v| v == typer0 && v != 0,
        ),
    ];
    // L0 prints the first 8 of these calls (el2's rate limit): 2 + 2 * 3.
    rt::println!(
        "bench: marks={}: a calibration pair, then one before and one after each timed loop",
        2 + 2 * ops.len()
    );
    mark();
    mark();
    let mut failed = 0;
    for (name, op, ok) in ops {
        let (ticks, last, good) = time(iters, op, ok);
        let ns = if freq == 0 {
            0
        } else {
            u128::from(ticks) * 1_000_000_000 / u128::from(freq) / u128::from(iters)
        };
        if !good || freq == 0 {
            failed += 1;
        }
        rt::println!(
            "bench: op={name} iters={iters} ticks={ticks} freq={freq} ns_per_op={ns} result={last:#x} {}",
            if good && freq != 0 { "ok" } else { "BAD" }
        );
    }
    if failed == 0 {
        rt::println!("bench: done ok");
    } else {
        rt::println!("bench: done FAILED {failed}");
    }
    failed
}
