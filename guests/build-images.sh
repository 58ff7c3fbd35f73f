#!/usr/bin/env bash
# Builds the L1 and L2 images of the `kvm-in-kvm` scenarios from Debian's
# arm64 packages (resolved, locked and fetched by scripts/debian-fetch.sh):
#
#   L1 kernel   $CACHE/Image: the Debian 6.12 kernel of the `linux` scenario
#   L1 initrd   $IMG/kik-l1-initramfs.cpio, two concatenated newc archives:
#     base      qemu-system-aarch64 with its whole dependency closure unpacked
#               with dpkg-deb -x, busybox, and the L2 kernel /l2/Image
#               (rebuilt only when the lock changes)
#     top       /init (guests/initramfs/kvm-in-kvm-l1/init), the L2 initramfs
#               /l2/initramfs.cpio.gz and the bare-metal payload
#               /l2/test-l2.bin (rebuilt in a second when one of them changes)
#   L2 kernel   the same Image, inside the L1 initrd
#   L2 initrd   $IMG/kik-l2-initramfs.cpio.gz: busybox and
#               guests/initramfs/kvm-in-kvm-l2/init (scripts/mk-initramfs.sh)
#
#   guests/build-images.sh [--test-l2 FILE] [--quiet]
# FILE defaults to $IMG/test-l2.bin (build it first: build_images test-l2).
# Prints the resolved versions (the lock's summary; the whole lock is
# $CACHE/debian-arm64.lock) and the image sizes. The archives are
# reproducible: sorted names, owner 0:0, every time stamp 0, `gzip -n`; the
# same lock and inputs give the same bytes. Warm (nothing changed) it is a
# no-op of well under a second.
#
# The base archive is not compressed: unpacking 150 MB of cpio is a copy,
# while L1 decompressing it under TCG costs seconds of boot (see README).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
IMG=$BUILD/img
CACHE=${NV_CACHE:-$BUILD/cache}
FETCH=$ROOT/scripts/debian-fetch.sh
test_l2=$IMG/test-l2.bin
quiet=0
while [ $# -gt 0 ]; do
  case $1 in
    --test-l2) test_l2=$2; shift 2 ;;
    --quiet) quiet=1; shift ;;
    *) echo "usage: $0 [--test-l2 FILE] [--quiet]" >&2; exit 2 ;;
  esac
done
say() { echo "[images] $*" >&2; }
die() { echo "[images] ERROR: $*" >&2; exit 1; }
[ -f "$test_l2" ] || die "no $test_l2 (build it first: build_images test-l2)"
mkdir -p "$IMG"

# What the L1 root leaves out of the VMM closure: documentation, and the
# 32-bit qemu-system-arm (L1 runs aarch64 guests only). One list, here.
PRUNE=(usr/share/doc usr/share/man usr/share/info usr/share/locale usr/share/lintian
  usr/share/bug usr/bin/qemu-system-arm usr/bin/qemu-system-armel usr/bin/qemu-system-armhf)

"$FETCH" ensure kernel busybox vmm
kernel=$(ls "$("$FETCH" dir kernel)"/boot/vmlinuz-* | head -1)
busybox=$("$FETCH" dir busybox)/bin/busybox

# pack TREE OUT [gzip]: a reproducible newc archive of TREE.
pack() {
  local tree=$1 out=$2 z=${3:-}
  find "$tree" -exec touch -h -d @0 {} +
  if [ "$z" = gzip ]; then
    (cd "$tree" && find . -mindepth 1 | LC_ALL=C sort |
      cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -9 >"$out.tmp"
  else
    (cd "$tree" && find . -mindepth 1 | LC_ALL=C sort |
      cpio --quiet -o -H newc -R 0:0 --reproducible) >"$out.tmp"
  fi
  mv "$out.tmp" "$out"
}
# newer OUT INPUT...: true when OUT is missing or older than an input.
newer() {
  local out=$1 f
  shift
  [ -s "$out" ] || return 0
  for f in "$@"; do [ "$out" -nt "$f" ] || return 0; done
  return 1
}

tmp=$(mktemp -d "$BUILD/images.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- base: the VMM closure, busybox, the L2 kernel ----
base=$IMG/kik-l1-base.cpio
key=$( { grep -v '^#' "$CACHE/debian-arm64.lock"; printf '%s\n' "${PRUNE[@]}"; sed -n '/^# ---- base/,/^# ---- top/p' "$0"; } | sha256sum | cut -d' ' -f1)
if [ ! -s "$base" ] || [ "$(cat "$base.key" 2>/dev/null)" != "$key" ]; then
  say "building the L1 base archive (VMM closure: $(wc -l < <("$FETCH" debs vmm)) debs)"
  t=$tmp/base
  mkdir -p "$t"
  while read -r deb; do dpkg-deb -x "$deb" "$t"; done < <("$FETCH" debs vmm)
  for p in "${PRUNE[@]}"; do rm -rf "${t:?}/$p"; done
  [ -x "$t/usr/bin/qemu-system-aarch64" ] || die "the VMM closure has no usr/bin/qemu-system-aarch64"
  [ -e "$t/lib/ld-linux-aarch64.so.1" ] || die "the VMM closure has no /lib/ld-linux-aarch64.so.1"
  mkdir -p "$t"/{bin,proc,sys,dev,tmp,l2}
  cp "$busybox" "$t/bin/busybox"
  chmod 0755 "$t/bin/busybox"
  ln -sfn busybox "$t/bin/sh"
  cp "$kernel" "$t/l2/Image"
  du -sb "$t" | cut -f1 >"$base.tree-bytes"
  pack "$t" "$base"
  echo "$key" >"$base.key"
  rm -rf "$t"
fi

# ---- top: init scripts and payloads ----
l2initrd=$IMG/kik-l2-initramfs.cpio.gz
"$ROOT/scripts/mk-initramfs.sh" "$l2initrd" kvm-in-kvm-l2
top=$IMG/kik-l1-top.cpio.gz
l1init=$ROOT/guests/initramfs/kvm-in-kvm-l1/init
if newer "$top" "$l1init" "$l2initrd" "$test_l2" "$0"; then
  t=$tmp/top
  mkdir -p "$t/l2"
  cp "$l1init" "$t/init"
  chmod 0755 "$t/init"
  cp "$l2initrd" "$t/l2/initramfs.cpio.gz"
  cp "$test_l2" "$t/l2/test-l2.bin"
  pack "$t" "$top" gzip
fi

# ---- the L1 initrd: base then top (the kernel unpacks both in order) ----
l1initrd=$IMG/kik-l1-initramfs.cpio
if newer "$l1initrd" "$base" "$top"; then
  cat "$base" "$top" >"$l1initrd.tmp"
  mv "$l1initrd.tmp" "$l1initrd"
fi

if [ $quiet = 0 ]; then
  say "versions (lock: $CACHE/debian-arm64.lock):"
  "$FETCH" summary | sed 's/^/[images]   /' >&2
  mib() { awk -v b="$1" 'BEGIN { if (b < 1048576) printf "%.1f KiB", b / 1024; else printf "%.1f MiB", b / 1048576 }'; }
  size() { stat -L -c %s "$1"; }
  say "sizes:"
  printf '[images]   %-46s %s\n' \
    "L1 kernel $kernel" "$(mib "$(size "$kernel")")" \
    "L1 initrd $l1initrd" "$(mib "$(size "$l1initrd")") (base $(mib "$(size "$base")"), unpacked $(mib "$(cat "$base.tree-bytes")"); top $(mib "$(size "$top")"))" \
    "L2 kernel (inside the L1 initrd)" "$(mib "$(size "$kernel")")" \
    "L2 initrd $l2initrd" "$(mib "$(size "$l2initrd")")" \
    "L2 payload $test_l2" "$(mib "$(size "$test_l2")")" >&2
fi
echo "L1_KERNEL=$kernel"
echo "L1_INITRD=$l1initrd"
