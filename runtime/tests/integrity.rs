//! The runtime checked on its real constants and genesis: every pallet's `integrity_test` (the
//! runtime's own test harness is off, so `construct_runtime`'s generated test never runs), and,
//! with `try-runtime`, every pallet's invariants on each genesis preset.

use bourse_runtime::AllPalletsWithSystem;
use polkadot_sdk::{frame_support::traits::IntegrityTest, sp_io::TestExternalities};

#[test]
fn every_pallet_accepts_the_runtime_constants() {
	TestExternalities::default().execute_with(AllPalletsWithSystem::integrity_test);
}

#[cfg(feature = "try-runtime")]
#[test]
fn every_genesis_preset_satisfies_every_pallet_invariant() {
	use bourse_runtime::{genesis_config_presets, RuntimeGenesisConfig};
	use polkadot_sdk::frame_support::{
		genesis_builder_helper::build_state,
		traits::{TryState, TryStateSelect},
	};

	for id in genesis_config_presets::preset_names() {
		let json = genesis_config_presets::get_preset(&id).expect("every listed preset exists");
		TestExternalities::default().execute_with(|| {
			build_state::<RuntimeGenesisConfig>(json).expect("the preset builds");
			AllPalletsWithSystem::try_state(0, TryStateSelect::All)
				.unwrap_or_else(|e| panic!("preset {id:?}: {e:?}"));
		});
	}
}

/// Pruning keeps up with submissions on the real weights (the tasks pallet's integrity test
/// says the same); prints the figures.
#[test]
fn pruning_keeps_up_with_the_most_submissions_a_block_carries() {
	use bourse_runtime::{Runtime, Tasks};
	use polkadot_sdk::frame_support::traits::Get;
	TestExternalities::default().execute_with(|| {
		let block = <Runtime as polkadot_sdk::frame_system::Config>::BlockWeights::get().max_block;
		let submission = Tasks::submit_weight(1);
		let most = block.ref_time() / submission.ref_time();
		let prune: u32 = <Runtime as pallet_tasks::Config>::PrunePerBlock::get();
		println!(
			"submit_task (k = 1) weighs {:.2} ms: at most {most} per block; {prune} pruned per block",
			submission.ref_time() as f64 / 1e9
		);
		assert!(u64::from(prune) >= most);
	});
}
