#!/usr/bin/env bash
# Runs every Bourse test: Rust unit and integration tests (pallets, sandbox, node), then the
# end-to-end @polkadot/api tests against the real node binary. Sets up what is missing first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
start=$(date +%s)

say "building the sample workloads (wasm32-wasip1)"
cargo build --release --locked -p bourse-workloads --bins --target wasm32-wasip1
export BOURSE_WORKLOADS_DIR="$CARGO_TARGET_DIR/wasm32-wasip1/release"

say "cargo test (release profile, shared with the node build)"
cargo test --release --locked --workspace

# The pallets' benchmarks, run once each in their mock runtimes (the `runtime-benchmarks`
# feature; weights themselves come from `scripts/weights.sh`, not from CI).
say "pallet benchmarks in the mock runtimes"
cargo test --release --locked -p pallet-offers -p pallet-tasks --features runtime-benchmarks --lib benchmarking

# `cargo test` built the node binary for its integration tests (node/tests/); building it again
# with `cargo build -p bourse-node` would resolve other features and rebuild half the graph.
node_bin="$CARGO_TARGET_DIR/release/bourse-node"
[ -x "$node_bin" ] || fail "cargo test did not build $node_bin"

say "end-to-end tests with @polkadot/api"
BOURSE_NODE="$node_bin" npm test

say "all tests passed in $(( $(date +%s) - start )) s"
