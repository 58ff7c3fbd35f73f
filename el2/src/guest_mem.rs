//! Reading a guest's memory by guest address, for walking the tables a
//! guest hypervisor names (its stage 2 and stage 1). Only the guest's RAM
//! can be read: any address outside it (L0's own memory, MMIO, nothing at
//! all) is refused, so no table pointer an L1 writes can make L0 read its
//! own memory or touch a device. The guest's RAM is identity-mapped at L0's
//! stage 2 (IPA = PA), so an accepted address is read at the same PA.

use at_emul::{DescReader, ExternalAbort, Pa};
use guests::MemRange;

/// Physical memory as L0 reads it (identity-mapped at EL2 on the target,
/// a fake in host tests).
pub trait PhysRead {
    /// The 64-bit little-endian value at `pa` (8-byte aligned, inside a
    /// range the caller checked).
    fn read_u64(&self, pa: u64) -> u64;
}

/// A guest's RAM as a table walker sees it.
#[derive(Clone, Copy)]
pub struct GuestMemory<'a, P> {
    ram: &'a [MemRange],
    phys: &'a P,
}

impl<'a, P: PhysRead> GuestMemory<'a, P> {
    /// The guest whose RAM (guest physical = host physical) is `ram`.
    pub fn new(ram: &'a [MemRange], phys: &'a P) -> Self {
        GuestMemory { ram, phys }
    }

    /// Whether the 8 bytes at `addr` are guest RAM.
    pub fn owns(&self, addr: u64) -> bool {
        let r = MemRange::new(addr, 8);
        r.is_valid() && self.ram.iter().any(|m| m.contains_range(&r))
    }

    /// The 64-bit value at guest address `addr`, or None when it is not
    /// 8-byte aligned guest RAM.
    pub fn read_u64(&self, addr: u64) -> Option<u64> {
        (addr.is_multiple_of(8) && self.owns(addr)).then(|| self.phys.read_u64(addr))
    }
}

impl<P: PhysRead> DescReader for GuestMemory<'_, P> {
    /// A descriptor read outside the guest's RAM is an External abort on
    /// the walk, as for a table in memory that does not exist.
    fn read_desc(&mut self, pa: Pa) -> Result<u64, ExternalAbort> {
        self.read_u64(pa.0).ok_or(ExternalAbort)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;

    struct Fake(Cell<u32>);
    impl PhysRead for Fake {
        fn read_u64(&self, pa: u64) -> u64 {
            self.0.set(self.0.get() + 1);
            pa ^ 0x5a5a
        }
    }

    #[test]
    fn only_guest_ram_is_read() {
        let ram = [MemRange::new(0x4400_0000, 0x3c00_0000)];
        let f = Fake(Cell::new(0));
        let mut m = GuestMemory::new(&ram, &f);
        assert_eq!(m.read_u64(0x4400_0000), Some(0x4400_5a5a));
        assert_eq!(m.read_u64(0x7fff_fff8), Some(0x7fff_fff8 ^ 0x5a5a));
        // L0's memory, MMIO, past the end, unaligned, wrapping.
        for a in [
            0x4000_0000,
            0x43ff_fff8,
            0x0800_0000,
            0x8000_0000,
            0x7fff_fffc,
            0x4400_0004,
            u64::MAX - 7,
        ] {
            assert_eq!(m.read_u64(a), None, "{a:#x}");
            assert_eq!(m.read_desc(Pa(a)), Err(ExternalAbort));
        }
        assert_eq!(f.0.get(), 2, "refused addresses are never read");
    }
}
