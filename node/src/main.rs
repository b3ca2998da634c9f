//! `bourse-node`: the Bourse validator and provider node.
//!
//! A BABE + GRANDPA Substrate node running the Bourse runtime. `bourse-node --dev` starts a
//! single-validator development chain; `--chain local` a four-validator testnet spec.

// The error types of the service and CLI come from sc-service and sc-cli; boxing them here would
// only add noise at every call site.
#![allow(clippy::result_large_err)]

mod bourse_rpc;
mod chain_spec;
mod cli;
mod command;
mod encryption_keys;
mod rpc;
mod sandbox;
mod service;

fn main() -> polkadot_sdk::sc_cli::Result<()> {
	// A sandbox worker process this node started (`sandbox::WORKER_COMMAND`, hidden): it
	// confines itself and runs workloads, nothing else.
	if std::env::args_os().nth(1).is_some_and(|arg| arg == sandbox::WORKER_COMMAND) {
		std::process::exit(bourse_executor::worker::serve());
	}
	command::run()
}
