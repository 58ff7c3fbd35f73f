//! Exits: the snapshot of the syndrome registers taken right after the
//! world switch, and the dispatcher that hands it to a handler and counts
//! the exit once, under the reason the handler reports. Syndrome layouts
//! come from `arch::esr` (Arm ARM D24.2.40, ESR_EL2).

use aarch64_cpu::registers::{Readable, ESR_EL2, FAR_EL2, HPFAR_EL2};
use arch::esr::{ec, Esr};
use el2::counters::{self, ExitReason};

use crate::switch::ExitKind;
use crate::vcpu::Vcpu;

/// Everything L0 needs to know about one exit, read once.
#[derive(Clone, Copy, Debug)]
pub struct Exit {
    /// Which vector was taken.
    pub kind: ExitKind,
    /// ESR_EL2 (synchronous exits; 0 otherwise).
    pub esr: Esr,
    /// FAR_EL2 (aborts).
    pub far: u64,
    /// HPFAR_EL2 (stage-2 aborts).
    pub hpfar: u64,
}

impl Exit {
    /// Reads the syndrome registers for an exit of `kind`.
    pub fn snapshot(kind: ExitKind) -> Exit {
        match kind {
            ExitKind::Sync | ExitKind::SError => Exit {
                kind,
                esr: Esr(ESR_EL2.get()),
                far: FAR_EL2.get(),
                hpfar: HPFAR_EL2.get(),
            },
            _ => Exit {
                kind,
                esr: Esr(0),
                far: 0,
                hpfar: 0,
            },
        }
    }

    /// The faulting IPA of a stage-2 abort (HPFAR_EL2.FIPA and the page
    /// offset from FAR_EL2).
    pub fn fault_ipa(&self) -> u64 {
        arch::regs::hpfar::ipa(self.hpfar, self.far)
    }
}

/// How many exits are still to be logged one by one (`l0.trace=N`): a
/// debugging aid, off by default.
pub static TRACE: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// Handles one exit and counts it.
pub fn dispatch(v: &mut Vcpu, e: &Exit) {
    let ctx = v.context();
    if e.kind == ExitKind::Sync && e.esr.ec() == ec::SYSREG {
        if let Some(a) = e.esr.sysreg_iss() {
            counters::SYSREG_BY_ENC[ctx as usize].count(u32::from(a.enc.0));
        }
    }
    if TRACE.load(core::sync::atomic::Ordering::Relaxed) > 0
        && TRACE.fetch_sub(1, core::sync::atomic::Ordering::Relaxed) > 0
    {
        log::info!(
            "trace vcpu{} {:?}: {:?} esr {:#x} far {:#x} pc {:#x} pstate {:#x}",
            v.index,
            ctx,
            e.kind,
            e.esr.0,
            e.far,
            v.regs.pc,
            v.regs.pstate
        );
    }
    if v.nested.is_some() {
        let reason = crate::nv::dispatch(v, e);
        counters::count(v.index, ctx, reason);
        if TRACE.load(core::sync::atomic::Ordering::Relaxed) > 0 {
            log::info!(
                "trace   -> {:?} pc {:#x} pstate {:#x} elr1 {:#x} esr1 {:#x}",
                v.context(),
                v.regs.pc,
                v.regs.pstate,
                rt::sysreg::read!("ELR_EL1"),
                rt::sysreg::read!("ESR_EL1"),
            );
        }
        if log::log_enabled!(log::Level::Debug) {
            let t: u64 = counters::snapshot(v.index, ctx).iter().sum();
            if t.is_power_of_two() && t >= 1024 {
                log::debug!(
                    "vcpu{} {:?}: {} exits, last {:?} esr {:#x} pc {:#x}",
                    v.index,
                    ctx,
                    t,
                    reason,
                    e.esr.0,
                    v.regs.pc
                );
            }
        }
        return;
    }
    let reason = match e.kind {
        ExitKind::Sync => sync_plain(v, e),
        ExitKind::Irq => {
            crate::irq::handle(v);
            ExitReason::Irq
        }
        ExitKind::Fiq => {
            el2::guest_warn!("unexpected FIQ exit");
            ExitReason::Fiq
        }
        ExitKind::SError => {
            el2::guest_warn!("SError from the guest, esr {:#x}", e.esr.0);
            ExitReason::SError
        }
    };
    counters::count(v.index, ctx, reason);
}

/// ESR_EL2 ISS for WFx: TI`[1:0]` (0 = WFI, 1 = WFE, 2 = WFIT, 3 = WFET);
/// bit 0 set for the WFE forms.
const WFX_TI_WFE: u32 = 1;

/// A synchronous exit L0 handles for its guest (a plain guest, or a
/// nested vCPU's guest context when L1 did not ask for the trap).
pub fn sync_plain(v: &mut Vcpu, e: &Exit) -> ExitReason {
    match e.esr.ec() {
        ec::HVC64 => {
            crate::psci::handle(v);
            ExitReason::Hvc
        }
        ec::SMC64 => {
            // A trapped SMC returns to the SMC itself (preferred return address).
            crate::psci::handle(v);
            v.regs.pc += 4;
            ExitReason::Smc
        }
        ec::SYSREG => {
            if let Some(a) = e.esr.sysreg_iss() {
                if crate::sysreg::handle(v, a) {
                    v.regs.pc += 4;
                }
            }
            ExitReason::Sysreg
        }
        ec::DABT_LOW => crate::mmio::data_abort(v, e),
        ec::IABT_LOW => {
            el2::guest_warn!(
                "guest instruction fetch at {:#x} (pc {:#x}): not guest memory, external abort injected",
                e.far,
                v.regs.pc
            );
            crate::inject::instruction_abort(v, e.far);
            ExitReason::Iabt
        }
        ec::WFX => {
            v.regs.pc += 4;
            if e.esr.iss() & WFX_TI_WFE == 0 {
                // SAFETY: waiting for a physical interrupt on our own CPU has
                // no memory effect; any interrupt (masked at EL2) wakes it.
                unsafe { core::arch::asm!("wfi", options(nostack)) };
            }
            ExitReason::Wfx
        }
        other => {
            el2::guest_warn!(
                "unhandled exit EC {other:#x} esr {:#x} at pc {:#x}: UNDEF injected",
                e.esr.0,
                v.regs.pc
            );
            crate::inject::undef(v);
            ExitReason::Other
        }
    }
}
