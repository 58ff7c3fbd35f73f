//! Two vCPUs, each running an L2: the second CPU is started with PSCI
//! CPU_ON over the conduit the DTB's /psci `method` names (SMC to QEMU's
//! firmware on bare QEMU; HVC to L0 under L0), sets up its own EL2 in the
//! same mode, runs its own VM while the first CPU runs another, and turns
//! itself off with CPU_OFF.

use super::l2::{prog, Step, Vm, PSTATE_EL1H};
use super::{gic, hw, mem, skip, verdict, world, Case, Suite, Verdict};
use core::sync::atomic::{AtomicU64, Ordering};
use rt::psci::{fid, Conduit};

pub const CASES: &[Case] = &[("smp-two-vcpus", two_vcpus)];
pub const N: usize = CASES.len();

/// Hypercalls each vCPU's L2 makes.
const CALLS: u64 = 200;

/// What the boot CPU hands the second one (the VM to run, the conduit) and
/// what it reports (answers checked by its L2; 1 + stage: progress).
static VM_PTR: AtomicU64 = AtomicU64::new(0);
static CONDUIT_HVC: AtomicU64 = AtomicU64::new(0);
static RESULT: AtomicU64 = AtomicU64::new(0);
static STAGE: AtomicU64 = AtomicU64::new(0);

fn conduit() -> Conduit {
    if CONDUIT_HVC.load(Ordering::Acquire) != 0 {
        Conduit::Hvc
    } else {
        Conduit::Smc
    }
}

/// Runs `CALLS` hypercalls in `vm`; returns how many answers L2 checked.
fn hvc_run(vm: &mut Vm) -> u64 {
    let mut result = 0;
    vm.run(
        prog::hvcloop(),
        &[0, CALLS],
        PSTATE_EL1H,
        2 * CALLS + 10,
        |x| match x.hvc() {
            Some(1) => {
                x.ctx.x[0] += 1;
                Step::Resume
            }
            Some(0) => {
                result = x.ctx.x[0];
                Step::Stop
            }
            _ if x.is_irq() => Step::Resume,
            _ => Step::Stop,
        },
    );
    result
}

/// The second CPU's Rust entry (from `nested_secondary_entry`).
#[no_mangle]
extern "C" fn nested_secondary_main() -> ! {
    STAGE.store(1, Ordering::Release);
    super::setup_el2(1);
    mem::el2_mmu_on();
    gic::init_cpu();
    STAGE.store(2, Ordering::Release);
    // SAFETY: the boot CPU handed over this VM and does not touch it until
    // STAGE says the second CPU is done.
    let vm = unsafe { &mut *(VM_PTR.load(Ordering::Acquire) as *mut Vm) };
    let r = hvc_run(vm);
    RESULT.store(r, Ordering::Release);
    STAGE.store(3, Ordering::Release);
    rt::psci::call(conduit(), fid::CPU_OFF, 0, 0, 0);
    loop {
        core::hint::spin_loop();
    }
}

/// Both vCPUs run an L2 at once (VMIDs differ, the second CPU's EL2 is set
/// up from scratch by the same code), 200 hypercalls each; the second CPU
/// then turns itself off (AFFINITY_INFO reports OFF).
fn two_vcpus(s: &mut Suite) -> Verdict {
    let Some(mpidr) = s.cpu1 else {
        return skip!("one CPU");
    };
    let mut mine = s.vm();
    let mut theirs = s.vm();
    VM_PTR.store(&mut theirs as *mut Vm as u64, Ordering::Release);
    CONDUIT_HVC.store(u64::from(s.conduit == Conduit::Hvc), Ordering::Release);
    RESULT.store(0, Ordering::Release);
    STAGE.store(0, Ordering::Release);
    hw::dsb_ish();
    let entry = world::nested_secondary_entry as *const () as u64;
    let on = rt::psci::call(s.conduit, fid::CPU_ON, mpidr, entry, mem::CPU1_STACK_TOP) as i64;
    if on != 0 {
        return verdict!(false, "CPU_ON returned {on}");
    }
    let r0 = hvc_run(&mut mine);
    let finished = hw::wait_until(10_000, || STAGE.load(Ordering::Acquire) == 3);
    let r1 = RESULT.load(Ordering::Acquire);
    let off = hw::wait_until(2_000, || {
        rt::psci::call(s.conduit, fid::AFFINITY_INFO, mpidr, 0, 0) as i64 == 1
    });
    // Our EL1 state is what this CPU left; the second CPU's VM is gone.
    world::cpu().loaded = 0;
    verdict!(
        finished && r0 == CALLS && r1 == CALLS && off,
        "cpu1 up (stage {}), L2 answers cpu0 {r0}/{CALLS} cpu1 {r1}/{CALLS}, cpu1 off {off}",
        STAGE.load(Ordering::Acquire)
    )
}
