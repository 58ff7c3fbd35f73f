//! The guest's device tree, built from the host (QEMU `virt`) DTB.
//!
//! L0 gives its VM a subset of the board: the RAM it does not keep, N vCPUs
//! with PSCI (over HVC for a plain guest, SMC for a guest hypervisor), the GICv3 distributor/redistributors (emulated or
//! passed by L0) and the architected timer, plus the devices the
//! [`Allow`] policy passes through. [`build`] reads the host DTB (checked by
//! [`check`], then read with the `fdt` crate) and writes a new one with
//! `vm-fdt`. What it emits, per node of the host's root:
//!
//! | host node                         | in the guest DTB                               |
//! |-----------------------------------|------------------------------------------------|
//! | `/` properties                    | `#address-cells`, `#size-cells`, `compatible`, `model`, `interrupt-parent` |
//! | `/chosen`                         | rebuilt: `bootargs`, `stdout-path` (a passed UART), `linux,initrd-start/end`; no `multiboot,*` modules, seeds or anything else |
//! | `/aliases`                        | only aliases naming a node that is passed      |
//! | `memory` nodes                    | replaced by one `memory@<base>` per guest RAM range |
//! | `/cpus`                           | its cell counts and the first N `cpu` nodes (lowest `reg`): `device_type`, `reg`, `compatible`, `phandle`, `enable-method = "psci"`; no `cpu-map` |
//! | `psci`                            | replaced: `compatible = "arm,psci-1.0", "arm,psci-0.2"`, `method` = [`GuestDtbConfig::psci_method`] |
//! | `arm,armv8-timer`                 | as is                                          |
//! | `arm,gic-v3`                      | as is without its children (no ITS)            |
//! | `arm,pl011`                       | as is if [`Allow::uart`]                       |
//! | `arm,pl031`                       | as is if [`Allow::rtc`]                        |
//! | `virtio,mmio`                     | as is if [`Allow::virtio_mmio`]                |
//! | flash, PCIe, fw-cfg, PL061 GPIO, gpio-keys, platform bus, secure-only nodes (`secure-status` with `status` not okay) | dropped |
//! | anything else (clocks, PMU, ...)  | dropped unless a passed node references it by phandle |
//!
//! Phandles are copied unchanged, so references stay consistent; a passed
//! node that references a dropped node is an error rather than a dangling
//! phandle. The reference-carrying properties recognised are in
//! [`PHANDLE_PROPS`].

pub mod check;
mod tree;

use crate::MemRange;
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
pub use check::{check, Malformed, MalformedAt};
use core::fmt;
use tree::{cell, Tree};
use vm_fdt::FdtWriter;

/// Which devices the guest sees. The GIC, timer, CPUs, PSCI and memory are
/// always described.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allow {
    /// PL011 UARTs (`arm,pl011`).
    pub uart: bool,
    /// The PL031 RTC (`arm,pl031`).
    pub rtc: bool,
    /// virtio-mmio transports (`virtio,mmio`).
    pub virtio_mmio: bool,
}

impl Allow {
    /// Every device class this module knows how to pass.
    pub const ALL: Allow = Allow {
        uart: true,
        rtc: true,
        virtio_mmio: true,
    };
    /// No optional device.
    pub const NONE: Allow = Allow {
        uart: false,
        rtc: false,
        virtio_mmio: false,
    };
}

/// The initial RAM disk the guest is told about: `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Initrd {
    /// First byte (`linux,initrd-start`).
    pub start: u64,
    /// One past the last byte (`linux,initrd-end`).
    pub end: u64,
}

/// What to build.
#[derive(Clone, Copy, Debug)]
pub struct GuestDtbConfig<'a> {
    /// The DTB L0 was booted with.
    pub host_dtb: &'a [u8],
    /// The guest's RAM: non-empty, non-overlapping, inside the host's RAM.
    pub ram: &'a [MemRange],
    /// Number of vCPUs (at least 1, at most the host's CPU count).
    pub vcpus: usize,
    /// The guest kernel command line.
    pub bootargs: &'a str,
    /// The initrd, which must lie inside the guest RAM.
    pub initrd: Option<Initrd>,
    /// Device pass-through policy.
    pub allow: Allow,
    /// MMIO base addresses (first `reg` entry) of devices L0 keeps for
    /// itself, such as its own console UART: never passed, whatever `allow`
    /// says.
    pub keep: &'a [u64],
    /// The PSCI conduit the guest is told to use: "hvc" for a guest at EL1,
    /// "smc" for one at (virtual) EL2, where HVC would be its own call.
    pub psci_method: &'a str,
}

/// What the guest gets of the board besides RAM, GIC and timer: the MMIO
/// ranges and interrupts of the devices passed through. L0 maps exactly
/// these at stage 2; [`build`] describes exactly these nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Passthrough {
    /// Every `reg` range of every passed device.
    pub regions: Vec<MemRange>,
    /// The INTIDs of their interrupts (SPI n = 32 + n, PPI n = 16 + n).
    pub irqs: Vec<u32>,
}

/// GIC interrupt specifier: 3 cells (type, number, flags); type 0 is an
/// SPI, 1 a PPI (devicetree binding arm,gic-v3).
const GIC_IRQ_CELLS: usize = 3;
const INTID_SPI_BASE: u32 = 32;
const INTID_PPI_BASE: u32 = 16;

/// The devices `cfg` passes through, with their MMIO and interrupts.
///
/// # Errors
/// A malformed host DTB or root cell counts out of range.
pub fn passthrough(cfg: &GuestDtbConfig) -> Result<Passthrough, DtbError> {
    let checked = check(cfg.host_dtb)?;
    let fdt = fdt::Fdt::new(&checked.blob).map_err(|_| MalformedAt {
        offset: 0,
        what: Malformed::TooShort {
            len: checked.blob.len(),
        },
    })?;
    let t = Tree::read(&fdt).map_err(DtbError::DuplicatePhandle)?;
    let Some(root) = t.nodes.first() else {
        return Err(DtbError::Missing("root node"));
    };
    let (ac, sc) = root_cells(&t)?;
    let mut p = Passthrough::default();
    for &i in &root.children {
        if !passed(cfg, &t, i, classify(&t, i), ac, sc) {
            continue;
        }
        p.regions.extend(reg_ranges(&t, i, ac, sc));
        if let Some(v) = t.prop(i, "interrupts") {
            for c in v.chunks_exact(4 * GIC_IRQ_CELLS) {
                if let (Some(kind), Some(num)) = (cell(&c[0..4]), cell(&c[4..8])) {
                    let base = if kind == 0 {
                        INTID_SPI_BASE
                    } else {
                        INTID_PPI_BASE
                    };
                    p.irqs.push(base.saturating_add(num));
                }
            }
        }
    }
    Ok(p)
}

/// Root `#address-cells` and `#size-cells` (Devicetree Specification 2.3.5:
/// defaults 2 and 1), each 1 or 2.
fn root_cells(t: &Tree) -> Result<(u32, u32), DtbError> {
    let ac = t.prop_u32(0, "#address-cells").unwrap_or(2);
    let sc = t.prop_u32(0, "#size-cells").unwrap_or(1);
    for c in [ac, sc] {
        if !(1..=2).contains(&c) {
            return Err(DtbError::Cells {
                value: u64::from(c),
                cells: c,
            });
        }
    }
    Ok((ac, sc))
}

/// Whether root child `i` of class `class` is an optional device the guest
/// gets: its class is allowed and L0 does not keep it.
fn passed(cfg: &GuestDtbConfig, t: &Tree, i: usize, class: Class, ac: u32, sc: u32) -> bool {
    let allowed = match class {
        Class::Uart => cfg.allow.uart,
        Class::Rtc => cfg.allow.rtc,
        Class::VirtioMmio => cfg.allow.virtio_mmio,
        _ => false,
    };
    allowed
        && !reg_ranges(t, i, ac, sc)
            .first()
            .is_some_and(|r| cfg.keep.contains(&r.base))
}

/// Why no guest DTB was built.
#[derive(Debug, PartialEq, Eq)]
pub enum DtbError {
    /// The host DTB is not a well-formed flattened devicetree.
    Malformed(MalformedAt),
    /// The host DTB lacks something the guest needs.
    Missing(&'static str),
    /// A host property is unusable.
    BadProperty {
        /// Path of the node.
        node: String,
        /// The property.
        property: String,
        /// What is wrong.
        why: &'static str,
    },
    /// Two host nodes carry the same phandle.
    DuplicatePhandle(u32),
    /// `vcpus` is zero.
    NoVcpus,
    /// More vCPUs than the host has CPUs.
    NotEnoughCpus {
        /// vCPUs asked for.
        requested: usize,
        /// cpu nodes in the host DTB.
        available: usize,
    },
    /// No guest RAM range given.
    NoRam,
    /// A guest RAM range is unusable.
    BadRam {
        /// The range.
        range: MemRange,
        /// What is wrong.
        why: &'static str,
    },
    /// The initrd range is empty, inverted, or not inside the guest RAM.
    BadInitrd(Initrd),
    /// A passed node references a phandle no node has.
    UnresolvedPhandle {
        /// Path of the referencing node.
        node: String,
        /// The property.
        property: String,
        /// The phandle.
        phandle: u32,
    },
    /// A passed node references a node the policy drops.
    DroppedReference {
        /// Path of the referencing node.
        node: String,
        /// The property.
        property: String,
        /// Path of the dropped node.
        target: String,
    },
    /// A value does not fit the root's `#address-cells`/`#size-cells`, or
    /// those are not 1 or 2.
    Cells {
        /// The value (or the cell count when that is unsupported).
        value: u64,
        /// Cells available.
        cells: u32,
    },
    /// `vm-fdt` refused to write something (e.g. a name with invalid characters).
    Write {
        /// Path of the node being written.
        node: String,
        /// The writer's error.
        err: vm_fdt::Error,
    },
}

impl fmt::Display for DtbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guest DTB: ")?;
        match self {
            DtbError::Malformed(m) => write!(f, "host {m}"),
            DtbError::Missing(what) => write!(f, "the host DTB has no {what}"),
            DtbError::BadProperty {
                node,
                property,
                why,
            } => {
                write!(f, "host property {node}:{property} {why}")
            }
            DtbError::DuplicatePhandle(p) => {
                write!(f, "two host nodes have phandle {p:#x}")
            }
            DtbError::NoVcpus => write!(f, "a guest needs at least one vCPU"),
            DtbError::NotEnoughCpus {
                requested,
                available,
            } => write!(
                f,
                "{requested} vCPUs requested but the host DTB describes only {available} CPUs"
            ),
            DtbError::NoRam => write!(f, "no guest RAM range given"),
            DtbError::BadRam { range, why } => write!(f, "guest RAM {range} {why}"),
            DtbError::BadInitrd(i) => write!(
                f,
                "initrd [{:#x}, {:#x}) is empty, inverted or not inside the guest RAM",
                i.start, i.end
            ),
            DtbError::UnresolvedPhandle {
                node,
                property,
                phandle,
            } => {
                write!(
                    f,
                    "{node}:{property} references phandle {phandle:#x}, which no node has"
                )
            }
            DtbError::DroppedReference {
                node,
                property,
                target,
            } => write!(
                f,
                "{node}:{property} references {target}, which is not passed to the guest"
            ),
            DtbError::Cells { value, cells } => {
                write!(f, "{value:#x} cannot be written with {cells} cells (root #address-cells/#size-cells must be 1 or 2)")
            }
            DtbError::Write { node, err } => write!(f, "writing {node}: {err}"),
        }
    }
}

impl From<MalformedAt> for DtbError {
    fn from(m: MalformedAt) -> Self {
        DtbError::Malformed(m)
    }
}

/// Properties that hold phandle references, and the provider property that
/// says how many cells follow each phandle (`None`: a single phandle).
/// Names ending in `-gpios` count as `gpios`. (Devicetree Specification
/// v0.4 2.3.x, 2.4 for `interrupt-parent`/`interrupts-extended`; the
/// clock/reset/power-domain/iommu/msi/dma/phy/gpio bindings for the rest.)
pub const PHANDLE_PROPS: &[(&str, Option<&str>)] = &[
    ("interrupt-parent", None),
    ("interrupts-extended", Some("#interrupt-cells")),
    ("clocks", Some("#clock-cells")),
    ("resets", Some("#reset-cells")),
    ("power-domains", Some("#power-domain-cells")),
    ("iommus", Some("#iommu-cells")),
    ("msi-parent", Some("#msi-cells")),
    ("dmas", Some("#dma-cells")),
    ("phys", Some("#phy-cells")),
    ("gpios", Some("#gpio-cells")),
];

/// Providers whose cell-count property may be absent (meaning 0).
const OPTIONAL_CELLS: &[&str] = &["#msi-cells"];

/// How a child of the host's root is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Chosen,
    Aliases,
    Memory,
    Cpus,
    Psci,
    /// Always passed as is.
    Timer,
    /// Passed without children.
    Gic,
    Uart,
    Rtc,
    VirtioMmio,
    /// Never passed, even when referenced.
    Dropped,
    /// Passed only when a passed node references it.
    Unknown,
}

/// Device classes by `compatible` string (first match wins).
const BY_COMPATIBLE: &[(&str, Class)] = &[
    ("arm,armv8-timer", Class::Timer),
    ("arm,armv7-timer", Class::Timer),
    ("arm,gic-v3", Class::Gic),
    ("arm,pl011", Class::Uart),
    ("arm,pl031", Class::Rtc),
    ("virtio,mmio", Class::VirtioMmio),
    ("arm,psci", Class::Psci),
    ("arm,psci-0.2", Class::Psci),
    ("arm,psci-1.0", Class::Psci),
    ("cfi-flash", Class::Dropped),
    ("pci-host-ecam-generic", Class::Dropped),
    ("qemu,fw-cfg-mmio", Class::Dropped),
    ("arm,pl061", Class::Dropped),
    ("gpio-keys", Class::Dropped),
    ("qemu,platform", Class::Dropped),
    ("arm,gic-v3-its", Class::Dropped),
    ("arm,gic-v2m-frame", Class::Dropped),
];

fn classify(t: &Tree, n: usize) -> Class {
    if is_secure_only(t, n) {
        return Class::Dropped;
    }
    match t.base_name(n) {
        "chosen" => return Class::Chosen,
        "aliases" => return Class::Aliases,
        "cpus" => return Class::Cpus,
        _ => {}
    }
    if t.prop_str(n, "device_type") == Some("memory") {
        return Class::Memory;
    }
    for c in t.strings(n, "compatible") {
        if let Some(&(_, class)) = BY_COMPATIBLE.iter().find(|(k, _)| *k == c) {
            return class;
        }
    }
    if t.base_name(n) == "psci" {
        return Class::Psci;
    }
    Class::Unknown
}

/// A node visible only to the secure world: it has `secure-status` and its
/// (normal-world) `status` is not okay (devicetree binding "secure-status",
/// Documentation/devicetree/bindings/arm/secure.txt).
fn is_secure_only(t: &Tree, n: usize) -> bool {
    t.prop(n, "secure-status").is_some()
        && !matches!(t.prop_str(n, "status"), None | Some("okay") | Some("ok"))
}

/// A big-endian number of `cells` 32-bit cells from `v`.
fn read_cells(v: &[u8], cells: u32) -> Option<u64> {
    match cells {
        1 => cell(v).map(u64::from),
        2 => Some((u64::from(cell(v)?) << 32) | u64::from(cell(v.get(4..)?)?)),
        _ => None,
    }
}

fn push_cells(out: &mut Vec<u8>, value: u64, cells: u32) -> Result<(), DtbError> {
    match cells {
        1 => {
            let v = u32::try_from(value).map_err(|_| DtbError::Cells { value, cells })?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        2 => out.extend_from_slice(&value.to_be_bytes()),
        _ => return Err(DtbError::Cells { value, cells }),
    }
    Ok(())
}

/// The `reg` entries of root child `n` under the root's cell counts.
fn reg_ranges(t: &Tree, n: usize, ac: u32, sc: u32) -> Vec<MemRange> {
    let Some(v) = t.prop(n, "reg") else {
        return Vec::new();
    };
    let step = 4 * (ac + sc) as usize;
    v.chunks_exact(step)
        .filter_map(|e| {
            let base = read_cells(e, ac)?;
            let size = read_cells(e.get(4 * ac as usize..)?, sc)?;
            Some(MemRange::new(base, size))
        })
        .collect()
}

/// Output state: which host nodes are written.
struct Plan<'t, 'a> {
    t: &'t Tree<'a>,
    /// Node is present in the output (targets of references may point here).
    out: Vec<bool>,
    /// Node is written with all its properties as is (so its references
    /// must be followed).
    copied: Vec<bool>,
    /// Node's children are not written (the GIC, /cpus and cpu nodes).
    no_children: Vec<bool>,
    classes: Vec<Class>,
}

impl Plan<'_, '_> {
    /// Marks `n` and its descendants as copied; returns the newly marked.
    fn mark_subtree(&mut self, n: usize) -> Vec<usize> {
        let t = self.t;
        let mut new = Vec::new();
        let mut stack = vec![n];
        while let Some(i) = stack.pop() {
            if !self.out[i] {
                new.push(i);
            }
            self.out[i] = true;
            self.copied[i] = true;
            if !self.no_children[i] {
                stack.extend(t.nodes[i].children.iter().copied());
            }
        }
        new
    }

    fn err_prop(&self, n: usize, p: &str, why: &'static str) -> DtbError {
        DtbError::BadProperty {
            node: self.t.path(n),
            property: p.to_owned(),
            why,
        }
    }

    /// The phandle targets of property `name` (value `value`) of node `n`.
    fn references(&self, n: usize, name: &str, value: &[u8]) -> Result<Vec<usize>, DtbError> {
        let cells_prop = if name.ends_with("-gpios") {
            Some("#gpio-cells")
        } else {
            match PHANDLE_PROPS.iter().find(|(k, _)| *k == name) {
                Some(&(_, c)) => c,
                None => return Ok(Vec::new()),
            }
        };
        let mut found = Vec::new();
        let mut rest = value;
        while !rest.is_empty() {
            let ph = cell(rest)
                .ok_or_else(|| self.err_prop(n, name, "is not a whole number of cells"))?;
            rest = &rest[4..];
            if ph == 0 {
                // An empty entry (e.g. a gap in a gpios list).
                continue;
            }
            let Some(&target) = self.t.phandles.get(&ph) else {
                return Err(DtbError::UnresolvedPhandle {
                    node: self.t.path(n),
                    property: name.to_owned(),
                    phandle: ph,
                });
            };
            found.push(target);
            let Some(cp) = cells_prop else { break };
            let args = match self.t.prop_u32(target, cp) {
                Some(c) => c as usize,
                None if OPTIONAL_CELLS.contains(&cp) => 0,
                None => {
                    return Err(self.err_prop(
                        n,
                        name,
                        "references a provider without its #...-cells",
                    ))
                }
            };
            rest = args
                .checked_mul(4)
                .and_then(|b| rest.get(b..))
                .ok_or_else(|| self.err_prop(n, name, "is shorter than its specifier cells"))?;
        }
        Ok(found)
    }

    /// Makes the targets of one property present: an unknown child of the
    /// root is pulled in (and queued on `work`), anything else not present
    /// is an error.
    fn follow(
        &mut self,
        n: usize,
        name: &str,
        value: &[u8],
        work: &mut Vec<usize>,
    ) -> Result<(), DtbError> {
        for target in self.references(n, name, value)? {
            if self.out[target] {
                continue;
            }
            if self.t.nodes[target].parent == Some(0) && self.classes[target] == Class::Unknown {
                let new = self.mark_subtree(target);
                work.extend(new);
            } else {
                return Err(DtbError::DroppedReference {
                    node: self.t.path(n),
                    property: name.to_owned(),
                    target: self.t.path(target),
                });
            }
        }
        Ok(())
    }

    /// Follows references from the root's written properties and from every
    /// copied node until nothing new is pulled in.
    fn close_over_references(&mut self, root_props: &[&str]) -> Result<(), DtbError> {
        let t = self.t;
        let mut work: Vec<usize> = (0..self.copied.len()).filter(|&i| self.copied[i]).collect();
        for &p in root_props {
            if let Some(v) = t.prop(0, p) {
                self.follow(0, p, v, &mut work)?;
            }
        }
        while let Some(n) = work.pop() {
            for p in &t.nodes[n].props {
                self.follow(n, p.name, p.value, &mut work)?;
            }
        }
        Ok(())
    }
}

/// Wraps a `vm-fdt` error with the node being written.
fn w<T>(r: vm_fdt::FdtWriterResult<T>, node: &str) -> Result<T, DtbError> {
    r.map_err(|err| DtbError::Write {
        node: node.to_owned(),
        err,
    })
}

/// Writes node `n` and its marked descendants with their properties as is.
fn emit_copy(fdt: &mut FdtWriter, plan: &Plan, n: usize) -> Result<(), DtbError> {
    let t = plan.t;
    let node = &t.nodes[n];
    let path = t.path(n);
    let h = w(fdt.begin_node(node.name), &path)?;
    for p in &node.props {
        if p.name == "phandle" {
            let ph = cell(p.value).filter(|_| p.value.len() == 4);
            let ph = ph.ok_or_else(|| plan.err_prop(n, p.name, "is not one cell"))?;
            w(fdt.property_phandle(ph), &path)?;
        } else {
            w(fdt.property(p.name, p.value), &path)?;
        }
    }
    if !plan.no_children[n] {
        for &c in &node.children {
            if plan.copied[c] {
                emit_copy(fdt, plan, c)?;
            }
        }
    }
    w(fdt.end_node(h), &path)
}

/// Validates the guest RAM list against the host's RAM.
fn check_ram(ram: &[MemRange], host_ram: &[MemRange]) -> Result<(), DtbError> {
    if ram.is_empty() {
        return Err(DtbError::NoRam);
    }
    for (i, r) in ram.iter().enumerate() {
        if !r.is_valid() {
            return Err(DtbError::BadRam {
                range: *r,
                why: "is empty or wraps around",
            });
        }
        if ram[..i].iter().any(|o| o.overlaps(r)) {
            return Err(DtbError::BadRam {
                range: *r,
                why: "overlaps another guest RAM range",
            });
        }
        if !host_ram.iter().any(|h| h.contains_range(r)) {
            return Err(DtbError::BadRam {
                range: *r,
                why: "is not inside the host's RAM",
            });
        }
    }
    Ok(())
}

/// Builds the guest DTB described in the module documentation.
///
/// # Errors
/// [`DtbError`]: a malformed host DTB, a missing GICv3/timer/cpus/memory
/// node, bad guest RAM/initrd/vCPU count, references to dropped nodes, or a
/// host name the writer refuses.
pub fn build(cfg: &GuestDtbConfig) -> Result<Vec<u8>, DtbError> {
    let checked = check(cfg.host_dtb)?;
    // `check` accepted it, so `fdt` will too; map its error anyway.
    let fdt = fdt::Fdt::new(&checked.blob).map_err(|_| MalformedAt {
        offset: 0,
        what: Malformed::TooShort {
            len: checked.blob.len(),
        },
    })?;
    let t = Tree::read(&fdt).map_err(DtbError::DuplicatePhandle)?;
    if t.nodes.is_empty() {
        return Err(DtbError::Missing("root node"));
    }
    if cfg.vcpus == 0 {
        return Err(DtbError::NoVcpus);
    }

    let (ac, sc) = root_cells(&t)?;

    let root_kids = t.nodes[0].children.clone();
    let classes: Vec<Class> = (0..t.nodes.len())
        .map(|i| {
            if t.nodes[i].parent == Some(0) {
                classify(&t, i)
            } else {
                Class::Unknown
            }
        })
        .collect();
    let first = |c: Class| root_kids.iter().copied().find(|&i| classes[i] == c);

    let host_ram: Vec<MemRange> = root_kids
        .iter()
        .filter(|&&i| classes[i] == Class::Memory)
        .flat_map(|&i| reg_ranges(&t, i, ac, sc))
        .collect();
    if host_ram.is_empty() {
        return Err(DtbError::Missing("memory node"));
    }
    check_ram(cfg.ram, &host_ram)?;
    if let Some(i) = cfg.initrd {
        let r = MemRange::new(i.start, i.end.wrapping_sub(i.start));
        if i.end <= i.start || !cfg.ram.iter().any(|g| g.contains_range(&r)) {
            return Err(DtbError::BadInitrd(i));
        }
    }

    let gic = first(Class::Gic).ok_or(DtbError::Missing(
        "GICv3 interrupt controller (compatible \"arm,gic-v3\")",
    ))?;
    first(Class::Timer).ok_or(DtbError::Missing("architected timer (\"arm,armv8-timer\")"))?;
    let cpus = first(Class::Cpus).ok_or(DtbError::Missing("/cpus node"))?;

    // The first N cpu nodes by MPIDR (`reg`).
    let cpu_ac = t.prop_u32(cpus, "#address-cells").unwrap_or(1);
    let mut cpu_nodes: Vec<(u64, usize)> = t.nodes[cpus]
        .children
        .iter()
        .copied()
        .filter(|&c| t.base_name(c) == "cpu" && t.prop_str(c, "device_type") == Some("cpu"))
        .map(|c| {
            let reg = t.prop(c, "reg").and_then(|v| read_cells(v, cpu_ac));
            reg.map(|r| (r, c)).ok_or_else(|| DtbError::BadProperty {
                node: t.path(c),
                property: "reg".to_owned(),
                why: "is missing or does not match /cpus #address-cells",
            })
        })
        .collect::<Result<_, _>>()?;
    cpu_nodes.sort_unstable();
    if cpu_nodes.len() < cfg.vcpus {
        return Err(DtbError::NotEnoughCpus {
            requested: cfg.vcpus,
            available: cpu_nodes.len(),
        });
    }
    cpu_nodes.truncate(cfg.vcpus);

    let mut plan = Plan {
        t: &t,
        out: vec![false; t.nodes.len()],
        copied: vec![false; t.nodes.len()],
        no_children: vec![false; t.nodes.len()],
        classes: classes.clone(),
    };
    plan.no_children[gic] = true;
    for &i in &root_kids {
        let class = plan.classes[i];
        let pass = matches!(class, Class::Timer | Class::Gic) || passed(cfg, &t, i, class, ac, sc);
        if pass {
            plan.mark_subtree(i);
        }
    }
    // /cpus and the selected cpu nodes are present but rebuilt: only their
    // non-reference properties are written.
    plan.out[cpus] = true;
    for &(_, c) in &cpu_nodes {
        plan.out[c] = true;
    }
    const ROOT_PROPS: [&str; 5] = [
        "#address-cells",
        "#size-cells",
        "compatible",
        "model",
        "interrupt-parent",
    ];
    plan.close_over_references(&ROOT_PROPS)?;

    // stdout-path: the host's console if it is passed, else the first passed UART.
    let uarts: Vec<usize> = root_kids
        .iter()
        .copied()
        .filter(|&i| plan.classes[i] == Class::Uart && plan.out[i])
        .collect();
    let aliases = first(Class::Aliases);
    let resolve = |p: &str| -> Option<usize> {
        let p = p.split(':').next()?;
        if p.starts_with('/') {
            t.find_path(p)
        } else {
            t.find_path(t.prop_str(aliases?, p)?)
        }
    };
    let host_chosen = first(Class::Chosen);
    let host_console = host_chosen
        .and_then(|c| t.prop_str(c, "stdout-path"))
        .and_then(resolve);
    let stdout = host_console
        .filter(|u| uarts.contains(u))
        .or(uarts.first().copied());

    // ---- write ----
    let mut fdt = w(FdtWriter::new(), "/")?;
    fdt.set_boot_cpuid_phys(checked.boot_cpuid_phys);
    let root = w(fdt.begin_node(""), "/")?;
    w(fdt.property_u32("#address-cells", ac), "/")?;
    w(fdt.property_u32("#size-cells", sc), "/")?;
    for p in &ROOT_PROPS[2..] {
        if let Some(v) = t.prop(0, p) {
            w(fdt.property(p, v), "/")?;
        }
    }

    let chosen = w(fdt.begin_node("chosen"), "/chosen")?;
    w(fdt.property_string("bootargs", cfg.bootargs), "/chosen")?;
    if let Some(u) = stdout {
        w(fdt.property_string("stdout-path", &t.path(u)), "/chosen")?;
    }
    if let Some(i) = cfg.initrd {
        w(fdt.property_u64("linux,initrd-start", i.start), "/chosen")?;
        w(fdt.property_u64("linux,initrd-end", i.end), "/chosen")?;
    }
    w(fdt.end_node(chosen), "/chosen")?;

    if let Some(a) = aliases {
        let kept: Vec<_> = t.nodes[a]
            .props
            .iter()
            .filter(|p| {
                core::str::from_utf8(p.value)
                    .ok()
                    .map(|s| s.trim_end_matches('\0'))
                    .filter(|s| s.starts_with('/'))
                    .and_then(|s| t.find_path(s))
                    .is_some_and(|n| plan.out[n])
            })
            .collect();
        if !kept.is_empty() {
            let h = w(fdt.begin_node("aliases"), "/aliases")?;
            for p in kept {
                w(fdt.property(p.name, p.value), "/aliases")?;
            }
            w(fdt.end_node(h), "/aliases")?;
        }
    }

    let mut sorted_ram = cfg.ram.to_vec();
    sorted_ram.sort_unstable();
    for r in &sorted_ram {
        let name = alloc::format!("memory@{:x}", r.base);
        let mut reg = Vec::new();
        push_cells(&mut reg, r.base, ac)?;
        push_cells(&mut reg, r.size, sc)?;
        let h = w(fdt.begin_node(&name), &name)?;
        w(fdt.property_string("device_type", "memory"), &name)?;
        w(fdt.property("reg", &reg), &name)?;
        w(fdt.end_node(h), &name)?;
    }

    let cpus_path = t.path(cpus);
    let h = w(fdt.begin_node("cpus"), &cpus_path)?;
    for p in ["#address-cells", "#size-cells"] {
        if let Some(v) = t.prop(cpus, p) {
            w(fdt.property(p, v), &cpus_path)?;
        }
    }
    for &(_, c) in &cpu_nodes {
        let path = t.path(c);
        let hc = w(fdt.begin_node(t.nodes[c].name), &path)?;
        for p in ["device_type", "compatible", "reg"] {
            if let Some(v) = t.prop(c, p) {
                w(fdt.property(p, v), &path)?;
            }
        }
        w(fdt.property_string("enable-method", "psci"), &path)?;
        if let Some(v) = t.prop(c, "phandle") {
            let ph = cell(v).filter(|_| v.len() == 4);
            let ph = ph.ok_or_else(|| plan.err_prop(c, "phandle", "is not one cell"))?;
            w(fdt.property_phandle(ph), &path)?;
        }
        w(fdt.end_node(hc), &path)?;
    }
    w(fdt.end_node(h), &cpus_path)?;

    let h = w(fdt.begin_node("psci"), "/psci")?;
    w(
        fdt.property("compatible", b"arm,psci-1.0\0arm,psci-0.2\0"),
        "/psci",
    )?;
    w(fdt.property_string("method", cfg.psci_method), "/psci")?;
    w(fdt.end_node(h), "/psci")?;

    for &i in &root_kids {
        if plan.copied[i] {
            emit_copy(&mut fdt, &plan, i)?;
        }
    }
    w(fdt.end_node(root), "/")?;
    w(fdt.finish(), "/")
}

#[cfg(test)]
mod tests;
