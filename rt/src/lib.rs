//! Bare-metal runtime shared by the L0 hypervisor (`el2`) and the test
//! payloads (`test-l1`, `test-l2`): the arm64 Linux `Image` header and entry
//! stub, a polled PL011 console, the run's end (PSCI power-off, or a failure
//! through QEMU's pvpanic device for whoever owns the board), PSCI calls, and
//! system-register access by name.
//!
//! Everything here is small and target-only; inline asm is confined to the
//! named helpers below, each with a `// SAFETY:` line.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod console;
pub mod exit;
pub mod psci;
pub mod pvpanic;
pub mod sysreg;

pub use console::Console;

/// Emits the arm64 `Image` header and the primary entry point `_start`.
///
/// The entry sets the stack to `__stack_top` (from `rt/link.ld`), zeroes BSS
/// and calls `$main(x0)` with x0 as the loader left it (the DTB address under
/// the Linux boot protocol). `$main` must be `extern "C" fn(u64) -> !`.
/// Header layout: Documentation/arch/arm64/booting.rst (text_offset,
/// image_size, flags = LE | 4K | anywhere, magic "ARM\x64").
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        core::arch::global_asm!(
            ".section .text.head, \"ax\"",
            ".global _start",
            "_start:",
            "b 1f",
            ".long 0",
            ".quad __text_offset",
            ".quad __image_size",
            ".quad 0xa",
            ".quad 0, 0, 0",
            ".ascii \"ARM\\x64\"",
            ".long 0",
            "1:",
            "mov x19, x0",
            "adrp x1, __stack_top",
            "add x1, x1, :lo12:__stack_top",
            "mov sp, x1",
            "adrp x1, __bss_start",
            "add x1, x1, :lo12:__bss_start",
            "adrp x2, __bss_end",
            "add x2, x2, :lo12:__bss_end",
            "2: cmp x1, x2",
            "b.hs 3f",
            "str xzr, [x1], #8",
            "b 2b",
            "3: mov x0, x19",
            "bl {main}",
            "4: wfe",
            "b 4b",
            main = sym $main,
        );
    };
}

/// Reads the current exception level (1, 2 or 3) from CurrentEL.
#[inline]
pub fn current_el() -> u8 {
    ((sysreg::read!("CurrentEL") >> 2) & 3) as u8
}
