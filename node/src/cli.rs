//! Command-line interface: the standard Substrate node flags and subcommands.

use polkadot_sdk::sc_cli;

/// Subcommands of `bourse-node`; without one, the node runs.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect and insert keys (e.g. `key insert --key-type babe`).
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (deprecated upstream; prefer `export-chain-spec`).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification of `--chain` as JSON.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain database.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Runtime benchmarks (`benchmark pallet` writes `weights.rs`). Built only with the
	/// `runtime-benchmarks` feature.
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(polkadot_sdk::frame_benchmarking_cli::BenchmarkCmd),

	/// Database meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),

	/// Add a new encryption key to this node's keys (for `--chain` in `--base-path`): the
	/// running node publishes it at its next block, and the chain keeps the old one usable for
	/// its grace period. Prints the new public key.
	RotateEncryptionKey(RotateEncryptionKeyCmd),
}

/// `bourse-node rotate-encryption-key`.
#[derive(Debug, clap::Parser)]
pub struct RotateEncryptionKeyCmd {
	/// The chain and base path whose keys to rotate.
	#[clap(flatten)]
	pub shared_params: sc_cli::SharedParams,
}

impl sc_cli::CliConfiguration for RotateEncryptionKeyCmd {
	fn shared_params(&self) -> &sc_cli::SharedParams {
		&self.shared_params
	}
}

/// The `bourse-node` command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A subcommand; none runs the node.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// The node's run flags (`--dev`, `--chain`, `--base-path`, ports, ...).
	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// Workloads this node runs at once (confined worker processes). It should cover the slots the
	/// providers it serves offer: tasks beyond it wait, and may miss their windows.
	#[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
	pub sandbox_runs: u16,

	/// Run workloads in worker processes even where this platform cannot confine them (no
	/// seccomp): strangers' code then runs without the system-call deny-list, only in another
	/// process. For development machines only, never for a validator whose keys matter.
	#[arg(long)]
	pub unconfined_sandbox: bool,
}
