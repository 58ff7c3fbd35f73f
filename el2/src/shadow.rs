//! The target side of the shadow stage 2: `nested`'s cache over L0's own
//! stage-2 tables (`el2::stage2`, pages from L0's pool, TLB maintenance on
//! this CPU broadcast to the others), each shadow with a hardware VMID from
//! the VM's allocator.

use el2::stage2::{MapError, S2Attrs, Stage2};
use el2::vmid::VmidAllocator;
use nested::shadow_s2::{Mapping, ShadowAlloc, ShadowTables};

use crate::mm::{HwTlb, PoolTables};

/// One shadow: tables and their VMID.
pub struct Shadow {
    s2: Stage2,
}

impl ShadowTables for Shadow {
    fn map(&mut self, m: &Mapping) -> bool {
        let r = self.s2.map(
            m.ipa,
            m.pa,
            m.size,
            S2Attrs(m.attrs),
            &mut PoolTables,
            &mut HwTlb,
        );
        !matches!(r, Err(MapError::NoMemory))
    }
    fn unmap(&mut self, ipa: u64, size: u64) {
        // A TLBI by IPA removes every entry that contains the IPA, whatever
        // its size: the leaves holding the first and the last byte go
        // whole, everything between in bulk.
        let page = el2::stage2::PAGE;
        let end = ipa.saturating_add(size.max(1));
        let mut lo = ipa & !(page - 1);
        let mut hi = end.next_multiple_of(page);
        for a in [ipa, end - 1] {
            if let Some(l) = self.s2.translate(a, &PoolTables) {
                let bs = 1u64 << (39 - 9 * l.level as u32);
                let base = a & !(bs - 1);
                lo = lo.min(base);
                hi = hi.max(base + bs);
            }
        }
        let hi = hi.min(1u64 << self.s2.ipa_bits());
        if lo < hi {
            // Aligned and in range by construction, so it fails only when
            // a block cannot be split for lack of memory: then everything
            // goes, which is always correct for a shadow.
            if self
                .s2
                .unmap(lo, hi - lo, &mut PoolTables, &mut HwTlb)
                .is_err()
            {
                self.clear();
            }
        }
    }
    fn clear(&mut self) {
        self.s2.clear(&mut PoolTables, &mut HwTlb);
    }
    fn vttbr(&self) -> u64 {
        self.s2.vttbr()
    }
}

/// Makes shadows: the IPA size of L0's own stage 2, VMIDs from `vmids`.
pub struct Alloc {
    pub parange: u64,
    pub vmids: VmidAllocator,
}

impl ShadowAlloc for Alloc {
    type Tables = Shadow;
    fn create(&mut self) -> Option<Shadow> {
        let vmid = self.vmids.alloc()?;
        match Stage2::new(vmid, self.parange, &mut PoolTables) {
            Ok(s2) => Some(Shadow { s2 }),
            Err(_) => {
                self.vmids.free(vmid);
                None
            }
        }
    }
    fn destroy(&mut self, t: Shadow) {
        let vmid = t.s2.vmid();
        t.s2.destroy(&mut PoolTables, &mut HwTlb);
        self.vmids.free(vmid);
    }
}
