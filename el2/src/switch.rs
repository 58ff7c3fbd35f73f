//! The world switch and the EL2 vector table.
//!
//! `enter_guest(regs)` saves L0's callee-saved registers on L0's stack, points
//! TPIDR_EL2 at `regs`, loads the guest's x0-x30, ELR_EL2 and SPSR_EL2 and
//! ERETs. An exception from the guest lands in the lower-EL vectors, which
//! store the guest registers back into `*TPIDR_EL2` and return from
//! `enter_guest` with the exit kind. The EL1 system registers are a context
//! of their own ([`El1Regs`]): L0 (non-VHE EL2) never uses them, so they are
//! not switched on exits (a nested vCPU's world switch is `crate::nv`'s). Exceptions taken at EL2 itself are L0 bugs: they are reported
//! with a register dump.

use aarch64_cpu::registers::{Writeable, VBAR_EL2};
use core::arch::global_asm;

/// Guest general registers and return state; layout shared with the asm below.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct GuestRegs {
    /// x0..x30
    pub x: [u64; 31],
    /// ELR_EL2 at exit = the guest PC.
    pub pc: u64,
    /// SPSR_EL2 at exit = the guest PSTATE.
    pub pstate: u64,
    /// L0's SP while the guest runs (private to the asm).
    host_sp: u64,
}

// The offsets the asm uses (x[i] at 8*i, pc 248, pstate 256, host_sp 264).
const _: () = assert!(core::mem::offset_of!(GuestRegs, x) == 0);
const _: () = assert!(core::mem::offset_of!(GuestRegs, pc) == 248);
const _: () = assert!(core::mem::offset_of!(GuestRegs, pstate) == 256);
const _: () = assert!(core::mem::offset_of!(GuestRegs, host_sp) == 264);

/// Declares the EL1 context: the registers, their names for the
/// save/restore code, and an index type.
macro_rules! el1_context {
    ($($id:ident = $name:literal,)*) => {
        /// An EL1 system register of a guest context.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        pub enum El1 { $($id,)* }
        /// Number of registers in an EL1 context.
        pub const NR_EL1: usize = [$(El1::$id),*].len();

        /// The EL1 system registers of a guest context (the state an EL1
        /// OS keeps in system registers): a plain vCPU's out of reset,
        /// written into the hardware before its first entry.
        #[derive(Clone, Copy, Debug)]
        pub struct El1Regs(pub [u64; NR_EL1]);

        impl El1Regs {
            /// Writes them into the hardware.
            pub fn restore(&self) {
                $( rt::sysreg::write!($name, self.0[El1::$id as usize]); )*
            }
        }

        /// Reads one live register.
        pub fn read_el1(r: El1) -> u64 {
            match r { $( El1::$id => rt::sysreg::read!($name), )* }
        }
        /// Writes one live register.
        pub fn write_el1(r: El1, v: u64) {
            match r { $( El1::$id => rt::sysreg::write!($name, v), )* }
        }
    };
}

el1_context! {
    SCTLR_EL1 = "SCTLR_EL1",
    TTBR0_EL1 = "TTBR0_EL1",
    TTBR1_EL1 = "TTBR1_EL1",
    TCR_EL1 = "TCR_EL1",
    MAIR_EL1 = "MAIR_EL1",
    AMAIR_EL1 = "AMAIR_EL1",
    VBAR_EL1 = "VBAR_EL1",
    CONTEXTIDR_EL1 = "CONTEXTIDR_EL1",
    TPIDR_EL1 = "TPIDR_EL1",
    TPIDR_EL0 = "TPIDR_EL0",
    TPIDRRO_EL0 = "TPIDRRO_EL0",
    SP_EL0 = "SP_EL0",
    SP_EL1 = "SP_EL1",
    ELR_EL1 = "ELR_EL1",
    SPSR_EL1 = "SPSR_EL1",
    ESR_EL1 = "ESR_EL1",
    FAR_EL1 = "FAR_EL1",
    AFSR0_EL1 = "AFSR0_EL1",
    AFSR1_EL1 = "AFSR1_EL1",
    PAR_EL1 = "PAR_EL1",
    CPACR_EL1 = "CPACR_EL1",
    CNTKCTL_EL1 = "CNTKCTL_EL1",
    CSSELR_EL1 = "CSSELR_EL1",
    MDSCR_EL1 = "MDSCR_EL1",
    CNTV_CTL_EL0 = "CNTV_CTL_EL0",
    CNTV_CVAL_EL0 = "CNTV_CVAL_EL0",
    CNTP_CTL_EL0 = "CNTP_CTL_EL0",
    CNTP_CVAL_EL0 = "CNTP_CVAL_EL0",
}

impl El1Regs {
    /// The context of a vCPU out of reset: SCTLR_EL1 at its reset value
    /// (MMU and caches off), everything else zero.
    pub const fn reset() -> Self {
        let mut r = [0u64; NR_EL1];
        r[El1::SCTLR_EL1 as usize] = arch::regs::sctlr_el1::RESET;
        El1Regs(r)
    }
}

/// Why `enter_guest` returned (the vector that was taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum ExitKind {
    Sync = 0,
    Irq = 1,
    Fiq = 2,
    SError = 3,
}

extern "C" {
    fn __enter_guest(regs: *mut GuestRegs) -> u64;
}

/// Runs the guest until its next exception to EL2.
pub fn enter_guest(regs: &mut GuestRegs) -> ExitKind {
    // SAFETY: `regs` is a valid, exclusively borrowed GuestRegs; the asm
    // saves and restores every callee-saved register and SP, and the guest's
    // memory is isolated by stage 2.
    match unsafe { __enter_guest(regs) } {
        0 => ExitKind::Sync,
        1 => ExitKind::Irq,
        2 => ExitKind::Fiq,
        _ => ExitKind::SError,
    }
}

/// Registers saved when L0 itself faults.
#[repr(C)]
pub struct El2Frame {
    pub x: [u64; 31],
    pub kind: u64,
}

#[no_mangle]
extern "C" fn el2_fault(frame: &El2Frame) -> ! {
    let esr = rt::sysreg::read!("ESR_EL2");
    let elr = rt::sysreg::read!("ELR_EL2");
    let far = rt::sysreg::read!("FAR_EL2");
    rt::console::write_fmt_unlocked(format_args!(
        "L0| FATAL: exception at EL2 (vector {}) esr={esr:#x} elr={elr:#x} far={far:#x}\n",
        frame.kind
    ));
    for (i, r) in frame.x.iter().enumerate() {
        rt::console::write_fmt_unlocked(format_args!("L0|   x{i:<2} = {r:#018x}\n"));
    }
    crate::fail(crate::Failure::Panic)
}

// Offsets into GuestRegs: checked by the asserts after the struct.
global_asm!(
    r#"
.section .text.switch, "ax"
.global __enter_guest
__enter_guest:
    stp x29, x30, [sp, #-96]!
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    stp x23, x24, [sp, #48]
    stp x25, x26, [sp, #64]
    stp x27, x28, [sp, #80]
    mov x1, sp
    str x1, [x0, #264]
    msr tpidr_el2, x0
    ldp x1, x2, [x0, #248]
    msr elr_el2, x1
    msr spsr_el2, x2
    ldp x2, x3, [x0, #16]
    ldp x4, x5, [x0, #32]
    ldp x6, x7, [x0, #48]
    ldp x8, x9, [x0, #64]
    ldp x10, x11, [x0, #80]
    ldp x12, x13, [x0, #96]
    ldp x14, x15, [x0, #112]
    ldp x16, x17, [x0, #128]
    ldp x18, x19, [x0, #144]
    ldp x20, x21, [x0, #160]
    ldp x22, x23, [x0, #176]
    ldp x24, x25, [x0, #192]
    ldp x26, x27, [x0, #208]
    ldp x28, x29, [x0, #224]
    ldr x30, [x0, #240]
    ldp x0, x1, [x0]
    eret
    dsb nsh
    isb

// Guest exit: x0..x30 hold guest values; SP_EL2 is L0's stack.
.macro GUEST_EXIT kind
    stp x0, x1, [sp, #-16]!
    mrs x0, tpidr_el2
    stp x2, x3, [x0, #16]
    stp x4, x5, [x0, #32]
    stp x6, x7, [x0, #48]
    stp x8, x9, [x0, #64]
    stp x10, x11, [x0, #80]
    stp x12, x13, [x0, #96]
    stp x14, x15, [x0, #112]
    stp x16, x17, [x0, #128]
    stp x18, x19, [x0, #144]
    stp x20, x21, [x0, #160]
    stp x22, x23, [x0, #176]
    stp x24, x25, [x0, #192]
    stp x26, x27, [x0, #208]
    stp x28, x29, [x0, #224]
    str x30, [x0, #240]
    ldp x2, x3, [sp], #16
    stp x2, x3, [x0]
    mrs x1, elr_el2
    mrs x2, spsr_el2
    stp x1, x2, [x0, #248]
    mov x1, #\kind
    b __guest_exit_common
.endm

// L0's own fault: save x0..x30 in a frame on the stack and report.
.macro EL2_FAULT kind
    sub sp, sp, #256
    stp x0, x1, [sp, #0]
    stp x2, x3, [sp, #16]
    stp x4, x5, [sp, #32]
    stp x6, x7, [sp, #48]
    stp x8, x9, [sp, #64]
    stp x10, x11, [sp, #80]
    stp x12, x13, [sp, #96]
    stp x14, x15, [sp, #112]
    stp x16, x17, [sp, #128]
    stp x18, x19, [sp, #144]
    stp x20, x21, [sp, #160]
    stp x22, x23, [sp, #176]
    stp x24, x25, [sp, #192]
    stp x26, x27, [sp, #208]
    stp x28, x29, [sp, #224]
    mov x1, #\kind
    stp x30, x1, [sp, #240]
    mov x0, sp
    bl el2_fault
.endm

__guest_exit_common:
    ldr x2, [x0, #264]
    mov sp, x2
    mov x0, x1
    ldp x19, x20, [sp, #16]
    ldp x21, x22, [sp, #32]
    ldp x23, x24, [sp, #48]
    ldp x25, x26, [sp, #64]
    ldp x27, x28, [sp, #80]
    ldp x29, x30, [sp], #96
    ret

.section .text.vectors, "ax"
.balign 0x800
.global el2_vectors
el2_vectors:
// Current EL with SP0
.balign 0x80
    EL2_FAULT 0
.balign 0x80
    EL2_FAULT 1
.balign 0x80
    EL2_FAULT 2
.balign 0x80
    EL2_FAULT 3
// Current EL with SPx
.balign 0x80
    EL2_FAULT 4
.balign 0x80
    EL2_FAULT 5
.balign 0x80
    EL2_FAULT 6
.balign 0x80
    EL2_FAULT 7
// Lower EL, AArch64
.balign 0x80
    GUEST_EXIT 0
.balign 0x80
    GUEST_EXIT 1
.balign 0x80
    GUEST_EXIT 2
.balign 0x80
    GUEST_EXIT 3
// Lower EL, AArch32 (not supported: HCR_EL2.RW=1 makes EL1 AArch64)
.balign 0x80
    EL2_FAULT 12
.balign 0x80
    EL2_FAULT 13
.balign 0x80
    EL2_FAULT 14
.balign 0x80
    EL2_FAULT 15
"#
);

/// Installs the EL2 vector table on this CPU.
pub fn install_vectors() {
    extern "C" {
        static el2_vectors: u8;
    }
    let v = core::ptr::addr_of!(el2_vectors) as u64;
    VBAR_EL2.set(v);
    rt::sysreg::isb();
}
