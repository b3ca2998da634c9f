//! The market end to end in a mock runtime: workloads, submission, queueing, answers, commit and
//! reveal, settlement (payments, refunds, slashes, reputation), cancellation and pruning, with
//! every pallet's invariants checked after every step.
#![allow(clippy::unwrap_used)]

use crate::{
	mock::*, Error, Event, FailureReason, HoldReason, Outputs, Queue, Status, TaskFailure,
	TaskState, Tasks as TaskRecords, Workloads,
};
use pallet_attestation::Revealed;
use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		traits::{fungible::InspectHold, Authorize},
	},
	frame_system::RawOrigin,
	sp_runtime::{
		testing::UintAuthorityId,
		traits::{Dispatchable, Zero},
		transaction_validity::TransactionSource,
		DispatchResult, Perbill, RuntimeAppPublic,
	},
};

const REQUESTER: u64 = 10;
const PRICE: u128 = 1_000;
const FUEL: u64 = 1_000_000;
const MAX_PRICE: u128 = 2_000;
const TIMEOUT: u64 = 10;

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn ok(result: DispatchResult) {
	assert_ok!(result);
	check_invariants();
}

fn wasm(body: &[u8]) -> Vec<u8> {
	[b"\0asm\x01\0\0\0".as_slice(), body].concat()
}

fn upload() -> [u8; 32] {
	let code = wasm(b"workload");
	ok(Tasks::upload_workload(signed(REQUESTER), code.clone()));
	polkadot_sdk::sp_io::hashing::blake2_256(&code)
}

/// Providers `who` at `PRICE`, 4 slots, executor key `100 + who`, selectable from the next
/// block.
fn providers(who: &[u64]) {
	for &p in who {
		ok(Offers::register_provider(signed(p), 800, UintAuthorityId(100 + p)));
		ok(Offers::set_offer(signed(p), PRICE, 10 * FUEL, 64, 4, None));
	}
	next_block();
}

fn submit(hash: [u8; 32], replication: u32, fail_fast: bool) -> DispatchResult {
	Tasks::submit_task(
		signed(REQUESTER),
		hash,
		b"input".to_vec(),
		FUEL,
		16,
		MAX_PRICE,
		replication,
		Perbill::zero(),
		TIMEOUT,
		fail_fast,
	)
}

fn assigned(task_id: u64) -> Vec<u64> {
	match TaskRecords::<Test>::get(task_id).unwrap().state {
		TaskState::Assigned { providers, .. } => {
			providers.into_iter().map(|a| a.provider).collect()
		}
		other => panic!("task {task_id} is not assigned: {other:?}"),
	}
}

fn key(provider: u64) -> UintAuthorityId {
	UintAuthorityId(100 + provider)
}

/// Dispatches an authorized call after checking that the pool would accept it exactly when
/// the call succeeds.
fn authorized(call: pallet_attestation::Call<Test>) -> DispatchResult {
	let call = RuntimeCall::Attestation(call);
	let pool = call.authorize(TransactionSource::External).expect("call is authorizable");
	let result = call.dispatch(RawOrigin::Authorized.into()).map(|_| ()).map_err(|e| e.error);
	assert_eq!(pool.is_ok(), result.is_ok(), "pool and dispatch disagree: {result:?}");
	check_invariants();
	result
}

fn answer_as(
	signer: u64,
	task_id: u64,
	provider: u64,
	output: &[u8],
	fuel_used: u64,
) -> DispatchResult {
	let output_hash = polkadot_sdk::sp_io::hashing::blake2_256(output);
	let payload = pallet_attestation::Pallet::<Test>::answer_payload(
		task_id,
		&provider,
		&Status::Success,
		&output_hash,
		fuel_used,
		1,
	);
	authorized(pallet_attestation::Call::answer {
		task_id,
		provider,
		status: Status::Success,
		output: output.to_vec().try_into().unwrap(),
		fuel_used,
		executor_version: 1,
		signature: key(signer).sign(&payload).unwrap(),
	})
}

fn answer(task_id: u64, provider: u64, output: &[u8], fuel_used: u64) -> DispatchResult {
	answer_as(provider, task_id, provider, output, fuel_used)
}

fn outcome(output: &[u8], fuel_used: u64) -> Revealed {
	Revealed {
		status: Status::Success,
		output_hash: polkadot_sdk::sp_io::hashing::blake2_256(output),
		fuel_used,
		executor_version: 1,
	}
}

fn commit(task_id: u64, provider: u64, revealed: &Revealed, salt: [u8; 32]) -> DispatchResult {
	let commitment =
		pallet_attestation::Pallet::<Test>::commitment(task_id, &provider, revealed, &salt);
	let payload =
		pallet_attestation::Pallet::<Test>::commit_payload(task_id, &provider, &commitment);
	authorized(pallet_attestation::Call::commit {
		task_id,
		provider,
		commitment,
		signature: key(provider).sign(&payload).unwrap(),
	})
}

fn reveal(
	task_id: u64,
	provider: u64,
	revealed: &Revealed,
	output: &[u8],
	salt: [u8; 32],
) -> DispatchResult {
	let payload =
		pallet_attestation::Pallet::<Test>::reveal_payload(task_id, &provider, revealed, &salt);
	authorized(pallet_attestation::Call::reveal {
		task_id,
		provider,
		revealed: revealed.clone(),
		output: output.to_vec().try_into().unwrap(),
		salt,
		signature: key(provider).sign(&payload).unwrap(),
	})
}

/// The escrow of a task: ceil(k × FUEL × MAX_PRICE / 1e6) + BASE_FEE.
fn escrow(k: u128) -> u128 {
	(k * FUEL as u128 * MAX_PRICE).div_ceil(1_000_000) + BASE_FEE
}

fn free(who: u64) -> u128 {
	Balances::free_balance(who)
}

fn escrow_held() -> u128 {
	Balances::balance_on_hold(&HoldReason::TaskEscrow.into(), &REQUESTER)
}

#[test]
fn workloads_are_stored_once_with_a_deposit_and_removed_when_unused() {
	test(|| {
		let code = wasm(b"workload");
		let hash = upload();
		let deposit = 10 + code.len() as u128;
		assert_eq!(
			Balances::balance_on_hold(&HoldReason::WorkloadDeposit.into(), &REQUESTER),
			deposit
		);
		System::assert_last_event(
			Event::WorkloadUploaded { hash, owner: REQUESTER, len: code.len() as u32, deposit }
				.into(),
		);
		assert_noop!(Tasks::upload_workload(signed(11), code), Error::<Test>::WorkloadExists);
		assert_noop!(
			Tasks::upload_workload(signed(11), b"not wasm".to_vec()),
			Error::<Test>::NotWasm
		);
		assert_noop!(
			Tasks::upload_workload(signed(11), wasm(&[0; 1_024])),
			Error::<Test>::WorkloadTooLarge
		);
		assert_noop!(Tasks::remove_workload(signed(11), hash), Error::<Test>::NotWorkloadOwner);
		assert_noop!(Tasks::remove_workload(signed(11), [0; 32]), Error::<Test>::UnknownWorkload);
		providers(&[1]);
		ok(submit(hash, 1, true));
		assert_noop!(Tasks::remove_workload(signed(REQUESTER), hash), Error::<Test>::WorkloadInUse);
		ok(answer(0, 1, b"out", 1_000));
		let before = free(REQUESTER);
		ok(Tasks::remove_workload(signed(REQUESTER), hash));
		assert_eq!(free(REQUESTER), before + deposit);
		assert!(Workloads::<Test>::get(hash).is_none());
	});
}

#[test]
fn submit_errors_hold_nothing() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		let submit_with = |hash: [u8; 32],
		                   input: Vec<u8>,
		                   fuel: u64,
		                   mem: u32,
		                   price: u128,
		                   k: u32,
		                   timeout: u64,
		                   fail_fast: bool| {
			Tasks::submit_task(
				signed(REQUESTER),
				hash,
				input,
				fuel,
				mem,
				price,
				k,
				Perbill::zero(),
				timeout,
				fail_fast,
			)
		};
		let input = b"in".to_vec();
		use Error::*;
		let cases: Vec<(DispatchResult, Error<Test>)> = vec![
			(
				submit_with([9; 32], input.clone(), FUEL, 16, MAX_PRICE, 1, TIMEOUT, true),
				UnknownWorkload,
			),
			(submit_with(hash, vec![], FUEL, 16, MAX_PRICE, 1, TIMEOUT, true), EmptyInput),
			(submit_with(hash, vec![0; 65], FUEL, 16, MAX_PRICE, 1, TIMEOUT, true), InputTooLarge),
			(submit_with(hash, input.clone(), 0, 16, MAX_PRICE, 1, TIMEOUT, true), ZeroFuel),
			(submit_with(hash, input.clone(), FUEL, 0, MAX_PRICE, 1, TIMEOUT, true), ZeroMemory),
			(
				submit_with(hash, input.clone(), FUEL, 4_097, MAX_PRICE, 1, TIMEOUT, true),
				MemoryTooLarge,
			),
			(submit_with(hash, input.clone(), FUEL, 16, 0, 1, TIMEOUT, true), ZeroPrice),
			(
				submit_with(hash, input.clone(), FUEL, 16, MAX_PRICE, 0, TIMEOUT, true),
				InvalidReplication,
			),
			(
				submit_with(hash, input.clone(), FUEL, 16, MAX_PRICE, 2, TIMEOUT, true),
				InvalidReplication,
			),
			(
				submit_with(hash, input.clone(), FUEL, 16, MAX_PRICE, 7, TIMEOUT, true),
				InvalidReplication,
			),
			(
				submit_with(hash, input.clone(), FUEL, 16, MAX_PRICE, 1, MIN_TIMEOUT - 1, true),
				TimeoutTooShort,
			),
			(submit_with(hash, input.clone(), FUEL, 16, MAX_PRICE, 1, 101, true), TimeoutTooLong),
			(
				submit_with(hash, input.clone(), u64::MAX, 16, u128::MAX, 1, TIMEOUT, true),
				EscrowOverflow,
			),
			(
				submit_with(hash, input.clone(), FUEL, 16, ENDOWMENT * 10, 1, TIMEOUT, true),
				InsufficientBalance,
			),
			// Above every offer: fuel, memory, price; and more providers than exist.
			(
				submit_with(hash, input.clone(), 10 * FUEL + 1, 16, MAX_PRICE, 1, TIMEOUT, true),
				NoProviderAvailable,
			),
			(
				submit_with(hash, input.clone(), FUEL, 65, MAX_PRICE, 1, TIMEOUT, true),
				NoProviderAvailable,
			),
			(
				submit_with(hash, input.clone(), FUEL, 16, PRICE - 1, 1, TIMEOUT, true),
				NoProviderAvailable,
			),
			(
				submit_with(hash, input.clone(), FUEL, 16, MAX_PRICE, 3, TIMEOUT, true),
				NoProviderAvailable,
			),
		];
		for (result, error) in cases {
			let expected: DispatchResult = Err(error.into());
			assert_eq!(result, expected);
		}
		assert_eq!(escrow_held(), 0);
	});
}

#[test]
fn replication_one_completes_pays_the_provider_and_refunds_the_rest() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		let (requester_before, provider_before) = (free(REQUESTER), free(1));
		let issuance = Balances::total_issuance();
		ok(submit(hash, 1, true));
		assert_eq!(escrow_held(), escrow(1));
		System::assert_has_event(
			Event::TaskAssigned { task_id: 0, providers: vec![1], deadline: 2 + TIMEOUT }.into(),
		);
		let fuel_used = 123_457;
		ok(answer(0, 1, b"result", fuel_used));
		let payment = (fuel_used as u128 * PRICE).div_ceil(1_000_000);
		assert_eq!(free(1), provider_before + payment);
		assert_eq!(free(REQUESTER), requester_before - payment - BASE_FEE);
		assert_eq!(escrow_held(), 0);
		assert_eq!(Balances::total_issuance(), issuance - BASE_FEE, "only the base fee is burned");
		let output_hash = polkadot_sdk::sp_io::hashing::blake2_256(b"result");
		System::assert_has_event(
			Event::TaskCompleted { task_id: 0, output_hash, fuel_used, cost: payment }.into(),
		);
		assert_eq!(Outputs::<Test>::get(0).unwrap().into_inner(), b"result".to_vec());
		assert!(matches!(
			TaskRecords::<Test>::get(0).unwrap().state,
			TaskState::Completed { status: Status::Success, .. }
		));
		assert!(Reputation::current(&1).successes > Zero::zero());
	});
}

#[test]
fn answers_are_checked_before_inclusion() {
	test(|| {
		let hash = upload();
		providers(&[1, 2]);
		ok(submit(hash, 1, true));
		let chosen = assigned(0)[0];
		let other = if chosen == 1 { 2 } else { 1 };
		assert_eq!(
			answer(0, other, b"x", 1),
			Err(pallet_attestation::Error::<Test>::NotAssigned.into())
		);
		assert_eq!(
			answer_as(other, 0, chosen, b"x", 1),
			Err(pallet_attestation::Error::<Test>::BadSignature.into())
		);
		assert_eq!(
			answer(0, chosen, b"x", FUEL + 1),
			Err(pallet_attestation::Error::<Test>::FuelAboveLimit.into())
		);
		assert_eq!(
			answer(7, chosen, b"x", 1),
			Err(pallet_attestation::Error::<Test>::TaskNotOpen.into())
		);
		let r = outcome(b"x", 1);
		assert_eq!(
			commit(0, chosen, &r, [0; 32]),
			Err(pallet_attestation::Error::<Test>::UseAnswer.into())
		);
		ok(answer(0, chosen, b"x", 1));
		assert_eq!(
			answer(0, chosen, b"x", 1),
			Err(pallet_attestation::Error::<Test>::TaskNotOpen.into()),
			"a second answer"
		);
		assert!(Tasks::cancel_task(signed(REQUESTER), 0).is_err());
	});
}

/// Three providers commit and reveal; `outputs[i]` is what the i-th assigned provider reveals
/// (`None`: it stays silent after committing).
fn replicated(outputs: [Option<&[u8]>; 3]) -> Vec<u64> {
	let hash = upload();
	providers(&[1, 2, 3]);
	ok(submit(hash, 3, true));
	let order = assigned(0);
	for (i, &p) in order.iter().enumerate() {
		if let Some(out) = outputs[i] {
			ok(commit(0, p, &outcome(out, 500), [i as u8; 32]));
		}
	}
	next_block();
	next_block();
	next_block();
	for (i, &p) in order.iter().enumerate() {
		if let Some(out) = outputs[i] {
			ok(reveal(0, p, &outcome(out, 500), out, [i as u8; 32]));
		}
	}
	order
}

fn run_to_timeout() {
	while System::block_number() <= 2 + TIMEOUT {
		next_block();
	}
}

#[test]
fn a_liar_is_out_voted_slashed_and_loses_reputation() {
	test(|| {
		let issuance = Balances::total_issuance();
		let order = replicated([Some(b"good"), Some(b"good"), Some(b"lie")]);
		let liar = order[2];
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Completed { .. }));
		System::assert_has_event(
			Event::ProviderSlashed { task_id: 0, provider: liar, amount: SLASH }.into(),
		);
		for &honest in &order[..2] {
			System::assert_has_event(
				Event::ProviderPaid { task_id: 0, provider: honest, amount: 1 }.into(),
			);
		}
		assert_eq!(
			Balances::total_issuance(),
			issuance - SLASH - BASE_FEE,
			"only the slash and the base fee are burned"
		);
		assert!(Reputation::current(&liar).failures > Zero::zero());
		assert_eq!(Outputs::<Test>::get(0).unwrap().into_inner(), b"good".to_vec());
	});
}

#[test]
fn a_lying_first_provider_cannot_withhold_the_agreed_output() {
	test(|| {
		let order = replicated([Some(b"lie"), Some(b"good"), Some(b"good")]);
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Completed { .. }));
		System::assert_has_event(
			Event::ProviderSlashed { task_id: 0, provider: order[0], amount: SLASH }.into(),
		);
		assert_eq!(Outputs::<Test>::get(0).unwrap().into_inner(), b"good".to_vec());
		assert_eq!(pallet_attestation::PendingOutputs::<Test>::iter().count(), 0, "forgotten");
	});
}

#[test]
fn a_silent_first_provider_cannot_withhold_the_agreed_output() {
	test(|| {
		let order = replicated([None, Some(b"good"), Some(b"good")]);
		run_to_timeout();
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Completed { .. }));
		System::assert_has_event(
			Event::ProviderSlashed { task_id: 0, provider: order[0], amount: SLASH }.into(),
		);
		assert_eq!(Outputs::<Test>::get(0).unwrap().into_inner(), b"good".to_vec());
	});
}

#[test]
fn an_answered_task_settled_at_its_deadline_is_charged_the_settle_bound() {
	test(|| {
		replicated([Some(b"good"), Some(b"good"), None]);
		let (due, _) = crate::Timeouts::<Test>::iter().find(|(_, ids)| ids.contains(&0)).unwrap();
		while System::block_number() + 1 < due {
			next_block();
		}
		System::set_block_number(due);
		let charged =
			<Tasks as polkadot_sdk::frame_support::traits::Hooks<u64>>::on_initialize(due);
		check_invariants();
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Completed { .. }));
		assert!(charged.all_gte(crate::mock::AnsweredSettleWeight::get()), "{charged:?}");
	});
}

#[test]
fn a_silent_replica_is_a_no_show_at_the_timeout() {
	test(|| {
		let order = replicated([Some(b"good"), Some(b"good"), None]);
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Assigned { .. }));
		run_to_timeout();
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Completed { .. }));
		System::assert_has_event(
			Event::ProviderSlashed { task_id: 0, provider: order[2], amount: SLASH }.into(),
		);
		System::assert_has_event(
			pallet_attestation::Event::VerdictGiven {
				task_id: 0,
				provider: order[2],
				verdict: crate::Verdict::NoShow,
			}
			.into(),
		);
	});
}

#[test]
fn colluders_withholding_reveals_do_not_stop_the_honest_one() {
	test(|| {
		// All three commit; the honest one reveals, the other two never do.
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(submit(hash, 3, true));
		let order = assigned(0);
		for (i, &p) in order.iter().enumerate() {
			ok(commit(0, p, &outcome(if i == 0 { b"good" } else { b"lie" }, 500), [i as u8; 32]));
		}
		ok(reveal(0, order[0], &outcome(b"good", 500), b"good", [0; 32]));
		run_to_timeout();
		System::assert_has_event(
			Event::ProviderPaid { task_id: 0, provider: order[0], amount: 1 }.into(),
		);
		for &colluder in &order[1..] {
			System::assert_has_event(
				Event::ProviderSlashed { task_id: 0, provider: colluder, amount: SLASH }.into(),
			);
		}
	});
}

#[test]
fn a_tie_is_no_consensus_refunded_without_payment() {
	test(|| {
		let before = free(REQUESTER);
		let order = replicated([Some(b"a"), Some(b"b"), None]);
		run_to_timeout();
		let reason = TaskFailure::Attestation(FailureReason::NoConsensus);
		System::assert_has_event(Event::TaskFailed { task_id: 0, reason }.into());
		System::assert_has_event(
			Event::ProviderSlashed { task_id: 0, provider: order[2], amount: SLASH }.into(),
		);
		// Refunded except the base fee (and the workload deposit, still held).
		let deposit = 10 + wasm(b"workload").len() as u128;
		assert_eq!(free(REQUESTER), before - BASE_FEE - deposit);
	});
}

#[test]
fn reveals_are_checked_against_commitments_and_phases() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(submit(hash, 3, true));
		let order = assigned(0);
		let good = outcome(b"good", 500);
		ok(commit(0, order[0], &good, [0; 32]));
		use pallet_attestation::Error as E;
		assert_eq!(commit(0, order[0], &good, [0; 32]), Err(E::<Test>::AlreadyAnswered.into()));
		assert_eq!(
			reveal(0, order[0], &good, b"good", [0; 32]),
			Err(E::<Test>::RevealsNotOpen.into())
		);
		assert_eq!(
			reveal(0, order[1], &good, b"good", [1; 32]),
			Err(E::<Test>::NoCommitment.into())
		);
		assert_eq!(answer(0, order[0], b"good", 500), Err(E::<Test>::UseCommitReveal.into()));
		ok(commit(0, order[1], &good, [1; 32]));
		ok(commit(0, order[2], &good, [2; 32]));
		// Everyone committed: reveals are open and commits closed.
		assert_eq!(
			reveal(0, order[1], &good, b"good", [9; 32]),
			Err(E::<Test>::CommitmentMismatch.into()),
			"wrong salt"
		);
		assert_eq!(
			reveal(0, order[1], &outcome(b"bad", 500), b"bad", [1; 32]),
			Err(E::<Test>::CommitmentMismatch.into())
		);
		assert_eq!(
			reveal(0, order[0], &good, &[], [0; 32]),
			Err(E::<Test>::OutputHashMismatch.into()),
			"every reveal carries its output"
		);
		assert_eq!(
			reveal(0, order[0], &good, b"gooD", [0; 32]),
			Err(E::<Test>::OutputHashMismatch.into())
		);
		ok(reveal(0, order[1], &good, b"good", [1; 32]));
		ok(reveal(0, order[2], &good, b"good", [2; 32]));
		assert_eq!(
			pallet_attestation::PendingOutputs::<Test>::iter_prefix(0).count(),
			1,
			"an output revealed twice is stored once"
		);
		ok(reveal(0, order[0], &good, b"good", [0; 32]));
		System::assert_has_event(
			Event::TaskCompleted {
				task_id: 0,
				output_hash: good.output_hash,
				fuel_used: 500,
				cost: 3,
			}
			.into(),
		);
	});
}

#[test]
fn tasks_queue_when_providers_are_busy_and_are_assigned_as_slots_free() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		for _ in 0..4 {
			ok(submit(hash, 1, false));
		}
		assert_noop!(submit(hash, 1, true), Error::<Test>::NoProviderAvailable);
		ok(submit(hash, 1, false));
		System::assert_last_event(Event::TaskQueued { task_id: 4 }.into());
		assert_eq!(Queue::<Test>::get().into_inner(), vec![4]);
		next_block();
		assert_eq!(Queue::<Test>::get().into_inner(), vec![4], "still no free slot");
		ok(answer(0, 1, b"out", 10));
		next_block();
		assert!(Queue::<Test>::get().is_empty());
		assert_eq!(assigned(4), vec![1]);
		for _ in 0..4 {
			ok(submit(hash, 1, false));
		}
		assert_noop!(submit(hash, 1, false), Error::<Test>::QueueFull);
	});
}

#[test]
fn a_queued_task_nobody_can_take_does_not_block_the_queue() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		// Four tasks fill the provider's slots; then one nobody can take (memory above every
		// offer) waits at the head of the queue, with a takeable one behind it.
		for _ in 0..4 {
			ok(submit(hash, 1, false));
		}
		ok(Tasks::submit_task(
			signed(REQUESTER),
			hash,
			b"in".to_vec(),
			FUEL,
			65,
			MAX_PRICE,
			1,
			Perbill::zero(),
			TIMEOUT,
			false,
		));
		ok(submit(hash, 1, false));
		assert_eq!(Queue::<Test>::get().into_inner(), vec![4, 5]);
		ok(answer(0, 1, b"out", 10));
		next_block();
		assert_eq!(assigned(5), vec![1], "the task behind the stuck one got the free slot");
		assert_eq!(Queue::<Test>::get().into_inner(), vec![4]);
	});
}

#[test]
fn a_queued_task_fails_after_its_timeout_and_is_refunded_but_the_base_fee() {
	test(|| {
		let hash = upload();
		let before = free(REQUESTER);
		let issuance = Balances::total_issuance();
		ok(submit(hash, 1, false));
		for _ in 0..=TIMEOUT {
			next_block();
		}
		System::assert_has_event(
			Event::TaskFailed { task_id: 0, reason: TaskFailure::NoProvider }.into(),
		);
		assert_eq!(free(REQUESTER), before - BASE_FEE);
		assert_eq!(Balances::total_issuance(), issuance - BASE_FEE, "the base fee is burned");
	});
}

#[test]
fn cancelling_refunds_and_pays_the_base_fee_to_assigned_providers() {
	test(|| {
		let hash = upload();
		let before = free(REQUESTER);
		ok(submit(hash, 1, false));
		assert_noop!(Tasks::cancel_task(signed(11), 0), Error::<Test>::NotRequester);
		assert_noop!(Tasks::cancel_task(signed(REQUESTER), 9), Error::<Test>::UnknownTask);
		ok(Tasks::cancel_task(signed(REQUESTER), 0));
		assert_eq!(free(REQUESTER), before - BASE_FEE, "a queued task costs its base fee");
		providers(&[1, 2, 3]);
		ok(submit(hash, 3, true));
		let provider_before = free(1);
		ok(Tasks::cancel_task(signed(REQUESTER), 1));
		assert_eq!(free(1), provider_before + BASE_FEE / 3);
		assert_eq!(free(REQUESTER), before - 2 * BASE_FEE);
		System::assert_last_event(
			Event::TaskFailed { task_id: 1, reason: TaskFailure::Cancelled }.into(),
		);
		assert_noop!(Tasks::cancel_task(signed(REQUESTER), 1), Error::<Test>::NotCancellable);
		ok(submit(hash, 3, true));
		ok(commit(2, assigned(2)[0], &outcome(b"x", 1), [0; 32]));
		assert_noop!(Tasks::cancel_task(signed(REQUESTER), 2), Error::<Test>::NotCancellable);
	});
}

#[test]
fn settled_tasks_are_pruned_after_the_retention_period() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, true));
		ok(answer(0, 1, b"out", 10));
		for _ in 0..RETENTION {
			assert!(TaskRecords::<Test>::get(0).is_some());
			next_block();
		}
		assert!(TaskRecords::<Test>::get(0).is_none() && Outputs::<Test>::get(0).is_none());
		System::assert_has_event(Event::TaskPruned { task_id: 0 }.into());
	});
}

/// The offchain worker with a stand-in sandbox (it echoes the input backwards and counts runs):
/// each task runs once per node however often the worker wakes, and its answers settle it.
mod offchain_worker {
	use super::*;
	use codec::Decode;
	use polkadot_sdk::{
		frame_support::traits::Hooks,
		sp_core::offchain::{
			testing::{PoolState, TestOffchainExt, TestTransactionPoolExt},
			OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
		},
	};
	use std::sync::{
		atomic::{AtomicU32, Ordering},
		Arc,
	};

	struct Echo(Arc<AtomicU32>);

	impl bourse_primitives::sandbox::WorkloadRunner for Echo {
		fn run(
			&self,
			_code_hash: [u8; 32],
			_code: &[u8],
			input: &[u8],
			limits: bourse_primitives::ExecutionLimits,
			_seed: [u8; 32],
		) -> Result<bourse_primitives::Outcome, String> {
			self.0.fetch_add(1, Ordering::SeqCst);
			Ok(bourse_primitives::Outcome {
				status: Status::Success,
				output: input.iter().rev().copied().collect(),
				fuel_used: limits.fuel / 2,
				executor_version: bourse_primitives::EXECUTOR_VERSION,
			})
		}
	}

	/// Externalities with offchain storage, a transaction pool and the echo sandbox.
	fn worker_ext(
	) -> (polkadot_sdk::sp_io::TestExternalities, Arc<parking_lot::RwLock<PoolState>>, Arc<AtomicU32>)
	{
		let mut ext = new_test_ext();
		let (offchain, _) = TestOffchainExt::new();
		let (pool, pool_state) = TestTransactionPoolExt::new();
		ext.register_extension(OffchainDbExt::new(offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(pool));
		let runs = Arc::new(AtomicU32::new(0));
		ext.register_extension(bourse_primitives::sandbox::SandboxExt::new(Arc::new(Echo(
			runs.clone(),
		))));
		(ext, pool_state, runs)
	}

	/// Runs the worker, then puts what it sent into the block: each transaction is checked by
	/// `authorize` (the pool) and dispatched as authorized.
	fn worker_block(pool: &Arc<parking_lot::RwLock<PoolState>>) -> usize {
		<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
		let sent: Vec<Vec<u8>> = std::mem::take(&mut pool.write().transactions);
		for bytes in &sent {
			let xt = Extrinsic::decode(&mut &bytes[..]).unwrap();
			let RuntimeCall::Attestation(call) = xt.function else { panic!("not an answer") };
			// Duplicates (the same answer sent again) are refused, as the pool would.
			let _ = authorized(call);
		}
		next_block();
		sent.len()
	}

	/// Provider 1, whose key this node holds, is assigned task 0 (replication 1).
	fn one_task_for_a_local_provider() {
		UintAuthorityId::set_all_keys(vec![key(1)]);
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, true));
	}

	#[test]
	fn on_its_own_block_the_author_answers_after_a_delay() {
		let (mut ext, pool, runs) = worker_ext();
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			let started = polkadot_sdk::sp_io::offchain::timestamp();
			crate::mock::AUTHORED_HERE.with(|a| a.set(true));
			assert_eq!(worker_block(&pool), 1, "answered in the same block");
			crate::mock::AUTHORED_HERE.with(|a| a.set(false));
			let waited = polkadot_sdk::sp_io::offchain::timestamp().diff(&started).millis();
			assert_eq!(waited, crate::mock::AUTHOR_ANSWER_DELAY, "after the delay");
			assert_eq!(runs.load(Ordering::SeqCst), 1);
			assert!(matches!(
				TaskRecords::<Test>::get(0).unwrap().state,
				TaskState::Completed { .. }
			));
		});
	}

	#[test]
	fn other_nodes_answer_without_delay() {
		let (mut ext, pool, _) = worker_ext();
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			let started = polkadot_sdk::sp_io::offchain::timestamp();
			assert_eq!(worker_block(&pool), 1);
			assert_eq!(polkadot_sdk::sp_io::offchain::timestamp(), started, "no wait");
		});
	}

	#[test]
	fn a_task_of_replication_one_is_run_once_and_answered() {
		let (mut ext, pool, runs) = worker_ext();
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
			<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
			assert_eq!(runs.load(Ordering::SeqCst), 1, "a second wake-up does not run it again");
			assert_eq!(pool.read().transactions.len(), 2, "the answer is sent until included");
			worker_block(&pool);
			assert_eq!(Outputs::<Test>::get(0).unwrap().into_inner(), b"tupni".to_vec());
			System::assert_has_event(
				Event::TaskCompleted {
					task_id: 0,
					output_hash: polkadot_sdk::sp_io::hashing::blake2_256(b"tupni"),
					fuel_used: FUEL / 2,
					cost: (FUEL as u128 / 2 * PRICE).div_ceil(1_000_000),
				}
				.into(),
			);
			assert_eq!(worker_block(&pool), 0, "nothing left to do");
			// The record outlives the task until its deadline has passed by the grace period.
			let records = || {
				polkadot_sdk::sp_runtime::offchain::storage::StorageValueRef::persistent(
					b"bourse/attestation/records",
				)
				.get::<Vec<(Vec<u8>, u32)>>()
				.unwrap()
				.unwrap_or_default()
			};
			assert_eq!(records().len(), 1);
			while System::block_number() <= 2 + TIMEOUT + 11 {
				worker_block(&pool);
			}
			assert!(records().is_empty(), "expired records are cleared");
			assert_eq!(runs.load(Ordering::SeqCst), 1);
		});
	}

	#[test]
	fn three_local_providers_commit_then_reveal_and_agree() {
		let (mut ext, pool, runs) = worker_ext();
		ext.execute_with(|| {
			UintAuthorityId::set_all_keys(vec![key(1), key(2), key(3)]);
			let hash = upload();
			providers(&[1, 2, 3]);
			ok(submit(hash, 3, true));
			assert_eq!(worker_block(&pool), 3, "three commitments");
			assert_eq!(runs.load(Ordering::SeqCst), 3);
			assert_eq!(worker_block(&pool), 3, "three reveals");
			assert!(matches!(
				TaskRecords::<Test>::get(0).unwrap().state,
				TaskState::Completed { .. }
			));
			assert_eq!(runs.load(Ordering::SeqCst), 3, "each provider ran it once");
		});
	}

	#[test]
	fn without_a_sandbox_the_worker_reports_and_sends_nothing() {
		let mut ext = new_test_ext();
		let (offchain, _) = TestOffchainExt::new();
		let (tx_pool, pool) = TestTransactionPoolExt::new();
		ext.register_extension(OffchainDbExt::new(offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(tx_pool));
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
			assert!(pool.read().transactions.is_empty());
		});
	}
}
