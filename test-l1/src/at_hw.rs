//! The hardware side of at-diff: system-register set-up and the `AT`
//! instructions themselves, each in a small asm function.

use at_emul::AtOp;

/// The EL1 and EL2 translation registers a case programs. SCTLR_EL2 is not
/// touched: test-l1 runs with its EL2 MMU off.
#[derive(Clone, Copy, Debug, Default)]
pub struct HwRegs {
    pub sctlr_el1: u64,
    pub tcr_el1: u64,
    pub ttbr0_el1: u64,
    pub ttbr1_el1: u64,
    pub mair_el1: u64,
    pub tcr_el2: u64,
    pub ttbr0_el2: u64,
    pub ttbr1_el2: u64,
    pub mair_el2: u64,
    pub vtcr_el2: u64,
    pub vttbr_el2: u64,
}

/// Writes `r` to the registers (HCR_EL2.E2H must be 0, so that the EL1
/// names reach the EL1 registers) and returns what they read back, which is
/// what the hardware holds after masking RES0/unimplemented bits.
pub fn program(r: &HwRegs) -> HwRegs {
    rt::sysreg::write!("SCTLR_EL1", r.sctlr_el1);
    rt::sysreg::write!("TCR_EL1", r.tcr_el1);
    rt::sysreg::write!("TTBR0_EL1", r.ttbr0_el1);
    rt::sysreg::write!("TTBR1_EL1", r.ttbr1_el1);
    rt::sysreg::write!("MAIR_EL1", r.mair_el1);
    rt::sysreg::write!("TCR_EL2", r.tcr_el2);
    rt::sysreg::write!("TTBR0_EL2", r.ttbr0_el2);
    // TTBR1_EL2 (FEAT_VHE) by encoding.
    rt::sysreg::write!("S3_4_C2_C0_1", r.ttbr1_el2);
    rt::sysreg::write!("MAIR_EL2", r.mair_el2);
    rt::sysreg::write!("VTCR_EL2", r.vtcr_el2);
    rt::sysreg::write!("VTTBR_EL2", r.vttbr_el2);
    rt::sysreg::isb();
    HwRegs {
        sctlr_el1: rt::sysreg::read!("SCTLR_EL1"),
        tcr_el1: rt::sysreg::read!("TCR_EL1"),
        ttbr0_el1: rt::sysreg::read!("TTBR0_EL1"),
        ttbr1_el1: rt::sysreg::read!("TTBR1_EL1"),
        mair_el1: rt::sysreg::read!("MAIR_EL1"),
        tcr_el2: rt::sysreg::read!("TCR_EL2"),
        ttbr0_el2: rt::sysreg::read!("TTBR0_EL2"),
        ttbr1_el2: rt::sysreg::read!("S3_4_C2_C0_1"),
        mair_el2: rt::sysreg::read!("MAIR_EL2"),
        vtcr_el2: rt::sysreg::read!("VTCR_EL2"),
        vttbr_el2: rt::sysreg::read!("VTTBR_EL2"),
    }
}

/// Writes `hcr` to HCR_EL2, reads it back and restores the old value, with
/// no memory access in between (E2H/TGE change how EL2 sees the EL1
/// register names).
pub fn probe_hcr(hcr: u64) -> u64 {
    let out: u64;
    // SAFETY: only HCR_EL2 changes, and is restored before the block ends;
    // no memory is accessed while it holds the probe value.
    unsafe {
        core::arch::asm!(
            "mrs {old}, hcr_el2",
            "msr hcr_el2, {new}",
            "isb",
            "mrs {out}, hcr_el2",
            "msr hcr_el2, {old}",
            "isb",
            old = out(reg) _,
            new = in(reg) hcr,
            out = lateout(reg) out,
            options(nostack, nomem),
        );
    }
    out
}

/// One `AT` instruction executed with HCR_EL2 = `hcr` and PSTATE.PAN =
/// `pan`, after invalidating the EL1&0 (incl. stage 2) and EL2 TLBs so that
/// QEMU's cached stage-2 translations of table addresses are current.
/// Returns PAR_EL1. HCR_EL2 and PSTATE.PAN are restored.
macro_rules! at_fn {
    ($name:ident, $sys:literal) => {
        fn $name(va: u64, hcr: u64, pan: bool) -> u64 {
            let par: u64;
            // SAFETY: TLB maintenance, HCR_EL2/PSTATE.PAN changes that are
            // undone before the block ends, and an AT instruction (which at
            // EL2 reports in PAR_EL1 instead of faulting; the generator only
            // lets tables live in RAM). No Rust-visible memory is touched
            // (the hardware may set AF/dirty bits in the scratch tables,
            // which Rust code only reads through volatile accesses).
            unsafe {
                core::arch::asm!(
                    "dsb sy",
                    "tlbi alle1",
                    "tlbi alle2",
                    "dsb sy",
                    "mrs {old}, hcr_el2",
                    "cbz {pan}, 1f",
                    ".inst 0xd500419f", // msr pan, #1
                    "1:",
                    "msr hcr_el2, {hcr}",
                    "isb",
                    $sys,
                    "isb",
                    "mrs {par}, par_el1",
                    "msr hcr_el2, {old}",
                    ".inst 0xd500409f", // msr pan, #0
                    "isb",
                    old = out(reg) _,
                    pan = in(reg) u64::from(pan),
                    hcr = in(reg) hcr,
                    va = in(reg) va,
                    par = lateout(reg) par,
                    options(nostack),
                );
            }
            par
        }
    };
}

at_fn!(at_s1e1r, "sys #0, c7, c8, #0, {va}");
at_fn!(at_s1e1w, "sys #0, c7, c8, #1, {va}");
at_fn!(at_s1e0r, "sys #0, c7, c8, #2, {va}");
at_fn!(at_s1e0w, "sys #0, c7, c8, #3, {va}");
at_fn!(at_s1e1rp, "sys #0, c7, c9, #0, {va}");
at_fn!(at_s1e1wp, "sys #0, c7, c9, #1, {va}");
at_fn!(at_s1e2r, "sys #4, c7, c8, #0, {va}");
at_fn!(at_s1e2w, "sys #4, c7, c8, #1, {va}");
at_fn!(at_s12e1r, "sys #4, c7, c8, #4, {va}");
at_fn!(at_s12e1w, "sys #4, c7, c8, #5, {va}");
at_fn!(at_s12e0r, "sys #4, c7, c8, #6, {va}");
at_fn!(at_s12e0w, "sys #4, c7, c8, #7, {va}");

/// Runs `op` on the hardware; returns PAR_EL1.
pub fn at(op: AtOp, va: u64, hcr: u64, pan: bool) -> u64 {
    match op {
        AtOp::S1E0R => at_s1e0r(va, hcr, pan),
        AtOp::S1E0W => at_s1e0w(va, hcr, pan),
        AtOp::S1E1R => at_s1e1r(va, hcr, pan),
        AtOp::S1E1W => at_s1e1w(va, hcr, pan),
        AtOp::S1E1RP => at_s1e1rp(va, hcr, pan),
        AtOp::S1E1WP => at_s1e1wp(va, hcr, pan),
        AtOp::S1E2R => at_s1e2r(va, hcr, pan),
        AtOp::S1E2W => at_s1e2w(va, hcr, pan),
        AtOp::S12E0R => at_s12e0r(va, hcr, pan),
        AtOp::S12E0W => at_s12e0w(va, hcr, pan),
        AtOp::S12E1R => at_s12e1r(va, hcr, pan),
        AtOp::S12E1W => at_s12e1w(va, hcr, pan),
    }
}

// An EL2 vector table for the at-diff run only: AT at EL2 reports in
// PAR_EL1 and never faults, so any exception means the hardware walked
// somewhere the emulator did not predict (e.g. into RAM-less space). Every
// entry calls `at_diff_unexpected_exception`, which reports and exits.
core::arch::global_asm!(
    ".section .text.at_diff_vectors, \"ax\"",
    ".balign 2048",
    ".global at_diff_vectors",
    "at_diff_vectors:",
    ".rept 16",
    "mrs x0, esr_el2",
    "mrs x1, elr_el2",
    "mrs x2, far_el2",
    "b at_diff_unexpected_exception",
    ".balign 128",
    ".endr",
    ".text",
);

extern "C" {
    static at_diff_vectors: u8;
}

/// Reports an exception taken during at-diff and ends the run as failed.
#[no_mangle]
extern "C" fn at_diff_unexpected_exception(esr: u64, elr: u64, far: u64) -> ! {
    rt::println!("at-diff: FAIL unexpected exception at EL2: ESR_EL2={esr:#x} ELR_EL2={elr:#x} FAR_EL2={far:#x}");
    rt::println!("at-diff: (the hardware walk read memory the emulator did not predict)");
    rt::exit::exit(3, rt::psci::Conduit::Smc);
}

/// Points VBAR_EL2 at the at-diff vectors (for this test run only).
pub fn install_vectors() {
    let v = core::ptr::addr_of!(at_diff_vectors) as u64;
    rt::sysreg::write!("VBAR_EL2", v);
    rt::sysreg::isb();
}

// The EL2 MMU-on stub: alone in a 4KB-aligned page, which each MMU-on state
// identity-maps (read-only, executable at EL2) in its random EL2 tables.
// Arguments: x0 = SCTLR_EL2 with M set, x1 = VA, x2 = HCR_EL2, x3 = index
// of the op in `AtOp::ALL`, x4 = PSTATE.PAN. Returns PAR_EL1 in x0. It
// touches no memory (and no stack), so nothing but the stub page needs a
// mapping while the MMU is on; SCTLR_EL2, HCR_EL2 and PAN are restored.
core::arch::global_asm!(
    ".section .text.at_el2_stub, \"ax\"",
    ".balign 4096",
    ".global at_el2_stub",
    "at_el2_stub:",
    "mrs x9, sctlr_el2",
    "mrs x10, hcr_el2",
    "dsb sy",
    "tlbi alle2",
    "tlbi alle1",
    "dsb sy",
    "cbz x4, 1f",
    ".inst 0xd500419f", // msr pan, #1
    "1:",
    "msr hcr_el2, x2",
    "isb",
    "msr sctlr_el2, x0",
    "isb",
    "adr x11, 2f",
    "add x11, x11, x3, lsl #3",
    "br x11",
    "2:",
    "sys #0, c7, c8, #2, x1", // S1E0R
    "b 3f",
    "sys #0, c7, c8, #3, x1", // S1E0W
    "b 3f",
    "sys #0, c7, c8, #0, x1", // S1E1R
    "b 3f",
    "sys #0, c7, c8, #1, x1", // S1E1W
    "b 3f",
    "sys #0, c7, c9, #0, x1", // S1E1RP
    "b 3f",
    "sys #0, c7, c9, #1, x1", // S1E1WP
    "b 3f",
    "sys #4, c7, c8, #0, x1", // S1E2R
    "b 3f",
    "sys #4, c7, c8, #1, x1", // S1E2W
    "b 3f",
    "sys #4, c7, c8, #6, x1", // S12E0R
    "b 3f",
    "sys #4, c7, c8, #7, x1", // S12E0W
    "b 3f",
    "sys #4, c7, c8, #4, x1", // S12E1R
    "b 3f",
    "sys #4, c7, c8, #5, x1", // S12E1W
    "b 3f",
    "3:",
    "isb",
    "mrs x0, par_el1",
    "msr sctlr_el2, x9",
    "isb",
    "msr hcr_el2, x10",
    ".inst 0xd500409f", // msr pan, #0
    "isb",
    "ret",
    ".text",
);

extern "C" {
    fn at_el2_stub(sctlr: u64, va: u64, hcr: u64, op: u64, pan: u64) -> u64;
}

/// The address of the EL2 MMU-on stub (its page must be identity-mapped).
pub fn stub_addr() -> u64 {
    at_el2_stub as *const () as u64
}

/// Runs `op` with the EL2 MMU on (SCTLR_EL2 = `sctlr_on`); returns PAR_EL1.
pub fn at_mmu_on(op: AtOp, va: u64, hcr: u64, pan: bool, sctlr_on: u64) -> u64 {
    let idx = AtOp::ALL.iter().position(|&o| o == op).unwrap_or(0) as u64;
    // SAFETY: the stub only changes SCTLR_EL2/HCR_EL2/PAN (restored before
    // it returns) and runs AT; the caller has identity-mapped its page in the
    // EL2 tables TTBR0_EL2 points at, executable at EL2.
    unsafe { at_el2_stub(sctlr_on, va, hcr, idx, u64::from(pan)) }
}
