//! L1's EL2 timers (Arm ARM D12 "The Generic Timer"; the EL2 physical
//! timer CNTHP, PPI 26, and the EL2 virtual timer CNTHV, PPI 28, on QEMU
//! virt). While L1 runs at virtual EL2 they run on the hardware EL1
//! physical and virtual timers (PPIs 30 and 27), untrapped for a VHE L1,
//! and their interrupts reach L1 under its own INTIDs. While L1's guest
//! runs, the hardware timers are the guest's and L0 keeps L1's EL2 timers
//! itself, on its own EL2 timer, until they fire.

/// CNTx_CTL fields: ENABLE (0), IMASK (1), ISTATUS (2).
pub const CTL_ENABLE: u64 = 1 << 0;
/// Interrupt masked.
pub const CTL_IMASK: u64 = 1 << 1;
/// Condition met (read-only).
pub const CTL_ISTATUS: u64 = 1 << 2;

/// The timer PPIs (GIC INTIDs) of the board (from its DTB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ppis {
    /// EL1 physical timer (30 on virt).
    pub el1_phys: u32,
    /// EL1 virtual timer (27).
    pub el1_virt: u32,
    /// EL2 physical timer (26).
    pub el2_phys: u32,
    /// EL2 virtual timer (28).
    pub el2_virt: u32,
}

impl Ppis {
    /// The INTID L1 sees for the interrupt of the hardware timer behind
    /// physical PPI `p`: at virtual EL2 the EL1 timers carry L1's EL2
    /// timers; in the guest context they are the guest's own.
    pub const fn l1_intid(&self, p: u32, at_vel2: bool) -> u32 {
        if at_vel2 && p == self.el1_phys {
            self.el2_phys
        } else if at_vel2 && p == self.el1_virt {
            self.el2_virt
        } else {
            p
        }
    }
}

/// Whether a timer with `ctl`, `cval` has its condition met at `count`.
pub const fn condition(ctl: u64, cval: u64, count: u64) -> bool {
    ctl & CTL_ENABLE != 0 && count >= cval
}

/// Whether it asserts its interrupt.
pub const fn asserted(ctl: u64, cval: u64, count: u64) -> bool {
    condition(ctl, cval, count) && ctl & CTL_IMASK == 0
}

/// `ctl` with ISTATUS as the hardware would show it at `count`.
pub const fn with_istatus(ctl: u64, cval: u64, count: u64) -> u64 {
    if condition(ctl, cval, count) {
        ctl | CTL_ISTATUS
    } else {
        ctl & !CTL_ISTATUS
    }
}

/// The earliest physical count at which one of L1's EL2 timers (CTL and
/// CVAL pairs, both compared with the physical count: CNTHV has no offset)
/// asserts its interrupt, if any can.
pub fn deadline(timers: &[(u64, u64)]) -> Option<u64> {
    timers
        .iter()
        .filter(|(ctl, _)| ctl & CTL_ENABLE != 0 && ctl & CTL_IMASK == 0)
        .map(|&(_, cval)| cval)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIRT: Ppis = Ppis {
        el1_phys: 30,
        el1_virt: 27,
        el2_phys: 26,
        el2_virt: 28,
    };

    #[test]
    fn intids_follow_the_context() {
        assert_eq!(VIRT.l1_intid(30, true), 26);
        assert_eq!(VIRT.l1_intid(27, true), 28);
        assert_eq!(VIRT.l1_intid(30, false), 30);
        assert_eq!(VIRT.l1_intid(34, true), 34);
    }

    #[test]
    fn conditions_and_deadlines() {
        assert!(asserted(CTL_ENABLE, 100, 100));
        assert!(!asserted(CTL_ENABLE | CTL_IMASK, 100, 200));
        assert!(condition(CTL_ENABLE | CTL_IMASK, 100, 200));
        assert!(!condition(0, 0, 1));
        assert_eq!(with_istatus(CTL_ENABLE, 10, 5), CTL_ENABLE);
        assert_eq!(
            with_istatus(CTL_ENABLE | CTL_ISTATUS, 10, 50),
            CTL_ENABLE | CTL_ISTATUS
        );
        assert_eq!(with_istatus(CTL_ENABLE | CTL_ISTATUS, 10, 5), CTL_ENABLE);
        assert_eq!(
            deadline(&[(CTL_ENABLE, 500), (CTL_ENABLE, 300), (0, 100)]),
            Some(300)
        );
        assert_eq!(deadline(&[(CTL_ENABLE | CTL_IMASK, 1), (0, 2)]), None);
    }
}
