//! The executor's threads: a fixed pool of execution threads with large, known stacks that
//! take jobs from one queue, and the epoch ticker that drives the wall-clock backstop.

use crate::{
	engine::{EPOCH_TICK, WORKER_STACK_BYTES},
	Error,
};
use std::{
	panic::AssertUnwindSafe,
	sync::{mpsc, Arc, Mutex},
	thread::JoinHandle,
};
use wasmtime::Engine;

/// One unit of work for an execution thread.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// The execution threads and the epoch ticker. Dropping it stops and joins them all.
pub(crate) struct Pool {
	jobs: Option<mpsc::Sender<Job>>,
	workers: Vec<JoinHandle<()>>,
	/// Dropping the sender stops the epoch ticker.
	ticker: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl Pool {
	/// Starts the epoch ticker of `engine` and `workers` execution threads (at least one).
	pub(crate) fn new(engine: &Engine, workers: usize) -> Result<Self, Error> {
		let ticker = {
			let (stop, stopped) = mpsc::channel::<()>();
			let engine = engine.clone();
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
		let workers = (0..workers.max(1))
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
		Ok(Self { jobs: Some(jobs), workers, ticker })
	}

	/// The number of execution threads.
	pub(crate) fn threads(&self) -> usize {
		self.workers.len()
	}

	/// Queues `job` for the next free execution thread.
	pub(crate) fn submit(&self, job: Job) -> Result<(), Error> {
		self.jobs.as_ref().ok_or(Error::WorkerLost)?.send(job).map_err(|_| Error::WorkerLost)
	}
}

impl Drop for Pool {
	fn drop(&mut self) {
		if let Some((stop, ticker)) = self.ticker.take() {
			drop(stop);
			let _ = ticker.join();
		}
		// Closing the queue ends each thread once it is idle.
		self.jobs.take();
		for worker in self.workers.drain(..) {
			let _ = worker.join();
		}
	}
}
