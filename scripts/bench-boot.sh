#!/usr/bin/env bash
# Boot benchmark: the `linux` scenario under L0 against the same kernel and
# initramfs on bare QEMU, measured side by side in one run (alternating, so
# machine load affects both alike). Prints medians, the ratio, L0's image
# size and the exit counts of the last L0 boot.
#   ./scripts/bench-boot.sh [RUNS]     (default 3)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-3}
"$ROOT/scripts/setup.sh" >/dev/null || exit 1
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
build_images el2 || exit 1
ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
bare=(); l0=()
for i in $(seq "$RUNS"); do
  t=$(ms); scenario_bare_linux "$LOGS/bench-bare.log" 240 || { echo "bare run failed"; tail_log "$LOGS/bench-bare.log"; exit 1; }
  bare+=($(( $(ms) - t )))
  t=$(ms); scenario_linux "$LOGS/bench-l0.log" 240 || { echo "L0 run failed"; tail_log "$LOGS/bench-l0.log"; exit 1; }
  l0+=($(( $(ms) - t )))
  expect "$LOGS/bench-l0.log" "${LINUX_MARKERS[@]}" >/dev/null || { echo "L0 run missed markers"; exit 1; }
done
mb=$(printf '%s\n' "${bare[@]}" | median); ml=$(printf '%s\n' "${l0[@]}" | median)
echo "boot-bench: runs=$RUNS bare-qemu=${mb}ms (${bare[*]}) under-L0=${ml}ms (${l0[*]}) ratio=$(awk -v a="$ml" -v b="$mb" 'BEGIN{printf "%.2f", a/b}')"
echo "boot-bench: L0 image $(stat -c %s "$IMG/el2.bin") bytes"
grep "exits " "$(l0_log "$LOGS/bench-l0.log")" | sed 's/^L0| cpu[0-9]* /boot-bench: /'
