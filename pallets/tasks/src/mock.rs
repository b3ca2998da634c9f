//! A mock runtime of the tasks pallet with balances. Its neighbours are fakes the tests drive:
//! a market of providers registered by the tests (selected in registration order), a judge that
//! hands out the decisions the tests set, and a reputation that records verdicts. Whole-market
//! flows, with the real offers, attestation and reputation pallets, live in the
//! `bourse-market-tests` crate.
#![allow(clippy::unwrap_used)]

use crate as pallet_tasks;
use crate::{
	frame, Assignment, Decision, FailureReason, ProviderMarket, ProviderReputation, Requirements,
	TaskId, TaskJudge, Verdict,
};
use bourse_primitives::traits::{
	AuditFinding, AuditRound, CommitteeJudgement, MemberPart, SelectionError, Upheld,
};
use core::cell::RefCell;
use frame::testing_prelude::*;
use frame::{
	token::fungible::HoldConsideration,
	traits::{Convert, LinearStoragePrice},
};
use polkadot_sdk::pallet_balances;
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Tasks: pallet_tasks,
	}
);

/// A coin secret of task `task_id` whose coin says "no audit" at any rate up to 99 %.
pub fn quiet_secret(task_id: u64) -> [u8; 32] {
	secret_where(task_id, 0, |coin| coin >= Perbill::from_percent(99))
}

/// A coin secret of task `task_id` whose coin says "audit" at any rate from 1 %.
pub fn loud_secret(task_id: u64) -> [u8; 32] {
	secret_where(task_id, 1, |coin| coin < Perbill::from_percent(1))
}

/// The first coin secret (of those starting with `tag`) whose coin for `task_id` is `wanted`.
fn secret_where(task_id: u64, tag: u8, wanted: impl Fn(Perbill) -> bool) -> [u8; 32] {
	(0u16..)
		.map(|i| {
			let mut secret = [tag; 32];
			secret[..2].copy_from_slice(&i.to_le_bytes());
			secret
		})
		.find(|s| wanted(bourse_primitives::reply::audit_coin(s, task_id)))
		.expect("such a coin")
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

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type BlockWeights = MockBlockWeights;
	type AccountData = pallet_balances::AccountData<u128>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = u128;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
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
/// The least queue rent per block.
pub const MIN_QUEUE_RENT: u128 = 10;
/// Storage deposit per item of a task.
pub const DEPOSIT_BASE: u128 = 5;
/// Storage deposit per byte of a task.
pub const DEPOSIT_PER_BYTE: u128 = 1;

/// What the fake judge reports for deciding an answered task: far above every benchmarked
/// weight, so a test can tell it was charged.
pub const ANSWERED_DECISION_WEIGHT: Weight = Weight::from_parts(10_000_000_000_000, 0);

/// A provider of the fake market.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct FakeProvider {
	/// Its account.
	pub who: u64,
	/// Its price per million fuel.
	pub price: u128,
	/// The most fuel and memory it takes.
	pub max_fuel: u64,
	/// The most memory it takes, in MiB.
	pub max_memory_mib: u32,
	/// Its slots, and how many are busy.
	pub slots: u32,
	pub busy: u32,
	/// Its lone answers held in their window (bond exposure without a slot).
	pub held: u32,
	/// What it was slashed in all.
	pub slashed: u128,
	/// Settled tasks it answered and missed (said nothing on).
	pub answered: u32,
	pub missed: u32,
	/// Its reputation (90 % unless a test sets it).
	pub reputation: Perbill,
	/// Its live encryption key ([`encryption_key_of`] unless a test changes it).
	pub encryption_key: Option<[u8; 32]>,
}

/// The encryption key the fake market gives provider `who` at registration.
pub fn encryption_key_of(who: u64) -> [u8; 32] {
	let mut key = [0xe0; 32];
	key[..8].copy_from_slice(&who.to_le_bytes());
	key
}

/// The fake market's providers, in storage: the benchmarks' test suite wipes storage between
/// benchmarks, not thread-locals.
#[storage_alias]
pub type FakeProviders = StorageValue<FakeMarket, Vec<FakeProvider>, ValueQuery>;

/// The block randomness tests set ([`set_randomness`]); zero unless set.
#[storage_alias]
type BlockRandomness = StorageValue<TestRandomness, [u8; 32], ValueQuery>;

/// The mock's randomness: a hash of the subject and the value a test set for the block.
pub struct TestRandomness;

impl frame::traits::Randomness<H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		let value = BlockRandomness::get();
		let hash = polkadot_sdk::sp_io::hashing::blake2_256(&(subject, value).encode());
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

/// The seeds of the fake market's successful draws, in order.
#[storage_alias]
type DrawSeeds = StorageValue<FakeMarket, Vec<[u8; 32]>, ValueQuery>;

/// The seeds the market drew providers with so far.
pub fn draw_seeds() -> Vec<[u8; 32]> {
	DrawSeeds::get()
}

thread_local! {
	static DECISIONS: RefCell<BTreeMap<TaskId, Decision<u64>>> =
		const { RefCell::new(BTreeMap::new()) };
	static RECORDS: RefCell<Vec<(u64, Verdict, u128)>> = const { RefCell::new(Vec::new()) };
	static FINDINGS: RefCell<BTreeMap<TaskId, AuditFinding>> =
		const { RefCell::new(BTreeMap::new()) };
	static JUDGEMENTS: RefCell<BTreeMap<TaskId, CommitteeJudgement<u64>>> =
		const { RefCell::new(BTreeMap::new()) };
	static FORFEITS: RefCell<Vec<(u64, u64, u128)>> = const { RefCell::new(Vec::new()) };
}

/// Has the judge find `judgement` from the committee of the disputed audit of `task` at its
/// deadline.
pub fn judge(task: TaskId, judgement: CommitteeJudgement<u64>) {
	JUDGEMENTS.with(|j| j.borrow_mut().insert(task, judgement));
}

/// What the market moved out of bonds so far: (from, to, amount).
pub fn forfeits() -> Vec<(u64, u64, u128)> {
	FORFEITS.with(|f| f.borrow().clone())
}

/// Has the judge find `found` in the audit of `task` at its deadline.
pub fn find(task: TaskId, found: AuditFinding) {
	FINDINGS.with(|f| f.borrow_mut().insert(task, found));
}

/// Registers a provider at `price` with 4 slots for tasks of up to 10 M fuel and 64 MiB.
pub fn provider(who: u64, price: u128) {
	FakeProviders::mutate(|ps| {
		ps.push(FakeProvider {
			who,
			price,
			max_fuel: 10_000_000,
			max_memory_mib: 64,
			slots: 4,
			busy: 0,
			held: 0,
			slashed: 0,
			answered: 0,
			missed: 0,
			reputation: Perbill::from_percent(90),
			encryption_key: Some(encryption_key_of(who)),
		})
	});
}

/// The fake market's view of `who`.
pub fn market(who: u64) -> FakeProvider {
	FakeProviders::get().into_iter().find(|p| p.who == who).unwrap()
}

/// Has the judge decide `task` by `decision` (and count it as answered).
pub fn decide(task: TaskId, decision: Decision<u64>) {
	DECISIONS.with(|d| d.borrow_mut().insert(task, decision));
}

/// Verdicts the reputation recorded: provider, verdict, the task's value.
pub fn records() -> Vec<(u64, Verdict, u128)> {
	RECORDS.with(|r| r.borrow().clone())
}

/// Whether `p` has a free slot and fits `requirements`.
fn eligible(p: &FakeProvider, requirements: &Requirements<u64, u128>) -> bool {
	p.busy < p.slots
		&& p.price <= requirements.max_price
		&& p.max_fuel >= requirements.fuel
		&& p.max_memory_mib >= requirements.memory_mib
		&& p.reputation >= requirements.min_reputation
		&& p.who != requirements.requester
		&& !requirements.excluded.contains(&p.who)
		&& (requirements.only.is_empty()
			|| requirements
				.only
				.iter()
				.any(|(who, key)| *who == p.who && p.encryption_key == Some(*key)))
}

/// A market of [`provider`]s, taken in registration order; slashes are counted, not burned.
pub struct FakeMarket;

/// Most one task can slash.
pub const MAX_SLASH: u128 = 100;

impl ProviderMarket<u64, u128> for FakeMarket {
	fn select(
		requirements: &Requirements<u64, u128>,
	) -> Result<Vec<Assignment<u64, u128>>, SelectionError> {
		FakeProviders::mutate(|ps| {
			let chosen: Vec<usize> = ps
				.iter()
				.enumerate()
				.filter(|(_, p)| eligible(p, requirements))
				.map(|(i, _)| i)
				.take(requirements.replication as usize)
				.collect();
			if chosen.len() < requirements.replication as usize {
				return Err(SelectionError::NotEnoughProviders);
			}
			DrawSeeds::append(requirements.seed);
			Ok(chosen
				.into_iter()
				.map(|i| {
					ps[i].busy += 1;
					Assignment { provider: ps[i].who, price: ps[i].price }
				})
				.collect())
		})
	}

	fn select_weight(_replication: u32) -> Weight {
		Weight::zero()
	}

	fn candidates(requirements: &Requirements<u64, u128>) -> Vec<Assignment<u64, u128>> {
		FakeProviders::get()
			.iter()
			.filter(|p| eligible(p, requirements))
			.map(|p| Assignment { provider: p.who, price: p.price })
			.collect()
	}

	fn release(provider: &u64) {
		FakeProviders::mutate(|ps| {
			let p = ps.iter_mut().find(|p| p.who == *provider).unwrap();
			assert!(p.busy > 0, "released a provider with no busy slot");
			p.busy -= 1;
		})
	}

	fn hold(provider: &u64) {
		Self::release(provider);
		FakeProviders::mutate(|ps| ps.iter_mut().find(|p| p.who == *provider).unwrap().held += 1);
	}

	fn held_answers(provider: &u64) -> u32 {
		FakeProviders::get().iter().find(|p| p.who == *provider).map_or(0, |p| p.held)
	}

	fn release_held(provider: &u64) {
		FakeProviders::mutate(|ps| {
			let p = ps.iter_mut().find(|p| p.who == *provider).unwrap();
			assert!(p.held > 0, "released a held answer of a provider that holds none");
			p.held -= 1;
		})
	}

	fn record_attendance(provider: &u64, answered: bool) {
		FakeProviders::mutate(|ps| {
			let p = ps.iter_mut().find(|p| p.who == *provider).unwrap();
			if answered {
				p.answered += 1;
			} else {
				p.missed += 1;
			}
		})
	}

	fn slash(provider: &u64, amount: u128) -> u128 {
		let slashed = amount.min(MAX_SLASH);
		FakeProviders::mutate(|ps| {
			ps.iter_mut().find(|p| p.who == *provider).unwrap().slashed += slashed;
		});
		slashed
	}

	fn encryption_key_live(provider: &u64, key: &[u8; 32]) -> bool {
		FakeProviders::get().iter().any(|p| p.who == *provider && p.encryption_key == Some(*key))
	}

	fn forfeit(provider: &u64, amount: u128, to: &u64) -> u128 {
		let moved = Self::slash(provider, amount);
		FORFEITS.with(|f| f.borrow_mut().push((*provider, *to, moved)));
		moved
	}
}

/// A reputation that records verdicts; providers score what the fake market says.
pub struct FakeReputation;

impl ProviderReputation<u64> for FakeReputation {
	fn score(provider: &u64) -> Perbill {
		FakeProviders::get()
			.iter()
			.find(|p| p.who == *provider)
			.map_or(Perbill::zero(), |p| p.reputation)
	}

	fn record(provider: &u64, verdict: Verdict, value: u128) {
		RECORDS.with(|r| r.borrow_mut().push((*provider, verdict, value)));
	}

	fn score_weight() -> Weight {
		Weight::zero()
	}

	fn record_weight() -> Weight {
		Weight::zero()
	}
}

/// A judge that hands out what [`decide`] set; a task without one was not answered, and its
/// providers are no-shows.
pub struct FakeJudge;

impl TaskJudge<u64> for FakeJudge {
	fn decide(task: TaskId, providers: &[u64]) -> (Decision<u64>, Weight) {
		match DECISIONS.with(|d| d.borrow_mut().remove(&task)) {
			Some(decision) => (decision, ANSWERED_DECISION_WEIGHT),
			None => (
				Decision {
					result: Err(FailureReason::NoAnswer),
					verdicts: providers.iter().map(|p| (*p, Some(Verdict::NoShow))).collect(),
					revealed: Vec::new(),
					committed: Vec::new(),
				},
				Weight::zero(),
			),
		}
	}

	fn answers(_task: TaskId, _providers: &[u64]) -> Vec<bourse_primitives::api::AnswerView<u64>> {
		Vec::new()
	}

	fn answered(task: TaskId) -> bool {
		DECISIONS.with(|d| d.borrow().contains_key(&task))
	}

	fn judge_audit(task: TaskId, _audit: &AuditRound<u64>) -> (AuditFinding, Weight) {
		let found = FINDINGS.with(|f| f.borrow_mut().remove(&task));
		(found.unwrap_or(AuditFinding::AuditorSilent), Weight::zero())
	}

	fn judge_committee(task: TaskId, audit: &AuditRound<u64>) -> (CommitteeJudgement<u64>, Weight) {
		let judgement = JUDGEMENTS.with(|j| j.borrow_mut().remove(&task));
		let silent = || CommitteeJudgement {
			upheld: Upheld::NoMajority,
			members: audit.committee.iter().map(|m| (*m, MemberPart::Silent)).collect(),
			delivered: None,
		};
		(judgement.unwrap_or_else(silent), Weight::zero())
	}

	fn forget(_task: TaskId) {}
}

parameter_types! {
	/// Workload deposits are held for this reason.
	pub const WorkloadHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Tasks(pallet_tasks::HoldReason::WorkloadDeposit);
}

/// The workload deposit: 10 per workload and 1 per byte.
pub type WorkloadPrice = LinearStoragePrice<ConstU128<10>, ConstU128<1>, u128>;

impl pallet_tasks::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Market = FakeMarket;
	type Reputation = FakeReputation;
	type Judge = FakeJudge;
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
	type FinalizePerBlock = ConstU32<2>;
	type MaxMemoryMib = ConstU32<4_096>;
	type MaxReplication = ConstU32<5>;
	type MinTimeout = ConstU64<MIN_TIMEOUT>;
	type MaxTimeout = ConstU64<100>;
	type BaseFee = ConstU128<BASE_FEE>;
	type Slash = ConstU128<SLASH>;
	type NoShowSlash = ConstU128<NO_SHOW_SLASH>;
	// The tests' tasks (1e6 fuel) run within a block.
	type FuelPerBlock = ConstU64<1_000_000>;
	type MaxQueued = ConstU32<4>;
	type MinQueueRent = ConstU128<MIN_QUEUE_RENT>;
	type TaskDepositBase = ConstU128<DEPOSIT_BASE>;
	type TaskDepositPerByte = ConstU128<DEPOSIT_PER_BYTE>;
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
	type BenchmarkHelper = FakeMarket;
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_tasks::BenchmarkHelper<u64> for FakeMarket {
	fn provider(i: u32, slots: u32) -> u64 {
		let who = 1_000 + u64::from(i);
		provider(who, 1_000);
		FakeProviders::mutate(|ps| {
			let p = ps.iter_mut().find(|p| p.who == who).unwrap();
			p.slots = slots;
			p.max_fuel = u64::MAX;
			p.max_memory_mib = u32::MAX;
		});
		who
	}
	fn encryption_key(provider: &u64) -> [u8; 32] {
		encryption_key_of(*provider)
	}
	/// A block by a known author with a VRF output.
	fn set_block_randomness() {
		set_author(pallet_tasks::Authored::By([7; 32]));
	}
}

/// Largest output.
pub const MAX_OUTPUT: u32 = 64;
/// Largest box of a lone answer.
pub const MAX_SEALED: u32 = bourse_primitives::reply::max_sealed_len(MAX_OUTPUT as usize) as u32;
/// Blocks a lone answer is held.
pub const WINDOW: u64 = 5;
/// What a false bad-delivery claim costs.
pub const FALSE_CLAIM_FEE: u128 = 50;

/// Every test account starts with this much.
pub const ENDOWMENT: u128 = 1_000_000;

/// Externalities at block 1 with accounts 1..=20 endowed, and empty fakes.
pub fn new_test_ext() -> TestState {
	DECISIONS.with(|d| d.borrow_mut().clear());
	RECORDS.with(|r| r.borrow_mut().clear());
	FINDINGS.with(|f| f.borrow_mut().clear());
	JUDGEMENTS.with(|j| j.borrow_mut().clear());
	FORFEITS.with(|f| f.borrow_mut().clear());
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=20).map(|who| (who, ENDOWMENT)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext: TestState = storage.into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// The pallet's invariants, and the fake market's busy slots against the tasks' providers.
pub fn check_invariants() {
	Tasks::do_try_state().unwrap();
	Tasks::check_deposits(WorkloadPrice::convert).unwrap();
	// Each task's deposit is the price of what it stores now.
	let extras = crate::TaskExtras::<Test>::iter().map(|(id, extra)| (id, extra.deposit));
	for (task_id, deposit) in crate::LegacyTaskDeposits::<Test>::iter().chain(extras) {
		let task = crate::Tasks::<Test>::get(task_id).unwrap();
		let input = task.input.len() as u32;
		let (items, bytes) = match task.state {
			crate::TaskState::Queued { .. }
			| crate::TaskState::Assigned { .. }
			| crate::TaskState::Answered { .. }
			| crate::TaskState::Audited { .. } => Tasks::open_footprint(input, task.replication),
			crate::TaskState::Delivered { .. } => {
				(2, input + crate::SealedOutputs::<Test>::get(task_id).unwrap().len() as u32)
			}
			crate::TaskState::Completed { .. } => {
				(2, input + crate::Outputs::<Test>::get(task_id).unwrap().len() as u32)
			}
			crate::TaskState::Failed { .. } => (1, input),
		};
		// A confidential task's terms, kept until it is pruned.
		let (items, bytes) = match crate::Confidential::<Test>::get(task_id) {
			Some(terms) => (items + 1, bytes + terms.encoded_size() as u32),
			None => (items, bytes),
		};
		assert_eq!(deposit, Tasks::storage_deposit(items, bytes).unwrap(), "task {task_id}");
	}
	for p in FakeProviders::get() {
		let open = crate::ProviderTasks::<Test>::iter_prefix(p.who).count() as u32;
		assert_eq!(p.busy, open, "provider {}'s busy slots differ from its open tasks", p.who);
		// Its lone answers held or audited, and the disputed audits it is an auditor of.
		let held = crate::Tasks::<Test>::iter()
			.filter(|(task_id, t)| {
				let disputed = crate::Disputes::<Test>::contains_key(task_id);
				matches!(&t.state, crate::TaskState::Answered { provider, .. }
					| crate::TaskState::Audited { provider, .. } if provider.provider == p.who)
					|| matches!(&t.state, crate::TaskState::Audited { auditor, .. }
						if disputed && auditor.provider == p.who)
			})
			.count() as u32;
		assert_eq!(p.held, held, "provider {}'s held answers differ from its tasks'", p.who);
	}
}

/// Runs `body` in fresh externalities and checks the invariants after it.
pub fn test(body: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		body();
		check_invariants();
	});
}

/// Moves to the next block, running the pallet's `on_initialize`.
pub fn next_block() {
	let n = System::block_number() + 1;
	System::set_block_number(n);
	<Tasks as Hooks<u64>>::on_initialize(n);
	check_invariants();
}
