//! # Tasks pallet
//!
//! The demand side of the Bourse compute market: the workload registry, task submission with
//! escrow, assignment (at once or from a bounded queue), cancellation, and the money movement of
//! settlement. What a task's outcome is, attestation decides ([`TaskJudge`]); this pallet only
//! carries the decision out ([`TaskLedger::settle`]): one place moves money, in one direction.
//!
//! ## Workloads
//!
//! [`Pallet::upload_workload`] stores a WASI command module under its blake2-256 hash, taking a
//! [`Config::Consideration`] for its footprint from the uploader (in the runtime a deposit held
//! per workload and per byte, as pallet-preimage does). Identical code is stored once: uploading
//! it again is an error ([`Error::WorkloadExists`]), never a second deposit.
//! [`Pallet::remove_workload`] frees it and returns the deposit once no open task uses it.
//!
//! ## Tasks
//!
//! [`Pallet::submit_task`] holds `ceil(replication × fuel_limit × max_price / 1e6)` plus
//! [`Config::BaseFee`] from the requester. At the start of the **next** block the market draws
//! `replication` distinct providers for it (never the requester); if that block's author also
//! authored its parent, the draw waits for the first block by another author (see below). If
//! none are free the task fails, unless the requester offered a queue rent; a task that offered
//! none is refused at once when nobody is free as it is submitted.
//!
//! ## Assignment's randomness
//!
//! The draw is seeded by [`Config::Randomness`] of the block that assigns (in the runtime,
//! that block's BABE VRF output mixed with its parent's hash) mixed with the task's *entropy*:
//! its requester and the requester's account nonce, which no block author can vary. Neither is
//! the task id, whose order the including author chooses. The tasks submitted in one block are
//! assigned in the order of their seeds, not of their inclusion. So the author that includes a
//! task can neither steer its seed nor place its own tasks before it, and the assigning author
//! cannot compute a draw before the block it builds on is sealed; it can withhold its block
//! (another author's block then assigns with another output).
//!
//! An author of both a block and its parent would know the block's VRF output (BABE authors
//! learn theirs about an epoch ahead) while sealing the parent, and could grind the parent's
//! hash (its seal, timestamp and contents) into the draw it wants. So **a block whose author
//! also authored its parent draws nothing** ([`Pallet::may_draw`], [`Event::AssignmentDeferred`]):
//! the pending tasks and the queue wait for the first block by another author, which draws with
//! its own VRF output, unknown to the grinder. With four validators about one block in five
//! draws nothing (measured: 23 of 120), and a draw then waits a block (a slot, 3 s). The wait has no bound: only a sole authority (the dev chain)
//! draws in every block; a chain where one author makes every block (most authorities away, so
//! finality has stopped too) assigns nothing, and a pending task fails at the deadline it would
//! have had ([`TaskFailure::NoProvider`], refunded less the base fee, no rent). A task drawn
//! late keeps its whole timeout from its draw, or, if that deadline block is full, the place it
//! held since submission while the time left still covers its fuel. Queue rent runs by blocks,
//! so a queued task pays for the blocks that drew nothing too.
//!
//! What remains: two colluding validators (the author of a block tells the author of its parent
//! its VRF output) control the draw; and a primary-slot author may build on an older unfinalized
//! block (BABE's fork choice counts primary blocks), choosing among a few parents' hashes, or on
//! its own block to make the next draw wait. Assignment is at least one block later than the
//! submission: a slot (3 s) more latency.
//!
//! ## The queue
//!
//! A task that offered a rent of at least [`Config::MinQueueRent`] per block waits in a bounded
//! queue and is assigned as slots free: the queue's tasks are tried in turn, a few per block,
//! whatever they pay (rent buys a place, not priority), so each is tried within a turn of the
//! queue. Waiting costs the rent for every block waited, burned (a place in the
//! queue is what others then cannot have; burning it pays no one for keeping it full). The most
//! it can owe, the rent for its timeout plus the blocks a turn of the queue takes, is held on
//! top of the escrow while it waits; what it did not use comes back as it leaves. A queued
//! task that waited longer than its timeout fails at its next turn (if it still finds nobody
//! then) and is refunded, less its rent and the base fee. When the queue is full a newcomer offering at least a tenth more than the lowest rent
//! takes that task's place (the youngest of the lowest): the outbid task fails as if it had
//! expired. So filling the queue with tasks that can never run costs rent for every block and
//! every place, and never keeps out a task that pays more.
//!
//! ## Jobs
//!
//! A render is hundreds of tiles, a sweep thousands of runs: [`Pallet::submit_job`] submits up
//! to [`Config::MaxJobTiles`] tasks of one workload on shared terms ([`JobTerms`]) in one
//! transaction, each tile with its own input, reply key and audit coin ([`JobTile`]; two tiles
//! sharing a key or a seal are refused, so that nothing shown for one tells anything of
//! another). Every tile becomes a task at once, with consecutive ids, holding what a task
//! submitted alone would hold; the job holds a rent reserve ([`JobTerms::rent`] for its
//! `max_wait` and a turn of the queue) and a deposit for its record. One place in the bounded
//! job queue ([`JobQueue`], [`Config::MaxQueuedJobs`]) stands for all its tiles: from the next
//! block that draws, after the audits have drawn their auditors, at most
//! [`Config::JobTriesPerBlock`] tiles are tried per block, job after job in turn (the jobs
//! tried go to the back), each assigning its next tiles, in order, until one finds nobody free.
//! A tile's draw is seeded by its job's entropy and its offset, never by its id, and the jobs
//! submitted since the last draw trade places by their seeds, so the includer orders none of
//! them. A job's wait is its own ([`JobTerms::max_wait`], up to [`Config::MaxTimeout`]), apart
//! from each tile's answer timeout, which starts at the tile's assignment. Once every tile is
//! assigned the job leaves the queue ([`Event::JobLeftQueue`]), its rent burned for the blocks
//! it held its place. It also leaves it, *closing*, when its wait runs out, when a newcomer
//! outbids it (a full queue takes a job only in place of the lowest rent among those that
//! assigned nothing yet, if it offers a tenth more: squatting the queue costs rent and never
//! keeps out a job that pays more, and a running job is never cut short), or when its
//! requester cancels it ([`Pallet::cancel_job`], at least a turn of rent); its waiting tiles
//! then fail over the next blocks, at most [`Config::JobClosesPerBlock`] a block
//! ([`ClosingJobs`]), refunded less their base fee, while its assigned tiles run on. Each tile
//! lives as any task; [`Pallet::job_view`] counts them by phase. A job's record is pruned with
//! its last tile.
//!
//! ## Storage deposits
//!
//! A task's stored bytes are paid for by a deposit held from its requester
//! ([`HoldReason::TaskStorage`]): [`Config::TaskDepositBase`] per item and
//! [`Config::TaskDepositPerByte`] per byte. While a task is open it covers the task and its
//! input plus one largest output per provider (what attestation may store for it); at
//! settlement it shrinks to the task, its input and its output (the input alone if it failed);
//! pruning returns it. Pruning keeps up with the most submissions a block can carry (checked by
//! the pallet's integrity test). The task's fixed-size records beside it (its reply key, its
//! digest while assigned or while it keeps a lone answer's box) are covered by the task item's
//! base, as its own fixed fields are; a lone answer's box counts as its output, at most
//! [`Config::MaxSealedSize`] bytes.
//!
//! ## Reply keys
//!
//! Every task names a one-time X25519 public key of its requester, its *reply key*
//! ([`TaskExtra::reply_key`], part of the task's digest): a lone answer's output is sealed to it
//! (`bourse_primitives::reply`), so that only the requester reads it. Keys of small order, to
//! which nothing can be sealed, and keys not in their canonical encoding are refused
//! ([`Error::UnusableReplyKey`]). The CLI and the
//! scripts make a fresh key per task and keep its secret.
//!
//! ## Lone answers: held, then final
//!
//! A task of replication 1 is answered once ([`TaskLedger::hold`], from attestation): the run's
//! status and fuel, a commitment to the whole outcome, and a box holding the output and the
//! commitment's salt sealed to the reply key ([`SealedOutputs`]). The answer is **held**
//! ([`TaskState::Answered`], [`Event::AnswerHeld`]) for [`Config::VerificationWindow`] blocks:
//! the escrow stays held; the provider's slot is free again but its bond stays exposed (the
//! market counts held answers against the bond: it cannot leave, nor take work its free bond
//! does not cover). Then it is **final** ([`TaskState::Delivered`], [`Event::TaskDelivered`]):
//! the provider is paid for the fuel it used at its price, the rest is refunded, the base fee
//! burned; no reputation is recorded (nobody checked the answer). Answers become final in the
//! order they were held, at most [`Config::FinalizePerBlock`] a block ([`HeldQueue`]); the rest
//! wait a block, still held. The requester may make it final sooner
//! ([`Pallet::accept_answer`]), or prove within the window that the box does not hold what the
//! provider committed to ([`Pallet::claim_bad_delivery`]): the provider is slashed
//! [`Config::Slash`] and recorded out-voted, the requester refunded less the base fee, the
//! task fails [`TaskFailure::BadDelivery`]; a false claim costs [`Config::FalseClaimFee`].
//! A claim cannot catch junk sealed and committed consistently: that takes re-execution.
//!
//! ## Audits
//!
//! A lone task carries its requester's [`AuditTerms`] ([`TaskExtra::coin`]): the seal of a secret
//! coin. The requester's client shows the secret ([`Pallet::show_audit_coin`]) once the answer
//! is final on chain; the answer is audited when the coin is below [`Pallet::audit_rate`]
//! (the most of [`Config::AuditRate`], the requester's rate, and the rate that deters a lie
//! worth the task's most pay). A coin never shown means an audit. The escrow holds an
//! auditor's seat (`fuel_limit × max_price`), refunded when nobody audits. When the answer's
//! window closes, in a block that draws, at most [`AUDIT_STARTS_PER_BLOCK`] a block, an
//! auditor is drawn by bond × reputation (never the provider nor the requester; the market's
//! `by_stake` draw) and the task is [`TaskState::Audited`]: the auditor runs it and commits
//! blind, then both open (attestation decides, [`TaskLedger::settle_audit`] carries out its
//! [`AuditFinding`]; the table is in the README). Nobody free to audit: the start waits a
//! window, [`AUDIT_START_TRIES`] times at most, then the answer is final unverified
//! ([`Event::AuditSkipped`]). A silent or abstaining auditor is replaced once (never drawn
//! again for that answer).
//!
//! ## Disputes
//!
//! An audit whose parties opened different outcomes ([`AuditFinding::Disagreed`]) slashes
//! nobody on the other's word: it goes to a committee of [`COMMITTEE_SIZE`] ([`Disputes`]).
//! The auditor's slot is freed, its bond stays exposed. The committee is drawn in the block a
//! window after the audit's deadline ([`CommitteeDraws`]: fixed when the audit started, so no
//! party steers the draw by when its opening lands), or the next that draws; by bond ×
//! reputation from every offer that fits the task's fuel and memory ([`Pallet::checkers`]),
//! never the provider, the auditor nor the requester. Its members commit blind and open with a
//! witness of the output (attestation judges: [`TaskLedger::settle_committee`]). The outcome a
//! majority opened with the same witness stands ([`Upheld`]): whom it found wrong is slashed
//! [`Config::Slash`] and out-voted, and pays the majority for its runs out of that slash (each
//! at most an equal share of half of it; the rest is burned); the provider upheld is paid and
//! verified; found wrong, the requester is refunded and gets the committee's output instead,
//! the box of the majority's first member (the task is delivered by that member at no cost). No
//! majority, or no committee drawn in [`AUDIT_START_TRIES`] tries ([`Event::CommitteeSkipped`]):
//! nobody is slashed for the dispute, the answer is final unverified, and the requester pays for
//! it, burned rather than paid ([`Event::UnsettledPayBurned`]). The README has the table.
//!
//! The timeout must cover the task's fuel: [`Pallet::windows`] derives the commit window and the
//! shortest timeout from it and [`Config::FuelPerBlock`], so a task an honest provider can run
//! always fits. Answers are due by `assigned_at + timeout` (sooner only for a task drawn late
//! into a full deadline block before spec 116); the task settles as soon as attestation has
//! nothing left to wait for, or at its deadline's settlement (the block after it, or later if
//! a burst of deadlines is carried over: no answer is taken after the deadline either way),
//! never reassigned. Winners are paid
//! `ceil(fuel_used × own price / 1e6)` out of the
//! escrow, the requester gets the rest back, the base fee is burned. Out-voted providers (a lie,
//! or a withheld reveal) lose [`Config::Slash`] of their bond, providers silent while a quorum
//! answered lose [`Config::NoShowSlash`], both burned by the market: never paid to the
//! requester, so no requester profits from a failure. Abstaining costs no bond.
//!
//! A requester may cancel a task while it is queued: the base fee and its rent are burned (at
//! least a turn of the queue's), the rest comes back; while it waits for its first draw, only
//! the base fee. Once assigned, a task runs to its outcome or its timeout: its providers start
//! at once, and cancelling would buy their work for a fee (and let a block author read an
//! answer in the pool, then cancel).
//!
//! **Inputs are public**, and so are the outputs of replicated tasks: everyone can read them on
//! chain. A lone answer's output is on chain only sealed. Settled tasks and their outputs (or
//! boxes) are pruned [`Config::Retention`] blocks after settlement.
//!
//! ## Confidential tasks
//!
//! [`Pallet::submit_confidential_task`] takes an input encrypted under a task secret the
//! requester drew, the hash of that secret, and the *members* the secret is sealed to
//! ([`ConfidentialTerms`], kept in [`Confidential`] until the task is pruned): hidden from all
//! but the members and the requester (`bourse_primitives::confidential` has the construction).
//! The draw asks the market for members only ([`Requirements::only`]), each while the key its
//! seal was made for is live, and never widens. A member's node opens its seal and runs the
//! plaintext ([`TaskWork::confidential`]); the output is encrypted deterministically, so the
//! members' ciphertexts agree and the chain compares and keeps ciphertext only.
//!
//! The members are the requester's choice, so any verdict among them could be aimed (sybils
//! out-voting an honest member, or denying it a quorum). Nothing of a confidential task moves a
//! bond or a reputation: no audit coin (its lone answer is final after its window), so no
//! auditor or committee; no slash for the vote or for silence; no reputation evidence and no
//! attendance record. Every member that revealed or answered alone is paid its seat,
//! `fuel_limit × its price`, whatever the vote; one that only committed is paid when the task
//! has a result (a reveal kept out of the chain still showed the requester the output), never
//! for no result ([`Decision::revealed`], [`Decision::committed`]). A false box ([`Pallet::claim_bad_delivery`]) is
//! still slashed: anyone can check it. The timeout is the shortest the fuel allows, so a seat
//! held by a withheld reveal is held briefly. What the chain promises is privacy and agreement
//! among the members, not verification.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use bourse_primitives::api::{JobView, QuoteView, TaskPhase, TaskView};
pub use bourse_primitives::traits::{
	AgreedOutcome, Assignment, AuditFinding, AuditRound, Authored, BlockAuthor, CommitteeJudgement,
	Decision, FailureReason, HoldRefused, MemberPart, ProviderMarket, ProviderReputation,
	Requirements, TaskAssignment, TaskFailure, TaskId, TaskJudge, TaskLedger, TaskWork, Upheld,
	Verdict,
};
pub use bourse_primitives::{
	is_valid_replication, reply::ReplyKey, traits::JobId, AuditTerms, CodeHash, Status,
};
pub use pallet::*;
use polkadot_sdk::polkadot_sdk_frame as frame;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
pub use benchmarking::BenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

/// Fuel per unit of price: prices are per million fuel.
pub const FUEL_PER_PRICE_UNIT: u128 = 1_000_000;
/// Domain separation of task digests ([`Pallet::digest`]).
pub const TASK_DIGEST_CONTEXT: &[u8] = b"bourse/task";
/// Domain separation of assignment seeds ([`Pallet::entropy`], [`Pallet::seed`]).
pub const TASK_ENTROPY_CONTEXT: &[u8] = b"bourse/assignment";
/// Domain separation of an audit draw's entropy (the task and which auditor it draws).
const AUDIT_ENTROPY_CONTEXT: &[u8] = b"bourse/audit-draw";
/// Domain separation of a dispute committee's draw entropy.
const COMMITTEE_ENTROPY_CONTEXT: &[u8] = b"bourse/committee-draw";
pub use bourse_primitives::traits::COMMITTEE_SIZE;
/// Blocks a dispute's committee draw tries, from the first it may take, before the dispute
/// ends without one.
const AUDIT_DEADLINE_TRIES: u32 = 8;
/// Audits started per block at most (each draws an auditor); the rest wait a block, held.
pub const AUDIT_STARTS_PER_BLOCK: u32 = 8;
/// Times an audit's start may find no auditor free and wait another
/// verification window before the answer is final unverified.
pub const AUDIT_START_TRIES: u8 = 3;
/// Blocks the audited provider and its auditor have to open their commitments after the
/// auditor's commits close: opening needs no compute, so this only covers a lost transaction
/// or a slow node.
pub const OPEN_WINDOW: u32 = 10;

/// A bug planted for the fuzzer to find (`bourse-fuzzer`'s own test): armed, a queued task's
/// cancellation skips its refund, leaving its escrow held for a task that no longer exists.
/// Compiled only with the test-only `planted-bug` feature, and disarmed unless a test arms it on
/// its own thread.
#[cfg(feature = "planted-bug")]
pub mod planted {
	std::thread_local! {
		static ARMED: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
	}

	/// Arms (or disarms) the bug on this thread.
	pub fn arm(on: bool) {
		ARMED.with(|armed| armed.set(on));
	}

	/// Whether the bug is armed on this thread.
	pub fn armed() -> bool {
		ARMED.with(|armed| armed.get())
	}
}

/// The pallet. `submit_task` takes every parameter of a task as its own argument, as users
/// see them in wallets.
#[allow(clippy::too_many_arguments)]
#[frame::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame::{
		arithmetic::Perbill,
		prelude::*,
		token::{fungible, tokens::Restriction, Fortitude, Precision},
		traits::{Consideration, Footprint},
	};
	use fungible::MutateHold;

	/// A balance of the pallet's currency.
	pub type BalanceOf<T> = <<T as Config>::Currency as fungible::Inspect<
		<T as frame_system::Config>::AccountId,
	>>::Balance;

	/// A stored workload's metadata.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	)]
	pub struct Workload<AccountId, Ticket> {
		/// Who uploaded it and holds its deposit.
		pub owner: AccountId,
		/// What the owner gave for storing it (its deposit), returned on removal.
		pub ticket: Ticket,
		/// Code size in bytes.
		pub len: u32,
		/// Open (queued or assigned) tasks that use it.
		pub open_tasks: u32,
	}

	/// Where a task is in its life.
	#[derive(
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		TypeInfo,
	)]
	#[scale_info(skip_type_params(T))]
	#[codec(mel_bound())]
	pub enum TaskState<T: Config> {
		/// Waiting for free providers since block `since`.
		Queued { since: BlockNumberFor<T> },
		/// Assigned to `providers` at `assigned_at`; answers are due by `deadline`.
		Assigned {
			providers: BoundedVec<Assignment<T::AccountId, BalanceOf<T>>, T::MaxReplication>,
			assigned_at: BlockNumberFor<T>,
			deadline: BlockNumberFor<T>,
		},
		/// Done: the agreed outcome (output in [`Outputs`]) and what it cost the requester.
		Completed {
			status: Status,
			output_hash: [u8; 32],
			fuel_used: u64,
			cost: BalanceOf<T>,
			settled_at: BlockNumberFor<T>,
		},
		/// Ended without a result; the requester was refunded.
		Failed { reason: TaskFailure, settled_at: BlockNumberFor<T> },
		/// Answered alone (replication 1) at `answered_at`, held until `final_at`: the output is
		/// sealed to the requester ([`SealedOutputs`], opened with `max_output`); the
		/// provider's pay (still in the escrow) and its bond exposure wait, and meanwhile the
		/// requester may prove a bad delivery ([`Pallet::claim_bad_delivery`]) or accept it
		/// ([`Pallet::accept_answer`]).
		Answered {
			provider: Assignment<T::AccountId, BalanceOf<T>>,
			status: Status,
			fuel_used: u64,
			executor_version: u32,
			commitment: [u8; 32],
			proof: [u8; 32],
			max_output: u32,
			assigned_at: BlockNumberFor<T>,
			answered_at: BlockNumberFor<T>,
			final_at: BlockNumberFor<T>,
		},
		/// A lone answer made final: its provider was paid `cost`; the output stays sealed
		/// ([`SealedOutputs`], opened with `max_output`) until pruned.
		Delivered {
			provider: T::AccountId,
			status: Status,
			fuel_used: u64,
			commitment: [u8; 32],
			max_output: u32,
			cost: BalanceOf<T>,
			settled_at: BlockNumberFor<T>,
		},
		/// A lone answer under audit since `audit_at`: `auditor` runs the task (with the seed
		/// of its assignment at `assigned_at`) and commits blind by `commit_until`, then both
		/// open their commitments by `deadline` ([`Pallet::settle_audit`] settles it). The
		/// answer's fields are as they were held; the provider's pay and exposure still wait.
		/// `replaced` once a silent or abstaining auditor was replaced (never twice).
		Audited {
			provider: Assignment<T::AccountId, BalanceOf<T>>,
			status: Status,
			fuel_used: u64,
			executor_version: u32,
			commitment: [u8; 32],
			proof: [u8; 32],
			max_output: u32,
			assigned_at: BlockNumberFor<T>,
			answered_at: BlockNumberFor<T>,
			auditor: Assignment<T::AccountId, BalanceOf<T>>,
			audit_at: BlockNumberFor<T>,
			commit_until: BlockNumberFor<T>,
			deadline: BlockNumberFor<T>,
			replaced: bool,
		},
	}

	impl<T: Config> TaskState<T> {
		/// The audit under way, as attestation sees it, if this is one (its committee, if a
		/// dispute has one, is [`Disputes`]': [`Pallet::audit_round`] adds it).
		fn first_round(&self) -> Option<AuditRound<T::AccountId>> {
			let TaskState::Audited {
				provider,
				commitment,
				auditor,
				status,
				fuel_used,
				executor_version,
				..
			} = self
			else {
				return None;
			};
			Some(AuditRound {
				provider: provider.provider.clone(),
				commitment: *commitment,
				answered: (*status, *fuel_used, *executor_version),
				auditor: auditor.provider.clone(),
				committee: Vec::new(),
			})
		}
	}

	/// A lone task's audit coin: the requester's terms, and whether the coin was shown and
	/// said to audit (the audit then starts when the answer's window closes, as it does when
	/// the coin was never shown).
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	)]
	pub struct AuditCoin<AccountId> {
		/// What the requester gave at submission.
		pub terms: AuditTerms,
		/// The coin's secret, once shown (it said to audit): it seeds the auditor's draw, so
		/// that not even the author of the drawing block could foresee it when the answer was
		/// given.
		pub secret: Option<[u8; 32]>,
		/// Auditors drawn before who stayed silent or abstained (the second is the last).
		pub replaced: u8,
		/// Audit starts that found no auditor free and waited another
		/// window (after [`AUDIT_START_TRIES`], the answer is final unverified).
		pub tries: u8,
		/// The auditor replaced, never drawn again for this answer.
		pub previous: Option<AccountId>,
	}

	/// What a task carries beside its record, written with it at submission in one item (so
	/// that a job's tile costs two writes): the requester's reply key, the storage deposit
	/// still held for the task, and a lone task's audit coin.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	)]
	pub struct TaskExtra<AccountId, Balance> {
		/// The one-time X25519 public key a lone answer's output is sealed to; part of the
		/// task's digest.
		pub reply_key: ReplyKey,
		/// The storage deposit held for the task until it is pruned.
		pub deposit: Balance,
		/// A lone task's audit coin ([`AuditCoin`]), from submission until its answer is final
		/// unaudited (the coin said no, or the requester accepted the answer) or its audit
		/// starts.
		pub coin: Option<AuditCoin<AccountId>>,
	}

	/// The most members a confidential task's secret is sealed to.
	pub const MAX_MEMBERS: u32 = bourse_primitives::confidential::MAX_MEMBERS as u32;

	/// A member of a confidential task: a provider its secret is sealed to.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	)]
	pub struct Member<AccountId> {
		/// The provider.
		pub provider: AccountId,
		/// Its encryption key the secret is sealed to (`Offers.EncryptionKeys`): it must be live
		/// at submission and at the draw.
		pub key: ReplyKey,
		/// The task's secret sealed to `key` ([`bourse_primitives::confidential::seal_secret`]).
		pub seal: bourse_primitives::confidential::SealedSecret,
	}

	/// A confidential task's members, as its call takes them: at most [`MAX_MEMBERS`].
	pub type BoundedMembers<T> =
		BoundedVec<Member<<T as frame_system::Config>::AccountId>, ConstU32<MAX_MEMBERS>>;

	/// What makes a task confidential (see the module docs, "Confidential tasks"): the hash of
	/// its secret, which binds its input and seals, and its members.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	)]
	pub struct ConfidentialTerms<AccountId> {
		/// [`bourse_primitives::confidential::secret_hash`] of the task's secret.
		pub secret_hash: [u8; 32],
		/// The providers its secret is sealed to, the only ones it is drawn from.
		pub members: BoundedVec<Member<AccountId>, ConstU32<MAX_MEMBERS>>,
	}

	impl<AccountId: Clone> ConfidentialTerms<AccountId> {
		/// The members as a draw asks for them: each account with the key it was sealed to.
		pub fn only(&self) -> Vec<(AccountId, ReplyKey)> {
			self.members.iter().map(|m| (m.provider.clone(), m.key)).collect()
		}

		/// The seal of `provider`, if it is a member.
		pub fn seal_of(
			&self,
			provider: &AccountId,
		) -> Option<&bourse_primitives::confidential::SealedSecret>
		where
			AccountId: PartialEq,
		{
			self.members.iter().find(|m| m.provider == *provider).map(|m| &m.seal)
		}
	}

	impl<AccountId> AuditCoin<AccountId> {
		/// The coin of a task just submitted with `terms`: not shown, no audit tried.
		pub fn new(terms: AuditTerms) -> Self {
			Self { terms, secret: None, replaced: 0, tries: 0, previous: None }
		}
	}

	/// How a lone answer made final is paid for ([`Pallet::deliver`]).
	#[derive(Clone, Copy, Debug, PartialEq, Eq)]
	pub(crate) enum Delivery {
		/// Paid to its provider; an audit verified it: the provider earns reputation.
		Verified,
		/// Paid to its provider; nobody checked it.
		Unverified,
		/// Paid by the requester but burned: a dispute nobody settled.
		PayBurned,
	}

	/// A disputed audit: the provider and the auditor opened different outcomes of the same
	/// executor version. Their openings stay with attestation; a committee of
	/// [`COMMITTEE_SIZE`] members, drawn by bond × reputation from neither of them, runs the
	/// task and decides who was wrong (see the module docs, "Disputes").
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	)]
	pub struct Dispute<AccountId, Balance> {
		/// The committee, once drawn (empty while the draw waits).
		pub committee: BoundedVec<Assignment<AccountId, Balance>, ConstU32<COMMITTEE_SIZE>>,
		/// Draws that found too few members free and waited another
		/// window (after [`AUDIT_START_TRIES`], the dispute ends unsettled).
		pub tries: u8,
	}

	/// A task waiting in the queue, with what it pays for waiting.
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
	pub struct QueuedTask<Balance> {
		/// The task.
		pub task_id: TaskId,
		/// Rent per block waited, burned as it leaves the queue.
		pub rent: Balance,
		/// Held in its escrow for the rent: the most it can owe (the rent for its timeout and a
		/// turn of the queue, at submission).
		pub reserve: Balance,
		/// What seeds its draws with the assigning block's randomness: its requester and the
		/// requester's nonce ([`Pallet::entropy`]), which no block author can vary.
		pub entropy: [u8; 32],
	}

	/// What every tile of a job shares ([`Pallet::submit_job`]): a task's limits, price,
	/// replication, floor and timeout, with the job's queue rent and how long it may wait.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
	pub struct JobTerms<Balance, BlockNumber> {
		/// Most fuel one run of a tile may burn.
		pub fuel_limit: u64,
		/// Most memory one run may use, in MiB.
		pub max_memory_mib: u32,
		/// Highest price per million fuel the requester pays.
		pub max_price_per_mfuel: Balance,
		/// Providers that run each tile (odd).
		pub replication: u32,
		/// Lowest reputation of its providers.
		pub min_reputation: Perbill,
		/// Blocks a tile's providers have to answer, from its assignment.
		pub timeout: BlockNumber,
		/// Rent per block the job pays for its place in the job queue, while a tile waits.
		pub rent: Balance,
		/// Blocks its tiles may wait for providers; a tile still waiting then fails
		/// ([`TaskFailure::NoProvider`], refunded).
		pub max_wait: BlockNumber,
	}

	/// One tile of a job: its input and what its requester sealed for it alone (a shown coin
	/// or an opened box tells nothing of another tile).
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
	pub struct JobTile {
		/// Its input (stdin). Public.
		pub input: Vec<u8>,
		/// Its one-time reply key (see the module docs, "Reply keys"): distinct per tile.
		pub reply_key: ReplyKey,
		/// Its audit coin's terms (replication 1 only, and required then): distinct seals.
		pub audit: Option<AuditTerms>,
	}

	/// A job: tasks `first_task .. first_task + tiles`, submitted together, waiting in the job
	/// queue until each tile has been assigned (or failed), then kept as the record of the
	/// job until its last tile is pruned.
	#[derive(
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		TypeInfo,
	)]
	#[scale_info(skip_type_params(T))]
	#[codec(mel_bound())]
	pub struct Job<T: Config> {
		/// Who submitted it.
		pub requester: T::AccountId,
		/// Its first tile's task id; the others follow.
		pub first_task: TaskId,
		/// How many tiles.
		pub tiles: u32,
		/// Tiles that left the queue (assigned, or failed as it closed), in order: the next is
		/// `first_task + assigned`.
		pub assigned: u32,
		/// Rent per block while it holds a place in the job queue.
		pub rent: BalanceOf<T>,
		/// Held (in [`HoldReason::TaskEscrow`], beside its tiles' escrows) for its rent, until
		/// it leaves the job queue.
		pub reserve: BalanceOf<T>,
		/// Not tried yet: the jobs submitted since the last draw are tried in the order of
		/// their seeds, not of their inclusion.
		pub fresh: bool,
		/// Why its tiles still waiting fail, once it left the job queue without them (its wait
		/// ran out, it was outbid or cancelled): they fail a few per block ([`ClosingJobs`]).
		pub closing: Option<TaskFailure>,
		/// When it was submitted.
		pub since: BlockNumberFor<T>,
		/// The last block in which its tiles are tried; tiles still waiting after it fail.
		pub wait_until: BlockNumberFor<T>,
		/// Seeds its tiles' draws with the assigning block's randomness and the tile's offset.
		pub entropy: [u8; 32],
		/// The storage deposit of its record, held until its last tile is pruned.
		pub deposit: BalanceOf<T>,
	}

	/// The most jobs queued and closing together: twice [`Config::MaxQueuedJobs`].
	pub struct ClosingBound<T>(core::marker::PhantomData<T>);

	impl<T: Config> Get<u32> for ClosingBound<T> {
		fn get() -> u32 {
			T::MaxQueuedJobs::get().saturating_mul(2)
		}
	}

	/// A task.
	#[derive(
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		TypeInfo,
	)]
	#[scale_info(skip_type_params(T))]
	#[codec(mel_bound())]
	pub struct Task<T: Config> {
		/// Who submitted it and pays for it.
		pub requester: T::AccountId,
		/// The workload it runs.
		pub workload: CodeHash,
		/// Its input (stdin). Public.
		pub input: BoundedVec<u8, T::MaxInputSize>,
		/// Most fuel one run may burn.
		pub fuel_limit: u64,
		/// Most memory one run may use, in MiB.
		pub max_memory_mib: u32,
		/// Highest price per million fuel the requester pays.
		pub max_price: BalanceOf<T>,
		/// Providers that run it.
		pub replication: u32,
		/// Lowest reputation of its providers.
		pub min_reputation: Perbill,
		/// Blocks it may wait in the queue, and blocks its providers have to answer.
		pub timeout: BlockNumberFor<T>,
		/// Held from the requester and not yet paid out or refunded.
		pub escrow: BalanceOf<T>,
		/// Where it is in its life.
		pub state: TaskState<T>,
	}

	/// The seeds of one block's draws: the block's randomness is derived at the first draw,
	/// once, and mixed with each task's entropy ([`Pallet::seed`]).
	pub struct Seeds<T: Config>(Option<T::Hash>);

	impl<T: Config> Seeds<T> {
		/// No draw yet.
		pub fn new() -> Self {
			Self(None)
		}

		/// The seed of a draw for a task of `entropy`.
		pub fn of(&mut self, entropy: &[u8; 32]) -> [u8; 32] {
			let randomness = *self.0.get_or_insert_with(Pallet::<T>::block_randomness);
			Pallet::<T>::seed(&randomness, entropy)
		}

		/// Whether the block's randomness was derived (something was drawn).
		pub fn derived(&self) -> bool {
			self.0.is_some()
		}
	}

	impl<T: Config> Default for Seeds<T> {
		fn default() -> Self {
			Self::new()
		}
	}

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency of escrows and deposits.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::Mutate<Self::AccountId>;

		/// The runtime's hold reasons, of which [`HoldReason`] is one part.
		type RuntimeHoldReason: From<HoldReason>;

		/// The providers' market: selection, slots, slashing.
		type Market: ProviderMarket<Self::AccountId, BalanceOf<Self>>;

		/// Where verdicts are recorded.
		type Reputation: ProviderReputation<Self::AccountId>;

		/// This block's randomness, which the authors of earlier blocks cannot know (in the
		/// runtime, the block's own BABE VRF output): it seeds assignment.
		type Randomness: frame::traits::Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Who authored this block: a block whose author also authored its parent draws
		/// nothing ([`Pallet::may_draw`]).
		type BlockAuthor: BlockAuthor;

		/// Who decides the outcome of a task.
		type Judge: TaskJudge<Self::AccountId>;

		/// Largest workload, in bytes.
		#[pallet::constant]
		type MaxCodeSize: Get<u32>;

		/// What storing a workload costs its owner while it is stored, by footprint (one item,
		/// its code's bytes): in the runtime, a deposit held for
		/// [`HoldReason::WorkloadDeposit`].
		type Consideration: Consideration<Self::AccountId, Footprint>;

		/// Largest task input, in bytes.
		#[pallet::constant]
		type MaxInputSize: Get<u32>;

		/// Largest task output, in bytes (a sandbox limit, the same on every node).
		#[pallet::constant]
		type MaxOutputSize: Get<u32>;

		/// Largest box of a lone answer's output, in bytes: what sealing the largest output
		/// makes (`bourse_primitives::reply::max_sealed_len`; the integrity test checks it).
		#[pallet::constant]
		type MaxSealedSize: Get<u32>;

		/// Blocks a lone answer is held before it is final: the requester's time to open its
		/// box and prove a bad delivery.
		#[pallet::constant]
		type VerificationWindow: Get<BlockNumberFor<Self>>;

		/// What a bad-delivery claim that proves nothing (the box held what the provider
		/// committed to) costs its requester, burned.
		#[pallet::constant]
		type FalseClaimFee: Get<BalanceOf<Self>>;

		/// The least probability that a lone answer is audited (see the module docs, "Audits");
		/// a requester may ask for more, and a valuable task gets more.
		#[pallet::constant]
		type AuditRate: Get<Perbill>;

		/// Held answers made final per block at most; the rest wait for the next block (none is
		/// lost: each stays held, and claimable, until its turn).
		#[pallet::constant]
		type FinalizePerBlock: Get<u32>;

		/// Most memory a task may ask for, in MiB.
		#[pallet::constant]
		type MaxMemoryMib: Get<u32>;

		/// Most providers per task (odd).
		#[pallet::constant]
		type MaxReplication: Get<u32>;

		/// Shortest timeout, in blocks: enough to execute, commit and reveal.
		#[pallet::constant]
		type MinTimeout: Get<BlockNumberFor<Self>>;

		/// Longest timeout, in blocks.
		#[pallet::constant]
		type MaxTimeout: Get<BlockNumberFor<Self>>;

		/// Fee per task on top of the fuel escrow: burned at settlement and at cancellation.
		#[pallet::constant]
		type BaseFee: Get<BalanceOf<Self>>;

		/// Fuel an honest provider surely burns within one block time: the windows of a task
		/// (when commits close, the shortest timeout) grow with its fuel from it
		/// ([`Pallet::windows`]).
		#[pallet::constant]
		type FuelPerBlock: Get<u64>;

		/// Bond slashed from a provider that lost the vote or withheld its reveal.
		#[pallet::constant]
		type Slash: Get<BalanceOf<Self>>;

		/// Bond slashed from a provider that stayed silent while a quorum answered in time:
		/// less than [`Config::Slash`], since silence is not a lie.
		#[pallet::constant]
		type NoShowSlash: Get<BalanceOf<Self>>;

		/// Most tasks waiting in the queue.
		#[pallet::constant]
		type MaxQueued: Get<u32>;

		/// The least rent per block a task may offer to wait in the queue.
		#[pallet::constant]
		type MinQueueRent: Get<BalanceOf<Self>>;

		/// Deposit per stored item of a task (the task, each output), held while it is kept.
		#[pallet::constant]
		type TaskDepositBase: Get<BalanceOf<Self>>;

		/// Deposit per stored byte of a task (its input, its outputs), held while it is kept.
		#[pallet::constant]
		type TaskDepositPerByte: Get<BalanceOf<Self>>;

		/// Queued tasks tried per block.
		#[pallet::constant]
		type AssignPerBlock: Get<u32>;

		/// Most tasks waiting for their first draw: those submitted in one block (drawn at the
		/// start of the next), or in several when a block's author also authored its parent
		/// and the draw waited.
		#[pallet::constant]
		type MaxPending: Get<u32>;

		/// The share of a block's weight that settling deadlines may take. Deadlines falling due
		/// beyond it carry over to the next block, in order ([`TimeoutCursor`]): any number of
		/// tasks may share a deadline block.
		#[pallet::constant]
		type DeadlineShare: Get<Perbill>;

		/// Most tiles of one job ([`Pallet::submit_job`]); a block's weight and length bound
		/// how many jobs it carries.
		#[pallet::constant]
		type MaxJobTiles: Get<u32>;

		/// Most jobs waiting in the job queue.
		#[pallet::constant]
		type MaxQueuedJobs: Get<u32>;

		/// Job tiles tried per block at most (a selection each): the job queue's share of a
		/// block.
		#[pallet::constant]
		type JobTriesPerBlock: Get<u32>;

		/// Waiting tiles of closing jobs (their wait ran out, outbid or cancelled) failed and
		/// refunded per block at most.
		#[pallet::constant]
		type JobClosesPerBlock: Get<u32>;

		/// Blocks a settled task is kept before it is pruned.
		#[pallet::constant]
		type Retention: Get<BlockNumberFor<Self>>;

		/// Settled tasks pruned per block at most.
		#[pallet::constant]
		type PrunePerBlock: Get<u32>;

		/// Weights of this pallet's calls and hooks, from its benchmarks.
		type WeightInfo: WeightInfo;

		/// Makes providers for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Deposit for a stored workload.
		WorkloadDeposit,
		/// Escrow of a task: the most it can cost, with its queue rent while it waits.
		TaskEscrow,
		/// Deposit for a task's stored bytes, held until it is pruned.
		TaskStorage,
	}

	/// The storage layout's version: 1 added queue rent to [`Queue`], 2 its tasks' entropy, 3
	/// deadlines without a limit per block ([`Timeouts`]), 4 each task's extras in one entry
	/// ([`TaskExtras`]).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(4);

	/// Stored workloads' metadata, by code hash.
	#[pallet::storage]
	pub type Workloads<T: Config> =
		StorageMap<_, Identity, CodeHash, Workload<T::AccountId, T::Consideration>, OptionQuery>;

	/// Stored workloads' code, by code hash.
	#[pallet::storage]
	pub type Code<T: Config> =
		StorageMap<_, Identity, CodeHash, BoundedVec<u8, T::MaxCodeSize>, OptionQuery>;

	/// Tasks by id, until pruned.
	#[pallet::storage]
	pub type Tasks<T: Config> = StorageMap<_, Twox64Concat, TaskId, Task<T>, OptionQuery>;

	/// Assigned, unsettled tasks by provider: how a provider's node finds its work without
	/// scanning all tasks. At most a provider's slots per provider.
	#[pallet::storage]
	pub type ProviderTasks<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, TaskId, (), OptionQuery>;

	/// The digest of each assigned, unsettled task ([`TaskAssignment::digest`]), computed once
	/// at assignment.
	#[pallet::storage]
	pub type Digests<T: Config> = StorageMap<_, Twox64Concat, TaskId, [u8; 32], OptionQuery>;

	/// Outputs of completed tasks, until pruned. Public.
	#[pallet::storage]
	pub type Outputs<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, BoundedVec<u8, T::MaxOutputSize>, OptionQuery>;

	/// The id of the next task.
	#[pallet::storage]
	pub type NextTaskId<T: Config> = StorageValue<_, TaskId, ValueQuery>;

	/// The lowest task id that may not be pruned yet.
	#[pallet::storage]
	pub type PruneCursor<T: Config> = StorageValue<_, TaskId, ValueQuery>;

	/// Tasks waiting for providers, in the order they are tried next.
	#[pallet::storage]
	pub type Queue<T: Config> =
		StorageValue<_, BoundedVec<QueuedTask<BalanceOf<T>>, T::MaxQueued>, ValueQuery>;

	/// Tasks waiting for their first draw: submitted in this block, drawn at the start of the
	/// next block that draws ([`Pallet::may_draw`]; a `rent` of zero: the task fails if nobody
	/// is free then). The deadline blocks they would have if the next block drew are held in
	/// [`Timeouts`] already.
	#[pallet::storage]
	pub type Pending<T: Config> =
		StorageValue<_, BoundedVec<QueuedTask<BalanceOf<T>>, T::MaxPending>, ValueQuery>;

	/// Each task's reply key, audit coin and storage deposit ([`TaskExtra`]), from submission
	/// until the task is pruned. (Tasks submitted before spec 119 keep theirs in the legacy
	/// maps `ReplyKeys`, `AuditCoins` and `TaskDeposits`, never written for a new task and
	/// emptied by pruning.)
	#[pallet::storage]
	pub type TaskExtras<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, TaskExtra<T::AccountId, BalanceOf<T>>, OptionQuery>;

	/// The first task that keeps its extras in [`TaskExtras`]: the tasks before it were
	/// submitted before spec 119 and keep them in the legacy maps (set by the upgrade to
	/// storage version 4; zero on a chain that started with [`TaskExtras`]).
	#[pallet::storage]
	pub type ExtrasSince<T: Config> = StorageValue<_, TaskId, ValueQuery>;

	/// Legacy: the reply key of each task submitted before spec 119 ([`TaskExtras`] holds the
	/// later ones'). Never written; emptied as those tasks are pruned. (Tasks submitted before
	/// spec 110 have none.)
	#[pallet::storage]
	#[pallet::storage_prefix = "ReplyKeys"]
	pub(crate) type LegacyReplyKeys<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, ReplyKey, OptionQuery>;

	/// Each lone answer's output sealed to its requester's reply key (the box the provider
	/// made: `bourse_primitives::reply`), from the answer until the task is pruned. Only the
	/// requester can open it.
	#[pallet::storage]
	pub type SealedOutputs<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, BoundedVec<u8, T::MaxSealedSize>, OptionQuery>;

	/// Legacy: the audit coin of each lone task submitted before spec 119 ([`TaskExtras`] holds
	/// the later ones'); updated as those coins are, and removed when an audit starts, when
	/// the coin says no audit, or when its task is pruned (a task closing leaves it). Never
	/// written for a new task.
	#[pallet::storage]
	#[pallet::storage_prefix = "AuditCoins"]
	pub(crate) type LegacyAuditCoins<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, AuditCoin<T::AccountId>, OptionQuery>;

	/// The audits under way of each provider's lone answers: how the audited provider's node
	/// finds the audits it must open its commitment to (its slot is not busy with them). At
	/// most its held answers.
	#[pallet::storage]
	pub type AuditedAnswers<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, TaskId, (), OptionQuery>;

	/// The disputed audits ([`Dispute`]): from the audit's disagreement until its committee
	/// judges, or none could be drawn. At most the held answers.
	#[pallet::storage]
	pub type Disputes<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, Dispute<T::AccountId, BalanceOf<T>>, OptionQuery>;

	/// The disputes whose committee each block draws (or, if it does not draw, passes on to
	/// the next): at most [`AUDIT_STARTS_PER_BLOCK`] a block. A map of its own, so that no
	/// burst of task deadlines can crowd a dispute out of its draw.
	#[pallet::storage]
	pub type CommitteeDraws<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<TaskId, ConstU32<AUDIT_STARTS_PER_BLOCK>>,
		ValueQuery,
	>;

	/// Lone answers held in their verification window, with the block each becomes final, in
	/// that order, under sequential positions from [`HeldRange`]'s first to its end. An entry
	/// whose task is no longer held (accepted, or judged on a claim) is dropped when the cursor
	/// reaches it.
	#[pallet::storage]
	pub type HeldQueue<T: Config> =
		StorageMap<_, Twox64Concat, u64, (TaskId, BlockNumberFor<T>), OptionQuery>;

	/// The first position of [`HeldQueue`] and the position after its last.
	#[pallet::storage]
	pub type HeldRange<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

	/// Jobs ([`Job`]), from submission until their last tile is pruned.
	#[pallet::storage]
	pub type Jobs<T: Config> = StorageMap<_, Twox64Concat, JobId, Job<T>, OptionQuery>;

	/// The id the next job gets.
	#[pallet::storage]
	pub type NextJobId<T: Config> = StorageValue<_, JobId, ValueQuery>;

	/// Jobs with tiles waiting for providers, in the order they are tried next (round robin).
	#[pallet::storage]
	pub type JobQueue<T: Config> = StorageValue<_, BoundedVec<JobId, T::MaxQueuedJobs>, ValueQuery>;

	/// Jobs that left the job queue with tiles still waiting, whose tiles fail (refunded) at
	/// most [`Config::JobClosesPerBlock`] a block, in this order. Queued and closing jobs
	/// together are at most [`ClosingBound`], so a queued job always finds room here.
	#[pallet::storage]
	pub type ClosingJobs<T: Config> =
		StorageValue<_, BoundedVec<JobId, ClosingBound<T>>, ValueQuery>;

	/// Each job by its last tile: pruning that tile prunes the job's record.
	#[pallet::storage]
	pub type JobEnds<T: Config> = StorageMap<_, Twox64Concat, TaskId, JobId, OptionQuery>;

	/// Confidential tasks' terms ([`ConfidentialTerms`]: the hash of the secret and the
	/// members it is sealed to), from submission until the task is pruned, under the task's
	/// storage deposit. A task without an entry is public.
	#[pallet::storage]
	pub type Confidential<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, ConfidentialTerms<T::AccountId>, OptionQuery>;

	/// The previous block's author, if it had a VRF output ([`Pallet::may_draw`]).
	#[pallet::storage]
	pub type LastAuthor<T: Config> = StorageValue<_, [u8; 32], OptionQuery>;

	/// Legacy: the storage deposit held for each task submitted before spec 119
	/// ([`TaskExtras`] holds the later ones'), until it is pruned. Never written for a new task.
	#[pallet::storage]
	#[pallet::storage_prefix = "TaskDeposits"]
	pub(crate) type LegacyTaskDeposits<T: Config> =
		StorageMap<_, Twox64Concat, TaskId, BalanceOf<T>, OptionQuery>;

	/// Assigned tasks whose deadline passes at the end of the previous block, by the block that
	/// settles them (and pending tasks, by the block that would settle them if drawn in the block
	/// after their submission). No limit per block: each entry is a task's, under its deposit,
	/// and blocks settle them within their [`Config::DeadlineShare`], carrying the rest over.
	#[pallet::storage]
	pub type Timeouts<T: Config> =
		StorageDoubleMap<_, Twox64Concat, BlockNumberFor<T>, Twox64Concat, TaskId, (), OptionQuery>;

	/// The first block of [`Timeouts`] that may still hold entries: every earlier one is
	/// settled. At most the current block, unless a burst of deadlines is being carried over.
	#[pallet::storage]
	pub type TimeoutCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A workload of `len` bytes was stored under `hash` for `owner` (its deposit shows as
		/// the currency's hold event).
		WorkloadUploaded { hash: CodeHash, owner: T::AccountId, len: u32 },
		/// A workload was removed and its deposit returned.
		WorkloadRemoved { hash: CodeHash },
		/// A task was submitted, with `escrow` and a storage `deposit` held from the requester;
		/// the next block that draws assigns it (`TaskAssigned`), queues it or fails it.
		TaskSubmitted {
			task_id: TaskId,
			requester: T::AccountId,
			workload: CodeHash,
			escrow: BalanceOf<T>,
			deposit: BalanceOf<T>,
		},
		/// A task was assigned to `providers`; answers are due by `deadline`.
		TaskAssigned { task_id: TaskId, providers: Vec<T::AccountId>, deadline: BlockNumberFor<T> },
		/// No provider was free: the task waits in the queue, paying `rent` per block.
		TaskQueued { task_id: TaskId, rent: BalanceOf<T> },
		/// A task left the queue and `amount` of rent was burned for its wait.
		QueueRentBurned { task_id: TaskId, amount: BalanceOf<T> },
		/// `provider` answered a task alone: its output is sealed to the requester
		/// ([`SealedOutputs`]); the answer is final at `final_at` unless the requester proves
		/// a bad delivery first.
		AnswerHeld {
			task_id: TaskId,
			provider: T::AccountId,
			fuel_used: u64,
			final_at: BlockNumberFor<T>,
		},
		/// A held answer became final: `provider` was paid `cost` by the requester.
		TaskDelivered {
			task_id: TaskId,
			provider: T::AccountId,
			fuel_used: u64,
			cost: BalanceOf<T>,
		},
		/// The requester showed its task's audit coin: the answer is `audited` when its window
		/// closes, or final then unaudited.
		AuditCoinShown { task_id: TaskId, audited: bool },
		/// `auditor` was drawn to audit the lone answer of a task: it commits blind by
		/// `commit_until`, and both it and the provider open by `deadline`.
		AuditStarted {
			task_id: TaskId,
			auditor: T::AccountId,
			commit_until: BlockNumberFor<T>,
			deadline: BlockNumberFor<T>,
		},
		/// An audit ended with what attestation `found` (the payments, slashes and the task's
		/// end follow as their own events).
		AuditEnded { task_id: TaskId, auditor: T::AccountId, found: AuditFinding },
		/// No auditor could be drawn (nobody else free and eligible): the
		/// answer is final unverified.
		AuditSkipped { task_id: TaskId },
		/// The audit found another outcome than the answer's: a committee is drawn in block
		/// `draw_at` (fixed by the audit's deadline), or the next block that draws.
		AuditDisputed { task_id: TaskId, draw_at: BlockNumberFor<T> },
		/// A committee was drawn to settle a disputed audit: each member commits blind by
		/// `commit_until`, then opens by `deadline`.
		CommitteeDrawn {
			task_id: TaskId,
			members: Vec<T::AccountId>,
			commit_until: BlockNumberFor<T>,
			deadline: BlockNumberFor<T>,
		},
		/// No committee could be drawn for a disputed audit (too few free and eligible,
		/// [`AUDIT_START_TRIES`] times): nobody is found wrong.
		CommitteeSkipped { task_id: TaskId },
		/// A committee judged a disputed audit: whose outcome it `upheld` (the payments,
		/// slashes and the task's end follow as their own events).
		CommitteeJudged { task_id: TaskId, upheld: Upheld },
		/// A dispute nobody settled (no committee drawn, or no majority): the lone answer is final
		/// unverified, and the requester's `amount` for it was burned, not paid to its provider
		/// (neither party profits from an unsettled dispute; the requester, who holds the
		/// output, gets no free work).
		UnsettledPayBurned { task_id: TaskId, amount: BalanceOf<T> },
		/// A committee `member` that upheld the right outcome was paid `amount` for its run out
		/// of the bond of `from`, whom it found wrong (part of `from`'s slash, not burned).
		CommitteePaid {
			task_id: TaskId,
			member: T::AccountId,
			from: T::AccountId,
			amount: BalanceOf<T>,
		},
		/// A requester's bad-delivery claim proved nothing (the box held what the provider
		/// committed to): `fee` of the requester's was burned; the answer stands.
		FalseDeliveryClaim { task_id: TaskId, requester: T::AccountId, fee: BalanceOf<T> },
		/// A task completed with an agreed outcome; the requester paid `cost`.
		TaskCompleted { task_id: TaskId, output_hash: [u8; 32], fuel_used: u64, cost: BalanceOf<T> },
		/// A task ended without a result; the requester was refunded.
		TaskFailed { task_id: TaskId, reason: TaskFailure },
		/// A provider was paid for a task.
		ProviderPaid { task_id: TaskId, provider: T::AccountId, amount: BalanceOf<T> },
		/// A provider lost bond for a task: burned, but for what paid the committee that found
		/// it wrong ([`Event::CommitteePaid`] events before this one).
		ProviderSlashed { task_id: TaskId, provider: T::AccountId, amount: BalanceOf<T> },
		/// `refund` went back to the requester of a settled task.
		Refunded { task_id: TaskId, requester: T::AccountId, refund: BalanceOf<T> },
		/// A settled task and its output were pruned.
		TaskPruned { task_id: TaskId },
		/// This block drew no assignments: its author also authored the parent block. The
		/// `waiting` tasks (pending and queued) are drawn by the next block that draws.
		AssignmentDeferred { waiting: u32 },
		/// A job of `tiles` tasks, `first_task` and the ids after it, was submitted, with
		/// `escrow` (its tiles' and its rent reserve) and a storage `deposit` held from the
		/// requester; its tiles wait in the job queue and are assigned as slots free.
		JobSubmitted {
			job_id: JobId,
			requester: T::AccountId,
			workload: CodeHash,
			first_task: TaskId,
			tiles: u32,
			escrow: BalanceOf<T>,
			deposit: BalanceOf<T>,
		},
		/// A job gave up its place in the job queue, and `rent` was burned for the blocks it
		/// held it: every tile assigned, or, `closing`, its waiting tiles fail for that reason
		/// over the next blocks (its wait ran out, it was outbid or cancelled).
		JobLeftQueue { job_id: JobId, rent: BalanceOf<T>, closing: Option<TaskFailure> },
		/// A job's record was pruned with its last tile, and its deposit returned.
		JobPruned { job_id: JobId },
		/// The task just submitted (`TaskSubmitted`) is confidential: its secret (of hash
		/// `secret_hash`) is sealed to `members`, the only providers it is drawn from.
		ConfidentialTaskSubmitted {
			task_id: TaskId,
			secret_hash: [u8; 32],
			members: Vec<T::AccountId>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The code is larger than the largest workload.
		WorkloadTooLarge,
		/// The code is not a WebAssembly module (magic and version).
		NotWasm,
		/// This code is already stored: use its hash.
		WorkloadExists,
		/// No workload has this hash.
		UnknownWorkload,
		/// Only the uploader may remove a workload.
		NotWorkloadOwner,
		/// Open tasks still use the workload.
		WorkloadInUse,
		/// The input is empty.
		EmptyInput,
		/// The input is larger than the largest input.
		InputTooLarge,
		/// The fuel limit must not be zero.
		ZeroFuel,
		/// The memory limit must not be zero.
		ZeroMemory,
		/// The memory limit is above the most a task may ask for.
		MemoryTooLarge,
		/// The maximum price must not be zero.
		ZeroPrice,
		/// Replication must be odd, at least 1 and at most the maximum.
		InvalidReplication,
		/// The timeout is shorter than the task's fuel needs (see `Pallet::windows`; the quote
		/// says `min_timeout`) or than the shortest timeout.
		TimeoutTooShort,
		/// The timeout is longer than the longest timeout.
		TimeoutTooLong,
		/// The escrow does not fit in a balance.
		EscrowOverflow,
		/// The requester's free balance cannot cover the escrow or deposit.
		InsufficientBalance,
		/// Not enough eligible providers are free (the task offered no queue rent): check fuel,
		/// memory and price against the offers.
		NoProviderAvailable,
		/// The queue is full and the task's rent does not outbid the lowest by a tenth: offer
		/// more or try again later.
		QueueFull,
		/// The queue rent is below the least a queued task pays per block.
		QueueRentTooLow,
		/// The most submissions a draw takes wait for it already: submit again after the next
		/// draw, or offer queue rent.
		SubmissionsFull,
		/// The reply key is an X25519 key of small order (nothing can be sealed to it) or not in
		/// its canonical encoding. Use the public key of a fresh secret (the CLI and
		/// `scripts/lib/reply.mjs` make one).
		UnusableReplyKey,
		/// No task has this id.
		UnknownTask,
		/// Only the requester may cancel a task.
		NotRequester,
		/// The task is no longer queued (assigned or settled): it runs to its outcome or timeout.
		NotCancellable,
		/// The task has no lone answer held in its verification window.
		NotAnswered,
		/// The answer's verification window has closed: the answer is final.
		WindowClosed,
		/// The secret is not that of the task's reply key.
		WrongSecret,
		/// A task of replication 1 needs audit terms (the seal of its audit coin).
		AuditTermsMissing,
		/// Only tasks of replication 1 are audited: replicated tasks take no audit terms.
		AuditTermsNotAlone,
		/// The task has no audit coin left to show: it was shown already, or the answer was
		/// accepted.
		NoAuditCoin,
		/// The secret is not the one the task's audit coin was sealed with.
		WrongCoin,
		/// The answer is being audited: wait for the audit's end.
		BeingAudited,
		/// The answer's audit is disputed and a committee is settling it: wait for its
		/// judgement (which slashes a provider whose answer it finds wrong).
		Disputed,
		/// A job has no tiles.
		NoTiles,
		/// A job has more tiles than [`Config::MaxJobTiles`].
		TooManyTiles,
		/// Two tiles of a job share a reply key or an audit seal: each tile needs its own, so
		/// that nothing shown for one tells anything of another.
		SharedTileSecret,
		/// A job's `max_wait` is zero or longer than [`Config::MaxTimeout`].
		InvalidWait,
		/// The job queue is full ([`Config::MaxQueuedJobs`]) and the job's rent does not outbid
		/// (by a tenth) the lowest rent there: try again when a job leaves it.
		JobQueueFull,
		/// Too many jobs are closing (their waiting tiles failing a few per block): try again
		/// in a few blocks.
		JobsClosingFull,
		/// No such job.
		UnknownJob,
		/// The task is a job's tile: cancel the job ([`Pallet::cancel_job`]).
		TileOfJob,
		/// A confidential task names fewer members than its replication: every seat is drawn
		/// from them.
		TooFewMembers,
		/// A confidential task names a provider twice.
		DuplicateMember,
		/// A confidential task names its requester as a member: nobody runs its own task.
		RequesterIsMember,
		/// A member's key is not one of its live encryption keys (`Offers.EncryptionKeys`: its
		/// current key, or the one it replaced within the grace period): seal to the key the
		/// chain shows now.
		MemberKeyNotLive,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let timeouts = Self::settle_deadlines(now);
			let mut seeds = Seeds::new();
			let draws = Self::may_draw();
			// Disputes' committees due now: drawn, or passed on to the next block.
			let committees = CommitteeDraws::<T>::take(now);
			for task_id in committees.iter().copied() {
				let Some(task) = Tasks::<T>::get(task_id) else { continue };
				if draws {
					Self::draw_committee(task_id, task, &mut seeds);
				} else {
					Self::await_committee(task_id, task, now.saturating_add(One::one()));
				}
			}
			// The queue first: its tasks waited longer. The tasks submitted since the last draw
			// take what is left; those that then wait go to the back of the queue.
			let (attempts, (fresh, moved)) = if draws {
				(Self::assign_queued(now, &mut seeds), Self::assign_pending(now, &mut seeds))
			} else {
				Self::defer_draws();
				(0, (0, 0))
			};
			let (finalized, audits) = Self::finalize_due(now, draws, &mut seeds);
			// Jobs after the audits, so that the auditors are drawn before a job takes the
			// freed slots.
			let (tiles, left, jobs_read) =
				if draws { Self::assign_jobs(now, &mut seeds) } else { (0, 0, 0) };
			let (closed, jobs_closed) = Self::close_jobs();
			let (pruned, legacy) = Self::prune(now);
			let randomness =
				if seeds.derived() { T::WeightInfo::block_randomness() } else { Weight::zero() };
			timeouts
				// The benchmark measures the deferring path (the most reads); a drawing block
				// writes its author instead.
				.saturating_add(T::WeightInfo::draw_rule())
				.saturating_add(T::DbWeight::get().writes(1))
				.saturating_add(randomness)
				// A submitted task is assigned or, nobody free, queued in place of another (or
				// failed): the costlier.
				.saturating_add(
					T::WeightInfo::on_initialize_pending(fresh)
						.max(T::WeightInfo::on_initialize_pending_queued(fresh)),
				)
				.saturating_add(Self::queued_selection_weight().saturating_mul(fresh.into()))
				// A late draw moves the task's deadline place: two entries written (the
				// benchmarks draw in the next block, where it stays).
				.saturating_add(T::DbWeight::get().writes(2).saturating_mul(moved.into()))
				// A tried task is assigned or, expired, refunded: the costlier.
				.saturating_add(
					T::WeightInfo::on_initialize_queue(attempts)
						.max(T::WeightInfo::on_initialize_queue_expired(attempts)),
				)
				.saturating_add(Self::queued_selection_weight().saturating_mul(attempts.into()))
				// Each tile tried is of a job of its own at worst, which leaves the queue (the
				// benchmark's case); or a job with no tile tried closes. (The selections are the
				// market's benchmarks.)
				.saturating_add(T::WeightInfo::on_initialize_jobs(tiles.max(left)))
				// Every queued job's record is read and written back (a job record is small:
				// the database's weights).
				.saturating_add(T::DbWeight::get().reads_writes(1, 1).saturating_mul(jobs_read.into()))
				.saturating_add(Self::queued_selection_weight().saturating_mul(tiles.into()))
				// Each tile failed is of a closing job of its own at worst, which is done.
				.saturating_add(T::WeightInfo::on_initialize_job_closes(closed.max(jobs_closed)))
				// Each pruned tile may end its job: the record's two entries and its deposit.
				.saturating_add(T::WeightInfo::on_initialize_prune(pruned))
				.saturating_add(T::DbWeight::get().reads_writes(3, 4).saturating_mul(pruned.into()))
				// The benchmark prunes tasks with extras: a legacy task removes two more.
				.saturating_add(T::DbWeight::get().writes(2).saturating_mul(legacy.into()))
				.saturating_add(T::WeightInfo::on_initialize_finalize(finalized))
				// A legacy task's coin and deposit are two entries, not one (both values read
				// by `prune` already).
				.saturating_add(T::DbWeight::get().reads(u64::from(
					PruneCursor::<T>::get() < ExtrasSince::<T>::get(),
				)).saturating_mul(finalized.into()))
				// Each provider's score read at its worst as its exposure is released.
				.saturating_add(T::Reputation::score_weight().saturating_mul(finalized.into()))
				// An audit started draws an auditor (its selection from the market's benchmarks)
				// instead of paying the provider.
				.saturating_add(T::WeightInfo::on_initialize_audits(audits))
				.saturating_add(T::Market::select_weight(1).saturating_mul(audits.into()))
				// The disputes due: their committees drawn (the selections from the market's
				// benchmarks), or passed on (a block that does not draw: cheaper); a last try
				// that draws nobody makes the answer final instead (as a held answer is).
				.saturating_add(T::WeightInfo::on_initialize_committees(committees.len() as u32))
				.saturating_add(
					T::Market::select_weight(COMMITTEE_SIZE)
						.saturating_add(T::WeightInfo::on_initialize_finalize(1))
						.saturating_mul(committees.len() as u64),
				)
		}

		fn integrity_test() {
			let max = T::MaxReplication::get();
			assert!(is_valid_replication(max, max), "MaxReplication must be odd");
			// Every submission fits in an extrinsic, in time and in proof size.
			let limits = <T as frame_system::Config>::BlockWeights::get();
			if let Some(most) = limits.get(DispatchClass::Normal).max_extrinsic {
				for k in (1..=max).step_by(2) {
					let weight = Self::submit_weight(k);
					assert!(
						weight.all_lte(most),
						"a submission of k = {k} ({weight}) does not fit"
					);
				}
				// A job of the most tiles fits too (its bytes are the block length's to bound).
				let job = T::WeightInfo::submit_job(T::MaxJobTiles::get());
				assert!(job.all_lte(most), "a job of MaxJobTiles ({job}) does not fit");
			}
			assert!(T::MaxJobTiles::get() > 0, "MaxJobTiles must not be zero");
			assert!(T::MaxQueuedJobs::get() > 0, "MaxQueuedJobs must not be zero");
			assert!(T::JobTriesPerBlock::get() > 0, "JobTriesPerBlock must not be zero");
			assert!(T::JobClosesPerBlock::get() > 0, "JobClosesPerBlock must not be zero");
			assert!(!T::MinTimeout::get().is_zero(), "MinTimeout must not be zero");
			assert!(T::MinTimeout::get() <= T::MaxTimeout::get(), "MinTimeout above MaxTimeout");
			assert!(T::AssignPerBlock::get() > 0, "AssignPerBlock must not be zero");
			assert!(
				T::NoShowSlash::get() <= T::Slash::get(),
				"silence must cost no more than a lie"
			);
			assert!(!T::MinQueueRent::get().is_zero(), "MinQueueRent must not be zero");
			assert_eq!(
				T::MaxSealedSize::get() as usize,
				bourse_primitives::reply::max_sealed_len(T::MaxOutputSize::get() as usize),
				"MaxSealedSize must be the box of the largest output"
			);
			assert!(T::FinalizePerBlock::get() > 0, "FinalizePerBlock must not be zero");
			assert!(!T::VerificationWindow::get().is_zero(), "VerificationWindow must not be zero");
			// Every submission leaves a task to prune: pruning must keep up with the most
			// submissions one block's weight allows, and the job tiles a block assigns or
			// closes (a job's tiles settle no faster), or settled tasks pile up.
			let block = T::BlockWeights::get().max_block.ref_time();
			let submission = Self::submit_weight(1).ref_time().max(1);
			let settled = (block / submission)
				.saturating_add(T::JobTriesPerBlock::get().into())
				.saturating_add(T::JobClosesPerBlock::get().into());
			assert!(
				u64::from(T::PrunePerBlock::get()) >= settled,
				"PrunePerBlock ({}) is below the {} tasks a block can settle",
				T::PrunePerBlock::get(),
				settled,
			);
			// Nor may a block's weight allow more submissions than the next block assigns.
			assert!(
				u64::from(T::MaxPending::get()) >= block / submission,
				"MaxPending ({}) is below the {} submissions a block can carry",
				T::MaxPending::get(),
				block / submission,
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), frame::try_runtime::TryRuntimeError> {
			Self::do_try_state().map_err(Into::into)
		}
	}

	#[pallet::call(weight = <T as Config>::WeightInfo)]
	impl<T: Config> Pallet<T> {
		/// Store a workload (a `wasm32-wasip1` command module) under its blake2-256 hash, taking
		/// the [`Config::Consideration`] of one item of `len` bytes from the caller.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::upload_workload(code.len() as u32))]
		pub fn upload_workload(origin: OriginFor<T>, code: Vec<u8>) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			let code: BoundedVec<u8, T::MaxCodeSize> =
				code.try_into().map_err(|_| Error::<T>::WorkloadTooLarge)?;
			ensure!(code.starts_with(b"\0asm\x01\0\0\0"), Error::<T>::NotWasm);
			let hash = blake2_256(&code);
			ensure!(!Workloads::<T>::contains_key(hash), Error::<T>::WorkloadExists);
			let len = code.len() as u32;
			let ticket = T::Consideration::new(&owner, Self::footprint(len))
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			Code::<T>::insert(hash, code);
			Workloads::<T>::insert(
				hash,
				Workload { owner: owner.clone(), ticket, len, open_tasks: 0 },
			);
			Self::deposit_event(Event::WorkloadUploaded { hash, owner, len });
			Ok(())
		}

		/// Remove a workload the caller uploaded and return its deposit. Refused while open
		/// tasks use it.
		#[pallet::call_index(1)]
		pub fn remove_workload(origin: OriginFor<T>, hash: CodeHash) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let workload = Workloads::<T>::get(hash).ok_or(Error::<T>::UnknownWorkload)?;
			ensure!(workload.owner == who, Error::<T>::NotWorkloadOwner);
			ensure!(workload.open_tasks == 0, Error::<T>::WorkloadInUse);
			workload.ticket.drop(&who)?;
			Code::<T>::remove(hash);
			Workloads::<T>::remove(hash);
			Self::deposit_event(Event::WorkloadRemoved { hash });
			Ok(())
		}

		/// Submit a task: run `workload` on `input` with at most `fuel_limit` fuel and
		/// `max_memory_mib` MiB, on `replication` distinct providers (odd) priced at most
		/// `max_price_per_mfuel` per million fuel with reputation at least `min_reputation`;
		/// answers due within `timeout` blocks of assignment. Holds the escrow
		/// `ceil(replication × fuel_limit × max_price_per_mfuel / 1e6) + BaseFee` and the
		/// storage deposit (the task and its input, and the largest output per provider).
		///
		/// The task is assigned at the start of the next block that draws (the next block,
		/// unless its author also authored this one: [`Pallet::may_draw`]), with that block's
		/// randomness ([`Config::Randomness`]), and its deadline is `timeout` blocks after that.
		///
		/// If not enough providers are free: without `queue_rent` the call fails
		/// ([`Error::NoProviderAvailable`]), or, if the providers free now are taken by others
		/// before the next block, the task fails then (refunded less the base fee); with it (at
		/// least [`Config::MinQueueRent`] per block) the task waits in the queue, holding the
		/// rent for its timeout plus a turn of the queue on top of the escrow, and pays the rent
		/// for every block it waits. A full queue takes it only in place of a task paying less
		/// than `queue_rent / 1.1`.
		///
		/// `reply_key` is the requester's one-time X25519 public key for this task's replies
		/// (see the module docs, "Reply keys"). `audit` (replication 1 only, and required then)
		/// seals the coin that decides whether its answer is audited (see the module docs,
		/// "Audits").
		#[pallet::call_index(2)]
		#[pallet::weight(Pallet::<T>::submit_weight(*replication))]
		pub fn submit_task(
			origin: OriginFor<T>,
			workload: CodeHash,
			input: Vec<u8>,
			fuel_limit: u64,
			max_memory_mib: u32,
			#[pallet::compact] max_price_per_mfuel: BalanceOf<T>,
			replication: u32,
			min_reputation: Perbill,
			timeout: BlockNumberFor<T>,
			queue_rent: Option<BalanceOf<T>>,
			reply_key: ReplyKey,
			audit: Option<AuditTerms>,
		) -> DispatchResult {
			let requester = ensure_signed(origin)?;
			let escrow = Self::check_terms(
				workload,
				fuel_limit,
				max_memory_mib,
				max_price_per_mfuel,
				replication,
				timeout,
			)?;
			let input = Self::check_tile(&input, &reply_key, replication, audit.as_ref())?;
			let task = Task::<T> {
				requester,
				workload,
				input,
				fuel_limit,
				max_memory_mib,
				max_price: max_price_per_mfuel,
				replication,
				min_reputation,
				timeout,
				escrow,
				state: TaskState::Queued { since: frame_system::Pallet::<T>::block_number() },
			};
			Self::do_submit(task, queue_rent, reply_key, audit.map(AuditCoin::new), None)
		}

		/// Cancel a task the caller submitted while it is still queued, or waiting for its first
		/// draw: its base fee is burned, and, if it was queued, its rent (for the blocks it
		/// waited in the queue, and at least a turn of the queue, so that a place cannot be
		/// taken and given back for nothing); the rest of the escrow is refunded. Once
		/// assigned, a task runs to its outcome or its timeout: its providers
		/// started working at assignment, and the answer is the requester's.
		#[pallet::call_index(3)]
		pub fn cancel_task(origin: OriginFor<T>, task_id: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let task = Tasks::<T>::get(task_id).ok_or(Error::<T>::UnknownTask)?;
			ensure!(task.requester == who, Error::<T>::NotRequester);
			let TaskState::Queued { since } = task.state else {
				return Err(Error::<T>::NotCancellable.into());
			};
			let mut pending = Pending::<T>::get();
			let (entry, at_least) = match pending.iter().position(|entry| entry.task_id == task_id)
			{
				// Not drawn yet: it holds no place in the queue, only a deadline, and owes no rent.
				Some(index) => {
					pending.remove(index);
					Pending::<T>::put(pending);
					let held = Self::settles_at(since.saturating_add(One::one()), task.timeout);
					Self::release_deadline(task_id, held);
					(None, Zero::zero())
				}
				None => {
					let mut queue = Queue::<T>::get();
					let entry = queue
						.iter()
						.find(|entry| entry.task_id == task_id)
						.copied()
						.ok_or(Error::<T>::TileOfJob)?;
					queue.retain(|entry| entry.task_id != task_id);
					Queue::<T>::put(queue);
					(Some(entry), Self::queue_turn())
				}
			};
			Self::refund_unassigned(task_id, task, entry, TaskFailure::Cancelled, at_least);
			Ok(())
		}

		/// Accept the lone answer of a task the caller submitted before its verification window
		/// closes: it becomes final now (the provider is paid, the rest refunded), as it would
		/// at the window's end.
		#[pallet::call_index(4)]
		// The provider's score read at its worst when its exposure is released (the benchmark
		// meets a fresh record).
		#[pallet::weight(T::WeightInfo::accept_answer()
			.saturating_add(T::Reputation::score_weight()))]
		pub fn accept_answer(origin: OriginFor<T>, task_id: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let task = Tasks::<T>::get(task_id).ok_or(Error::<T>::UnknownTask)?;
			ensure!(task.requester == who, Error::<T>::NotRequester);
			ensure!(!matches!(task.state, TaskState::Audited { .. }), Error::<T>::BeingAudited);
			ensure!(matches!(task.state, TaskState::Answered { .. }), Error::<T>::NotAnswered);
			Self::finalize(task_id, task);
			Ok(())
		}

		/// Prove that the lone answer of a task the caller submitted was delivered badly: show
		/// the secret of the task's reply key while the answer's window is open. The chain
		/// opens the box with it and compares what it holds with the provider's commitment.
		/// - The box does not open, or holds another outcome than the one committed to: the
		///   provider loses [`Config::Slash`] of its bond and reputation, the requester gets
		///   the escrow back less the base fee, the task fails
		///   [`TaskFailure::BadDelivery`], and the call is free.
		/// - The box holds what was committed to: the claim was false and costs the requester
		///   [`Config::FalseClaimFee`] (burned from its free balance; if it cannot pay, the call
		///   fails [`Error::InsufficientBalance`], having paid its transaction fee); the answer
		///   stands.
		///
		/// The box is opened with the `max_output` its provider signed
		/// ([`bourse_primitives::SealedAnswer`]), so a change of the chain's output bound since
		/// cannot make an honest box fail.
		///
		/// Showing the secret makes the output readable by anyone who reads this call: it is a
		/// one-time key, and the claim's point is that the output was not worth hiding.
		///
		/// Refused ([`Error::Disputed`]) while a committee settles the answer's disputed audit.
		#[pallet::call_index(5)]
		// The provider's reputation recorded, and (under audit) the auditor's score read as it
		// is released, at their worst.
		#[pallet::weight(T::WeightInfo::claim_bad_delivery()
			.saturating_add(Pallet::<T>::reputation_weight(2)))]
		pub fn claim_bad_delivery(
			origin: OriginFor<T>,
			task_id: TaskId,
			secret: [u8; 32],
		) -> DispatchResultWithPostInfo {
			use bourse_primitives::reply;
			let who = ensure_signed(origin)?;
			let task = Tasks::<T>::get(task_id).ok_or(Error::<T>::UnknownTask)?;
			ensure!(task.requester == who, Error::<T>::NotRequester);
			// A committee's judgement settles a disputed answer (and slashes its provider if
			// it was wrong); a claim waits for it.
			ensure!(!Disputes::<T>::contains_key(task_id), Error::<T>::Disputed);
			// Held, or under audit: an audit checks the run, not the box, so a claim may still
			// prove that the box is bad (and ends the audit).
			let (provider, status, fuel_used, executor_version, commitment, proof, max_output) =
				match &task.state {
					TaskState::Answered {
						provider,
						status,
						fuel_used,
						executor_version,
						commitment,
						proof,
						max_output,
						final_at,
						..
					} => {
						let now = frame_system::Pallet::<T>::block_number();
						ensure!(now < *final_at, Error::<T>::WindowClosed);
						(
							provider,
							status,
							fuel_used,
							executor_version,
							commitment,
							proof,
							max_output,
						)
					}
					TaskState::Audited {
						provider,
						status,
						fuel_used,
						executor_version,
						commitment,
						proof,
						max_output,
						..
					} => (
						provider,
						status,
						fuel_used,
						executor_version,
						commitment,
						proof,
						max_output,
					),
					_ => return Err(Error::<T>::NotAnswered.into()),
				};
			let key = Self::reply_key(task_id).ok_or(Error::<T>::NotAnswered)?;
			ensure!(reply::public_key(&secret) == Ok(key), Error::<T>::WrongSecret);
			// The box is opened before the fee is looked at: a true claim needs no funds (the
			// call's weight, the open included, is paid for at inclusion either way).
			let digest = Digests::<T>::get(task_id).ok_or(Error::<T>::NotAnswered)?;
			let sealed = SealedOutputs::<T>::get(task_id).ok_or(Error::<T>::NotAnswered)?;
			let delivered =
				reply::open(&secret, &digest, &sealed, *max_output as usize).is_ok_and(|opened| {
					let output = reply::output_digest(&opened.output);
					reply::answer_commitment(
						&digest,
						task_id,
						&provider.provider,
						*status,
						*fuel_used,
						*executor_version,
						&opened.salt,
						&output,
						proof,
					) == *commitment
				});
			if delivered {
				let fee = T::FalseClaimFee::get();
				<T::Currency as fungible::Mutate<_>>::burn_from(
					&who,
					fee,
					frame::token::Preservation::Preserve,
					Precision::Exact,
					Fortitude::Polite,
				)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
				Self::deposit_event(Event::FalseDeliveryClaim { task_id, requester: who, fee });
				return Ok(().into());
			}
			Self::fail_delivery(task_id, task);
			Ok(Pays::No.into())
		}

		/// Show the audit coin of a task the caller submitted, while its lone answer is held:
		/// `secret` is the one sealed at submission ([`AuditTerms::seal`]). The coin
		/// ([`bourse_primitives::reply::audit_coin`]) says whether the answer is audited when
		/// its window closes, at the task's rate ([`Pallet::audit_rate`]); if not, the answer is
		/// final then unaudited. A coin never shown means an audit. The requester's client
		/// shows it once the answer's block is final, never before: whoever sees the secret
		/// before answering can tell whether its answer will be checked.
		#[pallet::call_index(6)]
		pub fn show_audit_coin(
			origin: OriginFor<T>,
			task_id: TaskId,
			secret: [u8; 32],
		) -> DispatchResult {
			use bourse_primitives::reply;
			let who = ensure_signed(origin)?;
			let task = Tasks::<T>::get(task_id).ok_or(Error::<T>::UnknownTask)?;
			ensure!(task.requester == who, Error::<T>::NotRequester);
			ensure!(!matches!(task.state, TaskState::Audited { .. }), Error::<T>::BeingAudited);
			let TaskState::Answered { provider, final_at, .. } = &task.state else {
				return Err(Error::<T>::NotAnswered.into());
			};
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now < *final_at, Error::<T>::WindowClosed);
			let coin = Self::audit_coin(task_id).filter(|c| c.secret.is_none());
			let coin = coin.ok_or(Error::<T>::NoAuditCoin)?;
			ensure!(reply::audit_seal(&secret) == coin.terms.seal, Error::<T>::WrongCoin);
			let rate = Self::audit_rate(&task, &coin.terms, provider.price);
			let audited = reply::audit_coin(&secret, task_id) < rate;
			let kept = audited.then_some(AuditCoin { secret: Some(secret), ..coin });
			Self::set_audit_coin(task_id, kept);
			Self::deposit_event(Event::AuditCoinShown { task_id, audited });
			Ok(())
		}

		/// Submit a job: one task per tile of `tiles`, all running `workload` on the shared
		/// `terms`, each with its own input, reply key and audit coin (see the module docs,
		/// "Jobs"). Holds every tile's escrow (as [`Pallet::submit_task`] would), the job's rent
		/// reserve (`terms.rent` for `terms.max_wait` and a turn of the queue) and the storage
		/// deposits, then puts the job in the job queue: from the next block that draws, its
		/// tiles are assigned in order as slots free, a share of each block
		/// ([`Config::JobTriesPerBlock`]). A tile still waiting after `terms.max_wait` blocks
		/// fails, refunded less its base fee. Its tiles are tasks `first_task ..` of
		/// [`Event::JobSubmitted`]; each then lives as a task does.
		#[pallet::call_index(7)]
		#[pallet::weight(Pallet::<T>::submit_job_weight(tiles))]
		pub fn submit_job(
			origin: OriginFor<T>,
			workload: CodeHash,
			terms: JobTerms<BalanceOf<T>, BlockNumberFor<T>>,
			tiles: Vec<JobTile>,
		) -> DispatchResult {
			let requester = ensure_signed(origin)?;
			ensure!(!tiles.is_empty(), Error::<T>::NoTiles);
			let count = u32::try_from(tiles.len()).map_err(|_| Error::<T>::TooManyTiles)?;
			ensure!(count <= T::MaxJobTiles::get(), Error::<T>::TooManyTiles);
			let escrow = Self::check_terms(
				workload,
				terms.fuel_limit,
				terms.max_memory_mib,
				terms.max_price_per_mfuel,
				terms.replication,
				terms.timeout,
			)?;
			ensure!(terms.rent >= T::MinQueueRent::get(), Error::<T>::QueueRentTooLow);
			ensure!(
				!terms.max_wait.is_zero() && terms.max_wait <= T::MaxTimeout::get(),
				Error::<T>::InvalidWait
			);
			let mut secrets = alloc::collections::btree_set::BTreeSet::new();
			let mut inputs = Vec::with_capacity(tiles.len());
			let mut deposits = Vec::with_capacity(tiles.len());
			let mut deposit = Self::storage_deposit(2, Job::<T>::max_encoded_len() as u32)
				.ok_or(Error::<T>::EscrowOverflow)?;
			let job_deposit = deposit;
			for tile in &tiles {
				let input = Self::check_tile(
					&tile.input,
					&tile.reply_key,
					terms.replication,
					tile.audit.as_ref(),
				)?;
				ensure!(secrets.insert(tile.reply_key), Error::<T>::SharedTileSecret);
				if let Some(audit) = &tile.audit {
					ensure!(secrets.insert(audit.seal), Error::<T>::SharedTileSecret);
				}
				let (items, bytes) = Self::open_footprint(input.len() as u32, terms.replication);
				let held = Self::storage_deposit(items, bytes).ok_or(Error::<T>::EscrowOverflow)?;
				deposit = deposit.checked_add(&held).ok_or(Error::<T>::EscrowOverflow)?;
				deposits.push(held);
				inputs.push(input);
			}
			// Queued and closing jobs share a bound, so that whatever leaves the queue finds
			// room to close. A full queue takes the job only in place of the youngest of the
			// lowest rent, if it outbids that (its assigned tiles run on).
			let mut queue = JobQueue::<T>::get();
			let closing = ClosingJobs::<T>::decode_len().unwrap_or_default();
			ensure!(
				queue.len().saturating_add(closing) < ClosingBound::<T>::get() as usize,
				Error::<T>::JobsClosingFull
			);
			let outbid = if queue.is_full() {
				let lowest = queue
					.iter()
					.filter_map(|id| Jobs::<T>::get(id).map(|job| (*id, job)))
					.min_by(|(a, x), (b, y)| x.rent.cmp(&y.rent).then(b.cmp(a)))
					.ok_or(Error::<T>::JobQueueFull)?;
				ensure!(Self::outbids(terms.rent, lowest.1.rent), Error::<T>::JobQueueFull);
				Some(lowest)
			} else {
				None
			};
			let reserve =
				Self::rent_reserve(terms.rent, terms.max_wait).ok_or(Error::<T>::EscrowOverflow)?;
			let held = escrow
				.checked_mul(&count.into())
				.and_then(|tiles| tiles.checked_add(&reserve))
				.ok_or(Error::<T>::EscrowOverflow)?;
			let first_task = NextTaskId::<T>::get();
			let next_task =
				first_task.checked_add(count.into()).ok_or(Error::<T>::EscrowOverflow)?;
			T::Currency::hold(&HoldReason::TaskEscrow.into(), &requester, held)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			T::Currency::hold(&HoldReason::TaskStorage.into(), &requester, deposit)
				.map_err(|_| Error::<T>::InsufficientBalance)?;

			let now = frame_system::Pallet::<T>::block_number();
			let job_id = NextJobId::<T>::get();
			let tiles_with = tiles.into_iter().zip(inputs).zip(deposits);
			for (offset, ((tile, input), tile_deposit)) in (0u64..).zip(tiles_with) {
				let task_id = first_task.saturating_add(offset);
				let task = Task::<T> {
					requester: requester.clone(),
					workload,
					input,
					fuel_limit: terms.fuel_limit,
					max_memory_mib: terms.max_memory_mib,
					max_price: terms.max_price_per_mfuel,
					replication: terms.replication,
					min_reputation: terms.min_reputation,
					timeout: terms.timeout,
					escrow,
					state: TaskState::Queued { since: now },
				};
				Tasks::<T>::insert(task_id, task);
				let extra = TaskExtra {
					reply_key: tile.reply_key,
					deposit: tile_deposit,
					coin: tile.audit.map(AuditCoin::new),
				};
				TaskExtras::<T>::insert(task_id, extra);
			}
			Workloads::<T>::mutate(workload, |code| {
				if let Some(code) = code {
					code.open_tasks = code.open_tasks.saturating_add(count);
				}
			});
			let job = Job::<T> {
				requester: requester.clone(),
				first_task,
				tiles: count,
				assigned: 0,
				rent: terms.rent,
				reserve,
				since: now,
				wait_until: now.saturating_add(terms.max_wait),
				entropy: Self::entropy(&requester),
				deposit: job_deposit,
				fresh: true,
				closing: None,
			};
			// Last: nothing after the outbid job closes may fail.
			if let Some((outbid_id, mut outbid)) = outbid {
				queue.retain(|queued| *queued != outbid_id);
				Self::leave_queue(outbid_id, &mut outbid, Some(TaskFailure::Outbid), Zero::zero());
				ClosingJobs::<T>::mutate(|closing| closing.try_push(outbid_id))
					.map_err(|_| Error::<T>::JobsClosingFull)?;
				Jobs::<T>::insert(outbid_id, outbid);
			}
			queue.try_push(job_id).map_err(|_| Error::<T>::JobQueueFull)?;
			JobQueue::<T>::put(queue);
			JobEnds::<T>::insert(next_task.saturating_sub(1), job_id);
			Jobs::<T>::insert(job_id, job);
			NextJobId::<T>::put(job_id.saturating_add(1));
			NextTaskId::<T>::put(next_task);
			Self::deposit_event(Event::JobSubmitted {
				job_id,
				requester,
				workload,
				first_task,
				tiles: count,
				escrow: held,
				deposit,
			});
			Ok(())
		}

		/// Cancel a job the caller submitted that still holds its place in the job queue: it
		/// gives the place up, paying its rent for the blocks it held it (at least a turn of the
		/// queue, so that a place cannot be taken and given back for nothing), and its tiles
		/// still waiting fail over the next blocks ([`TaskFailure::Cancelled`], refunded less
		/// their base fees). Its tiles already assigned run to their outcomes.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::cancel_job())]
		pub fn cancel_job(origin: OriginFor<T>, job_id: JobId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
			ensure!(job.requester == who, Error::<T>::NotRequester);
			let mut queue = JobQueue::<T>::get();
			ensure!(queue.contains(&job_id), Error::<T>::NotCancellable);
			let mut closing = ClosingJobs::<T>::get();
			// Room is kept for every queued job (see `ClosingBound`).
			closing.try_push(job_id).map_err(|_| Error::<T>::JobsClosingFull)?;
			queue.retain(|queued| *queued != job_id);
			Self::leave_queue(job_id, &mut job, Some(TaskFailure::Cancelled), Self::queue_turn());
			JobQueue::<T>::put(queue);
			ClosingJobs::<T>::put(closing);
			Jobs::<T>::insert(job_id, job);
			Ok(())
		}

		/// Submit a confidential task (see the module docs, "Confidential tasks"): `input` is
		/// the input encrypted under the task's secret
		/// ([`bourse_primitives::confidential::encrypt_input`], tile 0), `secret_hash` that
		/// secret's hash, and `members` the providers it is sealed to, each with the encryption
		/// key its seal was made for. Only members are drawn, at most the first
		/// [`MAX_MEMBERS`], by bond × reputation (price only a filter); a member is drawn only
		/// while that key is live.
		///
		/// As [`Pallet::submit_task`], except:
		/// - the timeout is the shortest the task's fuel allows ([`Pallet::windows`]);
		/// - no audit: its answers are checked only by agreement within its members, and the
		///   escrow holds `replication` seats (a lone task holds no auditor's);
		/// - every member drawn that reveals an outcome (replication ≥ 3; or commits to one, when
		///   the task has a result) or answers (replication 1) is paid its seat, `fuel_limit ×
		///   its price`, whatever the vote; a member that stays silent or abstains is paid
		///   nothing; nobody is slashed for the
		///   vote or for silence, and no reputation or attendance is recorded (a false
		///   delivery, proven by [`Pallet::claim_bad_delivery`], is still slashed).
		///
		/// Refused: fewer members than `replication` ([`Error::TooFewMembers`]), a member named twice
		/// ([`Error::DuplicateMember`]), the requester among them
		/// ([`Error::RequesterIsMember`]), a key that is not a live key of its member
		/// ([`Error::MemberKeyNotLive`]), and whatever `submit_task` refuses.
		#[pallet::call_index(9)]
		#[pallet::weight(Pallet::<T>::submit_confidential_weight(*replication))]
		pub fn submit_confidential_task(
			origin: OriginFor<T>,
			workload: CodeHash,
			input: Vec<u8>,
			fuel_limit: u64,
			max_memory_mib: u32,
			#[pallet::compact] max_price_per_mfuel: BalanceOf<T>,
			replication: u32,
			min_reputation: Perbill,
			queue_rent: Option<BalanceOf<T>>,
			reply_key: ReplyKey,
			secret_hash: [u8; 32],
			members: BoundedMembers<T>,
		) -> DispatchResult {
			let requester = ensure_signed(origin)?;
			let timeout = Self::windows(fuel_limit, replication).1;
			Self::check_terms(
				workload,
				fuel_limit,
				max_memory_mib,
				max_price_per_mfuel,
				replication,
				timeout,
			)?;
			let input = Self::check_input(&input, &reply_key)?;
			let terms = Self::check_members(&requester, replication, secret_hash, members)?;
			let escrow = Self::fuel_cost(u128::from(fuel_limit), max_price_per_mfuel)
				.and_then(|seat| seat.checked_mul(&replication.into()))
				.and_then(|seats| seats.checked_add(&T::BaseFee::get()))
				.ok_or(Error::<T>::EscrowOverflow)?;
			let task = Task::<T> {
				requester,
				workload,
				input,
				fuel_limit,
				max_memory_mib,
				max_price: max_price_per_mfuel,
				replication,
				min_reputation,
				timeout,
				escrow,
				state: TaskState::Queued { since: frame_system::Pallet::<T>::block_number() },
			};
			Self::do_submit(task, queue_rent, reply_key, None, Some(terms))
		}
	}

	impl<T: Config> Pallet<T> {
		/// Checks a confidential task's members: at least `replication` and at most
		/// [`MAX_MEMBERS`], each named once, never the requester, each with a live key.
		fn check_members(
			requester: &T::AccountId,
			replication: u32,
			secret_hash: [u8; 32],
			members: BoundedMembers<T>,
		) -> Result<ConfidentialTerms<T::AccountId>, DispatchError> {
			ensure!(members.len() >= replication as usize, Error::<T>::TooFewMembers);
			for (i, member) in members.iter().enumerate() {
				ensure!(member.provider != *requester, Error::<T>::RequesterIsMember);
				ensure!(
					members.iter().take(i).all(|other| other.provider != member.provider),
					Error::<T>::DuplicateMember
				);
				ensure!(
					T::Market::encryption_key_live(&member.provider, &member.key),
					Error::<T>::MemberKeyNotLive
				);
			}
			Ok(ConfidentialTerms { secret_hash, members })
		}

		/// Holds `task`'s escrow (with the rent reserve its `queue_rent` needs) and storage
		/// deposit, and stores it with its extras, waiting for its draw (or queued): what
		/// [`Pallet::submit_task`] and [`Pallet::submit_confidential_task`] share once their
		/// terms are checked. `task.escrow` is the escrow without the reserve.
		fn do_submit(
			mut task: Task<T>,
			queue_rent: Option<BalanceOf<T>>,
			reply_key: ReplyKey,
			coin: Option<AuditCoin<T::AccountId>>,
			confidential: Option<ConfidentialTerms<T::AccountId>>,
		) -> DispatchResult {
			if let Some(rent) = queue_rent {
				ensure!(rent >= T::MinQueueRent::get(), Error::<T>::QueueRentTooLow);
			}
			let escrow = task.escrow;
			let reserve = match queue_rent {
				Some(rent) => {
					Self::rent_reserve(rent, task.timeout).ok_or(Error::<T>::EscrowOverflow)?
				}
				None => Zero::zero(),
			};
			let held = escrow.checked_add(&reserve).ok_or(Error::<T>::EscrowOverflow)?;
			let (mut items, mut bytes) =
				Self::open_footprint(task.input.len() as u32, task.replication);
			if let Some(terms) = &confidential {
				items = items.saturating_add(1);
				bytes = bytes.saturating_add(terms.encoded_size() as u32);
			}
			let deposit = Self::storage_deposit(items, bytes).ok_or(Error::<T>::EscrowOverflow)?;
			let requester = task.requester.clone();
			T::Currency::hold(&HoldReason::TaskEscrow.into(), &requester, held)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			T::Currency::hold(&HoldReason::TaskStorage.into(), &requester, deposit)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			task.escrow = held;

			let task_id = NextTaskId::<T>::get();
			let now = frame_system::Pallet::<T>::block_number();
			let entry = QueuedTask {
				task_id,
				rent: queue_rent.unwrap_or_default(),
				reserve,
				entropy: Self::entropy(&requester),
			};
			Self::deposit_event(Event::TaskSubmitted {
				task_id,
				requester,
				workload: task.workload,
				escrow,
				deposit,
			});
			if let Some(terms) = &confidential {
				Self::deposit_event(Event::ConfidentialTaskSubmitted {
					task_id,
					secret_hash: terms.secret_hash,
					members: terms.members.iter().map(|m| m.provider.clone()).collect(),
				});
			}
			// Drawn at the start of the next block (unless its author also authored this one),
			// so its deadline block is known: hold a place there now. A task that may wait also
			// waits out a block full of submissions in the queue.
			let mut pending = Pending::<T>::get();
			if !pending.is_full() {
				let settles_at = Self::settles_at(now.saturating_add(One::one()), task.timeout);
				// Refused now if nobody is free now and it could not wait either.
				let may_wait = match queue_rent {
					None => false,
					Some(rent) => Self::queue_takes(rent),
				};
				if !may_wait {
					let only = confidential.as_ref().map(|terms| terms.only()).unwrap_or_default();
					ensure!(Self::would_assign(&task, only), {
						if queue_rent.is_none() {
							Error::<T>::NoProviderAvailable
						} else {
							Error::<T>::QueueFull
						}
					});
				}
				pending.try_push(entry).map_err(|_| Error::<T>::SubmissionsFull)?;
				Pending::<T>::put(pending);
				Timeouts::<T>::insert(settles_at, task_id, ());
			} else {
				ensure!(queue_rent.is_some(), Error::<T>::SubmissionsFull);
				// Last: an outbid task is settled here, and nothing after this may fail.
				Self::enqueue(entry)?;
				Self::deposit_event(Event::TaskQueued { task_id, rent: entry.rent });
			}
			// After the queue: an outbid task of the same workload released its count there.
			Workloads::<T>::mutate(task.workload, |code| {
				if let Some(code) = code {
					code.open_tasks = code.open_tasks.saturating_add(1);
				}
			});
			Tasks::<T>::insert(task_id, task);
			TaskExtras::<T>::insert(task_id, TaskExtra { reply_key, deposit, coin });
			if let Some(terms) = confidential {
				Confidential::<T>::insert(task_id, terms);
			}
			NextTaskId::<T>::put(task_id.saturating_add(1));
			Ok(())
		}

		/// The digest of `task` assigned at `assigned_at` ([`TaskAssignment::digest`]): binds
		/// everything that makes its outcome what it is, who asked, the reply key its
		/// answer is sealed to (`reply_key`; none for tasks submitted before spec 110) and, if
		/// it is confidential, the hash of its secret.
		pub fn digest(
			task: &Task<T>,
			reply_key: Option<&ReplyKey>,
			secret_hash: Option<&[u8; 32]>,
			assigned_at: BlockNumberFor<T>,
		) -> [u8; 32] {
			let fields = (
				TASK_DIGEST_CONTEXT,
				task.workload,
				blake2_256(&task.input),
				task.fuel_limit,
				task.max_memory_mib,
				task.timeout,
				&task.requester,
				task.replication,
				assigned_at,
			);
			match (reply_key, secret_hash) {
				(Some(key), Some(secret_hash)) => blake2_256(&(fields, key, secret_hash).encode()),
				(Some(key), None) => blake2_256(&(fields, key).encode()),
				(None, _) => blake2_256(&fields.encode()),
			}
		}

		/// A task's windows from its fuel: `(commit window, shortest timeout)`, in blocks.
		///
		/// Running it takes at most `run = 1 + ceil(fuel / FuelPerBlock)` blocks (one for the
		/// compilation and the worker's pass cadence). Commits (and abstentions) are taken for
		/// `run + 2` blocks after assignment, so what a provider sends when its run ends has two
		/// blocks to land. The shortest timeout leaves room for that and for the answer (k = 1)
		/// or three blocks of reveals (k ≥ 3), and is never below [`Config::MinTimeout`].
		pub fn windows(fuel: u64, replication: u32) -> (BlockNumberFor<T>, BlockNumberFor<T>) {
			let run = fuel.div_ceil(T::FuelPerBlock::get().max(1)).saturating_add(1);
			let commit_window = run.saturating_add(2);
			let answers = if replication > 1 { 3 } else { 0 };
			let timeout = commit_window.saturating_add(answers);
			let blocks = |n: u64| BlockNumberFor::<T>::saturated_from(n);
			(blocks(commit_window), blocks(timeout).max(T::MinTimeout::get()))
		}

		/// `ceil(seats × fuel_limit × max_price / 1e6) + BaseFee`, if it fits: a seat per
		/// provider, and at replication 1 a second for the auditor who may check the answer
		/// (released when no audit happens).
		pub fn escrow_for(
			replication: u32,
			fuel_limit: u64,
			max_price: BalanceOf<T>,
		) -> Option<BalanceOf<T>> {
			let seats = if replication == 1 { 2 } else { replication };
			// Each seat paid on its own, rounded up on its own.
			let seat = Self::fuel_cost(u128::from(fuel_limit), max_price)?;
			seat.checked_mul(&seats.into())?.checked_add(&T::BaseFee::get())
		}

		/// What `submit_task` is charged for `replication` providers: the costlier of assigning
		/// at once and queueing in place of an outbid task, a selection, and (deadline block
		/// full) its providers released again.
		pub fn submit_weight(replication: u32) -> Weight {
			let k = replication.clamp(1, T::MaxReplication::get());
			// The benchmark's component is the half: replication `2h + 1`.
			T::WeightInfo::submit_task(k / 2)
				.max(T::WeightInfo::submit_task_queued())
				.saturating_add(T::Market::select_weight(k))
				.saturating_add(T::Reputation::score_weight().saturating_mul(k.into()))
		}

		/// What `submit_confidential_task` is charged for `replication` seats: its benchmark (the
		/// most members, each key read, the largest input), as `submit_task` is, with a
		/// selection (the market's or its members', whichever costs more).
		pub fn submit_confidential_weight(replication: u32) -> Weight {
			let k = replication.clamp(1, T::MaxReplication::get());
			T::WeightInfo::submit_confidential_task(k / 2)
				.max(T::WeightInfo::submit_task_queued())
				.saturating_add(T::Market::select_weight(k))
				.saturating_add(T::Reputation::score_weight().saturating_mul(k.into()))
		}

		/// What an open task stores, as `(items, bytes)`: the task with its input, and the
		/// largest output of each provider (a lone answer's box: the output sealed).
		pub fn open_footprint(input_len: u32, replication: u32) -> (u32, u32) {
			let largest =
				if replication == 1 { T::MaxSealedSize::get() } else { T::MaxOutputSize::get() };
			let outputs = largest.saturating_mul(replication);
			(replication.saturating_add(1), input_len.saturating_add(outputs))
		}

		/// The weight of submitting a job of `tiles`: per tile, and per byte of their inputs
		/// (benchmarked apart, since the two add up).
		pub fn submit_job_weight(tiles: &[JobTile]) -> Weight {
			let bytes = tiles
				.iter()
				.fold(0u32, |bytes, tile| bytes.saturating_add(tile.input.len() as u32));
			T::WeightInfo::submit_job(tiles.len() as u32).saturating_add(
				T::WeightInfo::submit_job_input(bytes)
					.saturating_sub(T::WeightInfo::submit_job_input(1)),
			)
		}

		/// Whether task `task_id` keeps its extras in the legacy maps: it was submitted before
		/// [`TaskExtras`] (spec 119).
		fn is_legacy(task_id: TaskId) -> bool {
			task_id < ExtrasSince::<T>::get()
		}

		/// Task `task_id`'s reply key, wherever the task keeps it.
		pub fn reply_key(task_id: TaskId) -> Option<ReplyKey> {
			if Self::is_legacy(task_id) {
				LegacyReplyKeys::<T>::get(task_id)
			} else {
				TaskExtras::<T>::get(task_id).map(|extra| extra.reply_key)
			}
		}

		/// Task `task_id`'s audit coin, wherever the task keeps it.
		pub fn audit_coin(task_id: TaskId) -> Option<AuditCoin<T::AccountId>> {
			if Self::is_legacy(task_id) {
				LegacyAuditCoins::<T>::get(task_id)
			} else {
				TaskExtras::<T>::get(task_id).and_then(|extra| extra.coin)
			}
		}

		/// Sets task `task_id`'s audit coin, or with `None` clears it, where the task keeps it.
		fn set_audit_coin(task_id: TaskId, coin: Option<AuditCoin<T::AccountId>>) {
			if Self::is_legacy(task_id) {
				LegacyAuditCoins::<T>::set(task_id, coin);
			} else {
				let found = TaskExtras::<T>::mutate_extant(task_id, |extra| {
					extra.coin = coin;
					true
				});
				if !found {
					defensive!("a task without its extras: its coin is lost");
				}
			}
		}

		/// The storage deposit for `items` items of `bytes` bytes in all, if it fits.
		pub fn storage_deposit(items: u32, bytes: u32) -> Option<BalanceOf<T>> {
			let per_item = T::TaskDepositBase::get().checked_mul(&items.into())?;
			let per_byte = T::TaskDepositPerByte::get().checked_mul(&bytes.into())?;
			per_item.checked_add(&per_byte)
		}

		/// Blocks a turn of the queue takes: every queued task is tried (and its expiry
		/// noticed) within this many blocks.
		pub fn queue_turn() -> BlockNumberFor<T> {
			T::MaxQueued::get().div_ceil(T::AssignPerBlock::get().max(1)).into()
		}

		/// The most rent a task of `timeout` can owe at `rent` per block: its timeout and a turn
		/// of the queue (the last turn may notice its expiry late), if it fits.
		pub fn rent_reserve(
			rent: BalanceOf<T>,
			timeout: BlockNumberFor<T>,
		) -> Option<BalanceOf<T>> {
			let blocks: u128 = timeout.saturating_add(Self::queue_turn()).saturated_into();
			rent.checked_mul(&blocks.try_into().ok()?)
		}

		/// Whether a rent of `offer` outbids `lowest`: by a tenth at least, so that places
		/// cannot be won back and forth for a planck.
		pub fn outbids(offer: BalanceOf<T>, lowest: BalanceOf<T>) -> bool {
			let step = lowest.saturating_add(9u32.into()) / 10u32.into();
			offer > lowest && offer >= lowest.saturating_add(step)
		}

		/// `ceil(fuel × price / 1e6)`, if it fits.
		pub fn fuel_cost(fuel: u128, price: BalanceOf<T>) -> Option<BalanceOf<T>> {
			let price: u128 = price.saturated_into();
			let cost = fuel.checked_mul(price)?.div_ceil(FUEL_PER_PRICE_UNIT);
			cost.try_into().ok()
		}

		/// What [`BourseApi::job`](bourse_primitives::api::BourseApi) shows of a job: its tiles
		/// counted by phase, and what the done ones cost.
		pub fn job_view(
			job_id: JobId,
		) -> Option<JobView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
			let job = Jobs::<T>::get(job_id)?;
			let mut view = JobView {
				requester: job.requester,
				first_task: job.first_task,
				tiles: job.tiles,
				waiting: 0,
				running: 0,
				done: 0,
				failed: 0,
				pruned: 0,
				cost: Zero::zero(),
				rent: job.rent,
				wait_until: job.wait_until,
			};
			for offset in 0..job.tiles {
				let task_id = job.first_task.saturating_add(offset.into());
				let count = match Tasks::<T>::get(task_id).map(|task| task.state) {
					None => &mut view.pruned,
					Some(TaskState::Queued { .. }) => &mut view.waiting,
					Some(
						TaskState::Assigned { .. }
						| TaskState::Answered { .. }
						| TaskState::Audited { .. },
					) => &mut view.running,
					Some(TaskState::Completed { cost, .. } | TaskState::Delivered { cost, .. }) => {
						view.cost = view.cost.saturating_add(cost);
						&mut view.done
					}
					Some(TaskState::Failed { .. }) => &mut view.failed,
				};
				*count = count.saturating_add(1);
			}
			Some(view)
		}

		/// Task `task_id`, its answers so far and its output, as anyone may see it.
		pub fn task_view(
			task_id: TaskId,
		) -> Option<TaskView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
			let task = Tasks::<T>::get(task_id)?;
			let (phase, answers) = match task.state {
				TaskState::Queued { since } => (TaskPhase::Queued { since }, Vec::new()),
				TaskState::Assigned { providers, assigned_at, deadline } => {
					let accounts: Vec<T::AccountId> =
						providers.iter().map(|a| a.provider.clone()).collect();
					let answers = T::Judge::answers(task_id, &accounts);
					let providers = providers.into_inner();
					(TaskPhase::Assigned { providers, assigned_at, deadline }, answers)
				}
				TaskState::Completed { status, output_hash, fuel_used, cost, settled_at } => (
					TaskPhase::Completed { status, output_hash, fuel_used, cost, settled_at },
					Vec::new(),
				),
				TaskState::Failed { reason, settled_at } => {
					(TaskPhase::Failed { reason, settled_at }, Vec::new())
				}
				TaskState::Answered {
					provider, status, fuel_used, answered_at, final_at, ..
				} => (
					TaskPhase::Answered { provider, status, fuel_used, answered_at, final_at },
					Vec::new(),
				),
				TaskState::Delivered { provider, status, fuel_used, cost, settled_at, .. } => (
					TaskPhase::Delivered { provider, status, fuel_used, cost, settled_at },
					Vec::new(),
				),
				TaskState::Audited {
					provider,
					status,
					fuel_used,
					answered_at,
					auditor,
					audit_at,
					commit_until,
					deadline,
					..
				} => {
					let dispute = Disputes::<T>::get(task_id);
					let committee =
						dispute.as_ref().map(|d| d.committee.to_vec()).unwrap_or_default();
					let accounts: Vec<T::AccountId> = [&provider, &auditor]
						.into_iter()
						.chain(committee.iter())
						.map(|a| a.provider.clone())
						.collect();
					let answers = T::Judge::answers(task_id, &accounts);
					let phase = if dispute.is_some() {
						// Windows only once its committee is drawn.
						let windows = (!committee.is_empty()).then_some((commit_until, deadline));
						TaskPhase::Disputed {
							provider,
							status,
							fuel_used,
							answered_at,
							auditor,
							committee,
							commit_until: windows.map(|w| w.0),
							deadline: windows.map(|w| w.1),
						}
					} else {
						TaskPhase::Audited {
							provider,
							status,
							fuel_used,
							answered_at,
							auditor,
							audit_at,
							commit_until,
							deadline,
						}
					};
					(phase, answers)
				}
			};
			Some(TaskView {
				requester: task.requester,
				workload: task.workload,
				input_len: task.input.len() as u32,
				fuel_limit: task.fuel_limit,
				max_memory_mib: task.max_memory_mib,
				max_price: task.max_price,
				replication: task.replication,
				timeout: task.timeout,
				escrow: task.escrow,
				phase,
				answers,
				output: Outputs::<T>::get(task_id).map(|o| o.into_inner()),
				sealed: SealedOutputs::<T>::get(task_id).map(|o| o.into_inner()),
				digest: Digests::<T>::get(task_id),
			})
		}

		/// Whether a task with these parameters would be assigned now, to whom, what it would
		/// hold and what it can cost at most. Writes nothing.
		pub fn quote(
			fuel: u64,
			memory_mib: u32,
			replication: u32,
			max_price: BalanceOf<T>,
			min_reputation: Perbill,
			requester: T::AccountId,
		) -> QuoteView<T::AccountId, BalanceOf<T>> {
			let requirements = Requirements {
				replication,
				fuel,
				memory_mib,
				max_price,
				min_reputation,
				requester,
				excluded: Vec::new(),
				by_stake: false,
				seed: [0; 32],
				only: Vec::new(),
			};
			let candidates = T::Market::candidates(&requirements);
			let valid = is_valid_replication(replication, T::MaxReplication::get());
			let mut prices: Vec<BalanceOf<T>> = candidates.iter().map(|c| c.price).collect();
			prices.sort_unstable_by(|a, b| b.cmp(a));
			// A lone answer may be audited: an auditor's seat at the most it may ask.
			let auditor = (replication == 1).then_some(max_price);
			let max_cost = prices
				.iter()
				.take(replication as usize)
				.chain(auditor.iter())
				.try_fold(T::BaseFee::get(), |total, price| {
					total.checked_add(&Self::fuel_cost(u128::from(fuel), *price)?)
				});
			QuoteView {
				assignable: valid && candidates.len() >= replication as usize,
				escrow: Self::escrow_for(replication, fuel, max_price),
				max_cost,
				min_timeout: Self::windows(fuel, replication).1.saturated_into(),
				candidates,
			}
		}

		/// The block that settles a task assigned at `assigned_at`: the one after its deadline.
		pub fn settles_at(
			assigned_at: BlockNumberFor<T>,
			timeout: BlockNumberFor<T>,
		) -> BlockNumberFor<T> {
			assigned_at.saturating_add(timeout).saturating_add(One::one())
		}

		/// What seeds the draws of a task `requester` submits now: the requester and its account
		/// nonce (already counting this transaction). The block's author includes the
		/// transaction or not, but cannot change either (unlike the task id, which follows the
		/// order it puts transactions in). A signed transaction submits one task or one job (a
		/// job's tiles mix it with their offsets in the job); the runtime has no batching calls.
		pub fn entropy(requester: &T::AccountId) -> [u8; 32] {
			let nonce = frame_system::Pallet::<T>::account_nonce(requester);
			blake2_256(&(TASK_ENTROPY_CONTEXT, requester, nonce).encode())
		}

		/// Whether this block draws assignments, and records its author for the next block. A
		/// block whose author also authored its parent does not: that author knew this block's
		/// VRF output ahead and could grind the parent's hash (its seal, timestamp, contents) into
		/// this block's randomness. Nor does a block without a VRF output. The first block by
		/// another author draws everything that waited, with its own randomness, which the
		/// parent's author cannot know. A sole authority, and blocks whose author is unknown
		/// (genesis, tests), always draw.
		pub fn may_draw() -> bool {
			let parent = LastAuthor::<T>::get();
			let (draws, author) = match T::BlockAuthor::author() {
				Authored::Unknown | Authored::Alone => (true, None),
				Authored::By(key) => (parent != Some(key), Some(key)),
				// Its author is still recorded: its next block must not draw either.
				Authored::WithoutVrf(key) => (false, Some(key)),
			};
			if author != parent {
				LastAuthor::<T>::set(author);
			}
			draws
		}

		/// This block draws nothing: says so if tasks wait ([`Event::AssignmentDeferred`]).
		pub(crate) fn defer_draws() {
			let waiting = Pending::<T>::decode_len()
				.unwrap_or_default()
				.saturating_add(Queue::<T>::decode_len().unwrap_or_default());
			if waiting > 0 {
				let waiting = waiting.saturated_into();
				Self::deposit_event(Event::AssignmentDeferred { waiting });
			}
		}

		/// This block's randomness for assignment ([`Config::Randomness`]); [`Seeds`] derives it
		/// once per block.
		pub fn block_randomness() -> T::Hash {
			use frame::traits::Randomness;
			T::Randomness::random(TASK_ENTROPY_CONTEXT).0
		}

		/// The seed of a draw for a task of `entropy`, with the block's `randomness`.
		pub fn seed(randomness: &T::Hash, entropy: &[u8; 32]) -> [u8; 32] {
			blake2_256(&(randomness, entropy).encode())
		}

		/// Whether the queue would take a task paying `rent` now: it has room, or `rent` outbids
		/// its lowest.
		fn queue_takes(rent: BalanceOf<T>) -> bool {
			let queue = Queue::<T>::get();
			!queue.is_full()
				|| queue
					.iter()
					.map(|entry| entry.rent)
					.min()
					.is_some_and(|low| Self::outbids(rent, low))
		}

		/// Whether the market would take `task` (drawn from `only` if it is confidential) now (a
		/// draw undone at once: it writes nothing).
		fn would_assign(task: &Task<T>, only: Vec<(T::AccountId, ReplyKey)>) -> bool {
			let requirements = Self::requirements(task, [0; 32], only);
			frame::deps::frame_support::storage::with_transaction(|| {
				let chosen = T::Market::select(&requirements).is_ok();
				frame::deps::sp_runtime::TransactionOutcome::Rollback(Ok::<_, DispatchError>(
					chosen,
				))
			})
			.unwrap_or(false)
		}

		/// What the market must find for `task`, drawn with `seed`; from `only` (each member
		/// with the key its seal was made for) if it is confidential, from the whole market if
		/// `only` is empty.
		fn requirements(
			task: &Task<T>,
			seed: [u8; 32],
			only: Vec<(T::AccountId, ReplyKey)>,
		) -> Requirements<T::AccountId, BalanceOf<T>> {
			Requirements {
				replication: task.replication,
				fuel: task.fuel_limit,
				memory_mib: task.max_memory_mib,
				max_price: task.max_price,
				min_reputation: task.min_reputation,
				requester: task.requester.clone(),
				excluded: Vec::new(),
				by_stake: false,
				seed,
				only,
			}
		}

		/// What a draw of `seats` checkers of `task` (its auditor, or a dispute's committee)
		/// asks: offers that fit the task's fuel and memory, by bond × reputation, never its
		/// requester nor `excluded`. Neither the task's price ceiling nor its reputation floor
		/// filters them, so a requester cannot narrow who checks its task to accounts of its
		/// own; checkers are paid at most the task's `max_price` ([`Pallet::checker`]). Never
		/// for a confidential task: it has no audit, so no checker (a checker drawn from the
		/// market could not open its input, and one drawn from its members would be the
		/// requester's choice).
		fn checkers(
			task: &Task<T>,
			seats: u32,
			excluded: Vec<T::AccountId>,
			seed: [u8; 32],
		) -> Requirements<T::AccountId, BalanceOf<T>> {
			Requirements {
				replication: seats,
				max_price: BalanceOf::<T>::max_value(),
				min_reputation: Perbill::zero(),
				excluded,
				by_stake: true,
				..Self::requirements(task, seed, Vec::new())
			}
		}

		/// A checker drawn for `task`, at its price but never above the task's `max_price`
		/// (what the escrow holds per seat).
		fn checker(
			task: &Task<T>,
			drawn: Assignment<T::AccountId, BalanceOf<T>>,
		) -> Assignment<T::AccountId, BalanceOf<T>> {
			Assignment { price: drawn.price.min(task.max_price), ..drawn }
		}

		/// Tries to assign `task` now, drawing with `seed`; false if not enough providers are
		/// free. `held` is the settling block where a place is held for it already (it moves to
		/// the block its timeout from now settles in).
		fn try_assign(
			task_id: TaskId,
			task: &mut Task<T>,
			now: BlockNumberFor<T>,
			seed: [u8; 32],
			held: Option<BlockNumberFor<T>>,
		) -> bool {
			let terms = Confidential::<T>::get(task_id);
			let only = terms.as_ref().map(|terms| terms.only()).unwrap_or_default();
			let Ok(chosen) = T::Market::select(&Self::requirements(task, seed, only)) else {
				return false;
			};
			let deadline = now.saturating_add(task.timeout);
			let settles_at = Self::settles_at(now, task.timeout);
			if held != Some(settles_at) {
				if let Some(held) = held {
					Self::release_deadline(task_id, held);
				}
				Timeouts::<T>::insert(settles_at, task_id, ());
			}
			let providers: Vec<T::AccountId> = chosen.iter().map(|a| a.provider.clone()).collect();
			for provider in &providers {
				ProviderTasks::<T>::insert(provider, task_id, ());
			}
			let reply_key = Self::reply_key(task_id);
			let secret_hash = terms.as_ref().map(|terms| &terms.secret_hash);
			Digests::<T>::insert(task_id, Self::digest(task, reply_key.as_ref(), secret_hash, now));
			task.state = TaskState::Assigned {
				providers: BoundedVec::truncate_from(chosen),
				assigned_at: now,
				deadline,
			};
			Self::deposit_event(Event::TaskAssigned { task_id, providers, deadline });
			true
		}

		/// Gives up the place held for `task_id` in the deadline block `settles_at`.
		fn release_deadline(task_id: TaskId, settles_at: BlockNumberFor<T>) {
			Timeouts::<T>::remove(settles_at, task_id);
		}

		/// Assigns the tasks waiting for their first draw (submitted in the previous block, or
		/// since the last block that drew), in the order of their seeds (drawn from this block's
		/// randomness; not the order the authors included them in). One that finds nobody waits
		/// in the queue if it offered rent, or fails. Returns the tasks tried, and how many of
		/// them were drawn late (their deadline place moves: two more writes each).
		pub fn assign_pending(now: BlockNumberFor<T>, seeds: &mut Seeds<T>) -> (u32, u32) {
			let pending = Pending::<T>::take();
			let tried = pending.len() as u32;
			let mut moved = 0u32;
			let mut seeded: Vec<([u8; 32], QueuedTask<BalanceOf<T>>)> =
				pending.into_iter().map(|entry| (seeds.of(&entry.entropy), entry)).collect();
			seeded.sort_unstable_by_key(|(seed, entry)| (*seed, entry.task_id));
			for (seed, entry) in seeded {
				let task_id = entry.task_id;
				let Some(mut task) = Tasks::<T>::get(task_id) else { continue };
				let TaskState::Queued { since } = task.state else { continue };
				let held = Self::settles_at(since.saturating_add(One::one()), task.timeout);
				if held <= now {
					// Its deadline passed while the draw waited, and its settlement is carried
					// over: it fails as it would have at the deadline.
					Self::release_deadline(task_id, held);
					let reason = TaskFailure::NoProvider;
					Self::refund_unassigned(task_id, task, None, reason, Zero::zero());
					continue;
				}
				if held != Self::settles_at(now, task.timeout) {
					moved = moved.saturating_add(1);
				}
				if Self::try_assign(task_id, &mut task, now, seed, Some(held)) {
					// Assigned without waiting: no rent is owed, its reserve comes back.
					Self::charge_rent(task_id, &mut task, entry, now, Zero::zero());
					Tasks::<T>::insert(task_id, task);
					continue;
				}
				Self::release_deadline(task_id, held);
				if entry.rent.is_zero() {
					let reason = TaskFailure::NoProvider;
					Self::refund_unassigned(task_id, task, Some(entry), reason, Zero::zero());
					continue;
				}
				// It waits from now: its rent is owed from this block on.
				task.state = TaskState::Queued { since: now };
				match Self::enqueue(entry) {
					Ok(()) => {
						Tasks::<T>::insert(task_id, task);
						Self::deposit_event(Event::TaskQueued { task_id, rent: entry.rent });
					}
					Err(_) => {
						let reason = TaskFailure::NoProvider;
						Self::refund_unassigned(task_id, task, Some(entry), reason, Zero::zero());
					}
				}
			}
			(tried, moved)
		}

		/// Puts `entry` at the back of the queue; a full queue takes it only in place of the
		/// task with the lowest rent (the youngest of those), if `entry` outbids it: that task
		/// fails, paying the rent for its wait.
		fn enqueue(entry: QueuedTask<BalanceOf<T>>) -> DispatchResult {
			let mut queue = Queue::<T>::get();
			if queue.is_full() {
				let lowest = queue
					.iter()
					.min_by(|a, b| a.rent.cmp(&b.rent).then(b.task_id.cmp(&a.task_id)))
					.copied()
					.ok_or(Error::<T>::QueueFull)?;
				ensure!(Self::outbids(entry.rent, lowest.rent), Error::<T>::QueueFull);
				queue.retain(|queued| queued.task_id != lowest.task_id);
				let outbid = Tasks::<T>::get(lowest.task_id)
					.filter(|task| matches!(task.state, TaskState::Queued { .. }));
				if let Some(task) = outbid {
					let reason = TaskFailure::Outbid;
					Self::refund_unassigned(
						lowest.task_id,
						task,
						Some(lowest),
						reason,
						Zero::zero(),
					);
				}
			}
			queue.try_push(entry).map_err(|_| Error::<T>::QueueFull)?;
			Queue::<T>::put(queue);
			Ok(())
		}

		/// A queued `task` leaves the queue: the rent for the blocks it waited (at least
		/// `at_least`; at most its reserve) is burned, the rest of its reserve released.
		fn charge_rent(
			task_id: TaskId,
			task: &mut Task<T>,
			entry: QueuedTask<BalanceOf<T>>,
			since: BlockNumberFor<T>,
			at_least: BlockNumberFor<T>,
		) {
			let hold = HoldReason::TaskEscrow.into();
			let now = frame_system::Pallet::<T>::block_number();
			let waited: u128 = now.saturating_sub(since).max(at_least).saturated_into();
			let reserve = entry.reserve.min(task.escrow);
			if reserve.is_zero() {
				return;
			}
			let owed = entry.rent.saturating_mul(waited.saturated_into()).min(reserve);
			let burned = if owed.is_zero() {
				owed
			} else {
				T::Currency::burn_held(
					&hold,
					&task.requester,
					owed,
					Precision::BestEffort,
					// Rent is the requester's debt, like its escrow: freezes do not shrink it.
					Fortitude::Force,
				)
				.defensive_unwrap_or_default()
			};
			let unused = reserve.saturating_sub(burned);
			let released = if unused.is_zero() {
				unused
			} else {
				T::Currency::release(&hold, &task.requester, unused, Precision::BestEffort)
					.defensive_unwrap_or_default()
			};
			task.escrow = task.escrow.saturating_sub(burned).saturating_sub(released);
			if !burned.is_zero() {
				Self::deposit_event(Event::QueueRentBurned { task_id, amount: burned });
			}
		}

		/// Tries the queue's first tasks (at most `AssignPerBlock`); fails those not assigned
		/// that waited longer than their timeout. Returns the tasks tried.
		pub(crate) fn assign_queued(now: BlockNumberFor<T>, seeds: &mut Seeds<T>) -> u32 {
			let queue = Queue::<T>::get();
			if queue.is_empty() {
				return 0;
			}
			// Round robin: the tasks tried and still waiting go to the back, so a task nobody can
			// take never blocks the ones behind it, and every task is tried within a turn of the
			// queue (`MaxQueued / AssignPerBlock` blocks), whatever the others pay.
			let mut untried = Vec::with_capacity(queue.len());
			let mut waiting = Vec::new();
			let mut tried = 0u32;
			for entry in queue {
				if tried >= T::AssignPerBlock::get() {
					untried.push(entry);
					continue;
				}
				tried = tried.saturating_add(1);
				let task_id = entry.task_id;
				let Some(mut task) = Tasks::<T>::get(task_id) else { continue };
				let TaskState::Queued { since } = task.state else { continue };
				// Assignment first, expiry after: a task whose timeout is shorter than a turn of
				// a full queue is still tried once before it fails.
				let seed = seeds.of(&entry.entropy);
				if Self::try_assign(task_id, &mut task, now, seed, None) {
					Self::charge_rent(task_id, &mut task, entry, since, Zero::zero());
					Tasks::<T>::insert(task_id, task);
				} else if now > since.saturating_add(task.timeout) {
					let reason = TaskFailure::NoProvider;
					Self::refund_unassigned(task_id, task, Some(entry), reason, Zero::zero());
				} else {
					waiting.push(entry);
				}
			}
			untried.extend(waiting);
			Queue::<T>::put(BoundedVec::truncate_from(untried));
			tried
		}

		/// Checks the terms a task shares with every tile of its job, and returns the escrow
		/// of one task on them (its fuel at most, and the base fee).
		fn check_terms(
			workload: CodeHash,
			fuel_limit: u64,
			max_memory_mib: u32,
			max_price: BalanceOf<T>,
			replication: u32,
			timeout: BlockNumberFor<T>,
		) -> Result<BalanceOf<T>, DispatchError> {
			ensure!(Workloads::<T>::contains_key(workload), Error::<T>::UnknownWorkload);
			ensure!(fuel_limit > 0, Error::<T>::ZeroFuel);
			ensure!(max_memory_mib > 0, Error::<T>::ZeroMemory);
			ensure!(max_memory_mib <= T::MaxMemoryMib::get(), Error::<T>::MemoryTooLarge);
			ensure!(!max_price.is_zero(), Error::<T>::ZeroPrice);
			ensure!(
				is_valid_replication(replication, T::MaxReplication::get()),
				Error::<T>::InvalidReplication
			);
			ensure!(
				timeout >= Self::windows(fuel_limit, replication).1,
				Error::<T>::TimeoutTooShort
			);
			ensure!(timeout <= T::MaxTimeout::get(), Error::<T>::TimeoutTooLong);
			Ok(Self::escrow_for(replication, fuel_limit, max_price)
				.ok_or(Error::<T>::EscrowOverflow)?)
		}

		/// Checks what is a task's own (its input, reply key and audit terms) and returns its
		/// input bounded.
		fn check_tile(
			input: &[u8],
			reply_key: &ReplyKey,
			replication: u32,
			audit: Option<&AuditTerms>,
		) -> Result<BoundedVec<u8, T::MaxInputSize>, DispatchError> {
			let input = Self::check_input(input, reply_key)?;
			match (replication, audit.is_some()) {
				(1, false) => Err(Error::<T>::AuditTermsMissing.into()),
				(2.., true) => Err(Error::<T>::AuditTermsNotAlone.into()),
				_ => Ok(input),
			}
		}

		/// Checks a task's input and reply key and returns its input bounded.
		fn check_input(
			input: &[u8],
			reply_key: &ReplyKey,
		) -> Result<BoundedVec<u8, T::MaxInputSize>, DispatchError> {
			ensure!(
				bourse_primitives::reply::is_usable_key(reply_key),
				Error::<T>::UnusableReplyKey
			);
			ensure!(!input.is_empty(), Error::<T>::EmptyInput);
			Ok(BoundedVec::try_from(input.to_vec()).map_err(|_| Error::<T>::InputTooLarge)?)
		}

		/// The entropy of tile `offset` of a job of `entropy`: fixed at submission, whatever
		/// ids the tiles got.
		fn tile_entropy(entropy: &[u8; 32], offset: u32) -> [u8; 32] {
			blake2_256(&(entropy, offset).encode())
		}

		/// Tries the job queue's tiles, within [`Config::JobTriesPerBlock`]: the jobs submitted
		/// since the last draw in the order of their seeds, after the others; each job in turn
		/// assigns its next tiles until one finds nobody free (the rest of it waits for the next
		/// block). A job with every tile assigned leaves the queue; one whose wait ran out
		/// closes ([`ClosingJobs`]) after its last try, if there is room; the jobs tried go to
		/// the back, so that the next block starts with the others. Returns the tiles tried, the
		/// jobs that left the queue and the jobs read (each rewritten).
		pub(crate) fn assign_jobs(now: BlockNumberFor<T>, seeds: &mut Seeds<T>) -> (u32, u32, u32) {
			let queue = JobQueue::<T>::get();
			if queue.is_empty() {
				return (0, 0, 0);
			}
			let read = queue.len() as u32;
			let budget = T::JobTriesPerBlock::get();
			let (mut tried, mut left) = (0u32, 0u32);
			let jobs: Vec<(JobId, Job<T>)> =
				queue.iter().filter_map(|id| Jobs::<T>::get(id).map(|job| (*id, job))).collect();
			// The fresh ones trade places among themselves by seed: an includer cannot put its
			// own job before the others it included.
			let places: Vec<usize> =
				jobs.iter().enumerate().filter(|(_, (_, job))| job.fresh).map(|(i, _)| i).collect();
			let mut fresh: Vec<([u8; 32], JobId)> = jobs
				.iter()
				.filter(|(_, job)| job.fresh)
				.map(|(id, job)| (seeds.of(&job.entropy), *id))
				.collect();
			fresh.sort_unstable();
			let mut order: Vec<JobId> = jobs.iter().map(|(id, _)| *id).collect();
			for (place, (_, id)) in places.into_iter().zip(fresh) {
				if let Some(slot) = order.get_mut(place) {
					*slot = id;
				}
			}
			let mut by_id: alloc::collections::btree_map::BTreeMap<JobId, Job<T>> =
				jobs.into_iter().collect();
			let jobs: Vec<(JobId, Job<T>)> =
				order.into_iter().filter_map(|id| by_id.remove(&id).map(|job| (id, job))).collect();
			let mut closing = ClosingJobs::<T>::get();
			let mut untried = Vec::with_capacity(jobs.len());
			let mut waiting = Vec::new();
			for (job_id, mut job) in jobs {
				let expired = now > job.wait_until;
				if tried >= budget && !expired {
					untried.push(job_id);
					continue;
				}
				job.fresh = false;
				while job.assigned < job.tiles && tried < budget && !expired {
					let task_id = job.first_task.saturating_add(job.assigned.into());
					tried = tried.saturating_add(1);
					let Some(mut task) = Tasks::<T>::get(task_id) else {
						job.assigned = job.assigned.saturating_add(1);
						continue;
					};
					if !matches!(task.state, TaskState::Queued { .. }) {
						job.assigned = job.assigned.saturating_add(1);
						continue;
					}
					let seed = seeds.of(&Self::tile_entropy(&job.entropy, job.assigned));
					if !Self::try_assign(task_id, &mut task, now, seed, None) {
						break;
					}
					Tasks::<T>::insert(task_id, task);
					job.assigned = job.assigned.saturating_add(1);
				}
				if job.assigned >= job.tiles {
					Self::leave_queue(job_id, &mut job, None, Zero::zero());
					left = left.saturating_add(1);
				} else if now >= job.wait_until {
					// Its last block of trying is over: its waiting tiles fail, a few per block
					// (room is kept for it: `ClosingBound`).
					if closing.try_push(job_id).is_ok() {
						let reason = Some(TaskFailure::NoProvider);
						Self::leave_queue(job_id, &mut job, reason, Zero::zero());
						left = left.saturating_add(1);
					} else {
						defensive!("no room for a closing job");
						waiting.push(job_id);
					}
				} else {
					waiting.push(job_id);
				}
				Jobs::<T>::insert(job_id, job);
			}
			untried.extend(waiting);
			JobQueue::<T>::put(BoundedVec::truncate_from(untried));
			ClosingJobs::<T>::put(closing);
			(tried, left, read)
		}

		/// Fails the waiting tiles of the closing jobs, oldest first, at most
		/// [`Config::JobClosesPerBlock`] (each refunded less its base fee, for the job's reason).
		/// Returns the tiles failed and the jobs done closing.
		pub(crate) fn close_jobs() -> (u32, u32) {
			let closing = ClosingJobs::<T>::get();
			if closing.is_empty() {
				return (0, 0);
			}
			let budget = T::JobClosesPerBlock::get();
			let (mut failed, mut done) = (0u32, 0u32);
			// The jobs at the front that are done closing (or gone) leave the list.
			let mut leaving = 0usize;
			for job_id in closing.iter().copied() {
				if failed >= budget {
					break;
				}
				let Some(mut job) = Jobs::<T>::get(job_id) else {
					leaving = leaving.saturating_add(1);
					continue;
				};
				let reason = job.closing.unwrap_or(TaskFailure::NoProvider);
				while job.assigned < job.tiles && failed < budget {
					let task_id = job.first_task.saturating_add(job.assigned.into());
					job.assigned = job.assigned.saturating_add(1);
					failed = failed.saturating_add(1);
					let Some(task) = Tasks::<T>::get(task_id) else { continue };
					if matches!(task.state, TaskState::Queued { .. }) {
						Self::refund_unassigned(task_id, task, None, reason, Zero::zero());
					}
				}
				let finished = job.assigned >= job.tiles;
				if finished {
					job.closing = None;
					leaving = leaving.saturating_add(1);
					done = done.saturating_add(1);
				}
				Jobs::<T>::insert(job_id, job);
				if !finished {
					break;
				}
			}
			let left: Vec<JobId> = closing.into_iter().skip(leaving).collect();
			ClosingJobs::<T>::put(BoundedVec::truncate_from(left));
			(failed, done)
		}

		/// A job gives up its place in the job queue (`closing`: with tiles still waiting, which
		/// then fail for that reason): the rent for the blocks it held the place (until its
		/// wait ran out, at least `at_least`; at most its reserve) is burned, the rest of its
		/// reserve released.
		pub(crate) fn leave_queue(
			job_id: JobId,
			job: &mut Job<T>,
			closing: Option<TaskFailure>,
			at_least: BlockNumberFor<T>,
		) {
			let hold = HoldReason::TaskEscrow.into();
			let now = frame_system::Pallet::<T>::block_number();
			let waited: u128 =
				now.min(job.wait_until).saturating_sub(job.since).max(at_least).saturated_into();
			let owed = job.rent.saturating_mul(waited.saturated_into()).min(job.reserve);
			let burned = if owed.is_zero() {
				owed
			} else {
				// Rent is the requester's debt, like its escrow: freezes do not shrink it.
				T::Currency::burn_held(
					&hold,
					&job.requester,
					owed,
					Precision::BestEffort,
					Fortitude::Force,
				)
				.defensive_unwrap_or_default()
			};
			let unused = job.reserve.saturating_sub(burned);
			if !unused.is_zero() {
				T::Currency::release(&hold, &job.requester, unused, Precision::BestEffort)
					.defensive_unwrap_or_default();
			}
			job.reserve = Zero::zero();
			job.closing = closing;
			Self::deposit_event(Event::JobLeftQueue { job_id, rent: burned, closing });
		}

		/// Closes a queued task (taken out of the queue, where it was `entry`) as failed: its
		/// rent is burned (for at least `at_least` blocks), then the base fee (it cost the
		/// chain a place in the queue), the rest is refunded.
		fn refund_unassigned(
			task_id: TaskId,
			mut task: Task<T>,
			entry: Option<QueuedTask<BalanceOf<T>>>,
			reason: TaskFailure,
			at_least: BlockNumberFor<T>,
		) {
			#[cfg(feature = "planted-bug")]
			let planted = planted::armed() && entry.is_some() && reason == TaskFailure::Cancelled;
			#[cfg(not(feature = "planted-bug"))]
			let planted = false;
			if let (Some(entry), TaskState::Queued { since }) = (entry, &task.state) {
				let since = *since;
				Self::charge_rent(task_id, &mut task, entry, since, at_least);
			}
			if !planted {
				Self::burn_fee_and_refund(&mut task);
			}
			let settled_at = frame_system::Pallet::<T>::block_number();
			Self::close(task_id, task, TaskState::Failed { reason, settled_at }, None);
			Self::deposit_event(Event::TaskFailed { task_id, reason });
		}

		/// The deadline of an assigned task passed: attestation decides, then it settles.
		/// Returns the weight the judge reported, and the providers' reputations at their worst.
		/// A task still waiting for its first draw at the deadline it would have had fails
		/// ([`TaskFailure::NoProvider`]).
		pub(crate) fn settle_at_deadline(task_id: TaskId) -> Weight {
			let Some(task) = Tasks::<T>::get(task_id) else { return Weight::zero() };
			if let TaskState::Queued { .. } = task.state {
				Self::expire_pending(task_id, task);
				return T::WeightInfo::on_initialize_queue_expired(1);
			}
			if let Some(round) = Self::audit_round(task_id, &task.state) {
				if !round.committee.is_empty() {
					let (judgement, weight) = T::Judge::judge_committee(task_id, &round);
					Self::settle_committee(task_id, task, judgement);
					return weight.saturating_add(Self::committee_weight());
				}
				let (found, weight) = T::Judge::judge_audit(task_id, &round);
				Self::settle_audit(task_id, task, found);
				return weight.saturating_add(Self::reputation_weight(2));
			}
			let TaskState::Assigned { providers, .. } = &task.state else { return Weight::zero() };
			let accounts: Vec<T::AccountId> =
				providers.iter().map(|a| a.provider.clone()).collect();
			let (decision, weight) = T::Judge::decide(task_id, &accounts);
			Self::do_settle(task_id, task, decision);
			weight.saturating_add(Self::reputation_weight(accounts.len() as u32))
		}

		/// Settles the deadlines due by `now` from [`TimeoutCursor`], the oldest block first,
		/// while their weight stays within [`Pallet::deadline_budget`]; the rest carry over to
		/// the next block. Each block takes at least one step (a deadline settled, or an empty
		/// block passed), so a backlog always moves. Late settlement changes nothing for the
		/// tasks: no answer is taken after a deadline. Returns the weight spent.
		pub(crate) fn settle_deadlines(now: BlockNumberFor<T>) -> Weight {
			let budget = Self::deadline_budget();
			let each = Self::deadline_weight();
			// A block's keys are read by one iterator: one read for it, one per key.
			let probe = T::DbWeight::get().reads(1);
			let mut spent = T::WeightInfo::on_initialize_timeouts(0)
				.saturating_add(T::DbWeight::get().reads_writes(1, 1));
			let mut at = TimeoutCursor::<T>::get();
			let mut first = true;
			'blocks: while at <= now {
				if !first && !spent.saturating_add(probe).saturating_add(each).all_lte(budget) {
					break;
				}
				spent = spent.saturating_add(probe);
				// As many as the budget has room for (at least one), and one more to learn
				// whether the block is done.
				let room = budget.saturating_sub(spent);
				let fits = room.ref_time().checked_div(each.ref_time().max(1)).unwrap_or(0);
				let take = usize::try_from(fits).unwrap_or(usize::MAX).clamp(1, 1_024);
				let due: Vec<TaskId> =
					Timeouts::<T>::iter_key_prefix(at).take(take.saturating_add(1)).collect();
				let done = due.len() <= take;
				for task_id in due.into_iter().take(take) {
					if !first && !spent.saturating_add(each).all_lte(budget) {
						break 'blocks;
					}
					first = false;
					// Taken out by an earlier settlement: not due here any more.
					if Timeouts::<T>::take(at, task_id).is_none() {
						continue;
					}
					spent = spent
						.saturating_add(Self::deadline_benchmarked())
						.saturating_add(Self::settle_at_deadline(task_id));
				}
				first = false;
				if !done {
					break;
				}
				at = at.saturating_add(One::one());
			}
			TimeoutCursor::<T>::put(at);
			spent
		}

		/// The weight a block may spend settling deadlines: [`Config::DeadlineShare`] of the
		/// block, and never less than settling, each at its worst, the most deadlines one block
		/// can create ([`Pallet::most_deadlines_created`]), so that no backlog grows from the
		/// blocks' own work (the runtime's tests check its share covers that).
		pub fn deadline_budget() -> Weight {
			let share = T::DeadlineShare::get() * T::BlockWeights::get().max_block;
			// The fixed part, the cursor, and two blocks' keys read.
			let fixed = T::WeightInfo::on_initialize_timeouts(0)
				.saturating_add(T::DbWeight::get().reads_writes(3, 1));
			let keep_up = Self::deadline_weight()
				.saturating_mul(Self::most_deadlines_created())
				.saturating_add(fixed);
			share.max(keep_up)
		}

		/// The most deadline places one block creates: its draw of the submissions the previous
		/// block's weight allowed (at most [`Config::MaxPending`]), its queue's assignments, its
		/// audits and its committees.
		pub fn most_deadlines_created() -> u64 {
			let block = T::BlockWeights::get().max_block.ref_time();
			let submission = Self::submit_weight(1).ref_time().max(1);
			(block / submission)
				.min(T::MaxPending::get().into())
				.saturating_add(T::AssignPerBlock::get().into())
				.saturating_add(T::JobTriesPerBlock::get().into())
				.saturating_add(u64::from(AUDIT_STARTS_PER_BLOCK).saturating_mul(2))
		}

		/// One deadline's settlement at its worst: the benchmark's cost per task (the most
		/// providers, every one a no-show; its entry removed) and the reputation work of the
		/// most providers. (Judging answers costs more with their size; it is charged as it
		/// comes, and what the budget cannot take carries over.)
		pub fn deadline_weight() -> Weight {
			Self::deadline_benchmarked()
				.saturating_add(Self::reputation_weight(T::MaxReplication::get()))
		}

		/// The benchmark's cost per deadline settled, beyond what
		/// [`Pallet::settle_at_deadline`] reports (the judge and the reputation work).
		fn deadline_benchmarked() -> Weight {
			T::WeightInfo::on_initialize_timeouts(1)
				.saturating_sub(T::WeightInfo::on_initialize_timeouts(0))
		}

		/// A pending task reached the deadline block it holds without a draw (every block since
		/// its submission was authored by the author of its parent): it fails, refunded less the
		/// base fee; it owes no rent (it never waited in the queue).
		fn expire_pending(task_id: TaskId, task: Task<T>) {
			let mut pending = Pending::<T>::get();
			let Some(index) = pending.iter().position(|entry| entry.task_id == task_id) else {
				return; // queued tasks hold no deadline place
			};
			pending.remove(index);
			Pending::<T>::put(pending);
			Self::refund_unassigned(task_id, task, None, TaskFailure::NoProvider, Zero::zero());
		}

		/// One queued task's selection at its worst, whatever its replication: a single seat
		/// reads more than a replicated one.
		pub fn queued_selection_weight() -> Weight {
			let single = T::Market::select_weight(1);
			let replicated = T::Market::select_weight(T::MaxReplication::get());
			single.max(replicated)
		}

		/// Settlement's reputation work for `providers` providers at its worst (the benchmarks
		/// meet fresh records only): each verdict recorded, and the score read again when the
		/// offer's slot is released or its bond slashed.
		pub(crate) fn reputation_weight(providers: u32) -> Weight {
			T::Reputation::record_weight()
				.saturating_add(T::Reputation::score_weight().saturating_mul(2))
				.saturating_mul(providers.into())
		}

		/// Burns the base fee out of `task`'s escrow and releases the rest to its requester;
		/// returns the refund. Nothing of the task stays held.
		fn burn_fee_and_refund(task: &mut Task<T>) -> BalanceOf<T> {
			let hold = HoldReason::TaskEscrow.into();
			let fee = T::BaseFee::get().min(task.escrow);
			let burned = T::Currency::burn_held(
				&hold,
				&task.requester,
				fee,
				Precision::BestEffort,
				Fortitude::Force,
			)
			.defensive_unwrap_or_default();
			task.escrow = task.escrow.saturating_sub(burned);
			let refund =
				T::Currency::release(&hold, &task.requester, task.escrow, Precision::BestEffort)
					.defensive_unwrap_or_default();
			task.escrow = task.escrow.saturating_sub(refund);
			refund
		}

		/// Moves `amount` (at most what is held) of `requester`'s escrow to `provider`.
		fn pay(
			requester: &T::AccountId,
			provider: &T::AccountId,
			amount: BalanceOf<T>,
		) -> BalanceOf<T> {
			if amount.is_zero() {
				return amount;
			}
			T::Currency::transfer_on_hold(
				&HoldReason::TaskEscrow.into(),
				requester,
				provider,
				amount,
				Precision::BestEffort,
				Restriction::Free,
				// The escrow is the requester's debt: its freezes must not shrink a payment.
				Fortitude::Force,
			)
			.defensive_unwrap_or_default()
		}

		/// Carries out `decision` on an assigned task: pays winners, slashes losers and the
		/// silent, records reputation, frees slots, burns the base fee, refunds the rest.
		pub(crate) fn do_settle(
			task_id: TaskId,
			mut task: Task<T>,
			decision: Decision<T::AccountId>,
		) {
			let TaskState::Assigned { providers, deadline, .. } = task.state.clone() else {
				return;
			};
			let confidential = Confidential::<T>::contains_key(task_id);
			let mut cost: BalanceOf<T> = Zero::zero();
			for assignment in providers.iter() {
				let provider = &assignment.provider;
				if confidential {
					// Its members are the requester's choice, so no verdict among them moves a
					// bond or a reputation: whoever revealed is paid its seat, whatever the vote;
					// whoever committed too when the task has a result (a reveal kept out of the
					// chain still showed the requester the output), never for no result (a
					// commitment alone proves no work).
					let committed =
						decision.result.is_ok() && decision.committed.contains(provider);
					if decision.revealed.contains(provider) || committed {
						let seat = task.fuel_limit;
						let paid = Self::pay_for(task_id, &mut task, assignment, seat);
						cost = cost.saturating_add(paid);
					}
					T::Market::release(provider);
					ProviderTasks::<T>::remove(provider, task_id);
					continue;
				}
				// What the task was worth to this provider at its own price: what it was paid
				// when it agreed, what it could have earned when it failed.
				let mut value: u128 =
					Self::fuel_cost(u128::from(task.fuel_limit), assignment.price)
						.defensive_unwrap_or_default()
						.saturated_into();
				let verdict = decision
					.verdicts
					.iter()
					.find(|(who, _)| who == provider)
					.and_then(|(_, verdict)| *verdict);
				match (verdict, &decision.result) {
					(Some(Verdict::Agreed), Ok(outcome)) => {
						let owed = Self::fuel_cost(u128::from(outcome.fuel_used), assignment.price)
							.unwrap_or(task.escrow)
							.min(task.escrow.saturating_sub(T::BaseFee::get()));
						let paid = Self::pay(&task.requester, provider, owed);
						task.escrow = task.escrow.saturating_sub(paid);
						cost = cost.saturating_add(paid);
						value = paid.saturated_into();
						Self::deposit_event(Event::ProviderPaid {
							task_id,
							provider: provider.clone(),
							amount: paid,
						});
					}
					// Silence is slashed only when a quorum answered in time (the task was
					// feasible); otherwise it costs reputation only.
					(Some(verdict @ (Verdict::OutVoted | Verdict::NoShow)), result)
						if verdict == Verdict::OutVoted || result.is_ok() =>
					{
						let due = if verdict == Verdict::NoShow {
							T::NoShowSlash::get()
						} else {
							T::Slash::get()
						};
						let amount = T::Market::slash(provider, due);
						Self::deposit_event(Event::ProviderSlashed {
							task_id,
							provider: provider.clone(),
							amount,
						});
					}
					_ => {}
				}
				// Reputation comes from verified work only: a lone answer (replication 1) that
				// nobody checked is paid, but is no evidence of honesty (a requester could buy
				// its own provider a reputation with junk tasks); its failures still count.
				let unverified = verdict == Some(Verdict::Agreed) && providers.len() == 1;
				if let Some(verdict) = verdict.filter(|_| !unverified) {
					T::Reputation::record(provider, verdict, value);
				}
				T::Market::record_attendance(provider, verdict != Some(Verdict::NoShow));
				T::Market::release(provider);
				ProviderTasks::<T>::remove(provider, task_id);
			}
			let refund = Self::burn_fee_and_refund(&mut task);
			Self::deposit_event(Event::Refunded {
				task_id,
				requester: task.requester.clone(),
				refund,
			});
			Self::unschedule_timeout(task_id, deadline);
			Digests::<T>::remove(task_id);
			let settled_at = frame_system::Pallet::<T>::block_number();
			let mut output_len = None;
			let state = match decision.result {
				Ok(outcome) => {
					let output_hash = blake2_256(&outcome.output);
					let output: BoundedVec<u8, T::MaxOutputSize> =
						BoundedVec::truncate_from(outcome.output);
					output_len = Some(output.len() as u32);
					Outputs::<T>::insert(task_id, output);
					Self::deposit_event(Event::TaskCompleted {
						task_id,
						output_hash,
						fuel_used: outcome.fuel_used,
						cost,
					});
					TaskState::Completed {
						status: outcome.status,
						output_hash,
						fuel_used: outcome.fuel_used,
						cost,
						settled_at,
					}
				}
				Err(failure) => {
					let reason = TaskFailure::Attestation(failure);
					Self::deposit_event(Event::TaskFailed { task_id, reason });
					TaskState::Failed { reason, settled_at }
				}
			};
			Self::close(task_id, task, state, output_len);
		}

		/// Makes the held answer of `task` final: pays its provider for the fuel it used at its
		/// price, ends its bond exposure, burns the base fee and refunds the rest. No
		/// reputation: nobody checked the answer. Does nothing unless the answer is held.
		pub(crate) fn finalize(task_id: TaskId, task: Task<T>) {
			let TaskState::Answered { provider, status, fuel_used, commitment, max_output, .. } =
				task.state.clone()
			else {
				return;
			};
			Self::deliver(
				task_id,
				task,
				provider,
				(status, fuel_used, commitment, max_output),
				Delivery::Unverified,
			);
		}

		/// Makes the lone answer `(status, fuel_used, commitment, max_output)` of `provider` to
		/// `task` final: the requester pays for its fuel at the provider's price (to the
		/// provider, or burned: `how`), the provider's bond exposure ends, its reputation is
		/// recorded if an audit verified the answer, the base fee is burned and the rest
		/// refunded.
		fn deliver(
			task_id: TaskId,
			mut task: Task<T>,
			provider: Assignment<T::AccountId, BalanceOf<T>>,
			(status, fuel_used, commitment, max_output): (Status, u64, [u8; 32], u32),
			how: Delivery,
		) {
			let cost = match how {
				Delivery::Verified | Delivery::Unverified => {
					// A confidential task's provider is paid its seat, as its members are
					// (see `do_settle`): nobody outside them can check its meter.
					let fuel = if Confidential::<T>::contains_key(task_id) {
						task.fuel_limit
					} else {
						fuel_used
					};
					Self::pay_for(task_id, &mut task, &provider, fuel)
				}
				Delivery::PayBurned => {
					let owed = Self::fuel_cost(u128::from(fuel_used), provider.price)
						.unwrap_or(task.escrow)
						.min(task.escrow.saturating_sub(T::BaseFee::get()));
					let burned = T::Currency::burn_held(
						&HoldReason::TaskEscrow.into(),
						&task.requester,
						owed,
						Precision::BestEffort,
						Fortitude::Force,
					)
					.defensive_unwrap_or_default();
					task.escrow = task.escrow.saturating_sub(burned);
					Self::deposit_event(Event::UnsettledPayBurned { task_id, amount: burned });
					burned
				}
			};
			if how == Delivery::Verified {
				T::Reputation::record(&provider.provider, Verdict::Agreed, cost.saturated_into());
			}
			T::Market::release_held(&provider.provider);
			let refund = Self::burn_fee_and_refund(&mut task);
			Self::deposit_event(Event::Refunded {
				task_id,
				requester: task.requester.clone(),
				refund,
			});
			Self::deposit_event(Event::TaskDelivered {
				task_id,
				provider: provider.provider.clone(),
				fuel_used,
				cost,
			});
			let sealed_len = SealedOutputs::<T>::decode_len(task_id).unwrap_or(0) as u32;
			let settled_at = frame_system::Pallet::<T>::block_number();
			let state = TaskState::Delivered {
				provider: provider.provider,
				status,
				fuel_used,
				commitment,
				max_output,
				cost,
				settled_at,
			};
			Self::close(task_id, task, state, Some(sealed_len));
		}

		/// Pays `provider` of `task` for `fuel` at its price out of the escrow (never touching
		/// the base fee), says so, and returns what it paid.
		fn pay_for(
			task_id: TaskId,
			task: &mut Task<T>,
			provider: &Assignment<T::AccountId, BalanceOf<T>>,
			fuel: u64,
		) -> BalanceOf<T> {
			let owed = Self::fuel_cost(u128::from(fuel), provider.price)
				.unwrap_or(task.escrow)
				.min(task.escrow.saturating_sub(T::BaseFee::get()));
			let paid = Self::pay(&task.requester, &provider.provider, owed);
			task.escrow = task.escrow.saturating_sub(paid);
			Self::deposit_event(Event::ProviderPaid {
				task_id,
				provider: provider.provider.clone(),
				amount: paid,
			});
			paid
		}

		/// The probability that the lone answer of `task` by a provider at `price` is audited:
		/// the chain's [`Config::AuditRate`], the rate its requester asked for, or the rate that
		/// deters a lie worth the task's most pay, whichever is highest. A provider that answers
		/// junk gains at most `G = fuel_limit × price`; caught, it loses [`Config::Slash`]
		/// (`S`). At `p ≥ 2G / (S + 2G)`, `p · S ≥ 2 (1 − p) G`: on average a lie loses twice
		/// what it gains.
		pub fn audit_rate(task: &Task<T>, terms: &AuditTerms, price: BalanceOf<T>) -> Perbill {
			let gain: u128 = Self::fuel_cost(u128::from(task.fuel_limit), price)
				.map_or(u128::MAX, |g| g.saturated_into());
			let twice = gain.saturating_mul(2);
			let slash: u128 = T::Slash::get().saturated_into();
			let deterring = Perbill::from_rational(twice, slash.saturating_add(twice).max(1));
			T::AuditRate::get().max(terms.rate).max(deterring)
		}

		/// Starts the audit of the held answer of `task` whose window closed: draws an auditor
		/// by bond × reputation (never its provider nor its requester) with the block's
		/// randomness and the coin's secret, and gives it the windows of the task's fuel. If
		/// nobody is free, the answer is held another window and tried
		/// again, [`AUDIT_START_TRIES`] times at most; then it is final unverified
		/// ([`Event::AuditSkipped`]).
		fn start_audit(task_id: TaskId, mut task: Task<T>, seeds: &mut Seeds<T>) {
			let Some(coin) = Self::audit_coin(task_id) else { return };
			let TaskState::Answered {
				provider,
				status,
				fuel_used,
				executor_version,
				commitment,
				proof,
				max_output,
				assigned_at,
				answered_at,
				..
			} = task.state.clone()
			else {
				return;
			};
			let now = frame_system::Pallet::<T>::block_number();
			let entropy = blake2_256(
				&(AUDIT_ENTROPY_CONTEXT, task_id, coin.replaced, coin.tries, coin.secret).encode(),
			);
			let mut excluded = alloc::vec![provider.provider.clone()];
			excluded.extend(coin.previous.clone());
			let requirements = Self::checkers(&task, 1, excluded, seeds.of(&entropy));
			let auditor = T::Market::select(&requirements)
				.ok()
				.and_then(|mut c| c.pop())
				.map(|a| Self::checker(&task, a));
			let (commit_window, _) = Self::windows(task.fuel_limit, 1);
			let commit_until = now.saturating_add(commit_window);
			let placed = auditor.as_ref().map(|_| Self::place_deadline(task_id, commit_until));
			let (Some(auditor), Some(deadline)) = (auditor.clone(), placed) else {
				if let Some(auditor) = auditor {
					T::Market::release(&auditor.provider);
				}
				if coin.tries.saturating_add(1) < AUDIT_START_TRIES {
					// Held another window, the coin kept.
					let tries = coin.tries.saturating_add(1);
					Self::set_audit_coin(task_id, Some(AuditCoin { tries, ..coin }));
					Self::hold_again(task_id, task, now);
				} else {
					Self::deposit_event(Event::AuditSkipped { task_id });
					let answer = (status, fuel_used, commitment, max_output);
					Self::deliver(task_id, task, provider, answer, Delivery::Unverified);
				}
				return;
			};
			Self::set_audit_coin(task_id, None);
			ProviderTasks::<T>::insert(&auditor.provider, task_id, ());
			AuditedAnswers::<T>::insert(&provider.provider, task_id, ());
			Self::deposit_event(Event::AuditStarted {
				task_id,
				auditor: auditor.provider.clone(),
				commit_until,
				deadline,
			});
			task.state = TaskState::Audited {
				provider,
				status,
				fuel_used,
				executor_version,
				commitment,
				proof,
				max_output,
				assigned_at,
				answered_at,
				auditor,
				audit_at: now,
				commit_until,
				deadline,
				replaced: coin.replaced > 0,
			};
			Tasks::<T>::insert(task_id, task);
		}

		/// Carries out what an audit of `task` `found` (see the module docs, "Audits"): the
		/// auditor's part first (paid for its run, or slashed), then the answer's (final,
		/// verified or not; failed; or held again for a second auditor).
		/// Returns whether the audit goes on: a disagreement goes to a committee
		/// ([`Pallet::escalate`]).
		pub(crate) fn settle_audit(
			task_id: TaskId,
			mut task: Task<T>,
			found: AuditFinding,
		) -> bool {
			let TaskState::Audited { provider, auditor, deadline, replaced, .. } =
				task.state.clone()
			else {
				return false;
			};
			if Disputes::<T>::contains_key(task_id) {
				return true; // a committee settles it: its records stay
			}
			Self::unschedule_timeout(task_id, deadline);
			if let AuditFinding::Disagreed { .. } = found {
				Self::deposit_event(Event::AuditEnded {
					task_id,
					auditor: auditor.provider.clone(),
					found,
				});
				Self::escalate(task_id, task, &auditor.provider, deadline);
				return true;
			}
			ProviderTasks::<T>::remove(&auditor.provider, task_id);
			AuditedAnswers::<T>::remove(&provider.provider, task_id);
			Self::deposit_event(Event::AuditEnded {
				task_id,
				auditor: auditor.provider.clone(),
				found,
			});
			let fuel_limit = task.fuel_limit;
			let value_to = |a: &Assignment<T::AccountId, BalanceOf<T>>| -> u128 {
				Self::fuel_cost(u128::from(fuel_limit), a.price)
					.defensive_unwrap_or_default()
					.saturated_into()
			};
			let slash = |who: &T::AccountId, due: BalanceOf<T>| {
				let amount = T::Market::slash(who, due);
				Self::deposit_event(Event::ProviderSlashed {
					task_id,
					provider: who.clone(),
					amount,
				});
			};
			// The auditor: paid for a run whose outcome stood, slashed for silence or a withheld
			// opening.
			let who = &auditor.provider;
			match found {
				AuditFinding::Agreed { fuel } | AuditFinding::ProviderWithheld { fuel } => {
					let paid = Self::pay_for(task_id, &mut task, &auditor, fuel);
					T::Reputation::record(who, Verdict::Agreed, paid.saturated_into());
				}
				// Not comparable: unpaid (else a lazy auditor of the other accepted version
				// would be paid for junk), not slashed. (A disagreement went to a committee.)
				AuditFinding::NotComparable { .. } | AuditFinding::Disagreed { .. } => {}
				AuditFinding::AuditorSilent => {
					slash(who, T::NoShowSlash::get());
					T::Reputation::record(who, Verdict::NoShow, value_to(&auditor));
				}
				AuditFinding::AuditorAbstained => {
					T::Reputation::record(who, Verdict::Abstained, value_to(&auditor));
				}
				AuditFinding::AuditorWithheld | AuditFinding::BothWithheld => {
					slash(who, T::Slash::get());
					T::Reputation::record(who, Verdict::OutVoted, value_to(&auditor));
				}
			}
			T::Market::record_attendance(who, found != AuditFinding::AuditorSilent);
			T::Market::release(who);
			Self::settle_audited_answer(task_id, task, found, replaced);
			false
		}

		/// The answer's part of an audit's settlement ([`Pallet::settle_audit`]).
		fn settle_audited_answer(
			task_id: TaskId,
			mut task: Task<T>,
			found: AuditFinding,
			replaced: bool,
		) {
			let TaskState::Audited {
				provider,
				status,
				fuel_used,
				commitment,
				max_output,
				assigned_at,
				answered_at,
				executor_version,
				proof,
				auditor,
				..
			} = task.state.clone()
			else {
				return;
			};
			let value: u128 = Self::fuel_cost(u128::from(task.fuel_limit), provider.price)
				.defensive_unwrap_or_default()
				.saturated_into();
			// The answer.
			let answer = (status, fuel_used, commitment, max_output);
			match found {
				AuditFinding::Agreed { .. } => {
					Self::deliver(task_id, task, provider, answer, Delivery::Verified);
				}
				AuditFinding::AuditorSilent | AuditFinding::AuditorAbstained if !replaced => {
					// Nothing of the answer was opened: hold it again, and draw another
					// auditor when its new window closes.
					let now = frame_system::Pallet::<T>::block_number();
					let final_at = now.saturating_add(T::VerificationWindow::get());
					let terms = AuditTerms { seal: [0; 32], rate: Perbill::one() };
					// No seal opens: the coin is not shown again; the audit is due.
					let previous = Some(auditor.provider.clone());
					let coin = AuditCoin { terms, secret: None, replaced: 1, tries: 0, previous };
					Self::set_audit_coin(task_id, Some(coin));
					Self::hold_until(task_id, final_at);
					task.state = TaskState::Answered {
						provider,
						status,
						fuel_used,
						executor_version,
						commitment,
						proof,
						max_output,
						assigned_at,
						answered_at,
						final_at,
					};
					Tasks::<T>::insert(task_id, task);
				}
				// Two auditors in turn could not run it, or not with the executor version the
				// provider declared: the answer cannot be checked when the coin said to, so it
				// is not paid (nor slashed: abstaining is no proof of a lie).
				AuditFinding::AuditorAbstained => {
					Self::fail_held(task_id, task, &provider.provider, TaskFailure::Unaudited);
				}
				AuditFinding::AuditorSilent
				| AuditFinding::AuditorWithheld
				| AuditFinding::NotComparable { .. } => {
					Self::deliver(task_id, task, provider, answer, Delivery::Unverified);
				}
				AuditFinding::ProviderWithheld { .. } | AuditFinding::BothWithheld => {
					Self::slash_held(task_id, &provider.provider);
					T::Reputation::record(&provider.provider, Verdict::OutVoted, value);
					Self::fail_held(task_id, task, &provider.provider, TaskFailure::AuditFailed);
				}
				// Goes to a committee ([`Pallet::escalate`]): never settled here.
				AuditFinding::Disagreed { .. } => {
					defensive!("a disagreement settled without its committee");
					Self::fail_held(task_id, task, &provider.provider, TaskFailure::AuditDisputed);
				}
			}
		}

		/// The audit under way of a task in `state`, as attestation sees it, with its
		/// committee if its dispute has one.
		pub fn audit_round(
			task_id: TaskId,
			state: &TaskState<T>,
		) -> Option<AuditRound<T::AccountId>> {
			let mut round = state.first_round()?;
			if let Some(dispute) = Disputes::<T>::get(task_id) {
				round.committee = dispute.committee.into_iter().map(|a| a.provider).collect();
			}
			Some(round)
		}

		/// The audit of `task` found another outcome than the answer's: the auditor's slot is
		/// freed but its bond stays exposed (it may be found wrong), and a committee is drawn
		/// a verification window after the audit's `deadline`, in a block that draws: a block
		/// fixed when the audit started, so neither party steers the draw by when its opening
		/// lands.
		fn escalate(
			task_id: TaskId,
			task: Task<T>,
			auditor: &T::AccountId,
			deadline: BlockNumberFor<T>,
		) {
			ProviderTasks::<T>::remove(auditor, task_id);
			T::Market::hold(auditor);
			Disputes::<T>::insert(task_id, Dispute { committee: Default::default(), tries: 0 });
			// Never a block already passed (a deadline settled late).
			let now = frame_system::Pallet::<T>::block_number();
			let draw_at = deadline
				.saturating_add(T::VerificationWindow::get())
				.saturating_add(One::one())
				.max(now.saturating_add(One::one()));
			if let Some(draw_at) = Self::await_committee(task_id, task, draw_at) {
				Self::deposit_event(Event::AuditDisputed { task_id, draw_at });
			}
		}

		/// Schedules the committee's draw of the dispute of `task` ([`CommitteeDraws`]) in the
		/// first block from `from` with room ([`AUDIT_DEADLINE_TRIES`] tried) and returns it.
		/// None has room (that many disputes at once): the dispute ends without a committee
		/// ([`Pallet::end_dispute`]).
		fn await_committee(
			task_id: TaskId,
			task: Task<T>,
			from: BlockNumberFor<T>,
		) -> Option<BlockNumberFor<T>> {
			let placed = (0..AUDIT_DEADLINE_TRIES).find_map(|later| {
				let at = from.saturating_add(later.into());
				CommitteeDraws::<T>::try_mutate(at, |due| due.try_push(task_id)).ok().map(|()| at)
			});
			if placed.is_none() {
				Self::deposit_event(Event::CommitteeSkipped { task_id });
				Self::end_dispute(task_id, task);
			}
			placed
		}

		/// Draws the committee of the disputed audit of `task`: [`COMMITTEE_SIZE`] checkers
		/// ([`Pallet::checkers`]: never its provider, its auditor nor its requester), with the
		/// block's randomness, given the windows of the task's fuel. Too few free: another
		/// window, [`AUDIT_START_TRIES`] times at most; then the
		/// dispute ends without a committee ([`Pallet::end_dispute`]).
		pub(crate) fn draw_committee(task_id: TaskId, mut task: Task<T>, seeds: &mut Seeds<T>) {
			let Some(dispute) = Disputes::<T>::get(task_id) else { return };
			let TaskState::Audited { provider, auditor, .. } = &task.state else { return };
			let now = frame_system::Pallet::<T>::block_number();
			let entropy = blake2_256(&(COMMITTEE_ENTROPY_CONTEXT, task_id, dispute.tries).encode());
			let excluded = alloc::vec![provider.provider.clone(), auditor.provider.clone()];
			let requirements = Self::checkers(&task, COMMITTEE_SIZE, excluded, seeds.of(&entropy));
			let members: Vec<_> = T::Market::select(&requirements)
				.unwrap_or_default()
				.into_iter()
				.map(|a| Self::checker(&task, a))
				.collect();
			let committee: Option<BoundedVec<_, ConstU32<COMMITTEE_SIZE>>> = members
				.clone()
				.try_into()
				.ok()
				.filter(|c: &BoundedVec<_, _>| c.len() as u32 == COMMITTEE_SIZE);
			let (commit_window, _) = Self::windows(task.fuel_limit, 1);
			let commit_until = now.saturating_add(commit_window);
			let placed = committee.as_ref().map(|_| Self::place_deadline(task_id, commit_until));
			let (Some(committee), Some(deadline)) = (committee, placed) else {
				for member in &members {
					T::Market::release(&member.provider);
				}
				let tries = dispute.tries.saturating_add(1);
				if tries < AUDIT_START_TRIES {
					Disputes::<T>::insert(task_id, Dispute { tries, ..dispute });
					let from = now.saturating_add(T::VerificationWindow::get());
					Self::await_committee(task_id, task, from);
				} else {
					Self::deposit_event(Event::CommitteeSkipped { task_id });
					Self::end_dispute(task_id, task);
				}
				return;
			};
			for member in &committee {
				ProviderTasks::<T>::insert(&member.provider, task_id, ());
			}
			Self::deposit_event(Event::CommitteeDrawn {
				task_id,
				members: committee.iter().map(|a| a.provider.clone()).collect(),
				commit_until,
				deadline,
			});
			if let TaskState::Audited { audit_at, commit_until: commits, deadline: due, .. } =
				&mut task.state
			{
				(*audit_at, *commits, *due) = (now, commit_until, deadline);
			}
			Disputes::<T>::insert(task_id, Dispute { committee, ..dispute });
			Tasks::<T>::insert(task_id, task);
		}

		/// The deadline of a round whose commits close at `commit_until`, [`OPEN_WINDOW`] later;
		/// the task takes its place in the block after it.
		fn place_deadline(task_id: TaskId, commit_until: BlockNumberFor<T>) -> BlockNumberFor<T> {
			let deadline = commit_until.saturating_add(OPEN_WINDOW.into());
			Timeouts::<T>::insert(deadline.saturating_add(One::one()), task_id, ());
			deadline
		}

		/// A disputed audit ends without a committee (none could be drawn): nobody is found
		/// wrong. The answer is final unverified and the requester pays for it, but the pay is
		/// burned ([`Event::UnsettledPayBurned`]): refunding would give the requester, holding
		/// the output, work for free whenever the pool is busy; paying would pay junk that an
		/// auditor contradicted. The auditor is neither paid nor slashed. The audit's records go.
		fn end_dispute(task_id: TaskId, task: Task<T>) {
			let TaskState::Audited {
				provider,
				auditor,
				status,
				fuel_used,
				commitment,
				max_output,
				..
			} = task.state.clone()
			else {
				return;
			};
			T::Judge::forget(task_id);
			Disputes::<T>::remove(task_id);
			AuditedAnswers::<T>::remove(&provider.provider, task_id);
			T::Market::record_attendance(&auditor.provider, true);
			T::Market::release_held(&auditor.provider);
			let answer = (status, fuel_used, commitment, max_output);
			Self::deliver(task_id, task, provider, answer, Delivery::PayBurned);
		}

		/// Carries out a committee's `judgement` of the disputed audit of `task` (see the
		/// module docs, "Disputes"): the members paid (out of the slash of whom it found
		/// wrong) or slashed, then the auditor, then the answer (final and verified, or failed).
		pub(crate) fn settle_committee(
			task_id: TaskId,
			mut task: Task<T>,
			judgement: CommitteeJudgement<T::AccountId>,
		) {
			let TaskState::Audited {
				provider,
				auditor,
				deadline,
				status,
				fuel_used,
				commitment,
				max_output,
				..
			} = task.state.clone()
			else {
				return;
			};
			let Some(dispute) = Disputes::<T>::take(task_id) else { return };
			Self::unschedule_timeout(task_id, deadline);
			AuditedAnswers::<T>::remove(&provider.provider, task_id);
			let upheld = judgement.upheld;
			Self::deposit_event(Event::CommitteeJudged { task_id, upheld });
			let fuel_limit = task.fuel_limit;
			let value_to = |a: &Assignment<T::AccountId, BalanceOf<T>>| -> u128 {
				Self::fuel_cost(u128::from(fuel_limit), a.price)
					.defensive_unwrap_or_default()
					.saturated_into()
			};
			let majority = upheld != Upheld::NoMajority;
			// The members: the majority is owed its runs, paid out of the wrong party's slash,
			// each at most an equal share of half of it (the rest is always burned, so that
			// finding someone wrong never pays more than running the task).
			let mut owed: Vec<(T::AccountId, BalanceOf<T>)> = Vec::new();
			let mut agreed_fuel = None;
			let mut opened = 0u32;
			let mut winners = 0u32;
			for (_, part) in &judgement.members {
				if let MemberPart::Majority { .. }
				| MemberPart::Minority
				| MemberPart::Unwitnessed = part
				{
					opened = opened.saturating_add(1);
				}
				if let MemberPart::Majority { .. } = part {
					winners = winners.saturating_add(1);
				}
			}
			let share: BalanceOf<T> =
				T::Slash::get() / BalanceOf::<T>::from(winners.max(1).saturating_mul(2));
			for assignment in dispute.committee.iter() {
				let who = &assignment.provider;
				let part = judgement
					.members
					.iter()
					.find(|(m, _)| m == who)
					.map_or(MemberPart::Silent, |(_, part)| *part);
				ProviderTasks::<T>::remove(who, task_id);
				match part {
					MemberPart::Majority { fuel } => {
						agreed_fuel = Some(fuel);
						let due = Self::fuel_cost(u128::from(fuel), assignment.price)
							.defensive_unwrap_or_default();
						owed.push((who.clone(), due.min(share)));
						T::Reputation::record(who, Verdict::Agreed, value_to(assignment));
					}
					MemberPart::Minority if !majority => {}
					// Under the majority's outcome with another witness: it did not run the task
					// (a majority of witnesses is the honest side), so it is treated as silent.
					MemberPart::Unwitnessed => {
						Self::slash_paying(task_id, who, T::NoShowSlash::get(), &mut Vec::new());
						T::Reputation::record(who, Verdict::NoShow, value_to(assignment));
					}
					MemberPart::Minority | MemberPart::Withheld => {
						Self::slash_paying(task_id, who, T::Slash::get(), &mut Vec::new());
						T::Reputation::record(who, Verdict::OutVoted, value_to(assignment));
					}
					// Attributable only when another member managed to open.
					MemberPart::Silent if opened > 0 => {
						Self::slash_paying(task_id, who, T::NoShowSlash::get(), &mut Vec::new());
						T::Reputation::record(who, Verdict::NoShow, value_to(assignment));
					}
					MemberPart::Silent => {}
					MemberPart::Abstained => {
						T::Reputation::record(who, Verdict::Abstained, value_to(assignment));
					}
				}
				T::Market::record_attendance(who, part != MemberPart::Silent);
				T::Market::release(who);
			}
			// Whom it found wrong pays the committee out of its slash (both wrong: the
			// provider's, the auditor's all burned).
			let (provider_wrong, auditor_wrong) = match upheld {
				Upheld::Provider => (false, true),
				Upheld::Auditor => (true, false),
				Upheld::Neither => (true, true),
				Upheld::NoMajority => (false, false),
			};
			if provider_wrong {
				Self::slash_paying(task_id, &provider.provider, T::Slash::get(), &mut owed);
				T::Reputation::record(&provider.provider, Verdict::OutVoted, value_to(&provider));
			}
			// The auditor: paid when upheld, slashed when found wrong, else neither.
			if auditor_wrong {
				if provider_wrong {
					owed.clear();
				}
				Self::slash_paying(task_id, &auditor.provider, T::Slash::get(), &mut owed);
				T::Reputation::record(&auditor.provider, Verdict::OutVoted, value_to(&auditor));
			} else if let (Upheld::Auditor, Some(fuel)) = (upheld, agreed_fuel) {
				let paid = Self::pay_for(task_id, &mut task, &auditor, fuel);
				T::Reputation::record(&auditor.provider, Verdict::Agreed, paid.saturated_into());
			}
			T::Market::record_attendance(&auditor.provider, true);
			T::Market::release_held(&auditor.provider);
			// The answer.
			match upheld {
				Upheld::Provider => {
					let answer = (status, fuel_used, commitment, max_output);
					Self::deliver(task_id, task, provider, answer, Delivery::Verified);
				}
				Upheld::Auditor | Upheld::Neither => match judgement.delivered {
					Some(delivered) => Self::deliver_committees(
						task_id,
						task,
						&provider.provider,
						&dispute,
						delivered,
					),
					None => {
						Self::fail_held(task_id, task, &provider.provider, TaskFailure::AuditFailed)
					}
				},
				Upheld::NoMajority => {
					let answer = (status, fuel_used, commitment, max_output);
					Self::deliver(task_id, task, provider, answer, Delivery::PayBurned);
				}
			}
		}

		/// The provider of the disputed `task` was found wrong: the requester gets the
		/// committee's output instead, the box of its majority's first member (sealed under the
		/// round's digest, which becomes the task's [`Digests`] entry), at no cost: the member
		/// was paid out of the slash. The provider's exposure ends, the requester is refunded
		/// less the base fee and what the auditor was paid, and the task is delivered.
		fn deliver_committees(
			task_id: TaskId,
			mut task: Task<T>,
			provider: &T::AccountId,
			dispute: &Dispute<T::AccountId, BalanceOf<T>>,
			(member, status, fuel_used, sealed): (T::AccountId, Status, u64, Vec<u8>),
		) {
			let Ok(sealed) = BoundedVec::<u8, T::MaxSealedSize>::try_from(sealed) else {
				defensive!("a member's box above the bound");
				return Self::fail_held(task_id, task, provider, TaskFailure::AuditFailed);
			};
			T::Market::release_held(provider);
			let refund = Self::burn_fee_and_refund(&mut task);
			Self::deposit_event(Event::Refunded {
				task_id,
				requester: task.requester.clone(),
				refund,
			});
			let cost = Zero::zero();
			Self::deposit_event(Event::TaskDelivered {
				task_id,
				provider: member.clone(),
				fuel_used,
				cost,
			});
			let members: Vec<T::AccountId> =
				dispute.committee.iter().map(|a| a.provider.clone()).collect();
			let task_digest = Digests::<T>::get(task_id).unwrap_or_default();
			let round = bourse_primitives::reply::committee_digest(&task_digest, &members);
			Digests::<T>::insert(task_id, round);
			let sealed_len = sealed.len() as u32;
			SealedOutputs::<T>::insert(task_id, sealed);
			let settled_at = frame_system::Pallet::<T>::block_number();
			let state = TaskState::Delivered {
				provider: member,
				status,
				fuel_used,
				// Delivered by a committee member: no lone answer's commitment.
				commitment: [0; 32],
				max_output: T::MaxOutputSize::get(),
				cost,
				settled_at,
			};
			Self::close(task_id, task, state, Some(sealed_len));
		}

		/// Slashes `who` `amount` for `task_id`: first pays what `owed` still lists out of it
		/// (each payee in turn, as far as it goes; what is paid leaves `owed`), then burns the
		/// rest, and says so.
		fn slash_paying(
			task_id: TaskId,
			who: &T::AccountId,
			amount: BalanceOf<T>,
			owed: &mut Vec<(T::AccountId, BalanceOf<T>)>,
		) {
			let mut left = amount;
			for (payee, due) in owed.iter_mut() {
				if left.is_zero() {
					break;
				}
				let paid = T::Market::forfeit(who, (*due).min(left), payee);
				*due = due.saturating_sub(paid);
				left = left.saturating_sub(paid);
				if !paid.is_zero() {
					Self::deposit_event(Event::CommitteePaid {
						task_id,
						member: payee.clone(),
						from: who.clone(),
						amount: paid,
					});
				}
			}
			owed.retain(|(_, due)| !due.is_zero());
			let burned = T::Market::slash(who, left);
			let amount = amount.saturating_sub(left).saturating_add(burned);
			Self::deposit_event(Event::ProviderSlashed { task_id, provider: who.clone(), amount });
		}

		/// What settling a committee's judgement costs beyond the caller's benchmarks: the
		/// settlement at its worst ([`WeightInfo::settle_committee`]), and every party's
		/// reputation (provider, auditor, members) recorded and read at its worst.
		pub(crate) fn committee_weight() -> Weight {
			T::WeightInfo::settle_committee()
				.saturating_add(Self::reputation_weight(COMMITTEE_SIZE.saturating_add(2)))
		}

		/// Slashes the provider of a held answer of `task_id` [`Config::Slash`] and says so.
		fn slash_held(task_id: TaskId, provider: &T::AccountId) {
			let amount = T::Market::slash(provider, T::Slash::get());
			Self::deposit_event(Event::ProviderSlashed {
				task_id,
				provider: provider.clone(),
				amount,
			});
		}

		/// Holds the held answer of `task` another window from `now` (its audit's start waits).
		fn hold_again(task_id: TaskId, mut task: Task<T>, now: BlockNumberFor<T>) {
			let final_at = now.saturating_add(T::VerificationWindow::get());
			if let TaskState::Answered { final_at: at, .. } = &mut task.state {
				*at = final_at;
			}
			Self::hold_until(task_id, final_at);
			Tasks::<T>::insert(task_id, task);
		}

		/// Queues the held answer of `task_id` to be final (or audited) at `final_at`.
		fn hold_until(task_id: TaskId, final_at: BlockNumberFor<T>) {
			let (first, end) = HeldRange::<T>::get();
			HeldQueue::<T>::insert(end, (task_id, final_at));
			HeldRange::<T>::put((first, end.saturating_add(1)));
		}

		/// Ends the held (or audited) lone answer of `provider` to `task` without a result:
		/// the provider's exposure ends, the requester is refunded less the base fee, the box
		/// goes, and the task fails for `reason`. Pays and slashes nobody.
		fn fail_held(
			task_id: TaskId,
			mut task: Task<T>,
			provider: &T::AccountId,
			reason: TaskFailure,
		) {
			T::Market::release_held(provider);
			let refund = Self::burn_fee_and_refund(&mut task);
			Self::deposit_event(Event::Refunded {
				task_id,
				requester: task.requester.clone(),
				refund,
			});
			Self::deposit_event(Event::TaskFailed { task_id, reason });
			SealedOutputs::<T>::remove(task_id);
			Digests::<T>::remove(task_id);
			let settled_at = frame_system::Pallet::<T>::block_number();
			Self::close(task_id, task, TaskState::Failed { reason, settled_at }, None);
		}

		/// The held answer of `task` was proven badly delivered: its provider is slashed and
		/// loses reputation, its bond exposure ends, the requester is refunded less the base
		/// fee, and the task fails. Its box goes (its secret is public now).
		fn fail_delivery(task_id: TaskId, mut task: Task<T>) {
			let provider = match task.state.clone() {
				TaskState::Answered { provider, .. } => provider,
				ref state @ TaskState::Audited { ref provider, ref auditor, deadline, .. } => {
					// The audit ends unfinished: its auditor is paid for a run it opened,
					// and judged on nothing.
					Self::unschedule_timeout(task_id, deadline);
					ProviderTasks::<T>::remove(&auditor.provider, task_id);
					AuditedAnswers::<T>::remove(&provider.provider, task_id);
					T::Market::release(&auditor.provider);
					let found = state.first_round().map(|r| T::Judge::judge_audit(task_id, &r).0);
					if let Some(
						AuditFinding::Agreed { fuel }
						| AuditFinding::Disagreed { fuel }
						| AuditFinding::NotComparable { fuel }
						| AuditFinding::ProviderWithheld { fuel },
					) = found
					{
						Self::pay_for(task_id, &mut task, auditor, fuel);
					}
					provider.clone()
				}
				_ => return,
			};
			let who = &provider.provider;
			let amount = T::Market::slash(who, T::Slash::get());
			Self::deposit_event(Event::ProviderSlashed { task_id, provider: who.clone(), amount });
			// A confidential task moves no reputation (its provider was the requester's choice):
			// the slash, for a fault anyone can check, is its cost.
			if !Confidential::<T>::contains_key(task_id) {
				let value: u128 = Self::fuel_cost(u128::from(task.fuel_limit), provider.price)
					.defensive_unwrap_or_default()
					.saturated_into();
				T::Reputation::record(who, Verdict::OutVoted, value);
			}
			Self::fail_held(task_id, task, who, TaskFailure::BadDelivery);
		}

		/// Makes final the held answers whose window has closed, or starts their audit (when
		/// their audit coin was not shown, or said so), oldest first, at most
		/// [`Config::FinalizePerBlock`]; the rest wait for the next block, as do all from the
		/// first audit on when this block does not draw (`draws`: [`Pallet::may_draw`]).
		/// Returns how many entries of [`HeldQueue`] it passed, and how many audits it started.
		pub(crate) fn finalize_due(
			now: BlockNumberFor<T>,
			draws: bool,
			seeds: &mut Seeds<T>,
		) -> (u32, u32) {
			let (mut first, end) = HeldRange::<T>::get();
			let mut passed = 0u32;
			let mut audits = 0u32;
			while first < end && passed < T::FinalizePerBlock::get() {
				let Some((task_id, final_at)) = HeldQueue::<T>::get(first) else {
					defensive!("a gap in the held answers' queue");
					first = first.saturating_add(1);
					passed = passed.saturating_add(1);
					continue;
				};
				if final_at > now {
					break;
				}
				if let Some(task) = Tasks::<T>::get(task_id) {
					let held = matches!(task.state, TaskState::Answered { .. });
					if held && Self::audit_coin(task_id).is_some() {
						if !draws {
							break; // the next block that draws starts it
						}
						if audits >= AUDIT_STARTS_PER_BLOCK {
							// Held another window, so the answers behind it are not held up.
							Self::hold_again(task_id, task, now);
						} else {
							Self::start_audit(task_id, task, seeds);
							audits = audits.saturating_add(1);
						}
					} else {
						Self::finalize(task_id, task);
					}
				}
				HeldQueue::<T>::remove(first);
				first = first.saturating_add(1);
				passed = passed.saturating_add(1);
			}
			if passed > 0 {
				// Answers held again meanwhile (an audit's start tried again) went to the end.
				HeldRange::<T>::mutate(|(start, _)| *start = first);
			}
			(passed, audits)
		}

		/// Takes `task_id` out of the timeouts due after `deadline`.
		fn unschedule_timeout(task_id: TaskId, deadline: BlockNumberFor<T>) {
			Self::release_deadline(task_id, deadline.saturating_add(One::one()));
		}

		/// Stores `task` in its final `state`, releases its workload, and shrinks its deposit to
		/// what stays stored: the task and its input, and its output (`output_len`) if any.
		fn close(task_id: TaskId, mut task: Task<T>, state: TaskState<T>, output_len: Option<u32>) {
			Workloads::<T>::mutate(task.workload, |w| {
				if let Some(w) = w {
					w.open_tasks = w.open_tasks.saturating_sub(1);
				}
			});
			let mut items = if output_len.is_some() { 2 } else { 1 };
			let mut bytes = (task.input.len() as u32).saturating_add(output_len.unwrap_or(0));
			// A confidential task's terms stay until it is pruned: its seals are all that
			// tells its members its input, and its secret's hash binds its output.
			if let Some(terms) = Confidential::<T>::get(task_id) {
				items = items.saturating_add(1);
				bytes = bytes.saturating_add(terms.encoded_size() as u32);
			}
			// What the stored record and output no longer need of the deposit is released.
			let release = |amount: &mut BalanceOf<T>| {
				let kept = Self::storage_deposit(items, bytes).unwrap_or(*amount).min(*amount);
				let released = T::Currency::release(
					&HoldReason::TaskStorage.into(),
					&task.requester,
					amount.saturating_sub(kept),
					Precision::BestEffort,
				)
				.defensive_unwrap_or_default();
				*amount = amount.saturating_sub(released);
			};
			if Self::is_legacy(task_id) {
				// Tasks submitted before deposits were taken have none. A legacy coin is left
				// to pruning: one write here, as for any task.
				LegacyTaskDeposits::<T>::mutate(task_id, |held| held.as_mut().map(release));
			} else {
				let found = TaskExtras::<T>::mutate_extant(task_id, |extra| {
					release(&mut extra.deposit);
					extra.coin = None;
					true
				});
				if !found {
					defensive!("a task without its extras: no deposit to release");
				}
			}
			task.state = state;
			Tasks::<T>::insert(task_id, task);
		}

		/// Prunes settled tasks older than the retention period, oldest id first, at most
		/// `PrunePerBlock`, and returns their deposits. Open tasks stop the cursor (their
		/// lifetime is bounded by twice the longest timeout and a turn of the queue). Returns
		/// the ids passed, and how many of them were legacy tasks (three entries removed
		/// instead of their one [`TaskExtras`] entry).
		pub(crate) fn prune(now: BlockNumberFor<T>) -> (u32, u32) {
			let mut cursor = PruneCursor::<T>::get();
			let next = NextTaskId::<T>::get();
			let extras_since = ExtrasSince::<T>::get();
			let mut pruned = 0u32;
			let mut legacy = 0u32;
			while pruned < T::PrunePerBlock::get() && cursor < next {
				let task = Tasks::<T>::get(cursor);
				let settled_at = match task.as_ref().map(|t| &t.state) {
					Some(TaskState::Completed { settled_at, .. })
					| Some(TaskState::Delivered { settled_at, .. })
					| Some(TaskState::Failed { settled_at, .. }) => Some(*settled_at),
					Some(_) => break,
					None => None,
				};
				if let (Some(settled_at), Some(task)) = (settled_at, task) {
					if now < settled_at.saturating_add(T::Retention::get()) {
						break;
					}
					Tasks::<T>::remove(cursor);
					Outputs::<T>::remove(cursor);
					SealedOutputs::<T>::remove(cursor);
					Digests::<T>::remove(cursor);
					Confidential::<T>::remove(cursor);
					let deposit = if cursor < extras_since {
						legacy = legacy.saturating_add(1);
						LegacyReplyKeys::<T>::remove(cursor);
						LegacyAuditCoins::<T>::remove(cursor);
						LegacyTaskDeposits::<T>::take(cursor)
					} else {
						TaskExtras::<T>::take(cursor).map(|extra| extra.deposit)
					};
					if let Some(deposit) = deposit {
						T::Currency::release(
							&HoldReason::TaskStorage.into(),
							&task.requester,
							deposit,
							Precision::BestEffort,
						)
						.defensive_unwrap_or_default();
					}
					Self::deposit_event(Event::TaskPruned { task_id: cursor });
					if let Some(job_id) = JobEnds::<T>::take(cursor) {
						if let Some(job) = Jobs::<T>::take(job_id) {
							T::Currency::release(
								&HoldReason::TaskStorage.into(),
								&job.requester,
								job.deposit,
								Precision::BestEffort,
							)
							.defensive_unwrap_or_default();
						}
						Self::deposit_event(Event::JobPruned { job_id });
					}
				}
				pruned = pruned.saturating_add(1);
				cursor = cursor.saturating_add(1);
			}
			PruneCursor::<T>::put(cursor);
			(pruned, legacy)
		}

		/// The pallet's invariants:
		/// - each account's held escrow equals the escrow of its open tasks (funds held = funds
		///   owed), and settled tasks hold nothing; a queued task's escrow covers its reserve;
		/// - each account's held storage deposit equals the deposits of its tasks, and every
		///   deposit belongs to a stored task;
		/// - each workload has its code, and its open-task count is the number of open tasks
		///   using it (what its deposit is, the runtime decides: [`Self::check_deposits`]);
		/// - the queue, the pending draws and the queued jobs' waiting tiles hold exactly the
		///   queued tasks; a queued job holds its rent reserve, every job its deposit; ids are
		///   below the next ids;
		/// - a task has a box exactly when it was answered alone (held or delivered), then
		///   keeps its digest; each held answer is in the held queue, whose positions are
		///   exactly its range;
		/// - each deadline place is its task's only one, in the block its state settles in, at
		///   or after the deadline cursor.
		#[cfg(any(test, feature = "try-runtime"))]
		pub fn do_try_state() -> Result<(), &'static str> {
			use alloc::collections::{btree_map::BTreeMap, btree_set::BTreeSet};
			use fungible::InspectHold;
			let mut escrow: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			let mut open: BTreeMap<CodeHash, u32> = BTreeMap::new();
			let queue: BTreeMap<TaskId, QueuedTask<BalanceOf<T>>> =
				Queue::<T>::get().into_iter().map(|entry| (entry.task_id, entry)).collect();
			ensure!(queue.len() == Queue::<T>::decode_len().unwrap_or(0), "a task is queued twice");
			let pending: BTreeMap<TaskId, QueuedTask<BalanceOf<T>>> =
				Pending::<T>::get().into_iter().map(|entry| (entry.task_id, entry)).collect();
			ensure!(
				pending.len() == Pending::<T>::decode_len().unwrap_or(0),
				"a task is pending twice"
			);
			ensure!(
				pending.keys().all(|task_id| !queue.contains_key(task_id)),
				"a task is both pending and queued"
			);
			// Each deadline block's places: assigned tasks settling then, and pending tasks
			// that would if assigned in the next block. Every audit (and a dispute waiting for
			// its committee's draw) has one.
			let mut audits_due = Vec::new();
			let cursor = TimeoutCursor::<T>::get();
			ensure!(
				cursor <= frame_system::Pallet::<T>::block_number().saturating_add(One::one()),
				"the deadline cursor is ahead of the chain"
			);
			let places: Vec<(BlockNumberFor<T>, TaskId)> =
				Timeouts::<T>::iter().map(|(at, task_id, ())| (at, task_id)).collect();
			let mut deadlines = BTreeSet::new();
			for (_, task_id) in &places {
				ensure!(deadlines.insert(*task_id), "a task holds two deadlines");
			}
			for (settles_at, task_id) in places {
				ensure!(settles_at >= cursor, "a deadline behind the cursor, never settled");
				let task = Tasks::<T>::get(task_id).ok_or("a deadline of no task")?;
				let expected = match task.state {
					// Its timeout after its assignment, or sooner (before spec 116, the place
					// held since its submission, when its draw waited and the later block was
					// full), as long as its fuel's windows fit.
					TaskState::Assigned { assigned_at, deadline, .. } => {
						let full = assigned_at.saturating_add(task.timeout);
						let (_, shortest) = Self::windows(task.fuel_limit, task.replication);
						ensure!(
							deadline == full
								|| (deadline < full
									&& deadline.saturating_sub(assigned_at) >= shortest),
							"a deadline neither the timeout nor a fitting earlier place"
						);
						deadline.saturating_add(One::one())
					}
					TaskState::Queued { since } if pending.contains_key(&task_id) => {
						Self::settles_at(since.saturating_add(One::one()), task.timeout)
					}
					TaskState::Audited { deadline, audit_at, .. } => {
						ensure!(deadline > audit_at, "an audit due at once");
						audits_due.push(task_id);
						deadline.saturating_add(One::one())
					}
					_ => return Err("a deadline held for a task neither assigned nor pending"),
				};
				ensure!(expected == settles_at, "a deadline held in the wrong block");
			}
			let next = NextTaskId::<T>::get();
			// Jobs: the queued ones hold their rent reserve beside their tiles' escrows, and
			// their tiles not yet out of the queue are queued tasks; every record holds its
			// deposit until its last tile is pruned.
			let job_queue = JobQueue::<T>::get();
			let queued_jobs: BTreeSet<JobId> = job_queue.iter().copied().collect();
			ensure!(queued_jobs.len() == job_queue.len(), "a job is queued twice");
			let closing_list = ClosingJobs::<T>::get();
			let closing_jobs: BTreeSet<JobId> = closing_list.iter().copied().collect();
			ensure!(closing_jobs.len() == closing_list.len(), "a job is closing twice");
			ensure!(
				queued_jobs.len().saturating_add(closing_jobs.len())
					<= ClosingBound::<T>::get() as usize,
				"no room left to close a queued job"
			);
			ensure!(
				closing_jobs.iter().all(|id| !queued_jobs.contains(id)),
				"a job both queued and closing"
			);
			ensure!(
				closing_jobs.iter().all(Jobs::<T>::contains_key),
				"a closing job that does not exist"
			);
			let mut job_tiles: BTreeSet<TaskId> = BTreeSet::new();
			let mut job_ranges: BTreeMap<TaskId, TaskId> = BTreeMap::new();
			for (job_id, job) in Jobs::<T>::iter() {
				ensure!(job_id < NextJobId::<T>::get(), "job id at or above the next id");
				ensure!(job.tiles > 0 && job.assigned <= job.tiles, "a job's count is wrong");
				let end = job.first_task.saturating_add(job.tiles.into());
				ensure!(end <= next, "a job's tiles beyond the next task id");
				ensure!(
					job_ranges.insert(job.first_task, end).is_none(),
					"two jobs start at one task"
				);
				let most = Self::rent_reserve(job.rent, job.wait_until.saturating_sub(job.since))
					.ok_or("a job's rent reserve overflows")?;
				ensure!(job.reserve <= most, "a job's reserve above its most rent");
				for task_id in job.first_task..end {
					if let Some(task) = Tasks::<T>::get(task_id) {
						ensure!(
							task.requester == job.requester,
							"a job's tile of another requester"
						);
					}
				}
				ensure!(
					JobEnds::<T>::get(end.saturating_sub(1)) == Some(job_id),
					"a job is not found by its last tile"
				);
				let waiting = job.first_task.saturating_add(job.assigned.into())..end;
				if queued_jobs.contains(&job_id) {
					ensure!(job.assigned < job.tiles, "a queued job with no tile waiting");
					ensure!(job.closing.is_none(), "a queued job is closing");
					let owed = escrow.entry(job.requester.clone()).or_default();
					*owed = owed.saturating_add(job.reserve);
					job_tiles.extend(waiting);
				} else if closing_jobs.contains(&job_id) {
					ensure!(job.closing.is_some(), "a closing job without its reason");
					ensure!(job.reserve.is_zero(), "a closing job still holds its reserve");
					job_tiles.extend(waiting);
				} else {
					ensure!(job.assigned == job.tiles, "a job with tiles waiting left the queue");
					ensure!(
						job.reserve.is_zero(),
						"a job out of the queue still holds its reserve"
					);
					ensure!(job.closing.is_none(), "a job closing out of the closing list");
				}
				let held = deposits.entry(job.requester.clone()).or_default();
				*held = held.saturating_add(job.deposit);
			}
			ensure!(
				queued_jobs.iter().all(Jobs::<T>::contains_key),
				"the job queue holds no such job"
			);
			for (last, job_id) in JobEnds::<T>::iter() {
				let job = Jobs::<T>::get(job_id).ok_or("a job's end outlived its job")?;
				ensure!(
					last.saturating_add(1) == job.first_task.saturating_add(job.tiles.into()),
					"a job's end is not its last tile"
				);
			}
			// Job ranges never overlap.
			let mut previous_end = 0;
			for (first, end) in &job_ranges {
				ensure!(*first >= previous_end, "two jobs share a tile");
				previous_end = *end;
			}
			ensure!(
				job_tiles.iter().all(|id| !queue.contains_key(id) && !pending.contains_key(id)),
				"a job's tile is also queued or pending alone"
			);
			// Each held answer's task must sit in the held queue exactly once, under its final
			// block; each provider's held answers are the market's count of its exposure.
			let mut held: BTreeMap<TaskId, (BlockNumberFor<T>, u32)> = BTreeMap::new();
			let mut exposed: BTreeMap<T::AccountId, u32> = BTreeMap::new();
			for (task_id, task) in Tasks::<T>::iter() {
				ensure!(task_id < next, "task id at or above the next id");
				let is_open = matches!(
					task.state,
					TaskState::Queued { .. }
						| TaskState::Assigned { .. }
						| TaskState::Answered { .. }
						| TaskState::Audited { .. }
				);
				if is_open {
					let owed = escrow.entry(task.requester.clone()).or_default();
					*owed = owed.saturating_add(task.escrow);
					*open.entry(task.workload).or_default() += 1;
				} else {
					ensure!(task.escrow.is_zero(), "a settled task still holds escrow");
				}
				let waiting = queue.contains_key(&task_id)
					|| pending.contains_key(&task_id)
					|| job_tiles.contains(&task_id);
				ensure!(
					matches!(task.state, TaskState::Queued { .. }) == waiting,
					"queue and queued tasks differ"
				);
				let settles = matches!(task.state, TaskState::Assigned { .. })
					|| pending.contains_key(&task_id);
				ensure!(
					!settles || deadlines.contains(&task_id),
					"an assigned or pending task without a deadline place: never settled"
				);
				if let Some(entry) = queue.get(&task_id).or_else(|| pending.get(&task_id)) {
					ensure!(
						task.escrow >= entry.reserve,
						"a queued task's escrow lacks its reserve"
					);
				}
				let legacy = Self::is_legacy(task_id);
				let deposit = if legacy {
					LegacyTaskDeposits::<T>::get(task_id)
				} else {
					let extra = TaskExtras::<T>::get(task_id);
					ensure!(extra.is_some(), "a task without its extras");
					extra.map(|extra| extra.deposit)
				};
				if let Some(deposit) = deposit {
					let held = deposits.entry(task.requester.clone()).or_default();
					*held = held.saturating_add(deposit);
				}
				if let Some(terms) = Confidential::<T>::get(task_id) {
					Self::check_confidential(task_id, &task, &terms)?;
				}
				// Tasks assigned before digests were kept have none (see `TaskAssignment::digest`).
				let sealed = matches!(
					task.state,
					TaskState::Answered { .. }
						| TaskState::Audited { .. }
						| TaskState::Delivered { .. }
				);
				ensure!(
					SealedOutputs::<T>::contains_key(task_id) == sealed,
					"a box without a lone answer, or a lone answer without its box"
				);
				if let Some(digest) = Digests::<T>::get(task_id) {
					match &task.state {
						TaskState::Assigned { assigned_at, .. } => {
							let reply_key = Self::reply_key(task_id);
							let terms = Confidential::<T>::get(task_id);
							let secret_hash = terms.as_ref().map(|terms| &terms.secret_hash);
							ensure!(
								digest
									== Self::digest(
										&task,
										reply_key.as_ref(),
										secret_hash,
										*assigned_at
									),
								"a digest is wrong"
							);
						}
						_ if sealed => {}
						_ => return Err("a digest for a task neither assigned nor answered alone"),
					}
				} else {
					ensure!(!sealed, "a lone answer lost its task's digest");
				}
				if let TaskState::Answered { final_at, answered_at, provider, .. } = &task.state {
					ensure!(answered_at < final_at, "a held answer final at once");
					held.insert(task_id, (*final_at, 1));
					*exposed.entry(provider.provider.clone()).or_default() += 1;
				}
				if let TaskState::Assigned { providers, .. } = &task.state {
					for assignment in providers.iter() {
						ensure!(
							ProviderTasks::<T>::contains_key(&assignment.provider, task_id),
							"an assigned task is missing from its provider's index"
						);
					}
				}
				if let TaskState::Audited { provider, auditor, commit_until, deadline, .. } =
					&task.state
				{
					ensure!(provider.provider != auditor.provider, "a provider audits itself");
					ensure!(auditor.provider != task.requester, "a requester audits its task");
					ensure!(commit_until < deadline, "an audit's commits close at its deadline");
					let dispute = Disputes::<T>::get(task_id);
					ensure!(
						ProviderTasks::<T>::contains_key(&auditor.provider, task_id)
							== dispute.is_none() && AuditedAnswers::<T>::contains_key(
							&provider.provider,
							task_id
						),
						"an audit is missing from its auditor's or provider's index"
					);
					*exposed.entry(provider.provider.clone()).or_default() += 1;
					if let Some(dispute) = dispute {
						// A disputed auditor's slot is free, its bond still exposed.
						*exposed.entry(auditor.provider.clone()).or_default() += 1;
						let mut seen =
							alloc::vec![&provider.provider, &auditor.provider, &task.requester];
						for member in dispute.committee.iter() {
							ensure!(
								!seen.contains(&&member.provider),
								"a committee member drawn twice, or a party"
							);
							seen.push(&member.provider);
							ensure!(
								ProviderTasks::<T>::contains_key(&member.provider, task_id),
								"a committee member is missing its index entry"
							);
						}
						ensure!(
							dispute.tries < AUDIT_START_TRIES,
							"a committee draw tried too often"
						);
					}
				}
				// A legacy task's coin is removed with the task, not when it closes.
				let closed = matches!(
					task.state,
					TaskState::Completed { .. }
						| TaskState::Delivered { .. }
						| TaskState::Failed { .. }
				);
				let coin = Self::audit_coin(task_id).filter(|_| !(legacy && closed));
				if let Some(coin) = coin {
					ensure!(task.replication == 1, "an audit coin of a replicated task");
					ensure!(
						matches!(
							task.state,
							TaskState::Queued { .. }
								| TaskState::Assigned { .. }
								| TaskState::Answered { .. }
						),
						"an audit coin of a task that can no longer be audited"
					);
					ensure!(coin.replaced <= 1, "a third auditor due");
					ensure!(coin.tries < AUDIT_START_TRIES, "an audit start tried too often");
				}
			}
			let extras_since = ExtrasSince::<T>::get();
			ensure!(
				TaskExtras::<T>::iter_keys()
					.all(|id| id >= extras_since && Tasks::<T>::contains_key(id)),
				"extras outlived their task, or a legacy task has extras"
			);
			ensure!(
				LegacyTaskDeposits::<T>::iter_keys()
					.chain(LegacyAuditCoins::<T>::iter_keys())
					.all(|id| id < extras_since && Tasks::<T>::contains_key(id)),
				"a legacy deposit or coin outlived its task, or a new task has one"
			);
			for extra in TaskExtras::<T>::iter_values() {
				ensure!(
					bourse_primitives::reply::is_usable_key(&extra.reply_key),
					"an unusable reply key"
				);
			}
			// Every audit has its deadline place; a dispute waiting for its committee has its
			// draw's instead.
			let mut awaiting = Vec::new();
			for (_, due) in CommitteeDraws::<T>::iter() {
				ensure!(!due.is_empty(), "an empty committee draws entry was left in storage");
				awaiting.extend(due);
			}
			let mut audits = 0usize;
			for (task_id, task) in Tasks::<T>::iter() {
				if !matches!(task.state, TaskState::Audited { .. }) {
					continue;
				}
				let waits = Disputes::<T>::get(task_id).is_some_and(|d| d.committee.is_empty());
				let draws = awaiting.iter().filter(|id| **id == task_id).count();
				ensure!(draws == usize::from(waits), "a dispute without its one committee draw");
				audits = audits.saturating_add(usize::from(!waits));
			}
			let now = frame_system::Pallet::<T>::block_number();
			for (at, due) in CommitteeDraws::<T>::iter() {
				ensure!(at > now, "a committee draw left behind");
				for task_id in due {
					ensure!(
						Disputes::<T>::get(task_id).is_some_and(|d| d.committee.is_empty()),
						"a committee draw of no dispute waiting for one"
					);
				}
			}
			for dispute in Disputes::<T>::iter_values() {
				let size = dispute.committee.len() as u32;
				ensure!(size == 0 || size == COMMITTEE_SIZE, "a committee of the wrong size");
			}
			ensure!(audits_due.len() == audits, "an audit without its deadline place");
			for (task_id, key) in LegacyReplyKeys::<T>::iter() {
				ensure!(
					task_id < extras_since && Tasks::<T>::contains_key(task_id),
					"a legacy reply key outlived its task, or a new task has one"
				);
				ensure!(bourse_primitives::reply::is_usable_key(&key), "an unusable reply key");
			}
			for entry in queue.values().chain(pending.values()) {
				ensure!(
					Tasks::<T>::get(entry.task_id)
						.is_some_and(|task| matches!(task.state, TaskState::Queued { .. })),
					"the queue holds a task that is not queued"
				);
				// Pending tasks that may not wait (and tasks queued before rent) pay none and
				// hold no reserve.
				let legacy = entry.rent.is_zero() && entry.reserve.is_zero();
				ensure!(legacy || entry.rent >= T::MinQueueRent::get(), "a rent below the least");
			}
			// Every account, so that a hold left with nothing owed shows too.
			let escrow_reason: T::RuntimeHoldReason = HoldReason::TaskEscrow.into();
			let storage_reason: T::RuntimeHoldReason = HoldReason::TaskStorage.into();
			for who in frame_system::Account::<T>::iter_keys() {
				ensure!(
					T::Currency::balance_on_hold(&escrow_reason, &who)
						== escrow.get(&who).copied().unwrap_or_default(),
					"held escrow differs from the escrow of open tasks"
				);
				ensure!(
					T::Currency::balance_on_hold(&storage_reason, &who)
						== deposits.get(&who).copied().unwrap_or_default(),
					"held storage deposit differs from the deposits of tasks"
				);
			}
			ensure!(
				Confidential::<T>::iter_keys().all(Tasks::<T>::contains_key),
				"confidential terms outlived their task"
			);
			for (provider, task_id, ()) in ProviderTasks::<T>::iter() {
				let assigned = Tasks::<T>::get(task_id).is_some_and(|t| match t.state {
					TaskState::Assigned { providers, .. } => {
						providers.iter().any(|a| a.provider == provider)
					}
					_ => false,
				});
				let auditing = Tasks::<T>::get(task_id).is_some_and(|t| match t.state {
					TaskState::Audited { auditor, .. } => auditor.provider == provider,
					_ => false,
				});
				let judging = Disputes::<T>::get(task_id)
					.is_some_and(|d| d.committee.iter().any(|a| a.provider == provider));
				ensure!(
					assigned || auditing || judging,
					"a provider's index holds a task not assigned to it"
				);
			}
			for (provider, task_id, ()) in AuditedAnswers::<T>::iter() {
				let audited = Tasks::<T>::get(task_id).is_some_and(|t| match t.state {
					TaskState::Audited { provider: p, .. } => p.provider == provider,
					_ => false,
				});
				ensure!(audited, "an audit index entry of no audit of that provider's answer");
			}
			let (first, end) = HeldRange::<T>::get();
			ensure!(first <= end, "the held queue ends before it starts");
			let mut queued = 0u64;
			let mut previous = None;
			for position in first..end {
				let (task_id, final_at) =
					HeldQueue::<T>::get(position).ok_or("a gap in the held queue")?;
				queued = queued.saturating_add(1);
				ensure!(previous <= Some(final_at), "the held queue is not in final-block order");
				previous = Some(final_at);
				if let Some((at, count)) = held.get_mut(&task_id) {
					ensure!(*at == final_at, "a held answer queued under another final block");
					*count = count.checked_sub(1).ok_or("a held answer queued twice")?;
				}
			}
			ensure!(
				HeldQueue::<T>::iter_keys().count() as u64 == queued,
				"a held entry outside the range"
			);
			for task_id in Disputes::<T>::iter_keys() {
				ensure!(
					Tasks::<T>::get(task_id)
						.is_some_and(|t| matches!(t.state, TaskState::Audited { .. })),
					"a dispute outlived its audit"
				);
			}
			ensure!(
				held.values().all(|(_, left)| *left == 0),
				"a held answer missing from the queue"
			);
			for (provider, count) in exposed {
				ensure!(
					T::Market::held_answers(&provider) == count,
					"the market's held exposure differs from the held answers"
				);
			}
			for (hash, workload) in Workloads::<T>::iter() {
				ensure!(Code::<T>::contains_key(hash), "workload without code");
				ensure!(
					workload.open_tasks == open.get(&hash).copied().unwrap_or(0),
					"workload open-task count is wrong"
				);
			}
			Ok(())
		}

		/// A confidential task's invariants: members at least its replication, each once, never
		/// its requester; drawn only from them; never an audit coin, an audit or a dispute.
		#[cfg(any(test, feature = "try-runtime"))]
		fn check_confidential(
			task_id: TaskId,
			task: &Task<T>,
			terms: &ConfidentialTerms<T::AccountId>,
		) -> Result<(), &'static str> {
			let members = &terms.members;
			ensure!(
				members.len() >= task.replication as usize,
				"a confidential task short of members"
			);
			for (i, member) in members.iter().enumerate() {
				ensure!(
					member.provider != task.requester,
					"a confidential task's requester is a member"
				);
				ensure!(
					members.iter().take(i).all(|other| other.provider != member.provider),
					"a confidential task names a member twice"
				);
			}
			let is_member = |who: &T::AccountId| members.iter().any(|m| m.provider == *who);
			let drawn_members = match &task.state {
				TaskState::Assigned { providers, .. } => {
					providers.iter().all(|a| is_member(&a.provider))
				}
				TaskState::Answered { provider, .. } => is_member(&provider.provider),
				TaskState::Delivered { provider, .. } => is_member(provider),
				TaskState::Audited { .. } => return Err("a confidential task audited"),
				_ => true,
			};
			ensure!(drawn_members, "a confidential task drawn outside its members");
			let coin = TaskExtras::<T>::get(task_id).and_then(|extra| extra.coin);
			ensure!(coin.is_none(), "a confidential task with an audit coin");
			ensure!(!Disputes::<T>::contains_key(task_id), "a confidential task disputed");
			Ok(())
		}

		/// Funds held = funds owed for workloads, given the runtime's price of a footprint
		/// (`price`): each account's deposit held for [`HoldReason::WorkloadDeposit`] is the
		/// price of its workloads. For runtimes whose [`Config::Consideration`] is such a hold
		/// at a constant price (tickets keep the price they were bought at).
		#[cfg(any(test, feature = "try-runtime"))]
		pub fn check_deposits(
			price: impl Fn(Footprint) -> BalanceOf<T>,
		) -> Result<(), &'static str> {
			use alloc::collections::btree_map::BTreeMap;
			use fungible::InspectHold;
			let mut owed: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			for workload in Workloads::<T>::iter_values() {
				let sum = owed.entry(workload.owner).or_default();
				*sum = sum.saturating_add(price(Self::footprint(workload.len)));
			}
			// Every account, so that a deposit held with no workload left shows too.
			let reason: T::RuntimeHoldReason = HoldReason::WorkloadDeposit.into();
			for who in frame_system::Account::<T>::iter_keys() {
				ensure!(
					T::Currency::balance_on_hold(&reason, &who)
						== owed.get(&who).copied().unwrap_or_default(),
					"held deposit differs from workload deposits"
				);
			}
			Ok(())
		}

		/// A workload's footprint: one item of `len` bytes.
		fn footprint(len: u32) -> Footprint {
			Footprint::from_parts(1, len as usize)
		}
	}

	impl<T: Config> TaskLedger<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
		fn assignment(task_id: TaskId) -> Option<TaskAssignment<T::AccountId, BlockNumberFor<T>>> {
			let task = Tasks::<T>::get(task_id)?;
			match &task.state {
				TaskState::Assigned { providers, assigned_at, deadline } => {
					let (assigned_at, deadline) = (*assigned_at, *deadline);
					// Zeros for tasks assigned before digests were kept (see the field).
					let digest = Digests::<T>::get(task_id).unwrap_or_default();
					let replication = providers.len() as u32;
					let (commit_window, _) = Self::windows(task.fuel_limit, replication);
					// Reveals keep three blocks even if `FuelPerBlock` changed since submission.
					let commit_until = assigned_at
						.saturating_add(commit_window)
						.min(deadline.saturating_sub(3u32.into()));
					Some(TaskAssignment {
						providers: providers.iter().map(|a| a.provider.clone()).collect(),
						assigned_at,
						deadline,
						commit_until,
						fuel_limit: task.fuel_limit,
						digest,
						reply_key: Self::reply_key(task_id),
						audit: None,
					})
				}
				TaskState::Audited {
					provider,
					assigned_at,
					auditor,
					commit_until,
					deadline,
					..
				} => {
					let audit = Self::audit_round(task_id, &task.state)?;
					let mut digest = Digests::<T>::get(task_id).unwrap_or_default();
					if !audit.committee.is_empty() {
						// Members sign and commit for the committee of this fork only.
						digest =
							bourse_primitives::reply::committee_digest(&digest, &audit.committee);
					}
					Some(TaskAssignment {
						providers: [provider.provider.clone(), auditor.provider.clone()]
							.into_iter()
							.chain(audit.committee.iter().cloned())
							.collect(),
						assigned_at: *assigned_at,
						deadline: *deadline,
						commit_until: *commit_until,
						fuel_limit: task.fuel_limit,
						digest,
						reply_key: Self::reply_key(task_id),
						audit: Some(audit),
					})
				}
				_ => None,
			}
		}

		fn open_tasks_of(provider: &T::AccountId) -> Vec<TaskId> {
			ProviderTasks::<T>::iter_key_prefix(provider)
				.chain(AuditedAnswers::<T>::iter_key_prefix(provider))
				.collect()
		}

		fn work(task_id: TaskId, provider: &T::AccountId) -> Option<TaskWork> {
			let task = Tasks::<T>::get(task_id)?;
			let confidential = match Confidential::<T>::get(task_id) {
				None => None,
				// Never run as a public task: no seal, no work.
				Some(terms) => {
					let member = terms.members.iter().find(|m| m.provider == *provider)?;
					Some(bourse_primitives::sandbox::ConfidentialRun {
						genesis: frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
							.as_ref()
							.try_into()
							.ok()?,
						task_id,
						requester: task.requester.encode(),
						secret_hash: terms.secret_hash,
						key: member.key,
						seal: member.seal,
						max_input: T::MaxInputSize::get(),
						max_output: T::MaxOutputSize::get(),
					})
				}
			};
			Some(TaskWork {
				code_hash: task.workload,
				code: Code::<T>::get(task.workload)?.into_inner(),
				input: task.input.into_inner(),
				fuel_limit: task.fuel_limit,
				max_memory_mib: task.max_memory_mib,
				confidential,
			})
		}

		fn settle_weight(providers: u32) -> Weight {
			Self::reputation_weight(providers)
		}

		fn settle(task_id: TaskId, decision: Decision<T::AccountId>) {
			if let Some(task) = Tasks::<T>::get(task_id) {
				Self::do_settle(task_id, task, decision);
			}
		}

		fn settle_audit(task_id: TaskId, found: AuditFinding) -> bool {
			Tasks::<T>::get(task_id).is_some_and(|task| Self::settle_audit(task_id, task, found))
		}

		fn settle_committee(task_id: TaskId, judgement: CommitteeJudgement<T::AccountId>) {
			if let Some(task) = Tasks::<T>::get(task_id) {
				Self::settle_committee(task_id, task, judgement);
			}
		}

		fn settle_audit_weight() -> Weight {
			Self::reputation_weight(2)
		}

		fn settle_committee_weight() -> Weight {
			Self::committee_weight()
		}

		fn hold(
			task_id: TaskId,
			provider: &T::AccountId,
			answer: &bourse_primitives::SealedAnswer,
			sealed: Vec<u8>,
		) -> Result<(), HoldRefused> {
			let mut task = Tasks::<T>::get(task_id).ok_or(HoldRefused)?;
			let TaskState::Assigned { providers, deadline, assigned_at } = &task.state else {
				return Err(HoldRefused);
			};
			let assigned_at = *assigned_at;
			let [assignment] = providers.as_slice() else { return Err(HoldRefused) };
			if assignment.provider != *provider {
				return Err(HoldRefused);
			}
			let sealed: BoundedVec<u8, T::MaxSealedSize> =
				sealed.try_into().map_err(|_| HoldRefused)?;
			let (assignment, deadline) = (assignment.clone(), *deadline);
			let now = frame_system::Pallet::<T>::block_number();
			let final_at = now.saturating_add(T::VerificationWindow::get());
			Self::unschedule_timeout(task_id, deadline);
			ProviderTasks::<T>::remove(provider, task_id);
			// A confidential task counts toward nothing public: its requester chose who runs it.
			if !Confidential::<T>::contains_key(task_id) {
				T::Market::record_attendance(provider, true);
			}
			T::Market::hold(provider);
			SealedOutputs::<T>::insert(task_id, sealed);
			Self::hold_until(task_id, final_at);
			Self::deposit_event(Event::AnswerHeld {
				task_id,
				provider: provider.clone(),
				fuel_used: answer.fuel_used,
				final_at,
			});
			task.state = TaskState::Answered {
				provider: assignment,
				status: answer.status,
				fuel_used: answer.fuel_used,
				executor_version: answer.executor_version,
				commitment: answer.commitment,
				proof: answer.proof,
				max_output: answer.max_output,
				assigned_at,
				answered_at: now,
				final_at,
			};
			Tasks::<T>::insert(task_id, task);
			Ok(())
		}
	}
}
