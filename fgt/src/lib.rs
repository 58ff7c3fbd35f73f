//! Trap routing for nested virtualization on AArch64.
//!
//! When L2 (a guest of the guest hypervisor L1) traps to L0, L0 must decide
//! in a few instructions whether L1 asked for that trap ([`Route::ToL1`]:
//! inject it into L1's virtual EL2) or only L0 did ([`Route::ToL0`]); and
//! when L0 enters L2 it runs it with the union of its own traps and L1's
//! ([`merge`]).
//!
//! Parts and where they come from:
//! - [`table`]: one table of the system registers and system instructions
//!   an EL1/EL0 guest can execute (and the EL2/EL12 encodings a guest
//!   hypervisor reaches with HCR_EL2.NV), with the coarse controls and the
//!   fine-grained bit that trap each. Written from the Arm ARM (DDI 0487)
//!   register "Accessibility" pseudocode; see that module for how to update.
//! - [`bits`]: the FEAT_FGT/FGT2 register layouts, cross-checked in a test
//!   against the `arm-sysregs` crate (generated from Arm's AARCHMRS).
//! - [`ctl`]: the coarse controls of HCR_EL2, HCRX_EL2, MDCR_EL2, CPTR_EL2
//!   (both E2H layouts), CNTHCTL_EL2 (both layouts, ECV) and ICH_HCR_EL2.
//! - [`route()`](route::route) and [`merge`]: the two operations. `route` is
//!   O(1): a two-level direct index over the 16-bit encoding built at
//!   compile time ([`table::lookup`]), then the row's few rules.
//!
//! - [`reference`]: every field of every trap-control register as the Arm ARM
//!   defines them, with the value that traps nothing; independent of the
//!   modules above (it imports nothing from them) and checked against
//!   AARCHMRS: the reference the QEMU `fgt-matrix` test sets bits from.
//!
//! - FEAT_NV2: the table's [`table::Nv2`] column (VNCR page offsets, EL1
//!   redirects) is used by `route` and by [`TrapConfig::from_vncr`], which
//!   reads L1's trap registers from its VNCR page.
//!
//! `no_std`, no allocation, no panics on any input.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

#[cfg(test)]
extern crate std;

pub mod bits;
pub mod config;
pub mod ctl;
pub mod reference;
/// Syndromes and encodings: the project's one description, in `arch`.
pub use ::arch::esr;
pub mod route;
pub mod table;

pub use config::{Features, TrapConfig};
pub use ctl::{Acc, Ctl};
pub use esr::{Enc, Esr, SysregIss};
pub use route::{merge, route, route_from, sysreg_trap, sysreg_trap_from, Cause, Route};

/// Coverage figures, counted per encoding the way Linux KVM counts its
/// "coarse grained" / "fine grained trap handlers".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// Encodings described by the table.
    pub encodings: usize,
    /// Encodings with at least one coarse-trap rule.
    pub coarse: usize,
    /// Encodings with a fine-grained-trap bit (read, write or instruction).
    pub fine: usize,
    /// Coarse rules summed over the encodings ((encoding, control) pairs):
    /// dropping one rule of a row that keeps others lowers this figure.
    pub coarse_rules: usize,
    /// Fine-grained bindings summed over the encodings ((encoding,
    /// direction) pairs with an FGT bit).
    pub fine_bindings: usize,
}

/// Counts the table (see [`Coverage`]).
pub fn coverage() -> Coverage {
    let mut c = Coverage {
        encodings: 0,
        coarse: 0,
        fine: 0,
        coarse_rules: 0,
        fine_bindings: 0,
    };
    table::for_each_encoding(|_, hit| {
        c.encodings += 1;
        c.coarse_rules += hit.desc.coarse.len();
        c.fine_bindings += usize::from(hit.desc.fr.is_some()) + usize::from(hit.desc.fw.is_some());
        if !hit.desc.coarse.is_empty() {
            c.coarse += 1;
        }
        if hit.desc.fr.is_some() || hit.desc.fw.is_some() {
            c.fine += 1;
        }
    });
    c
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod reference_tests;

#[cfg(test)]
mod mutant_tests;
