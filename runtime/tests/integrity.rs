//! The runtime checked on its real constants and genesis: every pallet's `integrity_test` (the
//! runtime's own test harness is off, so `construct_runtime`'s generated test never runs), and,
//! with `try-runtime`, every pallet's invariants on each genesis preset.

use bourse_runtime::AllPalletsWithSystem;
use polkadot_sdk::{
	frame_support::traits::{IntegrityTest, StorageVersion},
	sp_io::TestExternalities,
};

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

/// Deadline settlement keeps up with the most deadlines one block can create within the
/// runtime's own `DeadlineShare` (the pallet would take more than its share otherwise); prints
/// the figures.
#[test]
fn the_deadline_share_settles_what_a_block_can_create() {
	use bourse_runtime::{Runtime, Tasks};
	use polkadot_sdk::sp_runtime::Perbill;
	TestExternalities::default().execute_with(|| {
		let block = <Runtime as polkadot_sdk::frame_system::Config>::BlockWeights::get().max_block;
		let share: Perbill = <Runtime as pallet_tasks::Config>::DeadlineShare::get();
		let each = Tasks::deadline_weight();
		let created = Tasks::most_deadlines_created();
		let settled = (share * block).ref_time() / each.ref_time();
		println!(
			"a deadline settles in {:.2} ms at its worst; {share:?} of a block settles {settled}; \
			 one block creates at most {created}",
			each.ref_time() as f64 / 1e9
		);
		assert!(settled >= created, "DeadlineShare is too small to keep up");
		assert_eq!(Tasks::deadline_budget(), share * block, "the share is the budget");
	});
}

/// The dev chain's genesis state.
fn dev_chain() -> TestExternalities {
	use bourse_runtime::{genesis_config_presets, RuntimeGenesisConfig};
	use polkadot_sdk::frame_support::genesis_builder_helper::build_state;
	let json = genesis_config_presets::get_preset(&"development".into()).expect("the dev preset");
	let mut ext = TestExternalities::default();
	ext.execute_with(|| {
		build_state::<RuntimeGenesisConfig>(json).expect("the preset builds");
	});
	ext
}

/// Every Bourse pallet's on-chain storage version and the one its code declares.
fn versions() -> Vec<(StorageVersion, StorageVersion)> {
	use bourse_runtime::{Attestation, Offers, Reputation, Tasks};
	use polkadot_sdk::frame_support::traits::GetStorageVersion;
	fn pair<P: GetStorageVersion<InCodeStorageVersion = StorageVersion>>(
	) -> (StorageVersion, StorageVersion) {
		(P::on_chain_storage_version(), P::in_code_storage_version())
	}
	vec![pair::<Offers>(), pair::<Tasks>(), pair::<Attestation>(), pair::<Reputation>()]
}

/// The runtime's migrations on a chain whose attestation and reputation layouts recorded no
/// version and whose tasks keep their extras in three maps: each pallet ends at the version its
/// code declares, and a second upgrade only reads the versions.
#[test]
fn the_migrations_record_every_pallets_version_once() {
	use bourse_runtime::{Attestation, Migrations, Reputation, Runtime, Tasks};
	use polkadot_sdk::frame_support::traits::OnRuntimeUpgrade;
	dev_chain().execute_with(|| {
		assert!(versions().iter().all(|(on_chain, in_code)| on_chain == in_code), "genesis");
		let declared: Vec<StorageVersion> = versions().iter().map(|v| v.1).collect();
		let expected = [1, 4, 1, 1].map(StorageVersion::new);
		assert_eq!(declared, expected.to_vec(), "offers, tasks, attestation, reputation");
		StorageVersion::new(0).put::<Attestation>();
		StorageVersion::new(0).put::<Reputation>();
		StorageVersion::new(3).put::<Tasks>();
		pallet_tasks::NextTaskId::<Runtime>::put(7);
		Migrations::on_runtime_upgrade();
		assert_eq!(pallet_tasks::ExtrasSince::<Runtime>::get(), 7, "tasks 0 to 6 are legacy");
		assert!(
			versions().iter().all(|(on_chain, in_code)| on_chain == in_code),
			"{:?}",
			versions()
		);
		let again = Migrations::on_runtime_upgrade();
		let db = <Runtime as polkadot_sdk::frame_system::Config>::DbWeight::get();
		assert_eq!(again, db.reads(6), "a second upgrade only reads the versions");
	});
}

/// `try-runtime`'s upgrade check on the real runtime: the migrations' own checks, every
/// pallet's whole state decoded, every invariant. It passes on today's layouts and fails on a
/// record of another layout, as a layout change without its migration would leave.
#[cfg(feature = "try-runtime")]
#[test]
fn the_upgrade_check_fails_on_a_record_of_another_layout() {
	use bourse_runtime::{Attestation, Executive, Reputation, Tasks};
	use polkadot_sdk::frame_support::{storage::unhashed, traits::UpgradeCheckSelect};
	let mut ext = dev_chain();
	ext.execute_with(|| {
		StorageVersion::new(0).put::<Attestation>();
		StorageVersion::new(0).put::<Reputation>();
		StorageVersion::new(3).put::<Tasks>();
		assert!(Executive::try_runtime_upgrade(UpgradeCheckSelect::All).is_ok());
		assert!(versions().iter().all(|(on_chain, in_code)| on_chain == in_code));
	});
	ext.execute_with(|| {
		let alice = polkadot_sdk::sp_keyring::Sr25519Keyring::Alice.to_account_id();
		let key = pallet_reputation::Records::<bourse_runtime::Runtime>::hashed_key_for(&alice);
		unhashed::put_raw(&key, &[7]);
		assert!(Executive::try_runtime_upgrade(UpgradeCheckSelect::All).is_err());
	});
}

/// The transaction extensions are priced on this runtime and ParityDb, not on the RocksDB
/// reference weights FRAME ships with: prints both for a transfer (and the whole pipeline's);
/// the runtime's are the lower.
#[test]
fn the_transaction_extensions_are_priced_on_this_runtime_and_its_database() {
	use bourse_runtime::{weights::frame_system_extensions::WeightInfo, Runtime, RuntimeCall};
	use polkadot_sdk::{
		frame_support::weights::Weight,
		frame_system::{offchain::CreateAuthorizedTransaction, ExtensionsWeightInfo},
		sp_runtime::traits::TransactionExtension,
	};
	fn checks<W: ExtensionsWeightInfo>() -> Weight {
		W::check_non_zero_sender()
			.saturating_add(W::check_spec_version())
			.saturating_add(W::check_tx_version())
			.saturating_add(W::check_genesis())
			.saturating_add(W::check_mortality_immortal_transaction())
			.saturating_add(W::check_nonce())
			.saturating_add(W::check_weight())
			.saturating_add(W::weight_reclaim())
	}
	let ms = |w: Weight| w.ref_time() as f64 / 1e9;
	let measured = checks::<WeightInfo<Runtime>>();
	let reference = checks::<()>();
	let call = RuntimeCall::Balances(polkadot_sdk::pallet_balances::Call::transfer_keep_alive {
		dest: polkadot_sdk::sp_runtime::MultiAddress::Id([1u8; 32].into()),
		value: 1,
	});
	let pipeline =
		<Runtime as CreateAuthorizedTransaction<RuntimeCall>>::create_extension().weight(&call);
	println!(
		"frame_system's checks per transaction: {:.3} ms measured here, {:.3} ms by FRAME's \
		 RocksDB reference; the whole extension pipeline: {:.3} ms",
		ms(measured),
		ms(reference),
		ms(pipeline),
	);
	assert!(measured.ref_time() < reference.ref_time());
}

/// What a transaction of `call` costs a block: the base, the extension pipeline (an authorized
/// call's `authorize` in it) and its dispatch.
fn block_cost(call: bourse_runtime::RuntimeCall) -> polkadot_sdk::frame_support::weights::Weight {
	use bourse_runtime::{Runtime, RuntimeCall};
	use polkadot_sdk::{
		frame_support::dispatch::{DispatchClass, GetDispatchInfo},
		frame_system::offchain::CreateAuthorizedTransaction,
		sp_runtime::traits::TransactionExtension,
	};
	let base = <Runtime as polkadot_sdk::frame_system::Config>::BlockWeights::get()
		.get(DispatchClass::Normal)
		.base_extrinsic;
	let pipeline =
		<Runtime as CreateAuthorizedTransaction<RuntimeCall>>::create_extension().weight(&call);
	base.saturating_add(pipeline).saturating_add(call.get_dispatch_info().call_weight)
}

/// A lone answer with a box of `box_len` bytes: its signed part, and the box.
fn lone_answer(box_len: u32) -> (bourse_primitives::SealedAnswer, Vec<u8>) {
	let sealed = vec![7u8; box_len as usize];
	let answer = bourse_primitives::SealedAnswer {
		status: bourse_primitives::Status::Success,
		fuel_used: 1,
		executor_version: 1,
		commitment: [1; 32],
		proof: [2; 32],
		max_output: 0,
		sealed_hash: polkadot_sdk::sp_io::hashing::blake2_256(&sealed),
	};
	(answer, sealed)
}

/// What one answer of an `answer_many` of a provider's most answers, boxes of `box_len`
/// bytes, costs a block.
fn bundled_answer_cost(box_len: u32) -> u64 {
	use bourse_runtime::{Runtime, RuntimeCall};
	use polkadot_sdk::sp_runtime::traits::Get;
	let most: u32 = <Runtime as pallet_attestation::Config>::MaxAnswersPerCall::get();
	let answers: Vec<_> = (0..most as u64)
		.map(|task_id| {
			let (answer, sealed) = lone_answer(box_len);
			let sealed = polkadot_sdk::sp_runtime::BoundedVec::truncate_from(sealed);
			pallet_attestation::BundledAnswer { task_id, digest: [3; 32], answer, sealed }
		})
		.collect();
	let call = RuntimeCall::Attestation(pallet_attestation::Call::answer_many {
		provider: [1u8; 32].into(),
		answers: polkadot_sdk::sp_runtime::BoundedVec::truncate_from(answers),
		signature: polkadot_sdk::sp_core::sr25519::Signature::from_raw([0; 64]).into(),
	});
	block_cost(call).ref_time() / u64::from(most)
}

/// The normal class's share of a block, in ref time.
fn normal_share() -> u64 {
	use polkadot_sdk::frame_support::dispatch::DispatchClass;
	let limits =
		<bourse_runtime::Runtime as polkadot_sdk::frame_system::Config>::BlockWeights::get();
	limits.get(DispatchClass::Normal).max_total.unwrap_or(limits.max_block).ref_time()
}
/// A lone answer in an `answer_many` of a provider's most answers costs a block less than the
/// same answer alone (one transaction's overhead, one signature and the provider's records for
/// all): prints both, with what a block's normal share holds of each, boxes empty and full.
#[test]
fn a_bundled_answer_costs_a_block_less_than_a_lone_one() {
	use bourse_runtime::{Runtime, RuntimeCall};
	use polkadot_sdk::sp_runtime::traits::Get;
	let most: u32 = <Runtime as pallet_attestation::Config>::MaxAnswersPerCall::get();
	let largest: u32 = <Runtime as pallet_attestation::Config>::MaxSealedSize::get();
	let lone = |box_len| {
		let (answer, sealed) = lone_answer(box_len);
		block_cost(RuntimeCall::Attestation(pallet_attestation::Call::answer {
			task_id: 0,
			provider: [1u8; 32].into(),
			answer,
			sealed: sealed.try_into().unwrap(),
			signature: polkadot_sdk::sp_core::sr25519::Signature::from_raw([0; 64]).into(),
		}))
	};
	let normal = normal_share();
	for box_len in [0, largest] {
		let (alone, in_bundle) = (lone(box_len).ref_time(), bundled_answer_cost(box_len));
		println!(
			"a lone answer with a box of {box_len} bytes: {:.3} ms alone, {:.3} ms in an \
			 answer_many of {most} ({:.2}×); a block's normal share holds {} alone, {} bundled",
			alone as f64 / 1e9,
			in_bundle as f64 / 1e9,
			alone as f64 / in_bundle as f64,
			normal / alone,
			normal / in_bundle,
		);
		assert!(in_bundle < alone, "bundling must cost less per answer");
	}
}

/// What the weight model allows of #22's sustained goal. A k = 1 task's life at its cheapest:
/// submitted as a tile of a job of 256, answered in a bundle and its coin shown by its requester
/// (transactions: the normal class), then assigned, made final and pruned in `on_initialize`
/// (the mandatory class, which shares the block's whole weight). The work `on_initialize` does
/// for as many tasks as a block carries transfers does not fit in one block, so no chain of
/// this runtime completes as many tasks a block as it carries transfers. Prints each part; the
/// README's figures come from here.
#[test]
fn a_completed_task_costs_a_block_more_than_a_transfer() {
	use bourse_primitives::traits::ProviderReputation;
	use bourse_runtime::{Runtime, RuntimeCall, Tasks};
	use pallet_tasks::WeightInfo as _;
	use polkadot_sdk::frame_support::traits::Get;
	type TaskWeights = <Runtime as pallet_tasks::Config>::WeightInfo;
	type Reputation = <Runtime as pallet_tasks::Config>::Reputation;
	let ms = |w: u64| w as f64 / 1e9;
	let transfer = block_cost(RuntimeCall::Balances(
		polkadot_sdk::pallet_balances::Call::transfer_keep_alive {
			dest: polkadot_sdk::sp_runtime::MultiAddress::Id([1u8; 32].into()),
			value: 1,
		},
	))
	.ref_time();
	let tiles = 256u32;
	let job = RuntimeCall::Tasks(pallet_tasks::Call::submit_job {
		workload: [0; 32],
		terms: pallet_tasks::JobTerms {
			fuel_limit: 1_000_000,
			max_memory_mib: 16,
			max_price_per_mfuel: 1,
			replication: 1,
			min_reputation: Default::default(),
			timeout: 100,
			rent: 1,
			max_wait: 100,
		},
		tiles: (0..tiles)
			.map(|i| pallet_tasks::JobTile {
				input: format!("10\nbench {i}").into_bytes(),
				reply_key: [9; 32],
				audit: Some(bourse_primitives::AuditTerms {
					seal: [8; 32],
					rate: Default::default(),
				}),
			})
			.collect(),
	});
	// Transactions.
	let submitted = block_cost(job).ref_time() / u64::from(tiles);
	let answered = bundled_answer_cost(0);
	let shown = block_cost(RuntimeCall::Tasks(pallet_tasks::Call::show_audit_coin {
		task_id: 0,
		secret: [0; 32],
	}))
	.ref_time();
	let normal = submitted.saturating_add(answered).saturating_add(shown);
	// `on_initialize`, as it charges itself.
	let tries: u32 = <Runtime as pallet_tasks::Config>::JobTriesPerBlock::get();
	let assigned = (TaskWeights::on_initialize_jobs(tries).ref_time() / u64::from(tries))
		.saturating_add(Tasks::queued_selection_weight().ref_time());
	let most_final: u32 = <Runtime as pallet_tasks::Config>::FinalizePerBlock::get();
	let finalized = (TaskWeights::on_initialize_finalize(most_final).ref_time()
		/ u64::from(most_final))
	.saturating_add(Reputation::score_weight().ref_time());
	let db = <Runtime as polkadot_sdk::frame_system::Config>::DbWeight::get();
	let pruned = (TaskWeights::on_initialize_prune(tiles).ref_time() / u64::from(tiles))
		.saturating_add(db.reads_writes(3, 4).ref_time());
	let mandatory = assigned.saturating_add(finalized).saturating_add(pruned);
	let whole_block =
		<Runtime as polkadot_sdk::frame_system::Config>::BlockWeights::get().max_block.ref_time();
	let transfers = normal_share() / transfer;
	let completed = (normal_share() / normal).min(whole_block / mandatory);
	println!(
		"a k = 1 task's life. Transactions: submitted in a job of {tiles} {:.3} ms, answered in \
		 a bundle {:.3} ms, its coin shown {:.3} ms: {:.3} ms. on_initialize: assigned {:.3} ms \
		 (a market draw at its worst), made final {:.3} ms, pruned {:.3} ms: {:.3} ms. A \
		 transfer_keep_alive {:.3} ms: {transfers} a block's normal share. A block completes at \
		 most {completed} such tasks ({:.3}×; on_initialize assigns at most {tries} job tiles a \
		 block); it takes {} tiles submitted ({:.2}×)",
		ms(submitted),
		ms(answered),
		ms(shown),
		ms(normal),
		ms(assigned),
		ms(finalized),
		ms(pruned),
		ms(mandatory),
		ms(transfer),
		completed as f64 / transfers as f64,
		normal_share() / submitted,
		transfer as f64 / submitted as f64,
	);
	assert!(
		mandatory.saturating_mul(transfers) > whole_block,
		"the README says on_initialize's work for as many tasks as transfers exceeds a block"
	);
}
