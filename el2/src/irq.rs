//! The hardware side of the vGIC: physical interrupts taken while a vCPU
//! ran, the list registers ([`ListRegs`] over ICH_LR<n>_EL2), and the
//! guest's SGIs. The bookkeeping itself is `el2::vgic`.

use aarch64_cpu::registers::{Readable, Writeable, ICH_VTR_EL2};
use arch::regs::{ich_lr, ich_vtr};
use el2::vgic::{ListRegs, NR_SGIS};

use crate::gic::{self, PhysGic};
use crate::vcpu::Vcpu;
use crate::vm::Vm;

/// Physical SGI L0 uses to tell another CPU it has virtual SGIs pending.
const KICK_SGI: u32 = 0;
/// Interrupts acknowledged per IRQ exit at most (each loop takes one).
const MAX_ACKS: usize = 32;

/// Number of list registers this CPU implements.
pub fn nr_list_regs() -> usize {
    (ICH_VTR_EL2.get() & ich_vtr::LIST_REGS) as usize + 1
}

/// The live list registers of this CPU and the physical GIC behind them.
pub struct HwLrs<'a> {
    n: usize,
    gic: &'a PhysGic,
}

impl<'a> HwLrs<'a> {
    /// This CPU's list registers.
    pub fn new(gic: &'a PhysGic) -> Self {
        HwLrs {
            n: nr_list_regs(),
            gic,
        }
    }
}

macro_rules! lr_match {
    ($n:expr, $op:ident $(, $v:expr)?) => {{
        use aarch64_cpu::registers::*;
        match $n {
            0 => ICH_LR0_EL2.$op($($v)?),
            1 => ICH_LR1_EL2.$op($($v)?),
            2 => ICH_LR2_EL2.$op($($v)?),
            3 => ICH_LR3_EL2.$op($($v)?),
            4 => ICH_LR4_EL2.$op($($v)?),
            5 => ICH_LR5_EL2.$op($($v)?),
            6 => ICH_LR6_EL2.$op($($v)?),
            7 => ICH_LR7_EL2.$op($($v)?),
            8 => ICH_LR8_EL2.$op($($v)?),
            9 => ICH_LR9_EL2.$op($($v)?),
            10 => ICH_LR10_EL2.$op($($v)?),
            11 => ICH_LR11_EL2.$op($($v)?),
            12 => ICH_LR12_EL2.$op($($v)?),
            13 => ICH_LR13_EL2.$op($($v)?),
            14 => ICH_LR14_EL2.$op($($v)?),
            _ => ICH_LR15_EL2.$op($($v)?),
        }
    }};
}

impl ListRegs for HwLrs<'_> {
    fn count(&self) -> usize {
        self.n
    }
    fn read(&self, n: usize) -> u64 {
        lr_match!(n, get)
    }
    fn write(&mut self, n: usize, v: u64) {
        lr_match!(n, set, v)
    }
    fn elrsr(&self) -> u64 {
        rt::sysreg::read!("ICH_ELRSR_EL2")
    }
    fn eisr(&self) -> u64 {
        rt::sysreg::read!("ICH_EISR_EL2")
    }
    fn phys_pending(&self, i: u32) -> bool {
        if i < 32 {
            self.gic.ppi_pending(crate::percpu::cpu_index(), i)
        } else {
            self.gic.spi_pending(i)
        }
    }
    fn phys_level(&self, i: u32) -> bool {
        self.gic.spi_level(i)
    }
    fn phys_deactivate(&mut self, i: u32) {
        gic::deactivate(i);
    }
}

/// Clears the list registers and ICH_VMCR_EL2 of this CPU (vCPU start).
pub fn reset_cpu_interface(gic: &PhysGic) {
    let mut l = HwLrs::new(gic);
    for n in 0..l.count() {
        l.write(n, 0);
    }
    aarch64_cpu::registers::ICH_VMCR_EL2.set(0);
}

/// Moves pending virtual interrupts into list registers before entry
/// (not while a guest hypervisor's own list registers are loaded).
pub fn flush(v: &mut Vcpu) {
    if crate::nv::l1_lrs_loaded(v) {
        return;
    }
    crate::nv::l1_maintenance(v);
    let vm = v.vm;
    let mut lrs = HwLrs::new(&vm.gic);
    v.vgic.flush(&vm.redist[v.index], &vm.vgic, &mut lrs);
}

/// The board's timer PPIs (from the DTB: secure, phys, virt, hyp phys,
/// hyp virt).
pub fn timer_ppis(vm: &Vm) -> nested::timer::Ppis {
    let t = vm.machine.timer_ppis;
    nested::timer::Ppis {
        el1_phys: t[1],
        el1_virt: t[2],
        el2_phys: t[3],
        el2_virt: t[4],
    }
}

/// The vINTID each physical PPI is delivered as: identity, except at
/// virtual EL2, where the EL1 timers carry L1's EL2 timers.
pub fn remap(vm: &Vm, at_vel2: bool) -> [u8; 32] {
    let p = timer_ppis(vm);
    core::array::from_fn(|i| p.l1_intid(i as u32, at_vel2) as u8)
}

/// The hardware EL1 timers change owner at each world switch of a nested
/// vCPU: at virtual EL2 they hold L1's EL2 timers, in the guest context
/// the guest's EL1 timers. Their physical interrupts (level PPIs, active
/// from L0's acknowledge until someone deactivates them) are part of the
/// context (as in Arm's guidance for timer virtualization, IHI 0069
/// 4.4.x): switching out, whatever the old owner raised is delivered to L1
/// in software under the vINTID it had, and the physical active state is
/// put aside; switching in, the new owner's is put back. L1 (KVM) forwards
/// its guest's timer to it with an HW = 1 list register naming the
/// physical timer PPI and expects that PPI to stay active until the guest
/// completes it: the guest context's active state ([`Nested::timer_active`])
/// keeps it so, and the guest's completion (L1's LR going invalid) clears
/// L0's list register that carried it to L1 (`nv::put_l1_lrs`).
///
/// `to_guest`: true when entering the guest context. Called while L0's
/// list registers are in the hardware, before the remap changes.
pub fn timers_change_owner(v: &mut Vcpu, to_guest: bool) {
    let vm = v.vm;
    let p = timer_ppis(vm);
    let cpu = crate::percpu::cpu_index();
    let mut lrs = HwLrs::new(&vm.gic);
    let mut carried = 0u32; // PPIs now carried by an L0 list register
    for k in 0..lrs.count() {
        let l = lrs.read(k);
        let pintid = ((l >> ich_lr::PINTID_SHIFT) & ich_lr::PINTID) as u32;
        if l & ich_lr::HW != 0
            && l & ich_lr::STATE != 0
            && (pintid == p.el1_phys || pintid == p.el1_virt)
        {
            lrs.write(
                k,
                l & !(ich_lr::HW | (ich_lr::PINTID << ich_lr::PINTID_SHIFT)),
            );
            carried |= 1 << pintid;
        }
    }
    let mut active = 0u32;
    for pi in [p.el1_phys, p.el1_virt] {
        let fired = v.vgic.take_waiting(pi);
        if fired {
            v.vgic.soft_fired(v.vgic.vintid(pi));
        }
        if carried & (1 << pi) == 0 && (fired || vm.gic.ppi_active(cpu, pi)) {
            active |= 1 << pi;
        }
        gic::deactivate(pi);
    }
    let n = v.nested.as_deref_mut().expect("nested vCPU");
    if to_guest {
        // The guest's interrupts L1 has completed meanwhile (no L0 list
        // register holds them any more) stay completed.
        let held = (0..lrs.count()).fold(0u32, |m, k| {
            let l = lrs.read(k);
            let vi = (l & ich_lr::VINTID) as u32;
            if l & ich_lr::STATE != 0 && vi < 32 {
                m | 1 << vi
            } else {
                m
            }
        });
        n.timer_active &= held | v.vgic.soft_bits();
        for pi in [p.el1_phys, p.el1_virt] {
            if n.timer_active & (1 << pi) != 0 {
                vm.gic.ppi_set_active(cpu, pi);
            }
        }
    } else {
        n.timer_active = active;
    }
}

/// What a nested IRQ exit found.
#[derive(Clone, Copy, Debug, Default)]
pub struct Events {
    /// Something for L1 (a hardware interrupt it owns, an SGI, one of its
    /// emulated EL2 timers).
    pub for_l1: bool,
    /// L1's list registers raised their maintenance interrupt.
    pub l1_maint: bool,
}

/// Physical interrupts of an IRQ exit of a nested vCPU.
pub fn handle_nested(v: &mut Vcpu) -> Events {
    let vm = v.vm;
    let l0_timer = timer_ppis(vm).el2_phys;
    let mut ev = Events::default();
    let tally = &el2::counters::IRQ_BY_INTID[v.context() as usize];
    for _ in 0..MAX_ACKS {
        let Some(i) = gic::ack() else { break };
        gic::eoi(i);
        tally.count(i);
        if log::log_enabled!(log::Level::Debug) {
            static SEEN: el2::ratelimit::RateLimit = el2::ratelimit::RateLimit::new();
            if let Some(n) = SEEN.check() {
                log::debug!(
                    "vcpu{} irq {i} (seen {}) ich_hcr {:#x} misr {:#x} elrsr {:#x}",
                    v.index,
                    n,
                    v.vgic.ich_hcr,
                    rt::sysreg::read!("ICH_MISR_EL2"),
                    rt::sysreg::read!("ICH_ELRSR_EL2")
                );
            }
        }
        if i < NR_SGIS {
            gic::deactivate(i);
            ev.for_l1 = true;
        } else if i == vm.machine.gic_maint_ppi {
            gic::deactivate(i);
            if crate::nv::l1_lrs_loaded(v) {
                // L1's ICH_HCR_EL2 asked for it: its maintenance interrupt.
                v.vgic.soft_fired(vm.machine.gic_maint_ppi);
                ev.l1_maint = true;
            }
        } else if i == l0_timer {
            gic::deactivate(i);
            if crate::nv::l1_timer_fired(v) {
                ev.for_l1 = true;
            }
        } else if vm.vgic.owned.has(i) {
            v.vgic.hw_fired(i);
            ev.for_l1 = true;
        } else {
            el2::guest_warn!("unowned physical interrupt {i}: deactivated");
            gic::deactivate(i);
        }
    }
    ev
}

/// ICH_VTR_EL2.PREbits + 1.
pub fn pre_bits() -> u32 {
    ((ICH_VTR_EL2.get() >> ich_vtr::PREBITS_SHIFT) & 7) as u32 + 1
}

/// Whether L1 at virtual EL2 would take an interrupt from L0 at once if
/// it let one in: what waits is first moved into L0's list registers
/// (those that cannot be, disabled ones, do not count), then the virtual
/// CPU interface's own rules decide (`el2::vgic::cpuif_signals`: group
/// enables, priority mask, running priority), so a masked interrupt never
/// turns L1's every ERET into an interrupt it cannot acknowledge. Called
/// at virtual EL2, with L0's list registers in the hardware.
pub fn l1_has_pending(v: &mut Vcpu) -> bool {
    flush(v);
    let lrs = HwLrs::new(&v.vm.gic);
    let mut l = [0u64; 16];
    for (k, x) in l.iter_mut().enumerate().take(lrs.count()) {
        *x = lrs.read(k);
    }
    let apr = [
        rt::sysreg::read!("ICH_AP0R0_EL2"),
        rt::sysreg::read!("ICH_AP1R0_EL2"),
    ];
    let vmcr = aarch64_cpu::registers::ICH_VMCR_EL2.get();
    el2::vgic::cpuif_signals(&l[..lrs.count()], vmcr, apr, pre_bits())
}

/// Puts L1's list registers into the hardware for its guest; L1's HW = 1
/// list registers name L1's INTIDs, backed by the same physical interrupt
/// when L0 gives L1 that one (its EL1 timers, passed-through SPIs), by
/// nothing for L1's software-made ones (its EL2 timers, its maintenance
/// interrupt).
pub fn load_l1_lrs(v: &mut Vcpu) {
    let vm = v.vm;
    let virt_only = vm.vgic.virt_ppis;
    let p = timer_ppis(vm);
    let phys = move |i: u32| {
        let soft = i == p.el2_phys
            || i == p.el2_virt
            || (i < 32 && virt_only & (1 << i) != 0 && i != p.el1_phys && i != p.el1_virt);
        (vm.vgic.owned.has(i) && !soft).then_some(i)
    };
    crate::nv::load_l1_lrs(v, phys);
}

/// L1's list registers back into its page, L0's into the hardware.
pub fn put_l1_lrs(v: &mut Vcpu) {
    crate::nv::put_l1_lrs(v);
}

/// Handles physical interrupts after an IRQ exit: the guest's are recorded
/// for its list registers (they stay active until the guest deactivates
/// them through the HW link), L0's own are serviced.
pub fn handle(v: &mut Vcpu) {
    let vm = v.vm;
    let tally = &el2::counters::IRQ_BY_INTID[v.context() as usize];
    for _ in 0..MAX_ACKS {
        let Some(i) = gic::ack() else { return };
        gic::eoi(i);
        tally.count(i);
        if i < NR_SGIS || i == vm.machine.gic_maint_ppi {
            // A kick (pending virtual SGIs are picked up by `flush`) or the
            // maintenance interrupt (list registers freed up).
            gic::deactivate(i);
        } else if vm.vgic.owned.has(i) {
            v.vgic.hw_fired(i);
        } else {
            el2::guest_warn!("unowned physical interrupt {i}: deactivated");
            gic::deactivate(i);
        }
    }
}

/// A guest write to ICC_SGI1R_EL1 (IHI 0069, 12.2.22): TargetList`[15:0]`,
/// Aff1`[23:16]`, INTID`[27:24]`, Aff2`[39:32]`, IRM`[40]`, Aff3`[55:48]`.
pub fn send_sgi(v: &mut Vcpu, val: u64) {
    let vm = v.vm;
    let intid = ((val >> 24) & 0xf) as u32;
    let irm = val & (1 << 40) != 0;
    let aff = ((val >> 48) & 0xff) << 32 | ((val >> 32) & 0xff) << 16 | ((val >> 16) & 0xff) << 8;
    for (t, &mpidr) in vm.machine.cpus.iter().enumerate().take(vm.ncpus) {
        let hit = if irm {
            t != v.index
        } else {
            mpidr & !0xff == aff && (mpidr & 0xff) < 16 && val & (1 << (mpidr & 0xf)) != 0
        };
        if !hit {
            continue;
        }
        vm.redist[t].send_sgi(intid);
        if t != v.index {
            gic::send_sgi(mpidr, KICK_SGI);
        }
    }
}
