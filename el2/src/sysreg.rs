//! Trapped MSR/MRS (EC 0x18): the sanitized ID registers (HCR_EL2.TID3), the
//! GIC SGI registers (HCR_EL2.IMO), the Group 1 CPU interface while a
//! level-triggered interrupt's line is checked (ICH_HCR_EL2.TALL1), and
//! UNDEF for everything L0 hides.
//!
//! ID register sanitizing is one table: each entry names the register, reads
//! the hardware value, and lists the 4-bit fields forced to a maximum
//! (field layouts from Arm ARM D24.2, "AArch64 identification registers").

use arch::esr::{Enc, SysregIss};
use nested::vel2::E2hMode;

use crate::vcpu::Vcpu;

/// A 4-bit ID field at bit `shift` capped to `max` (0 hides the feature).
#[derive(Clone, Copy)]
struct Cap {
    shift: u8,
    max: u8,
}

const fn cap(shift: u8, max: u8) -> Cap {
    Cap { shift, max }
}

struct IdReg {
    enc: Enc,
    name: &'static str,
    read: fn() -> u64,
    caps: &'static [Cap],
}

macro_rules! id {
    ($op1:literal, $crm:literal, $op2:literal, $name:literal, [$($c:expr),*]) => {
        IdReg {
            enc: Enc::new(3, $op1, 0, $crm, $op2),
            name: $name,
            read: || rt::sysreg::read!(concat!("S3_", $op1, "_C0_C", $crm, "_", $op2)),
            caps: &[$($c),*],
        }
    };
}

/// The ID registers the guest reads through TID3, with what L0 hides:
/// AArch32 at EL0 and EL1 (L0 runs only AArch64 guests: HCR_EL2.RW = 1, and
/// its exception injection has no AArch32 targets), EL2/EL3 (a guest
/// hypervisor is shown EL2: [`NESTED_CAPS`]), RAS, MPAM, AMU, MTE, SME, NMI, PMU, SPE, trace, BRBE, FGT, ECV,
/// VHE, LOR, HCX, TWED, NV, EVT.
static ID_REGS: &[IdReg] = &[
    // ID_AA64PFR0_EL1: EL0[3:0], EL1[7:4] (1: AArch64 only), EL2[11:8],
    // EL3[15:12], RAS[31:28], MPAM[43:40], AMU[47:44], RME[55:52]
    id!(
        0,
        4,
        0,
        "ID_AA64PFR0_EL1",
        [
            cap(0, 1),
            cap(4, 1),
            cap(8, 0),
            cap(12, 0),
            cap(28, 0),
            cap(40, 0),
            cap(44, 0),
            cap(52, 0)
        ]
    ),
    // ID_AA64PFR1_EL1: MTE[11:8], RAS_frac[15:12], MPAM_frac[19:16], SME[27:24], NMI[39:36]
    id!(
        0,
        4,
        1,
        "ID_AA64PFR1_EL1",
        [cap(8, 0), cap(12, 0), cap(16, 0), cap(24, 0), cap(36, 0)]
    ),
    id!(0, 4, 2, "ID_AA64PFR2_EL1", []),
    id!(0, 4, 4, "ID_AA64ZFR0_EL1", []),
    // ID_AA64SMFR0_EL1: SME hidden, so the whole register reads as zero.
    IdReg {
        enc: Enc::new(3, 0, 0, 4, 5),
        name: "ID_AA64SMFR0_EL1",
        read: || 0,
        caps: &[],
    },
    // ID_AA64DFR0_EL1: TraceVer[7:4], PMUVer[11:8], PMSVer[35:32], TraceFilt[43:40],
    // TraceBuffer[47:44], MTPMU[51:48], BRBE[55:52], HPMN0[63:60]
    id!(
        0,
        5,
        0,
        "ID_AA64DFR0_EL1",
        [
            cap(4, 0),
            cap(8, 0),
            cap(32, 0),
            cap(40, 0),
            cap(44, 0),
            cap(48, 0),
            cap(52, 0),
            cap(60, 0)
        ]
    ),
    id!(0, 5, 1, "ID_AA64DFR1_EL1", []),
    id!(0, 5, 4, "ID_AA64AFR0_EL1", []),
    id!(0, 5, 5, "ID_AA64AFR1_EL1", []),
    id!(0, 6, 0, "ID_AA64ISAR0_EL1", []),
    id!(0, 6, 1, "ID_AA64ISAR1_EL1", []),
    id!(0, 6, 2, "ID_AA64ISAR2_EL1", []),
    // ID_AA64MMFR0_EL1: FGT[59:56], ECV[63:60]
    id!(0, 7, 0, "ID_AA64MMFR0_EL1", [cap(56, 0), cap(60, 0)]),
    // ID_AA64MMFR1_EL1: VH[11:8], LO[19:16], TWED[35:32], HCX[43:40]
    id!(
        0,
        7,
        1,
        "ID_AA64MMFR1_EL1",
        [cap(8, 0), cap(16, 0), cap(32, 0), cap(40, 0)]
    ),
    // ID_AA64MMFR2_EL1: NV[27:24], EVT[59:56]
    id!(0, 7, 2, "ID_AA64MMFR2_EL1", [cap(24, 0), cap(56, 0)]),
    id!(0, 7, 3, "ID_AA64MMFR3_EL1", []),
    // ID_AA64MMFR4_EL1: only EL2 features (E2H0, NV_frac): zero.
    IdReg {
        enc: Enc::new(3, 0, 0, 7, 4),
        name: "ID_AA64MMFR4_EL1",
        read: || 0,
        caps: &[],
    },
];

/// What a guest hypervisor (L1 at virtual EL2) is shown instead, where it
/// differs: EL2 (AArch64 only), VHE, FGT and HCX, which L0 virtualizes;
/// not FEAT_NV (no recursion yet: MMFR2.NV = 0, MMFR4.NV_frac = 0; E2H0
/// and VH by [`E2hMode`], see [`id_value`]), ECV (CNTPOFF_EL2 has no effect on QEMU's virt
/// board without EL3), hardware Access-flag/dirty updates (the shadow
/// stage 2 does not make them in L1's tables) and FWB (its stage-2
/// attribute format is not composed).
static NESTED_CAPS: &[(Enc, &[Cap])] = &[
    // ID_AA64PFR0_EL1: as above, but EL2[11:8] = 1.
    (
        Enc::new(3, 0, 0, 4, 0),
        &[
            cap(0, 1),
            cap(4, 1),
            cap(8, 1),
            cap(12, 0),
            cap(28, 0),
            cap(40, 0),
            cap(44, 0),
            cap(52, 0),
        ],
    ),
    // ID_AA64MMFR0_EL1: ECV[63:60] hidden, FGT shown.
    (Enc::new(3, 0, 0, 7, 0), &[cap(60, 0)]),
    // ID_AA64MMFR1_EL1: HAFDBS[3:0], LO[19:16], TWED[35:32] hidden; VH, HCX shown.
    (
        Enc::new(3, 0, 0, 7, 1),
        &[cap(0, 0), cap(16, 0), cap(32, 0)],
    ),
    // ID_AA64MMFR2_EL1: NV[27:24], FWB[43:40] hidden; EVT[59:56] shown (L0
    // merges and routes HCR_EL2.TID4/TICAB/TOCU/TTLBIS/TTLBOS for L2, and
    // without it Linux KVM in L1 traps its guests' CTR_EL0 reads, HCR.TID2).
    (Enc::new(3, 0, 0, 7, 2), &[cap(24, 0), cap(40, 0)]),
];

/// ID_AA64MMFR1_EL1 and ID_AA64MMFR4_EL1.
const MMFR0: Enc = Enc::new(3, 0, 0, 7, 0);
const MMFR1: Enc = Enc::new(3, 0, 0, 7, 1);
const MMFR4: Enc = Enc::new(3, 0, 0, 7, 4);

/// The sanitized value of an ID register for a plain guest (`vel2`
/// None) or a guest hypervisor with that EL2, whose physical address size
/// is L0's IPA size (PARange encoding `parange`), or None if it is not in
/// the table.
fn id_value(enc: Enc, vel2: Option<E2hMode>, parange: u64) -> Option<u64> {
    let nested = vel2.is_some();
    let r = ID_REGS.iter().find(|r| r.enc == enc)?;
    let caps = if nested {
        NESTED_CAPS
            .iter()
            .find(|(e, _)| *e == enc)
            .map_or(r.caps, |(_, c)| *c)
    } else {
        r.caps
    };
    let mut v = (r.read)();
    for c in caps {
        let f = (v >> c.shift) & 0xf;
        if f > u64::from(c.max) {
            v = (v & !(0xf << c.shift)) | (u64::from(c.max) << c.shift);
        }
    }
    if enc == MMFR0 && v & 0xf > parange {
        // PARange[3:0]: the guest's physical addresses are L0's IPAs.
        v = (v & !0xf) | parange;
    }
    match (vel2, enc) {
        // VH[11:8] = 0: no VHE, E2H RES0.
        (Some(E2hMode::Nvhe), MMFR1) => v &= !(0xf << 8),
        (Some(m), MMFR4) => v = (v & !(0xf << 24)) | m.mmfr4_e2h0() << 24,
        _ => {}
    }
    log::debug!("guest reads {} = {v:#x}", r.name);
    Some(v)
}

/// Is `enc` in the ID register space (op0=3, op1=0, CRn=0, CRm=1..7)?
fn is_id_space(e: Enc) -> bool {
    e.op0() == 3 && e.op1() == 0 && e.crn() == 0 && (1..=7).contains(&e.crm())
}

const ICC_SGI1R_EL1: Enc = Enc::new(3, 0, 12, 11, 5);
const ICC_ASGI1R_EL1: Enc = Enc::new(3, 0, 12, 11, 6);
const ICC_SGI0R_EL1: Enc = Enc::new(3, 0, 12, 11, 7);

/// The Group 1 CPU interface registers ICH_HCR_EL2.TALL1 traps (IHI 0069,
/// 12.5.7): ICC_IAR1, EOIR1, HPPIR1, BPR1, AP1R<n>, IGRPEN1.
fn is_group1_cpuif(e: Enc) -> bool {
    let icc = e.op0() == 3 && e.op1() == 0 && e.crn() == 12;
    icc && match e.crm() {
        9 => true,                      // ICC_AP1R<n>_EL1
        12 => matches!(e.op2(), 0..=3), // IAR1, EOIR1, HPPIR1, BPR1
        _ => false,
    } || e == Enc::new(3, 0, 12, 12, 6) // ICC_IGRPEN1_EL1
}

/// The translation features of the CPU as L1 sees it, for walking its
/// tables (shadow stage 2, AT emulation).
pub fn l1_walk_features(vm: &crate::vm::Vm) -> at_emul::Features {
    let parange = vm.stage2.parange();
    let f = |op2| id_value(Enc::new(3, 0, 0, 7, op2), Some(E2hMode::Vhe), parange).unwrap_or(0);
    at_emul::Features::from_id_regs(f(0), f(1), f(2))
}

/// Executes an AT instruction at EL2 on the hardware EL1&0 regime (which
/// holds L1's own regime at virtual EL2): S1E2 of L1 is S1E1 there.
pub fn at_native(op: at_emul::AtOp, va: u64) {
    use at_emul::AtOp;
    // SAFETY: address translation instructions only write PAR_EL1; `va`
    // is not dereferenced.
    unsafe {
        match op {
            AtOp::S1E1R | AtOp::S1E2R => core::arch::asm!("at s1e1r, {}", in(reg) va),
            AtOp::S1E1W | AtOp::S1E2W => core::arch::asm!("at s1e1w, {}", in(reg) va),
            AtOp::S1E0R => core::arch::asm!("at s1e0r, {}", in(reg) va),
            AtOp::S1E0W => core::arch::asm!("at s1e0w, {}", in(reg) va),
            // AT S1E1RP / S1E1WP (FEAT_PAN2) in their SYS spelling.
            AtOp::S1E1RP => core::arch::asm!("sys #0, c7, c9, #0, {}", in(reg) va),
            AtOp::S1E1WP => core::arch::asm!("sys #0, c7, c9, #1, {}", in(reg) va),
            _ => {}
        }
    }
    rt::sysreg::isb();
}

/// What L0 does for any guest: ID registers, SGIs, the CPU interface while
/// a level-triggered line is checked. Some(advance the PC) when handled.
pub fn handle_common(vcpu: &mut Vcpu, a: SysregIss) -> Option<bool> {
    let enc = a.enc;
    if a.read && is_id_space(enc) {
        // Unlisted ID registers in this space are reserved: RAZ (D24.2).
        let mode = vcpu.nested.as_ref().map(|n| n.mode);
        let v = id_value(enc, mode, vcpu.vm.stage2.parange()).unwrap_or(0);
        vcpu.set_reg(a.rt, v);
        return Some(true);
    }
    if !a.read && matches!(enc, ICC_SGI1R_EL1 | ICC_ASGI1R_EL1 | ICC_SGI0R_EL1) {
        let v = vcpu.reg(a.rt);
        crate::irq::send_sgi(vcpu, v);
        return Some(true);
    }
    if is_group1_cpuif(enc) && vcpu.vgic.ich_hcr & arch::regs::ich_hcr::TALL1 != 0 {
        // A level-triggered interrupt sat in a list register: withdraw it
        // if its line dropped, then let the guest run the instruction again
        // untrapped.
        let vm = vcpu.vm;
        let mut lrs = crate::irq::HwLrs::new(&vm.gic);
        vcpu.vgic.resample(&mut lrs);
        return Some(false);
    }
    None
}

/// Handles a trapped system-register access. Returns false if the PC must
/// not advance (an exception was injected, or the instruction is to run
/// again).
pub fn handle(vcpu: &mut Vcpu, a: SysregIss) -> bool {
    if let Some(advance) = handle_common(vcpu, a) {
        return advance;
    }
    el2::guest_warn!(
        "undefined sysreg {} {} at pc {:#x}: UNDEF injected",
        if a.read { "read" } else { "write" },
        a.enc,
        vcpu.regs.pc
    );
    crate::inject::undef(vcpu);
    false
}

/// Executes the EL1 TLB maintenance instruction TLBI with CRm `crm`, op2
/// `op2` (op1 = 0, CRn = 8: the VMALLE1/VAE1/ASIDE1/VAAE1/VALE1/VAALE1
/// families and their IS/OS and range forms, Arm ARM C5.5) and operand
/// `val`, on the EL1&0 regime of the current VMID. Returns false for an
/// encoding that is not one.
pub fn tlbi_el1(crm: u8, op2: u8, val: u64) -> bool {
    macro_rules! tlbi {
        ($($crm:literal, $op2:literal);* $(;)?) => {
            match (crm, op2) {
                $( ($crm, $op2) => {
                    // SAFETY: TLB maintenance has no effect on memory Rust
                    // can see; the operand is a VA/ASID, never dereferenced.
                    unsafe {
                        core::arch::asm!(
                            "dsb ishst",
                            concat!("sys #0, c8, c", $crm, ", #", $op2, ", {}"),
                            "dsb ish",
                            in(reg) val,
                            options(nostack)
                        )
                    };
                    true
                } )*
                _ => false,
            }
        };
    }
    tlbi! {
        1, 0; 1, 1; 1, 2; 1, 3; 1, 5; 1, 7;
        2, 1; 2, 3; 2, 5; 2, 7;
        3, 0; 3, 1; 3, 2; 3, 3; 3, 5; 3, 7;
        5, 1; 5, 3; 5, 5; 5, 7;
        6, 1; 6, 3; 6, 5; 6, 7;
        7, 0; 7, 1; 7, 2; 7, 3; 7, 5; 7, 7;
    }
}
