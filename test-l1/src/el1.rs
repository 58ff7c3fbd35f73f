//! Running a snippet of code at EL1 and recording whether and how it
//! trapped to EL2.
//!
//! Memory (this helper's scratch range 0x5800_0000..0x5fff_ffff, MMU off):
//! the snippet page at [`CODE`], the EL1 vector table at [`VECTORS`] (every
//! entry is `HVC #1`, so an exception EL1 takes itself comes back to EL2 as
//! an HVC with immediate 1 and ESR_EL1 tells what it was), an EL1 stack
//! below [`STACK`], and a data page at [`DATA`] for address operands.
//! Every snippet ends with `HVC #0`: reaching it means "did not trap".

use crate::exc;

/// Snippet code page.
pub const CODE: u64 = 0x5800_0000;
/// EL1 vector table (2 KiB aligned).
pub const VECTORS: u64 = 0x5800_1000;
/// Top of the EL1 stack.
pub const STACK: u64 = 0x5801_0000;
/// Data page for address operands (DC, IC, AT, TLBI).
pub const DATA: u64 = 0x5810_0000;

/// `HVC #imm`.
pub const fn hvc(imm: u16) -> u32 {
    0xd400_0002 | ((imm as u32) << 5)
}

/// How a snippet ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Reached the final `HVC #0`: nothing trapped; x0 as left by the code.
    Done(u64),
    /// EL1 took an exception itself (ESR_EL1), e.g. UNDEFINED.
    El1(u64),
    /// Trapped to EL2 with this ESR_EL2.
    Trap(u64),
    /// Something else reached EL2 (an interrupt or SError: vector kind).
    Other(u64),
}

/// Sets up the EL1 side once: vectors, SCTLR_EL1 (MMU off, EnIA), CPACR_EL1 (FP,
/// SVE, SME enabled at EL1 so that only EL2's controls can trap them).
pub fn init() {
    for i in 0..16u64 {
        // SAFETY: VECTORS is in this helper's scratch RAM, identity-mapped
        // with the MMU off; nothing else uses it.
        unsafe { core::ptr::write_volatile((VECTORS + i * 0x80) as *mut u32, hvc(1)) };
    }
    sync_code();
    // MMU off, RES1 bits, EnIA (bit 31) so that PACIA computes (and can be
    // trapped by HCR_EL2.API = 0).
    rt::sysreg::write!("SCTLR_EL1", 0x30d0_0800 | (1 << 31));
    rt::sysreg::write!("CPACR_EL1", (3 << 20) | (3 << 16) | (3 << 24));
    rt::sysreg::write!("VBAR_EL1", VECTORS);
    rt::sysreg::write!("MDSCR_EL1", 0);
    rt::sysreg::isb();
}

fn sync_code() {
    // SAFETY: cache and barrier maintenance only.
    unsafe { core::arch::asm!("dsb ish", "ic iallu", "dsb ish", "isb", options(nostack)) };
}

/// Runs `code` (followed by `HVC #0`) at EL1 with x0 = `x0` and HCR_EL2 =
/// `hcr`; the other trap registers must already be written. HCR_EL2 is
/// `safe_hcr` afterwards.
pub fn run(code: &[u32], x0: u64, hcr: u64, safe_hcr: u64) -> Outcome {
    let n = code.len().min(14);
    for (i, w) in code
        .iter()
        .take(n)
        .chain(core::iter::once(&hvc(0)))
        .enumerate()
    {
        // SAFETY: CODE is this helper's scratch page (see module docs).
        unsafe { core::ptr::write_volatile((CODE + 4 * i as u64) as *mut u32, *w) };
    }
    sync_code();
    // SAFETY: the snippet ends in HVC #0, EL1 exceptions come back through
    // the HVC #1 vectors, and the EL2 vectors are installed by the caller.
    let r = unsafe { exc::run_el1(CODE, x0, STACK, hcr, safe_hcr) };
    if r.kind != 8 {
        return Outcome::Other(r.kind);
    }
    let ec = (r.esr >> 26) & 0x3f;
    if ec == 0x16 && r.elr == CODE + 4 * (n as u64 + 1) && r.esr & 0xffff == 0 {
        return Outcome::Done(r.x0);
    }
    if ec == 0x16 && r.esr & 0xffff == 1 && (VECTORS..VECTORS + 0x800).contains(&(r.elr - 4)) {
        return Outcome::El1(r.esr_el1);
    }
    Outcome::Trap(r.esr)
}
