#!/usr/bin/env bash
# Mutation testing (issue 11, item 4) of at-emul (s1, s2, attrs, at, walk),
# fgt (route, config, ctl) and arch's esr.rs with cargo-mutants. Not part of
# ./scripts/test.sh (hours on a 2-core machine); may run sharded.
#
#   ./scripts/mutants.sh [--crate at-emul|fgt|arch]... [--files FILE...]
#                        [--shard K/N] [--tag NAME] [--no-qemu] [--qemu-only]
#                        [--skip-listed] [--report]
#
# Phase 1: cargo-mutants on the host, the crate's host tests as the test
#   command (`cargo test --tests`; for arch also fgt's and at-emul's, which
#   use it), -j1 and nice -n 10 (other work shares the machine).
# Phase 2: every mutant phase 1 missed is applied to a copy of the tree,
#   test-l1 is rebuilt with it, and the fast modes of the QEMU differential
#   tests run: at-emul: at-diff cases=$AT_CASES; fgt: fgt-diff fast=1 (both
#   boards) and fgt-matrix fast=1; arch: all of them. A mutant is caught when
#   one of them fails (a difference, a missing result line, a panic or a
#   timeout). The unmutated tree must pass them first.
#   Survivors listed as equivalent in docs/mutants.md go last; with
#   --skip-listed they are not run on QEMU at all. Survivors with a verdict
#   in qemu.txt are not run again (an interrupted phase 2 resumes); with
#   --files only those files' survivors run.
# Then it prints, per file, caught / viable (unviable = does not build,
# excluded), the same with the listed equivalent survivors left out, and
# the survivors. --report only prints that from the outputs in
# $BUILD/mutants/ (e.g. after running shards or --files runs separately):
# only results whose mutation diff is still what cargo-mutants generates
# from the current tree count, a later run replacing an earlier one.
#
# Output: $BUILD/mutants/<crate>[.TAG][.shard-K-of-N]/mutants.out
# (cargo-mutants' own files; qemu.txt: phase 2's verdict per survivor;
# tree/, img/, logs/: phase 2's copy of the tree, image and QEMU logs).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

AT_CASES=${AT_CASES:-50000}
MUT=$BUILD/mutants
# Dedicated target directories: the copies cargo-mutants and phase 2 build
# in live at other paths, which would invalidate the main target's
# fingerprints.
MTARGET=${CARGO_TARGET_DIR:-$ROOT/target}/mutants
QTARGET=${CARGO_TARGET_DIR:-$ROOT/target}/mutants-qemu

crate_files() {
  case $1 in
    at-emul) echo at-emul/src/s1.rs at-emul/src/s2.rs at-emul/src/attrs.rs at-emul/src/at.rs at-emul/src/walk.rs ;;
    fgt) echo fgt/src/route.rs fgt/src/config.rs fgt/src/ctl.rs ;;
    arch) echo arch/src/esr.rs ;;
    *) return 1 ;;
  esac
}
# The host tests a mutant of the crate runs against.
crate_tests() {
  case $1 in
    arch) echo arch,fgt,at-emul ;;
    *) echo "$1" ;;
  esac
}

CRATES=() FILES=() SHARD="" TAG="" PHASE1=1 PHASE2=1 REPORT_ONLY=0 SKIP_LISTED=0
# The equivalent survivors, each with its reason: lines "- `NAME`: reason".
EQUIV=$ROOT/docs/mutants.md
while [ $# -gt 0 ]; do
  case $1 in
    --crate) CRATES+=("$2"); shift 2 ;;
    --shard) SHARD=$2; shift 2 ;;
    --tag) TAG=$2; shift 2 ;;
    --skip-listed) SKIP_LISTED=1; shift ;;
    --files) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do FILES+=("$1"); shift; done ;;
    --no-qemu) PHASE2=0; shift ;;
    --qemu-only) PHASE1=0; shift ;;
    --report) REPORT_ONLY=1; shift ;;
    -h | --help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1"; exit 2 ;;
  esac
done
if [ -n "$SHARD" ] && ! [[ $SHARD =~ ^[0-9]+/[0-9]+$ ]]; then
  echo "--shard wants K/N (K from 0)"; exit 2
fi
for c in "${CRATES[@]}"; do crate_files "$c" >/dev/null || { echo "unknown crate: $c"; exit 2; }; done
for f in "${FILES[@]}"; do
  [ -f "$ROOT/$f" ] || { echo "no such file: $f"; exit 2; }
  c=${f%%/*}
  crate_files "$c" >/dev/null || { echo "not in at-emul, fgt or arch: $f"; exit 2; }
  [[ " ${CRATES[*]} " == *" $c "* ]] || CRATES+=("$c")
done
[ ${#CRATES[@]} -gt 0 ] || CRATES=(at-emul fgt arch)

# The files of crate $1 this run mutates (--files, else the crate's list).
files_of() {
  local f out=()
  if [ ${#FILES[@]} -gt 0 ]; then
    for f in "${FILES[@]}"; do [ "${f%%/*}" = "$1" ] && out+=("$f"); done
  else
    read -r -a out <<<"$(crate_files "$1")"
  fi
  echo "${out[@]}"
}
[[ $TAG =~ ^[A-Za-z0-9_-]*$ ]] || { echo "--tag wants letters, digits, - or _"; exit 2; }
outdir() { echo "$MUT/$1${TAG:+.$TAG}${SHARD:+.shard-${SHARD%/*}-of-${SHARD#*/}}"; }

# ---- Phase 1: host tests ----------------------------------------------------
phase1() { # CRATE
  local c=$1 out args=() f
  out=$(outdir "$c")
  mkdir -p "$out"
  for f in $(files_of "$c"); do args+=(-f "$f"); done
  [ "$(crate_tests "$c")" = "$c" ] || args+=(--test-package "$(crate_tests "$c")")
  [ -z "$SHARD" ] || args+=(--shard "$SHARD")
  echo "== phase 1 ($c): cargo mutants ${args[*]}"
  # Exit status 2 = some mutants missed, 3 = timeouts: not errors here.
  (cd "$ROOT" && CARGO_TARGET_DIR=$MTARGET exec nice -n 10 cargo mutants -j1 --no-shuffle \
    --minimum-test-timeout 60 --cargo-test-arg=--tests -o "$out" "${args[@]}") 2>&1 |
    tee "$out/phase1.txt" | grep -E '^(Found|ok|MISSED|TIMEOUT|[0-9]+ mutants tested)'
  local rc=${PIPESTATUS[0]}
  case $rc in 0 | 2 | 3) ;; *) echo "cargo mutants failed (status $rc), see $out/phase1.txt"; return 1 ;; esac
}

# ---- Phase 2: QEMU fast modes for the survivors -----------------------------
# Set per crate by phase2 (runs of different crates may go in parallel).
TREE="" QLOGS="" IMG=""

# Copies the work tree (no .git, build or target) to $TREE.
make_tree() {
  local e
  rm -rf "$TREE"; mkdir -p "$TREE"
  for e in "$ROOT"/* "$ROOT"/.cargo; do
    case ${e##*/} in build | target) continue ;; esac
    cp -a "$e" "$TREE/"
  done
  # New mtimes: the copy of an earlier (perhaps interrupted) run may have
  # built a mutant newer than the files just copied back.
  find "$TREE" -type f -exec touch {} +
}

# qemu_check TEST TAG: one fast-mode run on the image in $IMG; prints the
# result line; returns 0 when it passes.
qemu_check() {
  local t=$1 tag=$2 log line rc
  log=$QLOGS/$tag.$t.log
  case $t in
    at-diff)
      qemu_run "$log" 120 -m 512M -kernel "$IMG/test-l1.bin" -append "at-diff cases=$AT_CASES"
      rc=$?; line=$(grep -E '^at-diff: [0-9]+ cases, [0-9]+ agree, [0-9]+ differ$' "$log" | tail -n 1) ;;
    fgt-diff | fgt-diff-mte)
      local board=()
      [ "$t" = fgt-diff ] || board=(-M virt,virtualization=on,gic-version=3,mte=on)
      qemu_run "$log" 120 -m 512M "${board[@]}" -kernel "$IMG/test-l1.bin" -append "fgt-diff fast=1"
      rc=$?; line=$(grep -E '^fgt-diff: [0-9]+ checks, [0-9]+ agree, [0-9]+ differ$' "$log" | tail -n 1) ;;
    fgt-matrix)
      qemu_run "$log" 200 -m 512M -M virt,virtualization=on,gic-version=3,mte=on \
        -kernel "$IMG/test-l1.bin" -append "fgt-matrix fast=1"
      rc=$?; line=$(grep -E '^fgt-matrix: [0-9]+ checks, [0-9]+ agree, [0-9]+ differ$' "$log" | tail -n 1) ;;
  esac
  local differ
  differ=$(echo "$line" | sed -nE 's/.* ([0-9]+) differ$/\1/p')
  if [ $rc -eq 0 ] && [ "${differ:-x}" = 0 ] && grep -qF "test-l1: done rc=0" "$log"; then
    echo "$t: $line"; return 0
  fi
  if [ $rc -eq 124 ]; then
    echo "$t: timeout${line:+ ($line)}"
  elif [ -n "$line" ]; then
    echo "$t: $line (qemu rc=$rc)"
  else
    echo "$t: no result line (qemu rc=$rc$(grep -m1 -o 'PANIC.*' "$log" | sed 's/^/, /'))"
  fi
  return 1
}

qemu_tests_of() {
  case $1 in
    at-emul) echo at-diff ;;
    fgt) echo fgt-diff fgt-diff-mte fgt-matrix ;;
    arch) echo at-diff fgt-diff fgt-diff-mte fgt-matrix ;;
  esac
}

# build_tree: test-l1 from $TREE into $IMG.
build_tree() {
  (ROOT=$TREE CARGO_TARGET_DIR=$QTARGET nice -n 10 bash -c \
    ". '$ROOT/scripts/lib.sh'; ROOT='$TREE'; IMG='$IMG'; build_images test-l1") >"$QLOGS/build.txt" 2>&1
}

QEMU_BASELINE_OK=""
qemu_baseline() {
  [ -z "$QEMU_BASELINE_OK" ] || return 0
  make_tree
  echo "== phase 2 baseline: the fast modes on the unmutated tree"
  build_tree || { echo "test-l1 build failed, see $QLOGS/build.txt"; return 1; }
  local t
  for t in at-diff fgt-diff fgt-diff-mte fgt-matrix; do
    qemu_check "$t" baseline || { echo "the unmutated tree fails $t: phase 2 cannot judge"; return 1; }
  done
  QEMU_BASELINE_OK=1
}

phase2() { # CRATE
  local c=$1 out name file diff verdict t n=0 res
  out=$(outdir "$c")
  [ -f "$out/mutants.out/outcomes.json" ] || { echo "no phase-1 outcomes in $out"; return 1; }
  local list=$out/qemu-todo.tsv
  # The survivors of the files this run is about, less those qemu.txt
  # already has a verdict for (an interrupted phase 2 resumes).
  touch "$out/qemu.txt"
  python3 - "$out/mutants.out/outcomes.json" "$out/qemu.txt" $(files_of "$c") >"$list" <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))
done = set(l.rstrip("\n").split("\t")[1] for l in open(sys.argv[2]) if l.count("\t") >= 1
           and not l.startswith("SKIPPED"))
files = set(sys.argv[3:])
for x in o["outcomes"]:
    s = x["scenario"]
    if x["summary"] == "MissedMutant" and isinstance(s, dict) and "Mutant" in s:
        m = s["Mutant"]
        if m["file"] in files and m["name"] not in done:
            print(f'{m["name"]}\t{m["file"]}\t{x["diff_path"]}')
EOF
  # Listed equivalents last (or not at all with --skip-listed).
  listed_equivalents >"$out/listed.txt"
  python3 - "$out/listed.txt" "$list" <<'EOF'
import sys
listed = set(l.rstrip("\n") for l in open(sys.argv[1]))
rows = [r for r in open(sys.argv[2]) if r.strip()]
with open(sys.argv[2] + ".1", "w") as a, open(sys.argv[2] + ".2", "w") as b:
    for r in rows:
        (b if r.split("\t")[0] in listed else a).write(r)
EOF
  grep -v '^SKIPPED' "$out/qemu.txt" >"$out/qemu.txt.1"; mv "$out/qemu.txt.1" "$out/qemu.txt"
  if [ $SKIP_LISTED = 1 ]; then
    cut -f1 "$list.2" | sed 's/^/SKIPPED\t/; s/$/\tlisted as equivalent, not run on QEMU/' >>"$out/qemu.txt"
    cp "$list.1" "$list"
  else
    cat "$list.1" "$list.2" >"$list"
  fi
  [ -s "$list" ] || { echo "== phase 2 ($c): no survivors to run"; return 0; }
  TREE=$out/tree QLOGS=$out/logs IMG=$out/img QEMU_BASELINE_OK=""
  mkdir -p "$QLOGS" "$IMG"
  qemu_baseline || return 1
  echo "== phase 2 ($c): $(wc -l <"$list") survivors of the host tests"
  while IFS=$'\t' read -r name file diff; do
    n=$((n + 1))
    cp "$ROOT/$file" "$TREE/$file"
    if ! patch -s "$TREE/$file" "$out/mutants.out/$diff" >/dev/null; then
      echo "ERROR	$name	patch failed" >>"$out/qemu.txt"; cp "$ROOT/$file" "$TREE/$file"; continue
    fi
    if ! build_tree; then
      verdict="UNVIABLE	$name	test-l1 does not build"
    else
      verdict="MISSED	$name"
      for t in $(qemu_tests_of "$c"); do
        if ! res=$(qemu_check "$t" "m$n"); then
          verdict="CAUGHT	$name	$res"
          break
        fi
      done
    fi
    cp "$ROOT/$file" "$TREE/$file"
    echo "$verdict" >>"$out/qemu.txt"
    echo "  [$n] $verdict" | tr '\t' ' '
  done <"$list"
}

# ---- Report -----------------------------------------------------------------
# The names of the survivors docs/mutants.md lists as equivalent.
listed_equivalents() {
  [ -f "$EQUIV" ] || return 0
  sed -nE 's/^- `([^`]+)`: .*/\1/p' "$EQUIV"
}

report() {
  local c f args=()
  for c in "$@"; do
    for f in $(crate_files "$c"); do args+=(-f "$f"); done
  done
  (cd "$ROOT" && CARGO_TARGET_DIR=$MTARGET cargo mutants --list --json "${args[@]}") >"$MUT/current.json" ||
    { echo "cargo mutants --list failed"; return 1; }
  listed_equivalents >"$MUT/listed.txt"
  python3 - "$MUT" "$MUT/current.json" "$MUT/listed.txt" "$@" <<'EOF2'
import json, os, sys, glob
mut, cur, listed, crates = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
# The mutants cargo-mutants generates from the current tree, by name, with
# their diffs: a result counts only if its diff is still the same.
current = {m["name"]: (m["file"], m["diff"]) for m in json.load(open(cur))}
equiv = set(l.strip() for l in open(listed) if l.strip())
# One record per mutant, a later phase-1 run (by its outcomes.json)
# replacing an earlier one.
recs = {}
def p1time(d):
    oc = os.path.join(d, "mutants.out", "outcomes.json")
    return os.path.getmtime(oc) if os.path.isfile(oc) else 0
for d in sorted(glob.glob(os.path.join(mut, "*")), key=p1time):
    base = os.path.basename(d).split(".")[0]
    oc = os.path.join(d, "mutants.out", "outcomes.json")
    if base not in crates or not os.path.isfile(oc):
        continue
    q = {}
    qf = os.path.join(d, "qemu.txt")
    if os.path.isfile(qf):
        for line in open(qf):
            p = line.rstrip("\n").split("\t")
            if len(p) >= 2:
                q[p[1]] = p
    for x in json.load(open(oc))["outcomes"]:
        s = x["scenario"]
        if not (isinstance(s, dict) and "Mutant" in s):
            continue
        name = s["Mutant"]["name"]
        if name not in current:
            continue
        try:
            diff = open(os.path.join(d, "mutants.out", x["diff_path"])).read()
        except OSError:
            continue
        if diff.strip() != current[name][1].strip():
            continue
        recs[name] = (x["summary"], q.get(name))
K = ("total", "unviable", "host", "timeout", "qemu", "equiv", "missed", "notrun")
rows, surv, notrun, equivs = {}, [], [], []
order = []
for name, (f, _) in current.items():
    if f not in order:
        order.append(f)
    r = rows.setdefault(f, dict.fromkeys(K, 0))
    r["total"] += 1
    if name not in recs:
        r["notrun"] += 1
        notrun.append(name)
        continue
    k, v = recs[name]
    if k == "Unviable" or (v and v[0] == "UNVIABLE"):
        r["unviable"] += 1
    elif k == "CaughtMutant":
        r["host"] += 1
    elif k == "Timeout":
        r["timeout"] += 1
    elif v and v[0] == "CAUGHT":
        r["qemu"] += 1
    elif name in equiv:
        r["equiv"] += 1
        equivs.append(name + ("" if v and v[0] == "MISSED" else "  (not run on QEMU)"))
    else:
        r["missed"] += 1
        surv.append(name + ("" if v and v[0] == "MISSED" else "  (not run on QEMU)"))
print("| file | mutants | unviable | caught: host tests | caught: timeout | caught: QEMU | missed: equivalent (listed) | missed: other | not run | score (caught / viable) | without the equivalent ones |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
tot = dict.fromkeys(K, 0)
def line(f, r):
    viable = r["total"] - r["unviable"] - r["notrun"]
    caught = r["host"] + r["timeout"] + r["qemu"]
    pct = 100.0 * caught / viable if viable else 100.0
    pe = 100.0 * caught / (viable - r["equiv"]) if viable > r["equiv"] else 100.0
    print(f'| {f} | {r["total"]} | {r["unviable"]} | {r["host"]} | {r["timeout"]} | {r["qemu"]} | {r["equiv"]} | {r["missed"]} | {r["notrun"]} | {caught} / {viable} = {pct:.1f}% | {caught} / {viable - r["equiv"]} = {pe:.1f}% |')
for f in order:
    for k in K:
        tot[k] += rows[f][k]
    line(f, rows[f])
if order:
    line("all", tot)
print()
print(f"survivors not listed as equivalent: {len(surv)}")
for s in surv:
    print("  " + s)
print(f"survivors listed as equivalent in docs/mutants.md: {len(equivs)}")
def survived(n):
    k, v = recs[n]
    return k == "MissedMutant" and not (v and v[0] in ("CAUGHT", "UNVIABLE"))
stale = sorted(n for n in equiv if n.split(":")[0] in order and not (n in recs and survived(n)))
if stale:
    print(f"listed as equivalent but not a survivor of the current tree (caught, or no such mutant): {len(stale)}")
    for s in stale:
        print("  " + s)
if notrun:
    print(f"not run (no result for the current code): {len(notrun)}")
    for s in notrun:
        print("  " + s)
EOF2
}

if [ $REPORT_ONLY = 1 ]; then report "${CRATES[@]}"; exit 0; fi

if [ $PHASE1 = 1 ] && ! cargo mutants --version >/dev/null 2>&1; then
  echo "== installing cargo-mutants"
  nice -n 10 cargo install -j1 cargo-mutants || { echo "cargo install cargo-mutants failed"; exit 1; }
fi
start=$(date +%s)
rc=0
for c in "${CRATES[@]}"; do
  if [ $PHASE1 = 1 ]; then phase1 "$c" || { rc=1; continue; }; fi
  if [ $PHASE2 = 1 ]; then phase2 "$c" || rc=1; fi
done
echo "== $(( ($(date +%s) - start) / 60 )) min"
report "${CRATES[@]}"
exit $rc
