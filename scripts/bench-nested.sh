#!/usr/bin/env bash
# Nested micro-benchmark: test-l2 in its `bench` mode (test-l2/src/bench.rs)
# runs as the guest of L1's QEMU/KVM (L1 = the kvm-in-kvm images, Debian's
# 6.12 kernel with KVM) and times, per operation:
#   hvc-psci-version   PSCI_VERSION over HVC, answered by L1's KVM in its kernel
#   mmio-user          a virtio-mmio register read, answered by L1's QEMU in user space
#   mmio-gicd          a GICD_TYPER read, answered by L1's in-kernel vGIC
#
#   scripts/bench-nested.sh [--iters N] [--setups LIST] [--verbose]
# LIST is comma-separated: bare (L1 at real EL2 on bare QEMU: the payload is
# a one-level guest; the default) and/or l0 (L1 under L0 at virtual EL2: the
# payload is L2). Prints one line per operation and setup:
#   bench-nested: setup=bare op=NAME iters=N ns_per_op=X
# and a table. Logs: build/logs/bench-nested-SETUP*.log.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
iters=20000 setups=bare verbose=()
while [ $# -gt 0 ]; do
  case $1 in
    --iters) iters=${2:?}; shift ;;
    --setups) setups=${2:?}; shift ;;
    --verbose) verbose=(--verbose) ;;
    *) echo "usage: $0 [--iters N] [--setups bare,l0] [--verbose]" >&2; exit 2 ;;
  esac
  shift
done
"$ROOT/scripts/setup.sh" || exit 1
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

IFS=, read -ra SETUPS <<<"$setups"
OPS=(hvc-psci-version mmio-user mmio-gicd)
declare -A WHO=([hvc-psci-version]="L1's KVM (kernel)" [mmio-user]="L1's QEMU (user space)" [mmio-gicd]="L1's KVM vGIC (kernel)")
declare -A NS=()
rc=0
for s in "${SETUPS[@]}"; do
  case $s in
    bare) args=(--bare) ;;
    l0) args=() ;;
    *) echo "bench-nested: unknown setup '$s' (bare, l0)" >&2; exit 2 ;;
  esac
  name=bench-nested-$s
  echo "[bench-nested] setup $s: running test-l2 bench ($iters iterations per op)"
  if ! "$ROOT/scripts/kvm-in-kvm.sh" "${args[@]}" "${verbose[@]}" --mode bench --bench-iters "$iters" \
    --name "$name" --timeout 900 >"$LOGS/$name-runner.log" 2>&1; then
    echo "[bench-nested] setup $s FAILED:"
    grep -E 'FAILED|ERROR' "$LOGS/$name-runner.log" | tail -3
    echo "[bench-nested] runner output: $LOGS/$name-runner.log"
    rc=1
    continue
  fi
  l2log=$LOGS/$name-l2-bench.log
  for op in "${OPS[@]}"; do
    line=$(grep -m 1 "^bench: op=$op " "$l2log") || { echo "[bench-nested] no result for $op in $l2log"; rc=1; continue; }
    case $line in *" ok") ;; *) echo "[bench-nested] $op: $line"; rc=1 ;; esac
    ns=$(sed -n 's/.* ns_per_op=\([0-9]*\).*/\1/p' <<<"$line")
    NS[$s.$op]=$ns
    echo "bench-nested: setup=$s op=$op iters=$iters ns_per_op=$ns"
  done
done

us() { [ -n "${1:-}" ] && awk -v n="$1" 'BEGIN { printf "%.2f us", n / 1000 }' || echo "-"; }
hdr="| op | answered by |" sep="|----|-------------|"
for s in "${SETUPS[@]}"; do hdr+=" $s: time per op |"; sep+="------|"; done
echo
echo "$hdr"
echo "$sep"
for op in "${OPS[@]}"; do
  row="| $op | ${WHO[$op]} |"
  for s in "${SETUPS[@]}"; do row+=" $(us "${NS[$s.$op]:-}") |"; done
  echo "$row"
done
exit $rc
