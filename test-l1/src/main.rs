//! test-l1: a bare-metal test hypervisor. On bare QEMU it runs at EL2 and is
//! the oracle for the differential tests; under L0 it runs at virtual EL2.
//! The test to run is picked by the first word of /chosen/bootargs.
#![no_std]
#![no_main]
#![deny(clippy::undocumented_unsafe_blocks)]

use rt::psci::Conduit;

mod at_diff;
mod el1;
mod exc;
mod fgt_diff;
mod fgt_matrix;
mod nested;

rt::entry!(main);

/// Reads /chosen/bootargs from the DTB at `dtb`, if there is one.
fn bootargs(dtb: u64) -> &'static str {
    if dtb == 0 {
        return "";
    }
    // SAFETY: the loader passed a DTB address in x0; `from_ptr` validates the header.
    match unsafe { fdt::Fdt::from_ptr(dtb as *const u8) } {
        Ok(f) => f.chosen().bootargs().unwrap_or(""),
        Err(_) => "",
    }
}

/// At EL2 on bare QEMU test-l1 owns the board: its failure channel is the
/// pvpanic device (see `rt::exit`).
fn failure_channel(dtb: u64) {
    if dtb == 0 {
        return;
    }
    // SAFETY: as in `bootargs`.
    let Ok(f) = (unsafe { fdt::Fdt::from_ptr(dtb as *const u8) }) else {
        return;
    };
    if let Some((ecam, window)) = rt::pvpanic::find(&f) {
        // SAFETY: the DTB names the ECAM and window; the MMU is off at EL2
        // (device memory) and nothing else programs the bridge.
        unsafe { rt::pvpanic::probe(ecam, window) };
    }
}

extern "C" fn main(dtb: u64) -> ! {
    let el = rt::current_el();
    rt::println!("test-l1: start at EL{el}");
    if el == 2 {
        failure_channel(dtb);
    }
    let args = bootargs(dtb);
    let code = match args.split_whitespace().next().unwrap_or("") {
        "hello" | "" => 0,
        "at-diff" => at_diff::run(args),
        "fgt-diff" => fgt_diff::run(args),
        "fgt-matrix" => fgt_matrix::run(args),
        "nested" => nested::run(args, dtb),
        other => {
            rt::println!("test-l1: unknown test '{other}'");
            2
        }
    };
    rt::println!("test-l1: done rc={code}");
    rt::exit::exit(code, if el == 2 { Conduit::Smc } else { Conduit::Hvc });
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    rt::console::write_fmt_unlocked(format_args!("test-l1: PANIC {info}\n"));
    rt::exit::exit(101, Conduit::Smc);
}
