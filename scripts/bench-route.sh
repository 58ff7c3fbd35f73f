#!/usr/bin/env bash
# Benchmark of fgt::route on the host (release build): prints
# "bench-route: N calls over N syndromes, X ns/call (N to L1)".
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q --release -p fgt --example bench_route
