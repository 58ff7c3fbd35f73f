#!/usr/bin/env bash
# Shared helpers for run.sh, test.sh and the tests in scripts/tests/.
# Source it; it defines ROOT, BUILD, IMG, LOGS and the functions below.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
IMG=$BUILD/img
LOGS=$BUILD/logs
CACHE=${NV_CACHE:-$BUILD/cache}
# shellcheck source=versions.env
. "$ROOT/scripts/versions.env"
mkdir -p "$IMG" "$LOGS"

OBJCOPY=${OBJCOPY:-$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/llvm-objcopy}

# build_images [CRATE...]: the L0 binary and the test payloads (default: all
# three) as raw arm64 Images in $IMG.
build_images() {
  local crates=("$@") b pkgs=()
  [ ${#crates[@]} -gt 0 ] || crates=(el2 test-l1 test-l2)
  for b in "${crates[@]}"; do pkgs+=(-p "$b"); done
  (cd "$ROOT" && cargo build -q --release --target "$RUST_TARGET" "${pkgs[@]}") || return 1
  for b in "${crates[@]}"; do
    "$OBJCOPY" -O binary "${CARGO_TARGET_DIR:-$ROOT/target}/$RUST_TARGET/release/$b" "$IMG/$b.bin" || return 1
  done
}

# The board every run uses (see ../shared/PLATFORM.md). No semihosting: a
# guest could use it to end QEMU with a status of its choice or to reach host
# files (docs/security.md). Failure reaches QEMU's exit status only through
# the pvpanic device, which whoever owns the board (L0, or a bare-metal
# payload at EL2) keeps: QEMU then exits 1.
QEMU_BOARD=(-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on
  -display none -monitor none -no-reboot -device pvpanic-pci -action panic=exit-failure)

# l0_log LOG: where qemu_run puts L0's own console for a run logged to LOG.
l0_log() { echo "${1%.log}.l0.log"; }
# qemu_log LOG: QEMU's own messages (stdout/stderr of the QEMU process).
qemu_log() { echo "${1%.log}.qemu.log"; }

# qemu_run LOG TIMEOUT_S QEMU_ARGS...: runs QEMU on the board above. The
# first UART (the guest's console; a bare payload's only one) goes to LOG,
# the second (L0's own console, which no guest can write) to $(l0_log LOG),
# QEMU's messages to $(qemu_log LOG). With SHOW=1 both consoles are also
# shown as they come; guest lines that pose as L0's are marked "[guest]".
# Returns QEMU's exit status, 124 on timeout.
qemu_run() {
  local log=$1 to=$2; shift 2
  local l0; l0=$(l0_log "$log")
  local q; q=$(qemu_log "$log")
  local rc qpid tails=()
  rm -f "$log" "$l0" "$q"; : >"$log"; : >"$l0"
  timeout -k 5 "$to" qemu-system-aarch64 "${QEMU_BOARD[@]}" -serial "file:$log" -serial "file:$l0" \
    "$@" </dev/null >"$q" 2>&1 &
  qpid=$!
  if [ "${SHOW:-0}" = 1 ]; then
    # Both tails end by themselves once QEMU (the timeout wrapper) is gone.
    tail -s 0.2 -n +1 -F --pid="$qpid" "$l0" 2>/dev/null | tr -d '\r' &
    tails+=($!)
    tail -s 0.2 -n +1 -F --pid="$qpid" "$log" 2>/dev/null | tr -d '\r' | sed -u 's/^L0|/[guest] L0|/' &
    tails+=($!)
  fi
  wait "$qpid"
  rc=$?
  [ ${#tails[@]} -eq 0 ] || wait "${tails[@]}"
  local f
  for f in "$log" "$l0" "$q"; do tr -d '\r' <"$f" >"$f.tmp" && mv "$f.tmp" "$f"; done
  if [ -s "$q" ] && [ "${SHOW:-0}" = 1 ]; then sed 's/^/[qemu] /' "$q"; fi
  return $rc
}

# tail_log LOG: the end of a run's logs (guest console, L0's console,
# QEMU's messages), for failure reports.
tail_log() {
  local f
  for f in "$1" "$(l0_log "$1")" "$(qemu_log "$1")"; do
    [ -s "$f" ] || continue
    echo "---- last 40 lines of $f ----"
    tail -n 40 "$f"
    echo "---- end of $f ----"
  done
}

# l0_verdict LOG: L0's own account of a run, from L0's console only (never
# from the guest's, where any line can be forged). Prints why and fails when
# L0 reported a failure, panicked or faulted, or did not power off.
l0_verdict() {
  local l0; l0=$(l0_log "$1")
  if grep -qE '^L0\| (FAILED|PANIC|FATAL)' "$l0"; then
    echo "L0 failed: $(grep -m1 -E '^L0\| (cpu[0-9]+ ERROR|FAILED|PANIC|FATAL)' "$l0")"
    return 1
  fi
  if ! grep -qE '^L0\| cpu[0-9]+ guest requested SYSTEM_(OFF|RESET): powering off' "$l0"; then
    echo "L0 did not power off (no power-off line on L0's console)"
    return 1
  fi
}

# l0_counters L0LOG [N]: L0's counters block N (1-based, in the order L0
# printed them; 0 or none: the last) from L0's console log, as lines
# "CTX REASON COUNT" (CTX l1 or l2, each summed over the vCPUs) and
# "shadow TEXT" (the shadow stage-2 line). Fails when there is no block N.
# A block is what el2's Vm::print_counters prints, from "exits cpu0:" on:
# at power-off, and when the guest (or L2) makes the print-counters call.
l0_counters() {
  awk -v want="${2:-0}" '
    / exits cpu0: / { n++ }
    n && / exits cpu[0-9]+( l2)?: / {
      ctx = ($0 ~ / exits cpu[0-9]+ l2: /) ? "l2" : "l1"
      s = $0
      sub(/.* exits cpu[0-9]+( l2)?: /, "", s)
      k = split(s, f, " ")
      for (i = 1; i <= k; i++) {
        split(f[i], kv, "=")
        if (kv[1] != "total") c[n, ctx, kv[1]] += kv[2]
      }
      got[n] = 1
    }
    n && / shadow stage 2: / { s = $0; sub(/.* shadow stage 2: /, "", s); sh[n] = s }
    END {
      b = want ? want : n
      if (b < 1 || b > n || !(b in got)) exit 1
      for (key in c) { split(key, p, SUBSEP); if (p[1] == b) print p[2], p[3], c[key] }
      if (b in sh) print "shadow", sh[b]
    }' "$1"
}

# l0_exits_table L0LOG [N] [MS]: counters block N (as l0_counters) as a
# table: one row per context (l1, l2) and their sum, one column per exit
# reason with a non-zero count, largest first; with MS (the milliseconds
# the counts took) also the sum per second. Then the shadow stage-2 line.
l0_exits_table() {
  local rows
  rows=$(l0_counters "$1" "${2:-0}") || return 1
  awk -v ms="${3:-0}" '
    $1 == "shadow" { sub(/^shadow /, ""); sh = $0; next }
    {
      c[$1, $2] += $3; all[$2] += $3; tot[$1] += $3; T += $3
      if (!($2 in seen)) { seen[$2] = 1; name[++k] = $2 }
      if (!($1 in cseen)) { cseen[$1] = 1; ctx[++m] = $1 }
    }
    function cell(v) { return sprintf("%d", v + 0.5) }
    END {
      for (i = 1; i <= k; i++)
        for (j = i + 1; j <= k; j++)
          if (all[name[j]] > all[name[i]]) { t = name[i]; name[i] = name[j]; name[j] = t }
      for (i = 1; i <= m; i++)
        for (j = i + 1; j <= m; j++)
          if (ctx[j] < ctx[i]) { t = ctx[i]; ctx[i] = ctx[j]; ctx[j] = t }
      nr = 0
      for (i = 1; i <= m; i++) {
        lab[++nr] = ctx[i]; v[nr, 0] = tot[ctx[i]]
        for (j = 1; j <= k; j++) v[nr, j] = c[ctx[i], name[j]]
      }
      lab[++nr] = "all"; v[nr, 0] = T
      for (j = 1; j <= k; j++) v[nr, j] = all[name[j]]
      if (ms > 0) {
        lab[++nr] = "all per s"; v[nr, 0] = T * 1000 / ms
        for (j = 1; j <= k; j++) v[nr, j] = all[name[j]] * 1000 / ms
      }
      hd[0] = "total"
      for (j = 1; j <= k; j++) hd[j] = name[j]
      for (j = 0; j <= k; j++) {
        w[j] = length(hd[j])
        for (r = 1; r <= nr; r++) if (length(cell(v[r, j])) > w[j]) w[j] = length(cell(v[r, j]))
      }
      line = sprintf("%-9s", "context")
      for (j = 0; j <= k; j++) line = line sprintf("  %" w[j] "s", hd[j])
      print line
      for (r = 1; r <= nr; r++) {
        line = sprintf("%-9s", lab[r])
        for (j = 0; j <= k; j++) line = line sprintf("  %" w[j] "s", cell(v[r, j]))
        print line
      }
      if (sh != "") print "shadow stage 2: " sh
    }' <<<"$rows"
}

# expect LOG MARKER...: every marker (fixed string) appears in LOG.
expect() {
  local log=$1 m miss=0; shift
  for m in "$@"; do
    if ! grep -qF -- "$m" "$log"; then
      echo "missing marker: $m"
      miss=1
    fi
  done
  return $miss
}

# expect_not LOG MARKER...: no marker appears in LOG.
expect_not() {
  local log=$1 m bad=0; shift
  for m in "$@"; do
    if grep -qF -- "$m" "$log"; then
      echo "unexpected marker: $m"
      bad=1
    fi
  done
  return $bad
}

# image_load_addr FILE: where an arm64 Image asks to be loaded (RAM base
# 0x40000000 + the header's text_offset, the 64-bit little-endian word at
# offset 8), e.g. for -device guest-loader,addr=... (test-l1's link address
# lives in its build.rs only).
image_load_addr() {
  local off
  [ -f "$1" ] || return 1
  off=$(od -An -t u8 -j 8 -N 8 "$1" | tr -d ' ') || return 1
  printf '0x%x\n' $((0x40000000 + off))
}

# guest_loader ADDR FILE [BOOTARGS]: QEMU args placing FILE as the guest kernel.
guest_loader_kernel() {
  local addr=$1 file=$2 args=${3:-}
  if [ -n "$args" ]; then
    echo "-device guest-loader,addr=$addr,kernel=$file,bootargs=$args"
  else
    echo "-device guest-loader,addr=$addr,kernel=$file"
  fi
}

# ---- Scenarios: shared by run.sh (the main job) and the tests. ----
# Guest module addresses. QEMU puts its own DTB at RAM base + 128 MiB
# (0x48000000), so guest modules stay clear of 0x48000000..0x48100000;
# L0 keeps 0x40000000..0x44000000.
GUEST_KERNEL_ADDR=0x4a000000
GUEST_INITRD_ADDR=0x70000000
TEST_L2_ADDR=0x4c000000
LINUX_MEM=1G
LINUX_SMP=2
LINUX_ARGS="console=ttyAMA0 panic=-1 rdinit=/init"
INITRD=$BUILD/linux-initramfs.cpio.gz

# L0 with test-l2 as its VM (an EL1 guest: L0 runs it with l0.nested=off).
scenario_test_l2() { # LOG TIMEOUT
  qemu_run "$1" "$2" -m 512M -smp 2 -kernel "$IMG/el2.bin" -append "l0.nested=off${L0_ARGS:+ $L0_ARGS}" \
    -device guest-loader,addr=$TEST_L2_ADDR,kernel="$IMG/test-l2.bin"
}

# L0 with the Debian kernel + busybox initramfs as its VM (EL2_IMAGE: another
# L0 build; L0_ARGS: L0's own bootargs, e.g. l0.debug).
scenario_linux() { # LOG TIMEOUT
  "$ROOT/scripts/mk-initramfs.sh" "$INITRD" linux >/dev/null || return 1
  qemu_run "$1" "$2" -m $LINUX_MEM -smp $LINUX_SMP -kernel "${EL2_IMAGE:-$IMG/el2.bin}" \
    ${L0_ARGS:+-append "$L0_ARGS"} \
    -device guest-loader,addr=$GUEST_KERNEL_ADDR,kernel="$CACHE/Image",bootargs="$LINUX_ARGS" \
    -device guest-loader,addr=$GUEST_INITRD_ADDR,initrd="$INITRD"
}

# The same kernel and initramfs on bare QEMU (no L0): the baseline.
scenario_bare_linux() { # LOG TIMEOUT
  "$ROOT/scripts/mk-initramfs.sh" "$INITRD" linux >/dev/null || return 1
  qemu_run "$1" "$2" -m $LINUX_MEM -smp $LINUX_SMP -kernel "$CACHE/Image" -initrd "$INITRD" \
    -append "$LINUX_ARGS"
}

# Markers a good `linux` boot prints.
LINUX_MARKERS=("smp: Brought up 1 node, 2 CPUs" "Run /init as init process" "linux-scenario: nproc 2" "linux-scenario: timer irqs in 1s:" "linux-scenario: done")

# kik_check NAME SCENARIO RUNNER-ARGS...: a kvm-in-kvm run for the tests
# (scripts/kvm-in-kvm.sh SCENARIO --name NAME ARGS; it checks every stage
# itself), then its logs checked again: L1 at EL2 with KVM in the
# scenario's mode, both L2s (1 and 2 vCPUs) up, their workload good, off;
# no failure line, panic or BAD anywhere; under L0 (no --bare in ARGS) also
# L0's own account: its verdict (no failure, powered off), L1 given the
# virtual EL2 of that mode, L1's first VM entry seen, exits taken from L2
# counted, the shadow stage 2 filled, no ERROR line. Prints the logs' tails on failure.
kik_check() {
  local name=$1 scenario=$2 rc ok=1 bare=0 a mode vel2 fills
  shift 2
  for a in "$@"; do [ "$a" = --bare ] && bare=1; done
  "$ROOT/scripts/kvm-in-kvm.sh" "$scenario" --name "$name" "$@"
  rc=$?
  local log=$LOGS/$name.log l0; l0=$(l0_log "$log")
  case $scenario in
    kvm-in-kvm) mode="VHE mode initialized successfully" vel2=VHE ;;
    kvm-in-kvm-nvhe) mode="Hyp nVHE mode initialized successfully" vel2=nVHE ;;
  esac
  [ $rc -eq 0 ] || { echo "runner status $rc"; ok=0; }
  expect "$log" "CPU: All CPU(s) started at EL2" "kvm [1]: $mode" \
    "kvm-in-kvm: L1 KVM ready: /dev/kvm, $mode" "L2| l2: up nproc 1" "kvm-in-kvm: L2 off smp=1 rc=0 ok" \
    "L2| l2: up nproc 2" "kvm-in-kvm: L2 off smp=2 rc=0 ok" "kvm-in-kvm: L1 done: 2 L2 run(s) ok" || ok=0
  local n
  for n in 1 2; do
    grep -qE "^L2\| l2: workload md5 96995b58d4cbf6aaa9041b4f00c7f6ae ok, irqs( cpu[0-9]+=\+[1-9][0-9]*){$n} elapsed [0-9.]+s ok\$" "$log" ||
      { echo "no good $n-vCPU L2 workload line"; ok=0; }
  done
  expect_not "$log" "kvm-in-kvm: FAIL" "Kernel panic" "BAD" || ok=0
  [ $scenario = kvm-in-kvm-nvhe ] && { expect_not "$log" "kvm [1]: VHE mode initialized" || ok=0; }
  if [ $bare = 0 ]; then
    l0_verdict "$log" || ok=0
    grep -qE "^L0\| cpu0 guest: [0-9]+ vCPUs at virtual EL2 \($vel2\)" "$l0" || { echo "L0 did not give L1 a $vel2 virtual EL2"; ok=0; }
    grep -qE '^L0\| cpu0 exits cpu[0-9]+ l2: total=[1-9]' "$l0" || { echo "L0 counted no exits from L2"; ok=0; }
    grep -qE "^L0\| cpu[0-9]+ exits before L1's first VM entry: total=[1-9]" "$l0" || { echo "L0 did not see L1 enter a VM"; ok=0; }
    fills=$(sed -n 's/.*shadow stage 2: .* fills \([0-9]*\),.*/\1/p' "$l0" | tail -n 1)
    [ "${fills:-0}" -gt 0 ] || { echo "L0's shadow stage 2 was never filled (fills=${fills:-none})"; ok=0; }
    expect_not "$l0" "ERROR" || ok=0
  fi
  [ $ok = 1 ] || tail_log "$log"
  [ $ok = 1 ]
}
