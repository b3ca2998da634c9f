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
# The whole-market tests and the fuzzer need every pallet's invariants, compiled only with
# `try-runtime`; they run below, so that `try-runtime` never reaches the node's build.
cargo test --release --locked --workspace --exclude bourse-market-tests --exclude bourse-fuzzer

# The same sandbox suites through confined worker processes, the path the node runs workloads
# on: identical outcomes (the test binaries are built; only the environment differs).
say "sandbox suites through confined worker processes"
BOURSE_SANDBOX_WORKERS=1 cargo test --release --locked -p bourse-executor \
	--test determinism --test hostile --test statuses

# One build with `runtime-benchmarks` and `try-runtime` for the pallets and the runtime: each
# pallet's benchmarks run once in its mock runtime (weights themselves come from
# `scripts/weights.sh`), the whole-market flows run with every pallet's invariants, and every
# genesis preset is checked against them. No Wasm runtime is needed here. The fuzzer drives the
# real runtime with random call sequences for a bounded time (BOURSE_FUZZ_SECS, 60 s) and must
# find its planted bug within the same bound.
say "pallet benchmarks, whole-market tests, genesis invariants, fuzzer (runtime-benchmarks, try-runtime)"
SKIP_WASM_BUILD=1 cargo test --release --locked --features runtime-benchmarks,try-runtime \
	-p pallet-attestation -p pallet-offers -p pallet-reputation -p pallet-tasks \
	-p bourse-market-tests -p bourse-runtime -p bourse-fuzzer

# `cargo test` built the node binary for its integration tests (node/tests/); building it again
# with `cargo build -p bourse-node` would resolve other features and rebuild half the graph.
node_bin="$CARGO_TARGET_DIR/release/bourse-node"
[ -x "$node_bin" ] || fail "cargo test did not build $node_bin"

say "end-to-end tests with @polkadot/api"
BOURSE_NODE="$node_bin" npm test

say "all tests passed in $(( $(date +%s) - start )) s"
