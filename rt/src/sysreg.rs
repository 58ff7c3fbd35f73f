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
    // SAFETY: a barrier has no memory or register effects visible to Rust.
    unsafe { core::arch::asm!("isb", options(nostack, preserves_flags)) };
}

/// Full-system data synchronization barrier.
#[inline(always)]
pub fn dsb_sy() {
    // SAFETY: as for `isb`.
    unsafe { core::arch::asm!("dsb sy", options(nostack, preserves_flags)) };
}
