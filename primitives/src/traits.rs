//! Traits through which the Bourse pallets talk to each other. The runtime decides which
//! pallet implements each; no pallet names another pallet's storage.

use crate::api::AnswerView;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::{sp_arithmetic::Perbill, sp_weights::Weight};
use scale_info::TypeInfo;

/// How a provider's part in a settled task ended, as settlement judged it.
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
pub enum Verdict {
	/// Its outcome was the agreed (majority) outcome.
	Agreed,
	/// It revealed an outcome that lost the vote (it lied or computed wrongly), or committed and
	/// withheld its reveal.
	OutVoted,
	/// It gave no answer (slashed only when a quorum of the others answered in time).
	NoShow,
	/// It abstained: its node could not run the task within its means. Neither paid nor
	/// slashed.
	Abstained,
}

/// Providers' reputation, as other pallets see it.
pub trait ProviderReputation<AccountId> {
	/// The provider's current score, between 0 and 1.
	fn score(provider: &AccountId) -> Perbill;

	/// Records a settled task's verdict for the provider; `value` is what the task was worth
	/// (its escrow), so that important tasks weigh more.
	fn record(provider: &AccountId, verdict: Verdict, value: u128);

	/// The weight of one [`Self::score`] at its worst (the longest decay to apply), which
	/// callers add per score they read: their own benchmarks meet only fresh records.
	fn score_weight() -> Weight;

	/// The weight of one [`Self::record`] at its worst, likewise.
	fn record_weight() -> Weight;
}

/// What a task asks of the providers that will run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirements<AccountId, Balance> {
	/// How many distinct providers to assign (the task's replication).
	pub replication: u32,
	/// Fuel the task may burn: every provider's offer must allow at least this much.
	pub fuel: u64,
	/// Memory the task may use, in MiB: every provider's offer must allow at least this much.
	pub memory_mib: u32,
	/// Highest price per million fuel the requester accepts.
	pub max_price: Balance,
	/// Lowest reputation the requester accepts.
	pub min_reputation: Perbill,
	/// The requester, who is never assigned its own task.
	pub requester: AccountId,
	/// Others who may not be drawn (an audited provider is never its own auditor).
	pub excluded: alloc::vec::Vec<AccountId>,
	/// Draw even a single seat by bond × reputation, price only a filter: an auditor is
	/// chosen for trust, and cheapness must not buy the right to audit.
	pub by_stake: bool,
	/// Randomness for the weighted draw (the chain's randomness mixed with the task id).
	pub seed: [u8; 32],
	/// A confidential task's members: the providers its secret is sealed to, each with the
	/// encryption key it was sealed to (the first [`crate::confidential::MAX_MEMBERS`] count,
	/// each account once). When not empty, only they are drawn, each only while that key is
	/// live, by bond × reputation (price only a filter); nobody else, whoever is free: the draw
	/// never widens.
	pub only: alloc::vec::Vec<(AccountId, crate::reply::ReplyKey)>,
}

/// A provider chosen for a task, at the price of its offer when it was chosen.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Assignment<AccountId, Balance> {
	/// The provider's account (bond and payouts).
	pub provider: AccountId,
	/// Its price per million fuel, fixed for this task.
	pub price: Balance,
}

/// Why no providers were selected. Nothing is reserved when selection fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectionError {
	/// Fewer eligible providers with a free slot than the replication asks for.
	NotEnoughProviders,
}

/// The compute market as the task pallet sees it: choose providers, free their slots, slash
/// their bonds.
pub trait ProviderMarket<AccountId, Balance> {
	/// Chooses `replication` distinct eligible providers at random, weighted by bond ×
	/// reputation, and reserves one slot of each. Its cost is bounded by constants, not by the
	/// number of providers.
	fn select(
		requirements: &Requirements<AccountId, Balance>,
	) -> Result<alloc::vec::Vec<Assignment<AccountId, Balance>>, SelectionError>;

	/// The most weight [`Self::select`] can take for a task of `replication` seats, from the
	/// market's benchmarks.
	fn select_weight(replication: u32) -> Weight;

	/// The providers a task with `requirements` would be drawn from now, with their prices
	/// (what [`Self::select`] would choose among). Writes nothing; bounded as `select` is.
	fn candidates(
		requirements: &Requirements<AccountId, Balance>,
	) -> alloc::vec::Vec<Assignment<AccountId, Balance>>;

	/// Frees the slot a settled or cancelled task held.
	fn release(provider: &AccountId);

	/// Frees the slot of a task whose lone answer is now held, keeping its bond exposure: the
	/// provider's bond still covers a slash of the answer until [`Self::release_held`].
	fn hold(provider: &AccountId);

	/// Ends the bond exposure of a held answer (final, or judged).
	fn release_held(provider: &AccountId);

	/// How many of `provider`'s answers are held (for invariant checks).
	fn held_answers(provider: &AccountId) -> u32;

	/// Counts a settled task toward the provider's liveness: `answered` is false when its
	/// verdict was `NoShow` (it said nothing, or committed and never revealed while no quorum
	/// formed). Enough no-shows in a row take it out of selection until it is resumed.
	fn record_attendance(provider: &AccountId, answered: bool);

	/// Burns up to `amount` of the provider's bond (capped at the market's maximum slash) and
	/// returns what was burned. Never pays a counterparty. Settlement slashes only a provider
	/// whose slot it is about to release, so the bond keeps covering the slots still busy. Emits
	/// no event: the caller announces the slash with its reason.
	fn slash(provider: &AccountId, amount: Balance) -> Balance;
	/// Moves up to `amount` of the provider's bond to `to` (a committee paid out of the slash
	/// of the party it found wrong) and returns what moved. Counts toward the slash: the
	/// caller burns only the rest ([`Self::slash`]). Emits no event.
	fn forfeit(provider: &AccountId, amount: Balance, to: &AccountId) -> Balance;

	/// Whether `key` is one of `provider`'s live encryption keys now (its current key, or the
	/// one it replaced while that is still usable): a confidential task's secret may be sealed
	/// to it. Writes nothing.
	fn encryption_key_live(provider: &AccountId, key: &crate::reply::ReplyKey) -> bool;
}

/// Identifier of a task: sequential from 0.
pub type TaskId = u64;

/// Identifier of a job (many tasks of one workload submitted together): sequential from 0.
pub type JobId = u64;

/// Why a task ended without a result.
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
pub enum FailureReason {
	/// No outcome was revealed by a quorum (a strict majority of the assigned providers).
	NoConsensus,
	/// No provider gave a valid answer before the timeout.
	NoAnswer,
	/// The winning outcome's full output is not on chain (every reveal carries its output, so
	/// this only guards against an inconsistent state).
	OutputMissing,
	/// Nobody revealed an outcome and at least one provider abstained.
	Abstained,
}

/// Why a task ended without a result.
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
pub enum TaskFailure {
	/// Attestation found no result.
	Attestation(FailureReason),
	/// No provider took it: it waited in the queue longer than its timeout, or (not waiting,
	/// or the queue full of tasks paying as much) found nobody free at its assignment.
	NoProvider,
	/// Its requester cancelled it.
	Cancelled,
	/// It was queued, the queue was full, and a newcomer offered more rent for its place.
	Outbid,
	/// Its draw waited and the block of its later deadline was full. No longer given since
	/// spec 116 (deadline blocks have no limit); kept so that older tasks still decode.
	DeadlineFull,
	/// Its lone answer's box did not hold what the provider committed to (the requester proved
	/// it by showing the reply key's secret); the provider was slashed.
	BadDelivery,
	/// Its lone answer was audited and found wrong: the provider never opened its commitment
	/// (a withheld answer is treated as a lie), or a committee upheld another outcome; the
	/// provider was slashed.
	AuditFailed,
	/// Its lone answer was audited and the auditor found another outcome, and nobody decided
	/// who was right: neither slashed nor paid, the requester refunded. (Produced by spec 113
	/// only: since, a dispute goes to a committee, and one nobody settles delivers the answer
	/// with its pay burned.)
	AuditDisputed,
	/// Its lone answer was to be audited, and two auditors in turn abstained (they could not
	/// run it, or not with the executor version the provider declared): unpaid, unslashed.
	Unaudited,
}

/// The outcome replicas agreed on, as settlement needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreedOutcome {
	/// How the run ended.
	pub status: crate::Status,
	/// The full output (stdout).
	pub output: alloc::vec::Vec<u8>,
	/// Fuel the run burned.
	pub fuel_used: u64,
}

/// What attestation decided about a task: the result and each provider's verdict (`None` when
/// no verdict applies, as for revealers in a task without consensus).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision<AccountId> {
	/// The agreed outcome, or why there is none.
	pub result: Result<AgreedOutcome, FailureReason>,
	/// Each assigned provider's verdict, in assignment order.
	pub verdicts: alloc::vec::Vec<(AccountId, Option<Verdict>)>,
	/// The providers that revealed an outcome, whatever their verdict.
	pub revealed: alloc::vec::Vec<AccountId>,
	/// The providers that committed to an outcome (every reveal was committed first), whatever
	/// came of it: revealed, withheld, or kept out of the chain until the deadline.
	pub committed: alloc::vec::Vec<AccountId>,
}

/// A task's assignment, as attestation sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskAssignment<AccountId, BlockNumber> {
	/// Assigned providers, in order; the first one reveals the full output.
	pub providers: alloc::vec::Vec<AccountId>,
	/// Block of the assignment.
	pub assigned_at: BlockNumber,
	/// Last block at which answers are accepted; the task settles after it at the latest.
	pub deadline: BlockNumber,
	/// Last block at which a replicated task takes commitments (and abstentions): grows with
	/// the task's fuel, so an honest provider can always run it in time.
	pub commit_until: BlockNumber,
	/// Fuel limit of the task: no honest answer reports more.
	pub fuel_limit: u64,
	/// What the task is: blake2-256 of its workload, input hash, limits, timeout, requester,
	/// replication, assignment block and reply key (tasks submitted before spec 110 have none). Signed answers and commitments name it, so an answer
	/// never counts for another task that has the same id (on a sibling fork, or after a reorg).
	/// All zeros for a task assigned before digests were kept (spec < 104): its answers and
	/// commitments use the formats of then, so an upgrade loses no task in flight.
	pub digest: [u8; 32],
	/// The requester's reply key, to which a lone answer's output is sealed (none for tasks
	/// submitted before spec 110).
	pub reply_key: Option<crate::reply::ReplyKey>,
	/// The audit of a lone answer under way, if this is one: `providers` are then the audited
	/// provider and its auditor, `assigned_at` is still the answer's assignment (the run's
	/// seed), and the windows are the audit's.
	pub audit: Option<AuditRound<AccountId>>,
}

/// An audit of a lone answer, as attestation sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRound<AccountId> {
	/// The provider whose answer is audited.
	pub provider: AccountId,
	/// Its commitment ([`crate::SealedAnswer::commitment`]), which it opens.
	pub commitment: [u8; 32],
	/// What its answer said in the clear (status, fuel used, executor version): its opening
	/// must say the same, or it was paid for another run than the one it committed to.
	pub answered: (crate::Status, u64, u32),
	/// The auditor, who runs the task, commits blind, then opens.
	pub auditor: AccountId,
	/// The committee drawn when the two disagreed (empty until then): each member runs the
	/// task, commits blind, then opens, and the majority decides who was wrong.
	pub committee: alloc::vec::Vec<AccountId>,
}

/// Members of the committee that settles a disputed audit.
pub const COMMITTEE_SIZE: u32 = 3;

/// Whose outcome the committee of a disputed audit upheld.
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
pub enum Upheld {
	/// The audited provider's: the auditor was wrong.
	Provider,
	/// The auditor's: the provider was wrong.
	Auditor,
	/// An outcome neither of them opened: both were wrong.
	Neither,
	/// No outcome was opened by a majority of the committee: nobody is found wrong.
	NoMajority,
}

/// How a committee member's part in a disputed audit ended.
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
pub enum MemberPart {
	/// It opened the majority's outcome; its run used `fuel`.
	Majority { fuel: u64 },
	/// It opened an outcome no majority shares.
	Minority,
	/// It opened the majority's outcome with another witness: it or the majority did not run
	/// the task (two copies agreeing on a made-up witness can form a majority), so it is
	/// neither paid nor slashed.
	Unwitnessed,
	/// It committed and never opened.
	Withheld,
	/// It neither committed nor abstained.
	Silent,
	/// It abstained (its node could not run the task) before committing.
	Abstained,
}

/// What the committee of a disputed audit found, as attestation judged it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitteeJudgement<AccountId> {
	/// Whose outcome stands.
	pub upheld: Upheld,
	/// Each member's part, in the committee's order.
	pub members: alloc::vec::Vec<(AccountId, MemberPart)>,
	/// The first majority member, its run's status and fuel and its box (its output sealed to the
	/// requester under the round's digest), if a majority formed: what the requester gets
	/// when the provider was wrong.
	pub delivered: Option<(AccountId, crate::Status, u64, alloc::vec::Vec<u8>)>,
}

/// What an audit found, as attestation judged it; the task pallet settles by it.
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
pub enum AuditFinding {
	/// Both opened the same outcome: the answer is verified. The auditor used `fuel`.
	Agreed { fuel: u64 },
	/// Both opened outcomes of the same executor version that differ; the auditor's used
	/// `fuel`.
	Disagreed { fuel: u64 },
	/// Both opened, with different executor versions: not comparable. The auditor's run used
	/// `fuel`.
	NotComparable { fuel: u64 },
	/// The auditor never committed, nor abstained, in its window.
	AuditorSilent,
	/// The auditor abstained (its node could not run the task) before committing.
	AuditorAbstained,
	/// The auditor committed and the provider opened, but the auditor never opened.
	AuditorWithheld,
	/// The auditor opened (its run used `fuel`), the provider never did.
	ProviderWithheld { fuel: u64 },
	/// The auditor committed; neither opened.
	BothWithheld,
}

/// What a provider needs to run a task: the workload, its input and the task's limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskWork {
	/// blake2-256 of the code.
	pub code_hash: crate::CodeHash,
	/// The workload's Wasm code.
	pub code: alloc::vec::Vec<u8>,
	/// The task's input (stdin).
	pub input: alloc::vec::Vec<u8>,
	/// Fuel limit of the task.
	pub fuel_limit: u64,
	/// Memory limit of the task, in MiB.
	pub max_memory_mib: u32,
	/// A confidential task's: what the provider's node needs to open its seal and run its input
	/// ciphertext (`input`); `None` for a public task.
	pub confidential: Option<crate::sandbox::ConfidentialRun>,
}

/// Why [`TaskLedger::hold`] took no answer: the task is not an assigned task of replication 1
/// of that provider, or the box is longer than the chain keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoldRefused;

/// Tasks as attestation sees them (implemented by the task pallet): read an assignment, and
/// hand over a decision, which settles the task (payments, refunds, slashes, reputation).
pub trait TaskLedger<AccountId, BlockNumber> {
	/// The assignment of an assigned, unsettled task.
	fn assignment(task: TaskId) -> Option<TaskAssignment<AccountId, BlockNumber>>;

	/// The assigned, unsettled tasks of `provider` (at most its slots).
	fn open_tasks_of(provider: &AccountId) -> alloc::vec::Vec<TaskId>;

	/// What running an assigned task takes for `provider`: `None` if the task or its workload
	/// is gone, or it is confidential and `provider` is not one of its members.
	fn work(task: TaskId, provider: &AccountId) -> Option<TaskWork>;

	/// Settles an assigned task by `decision`; does nothing if it is not open.
	fn settle(task: TaskId, decision: Decision<AccountId>);

	/// Takes the lone answer of an assigned task of replication 1 from its provider, with the
	/// box `sealed` to the requester: the provider's pay and bond exposure are held until the
	/// answer is final. `Err` (nothing written) if the task is not such a task of `provider`, or
	/// the box is longer than the chain keeps.
	fn hold(
		task: TaskId,
		provider: &AccountId,
		answer: &crate::SealedAnswer,
		sealed: alloc::vec::Vec<u8>,
	) -> Result<(), HoldRefused>;

	/// What settling a task of `providers` providers costs beyond what the caller's own
	/// benchmarks meet: each provider's reputation recorded and read at its worst.
	fn settle_weight(providers: u32) -> Weight;

	/// Settles the audit under way of a lone answer by what attestation `found`; does nothing
	/// if the task is not being audited. Returns whether the audit goes on (a disagreement
	/// goes to a committee): attestation then keeps the audit's commitment and openings.
	fn settle_audit(task: TaskId, found: AuditFinding) -> bool;

	/// Settles the disputed audit of a lone answer by its committee's `judgement`; does
	/// nothing if no committee sits on the task.
	fn settle_committee(task: TaskId, judgement: CommitteeJudgement<AccountId>);

	/// What settling an audit costs beyond what the caller's own benchmarks meet (payments,
	/// slashes, reputation, or a replacement auditor's draw, at their worst).
	fn settle_audit_weight() -> Weight;

	/// What settling a committee's judgement costs beyond what the caller's own benchmarks
	/// meet, likewise.
	fn settle_committee_weight() -> Weight;
}

/// Attestation as the task pallet sees it (implemented by the attestation pallet). A task can be
/// cancelled only before any answer, so there is never anything of a cancelled task to forget.
pub trait TaskJudge<AccountId> {
	/// The task's deadline passed: decide from the answers so far (silence is a no-show) and
	/// forget them. Returns the decision and the weight deciding took beyond what deciding an
	/// unanswered task takes (the caller's timeout benchmark measures that part).
	fn decide(task: TaskId, providers: &[AccountId]) -> (Decision<AccountId>, Weight);

	/// Each provider's answer so far to an open task, in the order of `providers`.
	fn answers(task: TaskId, providers: &[AccountId]) -> alloc::vec::Vec<AnswerView<AccountId>>;

	/// Whether any provider has answered (committed or revealed) the task.
	fn answered(task: TaskId) -> bool;

	/// The deadline of the audit `audit` of `task` passed: what it found from the commitment
	/// and openings so far; forgets them. Returns the finding and the weight judging took.
	fn judge_audit(task: TaskId, audit: &AuditRound<AccountId>) -> (AuditFinding, Weight);

	/// The deadline of the committee of the disputed audit `audit` of `task` passed: what it
	/// found from its members' commitments and openings so far; forgets the audit's records.
	/// Returns the judgement and the weight judging took.
	fn judge_committee(
		task: TaskId,
		audit: &AuditRound<AccountId>,
	) -> (CommitteeJudgement<AccountId>, Weight);

	/// Forgets what attestation keeps of `task`'s answers (commitments, openings, abstentions),
	/// as a dispute that ends without a committee's judgement must.
	fn forget(task: TaskId);
}

/// Providers' executor keys, as attestation sees them.
pub trait ExecutorKeys<AccountId> {
	/// The hot key a provider's node answers tasks with.
	type ExecutorId;

	/// The executor key of `provider`, if it is a provider.
	fn executor_of(provider: &AccountId) -> Option<Self::ExecutorId>;

	/// The provider whose executor key is `executor`, if any.
	fn provider_of(executor: &Self::ExecutorId) -> Option<AccountId>;

	/// The slots of `provider`'s offer (0 without one): how many tasks its node may be given
	/// at once.
	fn offered_slots(provider: &AccountId) -> u32;
}

/// Whether this node authored the block its offchain worker is processing. The one home of why
/// the author of a block delays its answers: a transaction that depends on that block (its
/// assignment, its last commit), sent by its author as soon as it is imported, reaches peers
/// before the block does; they refuse it (stale task, reveals not open) and never take the same
/// transaction again. So the author waits `AuthorAnswerDelay` before answering.
pub trait LocalAuthorship {
	/// Offchain only (it reads the node's keystore; without one it panics): whether one of this
	/// node's keys authored the current block.
	fn authored_here() -> bool;
}

/// No authorship (tests, non-authoring setups): never defer.
impl LocalAuthorship for () {
	fn authored_here() -> bool {
		false
	}
}

/// Who authored the block being executed, as its consensus pre-digest says. The task pallet
/// draws assignments only in a block whose author did not also author its parent (its docs say
/// why).
pub trait BlockAuthor {
	/// This block's author.
	fn author() -> Authored;
}

/// The author of the block being executed, as [`BlockAuthor`] tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Authored {
	/// No pre-digest names one (genesis, tests, benchmarks): the block draws.
	Unknown,
	/// The only authority, which authors every block: the block draws (there is nobody to wait
	/// for, and a chain of one author trusts it anyway).
	Alone,
	/// The authority with this public key, with a VRF output for its slot.
	By([u8; 32]),
	/// The authority with this public key, in a block without a VRF output (a plain secondary
	/// slot, which the chain's epoch configuration refuses): its randomness would be the
	/// parent's hash alone, so it does not draw.
	WithoutVrf([u8; 32]),
}

/// No consensus digest (tests): every block draws.
impl BlockAuthor for () {
	fn author() -> Authored {
		Authored::Unknown
	}
}
