//! The node's side of the `sandbox` host functions: confined worker processes that run the
//! workloads (a `bourse-executor` [`WorkerPool`] of children started as `bourse-node
//! sandbox-worker`; each keeps its compiled modules cached) and an in-memory registry of the
//! runs in flight, handed to offchain workers as the [`SandboxExt`] extension, with Prometheus
//! metrics an operator wants to watch.
//!
//! Strangers' code is never compiled or run in the node's process, which holds its keys: a
//! worker confines itself at start (a seccomp deny-list of files, sockets, `execve`, tracing,
//! io_uring, bpf, keyrings...; `no_new_privs`; landlock where the kernel has it), and the node
//! refuses to start workers that could not, unless `--unconfined-sandbox` says so (with a loud
//! warning). A worker that crashes, is killed or passes a backstop fails that run locally and
//! is replaced.
//!
//! The registry is what makes runs non-blocking and never doubled: offchain workers submit a run
//! under an id and poll it on later passes; a second submission of a known id starts nothing. A
//! run that failed locally is forgotten when its failure is read, so the next submission retries
//! it. A run nobody has polled for [`IDLE_RUNNING`] (its task settled or was cancelled) is
//! cancelled, freeing its thread; an ended run is kept for [`IDLE_ENDED`] unread, so an outcome
//! survives a stall of the chain.

use bourse_executor::{Error, Run, Sandbox, WorkerPool, WorkerPoolConfig};
use bourse_primitives::{
	confidential::Closer,
	sandbox::{ConfidentialRun, RunId, RunState, Submitted, WorkloadRunner},
	AbstainReason, CodeHash, ExecutionLimits,
};
use polkadot_sdk::substrate_prometheus_endpoint::{
	register, Counter, CounterVec, Gauge, Opts, PrometheusError, Registry, F64, U64,
};
use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicBool, AtomicU32, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};

pub use bourse_primitives::sandbox::SandboxExt;

/// A running run nobody polls for this long is cancelled and forgotten (offchain workers poll it
/// every block while its task is open: four blocks).
pub const IDLE_RUNNING: Duration = Duration::from_secs(12);
/// An ended run nobody polls for this long is forgotten.
pub const IDLE_ENDED: Duration = Duration::from_secs(600);
/// Most runs the registry holds (running or ended, not yet forgotten).
pub const MAX_RUNS: usize = 1024;

/// Metrics of the workloads this node ran.
#[derive(Clone)]
struct Metrics {
	/// Runs by final status.
	runs: CounterVec<U64>,
	/// Seconds from submission to end of the runs that ended with an outcome.
	seconds: Counter<F64>,
	/// Runs that failed locally (no outcome).
	failures: Counter<U64>,
	/// Runs the node gave up on, by reason.
	abstentions: CounterVec<U64>,
	/// Runs queued or running now.
	in_flight: Gauge<U64>,
	/// Runs the node runs at once.
	capacity: Gauge<U64>,
	/// The most slots a provider served by this node offers.
	offered_slots: Gauge<U64>,
}

impl Metrics {
	fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		let counter_vec = |name: &str, help: &str, label: &str| {
			register(CounterVec::new(Opts::new(name, help), &[label])?, registry)
		};
		let gauge = |name: &str, help: &str| register(Gauge::new(name, help)?, registry);
		Ok(Self {
			runs: counter_vec(
				"bourse_tasks_executed_total",
				"Workloads run, by outcome status",
				"status",
			)?,
			seconds: register(
				Counter::new(
					"bourse_execution_seconds_total",
					"Seconds from submission to outcome of the workloads run",
				)?,
				registry,
			)?,
			failures: register(
				Counter::new(
					"bourse_execution_failures_total",
					"Runs that failed locally, without an outcome",
				)?,
				registry,
			)?,
			abstentions: counter_vec(
				"bourse_execution_abstentions_total",
				"Runs this node could not complete within its means, by reason",
				"reason",
			)?,
			in_flight: gauge("bourse_sandbox_runs_in_flight", "Workload runs queued or running")?,
			capacity: gauge("bourse_sandbox_capacity", "Workload runs this node runs at once")?,
			offered_slots: gauge(
				"bourse_offered_slots",
				"The most slots a provider served by this node offers",
			)?,
		})
	}
}

/// One run the registry knows.
struct Entry {
	/// The executor's handle while the run is queued or running.
	run: Option<Run>,
	/// Where it stands; `Running` until the handle gives a result.
	state: RunState,
	/// Code hash, for the logs.
	code_hash: CodeHash,
	/// The most memory the run may take (its task's limit), held against the node's budget
	/// while it runs.
	memory: u64,
	submitted: Instant,
	/// When the run ended (set when its result is read).
	ended: Option<Instant>,
	last_polled: Instant,
	/// A confidential run's task secret, which encrypts its outcome when it ends (then goes).
	closer: Option<Closer>,
}

impl Entry {
	/// A run that ended before it started, in `state`.
	fn ended(state: RunState, code_hash: CodeHash, memory: u64) -> Self {
		let now = Instant::now();
		Self {
			run: None,
			state,
			code_hash,
			memory,
			submitted: now,
			ended: Some(now),
			last_polled: now,
			closer: None,
		}
	}

	/// Reads the run's result if it has ended; returns whether it just ended.
	fn refresh(&mut self) -> bool {
		let Some(run) = self.run.as_mut() else { return false };
		let Some(result) = run.result() else { return false };
		let state = match (result, self.closer.take()) {
			(Ok(outcome), None) => RunState::Finished(outcome.clone()),
			(Ok(outcome), Some(closer)) => match closer.close(outcome.clone()) {
				Ok(closed) => RunState::Finished(closed),
				Err(e) => {
					log::warn!(target: "bourse", "a confidential outcome was not encrypted: {e:?}");
					RunState::Failed
				}
			},
			(Err(Error::TimedOut), _) => RunState::Abstain(AbstainReason::Time),
			(Err(Error::MemoryAboveNode), _) => RunState::Abstain(AbstainReason::Memory),
			(Err(Error::Cancelled), _) => RunState::Unknown,
			(Err(e), _) => {
				log::warn!(
					target: "bourse",
					"run of workload {} failed locally: {e}",
					hex(&self.code_hash[..4]),
				);
				RunState::Failed
			}
		};
		self.state = state;
		self.ended = run.ended_at();
		self.run = None;
		true
	}
}

/// The hidden subcommand of `bourse-node` that runs a sandbox worker process.
pub const WORKER_COMMAND: &str = "sandbox-worker";

/// How the node runs workloads.
#[derive(Clone, Copy, Debug)]
pub struct SandboxConfig {
	/// Workloads run at once: one worker process each.
	pub runs: usize,
	/// Start workers even where they cannot be confined (`--unconfined-sandbox`).
	pub allow_unconfined: bool,
}

/// The sandbox of this node.
pub struct NodeSandbox {
	workers: WorkerPool,
	runs: Mutex<HashMap<RunId, Entry>>,
	metrics: Option<Metrics>,
	/// The offered slots last warned about, so the warning is said once per change.
	warned_slots: AtomicU32,
	/// Memory the runs in flight may take at most, together ([`memory_budget`]).
	memory_budget: u64,
	/// Whether the node said it is at its memory budget (said once until it has room again).
	warned_memory: AtomicBool,
	/// The node's encryption keys (their secrets stay in this process).
	encryption_keys: crate::encryption_keys::EncryptionKeys,
}

/// The memory the runs that run at once may take together: three quarters of the machine's,
/// or of the node's cgroup limit if lower (the node and the rest keep a quarter); no bound
/// where neither can be read.
fn memory_budget() -> u64 {
	let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
	let machine = meminfo
		.lines()
		.find_map(|line| line.strip_prefix("MemTotal:"))
		.and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
		.map(|kib| kib.saturating_mul(1024));
	// cgroup v2 (`max` or a number of bytes); a container's limit.
	let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
		.ok()
		.and_then(|limit| limit.trim().parse::<u64>().ok());
	match (machine, cgroup) {
		(None, None) => u64::MAX,
		(a, b) => a.unwrap_or(u64::MAX).min(b.unwrap_or(u64::MAX)) / 4 * 3,
	}
}

impl NodeSandbox {
	/// Starts `config.runs` confined worker processes of this very binary, opens the
	/// encryption keys in `keys_dir` (making the first) and registers the metrics (when
	/// Prometheus is on).
	pub fn new(
		config: SandboxConfig,
		keys_dir: std::path::PathBuf,
		registry: Option<&Registry>,
	) -> Result<Arc<Self>, String> {
		let encryption_keys = crate::encryption_keys::EncryptionKeys::open(keys_dir)?;
		// The running binary itself, even once an upgrade replaced the file on disk: workers
		// always speak this node's protocol and run its executor version.
		let program = "/proc/self/exe".into();
		let mut pool = WorkerPoolConfig::new(program, vec![WORKER_COMMAND.into()], config.runs);
		pool.require_confinement = !config.allow_unconfined;
		let workers = WorkerPool::new(pool).map_err(|e| match e {
			Error::Engine(e) if !config.allow_unconfined => format!(
				"{e}; `--unconfined-sandbox` runs strangers' code without these protections \
				 (development machines only)"
			),
			e => e.to_string(),
		})?;
		let confinement = workers.confinement();
		let memory_budget = memory_budget();
		if !confinement.is_confined() {
			log::warn!(
				target: "bourse",
				"⚠️⚠️⚠️  WORKLOADS RUN UNCONFINED ({confinement}): strangers' code runs in worker \
				 processes without a system-call deny-list. Never do this on a validator whose \
				 keys matter.",
			);
		}
		let metrics = match registry.map(Metrics::register) {
			Some(Ok(metrics)) => Some(metrics),
			Some(Err(e)) => {
				log::warn!(target: "bourse", "sandbox metrics not registered: {e}");
				None
			}
			None => None,
		};
		if let Some(m) = &metrics {
			m.capacity.set(workers.capacity() as u64);
		}
		log::info!(
			target: "bourse",
			"🧮 workload sandbox ready: {} worker processes (pids {:?}) on {} CPUs, {} MiB for \
			 runs; {confinement}",
			workers.capacity(),
			workers.pids(),
			std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
			memory_budget >> 20,
		);
		Ok(Arc::new(Self {
			workers,
			runs: Mutex::new(HashMap::new()),
			metrics,
			warned_slots: AtomicU32::new(0),
			memory_budget,
			warned_memory: AtomicBool::new(false),
			encryption_keys,
		}))
	}

	/// The extension offchain workers get.
	pub fn extension(self: &Arc<Self>) -> SandboxExt {
		SandboxExt::new(self.clone())
	}

	/// Cancels and forgets the running runs nobody polled for [`IDLE_RUNNING`], forgets the
	/// ended ones nobody polled for [`IDLE_ENDED`]; counts the runs in flight.
	fn sweep(&self, runs: &mut HashMap<RunId, Entry>) {
		let now = Instant::now();
		runs.retain(|_, entry| {
			if entry.refresh() {
				self.report(entry); // ended since the last poll: kept as ended
			}
			let idle = now.duration_since(entry.last_polled);
			match &entry.run {
				Some(run) if idle >= IDLE_RUNNING => {
					run.cancel();
					false
				}
				Some(_) => true,
				None => idle < IDLE_ENDED,
			}
		});
		if let Some(m) = &self.metrics {
			m.in_flight.set(runs.values().filter(|e| e.run.is_some()).count() as u64);
		}
	}

	/// Logs and counts a run that just ended.
	fn report(&self, entry: &Entry) {
		// From submission (queueing included) to the end of the run.
		let elapsed = entry.ended.unwrap_or_else(Instant::now).duration_since(entry.submitted);
		match &entry.state {
			RunState::Finished(outcome) => {
				log::info!(
					target: "bourse",
					"🧮 ran workload {} in {:.1} ms: {:?}, {} fuel, {} output bytes",
					hex(&entry.code_hash[..4]),
					elapsed.as_secs_f64() * 1e3,
					outcome.status,
					outcome.fuel_used,
					outcome.output.len(),
				);
				if let Some(m) = &self.metrics {
					m.runs.with_label_values(&[outcome.status.label()]).inc();
					m.seconds.inc_by(elapsed.as_secs_f64());
				}
			}
			RunState::Abstain(reason) => {
				log::warn!(
					target: "bourse",
					"🧮 gave up workload {} after {:.1} s: {}",
					hex(&entry.code_hash[..4]),
					elapsed.as_secs_f64(),
					reason.label(),
				);
				if let Some(m) = &self.metrics {
					m.abstentions.with_label_values(&[reason.label()]).inc();
				}
			}
			RunState::Failed => {
				if let Some(m) = &self.metrics {
					m.failures.inc();
				}
			}
			RunState::Unknown | RunState::Running => {}
		}
	}
}

impl NodeSandbox {
	/// Starts `run` (see [`WorkloadRunner::submit`]); a confidential run's `closer` encrypts its
	/// outcome when it ends.
	#[allow(clippy::too_many_arguments)]
	fn start(
		&self,
		run: RunId,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
		closer: Option<Closer>,
	) -> Submitted {
		let Ok(mut runs) = self.runs.lock() else { return Submitted::Busy };
		self.sweep(&mut runs);
		if runs.contains_key(&run) {
			return Submitted::Known;
		}
		if runs.len() >= MAX_RUNS {
			return Submitted::Busy;
		}
		// Admission: a run that could take more memory than the node has left is given up on
		// (an abstention), never started to be killed by the kernel with others.
		// At worst the largest runs in flight run at once, one per worker.
		let memory = limits.max_memory_bytes();
		let mut in_flight: Vec<u64> =
			runs.values().filter(|e| e.run.is_some()).map(|e| e.memory).collect();
		in_flight.sort_unstable_by(|a, b| b.cmp(a));
		let others = self.workers.capacity().saturating_sub(1);
		let reserved: u64 = in_flight.iter().take(others).sum();
		if reserved.saturating_add(memory) > self.memory_budget {
			if !self.warned_memory.swap(true, Ordering::Relaxed) {
				log::warn!(
					target: "bourse",
					"⚠️  runs in flight may take {} MiB and this task up to {} MiB, above this \
					 node's memory budget of {} MiB (3/4 of the machine's or its cgroup's): \
					 abstaining from it. Lower the offer's slots or its largest memory.",
					reserved >> 20,
					memory >> 20,
					self.memory_budget >> 20,
				);
			}
			let entry = Entry::ended(RunState::Abstain(AbstainReason::Memory), code_hash, memory);
			self.report(&entry);
			runs.insert(run, entry);
			return Submitted::Started;
		}
		self.warned_memory.store(false, Ordering::Relaxed);
		let (handle, state) = match self.workers.start(code_hash, code, input, limits, seed) {
			Ok(handle) => (Some(handle), RunState::Running),
			Err(Error::MemoryAboveNode) => (None, RunState::Abstain(AbstainReason::Memory)),
			Err(e) => {
				log::warn!(target: "bourse", "cannot start a run: {e}");
				(None, RunState::Failed)
			}
		};
		let now = Instant::now();
		let entry = Entry {
			run: handle,
			state,
			code_hash,
			memory,
			submitted: now,
			ended: None,
			last_polled: now,
			closer,
		};
		if entry.run.is_none() {
			self.report(&entry);
		}
		runs.insert(run, entry);
		Submitted::Started
	}
}

impl WorkloadRunner for NodeSandbox {
	fn submit(
		&self,
		run: RunId,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
	) -> Submitted {
		self.start(run, code_hash, code, input, limits, seed, None)
	}

	fn submit_confidential(
		&self,
		run: RunId,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
		confidential: ConfidentialRun,
	) -> Submitted {
		// A known run is not opened again on every pass.
		if self.runs.lock().map(|runs| runs.contains_key(&run)).unwrap_or(false) {
			return Submitted::Known;
		}
		let Some(key_secret) = self.encryption_keys.secret(&confidential.key) else {
			log::warn!(
				target: "bourse",
				"task {}: sealed to encryption key {} which this node does not hold (lost, or held \
				 by another node of the provider); abstaining",
				confidential.task_id,
				hex(&confidential.key[..4]),
			);
			// No retry can find it: abstain at once rather than hold the windows open.
			let entry = Entry::ended(RunState::Abstain(AbstainReason::LocalFailure), code_hash, 0);
			self.report(&entry);
			if let Ok(mut runs) = self.runs.lock() {
				runs.insert(run, entry);
			}
			return Submitted::Started;
		};
		match confidential.open(&key_secret, code_hash, input) {
			Ok((plaintext, closer)) => {
				let limits = ExecutionLimits {
					max_output_bytes: limits
						.max_output_bytes
						.min(u32::try_from(closer.max_plain_output()).unwrap_or(u32::MAX)),
					..limits
				};
				self.start(run, code_hash, code, &plaintext, limits, seed, Some(closer))
			}
			Err(e) => {
				// Only the requester can have made it so: a free abstention.
				log::warn!(
					target: "bourse",
					"task {}: its seal or input does not open ({e:?}); abstaining",
					confidential.task_id,
				);
				let entry = Entry::ended(RunState::Abstain(AbstainReason::BadSeal), code_hash, 0);
				self.report(&entry);
				if let Ok(mut runs) = self.runs.lock() {
					runs.insert(run, entry);
				}
				Submitted::Started
			}
		}
	}

	fn poll(&self, run: RunId) -> RunState {
		let Ok(mut runs) = self.runs.lock() else { return RunState::Unknown };
		let Some(entry) = runs.get_mut(&run) else { return RunState::Unknown };
		entry.last_polled = Instant::now();
		if entry.refresh() {
			self.report(entry);
		}
		let state = entry.state.clone();
		if matches!(state, RunState::Failed | RunState::Unknown) {
			// Read once: the next submission retries it.
			runs.remove(&run);
		}
		self.sweep(&mut runs);
		state
	}

	fn cancel(&self, run: RunId) {
		let Ok(mut runs) = self.runs.lock() else { return };
		if let Some(Entry { run: Some(handle), .. }) = runs.remove(&run) {
			handle.cancel();
		}
	}

	fn offered_slots(&self, slots: u32) -> u32 {
		// Called on every pass: the occasion to stop the runs of tasks that are gone.
		if let Ok(mut runs) = self.runs.lock() {
			self.sweep(&mut runs);
		}
		let capacity = u32::try_from(self.workers.capacity()).unwrap_or(u32::MAX);
		if let Some(m) = &self.metrics {
			if u64::from(slots) > m.offered_slots.get() {
				m.offered_slots.set(slots.into());
			}
		}
		if slots > capacity && self.warned_slots.swap(slots, Ordering::Relaxed) != slots {
			log::warn!(
				target: "bourse",
				"⚠️  a provider served by this node offers {slots} slots, but the node runs only \
				 {capacity} workloads at once: tasks beyond {capacity} wait and may miss their \
				 windows (the node then abstains). Lower the offer's slots, or start the node \
				 with `--sandbox-runs {slots}`.",
			);
		}
		capacity
	}

	fn encryption_keys(&self) -> Vec<bourse_primitives::reply::ReplyKey> {
		self.encryption_keys.public_keys()
	}
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
