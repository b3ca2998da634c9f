//! The node's side of the `sandbox::run` host function: one shared `bourse-executor` (its
//! compiled-module cache lives as long as the node), handed to offchain workers as the
//! [`SandboxExt`] extension, with Prometheus counters an operator wants to watch.

use bourse_executor::{Executor, ExecutorConfig};
use bourse_primitives::{sandbox::WorkloadRunner, CodeHash, ExecutionLimits, Outcome};
use polkadot_sdk::substrate_prometheus_endpoint::{
	register, Counter, CounterVec, Opts, PrometheusError, Registry, F64, U64,
};
use std::{sync::Arc, time::Instant};

pub use bourse_primitives::sandbox::SandboxExt;

/// Counters of the workloads this node ran.
#[derive(Clone)]
struct Metrics {
	/// Runs by final status.
	runs: CounterVec<U64>,
	/// Seconds spent running workloads.
	seconds: Counter<F64>,
	/// Runs that failed locally (no outcome).
	failures: Counter<U64>,
}

impl Metrics {
	fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		Ok(Self {
			runs: register(
				CounterVec::new(
					Opts::new("bourse_tasks_executed_total", "Workloads run, by outcome status"),
					&["status"],
				)?,
				registry,
			)?,
			seconds: register(
				Counter::new("bourse_execution_seconds_total", "Seconds spent running workloads")?,
				registry,
			)?,
			failures: register(
				Counter::new(
					"bourse_execution_failures_total",
					"Runs that failed locally, without an outcome",
				)?,
				registry,
			)?,
		})
	}
}

/// The sandbox of this node.
pub struct NodeSandbox {
	executor: Executor,
	metrics: Option<Metrics>,
}

impl NodeSandbox {
	/// Starts the executor's threads and registers the counters (when Prometheus is on).
	pub fn new(registry: Option<&Registry>) -> Result<Arc<Self>, String> {
		let executor = Executor::new(ExecutorConfig::default()).map_err(|e| format!("{e:?}"))?;
		let metrics = match registry.map(Metrics::register) {
			Some(Ok(metrics)) => Some(metrics),
			Some(Err(e)) => {
				log::warn!(target: "bourse", "sandbox metrics not registered: {e}");
				None
			}
			None => None,
		};
		Ok(Arc::new(Self { executor, metrics }))
	}

	/// The extension offchain workers get.
	pub fn extension(self: &Arc<Self>) -> SandboxExt {
		SandboxExt::new(self.clone())
	}
}

impl WorkloadRunner for NodeSandbox {
	fn run(
		&self,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
	) -> Result<Outcome, String> {
		let started = Instant::now();
		let result = self.executor.execute(code_hash, code, input, limits, seed);
		let elapsed = started.elapsed();
		match &result {
			Ok(outcome) => {
				log::info!(
					target: "bourse",
					"🧮 ran workload {} in {:.1} ms: {:?}, {} fuel, {} output bytes",
					hex(&code_hash[..4]),
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
			Err(e) => {
				log::warn!(target: "bourse", "sandbox failed locally: {e:?}");
				if let Some(m) = &self.metrics {
					m.failures.inc();
				}
			}
		}
		result.map_err(|e| format!("{e:?}"))
	}
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
