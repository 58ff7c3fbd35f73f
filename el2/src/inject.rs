//! Synchronous exception injection into the guest's EL1 (Arm ARM D1.3.x,
//! "Exception entry"): set ELR/SPSR/ESR/FAR_EL1 and move the guest to its
//! vector with the PSTATE an exception to EL1 gives.

use crate::switch::GuestRegs;
use fgt::esr::ec;

const SPSR_M_MASK: u64 = 0xf;
const M_EL0T: u64 = 0b0000;
const M_EL1T: u64 = 0b0100;
const M_EL1H: u64 = 0b0101;
const DAIF: u64 = 0xf << 6;
const PSTATE_PAN: u64 = 1 << 22;
/// SCTLR_EL1.SPAN: 0 means PSTATE.PAN is set on exception entry to EL1.
const SCTLR_SPAN: u64 = 1 << 23;
const ESR_IL: u64 = 1 << 25;
/// Fault status code: synchronous external abort, not on a table walk.
pub const FSC_SEA: u64 = 0x10;

/// Vector offset for an exception taken to EL1 from the guest's current mode.
fn vector_offset(pstate: u64) -> u64 {
    match pstate & SPSR_M_MASK {
        M_EL1T => 0x000,
        M_EL1H => 0x200,
        _ => 0x400,
    }
}

/// Delivers a synchronous exception with syndrome `esr` (EC and ISS, IL is
/// added) and fault address `far` to the guest's EL1.
pub fn sync_to_el1(regs: &mut GuestRegs, esr: u64, far: u64) {
    let vbar = rt::sysreg::read!("VBAR_EL1");
    let sctlr = rt::sysreg::read!("SCTLR_EL1");
    rt::sysreg::write!("ELR_EL1", regs.pc);
    rt::sysreg::write!("SPSR_EL1", regs.pstate);
    rt::sysreg::write!("ESR_EL1", esr | ESR_IL);
    rt::sysreg::write!("FAR_EL1", far);
    let mut pstate = M_EL1H | DAIF | (regs.pstate & PSTATE_PAN);
    if sctlr & SCTLR_SPAN == 0 {
        pstate |= PSTATE_PAN;
    }
    regs.pc = (vbar & !0x7ff) + vector_offset(regs.pstate);
    regs.pstate = pstate;
}

fn from_el0(regs: &GuestRegs) -> bool {
    regs.pstate & SPSR_M_MASK == M_EL0T
}

/// Injects a synchronous external abort for a data access at `far`.
pub fn data_abort(regs: &mut GuestRegs, far: u64, write: bool) {
    let class = if from_el0(regs) {
        ec::DABT_LOW
    } else {
        ec::DABT_CUR
    };
    let esr = (u64::from(class) << 26) | (u64::from(write) << 6) | FSC_SEA;
    sync_to_el1(regs, esr, far);
}

/// Injects a synchronous external abort on instruction fetch at `far`.
pub fn instruction_abort(regs: &mut GuestRegs, far: u64) {
    let class = if from_el0(regs) {
        ec::IABT_LOW
    } else {
        ec::IABT_CUR
    };
    sync_to_el1(regs, (u64::from(class) << 26) | FSC_SEA, far);
}

/// Injects an Undefined Instruction exception (EC 0).
pub fn undef(regs: &mut GuestRegs) {
    sync_to_el1(regs, u64::from(ec::UNKNOWN) << 26, 0);
}
