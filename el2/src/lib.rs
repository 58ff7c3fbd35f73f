//! The parts of L0 that are pure logic, built for the target as part of the
//! `el2` binary and on the host for `cargo test -p el2 --lib`: stage-2
//! tables over a table-memory trait, VMID allocation, the guest-memory
//! reader for walking a guest's own tables, the virtual GIC's register
//! emulation and interrupt bookkeeping, exit counters and log rate limits.
//! The binary (`main.rs` and its modules) adds the hardware side.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod counters;
pub mod guest_mem;
pub mod ratelimit;
pub mod stage2;
pub mod vgic;
pub mod vmid;

/// Most vCPUs (and physical CPUs) L0 supports.
pub const MAX_CPUS: usize = 8;
