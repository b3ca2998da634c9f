//! A thin dispatcher from the command line to the service and the standard subcommands.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use bourse_runtime::opaque::Block;
use polkadot_sdk::{
	sc_cli::{self, SubstrateCli},
	sc_service::PartialComponents,
	*,
};
use std::path::Path;

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"Bourse Node".into()
	}

	fn impl_version() -> String {
		env!("CARGO_PKG_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"the Bourse issue tracker".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		Ok(match id {
			"dev" => Box::new(chain_spec::development_chain_spec()?),
			"" | "local" => Box::new(chain_spec::local_chain_spec()?),
			path if path.ends_with(".json") || Path::new(path).exists() => Box::new(
				chain_spec::ChainSpec::from_json_file(path.into())
					.map_err(|e| format!("Cannot load chain spec file `{path}`: {e}"))?,
			),
			unknown => {
				return Err(format!(
					"Unknown chain `{unknown}`: use `dev`, `local` or the path of a chain spec JSON file"
				))
			}
		})
	}
}

/// Parses the command line and runs it.
pub fn run() -> sc_cli::Result<()> {
	let cli = Cli::from_args();

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		#[allow(deprecated)]
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		}
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let chain_spec = cli.load_spec(&cmd.chain)?;
			cmd.run(chain_spec)
		}
		Some(Subcommand::CheckBlock(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		}
		Some(Subcommand::ExportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.database), task_manager))
			})
		}
		Some(Subcommand::ExportState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.chain_spec), task_manager))
			})
		}
		Some(Subcommand::ImportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		}
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		}
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, backend, .. } =
					service::new_partial(&config)?;
				let aux_revert =
					Box::new(|client: std::sync::Arc<service::FullClient>, backend, blocks| {
						sc_consensus_babe::revert(client.clone(), backend, blocks)?;
						sc_consensus_grandpa::revert(client, blocks)?;
						Ok(())
					});
				Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
			})
		}
		#[cfg(feature = "runtime-benchmarks")]
		Some(Subcommand::Benchmark(cmd)) => {
			use frame_benchmarking_cli::BenchmarkCmd;
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| {
				match cmd {
				BenchmarkCmd::Pallet(cmd) => cmd
					.run_with_spec::<
						sp_runtime::traits::HashingFor<Block>,
						bourse_primitives::sandbox::sandbox::HostFunctions,
					>(Some(
						config.chain_spec,
					)),
				_ => Err("Only `benchmark pallet` is supported by bourse-node".into()),
			}
			})
		}
		Some(Subcommand::RotateEncryptionKey(cmd)) => {
			// `--dev` alone is a fresh temporary directory: a key there no node would hold.
			if cmd.shared_params.dev && cmd.shared_params.base_path.is_none() {
				return Err(sc_cli::Error::Input(
					"rotate-encryption-key: give the node's --base-path".into(),
				));
			}
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| {
				let dir = crate::encryption_keys::directory(&config.data_path);
				let public = crate::encryption_keys::EncryptionKeys::rotate(dir.clone())
					.map_err(|e| sc_cli::Error::Application(e.into()))?;
				let hex: String = public.iter().map(|b| format!("{b:02x}")).collect();
				println!("0x{hex}");
				eprintln!(
					"new encryption key in {}: a running node publishes it at its next block",
					dir.display()
				);
				Ok(())
			})
		}
		Some(Subcommand::ChainInfo(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run::<Block>(&config))
		}
		None => {
			let runner = cli.create_runner(&cli.run)?;
			let sandbox = crate::sandbox::SandboxConfig {
				runs: usize::from(cli.sandbox_runs),
				allow_unconfined: cli.unconfined_sandbox,
			};
			runner.run_node_until_exit(|config| async move {
				match config.network.network_backend {
					sc_network::config::NetworkBackendType::Libp2p => service::new_full::<
						sc_network::NetworkWorker<
							Block,
							<Block as sp_runtime::traits::Block>::Hash,
						>,
					>(config, sandbox)
					.map_err(sc_cli::Error::Service),
					sc_network::config::NetworkBackendType::Litep2p => {
						service::new_full::<sc_network::Litep2pNetworkBackend>(config, sandbox)
							.map_err(sc_cli::Error::Service)
					}
				}
			})
		}
	}
}
