//! Polled PL011 console (QEMU virt: 0x0900_0000). Output only; a spin lock
//! keeps lines from different CPUs whole.

use core::fmt;

/// QEMU virt's PL011 base; `set_base` overrides it after reading the DTB.
pub const PL011_DEFAULT_BASE: usize = 0x0900_0000;
const UARTDR: usize = 0x00;
const UARTFR: usize = 0x18;
const FR_TXFF: u32 = 1 << 5;

static BASE: core::sync::atomic::AtomicUsize =
    core::sync::atomic::AtomicUsize::new(PL011_DEFAULT_BASE);
static LOCK: spin::Mutex<()> = spin::Mutex::new(());

/// A handle to the console; `write_str` polls the TX FIFO.
pub struct Console;

/// Points the console at another PL011 (from the DTB's stdout-path).
pub fn set_base(base: usize) {
    BASE.store(base, core::sync::atomic::Ordering::Relaxed);
}

fn putb(b: u8) {
    let base = BASE.load(core::sync::atomic::Ordering::Relaxed);
    // SAFETY: `base` is the PL011 MMIO region, identity-mapped as device
    // memory (or the MMU is off); volatile accesses to FR/DR are its protocol.
    unsafe {
        while core::ptr::read_volatile((base + UARTFR) as *const u32) & FR_TXFF != 0 {}
        core::ptr::write_volatile((base + UARTDR) as *mut u32, u32::from(b));
    }
}

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                putb(b'\r');
            }
            putb(b);
        }
        Ok(())
    }
}

/// Writes formatted text atomically with respect to other CPUs.
pub fn write_fmt(args: fmt::Arguments) {
    let _g = LOCK.lock();
    let _ = fmt::Write::write_fmt(&mut Console, args);
}

/// Writes formatted text without taking the lock (panic paths).
pub fn write_fmt_unlocked(args: fmt::Arguments) {
    let _ = fmt::Write::write_fmt(&mut Console, args);
}

/// `print!` to the console.
#[macro_export]
macro_rules! print {
    ($($a:tt)*) => { $crate::console::write_fmt(format_args!($($a)*)) };
}
/// `println!` to the console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($a:tt)*) => { $crate::console::write_fmt(format_args!("{}\n", format_args!($($a)*))) };
}
