//! The host function that runs workloads, for offchain workers.
//!
//! The runtime calls [`sandbox::run`] with a workload, its input, limits and seed, and an output
//! buffer; the node answers through the [`SandboxExt`] externalities extension, which wraps the
//! node's `bourse-executor`. The node registers the host function for every execution (a runtime
//! that imports it must load everywhere) but provides the extension only to offchain workers:
//! block import never runs a workload, and without the extension the call returns
//! [`NO_SANDBOX`] instead of panicking.
//!
//! The call blocks until the run ends (fuel bounds it). The workload runs on the executor's own
//! threads with their own large stacks, never on the offchain worker's thread.

#[cfg(feature = "std")]
use crate::Outcome;
use crate::{CodeHash, ExecutionLimits};
use polkadot_sdk::sp_runtime_interface::{
	pass_by::{
		PassFatPointerAndDecode, PassFatPointerAndRead, PassFatPointerAndWrite,
		PassPointerAndReadCopy,
	},
	runtime_interface,
};

/// [`sandbox::run`] found no sandbox here (not an offchain worker, or a node without one).
pub const NO_SANDBOX: u32 = u32::MAX;
/// [`sandbox::run`] could not run the workload here (a local failure, not an outcome: nothing to
/// attest; a later attempt may succeed).
pub const LOCAL_FAILURE: u32 = u32::MAX - 1;
/// The output buffer of [`sandbox::run`] is too small for the encoded outcome.
pub const BUFFER_TOO_SMALL: u32 = u32::MAX - 2;

/// What the node plugs into [`SandboxExt`]: something that runs workloads.
#[cfg(feature = "std")]
pub trait WorkloadRunner: Send + Sync {
	/// Runs `code` on `input` within `limits` with `seed`; `Err` on a local failure.
	fn run(
		&self,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
	) -> Result<Outcome, alloc::string::String>;
}

#[cfg(feature = "std")]
polkadot_sdk::sp_externalities::decl_extension! {
	/// The node's sandbox, given to offchain workers only.
	pub struct SandboxExt(std::sync::Arc<dyn WorkloadRunner>);
}

#[cfg(feature = "std")]
impl SandboxExt {
	/// Wraps a runner.
	pub fn new(runner: std::sync::Arc<dyn WorkloadRunner>) -> Self {
		Self(runner)
	}
}

/// Running workloads from the runtime.
#[runtime_interface]
pub trait Sandbox {
	/// Runs the workload `code` (blake2-256 `code_hash`) on `input` within `limits`, with `seed`
	/// behind its random numbers, and writes the SCALE-encoded `Outcome` into `out`. Returns the
	/// encoded length, or [`NO_SANDBOX`], [`LOCAL_FAILURE`] or [`BUFFER_TOO_SMALL`].
	fn run(
		&mut self,
		code_hash: PassPointerAndReadCopy<CodeHash, 32>,
		code: PassFatPointerAndRead<&[u8]>,
		input: PassFatPointerAndRead<&[u8]>,
		limits: PassFatPointerAndDecode<ExecutionLimits>,
		seed: PassPointerAndReadCopy<[u8; 32], 32>,
		out: PassFatPointerAndWrite<&mut [u8]>,
	) -> u32 {
		use codec::Encode;
		use polkadot_sdk::sp_externalities::ExternalitiesExt;
		let Some(sandbox) = self.extension::<SandboxExt>() else { return NO_SANDBOX };
		let Ok(outcome) = sandbox.0.run(code_hash, code, input, limits, seed) else {
			return LOCAL_FAILURE;
		};
		let encoded = outcome.encode();
		match out.get_mut(..encoded.len()) {
			Some(window) => {
				window.copy_from_slice(&encoded);
				encoded.len() as u32
			}
			None => BUFFER_TOO_SMALL,
		}
	}
}
