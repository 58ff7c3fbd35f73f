//! System-register access by architectural name or `S3_<op1>_C<n>_C<m>_<op2>`
//! encoding, for registers `aarch64-cpu` does not model (VNCR_EL2, the FGT
//! registers, ICH_*...).

/// Reads a system register: `read!("HCR_EL2")`.
#[macro_export]
macro_rules! __sysreg_read {
    ($name:expr) => {{
        let v: u64;
        // SAFETY: reading a system register has no memory effects; the caller
        // names a register that is accessible at the current EL.
        unsafe { core::arch::asm!(concat!("mrs {}, ", $name), out(reg) v, options(nomem, nostack, preserves_flags)) };
        v
    }};
}
/// Writes a system register: `write!("HCR_EL2", v)`.
#[macro_export]
macro_rules! __sysreg_write {
    ($name:expr, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: the caller is responsible for the architectural effect of the
        // write; it touches no Rust-visible memory.
        unsafe { core::arch::asm!(concat!("msr ", $name, ", {}"), in(reg) v, options(nostack, preserves_flags)) };
    }};
}
pub use __sysreg_read as read;
pub use __sysreg_write as write;

/// Instruction synchronization barrier.
#[inline(always)]
pub fn isb() {
    #[cfg(target_arch = "aarch64")]
    // SAFETY: a barrier has no memory or register effects visible to Rust.
    unsafe {
        core::arch::asm!("isb", options(nostack, preserves_flags))
    };
}

/// Full-system data synchronization barrier.
#[inline(always)]
pub fn dsb_sy() {
    #[cfg(target_arch = "aarch64")]
    // SAFETY: as for `isb`.
    unsafe {
        core::arch::asm!("dsb sy", options(nostack, preserves_flags))
    };
}

/// The `S<op0>_<op1>_C<n>_C<m>_<op2>` spelling of system registers whose
/// names the assembler only accepts with architecture extensions enabled
/// (which the soft-float target does not), one place for each encoding
/// (Arm ARM D24 register descriptions). Use inside `read!`/`write!`:
/// `rt::sysreg::read!(rt::reg!(HCRX_EL2))`.
#[macro_export]
macro_rules! reg {
    (HCRX_EL2) => {
        "S3_4_C1_C2_2"
    };
    (ZCR_EL2) => {
        "S3_4_C1_C2_0"
    };
    (ZCR_EL1) => {
        "S3_0_C1_C2_0"
    };
    (VNCR_EL2) => {
        "S3_4_C2_C2_0"
    };
    (HFGRTR_EL2) => {
        "S3_4_C1_C1_4"
    };
    (HFGWTR_EL2) => {
        "S3_4_C1_C1_5"
    };
    (HFGITR_EL2) => {
        "S3_4_C1_C1_6"
    };
    (HDFGRTR_EL2) => {
        "S3_4_C3_C1_4"
    };
    (HDFGWTR_EL2) => {
        "S3_4_C3_C1_5"
    };
    (HAFGRTR_EL2) => {
        "S3_4_C3_C1_6"
    };
    (HDFGRTR2_EL2) => {
        "S3_4_C3_C1_0"
    };
    (HDFGWTR2_EL2) => {
        "S3_4_C3_C1_1"
    };
    (HFGRTR2_EL2) => {
        "S3_4_C3_C1_2"
    };
    (HFGWTR2_EL2) => {
        "S3_4_C3_C1_3"
    };
    (HFGITR2_EL2) => {
        "S3_4_C3_C1_7"
    };
    (CNTHV_CTL_EL2) => {
        "S3_4_C14_C3_1"
    };
    (CNTHV_CVAL_EL2) => {
        "S3_4_C14_C3_2"
    };
    (CNTPOFF_EL2) => {
        "S3_4_C14_C0_6"
    };
    (ID_AA64ZFR0_EL1) => {
        "S3_0_C0_C4_4"
    };
    (ID_AA64SMFR0_EL1) => {
        "S3_0_C0_C4_5"
    };
}
