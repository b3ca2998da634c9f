//! The market end to end: tasks submitted, assigned by the real offers pallet, answered through
//! attestation and settled with real payments, slashes and reputation; liars, silent replicas,
//! colluders, ties and cancellation.
#![allow(clippy::unwrap_used)]

use crate::mock::*;
use pallet_attestation::{testing::outcome, Claim, Revealed};
use pallet_tasks::{
	Error, Event, FailureReason, HoldReason, Outputs, Status, TaskFailure, TaskState,
	Tasks as TaskRecords,
};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold},
	sp_runtime::{
		testing::UintAuthorityId, traits::Zero, DispatchResult, Perbill, RuntimeAppPublic,
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
		let proof = UintAuthorityId(100 + p)
			.generate_proof_of_possession(&Offers::executor_owner(&p))
			.unwrap();
		ok(Offers::register_provider(signed(p), 800, UintAuthorityId(100 + p), proof));
		ok(Offers::set_offer(signed(p), PRICE, 10 * FUEL, 64, 4, None));
	}
	next_block();
}

/// The block that assigns the tests' first task: providers are selectable from block 2, where
/// the task is submitted.
const ASSIGNED_AT: u64 = 3;

/// Queue at the least rent.
const RENT: Option<u128> = Some(MIN_QUEUE_RENT);

/// Submits a task and, if that succeeds, starts the next block, which assigns it (or queues
/// or fails it).
fn submit(hash: [u8; 32], replication: u32, queue_rent: Option<u128>) -> DispatchResult {
	submit_pending(hash, replication, queue_rent)?;
	next_block();
	Ok(())
}

/// A signed transaction of `who` submitting a task of `replication` on `input`: its nonce
/// moves first, as `CheckNonce` moves it.
fn submit_by(who: u64, hash: [u8; 32], replication: u32, input: &[u8]) -> DispatchResult {
	System::inc_account_nonce(who);
	submission(who, hash, replication, input, None)
}

/// Submits a task, which the next block assigns.
fn submit_pending(hash: [u8; 32], replication: u32, queue_rent: Option<u128>) -> DispatchResult {
	submission(REQUESTER, hash, replication, b"input", queue_rent)
}

/// `who` submits a task of the tests' fuel, price and timeout.
fn submission(
	who: u64,
	hash: [u8; 32],
	replication: u32,
	input: &[u8],
	queue_rent: Option<u128>,
) -> DispatchResult {
	Tasks::submit_task(
		signed(who),
		hash,
		input.to_vec(),
		FUEL,
		16,
		MAX_PRICE,
		replication,
		Perbill::zero(),
		TIMEOUT,
		queue_rent,
		pallet_attestation::testing::reply_key(),
		crate::mock::audit_terms(replication),
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

/// Applies `provider`'s statement `claim` about task `task_id`, signed by its key, as a block
/// would, and checks the invariants.
fn state(task_id: u64, provider: u64, claim: Claim, output: &[u8]) -> DispatchResult {
	let result = pallet_attestation::testing::submit::<Test>(
		&key(provider),
		task_id,
		provider,
		claim,
		output,
	);
	check_invariants();
	result
}

/// `provider`'s lone answer to `task_id`: `output` sealed to the task's reply key.
fn answer(task_id: u64, provider: u64, output: &[u8], fuel_used: u64) -> DispatchResult {
	let (claim, sealed) = pallet_attestation::testing::sealed_answer::<Test>(
		task_id,
		&provider,
		Status::Success,
		fuel_used,
		output,
		[task_id as u8; 32],
	);
	state(task_id, provider, claim, &sealed)?;
	// The requester's client shows the coin once the answer is on chain: no audit.
	ok(Tasks::show_audit_coin(signed(REQUESTER), task_id, crate::mock::quiet_secret(task_id)));
	Ok(())
}

fn commit(task_id: u64, provider: u64, revealed: &Revealed, salt: [u8; 32]) -> DispatchResult {
	let commitment = pallet_attestation::Pallet::<Test>::commitment(
		&pallet_attestation::Pallet::<Test>::digest_of(task_id).unwrap_or_default(),
		task_id,
		&provider,
		revealed,
		&salt,
	);
	state(task_id, provider, Claim::Commit(commitment), &[])
}

fn reveal(
	task_id: u64,
	provider: u64,
	revealed: &Revealed,
	output: &[u8],
	salt: [u8; 32],
) -> DispatchResult {
	let claim = Claim::Reveal { revealed: revealed.clone(), salt };
	state(task_id, provider, claim, output)
}

/// The escrow of a task: ceil(k × FUEL × MAX_PRICE / 1e6) + BASE_FEE.
/// The escrow of a task of replication `k`: a seat per provider, and the auditor's seat of a
/// lone task.
fn escrow(k: u128) -> u128 {
	let seats = if k == 1 { 2 } else { k };
	seats * (FUEL as u128 * MAX_PRICE).div_ceil(1_000_000) + BASE_FEE
}

fn free(who: u64) -> u128 {
	Balances::free_balance(who)
}

/// `who`'s free balance with its tasks' storage deposits (returned when they are pruned).
fn free_with_deposits(who: u64) -> u128 {
	free(who) + Balances::balance_on_hold(&pallet_tasks::HoldReason::TaskStorage.into(), &who)
}

fn escrow_held() -> u128 {
	Balances::balance_on_hold(&HoldReason::TaskEscrow.into(), &REQUESTER)
}

/// Advances `n` blocks.
fn blocks(n: u64) {
	for _ in 0..n {
		next_block();
	}
}

/// The box of task `task_id`, opened with the requester's secret.
fn opened(task_id: u64) -> bourse_primitives::reply::Opened {
	let digest = pallet_tasks::Digests::<Test>::get(task_id).unwrap();
	let sealed = pallet_tasks::SealedOutputs::<Test>::get(task_id).unwrap();
	bourse_primitives::reply::open(
		&pallet_attestation::testing::REPLY_SECRET,
		&digest,
		&sealed,
		MAX_OUTPUT as usize,
	)
	.unwrap()
}

/// Whether any stored value holds `needle`.
fn stored_anywhere(needle: &[u8]) -> bool {
	let mut key = polkadot_sdk::sp_io::storage::next_key(&[]);
	while let Some(k) = key {
		let value = polkadot_sdk::sp_io::storage::get(&k).unwrap_or_default();
		if value.windows(needle.len()).any(|w| w == needle) {
			return true;
		}
		key = polkadot_sdk::sp_io::storage::next_key(&k);
	}
	false
}

#[test]
fn replication_one_is_held_then_final_paying_the_provider_and_refunding_the_rest() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		let (requester_before, provider_before) = (free(REQUESTER), free(1));
		let issuance = Balances::total_issuance();
		ok(submit(hash, 1, None));
		assert_eq!(escrow_held(), escrow(1));
		System::assert_has_event(
			Event::TaskAssigned { task_id: 0, providers: vec![1], deadline: ASSIGNED_AT + TIMEOUT }
				.into(),
		);
		let fuel_used = 123_457;
		let output = b"the secret result";
		ok(answer(0, 1, output, fuel_used));
		let final_at = ASSIGNED_AT + WINDOW;
		System::assert_has_event(
			Event::AnswerHeld { task_id: 0, provider: 1, fuel_used, final_at }.into(),
		);
		// Provisional: nobody is paid yet, the escrow and the bond exposure stay.
		assert_eq!(free(1), provider_before);
		assert_eq!(escrow_held(), escrow(1));
		assert_eq!(pallet_offers::HeldAnswers::<Test>::get(1), 1);
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Answered { .. }));
		// Only the requester reads the output: nothing stored holds it or its plain hash.
		assert_eq!(opened(0).output, output.to_vec());
		assert!(Outputs::<Test>::get(0).is_none());
		assert!(!stored_anywhere(output), "the output is stored in the clear");
		let plain_hash = polkadot_sdk::sp_io::hashing::blake2_256(output);
		assert!(!stored_anywhere(&plain_hash), "the output's hash is stored");
		blocks(WINDOW - 1);
		assert_eq!(free(1), provider_before, "not final before its window closes");
		next_block();
		let payment = (fuel_used as u128 * PRICE).div_ceil(1_000_000);
		System::assert_has_event(
			Event::TaskDelivered { task_id: 0, provider: 1, fuel_used, cost: payment }.into(),
		);
		assert_eq!(System::block_number(), final_at);
		assert_eq!(free(1), provider_before + payment);
		assert_eq!(free_with_deposits(REQUESTER), requester_before - payment - BASE_FEE);
		assert_eq!(escrow_held(), 0);
		assert_eq!(Balances::total_issuance(), issuance - BASE_FEE, "only the base fee is burned");
		assert_eq!(pallet_offers::HeldAnswers::<Test>::get(1), 0);
		assert!(matches!(
			TaskRecords::<Test>::get(0).unwrap().state,
			TaskState::Delivered { status: Status::Success, .. }
		));
		assert_eq!(opened(0).output, output.to_vec(), "the box stays until pruned");
		assert!(
			Reputation::current(&1).successes.is_zero(),
			"an unchecked answer earns no reputation"
		);
	});
}

/// Provider 1's lone answer to `task_id`, committed to `committed` but with `boxed` in its box
/// (`None`: a box that is not a box at all).
fn lying_answer(task_id: u64, committed: &[u8], boxed: Option<&[u8]>) -> DispatchResult {
	use pallet_attestation::testing::sealed_answer;
	let (claim, honest_box) =
		sealed_answer::<Test>(task_id, &1, Status::Success, FUEL, committed, [3; 32]);
	let Claim::Answer(mut answer) = claim else { unreachable!() };
	let sealed = match boxed {
		Some(other) => sealed_answer::<Test>(task_id, &1, Status::Success, FUEL, other, [3; 32]).1,
		None => vec![0xab; honest_box.len()],
	};
	answer.sealed_hash = polkadot_sdk::sp_io::hashing::blake2_256(&sealed);
	state(task_id, 1, Claim::Answer(answer), &sealed)
}

#[test]
fn a_box_that_does_not_hold_the_committed_outcome_is_proven_and_slashes_the_provider() {
	for boxed in [Some(b"garbage".as_slice()), None] {
		test(|| {
			let hash = upload();
			providers(&[1]);
			let requester_before = free_with_deposits(REQUESTER);
			let bond = pallet_offers::Providers::<Test>::get(1).unwrap().bond;
			ok(submit(hash, 1, None));
			ok(lying_answer(0, b"what I claim", boxed));
			let secret = pallet_attestation::testing::REPLY_SECRET;
			ok(Tasks::claim_bad_delivery(signed(REQUESTER), 0, secret)
				.map(|_| ())
				.map_err(|e| e.error));
			System::assert_has_event(
				Event::ProviderSlashed { task_id: 0, provider: 1, amount: SLASH }.into(),
			);
			System::assert_has_event(
				Event::TaskFailed { task_id: 0, reason: TaskFailure::BadDelivery }.into(),
			);
			assert_eq!(pallet_offers::Providers::<Test>::get(1).unwrap().bond, bond - SLASH);
			assert_eq!(pallet_offers::HeldAnswers::<Test>::get(1), 0);
			assert_eq!(escrow_held(), 0);
			assert_eq!(
				free_with_deposits(REQUESTER),
				requester_before - BASE_FEE,
				"refunded but the base fee; the claim was free"
			);
			assert!(!Reputation::current(&1).failures.is_zero(), "a bad delivery is a failure");
			assert!(pallet_tasks::SealedOutputs::<Test>::get(0).is_none());
			blocks(WINDOW + 1);
			assert_eq!(pallet_offers::Providers::<Test>::get(1).unwrap().bond, bond - SLASH);
		});
	}
}

#[test]
fn a_requester_without_funds_for_the_fee_still_proves_a_bad_delivery() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, None));
		ok(lying_answer(0, b"what I claim", Some(b"garbage")));
		// Everything the requester has left is held (escrow, deposits): nothing for a fee.
		let spare = Balances::free_balance(REQUESTER) - 1;
		ok(Balances::transfer_allow_death(signed(REQUESTER), 99, spare));
		assert!(free(REQUESTER) < FALSE_CLAIM_FEE);
		let secret = pallet_attestation::testing::REPLY_SECRET;
		ok(Tasks::claim_bad_delivery(signed(REQUESTER), 0, secret)
			.map(|_| ())
			.map_err(|e| e.error));
		System::assert_has_event(
			Event::TaskFailed { task_id: 0, reason: TaskFailure::BadDelivery }.into(),
		);
	});
}

#[test]
fn an_honest_box_is_opened_with_the_bound_its_provider_sealed_for() {
	// The chain's output bound may change between the seal and a claim (a runtime upgrade):
	// a box padded for 32 bytes, as the provider signed, still opens as honest.
	test(|| {
		use bourse_primitives::reply;
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, None));
		let digest = pallet_tasks::Digests::<Test>::get(0).unwrap();
		let key = pallet_attestation::testing::reply_key();
		let (salt, output) = ([4; 32], b"small".as_slice());
		let sealed = reply::seal_seeded(&key, &digest, &salt, output, 32, [5; 32]).unwrap();
		let commitment = reply::answer_commitment(
			&digest,
			0,
			&1u64,
			Status::Success,
			500,
			bourse_primitives::EXECUTOR_VERSION,
			&salt,
			&reply::output_digest(output),
			&[2; 32],
		);
		let answer = bourse_primitives::SealedAnswer {
			status: Status::Success,
			fuel_used: 500,
			executor_version: bourse_primitives::EXECUTOR_VERSION,
			commitment,
			proof: [2; 32],
			max_output: 32,
			sealed_hash: polkadot_sdk::sp_io::hashing::blake2_256(&sealed),
		};
		assert!(
			reply::open(&pallet_attestation::testing::REPLY_SECRET, &digest, &sealed, 64).is_err()
		);
		ok(state(0, 1, Claim::Answer(answer), &sealed));
		let bond = pallet_offers::Providers::<Test>::get(1).unwrap().bond;
		let secret = pallet_attestation::testing::REPLY_SECRET;
		ok(Tasks::claim_bad_delivery(signed(REQUESTER), 0, secret)
			.map(|_| ())
			.map_err(|e| e.error));
		System::assert_has_event(
			Event::FalseDeliveryClaim { task_id: 0, requester: REQUESTER, fee: FALSE_CLAIM_FEE }
				.into(),
		);
		assert_eq!(pallet_offers::Providers::<Test>::get(1).unwrap().bond, bond, "not slashed");
		// A box padded for more than the chain's bound is refused.
		ok(submit(hash, 1, None));
		let (claim, sealed) = pallet_attestation::testing::sealed_answer::<Test>(
			1,
			&1,
			Status::Success,
			500,
			b"x",
			[6; 32],
		);
		let Claim::Answer(mut answer) = claim else { unreachable!() };
		answer.max_output = MAX_OUTPUT + 1;
		assert_eq!(
			state(1, 1, Claim::Answer(answer), &sealed),
			Err(pallet_attestation::Error::<Test>::OutputTooLarge.into())
		);
	});
}

#[test]
fn a_false_delivery_claim_costs_the_claimant_and_the_answer_stands() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, None));
		ok(answer(0, 1, b"honest", 500));
		let (before, issuance) = (free(REQUESTER), Balances::total_issuance());
		let secret = pallet_attestation::testing::REPLY_SECRET;
		ok(Tasks::claim_bad_delivery(signed(REQUESTER), 0, secret)
			.map(|_| ())
			.map_err(|e| e.error));
		System::assert_has_event(
			Event::FalseDeliveryClaim { task_id: 0, requester: REQUESTER, fee: FALSE_CLAIM_FEE }
				.into(),
		);
		assert_eq!(free(REQUESTER), before - FALSE_CLAIM_FEE);
		assert_eq!(Balances::total_issuance(), issuance - FALSE_CLAIM_FEE, "the fee is burned");
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Answered { .. }));
		blocks(WINDOW);
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Delivered { .. }));
	});
}

#[test]
fn delivery_claims_are_checked() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, None));
		let secret = pallet_attestation::testing::REPLY_SECRET;
		let claim = |who, secret| {
			Tasks::claim_bad_delivery(signed(who), 0, secret).map(|_| ()).map_err(|e| e.error)
		};
		assert_noop!(claim(REQUESTER, secret), Error::<Test>::NotAnswered);
		ok(answer(0, 1, b"honest", 500));
		assert_noop!(claim(REQUESTER + 1, secret), Error::<Test>::NotRequester);
		assert_noop!(claim(REQUESTER, [9; 32]), Error::<Test>::WrongSecret);
		assert_noop!(
			Tasks::claim_bad_delivery(signed(REQUESTER), 7, secret),
			Error::<Test>::UnknownTask
		);
		assert_noop!(Tasks::accept_answer(signed(REQUESTER + 1), 0), Error::<Test>::NotRequester);
		blocks(WINDOW - 1);
		// The window's last block: the claim is still heard.
		let before = free(REQUESTER);
		ok(claim(REQUESTER, secret));
		assert_eq!(free(REQUESTER), before - FALSE_CLAIM_FEE);
		next_block();
		assert_noop!(claim(REQUESTER, secret), Error::<Test>::NotAnswered);
		assert_noop!(Tasks::accept_answer(signed(REQUESTER), 0), Error::<Test>::NotAnswered);
	});
}

#[test]
fn a_requester_may_accept_an_answer_before_its_window_closes() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, None));
		ok(answer(0, 1, b"fine", 500));
		let before = free(1);
		ok(Tasks::accept_answer(signed(REQUESTER), 0));
		assert_eq!(free(1), before + (500 * PRICE).div_ceil(1_000_000));
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Delivered { .. }));
		assert_eq!(pallet_offers::HeldAnswers::<Test>::get(1), 0);
		// Its place in the held queue passes without a second payment.
		blocks(WINDOW + 1);
		assert_eq!(free(1), before + (500 * PRICE).div_ceil(1_000_000));
	});
}

#[test]
fn a_provider_cannot_leave_while_an_answer_of_its_is_held() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		ok(submit(hash, 1, None));
		ok(answer(0, 1, b"fine", 500));
		assert_noop!(
			Offers::unregister_provider(signed(1)),
			pallet_offers::Error::<Test>::OpenTasks
		);
		blocks(WINDOW);
		ok(Offers::unregister_provider(signed(1)));
	});
}

#[test]
fn held_answers_count_against_the_bond_not_the_slots() {
	test(|| {
		let hash = upload();
		// A bond of 300 covers 3 slashes of 100, and the offer's 3 slots.
		let proof =
			UintAuthorityId(101).generate_proof_of_possession(&Offers::executor_owner(&1)).unwrap();
		ok(Offers::register_provider(signed(1), 300, UintAuthorityId(101), proof));
		ok(Offers::set_offer(signed(1), PRICE, 10 * FUEL, 64, 3, None));
		next_block();
		for task_id in 0..3 {
			ok(submit(hash, 1, None));
			ok(answer(task_id, 1, b"fine", 500));
		}
		assert_eq!(pallet_offers::HeldAnswers::<Test>::get(1), 3);
		assert_eq!(
			submit_pending(hash, 1, None),
			Err(Error::<Test>::NoProviderAvailable.into()),
			"every slash the bond covers is exposed: no more work, though every slot is free"
		);
		blocks(WINDOW);
		assert_eq!(pallet_offers::HeldAnswers::<Test>::get(1), 0);
		ok(submit(hash, 1, None));
		assert_eq!(assigned(3), vec![1]);
	});
}

/// A requester and a provider in league buy the provider no reputation with single tasks
/// answered with junk (nothing executed): an unchecked answer is paid, not evidence. A
/// replicated task's agreement is.
#[test]
fn self_dealing_junk_answers_gain_no_reputation() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		let score = |who| <Reputation as pallet_reputation::ProviderReputation<u64>>::score(&who);
		let before = score(1);
		for task_id in 0..8 {
			ok(submit(hash, 1, None));
			ok(answer(task_id, 1, b"junk", FUEL));
		}
		assert_eq!(score(1), before, "eight junk answers, the same score");
		assert!(Reputation::current(&1).successes.is_zero());
	});
}

/// Three providers commit and reveal; `outputs[i]` is what the i-th assigned provider reveals
/// (`None`: it never commits nor reveals).
fn replicated(outputs: [Option<&[u8]>; 3]) -> Vec<u64> {
	let hash = upload();
	providers(&[1, 2, 3]);
	ok(submit(hash, 3, None));
	let order = assigned(0);
	for (i, &p) in order.iter().enumerate() {
		if let Some(out) = outputs[i] {
			ok(commit(0, p, &outcome(out, 500), [i as u8; 32]));
		}
	}
	while System::block_number() <= ASSIGNED_AT + COMMIT_WINDOW {
		next_block();
	}
	for (i, &p) in order.iter().enumerate() {
		if let Some(out) = outputs[i] {
			ok(reveal(0, p, &outcome(out, 500), out, [i as u8; 32]));
		}
	}
	order
}

fn run_to_timeout() {
	while System::block_number() <= ASSIGNED_AT + TIMEOUT {
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
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Completed { .. }));
		System::assert_has_event(
			Event::ProviderSlashed { task_id: 0, provider: order[0], amount: NO_SHOW_SLASH }.into(),
		);
		assert_eq!(Outputs::<Test>::get(0).unwrap().into_inner(), b"good".to_vec());
	});
}

#[test]
fn an_answered_task_settled_at_its_deadline_is_charged_the_settle_bound() {
	test(|| {
		// The third commits and withholds its reveal: the task waits for its deadline.
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(submit(hash, 3, None));
		let order = assigned(0);
		for (i, &p) in order.iter().enumerate() {
			ok(commit(0, p, &outcome(b"good", 500), [i as u8; 32]));
		}
		for (i, &p) in order.iter().take(2).enumerate() {
			ok(reveal(0, p, &outcome(b"good", 500), b"good", [i as u8; 32]));
		}
		let (due, _, _) =
			pallet_tasks::Timeouts::<Test>::iter().find(|(_, id, _)| *id == 0).unwrap();
		while System::block_number() + 1 < due {
			next_block();
		}
		System::set_block_number(due);
		let charged =
			<Tasks as polkadot_sdk::frame_support::traits::Hooks<u64>>::on_initialize(due);
		check_invariants();
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Completed { .. }));
		let bound = <() as pallet_attestation::WeightInfo>::reveal(64);
		assert!(charged.all_gte(bound), "{charged:?}");
	});
}

#[test]
fn a_dead_replica_does_not_hold_the_result_and_is_a_no_show() {
	test(|| {
		let order = replicated([Some(b"good"), Some(b"good"), None]);
		// Commits closed, every committer revealed: settled at the last reveal, not the timeout.
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Completed { .. }));
		System::assert_has_event(
			Event::ProviderSlashed { task_id: 0, provider: order[2], amount: NO_SHOW_SLASH }.into(),
		);
		System::assert_has_event(
			pallet_attestation::Event::VerdictGiven {
				task_id: 0,
				provider: order[2],
				verdict: pallet_tasks::Verdict::NoShow,
			}
			.into(),
		);
	});
}

#[test]
fn a_withheld_reveal_that_would_lose_is_out_voted() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(submit(hash, 3, None));
		let order = assigned(0);
		for (i, &p) in order.iter().enumerate() {
			ok(commit(0, p, &outcome(if i == 2 { b"lie" } else { b"good" }, 500), [i as u8; 32]));
		}
		for (i, &p) in order.iter().take(2).enumerate() {
			ok(reveal(0, p, &outcome(b"good", 500), b"good", [i as u8; 32]));
		}
		run_to_timeout();
		System::assert_has_event(
			Event::ProviderSlashed { task_id: 0, provider: order[2], amount: SLASH }.into(),
		);
		System::assert_has_event(
			pallet_attestation::Event::VerdictGiven {
				task_id: 0,
				provider: order[2],
				verdict: pallet_tasks::Verdict::OutVoted,
			}
			.into(),
		);
	});
}

#[test]
fn without_a_quorum_nobody_is_paid_or_slashed() {
	test(|| {
		// All three commit; the honest one reveals, the other two never do.
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(submit(hash, 3, None));
		let order = assigned(0);
		for (i, &p) in order.iter().enumerate() {
			ok(commit(0, p, &outcome(if i == 0 { b"good" } else { b"lie" }, 500), [i as u8; 32]));
		}
		ok(reveal(0, order[0], &outcome(b"good", 500), b"good", [0; 32]));
		run_to_timeout();
		// One reveal of three is no quorum: the chain cannot tell who is right. A majority that
		// withholds denies the result (and is marked a no-show), but slashes nobody.
		let reason = TaskFailure::Attestation(FailureReason::NoConsensus);
		System::assert_has_event(Event::TaskFailed { task_id: 0, reason }.into());
		assert!(!System::events().iter().any(|e| matches!(
			e.event,
			RuntimeEvent::Tasks(Event::ProviderSlashed { .. } | Event::ProviderPaid { .. })
		)));
		for &colluder in &order[1..] {
			System::assert_has_event(
				pallet_attestation::Event::VerdictGiven {
					task_id: 0,
					provider: colluder,
					verdict: pallet_tasks::Verdict::NoShow,
				}
				.into(),
			);
		}
	});
}

#[test]
fn a_tie_is_no_consensus_refunded_without_payment() {
	test(|| {
		let before = free(REQUESTER);
		let order = replicated([Some(b"a"), Some(b"b"), None]);
		let reason = TaskFailure::Attestation(FailureReason::NoConsensus);
		System::assert_has_event(Event::TaskFailed { task_id: 0, reason }.into());
		// Without a winner the task was not shown feasible: silence is marked, not slashed.
		System::assert_has_event(
			pallet_attestation::Event::VerdictGiven {
				task_id: 0,
				provider: order[2],
				verdict: pallet_tasks::Verdict::NoShow,
			}
			.into(),
		);
		assert!(!System::events()
			.iter()
			.any(|e| matches!(e.event, RuntimeEvent::Tasks(Event::ProviderSlashed { .. }))));
		// Refunded except the base fee (and the workload deposit, still held).
		let deposit = 10 + wasm(b"workload").len() as u128;
		assert_eq!(free_with_deposits(REQUESTER), before - BASE_FEE - deposit);
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
		assert_eq!(
			free_with_deposits(REQUESTER),
			before - BASE_FEE - 2 * MIN_QUEUE_RENT,
			"a queued task costs its base fee and a turn of the queue's rent"
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
fn an_abstention_is_neither_paid_nor_slashed_and_refunds_the_requester() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		let (requester_before, provider_before) = (free(REQUESTER), free(1));
		let bond = Balances::balance_on_hold(&pallet_offers::HoldReason::ProviderBond.into(), &1);
		ok(submit(hash, 1, None));
		ok(state(0, 1, Claim::Abstain(pallet_attestation::AbstainReason::Time), &[]));
		System::assert_has_event(
			Event::TaskFailed {
				task_id: 0,
				reason: TaskFailure::Attestation(FailureReason::Abstained),
			}
			.into(),
		);
		assert_eq!(free(1), provider_before, "not paid");
		assert_eq!(
			Balances::balance_on_hold(&pallet_offers::HoldReason::ProviderBond.into(), &1),
			bond,
			"not slashed"
		);
		assert_eq!(
			free_with_deposits(REQUESTER),
			requester_before - BASE_FEE,
			"refunded but the base fee"
		);
		assert_eq!(escrow_held(), 0);
		assert_eq!(
			pallet_offers::Providers::<Test>::get(1).unwrap().busy_slots,
			0,
			"its slot is free again"
		);
		let record = Reputation::current(&1);
		assert!(record.failures > Zero::zero(), "recorded as a (light) failure");
		assert!(
			!System::events()
				.iter()
				.any(|e| matches!(e.event, RuntimeEvent::Tasks(Event::ProviderSlashed { .. }))),
			"nobody slashed"
		);
	});
}

#[test]
fn a_heavy_replicated_task_gets_a_commit_window_that_follows_its_fuel() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		// Five blocks of compute: far beyond a fixed two-block commit window.
		let fuel = 5 * FUEL_PER_BLOCK;
		let (window, min_timeout) = Tasks::windows(fuel, 3);
		assert_eq!((window, min_timeout), (8, 11), "run 1 + 5 blocks, 2 to land, 3 to reveal");
		let heavy = |timeout| {
			Tasks::submit_task(
				signed(REQUESTER),
				hash,
				b"input".to_vec(),
				fuel,
				16,
				MAX_PRICE,
				3,
				Perbill::zero(),
				timeout,
				None,
				[7; 32],
				crate::mock::audit_terms(3),
			)
		};
		assert_noop!(heavy(min_timeout - 1), Error::<Test>::TimeoutTooShort);
		ok(heavy(min_timeout));
		next_block();
		let order = assigned(0);
		// The honest replicas commit once their six-block runs end.
		for _ in 0..6 {
			next_block();
		}
		for (i, &p) in order.iter().enumerate() {
			ok(commit(0, p, &outcome(b"good", 500), [i as u8; 32]));
		}
		for (i, &p) in order.iter().enumerate() {
			ok(reveal(0, p, &outcome(b"good", 500), b"good", [i as u8; 32]));
		}
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Completed { .. }));
		for &p in &order {
			System::assert_has_event(
				Event::ProviderPaid { task_id: 0, provider: p, amount: 1 }.into(),
			);
		}
	});
}

/// Whether task `id` has settled.
fn settled(id: u64) -> bool {
	!matches!(
		TaskRecords::<Test>::get(id).unwrap().state,
		TaskState::Queued { .. } | TaskState::Assigned { .. }
	)
}

/// Runs the assigned task `id` to its settlement with every provider but `dead` committing
/// and revealing the same outcome; returns who was assigned.
fn run_without(id: u64, dead: u64) -> Vec<u64> {
	let order = assigned(id);
	let mut live: Vec<u64> = order.iter().copied().filter(|&p| p != dead).collect();
	let good = outcome(b"good", 500);
	for &p in &live {
		ok(commit(id, p, &good, [p as u8; 32]));
	}
	for _ in 0..=TIMEOUT + 1 {
		if settled(id) {
			break;
		}
		// Reveals open once every replica committed or the commit window closed.
		live.retain(|&p| reveal(id, p, &good, b"good", [p as u8; 32]).is_err());
		next_block();
	}
	assert!(settled(id), "task {id} settled");
	order
}

fn paused_events() -> Vec<(u64, u32)> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Offers(pallet_offers::Event::OfferPaused { provider, missed }) => {
				Some((provider, missed))
			}
			_ => None,
		})
		.collect()
}

#[test]
fn a_dead_replica_is_paused_after_three_misses_and_no_longer_drawn_until_resumed() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3, 4]);
		const DEAD: u64 = 4;
		let mut misses = 0;
		let mut id = 0;
		while !pallet_offers::Pallet::<Test>::is_paused(&DEAD) {
			assert!(id < 30, "paused within 30 tasks");
			ok(submit(hash, 3, None));
			if run_without(id, DEAD).contains(&DEAD) {
				misses += 1;
			}
			id += 1;
		}
		assert_eq!(misses, 3, "paused at its third miss in a row");
		assert_eq!(paused_events(), vec![(DEAD, 3)]);
		// Out of selection: ten more tasks all go to the three live providers and complete.
		for _ in 0..10 {
			ok(submit(hash, 3, None));
			let mut order = run_without(id, DEAD);
			order.sort();
			assert_eq!(order, vec![1, 2, 3], "task {id} drew only the live");
			assert!(matches!(
				TaskRecords::<Test>::get(id).unwrap().state,
				TaskState::Completed { .. }
			));
			id += 1;
		}
		// The operator resumes: it is drawn again.
		// The operator resumes: it is drawn again. (Its reputation is low after three misses,
		// so its weight is small: with one live provider gone, a task of three needs it.)
		ok(Offers::resume_offer(signed(DEAD)));
		next_block();
		ok(Offers::withdraw_offer(signed(1)));
		let mut drawn = true;
		for _ in 0..3 {
			ok(submit(hash, 3, None));
			drawn &= run_without(id, 0).contains(&DEAD);
			id += 1;
		}
		assert!(drawn, "drawn again once resumed");
	});
}

#[test]
fn abstaining_and_answering_keep_a_provider_in_selection_silence_does_not() {
	test(|| {
		let hash = upload();
		providers(&[1]);
		// Abstentions are words: five in a row do not pause.
		for id in 0..5 {
			ok(submit(hash, 1, None));
			ok(state(id, 1, Claim::Abstain(pallet_attestation::AbstainReason::Memory), &[]));
		}
		assert!(!pallet_offers::Pallet::<Test>::is_paused(&1));
		// Two silent single tasks, an answer, two more silent: still never three in a row.
		let mut id = 5;
		for answers in [false, false, true, false, false] {
			ok(submit(hash, 1, None));
			if answers {
				ok(answer(id, 1, b"out", 100));
			} else {
				run_to_timeout_of(id);
			}
			id += 1;
		}
		assert!(!pallet_offers::Pallet::<Test>::is_paused(&1));
		// The third silence in a row pauses; the next task waits in the queue.
		ok(submit(hash, 1, None));
		run_to_timeout_of(id);
		assert_eq!(paused_events(), vec![(1, 3)]);
		ok(submit(hash, 1, RENT));
		assert!(matches!(
			TaskRecords::<Test>::get(id + 1).unwrap().state,
			TaskState::Queued { .. }
		));
		// Silence without a quorum is never slashed (single tasks: nobody showed it feasible).
		assert!(!System::events()
			.iter()
			.any(|e| matches!(e.event, RuntimeEvent::Tasks(Event::ProviderSlashed { .. }))));
	});
}

/// Advances until task `id` times out and settles.
fn run_to_timeout_of(id: u64) {
	for _ in 0..=TIMEOUT + 1 {
		if settled(id) {
			return;
		}
		next_block();
	}
	assert!(settled(id), "task {id} settled at its timeout");
}

/// On one fork `requester` submits a single task with `input`, drawn onto provider 1; returns
/// the provider's signed answer to it and the task's id.
fn fork_with_task(
	requester: u64,
	input: &[u8],
) -> (polkadot_sdk::sp_io::TestExternalities, u64, pallet_attestation::Call<Test>) {
	let mut ext = new_test_ext();
	let answer = ext.execute_with(|| {
		let code = wasm(b"workload");
		ok(Tasks::upload_workload(signed(REQUESTER), code.clone()));
		let hash = polkadot_sdk::sp_io::hashing::blake2_256(&code);
		providers(&[1]);
		ok(submit_by(requester, hash, 1, input));
		next_block();
		assert_eq!(assigned(0), vec![1]);
		let (claim, sealed) = pallet_attestation::testing::sealed_answer::<Test>(
			0,
			&1,
			Status::Success,
			500,
			b"out",
			[1; 32],
		);
		let statement = pallet_attestation::Statement { task_id: 0, provider: 1, claim };
		pallet_attestation::Pallet::<Test>::signed_call(
			&pallet_attestation::Pallet::<Test>::digest_of(0).unwrap(),
			statement,
			sealed,
			&key(1),
		)
		.unwrap()
	});
	(ext, 0, answer)
}

#[test]
fn an_answer_on_one_fork_is_refused_on_a_sibling_fork_whose_task_has_the_same_id() {
	// Two sibling forks from the same state: task 0 is one requester's on one fork, another's
	// on the other, both drawn onto provider 1 in the same block.
	let (_, id, answer_on_a) = fork_with_task(REQUESTER, b"input of a");
	let (mut fork_b, _, answer_on_b) = fork_with_task(REQUESTER + 1, b"input of b");
	fork_b.execute_with(|| {
		assert_eq!(
			pallet_attestation::testing::apply::<Test>(answer_on_a),
			Err(pallet_attestation::Error::<Test>::BadSignature.into()),
			"the answer to fork A's task {id} does not count for fork B's"
		);
		check_invariants();
		assert_eq!(pallet_attestation::testing::apply::<Test>(answer_on_b), Ok(()));
		check_invariants();
		assert!(matches!(TaskRecords::<Test>::get(id).unwrap().state, TaskState::Answered { .. }));
	});
}

#[test]
fn a_task_assigned_before_digests_were_kept_still_commits_reveals_and_completes() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3]);
		ok(submit(hash, 3, None));
		// As a spec-103 chain left it: no digest, so answers use the formats of then.
		pallet_tasks::Digests::<Test>::remove(0);
		assert_eq!(pallet_attestation::Pallet::<Test>::digest_of(0), Some([0; 32]));
		let good = outcome(b"good", 500);
		let order = assigned(0);
		for &p in &order {
			ok(commit(0, p, &good, [p as u8; 32]));
		}
		for &p in &order {
			ok(reveal(0, p, &good, b"good", [p as u8; 32]));
		}
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Completed { .. }));
	});
}

/// The including author's lever: it puts submissions of its own before a victim's in the
/// block. The victim's providers do not change: its seed is its requester's and nonce's, mixed
/// with the next block's randomness, and a block's tasks are drawn in the order of their seeds
/// (while slots remain, the tasks drawn first change no weight of the others).
#[test]
fn an_author_inserting_its_own_submissions_before_a_victims_does_not_change_its_providers() {
	const AUTHOR: u64 = 15;
	let victims_providers = |replication: u32, inserted: u32, randomness: [u8; 32]| {
		let mut chosen = Vec::new();
		test(|| {
			let hash = upload();
			providers(&[1, 2, 3, 4, 5, 6, 7]);
			for _ in 0..inserted {
				ok(submit_by(AUTHOR, hash, 3, b"the author's"));
			}
			ok(submit_by(REQUESTER, hash, replication, b"input"));
			set_randomness(randomness);
			next_block();
			chosen = assigned(u64::from(inserted));
		});
		chosen
	};
	let mut seen = std::collections::BTreeSet::new();
	for replication in [1, 3] {
		for r in 0..6u8 {
			let alone = victims_providers(replication, 0, [r; 32]);
			for inserted in [1, 3] {
				assert_eq!(
					victims_providers(replication, inserted, [r; 32]),
					alone,
					"k = {replication}, {inserted} inserted, randomness {r}"
				);
			}
			seen.insert(alone);
		}
	}
	assert!(seen.len() > 2, "the draws do vary with the randomness: {seen:?}");
}

/// The assigning author's lever: it knows its VRF output ahead and sees a victim's submission
/// in the pool, so it sends bond increments to the same block until the victim's draw, as it
/// foresees it, lands on its own seat. The parent hash in the randomness defeats this: the
/// author cannot compute the draw before the block carrying its bond change is sealed, and
/// then the change is in or out. Staged both ways: with the draw foreseeable (randomness from
/// the VRF output alone) the grinding wins almost always; as the chain draws, at about its
/// share of the stake.
#[test]
fn the_assigning_author_cannot_grind_its_bond_into_a_victims_draw() {
	use codec::Encode;
	use polkadot_sdk::{
		frame_support::storage::with_transaction,
		sp_core::H256,
		sp_io::hashing::blake2_256,
		sp_runtime::{DispatchError, TransactionOutcome},
	};
	// One of the three offers the single seat is drawn from (the window's first entries).
	const ATTACKER: u64 = 3;
	const TRIALS: u8 = 16;
	let wins = |foreseeable: bool| {
		let mut wins = 0;
		for trial in 0..TRIALS {
			test(|| {
				let hash = upload();
				providers(&[1, 2, ATTACKER, 4, 5, 6, 7]);
				// The attacker's VRF output for the assigning block, known an epoch ahead.
				set_randomness([trial; 32]);
				ok(submit_by(REQUESTER, hash, 1, b"input"));
				// The hash of the block carrying the victim's task and the bond change: known
				// only once that block is sealed.
				let sealed = |extra: u128| H256(blake2_256(&(trial, extra).encode()));
				let foreseen = |extra: u128| {
					with_transaction(|| {
						ok(Offers::bond_extra(signed(ATTACKER), extra));
						let parent = if foreseeable { sealed(extra) } else { H256::zero() };
						System::set_parent_hash(parent);
						next_block();
						let won = assigned(0) == vec![ATTACKER];
						TransactionOutcome::Rollback(Ok::<_, DispatchError>(won))
					})
					.unwrap()
				};
				let extra = (1..=40u128).map(|e| e * 10).find(|&e| foreseen(e)).unwrap_or(10);
				ok(Offers::bond_extra(signed(ATTACKER), extra));
				System::set_parent_hash(sealed(extra));
				next_block();
				if assigned(0) == vec![ATTACKER] {
					wins += 1;
				}
			});
		}
		wins
	};
	let (foreseen, drawn) = (wins(true), wins(false));
	println!("the grinding author won {foreseen} of {TRIALS} foreseeable draws, {drawn} real ones");
	assert!(foreseen >= TRIALS - 1, "the attack works where the draw can be foreseen");
	// Its share of the seat's window is a third: about 5 of 16.
	assert!(drawn <= TRIALS * 2 / 3, "and not against the chain's draw");
}

/// The lever of an author of two blocks in a row: it knows its VRF output for the second block
/// ahead and, sealing the first (which carries a victim's task), grinds that block's hash (its
/// seal, timestamp, contents) until the draw it foresees in the second gives the victim's seat
/// to its own provider. Staged both ways: where the second block draws, the grinding wins
/// almost always; as the chain draws (an author's block after its own block draws nothing; the
/// next author's does, with a VRF output the grinder cannot know), at about its share.
#[test]
fn an_author_of_two_blocks_in_a_row_cannot_grind_the_first_into_the_draw() {
	use codec::Encode;
	use pallet_tasks::Authored;
	use polkadot_sdk::{
		frame_support::storage::with_transaction,
		sp_core::H256,
		sp_io::hashing::blake2_256,
		sp_runtime::{DispatchError, TransactionOutcome},
	};
	// One of the three offers the single seat is drawn from (the window's first entries).
	const ATTACKER: u64 = 3;
	const ITS_AUTHOR: Authored = Authored::By([3; 32]);
	const TRIALS: u8 = 48;
	let won = || {
		matches!(
			&TaskRecords::<Test>::get(0).unwrap().state,
			TaskState::Assigned { providers, .. }
				if providers.iter().map(|a| a.provider).eq([ATTACKER])
		)
	};
	let wins = |the_second_block_draws: bool| {
		let mut wins = 0;
		for trial in 0..TRIALS {
			test(|| {
				let hash = upload();
				providers(&[1, 2, ATTACKER, 4, 5, 6, 7]);
				// The attacker authors the block carrying the victim's task...
				set_author(ITS_AUTHOR);
				let _ = pallet_tasks::Pallet::<Test>::may_draw();
				ok(submit_by(REQUESTER, hash, 1, b"input"));
				// ...and the next, whose VRF output it knew an epoch ahead.
				set_randomness([trial; 32]);
				let second = if the_second_block_draws { Authored::Unknown } else { ITS_AUTHOR };
				let sealed = |grind: u32| H256(blake2_256(&(trial, grind).encode()));
				let foreseen = |grind: u32| {
					with_transaction(|| {
						System::set_parent_hash(sealed(grind));
						set_author(second);
						next_block();
						TransactionOutcome::Rollback(Ok::<_, DispatchError>(won()))
					})
					.unwrap()
				};
				let grind = (0..40).find(|&g| foreseen(g)).unwrap_or(0);
				System::set_parent_hash(sealed(grind));
				set_author(second);
				next_block();
				if !the_second_block_draws {
					assert!(!won(), "the second block drew nothing");
					// Another validator's block, with its own VRF output.
					set_randomness(blake2_256(&(b"another author", trial).encode()));
					System::set_parent_hash(sealed(grind + 1_000));
					set_author(Authored::By([4; 32]));
					next_block();
				}
				if won() {
					wins += 1;
				}
			});
		}
		wins
	};
	let (foreseen, drawn) = (wins(true), wins(false));
	println!("an author of two blocks in a row won {foreseen} of {TRIALS} draws in its own block, {drawn} as the chain draws");
	assert!(foreseen >= TRIALS - 1, "the attack works where the author's own block draws");
	// Its share of the seat's window is a third: about 16 of 48 (36 of 96 with 96 trials).
	assert!(drawn <= TRIALS / 2, "and not against the chain's draw");
}

/// What opening a run of `output` with 500 fuel under `salt` shows (the tests' fingerprint
/// stand-in: the output's hash, as `sealed_answer` proves it).
fn opening_of(output: &[u8], salt: [u8; 32]) -> pallet_attestation::Opening {
	let hash = polkadot_sdk::sp_io::hashing::blake2_256(output);
	pallet_attestation::Opening {
		status: Status::Success,
		fuel_used: 500,
		executor_version: bourse_primitives::EXECUTOR_VERSION,
		output_digest: hash,
		fingerprint: hash,
		salt,
	}
}

/// Task 0, answered alone with `answered` (its coin never shown) and audited when its window
/// closes: returns the provider and the auditor.
fn audited(answered: &[u8]) -> (u64, u64) {
	let hash = upload();
	providers(&[1, 2, 3]);
	ok(submit(hash, 1, None));
	let provider = assigned(0)[0];
	let (claim, sealed) = pallet_attestation::testing::sealed_answer::<Test>(
		0,
		&provider,
		Status::Success,
		500,
		answered,
		[5; 32],
	);
	ok(state(0, provider, claim, &sealed));
	while !matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Audited { .. }) {
		next_block();
	}
	let TaskState::Audited { auditor, .. } = TaskRecords::<Test>::get(0).unwrap().state else {
		unreachable!()
	};
	assert_ne!(auditor.provider, provider);
	(provider, auditor.provider)
}

/// The auditor commits blind to its run of `output`, then both open.
fn audit_runs(provider: u64, auditor: u64, answered: &[u8], output: &[u8]) {
	let digest = pallet_attestation::Pallet::<Test>::digest_of(0).unwrap();
	let mine = opening_of(output, [6; 32]);
	ok(state(0, auditor, Claim::Commit(mine.commitment(&digest, 0, &auditor)), &[]));
	ok(state(0, provider, Claim::Open(opening_of(answered, [5; 32])), &[]));
	ok(state(0, auditor, Claim::Open(mine), &[]));
}

#[test]
fn an_audited_honest_answer_pays_both_and_earns_the_provider_its_first_reputation() {
	test(|| {
		let (provider, auditor) = audited(b"out");
		let score = |who| <Reputation as pallet_reputation::ProviderReputation<u64>>::score(&who);
		let before = score(provider);
		let (provider_before, auditor_before) = (free(provider), free(auditor));
		audit_runs(provider, auditor, b"out", b"out");
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Delivered { .. }));
		let pay = (500 * PRICE).div_ceil(1_000_000);
		assert_eq!(free(provider) - provider_before, pay, "the provider paid at its price");
		assert_eq!(free(auditor) - auditor_before, pay, "the auditor paid for its run");
		assert!(!Reputation::current(&provider).successes.is_zero(), "verified work counts");
		assert!(score(provider) > before);
		assert_eq!(escrow_held(), 0, "the rest refunded");
	});
}

/// Committee member `who` of task 0's dispute runs it and gets `output`: what it opens, its
/// witness (keyed by the round's digest, which names the committee) and its box (the output
/// sealed to the requester under the round's digest).
fn member_opening(who: u64, output: &[u8]) -> (pallet_attestation::Opening, [u8; 32], Vec<u8>) {
	use bourse_primitives::reply;
	let digest = pallet_attestation::Pallet::<Test>::digest_of(0).unwrap();
	let witness = reply::committee_witness(&digest, output);
	let salt = [who as u8; 32];
	let key = pallet_tasks::Pallet::<Test>::reply_key(0).unwrap();
	let sealed =
		reply::seal_seeded(&key, &digest, &salt, output, MAX_OUTPUT as usize, [who as u8; 32])
			.unwrap();
	(opening_of(output, salt), witness, sealed)
}

#[test]
fn a_junk_answer_is_caught_by_the_audit_and_its_committee_slashes_the_provider() {
	test(|| {
		let (provider, auditor) = audited(b"junk");
		providers(&[4, 5, 6]);
		let bond =
			|who| Balances::balance_on_hold(&pallet_offers::HoldReason::ProviderBond.into(), &who);
		let (provider_bond, auditor_free) = (bond(provider), free(auditor));
		let requester_before = free_with_deposits(REQUESTER);
		let issuance = Balances::total_issuance();
		audit_runs(provider, auditor, b"junk", b"out");
		// Disputed: a committee is drawn a window after the audit's deadline.
		let disputed = |task| pallet_tasks::Disputes::<Test>::get(task);
		assert!(disputed(0).is_some_and(|d| d.committee.is_empty()));
		assert_eq!(bond(provider), provider_bond, "nobody slashed on the auditor's word");
		while disputed(0).is_some_and(|d| d.committee.is_empty()) {
			next_block();
		}
		let members: Vec<u64> = disputed(0).unwrap().committee.iter().map(|a| a.provider).collect();
		assert_eq!(members.len(), 3);
		for m in &members {
			assert!(![provider, auditor, REQUESTER].contains(m), "{m} may not sit");
		}
		let members_free: Vec<u128> = members.iter().map(|m| free(*m)).collect();
		// Each member runs it, commits blind, then opens.
		let digest = pallet_attestation::Pallet::<Test>::digest_of(0).unwrap();
		for m in &members {
			let (mine, witness, _) = member_opening(*m, b"out");
			let committed = mine.member_commitment(&digest, 0, m, &witness);
			ok(state(0, *m, Claim::Commit(committed), &[]));
		}
		for m in &members {
			let (opening, witness, sealed) = member_opening(*m, b"out");
			let sealed_hash = polkadot_sdk::sp_io::hashing::blake2_256(&sealed);
			ok(state(0, *m, Claim::OpenWitnessed { opening, witness, sealed_hash }, &sealed));
		}
		System::assert_has_event(
			Event::CommitteeJudged {
				task_id: 0,
				upheld: bourse_primitives::traits::Upheld::Auditor,
			}
			.into(),
		);
		// The requester gets the committee's output, at no cost: its first member's box.
		assert!(matches!(
			TaskRecords::<Test>::get(0).unwrap().state,
			TaskState::Delivered { provider, cost: 0, .. } if provider == members[0]
		));
		assert_eq!(opened(0).output, b"out".to_vec());
		// The liar lost its slash; each member was paid its run out of it (at most an equal
		// share of half of it); the auditor was paid its run; the requester paid for the
		// auditor only.
		assert_eq!(bond(provider), provider_bond - SLASH);
		let run = 1; // 500 fuel at PRICE, rounded up
		let share = run.min(SLASH / 6);
		for (m, before) in members.iter().zip(members_free) {
			assert_eq!(free(*m), before + share, "member {m}'s pay");
		}
		let audit_cost = run;
		assert_eq!(free(auditor), auditor_free + audit_cost);
		assert_eq!(
			free_with_deposits(REQUESTER),
			requester_before + escrow(1) - BASE_FEE - audit_cost
		);
		assert!(!Reputation::current(&provider).failures.is_zero());
		assert!(!Reputation::current(&auditor).successes.is_zero());
		// Burned: the base fee and what of the slash did not pay the committee.
		assert_eq!(issuance - Balances::total_issuance(), BASE_FEE + SLASH - 3 * share);
		assert_eq!(escrow_held(), 0);
		assert!(disputed(0).is_none());
	});
}

/// The reply secret of tile `i` of [`submit_lone_job`]'s job.
fn tile_secret(i: u8) -> [u8; 32] {
	[0x50 + i; 32]
}

/// The requester submits a job of `tiles` tiles of replication 1 on `hash`, each with its own
/// reply key ([`tile_secret`]) and audit coin (rate zero), the tests' fuel, price and timeout.
fn submit_lone_job(hash: [u8; 32], tiles: u8) {
	let tiles: Vec<pallet_tasks::JobTile> = (0..tiles)
		.map(|i| pallet_tasks::JobTile {
			input: vec![i; 4],
			reply_key: bourse_primitives::reply::public_key(&tile_secret(i)).unwrap(),
			audit: Some(bourse_primitives::AuditTerms {
				seal: bourse_primitives::reply::audit_seal(&[0x70 + i; 32]),
				rate: Perbill::zero(),
			}),
		})
		.collect();
	let terms = pallet_tasks::JobTerms {
		fuel_limit: FUEL,
		max_memory_mib: 16,
		max_price_per_mfuel: MAX_PRICE,
		replication: 1,
		min_reputation: Perbill::zero(),
		timeout: TIMEOUT,
		rent: MIN_QUEUE_RENT,
		max_wait: 20,
	};
	ok(Tasks::submit_job(signed(REQUESTER), hash, terms, tiles));
}

#[test]
fn a_jobs_tiles_are_drawn_answered_alone_and_delivered_each_to_its_own_reply_key() {
	test(|| {
		let hash = upload();
		providers(&[1, 2]);
		let secret = tile_secret;
		let issuance = Balances::total_issuance();
		submit_lone_job(hash, 3);
		next_block();
		let mut paid = 0;
		for task_id in 0..3u64 {
			let provider = assigned(task_id)[0];
			let output = [b'a' + task_id as u8; 7];
			let (claim, sealed) = pallet_attestation::testing::sealed_answer::<Test>(
				task_id,
				&provider,
				Status::Success,
				1_000,
				&output,
				[9; 32],
			);
			ok(state(task_id, provider, claim, &sealed));
			// Each tile's box opens with its own secret only.
			let digest = pallet_tasks::Digests::<Test>::get(task_id).unwrap();
			let sealed = pallet_tasks::SealedOutputs::<Test>::get(task_id).unwrap();
			let open = |s: [u8; 32]| {
				bourse_primitives::reply::open(&s, &digest, &sealed, MAX_OUTPUT as usize)
			};
			assert_eq!(open(secret(task_id as u8)).unwrap().output, output.to_vec());
			assert!(open(secret((task_id as u8 + 1) % 3)).is_err());
			ok(Tasks::accept_answer(signed(REQUESTER), task_id));
			System::assert_has_event(
				Event::TaskDelivered { task_id, provider, fuel_used: 1_000, cost: 1 }.into(),
			);
			paid += 1;
		}
		assert_eq!(escrow_held(), 0, "every tile paid, the rest refunded");
		let rent = MIN_QUEUE_RENT; // one block in the job queue
		assert_eq!(Balances::total_issuance(), issuance - 3 * BASE_FEE - rent);
		assert_eq!(paid, 3);
		let view = Tasks::job_view(0).unwrap();
		assert_eq!((view.done, view.waiting, view.running, view.cost), (3, 0, 0, 3));
	});
}

/// A provider's node answers the tiles it holds in one `answer_many`: each is held as a lone
/// answer would be, final after its window, paid per tile.
#[test]
fn a_providers_answers_to_a_job_in_one_call_are_held_and_paid_each() {
	use polkadot_sdk::frame_support::traits::Authorize;
	use polkadot_sdk::sp_runtime::{traits::Dispatchable, transaction_validity::TransactionSource};
	test(|| {
		let hash = upload();
		providers(&[1]);
		let provider_before = free(1);
		submit_lone_job(hash, 4);
		next_block();
		assert!((0..4).all(|t| assigned(t) == vec![1]), "provider 1's four slots");
		let entries: Vec<_> = (0..4u64)
			.map(|t| {
				pallet_attestation::testing::bundled_answer::<Test>(t, &1, b"tile", 1_000, [9; 32])
			})
			.collect();
		let bundle = |entries: Vec<pallet_attestation::BundledAnswer<Test>>| {
			let payload = Attestation::answers_payload(&1, &entries);
			let signature =
				polkadot_sdk::sp_runtime::RuntimeAppPublic::sign(&key(1), &payload).unwrap();
			pallet_attestation::Call::<Test>::answer_many {
				provider: 1,
				answers: entries.try_into().unwrap(),
				signature,
			}
		};
		// Task 2's answer counted first, alone in a bundle: a block refuses the bundle that
		// holds it again, and dispatch, were it reached, would skip it.
		ok(pallet_attestation::testing::apply::<Test>(bundle(entries[2..3].to_vec())));
		let call = RuntimeCall::from(bundle(entries.clone()));
		assert!(call.authorize(TransactionSource::InBlock).unwrap().is_err(), "not in a block");
		assert_ok!(call.dispatch(polkadot_sdk::frame_system::RawOrigin::Authorized.into()));
		check_invariants();
		System::assert_has_event(
			pallet_attestation::Event::AnswerSkipped {
				task_id: 2,
				provider: 1,
				error: pallet_attestation::Error::<Test>::TaskNotOpen.into(),
			}
			.into(),
		);
		for t in 0..4u64 {
			assert!(matches!(
				TaskRecords::<Test>::get(t).unwrap().state,
				TaskState::Answered { .. }
			));
		}
		assert_eq!(pallet_offers::HeldAnswers::<Test>::get(1), 4);
		// The requester opens each box and accepts it, as `bourse job submit --watch` does.
		for t in 0..4u64 {
			let digest = pallet_tasks::Digests::<Test>::get(t).unwrap();
			let sealed = pallet_tasks::SealedOutputs::<Test>::get(t).unwrap();
			let secret = tile_secret(t as u8);
			let opened =
				bourse_primitives::reply::open(&secret, &digest, &sealed, MAX_OUTPUT as usize);
			assert_eq!(opened.unwrap().output, b"tile".to_vec());
			ok(Tasks::accept_answer(signed(REQUESTER), t));
			System::assert_has_event(
				Event::TaskDelivered { task_id: t, provider: 1, fuel_used: 1_000, cost: 1 }.into(),
			);
		}
		assert_eq!(free(1), provider_before + 4, "paid per tile");
		assert_eq!(escrow_held(), 0);
		check_invariants();
	});
}

// Confidential tasks through the real offers, attestation and tasks pallets.

/// The confidential test task's secret.
const TASK_SECRET: [u8; 32] = [0x5e; 32];

/// Publishes an encryption key for each of `who` (as its node would) and returns them as a
/// confidential task's members, each sealed to (a stand-in seal: the pallets never open it).
fn members(who: &[u64]) -> pallet_tasks::BoundedMembers<Test> {
	let now = System::block_number();
	who.iter()
		.map(|&p| {
			let key = bourse_primitives::reply::public_key(&[p as u8; 32]).unwrap();
			pallet_offers::EncryptionKeys::<Test>::insert(
				p,
				pallet_offers::EncryptionKeySet {
					current: pallet_offers::EncryptionKey { key, signed_at: now },
					previous: None,
				},
			);
			pallet_tasks::Member { provider: p, key, seal: [p as u8; 80] }
		})
		.collect::<Vec<_>>()
		.try_into()
		.unwrap()
}

/// The requester submits a confidential task of the tests' fuel and price, of `replication`,
/// on `input` (its ciphertext) sealed to `members`.
fn submit_confidential(
	hash: [u8; 32],
	input: Vec<u8>,
	replication: u32,
	secret_hash: [u8; 32],
	members: pallet_tasks::BoundedMembers<Test>,
) -> DispatchResult {
	Tasks::submit_confidential_task(
		signed(REQUESTER),
		hash,
		input,
		FUEL,
		16,
		MAX_PRICE,
		replication,
		Perbill::zero(),
		None,
		pallet_attestation::testing::reply_key(),
		secret_hash,
		members,
	)
}

/// What binds the confidential test task's input (workload `hash`).
fn confidential_context(hash: [u8; 32]) -> bourse_primitives::confidential::TaskContext<u64> {
	bourse_primitives::confidential::TaskContext {
		genesis: System::block_hash(0).0,
		workload: hash,
		requester: REQUESTER,
		secret_hash: bourse_primitives::confidential::secret_hash(&TASK_SECRET),
	}
}

/// `output` of confidential task `task_id`, encrypted as a member's node encrypts it.
fn encrypted(task_id: u64, output: &[u8], fuel_used: u64) -> Vec<u8> {
	use bourse_primitives::confidential::{encrypt_output, OutputContext};
	let context = OutputContext {
		genesis: System::block_hash(0).0,
		task_id,
		status: Status::Success,
		fuel_used,
		executor_version: bourse_primitives::EXECUTOR_VERSION,
	};
	encrypt_output(&TASK_SECRET, 0, &context, output, MAX_OUTPUT as usize).unwrap()
}

#[test]
fn a_confidential_task_is_drawn_from_its_members_and_a_liar_is_out_voted_unslashed() {
	test(|| {
		use bourse_primitives::confidential::encrypt_input;
		let hash = upload();
		providers(&[1, 2, 3, 4, 5]);
		let ciphertext = encrypt_input(
			&TASK_SECRET,
			&confidential_context(hash),
			0,
			b"the confidential input",
			64,
		)
		.unwrap();
		let issuance = Balances::total_issuance();
		let before: Vec<u128> = (1..=5).map(free).collect();
		let secret_hash = bourse_primitives::confidential::secret_hash(&TASK_SECRET);
		ok(submit_confidential(hash, ciphertext, 3, secret_hash, members(&[2, 3, 5])));
		next_block();
		let mut order = assigned(0);
		order.sort();
		assert_eq!(order, vec![2, 3, 5], "its members only, though 1 and 4 are free");
		let plain = b"the agreed plaintext output";
		let good = encrypted(0, plain, 500);
		let lie = encrypted(0, b"a lie", 500);
		let outputs = [(2, &good), (3, &lie), (5, &good)];
		for (i, (p, out)) in outputs.iter().enumerate() {
			ok(commit(0, *p, &outcome(out, 500), [i as u8; 32]));
		}
		while System::block_number() <= ASSIGNED_AT + COMMIT_WINDOW {
			next_block();
		}
		for (i, (p, out)) in outputs.iter().enumerate() {
			ok(reveal(0, *p, &outcome(out, 500), out, [i as u8; 32]));
		}
		assert!(matches!(TaskRecords::<Test>::get(0).unwrap().state, TaskState::Completed { .. }));
		assert_eq!(Outputs::<Test>::get(0).unwrap().into_inner(), good, "the agreed ciphertext");
		// The liar is out-voted (its verdict says so) but neither slashed nor unpaid: the
		// members were the requester's choice. Every member is paid its seat.
		let seat = (FUEL as u128 * PRICE).div_ceil(1_000_000);
		let after: Vec<u128> = (1..=5).map(free).collect();
		assert_eq!(
			after,
			vec![before[0], before[1] + seat, before[2] + seat, before[3], before[4] + seat]
		);
		assert_eq!(Balances::total_issuance(), issuance - BASE_FEE, "no slash burned");
		for p in 1..=5 {
			let record = Reputation::current(&p);
			assert!(
				record.successes.is_zero() && record.failures.is_zero(),
				"provider {p}'s record moved"
			);
		}
		assert_eq!(
			bourse_primitives::confidential::decrypt_output(
				&TASK_SECRET,
				0,
				&bourse_primitives::confidential::OutputContext {
					genesis: System::block_hash(0).0,
					task_id: 0,
					status: Status::Success,
					fuel_used: 500,
					executor_version: bourse_primitives::EXECUTOR_VERSION,
				},
				&Outputs::<Test>::get(0).unwrap(),
				MAX_OUTPUT as usize,
			)
			.unwrap(),
			plain.to_vec(),
			"the requester reads the agreed output"
		);
	});
}

#[test]
fn a_confidential_task_is_never_drawn_outside_its_members_whoever_is_free() {
	test(|| {
		let hash = upload();
		providers(&[1, 2, 3, 4, 5]);
		for seed in 0..20u8 {
			System::inc_account_nonce(REQUESTER);
			let list = members(&[2, 4]);
			ok(submit_confidential(hash, vec![seed; 40], 1, [seed; 32], list));
			next_block();
			let id = pallet_tasks::NextTaskId::<Test>::get() - 1;
			let drawn = assigned(id);
			assert!(drawn == vec![2] || drawn == vec![4], "task {id} drawn {drawn:?}");
			// It answers, and the answer is final after its window: the slots come back.
			answer_confidential(id, drawn[0]);
		}
	});
}

/// `provider`'s lone answer to confidential task `task_id` (no coin to show: no audit).
fn answer_confidential(task_id: u64, provider: u64) {
	let out = encrypted(task_id, b"out", 7);
	let (claim, sealed) = pallet_attestation::testing::sealed_answer::<Test>(
		task_id,
		&provider,
		Status::Success,
		7,
		&out,
		[task_id as u8; 32],
	);
	assert_ok!(state(task_id, provider, claim, &sealed));
	ok(Tasks::accept_answer(signed(REQUESTER), task_id));
}

#[test]
fn a_member_that_rotated_its_key_is_drawn_within_the_grace_period_and_not_after() {
	test(|| {
		let hash = upload();
		providers(&[1, 2]);
		let sealed_to = members(&[2]);
		// Provider 2's node rotates: the key the task is sealed to becomes the previous one,
		// usable until `until` (its node keeps the old secret meanwhile).
		let old = sealed_to[0].key;
		next_block();
		let now = System::block_number();
		let until = now + 5;
		pallet_offers::EncryptionKeys::<Test>::mutate(2, |keys| {
			let keys = keys.as_mut().unwrap();
			keys.previous = Some((keys.current.clone(), until));
			keys.current = pallet_offers::EncryptionKey {
				key: bourse_primitives::reply::public_key(&[0x99; 32]).unwrap(),
				signed_at: now,
			};
		});
		let submit = |seed: u8| {
			System::inc_account_nonce(REQUESTER);
			submit_confidential(hash, vec![seed; 40], 1, [seed; 32], sealed_to.clone())
		};
		ok(submit(1));
		next_block();
		assert_eq!(assigned(0), vec![2], "sealed to its previous key, within the grace period");
		answer_confidential(0, 2);
		while System::block_number() < until {
			next_block();
		}
		// Past the grace period the old key is no longer live: refused at submission.
		assert_eq!(submit(2), Err(Error::<Test>::MemberKeyNotLive.into()));
		assert!(pallet_offers::EncryptionKeys::<Test>::get(2).is_some_and(|k| k.current.key != old));
	});
}
