//! The tasks pallet against fakes of the market, the judge and reputation: workloads, submission,
//! queueing, carrying out decisions (payments, refunds, slashes, verdicts), timeouts,
//! cancellation and pruning, with the pallet's invariants checked after every step.
#![allow(clippy::unwrap_used)]

use crate::{
	mock::*, AgreedOutcome, AuditFinding, Authored, CommitteeJudgement, Decision, Error, Event,
	FailureReason, HoldReason, MemberPart, Outputs, Pending, Queue, Status, TaskFailure,
	TaskLedger, TaskState, Tasks as TaskRecords, TimeoutCursor, Timeouts, Upheld, Verdict,
	Workloads,
};
use codec::Encode;
use polkadot_sdk::sp_core::ConstU32;
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

/// The block that assigns a task submitted in the tests' first block.
const ASSIGNED_AT: u64 = 2;

/// Queue at the least rent.
const RENT: Option<u128> = Some(MIN_QUEUE_RENT);

/// Submits a task and, if that succeeds, starts the next block, which assigns it (or queues
/// or fails it).
fn submit(hash: [u8; 32], replication: u32, queue_rent: Option<u128>) -> DispatchResult {
	submit_pending(hash, replication, queue_rent)?;
	next_block();
	Ok(())
}

/// A signed transaction of `who` submitting a task: its nonce moves first, as `CheckNonce`
/// moves it, so each has its own entropy.
fn submit_by(who: u64, hash: [u8; 32], queue_rent: Option<u128>) -> DispatchResult {
	System::inc_account_nonce(who);
	submission(who, hash, 1, queue_rent)
}

/// Submits a task, which the next block assigns.
fn submit_pending(hash: [u8; 32], replication: u32, queue_rent: Option<u128>) -> DispatchResult {
	submission(REQUESTER, hash, replication, queue_rent)
}

/// `who` submits a task of the tests' input, fuel, price and timeout.
fn submission(
	who: u64,
	hash: [u8; 32],
	replication: u32,
	queue_rent: Option<u128>,
) -> DispatchResult {
	Tasks::submit_task(
		signed(who),
		hash,
		b"input".to_vec(),
		FUEL,
		16,
		MAX_PRICE,
		replication,
		Perbill::zero(),
		TIMEOUT,
		queue_rent,
		[7; 32],
		crate::mock::audit_terms(replication),
	)
}

/// The queued tasks' ids, in the order they are tried.
fn queued() -> Vec<u64> {
	Queue::<Test>::get().iter().map(|entry| entry.task_id).collect()
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
		revealed: verdicts
			.iter()
			.filter(|(_, verdict)| matches!(verdict, Some(Verdict::Agreed | Verdict::OutVoted)))
			.map(|(who, _)| *who)
			.collect(),
		committed: verdicts
			.iter()
			.filter(|(_, verdict)| matches!(verdict, Some(Verdict::Agreed | Verdict::OutVoted)))
			.map(|(who, _)| *who)
			.collect(),
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

/// The escrow of a task: a seat per provider (a lone task's auditor has one too) at
/// ceil(FUEL × MAX_PRICE / 1e6), and BASE_FEE.
fn escrow(k: u128) -> u128 {
	let seats = if k == 1 { 2 } else { k };
	seats * (FUEL as u128 * MAX_PRICE).div_ceil(1_000_000) + BASE_FEE
}

fn free(who: u64) -> u128 {
	Balances::free_balance(who)
}

fn escrow_held() -> u128 {
	escrow_held_by(REQUESTER)
}

fn escrow_held_by(who: u64) -> u128 {
	Balances::balance_on_hold(&HoldReason::TaskEscrow.into(), &who)
}

/// `who`'s storage deposits for tasks.
fn deposits_of(who: u64) -> u128 {
	Balances::balance_on_hold(&HoldReason::TaskStorage.into(), &who)
}

/// The deposit of a task stored with `items` items and `bytes` bytes.
fn deposit(items: u128, bytes: u128) -> u128 {
	items * DEPOSIT_BASE + bytes * DEPOSIT_PER_BYTE
}

/// The deposit of an open task of the tests' input (5 bytes) and `k` providers.
fn open_deposit(k: u128) -> u128 {
	// A lone answer's box holds the salt, the length and the padded output, sealed.
	let largest = if k == 1 { MAX_SEALED as u128 } else { MAX_OUTPUT as u128 };
	deposit(1 + k, 5 + largest * k)
}

/// The rent reserve of a task of the tests' timeout at `rent`: its timeout and a turn of the
/// queue (4 tasks, 2 tried per block).
fn reserve(rent: u128) -> u128 {
	rent * (TIMEOUT as u128 + 2)
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
		ok(submit(hash, 1, None));
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
		                   queue_rent: Option<u128>| {
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
				queue_rent,
				[7; 32],
				crate::mock::audit_terms(k),
			)
		};
		let input = b"in".to_vec();
		use Error::*;
		let cases: Vec<(DispatchResult, Error<Test>)> = vec![
			(
				submit_with([9; 32], input.clone(), FUEL, 16, MAX_PRICE, 1, TIMEOUT, None),
				UnknownWorkload,
			),
			(submit_with(hash, vec![], FUEL, 16, MAX_PRICE, 1, TIMEOUT, None), EmptyInput),
			(submit_with(hash, vec![0; 65], FUEL, 16, MAX_PRICE, 1, TIMEOUT, None), InputTooLarge),
			(submit_with(hash, input.clone(), 0, 16, MAX_PRICE, 1, TIMEOUT, None), ZeroFuel),
			(submit_with(hash, input.clone(), FUEL, 0, MAX_PRICE, 1, TIMEOUT, None), ZeroMemory),
			(
				submit_with(hash, input.clone(), FUEL, 4_097, MAX_PRICE, 1, TIMEOUT, None),
				MemoryTooLarge,
			),
			(submit_with(hash, input.clone(), FUEL, 16, 0, 1, TIMEOUT, None), ZeroPrice),
			(
				submit_with(hash, input.clone(), FUEL, 16, MAX_PRICE, 0, TIMEOUT, None),
				InvalidReplication,
			),
			(
				submit_with(hash, input.clone(), FUEL, 16, MAX_PRICE, 2, TIMEOUT, None),
				InvalidReplication,
			),
			(
				submit_with(hash, input.clone(), FUEL, 16, MAX_PRICE, 7, TIMEOUT, None),
				InvalidReplication,
			),
			(
				submit_with(hash, input.clone(), FUEL, 16, MAX_PRICE, 1, MIN_TIMEOUT - 1, None),
				TimeoutTooShort,
			),
			(submit_with(hash, input.clone(), FUEL, 16, MAX_PRICE, 1, 101, None), TimeoutTooLong),
			(
				submit_with(hash, input.clone(), FUEL, 16, u128::MAX, 1, TIMEOUT, None),
				EscrowOverflow,
			),
			(
				submit_with(hash, input.clone(), FUEL, 16, ENDOWMENT * 10, 1, TIMEOUT, None),
				InsufficientBalance,
			),
			// Above every offer: fuel, memory, price; and more providers than exist.
			(
				submit_with(hash, input.clone(), 10 * FUEL + 1, 16, MAX_PRICE, 1, 20, None),
				NoProviderAvailable,
			),
			(
				submit_with(hash, input.clone(), FUEL, 65, MAX_PRICE, 1, TIMEOUT, None),
				NoProviderAvailable,
			),
			(
				submit_with(hash, input.clone(), FUEL, 16, PRICE - 1, 1, TIMEOUT, None),
				NoProviderAvailable,
			),
			(
				submit_with(hash, input.clone(), FUEL, 16, MAX_PRICE, 3, TIMEOUT, None),
				NoProviderAvailable,
			),
			(
				submit_with(
					hash,
					input.clone(),
					FUEL,
					16,
					MAX_PRICE,
					3,
					TIMEOUT,
					Some(MIN_QUEUE_RENT - 1),
				),
				QueueRentTooLow,
			),
		];
		for (result, error) in cases {
			let expected: DispatchResult = Err(error.into());
			assert_eq!(result, expected);
		}
		assert_eq!((escrow_held(), deposits_of(REQUESTER)), (0, 0));
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
		ok(submit(hash, 1, None));
		assert_eq!(escrow_held(), escrow(1));
		assert_eq!(deposits_of(REQUESTER), open_deposit(1), "the input and one largest output");
		System::assert_has_event(
			Event::TaskAssigned { task_id: 0, providers: vec![1], deadline: ASSIGNED_AT + TIMEOUT }
				.into(),
		);
		assert_eq!(
			<Tasks as TaskLedger<u64, u64>>::open_tasks_of(&1),
			vec![0],
			"the provider's node finds its task"
		);
		let work = <Tasks as TaskLedger<u64, u64>>::work(0, &1).unwrap();
		assert_eq!(work.confidential, None, "a public task");
		assert_eq!(
			(work.code, work.input, work.fuel_limit),
			(wasm(b"workload"), b"input".to_vec(), FUEL)
		);
		let fuel_used = 123_457;
		answered(0, b"result", fuel_used);
		let payment = (fuel_used as u128 * PRICE).div_ceil(1_000_000);
		assert_eq!(free(1), provider_before + payment);
		let kept = deposit(2, 5 + 6);
		assert_eq!(deposits_of(REQUESTER), kept, "the task, its input and its output");
		assert_eq!(free(REQUESTER), requester_before - payment - BASE_FEE - kept);
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
		assert_eq!(records(), vec![], "a lone answer nobody checked is paid, not evidence");
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
		ok(submit(hash, 3, None));
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
		ok(submit(hash, 3, None));
		settle(
			0,
			Decision {
				result: Err(FailureReason::NoConsensus),
				verdicts: vec![(1, None), (2, None), (3, Some(Verdict::NoShow))],
				revealed: vec![1, 2],
				committed: vec![1, 2],
			},
		);
		let reason = TaskFailure::Attestation(FailureReason::NoConsensus);
		System::assert_has_event(Event::TaskFailed { task_id: 0, reason }.into());
		let kept = deposit(1, 5);
		assert_eq!(deposits_of(REQUESTER), kept, "the task and its input");
		assert_eq!(free(REQUESTER), before - BASE_FEE - kept, "refunded but the base fee");
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
		ok(submit(hash, 1, None));
		while System::block_number() < ASSIGNED_AT + TIMEOUT {
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
		ok(submit(hash, 1, None));
		decide(0, agreed(b"good", 10, vec![(1, Some(Verdict::Agreed))]));
		let (due, _, _) = Timeouts::<Test>::iter().find(|(_, id, _)| *id == 0).unwrap();
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
			ok(submit(hash, 1, RENT));
		}
		assert_noop!(submit(hash, 1, None), Error::<Test>::NoProviderAvailable);
		ok(submit(hash, 1, RENT));
		System::assert_last_event(Event::TaskQueued { task_id: 4, rent: MIN_QUEUE_RENT }.into());
		assert_eq!(queued(), vec![4]);
		assert_eq!(escrow_held(), 5 * escrow(1) + reserve(MIN_QUEUE_RENT), "its reserve is held");
		next_block();
		assert_eq!(queued(), vec![4], "still no free slot");
		answered(0, b"out", 10);
		let issuance = Balances::total_issuance();
		next_block();
		assert!(Queue::<Test>::get().is_empty());
		assert_eq!(assigned(4), vec![1]);
		// It waited two blocks: their rent is burned, the rest of its reserve released.
		System::assert_has_event(
			Event::QueueRentBurned { task_id: 4, amount: 2 * MIN_QUEUE_RENT }.into(),
		);
		assert_eq!(Balances::total_issuance(), issuance - 2 * MIN_QUEUE_RENT);
		assert_eq!(escrow_held(), 4 * escrow(1), "no reserve is left held");
		for _ in 0..4 {
			ok(submit(hash, 1, RENT));
		}
		assert_noop!(submit(hash, 1, RENT), Error::<Test>::QueueFull);
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
			ok(submit(hash, 1, RENT));
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
			RENT,
			[7; 32],
			crate::mock::audit_terms(1),
		));
		ok(submit(hash, 1, RENT));
		assert_eq!(queued(), vec![4, 5]);
		answered(0, b"out", 10);
		next_block();
		assert_eq!(assigned(5), vec![1], "the task behind the stuck one got the free slot");
		assert_eq!(queued(), vec![4]);
	});
}

#[test]
fn a_queued_task_fails_after_its_timeout_and_is_refunded_but_its_rent_and_the_base_fee() {
	test(|| {
		let hash = upload();
		let before = free(REQUESTER);
		let issuance = Balances::total_issuance();
		ok(submit(hash, 1, RENT));
		for _ in 0..=TIMEOUT {
			next_block();
		}
		System::assert_has_event(
			Event::TaskFailed { task_id: 0, reason: TaskFailure::NoProvider }.into(),
		);
		// Queued at block 1, found expired at block 12: 11 blocks of rent.
		let rent = 11 * MIN_QUEUE_RENT;
		System::assert_has_event(Event::QueueRentBurned { task_id: 0, amount: rent }.into());
		assert_eq!(free(REQUESTER), before - BASE_FEE - rent - deposit(1, 5));
		assert_eq!(escrow_held(), 0);
		assert_eq!(Balances::total_issuance(), issuance - BASE_FEE - rent, "fee and rent burned");
	});
}

#[test]
fn only_a_queued_task_can_be_cancelled() {
	test(|| {
		let hash = upload();
		let before = free(REQUESTER);
		ok(submit(hash, 1, RENT));
		assert_noop!(Tasks::cancel_task(signed(11), 0), Error::<Test>::NotRequester);
		assert_noop!(Tasks::cancel_task(signed(REQUESTER), 9), Error::<Test>::UnknownTask);
		ok(Tasks::cancel_task(signed(REQUESTER), 0));
		// Cancelled in the block it was queued: it pays a turn of the queue (2 blocks).
		let rent = 2 * MIN_QUEUE_RENT;
		assert_eq!(
			free(REQUESTER),
			before - BASE_FEE - rent - deposit(1, 5),
			"a queued task costs its base fee and a turn of rent"
		);
		System::assert_last_event(
			Event::TaskFailed { task_id: 0, reason: TaskFailure::Cancelled }.into(),
		);
		assert_noop!(Tasks::cancel_task(signed(REQUESTER), 0), Error::<Test>::NotCancellable);
		providers(&[1, 2, 3]);
		ok(submit(hash, 3, None));
		// Assigned: its providers are at work; it runs to its outcome or its timeout.
		assert_noop!(Tasks::cancel_task(signed(REQUESTER), 1), Error::<Test>::NotCancellable);
	});
}

#[test]
fn settled_tasks_are_pruned_after_the_retention_period() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, None));
		answered(0, b"out", 10);
		for _ in 0..RETENTION {
			assert!(TaskRecords::<Test>::get(0).is_some());
			next_block();
		}
		assert!(TaskRecords::<Test>::get(0).is_none() && Outputs::<Test>::get(0).is_none());
		System::assert_has_event(Event::TaskPruned { task_id: 0 }.into());
		assert_eq!(deposits_of(REQUESTER), 0, "pruning returns the deposit");
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

/// The deadline invariants catch a place lost, a second place and a place behind the cursor
/// (each would leave a task never settled, or settled twice).
#[test]
fn a_missing_doubled_or_skipped_deadline_place_breaks_the_invariant() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, None));
		let (at, id, ()) = Timeouts::<Test>::iter().next().unwrap();
		Timeouts::<Test>::remove(at, id);
		assert_eq!(
			Tasks::do_try_state(),
			Err("an assigned or pending task without a deadline place: never settled")
		);
		Timeouts::<Test>::insert(at, id, ());
		Timeouts::<Test>::insert(at + 1, id, ());
		assert_eq!(Tasks::do_try_state(), Err("a task holds two deadlines"));
		Timeouts::<Test>::remove(at + 1, id);
		let cursor = TimeoutCursor::<Test>::get();
		TimeoutCursor::<Test>::put(at + 1);
		assert_eq!(Tasks::do_try_state(), Err("the deadline cursor is ahead of the chain"));
		System::set_block_number(at + 1);
		assert_eq!(Tasks::do_try_state(), Err("a deadline behind the cursor, never settled"));
		System::set_block_number(ASSIGNED_AT);
		TimeoutCursor::<Test>::put(cursor);
		assert_eq!(Tasks::do_try_state(), Ok(()));
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
				RENT,
				[7; 32],
				crate::mock::audit_terms(1),
			)
		};
		assert_noop!(heavy(12), Error::<Test>::TimeoutTooShort);
		ok(heavy(13));
		let quote = Tasks::quote(10_000_000, 16, 3, MAX_PRICE, Perbill::zero(), REQUESTER);
		assert_eq!(quote.min_timeout, 16);
	});
}

const SQUATTER: u64 = 11;

/// A task of `who` that no provider can ever take (a reputation floor of 100 %), queued at
/// `rent`.
fn squat(hash: [u8; 32], who: u64, rent: u128) -> DispatchResult {
	Tasks::submit_task(
		signed(who),
		hash,
		b"input".to_vec(),
		FUEL,
		16,
		MAX_PRICE,
		1,
		Perbill::one(),
		TIMEOUT,
		Some(rent),
		[7; 32],
		crate::mock::audit_terms(1),
	)
}

/// The attack of the queue: tasks that can never run fill it. Each place costs its rent for
/// every block held (burned), a place cannot be kept against a tenth more rent, and the
/// honest task that outbid one is assigned as soon as a slot frees.
#[test]
fn a_squatted_queue_costs_rent_and_never_keeps_out_a_task_that_pays_more() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		let (squatter_before, issuance) = (free(SQUATTER), Balances::total_issuance());
		// Submitted in block 1, queued in block 2.
		for _ in 0..4 {
			ok(squat(hash, SQUATTER, MIN_QUEUE_RENT));
		}
		next_block();
		assert_eq!(queued(), vec![0, 1, 2, 3]);
		// Equal rent, or less than a tenth more, does not get in.
		assert_noop!(squat(hash, SQUATTER, MIN_QUEUE_RENT), Error::<Test>::QueueFull);
		for _ in 0..3 {
			next_block();
		}
		// The provider's slots are busy from block 6: the honest task must wait, and outbids
		// the youngest squatter at a tenth more in block 7.
		for _ in 0..4 {
			ok(submit_pending(hash, 1, None));
		}
		next_block();
		assert_noop!(submit(hash, 1, Some(MIN_QUEUE_RENT)), Error::<Test>::QueueFull);
		let honest_rent = MIN_QUEUE_RENT + MIN_QUEUE_RENT.div_ceil(10);
		ok(submit(hash, 1, Some(honest_rent)));
		System::assert_has_event(
			Event::TaskFailed { task_id: 3, reason: TaskFailure::Outbid }.into(),
		);
		// Outbid after five blocks: it paid five blocks of rent and the base fee.
		let outbid_cost = 5 * MIN_QUEUE_RENT + BASE_FEE;
		System::assert_has_event(
			Event::QueueRentBurned { task_id: 3, amount: 5 * MIN_QUEUE_RENT }.into(),
		);
		let mut places = queued();
		places.sort();
		assert_eq!(places, vec![0, 1, 2, 8]);
		// The squatter cannot win its place back for the same rent.
		assert_noop!(squat(hash, SQUATTER, MIN_QUEUE_RENT), Error::<Test>::QueueFull);
		// A slot frees: within a turn of the queue the honest task is tried and assigned.
		answered(4, b"out", 10);
		next_block();
		next_block();
		assert_eq!(assigned(8), vec![1]);
		assert_eq!(queued().len(), 3);
		// The squatters still queued keep paying, block by block, until they expire at their
		// turn of the queue: two at block 13 (11 blocks after they were queued), one at 14.
		for _ in 0..=TIMEOUT {
			next_block();
		}
		assert!(Queue::<Test>::get().is_empty());
		let squatted = (11 + 11 + 12) * MIN_QUEUE_RENT + 3 * BASE_FEE + outbid_cost;
		assert_eq!(
			free(SQUATTER),
			squatter_before - squatted - 4 * deposit(1, 5),
			"the squatter paid rent for every place and block, and the base fees"
		);
		assert_eq!(deposits_of(SQUATTER), 4 * deposit(1, 5));
		// Burned: the squatter's rent and fees, the honest task's two blocks of rent, and the
		// base fees of the five honest tasks (one answered, four timed out by now).
		assert_eq!(
			Balances::total_issuance(),
			issuance - squatted - 2 * honest_rent - 5 * BASE_FEE,
		);
	});
}

#[test]
fn rent_outbids_by_a_tenth() {
	test(|| {
		assert!(!Tasks::outbids(10, 10));
		assert!(!Tasks::outbids(10, 11));
		assert!(Tasks::outbids(11, 10));
		assert!(!Tasks::outbids(109, 100));
		assert!(Tasks::outbids(110, 100));
		assert!(Tasks::outbids(1, 0), "tasks queued before rent give way to any rent");
		assert!(!Tasks::outbids(0, 0));
		assert!(!Tasks::outbids(u128::MAX, u128::MAX));
		assert_eq!(Tasks::rent_reserve(MIN_QUEUE_RENT, TIMEOUT), Some(reserve(MIN_QUEUE_RENT)));
		assert_eq!(Tasks::rent_reserve(u128::MAX, TIMEOUT), None);
	});
}

/// Rent nobody can pay is refused before anything is held; so is a deposit that overflows.
#[test]
fn rent_and_deposits_that_cannot_be_paid_hold_nothing() {
	test(|| {
		let hash = upload();
		assert_noop!(squat(hash, SQUATTER, u128::MAX), Error::<Test>::EscrowOverflow);
		assert_noop!(squat(hash, SQUATTER, ENDOWMENT), Error::<Test>::InsufficientBalance);
		assert_eq!((escrow_held(), deposits_of(SQUATTER)), (0, 0));
	});
}

/// The storage deposit follows what a task stores: held at submission for the input and one
/// largest output per provider, shrunk at settlement, returned at pruning.
#[test]
fn storage_deposits_follow_what_a_task_stores() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		let before = free(REQUESTER);
		ok(submit(hash, 3, None));
		System::assert_has_event(
			Event::TaskSubmitted {
				task_id: 0,
				requester: REQUESTER,
				workload: hash,
				escrow: escrow(3),
				deposit: open_deposit(3),
			}
			.into(),
		);
		assert_eq!(deposits_of(REQUESTER), open_deposit(3));
		use Verdict::*;
		settle(0, agreed(b"out", 10, vec![(1, Some(Agreed)), (2, Some(Agreed)), (3, None)]));
		assert_eq!(deposits_of(REQUESTER), deposit(2, 5 + 3));
		for _ in 0..RETENTION {
			next_block();
		}
		assert_eq!(deposits_of(REQUESTER), 0);
		let paid = 2 * (10 * PRICE).div_ceil(1_000_000);
		assert_eq!(free(REQUESTER), before - paid - BASE_FEE);
	});
}

/// Pruning the largest tasks keeps up: in the runtime its rate covers the most submissions
/// a block's weight allows (the integrity test); here, every settled task is pruned.
#[test]
fn pruning_returns_every_deposit() {
	test(|| {
		let hash = upload();
		for _ in 0..4 {
			ok(submit(hash, 1, RENT));
			ok(Tasks::cancel_task(signed(REQUESTER), Queue::<Test>::get()[0].task_id));
		}
		assert_eq!(deposits_of(REQUESTER), 4 * deposit(1, 5));
		for _ in 0..RETENTION {
			next_block();
		}
		assert_eq!(deposits_of(REQUESTER), 0);
		assert_eq!(TaskRecords::<Test>::iter().count(), 0);
	});
}

/// The queue without entropy (storage version 1) becomes a queue whose tasks carry entropy:
/// the old tasks keep their places, rents and reserves, and are drawn for as before.
#[test]
fn the_queue_migrates_to_entropy() {
	use crate::migrations::{v1, MigrateToQueueEntropy, QueueWithEntropy};
	use polkadot_sdk::frame_support::{
		storage::unhashed,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};
	use polkadot_sdk::sp_runtime::BoundedVec;
	test(|| {
		let hash = upload();
		for _ in 0..4 {
			ok(submit(hash, 1, RENT));
		}
		let before = Queue::<Test>::get();
		// Back to the old layout.
		let old: Vec<v1::QueuedTask<u128>> = before
			.iter()
			.map(|e| v1::QueuedTask { task_id: e.task_id, rent: e.rent, reserve: e.reserve })
			.collect();
		let old: BoundedVec<_, ConstU32<4>> = BoundedVec::truncate_from(old);
		unhashed::put_raw(&Queue::<Test>::hashed_key(), &old.encode());
		StorageVersion::new(1).put::<Tasks>();
		MigrateToQueueEntropy::<Test>::on_runtime_upgrade();
		assert_eq!(Tasks::on_chain_storage_version(), 2);
		let after = Queue::<Test>::get();
		assert_eq!(after.len(), 4);
		for (old, new) in old.iter().zip(after.iter()) {
			assert_eq!((old.task_id, old.rent, old.reserve), (new.task_id, new.rent, new.reserve));
			assert_eq!(new.entropy, QueueWithEntropy::<Test>::legacy_entropy(new.task_id));
		}
		check_invariants();
		// They are drawn for as before: a provider takes the first.
		providers(&[1]);
		next_block();
		assert_eq!(assigned(0), vec![1]);
	});
}

/// The blocks (in order) whose deadlines the tasks `ids` hold.
fn deadline_blocks(ids: core::ops::Range<u64>) -> Vec<u64> {
	ids.map(|id| Timeouts::<Test>::iter().find(|(_, t, _)| *t == id).unwrap().0).collect()
}

/// Tasks whose deadline was settled (failed unanswered at it).
fn settled(ids: core::ops::Range<u64>) -> usize {
	ids.filter(|id| matches!(TaskRecords::<Test>::get(id).unwrap().state, TaskState::Failed { .. }))
		.count()
}

/// Deadline blocks of one list each, at most 32 (storage version 2), become one map entry per
/// task with a cursor at the upgrade's block: every place is kept and settles as before.
#[test]
fn deadlines_migrate_to_a_map_without_a_limit() {
	use crate::migrations::{v2, MigrateToUnlimitedDeadlines};
	use polkadot_sdk::frame_support::traits::{
		GetStorageVersion, OnRuntimeUpgrade, StorageVersion,
	};
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		for who in 11..14 {
			ok(submit_by(who, hash, None));
		}
		next_block();
		ok(submit_by(14, hash, None));
		let mut places: Vec<(u64, u64)> =
			Timeouts::<Test>::iter().map(|(at, id, ())| (at, id)).collect();
		places.sort();
		assert_eq!(places.len(), 4, "three assigned, one pending");
		// Back to the old layout.
		let _ = Timeouts::<Test>::clear(u32::MAX, None);
		TimeoutCursor::<Test>::kill();
		for (at, id) in &places {
			v2::Timeouts::<Test>::mutate(at, |ids| ids.get_or_insert_with(Vec::new).push(*id));
		}
		StorageVersion::new(2).put::<Tasks>();
		MigrateToUnlimitedDeadlines::<Test>::on_runtime_upgrade();
		assert_eq!(Tasks::on_chain_storage_version(), 3);
		let mut after: Vec<(u64, u64)> =
			Timeouts::<Test>::iter().map(|(at, id, ())| (at, id)).collect();
		after.sort();
		assert_eq!(after, places);
		assert_eq!(TimeoutCursor::<Test>::get(), System::block_number());
		check_invariants();
		while Timeouts::<Test>::iter().next().is_some() {
			assert!(System::block_number() < places[3].0 + 8, "a deadline is never settled");
			next_block();
		}
		assert_eq!(settled(0..4), 4, "every deadline settled");
	});
}

/// Tasks submitted before the upgrade to one extras entry per task (storage version 3) keep
/// their reply key, coin and deposit in the three legacy maps: the migration moves nothing
/// and marks the first task with extras. Legacy and new tasks then live side by side: coins
/// shown and settled, deposits shrunk at settlement and returned at pruning, to the planck,
/// and the legacy maps drain.
#[test]
fn tasks_from_before_the_upgrade_keep_their_legacy_extras_until_pruned() {
	use crate::migrations::MigrateToExtrasInOneEntry;
	use polkadot_sdk::frame_support::traits::{
		GetStorageVersion, OnRuntimeUpgrade, StorageVersion,
	};
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(submit(hash, 1, None));
		ok(submit(hash, 1, None));
		ok(submit(hash, 1, None));
		assert_eq!(assigned(2), vec![1]);
		// Task 3 waits for its draw across the upgrade.
		ok(submit_pending(hash, 3, None));
		let workload_deposit = deposits_of(REQUESTER) - 3 * open_deposit(1) - open_deposit(3);
		// Back to the old layout: three maps.
		for task_id in 0..4 {
			let extra = crate::TaskExtras::<Test>::take(task_id).unwrap();
			crate::LegacyReplyKeys::<Test>::insert(task_id, extra.reply_key);
			crate::LegacyTaskDeposits::<Test>::insert(task_id, extra.deposit);
			if let Some(coin) = extra.coin {
				crate::LegacyAuditCoins::<Test>::insert(task_id, coin);
			}
		}
		StorageVersion::new(3).put::<Tasks>();
		MigrateToExtrasInOneEntry::<Test>::on_runtime_upgrade();
		assert_eq!(Tasks::on_chain_storage_version(), 4);
		assert_eq!(crate::ExtrasSince::<Test>::get(), 4);
		check_invariants();
		assert_eq!(Tasks::reply_key(0), Some([7; 32]), "read from the legacy map");
		assert!(Tasks::audit_coin(1).is_some());
		// Run again (a later upgrade), it moves nothing.
		MigrateToExtrasInOneEntry::<Test>::on_runtime_upgrade();
		assert_eq!(crate::ExtrasSince::<Test>::get(), 4);
		// Legacy task 3 is assigned after the upgrade, its digest bound to its legacy key.
		next_block();
		let task = TaskRecords::<Test>::get(3).unwrap();
		let TaskState::Assigned { assigned_at, .. } = task.state else { panic!("not assigned") };
		let digest = crate::Digests::<Test>::get(3).unwrap();
		assert_eq!(digest, Tasks::digest(&task, Some(&[7; 32]), None, assigned_at));
		// A task after the upgrade keeps its extras in one entry.
		ok(submit(hash, 1, None));
		assert!(crate::TaskExtras::<Test>::contains_key(4));
		assert!(!crate::LegacyReplyKeys::<Test>::contains_key(4));
		// Legacy task 0: its coin shown (no audit), its answer final; legacy tasks 1 and 3 and
		// new task 4: answered and settled.
		assert_eq!(hold(0, b"out", [1; 32]), Ok(()));
		assert!(!crate::LegacyAuditCoins::<Test>::contains_key(0), "the coin said no audit");
		answered(1, b"out", 10);
		answered(3, b"out", 10);
		answered(4, b"out", 10);
		// Legacy task 2: audited, its auditor silent: a replacement coin in the legacy map.
		assert_eq!(hold_unshown(2, b"out", [2; 32]), Ok(()));
		to_window_end(2);
		auditor_of(2);
		assert!(!crate::LegacyAuditCoins::<Test>::contains_key(2), "taken by the audit");
		<Tasks as TaskLedger<u64, u64>>::settle_audit(2, AuditFinding::AuditorSilent);
		check_invariants();
		assert_eq!(crate::LegacyAuditCoins::<Test>::get(2).unwrap().replaced, 1);
		to_window_end(2);
		auditor_of(2);
		<Tasks as TaskLedger<u64, u64>>::settle_audit(2, AuditFinding::AuditorAbstained);
		check_invariants();
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Delivered { .. }));
		assert!(matches!(
			TaskRecords::<Test>::get(2).unwrap().state,
			TaskState::Failed { reason: TaskFailure::Unaudited, .. }
		));
		let legacy_coin = crate::LegacyAuditCoins::<Test>::contains_key(1);
		assert!(legacy_coin, "a legacy coin goes with its task");
		assert_eq!(Tasks::audit_coin(4), None, "a new task's coin goes when it settles");
		// Past the retention of them all, one prune takes the four legacy tasks and the new one.
		let mut now = System::block_number();
		for task in TaskRecords::<Test>::iter_values() {
			if let TaskState::Completed { settled_at, .. }
			| TaskState::Delivered { settled_at, .. }
			| TaskState::Failed { settled_at, .. } = task.state
			{
				now =
					now.max(
						settled_at
							+ <<Test as crate::Config>::Retention as polkadot_sdk::sp_core::Get<
								u64,
							>>::get(),
					);
			}
		}
		assert_eq!(Tasks::prune(now), (5, 4), "five ids passed, four of them legacy");
		check_invariants();
		assert_eq!(TaskRecords::<Test>::iter().count(), 0);
		assert_eq!(crate::LegacyReplyKeys::<Test>::iter().count(), 0);
		assert_eq!(crate::LegacyAuditCoins::<Test>::iter().count(), 0);
		assert_eq!(crate::LegacyTaskDeposits::<Test>::iter().count(), 0);
		assert_eq!(crate::TaskExtras::<Test>::iter().count(), 0);
		assert_eq!(deposits_of(REQUESTER), workload_deposit, "every task deposit returned");
	});
}

/// A burst of 32 tasks (twice the mock's old limit of 16 per block) shares one deadline block:
/// all are taken, and, with the least budget (what one block can create), the block settles
/// what fits and carries the rest over, none lost, in the same order on every node (the key
/// order of the deadline map).
#[test]
fn a_burst_sharing_one_deadline_is_taken_and_settled_over_blocks() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3, 4, 5, 6, 7, 8]);
		for who in 0..32 {
			ok(submit_by(11 + who % 8, hash, None));
		}
		next_block();
		let due = deadline_blocks(0..32);
		assert!(due.iter().all(|at| *at == due[0]), "one deadline block: {due:?}");
		DeadlineShare::set(Perbill::zero());
		while System::block_number() + 1 < due[0] {
			next_block();
		}
		let order: Vec<u64> = Timeouts::<Test>::iter_key_prefix(due[0]).collect();
		let most = Tasks::most_deadlines_created() as usize;
		assert!(most < 32, "the burst is more than a block settles ({most})");
		let mut seen = Vec::new();
		let mut carried = false;
		while Timeouts::<Test>::iter_key_prefix(due[0]).next().is_some() {
			assert!(System::block_number() < due[0] + 4, "the backlog does not move");
			next_block();
			let left: Vec<u64> = Timeouts::<Test>::iter_key_prefix(due[0]).collect();
			let new: Vec<u64> = order
				.iter()
				.copied()
				.filter(|id| !left.contains(id) && !seen.contains(id))
				.collect();
			let expected = if seen.is_empty() { most } else { 1 };
			assert!(new.len() >= expected.min(32 - seen.len()), "{} settled", new.len());
			seen.extend(new);
			if !left.is_empty() {
				carried = true;
				assert_eq!(TimeoutCursor::<Test>::get(), due[0], "the cursor waits on the block");
			}
		}
		assert!(carried, "some deadlines were carried over");
		assert_eq!(settled(0..32), 32);
		assert_eq!(seen, order, "settled in the map's order");
		next_block();
		assert_eq!(TimeoutCursor::<Test>::get(), System::block_number() + 1, "and moves on");
		assert_eq!(Timeouts::<Test>::iter().count(), 0);
		assert_eq!(escrow_held(), 0);
		assert_eq!(FakeProviders::get().iter().map(|p| p.busy).sum::<u32>(), 0);
	});
}

/// A deadline carried over (the first task's judging took the block's budget) settles in the
/// next block, judged as it would have been at its deadline. (No answer can come in between:
/// attestation refuses answers after the deadline, which its own tests stage.)
#[test]
fn a_deadline_carried_over_is_judged_as_at_the_deadline() {
	test(|| {
		let hash = upload();
		providers(&[1, 2]);
		ok(submit_by(11, hash, None));
		ok(submit_by(12, hash, None));
		next_block();
		decide(0, agreed(b"good", 10, vec![(assigned(0)[0], Some(Verdict::Agreed))]));
		decide(1, agreed(b"good", 10, vec![(assigned(1)[0], Some(Verdict::Agreed))]));
		let due = deadline_blocks(0..1)[0];
		DeadlineShare::set(Perbill::zero());
		while System::block_number() < due {
			next_block();
		}
		// The first answered task's judging takes the block's budget: the other waits.
		assert_eq!(Timeouts::<Test>::iter().count(), 1, "one carried over");
		assert_eq!(TimeoutCursor::<Test>::get(), due);
		next_block();
		for id in 0..2 {
			assert!(matches!(
				TaskRecords::<Test>::get(id).unwrap().state,
				TaskState::Completed { .. }
			));
		}
	});
}

/// A task is not assigned in the block that includes it: its seed is drawn from the next
/// block's randomness, which the including author cannot know, mixed with its entropy.
#[test]
fn a_task_is_assigned_in_the_next_block_with_that_blocks_randomness() {
	let draw_with = |randomness: [u8; 32]| {
		let mut seeds = Vec::new();
		test(|| {
			let hash = upload();
			providers(&[1]);
			set_randomness([7; 32]);
			ok(submit_pending(hash, 1, None));
			System::assert_last_event(
				Event::TaskSubmitted {
					task_id: 0,
					requester: REQUESTER,
					workload: hash,
					escrow: escrow(1),
					deposit: open_deposit(1),
				}
				.into(),
			);
			assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Queued { .. }));
			assert!(draw_seeds().is_empty(), "nothing is drawn in the including block");
			// The next block's randomness, set after the inclusion.
			set_randomness(randomness);
			next_block();
			assert_eq!(assigned(0), vec![1]);
			let entropy = Pending::<Test>::get().first().map(|e| e.entropy);
			assert!(entropy.is_none(), "nothing stays pending");
			seeds = draw_seeds();
			assert_eq!(
				seeds,
				vec![Tasks::seed(&Tasks::block_randomness(), &Tasks::entropy(&REQUESTER))]
			);
		});
		seeds
	};
	assert_ne!(draw_with([1; 32]), draw_with([2; 32]), "the seed follows the next block");
	assert_eq!(draw_with([1; 32]), draw_with([1; 32]));
}

/// The seed comes from the requester and its nonce: the same for a task whichever tasks the
/// author put before it, and different for each of a requester's transactions.
#[test]
fn a_tasks_seed_does_not_depend_on_the_tasks_included_before_it() {
	test(|| {
		let victim = Tasks::entropy(&REQUESTER);
		let hash = upload();
		for who in [11, 12, 13] {
			ok(submit_by(who, hash, RENT));
		}
		assert_eq!(Tasks::entropy(&REQUESTER), victim, "task ids moved, its entropy did not");
		System::inc_account_nonce(REQUESTER);
		assert_ne!(Tasks::entropy(&REQUESTER), victim, "its next transaction has another");
	});
}

/// Tasks submitted in one block are drawn for in the order of their seeds, not of inclusion:
/// with one slot left, which task gets it is the next block's randomness's choice.
#[test]
fn tasks_of_one_block_are_assigned_in_seed_order() {
	let winner = |randomness: [u8; 32]| {
		let mut winner = 0;
		test(|| {
			let hash = upload();
			providers(&[1]);
			// Three of its four slots busy.
			for _ in 0..3 {
				ok(submit(hash, 1, None));
			}
			for who in [11, 12] {
				ok(submit_by(who, hash, None));
			}
			set_randomness(randomness);
			next_block();
			let (first, second) = (3, 4);
			let reason = TaskFailure::NoProvider;
			winner = if matches!(
				TaskRecords::<Test>::get(first).unwrap().state,
				TaskState::Assigned { .. }
			) {
				System::assert_has_event(Event::TaskFailed { task_id: second, reason }.into());
				first
			} else {
				System::assert_has_event(Event::TaskFailed { task_id: first, reason }.into());
				assert_eq!(assigned(second), vec![1]);
				second
			};
			// The loser was free to submit (a slot was free), and pays only the base fee.
			let loser = if winner == first { 12 } else { 11 };
			assert_eq!(escrow_held_by(loser), 0);
			assert_eq!(free(loser), ENDOWMENT - BASE_FEE - deposit(1, 5));
		});
		winner
	};
	let winners: Vec<u64> = (0..8u8).map(|r| winner([r; 32])).collect();
	assert!(
		winners.contains(&3) && winners.contains(&4),
		"inclusion order decides nothing: {winners:?}"
	);
}

/// A task can be cancelled in the block that includes it: it holds no place in the queue, so
/// only its base fee is burned; its deadline place is given back and nothing is drawn for it.
#[test]
fn a_task_cancelled_before_its_assignment_pays_the_base_fee_only() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		let before = free(REQUESTER);
		ok(submit_pending(hash, 1, RENT));
		assert_eq!(Timeouts::<Test>::iter().count(), 1, "its deadline place is held");
		ok(Tasks::cancel_task(signed(REQUESTER), 0));
		assert!(Pending::<Test>::get().is_empty());
		assert_eq!(Timeouts::<Test>::iter().count(), 0, "and given back");
		assert_eq!(free(REQUESTER), before - BASE_FEE - deposit(1, 5));
		next_block();
		assert!(draw_seeds().is_empty());
		assert_eq!(market(1).busy, 0);
	});
}

/// A block takes at most `MaxPending` submissions: then a task that may not wait is refused,
/// one that may goes to the queue at once.
#[test]
fn a_block_full_of_submissions_refuses_or_queues_the_next() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
		// Different timeouts: the deadline blocks are not what fills up.
		for i in 0..32 {
			ok(Tasks::submit_task(
				signed(REQUESTER),
				hash,
				b"in".to_vec(),
				FUEL,
				16,
				MAX_PRICE,
				1,
				Perbill::zero(),
				TIMEOUT + i % 4,
				None,
				[7; 32],
				crate::mock::audit_terms(1),
			));
		}
		assert_noop!(submit_pending(hash, 1, None), Error::<Test>::SubmissionsFull);
		ok(submit_pending(hash, 1, RENT));
		System::assert_last_event(Event::TaskQueued { task_id: 32, rent: MIN_QUEUE_RENT }.into());
		next_block();
		assert_eq!(assigned(32).len(), 1, "tried first in the next block");
		assert!(TaskRecords::<Test>::iter_values()
			.all(|t| matches!(t.state, TaskState::Assigned { .. })));
	});
}

/// Two authorities, as `Authored` names them.
const ALICE: Authored = Authored::By([1; 32]);
const BOB: Authored = Authored::By([2; 32]);

/// Starts the next block, authored by `author`.
fn block_by(author: Authored) {
	set_author(author);
	next_block();
}

/// The tests' current block was Alice's (as its `on_initialize` would have recorded): her next
/// block draws nothing.
fn alice_authored_this_block() {
	set_author(ALICE);
	let _ = Tasks::may_draw();
}

fn pending() -> Vec<u64> {
	Pending::<Test>::get().iter().map(|entry| entry.task_id).collect()
}

fn is_queued(task_id: u64) -> bool {
	matches!(TaskRecords::<Test>::get(task_id).unwrap().state, TaskState::Queued { .. })
}

/// The author of a block and of its parent knew the block's VRF output while it sealed the
/// parent, and could grind the parent's hash into the draw: that block draws nothing. The
/// first block by another author draws, with its own randomness, and the task keeps its whole
/// timeout from then.
#[test]
fn a_block_whose_author_also_authored_its_parent_draws_nothing() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		set_author(ALICE);
		assert!(Tasks::may_draw(), "the first block by Alice draws (nothing waits)");
		ok(submit_pending(hash, 1, None));
		ok(submit_by(11, hash, RENT));
		block_by(ALICE);
		assert_eq!(pending(), vec![0, 1], "both still wait");
		assert!(draw_seeds().is_empty(), "nothing was drawn");
		System::assert_last_event(Event::AssignmentDeferred { waiting: 2 }.into());
		// Alice again: still nothing. Then Bob's block draws with its own randomness.
		block_by(ALICE);
		assert_eq!(pending(), vec![0, 1]);
		set_randomness([9; 32]);
		block_by(BOB);
		let now = System::block_number();
		assert_eq!(now, ASSIGNED_AT + 2);
		let randomness = Tasks::block_randomness();
		let mut seeds = draw_seeds();
		seeds.sort();
		let mut expected: Vec<_> = [REQUESTER, 11]
			.iter()
			.map(|who| Tasks::seed(&randomness, &Tasks::entropy(who)))
			.collect();
		expected.sort();
		assert_eq!(seeds, expected, "drawn with Bob's block's randomness");
		assert!(pending().is_empty());
		for task_id in [0, 1] {
			match TaskRecords::<Test>::get(task_id).unwrap().state {
				TaskState::Assigned { assigned_at, deadline, .. } => {
					assert_eq!(assigned_at, now);
					assert_eq!(deadline, now + TIMEOUT, "its whole timeout from the draw");
				}
				state => panic!("task {task_id} is not assigned: {state:?}"),
			}
		}
	});
}

/// Which blocks draw: another author's, a sole authority's every block, a block whose author
/// nothing names (genesis, tests); never a block without a VRF output, nor a run of one
/// author's blocks, however long (the chain has stopped finalizing by then: most authorities
/// are away).
#[test]
fn which_blocks_draw() {
	test(|| {
		for (author, draws) in [
			(ALICE, true),
			(ALICE, false),
			(ALICE, false),
			(ALICE, false),
			(BOB, true),
			(Authored::WithoutVrf([2; 32]), false),
			// Bob's block without a VRF output counts as his: his next block does not draw.
			(BOB, false),
			(Authored::WithoutVrf([1; 32]), false),
			(BOB, true),
			(Authored::Unknown, true),
			(BOB, true),
			(Authored::Alone, true),
			(Authored::Alone, true),
			(BOB, true),
			(BOB, false),
		] {
			set_author(author);
			assert_eq!(Tasks::may_draw(), draws, "{author:?}");
		}
	});
}

/// A task that no block drew for (one author made every block) fails at the deadline it would
/// have had, refunded less the base fee: it owes no rent, it never waited in the queue.
#[test]
fn a_task_never_drawn_fails_at_its_deadline_refunded_less_the_base_fee() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		alice_authored_this_block();
		let before = free(REQUESTER);
		ok(submit_pending(hash, 1, RENT));
		let held = Tasks::settles_at(ASSIGNED_AT, TIMEOUT);
		while System::block_number() < held {
			assert!(is_queued(0));
			block_by(ALICE);
		}
		System::assert_has_event(
			Event::TaskFailed { task_id: 0, reason: TaskFailure::NoProvider }.into(),
		);
		assert!(pending().is_empty());
		assert_eq!(free(REQUESTER), before - BASE_FEE - deposit(1, 5), "no rent burned");
		assert_eq!(escrow_held_by(REQUESTER), 0);
	});
}

/// A draw that waited moves the task's deadline later, to its full timeout from the draw,
/// however many tasks share that block.
#[test]
fn a_waited_draw_takes_its_full_timeout_however_many_share_the_block() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
		alice_authored_this_block();
		ok(submit_pending(hash, 1, None));
		for _ in 0..6 {
			block_by(ALICE);
		}
		// Sixteen tasks in the last deferred block share the block the victim's deadline moves
		// to when Bob draws.
		for who in 0..16 {
			ok(submit_by(11 + who % 8, hash, None));
		}
		block_by(BOB);
		match TaskRecords::<Test>::get(0).unwrap().state {
			TaskState::Assigned { assigned_at, deadline, .. } => {
				assert_eq!(assigned_at, ASSIGNED_AT + 6);
				assert_eq!(deadline, assigned_at + TIMEOUT);
			}
			state => panic!("not assigned: {state:?}"),
		}
		assert_eq!(
			deadline_blocks(0..17).iter().filter(|at| **at == ASSIGNED_AT + 7 + TIMEOUT).count(),
			17
		);
	});
}

/// A task whose draw waits can be cancelled: its deadline place comes back, only the base fee
/// is burned.
#[test]
fn a_task_whose_draw_waits_is_cancelled_for_the_base_fee() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		alice_authored_this_block();
		let before = free(REQUESTER);
		ok(submit_pending(hash, 1, RENT));
		block_by(ALICE);
		block_by(ALICE);
		ok(Tasks::cancel_task(signed(REQUESTER), 0));
		assert!(pending().is_empty());
		assert_eq!(Timeouts::<Test>::iter().count(), 0, "its place is given back");
		assert_eq!(free(REQUESTER), before - BASE_FEE - deposit(1, 5), "no rent");
		block_by(BOB);
		assert!(draw_seeds().is_empty());
	});
}

/// Waiting draws gather the submissions of several blocks: once `MaxPending` wait, a task that
/// may not wait is refused, one that may goes to the queue.
#[test]
fn submissions_of_deferred_blocks_share_the_pending_bound() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
		alice_authored_this_block();
		for _ in 0..16 {
			ok(submit_pending(hash, 1, None));
		}
		block_by(ALICE);
		for _ in 0..16 {
			ok(submit_pending(hash, 1, None));
		}
		assert_noop!(submit_pending(hash, 1, None), Error::<Test>::SubmissionsFull);
		ok(submit_pending(hash, 1, RENT));
		assert_eq!(queued(), vec![32]);
		block_by(BOB);
		assert!(pending().is_empty());
		assert!((0..32).all(|id| !is_queued(id)), "Bob's block drew all 32");
	});
}

/// A task names its requester's reply key: stored with it, bound into its digest (answers
/// sealed to another key would be for another task), and pruned with it. Keys nothing can be
/// sealed to are refused.
#[test]
fn a_task_names_its_reply_key_and_its_digest_binds_it() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		// 0, and p - 1 (p = 2^255 - 19): points of small order; and a usable key written with
		// its top bit set (X25519 ignores it): not the canonical encoding.
		let mut minus_one = [0xff; 32];
		minus_one[0] = 0xec;
		minus_one[31] = 0x7f;
		let mut top_bit = [7; 32];
		top_bit[31] |= 0x80;
		for key in [[0; 32], minus_one, top_bit] {
			assert_noop!(
				Tasks::submit_task(
					signed(REQUESTER),
					hash,
					b"input".to_vec(),
					FUEL,
					16,
					MAX_PRICE,
					1,
					Perbill::zero(),
					TIMEOUT,
					None,
					key,
					crate::mock::audit_terms(1),
				),
				Error::<Test>::UnusableReplyKey
			);
		}
		ok(submit(hash, 1, None));
		assert_eq!(Tasks::reply_key(0), Some([7; 32]));
		let task = TaskRecords::<Test>::get(0).unwrap();
		let digest = crate::Digests::<Test>::get(0).unwrap();
		assert_eq!(digest, Tasks::digest(&task, Some(&[7; 32]), None, ASSIGNED_AT));
		assert_ne!(
			digest,
			Tasks::digest(&task, Some(&[8; 32]), None, ASSIGNED_AT),
			"the key is bound"
		);
		answered(0, b"out", 10);
		while TaskRecords::<Test>::get(0).is_some() {
			next_block();
		}
		assert_eq!(Tasks::reply_key(0), None, "pruned with its task");
	});
}

/// A lone answer of provider 1 to task `task_id` (assigned to it), with `output` sealed to the
/// task's reply key under `salt`; its audit coin not shown.
fn hold_unshown(task_id: u64, output: &[u8], salt: [u8; 32]) -> Result<(), crate::HoldRefused> {
	use bourse_primitives::reply;
	let digest = crate::Digests::<Test>::get(task_id).unwrap();
	let key = Tasks::reply_key(task_id).unwrap();
	let sealed =
		reply::seal_seeded(&key, &digest, &salt, output, MAX_OUTPUT as usize, salt).unwrap();
	let proof = reply::execution_proof(&salt, &[1; 32]);
	let answer = bourse_primitives::SealedAnswer {
		status: Status::Success,
		fuel_used: 1_000,
		executor_version: bourse_primitives::EXECUTOR_VERSION,
		commitment: reply::answer_commitment(
			&digest,
			task_id,
			&1u64,
			Status::Success,
			1_000,
			bourse_primitives::EXECUTOR_VERSION,
			&salt,
			&reply::output_digest(output),
			&proof,
		),
		proof,
		max_output: MAX_OUTPUT,
		sealed_hash: polkadot_sdk::sp_io::hashing::blake2_256(&sealed),
	};
	<Tasks as TaskLedger<u64, u64>>::hold(task_id, &1, &answer, sealed)?;
	check_invariants();
	Ok(())
}

/// [`hold_unshown`], then the requester's client shows the coin (as it does once the answer is
/// on chain): no audit.
fn hold(task_id: u64, output: &[u8], salt: [u8; 32]) -> Result<(), crate::HoldRefused> {
	hold_unshown(task_id, output, salt)?;
	let requester = TaskRecords::<Test>::get(task_id).unwrap().requester;
	ok(Tasks::show_audit_coin(signed(requester), task_id, quiet_secret(task_id)));
	Ok(())
}

#[test]
fn held_answers_become_final_in_order_a_few_per_block_and_none_is_lost() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		for _ in 0..3 {
			ok(submit_pending(hash, 1, None));
		}
		next_block();
		let answered_at = System::block_number();
		for task_id in 0..3 {
			assert_eq!(hold(task_id, b"out", [task_id as u8; 32]), Ok(()));
			check_invariants();
		}
		assert_eq!(market(1).held, 3);
		while System::block_number() < answered_at + WINDOW - 1 {
			next_block();
		}
		assert!((0..3).all(|id| matches!(
			TaskRecords::<Test>::get(id).unwrap().state,
			TaskState::Answered { .. }
		)));
		// Two a block (the mock's `FinalizePerBlock`): the third waits a block, still held.
		next_block();
		let states: Vec<bool> = (0..3)
			.map(|id| {
				matches!(TaskRecords::<Test>::get(id).unwrap().state, TaskState::Delivered { .. })
			})
			.collect();
		assert_eq!(states, vec![true, true, false]);
		next_block();
		assert!(matches!(TaskRecords::<Test>::get(2).unwrap().state, TaskState::Delivered { .. }));
		assert_eq!(market(1).held, 0);
		assert_eq!(crate::HeldRange::<Test>::get(), (3, 3));
	});
}

#[test]
fn only_a_lone_assigned_task_of_the_provider_can_be_held_and_nothing_is_written_otherwise() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(submit_pending(hash, 3, None));
		ok(submit_pending(hash, 1, None));
		next_block();
		let answer = bourse_primitives::SealedAnswer {
			status: Status::Success,
			fuel_used: 0,
			executor_version: 0,
			commitment: [0; 32],
			proof: [0; 32],
			max_output: MAX_OUTPUT,
			sealed_hash: [0; 32],
		};
		let held = |task, provider, sealed| {
			<Tasks as TaskLedger<u64, u64>>::hold(task, &provider, &answer, sealed)
		};
		let provider = match TaskRecords::<Test>::get(1).unwrap().state {
			TaskState::Assigned { providers, .. } => providers[0].provider,
			other => panic!("{other:?}"),
		};
		let other = if provider == 1 { 2 } else { 1 };
		let before = (TaskRecords::<Test>::get(0), TaskRecords::<Test>::get(1));
		assert_eq!(held(0, 1, vec![1]), Err(crate::HoldRefused), "replicated");
		assert_eq!(held(7, provider, vec![1]), Err(crate::HoldRefused), "no such task");
		assert_eq!(held(1, other, vec![1]), Err(crate::HoldRefused), "another provider's");
		assert_eq!(
			held(1, provider, vec![0; MAX_SEALED as usize + 1]),
			Err(crate::HoldRefused),
			"too long"
		);
		assert_eq!((TaskRecords::<Test>::get(0), TaskRecords::<Test>::get(1)), before);
		assert!(crate::SealedOutputs::<Test>::iter().next().is_none(), "nothing written");
		assert_eq!(crate::HeldRange::<Test>::get(), (0, 0));
	});
}

#[test]
fn the_invariants_catch_a_held_answer_queued_twice() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, None));
		assert_eq!(hold(0, b"out", [1; 32]), Ok(()));
		check_invariants();
		let (first, end) = crate::HeldRange::<Test>::get();
		let entry = crate::HeldQueue::<Test>::get(first).unwrap();
		crate::HeldQueue::<Test>::insert(end, entry);
		crate::HeldRange::<Test>::put((first, end + 1));
		assert_eq!(Tasks::do_try_state(), Err("a held answer queued twice"));
		crate::HeldQueue::<Test>::remove(end);
		crate::HeldRange::<Test>::put((first, end));
	});
}

/// Task 0, lone, assigned to provider 1 and answered by it (its coin not shown), with providers
/// 1, 2 and 3 in the market and the requester offering too.
fn answered_alone() -> u64 {
	let hash = upload();
	providers(&[1, 2, 3]);
	provider(REQUESTER, PRICE);
	ok(submit(hash, 1, None));
	assert_eq!(assigned(0), vec![1]);
	assert_eq!(hold_unshown(0, b"out", [1; 32]), Ok(()));
	0
}

/// Moves to the block where task 0's held answer's window closes.
fn to_window_end(task_id: u64) {
	let TaskState::Answered { final_at, .. } = TaskRecords::<Test>::get(task_id).unwrap().state
	else {
		panic!("not held");
	};
	while System::block_number() < final_at {
		next_block();
	}
}

/// The auditor of task `task_id`'s audit under way.
fn auditor_of(task_id: u64) -> u64 {
	match TaskRecords::<Test>::get(task_id).unwrap().state {
		TaskState::Audited { auditor, .. } => auditor.provider,
		other => panic!("task {task_id} is not audited: {other:?}"),
	}
}

/// Task 0 answered alone by provider 1 and under audit (its coin never shown).
fn audited() -> (u64, u64) {
	let task_id = answered_alone();
	to_window_end(task_id);
	(task_id, auditor_of(task_id))
}

#[test]
fn the_audit_coin_is_shown_by_the_requester_alone_and_decides() {
	test(|| {
		let task_id = answered_alone();
		let quiet = quiet_secret(task_id);
		assert_noop!(
			Tasks::show_audit_coin(signed(1), task_id, quiet),
			Error::<Test>::NotRequester
		);
		assert_noop!(
			Tasks::show_audit_coin(signed(REQUESTER), task_id, loud_secret(task_id)),
			Error::<Test>::WrongCoin
		);
		assert_noop!(
			Tasks::show_audit_coin(signed(REQUESTER), 9, quiet),
			Error::<Test>::UnknownTask
		);
		ok(Tasks::show_audit_coin(signed(REQUESTER), task_id, quiet));
		System::assert_has_event(Event::AuditCoinShown { task_id, audited: false }.into());
		assert_noop!(
			Tasks::show_audit_coin(signed(REQUESTER), task_id, quiet),
			Error::<Test>::NoAuditCoin
		);
		// Unaudited: final when the window closes; the auditor's seat comes back.
		let before = free(REQUESTER);
		to_window_end(task_id);
		assert!(matches!(
			TaskRecords::<Test>::get(task_id).unwrap().state,
			TaskState::Delivered { .. }
		));
		assert_eq!(free(REQUESTER), before + escrow(1) - BASE_FEE - 1, "paid 1000 fuel at 1000");
		assert!(records().is_empty(), "unverified: no reputation");
	});
}

#[test]
fn a_coin_is_shown_only_while_its_answer_is_held() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(submit(hash, 1, None));
		let quiet = quiet_secret(0);
		assert_noop!(
			Tasks::show_audit_coin(signed(REQUESTER), 0, quiet),
			Error::<Test>::NotAnswered
		);
		ok(submit(hash, 3, None));
		assert_noop!(
			Tasks::show_audit_coin(signed(REQUESTER), 1, quiet),
			Error::<Test>::NotAnswered
		);
	});
}

#[test]
fn audit_terms_go_with_lone_tasks_only() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		let with = |replication, audit| {
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
				None,
				[7; 32],
				audit,
			)
		};
		assert_noop!(with(1, None), Error::<Test>::AuditTermsMissing);
		assert_noop!(with(3, audit_terms(1)), Error::<Test>::AuditTermsNotAlone);
	});
}

#[test]
fn a_coin_never_shown_audits_the_answer_by_another_provider_drawn_in_a_drawing_block() {
	test(|| {
		let task_id = answered_alone();
		let TaskState::Answered { final_at, .. } = TaskRecords::<Test>::get(task_id).unwrap().state
		else {
			panic!("not held")
		};
		while System::block_number() < final_at - 2 {
			next_block();
		}
		// The window's last block is authored by its parent's author: it draws nothing, and the
		// audit waits, held.
		block_by(Authored::By([1; 32]));
		block_by(Authored::By([1; 32]));
		assert!(matches!(
			TaskRecords::<Test>::get(task_id).unwrap().state,
			TaskState::Answered { .. }
		));
		block_by(Authored::By([2; 32]));
		let auditor = auditor_of(task_id);
		assert!(auditor != 1 && auditor != REQUESTER, "never the provider nor the requester");
		let commit_until = System::block_number() + Tasks::windows(FUEL, 1).0;
		let deadline = commit_until + crate::OPEN_WINDOW as u64;
		System::assert_has_event(
			Event::AuditStarted { task_id, auditor, commit_until, deadline }.into(),
		);
		assert_eq!(market(auditor).busy, 1, "the audit takes a slot of the auditor");
		assert_eq!(market(1).held, 1, "the provider's exposure stays");
		let open = <Tasks as TaskLedger<u64, u64>>::open_tasks_of(&1);
		assert_eq!(open, vec![task_id], "the provider's node finds the audit");
		let audit = <Tasks as TaskLedger<u64, u64>>::assignment(task_id).unwrap().audit.unwrap();
		assert_eq!((audit.provider, audit.auditor), (1, auditor));
		assert_eq!(audit.answered, (Status::Success, 1_000, bourse_primitives::EXECUTOR_VERSION));
		assert_noop!(Tasks::accept_answer(signed(REQUESTER), task_id), Error::<Test>::BeingAudited);
		assert_noop!(
			Tasks::show_audit_coin(signed(REQUESTER), task_id, quiet_secret(task_id)),
			Error::<Test>::BeingAudited
		);
	});
}

/// What each audit finding does to the money, reputation and the task: `(finding, provider
/// paid, auditor paid, provider slashed, auditor slashed, provider's record, auditor's record,
/// the task delivered)`.
#[test]
fn audit_findings_settle_by_the_table() {
	use crate::AuditFinding::*;
	let agreed = Some(Verdict::Agreed);
	let cases = [
		(Agreed { fuel: 1_000 }, 1, 1, 0, 0, agreed, agreed, true),
		(ProviderWithheld { fuel: 1_000 }, 0, 1, SLASH, 0, Some(Verdict::OutVoted), agreed, false),
		(AuditorWithheld, 1, 0, 0, SLASH, None, Some(Verdict::OutVoted), true),
		(BothWithheld, 0, 0, SLASH, SLASH, Some(Verdict::OutVoted), Some(Verdict::OutVoted), false),
		(NotComparable { fuel: 1_000 }, 1, 0, 0, 0, None, None, true),
	];
	for (found, paid_p, paid_a, slash_p, slash_a, record_p, record_a, delivered) in cases {
		test(|| {
			let (task_id, auditor) = audited();
			// The requester's deposit shrinks to what stays stored: counted with its balance.
			let spendable = || free(REQUESTER) + deposits_of(REQUESTER);
			let (before_p, before_a, before_r) = (free(1), free(auditor), spendable());
			<Tasks as TaskLedger<u64, u64>>::settle_audit(task_id, found);
			check_invariants();
			System::assert_has_event(Event::AuditEnded { task_id, auditor, found }.into());
			assert_eq!(free(1) - before_p, paid_p, "{found:?}: the provider's pay");
			assert_eq!(free(auditor) - before_a, paid_a, "{found:?}: the auditor's pay");
			assert_eq!(market(1).slashed, slash_p, "{found:?}");
			assert_eq!(market(auditor).slashed, slash_a, "{found:?}");
			let record = |who| records().iter().find(|(p, ..)| *p == who).map(|(_, v, _)| *v);
			assert_eq!((record(1), record(auditor)), (record_p, record_a), "{found:?}");
			let state = TaskRecords::<Test>::get(task_id).unwrap().state;
			assert_eq!(matches!(state, TaskState::Delivered { .. }), delivered, "{found:?}");
			if !delivered {
				let reason = TaskFailure::AuditFailed;
				assert!(matches!(state, TaskState::Failed { reason: r, .. } if r == reason));
			}
			// The requester pays what was paid and the base fee, nothing else.
			assert_eq!(
				spendable() - before_r,
				escrow(1) - BASE_FEE - paid_p - paid_a,
				"{found:?}: the refund"
			);
			assert_eq!((market(1).held, market(auditor).busy), (0, 0), "{found:?}");
			assert_eq!(escrow_held(), 0);
		});
	}
}

#[test]
fn a_silent_auditor_is_slashed_and_replaced_once_then_the_answer_stands_unverified() {
	test(|| {
		let (task_id, first) = audited();
		let TaskState::Audited { deadline, .. } = TaskRecords::<Test>::get(task_id).unwrap().state
		else {
			panic!("not audited")
		};
		// Nobody answered by the deadline: the fake judge finds the auditor silent.
		while System::block_number() <= deadline {
			next_block();
		}
		System::assert_has_event(
			Event::AuditEnded { task_id, auditor: first, found: AuditFinding::AuditorSilent }
				.into(),
		);
		assert_eq!(market(first).slashed, NO_SHOW_SLASH);
		assert_eq!(market(first).missed, 1);
		// Held again for a window, then another auditor.
		to_window_end(task_id);
		let second = auditor_of(task_id);
		assert!(matches!(
			TaskRecords::<Test>::get(task_id).unwrap().state,
			TaskState::Audited { replaced: true, .. }
		));
		let TaskState::Audited { deadline, .. } = TaskRecords::<Test>::get(task_id).unwrap().state
		else {
			panic!("not audited")
		};
		while System::block_number() <= deadline {
			next_block();
		}
		// Silent again: no third auditor; the answer is final, unverified.
		assert!(matches!(
			TaskRecords::<Test>::get(task_id).unwrap().state,
			TaskState::Delivered { .. }
		));
		assert_ne!(second, first, "the silent auditor is not drawn again");
		assert_eq!(market(second).missed, 1);
		assert!(!records().iter().any(|(p, v, _)| *p == 1 && *v == Verdict::Agreed));
	});
}

#[test]
fn two_auditors_abstaining_in_turn_leave_the_answer_unpaid_and_unslashed() {
	test(|| {
		let (task_id, first) = audited();
		<Tasks as TaskLedger<u64, u64>>::settle_audit(task_id, AuditFinding::AuditorAbstained);
		check_invariants();
		assert_eq!(market(first).slashed, 0, "abstaining is not silence");
		to_window_end(task_id);
		let second = auditor_of(task_id);
		assert_ne!(second, first);
		let before = (free(1), free(REQUESTER) + deposits_of(REQUESTER));
		<Tasks as TaskLedger<u64, u64>>::settle_audit(task_id, AuditFinding::AuditorAbstained);
		check_invariants();
		assert!(matches!(
			TaskRecords::<Test>::get(task_id).unwrap().state,
			TaskState::Failed { reason: TaskFailure::Unaudited, .. }
		));
		assert_eq!(free(1), before.0, "unpaid");
		assert_eq!(market(1).slashed, 0, "unslashed");
		assert_eq!(free(REQUESTER) + deposits_of(REQUESTER) - before.1, escrow(1) - BASE_FEE);
	});
}

#[test]
fn an_audit_without_an_auditor_waits_a_few_windows_then_the_answer_stands_unverified() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, None));
		assert_eq!(hold_unshown(0, b"out", [1; 32]), Ok(()));
		for tries in 1..crate::AUDIT_START_TRIES {
			to_window_end(0);
			assert_eq!(Tasks::audit_coin(0).unwrap().tries, tries, "held again");
		}
		to_window_end(0);
		System::assert_has_event(Event::AuditSkipped { task_id: 0 }.into());
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Delivered { .. }));
	});
}

/// Provider 1's lone answer to task `task_id` with a box that does not hold what it committed
/// to: sealed to another key than the task's.
fn hold_bad_box(task_id: u64) {
	let digest = crate::Digests::<Test>::get(task_id).unwrap();
	let other = bourse_primitives::reply::public_key(&[9; 32]).unwrap();
	let sealed = bourse_primitives::reply::seal_seeded(
		&other,
		&digest,
		&[1; 32],
		b"out",
		MAX_OUTPUT as usize,
		[1; 32],
	)
	.unwrap();
	let answer = bourse_primitives::SealedAnswer {
		status: Status::Success,
		fuel_used: 1_000,
		executor_version: bourse_primitives::EXECUTOR_VERSION,
		commitment: [3; 32],
		proof: [4; 32],
		max_output: MAX_OUTPUT,
		sealed_hash: polkadot_sdk::sp_io::hashing::blake2_256(&sealed),
	};
	assert_ok!(<Tasks as TaskLedger<u64, u64>>::hold(task_id, &1, &answer, sealed));
}

#[test]
fn a_claim_during_an_audit_ends_it_and_the_auditor_goes_unpaid() {
	test(|| {
		const REPLY_SECRET: [u8; 32] = [5; 32];
		let hash = upload();
		providers(&[1, 2]);
		ok(Tasks::submit_task(
			signed(REQUESTER),
			hash,
			b"input".to_vec(),
			FUEL,
			16,
			MAX_PRICE,
			1,
			Perbill::zero(),
			TIMEOUT,
			None,
			bourse_primitives::reply::public_key(&REPLY_SECRET).unwrap(),
			audit_terms(1),
		));
		next_block();
		hold_bad_box(0);
		to_window_end(0);
		assert_eq!(auditor_of(0), 2);
		let before = free(2);
		assert_ok!(Tasks::claim_bad_delivery(signed(REQUESTER), 0, REPLY_SECRET));
		check_invariants();
		assert!(matches!(
			TaskRecords::<Test>::get(0).unwrap().state,
			TaskState::Failed { reason: TaskFailure::BadDelivery, .. }
		));
		assert_eq!((market(1).slashed, market(2).slashed), (SLASH, 0));
		assert_eq!((free(2), market(2).busy), (before, 0), "released unpaid");
		assert!(crate::ProviderTasks::<Test>::iter().next().is_none());
		assert!(crate::AuditedAnswers::<Test>::iter().next().is_none());
	});
}

#[test]
fn the_audit_rate_deters_a_lie_by_the_tasks_value() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, None));
		let task = TaskRecords::<Test>::get(0).unwrap();
		let terms = audit_terms(1).unwrap();
		// A gain of 1 (1e6 fuel at 1 per Mfuel) against a slash of 50: the chain's 10 %.
		assert_eq!(Tasks::audit_rate(&task, &terms, 1), Perbill::from_percent(10));
		// A gain of 25: 2G / (S + 2G) = 50 %.
		assert_eq!(Tasks::audit_rate(&task, &terms, 25), Perbill::from_percent(50));
		// A gain of 1000 (the tests' price): nearly always.
		assert!(Tasks::audit_rate(&task, &terms, PRICE) > Perbill::from_percent(97));
		// The requester may ask for more.
		let asked = bourse_primitives::AuditTerms { rate: Perbill::from_percent(30), ..terms };
		assert_eq!(Tasks::audit_rate(&task, &asked, 1), Perbill::from_percent(30));
		AuditRate::set(Perbill::from_percent(40));
		assert_eq!(Tasks::audit_rate(&task, &asked, 1), Perbill::from_percent(40));
	});
}

#[test]
fn an_audit_is_judged_at_its_deadline_when_its_parties_did_not_finish_it() {
	test(|| {
		let (task_id, auditor) = audited();
		let TaskState::Audited { deadline, .. } = TaskRecords::<Test>::get(task_id).unwrap().state
		else {
			panic!("not audited")
		};
		find(task_id, AuditFinding::ProviderWithheld { fuel: 1_000 });
		while System::block_number() <= deadline {
			next_block();
		}
		System::assert_has_event(
			Event::AuditEnded {
				task_id,
				auditor,
				found: AuditFinding::ProviderWithheld { fuel: 1_000 },
			}
			.into(),
		);
		assert!(matches!(
			TaskRecords::<Test>::get(task_id).unwrap().state,
			TaskState::Failed { reason: TaskFailure::AuditFailed, .. }
		));
		assert_eq!(market(1).slashed, SLASH);
		assert!(Timeouts::<Test>::iter().next().is_none(), "its deadline place is gone");
	});
}

/// Task 0 answered alone by provider 1, audited by 2, and disputed (the audit found another
/// outcome, opened at `opened_at` blocks into the audit), with providers 4 and 5 free besides 3
/// for a committee: returns the auditor and the block the committee is drawn in.
fn disputed(opened_at: u64) -> (u64, u64) {
	let (task_id, auditor) = audited();
	providers(&[4, 5]);
	let TaskState::Audited { deadline, .. } = TaskRecords::<Test>::get(task_id).unwrap().state
	else {
		panic!("not audited")
	};
	for _ in 0..opened_at {
		next_block();
	}
	let found = AuditFinding::Disagreed { fuel: 1_000 };
	assert!(<Tasks as TaskLedger<u64, u64>>::settle_audit(task_id, found), "it goes on");
	check_invariants();
	let draw_at = deadline + WINDOW + 1;
	System::assert_has_event(Event::AuditDisputed { task_id, draw_at }.into());
	(auditor, draw_at)
}

/// The committee of task 0's dispute, once drawn.
fn committee() -> Vec<u64> {
	crate::Disputes::<Test>::get(0).unwrap().committee.iter().map(|a| a.provider).collect()
}

#[test]
fn a_disagreement_goes_to_a_committee_drawn_at_a_block_the_parties_cannot_move() {
	// Whenever the second opening lands, the draw is at the same block: the audit's deadline
	// and a window.
	for opened_at in [0, 3] {
		test(|| {
			let (auditor, draw_at) = disputed(opened_at);
			// Nobody paid or slashed yet; the auditor's slot is free, its bond exposed.
			assert_eq!((market(auditor).busy, market(auditor).held), (0, 1));
			assert_eq!((market(1).held, market(1).slashed, market(auditor).slashed), (1, 0, 0));
			assert!(matches!(
				TaskRecords::<Test>::get(0).unwrap().state,
				TaskState::Audited { .. }
			));
			// The requester cannot claim while a committee settles it.
			assert_noop!(
				Tasks::claim_bad_delivery(signed(REQUESTER), 0, [5; 32]),
				Error::<Test>::Disputed
			);
			while System::block_number() < draw_at - 1 {
				next_block();
			}
			assert!(committee().is_empty(), "not drawn before its block");
			next_block();
			let members = committee();
			assert_eq!(members, vec![3, 4, 5], "never the provider, the auditor, the requester");
			let TaskState::Audited { commit_until, deadline, .. } =
				TaskRecords::<Test>::get(0).unwrap().state
			else {
				panic!("not audited")
			};
			System::assert_has_event(
				Event::CommitteeDrawn {
					task_id: 0,
					members: members.clone(),
					commit_until,
					deadline,
				}
				.into(),
			);
			for m in &members {
				assert_eq!(market(*m).busy, 1, "member {m} holds a slot");
			}
			let assignment = <Tasks as TaskLedger<u64, u64>>::assignment(0).unwrap();
			assert_eq!(assignment.providers, vec![1, auditor, 3, 4, 5]);
			assert_eq!(assignment.audit.unwrap().committee, members);
		});
	}
}

#[test]
fn a_committee_draw_waits_for_a_block_that_draws() {
	test(|| {
		let (_, draw_at) = disputed(0);
		while System::block_number() < draw_at - 2 {
			next_block();
		}
		// One author for two blocks in a row: the second does not draw.
		set_author(Authored::By([7; 32]));
		next_block();
		next_block();
		assert_eq!(System::block_number(), draw_at);
		assert!(committee().is_empty(), "its block did not draw");
		set_author(Authored::By([8; 32]));
		next_block();
		assert_eq!(committee().len(), 3, "drawn by the next block that draws");
	});
}

/// Settles task 0's dispute by its committee's `judgement` at the committee's deadline.
fn judged(upheld: Upheld, parts: [MemberPart; 3]) {
	judged_with(upheld, parts, None);
}

/// [`judged`], the committee's first majority member giving `delivered` (its status, fuel and
/// box).
fn judged_with(upheld: Upheld, parts: [MemberPart; 3], delivered: Option<(Status, u64, Vec<u8>)>) {
	let members = committee();
	let first = members.iter().zip(parts).find(|(_, p)| matches!(p, MemberPart::Majority { .. }));
	let delivered = delivered.zip(first).map(|((s, f, b), (m, _))| (*m, s, f, b));
	let judgement = CommitteeJudgement {
		upheld,
		members: members.iter().copied().zip(parts).collect(),
		delivered,
	};
	crate::mock::judge(0, judgement);
	let TaskState::Audited { deadline, .. } = TaskRecords::<Test>::get(0).unwrap().state else {
		panic!("not audited")
	};
	while System::block_number() <= deadline {
		next_block();
	}
	System::assert_has_event(Event::CommitteeJudged { task_id: 0, upheld }.into());
}

#[test]
fn a_committee_judgement_settles_by_the_table() {
	use MemberPart::*;
	// Members ran the whole fuel: each is owed more than its share of a slash.
	let right = Majority { fuel: FUEL };
	// (upheld, parts, provider paid/slashed/record, auditor paid/slashed/record, delivered)
	let agreed = Some(Verdict::Agreed);
	let outvoted = Some(Verdict::OutVoted);
	let cases = [
		(Upheld::Provider, [right, right, Minority], (1, 0, agreed), (0, SLASH, outvoted), true),
		(
			Upheld::Auditor,
			[right, right, Withheld],
			(0, SLASH, outvoted),
			(1_000, 0, agreed),
			false,
		),
		(Upheld::Neither, [right, right, right], (0, SLASH, outvoted), (0, SLASH, outvoted), false),
		(Upheld::NoMajority, [Minority, Minority, Silent], (0, 0, None), (0, 0, None), true),
	];
	for (upheld, parts, (paid_p, slash_p, record_p), (paid_a, slash_a, record_a), delivered) in
		cases
	{
		test(|| {
			let (auditor, draw_at) = disputed(0);
			while System::block_number() < draw_at {
				next_block();
			}
			let members = committee();
			let spendable = || free(REQUESTER) + deposits_of(REQUESTER);
			let (before_p, before_a, before_r) = (free(1), free(auditor), spendable());
			judged(upheld, parts);
			let record = |who| records().iter().rev().find(|(p, ..)| *p == who).map(|(_, v, _)| *v);
			assert_eq!(
				(free(1) - before_p, market(1).slashed, record(1)),
				(paid_p, slash_p, record_p),
				"{upheld:?}: the provider"
			);
			assert_eq!(
				(free(auditor) - before_a, market(auditor).slashed, record(auditor)),
				(paid_a, slash_a, record_a),
				"{upheld:?}: the auditor"
			);
			// The majority is paid out of the wrong party's slash, an equal share of half of
			// it at most; the provider's when both were wrong.
			let winners = parts.iter().filter(|p| matches!(p, Majority { .. })).count() as u128;
			let payer = match upheld {
				Upheld::Provider => Some(auditor),
				Upheld::Auditor | Upheld::Neither => Some(1),
				Upheld::NoMajority => None,
			};
			let expected: Vec<(u64, u64, u128)> = match payer {
				Some(payer) => members
					.iter()
					.zip(parts)
					.filter(|(_, part)| matches!(part, Majority { .. }))
					.map(|(m, _)| (payer, *m, SLASH / (2 * winners)))
					.collect(),
				None => Vec::new(),
			};
			assert_eq!(crate::mock::forfeits(), expected, "{upheld:?}: the committee's pay");
			// Each member's part.
			for (m, part) in members.iter().zip(parts) {
				let (slashed, verdict) = match part {
					Majority { .. } => (0, agreed),
					// No majority: opening another outcome proves nothing.
					Minority if upheld == Upheld::NoMajority => (0, None),
					Minority | Withheld => (SLASH, outvoted),
					// Others opened in time: its silence is its own.
					Silent => (NO_SHOW_SLASH, Some(Verdict::NoShow)),
					Abstained => (0, Some(Verdict::Abstained)),
					Unwitnessed => (NO_SHOW_SLASH, Some(Verdict::NoShow)),
				};
				assert_eq!((market(*m).slashed, record(*m)), (slashed, verdict), "{upheld:?}: {m}");
				assert_eq!(market(*m).busy, 0, "{upheld:?}: member {m} freed");
			}
			let state = TaskRecords::<Test>::get(0).unwrap().state;
			assert_eq!(matches!(state, TaskState::Delivered { .. }), delivered, "{upheld:?}");
			if !delivered {
				let reason = TaskFailure::AuditFailed;
				assert!(matches!(state, TaskState::Failed { reason: r, .. } if r == reason));
			}
			// Unsettled, the answer's pay is burned rather than paid.
			let burned = if upheld == Upheld::NoMajority { 1 } else { 0 };
			if burned > 0 {
				System::assert_has_event(
					Event::UnsettledPayBurned { task_id: 0, amount: burned }.into(),
				);
			}
			// The requester pays what the provider and auditor were paid (or burned) and the
			// base fee; the committee costs it nothing.
			assert_eq!(spendable() - before_r, escrow(1) - BASE_FEE - paid_p - paid_a - burned);
			assert_eq!((market(1).held, market(auditor).held, market(auditor).busy), (0, 0, 0));
			assert_eq!(escrow_held(), 0);
			assert!(crate::Disputes::<Test>::get(0).is_none());
		});
	}
}

#[test]
fn no_committee_to_draw_leaves_the_answer_final_unverified_its_pay_burned() {
	test(|| {
		let (auditor, draw_at) = disputed(0);
		let provider_before = free(1);
		// Only two providers could sit: 3 and 4 stay, 5 leaves.
		crate::mock::FakeProviders::mutate(|ps| ps.retain(|p| p.who != 5));
		while System::block_number() < draw_at {
			next_block();
		}
		assert!(committee().is_empty());
		// Tried again a window later, three times in all.
		for _ in 0..(2 * (WINDOW + 1)) {
			next_block();
		}
		System::assert_has_event(Event::CommitteeSkipped { task_id: 0 }.into());
		let state = TaskRecords::<Test>::get(0).unwrap().state;
		assert!(matches!(state, TaskState::Delivered { .. }), "{state:?}");
		// Final, unverified: the requester paid for it, burned, not paid to the provider; the
		// auditor neither paid nor slashed; both exposures over.
		System::assert_has_event(Event::UnsettledPayBurned { task_id: 0, amount: 1 }.into());
		assert_eq!(free(1), provider_before);
		assert!(!records().iter().any(|(p, v, _)| *p == 1 && *v == Verdict::Agreed));
		assert_eq!(market(auditor).answered, 1, "the auditor's attendance counts");
		assert_eq!((market(1).slashed, market(auditor).slashed), (0, 0));
		assert_eq!((market(1).held, market(auditor).held), (0, 0));
		assert!(crate::Disputes::<Test>::get(0).is_none());
	});
}

#[test]
fn a_requester_cannot_narrow_who_audits_by_its_price_or_floor() {
	test(|| {
		let hash = upload();
		// Provider 1 is cheap enough for the task; 2 is above its max price, with a
		// reputation below its floor: it audits anyway, paid at the task's max price.
		provider(1, PRICE);
		provider(2, MAX_PRICE * 2);
		crate::mock::FakeProviders::mutate(|ps| {
			ps.iter_mut().find(|p| p.who == 2).unwrap().reputation = Perbill::from_percent(1)
		});
		provider(REQUESTER, PRICE);
		ok(Tasks::submit_task(
			signed(REQUESTER),
			hash,
			b"input".to_vec(),
			FUEL,
			16,
			MAX_PRICE,
			1,
			Perbill::from_percent(50),
			TIMEOUT,
			None,
			[7; 32],
			crate::mock::audit_terms(1),
		));
		next_block();
		assert_eq!(assigned(0), vec![1]);
		assert_eq!(hold_unshown(0, b"out", [1; 32]), Ok(()));
		to_window_end(0);
		let TaskState::Audited { auditor, .. } = TaskRecords::<Test>::get(0).unwrap().state else {
			panic!("not audited")
		};
		assert_eq!((auditor.provider, auditor.price), (2, MAX_PRICE));
	});
}

#[test]
fn a_burst_of_task_deadlines_cannot_crowd_a_dispute_out_of_its_draw() {
	test(|| {
		let (_, draw_at) = disputed(0);
		// Many deadlines fall due in the draw's block and the next (tasks of no record: their
		// settlement costs little, but they stand in the cursor's way).
		DeadlineShare::set(Perbill::zero());
		for at in draw_at..draw_at + 8 {
			for id in 1_000..1_100 {
				Timeouts::<Test>::insert(at, id, ());
			}
		}
		let filled: Vec<_> = (draw_at..draw_at + 8).collect();
		while System::block_number() < draw_at {
			// Keep the fillers out of the invariants' way: they stand for other tasks.
			System::set_block_number(System::block_number() + 1);
			<Tasks as polkadot_sdk::frame_support::traits::Hooks<u64>>::on_initialize(
				System::block_number(),
			);
		}
		assert_eq!(committee().len(), 3, "drawn in its block all the same");
		for at in filled {
			let _ = Timeouts::<Test>::clear_prefix(at, u32::MAX, None);
		}
		TimeoutCursor::<Test>::put(System::block_number() + 1);
		check_invariants();
	});
}

#[test]
fn a_provider_found_wrong_leaves_the_requester_the_committees_output_at_no_cost() {
	test(|| {
		let (auditor, draw_at) = disputed(0);
		while System::block_number() < draw_at {
			next_block();
		}
		let members = committee();
		let task_digest = crate::Digests::<Test>::get(0).unwrap();
		let spendable = || free(REQUESTER) + deposits_of(REQUESTER);
		let before = spendable();
		let right = MemberPart::Majority { fuel: 1_000 };
		let sealed = b"the committee's box".to_vec();
		judged_with(
			Upheld::Auditor,
			[right, right, MemberPart::Minority],
			Some((Status::Success, 1_000, sealed.clone())),
		);
		let TaskState::Delivered { provider, fuel_used, cost, .. } =
			TaskRecords::<Test>::get(0).unwrap().state
		else {
			panic!("not delivered by the committee");
		};
		assert_eq!((provider, fuel_used, cost), (members[0], 1_000, 0));
		System::assert_has_event(
			Event::TaskDelivered { task_id: 0, provider: members[0], fuel_used: 1_000, cost: 0 }
				.into(),
		);
		// The box the requester opens, under the round's digest.
		assert_eq!(crate::SealedOutputs::<Test>::get(0).unwrap().into_inner(), sealed);
		let round = bourse_primitives::reply::committee_digest(&task_digest, &members);
		assert_eq!(crate::Digests::<Test>::get(0), Some(round));
		// The provider slashed; the requester paid the auditor only, and the base fee.
		assert_eq!(market(1).slashed, SLASH);
		assert_eq!(spendable() - before, escrow(1) - BASE_FEE - 1);
		assert_eq!((market(1).held, market(auditor).held), (0, 0));
		assert_eq!(escrow_held(), 0);
	});
}

/// Jobs' tests: tiles of the tests' input, each with its own reply key and coin.
mod jobs {
	use super::*;
	use crate::{JobEnds, JobQueue, JobTerms, JobTile, Jobs, NextJobId};
	use polkadot_sdk::frame_support::traits::{fungible::Mutate, Get};

	/// A job's wait in the tests.
	const WAIT: u64 = 30;

	fn terms(replication: u32) -> JobTerms<u128, u64> {
		JobTerms {
			fuel_limit: FUEL,
			max_memory_mib: 16,
			max_price_per_mfuel: MAX_PRICE,
			replication,
			min_reputation: Perbill::zero(),
			timeout: TIMEOUT,
			rent: MIN_QUEUE_RENT,
			max_wait: WAIT,
		}
	}

	/// Tile `i` of a job: its reply key and, alone, its coin sealed with a secret of its own.
	fn tile(i: u32, replication: u32) -> JobTile {
		let mut key = [7; 32];
		key[..4].copy_from_slice(&(i + 1).to_le_bytes());
		let mut coin = [9; 32];
		coin[..4].copy_from_slice(&i.to_le_bytes());
		JobTile {
			input: b"input".to_vec(),
			reply_key: key,
			audit: (replication == 1).then(|| bourse_primitives::AuditTerms {
				seal: bourse_primitives::reply::audit_seal(&coin),
				rate: Perbill::zero(),
			}),
		}
	}

	fn tiles(n: u32, replication: u32) -> Vec<JobTile> {
		(0..n).map(|i| tile(i, replication)).collect()
	}

	fn submit_job(who: u64, hash: [u8; 32], n: u32, replication: u32) -> DispatchResult {
		Tasks::submit_job(signed(who), hash, terms(replication), tiles(n, replication))
	}

	/// The rent reserve of a job of the tests' wait: its wait and a turn of the queue.
	fn job_reserve() -> u128 {
		MIN_QUEUE_RENT * (WAIT as u128 + 2)
	}

	/// A job record's deposit.
	fn job_deposit() -> u128 {
		use codec::MaxEncodedLen;
		deposit(2, crate::Job::<Test>::max_encoded_len() as u128)
	}

	fn state(task_id: u64) -> TaskState<Test> {
		TaskRecords::<Test>::get(task_id).unwrap().state
	}

	fn count(wanted: impl Fn(&TaskState<Test>) -> bool) -> usize {
		TaskRecords::<Test>::iter_values().filter(|t| wanted(&t.state)).count()
	}

	fn is_assigned(state: &TaskState<Test>) -> bool {
		matches!(state, TaskState::Assigned { .. })
	}

	/// A tile stores two entries: its record and its extras (reply key, coin, deposit); none
	/// in the legacy maps.
	#[test]
	fn each_tile_keeps_its_reply_key_coin_and_deposit_in_one_entry() {
		test(|| {
			let hash = upload();
			ok(submit_job(REQUESTER, hash, 3, 1));
			ok(submit_job(REQUESTER, hash, 2, 3));
			for (task_id, i, k) in [(0, 0, 1), (1, 1, 1), (2, 2, 1), (3, 0, 3), (4, 1, 3)] {
				let extra = crate::TaskExtras::<Test>::get(task_id).unwrap();
				let tile = tile(i, k);
				assert_eq!(extra.reply_key, tile.reply_key, "tile {task_id}");
				assert_eq!(extra.deposit, open_deposit(k as u128), "tile {task_id}");
				assert_eq!(extra.coin, tile.audit.map(crate::AuditCoin::new), "tile {task_id}");
			}
			assert_eq!(crate::LegacyReplyKeys::<Test>::iter().count(), 0);
			assert_eq!(crate::LegacyAuditCoins::<Test>::iter().count(), 0);
			assert_eq!(crate::LegacyTaskDeposits::<Test>::iter().count(), 0);
		});
	}

	#[test]
	fn a_job_of_one_tile_holds_a_tasks_escrow_and_is_assigned_in_the_next_block() {
		test(|| {
			let hash = upload();
			providers(&[1]);
			let before = free(REQUESTER);
			ok(submit_job(REQUESTER, hash, 1, 1));
			assert_eq!(escrow_held(), escrow(1) + job_reserve());
			assert_eq!(deposits_of(REQUESTER), open_deposit(1) + job_deposit());
			System::assert_last_event(
				Event::JobSubmitted {
					job_id: 0,
					requester: REQUESTER,
					workload: hash,
					first_task: 0,
					tiles: 1,
					escrow: escrow(1) + job_reserve(),
					deposit: open_deposit(1) + job_deposit(),
				}
				.into(),
			);
			assert!(matches!(state(0), TaskState::Queued { .. }));
			next_block();
			assert_eq!(assigned(0), vec![1]);
			// Assigned in the block after its submission: a block of rent.
			System::assert_has_event(
				Event::JobLeftQueue { job_id: 0, rent: MIN_QUEUE_RENT, closing: None }.into(),
			);
			assert!(JobQueue::<Test>::get().is_empty());
			assert_eq!(escrow_held(), escrow(1), "the reserve is back, less a block's rent");
			answered(0, b"tile", 1_000);
			let paid = (1_000 * PRICE).div_ceil(1_000_000);
			assert_eq!(
				free(REQUESTER),
				before - paid - BASE_FEE - MIN_QUEUE_RENT - deposit(2, 5 + 4) - job_deposit()
			);
		});
	}

	#[test]
	fn a_job_of_the_most_tiles_is_assigned_a_share_per_block_as_slots_free_and_each_is_exact() {
		test(|| {
			let hash = upload();
			// 8 slots for 16 tiles, 4 tried per block.
			providers(&[1, 2]);
			let most = <Test as crate::Config>::MaxJobTiles::get();
			ok(submit_job(REQUESTER, hash, most, 1));
			assert_eq!(escrow_held(), escrow(1) * most as u128 + job_reserve());
			assert_eq!(
				deposits_of(REQUESTER),
				open_deposit(1) * most as u128 + job_deposit(),
				"each tile's deposit and the record's"
			);
			assert_eq!(JobEnds::<Test>::get(most as u64 - 1), Some(0));
			next_block();
			assert_eq!(count(is_assigned), 4, "the job queue's share of a block");
			next_block();
			assert_eq!(count(is_assigned), 8);
			next_block();
			assert_eq!(count(is_assigned), 8, "every slot is busy: the rest wait");
			// Tiles in order, each drawn with its own seed.
			for task_id in 0..8 {
				assert!(is_assigned(&state(task_id)), "tile {task_id}");
			}
			let seeds = draw_seeds();
			let distinct: std::collections::BTreeSet<_> = seeds.iter().collect();
			assert_eq!(distinct.len(), seeds.len(), "every tile has a seed of its own");
			// Each answer frees a slot; the waiting tiles take them, all 16 complete.
			let mut completed = 0;
			while completed < most as u64 {
				let open: Vec<u64> =
					(0..most as u64).filter(|id| is_assigned(&state(*id))).collect();
				for task_id in open {
					answered(task_id, b"tile", 1_000);
					completed += 1;
				}
				next_block();
			}
			assert_eq!(count(|s| matches!(s, TaskState::Completed { .. })), most as usize);
			assert!(JobQueue::<Test>::get().is_empty());
			assert_eq!(escrow_held(), 0, "every tile paid or refunded, the reserve released");
			assert_eq!(Jobs::<Test>::get(0).unwrap().assigned, most);
		});
	}

	#[test]
	fn job_errors_hold_nothing() {
		test(|| {
			let hash = upload();
			providers(&[1]);
			let most = <Test as crate::Config>::MaxJobTiles::get();
			let refused = |terms: JobTerms<u128, u64>, tiles: Vec<JobTile>, error: Error<Test>| {
				assert_noop!(Tasks::submit_job(signed(REQUESTER), hash, terms, tiles), error);
			};
			refused(terms(1), vec![], Error::<Test>::NoTiles);
			refused(terms(1), tiles(most + 1, 1), Error::<Test>::TooManyTiles);
			assert_noop!(
				Tasks::submit_job(signed(REQUESTER), [0; 32], terms(1), tiles(1, 1)),
				Error::<Test>::UnknownWorkload
			);
			refused(
				JobTerms { replication: 2, ..terms(1) },
				tiles(1, 1),
				Error::<Test>::InvalidReplication,
			);
			refused(JobTerms { fuel_limit: 0, ..terms(1) }, tiles(1, 1), Error::<Test>::ZeroFuel);
			refused(
				JobTerms { timeout: 1, ..terms(1) },
				tiles(1, 1),
				Error::<Test>::TimeoutTooShort,
			);
			refused(JobTerms { rent: 1, ..terms(1) }, tiles(1, 1), Error::<Test>::QueueRentTooLow);
			refused(JobTerms { max_wait: 0, ..terms(1) }, tiles(1, 1), Error::<Test>::InvalidWait);
			refused(
				JobTerms { max_wait: 101, ..terms(1) },
				tiles(1, 1),
				Error::<Test>::InvalidWait,
			);
			refused(terms(1), tiles(2, 3), Error::<Test>::AuditTermsMissing);
			refused(terms(3), tiles(2, 1), Error::<Test>::AuditTermsNotAlone);
			let mut same_key = tiles(2, 1);
			same_key[1].reply_key = same_key[0].reply_key;
			refused(terms(1), same_key, Error::<Test>::SharedTileSecret);
			let mut same_seal = tiles(2, 1);
			same_seal[1].audit = same_seal[0].audit;
			refused(terms(1), same_seal, Error::<Test>::SharedTileSecret);
			let mut empty = tiles(2, 1);
			empty[1].input.clear();
			refused(terms(1), empty, Error::<Test>::EmptyInput);
			let mut large = tiles(2, 1);
			large[1].input = vec![1; 1 << 20];
			refused(terms(1), large, Error::<Test>::InputTooLarge);
			let mut unusable = tiles(2, 1);
			unusable[1].reply_key = [0; 32];
			refused(terms(1), unusable, Error::<Test>::UnusableReplyKey);
			// A requester short of funds holds nothing.
			Balances::set_balance(&12, 1_000);
			assert_noop!(submit_job(12, hash, most, 1), Error::<Test>::InsufficientBalance);
			// A full job queue.
			let places = <Test as crate::Config>::MaxQueuedJobs::get();
			for _ in 0..places {
				ok(Tasks::submit_job(
					signed(REQUESTER),
					hash,
					JobTerms { min_reputation: Perbill::one(), ..terms(1) },
					tiles(1, 1),
				));
			}
			assert_noop!(submit_job(REQUESTER, hash, 1, 1), Error::<Test>::JobQueueFull);
			let tenth_less = JobTerms { rent: MIN_QUEUE_RENT * 11 / 10 - 1, ..terms(1) };
			assert_noop!(
				Tasks::submit_job(signed(REQUESTER), hash, tenth_less, tiles(1, 1)),
				Error::<Test>::JobQueueFull
			);
			assert_eq!(NextJobId::<Test>::get(), places as u64);
		});
	}

	#[test]
	fn a_tile_waits_beyond_its_timeout_within_the_jobs_wait_and_fails_after_it() {
		test(|| {
			let hash = upload();
			let before = free(REQUESTER);
			let issuance = Balances::total_issuance();
			// Nobody yet: the tile waits longer than its timeout.
			ok(submit_job(REQUESTER, hash, 2, 1));
			for _ in 0..TIMEOUT + 5 {
				next_block();
			}
			assert!(matches!(state(0), TaskState::Queued { .. }), "its wait is the job's");
			providers(&[1]);
			next_block();
			assert_eq!(assigned(0), vec![1]);
			assert_eq!(assigned(1), vec![1]);
			let job = Jobs::<Test>::get(0).unwrap();
			assert_eq!(job.assigned, 2);
			// Submitted at 1, drained at 17: 16 blocks of rent.
			System::assert_has_event(
				Event::JobLeftQueue { job_id: 0, rent: 16 * MIN_QUEUE_RENT, closing: None }.into(),
			);
			answered(0, b"tile", 1_000);
			answered(1, b"tile", 1_000);
			// A job nobody takes: its tiles fail after its wait, refunded less the base fee.
			ok(Tasks::submit_job(
				signed(REQUESTER),
				hash,
				JobTerms { min_reputation: Perbill::one(), ..terms(1) },
				vec![tile(7, 1), tile(8, 1)],
			));
			let start = System::block_number();
			for _ in 1..WAIT {
				next_block();
			}
			assert!(matches!(state(2), TaskState::Queued { .. }), "tried to the last block");
			next_block();
			for task_id in [2, 3] {
				System::assert_has_event(
					Event::TaskFailed { task_id, reason: TaskFailure::NoProvider }.into(),
				);
			}
			let closing = Some(TaskFailure::NoProvider);
			let rent = WAIT as u128 * MIN_QUEUE_RENT;
			System::assert_has_event(Event::JobLeftQueue { job_id: 1, rent, closing }.into());
			assert_eq!(System::block_number(), start + WAIT, "its last block of trying");
			// Rent for both waits, and the base fees of all four tiles.
			let burned = 16 * MIN_QUEUE_RENT + WAIT as u128 * MIN_QUEUE_RENT + 4 * BASE_FEE;
			assert_eq!(Balances::total_issuance(), issuance - burned, "rent and fees burned");
			assert_eq!(escrow_held(), 0);
			let paid = 2 * (1_000 * PRICE).div_ceil(1_000_000);
			// The first job and its tiles were pruned by now, their deposits returned.
			assert!(Jobs::<Test>::get(0).is_none());
			let stored = 2 * deposit(1, 5) + job_deposit();
			assert_eq!(free(REQUESTER), before - burned - paid - stored);
		});
	}

	#[test]
	fn a_job_is_cancelled_for_a_turn_of_rent_and_its_assigned_tiles_run_on() {
		test(|| {
			let hash = upload();
			provider(1, PRICE);
			FakeProviders::mutate(|ps| ps[0].slots = 1);
			ok(submit_job(REQUESTER, hash, 3, 1));
			next_block();
			assert_eq!(assigned(0), vec![1]);
			assert_noop!(Tasks::cancel_task(signed(REQUESTER), 1), Error::<Test>::TileOfJob);
			assert_noop!(Tasks::cancel_job(signed(11), 0), Error::<Test>::NotRequester);
			assert_noop!(Tasks::cancel_job(signed(REQUESTER), 5), Error::<Test>::UnknownJob);
			let issuance = Balances::total_issuance();
			ok(Tasks::cancel_job(signed(REQUESTER), 0));
			// Waited a block; a turn of the queue (2 blocks) at least.
			let closing = Some(TaskFailure::Cancelled);
			System::assert_last_event(
				Event::JobLeftQueue { job_id: 0, rent: 2 * MIN_QUEUE_RENT, closing }.into(),
			);
			assert_noop!(Tasks::cancel_job(signed(REQUESTER), 0), Error::<Test>::NotCancellable);
			// Its waiting tiles fail in the next block (3 a block at most).
			assert!(matches!(state(1), TaskState::Queued { .. }));
			next_block();
			for task_id in [1, 2] {
				System::assert_has_event(
					Event::TaskFailed { task_id, reason: TaskFailure::Cancelled }.into(),
				);
			}
			assert!(crate::ClosingJobs::<Test>::get().is_empty());
			assert_eq!(Balances::total_issuance(), issuance - 2 * BASE_FEE - 2 * MIN_QUEUE_RENT);
			assert_eq!(assigned(0), vec![1], "its assigned tile runs to its outcome");
			assert_eq!(escrow_held(), escrow(1));
			assert_noop!(Tasks::cancel_job(signed(REQUESTER), 0), Error::<Test>::NotCancellable);
			answered(0, b"tile", 1_000);
			assert_eq!(escrow_held(), 0);
		});
	}

	#[test]
	fn jobs_share_the_tries_of_a_block_in_turn() {
		test(|| {
			let hash = upload();
			providers(&[1, 2, 3, 4]);
			ok(submit_job(REQUESTER, hash, 8, 1));
			ok(Tasks::submit_job(
				signed(11),
				hash,
				terms(1),
				(8..16).map(|i| tile(i, 1)).collect(),
			));
			next_block();
			// One job took the block's 4 tries (the one whose seed came first, whatever the
			// order of inclusion); the other goes first next.
			assert_eq!(count(is_assigned), 4);
			let first = if is_assigned(&state(0)) { 0 } else { 1 };
			let other = 1 - first;
			assert_eq!(JobQueue::<Test>::get().into_inner(), vec![other, first]);
			next_block();
			let tiles_of = |job: u64| (job * 8)..(job * 8 + 4);
			assert!(tiles_of(other).all(|id| is_assigned(&state(id))), "the other job's turn");
			assert_eq!(JobQueue::<Test>::get().into_inner(), vec![first, other]);
		});
	}

	#[test]
	fn a_jobs_record_is_pruned_with_its_last_tile_and_every_deposit_returned() {
		test(|| {
			let hash = upload();
			providers(&[1]);
			ok(submit_job(REQUESTER, hash, 3, 1));
			next_block();
			for task_id in 0..3 {
				answered(task_id, b"tile", 10);
			}
			for _ in 0..RETENTION {
				assert!(Jobs::<Test>::get(0).is_some());
				next_block();
			}
			assert!(Jobs::<Test>::get(0).is_none() && JobEnds::<Test>::get(2).is_none());
			System::assert_has_event(Event::JobPruned { job_id: 0 }.into());
			assert_eq!(deposits_of(REQUESTER), 0);
		});
	}

	#[test]
	fn a_queued_job_without_its_reserve_or_with_a_tile_lost_breaks_the_invariant() {
		test(|| {
			let hash = upload();
			ok(submit_job(REQUESTER, hash, 2, 1));
			Jobs::<Test>::mutate(0, |job| job.as_mut().unwrap().reserve = 0);
			assert_eq!(
				Tasks::do_try_state(),
				Err("held escrow differs from the escrow of open tasks")
			);
			Jobs::<Test>::mutate(0, |job| job.as_mut().unwrap().reserve = job_reserve());
			Tasks::do_try_state().unwrap();
			Jobs::<Test>::mutate(0, |job| job.as_mut().unwrap().assigned = 1);
			assert_eq!(Tasks::do_try_state(), Err("queue and queued tasks differ"));
			Jobs::<Test>::mutate(0, |job| job.as_mut().unwrap().assigned = 0);
		});
	}

	#[test]
	fn a_full_job_queue_takes_a_job_that_outbids_the_lowest_and_the_outbid_ones_close() {
		test(|| {
			let hash = upload();
			providers(&[1]);
			// A running job (one tile assigned, the rest waiting: one slot) and three jobs
			// nobody can take, all at the least rent.
			FakeProviders::mutate(|ps| ps[0].slots = 1);
			ok(submit_job(REQUESTER, hash, 3, 1));
			next_block();
			assert_eq!(assigned(0), vec![1]);
			let squat = JobTerms { min_reputation: Perbill::one(), ..terms(1) };
			for who in [11, 12, 13] {
				ok(Tasks::submit_job(signed(who), hash, squat.clone(), vec![tile(who as u32, 1)]));
			}
			assert!(JobQueue::<Test>::get().is_full());
			let issuance = Balances::total_issuance();
			let higher = JobTerms { rent: MIN_QUEUE_RENT * 11 / 10, ..terms(1) };
			ok(Tasks::submit_job(signed(14), hash, higher, vec![tile(20, 1)]));
			// The youngest of the lowest (job 3) gave its place up, paying the rent for the
			// blocks it held it (none: outbid in its own block).
			let closing = Some(TaskFailure::Outbid);
			System::assert_has_event(Event::JobLeftQueue { job_id: 3, rent: 0, closing }.into());
			assert!(JobQueue::<Test>::get().contains(&4) && !JobQueue::<Test>::get().contains(&3));
			next_block();
			System::assert_has_event(
				Event::TaskFailed { task_id: 5, reason: TaskFailure::Outbid }.into(),
			);
			assert_eq!(Balances::total_issuance(), issuance - BASE_FEE, "its tile's base fee");
			// Rent buys the place, whoever holds it: outbid in turn, jobs 2, 1 and then the
			// running job 0 leave; its assigned tile runs on, its waiting ones close.
			for (who, outbid) in [(15, 2), (16, 1), (17, 0)] {
				let more = JobTerms { rent: MIN_QUEUE_RENT * 2, ..terms(1) };
				ok(Tasks::submit_job(signed(who), hash, more, vec![tile(30 + who as u32, 1)]));
				assert!(!JobQueue::<Test>::get().contains(&outbid), "job {outbid} outbid");
			}
			// Three tiles close per block: tasks 4, 3 and 1, then 2.
			next_block();
			next_block();
			for task_id in [1, 2, 3, 4] {
				System::assert_has_event(
					Event::TaskFailed { task_id, reason: TaskFailure::Outbid }.into(),
				);
			}
			assert!(crate::ClosingJobs::<Test>::get().is_empty());
			assert_eq!(assigned(0), vec![1], "its assigned tile runs on");
			// Queued and closing jobs share twice the queue's places: room to close is kept.
			assert!(JobQueue::<Test>::get().len() + crate::ClosingJobs::<Test>::get().len() <= 8);
		});
	}
}

// Confidential tasks: drawn from their members only, no audit, seats paid to whoever revealed,
// nothing slashed or recorded for the vote or for silence.

/// The hash of the confidential test tasks' secret.
const SECRET_HASH: [u8; 32] = [0x5e; 32];

/// Provider `who` as a member, sealed to the key the fake market gave it.
fn member(who: u64) -> crate::Member<u64> {
	crate::Member { provider: who, key: encryption_key_of(who), seal: [who as u8; 80] }
}

/// `who` submits a confidential task of `replication` sealed to `members`.
fn confidential_by(
	who: u64,
	hash: [u8; 32],
	replication: u32,
	members: Vec<crate::Member<u64>>,
	queue_rent: Option<u128>,
) -> DispatchResult {
	let members = members.try_into().expect("at most 16 members");
	Tasks::submit_confidential_task(
		signed(who),
		hash,
		b"sealed input".to_vec(),
		FUEL,
		16,
		MAX_PRICE,
		replication,
		Perbill::zero(),
		queue_rent,
		[7; 32],
		SECRET_HASH,
		members,
	)
}

/// The requester submits a confidential task sealed to `members`; the next block draws it.
fn confidential(hash: [u8; 32], replication: u32, members: &[u64]) -> DispatchResult {
	confidential_by(
		REQUESTER,
		hash,
		replication,
		members.iter().map(|m| member(*m)).collect(),
		None,
	)?;
	next_block();
	Ok(())
}

/// A seat: FUEL at `PRICE`, what a member that revealed is paid.
fn seat() -> u128 {
	(FUEL as u128 * PRICE).div_ceil(1_000_000)
}

/// A confidential task's escrow: a seat per provider at `MAX_PRICE` (no auditor's), and the
/// base fee.
fn confidential_escrow(k: u128) -> u128 {
	k * (FUEL as u128 * MAX_PRICE).div_ceil(1_000_000) + BASE_FEE
}

/// Gives providers `who` `slots` slots each (none: never drawn).
fn set_slots(who: &[u64], slots: u32) {
	FakeProviders::mutate(|ps| {
		for p in ps.iter_mut().filter(|p| who.contains(&p.who)) {
			p.slots = slots;
		}
	});
}

/// Every fake provider's slashes, attendance and held answers are untouched, and no
/// reputation was recorded.
fn nothing_public_moved() {
	for p in FakeProviders::get() {
		assert_eq!((p.slashed, p.answered, p.missed), (0, 0, 0), "provider {}", p.who);
	}
	assert_eq!(records(), vec![], "no reputation evidence");
}

#[test]
fn a_confidential_task_is_drawn_from_its_members_and_every_revealer_is_paid_its_seat() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3, 4, 5]);
		let issuance = Balances::total_issuance();
		let before: Vec<u128> = (1..=5).map(free).collect();
		ok(confidential(hash, 3, &[2, 4, 5]));
		System::assert_has_event(
			Event::ConfidentialTaskSubmitted {
				task_id: 0,
				secret_hash: SECRET_HASH,
				members: vec![2, 4, 5],
			}
			.into(),
		);
		// The fake market takes the first eligible in registration order: 1 and 3 would come
		// first in a public draw.
		assert_eq!(assigned(0), vec![2, 4, 5], "members only");
		let task = TaskRecords::<Test>::get(0).unwrap();
		assert_eq!(task.timeout, Tasks::windows(FUEL, 3).1, "the shortest timeout");
		assert_eq!(escrow_held(), confidential_escrow(3));
		let digest = crate::Digests::<Test>::get(0).unwrap();
		let reply_key = Tasks::reply_key(0).unwrap();
		assert_eq!(digest, Tasks::digest(&task, Some(&reply_key), Some(&SECRET_HASH), ASSIGNED_AT));
		assert_ne!(digest, Tasks::digest(&task, Some(&reply_key), None, ASSIGNED_AT), "bound");
		// A liar (4) is out-voted, 5 stays silent while a quorum answered: on a public task 4
		// and 5 would be slashed and all three recorded.
		use Verdict::*;
		let mut decision = agreed(
			b"ciphertext",
			500,
			vec![(2, Some(Agreed)), (4, Some(OutVoted)), (5, Some(NoShow))],
		);
		(decision.revealed, decision.committed) = (vec![2, 4], vec![2, 4]);
		settle(0, decision);
		for p in [2, 4] {
			System::assert_has_event(
				Event::ProviderPaid { task_id: 0, provider: p, amount: seat() }.into(),
			);
		}
		let after: Vec<u128> = (1..=5).map(free).collect();
		assert_eq!(
			after,
			vec![before[0], before[1] + seat(), before[2], before[3] + seat(), before[4]]
		);
		nothing_public_moved();
		assert!((1..=5).all(|p| market(p).busy == 0), "every slot is free");
		assert!(matches!(
			TaskRecords::<Test>::get(0).unwrap().state,
			TaskState::Completed { cost, .. } if cost == 2 * seat()
		));
		assert_eq!(escrow_held(), 0);
		assert_eq!(Balances::total_issuance(), issuance - BASE_FEE, "only the base fee is burned");
	});
}

#[test]
fn a_confidential_task_without_consensus_still_pays_whoever_revealed_and_slashes_nobody() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		// The requester's own accounts 2 and 3 reveal two different outcomes to deny the
		// honest member 1 its pay: it is paid its seat anyway.
		ok(confidential(hash, 3, &[1, 2, 3]));
		let before = free(1);
		settle(
			0,
			Decision {
				result: Err(FailureReason::NoConsensus),
				verdicts: vec![(1, None), (2, None), (3, None)],
				revealed: vec![1, 2, 3],
				committed: vec![1, 2, 3],
			},
		);
		assert_eq!(free(1), before + seat());
		nothing_public_moved();
		let reason = TaskFailure::Attestation(FailureReason::NoConsensus);
		System::assert_has_event(Event::TaskFailed { task_id: 0, reason }.into());
	});
}

#[test]
fn silence_on_a_confidential_task_is_unpaid_and_neither_slashed_nor_recorded() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(confidential(hash, 3, &[1, 2, 3]));
		let before: Vec<u128> = (1..=3).map(free).collect();
		let deadline = System::block_number() + Tasks::windows(FUEL, 3).1;
		while System::block_number() <= deadline {
			next_block();
		}
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Failed { .. }));
		assert_eq!((1..=3).map(free).collect::<Vec<_>>(), before, "nobody paid");
		nothing_public_moved();
		assert_eq!(escrow_held(), 0);
	});
}

#[test]
fn a_confidential_lone_answer_is_final_unaudited_after_its_window_and_paid_its_seat() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(confidential(hash, 1, &[1]));
		assert_eq!(escrow_held(), confidential_escrow(1), "no auditor's seat");
		assert!(Tasks::audit_coin(0).is_none(), "no audit coin");
		let before = free(1);
		// The coin is never shown: a public task's answer would be audited at the window's end.
		hold_unshown(0, b"ciphertext", [3; 32]).unwrap();
		assert_eq!(
			Tasks::show_audit_coin(signed(REQUESTER), 0, quiet_secret(0)),
			Err(Error::<Test>::NoAuditCoin.into())
		);
		to_window_end(0);
		next_block();
		let state = TaskRecords::<Test>::get(0).unwrap().state;
		assert!(matches!(state, TaskState::Delivered { cost, .. } if cost == seat()), "{state:?}");
		assert_eq!(free(1), before + seat(), "its seat, not the 1,000 fuel it reported");
		assert_eq!((market(2).busy, market(3).busy), (0, 0), "no auditor drawn");
		nothing_public_moved();
	});
}

#[test]
fn a_confidential_lone_answer_accepted_early_is_paid_its_seat() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(confidential(hash, 1, &[1]));
		let before = free(1);
		hold_unshown(0, b"ciphertext", [3; 32]).unwrap();
		ok(Tasks::accept_answer(signed(REQUESTER), 0));
		assert_eq!(free(1), before + seat());
		nothing_public_moved();
	});
}

#[test]
fn a_bad_delivery_of_a_confidential_task_is_slashed_without_reputation() {
	test(|| {
		const REPLY_SECRET: [u8; 32] = [5; 32];
		let hash = upload();
		providers(&[1]);
		ok(Tasks::submit_confidential_task(
			signed(REQUESTER),
			hash,
			b"sealed input".to_vec(),
			FUEL,
			16,
			MAX_PRICE,
			1,
			Perbill::zero(),
			None,
			bourse_primitives::reply::public_key(&REPLY_SECRET).unwrap(),
			SECRET_HASH,
			vec![member(1)].try_into().unwrap(),
		));
		next_block();
		hold_bad_box(0);
		assert_ok!(Tasks::claim_bad_delivery(signed(REQUESTER), 0, REPLY_SECRET));
		check_invariants();
		assert_eq!(market(1).slashed, SLASH, "a fault anyone can check");
		assert_eq!(records(), vec![], "no reputation from a confidential task");
	});
}

#[test]
fn confidential_submissions_refuse_bad_member_lists_and_hold_nothing() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3, 4]);
		let members = |who: &[u64]| who.iter().map(|w| member(*w)).collect::<Vec<_>>();
		let refused = |replication, list: Vec<crate::Member<u64>>, error: Error<Test>| {
			assert_noop!(confidential_by(REQUESTER, hash, replication, list, None), error);
		};
		refused(3, members(&[1, 2]), Error::TooFewMembers);
		// Seventeen members do not even decode: the call's list is bounded.
		let many = members(&(100..117).collect::<Vec<_>>()).encode();
		assert!(
			<crate::pallet::BoundedMembers<Test> as codec::Decode>::decode(&mut &many[..]).is_err()
		);
		refused(3, members(&[1, 2, 1]), Error::DuplicateMember);
		refused(1, members(&[1, REQUESTER]), Error::RequesterIsMember);
		let mut wrong = member(2);
		wrong.key = encryption_key_of(3);
		refused(1, vec![member(1), wrong], Error::MemberKeyNotLive);
		// A member whose keys were revoked since the requester read them.
		FakeProviders::mutate(|ps| {
			ps.iter_mut().find(|p| p.who == 4).unwrap().encryption_key = None
		});
		refused(1, members(&[4]), Error::MemberKeyNotLive);
		refused(5, members(&[1, 2, 3, 4, 5]), Error::MemberKeyNotLive);
		// Every member full, others free: nobody to draw, and no queue rent offered.
		set_slots(&[1, 2], 0);
		refused(1, members(&[1, 2]), Error::NoProviderAvailable);
		assert_eq!((escrow_held(), deposits_of(REQUESTER)), (0, 0));
		assert_eq!(crate::Confidential::<Test>::iter().count(), 0);
	});
}

#[test]
fn a_confidential_task_waits_for_its_members_while_others_are_free() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		set_slots(&[1, 2], 0);
		ok(confidential_by(REQUESTER, hash, 1, vec![member(1), member(2)], RENT));
		next_block();
		assert!(is_queued(0), "3 is free but not a member");
		next_block();
		assert!(is_queued(0));
		set_slots(&[2], 1);
		next_block();
		assert_eq!(assigned(0), vec![2]);
		assert_eq!(market(3).busy, 0);
	});
}

#[test]
fn a_member_whose_key_changed_before_the_draw_is_not_drawn() {
	test(|| {
		let hash = upload();
		providers(&[1, 2]);
		ok(confidential_by(REQUESTER, hash, 1, vec![member(1)], None));
		// Provider 1 rotates (or revokes) its key before the next block draws: it cannot open
		// the seal, so it is not drawn, and nobody else is.
		FakeProviders::mutate(|ps| {
			ps.iter_mut().find(|p| p.who == 1).unwrap().encryption_key = Some([0x99; 32])
		});
		next_block();
		assert!(matches!(
			TaskRecords::<Test>::get(0).unwrap().state,
			TaskState::Failed { reason: TaskFailure::NoProvider, .. }
		));
		assert_eq!((market(1).busy, market(2).busy), (0, 0));
	});
}

#[test]
fn a_confidential_tasks_terms_are_under_its_deposit_until_it_is_pruned() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(confidential(hash, 3, &[1, 2, 3]));
		let terms = crate::Confidential::<Test>::get(0).unwrap();
		assert_eq!(terms.members.len(), 3);
		assert_eq!(terms.seal_of(&2), Some(&[2; 80]));
		let input = b"sealed input".len() as u128;
		let terms_len = terms.encoded_size() as u128;
		assert_eq!(
			deposits_of(REQUESTER),
			deposit(1 + 3 + 1, input + MAX_OUTPUT as u128 * 3 + terms_len)
		);
		settle(0, agreed(b"ciphertext", 5, vec![(1, Some(Verdict::Agreed))]));
		assert_eq!(deposits_of(REQUESTER), deposit(3, input + 10 + terms_len));
		while TaskRecords::<Test>::get(0).is_some() {
			next_block();
		}
		assert!(crate::Confidential::<Test>::get(0).is_none(), "pruned with its task");
		assert_eq!(deposits_of(REQUESTER), 0);
	});
}

#[test]
fn a_confidential_member_that_committed_is_paid_even_if_its_reveal_never_landed() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(confidential(hash, 3, &[1, 2, 3]));
		let before: Vec<u128> = (1..=3).map(free).collect();
		// 1 and 2 revealed and agreed; 3 committed, but its reveal was kept out of the chain
		// (by the requester's friends among the authors) after the pool had shown the output.
		use Verdict::*;
		let mut decision = agreed(
			b"ciphertext",
			5,
			vec![(1, Some(Agreed)), (2, Some(Agreed)), (3, Some(OutVoted))],
		);
		(decision.revealed, decision.committed) = (vec![1, 2], vec![1, 2, 3]);
		settle(0, decision);
		let after: Vec<u128> = (1..=3).map(free).collect();
		assert_eq!(after, before.iter().map(|b| b + seat()).collect::<Vec<_>>());
		nothing_public_moved();
	});
}

#[test]
fn a_commitment_alone_is_not_paid_when_a_confidential_task_has_no_result() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(confidential(hash, 3, &[1, 2, 3]));
		let before: Vec<u128> = (1..=3).map(free).collect();
		// 1 revealed; 2 and 3 committed junk hashes and never revealed: no quorum, no result.
		settle(
			0,
			Decision {
				result: Err(FailureReason::NoConsensus),
				verdicts: vec![(1, None), (2, Some(Verdict::NoShow)), (3, Some(Verdict::NoShow))],
				revealed: vec![1],
				committed: vec![1, 2, 3],
			},
		);
		let after: Vec<u128> = (1..=3).map(free).collect();
		assert_eq!(after, vec![before[0] + seat(), before[1], before[2]], "only the revealer");
		nothing_public_moved();
	});
}

#[test]
fn a_members_node_gets_what_opens_its_seal_and_decrypts_the_input_and_others_get_nothing() {
	test(|| {
		use bourse_primitives::confidential::{
			encrypt_input, seal_secret_seeded, secret_hash, TaskContext,
		};
		let hash = upload();
		providers(&[1, 2]);
		// Provider 1's node holds a real encryption key.
		let node_secret = [0x42; 32];
		let key = bourse_primitives::reply::public_key(&node_secret).unwrap();
		FakeProviders::mutate(|ps| {
			ps.iter_mut().find(|p| p.who == 1).unwrap().encryption_key = Some(key)
		});
		// The requester's client, from what it knows: the genesis hash, the workload, its
		// account, its secret; the chain's input bound.
		let secret = [0x77; 32];
		let context = TaskContext {
			genesis: System::block_hash(0).0,
			workload: hash,
			requester: REQUESTER,
			secret_hash: secret_hash(&secret),
		};
		let input = encrypt_input(&secret, &context, 0, b"the plaintext", 64).unwrap();
		let seal = seal_secret_seeded(&key, &context, &secret, [3; 32]).unwrap();
		ok(Tasks::submit_confidential_task(
			signed(REQUESTER),
			hash,
			input.clone(),
			FUEL,
			16,
			MAX_PRICE,
			1,
			Perbill::zero(),
			None,
			[7; 32],
			secret_hash(&secret),
			vec![crate::Member { provider: 1, key, seal }].try_into().unwrap(),
		));
		next_block();
		assert_eq!(assigned(0), vec![1]);
		let work = <Tasks as TaskLedger<u64, u64>>::work(0, &1).unwrap();
		assert_eq!(work.input, input, "the ciphertext, as stored");
		let run = work.confidential.expect("a confidential task's work carries its seal");
		let (plaintext, closer) = run.open(&node_secret, hash, &work.input).unwrap();
		assert_eq!(plaintext, b"the plaintext".to_vec());
		assert_eq!(closer.max_plain_output(), MAX_OUTPUT as usize - 20);
		// Anyone else's node gets no work: never the ciphertext run as a public input.
		assert!(<Tasks as TaskLedger<u64, u64>>::work(0, &2).is_none());
	});
}
