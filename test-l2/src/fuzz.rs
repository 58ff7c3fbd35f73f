//! A hostile guest's view of L0's GIC emulation: seeded random, naturally
//! aligned reads and writes of 1, 2, 4 and 8 bytes anywhere in the
//! distributor frame and the first redistributor frames (including frames of
//! vCPUs that do not exist). Every one is a single-register access with a
//! valid syndrome, so L0 must emulate each (reserved offsets read as zero)
//! without injecting anything, and keep running; a hypercall afterwards
//! checks that it does.
//! Runs last, with IRQs masked: it scrambles the guest's own GIC state.

use rt::psci::{fid, Conduit};

const GICD: usize = 0x0800_0000;
const GICD_SIZE: usize = 0x1_0000;
const GICR: usize = 0x080A_0000;
/// Four frames: the VM's two vCPUs and two that do not exist.
const GICR_SPAN: usize = 4 * 0x2_0000;
const ACCESSES: u32 = 20_000;

/// xorshift64*: a small deterministic generator (the seed is printed).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn access(addr: usize, size: usize, write: bool, v: u64) {
    // SAFETY: an access to an emulated GIC frame, which L0 emulates; an
    // abort would be caught and counted by `exceptions`. No Rust-visible
    // memory is written.
    unsafe {
        match (size, write) {
            (1, false) => {
                core::arch::asm!("ldrb {v:w}, [{a}]", a = in(reg) addr, v = out(reg) _, options(nostack))
            }
            (2, false) => {
                core::arch::asm!("ldrh {v:w}, [{a}]", a = in(reg) addr, v = out(reg) _, options(nostack))
            }
            (4, false) => {
                core::arch::asm!("ldr {v:w}, [{a}]", a = in(reg) addr, v = out(reg) _, options(nostack))
            }
            (_, false) => {
                core::arch::asm!("ldr {v}, [{a}]", a = in(reg) addr, v = out(reg) _, options(nostack))
            }
            (1, true) => {
                core::arch::asm!("strb {v:w}, [{a}]", a = in(reg) addr, v = in(reg) v, options(nostack))
            }
            (2, true) => {
                core::arch::asm!("strh {v:w}, [{a}]", a = in(reg) addr, v = in(reg) v, options(nostack))
            }
            (4, true) => {
                core::arch::asm!("str {v:w}, [{a}]", a = in(reg) addr, v = in(reg) v, options(nostack))
            }
            (_, true) => {
                core::arch::asm!("str {v}, [{a}]", a = in(reg) addr, v = in(reg) v, options(nostack))
            }
        }
    }
}

/// Runs the random accesses; the verdict is that L0 still answers after them.
pub fn run(t: &mut crate::Tally) {
    let seed = rt::sysreg::read!("CNTVCT_EL0") | 1;
    let mut rng = Rng(seed);
    let before = crate::exceptions::unexpected_count();
    for _ in 0..ACCESSES {
        let r = rng.next();
        let size = 1usize << (r & 3);
        let write = r & 4 != 0;
        let (base, span) = if r & 8 != 0 {
            (GICD, GICD_SIZE)
        } else {
            (GICR, GICR_SPAN)
        };
        let addr = base + (((r >> 16) as usize % span) & !(size - 1));
        access(addr, size, write, rng.next());
    }
    let v = rt::psci::call(Conduit::Hvc, fid::PSCI_VERSION, 0, 0, 0);
    rt::println!(
        "test-l2: gic fuzz seed {seed:#x}: {ACCESSES} random accesses, L0 still answers (psci version {v:#x}) {}",
        t.verdict(v == 0x1_0000 && crate::exceptions::unexpected_count() == before)
    );
}
