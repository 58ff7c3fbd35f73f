//! The L2 guest: small position-independent programs assembled into
//! test-l1 and copied into each L2 VM's memory, plus the VM object and the
//! run loop a test hypervisor needs (load the guest's EL1 state and stage 2,
//! ERET, take the exit, hand it to the case, ERET again).
//!
//! Why embedded programs and not test-l2: every case needs a precise
//! instruction at a known place (one MMIO access of each size, one trapped
//! register, a WFI, an SMC), one image is all QEMU's guest-loader hands L0
//! for its guest, and L2's memory can then be laid out freely at IPAs that
//! differ from the PAs behind them (so an L0 that ignored L1's stage 2
//! would be seen).
//!
//! L2 memory (IPA): code at [`CODE`] (the vector table at its start, 2 KiB
//! aligned), the stack page below [`STACK_TOP`], data pages from [`DATA`].
//! The protocol with L1 is `HVC #imm`:
//! * `#0` the program is done (the run loop stops);
//! * `#1` a service call of the case (x0... arguments and results);
//! * `#0x10` L2 took a synchronous exception at its own EL1: x0 = ESR_EL1,
//!   x1 = FAR_EL1, x2 = ELR_EL1; L1 answers in x0 how many bytes to skip;
//! * `#0x20` L2 acknowledged an interrupt (x0 = ICC_IAR1_EL1), `#0x21` it
//!   completed it (ICC_EOIR1_EL1 written);
//! * `#0x30` L2 took an SError (x0 = ESR_EL1);
//! * `#0xe0`-`#0xe7` L2 took an exception it has no handler for.

use super::hw;
use super::mem::{self, Pool, S2Attr, S2};
use super::world::{self, cpu, kind};
use core::arch::global_asm;

/// IPA of L2's code (and vector table).
pub const CODE: u64 = 0x8000_0000;
/// IPA of the top of L2's stack.
pub const STACK_TOP: u64 = 0x8001_1000;
/// IPA of L2's first data page.
pub const DATA: u64 = 0x8002_0000;
/// IPA of the emulated device L1 decodes accesses to.
pub const MMIO: u64 = 0x1000_0000;
/// L2's PSTATE at entry: EL1h, D, A, I, F masked.
pub const PSTATE_EL1H: u64 = 0x3c5;

global_asm!(
    ".section .rodata.nested_l2, \"a\"",
    ".balign 4096",
    ".global nested_l2_image",
    "nested_l2_image:",
    // Vectors: EL1t (unused), EL1h sync/IRQ/FIQ/SError, lower EL (unused).
    ".irp k, 0, 1, 2, 3",
    ".balign 128",
    "hvc #0xe0",
    "b .",
    ".endr",
    ".balign 128",
    "b 10f",
    ".balign 128",
    "b 20f",
    ".balign 128",
    "hvc #0xe2",
    "b .",
    ".balign 128",
    "b 30f",
    ".irp k, 0, 1, 2, 3, 4, 5, 6, 7",
    ".balign 128",
    "hvc #0xe4",
    "b .",
    ".endr",
    // Own synchronous exception: report, skip what L1 says, return.
    "10:",
    "stp x0, x1, [sp, #-32]!",
    "str x2, [sp, #16]",
    "mrs x0, esr_el1",
    "mrs x1, far_el1",
    "mrs x2, elr_el1",
    "hvc #0x10",
    "mrs x2, elr_el1",
    "add x2, x2, x0",
    "msr elr_el1, x2",
    "ldr x2, [sp, #16]",
    "ldp x0, x1, [sp], #32",
    "eret",
    // IRQ: acknowledge, report, complete, report.
    "20:",
    "stp x0, x1, [sp, #-16]!",
    "mrs x0, S3_0_C12_C12_0", // ICC_IAR1_EL1
    "mov x1, x0",
    "hvc #0x20",
    "cmp x1, #1020",
    "b.hs 21f",
    "msr S3_0_C12_C12_1, x1", // ICC_EOIR1_EL1
    "isb",
    "mov x0, x1",
    "hvc #0x21",
    "21:",
    "ldp x0, x1, [sp], #16",
    "eret",
    // SError: report.
    "30:",
    "str x0, [sp, #-16]!",
    "mrs x0, esr_el1",
    "hvc #0x30",
    "ldr x0, [sp], #16",
    "eret",
    ".balign 2048",
    // ---- programs ----
    ".global nested_l2_done",
    "nested_l2_done:",
    "hvc #0",
    "b nested_l2_done",
    // x1..x30 += 1, x0 = 0x600d.
    ".global nested_l2_regs",
    "nested_l2_regs:",
    ".irp r, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30",
    "add x\\r, x\\r, #1",
    ".endr",
    "mov x0, #0x600d",
    "b nested_l2_done",
    // x1 = count: hvc #1 with x0 = i, expect x0 = i + 1; x0 = matches.
    ".global nested_l2_hvcloop",
    "nested_l2_hvcloop:",
    "mov x2, #0",
    "mov x3, #0",
    "1: mov x0, x2",
    "hvc #1",
    "add x4, x2, #1",
    "cmp x0, x4",
    "cinc x3, x3, eq",
    "mov x2, x4",
    "cmp x2, x1",
    "b.lo 1b",
    "mov x0, x3",
    "b nested_l2_done",
    // ldr x0, [x1].
    ".global nested_l2_load",
    "nested_l2_load:",
    "ldr x0, [x1]",
    "b nested_l2_done",
    // x2 times: ldr x0, [x1]; hvc #1 (report).
    ".global nested_l2_loadloop",
    "nested_l2_loadloop:",
    "1: ldr x0, [x1]",
    "hvc #1",
    "subs x2, x2, #1",
    "b.ne 1b",
    "b nested_l2_done",
    // str x2, [x1]; ldr x0, [x1].
    ".global nested_l2_store",
    "nested_l2_store:",
    "str x2, [x1]",
    "ldr x0, [x1]",
    "b nested_l2_done",
    // x3 loads at x1 + i * x2: x0 = sum of the words read.
    ".global nested_l2_pages",
    "nested_l2_pages:",
    "mov x0, #0",
    "1: ldr x4, [x1]",
    "add x0, x0, x4",
    "add x1, x1, x2",
    "subs x3, x3, #1",
    "b.ne 1b",
    "b nested_l2_done",
    // blr x1.
    ".global nested_l2_call",
    "nested_l2_call:",
    "blr x1",
    "b nested_l2_done",
    // One MMIO access of every size and kind at x1 (see cases).
    ".global nested_l2_mmio",
    "nested_l2_mmio:",
    "ldrb w2, [x1]",
    "ldrh w3, [x1, #2]",
    "ldr w4, [x1, #4]",
    "ldr x5, [x1, #8]",
    "ldrsb x6, [x1, #1]",
    "ldrsh w7, [x1, #2]",
    "ldrsw x8, [x1, #4]",
    "strb w9, [x1, #16]",
    "strh w10, [x1, #18]",
    "str w11, [x1, #20]",
    "str x12, [x1, #24]",
    "str xzr, [x1, #32]",
    "ldr x20, [x1, #40]",
    "b nested_l2_done",
    // x2 times: ldr x0, [x1] (MMIO loop for the cost measurement).
    ".global nested_l2_mmioloop",
    "nested_l2_mmioloop:",
    "mov x3, #0",
    "1: ldr w0, [x1]",
    "add x3, x3, x0",
    "subs x2, x2, #1",
    "b.ne 1b",
    "mov x0, x3",
    "b nested_l2_done",
    // ldp: no instruction syndrome (ISV = 0).
    ".global nested_l2_ldp",
    "nested_l2_ldp:",
    "ldp x2, x3, [x1]",
    "b nested_l2_done",
    ".global nested_l2_wfi",
    "nested_l2_wfi:",
    "wfi",
    "b nested_l2_done",
    ".global nested_l2_smc",
    "nested_l2_smc:",
    "smc #0x42",
    "b nested_l2_done",
    ".global nested_l2_svc",
    "nested_l2_svc:",
    "svc #0x77",
    "b nested_l2_done",
    // TVM: write SCTLR_EL1 (trapped), read it back (not trapped).
    ".global nested_l2_tvm",
    "nested_l2_tvm:",
    "msr sctlr_el1, x1",
    "mrs x0, sctlr_el1",
    "b nested_l2_done",
    ".global nested_l2_tid3",
    "nested_l2_tid3:",
    "mrs x5, id_aa64mmfr0_el1",
    "b nested_l2_done",
    ".global nested_l2_tpidr",
    "nested_l2_tpidr:",
    "mrs x6, tpidr_el1",
    "b nested_l2_done",
    ".global nested_l2_ctxid",
    "nested_l2_ctxid:",
    "msr contextidr_el1, x7",
    "b nested_l2_done",
    ".global nested_l2_tlbi",
    "nested_l2_tlbi:",
    "tlbi vmalle1",
    "b nested_l2_done",
    ".global nested_l2_mdscr",
    "nested_l2_mdscr:",
    "mrs x8, mdscr_el1",
    "b nested_l2_done",
    ".global nested_l2_fp",
    "nested_l2_fp:",
    ".inst 0x9e670020", // fmov d0, x1
    "b nested_l2_done",
    ".global nested_l2_allint",
    "nested_l2_allint:",
    "msr S3_0_C4_C3_0, x9", // MSR ALLINT, x9
    "b nested_l2_done",
    ".global nested_l2_tcr2",
    "nested_l2_tcr2:",
    "mrs x9, S3_0_C2_C0_3", // TCR2_EL1
    "b nested_l2_done",
    // Reads its EL1 state into x1-x17.
    ".global nested_l2_readregs",
    "nested_l2_readregs:",
    "mrs x1, sctlr_el1",
    "mrs x2, tcr_el1",
    "mrs x3, ttbr0_el1",
    "mrs x4, ttbr1_el1",
    "mrs x5, mair_el1",
    "mrs x6, amair_el1",
    "mrs x7, vbar_el1",
    "mrs x8, contextidr_el1",
    "mrs x9, tpidr_el1",
    "mrs x10, cpacr_el1",
    "mrs x11, elr_el1",
    "mrs x12, spsr_el1",
    "mrs x13, esr_el1",
    "mrs x14, far_el1",
    "mrs x15, afsr0_el1",
    "mov x16, sp",
    "mrs x17, cntkctl_el1",
    "b nested_l2_done",
    // Writes x1-x15 into its EL1 state (the inverse of readregs; not
    // SCTLR, VBAR, CPACR, which it runs on).
    ".global nested_l2_writeregs",
    "nested_l2_writeregs:",
    "msr tcr_el1, x2",
    "msr ttbr0_el1, x3",
    "msr ttbr1_el1, x4",
    "msr mair_el1, x5",
    "msr amair_el1, x6",
    "msr contextidr_el1, x8",
    "msr tpidr_el1, x9",
    "msr elr_el1, x11",
    "msr spsr_el1, x12",
    "msr esr_el1, x13",
    "msr far_el1, x14",
    "msr afsr0_el1, x15",
    "msr cntkctl_el1, x17",
    "isb",
    "b nested_l2_done",
    // Virtual timer under CNTVOFF: x2 = CNTPCT, x3 = CNTVCT, x4 = CNTPCT;
    // CVAL = x3 + 0x800, enable, poll ISTATUS (x7 tries); x6 = CTL,
    // x8 = CNTVCT after, x9 = TVAL after, x7 = tries left.
    ".global nested_l2_vtimer",
    "nested_l2_vtimer:",
    "isb",
    "mrs x2, cntpct_el0",
    "isb",
    "mrs x3, cntvct_el0",
    "isb",
    "mrs x4, cntpct_el0",
    "add x5, x3, #0x800",
    "msr cntv_cval_el0, x5",
    "mov x6, #1",
    "msr cntv_ctl_el0, x6",
    "isb",
    "mov x7, #0x100000",
    "1: mrs x6, cntv_ctl_el0",
    "tbnz x6, #2, 2f",
    "subs x7, x7, #1",
    "b.ne 1b",
    "2: isb",
    "mrs x8, cntvct_el0",
    "mrs x9, cntv_tval_el0",
    "b nested_l2_done",
    // Opens the virtual CPU interface (PMR 0xff, group 1 on), unmasks IRQs
    // and spins x1 times; the vector reports interrupts.
    ".global nested_l2_irqwait",
    "nested_l2_irqwait:",
    "mov x0, #0xff",
    "msr S3_0_C4_C6_0, x0", // ICC_PMR_EL1
    "mov x0, #1",
    "msr S3_0_C12_C12_7, x0", // ICC_IGRPEN1_EL1
    "isb",
    "msr daifclr, #2",
    "1: subs x1, x1, #1",
    "b.ne 1b",
    "msr daifset, #2",
    "b nested_l2_done",
    // Polls ICC_IAR1_EL1 (IRQs masked) into x3, then completes INTID x2
    // (which no LR holds: EOIcount), spins x1 times.
    ".global nested_l2_lrenp",
    "nested_l2_lrenp:",
    "mov x0, #0xff",
    "msr S3_0_C4_C6_0, x0",
    "mov x0, #1",
    "msr S3_0_C12_C12_7, x0",
    "isb",
    "mrs x3, S3_0_C12_C12_0",
    "msr S3_0_C12_C12_1, x2",
    "isb",
    "1: subs x1, x1, #1",
    "b.ne 1b",
    "mov x0, x3",
    "b nested_l2_done",
    // ICC_IGRPEN1_EL1 = x2, then spins x1 times.
    ".global nested_l2_igrpen",
    "nested_l2_igrpen:",
    "msr S3_0_C12_C12_7, x2",
    "isb",
    "1: subs x1, x1, #1",
    "b.ne 1b",
    "b nested_l2_done",
    // Spins x1 times.
    ".global nested_l2_spin",
    "nested_l2_spin:",
    "1: subs x1, x1, #1",
    "b.ne 1b",
    "b nested_l2_done",
    ".global nested_l2_end",
    "nested_l2_end:",
);

macro_rules! progs {
    ($($name:ident = $sym:ident;)*) => {
        extern "C" {
            static nested_l2_image: u8;
            static nested_l2_end: u8;
            $(static $sym: u8;)*
        }
        /// L2 programs (IPA entry points once copied to [`CODE`]).
        #[allow(dead_code)]
        pub mod prog {
            $(
                #[doc = concat!("The `", stringify!($sym), "` program.")]
                pub fn $name() -> u64 {
                    super::CODE + (core::ptr::addr_of!(super::$sym) as u64
                        - core::ptr::addr_of!(super::nested_l2_image) as u64)
                }
            )*
        }
    };
}

progs! {
    done = nested_l2_done;
    regs = nested_l2_regs;
    hvcloop = nested_l2_hvcloop;
    load = nested_l2_load;
    loadloop = nested_l2_loadloop;
    store = nested_l2_store;
    pages = nested_l2_pages;
    call = nested_l2_call;
    mmio = nested_l2_mmio;
    mmioloop = nested_l2_mmioloop;
    ldp = nested_l2_ldp;
    wfi = nested_l2_wfi;
    smc = nested_l2_smc;
    svc = nested_l2_svc;
    tvm = nested_l2_tvm;
    tid3 = nested_l2_tid3;
    tpidr = nested_l2_tpidr;
    ctxid = nested_l2_ctxid;
    tlbi = nested_l2_tlbi;
    mdscr = nested_l2_mdscr;
    fp = nested_l2_fp;
    tcr2 = nested_l2_tcr2;
    allint = nested_l2_allint;
    readregs = nested_l2_readregs;
    writeregs = nested_l2_writeregs;
    vtimer = nested_l2_vtimer;
    irqwait = nested_l2_irqwait;
    lrenp = nested_l2_lrenp;
    igrpen = nested_l2_igrpen;
    spin = nested_l2_spin;
}

/// The image (start address in test-l1, length).
fn image() -> (u64, u64) {
    let s = core::ptr::addr_of!(nested_l2_image) as u64;
    let e = core::ptr::addr_of!(nested_l2_end) as u64;
    (s, e - s)
}

/// L2's EL1 system registers, kept while another VM runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct El1 {
    pub sctlr: u64,
    pub tcr: u64,
    pub ttbr0: u64,
    pub ttbr1: u64,
    pub mair: u64,
    pub amair: u64,
    pub vbar: u64,
    pub contextidr: u64,
    pub tpidr: u64,
    pub cpacr: u64,
    pub elr: u64,
    pub spsr: u64,
    pub esr: u64,
    pub far: u64,
    pub afsr0: u64,
    pub sp: u64,
    pub cntkctl: u64,
}

impl El1 {
    /// An L2 at reset as the suite starts it: MMU off, its vectors at
    /// [`CODE`], FP/SVE enabled at EL1 (so that only L1's CPTR_EL2 can
    /// trap them), its stack at [`STACK_TOP`].
    pub fn initial() -> El1 {
        El1 {
            sctlr: 0x30d0_0800,
            vbar: CODE,
            cpacr: (3 << 20) | (3 << 16),
            sp: STACK_TOP,
            mair: mem::MAIR,
            ..El1::default()
        }
    }
    /// Writes this state into the EL1 registers (through `*_EL12` with E2H).
    pub fn load(&self) {
        use hw::el1::*;
        set_sctlr(self.sctlr);
        set_tcr(self.tcr);
        set_ttbr0(self.ttbr0);
        set_ttbr1(self.ttbr1);
        set_mair(self.mair);
        set_amair(self.amair);
        set_vbar(self.vbar);
        set_contextidr(self.contextidr);
        set_tpidr(self.tpidr);
        set_cpacr(self.cpacr);
        set_elr(self.elr);
        set_spsr(self.spsr);
        set_esr(self.esr);
        set_far(self.far);
        set_afsr0(self.afsr0);
        set_sp(self.sp);
        set_cntkctl(self.cntkctl);
        rt::sysreg::isb();
    }
    /// Reads the EL1 registers.
    pub fn save() -> El1 {
        use hw::el1::*;
        El1 {
            sctlr: sctlr(),
            tcr: tcr(),
            ttbr0: ttbr0(),
            ttbr1: ttbr1(),
            mair: mair(),
            amair: amair(),
            vbar: vbar(),
            contextidr: contextidr(),
            tpidr: tpidr(),
            cpacr: cpacr(),
            elr: elr(),
            spsr: spsr(),
            esr: esr(),
            far: far(),
            afsr0: afsr0(),
            sp: sp(),
            cntkctl: cntkctl(),
        }
    }
}

/// HCR_EL2 bits every VM runs with: VM (stage 2), RW (EL1 is AArch64),
/// IMO/FMO/AMO (physical interrupts to EL2, virtual ones to L2), and E2H in
/// the VHE mode (TGE stays 0: L1 has no EL0 host) (Arm ARM D24.2, HCR_EL2).
pub fn base_hcr() -> u64 {
    let e2h = if hw::vhe() { 1 << 34 } else { 0 };
    1 | (1 << 31) | (1 << 3) | (1 << 4) | (1 << 5) | e2h
}

/// What the run loop hands a case at each exit.
pub struct Exit<'a> {
    /// The vCPU context (x0-x30, pc, pstate, esr, far, kind).
    pub ctx: &'a mut world::Ctx,
}

impl Exit<'_> {
    /// ESR_EL2.EC.
    pub fn ec(&self) -> u64 {
        (self.ctx.esr >> 26) & 0x3f
    }
    /// ESR_EL2.ISS.
    pub fn iss(&self) -> u64 {
        self.ctx.esr & 0x1ff_ffff
    }
    /// Synchronous exit.
    pub fn is_sync(&self) -> bool {
        self.ctx.kind == kind::SYNC
    }
    /// IRQ exit (already handled by [`super::gic::handle_irqs`]).
    pub fn is_irq(&self) -> bool {
        self.ctx.kind == kind::IRQ
    }
    /// The immediate of an HVC exit, if this is one.
    pub fn hvc(&self) -> Option<u16> {
        (self.is_sync() && self.ec() == 0x16).then_some((self.ctx.esr & 0xffff) as u16)
    }
    /// HPFAR_EL2, read now (valid for the exit being handled).
    pub fn hpfar(&self) -> u64 {
        hw::el2::hpfar()
    }
    /// The faulting IPA of a stage-2 abort (HPFAR_EL2 and FAR_EL2).
    pub fn fault_ipa(&self) -> u64 {
        ((self.hpfar() & 0x0000_ffff_ffff_fff0) << 8) | (self.ctx.far & 0xfff)
    }
    /// Resumes at the next instruction.
    pub fn skip(&mut self) {
        self.ctx.pc += 4;
    }
    /// Register `n` (31 reads as zero, as for XZR).
    pub fn reg(&self, n: usize) -> u64 {
        if n < 31 {
            self.ctx.x[n]
        } else {
            0
        }
    }
    /// Sets register `n` (31 is ignored, as for XZR).
    pub fn set_reg(&mut self, n: usize, v: u64) {
        if n < 31 {
            self.ctx.x[n] = v;
        }
    }
}

/// What the case wants after an exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// ERET back into L2.
    Resume,
    /// Stop running; `run` returns.
    Stop,
}

/// Why `run` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The case said stop (after this many exits).
    Stopped(u64),
    /// The exit budget ran out (L2 looping, or a case bug).
    Budget,
    /// No end within [`WATCHDOG_S`] seconds.
    Watchdog,
}

/// Longest an L2 run may take before the watchdog (the EL2 virtual timer,
/// CNTHV, armed by [`Vm::run`]) ends it: a broken L0 (or L1) may leave L2
/// looping without exits, e.g. in a fault on its own vector table.
pub const WATCHDOG_S: u64 = 20;

static NEXT_VM: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);

/// An L2 VM: its stage 2 (own VMID), HCR_EL2, EL1 state and memory.
pub struct Vm {
    /// Unique id (which VM's EL1 state is loaded).
    pub id: u64,
    /// VMID (VTTBR_EL2[63:48]).
    pub vmid: u16,
    /// Stage 2.
    pub s2: S2,
    /// HCR_EL2 while this VM runs.
    pub hcr: u64,
    /// VTCR_EL2 while this VM runs.
    pub vtcr: u64,
    /// EL1 state.
    pub el1: El1,
    /// PA of L2's code page(s).
    pub code_pa: u64,
    /// PA behind [`DATA`] (4 pages).
    pub data_pa: u64,
    /// The EL1 state last written to (or read from) the registers.
    loaded_el1: El1,
}

/// Number of data pages every VM gets at [`DATA`].
pub const DATA_PAGES: u64 = 4;

impl Vm {
    /// A VM with L2's code, stack and data pages mapped (code RX, stack and
    /// data RW), stage-2 tables from `s2pool`, memory from `mempool`.
    pub fn new(vmid: u16, s2pool: &mut Pool, mempool: &mut Pool, vmid16: bool) -> Vm {
        let (img, len) = image();
        let pages = len.div_ceil(4096);
        let code_pa = mempool.pages(pages);
        for i in 0..len.div_ceil(8) {
            mem::put(code_pa + 8 * i, mem::get(img + 8 * i));
        }
        hw::sync_range(code_pa, pages * 4096);
        let stack_pa = mempool.page();
        let data_pa = mempool.pages(DATA_PAGES);
        hw::sync_range(data_pa, DATA_PAGES * 4096);
        let s2 = S2::new(s2pool);
        s2.map(s2pool, CODE, code_pa, pages * 4096, S2Attr::RX);
        s2.map(s2pool, STACK_TOP - 4096, stack_pa, 4096, S2Attr::RW);
        s2.map(s2pool, DATA, data_pa, DATA_PAGES * 4096, S2Attr::RW);
        let mut vm = Vm {
            id: NEXT_VM.fetch_add(1, core::sync::atomic::Ordering::Relaxed),
            vmid,
            s2,
            hcr: base_hcr(),
            vtcr: mem::vtcr(vmid16),
            el1: El1::initial(),
            code_pa,
            data_pa,
            loaded_el1: El1::default(),
        };
        vm.activate();
        // A VMID may have been used by an earlier case with other tables.
        // SAFETY: TLB maintenance for this VMID (VTTBR_EL2 just written).
        unsafe {
            core::arch::asm!(
                "dsb ishst",
                "tlbi vmalls12e1is",
                "dsb ish",
                "isb",
                options(nostack)
            )
        };
        vm
    }

    /// VTTBR_EL2 of this VM.
    pub fn vttbr(&self) -> u64 {
        self.s2.vttbr(self.vmid)
    }

    /// Makes this VM's stage 2 and traps current (VTTBR, VTCR, HCR) and,
    /// if another VM's (or none) was loaded or the case changed `el1`, its
    /// EL1 state.
    pub fn activate(&mut self) {
        hw::el2::set_vtcr(self.vtcr);
        hw::el2::set_vttbr(self.vttbr());
        hw::el2::set_hcr(self.hcr);
        let c = cpu();
        if c.loaded != self.id || self.loaded_el1 != self.el1 {
            self.el1.load();
            self.loaded_el1 = self.el1;
            c.loaded = self.id;
        }
        rt::sysreg::isb();
    }

    /// Runs L2 at `pc` with x0.. = `args` and PSTATE `pstate`, calling `f`
    /// at each exit (interrupts already acknowledged) until it says stop or
    /// `budget` exits pass. The EL1 state is saved into `self.el1` after.
    pub fn run(
        &mut self,
        pc: u64,
        args: &[u64],
        pstate: u64,
        budget: u64,
        mut f: impl FnMut(&mut Exit) -> Step,
    ) -> End {
        self.activate();
        let c = cpu();
        c.ctx.x = [0; 31];
        for (i, a) in args.iter().enumerate().take(31) {
            c.ctx.x[i] = *a;
        }
        c.ctx.pc = pc;
        c.ctx.pstate = pstate;
        let dog = c.irqs[super::gic::intid::HVTIMER as usize];
        // CVAL, not TVAL: TVAL is a signed 32-bit count, which at QEMU's
        // 1 GHz counter is about 2 s (CNTHV compares with the physical count).
        hw::el2::set_cnthv_cval(hw::cntpct() + WATCHDOG_S * hw::cntfrq());
        hw::el2::set_cnthv_ctl(1);
        rt::sysreg::isb();
        let mut exits = 0;
        let end = loop {
            let k = world::enter();
            exits += 1;
            if k == kind::IRQ {
                super::gic::handle_irqs(k);
                if cpu().irqs[super::gic::intid::HVTIMER as usize] != dog {
                    break End::Watchdog;
                }
            }
            let c = cpu();
            let mut x = Exit { ctx: &mut c.ctx };
            if f(&mut x) == Step::Stop {
                break End::Stopped(exits);
            }
            if exits >= budget {
                break End::Budget;
            }
        };
        hw::el2::set_cnthv_ctl(0);
        rt::sysreg::isb();
        self.el1 = El1::save();
        self.loaded_el1 = self.el1;
        end
    }

    /// Runs L2 at `pc` until `HVC #0`, resuming after IRQ exits and
    /// stopping at anything else; returns the last exit's ESR and x0.
    pub fn run_simple(&mut self, pc: u64, args: &[u64]) -> (End, u64, u64) {
        let mut esr = 0;
        let mut x0 = 0;
        let end = self.run(pc, args, PSTATE_EL1H, 1000, |x| {
            if x.is_irq() {
                return Step::Resume;
            }
            esr = x.ctx.esr;
            x0 = x.ctx.x[0];
            Step::Stop
        });
        (end, esr, x0)
    }
}

/// Default answer to L2's own-exception report (`HVC #0x10`): skip the
/// faulting instruction unless the ESR_EL1 says the return address is
/// already past it (SVC, HVC).
pub fn own_exception_skip(esr_el1: u64) -> u64 {
    if matches!((esr_el1 >> 26) & 0x3f, 0x15 | 0x16) {
        0
    } else {
        4
    }
}
