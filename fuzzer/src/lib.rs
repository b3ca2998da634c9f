//! Random call sequences on the real Bourse runtime, block after block.
//!
//! A sequence of bytes decodes into blocks of calls ([`actions`]): every call of every Bourse
//! pallet and balance transfers, signed by the dev accounts of the `local_testnet` preset, with
//! arguments at, inside and beyond their bounds. Blocks are built as a node builds them
//! ([`chain`]: a BABE pre-digest signed by a validator, `on_initialize`, the timestamp, the
//! transactions, `on_finalize`), and after each block every provider's node runs its offchain
//! worker with its own keystore and a stand-in sandbox ([`nodes`]): honest, lying about the
//! output or the fuel, abstaining, hanging, on another executor version, silent or offline.
//! What the workers send enters the next block as authorized transactions, as the pool gives
//! them.
//!
//! After every block ([`checks`]): every pallet's `try_state` (each Bourse pallet's invariants:
//! funds held = funds owed), total issuance = Σ (free + reserved) over all accounts, issuance
//! changed only by burned fees, burns and slashes (read from the block's events), the block's
//! weight within its limit, and no panic. Each applied transaction's native time is measured
//! against the weight it declared, for the report of weight outliers.
//!
//! [`run_seeds`] is the deterministic driver: sequences from a seeded generator for a bounded
//! time, the failing seed printed for replay ([`replay`]). The same [`run_bytes`] is the target
//! of the coverage-guided engine (`fuzzer/fuzz`, cargo-fuzz).

pub mod actions;
pub mod chain;
pub mod checks;
pub mod nodes;

use chain::{Applied, Chain, NODES, VALIDATORS};
use nodes::Behaviour;
use polkadot_sdk::sp_runtime::DispatchError;
use std::{
	collections::BTreeMap,
	time::{Duration, Instant},
};

/// Executor keys each dev account can bind (its first, then derived ones for rotation).
pub const EXECUTOR_KEYS: u8 = 2;

/// Blocks run after the input's last action, so that what it started reaches its end (the
/// longest path: a lone answer's audit, its dispute and the committee's rounds).
pub const TAIL_BLOCKS: u32 = 90;

/// Most blocks one sequence runs (skips included), so a sequence stays short.
pub const MAX_BLOCKS: u32 = 400;

/// What the runs did, for the report.
#[derive(Default)]
pub struct Stats {
	/// Sequences run.
	pub sequences: u64,
	/// Blocks executed.
	pub blocks: u64,
	/// Transactions applied (included or refused by the pool's checks).
	pub extrinsics: u64,
	/// Per call: how many succeeded, and how many failed by error.
	pub calls: BTreeMap<String, CallStats>,
	/// Per event variant: how many were emitted.
	pub events: BTreeMap<String, u64>,
	/// Per call: native time × the Wasm factor over declared reference time, each sample.
	pub weight_ratios: BTreeMap<String, Vec<f64>>,
}

/// What one call did across the runs.
#[derive(Default)]
pub struct CallStats {
	/// Dispatched successfully.
	pub ok: u64,
	/// Dispatched and failed, by error.
	pub failed: BTreeMap<String, u64>,
	/// Refused before dispatch (the pool's checks: signature, fees, authorization), by reason.
	pub refused: BTreeMap<String, u64>,
}

/// How much slower the runtime runs as Wasm (wasmtime, compiled) than natively, for comparing
/// native times with weights: a documented estimate (wasmtime's own figures and ours put
/// compiled Wasm at 1.5–2.5× native; the executor's README measures 2.1–2.3× on workloads).
/// Weights also pay the database's reads and writes, which the in-memory state does not: a
/// ratio above 1 is an underweighted computation.
pub const WASM_FACTOR: f64 = 2.5;

impl Stats {
	/// Records a transaction applied, under its call's name or `name`.
	pub fn applied(&mut self, name: Option<&str>, applied: Applied) {
		self.extrinsics += 1;
		let name = name.map(str::to_string).unwrap_or_else(|| applied.call.clone());
		let entry = self.calls.entry(name.clone()).or_default();
		match &applied.result {
			Ok(Ok(())) => entry.ok += 1,
			Ok(Err(error)) => *entry.failed.entry(error_name(error)).or_default() += 1,
			Err(refusal) => *entry.refused.entry(format!("{refusal:?}")).or_default() += 1,
		}
		if applied.result.is_ok() && applied.declared > 0 {
			let declared_ns = applied.declared as f64 / 1_000.0;
			let ratio = applied.nanos as f64 * WASM_FACTOR / declared_ns;
			self.weight_ratios.entry(name).or_default().push(ratio);
		}
	}

	/// Adds another run's figures.
	pub fn merge(&mut self, other: Stats) {
		self.sequences += other.sequences;
		self.blocks += other.blocks;
		self.extrinsics += other.extrinsics;
		for (name, call) in other.calls {
			let entry = self.calls.entry(name).or_default();
			entry.ok += call.ok;
			for (e, n) in call.failed {
				*entry.failed.entry(e).or_default() += n;
			}
			for (e, n) in call.refused {
				*entry.refused.entry(e).or_default() += n;
			}
		}
		for (name, n) in other.events {
			*self.events.entry(name).or_default() += n;
		}
		for (name, mut ratios) in other.weight_ratios {
			self.weight_ratios.entry(name).or_default().append(&mut ratios);
		}
	}

	/// The report: totals, calls per pallet, events, weight outliers.
	pub fn report(&self) -> String {
		use std::fmt::Write;
		let mut out = String::new();
		let _ = writeln!(
			out,
			"{} sequences, {} blocks, {} extrinsics",
			self.sequences, self.blocks, self.extrinsics
		);
		let coverage: Vec<String> = self
			.coverage()
			.into_iter()
			.map(|(pallet, (ok, tried))| format!("{pallet} {ok}/{tried}"))
			.collect();
		let _ =
			writeln!(out, "calls that succeeded, of all each pallet has: {}", coverage.join(", "));
		let _ = writeln!(out, "calls (ok / failed / refused; the commonest errors):");
		for (name, call) in &self.calls {
			let failed: u64 = call.failed.values().sum();
			let refused: u64 = call.refused.values().sum();
			let mut errors: Vec<(&String, &u64)> =
				call.failed.iter().chain(call.refused.iter()).collect();
			errors.sort_by(|a, b| b.1.cmp(a.1));
			let top: Vec<String> = errors.iter().take(4).map(|(e, n)| format!("{e} {n}")).collect();
			let _ = writeln!(
				out,
				"  {name:<42} {:>7} / {failed:>7} / {refused:>6}  {}",
				call.ok,
				top.join(", ")
			);
		}
		let _ = writeln!(out, "events:");
		for (name, n) in &self.events {
			let _ = writeln!(out, "  {name:<48} {n}");
		}
		let _ = writeln!(
			out,
			"weight: native time × {WASM_FACTOR} over declared weight (median, 90th percentile, max; \
			 a median above 1 is an outlier; a lone max is the machine's other load):"
		);
		for (name, ratios) in &self.weight_ratios {
			let mut sorted = ratios.clone();
			sorted.sort_by(f64::total_cmp);
			let at = |q: f64| {
				let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
				sorted.get(index).copied().unwrap_or_default()
			};
			let (median, p90, max) = (at(0.5), at(0.9), at(1.0));
			let flag = if median > 1.0 { "  OUTLIER" } else { "" };
			let _ = writeln!(
				out,
				"  {name:<48} {median:>8.4} {p90:>8.4} {max:>8.4}  ({} samples){flag}",
				sorted.len()
			);
		}
		out
	}

	/// Per pallet: its calls that succeeded at least once (sent by a user, a node or root),
	/// of all its calls.
	pub fn coverage(&self) -> BTreeMap<&'static str, (usize, usize)> {
		use polkadot_sdk::frame_support::traits::GetCallName;
		use std::collections::BTreeSet;
		let succeeded: BTreeSet<(String, String)> = self
			.calls
			.iter()
			.filter(|(_, call)| call.ok > 0)
			.filter_map(|(name, _)| {
				let name = name.split(' ').next().unwrap_or_default();
				let mut parts = name.split("::");
				let pallet = parts.next()?.to_string();
				Some((pallet, parts.last()?.to_string()))
			})
			.collect();
		let pallets: [(&'static str, &'static [&'static str]); 5] = [
			("Offers", pallet_offers::Call::<bourse_runtime::Runtime>::get_call_names()),
			("Tasks", pallet_tasks::Call::<bourse_runtime::Runtime>::get_call_names()),
			("Attestation", pallet_attestation::Call::<bourse_runtime::Runtime>::get_call_names()),
			("Reputation", pallet_reputation::Call::<bourse_runtime::Runtime>::get_call_names()),
			(
				"Balances",
				polkadot_sdk::pallet_balances::Call::<bourse_runtime::Runtime>::get_call_names(),
			),
		];
		pallets
			.into_iter()
			.map(|(pallet, names)| {
				let ok = names
					.iter()
					.filter(|call| succeeded.contains(&(pallet.to_string(), call.to_string())))
					.count();
				(pallet, (ok, names.len()))
			})
			.collect()
	}
}

/// The name of a dispatch error: `Pallet::Variant` for a module error.
pub fn error_name(error: &DispatchError) -> String {
	match error {
		DispatchError::Module(module) => match module.message {
			Some(message) => message.to_string(),
			None => format!("module {} error {:?}", module.index, module.error),
		},
		other => format!("{other:?}"),
	}
}

/// A broken invariant, a panic or a breached limit, and where it happened.
#[derive(Debug, Clone)]
pub struct Finding {
	/// The block it was found after.
	pub block: u32,
	/// What was found.
	pub what: String,
}

/// Runs one sequence decoded from `data` on a fresh chain; returns the first finding. Once the
/// bytes run out, [`TAIL_BLOCKS`] empty blocks follow; then every node turns honest and the
/// chain runs until every task has settled, and nothing may be left held or busy.
pub fn run_bytes(data: &[u8], stats: &mut Stats) -> Result<(), Finding> {
	let mut input = actions::Input::new(data);
	let behaviours: [Behaviour; NODES] = core::array::from_fn(|i| {
		// Mostly honest nodes: a liar needs honest peers to be out-voted by.
		let byte = input.byte();
		if i == 0 || byte < 170 {
			Behaviour::Honest
		} else {
			Behaviour::ALL[usize::from(byte) % Behaviour::ALL.len()]
		}
	});
	if tracing() {
		eprintln!("nodes: {behaviours:?}");
	}
	let mut chain = Chain::new(behaviours);
	let mut ledger = checks::Ledger::new(&mut chain);
	let mut honesty = checks::Honesty::default();
	stats.sequences += 1;
	let mut tail = TAIL_BLOCKS;
	let mut skip = 0u32;
	while chain.number < MAX_BLOCKS && tail > 0 {
		let (author, slots_skipped) = match input.byte() {
			0..=223 => ((chain.author + 1) % VALIDATORS as u32, 0),
			224..=239 => (chain.author, 0),
			_ => ((chain.author + 2) % VALIDATORS as u32, 1 + u64::from(input.byte() % 3)),
		};
		chain.begin_block(author, slots_skipped);
		// The nodes' transactions: mostly first, as a pool gives them; sometimes after the
		// block's other transactions, partly, or not before the next block.
		let pool_order = input.byte();
		let early = match pool_order {
			0..=191 => None,
			192..=223 => Some(0),
			224..=239 => Some(chain.pool.len() / 2),
			_ => Some(0),
		};
		include(&mut chain, stats, early);
		if skip > 0 {
			skip -= 1;
		} else if input.is_empty() {
			tail -= 1;
		} else {
			loop {
				match actions::step(&mut chain, &mut input, stats) {
					actions::Step::Applied if !input.is_empty() => continue,
					actions::Step::Applied | actions::Step::EndBlock => break,
					actions::Step::Skip(n) => {
						skip = n;
						break;
					}
				}
			}
		}
		if pool_order < 240 {
			include(&mut chain, stats, None);
		}
		end_block(&mut chain, &mut ledger, &mut honesty, stats)?;
	}
	// Everything settles once every node is honest, within the longest timeout and its audit.
	for node in &mut chain.nodes {
		node.behave(Behaviour::Honest);
	}
	let mut drain = 0;
	while !checks::settled(&mut chain) {
		drain += 1;
		if drain > DRAIN_BLOCKS {
			let open = checks::open_tasks(&mut chain);
			return Err(Finding {
				block: chain.number,
				what: format!(
					"tasks still open {DRAIN_BLOCKS} blocks after the last call: {open:?}"
				),
			});
		}
		chain.begin_block((chain.author + 1) % VALIDATORS as u32, 0);
		include(&mut chain, stats, None);
		end_block(&mut chain, &mut ledger, &mut honesty, stats)?;
	}
	checks::nothing_left(&mut chain).map_err(|what| Finding { block: chain.number, what })
}

/// Blocks the chain may take to settle every task once the calls end: the longest timeout, an
/// audit, its dispute and the committee's rounds.
pub const DRAIN_BLOCKS: u32 = 1_500;

/// Applies the nodes' transactions waiting in the pool (the `take` oldest, or all).
fn include(chain: &mut Chain, stats: &mut Stats, take: Option<usize>) {
	for applied in chain.include_node_transactions(take) {
		let name = format!("{} (node)", applied.call);
		if tracing() {
			eprintln!("#{} {name}: {:?}", chain.number, applied.result);
		}
		stats.applied(Some(&name), applied);
	}
}

/// Finalizes the block, checks it, and runs the nodes' offchain workers on it.
fn end_block(
	chain: &mut Chain,
	ledger: &mut checks::Ledger,
	honesty: &mut checks::Honesty,
	stats: &mut Stats,
) -> Result<(), Finding> {
	let header = chain.finalize_block();
	stats.blocks += 1;
	BLOCK.with(|block| block.set(chain.number));
	checks::after_block(chain, ledger, stats)
		.map_err(|what| Finding { block: chain.number, what })?;
	honesty.observe(chain);
	honesty.check(chain).map_err(|what| Finding { block: chain.number, what })?;
	chain.offchain_workers(&header, stats).map_err(|what| Finding { block: chain.number, what })?;
	chain.commit();
	Ok(())
}

/// The bytes of sequence `seed`: 64 to 4 KiB from a seeded generator (splitmix64).
pub fn seed_bytes(seed: u64) -> Vec<u8> {
	let mut state = seed;
	let mut next = || {
		state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = state;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		z ^ (z >> 31)
	};
	let len = 64 + (next() % 4_032) as usize;
	(0..len).map(|_| next() as u8).collect()
}

std::thread_local! {
	/// The block this thread's sequence is at, for a panic's finding.
	static BLOCK: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
	/// Whether this thread prints every event and node behaviour (a replay's `--trace`).
	static TRACE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Prints every block's events and every change of a node's behaviour on this thread.
pub fn trace(on: bool) {
	TRACE.with(|trace| trace.set(on));
}

/// Whether this thread traces.
pub fn tracing() -> bool {
	TRACE.with(|trace| trace.get())
}

/// Runs sequence `seed`, turning a panic into a finding.
pub fn replay(seed: u64, stats: &mut Stats) -> Result<(), Finding> {
	checks::listen_for_defensive_failures();
	BLOCK.with(|block| block.set(0));
	let data = seed_bytes(seed);
	let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
		let mut local = Stats::default();
		let result = run_bytes(&data, &mut local);
		(result, local)
	}));
	match outcome {
		Ok((result, local)) => {
			stats.merge(local);
			result
		}
		Err(panic) => {
			let what = panic
				.downcast_ref::<String>()
				.cloned()
				.or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
				.unwrap_or_else(|| "a panic".into());
			Err(Finding { block: BLOCK.with(|block| block.get()), what: format!("panic: {what}") })
		}
	}
}

/// Runs seeds `first`, `first + 1`, … for `budget` (at least one); returns the first failing
/// seed and its finding.
pub fn run_seeds(first: u64, budget: Duration, stats: &mut Stats) -> Option<(u64, Finding)> {
	let start = Instant::now();
	let mut seed = first;
	loop {
		if let Err(finding) = replay(seed, stats) {
			return Some((seed, finding));
		}
		seed = seed.wrapping_add(1);
		if start.elapsed() >= budget {
			return None;
		}
	}
}
