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
    /// A stage-2 abort of L1's guest that L0 served by filling the shadow
    /// stage 2 from L1's tables.
    S2Fill,
    /// A stage-2 abort of L1's guest that L1's own tables fault: passed to
    /// L1 as its stage-2 abort.
    S2ToL1,
    /// A physical IRQ.
    Irq,
    /// A physical FIQ.
    Fiq,
    /// An SError.
    SError,
    /// Anything else (UNDEF injected, or an exit of L1's guest of another
    /// class that L1 asked for).
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
    "s2-fill",
    "s2-to-l1",
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

/// How many distinct keys a [`Tally`] counts one by one.
const TALLY_SLOTS: usize = 32;

/// Counts per key (a sysreg encoding, an INTID) for the first
/// [`TALLY_SLOTS`] keys seen, all vCPUs, lock-free: where the exits of a
/// reason come from. Slot value: key + 1 << 32 (0 = free).
pub struct Tally {
    keys: [AtomicU64; TALLY_SLOTS],
    counts: [AtomicU64; TALLY_SLOTS],
}

impl Tally {
    /// Empty.
    pub const fn new() -> Self {
        Tally {
            keys: [const { AtomicU64::new(0) }; TALLY_SLOTS],
            counts: [const { AtomicU64::new(0) }; TALLY_SLOTS],
        }
    }

    /// Counts one occurrence of `key` (dropped when all slots are taken).
    pub fn count(&self, key: u32) {
        let k = u64::from(key) | 1 << 32;
        for (slot, c) in self.keys.iter().zip(&self.counts) {
            match slot.compare_exchange(0, k, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    c.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Err(existing) if existing == k => {
                    c.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Err(_) => {}
            }
        }
    }

    /// The keys with their counts, largest first (at most `n`).
    pub fn top(&self, n: usize) -> alloc::vec::Vec<(u32, u64)> {
        let mut v: alloc::vec::Vec<(u32, u64)> = self
            .keys
            .iter()
            .zip(&self.counts)
            .filter_map(|(k, c)| {
                let k = k.load(Ordering::Relaxed);
                (k != 0).then(|| (k as u32, c.load(Ordering::Relaxed)))
            })
            .collect();
        v.sort_unstable_by_key(|e| core::cmp::Reverse(e.1));
        v.truncate(n);
        v
    }
}

impl Default for Tally {
    fn default() -> Self {
        Self::new()
    }
}

/// Trapped MSR/MRS/SYS exits by encoding, per context (index: [`Context`]).
pub static SYSREG_BY_ENC: [Tally; NR_CONTEXTS] = [const { Tally::new() }; NR_CONTEXTS];
/// Physical interrupts taken by L0 while a guest ran, by INTID, per context.
pub static IRQ_BY_INTID: [Tally; NR_CONTEXTS] = [const { Tally::new() }; NR_CONTEXTS];

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

    #[test]
    fn tally_orders_by_count_and_drops_past_its_slots() {
        let t = Tally::new();
        for k in 0..40u32 {
            for _ in 0..=k % 3 {
                t.count(k);
            }
        }
        let top = t.top(3);
        assert_eq!(top.len(), 3);
        assert!(top
            .iter()
            .all(|&(k, c)| c == 3 && k % 3 == 2 && k < TALLY_SLOTS as u32));
        assert_eq!(t.top(100).len(), TALLY_SLOTS);
    }
}
