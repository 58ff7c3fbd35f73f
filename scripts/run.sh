#!/usr/bin/env bash
# The main job: boot L0 on QEMU and run a scenario, with its progress shown.
#   ./scripts/run.sh            the default scenario: kvm-in-kvm (Debian's Linux
#                               with KVM at virtual EL2 under L0 boots two L2s)
#   ./scripts/run.sh --list     scenarios
#   ./scripts/run.sh --help     this text
#   ./scripts/run.sh NAME       one scenario (linux, test-l2, bare-linux, ...)
#   ./scripts/run.sh [kvm-in-kvm[-nvhe]] [--bare] [--l1-kernel FILE ...]
#                               scripts/kvm-in-kvm.sh: any option (--...) goes
#                               there (its --help has them)
# Installs what it needs first (scripts/setup.sh). Logs: build/logs/run-NAME.log
# (the guest's console), run-NAME.l0.log (L0's); kvm-in-kvm: build/logs/kvm-in-kvm*.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
declare -A DESC=(
  [kvm-in-kvm]="(default) Debian's Linux with KVM (VHE) at virtual EL2 under L0 runs L2s (1 and 2 vCPUs) with QEMU; --bare: L1 at real EL2, no L0"
  [kvm-in-kvm-nvhe]="the same with L1's KVM in nVHE mode (kvm-arm.mode=nvhe; L0 gives an nVHE virtual EL2)"
  [linux]="L0 runs Debian's arm64 kernel + busybox initramfs as a 2-vCPU VM (at virtual EL2); init prints nproc and /proc/interrupts, powers off"
  [test-l2]="L0 runs the bare-metal test-l2 payload (hypercalls, emulated MMIO, L0-memory isolation)"
  [bare-linux]="baseline: the same kernel and initramfs on bare QEMU, no L0"
)
ORDER=(kvm-in-kvm kvm-in-kvm-nvhe linux test-l2 bare-linux)
case ${1:-} in
  --list)
    for s in "${ORDER[@]}"; do printf '%-16s %s\n' "$s" "${DESC[$s]}"; done
    exit 0
    ;;
  -h | --help)
    sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  "" | kvm-in-kvm | kvm-in-kvm-nvhe | --*)
    "$ROOT/scripts/setup.sh" || exit 1
    exec "$ROOT/scripts/kvm-in-kvm.sh" "$@"
    ;;
esac
NAME=$1
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
if [ "$NAME" != bare-linux ] && l0_counters "$(l0_log "$LOG")" >/dev/null; then
  # L0's counters at power-off over the run's wall time: for `linux`, the
  # exits of a 6.12 kernel's boot (at virtual EL2), its init and power-off.
  echo "[run] L0's exits by reason (its counters at power-off, all vCPUs; per s: over the ${ms} ms run):"
  l0_exits_table "$(l0_log "$LOG")" 0 "$ms" | sed 's/^/[run]   /'
fi
if [ -z "$why" ]; then
  echo "[run] $NAME: OK"
else
  echo "[run] $NAME: FAILED: $why"; tail_log "$LOG"; exit 1
fi
