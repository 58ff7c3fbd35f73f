//! The architectural vocabulary of the project, each fact defined once and
//! used by `el2` (L0), `fgt` (trap routing), `at-emul` (walkers) and
//! `nested` (the virtual EL2):
//!
//! - [`esr`]: syndromes (ESR_ELx classes and ISS layouts, the data-abort
//!   ISS both ways) and system-register encodings.
//! - [`regs`]: the fields of the EL2 control registers (HCR_EL2, HCRX_EL2,
//!   MDCR_EL2, CPTR_EL2, CNTHCTL_EL2, VTCR_EL2, VTTBR_EL2, HPFAR_EL2),
//!   PSTATE/SPSR, and the GICv3 virtual interface registers.
//!
//! Field positions come from the Arm ARM (DDI 0487) register descriptions
//! (chapter D24, "AArch64 System Register Descriptions") and the GICv3
//! architecture specification (IHI 0069, chapter 12). `no_std`, no
//! allocation, nothing that can panic.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

pub mod esr;
pub mod regs;

pub use esr::{ec, DataAbort, Enc, Esr, SysregIss};
