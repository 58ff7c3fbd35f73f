#!/usr/bin/env bash
# Boot benchmark: the `linux` scenario under L0 against the same kernel and
# initramfs on bare QEMU, measured side by side in one run (alternating, so
# machine load affects both alike). Prints medians, the ratio, L0's image
# size and the exit counts of the last L0 boot.
#   ./scripts/bench-boot.sh [RUNS]                 (default 3)
#   ./scripts/bench-boot.sh [RUNS] --compare REV   also L0 built from git REV
#                                                  (before/after in one run)
#   L0_ARGS="l0.nested=off" ./scripts/bench-boot.sh   extra L0 bootargs
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3 REV=""
while [ $# -gt 0 ]; do
  case $1 in
    --compare) REV=$2; shift 2 ;;
    *) RUNS=$1; shift ;;
  esac
done
"$ROOT/scripts/setup.sh" >/dev/null || exit 1
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
build_images el2 || exit 1
if [ -n "$REV" ]; then
  # The other L0, built in a throw-away worktree with its own target dir.
  wt=$BUILD/bench-rev
  rm -rf "$wt"; git -C "$ROOT" worktree prune
  git -C "$ROOT" worktree add -q --detach "$wt" "$REV" || exit 1
  (cd "$wt" && CARGO_TARGET_DIR=$BUILD/bench-rev-target cargo build -q --release \
    --target "$RUST_TARGET" -p el2) || { echo "build of $REV failed"; exit 1; }
  "$OBJCOPY" -O binary "$BUILD/bench-rev-target/$RUST_TARGET/release/el2" "$IMG/el2-rev.bin" || exit 1
  git -C "$ROOT" worktree remove --force "$wt"
fi
ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
# One L0 boot with image $1; its time goes to stdout.
l0_boot() {
  local img=$1 log=$2 t
  t=$(ms)
  EL2_IMAGE=$img scenario_linux "$log" 240 || { echo "L0 run failed" >&2; tail_log "$log" >&2; return 1; }
  expect "$log" "${LINUX_MARKERS[@]}" >/dev/null || { echo "L0 run missed markers" >&2; return 1; }
  echo $(( $(ms) - t ))
}
bare=(); l0=(); old=()
for i in $(seq "$RUNS"); do
  t=$(ms); scenario_bare_linux "$LOGS/bench-bare.log" 240 || { echo "bare run failed"; tail_log "$LOGS/bench-bare.log"; exit 1; }
  bare+=($(( $(ms) - t )))
  l0+=("$(l0_boot "$IMG/el2.bin" "$LOGS/bench-l0.log")") || exit 1
  if [ -n "$REV" ]; then old+=("$(l0_boot "$IMG/el2-rev.bin" "$LOGS/bench-l0-rev.log")") || exit 1; fi
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
mb=$(printf '%s\n' "${bare[@]}" | median); ml=$(printf '%s\n' "${l0[@]}" | median)
echo "boot-bench: runs=$RUNS bare-qemu=${mb}ms (${bare[*]}) under-L0=${ml}ms (${l0[*]}) ratio=$(ratio "$ml" "$mb")${L0_ARGS:+ (L0 args: $L0_ARGS)}"
if [ -n "$REV" ]; then
  mo=$(printf '%s\n' "${old[@]}" | median)
  echo "boot-bench: L0 at $REV: ${mo}ms (${old[*]}) ratio=$(ratio "$mo" "$mb")"
fi
echo "boot-bench: L0 image $(stat -c %s "$IMG/el2.bin") bytes"
grep "exits " "$(l0_log "$LOGS/bench-l0.log")" | sed 's/^L0| cpu[0-9]* /boot-bench: /'
