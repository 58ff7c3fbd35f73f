//! Register access for the nested suite, in the hypervisor mode the run
//! picked: with HCR_EL2.E2H = 1 (a VHE hypervisor) test-l1 reaches its own
//! EL2 registers through the `*_EL1` encodings, which E2H redirects to the
//! EL2 registers, and its guest's EL1 registers through `*_EL12`/`*_EL02`;
//! with E2H = 0 (nVHE) it uses the `*_EL2` encodings for itself and the
//! `*_EL1` ones for the guest (Arm ARM D8.11.2, "Virtual Host Extensions",
//! and the register redirection table there). Every encoding is spelled
//! `S<op0>_<op1>_C<n>_C<m>_<op2>` so that the soft-float target's assembler
//! takes them all; the name is beside each one.
//!
//! Also the CPU features the suite looks at (ID registers, read at EL2).

use core::sync::atomic::{AtomicBool, Ordering};

static VHE: AtomicBool = AtomicBool::new(false);

/// Whether the run is in E2H = 1 mode.
#[inline(always)]
pub fn vhe() -> bool {
    VHE.load(Ordering::Relaxed)
}

/// Picks the mode (once, before any access).
pub fn set_vhe(on: bool) {
    VHE.store(on, Ordering::Relaxed);
}

macro_rules! pair {
    ($(#[$m:meta])* $get:ident, $set:ident, $vhe:literal, $nvhe:literal) => {
        $(#[$m])*
        #[inline(always)]
        #[allow(dead_code)]
        pub fn $get() -> u64 {
            if vhe() { rt::sysreg::read!($vhe) } else { rt::sysreg::read!($nvhe) }
        }
        #[inline(always)]
        #[allow(dead_code)]
        pub fn $set(v: u64) {
            if vhe() { rt::sysreg::write!($vhe, v) } else { rt::sysreg::write!($nvhe, v) }
        }
    };
}

macro_rules! one {
    ($(#[$m:meta])* $get:ident, $set:ident, $enc:literal) => {
        $(#[$m])*
        #[inline(always)]
        #[allow(dead_code)]
        pub fn $get() -> u64 {
            rt::sysreg::read!($enc)
        }
        #[inline(always)]
        #[allow(dead_code)]
        pub fn $set(v: u64) {
            rt::sysreg::write!($enc, v)
        }
    };
}

/// test-l1's own EL2 registers, in the mode's encoding.
pub mod el2 {
    use super::vhe;
    pair!(/** SCTLR_EL2 (SCTLR_EL1 with E2H). */ sctlr, set_sctlr, "S3_0_C1_C0_0", "S3_4_C1_C0_0");
    pair!(/** TCR_EL2. */ tcr, set_tcr, "S3_0_C2_C0_2", "S3_4_C2_C0_2");
    pair!(/** TTBR0_EL2. */ ttbr0, set_ttbr0, "S3_0_C2_C0_0", "S3_4_C2_C0_0");
    pair!(/** MAIR_EL2. */ mair, set_mair, "S3_0_C10_C2_0", "S3_4_C10_C2_0");
    pair!(/** VBAR_EL2. */ vbar, set_vbar, "S3_0_C12_C0_0", "S3_4_C12_C0_0");
    pair!(/** ESR_EL2. */ esr, set_esr, "S3_0_C5_C2_0", "S3_4_C5_C2_0");
    pair!(/** FAR_EL2. */ far, set_far, "S3_0_C6_C0_0", "S3_4_C6_C0_0");
    pair!(/** ELR_EL2. */ elr, set_elr, "S3_0_C4_C0_1", "S3_4_C4_C0_1");
    pair!(/** SPSR_EL2. */ spsr, set_spsr, "S3_0_C4_C0_0", "S3_4_C4_C0_0");
    pair!(/** CPTR_EL2 (CPACR_EL1 with E2H, CPACR layout). */ cptr, set_cptr, "S3_0_C1_C0_2", "S3_4_C1_C1_2");
    pair!(/** CNTHCTL_EL2 (CNTKCTL_EL1 with E2H). */ cnthctl, set_cnthctl, "S3_0_C14_C1_0", "S3_4_C14_C1_0");
    pair!(/** CNTHP_CTL_EL2 (CNTP_CTL_EL0 with E2H). */ cnthp_ctl, set_cnthp_ctl, "S3_3_C14_C2_1", "S3_4_C14_C2_1");
    pair!(/** CNTHP_CVAL_EL2. */ cnthp_cval, set_cnthp_cval, "S3_3_C14_C2_2", "S3_4_C14_C2_2");
    pair!(/** CNTHP_TVAL_EL2. */ cnthp_tval, set_cnthp_tval, "S3_3_C14_C2_0", "S3_4_C14_C2_0");
    pair!(/** CNTHV_CTL_EL2 (CNTV_CTL_EL0 with E2H). */ cnthv_ctl, set_cnthv_ctl, "S3_3_C14_C3_1", "S3_4_C14_C3_1");
    pair!(/** CNTHV_CVAL_EL2. */ cnthv_cval, set_cnthv_cval, "S3_3_C14_C3_2", "S3_4_C14_C3_2");
    pair!(/** CNTHV_TVAL_EL2. */ cnthv_tval, set_cnthv_tval, "S3_3_C14_C3_0", "S3_4_C14_C3_0");
    pair!(/** CONTEXTIDR_EL2 (CONTEXTIDR_EL1 with E2H). */ contextidr, set_contextidr, "S3_0_C13_C0_1", "S3_4_C13_C0_1");
    pair!(/** AMAIR_EL2. */ amair, set_amair, "S3_0_C10_C3_0", "S3_4_C10_C3_0");
    one!(/** HCR_EL2. */ hcr, set_hcr, "S3_4_C1_C1_0");
    one!(/** HCRX_EL2. */ hcrx, set_hcrx, "S3_4_C1_C2_2");
    one!(/** MDCR_EL2. */ mdcr, set_mdcr, "S3_4_C1_C1_1");
    one!(/** VTTBR_EL2. */ vttbr, set_vttbr, "S3_4_C2_C1_0");
    one!(/** VTCR_EL2. */ vtcr, set_vtcr, "S3_4_C2_C1_2");
    one!(/** HPFAR_EL2. */ hpfar, set_hpfar, "S3_4_C6_C0_4");
    one!(/** TPIDR_EL2. */ tpidr, set_tpidr, "S3_4_C13_C0_2");
    one!(/** CNTVOFF_EL2. */ cntvoff, set_cntvoff, "S3_4_C14_C0_3");
    one!(/** HFGRTR_EL2. */ hfgrtr, set_hfgrtr, "S3_4_C1_C1_4");
    one!(/** HFGWTR_EL2. */ hfgwtr, set_hfgwtr, "S3_4_C1_C1_5");
    one!(/** HFGITR_EL2. */ hfgitr, set_hfgitr, "S3_4_C1_C1_6");
    one!(/** HDFGRTR_EL2. */ hdfgrtr, set_hdfgrtr, "S3_4_C3_C1_4");
    one!(/** HDFGWTR_EL2. */ hdfgwtr, set_hdfgwtr, "S3_4_C3_C1_5");
    one!(/** VNCR_EL2. */ vncr, set_vncr, "S3_4_C2_C2_0");
    one!(/** ICH_HCR_EL2. */ ich_hcr, set_ich_hcr, "S3_4_C12_C11_0");
    one!(/** ICH_VTR_EL2. */ ich_vtr, set_ich_vtr, "S3_4_C12_C11_1");
    one!(/** ICH_MISR_EL2. */ ich_misr, set_ich_misr, "S3_4_C12_C11_2");
    one!(/** ICH_EISR_EL2. */ ich_eisr, set_ich_eisr, "S3_4_C12_C11_3");
    one!(/** ICH_ELRSR_EL2. */ ich_elrsr, set_ich_elrsr, "S3_4_C12_C11_5");
    one!(/** ICH_VMCR_EL2. */ ich_vmcr, set_ich_vmcr, "S3_4_C12_C11_7");
    one!(/** ICH_AP1R0_EL2. */ ich_ap1r0, set_ich_ap1r0, "S3_4_C12_C9_0");
    one!(/** ICC_SRE_EL2. */ icc_sre, set_icc_sre, "S3_4_C12_C9_5");
}

/// The guest's (L2's) EL1 registers as test-l1 reaches them from EL2.
pub mod el1 {
    use super::vhe;
    pair!(/** SCTLR_EL1. */ sctlr, set_sctlr, "S3_5_C1_C0_0", "S3_0_C1_C0_0");
    pair!(/** CPACR_EL1. */ cpacr, set_cpacr, "S3_5_C1_C0_2", "S3_0_C1_C0_2");
    pair!(/** TTBR0_EL1. */ ttbr0, set_ttbr0, "S3_5_C2_C0_0", "S3_0_C2_C0_0");
    pair!(/** TTBR1_EL1. */ ttbr1, set_ttbr1, "S3_5_C2_C0_1", "S3_0_C2_C0_1");
    pair!(/** TCR_EL1. */ tcr, set_tcr, "S3_5_C2_C0_2", "S3_0_C2_C0_2");
    pair!(/** SPSR_EL1. */ spsr, set_spsr, "S3_5_C4_C0_0", "S3_0_C4_C0_0");
    pair!(/** ELR_EL1. */ elr, set_elr, "S3_5_C4_C0_1", "S3_0_C4_C0_1");
    pair!(/** AFSR0_EL1. */ afsr0, set_afsr0, "S3_5_C5_C1_0", "S3_0_C5_C1_0");
    pair!(/** ESR_EL1. */ esr, set_esr, "S3_5_C5_C2_0", "S3_0_C5_C2_0");
    pair!(/** FAR_EL1. */ far, set_far, "S3_5_C6_C0_0", "S3_0_C6_C0_0");
    pair!(/** MAIR_EL1. */ mair, set_mair, "S3_5_C10_C2_0", "S3_0_C10_C2_0");
    pair!(/** AMAIR_EL1. */ amair, set_amair, "S3_5_C10_C3_0", "S3_0_C10_C3_0");
    pair!(/** VBAR_EL1. */ vbar, set_vbar, "S3_5_C12_C0_0", "S3_0_C12_C0_0");
    pair!(/** CONTEXTIDR_EL1. */ contextidr, set_contextidr, "S3_5_C13_C0_1", "S3_0_C13_C0_1");
    pair!(/** CNTKCTL_EL1. */ cntkctl, set_cntkctl, "S3_5_C14_C1_0", "S3_0_C14_C1_0");
    pair!(/** CNTV_CTL_EL0 (EL02 with E2H). */ cntv_ctl, set_cntv_ctl, "S3_5_C14_C3_1", "S3_3_C14_C3_1");
    pair!(/** CNTV_CVAL_EL0 (EL02 with E2H). */ cntv_cval, set_cntv_cval, "S3_5_C14_C3_2", "S3_3_C14_C3_2");
    pair!(/** CNTP_CTL_EL0 (EL02 with E2H). */ cntp_ctl, set_cntp_ctl, "S3_5_C14_C2_1", "S3_3_C14_C2_1");
    pair!(/** CNTP_CVAL_EL0 (EL02 with E2H). */ cntp_cval, set_cntp_cval, "S3_5_C14_C2_2", "S3_3_C14_C2_2");
    one!(/** SP_EL1 (no alias: the same encoding in both modes). */ sp, set_sp, "S3_4_C4_C1_0");
    one!(/** TPIDR_EL1 (not redirected by E2H). */ tpidr, set_tpidr, "S3_0_C13_C0_4");
    one!(/** PAR_EL1 (shared by the EL1 and EL2 AT instructions). */ par, set_par, "S3_0_C7_C4_0");
}

/// The generic timer's counters (Arm ARM D12).
pub fn cntpct() -> u64 {
    rt::sysreg::isb();
    rt::sysreg::read!("S3_3_C14_C0_1")
}
/// CNTFRQ_EL0.
pub fn cntfrq() -> u64 {
    rt::sysreg::read!("S3_3_C14_C0_0")
}

/// Busy-waits until `f` holds or `ms` milliseconds of the physical count
/// pass; returns whether `f` held. Timing is never printed.
pub fn wait_until(ms: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = cntpct() + cntfrq() / 1000 * ms;
    loop {
        if f() {
            return true;
        }
        if cntpct() > end {
            return f();
        }
        core::hint::spin_loop();
    }
}

/// Data synchronization barrier, inner shareable.
#[inline(always)]
pub fn dsb_ish() {
    // SAFETY: a barrier has no effect Rust can see.
    unsafe { core::arch::asm!("dsb ish", options(nostack, preserves_flags)) };
}

/// Cleans and invalidates `[start, start + len)` to the point of coherency
/// and invalidates the instruction cache: L1 writes with cacheable EL2
/// attributes memory L2 reads with its MMU off (Arm ARM D7.5.9).
pub fn sync_range(start: u64, len: u64) {
    let mut a = start & !63;
    while a < start + len {
        // SAFETY: cache maintenance by VA of memory test-l1 owns.
        unsafe { core::arch::asm!("dc civac, {}", in(reg) a, options(nostack, preserves_flags)) };
        a += 64;
    }
    // SAFETY: barrier and instruction cache maintenance only.
    unsafe { core::arch::asm!("dsb ish", "ic ialluis", "dsb ish", "isb", options(nostack)) };
}

/// CPU features the suite depends on (ID registers as read at EL2).
#[derive(Clone, Copy, Debug, Default)]
pub struct Feat {
    /// FEAT_VHE (ID_AA64MMFR1_EL1.VH).
    pub vhe: bool,
    /// FEAT_E2H0: HCR_EL2.E2H can be 0 (ID_AA64MMFR4_EL1.E2H0 == 0).
    pub e2h0: bool,
    /// FEAT_FGT (ID_AA64MMFR0_EL1.FGT).
    pub fgt: bool,
    /// FEAT_HCX (ID_AA64MMFR1_EL1.HCX).
    pub hcx: bool,
    /// FEAT_TCR2 (ID_AA64MMFR3_EL1.TCRX).
    pub tcr2: bool,
    /// FEAT_NMI (ID_AA64PFR1_EL1.NMI).
    pub nmi: bool,
    /// 16-bit VMIDs (ID_AA64MMFR1_EL1.VMIDBits == 2).
    pub vmid16: bool,
    /// FEAT_NV2 (ID_AA64MMFR2_EL1.NV == 2).
    pub nv2: bool,
    /// FEAT_SME (ID_AA64PFR1_EL1.SME).
    pub sme: bool,
    /// Number of list registers (ICH_VTR_EL2.ListRegs + 1).
    pub lrs: u32,
    /// Implemented virtual priority bits (ICH_VTR_EL2.PRIbits + 1).
    pub vpri_bits: u32,
}

impl Feat {
    /// Reads the ID registers (must run at EL2 with the GIC's system
    /// register interface on, for ICH_VTR_EL2).
    pub fn read() -> Feat {
        let mmfr0 = rt::sysreg::read!("S3_0_C0_C7_0");
        let mmfr1 = rt::sysreg::read!("S3_0_C0_C7_1");
        let mmfr2 = rt::sysreg::read!("S3_0_C0_C7_2");
        let mmfr3 = rt::sysreg::read!("S3_0_C0_C7_3");
        let mmfr4 = rt::sysreg::read!("S3_0_C0_C7_4");
        let pfr1 = rt::sysreg::read!("S3_0_C0_C4_1");
        let f = |v: u64, s: u32| (v >> s) & 0xf;
        Feat {
            vhe: f(mmfr1, 8) >= 1,
            e2h0: f(mmfr4, 24) == 0,
            fgt: f(mmfr0, 56) >= 1,
            hcx: f(mmfr1, 40) >= 1,
            tcr2: f(mmfr3, 0) >= 1,
            nmi: f(pfr1, 36) >= 1,
            vmid16: f(mmfr1, 4) == 2,
            nv2: f(mmfr2, 24) >= 2,
            sme: f(pfr1, 24) >= 1,
            lrs: 0,
            vpri_bits: 0,
        }
    }
}
