//! `bourse-node`: the Bourse validator and provider node.
//!
//! An Aura + GRANDPA Substrate node running the Bourse runtime. `bourse-node --dev` starts a
//! single-validator development chain; `--chain local` a four-validator testnet spec.

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> polkadot_sdk::sc_cli::Result<()> {
	command::run()
}
