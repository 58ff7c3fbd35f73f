//! Synchronous exception injection into a vCPU's EL1 (Arm ARM D1.3.x,
//! "Exception entry"): ELR/SPSR/ESR/FAR_EL1 of the vCPU's current context
//! are set (wherever that context lives) and the vCPU moves to its vector
//! with the PSTATE an exception to EL1 gives.

use arch::esr::{ec, DataAbort, Esr};
use arch::regs::{sctlr_el1, spsr};

use crate::switch::El1;
use crate::vcpu::Vcpu;

/// Vector offsets from VBAR_EL1 (Arm ARM D1.3.x "Exception vectors"):
/// current EL with SP0, with SPx, lower EL in AArch64, lower EL in AArch32.
const VEC_CUR_SP0: u64 = 0x000;
const VEC_CUR_SPX: u64 = 0x200;
const VEC_LOWER_A64: u64 = 0x400;
const VEC_LOWER_A32: u64 = 0x600;
/// VBAR_EL1 bits `[10:0]` are RES0 (the table is 2 KiB aligned).
const VBAR_ALIGN: u64 = 0x7ff;

/// Vector offset for a synchronous exception taken to EL1 from `pstate`.
pub fn vector_offset(pstate: u64) -> u64 {
    if pstate & spsr::M_AARCH32 != 0 {
        return VEC_LOWER_A32;
    }
    match pstate & spsr::M {
        spsr::EL1T => VEC_CUR_SP0,
        spsr::EL1H => VEC_CUR_SPX,
        _ => VEC_LOWER_A64,
    }
}

/// Delivers a synchronous exception with syndrome `esr` and fault address
/// `far` to the vCPU's EL1.
pub fn sync_to_el1(v: &mut Vcpu, esr: Esr, far: u64) {
    let vbar = v.el1(El1::VBAR_EL1);
    let sctlr = v.el1(El1::SCTLR_EL1);
    let (pc, pstate) = (v.regs.pc, v.regs.pstate);
    v.set_el1(El1::ELR_EL1, pc);
    v.set_el1(El1::SPSR_EL1, pstate);
    v.set_el1(El1::ESR_EL1, esr.0);
    v.set_el1(El1::FAR_EL1, far);
    // PSTATE on exception entry to EL1: EL1h, DAIF masked, PAN kept, and
    // set when SCTLR_EL1.SPAN is 0.
    let mut next = spsr::EL1H | spsr::DAIF | (pstate & spsr::PAN);
    if sctlr & sctlr_el1::SPAN == 0 {
        next |= spsr::PAN;
    }
    v.regs.pc = (vbar & !VBAR_ALIGN) + vector_offset(pstate);
    v.regs.pstate = next;
}

fn from_el0(v: &Vcpu) -> bool {
    v.regs.pstate & spsr::M == spsr::EL0T
}

/// Injects a synchronous External abort for a data access at `far`.
pub fn data_abort(v: &mut Vcpu, far: u64, write: bool) {
    let class = if from_el0(v) {
        ec::DABT_LOW
    } else {
        ec::DABT_CUR
    };
    let esr = Esr::new(class, DataAbort::external(write).encode());
    sync_to_el1(v, esr, far);
}

/// Injects a synchronous External abort on instruction fetch at `far`.
pub fn instruction_abort(v: &mut Vcpu, far: u64) {
    let class = if from_el0(v) {
        ec::IABT_LOW
    } else {
        ec::IABT_CUR
    };
    let esr = Esr::new(class, u32::from(arch::esr::fsc::SEA));
    sync_to_el1(v, esr, far);
}

/// Injects an Undefined Instruction exception (EC 0).
pub fn undef(v: &mut Vcpu) {
    sync_to_el1(v, Esr::new(ec::UNKNOWN, 0), 0);
}
