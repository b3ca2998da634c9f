//! Long runs of the seeded fuzzer, and replays of a failing seed.
//!
//! `bourse-fuzz [--secs N] [--seed FIRST]` runs sequences from seed FIRST for N seconds (600 by
//! default) and prints the report (blocks, extrinsics, calls per pallet, events, weight
//! outliers) every minute and at the end; `bourse-fuzz --replay SEED` runs one sequence and
//! says what it found; `--planted` arms the planted bug (a queued task's cancellation skips its
//! refund); `--trace` prints every block's events and every change of a node's behaviour.
//! Exits 1 on a finding.

use bourse_fuzzer::{replay, run_seeds, Stats};
use std::time::{Duration, Instant};

fn main() {
	let args: Vec<String> = std::env::args().skip(1).collect();
	let value = |flag: &str| -> Option<u64> {
		let at = args.iter().position(|a| a == flag)?;
		args.get(at + 1)?.parse().ok()
	};
	let mut stats = Stats::default();
	if args.iter().any(|a| a == "--planted") {
		pallet_tasks::planted::arm(true);
	}
	bourse_fuzzer::trace(args.iter().any(|a| a == "--trace"));
	if let Some(seed) = value("--replay") {
		let result = replay(seed, &mut stats);
		println!("{}", stats.report());
		match result {
			Ok(()) => println!("seed {seed}: no finding"),
			Err(finding) => {
				println!("seed {seed}: after block {}: {}", finding.block, finding.what);
				std::process::exit(1);
			}
		}
		return;
	}
	let secs = value("--secs").unwrap_or(600);
	let mut seed = value("--seed").unwrap_or(0);
	let start = Instant::now();
	let end = Duration::from_secs(secs);
	while start.elapsed() < end {
		let slice = Duration::from_secs(60).min(end.saturating_sub(start.elapsed()));
		let before = stats.sequences;
		if let Some((bad, finding)) = run_seeds(seed, slice, &mut stats) {
			println!("{}", stats.report());
			println!("seed {bad}: after block {}: {}", finding.block, finding.what);
			std::process::exit(1);
		}
		seed += stats.sequences - before;
		eprintln!(
			"[{:>5} s] {} sequences, {} blocks, {} extrinsics; next seed {seed}",
			start.elapsed().as_secs(),
			stats.sequences,
			stats.blocks,
			stats.extrinsics
		);
	}
	println!("{}", stats.report());
	println!("{} s, no finding", start.elapsed().as_secs());
}
