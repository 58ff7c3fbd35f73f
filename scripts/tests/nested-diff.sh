# nested-diff: test-l1's nested suite (a bare-metal test hypervisor with its
# own L2 guests) on bare QEMU, where it runs at real EL2 and is the oracle,
# and under L0, where it runs at virtual EL2 and must print the very same
# `nested-case` lines. Both hypervisor modes (E2H=1, E2H=0), then the
# hostile cases (E2H=1): there `[cost-only]` lines are compared verbatim,
# `[platform]` ones by status only (their result depends on what lies at
# an address, or on what L0 exposes).
# Passes with no FAIL on either side, every line the same, and both
# summaries present. `nested-cost` lines (L0 exits per L2 hypercall, MMIO
# access, stage-2 fault) are printed, never compared.
# NESTED_DIFF_L0=0 runs the bare half only (it must pass on its own).
# Cases L0 cannot pass as bare QEMU does because it hides the feature they
# need from every guest (a configuration difference, not an emulation one):
# bare PASS against L0 SKIP is accepted for these names only, and listed.
# A case may also be missing under L0 (registers of a hidden feature are
# not cases at all).
declare -A nd_hidden=(
  [trap-hcrx]="FEAT_NMI (L0 hides it: its vGIC has no NMI support), and QEMU 10.0 has no FEAT_TCR2"
  [reg-CNTPOFF_EL2]="FEAT_ECV (CNTPOFF has no effect on QEMU's virt board without EL3)"
  [reg-VDISR_EL2]="FEAT_RAS"
  [reg-VSESR_EL2]="FEAT_RAS"
)
# In the nVHE-only virtual EL2 (l0.vel2=nvhe, used for e2h=0) there is no
# FEAT_VHE, hence no EL2 virtual timer, CONTEXTIDR_EL2 or TTBR1_EL2.
declare -A nd_hidden_nvhe=(
  [reg-CNTHV_CTL_EL2]="FEAT_VHE (l0.vel2=nvhe)"
  [reg-CNTHV_CVAL_EL2]="FEAT_VHE (l0.vel2=nvhe)"
  [reg-CONTEXTIDR_EL2]="FEAT_VHE (l0.vel2=nvhe)"
  [reg-TTBR1_EL2]="FEAT_VHE (l0.vel2=nvhe)"
)
nd_img=$IMG/test-l1.bin
nd_addr=$(image_load_addr "$nd_img")
nd_ok=1 nd_total=0 nd_same=0 nd_differ=0

# nd_run SIDE LOG TIMEOUT ARGS...: one run; SIDE is bare or l0.
nd_run() {
  local side=$1 log=$2 to=$3; shift 3
  local boot="nested $*" rc
  if [ "$side" = bare ]; then
    qemu_run "$log" "$to" -m 512M -smp 2 -kernel "$nd_img" -append "$boot"
  else
    # An nVHE test hypervisor needs L0's nVHE-only virtual EL2.
    local l0args=""
    [[ " $* " == *" e2h=0 "* ]] && l0args="l0.vel2=nvhe"
    qemu_run "$log" "$to" -m 512M -smp 2 -kernel "$IMG/el2.bin" -append "$l0args" \
      -device guest-loader,addr="$nd_addr",kernel="$nd_img",bootargs="${boot//,/,,}"
  fi
  rc=$?
  local sum; sum=$(grep -E '^nested-suite: [0-9]+ cases' "$log" | tail -n 1)
  echo "  $side $*: qemu rc=$rc, ${sum:-no summary}"
  if [ $rc -ne 0 ] || [ -z "$sum" ] || grep -q '^nested-case [^:]*: FAIL' "$log" ||
    ! grep -qF "test-l1: done rc=0" "$log"; then
    grep '^nested-case [^:]*: FAIL' "$log" | head -n 20 | sed 's/^/    /'
    [ -n "$sum" ] || tail_log "$log"
    return 1
  fi
  if [ "$side" = l0 ] && ! l0_verdict "$log" >/dev/null; then
    echo "    $(l0_verdict "$log")"
    return 1
  fi
}

# nd_compare TAG BARE_LOG L0_LOG: case lines by name, verbatim, except
# `[platform]` details (status only). Differences are listed by name (at
# most 20 per mode).
nd_compare() {
  local tag=$1 a=$2 b=$3 out n s d
  out=$(awk '
    function key(l) { sub(/^nested-case /, "", l); sub(/:.*/, "", l); return l }
    function norm(l) { if (l ~ /: [A-Z]+ \[platform\]/) { sub(/ \[platform\].*/, " [platform]", l) } return l }
    FNR == 1 { f++ }
    /^nested-case / { k = key($0); names[k] = 1; if (f == 1) A[k] = norm($0); else B[k] = norm($0) }
    END {
      n = 0; s = 0; d = 0
      for (k in names) {
        n++
        if ((k in A) && (k in B) && A[k] == B[k]) { s++; continue }
        d++
        printf "D\t%s\t%s\t%s\n", k, (k in A) ? A[k] : "(missing)", (k in B) ? B[k] : "(missing)"
      }
      printf "S %d %d %d\n", n, s, d
    }' "$a" "$b")
  read -r _ n s d < <(echo "$out" | grep '^S ')
  local k ba lz why hid=0 rest=""
  while IFS=$'\t' read -r _ k ba lz; do
    why=${nd_hidden[$k]:-}
    [[ $tag == *e2h=0* ]] && why=${why:-${nd_hidden_nvhe[$k]:-}}
    if [ -n "$why" ] && [[ $ba == *": PASS"* ]] && [[ $lz == *": SKIP"* || $lz == "(missing)" ]]; then
      echo "  hidden by L0 ($tag) $k: $why"
      hid=$((hid + 1))
    else
      rest+=$'D\t'"$k"$'\t'"$ba"$'\t'"$lz"$'\n'
    fi
  done < <(echo "$out" | grep $'^D\t')
  s=$((s + hid)); d=$((d - hid))
  out=$rest
  echo "$out" | grep $'^D\t' | sort | head -n 20 |
    awk -F'\t' -v tag="$tag" '{ printf "  differ %s %s\n    bare: %s\n    l0:   %s\n", tag, $2, $3, $4 }'
  [ "$d" -le 20 ] || echo "  ... and $((d - 20)) more differences ($tag)"
  echo "nested-diff ($tag): $n cases, $s same (of which $hid hidden by L0), $d differ"
  nd_total=$((nd_total + n)); nd_same=$((nd_same + s)); nd_differ=$((nd_differ + d))
}

for mode in "e2h=1" "e2h=0" "hostile e2h=1"; do
  tag=$(echo "$mode" | tr ' ' '-')
  to=120; [[ $mode == hostile* ]] && to=300
  bare=$LOGS/nested-diff-bare-$tag.log l0=$LOGS/nested-diff-l0-$tag.log
  nd_run bare "$bare" "$to" $mode || nd_ok=0
  grep '^nested-cost' "$bare" | sed 's/^/    bare: /'
  if [ "${NESTED_DIFF_L0:-1}" = 0 ]; then
    continue
  fi
  nd_run l0 "$l0" "$to" $mode || nd_ok=0
  grep '^nested-cost' "$l0" | sed 's/^/    l0:   /'
  nd_compare "$tag" "$bare" "$l0"
done
if [ "${NESTED_DIFF_L0:-1}" = 0 ]; then
  echo "nested-diff: L0 half skipped (NESTED_DIFF_L0=0)"
else
  echo "nested-diff: $nd_total cases, $nd_same same, $nd_differ differ"
  [ "$nd_differ" -eq 0 ] || nd_ok=0
fi
[ $nd_ok = 1 ]
