//! The fuzzer's bounded run (CI runs it every time) and its own test: a planted bug it must
//! find within the same bound.
#![allow(clippy::unwrap_used)]

use bourse_fuzzer::{replay, run_seeds, Stats};
use std::time::Duration;

/// Seconds each bounded run may take (`BOURSE_FUZZ_SECS`, 60 by default).
fn budget() -> Duration {
	let secs = std::env::var("BOURSE_FUZZ_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
	Duration::from_secs(secs)
}

/// The first seed: `BOURSE_FUZZ_SEED`, or one for the day, so that each day's runs explore new
/// sequences while a failure stays replayable from its printed seed.
fn first_seed() -> u64 {
	std::env::var("BOURSE_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
		let days = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map(|d| d.as_secs() / 86_400)
			.unwrap_or_default();
		days * 1_000_000
	})
}

#[test]
fn random_call_sequences_break_no_invariant() {
	let mut stats = Stats::default();
	let first = first_seed();
	let found = run_seeds(first, budget(), &mut stats);
	println!("seeds from {first}:\n{}", stats.report());
	if let Some((seed, finding)) = found {
		panic!(
			"seed {seed} breaks the chain after block {}: {}\n\
			 replay: SKIP_WASM_BUILD=1 cargo run --release --features runtime-benchmarks,try-runtime \
			 -p bourse-fuzzer -- --replay {seed}",
			finding.block, finding.what
		);
	}
	// The run reached the market's paths, not only its errors.
	for event in
		["Tasks::Event::TaskAssigned", "Tasks::Event::TaskFailed", "Tasks::Event::TaskDelivered"]
	{
		assert!(stats.events.get(event).is_some_and(|n| *n > 0), "no {event} in the run");
	}
}

/// The fuzzer's own test: with the planted bug armed (a cancelled queued task keeps its escrow
/// held), the bounded run finds it, and the invariant that catches it is the tasks pallet's.
#[test]
fn the_planted_bug_is_found_within_the_bound() {
	pallet_tasks::planted::arm(true);
	let mut stats = Stats::default();
	// From a fixed seed: the bug must be found the same way every run.
	let found = run_seeds(0, budget(), &mut stats);
	pallet_tasks::planted::arm(false);
	let (seed, finding) = found.expect("the planted bug was not found within the bound");
	println!(
		"planted bug found by seed {seed} after {} sequences, {} blocks: {}",
		stats.sequences, stats.blocks, finding.what
	);
	assert_eq!(finding.what, "try_state: Tasks: a settled task still holds escrow");
	// The same seed without the bug passes: the finding is the bug's.
	let mut clean = Stats::default();
	assert!(replay(seed, &mut clean).is_ok(), "the seed fails without the bug too");
}

/// The sequences that found bugs, replayed: each broke an invariant before its fix.
/// - 20794000001: a provider rotated its executor key while its node's commitment to a
///   replicated task waited for its reveal, and the honest provider was slashed as withholding
///   (rotation now waits for open tasks: `pallet-offers`' `OpenTasks`).
#[test]
fn the_sequences_that_found_bugs_pass() {
	const FOUND: &[u64] = &[20_794_000_001];
	for &seed in FOUND {
		let mut stats = Stats::default();
		if let Err(finding) = replay(seed, &mut stats) {
			panic!("seed {seed} after block {}: {}", finding.block, finding.what);
		}
	}
}

/// A seed replays the same chain, so a failure's printed seed finds it again: the same calls
/// with the same results, the same events, block for block.
#[test]
fn a_seed_replays_the_same_sequence() {
	let run = |seed| {
		let mut stats = Stats::default();
		let result = replay(seed, &mut stats).map_err(|finding| finding.what);
		let calls: Vec<_> = stats
			.calls
			.iter()
			.map(|(name, call)| (name.clone(), call.ok, call.failed.clone(), call.refused.clone()))
			.collect();
		(result, stats.blocks, stats.extrinsics, calls, stats.events)
	};
	let first = run(7);
	assert!(first.1 > 100 && first.2 > 10, "a sequence worth comparing");
	assert_eq!(first, run(7));
}
