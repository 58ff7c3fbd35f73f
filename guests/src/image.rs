//! The arm64 Linux `Image` header and where an image must run.
//!
//! Facts from Linux Documentation/arch/arm64/booting.rst, "Call the kernel
//! image" (the header) and the placement rules that follow it:
//!
//! | offset | field         | meaning                                          |
//! |--------|---------------|--------------------------------------------------|
//! | 0      | `code0`       | executable code (a branch to the real entry)     |
//! | 4      | `code1`       | executable code                                  |
//! | 8      | `text_offset` | image load offset from a 2 MiB-aligned base, LE  |
//! | 16     | `image_size`  | effective image size (including BSS), LE         |
//! | 24     | `flags`       | informative flags, LE                            |
//! | 32..56 | `res2..res4`  | reserved                                         |
//! | 56     | `magic`       | `"ARM\x64"` (0x644d5241 read little-endian)      |
//! | 60     | `res5`        | reserved (the PE/COFF header offset for EFI)     |
//!
//! Flags: bit 0 kernel endianness (1 = big-endian), bits 2:1 kernel page size
//! (0 unspecified, 1 4K, 2 16K, 3 64K), bit 3 physical placement (0: the
//! 2 MiB-aligned base should be as close as possible to the base of DRAM;
//! 1: anywhere, as long as all `image_size` bytes from the start of the image
//! are within the 48-bit physical address range). Bits 63:4 are reserved.
//!
//! Before Linux 3.17 `image_size` was zero and `text_offset` had no defined
//! endianness; booting.rst says a zero `image_size` means `text_offset` can be
//! assumed to be 0x80000 (and such images have no flags).

use crate::MemRange;
use core::fmt;

/// Length of the header in bytes.
pub const HEADER_LEN: usize = 64;
/// `"ARM\x64"` as the little-endian u32 at offset 56.
pub const MAGIC: u32 = u32::from_le_bytes(*b"ARM\x64");
/// `text_offset` to assume when `image_size` is zero (pre-3.17 kernels).
pub const LEGACY_TEXT_OFFSET: u64 = 0x8_0000;
/// Alignment of the base address `text_offset` is counted from.
pub const BASE_ALIGN: u64 = 2 << 20;
/// With [`PhysPlacement::Anywhere`] the image must end at or below this.
pub const PA_LIMIT_48: u64 = 1 << 48;

/// Kernel page size from flags bits 2:1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageSize {
    /// 0: not specified.
    Unspecified,
    /// 1: 4 KiB.
    K4,
    /// 2: 16 KiB.
    K16,
    /// 3: 64 KiB.
    K64,
}

/// Physical placement rule from flags bit 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhysPlacement {
    /// 0: the 2 MiB-aligned base should be as close as possible to the base
    /// of DRAM (memory below it is not reachable through the linear map).
    NearDramBase,
    /// 1: anywhere, with the whole image below 2^48.
    Anywhere,
}

/// The header's `flags` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageFlags(pub u64);

impl ImageFlags {
    const BE: u64 = 1 << 0;
    const PAGE_SIZE_SHIFT: u32 = 1;
    const PAGE_SIZE_MASK: u64 = 0b11;
    const PHYS_BASE: u64 = 1 << 3;

    /// Bit 0: the kernel is big-endian.
    pub const fn big_endian(self) -> bool {
        self.0 & Self::BE != 0
    }

    /// Bits 2:1: the kernel's page size.
    pub const fn page_size(self) -> PageSize {
        match (self.0 >> Self::PAGE_SIZE_SHIFT) & Self::PAGE_SIZE_MASK {
            0 => PageSize::Unspecified,
            1 => PageSize::K4,
            2 => PageSize::K16,
            _ => PageSize::K64,
        }
    }

    /// Bit 3: where the 2 MiB-aligned base may be.
    pub const fn placement(self) -> PhysPlacement {
        if self.0 & Self::PHYS_BASE != 0 {
            PhysPlacement::Anywhere
        } else {
            PhysPlacement::NearDramBase
        }
    }
}

/// A parsed and validated `Image` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageHeader {
    /// First instruction word.
    pub code0: u32,
    /// Second instruction word.
    pub code1: u32,
    /// Effective load offset from the 2 MiB-aligned base
    /// ([`LEGACY_TEXT_OFFSET`] for a legacy image).
    pub text_offset: u64,
    /// Effective image size including BSS; `None` for a legacy image
    /// (`image_size` zero), whose size is unknown.
    pub image_size: Option<u64>,
    /// Flags (all zero for a legacy image).
    pub flags: ImageFlags,
    /// `res5`: the PE/COFF header offset of EFI-stub kernels, else 0.
    pub pe_offset: u32,
}

/// Why a header was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// Fewer than [`HEADER_LEN`] bytes.
    TooShort {
        /// Bytes available.
        len: usize,
    },
    /// The u32 at offset 56 is not `"ARM\x64"`.
    BadMagic {
        /// The value found (read little-endian).
        found: u32,
    },
    /// Flags bit 0 says big-endian; L0 runs little-endian guests only.
    BigEndian,
    /// `image_size` is non-zero but smaller than the header itself.
    ImageSizeTooSmall {
        /// The header's `image_size`.
        image_size: u64,
    },
    /// `text_offset` is not a multiple of 4, so the entry point (the first
    /// byte of the image) would not be a valid instruction address (A64
    /// instructions are 4-byte aligned; Arm ARM, "PC alignment checking").
    MisalignedTextOffset {
        /// The header's `text_offset`.
        text_offset: u64,
    },
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ImageError::TooShort { len } => write!(
                f,
                "not an arm64 Image: {len} bytes, the header alone is {HEADER_LEN}"
            ),
            ImageError::BadMagic { found } => write!(
                f,
                "not an arm64 Image: magic at offset 56 is {found:#010x}, expected {MAGIC:#010x} (\"ARM\\x64\")"
            ),
            ImageError::BigEndian => {
                write!(f, "arm64 Image is big-endian (flags bit 0); only little-endian guests are supported")
            }
            ImageError::ImageSizeTooSmall { image_size } => write!(
                f,
                "arm64 Image header says image_size = {image_size:#x}, smaller than the {HEADER_LEN}-byte header"
            ),
            ImageError::MisalignedTextOffset { text_offset } => write!(
                f,
                "arm64 Image text_offset {text_offset:#x} is not 4-byte aligned: the entry point would be misaligned"
            ),
        }
    }
}

fn le_u32(b: &[u8], off: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = b.get(off..off + 4) {
        w.copy_from_slice(s);
    }
    u32::from_le_bytes(w)
}

fn le_u64(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(s) = b.get(off..off + 8) {
        w.copy_from_slice(s);
    }
    u64::from_le_bytes(w)
}

impl ImageHeader {
    /// Parses the header at the start of `bytes` (the image as loaded; only
    /// the first [`HEADER_LEN`] bytes are read).
    ///
    /// # Errors
    /// [`ImageError`] when `bytes` is too short, the magic is wrong, the image
    /// is big-endian, `image_size` is smaller than the header, or
    /// `text_offset` is misaligned.
    pub fn parse(bytes: &[u8]) -> Result<ImageHeader, ImageError> {
        let Some(h) = bytes.get(..HEADER_LEN) else {
            return Err(ImageError::TooShort { len: bytes.len() });
        };
        let magic = le_u32(h, 56);
        if magic != MAGIC {
            return Err(ImageError::BadMagic { found: magic });
        }
        let raw_size = le_u64(h, 16);
        let (text_offset, image_size, flags) = if raw_size == 0 {
            (LEGACY_TEXT_OFFSET, None, ImageFlags(0))
        } else {
            (le_u64(h, 8), Some(raw_size), ImageFlags(le_u64(h, 24)))
        };
        if flags.big_endian() {
            return Err(ImageError::BigEndian);
        }
        if let Some(s) = image_size {
            if s < HEADER_LEN as u64 {
                return Err(ImageError::ImageSizeTooSmall { image_size: s });
            }
        }
        if text_offset % 4 != 0 {
            return Err(ImageError::MisalignedTextOffset { text_offset });
        }
        Ok(ImageHeader {
            code0: le_u32(h, 0),
            code1: le_u32(h, 4),
            text_offset,
            image_size,
            flags,
            pe_offset: le_u32(h, 60),
        })
    }

    /// True for a pre-3.17 header (`image_size` zero).
    pub const fn is_legacy(&self) -> bool {
        self.image_size.is_none()
    }

    /// Bytes the running image occupies from its first byte: `image_size`
    /// (which includes BSS), or the loaded length when that is larger or the
    /// header is legacy (booting.rst then asks to leave as much memory as
    /// possible free after the image; the kernel's own allocator handles it).
    pub fn footprint(&self, loaded_len: u64) -> u64 {
        match self.image_size {
            Some(s) => s.max(loaded_len),
            None => loaded_len,
        }
    }
}

/// Where an image must run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The 2 MiB-aligned base `text_offset` counts from. It may lie below the
    /// guest's RAM: booting.rst gives the region between the base and the
    /// image no significance (our test payloads use the board's DRAM base,
    /// which L0 keeps).
    pub base: u64,
    /// Where the image's first byte (the entry point) goes: `base + text_offset`.
    pub load: u64,
    /// Bytes reserved from `load` ([`ImageHeader::footprint`]).
    pub size: u64,
    /// True when `load` differs from where the loader put the image, so the
    /// caller must copy the loaded bytes there (the destination never
    /// overlaps the source).
    pub copy: bool,
}

impl Placement {
    /// The range the running image occupies.
    pub const fn range(&self) -> MemRange {
        MemRange::new(self.load, self.size)
    }
}

/// Why no placement was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaceError {
    /// An input range is empty or wraps past 2^64.
    BadRange {
        /// Which input.
        what: &'static str,
        /// Its value.
        range: MemRange,
    },
    /// The loaded image is shorter than its own header.
    LoadedTooShort {
        /// Loaded length.
        len: u64,
    },
    /// The image is larger than the guest's RAM.
    TooLarge {
        /// Bytes the image needs.
        size: u64,
        /// The guest RAM.
        ram: MemRange,
    },
    /// Every candidate position overlaps another module, leaves RAM, or
    /// breaks the header's 48-bit placement rule.
    NoRoom {
        /// Bytes the image needs.
        size: u64,
        /// The image's text_offset.
        text_offset: u64,
        /// The guest RAM.
        ram: MemRange,
    },
}

impl fmt::Display for PlaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PlaceError::BadRange { what, range } => {
                write!(f, "image placement: {what} {range} is empty or wraps around")
            }
            PlaceError::LoadedTooShort { len } => write!(
                f,
                "image placement: the loaded image is {len:#x} bytes, shorter than its {HEADER_LEN}-byte header"
            ),
            PlaceError::TooLarge { size, ram } => write!(
                f,
                "image placement: the image needs {size:#x} bytes but guest RAM {ram} is smaller"
            ),
            PlaceError::NoRoom { size, text_offset, ram } => write!(
                f,
                "image placement: no 2 MiB-aligned base + text_offset {text_offset:#x} puts {size:#x} bytes inside guest RAM {ram} clear of the other modules"
            ),
        }
    }
}

/// Decides where the image described by `hdr` runs.
///
/// `loaded` is where the loader put the image (its file length), `ram` the
/// guest's RAM, `avoid` the other modules (DTB, initrd...) the running image
/// must not overlap (do not list the image itself).
///
/// The image runs in place when `loaded.base - text_offset` is 2 MiB aligned
/// and its footprint fits in RAM clear of `avoid` (and, with
/// [`PhysPlacement::Anywhere`], below 2^48). Otherwise it is copied to the
/// lowest such position that also does not overlap `loaded` (lowest
/// also satisfies [`PhysPlacement::NearDramBase`]).
///
/// Our own test payloads are linked at a fixed address and are not
/// position-independent: they only work when placed in place at their link
/// address, which is what happens when the loader puts them there.
///
/// # Errors
/// [`PlaceError`] when an input range is invalid or no position fits.
pub fn place(
    hdr: &ImageHeader,
    loaded: MemRange,
    ram: MemRange,
    avoid: &[MemRange],
) -> Result<Placement, PlaceError> {
    if !ram.is_valid() {
        return Err(PlaceError::BadRange {
            what: "guest RAM",
            range: ram,
        });
    }
    if loaded.end().is_none() {
        return Err(PlaceError::BadRange {
            what: "loaded image",
            range: loaded,
        });
    }
    if loaded.size < HEADER_LEN as u64 {
        return Err(PlaceError::LoadedTooShort { len: loaded.size });
    }
    let size = hdr.footprint(loaded.size);
    if size > ram.size {
        return Err(PlaceError::TooLarge { size, ram });
    }
    let t = hdr.text_offset;
    let fits = |load: u64, extra: Option<&MemRange>| -> bool {
        let r = MemRange::new(load, size);
        let Some(end) = r.end() else { return false };
        if !ram.contains_range(&r) {
            return false;
        }
        if hdr.flags.placement() == PhysPlacement::Anywhere && end > PA_LIMIT_48 {
            return false;
        }
        !avoid.iter().chain(extra).any(|a| a.overlaps(&r))
    };

    // In place: the loader already honoured the 2 MiB rule.
    if let Some(base) = loaded.base.checked_sub(t) {
        if base % BASE_ALIGN == 0 && fits(loaded.base, None) {
            return Ok(Placement {
                base,
                load: loaded.base,
                size,
                copy: false,
            });
        }
    }

    // Copy: the lowest valid position is either the first aligned one at or
    // above the RAM base, or the first aligned one just past an obstacle.
    let first_base = |at_least: u64| -> Option<u64> {
        let b = at_least.saturating_sub(t);
        let b = b.checked_add(BASE_ALIGN - 1)? & !(BASE_ALIGN - 1);
        // Aligning up may not reach `at_least` when `t` exceeds it; check.
        if b.checked_add(t)? >= at_least {
            Some(b)
        } else {
            None
        }
    };
    let obstacles = avoid.iter().chain(core::iter::once(&loaded));
    let mut best: Option<(u64, u64)> = None;
    let candidates = core::iter::once(ram.base).chain(obstacles.filter_map(|o| o.end()));
    for at_least in candidates {
        let Some(b) = first_base(at_least) else {
            continue;
        };
        let Some(load) = b.checked_add(t) else {
            continue;
        };
        if best.is_some_and(|(cur, _)| cur <= b) {
            continue;
        }
        if fits(load, Some(&loaded)) {
            best = Some((b, load));
        }
    }
    match best {
        Some((base, load)) => Ok(Placement {
            base,
            load,
            size,
            copy: true,
        }),
        None => Err(PlaceError::NoRoom {
            size,
            text_offset: t,
            ram,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    /// The first 64 bytes of Debian's linux-image-6.12.95+deb12-arm64 Image
    /// (an EFI-stub kernel: code0 is "MZ..", image_size 0x2b20000, flags 0xa).
    const DEBIAN_6_12: [u8; 64] = [
        0x4d, 0x5a, 0x40, 0xfa, 0x3b, 0x94, 0x73, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, //
        0, 0, 0xb2, 0x02, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, //
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
        0, 0, 0, 0, 0, 0, 0, 0, 0x41, 0x52, 0x4d, 0x64, 0x40, 0, 0, 0,
    ];

    fn header(text_offset: u64, image_size: u64, flags: u64) -> [u8; 64] {
        let mut h = [0u8; 64];
        h[0..4].copy_from_slice(&0x1400_0010u32.to_le_bytes());
        h[8..16].copy_from_slice(&text_offset.to_le_bytes());
        h[16..24].copy_from_slice(&image_size.to_le_bytes());
        h[24..32].copy_from_slice(&flags.to_le_bytes());
        h[56..60].copy_from_slice(b"ARM\x64");
        h
    }

    /// Like test-l2: linked at 0x4c000000 with RAM at 0x40000000.
    fn test_l2() -> ImageHeader {
        ImageHeader::parse(&header(0x0c00_0000, 0x1_2000, 0xa)).unwrap()
    }

    fn linux() -> ImageHeader {
        ImageHeader::parse(&DEBIAN_6_12).unwrap()
    }

    #[test]
    fn parses_debian_kernel() {
        let h = linux();
        assert_eq!(h.code0, 0xfa40_5a4d);
        assert_eq!(h.text_offset, 0);
        assert_eq!(h.image_size, Some(0x2b2_0000));
        assert_eq!(h.flags.page_size(), PageSize::K4);
        assert_eq!(h.flags.placement(), PhysPlacement::Anywhere);
        assert!(!h.flags.big_endian());
        assert_eq!(h.pe_offset, 0x40);
        assert!(!h.is_legacy());
    }

    #[test]
    fn flags_table() {
        let cases = [
            (0x0, PageSize::Unspecified, PhysPlacement::NearDramBase),
            (0x2, PageSize::K4, PhysPlacement::NearDramBase),
            (0x4, PageSize::K16, PhysPlacement::NearDramBase),
            (0xe, PageSize::K64, PhysPlacement::Anywhere),
        ];
        for (f, ps, pl) in cases {
            let h = ImageHeader::parse(&header(0, 0x1000, f)).unwrap();
            assert_eq!(
                (h.flags.page_size(), h.flags.placement()),
                (ps, pl),
                "flags {f:#x}"
            );
        }
    }

    #[test]
    fn errors() {
        assert_eq!(
            ImageHeader::parse(&DEBIAN_6_12[..63]),
            Err(ImageError::TooShort { len: 63 })
        );
        assert_eq!(
            ImageHeader::parse(&[]),
            Err(ImageError::TooShort { len: 0 })
        );
        let mut bad = DEBIAN_6_12;
        bad[59] = 0x65;
        assert_eq!(
            ImageHeader::parse(&bad),
            Err(ImageError::BadMagic { found: 0x654d_5241 })
        );
        assert_eq!(
            ImageHeader::parse(&header(0, 0x1000, 0xb)),
            Err(ImageError::BigEndian)
        );
        assert_eq!(
            ImageHeader::parse(&header(0, 0x20, 0xa)),
            Err(ImageError::ImageSizeTooSmall { image_size: 0x20 })
        );
        assert_eq!(
            ImageHeader::parse(&header(0x2, 0x1000, 0xa)),
            Err(ImageError::MisalignedTextOffset { text_offset: 2 })
        );
        // Every error has a message naming the problem.
        for e in [
            ImageError::TooShort { len: 3 },
            ImageError::BadMagic { found: 0 },
            ImageError::BigEndian,
            ImageError::ImageSizeTooSmall { image_size: 1 },
            ImageError::MisalignedTextOffset { text_offset: 1 },
        ] {
            let m = format!("{e}");
            assert!(m.contains("Image"), "{m}");
        }
    }

    #[test]
    fn legacy_defaults() {
        // image_size zero: text_offset and flags are not trusted.
        let h = ImageHeader::parse(&header(0x1234_5678, 0, 0xb)).unwrap();
        assert!(h.is_legacy());
        assert_eq!(h.text_offset, LEGACY_TEXT_OFFSET);
        assert_eq!(h.flags, ImageFlags(0));
        assert_eq!(h.footprint(0x9000), 0x9000);
    }

    #[test]
    fn parse_never_panics_on_any_prefix() {
        let mut junk = [0u8; 200];
        for (i, b) in junk.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        for n in 0..junk.len() {
            assert!(ImageHeader::parse(&junk[..n]).is_err());
        }
    }

    const RAM: MemRange = MemRange::new(0x4400_0000, 0x3c00_0000);

    #[test]
    fn test_payload_runs_in_place() {
        let p = place(&test_l2(), MemRange::new(0x4c00_0000, 0xd000), RAM, &[]).unwrap();
        assert_eq!(
            p,
            Placement {
                base: 0x4000_0000,
                load: 0x4c00_0000,
                size: 0x1_2000,
                copy: false
            }
        );
    }

    #[test]
    fn linux_in_place_and_copied() {
        let h = linux();
        let len = 44_158_912;
        let p = place(&h, MemRange::new(0x4800_0000, len), RAM, &[]).unwrap();
        assert_eq!((p.load, p.copy, p.size), (0x4800_0000, false, 0x2b2_0000));
        // Misaligned by 4 KiB: copied to the lowest 2 MiB boundary in RAM.
        let p = place(&h, MemRange::new(0x4800_1000, len), RAM, &[]).unwrap();
        assert_eq!((p.base, p.load, p.copy), (0x4400_0000, 0x4400_0000, true));
        // A DTB at the RAM base pushes it to the next 2 MiB boundary.
        let dtb = MemRange::new(0x4400_0000, 0x1_0000);
        let p = place(&h, MemRange::new(0x4800_1000, len), RAM, &[dtb]).unwrap();
        assert_eq!(p.load, 0x4420_0000);
        assert!(!p.range().overlaps(&dtb));
        // In place would run into an initrd right after the file (BSS).
        let initrd = MemRange::new(0x4800_0000 + len, 0x10_0000);
        let p = place(&h, MemRange::new(0x4800_0000, len), RAM, &[initrd]).unwrap();
        assert!(p.copy);
        assert_eq!(p.load, 0x4400_0000);
    }

    #[test]
    fn copy_avoids_its_own_source() {
        // RAM only fits the image at 0x40000000 or after the source.
        let ram = MemRange::new(0x4000_0000, 0x80_0000);
        let h = ImageHeader::parse(&header(0, 0x20_0000, 0xa)).unwrap();
        let p = place(&h, MemRange::new(0x4000_1000, 0x1000), ram, &[]).unwrap();
        // 0x40000000 overlaps the source at 0x40001000: next boundary.
        assert_eq!(p.load, 0x4020_0000);
    }

    #[test]
    fn text_offset_above_ram_base() {
        // text_offset larger than RAM base: base 0, load = text_offset.
        let h = ImageHeader::parse(&header(0x4c00_0000, 0x1000, 0xa)).unwrap();
        let ram = MemRange::new(0x4000_0000, 0x2000_0000);
        // Loaded at a 2 MiB-aligned base + text_offset: runs in place.
        let p = place(&h, MemRange::new(0x5000_0000, 0x1000), ram, &[]).unwrap();
        assert_eq!((p.base, p.load, p.copy), (0x400_0000, 0x5000_0000, false));
        // Misaligned: copied to the lowest position, base 0.
        let p = place(&h, MemRange::new(0x5000_1000, 0x1000), ram, &[]).unwrap();
        assert_eq!((p.base, p.load, p.copy), (0, 0x4c00_0000, true));
    }

    #[test]
    fn placement_errors() {
        let h = linux();
        let small = MemRange::new(0x4000_0000, 0x100_0000);
        assert!(matches!(
            place(&h, MemRange::new(0x4000_0000, 0x1000), small, &[]),
            Err(PlaceError::TooLarge { .. })
        ));
        // Room exists, but a module sits in the middle of every candidate.
        let ram = MemRange::new(0x4000_0000, 0x300_0000);
        let blocker = MemRange::new(0x4100_0000, 0x1000);
        let e = place(&h, MemRange::new(0x9000_0000, 0x1000), ram, &[blocker]).unwrap_err();
        assert!(matches!(e, PlaceError::NoRoom { .. }), "{e:?}");
        assert!(format!("{e}").contains("no 2 MiB-aligned base"));
        assert!(matches!(
            place(
                &h,
                MemRange::new(0x4000_0000, 0x1000),
                MemRange::new(0, 0),
                &[]
            ),
            Err(PlaceError::BadRange {
                what: "guest RAM",
                ..
            })
        ));
        assert!(matches!(
            place(&h, MemRange::new(u64::MAX, 0x1000), RAM, &[]),
            Err(PlaceError::BadRange {
                what: "loaded image",
                ..
            })
        ));
        assert!(matches!(
            place(&h, MemRange::new(0x4800_0000, 0x10), RAM, &[]),
            Err(PlaceError::LoadedTooShort { len: 0x10 })
        ));
    }

    #[test]
    fn anywhere_stays_below_48_bits() {
        let h = ImageHeader::parse(&header(0, 0x40_0000, 0xa)).unwrap();
        let ram = MemRange::new(PA_LIMIT_48 - 0x20_0000, 0x100_0000);
        assert!(matches!(
            place(&h, MemRange::new(0, 0x1000), ram, &[]),
            Err(PlaceError::NoRoom { .. })
        ));
        // The same image without the placement bit may go there.
        let h = ImageHeader::parse(&header(0, 0x40_0000, 0x2)).unwrap();
        assert!(place(&h, MemRange::new(0, 0x1000), ram, &[]).is_ok());
    }

    #[test]
    fn placement_is_lowest_and_valid_exhaustively() {
        // Small brute-force oracle: every aligned base in a 64 MiB RAM.
        let h = ImageHeader::parse(&header(0x10_0000, 0x30_0000, 0xa)).unwrap();
        let ram = MemRange::new(0x4000_0000, 0x400_0000);
        let loaded = MemRange::new(0x4123_4000, 0x1000);
        for k in 0..32u64 {
            let avoid = [
                MemRange::new(0x4000_0000 + k * 0x13_0000, 0x8000),
                MemRange::new(0x4200_0000 + k * 0x7_0000, 0x20_0000),
            ];
            let got = place(&h, loaded, ram, &avoid);
            let oracle = (0..64u64)
                .map(|i| 0x3fe0_0000 + i * BASE_ALIGN)
                .map(|b| MemRange::new(b + h.text_offset, 0x30_0000))
                .find(|r| {
                    ram.contains_range(r)
                        && !r.overlaps(&loaded)
                        && !avoid.iter().any(|a| a.overlaps(r))
                });
            match (got, oracle) {
                (Ok(p), Some(r)) => assert_eq!(p.load, r.base, "k={k}"),
                (Err(PlaceError::NoRoom { .. }), None) => {}
                other => panic!("k={k}: {other:?}"),
            }
        }
    }
}
