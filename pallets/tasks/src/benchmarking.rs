//! Benchmarks of the tasks pallet: every call at its worst case (the most providers a task can
//! have, the fullest candidate window) and the per-block work of timeouts, queue and pruning.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::pallet::{
	BalanceOf, Digests, HeldRange, JobQueue, JobTerms, JobTile, Jobs, LastAuthor, NextTaskId,
	Pending, Queue, QueuedTask, TaskExtras, TaskState, Tasks, Timeouts, Workloads,
};
use alloc::{vec, vec::Vec};
use frame::{
	arithmetic::Perbill,
	benchmarking::prelude::*,
	token::fungible::{Inspect, Mutate},
};

/// Providers for the benchmarks, made by the runtime (the market is another pallet).
pub trait BenchmarkHelper<AccountId> {
	/// Makes the `i`-th benchmark provider: registered, with an offer of `slots` slots at a low
	/// price for large tasks, selectable from the next block.
	fn provider(i: u32, slots: u32) -> AccountId;

	/// Publishes an encryption key for `provider` (one of [`Self::provider`]'s), live now, and
	/// returns it: a confidential task's seal is made for it.
	fn encryption_key(provider: &AccountId) -> ReplyKey;

	/// Makes this block's randomness and author come the way they come on a real block (in the
	/// runtime, a BABE pre-digest with a VRF output, from one of the most authorities the chain
	/// allows), so that their derivation is weighed.
	fn set_block_randomness() {}
}

fn requester<T: Config>() -> T::AccountId {
	funded::<T>(whitelisted_caller())
}

fn funded<T: Config>(who: T::AccountId) -> T::AccountId {
	let amount: BalanceOf<T> = 1_000_000_000_000_000_000u128.saturated_into();
	T::Currency::set_balance(&who, amount.saturating_add(T::Currency::minimum_balance()));
	who
}

/// The `i`-th other requester, with a workload of its own: the tasks of the queue and of
/// pruning each touch their own account, holds and workload, as on a busy chain.
fn other<T: Config>(i: u32) -> (T::AccountId, CodeHash) {
	let who = funded::<T>(account("requester", i, 0));
	let mut code = code(64);
	code.extend_from_slice(&i.to_le_bytes());
	Pallet::<T>::upload_workload(RawOrigin::Signed(who.clone()).into(), code.clone()).unwrap();
	(who, blake2_256(&code))
}

fn code(len: u32) -> Vec<u8> {
	let mut code = b"\0asm\x01\0\0\0".to_vec();
	code.resize(len.max(8) as usize, 0);
	code
}

fn workload<T: Config>(owner: &T::AccountId) -> CodeHash {
	let code = code(1_024);
	Pallet::<T>::upload_workload(RawOrigin::Signed(owner.clone()).into(), code.clone()).unwrap();
	blake2_256(&code)
}

/// As many providers as selection reads, plus `extra`, each with `slots` slots, selectable now.
fn market<T: Config>(extra: u32, slots: u32) {
	for i in 0..T::MaxReplication::get().max(10).saturating_add(extra) {
		T::BenchmarkHelper::provider(i, slots);
	}
	let next = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
	frame_system::Pallet::<T>::set_block_number(next);
}

/// Fuel of the benchmarks' tasks.
const BENCH_FUEL: u64 = 1_000_000;

/// Submits a task of [`BENCH_FUEL`] with the shortest timeout it may have and the largest
/// input, queued (if no providers are free in the next block) at `queue_rent` or failing.
fn submit<T: Config>(
	who: &T::AccountId,
	hash: CodeHash,
	replication: u32,
	queue_rent: Option<BalanceOf<T>>,
) -> DispatchResult {
	submit_with::<T>(who, hash, replication, queue_rent, Perbill::zero(), 0)
}

/// [`submit`] with a reputation floor and `later` blocks more than the shortest timeout (tasks
/// with other timeouts settle in other blocks).
fn submit_with<T: Config>(
	who: &T::AccountId,
	hash: CodeHash,
	replication: u32,
	queue_rent: Option<BalanceOf<T>>,
	min_reputation: Perbill,
	later: u32,
) -> DispatchResult {
	let timeout = Pallet::<T>::windows(BENCH_FUEL, replication).1.saturating_add(later.into());
	Pallet::<T>::submit_task(
		RawOrigin::Signed(who.clone()).into(),
		hash,
		vec![1; T::MaxInputSize::get() as usize],
		BENCH_FUEL,
		1,
		// Above any benchmark provider's price.
		1_000_000_000_000u64.saturated_into(),
		replication,
		min_reputation,
		timeout,
		queue_rent,
		bench_reply_key(),
		(replication == 1).then(|| AuditTerms {
			seal: bourse_primitives::reply::audit_seal(&COIN_SECRET),
			rate: Perbill::zero(),
		}),
	)
}

/// A lone task of `who` answered, audited and disputed: returns it and the block its committee
/// is drawn in.
fn disputed_task<T: Config>(who: &T::AccountId, hash: CodeHash) -> (TaskId, BlockNumberFor<T>) {
	let task_id = held_task::<T>(who, hash, true);
	let Some(TaskState::Answered { final_at, .. }) = Tasks::<T>::get(task_id).map(|t| t.state)
	else {
		panic!("task {task_id} is not held");
	};
	let now = frame_system::Pallet::<T>::block_number().max(final_at);
	frame_system::Pallet::<T>::set_block_number(now);
	Pallet::<T>::finalize_due(now, true, &mut Seeds::new());
	let task = Tasks::<T>::get(task_id).unwrap();
	assert!(matches!(task.state, TaskState::Audited { .. }), "audited");
	assert!(Pallet::<T>::settle_audit(task_id, task, AuditFinding::Disagreed { fuel: BENCH_FUEL }));
	let draw_at = crate::CommitteeDraws::<T>::iter()
		.find(|(_, due)| due.contains(&task_id))
		.map(|(at, _)| at)
		.unwrap();
	(task_id, draw_at)
}

/// The secret of the benchmarks' audit coins.
const COIN_SECRET: [u8; 32] = [0x17; 32];

/// The secret of the benchmarks' reply key.
const REPLY_SECRET: [u8; 32] = [0x42; 32];

fn bench_reply_key() -> ReplyKey {
	bourse_primitives::reply::public_key(&REPLY_SECRET).unwrap()
}

/// Submits a lone task of `who` and assigns it in the next block, then has its provider
/// answer it with the largest output sealed to the reply key; the commitment names that
/// output when `honest`, another otherwise. Returns the task.
fn held_task<T: Config>(who: &T::AccountId, hash: CodeHash, honest: bool) -> TaskId {
	use bourse_primitives::reply;
	let task_id = NextTaskId::<T>::get();
	submit_with::<T>(who, hash, 1, None, Perbill::zero(), (task_id % 8) as u32).unwrap();
	next_block::<T>();
	let Some(TaskState::Assigned { providers, .. }) = Tasks::<T>::get(task_id).map(|t| t.state)
	else {
		panic!("task {task_id} was not assigned");
	};
	let provider = providers[0].provider.clone();
	let output = vec![7u8; T::MaxOutputSize::get() as usize];
	let digest = Digests::<T>::get(task_id).unwrap();
	let salt = [3u8; 32];
	let key = bench_reply_key();
	let max = T::MaxOutputSize::get() as usize;
	let sealed = reply::seal_seeded(&key, &digest, &salt, &output, max, [5; 32]).unwrap();
	let committed = if honest { reply::output_digest(&output) } else { [0; 32] };
	let (status, fuel_used, executor_version) =
		(Status::Success, BENCH_FUEL, bourse_primitives::EXECUTOR_VERSION);
	let proof = reply::execution_proof(&salt, &[1; 32]);
	let commitment = reply::answer_commitment(
		&digest,
		task_id,
		&provider,
		status,
		fuel_used,
		executor_version,
		&salt,
		&committed,
		&proof,
	);
	let answer = bourse_primitives::SealedAnswer {
		status,
		fuel_used,
		executor_version,
		commitment,
		proof,
		max_output: T::MaxOutputSize::get(),
		sealed_hash: blake2_256(&sealed),
	};
	<Pallet<T> as TaskLedger<_, _>>::hold(task_id, &provider, &answer, sealed).unwrap();
	task_id
}

/// The next block starts: the tasks submitted in this one are assigned, queued or failed.
fn next_block<T: Config>() -> BlockNumberFor<T> {
	let now = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
	frame_system::Pallet::<T>::set_block_number(now);
	Pallet::<T>::assign_pending(now, &mut Seeds::new());
	now
}

/// Fills the rest of this block's submissions with tasks that are gone (the most a submission
/// or a cancellation reads).
fn fill_pending<T: Config>() {
	let mut pending = Pending::<T>::get();
	let mut id = TaskId::MAX;
	while pending
		.try_push(QueuedTask {
			task_id: id,
			rent: Zero::zero(),
			reserve: Zero::zero(),
			entropy: [0; 32],
		})
		.is_ok()
	{
		id = id.saturating_sub(1);
	}
	Pending::<T>::put(pending);
}

/// The least queue rent.
fn rent<T: Config>() -> Option<BalanceOf<T>> {
	Some(T::MinQueueRent::get())
}

/// Fills the queue with tasks of the most providers, at the least rent (no providers free),
/// each of another requester.
fn fill_queue<T: Config>() {
	fill_queue_with_floor::<T>(Perbill::zero());
}

/// Fills the rest of the queue with tasks of the most providers at the least rent, each of
/// another requester, with reputation floor `floor` (at 100 % no benchmark provider
/// qualifies: the tasks stay queued).
fn fill_queue_with_floor<T: Config>(floor: Perbill) {
	let rent = rent::<T>();
	let mut i = 0;
	while !Queue::<T>::get().is_full() {
		let (who, hash) = other::<T>(i);
		submit_with::<T>(&who, hash, T::MaxReplication::get(), rent, floor, 0).unwrap();
		next_block::<T>();
		i += 1;
	}
}

/// A job's terms: [`BENCH_FUEL`] at a price above any benchmark provider's, the shortest
/// timeout, the least rent, the longest wait.
fn job_terms<T: Config>(replication: u32) -> JobTerms<BalanceOf<T>, BlockNumberFor<T>> {
	JobTerms {
		fuel_limit: BENCH_FUEL,
		max_memory_mib: 1,
		max_price_per_mfuel: 1_000_000_000_000u64.saturated_into(),
		replication,
		min_reputation: Perbill::zero(),
		timeout: Pallet::<T>::windows(BENCH_FUEL, replication).1,
		rent: T::MinQueueRent::get(),
		max_wait: T::MaxTimeout::get(),
	}
}

/// `n` tiles of `bytes` input bytes each, with their own reply keys and (replication 1) coins.
fn job_tiles(n: u32, bytes: u32, replication: u32) -> Vec<JobTile> {
	(0..n)
		.map(|i| {
			let mut secret = REPLY_SECRET;
			// Not the first byte, which clamping clears the low bits of.
			secret[4..8].copy_from_slice(&i.to_le_bytes());
			let mut coin = COIN_SECRET;
			coin[..4].copy_from_slice(&i.to_le_bytes());
			JobTile {
				input: vec![1; bytes.max(1) as usize],
				reply_key: bourse_primitives::reply::public_key(&secret).unwrap(),
				audit: (replication == 1).then(|| AuditTerms {
					seal: bourse_primitives::reply::audit_seal(&coin),
					rate: Perbill::zero(),
				}),
			}
		})
		.collect()
}

/// Fills the job queue with one-tile jobs of other requesters at the least rent, none
/// assigned (no benchmark provider meets their reputation floor).
fn fill_job_queue<T: Config>() {
	let mut i = 0;
	while !JobQueue::<T>::get().is_full() {
		let (who, hash) = other::<T>(1_000_000 + i);
		let terms = JobTerms { min_reputation: Perbill::one(), ..job_terms::<T>(1) };
		Pallet::<T>::submit_job(RawOrigin::Signed(who).into(), hash, terms, job_tiles(1, 1, 1))
			.unwrap();
		i += 1;
	}
}

/// `n` one-tile jobs of the most providers and the largest input, each of another requester
/// (its own account, holds and workload), submitted in this block.
fn one_tile_jobs<T: Config>(n: u32) -> Vec<JobId> {
	(0..n)
		.map(|i| {
			let (who, hash) = other::<T>(2_000_000 + i);
			let job_id = crate::NextJobId::<T>::get();
			let k = T::MaxReplication::get();
			let tiles = job_tiles(1, T::MaxInputSize::get(), k);
			Pallet::<T>::submit_job(RawOrigin::Signed(who).into(), hash, job_terms::<T>(k), tiles)
				.unwrap();
			job_id
		})
		.collect()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn upload_workload(l: Linear<8, { T::MaxCodeSize::get() }>) {
		let caller = requester::<T>();
		let code = code(l);
		let hash = blake2_256(&code);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), code);
		assert!(Workloads::<T>::contains_key(hash));
	}

	#[benchmark]
	fn remove_workload() {
		let caller = requester::<T>();
		let hash = workload::<T>(&caller);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), hash);
		assert!(!Workloads::<T>::contains_key(hash));
	}

	/// A task of `2h + 1` providers (replication is odd: a component over every replication
	/// makes a step the regression cannot fit), free in a full candidate window (the task is
	/// refused if a draw finds none), with the largest input; the next block assigns it.
	#[benchmark]
	fn submit_task(h: Linear<0, { T::MaxReplication::get() / 2 }>) {
		let caller = requester::<T>();
		let hash = workload::<T>(&caller);
		market::<T>(0, 8);
		let replication = h.saturating_mul(2).saturating_add(1).min(T::MaxReplication::get());
		#[block]
		{
			submit::<T>(&caller, hash, replication, None).unwrap();
		}
		assert!(Pending::<T>::get().iter().any(|entry| entry.task_id == 0));
	}

	/// A confidential task of replication `2h + 1` sealed to the most members, each with a
	/// live key (each read), free in a full candidate window, with the largest input: the
	/// draw it tries reads every member.
	#[benchmark]
	fn submit_confidential_task(h: Linear<0, { T::MaxReplication::get() / 2 }>) {
		let caller = requester::<T>();
		let hash = workload::<T>(&caller);
		market::<T>(0, 8);
		let replication = h.saturating_mul(2).saturating_add(1).min(T::MaxReplication::get());
		let members: Vec<crate::Member<T::AccountId>> = (0..MAX_MEMBERS)
			.map(|i| {
				let provider = T::BenchmarkHelper::provider(1_000 + i, 8);
				let key = T::BenchmarkHelper::encryption_key(&provider);
				crate::Member { provider, key, seal: [i as u8; 80] }
			})
			.collect();
		let next = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(next);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller),
			hash,
			vec![1; T::MaxInputSize::get() as usize],
			BENCH_FUEL,
			1,
			1_000_000_000_000u64.saturated_into(),
			replication,
			Perbill::zero(),
			None,
			bench_reply_key(),
			[9; 32],
			members.try_into().unwrap(),
		);
		assert!(Pending::<T>::get().iter().any(|entry| entry.task_id == 0));
		assert!(crate::Confidential::<T>::contains_key(0));
	}

	/// This block holds the most submissions and the queue is full: the task takes the place of
	/// the youngest task of the lowest rent, which fails and is refunded.
	#[benchmark]
	fn submit_task_queued() {
		let caller = requester::<T>();
		let hash = workload::<T>(&caller);
		fill_queue::<T>();
		fill_pending::<T>();
		let outbid = u64::from(T::MaxQueued::get().saturating_sub(1));
		let rent = T::MinQueueRent::get().saturating_mul(2u32.into());
		#[block]
		{
			submit::<T>(&caller, hash, T::MaxReplication::get(), Some(rent)).unwrap();
		}
		assert!(matches!(Tasks::<T>::get(outbid).unwrap().state, TaskState::Failed { .. }));
		assert!(Queue::<T>::get().iter().any(|entry| entry.rent == rent));
	}

	/// A job of `n` one-byte lone tiles (each its task and its extras: reply key, coin,
	/// deposit) into a full job queue, in place of the youngest job of the lowest rent, which
	/// leaves it closing. (Its bytes are weighed apart: [`submit_job_input`].)
	#[benchmark]
	fn submit_job(n: Linear<1, { T::MaxJobTiles::get() }>) {
		let caller = requester::<T>();
		let hash = workload::<T>(&caller);
		fill_job_queue::<T>();
		let outbid = *JobQueue::<T>::get().last().unwrap();
		let tiles = job_tiles(n, 1, 1);
		let terms = JobTerms {
			rent: T::MinQueueRent::get().saturating_mul(2u32.into()),
			..job_terms::<T>(1)
		};
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), hash, terms, tiles);
		assert!(crate::ClosingJobs::<T>::get().contains(&outbid));
	}

	/// A job of one lone tile of `b` input bytes: what each byte of a job's inputs adds.
	#[benchmark]
	fn submit_job_input(b: Linear<1, { T::MaxInputSize::get() }>) {
		let caller = requester::<T>();
		let hash = workload::<T>(&caller);
		let tiles = job_tiles(1, b, 1);
		#[extrinsic_call]
		submit_job(RawOrigin::Signed(caller), hash, job_terms::<T>(1), tiles);
		assert_eq!(Tasks::<T>::get(0).unwrap().input.len() as u32, b);
	}

	/// The last job of a full job queue is cancelled: it leaves the queue, closing.
	#[benchmark]
	fn cancel_job() {
		fill_job_queue::<T>();
		let last = *JobQueue::<T>::get().last().unwrap();
		let caller = Jobs::<T>::get(last).unwrap().requester;
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), last);
		assert!(crate::ClosingJobs::<T>::get().contains(&last));
	}

	/// `n` fresh one-tile jobs (ordered by seed) of the largest input, each of another
	/// requester, each assigned to the most providers, and each leaving the queue, its rent
	/// paid. (Their selections, and the other queued jobs' records, are weighed apart.)
	#[benchmark]
	fn on_initialize_jobs(n: Linear<1, { T::JobTriesPerBlock::get() }>) {
		let seats = n.saturating_mul(T::MaxReplication::get());
		market::<T>(seats.div_ceil(8), 8);
		let jobs = one_tile_jobs::<T>(n);
		let now = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			Pallet::<T>::assign_jobs(now, &mut Seeds::new());
		}
		assert!(jobs.iter().all(|id| Jobs::<T>::get(id).unwrap().assigned == 1));
		assert!(JobQueue::<T>::get().is_empty());
	}

	/// `n` cancelled one-tile jobs of the largest input, each of another requester, close: each
	/// tile refunded, each job done.
	#[benchmark]
	fn on_initialize_job_closes(
		n: Linear<1, { T::JobClosesPerBlock::get().min(T::MaxQueuedJobs::get()) }>,
	) {
		let jobs = one_tile_jobs::<T>(n);
		for id in &jobs {
			let who = Jobs::<T>::get(id).unwrap().requester;
			Pallet::<T>::cancel_job(RawOrigin::Signed(who).into(), *id).unwrap();
		}
		#[block]
		{
			Pallet::<T>::close_jobs();
		}
		assert!(crate::ClosingJobs::<T>::get().is_empty());
		let failed = Tasks::<T>::iter_values()
			.filter(|task| matches!(task.state, TaskState::Failed { .. }))
			.count() as u32;
		assert_eq!(failed, n);
	}

	/// The last task of a full queue (no providers), with this block's submissions full: both
	/// are read, the queue is rewritten without it.
	#[benchmark]
	fn cancel_task() {
		fill_queue::<T>();
		fill_pending::<T>();
		let last = u64::from(T::MaxQueued::get().saturating_sub(1));
		let caller = Tasks::<T>::get(last).unwrap().requester;
		assert!(matches!(Tasks::<T>::get(last).unwrap().state, TaskState::Queued { .. }));
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), last);
		assert!(matches!(Tasks::<T>::get(last).unwrap().state, TaskState::Failed { .. }));
	}

	/// `n` tasks with the most providers time out unanswered: every provider is a no-show,
	/// slashed and recorded. (The judge reports what deciding an answered task costs beyond that.)
	#[benchmark]
	fn on_initialize_timeouts(n: Linear<0, { T::MaxPending::get().min(64) }>) {
		let caller = requester::<T>();
		let hash = workload::<T>(&caller);
		// One slot per provider: every task has providers of its own, as on a busy chain.
		market::<T>(n.saturating_mul(T::MaxReplication::get()), 1);
		for _ in 0..n {
			submit::<T>(&caller, hash, T::MaxReplication::get(), None).unwrap();
		}
		let assigned_at = next_block::<T>();
		let due = Pallet::<T>::settles_at(
			assigned_at,
			Pallet::<T>::windows(BENCH_FUEL, T::MaxReplication::get()).1,
		);
		assert_eq!(Timeouts::<T>::iter_key_prefix(due).count() as u32, n);
		frame_system::Pallet::<T>::set_block_number(due);
		// Unanswered: the judge reads the empty answers (its weight for them is zero).
		assert!(Timeouts::<T>::iter_key_prefix(due).all(|task_id| !T::Judge::answered(task_id)));
		#[block]
		{
			// As [`Pallet::settle_deadlines`] takes them (its cursor and its empty probes are
			// weighed apart), one entry at a time.
			while let Some(task_id) = Timeouts::<T>::iter_key_prefix(due).next() {
				Timeouts::<T>::remove(due, task_id);
				Pallet::<T>::settle_at_deadline(task_id);
			}
		}
		if n > 0 {
			assert!(matches!(Tasks::<T>::get(0).unwrap().state, TaskState::Failed { .. }));
		}
	}

	/// In a full queue, the first `n` tasks (the most providers) are assigned and pay their
	/// rent; the other tasks tried find nobody (their selections are weighed apart); the queue
	/// is rewritten.
	#[benchmark]
	fn on_initialize_queue(n: Linear<0, { T::AssignPerBlock::get() }>) {
		for i in 0..n {
			let (who, hash) = other::<T>(u32::MAX - i);
			submit::<T>(&who, hash, T::MaxReplication::get(), rent::<T>()).unwrap();
			next_block::<T>();
		}
		fill_queue_with_floor::<T>(Perbill::one());
		market::<T>(0, 8);
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::assign_queued(now, &mut Seeds::new());
		}
		let assigned = Tasks::<T>::iter_values()
			.filter(|task| matches!(task.state, TaskState::Assigned { .. }))
			.count() as u32;
		assert_eq!(assigned, n);
	}

	/// In a full queue, the first `n` tasks expired: each pays its rent and the base fee and
	/// is refunded; the other tasks tried find nobody.
	#[benchmark]
	fn on_initialize_queue_expired(n: Linear<0, { T::AssignPerBlock::get() }>) {
		for i in 0..n {
			let (who, hash) = other::<T>(u32::MAX - i);
			submit::<T>(&who, hash, T::MaxReplication::get(), rent::<T>()).unwrap();
			next_block::<T>();
		}
		let timeout = Pallet::<T>::windows(BENCH_FUEL, T::MaxReplication::get()).1;
		let now = frame_system::Pallet::<T>::block_number()
			.saturating_add(timeout)
			.saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(now);
		fill_queue::<T>();
		#[block]
		{
			Pallet::<T>::assign_queued(now, &mut Seeds::new());
		}
		let failed = Tasks::<T>::iter_values()
			.filter(|task| matches!(task.state, TaskState::Failed { .. }))
			.count() as u32;
		assert_eq!(failed, n);
	}

	/// `n` tasks submitted in the previous block, of the most providers and each of another
	/// requester (offering rent: its reserve comes back), are all assigned. (Their selections
	/// are weighed apart.)
	#[benchmark]
	fn on_initialize_pending(n: Linear<0, { T::MaxPending::get() }>) {
		let seats = n.saturating_mul(T::MaxReplication::get());
		market::<T>(seats.div_ceil(8), 8);
		for i in 0..n {
			let (who, hash) = other::<T>(u32::MAX - i);
			let k = T::MaxReplication::get();
			// Each with its own deadline block: they all find room there.
			submit_with::<T>(&who, hash, k, rent::<T>(), Perbill::zero(), i).unwrap();
		}
		assert_eq!(Pending::<T>::decode_len().unwrap_or(0) as u32, n);
		let now = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			Pallet::<T>::assign_pending(now, &mut Seeds::new());
		}
		let assigned = Tasks::<T>::iter_values()
			.filter(|task| matches!(task.state, TaskState::Assigned { .. }))
			.count() as u32;
		assert_eq!(assigned, n);
	}

	/// `n` tasks submitted in the previous block find no provider free and the queue full of
	/// tasks at the least rent: each takes the place of one (which fails and is refunded), or
	/// fails itself once the queue holds only tasks paying as much.
	#[benchmark]
	fn on_initialize_pending_queued(n: Linear<0, { T::MaxPending::get() }>) {
		fill_queue::<T>();
		let rent = T::MinQueueRent::get().saturating_mul(2u32.into());
		for i in 0..n {
			let (who, hash) = other::<T>(u32::MAX - i);
			let k = T::MaxReplication::get();
			submit_with::<T>(&who, hash, k, Some(rent), Perbill::zero(), i).unwrap();
		}
		let now = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			Pallet::<T>::assign_pending(now, &mut Seeds::new());
		}
		assert!(Pending::<T>::get().is_empty());
		let outbid = Queue::<T>::get().iter().filter(|entry| entry.rent == rent).count() as u32;
		assert_eq!(outbid, n.min(T::MaxQueued::get()));
	}

	/// This block's randomness for the draws, derived as on a real block.
	#[benchmark]
	fn block_randomness() {
		T::BenchmarkHelper::set_block_randomness();
		#[block]
		{
			core::hint::black_box(Pallet::<T>::block_randomness());
		}
	}

	/// The rule of which blocks draw, at its costliest: the block's author (as on a real
	/// block) also authored the parent, so the block defers the draws of the tasks waiting.
	#[benchmark]
	fn draw_rule() {
		T::BenchmarkHelper::set_block_randomness();
		if let Authored::By(key) = T::BlockAuthor::author() {
			LastAuthor::<T>::put(key);
		}
		let (who, hash) = other::<T>(0);
		submit::<T>(&who, hash, 1, rent::<T>()).unwrap();
		#[block]
		{
			if !Pallet::<T>::may_draw() {
				Pallet::<T>::defer_draws();
			}
		}
		assert_eq!(Pending::<T>::get().len(), 1, "nothing was drawn");
	}

	/// `n` settled tasks are pruned and their deposits returned.
	#[benchmark]
	fn on_initialize_prune(n: Linear<0, { T::PrunePerBlock::get() }>) {
		for task_id in 0..n {
			let (who, hash) = other::<T>(task_id);
			submit::<T>(&who, hash, 1, rent::<T>()).unwrap();
			// Cancelled before its assignment (the chain may have free providers).
			Pallet::<T>::cancel_task(RawOrigin::Signed(who).into(), task_id.into()).unwrap();
		}
		assert_eq!(TaskExtras::<T>::iter().count() as u32, n);
		let now = frame_system::Pallet::<T>::block_number().saturating_add(T::Retention::get());
		#[block]
		{
			Pallet::<T>::prune(now);
		}
		assert!(Tasks::<T>::iter().next().is_none());
	}

	/// `n` held answers become final: each provider paid, its exposure released, the requester
	/// refunded, each task of another requester.
	#[benchmark]
	fn on_initialize_finalize(n: Linear<0, { T::FinalizePerBlock::get() }>) {
		market::<T>(0, 16);
		let mut last = None;
		for i in 0..n {
			let (who, hash) = other::<T>(i);
			let task_id = held_task::<T>(&who, hash, true);
			// The coin said no audit.
			TaskExtras::<T>::mutate_extant(task_id, |extra| extra.coin = None);
			last = Some(task_id);
		}
		let now = last
			.and_then(|id| match Tasks::<T>::get(id)?.state {
				TaskState::Answered { final_at, .. } => Some(final_at),
				_ => None,
			})
			.unwrap_or_else(frame_system::Pallet::<T>::block_number);
		#[block]
		{
			Pallet::<T>::finalize_due(now, true, &mut Seeds::new());
		}
		assert_eq!(HeldRange::<T>::get(), (n.into(), n.into()), "every answer is final");
	}

	/// `n` held answers whose coin was never shown start their audits: an auditor drawn by
	/// stake for each (the rest of the block's starts wait), each deadline place found after
	/// the most tries.
	#[benchmark]
	fn on_initialize_audits(
		n: Linear<0, { crate::AUDIT_STARTS_PER_BLOCK.min(T::FinalizePerBlock::get()) }>,
	) {
		market::<T>(8, 16);
		let mut last = None;
		for i in 0..n {
			let (who, hash) = other::<T>(i);
			last = Some(held_task::<T>(&who, hash, true));
		}
		let now = last
			.and_then(|id| match Tasks::<T>::get(id)?.state {
				TaskState::Answered { final_at, .. } => Some(final_at),
				_ => None,
			})
			.unwrap_or_else(frame_system::Pallet::<T>::block_number);
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			Pallet::<T>::finalize_due(now, true, &mut Seeds::new());
		}
		let audited = Tasks::<T>::iter_values()
			.filter(|t| matches!(t.state, TaskState::Audited { .. }))
			.count() as u32;
		assert_eq!(audited, n, "every answer is audited");
	}

	/// The requester shows its task's audit coin.
	#[benchmark]
	fn show_audit_coin() {
		market::<T>(0, 1);
		let caller = requester::<T>();
		let hash = workload::<T>(&caller);
		let task_id = held_task::<T>(&caller, hash, true);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), task_id, COIN_SECRET);
		let coin = Pallet::<T>::audit_coin(task_id);
		assert!(coin.is_none_or(|c| c.secret == Some(COIN_SECRET)), "the coin was shown");
	}

	/// The requester accepts a held answer before its window closes.
	#[benchmark]
	fn accept_answer() {
		market::<T>(0, 1);
		let caller = requester::<T>();
		let hash = workload::<T>(&caller);
		let task_id = held_task::<T>(&caller, hash, true);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), task_id);
		assert!(matches!(Tasks::<T>::get(task_id).unwrap().state, TaskState::Delivered { .. }));
	}

	/// A bad-delivery claim at its worst: the answer under audit (the audit ends: its deadline
	/// place freed, the auditor released, attestation's records of it forgotten), the box of
	/// the largest output opens, its commitment does not match, and the provider is slashed,
	/// the requester refunded.
	#[benchmark]
	fn claim_bad_delivery() {
		market::<T>(0, 1);
		let caller = requester::<T>();
		let hash = workload::<T>(&caller);
		let task_id = held_task::<T>(&caller, hash, false);
		let final_at = match Tasks::<T>::get(task_id).unwrap().state {
			TaskState::Answered { final_at, .. } => final_at,
			_ => panic!("not held"),
		};
		frame_system::Pallet::<T>::set_block_number(final_at);
		Pallet::<T>::finalize_due(final_at, true, &mut Seeds::new());
		assert!(matches!(Tasks::<T>::get(task_id).unwrap().state, TaskState::Audited { .. }));
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), task_id, REPLY_SECRET);
		assert!(matches!(
			Tasks::<T>::get(task_id).unwrap().state,
			TaskState::Failed { reason: TaskFailure::BadDelivery, .. }
		));
	}

	/// `n` disputes due in one block draw their committees: three members drawn by stake for
	/// each, each deadline place found after the most tries.
	#[benchmark]
	fn on_initialize_committees(n: Linear<0, { crate::AUDIT_STARTS_PER_BLOCK }>) {
		market::<T>(8, 16);
		let mut draw_at = frame_system::Pallet::<T>::block_number();
		for i in 0..n {
			let (who, hash) = other::<T>(i);
			draw_at = disputed_task::<T>(&who, hash).1;
		}
		// All due in the last one's block.
		let due: Vec<TaskId> = crate::CommitteeDraws::<T>::drain().flat_map(|(_, d)| d).collect();
		assert_eq!(due.len() as u32, n);
		crate::CommitteeDraws::<T>::insert(draw_at, BoundedVec::truncate_from(due));
		frame_system::Pallet::<T>::set_block_number(draw_at);
		#[block]
		{
			let mut seeds = Seeds::new();
			for task_id in crate::CommitteeDraws::<T>::take(draw_at) {
				let task = Tasks::<T>::get(task_id).unwrap();
				Pallet::<T>::draw_committee(task_id, task, &mut seeds);
			}
		}
		let sitting = crate::Disputes::<T>::iter_values()
			.filter(|d| d.committee.len() as u32 == crate::COMMITTEE_SIZE)
			.count() as u32;
		assert_eq!(sitting, n, "every committee is drawn");
	}

	/// A committee's judgement at its worst: a third outcome upheld (both parties slashed, the
	/// provider's slash paying two members), the third member out-voted and slashed, every
	/// party released and recorded, the requester refunded and given the first member's box
	/// of the largest size.
	#[benchmark]
	fn settle_committee() {
		market::<T>(8, 16);
		let caller = requester::<T>();
		let hash = workload::<T>(&caller);
		let (task_id, draw_at) = disputed_task::<T>(&caller, hash);
		frame_system::Pallet::<T>::set_block_number(draw_at);
		let task = Tasks::<T>::get(task_id).unwrap();
		Pallet::<T>::draw_committee(task_id, task, &mut Seeds::new());
		let committee = crate::Disputes::<T>::get(task_id).unwrap().committee;
		let right = MemberPart::Majority { fuel: BENCH_FUEL };
		let parts = [right, right, MemberPart::Minority];
		let members: Vec<_> = committee.iter().map(|a| a.provider.clone()).zip(parts).collect();
		let sealed = vec![7u8; T::MaxSealedSize::get() as usize];
		let first = committee.first().unwrap().provider.clone();
		let delivered = Some((first, Status::Success, BENCH_FUEL, sealed));
		let judgement = CommitteeJudgement { upheld: Upheld::Neither, members, delivered };
		let task = Tasks::<T>::get(task_id).unwrap();
		#[block]
		{
			Pallet::<T>::settle_committee(task_id, task, judgement);
		}
		assert!(matches!(Tasks::<T>::get(task_id).unwrap().state, TaskState::Delivered { .. }));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
