# cargo fmt and cargo clippy (-D warnings) are clean: host crates with all
# targets, bare-metal crates for aarch64-unknown-none-softfloat.
cd "$ROOT" || exit 1
ok=1
cargo fmt --all -- --check >/dev/null 2>&1 || { echo "cargo fmt --all -- --check fails:"; cargo fmt --all -- --check 2>&1 | head -20; ok=0; }
cargo clippy -q --all-targets -- -D warnings 2>&1 | tail -30 | grep . && ok=0
cargo clippy -q -p el2 --lib --tests -- -D warnings 2>&1 | tail -30 | grep . && ok=0
cargo clippy -q --release --target "$RUST_TARGET" -p el2 -p rt -p test-l1 -p test-l2 -- -D warnings 2>&1 | tail -30 | grep . && ok=0
[ $ok = 1 ] && echo "lint: fmt and clippy clean"
[ $ok = 1 ]
