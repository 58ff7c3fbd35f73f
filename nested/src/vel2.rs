//! Virtual EL2: the rules L0 follows to give L1 an EL2 it runs at hardware
//! EL1 with HCR_EL2.{NV,NV2} (and NV1 while L1 believes E2H = 0), with
//! its VNCR page. References: Arm ARM D8.11 "Nested virtualization",
//! D1.3 "Exception entry" / "Exception return", D1.4 "Illegal return
//! events", the register descriptions of chapter D24; behaviour checked
//! against QEMU 10.0's model (see the notes in docs/nested.md).
//!
//! - Contexts ([`Ctx`]): L1 at virtual EL2 (and its EL0 when it is a VHE
//!   host, E2H = TGE = 1), or L1's guest context: anything at L1's EL1/EL0
//!   under its EL2 controls (L2 VMs, or L1's own EL1 kernel).
//! - [`eret`]: what L1's trapped ERET does.
//! - [`enter`]: exception entry into virtual EL2 (vector, PSTATE, SPSR).
//! - [`El2State`] and [`El2State::access`]: L1's EL2 registers that the
//!   hardware does not keep (they trap), or keeps in EL1 registers only
//!   while virtual EL2 runs.
//! - Register translations for an nVHE L1 (E2H = 0): its EL2 stage-1
//!   regime runs on the EL1 regime with HCR_EL2.NV1, the formats of TCR,
//!   SCTLR and CPTR translated.

use crate::vncr::VncrPage;
use arch::esr::Enc;
use arch::regs::{hcr, spsr};

/// The EL2 L0 offers L1: HCR_EL2.E2H is fixed, because under FEAT_NV2 a
/// write of HCR_EL2 goes to the VNCR page and never traps, so L0 would
/// learn of an E2H change only at the next trap, while L1 already expects
/// the new register layout (an `MSR VBAR_EL1` right after the change would
/// reach the wrong register). Arm ARM D24.2 ID_AA64MMFR4_EL1.E2H0 and
/// ID_AA64MMFR1_EL1.VH say which of the two L1 gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum E2hMode {
    /// A VHE-only EL2: E2H is RES1 (ID_AA64MMFR4_EL1.E2H0 = 0b1110, "not
    /// implemented, NV1 RES0"); the hardware runs virtual EL2 without NV1.
    Vhe,
    /// An nVHE-only EL2: no FEAT_VHE (ID_AA64MMFR1_EL1.VH = 0), so E2H is
    /// RES0; the hardware runs virtual EL2 with NV1.
    Nvhe,
}

impl E2hMode {
    /// HCR_EL2.E2H in this mode.
    pub const fn e2h(self) -> bool {
        matches!(self, E2hMode::Vhe)
    }

    /// L1's HCR_EL2 as the hardware would read it: E2H at its fixed value
    /// whatever L1 wrote.
    pub const fn fix_hcr(self, hcr_el2: u64) -> u64 {
        match self {
            E2hMode::Vhe => hcr_el2 | hcr::E2H,
            E2hMode::Nvhe => hcr_el2 & !hcr::E2H,
        }
    }

    /// The field ID_AA64MMFR4_EL1.E2H0 `[27:24]` in this mode (0 = E2H can
    /// be 0; with VH hidden that leaves only 0).
    pub const fn mmfr4_e2h0(self) -> u64 {
        match self {
            E2hMode::Vhe => 0b1110,
            E2hMode::Nvhe => 0,
        }
    }
}

/// Where a nested vCPU is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ctx {
    /// L1 at virtual EL2 (hardware EL1 with NV), or its EL0 as a VHE host.
    Vel2,
    /// L1's guest context: its EL1/EL0 under its own EL2 controls.
    Guest,
}

/// Whether L1's HCR_EL2 makes EL0 part of the EL2&0 host regime (VHE host
/// user space: {E2H, TGE} = {1, 1}).
pub const fn host_el0(l1_hcr: u64) -> bool {
    l1_hcr & (hcr::E2H | hcr::TGE) == (hcr::E2H | hcr::TGE)
}

/// What a trapped ERET from virtual EL2 does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eret {
    /// Return within L1's EL2 context (EL2h/EL2t, or EL0 of a VHE host):
    /// hardware PC and PSTATE to load, no context switch.
    Stay {
        /// Next PC.
        pc: u64,
        /// Hardware PSTATE (EL2x mapped to EL1x).
        pstate: u64,
    },
    /// Enter L1's guest context at `pc` with PSTATE `pstate` (EL1h/EL1t/EL0t).
    Guest {
        /// Next PC.
        pc: u64,
        /// PSTATE in the guest.
        pstate: u64,
    },
    /// An illegal exception return (Arm ARM D1.4.x "Illegal return events
    /// from AArch64 state"): PC from ELR, PSTATE.IL set, EL and SP kept;
    /// the next instruction takes an Illegal Execution state exception
    /// (EC 0x0E) at virtual EL2, which the hardware delivers itself.
    Illegal {
        /// Next PC (ELR).
        pc: u64,
        /// Hardware PSTATE: the current mode with IL set.
        pstate: u64,
    },
}

/// NZCV `[31:28]`, DAIF `[9:6]`: restored even by an illegal return.
const NZCV_DAIF: u64 = (0xf << 28) | spsr::DAIF;

/// Maps an EL2 mode of L1's view to the hardware EL1 mode it runs in
/// (EL2h to EL1h, EL2t to EL1t), other PSTATE bits kept.
pub const fn el2_to_hw(pstate: u64) -> u64 {
    match pstate & spsr::M {
        spsr::EL2H => (pstate & !spsr::M) | spsr::EL1H,
        spsr::EL2T => (pstate & !spsr::M) | spsr::EL1T,
        _ => pstate,
    }
}

/// The hardware EL1 mode of virtual EL2 mapped to L1's view (EL1h to
/// EL2h, EL1t to EL2t); EL0 is left alone (a VHE host's user space).
pub const fn hw_to_el2(pstate: u64) -> u64 {
    match pstate & spsr::M {
        spsr::EL1H => (pstate & !spsr::M) | spsr::EL2H,
        spsr::EL1T => (pstate & !spsr::M) | spsr::EL2T,
        _ => pstate,
    }
}

/// L1's ERET: `spsr`/`elr` are L1's SPSR_EL2/ELR_EL2 (hardware
/// SPSR_EL1/ELR_EL1), `cur` the hardware PSTATE at the trap, `l1_hcr` L1's
/// HCR_EL2 from its page.
pub fn eret(spsr_el2: u64, elr_el2: u64, cur: u64, l1_hcr: u64) -> Eret {
    let m = spsr_el2 & (spsr::M | spsr::M_AARCH32);
    let illegal = Eret::Illegal {
        pc: elr_el2,
        pstate: (cur & !NZCV_DAIF & !spsr::IL) | (spsr_el2 & NZCV_DAIF) | spsr::IL,
    };
    // AArch32 is not offered (ID_AA64PFR0_EL1.EL0/EL1 = 1); M[1] set, or
    // EL0 with SP_ELx, are reserved encodings; EL3 does not exist for L1.
    if m & spsr::M_AARCH32 != 0 || m & 0b10 != 0 || m == 0b0001 || spsr::el(m) == 3 {
        return illegal;
    }
    match spsr::el(m) {
        2 => Eret::Stay {
            pc: elr_el2,
            pstate: el2_to_hw(spsr_el2),
        },
        // EL1 is not reachable while TGE is set (D1.4, illegal return).
        1 if l1_hcr & hcr::TGE != 0 => illegal,
        1 => Eret::Guest {
            pc: elr_el2,
            pstate: spsr_el2,
        },
        _ if host_el0(l1_hcr) => Eret::Stay {
            pc: elr_el2,
            pstate: spsr_el2,
        },
        _ => Eret::Guest {
            pc: elr_el2,
            pstate: spsr_el2,
        },
    }
}

/// The kind of exception entered (the offset within a vector group).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Kind {
    /// Synchronous.
    Sync = 0x000,
    /// IRQ.
    Irq = 0x080,
    /// FIQ.
    Fiq = 0x100,
    /// SError.
    SError = 0x180,
}

/// Exception entry into virtual EL2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The new PC: L1's VBAR_EL2 plus the vector offset.
    pub pc: u64,
    /// The hardware PSTATE to run L1's handler with (EL1h, masked).
    pub pstate: u64,
    /// L1's SPSR_EL2: the interrupted PSTATE as L1 must see it.
    pub spsr: u64,
}

/// Vector group offsets (Arm ARM D1.3.x "Exception vectors").
const VEC_CUR_SP0: u64 = 0x000;
const VEC_CUR_SPX: u64 = 0x200;
const VEC_LOWER_A64: u64 = 0x400;
/// SCTLR_EL2.SPAN (E2H = 1 layout, bit 23) and DSSBS (bit 44).
const SCTLR_SPAN: u64 = 1 << 23;
const SCTLR_DSSBS: u64 = 1 << 44;
/// PSTATE.SSBS (bit 12), BTYPE (`[11:10]`), UAO (bit 23).
const PSTATE_SSBS: u64 = 1 << 12;
const PSTATE_BTYPE: u64 = 3 << 10;
const PSTATE_UAO: u64 = 1 << 23;

/// An exception of `kind` taken to virtual EL2 from `from` (a PSTATE in
/// L1's view: EL2h/EL2t from virtual EL2, EL0t of a VHE host, or the
/// guest's mode). PSTATE on entry (Arm ARM "PSTATE on exception entry to
/// EL2", as QEMU applies it): D, A, I, F set, EL2h, IL/SS/BTYPE/UAO clear,
/// SSBS from SCTLR_EL2.DSSBS, PAN set only for the EL2&0 host regime with
/// SCTLR_EL2.SPAN = 0, otherwise kept.
pub fn enter(kind: Kind, from: u64, vbar_el2: u64, sctlr_el2: u64, l1_hcr: u64) -> Entry {
    let group = match from & spsr::M {
        spsr::EL2T if from & spsr::M_AARCH32 == 0 => VEC_CUR_SP0,
        spsr::EL2H if from & spsr::M_AARCH32 == 0 => VEC_CUR_SPX,
        _ => VEC_LOWER_A64,
    };
    let mut p = (from & !(spsr::M | spsr::IL | spsr::SS | PSTATE_BTYPE | PSTATE_UAO | PSTATE_SSBS))
        | spsr::EL1H
        | spsr::DAIF;
    if sctlr_el2 & SCTLR_DSSBS != 0 {
        p |= PSTATE_SSBS;
    }
    if host_el0(l1_hcr) && sctlr_el2 & SCTLR_SPAN == 0 {
        p |= spsr::PAN;
    }
    // Only NZCV, DAIF, PAN and the other kept bits travel; M[4] is 0.
    p &= !spsr::M_AARCH32;
    Entry {
        pc: (vbar_el2 & !0x7ff) + group + kind as u64,
        pstate: p,
        spsr: from,
    }
}

// ---- L1's EL2 registers ------------------------------------------------

/// An EL1 register of the hardware, as L0 reads and writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Hw {
    Sctlr,
    Tcr,
    Ttbr0,
    Ttbr1,
    Mair,
    Amair,
    Vbar,
    Contextidr,
    Afsr0,
    Afsr1,
    Esr,
    Far,
    Elr,
    Spsr,
    /// SP_EL1.
    Sp,
    Cpacr,
    Cntkctl,
    CntpCtl,
    CntpCval,
    CntvCtl,
    CntvCval,
    /// ZCR_EL1 (FEAT_SVE; the target ignores it without SVE).
    Zcr,
}

/// The hardware EL1 registers and counter (the target; a fake in tests).
pub trait HwRegs {
    /// Reads a register.
    fn read(&self, r: Hw) -> u64;
    /// Writes a register.
    fn write(&mut self, r: Hw, v: u64);
    /// CNTPCT_EL0.
    fn now(&self) -> u64;
}

/// L1's EL2 registers L0 keeps, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
#[allow(missing_docs)]
pub enum Reg {
    Sctlr,
    Tcr,
    Ttbr0,
    Ttbr1,
    Mair,
    Amair,
    Vbar,
    Contextidr,
    Afsr0,
    Afsr1,
    Esr,
    Far,
    Elr,
    Spsr,
    /// SP_EL2.
    Sp,
    Cptr,
    Cnthctl,
    CnthpCtl,
    CnthpCval,
    CnthvCtl,
    CnthvCval,
    Actlr,
    Mdcr,
    Hacr,
    Hpfar,
    Zcr,
    /// The guest's CNTKCTL_EL1 (no VNCR slot; L1 reaches it as CNTKCTL_EL12).
    GuestCntkctl,
}

const NR_REGS: usize = Reg::GuestCntkctl as usize + 1;

/// Which hardware register holds an EL2 register while virtual EL2 runs,
/// and how (the E2H = 1 layout is the EL1 layout; for E2H = 0 the value is
/// translated).
const HW_BACKED: [(Reg, Hw); 22] = [
    (Reg::Sctlr, Hw::Sctlr),
    (Reg::Tcr, Hw::Tcr),
    (Reg::Ttbr0, Hw::Ttbr0),
    (Reg::Ttbr1, Hw::Ttbr1),
    (Reg::Mair, Hw::Mair),
    (Reg::Amair, Hw::Amair),
    (Reg::Vbar, Hw::Vbar),
    (Reg::Contextidr, Hw::Contextidr),
    (Reg::Afsr0, Hw::Afsr0),
    (Reg::Afsr1, Hw::Afsr1),
    (Reg::Esr, Hw::Esr),
    (Reg::Far, Hw::Far),
    (Reg::Elr, Hw::Elr),
    (Reg::Spsr, Hw::Spsr),
    (Reg::Sp, Hw::Sp),
    (Reg::Cptr, Hw::Cpacr),
    (Reg::Cnthctl, Hw::Cntkctl),
    (Reg::CnthpCtl, Hw::CntpCtl),
    (Reg::CnthpCval, Hw::CntpCval),
    (Reg::CnthvCtl, Hw::CntvCtl),
    (Reg::CnthvCval, Hw::CntvCval),
    (Reg::Zcr, Hw::Zcr),
];

/// CNTKCTL_EL1 fields that exist (EL0PCTEN, EL0VCTEN, EVNTEN, EVNTDIR,
/// EVNTI, EL0VTEN, EL0PTEN, EVNTIS: `[9:0]` and 17); with E2H = 1 they sit
/// at the same places in CNTHCTL_EL2 (Arm ARM D24.8 CNTHCTL_EL2).
const CNTKCTL_BITS: u64 = 0x3ff | (1 << 17);
/// CPACR_EL1 fields (TTA `[28]`, SMEN `[25:24]`, FPEN `[21:20]`, ZEN
/// `[17:16]`, E0POE `[29]`): what of CPTR_EL2 (E2H = 1) the hardware keeps.
const CPACR_BITS: u64 = (1 << 29) | (1 << 28) | (3 << 24) | (3 << 20) | (3 << 16);

/// What a trapped access from virtual EL2 needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Done; a read returns this value in the transfer register.
    Done(u64),
    /// UNDEFINED at virtual EL2 (inject an Undefined Instruction exception).
    Undef,
    /// Not a register L0 keeps here (the caller handles it: TLBI, AT, GIC
    /// status registers, ID registers...).
    Other,
}

/// ICC_SRE_EL2 as L1 reads it: SRE, DFB, DIB and Enable set (the system
/// register interface only, IHI 0069 12.2.x).
pub const ICC_SRE_EL2: u64 = 0xf;

/// L1's EL2 registers that L0 keeps.
#[derive(Clone, Debug)]
pub struct El2State {
    regs: [u64; NR_REGS],
    /// The register layout virtual EL2 runs in: HCR_EL2.E2H as L1 had it
    /// when L0 last looked (NV1 is set in hardware while it is false).
    pub e2h: bool,
    /// Whether the hardware EL1 registers hold the EL2 state now (virtual
    /// EL2 runs), so [`HW_BACKED`] registers are read there.
    pub live: bool,
    /// CNTVOFF_EL2 the hardware runs virtual EL2 with (0 for E2H = 1; L1's
    /// own for E2H = 0, where its CNTVCT reads are offset). L1's EL2
    /// virtual timer (CNTHV) compares with the physical count, the
    /// hardware EL1 virtual timer backing it with the offset count, so its
    /// CVAL is moved by this much in hardware.
    pub hw_cntvoff: u64,
}

/// Bits of TCR_EL2 (E2H = 0) that keep their place in TCR_EL1: T0SZ,
/// IRGN0, ORGN0, SH0, TG0.
const TCR_SAME: u64 = 0xffff;

/// TCR_EL2 (E2H = 0) to TCR_EL1 for running the EL2 regime on the EL1
/// regime (Arm ARM field positions; PS to IPS, TBI to TBI0, HA/HD, HPD to
/// HPD0, TCMA to TCMA0, DS; EPD1 set as the EL2 regime has no TTBR1).
pub const fn tcr_el2_to_el1(t: u64) -> u64 {
    const fn bit(t: u64, from: u32, to: u32) -> u64 {
        ((t >> from) & 1) << to
    }
    (t & TCR_SAME)
        | (((t >> 16) & 7) << 32)
        | bit(t, 20, 37)
        | bit(t, 21, 39)
        | bit(t, 22, 40)
        | bit(t, 24, 41)
        | (((t >> 25) & 0xf) << 43)
        | bit(t, 30, 57)
        | bit(t, 32, 59)
        | (1 << 23)
}

/// SCTLR_EL2 (E2H = 0) to SCTLR_EL1: the common fields keep their places;
/// SCTLR_EL1's bits at SCTLR_EL2's RES1 positions (SA0, CP15BEN, EOS,
/// nTWI, nTWE, EIS, SPAN, nTLSMD, LSMAOE) are set, which keeps the EL2
/// behaviour (no PAN change on entry, no WFx trap to EL1).
pub const fn sctlr_el2_to_el1(s: u64) -> u64 {
    const SAME: u64 = 1
        | (1 << 1)
        | (1 << 2)
        | (1 << 3)
        | (1 << 6)
        | (1 << 12)
        | (1 << 13)
        | (1 << 19)
        | (1 << 21)
        | (1 << 25)
        | (1 << 27)
        | (1 << 30)
        | (1 << 31)
        | (1 << 36)
        | (1 << 37)
        | (3 << 40)
        | (1 << 43)
        | (1 << 44);
    const EL2_RES1_AS_EL1: u64 = (1 << 4)
        | (1 << 5)
        | (1 << 11)
        | (1 << 16)
        | (1 << 18)
        | (1 << 22)
        | (1 << 23)
        | (1 << 28)
        | (1 << 29);
    (s & SAME) | EL2_RES1_AS_EL1
}

/// CPTR_EL2 (E2H = 0) to CPACR_EL1: TTA (bit 20 to 28), and FPEN/ZEN/SMEN
/// all-ones where TFP/TZ/TSM are clear.
pub const fn cptr_el2_to_cpacr(c: u64) -> u64 {
    let mut v = 0;
    if c & (1 << 20) != 0 {
        v |= 1 << 28;
    }
    if c & (1 << 10) == 0 {
        v |= 3 << 20;
    }
    if c & (1 << 8) == 0 {
        v |= 3 << 16;
    }
    if c & (1 << 12) == 0 {
        v |= 3 << 24;
    }
    v
}

/// CPTR_EL2 of an nVHE EL2 out of reset: RES1 bits 13, 9 and 7:0, no trap.
pub const CPTR_EL2_NVHE_RESET: u64 = (1 << 13) | (1 << 9) | 0xff;
/// SCTLR_EL2 out of reset (E2H = 0 RES1 bits; MMU and caches off).
pub const SCTLR_EL2_RESET: u64 = 0x30C5_0830;

impl El2State {
    /// L1's EL2 out of reset, in layout `e2h`.
    pub fn new(e2h: bool) -> Self {
        let mut regs = [0; NR_REGS];
        regs[Reg::Sctlr as usize] = SCTLR_EL2_RESET;
        regs[Reg::Cptr as usize] = if e2h { 3 << 20 } else { CPTR_EL2_NVHE_RESET };
        // The EL1 physical counter and timer open to EL1 (Arm ARM reset
        // values are UNKNOWN; Linux writes it before use).
        regs[Reg::Cnthctl as usize] = 0b11;
        El2State {
            regs,
            e2h,
            live: false,
            hw_cntvoff: 0,
        }
    }

    /// A register as L0 keeps it (see [`El2State::get`] for the live value).
    pub fn raw(&self, r: Reg) -> u64 {
        self.regs[r as usize]
    }

    fn hw_of(r: Reg) -> Option<Hw> {
        HW_BACKED.iter().find(|(e, _)| *e == r).map(|(_, h)| *h)
    }

    /// Whether the hardware holds `r` in the current layout (E2H = 1 keeps
    /// every [`HW_BACKED`] register in hardware; E2H = 0 only the
    /// redirected syndrome registers, SP_EL2 and the timers, the rest
    /// being translated copies).
    fn hw_holds(&self, r: Reg) -> bool {
        self.live
            && (self.e2h
                || matches!(
                    r,
                    Reg::Esr
                        | Reg::Far
                        | Reg::Elr
                        | Reg::Spsr
                        | Reg::Sp
                        | Reg::CnthpCtl
                        | Reg::CnthpCval
                        | Reg::CnthvCtl
                        | Reg::CnthvCval
                ))
    }

    /// The current value of `r`.
    pub fn get(&self, hw: &impl HwRegs, r: Reg) -> u64 {
        match Self::hw_of(r) {
            Some(h) if self.hw_holds(r) => {
                let v = hw.read(h);
                match r {
                    Reg::Cnthctl => (v & CNTKCTL_BITS) | (self.regs[r as usize] & !CNTKCTL_BITS),
                    Reg::Cptr => (v & CPACR_BITS) | (self.regs[r as usize] & !CPACR_BITS),
                    Reg::CnthvCval => v.wrapping_add(self.hw_cntvoff),
                    _ => v,
                }
            }
            _ => self.regs[r as usize],
        }
    }

    /// The hardware value of a [`HW_BACKED`] register for virtual EL2.
    fn hw_value(&self, r: Reg, v: u64) -> u64 {
        if r == Reg::CnthvCval {
            return v.wrapping_sub(self.hw_cntvoff);
        }
        if self.e2h {
            return v;
        }
        match r {
            Reg::Sctlr => sctlr_el2_to_el1(v),
            Reg::Tcr => tcr_el2_to_el1(v),
            // The EL2 regime has no ASID: run it with ASID 0.
            Reg::Ttbr0 => v & 0x0000_ffff_ffff_ffff,
            Reg::Cptr => cptr_el2_to_cpacr(v),
            _ => v,
        }
    }

    /// Sets `r`, in hardware too when virtual EL2 runs.
    pub fn set(&mut self, hw: &mut impl HwRegs, r: Reg, v: u64) {
        self.regs[r as usize] = v;
        if let Some(h) = Self::hw_of(r) {
            // The guest's CNTKCTL is in hardware while an nVHE L1 runs at
            // virtual EL2 (its CNTHCTL only affects EL1/EL0).
            if self.live && (r != Reg::Cnthctl || self.e2h) {
                hw.write(h, self.hw_value(r, v));
            }
        }
    }

    /// Leaving virtual EL2: the hardware-held registers back into the copies.
    pub fn save(&mut self, hw: &impl HwRegs) {
        if !self.live {
            return;
        }
        for (r, _) in HW_BACKED {
            if self.hw_holds(r) {
                self.regs[r as usize] = self.get(hw, r);
            }
        }
        self.live = false;
    }

    /// Entering virtual EL2: the copies into the hardware (translated for
    /// E2H = 0).
    pub fn load(&mut self, hw: &mut impl HwRegs) {
        for (r, h) in HW_BACKED {
            if r == Reg::Cnthctl && !self.e2h {
                continue;
            }
            hw.write(h, self.hw_value(r, self.regs[r as usize]));
        }
        self.live = true;
    }

    /// A trapped MRS (`read`) or MSR of `enc` at virtual EL2, with `val`
    /// the value written.
    pub fn access(&mut self, hw: &mut impl HwRegs, enc: Enc, read: bool, val: u64) -> Access {
        let (op0, op1, crn, crm, op2) = (enc.op0(), enc.op1(), enc.crn(), enc.crm(), enc.op2());
        let reg = match (op0, op1, crn, crm, op2) {
            (3, 4, 1, 0, 0) => Some(Reg::Sctlr),
            (3, 4, 1, 0, 1) => Some(Reg::Actlr),
            (3, 4, 1, 1, 1) => Some(Reg::Mdcr),
            (3, 4, 1, 1, 2) => Some(Reg::Cptr),
            (3, 4, 1, 1, 7) => Some(Reg::Hacr),
            (3, 4, 1, 2, 0) => Some(Reg::Zcr),
            (3, 4, 2, 0, 0) => Some(Reg::Ttbr0),
            (3, 4, 2, 0, 1) => Some(Reg::Ttbr1),
            (3, 4, 2, 0, 2) => Some(Reg::Tcr),
            (3, 4, 5, 1, 0) => Some(Reg::Afsr0),
            (3, 4, 5, 1, 1) => Some(Reg::Afsr1),
            (3, 4, 6, 0, 4) => Some(Reg::Hpfar),
            (3, 4, 10, 2, 0) => Some(Reg::Mair),
            (3, 4, 10, 3, 0) => Some(Reg::Amair),
            (3, 4, 12, 0, 0) => Some(Reg::Vbar),
            (3, 4, 13, 0, 1) => Some(Reg::Contextidr),
            (3, 4, 14, 1, 0) => Some(Reg::Cnthctl),
            (3, 4, 14, 2, 1) => Some(Reg::CnthpCtl),
            (3, 4, 14, 2, 2) => Some(Reg::CnthpCval),
            (3, 4, 14, 3, 1) => Some(Reg::CnthvCtl),
            (3, 4, 14, 3, 2) => Some(Reg::CnthvCval),
            // CNTKCTL_EL12 (E2H = 1 only: no slot, so it traps).
            (3, 5, 14, 1, 0) if self.e2h => Some(Reg::GuestCntkctl),
            _ => None,
        };
        if let Some(r) = reg {
            if read {
                return Access::Done(self.get(hw, r));
            }
            let v = match r {
                // SP and PAN-like fields have no RES constraints L0 checks;
                // VBAR's low 11 bits are RES0.
                Reg::Vbar => val & !0x7ff,
                Reg::Hpfar => val & arch::regs::hpfar::FIPA,
                _ => val,
            };
            self.set(hw, r, v);
            return Access::Done(0);
        }
        match (op0, op1, crn, crm, op2) {
            // The timer value registers: derived from CVAL and the count.
            (3, 4, 14, 2, 0) => self.tval(hw, read, val, Reg::CnthpCval, 0),
            (3, 4, 14, 3, 0) => self.tval(hw, read, val, Reg::CnthvCval, 0),
            // ICC_SRE_EL2: the system-register interface only.
            (3, 4, 12, 9, 5) => Access::Done(if read { ICC_SRE_EL2 } else { 0 }),
            // AArch32 state and the banked SPSRs: RAZ/WI (no AArch32).
            (3, 4, 4, 3, _)
            | (3, 4, 3, 0, 0)
            | (3, 4, 5, 0, 1)
            | (3, 4, 5, 3, 0)
            | (2, 4, 0, 7, 0) => Access::Done(0),
            // RVBAR_EL2 reads as 0 (no reset vector to report); RMR_EL2 RAZ/WI.
            (3, 4, 12, 0, 1) | (3, 4, 12, 0, 2) => Access::Done(0),
            // Other *_EL12/*_EL02 registers trap only while E2H = 0, where
            // they are UNDEFINED.
            (3, 5, ..) if !self.e2h => Access::Undef,
            _ => Access::Other,
        }
    }

    /// CNTP_TVAL_EL02 (`virt` false) or CNTV_TVAL_EL02 from a VHE L1: its
    /// guest's EL1 timer, whose CVAL is in the VNCR page (these two have no
    /// slot of their own and trap); the virtual timer counts the physical
    /// count `now` minus the guest's CNTVOFF_EL2 (Arm ARM D12, "The
    /// virtual counter"). Returns what a read gives.
    pub fn guest_tval(page: &mut VncrPage, virt: bool, read: bool, val: u64, now: u64) -> u64 {
        use crate::vncr::{el1, el2};
        let (slot, count) = if virt {
            (el1::CNTV_CVAL, now.wrapping_sub(page.get(el2::CNTVOFF)))
        } else {
            (el1::CNTP_CVAL, now)
        };
        if read {
            page.get(slot).wrapping_sub(count) & 0xffff_ffff
        } else {
            page.set(slot, count.wrapping_add(val as u32 as i32 as i64 as u64));
            0
        }
    }

    /// TVAL of the timer whose CVAL is `cval` (Arm ARM D12: TVAL reads as
    /// CVAL - count, truncated to 32 bits; a write sets CVAL = count +
    /// SignExtend(TVAL)). `offset` is subtracted from the physical count.
    fn tval(
        &mut self,
        hw: &mut impl HwRegs,
        read: bool,
        val: u64,
        cval: Reg,
        offset: u64,
    ) -> Access {
        let count = hw.now().wrapping_sub(offset);
        if read {
            Access::Done(self.get(hw, cval).wrapping_sub(count) & 0xffff_ffff)
        } else {
            let v = count.wrapping_add(val as u32 as i32 as i64 as u64);
            self.set(hw, cval, v);
            Access::Done(0)
        }
    }
}

#[cfg(test)]
mod tests;
