//! Sandbox vs native on the same portable source: `cargo bench -p bourse-executor`.
//!
//! Prints, per workload: native time, sandbox time with fuel on and a cached module (warm),
//! their ratio, cold compile time, and the round trip of an empty task (instantiation + call +
//! hand-off to an execution thread). Native and sandbox runs alternate, so both see the same
//! machine noise; medians are reported. Build the workloads first: scripts/build-workloads.sh.

#[path = "../tests/common/mod.rs"]
mod common;
use bourse_executor::{ExecutionLimits, Executor, ExecutorConfig, Status};
use common::{hash, workload, Case};
use std::{
	hint::black_box,
	time::{Duration, Instant},
};

const ROUNDS: usize = 9;

fn median(mut v: Vec<Duration>) -> Duration {
	v.sort();
	v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
	d.as_secs_f64() * 1e3
}

/// One configuration of the cost breakdown.
struct Variant {
	name: &'static str,
	fuel: bool,
	nan_canonicalization: bool,
	stack_meter: bool,
}

/// Median time of `_start` on a raw wasmtime engine with only the given switches: shows where
/// the sandbox's overhead over native comes from.
fn variant_time(v: &Variant, code: &[u8], input: &[u8]) -> Duration {
	use bourse_executor::{prepare, wasi};
	let mut config = wasmtime::Config::new();
	config.consume_fuel(v.fuel).cranelift_nan_canonicalization(v.nan_canonicalization);
	let engine = wasmtime::Engine::new(&config).expect("engine");
	let bytes = if v.stack_meter {
		prepare::prepare(
			code,
			prepare::Rules { max_stack_units: 1 << 18, max_table_elements: 10_000 },
		)
		.expect("prepares")
	} else {
		code.to_vec()
	};
	let module = wasmtime::Module::new(&engine, &bytes).expect("compiles");
	let mut linker = wasmtime::Linker::new(&engine);
	wasi::define(&mut linker).expect("wasi");
	let pre = linker.instantiate_pre(&module).expect("links");
	let mut times = Vec::new();
	for _ in 0..ROUNDS {
		let limiter = wasi::Limiter {
			max_memory: 64 << 20,
			max_table_elements: 10_000,
			memory_exceeded: false,
			growing: None,
		};
		let mut store = wasmtime::Store::new(
			&engine,
			wasi::State::new(input.to_vec(), 1 << 20, [0; 32], limiter),
		);
		store.limiter(|s| &mut s.limiter);
		if v.fuel {
			store.set_fuel(u64::MAX / 2).expect("fuel");
		}
		let started = Instant::now();
		let instance = pre.instantiate(&mut store).expect("instantiates");
		let start = instance.get_typed_func::<(), ()>(&mut store, "_start").expect("_start");
		let result = start.call(&mut store, ());
		times.push(started.elapsed());
		if let Err(e) = result {
			assert!(matches!(e.downcast_ref::<wasi::Stop>(), Some(wasi::Stop::Exit(0))), "{e:#}");
		}
	}
	median(times)
}

fn main() {
	let limits = ExecutionLimits::with_defaults(200_000_000_000, 64);
	let executor =
		Executor::new(ExecutorConfig { workers: 1, ..Default::default() }).expect("executor");
	let cases: [Case; 3] = [
		("sha256", b"200000\nbourse", bourse_workloads::sha256::run),
		("mandelbrot", b"128 128 96 64 512 384 2000", bourse_workloads::mandelbrot::run),
		("primes", b"20000000", bourse_workloads::primes::run),
	];
	println!(
		"{:<11} {:>11} {:>13} {:>7} {:>12} {:>14}",
		"workload", "native ms", "sandbox ms", "ratio", "compile ms", "fuel used"
	);
	let mut log_ratio = 0.0;
	for (name, input, native) in cases {
		let code = workload(name);
		let code_hash = hash(&code);
		// Cold: a fresh executor compiles the module.
		let cold =
			Executor::new(ExecutorConfig { workers: 1, ..Default::default() }).expect("executor");
		let started = Instant::now();
		cold.precompile(code_hash, &code, limits).expect("compiles");
		let compile = started.elapsed();
		drop(cold);

		let expected = native(input).expect("valid input");
		let warm = executor.execute(code_hash, &code, input, limits, [0; 32]).expect("runs");
		assert_eq!(warm.status, Status::Success, "{name}");
		assert_eq!(warm.output, expected, "{name}: sandbox and native agree");

		let (mut native_times, mut sandbox_times) = (Vec::new(), Vec::new());
		for _ in 0..ROUNDS {
			let started = Instant::now();
			black_box(native(black_box(input)).expect("runs"));
			native_times.push(started.elapsed());
			let started = Instant::now();
			black_box(executor.execute(code_hash, &code, input, limits, [0; 32]).expect("runs"));
			sandbox_times.push(started.elapsed());
		}
		let (n, s) = (median(native_times), median(sandbox_times));
		let ratio = s.as_secs_f64() / n.as_secs_f64();
		log_ratio += ratio.ln();
		println!(
			"{name:<11} {:>11.2} {:>13.2} {:>6.2}x {:>12.1} {:>14}",
			ms(n),
			ms(s),
			ratio,
			ms(compile),
			warm.fuel_used
		);
	}
	println!("geometric mean ratio: {:.3}x (goal <= 1.25x)", (log_ratio / 3.0).exp());

	// Where the overhead comes from: the same modules on raw wasmtime engines, switching the
	// determinism features on one at a time (ratios to native, medians).
	let variants = [
		Variant {
			name: "cranelift only",
			fuel: false,
			nan_canonicalization: false,
			stack_meter: false,
		},
		Variant { name: "+ fuel", fuel: true, nan_canonicalization: false, stack_meter: false },
		Variant {
			name: "+ NaN canon.",
			fuel: true,
			nan_canonicalization: true,
			stack_meter: false,
		},
		Variant {
			name: "+ stack meter",
			fuel: true,
			nan_canonicalization: true,
			stack_meter: true,
		},
	];
	println!("\nbreakdown (ratio to native)");
	print!("{:<15}", "variant");
	for (name, _, _) in cases {
		print!(" {name:>11}");
	}
	println!();
	let natives: Vec<Duration> = cases
		.iter()
		.map(|(_, input, native)| {
			median(
				(0..ROUNDS)
					.map(|_| {
						let started = Instant::now();
						black_box(native(black_box(input)).expect("runs"));
						started.elapsed()
					})
					.collect(),
			)
		})
		.collect();
	for v in &variants {
		print!("{:<15}", v.name);
		for ((name, input, _), native) in cases.iter().zip(&natives) {
			let t = variant_time(v, &workload(name), input);
			print!(" {:>10.2}x", t.as_secs_f64() / native.as_secs_f64());
		}
		println!();
	}

	// Round trip of an empty task: instantiation + call + hand-off to the execution thread.
	let empty = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)
		.expect("wat");
	let empty_hash = hash(&empty);
	executor.execute(empty_hash, &empty, b"", limits, [0; 32]).expect("runs");
	let mut times = Vec::new();
	for _ in 0..2000 {
		let started = Instant::now();
		black_box(executor.execute(empty_hash, &empty, b"", limits, [0; 32]).expect("runs"));
		times.push(started.elapsed());
	}
	println!(
		"empty task round trip (instantiate + call + thread hand-off), warm: median {:.1} us",
		median(times).as_secs_f64() * 1e6
	);

	// Instantiation alone, on the sandbox's own engine configuration (pooling allocator,
	// pre-linked `InstancePre`), of each real workload.
	let config = bourse_executor::ExecutorConfig { workers: 1, ..Default::default() };
	let engine = wasmtime::Engine::new(&bourse_executor::engine_config(&config)).expect("engine");
	let mut linker = wasmtime::Linker::new(&engine);
	bourse_executor::wasi::define(&mut linker).expect("wasi");
	for name in ["sha256", "mandelbrot", "primes"] {
		let rules = bourse_executor::prepare::Rules {
			max_stack_units: 1 << 18,
			max_table_elements: 10_000,
		};
		let module = bourse_executor::prepare::prepare(&workload(name), rules).expect("prepares");
		let module = wasmtime::Module::new(&engine, &module).expect("compiles");
		let pre = linker.instantiate_pre(&module).expect("links");
		let mut times = Vec::new();
		for _ in 0..2000 {
			let limiter = bourse_executor::wasi::Limiter {
				max_memory: 64 << 20,
				max_table_elements: 10_000,
				memory_exceeded: false,
				growing: None,
			};
			let state = bourse_executor::wasi::State::new(Vec::new(), 1 << 16, [0; 32], limiter);
			let mut store = wasmtime::Store::new(&engine, state);
			store.limiter(|s| &mut s.limiter);
			store.set_fuel(1_000_000).expect("fuel");
			let started = Instant::now();
			black_box(pre.instantiate(&mut store).expect("instantiates"));
			times.push(started.elapsed());
		}
		println!(
			"instantiation of {name}, warm (pooling, InstancePre): median {:.1} us",
			median(times).as_secs_f64() * 1e6
		);
	}
}
