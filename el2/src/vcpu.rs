//! A vCPU: its registers, its EL1 context, the trap configuration and
//! stage 2 it runs with, its virtual GIC state, and the run loop.
//!
//! What the hardware EL2 controls hold while a vCPU runs is written by one
//! loader ([`Vcpu::load`]) on entry, and only what changed since the last
//! entry on this CPU: HCR/HCRX/MDCR/CPTR/CNTHCTL and the FGT registers from
//! the vCPU's [`TrapConfig`], VTTBR/VTCR from its stage 2, CNTVOFF, and
//! ICH_HCR from its vGIC. The EL1 system registers stay live in hardware
//! while the vCPU runs: a plain vCPU has one context, and a nested one's
//! world switch (virtual EL2 and L1's guest) is `crate::nv`'s, which moves
//! them between the hardware and the VNCR page, so the plain path stays
//! short.

use aarch64_cpu::registers::{
    Readable, Writeable, CNTHCTL_EL2, CNTVOFF_EL2, CPTR_EL2, HCR_EL2, ICH_HCR_EL2, MDCR_EL2,
    VTCR_EL2, VTTBR_EL2,
};
use arch::regs::{hcr, hcrx, mdcr, spsr};
use el2::counters::Context;
use el2::vgic::VgicCpu;
use fgt::bits::FgtReg;
use fgt::{Features, TrapConfig};

use crate::switch::{self, El1, El1Regs, GuestRegs};
use crate::vm::Vm;

/// PSTATE at guest entry: EL1h with D, A, I, F masked.
pub const PSTATE_EL1H_MASKED: u64 = spsr::EL1H | spsr::DAIF;

/// L0's guest runs with stage 2 on, physical interrupts to EL2, SMC, ID
/// registers and implementation-defined registers trapped, LOR/RAS hidden,
/// pointer authentication keys and instructions left to the guest. WFI/WFE
/// are not trapped: each vCPU owns its physical CPU, so waiting in the
/// guest is the cheapest idle (a physical interrupt still wakes it).
pub const HCR_GUEST: u64 = hcr::VM
    | hcr::SWIO
    | hcr::FMO
    | hcr::IMO
    | hcr::AMO
    | hcr::FB
    | hcr::BSU_IS
    | hcr::TID3
    | hcr::TSC
    | hcr::TIDCP
    | hcr::RW
    | hcr::TLOR
    | hcr::TERR
    | hcr::APK
    | hcr::API;

/// CPTR_EL2 (E2H=0 layout, Arm ARM D24.2.33): trap AMU (TAM) and SME (TSM);
/// FP/SIMD and SVE stay with the guest (L0, built soft-float, never touches
/// them). RES1 bits 13, 9 and 7:0.
const CPTR_GUEST: u64 = fgt::config::cptr::TAM | fgt::config::cptr::TSM | CPTR_RES1;
const CPTR_RES1: u64 = (1 << 13) | (1 << 9) | 0xff;
/// MDCR_EL2: trap the PMU (TPM, TPMCR), SPE (TPMS, E2PB = 0) and the trace
/// filter (TTRF); HPMN comes from PMCR_EL0.N. Debug stays with the guest.
const MDCR_GUEST: u64 = mdcr::TPMCR | mdcr::TPM | mdcr::TPMS | mdcr::TTRF;
/// CNTHCTL_EL2 (E2H=0): the EL1 physical counter and timer are the guest's.
const CNTHCTL_GUEST: u64 = fgt::config::cnthctl::EL1PCTEN | fgt::config::cnthctl::EL1PCEN;
/// HCRX_EL2 enables for EL1/EL0 features the guest sees: MSCEn (FEAT_MOPS
/// CPY*/SET*, else UNDEFINED), TCR2En and SCTLR2En, GCSEn. Bits of features
/// the CPU lacks are RES0, so setting them is harmless.
const HCRX_GUEST: u64 = HCRX_MSCEN | hcrx::TCR2EN | hcrx::SCTLR2EN | hcrx::GCSEN;
/// HCRX_EL2.MSCEn, bit 11 (FEAT_MOPS).
const HCRX_MSCEN: u64 = 1 << 11;

/// L0's own trap configuration for its guest, for a CPU with `feat`. The
/// fine-grained registers keep their reset value (0: only their negative
/// controls, of features L0 does not give the guest, trap).
pub fn guest_traps(feat: Features, pmcr_n: u64) -> TrapConfig {
    TrapConfig {
        hcr: HCR_GUEST,
        hcrx: HCRX_GUEST,
        mdcr: MDCR_GUEST | (pmcr_n & mdcr::HPMN),
        cptr: CPTR_GUEST,
        cnthctl: CNTHCTL_GUEST,
        ich_hcr: 0,
        fgt: [0; FgtReg::COUNT],
        feat,
    }
}

/// The mode of a vCPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A plain guest at EL1 (no virtual EL2: `l0.nested=off`, or a CPU
    /// without FEAT_NV2).
    El1,
    /// A guest hypervisor at virtual EL2 and its guests (`crate::nv`).
    Nested,
}

/// What the EL2 controls of this physical CPU hold (None: unknown).
#[derive(Clone, Copy, Default)]
struct Loaded {
    traps: Option<TrapConfig>,
    vttbr: Option<u64>,
    vtcr: Option<u64>,
    cntvoff: Option<u64>,
    ich_hcr: Option<u64>,
}

/// One virtual CPU, pinned to the physical CPU with the same index.
pub struct Vcpu {
    /// General registers, PC and PSTATE.
    pub regs: GuestRegs,
    /// Its index (= its physical CPU).
    pub index: usize,
    /// The VM it belongs to.
    pub vm: &'static Vm,
    /// Its mode.
    pub mode: Mode,
    /// The EL1 context when it is not live (see `el1_live`).
    el1: El1Regs,
    /// Whether the hardware EL1 registers hold this vCPU's context.
    el1_live: bool,
    /// The traps it runs with.
    pub traps: TrapConfig,
    /// VTTBR_EL2 and VTCR_EL2 of its stage 2.
    pub vttbr: u64,
    /// VTCR_EL2.
    pub vtcr: u64,
    /// CNTVOFF_EL2.
    pub cntvoff: u64,
    /// Its list-register bookkeeping.
    pub vgic: VgicCpu,
    /// Its virtual EL2, when it has one.
    pub nested: Option<alloc::boxed::Box<crate::nv::Nested>>,
    loaded: Loaded,
}

impl Vcpu {
    /// A vCPU of `vm` that starts at `entry` with x0 = `arg0`, at EL1h with
    /// the MMU off.
    pub fn new(index: usize, vm: &'static Vm, entry: u64, arg0: u64) -> Vcpu {
        let mut regs = GuestRegs::default();
        regs.x[0] = arg0;
        regs.pc = entry;
        // At virtual EL2 the hardware runs EL1h: L1 sees EL2h.
        regs.pstate = PSTATE_EL1H_MASKED;
        let mpidr = vm.machine.cpus.get(index).copied().unwrap_or(0);
        let nested = vm
            .nested
            .then(|| crate::nv::Nested::new(mpidr, vm.e2h_mode));
        Vcpu {
            regs,
            index,
            vm,
            mode: if vm.nested { Mode::Nested } else { Mode::El1 },
            el1: El1Regs::reset(),
            // A nested vCPU's EL1 registers are managed by `nv`.
            el1_live: vm.nested,
            traps: vm.traps,
            vttbr: vm.stage2.vttbr(),
            vtcr: vm.stage2.vtcr(),
            cntvoff: 0,
            vgic: VgicCpu::new(),
            nested,
            loaded: Loaded::default(),
        }
    }

    /// The context exits are counted under.
    pub fn context(&self) -> Context {
        match (self.mode, &self.nested) {
            (Mode::Nested, Some(n)) if n.ctx == nested::vel2::Ctx::Guest && n.guest_is_l2() => {
                Context::L2
            }
            _ => Context::L1,
        }
    }

    /// General register `n` (31 reads as zero: XZR).
    pub fn reg(&self, n: u8) -> u64 {
        self.regs.x.get(n as usize).copied().unwrap_or(0)
    }

    /// Sets general register `n` (31 = XZR: discarded).
    pub fn set_reg(&mut self, n: u8, v: u64) {
        if let Some(r) = self.regs.x.get_mut(n as usize) {
            *r = v;
        }
    }

    /// An EL1 register of this vCPU's current context, wherever it is.
    pub fn el1(&self, r: El1) -> u64 {
        if self.el1_live {
            switch::read_el1(r)
        } else {
            self.el1.0[r as usize]
        }
    }

    /// Sets an EL1 register of this vCPU's current context.
    pub fn set_el1(&mut self, r: El1, v: u64) {
        if self.el1_live {
            switch::write_el1(r, v);
        } else {
            self.el1.0[r as usize] = v;
        }
    }

    /// Writes what the EL2 controls must hold for this vCPU and has changed
    /// since the last entry on this CPU.
    fn load(&mut self) {
        if !self.el1_live {
            self.el1.restore();
            self.el1_live = true;
        }
        if self.loaded.traps != Some(self.traps) {
            write_traps(&self.traps, self.loaded.traps.as_ref());
            self.loaded.traps = Some(self.traps);
        }
        if self.loaded.vtcr != Some(self.vtcr) {
            VTCR_EL2.set(self.vtcr);
            self.loaded.vtcr = Some(self.vtcr);
        }
        if self.loaded.vttbr != Some(self.vttbr) {
            VTTBR_EL2.set(self.vttbr);
            self.loaded.vttbr = Some(self.vttbr);
        }
        if self.loaded.cntvoff != Some(self.cntvoff) {
            CNTVOFF_EL2.set(self.cntvoff);
            self.loaded.cntvoff = Some(self.cntvoff);
        }
        let ich = self.vgic.ich_hcr;
        if self.loaded.ich_hcr != Some(ich) {
            ICH_HCR_EL2.set(ich);
            self.loaded.ich_hcr = Some(ich);
        }
        rt::sysreg::isb();
    }

    /// Something other than the loader wrote ICH_HCR_EL2 (the nested
    /// vGIC's list-register switch): the next load writes it again.
    pub fn ich_hcr_written(&mut self) {
        self.loaded.ich_hcr = None;
    }

    /// Runs the vCPU forever, handling its exits.
    pub fn run(&mut self) -> ! {
        if self.nested.is_some() {
            crate::nv::start(self);
        }
        loop {
            crate::irq::flush(self);
            self.load();
            let kind = switch::enter_guest(&mut self.regs);
            let exit = crate::exits::Exit::snapshot(kind);
            crate::exits::dispatch(self, &exit);
        }
    }
}

/// Writes the trap registers of `t` that differ from `old`.
fn write_traps(t: &TrapConfig, old: Option<&TrapConfig>) {
    let changed = |new: u64, f: fn(&TrapConfig) -> u64| old.is_none_or(|o| f(o) != new);
    if changed(t.mdcr, |o| o.mdcr) {
        MDCR_EL2.set(t.mdcr);
    }
    if changed(t.cptr, |o| o.cptr) {
        CPTR_EL2.set(t.cptr);
    }
    if changed(t.cnthctl, |o| o.cnthctl) {
        CNTHCTL_EL2.set(t.cnthctl);
    }
    if t.feat.hcx && changed(t.hcrx, |o| o.hcrx) {
        rt::sysreg::write!(rt::reg!(HCRX_EL2), t.hcrx);
    }
    if t.feat.fgt {
        // HAFGRTR_EL2 exists only with FEAT_AMUv1 (ID_AA64PFR0_EL1.AMU
        // `[47:44]`); the FGT2 registers only with FEAT_FGT2.
        let pfr0: u64 = aarch64_cpu::registers::ID_AA64PFR0_EL1.get();
        let amu = (pfr0 >> 44) & 0xf != 0;
        for r in FgtReg::ALL {
            if (r.is_fgt2() && !t.feat.fgt2) || (r == FgtReg::Hafgrtr && !amu) {
                continue;
            }
            let v = t.fgt_reg(r);
            if old.is_none_or(|o| o.fgt_reg(r) != v) {
                write_fgt(r, v);
            }
        }
    }
    if changed(t.hcr, |o| o.hcr) {
        HCR_EL2.set(t.hcr);
    }
}

/// Writes one fine-grained trap register.
fn write_fgt(r: FgtReg, v: u64) {
    match r {
        FgtReg::Hfgrtr => rt::sysreg::write!(rt::reg!(HFGRTR_EL2), v),
        FgtReg::Hfgwtr => rt::sysreg::write!(rt::reg!(HFGWTR_EL2), v),
        FgtReg::Hfgitr => rt::sysreg::write!(rt::reg!(HFGITR_EL2), v),
        FgtReg::Hdfgrtr => rt::sysreg::write!(rt::reg!(HDFGRTR_EL2), v),
        FgtReg::Hdfgwtr => rt::sysreg::write!(rt::reg!(HDFGWTR_EL2), v),
        FgtReg::Hafgrtr => rt::sysreg::write!(rt::reg!(HAFGRTR_EL2), v),
        FgtReg::Hfgrtr2 => rt::sysreg::write!(rt::reg!(HFGRTR2_EL2), v),
        FgtReg::Hfgwtr2 => rt::sysreg::write!(rt::reg!(HFGWTR2_EL2), v),
        FgtReg::Hfgitr2 => rt::sysreg::write!(rt::reg!(HFGITR2_EL2), v),
        FgtReg::Hdfgrtr2 => rt::sysreg::write!(rt::reg!(HDFGRTR2_EL2), v),
        FgtReg::Hdfgwtr2 => rt::sysreg::write!(rt::reg!(HDFGWTR2_EL2), v),
    }
}

/// The per-CPU EL2 set-up that does not depend on the vCPU: its identity
/// registers and the SVE vector length.
pub fn init_cpu_el2() {
    let midr: u64 = aarch64_cpu::registers::MIDR_EL1.get();
    let mpidr: u64 = aarch64_cpu::registers::MPIDR_EL1.get();
    rt::sysreg::write!("VPIDR_EL2", midr);
    aarch64_cpu::registers::VMPIDR_EL2.set(mpidr);
    // ID_AA64PFR0_EL1.SVE `[35:32]`: ZCR_EL2.LEN = max, the guest may use
    // the full vector length.
    let pfr0: u64 = aarch64_cpu::registers::ID_AA64PFR0_EL1.get();
    if (pfr0 >> 32) & 0xf != 0 {
        rt::sysreg::write!(rt::reg!(ZCR_EL2), 0xf);
    }
    rt::sysreg::isb();
}

/// The trap-register features of this CPU (ID_AA64MMFR0_EL1.FGT `[59:56]`:
/// 1 FGT, 2 FGT2; ID_AA64MMFR1_EL1.HCX `[43:40]`).
pub fn cpu_features() -> Features {
    let mmfr0: u64 = aarch64_cpu::registers::ID_AA64MMFR0_EL1.get();
    let mmfr1: u64 = aarch64_cpu::registers::ID_AA64MMFR1_EL1.get();
    let fgt = (mmfr0 >> 56) & 0xf;
    Features {
        fgt: fgt >= 1,
        fgt2: fgt >= 2,
        hcx: (mmfr1 >> 40) & 0xf != 0,
    }
}

/// PMCR_EL0.N `[15:11]`: the number of event counters.
pub fn pmcr_n() -> u64 {
    (rt::sysreg::read!("PMCR_EL0") >> 11) & 0x1f
}

/// VMID width L0 uses: 8 bits (VTCR_EL2.VS stays 0), plenty for the
/// guest, its guest context and the shadow stage 2s of the cache.
pub fn vmid_bits() -> u32 {
    8
}
