#!/usr/bin/env bash
# Prints the fgt table coverage as one line:
#   fgt coverage: N encodings, N coarse, N fine
# (all encodings described; those with a coarse-trap rule; those with a
# fine-grained-trap bit; counted per encoding like KVM's "nv: N coarse/fine
# grained trap handlers"). Pass --list to print every encoding first.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q -p fgt --example coverage -- "$@"
