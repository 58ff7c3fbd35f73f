//! Interrupt cases: the EL2 physical and virtual timers taken at EL2 and
//! while L2 runs, L2's virtual timer under L1's CNTVOFF_EL2, a virtual
//! interrupt injected through a list register, and each maintenance
//! interrupt kind (GICv3 IHI 0069 12.x; Arm ARM D12, the generic timer).

use super::gic::{self, intid};
use super::l2::{prog, Step, Vm, PSTATE_EL1H};
use super::world::{cpu, kind};
use super::{hw, verdict, Case, Suite, Verdict};

pub const CASES: &[Case] = &[
    ("el2-cnthp-irq", cnthp_irq),
    ("el2-cnthv-irq", cnthv_irq),
    ("l2-exit-on-cnthp", exit_on_cnthp),
    ("l2-vtimer-cntvoff", vtimer_cntvoff),
    ("lr-inject", lr_inject),
    ("mi-eoi", mi_eoi),
    ("mi-underflow", mi_underflow),
    ("mi-nopending", mi_nopending),
    ("mi-lrenp", mi_lrenp),
    ("mi-vgrp1e", mi_vgrp1e),
    ("mi-vgrp1d", mi_vgrp1d),
    ("mi-at-el2", mi_at_el2),
    ("mi-at-el2-dropped", mi_at_el2_dropped),
];
pub const N: usize = CASES.len();

/// One timer tick from now: 1 ms.
fn soon() -> u64 {
    hw::cntfrq() / 1000
}

/// Unmasks IRQs at EL2 until `f` holds (at most 200 ms).
fn wait_irq_at_el2(f: impl FnMut() -> bool) -> bool {
    wait_irq_at_el2_for(200, f)
}

/// Unmasks IRQs at EL2 until `f` holds (at most `ms` ms).
fn wait_irq_at_el2_for(ms: u64, f: impl FnMut() -> bool) -> bool {
    // SAFETY: the current-EL IRQ vector is installed (world::init_cpu).
    unsafe { core::arch::asm!("msr daifclr, #2", options(nostack)) };
    let ok = hw::wait_until(ms, f);
    // SAFETY: masking IRQs again.
    unsafe { core::arch::asm!("msr daifset, #2", options(nostack)) };
    ok
}

/// CNTHP (EL2 physical timer; CNTP_* with E2H): CVAL one tick ahead,
/// enabled; the interrupt (PPI 26) is taken at EL2 through the current-EL
/// IRQ vector with ISTATUS set, once (the handler disables the timer).
fn cnthp_irq(_: &mut Suite) -> Verdict {
    let cval = hw::cntpct() + soon();
    hw::el2::set_cnthp_cval(cval);
    hw::el2::set_cnthp_ctl(1);
    rt::sysreg::isb();
    let c = cpu();
    wait_irq_at_el2(|| cpu().irqs[intid::HPTIMER as usize] > 0);
    let reached = hw::cntpct() >= cval;
    hw::el2::set_cnthp_ctl(0);
    let n = c.irqs[intid::HPTIMER as usize];
    let via = c.irq_via;
    verdict!(
        n == 1 && c.timer_istatus[intid::HPTIMER as usize] && via == kind::CUR_IRQ && reached,
        "intid 26 taken {n} time(s) at EL2 ({}), istatus={}",
        if via == kind::CUR_IRQ {
            "current-el irq vector"
        } else {
            "BAD vector"
        },
        u8::from(c.timer_istatus[intid::HPTIMER as usize])
    )
}

/// CNTHV (EL2 virtual timer; CNTV_* with E2H), CNTVOFF_EL2 = 0: PPI 28 at
/// EL2, as above.
fn cnthv_irq(_: &mut Suite) -> Verdict {
    hw::el2::set_cntvoff(0);
    rt::sysreg::isb();
    let cval = hw::cntpct() + soon();
    hw::el2::set_cnthv_cval(cval);
    hw::el2::set_cnthv_ctl(1);
    rt::sysreg::isb();
    let c = cpu();
    wait_irq_at_el2(|| cpu().irqs[intid::HVTIMER as usize] > 0);
    hw::el2::set_cnthv_ctl(0);
    let n = c.irqs[intid::HVTIMER as usize];
    let via = c.irq_via;
    verdict!(
        n == 1 && c.timer_istatus[intid::HVTIMER as usize] && via == kind::CUR_IRQ,
        "intid 28 taken {n} time(s) at EL2 ({}), istatus={}",
        if via == kind::CUR_IRQ {
            "current-el irq vector"
        } else {
            "BAD vector"
        },
        u8::from(c.timer_istatus[intid::HVTIMER as usize])
    )
}

/// CNTHP fires while L2 spins: the physical interrupt for L1 ends L2's run
/// with an IRQ exit (lower-EL IRQ vector, HCR_EL2.IMO), L1 handles it and
/// resumes L2, which finishes.
fn exit_on_cnthp(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    hw::el2::set_cnthp_cval(hw::cntpct() + soon());
    hw::el2::set_cnthp_ctl(1);
    rt::sysreg::isb();
    let mut irq_exits = 0;
    let mut done = false;
    vm.run(prog::spin(), &[0, 1 << 40], PSTATE_EL1H, 100, |x| {
        if x.is_irq() {
            irq_exits += 1;
            if cpu().irqs[intid::HPTIMER as usize] > 0 {
                // Shorten L2's spin so it finishes now.
                x.ctx.x[1] = 1;
            }
            return Step::Resume;
        }
        done = x.hvc() == Some(0);
        Step::Stop
    });
    hw::el2::set_cnthp_ctl(0);
    let c = cpu();
    let n = c.irqs[intid::HPTIMER as usize];
    verdict!(
        n == 1 && c.irq_via == kind::IRQ && irq_exits >= 1 && done,
        "intid 26 ended L2's run ({}), L2 resumed and finished {}",
        if c.irq_via == kind::IRQ {
            "lower-el irq vector"
        } else {
            "BAD vector"
        },
        done
    )
}

/// What an interrupt run saw.
#[derive(Default)]
struct Events {
    /// INTIDs L2 acknowledged (HVC #0x20), in order.
    acks: [u64; 4],
    nacks: usize,
    /// INTIDs L2 completed (HVC #0x21).
    eois: [u64; 4],
    neois: usize,
    /// Maintenance interrupts taken and the OR of their ICH_MISR_EL2.
    mis: u32,
    misr: u64,
    /// L2 reached HVC #0; x0 then.
    done: Option<u64>,
}

/// Runs `pc` recording interrupt events until `stop` holds, HVC #0, or
/// anything unexpected.
fn run_irq(vm: &mut Vm, pc: u64, args: &[u64], stop: impl Fn(&Events) -> bool) -> Events {
    let mut e = Events::default();
    vm.run(pc, args, PSTATE_EL1H, 100, |x| {
        if x.is_irq() {
            let c = cpu();
            if c.misr != 0 {
                e.mis += 1;
                e.misr |= c.misr;
                c.misr = 0;
            }
        } else {
            match x.hvc() {
                Some(0x20) if e.nacks < 4 => {
                    e.acks[e.nacks] = x.ctx.x[0] & 0xff_ffff;
                    e.nacks += 1;
                }
                Some(0x21) if e.neois < 4 => {
                    e.eois[e.neois] = x.ctx.x[0] & 0xff_ffff;
                    e.neois += 1;
                }
                Some(0) => {
                    e.done = Some(x.ctx.x[0]);
                    return Step::Stop;
                }
                _ => return Step::Stop,
            }
        }
        if stop(&e) {
            Step::Stop
        } else {
            Step::Resume
        }
    });
    e
}

/// L2's virtual timer under CNTVOFF_EL2: L2 sees CNTVCT = CNTPCT -
/// CNTVOFF (between its two CNTPCT reads), programs CVAL 0x800 ahead and
/// polls until ISTATUS; the physical PPI 27 meanwhile ends its run (L1
/// masks the timer: IMASK, as KVM does), and L1 then injects virtual INTID
/// 27 through a list register, which L2 takes and completes.
fn vtimer_cntvoff(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    let off = hw::cntpct().saturating_sub(0x1_0000);
    hw::el2::set_cntvoff(off);
    rt::sysreg::isb();
    let mut regs = [0u64; 31];
    let mut phys = 0;
    vm.run(prog::vtimer(), &[], PSTATE_EL1H, 100, |x| {
        if x.is_irq() {
            phys = cpu().irqs[intid::VTIMER as usize];
            return Step::Resume;
        }
        regs = x.ctx.x;
        Step::Stop
    });
    let (p1, v, p2) = (regs[2], regs[3], regs[4]);
    let count_ok = p1.wrapping_sub(off) <= v && v <= p2.wrapping_sub(off);
    let fired_ok =
        regs[6] & 4 != 0 && regs[8] >= regs[5] && (regs[9] as u32 as i32) <= 0 && regs[7] != 0;
    let istatus = cpu().timer_istatus[intid::VTIMER as usize];
    // Inject the virtual timer interrupt.
    hw::el2::set_ich_hcr(1);
    gic::set_lr(0, gic::lr_pending(intid::VTIMER, 0x80, false));
    rt::sysreg::isb();
    let e = run_irq(&mut vm, prog::irqwait(), &[0, 100_000_000], |e| {
        e.neois >= 1
    });
    hw::el1::set_cntv_ctl(0);
    hw::el2::set_cntvoff(0);
    rt::sysreg::isb();
    let taken = e.nacks == 1 && e.acks[0] == 27 && e.neois == 1;
    verdict!(
        count_ok && fired_ok && phys == 1 && istatus && taken,
        "cntvct=cntpct-cntvoff {}, timer fired {}, pintid 27 exits={phys}, vintid 27 taken by L2 {}",
        if count_ok { "ok" } else { "BAD" },
        if fired_ok { "ok" } else { "BAD" },
        if taken { "ok" } else { "BAD" }
    )
}

/// A pending group-1 virtual interrupt (vINTID 40) in ICH_LR0_EL2 is taken
/// by L2 (ICC_IAR1_EL1 = 40 through the virtual CPU interface), completed,
/// and the LR is free afterwards (ELRSR bit 0); L2's ICC_PMR/IGRPEN1 writes
/// show in ICH_VMCR_EL2 (VPMR = 0xff's implemented bits, VENG1).
fn lr_inject(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    hw::el2::set_ich_hcr(1);
    gic::set_lr(0, gic::lr_pending(40, 0x80, false));
    rt::sysreg::isb();
    let e = run_irq(&mut vm, prog::irqwait(), &[0, 100_000_000], |e| {
        e.neois >= 1
    });
    let lr = gic::lr(0);
    let elrsr = hw::el2::ich_elrsr() & 1;
    let vmcr = hw::el2::ich_vmcr();
    let ok = e.nacks == 1 && e.acks[0] == 40 && e.neois == 1 && lr >> 62 == 0 && elrsr == 1;
    // VPMR holds the implemented priority bits of L2's 0xff.
    let vpmr = (0xffu64 << (8 - s.feat.vpri_bits)) & 0xff;
    let vmcr_ok = vmcr >> 24 == vpmr && vmcr & 2 != 0;
    verdict!(
        ok && vmcr_ok && e.mis == 0,
        "acks={} first={} eois={} lr0.state={} elrsr0={elrsr} vmcr {}",
        e.nacks,
        e.acks[0],
        e.neois,
        lr >> 62,
        if vmcr_ok { "ok" } else { "BAD" }
    )
}

fn mi_verdict(e: &Events, bit: u32, what: &str, extra: bool) -> Verdict {
    let seen = e.misr & (1 << bit) != 0;
    verdict!(
        seen && e.mis >= 1 && extra,
        "maintenance interrupt {what}: {} (misr bits seen {:#x}), acks={} eois={}",
        if seen { "taken" } else { "BAD" },
        e.misr,
        e.nacks,
        e.neois
    )
}

/// EOI maintenance: an LR with EOI = 1; L2's completion frees it and raises
/// the maintenance interrupt (MISR.EOI, EISR bit 0).
fn mi_eoi(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    hw::el2::set_ich_hcr(1);
    gic::set_lr(0, gic::lr_pending(41, 0x80, true));
    rt::sysreg::isb();
    let e = run_irq(&mut vm, prog::irqwait(), &[0, 100_000_000], |e| {
        e.neois >= 1 && e.mis >= 1
    });
    let eisr = cpu().eisr & 1;
    mi_verdict(&e, 0, "eoi", eisr == 1 && e.acks[0] == 41)
}

/// Underflow: two pending LRs and UIE; once L2 completes one, at most one
/// LR is valid and MISR.U is raised.
fn mi_underflow(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    hw::el2::set_ich_hcr(1 | 2);
    gic::set_lr(0, gic::lr_pending(42, 0x80, false));
    gic::set_lr(1, gic::lr_pending(43, 0x80, false));
    rt::sysreg::isb();
    let e = run_irq(&mut vm, prog::irqwait(), &[0, 100_000_000], |e| {
        e.neois >= 2 && e.mis >= 1
    });
    mi_verdict(&e, 1, "underflow", e.neois == 2)
}

/// No pending: NPIE with one pending LR; once L2 acknowledges it (active,
/// nothing pending) MISR.NP is raised.
fn mi_nopending(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    hw::el2::set_ich_hcr(1 | 8);
    gic::set_lr(0, gic::lr_pending(44, 0x80, false));
    rt::sysreg::isb();
    let e = run_irq(&mut vm, prog::irqwait(), &[0, 100_000_000], |e| {
        e.neois >= 1 && e.mis >= 1
    });
    mi_verdict(&e, 3, "no-pending", e.acks[0] == 44)
}

/// LR entry not present: L2 acknowledges vINTID 45 (in LR0) and completes
/// INTID 46, which no LR holds: ICH_HCR_EL2.EOIcount becomes 1 and with
/// LRENPIE MISR.LRENP is raised; LR0 stays active.
fn mi_lrenp(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    hw::el2::set_ich_hcr(1 | 4);
    gic::set_lr(0, gic::lr_pending(45, 0x80, false));
    rt::sysreg::isb();
    let e = run_irq(&mut vm, prog::lrenp(), &[0, 1_000_000, 46], |e| e.mis >= 1);
    let count = (hw::el2::ich_hcr() >> 27) & 0x1f;
    let lr0 = gic::lr(0) >> 62;
    let v = mi_verdict(&e, 2, "lrenp", count == 1 && lr0 == 2);
    verdict!(
        v.status == super::Status::Pass,
        "{} eoicount={count} lr0.state={lr0}",
        v.detail.as_str()
    )
}

/// Group enable: VGrp1EIE with VENG1 = 0; L2 sets ICC_IGRPEN1_EL1 (VENG1)
/// and MISR.VGrp1E is raised.
fn mi_vgrp1e(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    hw::el2::set_ich_vmcr(0xff << 24);
    hw::el2::set_ich_hcr(1 | (1 << 6));
    rt::sysreg::isb();
    let e = run_irq(&mut vm, prog::igrpen(), &[0, 1_000_000, 1], |e| e.mis >= 1);
    mi_verdict(&e, 6, "vgrp1e", hw::el2::ich_vmcr() & 2 != 0)
}

/// Group disable: VGrp1DIE with VENG1 = 1; L2 clears ICC_IGRPEN1_EL1 and
/// MISR.VGrp1D is raised.
fn mi_vgrp1d(s: &mut Suite) -> Verdict {
    let mut vm = s.vm();
    hw::el2::set_ich_vmcr((0xff << 24) | 2);
    hw::el2::set_ich_hcr(1 | (1 << 7));
    rt::sysreg::isb();
    let e = run_irq(&mut vm, prog::igrpen(), &[0, 1_000_000, 0], |e| e.mis >= 1);
    mi_verdict(&e, 7, "vgrp1d", hw::el2::ich_vmcr() & 2 == 0)
}

/// The maintenance interrupt is a level of the virtual CPU interface's
/// state, not only of a running L2 (IHI 0069 12.5.7 ICH_MISR_EL2; 4.8
/// maintenance interrupts): with ICH_HCR_EL2.{En,UIE} and no valid list
/// register MISR.U holds, and PPI 25 is taken at EL2 as soon as IRQs are
/// unmasked, once (the handler clears UIE). The ICH_MISR_EL2 read before
/// the unmask is also where an L0 under FEAT_NV2 first sees the ICH_HCR
/// write (it lands in the VNCR page without a trap).
fn mi_at_el2(_: &mut Suite) -> Verdict {
    for n in 0..4 {
        gic::set_lr(n, 0);
    }
    hw::el2::set_ich_hcr(1 | 2);
    rt::sysreg::isb();
    let misr = hw::el2::ich_misr();
    let c = cpu();
    wait_irq_at_el2(|| cpu().irqs[intid::MAINT as usize] > 0);
    hw::el2::set_ich_hcr(0);
    rt::sysreg::isb();
    let n = c.irqs[intid::MAINT as usize];
    let via = c.irq_via;
    verdict!(
        n == 1 && misr & 2 != 0 && via == kind::CUR_IRQ && c.misr & 2 != 0,
        "misr before {misr:#x}; intid 25 taken {n} time(s) at EL2 ({}), misr in the handler {:#x}",
        if via == kind::CUR_IRQ {
            "current-el irq vector"
        } else {
            "BAD vector"
        },
        c.misr
    )
}

/// The level drops before IRQs are unmasked (ICH_HCR_EL2.En cleared, and
/// an ICH_MISR_EL2 read after it, 0): no maintenance interrupt is taken.
fn mi_at_el2_dropped(_: &mut Suite) -> Verdict {
    for n in 0..4 {
        gic::set_lr(n, 0);
    }
    hw::el2::set_ich_hcr(1 | 2);
    rt::sysreg::isb();
    let before = hw::el2::ich_misr();
    hw::el2::set_ich_hcr(0);
    rt::sysreg::isb();
    let after = hw::el2::ich_misr();
    let c = cpu();
    wait_irq_at_el2_for(5, || false);
    let n = c.irqs[intid::MAINT as usize];
    verdict!(
        n == 0 && before & 2 != 0 && after == 0,
        "misr {before:#x} then {after:#x} after En = 0; intid 25 taken {n} time(s) in 5 ms unmasked"
    )
}
