#!/usr/bin/env bash
# Idempotent set-up shared by run.sh and test.sh: apt source, QEMU, cpio, rustup
# target, and the Debian arm64 guest packages. Fast when everything is present.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=versions.env
. "$ROOT/scripts/versions.env"
CACHE=${NV_CACHE:-$ROOT/build/cache}
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
say() { echo "[setup] $*" >&2; }

need_update=0
ensure_backports() {
  local f=/etc/apt/sources.list.d/bookworm-backports.sources
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    say "adding bookworm-backports apt source ($f)"
    $SUDO tee "$f" >/dev/null <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    need_update=1
  fi
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    say "adding dpkg foreign architecture arm64 (for apt-get download only)"
    $SUDO dpkg --add-architecture arm64
    need_update=1
  fi
}
apt_update_once() {
  if [ "$need_update" = 1 ] || [ ! -e "$CACHE/.apt-updated" ]; then
    say "apt-get update"
    $SUDO apt-get update -qq >/dev/null
    mkdir -p "$CACHE"; touch "$CACHE/.apt-updated"; need_update=0
  fi
}
qemu_ok() {
  command -v qemu-system-aarch64 >/dev/null 2>&1 || return 1
  local v; v=$(qemu-system-aarch64 --version | sed -n 's/.*version \([0-9]*\.[0-9]*\).*/\1/p')
  [ "$(printf '%s\n%s\n' "$QEMU_MIN_VERSION" "$v" | sort -V | head -1)" = "$QEMU_MIN_VERSION" ]
}
ensure_host_tools() {
  local pkgs=()
  qemu_ok || pkgs+=(qemu-system-arm)
  command -v cpio >/dev/null || pkgs+=(cpio)
  command -v dtc >/dev/null || pkgs+=(device-tree-compiler)
  if [ ${#pkgs[@]} -gt 0 ]; then
    apt_update_once
    say "installing ${pkgs[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t "$QEMU_SUITE" "${pkgs[@]}" >/dev/null
  fi
  qemu_ok || { say "qemu-system-aarch64 >= $QEMU_MIN_VERSION not available"; exit 1; }
}
ensure_rust() {
  if ! rustup target list --installed | grep -qx "$RUST_TARGET"; then
    say "rustup target add $RUST_TARGET"
    rustup target add "$RUST_TARGET" >/dev/null
  fi
  local have; have=$(rustup component list --installed)
  local c
  for c in clippy rustfmt llvm-tools; do
    grep -q "^$c" <<<"$have" || { say "rustup component add $c"; rustup component add "$c" >/dev/null; }
  done
}
# Fetch one Debian arm64 package into $CACHE/debs and unpack it under $CACHE/pkg/NAME.
fetch_deb() {
  local name=$1 suite=${2:-}
  local dir="$CACHE/pkg/$name"
  [ -e "$dir/.done" ] && return 0
  apt_update_once
  mkdir -p "$CACHE/debs" "$dir"
  say "apt-get download $name:arm64"
  ( cd "$CACHE/debs" && if [ -n "$suite" ]; then apt-get download -qq -o APT::Sandbox::User=root -t "$suite" "$name:arm64"; else apt-get download -qq -o APT::Sandbox::User=root "$name:arm64"; fi )
  local deb; deb=$(ls -t "$CACHE/debs/${name}_"*_arm64.deb | head -1)
  dpkg-deb -x "$deb" "$dir"
  basename "$deb" > "$dir/.done"
}
ensure_guests() {
  fetch_deb "$GUEST_KERNEL_PKG" "$GUEST_KERNEL_SUITE"
  fetch_deb "$BUSYBOX_PKG"
  local img; img=$(ls "$CACHE/pkg/$GUEST_KERNEL_PKG"/boot/vmlinuz-* | head -1)
  ln -sf "$img" "$CACHE/Image"
  ln -sf "$CACHE/pkg/$BUSYBOX_PKG/bin/busybox" "$CACHE/busybox"
}

ensure_backports
ensure_host_tools
ensure_rust
case "${1:-all}" in
  all) ensure_guests ;;
  tools) ;;
esac
say "ready: $(qemu-system-aarch64 --version | head -1)"
