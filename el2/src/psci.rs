//! The guest's PSCI 1.0 (Arm DEN0022) and L0's vendor hypercalls, over HVC
//! or (trapped) SMC. vCPUs are pinned 1:1 to physical CPUs, so CPU_ON and
//! CPU_OFF become the physical calls.

use core::sync::atomic::Ordering;
use rt::psci::{fid, ret};

use crate::vcpu::Vcpu;
use crate::vm::{self, VcpuPower};

/// PSCI version reported to the guest: 1.0.
const PSCI_VERSION_1_0: u64 = 0x1_0000;
/// MIGRATE_INFO_TYPE: Trusted OS not present, no migration needed.
const MIGRATE_NOT_REQUIRED: u64 = 2;
/// 32-bit (SMC32) IDs of the calls that have both widths.
const CPU_ON_32: u32 = 0x8400_0003;
const AFFINITY_INFO_32: u32 = 0x8400_0004;
/// L0 vendor hypercalls (SMCCC owner 6, vendor-specific hypervisor service).
pub const L0_HVC_VERSION: u32 = 0x8600_0000;
pub const L0_HVC_PRINT_COUNTERS: u32 = 0x8600_0001;
/// "NVL0" in ASCII, the answer to L0_HVC_VERSION.
const L0_ID: u64 = 0x4E56_4C30;

/// MPIDR affinity fields (Aff3 and Aff2..Aff0).
const MPIDR_AFF_MASK: u64 = 0xff_00ff_ffff;

/// Handles a hypercall in the guest's x0..x3; the result goes to x0.
pub fn handle(vcpu: &mut Vcpu) {
    let f = vcpu.regs.x[0] as u32;
    let (a1, a2, a3) = (vcpu.regs.x[1], vcpu.regs.x[2], vcpu.regs.x[3]);
    let r: i64 = match f {
        fid::PSCI_VERSION => PSCI_VERSION_1_0 as i64,
        fid::PSCI_FEATURES => features(a1 as u32),
        fid::MIGRATE_INFO_TYPE => MIGRATE_NOT_REQUIRED as i64,
        fid::CPU_ON | CPU_ON_32 => cpu_on(a1, a2, a3),
        fid::CPU_OFF => cpu_off(vcpu),
        fid::AFFINITY_INFO | AFFINITY_INFO_32 => affinity_info(a1, a2),
        fid::SYSTEM_OFF => {
            vm::report_and_power_off(false);
        }
        fid::SYSTEM_RESET => {
            vm::report_and_power_off(true);
        }
        L0_HVC_VERSION => L0_ID as i64,
        L0_HVC_PRINT_COUNTERS => {
            vm::print_counters();
            ret::SUCCESS
        }
        _ => {
            log::debug!("unknown hypercall {f:#x}");
            ret::NOT_SUPPORTED
        }
    };
    vcpu.regs.x[0] = r as u64;
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

fn cpu_on(target: u64, entry: u64, ctx: u64) -> i64 {
    let vm = vm::get();
    let Some(idx) = vm.cpu_by_mpidr(target & MPIDR_AFF_MASK) else {
        return ret::INVALID_PARAMETERS;
    };
    let st = &vm.power[idx];
    match st.compare_exchange(
        VcpuPower::Off as u8,
        VcpuPower::OnPending as u8,
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => {}
        Err(s) if s == VcpuPower::On as u8 => return ret::ALREADY_ON,
        Err(_) => return ret::ON_PENDING,
    }
    *vm.boot_args[idx].lock() = Some((entry, ctx));
    let r = crate::smp::start_cpu(idx) as i64;
    if r != ret::SUCCESS {
        st.store(VcpuPower::Off as u8, Ordering::Release);
        log::warn!("physical CPU_ON for cpu{idx} failed: {r}");
        return ret::INTERNAL_FAILURE;
    }
    ret::SUCCESS
}

fn cpu_off(vcpu: &mut Vcpu) -> i64 {
    vm::get().power[vcpu.index].store(VcpuPower::Off as u8, Ordering::Release);
    crate::smp::stop_this_cpu();
}

fn affinity_info(target: u64, level: u64) -> i64 {
    if level != 0 {
        return ret::INVALID_PARAMETERS;
    }
    let vm = vm::get();
    match vm.cpu_by_mpidr(target & MPIDR_AFF_MASK) {
        // AFFINITY_INFO: 0 = ON, 1 = OFF, 2 = ON_PENDING.
        Some(i) => match vm.power[i].load(Ordering::Acquire) {
            s if s == VcpuPower::On as u8 => 0,
            s if s == VcpuPower::OnPending as u8 => 2,
            _ => 1,
        },
        None => ret::INVALID_PARAMETERS,
    }
}
