//! `nested hostile`: what a hostile L1 can do to its L0 — bogus VTTBRs,
//! looping and out-of-range stage-2 tables, illegal VTCR values, odd ERET
//! targets, writes to VNCR_EL2, 10,000 distinct VTTBR/VMID pairs, a storm
//! of 1,000,000 TLBIs. On bare QEMU they report what the hardware gives;
//! under L0 L1 must get the same (or, where marked `[platform]`, whatever
//! L0 decides for memory that is its own), and L0 must survive.
//!
//! Each detail starts with `[cost-only]` (a correct L0 prints the same
//! line; only the time differs) or `[platform]` (the result depends on
//! what lies at that physical address, or on what L0 exposes: compared by
//! status only). Every L2 run here has a watchdog: the EL2 physical timer
//! ends a run that makes no exit within 2 s.

use super::gic::intid;
use super::l2::{prog, Step, Vm, CODE, DATA, PSTATE_EL1H};
use super::mem::{self, S2Attr};
use super::world::cpu;
use super::{hw, verdict, Case, Suite, Verdict};

pub const CASES: &[Case] = &[
    ("hostile-vttbr-outside-ram", vttbr_outside_ram),
    ("hostile-vttbr-l0-memory", vttbr_l0_memory),
    ("hostile-s2-loop", s2_loop),
    ("hostile-s2-oa-past-ps", s2_oa_past_ps),
    ("hostile-s2-oa-no-memory", s2_oa_no_memory),
    ("hostile-vtcr-sl0-t0sz", vtcr_inconsistent),
    ("hostile-eret-unmapped-pc", eret_unmapped_pc),
    ("hostile-eret-el0", eret_el0),
    ("hostile-vncr-write", vncr_write),
    ("hostile-vmid-10000", vmid_10000),
    ("hostile-tlbi-storm", tlbi_storm),
];

/// How the first exit of a watched run looked.
#[derive(Clone, Copy, Debug, Default)]
struct First {
    /// ESR_EL2 of the first synchronous exit (0: none).
    esr: u64,
    /// HVC immediate or L2's own report.
    x0: u64,
    /// The watchdog fired.
    watchdog: bool,
}

/// Runs `vm` at `pc` with the CNTHP watchdog armed; returns the first exit
/// that is not an unrelated IRQ.
fn watched(vm: &mut Vm, pc: u64, args: &[u64], pstate: u64) -> First {
    hw::el2::set_cnthp_cval(hw::cntpct() + 2 * hw::cntfrq());
    hw::el2::set_cnthp_ctl(1);
    rt::sysreg::isb();
    let mut first = First::default();
    vm.run(pc, args, pstate, 20, |x| {
        if x.is_irq() {
            if cpu().irqs[intid::HPTIMER as usize] > 0 {
                first.watchdog = true;
                return Step::Stop;
            }
            return Step::Resume;
        }
        first.esr = x.ctx.esr;
        first.x0 = x.ctx.x[0];
        Step::Stop
    });
    hw::el2::set_cnthp_ctl(0);
    rt::sysreg::isb();
    first
}

fn describe(f: &First) -> Verdict {
    if f.watchdog {
        return verdict!(false, "no exit within 2 s (watchdog)");
    }
    verdict!(true, "esr={:#x}", f.esr)
}

/// VTTBR_EL2.BADDR past the end of RAM (4 GiB): the stage-2 walk of L2's
/// first fetch reads nothing there; QEMU reports a synchronous external
/// abort on the walk at the start level.
fn vttbr_outside_ram(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    vm.s2.root = 0x1_0000_0000;
    let f = watched(&mut vm, CODE, &[], PSTATE_EL1H);
    let v = describe(&f);
    verdict!(
        v.status == super::Status::Pass && f.esr >> 26 == 0x20,
        "[cost-only] instruction abort {}",
        v.detail.as_str()
    )
}

/// VTTBR_EL2.BADDR = 0x4000_0000: on bare QEMU its boot stub, under L0
/// L0's own memory; L1 must get some abort (never L0's data).
fn vttbr_l0_memory(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    vm.s2.root = 0x4000_0000;
    let f = watched(&mut vm, CODE, &[], PSTATE_EL1H);
    verdict!(!f.watchdog, "[platform] first exit esr={:#x}", f.esr)
}

/// A stage-2 table whose entries point back at the root at every level:
/// the walk ends after level 3, where the root's address reads as a page
/// descriptor without AF: a level-3 access flag fault (IFSC 0x0b).
fn s2_loop(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let root = s.s2pool.page();
    mem::put(root + 8 * mem::index(CODE, 1), root | 0b11);
    mem::put(root + 8 * mem::index(CODE, 2), root | 0b11);
    mem::put(root + 8 * mem::index(CODE, 3), root | 0b11);
    hw::dsb_ish();
    vm.s2.root = root;
    let f = watched(&mut vm, CODE, &[], PSTATE_EL1H);
    let v = describe(&f);
    verdict!(
        v.status == super::Status::Pass && f.esr >> 26 == 0x20 && f.esr & 0x3f == 0x0b,
        "[cost-only] {}",
        v.detail.as_str()
    )
}

/// VTCR_EL2.PS = 32 bits and a stage-2 page whose output address has bit
/// 32 set: address size fault at level 3 (DFSC 0x03) on L2's load.
fn s2_oa_past_ps(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    vm.vtcr &= !(7 << 16);
    let ipa = 0x9000_0000;
    vm.s2
        .map(&mut s.s2pool, ipa, 0x1_4000_0000, 4096, S2Attr::RW);
    let f = watched(&mut vm, prog::load(), &[0, ipa], PSTATE_EL1H);
    let v = describe(&f);
    verdict!(
        v.status == super::Status::Pass && f.esr >> 26 == 0x24 && f.esr & 0x3f == 0x03,
        "[cost-only] {}",
        v.detail.as_str()
    )
}

/// A physical address with nothing behind it on QEMU virt (64 GiB: past
/// RAM, below the high GIC/PCIe regions at 256 GiB and up).
const NO_MEMORY: u64 = 0x10_0000_0000;

/// A stage-2 page inside PS (40 bits) but at no memory ([`NO_MEMORY`]):
/// the access itself gets an external abort, which L2 takes at its own
/// EL1 (HCR_EL2.TEA = 0): its report (HVC #0x10) carries ESR_EL1.
fn s2_oa_no_memory(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let ipa = 0x9000_0000;
    vm.s2.map(&mut s.s2pool, ipa, NO_MEMORY, 4096, S2Attr::RW);
    let f = watched(&mut vm, prog::load(), &[0, ipa], PSTATE_EL1H);
    let own = f.esr == 0x5a00_0010;
    verdict!(
        !f.watchdog && own,
        "[cost-only] first exit esr={:#x}{}{:#x}",
        f.esr,
        if own { " L2 esr_el1=" } else { " x0=" },
        f.x0
    )
}

/// VTCR_EL2 with SL0 = 0b10 (start at level 0) but T0SZ = 25 (a 39-bit
/// IPA space starts at level 1): an inconsistent configuration; QEMU
/// reports a stage-2 translation fault.
fn vtcr_inconsistent(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    vm.vtcr = (vm.vtcr & !(3 << 6)) | (2 << 6);
    let f = watched(&mut vm, CODE, &[], PSTATE_EL1H);
    let v = describe(&f);
    verdict!(
        v.status == super::Status::Pass,
        "[cost-only] {}",
        v.detail.as_str()
    )
}

/// ERET to L2 at an IPA nothing maps (0x70_0000_0000): instruction abort,
/// level-1 translation fault.
fn eret_unmapped_pc(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let f = watched(&mut vm, 0x70_0000_0000, &[], PSTATE_EL1H);
    let v = describe(&f);
    verdict!(
        v.status == super::Status::Pass && f.esr == (0x20 << 26) | (1 << 25) | 0x05,
        "[cost-only] {}",
        v.detail.as_str()
    )
}

/// ERET to EL0t in L2: L2's HVC at EL0 is UNDEFINED, taken by L2's own
/// EL1 (lower-EL vector, which reports with HVC #0xe4).
fn eret_el0(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let f = watched(&mut vm, prog::done(), &[], 0x3c0);
    verdict!(
        f.esr == 0x5a00_00e4,
        "[cost-only] first exit esr={:#x}",
        f.esr
    )
}

/// VNCR_EL2 (FEAT_NV2): L1 writes it and reads it back (BADDR bits
/// [52:12] as written). Under L0 the register is what L0 exposes: without
/// FEAT_NV2 shown, the write is UNDEFINED on a plain EL2, but at a virtual
/// EL2 built on FEAT_NV2 it lands in L1's VNCR page (slot 0xB0: the
/// hardware turns the access into a store, which no L0 can refuse, and
/// which L0 never reads). Either way L2 must still run.
fn vncr_write(s: &mut Suite) -> Verdict {
    if !s.feat.nv2 {
        let want = 0x0000_0000_4a5a_6000;
        let c = super::world::catch(|| hw::el2::set_vncr(want));
        let undef = c.is_some_and(|c| c.esr >> 26 == 0);
        let stored = c.is_none() && hw::el2::vncr() == want;
        let mut vm = s.vm();
        let (_, esr, _) = vm.run_simple(prog::done(), &[]);
        return verdict!(
            (undef || stored) && esr == 0x5a00_0000,
            "[platform] no FEAT_NV2: write {}, L2 runs after",
            if undef {
                "UNDEFINED"
            } else if stored {
                "kept in the VNCR page"
            } else {
                "BAD"
            }
        );
    }
    let old = hw::el2::vncr();
    let want = 0x0000_0000_4a5a_6000;
    hw::el2::set_vncr(want);
    rt::sysreg::isb();
    let got = hw::el2::vncr();
    hw::el2::set_vncr(old);
    rt::sysreg::isb();
    // L2 still runs normally afterwards.
    let mut vm = s.vm();
    let (_, esr, _) = vm.run_simple(prog::done(), &[]);
    verdict!(
        got == want && esr == 0x5a00_0000,
        "[platform] read back {}, L2 runs after",
        if got == want { "as written" } else { "BAD" }
    )
}

/// 10,000 distinct VTTBR_EL2 values (100 root tables, each a copy of the
/// VM's, times 100 VMIDs), each entered once: L2 answers every time.
fn vmid_10000(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let src = vm.s2.root;
    let mut roots = [0u64; 100];
    for r in roots.iter_mut() {
        *r = s.s2pool.page();
        for i in 0..512 {
            mem::put(*r + 8 * i, mem::get(src + 8 * i));
        }
    }
    hw::dsb_ish();
    // SAFETY: TLB maintenance: no VMID keeps entries of an earlier case.
    unsafe { core::arch::asm!("tlbi alle1is", "dsb ish", "isb", options(nostack)) };
    let base: u16 = if s.feat.vmid16 { 1000 } else { 100 };
    let mut ok = 0u32;
    for (n, r) in roots.iter().enumerate() {
        for v in 0..100u16 {
            vm.s2.root = *r;
            vm.vmid = if s.feat.vmid16 {
                base + (n as u16) * 100 + v
            } else {
                base + v
            };
            let (_, esr, _) = vm.run_simple(prog::done(), &[]);
            ok += u32::from(esr == 0x5a00_0000);
        }
    }
    verdict!(ok == 10_000, "[cost-only] {ok} of 10000 entries answered")
}

/// 1,000,000 TLBIs (IPAS2E1IS, VMALLS12E1IS, VMALLE1IS, ALLE1IS in turn)
/// from L1; then L2 still reads its data page.
fn tlbi_storm(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    mem::put(vm.data_pa, 0x5707);
    hw::sync_range(vm.data_pa, 4096);
    vm.activate();
    // SAFETY: TLB maintenance only, 250,000 rounds of four.
    unsafe {
        core::arch::asm!(
            "1:",
            "tlbi ipas2e1is, {ipa}",
            "tlbi vmalls12e1is",
            "tlbi vmalle1is",
            "tlbi alle1is",
            "subs {n}, {n}, #1",
            "b.ne 1b",
            "dsb ish",
            "isb",
            ipa = in(reg) DATA >> 12,
            n = inout(reg) 250_000u64 => _,
            options(nostack)
        )
    };
    let (_, esr, x0) = vm.run_simple(prog::load(), &[0, DATA]);
    verdict!(
        esr == 0x5a00_0000 && x0 == 0x5707,
        "[cost-only] 1000000 TLBIs, L2 read its page {}",
        if x0 == 0x5707 { "ok" } else { "BAD" }
    )
}
