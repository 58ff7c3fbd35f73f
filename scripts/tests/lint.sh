# cargo fmt and cargo clippy (-D warnings) are clean: host crates with all
# targets, bare-metal crates for aarch64-unknown-none-softfloat. Fails on any
# command's exit status (and on a clippy warning or error line, in case one
# is not denied).
cd "$ROOT" || exit 1
ok=1
lint_run() { # NAME CMD...
  local name=$1 out rc; shift
  out=$("$@" 2>&1); rc=$?
  if [ $rc -ne 0 ] || grep -qE '^(warning|error)' <<<"$out"; then
    echo "$name fails (exit status $rc):"; echo "$out" | tail -n 30; ok=0
  fi
}
lint_run "cargo fmt --all -- --check" cargo fmt --all -- --check
lint_run "cargo clippy (host)" cargo clippy -q --all-targets -- -D warnings
lint_run "cargo clippy (el2 library, host)" cargo clippy -q -p el2 --lib --tests -- -D warnings
lint_run "cargo clippy ($RUST_TARGET)" cargo clippy -q --release --target "$RUST_TARGET" -p el2 -p rt -p test-l1 -p test-l2 -- -D warnings
[ $ok = 1 ] && echo "lint: fmt and clippy clean"
[ $ok = 1 ]
