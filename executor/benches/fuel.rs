//! Nanoseconds per unit of fuel: `cargo bench -p bourse-executor --bench fuel`.
//!
//! A provider is paid by fuel and a run is bounded by fuel, so fuel should bound time. This runs
//! the sample workloads and a hostile set — programs that try to buy time cheaply — each on a
//! warm module under one fuel limit, and prints ns per fuel (median of rounds), then the worst
//! and the median over all. Memory-bound code (the pointer chase, first touches of fresh pages)
//! cannot be made time-true by any per-instruction price short of making memory dear: a node's
//! wall-clock budget and abstention cover it. Build the
//! workloads first: scripts/build-workloads.sh.

#[path = "../tests/common/mod.rs"]
mod common;
use bourse_executor::{ExecutionLimits, Executor, ExecutorConfig};
use common::{hash, wat, workload};
use std::time::Instant;

const ROUNDS: usize = 5;
/// Fuel limit of the hostile programs (they loop until it runs out).
const FUEL: u64 = 100_000_000;

/// A command of `pages` 64-KiB pages of memory, a 10,000-element table of one function, the
/// WASI calls a flood uses, and `body` looping in `_start`.
fn hostile(pages: u32, body: &str) -> Vec<u8> {
	wat(&format!(
		r#"(module
			(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
			(import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
			(import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
			(memory (export "memory") {pages})
			(table 10000 funcref)
			(elem (i32.const 0) $same)
			(type $unary (func (param i64) (result i64)))
			(data $bytes "0123456789abcdef")
			(func $same (param i64) (result i64) (local.get 0))
			(func (export "_start") (local $x i64) (local $f f64) (local $p i32)
				(loop $l {body} (br $l))))"#
	))
}

fn main() {
	let executor =
		Executor::new(ExecutorConfig { workers: 1, ..Default::default() }).expect("executor");
	let mut programs: Vec<(&str, Vec<u8>, Vec<u8>, ExecutionLimits)> = vec![
		(
			"sha256",
			workload("sha256"),
			b"200000\nbourse".to_vec(),
			ExecutionLimits::with_defaults(u64::MAX / 4, 64),
		),
		(
			"mandelbrot",
			workload("mandelbrot"),
			b"128 128 96 64 512 384 2000".to_vec(),
			ExecutionLimits::with_defaults(u64::MAX / 4, 64),
		),
		(
			"primes",
			workload("primes"),
			b"20000000".to_vec(),
			ExecutionLimits::with_defaults(u64::MAX / 4, 64),
		),
	];
	let small = ExecutionLimits::with_defaults(FUEL, 64);
	let big = ExecutionLimits::with_defaults(FUEL, 1024);
	let bombs: [(&str, u32, &str, ExecutionLimits); 17] = [
		("fill 64 MiB", 1024, "(memory.fill (i32.const 0) (i32.const 0) (i32.const 67108864))", small),
		("copy 32 MiB", 1024, "(memory.copy (i32.const 0) (i32.const 33554432) (i32.const 33554432))", small),
		("fill 256 B (free)", 1, "(memory.fill (i32.const 0) (i32.const 0) (i32.const 256))", small),
		("fill 257 B", 1, "(memory.fill (i32.const 0) (i32.const 0) (i32.const 257))", small),
		("init 16 B", 1, "(memory.init $bytes (i32.const 0) (i32.const 0) (i32.const 16))", small),
		("table.fill 10k", 1, "(table.fill (i32.const 0) (ref.null func) (i32.const 10000))", small),
		("table.copy 5k", 1, "(table.copy (i32.const 0) (i32.const 5000) (i32.const 5000))", small),
		("memory.grow 1", 1, "(drop (memory.grow (i32.const 1)))", small),
		(
			"grow 0 + fill 0",
			1,
			"(drop (memory.grow (i32.const 0))) (table.fill (i32.const 0) (ref.null func) (i32.const 0))",
			small,
		),
		(
			"touch 1 GiB initial",
			16384,
			"(i32.store8 (local.get $p) (i32.const 1)) \
			 (local.set $p (i32.and (i32.add (local.get $p) (i32.const 4096)) (i32.const 0x3fffffff)))",
			big,
		),
		(
			"fd_write EFAULT",
			1,
			"(drop (call $fd_write (i32.const 1) (i32.const 57352) (i32.const 1024) (i32.const 0)))",
			small,
		),
		("fd_write 1k iovecs", 1, "(drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1024) (i32.const 16384)))", small),
		("poll_oneoff 1k", 2, "(drop (call $poll (i32.const 0) (i32.const 65536) (i32.const 1024) (i32.const 16384)))", small),
		("random_get 64 KiB", 2, "(drop (call $random (i32.const 0) (i32.const 65536)))", small),
		("call_indirect", 1, "(local.set $x (call_indirect (type $unary) (local.get $x) (i32.const 0)))", small),
		(
			"div + sqrt",
			1,
			"(local.set $x (i64.div_u (i64.const -1) (i64.or (local.get $x) (i64.const 3)))) \
			 (local.set $f (f64.sqrt (f64.add (local.get $f) (f64.const 1e12))))",
			small,
		),
		(
			"pointer chase 1 GiB",
			16384,
			"(local.set $p (i32.and (i32.add (i32.mul (local.get $p) (i32.const 1103515245)) \
			 (i32.add (i32.const 12345) (i32.load (local.get $p)))) (i32.const 0x3ffffffc)))",
			big,
		),
	];
	for (name, pages, body, limits) in bombs {
		programs.push((name, hostile(pages, body), Vec::new(), limits));
	}

	println!("{:<22} {:>14} {:>10} {:>9}", "program", "fuel used", "ms", "ns/fuel");
	let mut rates = Vec::new();
	for (name, code, input, limits) in &programs {
		let code_hash = hash(code);
		let first = executor.execute(code_hash, code, input, *limits, [0; 32]).expect("runs");
		let mut runs: Vec<(f64, u64)> = (0..ROUNDS)
			.map(|_| {
				let started = Instant::now();
				let out = executor.execute(code_hash, code, input, *limits, [0; 32]).expect("runs");
				assert_eq!(out.fuel_used, first.fuel_used, "{name}: deterministic fuel");
				(started.elapsed().as_secs_f64() * 1e9, out.fuel_used)
			})
			.collect();
		runs.sort_by(|a, b| a.0.total_cmp(&b.0));
		let (ns, fuel) = runs[ROUNDS / 2];
		let rate = ns / fuel.max(1) as f64;
		rates.push((rate, *name));
		println!("{name:<22} {fuel:>14} {:>10.1} {rate:>9.3}  ({:?})", ns / 1e6, first.status);
	}
	rates.sort_by(|a, b| a.0.total_cmp(&b.0));
	let (worst, worst_name) = rates[rates.len() - 1];
	let (median, _) = rates[rates.len() / 2];
	println!("median {median:.3} ns/fuel; worst {worst:.3} ns/fuel ({worst_name})");
	let (worst_cpu, name_cpu) = rates
		.iter()
		.rev()
		.find(|(_, n)| !n.starts_with("pointer chase") && !n.starts_with("touch"))
		.copied()
		.unwrap_or((0.0, ""));
	println!("worst apart from memory-bound code: {worst_cpu:.3} ns/fuel ({name_cpu})");
}
