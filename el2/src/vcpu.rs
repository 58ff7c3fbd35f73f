//! A vCPU: the guest's registers, its virtual GIC interface, the EL2 trap
//! configuration it runs with, and the run loop that dispatches its exits.
//!
//! Today every vCPU runs the guest at EL1. The nested work will add the
//! "virtual EL2" and "L2" states; the run loop already keeps all per-mode
//! decisions (trap registers, exit dispatch) in one place for that.

use crate::exits::{self, ExitReason};
use crate::switch::{self, ExitKind, GuestRegs};
use crate::vgic::{self, VgicCpu};
use fgt::esr::ec;
use fgt::Esr;

/// HCR_EL2 bits (Arm ARM D24.2.48).
mod hcr {
    pub const VM: u64 = 1 << 0;
    pub const SWIO: u64 = 1 << 1;
    pub const FMO: u64 = 1 << 3;
    pub const IMO: u64 = 1 << 4;
    pub const AMO: u64 = 1 << 5;
    pub const FB: u64 = 1 << 9;
    pub const BSU_IS: u64 = 1 << 10;
    pub const TID3: u64 = 1 << 18;
    pub const TSC: u64 = 1 << 19;
    pub const TIDCP: u64 = 1 << 20;
    pub const RW: u64 = 1 << 31;
    pub const TLOR: u64 = 1 << 35;
    pub const TERR: u64 = 1 << 36;
    pub const APK: u64 = 1 << 40;
    pub const API: u64 = 1 << 41;
}

/// What the guest runs with: stage 2 on, physical interrupts to EL2, SMC and
/// ID registers and implementation-defined registers trapped, LOR/RAS hidden,
/// pointer authentication keys and instructions left to the guest. WFI/WFE are
/// not trapped: each vCPU owns its physical CPU, so waiting in the guest is
/// the cheapest idle (a physical interrupt still wakes it and exits).
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

/// CPTR_EL2 (E2H=0, D24.2.34): trap AMU (TAM) and SME (TSM); FP/SIMD and SVE
/// stay with the guest (L0 never touches them: it is built soft-float).
/// RES1 bits 13, 9 and 7:0.
const CPTR_GUEST: u64 = (1 << 30) | (1 << 12) | (1 << 13) | (1 << 9) | 0xff;
/// MDCR_EL2 (D24.2.77): trap the PMU (TPM, TPMCR), SPE (TPMS, E2PB=0) and
/// trace filter (TTRF); HPMN set from PMCR_EL0.N. Debug stays with the guest.
const MDCR_TPMCR: u64 = 1 << 5;
const MDCR_TPM: u64 = 1 << 6;
const MDCR_TPMS: u64 = 1 << 14;
const MDCR_TTRF: u64 = 1 << 19;
/// CNTHCTL_EL2 (E2H=0): EL1PCTEN | EL1PCEN, the EL1 physical counter and timer
/// are the guest's.
const CNTHCTL_GUEST: u64 = 0b11;
/// HCRX_EL2 (D24.2.49) enables for EL1/EL0 features the guest sees: MSCEn
/// (FEAT_MOPS CPY*/SET*, else UNDEFINED), TCR2En and SCTLR2En (TCR2_EL1,
/// SCTLR2_EL1, else trapped), GCSEn (GCS registers). Bits of features the CPU
/// lacks are RES0, so setting them is harmless.
const HCRX_MSCEN: u64 = 1 << 11;
const HCRX_TCR2EN: u64 = 1 << 14;
const HCRX_SCTLR2EN: u64 = 1 << 15;
const HCRX_GCSEN: u64 = 1 << 22;
const HCRX_GUEST: u64 = HCRX_MSCEN | HCRX_TCR2EN | HCRX_SCTLR2EN | HCRX_GCSEN;
/// SCTLR_EL1 at reset for the guest: RES1 bits, MMU and caches off.
const SCTLR_EL1_RESET: u64 = 0x30D0_0800;
/// PSTATE at guest entry: EL1h with D, A, I, F masked.
pub const PSTATE_EL1H_MASKED: u64 = 0x3c5;

/// One virtual CPU, pinned to the physical CPU with the same index.
pub struct Vcpu {
    pub regs: GuestRegs,
    pub index: usize,
    pub vgic: VgicCpu,
}

impl Vcpu {
    /// A vCPU that starts at `entry` with x0 = `arg0`, at EL1h, MMU off.
    pub fn new(index: usize, entry: u64, arg0: u64) -> Vcpu {
        let mut regs = GuestRegs::default();
        regs.x[0] = arg0;
        regs.pc = entry;
        regs.pstate = PSTATE_EL1H_MASKED;
        Vcpu {
            regs,
            index,
            vgic: VgicCpu::new(),
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
}

/// Programs this CPU's EL2 controls for running the guest at EL1.
pub fn configure_el2(vttbr: u64, vtcr: u64) {
    let midr = rt::sysreg::read!("MIDR_EL1");
    let mpidr = rt::sysreg::read!("MPIDR_EL1");
    let pmcr_n = (rt::sysreg::read!("PMCR_EL0") >> 11) & 0x1f;
    rt::sysreg::write!("VPIDR_EL2", midr);
    rt::sysreg::write!("VMPIDR_EL2", mpidr);
    rt::sysreg::write!("CPTR_EL2", CPTR_GUEST);
    rt::sysreg::write!(
        "MDCR_EL2",
        pmcr_n | MDCR_TPMCR | MDCR_TPM | MDCR_TPMS | MDCR_TTRF
    );
    rt::sysreg::write!("CNTHCTL_EL2", CNTHCTL_GUEST);
    rt::sysreg::write!("CNTVOFF_EL2", 0);
    rt::sysreg::write!("SCTLR_EL1", SCTLR_EL1_RESET);
    // ZCR_EL2.LEN = max: the guest may use the full SVE vector length.
    if (rt::sysreg::read!("ID_AA64PFR0_EL1") >> 32) & 0xf != 0 {
        rt::sysreg::write!("S3_4_C1_C2_0", 0xf);
    }
    // ID_AA64MMFR1_EL1.HCX[43:40]: HCRX_EL2 exists.
    if (rt::sysreg::read!("ID_AA64MMFR1_EL1") >> 40) & 0xf != 0 {
        rt::sysreg::write!("S3_4_C1_C2_2", HCRX_GUEST);
    }
    rt::sysreg::write!("VTCR_EL2", vtcr);
    rt::sysreg::write!("VTTBR_EL2", vttbr);
    rt::sysreg::write!("HCR_EL2", HCR_GUEST);
    rt::sysreg::isb();
}

/// Runs the vCPU forever, handling its exits.
pub fn run(vcpu: &mut Vcpu) -> ! {
    loop {
        vgic::flush(vcpu);
        match switch::enter_guest(&mut vcpu.regs) {
            ExitKind::Sync => handle_sync(vcpu),
            ExitKind::Irq => {
                exits::count(vcpu.index, ExitReason::Irq);
                vgic::handle_irq(vcpu);
            }
            ExitKind::Fiq => {
                exits::count(vcpu.index, ExitReason::Fiq);
                if crate::mmio::should_log() {
                    log::warn!("unexpected FIQ exit");
                }
            }
            ExitKind::SError => {
                exits::count(vcpu.index, ExitReason::SError);
                if crate::mmio::should_log() {
                    log::warn!("SError from guest, esr {:#x}", rt::sysreg::read!("ESR_EL2"));
                }
            }
        }
    }
}

/// ESR_EL2 ISS for WFx: bit 0 is TI[0] (1 = WFE).
const WFX_IS_WFE: u32 = 1;

fn handle_sync(vcpu: &mut Vcpu) {
    let esr = Esr(rt::sysreg::read!("ESR_EL2"));
    let i = vcpu.index;
    match esr.ec() {
        ec::HVC64 => {
            exits::count(i, ExitReason::Hvc);
            crate::psci::handle(vcpu);
        }
        ec::SMC64 => {
            // A trapped SMC returns to the SMC itself (preferred return address).
            exits::count(i, ExitReason::Smc);
            crate::psci::handle(vcpu);
            vcpu.regs.pc += 4;
        }
        ec::SYSREG => {
            exits::count(i, ExitReason::Sysreg);
            if esr
                .sysreg_iss()
                .is_some_and(|a| crate::sysreg::handle(vcpu, a))
            {
                vcpu.regs.pc += 4;
            }
        }
        ec::DABT_LOW => crate::mmio::data_abort(vcpu, esr),
        ec::IABT_LOW => {
            exits::count(i, ExitReason::Iabt);
            let far = rt::sysreg::read!("FAR_EL2");
            log::warn!(
                "guest instruction fetch at {far:#x}: not guest memory, external abort injected"
            );
            crate::inject::instruction_abort(&mut vcpu.regs, far);
        }
        ec::WFX => {
            exits::count(i, ExitReason::Wfx);
            vcpu.regs.pc += 4;
            if esr.iss() & WFX_IS_WFE == 0 {
                // SAFETY: waiting for a physical interrupt on our own CPU has
                // no memory effect; any interrupt (masked at EL2) wakes it.
                unsafe { core::arch::asm!("wfi", options(nostack)) };
            }
        }
        other => {
            exits::count(i, ExitReason::Other);
            if crate::mmio::should_log() {
                log::warn!(
                    "unhandled exit EC {other:#x} esr {:#x} at pc {:#x}: UNDEF injected",
                    esr.0,
                    vcpu.regs.pc
                );
            }
            crate::inject::undef(&mut vcpu.regs);
        }
    }
}
