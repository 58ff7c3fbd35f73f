//! Links with the shared script in rt/ at this image's load address (bare-metal target only).
fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.starts_with("aarch64") && target.contains("-none") {
        let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
        println!("cargo:rustc-link-arg=-T{dir}/../rt/link.ld");
        println!("cargo:rustc-link-arg=--defsym=LOAD_ADDR=0x44400000");
        println!("cargo:rustc-link-arg=--defsym=STACK_SIZE=0x10000");
        println!("cargo:rerun-if-changed=../rt/link.ld");
    }
}
