//! The EL2 side of the nested suite: exception vectors, the world switch
//! into L2 and back, and the per-CPU state TPIDR_EL2 points at.
//!
//! Two vector tables, one per hypervisor mode, differ only in how they name
//! ELR/SPSR/ESR/FAR: `*_EL1` encodings with E2H = 1 (redirected to the EL2
//! registers), `*_EL2` with E2H = 0 (Arm ARM D8.11.2). The offsets are the
//! architectural ones (Arm ARM D1.3.1, "Exception vectors"):
//! * 0x000-0x180, current EL with SP_EL0: never used (fatal);
//! * 0x200-0x380, current EL with SP_EL2: test-l1's own exceptions (the
//!   "exception at EL2" cases, the illegal-return cases, its IRQs at EL2),
//!   saved in a frame on the EL2 stack and handed to
//!   [`nested_el2_exception`];
//! * 0x400-0x780, lower EL: L2 exits. The vector stores L2's x0-x30, ELR,
//!   SPSR, ESR and FAR in the CPU's [`Ctx`] (TPIDR_EL2), reloads the
//!   callee-saved registers and stack of [`enter`]'s caller and returns to
//!   it with the vector number.

use super::hw;
use core::arch::global_asm;

/// An L2 vCPU's general registers and what an exit left (layout fixed by
/// the asm below: x at 0, pc 248, pstate 256, host_sp 264, esr 272,
/// far 280, kind 288).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Ctx {
    /// x0-x30.
    pub x: [u64; 31],
    /// Where L2 runs next (ELR_EL2 on entry; saved on exit).
    pub pc: u64,
    /// L2's PSTATE (SPSR_EL2 on entry; saved on exit).
    pub pstate: u64,
    /// Internal: the EL2 stack pointer of the caller of [`enter`].
    pub host_sp: u64,
    /// ESR_EL2 of the exit.
    pub esr: u64,
    /// FAR_EL2 of the exit.
    pub far: u64,
    /// Vector number of the exit (8 sync, 9 IRQ, 10 FIQ, 11 SError from
    /// AArch64; 12-15 from AArch32).
    pub kind: u64,
}

/// Vector numbers.
pub mod kind {
    /// Current EL, SPx, synchronous.
    pub const CUR_SYNC: u64 = 4;
    /// Current EL, SPx, IRQ.
    pub const CUR_IRQ: u64 = 5;
    /// Lower EL AArch64 synchronous.
    pub const SYNC: u64 = 8;
    /// Lower EL AArch64 IRQ.
    pub const IRQ: u64 = 9;
}

macro_rules! vectors {
    ($sfx:literal, $elr:literal, $spsr:literal, $esr:literal, $far:literal) => {
        global_asm!(
            concat!(".section .text.nested_vectors_", $sfx, ", \"ax\""),
            ".balign 2048",
            concat!(".global nested_vectors_", $sfx),
            concat!("nested_vectors_", $sfx, ":"),
            // 16 entries; 0-7 current EL, 8-15 lower EL.
            ".irp k, 0, 1, 2, 3, 4, 5, 6, 7",
            ".balign 128",
            "sub sp, sp, #272",
            "stp x0, x1, [sp]",
            "mov x1, #\\k",
            concat!("b 80f"),
            ".endr",
            ".irp k, 8, 9, 10, 11, 12, 13, 14, 15",
            ".balign 128",
            "str x0, [sp, #-16]!",
            "mov x0, #\\k",
            "b 90f",
            ".endr",
            // Current EL: a frame of x0-x30, ELR, SPSR on the EL2 stack.
            "80:",
            "stp x2, x3, [sp, #16]",
            "stp x4, x5, [sp, #32]",
            "stp x6, x7, [sp, #48]",
            "stp x8, x9, [sp, #64]",
            "stp x10, x11, [sp, #80]",
            "stp x12, x13, [sp, #96]",
            "stp x14, x15, [sp, #112]",
            "stp x16, x17, [sp, #128]",
            "stp x18, x19, [sp, #144]",
            "stp x20, x21, [sp, #160]",
            "stp x22, x23, [sp, #176]",
            "stp x24, x25, [sp, #192]",
            "stp x26, x27, [sp, #208]",
            "stp x28, x29, [sp, #224]",
            "str x30, [sp, #240]",
            concat!("mrs x2, ", $elr),
            concat!("mrs x3, ", $spsr),
            "stp x2, x3, [sp, #248]",
            "mov x0, sp",
            "bl nested_el2_exception",
            "ldp x2, x3, [sp, #248]",
            concat!("msr ", $elr, ", x2"),
            concat!("msr ", $spsr, ", x3"),
            "ldp x2, x3, [sp, #16]",
            "ldp x4, x5, [sp, #32]",
            "ldp x6, x7, [sp, #48]",
            "ldp x8, x9, [sp, #64]",
            "ldp x10, x11, [sp, #80]",
            "ldp x12, x13, [sp, #96]",
            "ldp x14, x15, [sp, #112]",
            "ldp x16, x17, [sp, #128]",
            "ldp x18, x19, [sp, #144]",
            "ldp x20, x21, [sp, #160]",
            "ldp x22, x23, [sp, #176]",
            "ldp x24, x25, [sp, #192]",
            "ldp x26, x27, [sp, #208]",
            "ldp x28, x29, [sp, #224]",
            "ldr x30, [sp, #240]",
            "ldp x0, x1, [sp]",
            "add sp, sp, #272",
            "eret",
            // Lower EL: save L2 into the Ctx, return from enter().
            "90:",
            "str x1, [sp, #8]",
            "mrs x1, S3_4_C13_C0_2", // TPIDR_EL2
            "stp x2, x3, [x1, #16]",
            "stp x4, x5, [x1, #32]",
            "stp x6, x7, [x1, #48]",
            "stp x8, x9, [x1, #64]",
            "stp x10, x11, [x1, #80]",
            "stp x12, x13, [x1, #96]",
            "stp x14, x15, [x1, #112]",
            "stp x16, x17, [x1, #128]",
            "stp x18, x19, [x1, #144]",
            "stp x20, x21, [x1, #160]",
            "stp x22, x23, [x1, #176]",
            "stp x24, x25, [x1, #192]",
            "stp x26, x27, [x1, #208]",
            "stp x28, x29, [x1, #224]",
            "str x30, [x1, #240]",
            "ldp x2, x3, [sp], #16",
            "stp x2, x3, [x1]",
            "str x0, [x1, #288]",
            concat!("mrs x2, ", $elr),
            "str x2, [x1, #248]",
            concat!("mrs x2, ", $spsr),
            "str x2, [x1, #256]",
            concat!("mrs x2, ", $esr),
            "str x2, [x1, #272]",
            concat!("mrs x2, ", $far),
            "str x2, [x1, #280]",
            "ldr x2, [x1, #264]",
            "mov sp, x2",
            "ldp x19, x20, [sp, #0]",
            "ldp x21, x22, [sp, #16]",
            "ldp x23, x24, [sp, #32]",
            "ldp x25, x26, [sp, #48]",
            "ldp x27, x28, [sp, #64]",
            "ldp x29, x30, [sp, #80]",
            "ldr x18, [sp, #96]",
            "add sp, sp, #112",
            "ret",
            // enter(ctx): run L2 from ctx until it exits.
            concat!(".global nested_enter_", $sfx),
            concat!("nested_enter_", $sfx, ":"),
            "sub sp, sp, #112",
            "stp x19, x20, [sp, #0]",
            "stp x21, x22, [sp, #16]",
            "stp x23, x24, [sp, #32]",
            "stp x25, x26, [sp, #48]",
            "stp x27, x28, [sp, #64]",
            "stp x29, x30, [sp, #80]",
            "str x18, [sp, #96]",
            "mov x1, sp",
            "str x1, [x0, #264]",
            "ldr x1, [x0, #248]",
            concat!("msr ", $elr, ", x1"),
            "ldr x1, [x0, #256]",
            concat!("msr ", $spsr, ", x1"),
            "ldp x2, x3, [x0, #16]",
            "ldp x4, x5, [x0, #32]",
            "ldp x6, x7, [x0, #48]",
            "ldp x8, x9, [x0, #64]",
            "ldp x10, x11, [x0, #80]",
            "ldp x12, x13, [x0, #96]",
            "ldp x14, x15, [x0, #112]",
            "ldp x16, x17, [x0, #128]",
            "ldp x18, x19, [x0, #144]",
            "ldp x20, x21, [x0, #160]",
            "ldp x22, x23, [x0, #176]",
            "ldp x24, x25, [x0, #192]",
            "ldp x26, x27, [x0, #208]",
            "ldp x28, x29, [x0, #224]",
            "ldr x30, [x0, #240]",
            "ldp x0, x1, [x0]",
            "eret",
        );
    };
}

// E2H = 1: ELR_EL1, SPSR_EL1, ESR_EL1, FAR_EL1 encodings (redirected).
vectors!(
    "vhe",
    "S3_0_C4_C0_1",
    "S3_0_C4_C0_0",
    "S3_0_C5_C2_0",
    "S3_0_C6_C0_0"
);
// E2H = 0: ELR_EL2, SPSR_EL2, ESR_EL2, FAR_EL2.
vectors!(
    "nvhe",
    "S3_4_C4_C0_1",
    "S3_4_C4_C0_0",
    "S3_4_C5_C2_0",
    "S3_4_C6_C0_0"
);

global_asm!(
    ".section .text.nested_secondary, \"ax\"",
    ".global nested_secondary_entry",
    // PSCI CPU_ON entry: x0 (the context ID) is the top of this CPU's stack.
    "nested_secondary_entry:",
    "mov sp, x0",
    "bl nested_secondary_main",
    "1: wfe",
    "b 1b",
);

extern "C" {
    static nested_vectors_vhe: u8;
    static nested_vectors_nvhe: u8;
    fn nested_enter_vhe(ctx: *mut Ctx);
    fn nested_enter_nvhe(ctx: *mut Ctx);
    /// The secondary CPUs' entry point (PSCI CPU_ON).
    pub fn nested_secondary_entry();
}

/// The frame the current-EL vectors build (x0-x30, ELR, SPSR).
#[repr(C)]
pub struct Frame {
    /// x0-x30 at the exception.
    pub x: [u64; 31],
    /// ELR_EL2 (written back on return).
    pub elr: u64,
    /// SPSR_EL2 (written back on return).
    pub spsr: u64,
    _pad: u64,
}

/// What test-l1 took at EL2 itself while a case expected it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caught {
    /// ESR_EL2.
    pub esr: u64,
    /// ELR_EL2.
    pub elr: u64,
    /// FAR_EL2.
    pub far: u64,
    /// SPSR_EL2.
    pub spsr: u64,
    /// Vector number.
    pub kind: u64,
}

impl Caught {
    /// ESR_EL2.EC.
    pub fn ec(&self) -> u64 {
        (self.esr >> 26) & 0x3f
    }
}

/// Maximum INTID recorded per CPU (SGIs and PPIs, plus a few SPIs).
pub const NIRQ: usize = 64;

/// Per-CPU state; TPIDR_EL2 holds its address (the [`Ctx`] comes first).
#[repr(C)]
pub struct Cpu {
    /// The L2 vCPU context the world switch uses.
    pub ctx: Ctx,
    /// CPU index (0 = boot CPU).
    pub index: usize,
    /// A case expects an exception at EL2: the next one is recorded and
    /// skipped instead of being fatal.
    pub expect: bool,
    /// What the last expected exception was.
    pub caught: Option<Caught>,
    /// Interrupts taken (acknowledged) at EL2, by INTID.
    pub irqs: [u32; NIRQ],
    /// ISTATUS of the timer when its interrupt was handled, by INTID.
    pub timer_istatus: [bool; NIRQ],
    /// ICH_MISR_EL2 and ICH_EISR_EL2 at the last maintenance interrupt.
    pub misr: u64,
    /// ICH_EISR_EL2 at the last maintenance interrupt.
    pub eisr: u64,
    /// The VM whose EL1 state is in the EL1 registers (0: none).
    pub loaded: u64,
    /// Vector kind of the last IRQ taken at EL2 (CUR_IRQ or IRQ).
    pub irq_via: u64,
}

impl Cpu {
    const fn new() -> Cpu {
        Cpu {
            ctx: Ctx {
                x: [0; 31],
                pc: 0,
                pstate: 0,
                host_sp: 0,
                esr: 0,
                far: 0,
                kind: 0,
            },
            index: 0,
            expect: false,
            caught: None,
            irqs: [0; NIRQ],
            timer_istatus: [false; NIRQ],
            misr: 0,
            eisr: 0,
            loaded: 0,
            irq_via: 0,
        }
    }
}

/// The number of CPUs the suite uses.
pub const NCPU: usize = 2;

static mut CPUS: [Cpu; NCPU] = [const { Cpu::new() }; NCPU];

/// Makes CPU `index`'s state current (TPIDR_EL2) and installs the vectors
/// for the mode.
pub fn init_cpu(index: usize) {
    // SAFETY: each CPU takes its own slot once, before any use of `cpu()`.
    let c = unsafe { &mut *core::ptr::addr_of_mut!(CPUS[index]) };
    c.index = index;
    hw::el2::set_tpidr(c as *mut Cpu as u64);
    let base = if hw::vhe() {
        core::ptr::addr_of!(nested_vectors_vhe) as u64
    } else {
        core::ptr::addr_of!(nested_vectors_nvhe) as u64
    };
    hw::el2::set_vbar(base);
    rt::sysreg::isb();
}

/// This CPU's state.
#[allow(clippy::mut_from_ref)]
pub fn cpu() -> &'static mut Cpu {
    // SAFETY: TPIDR_EL2 was set by `init_cpu` to this CPU's own slot; only
    // this CPU uses it, and the suite never holds two references across a
    // call that takes another (the vectors run with the caller suspended).
    unsafe { &mut *(hw::el2::tpidr() as *mut Cpu) }
}

/// Runs L2 from the current CPU's context until it exits; returns the vector
/// number (also in `ctx.kind`).
pub fn enter() -> u64 {
    let c = cpu();
    let ctx = &mut c.ctx as *mut Ctx;
    // SAFETY: the context is this CPU's; the vectors for the current mode
    // are installed (`init_cpu`), EL1 state and stage 2 are set up by the
    // caller (`vm::Vm::run`), and the lower-EL vectors return here.
    unsafe {
        if hw::vhe() {
            nested_enter_vhe(ctx);
        } else {
            nested_enter_nvhe(ctx);
        }
        (*ctx).kind
    }
}

/// Runs `f` expecting it to take one synchronous exception at EL2; returns
/// what was taken (the faulting instruction is skipped) or `None`.
pub fn catch(f: impl FnOnce()) -> Option<Caught> {
    let c = cpu();
    c.caught = None;
    c.expect = true;
    rt::sysreg::isb();
    f();
    rt::sysreg::isb();
    let c = cpu();
    c.expect = false;
    c.caught.take()
}

/// ESR_EL2.EC values whose preferred return address is the next
/// instruction (SVC, HVC): the handler must not skip again.
fn returns_past(ec: u64) -> bool {
    matches!(ec, 0x15 | 0x16)
}

/// The Rust half of the current-EL vectors.
#[no_mangle]
extern "C" fn nested_el2_exception(frame: &mut Frame, kind: u64) {
    let esr = hw::el2::esr();
    let far = hw::el2::far();
    let ec = (esr >> 26) & 0x3f;
    if kind == kind::CUR_IRQ {
        super::gic::handle_irqs(kind);
        return;
    }
    let c = cpu();
    if kind == kind::CUR_SYNC && c.expect {
        c.expect = false;
        c.caught = Some(Caught {
            esr,
            elr: frame.elr,
            far,
            spsr: frame.spsr,
            kind,
        });
        if !returns_past(ec) {
            frame.elr += 4;
        }
        // Leave an illegal execution state behind (PSTATE.IL, Arm ARM
        // D1.4.4): the return goes to the next instruction at EL2.
        frame.spsr &= !(1 << 20);
        return;
    }
    if kind == kind::CUR_SYNC && ec == 0x16 {
        // HVC from EL2 with nobody below to answer it: on bare QEMU the
        // PSCI conduit is SMC, so an HVC at EL2 comes to test-l1's own
        // vector; answer as firmware would, SMCCC NOT_SUPPORTED.
        frame.x[0] = u64::MAX;
        return;
    }
    rt::println!(
        "test-l1: nested: unexpected EL2 exception kind={kind} esr={esr:#x} elr={:#x} far={far:#x} spsr={:#x}",
        frame.elr,
        frame.spsr
    );
    rt::exit::exit(3, rt::psci::Conduit::Smc);
}
