#![no_std]
#![no_main]
rt::entry!(main);
extern "C" fn main(_dtb: u64) -> ! {
    rt::println!("el2: start at EL{}", rt::current_el());
    rt::exit::exit(0, rt::psci::Conduit::Smc);
}
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
