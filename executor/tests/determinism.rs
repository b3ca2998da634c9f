//! Same module, input, limits and seed ⇒ byte-identical outcome, across runs, executors,
//! threads, cold or cached.

mod common;
use bourse_executor::Status;
use common::*;

/// A tiny deterministic generator for test inputs.
struct Lcg(u64);
impl Lcg {
	fn next(&mut self) -> u64 {
		self.0 =
			self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
		self.0 >> 33
	}
}

#[test]
fn random_inputs_give_identical_outcomes_on_two_executors() {
	let (a, b) = (executor(), executor());
	let mut rng = Lcg(2026);
	let workloads = [workload("sha256"), workload("mandelbrot"), workload("primes")];
	for i in 0..60 {
		let (code, input) = match i % 3 {
			0 => {
				let data: Vec<u8> = (0..rng.next() % 300).map(|_| rng.next() as u8).collect();
				let mut input = format!("{}\n", 1 + rng.next() % 500).into_bytes();
				input.extend(data);
				(&workloads[0], input)
			}
			1 => {
				let (w, h) = (1 + rng.next() % 40, 1 + rng.next() % 40);
				let input = format!(
					"{w} {h} {} {} 200 150 {}",
					rng.next() % (200 - w),
					rng.next() % (150 - h),
					1 + rng.next() % 300
				);
				(&workloads[1], input.into_bytes())
			}
			_ => (&workloads[2], format!("{}", rng.next() % 200_000).into_bytes()),
		};
		// Some runs get too little fuel: the trap point must agree too.
		let fuel =
			if rng.next().is_multiple_of(4) { 1 + rng.next() % 200_000 } else { 1_000_000_000 };
		let seed = [rng.next() as u8; 32];
		let limits = limits(fuel);
		let first = a.execute(hash(code), code, &input, limits, seed).unwrap();
		let second = b.execute(hash(code), code, &input, limits, seed).unwrap();
		let cached = a.execute(hash(code), code, &input, limits, seed).unwrap();
		assert_eq!(first, second, "run {i}");
		assert_eq!(first, cached, "run {i}");
	}
}

#[test]
fn concurrent_callers_get_identical_outcomes() {
	let ex = executor();
	let code = workload("mandelbrot");
	let expected = run(&ex, &code, b"32 32 0 0 64 64 300", limits(1_000_000_000));
	std::thread::scope(|s| {
		for _ in 0..4 {
			s.spawn(|| {
				for _ in 0..3 {
					assert_eq!(
						run(&ex, &code, b"32 32 0 0 64 64 300", limits(1_000_000_000)),
						expected
					);
				}
			});
		}
	});
}

const RANDOM_AND_CLOCK: &str = r#"(module
	(import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
	(import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
	(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
	(memory (export "memory") 1)
	(func (export "_start")
		(drop (call $random (i32.const 100) (i32.const 32)))
		(drop (call $clock (i32.const 0) (i64.const 1) (i32.const 132)))
		(i32.store (i32.const 0) (i32.const 100))
		(i32.store (i32.const 4) (i32.const 40))
		(drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

#[test]
fn randomness_comes_from_the_seed_and_clocks_are_fixed() {
	let ex = executor();
	let code = wat(RANDOM_AND_CLOCK);
	let with_seed = |seed| ex.execute(hash(&code), &code, b"", limits(10_000), seed).unwrap();
	let (a, b, c) = (with_seed([1; 32]), with_seed([1; 32]), with_seed([2; 32]));
	assert_eq!(a.status, Status::Success);
	assert_eq!(a, b);
	assert_ne!(a.output[..32], c.output[..32]);
	// The clock reads the same fixed time whatever the seed.
	assert_eq!(a.output[32..], c.output[32..]);
	assert_eq!(a.output[32..], bourse_executor::wasi::FIXED_TIME_NS.to_le_bytes());
}

#[test]
fn instrumentation_keeps_multi_value_returns_and_branches_correct() {
	// `$pair` returns two values through `return`, `br` to the function label and the end.
	let code = wat(r#"(module
		(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
		(memory (export "memory") 1)
		(func $pair (param $k i32) (result i32 i32)
			(if (i32.eq (local.get $k) (i32.const 0)) (then (return (i32.const 1) (i32.const 2))))
			(if (i32.eq (local.get $k) (i32.const 1)) (then (br 1 (i32.const 3) (i32.const 4))))
			(i32.const 5) (i32.const 6))
		(func $sum (param $k i32) (result i32) (i32.add (call $pair (local.get $k))))
		(func (export "_start") (local $i i32)
			(i32.store8 (i32.const 200) (call $sum (i32.const 0)))
			(i32.store8 (i32.const 201) (call $sum (i32.const 1)))
			(i32.store8 (i32.const 202) (call $sum (i32.const 2)))
			;; Many calls in a row: the meter must return to zero after each.
			(loop $again
				(drop (call $sum (i32.const 0)))
				(br_if $again (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 100000))))
			(i32.store (i32.const 0) (i32.const 200))
			(i32.store (i32.const 4) (i32.const 3))
			(drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#);
	let out = run(&executor(), &code, b"", limits(100_000_000));
	assert_eq!(out.status, Status::Success);
	assert_eq!(out.output, vec![3, 7, 11]);
}

/// The fingerprint (blake2-256 of the exported memory's length and non-zero pages as the run
/// left it) is what only a run gives: it follows what the module wrote, not only what it
/// printed, up to a trap; it is zero when nothing was instantiated; and a memory slot reused
/// from a run that dirtied it leaves no trace.
#[test]
fn the_fingerprint_is_the_memory_a_run_left() {
	use blake2::{digest::consts::U32, Blake2b, Digest};
	// Writes `value` at offset 1000, then `end`s the run.
	let module = |value: u8, end: &str| {
		command(&format!("(i32.store8 (i32.const 1000) (i32.const {value})) {end}"))
	};
	let (a, b) = (executor(), executor());
	let one = run(&*a, &module(1, ""), b"", limits(1_000_000));
	let two = run(&*a, &module(2, ""), b"", limits(1_000_000));
	assert_eq!(one.status, Status::Success);
	assert_eq!((one.output.clone(), one.fuel_used), (two.output.clone(), two.fuel_used));
	assert_ne!(one.fingerprint, two.fingerprint, "same output and fuel, other memory");
	// The canonical form: the length, then each non-zero page with its index.
	let mut page = vec![0u8; 65_536];
	page[1000] = 2;
	let expected: [u8; 32] = Blake2b::<U32>::new()
		.chain_update(65_536u64.to_le_bytes())
		.chain_update(0u32.to_le_bytes())
		.chain_update(&page)
		.finalize()
		.into();
	assert_eq!(two.fingerprint, expected);
	// Another executor agrees; a trap or an exit keeps what was written before it.
	assert_eq!(run(&*b, &module(2, ""), b"", limits(1_000_000)), two);
	let trapped = run(&*b, &module(2, "(unreachable)"), b"", limits(1_000_000));
	assert_eq!((trapped.status, trapped.fingerprint), (Status::Trap, expected));
	let exited = run(&*b, &module(2, "(call $proc_exit (i32.const 4))"), b"", limits(1_000_000));
	assert_eq!((exited.status, exited.fingerprint), (Status::Exit(4), expected));
	// One execution slot, reused after runs that dirtied it: a clean memory hashes as clean.
	let single = bourse_executor::Executor::new(bourse_executor::ExecutorConfig {
		workers: 1,
		..Default::default()
	})
	.unwrap();
	let zero_page = command("(nop)");
	let clean: [u8; 32] = Blake2b::<U32>::digest(65_536u64.to_le_bytes()).into();
	for value in [0xff, 0x01] {
		run(&single, &module(value, ""), b"", limits(1_000_000));
		let after = run(&single, &zero_page, b"", limits(1_000_000));
		assert_eq!(after.fingerprint, clean, "a reused slot is clean");
	}
	// Nothing instantiated, or not a command: no fingerprint.
	let invalid = run(&*a, b"\0asm\x01\0\0\0\x01", b"", limits(1_000_000));
	assert_eq!((invalid.status, invalid.fingerprint), (Status::InvalidModule, [0; 32]));
}
