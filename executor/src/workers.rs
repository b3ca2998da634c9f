//! The node's side of the sandbox worker processes: a [`WorkerPool`] runs workloads in
//! confined child processes ([`crate::worker`]), one run at a time per child, so that a
//! stranger's module is compiled and run outside the process that holds the node's keys.
//!
//! Each child has a dispatcher thread in the node that hands it the next queued run and waits
//! for its answer. The dispatcher bounds compilation ([`WorkerPoolConfig::compile_backstop`]:
//! past it the child is killed and the code hash refused from then on) and the run
//! ([`WorkerPoolConfig::run_backstop`], above the child's own wall-clock limit), kills the child
//! on cancellation, and replaces a child that died or broke the protocol (an unasked answer, an
//! outcome beyond the run's limits). All of these are local failures of that run ([`Error`]);
//! the next run gets a fresh child.
//!
//! Not yet: a fresh process per run (a child whose sandbox a module escaped could forge the
//! answers of the runs after it, on this node; a fork server would keep the compiled modules),
//! and a PID namespace of its own.

use crate::{
	protocol::{read_frame_within, write_frame, Confinement, ProbeReport, Request, Response},
	CodeHash, Error, ExecutionLimits, Outcome, Run, Sandbox,
};
use std::{
	collections::HashSet,
	ffi::OsString,
	path::PathBuf,
	process::{Child, Command, Stdio},
	sync::{
		atomic::{AtomicBool, Ordering},
		mpsc, Arc, Mutex,
	},
	thread::JoinHandle,
	time::{Duration, Instant},
};

/// How often a dispatcher looks at cancellation and backstops while its child works.
const POLL: Duration = Duration::from_millis(20);
/// How long a new child may take to say it is ready.
const STARTUP: Duration = Duration::from_secs(30);

/// How the node starts and bounds its sandbox workers.
#[derive(Clone, Debug)]
pub struct WorkerPoolConfig {
	/// The program of a worker (the node's own binary) and its arguments (its hidden
	/// subcommand). Workers start with an empty environment.
	pub program: PathBuf,
	pub args: Vec<OsString>,
	/// Children, each running one workload at a time.
	pub workers: usize,
	/// Refuse to start unless the workers report the seccomp deny-list and `no_new_privs` on
	/// ([`Confinement::is_confined`]).
	pub require_confinement: bool,
	/// Most CPU time one module's compilation may burn before its child is killed and its
	/// code refused (a child that makes no progress for three times as long is killed, its
	/// code not refused).
	pub compile_backstop: Duration,
	/// Longest run after compilation before its child is killed: above the child's own
	/// wall-clock limit (`ExecutorConfig::wall_clock_limit`, which ends a run cleanly), for a
	/// child that stopped answering.
	pub run_backstop: Duration,
}

impl WorkerPoolConfig {
	/// `workers` children of `program args`, confinement required, the default backstops.
	pub fn new(program: PathBuf, args: Vec<OsString>, workers: usize) -> Self {
		Self {
			program,
			args,
			workers,
			require_confinement: true,
			compile_backstop: Duration::from_secs(20),
			run_backstop: crate::ExecutorConfig::default().wall_clock_limit
				+ Duration::from_secs(10),
		}
	}
}

/// A queued run.
struct Job {
	code_hash: CodeHash,
	code: Vec<u8>,
	input: Vec<u8>,
	limits: ExecutionLimits,
	seed: [u8; 32],
	cancelled: Arc<AtomicBool>,
	done: mpsc::SyncSender<(Result<Outcome, Error>, Instant)>,
}

/// What the dispatchers share.
struct Shared {
	config: WorkerPoolConfig,
	/// Code whose compilation hit the backstop: refused without trying again.
	refused: Mutex<HashSet<CodeHash>>,
	/// Each child's process id (`None` between a death and its replacement), for tests and
	/// operators.
	pids: Mutex<Vec<Option<u32>>>,
	/// Set when the pool is dropped: queued runs are cancelled, not run.
	closing: AtomicBool,
}

/// Sandbox worker processes and the queue of runs they take.
pub struct WorkerPool {
	jobs: Option<mpsc::Sender<Job>>,
	dispatchers: Vec<JoinHandle<()>>,
	shared: Arc<Shared>,
	confinement: Confinement,
}

impl WorkerPool {
	/// Starts `config.workers` children and their dispatchers. Fails if a child cannot start,
	/// or reports itself unconfined while confinement is required.
	pub fn new(config: WorkerPoolConfig) -> Result<Self, Error> {
		let workers = config.workers.max(1);
		let shared = Arc::new(Shared {
			config,
			refused: Mutex::new(HashSet::new()),
			pids: Mutex::new(vec![None; workers]),
			closing: AtomicBool::new(false),
		});
		let mut children = Vec::with_capacity(workers);
		let mut confinement = None;
		for slot in 0..workers {
			let (child, confined) = WorkerProcess::spawn(&shared, slot)?;
			confinement = Some(confined);
			children.push(child);
		}
		let (jobs, queue) = mpsc::channel::<Job>();
		let queue = Arc::new(Mutex::new(queue));
		let dispatchers = children
			.into_iter()
			.enumerate()
			.map(|(slot, child)| {
				let (queue, shared) = (queue.clone(), shared.clone());
				std::thread::Builder::new()
					.name(format!("bourse-sandbox-{slot}"))
					.spawn(move || dispatch(slot, child, &queue, &shared))
					.map_err(|e| Error::Engine(format!("cannot spawn a dispatcher: {e}")))
			})
			.collect::<Result<Vec<_>, _>>()?;
		let confinement = confinement.ok_or(Error::WorkerLost)?;
		Ok(Self { jobs: Some(jobs), dispatchers, shared, confinement })
	}

	/// The protections the workers run under.
	pub fn confinement(&self) -> Confinement {
		self.confinement
	}

	/// The children's process ids now (a child being replaced is missing).
	pub fn pids(&self) -> Vec<u32> {
		self.shared.pids.lock().map(|p| p.iter().flatten().copied().collect()).unwrap_or_default()
	}

	/// Has a fresh child try what its confinement must refuse, opening `path`.
	pub fn probe(&self, path: &std::path::Path) -> Result<ProbeReport, Error> {
		use std::os::unix::ffi::OsStrExt;
		let (child, _) = WorkerProcess::spawn(&self.shared, usize::MAX)?;
		let request = Request::Probe { path: path.as_os_str().as_bytes().to_vec() };
		let report = child
			.requests
			.try_send(request)
			.ok()
			.and_then(|()| child.responses.recv_timeout(STARTUP).ok());
		match report {
			Some(Response::Probed(report)) => Ok(report),
			_ => Err(Error::WorkerLost),
		}
	}
}

impl Sandbox for WorkerPool {
	/// Queues a run for the next free worker and returns at once.
	fn start(
		&self,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
	) -> Result<Run, Error> {
		if limits.max_memory_bytes() > crate::engine::MAX_LINEAR_MEMORY {
			return Err(Error::MemoryAboveNode);
		}
		let cancelled = Arc::new(AtomicBool::new(false));
		let (done, result) = mpsc::sync_channel(1);
		let job = Job {
			code_hash,
			code: code.to_vec(),
			input: input.to_vec(),
			limits,
			seed,
			cancelled: cancelled.clone(),
			done,
		};
		self.jobs.as_ref().ok_or(Error::WorkerLost)?.send(job).map_err(|_| Error::WorkerLost)?;
		Ok(Run { result, cancelled, ended: None })
	}

	/// One run at a time per worker.
	fn capacity(&self) -> usize {
		self.dispatchers.len()
	}
}

impl Drop for WorkerPool {
	fn drop(&mut self) {
		// Queued runs are cancelled; closing the queue ends each dispatcher once idle, and each
		// kills its child.
		self.shared.closing.store(true, Ordering::Relaxed);
		self.jobs.take();
		for dispatcher in self.dispatchers.drain(..) {
			let _ = dispatcher.join();
		}
	}
}

/// One child process: its requests go through a writer thread (a child that stops reading
/// blocks that thread, never the dispatcher), its answers come through a reader thread and a
/// bounded channel (a child that floods blocks itself, never fills the node's memory), its
/// stderr goes to the node's log, sanitised and capped. Dropping it kills and reaps it.
struct WorkerProcess {
	process: Child,
	requests: mpsc::SyncSender<Request>,
	responses: mpsc::Receiver<Response>,
}

/// Lines of a worker's stderr logged at most, per worker.
const MAX_LOG_LINES: usize = 50;
/// Characters of a worker's stderr line logged at most.
const MAX_LOG_LINE: usize = 300;

impl WorkerProcess {
	/// Starts a child for `slot` and waits for it to say it is ready; refuses it unconfined
	/// when confinement is required.
	fn spawn(shared: &Shared, slot: usize) -> Result<(Self, Confinement), Error> {
		let config = &shared.config;
		let mut process = Command::new(&config.program)
			.args(&config.args)
			.env_clear()
			.stdin(Stdio::piped())
			.stdout(Stdio::piped())
			.stderr(Stdio::piped())
			.spawn()
			.map_err(|e| {
				Error::Engine(format!("cannot start {}: {e}", config.program.display()))
			})?;
		let pipes = (process.stdin.take(), process.stdout.take(), process.stderr.take());
		let (Some(mut stdin), Some(mut stdout), Some(stderr)) = pipes else {
			let _ = process.kill();
			let _ = process.wait();
			return Err(Error::Engine("a worker without pipes".into()));
		};
		let pid = process.id();
		let spawned = |name: &str, body: Box<dyn FnOnce() + Send>| {
			std::thread::Builder::new()
				.name(name.into())
				.spawn(body)
				.map(drop)
				.map_err(|e| Error::Engine(format!("cannot spawn a {name} thread: {e}")))
		};
		let (requests, to_write) = mpsc::sync_channel::<Request>(1);
		let (answered, responses) = mpsc::sync_channel(1);
		let child = Self { process, requests, responses };
		spawned(
			"bourse-sandbox-write",
			Box::new(move || {
				while let Ok(request) = to_write.recv() {
					if write_frame(&mut stdin, &request).is_err() {
						return;
					}
				}
			}),
		)?;
		spawned(
			"bourse-sandbox-read",
			Box::new(move || {
				while let Ok(Some(response)) = read_frame_within(&mut stdout, MAX_RESPONSE) {
					if answered.send(response).is_err() {
						return;
					}
				}
			}),
		)?;
		spawned("bourse-sandbox-log", Box::new(move || log_stderr(pid, stderr)))?;
		let confinement = match child.responses.recv_timeout(STARTUP) {
			Ok(Response::Ready(confinement)) => confinement,
			_ => {
				return Err(Error::Engine(format!(
					"a sandbox worker ({}) did not start",
					config.program.display()
				)))
			}
		};
		if config.require_confinement && !confinement.is_confined() {
			return Err(Error::Engine(format!(
				"sandbox workers cannot be confined on this platform ({confinement})"
			)));
		}
		if let Some(slot) = shared.pids.lock().ok().as_mut().and_then(|p| p.get_mut(slot)) {
			*slot = Some(pid);
		}
		Ok((child, confinement))
	}
}

impl Drop for WorkerProcess {
	fn drop(&mut self) {
		let _ = self.process.kill();
		let _ = self.process.wait();
	}
}

/// Logs a worker's stderr: printable characters only, lines cut short, at most
/// [`MAX_LOG_LINES`] lines (a flood of its own output is not the node's log's).
fn log_stderr(pid: u32, stderr: std::process::ChildStderr) {
	use std::io::{BufRead, BufReader, Read};
	let mut lines = BufReader::new(stderr.take(1 << 20)).split(b'\n');
	for logged in 0.. {
		let Some(Ok(line)) = lines.next() else { return };
		if logged == MAX_LOG_LINES {
			log::warn!(target: "bourse", "sandbox worker {pid}: further output not logged");
		}
		if logged >= MAX_LOG_LINES {
			continue;
		}
		let text: String = String::from_utf8_lossy(&line)
			.chars()
			// Nor characters that reorder or hide text.
			.map(|c| {
				let hiding = matches!(
					c,
					'\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
				);
				if c.is_control() || hiding {
					'?'
				} else {
					c
				}
			})
			.take(MAX_LOG_LINE)
			.collect();
		log::warn!(target: "bourse", "sandbox worker {pid}: {text}");
	}
}

/// The largest answer the node reads: an outcome's output is far smaller.
const MAX_RESPONSE: u32 = 1024 * 1024;

/// CPU time `pid` has used (user and system, all threads), from `/proc/<pid>/stat`.
fn cpu_time(pid: u32) -> Option<Duration> {
	let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
	// Fields after the command name (which may hold spaces), from the state (field 3) on:
	// utime and stime are fields 14 and 15, in clock ticks of 1/100 s (`USER_HZ`).
	let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
	let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
	Some(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

/// A dispatcher: feeds `slot`'s child one run at a time, replacing it when it dies, is
/// killed or breaks the protocol, until the pool closes the queue.
fn dispatch(
	slot: usize,
	child: WorkerProcess,
	queue: &Mutex<mpsc::Receiver<Job>>,
	shared: &Shared,
) {
	let mut child = Some(child);
	loop {
		let job = match queue.lock() {
			Ok(queue) => queue.recv(),
			Err(_) => break,
		};
		let Ok(job) = job else { break };
		let refused = shared.refused.lock().map(|r| r.contains(&job.code_hash)).unwrap_or(false);
		let result =
			if job.cancelled.load(Ordering::Relaxed) || shared.closing.load(Ordering::Relaxed) {
				Err(Error::Cancelled) // cancelled while queued: never started
			} else if refused {
				Err(Error::TimedOut)
			} else {
				// A child that spoke unasked between runs broke the protocol, and one that died
				// idle cannot serve: replace them.
				let reusable = child.as_mut().is_some_and(|c| {
					matches!(c.responses.try_recv(), Err(mpsc::TryRecvError::Empty))
						&& matches!(c.process.try_wait(), Ok(None))
				});
				let current = match child.take() {
					Some(current) if reusable => Ok(current),
					_ => WorkerProcess::spawn(shared, slot).map(|(fresh, _)| fresh),
				};
				match current {
					Ok(current) => {
						let (result, healthy) = run(current, &job, shared);
						child = healthy;
						result
					}
					Err(e) => Err(e),
				}
			};
		if child.is_none() {
			if let Some(pid) = shared.pids.lock().ok().as_mut().and_then(|p| p.get_mut(slot)) {
				*pid = None;
			}
		}
		let _ = job.done.send((result, Instant::now()));
	}
}

/// Runs `job` on `child`; returns the result and the child if it can serve again.
fn run(
	child: WorkerProcess,
	job: &Job,
	shared: &Shared,
) -> (Result<Outcome, Error>, Option<WorkerProcess>) {
	let request = Request::Run {
		code_hash: job.code_hash,
		code: job.code.clone(),
		input: job.input.clone(),
		limits: job.limits,
		seed: job.seed,
	};
	// The writer is idle between runs: this never waits.
	if child.requests.try_send(request).is_err() {
		return (Err(Error::WorkerLost), None);
	}
	let config = &shared.config;
	let pid = child.process.id();
	let (sent, cpu_at_send) = (Instant::now(), cpu_time(pid));
	let mut prepared: Option<Instant> = None;
	loop {
		match child.responses.recv_timeout(POLL) {
			Ok(Response::Prepared) if prepared.is_none() => prepared = Some(Instant::now()),
			Ok(Response::Finished(Ok(outcome))) if prepared.is_some() => {
				// A worker cannot claim more than the run allows.
				let plausible = outcome.fuel_used <= job.limits.fuel
					&& outcome.output.len() <= job.limits.max_output_bytes as usize
					&& outcome.executor_version == crate::EXECUTOR_VERSION;
				return if plausible {
					(Ok(outcome), Some(child))
				} else {
					(Err(Error::WorkerLost), None)
				};
			}
			Ok(Response::Finished(Err(e))) if prepared.is_some() => {
				return (Err(e.into()), Some(child))
			}
			// Anything else breaks the protocol.
			Ok(_) | Err(mpsc::RecvTimeoutError::Disconnected) => {
				return (Err(Error::WorkerLost), None)
			}
			Err(mpsc::RecvTimeoutError::Timeout) => {}
		}
		if job.cancelled.load(Ordering::Relaxed) || shared.closing.load(Ordering::Relaxed) {
			return (Err(Error::Cancelled), None);
		}
		let past_backstop = match prepared {
			// Compilation is bounded in the CPU time it burns, so that a busy machine never
			// refuses a module; a child that makes no progress at all is given up on without
			// refusing.
			None => {
				// No refusal without a first reading: never a lifetime's CPU taken for one module.
				let burned = cpu_at_send
					.zip(cpu_time(pid))
					.map(|(before, now)| now.saturating_sub(before))
					.unwrap_or_default();
				if burned >= config.compile_backstop {
					if let Ok(mut refused) = shared.refused.lock() {
						refused.insert(job.code_hash);
					}
					true
				} else {
					sent.elapsed() >= config.compile_backstop.saturating_mul(3)
				}
			}
			Some(at) => at.elapsed() >= config.run_backstop,
		};
		if past_backstop {
			return (Err(Error::TimedOut), None);
		}
	}
}
