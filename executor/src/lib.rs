//! # bourse-executor
//!
//! The sandbox in which Bourse providers run workloads on behalf of strangers: deterministic,
//! fuel-metered, memory-capped execution of a WebAssembly module, built on wasmtime (the line
//! `sc-executor` already uses, so a node compiles one wasmtime).
//!
//! A workload is a WASI preview-1 command (`wasm32-wasip1`): it reads its input on stdin and
//! writes its result on stdout (see [`wasi`] for exactly what it can see). [`Executor::execute`]
//! returns an [`Outcome`] — status, output, fuel used, executor version — that is identical on
//! every node for the same module, input, [`ExecutionLimits`] and seed:
//!
//! - **Fuel** metering is on; the fuel a run may use comes from the task, and the fuel it used
//!   is part of the outcome (providers are paid by it).
//! - **Floating point**: NaN canonicalization on, relaxed SIMD and threads off.
//! - **Limits that change outcomes are inputs**: memory (from the task), output size, table size
//!   and stack depth (chain constants). Stack depth is metered deterministically by
//!   instrumentation ([`prepare`]); the native stack limit is only a backstop.
//! - **Nothing real leaks in**: no clock, no entropy, no file system, no network.
//!
//! Hostile modules end with a status, never a crash or a hang: validation and structural limits
//! bound compile time, fuel bounds run time, the limiter bounds memory and tables. Compiled
//! modules are cached by code hash, so a warm task pays no compilation. Workloads run on the
//! executor's own threads, whose stack is large and known, never on the caller's.

pub mod prepare;
pub mod wasi;

pub use bourse_primitives::{CodeHash, ExecutionLimits, Outcome, Status, EXECUTOR_VERSION};

use std::{
	collections::HashMap,
	panic::AssertUnwindSafe,
	sync::{mpsc, Arc, Mutex},
	thread::JoinHandle,
};
use wasmtime::{
	Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module, OptLevel,
	PoolingAllocationConfig, Store, Trap,
};

/// Stack of each execution thread. The deterministic stack meter traps long before a frame
/// sum of this size: at most `max_stack_units` units, each a few dozen native bytes.
pub const WORKER_STACK_BYTES: usize = 128 * 1024 * 1024;
/// Native stack limit of Wasm code: a backstop below the thread's stack, never expected to
/// be reached by a module within the deterministic budget.
pub const NATIVE_STACK_BACKSTOP_BYTES: usize = 96 * 1024 * 1024;
/// Linear memory a single instance can ever have: the whole 32-bit space.
const MAX_LINEAR_MEMORY: u64 = 4 * 1024 * 1024 * 1024;

/// How an [`Executor`] is set up. None of it changes outcomes.
#[derive(Clone, Debug)]
pub struct ExecutorConfig {
	/// Execution threads (and pooled instance slots): tasks run concurrently up to this.
	pub workers: usize,
	/// Compiled modules kept in memory.
	pub cache_capacity: usize,
	/// Native stack backstop for Wasm code (tests lower it to show it never decides).
	pub native_stack_bytes: usize,
	/// Wall-clock backstop of one run. Fuel bounds the work of every run, but not every
	/// instruction costs time in proportion to its fuel (bulk memory operations); a run that
	/// outlives this ends as a local failure ([`Error::TimedOut`]), never as an outcome, since
	/// wall-clock time differs between nodes.
	pub wall_clock_limit: std::time::Duration,
}

impl Default for ExecutorConfig {
	fn default() -> Self {
		Self {
			workers: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8),
			cache_capacity: 64,
			native_stack_bytes: NATIVE_STACK_BACKSTOP_BYTES,
			wall_clock_limit: std::time::Duration::from_secs(60),
		}
	}
}

/// A local failure of the executor (not an outcome: nothing to attest). Retrying may help.
#[derive(Debug)]
pub enum Error {
	/// The engine could not be built.
	Engine(String),
	/// The execution thread was lost (a bug: a host function panicked).
	WorkerLost,
	/// Instantiation failed for a local reason (resources), not because of the module.
	Resources(String),
	/// The run outlived the wall-clock backstop.
	TimedOut,
}

impl std::fmt::Display for Error {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Error::Engine(e) => write!(f, "cannot build the Wasm engine: {e}"),
			Error::WorkerLost => write!(f, "the execution thread was lost"),
			Error::Resources(e) => write!(f, "local resources exhausted: {e}"),
			Error::TimedOut => write!(f, "the run outlived the wall-clock backstop"),
		}
	}
}
impl std::error::Error for Error {}

type Key = (CodeHash, prepare::Rules);

/// Compiled modules depend on the code and on the chain rules baked in by instrumentation.
fn cache_key(code_hash: CodeHash, limits: &ExecutionLimits) -> Key {
	let rules = prepare::Rules {
		max_stack_units: limits.max_stack_units,
		max_table_elements: limits.max_table_elements,
	};
	(code_hash, rules)
}
type Prepared = Result<Arc<InstancePre<wasi::State>>, String>;

struct Cache {
	entries: HashMap<Key, (Prepared, u64)>,
	tick: u64,
	capacity: usize,
}

impl Cache {
	fn get(&mut self, key: &Key) -> Option<Prepared> {
		self.tick += 1;
		let tick = self.tick;
		self.entries.get_mut(key).map(|(p, used)| {
			*used = tick;
			p.clone()
		})
	}

	fn insert(&mut self, key: Key, prepared: Prepared) {
		if self.entries.len() >= self.capacity.max(1) {
			// Evict the least recently used entry; the cache is small, a scan is fine.
			if let Some(oldest) =
				self.entries.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| *k)
			{
				self.entries.remove(&oldest);
			}
		}
		self.tick += 1;
		self.entries.insert(key, (prepared, self.tick));
	}
}

struct Inner {
	engine: Engine,
	linker: Linker<wasi::State>,
	cache: Mutex<Cache>,
	/// Epoch ticks a run may last (see [`EPOCH_TICK`]).
	deadline_ticks: u64,
}

/// Period of the epoch ticker behind the wall-clock backstop.
const EPOCH_TICK: std::time::Duration = std::time::Duration::from_millis(100);

type Job = Box<dyn FnOnce() + Send>;

/// The sandbox: one engine, one module cache, a few execution threads. Build it once and
/// share it; [`Executor::execute`] may be called from any number of threads.
pub struct Executor {
	inner: Arc<Inner>,
	jobs: Option<mpsc::Sender<Job>>,
	workers: Vec<JoinHandle<()>>,
	/// Dropping it stops the epoch ticker.
	ticker: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
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

impl Executor {
	/// Builds an executor: engine, WASI linker, cache and execution threads.
	pub fn new(config: ExecutorConfig) -> Result<Self, Error> {
		let engine =
			Engine::new(&engine_config(&config)).map_err(|e| Error::Engine(e.to_string()))?;
		let mut linker = Linker::new(&engine);
		wasi::define(&mut linker).map_err(|e| Error::Engine(e.to_string()))?;
		let inner = Arc::new(Inner {
			engine,
			linker,
			cache: Mutex::new(Cache {
				entries: HashMap::new(),
				tick: 0,
				capacity: config.cache_capacity,
			}),
			deadline_ticks: (config.wall_clock_limit.as_millis() / EPOCH_TICK.as_millis()).max(1)
				as u64,
		});
		let ticker = {
			let (stop, stopped) = mpsc::channel::<()>();
			let engine = inner.engine.clone();
			let handle = std::thread::Builder::new()
				.name("bourse-exec-clock".into())
				.spawn(move || {
					while let Err(mpsc::RecvTimeoutError::Timeout) =
						stopped.recv_timeout(EPOCH_TICK)
					{
						engine.increment_epoch();
					}
				})
				.map_err(|e| Error::Engine(format!("cannot spawn the epoch ticker: {e}")))?;
			Some((stop, handle))
		};
		let (jobs, queue) = mpsc::channel::<Job>();
		let queue = Arc::new(Mutex::new(queue));
		let workers = (0..config.workers.max(1))
			.map(|i| {
				let queue = queue.clone();
				std::thread::Builder::new()
					.name(format!("bourse-exec-{i}"))
					.stack_size(WORKER_STACK_BYTES)
					.spawn(move || loop {
						let job = match queue.lock() {
							Ok(q) => q.recv(),
							Err(_) => return,
						};
						match job {
							// A panic is a bug of ours; keep the thread serving.
							Ok(job) => drop(std::panic::catch_unwind(AssertUnwindSafe(job))),
							Err(_) => return,
						}
					})
					.map_err(|e| Error::Engine(format!("cannot spawn an execution thread: {e}")))
			})
			.collect::<Result<Vec<_>, _>>()?;
		Ok(Self { inner, jobs: Some(jobs), workers, ticker })
	}

	/// Runs `code` (whose blake2-256 hash is `code_hash`; the cache trusts it) on `input`
	/// within `limits`, with `seed` behind `random_get`. Blocks until the run ends.
	pub fn execute(
		&self,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
	) -> Result<Outcome, Error> {
		let key = cache_key(code_hash, &limits);
		// On a cache hit the code is not even copied.
		let cached = self.inner.cache.lock().map_err(|_| Error::WorkerLost)?.get(&key);
		let code = if cached.is_some() { Vec::new() } else { code.to_vec() };
		let input = input.to_vec();
		let inner = self.inner.clone();
		let (done, result) = mpsc::sync_channel(1);
		let job: Job = Box::new(move || {
			let prepared = cached.unwrap_or_else(|| inner.prepare(key, &code));
			let _ = done.send(inner.run(prepared, input, limits, seed));
		});
		self.jobs.as_ref().ok_or(Error::WorkerLost)?.send(job).map_err(|_| Error::WorkerLost)?;
		result.recv().map_err(|_| Error::WorkerLost)?
	}

	/// Compiles `code` into the cache without running it (e.g. when a workload is uploaded).
	pub fn precompile(
		&self,
		code_hash: CodeHash,
		code: &[u8],
		limits: ExecutionLimits,
	) -> Result<(), String> {
		let key = cache_key(code_hash, &limits);
		self.inner.prepare(key, code).map(|_| ())
	}
}

impl Drop for Executor {
	fn drop(&mut self) {
		if let Some((stop, ticker)) = self.ticker.take() {
			drop(stop);
			let _ = ticker.join();
		}
		self.jobs.take();
		for worker in self.workers.drain(..) {
			let _ = worker.join();
		}
	}
}

impl Inner {
	/// Checks, instruments, compiles and links `code`; caches the result, refusals included,
	/// so a hostile module costs its compilation once.
	fn prepare(&self, key: Key, code: &[u8]) -> Prepared {
		let prepared = prepare::prepare(code, key.1)
			.and_then(|module| {
				Module::new(&self.engine, &module).map_err(|e| format!("cannot compile: {e:#}"))
			})
			.and_then(|module| {
				self.linker
					.instantiate_pre(&module)
					.map(Arc::new)
					.map_err(|e| format!("cannot link: {e:#}"))
			});
		// A compilation that failed for a local reason (memory) is not the module's fault:
		// do not remember it as a refusal.
		let local_failure = matches!(&prepared, Err(e) if is_resource_text(e));
		if !local_failure {
			if let Ok(mut cache) = self.cache.lock() {
				cache.insert(key, prepared.clone());
			}
		}
		prepared
	}

	fn run(
		&self,
		prepared: Prepared,
		input: Vec<u8>,
		limits: ExecutionLimits,
		seed: [u8; 32],
	) -> Result<Outcome, Error> {
		let outcome = |status, output, fuel_used| Outcome {
			status,
			output,
			fuel_used,
			executor_version: EXECUTOR_VERSION,
		};
		let Ok(pre) = prepared else {
			return Ok(outcome(Status::InvalidModule, Vec::new(), 0));
		};
		let limiter = wasi::Limiter {
			max_memory: usize::try_from(limits.max_memory_bytes()).unwrap_or(usize::MAX),
			max_table_elements: limits.max_table_elements as usize,
			memory_exceeded: false,
		};
		let state = wasi::State::new(input, limits.max_output_bytes as usize, seed, limiter);
		let mut store = Store::new(&self.engine, state);
		store.limiter(|s| &mut s.limiter);
		store.set_fuel(limits.fuel).map_err(|e| Error::Engine(e.to_string()))?;
		store.set_epoch_deadline(self.deadline_ticks);
		store.epoch_deadline_trap();

		let result = match pre.instantiate(&mut store) {
			Ok(instance) => match instance.get_typed_func::<(), ()>(&mut store, "_start") {
				Ok(start) => start.call(&mut store, ()),
				Err(e) => Err(e),
			},
			Err(e) if is_resource_error(&e) => return Err(Error::Resources(format!("{e:#}"))),
			Err(e) => Err(e),
		};
		if let Err(e) = &result {
			if matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
				return Err(Error::TimedOut);
			}
		}
		let fuel_used = limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
		let memory_exceeded = store.data().limiter.memory_exceeded;
		let output = std::mem::take(&mut store.data_mut().output);
		let status = match result {
			Ok(()) => Status::Success,
			Err(e) => match e.downcast_ref::<wasi::Stop>() {
				Some(wasi::Stop::Exit(0)) => Status::Success,
				Some(wasi::Stop::Exit(code)) => Status::Exit(*code),
				Some(wasi::Stop::OutputTooLarge) => Status::OutputTooLarge,
				Some(wasi::Stop::OutOfFuel) => Status::OutOfFuel,
				None => match e.downcast_ref::<Trap>() {
					Some(Trap::OutOfFuel) => Status::OutOfFuel,
					_ if memory_exceeded => Status::MemoryExceeded,
					Some(_) => Status::Trap,
					// Not a trap: instantiation refused the module (e.g. its initial memory
					// is over the limit).
					None if memory_exceeded => Status::MemoryExceeded,
					None => Status::InvalidModule,
				},
			},
		};
		Ok(outcome(status, output, fuel_used))
	}
}

/// Whether an instantiation error comes from this node's resources rather than the module.
fn is_resource_error(e: &anyhow::Error) -> bool {
	is_resource_text(&format!("{e:#}"))
}

fn is_resource_text(text: &str) -> bool {
	["concurrent", "pooling", "mmap", "out of memory", "Cannot allocate memory"]
		.iter()
		.any(|needle| text.contains(needle))
}
