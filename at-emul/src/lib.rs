//! `at-emul`: a software model of the VMSAv8-64 translation table walk and of
//! the AArch64 `AT` address-translation instructions.
//!
//! The nested-virtualization core needs it twice: to walk a guest
//! hypervisor's stage-2 tables (to build shadow stage-2 entries and to turn a
//! fault into ESR_EL2/HPFAR_EL2 values for that guest), and to emulate `AT`
//! instructions the guest hypervisor issues, whose PAR_EL1 answer must be the
//! one hardware gives.
//!
//! * [`s2::walk`] walks stage 2 (VTTBR_EL2/VTCR_EL2), Arm ARM D8.2, D8.3.
//! * [`s1::walk`] walks stage 1 of the EL1&0, EL2 and EL2&0 regimes, with
//!   every table read optionally translated by stage 2 (the S1PTW case).
//! * [`at::emulate`] gives the PAR_EL1 value of an `AT` instruction.
//!
//! Memory is reached only through [`DescReader`], so the same code walks a
//! guest's memory on the target and a fake memory in host tests. Nothing here
//! panics: every register value and table content gives a result or a fault.
//!
//! Where the architecture leaves a choice to the implementation, the model
//! follows QEMU's `-cpu max` (QEMU 10.0, `target/arm/ptw.c`), the reference
//! hardware of this project; each such place says so.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

pub mod at;
pub mod attrs;
pub mod features;
pub mod s1;
pub mod s2;
mod walk;

pub use at::{emulate, emulate_detailed, AtOp, AtResult, Par, RegSnapshot};
pub use features::Features;

/// A virtual address (stage-1 input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Va(pub u64);

/// An intermediate physical address (stage-1 output, stage-2 input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipa(pub u64);

/// A physical address (final output; also where descriptors are read).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pa(pub u64);

/// The kind of access a walk is made for (Arm ARM D8.4, permission checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// A data read.
    Read,
    /// A data write.
    Write,
    /// An instruction fetch.
    Exec,
}

/// No memory answered at a descriptor's physical address: the walk takes a
/// synchronous External abort on translation table walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExternalAbort;

/// Reads translation table descriptors from physical memory.
///
/// The walker asks for naturally aligned 64-bit loads only and applies the
/// regime's endianness (SCTLR_ELx.EE) itself: implementations return the
/// eight bytes at `pa` as a little-endian `u64`.
pub trait DescReader {
    /// Reads the 64-bit value at physical address `pa` (8-byte aligned).
    ///
    /// # Errors
    /// [`ExternalAbort`] when nothing answers at `pa`.
    fn read_desc(&mut self, pa: Pa) -> Result<u64, ExternalAbort>;
}

/// The translation granule (Arm ARM D8.2.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Granule {
    /// 4KB granule.
    K4,
    /// 16KB granule.
    K16,
    /// 64KB granule.
    K64,
}

impl Granule {
    /// log2 of the granule size in bytes.
    #[must_use]
    pub const fn bits(self) -> u32 {
        match self {
            Granule::K4 => 12,
            Granule::K16 => 14,
            Granule::K64 => 16,
        }
    }
    /// Address bits resolved per lookup level (granule bits - 3).
    #[must_use]
    pub const fn stride(self) -> u32 {
        self.bits() - 3
    }
    /// Decodes TCR_ELx.TG0 / VTCR_EL2.TG0 (0b00 4KB, 0b01 64KB, 0b10 16KB).
    /// The reserved value 0b11 is treated as 4KB, the IMPLEMENTATION DEFINED
    /// choice QEMU makes (`sanitize_gran_size`), Arm ARM D8.2.7 / R_YBGLV.
    #[must_use]
    pub const fn from_tg0(tg0: u64) -> Self {
        match tg0 & 3 {
            1 => Granule::K64,
            2 => Granule::K16,
            _ => Granule::K4,
        }
    }
    /// Decodes TCR_ELx.TG1 (0b01 16KB, 0b10 4KB, 0b11 64KB; 0b00 reserved,
    /// treated as 4KB like QEMU).
    #[must_use]
    pub const fn from_tg1(tg1: u64) -> Self {
        match tg1 & 3 {
            1 => Granule::K16,
            3 => Granule::K64,
            _ => Granule::K4,
        }
    }
}

/// The kind of a translation fault (Arm ARM D8.15, the Fault status codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// Translation fault.
    Translation,
    /// Address size fault.
    AddressSize,
    /// Access flag fault.
    AccessFlag,
    /// Permission fault.
    Permission,
    /// Synchronous External abort on translation table walk.
    ExternalAbortOnWalk,
}

/// A translation fault as the architecture reports it: enough to build an
/// ESR_ELx ISS (DFSC/IFSC, S1PTW), FAR and HPFAR_EL2, or a PAR_EL1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fault {
    /// What went wrong.
    pub kind: FaultKind,
    /// The lookup level (-1..=3) the fault is reported at.
    pub level: i8,
    /// True when the fault is a stage-2 fault (PAR_EL1.S, ESR to EL2).
    pub stage2: bool,
    /// True when a stage-2 fault happened on a stage-1 table walk access
    /// (ESR_ELx.ISS.S1PTW, PAR_EL1.PTW).
    pub s1ptw: bool,
    /// For stage-2 faults, the faulting IPA (for HPFAR_EL2).
    pub ipa: Option<Ipa>,
}

impl Fault {
    /// The 6-bit fault status code (ESR_ELx.ISS.DFSC, PAR_EL1.FST),
    /// Arm ARM D24.2 (ESR_EL2 DFSC table), including the FEAT_LPA2 level -1
    /// encodings.
    #[must_use]
    pub const fn fsc(&self) -> u8 {
        let l = self.level;
        // Access flag and Permission faults cannot happen at level -1.
        let l0 = if l < 0 { 0 } else { l as u8 };
        match self.kind {
            FaultKind::AddressSize => {
                if l < 0 {
                    0b10_1001
                } else {
                    (l as u8) & 3
                }
            }
            FaultKind::Translation => {
                if l < 0 {
                    0b10_1011
                } else {
                    0b00_0100 | ((l as u8) & 3)
                }
            }
            FaultKind::AccessFlag => 0b00_1000 | (l0 & 3),
            FaultKind::Permission => 0b00_1100 | (l0 & 3),
            FaultKind::ExternalAbortOnWalk => {
                if l < 0 {
                    0b01_0011
                } else {
                    0b01_0100 | ((l as u8) & 3)
                }
            }
        }
    }

    /// The Data Abort syndrome (EC 0x24/0x25) of this fault for an access
    /// that was a write when `write`: DFSC, WnR and S1PTW (the caller adds
    /// ISV/SAS/SRT when it has an instruction syndrome to report).
    #[must_use]
    pub const fn data_abort(&self, write: bool) -> arch::DataAbort {
        let mut d = arch::DataAbort::external(write);
        d.dfsc = self.fsc();
        d.s1ptw = self.s1ptw;
        d
    }

    /// The low ISS bits of a Data Abort for this fault: `DFSC[5:0]`,
    /// `WnR[6]` and `S1PTW[7]` ([`Fault::data_abort`] encoded).
    #[must_use]
    pub const fn dabt_iss(&self, write: bool) -> u32 {
        self.data_abort(write).encode()
    }

    /// The HPFAR_EL2 value for a stage-2 fault: FIPA (bits `[47:4]`) holds
    /// `IPA[55:12]` (Arm ARM D24.2, HPFAR_EL2). Zero when there is no IPA.
    #[must_use]
    pub const fn hpfar(&self) -> u64 {
        match self.ipa {
            Some(Ipa(ipa)) => arch::regs::hpfar::from_ipa(ipa),
            None => 0,
        }
    }
}

/// Permissions a translation grants, per accessing Exception level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Perms {
    /// Data reads allowed.
    pub read: bool,
    /// Data writes allowed.
    pub write: bool,
    /// Instruction fetches from EL0 allowed (stage 2: for an EL0 stage 1).
    pub exec_el0: bool,
    /// Instruction fetches from the privileged level allowed.
    pub exec_priv: bool,
}

impl Perms {
    /// Whether `access` (by EL0 when `el0`) is allowed.
    #[must_use]
    pub const fn allows(&self, access: Access, el0: bool) -> bool {
        match access {
            Access::Read => self.read,
            Access::Write => self.write,
            Access::Exec => {
                if el0 {
                    self.exec_el0
                } else {
                    self.exec_priv
                }
            }
        }
    }
}

/// A descriptor write the hardware performs as part of the walk (FEAT_HAFDBS:
/// setting AF, or the dirty state of a DBM descriptor). The walker never
/// writes; a caller that emulates the hardware applies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DescUpdate {
    /// Physical address of the descriptor.
    pub pa: Pa,
    /// Value read.
    pub old: u64,
    /// Value to store (compare-and-swap against `old`).
    pub new: u64,
}
