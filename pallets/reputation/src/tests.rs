//! Reputation: prior, verdict weights, value weighting, decay, events, invariants.

use crate::{mock::*, Event, ProviderReputation, Record, Records, Verdict};
use polkadot_sdk::{sp_arithmetic::Perbill, sp_runtime::FixedU128};

const ALICE: u64 = 1;
const BOB: u64 = 2;

fn score(who: u64) -> Perbill {
	<Reputation as ProviderReputation<u64>>::score(&who)
}

fn record(who: u64, verdict: Verdict, value: u128) {
	<Reputation as ProviderReputation<u64>>::record(&who, verdict, value);
	Reputation::do_try_state().expect("invariants hold after every step");
}

#[test]
fn a_new_provider_starts_from_the_cautious_prior() {
	test(|| {
		// 1 / (2 + PriorFailures) = 1/4.
		assert_eq!(score(ALICE), Perbill::from_percent(25));
		assert!(Records::<Test>::get(ALICE).is_none(), "reading does not write");
	});
}

#[test]
fn agreed_answers_raise_the_score_and_emit_an_event() {
	test(|| {
		record(ALICE, Verdict::Agreed, UNIT);
		// (1 + 1) / (1 + 0 + 2 + 2) = 2/5.
		assert_eq!(score(ALICE), Perbill::from_percent(40));
		System::assert_last_event(
			Event::ReputationUpdated {
				provider: ALICE,
				verdict: Verdict::Agreed,
				score: Perbill::from_percent(40),
			}
			.into(),
		);
		for _ in 0..50 {
			record(ALICE, Verdict::Agreed, UNIT);
		}
		assert!(score(ALICE) > Perbill::from_percent(90));
	});
}

#[test]
fn lying_and_silence_weigh_more_than_a_success() {
	test(|| {
		record(ALICE, Verdict::Agreed, UNIT);
		record(ALICE, Verdict::OutVoted, UNIT);
		record(BOB, Verdict::Agreed, UNIT);
		record(BOB, Verdict::NoShow, UNIT);
		// Alice: (1 + 1) / (1 + 4 + 4) = 2/9; Bob: (1 + 1) / (1 + 2 + 4) = 2/7.
		assert_eq!(score(ALICE), Perbill::from_rational(2u32, 9));
		assert_eq!(score(BOB), Perbill::from_rational(2u32, 7));
		// A lie costs more than silence; one lie undoes more than one success earns (below a
		// newcomer); silence costs more than the success earned (below one success alone, 2/5).
		assert!(score(ALICE) < score(BOB));
		assert!(score(ALICE) < Perbill::from_percent(25));
		assert!(score(BOB) < Perbill::from_percent(40));
	});
}

#[test]
fn evidence_is_weighted_by_value_and_capped_per_task() {
	test(|| {
		record(ALICE, Verdict::Agreed, 3 * UNIT);
		assert_eq!(Records::<Test>::get(ALICE).unwrap().successes, FixedU128::from_u32(3));
		// A task worth a thousand units counts as the cap, ten.
		record(BOB, Verdict::Agreed, 1_000 * UNIT);
		assert_eq!(Records::<Test>::get(BOB).unwrap().successes, FixedU128::from_u32(10));
		// A worthless task adds nothing.
		record(BOB, Verdict::OutVoted, 0);
		assert_eq!(Records::<Test>::get(BOB).unwrap().failures, FixedU128::from_u32(0));
	});
}

#[test]
fn evidence_halves_every_half_life() {
	test(|| {
		record(ALICE, Verdict::Agreed, 8 * UNIT);
		record(ALICE, Verdict::OutVoted, UNIT); // 4 failures
		System::set_block_number(1 + HALF_LIFE);
		let r = Reputation::current(&ALICE);
		assert_eq!((r.successes, r.failures), (FixedU128::from_u32(4), FixedU128::from_u32(2)));
		System::set_block_number(1 + 3 * HALF_LIFE);
		let r = Reputation::current(&ALICE);
		assert_eq!(
			(r.successes, r.failures),
			(FixedU128::from_u32(1), FixedU128::from_rational(1, 2))
		);
		// Half-way between two half-lives: linear, 3/4 of the value at the last halving.
		System::set_block_number(1 + 3 * HALF_LIFE + HALF_LIFE / 2);
		assert_eq!(Reputation::current(&ALICE).successes, FixedU128::from_rational(3, 4));
		// Long enough: all evidence gone, back to the prior.
		System::set_block_number(1 + 70 * HALF_LIFE);
		assert_eq!(score(ALICE), Perbill::from_percent(25));
	});
}

#[test]
fn a_bad_record_is_kept_and_never_rises_above_the_prior_by_waiting() {
	test(|| {
		for _ in 0..5 {
			record(ALICE, Verdict::OutVoted, UNIT);
		}
		let bad = score(ALICE);
		assert!(bad < Perbill::from_percent(10));
		for block in [50, 200, 1_000, 5_000] {
			System::set_block_number(block);
			assert!(
				score(ALICE) >= bad && score(ALICE) <= Perbill::from_percent(25),
				"block {block}"
			);
		}
		// The record stays: the account cannot start over.
		assert!(Records::<Test>::get(ALICE).is_some());
	});
}

#[test]
fn updates_apply_decay_first() {
	test(|| {
		record(ALICE, Verdict::Agreed, 4 * UNIT);
		System::set_block_number(1 + HALF_LIFE);
		record(ALICE, Verdict::Agreed, UNIT);
		assert_eq!(
			Records::<Test>::get(ALICE).unwrap(),
			Record {
				successes: FixedU128::from_u32(3),
				failures: FixedU128::from_u32(0),
				updated: 1 + HALF_LIFE
			}
		);
	});
}
