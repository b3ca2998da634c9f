#!/usr/bin/env bash
# Sets up what is missing, builds Bourse and starts a single-validator development chain
# (Alice), RPC on ws/http 127.0.0.1:9944, Prometheus on 9615. Extra arguments go to the node,
# e.g. `scripts/dev.sh --tmp` for a throwaway chain or `--rpc-cors all` for a remote UI.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
say "building bourse-node (release; the first build takes a while)"
cargo build --release --locked --workspace
say "starting bourse-node --dev"
exec "$CARGO_TARGET_DIR/release/bourse-node" --dev --rpc-port 9944 --prometheus-port 9615 "$@"
