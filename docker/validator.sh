#!/bin/sh
# One validator of the compose testnet (docker-compose.yml): `bourse-validator <seed> [args]`,
# seed = alice, bob, charlie or dave. The `init` service has written the shared chain spec and
# one node key per validator into /shared; every validator but alice boots from alice.
# RPC listens on all interfaces inside the container (safe methods only: external RPC serves
# no unsafe method unless asked); compose publishes it on the host's loopback only.
set -eu
shared="${BOURSE_SHARED:-/shared}"
data="${BOURSE_DATA:-/data}"
name="$1"
shift
set -- --chain "$shared/chain-spec.json" "--$name" \
	--base-path "$data" \
	--node-key-file "$shared/$name.node-key" \
	--listen-addr /ip4/0.0.0.0/tcp/30333 \
	--unsafe-rpc-external --rpc-cors all \
	--prometheus-external \
	--no-mdns \
	"$@"
if [ "$name" != alice ]; then
	set -- "$@" --bootnodes "/dns/alice/tcp/30333/p2p/$(bourse-node key inspect-node-key --file "$shared/alice.node-key")"
fi
exec bourse-node "$@"
