//! Exception vectors for test-l1 at EL2, and the EL1 entry/exit path.
//!
//! `fgt_el1_run` (see [`crate::el1`]) saves the EL2 callee-saved registers
//! and stack pointer, ERETs to EL1h at a given address with a given HCR_EL2,
//! and comes back as an ordinary function return when EL1 takes any
//! exception to EL2: the lower-EL vectors record ESR_EL2, ELR_EL2, FAR_EL2,
//! EL1's x0 and ESR_EL1 in [`Record`], restore the safe HCR_EL2 value, and
//! unwind to the caller. Exceptions taken from EL2 itself are fatal: they
//! print the syndrome and end the run (Arm ARM D1.3.1, vector offsets).

use core::arch::global_asm;

global_asm!(
    ".section .text.fgt_vectors, \"ax\"",
    ".balign 2048",
    ".global fgt_el2_vectors",
    "fgt_el2_vectors:",
    // Current EL with SP0 / SPx: fatal.
    ".balign 128",
    "mov x0, #0",
    "b 8f",
    ".balign 128",
    "mov x0, #1",
    "b 8f",
    ".balign 128",
    "mov x0, #2",
    "b 8f",
    ".balign 128",
    "mov x0, #3",
    "b 8f",
    ".balign 128",
    "mov x0, #4",
    "b 8f",
    ".balign 128",
    "mov x0, #5",
    "b 8f",
    ".balign 128",
    "mov x0, #6",
    "b 8f",
    ".balign 128",
    "mov x0, #7",
    "b 8f",
    // Lower EL (AArch64, then AArch32): back to the caller of fgt_el1_run.
    ".balign 128",
    "mov x9, #8",
    "b 9f",
    ".balign 128",
    "mov x9, #9",
    "b 9f",
    ".balign 128",
    "mov x9, #10",
    "b 9f",
    ".balign 128",
    "mov x9, #11",
    "b 9f",
    ".balign 128",
    "mov x9, #12",
    "b 9f",
    ".balign 128",
    "mov x9, #13",
    "b 9f",
    ".balign 128",
    "mov x9, #14",
    "b 9f",
    ".balign 128",
    "mov x9, #15",
    "b 9f",
    "8:",
    "mrs x1, esr_el2",
    "mrs x2, elr_el2",
    "mrs x3, far_el2",
    "bl fgt_el2_fatal",
    "9:",
    "adrp x10, fgt_el1_record",
    "add x10, x10, :lo12:fgt_el1_record",
    "str x9, [x10, #56]",
    "str x0, [x10, #16]",
    "mrs x9, esr_el2",
    "str x9, [x10]",
    "mrs x9, elr_el2",
    "str x9, [x10, #8]",
    "mrs x9, far_el2",
    "str x9, [x10, #24]",
    "ldr x9, [x10, #32]",
    "msr hcr_el2, x9",
    "isb",
    "mrs x9, esr_el1",
    "str x9, [x10, #48]",
    "mrs x9, elr_el1",
    "str x9, [x10, #72]",
    "ldr x9, [x10, #40]",
    "mov sp, x9",
    "ldp x18, x19, [sp, #0]",
    "ldp x20, x21, [sp, #16]",
    "ldp x22, x23, [sp, #32]",
    "ldp x24, x25, [sp, #48]",
    "ldp x26, x27, [sp, #64]",
    "ldp x28, x29, [sp, #80]",
    "ldr x30, [sp, #96]",
    "add sp, sp, #112",
    "ret",
    // fgt_el1_run(entry, x0 for EL1, EL1 stack, HCR_EL2 to run with)
    ".global fgt_el1_run",
    "fgt_el1_run:",
    "sub sp, sp, #112",
    "stp x18, x19, [sp, #0]",
    "stp x20, x21, [sp, #16]",
    "stp x22, x23, [sp, #32]",
    "stp x24, x25, [sp, #48]",
    "stp x26, x27, [sp, #64]",
    "stp x28, x29, [sp, #80]",
    "str x30, [sp, #96]",
    "adrp x10, fgt_el1_record",
    "add x10, x10, :lo12:fgt_el1_record",
    "mov x9, sp",
    "str x9, [x10, #40]",
    "msr elr_el2, x0",
    "ldr x9, [x10, #64]",
    "msr spsr_el2, x9",
    "msr sp_el1, x2",
    "mov x0, x1",
    "msr hcr_el2, x3",
    "isb",
    "eret",
    ".section .bss.fgt_el1_record, \"aw\", %nobits",
    ".balign 8",
    ".global fgt_el1_record",
    "fgt_el1_record:",
    ".space 80",
);

/// What the lower-EL vector path stores (layout fixed by the asm above).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Record {
    /// ESR_EL2 of the exception.
    pub esr: u64,
    /// ELR_EL2 (the EL1 address).
    pub elr: u64,
    /// EL1's x0 at the exception.
    pub x0: u64,
    /// FAR_EL2.
    pub far: u64,
    /// Input: the HCR_EL2 value restored on the way back.
    pub safe_hcr: u64,
    /// Internal: the EL2 stack pointer.
    pub sp: u64,
    /// ESR_EL1 read after the return (for exceptions EL1 took itself).
    pub esr_el1: u64,
    /// Vector entry number (8 = lower-EL AArch64 synchronous).
    pub kind: u64,
    /// Input: SPSR_EL2 for the entry (0x3c5 = EL1h, 0x3c0 = EL0t; DAIF masked).
    pub spsr: u64,
    /// ELR_EL1 read after the return (where an exception EL1 took itself,
    /// or one from EL0, came from).
    pub elr_el1: u64,
}

extern "C" {
    static mut fgt_el1_record: Record;
    static fgt_el2_vectors: u8;
    fn fgt_el1_run(entry: u64, x0: u64, sp: u64, hcr: u64);
}

/// Installs the EL2 vectors (VBAR_EL2).
pub fn install_el2_vectors() {
    let base = core::ptr::addr_of!(fgt_el2_vectors) as u64;
    rt::sysreg::write!("VBAR_EL2", base);
    rt::sysreg::isb();
}

/// Runs EL1 code at `entry` with x0 = `x0`, stack `sp` and HCR_EL2 = `hcr`
/// until it takes an exception to EL2; HCR_EL2 is `safe_hcr` afterwards.
///
/// # Safety
/// `entry` must be EL1 code that ends by taking an exception to EL2, the
/// EL1 state (VBAR_EL1, SCTLR_EL1) must keep EL1 from running wild, and the
/// EL2 vectors must be installed ([`install_el2_vectors`]).
pub unsafe fn run_el1(entry: u64, x0: u64, sp: u64, hcr: u64, safe_hcr: u64) -> Record {
    // SAFETY: the caller's obligations are this function's.
    unsafe { run_at(entry, x0, sp, hcr, safe_hcr, SPSR_EL1H) }
}

/// SPSR_EL2 value entering EL1h with DAIF masked.
pub const SPSR_EL1H: u64 = 0x3c5;
/// SPSR_EL2 value entering EL0t with DAIF masked.
pub const SPSR_EL0T: u64 = 0x3c0;

/// [`run_el1`] entering the exception level and stack pointer `spsr` names
/// ([`SPSR_EL1H`] or [`SPSR_EL0T`]); an exception EL0 takes goes to EL1's
/// vectors, which `HVC #1` back (see [`crate::el1`]).
///
/// # Safety
/// As for [`run_el1`]; for EL0, the EL1 vectors must be installed too.
pub unsafe fn run_at(entry: u64, x0: u64, sp: u64, hcr: u64, safe_hcr: u64, spsr: u64) -> Record {
    // SAFETY: single-threaded test payload; the record is only touched by
    // this function and the vector path it returns through.
    unsafe {
        let rec = core::ptr::addr_of_mut!(fgt_el1_record);
        (*rec).safe_hcr = safe_hcr;
        (*rec).spsr = spsr;
        fgt_el1_run(entry, x0, sp, hcr);
        core::ptr::read_volatile(rec)
    }
}

/// Called by the vectors for an exception taken from EL2 itself: fatal.
#[no_mangle]
extern "C" fn fgt_el2_fatal(kind: u64, esr: u64, elr: u64, far: u64) -> ! {
    rt::println!(
        "test-l1: unexpected EL2 exception kind={kind} esr={esr:#x} elr={elr:#x} far={far:#x}"
    );
    rt::exit::exit(3, rt::psci::Conduit::Smc);
}
