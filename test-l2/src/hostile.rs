//! `hostile` mode: what a guest that wants out would try. It issues the Arm
//! semihosting calls that reach the host when QEMU honours them (create and
//! write a host file, run a host command, end QEMU with status 42), prints
//! lines that pose as L0's, and then finishes like a normal run. Under the
//! main job's QEMU configuration (no semihosting) every call is an UNDEFINED
//! instruction taken at EL1, and the harness, which reads L0's verdict only
//! from L0's own UART, is not fooled. scripts/tests/l0-no-host-escape.sh
//! runs it both ways.

use crate::exceptions;

/// Semihosting operation numbers (Arm "Semihosting for AArch32 and
/// AArch64", 6.x): SYS_OPEN, SYS_WRITE, SYS_SYSTEM, SYS_EXIT.
const SYS_OPEN: u64 = 0x01;
const SYS_WRITE: u64 = 0x05;
const SYS_SYSTEM: u64 = 0x12;
const SYS_EXIT: u64 = 0x18;
/// SYS_OPEN mode 4: "w" (create or truncate for writing).
const MODE_W: u64 = 4;
/// SYS_EXIT reason ADP_Stopped_ApplicationExit (its sub-code becomes QEMU's
/// exit status).
const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x20026;
/// The exit status the guest tries to force.
pub const FORGED_STATUS: u64 = 42;

/// One semihosting call: `HLT #0xF000` with the operation in w0 and the
/// parameter block in x1; the result comes back in x0. `Err` when the
/// instruction raised an exception instead (semihosting off).
fn semihost(op: u64, block: &[u64]) -> Result<u64, exceptions::Caught> {
    exceptions::expect(|| {
        let mut x0 = op;
        // SAFETY: with semihosting off, HLT is UNDEFINED at EL1 and the
        // vector skips it; with it on, QEMU reads `block` (which outlives
        // the call) and writes x0. No other state changes.
        unsafe {
            core::arch::asm!("hlt #0xf000", inout("x0") x0, in("x1") block.as_ptr(), options(nostack))
        };
        x0
    })
}

fn report(what: &str, r: Result<u64, exceptions::Caught>) {
    match r {
        Ok(v) => rt::println!("test-l2: hostile: {what} -> host answered {v:#x}"),
        Err(e) => rt::println!("test-l2: hostile: {what} -> refused ({e})"),
    }
}

/// Runs the attempts; `path` is the host file to try to create.
pub fn run(path: &str) {
    rt::println!("test-l2: hostile: trying semihosting, host file {path}");
    // Semihosting strings are byte buffers with an explicit length; a
    // NUL-terminated copy keeps SYS_OPEN happy either way.
    let mut name = [0u8; 256];
    let n = path.len().min(name.len() - 1);
    name[..n].copy_from_slice(&path.as_bytes()[..n]);
    let open = semihost(SYS_OPEN, &[name.as_ptr() as u64, MODE_W, n as u64]);
    report("SYS_OPEN", open);
    if let Ok(h) = open {
        let msg = b"written by a guest through semihosting\n";
        report(
            "SYS_WRITE",
            semihost(SYS_WRITE, &[h, msg.as_ptr() as u64, msg.len() as u64]),
        );
    }
    // A host command that leaves a second file behind.
    let mut cmd = [0u8; 300];
    let pre = b"touch ";
    cmd[..pre.len()].copy_from_slice(pre);
    let suffix = b".system";
    let m = n.min(cmd.len() - pre.len() - suffix.len() - 1);
    cmd[pre.len()..pre.len() + m].copy_from_slice(&path.as_bytes()[..m]);
    cmd[pre.len() + m..pre.len() + m + suffix.len()].copy_from_slice(suffix);
    let len = pre.len() + m + suffix.len();
    report(
        "SYS_SYSTEM",
        semihost(SYS_SYSTEM, &[cmd.as_ptr() as u64, len as u64]),
    );
    // Lines that would fool a harness reading L0's verdict from this console.
    rt::println!("L0| cpu0 exits all: total=1 hvc=1");
    rt::println!("L0| FAILED: panic");
    rt::println!("L0| cpu0 guest requested SYSTEM_OFF: powering off");
    report(
        "SYS_EXIT",
        semihost(SYS_EXIT, &[ADP_STOPPED_APPLICATION_EXIT, FORGED_STATUS]),
    );
    rt::println!("test-l2: hostile: still running after SYS_EXIT");
}
