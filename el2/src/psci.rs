//! The guest's PSCI 1.0 (Arm DEN0022) and L0's vendor hypercalls, over HVC
//! or (trapped) SMC. vCPUs are pinned 1:1 to physical CPUs, so CPU_ON and
//! CPU_OFF become the physical calls.

use core::sync::atomic::Ordering;
use rt::psci::{fid, ret};

use crate::vcpu::Vcpu;
use crate::vm::{VcpuPower, Vm};

/// PSCI version reported to the guest: 1.0.
const PSCI_VERSION_1_0: u64 = 0x1_0000;
/// MIGRATE_INFO_TYPE: Trusted OS not present, no migration needed.
const MIGRATE_NOT_REQUIRED: u64 = 2;
/// 32-bit (SMC32) IDs of the calls that have both widths.
const CPU_ON_32: u32 = 0x8400_0003;
const AFFINITY_INFO_32: u32 = 0x8400_0004;
/// SMCCC function ID bit 30: the SMC64/HVC64 calling convention (clear:
/// SMC32, whose arguments are the low 32 bits of the registers; SMCCC
/// DEN0028, 2.5 and 3.1).
const FID_SMC64: u32 = 1 << 30;
/// PSCI INVALID_ADDRESS (DEN0022, 5.2.2).
const INVALID_ADDRESS: i64 = -9;
/// L0 vendor hypercalls (SMCCC owner 6, vendor-specific hypervisor service).
pub const L0_HVC_VERSION: u32 = 0x8600_0000;
pub const L0_HVC_PRINT_COUNTERS: u32 = 0x8600_0001;
/// Returns this vCPU's exit counts: x0 all, x1 taken while its L2 ran,
/// x2 taken in L1 (at EL1 or virtual EL2). The exit of this call itself is
/// not included yet (it is counted after the handler).
pub const L0_HVC_EXIT_COUNT: u32 = 0x8600_0002;
/// "NVL0" in ASCII, the answer to L0_HVC_VERSION.
const L0_ID: u64 = 0x4E56_4C30;

/// MPIDR affinity fields (Aff3 and Aff2..Aff0).
const MPIDR_AFF_MASK: u64 = 0xff_00ff_ffff;

/// Guest requests to print the counters, limited (each prints lines).
static PRINT_LIMIT: el2::ratelimit::RateLimit = el2::ratelimit::RateLimit::new();

/// Handles a hypercall in the guest's x0..x3; the result goes to x0.
pub fn handle(v: &mut Vcpu) {
    let f = v.regs.x[0] as u32;
    let narrow = |x: u64| {
        if f & FID_SMC64 == 0 {
            x & 0xffff_ffff
        } else {
            x
        }
    };
    let (a1, a2, a3) = (
        narrow(v.regs.x[1]),
        narrow(v.regs.x[2]),
        narrow(v.regs.x[3]),
    );
    let vm = v.vm;
    let r: i64 = match f {
        fid::PSCI_VERSION => PSCI_VERSION_1_0 as i64,
        fid::PSCI_FEATURES => features(a1 as u32),
        fid::MIGRATE_INFO_TYPE => MIGRATE_NOT_REQUIRED as i64,
        fid::CPU_ON | CPU_ON_32 => cpu_on(vm, a1, a2, a3),
        fid::CPU_OFF => cpu_off(v),
        fid::AFFINITY_INFO | AFFINITY_INFO_32 => affinity_info(vm, a1, a2),
        fid::SYSTEM_OFF => vm.report_and_power_off(false),
        fid::SYSTEM_RESET => vm.report_and_power_off(true),
        L0_HVC_VERSION => L0_ID as i64,
        L0_HVC_PRINT_COUNTERS => {
            if PRINT_LIMIT.check().is_some() {
                vm.print_counters();
            }
            ret::SUCCESS
        }
        L0_HVC_EXIT_COUNT => {
            use el2::counters::{snapshot, Context};
            let l1: u64 = snapshot(v.index, Context::L1).iter().sum();
            let l2: u64 = snapshot(v.index, Context::L2).iter().sum();
            v.regs.x[1] = l2;
            v.regs.x[2] = l1;
            (l1 + l2) as i64
        }
        _ => {
            log::debug!("unknown hypercall {f:#x}");
            ret::NOT_SUPPORTED
        }
    };
    v.regs.x[0] = r as u64;
}

/// L1's guest made L0's print-counters call: the call is L1's to answer
/// (it goes on to L1, which normally says NOT_SUPPORTED), but L0 prints
/// its counters on its own console on the way (rate-limited), so that a
/// benchmark inside L2 can mark where an operation starts and ends in
/// L0's figures without L1's help. Nothing else changes for L1.
pub fn observe_l2_call(v: &Vcpu) {
    if v.regs.x[0] as u32 == L0_HVC_PRINT_COUNTERS && PRINT_LIMIT.check().is_some() {
        log::info!("counters at L2's request (vcpu{})", v.index);
        v.vm.print_counters();
    }
}

fn features(f: u32) -> i64 {
    match f {
        fid::PSCI_VERSION
        | fid::PSCI_FEATURES
        | fid::MIGRATE_INFO_TYPE
        | fid::CPU_ON
        | CPU_ON_32
        | fid::CPU_OFF
        | fid::AFFINITY_INFO
        | AFFINITY_INFO_32
        | fid::SYSTEM_OFF
        | fid::SYSTEM_RESET => ret::SUCCESS,
        // Everything else, SMCCC_VERSION included (the guest then assumes
        // SMCCC 1.0), is not supported.
        _ => ret::NOT_SUPPORTED,
    }
}

/// CPU_ON: the target is marked on at once, so a second CPU_ON for it
/// answers ALREADY_ON (as guests written for KVM expect) instead of
/// ON_PENDING while the physical CPU comes up.
fn cpu_on(vm: &'static Vm, target: u64, entry: u64, ctx: u64) -> i64 {
    let Some(idx) = vm.cpu_by_mpidr(target & MPIDR_AFF_MASK) else {
        return ret::INVALID_PARAMETERS;
    };
    let st = &vm.power[idx];
    if st.load(Ordering::Acquire) == VcpuPower::On as u8 {
        return ret::ALREADY_ON;
    }
    if !vm.in_guest_ram(entry, 4) {
        return INVALID_ADDRESS;
    }
    if st
        .compare_exchange(
            VcpuPower::Off as u8,
            VcpuPower::On as u8,
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_err()
    {
        return ret::ALREADY_ON;
    }
    *vm.boot_args[idx].lock() = Some((entry, ctx));
    let r = crate::smp::start_cpu(vm, idx) as i64;
    if r != ret::SUCCESS {
        st.store(VcpuPower::Off as u8, Ordering::Release);
        el2::guest_warn!("physical CPU_ON for cpu{idx} failed: {r}");
        return ret::INTERNAL_FAILURE;
    }
    ret::SUCCESS
}

fn cpu_off(v: &mut Vcpu) -> i64 {
    v.vm.power[v.index].store(VcpuPower::Off as u8, Ordering::Release);
    crate::smp::stop_this_cpu(v.vm);
}

fn affinity_info(vm: &Vm, target: u64, level: u64) -> i64 {
    if level != 0 {
        return ret::INVALID_PARAMETERS;
    }
    match vm.cpu_by_mpidr(target & MPIDR_AFF_MASK) {
        // AFFINITY_INFO: 0 = ON, 1 = OFF (2 = ON_PENDING is never
        // reported: a vCPU is on from the moment CPU_ON accepts it).
        Some(i) => i64::from(vm.power[i].load(Ordering::Acquire) != VcpuPower::On as u8),
        None => ret::INVALID_PARAMETERS,
    }
}
