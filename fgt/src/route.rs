//! `route` (does an exit taken while L2 ran belong to L1?) and `merge` (the
//! trap registers to run L2 with).

use crate::bits::{self, hfgitr, FgtReg};
use crate::config::{cnthctl, cptr, hcr, hcrx, ich_hcr, mdcr, TrapConfig};
use crate::ctl::Ctl;
use crate::esr::{ec, Enc, Esr};
use crate::table::{lookup, Hit, Nv2};

/// Where an exit taken while L2 ran goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// L1 asked for this trap: inject it into L1's virtual EL2.
    ToL1,
    /// Only L0 asked for it (or it is L0's business): L0 handles it and
    /// resumes L2.
    ToL0,
}

/// Why an access traps: the coarse control, or the fine-grained bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A coarse control.
    Coarse(Ctl),
    /// A fine-grained trap bit.
    Fine(bits::FgtBit),
    /// HCR_EL2.TIDCP on an IMPLEMENTATION DEFINED encoding (CRn 11 or 15).
    Tidcp,
}

/// The trap to EL2 that configuration `c` causes for an EL1 access to
/// `enc` in direction `read`, with its exception class, or `None`.
///
/// Order: the coarse rules of the row in the table's priority order, then
/// the fine-grained bit (both trap to EL2; the order only matters for the
/// exception class of the CPTR_EL2 rules, which the table lists first).
/// Encodings not in the table: IMPLEMENTATION DEFINED ones (CRn 11 or 15)
/// trap with HCR_EL2.TIDCP; any other is unallocated and UNDEFINED at EL1,
/// so `None`. The Arm ARM names op0 1 (SYS) and 3 (S3_*) for TIDCP; QEMU
/// also traps op0 2 with CRn 11/15, and so does this rule: for `route` the
/// extra case is harmless (such an exit exists only if the CPU trapped it,
/// and then L1, which set TIDCP, asked for it).
pub fn sysreg_trap(c: &TrapConfig, enc: Enc, read: bool) -> Option<(u8, Cause)> {
    sysreg_trap_from(c, enc, read, false)
}

/// [`sysreg_trap`] for an access from EL0 (`from_el0`) or EL1: the
/// EL1-only controls ([`Ctl::el1_only`]: HCR_EL2.NV, NV1 and the ECV EL02
/// timer traps) never trap an EL0 access.
pub fn sysreg_trap_from(
    c: &TrapConfig,
    enc: Enc,
    read: bool,
    from_el0: bool,
) -> Option<(u8, Cause)> {
    match lookup(enc) {
        Some(hit) => hit_trap_from(c, hit, read, from_el0),
        None => {
            let impdef = enc.op0() != 0 && matches!(enc.crn(), 11 | 15);
            if impdef && c.hcr & hcr::TIDCP != 0 {
                Some((ec::SYSREG, Cause::Tidcp))
            } else {
                None
            }
        }
    }
}

/// [`sysreg_trap`] for a row already looked up.
#[inline]
pub fn hit_trap(c: &TrapConfig, hit: Hit, read: bool) -> Option<(u8, Cause)> {
    hit_trap_from(c, hit, read, false)
}

/// [`sysreg_trap_from`] for a row already looked up.
#[inline]
pub fn hit_trap_from(c: &TrapConfig, hit: Hit, read: bool, from_el0: bool) -> Option<(u8, Cause)> {
    let d = hit.desc;
    if !d.kind.allows(read) {
        return None;
    }
    // FEAT_NV2 ({NV,NV2} = {1,1}): the access becomes a VNCR-page
    // load/store or an EL1-register access instead of the HCR_EL2.NV trap;
    // for the EL2 registers (op1 = 4) whatever NV1 is, for the EL12/EL02
    // aliases (op1 = 5) only with NV1 = 0 (a VHE guest hypervisor; with
    // NV1 = 1 they trap). Other traps (e.g. the ECV EL1NVPCT on the EL02
    // timers) keep priority.
    let nv_nv2 = c.hcr & hcr::NV != 0 && c.hcr & hcr::NV2 != 0;
    let nv2 = d.nv2 != Nv2::Trap && nv_nv2 && (c.hcr & hcr::NV1 == 0 || d.enc.op1() == 4);
    for &(ctl, acc) in d.coarse {
        if (nv2 && ctl == Ctl::Nv) || (from_el0 && ctl.el1_only()) {
            continue;
        }
        if acc.covers(read) && ctl.active(c) {
            return Some((ctl.ec(), Cause::Coarse(ctl)));
        }
    }
    if let Some(b) = d.fgt(read, hit.member) {
        let skip_nxs = hit.nxs && c.hcrx_eff() & hcrx::FGTNXS != 0;
        if !skip_nxs && c.fgt_active(b.reg) && b.traps(c.fgt_reg(b.reg)) {
            return Some((ec::SYSREG, Cause::Fine(b)));
        }
    }
    None
}

/// Whether the CPU in configuration `c` traps an FP/SIMD access from EL1.
fn fp_traps(c: &TrapConfig) -> bool {
    Ctl::Tfp.active(c)
}

/// Decides whether an exit with syndrome `esr`, taken to EL2 while L2 ran
/// at EL1, is one L1 asked for (`c` is L1's trap configuration as read from
/// its VNCR page). Total: every syndrome has an answer.
///
/// Rules (Arm ARM D1.x "Exceptions routed to EL2" and the trap controls of
/// [`Ctl`]):
/// - EC 0x18: the table ([`sysreg_trap`]).
/// - WFx: HCR_EL2.TWI / TWE. FP: CPTR TFP/FPEN. SVE: TZ/ZEN (or TFP). SME:
///   TSM/SMEN (or TFP). PAuth: HCR_EL2.API == 0. LS64: HCRX enables.
/// - HVC always belongs to L1 (L2's hypervisor); SMC only with HCR_EL2.TSC
///   (otherwise L0 emulates the firmware call).
/// - ERET: HCR_EL2.NV or HFGITR_EL2.ERET. SVC (only reaches EL2 through
///   FGT): HFGITR_EL2.SVC_EL1 (use [`route_from`] for EL0).
/// - Debug exceptions and BRK: MDCR_EL2.TDE.
/// - Stage-2 aborts, SErrors, IRQs and every other class: L0 (an abort may
///   still be injected into L1 after L0 walks L1's stage-2 tables; that walk
///   is not this crate's business).
pub fn route(c: &TrapConfig, esr: Esr) -> Route {
    route_from(c, esr, false)
}

/// [`route`] for an exit from EL0 (`from_el0`) or EL1: SVC, and the
/// EL1-only controls of EC 0x18 ([`sysreg_trap_from`]).
pub fn route_from(c: &TrapConfig, esr: Esr, from_el0: bool) -> Route {
    let yes = match esr.ec() {
        ec::SYSREG => match esr.sysreg_iss() {
            Some(s) => sysreg_trap_from(c, s.enc, s.read, from_el0).is_some(),
            None => false,
        },
        ec::WFX => {
            // ISS.TI [1:0]: 0 WFI, 1 WFE, 2 WFIT, 3 WFET.
            if esr.iss() & 1 == 0 {
                c.hcr & hcr::TWI != 0
            } else {
                c.hcr & hcr::TWE != 0
            }
        }
        ec::FP => fp_traps(c),
        ec::SVE => Ctl::Tz.active(c) || fp_traps(c),
        ec::SME => Ctl::Tsm.active(c) || fp_traps(c),
        ec::PAUTH => c.hcr & hcr::API == 0,
        ec::LS64 => {
            // ISS (Arm ARM D24.2.40, EC 0x0A): 0 ST64BV (HCRX_EL2.EnASR),
            // 1 ST64BV0 (EnAS0), 2 LD64B or ST64B (EnALS). The other values
            // (PSB CSYNC, TSB CSYNC: fine-grained traps, see
            // `bits::NOT_ENCODINGS`) are not routed to L1.
            let x = c.hcrx_eff();
            match esr.iss() {
                0 => x & hcrx::ENASR == 0,
                1 => x & hcrx::ENAS0 == 0,
                2 => x & hcrx::ENALS == 0,
                _ => false,
            }
        }
        ec::HVC64 | ec::HVC32 => true,
        ec::SMC64 | ec::SMC32 => c.hcr & hcr::TSC != 0,
        ec::ERET => {
            c.hcr & hcr::NV != 0
                || (c.fgt_active(FgtReg::Hfgitr) && hfgitr::ERET.traps(c.fgt_reg(FgtReg::Hfgitr)))
        }
        ec::SVC64 => {
            let b = if from_el0 {
                hfgitr::SVC_EL0
            } else {
                hfgitr::SVC_EL1
            };
            c.fgt_active(FgtReg::Hfgitr) && b.traps(c.fgt_reg(FgtReg::Hfgitr))
        }
        ec::BKPT_LOW | ec::SSTEP_LOW | ec::WPT_LOW | ec::BRK64 => c.mdcr & mdcr::TDE != 0,
        _ => false,
    };
    if yes {
        Route::ToL1
    } else {
        Route::ToL0
    }
}

/// The trap set of a CPTR_EL2 value, independent of layout.
#[derive(Clone, Copy, Default)]
struct CptrTraps {
    fp: bool,
    z: bool,
    sm: bool,
    ta: bool,
    am: bool,
    cpac: bool,
}

fn cptr_decode(c: &TrapConfig) -> CptrTraps {
    CptrTraps {
        fp: Ctl::Tfp.active(c),
        z: Ctl::Tz.active(c),
        sm: Ctl::Tsm.active(c),
        ta: Ctl::Tta.active(c),
        am: Ctl::Tam.active(c),
        cpac: Ctl::Tcpac.active(c),
    }
}

fn cptr_encode(base: u64, e2h: bool, t: CptrTraps) -> u64 {
    let mut v = base;
    if e2h {
        v &= !(cptr::FPEN | cptr::ZEN | cptr::SMEN | cptr::TTA_E2H);
        if !t.fp {
            v |= cptr::FPEN;
        }
        if !t.z {
            v |= cptr::ZEN;
        }
        if !t.sm {
            v |= cptr::SMEN;
        }
        if t.ta {
            v |= cptr::TTA_E2H;
        }
    } else {
        v &= !(cptr::TFP | cptr::TZ | cptr::TSM | cptr::TTA);
        if t.fp {
            v |= cptr::TFP;
        }
        if t.z {
            v |= cptr::TZ;
        }
        if t.sm {
            v |= cptr::TSM;
        }
        if t.ta {
            v |= cptr::TTA;
        }
    }
    if t.am {
        v |= cptr::TAM;
    }
    if t.cpac {
        v |= cptr::TCPAC;
    }
    v
}

/// Merges a two-bit "EL1 owns it when 0b11" field: any other value traps.
fn merge_owner(l0: u64, l1: u64, mask: u64) -> u64 {
    if l0 & mask != mask {
        l0 & mask
    } else {
        l1 & mask
    }
}

/// The trap configuration to run L2 with: the union of L0's own traps
/// (`l0`, which also supplies every field that is not a trap control:
/// stage 2, interrupt routing, E2H, NV2, timer event streams, HPMN...)
/// and L1's (`l1`, read from its VNCR page).
///
/// Positive trap bits are ORed, "enable" bits (trap when 0) are ANDed, the
/// fine-grained registers by their polarity ([`bits::untrapped`]), and the
/// layout-dependent CPTR_EL2/CNTHCTL_EL2 controls are decoded from each
/// side's own E2H layout and re-encoded in L0's. L1's fine-grained and
/// HCRX traps count only if L1 has the feature. MDCR_EL2.HPMN takes the
/// smaller of the two.
///
/// Exact union for every encoding except one corner: HCRX_EL2.FGTnXS is
/// one bit for all TLBI bits, so when only one side exempts the nXS forms
/// the merged value does not, and an nXS TLBI may trap although neither
/// side asked; [`route`] then sends it to L0, which performs it. Never
/// fewer traps than either side asked for.
pub fn merge(l0: &TrapConfig, l1: &TrapConfig) -> TrapConfig {
    let mut m = *l0;
    // HCR_EL2.
    m.hcr |= l1.hcr & hcr::TRAPS;
    m.hcr &= !hcr::ENABLES | (l1.hcr & hcr::ENABLES);
    // HCRX_EL2 (as L1's CPU would see it).
    let x1 = l1.hcrx_eff();
    m.hcrx |= x1 & hcrx::TRAPS;
    m.hcrx &= !hcrx::ENABLES | (x1 & hcrx::ENABLES);
    // MDCR_EL2.
    m.mdcr |= l1.mdcr & mdcr::TRAPS;
    m.mdcr = (m.mdcr & !mdcr::E2PB) | merge_owner(l0.mdcr, l1.mdcr, mdcr::E2PB);
    m.mdcr = (m.mdcr & !mdcr::E2TB) | merge_owner(l0.mdcr, l1.mdcr, mdcr::E2TB);
    let hpmn = (l0.mdcr & mdcr::HPMN).min(l1.mdcr & mdcr::HPMN);
    m.mdcr = (m.mdcr & !mdcr::HPMN) | hpmn;
    // CPTR_EL2 in L0's layout.
    let (t0, t1) = (cptr_decode(l0), cptr_decode(l1));
    let t = CptrTraps {
        fp: t0.fp || t1.fp,
        z: t0.z || t1.z,
        sm: t0.sm || t1.sm,
        ta: t0.ta || t1.ta,
        am: t0.am || t1.am,
        cpac: t0.cpac || t1.cpac,
    };
    m.cptr = cptr_encode(l0.cptr, l0.e2h(), t);
    // CNTHCTL_EL2 in L0's layout.
    let pct = Ctl::El1Pcten.active(l0) || Ctl::El1Pcten.active(l1);
    let pt = Ctl::El1Pten.active(l0) || Ctl::El1Pten.active(l1);
    let (pct_bit, pt_bit) = if l0.e2h() {
        (cnthctl::EL1PCTEN_E2H, cnthctl::EL1PTEN_E2H)
    } else {
        (cnthctl::EL1PCTEN, cnthctl::EL1PCEN)
    };
    m.cnthctl &= !(pct_bit | pt_bit);
    if !pct {
        m.cnthctl |= pct_bit;
    }
    if !pt {
        m.cnthctl |= pt_bit;
    }
    m.cnthctl |=
        l1.cnthctl & (cnthctl::EL1TVT | cnthctl::EL1TVCT | cnthctl::EL1NVPCT | cnthctl::EL1NVVCT);
    // ICH_HCR_EL2: L1's trap bits (they trap whatever HCR_EL2.IMO/FMO
    // say, see [`Ctl::IchTc`]).
    m.ich_hcr |= l1.ich_hcr & ich_hcr::TRAPS;
    // Fine-grained registers.
    for r in FgtReg::ALL {
        let l1_has = if r.is_fgt2() {
            l1.feat.fgt2
        } else {
            l1.feat.fgt
        };
        if !l1_has {
            continue;
        }
        let neg = bits::untrapped(r);
        let (a, b) = (l0.fgt_reg(r), l1.fgt_reg(r));
        m.set_fgt_reg(r, ((a | b) & !neg) | (a & b & neg));
    }
    m
}
