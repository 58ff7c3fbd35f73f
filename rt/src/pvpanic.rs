//! QEMU's pvpanic PCI device: the failure channel of whoever owns the board.
//!
//! Writing `PANICKED` to the device's BAR 0 makes QEMU carry out its
//! `-action panic=...` setting; with `exit-failure` QEMU ends with a
//! non-zero status (QEMU docs/specs/pvpanic.rst, pvpanic-pci: vendor
//! 0x1b36, device 0x0011). L0 (and test-l1 on bare QEMU) find it on bus 0 of
//! the ECAM the DTB describes, give its BAR an address in the 32-bit PCI
//! memory window and keep it: no guest DTB describes the PCI host bridge
//! and no stage 2 maps it, so no guest can reach it. Unlike semihosting, no
//! instruction a guest can execute ends QEMU with a status of its choice.

use core::sync::atomic::{AtomicUsize, Ordering};

/// PCI vendor and device ID of pvpanic-pci (QEMU's include/hw/pci/pci_ids.h).
const VENDOR_REDHAT: u16 = 0x1b36;
const DEVICE_PVPANIC: u16 = 0x0011;
/// Type 0 configuration header offsets (PCI Local Bus 3.0, 6.1).
const CFG_ID: usize = 0x00;
const CFG_COMMAND: usize = 0x04;
const CFG_BAR0: usize = 0x10;
/// COMMAND.Memory Space Enable.
const COMMAND_MEM: u16 = 1 << 1;
/// ECAM: 4 KiB of configuration space per function, 8 functions per device
/// (PCI Express Base 4.0, 7.2.2), so device `d` of bus 0 is at `d << 15`.
const ECAM_DEV_SHIFT: usize = 15;
const DEVICES_PER_BUS: usize = 32;
/// pvpanic event bit (docs/specs/pvpanic.rst).
const PVPANIC_PANICKED: u8 = 1 << 0;

/// The device's BAR 0 address once found (0: none).
static BAR: AtomicUsize = AtomicUsize::new(0);

fn cfg_read32(ecam: usize, dev: usize, off: usize) -> u32 {
    let p = (ecam + (dev << ECAM_DEV_SHIFT) + off) as *const u32;
    // SAFETY: `probe`'s caller guarantees `ecam` is the ECAM window, mapped
    // as device memory; an absent function reads as all ones.
    unsafe { p.read_volatile() }
}

fn cfg_write32(ecam: usize, dev: usize, off: usize, v: u32) {
    let p = (ecam + (dev << ECAM_DEV_SHIFT) + off) as *mut u32;
    // SAFETY: as in `cfg_read32`; only the found device's header is written.
    unsafe { p.write_volatile(v) }
}

/// Looks for pvpanic-pci on bus 0 of the ECAM at `ecam` and, when found,
/// places its BAR 0 at `mmio` (in the host bridge's 32-bit memory window)
/// and enables it. Returns whether the device is ready.
///
/// # Safety
/// `ecam` must be the base of a PCI ECAM window and `mmio` an address in its
/// memory window that nothing else uses, both mapped as device memory (or
/// the MMU off), and nobody else may program this host bridge.
pub unsafe fn probe(ecam: usize, mmio: usize) -> bool {
    for dev in 0..DEVICES_PER_BUS {
        let id = cfg_read32(ecam, dev, CFG_ID);
        if id & 0xffff != u32::from(VENDOR_REDHAT) || id >> 16 != u32::from(DEVICE_PVPANIC) {
            continue;
        }
        cfg_write32(ecam, dev, CFG_BAR0, mmio as u32);
        let cmd = cfg_read32(ecam, dev, CFG_COMMAND);
        cfg_write32(ecam, dev, CFG_COMMAND, cmd | u32::from(COMMAND_MEM));
        BAR.store(mmio, Ordering::Release);
        return true;
    }
    false
}

/// Whether a failure channel was found.
pub fn present() -> bool {
    BAR.load(Ordering::Acquire) != 0
}

/// Signals a guest-independent failure to QEMU. Returns only when there is
/// no pvpanic device (or QEMU was not told to act on it).
pub fn panicked() {
    let bar = BAR.load(Ordering::Acquire);
    if bar == 0 {
        return;
    }
    // SAFETY: `bar` is the pvpanic BAR `probe` programmed and enabled; a
    // byte write of an event is the device's protocol.
    unsafe { (bar as *mut u8).write_volatile(PVPANIC_PANICKED) };
}

/// PCI address space code in bits [25:24] of a `ranges` child address's
/// high cell: 0b10 is 32-bit memory (IEEE 1275 PCI bus binding, 2.2.1.1).
const SPACE_MEM32: u32 = 0b10;
/// Child address cells of a PCI bus node (phys.hi, phys.mid, phys.lo).
const PCI_ADDR_CELLS: usize = 3;

/// The PCI host bridge a DTB describes (`pci-host-ecam-generic`): its ECAM
/// base and the CPU address of its 32-bit memory window, the arguments of
/// [`probe`].
pub fn find(f: &fdt::Fdt) -> Option<(usize, usize)> {
    let n = f.find_compatible(&["pci-host-ecam-generic"])?;
    let ecam = n.reg()?.next()?.starting_address as usize;
    // The bridge sits under the root, whose cells give the CPU address size.
    let root = f.find_node("/")?;
    let cells = |name: &str, dflt: usize| {
        root.property(name)
            .and_then(|p| p.as_usize())
            .unwrap_or(dflt)
    };
    let window = mem32_window(
        n.property("ranges")?.value,
        cells("#address-cells", 2),
        cells("#size-cells", 1),
    )?;
    Some((ecam, window))
}

/// The CPU address of the 32-bit memory window in a PCI host bridge's
/// `ranges` property (big-endian cells: 3 child address cells, then
/// `parent_cells` CPU address cells and `size_cells` size cells per entry).
pub fn mem32_window(ranges: &[u8], parent_cells: usize, size_cells: usize) -> Option<usize> {
    let cell = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let words = PCI_ADDR_CELLS + parent_cells + size_cells;
    if !(1..=2).contains(&parent_cells) || words * 4 > ranges.len() {
        return None;
    }
    ranges.chunks_exact(words * 4).find_map(|e| {
        if (cell(e) >> 24) & 3 != SPACE_MEM32 {
            return None;
        }
        let cpu = e[PCI_ADDR_CELLS * 4..(PCI_ADDR_CELLS + parent_cells) * 4]
            .chunks_exact(4)
            .fold(0u64, |a, c| (a << 32) | u64::from(cell(c)));
        usize::try_from(cpu).ok()
    })
}
