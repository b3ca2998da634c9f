#!/usr/bin/env bash
# Builds the sample workloads to wasm32-wasip1 from source, reproducibly (locked dependencies,
# release profile), and prints where the .wasm files are.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
say "building sample workloads for wasm32-wasip1"
cargo build --release --locked -p bourse-workloads --bins --target wasm32-wasip1
echo "$CARGO_TARGET_DIR/wasm32-wasip1/release"
