//! The host functions that run workloads, for offchain workers: submit, poll, cancel.
//!
//! The runtime [`sandbox::submit`]s a run under a [`RunId`] it chooses and returns at once; later
//! offchain-worker passes [`sandbox::poll`] it until it is [`RunState::Finished`] (or the node
//! abstains), and [`sandbox::cancel`] a run whose task no longer needs it. The node answers
//! through the [`SandboxExt`] externalities extension, which wraps its `bourse-executor` and an
//! in-memory registry of runs: a run id is never run twice at once, a finished run stays readable
//! for a while, and a run nobody polls any more is cancelled. The registry does not survive a
//! restart: a restarted node finds its runs [`RunState::Unknown`] and submits them again.
//!
//! The node registers the host functions for every execution (a runtime that imports them must
//! load everywhere) but provides the extension only to offchain workers: block import never runs
//! a workload, and without the extension the calls return [`NO_SANDBOX`] instead of panicking.
//! Workloads run on the executor's own threads, never on the offchain worker's.

// A host function's arguments are its ABI, each passed on its own (`submit_confidential` has
// eight): bundling them would only hide them in one more encoded struct.
#![allow(clippy::too_many_arguments)]

use crate::{AbstainReason, CodeHash, ExecutionLimits, Outcome};
use codec::{Decode, Encode};
use polkadot_sdk::sp_runtime_interface::{
	pass_by::{
		PassFatPointerAndDecode, PassFatPointerAndRead, PassFatPointerAndWrite,
		PassPointerAndReadCopy,
	},
	runtime_interface,
};

/// Names one run in the node's registry: the runtime derives it from what it runs for (task,
/// provider, assignment), so two offchain workers asking for the same run share it.
pub type RunId = [u8; 32];

/// The call found no sandbox here (not an offchain worker, or a node without one).
pub const NO_SANDBOX: u32 = u32::MAX;
/// [`sandbox::seal_reply`] could not seal: the output is too large or the key is unusable.
pub const SEAL_REFUSED: u32 = u32::MAX - 1;
/// [`sandbox::poll`]'s (or [`sandbox::seal_reply`]'s) output buffer is too small.
pub const BUFFER_TOO_SMALL: u32 = u32::MAX - 2;

/// Most encryption keys [`sandbox::encryption_keys`] returns (the newest ones).
pub const MAX_ENCRYPTION_KEYS: usize = 32;
// Their SCALE length prefix is one byte: the runtime's buffer is sized for it.
const _: () = assert!(MAX_ENCRYPTION_KEYS < 64);

/// What the node needs to run a confidential task's input for one member: open the member's
/// seal, decrypt the input, and encrypt the output (see [`crate::confidential`]). The task
/// secret it opens never leaves the node's process, and the plaintext goes only to the
/// confined worker that runs it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ConfidentialRun {
	/// The chain's genesis hash.
	pub genesis: [u8; 32],
	/// The task.
	pub task_id: crate::traits::TaskId,
	/// Its requester, SCALE-encoded (as the seal's and the input's context encode it).
	pub requester: alloc::vec::Vec<u8>,
	/// The hash of its secret.
	pub secret_hash: [u8; 32],
	/// The node's encryption key the member's seal was made for.
	pub key: crate::reply::ReplyKey,
	/// The secret sealed to it.
	pub seal: crate::confidential::SealedSecret,
	/// The chain's bound on a task's input: the input ciphertext's.
	pub max_input: u32,
	/// The chain's bound on an output: the output ciphertext's.
	pub max_output: u32,
}

/// What [`sandbox::submit`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Submitted {
	/// The run is queued; it starts when an execution thread is free.
	Started,
	/// A run under this id is already running or finished: nothing was started.
	Known,
	/// The registry is full; submit again later.
	Busy,
}

/// Where a run stands, as [`sandbox::poll`] reports it (SCALE-encoded).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum RunState {
	/// No run under this id: never submitted, forgotten, cancelled, or the node restarted.
	Unknown,
	/// Queued or running.
	Running,
	/// Ended with an outcome.
	Finished(Outcome),
	/// The node could not run it within its means (time, memory): nothing to attest.
	Abstain(AbstainReason),
	/// Failed locally without an outcome (resources, a lost thread); a new submission retries.
	Failed,
}

/// What the node plugs into [`SandboxExt`]: a registry of runs in flight over its sandbox.
#[cfg(feature = "std")]
pub trait WorkloadRunner: Send + Sync {
	/// Starts running `code` (blake2-256 `code_hash`) on `input` within `limits`, with `seed`
	/// behind its random numbers, under `run`, unless a run under `run` is known already.
	fn submit(
		&self,
		run: RunId,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
	) -> Submitted;

	/// Starts running a confidential task's `code` on its input ciphertext `input`, as
	/// [`Self::submit`] does: opens the seal of `confidential` with the node's secret key, runs
	/// the decrypted input, and reports the output encrypted and the fingerprint keyed (see
	/// [`crate::confidential`]). A seal or input that does not open is an abstention
	/// ([`AbstainReason::BadSeal`]); a key the node does not hold, a local failure.
	fn submit_confidential(
		&self,
		run: RunId,
		code_hash: CodeHash,
		code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
		confidential: ConfidentialRun,
	) -> Submitted;

	/// Where `run` stands.
	fn poll(&self, run: RunId) -> RunState;

	/// Stops `run` (cooperatively: it ends at its next interruption check) and forgets it.
	fn cancel(&self, run: RunId);

	/// Learns that a provider served by this node offers `slots` slots; returns how many runs
	/// the node runs at once (and warns when that is fewer).
	fn offered_slots(&self, slots: u32) -> u32;

	/// The public halves of the node's encryption keys (X25519), newest first, at most
	/// [`MAX_ENCRYPTION_KEYS`]; never a secret half.
	fn encryption_keys(&self) -> Vec<crate::reply::ReplyKey>;
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

/// Running workloads from the runtime, without blocking it.
#[runtime_interface]
pub trait Sandbox {
	/// Starts the workload `code` (blake2-256 `code_hash`) on `input` within `limits`, with
	/// `seed` behind its random numbers, under `run`, and returns at once: 0 started, 1 known,
	/// 2 busy (read it with [`submitted`]), or [`NO_SANDBOX`].
	fn submit(
		&mut self,
		run: PassPointerAndReadCopy<RunId, 32>,
		code_hash: PassPointerAndReadCopy<CodeHash, 32>,
		code: PassFatPointerAndRead<&[u8]>,
		input: PassFatPointerAndRead<&[u8]>,
		limits: PassFatPointerAndDecode<ExecutionLimits>,
		seed: PassPointerAndReadCopy<[u8; 32], 32>,
	) -> u32 {
		use polkadot_sdk::sp_externalities::ExternalitiesExt;
		let Some(sandbox) = self.extension::<SandboxExt>() else { return NO_SANDBOX };
		sandbox.0.submit(run, code_hash, code, input, limits, seed).code()
	}

	/// Starts a confidential task's workload `code` on its input ciphertext `input`, as
	/// [`submit`] does (and with its return values): the node opens the seal of
	/// `confidential`, runs the plaintext in a confined worker, and [`poll`] reports the output
	/// encrypted and the fingerprint keyed. The task's secret and its plaintexts never come
	/// back to the runtime.
	fn submit_confidential(
		&mut self,
		run: PassPointerAndReadCopy<RunId, 32>,
		code_hash: PassPointerAndReadCopy<CodeHash, 32>,
		code: PassFatPointerAndRead<&[u8]>,
		input: PassFatPointerAndRead<&[u8]>,
		limits: PassFatPointerAndDecode<ExecutionLimits>,
		seed: PassPointerAndReadCopy<[u8; 32], 32>,
		confidential: PassFatPointerAndDecode<ConfidentialRun>,
	) -> u32 {
		use polkadot_sdk::sp_externalities::ExternalitiesExt;
		let Some(sandbox) = self.extension::<SandboxExt>() else { return NO_SANDBOX };
		sandbox
			.0
			.submit_confidential(run, code_hash, code, input, limits, seed, confidential)
			.code()
	}

	/// Writes the SCALE-encoded [`RunState`] of `run` into `out`; returns its length, or
	/// [`NO_SANDBOX`] or [`BUFFER_TOO_SMALL`].
	fn poll(
		&mut self,
		run: PassPointerAndReadCopy<RunId, 32>,
		out: PassFatPointerAndWrite<&mut [u8]>,
	) -> u32 {
		use polkadot_sdk::sp_externalities::ExternalitiesExt;
		let Some(sandbox) = self.extension::<SandboxExt>() else { return NO_SANDBOX };
		let encoded = sandbox.0.poll(run).encode();
		match out.get_mut(..encoded.len()) {
			Some(window) => {
				window.copy_from_slice(&encoded);
				encoded.len() as u32
			}
			None => BUFFER_TOO_SMALL,
		}
	}

	/// Stops and forgets `run`; returns 0, or [`NO_SANDBOX`].
	fn cancel(&mut self, run: PassPointerAndReadCopy<RunId, 32>) -> u32 {
		use polkadot_sdk::sp_externalities::ExternalitiesExt;
		let Some(sandbox) = self.extension::<SandboxExt>() else { return NO_SANDBOX };
		sandbox.0.cancel(run);
		0
	}

	/// The blocking run of runtimes before `submit` (spec ≤ 100), kept so that a node can still
	/// execute their blocks: it runs nothing and returns [`NO_SANDBOX`], so their offchain
	/// workers send no answers.
	fn run(
		&mut self,
		_code_hash: PassPointerAndReadCopy<CodeHash, 32>,
		_code: PassFatPointerAndRead<&[u8]>,
		_input: PassFatPointerAndRead<&[u8]>,
		_limits: PassFatPointerAndDecode<ExecutionLimits>,
		_seed: PassPointerAndReadCopy<[u8; 32], 32>,
		_out: PassFatPointerAndWrite<&mut [u8]>,
	) -> u32 {
		NO_SANDBOX
	}

	/// Seals `output` to the requester's `reply_key` for the task of `task_digest`, with the
	/// commitment's `salt`, as [`crate::reply::seal`] does with fresh randomness from the
	/// node's operating system; writes the box into `out` and returns its length, or
	/// [`NO_SANDBOX`] (only offchain workers seal: block execution must stay deterministic),
	/// [`SEAL_REFUSED`] or [`BUFFER_TOO_SMALL`].
	fn seal_reply(
		&mut self,
		reply_key: PassPointerAndReadCopy<[u8; 32], 32>,
		task_digest: PassPointerAndReadCopy<[u8; 32], 32>,
		salt: PassPointerAndReadCopy<[u8; 32], 32>,
		output: PassFatPointerAndRead<&[u8]>,
		max_output: u32,
		out: PassFatPointerAndWrite<&mut [u8]>,
	) -> u32 {
		use polkadot_sdk::sp_externalities::ExternalitiesExt;
		if self.extension::<SandboxExt>().is_none() {
			return NO_SANDBOX;
		}
		let Ok(sealed) = crate::reply::seal(
			&reply_key,
			&task_digest,
			&salt,
			output,
			max_output as usize,
			&mut rand_core::OsRng,
		) else {
			return SEAL_REFUSED;
		};
		match out.get_mut(..sealed.len()) {
			Some(window) => {
				window.copy_from_slice(&sealed);
				sealed.len() as u32
			}
			None => BUFFER_TOO_SMALL,
		}
	}

	/// Writes the SCALE-encoded public halves of the node's encryption keys, newest first (a
	/// `Vec<[u8; 32]>` of at most [`MAX_ENCRYPTION_KEYS`]), into `out`; returns their length,
	/// or [`NO_SANDBOX`] or [`BUFFER_TOO_SMALL`]. The secret halves never leave the node.
	fn encryption_keys(&mut self, out: PassFatPointerAndWrite<&mut [u8]>) -> u32 {
		use polkadot_sdk::sp_externalities::ExternalitiesExt;
		let Some(sandbox) = self.extension::<SandboxExt>() else { return NO_SANDBOX };
		let mut keys = sandbox.0.encryption_keys();
		keys.truncate(MAX_ENCRYPTION_KEYS);
		let encoded = keys.encode();
		match out.get_mut(..encoded.len()) {
			Some(window) => {
				window.copy_from_slice(&encoded);
				encoded.len() as u32
			}
			None => BUFFER_TOO_SMALL,
		}
	}

	/// Tells the node a provider it serves offers `slots` slots; returns how many runs the node
	/// runs at once, or [`NO_SANDBOX`].
	fn offered_slots(&mut self, slots: u32) -> u32 {
		use polkadot_sdk::sp_externalities::ExternalitiesExt;
		let Some(sandbox) = self.extension::<SandboxExt>() else { return NO_SANDBOX };
		sandbox.0.offered_slots(slots)
	}
}

impl Submitted {
	/// What [`sandbox::submit`] returns for it ([`submitted`] reads it back).
	pub const fn code(self) -> u32 {
		match self {
			Submitted::Started => 0,
			Submitted::Known => 1,
			Submitted::Busy => 2,
		}
	}
}

/// Decodes what [`sandbox::submit`] returned (`None`: no sandbox).
pub fn submitted(code: u32) -> Option<Submitted> {
	match code {
		0 => Some(Submitted::Started),
		1 => Some(Submitted::Known),
		2 => Some(Submitted::Busy),
		_ => None,
	}
}
