# Host unit tests of the pure-logic crates (cargo test on x86_64): one
# summary line per test binary, and the failures in full if any.
out=$BUILD/host-unit.out
# el2's pure half (stage 2, vGIC logic, VMIDs, guest memory, rate limits)
# is its library; its binary is target-only.
(cd "$ROOT" && cargo test --workspace --exclude el2 --exclude rt --exclude test-l1 --exclude test-l2 >"$out" 2>&1 &&
  cargo test -p el2 --lib >>"$out" 2>&1)
rc=$?
grep -E "^\s+Running|^\s+Doc-tests|^test result" "$out" | sed 's/^ *//' | paste - - | awk -F'\t' '$2 !~ / 0 passed; 0 failed/ {print $1 " -> " $2}'
total=$(grep -E "^test result" "$out" | awk '{p += $4} END {print p}')
echo "host-unit: $total unit tests passed"
[ $rc -eq 0 ] || { grep -E "panicked|FAILED|failures:|error" "$out" | head -40; false; }
