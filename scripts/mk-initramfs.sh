#!/usr/bin/env bash
# Builds a guest initramfs: a gzip'd newc cpio with the static busybox from
# build/cache (scripts/setup.sh fetches it) and /init taken from
# guests/initramfs/SCENARIO/init.
#   scripts/mk-initramfs.sh OUT [SCENARIO]     (SCENARIO defaults to "linux")
# Rebuilds only when OUT is older than one of its inputs; the archive is
# reproducible (fixed owners and times). /dev/console is not needed in it:
# the kernel's built-in initramfs provides one.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${NV_CACHE:-${BUILD:-$ROOT/build}/cache}
out=${1:?usage: mk-initramfs.sh OUT [SCENARIO]}
scenario=${2:-linux}
init="$ROOT/guests/initramfs/$scenario/init"
busybox=$(readlink -f "$CACHE/busybox" || true)
[ -f "$init" ] || { echo "mk-initramfs: no $init (unknown scenario '$scenario')" >&2; exit 2; }
[ -f "$busybox" ] || { echo "mk-initramfs: no busybox at $CACHE/busybox (run scripts/setup.sh)" >&2; exit 2; }

inputs=("$init" "$busybox" "$0")
fresh=1
[ -s "$out" ] || fresh=0
for f in "${inputs[@]}"; do
  [ "$fresh" = 1 ] && [ "$out" -nt "$f" ] || fresh=0
done
if [ "$fresh" = 1 ]; then
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tree=$tmp/root
mkdir -p "$tree"/{bin,proc,sys,dev,tmp}
cp "$busybox" "$tree/bin/busybox"
ln -s busybox "$tree/bin/sh"
cp "$init" "$tree/init"
chmod 0755 "$tree/init" "$tree/bin/busybox"
find "$tree" -exec touch -h -d @0 {} +
mkdir -p "$(dirname "$out")"
(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort |
  cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -9 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mk-initramfs: $out ($scenario, $(stat -c %s "$out") bytes)" >&2
