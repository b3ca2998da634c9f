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
