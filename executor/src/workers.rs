//! The node's side of the sandbox worker processes: a [`WorkerPool`] runs workloads in
//! confined child processes ([`crate::worker`]), one run at a time per child, so that a
//! stranger's module is compiled and run outside the process that holds the node's keys.
//!
//! Each child has a dispatcher thread in the node that hands it the next queued run and waits
//! for its answer. The dispatcher bounds compilation ([`WorkerPoolConfig::compile_backstop`]:
//! past it the child is killed and the code hash refused from then on) and the run
//! ([`WorkerPoolConfig::run_backstop`], above the child's own wall-clock limit), kills the child
//! on cancellation, and replaces a child that died. All of these are local failures of that run
//! ([`Error`]); the next run gets a fresh child.

use crate::{
	protocol::{read_frame, write_frame, Confinement, ProbeReport, Request, Response},
	CodeHash, Error, ExecutionLimits, Outcome, Run,
};
use std::{
	collections::HashSet,
	ffi::OsString,
	path::PathBuf,
	process::{Child, ChildStdin, Command, Stdio},
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
	/// Longest compilation of one module before its child is killed and its code refused.
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
		});
		let mut children = Vec::with_capacity(workers);
		let mut confinement = None;
		for slot in 0..workers {
			let (child, confined) = WorkerProcess::spawn(&shared, slot)?;
			if shared.config.require_confinement && !confined.is_confined() {
				child.kill();
				return Err(Error::Engine(format!(
					"sandbox workers cannot be confined on this platform ({confined})"
				)));
			}
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

	/// Runs at once: one per child.
	pub fn capacity(&self) -> usize {
		self.dispatchers.len()
	}

	/// The children's process ids now (a child being replaced is missing).
	pub fn pids(&self) -> Vec<u32> {
		self.shared.pids.lock().map(|p| p.iter().flatten().copied().collect()).unwrap_or_default()
	}

	/// Queues a run as [`Executor::start`](crate::Executor::start) does and returns at once.
	pub fn start(
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

	/// Runs a workload and waits for its outcome.
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

	/// Has a fresh child try what its confinement must refuse, opening `path`.
	pub fn probe(&self, path: &std::path::Path) -> Result<ProbeReport, Error> {
		use std::os::unix::ffi::OsStrExt;
		let (mut child, _) = WorkerProcess::spawn(&self.shared, usize::MAX)?;
		let request = Request::Probe { path: path.as_os_str().as_bytes().to_vec() };
		let report = write_frame(&mut child.stdin, &request)
			.ok()
			.and_then(|()| child.responses.recv_timeout(STARTUP).ok());
		child.kill();
		match report {
			Some(Response::Probed(report)) => Ok(report),
			_ => Err(Error::WorkerLost),
		}
	}
}

impl Drop for WorkerPool {
	fn drop(&mut self) {
		// Closing the queue ends each dispatcher once idle; each kills its child.
		self.jobs.take();
		for dispatcher in self.dispatchers.drain(..) {
			let _ = dispatcher.join();
		}
	}
}

/// One child process, its stdin and what it answered.
struct WorkerProcess {
	process: Child,
	stdin: ChildStdin,
	responses: mpsc::Receiver<Response>,
}

impl WorkerProcess {
	/// Starts a child for `slot` and waits for it to say it is ready.
	fn spawn(shared: &Shared, slot: usize) -> Result<(Self, Confinement), Error> {
		let config = &shared.config;
		let mut process = Command::new(&config.program)
			.args(&config.args)
			.env_clear()
			.stdin(Stdio::piped())
			.stdout(Stdio::piped())
			.stderr(Stdio::inherit())
			.spawn()
			.map_err(|e| {
				Error::Engine(format!("cannot start {}: {e}", config.program.display()))
			})?;
		let (Some(stdin), Some(mut stdout)) = (process.stdin.take(), process.stdout.take()) else {
			let _ = process.kill();
			return Err(Error::Engine("a worker without pipes".into()));
		};
		let (answered, responses) = mpsc::channel();
		std::thread::Builder::new()
			.name("bourse-sandbox-read".into())
			.spawn(move || {
				while let Ok(Some(response)) = read_frame::<Response>(&mut stdout) {
					if answered.send(response).is_err() {
						return;
					}
				}
			})
			.map_err(|e| Error::Engine(format!("cannot spawn a reader: {e}")))?;
		let child = Self { process, stdin, responses };
		match child.responses.recv_timeout(STARTUP) {
			Ok(Response::Ready(confinement)) => {
				if let Some(pid) = shared.pids.lock().ok().as_mut().and_then(|p| p.get_mut(slot)) {
					*pid = Some(child.process.id());
				}
				Ok((child, confinement))
			}
			_ => {
				child.kill();
				Err(Error::Engine(format!(
					"a sandbox worker ({}) did not start",
					config.program.display()
				)))
			}
		}
	}

	/// Kills the child and reaps it.
	fn kill(mut self) {
		let _ = self.process.kill();
		let _ = self.process.wait();
	}
}

/// A dispatcher: feeds `slot`'s child one run at a time, replacing it when it dies or is
/// killed, until the pool closes the queue.
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
		let result = if job.cancelled.load(Ordering::Relaxed) {
			Err(Error::Cancelled) // cancelled while queued: never started
		} else if refused {
			Err(Error::TimedOut)
		} else {
			let current = match child.take() {
				Some(current) => Ok(current),
				None => WorkerProcess::spawn(shared, slot).map(|(fresh, _)| fresh),
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
	if let Some(child) = child {
		child.kill();
	}
}

/// Runs `job` on `child`; returns the result and the child if it can serve again.
fn run(
	mut child: WorkerProcess,
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
	if write_frame(&mut child.stdin, &request).is_err() {
		child.kill();
		return (Err(Error::WorkerLost), None);
	}
	let sent = Instant::now();
	let mut prepared: Option<Instant> = None;
	loop {
		match child.responses.recv_timeout(POLL) {
			Ok(Response::Prepared) => prepared = Some(Instant::now()),
			Ok(Response::Finished(result)) => return (result.map_err(Error::from), Some(child)),
			Ok(_) => {} // nothing else is expected during a run
			Err(mpsc::RecvTimeoutError::Disconnected) => {
				child.kill();
				return (Err(Error::WorkerLost), None);
			}
			Err(mpsc::RecvTimeoutError::Timeout) => {
				let ended = if job.cancelled.load(Ordering::Relaxed) {
					Some(Error::Cancelled)
				} else {
					match prepared {
						None if sent.elapsed() >= shared.config.compile_backstop => {
							if let Ok(mut refused) = shared.refused.lock() {
								refused.insert(job.code_hash);
							}
							Some(Error::TimedOut)
						}
						Some(at) if at.elapsed() >= shared.config.run_backstop => {
							Some(Error::TimedOut)
						}
						_ => None,
					}
				};
				if let Some(error) = ended {
					child.kill();
					return (Err(error), None);
				}
			}
		}
	}
}
