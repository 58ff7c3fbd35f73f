//! Stage-2 data aborts: emulated MMIO (the GIC distributor and
//! redistributors) or, for any other IPA the guest does not own, a
//! synchronous External abort injected into the guest.

use el2::counters::ExitReason;
use el2::vgic::{self, Access};

use crate::exits::Exit;
use crate::vcpu::Vcpu;

/// Which emulated frame an IPA falls in.
enum Frame {
    Dist(u64),
    Redist(u64),
}

/// Handles a data abort taken from the guest; returns how it was counted.
pub fn data_abort(v: &mut Vcpu, e: &Exit) -> ExitReason {
    let ipa = e.fault_ipa();
    let da = e.esr.data_abort();
    let vm = v.vm;
    let (gd, gr) = (vm.machine.gicd, vm.machine.gicr);
    let frame = if (gd.0..gd.0 + gd.1).contains(&ipa) {
        Some(Frame::Dist(ipa - gd.0))
    } else if (gr.0..gr.0 + gr.1).contains(&ipa) {
        Some(Frame::Redist(ipa - gr.0))
    } else {
        None
    };
    match frame {
        Some(f) if da.isv && !da.s1ptw => {
            let off = match f {
                Frame::Dist(o) | Frame::Redist(o) => o,
            };
            let a = Access {
                off,
                size: da.size,
                write: da.write,
                val: if da.write { v.reg(da.srt) } else { 0 },
            };
            let raw = match f {
                Frame::Dist(_) => vgic::dist_access(&vm.vgic, &vm.gic, &a),
                Frame::Redist(_) => vgic::redist_access(&vm.vgic, &vm.redist, &vm.gic, &a),
            };
            if !da.write {
                v.set_reg(da.srt, da.load_value(raw));
            }
            v.regs.pc += 4;
            ExitReason::DabtMmio
        }
        _ => {
            el2::guest_warn!(
                "guest {} at IPA {ipa:#x} (VA {:#x}, pc {:#x}, DFSC {:#x}){}: not guest memory, external abort injected",
                if da.write { "write" } else { "read" },
                e.far,
                v.regs.pc,
                da.dfsc,
                if frame.is_some() { " without syndrome" } else { "" },
            );
            crate::inject::data_abort(v, e.far, da.write);
            ExitReason::DabtFault
        }
    }
}
