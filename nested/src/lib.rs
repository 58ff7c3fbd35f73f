//! The nested-virtualization core of L0 as pure logic, tested on the host:
//! how a guest (L1) is given a virtual EL2 through FEAT_NV2 and runs its
//! own guest (L2).
//!
//! - [`shadow_s2`]: the cache of shadow stage-2 MMUs, keyed by L1's VTTBR
//!   and VTCR, filled from a walk of L1's stage-2 tables composed with L0's
//!   own stage 2, and invalidated by L1's TLBIs.
//!
//! `el2` holds the hardware side: the world switch, the system-register
//! accesses and the run loop that calls into this crate.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod shadow_s2;
pub mod vel2;
pub mod vncr;
