//! The nested-virtualization core of L0 as pure logic, tested on the host:
//! how a guest (L1) is given a virtual EL2 through FEAT_NV2 and runs its
//! own guest (L2).
//!
//! - [`vel2`]: the contexts of a nested vCPU, L1's ERET (illegal returns
//!   included), exception entry into virtual EL2, L1's EL2 registers that
//!   trap or live in EL1 registers, the nVHE format translations, E2H flips.
//! - [`vncr`]: the VNCR page, its offsets from fgt's table.
//! - [`traps`]: the EL2 controls at virtual EL2 and in L1's guest context
//!   (fgt::merge of L0's and L1's).
//! - [`shadow_s2`]: the cache of shadow stage-2 MMUs, keyed by L1's VTTBR
//!   and VTCR, filled from a walk of L1's stage-2 tables composed with L0's
//!   own stage 2, and invalidated by L1's TLBIs.
//! - [`vgic`]: L1's list registers loaded for its guest and synced back,
//!   its trapped status registers, its maintenance interrupt.
//! - [`timer`]: L1's EL2 timers on the EL1 timers, and their INTIDs.
//!
//! `el2` holds the hardware side: the world switch, the system-register
//! accesses and the run loop that calls into this crate.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod shadow_s2;
pub mod timer;
pub mod traps;
pub mod vel2;
pub mod vgic;
pub mod vncr;
