//! Providers' nodes: each its own keystore, offchain storage and transaction pool, and a
//! stand-in sandbox whose runs end at once with an outcome decided by the node's behaviour.
//! An honest outcome is a function of the code, the input and the seed, the same on every
//! honest node, as a deterministic sandbox's is.

use bourse_primitives::{
	sandbox::{RunId, RunState, SandboxExt, Submitted, WorkloadRunner},
	AbstainReason, CodeHash, ExecutionLimits, Outcome, Status, EXECUTOR_VERSION,
};
use codec::Encode;
use parking_lot::{Mutex, RwLock};
use polkadot_sdk::{
	sp_core::offchain::{
		testing::{PoolState, TestOffchainExt, TestTransactionPoolExt},
		OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
	},
	sp_io::{hashing::blake2_256, TestExternalities},
	sp_keystore::{testing::MemoryKeystore, KeystoreExt},
};
use std::{collections::HashMap, sync::Arc};

/// How a node behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
	/// Runs every task it is given and says what the run gave.
	Honest,
	/// Says another output than the run gave (and so another digest and fingerprint).
	Liar,
	/// Says another fuel count than the run burned.
	FuelLiar,
	/// Abstains from every run: not enough memory.
	Abstainer,
	/// Its runs never end (the worker abstains for time, or stays silent).
	Hang,
	/// Runs under another executor version than the chain's.
	OtherVersion,
	/// Runs its worker, but nothing it sends reaches the chain.
	Silent,
	/// Runs no offchain worker at all.
	Offline,
}

impl Behaviour {
	/// Every behaviour, the honest first.
	pub const ALL: [Behaviour; 8] = [
		Behaviour::Honest,
		Behaviour::Liar,
		Behaviour::FuelLiar,
		Behaviour::Abstainer,
		Behaviour::Hang,
		Behaviour::OtherVersion,
		Behaviour::Silent,
		Behaviour::Offline,
	];
}

/// One provider's node.
pub struct Node {
	/// How it behaves.
	pub behaviour: Behaviour,
	/// Its keys (executor keys; a validator's BABE key).
	pub keystore: Arc<MemoryKeystore>,
	/// Its offchain storage (local records survive from block to block).
	offchain: TestOffchainExt,
	/// Its sandbox.
	sandbox: Arc<Stand>,
}

impl Node {
	/// A node of `behaviour` with an empty keystore.
	pub fn new(behaviour: Behaviour) -> Self {
		let (offchain, _) = TestOffchainExt::new();
		let sandbox = Arc::new(Stand { behaviour: Mutex::new(behaviour), runs: Mutex::default() });
		Self { behaviour, keystore: Arc::new(MemoryKeystore::new()), offchain, sandbox }
	}

	/// Changes how the node behaves from now on (runs already finished keep their outcome).
	pub fn behave(&mut self, behaviour: Behaviour) {
		self.behaviour = behaviour;
		*self.sandbox.behaviour.lock() = behaviour;
	}

	/// Gives `ext` this node's extensions, as the node gives its offchain worker, with `seed`
	/// as its offchain random seed and a fresh pool; returns what the pool will hold.
	pub fn register(&self, ext: &mut TestExternalities, seed: [u8; 32]) -> Arc<RwLock<PoolState>> {
		self.offchain.0.write().seed = seed;
		let (pool, sent) = TestTransactionPoolExt::new();
		ext.register_extension(OffchainDbExt::new(self.offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(self.offchain.clone()));
		ext.register_extension(TransactionPoolExt::new(pool));
		ext.register_extension(KeystoreExt::new(self.keystore.clone()));
		ext.register_extension(SandboxExt::new(self.sandbox.clone()));
		sent
	}

	/// Takes the offchain worker's extensions away again: block execution has none of them.
	pub fn unregister(ext: &mut TestExternalities) {
		use std::any::TypeId;
		for id in [
			TypeId::of::<OffchainDbExt>(),
			TypeId::of::<OffchainWorkerExt>(),
			TypeId::of::<TransactionPoolExt>(),
			TypeId::of::<KeystoreExt>(),
			TypeId::of::<SandboxExt>(),
		] {
			ext.extensions.deregister(id);
		}
	}
}

/// The stand-in sandbox: a registry of runs, each finished as soon as it is submitted.
struct Stand {
	behaviour: Mutex<Behaviour>,
	runs: Mutex<HashMap<RunId, RunState>>,
}

/// What an honest sandbox gives for `code_hash` on `input` with `seed` within `limits`: every
/// status a workload can end with, chosen by the inputs, and fuel within the limit.
pub fn honest_outcome(
	code_hash: &CodeHash,
	input: &[u8],
	seed: &[u8; 32],
	limits: &ExecutionLimits,
) -> Outcome {
	let h = blake2_256(&(code_hash, input, seed).encode());
	let fuel = limits.fuel.max(1);
	let drawn = u64::from_le_bytes([h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9]]);
	let (status, fuel_used) = match h[0] % 10 {
		0 => (Status::Trap, 1 + drawn % fuel),
		1 => (Status::Exit(u32::from(h[1])), 1 + drawn % fuel),
		2 => (Status::OutOfFuel, fuel),
		_ => (Status::Success, 1 + drawn % fuel),
	};
	// Mostly short; one run in eight writes as much as the output limit allows.
	let len = if h[4].is_multiple_of(8) {
		limits.max_output_bytes as usize
	} else {
		(input.len() + usize::from(h[1])) % 96
	};
	let len = len.min(limits.max_output_bytes as usize);
	let output: Vec<u8> = h.iter().cycle().take(len).copied().collect();
	let fingerprint = blake2_256(&(b"memory", &h).encode());
	Outcome { status, output, fuel_used, executor_version: EXECUTOR_VERSION, fingerprint }
}

impl WorkloadRunner for Stand {
	fn submit(
		&self,
		run: RunId,
		code_hash: CodeHash,
		_code: &[u8],
		input: &[u8],
		limits: ExecutionLimits,
		seed: [u8; 32],
	) -> Submitted {
		let mut runs = self.runs.lock();
		if runs.contains_key(&run) {
			return Submitted::Known;
		}
		let mut outcome = honest_outcome(&code_hash, input, &seed, &limits);
		let state = match *self.behaviour.lock() {
			Behaviour::Liar => {
				outcome.output.push(0xee);
				outcome.output.truncate(limits.max_output_bytes as usize);
				if let Some(first) = outcome.output.first_mut() {
					*first ^= 0xff;
				}
				outcome.fingerprint = blake2_256(&outcome.fingerprint);
				RunState::Finished(outcome)
			}
			Behaviour::FuelLiar => {
				outcome.fuel_used = outcome.fuel_used.saturating_sub(1).max(1);
				RunState::Finished(outcome)
			}
			Behaviour::Abstainer => RunState::Abstain(AbstainReason::Memory),
			Behaviour::Hang => RunState::Running,
			Behaviour::OtherVersion => {
				outcome.executor_version = EXECUTOR_VERSION.wrapping_add(1);
				RunState::Finished(outcome)
			}
			Behaviour::Honest | Behaviour::Silent | Behaviour::Offline => {
				RunState::Finished(outcome)
			}
		};
		runs.insert(run, state);
		Submitted::Started
	}

	fn submit_confidential(
		&self,
		_run: RunId,
		_code_hash: CodeHash,
		_code: &[u8],
		_input: &[u8],
		_limits: ExecutionLimits,
		_seed: [u8; 32],
		_confidential: bourse_primitives::sandbox::ConfidentialRun,
	) -> Submitted {
		unimplemented!("the fuzzer submits no confidential task")
	}

	fn poll(&self, run: RunId) -> RunState {
		self.runs.lock().get(&run).cloned().unwrap_or(RunState::Unknown)
	}

	fn cancel(&self, run: RunId) {
		self.runs.lock().remove(&run);
	}

	fn offered_slots(&self, slots: u32) -> u32 {
		slots
	}

	fn encryption_keys(&self) -> Vec<[u8; 32]> {
		Vec::new()
	}
}
