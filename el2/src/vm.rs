//! The one VM L0 runs: its memory layout, stage 2, boot image placement,
//! the guest DTB, the power state of its vCPUs, and the counters report.

use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use el2::counters::{self, Context, CONTEXT_NAMES, NR_REASONS};
use el2::stage2::{S2Attrs, Stage2};
use el2::vgic::{VgicDist, VgicRedist};
use el2::MAX_CPUS;
use fgt::TrapConfig;
use guests::image::{self, ImageHeader};
use guests::MemRange;
use spin::{Mutex, Once};

use crate::dt::Machine;
use crate::gic::PhysGic;
use crate::mm;

/// Whether `Vm::note_first_vm_entry` has printed its line.
static FIRST_VM_ENTRY: AtomicBool = AtomicBool::new(false);

/// Power state of a vCPU, as PSCI AFFINITY_INFO reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum VcpuPower {
    Off = 0,
    On = 2,
}

/// Where the guest DTB goes: the start of guest RAM (2 MiB reserved for it).
const GUEST_DTB_MAX: u64 = 2 << 20;
/// The guest's VMID (VMID 0 is never used).
const VMID: u16 = 1;
/// Which devices the guest gets: their MMIO is mapped at stage 2, their
/// interrupts are the guest's, and `guests::dtb` describes them.
const ALLOW: guests::dtb::Allow = guests::dtb::Allow::ALL;

/// The VM: the machine it runs on, its memory and stage 2, the physical
/// GIC and the emulated one, the trap configuration its vCPUs start with,
/// and the power state of its vCPUs.
pub struct Vm {
    pub machine: Machine,
    /// The guest's RAM (IPA = PA).
    pub ram: MemRange,
    /// The guest's stage 2.
    pub stage2: Stage2,
    /// The physical GIC.
    pub gic: PhysGic,
    /// The emulated distributor.
    pub vgic: VgicDist,
    /// Each vCPU's redistributor state.
    pub redist: [VgicRedist; MAX_CPUS],
    /// L0's traps for the guest.
    pub traps: TrapConfig,
    pub power: [AtomicU8; MAX_CPUS],
    pub boot_args: [Mutex<Option<(u64, u64)>>; MAX_CPUS],
    pub ncpus: usize,
    /// The guest starts at virtual EL2 (FEAT_NV2 present, `l0.nested` not off).
    pub nested: bool,
    /// The EL2 a guest hypervisor gets (VHE-only unless `l0.vel2=nvhe`).
    pub e2h_mode: nested::vel2::E2hMode,
    /// Shadow stage 2s of the guest hypervisor's guests (shared by vCPUs).
    pub shadow: Mutex<nested::shadow_s2::ShadowCache<crate::shadow::Alloc>>,
}

/// Shadow stage 2s kept at most (each with a VMID and its tables).
pub const SHADOW_CAPACITY: usize = 16;

static VM: Once<Vm> = Once::new();

/// The VM, for the entry points that start without one (secondary CPUs).
pub fn get() -> &'static Vm {
    VM.get().expect("VM used before setup")
}

impl Vm {
    /// vCPU index whose MPIDR affinity is `mpidr`.
    pub fn cpu_by_mpidr(&self, mpidr: u64) -> Option<usize> {
        self.machine
            .cpus
            .iter()
            .take(self.ncpus)
            .position(|&m| m == mpidr)
    }

    /// Whether `[addr, addr + len)` is guest RAM.
    pub fn in_guest_ram(&self, addr: u64, len: u64) -> bool {
        let r = MemRange::new(addr, len);
        r.is_valid() && self.ram.contains_range(&r)
    }

    /// Prints, once, the exits of every vCPU and context so far in one
    /// line, when L1 first enters a guest with stage 2 on: the cost of L1's
    /// boot up to its first VM (`scripts/kvm-in-kvm.sh` reads it).
    pub fn note_first_vm_entry(&self) {
        if FIRST_VM_ENTRY.swap(true, Ordering::Relaxed) {
            return;
        }
        let mut all = [0u64; NR_REASONS];
        for cpu in 0..self.ncpus {
            for ctx in [Context::L1, Context::L2] {
                for (a, v) in all.iter_mut().zip(counters::snapshot(cpu, ctx)) {
                    *a += v;
                }
            }
        }
        log::info!(
            "exits before L1's first VM entry: {}",
            counters::format_row(&all)
        );
    }

    /// Prints the exit counters of every vCPU and context, and their sum.
    pub fn print_counters(&self) {
        let mut all = [0u64; NR_REASONS];
        for cpu in 0..self.ncpus {
            for (c, ctx) in [Context::L1, Context::L2].into_iter().enumerate() {
                let row = counters::snapshot(cpu, ctx);
                if ctx == Context::L1 || row.iter().any(|&n| n != 0) {
                    let who = if ctx == Context::L1 {
                        alloc::format!("cpu{cpu}")
                    } else {
                        alloc::format!("cpu{cpu} {}", CONTEXT_NAMES[c])
                    };
                    log::info!("exits {who}: {}", counters::format_row(&row));
                }
                for (a, v) in all.iter_mut().zip(row) {
                    *a += v;
                }
            }
        }
        log::info!("exits all: {}", counters::format_row(&all));
        for (ctx, name) in counters::CONTEXT_NAMES.iter().enumerate() {
            let sys = counters::SYSREG_BY_ENC[ctx].top(8);
            let irqs = counters::IRQ_BY_INTID[ctx].top(6);
            if sys.is_empty() && irqs.is_empty() {
                continue;
            }
            let mut line = alloc::format!("exits {name} by sysreg:");
            for (e, c) in sys {
                line.push_str(&alloc::format!(" {}={c}", arch::esr::Enc(e as u16)));
            }
            line.push_str("; by intid:");
            for (i, c) in irqs {
                line.push_str(&alloc::format!(" {i}={c}"));
            }
            log::info!("{line}");
        }
        if self.nested {
            let sh = self.shadow.lock();
            let st = sh.stats;
            let lookups = st.hits + st.misses;
            log::info!(
                "shadow stage 2: {} in use, entries {} (hits {} misses {}, hit rate {}%), fills {}, evictions {}, invalidations {}",
                sh.len(),
                lookups,
                st.hits,
                st.misses,
                (st.hits * 100).checked_div(lookups).unwrap_or(0),
                st.fills,
                st.evictions,
                st.invalidations
            );
        }
        let (used, total) = mm::heap_stats();
        log::info!(
            "mem: heap {used} of {total} bytes in use, stage-2 tables {} pages",
            self.stage2.pages()
        );
    }

    /// The guest asked to power off (or reset): print the counters and end the run.
    pub fn report_and_power_off(&self, reset: bool) -> ! {
        self.print_counters();
        log::info!(
            "guest requested {}: powering off",
            if reset { "SYSTEM_RESET" } else { "SYSTEM_OFF" }
        );
        if reset {
            rt::psci::system_reset(self.conduit())
        } else {
            rt::psci::system_off(self.conduit())
        }
    }

    /// How L0 reaches the board's PSCI (the host DTB's `method`).
    pub fn conduit(&self) -> rt::psci::Conduit {
        conduit_of(&self.machine)
    }
}

/// The PSCI conduit the DTB names (SMC unless it says hvc).
pub fn conduit_of(m: &Machine) -> rt::psci::Conduit {
    match m.psci_method.as_str() {
        "hvc" => rt::psci::Conduit::Hvc,
        _ => rt::psci::Conduit::Smc,
    }
}

/// Why the guest could not be set up. Each is a clear message and a failure exit.
#[derive(Debug)]
pub enum SetupError {
    NoKernel,
    OverlapsBootDtb {
        what: &'static str,
        addr: u64,
        dtb: MemRange,
    },
    ModuleOutsideRam {
        what: &'static str,
        addr: u64,
        size: u64,
        ram: MemRange,
    },
    BadImage(image::ImageError),
    Place(image::PlaceError),
    Dtb(guests::dtb::DtbError),
    DtbTooLarge(usize),
    Stage2(el2::stage2::MapError),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::NoKernel => write!(
                f,
                "no guest kernel: /chosen has no multiboot,kernel module \
                 (give QEMU -device guest-loader,addr=...,kernel=FILE)"
            ),
            SetupError::ModuleOutsideRam {
                what,
                addr,
                size,
                ram,
            } => write!(
                f,
                "guest {what} module at {addr:#x} (+{size:#x}) is outside guest RAM {:#x}..{:#x} \
                 (L0 keeps the first {} MiB of RAM)",
                ram.base,
                ram.base + ram.size,
                mm::L0_RESERVED >> 20
            ),
            SetupError::OverlapsBootDtb { what, addr, dtb } => write!(
                f,
                "guest {what} module at {addr:#x} overlaps the DTB QEMU placed at {:#x}..{:#x}, \
                 which overwrote it (load guest modules elsewhere)",
                dtb.base,
                dtb.base + dtb.size
            ),
            SetupError::BadImage(e) => write!(f, "guest kernel is not an arm64 Image: {e}"),
            SetupError::Place(e) => write!(f, "guest kernel cannot be placed: {e}"),
            SetupError::Dtb(e) => write!(f, "cannot build the guest DTB: {e}"),
            SetupError::DtbTooLarge(n) => {
                write!(f, "guest DTB is {n} bytes, more than {GUEST_DTB_MAX}")
            }
            SetupError::Stage2(e) => write!(f, "cannot build the guest's stage 2: {e:?}"),
        }
    }
}

/// Builds the VM from the machine description: checks and places the guest
/// images, writes the guest DTB, builds stage 2. Returns the VM and
/// (entry, x0) of vCPU 0.
///
/// # Errors
/// A `SetupError` describing what is wrong with the guest modules.
pub fn setup(
    machine: Machine,
    gic: PhysGic,
    traps: TrapConfig,
    vel2: Option<nested::vel2::E2hMode>,
    host_dtb: &[u8],
    boot_dtb: MemRange,
) -> Result<(&'static Vm, u64, u64), SetupError> {
    let ram_base = machine.ram_start + mm::L0_RESERVED;
    let ram = MemRange::new(ram_base, machine.ram_end.saturating_sub(ram_base));
    let kernel = machine.kernel.clone().ok_or(SetupError::NoKernel)?;
    let check = |what, m: &crate::dt::Module| {
        let r = MemRange::new(m.addr, m.size);
        if r.overlaps(&boot_dtb) {
            Err(SetupError::OverlapsBootDtb {
                what,
                addr: m.addr,
                dtb: boot_dtb,
            })
        } else if ram.contains_range(&r) {
            Ok(r)
        } else {
            Err(SetupError::ModuleOutsideRam {
                what,
                addr: m.addr,
                size: m.size,
                ram,
            })
        }
    };
    let kr = check("kernel", &kernel)?;
    let initrd = machine
        .ramdisk
        .as_ref()
        .map(|m| check("ramdisk", m))
        .transpose()?;
    // SAFETY: `kr` lies in guest RAM, identity-mapped at EL2; the guest is not running yet.
    let kbytes = unsafe { core::slice::from_raw_parts(kr.base as *const u8, kr.size as usize) };
    let hdr = ImageHeader::parse(kbytes).map_err(SetupError::BadImage)?;
    let dtb_range = MemRange::new(ram.base, GUEST_DTB_MAX);
    let mut avoid = alloc::vec![dtb_range];
    avoid.extend(initrd);
    let place = image::place(&hdr, kr, ram, &avoid).map_err(SetupError::Place)?;
    if place.copy {
        log::info!(
            "moving guest kernel {:#x} -> {:#x} ({} bytes)",
            kr.base,
            place.load,
            kr.size
        );
        // SAFETY: both ranges are in guest RAM and `place` guarantees they do not overlap.
        unsafe {
            core::ptr::copy_nonoverlapping(
                kr.base as *const u8,
                place.load as *mut u8,
                kr.size as usize,
            )
        };
    }
    let ncpus = machine.cpus.len().min(MAX_CPUS);
    // L0's own console stays L0's: not in the guest DTB, not at stage 2.
    let keep: Vec<u64> = machine.l0_uart.into_iter().collect();
    let bootargs = kernel.bootargs.as_deref().unwrap_or("");
    let cfg = guests::dtb::GuestDtbConfig {
        host_dtb,
        ram: &[ram],
        vcpus: ncpus,
        bootargs,
        initrd: initrd.map(|r| guests::dtb::Initrd {
            start: r.base,
            end: r.base + r.size,
        }),
        allow: ALLOW,
        keep: &keep,
        // A guest at (virtual) EL2 calls its firmware with SMC.
        psci_method: if vel2.is_some() { "smc" } else { "hvc" },
    };
    let dtb: Vec<u8> = guests::dtb::build(&cfg).map_err(SetupError::Dtb)?;
    if dtb.len() as u64 > GUEST_DTB_MAX {
        return Err(SetupError::DtbTooLarge(dtb.len()));
    }
    // SAFETY: the first 2 MiB of guest RAM are reserved for the DTB (kept out of `place`).
    unsafe { core::ptr::copy_nonoverlapping(dtb.as_ptr(), dtb_range.base as *mut u8, dtb.len()) };

    let parange = rt::sysreg::read!("ID_AA64MMFR0_EL1") & 0xf;
    let (mut tables, mut tlb) = (mm::PoolTables, mm::HwTlb);
    let mut s2 = Stage2::new(VMID, parange, &mut tables).map_err(SetupError::Stage2)?;
    s2.map(
        ram.base,
        ram.base,
        ram.size,
        S2Attrs::RAM,
        &mut tables,
        &mut tlb,
    )
    .map_err(SetupError::Stage2)?;
    let pt = guests::dtb::passthrough(&cfg).map_err(SetupError::Dtb)?;
    let page = el2::stage2::PAGE;
    for r in &pt.regions {
        // Several devices may share a page (virtio-mmio transports are 0x200 apart).
        let start = r.base & !(page - 1);
        let end = (r.base + r.size.max(1)).next_multiple_of(page);
        s2.map(
            start,
            start,
            end - start,
            S2Attrs::DEVICE,
            &mut tables,
            &mut tlb,
        )
        .map_err(SetupError::Stage2)?;
    }
    let mut vgic = VgicDist::new(ncpus);
    for &i in &pt.irqs {
        vgic.owned.set(i);
    }
    // The guest's EL1 virtual and physical timers; a guest hypervisor also
    // gets its EL2 timers and maintenance interrupt, all of them virtual
    // PPIs whose enables L0 keeps (it maps them per context).
    vgic.owned.set(machine.timer_ppis[1]);
    vgic.owned.set(machine.timer_ppis[2]);
    if vel2.is_some() {
        let t = machine.timer_ppis;
        for i in [t[1], t[2], t[3], t[4], machine.gic_maint_ppi] {
            vgic.owned.set(i);
            vgic.virt_ppis |= 1 << (i % 32);
        }
    }
    log::info!(
        "guest: {} vCPUs at {}, {}-bit IPA, RAM {:#x}..{:#x}, kernel at {:#x}{}, {} devices passed through",
        ncpus,
        match vel2 {
            Some(nested::vel2::E2hMode::Vhe) => "virtual EL2 (VHE)",
            Some(nested::vel2::E2hMode::Nvhe) => "virtual EL2 (nVHE)",
            None => "EL1",
        },
        s2.ipa_bits(),
        ram.base,
        ram.base + ram.size,
        place.load,
        initrd.map_or(alloc::string::String::new(), |r| alloc::format!(
            ", initrd {:#x}+{:#x}",
            r.base,
            r.size
        )),
        pt.regions.len()
    );
    // Nothing of VMID 1 (or 2, L1's guest under L0's stage 2) may be cached
    // from before (firmware, a previous run).
    el2::stage2::Tlb::invalidate_vmid(&mut tlb, VMID);
    el2::stage2::Tlb::invalidate_vmid(&mut tlb, crate::nv::VMID_L1_GUEST);
    // Shadows take the VMIDs after those two.
    let mut vmids = el2::vmid::VmidAllocator::new(crate::vcpu::vmid_bits());
    while vmids.alloc().is_some_and(|v| v < crate::nv::VMID_L1_GUEST) {}
    let shadow = nested::shadow_s2::ShadowCache::new(
        crate::shadow::Alloc { parange, vmids },
        SHADOW_CAPACITY,
    );
    let vm = VM.call_once(|| Vm {
        machine,
        ram,
        stage2: s2,
        gic,
        vgic,
        redist: [const { VgicRedist::new() }; MAX_CPUS],
        traps,
        power: [const { AtomicU8::new(VcpuPower::Off as u8) }; MAX_CPUS],
        boot_args: [const { Mutex::new(None) }; MAX_CPUS],
        ncpus,
        nested: vel2.is_some(),
        e2h_mode: vel2.unwrap_or(nested::vel2::E2hMode::Vhe),
        shadow: Mutex::new(shadow),
    });
    vm.power[0].store(VcpuPower::On as u8, Ordering::Release);
    Ok((vm, place.load, dtb_range.base))
}
