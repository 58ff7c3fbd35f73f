//! The hardware side of virtual EL2 (the rules are `nested::vel2`): a
//! nested vCPU's two contexts, the world switch between them, and the
//! exits of each. docs/nested.md tells the story of an L2 exit.
//!
//! - At virtual EL2 the hardware runs L1 at EL1 with HCR_EL2.{NV,NV2}
//!   (NV1 while L1 believes E2H = 0), VNCR_EL2 at the vCPU's page, VMID 1
//!   (L0's own stage 2), the EL1 registers holding L1's EL2 state and the
//!   EL1 timers holding L1's EL2 timers.
//! - In L1's guest context the EL1 registers hold the guest's state from
//!   the page, the controls are L0's and L1's merged, the stage 2 is the
//!   shadow of L1's (or L0's own under VMID 2 while L1's stage 2 is off),
//!   and, while L1 takes its interrupts at EL2 (IMO/FMO), the list
//!   registers are L1's.

use alloc::boxed::Box;

use arch::esr::{ec, DataAbort, Enc, Esr, SysregIss};
use arch::regs::{hcr, ich_lr, spsr, vttbr};
use at_emul::{Access as WalkAccess, AtOp, Va};
use el2::counters::ExitReason;
use el2::guest_mem::{GuestMemory, PhysRead};
use el2::stage2::Tlb;
use el2::vgic::ListRegs;
use fgt::TrapConfig;
use nested::shadow_s2::{self, Fill, Key, L0Leaf};
use nested::timer;
use nested::traps::TlbiPolicy;
use nested::vel2::{self, Access, Ctx, El2State, Eret, Hw, HwRegs, Kind, Reg};
use nested::vncr::{el1 as slot, el2 as off, VncrPage};

use crate::exits::Exit;
use crate::irq::HwLrs;
use crate::mm::HwTlb;
use crate::switch::ExitKind;
use crate::vcpu::Vcpu;

/// The VMID L1's guest context runs under while L1's stage 2 is off (its
/// own EL1 kernel): L0's stage 2, but not the TLB entries of virtual EL2.
pub const VMID_L1_GUEST: u16 = 2;

/// The hardware EL1 registers (and the physical count).
pub struct El1Hw;

/// FEAT_SVE (ID_AA64PFR0_EL1.SVE `[35:32]`), read once: ZCR_EL1 exists.
fn has_sve() -> bool {
    static SVE: spin::Once<bool> = spin::Once::new();
    *SVE.call_once(|| (rt::sysreg::read!("ID_AA64PFR0_EL1") >> 32) & 0xf != 0)
}

macro_rules! hw_regs {
    ($($v:ident => $name:literal),* $(,)?) => {
        impl HwRegs for El1Hw {
            fn read(&self, r: Hw) -> u64 {
                match r {
                    Hw::Zcr => {
                        let mut z = 0;
                        if has_sve() {
                            with_sve_regs(|| z = rt::sysreg::read!(rt::reg!(ZCR_EL1)));
                        }
                        z
                    }
                    Hw::Tcr => rt::sysreg::read!("TCR_EL1"),
                    $( Hw::$v => rt::sysreg::read!($name), )*
                }
            }
            fn write(&mut self, r: Hw, v: u64) {
                match r {
                    Hw::Zcr => {
                        if has_sve() {
                            with_sve_regs(|| rt::sysreg::write!(rt::reg!(ZCR_EL1), v));
                        }
                    }
                    // QEMU flushes its whole TLB on every TCR_EL1 write
                    // (the A1 bit could change the ASID), L0's own EL2
                    // entries included: a write of the value already there
                    // is skipped.
                    Hw::Tcr => write_tcr(v),
                    $( Hw::$v => rt::sysreg::write!($name, v), )*
                }
            }
            fn now(&self) -> u64 {
                rt::sysreg::isb();
                rt::sysreg::read!("CNTPCT_EL0")
            }
        }
    };
}

hw_regs! {
    Sctlr => "SCTLR_EL1", Ttbr0 => "TTBR0_EL1", Ttbr1 => "TTBR1_EL1",
    Mair => "MAIR_EL1", Amair => "AMAIR_EL1", Vbar => "VBAR_EL1", Contextidr => "CONTEXTIDR_EL1",
    Afsr0 => "AFSR0_EL1", Afsr1 => "AFSR1_EL1", Esr => "ESR_EL1", Far => "FAR_EL1",
    Elr => "ELR_EL1", Spsr => "SPSR_EL1", Sp => "SP_EL1", Cpacr => "CPACR_EL1",
    Cntkctl => "CNTKCTL_EL1", CntpCtl => "CNTP_CTL_EL0", CntpCval => "CNTP_CVAL_EL0",
    CntvCtl => "CNTV_CTL_EL0", CntvCval => "CNTV_CVAL_EL0",
}

/// The guest's EL1 registers that live in the VNCR page while virtual EL2
/// runs, in the order they are loaded (timer CVALs before CTLs).
macro_rules! guest_slots {
    ($($slot:ident => $name:literal),* $(,)?) => {
        /// Loads the guest's EL1 registers from the page (ZCR_EL1 with
        /// SVE, and the vector-length limit L1 set in its ZCR_EL2).
        fn load_guest(page: &VncrPage, l1_zcr_el2: u64) {
            write_tcr(page.get(slot::TCR));
            $( rt::sysreg::write!($name, page.get(slot::$slot)); )*
            if has_sve() {
                with_sve_regs(|| {
                    rt::sysreg::write!(rt::reg!(ZCR_EL1), page.get(slot::ZCR));
                    rt::sysreg::write!(rt::reg!(ZCR_EL2), l1_zcr_el2 & ZCR_LEN);
                });
            }
        }
        /// Saves them into the page (and lifts the vector-length limit).
        fn save_guest(page: &mut VncrPage) {
            page.set(slot::TCR, rt::sysreg::read!("TCR_EL1"));
            $( page.set(slot::$slot, rt::sysreg::read!($name)); )*
            if has_sve() {
                with_sve_regs(|| {
                    page.set(slot::ZCR, rt::sysreg::read!(rt::reg!(ZCR_EL1)));
                    rt::sysreg::write!(rt::reg!(ZCR_EL2), ZCR_LEN);
                });
            }
        }
    };
}

guest_slots! {
    SCTLR => "SCTLR_EL1", CPACR => "CPACR_EL1", TTBR0 => "TTBR0_EL1", TTBR1 => "TTBR1_EL1",
    TCR => "TCR_EL1", AFSR0 => "AFSR0_EL1", AFSR1 => "AFSR1_EL1", ESR => "ESR_EL1",
    FAR => "FAR_EL1", MAIR => "MAIR_EL1", AMAIR => "AMAIR_EL1", VBAR => "VBAR_EL1",
    CONTEXTIDR => "CONTEXTIDR_EL1", SPSR => "SPSR_EL1", ELR => "ELR_EL1", SP => "SP_EL1",
    MDSCR => "MDSCR_EL1", ACTLR => "ACTLR_EL1", CNTV_CVAL => "CNTV_CVAL_EL0", CNTV_CTL => "CNTV_CTL_EL0",
    CNTP_CVAL => "CNTP_CVAL_EL0", CNTP_CTL => "CNTP_CTL_EL0",
}

/// Writes TCR_EL1 unless it already holds `v`: on QEMU 10.0 every TCR_EL1
/// write flushes the whole TLB (L0's EL2 entries too), and the two contexts
/// of a nested vCPU often run with the same value (two Linux kernels with
/// one VA layout: 81% of the writes of a kvm-in-kvm run were skipped; the
/// effect on wall time was within the run-to-run noise of 3 A/B pairs).
fn write_tcr(v: u64) {
    let old: u64 = rt::sysreg::read!("TCR_EL1");
    if old != v {
        rt::sysreg::write!("TCR_EL1", v);
    }
}

/// Runs `f`, which accesses ZCR_EL1/ZCR_EL2, with CPTR_EL2.{TZ, TFP}
/// clear: the hardware CPTR_EL2 may be the guest context's, whose traps
/// apply to EL2's own SVE register accesses too (Arm ARM D24.2 CPTR_EL2).
fn with_sve_regs(f: impl FnOnce()) {
    use arch::regs::cptr;
    let c: u64 = rt::sysreg::read!("CPTR_EL2");
    let open = c & !(cptr::TZ | cptr::TFP);
    if open != c {
        rt::sysreg::write!("CPTR_EL2", open);
        rt::sysreg::isb();
    }
    f();
    if open != c {
        rt::sysreg::write!("CPTR_EL2", c);
        rt::sysreg::isb();
    }
}

/// ZCR_ELx.LEN `[3:0]`: the vector length (L0 leaves its own at the
/// maximum, `vcpu::init_cpu_el2`).
const ZCR_LEN: u64 = 0xf;

/// L0's list registers for L1, put aside while L1's are in the hardware.
struct SavedGic {
    lrs: [u64; 16],
    vmcr: u64,
    apr: [u64; 2],
}

/// A nested vCPU's state beyond the plain one.
pub struct Nested {
    /// Where it is.
    pub ctx: Ctx,
    /// Its VNCR page.
    pub page: Box<VncrPage>,
    /// L1's EL2 registers L0 keeps.
    pub el2: El2State,
    /// L1's trap configuration as of the last guest entry (for routing).
    pub l1: TrapConfig,
    /// The shadow stage 2 the guest context runs on (L1's stage 2 on).
    shadow: Option<Key>,
    /// L0's list registers while L1's are loaded.
    gic: Option<SavedGic>,
    /// L0's own EL2 timer stands in for L1's EL2 timers (guest context).
    timer_armed: bool,
    /// L1's HCR_EL2.E2H, fixed.
    pub mode: vel2::E2hMode,
    /// How L1's EL1 TLBIs run at virtual EL2 now.
    tlbi: TlbiPolicy,
    /// The hardware EL1 timer PPIs (bits) the guest context left active
    /// (see `irq::timers_change_owner`).
    pub timer_active: u32,
}

impl Nested {
    /// A vCPU that starts at virtual EL2 (MPIDR `mpidr`) in `mode`.
    pub fn new(mpidr: u64, mode: vel2::E2hMode) -> Box<Nested> {
        let mut page = Box::new(VncrPage::default());
        // HCR_EL2 out of reset: 0 but for a RES1 E2H.
        page.set(off::HCR, mode.fix_hcr(0));
        let midr: u64 = rt::sysreg::read!("MIDR_EL1");
        page.set(off::VPIDR, midr);
        page.set(off::VMPIDR, mpidr);
        page.set(slot::SCTLR, arch::regs::sctlr_el1::RESET);
        Box::new(Nested {
            ctx: Ctx::Vel2,
            page,
            el2: El2State::new(mode.e2h()),
            l1: TrapConfig::default(),
            shadow: None,
            gic: None,
            timer_armed: false,
            mode,
            timer_active: 0,
            tlbi: TlbiPolicy::TrapAll,
        })
    }

    /// L1's HCR_EL2 from its page (E2H at the mode's value).
    pub fn l1_hcr(&self) -> u64 {
        self.mode.fix_hcr(self.page.get(off::HCR))
    }

    /// Whether the guest context is one of L1's VMs (its stage 2 on).
    pub fn guest_is_l2(&self) -> bool {
        self.shadow.is_some()
    }
}

/// The nested state of `v` (only called on nested vCPUs).
fn nv(v: &mut Vcpu) -> &mut Nested {
    v.nested.as_deref_mut().expect("nested vCPU")
}

/// Programs the controls of virtual EL2 (first entry and every return).
pub fn enter_vel2_controls(v: &mut Vcpu) {
    let vm = v.vm;
    let n = nv(v);
    let e2h = n.el2.e2h;
    let cntvoff = if e2h { 0 } else { n.page.get(off::CNTVOFF) };
    n.el2.hw_cntvoff = cntvoff;
    let page_pa = &*n.page as *const VncrPage as u64;
    let tlbi = TlbiPolicy::for_hcr(n.l1_hcr(), vm.traps.feat.fgt);
    n.tlbi = tlbi;
    v.traps = vel2_traps(&vm.traps, e2h, tlbi);
    v.vttbr = vm.stage2.vttbr();
    v.cntvoff = cntvoff;
    rt::sysreg::write!(rt::reg!(VNCR_EL2), page_pa);
    let midr: u64 = rt::sysreg::read!("MIDR_EL1");
    rt::sysreg::write!("VPIDR_EL2", midr);
    rt::sysreg::write!("VMPIDR_EL2", rt::sysreg::read!("MPIDR_EL1"));
    v.vgic.ppi_remap = crate::irq::remap(vm, true);
}

/// The controls of virtual EL2: L0's, plus those of `nested::traps`.
fn vel2_traps(l0: &TrapConfig, e2h: bool, tlbi: TlbiPolicy) -> TrapConfig {
    let mut t = *l0;
    t.hcr = nested::traps::vel2_hcr(l0.hcr, e2h, tlbi);
    t.fgt[fgt::bits::FgtReg::Hfgitr as usize] |= tlbi.hfgitr();
    t
}

/// First entry of a nested vCPU: its EL2 registers into the hardware.
pub fn start(v: &mut Vcpu) {
    let n = nv(v);
    n.el2.load(&mut El1Hw);
    enter_vel2_controls(v);
}

/// Handles one exit of a nested vCPU; returns how it is counted.
pub fn dispatch(v: &mut Vcpu, e: &Exit) -> ExitReason {
    let vm = v.vm;
    let n = nv(v);
    if n.ctx == Ctx::Vel2 {
        // What L1 reads back of HCR_EL2 (from its page) is what the
        // hardware would give: E2H fixed.
        let h = n.l1_hcr();
        n.page.set(off::HCR, h);
        // L1's TGE as of now decides where its EL1 TLBIs may run.
        let tlbi = TlbiPolicy::for_hcr(h, vm.traps.feat.fgt);
        if tlbi != n.tlbi {
            n.tlbi = tlbi;
            let e2h = n.el2.e2h;
            v.traps = vel2_traps(&vm.traps, e2h, tlbi);
        }
    }
    let n = nv(v);
    match (n.ctx, e.kind) {
        (_, ExitKind::Irq) => irq(v),
        (Ctx::Vel2, ExitKind::Sync) => vel2_sync(v, e),
        (Ctx::Guest, ExitKind::Sync) => guest_sync(v, e),
        (_, ExitKind::Fiq) => {
            el2::guest_warn!("unexpected FIQ exit");
            ExitReason::Fiq
        }
        (_, ExitKind::SError) => {
            el2::guest_warn!("SError from a nested vCPU, esr {:#x}", e.esr.0);
            ExitReason::SError
        }
    }
}

// ---- virtual EL2 ---------------------------------------------------------

/// L1's view of the hardware PSTATE at virtual EL2.
fn vel2_pstate(v: &Vcpu) -> u64 {
    vel2::hw_to_el2(v.regs.pstate)
}

/// Delivers a synchronous exception to L1 at virtual EL2, taken from
/// virtual EL2 itself (or its host EL0): EC `class`, ISS `iss`.
fn inject_vel2(v: &mut Vcpu, syndrome: Esr, far: u64) {
    let (from, pc) = (vel2_pstate(v), v.regs.pc);
    take_to_vel2(v, Kind::Sync, from, pc);
    let mut hw = El1Hw;
    let n = nv(v);
    n.el2.set(&mut hw, Reg::Esr, syndrome.0);
    n.el2.set(&mut hw, Reg::Far, far);
}

/// Takes an exception of `kind` to L1's virtual EL2 from PSTATE `from`,
/// returning to `ret`: ELR_EL2 and SPSR_EL2 as L1 reads them, PC at L1's
/// vector and PSTATE as `vel2::enter` gives them (Arm ARM D1.3 "Exception
/// entry"). Syndrome registers are the caller's.
fn take_to_vel2(v: &mut Vcpu, kind: Kind, from: u64, ret: u64) {
    let mut hw = El1Hw;
    let n = nv(v);
    let e = vel2::enter(
        kind,
        from,
        n.el2.get(&hw, Reg::Vbar),
        n.el2.get(&hw, Reg::Sctlr),
        n.l1_hcr(),
    );
    n.el2.set(&mut hw, Reg::Elr, ret);
    n.el2.set(&mut hw, Reg::Spsr, e.spsr);
    v.regs.pc = e.pc;
    v.regs.pstate = e.pstate;
}

fn undef_vel2(v: &mut Vcpu) {
    inject_vel2(v, Esr::new(ec::UNKNOWN, 0), 0);
}

fn vel2_sync(v: &mut Vcpu, e: &Exit) -> ExitReason {
    match e.esr.ec() {
        ec::ERET => {
            eret(v);
            ExitReason::Eret
        }
        ec::SYSREG => {
            if let Some(a) = e.esr.sysreg_iss() {
                if vel2_sysreg(v, a) {
                    v.regs.pc += 4;
                }
            }
            ExitReason::Sysreg
        }
        // L1's calls to its firmware: PSCI and L0's vendor calls.
        ec::HVC64 => {
            crate::psci::handle(v);
            ExitReason::Hvc
        }
        ec::SMC64 => {
            crate::psci::handle(v);
            v.regs.pc += 4;
            ExitReason::Smc
        }
        ec::DABT_LOW => {
            let from_el0 = v.regs.pstate & spsr::M == spsr::EL0T;
            let r = crate::mmio::data_abort(v, e);
            if r == ExitReason::DabtFault {
                // mmio injected into EL1; at virtual EL2 that is L1's own
                // vector, but with L1's view of the syndrome class (from
                // its host EL0 the lower-EL class stays).
                let class = if from_el0 { ec::DABT_LOW } else { ec::DABT_CUR };
                fix_injected_class(v, class);
            }
            r
        }
        ec::IABT_LOW => {
            el2::guest_warn!(
                "L1 instruction fetch at {:#x}: not its memory, external abort injected",
                e.far
            );
            let iss = u32::from(arch::esr::fsc::SEA);
            let from_el0 = v.regs.pstate & spsr::M == spsr::EL0T;
            let class = if from_el0 { ec::IABT_LOW } else { ec::IABT_CUR };
            inject_vel2(v, Esr::new(class, iss), e.far);
            ExitReason::Iabt
        }
        ec::WFX => {
            v.regs.pc += 4;
            ExitReason::Wfx
        }
        other => {
            el2::guest_warn!(
                "unhandled exit EC {other:#x} esr {:#x} at virtual EL2, pc {:#x}: UNDEF injected",
                e.esr.0,
                v.regs.pc
            );
            undef_vel2(v);
            ExitReason::Other
        }
    }
}

/// `inject::data_abort` wrote an EL1 exception whose SPSR/ESR use the
/// hardware view; at virtual EL2 L1 must see EL2h and a same-EL class.
fn fix_injected_class(v: &mut Vcpu, class: u8) {
    let mut hw = El1Hw;
    let n = nv(v);
    let esr = n.el2.get(&hw, Reg::Esr);
    n.el2.set(
        &mut hw,
        Reg::Esr,
        (esr & !(0x3f << 26)) | (u64::from(class) << 26),
    );
    let sp = n.el2.get(&hw, Reg::Spsr);
    n.el2.set(&mut hw, Reg::Spsr, vel2::hw_to_el2(sp));
}

/// L1's trapped ERET.
fn eret(v: &mut Vcpu) {
    let hw = El1Hw;
    let l1_hcr = nv(v).l1_hcr();
    let n = nv(v);
    let (sp, elr) = (n.el2.get(&hw, Reg::Spsr), n.el2.get(&hw, Reg::Elr));
    match vel2::eret(sp, elr, v.regs.pstate, l1_hcr) {
        Eret::Stay { pc, pstate } | Eret::Illegal { pc, pstate } => {
            v.regs.pc = pc;
            v.regs.pstate = pstate;
        }
        Eret::Guest { pc, pstate } => to_guest(v, pc, pstate),
    }
}

/// A trapped MRS/MSR/SYS at virtual EL2. Returns whether the PC advances.
fn vel2_sysreg(v: &mut Vcpu, a: SysregIss) -> bool {
    let mut hw = El1Hw;
    let val = v.reg(a.rt);
    let n = nv(v);
    match n.el2.access(&mut hw, a.enc, a.read, val) {
        Access::Done(x) => {
            if a.read {
                v.set_reg(a.rt, x);
            }
            return true;
        }
        Access::Undef => {
            undef_vel2(v);
            return false;
        }
        Access::Other => {}
    }
    let e = a.enc;
    match (e.op0(), e.op1(), e.crn(), e.crm(), e.op2()) {
        // ICH_VTR_EL2: the hardware's. ICH_MISR/EISR/ELRSR: from L1's LRs.
        (3, 4, 12, 11, 1) if a.read => {
            v.set_reg(a.rt, rt::sysreg::read!("ICH_VTR_EL2"));
            true
        }
        (3, 4, 12, 11, k @ (2 | 3 | 5)) if a.read => {
            let nlr = crate::irq::nr_list_regs();
            let s = nested::vgic::status(&nv(v).page, nlr);
            v.set_reg(
                a.rt,
                match k {
                    2 => s.misr,
                    3 => s.eisr,
                    _ => s.elrsr,
                },
            );
            true
        }
        // CNTP_TVAL_EL02, CNTV_TVAL_EL02 (a VHE L1; UNDEFINED otherwise,
        // which `El2State::access` answered): the guest's timers.
        (3, 5, 14, crm @ (2 | 3), 0) => {
            let now = El1Hw.now();
            let x = El2State::guest_tval(&mut nv(v).page, crm == 3, a.read, val, now);
            if a.read {
                v.set_reg(a.rt, x);
            }
            true
        }
        (1, _, 8 | 9, ..) => {
            tlbi(v, e, val);
            true
        }
        (1, 0 | 4, 7, 8 | 9, _) => {
            at(v, e, val);
            true
        }
        _ => {
            // ID registers, SGIs, the CPU interface: as for any guest.
            if let Some(advance) = crate::sysreg::handle_common(v, a) {
                return advance;
            }
            el2::guest_warn!(
                "undefined sysreg {} {} at virtual EL2, pc {:#x}: UNDEF injected",
                if a.read { "read" } else { "write" },
                e,
                v.regs.pc
            );
            undef_vel2(v);
            false
        }
    }
}

// ---- world switch ----------------------------------------------------------

/// Whether L1's stage 2 is on for its guest (HCR_EL2.VM, or DC, which
/// makes stage 2 act as enabled: Arm ARM D24.2 HCR_EL2.DC).
const fn stage2_on(l1_hcr: u64) -> bool {
    l1_hcr & (hcr::VM | hcr::DC) != 0
}

/// L1's ERET into its guest context at `pc` with `pstate`.
fn to_guest(v: &mut Vcpu, pc: u64, pstate: u64) {
    let vm = v.vm;
    let hw = El1Hw;
    let cpu = v.index;
    let n = nv(v);
    let l1_hcr = n.l1_hcr();
    // L1's configuration for its guest (its layouts).
    let feat = vm.traps.feat;
    n.l1 = nested::traps::l1_config(
        &n.page,
        n.el2.get(&hw, Reg::Mdcr),
        n.el2.get(&hw, Reg::Cptr),
        n.el2.get(&hw, Reg::Cnthctl),
        feat,
    );
    let takes_irqs = l1_hcr & (hcr::IMO | hcr::FMO) != 0;
    // Something pending for L1 that it takes at EL2: the ERET is followed
    // at once by that interrupt (it is not masked at a lower EL).
    if takes_irqs && crate::irq::l1_has_pending(v) {
        take_to_vel2(v, Kind::Irq, pstate, pc);
        return;
    }
    // Stage 2 first (nothing has changed yet if none can be had): the
    // shadow of L1's, or L0's own under the guest VMID.
    let n = nv(v);
    let vttbr = if stage2_on(l1_hcr) {
        let key = Key::new(n.page.get(off::VTTBR), n.page.get(off::VTCR));
        match vm.shadow.lock().enter(key, cpu) {
            Ok(t) => {
                n.shadow = Some(key);
                vm.note_first_vm_entry();
                t
            }
            Err(_) => {
                // Every shadow in use: L2 cannot run now (bounded by vCPUs,
                // so this needs more vCPUs than shadows); the ERET is
                // retried when L1 runs it again.
                el2::guest_warn!("no shadow stage 2 available: L1's guest not entered");
                return;
            }
        }
    } else {
        n.shadow = None;
        (vm.stage2.vttbr() & !(0xffff << vttbr::VMID_SHIFT))
            | (u64::from(VMID_L1_GUEST) << vttbr::VMID_SHIFT)
    };
    crate::irq::timers_change_owner(v, true);
    let n = nv(v);
    n.el2.save(&hw);
    load_guest(&n.page, n.el2.raw(Reg::Zcr));
    // The guest's CNTKCTL_EL1: an nVHE L1 wrote it into the hardware
    // itself (CNTKCTL_EL1 has no VNCR slot); for a VHE L1 the hardware
    // held its CNTHCTL_EL2 and the guest's is L0's copy (CNTKCTL_EL12).
    if n.el2.e2h {
        rt::sysreg::write!("CNTKCTL_EL1", n.el2.raw(Reg::GuestCntkctl));
    }
    let merged = nested::traps::guest_config(&vm.traps, &n.l1);
    rt::sysreg::write!("VPIDR_EL2", n.page.get(off::VPIDR));
    rt::sysreg::write!("VMPIDR_EL2", n.page.get(off::VMPIDR));
    let cntvoff = n.page.get(off::CNTVOFF);
    n.ctx = Ctx::Guest;
    v.traps = merged;
    v.vttbr = vttbr;
    v.cntvoff = cntvoff;
    v.vgic.ppi_remap = crate::irq::remap(vm, false);
    if takes_irqs {
        crate::irq::load_l1_lrs(v);
    }
    arm_l1_timers(v);
    v.regs.pc = pc;
    v.regs.pstate = pstate;
}

/// Leaves the guest context for virtual EL2: an exception of `kind`
/// (syndrome `esr`, `far`, and for stage-2 aborts `hpfar`) taken to L1.
pub fn to_vel2(v: &mut Vcpu, kind: Kind, esr: Esr, far: u64, hpfar: Option<u64>) {
    let vm = v.vm;
    let mut hw = El1Hw;
    let cpu = v.index;
    disarm_l1_timers(v);
    crate::irq::put_l1_lrs(v);
    crate::irq::timers_change_owner(v, false);
    let n = nv(v);
    save_guest(&mut n.page);
    let k: u64 = rt::sysreg::read!("CNTKCTL_EL1");
    n.el2.set(&mut hw, Reg::GuestCntkctl, k);
    if let Some(key) = n.shadow.take() {
        vm.shadow.lock().leave(key, cpu);
    }
    n.ctx = Ctx::Vel2;
    enter_vel2_controls(v);
    let (pc, pstate) = (v.regs.pc, v.regs.pstate);
    nv(v).el2.load(&mut hw);
    take_to_vel2(v, kind, pstate, pc);
    let n = nv(v);
    if kind == Kind::Sync {
        n.el2.set(&mut hw, Reg::Esr, esr.0);
        n.el2.set(&mut hw, Reg::Far, far);
    }
    if let Some(h) = hpfar {
        n.el2.set(&mut hw, Reg::Hpfar, h);
    }
}

/// While the guest context runs, L0's own EL2 physical timer stands in for
/// L1's EL2 timers (which the hardware EL1 timers no longer hold).
fn arm_l1_timers(v: &mut Vcpu) {
    let n = nv(v);
    let t = [
        (n.el2.raw(Reg::CnthpCtl), n.el2.raw(Reg::CnthpCval)),
        (n.el2.raw(Reg::CnthvCtl), n.el2.raw(Reg::CnthvCval)),
    ];
    match timer::deadline(&t) {
        Some(cval) => {
            rt::sysreg::write!("CNTHP_CVAL_EL2", cval);
            rt::sysreg::write!("CNTHP_CTL_EL2", timer::CTL_ENABLE);
            n.timer_armed = true;
        }
        None => {
            rt::sysreg::write!("CNTHP_CTL_EL2", 0);
            n.timer_armed = false;
        }
    }
}

fn disarm_l1_timers(v: &mut Vcpu) {
    let n = nv(v);
    if n.timer_armed {
        rt::sysreg::write!("CNTHP_CTL_EL2", 0);
        n.timer_armed = false;
    }
}

/// L0's EL2 timer fired while L1's guest ran: raise L1's EL2 timer
/// interrupts whose condition holds. Returns whether one was raised.
pub fn l1_timer_fired(v: &mut Vcpu) -> bool {
    let ppis = crate::irq::timer_ppis(v.vm);
    let now = El1Hw.now();
    disarm_l1_timers(v);
    let n = nv(v);
    let hp = timer::asserted(n.el2.raw(Reg::CnthpCtl), n.el2.raw(Reg::CnthpCval), now);
    let hv = timer::asserted(n.el2.raw(Reg::CnthvCtl), n.el2.raw(Reg::CnthvCval), now);
    if hp {
        v.vgic.soft_fired(ppis.el2_phys);
    }
    if hv {
        v.vgic.soft_fired(ppis.el2_virt);
    }
    if !(hp || hv) && nv(v).ctx == Ctx::Guest {
        // Early: arm again.
        arm_l1_timers(v);
    }
    hp || hv
}

// ---- the guest context ------------------------------------------------------

fn guest_sync(v: &mut Vcpu, e: &Exit) -> ExitReason {
    let class = e.esr.ec();
    let from_el0 = v.regs.pstate & spsr::M == spsr::EL0T;
    match class {
        ec::DABT_LOW | ec::IABT_LOW => return stage2_abort(v, e),
        ec::HVC64 if nv(v).l1.hcr & hcr::HCD != 0 => {
            // HVC disabled by L1: UNDEFINED at the guest's EL1.
            crate::inject::undef(v);
            return ExitReason::Hvc;
        }
        _ => {}
    }
    let route = fgt::route_from(&nv(v).l1, e.esr, from_el0);
    let reason = match class {
        ec::HVC64 => ExitReason::Hvc,
        ec::SMC64 => ExitReason::Smc,
        ec::SYSREG => ExitReason::Sysreg,
        ec::WFX => ExitReason::Wfx,
        ec::ERET => ExitReason::Eret,
        _ => ExitReason::Other,
    };
    if route == fgt::Route::ToL1 {
        if class == ec::HVC64 {
            crate::psci::observe_l2_call(v);
        }
        to_vel2(v, Kind::Sync, e.esr, e.far, None);
        return reason;
    }
    // L0's own business: as for a plain guest.
    crate::exits::sync_plain(v, e)
}

/// Physical memory as L0 reads it for walking L1's tables.
struct Identity;
impl PhysRead for Identity {
    fn read_u64(&self, pa: u64) -> u64 {
        // SAFETY: GuestMemory only calls this for 8-byte aligned addresses
        // inside the guest's RAM, which L0 maps at EL2 (identity).
        unsafe { (pa as *const u64).read_volatile() }
    }
}

/// A stage-2 abort while L1's guest ran.
fn stage2_abort(v: &mut Vcpu, e: &Exit) -> ExitReason {
    let vm = v.vm;
    let Some(key) = nv(v).shadow else {
        // L1's stage 2 is off: L0's stage 2 is the guest's, as for a plain
        // guest (emulated GIC MMIO, or an abort for memory L0 keeps).
        return crate::exits::sync_plain(v, e);
    };
    let is_exec = e.esr.ec() == ec::IABT_LOW;
    let da = e.esr.data_abort();
    // A stage-1 table walk of L2's reads its table (not the access that
    // started it): hardware Access-flag updates are not offered to L1.
    let access = if da.s1ptw {
        WalkAccess::Read
    } else if is_exec {
        WalkAccess::Exec
    } else if da.write {
        WalkAccess::Write
    } else {
        WalkAccess::Read
    };
    let l2_ipa = e.fault_ipa();
    let n = nv(v);
    let feat = crate::sysreg::l1_walk_features(vm);
    let sctlr_el2 = n.el2.raw(Reg::Sctlr);
    let cfg = at_emul::s2::S2Config::new(
        n.page.get(off::VTCR),
        n.page.get(off::VTTBR),
        n.l1_hcr(),
        sctlr_el2,
        feat,
    );
    let ram = [vm.ram];
    let mut mem = GuestMemory::new(&ram, &Identity);
    let from_el0 = v.regs.pstate & spsr::M == spsr::EL0T;
    let l0 = |ipa: u64| {
        vm.stage2
            .translate(ipa, &crate::mm::PoolTables)
            .map(|l| L0Leaf {
                // The PA of `ipa` itself: `fill` aligns it to the size it
                // installs.
                pa: l.pa,
                attrs: l.attrs.0,
                size: 1u64 << (39 - 9 * l.level as u32),
            })
    };
    match shadow_s2::fill(&cfg, l2_ipa, access, from_el0, &mut mem, l0) {
        Fill::Map(m) => {
            let mut sh = vm.shadow.lock();
            if !sh.install(key, &m) {
                // L0's page pool is out of table pages: start every shadow
                // afresh (they refill on demand) rather than let L2 fault
                // for ever.
                el2::guest_warn!(
                    "shadow stage 2 out of memory at L2 IPA {l2_ipa:#x}: all shadows cleared"
                );
                sh.invalidate_all();
                if !sh.install(key, &m) {
                    el2::guest_warn!("shadow stage 2 still out of memory at L2 IPA {l2_ipa:#x}");
                }
            }
            ExitReason::S2Fill
        }
        Fill::L1Fault(f) => {
            // The syndrome the hardware gives L1: the access as L2 made it,
            // the fault of L1's tables (Arm ARM D24.2.40; HPFAR = L2's IPA).
            let mut iss = if is_exec {
                DataAbort::external(false)
            } else {
                da
            };
            iss.dfsc = f.fsc();
            iss.s1ptw = da.s1ptw;
            let esr = Esr::new(e.esr.ec(), iss.encode() | (e.esr.iss() & (1 << 9)));
            to_vel2(v, Kind::Sync, esr, e.far, Some(f.hpfar()));
            ExitReason::S2ToL1
        }
        Fill::NotL0Memory { l1_ipa } => {
            el2::guest_warn!(
                "L1 maps L2 IPA {l2_ipa:#x} to {l1_ipa:#x}, which is not memory: external abort to L2"
            );
            if is_exec {
                crate::inject::instruction_abort(v, e.far);
            } else {
                crate::inject::data_abort(v, e.far, da.write);
            }
            ExitReason::DabtFault
        }
    }
}

// ---- interrupts -----------------------------------------------------------------

fn irq(v: &mut Vcpu) -> ExitReason {
    let ev = crate::irq::handle_nested(v);
    let n = nv(v);
    if n.ctx == Ctx::Guest && (ev.for_l1 || ev.l1_maint) && n.gic.is_some() {
        to_vel2(v, Kind::Irq, Esr(0), 0, None);
    }
    ExitReason::Irq
}

/// Saves L0's list registers and loads L1's (guest context, L1 takes its
/// interrupts at EL2).
pub fn load_l1_lrs(v: &mut Vcpu, phys: impl Fn(u32) -> Option<u32>) {
    let vm = v.vm;
    let mut lrs = HwLrs::new(&vm.gic);
    let nlr = lrs.count();
    let mut saved = SavedGic {
        lrs: [0; 16],
        vmcr: rt::sysreg::read!("ICH_VMCR_EL2"),
        apr: [
            rt::sysreg::read!("ICH_AP0R0_EL2"),
            rt::sysreg::read!("ICH_AP1R0_EL2"),
        ],
    };
    for k in 0..nlr {
        saved.lrs[k] = lrs.read(k);
    }
    let n = nv(v);
    let l = nested::vgic::load(&n.page, nlr, phys, 0);
    for k in 0..nlr {
        lrs.write(k, l.lrs[k]);
    }
    rt::sysreg::write!("ICH_VMCR_EL2", l.vmcr);
    rt::sysreg::write!("ICH_AP0R0_EL2", l.apr[0]);
    rt::sysreg::write!("ICH_AP1R0_EL2", l.apr[1]);
    v.vgic.ich_hcr = l.hcr;
    nv(v).gic = Some(saved);
}

/// Puts L1's list registers back into its page and L0's into the hardware.
/// Returns the L1 pINTIDs of the HW = 1 LRs the guest deactivated (whose
/// completion has reached L0's list registers for L1 too).
pub fn put_l1_lrs(v: &mut Vcpu) -> [Option<u32>; 16] {
    let vm = v.vm;
    let mut out = [None; 16];
    let Some(saved) = nv(v).gic.take() else {
        return out;
    };
    let mut lrs = HwLrs::new(&vm.gic);
    let nlr = lrs.count();
    let mut hw = [0u64; 16];
    for (k, h) in hw.iter_mut().enumerate().take(nlr) {
        *h = lrs.read(k);
    }
    let vmcr: u64 = rt::sysreg::read!("ICH_VMCR_EL2");
    let apr: [u64; 2] = [
        rt::sysreg::read!("ICH_AP0R0_EL2"),
        rt::sysreg::read!("ICH_AP1R0_EL2"),
    ];
    let hcr_now: u64 = rt::sysreg::read!("ICH_HCR_EL2");
    let n = nv(v);
    for (slot, i) in out.iter_mut().zip(nested::vgic::sync(
        &mut n.page,
        nlr,
        &hw[..nlr],
        vmcr,
        apr,
        hcr_now,
    )) {
        *slot = Some(i);
    }
    for k in 0..nlr {
        lrs.write(k, saved.lrs[k]);
    }
    rt::sysreg::write!("ICH_VMCR_EL2", saved.vmcr);
    rt::sysreg::write!("ICH_AP0R0_EL2", saved.apr[0]);
    rt::sysreg::write!("ICH_AP1R0_EL2", saved.apr[1]);
    // L0's own ICH_HCR is recomputed by the next flush.
    rt::sysreg::write!("ICH_HCR_EL2", arch::regs::ich_hcr::EN);
    v.ich_hcr_written();
    // Deactivations of L1's software interrupts by its guest reach L0's
    // list registers for L1: the L0 LR holding that INTID active goes.
    for &i in out.iter().flatten() {
        for k in 0..nlr {
            let l = lrs.read(k);
            if l & ich_lr::STATE == ich_lr::ACTIVE && l & ich_lr::VINTID == u64::from(i) {
                lrs.write(k, 0);
            }
        }
    }
    out
}

/// Whether L1's list registers are in the hardware.
pub fn l1_lrs_loaded(v: &Vcpu) -> bool {
    v.nested.as_ref().is_some_and(|n| n.gic.is_some())
}

/// L1's maintenance interrupt while L1 runs at virtual EL2 (its list
/// registers are in the page, not the hardware): a level that L0 computes
/// from the page at each exit (IHI 0069 12.5.7 ICH_MISR_EL2: asserted while
/// ICH_HCR_EL2.En and a MISR condition hold). Asserted: raised for L1
/// (`flush` puts it in a list register once). Deasserted: a copy still only
/// pending in L0's list registers is withdrawn. L1's writes to its ICH_*
/// slots do not trap under NV2, so L0 sees a change at L1's next exit, not
/// at once (docs/nested.md, NV2 limits).
pub fn l1_maintenance(v: &mut Vcpu) {
    let Some(n) = v.nested.as_ref() else { return };
    if n.ctx != Ctx::Vel2 || n.gic.is_some() {
        return;
    }
    let ppi = v.vm.machine.gic_maint_ppi;
    let nr = crate::irq::nr_list_regs();
    if nested::vgic::maintenance_pending(&n.page, nr) {
        v.vgic.soft_fired(ppi);
        return;
    }
    v.vgic.soft_withdraw(ppi);
    let mut lrs = HwLrs::new(&v.vm.gic);
    for k in 0..lrs.count() {
        let l = lrs.read(k);
        if l & ich_lr::STATE == ich_lr::PENDING
            && l & ich_lr::HW == 0
            && l & ich_lr::VINTID == u64::from(ppi)
        {
            lrs.write(k, 0);
        }
    }
}

// ---- TLBI and AT from virtual EL2 -------------------------------------------------

/// Replays an EL1 TLBI of L1 (CRm `crm`, op2 `op2`, operand `val`) for
/// L1's current guest: under every shadow of L1's VMID, or under the guest
/// VMID while its stage 2 is off.
fn replay_for_guest(v: &mut Vcpu, crm: u8, op2: u8, val: u64) {
    let n = nv(v);
    if !stage2_on(n.l1_hcr()) {
        HwTlb::under(VMID_L1_GUEST, || {
            crate::sysreg::tlbi_el1(crm, op2, val);
        });
        return;
    }
    let vmid = Key::new(n.page.get(off::VTTBR), n.page.get(off::VTCR)).vmid;
    v.vm.shadow.lock().for_each_of(vmid, |t| {
        HwTlb::under(vttbr::vmid(t), || {
            crate::sysreg::tlbi_el1(crm, op2, val);
        });
    });
}

/// A trapped TLBI at virtual EL2 (Arm ARM C5.5 "TLB maintenance
/// instructions"). EL1 TLBIs mean L1's EL2&0 regime when it is a VHE host
/// (E2H = TGE = 1), else its guest's EL1&0 regime; EL2 TLBIs L1's EL2
/// regime (VMID 1 here); the stage-2 ones L1's guest's stage 2, that is the
/// shadows. EL1 forms are replayed as they are, under the right VMID; EL2
/// by-VA forms are widened to the whole EL2 regime and range forms of the
/// stage-2 ones to the whole VMID, which the architecture allows.
fn tlbi(v: &mut Vcpu, e: Enc, val: u64) {
    let vm = v.vm;
    let n = nv(v);
    let l1_hcr = n.l1_hcr();
    let vmid = Key::new(n.page.get(off::VTTBR), n.page.get(off::VTCR)).vmid;
    let s2 = stage2_on(l1_hcr);
    let vel2_vmid = vttbr::vmid(vm.stage2.vttbr());
    match (e.op1(), e.crm(), e.op2()) {
        (0, crm, op2) => {
            // nXS forms (CRn 9) act as the plain ones here.
            if vel2::host_el0(l1_hcr) {
                // L1's own EL2&0 regime: the VMID virtual EL2 runs under
                // is current (L0's handler runs with L1's VTTBR loaded).
                crate::sysreg::tlbi_el1(crm, op2, val);
            } else {
                replay_for_guest(v, crm, op2, val);
            }
        }
        // IPAS2E1*, IPAS2LE1*: one IPA of L1's guest (Xt[35:0] = IPA[47:12]).
        (4, 0, 1 | 5) | (4, 4, 0 | 1 | 4 | 5) => {
            let ipa = (val & ((1 << 36) - 1)) << 12;
            if s2 {
                vm.shadow
                    .lock()
                    .invalidate_ipa(vmid, ipa, el2::stage2::PAGE);
            }
        }
        // RIPAS2*: a range of IPAs (widened to the VMID).
        // Without L1's stage 2 there is nothing of it cached (a guard would
        // let the arm fall through to the EL2 forms below).
        #[allow(clippy::collapsible_match)]
        (4, 0, 2 | 6) | (4, 4, 2 | 3 | 6 | 7) => {
            if s2 {
                vm.shadow.lock().invalidate_vmid(vmid);
            }
        }
        // ALLE1*: every guest of L1.
        (4, 1 | 3 | 7, 4) => {
            vm.shadow.lock().invalidate_all();
            HwTlb.invalidate_vmid(VMID_L1_GUEST);
        }
        // VMALLS12E1*: L1's current VMID, both stages.
        (4, 1 | 3 | 7, 6) => {
            if s2 {
                vm.shadow.lock().invalidate_vmid(vmid);
            } else {
                HwTlb.invalidate_vmid(VMID_L1_GUEST);
            }
        }
        // ALLE2*, VAE2*, VALE2*, RVAE2*, RVALE2*: L1's EL2 regime.
        (4, ..) => HwTlb.invalidate_s1(vel2_vmid),
        _ => {}
    }
}

/// A trapped AT at virtual EL2 (HCR_EL2.AT for S1E0/S1E1, NV for the
/// EL2 and stage 1+2 ones): the answer in PAR_EL1, as the hardware gives
/// it. L1's own regimes run on the hardware, so S1E2 (and S1E0/S1E1 of a
/// VHE host) are executed there; the guest's regimes are walked in
/// software by at-emul, through L1's stage 2.
fn at(v: &mut Vcpu, e: Enc, va: u64) {
    let vm = v.vm;
    let n = nv(v);
    let l1_hcr = n.l1_hcr();
    let op = match (e.op1(), e.crm(), e.op2()) {
        (0, 8, 0) => AtOp::S1E1R,
        (0, 8, 1) => AtOp::S1E1W,
        (0, 8, 2) => AtOp::S1E0R,
        (0, 8, 3) => AtOp::S1E0W,
        (0, 9, 0) => AtOp::S1E1RP,
        (0, 9, 1) => AtOp::S1E1WP,
        (4, 8, 0) => AtOp::S1E2R,
        (4, 8, 1) => AtOp::S1E2W,
        (4, 8, 4) => AtOp::S12E1R,
        (4, 8, 5) => AtOp::S12E1W,
        (4, 8, 6) => AtOp::S12E0R,
        (4, 8, 7) => AtOp::S12E0W,
        _ => {
            undef_vel2(v);
            return;
        }
    };
    let native = match op {
        AtOp::S1E2R | AtOp::S1E2W => true,
        AtOp::S1E1R | AtOp::S1E1W | AtOp::S1E0R | AtOp::S1E0W | AtOp::S1E1RP | AtOp::S1E1WP => {
            vel2::host_el0(l1_hcr)
        }
        _ => false,
    };
    if native {
        crate::sysreg::at_native(op, va);
        return;
    }
    let hw = El1Hw;
    let p = &n.page;
    let r = at_emul::RegSnapshot {
        sctlr_el1: p.get(slot::SCTLR),
        tcr_el1: p.get(slot::TCR),
        ttbr0_el1: p.get(slot::TTBR0),
        ttbr1_el1: p.get(slot::TTBR1),
        mair_el1: p.get(slot::MAIR),
        sctlr_el2: n.el2.get(&hw, Reg::Sctlr),
        tcr_el2: n.el2.get(&hw, Reg::Tcr),
        ttbr0_el2: n.el2.get(&hw, Reg::Ttbr0),
        ttbr1_el2: n.el2.get(&hw, Reg::Ttbr1),
        mair_el2: n.el2.get(&hw, Reg::Mair),
        hcr_el2: l1_hcr & !hcr::TGE,
        vtcr_el2: p.get(off::VTCR),
        vttbr_el2: p.get(off::VTTBR),
        pstate_pan: v.regs.pstate & spsr::PAN != 0,
        features: crate::sysreg::l1_walk_features(vm),
    };
    let ram = [vm.ram];
    let mut mem = GuestMemory::new(&ram, &Identity);
    let par = at_emul::emulate(op, Va(va), &r, &mut mem);
    rt::sysreg::write!("PAR_EL1", par.0);
}
