//! What L0 learns from QEMU's DTB: RAM, CPUs, the GICv3, the UART, PSCI, the
//! timer interrupts, /chosen and the guest-loader modules.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A guest-loader module (`multiboot,kernel` or `multiboot,ramdisk` under /chosen).
#[derive(Clone, Debug)]
pub struct Module {
    pub addr: u64,
    pub size: u64,
    pub bootargs: Option<String>,
}

/// The machine as the DTB describes it.
#[derive(Debug)]
pub struct Machine {
    pub ram_start: u64,
    pub ram_end: u64,
    /// MPIDR affinity values (the cpu nodes' `reg`), in DTB order.
    pub cpus: Vec<u64>,
    pub gicd: (u64, u64),
    pub gicr: (u64, u64),
    /// L0's own console: another PL011, which L0 keeps from the guest (so no
    /// guest can print a line that looks like L0's). None when the board has
    /// only one; L0 then shares the guest's.
    pub l0_uart: Option<u64>,
    pub psci_method: String,
    /// Timer PPIs (INTIDs): secure phys, phys, virt, hyp phys, hyp virt.
    pub timer_ppis: [u32; 5],
    pub gic_maint_ppi: u32,
    pub bootargs: String,
    pub kernel: Option<Module>,
    pub ramdisk: Option<Module>,
}

/// Why the DTB could not be used.
#[derive(Debug)]
pub enum DtError {
    Parse(fdt::FdtError),
    Missing(&'static str),
}

impl fmt::Display for DtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DtError::Parse(e) => write!(f, "malformed DTB: {e:?}"),
            DtError::Missing(what) => write!(f, "DTB has no usable {what}"),
        }
    }
}

fn reg0(n: &fdt::node::FdtNode) -> Option<(u64, u64)> {
    let r = n.reg()?.next()?;
    Some((r.starting_address as u64, r.size.unwrap_or(0) as u64))
}

/// The first (address, size) pair of `reg` with explicit cell counts.
fn module_reg(n: &fdt::node::FdtNode, ac: u32, sc: u32) -> Option<(u64, u64)> {
    let c = cells(n, "reg");
    let (ac, sc) = (ac as usize, sc as usize);
    if !(1..=2).contains(&ac) || !(1..=2).contains(&sc) || c.len() < ac + sc {
        return None;
    }
    let join = |w: &[u32]| w.iter().fold(0u64, |a, &x| (a << 32) | u64::from(x));
    Some((join(&c[..ac]), join(&c[ac..ac + sc])))
}

/// PPI number in a 3-cell GIC interrupt specifier -> INTID (PPI n = 16 + n, SPI n = 32 + n).
fn intid(kind: u32, num: u32) -> u32 {
    if kind == 1 {
        16 + num
    } else {
        32 + num
    }
}

fn cells(n: &fdt::node::FdtNode, name: &str) -> Vec<u32> {
    n.property(name)
        .map(|p| {
            p.value
                .chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        })
        .unwrap_or_default()
}

/// A string property without its NUL terminator (None if not valid UTF-8).
fn prop_str<'a>(n: &fdt::node::FdtNode<'_, 'a>, name: &str) -> Option<&'a str> {
    let v = n.property(name)?.value;
    core::str::from_utf8(v.strip_suffix(&[0]).unwrap_or(v)).ok()
}

/// The node /chosen/stdout-path names: a path or an alias, with any
/// ":options" suffix dropped (Devicetree Specification 3.6). Written here
/// because `fdt::Fdt::chosen` panics on a DTB without /chosen.
fn stdout_path<'b, 'a>(f: &'b fdt::Fdt<'a>) -> Option<fdt::node::FdtNode<'b, 'a>> {
    let chosen = f.find_node("/chosen")?;
    let path = prop_str(&chosen, "stdout-path")?.split(':').next()?;
    if path.starts_with('/') {
        f.find_node(path)
    } else {
        f.find_node(prop_str(&f.find_node("/aliases")?, path)?)
    }
}

/// What L0 reports through: the consoles and the failure channel. Found
/// before the rest of the DTB is read, so that every later error reaches
/// L0's own console and ends the run with a failure status.
#[derive(Clone, Copy, Debug, Default)]
pub struct Channels {
    /// The guest's console (the stdout-path PL011, else the first one).
    pub uart: Option<u64>,
    /// Another enabled PL011, kept by L0.
    pub l0_uart: Option<u64>,
    /// ECAM base and 32-bit memory window of the PCI host bridge.
    pub pci: Option<(u64, u64)>,
}

impl Channels {
    /// Reads them from a parsed DTB (total: missing pieces are None).
    pub fn find(f: &fdt::Fdt) -> Channels {
        let uarts: Vec<u64> = f
            .all_nodes()
            .filter(|n| {
                n.compatible()
                    .is_some_and(|c| c.all().any(|c| c == "arm,pl011"))
            })
            .filter(|n| prop_str(n, "status").is_none_or(|s| s == "okay" || s == "ok"))
            .filter_map(|n| reg0(&n).map(|r| r.0))
            .collect();
        let stdout = stdout_path(f).and_then(|n| reg0(&n)).map(|r| r.0);
        let uart = stdout
            .filter(|u| uarts.contains(u))
            .or(uarts.first().copied());
        Channels {
            uart,
            l0_uart: uarts.iter().copied().find(|&u| Some(u) != uart),
            pci: rt::pvpanic::find(f).map(|(e, w)| (e as u64, w as u64)),
        }
    }
}

impl Machine {
    /// Parses the DTB in `blob`.
    ///
    /// # Errors
    /// A malformed blob, or one lacking memory, CPUs, a GICv3 or a UART.
    pub fn parse(blob: &[u8]) -> Result<Machine, DtError> {
        let f = fdt::Fdt::new(blob).map_err(DtError::Parse)?;
        let mem = f
            .all_nodes()
            .find(|n| n.property("device_type").and_then(|p| p.as_str()) == Some("memory"))
            .and_then(|n| reg0(&n))
            .ok_or(DtError::Missing("memory node"))?;
        // fdt's `Fdt::cpus()` panics without /cpus: walk the node by hand.
        let cpus: Vec<u64> = f
            .all_nodes()
            .filter(|n| n.property("device_type").and_then(|p| p.as_str()) == Some("cpu"))
            .map(|n| {
                cells(&n, "reg")
                    .iter()
                    .fold(0u64, |a, &x| (a << 32) | u64::from(x))
            })
            .collect();
        if cpus.is_empty() {
            return Err(DtError::Missing("cpu nodes"));
        }
        let gic = f
            .find_compatible(&["arm,gic-v3"])
            .ok_or(DtError::Missing("arm,gic-v3 node"))?;
        let mut regs = gic.reg().ok_or(DtError::Missing("GIC reg"))?;
        let d = regs.next().ok_or(DtError::Missing("GICD reg"))?;
        let r = regs.next().ok_or(DtError::Missing("GICR reg"))?;
        let gic_irq = cells(&gic, "interrupts");
        let ch = Channels::find(&f);
        ch.uart.ok_or(DtError::Missing("arm,pl011 UART"))?;
        let psci_method = f
            .find_compatible(&["arm,psci-1.0", "arm,psci-0.2"])
            .and_then(|n| {
                n.property("method")
                    .and_then(|p| p.as_str())
                    .map(String::from)
            })
            .ok_or(DtError::Missing("PSCI node"))?;
        let t = f
            .find_compatible(&["arm,armv8-timer"])
            .map(|n| cells(&n, "interrupts"))
            .ok_or(DtError::Missing("timer node"))?;
        let mut timer_ppis = [29, 30, 27, 26, 28];
        for (i, c) in t.chunks_exact(3).take(5).enumerate() {
            timer_ppis[i] = intid(c[0], c[1]);
        }
        let chosen = f.find_node("/chosen");
        let bootargs = chosen
            .as_ref()
            .and_then(|c| c.property("bootargs").and_then(|p| p.as_str()))
            .unwrap_or("")
            .into();
        let mut kernel = None;
        let mut ramdisk = None;
        if let Some(c) = chosen {
            // QEMU's guest-loader writes module `reg` with the root's cell
            // counts and gives /chosen none of its own; honour /chosen's if set.
            let root = f.find_node("/");
            let ncells = |name: &str, dflt: u32| {
                cells(&c, name)
                    .first()
                    .copied()
                    .or_else(|| root.as_ref().and_then(|r| cells(r, name).first().copied()))
                    .unwrap_or(dflt)
            };
            let (ac, sc) = (ncells("#address-cells", 2), ncells("#size-cells", 1));
            for m in c.children() {
                let compat: Vec<&str> = m
                    .compatible()
                    .map(|c| c.all().collect())
                    .unwrap_or_default();
                let Some((addr, size)) = module_reg(&m, ac, sc) else {
                    continue;
                };
                let module = Module {
                    addr,
                    size,
                    bootargs: m
                        .property("bootargs")
                        .and_then(|p| p.as_str())
                        .map(String::from),
                };
                if compat.contains(&"multiboot,kernel") {
                    kernel = Some(module);
                } else if compat.contains(&"multiboot,ramdisk") {
                    ramdisk = Some(module);
                }
            }
        }
        Ok(Machine {
            ram_start: mem.0,
            ram_end: mem.0 + mem.1,
            cpus,
            gicd: (d.starting_address as u64, d.size.unwrap_or(0) as u64),
            gicr: (r.starting_address as u64, r.size.unwrap_or(0) as u64),
            l0_uart: ch.l0_uart,
            psci_method,
            timer_ppis,
            gic_maint_ppi: if gic_irq.len() >= 3 {
                intid(gic_irq[0], gic_irq[1])
            } else {
                crate::DEFAULT_MAINT_PPI
            },
            bootargs,
            kernel,
            ramdisk,
        })
    }
}
