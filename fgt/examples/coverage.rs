//! Prints the table's coverage as two lines:
//! `fgt coverage: N encodings, N coarse, N fine` (encodings with a coarse
//! rule / an FGT bit, counted like KVM) and
//! `fgt rules: N coarse, N fine` ((encoding, control) pairs and (encoding,
//! direction) FGT bindings, so that dropping one rule of a row shows)
//! (`cargo run -q -p fgt --example coverage`; wrapped by scripts/fgt-coverage.sh).
//! With `--list`, first prints every encoding: `S<op0>_<op1>_C<n>_C<m>_<op2> NAME[member]`.
fn main() {
    if std::env::args().any(|a| a == "--list") {
        fgt::table::for_each_encoding(|e, hit| {
            let nxs = if hit.nxs { "nXS" } else { "" };
            if hit.desc.count > 1 {
                println!("{e} {}{nxs}[{}]", hit.desc.name, hit.member);
            } else {
                println!("{e} {}{nxs}", hit.desc.name);
            }
        });
    }
    let c = fgt::coverage();
    println!(
        "fgt coverage: {} encodings, {} coarse, {} fine",
        c.encodings, c.coarse, c.fine
    );
    println!(
        "fgt rules: {} coarse, {} fine",
        c.coarse_rules, c.fine_bindings
    );
}
