# The fgt table coverage line (host): fails if it cannot be produced.
line=$("$ROOT/scripts/fgt-coverage.sh" 2>&1 | tail -n 1)
echo "$line"
[[ "$line" =~ ^fgt\ coverage:\ [0-9]+\ encodings,\ [0-9]+\ coarse,\ [0-9]+\ fine$ ]]
