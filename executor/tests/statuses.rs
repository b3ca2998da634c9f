//! Every status reached by a real module; sample workloads checked against native code.

mod common;
use bourse_executor::Status;
use common::*;

#[test]
fn sample_workloads_match_native() {
	let ex = executor();
	let cases: [common::Case; 3] = [
		("sha256", b"1000\nhello bourse", bourse_workloads::sha256::run),
		("mandelbrot", b"64 48 16 8 256 192 200", bourse_workloads::mandelbrot::run),
		("primes", b"1000000", bourse_workloads::primes::run),
	];
	for (name, input, native) in cases {
		let out = run(&ex, &workload(name), input, limits(1_000_000_000));
		assert_eq!(out.status, Status::Success, "{name}");
		assert_eq!(out.output, native(input).unwrap(), "{name}");
		assert!(out.fuel_used > 0 && out.fuel_used < 1_000_000_000, "{name}: {}", out.fuel_used);
		assert_eq!(out.executor_version, bourse_executor::EXECUTOR_VERSION);
	}
}

#[test]
fn bad_input_is_an_exit_status() {
	let out = run(&executor(), &workload("primes"), b"not a number", limits(100_000_000));
	assert_eq!(out.status, Status::Exit(2));
}

#[test]
fn proc_exit_zero_is_success_and_nonzero_carries_the_code() {
	let ex = executor();
	let zero = command("(call $proc_exit (i32.const 0)) unreachable");
	assert_eq!(run(&ex, &zero, b"", limits(10_000)).status, Status::Success);
	let seven = command("(call $proc_exit (i32.const 7)) unreachable");
	assert_eq!(run(&ex, &seven, b"", limits(10_000)).status, Status::Exit(7));
}

#[test]
fn out_of_fuel_uses_exactly_the_limit() {
	let out = run(&executor(), &workload("sha256"), b"100000000\nx", limits(5_000_000));
	assert_eq!(out.status, Status::OutOfFuel);
	assert_eq!(out.fuel_used, 5_000_000);
}

#[test]
fn trap() {
	let out = run(
		&executor(),
		&command("(drop (i32.div_u (i32.const 1) (i32.const 0)))"),
		b"",
		limits(10_000),
	);
	assert_eq!(out.status, Status::Trap);
}

#[test]
fn invalid_modules() {
	let ex = executor();
	let cases = [
		("garbage", b"\0asm\x01\0\0\0garbage".to_vec()),
		("not wasm", b"hello".to_vec()),
		(
			"forbidden import",
			wat(
				r#"(module (import "env" "now" (func)) (memory (export "memory") 1) (func (export "_start")))"#,
			),
		),
		(
			"forbidden WASI function",
			wat(
				r#"(module (import "wasi_snapshot_preview1" "path_open" (func)) (memory (export "memory") 1) (func (export "_start")))"#,
			),
		),
		("no _start", wat(r#"(module (memory (export "memory") 1) (func (export "main")))"#)),
		("no memory", wat(r#"(module (func (export "_start")))"#)),
		(
			"imported memory",
			wat(
				r#"(module (import "wasi_snapshot_preview1" "memory" (memory 1)) (func (export "_start")))"#,
			),
		),
		(
			"threads",
			wat(r#"(module (memory (export "memory") 1 1 shared) (func (export "_start")))"#),
		),
	];
	for (what, code) in cases {
		let out = run(&ex, &code, b"", limits(1000));
		assert_eq!(out.status, Status::InvalidModule, "{what}");
		assert_eq!(out.fuel_used, 0, "{what}");
	}
}

#[test]
fn memory_bomb_is_memory_exceeded() {
	let ex = executor();
	// Grows one page at a time until refused, then traps as an allocator would.
	let bomb = command(
		"(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable",
	);
	let out = run(&ex, &bomb, b"", limits(10_000_000));
	assert_eq!(out.status, Status::MemoryExceeded);
	// A module whose initial memory is above the task's limit.
	let big = wat(r#"(module (memory (export "memory") 2000) (func (export "_start")))"#);
	assert_eq!(run(&ex, &big, b"", limits(1000)).status, Status::MemoryExceeded);
	// A real program: the sieve of 2^31 needs 128 MiB.
	let out = run(&ex, &workload("primes"), b"2147483648", limits(10_000_000_000));
	assert_eq!(out.status, Status::MemoryExceeded);
}

#[test]
fn output_flood_is_output_too_large() {
	let out = run(
		&executor(),
		&command("(loop $flood (call $write (i32.const 16) (i32.const 1000)) (br $flood))"),
		b"",
		limits(1_000_000_000),
	);
	assert_eq!(out.status, Status::OutputTooLarge);
	assert_eq!(out.output.len(), limits(0).max_output_bytes as usize);
}

/// A growth past the module's own declared maximum (within the task's memory) fails the same
/// way on every node: `memory.grow` gives -1 and the run goes on, an outcome, not a local
/// failure.
#[test]
fn a_growth_past_the_modules_own_maximum_gives_minus_one() {
	let module = wat(r#"(module
			(import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
			(memory (export "memory") 1 2)
			(func (export "_start")
				(call $proc_exit (i32.add (i32.const 10) (memory.grow (i32.const 5))))))"#);
	let out = run(&executor(), &module, b"", limits(10_000_000));
	assert_eq!(out.status, Status::Exit(9), "memory.grow gave -1");
}
