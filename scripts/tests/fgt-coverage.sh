# The fgt table coverage (host) against the committed floor in
# fgt/coverage.baseline: fails if any figure drops below it (an encoding, a
# coarse rule or an FGT binding removed), says so when one rises (raise the
# floor in a deliberate commit).
out=$("$ROOT/scripts/fgt-coverage.sh" 2>&1) || { echo "$out"; echo "fgt-coverage.sh failed"; exit 1; }
echo "$out"
base=$ROOT/fgt/coverage.baseline
l1=$(grep -E '^fgt coverage: [0-9]+ encodings, [0-9]+ coarse, [0-9]+ fine$' <<<"$out")
l2=$(grep -E '^fgt rules: [0-9]+ coarse, [0-9]+ fine$' <<<"$out")
[ -n "$l1" ] && [ -n "$l2" ] || { echo "coverage lines missing"; exit 1; }
read -r encodings coarse fine < <(sed -E 's/^fgt coverage: ([0-9]+) encodings, ([0-9]+) coarse, ([0-9]+) fine$/\1 \2 \3/' <<<"$l1")
read -r coarse_rules fine_bindings < <(sed -E 's/^fgt rules: ([0-9]+) coarse, ([0-9]+) fine$/\1 \2/' <<<"$l2")
ok=1
for k in encodings coarse fine coarse_rules fine_bindings; do
  want=$(awk -v k="$k" '$1 == k { print $2 }' "$base")
  got=${!k}
  if [ -z "$want" ]; then
    echo "fgt-coverage: no baseline for $k in $base"; ok=0
  elif [ "$got" -lt "$want" ]; then
    echo "fgt-coverage: $k = $got, below the baseline $want"; ok=0
  elif [ "$got" -gt "$want" ]; then
    echo "fgt-coverage: $k = $got, above the baseline $want (raise it in fgt/coverage.baseline)"
  fi
done
[ $ok = 1 ] && echo "fgt-coverage: at or above the baseline ($base)"
[ $ok = 1 ]
