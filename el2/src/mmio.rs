//! Stage-2 data aborts: emulated MMIO (the GIC distributor and
//! redistributors) or, for any other IPA the guest does not own, a
//! synchronous external abort injected into the guest.

use crate::exits::{self, DataAbort, ExitReason};
use crate::vcpu::Vcpu;
use crate::vgic::{self, Access};
use fgt::Esr;

/// How many guest faults (bad accesses, unexpected exits) L0 logs before
/// going quiet, so a guest cannot flood the console.
const LOG_LIMIT: u32 = 32;
static LOGGED: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// Whether a guest fault is still worth a log line (the first LOG_LIMIT are).
pub fn should_log() -> bool {
    LOGGED.fetch_add(1, core::sync::atomic::Ordering::Relaxed) < LOG_LIMIT
}

/// HPFAR_EL2.FIPA holds IPA[51:12] in bits [43:4] (D24.2.57).
fn fault_ipa(hpfar: u64, far: u64) -> u64 {
    ((hpfar & 0x0fff_ffff_fff0) << 8) | (far & 0xfff)
}

/// Handles a data abort taken from the guest.
pub fn data_abort(vcpu: &mut Vcpu, esr: Esr) {
    let far = rt::sysreg::read!("FAR_EL2");
    let ipa = fault_ipa(rt::sysreg::read!("HPFAR_EL2"), far);
    let da = DataAbort::decode(esr.iss());
    let vm = crate::vm::get();
    let (gd, gr) = (vm.machine.gicd, vm.machine.gicr);
    let dev = if (gd.0..gd.0 + gd.1).contains(&ipa) {
        Some((ipa - gd.0, vgic::dist_access as fn(&Access) -> u64))
    } else if (gr.0..gr.0 + gr.1).contains(&ipa) {
        Some((ipa - gr.0, vgic::redist_access as fn(&Access) -> u64))
    } else {
        None
    };
    match dev {
        Some((off, emulate)) if da.isv && !da.s1ptw => {
            exits::count(vcpu.index, ExitReason::DabtMmio);
            let mut a = Access {
                off,
                size: da.size,
                write: da.write,
                val: 0,
            };
            if a.write {
                a.val = vcpu.reg(da.srt);
                emulate(&a);
            } else {
                let mut v = emulate(&a);
                let bits = u32::from(da.size) * 8;
                if bits < 64 {
                    v &= (1u64 << bits) - 1;
                    if da.sse && v & (1 << (bits - 1)) != 0 {
                        v |= !0u64 << bits;
                    }
                }
                if !da.sf {
                    v &= 0xffff_ffff;
                }
                vcpu.set_reg(da.srt, v);
            }
            vcpu.regs.pc += 4;
        }
        _ => {
            exits::count(vcpu.index, ExitReason::DabtFault);
            if should_log() {
                log::warn!(
                    "guest {} at IPA {ipa:#x} (VA {far:#x}, pc {:#x}, DFSC {:#x}){}: not guest memory, external abort injected",
                    if da.write { "write" } else { "read" },
                    vcpu.regs.pc,
                    da.dfsc,
                    if dev.is_some() { " without syndrome" } else { "" },
                );
            }
            crate::inject::data_abort(&mut vcpu.regs, far, da.write);
        }
    }
}
