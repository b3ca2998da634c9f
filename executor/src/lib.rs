//! # bourse-executor
//!
//! The sandbox in which Bourse providers run workloads on behalf of strangers: deterministic,
//! fuel-metered, memory-capped execution of a WebAssembly module, built on wasmtime (the line
//! `sc-executor` already uses, so a node compiles one wasmtime).
//!
//! A workload is a WASI preview-1 command (`wasm32-wasip1`): it reads its input on stdin and
//! writes its result on stdout (see [`wasi`] for exactly what it can see). [`Executor::execute`]
//! returns an [`Outcome`] — status, output, fuel used, executor version, and the fingerprint of
//! the memory the run left — that is identical on every node for the same module, input,
//! [`ExecutionLimits`] and seed:
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
//!
//! Build one executor and share it; each call runs one workload to its outcome ([`Executor::start`]
//! starts one without waiting and returns a [`Run`] to read or cancel later):
//!
//! ```
//! use blake2::{digest::consts::U32, Blake2b, Digest};
//! use bourse_executor::{ExecutionLimits, Executor, ExecutorConfig, Status};
//!
//! // `(module (memory (export "memory") 1) (func (export "_start")))`, the smallest workload.
//! let code: &[u8] = &[
//!     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
//!     0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // types: () -> ()
//!     0x03, 0x02, 0x01, 0x00, // functions: one, of type 0
//!     0x05, 0x03, 0x01, 0x00, 0x01, // memories: one, of one page
//!     0x07, 0x13, 0x02, // exports: two
//!     0x06, b'm', b'e', b'm', b'o', b'r', b'y', 0x02, 0x00, // memory 0 as `memory`
//!     0x06, b'_', b's', b't', b'a', b'r', b't', 0x00, 0x00, // function 0 as `_start`
//!     0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code: an empty body
//! ];
//! // The chain names a workload by its blake2-256 hash; the cache trusts it.
//! let code_hash: [u8; 32] = Blake2b::<U32>::digest(code).into();
//!
//! // Once: engine, module cache, execution threads.
//! let executor = Executor::new(ExecutorConfig { workers: 1, ..Default::default() })?;
//! let limits = ExecutionLimits::with_defaults(1_000_000, 16);
//! let outcome = executor.execute(code_hash, code, b"input", limits, [0; 32])?;
//! assert_eq!(outcome.status, Status::Success);
//! assert!(outcome.output.is_empty() && outcome.fuel_used > 0);
//! # Ok::<(), bourse_executor::Error>(())
//! ```
//!
//! The crate depends on `bourse-primitives` for the types it shares with the chain
//! ([`Outcome`], [`ExecutionLimits`], ...), and through it on a few polkadot-sdk primitives
//! crates (`sp-*`), but on no node or runtime crate.

// One job each: the engine's configuration, the compiled-module cache, the threads, one run;
// what a module must be and what it sees are public.
mod cache;
#[cfg(target_os = "linux")]
mod confine;
mod engine;
pub mod fuel;
mod pool;
pub mod prepare;
#[cfg(target_os = "linux")]
pub mod protocol;
mod run;
pub mod wasi;
#[cfg(target_os = "linux")]
pub mod worker;
#[cfg(target_os = "linux")]
pub mod workers;

pub use bourse_primitives::{CodeHash, ExecutionLimits, Outcome, Status, EXECUTOR_VERSION};
pub use engine::{engine_config, ExecutorConfig, NATIVE_STACK_BACKSTOP_BYTES, WORKER_STACK_BYTES};
#[cfg(target_os = "linux")]
pub use workers::{WorkerPool, WorkerPoolConfig};

use cache::cache_key;
use engine::MAX_LINEAR_MEMORY;
use pool::Pool;
use run::Shared;
use std::{
	sync::{
		atomic::{AtomicBool, Ordering},
		mpsc, Arc,
	},
	time::Instant,
};

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
	/// The run was cancelled ([`Run::cancel`]).
	Cancelled,
	/// The task asks for more memory than this executor gives one run.
	MemoryAboveNode,
}

impl std::fmt::Display for Error {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Error::Engine(e) => write!(f, "cannot build the Wasm engine: {e}"),
			Error::WorkerLost => write!(f, "the execution thread was lost"),
			Error::Resources(e) => write!(f, "local resources exhausted: {e}"),
			Error::TimedOut => write!(f, "the run outlived the wall-clock backstop"),
			Error::Cancelled => write!(f, "the run was cancelled"),
			Error::MemoryAboveNode => {
				write!(f, "the task asks for more memory than this executor gives one run")
			}
		}
	}
}
impl std::error::Error for Error {}

/// The sandbox: one engine, one module cache, a few execution threads. Build it once and
/// share it; [`Executor::execute`] may be called from any number of threads.
pub struct Executor {
	/// Declared first so that it drops first: the threads are joined before the engine and
	/// the cache go.
	pool: Pool,
	shared: Arc<Shared>,
}

impl Executor {
	/// Builds an executor: engine, WASI linker, cache and execution threads.
	pub fn new(config: ExecutorConfig) -> Result<Self, Error> {
		let shared = Arc::new(Shared::new(&config)?);
		let pool = Pool::new(&shared.engine, config.workers)?;
		Ok(Self { pool, shared })
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
		self.start(code_hash, code, input, limits, seed)?.wait()
	}

	/// Starts what [`Executor::execute`] runs and returns at once: the run is queued for the
	/// next free execution thread; [`Run`] reads its result and can stop it.
	pub fn start(
		&self,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
	) -> Result<Run, Error> {
		if limits.max_memory_bytes() > MAX_LINEAR_MEMORY {
			return Err(Error::MemoryAboveNode);
		}
		let key = cache_key(code_hash, &limits);
		// On a cache hit the code is not even copied.
		let cached = self.shared.cached(&key)?;
		let code = if cached.is_some() { Vec::new() } else { code.to_vec() };
		let input = input.to_vec();
		let shared = self.shared.clone();
		let cancelled = Arc::new(AtomicBool::new(false));
		let flag = cancelled.clone();
		let (done, result) = mpsc::sync_channel(1);
		self.pool.submit(Box::new(move || {
			let outcome = if flag.load(Ordering::Relaxed) {
				Err(Error::Cancelled) // cancelled while queued: never started
			} else {
				let prepared = match cached {
					Some(prepared) => Ok(prepared),
					None => shared.prepare(key, &code),
				};
				prepared.and_then(|p| shared.run(p, input, limits, seed, flag))
			};
			let _ = done.send((outcome, Instant::now()));
		}))?;
		Ok(Run { result, cancelled, ended: None })
	}

	/// How many runs this executor runs at once (its execution threads).
	pub fn capacity(&self) -> usize {
		self.pool.threads()
	}

	/// Compiles `code` into the cache without running it (e.g. when a workload is uploaded);
	/// nothing to do if it is cached. `Err` says why it cannot run (its refusal, or a local
	/// failure).
	pub fn precompile(
		&self,
		code_hash: CodeHash,
		code: &[u8],
		limits: ExecutionLimits,
	) -> Result<(), String> {
		let key = cache_key(code_hash, &limits);
		let prepared = match self.shared.cached(&key).map_err(|e| e.to_string())? {
			Some(prepared) => prepared,
			None => self.shared.prepare(key, code).map_err(|e| e.to_string())?,
		};
		prepared.map(|_| ())
	}
}

/// What runs workloads: the in-process [`Executor`], or a [`WorkerPool`] of confined worker
/// processes (what a node uses). Both give identical outcomes.
pub trait Sandbox: Send + Sync {
	/// Starts a run and returns at once ([`Executor::start`]).
	fn start(
		&self,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
	) -> Result<Run, Error>;

	/// Runs a workload and waits for its outcome ([`Executor::execute`]).
	fn execute(
		&self,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
	) -> Result<Outcome, Error> {
		self.start(code_hash, code, input, limits, seed)?.wait()
	}

	/// Runs at once.
	fn capacity(&self) -> usize;
}

impl Sandbox for Executor {
	fn start(
		&self,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
	) -> Result<Run, Error> {
		Executor::start(self, code_hash, code, input, limits, seed)
	}

	fn capacity(&self) -> usize {
		Executor::capacity(self)
	}
}

impl<S: Sandbox + ?Sized> Sandbox for Box<S> {
	fn start(
		&self,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
	) -> Result<Run, Error> {
		(**self).start(code_hash, code, input, limits, seed)
	}

	fn capacity(&self) -> usize {
		(**self).capacity()
	}
}

/// A run started by [`Executor::start`]. Dropping it does not stop the run; cancel it first.
pub struct Run {
	result: mpsc::Receiver<(Result<Outcome, Error>, Instant)>,
	cancelled: Arc<AtomicBool>,
	/// The result and when the run ended, once received.
	ended: Option<(Result<Outcome, Error>, Instant)>,
}

impl Run {
	/// The run's result if it has ended, without waiting; `None` while it is queued or running.
	/// Once it has ended, every call returns the same result.
	pub fn result(&mut self) -> Option<&Result<Outcome, Error>> {
		if self.ended.is_none() {
			self.ended = match self.result.try_recv() {
				Ok(ended) => Some(ended),
				Err(mpsc::TryRecvError::Empty) => return None,
				Err(mpsc::TryRecvError::Disconnected) => {
					Some((Err(Error::WorkerLost), Instant::now()))
				}
			};
		}
		self.ended.as_ref().map(|(result, _)| result)
	}

	/// When the run ended, once [`Run::result`] has seen it end.
	pub fn ended_at(&self) -> Option<Instant> {
		self.ended.as_ref().map(|(_, at)| *at)
	}

	/// Waits for the run to end.
	pub fn wait(mut self) -> Result<Outcome, Error> {
		match self.ended.take() {
			Some((result, _)) => result,
			None => self.result.recv().map_err(|_| Error::WorkerLost)?.0,
		}
	}

	/// Asks the run to stop: a queued run never starts, a running one ends `Cancelled` at its
	/// next interruption check (at most `engine::EPOCH_TICK` later).
	pub fn cancel(&self) {
		self.cancelled.store(true, Ordering::Relaxed);
	}
}
