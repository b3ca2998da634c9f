//! A mock runtime with the whole market: balances, reputation, offers, tasks and attestation,
//! wired as the runtime wires them.
#![allow(clippy::unwrap_used)]

use frame::testing_prelude::*;
use frame::{
	token::fungible::HoldConsideration,
	traits::{Convert, LinearStoragePrice},
};
use polkadot_sdk::polkadot_sdk_frame as frame;
use polkadot_sdk::{pallet_balances, sp_runtime::testing::UintAuthorityId};

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Reputation: pallet_reputation,
		Offers: pallet_offers,
		Tasks: pallet_tasks,
		Attestation: pallet_attestation,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u128>;
	type BlockWeights = MockBlockWeights;
}

/// A coin secret of task `task_id` whose coin says "no audit" at any rate up to 99 %.
pub fn quiet_secret(task_id: u64) -> [u8; 32] {
	use bourse_primitives::reply::audit_coin;
	(0u16..)
		.map(|i| {
			let mut secret = [0u8; 32];
			secret[..2].copy_from_slice(&i.to_le_bytes());
			secret
		})
		.find(|s| audit_coin(s, task_id) >= Perbill::from_percent(99))
		.expect("a quiet coin")
}

/// The audit terms of the next test task if of `replication` 1: its coin sealed with
/// [`quiet_secret`] (shown, no audit; never shown, an audit), no more than the chain's rate
/// asked; a replicated one gives none.
pub fn audit_terms(replication: u32) -> Option<bourse_primitives::AuditTerms> {
	let task_id = pallet_tasks::NextTaskId::<Test>::get();
	(replication == 1).then(|| bourse_primitives::AuditTerms {
		seal: bourse_primitives::reply::audit_seal(&quiet_secret(task_id)),
		rate: Perbill::zero(),
	})
}

parameter_types! {
	/// The least audit rate; tests raise it to stage audits.
	pub static AuditRate: Perbill = Perbill::from_percent(10);
}

parameter_types! {
	/// The share of a block settling deadlines may take; tests lower it to stage carry-over.
	pub static DeadlineShare: Perbill = Perbill::from_percent(50);
}

parameter_types! {
	/// Blocks that carry four submissions, as many as the mock prunes per block.
	pub MockBlockWeights: frame_system::limits::BlockWeights =
		frame_system::limits::BlockWeights::simple_max(
			pallet_tasks::Pallet::<Test>::submit_weight(1).saturating_mul(4),
		);
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = u128;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

impl pallet_reputation::Config for Test {
	type HalfLife = ConstU64<1_000>;
	type ValueUnit = ConstU128<100>;
	type MaxEvidencePerTask = ConstU32<10>;
	type OutVotedWeight = ConstU32<4>;
	type NoShowWeight = ConstU32<2>;
	type AbstainWeight = ConstU32<1>;
	type PriorFailures = ConstU32<2>;
	type WeightInfo = ();
}

/// The block randomness tests set ([`set_randomness`]); zero unless set.
#[storage_alias]
type BlockRandomness = StorageValue<TestRandomness, [u8; 32], ValueQuery>;

/// The mock's randomness, as the runtime's: a hash of the subject, the value a test set for the
/// block (the author's VRF output) and the parent hash.
pub struct TestRandomness;

impl frame::traits::Randomness<H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		let value = BlockRandomness::get();
		let parent = System::parent_hash();
		let hash = polkadot_sdk::sp_io::hashing::blake2_256(&(subject, value, parent).encode());
		(H256(hash), System::block_number())
	}
}

/// Sets the randomness of the blocks to come (as a BABE author's VRF output would be).
pub fn set_randomness(value: [u8; 32]) {
	BlockRandomness::put(value);
}

/// The author of the blocks to come, as tests set it ([`set_author`]); unknown unless set.
#[storage_alias]
type BlockAuthorOf = StorageValue<TestAuthor, pallet_tasks::Authored, OptionQuery>;

/// The mock's block author: the one a test set.
pub struct TestAuthor;

impl pallet_tasks::BlockAuthor for TestAuthor {
	fn author() -> pallet_tasks::Authored {
		BlockAuthorOf::get().unwrap_or(pallet_tasks::Authored::Unknown)
	}
}

/// Sets the author of the blocks to come.
pub fn set_author(author: pallet_tasks::Authored) {
	BlockAuthorOf::put(author);
}

/// Most one task can slash.
pub const MAX_SLASH: u128 = 100;

impl pallet_offers::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ExecutorId = UintAuthorityId;
	type Reputation = Reputation;
	type MinBond = ConstU128<200>;
	type MaxSlash = ConstU128<MAX_SLASH>;
	type MaxSlots = ConstU32<8>;
	type MaxPricePerMfuel = ConstU128<1_000_000>;
	type MinOfferFuel = ConstU64<1_000>;
	type MinOfferMemoryMib = ConstU32<1>;
	type MaxMemoryMib = ConstU32<4_096>;
	type MaxProviders = ConstU32<1_000>;
	type UnbondingDelay = ConstU64<20>;
	type MaxCandidates = ConstU32<5>;
	type ScanPerClass = ConstU32<3>;
	type MaxReplication = ConstU32<5>;
	type MaxMisses = ConstU32<3>;
	type NodeResumeDelay = ConstU64<5>;
	type EncryptionKeyGrace = ConstU64<100>;
	type WeightInfo = ();
}

/// Fee per task, burned at settlement.
pub const BASE_FEE: u128 = 30;
/// Bond slashed per failed answer.
pub const SLASH: u128 = 50;
/// What silence costs when a quorum answered in time.
pub const NO_SHOW_SLASH: u128 = SLASH / 2;
/// Shortest timeout.
pub const MIN_TIMEOUT: u64 = 5;
/// Blocks a settled task is kept.
pub const RETENTION: u64 = 20;
/// Fuel a provider surely burns in a block: the tests' tasks (1e6 fuel) run in one.
pub const FUEL_PER_BLOCK: u64 = 1_000_000;
/// Blocks a task of the tests' fuel takes commits: its run (1 + 1 block) and 2 to land.
pub const COMMIT_WINDOW: u64 = 4;

parameter_types! {
	/// Workload deposits are held for this reason.
	pub const WorkloadHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Tasks(pallet_tasks::HoldReason::WorkloadDeposit);
}

/// Largest output.
pub const MAX_OUTPUT: u32 = 64;
/// Largest box of a lone answer.
pub const MAX_SEALED: u32 = bourse_primitives::reply::max_sealed_len(MAX_OUTPUT as usize) as u32;
/// Blocks a lone answer is held before it is final.
pub const WINDOW: u64 = 5;
/// What a false bad-delivery claim costs.
pub const FALSE_CLAIM_FEE: u128 = 40;

/// The least queue rent per block.
pub const MIN_QUEUE_RENT: u128 = 10;

/// The workload deposit: 10 per workload and 1 per byte.
pub type WorkloadPrice = LinearStoragePrice<ConstU128<10>, ConstU128<1>, u128>;

impl pallet_tasks::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Market = Offers;
	type Reputation = Reputation;
	type Judge = Attestation;
	type Randomness = TestRandomness;
	type BlockAuthor = TestAuthor;
	type MaxCodeSize = ConstU32<1_024>;
	type Consideration = HoldConsideration<u64, Balances, WorkloadHoldReason, WorkloadPrice>;
	type MaxInputSize = ConstU32<64>;
	type MaxOutputSize = ConstU32<MAX_OUTPUT>;
	type MaxSealedSize = ConstU32<MAX_SEALED>;
	type VerificationWindow = ConstU64<WINDOW>;
	type FalseClaimFee = ConstU128<FALSE_CLAIM_FEE>;
	type AuditRate = AuditRate;
	type FinalizePerBlock = ConstU32<4>;
	type MaxMemoryMib = ConstU32<4_096>;
	type MaxReplication = ConstU32<5>;
	type MinTimeout = ConstU64<MIN_TIMEOUT>;
	type MaxTimeout = ConstU64<100>;
	type BaseFee = ConstU128<BASE_FEE>;
	type Slash = ConstU128<SLASH>;
	type NoShowSlash = ConstU128<NO_SHOW_SLASH>;
	type FuelPerBlock = ConstU64<FUEL_PER_BLOCK>;
	type MaxQueued = ConstU32<4>;
	type MinQueueRent = ConstU128<MIN_QUEUE_RENT>;
	type TaskDepositBase = ConstU128<5>;
	type TaskDepositPerByte = ConstU128<1>;
	type AssignPerBlock = ConstU32<2>;
	type MaxJobTiles = ConstU32<16>;
	type MaxQueuedJobs = ConstU32<4>;
	type JobTriesPerBlock = ConstU32<4>;
	type JobClosesPerBlock = ConstU32<3>;
	type MaxPending = ConstU32<32>;
	type DeadlineShare = DeadlineShare;
	type Retention = ConstU64<RETENTION>;
	type PrunePerBlock = ConstU32<12>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketHelper;
}

/// Benchmark providers from the offers pallet, with executor keys `1_000 + i`.
#[cfg(feature = "runtime-benchmarks")]
pub struct MarketHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_tasks::BenchmarkHelper<u64> for MarketHelper {
	fn provider(i: u32, slots: u32) -> u64 {
		let who = 1_000 + u64::from(i);
		pallet_offers::Pallet::<Test>::benchmark_provider(&who, UintAuthorityId(who), 1_000, slots)
			.unwrap();
		who
	}
	fn encryption_key(provider: &u64) -> [u8; 32] {
		let mut secret = [0x3c; 32];
		secret[..8].copy_from_slice(&provider.to_le_bytes());
		let key = bourse_primitives::reply::public_key(&secret).unwrap();
		pallet_offers::Pallet::<Test>::benchmark_encryption_key(provider, key);
		key
	}
	/// A block by a known author with a VRF output.
	fn set_block_randomness() {
		set_author(pallet_tasks::Authored::By([7; 32]));
	}
}

impl pallet_attestation::Config for Test {
	type ExecutorId = UintAuthorityId;
	type Keys = Offers;
	type Tasks = Tasks;
	// The offchain worker is tested in the attestation pallet; here answers are dispatched.
	type Authorship = ();
	type AuthorAnswerDelay = ConstU64<1_000>;
	type MaxOutputSize = ConstU32<MAX_OUTPUT>;
	type MaxSealedSize = ConstU32<MAX_SEALED>;
	type MaxReplication = ConstU32<5>;
	type MaxExecutorVersions = ConstU32<2>;
	type MaxAnswersPerCall = ConstU32<8>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketHelper;
}

#[cfg(feature = "runtime-benchmarks")]
impl MarketHelper {
	/// Registers a benchmark provider per key, then submits a task of `replication` and assigns
	/// it in the next block; returns the task and the registered providers.
	fn submitted(keys: Vec<UintAuthorityId>, replication: u32) -> (u64, Vec<u64>) {
		let (first, tasks) = Self::submitted_many(keys.clone(), replication, 1);
		let registered = (0..keys.len() as u64).map(|i| first + i).collect();
		(tasks[0], registered)
	}

	/// Registers a benchmark provider per key (8 slots each), then submits `count` tasks of
	/// `replication` and assigns them in the next block; returns the first provider and the
	/// tasks.
	fn submitted_many(keys: Vec<UintAuthorityId>, replication: u32, count: u32) -> (u64, Vec<u64>) {
		let registered: Vec<u64> = (0..keys.len() as u64).map(|i| 2_000 + i).collect();
		for (who, key) in registered.iter().zip(keys) {
			pallet_offers::Pallet::<Test>::benchmark_provider(who, key, 1_000, 8).unwrap();
		}
		System::set_block_number(System::block_number() + 1);
		let requester = 1;
		let code = b"\0asm\x01\0\0\0bench".to_vec();
		let hash = polkadot_sdk::sp_io::hashing::blake2_256(&code);
		let _ = Tasks::upload_workload(RuntimeOrigin::signed(requester), code);
		let tasks = (0..count)
			.map(|i| {
				let task_id = pallet_tasks::NextTaskId::<Test>::get();
				let mut reply_key = [7; 32];
				reply_key[..4].copy_from_slice(&i.to_le_bytes());
				Tasks::submit_task(
					RuntimeOrigin::signed(requester),
					hash,
					vec![1],
					1_000_000,
					1,
					1_000,
					replication,
					Default::default(),
					MIN_TIMEOUT,
					None,
					reply_key,
					crate::mock::audit_terms(replication),
				)
				.unwrap();
				task_id
			})
			.collect();
		// The next block assigns them.
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Tasks::assign_pending(next, &mut pallet_tasks::Seeds::new());
		(registered[0], tasks)
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_attestation::BenchmarkHelper<u64, UintAuthorityId> for MarketHelper {
	fn assigned_task(keys: Vec<UintAuthorityId>) -> (u64, Vec<u64>) {
		let k = keys.len() as u32;
		let (task_id, _) = Self::submitted(keys, k);
		let providers =
			<Tasks as pallet_tasks::TaskLedger<u64, u64>>::assignment(task_id).unwrap().providers;
		(task_id, providers)
	}

	fn lone_task(keys: Vec<UintAuthorityId>) -> (u64, Vec<u64>) {
		Self::submitted(keys, 1)
	}

	fn lone_tasks(key: UintAuthorityId, count: u32) -> (u64, Vec<u64>) {
		Self::submitted_many(vec![key], 1, count)
	}

	fn start_audit(task_id: u64) {
		use polkadot_sdk::frame_support::traits::Hooks;
		let Some(pallet_tasks::TaskState::Answered { final_at, .. }) =
			pallet_tasks::Tasks::<Test>::get(task_id).map(|t| t.state)
		else {
			return;
		};
		System::set_block_number(final_at);
		<Tasks as Hooks<u64>>::on_initialize(final_at);
	}
}

/// Extrinsics of the mock (attestation's answers are authorized transactions).
pub type Extrinsic = frame_system::mocking::MockUncheckedExtrinsic<Test>;

impl<C> frame_system::offchain::CreateTransactionBase<C> for Test
where
	RuntimeCall: From<C>,
{
	type RuntimeCall = RuntimeCall;
	type Extrinsic = Extrinsic;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extension = ();
	fn create_transaction(call: RuntimeCall, extension: ()) -> Extrinsic {
		Extrinsic::new_transaction(call, extension)
	}
}

impl<C> frame_system::offchain::CreateAuthorizedTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	fn create_extension() {}
}

/// Every test account starts with this much.
pub const ENDOWMENT: u128 = 1_000_000;

/// Externalities at block 1 with accounts 1..=20 endowed.
pub fn new_test_ext() -> TestState {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=20).map(|who| (who, ENDOWMENT)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_attestation::GenesisConfig::<Test>::default().assimilate_storage(&mut storage).unwrap();
	let mut ext: TestState = storage.into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Every pallet's invariants.
pub fn check_invariants() {
	Tasks::do_try_state().unwrap();
	Tasks::check_deposits(WorkloadPrice::convert).unwrap();
	Attestation::do_try_state().unwrap();
	Offers::do_try_state().unwrap();
	Reputation::do_try_state().unwrap();
	// The market's held exposure is the lone answers the tasks hold, and the auditors of
	// disputed audits.
	let mut held = std::collections::BTreeMap::<u64, u32>::new();
	for (task_id, task) in pallet_tasks::Tasks::<Test>::iter() {
		if let pallet_tasks::TaskState::Answered { provider, .. }
		| pallet_tasks::TaskState::Audited { provider, .. } = &task.state
		{
			*held.entry(provider.provider).or_default() += 1;
		}
		if let pallet_tasks::TaskState::Audited { auditor, .. } = &task.state {
			if pallet_tasks::Disputes::<Test>::contains_key(task_id) {
				*held.entry(auditor.provider).or_default() += 1;
			}
		}
	}
	let recorded: std::collections::BTreeMap<u64, u32> =
		pallet_offers::HeldAnswers::<Test>::iter().collect();
	assert_eq!(recorded, held, "held bond exposure differs from the answers held");
}

/// Runs `body` in fresh externalities and checks the invariants after it.
pub fn test(body: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		body();
		check_invariants();
	});
}

/// Moves to the next block, running the tasks pallet's `on_initialize`.
pub fn next_block() {
	let n = System::block_number() + 1;
	System::set_block_number(n);
	<Tasks as Hooks<u64>>::on_initialize(n);
	check_invariants();
}
