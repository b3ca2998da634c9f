//! A mock runtime of attestation alone. Its neighbours are fakes the tests drive: the task ledger
//! holds the assignments a test makes and records every decision handed to it, and executor keys
//! are bound by the tests (`100 + provider`). Whole-market flows, with the real task, offer and
//! reputation pallets, live in the `bourse-market-tests` crate.
#![allow(clippy::unwrap_used)]

use crate as pallet_attestation;
use crate::{frame, Decision, ExecutorKeys, SealedAnswer, TaskId, TaskLedger, TaskWork};
use bourse_primitives::traits::{
	AuditFinding, AuditRound, CommitteeJudgement, HoldRefused, TaskAssignment,
};
use core::cell::RefCell;
use frame::testing_prelude::*;
use polkadot_sdk::sp_runtime::testing::UintAuthorityId;
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Attestation: pallet_attestation,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// Largest output, in bytes.
pub const MAX_OUTPUT: u32 = 64;
/// Largest box of a lone answer.
pub const MAX_SEALED: u32 = bourse_primitives::reply::max_sealed_len(MAX_OUTPUT as usize) as u32;
/// Blocks replicated tasks take commits.
pub const COMMIT_WINDOW: u64 = 4;
/// Blocks from assignment to deadline of the tasks the tests assign.
pub const TIMEOUT: u64 = 10;
/// Fuel limit of the tasks the tests assign.
pub const FUEL: u64 = 1_000_000;
/// Milliseconds the author of a block waits before answering.
pub const AUTHOR_ANSWER_DELAY: u64 = 1_000;

/// A lone answer the fake ledger took: task, provider, answer, box, the task's digest.
type Held = (TaskId, u64, SealedAnswer, Vec<u8>, [u8; 32]);

thread_local! {
	/// Open tasks of the fake ledger.
	static ASSIGNMENTS: RefCell<BTreeMap<TaskId, TaskAssignment<u64, u64>>> =
		const { RefCell::new(BTreeMap::new()) };
	/// Decisions handed to the fake ledger, in order.
	static SETTLED: RefCell<Vec<(TaskId, Decision<u64>)>> = const { RefCell::new(Vec::new()) };
	/// Lone answers handed to the fake ledger, in order.
	static HELD: RefCell<Vec<Held>> =
		const { RefCell::new(Vec::new()) };
	/// Audit findings handed to the fake ledger, in order.
	static AUDITED: RefCell<Vec<(TaskId, AuditFinding)>> = const { RefCell::new(Vec::new()) };
	static JUDGED: RefCell<Vec<(TaskId, CommitteeJudgement<u64>)>> =
		const { RefCell::new(Vec::new()) };
	/// Executor keys by provider.
	static KEYS: RefCell<BTreeMap<u64, UintAuthorityId>> = const { RefCell::new(BTreeMap::new()) };
	/// Whether the offchain worker's node authored the current block (see `LocalAuthorship`).
	pub static AUTHORED_HERE: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// The input of every task of the fake ledger.
pub const INPUT: &[u8] = b"input";

thread_local! {
	/// Confidential tasks of the fake ledger, with their members.
	static CONFIDENTIAL: RefCell<BTreeMap<TaskId, Vec<u64>>> = const { RefCell::new(BTreeMap::new()) };
}

/// The secret of every confidential task of the fake ledger.
pub const TASK_SECRET: [u8; 32] = [0x7a; 32];
/// The requester of the fake ledger's confidential tasks.
pub const CONFIDENTIAL_REQUESTER: u64 = 99;
/// The bound on a confidential input's ciphertext.
pub const MAX_INPUT: u32 = 256;

/// The secret half of provider `who`'s node's encryption key.
pub fn member_secret(who: u64) -> [u8; 32] {
	let mut secret = [0x4d; 32];
	secret[..8].copy_from_slice(&who.to_le_bytes());
	secret
}

/// Provider `who`'s node's encryption key.
pub fn member_key(who: u64) -> [u8; 32] {
	bourse_primitives::reply::public_key(&member_secret(who)).unwrap()
}

/// Makes `task` confidential: [`INPUT`] encrypted under [`TASK_SECRET`], sealed to `members`.
pub fn make_confidential(task: TaskId, members: &[u64]) {
	CONFIDENTIAL.with(|c| c.borrow_mut().insert(task, members.to_vec()));
}

/// What binds the fake ledger's confidential tasks' seals and inputs.
pub fn task_context(task: TaskId) -> bourse_primitives::confidential::TaskContext<u64> {
	use bourse_primitives::confidential::secret_hash;
	bourse_primitives::confidential::TaskContext {
		genesis: frame_system::Pallet::<Test>::block_hash(0).0,
		workload: [task as u8; 32],
		requester: CONFIDENTIAL_REQUESTER,
		secret_hash: secret_hash(&TASK_SECRET),
	}
}

thread_local! {
	/// Inputs stored in place of [`INPUT`] encrypted, by task (a requester's bad input).
	static CONFIDENTIAL_INPUTS: RefCell<BTreeMap<TaskId, Vec<u8>>> = const { RefCell::new(BTreeMap::new()) };
}

/// Has confidential task `task` carry `input` as its input ciphertext.
pub fn set_confidential_input(task: TaskId, input: Vec<u8>) {
	CONFIDENTIAL_INPUTS.with(|i| i.borrow_mut().insert(task, input));
}

/// The input ciphertext of confidential task `task`.
pub fn confidential_input(task: TaskId) -> Vec<u8> {
	use bourse_primitives::confidential::encrypt_input;
	CONFIDENTIAL_INPUTS.with(|i| i.borrow().get(&task).cloned()).unwrap_or_else(|| {
		encrypt_input(&TASK_SECRET, &task_context(task), 0, INPUT, MAX_INPUT as usize).unwrap()
	})
}

thread_local! {
	/// Secrets sealed in place of [`TASK_SECRET`], by task (a requester's bad seal).
	static SEALED_SECRETS: RefCell<BTreeMap<TaskId, [u8; 32]>> = const { RefCell::new(BTreeMap::new()) };
}

/// Has the requester of confidential task `task` seal `secret` to its members while storing
/// [`TASK_SECRET`]'s hash: no member can open it.
pub fn set_confidential_secret(task: TaskId, secret: [u8; 32]) {
	SEALED_SECRETS.with(|s| s.borrow_mut().insert(task, secret));
}

/// What member `who`'s node gets to run confidential task `task`.
fn confidential_run(task: TaskId, who: u64) -> bourse_primitives::sandbox::ConfidentialRun {
	use bourse_primitives::confidential::seal_secret_seeded;
	let context = task_context(task);
	bourse_primitives::sandbox::ConfidentialRun {
		genesis: context.genesis,
		task_id: task,
		requester: CONFIDENTIAL_REQUESTER.encode(),
		secret_hash: context.secret_hash,
		key: member_key(who),
		seal: seal_secret_seeded(
			&member_key(who),
			&context,
			&SEALED_SECRETS.with(|s| s.borrow().get(&task).copied()).unwrap_or(TASK_SECRET),
			[who as u8; 32],
		)
		.unwrap(),
		max_input: MAX_INPUT,
		max_output: MAX_OUTPUT,
	}
}

/// Tasks as a fake: assignments made by [`assign`], decisions recorded for [`settled`].
pub struct FakeTasks;

impl TaskLedger<u64, u64> for FakeTasks {
	fn assignment(task: TaskId) -> Option<TaskAssignment<u64, u64>> {
		ASSIGNMENTS.with(|a| a.borrow().get(&task).cloned())
	}

	fn open_tasks_of(provider: &u64) -> Vec<TaskId> {
		ASSIGNMENTS.with(|a| {
			a.borrow()
				.iter()
				.filter(|(_, assignment)| assignment.providers.contains(provider))
				.map(|(id, _)| *id)
				.collect()
		})
	}

	fn work(task: TaskId, provider: &u64) -> Option<TaskWork> {
		let assignment = Self::assignment(task)?;
		let members = CONFIDENTIAL.with(|c| c.borrow().get(&task).cloned());
		let confidential = match members {
			None => None,
			Some(members) if members.contains(provider) => Some(confidential_run(task, *provider)),
			Some(_) => return None,
		};
		Some(TaskWork {
			code_hash: [task as u8; 32],
			code: b"\0asm\x01\0\0\0".to_vec(),
			input: confidential.as_ref().map_or(INPUT.to_vec(), |_| confidential_input(task)),
			fuel_limit: assignment.fuel_limit,
			max_memory_mib: 16,
			confidential,
		})
	}

	fn settle(task: TaskId, decision: Decision<u64>) {
		if ASSIGNMENTS.with(|a| a.borrow_mut().remove(&task)).is_some() {
			SETTLED.with(|s| s.borrow_mut().push((task, decision)));
		}
	}

	fn settle_weight(_providers: u32) -> Weight {
		Weight::zero()
	}

	fn settle_audit(task: TaskId, found: AuditFinding) -> bool {
		// A disagreement goes to a committee ([`convene`]): the audit stays.
		let escalates = matches!(found, AuditFinding::Disagreed { .. });
		let audited = ASSIGNMENTS.with(|a| {
			let mut a = a.borrow_mut();
			let audit = a.get(&task).is_some_and(|t| t.audit.is_some());
			if audit && !escalates {
				a.remove(&task);
			}
			audit
		});
		if audited {
			AUDITED.with(|s| s.borrow_mut().push((task, found)));
		}
		audited && escalates
	}

	fn settle_committee(task: TaskId, judgement: CommitteeJudgement<u64>) {
		let judged = ASSIGNMENTS.with(|a| {
			let mut a = a.borrow_mut();
			let sitting = a
				.get(&task)
				.and_then(|t| t.audit.as_ref())
				.is_some_and(|audit| !audit.committee.is_empty());
			sitting.then(|| a.remove(&task))
		});
		if judged.is_some() {
			JUDGED.with(|s| s.borrow_mut().push((task, judgement)));
		}
	}

	fn settle_audit_weight() -> Weight {
		Weight::zero()
	}

	fn settle_committee_weight() -> Weight {
		Weight::zero()
	}

	fn hold(
		task: TaskId,
		provider: &u64,
		answer: &SealedAnswer,
		sealed: Vec<u8>,
	) -> Result<(), HoldRefused> {
		let Some(assignment) = Self::assignment(task) else { return Err(HoldRefused) };
		if assignment.providers != [*provider] || sealed.len() > MAX_SEALED as usize {
			return Err(HoldRefused);
		}
		ASSIGNMENTS.with(|a| a.borrow_mut().remove(&task));
		let held = (task, *provider, answer.clone(), sealed, assignment.digest);
		HELD.with(|h| h.borrow_mut().push(held));
		Ok(())
	}
}

/// The lone answer the ledger took for `task`, with its box, if any.
pub fn held(task: TaskId) -> Option<(u64, SealedAnswer, Vec<u8>)> {
	HELD.with(|h| {
		h.borrow()
			.iter()
			.find(|(id, ..)| *id == task)
			.map(|(_, p, a, s, _)| (*p, a.clone(), s.clone()))
	})
}

/// The digest the box of `task`'s lone answer was sealed under.
pub fn held_digest(task: TaskId) -> Option<[u8; 32]> {
	HELD.with(|h| h.borrow().iter().find(|(id, ..)| *id == task).map(|(.., d)| *d))
}

/// The output in the box of `task`'s lone answer, opened with the requester's secret, after
/// checking it against the answer's commitment; with the answer.
pub fn held_output(task: TaskId) -> Option<(SealedAnswer, Vec<u8>)> {
	use bourse_primitives::reply;
	let (provider, answer, sealed, digest) = HELD.with(|h| {
		h.borrow()
			.iter()
			.find(|(id, ..)| *id == task)
			.map(|(_, p, a, s, d)| (*p, a.clone(), s.clone(), *d))
	})?;
	let opened =
		reply::open(&crate::testing::REPLY_SECRET, &digest, &sealed, MAX_OUTPUT as usize).ok()?;
	let commitment = reply::answer_commitment(
		&digest,
		task,
		&provider,
		answer.status,
		answer.fuel_used,
		answer.executor_version,
		&opened.salt,
		&reply::output_digest(&opened.output),
		&answer.proof,
	);
	assert_eq!(commitment, answer.commitment, "the box holds what was committed to");
	// The fake sandbox's fingerprint of a run is the hash of the task's (plaintext) input; a
	// confidential run's is keyed with the task's secret.
	let mut fingerprint = polkadot_sdk::sp_io::hashing::blake2_256(INPUT);
	if CONFIDENTIAL.with(|c| c.borrow().contains_key(&task)) {
		fingerprint =
			bourse_primitives::confidential::keyed_fingerprint(&TASK_SECRET, 0, &fingerprint);
	}
	assert_eq!(answer.proof, reply::execution_proof(&opened.salt, &fingerprint), "the run's proof");
	Some((answer, opened.output))
}

/// Executor keys as a fake: what [`bind`] set.
pub struct FakeKeys;

impl ExecutorKeys<u64> for FakeKeys {
	type ExecutorId = UintAuthorityId;

	fn executor_of(provider: &u64) -> Option<UintAuthorityId> {
		KEYS.with(|k| k.borrow().get(provider).cloned())
	}

	fn provider_of(executor: &UintAuthorityId) -> Option<u64> {
		KEYS.with(|k| k.borrow().iter().find(|(_, key)| *key == executor).map(|(p, _)| *p))
	}

	fn offered_slots(provider: &u64) -> u32 {
		// Every bound provider offers `OFFERED_SLOTS`.
		if Self::executor_of(provider).is_some() {
			OFFERED_SLOTS
		} else {
			0
		}
	}
}

/// The slots every provider of the mock offers.
pub const OFFERED_SLOTS: u32 = 4;

/// The executor key tests bind to `provider`.
pub fn key(provider: u64) -> UintAuthorityId {
	UintAuthorityId(100 + provider)
}

/// Binds `key` to `provider`.
pub fn bind(provider: u64, key: UintAuthorityId) {
	KEYS.with(|k| k.borrow_mut().insert(provider, key));
}

/// Unbinds `provider`'s executor key.
pub fn unbind(provider: u64) {
	KEYS.with(|k| k.borrow_mut().remove(&provider));
}

/// Assigns `task` now to `providers` (binding their test keys), due in [`TIMEOUT`] blocks.
pub fn assign(task: TaskId, providers: &[u64]) {
	for &p in providers {
		bind(p, key(p));
	}
	let now = System::block_number();
	let assignment = TaskAssignment {
		providers: providers.to_vec(),
		assigned_at: now,
		deadline: now + TIMEOUT,
		commit_until: now + COMMIT_WINDOW,
		fuel_limit: FUEL,
		// The fake's task content: its id and when it was assigned.
		digest: polkadot_sdk::sp_io::hashing::blake2_256(&(task, now).encode()),
		reply_key: Some(crate::testing::reply_key()),
		audit: None,
	};
	ASSIGNMENTS.with(|a| a.borrow_mut().insert(task, assignment));
}

/// Audits the lone answer the ledger holds for `task`: `auditor` (its key bound) commits by
/// [`COMMIT_WINDOW`] blocks from now, both open by [`TIMEOUT`]; the run's seed stays the
/// answer's assignment's.
pub fn audit(task: TaskId, auditor: u64) {
	bind(auditor, key(auditor));
	let (provider, answer, digest) = HELD.with(|h| {
		let h = h.borrow();
		let (_, p, a, _, d) = h.iter().rev().find(|(id, ..)| *id == task).expect("no answer held");
		(*p, a.clone(), *d)
	});
	// The fake sandbox's runs do not depend on their seed.
	let assigned_at = 0;
	let now = System::block_number();
	let assignment = TaskAssignment {
		providers: vec![provider, auditor],
		assigned_at,
		deadline: now + TIMEOUT,
		commit_until: now + COMMIT_WINDOW,
		fuel_limit: FUEL,
		digest,
		reply_key: Some(crate::testing::reply_key()),
		audit: Some(AuditRound {
			provider,
			commitment: answer.commitment,
			answered: (answer.status, answer.fuel_used, answer.executor_version),
			auditor,
			committee: Vec::new(),
		}),
	};
	ASSIGNMENTS.with(|a| a.borrow_mut().insert(task, assignment));
}

/// Draws `members` as the committee of the disputed audit of `task`, with fresh windows.
pub fn convene(task: TaskId, members: [u64; 3]) {
	for member in members {
		bind(member, key(member));
	}
	let now = System::block_number();
	ASSIGNMENTS.with(|a| {
		let mut a = a.borrow_mut();
		let assignment = a.get_mut(&task).expect("no audit under way");
		let audit = assignment.audit.as_mut().expect("not audited");
		audit.committee = members.to_vec();
		assignment.providers.extend(members);
		// As the task pallet does: the round's digest names the committee.
		assignment.digest =
			bourse_primitives::reply::committee_digest(&assignment.digest, &members);
		assignment.deadline = now + TIMEOUT;
		assignment.commit_until = now + COMMIT_WINDOW;
	});
}

/// `versions` as the chain keeps its accepted executor versions.
pub fn bounded_versions(versions: Vec<u32>) -> BoundedVec<u32, ConstU32<2>> {
	versions.try_into().expect("at most 2 versions")
}

/// The digest of `task` itself: the one its answer was held under (the digest of a
/// committee's round is derived from it).
pub fn task_digest(task: TaskId) -> [u8; 32] {
	HELD.with(|h| h.borrow().iter().rev().find(|(id, ..)| *id == task).expect("no answer held").4)
}

/// What the ledger was told the committee of `task` judged, if it did.
pub fn judged(task: TaskId) -> Option<CommitteeJudgement<u64>> {
	JUDGED.with(|s| s.borrow().iter().rev().find(|(id, _)| *id == task).map(|(_, j)| j.clone()))
}

impl FakeTasks {
	/// The audit under way of `task`.
	pub fn audit_round(task: TaskId) -> AuditRound<u64> {
		Self::assignment(task).and_then(|a| a.audit).expect("no audit under way")
	}
}

/// What the ledger was told an audit of `task` found, if it ended.
pub fn audit_found(task: TaskId) -> Option<AuditFinding> {
	AUDITED.with(|s| s.borrow().iter().rev().find(|(id, _)| *id == task).map(|(_, f)| *f))
}

/// Makes `task` another task with the same id and providers, as a sibling fork would: its
/// digest changes, nothing else.
pub fn swap_content(task: TaskId) {
	ASSIGNMENTS.with(|a| {
		if let Some(assignment) = a.borrow_mut().get_mut(&task) {
			assignment.digest = polkadot_sdk::sp_io::hashing::blake2_256(&(task, "other").encode());
		}
	});
}

/// The decision the ledger received for `task`, if any.
pub fn settled(task: TaskId) -> Option<Decision<u64>> {
	SETTLED.with(|s| s.borrow().iter().find(|(id, _)| *id == task).map(|(_, d)| d.clone()))
}

/// The mock's authorship: what a test set in [`AUTHORED_HERE`].
pub struct TestAuthorship;

impl bourse_primitives::traits::LocalAuthorship for TestAuthorship {
	fn authored_here() -> bool {
		AUTHORED_HERE.with(|a| a.get())
	}
}

impl pallet_attestation::Config for Test {
	type ExecutorId = UintAuthorityId;
	type Keys = FakeKeys;
	type Tasks = FakeTasks;
	type Authorship = TestAuthorship;
	type AuthorAnswerDelay = ConstU64<AUTHOR_ANSWER_DELAY>;
	type MaxOutputSize = ConstU32<MAX_OUTPUT>;
	type MaxSealedSize = ConstU32<MAX_SEALED>;
	type MaxReplication = ConstU32<5>;
	type MaxExecutorVersions = ConstU32<2>;
	type MaxAnswersPerCall = ConstU32<16>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = FakeTasks;
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_attestation::BenchmarkHelper<u64, UintAuthorityId> for FakeTasks {
	fn assigned_task(keys: Vec<UintAuthorityId>) -> (TaskId, Vec<u64>) {
		let providers: Vec<u64> = (1..=keys.len() as u64).collect();
		assign(0, &providers);
		for (p, key) in providers.iter().zip(keys) {
			bind(*p, key);
		}
		(0, providers)
	}

	fn lone_task(keys: Vec<UintAuthorityId>) -> (TaskId, Vec<u64>) {
		let providers: Vec<u64> = (1..=keys.len() as u64).collect();
		assign(0, &providers[..1]);
		for (p, key) in providers.iter().zip(keys) {
			bind(*p, key);
		}
		(0, providers)
	}

	fn lone_tasks(key: UintAuthorityId, count: u32) -> (u64, Vec<TaskId>) {
		let tasks: Vec<TaskId> = (0..count as TaskId).collect();
		for &task in &tasks {
			assign(task, &[1]);
		}
		bind(1, key);
		(1, tasks)
	}

	fn start_audit(task_id: TaskId) {
		// The fake ledger's audits: the second provider audits.
		audit(task_id, 2);
	}
}

/// Extrinsics of the mock: answers from offchain workers are general transactions.
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

/// Externalities at block 1, with empty fakes.
pub fn new_test_ext() -> TestState {
	ASSIGNMENTS.with(|a| a.borrow_mut().clear());
	SETTLED.with(|s| s.borrow_mut().clear());
	KEYS.with(|k| k.borrow_mut().clear());
	AUTHORED_HERE.with(|a| a.set(false));
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_attestation::GenesisConfig::<Test>::default().assimilate_storage(&mut storage).unwrap();
	let mut ext: TestState = storage.into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// The pallet's invariants.
pub fn check_invariants() {
	Attestation::do_try_state().unwrap();
}

/// Runs `body` in fresh externalities and checks the invariants after it.
pub fn test(body: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		body();
		check_invariants();
	});
}

/// Moves to the next block.
pub fn next_block() {
	System::set_block_number(System::block_number() + 1);
	check_invariants();
}
