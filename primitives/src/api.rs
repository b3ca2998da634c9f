//! The runtime API behind the node's `bourse_*` RPC methods and polkadot.js `api.call.bourseApi`:
//! read-only views of offers, providers, tasks and price quotes.

use crate::{
	traits::{Assignment, JobId, TaskFailure, TaskId},
	CodeHash, Revealed, Statement, Status,
};
use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use polkadot_sdk::sp_arithmetic::Perbill;
use scale_info::TypeInfo;

/// Most offers one `offers` query returns.
pub const MAX_OFFERS_PER_QUERY: u32 = 1_000;

/// An offer as requesters see it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct OfferView<AccountId, Balance, BlockNumber> {
	/// The provider.
	pub provider: AccountId,
	/// Price per million fuel.
	pub price_per_mfuel: Balance,
	/// Most fuel per task.
	pub max_fuel: u64,
	/// Most memory per task, in MiB.
	pub max_memory_mib: u32,
	/// Concurrent slots.
	pub slots: u32,
	/// Slots free now (fewer than `slots - busy` if slashes shrank the bond).
	pub free_slots: u32,
	/// Last block it may be selected, if it expires.
	pub expires_at: Option<BlockNumber>,
	/// First block it may be selected.
	pub active_from: BlockNumber,
	/// The provider's reputation now.
	pub reputation: Perbill,
}

/// A provider as anyone may see it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct ProviderView<AccountId, Balance, BlockNumber> {
	/// Its executor key (public, SCALE-encoded).
	pub executor: Vec<u8>,
	/// Its bond.
	pub bond: Balance,
	/// Slots taken by open tasks.
	pub busy_slots: u32,
	/// Set when it is leaving: the block its bond can be withdrawn.
	pub unbonds_at: Option<BlockNumber>,
	/// Settled tasks in a row it said nothing on.
	pub missed: u32,
	/// Set while its offer is paused for missed tasks: the block the pause began.
	pub paused_since: Option<BlockNumber>,
	/// Its reputation now.
	pub reputation: Perbill,
	/// Its offer, if any.
	pub offer: Option<OfferView<AccountId, Balance, BlockNumber>>,
	/// Its open tasks.
	pub open_tasks: Vec<TaskId>,
}

/// Where a task is.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub enum TaskPhase<AccountId, Balance, BlockNumber> {
	/// Waiting for providers since `since`.
	Queued { since: BlockNumber },
	/// Assigned at `assigned_at`, answers due by `deadline`.
	Assigned {
		providers: Vec<Assignment<AccountId, Balance>>,
		assigned_at: BlockNumber,
		deadline: BlockNumber,
	},
	/// Completed with the agreed outcome.
	Completed {
		status: Status,
		output_hash: [u8; 32],
		fuel_used: u64,
		cost: Balance,
		settled_at: BlockNumber,
	},
	/// Ended without a result.
	Failed { reason: TaskFailure, settled_at: BlockNumber },
	/// Answered alone (replication 1), provisionally: the output is sealed to the requester
	/// (`TaskView::sealed`); the pay waits until `final_at`, and until then the requester may
	/// prove a bad delivery.
	Answered {
		provider: Assignment<AccountId, Balance>,
		status: Status,
		fuel_used: u64,
		answered_at: BlockNumber,
		final_at: BlockNumber,
	},
	/// A lone answer made final: the provider was paid; the output stays sealed to the
	/// requester.
	Delivered {
		provider: AccountId,
		status: Status,
		fuel_used: u64,
		cost: Balance,
		settled_at: BlockNumber,
	},
	/// A lone answer under audit since `audit_at`: `auditor` commits blind by `commit_until`,
	/// then both open by `deadline`; the answer's pay waits.
	Audited {
		provider: Assignment<AccountId, Balance>,
		status: Status,
		fuel_used: u64,
		answered_at: BlockNumber,
		auditor: Assignment<AccountId, Balance>,
		audit_at: BlockNumber,
		commit_until: BlockNumber,
		deadline: BlockNumber,
	},
	/// A lone answer whose audit found another outcome: a committee decides who was right.
	/// Until it is drawn, `committee` is empty and there are no windows; then each member
	/// commits blind by `commit_until` and opens by `deadline`. The answer's pay waits.
	Disputed {
		provider: Assignment<AccountId, Balance>,
		status: Status,
		fuel_used: u64,
		answered_at: BlockNumber,
		auditor: Assignment<AccountId, Balance>,
		committee: Vec<Assignment<AccountId, Balance>>,
		commit_until: Option<BlockNumber>,
		deadline: Option<BlockNumber>,
	},
}

/// One provider's answer so far.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct AnswerView<AccountId> {
	/// The provider.
	pub provider: AccountId,
	/// Whether it committed (replicated tasks).
	pub committed: bool,
	/// What it revealed or answered: status, output hash, fuel used.
	pub revealed: Option<(Status, [u8; 32], u64)>,
	/// Why it abstained, if it did.
	pub abstained: Option<crate::AbstainReason>,
}

/// A task, its answers and its result.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct TaskView<AccountId, Balance, BlockNumber> {
	/// Who submitted it.
	pub requester: AccountId,
	/// Its workload.
	pub workload: CodeHash,
	/// Its input length in bytes (the input is in the `Tasks` storage).
	pub input_len: u32,
	/// Fuel limit.
	pub fuel_limit: u64,
	/// Memory limit in MiB.
	pub max_memory_mib: u32,
	/// Highest price per million fuel.
	pub max_price: Balance,
	/// Providers asked for.
	pub replication: u32,
	/// Blocks to answer.
	pub timeout: BlockNumber,
	/// Still held from the requester.
	pub escrow: Balance,
	/// Where it is.
	pub phase: TaskPhase<AccountId, Balance, BlockNumber>,
	/// Answers so far (open tasks).
	pub answers: Vec<AnswerView<AccountId>>,
	/// Its output, once completed (until pruned); never for a lone answer (sealed instead).
	pub output: Option<Vec<u8>>,
	/// A lone answer's output, sealed to the requester's reply key (until pruned): open it with
	/// the key's secret and `digest` (`reply::open`).
	pub sealed: Option<Vec<u8>>,
	/// The task's digest while it is assigned, answered or sealed (until pruned).
	pub digest: Option<[u8; 32]>,
}

/// A job: its tiles' progress and what they cost so far.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct JobView<AccountId, Balance, BlockNumber> {
	/// Who submitted it.
	pub requester: AccountId,
	/// Its first tile's task id; the others follow.
	pub first_task: TaskId,
	/// How many tiles.
	pub tiles: u32,
	/// Tiles waiting for providers.
	pub waiting: u32,
	/// Tiles assigned, answered or under audit: not settled yet.
	pub running: u32,
	/// Tiles completed or delivered.
	pub done: u32,
	/// Tiles that ended without a result.
	pub failed: u32,
	/// Tiles already pruned (settled more than the retention period ago).
	pub pruned: u32,
	/// What the done tiles cost: their providers' pay (base fees and rent apart).
	pub cost: Balance,
	/// The rent per block it pays while tiles wait.
	pub rent: Balance,
	/// The last block its tiles are tried in; tiles waiting after it fail.
	pub wait_until: BlockNumber,
}

/// Would a task be assigned now, to whom, at what cost.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct QuoteView<AccountId, Balance> {
	/// Whether enough eligible providers are free now.
	pub assignable: bool,
	/// The eligible providers the draw would choose among, with their prices.
	pub candidates: Vec<Assignment<AccountId, Balance>>,
	/// What submitting it would hold: `ceil(k × fuel × max_price / 1e6)` + base fee (`None`:
	/// too large).
	pub escrow: Option<Balance>,
	/// The most it can cost at the candidates' own prices if every replica burns all its fuel
	/// (the `k` dearest candidates), plus the base fee; at replication 1 with an auditor at the
	/// task's maximum price (if audited).
	pub max_cost: Option<Balance>,
	/// The shortest timeout, in blocks, a task of this fuel and replication may ask for.
	pub min_timeout: u32,
}

// `quote` takes every parameter of a task that selection looks at.
#[allow(clippy::too_many_arguments)]
mod runtime_api {
	use super::*;
	polkadot_sdk::sp_api::decl_runtime_apis! {
		/// Read-only queries of the Bourse market.
		pub trait BourseApi<AccountId, Balance, BlockNumber>
		where
			AccountId: Codec,
			Balance: Codec,
			BlockNumber: Codec,
		{
			/// Offers with a free slot, cheapest first, at most `limit`.
			fn offers(limit: u32) -> Vec<OfferView<AccountId, Balance, BlockNumber>>;
			/// A provider, if `account` is one.
			fn provider(account: AccountId) -> Option<ProviderView<AccountId, Balance, BlockNumber>>;
			/// A task, if it exists (settled tasks are pruned after the retention period).
			fn task(task_id: TaskId) -> Option<TaskView<AccountId, Balance, BlockNumber>>;
			/// A job, if it exists (pruned with its last tile).
			fn job(job_id: JobId) -> Option<JobView<AccountId, Balance, BlockNumber>>;
			/// A quote for a task submitted now by `requester`.
			fn quote(
				fuel: u64,
				memory_mib: u32,
				replication: u32,
				max_price: Balance,
				min_reputation: Perbill,
				requester: AccountId,
			) -> QuoteView<AccountId, Balance>;
			/// The bytes an executor key signs for `statement` (an answer, commit, reveal or
			/// abstention) about an open task, naming its digest; clients sign these, never
			/// their own encoding. Empty if the task is not open.
			fn statement_payload(statement: Statement<AccountId>) -> Vec<u8>;
			/// The bytes `provider`'s executor key signs to lower its offer to `slots` now
			/// (`offers.limit_offer`); empty without an offer.
			fn limit_payload(provider: AccountId, slots: u32) -> Vec<u8>;
			/// The `owner` bytes an executor key proves possession for to be bound to
			/// `provider` (`author_rotateKeysWithOwner`, then `offers.register_provider` or
			/// `offers.rotate_executor`).
			fn executor_owner(provider: AccountId) -> Vec<u8>;
			/// What `provider` commits to for `revealed` with `salt` (replicated tasks), bound
			/// to the open task's digest; zeros if the task is not open.
			fn commitment(
				task_id: TaskId,
				provider: AccountId,
				revealed: Revealed,
				salt: [u8; 32],
			) -> [u8; 32];
		}
	}
}
pub use runtime_api::*;
