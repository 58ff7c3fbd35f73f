//! Exit counters, by vCPU, by the context the exit was taken from (the
//! guest itself, at EL1 or virtual EL2, or its own guest L2) and by reason.
//! The dispatcher counts each exit once; they are printed at power-off and
//! on the counters hypercall.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::MAX_CPUS;

/// Every reason L0 counts an exit under. The discriminant indexes the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum ExitReason {
    /// HVC (PSCI, L0's vendor calls).
    Hvc,
    /// A trapped SMC.
    Smc,
    /// A trapped MSR/MRS/SYS.
    Sysreg,
    /// A data abort L0 emulated (GIC MMIO).
    DabtMmio,
    /// A data abort L0 answered with an abort (not the guest's memory).
    DabtFault,
    /// An instruction abort.
    Iabt,
    /// A trapped WFI/WFE.
    Wfx,
    /// A trapped ERET (virtual EL2).
    Eret,
    /// A physical IRQ.
    Irq,
    /// A physical FIQ.
    Fiq,
    /// An SError.
    SError,
    /// Anything else (UNDEF injected).
    Other,
}

/// Number of exit reasons.
pub const NR_REASONS: usize = ExitReason::Other as usize + 1;

/// Printable names, indexed by [`ExitReason`].
pub const REASON_NAMES: [&str; NR_REASONS] = [
    "hvc",
    "smc",
    "sysreg",
    "dabt-mmio",
    "dabt-fault",
    "iabt",
    "wfx",
    "eret",
    "irq",
    "fiq",
    "serror",
    "other",
];

/// Where the vCPU was when it exited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Context {
    /// L0's guest itself (L1: at EL1, or at virtual EL2 and its EL0).
    L1,
    /// The guest's own guest (L2), running under L1's EL2 controls.
    L2,
}

/// Number of contexts.
pub const NR_CONTEXTS: usize = 2;
/// Printable names, indexed by [`Context`].
pub const CONTEXT_NAMES: [&str; NR_CONTEXTS] = ["l1", "l2"];

/// Counters of one vCPU and context.
pub type Row = [u64; NR_REASONS];

static COUNTERS: [[[AtomicU64; NR_REASONS]; NR_CONTEXTS]; MAX_CPUS] =
    [const { [const { [const { AtomicU64::new(0) }; NR_REASONS] }; NR_CONTEXTS] }; MAX_CPUS];

/// Counts one exit. Each vCPU only adds to its own rows.
#[inline]
pub fn count(cpu: usize, ctx: Context, r: ExitReason) {
    COUNTERS[cpu % MAX_CPUS][ctx as usize][r as usize].fetch_add(1, Ordering::Relaxed);
}

/// The counters of vCPU `cpu` in `ctx`.
pub fn snapshot(cpu: usize, ctx: Context) -> Row {
    core::array::from_fn(|r| COUNTERS[cpu % MAX_CPUS][ctx as usize][r].load(Ordering::Relaxed))
}

/// A printable counter line: `total=N name=N ...` (zero counts left out).
pub fn format_row(row: &Row) -> alloc::string::String {
    use core::fmt::Write;
    let mut s = alloc::string::String::new();
    let _ = write!(s, "total={}", row.iter().sum::<u64>());
    for (name, v) in REASON_NAMES.iter().zip(row) {
        if *v != 0 {
            let _ = write!(s, " {name}={v}");
        }
    }
    s
}

/// How many trapped system-register encodings are tallied one by one.
const ENC_SLOTS: usize = 32;

/// Trapped MSR/MRS/SYS exits by encoding (the first [`ENC_SLOTS`]
/// encodings seen, all vCPUs): where the sysreg exits of a guest
/// hypervisor come from. Slot value: encoding in bits [15:0] + 1 << 16
/// (0 = free), count in the other array.
static ENC_KEYS: [AtomicU64; ENC_SLOTS] = [const { AtomicU64::new(0) }; ENC_SLOTS];
static ENC_COUNTS: [AtomicU64; ENC_SLOTS] = [const { AtomicU64::new(0) }; ENC_SLOTS];

/// Counts one trapped access to encoding `enc` (its 16-bit form).
pub fn count_enc(enc: u16) {
    let key = u64::from(enc) | 1 << 16;
    for (k, c) in ENC_KEYS.iter().zip(&ENC_COUNTS) {
        match k.compare_exchange(0, key, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => {
                c.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(existing) if existing == key => {
                c.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(_) => {}
        }
    }
}

/// The tallied encodings with their counts, largest first (at most `n`).
pub fn top_encs(n: usize) -> alloc::vec::Vec<(u16, u64)> {
    let mut v: alloc::vec::Vec<(u16, u64)> = ENC_KEYS
        .iter()
        .zip(&ENC_COUNTS)
        .filter_map(|(k, c)| {
            let k = k.load(Ordering::Relaxed);
            (k != 0).then(|| (k as u16, c.load(Ordering::Relaxed)))
        })
        .collect();
    v.sort_unstable_by_key(|e| core::cmp::Reverse(e.1));
    v.truncate(n);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_row() {
        count(5, Context::L2, ExitReason::Eret);
        count(5, Context::L2, ExitReason::Eret);
        count(5, Context::L1, ExitReason::Hvc);
        assert_eq!(snapshot(5, Context::L2)[ExitReason::Eret as usize], 2);
        assert_eq!(snapshot(5, Context::L1)[ExitReason::Hvc as usize], 1);
        assert_eq!(format_row(&snapshot(5, Context::L2)), "total=2 eret=2");
        assert_eq!(REASON_NAMES[ExitReason::Other as usize], "other");
    }
}
