//! The runtime APIs the node and clients (polkadot.js) call.

use super::*;
use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_genesis_builder::PresetId;
use sp_runtime::{
	traits::{Block as BlockT, NumberFor},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult, ExtrinsicInclusionMode,
};

use bourse_primitives::{
	api::{AnswerView, OfferView, ProviderView, QuoteView, TaskPhase, TaskView},
	traits::{ProviderReputation, Requirements, TaskId},
};
use codec::Encode;

/// The offer of `who` as requesters see it.
fn offer_view(who: &AccountId) -> Option<OfferView<AccountId, Balance, BlockNumber>> {
	let offer = pallet_offers::Offers::<Runtime>::get(who)?;
	let provider = pallet_offers::Providers::<Runtime>::get(who)?;
	let free_slots = if provider.unbonds_at.is_some() {
		0
	} else {
		Offers::capacity(&provider, &offer).saturating_sub(provider.busy_slots)
	};
	Some(OfferView {
		provider: who.clone(),
		price_per_mfuel: offer.price_per_mfuel,
		max_fuel: offer.max_fuel,
		max_memory_mib: offer.max_memory_mib,
		slots: offer.slots,
		free_slots,
		expires_at: offer.expires_at,
		active_from: offer.active_from,
		reputation: <Reputation as ProviderReputation<AccountId>>::score(who),
	})
}

/// Task `task_id`, its answers so far and its output.
fn task_view(task_id: TaskId) -> Option<TaskView<AccountId, Balance, BlockNumber>> {
	use pallet_tasks::TaskState;
	let task = pallet_tasks::Tasks::<Runtime>::get(task_id)?;
	let phase = match task.state {
		TaskState::Queued { since } => TaskPhase::Queued { since },
		TaskState::Assigned { providers, assigned_at, deadline } => {
			TaskPhase::Assigned { providers: providers.into_inner(), assigned_at, deadline }
		}
		TaskState::Completed { status, output_hash, fuel_used, cost, settled_at } => {
			TaskPhase::Completed { status, output_hash, fuel_used, cost, settled_at }
		}
		TaskState::Failed { reason, settled_at } => TaskPhase::Failed { reason, settled_at },
	};
	let answers = match &phase {
		TaskPhase::Assigned { providers, .. } => providers
			.iter()
			.map(|a| AnswerView {
				provider: a.provider.clone(),
				committed: pallet_attestation::Commitments::<Runtime>::contains_key(
					task_id,
					&a.provider,
				),
				revealed: pallet_attestation::Reveals::<Runtime>::get(task_id, &a.provider)
					.map(|r| (r.status, r.output_hash, r.fuel_used)),
			})
			.collect(),
		_ => Vec::new(),
	};
	Some(TaskView {
		requester: task.requester,
		workload: task.workload,
		input_len: task.input.len() as u32,
		fuel_limit: task.fuel_limit,
		max_memory_mib: task.max_memory_mib,
		max_price: task.max_price,
		replication: task.replication,
		timeout: task.timeout,
		escrow: task.escrow,
		phase,
		answers,
		output: pallet_tasks::Outputs::<Runtime>::get(task_id).map(|o| o.into_inner()),
	})
}

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			opaque::SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			opaque::SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: GrandpaId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			// No session pallet: equivocation reports are not supported, so there is no proof.
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<PresetId> {
			crate::genesis_config_presets::preset_names()
		}
	}

	impl bourse_primitives::api::BourseApi<Block, AccountId, Balance, BlockNumber> for Runtime {
		fn offers(limit: u32) -> Vec<OfferView<AccountId, Balance, BlockNumber>> {
			pallet_offers::Available::<Runtime>::iter_keys()
				.take(limit.min(1_000) as usize)
				.filter_map(|(_, who)| offer_view(&who))
				.collect()
		}

		fn provider(account: AccountId) -> Option<ProviderView<AccountId, Balance, BlockNumber>> {
			let provider = pallet_offers::Providers::<Runtime>::get(&account)?;
			Some(ProviderView {
				executor: provider.executor.encode(),
				bond: provider.bond,
				busy_slots: provider.busy_slots,
				unbonds_at: provider.unbonds_at,
				reputation: <Reputation as ProviderReputation<AccountId>>::score(&account),
				offer: offer_view(&account),
				open_tasks: pallet_tasks::ProviderTasks::<Runtime>::iter_key_prefix(&account).collect(),
			})
		}

		fn task(task_id: TaskId) -> Option<TaskView<AccountId, Balance, BlockNumber>> {
			task_view(task_id)
		}

		fn quote(
			fuel: u64,
			memory_mib: u32,
			replication: u32,
			max_price: Balance,
			min_reputation: sp_runtime::Perbill,
			requester: AccountId,
		) -> QuoteView<AccountId, Balance> {
			let requirements = Requirements {
				replication,
				fuel,
				memory_mib,
				max_price,
				min_reputation,
				requester,
				seed: [0; 32],
			};
			let candidates = Offers::candidates(&requirements);
			let valid_replication = replication % 2 == 1 &&
				replication <= <<Runtime as pallet_tasks::Config>::MaxReplication as frame_support::traits::Get<u32>>::get();
			let mut prices: Vec<Balance> = candidates.iter().map(|c| c.price).collect();
			prices.sort_unstable_by(|a, b| b.cmp(a));
			let max_cost = prices.iter().take(replication as usize).try_fold(
				<<Runtime as pallet_tasks::Config>::BaseFee as frame_support::traits::Get<Balance>>::get(),
				|total, price| total.checked_add(Tasks::fuel_cost(u128::from(fuel), *price)?),
			);
			QuoteView {
				assignable: valid_replication && candidates.len() >= replication as usize,
				escrow: Tasks::escrow_for(replication, fuel, max_price),
				max_cost,
				candidates,
			}
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::BenchmarkList;
			use frame_support::traits::StorageInfoTrait;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);
			(list, AllPalletsWithSystem::storage_info())
		}

		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::BenchmarkBatch;
			use frame_support::traits::WhitelistedStorageKeys;

			let whitelist = AllPalletsWithSystem::whitelisted_storage_keys();
			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);
			Ok(batches)
		}
	}
}
