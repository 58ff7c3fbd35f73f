//! Register round trips: every EL2 register a hypervisor programs (and,
//! through the mode's aliases, the guest EL1 state a hypervisor switches)
//! is written with four patterns (all zeros, all ones, 0x55.., 0xaa..),
//! read back, and compared with what the architecture makes of each bit
//! (Arm ARM D24.2 register descriptions; Glossary, RES0/RES1):
//!
//! * bits defined for the features the ID registers show must read back
//!   as written;
//! * RES1 bits must read as 1 or as written, RES0 bits (and bits of
//!   features absent) as 0 or as written, and the same way for every
//!   pattern (a bit that is fixed at the wrong value, or flips, fails).
//!   Reads that return what was written are what an L0 gives for the
//!   registers FEAT_NV2 keeps in memory (the VNCR page), so both
//!   behaviours are allowed and neither is printed.
//!
//! Bits whose change would break test-l1 while it runs (SCTLR_EL2.M, A,
//! SA, EE; HCR_EL2.E2H, TGE; MDCR_EL2.HPMN, whose values past PMCR_EL0.N
//! are CONSTRAINED UNPREDICTABLE) keep their value. The round trips run
//! first, with test-l1's EL2 MMU off, and each register is restored at
//! once. The list covers the EL2 registers of the fgt table that FEAT_NV2
//! keeps in the VNCR page or that trap with HCR_EL2.NV, except read-only
//! ones, IMPLEMENTATION DEFINED ones (ACTLR, AFSR, AMAIR) and those of
//! features QEMU's max CPU lacks (MPAM, AMU, SPE, TRBE, BRBE, GCS, PIE,
//! POE, SME's SMPRIMAP).

use super::hw;
use super::{verdict, Case, Suite, Verdict};

/// The ID registers the masks depend on.
#[derive(Clone, Copy)]
pub struct Ids {
    pfr0: u64,
    pfr1: u64,
    mmfr0: u64,
    mmfr1: u64,
    mmfr2: u64,
    mmfr3: u64,
    isar1: u64,
    isar2: u64,
    dfr0: u64,
    vtr: u64,
}

impl Ids {
    fn read() -> Ids {
        Ids {
            pfr0: rt::sysreg::read!("S3_0_C0_C4_0"),
            pfr1: rt::sysreg::read!("S3_0_C0_C4_1"),
            mmfr0: rt::sysreg::read!("S3_0_C0_C7_0"),
            mmfr1: rt::sysreg::read!("S3_0_C0_C7_1"),
            mmfr2: rt::sysreg::read!("S3_0_C0_C7_2"),
            mmfr3: rt::sysreg::read!("S3_0_C0_C7_3"),
            isar1: rt::sysreg::read!("S3_0_C0_C6_1"),
            isar2: rt::sysreg::read!("S3_0_C0_C6_2"),
            dfr0: rt::sysreg::read!("S3_0_C0_C5_0"),
            vtr: hw::el2::ich_vtr(),
        }
    }
}

/// Field `[s+3:s]` of `v`.
const fn f(v: u64, s: u32) -> u64 {
    (v >> s) & 0xf
}
/// `m` if `c`.
const fn b(c: bool, m: u64) -> u64 {
    if c {
        m
    } else {
        0
    }
}
/// Bits `lo..=hi`.
const fn bits(hi: u32, lo: u32) -> u64 {
    (u64::MAX >> (63 - hi)) & !((1u64 << lo) - 1)
}

fn pauth(i: &Ids) -> bool {
    f(i.isar1, 4) | f(i.isar1, 8) | f(i.isar1, 24) | f(i.isar1, 28) | f(i.isar2, 12) != 0
}
fn ras(i: &Ids) -> u64 {
    f(i.pfr0, 28)
}
fn sve(i: &Ids) -> bool {
    f(i.pfr0, 32) != 0
}
fn sme(i: &Ids) -> bool {
    f(i.pfr1, 24) != 0
}
fn mte2(i: &Ids) -> bool {
    f(i.pfr1, 8) >= 2
}
fn amu(i: &Ids) -> bool {
    f(i.pfr0, 44) != 0
}
fn ecv(i: &Ids) -> u64 {
    f(i.mmfr0, 60)
}
fn vmid16(i: &Ids) -> bool {
    f(i.mmfr1, 4) == 2
}
fn asid16(i: &Ids) -> bool {
    f(i.mmfr0, 4) == 2
}
fn cnp(i: &Ids) -> bool {
    f(i.mmfr2, 0) != 0
}
fn hafdbs(i: &Ids) -> u64 {
    f(i.mmfr1, 0)
}
fn hpds(i: &Ids) -> u64 {
    f(i.mmfr1, 12)
}
fn lpa2(i: &Ids) -> bool {
    f(i.mmfr0, 28) == 1
}
fn pan(i: &Ids) -> bool {
    f(i.mmfr1, 20) != 0
}
fn pmu(i: &Ids) -> u64 {
    let v = f(i.dfr0, 8);
    if v == 0xf {
        0
    } else {
        v
    }
}

/// Which mode a register entry applies to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum When {
    Both,
    Vhe,
    Nvhe,
}

/// One register of the round trip.
struct Reg {
    name: &'static str,
    when: When,
    rd: fn() -> u64,
    wr: fn(u64),
    /// Bits that must read back as written.
    rw: fn(&Ids) -> u64,
    /// RES1 bits.
    res1: fn(&Ids) -> u64,
    /// Bits kept at their current value.
    keep: u64,
    /// Present at all (else SKIP).
    present: fn(&Ids) -> bool,
}

macro_rules! acc {
    ($get:ident, $set:ident, $enc:literal) => {
        fn $get() -> u64 {
            rt::sysreg::read!($enc)
        }
        fn $set(v: u64) {
            rt::sysreg::write!($enc, v)
        }
    };
}

// EL2 encodings used in the VHE mode next to their EL1 aliases, and
// registers hw does not need elsewhere.
acc!(sctlr_el2, set_sctlr_el2, "S3_4_C1_C0_0");
acc!(tcr_el2, set_tcr_el2, "S3_4_C2_C0_2");
acc!(ttbr0_el2, set_ttbr0_el2, "S3_4_C2_C0_0");
acc!(ttbr1_el2, set_ttbr1_el2, "S3_4_C2_C0_1");
acc!(ttbr1_el1, set_ttbr1_el1, "S3_0_C2_C0_1");
acc!(mair_el2, set_mair_el2, "S3_4_C10_C2_0");
acc!(vbar_el2, set_vbar_el2, "S3_4_C12_C0_0");
acc!(esr_el2, set_esr_el2, "S3_4_C5_C2_0");
acc!(far_el2, set_far_el2, "S3_4_C6_C0_0");
acc!(elr_el2, set_elr_el2, "S3_4_C4_C0_1");
acc!(spsr_el2, set_spsr_el2, "S3_4_C4_C0_0");
acc!(cptr_el2, set_cptr_el2, "S3_4_C1_C1_2");
acc!(cnthctl_el2, set_cnthctl_el2, "S3_4_C14_C1_0");
acc!(contextidr_el2, set_contextidr_el2, "S3_4_C13_C0_1");
acc!(cnthp_cval_el2, set_cnthp_cval_el2, "S3_4_C14_C2_2");
acc!(cnthp_ctl_el2, set_cnthp_ctl_el2, "S3_4_C14_C2_1");
acc!(cnthv_cval_el2, set_cnthv_cval_el2, "S3_4_C14_C3_2");
acc!(cnthv_ctl_el2, set_cnthv_ctl_el2, "S3_4_C14_C3_1");
acc!(vpidr, set_vpidr, "S3_4_C0_C0_0");
acc!(vmpidr, set_vmpidr, "S3_4_C0_C0_5");
acc!(hafgrtr, set_hafgrtr, "S3_4_C3_C1_6");
acc!(vsesr, set_vsesr, "S3_4_C5_C2_3");
acc!(vdisr, set_vdisr, "S3_4_C12_C1_1");
acc!(cntpoff, set_cntpoff, "S3_4_C14_C0_6");
acc!(ich_ap0r0, set_ich_ap0r0, "S3_4_C12_C8_0");
acc!(ich_lr1, set_ich_lr1, "S3_4_C12_C12_1");
acc!(ich_lr2, set_ich_lr2, "S3_4_C12_C12_2");
acc!(ich_lr3, set_ich_lr3, "S3_4_C12_C12_3");
acc!(ich_lr0, set_ich_lr0, "S3_4_C12_C12_0");

fn yes(_: &Ids) -> bool {
    true
}
fn none(_: &Ids) -> u64 {
    0
}
fn all(_: &Ids) -> u64 {
    u64::MAX
}

/// HCR_EL2 (Arm ARM D24.2.48): the ARMv8.0 controls, and each later bit
/// with its feature. Not FIEN (bit 47, FEAT_RASv1p1): QEMU 10.0 keeps it
/// at 0 although its max CPU reports RASv1p1 (a QEMU deviation; the bit
/// then counts as reserved).
fn hcr_rw(i: &Ids) -> u64 {
    let base = bits(14, 0) | bits(30, 16) & !(1 << 29) | (3 << 32);
    let el3 = f(i.pfr0, 12) != 0;
    let evt = f(i.mmfr2, 56);
    base | b(!el3, 1 << 29)
        | b(f(i.pfr0, 4) == 2, 1 << 31)
        | b(f(i.pfr0, 0) == 2, 1 << 15)
        | b(f(i.mmfr1, 16) != 0, 1 << 35)
        | b(ras(i) != 0, 3 << 36)
        | b(pauth(i), 3 << 40)
        | b(f(i.mmfr2, 24) >= 1, 3 << 42)
        | b(f(i.mmfr2, 32) >= 1, 1 << 44)
        | b(f(i.mmfr2, 24) >= 2, 1 << 45)
        | b(f(i.mmfr2, 40) >= 1, 1 << 46)
        | b(evt >= 2, 1 << 49)
        | b(evt >= 1, (1 << 50) | (1 << 52) | (3 << 54))
        | b(f(i.pfr0, 56) >= 2, 1 << 53)
        | b(mte2(i), 7 << 56)
        | b(f(i.mmfr1, 32) != 0, 0x1f << 59)
}
fn hcr_res1(i: &Ids) -> u64 {
    b(f(i.pfr0, 4) != 2, 1 << 31)
}

/// HCRX_EL2 (FEAT_HCX): the bits of features QEMU's max CPU has.
fn hcrx_rw(i: &Ids) -> u64 {
    let xs = f(i.isar1, 56) != 0;
    let nmi = f(i.pfr1, 36) != 0;
    let mops = f(i.isar2, 16) != 0;
    let cmow = f(i.mmfr1, 56) != 0;
    b(xs, 3 << 3)
        | b(nmi, 7 << 6)
        | b(cmow, 1 << 9)
        | b(mops, 3 << 10)
        | b(f(i.mmfr3, 0) != 0, 1 << 14)
        | b(f(i.mmfr3, 4) != 0, 1 << 15)
}

/// SCTLR_EL2 in the EL2 layout (E2H = 0): C, I, WXN, the PAuth enables.
fn sctlr2_rw(i: &Ids) -> u64 {
    (1 << 2) | (1 << 12) | (1 << 19) | b(pauth(i), (1 << 13) | (1 << 27) | (1 << 30) | (1 << 31))
}
fn sctlr2_res1(_: &Ids) -> u64 {
    0x30c5_0830
}
/// SCTLR_EL2 with E2H = 1 and SCTLR_EL1: the EL1 layout (EL0 controls too).
fn sctlr1_rw(i: &Ids) -> u64 {
    sctlr2_rw(i)
        | (1 << 4)
        | (1 << 14)
        | (1 << 15)
        | (1 << 16)
        | (1 << 18)
        | (1 << 24)
        | (1 << 26)
        | b(pan(i), 1 << 23)
}
fn sctlr1_res1(i: &Ids) -> u64 {
    0x3050_0800 | b(!pan(i), 1 << 23) | (1 << 22)
}
const SCTLR_KEEP: u64 = 1 | 2 | 8 | (1 << 25);

/// TCR_EL2, EL2 layout: T0SZ, IRGN0, ORGN0, SH0, TG0, PS, TBI, HA/HD,
/// HPD, HWU, TBID, TCMA, DS.
fn tcr2_rw(i: &Ids) -> u64 {
    bits(5, 0)
        | bits(18, 8)
        | (1 << 20)
        | b(hafdbs(i) >= 1, 1 << 21)
        | b(hafdbs(i) >= 2, 1 << 22)
        | b(hpds(i) >= 1, 1 << 24)
        | b(hpds(i) >= 2, 0xf << 25)
        | b(pauth(i), 1 << 29)
        | b(mte2(i), 1 << 30)
        | b(lpa2(i), 1 << 32)
}
fn tcr2_res1(_: &Ids) -> u64 {
    (1 << 31) | (1 << 23)
}
/// TCR_EL2 with E2H = 1 and TCR_EL1: the EL1 layout.
fn tcr1_rw(i: &Ids) -> u64 {
    bits(5, 0)
        | bits(34, 7)
        | b(asid16(i), 1 << 36)
        | (3 << 37)
        | b(hafdbs(i) >= 1, 1 << 39)
        | b(hafdbs(i) >= 2, 1 << 40)
        | b(hpds(i) >= 1, 3 << 41)
        | b(hpds(i) >= 2, 0xff << 43)
        | b(pauth(i), 3 << 51)
        | b(sve(i), 3 << 53)
        | b(mte2(i), 3 << 57)
        | b(lpa2(i), 1 << 59)
}

/// TTBRn: BADDR[47:1], CnP; ASID with E2H = 1 (or for EL1).
fn ttbr_rw_asid(i: &Ids) -> u64 {
    bits(47, 1)
        | b(cnp(i), 1)
        | if asid16(i) {
            bits(63, 48)
        } else {
            bits(55, 48)
        }
}
fn ttbr2_rw(i: &Ids) -> u64 {
    bits(47, 1) | b(cnp(i), 1)
}

/// VTTBR_EL2: BADDR, CnP, VMID (8 or 16 bits).
fn vttbr_rw(i: &Ids) -> u64 {
    bits(47, 1)
        | b(cnp(i), 1)
        | if vmid16(i) {
            bits(63, 48)
        } else {
            bits(55, 48)
        }
}
/// VTCR_EL2: T0SZ..PS, VS, HA, HD, HWU, DS/SL2; RES1 bit 31.
fn vtcr_rw(i: &Ids) -> u64 {
    bits(18, 0)
        | b(vmid16(i), 1 << 19)
        | b(hafdbs(i) >= 1, 1 << 21)
        | b(hafdbs(i) >= 2, 1 << 22)
        | b(hpds(i) >= 2, 0xf << 25)
        | b(lpa2(i), 3 << 32)
}
fn vtcr_res1(_: &Ids) -> u64 {
    1 << 31
}

/// SPSR_ELx: NZCV, PAN, SS, IL, DAIF, M[4:0] (plus DIT, UAO, SSBS, BTYPE
/// with their features: not required).
fn spsr_rw(_: &Ids) -> u64 {
    bits(31, 28) | (1 << 21) | (1 << 20) | bits(9, 6) | bits(4, 0)
}

/// CNTHCTL_EL2: E2H = 0 layout bits 0-7, E2H = 1 bits 0-11; the ECV
/// controls.
fn cnthctl2_rw(i: &Ids) -> u64 {
    bits(7, 0) | b(ecv(i) >= 1, bits(17, 13)) | b(ecv(i) >= 2, 1 << 12)
}
fn cnthctl1_rw(i: &Ids) -> u64 {
    cnthctl2_rw(i) | bits(11, 8)
}

/// CPTR_EL2, EL2 layout: TFP, TTA, TCPAC, TZ (SVE), TSM (SME), TAM (AMU);
/// RES1 [7:0], 9, 13, and TZ/TSM without their features.
fn cptr2_rw(i: &Ids) -> u64 {
    (1 << 10) | (1 << 20) | (1 << 31) | b(sve(i), 1 << 8) | b(sme(i), 1 << 12) | b(amu(i), 1 << 30)
}
fn cptr2_res1(i: &Ids) -> u64 {
    0xff | (1 << 9) | (1 << 13) | b(!sve(i), 1 << 8) | b(!sme(i), 1 << 12)
}
/// CPTR_EL2 with E2H = 1 (CPACR layout): FPEN, ZEN, SMEN, TTA (bit 28),
/// TAM, TCPAC.
fn cptr1_rw(i: &Ids) -> u64 {
    (3 << 20) | (1 << 28) | (1 << 31) | b(sve(i), 3 << 16) | b(sme(i), 3 << 24) | b(amu(i), 1 << 30)
}
/// CPACR_EL1: FPEN, ZEN, SMEN, TTA.
fn cpacr_rw(i: &Ids) -> u64 {
    (3 << 20) | (1 << 28) | b(sve(i), 3 << 16) | b(sme(i), 3 << 24)
}

/// MDCR_EL2: TPMCR, TPM, HPME (PMUv3), TDE, TDA, TDOSA, TDRA, HPMD
/// (PMUv3p1), HCCD/HLP (PMUv3p5), TDCC (FGT); HPMN kept.
fn mdcr_rw(i: &Ids) -> u64 {
    let p = pmu(i);
    bits(11, 8)
        | b(p >= 1, 7 << 5)
        | b(p >= 4, 1 << 17)
        | b(p >= 6, (1 << 23) | (1 << 26))
        | b(f(i.mmfr0, 56) != 0, 1 << 27)
}

/// The FGT registers: the FEAT_FGT bits of features present. HFGRTR/WTR
/// bits 0-49 (ERX* need RAS, which QEMU's max has), HFGITR bits 0-54,
/// HDFGRTR/WTR the breakpoint/watchpoint and MDSCR bits 0-4.
fn hfgxtr_rw(_: &Ids) -> u64 {
    bits(49, 0)
}
fn hfgitr_rw(_: &Ids) -> u64 {
    bits(54, 0)
}
fn hdfg_rw(_: &Ids) -> u64 {
    bits(4, 0)
}

/// ICH_HCR_EL2: En and the maintenance enables, TC, TALL0/1, TDIR (if
/// ICH_VTR_EL2.TDS), EOIcount.
fn ich_hcr_rw(i: &Ids) -> u64 {
    bits(7, 0) | bits(12, 10) | b(i.vtr & (1 << 19) != 0, 1 << 14) | bits(31, 27)
}
/// ICH_VMCR_EL2: VENG0, VENG1, VCBPR, VEOIM, the implemented VPMR bits;
/// VFIQEn is RES1 with the system-register interface; VBPR0/VBPR1 are
/// kept (writes below the implemented minimum read back as the minimum,
/// IHI 0069 12.5.x).
fn ich_vmcr_rw(i: &Ids) -> u64 {
    let pri = ((i.vtr >> 29) & 7) + 1;
    3 | (1 << 4) | (1 << 9) | ((0xff << (8 - pri)) & 0xff) << 24
}
/// ICH_LR<n>_EL2: vINTID[15:0], the implemented priority bits, Group, HW,
/// State.
fn ich_lr_rw(i: &Ids) -> u64 {
    let pri = ((i.vtr >> 29) & 7) + 1;
    0xffff | (((0xff << (8 - pri)) & 0xff) << 48) | (1 << 60) | (1 << 61) | (3 << 62)
}
/// ICH_AP0R0/AP1R0: 32 bits with 5 or more preemption bits.
fn ich_ap_rw(i: &Ids) -> u64 {
    let pre = ((i.vtr >> 26) & 7) + 1;
    if pre >= 5 {
        0xffff_ffff
    } else {
        0xffff
    }
}

/// VMPIDR_EL2: Aff0-2, MT, U, Aff3; RES1 bit 31.
fn vmpidr_rw(_: &Ids) -> u64 {
    bits(24, 0) | (1 << 30) | bits(39, 32)
}
/// CNTKCTL_EL1: EL0 counter/timer enables and the event stream.
fn cntkctl_rw(i: &Ids) -> u64 {
    bits(9, 0) | b(ecv(i) >= 1, 1 << 17)
}

const EL2: &[Reg] = &[
    Reg {
        name: "reg-HCR_EL2",
        when: When::Both,
        rd: hw::el2::hcr,
        wr: hw::el2::set_hcr,
        rw: hcr_rw,
        res1: hcr_res1,
        keep: (1 << 34) | (1 << 27),
        present: yes,
    },
    Reg {
        name: "reg-HCRX_EL2",
        when: When::Both,
        rd: hw::el2::hcrx,
        wr: hw::el2::set_hcrx,
        rw: hcrx_rw,
        res1: none,
        keep: 0,
        present: |i| f(i.mmfr1, 40) != 0,
    },
    Reg {
        name: "reg-VTTBR_EL2",
        when: When::Both,
        rd: hw::el2::vttbr,
        wr: hw::el2::set_vttbr,
        rw: vttbr_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-VTCR_EL2",
        when: When::Both,
        rd: hw::el2::vtcr,
        wr: hw::el2::set_vtcr,
        rw: vtcr_rw,
        res1: vtcr_res1,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-VBAR_EL2",
        when: When::Both,
        rd: vbar_el2,
        wr: set_vbar_el2,
        rw: |_| bits(63, 11),
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-VBAR_EL2@EL1",
        when: When::Vhe,
        rd: hw::el2::vbar,
        wr: hw::el2::set_vbar,
        rw: |_| bits(63, 11),
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-SCTLR_EL2",
        when: When::Nvhe,
        rd: sctlr_el2,
        wr: set_sctlr_el2,
        rw: sctlr2_rw,
        res1: sctlr2_res1,
        keep: SCTLR_KEEP,
        present: yes,
    },
    Reg {
        name: "reg-SCTLR_EL2",
        when: When::Vhe,
        rd: sctlr_el2,
        wr: set_sctlr_el2,
        rw: sctlr1_rw,
        res1: sctlr1_res1,
        keep: SCTLR_KEEP,
        present: yes,
    },
    Reg {
        name: "reg-SCTLR_EL2@EL1",
        when: When::Vhe,
        rd: hw::el2::sctlr,
        wr: hw::el2::set_sctlr,
        rw: sctlr1_rw,
        res1: sctlr1_res1,
        keep: SCTLR_KEEP,
        present: yes,
    },
    Reg {
        name: "reg-TCR_EL2",
        when: When::Nvhe,
        rd: tcr_el2,
        wr: set_tcr_el2,
        rw: tcr2_rw,
        res1: tcr2_res1,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TCR_EL2",
        when: When::Vhe,
        rd: tcr_el2,
        wr: set_tcr_el2,
        rw: tcr1_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TCR_EL2@EL1",
        when: When::Vhe,
        rd: hw::el2::tcr,
        wr: hw::el2::set_tcr,
        rw: tcr1_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TTBR0_EL2",
        when: When::Nvhe,
        rd: ttbr0_el2,
        wr: set_ttbr0_el2,
        rw: ttbr2_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TTBR0_EL2",
        when: When::Vhe,
        rd: ttbr0_el2,
        wr: set_ttbr0_el2,
        rw: ttbr_rw_asid,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TTBR0_EL2@EL1",
        when: When::Vhe,
        rd: hw::el2::ttbr0,
        wr: hw::el2::set_ttbr0,
        rw: ttbr_rw_asid,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TTBR1_EL2",
        when: When::Both,
        rd: ttbr1_el2,
        wr: set_ttbr1_el2,
        rw: ttbr_rw_asid,
        res1: none,
        keep: 0,
        present: |i| f(i.mmfr1, 8) != 0,
    },
    Reg {
        name: "reg-TTBR1_EL2@EL1",
        when: When::Vhe,
        rd: ttbr1_el1,
        wr: set_ttbr1_el1,
        rw: ttbr_rw_asid,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-MAIR_EL2",
        when: When::Both,
        rd: mair_el2,
        wr: set_mair_el2,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-MAIR_EL2@EL1",
        when: When::Vhe,
        rd: hw::el2::mair,
        wr: hw::el2::set_mair,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-ESR_EL2",
        when: When::Both,
        rd: esr_el2,
        wr: set_esr_el2,
        rw: |_| bits(31, 0),
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-ESR_EL2@EL1",
        when: When::Vhe,
        rd: hw::el2::esr,
        wr: hw::el2::set_esr,
        rw: |_| bits(31, 0),
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-FAR_EL2",
        when: When::Both,
        rd: far_el2,
        wr: set_far_el2,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-FAR_EL2@EL1",
        when: When::Vhe,
        rd: hw::el2::far,
        wr: hw::el2::set_far,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-HPFAR_EL2",
        when: When::Both,
        rd: hw::el2::hpfar,
        wr: hw::el2::set_hpfar,
        rw: |_| bits(43, 4),
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-ELR_EL2",
        when: When::Both,
        rd: elr_el2,
        wr: set_elr_el2,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-ELR_EL2@EL1",
        when: When::Vhe,
        rd: hw::el2::elr,
        wr: hw::el2::set_elr,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-SPSR_EL2",
        when: When::Both,
        rd: spsr_el2,
        wr: set_spsr_el2,
        rw: spsr_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-SPSR_EL2@EL1",
        when: When::Vhe,
        rd: hw::el2::spsr,
        wr: hw::el2::set_spsr,
        rw: spsr_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TPIDR_EL2",
        when: When::Both,
        rd: hw::el2::tpidr,
        wr: hw::el2::set_tpidr,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CONTEXTIDR_EL2",
        when: When::Both,
        rd: contextidr_el2,
        wr: set_contextidr_el2,
        rw: |_| bits(31, 0),
        res1: none,
        keep: 0,
        present: |i| f(i.mmfr1, 8) != 0,
    },
    Reg {
        name: "reg-CNTVOFF_EL2",
        when: When::Both,
        rd: hw::el2::cntvoff,
        wr: hw::el2::set_cntvoff,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CNTPOFF_EL2",
        when: When::Both,
        rd: cntpoff,
        wr: set_cntpoff,
        rw: all,
        res1: none,
        keep: 0,
        present: |i| ecv(i) >= 2,
    },
    Reg {
        name: "reg-CNTHCTL_EL2",
        when: When::Nvhe,
        rd: cnthctl_el2,
        wr: set_cnthctl_el2,
        rw: cnthctl2_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CNTHCTL_EL2",
        when: When::Vhe,
        rd: cnthctl_el2,
        wr: set_cnthctl_el2,
        rw: cnthctl1_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CNTHCTL_EL2@EL1",
        when: When::Vhe,
        rd: hw::el2::cnthctl,
        wr: hw::el2::set_cnthctl,
        rw: cnthctl1_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CNTHP_CVAL_EL2",
        when: When::Both,
        rd: cnthp_cval_el2,
        wr: set_cnthp_cval_el2,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CNTHP_CTL_EL2",
        when: When::Both,
        rd: cnthp_ctl_el2,
        wr: set_cnthp_ctl_el2,
        rw: |_| 2,
        res1: none,
        keep: 1,
        present: yes,
    },
    Reg {
        name: "reg-CNTHV_CVAL_EL2",
        when: When::Both,
        rd: cnthv_cval_el2,
        wr: set_cnthv_cval_el2,
        rw: all,
        res1: none,
        keep: 0,
        present: |i| f(i.mmfr1, 8) != 0,
    },
    Reg {
        name: "reg-CNTHV_CTL_EL2",
        when: When::Both,
        rd: cnthv_ctl_el2,
        wr: set_cnthv_ctl_el2,
        rw: |_| 2,
        res1: none,
        keep: 1,
        present: |i| f(i.mmfr1, 8) != 0,
    },
    Reg {
        name: "reg-CPTR_EL2",
        when: When::Nvhe,
        rd: cptr_el2,
        wr: set_cptr_el2,
        rw: cptr2_rw,
        res1: cptr2_res1,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CPTR_EL2",
        when: When::Vhe,
        rd: cptr_el2,
        wr: set_cptr_el2,
        rw: cptr1_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CPTR_EL2@EL1",
        when: When::Vhe,
        rd: hw::el2::cptr,
        wr: hw::el2::set_cptr,
        rw: cptr1_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-MDCR_EL2",
        when: When::Both,
        rd: hw::el2::mdcr,
        wr: hw::el2::set_mdcr,
        rw: mdcr_rw,
        res1: none,
        keep: 0x1f,
        present: yes,
    },
    Reg {
        name: "reg-HFGRTR_EL2",
        when: When::Both,
        rd: hw::el2::hfgrtr,
        wr: hw::el2::set_hfgrtr,
        rw: hfgxtr_rw,
        res1: none,
        keep: 0,
        present: |i| f(i.mmfr0, 56) != 0,
    },
    Reg {
        name: "reg-HFGWTR_EL2",
        when: When::Both,
        rd: hw::el2::hfgwtr,
        wr: hw::el2::set_hfgwtr,
        rw: hfgxtr_rw,
        res1: none,
        keep: 0,
        present: |i| f(i.mmfr0, 56) != 0,
    },
    Reg {
        name: "reg-HFGITR_EL2",
        when: When::Both,
        rd: hw::el2::hfgitr,
        wr: hw::el2::set_hfgitr,
        rw: hfgitr_rw,
        res1: none,
        keep: 0,
        present: |i| f(i.mmfr0, 56) != 0,
    },
    Reg {
        name: "reg-HDFGRTR_EL2",
        when: When::Both,
        rd: hw::el2::hdfgrtr,
        wr: hw::el2::set_hdfgrtr,
        rw: hdfg_rw,
        res1: none,
        keep: 0,
        present: |i| f(i.mmfr0, 56) != 0,
    },
    Reg {
        name: "reg-HDFGWTR_EL2",
        when: When::Both,
        rd: hw::el2::hdfgwtr,
        wr: hw::el2::set_hdfgwtr,
        rw: hdfg_rw,
        res1: none,
        keep: 0,
        present: |i| f(i.mmfr0, 56) != 0,
    },
    Reg {
        name: "reg-HAFGRTR_EL2",
        when: When::Both,
        rd: hafgrtr,
        wr: set_hafgrtr,
        rw: none,
        res1: none,
        keep: 0,
        present: |i| f(i.mmfr0, 56) != 0 && amu(i),
    },
    Reg {
        name: "reg-VPIDR_EL2",
        when: When::Both,
        rd: vpidr,
        wr: set_vpidr,
        rw: |_| bits(31, 0),
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-VMPIDR_EL2",
        when: When::Both,
        rd: vmpidr,
        wr: set_vmpidr,
        rw: vmpidr_rw,
        res1: |_| 1 << 31,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-VSESR_EL2",
        when: When::Both,
        rd: vsesr,
        wr: set_vsesr,
        rw: |_| bits(24, 0),
        res1: none,
        keep: 0,
        present: |i| ras(i) != 0,
    },
    Reg {
        name: "reg-VDISR_EL2",
        when: When::Both,
        rd: vdisr,
        wr: set_vdisr,
        rw: |_| (1 << 31) | bits(24, 0),
        res1: none,
        keep: 0,
        present: |i| ras(i) != 0,
    },
    Reg {
        name: "reg-ICH_HCR_EL2",
        when: When::Both,
        rd: hw::el2::ich_hcr,
        wr: hw::el2::set_ich_hcr,
        rw: ich_hcr_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-ICH_VMCR_EL2",
        when: When::Both,
        rd: hw::el2::ich_vmcr,
        wr: hw::el2::set_ich_vmcr,
        rw: ich_vmcr_rw,
        res1: |_| 1 << 3,
        keep: 0x3f << 18,
        present: yes,
    },
    Reg {
        name: "reg-ICH_AP0R0_EL2",
        when: When::Both,
        rd: ich_ap0r0,
        wr: set_ich_ap0r0,
        rw: ich_ap_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-ICH_AP1R0_EL2",
        when: When::Both,
        rd: hw::el2::ich_ap1r0,
        wr: hw::el2::set_ich_ap1r0,
        rw: ich_ap_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-ICH_LR0_EL2",
        when: When::Both,
        rd: ich_lr0,
        wr: set_ich_lr0,
        rw: ich_lr_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-ICH_LR1_EL2",
        when: When::Both,
        rd: ich_lr1,
        wr: set_ich_lr1,
        rw: ich_lr_rw,
        res1: none,
        keep: 0,
        present: |i| i.vtr & 0x1f >= 1,
    },
    Reg {
        name: "reg-ICH_LR2_EL2",
        when: When::Both,
        rd: ich_lr2,
        wr: set_ich_lr2,
        rw: ich_lr_rw,
        res1: none,
        keep: 0,
        present: |i| i.vtr & 0x1f >= 2,
    },
    Reg {
        name: "reg-ICH_LR3_EL2",
        when: When::Both,
        rd: ich_lr3,
        wr: set_ich_lr3,
        rw: ich_lr_rw,
        res1: none,
        keep: 0,
        present: |i| i.vtr & 0x1f >= 3,
    },
    Reg {
        name: "reg-SP_EL1",
        when: When::Both,
        rd: hw::el1::sp,
        wr: hw::el1::set_sp,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    // The guest's EL1 state: *_EL12 with E2H = 1, *_EL1 with E2H = 0.
    Reg {
        name: "reg-SCTLR_EL12",
        when: When::Vhe,
        rd: hw::el1::sctlr,
        wr: hw::el1::set_sctlr,
        rw: sctlr1_rw,
        res1: sctlr1_res1,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-SCTLR_EL1",
        when: When::Nvhe,
        rd: hw::el1::sctlr,
        wr: hw::el1::set_sctlr,
        rw: sctlr1_rw,
        res1: sctlr1_res1,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TCR_EL12",
        when: When::Vhe,
        rd: hw::el1::tcr,
        wr: hw::el1::set_tcr,
        rw: tcr1_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TCR_EL1",
        when: When::Nvhe,
        rd: hw::el1::tcr,
        wr: hw::el1::set_tcr,
        rw: tcr1_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TTBR0_EL12",
        when: When::Vhe,
        rd: hw::el1::ttbr0,
        wr: hw::el1::set_ttbr0,
        rw: ttbr_rw_asid,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TTBR0_EL1",
        when: When::Nvhe,
        rd: hw::el1::ttbr0,
        wr: hw::el1::set_ttbr0,
        rw: ttbr_rw_asid,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TTBR1_EL12",
        when: When::Vhe,
        rd: hw::el1::ttbr1,
        wr: hw::el1::set_ttbr1,
        rw: ttbr_rw_asid,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TTBR1_EL1",
        when: When::Nvhe,
        rd: hw::el1::ttbr1,
        wr: hw::el1::set_ttbr1,
        rw: ttbr_rw_asid,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-MAIR_EL12",
        when: When::Vhe,
        rd: hw::el1::mair,
        wr: hw::el1::set_mair,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-MAIR_EL1",
        when: When::Nvhe,
        rd: hw::el1::mair,
        wr: hw::el1::set_mair,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-VBAR_EL12",
        when: When::Vhe,
        rd: hw::el1::vbar,
        wr: hw::el1::set_vbar,
        rw: |_| bits(63, 11),
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-VBAR_EL1",
        when: When::Nvhe,
        rd: hw::el1::vbar,
        wr: hw::el1::set_vbar,
        rw: |_| bits(63, 11),
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CONTEXTIDR_EL12",
        when: When::Vhe,
        rd: hw::el1::contextidr,
        wr: hw::el1::set_contextidr,
        rw: |_| bits(31, 0),
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CONTEXTIDR_EL1",
        when: When::Nvhe,
        rd: hw::el1::contextidr,
        wr: hw::el1::set_contextidr,
        rw: |_| bits(31, 0),
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-ELR_EL12",
        when: When::Vhe,
        rd: hw::el1::elr,
        wr: hw::el1::set_elr,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-ELR_EL1",
        when: When::Nvhe,
        rd: hw::el1::elr,
        wr: hw::el1::set_elr,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-SPSR_EL12",
        when: When::Vhe,
        rd: hw::el1::spsr,
        wr: hw::el1::set_spsr,
        rw: spsr_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-SPSR_EL1",
        when: When::Nvhe,
        rd: hw::el1::spsr,
        wr: hw::el1::set_spsr,
        rw: spsr_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-ESR_EL12",
        when: When::Vhe,
        rd: hw::el1::esr,
        wr: hw::el1::set_esr,
        rw: |_| bits(31, 0),
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-ESR_EL1",
        when: When::Nvhe,
        rd: hw::el1::esr,
        wr: hw::el1::set_esr,
        rw: |_| bits(31, 0),
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-FAR_EL12",
        when: When::Vhe,
        rd: hw::el1::far,
        wr: hw::el1::set_far,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-FAR_EL1",
        when: When::Nvhe,
        rd: hw::el1::far,
        wr: hw::el1::set_far,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CPACR_EL12",
        when: When::Vhe,
        rd: hw::el1::cpacr,
        wr: hw::el1::set_cpacr,
        rw: cpacr_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CPACR_EL1",
        when: When::Nvhe,
        rd: hw::el1::cpacr,
        wr: hw::el1::set_cpacr,
        rw: cpacr_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CNTKCTL_EL12",
        when: When::Vhe,
        rd: hw::el1::cntkctl,
        wr: hw::el1::set_cntkctl,
        rw: cntkctl_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CNTKCTL_EL1",
        when: When::Nvhe,
        rd: hw::el1::cntkctl,
        wr: hw::el1::set_cntkctl,
        rw: cntkctl_rw,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CNTV_CVAL_EL02",
        when: When::Vhe,
        rd: hw::el1::cntv_cval,
        wr: hw::el1::set_cntv_cval,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CNTV_CVAL_EL0",
        when: When::Nvhe,
        rd: hw::el1::cntv_cval,
        wr: hw::el1::set_cntv_cval,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CNTV_CTL_EL02",
        when: When::Vhe,
        rd: hw::el1::cntv_ctl,
        wr: hw::el1::set_cntv_ctl,
        rw: |_| 2,
        res1: none,
        keep: 1,
        present: yes,
    },
    Reg {
        name: "reg-CNTV_CTL_EL0",
        when: When::Nvhe,
        rd: hw::el1::cntv_ctl,
        wr: hw::el1::set_cntv_ctl,
        rw: |_| 2,
        res1: none,
        keep: 1,
        present: yes,
    },
    Reg {
        name: "reg-CNTP_CVAL_EL02",
        when: When::Vhe,
        rd: hw::el1::cntp_cval,
        wr: hw::el1::set_cntp_cval,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-CNTP_CVAL_EL0",
        when: When::Nvhe,
        rd: hw::el1::cntp_cval,
        wr: hw::el1::set_cntp_cval,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
    Reg {
        name: "reg-TPIDR_EL1",
        when: When::Both,
        rd: hw::el1::tpidr,
        wr: hw::el1::set_tpidr,
        rw: all,
        res1: none,
        keep: 0,
        present: yes,
    },
];

/// Number of round-trip cases (one per register, each mode naming its
/// own; a register of the other mode reports SKIP).
pub const N: usize = EL2.len();

macro_rules! case_fns {
    ($($i:literal)*) => {
        /// The round-trip cases, in table order.
        pub const CASES: [Case; N] = [ $( (EL2[$i].name_for_case(), |s| round_trip(s, $i)), )* ];
    };
}

impl Reg {
    const fn name_for_case(&self) -> &'static str {
        self.name
    }
}

case_fns!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32
    33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62
    63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92
    93 94);

/// The patterns written.
const PATTERNS: [u64; 4] = [0, u64::MAX, 0x5555_5555_5555_5555, 0xaaaa_aaaa_aaaa_aaaa];

fn round_trip(_: &mut Suite, i: usize) -> Verdict {
    let r = &EL2[i];
    let vhe = hw::vhe();
    match r.when {
        When::Vhe if !vhe => return Verdict::absent(),
        When::Nvhe if vhe => return Verdict::absent(),
        _ => {}
    }
    let ids = Ids::read();
    if !(r.present)(&ids) {
        // Not on this CPU: not a case here (SKIP is only for a mode the
        // CPU lacks).
        return Verdict::absent();
    }
    let rw = (r.rw)(&ids) & !r.keep;
    let res1 = (r.res1)(&ids) & !r.keep & !rw;
    let orig = (r.rd)();
    let mut got = [0u64; 4];
    for (n, p) in PATTERNS.iter().enumerate() {
        let w = (p & !r.keep) | (orig & r.keep);
        (r.wr)(w);
        rt::sysreg::isb();
        got[n] = (r.rd)();
        (r.wr)(orig);
        rt::sysreg::isb();
    }
    // Writable bits: as written.
    let mut bad_rw = 0u64;
    for (n, p) in PATTERNS.iter().enumerate() {
        bad_rw |= (got[n] ^ p) & rw;
    }
    // Other bits (not kept): fixed at their reserved value for every
    // pattern, or as written for every pattern.
    let other = !rw & !r.keep;
    let fixed1 = got.iter().fold(u64::MAX, |a, g| a & g);
    let fixed0 = got.iter().fold(u64::MAX, |a, g| a & !g);
    let preserved = PATTERNS
        .iter()
        .zip(got.iter())
        .fold(u64::MAX, |a, (p, g)| a & !(p ^ g));
    let ok_res1 = (fixed1 | preserved) & res1;
    let ok_res0 = (fixed0 | preserved) & other & !res1;
    let bad_res = other & !(ok_res1 | ok_res0);
    verdict!(
        bad_rw == 0 && bad_res == 0,
        "{} patterns: defined bits {}, reserved bits {}{}",
        PATTERNS.len(),
        if bad_rw == 0 { "as written" } else { "BAD" },
        if bad_res == 0 { "fixed or kept" } else { "BAD" },
        Bad(bad_rw, bad_res, got)
    )
}

/// The failing bits (only printed on failure).
struct Bad(u64, u64, [u64; 4]);

impl core::fmt::Display for Bad {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        if self.0 == 0 && self.1 == 0 {
            return Ok(());
        }
        write!(
            f,
            " (defined {:#x}, reserved {:#x}; read {:#x} {:#x} {:#x} {:#x})",
            self.0, self.1, self.2[0], self.2[1], self.2[2], self.2[3]
        )
    }
}
