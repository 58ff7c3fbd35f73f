#!/usr/bin/env bash
# Runs test-l1's nested suite once, by hand:
#   ./scripts/nested-suite.sh [--bare|--l0] [e2h=0|e2h=1] [hostile] [cases=A,B*] [--show]
# --bare (default): test-l1 is QEMU's -kernel and runs at real EL2.
# --l0: L0 (build/img/el2.bin) runs test-l1 as its guest, loaded in place
#   with -device guest-loader at test-l1's link address, bootargs "nested ...".
# Prints the nested-case/nested-cost/nested-suite lines and the log path;
# exits 0 when the suite reports no FAIL and test-l1 ended with rc=0.
# Env: TIMEOUT (s, default 120; 300 with hostile), SMP (default 2),
# L0_ARGS (L0's bootargs; default l0.vel2=nvhe with e2h=0, else none).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
side=bare show=0 args=()
for a in "$@"; do
  case $a in
    --bare) side=bare ;;
    --l0) side=l0 ;;
    --show) show=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) args+=("$a") ;;
  esac
done
boot="nested${args[*]:+ ${args[*]}}"
timeout=${TIMEOUT:-120}
[[ " ${args[*]:-} " == *" hostile "* ]] && timeout=${TIMEOUT:-300}
tag=$(echo "$side ${args[*]:-}" | tr -c 'A-Za-z0-9=\n' '-' | sed 's/-*$//')
log=$LOGS/nested-suite-$tag.log
echo "[nested-suite] building images"
build_images el2 test-l1 || { echo "[nested-suite] build failed"; exit 1; }
img=$IMG/test-l1.bin
if [ "$side" = bare ]; then
  SHOW=$show qemu_run "$log" "$timeout" -m 512M -smp "${SMP:-2}" -kernel "$img" -append "$boot"
else
  addr=$(image_load_addr "$img") || { echo "[nested-suite] cannot read $img"; exit 1; }
  l0args=""
  [[ " ${args[*]:-} " == *" e2h=0 "* ]] && l0args="l0.vel2=nvhe"
  SHOW=$show qemu_run "$log" "$timeout" -m 512M -smp "${SMP:-2}" -kernel "$IMG/el2.bin" -append "${L0_ARGS:-$l0args}" \
    -device guest-loader,addr="$addr",kernel="$img",bootargs="${boot//,/,,}"
fi
rc=$?
grep -E '^nested-(case|cost|suite)' "$log"
echo "[nested-suite] $side '$boot': QEMU status $rc, log $log"
summary=$(grep -E '^nested-suite: [0-9]+ cases, [0-9]+ pass, 0 fail, [0-9]+ skip$' "$log")
if [ $rc -eq 0 ] && [ -n "$summary" ] && grep -qF "test-l1: done rc=0" "$log"; then
  exit 0
fi
tail_log "$log"
exit 1
