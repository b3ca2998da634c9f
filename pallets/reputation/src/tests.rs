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
		// A worthless task changes nothing and says nothing.
		let events = System::events().len();
		record(BOB, Verdict::OutVoted, 0);
		assert_eq!(Records::<Test>::get(BOB).unwrap().failures, FixedU128::from_u32(0));
		assert_eq!(System::events().len(), events);
	});
}

fn close(value: FixedU128, expected: f64) -> bool {
	(value.to_float() - expected).abs() < 1e-9
}

#[test]
fn evidence_halves_every_half_life() {
	test(|| {
		record(ALICE, Verdict::Agreed, 8 * UNIT);
		record(ALICE, Verdict::OutVoted, UNIT); // 4 failures
		System::set_block_number(1 + HALF_LIFE);
		let r = Reputation::current(&ALICE);
		assert!(close(r.successes, 4.0) && close(r.failures, 2.0), "{r:?}");
		System::set_block_number(1 + 3 * HALF_LIFE);
		let r = Reputation::current(&ALICE);
		assert!(close(r.successes, 1.0) && close(r.failures, 0.5), "{r:?}");
		// Exponential between half-lives too: 2^-0.5 after half of one more.
		System::set_block_number(1 + 3 * HALF_LIFE + HALF_LIFE / 2);
		assert!(close(Reputation::current(&ALICE).successes, 0.5f64.sqrt()));
		// Long enough: all evidence gone, back to the prior.
		System::set_block_number(1 + 70 * HALF_LIFE);
		assert_eq!(score(ALICE), Perbill::from_percent(25));
	});
}

#[test]
fn decay_does_not_depend_on_how_often_a_record_is_touched() {
	test(|| {
		// Alice is updated every 7 blocks, Bob once at the end; both gain the same evidence.
		record(ALICE, Verdict::Agreed, 10 * UNIT);
		record(BOB, Verdict::Agreed, 10 * UNIT);
		for step in 1..=30u64 {
			System::set_block_number(1 + 7 * step);
			record(ALICE, Verdict::Agreed, UNIT);
		}
		let bob = Reputation::current(&BOB).successes.to_float();
		let busy = Reputation::current(&ALICE).successes.to_float();
		// Alice's extra evidence: sum of 2^(-7k/100) for k = 0..29.
		let extra: f64 = (0..30).map(|k| 0.5f64.powf(7.0 * k as f64 / 100.0)).sum();
		assert!((busy - bob - extra).abs() < 1e-9, "busy {busy}, idle {bob}, extra {extra}");
		assert!((bob - 10.0 * 0.5f64.powf(2.1)).abs() < 1e-9);
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
		let Record { successes, failures, updated } = Records::<Test>::get(ALICE).unwrap();
		assert!(close(successes, 3.0), "{successes:?}");
		assert_eq!((failures, updated), (FixedU128::from_u32(0), 1 + HALF_LIFE));
	});
}

#[test]
fn an_abstention_weighs_less_than_silence() {
	test(|| {
		record(ALICE, Verdict::Abstained, UNIT);
		record(BOB, Verdict::NoShow, UNIT);
		// (1 + 0) / (0 + 1 + 2 + 2) = 1/5 against (1 + 0) / (0 + 2 + 2 + 2) = 1/6.
		assert_eq!(score(ALICE), Perbill::from_percent(20));
		assert_eq!(score(BOB), Perbill::from_rational(1u32, 6));
	});
}
