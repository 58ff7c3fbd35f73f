#!/usr/bin/env bash
# Host benchmark of the at-emul table walker: walks per second for a 4-level
# 4KB stage-1 walk, alone and with stage 2 (every table read and the output
# translated by a 4-level 4KB stage 2). WALK_BENCH_N sets the walk count.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run -q --release -p at-emul --example walk_bench
