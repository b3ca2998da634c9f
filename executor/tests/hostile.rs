//! Hostile modules end with the right status within their limits, never a crash or a hang,
//! and leave the executor usable.

mod common;
use bourse_executor::{Executor, ExecutorConfig, Status};
use common::*;
use std::time::{Duration, Instant};

/// The executor still runs a real workload correctly.
fn still_usable(ex: &dyn bourse_executor::Sandbox) {
	let out = run(ex, &workload("sha256"), b"10\nstill alive", limits(100_000_000));
	assert_eq!(out.status, Status::Success);
	assert_eq!(out.output, bourse_workloads::sha256::run(b"10\nstill alive").expect("valid input"));
}

#[test]
fn infinite_loop_runs_out_of_fuel() {
	let ex = executor();
	let out = run(&ex, &command("(loop $forever (br $forever))"), b"", limits(50_000_000));
	assert_eq!((out.status, out.fuel_used), (Status::OutOfFuel, 50_000_000));
	still_usable(&ex);
}

#[test]
fn a_run_outliving_the_wall_clock_backstop_is_a_local_failure_not_an_outcome() {
	let ex = Executor::new(ExecutorConfig {
		workers: 1,
		wall_clock_limit: Duration::from_millis(300),
		..Default::default()
	})
	.expect("executor");
	let code = command("(loop $forever (br $forever))");
	let started = Instant::now();
	let result = ex.execute(hash(&code), &code, b"", limits(u64::MAX / 2), [7; 32]);
	assert!(matches!(result, Err(bourse_executor::Error::TimedOut)), "{result:?}");
	assert!(started.elapsed() < Duration::from_secs(5), "stopped near the backstop");
	still_usable(&ex);
}

#[test]
fn runs_start_without_blocking_run_side_by_side_and_stop_when_cancelled() {
	let ex = Executor::new(ExecutorConfig { workers: 4, ..Default::default() }).expect("executor");
	assert_eq!(ex.capacity(), 4);
	let code = command("(loop $forever (br $forever))");
	let started = Instant::now();
	let mut runs: Vec<_> = (0..4)
		.map(|_| ex.start(hash(&code), &code, b"", limits(u64::MAX / 2), [7; 32]).expect("starts"))
		.collect();
	assert!(started.elapsed() < Duration::from_secs(1), "start returns at once");
	std::thread::sleep(Duration::from_millis(300));
	assert!(runs.iter_mut().all(|run| run.result().is_none()), "all four still running");
	runs.iter().for_each(|run| run.cancel());
	for run in runs {
		let result = run.wait();
		assert!(matches!(result, Err(bourse_executor::Error::Cancelled)), "{result:?}");
	}
	assert!(started.elapsed() < Duration::from_secs(5), "cancelled within epoch ticks");
	// A run cancelled while queued never starts; the executor stays usable.
	let busy: Vec<_> = (0..4)
		.map(|_| ex.start(hash(&code), &code, b"", limits(u64::MAX / 2), [7; 32]).expect("starts"))
		.collect();
	let queued = ex.start(hash(&code), &code, b"", limits(u64::MAX / 2), [7; 32]).expect("queued");
	queued.cancel();
	busy.iter().for_each(|run| run.cancel());
	assert!(matches!(queued.wait(), Err(bourse_executor::Error::Cancelled)));
	busy.into_iter().for_each(|run| drop(run.wait()));
	still_usable(&ex);
}

#[test]
fn a_task_asking_more_memory_than_the_node_gives_is_refused_at_start() {
	let ex = executor();
	let code = command("");
	let mut too_large = limits(1_000_000);
	too_large.max_memory_mib = 4 * 1024 + 1;
	let result = ex.start(hash(&code), &code, b"", too_large, [7; 32]);
	assert!(matches!(result, Err(bourse_executor::Error::MemoryAboveNode)));
}

const RECURSE: &str = r#"(module
	(memory (export "memory") 1)
	(func $down (param $n i64) (result i64)
		(if (result i64) (i64.eqz (local.get $n))
			(then (i64.const 0))
			(else (i64.add (i64.const 1) (call $down (i64.sub (local.get $n) (i64.const 1)))))))
	(func (export "_start") (drop (call $down (i64.const 100000000)))))"#;

#[test]
fn deep_recursion_traps_at_a_deterministic_depth() {
	let code = wat(RECURSE);
	let ex = executor();
	let out = run(&ex, &code, b"", limits(10_000_000_000));
	assert_eq!(out.status, Status::Trap);
	// A node with a much smaller native stack reaches the same trap at the same fuel: the
	// deterministic meter decides, not the native stack.
	let small = Executor::new(ExecutorConfig {
		workers: 1,
		native_stack_bytes: 8 << 20,
		..Default::default()
	})
	.expect("executor");
	assert_eq!(run(&small, &code, b"", limits(10_000_000_000)), out);
	// A larger budget lets the same recursion go deeper (more fuel before the trap).
	let mut deeper = limits(10_000_000_000);
	deeper.max_stack_units *= 2;
	let out2 = run(&ex, &code, b"", deeper);
	assert_eq!(out2.status, Status::Trap);
	assert!(out2.fuel_used > out.fuel_used);
	still_usable(&ex);
}

#[test]
fn recursion_within_budget_succeeds() {
	let code = wat(&RECURSE.replace("100000000", "1000"));
	assert_eq!(run(&executor(), &code, b"", limits(10_000_000)).status, Status::Success);
}

#[test]
fn huge_table_is_refused_and_table_growth_is_capped() {
	let ex = executor();
	let huge = wat(
		r#"(module (table 1000000 funcref) (memory (export "memory") 1) (func (export "_start")))"#,
	);
	assert_eq!(run(&ex, &huge, b"", limits(1000)).status, Status::InvalidModule);
	// Growing past the chain's table limit fails inside the guest (-1), deterministically; the
	// attempt pays for its size all the same (8 fuel per element).
	let grow = wat(r#"(module (table 1 funcref) (memory (export "memory") 1)
		(func (export "_start")
			(if (i32.ne (table.grow (ref.null func) (i32.const 1000000)) (i32.const -1)) (then unreachable))))"#);
	assert_eq!(run(&ex, &grow, b"", limits(1000)).status, Status::OutOfFuel);
	assert_eq!(run(&ex, &grow, b"", limits(10_000_000)).status, Status::Success);
	still_usable(&ex);
}

#[test]
fn trap_in_start_function() {
	let ex = executor();
	let code = wat(
		r#"(module (memory (export "memory") 1) (func $boom unreachable) (start $boom) (func (export "_start")))"#,
	);
	assert_eq!(run(&ex, &code, b"", limits(10_000)).status, Status::Trap);
	still_usable(&ex);
}

#[test]
fn sleeping_returns_at_once() {
	let ex = executor();
	// poll_oneoff on a relative clock subscription of one hour.
	let code = wat(r#"(module
		(import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
		(memory (export "memory") 1)
		(func (export "_start")
			(i64.store (i32.const 0) (i64.const 42))          ;; userdata
			(i32.store8 (i32.const 8) (i32.const 0))          ;; tag: clock
			(i64.store (i32.const 24) (i64.const 3600000000000)) ;; timeout: 1 h
			(if (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)) (then unreachable))
			(if (i64.ne (i64.load (i32.const 64)) (i64.const 42)) (then unreachable))))"#);
	let started = Instant::now();
	assert_eq!(run(&ex, &code, b"", limits(10_000)).status, Status::Success);
	assert!(started.elapsed() < Duration::from_secs(60), "no real sleeping");
}

#[test]
fn compile_time_bomb_is_bounded() {
	let ex = executor();
	let too_many_locals = compile_bomb(bourse_executor::prepare::MAX_LOCALS + 1, 10);
	assert_eq!(run(&ex, &too_many_locals, b"", limits(1000)).status, Status::InvalidModule);

	let bomb = compile_bomb(bourse_executor::prepare::MAX_LOCALS, 35_000);
	assert!(bomb.len() < bourse_executor::prepare::MAX_MODULE_BYTES);
	let started = Instant::now();
	let out = run(&ex, &bomb, b"", limits(100_000_000));
	eprintln!(
		"compile-time bomb of {} bytes: {:?} in {:?}",
		bomb.len(),
		out.status,
		started.elapsed()
	);
	assert_eq!(out.status, Status::Success);
	// Cached: the second run pays no compilation.
	let again = run(&ex, &bomb, b"", limits(100_000_000));
	assert_eq!(again, out);
	still_usable(&ex);
}

/// A module with a 64 MiB memory, a 10,000-element table and the two WASI calls a flood uses,
/// whose `_start` runs `body`.
fn bulk(body: &str) -> Vec<u8> {
	wat(&format!(
		r#"(module
			(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
			(import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
			(memory (export "memory") 1024)
			(table 10000 funcref)
			(data $bytes "0123456789abcdef")
			(func (export "_start") {body}))"#
	))
}

/// Time bombs that cost a few fuel per iteration but milliseconds of work without the bulk
/// fuel schedule: each must run out of fuel exactly at the limit (under 1e7 fuel without the
/// schedule, the fill loop alone would run for about an hour).
#[test]
fn bulk_work_and_host_floods_pay_fuel_for_their_size() {
	let ex = executor();
	let bombs = [
		("memory.fill", "(loop $l (memory.fill (i32.const 0) (i32.const 0) (i32.const 67108864)) (br $l))"),
		(
			"memory.copy",
			"(loop $l (memory.copy (i32.const 0) (i32.const 33554432) (i32.const 33554432)) (br $l))",
		),
		(
			"memory.init",
			"(loop $l (memory.init $bytes (i32.const 0) (i32.const 0) (i32.const 16)) (br $l))",
		),
		("table.fill", "(loop $l (table.fill (i32.const 0) (ref.null func) (i32.const 10000)) (br $l))"),
		("table.copy", "(loop $l (table.copy (i32.const 0) (i32.const 5000) (i32.const 5000)) (br $l))"),
		("memory.grow", "(loop $l (drop (memory.grow (i32.const 65535))) (br $l))"),
		(
			// 1,024 empty iovecs (zeroed memory) per call.
			"fd_write iovecs",
			"(loop $l (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1024) (i32.const 16384))) (br $l))",
		),
		(
			// 1,023 readable iovecs and one past the end of memory: `EFAULT`, after reading all.
			"fd_write iovecs ending out of memory",
			"(loop $l (drop (call $fd_write (i32.const 1) (i32.const 67100680) (i32.const 1024) (i32.const 16384))) (br $l))",
		),
		(
			"growing and filling nothing",
			"(loop $l (drop (memory.grow (i32.const 0))) (table.fill (i32.const 0) (ref.null func) (i32.const 0)) (br $l))",
		),
		(
			"poll_oneoff subscriptions",
			"(loop $l (drop (call $poll (i32.const 0) (i32.const 65536) (i32.const 1024) (i32.const 16384))) (br $l))",
		),
	];
	for (name, body) in bombs {
		let out = run(&ex, &bulk(body), b"", limits(10_000_000));
		assert_eq!((out.status, out.fuel_used), (Status::OutOfFuel, 10_000_000), "{name}");
	}
	still_usable(&ex);
}

/// Small bulk operations pay nothing extra; larger ones pay by size, whatever the operation.
#[test]
fn bulk_operations_are_charged_by_size() {
	let ex = executor();
	let fuel = |len: u32| {
		let body = format!("(memory.fill (i32.const 0) (i32.const 7) (i32.const {len}))");
		let out = run(&ex, &bulk(&body), b"", limits(10_000_000));
		assert_eq!(out.status, Status::Success);
		out.fuel_used
	};
	let (tiny, small, big) = (fuel(16), fuel(256), fuel(1 << 20));
	assert_eq!(tiny, small, "256 bytes and less are free");
	// One fuel per 8 bytes, and the five operators of the charge call itself.
	assert_eq!(big - small, (1 << 20) / 8 + 5, "one fuel per 8 bytes");
}

/// The initial memory pays as if grown, before anything runs.
#[test]
fn initial_memory_is_paid_before_instantiation() {
	let ex = executor();
	let module = |pages: u32| {
		wat(&format!(r#"(module (memory (export "memory") {pages}) (func (export "_start")))"#))
	};
	let one = run(&ex, &module(1), b"", limits(10_000_000));
	let many = run(&ex, &module(1000), b"", limits(10_000_000));
	assert_eq!((one.status, many.status), (Status::Success, Status::Success));
	assert_eq!(many.fuel_used - one.fuel_used, 999 * bourse_executor::fuel::FUEL_PER_PAGE as u64);
	let out = run(&ex, &module(1000), b"", limits(1_000_000));
	assert_eq!((out.status, out.fuel_used), (Status::OutOfFuel, 1_000_000));
	// Above the task's memory (64 MiB) it is refused, not charged.
	let out = run(&ex, &module(2000), b"", limits(1_000));
	assert_eq!((out.status, out.fuel_used), (Status::MemoryExceeded, 0));
}
