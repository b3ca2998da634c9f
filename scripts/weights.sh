#!/usr/bin/env bash
# Regenerates the `weights.rs` of the Bourse pallets from their benchmarks: builds `bourse-node`
# with `runtime-benchmarks` (a second, heavier build of the node) and runs `benchmark pallet`
# on the dev runtime. Run it after changing a pallet's calls or benchmarks; commit the output.
#
#   scripts/weights.sh [pallet ...]      (default: every pallet with benchmarks, and
#                                         `system_extensions`: the transaction extensions)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=setup.sh
source scripts/setup.sh

PALLETS=("$@")
if [ ${#PALLETS[@]} -eq 0 ]; then
	PALLETS=(offers tasks attestation reputation system_extensions)
fi

# `frame-benchmarking-cli` carries a test runtime for `benchmark storage`, which we do not use;
# its Wasm build cannot find itself through our WASM_BUILD_WORKSPACE_HINT, so skip it.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1

echo "bourse weights: building bourse-node with runtime-benchmarks" >&2
cargo build --release --locked -p bourse-node --features runtime-benchmarks
NODE="$CARGO_TARGET_DIR/release/bourse-node"

for pallet in "${PALLETS[@]}"; do
	if [ "$pallet" = system_extensions ]; then
		# The transaction extensions' weights (frame_system's checks) on this runtime and its
		# database, with the CLI's own template, which implements `ExtensionsWeightInfo`.
		echo "bourse weights: benchmarking frame_system_extensions" >&2
		out=runtime/src/weights/frame_system_extensions.rs
		mkdir -p "$(dirname "$out")"
		"$NODE" benchmark pallet \
			--chain dev \
			--pallet frame_system_extensions \
			--extrinsic '*' \
			--steps 20 \
			--repeat 20 \
			--header .maintain/weight-header.txt \
			--output "$out"
		# The runtime reaches FRAME through the polkadot-sdk umbrella crate.
		sed -i 's/^use frame_support::/use polkadot_sdk::frame_support::/; s/frame_system::/polkadot_sdk::frame_system::/g' "$out"
		continue
	fi
	echo "bourse weights: benchmarking pallet_$pallet" >&2
	"$NODE" benchmark pallet \
		--chain dev \
		--pallet "pallet_$pallet" \
		--extrinsic '*' \
		--steps 20 \
		--repeat 10 \
		--template .maintain/weight-template.hbs \
		--header .maintain/weight-header.txt \
		--output "pallets/$pallet/src/weights.rs"
done
# The benchmark build replaced the node binary: the next `scripts/dev.sh` or `scripts/test.sh`
# rebuilds the normal one.
echo "bourse weights: done; review with git diff pallets/*/src/weights.rs" >&2
