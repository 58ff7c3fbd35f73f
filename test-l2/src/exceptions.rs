//! test-l2's EL1 exception vectors (VBAR_EL1).
//!
//! Synchronous exceptions from the current EL are reported (EC, ESR, FAR,
//! ELR), recorded for [`expect`], and skipped: ELR_EL1 advances by one A64
//! instruction before ERET. Anything else (IRQ, FIQ, SError, or an exception
//! from a lower EL, which test-l2 never runs) is reported and ends the run.
//! Vector layout: Arm ARM D1.3.x "Exception vectors": 16 entries of 0x80
//! bytes, table 2 KiB aligned; current EL with SP_EL0 at 0x000, with SP_ELx
//! at 0x200, lower EL AArch64 at 0x400, AArch32 at 0x600; each group is
//! Synchronous, IRQ, FIQ, SError. IRQs from EL1 go to `irq::handle`.

use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use rt::psci::Conduit;

/// A synchronous exception that was taken and skipped.
#[derive(Clone, Copy, Debug)]
pub struct Caught {
    /// ESR_EL1.
    pub esr: u64,
    /// FAR_EL1 (meaningful for aborts with FnV = 0).
    pub far: u64,
    /// ELR_EL1: the faulting instruction.
    pub elr: u64,
}

impl Caught {
    /// ESR_EL1.EC, bits [31:26].
    pub fn ec(&self) -> u64 {
        (self.esr >> 26) & 0x3f
    }
}

impl fmt::Display for Caught {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ec={:#x} esr={:#x} far={:#x} elr={:#x}",
            self.ec(),
            self.esr,
            self.far,
            self.elr
        )
    }
}

static EXPECTING: AtomicBool = AtomicBool::new(false);
static TAKEN: AtomicBool = AtomicBool::new(false);
static ESR: AtomicU64 = AtomicU64::new(0);
static FAR: AtomicU64 = AtomicU64::new(0);
static ELR: AtomicU64 = AtomicU64::new(0);
static UNEXPECTED: AtomicU32 = AtomicU32::new(0);
/// Where an instruction abort inside [`expect`] resumes (0: the next
/// instruction, as for every other exception).
static IABT_RESUME: AtomicU64 = AtomicU64::new(0);
/// Do not print the exceptions [`expect`] catches (floods).
static QUIET: AtomicBool = AtomicBool::new(false);
/// ESR_EL1.EC of an instruction abort taken without a change in EL.
const EC_IABT_CUR: u64 = 0x21;

/// Calls the code at `addr` (which may not be executable): an instruction
/// abort there returns here. `Err` with the exception if one was taken.
pub fn call_at(addr: u64) -> Result<(), Caught> {
    expect(|| {
        // SAFETY: `addr` is called like a function taking and returning
        // nothing; if it is not executable the abort handler resumes at the
        // label after the call, with every caller-saved register treated as
        // clobbered.
        unsafe {
            core::arch::asm!(
                "adr x9, 1f",
                "str x9, [x20]",
                "blr x10",
                "1:",
                "str xzr, [x20]",
                in("x10") addr,
                in("x20") IABT_RESUME.as_ptr(),
                clobber_abi("C"),
            )
        }
    })
}

/// Runs `f` with the exceptions it takes not printed.
pub fn quietly<T>(f: impl FnOnce() -> T) -> T {
    QUIET.store(true, Ordering::SeqCst);
    let v = f();
    QUIET.store(false, Ordering::SeqCst);
    v
}

/// Runs `f`; `Err` with the first synchronous exception it raised (each one
/// was skipped, so `f` ran to its end).
pub fn expect<T>(f: impl FnOnce() -> T) -> Result<T, Caught> {
    TAKEN.store(false, Ordering::SeqCst);
    EXPECTING.store(true, Ordering::SeqCst);
    let v = f();
    EXPECTING.store(false, Ordering::SeqCst);
    if TAKEN.load(Ordering::SeqCst) {
        Err(Caught {
            esr: ESR.load(Ordering::SeqCst),
            far: FAR.load(Ordering::SeqCst),
            elr: ELR.load(Ordering::SeqCst),
        })
    } else {
        Ok(v)
    }
}

/// Synchronous exceptions taken outside [`expect`].
pub fn unexpected_count() -> u32 {
    UNEXPECTED.load(Ordering::SeqCst)
}

/// Points VBAR_EL1 at the vectors.
pub fn install() {
    extern "C" {
        static test_l2_vectors: u8;
    }
    let base = core::ptr::addr_of!(test_l2_vectors) as u64;
    rt::sysreg::write!("VBAR_EL1", base);
    rt::sysreg::isb();
}

/// Called from the vectors for a synchronous exception from the current EL,
/// with the caller-saved registers already on the stack.
extern "C" fn el1_sync() {
    let c = Caught {
        esr: rt::sysreg::read!("ESR_EL1"),
        far: rt::sysreg::read!("FAR_EL1"),
        elr: rt::sysreg::read!("ELR_EL1"),
    };
    let expected = EXPECTING.load(Ordering::SeqCst);
    // Unlocked: the exception may have interrupted a console write.
    if !(expected && QUIET.load(Ordering::SeqCst)) {
        rt::console::write_fmt_unlocked(format_args!(
            "test-l2: exception {c}{}, skipped\n",
            if expected { "" } else { " (unexpected)" }
        ));
    }
    if !expected {
        UNEXPECTED.fetch_add(1, Ordering::SeqCst);
    } else if !TAKEN.load(Ordering::SeqCst) {
        ESR.store(c.esr, Ordering::SeqCst);
        FAR.store(c.far, Ordering::SeqCst);
        ELR.store(c.elr, Ordering::SeqCst);
        TAKEN.store(true, Ordering::SeqCst);
    }
    let resume = IABT_RESUME.load(Ordering::SeqCst);
    if expected && c.ec() == EC_IABT_CUR && resume != 0 {
        rt::sysreg::write!("ELR_EL1", resume);
    } else {
        rt::sysreg::write!("ELR_EL1", c.elr.wrapping_add(4));
    }
}

/// Called from the vectors for everything else; `kind` is the vector index.
extern "C" fn el1_unexpected(kind: u64) -> ! {
    const NAMES: [&str; 4] = ["synchronous", "IRQ", "FIQ", "SError"];
    const FROM: [&str; 4] = [
        "EL1 with SP_EL0",
        "EL1 with SP_EL1",
        "EL0 AArch64",
        "EL0 AArch32",
    ];
    let (from, what) = ((kind >> 2) as usize & 3, kind as usize & 3);
    rt::console::write_fmt_unlocked(format_args!(
        "test-l2: unexpected {} exception from {}: esr={:#x} elr={:#x} far={:#x}\ntest-l2: FAILED exception\n",
        NAMES[what],
        FROM[from],
        rt::sysreg::read!("ESR_EL1"),
        rt::sysreg::read!("ELR_EL1"),
        rt::sysreg::read!("FAR_EL1"),
    ));
    rt::exit::exit(3, Conduit::Hvc);
}

// The table. Sync from the current EL (either SP) goes to `sync_entry`,
// which saves x0-x18, x29, x30 (what an AAPCS64 call may clobber), calls
// `el1_sync` and returns with ERET; every other entry passes its index to
// `el1_unexpected`.
core::arch::global_asm!(
    ".section .text.vectors, \"ax\"",
    ".balign 2048",
    ".global test_l2_vectors",
    "test_l2_vectors:",
    ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
    ".balign 0x80",
    ".if \\n == 0 || \\n == 4",
    "b 9f",
    ".elseif \\n == 5",
    "b 8f",
    ".else",
    "mov x0, #\\n",
    "b {unexpected}",
    ".endif",
    ".endr",
    // Sync (9) and IRQ (8) from EL1: x16 holds the handler while the common
    // path saves the caller-saved registers, calls it, restores and ERETs.
    "9:",
    "str x16, [sp, #-16]!",
    "adr x16, {sync}",
    "b 6f",
    "8:",
    "str x16, [sp, #-16]!",
    "adr x16, {irq}",
    "6:",
    "sub sp, sp, #176",
    "stp x0, x1, [sp, #0]",
    "stp x2, x3, [sp, #16]",
    "stp x4, x5, [sp, #32]",
    "stp x6, x7, [sp, #48]",
    "stp x8, x9, [sp, #64]",
    "stp x10, x11, [sp, #80]",
    "stp x12, x13, [sp, #96]",
    "stp x14, x15, [sp, #112]",
    "str x17, [sp, #136]",
    "stp x18, x29, [sp, #144]",
    "str x30, [sp, #160]",
    "blr x16",
    "ldp x0, x1, [sp, #0]",
    "ldp x2, x3, [sp, #16]",
    "ldp x4, x5, [sp, #32]",
    "ldp x6, x7, [sp, #48]",
    "ldp x8, x9, [sp, #64]",
    "ldp x10, x11, [sp, #80]",
    "ldp x12, x13, [sp, #96]",
    "ldp x14, x15, [sp, #112]",
    "ldr x17, [sp, #136]",
    "ldp x18, x29, [sp, #144]",
    "ldr x30, [sp, #160]",
    "add sp, sp, #176",
    "ldr x16, [sp], #16",
    "eret",
    sync = sym el1_sync,
    irq = sym crate::irq::handle,
    unexpected = sym el1_unexpected,
);
