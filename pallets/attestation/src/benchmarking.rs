//! Benchmarks of the attestation pallet: each answer at its worst case, the last one of a task
//! with the most providers, which decides and settles it.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::pallet::{AcceptedVersions, Commitments, Reveals};
use alloc::{vec, vec::Vec};
use frame::{
	benchmarking::prelude::*,
	deps::{
		frame_support::traits::{Authorize, UnfilteredDispatchable},
		sp_runtime::{transaction_validity::TransactionSource, RuntimeAppPublic},
	},
};

/// Tasks for the benchmarks, made by the runtime (tasks and providers are other pallets).
pub trait BenchmarkHelper<AccountId, ExecutorId> {
	/// An open task assigned to one provider per key in `keys` (each bound to its key);
	/// returns the task and its providers in assignment order.
	fn assigned_task(keys: Vec<ExecutorId>) -> (TaskId, Vec<AccountId>);

	/// An open task of replication 1, with one provider registered per key in `keys` (each
	/// bound to its key, the only providers its price admits); returns the task and those
	/// providers.
	fn lone_task(keys: Vec<ExecutorId>) -> (TaskId, Vec<AccountId>);

	/// `count` open tasks of replication 1 (at most `MaxAnswersPerCall`), all assigned to one
	/// provider registered with `key`; returns the provider and the tasks.
	fn lone_tasks(key: ExecutorId, count: u32) -> (AccountId, Vec<TaskId>);

	/// The held answer of `task_id`'s window closes: its audit starts.
	fn start_audit(task_id: TaskId);
}

/// Providers with their executor keys, in assignment order.
type ProvidersWithKeys<T> =
	Vec<(<T as frame_system::Config>::AccountId, <T as Config>::ExecutorId)>;

/// A task of `k` providers with fresh executor keys; the keys in assignment order.
fn task<T: Config>(k: u32) -> (TaskId, ProvidersWithKeys<T>) {
	let keys: Vec<T::ExecutorId> = (0..k).map(|_| T::ExecutorId::generate_pair(None)).collect();
	let (task_id, providers) = T::BenchmarkHelper::assigned_task(keys);
	let pairs = providers
		.into_iter()
		.map(|p| {
			let key = T::Keys::executor_of(&p).unwrap();
			(p, key)
		})
		.collect();
	(task_id, pairs)
}

fn outcome(output: &[u8]) -> Revealed {
	Revealed {
		status: Status::Success,
		output_hash: blake2_256(output),
		fuel_used: 1_000,
		executor_version: bourse_primitives::EXECUTOR_VERSION,
	}
}

/// A lone answer whose box is `sealed` (what it holds does not matter until a claim opens it).
fn answer_of<T: Config>(sealed: &[u8]) -> SealedAnswer {
	SealedAnswer {
		status: Status::Success,
		fuel_used: 1_000,
		executor_version: bourse_primitives::EXECUTOR_VERSION,
		commitment: [9; 32],
		proof: [8; 32],
		max_output: T::MaxOutputSize::get(),
		sealed_hash: blake2_256(sealed),
	}
}

/// An [`Pallet::answer_many`] of `n` answers to tasks assigned to one provider, with empty
/// boxes: a box's bytes cost what they cost in [`Pallet::answer`] (hashed, stored), so the
/// weight prices them with that call's per-byte slope.
fn bundle<T: Config>(n: u32) -> (Vec<TaskId>, Call<T>) {
	let key = T::ExecutorId::generate_pair(None);
	let (provider, tasks) = T::BenchmarkHelper::lone_tasks(key.clone(), n);
	assert_eq!(tasks.len() as u32, n, "every task assigned");
	let answers = tasks
		.iter()
		.map(|&task_id| BundledAnswer {
			task_id,
			digest: Pallet::<T>::digest_of(task_id).unwrap(),
			answer: answer_of::<T>(&[]),
			sealed: Default::default(),
		})
		.collect();
	(tasks, Pallet::<T>::signed_answers(provider, answers, &key).unwrap())
}

/// `provider`'s statement `claim` about `task_id` as its call, signed by `key`.
fn signed<T: Config>(
	task_id: TaskId,
	(provider, key): &(T::AccountId, T::ExecutorId),
	claim: Claim,
	output: &[u8],
) -> Call<T> {
	let statement = Statement { task_id, provider: provider.clone(), claim };
	let digest = Pallet::<T>::digest_of(task_id).unwrap_or_default();
	Pallet::<T>::signed_call(&digest, statement, output.to_vec(), key).unwrap()
}

/// Dispatches an answer's call as a block does after `authorize` accepted it.
fn apply<T: Config>(call: Call<T>) {
	call.dispatch_bypass_filter(RawOrigin::Authorized.into()).unwrap();
}

/// `provider`'s commitment to `revealed` with `salt`, as a claim.
fn commit_claim<T: Config>(
	task_id: TaskId,
	provider: &T::AccountId,
	revealed: &Revealed,
	salt: [u8; 32],
) -> Claim {
	let digest = Pallet::<T>::digest_of(task_id).unwrap_or_default();
	Claim::Commit(Pallet::<T>::commitment(&digest, task_id, provider, revealed, &salt))
}

/// A task with the most providers, every one but the last committed (the last's commit is
/// returned): the most commitments `authorize` and dispatch read.
fn last_commit<T: Config>() -> Call<T> {
	let (task_id, providers) = task::<T>(T::MaxReplication::get());
	let revealed = outcome(b"output");
	let mut calls: Vec<Call<T>> = providers
		.iter()
		.enumerate()
		.map(|(i, p)| {
			signed(task_id, p, commit_claim::<T>(task_id, &p.0, &revealed, [i as u8; 32]), &[])
		})
		.collect();
	let last = calls.pop().unwrap();
	calls.into_iter().for_each(apply::<T>);
	last
}

/// A task with the most providers, at the worst case of settlement for its last reveal (with an
/// output of `l` bytes): a bare majority agreed on a largest output (taken and stored as the
/// result), every other provider revealed a distinct largest output (cleared), and the last
/// differs too, so it stores a new output and is slashed with the others. Everyone committed;
/// every reveal but the last is applied, and the last returned.
fn last_reveal<T: Config>(l: u32) -> Call<T> {
	let (task_id, providers) = task::<T>(T::MaxReplication::get());
	let largest = T::MaxOutputSize::get() as usize;
	let majority = providers.len() / 2 + 1;
	let last = providers.len() - 1;
	let outputs: Vec<Vec<u8>> = (0..providers.len())
		.map(|i| match i {
			i if i < majority => vec![7u8; largest],
			i if i < last => vec![8u8.wrapping_add(i as u8); largest],
			_ => vec![200u8; l as usize],
		})
		.collect();
	// The majority agrees on the whole outcome; everyone else differs (in fuel too).
	let outcomes: Vec<Revealed> = outputs
		.iter()
		.enumerate()
		.map(|(i, o)| {
			let fuel_used = if i < majority { 1_000 } else { 1_000 + i as u64 };
			Revealed { fuel_used, ..outcome(o) }
		})
		.collect();
	for (i, p) in providers.iter().enumerate() {
		let claim = commit_claim::<T>(task_id, &p.0, &outcomes[i], [i as u8; 32]);
		apply::<T>(signed(task_id, p, claim, &[]));
	}
	let mut reveals: Vec<Call<T>> = providers
		.iter()
		.enumerate()
		.map(|(i, p)| {
			let claim = Claim::Reveal { revealed: outcomes[i].clone(), salt: [i as u8; 32] };
			signed(task_id, p, claim, &outputs[i])
		})
		.collect();
	let last = reveals.pop().unwrap();
	reveals.into_iter().for_each(apply::<T>);
	last
}

/// The last abstention of a task with the most providers, all of whom abstained: it settles the
/// task (abstentions close commits before any reveal, so an abstention settles a task only when
/// nobody committed).
fn last_abstention<T: Config>() -> Call<T> {
	let (task_id, providers) = task::<T>(T::MaxReplication::get());
	let mut calls: Vec<Call<T>> = providers
		.iter()
		.map(|p| signed(task_id, p, Claim::Abstain(AbstainReason::Time), &[]))
		.collect();
	let last = calls.pop().unwrap();
	calls.into_iter().for_each(apply::<T>);
	last
}

/// Runs `call`'s `authorize`, which must accept it.
fn authorize<T: Config>(call: &<T as frame_system::Config>::RuntimeCall) {
	call.authorize(TransactionSource::External)
		.expect("answers are authorized calls")
		.expect("authorize accepts the call");
}

/// A lone answer under audit whose auditor committed and whose provider opened: the
/// auditor's opening, which ends it, as a call.
fn audit_opening<T: Config>() -> (TaskId, Call<T>) {
	let keys: Vec<T::ExecutorId> = (0..2).map(|_| T::ExecutorId::generate_pair(None)).collect();
	let (task_id, registered) = T::BenchmarkHelper::lone_task(keys);
	let assignment = T::Tasks::assignment(task_id).unwrap();
	let provider = assignment.providers[0].clone();
	let digest = assignment.digest;
	let with_key = |who: &T::AccountId| (who.clone(), T::Keys::executor_of(who).unwrap());
	let output = vec![7u8; T::MaxOutputSize::get() as usize];
	let opening = |salt| Opening {
		status: Status::Success,
		fuel_used: 1_000,
		executor_version: bourse_primitives::EXECUTOR_VERSION,
		output_digest: blake2_256(&output),
		fingerprint: [1; 32],
		salt,
	};
	let answered = opening([3; 32]);
	let sealed = vec![7u8; 64];
	let answer = SealedAnswer {
		commitment: answered.commitment(&digest, task_id, &provider),
		..answer_of::<T>(&sealed)
	};
	apply::<T>(signed::<T>(task_id, &with_key(&provider), Claim::Answer(answer), &sealed));
	T::BenchmarkHelper::start_audit(task_id);
	let audit = T::Tasks::assignment(task_id).and_then(|a| a.audit).expect("audited");
	let auditor = with_key(&audit.auditor);
	assert!(registered.contains(&audit.auditor));
	let mine = opening([4; 32]);
	let commitment = mine.commitment(&digest, task_id, &audit.auditor);
	apply::<T>(signed::<T>(task_id, &auditor, Claim::Commit(commitment), &[]));
	apply::<T>(signed::<T>(task_id, &with_key(&provider), Claim::Open(answered), &[]));
	(task_id, signed::<T>(task_id, &auditor, Claim::Open(mine), &[]))
}

#[benchmarks(where <T as frame_system::Config>::RuntimeCall: From<Call<T>>)]
mod benchmarks {
	use super::*;

	/// The answer of a task of replication 1, with a box of `l` bytes; the task pallet holds
	/// it.
	#[benchmark]
	fn answer(l: Linear<0, { T::MaxSealedSize::get() }>) {
		let (task_id, providers) = task::<T>(1);
		let sealed = vec![7u8; l as usize];
		let call =
			signed::<T>(task_id, &providers[0], Claim::Answer(answer_of::<T>(&sealed)), &sealed);
		#[block]
		{
			apply::<T>(call);
		}
		assert!(T::Tasks::assignment(task_id).is_none(), "held");
	}

	/// The pool's and the block's check of an answer with a box of `l` bytes, signature
	/// included.
	#[benchmark]
	fn authorize_answer(l: Linear<0, { T::MaxSealedSize::get() }>) {
		let (task_id, providers) = task::<T>(1);
		let sealed = vec![7u8; l as usize];
		let call: <T as frame_system::Config>::RuntimeCall =
			signed::<T>(task_id, &providers[0], Claim::Answer(answer_of::<T>(&sealed)), &sealed)
				.into();
		#[block]
		{
			authorize::<T>(&call);
		}
	}

	/// An answer of `n` tasks of replication 1 of one provider in one call; the task pallet
	/// holds each.
	#[benchmark]
	fn answer_many(n: Linear<1, { T::MaxAnswersPerCall::get() }>) {
		let (tasks, call) = bundle::<T>(n);
		#[block]
		{
			apply::<T>(call);
		}
		assert!(tasks.iter().all(|&t| T::Tasks::assignment(t).is_none()), "all held");
	}

	/// The pool's and the block's check of an answer of `n` tasks, its one signature included.
	#[benchmark]
	fn authorize_answer_many(n: Linear<1, { T::MaxAnswersPerCall::get() }>) {
		let call: <T as frame_system::Config>::RuntimeCall = bundle::<T>(n).1.into();
		#[block]
		{
			authorize::<T>(&call);
		}
	}

	/// The last commit of a task with the most providers.
	#[benchmark]
	fn commit() {
		let call = last_commit::<T>();
		let Call::commit { task_id, ref provider, .. } = call else { unreachable!() };
		let provider = provider.clone();
		#[block]
		{
			apply::<T>(call);
		}
		assert!(Commitments::<T>::contains_key(task_id, &provider));
	}

	/// The pool's and the block's check of the last commit of a task with the most providers.
	#[benchmark]
	fn authorize_commit() {
		let call: <T as frame_system::Config>::RuntimeCall = last_commit::<T>().into();
		#[block]
		{
			authorize::<T>(&call);
		}
	}

	/// The last reveal of a task with the most providers, with an output of `l` bytes, at the
	/// worst case of settlement (see [`last_reveal`]).
	#[benchmark]
	fn reveal(l: Linear<0, { T::MaxOutputSize::get() }>) {
		let call = last_reveal::<T>(l);
		let Call::reveal { task_id, ref provider, .. } = call else { unreachable!() };
		let provider = provider.clone();
		#[block]
		{
			apply::<T>(call);
		}
		assert!(!Reveals::<T>::contains_key(task_id, &provider), "decided and forgotten");
	}

	/// The pool's and the block's check of the last reveal of a task with the most providers,
	/// with an output of `l` bytes.
	#[benchmark]
	fn authorize_reveal(l: Linear<0, { T::MaxOutputSize::get() }>) {
		let call: <T as frame_system::Config>::RuntimeCall = last_reveal::<T>(l).into();
		#[block]
		{
			authorize::<T>(&call);
		}
	}

	/// The last abstention of a task with the most providers, which settles it (see
	/// [`last_abstention`]).
	#[benchmark]
	fn abstain() {
		let call = last_abstention::<T>();
		let Call::abstain { task_id, .. } = call else { unreachable!() };
		#[block]
		{
			apply::<T>(call);
		}
		assert!(T::Tasks::assignment(task_id).is_none(), "settled");
	}

	/// The pool's and the block's check of the last abstention of a task with the most
	/// providers.
	#[benchmark]
	fn authorize_abstain() {
		let call: <T as frame_system::Config>::RuntimeCall = last_abstention::<T>().into();
		#[block]
		{
			authorize::<T>(&call);
		}
	}

	/// Accepting the most executor versions.
	#[benchmark]
	fn set_executor_versions() {
		let versions: BoundedVec<u32, T::MaxExecutorVersions> =
			BoundedVec::truncate_from((1..=T::MaxExecutorVersions::get()).collect());
		#[extrinsic_call]
		_(RawOrigin::Root, versions.clone());
		assert_eq!(AcceptedVersions::<T>::get(), versions);
	}

	/// The opening that ends an audit: the auditor's, after the provider's; both agree, so
	/// both are paid, reputations recorded, the answer delivered.
	#[benchmark]
	fn open() {
		let (task_id, call) = audit_opening::<T>();
		#[block]
		{
			apply::<T>(call);
		}
		assert!(T::Tasks::assignment(task_id).is_none(), "the audit ended");
	}

	/// The pool's and the block's check of an opening, signature included.
	#[benchmark]
	fn authorize_open() {
		let (_, call) = audit_opening::<T>();
		let call: <T as frame_system::Config>::RuntimeCall = call.into();
		#[block]
		{
			authorize::<T>(&call);
		}
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
