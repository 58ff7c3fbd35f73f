#!/usr/bin/env bash
# Debian arm64 packages for the guest images, fetched without touching the
# host's package state: a private apt state in $CACHE/apt with its own
# sources list ([arch=arm64]), its own lists and an empty dpkg status, so apt
# resolves a package's complete dependency closure as for an empty arm64
# system. Nothing is installed; the host needs no foreign architecture.
#
# Versions are resolved at fetch time and recorded, with the SHA256 of every
# .deb, in one lock file: $CACHE/debian-arm64.lock. Later runs use the lock
# (no network when everything is cached). When a locked version can no longer
# be downloaded (Debian replaced it), the apt lists are refreshed and, if it is
# still gone, the role is resolved again and the lock rewritten. Lists older
# than APT_LISTS_MAX_AGE_H are refreshed before any resolution or download.
#
#   debian-fetch.sh ensure ROLE...   resolve roles missing from the lock, fetch, unpack
#   debian-fetch.sh update [ROLE...] resolve again (newest builds), fetch, unpack
#   debian-fetch.sh lock             print the lock file
#   debian-fetch.sh summary          one line per role (what the lock holds)
#   debian-fetch.sh debs ROLE        the role's .deb files, one per line
#   debian-fetch.sh dir ROLE         where a single-package role is unpacked
#
# Roles (versions.env says which packages):
#   kernel   the newest linux-image-$GUEST_KERNEL_SERIES.N+debNN-$GUEST_KERNEL_FLAVOUR
#            in $GUEST_KERNEL_SUITE (one package; its Depends are not needed
#            to take the Image out of it)
#   busybox  $BUSYBOX_PKG, apt's candidate (one package, static)
#   vmm      $L1_VMM_PKG from $L1_VMM_SUITE with its recursive Depends and
#            Pre-Depends (no Recommends), exactly as apt's resolver picks them
# Debs live in $CACHE/debs; kernel and busybox are unpacked (dpkg-deb -x) in
# $CACHE/pkg/PACKAGE; the vmm debs are unpacked by guests/build-images.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=versions.env
. "$ROOT/scripts/versions.env"
CACHE=${NV_CACHE:-${BUILD:-$ROOT/build}/cache}
LOCK=$CACHE/debian-arm64.lock
A=$CACHE/apt
DEBS=$CACHE/debs
ROLES=(kernel busybox vmm)
say() { echo "[debian] $*" >&2; }
die() { echo "[debian] ERROR: $*" >&2; exit 1; }

# ---- the private apt state ----
write_apt_config() {
  mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/etc/parts" "$A/etc/prefs" "$DEBS"
  [ -e "$A/status" ] || : >"$A/status"
  local key=/usr/share/keyrings/debian-archive-keyring.gpg s
  [ -r "$key" ] || die "$key missing (package debian-archive-keyring)"
  {
    for s in $DEBIAN_RELEASE $DEBIAN_RELEASE-updates $DEBIAN_RELEASE-backports; do
      echo "deb [arch=arm64 signed-by=$key] $DEBIAN_MIRROR $s main"
    done
    echo "deb [arch=arm64 signed-by=$key] $DEBIAN_SECURITY_MIRROR $DEBIAN_RELEASE-security main"
  } >"$A/sources.list.new"
  mv "$A/sources.list.new" "$A/sources.list"
  cat >"$A/apt.conf" <<CONF
Dir::Etc::SourceList "$A/sources.list";
Dir::Etc::SourceParts "$A/etc/parts";
Dir::Etc::Parts "$A/etc/parts";
Dir::Etc::Preferences "$A/etc/prefs/none";
Dir::Etc::PreferencesParts "$A/etc/prefs";
Dir::State "$A";
Dir::State::Lists "$A/lists";
Dir::State::status "$A/status";
Dir::Cache "$A/cache";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
Debug::NoLocking "true";
CONF
}
xapt() { APT_CONFIG=$A/apt.conf apt-get -q "$@"; }
xcache() { APT_CONFIG=$A/apt.conf apt-cache "$@"; }

# The lists are fresh when they were fetched for the current sources less
# than APT_LISTS_MAX_AGE_H hours ago.
lists_fresh() {
  [ -s "$A/updated" ] || return 1
  [ "$(cat "$A/updated")" = "$(sha256sum <"$A/sources.list" | cut -d' ' -f1)" ] || return 1
  local age=$(($(date +%s) - $(stat -c %Y "$A/updated")))
  [ "$age" -lt $((APT_LISTS_MAX_AGE_H * 3600)) ]
}
lists_update() {
  say "apt-get update (private arm64 state in $A)"
  xapt update -qq >"$A/update.log" 2>&1 || { cat "$A/update.log" >&2; die "apt-get update failed"; }
  sha256sum <"$A/sources.list" | cut -d' ' -f1 >"$A/updated"
  UPDATED_NOW=1
}
ensure_lists() {
  [ -n "${APT_READY:-}" ] && return 0
  write_apt_config
  lists_fresh || lists_update
  APT_READY=1
}

# ---- resolution: each prints "name version" lines ----
resolve_kernel() {
  local series=${GUEST_KERNEL_SERIES//./\\.} names best="" bestv="" n v
  # Real packages only: madison prints nothing for virtual names.
  mapfile -t names < <(xcache pkgnames "linux-image-$GUEST_KERNEL_SERIES." |
    grep -E "^linux-image-$series\.[0-9]+\+deb[0-9]+(\.[0-9]+)?-$GUEST_KERNEL_FLAVOUR\$" || true)
  [ ${#names[@]} -gt 0 ] || die "no linux-image-$GUEST_KERNEL_SERIES.*-$GUEST_KERNEL_FLAVOUR package in the lists"
  while read -r n v; do
    if [ -z "$bestv" ] || dpkg --compare-versions "$v" gt "$bestv"; then best=$n; bestv=$v; fi
  done < <(xcache madison "${names[@]}" |
    awk -F' [|] ' -v s=" $GUEST_KERNEL_SUITE/" 'index($3, s) { gsub(/ /, "", $1); gsub(/ /, "", $2); print $1, $2 }')
  [ -n "$best" ] || die "no linux-image-$GUEST_KERNEL_SERIES.*-$GUEST_KERNEL_FLAVOUR in $GUEST_KERNEL_SUITE"
  echo "$best $bestv"
}
resolve_busybox() {
  local v
  v=$(xcache policy "$BUSYBOX_PKG" | awk '/Candidate:/ { print $2 }')
  [ -n "$v" ] && [ "$v" != "(none)" ] || die "no candidate for $BUSYBOX_PKG"
  echo "$BUSYBOX_PKG $v"
}
resolve_vmm() {
  # Simulated install on the empty arm64 status: every "Inst" line is one
  # package of the closure, with the version apt chose.
  local out
  out=$(xapt -s install -t "$L1_VMM_SUITE" "$L1_VMM_PKG" 2>&1) || { echo "$out" >&2; die "apt cannot resolve $L1_VMM_PKG"; }
  awk '$1 == "Inst" { v = $3; sub(/^\(/, "", v); print $2, v }' <<<"$out"
}

# resolve ROLE: rewrites the role's lines in the lock. A lock line is
#   ROLE PACKAGE VERSION ARCH SHA256
resolve() {
  local role=$1 pairs specs=() n v
  ensure_lists
  pairs=$("resolve_$role")
  while read -r n v; do specs+=("$n=$v"); done <<<"$pairs"
  local lines
  lines=$(xcache show "${specs[@]}" | awk -v role="$role" '
    /^Package: / { p = $2 } /^Version: / { v = $2 } /^Architecture: / { a = $2 }
    /^SHA256: / { s = $2 }
    /^$/ { if (p != "" && !seen[p]++) print role, p, v, a, s; p = "" }
    END { if (p != "" && !seen[p]++) print role, p, v, a, s }')
  [ "$(wc -l <<<"$lines")" = "${#specs[@]}" ] || die "apt-cache show gave no record for some of: ${specs[*]}"
  local tmp=$LOCK.tmp
  {
    echo "# Debian arm64 packages of the guest images, resolved by apt at fetch time"
    echo "# (scripts/debian-fetch.sh; 'update' resolves again). ROLE PACKAGE VERSION ARCH SHA256"
    [ -f "$LOCK" ] && grep -v '^#' "$LOCK" | awk -v r="$role" '$1 != r' || true
    echo "$lines"
  } | awk '/^#/ { print; next } NF { print | "sort -s -k1,1" }' >"$tmp"
  # Keep the roles' order stable: header first, then lines sorted by role.
  mv "$tmp" "$LOCK"
  say "resolved $role: $(role_summary "$role")"
}

role_lines() { [ -f "$LOCK" ] && awk -v r="$1" '$1 == r' "$LOCK" || true; }
role_summary() {
  local role=$1
  case $role in
    vmm) awk -v r=vmm -v p="$L1_VMM_PKG" '$1 == r { n++; if ($2 == p) v = $3 }
      END { printf "%s %s + %d dependencies\n", p, v, n - 1 }' "$LOCK" ;;
    *) role_lines "$role" | awk '{ print $2, $3 }' ;;
  esac
}
deb_name() { echo "${1}_${2//:/%3a}_$3.deb"; }
role_debs() {
  local r n v a s
  while read -r r n v a s; do echo "$DEBS/$(deb_name "$n" "$v" "$a")"; done < <(role_lines "$1")
}

# fetch ROLE: every deb of the role present with the locked SHA256.
fetch() {
  local role=$1 stamp=$DEBS/.ok-$1 want
  want=$(role_lines "$role")
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    local f ok=1
    while read -r f; do [ -f "$f" ] || ok=0; done < <(role_debs "$role")
    [ $ok = 1 ] && return 0
  fi
  local attempt
  for attempt in 1 2 3; do
    if download "$role"; then
      printf '%s\n' "$(role_lines "$role")" >"$stamp"
      return 0
    fi
    case $attempt in
      1)
        # Lists fetched by this very run are as fresh as they get.
        if [ -z "${UPDATED_NOW:-}" ]; then
          say "download failed: refreshing the apt lists and retrying"
          write_apt_config
          lists_update
          APT_READY=1
          continue
        fi
        ;&
      2)
        say "locked versions of '$role' are not in the archive any more: resolving again"
        resolve "$role"
        ;;
    esac
  done
  die "cannot fetch the '$role' packages (see the messages above)"
}
# download ROLE: fetch missing or wrong debs; 0 when all match the lock.
download() {
  local role=$1 r n v a s f missing=()
  while read -r r n v a s; do
    f=$DEBS/$(deb_name "$n" "$v" "$a")
    if [ -f "$f" ] && [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$s" ]; then continue; fi
    rm -f "$f"
    missing+=("$n=$v")
  done < <(role_lines "$role")
  [ ${#missing[@]} -gt 0 ] || return 0
  ensure_lists
  say "apt-get download ${#missing[@]} package(s) for '$role'"
  (cd "$DEBS" && xapt download -qq "${missing[@]}") >&2 || return 1
  while read -r r n v a s; do
    f=$DEBS/$(deb_name "$n" "$v" "$a")
    [ -f "$f" ] || { say "missing after download: $f"; return 1; }
    [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$s" ] || { say "SHA256 mismatch: $f"; rm -f "$f"; return 1; }
  done < <(role_lines "$role")
}
# unpack ROLE: single-package roles are unpacked in $CACHE/pkg/PACKAGE.
unpack() {
  local role=$1 r n v a s dir deb
  read -r r n v a s < <(role_lines "$role")
  dir=$CACHE/pkg/$n
  deb=$(deb_name "$n" "$v" "$a")
  [ "$(cat "$dir/.done" 2>/dev/null)" = "$deb" ] && return 0
  say "unpacking $deb"
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  dpkg-deb -x "$DEBS/$deb" "$dir.tmp"
  echo "$deb" >"$dir.tmp/.done"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
}

ensure_role() {
  local role=$1
  [ -n "$(role_lines "$role")" ] || resolve "$role"
  fetch "$role"
  case $role in kernel | busybox) unpack "$role" ;; esac
}
check_roles() {
  local r
  for r in "$@"; do
    [[ " ${ROLES[*]} " == *" $r "* ]] || die "unknown role '$r' (roles: ${ROLES[*]})"
  done
}

mkdir -p "$CACHE"
cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  ensure | update)
    [ $# -gt 0 ] || set -- "${ROLES[@]}"
    check_roles "$@"
    exec 9>"$CACHE/.debian-fetch.lock"
    flock 9
    if [ "$cmd" = update ]; then
      write_apt_config
      lists_update
      APT_READY=1
      for r in "$@"; do resolve "$r"; done
    fi
    for r in "$@"; do ensure_role "$r"; done
    ;;
  lock) cat "$LOCK" ;;
  summary)
    for r in "${ROLES[@]}"; do
      if [ -n "$(role_lines "$r")" ]; then printf '%-8s %s\n' "$r" "$(role_summary "$r")"; fi
    done
    ;;
  debs) check_roles "$1"; role_debs "$1" ;;
  dir)
    check_roles "$1"
    read -r _ n _ < <(role_lines "$1")
    [ -n "${n:-}" ] || die "role '$1' is not in the lock (run: $0 ensure $1)"
    echo "$CACHE/pkg/$n"
    ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
