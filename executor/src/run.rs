//! One job: preparing a module (validate, instrument, compile, link, into the cache) and
//! running it, mapping how the run ended to a [`Status`].

use crate::{
	cache::{Cache, Key, Prepared},
	engine::engine_config,
	fuel, prepare, wasi, Error, ExecutionLimits, ExecutorConfig, Outcome, Status, EXECUTOR_VERSION,
};
use blake2::{digest::consts::U32, Blake2b, Digest};
use std::{
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};
use wasmtime::{Engine, InstancePre, Linker, Module, Store, Trap, UpdateDeadline};

/// Why a cancelled run stopped (raised by the epoch callback, never by the module).
#[derive(Debug)]
struct Cancelled;

impl std::fmt::Display for Cancelled {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("cancelled")
	}
}
impl std::error::Error for Cancelled {}

/// What every job needs, shared by the executor and its threads.
pub(crate) struct Shared {
	/// The engine of every module and store.
	pub(crate) engine: Engine,
	/// The WASI imports, linked once per module.
	linker: Linker<wasi::State>,
	/// Compiled modules and refusals.
	cache: Mutex<Cache>,
	/// How long a run may last (the wall-clock backstop).
	wall_clock_limit: Duration,
}

/// Why a module could not be prepared.
struct Failure {
	message: String,
	/// This node is to blame (resources), not the module: the failure is not cached.
	local: bool,
}

impl Failure {
	/// A wasmtime error, judged local or not on its types before it becomes text.
	fn wasmtime(what: &str, e: anyhow::Error) -> Self {
		Self { local: is_resource_error(&e), message: format!("{what}: {e:#}") }
	}
}

impl Shared {
	/// Builds the engine, the WASI linker and an empty cache.
	pub(crate) fn new(config: &ExecutorConfig) -> Result<Self, Error> {
		let engine =
			Engine::new(&engine_config(config)).map_err(|e| Error::Engine(e.to_string()))?;
		let mut linker = Linker::new(&engine);
		wasi::define(&mut linker).map_err(|e| Error::Engine(e.to_string()))?;
		Ok(Self {
			engine,
			linker,
			cache: Mutex::new(Cache::new(config.cache_capacity)),
			wall_clock_limit: config.wall_clock_limit,
		})
	}

	/// The cached preparation of `key`, if any.
	pub(crate) fn cached(&self, key: &Key) -> Result<Option<Prepared>, Error> {
		Ok(self.cache.lock().map_err(|_| Error::WorkerLost)?.get(key))
	}

	/// Checks, instruments, compiles and links `code`; caches the result, refusals included,
	/// so a hostile module costs its compilation once. A compilation that failed for a local
	/// reason (memory) is not the module's fault: it is neither cached nor an outcome.
	pub(crate) fn prepare(&self, key: Key, code: &[u8]) -> Result<Prepared, Error> {
		let prepared = match self.compile(key.1, code) {
			Ok(pre) => Ok(pre),
			Err(Failure { message, local: true }) => return Err(Error::Resources(message)),
			Err(Failure { message, local: false }) => Err(message),
		};
		if let Ok(mut cache) = self.cache.lock() {
			cache.insert(key, prepared.clone());
		}
		Ok(prepared)
	}

	fn compile(
		&self,
		rules: prepare::Rules,
		code: &[u8],
	) -> Result<Arc<InstancePre<wasi::State>>, Failure> {
		// A refusal by our own checks depends only on the module.
		let module =
			prepare::prepare(code, rules).map_err(|message| Failure { message, local: false })?;
		let module = Module::new(&self.engine, &module)
			.map_err(|e| Failure::wasmtime("cannot compile", e))?;
		self.linker
			.instantiate_pre(&module)
			.map(Arc::new)
			.map_err(|e| Failure::wasmtime("cannot link", e))
	}

	/// Runs a prepared module to its end, as an outcome or a local failure.
	pub(crate) fn run(
		&self,
		prepared: Prepared,
		input: Vec<u8>,
		limits: ExecutionLimits,
		seed: [u8; 32],
		cancelled: Arc<AtomicBool>,
	) -> Result<Outcome, Error> {
		let outcome = |status, output, fuel_used, fingerprint| Outcome {
			status,
			output,
			fuel_used,
			executor_version: EXECUTOR_VERSION,
			fingerprint,
		};
		let Ok(pre) = prepared else {
			return Ok(outcome(Status::InvalidModule, Vec::new(), 0, NOTHING_RAN));
		};
		let limiter = wasi::Limiter {
			max_memory: usize::try_from(limits.max_memory_bytes()).unwrap_or(usize::MAX),
			max_table_elements: limits.max_table_elements as usize,
			memory_exceeded: false,
			growing: None,
		};
		// The initial memory pays as if grown (its pages are zeroed on first touch), before
		// anything runs; above the task's memory, instantiation fails as `MemoryExceeded`.
		let initial_pages = pre
			.module()
			.get_export("memory")
			.and_then(|export| export.memory().map(|memory| memory.minimum()))
			.unwrap_or(0);
		let paid =
			if initial_pages <= limits.max_memory_bytes() / 65_536 { initial_pages } else { 0 };
		let Some(fuel) = limits.fuel.checked_sub(fuel::initial_memory(paid)) else {
			return Ok(outcome(Status::OutOfFuel, Vec::new(), limits.fuel, NOTHING_RAN));
		};
		let state = wasi::State::new(input, limits.max_output_bytes as usize, seed, limiter);
		let mut store = Store::new(&self.engine, state);
		store.limiter(|s| &mut s.limiter);
		store.set_fuel(fuel).map_err(|e| Error::Engine(e.to_string()))?;
		// Every epoch tick: stop if cancelled, or once the wall-clock backstop has passed (read
		// from the clock: a thread descheduled for several ticks sees only one callback).
		let backstop = Instant::now() + self.wall_clock_limit;
		let cancelled_flag = cancelled.clone();
		store.set_epoch_deadline(1);
		store.epoch_deadline_callback(move |_| {
			if cancelled.load(Ordering::Relaxed) {
				Err(Cancelled.into())
			} else if Instant::now() >= backstop {
				Err(Trap::Interrupt.into())
			} else {
				Ok(UpdateDeadline::Continue(1))
			}
		});

		let mut instance = None;
		let result = match pre.instantiate(&mut store) {
			Ok(instantiated) => {
				instance = Some(instantiated);
				match instantiated.get_typed_func::<(), ()>(&mut store, "_start") {
					Ok(start) => start.call(&mut store, ()),
					Err(e) => Err(e),
				}
			}
			Err(e) if is_resource_error(&e) => return Err(Error::Resources(format!("{e:#}"))),
			Err(e) => Err(e),
		};
		if let Err(e) = &result {
			if e.is::<Cancelled>() {
				return Err(Error::Cancelled);
			}
			// A growth this node could not give (see `Limiter::memory_grow_failed`).
			if e.is::<wasi::GrowthRefused>() {
				return Err(Error::Resources(format!("{e:#}")));
			}
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
		let memory = instance.and_then(|instance| instance.get_memory(&mut store, "memory"));
		let fingerprint = match memory {
			Some(memory) if status != Status::InvalidModule => {
				let stop = || {
					if cancelled_flag.load(Ordering::Relaxed) {
						Some(Error::Cancelled)
					} else if Instant::now() >= backstop {
						Some(Error::TimedOut)
					} else {
						None
					}
				};
				fingerprint(memory.data(&store), stop)?
			}
			_ => NOTHING_RAN,
		};
		Ok(outcome(status, output, fuel_used, fingerprint))
	}
}

/// The fingerprint of a run that instantiated nothing.
const NOTHING_RAN: [u8; 32] = [0; 32];

/// Bytes per page of Wasm memory.
const PAGE: usize = 65_536;

/// The fingerprint of a run that left `memory`: blake2-256 of its length (u64, little endian)
/// and, in order, each page that is not all zeros, preceded by its index (u32, little endian).
/// Zero pages are skipped, so a large memory mostly never written costs a scan, not a hash.
/// `stop` is asked between pages (cancelled, or past the wall-clock backstop: a local failure).
fn fingerprint(memory: &[u8], stop: impl Fn() -> Option<Error>) -> Result<[u8; 32], Error> {
	let mut hasher = Blake2b::<U32>::new();
	hasher.update((memory.len() as u64).to_le_bytes());
	for (index, page) in memory.chunks(PAGE).enumerate() {
		if index % 64 == 0 {
			if let Some(error) = stop() {
				return Err(error);
			}
		}
		if page.iter().any(|byte| *byte != 0) {
			hasher.update((index as u32).to_le_bytes());
			hasher.update(page);
		}
	}
	Ok(hasher.finalize().into())
}

/// Whether a wasmtime error comes from this node's resources rather than the module: decided
/// by the types in its chain (context messages included), never by its text.
fn is_resource_error(e: &anyhow::Error) -> bool {
	e.chain().any(|cause| {
		// Every pooled slot (instance, memory, table) is in use: the pool is sized by
		// `ExecutorConfig::workers`, not by the module.
		cause.is::<wasmtime::PoolConcurrencyLimitError>()
			// A system call on this node's memory failed: `mprotect`/`mmap` of a pooled
			// slot (wasmtime's `sys::vm` helpers return `io::Result`) or the module's memfd
			// image.
			|| cause.is::<std::io::Error>()
			// The same calls made through rustix directly (reserving and mapping memory,
			// mapping a memory image, making code executable) keep rustix's error type.
			|| is_errno(cause)
	})
}

#[cfg(unix)]
fn is_errno(cause: &(dyn std::error::Error + 'static)) -> bool {
	cause.is::<rustix::io::Errno>()
}

#[cfg(not(unix))]
fn is_errno(_: &(dyn std::error::Error + 'static)) -> bool {
	false
}
