#!/usr/bin/env bash
# Idempotent set-up shared by run.sh and test.sh: apt source, QEMU, cpio, rustup
# target, and the Debian arm64 guest packages. Fast when everything is present.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=versions.env
. "$ROOT/scripts/versions.env"
CACHE=${NV_CACHE:-${BUILD:-$ROOT/build}/cache}
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
say() { echo "[setup] $*" >&2; }

# The host's own apt lists are refreshed only when something must be installed
# and set-up last refreshed them more than APT_LISTS_MAX_AGE_H hours ago (or
# never, or the apt source is new), and once more if an install still fails
# (a package version replaced since the lists were read).
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
}
# $CACHE/.apt-updated records the last host `apt-get update` set-up ran.
host_lists_stale() {
  [ -e "$CACHE/.apt-updated" ] || return 0
  [ $(($(date +%s) - $(stat -c %Y "$CACHE/.apt-updated"))) -ge $((APT_LISTS_MAX_AGE_H * 3600)) ]
}
host_apt_update() {
  say "apt-get update"
  $SUDO apt-get update -qq >/dev/null
  mkdir -p "$CACHE"
  touch "$CACHE/.apt-updated"
  need_update=0
}
host_install() { # PACKAGE...
  { [ "$need_update" = 1 ] || host_lists_stale; } && host_apt_update
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t "$QEMU_SUITE" "$@" >/dev/null && return 0
  say "install failed: refreshing the apt lists and retrying"
  host_apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t "$QEMU_SUITE" "$@" >/dev/null
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
  [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] || pkgs+=(debian-archive-keyring)
  command -v flock >/dev/null || pkgs+=(util-linux)
  [ ${#pkgs[@]} -eq 0 ] || host_install "${pkgs[@]}"
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
# Debian's arm64 kernel and busybox for the guests: resolved, recorded in the
# lock file and fetched by debian-fetch.sh (a private apt state; nothing is
# installed). Stable names for the scripts: $CACHE/Image and $CACHE/busybox.
ensure_guests() {
  "$ROOT/scripts/debian-fetch.sh" ensure kernel busybox
  local kdir bdir img
  kdir=$("$ROOT/scripts/debian-fetch.sh" dir kernel)
  bdir=$("$ROOT/scripts/debian-fetch.sh" dir busybox)
  img=$(ls "$kdir"/boot/vmlinuz-* | head -1)
  [ "$(readlink "$CACHE/Image")" = "$img" ] || ln -sfn "$img" "$CACHE/Image"
  [ "$(readlink "$CACHE/busybox")" = "$bdir/bin/busybox" ] || ln -sfn "$bdir/bin/busybox" "$CACHE/busybox"
}

ensure_backports
ensure_host_tools
ensure_rust
case "${1:-all}" in
  all) ensure_guests ;;
  tools) ;;
esac
say "ready: $(qemu-system-aarch64 --version | head -1)"
