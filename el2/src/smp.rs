//! Physical CPU bring-up and shutdown through the board's PSCI (SMC to
//! QEMU's firmware). A vCPU's CPU_ON becomes CPU_ON of the physical CPU with
//! the same index, entering `secondary_entry` with its stack as context.

use core::sync::atomic::{AtomicU64, Ordering};
use rt::psci::fid;

use el2::MAX_CPUS;

use crate::vcpu::Vcpu;
use crate::vm::{self, Vm};

/// Pages of stack per secondary CPU.
const STACK_PAGES: usize = 8;
/// Physical CPU_ON attempts while the target is still going off.
const CPU_ON_RETRIES: u32 = 10_000;
/// Each secondary CPU's stack (0 until first started).
static STACKS: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

core::arch::global_asm!(
    ".section .text.secondary, \"ax\"",
    ".global secondary_entry",
    "secondary_entry:",
    "mov sp, x0",
    "bl {main}",
    "1: wfe",
    "b 1b",
    main = sym secondary_main,
);

extern "C" {
    fn secondary_entry();
}

/// Powers on physical CPU `idx` into L0. Returns the PSCI result.
pub fn start_cpu(vm: &Vm, idx: usize) -> u64 {
    // One stack per CPU, kept across CPU_OFF/CPU_ON (a CPU that is off uses
    // none), so a guest cycling its vCPUs cannot drain L0's pool.
    let slot = &STACKS[idx % MAX_CPUS];
    let mut stack = slot.load(Ordering::Acquire);
    if stack == 0 {
        let Some(s) = crate::mm::alloc_pages(STACK_PAGES) else {
            return rt::psci::ret::INTERNAL_FAILURE as u64;
        };
        slot.store(s, Ordering::Release);
        stack = s;
    }
    let top = stack + (STACK_PAGES * crate::mm::PAGE_SIZE) as u64;
    // A vCPU is marked off just before its physical CPU_OFF completes, so a
    // quick CPU_ON may find the CPU still on: retry a bounded number of times.
    let entry = secondary_entry as *const () as u64;
    let mut r = 0;
    for _ in 0..CPU_ON_RETRIES {
        r = rt::psci::call(vm.conduit(), fid::CPU_ON, vm.machine.cpus[idx], entry, top);
        let busy = [rt::psci::ret::ALREADY_ON, rt::psci::ret::ON_PENDING];
        if !busy.contains(&(r as i64)) {
            break;
        }
        core::hint::spin_loop();
    }
    r
}

extern "C" fn secondary_main() -> ! {
    crate::mm::enable_el2_mmu();
    crate::switch::install_vectors();
    // The one place a CPU starts without a VM in hand.
    let vm = vm::get();
    let mpidr = rt::sysreg::read!("MPIDR_EL1") & 0xff_00ff_ffff;
    let Some(idx) = vm.cpu_by_mpidr(mpidr) else {
        log::error!("secondary CPU {mpidr:#x} not in the DTB");
        stop_this_cpu(vm);
    };
    crate::cpu_init(vm, idx);
    let (entry, ctx) = vm.boot_args[idx].lock().take().unwrap_or((0, 0));
    log::debug!("vcpu{idx} on at {entry:#x}");
    Vcpu::new(idx, vm, entry, ctx).run()
}

/// Powers this physical CPU off (its vCPU called CPU_OFF).
pub fn stop_this_cpu(vm: &Vm) -> ! {
    rt::psci::call(vm.conduit(), fid::CPU_OFF, 0, 0, 0);
    loop {
        core::hint::spin_loop();
    }
}
