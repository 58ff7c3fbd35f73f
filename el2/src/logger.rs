//! `log` backend on the PL011. Every L0 line starts with `L0|` so it can be
//! told apart from the guest's output on the shared console.

use log::{Level, LevelFilter, Metadata, Record};

struct L0Logger;

static LOGGER: L0Logger = L0Logger;

impl log::Log for L0Logger {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }
    fn log(&self, r: &Record) {
        let cpu = crate::percpu::cpu_index();
        match r.level() {
            Level::Info => rt::println!("L0| cpu{} {}", cpu, r.args()),
            l => rt::println!("L0| cpu{} {}: {}", cpu, l, r.args()),
        }
    }
    fn flush(&self) {}
}

/// Installs the logger; `verbose` enables debug lines.
pub fn init(verbose: bool) {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(if verbose {
        LevelFilter::Debug
    } else {
        LevelFilter::Info
    });
}
