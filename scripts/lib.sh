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

# The board every run uses (see ../shared/PLATFORM.md).
QEMU_BOARD=(-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on
  -nographic -monitor none -no-reboot -semihosting-config enable=on,target=native)

# qemu_run LOG TIMEOUT_S QEMU_ARGS...: runs QEMU on the board above with the
# serial console captured in LOG (and echoed when SHOW=1). Returns QEMU's exit
# status, 124 on timeout.
qemu_run() {
  local log=$1 to=$2; shift 2
  local rc
  if [ "${SHOW:-0}" = 1 ]; then
    timeout -k 5 "$to" qemu-system-aarch64 "${QEMU_BOARD[@]}" "$@" </dev/null 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
  else
    timeout -k 5 "$to" qemu-system-aarch64 "${QEMU_BOARD[@]}" "$@" </dev/null >"$log" 2>&1
    rc=$?
  fi
  tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
  return $rc
}

# tail_log LOG: the end of a log, for failure reports.
tail_log() {
  echo "---- last 40 lines of $1 ----"
  tail -n 40 "$1"
  echo "---- end of $1 ----"
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

# L0 with test-l2 as its VM.
scenario_test_l2() { # LOG TIMEOUT
  qemu_run "$1" "$2" -m 512M -smp 2 -kernel "$IMG/el2.bin" \
    -device guest-loader,addr=$TEST_L2_ADDR,kernel="$IMG/test-l2.bin"
}

# L0 with the Debian kernel + busybox initramfs as its VM.
scenario_linux() { # LOG TIMEOUT
  "$ROOT/scripts/mk-initramfs.sh" "$INITRD" linux >/dev/null || return 1
  qemu_run "$1" "$2" -m $LINUX_MEM -smp $LINUX_SMP -kernel "$IMG/el2.bin" \
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
