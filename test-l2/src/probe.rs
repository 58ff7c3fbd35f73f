//! Single-instruction memory accesses, so that a faulting access is exactly
//! one instruction the exception handler can skip, and so that a hypervisor
//! trapping it sees a valid instruction syndrome (a plain LDR/STR of one
//! general-purpose register, no writeback: ESR_ELx.ISV = 1).
//!
//! None of the asm blocks is `nomem`: the compiler must assume they touch
//! memory, which orders them against the handler's records in `exceptions`.

/// 64-bit load.
pub fn read64(addr: usize) -> u64 {
    let v: u64;
    // SAFETY: a load from a fixed physical address (MMU off): either device
    // or RAM the test means to probe; an abort is caught and skipped by
    // `exceptions`. It writes no Rust-visible memory.
    unsafe {
        core::arch::asm!("ldr {v}, [{a}]", a = in(reg) addr, v = out(reg) v, options(nostack, preserves_flags))
    };
    v
}

/// 64-bit store.
pub fn write64(addr: usize, v: u64) {
    // SAFETY: as for `read64`; the probed address is not Rust-owned memory.
    unsafe {
        core::arch::asm!("str {v}, [{a}]", a = in(reg) addr, v = in(reg) v, options(nostack, preserves_flags))
    };
}

/// 32-bit load.
pub fn read32(addr: usize) -> u32 {
    let v: u32;
    // SAFETY: as for `read64`.
    unsafe {
        core::arch::asm!("ldr {v:w}, [{a}]", a = in(reg) addr, v = out(reg) v, options(nostack, preserves_flags))
    };
    v
}

/// 8-bit load.
pub fn read8(addr: usize) -> u8 {
    let v: u32;
    // SAFETY: as for `read64`.
    unsafe {
        core::arch::asm!("ldrb {v:w}, [{a}]", a = in(reg) addr, v = out(reg) v, options(nostack, preserves_flags))
    };
    v as u8
}

/// 8-bit store.
pub fn write8(addr: usize, v: u8) {
    // SAFETY: as for `write64`.
    unsafe {
        core::arch::asm!("strb {v:w}, [{a}]", a = in(reg) addr, v = in(reg) u32::from(v), options(nostack, preserves_flags))
    };
}

/// 32-bit store.
pub fn write32(addr: usize, v: u32) {
    // SAFETY: as for `write64`.
    unsafe {
        core::arch::asm!("str {v:w}, [{a}]", a = in(reg) addr, v = in(reg) v, options(nostack, preserves_flags))
    };
}
