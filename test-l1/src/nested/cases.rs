//! The functional cases: world switch, hypercalls, stage-2 faults and MMIO
//! emulation from the syndrome, coarse and fine-grained traps, AT, TLBI,
//! VMIDs, L2's EL1 state, exceptions at EL2 itself, illegal returns, and
//! the cost loops. Each case says in its doc what it relies on.

use super::l2::{self, prog, Exit, Step, Vm, CODE, DATA, MMIO, PSTATE_EL1H};
use super::mem::{self, S2Attr};
use super::world::{self, Caught};
use super::{hw, skip, verdict, Case, Suite, Verdict};
use core::fmt::Write;
use fgt::bits::{hdfgrtr, hfgitr, hfgrtr, hfgwtr, untrapped, FgtReg};

/// A placeholder (never in a list).
pub fn nothing(_: &mut Suite) -> Verdict {
    verdict!(false, "placeholder")
}

/// ESR_EL2.EC values.
const EC_SMC: u64 = 0x17;
const EC_SYS: u64 = 0x18;
const EC_IABT: u64 = 0x20;
const EC_DABT: u64 = 0x24;
/// ESR_ELx.IL (32-bit instruction).
const IL: u64 = 1 << 25;

/// The ESR_EL2 of a trapped MSR/MRS (EC 0x18): ISS = Op0, Op2, Op1, CRn,
/// Rt, CRm, Direction (Arm ARM D24.2, ESR_EL2, ISS encoding for EC 0x18).
pub fn sysreg_esr(op0: u64, op1: u64, crn: u64, crm: u64, op2: u64, rt: u64, read: bool) -> u64 {
    (EC_SYS << 26)
        | IL
        | (op0 << 20)
        | (op2 << 17)
        | (op1 << 14)
        | (crn << 10)
        | (rt << 5)
        | (crm << 1)
        | u64::from(read)
}

pub const CASES: &[Case] = &[
    ("el2-state", el2_state),
    ("at-s1e2r", at_s1e2r),
    ("eret-l2", eret_l2),
    ("l2-hvc", l2_hvc),
    ("l2-el1-state", l2_el1_state),
    ("l2-own-exception", l2_own_exception),
    ("l2-s2-fault-demand", s2_fault_demand),
    ("l2-s2-perm-write", s2_perm_write),
    ("l2-s2-perm-exec", s2_perm_exec),
    ("l2-s1ptw-fault", s1ptw_fault),
    ("at-s12e1r", at_s12e1r),
    ("l2-mmio", l2_mmio),
    ("l2-mmio-isv0", l2_mmio_isv0),
    ("trap-none", trap_none),
    ("trap-hcr-tvm", trap_tvm),
    ("trap-hcr-tid3", trap_tid3),
    ("trap-hcr-twi", trap_twi),
    ("trap-hcr-tsc", trap_tsc),
    ("trap-hfgrtr-tpidr", trap_hfgrtr),
    ("trap-hfgwtr-contextidr", trap_hfgwtr),
    ("trap-hfgitr-tlbi", trap_hfgitr),
    ("trap-hdfgrtr-mdscr", trap_hdfgrtr),
    ("trap-mdcr-tda", trap_tda),
    ("trap-cptr-fp", trap_fp),
    ("trap-hcrx", trap_hcrx),
    ("tlbi-remap", tlbi_remap),
    ("tlbi-ipa-scope", tlbi_ipa_scope),
    ("vmid-alternate", vmid_alternate),
    ("el2-undef", el2_undef),
    ("el2-dabt", el2_dabt),
    ("el2-svc", el2_svc),
    ("el2-brk", el2_brk),
    ("eret-el2", eret_el2),
    ("eret-illegal-el3", eret_illegal_el3),
    ("eret-illegal-reserved", eret_illegal_reserved),
    ("eret-illegal-aarch32", eret_illegal_aarch32),
    ("cost-hvc", cost_hvc),
    ("cost-mmio", cost_mmio),
    ("cost-s2fault", cost_s2fault),
];
pub const N: usize = CASES.len();

/// CurrentEL is 2 and HCR_EL2.E2H is the mode's; with E2H = 1 a write
/// through the SCTLR_EL1 encoding lands in SCTLR_EL2 (redirection, Arm ARM
/// D8.11.2) and the SCTLR_EL12 encoding reaches the real SCTLR_EL1.
fn el2_state(_: &mut Suite) -> Verdict {
    let el = rt::current_el();
    let e2h = hw::el2::hcr() >> 34 & 1;
    let want_e2h = u64::from(hw::vhe());
    let mut redirect = true;
    if hw::vhe() {
        let s2 = rt::sysreg::read!("S3_4_C1_C0_0");
        let via_el1 = rt::sysreg::read!("S3_0_C1_C0_0");
        let el1 = hw::el1::sctlr();
        // TPIDR_EL1 is not redirected: the EL1 and EL12 views agree.
        let old = hw::el1::contextidr();
        hw::el1::set_contextidr(0x5a);
        rt::sysreg::isb();
        let back = rt::sysreg::read!("S3_5_C13_C0_1");
        let mine = rt::sysreg::read!("S3_0_C13_C0_1");
        hw::el1::set_contextidr(old);
        redirect = s2 == via_el1 && s2 & 1 == 1 && back == 0x5a && mine != 0x5a && el1 != s2;
    }
    verdict!(
        el == 2 && e2h == want_e2h && redirect,
        "el={el} e2h={e2h} redirection {}",
        if !hw::vhe() {
            "n/a"
        } else if redirect {
            "ok"
        } else {
            "BAD"
        }
    )
}

/// Executes `AT S1E2R` on `va`; returns PAR_EL1.
fn at_s1e2r_op(va: u64) -> u64 {
    // SAFETY: address translation only writes PAR_EL1.
    unsafe { core::arch::asm!("at s1e2r, {}", "isb", in(reg) va, options(nostack)) };
    hw::el1::par()
}

/// AT S1E2R in test-l1's own EL2 regime (MMU on, 1 GiB blocks): a RAM VA
/// translates to itself with attr 0xff, inner shareable; the hole gives a
/// level-1 translation fault (PAR_EL1.FST = 0b000101) (Arm ARM D24.2,
/// PAR_EL1; C5.5, AT S1E2R).
fn at_s1e2r(_: &mut Suite) -> Verdict {
    let va = mem::EL2_TABLES + 0x123;
    let ok_par = at_s1e2r_op(va);
    let bad_par = at_s1e2r_op(mem::EL2_HOLE);
    let pa_ok = ok_par & 1 == 0 && (ok_par & 0x000f_ffff_ffff_f000) == (va & !0xfff);
    let attr_ok = ok_par >> 56 == 0xff && (ok_par >> 7) & 3 == 3;
    let fault_ok = bad_par & 1 == 1 && (bad_par >> 1) & 0x3f == 0x05;
    verdict!(
        pa_ok && attr_ok && fault_ok,
        "par(ram)={ok_par:#x} par(hole)={bad_par:#x}"
    )
}

/// ERET into L2 and back: all of x1-x30 survive both ways (L2 adds one to
/// each), ELR_EL2 is past the HVC, SPSR_EL2 is L2's PSTATE (EL1h, DAIF as
/// entered), ESR_EL2 is HVC64 #0 (0x5a000000).
fn eret_l2(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let mut args = [0u64; 31];
    for (i, a) in args.iter_mut().enumerate() {
        *a = 0x1111_0000_0000_0000 | (i as u64) << 32 | i as u64;
    }
    let mut esr = 0;
    let mut ok_regs = 0;
    let mut pc = 0;
    let mut pstate = 0;
    let mut exits = 0;
    vm.run(prog::regs(), &args, PSTATE_EL1H, 10, |x| {
        exits += 1;
        esr = x.ctx.esr;
        pc = x.ctx.pc;
        pstate = x.ctx.pstate;
        ok_regs = (1..31).filter(|&i| x.ctx.x[i] == args[i] + 1).count()
            + usize::from(x.ctx.x[0] == 0x600d);
        Step::Stop
    });
    let want_pc = prog::done() + 4;
    verdict!(
        esr == 0x5a00_0000 && ok_regs == 31 && pc == want_pc && pstate == PSTATE_EL1H && exits == 1,
        "esr={esr:#x} regs {ok_regs}/31 elr {} spsr={pstate:#x}",
        if pc == want_pc { "past hvc" } else { "BAD" }
    )
}

/// 100 hypercalls (HVC #1) from L2 answered by L1 (x0 + 1), then HVC #0:
/// each exit is EC 0x16 with the immediate, L2 checks every answer.
fn l2_hvc(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let mut calls = 0;
    let mut bad = 0;
    let mut result = 0;
    let end = vm.run(prog::hvcloop(), &[0, 100], PSTATE_EL1H, 200, |x| {
        match x.hvc() {
            Some(1) => {
                calls += 1;
                if x.ctx.esr != 0x5a00_0001 {
                    bad += 1;
                }
                x.ctx.x[0] += 1;
                Step::Resume
            }
            Some(0) => {
                result = x.ctx.x[0];
                Step::Stop
            }
            _ if x.is_irq() => Step::Resume,
            _ => {
                bad += 1;
                Step::Stop
            }
        }
    });
    verdict!(
        calls == 100 && bad == 0 && result == 100 && matches!(end, l2::End::Stopped(_)),
        "{calls} hypercalls, {result} answers checked by L2, {bad} bad exits"
    )
}

/// L2's EL1 registers as L1 sets them (through `*_EL12` with E2H, the EL1
/// encodings without) are what L2 reads, and what L2 writes is what L1
/// reads back: 17 registers one way, 13 the other.
fn l2_el1_state(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let e = &mut vm.el1;
    e.tcr = 0x0000_0002_b519_3519;
    e.ttbr0 = 0x0001_0000_8765_4000;
    e.ttbr1 = 0x0002_0000_1234_5000;
    e.mair = 0x0044_ff04_00bb_44ff;
    e.amair = 0;
    e.contextidr = 0x1234_5678;
    e.tpidr = 0xfeed_face_cafe_beef;
    e.elr = 0x8000_1234;
    e.spsr = 0x3c5;
    e.esr = 0x9600_0047;
    e.far = 0xdead_0000;
    e.afsr0 = 0;
    e.cntkctl = 0x3;
    let want = [
        e.sctlr,
        e.tcr,
        e.ttbr0,
        e.ttbr1,
        e.mair,
        e.amair,
        e.vbar,
        e.contextidr,
        e.tpidr,
        e.cpacr,
        e.elr,
        e.spsr,
        e.esr,
        e.far,
        e.afsr0,
        e.sp,
        e.cntkctl,
    ];
    let mut got = [0u64; 17];
    vm.run(prog::readregs(), &[], PSTATE_EL1H, 10, |x| {
        got.copy_from_slice(&x.ctx.x[1..18]);
        Step::Stop
    });
    let down = (0..17).filter(|&i| got[i] == want[i]).count();
    let first_bad = (0..17).find(|&i| got[i] != want[i]);
    // The other way: L2 writes, L1 reads after the exit.
    let mut args = [0u64; 18];
    args[2] = 0x0000_0002_b519_3510;
    args[3] = 0x0003_0000_4444_0000;
    args[4] = 0x0004_0000_5555_0000;
    args[5] = 0x00ff_0044_0400_ff44;
    args[6] = 0;
    args[8] = 0x0000_0000_0bad_cafe;
    args[9] = 0x0123_4567_89ab_cdef;
    args[11] = 0x8000_4321;
    args[12] = 0x3c4;
    args[13] = 0x5600_0001;
    args[14] = 0x0000_0000_0000_1230;
    args[15] = 0;
    args[17] = 0x2;
    vm.run(prog::writeregs(), &args, PSTATE_EL1H, 10, |_| Step::Stop);
    let e = vm.el1;
    let back = [
        (e.tcr, args[2]),
        (e.ttbr0, args[3]),
        (e.ttbr1, args[4]),
        (e.mair, args[5]),
        (e.amair, args[6]),
        (e.contextidr, args[8]),
        (e.tpidr, args[9]),
        (e.elr, args[11]),
        (e.spsr, args[12]),
        (e.esr, args[13]),
        (e.far, args[14]),
        (e.afsr0, args[15]),
        (e.cntkctl, args[17]),
    ];
    let up = back.iter().filter(|(a, b)| a == b).count();
    let mut d = super::Line::new();
    if let Some(i) = first_bad {
        let _ = write!(
            d,
            " (first bad L1->L2: #{i} got {:#x} want {:#x})",
            got[i], want[i]
        );
    }
    verdict!(
        down == 17 && up == 13,
        "L1->L2 {down}/17, L2->L1 {up}/13{}",
        d.as_str()
    )
}

/// An SVC in L2 goes to L2's own EL1 vector, not to L1: the first exit is
/// L2's report (HVC #0x10) with ESR_EL1 = SVC64 #0x77 (0x56000077).
fn l2_own_exception(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let mut first = None;
    let mut done = false;
    vm.run(prog::svc(), &[], PSTATE_EL1H, 10, |x| match x.hvc() {
        Some(0x10) => {
            first.get_or_insert(x.ctx.x[0]);
            x.ctx.x[0] = l2::own_exception_skip(x.ctx.x[0]);
            Step::Resume
        }
        Some(0) => {
            done = true;
            Step::Stop
        }
        _ => {
            first.get_or_insert(u64::MAX);
            Step::Stop
        }
    });
    let esr = first.unwrap_or(0);
    verdict!(
        esr == 0x5600_0077 && done,
        "esr_el1={esr:#x} continued {done}"
    )
}

/// Where the demand-paging cases put their pages.
const DEMAND: u64 = 0x9000_0000;

/// A stage-2 data abort's syndrome checks for a load by `ldr` of a 64-bit
/// register: EC 0x24, IL, ISV with SAS = 3, SF, WnR as given, and the
/// DFSC (Arm ARM D24.2, ESR_EL2 ISS encoding for data aborts).
fn dabt_ok(x: &Exit, ipa: u64, dfsc: u64, write: bool) -> bool {
    let iss = x.iss();
    x.ec() == EC_DABT
        && x.ctx.esr & IL != 0
        && iss & 0x3f == dfsc
        && (iss >> 6) & 1 == u64::from(write)
        && (iss >> 24) & 1 == 1
        && x.fault_ipa() == ipa
        && x.ctx.far == ipa
}

/// L2 reads 8 pages nobody mapped; each read takes a stage-2 translation
/// fault to L1 (DFSC level = the level L1's own tables end at: 2 for the
/// first, 3 after that), HPFAR_EL2/FAR_EL2 name the page, L1 maps it and
/// resumes at the same instruction, and L2 gets the data L1 put there.
fn s2_fault_demand(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let backing = s.mempool.pages(8);
    for i in 0..8 {
        mem::put(backing + i * 4096, 0x100 + i);
    }
    hw::sync_range(backing, 8 * 4096);
    let mut faults = 0;
    let mut bad = 0;
    let mut levels = super::Line::new();
    let mut sum = 0;
    let s2 = vm.s2;
    let pool = &mut s.s2pool;
    vm.run(
        prog::pages(),
        &[0, DEMAND, 4096, 8],
        PSTATE_EL1H,
        100,
        |x| {
            if x.is_irq() {
                return Step::Resume;
            }
            if x.hvc() == Some(0) {
                sum = x.ctx.x[0];
                return Step::Stop;
            }
            let ipa = x.ctx.far;
            let Some(level) = s2.fault_level(ipa) else {
                bad += 1;
                return Step::Stop;
            };
            if !dabt_ok(x, ipa, 0x04 + u64::from(level), false) || faults >= 8 {
                bad += 1;
                return Step::Stop;
            }
            let _ = write!(levels, "{}{level}", if faults == 0 { "" } else { "," });
            let i = (ipa - DEMAND) / 4096;
            s2.map(pool, ipa & !0xfff, backing + i * 4096, 4096, S2Attr::RW);
            faults += 1;
            Step::Resume
        },
    );
    let want: u64 = (0..8).map(|i| 0x100 + i).sum();
    verdict!(
        faults == 8 && bad == 0 && sum == want,
        "{faults} faults at levels {}, retried, data {}",
        levels.as_str(),
        if sum == want { "ok" } else { "BAD" }
    )
}

/// A store to a page L1 maps read-only: stage-2 permission fault at level
/// 3 (DFSC 0x0f) with WnR = 1; L1 makes the page writable (TLBI
/// IPAS2E1IS, since a stricter entry may be cached) and L2's retried
/// store lands.
fn s2_perm_write(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let pa = s.mempool.page();
    let ipa = DEMAND;
    vm.s2.map(&mut s.s2pool, ipa, pa, 4096, S2Attr::RX);
    let mut first = 0;
    let mut faults = 0;
    let mut got = 0;
    let s2 = vm.s2;
    let pool = &mut s.s2pool;
    vm.run(prog::store(), &[0, ipa + 8, 0x5eed], PSTATE_EL1H, 10, |x| {
        if x.is_irq() {
            return Step::Resume;
        }
        if x.hvc() == Some(0) {
            got = x.ctx.x[0];
            return Step::Stop;
        }
        faults += 1;
        if faults > 1 || !dabt_ok(x, ipa + 8, 0x0f, true) {
            first = x.ctx.esr;
            return Step::Stop;
        }
        first = x.ctx.esr;
        s2.map(pool, ipa, pa, 4096, S2Attr::RW);
        tlbi_ipa(ipa);
        Step::Resume
    });
    hw::sync_range(pa, 4096);
    let stored = mem::get(pa + 8);
    verdict!(
        faults == 1 && got == 0x5eed && stored == 0x5eed,
        "esr={first:#x} faults={faults}, retried store {}",
        if stored == 0x5eed { "landed" } else { "BAD" }
    )
}

/// TLBI IPAS2E1IS for one page, then VMALLE1IS (combined stage 1+2
/// entries are not reached by an IPA operation, Arm ARM D8.14.5).
fn tlbi_ipa(ipa: u64) {
    // SAFETY: TLB maintenance for the current VMID.
    unsafe {
        core::arch::asm!("dsb ishst", "tlbi ipas2e1is, {}", "dsb ish", "tlbi vmalle1is", "dsb ish", "isb",
            in(reg) ipa >> 12, options(nostack))
    };
}

/// L2 branches into a data page L1 mapped never-executable: instruction
/// abort from a lower EL (EC 0x20) with a level-3 permission fault, FAR =
/// the target; L1 maps it executable (TLBI) and the retried fetch runs the
/// `HVC #0` there.
fn s2_perm_exec(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let pa = s.mempool.page();
    mem::put32(pa + 0x40, 0xd400_0002); // hvc #0
    hw::sync_range(pa, 4096);
    let ipa = DEMAND;
    vm.s2.map(&mut s.s2pool, ipa, pa, 4096, S2Attr::RW);
    let mut esr = 0;
    let mut faults = 0;
    let mut end_pc = 0;
    let s2 = vm.s2;
    let pool = &mut s.s2pool;
    vm.run(prog::call(), &[0, ipa + 0x40], PSTATE_EL1H, 10, |x| {
        if x.is_irq() {
            return Step::Resume;
        }
        if x.hvc() == Some(0) {
            end_pc = x.ctx.pc;
            return Step::Stop;
        }
        faults += 1;
        esr = x.ctx.esr;
        let ok = x.ec() == EC_IABT
            && x.iss() & 0x3f == 0x0f
            && x.ctx.far == ipa + 0x40
            && x.fault_ipa() == ipa + 0x40;
        if faults > 1 || !ok {
            return Step::Stop;
        }
        s2.map(pool, ipa, pa, 4096, S2Attr::RWX);
        tlbi_ipa(ipa);
        Step::Resume
    });
    verdict!(
        faults == 1 && (esr >> 26) == EC_IABT && esr & 0x3f == 0x0f && end_pc == ipa + 0x44,
        "esr={esr:#x}, retried fetch {}",
        if end_pc == ipa + 0x44 { "ran" } else { "BAD" }
    )
}

/// IPA of L2's stage-1 level-1 table in the stage-1 cases.
const S1_TABLE: u64 = 0x8800_0000;
/// A VA L2's stage 1 maps (1 GiB block) to IPA 0x8000_0000.
const S1_ALIAS: u64 = 0x4000_0000;

/// Gives `vm` a stage 1 (4K granule, 39-bit VA, level-1 table at IPA
/// [`S1_TABLE`] backed by a fresh page, not yet mapped at stage 2): VA
/// 0x4000_0000 and 0x8000_0000 are 1 GiB blocks to IPA 0x8000_0000
/// (Normal WB, inner shareable, AF); returns the table's PA.
fn give_stage1(s: &mut Suite, vm: &mut Vm) -> u64 {
    let t = s.mempool.page();
    let block = |ipa: u64| ipa | (1 << 10) | (3 << 8) | 0b01;
    mem::put(t + 8, block(0x8000_0000));
    mem::put(t + 16, block(0x8000_0000));
    hw::sync_range(t, 4096);
    let e = &mut vm.el1;
    e.ttbr0 = S1_TABLE;
    e.tcr = 25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 30) | (2 << 32);
    e.mair = mem::MAIR;
    e.sctlr = 0x30d0_0800 | 1 | (1 << 2) | (1 << 12);
    t
}

/// L2 runs with its stage 1 on, but its translation table's IPA is not
/// mapped at stage 2: the first instruction fetch faults on the stage-1
/// walk (EC 0x20, ISS.S1PTW = 1, level-2 translation fault, HPFAR = the
/// table's IPA); L1 maps the table and L2 runs, reading data through a VA
/// alias.
fn s1ptw_fault(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let t = give_stage1(s, &mut vm);
    mem::put(vm.data_pa + 0x10, 0xabcd_0123);
    hw::sync_range(vm.data_pa, 4096);
    let mut esr = 0;
    let mut hp_ok = false;
    let mut faults = 0;
    let mut got = 0;
    let s2 = vm.s2;
    let pool = &mut s.s2pool;
    let va = S1_ALIAS + (DATA - 0x8000_0000) + 0x10;
    vm.run(prog::load(), &[0, va], PSTATE_EL1H, 10, |x| {
        if x.is_irq() {
            return Step::Resume;
        }
        if x.hvc() == Some(0) {
            got = x.ctx.x[0];
            return Step::Stop;
        }
        faults += 1;
        esr = x.ctx.esr;
        hp_ok = x.hpfar() == (S1_TABLE >> 8);
        if faults > 1 {
            return Step::Stop;
        }
        s2.map(pool, S1_TABLE, t, 4096, S2Attr::RW);
        Step::Resume
    });
    let want_esr = (EC_IABT << 26) | IL | (1 << 7) | 0x06;
    verdict!(
        faults == 1 && esr == want_esr && hp_ok && got == 0xabcd_0123,
        "esr={esr:#x} hpfar {} data {}",
        if hp_ok { "ok" } else { "BAD" },
        if got == 0xabcd_0123 { "ok" } else { "BAD" }
    )
}

/// `AT S12E1R`/`S1E1R` at EL2 for L2's regime (EL1 registers and VTTBR of
/// the VM): a mapped VA gives the PA behind the data page; a VA stage 1
/// leaves unmapped a stage-1 level-1 fault; a VA whose IPA stage 2 lacks a
/// stage-2 level-2 fault (PAR.S = 1); S1E1R gives the IPA (Arm ARM C5.5,
/// D24.2 PAR_EL1). PAR_EL1 values are printed: under L0 they must match
/// bit for bit.
fn at_s12e1r(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let t = give_stage1(s, &mut vm);
    vm.s2.map(&mut s.s2pool, S1_TABLE, t, 4096, S2Attr::RW);
    // Run once so that the EL1 state is loaded (and the setup is proven).
    let (_, esr, _) = vm.run_simple(prog::done(), &[]);
    vm.activate();
    let at = |va: u64, s12: bool| -> u64 {
        // SAFETY: address translation only writes PAR_EL1.
        unsafe {
            if s12 {
                core::arch::asm!("at s12e1r, {}", "isb", in(reg) va, options(nostack));
            } else {
                core::arch::asm!("at s1e1r, {}", "isb", in(reg) va, options(nostack));
            }
        }
        hw::el1::par()
    };
    let va = S1_ALIAS + (DATA - 0x8000_0000) + 0x10;
    let p_ok = at(va, true);
    let p_s1 = at(0x1000, true);
    let p_s2 = at(S1_ALIAS + 0x0900_0000, true);
    let p_ipa = at(va, false);
    let pa_ok = p_ok & 1 == 0 && p_ok & 0x000f_ffff_ffff_f000 == vm.data_pa;
    let s1_ok = p_s1 & 1 == 1 && (p_s1 >> 1) & 0x3f == 0x05 && p_s1 & (1 << 9) == 0;
    let s2_ok = p_s2 & 1 == 1 && (p_s2 >> 1) & 0x3f == 0x06 && p_s2 & (1 << 9) != 0;
    let ipa_ok = p_ipa & 1 == 0 && p_ipa & 0x000f_ffff_ffff_f000 == DATA;
    verdict!(
        esr == 0x5a00_0000 && pa_ok && s1_ok && s2_ok && ipa_ok,
        "s12e1r={p_ok:#x} s1-fault={p_s1:#x} s2-fault={p_s2:#x} s1e1r={p_ipa:#x}"
    )
}

/// One access of the emulated device: offset, log2 size, write, sign
/// extension, 64-bit register, register number.
struct Access(u64, u64, bool, bool, bool, u64);

/// The accesses `nested_l2_mmio` makes, in order.
const MMIO_SEQ: [Access; 13] = [
    Access(0, 0, false, false, false, 2),
    Access(2, 1, false, false, false, 3),
    Access(4, 2, false, false, false, 4),
    Access(8, 3, false, false, true, 5),
    Access(1, 0, false, true, true, 6),
    Access(2, 1, false, true, false, 7),
    Access(4, 2, false, true, true, 8),
    Access(16, 0, true, false, false, 9),
    Access(18, 1, true, false, false, 10),
    Access(20, 2, true, false, false, 11),
    Access(24, 3, true, false, true, 12),
    Access(32, 3, true, false, true, 31),
    Access(40, 3, false, false, true, 20),
];

/// The emulated device's register contents: byte `o` is 0x80 + 7o (so
/// sign extension shows).
fn dev_read(off: u64, size: u64) -> u64 {
    (0..size).fold(0, |v, i| v | ((0x80 + 7 * (off + i)) & 0xff) << (8 * i))
}

/// Emulates an MMIO data abort from its syndrome alone (ISV, SAS, SSE,
/// SRT, SF, WnR; HPFAR/FAR for the address): the load/store a hypervisor
/// does for its guest. Returns (offset, log2 size, write, sse, sf, srt,
/// value stored) or `None` without a valid syndrome.
fn mmio_emulate(x: &mut Exit, base: u64) -> Option<(Access, u64)> {
    let iss = x.iss();
    if x.ec() != EC_DABT || iss & (1 << 24) == 0 {
        return None;
    }
    let sas = (iss >> 22) & 3;
    let sse = iss & (1 << 21) != 0;
    let srt = (iss >> 16) & 0x1f;
    let sf = iss & (1 << 15) != 0;
    let write = iss & (1 << 6) != 0;
    let off = x.fault_ipa().wrapping_sub(base);
    let size = 1u64 << sas;
    let mut stored = 0;
    if write {
        let mask = if size == 8 {
            u64::MAX
        } else {
            (1 << (8 * size)) - 1
        };
        stored = x.reg(srt as usize) & mask;
    } else {
        let mut v = dev_read(off, size);
        if sse && size < 8 {
            let sh = 64 - 8 * size;
            v = (((v << sh) as i64) >> sh) as u64;
        }
        if !sf {
            v &= 0xffff_ffff;
        }
        x.set_reg(srt as usize, v);
    }
    x.skip();
    Some((Access(off, sas, write, sse, sf, srt), stored))
}

/// L2 makes 13 accesses to an IPA with no stage-2 mapping (the device):
/// loads and stores of 1, 2, 4 and 8 bytes, sign-extending loads into W
/// and X registers, a store of XZR; L1 emulates each from the syndrome
/// alone and L2's registers end up with the device's values (Arm ARM
/// D24.2, ESR_EL2 ISS for data aborts: ISV, SAS, SSE, SRT, SF, WnR;
/// HPFAR_EL2).
fn l2_mmio(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let mut n = 0;
    let mut bad = super::Line::new();
    let mut dfsc = 0;
    let mut stores = [0u64; 13];
    let mut regs = [0u64; 31];
    let args = [
        0,
        MMIO,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0x19,
        0x1a1b,
        0x1c1d_1e1f,
        0x2021_2223_2425_2627,
    ];
    vm.run(prog::mmio(), &args, PSTATE_EL1H, 40, |x| {
        if x.is_irq() {
            return Step::Resume;
        }
        if x.hvc() == Some(0) {
            regs = x.ctx.x;
            return Step::Stop;
        }
        dfsc = x.iss() & 0x3f;
        let far_ok = x.ctx.far == x.fault_ipa();
        match mmio_emulate(x, MMIO) {
            Some((a, v)) if n < 13 => {
                let w = &MMIO_SEQ[n];
                let differs = (a.0, a.1, a.2, a.3, a.4, a.5) != (w.0, w.1, w.2, w.3, w.4, w.5);
                if (differs || !far_ok) && bad.as_str().is_empty() {
                    let _ = write!(bad, " first bad #{n} esr={:#x}", x.ctx.esr);
                }
                stores[n] = v;
                n += 1;
                Step::Resume
            }
            _ => {
                let _ = write!(bad, " no syndrome esr={:#x}", x.ctx.esr);
                Step::Stop
            }
        }
    });
    let sx = |v: u64, bytes: u32| {
        let sh = 64 - 8 * bytes;
        (((v << sh) as i64) >> sh) as u64
    };
    let want_regs = [
        (2, dev_read(0, 1)),
        (3, dev_read(2, 2)),
        (4, dev_read(4, 4)),
        (5, dev_read(8, 8)),
        (6, sx(dev_read(1, 1), 1)),
        (7, sx(dev_read(2, 2), 2) & 0xffff_ffff),
        (8, sx(dev_read(4, 4), 4)),
        (20, dev_read(40, 8)),
    ];
    let regs_ok = want_regs.iter().filter(|(r, v)| regs[*r] == *v).count();
    let want_st = [0x19, 0x1a1b, 0x1c1d_1e1f, 0x2021_2223_2425_2627, 0];
    let st_ok = (0..5).filter(|&i| stores[7 + i] == want_st[i]).count();
    verdict!(
        n == 13 && bad.as_str().is_empty() && regs_ok == 8 && st_ok == 5,
        "{n} accesses decoded (dfsc={dfsc:#x}), loads {regs_ok}/8, stores {st_ok}/5{}",
        bad.as_str()
    )
}

/// An LDP to the device has no instruction syndrome (ISV = 0): L1 reads
/// the instruction from L2's memory through its own stage 2 (the PA of
/// L2's code page) and decodes it.
fn l2_mmio_isv0(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let code_pa = vm.code_pa;
    let mut isv = 1;
    let mut insn = 0;
    let mut done = false;
    vm.run(prog::ldp(), &[0, MMIO], PSTATE_EL1H, 10, |x| {
        if x.is_irq() {
            return Step::Resume;
        }
        if x.hvc() == Some(0) {
            done = x.ctx.x[2] == 0x1111 && x.ctx.x[3] == 0x2222;
            return Step::Stop;
        }
        isv = (x.iss() >> 24) & 1;
        insn = mem::get(code_pa + (x.ctx.pc - CODE)) as u32;
        // LDP Xt1, Xt2, [Xn] (signed offset 0): 0xa940_0000 | Rt2 << 10 | Rn << 5 | Rt.
        if x.ec() == EC_DABT && insn & 0xffc0_0000 == 0xa940_0000 {
            let rt = (insn & 0x1f) as usize;
            let rt2 = ((insn >> 10) & 0x1f) as usize;
            x.set_reg(rt, 0x1111);
            x.set_reg(rt2, 0x2222);
            x.skip();
            return Step::Resume;
        }
        Step::Stop
    });
    verdict!(
        isv == 0 && insn == 0xa940_0c22 && done,
        "isv={isv}, insn={insn:#x} decoded from L2 memory, emulated {done}"
    )
}

/// A trap case's outcome.
struct Trapped {
    /// ESR of the first exit that was not HVC #0.
    first: u64,
    /// Such exits.
    traps: u32,
    /// L2 reached HVC #0; its registers then.
    done: Option<[u64; 31]>,
}

/// Runs `pc` with `hcr_extra` on top of the VM's HCR_EL2 and calls
/// `emulate` at each trap; stops at HVC #0 or after 3 traps.
fn run_trap(
    vm: &mut Vm,
    pc: u64,
    args: &[u64],
    hcr_extra: u64,
    mut emulate: impl FnMut(&mut Exit),
) -> Trapped {
    vm.hcr |= hcr_extra;
    let mut t = Trapped {
        first: 0,
        traps: 0,
        done: None,
    };
    vm.run(pc, args, PSTATE_EL1H, 10, |x| {
        if x.is_irq() {
            return Step::Resume;
        }
        if x.hvc() == Some(0) {
            t.done = Some(x.ctx.x);
            return Step::Stop;
        }
        if t.traps == 0 {
            t.first = x.ctx.esr;
        }
        t.traps += 1;
        if t.traps >= 3 {
            return Step::Stop;
        }
        emulate(x);
        Step::Resume
    });
    vm.hcr &= !hcr_extra;
    t
}

/// The verdict of a trap case: exactly one trap with ESR `want` and L2
/// finishing with `check` true on its registers.
fn trap_verdict(t: &Trapped, want: u64, check: impl Fn(&[u64; 31]) -> bool) -> Verdict {
    let after = t.done.as_ref().is_some_and(check);
    verdict!(
        t.traps == 1 && t.first == want && after,
        "esr={:#x} traps={} emulated result {}",
        t.first,
        t.traps,
        if after { "ok" } else { "BAD" }
    )
}

/// Control for the trap cases: with none of their controls set, every
/// trapped program of them runs to its end without an exit.
fn trap_none(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let mut traps = 0;
    let progs = [
        prog::tvm(),
        prog::tid3(),
        prog::tpidr(),
        prog::ctxid(),
        prog::tlbi(),
        prog::mdscr(),
        prog::fp(),
    ];
    for p in progs {
        let t = run_trap(&mut vm, p, &[0, 0x30d0_0800], 0, |x| x.skip());
        traps += t.traps + u32::from(t.done.is_none());
    }
    let smc = run_trap(&mut vm, prog::smc(), &[], 0, |x| x.skip());
    verdict!(
        traps == 0,
        "{} programs ran untrapped, smc without TSC {}",
        progs.len() as u32 - traps.min(progs.len() as u32),
        if smc.traps == 0 {
            "not trapped"
        } else {
            "trapped"
        }
    )
}

/// HCR_EL2.TVM: L2's write of SCTLR_EL1 traps (EC 0x18, Rt = 1, write);
/// L1 performs it on L2's behalf and L2 reads the value back untrapped.
fn trap_tvm(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let v = 0x30d0_0800 | (1 << 2);
    let t = run_trap(&mut vm, prog::tvm(), &[0, v], 1 << 26, |x| {
        hw::el1::set_sctlr(x.reg(1));
        x.skip();
    });
    trap_verdict(&t, sysreg_esr(3, 0, 1, 0, 0, 1, false), |r| r[0] == v)
}

/// HCR_EL2.TID3: L2's read of ID_AA64MMFR0_EL1 traps (Rt = 5, read); L1's
/// emulated value arrives in x5.
fn trap_tid3(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let t = run_trap(&mut vm, prog::tid3(), &[], 1 << 18, |x| {
        x.set_reg(5, 0x1234_5678);
        x.skip();
    });
    trap_verdict(&t, sysreg_esr(3, 0, 0, 7, 0, 5, true), |r| {
        r[5] == 0x1234_5678
    })
}

/// HCR_EL2.TWI: L2's WFI traps with EC 0x01 (CV = 1, COND = 0xe, TI = WFI
/// as QEMU reports it for AArch64); L1 skips it.
fn trap_twi(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let t = run_trap(&mut vm, prog::wfi(), &[], 1 << 13, |x| x.skip());
    trap_verdict(&t, (0x01 << 26) | IL | (1 << 24) | (0xe << 20), |_| true)
}

/// HCR_EL2.TSC: L2's SMC traps with EC 0x17 and its immediate; the
/// preferred return address is the SMC itself (Arm ARM D1.10.4), so L1
/// skips it.
fn trap_tsc(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let mut elr_is_smc = false;
    let smc_pc = prog::smc();
    let t = run_trap(&mut vm, prog::smc(), &[], 1 << 19, |x| {
        elr_is_smc = x.ctx.pc == smc_pc;
        x.skip();
    });
    let v = trap_verdict(&t, (EC_SMC << 26) | IL | 0x42, |_| true);
    verdict!(
        v.status == super::Status::Pass && elr_is_smc,
        "{} elr {}",
        v.detail.as_str(),
        if elr_is_smc { "at smc" } else { "BAD" }
    )
}

/// Sets one FGT register for a case and restores the untrapped value.
fn with_fgt(reg: FgtReg, mask: u64, f: impl FnOnce()) {
    let set = |v: u64| match reg {
        FgtReg::Hfgrtr => hw::el2::set_hfgrtr(v),
        FgtReg::Hfgwtr => hw::el2::set_hfgwtr(v),
        FgtReg::Hfgitr => hw::el2::set_hfgitr(v),
        FgtReg::Hdfgrtr => hw::el2::set_hdfgrtr(v),
        _ => hw::el2::set_hdfgwtr(v),
    };
    set(untrapped(reg) | mask);
    rt::sysreg::isb();
    f();
    set(untrapped(reg));
    rt::sysreg::isb();
}

/// HFGRTR_EL2.TPIDR_EL1: L2's read of TPIDR_EL1 traps (Rt = 6).
fn trap_hfgrtr(s: &mut Suite) -> Verdict {
    if !s.feat.fgt {
        return skip!("no FEAT_FGT");
    }
    let mut vm = s.vm();
    let mut t = None;
    with_fgt(FgtReg::Hfgrtr, hfgrtr::TPIDR_EL1.mask(), || {
        t = Some(run_trap(&mut vm, prog::tpidr(), &[], 0, |x| {
            x.set_reg(6, 0x7777);
            x.skip();
        }));
    });
    let t = t.unwrap_or(Trapped {
        first: 0,
        traps: 0,
        done: None,
    });
    trap_verdict(&t, sysreg_esr(3, 0, 13, 0, 4, 6, true), |r| r[6] == 0x7777)
}

/// HFGWTR_EL2.CONTEXTIDR_EL1: L2's write of CONTEXTIDR_EL1 traps (Rt = 7,
/// write); L1 sees the value L2 wrote.
fn trap_hfgwtr(s: &mut Suite) -> Verdict {
    if !s.feat.fgt {
        return skip!("no FEAT_FGT");
    }
    let mut vm = s.vm();
    let mut t = None;
    let mut seen = 0;
    with_fgt(FgtReg::Hfgwtr, hfgwtr::CONTEXTIDR_EL1.mask(), || {
        t = Some(run_trap(
            &mut vm,
            prog::ctxid(),
            &[0, 0, 0, 0, 0, 0, 0, 0x4242],
            0,
            |x| {
                seen = x.reg(7);
                x.skip();
            },
        ));
    });
    let t = t.unwrap_or(Trapped {
        first: 0,
        traps: 0,
        done: None,
    });
    trap_verdict(&t, sysreg_esr(3, 0, 13, 0, 1, 7, false), |_| seen == 0x4242)
}

/// HFGITR_EL2.TLBIVMALLE1: L2's TLBI VMALLE1 traps as a system
/// instruction (EC 0x18, Op0 = 1, Rt = 31).
fn trap_hfgitr(s: &mut Suite) -> Verdict {
    if !s.feat.fgt {
        return skip!("no FEAT_FGT");
    }
    let mut vm = s.vm();
    let mut t = None;
    with_fgt(FgtReg::Hfgitr, hfgitr::TLBIVMALLE1.mask(), || {
        t = Some(run_trap(&mut vm, prog::tlbi(), &[], 0, |x| x.skip()));
    });
    let t = t.unwrap_or(Trapped {
        first: 0,
        traps: 0,
        done: None,
    });
    trap_verdict(&t, sysreg_esr(1, 0, 8, 7, 0, 31, false), |_| true)
}

/// HDFGRTR_EL2.MDSCR_EL1: L2's read of MDSCR_EL1 traps (Op0 = 2, Rt = 8).
fn trap_hdfgrtr(s: &mut Suite) -> Verdict {
    if !s.feat.fgt {
        return skip!("no FEAT_FGT");
    }
    let mut vm = s.vm();
    let mut t = None;
    with_fgt(FgtReg::Hdfgrtr, hdfgrtr::MDSCR_EL1.mask(), || {
        t = Some(run_trap(&mut vm, prog::mdscr(), &[], 0, |x| {
            x.set_reg(8, 0x88);
            x.skip();
        }));
    });
    let t = t.unwrap_or(Trapped {
        first: 0,
        traps: 0,
        done: None,
    });
    trap_verdict(&t, sysreg_esr(2, 0, 0, 2, 2, 8, true), |r| r[8] == 0x88)
}

/// MDCR_EL2.TDA: the same MDSCR_EL1 read traps through the coarse debug
/// control.
fn trap_tda(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let old = hw::el2::mdcr();
    hw::el2::set_mdcr(old | (1 << 9));
    rt::sysreg::isb();
    let t = run_trap(&mut vm, prog::mdscr(), &[], 0, |x| {
        x.set_reg(8, 0x99);
        x.skip();
    });
    hw::el2::set_mdcr(old);
    rt::sysreg::isb();
    trap_verdict(&t, sysreg_esr(2, 0, 0, 2, 2, 8, true), |r| r[8] == 0x99)
}

/// CPTR_EL2 FP trap (TFP with E2H = 0, FPEN = 0b00 with E2H = 1): L2's
/// FMOV traps with EC 0x07; L1 skips it.
fn trap_fp(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let old = hw::el2::cptr();
    let trap = if hw::vhe() {
        old & !(3 << 20)
    } else {
        old | (1 << 10)
    };
    hw::el2::set_cptr(trap);
    rt::sysreg::isb();
    let t = run_trap(&mut vm, prog::fp(), &[0, 1], 0, |x| x.skip());
    hw::el2::set_cptr(old);
    rt::sysreg::isb();
    trap_verdict(&t, (0x07 << 26) | IL | (1 << 24) | (0xe << 20), |_| true)
}

/// HCRX_EL2 sample: TALLINT (FEAT_NMI) traps L2's MSR ALLINT (EC 0x18,
/// Rt = 9, write); without FEAT_NMI, TCR2En = 0 traps its read of
/// TCR2_EL1 (FEAT_TCR2).
fn trap_hcrx(s: &mut Suite) -> Verdict {
    if !s.feat.hcx || !(s.feat.nmi || s.feat.tcr2) {
        return skip!("no FEAT_HCX with FEAT_NMI or FEAT_TCR2");
    }
    let mut vm = s.vm();
    let old = hw::el2::hcrx();
    let (set, p, want) = if s.feat.nmi {
        (
            old | (1 << 6),
            prog::allint(),
            sysreg_esr(3, 0, 4, 3, 0, 9, false),
        )
    } else {
        (
            old & !(1 << 14),
            prog::tcr2(),
            sysreg_esr(3, 0, 2, 0, 3, 9, true),
        )
    };
    hw::el2::set_hcrx(set);
    rt::sysreg::isb();
    let t = run_trap(&mut vm, p, &[], 0, |x| {
        x.set_reg(9, 0x55);
        x.skip();
    });
    hw::el2::set_hcrx(old);
    rt::sysreg::isb();
    let check = !s.feat.nmi;
    trap_verdict(&t, want, |r| !check || r[9] == 0x55)
}

/// L2 reads DATA three times: first the original page (A); L1 then remaps
/// DATA to another page (break-before-make, TLBI IPAS2E1IS + VMALLE1IS)
/// and L2 reads B; L1 maps A back with only TLBI VMALLS12E1IS and L2
/// reads A again (Arm ARM D8.16, TLB maintenance).
fn tlbi_remap(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let a = vm.data_pa;
    let b = s.mempool.page();
    mem::put(a, 0xaaaa);
    mem::put(b, 0xbbbb);
    hw::sync_range(a, 4096);
    hw::sync_range(b, 4096);
    let slot = vm.s2.find(DATA).unwrap_or(0);
    let mut seen = [0u64; 3];
    let mut n = 0;
    vm.run(prog::loadloop(), &[0, DATA, 3], PSTATE_EL1H, 20, |x| {
        if x.is_irq() {
            return Step::Resume;
        }
        if x.hvc() != Some(1) || n >= 3 {
            return Step::Stop;
        }
        seen[n] = x.ctx.x[0];
        n += 1;
        if n == 1 {
            mem::put(slot, 0);
            tlbi_ipa(DATA);
            mem::put(slot, S2Attr::RW.desc(b));
            tlbi_ipa(DATA);
        } else if n == 2 {
            mem::put(slot, 0);
            tlbi_ipa(DATA);
            mem::put(slot, S2Attr::RW.desc(a));
            // SAFETY: TLB maintenance for the current VMID.
            unsafe {
                core::arch::asm!(
                    "dsb ishst",
                    "tlbi vmalls12e1is",
                    "dsb ish",
                    "isb",
                    options(nostack)
                )
            };
        }
        Step::Resume
    });
    verdict!(
        seen == [0xaaaa, 0xbbbb, 0xaaaa],
        "L2 read {:#x}, {:#x} after remap, {:#x} after remap back",
        seen[0],
        seen[1],
        seen[2]
    )
}

/// TLBI by IPA reaches only its page: L2 (stage 1 off) reads pages X and
/// Y; L1 remaps X (TLBI IPAS2E1IS + VAE1IS for X: with stage 1 off the VA
/// is the IPA) and unmaps Y without any TLBI. L2 then reads X's new page
/// and still reads Y through the cached translation (QEMU keeps it; an L0
/// must not drop more than was asked); after L1's TLBI for Y, L2's next
/// read of Y faults.
fn tlbi_ipa_scope(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let x_ipa = DATA;
    let y_ipa = DATA + 0x1000;
    let x_new = s.mempool.page();
    mem::put(vm.data_pa, 0x1);
    mem::put(vm.data_pa + 0x1000, 0x2);
    mem::put(x_new, 0x3);
    hw::sync_range(vm.data_pa, 2 * 4096);
    hw::sync_range(x_new, 4096);
    let xs = vm.s2.find(x_ipa).unwrap_or(0);
    let ys = vm.s2.find(y_ipa).unwrap_or(0);
    let by_page = |ipa: u64| {
        // SAFETY: TLB maintenance for the current VMID, one page.
        unsafe {
            core::arch::asm!("dsb ishst", "tlbi ipas2e1is, {0}", "dsb ish", "tlbi vae1is, {0}", "dsb ish", "isb",
                in(reg) ipa >> 12, options(nostack))
        };
    };
    let mut reads = [0u64; 4];
    let mut n = 0;
    let mut y_fault = 0;
    // Read X, Y, (remap) X, Y, (TLBI Y) Y.
    let seq = [x_ipa, y_ipa, x_ipa, y_ipa, y_ipa];
    let mut i = 0;
    vm.run(prog::load(), &[0, seq[0]], PSTATE_EL1H, 20, |x| {
        if x.is_irq() {
            return Step::Resume;
        }
        if x.hvc() == Some(0) && i < 4 {
            reads[n] = x.ctx.x[0];
            n += 1;
            i += 1;
            if i == 2 {
                mem::put(xs, 0);
                by_page(x_ipa);
                mem::put(xs, S2Attr::RW.desc(x_new));
                by_page(x_ipa);
                mem::put(ys, 0);
                hw::dsb_ish();
            }
            if i == 4 {
                by_page(y_ipa);
            }
            x.ctx.pc = prog::load();
            x.ctx.x[1] = seq[i];
            return Step::Resume;
        }
        if x.ec() == EC_DABT && x.fault_ipa() == y_ipa && i == 4 {
            y_fault = x.iss() & 0x3f;
        }
        Step::Stop
    });
    let y_cached = reads[3] == 0x2;
    verdict!(
        reads[0] == 1 && reads[1] == 2 && reads[2] == 3 && y_cached && y_fault == 0x07,
        "x {:#x}->{:#x}, y {} without its TLBI, y dfsc={y_fault:#x} after it",
        reads[0],
        reads[2],
        if y_cached {
            "still cached"
        } else {
            "refetched"
        }
    )
}

/// Two VMs with different VMIDs map the same IPA (DATA) to different
/// pages; L1 alternates between them 20 times each without any TLBI and
/// each always reads its own page (Arm ARM D8.15, VMID tagging).
fn vmid_alternate(s: &mut Suite) -> Verdict {
    let mut a = s.vm();
    let mut b = s.vm();
    mem::put(a.data_pa, 0xa0a0);
    mem::put(b.data_pa, 0xb0b0);
    hw::sync_range(a.data_pa, 4096);
    hw::sync_range(b.data_pa, 4096);
    let mut good = 0;
    for _ in 0..20 {
        let (_, _, va) = a.run_simple(prog::load(), &[0, DATA]);
        let (_, _, vb) = b.run_simple(prog::load(), &[0, DATA]);
        good += u32::from(va == 0xa0a0) + u32::from(vb == 0xb0b0);
    }
    verdict!(
        good == 40 && a.vmid != b.vmid,
        "40 runs on 2 VMIDs, {good} saw their own page"
    )
}

/// UDF at EL2 goes to test-l1's own current-EL vector: EC 0x00, IL, ELR =
/// the UDF (Arm ARM D1.3.1, offset 0x200).
fn el2_undef(_: &mut Suite) -> Verdict {
    let mut site = 0u64;
    let c = world::catch(|| {
        // SAFETY: the UDF is caught by the current-EL vector and skipped.
        unsafe {
            core::arch::asm!("adr {0}, 1f", "1: udf #0x4d2", out(reg) site, options(nostack))
        };
    });
    el2_verdict(c, 0x0200_0000, site)
}

fn el2_verdict(c: Option<Caught>, want_esr: u64, site: u64) -> Verdict {
    match c {
        Some(c) => verdict!(
            c.esr == want_esr && c.elr == site && c.kind == world::kind::CUR_SYNC,
            "esr={:#x} vector=current-el-spx elr {}",
            c.esr,
            if c.elr == site {
                "at instruction"
            } else if c.elr == site + 4 {
                "past instruction"
            } else {
                "BAD"
            }
        ),
        None => verdict!(false, "no exception"),
    }
}

/// A load from a VA test-l1's EL2 map leaves unmapped: data abort at the
/// current EL (EC 0x25), level-1 translation fault, FAR = the VA.
fn el2_dabt(_: &mut Suite) -> Verdict {
    let mut site = 0u64;
    let c = world::catch(|| {
        // SAFETY: the load faults and is skipped by the current-EL vector.
        unsafe {
            core::arch::asm!("adr {0}, 1f", "1: ldr {1}, [{2}]", out(reg) site, out(reg) _,
                in(reg) mem::EL2_HOLE + 0x40, options(nostack))
        };
    });
    let far_ok = c.is_some_and(|c| c.far == mem::EL2_HOLE + 0x40);
    let esr = c.map_or(0, |c| c.esr);
    let v = el2_verdict(c, esr, site);
    verdict!(
        v.status == super::Status::Pass && far_ok && esr >> 26 == 0x25 && esr & 0x3f == 0x05,
        "{} far {}",
        v.detail.as_str(),
        if far_ok { "ok" } else { "BAD" }
    )
}

/// SVC at EL2: EC 0x15 with the immediate, ELR past it.
fn el2_svc(_: &mut Suite) -> Verdict {
    let mut site = 0u64;
    let c = world::catch(|| {
        // SAFETY: the SVC is taken by the current-EL vector and returns.
        unsafe {
            core::arch::asm!("adr {0}, 1f", "svc #0x99", "1:", out(reg) site, options(nostack))
        };
    });
    el2_verdict(c, 0x5600_0099, site)
}

/// BRK at EL2: EC 0x3c with the immediate, ELR at the BRK.
fn el2_brk(_: &mut Suite) -> Verdict {
    let mut site = 0u64;
    let c = world::catch(|| {
        // SAFETY: the BRK is caught by the current-EL vector and skipped.
        unsafe { core::arch::asm!("adr {0}, 1f", "1: brk #0x55", out(reg) site, options(nostack)) };
    });
    el2_verdict(c, 0xf200_0055, site)
}

/// ERETs at EL2 with SPSR `spsr` to a label; returns what was caught there
/// and the label's address. The exception's ESR is 0x3a000000 (EC 0x0e,
/// IL = 1: IL is RES1 for this class). An illegal return (Arm ARM D1.4.4: target EL
/// above the current one, a reserved mode, AArch32 where EL1 is AArch64)
/// stays at EL2 with PSTATE.IL set, so the first instruction at the label
/// takes an Illegal Execution State exception (EC 0x0e).
fn eret_to(spsr: u64) -> (Option<Caught>, u64) {
    let mut target = 0u64;
    let c = world::catch(|| {
        // SAFETY: the ERET goes to label 1 at EL2 (legal or not); an
        // illegal-state exception there is caught and skipped to label 2.
        unsafe {
            if hw::vhe() {
                core::arch::asm!("adr {t}, 1f", "msr S3_0_C4_C0_1, {t}", "msr S3_0_C4_C0_0, {s}", "eret",
                    "1: nop", "2:", t = out(reg) target, s = in(reg) spsr, options(nostack));
            } else {
                core::arch::asm!("adr {t}, 1f", "msr S3_4_C4_C0_1, {t}", "msr S3_4_C4_C0_0, {s}", "eret",
                    "1: nop", "2:", t = out(reg) target, s = in(reg) spsr, options(nostack));
            }
        }
    });
    (c, target)
}

fn illegal_verdict(spsr: u64) -> Verdict {
    let (c, target) = eret_to(spsr);
    match c {
        Some(c) => {
            let ok = c.ec() == 0x0e
                && c.elr == target
                && c.spsr & (1 << 20) != 0
                && c.spsr & 0x1f == 0x9;
            verdict!(
                ok && c.esr == 0x3a00_0000,
                "esr={:#x} elr {} spsr.il={} spsr.m={:#x}",
                c.esr,
                if c.elr == target { "at target" } else { "BAD" },
                (c.spsr >> 20) & 1,
                c.spsr & 0x1f
            )
        }
        None => verdict!(false, "no illegal-state exception"),
    }
}

/// A legal ERET from EL2 to EL2h: no exception, execution continues at
/// ELR.
fn eret_el2(_: &mut Suite) -> Verdict {
    let (c, _) = eret_to(0x3c9);
    verdict!(
        c.is_none(),
        "{}",
        if c.is_none() {
            "returned to EL2h at target"
        } else {
            "exception BAD"
        }
    )
}

/// ERET with SPSR.M = EL3h (EL3 not implemented / above EL2): illegal.
fn eret_illegal_el3(_: &mut Suite) -> Verdict {
    illegal_verdict(0x3cd)
}

/// ERET with a reserved SPSR.M (0b0010): illegal.
fn eret_illegal_reserved(_: &mut Suite) -> Verdict {
    illegal_verdict(0x3c2)
}

/// ERET to AArch32 EL1 (SVC mode) while HCR_EL2.RW says EL1 is AArch64:
/// illegal.
fn eret_illegal_aarch32(_: &mut Suite) -> Verdict {
    illegal_verdict(0x1d3)
}

/// L0's counters (vendor hypercall 0x86000002 over HVC from EL2): total
/// exits of this vCPU, exits while L2 ran, exits at virtual EL2; `None`
/// when the call is not supported (bare QEMU: test-l1's own vector answers
/// NOT_SUPPORTED).
pub fn l0_counters() -> Option<[u64; 3]> {
    let (mut x0, x1, x2): (u64, u64, u64);
    x0 = 0x8600_0002;
    // SAFETY: an SMCCC call (HVC #0) clobbers at most x0-x17, all declared.
    unsafe {
        core::arch::asm!("hvc #0", inout("x0") x0, out("x1") x1, out("x2") x2, out("x3") _, out("x4") _,
            out("x5") _, out("x6") _, out("x7") _, out("x8") _, out("x9") _, out("x10") _, out("x11") _,
            out("x12") _, out("x13") _, out("x14") _, out("x15") _, out("x16") _, out("x17") _, options(nostack))
    };
    (x0 != u64::MAX).then_some([x0, x1, x2])
}

/// Prints a `nested-cost` line for `ops` operations between two counter
/// readings.
fn cost_line(name: &str, ops: u64, before: Option<[u64; 3]>, after: Option<[u64; 3]>) {
    match (before, after) {
        (Some(b), Some(a)) => {
            let total = a[0].wrapping_sub(b[0]);
            let per100 = total * 100 / ops.max(1);
            rt::println!(
                "nested-cost {name}: ops={ops} l0-exits={total} per-op={}.{:02} in-l2={} at-vel2={}",
                per100 / 100,
                per100 % 100,
                a[1].wrapping_sub(b[1]),
                a[2].wrapping_sub(b[2])
            );
        }
        _ => rt::println!("nested-cost {name}: ops={ops} l0-exits=n/a per-op=n/a"),
    }
}

/// 10,000 L2 hypercalls handled by L1 (x0 + 1 each, L2 checks every
/// answer), with L0's counters read before and after.
fn cost_hvc(s: &mut Suite) -> Verdict {
    const OPS: u64 = 10_000;
    let mut vm = s.vm();
    let mut result = 0;
    let before = l0_counters();
    vm.run(
        prog::hvcloop(),
        &[0, OPS],
        PSTATE_EL1H,
        2 * OPS,
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
    let after = l0_counters();
    cost_line("hvc", OPS, before, after);
    verdict!(result == OPS, "{result} of {OPS} hypercalls answered")
}

/// 10,000 L2 MMIO loads emulated by L1 from the syndrome.
fn cost_mmio(s: &mut Suite) -> Verdict {
    const OPS: u64 = 10_000;
    let mut vm = s.vm();
    let mut result = 0;
    let mut emulated = 0;
    let before = l0_counters();
    vm.run(
        prog::mmioloop(),
        &[0, MMIO, OPS],
        PSTATE_EL1H,
        2 * OPS,
        |x| {
            if x.hvc() == Some(0) {
                result = x.ctx.x[0];
                return Step::Stop;
            }
            if x.is_irq() {
                return Step::Resume;
            }
            if x.ec() == EC_DABT && x.iss() & (1 << 24) != 0 {
                let srt = ((x.iss() >> 16) & 0x1f) as usize;
                x.set_reg(srt, 1);
                x.skip();
                emulated += 1;
                return Step::Resume;
            }
            Step::Stop
        },
    );
    let after = l0_counters();
    cost_line("mmio", OPS, before, after);
    verdict!(
        result == OPS && emulated == OPS,
        "{emulated} of {OPS} accesses emulated, sum {}",
        if result == OPS { "ok" } else { "BAD" }
    )
}

/// 1,000 stage-2 faults served by L1 (each of 1,000 pages mapped on
/// demand).
fn cost_s2fault(s: &mut Suite) -> Verdict {
    const OPS: u64 = 1_000;
    let mut vm = s.vm();
    let backing = s.mempool.page();
    mem::put(backing, 1);
    hw::sync_range(backing, 4096);
    let mut result = 0;
    let mut faults = 0;
    let s2 = vm.s2;
    let pool = &mut s.s2pool;
    let before = l0_counters();
    vm.run(
        prog::pages(),
        &[0, DEMAND, 4096, OPS],
        PSTATE_EL1H,
        2 * OPS,
        |x| {
            if x.hvc() == Some(0) {
                result = x.ctx.x[0];
                return Step::Stop;
            }
            if x.is_irq() {
                return Step::Resume;
            }
            if x.ec() == EC_DABT && x.iss() & 0x3c == 0x04 {
                s2.map(pool, x.ctx.far & !0xfff, backing, 4096, S2Attr::RW);
                faults += 1;
                return Step::Resume;
            }
            Step::Stop
        },
    );
    let after = l0_counters();
    cost_line("s2fault", OPS, before, after);
    verdict!(
        result == OPS && faults == OPS,
        "{faults} of {OPS} faults served, data {}",
        if result == OPS { "ok" } else { "BAD" }
    )
}
