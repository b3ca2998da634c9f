//! In-process sandbox vs a confined worker process: `cargo bench -p bourse-executor --bench
//! workers`. Prints the round trip of an empty task (warm: its module cached in the worker)
//! and of a sha256 workload, each as a median with the in-process figure beside it, measured
//! alternately so both see the same machine noise. Build the workloads first:
//! scripts/build-workloads.sh.

#[path = "../tests/common/mod.rs"]
mod common;
use bourse_executor::{Executor, ExecutorConfig, Sandbox, Status, WorkerPool, WorkerPoolConfig};
use common::{command, hash, limits, workload};
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
	v.sort();
	v[v.len() / 2]
}

fn us(d: Duration) -> f64 {
	d.as_secs_f64() * 1e6
}

fn main() {
	let local =
		Executor::new(ExecutorConfig { workers: 1, ..Default::default() }).expect("executor");
	let mut config =
		WorkerPoolConfig::new(env!("CARGO_BIN_EXE_bourse-sandbox-worker").into(), Vec::new(), 1);
	config.require_confinement = false;
	let workers = WorkerPool::new(config).expect("workers");
	println!("workers: {}", workers.confinement());
	let cases = [
		("empty task", command(""), b"".to_vec(), 10_000_000u64, 201usize),
		("sha256 × 20,000", workload("sha256"), b"20000\nbourse".to_vec(), 1_000_000_000, 61),
	];
	for (name, code, input, fuel, rounds) in cases {
		let (code_hash, limits) = (hash(&code), limits(fuel));
		// Warm both: compiled and cached.
		let expected = local.execute(code_hash, &code, &input, limits, [0; 32]).expect("runs");
		assert_eq!(expected.status, Status::Success, "{name}");
		let through = workers.execute(code_hash, &code, &input, limits, [0; 32]).expect("runs");
		assert_eq!(through, expected, "{name}: the same outcome through a worker");
		let (mut in_process, mut in_worker) = (Vec::new(), Vec::new());
		for _ in 0..rounds {
			let started = Instant::now();
			local.execute(code_hash, &code, &input, limits, [0; 32]).expect("runs");
			in_process.push(started.elapsed());
			let started = Instant::now();
			workers.execute(code_hash, &code, &input, limits, [0; 32]).expect("runs");
			in_worker.push(started.elapsed());
		}
		let (a, b) = (median(in_process), median(in_worker));
		println!(
			"{name:>16}: in process {:>10.1} µs, through a worker {:>10.1} µs: +{:.1} µs ({:.3}×), medians of {rounds}",
			us(a),
			us(b),
			us(b) - us(a),
			b.as_secs_f64() / a.as_secs_f64(),
		);
	}
}
