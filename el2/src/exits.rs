//! Exit reasons: one table from ESR_EL2.EC (Arm ARM D24.2.40 "ESR_EL2") and
//! the exception vector to the counter each exit increments.

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

/// ESR_EL2.EC values L0 handles.
pub mod ec {
    pub const UNKNOWN: u32 = 0x00;
    pub const WFX: u32 = 0x01;
    pub const HVC64: u32 = 0x16;
    pub const SMC64: u32 = 0x17;
    pub const SYSREG: u32 = 0x18;
    pub const IABT_LOW: u32 = 0x20;
    pub const IABT_CUR: u32 = 0x21;
    pub const DABT_LOW: u32 = 0x24;
    pub const DABT_CUR: u32 = 0x25;
}

/// A syndrome value from ESR_ELx.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Esr(pub u64);

impl Esr {
    /// Exception class, ESR[31:26].
    pub fn ec(self) -> u32 {
        ((self.0 >> 26) & 0x3f) as u32
    }
    /// Instruction-specific syndrome, ESR[24:0].
    pub fn iss(self) -> u32 {
        (self.0 & 0x1ff_ffff) as u32
    }
}

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

/// A decoded MSR/MRS/SYS ISS (D24.2.40, EC 0x18).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysregAccess {
    pub op0: u8,
    pub op1: u8,
    pub crn: u8,
    pub crm: u8,
    pub op2: u8,
    pub rt: u8,
    /// MRS (read), else MSR/SYS (write).
    pub read: bool,
}

impl SysregAccess {
    pub fn decode(iss: u32) -> SysregAccess {
        SysregAccess {
            op0: ((iss >> 20) & 3) as u8,
            op2: ((iss >> 17) & 7) as u8,
            op1: ((iss >> 14) & 7) as u8,
            crn: ((iss >> 10) & 0xf) as u8,
            rt: ((iss >> 5) & 0x1f) as u8,
            crm: ((iss >> 1) & 0xf) as u8,
            read: iss & 1 != 0,
        }
    }
    /// The (op0, op1, CRn, CRm, op2) encoding packed as in `sysreg_enc`.
    pub fn enc(&self) -> u32 {
        sysreg_enc(self.op0, self.op1, self.crn, self.crm, self.op2)
    }
}

/// Packs a system-register encoding into 16 bits: op0:op1:CRn:CRm:op2.
pub const fn sysreg_enc(op0: u8, op1: u8, crn: u8, crm: u8, op2: u8) -> u32 {
    ((op0 as u32) << 14)
        | ((op1 as u32) << 11)
        | ((crn as u32) << 7)
        | ((crm as u32) << 3)
        | op2 as u32
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
