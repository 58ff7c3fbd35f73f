//! The lookup loop shared by stage 1 and stage 2 (Arm ARM D8.3, "Translation
//! table walk"; pseudocode AArch64.S1Walk / AArch64.S2Walk). Regime-specific
//! decoding (TCR/VTCR fields, permissions, attributes) lives in `s1`/`s2`.

use crate::{Access, DescReader, DescUpdate, Fault, FaultKind, Granule, Ipa, Pa};

/// A mask of the low `n` bits (all ones for `n >= 64`).
pub(crate) const fn mask(n: u32) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// `v >> s`, zero when `s >= 64`.
pub(crate) const fn shr(v: u64, s: u32) -> u64 {
    if s >= 64 {
        0
    } else {
        v >> s
    }
}

/// Descriptor bits used by the walk (Arm ARM D8.3.1, D8.3.2).
pub(crate) mod desc {
    /// Bit 1: table (levels < 3) or page (level 3); 0 is a block.
    pub const TABLE: u64 = 1 << 1;
    /// Access flag.
    pub const AF: u64 = 1 << 10;
    /// `AP[2]` (stage 1) / `S2AP[1]` (stage 2).
    pub const AP2: u64 = 1 << 7;
    /// Dirty bit modifier.
    pub const DBM: u64 = 1 << 51;
    /// Contiguous hint.
    pub const CONTIG: u64 = 1 << 52;
}

/// The decoded, validated parameters of one walk.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Params {
    pub stage2: bool,
    pub gran: Granule,
    pub inputsize: u32,
    pub start_level: i8,
    pub outputsize: u32,
    pub ds: bool,
    pub ha: bool,
    pub hd: bool,
    pub ttb: u64,
    pub big_endian: bool,
    pub pamax: u32,
}

/// The leaf descriptor a walk ends on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Leaf {
    /// The descriptor as the hardware uses it: after the FEAT_HAFDBS
    /// changes (AF set, dirty state) it would write back.
    pub desc: u64,
    /// The write the hardware performs, if any (addressed by `desc_addr`,
    /// which for a stage 1 under stage 2 is an IPA the caller translates).
    pub update: Option<DescUpdate>,
    /// Address of the leaf descriptor before any stage-2 translation.
    pub desc_addr: u64,
    /// APTable/XNTable/PXNTable/NSTable gathered from table descriptors:
    /// bits 0..5 = descriptor bits 59..63.
    pub tableattrs: u8,
    pub level: i8,
    /// The output address (block base + input offset).
    pub oa: u64,
    /// log2 of the block or page size.
    pub block_bits: u32,
}

/// Whether a block descriptor is allowed at `level` (Arm ARM D8.3.1,
/// pseudocode AArch64.BlockDescSupported).
fn block_valid(p: &Params, level: i8) -> bool {
    match p.gran {
        Granule::K4 => (level == 0 && p.ds) || level == 1 || level == 2,
        Granule::K16 => (level == 1 && p.ds) || level == 2,
        Granule::K64 => (level == 1 && p.pamax == 52) || level == 2,
    }
}

/// Walks the tables for `addr`. `xlate` turns a descriptor address into the
/// physical address to read (identity, or a stage-2 walk for S1PTW) and
/// returns the fault of that translation as is.
pub(crate) fn walk<M, X>(
    p: &Params,
    addr: u64,
    access: Access,
    mem: &mut M,
    xlate: &mut X,
) -> Result<Leaf, Fault>
where
    M: DescReader + ?Sized,
    X: FnMut(&mut M, u64) -> Result<u64, Fault>,
{
    let fault = |kind, level| Fault {
        kind,
        level,
        stage2: p.stage2,
        s1ptw: false,
        ipa: if p.stage2 { Some(Ipa(addr)) } else { None },
    };
    let stride = p.gran.stride();
    let grain_mask = mask(stride + 3);
    let mut level = p.start_level;
    if !(-1..=3).contains(&level) {
        return Err(fault(FaultKind::Translation, 0));
    }
    let first_shift = stride * (4 - level) as u32;
    let mut indexmask = mask(p.inputsize.saturating_sub(first_shift));

    // The base address: TTBR.BADDR, with BADDR[51:48] in TTBR[5:2] for a
    // 52-bit OA (Arm ARM D8.2.4). A base above the OA size is an Address
    // size fault at level 0 (QEMU reports level 0, as the pseudocode does
    // for AArch64.S1Walk's baseaddress check).
    let mut descaddr = p.ttb & mask(48);
    if p.outputsize > 48 {
        descaddr |= ((p.ttb >> 2) & 0xf) << 48;
    } else if shr(descaddr, p.outputsize) != 0 {
        return Err(fault(FaultKind::AddressSize, 0));
    }
    // Low bits below the (possibly concatenated) table size are RES0 and
    // ignored, like QEMU does.
    descaddr &= !indexmask;
    let descaddrmask = if p.ds { mask(50) } else { mask(48) } & !grain_mask;
    let mut tableattrs = 0u8;

    loop {
        let shift = stride * (4 - level) as u32;
        descaddr |= shr(addr, shift) & indexmask;
        descaddr &= !7;
        let pa = xlate(mem, descaddr)?;
        let raw = mem
            .read_desc(Pa(pa))
            .map_err(|_| fault(FaultKind::ExternalAbortOnWalk, level))?;
        let d = if p.big_endian { raw.swap_bytes() } else { raw };

        if d & 1 == 0 || (d & desc::TABLE == 0 && !block_valid(p, level)) {
            return Err(fault(FaultKind::Translation, level));
        }
        // Next-level table or output address, with the 52-bit OA layouts:
        // FEAT_LPA2 (DS) puts OA[51:50] in bits [9:8], FEAT_LPA (64KB) puts
        // OA[51:48] in bits [15:12] (Arm ARM D8.3.1).
        let mut oa = d & descaddrmask;
        if p.outputsize > 48 {
            if p.ds {
                oa |= ((d >> 8) & 3) << 50;
            } else {
                oa |= ((d >> 12) & 0xf) << 48;
            }
        } else if shr(oa, p.outputsize) != 0 {
            return Err(fault(FaultKind::AddressSize, level));
        }

        if d & desc::TABLE != 0 && level < 3 {
            tableattrs |= ((d >> 59) & 0x1f) as u8;
            level += 1;
            indexmask = grain_mask;
            descaddr = oa;
            continue;
        }

        let block_bits = shift + 3;
        let oa = (oa & !mask(block_bits)) | (addr & mask(block_bits));
        let mut new = d;
        // Access flag (Arm ARM D8.5.1): hardware sets it with TCR.HA, else
        // an Access flag fault. Checked before permissions (R_XCHFJ order).
        if d & desc::AF == 0 {
            if p.ha {
                new |= desc::AF;
            } else {
                return Err(fault(FaultKind::AccessFlag, level));
            }
        }
        // Dirty state (Arm ARM D8.5.2): a write to a DBM descriptor makes it
        // writable-dirty: AP[2] cleared (stage 1), S2AP[1] set (stage 2).
        if p.hd && d & desc::DBM != 0 && access == Access::Write {
            if p.stage2 {
                new |= desc::AP2;
            } else {
                new &= !desc::AP2;
            }
        }
        let update = (new != d).then(|| DescUpdate {
            pa: Pa(pa),
            old: raw,
            new: if p.big_endian { new.swap_bytes() } else { new },
        });
        return Ok(Leaf {
            desc: new,
            update,
            desc_addr: descaddr,
            tableattrs,
            level,
            oa,
            block_bits,
        });
    }
}
