#![no_std]
#![no_main]
rt::entry!(main);
extern "C" fn main(_dtb: u64) -> ! {
    rt::println!("test-l2: start at EL{}", rt::current_el());
    rt::exit::exit(0, rt::psci::Conduit::Hvc);
}
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
