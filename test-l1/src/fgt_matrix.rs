//! fgt-matrix: every defined bit of every trap-control register, alone on
//! top of a configuration that traps nothing, against every system-register
//! and system-instruction encoding, with QEMU deciding what traps and the
//! `fgt` crate's prediction compared with it.
//!
//! What is set comes from [`fgt::reference`], a field list independent of the
//! crate's table (checked against AARCHMRS on the host); what is executed is
//! the whole encoding space op0 = 1..3 (MRS and MSR for op0 2 and 3, SYS and
//! SYSL for op0 1; 98,304 accesses at EL1) and, at EL0, every encoding with
//! op1 = 3 (the EL0-accessible space: 6,144 accesses). Each access is one
//! instruction followed by `HVC #0` in its own slot, written once; the run
//! records whether it trapped to EL2 and the syndrome, and compares with
//! `fgt::sysreg_trap` on a `TrapConfig` holding exactly the register values
//! written (EC; for EC 0x18 the whole ISS: encoding, direction, Rt, and IL),
//! and every observed trap must `fgt::route_from` to L1.
//!
//! Configurations:
//! - the baselines (nothing trapped), with HCR_EL2.E2H = 0 and = 1 (the two
//!   CPTR_EL2/CNTHCTL_EL2 layouts);
//! - every bit of every field of HCR_EL2, HCRX_EL2, MDCR_EL2, CPTR_EL2 (both
//!   layouts), CNTHCTL_EL2 (both layouts) and ICH_HCR_EL2 flipped alone from
//!   its baseline value, each over the whole space;
//! - each fine-grained trap register with every field in its trapping
//!   polarity at once, over the whole space; then every FGT bit alone over
//!   the accesses that this group changed, the accesses the baseline
//!   implements, and the table's encodings (a fine-grained trap bit can
//!   only add a trap to EL2, so an access UNDEFINED in the baseline and with
//!   every bit of the register set cannot be reached by one bit of it);
//! - bits whose effect needs a companion, with it: HCR_EL2.NV1 and NV2 with
//!   NV (NV2 with VNCR_EL2 at a scratch page), CNTHCTL_EL2.EL1NVPCT/EL1NVVCT
//!   with NV, every ICH_HCR_EL2 bit with HCR_EL2.{IMO,FMO}, HCRX_EL2.FGTnXS
//!   with every HFGITR_EL2 bit.
//!
//! Verdicts: a predicted trap that QEMU does not take on an access it
//! UNDEFINES in the baseline too is "not implemented" (the CPU lacks the
//! register; the trap rule is not checkable here), likewise an ID-space
//! encoding FEAT_IDST reports unallocated (EC 0x18 to EL1) in the baseline,
//! and at EL0 an access EL1's own controls take first; the known QEMU 10.0
//! deviations ([`Known`]) are counted by name; anything else is a check.
//! Predictions use `fgt::sysreg_trap_from` with the access's EL.
//! Prints `fgt-matrix: N checks, N agree, N differ`.
//!
//! Args: `fgt-matrix [fast=1]`. `fast=1` (for `scripts/mutants.sh`, which
//! runs it once per mutant) keeps every configuration but runs each one,
//! after the two full baselines, only over the accesses that matter to the
//! crate's logic: the table's, those either baseline does not UNDEFINE,
//! and a sample of the IMPLEMENTATION DEFINED space (CRm, op2 = 0,0 and
//! 15,7 with CRn 11/15, for the TIDCP rule); the FGT registers' reach runs
//! are not made. About 30 times faster; the default run is unchanged.

use crate::{el1, exc};
use fgt::bits::FgtReg;
use fgt::esr::ec;
use fgt::reference::{self as arch, Field, Layout, Reg};
use fgt::{route_from, sysreg_trap_from, table, Enc, Esr, Features, Route, TrapConfig};

/// Snippet slots, 8 bytes per access.
const SNIP: u64 = 0x5900_0000;
/// The x0 each access runs with (u64 per access).
const VALS: u64 = 0x5a00_0000;
/// Per-access flags (u8 per access, see the `F_*` constants).
const FLAGS: u64 = 0x5a20_0000;
/// Index lists for the per-FGT-bit runs (one region per FGT register).
const LISTS: u64 = 0x5a40_0000;
const LIST_STRIDE: u64 = 0x8_0000;
/// The list of the `fast=1` mode (after the eleven FGT registers' lists).
const FAST_LIST: usize = 11;
/// The VNCR page (FEAT_NV2 configurations).
const VNCR_PAGE: u64 = 0x5820_0000;
/// The identity stage-2 table (HCR_EL2.VM and DC configurations).
const S2_TABLE: u64 = 0x5830_0000;

const N_EL1: usize = 2 * 0xc000;
const N_EL0: usize = 2 * 3 * 2048;
/// Accesses per configuration.
const N: usize = N_EL1 + N_EL0;

/// Not UNDEFINED in some configuration.
const F_LIVE: u8 = 1;
/// Trapped to EL2 in some configuration.
const F_TRAPPED: u8 = 2;
/// An encoding of the fgt table.
const F_TABLE: u8 = 4;
/// Not executed under some single-bit configuration.
const F_SKIPPED: u8 = 8;
/// UNDEFINED in the E2H = 0 / E2H = 1 baseline.
const F_UNDEF0: u8 = 16;
const F_UNDEF1: u8 = 32;
/// Taken to EL1 (not UNDEFINED) in the E2H = 0 / E2H = 1 baseline.
const F_EL1_0: u8 = 64;
const F_EL1_1: u8 = 128;

/// The access number `i`: encoding, direction (true = MRS/SYSL), EL0.
fn access(i: usize) -> (Enc, bool, bool) {
    if i < N_EL1 {
        (Enc(0x4000 + (i / 2) as u16), i.is_multiple_of(2), false)
    } else {
        // op0 = 1..3, op1 = 3, and (CRn, CRm, op2) in the low 11 bits.
        let k = (i - N_EL1) / 2;
        let e = Enc((((1 + k / 2048) as u16) << 14) | (3 << 11) | (k % 2048) as u16);
        (e, (i - N_EL1).is_multiple_of(2), true)
    }
}

/// The EL1 access number of `(enc, read)`.
fn el1_index(enc: Enc, read: bool) -> usize {
    2 * (enc.0 as usize - 0x4000) + usize::from(!read)
}

/// The EL0 access number of `(enc, read)`, if op1 = 3.
fn el0_index(enc: Enc, read: bool) -> Option<usize> {
    if enc.op1() != 3 || enc.op0() == 0 {
        return None;
    }
    let k = (enc.op0() as usize - 1) * 2048 + (enc.0 & 0x7ff) as usize;
    Some(N_EL1 + 2 * k + usize::from(!read))
}

// ---- Scratch memory (this helper's range, MMU off) ----------------------------

fn flags(i: usize) -> u8 {
    // SAFETY: FLAGS..FLAGS+N is this test's scratch RAM; i < N.
    unsafe { core::ptr::read_volatile((FLAGS + i as u64) as *const u8) }
}

fn set_flags(i: usize, v: u8) {
    // SAFETY: as in `flags`.
    unsafe { core::ptr::write_volatile((FLAGS + i as u64) as *mut u8, v) }
}

fn val(i: usize) -> u64 {
    // SAFETY: VALS..VALS+8N is this test's scratch RAM; i < N.
    unsafe { core::ptr::read_volatile((VALS + 8 * i as u64) as *const u64) }
}

fn set_val(i: usize, v: u64) {
    // SAFETY: as in `val`.
    unsafe { core::ptr::write_volatile((VALS + 8 * i as u64) as *mut u64, v) }
}

fn list_get(list: usize, k: usize) -> usize {
    // SAFETY: list regions are this test's scratch RAM; k < N.
    unsafe {
        core::ptr::read_volatile((LISTS + list as u64 * LIST_STRIDE + 4 * k as u64) as *const u32)
            as usize
    }
}

fn list_set(list: usize, k: usize, i: usize) {
    // SAFETY: as in `list_get`.
    unsafe {
        core::ptr::write_volatile(
            (LISTS + list as u64 * LIST_STRIDE + 4 * k as u64) as *mut u32,
            i as u32,
        )
    }
}

fn write_snippets() {
    for i in 0..N {
        let (enc, read, _) = access(i);
        let a = SNIP + 8 * i as u64;
        // SAFETY: the snippet area is this test's scratch RAM.
        unsafe {
            core::ptr::write_volatile(a as *mut u32, enc.insn(read, 0));
            core::ptr::write_volatile((a + 4) as *mut u32, el1::hvc(0));
        }
    }
    // SAFETY: cache maintenance and barriers only.
    unsafe { core::arch::asm!("dsb ish", "ic iallu", "dsb ish", "isb", options(nostack)) };
}

/// An identity stage-2 map of the first 4 GiB (1 GiB blocks: device, then
/// normal write-back RAM), so that HCR_EL2.VM/DC can be tried alone.
fn setup_stage2() {
    for g in 0..4u64 {
        let attr = if g == 0 { 0b0001 } else { 0b1111 };
        let d = (g << 30) | (1 << 10) | (3 << 8) | (3 << 6) | (attr << 2) | 0b01;
        // SAFETY: S2_TABLE is this test's scratch page.
        unsafe { core::ptr::write_volatile((S2_TABLE + 8 * g) as *mut u64, d) };
    }
    // T0SZ = 32, SL0 = 1 (level 1), WBWA inner/outer, inner shareable, 4K, PS 32 bits.
    let vtcr = 32 | (1 << 6) | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 31);
    rt::sysreg::write!("VTCR_EL2", vtcr);
    rt::sysreg::write!("VTTBR_EL2", S2_TABLE);
    rt::sysreg::write!("S3_4_C2_C2_0", VNCR_PAGE);
    rt::sysreg::isb();
}

/// EL1 state for the runs: [`el1::init`] plus the EL1 controls that let EL0
/// reach its registers (SCTLR_EL1 UCI, UCT, DZE, UMA, EnRCTX, EnTP2, TSCXT
/// clear; CNTKCTL_EL1 EL0 timer/counter access; PMUSERENR_EL0 EN/SW/CR/ER).
fn setup_el1() {
    el1::init();
    let sctlr = (0x30d0_0800u64 | (1 << 31) | (1 << 26) | (1 << 15) | (1 << 14) | (1 << 9))
        | (1 << 10)
        | (1 << 60);
    rt::sysreg::write!("SCTLR_EL1", sctlr & !(1 << 20));
    rt::sysreg::write!("CNTKCTL_EL1", 0x303);
    rt::sysreg::write!("PMUSERENR_EL0", 0xf);
    rt::sysreg::isb();
}

// ---- Configurations -------------------------------------------------------------

/// The slot of `r` in a configuration.
fn slot(c: &mut TrapConfig, r: Reg) -> &mut u64 {
    match r {
        Reg::Hcr => &mut c.hcr,
        Reg::Hcrx => &mut c.hcrx,
        Reg::Mdcr => &mut c.mdcr,
        Reg::Cptr => &mut c.cptr,
        Reg::Cnthctl => &mut c.cnthctl,
        Reg::IchHcr => &mut c.ich_hcr,
        Reg::Hfgrtr => &mut c.fgt[FgtReg::Hfgrtr as usize],
        Reg::Hfgwtr => &mut c.fgt[FgtReg::Hfgwtr as usize],
        Reg::Hfgitr => &mut c.fgt[FgtReg::Hfgitr as usize],
        Reg::Hdfgrtr => &mut c.fgt[FgtReg::Hdfgrtr as usize],
        Reg::Hdfgwtr => &mut c.fgt[FgtReg::Hdfgwtr as usize],
        Reg::Hafgrtr => &mut c.fgt[FgtReg::Hafgrtr as usize],
        Reg::Hfgrtr2 => &mut c.fgt[FgtReg::Hfgrtr2 as usize],
        Reg::Hfgwtr2 => &mut c.fgt[FgtReg::Hfgwtr2 as usize],
        Reg::Hfgitr2 => &mut c.fgt[FgtReg::Hfgitr2 as usize],
        Reg::Hdfgrtr2 => &mut c.fgt[FgtReg::Hdfgrtr2 as usize],
        Reg::Hdfgwtr2 => &mut c.fgt[FgtReg::Hdfgwtr2 as usize],
    }
}

fn get(c: &TrapConfig, r: Reg) -> u64 {
    let mut c = *c;
    *slot(&mut c, r)
}

/// A field of a layout, by name (the names are fixed in [`fgt::reference`]).
fn fld(l: &Layout, name: &str) -> Field {
    match l.field(name) {
        Some(f) => f,
        None => panic!("fgt-matrix: {} has no field {name}", l.name),
    }
}

/// Flips `f` of `l` in `c` to its trapping/changed value (all its bits).
fn flip_field(c: &mut TrapConfig, l: &Layout, f: Field) {
    *slot(c, l.reg) ^= f.mask();
}

/// Which optional registers the CPU has.
#[derive(Clone, Copy)]
struct Cpu {
    feat: Features,
    amu: bool,
    mte: bool,
    pmu_n: u64,
}

impl Cpu {
    /// Whether the CPU has register `r`.
    fn has(&self, r: Reg) -> Result<(), &'static str> {
        match r {
            Reg::Hcrx if !self.feat.hcx => Err("the CPU lacks FEAT_HCX"),
            Reg::Hafgrtr if !self.amu => {
                Err("the CPU lacks FEAT_AMUv1 (ID_AA64PFR0_EL1.AMU = 0): HAFGRTR_EL2 does not exist")
            }
            Reg::Hfgrtr2 | Reg::Hfgwtr2 | Reg::Hfgitr2 | Reg::Hdfgrtr2 | Reg::Hdfgwtr2
                if !self.feat.fgt2 =>
            {
                Err("the CPU lacks FEAT_FGT2 (ID_AA64MMFR0_EL1.FGT < 2): the register does not exist")
            }
            r if r.is_fgt() && !self.feat.fgt => Err("the CPU lacks FEAT_FGT"),
            _ => Ok(()),
        }
    }
}

/// The configuration that traps nothing, in the E2H = 0 or 1 layouts.
fn baseline(cpu: &Cpu, e2h: bool) -> TrapConfig {
    let mut c = TrapConfig::untrapped(cpu.feat);
    for l in arch::LAYOUTS {
        if l.e2h == e2h || !matches!(l.reg, Reg::Cptr | Reg::Cnthctl) {
            *slot(&mut c, l.reg) = l.untrapped();
        }
    }
    c.mdcr |= cpu.pmu_n;
    if e2h {
        c.hcr |= fld(&arch::HCR_EL2, "E2H").mask();
    }
    c
}

/// Writes every trap register except HCR_EL2 (given to each run).
fn apply(cpu: &Cpu, c: &TrapConfig) {
    if cpu.feat.hcx {
        rt::sysreg::write!("S3_4_C1_C2_2", c.hcrx);
    }
    rt::sysreg::write!("MDCR_EL2", c.mdcr);
    rt::sysreg::write!("CPTR_EL2", c.cptr);
    rt::sysreg::write!("CNTHCTL_EL2", c.cnthctl);
    rt::sysreg::write!("S3_4_C12_C11_0", c.ich_hcr);
    if cpu.feat.fgt {
        rt::sysreg::write!("S3_4_C1_C1_4", c.fgt[FgtReg::Hfgrtr as usize]);
        rt::sysreg::write!("S3_4_C1_C1_5", c.fgt[FgtReg::Hfgwtr as usize]);
        rt::sysreg::write!("S3_4_C1_C1_6", c.fgt[FgtReg::Hfgitr as usize]);
        rt::sysreg::write!("S3_4_C3_C1_4", c.fgt[FgtReg::Hdfgrtr as usize]);
        rt::sysreg::write!("S3_4_C3_C1_5", c.fgt[FgtReg::Hdfgwtr as usize]);
    }
    if cpu.feat.fgt && cpu.amu {
        rt::sysreg::write!("S3_4_C3_C1_6", c.fgt[FgtReg::Hafgrtr as usize]);
    }
    if cpu.feat.fgt2 {
        rt::sysreg::write!("S3_4_C3_C1_2", c.fgt[FgtReg::Hfgrtr2 as usize]);
        rt::sysreg::write!("S3_4_C3_C1_3", c.fgt[FgtReg::Hfgwtr2 as usize]);
        rt::sysreg::write!("S3_4_C3_C1_7", c.fgt[FgtReg::Hfgitr2 as usize]);
        rt::sysreg::write!("S3_4_C3_C1_0", c.fgt[FgtReg::Hdfgrtr2 as usize]);
        rt::sysreg::write!("S3_4_C3_C1_1", c.fgt[FgtReg::Hdfgwtr2 as usize]);
    }
    rt::sysreg::isb();
}

/// The value register `r` reads back as after [`apply`] (HCR_EL2: written
/// for two instructions and restored to `safe_hcr`).
fn read_back(cpu: &Cpu, r: Reg, c: &TrapConfig, safe_hcr: u64) -> u64 {
    match r {
        Reg::Hcr => {
            let v: u64;
            // SAFETY: HCR_EL2 holds `c.hcr` only between these instructions
            // (no memory access, interrupts masked at EL2); the test never
            // writes TGE, RW or HCD here (not tried).
            unsafe {
                core::arch::asm!(
                    "msr hcr_el2, {w}", "isb", "mrs {v}, hcr_el2", "msr hcr_el2, {s}", "isb",
                    w = in(reg) c.hcr, s = in(reg) safe_hcr, v = out(reg) v,
                    options(nostack),
                )
            };
            v
        }
        _ => {
            apply(cpu, c);
            match r {
                Reg::Hcrx => rt::sysreg::read!("S3_4_C1_C2_2"),
                Reg::Mdcr => rt::sysreg::read!("MDCR_EL2"),
                Reg::Cptr => rt::sysreg::read!("CPTR_EL2"),
                Reg::Cnthctl => rt::sysreg::read!("CNTHCTL_EL2"),
                Reg::IchHcr => rt::sysreg::read!("S3_4_C12_C11_0"),
                Reg::Hfgrtr => rt::sysreg::read!("S3_4_C1_C1_4"),
                Reg::Hfgwtr => rt::sysreg::read!("S3_4_C1_C1_5"),
                Reg::Hfgitr => rt::sysreg::read!("S3_4_C1_C1_6"),
                Reg::Hdfgrtr => rt::sysreg::read!("S3_4_C3_C1_4"),
                Reg::Hdfgwtr => rt::sysreg::read!("S3_4_C3_C1_5"),
                Reg::Hafgrtr => rt::sysreg::read!("S3_4_C3_C1_6"),
                Reg::Hfgrtr2 => rt::sysreg::read!("S3_4_C3_C1_2"),
                Reg::Hfgwtr2 => rt::sysreg::read!("S3_4_C3_C1_3"),
                Reg::Hfgitr2 => rt::sysreg::read!("S3_4_C3_C1_7"),
                Reg::Hdfgrtr2 => rt::sysreg::read!("S3_4_C3_C1_0"),
                Reg::Hdfgwtr2 => rt::sysreg::read!("S3_4_C3_C1_1"),
                Reg::Hcr => 0,
            }
        }
    }
}

// ---- Running and judging one access ----------------------------------------------

/// What one access did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Obs {
    /// Completed; x0 afterwards.
    Done(u64),
    /// UNDEFINED: EL1 took EC 0x00 at the access.
    Undef,
    /// EL1 took another exception (ESR_EL1).
    El1(u64),
    /// Trapped to EL2 (ESR_EL2).
    Trap(u64),
    /// Another EL2 vector (IRQ, FIQ, SError) or an EL2 entry from elsewhere.
    Other(u64),
}

fn run_access(i: usize, hcr: u64, safe_hcr: u64) -> Obs {
    let (enc, _, el0) = access(i);
    let a = SNIP + 8 * i as u64;
    let x0 = if enc.op0() == 1 { el1::DATA } else { val(i) };
    let spsr = if el0 { exc::SPSR_EL0T } else { exc::SPSR_EL1H };
    // SAFETY: the slot holds one access and `HVC #0`; EL1's vectors `HVC #1`
    // back; the EL2 vectors are installed (see `run`).
    let r = unsafe { exc::run_at(a, x0, el1::STACK, hcr, safe_hcr, spsr) };
    if r.kind != 8 {
        return Obs::Other(r.kind);
    }
    let ec = (r.esr >> 26) & 0x3f;
    let imm = r.esr & 0xffff;
    if ec == 0x16 && imm == 0 && r.elr == a + 8 && !el0 {
        return Obs::Done(r.x0);
    }
    if ec == 0x16 && imm == 1 && (el1::VECTORS..el1::VECTORS + 0x800).contains(&(r.elr - 4)) {
        let ec1 = r.esr_el1 >> 26;
        if el0 && ec1 == 0 && r.elr_el1 == a + 4 {
            // EL0's final HVC is UNDEFINED: the access completed.
            return Obs::Done(r.x0);
        }
        if ec1 == 0 && r.elr_el1 == a {
            return Obs::Undef;
        }
        return Obs::El1(r.esr_el1);
    }
    if ec == 0x16 {
        return Obs::Other(0x100 | imm);
    }
    Obs::Trap(r.esr)
}

/// Known places where QEMU 10.0 does not follow the Arm ARM (the crate
/// follows the Arm ARM); counted by name, never silently.
#[derive(Clone, Copy)]
enum Known {
    /// MDCR_EL2.TPMCR does not trap PMCR_EL0.
    Tpmcr = 0,
    /// HDFGRTR_EL2/HDFGWTR_EL2.PMUSERENR_EL0 does not trap PMUSERENR_EL0.
    FgtPmuserenr = 1,
    /// An EL1 access to TFSR_EL2 with HCR_EL2.{NV,NV2} = {1,1} and MTE on
    /// crashes QEMU 10.0.2 (SIGSEGV): not executed.
    Tfsr = 2,
    /// MDCR_EL2.TPM does not trap the EL0 accesses PMUSERENR_EL0.{SW,CR,ER}
    /// enable (found by this test).
    TpmEl0 = 3,
    /// HCR_EL2.NV traps accessors that do not exist: SYSL forms of the EL2
    /// system instructions (op0 = 1, op1 = 4) and MSR to the read-only EL2
    /// registers (found by this test).
    NvNoAccessor = 4,
}

const KNOWN_TEXT: [&str; 5] = [
    "QEMU 10.0 does not implement MDCR_EL2.TPMCR (Arm ARM D24.2.77: traps PMCR_EL0 at EL1/EL0): predicted trap, no trap",
    "QEMU 10.0 does not implement HDFGRTR_EL2/HDFGWTR_EL2.PMUSERENR_EL0 (bit 57): predicted trap, no trap",
    "QEMU 10.0.2 crashes (SIGSEGV) on an EL1 access to TFSR_EL2 with HCR_EL2.{NV,NV2} = {1,1} and MTE on: not executed",
    "QEMU 10.0 lets the EL0 accesses PMUSERENR_EL0.{SW,CR,ER} enable (PMSWINC writes; PMCCNTR, PMXEVCNTR, PMEVCNTR<n> reads; PMSELR) past MDCR_EL2.TPM (Arm ARM: TPM traps them to EL2): predicted trap, no trap",
    "QEMU 10.0 traps with HCR_EL2.NV accesses that have no accessor in the Arm ARM (UNDEFINED): SYSL with op0 = 1, op1 = 4 (the EL2 AT/TLBI encodings) and MSR to RVBAR_EL2, ICH_VTR/MISR/EISR/ELRSR_EL2: predicted no trap, trap",
];

/// The EL0 accesses PMUSERENR_EL0.SW, CR and ER enable (Arm ARM D24.5,
/// PMUSERENR_EL0): PMSWINC_EL0 writes; PMCCNTR_EL0, PMXEVCNTR_EL0 and
/// PMEVCNTR<n>_EL0 reads; PMSELR_EL0 reads and writes.
fn pmuserenr_enabled(enc: Enc, read: bool) -> bool {
    let (o0, o1, n, m, o2) = (enc.op0(), enc.op1(), enc.crn(), enc.crm(), enc.op2());
    if (o0, o1) != (3, 3) {
        return false;
    }
    match (n, m, o2) {
        (9, 12, 4) => !read,
        (9, 12, 5) => true,
        (9, 13, 0) | (9, 13, 2) => read,
        (14, 8..=11, _) => read && !(m == 11 && o2 == 7),
        _ => false,
    }
}

/// The read-only EL2 registers (Arm ARM D24.2, D24.9: no MSR accessor).
const EL2_READ_ONLY: [Enc; 5] = [
    Enc::new(3, 4, 12, 0, 1),
    Enc::new(3, 4, 12, 11, 1),
    Enc::new(3, 4, 12, 11, 2),
    Enc::new(3, 4, 12, 11, 3),
    Enc::new(3, 4, 12, 11, 5),
];

/// A trap QEMU takes that the Arm ARM has no accessor for.
fn known_extra_trap(c: &TrapConfig, enc: Enc, read: bool, el0: bool) -> Option<Known> {
    let nv = fld(&arch::HCR_EL2, "NV").mask();
    if el0 || c.hcr & nv == 0 {
        return None;
    }
    let sysl_el2 = enc.op0() == 1 && enc.op1() == 4 && read;
    let msr_ro = !read && EL2_READ_ONLY.contains(&enc);
    if sysl_el2 || msr_ro {
        Some(Known::NvNoAccessor)
    } else {
        None
    }
}

const PMCR_EL0: Enc = Enc::new(3, 3, 9, 12, 0);
const PMUSERENR_EL0: Enc = Enc::new(3, 3, 9, 14, 0);
const TFSR_EL2: Enc = Enc::new(3, 4, 5, 6, 0);

fn known_no_trap(c: &TrapConfig, enc: Enc, read: bool, el0: bool) -> Option<Known> {
    if enc == PMCR_EL0 && c.mdcr & fld(&arch::MDCR_EL2, "TPMCR").mask() != 0 {
        return Some(Known::Tpmcr);
    }
    if el0 && pmuserenr_enabled(enc, read) && c.mdcr & fld(&arch::MDCR_EL2, "TPM").mask() != 0 {
        return Some(Known::TpmEl0);
    }
    let pmu_r = fld(&arch::HDFGRTR_EL2, "PMUSERENR_EL0").mask();
    let pmu_w = fld(&arch::HDFGWTR_EL2, "PMUSERENR_EL0").mask();
    if enc == PMUSERENR_EL0
        && (get(c, Reg::Hdfgrtr) & pmu_r != 0 || get(c, Reg::Hdfgwtr) & pmu_w != 0)
    {
        return Some(Known::FgtPmuserenr);
    }
    None
}

/// A configuration's name for the log.
#[derive(Clone, Copy)]
struct Label {
    layout: &'static str,
    field: &'static str,
    /// Bit within a multi-bit field.
    bit: Option<u8>,
    /// Companion bits, or "every field" for a group.
    extra: &'static str,
}

impl core::fmt::Display for Label {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.layout)?;
        if !self.field.is_empty() {
            write!(f, ".{}", self.field)?;
        }
        if let Some(b) = self.bit {
            write!(f, "[{b}]")?;
        }
        if !self.extra.is_empty() {
            write!(f, " {}", self.extra)?;
        }
        Ok(())
    }
}

/// What a pass is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The first E2H = 0 baseline: also sets each write's operand from the
    /// read before it, and records the untrapped outcomes.
    Record,
    /// The E2H = 1 baseline: records the untrapped outcomes.
    Baseline,
    /// One bit alone (counts for the coverage figures).
    Single,
    /// A group or a bit with its companions.
    Other,
}

/// Which accesses a pass runs.
#[derive(Clone, Copy)]
enum Set {
    /// All of them.
    All,
    /// The index list `n` with `len` entries.
    List(usize, usize),
}

/// Totals and state.
struct Matrix {
    cpu: Cpu,
    safe_hcr: u64,
    checks: u64,
    agree: u64,
    differ: u64,
    trap_agree: u64,
    not_impl: u64,
    el0_el1_first: u64,
    known: [u64; 5],
    idst: u64,
    passes: u32,
    diff_lines: u32,
}

/// What one pass saw.
#[derive(Default)]
struct PassStats {
    run: u32,
    trapped: u32,
    predicted: u32,
    differ: u32,
    not_impl: u32,
    known: u32,
}

impl Matrix {
    /// Runs `set` under `c` and judges every access.
    fn pass(&mut self, c: &TrapConfig, label: Label, set: Set, mode: Mode) -> PassStats {
        setup_el1();
        apply(&self.cpu, c);
        let mut st = PassStats::default();
        let e2h = c.e2h();
        let (undef_f, el1_f) = if e2h {
            (F_UNDEF1, F_EL1_1)
        } else {
            (F_UNDEF0, F_EL1_0)
        };
        let nv_nv2 = fld(&arch::HCR_EL2, "NV").mask() | fld(&arch::HCR_EL2, "NV2").mask();
        let len = match set {
            Set::All => N,
            Set::List(_, n) => n,
        };
        for k in 0..len {
            let i = match set {
                Set::All => k,
                Set::List(l, _) => list_get(l, k),
            };
            let (enc, read, el0) = access(i);
            if self.cpu.mte && enc == TFSR_EL2 && c.hcr & nv_nv2 == nv_nv2 {
                self.known[Known::Tfsr as usize] += 1;
                st.known += 1;
                if mode == Mode::Single {
                    set_flags(i, flags(i) | F_SKIPPED);
                }
                continue;
            }
            let o = run_access(i, c.hcr, self.safe_hcr);
            st.run += 1;
            let mut fl = flags(i);
            if mode == Mode::Record {
                if let Obs::Done(v) = o {
                    if read && enc.op0() != 1 {
                        set_val(i + 1, v);
                    }
                } else if read && el0 && enc.op0() != 1 {
                    // EL0 cannot read it: write what EL1 read.
                    set_val(i + 1, val(el1_index(enc, false)));
                }
            }
            if matches!(mode, Mode::Record | Mode::Baseline) {
                // A baseline pass: remember what the access does untrapped.
                match o {
                    Obs::Undef => fl |= undef_f,
                    Obs::El1(_) => fl |= el1_f,
                    _ => {}
                }
            }
            if o != Obs::Undef {
                fl |= F_LIVE;
            }
            if matches!(o, Obs::Trap(_)) {
                fl |= F_TRAPPED;
                st.trapped += 1;
            }
            set_flags(i, fl);
            let pred = sysreg_trap_from(c, enc, read, el0);
            if pred.is_some() {
                st.predicted += 1;
            }
            let ok = match (pred, o) {
                (None, Obs::Trap(_)) if known_extra_trap(c, enc, read, el0).is_some() => {
                    if let Some(k) = known_extra_trap(c, enc, read, el0) {
                        self.known[k as usize] += 1;
                    }
                    st.known += 1;
                    continue;
                }
                (None, Obs::Trap(_) | Obs::Other(_)) => false,
                (None, _) => true,
                (Some((pec, _)), Obs::Trap(esr)) => {
                    let e = Esr(esr);
                    let iss_ok = pec != ec::SYSREG
                        || e.sysreg_iss()
                            .is_some_and(|s| s.enc == enc && s.read == read && s.rt == 0);
                    e.ec() == pec
                        && esr & (1 << 25) != 0
                        && iss_ok
                        && route_from(c, e, el0) == Route::ToL1
                }
                (Some(_), Obs::Other(_)) => false,
                (Some(_), _) => {
                    let known = match o {
                        Obs::Done(_) => known_no_trap(c, enc, read, el0),
                        _ => None,
                    };
                    if let Some(k) = known {
                        self.known[k as usize] += 1;
                        st.known += 1;
                        continue;
                    }
                    if o == Obs::Undef && fl & undef_f != 0 {
                        self.not_impl += 1;
                        st.not_impl += 1;
                        continue;
                    }
                    if !el0 && fl & el1_f != 0 && matches!(o, Obs::El1(e) if e >> 26 == 0x18) {
                        // FEAT_IDST: the CPU reports the ID-space encoding unallocated.
                        self.idst += 1;
                        st.not_impl += 1;
                        continue;
                    }
                    if el0 && fl & (undef_f | el1_f) != 0 && matches!(o, Obs::El1(_) | Obs::Undef) {
                        self.el0_el1_first += 1;
                        st.not_impl += 1;
                        continue;
                    }
                    false
                }
            };
            self.checks += 1;
            if ok {
                self.agree += 1;
                if pred.is_some() {
                    self.trap_agree += 1;
                }
            } else {
                self.differ += 1;
                st.differ += 1;
                if self.diff_lines < 3000 {
                    self.diff_lines += 1;
                    rt::println!(
                        "fgt-matrix: DIFF [{}] {} {} {}: predicted {}, QEMU {}",
                        label,
                        if el0 { "EL0" } else { "EL1" },
                        enc,
                        if read { "read" } else { "write" },
                        Pred(pred),
                        Seen(o)
                    );
                }
            }
        }
        self.passes += 1;
        // Back to the baseline for EL2's own work.
        apply(&self.cpu, &baseline(&self.cpu, false));
        rt::print!(
            "fgt-matrix: [{}] {} accesses, {} trapped, {} predicted, {} differ",
            label,
            st.run,
            st.trapped,
            st.predicted,
            st.differ
        );
        if st.not_impl > 0 {
            rt::print!(", {} not implemented", st.not_impl);
        }
        if st.known > 0 {
            rt::print!(", {} known QEMU deviation", st.known);
        }
        rt::println!();
        st
    }
}

struct Pred(Option<(u8, fgt::Cause)>);

impl core::fmt::Display for Pred {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            None => write!(f, "no trap"),
            Some((e, fgt::Cause::Coarse(c))) => write!(f, "trap EC {e:#x} by {}", c.name()),
            Some((e, fgt::Cause::Fine(b))) => {
                write!(f, "trap EC {e:#x} by {}.{}", b.reg.name(), b.name)
            }
            Some((e, fgt::Cause::Tidcp)) => write!(f, "trap EC {e:#x} by HCR_EL2.TIDCP"),
        }
    }
}

/// The accesses a coarse bit runs over, for the summary.
struct Over(Set);

impl core::fmt::Display for Over {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Set::All => write!(f, "all {N} accesses"),
            Set::List(_, n) => write!(f, "the {n} accesses of the fast list"),
        }
    }
}

struct Seen(Obs);

impl core::fmt::Display for Seen {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Obs::Done(_) => write!(f, "no trap"),
            Obs::Undef => write!(f, "UNDEFINED"),
            Obs::El1(e) => write!(f, "taken to EL1, ESR_EL1 {e:#x}"),
            Obs::Trap(e) => write!(f, "trap, ESR_EL2 {e:#x}"),
            Obs::Other(k) => write!(f, "other EL2 entry {k:#x}"),
        }
    }
}

// ---- What is tried ---------------------------------------------------------------

/// Bits not tried whatever the CPU, with the reason.
fn unsafe_bit(l: &Layout, f: Field, bit: u8, cpu: &Cpu) -> Option<&'static str> {
    match (l.reg, f.name) {
        (Reg::Hcr, "TGE") => Some(
            "an exception return to EL1 with HCR_EL2.TGE = 1 is illegal, so EL1 cannot run (fgt models guests run with TGE = 0)",
        ),
        (Reg::Hcr, "RW") => Some("RW = 0 makes EL1 AArch32; the accesses are A64 instructions"),
        (Reg::Hcr, "HCD") => Some("HCD = 1 makes HVC UNDEFINED, and this test returns to EL2 with HVC"),
        (Reg::Mdcr, "HPMN") if (cpu.pmu_n ^ (1 << bit)) > cpu.pmu_n => {
            Some("the flip makes MDCR_EL2.HPMN > PMCR_EL0.N: CONSTRAINED UNPREDICTABLE")
        }
        _ => None,
    }
}

/// A configuration with a bit and its companions.
struct Composite {
    layout: &'static Layout,
    field: &'static str,
    /// Companion fields (flipped from the baseline).
    with: &'static [(&'static Layout, &'static str)],
    label: &'static str,
}

const NV: (&Layout, &str) = (&arch::HCR_EL2, "NV");
const NV2: (&Layout, &str) = (&arch::HCR_EL2, "NV2");
const IMO: (&Layout, &str) = (&arch::HCR_EL2, "IMO");
const FMO: (&Layout, &str) = (&arch::HCR_EL2, "FMO");

const COMPOSITES: &[Composite] = &[
    Composite {
        layout: &arch::HCR_EL2,
        field: "NV1",
        with: &[NV],
        label: "+NV",
    },
    Composite {
        layout: &arch::HCR_EL2,
        field: "NV2",
        with: &[NV],
        label: "+NV (VNCR_EL2 at a scratch page)",
    },
    Composite {
        layout: &arch::HCR_EL2,
        field: "NV1",
        with: &[NV, NV2],
        label: "+NV+NV2",
    },
    Composite {
        layout: &arch::CNTHCTL_EL2_E2H0,
        field: "EL1NVPCT",
        with: &[NV],
        label: "+HCR_EL2.NV",
    },
    Composite {
        layout: &arch::CNTHCTL_EL2_E2H0,
        field: "EL1NVVCT",
        with: &[NV],
        label: "+HCR_EL2.NV",
    },
    Composite {
        layout: &arch::CNTHCTL_EL2_E2H1,
        field: "EL1NVPCT",
        with: &[NV],
        label: "+HCR_EL2.NV",
    },
    Composite {
        layout: &arch::CNTHCTL_EL2_E2H1,
        field: "EL1NVVCT",
        with: &[NV],
        label: "+HCR_EL2.NV",
    },
];

/// Index of an FGT register's list region.
fn fgt_list(r: Reg) -> usize {
    match r {
        Reg::Hfgrtr => 0,
        Reg::Hfgwtr => 1,
        Reg::Hfgitr => 2,
        Reg::Hdfgrtr => 3,
        Reg::Hdfgwtr => 4,
        Reg::Hafgrtr => 5,
        Reg::Hfgrtr2 => 6,
        Reg::Hfgwtr2 => 7,
        Reg::Hfgitr2 => 8,
        Reg::Hdfgrtr2 => 9,
        _ => 10,
    }
}

/// Runs every access under the FGT group configuration `g` and writes to
/// list `list` those it changes from the E2H = 0 baseline, those the
/// baseline does not UNDEFINE, and the table's; returns the list length.
fn reach(m: &Matrix, g: &TrapConfig, list: usize) -> usize {
    setup_el1();
    apply(&m.cpu, g);
    let mut len = 0;
    for i in 0..N {
        let o = run_access(i, g.hcr, m.safe_hcr);
        let fl = flags(i);
        let base_undef = fl & F_UNDEF0 != 0;
        let changed = match o {
            Obs::Undef => !base_undef,
            Obs::El1(_) => fl & F_EL1_0 == 0,
            Obs::Done(_) => base_undef || fl & F_EL1_0 != 0,
            Obs::Trap(_) | Obs::Other(_) => true,
        };
        if changed || !base_undef || fl & F_TABLE != 0 {
            list_set(list, len, i);
            len += 1;
        }
    }
    apply(&m.cpu, &baseline(&m.cpu, false));
    len
}

/// Writes the `fast=1` access list (see the module docs) after the two
/// baselines; returns its length.
fn fast_list() -> usize {
    let mut len = 0;
    for i in 0..N {
        let (enc, _, _) = access(i);
        let impdef_sample =
            matches!(enc.crn(), 11 | 15) && matches!((enc.crm(), enc.op2()), (0, 0) | (15, 7));
        if flags(i) & (F_TABLE | F_LIVE) != 0 || impdef_sample {
            list_set(FAST_LIST, len, i);
            len += 1;
        }
    }
    len
}

/// `key=N` from the bootargs, if present.
fn arg(args: &str, key: &str) -> Option<u64> {
    args.split_whitespace().find_map(|w| {
        w.strip_prefix(key)
            .and_then(|r| r.strip_prefix('='))
            .and_then(|v| v.parse().ok())
    })
}

/// Runs the test; returns the exit code (0 = pass).
pub fn run(args: &str) -> u32 {
    let fast = arg(args, "fast") == Some(1);
    if rt::current_el() != 2 {
        rt::println!("fgt-matrix: needs EL2 (bare QEMU)");
        return 1;
    }
    let t0 = rt::sysreg::read!("CNTPCT_EL0");
    let freq = rt::sysreg::read!("CNTFRQ_EL0").max(1);
    let mmfr0 = rt::sysreg::read!("ID_AA64MMFR0_EL1");
    let mmfr1 = rt::sysreg::read!("ID_AA64MMFR1_EL1");
    let pfr0 = rt::sysreg::read!("ID_AA64PFR0_EL1");
    let pfr1 = rt::sysreg::read!("ID_AA64PFR1_EL1");
    let fgt_v = (mmfr0 >> 56) & 0xf;
    let cpu = Cpu {
        feat: Features {
            fgt: fgt_v >= 1,
            fgt2: fgt_v >= 2,
            hcx: (mmfr1 >> 40) & 0xf != 0,
        },
        amu: (pfr0 >> 44) & 0xf != 0,
        mte: (pfr1 >> 8) & 0xf >= 2,
        pmu_n: (rt::sysreg::read!("PMCR_EL0") >> 11) & 0x1f,
    };
    rt::println!(
        "fgt-matrix: FGT={fgt_v} HCX={} AMU={} MTE={} PMCR_EL0.N={}",
        u8::from(cpu.feat.hcx),
        u8::from(cpu.amu),
        (pfr1 >> 8) & 0xf,
        cpu.pmu_n
    );
    if !cpu.feat.fgt {
        rt::println!("fgt-matrix: this CPU lacks FEAT_FGT");
        return 1;
    }
    let b0 = baseline(&cpu, false);
    let b1 = baseline(&cpu, true);
    let mut m = Matrix {
        cpu,
        safe_hcr: b0.hcr,
        checks: 0,
        agree: 0,
        differ: 0,
        trap_agree: 0,
        not_impl: 0,
        el0_el1_first: 0,
        known: [0; 5],
        idst: 0,
        passes: 0,
        diff_lines: 0,
    };
    crate::exc::install_el2_vectors();
    setup_stage2();
    setup_el1();
    write_snippets();
    for i in 0..N {
        set_flags(i, 0);
        set_val(i, 0);
    }
    table::for_each_encoding(|enc, _| {
        for read in [true, false] {
            let i = el1_index(enc, read);
            set_flags(i, flags(i) | F_TABLE);
            if let Some(j) = el0_index(enc, read) {
                set_flags(j, flags(j) | F_TABLE);
            }
        }
    });

    let none = |layout| Label {
        layout,
        field: "",
        bit: None,
        extra: "",
    };
    m.pass(&b0, none("baseline (E2H=0)"), Set::All, Mode::Record);
    m.pass(&b1, none("baseline (E2H=1)"), Set::All, Mode::Baseline);
    // The set every other configuration runs over: all, or the fast list.
    let every = if fast {
        let len = fast_list();
        rt::println!(
            "fgt-matrix: fast mode: each configuration runs over {len} of the {N} accesses (the table's, those a baseline implements, an IMPLEMENTATION DEFINED sample)"
        );
        Set::List(FAST_LIST, len)
    } else {
        Set::All
    };

    // Bits not tried, by reason.
    let mut not_tried = 0u32;
    let mut tried = 0u32;
    let mut listed = 0u32;
    let mut coarse_bits = 0u32;
    let mut fgt_bits = 0u32;
    let mut fgt_skipped_accesses = 0u64;

    for l in arch::LAYOUTS {
        let base = if l.e2h { b1 } else { b0 };
        let nbits: u32 = l.fields.iter().map(|f| u32::from(f.width)).sum();
        listed += nbits;
        if let Err(why) = cpu.has(l.reg) {
            rt::println!("fgt-matrix: not tried: {} ({} bits): {why}", l.name, nbits);
            not_tried += nbits;
            continue;
        }
        // FGT registers: every field at once first; that run decides which
        // accesses the single bits run over (those it changes, those the
        // baseline implements, the table's), then it is judged on them.
        let mut set = every;
        if l.reg.is_fgt() {
            let mut g = base;
            for f in l.fields {
                flip_field(&mut g, l, *f);
            }
            let label = Label {
                layout: l.name,
                field: "",
                bit: None,
                extra: "every field at once",
            };
            if fast {
                m.pass(&g, label, set, Mode::Other);
            } else {
                let list = fgt_list(l.reg);
                let len = reach(&m, &g, list);
                set = Set::List(list, len);
                m.pass(&g, label, set, Mode::Other);
                rt::println!(
                    "fgt-matrix: {}: each bit alone runs over {} accesses; the other {} are UNDEFINED in the baseline and with every field of the register set, and not in the table (an FGT bit only adds traps)",
                    l.name,
                    len,
                    N - len
                );
            }
        }
        for f in l.fields {
            for bit in 0..f.width {
                let mut c = base;
                *slot(&mut c, l.reg) ^= 1u64 << (f.lo + bit);
                let label = Label {
                    layout: l.name,
                    field: f.name,
                    bit: if f.width > 1 { Some(bit) } else { None },
                    extra: "",
                };
                if let Some(why) = unsafe_bit(l, *f, bit, &cpu) {
                    rt::println!("fgt-matrix: not tried: {label}: {why}");
                    not_tried += 1;
                    continue;
                }
                let rb0 = read_back(&cpu, l.reg, &base, m.safe_hcr);
                let rb1 = read_back(&cpu, l.reg, &c, m.safe_hcr);
                apply(&cpu, &b0);
                if (rb0 ^ rb1) & (1u64 << (f.lo + bit)) == 0 {
                    rt::println!(
                        "fgt-matrix: not tried: {label}: the bit reads back unchanged ({} = {rb1:#x}): the CPU does not implement it",
                        l.name
                    );
                    not_tried += 1;
                    continue;
                }
                tried += 1;
                if l.reg.is_fgt() {
                    fgt_bits += 1;
                    if let Set::List(_, n) = set {
                        fgt_skipped_accesses += (N - n) as u64;
                    }
                } else {
                    coarse_bits += 1;
                }
                m.pass(&c, label, set, Mode::Single);
            }
        }
    }

    // Composites: a bit with the companion it needs.
    let mut composites = 0u32;
    let mut run_composite = |m: &mut Matrix, c: TrapConfig, label: Label| {
        composites += 1;
        m.pass(&c, label, every, Mode::Other);
    };
    for k in COMPOSITES {
        let mut c = if k.layout.e2h { b1 } else { b0 };
        flip_field(&mut c, k.layout, fld(k.layout, k.field));
        for &(l, f) in k.with {
            flip_field(&mut c, l, fld(l, f));
        }
        let label = Label {
            layout: k.layout.name,
            field: k.field,
            bit: None,
            extra: k.label,
        };
        run_composite(&mut m, c, label);
    }
    for f in arch::ICH_HCR_EL2.fields {
        for bit in 0..f.width {
            let mut c = b0;
            c.ich_hcr ^= 1u64 << (f.lo + bit);
            for (l, n) in [IMO, FMO] {
                flip_field(&mut c, l, fld(l, n));
            }
            let label = Label {
                layout: "ICH_HCR_EL2",
                field: f.name,
                bit: if f.width > 1 { Some(bit) } else { None },
                extra: "+HCR_EL2.IMO+FMO",
            };
            run_composite(&mut m, c, label);
        }
    }
    {
        let mut c = b0;
        flip_field(&mut c, &arch::HCRX_EL2, fld(&arch::HCRX_EL2, "FGTnXS"));
        for f in arch::HFGITR_EL2.fields {
            flip_field(&mut c, &arch::HFGITR_EL2, *f);
        }
        let label = Label {
            layout: "HCRX_EL2",
            field: "FGTnXS",
            bit: None,
            extra: "+every HFGITR_EL2 field",
        };
        run_composite(&mut m, c, label);
    }

    // ---- Summary -----------------------------------------------------------------
    rt::println!(
        "fgt-matrix: bits: {listed} defined in {} register layouts, {tried} tried alone ({coarse_bits} coarse over {}, {fgt_bits} fine-grained), {not_tried} not tried (listed above with the reason); {composites} bits also tried with a companion; {} configurations run",
        arch::LAYOUTS.len(),
        Over(every),
        m.passes
    );
    rt::println!(
        "fgt-matrix: not tried: EL0 accesses of encodings with op1 != 3 ({} of them): the encoding scheme gives EL0 access only to op1 = 3; {} (FGT bit, access) pairs outside each FGT register's reach (above)",
        2 * 3 * (16384 - 2048),
        fgt_skipped_accesses
    );
    for (k, text) in KNOWN_TEXT.iter().enumerate() {
        rt::println!(
            "fgt-matrix: known QEMU deviation: {} checks: {text}",
            m.known[k]
        );
    }
    rt::println!(
        "fgt-matrix: not checkable: {} predicted traps on accesses the CPU does not implement (UNDEFINED untrapped too), {} on ID-space encodings it reports unallocated (FEAT_IDST: EC 0x18 to EL1 untrapped too), {} at EL0 where EL1's own control takes the access first",
        m.not_impl,
        m.idst,
        m.el0_el1_first
    );
    // The table's encodings.
    let mut total = 0u32;
    let mut exercised = 0u32;
    let mut live = 0u32;
    let mut trapped = 0u32;
    let mut last: *const table::Desc = core::ptr::null();
    let mut row_absent = 0u32;
    let mut row_name = "";
    let flush = |name: &str, n: u32| {
        if n > 0 {
            rt::println!("fgt-matrix: table row not implemented by this CPU (UNDEFINED in every configuration): {name} ({n} encodings)");
        }
    };
    table::for_each_encoding(|enc, hit| {
        if !core::ptr::eq(last, hit.desc) {
            flush(row_name, row_absent);
            last = hit.desc;
            row_name = hit.desc.name;
            row_absent = 0;
        }
        total += 1;
        let mut f = flags(el1_index(enc, true)) | flags(el1_index(enc, false));
        if let Some(j) = el0_index(enc, true) {
            f |= flags(j) | flags(j + 1);
        }
        if f & F_SKIPPED == 0 {
            exercised += 1;
        }
        if f & F_LIVE != 0 {
            live += 1;
        } else {
            row_absent += 1;
        }
        if f & F_TRAPPED != 0 {
            trapped += 1;
        }
    });
    flush(row_name, row_absent);
    rt::println!(
        "fgt-matrix: table: {exercised} of {total} encodings exercised under every bit tried ({}.{}%); {live} not UNDEFINED in some configuration, {trapped} trapped to EL2 by some configuration, {} UNDEFINED in every one (rows above)",
        exercised * 100 / total.max(1),
        (exercised * 1000 / total.max(1)) % 10,
        total - live
    );
    let t1 = rt::sysreg::read!("CNTPCT_EL0");
    rt::println!("fgt-matrix: {} s", (t1 - t0) / freq);
    rt::println!(
        "fgt-matrix: {} trap checks (fgt predicts a trap and QEMU takes it, with that syndrome)",
        m.trap_agree
    );
    rt::println!(
        "fgt-matrix: {} checks, {} agree, {} differ",
        m.checks,
        m.agree,
        m.differ
    );
    u32::from(m.differ != 0 || m.checks == 0)
}
