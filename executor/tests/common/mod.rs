//! Helpers shared by the sandbox tests: the sample workloads as Wasm and small WAT modules.
#![allow(dead_code)]

use blake2::{digest::consts::U32, Blake2b, Digest};
use bourse_executor::{ExecutionLimits, Executor, ExecutorConfig, Outcome, Sandbox};
use std::path::PathBuf;

/// blake2-256, the code hash the chain uses.
pub fn hash(code: &[u8]) -> [u8; 32] {
	Blake2b::<U32>::digest(code).into()
}

/// A sample workload built by `scripts/build-workloads.sh`.
pub fn workload(name: &str) -> Vec<u8> {
	let dir = std::env::var_os("BOURSE_WORKLOADS_DIR").map(PathBuf::from).unwrap_or_else(|| {
		let target = std::env::var_os("CARGO_TARGET_DIR")
			.map(PathBuf::from)
			.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
		target.join("wasm32-wasip1/release")
	});
	let path = dir.join(format!("{name}.wasm"));
	std::fs::read(&path).unwrap_or_else(|e| {
		panic!("{}: {e}; build the workloads first: scripts/build-workloads.sh", path.display())
	})
}

/// A module from WAT text.
pub fn wat(text: &str) -> Vec<u8> {
	wat::parse_str(text).expect("valid WAT")
}

/// The sandbox of the suites: in process, or with `BOURSE_SANDBOX_WORKERS=1` two confined
/// worker processes (the node's path), so every suite runs both ways with the same outcomes.
pub fn executor() -> Box<dyn Sandbox> {
	if std::env::var_os("BOURSE_SANDBOX_WORKERS").is_some() {
		let mut config = bourse_executor::WorkerPoolConfig::new(
			env!("CARGO_BIN_EXE_bourse-sandbox-worker").into(),
			Vec::new(),
			2,
		);
		config.require_confinement = false;
		let pool = bourse_executor::WorkerPool::new(config).expect("workers start");
		return Box::new(pool);
	}
	Box::new(
		Executor::new(ExecutorConfig { workers: 2, ..Default::default() })
			.expect("executor builds"),
	)
}

pub fn limits(fuel: u64) -> ExecutionLimits {
	ExecutionLimits::with_defaults(fuel, 64)
}

pub fn run(executor: &dyn Sandbox, code: &[u8], input: &[u8], limits: ExecutionLimits) -> Outcome {
	executor.execute(hash(code), code, input, limits, [7; 32]).expect("no local failure")
}

/// A WASI command whose `_start` runs `body`; `$write (ptr, len)` writes memory to stdout.
pub fn command(body: &str) -> Vec<u8> {
	wat(&format!(
		r#"(module
			(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
			(import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
			(memory (export "memory") 1)
			(func $write (param $ptr i32) (param $len i32)
				(i32.store (i32.const 0) (local.get $ptr))
				(i32.store (i32.const 4) (local.get $len))
				(drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
			(func (export "_start") {body}))"#
	))
}

/// A workload's name, its input, and the same program as a native function.
pub type Case = (&'static str, &'static [u8], fn(&[u8]) -> Result<Vec<u8>, String>);

/// One function with the most locals allowed, a large body that keeps them all live.
pub fn compile_bomb(locals: u32, groups: u32) -> Vec<u8> {
	let mut body = String::new();
	let mut x = 12345u32;
	for _ in 0..groups {
		let mut next = || {
			x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
			(x >> 8) % locals
		};
		body.push_str(&format!(
			"(local.set {} (f64.add (local.get {}) (f64.mul (local.get {}) (local.get {}))))\n",
			next(),
			next(),
			next(),
			next()
		));
	}
	wat(&format!(
		"(module (memory (export \"memory\") 1) (func (export \"_start\") (local {}) {body}))",
		"f64 ".repeat(locals as usize)
	))
}
