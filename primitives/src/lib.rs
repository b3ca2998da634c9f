//! # Bourse primitives
//!
//! Types shared by the runtime, the node and the sandbox (`bourse-executor`): what a workload
//! run produced ([`Outcome`], [`Status`]) and the limits it ran under ([`ExecutionLimits`]).
//! Every limit that can change an outcome is part of [`ExecutionLimits`], so two honest nodes
//! given the same module, input, limits and seed reach the same outcome.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod api;
pub mod confidential;
pub mod reply;
pub mod sandbox;

/// The runtime has no randomness: `getrandom` (pulled in by `hpke`'s AEAD) fails there. Nothing
/// in the runtime seals a reply (sealing takes its randomness as an argument, in the node);
/// opening needs none.
#[cfg(not(feature = "std"))]
#[allow(unsafe_code)] // the registration macro defines the hook `getrandom` calls
mod no_randomness {
	fn fail(_: &mut [u8]) -> Result<(), getrandom::Error> {
		Err(getrandom::Error::UNSUPPORTED)
	}
	getrandom::register_custom_getrandom!(fail);
}
pub mod traits;

/// The executor key: the hot sr25519 key (key type `bour`) a provider's node holds to answer
/// tasks. It signs answers only; the provider's account (cold) holds the bond and gets paid.
pub mod executor_key {
	use polkadot_sdk::sp_application_crypto::{app_crypto, sr25519, KeyTypeId};

	/// Key type of executor keys in a node's keystore.
	pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"bour");

	app_crypto!(sr25519, KEY_TYPE);
}

/// A provider's executor key (public part).
pub type ExecutorId = executor_key::Public;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// The blake2-256 hash of a workload's Wasm code: its identity in the registry and caches.
pub type CodeHash = [u8; 32];

/// Version of the sandbox semantics (wasmtime line, fuel costs, instrumentation, WASI
/// behaviour). Outcomes carry it: outcomes of different versions are not comparable.
///
/// 2: bulk memory and table operations, `memory.grow`, `table.grow` and WASI entries pay fuel
/// by size (`bourse_executor::fuel`); the stack meter counts the charge code.
pub const EXECUTOR_VERSION: u32 = 2;

/// Whether a task may have `replication` providers when the chain allows at most `max`: an odd
/// number (so a majority always exists) from 1 to `max`.
pub const fn is_valid_replication(replication: u32, max: u32) -> bool {
	replication % 2 == 1 && replication <= max
}

/// Bytes in a MiB, the unit of memory limits.
pub const MIB: u64 = 1024 * 1024;

/// How a workload run ended.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Status {
	/// `_start` returned, or the program called `proc_exit(0)`.
	Success,
	/// The fuel limit was reached before the program ended.
	OutOfFuel,
	/// The program trapped (unreachable, out-of-bounds access, division by zero, stack depth
	/// limit, ...).
	Trap,
	/// The module is not valid Wasm, imports something the sandbox does not provide, has no
	/// `_start`, or exceeds a structural limit.
	InvalidModule,
	/// The program needed more memory than the task allows.
	MemoryExceeded,
	/// The program wrote more to stdout than the output limit allows.
	OutputTooLarge,
	/// The program called `proc_exit(n)` with `n != 0`.
	Exit(u32),
}

impl Status {
	/// The status's name in logs and metrics labels (`Exit(n)` is `exit`).
	pub const fn label(&self) -> &'static str {
		match self {
			Status::Success => "success",
			Status::OutOfFuel => "out_of_fuel",
			Status::Trap => "trap",
			Status::InvalidModule => "invalid_module",
			Status::MemoryExceeded => "memory_exceeded",
			Status::OutputTooLarge => "output_too_large",
			Status::Exit(_) => "exit",
		}
	}
}

/// What a workload run produced. Identical on every honest node for the same module, input,
/// limits and seed.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct Outcome {
	/// How the run ended.
	pub status: Status,
	/// Everything written to stdout (at most the output limit).
	pub output: Vec<u8>,
	/// Fuel consumed, at most the fuel limit.
	pub fuel_used: u64,
	/// The [`EXECUTOR_VERSION`] that produced this outcome.
	pub executor_version: u32,
	/// What running the module gives: blake2-256 of its memory as the run left it (its length,
	/// then each page that is not all zeros with its index), all zeros when nothing was
	/// instantiated or the module is invalid. Identical on every honest x86-64 node (floats'
	/// NaNs are canonical, fresh pages are zero, bulk operations check bounds before writing);
	/// on aarch64 a store that straddles the end of memory may write part of itself before it
	/// traps (wasmtime #7237), so audits comparing fingerprints must not rely on aarch64 runs
	/// that trap. A party that reports an outcome without running cannot produce it, unless
	/// the memory the run leaves is guessable (a workload that computes in locals and writes
	/// little).
	pub fingerprint: [u8; 32],
}

/// What a provider reveals of an outcome: the parts that must agree between replicas (the
/// output itself travels beside it and is checked against `output_hash`).
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Revealed {
	/// How the run ended.
	pub status: Status,
	/// blake2-256 of the output.
	pub output_hash: [u8; 32],
	/// Fuel the run burned.
	pub fuel_used: u64,
	/// Sandbox version that ran it.
	pub executor_version: u32,
}

/// A lone answer (replication 1): what the chain learns of the run, a commitment to the whole
/// outcome, and the hash of the box that carries the output to the requester alone
/// ([`reply::seal`]: the box holds the commitment's salt and the output).
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct SealedAnswer {
	/// How the run ended.
	pub status: Status,
	/// Fuel the run burned (what the provider is paid for).
	pub fuel_used: u64,
	/// Sandbox version that ran it.
	pub executor_version: u32,
	/// [`reply::answer_commitment`] of the outcome, under the boxed salt.
	pub commitment: [u8; 32],
	/// [`reply::execution_proof`]: the run's fingerprint under a salt derived from the boxed
	/// salt, bound into `commitment`; an audit opens it.
	pub proof: [u8; 32],
	/// The largest output the box was padded for ([`reply::seal`]'s `max_output`): the chain
	/// opens the box with it when the requester claims a bad delivery, whatever the chain's
	/// output bound has become since.
	pub max_output: u32,
	/// blake2-256 of the box.
	pub sealed_hash: [u8; 32],
}

/// The requester's terms for auditing a lone answer, given at submission: the seal of a secret
/// coin its client keeps ([`reply::audit_seal`]) and the least audit rate it asks for (the
/// chain's own rate applies when higher).
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct AuditTerms {
	/// [`reply::audit_seal`] of the coin's secret: whether the answer is audited is
	/// [`reply::audit_coin`] of the secret, which the requester shows only once the answer is
	/// final on chain, so the provider cannot know it when it answers.
	pub seal: [u8; 32],
	/// The least probability of an audit the requester asks for.
	pub rate: polkadot_sdk::sp_arithmetic::Perbill,
}

/// What a party to an audit shows of the outcome it committed to: the audited provider (its
/// lone answer's commitment) and the auditor (its blind commitment) open theirs the same way,
/// and the chain compares the two ([`Opening::commitment`]). Shows the output's digest, never
/// the output.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Opening {
	/// How the run ended.
	pub status: Status,
	/// Fuel the run burned.
	pub fuel_used: u64,
	/// Sandbox version that ran it.
	pub executor_version: u32,
	/// [`reply::output_digest`] of the output.
	pub output_digest: [u8; 32],
	/// The run's [`Outcome::fingerprint`].
	pub fingerprint: [u8; 32],
	/// The commitment's salt (a lone answer's boxed salt).
	pub salt: [u8; 32],
}

impl Opening {
	/// What `who` commits to with this opening, for task `task_id` of digest `task_digest`:
	/// [`reply::answer_commitment`], with the proof of execution of the fingerprint.
	pub fn commitment<AccountId: Encode>(
		&self,
		task_digest: &[u8; 32],
		task_id: traits::TaskId,
		who: &AccountId,
	) -> [u8; 32] {
		reply::answer_commitment(
			task_digest,
			task_id,
			who,
			self.status,
			self.fuel_used,
			self.executor_version,
			&self.salt,
			&self.output_digest,
			&reply::execution_proof(&self.salt, &self.fingerprint),
		)
	}

	/// What a member of a dispute's committee commits to with this opening and its
	/// `witness` ([`reply::committee_witness`]): [`Opening::commitment`] bound to the witness.
	pub fn member_commitment<AccountId: Encode>(
		&self,
		round_digest: &[u8; 32],
		task_id: traits::TaskId,
		who: &AccountId,
		witness: &[u8; 32],
	) -> [u8; 32] {
		reply::member_commitment(&self.commitment(round_digest, task_id, who), witness)
	}

	/// Whether both runs gave the same outcome: status, fuel, executor version, output and
	/// fingerprint (the salts differ). Traps too: status, fuel and an empty output are easy to
	/// copy, the memory a trap leaves is not. (On aarch64 a store straddling the end of memory
	/// may write part of itself before it traps, see [`Outcome::fingerprint`]: executors there
	/// must not share an executor version with x86-64 ones.)
	pub fn same_outcome(&self, other: &Opening) -> bool {
		let facts = |o: &Opening| {
			(o.status, o.fuel_used, o.executor_version, o.output_digest, o.fingerprint)
		};
		facts(self) == facts(other)
	}
}

/// What a provider's executor key signs: one claim about one task. The chain signs it with a
/// context, its genesis hash and the task's digest (`pallet_attestation::Pallet::statement_payload`),
/// so a statement is worthless on another chain, to another protocol using the same key, and
/// for another task with the same id (a sibling fork's).
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Statement<AccountId> {
	/// The task.
	pub task_id: traits::TaskId,
	/// The assigned provider speaking (its executor key signs).
	pub provider: AccountId,
	/// What it says.
	pub claim: Claim,
}

/// What a provider says about its task, one per step of attestation.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum Claim {
	/// Replication 1: the answer, sent once, its output sealed to the requester.
	Answer(SealedAnswer),
	/// Replication ≥ 3, first step: a commitment to an outcome.
	Commit([u8; 32]),
	/// Replication ≥ 3, second step: the committed outcome and its salt.
	Reveal {
		/// The outcome committed to.
		revealed: Revealed,
		/// The commitment's salt.
		salt: [u8; 32],
	},
	/// Any replication, instead of an answer (and, when replicated, before committing): the
	/// provider's node could not run the task within its means. Neither paid nor slashed.
	Abstain(AbstainReason),
	/// An audit of a lone answer, second step: the audited provider or the auditor opens the
	/// outcome it committed to.
	Open(Opening),
	/// A disputed audit, second step: a member of its committee opens the outcome it committed
	/// to ([`Opening::member_commitment`]) with its witness of the output, and gives its output
	/// sealed to the requester (the box travels beside the statement).
	OpenWitnessed {
		/// The outcome committed to.
		opening: Opening,
		/// The member's [`reply::committee_witness`].
		witness: [u8; 32],
		/// blake2-256 of the box: its output and salt sealed to the task's reply key under
		/// the round's digest, which the requester gets if the majority upholds this outcome.
		sealed_hash: [u8; 32],
	},
}

/// Why a provider's node abstains from a task: it could not run it within its own means. An
/// abstention is an honest "I could not", not an outcome: it is never compared with others.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum AbstainReason {
	/// The run did not end while the task's windows were open (wall clock).
	Time,
	/// The task needs more memory than this node gives one run.
	Memory,
	/// The node's executor version is not one the chain accepts.
	Version,
	/// The run failed locally (no outcome) until the windows closed.
	LocalFailure,
	/// A confidential task's secret, sealed to this provider, did not open to the task's
	/// secret, or its input did not decrypt under it: only the requester can have made it so.
	BadSeal,
}

impl AbstainReason {
	/// The reason's name in logs and metrics labels.
	pub const fn label(&self) -> &'static str {
		match self {
			AbstainReason::Time => "time",
			AbstainReason::Memory => "memory",
			AbstainReason::Version => "version",
			AbstainReason::LocalFailure => "local_failure",
			AbstainReason::BadSeal => "bad_seal",
		}
	}
}

/// The limits of one run. Fuel and memory come from the task; output, table and stack limits
/// are chain constants. None is a local setting of a node.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct ExecutionLimits {
	/// Fuel available to the run (roughly one unit per Wasm instruction).
	pub fuel: u64,
	/// Largest linear memory the program may have, in MiB.
	pub max_memory_mib: u32,
	/// Largest output (stdout) in bytes.
	pub max_output_bytes: u32,
	/// Largest number of elements of any table.
	pub max_table_elements: u32,
	/// Deterministic stack budget: the sum of the frame costs of all active calls (a frame
	/// costs 1 + its parameters + its locals + its instructions + the results of the calls it
	/// makes) may not exceed it.
	pub max_stack_units: u32,
}

/// Default chain constants, for tools that run workloads outside the chain (`bourse-run`).
pub mod defaults {
	/// Output limit: 64 KiB.
	pub const MAX_OUTPUT_BYTES: u32 = 64 * 1024;
	/// Table elements limit.
	pub const MAX_TABLE_ELEMENTS: u32 = 10_000;
	/// Stack budget (see [`super::ExecutionLimits::max_stack_units`]).
	pub const MAX_STACK_UNITS: u32 = 256 * 1024;
	/// Memory limit in MiB.
	pub const MAX_MEMORY_MIB: u32 = 64;
	/// Fuel limit: ten billion units.
	pub const FUEL: u64 = 10_000_000_000;
}

impl ExecutionLimits {
	/// The given fuel and memory with the default chain constants.
	pub const fn with_defaults(fuel: u64, max_memory_mib: u32) -> Self {
		Self {
			fuel,
			max_memory_mib,
			max_output_bytes: defaults::MAX_OUTPUT_BYTES,
			max_table_elements: defaults::MAX_TABLE_ELEMENTS,
			max_stack_units: defaults::MAX_STACK_UNITS,
		}
	}

	/// Largest linear memory in bytes.
	pub fn max_memory_bytes(&self) -> u64 {
		u64::from(self.max_memory_mib).saturating_mul(MIB)
	}
}
