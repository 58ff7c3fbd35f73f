//! A strict, panic-free structural check of a flattened devicetree blob.
//!
//! The `fdt` crate (0.1.5) reads well-formed blobs but panics (indexing,
//! `expect`, `assert`) on many malformed ones, and mishandles FDT_NOP tokens
//! between properties. Every blob passes through [`check`] first: it walks
//! the whole structure block with bounds-checked reads, and returns a copy
//! without NOP tokens when there were any, so what reaches `fdt` is exactly
//! the subset it handles.
//!
//! Format facts: Devicetree Specification v0.4, chapter 5 "Flattened
//! Devicetree (DTB) Format": a 40-byte big-endian header (5.2), the memory
//! reservation block of (u64 address, u64 size) pairs ended by a zero pair
//! (5.3), the structure block of 4-byte-aligned big-endian tokens (5.4:
//! FDT_BEGIN_NODE 1 + NUL-terminated name padded to 4 bytes, FDT_END_NODE 2,
//! FDT_PROP 3 + len + nameoff + value padded to 4, FDT_NOP 4, FDT_END 9), and
//! the strings block of NUL-terminated property names (5.5). Properties of a
//! node precede its child nodes (5.4.2).

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

/// Header magic (big-endian).
pub const FDT_MAGIC: u32 = 0xd00d_feed;
const HEADER_LEN: usize = 40;
const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;
/// The newest and oldest header versions whose layout is the one above
/// (version 16 introduced plain unit names in FDT_BEGIN_NODE; 17 added
/// size_dt_struct).
const VERSION_MIN: u32 = 16;
const LAST_COMP_MAX: u32 = 17;
/// Deepest node nesting accepted (root = 1). `fdt` 0.1.5 keeps a 64-entry
/// parent stack indexed from 1.
pub const MAX_DEPTH: usize = 63;
/// Properties `fdt` decodes with `expect` on a 4-byte value.
const ONE_CELL_PROPS: [&str; 2] = ["#address-cells", "#size-cells"];

/// What is wrong with a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Shorter than the 40-byte header.
    TooShort {
        /// Bytes available.
        len: usize,
    },
    /// Magic is not 0xd00dfeed.
    BadMagic {
        /// The value found.
        found: u32,
    },
    /// `totalsize` is smaller than the header or larger than the buffer.
    TotalSize {
        /// The header's totalsize.
        totalsize: u32,
        /// Bytes available.
        len: usize,
    },
    /// A header version this reader does not understand.
    Version {
        /// The header's version.
        version: u32,
        /// The header's last_comp_version.
        last_comp: u32,
    },
    /// A block's offset/size reaches past `totalsize`, or is misaligned.
    Block {
        /// Which block.
        block: &'static str,
    },
    /// The memory reservation block has no terminating zero entry.
    MemRsvUnterminated,
    /// The structure block ends before FDT_END.
    UnexpectedEnd,
    /// An unknown token.
    BadToken {
        /// The token value.
        token: u32,
    },
    /// The first token is not the root's FDT_BEGIN_NODE (with an empty name).
    BadRoot,
    /// A node name without a NUL before the end of the structure block.
    NameUnterminated,
    /// A node or property name that is not UTF-8.
    NameNotUtf8,
    /// A property outside any node, or after a child node of the same node.
    MisplacedProperty,
    /// A property value reaching past the structure block.
    PropertyBounds {
        /// The property's length field.
        len: u32,
    },
    /// A property name offset outside the strings block, or a name without NUL.
    PropertyName {
        /// The name offset.
        nameoff: u32,
    },
    /// A cell-count property (`#address-cells`, `#size-cells`) that is not
    /// exactly one 4-byte cell.
    CellCount,
    /// FDT_END_NODE without an open node.
    UnbalancedEnd,
    /// Nodes nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Something other than FDT_NOP/FDT_END after the root node closed, or
    /// FDT_END while nodes are open.
    AfterRoot,
}

/// A [`Malformed`] blob and the byte offset in it where the problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MalformedAt {
    /// Byte offset from the start of the blob.
    pub offset: usize,
    /// The problem.
    pub what: Malformed,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Malformed::TooShort { len } => {
                write!(
                    f,
                    "{len} bytes is shorter than the {HEADER_LEN}-byte header"
                )
            }
            Malformed::BadMagic { found } => {
                write!(f, "magic is {found:#010x}, expected {FDT_MAGIC:#010x}")
            }
            Malformed::TotalSize { totalsize, len } => write!(
                f,
                "header totalsize {totalsize:#x} does not fit the {len:#x}-byte buffer"
            ),
            Malformed::Version { version, last_comp } => write!(
                f,
                "unsupported version {version} (last compatible {last_comp}); need 16..=17"
            ),
            Malformed::Block { block } => {
                write!(
                    f,
                    "the {block} block lies outside totalsize or is misaligned"
                )
            }
            Malformed::MemRsvUnterminated => {
                write!(f, "the memory reservation block has no terminating entry")
            }
            Malformed::UnexpectedEnd => write!(f, "the structure block ends before FDT_END"),
            Malformed::BadToken { token } => write!(f, "unknown token {token:#x}"),
            Malformed::BadRoot => {
                write!(f, "the structure block does not start with the root node")
            }
            Malformed::NameUnterminated => write!(f, "node name without a terminating NUL"),
            Malformed::NameNotUtf8 => write!(f, "node or property name is not UTF-8"),
            Malformed::MisplacedProperty => {
                write!(f, "property outside a node or after a child node")
            }
            Malformed::PropertyBounds { len } => {
                write!(
                    f,
                    "property value of {len:#x} bytes runs past the structure block"
                )
            }
            Malformed::PropertyName { nameoff } => {
                write!(
                    f,
                    "property name offset {nameoff:#x} is outside the strings block"
                )
            }
            Malformed::CellCount => {
                write!(f, "#address-cells/#size-cells is not a single 4-byte cell")
            }
            Malformed::UnbalancedEnd => write!(f, "FDT_END_NODE without an open node"),
            Malformed::TooDeep => write!(f, "nodes nest deeper than {MAX_DEPTH}"),
            Malformed::AfterRoot => write!(f, "tokens after the root node, or FDT_END inside it"),
        }
    }
}

impl fmt::Display for MalformedAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed DTB at offset {:#x}: {}",
            self.offset, self.what
        )
    }
}

/// A blob that passed [`check`].
#[derive(Debug)]
pub struct Checked<'a> {
    /// The blob, NOP-free (a copy when the input had NOPs).
    pub blob: Cow<'a, [u8]>,
    /// The header's boot_cpuid_phys.
    pub boot_cpuid_phys: u32,
}

fn be32(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn be64(b: &[u8], off: usize) -> Option<u64> {
    let s = b.get(off..off.checked_add(8)?)?;
    let mut w = [0u8; 8];
    w.copy_from_slice(s);
    Some(u64::from_be_bytes(w))
}

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// The NUL-terminated UTF-8 string starting at `b[off..]`.
fn cstr(b: &[u8], off: usize) -> Result<&str, Malformed> {
    let rest = b.get(off..).ok_or(Malformed::NameUnterminated)?;
    let n = rest
        .iter()
        .position(|&c| c == 0)
        .ok_or(Malformed::NameUnterminated)?;
    core::str::from_utf8(&rest[..n]).map_err(|_| Malformed::NameNotUtf8)
}

/// Checks `blob` completely; see the module documentation.
///
/// # Errors
/// [`MalformedAt`] naming the first problem found and where it is.
pub fn check(blob: &[u8]) -> Result<Checked<'_>, MalformedAt> {
    let at = |offset: usize, what: Malformed| MalformedAt { offset, what };
    let hdr = |i: usize| be32(blob, 4 * i).unwrap_or(0);
    if blob.len() < HEADER_LEN {
        return Err(at(0, Malformed::TooShort { len: blob.len() }));
    }
    if hdr(0) != FDT_MAGIC {
        return Err(at(0, Malformed::BadMagic { found: hdr(0) }));
    }
    let totalsize = hdr(1);
    let total = totalsize as usize;
    if total < HEADER_LEN || total > blob.len() {
        return Err(at(
            4,
            Malformed::TotalSize {
                totalsize,
                len: blob.len(),
            },
        ));
    }
    let (version, last_comp) = (hdr(5), hdr(6));
    if version < VERSION_MIN || last_comp > LAST_COMP_MAX {
        return Err(at(20, Malformed::Version { version, last_comp }));
    }
    let blob = &blob[..total];
    let block = |off: u32, size: u32, align: usize, name: &'static str, hoff: usize| {
        let (o, s) = (off as usize, size as usize);
        match o.checked_add(s) {
            Some(end) if end <= total && o >= HEADER_LEN && o % align == 0 => Ok(o..end),
            _ => Err(at(hoff, Malformed::Block { block: name })),
        }
    };
    let st = block(hdr(2), hdr(9), 4, "structure", 8)?;
    let strings = block(hdr(3), hdr(8), 1, "strings", 12)?;
    // The reservation block has no size field: it runs to its zero entry.
    let rsv = block(hdr(4), 0, 8, "memory reservation", 16)?.start;
    let mut off = rsv;
    loop {
        match (be64(blob, off), be64(blob, off + 8)) {
            (Some(0), Some(0)) => break,
            (Some(_), Some(_)) => off += 16,
            _ => return Err(at(rsv, Malformed::MemRsvUnterminated)),
        }
    }

    let sb = &blob[st.clone()];
    let sbase = st.start;
    let strs = &blob[strings];
    let mut pos = 0usize;
    let mut depth = 0usize;
    // Per open node: has a child node been seen (so no more properties)?
    let mut seen_child = [false; MAX_DEPTH + 1];
    let mut root_done = false;
    let mut nops: Vec<core::ops::Range<usize>> = Vec::new();
    loop {
        let tok_at = sbase + pos;
        let tok = be32(sb, pos).ok_or(at(tok_at, Malformed::UnexpectedEnd))?;
        pos += 4;
        match tok {
            FDT_NOP => nops.push(pos - 4..pos),
            FDT_BEGIN_NODE => {
                if root_done {
                    return Err(at(tok_at, Malformed::AfterRoot));
                }
                let name = cstr(sb, pos).map_err(|m| at(sbase + pos, m))?;
                if depth == 0 && !name.is_empty() {
                    return Err(at(tok_at, Malformed::BadRoot));
                }
                pos = align4(pos + name.len() + 1);
                if depth > 0 {
                    seen_child[depth] = true;
                }
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(at(tok_at, Malformed::TooDeep));
                }
                seen_child[depth] = false;
            }
            FDT_END_NODE => {
                if depth == 0 {
                    return Err(at(tok_at, Malformed::UnbalancedEnd));
                }
                depth -= 1;
                root_done = depth == 0;
            }
            FDT_PROP => {
                if depth == 0 || seen_child[depth] {
                    return Err(at(tok_at, Malformed::MisplacedProperty));
                }
                let (Some(len), Some(nameoff)) = (be32(sb, pos), be32(sb, pos + 4)) else {
                    return Err(at(tok_at, Malformed::UnexpectedEnd));
                };
                pos += 8;
                let end = pos
                    .checked_add(len as usize)
                    .filter(|&e| e <= sb.len())
                    .ok_or(at(tok_at, Malformed::PropertyBounds { len }))?;
                let name = match cstr(strs, nameoff as usize) {
                    Ok(n) => n,
                    Err(Malformed::NameNotUtf8) => return Err(at(tok_at, Malformed::NameNotUtf8)),
                    Err(_) => return Err(at(tok_at, Malformed::PropertyName { nameoff })),
                };
                if ONE_CELL_PROPS.contains(&name) && len != 4 {
                    return Err(at(tok_at, Malformed::CellCount));
                }
                pos = align4(end);
            }
            FDT_END => {
                if !root_done {
                    return Err(at(
                        tok_at,
                        if depth == 0 {
                            Malformed::BadRoot
                        } else {
                            Malformed::AfterRoot
                        },
                    ));
                }
                break;
            }
            token => return Err(at(tok_at, Malformed::BadToken { token })),
        }
    }
    let struct_len = pos;

    let boot_cpuid_phys = hdr(7);
    if nops.is_empty() {
        return Ok(Checked {
            blob: Cow::Borrowed(blob),
            boot_cpuid_phys,
        });
    }
    // Rebuild as header | empty reservation block | struct without NOPs | strings.
    let mut s = Vec::with_capacity(struct_len);
    let mut from = 0;
    for r in &nops {
        s.extend_from_slice(&sb[from..r.start]);
        from = r.end;
    }
    s.extend_from_slice(&sb[from..struct_len]);
    let rsv_off = HEADER_LEN;
    let st_off = rsv_off + 16;
    let str_off = st_off + s.len();
    let total = str_off + strs.len();
    let mut out = Vec::with_capacity(total);
    let words = [
        FDT_MAGIC,
        total as u32,
        st_off as u32,
        str_off as u32,
        rsv_off as u32,
        17,
        16,
        boot_cpuid_phys,
        strs.len() as u32,
        s.len() as u32,
    ];
    for w in words {
        out.extend_from_slice(&w.to_be_bytes());
    }
    out.extend_from_slice(&[0u8; 16]);
    out.extend_from_slice(&s);
    out.extend_from_slice(strs);
    Ok(Checked {
        blob: Cow::Owned(out),
        boot_cpuid_phys,
    })
}
