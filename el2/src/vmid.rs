//! VMID allocation (Arm ARM D8.18 "VMID and ASID"; VTTBR_EL2.VMID). VMID 0
//! is never handed out (it stays the reset value of VTTBR_EL2), VMID 1 is
//! the first guest's. Shadow stage 2s of a guest hypervisor each take one
//! and give it back when they are evicted, after their TLB entries are
//! invalidated, so any number of L1 VMIDs fits into a bounded set.

use alloc::vec;
use alloc::vec::Vec;

/// A set of free VMIDs of the width the CPU implements.
#[derive(Debug)]
pub struct VmidAllocator {
    /// One bit per VMID; set = in use.
    used: Vec<u64>,
    /// Next VMID to try (allocation goes round, so a VMID just freed is
    /// reused last and stale TLB entries have the longest time to go).
    next: usize,
    count: usize,
}

impl VmidAllocator {
    /// All VMIDs of a `bits`-bit VMID space (8 or 16, from
    /// ID_AA64MMFR1_EL1.VMIDBits) free except 0.
    pub fn new(bits: u32) -> Self {
        let n = 1usize << bits.clamp(1, 16);
        let mut used = vec![0u64; n.div_ceil(64)];
        used[0] |= 1;
        VmidAllocator {
            used,
            next: 1,
            count: n,
        }
    }

    /// Number of VMIDs in the space (0 included).
    pub fn capacity(&self) -> usize {
        self.count
    }

    /// A free VMID, or None when all are in use.
    pub fn alloc(&mut self) -> Option<u16> {
        for k in 0..self.count {
            let v = (self.next + k) % self.count;
            let (w, b) = (v / 64, v % 64);
            if self.used[w] & (1 << b) == 0 {
                self.used[w] |= 1 << b;
                self.next = (v + 1) % self.count;
                return Some(v as u16);
            }
        }
        None
    }

    /// Gives `vmid` back (its TLB entries must be gone). Freeing 0 or a free
    /// VMID does nothing.
    pub fn free(&mut self, vmid: u16) {
        let v = usize::from(vmid);
        if v != 0 && v < self.count {
            self.used[v / 64] &= !(1 << (v % 64));
        }
    }

    /// Whether `vmid` is handed out.
    pub fn in_use(&self, vmid: u16) -> bool {
        let v = usize::from(vmid);
        v < self.count && self.used[v / 64] & (1 << (v % 64)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_every_vmid_once_but_zero() {
        let mut a = VmidAllocator::new(8);
        let mut got: Vec<u16> = (0..255).map(|_| a.alloc().unwrap()).collect();
        assert_eq!(a.alloc(), None);
        got.sort_unstable();
        assert_eq!(got, (1..=255).collect::<Vec<u16>>());
        a.free(77);
        assert!(!a.in_use(77));
        assert_eq!(a.alloc(), Some(77));
        a.free(0);
        assert!(a.in_use(0));
    }

    #[test]
    fn freed_vmids_are_reused_last() {
        let mut a = VmidAllocator::new(16);
        assert_eq!(a.capacity(), 65536);
        let first = a.alloc().unwrap();
        a.free(first);
        let second = a.alloc().unwrap();
        assert_ne!(first, second);
    }
}
