//! L0: a nested-virtualization-first hypervisor for AArch64, entered at EL2
//! by QEMU as an arm64 `Image` with the DTB address in x0.
//!
//! Boot: MMU and vectors on, learn the machine from the DTB, keep the first
//! `mm::L0_RESERVED` bytes of RAM, set up the GIC, build the guest (stage 2,
//! DTB, images) and run vCPU 0. Other vCPUs start through the guest's PSCI.
#![no_std]
#![no_main]
#![deny(clippy::undocumented_unsafe_blocks)]

extern crate alloc;

mod dt;
mod exits;
mod gic;
mod inject;
mod irq;
mod logger;
mod mm;
mod mmio;
mod nv;
mod percpu;
mod psci;
mod shadow;
mod smp;
mod switch;
mod sysreg;
mod vcpu;
mod vm;

use core::fmt;

rt::entry!(primary_main);

/// The first 512 GiB of physical address space is mapped at EL2 (the virt
/// board's RAM starts at 1 GiB).
const EL2_MAP_END: u64 = 512 << 30;
/// Flattened devicetree header magic and total-size offset.
const FDT_MAGIC: u32 = 0xd00d_feed;
/// GIC maintenance interrupt when the DTB does not name one: PPI 9 (the
/// Arm BSA recommendation, and QEMU virt's choice).
pub const DEFAULT_MAINT_PPI: u32 = 25;

/// How L0 failed; the last line on L0's console says which.
#[derive(Clone, Copy, Debug)]
pub enum Failure {
    /// A bad or missing guest, or a DTB L0 cannot use.
    Setup,
    /// An L0 panic or an exception taken at EL2 (an L0 bug).
    Panic,
}

/// Ends the run as a failure: prints the verdict on L0's console and
/// signals QEMU through the pvpanic device (QEMU exits non-zero; see
/// `rt::exit` and docs/security.md).
pub fn fail(why: Failure) -> ! {
    let what = match why {
        Failure::Setup => "setup error",
        Failure::Panic => "panic",
    };
    rt::console::write_fmt_unlocked(format_args!("L0| FAILED: {what}\n"));
    if !rt::pvpanic::present() {
        rt::console::write_fmt_unlocked(format_args!(
            "L0| no pvpanic device (QEMU -device pvpanic-pci): QEMU's exit status will not show the failure\n"
        ));
    }
    rt::exit::exit(1, rt::psci::Conduit::Smc)
}

/// Per physical CPU set-up (boot and secondary CPUs): the GIC's
/// redistributor and CPU interface, the virtual interface, the EL2
/// identity registers.
pub fn cpu_init(vm: &vm::Vm, cpu: usize) {
    let t = vm.machine.timer_ppis;
    if vm.nested {
        // L0's own EL2 timer (standing in for L1's while L1's guest runs),
        // and the EL1 timers, whose enables L1 sees virtually.
        vm.gic
            .init_cpu(cpu, &[vm.machine.gic_maint_ppi, t[3], t[1], t[2]]);
    } else {
        vm.gic.init_cpu(cpu, &[vm.machine.gic_maint_ppi]);
    }
    irq::reset_cpu_interface(&vm.gic);
    vcpu::init_cpu_el2();
}

/// A boot failure: a message for the console.
enum BootError {
    BadDtb(u64),
    Malformed(guests::dtb::MalformedAt),
    Dt(dt::DtError),
    Pool(&'static str),
    Setup(vm::SetupError),
    NoRedistributor(u64),
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootError::BadDtb(a) => write!(f, "no valid DTB at x0 = {a:#x}"),
            BootError::Malformed(e) => write!(f, "{e}"),
            BootError::Dt(e) => write!(f, "{e}"),
            BootError::Pool(e) => write!(f, "{e}"),
            BootError::Setup(e) => write!(f, "{e}"),
            BootError::NoRedistributor(m) => write!(f, "no GIC redistributor for CPU {m:#x}"),
        }
    }
}

fn id_field(v: u64, shift: u32) -> u64 {
    (v >> shift) & 0xf
}

fn banner(m: &dt::Machine) {
    let mmfr0 = rt::sysreg::read!("ID_AA64MMFR0_EL1");
    let mmfr1 = rt::sysreg::read!("ID_AA64MMFR1_EL1");
    let mmfr2 = rt::sysreg::read!("ID_AA64MMFR2_EL1");
    let mmfr4 = rt::sysreg::read!("S3_0_C0_C7_4");
    let nv = match id_field(mmfr2, 24) {
        0 => "no",
        1 => "NV",
        _ => "NV2",
    };
    let yes = |b: bool| if b { "yes" } else { "no" };
    log::info!(
        "nv-l0 {}: {} CPUs, RAM {} MiB at {:#x}, NV={} FGT={} ECV={} VHE={} E2H0={} GIC LRs={}",
        env!("CARGO_PKG_VERSION"),
        m.cpus.len(),
        (m.ram_end - m.ram_start) >> 20,
        m.ram_start,
        nv,
        yes(id_field(mmfr0, 56) != 0),
        id_field(mmfr0, 60),
        yes(id_field(mmfr1, 8) != 0),
        // ID_AA64MMFR4_EL1.E2H0: 0 means HCR_EL2.E2H=0 is implemented.
        yes(id_field(mmfr4, 24) == 0),
        irq::nr_list_regs()
    );
}

/// Switches L0's console to its own UART (which the guest never sees) and
/// finds the pvpanic failure channel; the EL2 map first makes everything
/// outside RAM device memory, as the ECAM may lie above the first GiB.
fn open_channels(ch: &dt::Channels, ram_start: u64, ram_end: u64) {
    if let Some(u) = ch.l0_uart.or(ch.uart) {
        rt::console::set_base(u as usize);
    }
    mm::map_device_outside(mm::Range {
        start: ram_start,
        end: ram_end,
    });
    if let Some((ecam, window)) = ch.pci {
        // SAFETY: the DTB names this ECAM and memory window; they are mapped
        // as device memory now, no guest can reach them (no guest DTB
        // describes the host bridge and no stage 2 maps it), and nothing
        // else in L0 programs the bridge.
        unsafe { rt::pvpanic::probe(ecam as usize, window as usize) };
    }
}

fn boot(dtb_addr: u64) -> Result<(&'static vm::Vm, u64, u64), BootError> {
    // The DTB header: magic and totalsize, big-endian (DT spec 5.2).
    if dtb_addr == 0 || !dtb_addr.is_multiple_of(8) || dtb_addr >= EL2_MAP_END {
        return Err(BootError::BadDtb(dtb_addr));
    }
    // SAFETY: `dtb_addr` is 8-byte aligned and inside the EL2 identity map.
    let hdr = unsafe { core::slice::from_raw_parts(dtb_addr as *const u8, 8) };
    if u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) != FDT_MAGIC {
        return Err(BootError::BadDtb(dtb_addr));
    }
    let size = u32::from_be_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]) as usize;
    // SAFETY: the header says the blob is `size` bytes; it stays untouched until copied.
    let raw = unsafe { core::slice::from_raw_parts(dtb_addr as *const u8, size) };
    // The fdt crate panics on some malformed blobs: check the whole structure
    // first (guests::dtb::check, which also drops NOP tokens) and only then parse.
    let checked = guests::dtb::check(raw).map_err(BootError::Malformed)?;
    let blob: &[u8] = &checked.blob;
    let f = fdt::Fdt::new(blob).map_err(|e| BootError::Dt(dt::DtError::Parse(e)))?;
    let mem = f
        .all_nodes()
        .find(|n| n.property("device_type").and_then(|p| p.as_str()) == Some("memory"))
        .and_then(|n| n.reg()?.next())
        .ok_or(BootError::Dt(dt::DtError::Missing("memory node")))?;
    let ram_start = mem.starting_address as u64;
    let ram_end = ram_start + mem.size.unwrap_or(0) as u64;
    open_channels(&dt::Channels::find(&f), ram_start, ram_end);
    extern "C" {
        static __image_start: u8;
        static __image_end: u8;
    }
    let (img_s, img_e) = (
        core::ptr::addr_of!(__image_start) as u64,
        core::ptr::addr_of!(__image_end) as u64,
    );
    let holes = [
        mm::Range {
            start: img_s,
            end: img_e,
        },
        mm::Range {
            start: dtb_addr,
            end: dtb_addr + size as u64,
        },
    ];
    mm::init_pool(
        mm::Range {
            start: ram_start,
            end: ram_start + mm::L0_RESERVED,
        },
        &holes,
    )
    .map_err(BootError::Pool)?;
    let blob: alloc::vec::Vec<u8> = checked.blob.into_owned();
    let machine = dt::Machine::parse(&blob).map_err(BootError::Dt)?;
    logger::init(machine.bootargs.split_whitespace().any(|a| a == "l0.debug"));
    if let Some(n) = machine
        .bootargs
        .split_whitespace()
        .find_map(|a| a.strip_prefix("l0.trace="))
        .and_then(|n| n.parse().ok())
    {
        exits::TRACE.store(n, core::sync::atomic::Ordering::Relaxed);
    }
    percpu::set_cpus(&machine.cpus);
    banner(&machine);
    if machine.l0_uart.is_none() {
        log::warn!(
            "only one UART: L0 shares the guest's console (its lines can be forged by the guest)"
        );
    }
    if !rt::pvpanic::present() {
        log::warn!("no pvpanic-pci device: a failure of L0 will not show in QEMU's exit status");
    }
    // SAFETY: the DTB names these GIC frames; the EL2 map makes them
    // device memory and nothing else drives the GIC.
    let gic = unsafe { gic::PhysGic::new(machine.gicd.0, machine.gicr.0, &machine.cpus) }
        .map_err(BootError::NoRedistributor)?;
    gic.init_distributor();
    let traps = vcpu::guest_traps(vcpu::cpu_features(), vcpu::pmcr_n());
    // Virtual EL2 needs FEAT_NV2 (ID_AA64MMFR2_EL1.NV `[27:24]` = 2).
    let nv2 = (rt::sysreg::read!("ID_AA64MMFR2_EL1") >> 24) & 0xf >= 2;
    let off = machine
        .bootargs
        .split_whitespace()
        .any(|a| a == "l0.nested=off");
    // L1's EL2 is VHE-only unless asked otherwise (`nested::vel2::E2hMode`).
    let mode = if machine
        .bootargs
        .split_whitespace()
        .any(|a| a == "l0.vel2=nvhe")
    {
        nested::vel2::E2hMode::Nvhe
    } else {
        nested::vel2::E2hMode::Vhe
    };
    let nested = (nv2 && !off).then_some(mode);
    let blob: &'static [u8] = alloc::boxed::Box::leak(blob.into_boxed_slice());
    let boot_dtb = guests::MemRange::new(dtb_addr, size as u64);
    let (vm, entry, arg0) =
        vm::setup(machine, gic, traps, nested, blob, boot_dtb).map_err(BootError::Setup)?;
    cpu_init(vm, 0);
    Ok((vm, entry, arg0))
}

extern "C" fn primary_main(dtb: u64) -> ! {
    mm::build_el2_map(EL2_MAP_END);
    mm::enable_el2_mmu();
    switch::install_vectors();
    mm::init_heap();
    logger::init(false);
    match boot(dtb) {
        Ok((vm, entry, arg0)) => {
            log::info!("entering guest at {entry:#x} (x0 = {arg0:#x})");
            vcpu::Vcpu::new(0, vm, entry, arg0).run()
        }
        Err(e) => {
            log::error!("L0 error: {e}");
            fail(Failure::Setup)
        }
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    rt::console::write_fmt_unlocked(format_args!(
        "L0| PANIC at {file}:{line}: {}\n",
        info.message()
    ));
    fail(Failure::Panic)
}
