//! Exit reasons and their counters, and the data-abort ISS decoding L0's
//! MMIO path needs (syndrome classes and sysreg ISS come from `fgt::esr`,
//! the one description of ESR_EL2 in the project; Arm ARM D24.2.40).

use core::sync::atomic::{AtomicU64, Ordering};

use crate::vgic::MAX_CPUS;

/// Every reason L0 counts an exit under. The discriminant indexes the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum ExitReason {
    Hvc,
    Smc,
    Sysreg,
    DabtMmio,
    DabtFault,
    Iabt,
    Wfx,
    Irq,
    Fiq,
    SError,
    Other,
}

/// Number of exit reasons (size of a counter array).
pub const NR_REASONS: usize = ExitReason::Other as usize + 1;

/// Printable names, indexed by `ExitReason`.
pub const REASON_NAMES: [&str; NR_REASONS] = [
    "hvc",
    "smc",
    "sysreg",
    "dabt-mmio",
    "dabt-fault",
    "iabt",
    "wfx",
    "irq",
    "fiq",
    "serror",
    "other",
];

/// A decoded data-abort ISS (D24.2.40, "ISS encoding for a Data Abort").
#[derive(Clone, Copy, Debug)]
pub struct DataAbort {
    /// ISV: the fields below are valid (single load/store of a GPR).
    pub isv: bool,
    /// Access size in bytes.
    pub size: u8,
    /// Sign-extend the loaded value.
    pub sse: bool,
    /// Register number (31 = XZR).
    pub srt: u8,
    /// 64-bit register (else 32-bit).
    pub sf: bool,
    /// Write (else read).
    pub write: bool,
    /// Fault status code, ISS[5:0].
    pub dfsc: u8,
    /// Stage-2 fault on a stage-1 table walk.
    pub s1ptw: bool,
}

impl DataAbort {
    pub fn decode(iss: u32) -> DataAbort {
        DataAbort {
            isv: iss & (1 << 24) != 0,
            size: 1 << ((iss >> 22) & 3),
            sse: iss & (1 << 21) != 0,
            srt: ((iss >> 16) & 0x1f) as u8,
            sf: iss & (1 << 15) != 0,
            write: iss & (1 << 6) != 0,
            dfsc: (iss & 0x3f) as u8,
            s1ptw: iss & (1 << 7) != 0,
        }
    }
}

/// Exit counters per CPU and reason. Each CPU only adds to its own row;
/// any CPU may read them (to print at power-off or on request).
static COUNTERS: [[AtomicU64; NR_REASONS]; MAX_CPUS] =
    [const { [const { AtomicU64::new(0) }; NR_REASONS] }; MAX_CPUS];

/// Counts one exit of CPU `cpu` for `r`.
#[inline]
pub fn count(cpu: usize, r: ExitReason) {
    COUNTERS[cpu % MAX_CPUS][r as usize].fetch_add(1, Ordering::Relaxed);
}

/// The counters of CPU `cpu`.
pub fn snapshot(cpu: usize) -> [u64; NR_REASONS] {
    core::array::from_fn(|r| COUNTERS[cpu % MAX_CPUS][r].load(Ordering::Relaxed))
}
