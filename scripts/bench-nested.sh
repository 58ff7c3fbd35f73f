#!/usr/bin/env bash
# Nested micro-benchmark: test-l2 in its `bench` mode (test-l2/src/bench.rs)
# runs as the guest of L1's QEMU/KVM (L1 = the kvm-in-kvm images, Debian's
# 6.12 kernel with KVM in VHE mode) and times, per operation:
#   hvc-psci-version   PSCI_VERSION over HVC, answered by L1's KVM in its kernel
#   mmio-user          a virtio-mmio register read, answered by L1's QEMU in user space
#   mmio-gicd          a GICD_TYPER read, answered by L1's in-kernel vGIC
#
#   scripts/bench-nested.sh [--iters N] [--setups LIST] [--verbose]
# LIST is comma-separated, default "bare,l0", run in that order:
#   bare   L1 at real EL2 on bare QEMU (kvm-in-kvm.sh --bare): the payload is
#          a one-level guest
#   l0     L1 under L0 at virtual EL2: the payload is L2
# Under L0 the payload marks each timed loop with L0's print-counters call
# (HVC 0x86000001, which L0 forwards to L1 after printing its counters on
# its own console), so L0's exits per operation are
#   (exits at the mark after - exits at the mark before - what a pair of
#    marks costs alone, from the payload's calibration pair) / iterations,
# summed over L1's vCPUs (the idle one's few exits included), in total and
# split by context: l2 (taken from the payload) and l1 (from L1, at virtual
# EL2 or its EL0, while it answers). An HVC answered by L1 cannot cost
# fewer than 2 (L2's HVC and L1's ERET back): hvc-psci-version is checked
# against that floor.
# Prints one line per operation and setup:
#   bench-nested: setup=S op=NAME iters=N ns_per_op=X [l0_exits_per_op=E l2=A l1=B by reason: ...]
# and a table. Logs: build/logs/bench-nested-SETUP*.log (the runner's
# output: bench-nested-SETUP-runner.log).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
iters=20000 setups=bare,l0 verbose=()
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
# In the payload's order (its marks come in this order).
OPS=(hvc-psci-version mmio-user mmio-gicd)
declare -A WHO=([hvc-psci-version]="L1's KVM (kernel)" [mmio-user]="L1's QEMU (user space)" [mmio-gicd]="L1's KVM vGIC (kernel)")
declare -A FLOOR=([hvc-psci-version]=2)
declare -A NS=() EX=() EXL2=() EXL1=()
rc=0

# exits L0LOG BLOCK: "CTX REASON COUNT" lines of counters block BLOCK.
# delta L0LOG BEFORE AFTER: the counts of block AFTER minus BEFORE, as
# "CTX REASON COUNT" lines (zero ones left out).
delta() {
  { l0_counters "$1" "$2" | sed 's/^/- /'; l0_counters "$1" "$3" | sed 's/^/+ /'; } |
    awk '$2 == "shadow" { next }
      { d[$2 " " $3] += ($1 == "+" ? $4 : -$4) }
      END { for (k in d) if (d[k] != 0) print k, d[k] }'
}
# per_op L0LOG OP-BEFORE OP-AFTER ITERS: L0's exits per iteration of the
# op, calibration (blocks 1 and 2) subtracted: "TOTAL L2 L1 BY-REASON".
per_op() {
  { delta "$1" "$2" "$3" | sed 's/^/+ /'; delta "$1" 1 2 | sed 's/^/- /'; } |
    awk -v n="$4" '
      { v = ($1 == "+" ? $4 : -$4); c[$3] += v; x[$2] += v; t += v }
      END {
        s = ""
        for (r in c) if (c[r] != 0) s = s sprintf(" %s=%.2f", r, c[r] / n)
        printf "%.2f %.2f %.2f%s\n", t / n, x["l2"] / n, x["l1"] / n, s
      }'
}

for s in "${SETUPS[@]}"; do
  case $s in
    bare) args=(--bare) ;;
    l0) args=() ;;
    *) echo "bench-nested: unknown setup '$s' (bare, l0)" >&2; exit 2 ;;
  esac
  name=bench-nested-$s
  echo "[bench-nested] setup $s: running test-l2 bench ($iters iterations per op); runner output: $LOGS/$name-runner.log"
  if ! "$ROOT/scripts/kvm-in-kvm.sh" "${args[@]}" "${verbose[@]}" --mode bench --bench-iters "$iters" \
    --name "$name" --timeout 1800 >"$LOGS/$name-runner.log" 2>&1; then
    echo "[bench-nested] setup $s FAILED:"
    grep -E 'FAILED|ERROR' "$LOGS/$name-runner.log" | tail -3
    rc=1
    continue
  fi
  l2log=$LOGS/$name-l2-bench.log
  l0log=$(l0_log "$LOGS/$name.log")
  if [ $s = l0 ]; then
    # L0's blocks: one per mark (in the payload's order), then power-off.
    marks=$(sed -n 's/^bench: marks=\([0-9]*\):.*/\1/p' "$l2log")
    got=$(grep -c "counters at L2's request" "$l0log")
    blocks=$(grep -c ' exits cpu0: ' "$l0log")
    if [ -z "$marks" ] || [ "$marks" != $((2 + 2 * ${#OPS[@]})) ] || [ "$got" != "$marks" ] || [ "$blocks" != $((marks + 1)) ]; then
      echo "[bench-nested] L0's counters do not match the payload's marks: payload ${marks:-none}, L0 printed $got at L2's request and $blocks blocks in all ($l0log)"
      rc=1
      s_ok=0
    else
      s_ok=1
    fi
  fi
  i=0
  for op in "${OPS[@]}"; do
    line=$(grep -m 1 "^bench: op=$op " "$l2log") || { echo "[bench-nested] no result for $op in $l2log"; rc=1; continue; }
    case $line in *" ok") ;; *) echo "[bench-nested] $op: $line"; rc=1 ;; esac
    ns=$(sed -n 's/.* ns_per_op=\([0-9]*\).*/\1/p' <<<"$line")
    NS[$s.$op]=$ns
    extra=""
    if [ $s = l0 ] && [ "$s_ok" = 1 ]; then
      read -r tot l2 l1 by <<<"$(per_op "$l0log" $((3 + 2 * i)) $((4 + 2 * i)) "$iters")"
      EX[$op]=$tot EXL2[$op]=$l2 EXL1[$op]=$l1
      extra=" l0_exits_per_op=$tot l2=$l2 l1=$l1 by reason: $by"
      f=${FLOOR[$op]:-}
      if [ -n "$f" ] && ! awk -v e="$tot" -v f="$f" 'BEGIN { exit !(e >= f) }'; then
        echo "[bench-nested] $op: $tot L0 exits per op, below its floor of $f: L0's counters are wrong"
        rc=1
      fi
    fi
    echo "bench-nested: setup=$s op=$op iters=$iters ns_per_op=$ns$extra"
    i=$((i + 1))
  done
  if [ $s = l0 ]; then
    echo "[bench-nested] what a pair of marks cost alone (L0's exits, subtracted above): $(delta "$l0log" 1 2 | awk '{ t += $3; s = s " " $1 ":" $2 "=" $3 } END { print t + 0 ":" s }')"
  fi
done

us() { [ -n "${1:-}" ] && awk -v n="$1" 'BEGIN { printf "%.2f us", n / 1000 }' || echo "-"; }
have() { for x in "${SETUPS[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }
hdr="| op | answered by |" sep="|----|-------------|"
have l0 && { hdr+=" L0 exits per op (l2 + l1) |"; sep+="------|"; }
for s in "${SETUPS[@]}"; do hdr+=" $s: time per op |"; sep+="------|"; done
have l0 && have bare && { hdr+=" l0 / bare |"; sep+="------|"; }
echo
echo "$hdr"
echo "$sep"
for op in "${OPS[@]}"; do
  row="| \`$op\` | ${WHO[$op]} |"
  if have l0; then
    if [ -n "${EX[$op]:-}" ]; then
      row+=" ${EX[$op]} (${EXL2[$op]} + ${EXL1[$op]})${FLOOR[$op]:+, floor ${FLOOR[$op]}} |"
    else
      row+=" - |"
    fi
  fi
  for s in "${SETUPS[@]}"; do row+=" $(us "${NS[$s.$op]:-}") |"; done
  if have l0 && have bare; then
    if [ -n "${NS[l0.$op]:-}" ] && [ -n "${NS[bare.$op]:-}" ] && [ "${NS[bare.$op]}" -gt 0 ]; then
      row+=" $(awk -v a="${NS[l0.$op]}" -v b="${NS[bare.$op]}" 'BEGIN { printf "%.1f", a / b }') |"
    else
      row+=" - |"
    fi
  fi
  echo "$row"
done
exit $rc
