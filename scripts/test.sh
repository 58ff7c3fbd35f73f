#!/usr/bin/env bash
# Runs every test (or the named ones) and ends with "N passed, N failed".
#   ./scripts/test.sh           all tests (installs what it needs first)
#   ./scripts/test.sh --list    test names
#   ./scripts/test.sh NAME...   only those
# Each test is scripts/tests/NAME.sh; it exits 0 on pass. Logs: build/logs/.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TESTS=()
for f in "$ROOT"/scripts/tests/*.sh; do TESTS+=("$(basename "$f" .sh)"); done
if [ "${1:-}" = "--list" ]; then printf '%s\n' "${TESTS[@]}"; exit 0; fi
SEL=("$@"); [ ${#SEL[@]} -gt 0 ] || SEL=("${TESTS[@]}")
for t in "${SEL[@]}"; do
  [ -f "$ROOT/scripts/tests/$t.sh" ] || { echo "unknown test: $t (see --list)"; exit 2; }
done

"$ROOT/scripts/setup.sh" || { echo "set-up failed"; echo "0 passed, 1 failed"; exit 1; }
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
echo "== building images"
build_images || { echo "image build failed"; echo "0 passed, 1 failed"; exit 1; }

pass=0; fail=0; failed=()
for t in "${SEL[@]}"; do
  echo "== $t"
  start=$(date +%s)
  if ( . "$ROOT/scripts/tests/$t.sh" ); then
    pass=$((pass + 1)); echo "PASS $t ($(( $(date +%s) - start ))s)"
  else
    fail=$((fail + 1)); failed+=("$t"); echo "FAIL $t ($(( $(date +%s) - start ))s)"
  fi
done
[ $fail -eq 0 ] || echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
