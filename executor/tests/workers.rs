//! Workloads run in confined worker processes ([`WorkerPool`]): the same outcomes as in
//! process, failures of a worker are local failures of one run, and confinement refuses what
//! a stranger's code must never reach.
#![cfg(target_os = "linux")]

mod common;
use bourse_executor::{protocol::Landlock, Error, Sandbox, Status, WorkerPool, WorkerPoolConfig};
use common::*;
use std::time::{Duration, Instant};

/// The sandbox's own worker program (the node runs the same code as `bourse-node
/// sandbox-worker`).
fn config(workers: usize) -> WorkerPoolConfig {
	WorkerPoolConfig::new(env!("CARGO_BIN_EXE_bourse-sandbox-worker").into(), Vec::new(), workers)
}

/// A pool, confined where the platform allows; says loudly when it does not.
fn pool(workers: usize) -> WorkerPool {
	let mut config = config(workers);
	config.require_confinement = false;
	let pool = WorkerPool::new(config).expect("workers start");
	if !pool.confinement().is_confined() {
		eprintln!("WARNING: this platform cannot confine the workers: {}", pool.confinement());
	}
	pool
}

fn rng(state: &mut u64) -> u64 {
	*state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
	*state >> 33
}

#[test]
fn outcomes_through_workers_are_identical_to_outcomes_in_process() {
	let (local, workers) = (executor(), pool(2));
	let mut state = 17;
	let samples = [workload("sha256"), workload("mandelbrot"), workload("primes")];
	let mut cases: Vec<(Vec<u8>, Vec<u8>, u64)> = (0..30)
		.map(|i| {
			let input = match i % 3 {
				0 => format!("{}\nbourse {i}", 1 + rng(&mut state) % 500),
				1 => format!("{} {} 0 0 200 150 {}", 1 + i, 1 + i, 1 + rng(&mut state) % 300),
				_ => format!("{}", rng(&mut state) % 200_000),
			};
			// Some runs get too little fuel: the trap point must agree too.
			let fuel = if i % 4 == 0 { 1 + rng(&mut state) % 200_000 } else { 1_000_000_000 };
			(samples[i % 3].clone(), input.into_bytes(), fuel)
		})
		.collect();
	// Hostile modules end with the same statuses and fuel.
	for hostile in [
		command("(loop $forever (br $forever))"),
		command("unreachable"),
		command("(drop (memory.grow (i32.const 60000)))"),
		wat(
			r#"(module (func $f (call $f)) (memory (export "memory") 1) (func (export "_start") (call $f)))"#,
		),
		b"\0asm\x01\0\0\0not a module".to_vec(),
	] {
		cases.push((hostile, b"".to_vec(), 50_000_000));
	}
	for (i, (code, input, fuel)) in cases.iter().enumerate() {
		let limits = limits(*fuel);
		let seed = [i as u8; 32];
		let expected = local.execute(hash(code), code, input, limits, seed).expect("runs");
		let through = workers.execute(hash(code), code, input, limits, seed).expect("runs");
		assert_eq!(through, expected, "case {i}");
	}
}

/// A run that never ends on its own, started and given time to be running.
fn looping_run(workers: &WorkerPool) -> bourse_executor::Run {
	let looping = command("(loop $forever (br $forever))");
	let run = workers
		.start(hash(&looping), &looping, b"", limits(u64::MAX / 2), [0; 32])
		.expect("starts");
	std::thread::sleep(Duration::from_millis(300));
	run
}

#[test]
fn a_killed_worker_fails_its_run_locally_and_a_new_worker_serves_the_next() {
	let workers = pool(1);
	let run = looping_run(&workers);
	let pid = workers.pids()[0];
	// kill -9
	nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::SIGKILL)
		.expect("kill");
	assert!(matches!(run.wait(), Err(Error::WorkerLost)));
	let code = workload("sha256");
	let out = workers.execute(hash(&code), &code, b"3\nafter", limits(1_000_000_000), [0; 32]);
	assert_eq!(out.expect("the next run is served").status, Status::Success);
	assert_ne!(workers.pids(), vec![pid], "by a new worker");
}

#[test]
fn a_cancelled_run_kills_its_worker() {
	let workers = pool(1);
	let run = looping_run(&workers);
	let started = Instant::now();
	run.cancel();
	assert!(matches!(run.wait(), Err(Error::Cancelled)));
	assert!(started.elapsed() < Duration::from_secs(2));
	let empty = command("");
	assert_eq!(
		workers.execute(hash(&empty), &empty, b"", limits(10_000_000), [0; 32]).unwrap().status,
		Status::Success
	);
}

#[test]
fn a_compilation_past_the_backstop_is_killed_and_refused_from_then_on() {
	let mut config = config(1);
	config.require_confinement = false;
	// Far below the CPU time of this module's compilation (about a second: the hostile
	// suite's compile bomb).
	config.compile_backstop = Duration::from_millis(50);
	let workers = WorkerPool::new(config).expect("workers start");
	let code = compile_bomb(bourse_executor::prepare::MAX_LOCALS, 35_000);
	let first = workers.execute(hash(&code), &code, b"", limits(1_000_000), [0; 32]);
	assert!(matches!(first, Err(Error::TimedOut)), "{first:?}");
	let started = Instant::now();
	let again = workers.execute(hash(&code), &code, b"", limits(1_000_000), [0; 32]);
	assert!(matches!(again, Err(Error::TimedOut)), "refused without compiling again");
	assert!(started.elapsed() < Duration::from_millis(100));
}

/// What a stranger's code must never reach, tried from inside a worker: each attempt refused
/// wherever the platform reports the protection on.
#[test]
fn confinement_refuses_files_the_network_and_other_programs() {
	let workers = pool(1);
	let confinement = workers.confinement();
	eprintln!("workers run with: {confinement}");
	let keystore =
		std::env::temp_dir().join(format!("bourse-keystore-probe-{}", std::process::id()));
	std::fs::create_dir_all(&keystore).unwrap();
	std::fs::write(keystore.join("secret"), b"key").unwrap();
	let report = workers.probe(&keystore.join("secret")).expect("probed");
	let listing = workers.probe(&keystore).expect("probed");
	std::fs::remove_dir_all(&keystore).unwrap();
	if !confinement.seccomp {
		eprintln!("SKIPPED: seccomp is not available here, nothing is refused");
		return;
	}
	let refused = |what: &str, result: &Result<(), String>| match result {
		Err(e) => assert!(e.contains("Permission denied"), "{what}: {e}"),
		Ok(()) => panic!("{what} was allowed"),
	};
	refused("opening a file", &report.open);
	refused("listing the keystore", &listing.read_dir);
	refused("connecting to 127.0.0.1", &report.connect);
	refused("execve", &report.execve);
	refused("signalling the node", &report.signal_parent);
	assert!(confinement.no_new_privs);
	if confinement.namespaces {
		// Its own network namespace: nothing to connect to even past seccomp.
		let own = std::fs::read_link("/proc/self/ns/net").unwrap();
		let pid = workers.pids()[0];
		let its = std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap();
		assert_ne!(own, its, "the worker has a network namespace of its own");
	} else {
		eprintln!("new namespaces are not available here");
	}
	if confinement.landlock == Landlock::Off {
		eprintln!("landlock is not available here: files are refused by seccomp alone");
	}
}
