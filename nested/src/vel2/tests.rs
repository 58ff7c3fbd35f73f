//! Host tests of the virtual-EL2 rules.

use super::*;
use std::collections::BTreeMap;

#[derive(Default)]
struct FakeHw {
    regs: BTreeMap<u8, u64>,
    now: u64,
}

fn key(h: Hw) -> u8 {
    h as u8
}

impl HwRegs for FakeHw {
    fn read(&self, r: Hw) -> u64 {
        *self.regs.get(&key(r)).unwrap_or(&0)
    }
    fn write(&mut self, r: Hw, v: u64) {
        self.regs.insert(key(r), v);
    }
    fn now(&self) -> u64 {
        self.now
    }
}

const E2H_TGE: u64 = hcr::E2H | hcr::TGE;
const NZCV: u64 = 0xf << 28;

#[test]
fn eret_targets() {
    let cur = spsr::EL1H | spsr::DAIF;
    let el2h = spsr::EL2H | NZCV;
    assert_eq!(
        eret(el2h, 0x1000, cur, hcr::E2H),
        Eret::Stay {
            pc: 0x1000,
            pstate: spsr::EL1H | NZCV
        }
    );
    assert_eq!(
        eret(spsr::EL2T, 8, cur, 0),
        Eret::Stay {
            pc: 8,
            pstate: spsr::EL1T
        }
    );
    assert_eq!(
        eret(spsr::EL1H, 0x2000, cur, hcr::E2H),
        Eret::Guest {
            pc: 0x2000,
            pstate: spsr::EL1H
        }
    );
    // A VHE host returning to its user space stays in the EL2 context.
    assert_eq!(
        eret(spsr::EL0T, 0x3000, cur, E2H_TGE),
        Eret::Stay {
            pc: 0x3000,
            pstate: spsr::EL0T
        }
    );
    assert!(matches!(
        eret(spsr::EL0T, 0, cur, hcr::E2H),
        Eret::Guest { .. }
    ));
    assert!(matches!(eret(spsr::EL0T, 0, cur, 0), Eret::Guest { .. }));
}

#[test]
fn illegal_returns_keep_the_mode_and_set_il() {
    let cur = spsr::EL1H | spsr::DAIF;
    for m in [
        0b1101,                   // EL3h
        0b1100,                   // EL3t
        0b0010,                   // reserved (M[1])
        0b0110,                   // reserved
        0b1011,                   // reserved
        0b0001,                   // EL0 with SP_ELx
        spsr::M_AARCH32,          // AArch32 User
        spsr::M_AARCH32 | 0b1010, // AArch32 Hyp
    ] {
        let r = eret(m | NZCV, 0x4000, cur, 0);
        assert_eq!(
            r,
            Eret::Illegal {
                pc: 0x4000,
                pstate: spsr::EL1H | spsr::IL | NZCV
            },
            "M = {m:#x}"
        );
    }
    // EL1 while TGE is set is illegal too.
    assert!(matches!(
        eret(spsr::EL1H, 0, cur, E2H_TGE),
        Eret::Illegal { .. }
    ));
    // DAIF comes from the SPSR even on an illegal return.
    let Eret::Illegal { pstate, .. } = eret(0b1101, 0, cur, 0) else {
        panic!()
    };
    assert_eq!(pstate & spsr::DAIF, 0);
}

#[test]
fn exception_entry() {
    let vbar = 0xffff_8000_1000_0800;
    // From virtual EL2 with SP_EL2 / SP_EL0, from a guest.
    let e = enter(Kind::Sync, spsr::EL2H | NZCV, vbar, 0, hcr::E2H);
    assert_eq!(e.pc, vbar + 0x200);
    assert_eq!(e.spsr, spsr::EL2H | NZCV);
    assert_eq!(e.pstate, spsr::EL1H | spsr::DAIF | NZCV);
    assert_eq!(enter(Kind::Irq, spsr::EL2T, vbar, 0, 0).pc, vbar + 0x080);
    assert_eq!(enter(Kind::Sync, spsr::EL1H, vbar, 0, 0).pc, vbar + 0x400);
    assert_eq!(
        enter(Kind::SError, spsr::EL0T, vbar | 0x7ff, 0, 0).pc,
        vbar + 0x580
    );
    // IL, SS are cleared; PAN set only for the EL2&0 host with SPAN = 0.
    let e = enter(
        Kind::Sync,
        spsr::EL0T | spsr::IL | spsr::SS,
        vbar,
        0,
        E2H_TGE,
    );
    assert_eq!(e.pstate & (spsr::IL | spsr::SS), 0);
    assert_ne!(e.pstate & spsr::PAN, 0);
    assert_eq!(
        enter(Kind::Sync, spsr::EL0T, vbar, 1 << 23, E2H_TGE).pstate & spsr::PAN,
        0
    );
    assert_eq!(
        enter(Kind::Sync, spsr::EL1H, vbar, 0, hcr::E2H).pstate & spsr::PAN,
        0
    );
    // SSBS follows SCTLR_EL2.DSSBS.
    assert_ne!(
        enter(Kind::Sync, spsr::EL2H, vbar, 1 << 44, 0).pstate & (1 << 12),
        0
    );
}

#[test]
fn vhe_registers_live_in_hardware() {
    let mut hw = FakeHw::default();
    let mut s = El2State::new(true);
    s.set(&mut hw, Reg::Sctlr, 0x1234);
    assert!(hw.regs.is_empty(), "not live: copies only");
    s.load(&mut hw);
    assert_eq!(hw.read(Hw::Sctlr), 0x1234);
    // L1 writes SCTLR_EL1 natively at virtual EL2 (E2H = 1): L0 sees it.
    hw.write(Hw::Sctlr, 0x5678);
    assert_eq!(s.get(&hw, Reg::Sctlr), 0x5678);
    s.save(&hw);
    hw.write(Hw::Sctlr, 0xdead);
    assert_eq!(
        s.get(&hw, Reg::Sctlr),
        0x5678,
        "saved: the guest's SCTLR is in hardware now"
    );
    s.load(&mut hw);
    assert_eq!(hw.read(Hw::Sctlr), 0x5678);
}

#[test]
fn nvhe_registers_are_translated() {
    let mut hw = FakeHw::default();
    let mut s = El2State::new(false);
    s.load(&mut hw);
    // TCR_EL2: T0SZ 25, 4K, PS = 2 (40 bits), TBI.
    s.set(
        &mut hw,
        Reg::Tcr,
        25 | (2 << 16) | (1 << 20) | (1 << 23) | (1u64 << 31),
    );
    let t = hw.read(Hw::Tcr);
    assert_eq!(t & 0x3f, 25);
    assert_eq!((t >> 32) & 7, 2, "PS -> IPS");
    assert_ne!(t & (1 << 37), 0, "TBI -> TBI0");
    assert_ne!(t & (1 << 23), 0, "EPD1: no TTBR1 in the EL2 regime");
    assert_eq!(
        s.get(&hw, Reg::Tcr) & (1 << 20),
        1 << 20,
        "L1 reads back its own format"
    );
    s.set(&mut hw, Reg::Ttbr0, 0xabcd_0000_4800_0000);
    assert_eq!(hw.read(Hw::Ttbr0), 0x4800_0000, "no ASID in the EL2 regime");
    s.set(&mut hw, Reg::Sctlr, SCTLR_EL2_RESET | 1);
    assert_eq!(hw.read(Hw::Sctlr) & 1, 1);
    assert_ne!(hw.read(Hw::Sctlr) & (1 << 23), 0, "SPAN: no PAN on entry");
    // CPTR_EL2 with TFP set: FP traps at EL2, so CPACR_EL1.FPEN = 0.
    s.set(&mut hw, Reg::Cptr, CPTR_EL2_NVHE_RESET | (1 << 10));
    assert_eq!(hw.read(Hw::Cpacr) & (3 << 20), 0);
    assert_eq!(hw.read(Hw::Cpacr) & (3 << 16), 3 << 16);
}

#[test]
fn trapped_accesses() {
    let mut hw = FakeHw::default();
    let mut s = El2State::new(true);
    s.load(&mut hw);
    let vbar = Enc::new(3, 4, 12, 0, 0);
    assert_eq!(s.access(&mut hw, vbar, false, 0x4000_07ff), Access::Done(0));
    assert_eq!(hw.read(Hw::Vbar), 0x4000_0000, "VBAR's low bits are RES0");
    assert_eq!(s.access(&mut hw, vbar, true, 0), Access::Done(0x4000_0000));
    // HPFAR has no slot: a copy L0 keeps.
    let hpfar = Enc::new(3, 4, 6, 0, 4);
    s.access(&mut hw, hpfar, false, 0x1230);
    assert_eq!(s.access(&mut hw, hpfar, true, 0), Access::Done(0x1230));
    // CNTKCTL_EL12 is the guest's, not the hardware's.
    let cntkctl12 = Enc::new(3, 5, 14, 1, 0);
    s.access(&mut hw, cntkctl12, false, 3);
    assert_eq!(s.raw(Reg::GuestCntkctl), 3);
    assert_eq!(hw.read(Hw::Cntkctl), s.raw(Reg::Cnthctl) & 0x3ff);
    // ICC_SRE_EL2, and what L0 does not keep.
    assert_eq!(
        s.access(&mut hw, Enc::new(3, 4, 12, 9, 5), true, 0),
        Access::Done(0xf)
    );
    assert_eq!(
        s.access(&mut hw, Enc::new(3, 4, 12, 11, 3), true, 0),
        Access::Other
    );
    // With E2H = 0 (an nVHE-only virtual EL2) the EL12 aliases are UNDEFINED.
    let mut s = El2State::new(false);
    s.load(&mut hw);
    assert_eq!(
        s.access(&mut hw, Enc::new(3, 5, 1, 0, 0), true, 0),
        Access::Undef
    );
    assert_eq!(s.access(&mut hw, cntkctl12, true, 0), Access::Undef);
}

#[test]
fn timers_back_onto_the_el1_timers() {
    let mut hw = FakeHw {
        now: 1_000_000,
        ..FakeHw::default()
    };
    let mut s = El2State::new(false);
    s.hw_cntvoff = 500;
    s.load(&mut hw);
    let cnthp_tval = Enc::new(3, 4, 14, 2, 0);
    s.access(&mut hw, cnthp_tval, false, 100);
    assert_eq!(hw.read(Hw::CntpCval), 1_000_100);
    assert_eq!(s.access(&mut hw, cnthp_tval, true, 0), Access::Done(100));
    // A negative TVAL.
    s.access(&mut hw, cnthp_tval, false, 0xffff_ff9c);
    assert_eq!(hw.read(Hw::CntpCval), 999_900);
    // CNTHV compares with the physical count; the hardware virtual timer
    // with the offset one.
    let cnthv_cval = Enc::new(3, 4, 14, 3, 2);
    s.access(&mut hw, cnthv_cval, false, 2_000_000);
    assert_eq!(hw.read(Hw::CntvCval), 2_000_000 - 500);
    assert_eq!(
        s.access(&mut hw, cnthv_cval, true, 0),
        Access::Done(2_000_000)
    );
    s.save(&hw);
    assert_eq!(s.raw(Reg::CnthvCval), 2_000_000);
}

#[test]
fn translations() {
    // Every TCR_EL2 field lands where TCR_EL1 has it.
    let t = tcr_el2_to_el1((1 << 21) | (1 << 22) | (1 << 24) | (0xf << 25) | (1 << 30) | (1 << 32));
    for b in [39, 40, 41, 43, 44, 45, 46, 57, 59, 23] {
        assert_ne!(t & (1 << b), 0, "bit {b}");
    }
    assert_eq!(
        cptr_el2_to_cpacr(CPTR_EL2_NVHE_RESET),
        (3 << 20) | (3 << 16) | (3 << 24)
    );
    assert_eq!(
        cptr_el2_to_cpacr(CPTR_EL2_NVHE_RESET | (1 << 20)) & (1 << 28),
        1 << 28
    );
    assert_eq!(hw_to_el2(spsr::EL1H | NZCV), spsr::EL2H | NZCV);
    assert_eq!(hw_to_el2(spsr::EL0T), spsr::EL0T);
    assert_eq!(el2_to_hw(spsr::EL2T), spsr::EL1T);
}

#[test]
fn guest_tval_from_a_vhe_l1() {
    use crate::vncr::{el1, el2};
    let mut page = VncrPage::default();
    page.set(el2::CNTVOFF, 1000);
    // CNTV_TVAL_EL02 write: CVAL = (now - CNTVOFF) + sext(tval).
    assert_eq!(El2State::guest_tval(&mut page, true, false, 0x10, 5000), 0);
    assert_eq!(page.get(el1::CNTV_CVAL), 4000 + 0x10);
    assert_eq!(El2State::guest_tval(&mut page, true, true, 0, 5004), 0xc);
    // A negative TVAL; the physical timer ignores CNTVOFF.
    El2State::guest_tval(&mut page, false, false, 0xffff_fff0, 5000);
    assert_eq!(page.get(el1::CNTP_CVAL), 5000 - 16);
    assert_eq!(
        El2State::guest_tval(&mut page, false, true, 0, 5000),
        0xffff_fff0
    );
}
