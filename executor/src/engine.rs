//! The wasmtime engine of the sandbox: how an [`Executor`](crate::Executor) is set up
//! ([`ExecutorConfig`]), the exact engine configuration ([`engine_config`]) and the stack,
//! memory and clock constants around it.

use std::time::Duration;
use wasmtime::{Config, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig};

/// Stack of each execution thread. The deterministic stack meter traps long before a frame
/// sum of this size: at most `max_stack_units` units, each a few dozen native bytes.
pub const WORKER_STACK_BYTES: usize = 128 * 1024 * 1024;
/// Native stack limit of Wasm code: a backstop below the thread's stack, never expected to
/// be reached by a module within the deterministic budget.
pub const NATIVE_STACK_BACKSTOP_BYTES: usize = 96 * 1024 * 1024;
/// Linear memory a single instance can ever have: the whole 32-bit space.
pub(crate) const MAX_LINEAR_MEMORY: u64 = 4 * 1024 * 1024 * 1024;

/// Period of the epoch ticker: how often a run checks whether it is cancelled or past the
/// wall-clock backstop.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(100);

/// How an [`Executor`](crate::Executor) is set up. None of it changes outcomes.
#[derive(Clone, Debug)]
pub struct ExecutorConfig {
	/// Execution threads (and pooled instance slots): tasks run concurrently up to this.
	pub workers: usize,
	/// Compiled modules kept in memory.
	pub cache_capacity: usize,
	/// Native stack backstop for Wasm code (tests lower it to show it never decides).
	pub native_stack_bytes: usize,
	/// Wall-clock backstop of one run, from its start. Fuel bounds the work of every run, but
	/// memory-bound code is slower per fuel than the schedule assumes; a run that
	/// outlives this ends as a local failure ([`Error::TimedOut`](crate::Error::TimedOut)),
	/// never as an outcome, since wall-clock time differs between nodes.
	pub wall_clock_limit: Duration,
}

impl Default for ExecutorConfig {
	fn default() -> Self {
		Self {
			workers: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8),
			cache_capacity: 64,
			native_stack_bytes: NATIVE_STACK_BACKSTOP_BYTES,
			wall_clock_limit: Duration::from_secs(60),
		}
	}
}

/// The exact wasmtime configuration of the sandbox (public for benchmarks and tools). Everything
/// that changes outcomes here is fixed: it is part of the executor version.
pub fn engine_config(config: &ExecutorConfig) -> Config {
	let mut c = Config::new();
	c.consume_fuel(true)
		.cranelift_nan_canonicalization(true)
		.cranelift_opt_level(OptLevel::Speed)
		.wasm_threads(false)
		.wasm_relaxed_simd(false)
		.wasm_simd(true)
		.wasm_tail_call(false)
		.wasm_gc(false)
		.wasm_function_references(false)
		.wasm_exceptions(false)
		.wasm_multi_memory(false)
		.wasm_memory64(false)
		.wasm_custom_page_sizes(false)
		.wasm_wide_arithmetic(false)
		.wasm_stack_switching(false)
		.wasm_extended_const(false)
		.wasm_reference_types(true)
		.wasm_bulk_memory(true)
		.wasm_multi_value(true)
		.max_wasm_stack(config.native_stack_bytes)
		// Checks at loop heads and calls against a wall-clock epoch; outcomes never depend on
		// it (see `ExecutorConfig::wall_clock_limit`).
		.epoch_interruption(true)
		.parallel_compilation(true);
	let mut pool = PoolingAllocationConfig::default();
	let slots = (config.workers as u32).max(1);
	pool.total_core_instances(slots)
		.total_memories(slots)
		.total_tables(slots)
		.max_memories_per_module(1)
		.max_tables_per_module(1)
		.max_memory_size(MAX_LINEAR_MEMORY as usize)
		.table_elements(1 << 20);
	c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
	c
}
