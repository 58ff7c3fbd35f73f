//! Which physical CPU this is, for log lines: the position of MPIDR_EL1's
//! affinity in the DTB's CPU list (0 before the VM exists).

/// Index of the running CPU.
pub fn cpu_index() -> usize {
    let mpidr = rt::sysreg::read!("MPIDR_EL1") & 0xff_00ff_ffff;
    crate::vm::try_get()
        .and_then(|vm| vm.cpu_by_mpidr(mpidr))
        .unwrap_or(0)
}
