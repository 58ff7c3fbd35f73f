# Host unit tests of the pure-logic crates (cargo test on x86_64).
cd "$ROOT" && cargo test -q --workspace --exclude el2 --exclude rt --exclude test-l1 --exclude test-l2 2>&1 | tail -n 30
