//! PSCI calls (Arm DEN0022) over SMC (from EL2 to QEMU's firmware) or HVC (from
//! a guest to its hypervisor).

/// Function IDs used by the payloads and by L0 (SMC32/SMC64 calling convention).
pub mod fid {
    pub const PSCI_VERSION: u32 = 0x8400_0000;
    pub const CPU_SUSPEND: u32 = 0xC400_0001;
    pub const CPU_OFF: u32 = 0x8400_0002;
    pub const CPU_ON: u32 = 0xC400_0003;
    pub const AFFINITY_INFO: u32 = 0xC400_0004;
    pub const MIGRATE_INFO_TYPE: u32 = 0x8400_0006;
    pub const SYSTEM_OFF: u32 = 0x8400_0008;
    pub const SYSTEM_RESET: u32 = 0x8400_0009;
    pub const PSCI_FEATURES: u32 = 0x8400_000A;
}

/// PSCI return codes.
pub mod ret {
    pub const SUCCESS: i64 = 0;
    pub const NOT_SUPPORTED: i64 = -1;
    pub const INVALID_PARAMETERS: i64 = -2;
    pub const DENIED: i64 = -3;
    pub const ALREADY_ON: i64 = -4;
    pub const ON_PENDING: i64 = -5;
    pub const INTERNAL_FAILURE: i64 = -6;
}

/// How to reach the PSCI implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conduit {
    Smc,
    Hvc,
}

/// Makes an SMCCC call with up to three arguments; returns x0. (Off the
/// target, where host tests build this crate, it answers NOT_SUPPORTED.)
#[cfg(not(target_arch = "aarch64"))]
pub fn call(_conduit: Conduit, _fid: u32, _a1: u64, _a2: u64, _a3: u64) -> u64 {
    ret::NOT_SUPPORTED as u64
}

/// Makes an SMCCC call with up to three arguments; returns x0.
#[cfg(target_arch = "aarch64")]
pub fn call(conduit: Conduit, fid: u32, a1: u64, a2: u64, a3: u64) -> u64 {
    let mut x0 = u64::from(fid);
    match conduit {
        // SAFETY: an SMCCC call clobbers at most x0-x17 (SMCCC 1.1+), all declared.
        Conduit::Smc => unsafe {
            core::arch::asm!("smc #0", inout("x0") x0, inout("x1") a1 => _, inout("x2") a2 => _,
                inout("x3") a3 => _, out("x4") _, out("x5") _, out("x6") _, out("x7") _,
                out("x8") _, out("x9") _, out("x10") _, out("x11") _, out("x12") _,
                out("x13") _, out("x14") _, out("x15") _, out("x16") _, out("x17") _, options(nostack))
        },
        // SAFETY: as above, over HVC.
        Conduit::Hvc => unsafe {
            core::arch::asm!("hvc #0", inout("x0") x0, inout("x1") a1 => _, inout("x2") a2 => _,
                inout("x3") a3 => _, out("x4") _, out("x5") _, out("x6") _, out("x7") _,
                out("x8") _, out("x9") _, out("x10") _, out("x11") _, out("x12") _,
                out("x13") _, out("x14") _, out("x15") _, out("x16") _, out("x17") _, options(nostack))
        },
    }
    x0
}

/// PSCI SYSTEM_OFF; does not return.
pub fn system_off(conduit: Conduit) -> ! {
    call(conduit, fid::SYSTEM_OFF, 0, 0, 0);
    loop {
        core::hint::spin_loop();
    }
}

/// PSCI SYSTEM_RESET; does not return.
pub fn system_reset(conduit: Conduit) -> ! {
    call(conduit, fid::SYSTEM_RESET, 0, 0, 0);
    loop {
        core::hint::spin_loop();
    }
}
