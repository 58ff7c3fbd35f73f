//! Which physical CPU this is, for log lines: the position of MPIDR_EL1's
//! affinity in the DTB's CPU list (0 before the list is known).

use core::sync::atomic::{AtomicU64, Ordering};
use el2::MAX_CPUS;

/// MPIDR affinity (Aff3, Aff2..Aff0) of each CPU, in DTB order; `u64::MAX`
/// for none.
static MPIDRS: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(u64::MAX) }; MAX_CPUS];

/// MPIDR affinity fields.
const MPIDR_AFF_MASK: u64 = 0xff_00ff_ffff;

/// Records the CPUs (boot CPU, once, before others start).
pub fn set_cpus(cpus: &[u64]) {
    for (slot, &m) in MPIDRS.iter().zip(cpus) {
        slot.store(m, Ordering::Relaxed);
    }
}

/// Index of the running CPU.
pub fn cpu_index() -> usize {
    let mpidr = rt::sysreg::read!("MPIDR_EL1") & MPIDR_AFF_MASK;
    MPIDRS
        .iter()
        .position(|m| m.load(Ordering::Relaxed) == mpidr)
        .unwrap_or(0)
}
