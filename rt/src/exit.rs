//! Ending a QEMU run.
//!
//! Success powers off through PSCI SYSTEM_OFF (QEMU exits 0). Failure, for
//! a payload that owns the board (L0, or test-l1 at EL2 on bare QEMU), goes
//! through the pvpanic device ([`crate::pvpanic`]; QEMU runs with
//! `-device pvpanic-pci -action panic=exit-failure` and exits with status
//! 1). A guest has no such device: its failure is what its console says,
//! and it powers off like a success (a guest must never be able to choose
//! QEMU's exit status). Without pvpanic the failure path ends the run with
//! PSCI SYSTEM_RESET (with `-no-reboot` QEMU exits 0, so only the console
//! tells).
//!
//! Nothing here uses semihosting: any guest could issue those calls too.

use crate::psci::{self, Conduit};

/// Ends the QEMU run; `code` non-zero means failure (printed by the caller).
pub fn exit(code: u32, conduit: Conduit) -> ! {
    if code == 0 {
        psci::system_off(conduit);
    }
    crate::pvpanic::panicked();
    psci::system_reset(conduit);
}
