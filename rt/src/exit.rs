//! Ending a QEMU run with an exit status the test harness can read.
//!
//! Success powers off through PSCI SYSTEM_OFF (QEMU exits 0). Failure uses the
//! Arm semihosting SYS_EXIT call (QEMU must run with
//! `-semihosting-config enable=on,target=native`), whose sub-code becomes
//! QEMU's exit status. Without semihosting the failure path falls back to
//! SYSTEM_RESET, which with `-no-reboot` also ends the run.

use crate::psci::{self, Conduit};

/// Semihosting operation SYS_EXIT (Arm semihosting spec, 6.5.x).
const SYS_EXIT: u64 = 0x18;
/// ADP_Stopped_ApplicationExit reason code.
const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x20026;

/// Ends the QEMU run with status `code` (non-zero means failure).
pub fn exit(code: u32, conduit: Conduit) -> ! {
    if code == 0 {
        psci::system_off(conduit);
    }
    let block = [ADP_STOPPED_APPLICATION_EXIT, u64::from(code)];
    // SAFETY: `HLT #0xf000` is the AArch64 semihosting trap; QEMU reads the
    // two-word parameter block at x1 and exits. `block` outlives the call.
    unsafe {
        core::arch::asm!("hlt #0xf000", in("x0") SYS_EXIT, in("x1") block.as_ptr(), options(nostack));
    }
    psci::system_reset(conduit);
}
