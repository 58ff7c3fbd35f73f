#!/usr/bin/env bash
# The main job: boot L0 on QEMU and run a scenario, with the console shown.
#   ./scripts/run.sh            the default scenario (linux)
#   ./scripts/run.sh --list     scenarios
#   ./scripts/run.sh NAME       one scenario
#   ./scripts/run.sh kvm-in-kvm[-nvhe] [--bare] [--l1-kernel FILE ...]
#                               scripts/kvm-in-kvm.sh (its --help has the options)
# Installs what it needs first (scripts/setup.sh). Logs: build/logs/run-NAME.log
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
declare -A DESC=(
  [linux]="L0 runs Debian's arm64 kernel + busybox initramfs as a 2-vCPU VM; init prints nproc and /proc/interrupts, powers off"
  [test-l2]="L0 runs the bare-metal test-l2 payload (hypercalls, emulated MMIO, L0-memory isolation)"
  [bare-linux]="baseline: the same kernel and initramfs on bare QEMU, no L0"
  [kvm-in-kvm]="Debian's Linux with KVM (VHE) as L1 runs L2s (1 and 2 vCPUs) with QEMU; --bare: L1 at real EL2, no L0"
  [kvm-in-kvm-nvhe]="the same with L1's KVM in nVHE mode (kvm-arm.mode=nvhe)"
)
ORDER=(linux test-l2 bare-linux kvm-in-kvm kvm-in-kvm-nvhe)
if [ "${1:-}" = "--list" ]; then
  for s in "${ORDER[@]}"; do printf '%-12s %s\n' "$s" "${DESC[$s]}"; done
  exit 0
fi
case ${1:-} in
  kvm-in-kvm | kvm-in-kvm-nvhe | --bare | --l1-kernel | --l1-initrd | --l1-append | --smp | --verbose)
    "$ROOT/scripts/setup.sh" || exit 1
    exec "$ROOT/scripts/kvm-in-kvm.sh" "$@"
    ;;
esac
NAME=${1:-linux}
[ -n "${DESC[$NAME]:-}" ] || { echo "unknown scenario '$NAME' (see --list)"; exit 2; }

"$ROOT/scripts/setup.sh" || exit 1
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
echo "[run] building L0 and payloads"
build_images el2 test-l2 || exit 1
LOG=$LOGS/run-$NAME.log
echo "[run] scenario $NAME: ${DESC[$NAME]}"
echo "[run] console follows: L0's own lines (start with 'L0|') come from L0's UART; guest lines"
echo "[run] that pose as L0's are shown as '[guest] L0|'. Logs: $LOG (guest), $(l0_log "$LOG") (L0)"
start=$(date +%s%N)
TIMEOUT=300
SHOW=1 "scenario_${NAME//-/_}" "$LOG" "$TIMEOUT"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "[run] QEMU exited with status $rc after ${ms} ms"
case $NAME in
  linux|bare-linux) MARKERS=("${LINUX_MARKERS[@]}") ;;
  test-l2) MARKERS=("test-l2: all ok") ;;
esac
# The verdict: a timeout, then L0's own account (from L0's console only),
# then the guest's final marker.
why=""
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  why="timeout after ${TIMEOUT}s"
elif [ "$NAME" != bare-linux ] && ! why=$(l0_verdict "$LOG"); then
  :
elif [ "$rc" -ne 0 ]; then
  why="QEMU exited with status $rc"
elif ! miss=$(expect "$LOG" "${MARKERS[@]}"); then
  why="the guest did not reach its final marker ($miss)"
fi
if [ -z "$why" ]; then
  echo "[run] $NAME: OK"
else
  echo "[run] $NAME: FAILED: $why"; tail_log "$LOG"; exit 1
fi
