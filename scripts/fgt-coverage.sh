#!/usr/bin/env bash
# Prints the fgt table coverage as two lines:
#   fgt coverage: N encodings, N coarse, N fine
#   fgt rules: N coarse, N fine
# (all encodings described; those with a coarse-trap rule; those with a
# fine-grained-trap bit; counted per encoding like KVM's "nv: N coarse/fine
# grained trap handlers"; then the coarse (encoding, control) pairs and the
# (encoding, direction) FGT bindings, which drop when one rule of a row goes).
# Pass --list to print every encoding first. The floor is fgt/coverage.baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q -p fgt --example coverage -- "$@"
