//! How L0's guest images are described and placed.
//!
//! - [`image`]: the arm64 Linux `Image` header (Linux
//!   Documentation/arch/arm64/booting.rst) and where an image must run in the
//!   guest's RAM.
//! - [`dtb`]: the guest's device tree, built from the host (QEMU) DTB with a
//!   pass-through policy.
//!
//! Pure logic, `no_std` + `alloc`: L0 (`el2`) calls it at boot, the host runs
//! its tests. No input makes it panic: every failure is a typed error with a
//! `Display` message.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod dtb;
pub mod image;

use core::fmt;

/// A range of guest physical (intermediate physical) address space,
/// `[base, base + size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MemRange {
    /// First byte.
    pub base: u64,
    /// Length in bytes.
    pub size: u64,
}

impl MemRange {
    /// The range `[base, base + size)`.
    pub const fn new(base: u64, size: u64) -> Self {
        Self { base, size }
    }

    /// One past the last byte, or `None` when that does not fit in 64 bits
    /// (a range ending exactly at 2^64 is not representable here either).
    pub const fn end(&self) -> Option<u64> {
        self.base.checked_add(self.size)
    }

    /// True when the range is non-empty and its end fits in 64 bits.
    pub const fn is_valid(&self) -> bool {
        self.size != 0 && self.end().is_some()
    }

    /// True when every byte of `other` is in `self` (both must be valid).
    pub fn contains_range(&self, other: &MemRange) -> bool {
        match (self.end(), other.end()) {
            (Some(e), Some(oe)) => other.base >= self.base && oe <= e,
            _ => false,
        }
    }

    /// True when the ranges share at least one byte. Empty ranges overlap
    /// nothing; a range whose end overflows is treated as reaching 2^64.
    pub fn overlaps(&self, other: &MemRange) -> bool {
        if self.size == 0 || other.size == 0 {
            return false;
        }
        let end = |r: &MemRange| u128::from(r.base) + u128::from(r.size);
        u128::from(self.base) < end(other) && u128::from(other.base) < end(self)
    }
}

impl fmt::Display for MemRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end() {
            Some(e) => write!(f, "[{:#x}, {:#x})", self.base, e),
            None => write!(f, "[{:#x}, +{:#x} overflows)", self.base, self.size),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let a = MemRange::new(0x1000, 0x1000);
        assert!(a.is_valid());
        assert!(a.contains_range(&MemRange::new(0x1800, 0x800)));
        assert!(!a.contains_range(&MemRange::new(0x1800, 0x801)));
        assert!(a.overlaps(&MemRange::new(0x1fff, 1)));
        assert!(!a.overlaps(&MemRange::new(0x2000, 1)));
        assert!(!a.overlaps(&MemRange::new(0x1800, 0)));
        assert!(!MemRange::new(u64::MAX, 2).is_valid());
        assert!(MemRange::new(u64::MAX - 1, 4).overlaps(&MemRange::new(u64::MAX, 1)));
        assert_eq!(std::format!("{a}"), "[0x1000, 0x2000)");
    }
}
