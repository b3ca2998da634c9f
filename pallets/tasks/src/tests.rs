//! The tasks pallet against fakes of the market, the judge and reputation: workloads, submission,
//! queueing, carrying out decisions (payments, refunds, slashes, verdicts), timeouts,
//! cancellation and pruning, with the pallet's invariants checked after every step.
#![allow(clippy::unwrap_used)]

use crate::{
	mock::*, AgreedOutcome, Decision, Error, Event, FailureReason, HoldReason, Outputs, Queue,
	Status, TaskFailure, TaskLedger, TaskState, Tasks as TaskRecords, Timeouts, Verdict, Workloads,
};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold},
	sp_runtime::{DispatchResult, Perbill},
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

/// Providers `who` at `PRICE` in the fake market.
fn providers(who: &[u64]) {
	for &p in who {
		provider(p, PRICE);
	}
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

/// The judge's decision that `output` won with `fuel_used`, with `verdicts` in order.
fn agreed(output: &[u8], fuel_used: u64, verdicts: Vec<(u64, Option<Verdict>)>) -> Decision<u64> {
	Decision {
		result: Ok(AgreedOutcome { status: Status::Success, output: output.to_vec(), fuel_used }),
		verdicts,
	}
}

/// Attestation hands `decision` over for `task_id`, as at its last answer.
fn settle(task_id: u64, decision: Decision<u64>) {
	<Tasks as TaskLedger<u64, u64>>::settle(task_id, decision);
	check_invariants();
}

/// The only provider of `task_id` answered `output` with `fuel_used`, and it settles.
fn answered(task_id: u64, output: &[u8], fuel_used: u64) {
	let provider = assigned(task_id)[0];
	settle(task_id, agreed(output, fuel_used, vec![(provider, Some(Verdict::Agreed))]));
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
		System::assert_has_event(
			polkadot_sdk::pallet_balances::Event::Held {
				reason: WorkloadHoldReason::get(),
				who: REQUESTER,
				amount: deposit,
			}
			.into(),
		);
		System::assert_last_event(
			Event::WorkloadUploaded { hash, owner: REQUESTER, len: code.len() as u32 }.into(),
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
		answered(0, b"out", 1_000);
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
				submit_with(hash, input.clone(), FUEL, 16, u128::MAX, 1, TIMEOUT, true),
				EscrowOverflow,
			),
			(
				submit_with(hash, input.clone(), FUEL, 16, ENDOWMENT * 10, 1, TIMEOUT, true),
				InsufficientBalance,
			),
			// Above every offer: fuel, memory, price; and more providers than exist.
			(
				submit_with(hash, input.clone(), 10 * FUEL + 1, 16, MAX_PRICE, 1, 20, true),
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
		assert_eq!(market(1).busy, 0, "no slot taken");
	});
}

#[test]
fn an_agreed_decision_pays_the_provider_at_its_price_and_refunds_the_rest() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		let (requester_before, provider_before) = (free(REQUESTER), free(1));
		let issuance = Balances::total_issuance();
		ok(submit(hash, 1, true));
		assert_eq!(escrow_held(), escrow(1));
		System::assert_has_event(
			Event::TaskAssigned { task_id: 0, providers: vec![1], deadline: 1 + TIMEOUT }.into(),
		);
		assert_eq!(
			<Tasks as TaskLedger<u64, u64>>::open_tasks_of(&1),
			vec![0],
			"the provider's node finds its task"
		);
		let work = <Tasks as TaskLedger<u64, u64>>::work(0).unwrap();
		assert_eq!(
			(work.code, work.input, work.fuel_limit),
			(wasm(b"workload"), b"input".to_vec(), FUEL)
		);
		let fuel_used = 123_457;
		answered(0, b"result", fuel_used);
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
		assert_eq!(records(), vec![(1, Verdict::Agreed, payment)], "valued at what it was paid");
		assert_eq!(market(1).busy, 0, "its slot is free");
		assert!(<Tasks as TaskLedger<u64, u64>>::assignment(0).is_none(), "settled");
		settle(0, agreed(b"again", 1, vec![(1, Some(Verdict::Agreed))]));
		assert_eq!(free(1), provider_before + payment, "a settled task settles once");
	});
}

#[test]
fn out_voted_and_silent_providers_are_slashed_silence_less_and_winners_paid() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(submit(hash, 3, true));
		assert_eq!(assigned(0), vec![1, 2, 3]);
		use Verdict::*;
		settle(
			0,
			agreed(b"good", 500, vec![(1, Some(Agreed)), (2, Some(OutVoted)), (3, Some(NoShow))]),
		);
		System::assert_has_event(Event::ProviderPaid { task_id: 0, provider: 1, amount: 1 }.into());
		for (p, amount) in [(2, SLASH), (3, NO_SHOW_SLASH)] {
			System::assert_has_event(
				Event::ProviderSlashed { task_id: 0, provider: p, amount }.into(),
			);
			assert_eq!(market(p).slashed, amount);
		}
		assert_eq!(market(1).slashed, 0);
		let value = (FUEL as u128 * PRICE).div_ceil(1_000_000);
		assert_eq!(records(), vec![(1, Agreed, 1), (2, OutVoted, value), (3, NoShow, value)]);
		assert!((1..=3).all(|p| market(p).busy == 0), "every slot is free");
	});
}

#[test]
fn without_consensus_the_requester_is_refunded_and_nobody_is_slashed() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		let before = free(REQUESTER);
		ok(submit(hash, 3, true));
		settle(
			0,
			Decision {
				result: Err(FailureReason::NoConsensus),
				verdicts: vec![(1, None), (2, None), (3, Some(Verdict::NoShow))],
			},
		);
		let reason = TaskFailure::Attestation(FailureReason::NoConsensus);
		System::assert_has_event(Event::TaskFailed { task_id: 0, reason }.into());
		assert_eq!(free(REQUESTER), before - BASE_FEE, "refunded but the base fee");
		// Nobody showed the task feasible: the silent one is recorded, not slashed.
		assert_eq!((market(1).slashed, market(2).slashed, market(3).slashed), (0, 0, 0));
		assert_eq!(records().len(), 1, "only the silent one's verdict is evidence");
		assert!(Outputs::<Test>::get(0).is_none());
	});
}

#[test]
fn an_unanswered_task_fails_at_its_deadline_with_its_providers_unslashed_no_shows() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, true));
		while System::block_number() < 1 + TIMEOUT {
			next_block();
		}
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Assigned { .. }));
		next_block();
		let reason = TaskFailure::Attestation(FailureReason::NoAnswer);
		System::assert_has_event(Event::TaskFailed { task_id: 0, reason }.into());
		assert_eq!(market(1).slashed, 0, "when nobody answers, nobody is slashed");
		assert_eq!(records().len(), 1, "the silence is recorded");
		assert_eq!(escrow_held(), 0);
		assert_eq!(Timeouts::<Test>::iter().count(), 0, "its timeout is gone");
	});
}

#[test]
fn an_answered_task_settled_at_its_deadline_is_charged_what_the_judge_reports() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, true));
		decide(0, agreed(b"good", 10, vec![(1, Some(Verdict::Agreed))]));
		let (due, _) = Timeouts::<Test>::iter().find(|(_, ids)| ids.contains(&0)).unwrap();
		while System::block_number() + 1 < due {
			next_block();
		}
		System::set_block_number(due);
		let charged =
			<Tasks as polkadot_sdk::frame_support::traits::Hooks<u64>>::on_initialize(due);
		check_invariants();
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Completed { .. }));
		assert!(charged.all_gte(ANSWERED_DECISION_WEIGHT), "{charged:?}");
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
		answered(0, b"out", 10);
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
		answered(0, b"out", 10);
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
fn only_a_queued_task_can_be_cancelled() {
	test(|| {
		let hash = upload();
		let before = free(REQUESTER);
		ok(submit(hash, 1, false));
		assert_noop!(Tasks::cancel_task(signed(11), 0), Error::<Test>::NotRequester);
		assert_noop!(Tasks::cancel_task(signed(REQUESTER), 9), Error::<Test>::UnknownTask);
		ok(Tasks::cancel_task(signed(REQUESTER), 0));
		assert_eq!(free(REQUESTER), before - BASE_FEE, "a queued task costs its base fee");
		System::assert_last_event(
			Event::TaskFailed { task_id: 0, reason: TaskFailure::Cancelled }.into(),
		);
		assert_noop!(Tasks::cancel_task(signed(REQUESTER), 0), Error::<Test>::NotCancellable);
		providers(&[1, 2, 3]);
		ok(submit(hash, 3, true));
		// Assigned: its providers are at work; it runs to its outcome or its timeout.
		assert_noop!(Tasks::cancel_task(signed(REQUESTER), 1), Error::<Test>::NotCancellable);
	});
}

#[test]
fn settled_tasks_are_pruned_after_the_retention_period() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, true));
		answered(0, b"out", 10);
		for _ in 0..RETENTION {
			assert!(TaskRecords::<Test>::get(0).is_some());
			next_block();
		}
		assert!(TaskRecords::<Test>::get(0).is_none() && Outputs::<Test>::get(0).is_none());
		System::assert_has_event(Event::TaskPruned { task_id: 0 }.into());
	});
}

/// The deposit invariant sees a deposit held with no workload behind it.
#[test]
fn a_deposit_without_a_workload_breaks_the_invariant() {
	use polkadot_sdk::{frame_support::traits::fungible::MutateHold, sp_runtime::traits::Convert};
	test(|| {
		upload();
		assert_eq!(Tasks::check_deposits(WorkloadPrice::convert), Ok(()));
		assert_ok!(Balances::hold(&HoldReason::WorkloadDeposit.into(), &11, 5));
		assert_eq!(
			Tasks::check_deposits(WorkloadPrice::convert),
			Err("held deposit differs from workload deposits")
		);
		assert_ok!(Balances::release(
			&HoldReason::WorkloadDeposit.into(),
			&11,
			5,
			polkadot_sdk::frame_support::traits::tokens::Precision::Exact
		));
	});
}

#[test]
fn the_shortest_timeout_follows_the_fuel() {
	test(|| {
		// 1e6 fuel per block in the mock: run = 1 + ceil(fuel / 1e6), commits for run + 2,
		// timeout at least that (k = 1) or that + 3 (k ≥ 3), never below MIN_TIMEOUT.
		assert_eq!(Tasks::windows(1, 1), (4, MIN_TIMEOUT));
		assert_eq!(Tasks::windows(1, 3), (4, 7));
		assert_eq!(Tasks::windows(10_000_000, 1), (13, 13));
		assert_eq!(Tasks::windows(10_000_000, 3), (13, 16));
		assert_eq!(Tasks::windows(u64::MAX, 3).0, u64::MAX.div_ceil(1_000_000) + 3);
		let hash = upload();
		let heavy = |timeout| {
			Tasks::submit_task(
				signed(REQUESTER),
				hash,
				b"input".to_vec(),
				10_000_000,
				16,
				MAX_PRICE,
				1,
				Perbill::zero(),
				timeout,
				false,
			)
		};
		assert_noop!(heavy(12), Error::<Test>::TimeoutTooShort);
		ok(heavy(13));
		let quote = Tasks::quote(10_000_000, 16, 3, MAX_PRICE, Perbill::zero(), REQUESTER);
		assert_eq!(quote.min_timeout, 16);
	});
}
