//! test-l2: a bare-metal EL1 guest. It runs as L0's VM (and later as an L2
//! under test-l1) and checks what its hypervisor must provide: hypercalls
//! over HVC, emulated GIC distributor MMIO, and a synchronous external abort
//! on an access to memory L0 keeps for itself. Every check prints one
//! `test-l2: ... ok|BAD` line; the run ends with `test-l2: all ok` or
//! `test-l2: FAILED n` and PSCI SYSTEM_OFF over HVC.
//!
//! With `bench` in /chosen/bootargs it runs only the micro-benchmark of
//! [`bench`] instead (as L2 under L1's QEMU/KVM, `scripts/bench-nested.sh`).
//!
//! On bare QEMU without `virtualization=on` it also runs (entered at EL1,
//! PSCI via HVC handled by QEMU): the GIC checks pass, while the vendor
//! hypercall and the L0-memory checks print BAD there, as there is no L0.
#![no_std]
#![no_main]
#![deny(clippy::undocumented_unsafe_blocks)]

mod bench;
mod exceptions;
mod fuzz;
mod hostile;
mod irq;
mod probe;

use exceptions::Caught;
use rt::psci::{fid, Conduit};

rt::entry!(main);

/// A function ID no one implements (PSCI range, unassigned).
const UNKNOWN_FID: u32 = 0x8400_00FF;
/// L0's vendor hypercall: print the exit counters (SMCCC vendor-specific
/// hypervisor service range, owner 6).
const L0_PRINT_COUNTERS: u32 = 0x8600_0001;
/// SMCCC NOT_SUPPORTED (and PSCI NOT_SUPPORTED).
const NOT_SUPPORTED: i32 = -1;

/// The GIC distributor on QEMU virt (L0 emulates it for its VM).
const GICD_BASE: usize = 0x0800_0000;
/// GICD_TYPER (Arm GICv3/v4 architecture specification, IHI 0069).
const GICD_TYPER: usize = 0x0004;
/// GICD_IPRIORITYR<n>: one byte-accessible priority per INTID from 0x400
/// (IHI 0069).
const GICD_IPRIORITYR: usize = 0x0400;
/// GICD_PIDR2: ArchRev in bits [7:4], 3 for GICv3 (IHI 0069).
const GICD_PIDR2: usize = 0xFFE8;
/// The SPI whose priority byte the test writes.
const TEST_INTID: usize = 33;
const TEST_PRIORITY: u8 = 0xa0;

/// Start of RAM on QEMU virt: L0 keeps it, so the guest must not reach it.
const L0_MEMORY: usize = 0x4000_0000;
/// ESR_EL1.EC for a data abort taken without a change in EL (Arm ARM,
/// ESR_EL1 register description).
const EC_DABT_CUR: u64 = 0x25;
/// ESR_EL1.ISS.DFSC: synchronous external abort, not on a translation table
/// walk (same description).
const DFSC_SEA: u64 = 0x10;

/// Counts failed checks and prints each verdict.
pub struct Tally {
    failed: u32,
}

impl Tally {
    pub fn verdict(&mut self, ok: bool) -> &'static str {
        if ok {
            "ok"
        } else {
            self.failed += 1;
            "BAD"
        }
    }
}

/// Sign-extends the 32-bit result of an SMC32 call (SMCCC: w0 holds it).
fn ret32(x0: u64) -> i32 {
    x0 as u32 as i32
}

/// Makes an SMCCC call over HVC; `Err` if it raised an exception instead
/// (e.g. HVC is undefined without EL2 on bare QEMU).
fn hvc(fid: u32, a1: u64) -> Result<u64, Caught> {
    exceptions::expect(|| rt::psci::call(Conduit::Hvc, fid, a1, 0, 0))
}

fn hypercalls(t: &mut Tally) {
    match hvc(fid::PSCI_VERSION, 0) {
        Ok(v) => {
            let (major, minor) = ((v >> 16) & 0xffff, v & 0xffff);
            let ok = major == 1;
            rt::println!(
                "test-l2: hvc psci_version = {major}.{minor} ({v:#x}) {}",
                t.verdict(ok)
            );
        }
        Err(e) => rt::println!(
            "test-l2: hvc psci_version -> exception {e} {}",
            t.verdict(false)
        ),
    }
    let int_calls: [(&str, u32, u64, i32); 4] = [
        (
            "psci_features(cpu_on)",
            fid::PSCI_FEATURES,
            u64::from(fid::CPU_ON),
            0,
        ),
        (
            "psci_features(unknown)",
            fid::PSCI_FEATURES,
            u64::from(UNKNOWN_FID),
            NOT_SUPPORTED,
        ),
        ("unknown_fid", UNKNOWN_FID, 0, NOT_SUPPORTED),
        ("l0_print_counters", L0_PRINT_COUNTERS, 0, 0),
    ];
    for (name, f, a1, want) in int_calls {
        match hvc(f, a1) {
            Ok(x0) => {
                let got = ret32(x0);
                rt::println!("test-l2: hvc {name} = {got} {}", t.verdict(got == want));
            }
            Err(e) => rt::println!("test-l2: hvc {name} -> exception {e} {}", t.verdict(false)),
        }
    }
}

fn gicd(t: &mut Tally) {
    let base = GICD_BASE;
    match exceptions::expect(|| probe::read32(base + GICD_PIDR2)) {
        Ok(v) => {
            let arch_rev = (v >> 4) & 0xf;
            rt::println!(
                "test-l2: mmio gicd pidr2 = {v:#x} archrev = {arch_rev} {}",
                t.verdict(arch_rev == 3)
            );
        }
        Err(e) => rt::println!(
            "test-l2: mmio gicd pidr2 -> exception {e} {}",
            t.verdict(false)
        ),
    }
    match exceptions::expect(|| probe::read32(base + GICD_TYPER)) {
        // ITLinesNumber (bits [4:0]) covers at least INTID 33 (32 * (N + 1) - 1).
        Ok(v) => rt::println!(
            "test-l2: mmio gicd typer = {v:#x} {}",
            t.verdict(v & 0x1f >= 1)
        ),
        Err(e) => rt::println!(
            "test-l2: mmio gicd typer -> exception {e} {}",
            t.verdict(false)
        ),
    }
    let prio = base + GICD_IPRIORITYR + TEST_INTID;
    let rw = exceptions::expect(|| {
        probe::write8(prio, TEST_PRIORITY);
        probe::read8(prio)
    });
    match rw {
        Ok(v) => rt::println!(
            "test-l2: mmio gicd ipriorityr[{TEST_INTID}] wrote {TEST_PRIORITY:#x} read {v:#x} {}",
            t.verdict(v == TEST_PRIORITY)
        ),
        Err(e) => rt::println!(
            "test-l2: mmio gicd ipriorityr[{TEST_INTID}] -> exception {e} {}",
            t.verdict(false)
        ),
    }
}

/// True for the synchronous external abort L0 injects for `far`.
fn is_injected_sea(e: &Caught, write: bool) -> bool {
    let iss = e.esr & 0x1ff_ffff;
    let wnr = iss & (1 << 6) != 0;
    let fnv = iss & (1 << 10) != 0;
    e.ec() == EC_DABT_CUR
        && iss & 0x3f == DFSC_SEA
        && wnr == write
        && !fnv
        && e.far == L0_MEMORY as u64
}

/// What L0 shows of the CPU: AArch64 only at EL0 and EL1
/// (ID_AA64PFR0_EL1.EL0 `[3:0]` and EL1 `[7:4]` read 1), as L0 runs no
/// AArch32 guest code.
fn id_regs(t: &mut Tally) {
    let pfr0 = rt::sysreg::read!("ID_AA64PFR0_EL1");
    let (el0, el1) = (pfr0 & 0xf, (pfr0 >> 4) & 0xf);
    rt::println!(
        "test-l2: id_aa64pfr0 el0 = {el0} el1 = {el1} (aarch64 only) {}",
        t.verdict(el0 == 1 && el1 == 1)
    );
}

/// Occurrences of each guest-triggered event in the flood check.
const FLOOD: usize = 2000;
/// Counter printouts asked for in the flood check.
const FLOOD_PRINTS: usize = 100;

/// A guest that makes L0 log as much as it can: instruction fetches and
/// loads from L0's memory and counter printouts, thousands of times. Every
/// one must still be answered; the test script checks that L0's console
/// stayed short (its lines are rate-limited).
fn flood(t: &mut Tally) {
    let mut aborts = 0;
    exceptions::quietly(|| {
        for _ in 0..FLOOD {
            if exceptions::call_at(L0_MEMORY as u64).is_err() {
                aborts += 1;
            }
            if exceptions::expect(|| probe::read64(L0_MEMORY)).is_err() {
                aborts += 1;
            }
        }
    });
    let mut answered = 0;
    for _ in 0..FLOOD_PRINTS {
        if hvc(L0_PRINT_COUNTERS, 0).is_ok_and(|x0| ret32(x0) == 0) {
            answered += 1;
        }
    }
    rt::println!(
        "test-l2: flood: {aborts} of {} aborts taken, {answered} of {FLOOD_PRINTS} counter prints answered {}",
        2 * FLOOD,
        t.verdict(aborts == 2 * FLOOD && answered == FLOOD_PRINTS)
    );
}

fn l0_memory(t: &mut Tally) {
    let read = exceptions::expect(|| probe::read64(L0_MEMORY));
    // Write back what a (wrongly successful) read returned, so that on bare
    // QEMU the DTB there stays intact.
    let value = *read.as_ref().unwrap_or(&0x5a5a_5a5a_5a5a_5a5a);
    for (what, res) in [
        ("read", read.map(|_| ())),
        (
            "write",
            exceptions::expect(|| probe::write64(L0_MEMORY, value)),
        ),
    ] {
        match res {
            Err(e) => {
                let ok = is_injected_sea(&e, what == "write");
                rt::println!(
                    "test-l2: l0-memory {what} -> abort esr={:#x} far={:#x} {}",
                    e.esr,
                    e.far,
                    t.verdict(ok)
                );
            }
            Ok(()) => rt::println!(
                "test-l2: l0-memory {what} at {L0_MEMORY:#x} -> no abort {}",
                t.verdict(false)
            ),
        }
    }
    rt::println!("test-l2: continued after the aborts");
}

/// /chosen/bootargs of the DTB at `dtb` ("" if none): the first word picks
/// a mode (`hostile PATH`).
fn bootargs(dtb: u64) -> &'static str {
    if dtb == 0 {
        return "";
    }
    // SAFETY: as in `describe_dtb`.
    match unsafe { fdt::Fdt::from_ptr(dtb as *const u8) } {
        Ok(f) => f
            .find_node("/chosen")
            .and_then(|c| c.property("bootargs"))
            .and_then(|p| p.as_str())
            .unwrap_or(""),
        Err(_) => "",
    }
}

/// Prints what the DTB in x0 gives this guest (information only).
fn describe_dtb(dtb: u64) {
    if dtb == 0 {
        rt::println!("test-l2: no dtb");
        return;
    }
    // SAFETY: the loader passes a DTB address in x0 (Linux boot protocol);
    // `from_ptr` reads its header first and then only `totalsize` bytes.
    match unsafe { fdt::Fdt::from_ptr(dtb as *const u8) } {
        Ok(f) => {
            let psci = f
                .find_node("/psci")
                .and_then(|n| n.property("method"))
                .and_then(|p| p.as_str());
            let cpus = f.find_node("/cpus").map_or(0, |n| {
                n.children().filter(|c| c.name.starts_with("cpu@")).count()
            });
            rt::print!(
                "test-l2: dtb at {dtb:#x}: psci method {}, {cpus} cpus, memory",
                psci.unwrap_or("?")
            );
            for n in f.all_nodes().filter(|n| n.name.starts_with("memory")) {
                for r in n.reg().into_iter().flatten() {
                    rt::print!(
                        " {:#x}+{:#x}",
                        r.starting_address as usize,
                        r.size.unwrap_or(0)
                    );
                }
            }
            rt::println!();
        }
        Err(e) => rt::println!("test-l2: dtb at {dtb:#x} unreadable: {e}"),
    }
}

/// `bench` mode when /chosen/bootargs asks for it: runs it and returns the
/// number of failed operations.
fn bench_mode(dtb: u64) -> Option<u32> {
    if dtb == 0 {
        return None;
    }
    // SAFETY: as in `describe_dtb`.
    let f = unsafe { fdt::Fdt::from_ptr(dtb as *const u8) }.ok()?;
    let args = f.find_node("/chosen")?.property("bootargs")?.as_str()?;
    if !args.split_ascii_whitespace().any(|w| w == "bench") {
        return None;
    }
    Some(match bench::Devices::from_fdt(&f) {
        Some(d) => bench::run(&d, bench::iters_from(args)),
        None => {
            rt::println!("bench: FAIL the DTB has no virtio,mmio or arm,gic-v3 node");
            rt::println!("bench: done FAILED 1");
            1
        }
    })
}

extern "C" fn main(dtb: u64) -> ! {
    let el = rt::current_el();
    rt::println!("test-l2: start at EL{el}");
    exceptions::install();
    if let Some(failed) = bench_mode(dtb) {
        rt::exit::exit(failed, Conduit::Hvc);
    }
    let mut t = Tally { failed: 0 };
    if el != 1 {
        rt::println!("test-l2: expected EL1 {}", t.verdict(false));
    }
    describe_dtb(dtb);
    let args = bootargs(dtb);
    let mut words = args.split_whitespace();
    if words.next() == Some("hostile") {
        hostile::run(words.next().unwrap_or("/tmp/nv-l0-escape"));
    }
    id_regs(&mut t);
    hypercalls(&mut t);
    gicd(&mut t);
    l0_memory(&mut t);
    flood(&mut t);
    irq::run(&mut t);
    fuzz::run(&mut t);
    let unexpected = exceptions::unexpected_count();
    if unexpected != 0 {
        rt::println!(
            "test-l2: {unexpected} unexpected exceptions {}",
            t.verdict(false)
        );
    }
    if t.failed == 0 {
        rt::println!("test-l2: all ok");
    } else {
        rt::println!("test-l2: FAILED {}", t.failed);
    }
    rt::exit::exit(t.failed, Conduit::Hvc);
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    rt::console::write_fmt_unlocked(format_args!("test-l2: PANIC {info}\n"));
    rt::exit::exit(101, Conduit::Hvc);
}
