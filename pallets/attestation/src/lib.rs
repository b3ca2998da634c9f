//! # Attestation pallet
//!
//! Results of Bourse tasks: providers' answers, commit and reveal, and the verdict that settles a
//! task. This pallet decides; the task pallet moves the money ([`TaskLedger::settle`]).
//!
//! ## Answers
//!
//! Answers come from the executor key bound to an assigned provider, as **authorized
//! transactions**: each call carries one [`Statement`] (task, provider, [`Claim`]) and a signature
//! by the provider's executor key over [`Pallet::statement_payload`], as im-online's heartbeat
//! does. The payload names the genesis hash and the task's **digest** (its workload, input,
//! limits, requester, replication, assignment block and reply key: `TaskAssignment::digest`),
//! so an answer never counts on another chain, nor for another task that has the same id on a
//! sibling fork or after a reorg. Every check, the signature last, runs in
//! `#[pallet::authorize]`, which the transaction pool and block execution both run before
//! dispatch; dispatch re-reads the state it needs but does not verify the signature again.
//! Answers cost no fee and use no nonce, so an offchain worker can send many without racing
//! itself. Invalid answers never reach a block.
//!
//! - Replication 1: the provider sends its answer once with [`Pallet::answer`]: the run's status
//!   and fuel, a commitment to the whole outcome, and the output sealed to the requester's reply
//!   key (only the requester reads it). The task pallet holds the answer, its pay and the
//!   provider's bond exposure until a verification window closes; meanwhile the requester may
//!   prove a bad delivery.
//!   A node sends all the lone answers a provider owes in one [`Pallet::answer_many`], one
//!   signature over them all ([`Pallet::answers_payload`]): the pool and the block take it only
//!   if every answer counts, so no block carries an answer that never counted. Its priority
//!   grows with its answers, so the bundle a node sends again with one answer more replaces
//!   the one it covers.
//! - Replication ≥ 3: each provider first sends [`Pallet::commit`] with
//!   `blake2_256((context, digest, task_id, provider, status, output_hash, fuel_used,
//!   executor_version, salt))` ([`Pallet::commitment`]),
//!   and [`Pallet::reveal`]s once every provider committed or abstained, or the task's commit
//!   window has passed, whichever is first (the window grows with the task's fuel: the task
//!   pallet's `windows`); commits close when reveals open, so nobody can copy
//!   another's result. A reveal must match its commitment and carries the full output; the
//!   chain keeps one copy per distinct output until the verdict, so no single provider (by
//!   lying or by staying silent) can withhold the output the others agree on.
//!
//! ## Abstaining
//!
//! A provider whose node cannot run a task within its means (the run outlives the task's
//! windows, needs more memory than the node gives a run, or the node's executor version is not
//! accepted) says so with [`Pallet::abstain`], signed like an answer and feeless: it is neither
//! paid nor slashed ([`Verdict::Abstained`]). It abstains instead of answering or, when the task
//! is replicated, before committing: once committed it must reveal, so a liar cannot hide from
//! the vote after seeing the others' reveals.
//!
//! ## Executor versions
//!
//! Outcomes carry the version of the executor that produced them, as the node's executor
//! reports it. The chain accepts the versions in [`AcceptedVersions`] (root sets them with
//! [`Pallet::set_executor_versions`]; by default the version this runtime was built with): an
//! answer or reveal of another version is refused. During a rolling upgrade both versions are
//! accepted, and outcomes of different versions are never counted as disagreement.
//!
//! ## Verdict
//!
//! A task is decided as soon as nothing can change: every provider answered or abstained, or
//! (replicated) commits have closed and every committer has revealed; otherwise after its
//! deadline. An outcome `(status, output hash, fuel_used, executor_version)` wins only with a
//! **quorum**: at least ⌊k/2⌋ + 1 matching reveals of the k assigned. Without one the task fails
//! [`FailureReason::NoConsensus`] (someone revealed), [`FailureReason::Abstained`] (only
//! abstentions) or [`FailureReason::NoAnswer`]. Only attributable faults are punished:
//!
//! | provider | with a winner | without a quorum |
//! |---|---|---|
//! | revealed the winner | [`Verdict::Agreed`] (paid) | — |
//! | revealed another outcome, same version | [`Verdict::OutVoted`] | none: truth unknown |
//! | revealed another version's outcome | none: not comparable | none |
//! | committed, never revealed (withheld) | [`Verdict::OutVoted`] | [`Verdict::NoShow`] |
//! | abstained (k = 1: by the deadline; else before commits close) | [`Verdict::Abstained`] | [`Verdict::Abstained`] |
//! | silent | [`Verdict::NoShow`] | [`Verdict::NoShow`] |
//!
//! The task pallet slashes [`Verdict::OutVoted`] fully, and [`Verdict::NoShow`] less
//! (`NoShowSlash`) and only when there is a winner: a quorum answered in time, so the task was
//! feasible; when nobody could, silence costs reputation only. A withheld reveal costs as much as
//! a lie when a quorum decided (the chain cannot tell what it hid, and hiding after seeing the
//! others' reveals is how a liar would dodge the vote). An abstention costs a little reputation
//! and no bond: an honest
//! node that cannot make it in time says so, before commits close (so nobody abstains after
//! seeing where the reveals go).
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use bourse_primitives::traits::{
	AgreedOutcome, AuditFinding, AuditRound, CommitteeJudgement, Decision, ExecutorKeys,
	FailureReason, LocalAuthorship, MemberPart, TaskId, TaskJudge, TaskLedger, TaskWork, Upheld,
	Verdict,
};
pub use bourse_primitives::{
	api::AnswerView, AbstainReason, Claim, Opening, Revealed, SealedAnswer, Statement, Status,
	EXECUTOR_VERSION,
};
pub use pallet::*;
use polkadot_sdk::polkadot_sdk_frame as frame;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(feature = "runtime-benchmarks")]
pub use benchmarking::BenchmarkHelper;

#[cfg(test)]
mod mock;
#[cfg(any(test, feature = "test-utils"))]
pub mod testing;
#[cfg(test)]
mod tests;
pub mod weights;
mod worker;

/// Domain separation of the statements executor keys sign.
pub const STATEMENT_CONTEXT: &[u8] = b"bourse/statement";
/// Domain separation of commitments.
pub const COMMIT_CONTEXT: &[u8] = b"bourse/commit";
/// Pool priority of an answer step (a commit, a reveal, a replicated task's abstention, an
/// opening), and of the most lone answers in one call; a lone answer, or a lone task's
/// abstention, has a `MaxAnswersPerCall`-th of it (`Pallet::answer_priority`). Far above what
/// fees buy: a transfer would need a tip of tens of BRS to rank above a lone answer.
const STEP_PRIORITY: u64 = u64::MAX / 2;
/// Domain separation of the bundles of answers executor keys sign ([`Pallet::answer_many`]):
/// never a statement about one task.
pub const ANSWERS_CONTEXT: &[u8] = b"bourse/answers";

/// The pallet. Its calls carry a whole answer each (task, provider, outcome, signature).
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
#[frame::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame::{deps::sp_runtime::RuntimeAppPublic, prelude::*};

	/// A task's assignment as this pallet reads it.
	pub type AssignmentOf<T> = bourse_primitives::traits::TaskAssignment<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
	>;

	/// One answer of an [`Pallet::answer_many`]: what [`Pallet::answer`] carries for one task,
	/// with the digest of the assignment it answers (the bundle's signature covers it).
	#[derive(
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
	)]
	#[scale_info(skip_type_params(T))]
	pub struct BundledAnswer<T: Config> {
		/// The task, of replication 1.
		pub task_id: TaskId,
		/// The digest of its assignment as the provider read it (`TaskAssignment::digest`).
		pub digest: [u8; 32],
		/// How the run ended, its fuel, and the commitment to its outcome.
		pub answer: SealedAnswer,
		/// The output with the commitment's salt sealed to the requester's reply key.
		pub sealed: BoundedVec<u8, T::MaxSealedSize>,
	}

	/// The answers of one [`Pallet::answer_many`].
	pub type BundleOf<T> = BoundedVec<BundledAnswer<T>, <T as Config>::MaxAnswersPerCall>;

	/// The storage layout's version: 1 since versions were first recorded (the runtime's
	/// `Migrations` records it on a chain that had none).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>>
		+ CreateAuthorizedTransaction<Call<Self>>
	{
		/// A provider's executor key (public part); its signatures authorize answers.
		type ExecutorId: Parameter + Member + MaxEncodedLen + RuntimeAppPublic;

		/// Which executor key each provider holds.
		type Keys: ExecutorKeys<Self::AccountId, ExecutorId = Self::ExecutorId>;

		/// The tasks: assignments, and where decisions go.
		type Tasks: TaskLedger<Self::AccountId, BlockNumberFor<Self>>;

		/// Tells the offchain worker whether this node authored the block it is processing; see
		/// [`LocalAuthorship`].
		type Authorship: LocalAuthorship;

		/// How long, in milliseconds after its offchain worker starts, the author of a block
		/// waits before answering (why: [`LocalAuthorship`]); block propagation time, well
		/// within a slot.
		#[pallet::constant]
		type AuthorAnswerDelay: Get<u64>;

		/// Largest output, in bytes (the sandbox's output limit).
		#[pallet::constant]
		type MaxOutputSize: Get<u32>;

		/// Largest box of a lone answer: the largest output sealed
		/// (`bourse_primitives::reply::max_sealed_len`).
		#[pallet::constant]
		type MaxSealedSize: Get<u32>;

		/// Most providers per task.
		#[pallet::constant]
		type MaxReplication: Get<u32>;

		/// Most executor versions accepted at once (two cover a rolling upgrade).
		#[pallet::constant]
		type MaxExecutorVersions: Get<u32>;

		/// Most answers one [`Pallet::answer_many`] carries: as many tasks as a provider can
		/// hold at once (its slots), so that one call answers them all.
		#[pallet::constant]
		type MaxAnswersPerCall: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;

		/// Makes assigned tasks for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::ExecutorId>;
	}

	/// Commitments of replicated tasks, by task and provider.
	#[pallet::storage]
	pub type Commitments<T: Config> =
		StorageDoubleMap<_, Twox64Concat, TaskId, Blake2_128Concat, T::AccountId, [u8; 32]>;

	/// Revealed (or, at replication 1, answered) outcomes, by task and provider.
	#[pallet::storage]
	pub type Reveals<T: Config> =
		StorageDoubleMap<_, Twox64Concat, TaskId, Blake2_128Concat, T::AccountId, Revealed>;

	/// Full outputs revealed for tasks not yet settled, by task and output hash: one copy per
	/// distinct output, at most one per assigned provider.
	#[pallet::storage]
	pub type PendingOutputs<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Identity,
		[u8; 32],
		BoundedVec<u8, T::MaxOutputSize>,
	>;

	/// Openings of the audits under way, by task and party (the audited provider, the
	/// auditor, and the members of a disputed audit's committee).
	#[pallet::storage]
	pub type Openings<T: Config> =
		StorageDoubleMap<_, Twox64Concat, TaskId, Blake2_128Concat, T::AccountId, Opening>;

	/// The witnesses ([`bourse_primitives::reply::committee_witness`]) a disputed audit's
	/// committee members opened with, by task and member.
	#[pallet::storage]
	pub type Witnesses<T: Config> =
		StorageDoubleMap<_, Twox64Concat, TaskId, Blake2_128Concat, T::AccountId, [u8; 32]>;

	/// The boxes a disputed audit's committee members opened with (their output sealed to the
	/// requester), by task and member, until the committee is judged.
	#[pallet::storage]
	pub type MemberBoxes<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		TaskId,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<u8, T::MaxSealedSize>,
	>;

	/// Abstentions of open tasks, by task and provider, with their reason.
	#[pallet::storage]
	pub type Abstentions<T: Config> =
		StorageDoubleMap<_, Twox64Concat, TaskId, Blake2_128Concat, T::AccountId, AbstainReason>;

	/// The executor versions whose outcomes the chain accepts, ascending, never empty. Set at
	/// genesis and by root only, never by a runtime upgrade's constant: a reveal committed under
	/// a version must stay acceptable until its task settles.
	#[pallet::storage]
	pub type AcceptedVersions<T: Config> =
		StorageValue<_, BoundedVec<u32, T::MaxExecutorVersions>, ValueQuery>;

	/// The executor versions accepted at genesis.
	#[pallet::genesis_config]
	#[derive(frame::prelude::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Accepted executor versions, ascending; empty means [`EXECUTOR_VERSION`] alone.
		pub accepted_versions: Vec<u32>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let versions = if self.accepted_versions.is_empty() {
				alloc::vec![EXECUTOR_VERSION]
			} else {
				self.accepted_versions.clone()
			};
			// Genesis only (building a chain spec, never a block): a bad spec must not start a
			// chain whose answers would all be refused.
			assert!(Pallet::<T>::is_version_set(&versions), "accepted versions are unsorted");
			let versions = BoundedVec::<u32, T::MaxExecutorVersions>::try_from(versions)
				.expect("more accepted versions than MaxExecutorVersions");
			AcceptedVersions::<T>::put(versions);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A provider answered a task of replication 1: its output is sealed to the requester,
		/// its outcome committed to; the task pallet holds the answer until it is final.
		Answered { task_id: TaskId, provider: T::AccountId, commitment: [u8; 32], fuel_used: u64 },
		/// A provider committed to an outcome.
		Committed { task_id: TaskId, provider: T::AccountId },
		/// A provider revealed its outcome.
		Revealed { task_id: TaskId, provider: T::AccountId, output_hash: [u8; 32], fuel_used: u64 },
		/// A provider's verdict on a decided task.
		VerdictGiven { task_id: TaskId, provider: T::AccountId, verdict: Verdict },
		/// A provider abstained from a task: its node could not run it within its means.
		Abstained { task_id: TaskId, provider: T::AccountId, reason: AbstainReason },
		/// A party to an audit (the audited provider or its auditor) opened its commitment:
		/// its run's status, fuel and output digest are public now (the output is not).
		Opened {
			task_id: TaskId,
			who: T::AccountId,
			status: Status,
			fuel_used: u64,
			output_digest: [u8; 32],
		},
		/// Root set the executor versions whose outcomes the chain accepts.
		ExecutorVersionsSet { versions: BoundedVec<u32, T::MaxExecutorVersions> },
		/// An answer of an [`Pallet::answer_many`] no longer counted at dispatch: it was skipped,
		/// the others counted.
		AnswerSkipped { task_id: TaskId, provider: T::AccountId, error: DispatchError },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The task is not assigned (unknown, queued or settled).
		TaskNotOpen,
		/// The provider is not assigned to the task.
		NotAssigned,
		/// The signature is not the provider's executor key's.
		BadSignature,
		/// The task's deadline has passed.
		DeadlinePassed,
		/// The task is replicated: commit, then reveal.
		UseCommitReveal,
		/// The task has replication 1: answer directly.
		UseAnswer,
		/// The provider already answered, committed or revealed.
		AlreadyAnswered,
		/// Commits (and abstentions from replicated tasks) are closed: every provider committed
		/// or abstained, or the task's commit window passed.
		CommitsClosed,
		/// Reveals open once every provider committed or the commit window passed.
		RevealsNotOpen,
		/// The provider never committed.
		NoCommitment,
		/// The reveal does not match the commitment (wrong outcome or salt).
		CommitmentMismatch,
		/// The output does not hash to the revealed output hash (or a lone answer's box to its
		/// `sealed_hash`).
		OutputHashMismatch,
		/// The output is larger than the largest output.
		OutputTooLarge,
		/// The reported fuel is above the task's fuel limit.
		FuelAboveLimit,
		/// The outcome's executor version is not one the chain accepts.
		UnacceptedVersion,
		/// The provider committed: it must reveal, not abstain.
		Committed,
		/// At least one executor version must be accepted.
		NoVersions,
		/// Executor versions must be listed once each, in ascending order.
		VersionsUnsorted,
		/// The task has no reply key to seal a lone answer to (submitted before spec 110): it
		/// cannot be answered and fails at its deadline, refunded.
		NoReplyKey,
		/// The task is not being audited: only parties to an audit open commitments.
		NotAudited,
		/// In an audit only the auditor commits (and abstains), and in a disputed one only its
		/// committee's members: the audited provider committed with its answer, and the auditor
		/// has opened.
		NotAuditor,
		/// The task is being audited: its parties open their commitments instead of revealing.
		UseOpen,
		/// A committee member opens with its witness (`open_witnessed`); the audited provider
		/// and the auditor open without one (`open`).
		WrongOpening,
		/// An [`Pallet::answer_many`] carries no answer.
		NoAnswers,
		/// An [`Pallet::answer_many`] answers one task twice.
		DuplicateAnswer,
		/// The answer names another assignment of the task than the chain's (a sibling fork's,
		/// or one before a reorg).
		DigestMismatch,
	}

	#[pallet::extra_constants]
	impl<T: Config> Pallet<T> {
		/// The executor version this runtime was built with ([`EXECUTOR_VERSION`]), accepted
		/// unless root set [`AcceptedVersions`].
		#[pallet::constant_name(ExecutorVersion)]
		fn executor_version() -> u32 {
			EXECUTOR_VERSION
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// On nodes that hold executor keys: run the tasks assigned to their providers and
		/// answer them (see the `worker` module).
		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::work(now);
		}

		/// A chain that started before executor versions were kept accepts the one this runtime
		/// was built with (once: later upgrades leave root's choice alone).
		fn on_runtime_upgrade() -> Weight {
			if !AcceptedVersions::<T>::exists() {
				AcceptedVersions::<T>::put(BoundedVec::truncate_from(alloc::vec![
					EXECUTOR_VERSION
				]));
				return T::DbWeight::get().reads_writes(1, 1);
			}
			T::DbWeight::get().reads(1)
		}

		/// Every answer, its `authorize` check included, fits in one extrinsic at its largest:
		/// an answer that cannot fit is a provider slashed for silence.
		fn integrity_test() {
			assert!(T::MaxExecutorVersions::get() > 0, "no executor version could be accepted");
			let largest = T::MaxOutputSize::get();
			// Each may settle the task, as the call's weight says.
			let settle = T::Tasks::settle_weight(T::MaxReplication::get());
			let w = |authorize: Weight, dispatch: Weight| {
				authorize.saturating_add(dispatch).saturating_add(settle)
			};
			let answers = [
				(
					"answer",
					w(T::WeightInfo::authorize_answer(largest), T::WeightInfo::answer(largest)),
				),
				("commit", w(T::WeightInfo::authorize_commit(), T::WeightInfo::commit())),
				(
					"reveal",
					w(T::WeightInfo::authorize_reveal(largest), T::WeightInfo::reveal(largest)),
				),
				("abstain", w(T::WeightInfo::authorize_abstain(), T::WeightInfo::abstain())),
				("open", w(T::WeightInfo::authorize_open(), T::WeightInfo::open())),
			];
			// The most answers, with a largest box each (settlements are in its own weight).
			let most = T::MaxAnswersPerCall::get();
			let bundle_bytes = most.saturating_mul(T::MaxSealedSize::get());
			let many = Self::authorize_answer_many_weight(most, bundle_bytes)
				.saturating_add(Self::answer_many_weight(most, bundle_bytes));
			let limits = <T as frame_system::Config>::BlockWeights::get();
			if let Some(max) = limits.get(DispatchClass::Normal).max_extrinsic {
				for (name, weight) in answers.into_iter().chain([("answer_many", many)]) {
					assert!(weight.all_lte(max), "the largest {name} does not fit in an extrinsic");
				}
			}
			assert!(most > 0, "an answer_many must carry an answer");
			// Its boxes, and a margin for the rest of each entry and the transaction.
			let length = <T as frame_system::Config>::BlockLength::get();
			let room = *length.max.get(DispatchClass::Normal);
			let entry_overhead = 256u32;
			assert!(
				bundle_bytes.saturating_add(most.saturating_mul(entry_overhead)) <= room,
				"the largest answer_many does not fit in a block's length"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), frame::try_runtime::TryRuntimeError> {
			Self::do_try_state().map_err(Into::into)
		}
	}

	#[pallet::call(weight = <T as Config>::WeightInfo)]
	impl<T: Config> Pallet<T> {
		/// Answer a task of replication 1: `answer` says how the run ended and the fuel it used,
		/// and commits to the whole outcome (`bourse_primitives::reply::answer_commitment`);
		/// `sealed` is the output with the commitment's salt sealed to the requester's reply key
		/// (`bourse_primitives::reply::seal`; its blake2-256 is `answer.sealed_hash`), so only
		/// the requester reads it. `signature` is the provider's executor key's over the
		/// statement [`Claim::Answer`], checked in `authorize`. The task pallet holds the answer
		/// until its verification window closes. Feeless; refused in the pool when invalid.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::answer(sealed.len() as u32)
			.saturating_add(T::Tasks::settle_weight(1)))]
		#[pallet::authorize(Self::authorize_answer)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_answer(sealed.len() as u32))]
		pub fn answer(
			origin: OriginFor<T>,
			task_id: TaskId,
			provider: T::AccountId,
			answer: SealedAnswer,
			sealed: BoundedVec<u8, T::MaxSealedSize>,
			signature: <T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let _ = signature; // checked in `authorize`
			Self::check_answer(task_id, &provider, &answer)?;
			T::Tasks::hold(task_id, &provider, &answer, sealed.into_inner())
				.map_err(|_| Error::<T>::TaskNotOpen)?;
			Self::deposit_event(Event::Answered {
				task_id,
				provider,
				commitment: answer.commitment,
				fuel_used: answer.fuel_used,
			});
			Ok(())
		}

		/// Commit to an outcome of a replicated task: `commitment` is [`Pallet::commitment`] of
		/// the outcome and a secret salt; `signature` is the executor key's over the statement
		/// [`Claim::Commit`], checked in `authorize`.
		#[pallet::call_index(1)]
		#[pallet::authorize(Self::authorize_commit)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_commit())]
		pub fn commit(
			origin: OriginFor<T>,
			task_id: TaskId,
			provider: T::AccountId,
			commitment: [u8; 32],
			signature: <T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let _ = signature; // checked in `authorize`
			Self::check_commit(task_id, &provider)?;
			Commitments::<T>::insert(task_id, &provider, commitment);
			Self::deposit_event(Event::Committed { task_id, provider });
			Ok(())
		}

		/// Reveal a committed outcome with its full `output` (kept once per distinct output until
		/// the verdict); `signature` is the executor key's over the statement [`Claim::Reveal`]
		/// of `revealed` and `salt`, checked in `authorize`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::reveal(output.len() as u32)
			.saturating_add(T::Tasks::settle_weight(T::MaxReplication::get())))]
		#[pallet::authorize(Self::authorize_reveal)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_reveal(output.len() as u32))]
		pub fn reveal(
			origin: OriginFor<T>,
			task_id: TaskId,
			provider: T::AccountId,
			revealed: Revealed,
			output: BoundedVec<u8, T::MaxOutputSize>,
			salt: [u8; 32],
			signature: <T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let _ = signature; // checked in `authorize`
			let assignment = Self::check_reveal(task_id, &provider, &revealed, &salt)?;
			if !PendingOutputs::<T>::contains_key(task_id, revealed.output_hash) {
				PendingOutputs::<T>::insert(task_id, revealed.output_hash, output);
			}
			Self::deposit_event(Event::Revealed {
				task_id,
				provider: provider.clone(),
				output_hash: revealed.output_hash,
				fuel_used: revealed.fuel_used,
			});
			Reveals::<T>::insert(task_id, &provider, revealed);
			Self::settle_if_complete(task_id, &assignment);
			Ok(())
		}

		/// Abstain from a task: the provider's node could not run it within its means
		/// (`reason`). Instead of an answer, or before committing; neither paid nor slashed.
		/// `signature` is the executor key's over the statement [`Claim::Abstain`], checked in
		/// `authorize`. Feeless; settles the task if every provider has now answered or
		/// abstained.
		#[pallet::call_index(3)]
		#[pallet::authorize(Self::authorize_abstain)]
		#[pallet::weight(T::WeightInfo::abstain()
			.saturating_add(T::Tasks::settle_weight(T::MaxReplication::get())))]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_abstain())]
		pub fn abstain(
			origin: OriginFor<T>,
			task_id: TaskId,
			provider: T::AccountId,
			reason: AbstainReason,
			signature: <T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let _ = signature; // checked in `authorize`
			let assignment = Self::check_abstain(task_id, &provider)?;
			Abstentions::<T>::insert(task_id, &provider, reason);
			Self::deposit_event(Event::Abstained { task_id, provider, reason });
			Self::settle_if_complete(task_id, &assignment);
			Ok(())
		}

		/// Set the executor versions whose outcomes the chain accepts (root): ascending, each
		/// once, at least one. To upgrade executors, accept the new version beside the old,
		/// let nodes upgrade, then drop the old one. Answers already on chain stay.
		#[pallet::call_index(4)]
		pub fn set_executor_versions(
			origin: OriginFor<T>,
			versions: BoundedVec<u32, T::MaxExecutorVersions>,
		) -> DispatchResult {
			ensure_root(origin)?;
			ensure!(!versions.is_empty(), Error::<T>::NoVersions);
			ensure!(Self::is_version_set(&versions), Error::<T>::VersionsUnsorted);
			AcceptedVersions::<T>::put(&versions);
			Self::deposit_event(Event::ExecutorVersionsSet { versions });
			Ok(())
		}

		/// Open a commitment in an audit of a lone answer, once the auditor has committed:
		/// `who` is the audited provider (opening its answer's commitment) or the auditor
		/// (opening its blind one), `opening` what it committed to with its salt
		/// ([`Opening::commitment`]). `signature` is `who`'s executor key's over the statement
		/// [`Claim::Open`], checked in `authorize`. When both have opened, the audit is judged
		/// at once: the same outcome (status, fuel, executor version, output digest and the
		/// run's fingerprint) verifies the answer. Feeless; refused in the pool when invalid.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::open().saturating_add(
			T::Tasks::settle_audit_weight().max(T::Tasks::settle_committee_weight()),
		))]
		#[pallet::authorize(Self::authorize_open)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_open())]
		pub fn open(
			origin: OriginFor<T>,
			task_id: TaskId,
			who: T::AccountId,
			opening: Opening,
			signature: <T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let _ = signature; // checked in `authorize`
			let (assignment, audit) = Self::check_opening(task_id, &who, &opening, None)?;
			Self::record_opening(task_id, who, opening, &assignment, &audit);
			Ok(())
		}

		/// Open a commitment as a member of a disputed audit's committee, once every member
		/// has committed (or abstained) or the commit window closed: `opening` what it
		/// committed to with `witness`, its [`bourse_primitives::reply::committee_witness`]
		/// of the output ([`Opening::member_commitment`]), and `sealed` its output and salt
		/// sealed to the task's reply key under the round's digest (the requester gets the box
		/// of the majority's first member if the provider is found wrong). `signature` is
		/// `who`'s executor key's over the statement [`Claim::OpenWitnessed`] (naming the box's
		/// hash), checked in `authorize`. When every member has opened (or cannot any more),
		/// the committee is judged at once: the outcome a majority opened with the same witness
		/// stands. Feeless; refused in the pool when invalid.
		#[pallet::call_index(6)]
		// An opening, with its witness and a box stored beside it (a lone answer's box weighs
		// the same).
		#[pallet::weight(T::WeightInfo::open()
			.saturating_add(T::WeightInfo::answer(sealed.len() as u32))
			.saturating_add(T::Tasks::settle_committee_weight()))]
		#[pallet::authorize(Self::authorize_open_witnessed)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_open()
			.saturating_add(T::WeightInfo::authorize_answer(sealed.len() as u32)))]
		pub fn open_witnessed(
			origin: OriginFor<T>,
			task_id: TaskId,
			who: T::AccountId,
			opening: Opening,
			witness: [u8; 32],
			sealed: BoundedVec<u8, T::MaxSealedSize>,
			signature: <T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let _ = signature; // checked in `authorize`
			let (assignment, audit) = Self::check_opening(task_id, &who, &opening, Some(&witness))?;
			Witnesses::<T>::insert(task_id, &who, witness);
			MemberBoxes::<T>::insert(task_id, &who, sealed);
			Self::record_opening(task_id, who, opening, &assignment, &audit);
			Ok(())
		}

		/// Answer several tasks of replication 1 at once, each as [`Pallet::answer`] does: the
		/// node of `provider` sends the answers it owes in one transaction, with one signature
		/// by its executor key over [`Pallet::answers_payload`] (each entry's task, assignment
		/// digest and answer; each box is bound by its `sealed_hash`). The pool takes it only if
		/// every answer counts, and so does a block; each answer is held as [`Pallet::answer`]
		/// holds it. An answer that no longer counts at dispatch is skipped with
		/// [`Event::AnswerSkipped`] and the others count (`authorize` ran just before, so this
		/// is a safeguard, not a path). Feeless; at most `MaxAnswersPerCall` answers.
		#[pallet::call_index(7)]
		#[pallet::weight(Pallet::<T>::answer_many_weight(answers.len() as u32, Pallet::<T>::box_bytes(answers)))]
		#[pallet::authorize(Self::authorize_answer_many)]
		#[pallet::weight_of_authorize(Pallet::<T>::authorize_answer_many_weight(
			answers.len() as u32,
			Pallet::<T>::box_bytes(answers),
		))]
		pub fn answer_many(
			origin: OriginFor<T>,
			provider: T::AccountId,
			answers: BundleOf<T>,
			signature: <T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> DispatchResultWithPostInfo {
			ensure_authorized(origin)?;
			let _ = signature; // checked in `authorize`
			let (count, bytes) = (answers.len() as u32, Self::box_bytes(&answers));
			let mut skipped = 0u32;
			for entry in answers {
				let task_id = entry.task_id;
				let held = Self::check_bundled(&provider, &entry).and_then(|_| {
					T::Tasks::hold(task_id, &provider, &entry.answer, entry.sealed.into_inner())
						.map_err(|_| Error::<T>::TaskNotOpen)
				});
				match held {
					Ok(()) => Self::deposit_event(Event::Answered {
						task_id,
						provider: provider.clone(),
						commitment: entry.answer.commitment,
						fuel_used: entry.answer.fuel_used,
					}),
					Err(error) => {
						skipped = skipped.saturating_add(1);
						Self::deposit_event(Event::AnswerSkipped {
							task_id,
							provider: provider.clone(),
							error: error.into(),
						});
					}
				}
			}
			// A skipped answer was read and carried, but settles nothing.
			let unsettled = T::Tasks::settle_weight(1).saturating_mul(skipped.into());
			let actual = Self::answer_many_weight(count, bytes).saturating_sub(unsettled);
			Ok(Some(actual).into())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Pool and block check of [`Pallet::answer`]: the state, then the signature.
		#[allow(clippy::too_many_arguments)]
		fn authorize_answer(
			_source: TransactionSource,
			task_id: &TaskId,
			provider: &T::AccountId,
			answer: &SealedAnswer,
			sealed: &BoundedVec<u8, T::MaxSealedSize>,
			signature: &<T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> TransactionValidityWithRefund {
			let assignment =
				Self::check_answer(*task_id, provider, answer).map_err(Self::invalid)?;
			// Only here: dispatch carries the same bytes.
			if blake2_256(sealed) != answer.sealed_hash {
				return Err(Self::invalid(Error::<T>::OutputHashMismatch));
			}
			Self::accept(*task_id, provider, Claim::Answer(answer.clone()), signature, &assignment)
		}

		/// Pool and block check of [`Pallet::commit`]: the state, then the signature.
		fn authorize_commit(
			_source: TransactionSource,
			task_id: &TaskId,
			provider: &T::AccountId,
			commitment: &[u8; 32],
			signature: &<T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> TransactionValidityWithRefund {
			let assignment = Self::check_commit(*task_id, provider).map_err(Self::invalid)?;
			Self::accept(*task_id, provider, Claim::Commit(*commitment), signature, &assignment)
		}

		/// Pool and block check of [`Pallet::reveal`]: the state, the output against its hash
		/// (only here: dispatch carries the same bytes), then the signature.
		fn authorize_reveal(
			_source: TransactionSource,
			task_id: &TaskId,
			provider: &T::AccountId,
			revealed: &Revealed,
			output: &BoundedVec<u8, T::MaxOutputSize>,
			salt: &[u8; 32],
			signature: &<T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> TransactionValidityWithRefund {
			let assignment =
				Self::check_reveal(*task_id, provider, revealed, salt).map_err(Self::invalid)?;
			if blake2_256(output) != revealed.output_hash {
				return Err(Self::invalid(Error::<T>::OutputHashMismatch));
			}
			let claim = Claim::Reveal { revealed: revealed.clone(), salt: *salt };
			Self::accept(*task_id, provider, claim, signature, &assignment)
		}

		/// Pool and block check of [`Pallet::abstain`]: the state, then the signature.
		fn authorize_abstain(
			_source: TransactionSource,
			task_id: &TaskId,
			provider: &T::AccountId,
			reason: &AbstainReason,
			signature: &<T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> TransactionValidityWithRefund {
			let assignment = Self::check_abstain(*task_id, provider).map_err(Self::invalid)?;
			Self::accept(*task_id, provider, Claim::Abstain(*reason), signature, &assignment)
		}

		/// Pool and block check of [`Pallet::open`]: the state and the opening against its
		/// commitment, then the signature.
		fn authorize_open(
			_source: TransactionSource,
			task_id: &TaskId,
			who: &T::AccountId,
			opening: &Opening,
			signature: &<T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> TransactionValidityWithRefund {
			let (assignment, _) =
				Self::check_opening(*task_id, who, opening, None).map_err(Self::invalid)?;
			Self::accept(*task_id, who, Claim::Open(opening.clone()), signature, &assignment)
		}

		fn authorize_open_witnessed(
			_source: TransactionSource,
			task_id: &TaskId,
			who: &T::AccountId,
			opening: &Opening,
			witness: &[u8; 32],
			sealed: &BoundedVec<u8, T::MaxSealedSize>,
			signature: &<T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> TransactionValidityWithRefund {
			let (assignment, _) = Self::check_opening(*task_id, who, opening, Some(witness))
				.map_err(Self::invalid)?;
			let claim = Claim::OpenWitnessed {
				opening: opening.clone(),
				witness: *witness,
				sealed_hash: blake2_256(sealed),
			};
			Self::accept(*task_id, who, claim, signature, &assignment)
		}

		/// Pool and block check of [`Pallet::answer_many`]: its shape, then the one signature
		/// (a forgery costs no state read), then each answer's state, then the boxes against
		/// their hashes (a stale bundle costs no hashing). Every answer must count, in the pool
		/// and in a block alike: a block that carried answers that never count would be block
		/// space for free. Its priority is [`Pallet::answer_priority`] per answer, so a bundle
		/// replaces in the pool the ones it covers and more.
		fn authorize_answer_many(
			_source: TransactionSource,
			provider: &T::AccountId,
			answers: &BundleOf<T>,
			signature: &<T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> TransactionValidityWithRefund {
			Self::check_shape(answers).map_err(Self::invalid)?;
			let key = T::Keys::executor_of(provider)
				.ok_or(Error::<T>::NotAssigned)
				.map_err(Self::invalid)?;
			if !key.verify(&Self::answers_payload(provider, answers), signature) {
				return Err(Self::invalid(Error::<T>::BadSignature));
			}
			let now = frame_system::Pallet::<T>::block_number();
			let mut validity = ValidTransaction::with_tag_prefix("BourseAttestation")
				.priority(Self::answer_priority(answers.len() as u32))
				.propagate(true);
			let mut longevity = u64::MAX;
			for entry in answers {
				let assignment = Self::check_bundled(provider, entry).map_err(Self::invalid)?;
				// The lone answer's tag: a bundle and a single answer to one task never share
				// the pool.
				validity = validity.and_provides((entry.task_id, provider, 0u8));
				let left = assignment.deadline.saturating_sub(now).saturated_into::<u64>();
				longevity = longevity.min(left);
			}
			for entry in answers {
				if blake2_256(&entry.sealed) != entry.answer.sealed_hash {
					return Err(Self::invalid(Error::<T>::OutputHashMismatch));
				}
			}
			Ok((validity.longevity(longevity.max(1)).into(), Weight::zero()))
		}

		/// The pool priority of `answers` lone answers in one call: a share of an answer step's
		/// per answer, so a call of the most answers ranks with a commit or a reveal, never
		/// above. The pool replaces transactions only for one whose priority exceeds theirs
		/// together: a bundle that holds every answer of the ones it overlaps, and one more,
		/// takes their place; a bundle sent again as it was does not.
		pub fn answer_priority(answers: u32) -> TransactionPriority {
			let share = STEP_PRIORITY / u64::from(T::MaxAnswersPerCall::get().max(1));
			share.saturating_mul(answers.into())
		}

		/// The shape of an [`Pallet::answer_many`]: not empty, each task once.
		fn check_shape(answers: &BundleOf<T>) -> Result<(), Error<T>> {
			ensure!(!answers.is_empty(), Error::<T>::NoAnswers);
			let mut tasks = alloc::collections::BTreeSet::new();
			for entry in answers {
				ensure!(tasks.insert(entry.task_id), Error::<T>::DuplicateAnswer);
			}
			Ok(())
		}

		/// Checks one answer of an [`Pallet::answer_many`] as [`Pallet::check_answer`] does, and
		/// that it answers the assignment the chain holds.
		pub fn check_bundled(
			provider: &T::AccountId,
			entry: &BundledAnswer<T>,
		) -> Result<AssignmentOf<T>, Error<T>> {
			let assignment = Self::check_answer(entry.task_id, provider, &entry.answer)?;
			ensure!(assignment.digest == entry.digest, Error::<T>::DigestMismatch);
			Ok(assignment)
		}

		/// The bytes an executor key signs for the answers of `provider` in an
		/// [`Pallet::answer_many`]: [`ANSWERS_CONTEXT`], the genesis hash, the provider, and
		/// each entry's task, digest and answer (whose `sealed_hash` binds its box).
		pub fn answers_payload(provider: &T::AccountId, answers: &[BundledAnswer<T>]) -> Vec<u8> {
			let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
			let entries: Vec<_> =
				answers.iter().map(|a| (a.task_id, &a.digest, &a.answer)).collect();
			(ANSWERS_CONTEXT, genesis, provider, entries).encode()
		}

		/// The [`Pallet::answer_many`] of `provider` with `answers`, signed by `key`; `None` if
		/// the keystore cannot sign with `key` or there are more answers than a call carries.
		pub fn signed_answers(
			provider: T::AccountId,
			answers: Vec<BundledAnswer<T>>,
			key: &T::ExecutorId,
		) -> Option<Call<T>> {
			let signature = key.sign(&Self::answers_payload(&provider, &answers))?;
			let answers = answers.try_into().ok()?;
			Some(Call::answer_many { provider, answers, signature })
		}

		/// The weight of an [`Pallet::answer_many`] of `count` answers holding `bytes` bytes of
		/// boxes: each answer held, its box's bytes priced as in [`Pallet::answer`] (the same
		/// writes), and each may settle its task as [`Pallet::answer`] may.
		pub fn answer_many_weight(count: u32, bytes: u32) -> Weight {
			let per_byte = T::WeightInfo::answer(bytes).saturating_sub(T::WeightInfo::answer(0));
			T::WeightInfo::answer_many(count)
				.saturating_add(per_byte)
				.saturating_add(T::Tasks::settle_weight(1).saturating_mul(count.into()))
		}

		/// The weight of the pool's and the block's check of an [`Pallet::answer_many`] of
		/// `count` answers holding `bytes` bytes of boxes (each hashed, as in
		/// [`Pallet::answer`]'s check).
		pub fn authorize_answer_many_weight(count: u32, bytes: u32) -> Weight {
			let per_byte = T::WeightInfo::authorize_answer(bytes)
				.saturating_sub(T::WeightInfo::authorize_answer(0));
			T::WeightInfo::authorize_answer_many(count).saturating_add(per_byte)
		}

		/// The bytes of boxes `answers` carry together.
		pub fn box_bytes(answers: &[BundledAnswer<T>]) -> u32 {
			answers.iter().fold(0u32, |sum, a| sum.saturating_add(a.sealed.len() as u32))
		}

		/// The end of every pool check, dearest last: `signature` over `provider`'s `claim`;
		/// then the answer's pool validity, unique per task, provider and step.
		fn accept(
			task_id: TaskId,
			provider: &T::AccountId,
			claim: Claim,
			signature: &<T::ExecutorId as RuntimeAppPublic>::Signature,
			assignment: &AssignmentOf<T>,
		) -> TransactionValidityWithRefund {
			// An abstention shares its tag with the answer or commitment it replaces, so the pool
			// never holds both and no author chooses between them.
			let step: u8 = match claim {
				Claim::Answer(_) => 0,
				Claim::Commit(_) => 1,
				Claim::Reveal { .. } => 2,
				Claim::Abstain(_) if assignment.providers.len() == 1 => 0,
				Claim::Abstain(_) => 1,
				Claim::Open(_) | Claim::OpenWitnessed { .. } => 3,
			};
			Self::check_signature(&assignment.digest, task_id, provider, claim, signature)
				.map_err(Self::invalid)?;
			Ok((Self::validity(task_id, provider, step, assignment), Weight::zero()))
		}

		/// The pool's view of a refused answer: bad signatures are bad proofs, answers that
		/// come too late are stale, early reveals wait (future); the rest carry the error's
		/// index as a custom code.
		fn invalid(error: Error<T>) -> TransactionValidityError {
			match error {
				Error::<T>::BadSignature => InvalidTransaction::BadProof.into(),
				Error::<T>::TaskNotOpen
				| Error::<T>::DeadlinePassed
				| Error::<T>::AlreadyAnswered
				| Error::<T>::Committed
				| Error::<T>::CommitsClosed
				| Error::<T>::DigestMismatch => InvalidTransaction::Stale.into(),
				Error::<T>::RevealsNotOpen => InvalidTransaction::Future.into(),
				other => {
					InvalidTransaction::Custom(other.encode().first().copied().unwrap_or(0)).into()
				}
			}
		}

		/// The commitment of `provider` to `revealed` with `salt`, for the task `task_id` whose
		/// digest is `digest` ([`TaskAssignment::digest`]).
		pub fn commitment(
			digest: &[u8; 32],
			task_id: TaskId,
			provider: &T::AccountId,
			revealed: &Revealed,
			salt: &[u8; 32],
		) -> [u8; 32] {
			if *digest == [0; 32] {
				// A task assigned before digests were kept (spec < 104): the format of then.
				return blake2_256(&(COMMIT_CONTEXT, task_id, provider, revealed, salt).encode());
			}
			blake2_256(&(COMMIT_CONTEXT, digest, task_id, provider, revealed, salt).encode())
		}

		/// The bytes an executor key signs for `statement` about the task whose digest is
		/// `digest`: with [`STATEMENT_CONTEXT`] and the genesis hash, so a statement is
		/// worthless on another chain with the same keys and task ids, and with the task's
		/// digest, so it is worthless for another task with the same id (a sibling fork's).
		pub fn statement_payload(
			digest: &[u8; 32],
			statement: &Statement<T::AccountId>,
		) -> Vec<u8> {
			let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
			if *digest == [0; 32] {
				// A task assigned before digests were kept (spec < 104): the format of then.
				return (STATEMENT_CONTEXT, genesis, statement).encode();
			}
			(STATEMENT_CONTEXT, genesis, digest, statement).encode()
		}

		/// The digest of the open task `task_id`, if it is open.
		pub fn digest_of(task_id: TaskId) -> Option<[u8; 32]> {
			T::Tasks::assignment(task_id).map(|a| a.digest)
		}

		/// The call that carries `statement` signed by `key`, with `payload`: an answer's box,
		/// a reveal's output (commits and abstentions carry none). `None` if the keystore
		/// cannot sign with `key` or the payload is above its bound.
		pub fn signed_call(
			digest: &[u8; 32],
			statement: Statement<T::AccountId>,
			payload: Vec<u8>,
			key: &T::ExecutorId,
		) -> Option<Call<T>> {
			let signature = key.sign(&Self::statement_payload(digest, &statement))?;
			let Statement { task_id, provider, claim } = statement;
			Some(match claim {
				Claim::Answer(answer) => {
					let sealed = payload.try_into().ok()?;
					Call::answer { task_id, provider, answer, sealed, signature }
				}
				Claim::Commit(commitment) => {
					Call::commit { task_id, provider, commitment, signature }
				}
				Claim::Reveal { revealed, salt } => {
					let output = payload.try_into().ok()?;
					Call::reveal { task_id, provider, revealed, output, salt, signature }
				}
				Claim::Abstain(reason) => Call::abstain { task_id, provider, reason, signature },
				Claim::Open(opening) => Call::open { task_id, who: provider, opening, signature },
				Claim::OpenWitnessed { opening, witness, .. } => {
					let sealed = payload.try_into().ok()?;
					Call::open_witnessed {
						task_id,
						who: provider,
						opening,
						witness,
						sealed,
						signature,
					}
				}
			})
		}

		/// Pool validity of an answer: unique per task, provider and step; lives until the
		/// deadline of `assignment` (the one its check just read).
		fn validity(
			task_id: TaskId,
			provider: &T::AccountId,
			step: u8,
			assignment: &AssignmentOf<T>,
		) -> ValidTransaction {
			let now = frame_system::Pallet::<T>::block_number();
			let longevity = assignment.deadline.saturating_sub(now).saturated_into::<u64>().max(1);
			// A lone answer (or a lone task's abstention, which shares its tag) ranks as a bundle
			// of one (see `answer_priority`).
			let priority = match step {
				0 if assignment.providers.len() == 1 => Self::answer_priority(1),
				_ => STEP_PRIORITY,
			};
			ValidTransaction::with_tag_prefix("BourseAttestation")
				.priority(priority)
				.and_provides((task_id, provider, step))
				.longevity(longevity)
				.propagate(true)
				.into()
		}

		/// Checks common to every answer, cheapest first: the task is open and before its
		/// deadline, and the provider is assigned. Returns the assignment.
		fn check_open(
			task_id: TaskId,
			provider: &T::AccountId,
		) -> Result<AssignmentOf<T>, Error<T>> {
			let assignment = T::Tasks::assignment(task_id).ok_or(Error::<T>::TaskNotOpen)?;
			ensure!(
				frame_system::Pallet::<T>::block_number() <= assignment.deadline,
				Error::<T>::DeadlinePassed
			);
			ensure!(assignment.providers.contains(provider), Error::<T>::NotAssigned);
			Ok(assignment)
		}

		/// The last and dearest check, run in `authorize` only: `signature` is `provider`'s
		/// executor key's over its statement about `task_id`.
		fn check_signature(
			digest: &[u8; 32],
			task_id: TaskId,
			provider: &T::AccountId,
			claim: Claim,
			signature: &<T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> Result<(), Error<T>> {
			let key = T::Keys::executor_of(provider).ok_or(Error::<T>::NotAssigned)?;
			let statement = Statement { task_id, provider: provider.clone(), claim };
			ensure!(
				key.verify(&Self::statement_payload(digest, &statement), signature),
				Error::<T>::BadSignature
			);
			Ok(())
		}

		/// Checks an answer to a task of replication 1, but for its signature; returns the
		/// assignment.
		pub fn check_answer(
			task_id: TaskId,
			provider: &T::AccountId,
			answer: &SealedAnswer,
		) -> Result<AssignmentOf<T>, Error<T>> {
			let assignment = Self::check_open(task_id, provider)?;
			ensure!(assignment.providers.len() == 1, Error::<T>::UseCommitReveal);
			ensure!(assignment.reply_key.is_some(), Error::<T>::NoReplyKey);
			ensure!(answer.fuel_used <= assignment.fuel_limit, Error::<T>::FuelAboveLimit);
			ensure!(answer.max_output <= T::MaxOutputSize::get(), Error::<T>::OutputTooLarge);
			Self::check_unanswered(task_id, provider)?;
			Self::check_version(answer.executor_version)?;
			Ok(assignment)
		}

		/// The provider has neither answered (or revealed) nor abstained.
		fn check_unanswered(task_id: TaskId, provider: &T::AccountId) -> Result<(), Error<T>> {
			ensure!(
				!Reveals::<T>::contains_key(task_id, provider)
					&& !Abstentions::<T>::contains_key(task_id, provider),
				Error::<T>::AlreadyAnswered
			);
			Ok(())
		}

		/// Whether `versions` may be the accepted set: not empty, each once, ascending.
		fn is_version_set(versions: &[u32]) -> bool {
			!versions.is_empty() && versions.windows(2).all(|w| w[0] < w[1])
		}

		/// The chain accepts outcomes of `executor_version`.
		fn check_version(executor_version: u32) -> Result<(), Error<T>> {
			ensure!(
				AcceptedVersions::<T>::get().contains(&executor_version),
				Error::<T>::UnacceptedVersion
			);
			Ok(())
		}

		/// Checks an abstention, but for its signature; returns the assignment.
		pub fn check_abstain(
			task_id: TaskId,
			provider: &T::AccountId,
		) -> Result<AssignmentOf<T>, Error<T>> {
			let assignment = Self::check_open(task_id, provider)?;
			if let Some(audit) = &assignment.audit {
				ensure!(Self::commits_blind(audit, provider), Error::<T>::NotAuditor);
			}
			Self::check_unanswered(task_id, provider)?;
			ensure!(!Commitments::<T>::contains_key(task_id, provider), Error::<T>::Committed);
			// Replicated: only while commits are open, before anyone's reveal can be seen.
			ensure!(
				assignment.providers.len() == 1 || !Self::reveals_open(task_id, &assignment),
				Error::<T>::CommitsClosed
			);
			Ok(assignment)
		}

		/// Whether `provider` is done with its first step: committed or abstained.
		fn committed_or_abstained(task_id: TaskId, provider: &T::AccountId) -> bool {
			Commitments::<T>::contains_key(task_id, provider)
				|| Abstentions::<T>::contains_key(task_id, provider)
		}

		/// Whether reveals are open: every provider committed or abstained, or the task's commit
		/// window passed.
		pub(crate) fn reveals_open(task_id: TaskId, assignment: &AssignmentOf<T>) -> bool {
			let window_closed = frame_system::Pallet::<T>::block_number() > assignment.commit_until;
			if let Some(audit) = &assignment.audit {
				// The auditor alone commits (or a dispute's committee); openings wait for it.
				if !audit.committee.is_empty() {
					return window_closed
						|| audit
							.committee
							.iter()
							.all(|m| Self::committed_or_abstained(task_id, m));
				}
				return window_closed || Self::committed_or_abstained(task_id, &audit.auditor);
			}
			window_closed
				|| assignment.providers.iter().all(|p| Self::committed_or_abstained(task_id, p))
		}

		/// Checks a commit, but for its signature; returns the assignment.
		pub fn check_commit(
			task_id: TaskId,
			provider: &T::AccountId,
		) -> Result<AssignmentOf<T>, Error<T>> {
			let assignment = Self::check_open(task_id, provider)?;
			ensure!(assignment.providers.len() > 1, Error::<T>::UseAnswer);
			if let Some(audit) = &assignment.audit {
				ensure!(Self::commits_blind(audit, provider), Error::<T>::NotAuditor);
			}
			ensure!(!Self::committed_or_abstained(task_id, provider), Error::<T>::AlreadyAnswered);
			ensure!(!Self::reveals_open(task_id, &assignment), Error::<T>::CommitsClosed);
			Ok(assignment)
		}

		/// Checks a reveal against the state, but not its output or signature; returns the
		/// assignment.
		pub fn check_reveal(
			task_id: TaskId,
			provider: &T::AccountId,
			revealed: &Revealed,
			salt: &[u8; 32],
		) -> Result<AssignmentOf<T>, Error<T>> {
			let assignment = Self::check_open(task_id, provider)?;
			ensure!(assignment.providers.len() > 1, Error::<T>::UseAnswer);
			ensure!(assignment.audit.is_none(), Error::<T>::UseOpen);
			ensure!(revealed.fuel_used <= assignment.fuel_limit, Error::<T>::FuelAboveLimit);
			ensure!(!Reveals::<T>::contains_key(task_id, provider), Error::<T>::AlreadyAnswered);
			let committed =
				Commitments::<T>::get(task_id, provider).ok_or(Error::<T>::NoCommitment)?;
			ensure!(Self::reveals_open(task_id, &assignment), Error::<T>::RevealsNotOpen);
			ensure!(
				Self::commitment(&assignment.digest, task_id, provider, revealed, salt)
					== committed,
				Error::<T>::CommitmentMismatch
			);
			Self::check_version(revealed.executor_version)?;
			Ok(assignment)
		}

		/// Checks an opening of `who` in the audit under way of `task_id`, but for its
		/// signature: the auditor has committed, `who` has not opened yet, and `opening` is what
		/// `who` committed to; a committee member's with its `witness`, and only a member's.
		/// Returns the assignment and the audit.
		pub fn check_opening(
			task_id: TaskId,
			who: &T::AccountId,
			opening: &Opening,
			witness: Option<&[u8; 32]>,
		) -> Result<(AssignmentOf<T>, AuditRound<T::AccountId>), Error<T>> {
			let assignment = Self::check_open(task_id, who)?;
			let audit = assignment.audit.clone().ok_or(Error::<T>::NotAudited)?;
			ensure!(!Openings::<T>::contains_key(task_id, who), Error::<T>::AlreadyAnswered);
			ensure!(witness.is_some() == audit.committee.contains(who), Error::<T>::WrongOpening);
			if let Some(witness) = witness {
				// A dispute's committee: each member opens its own blind commitment, once
				// every member committed (or abstained) or the commit window closed.
				let committed =
					Commitments::<T>::get(task_id, who).ok_or(Error::<T>::NoCommitment)?;
				ensure!(Self::reveals_open(task_id, &assignment), Error::<T>::RevealsNotOpen);
				ensure!(opening.fuel_used <= assignment.fuel_limit, Error::<T>::FuelAboveLimit);
				ensure!(
					opening.member_commitment(&assignment.digest, task_id, who, witness)
						== committed,
					Error::<T>::CommitmentMismatch
				);
				return Ok((assignment, audit));
			}
			let auditors =
				Commitments::<T>::get(task_id, &audit.auditor).ok_or(Error::<T>::RevealsNotOpen)?;
			let committed = if *who == audit.provider { audit.commitment } else { auditors };
			ensure!(opening.fuel_used <= assignment.fuel_limit, Error::<T>::FuelAboveLimit);
			if *who == audit.provider {
				let said = (opening.status, opening.fuel_used, opening.executor_version);
				ensure!(said == audit.answered, Error::<T>::CommitmentMismatch);
			}
			ensure!(
				opening.commitment(&assignment.digest, task_id, who) == committed,
				Error::<T>::CommitmentMismatch
			);
			// No version check: the provider's was accepted when it answered, and the auditor's
			// when its node committed (root may have dropped it since; its opening then shows an
			// outcome that is not comparable, not a withheld one).
			Ok((assignment, audit))
		}

		/// What the audit `audit` of `task_id` found from its commitment and openings so far
		/// (at its deadline, missing steps are silence or a withheld opening).
		fn audit_finding(task_id: TaskId, audit: &AuditRound<T::AccountId>) -> AuditFinding {
			let committed = Commitments::<T>::contains_key(task_id, &audit.auditor);
			let abstained = Abstentions::<T>::contains_key(task_id, &audit.auditor);
			let auditors = Openings::<T>::get(task_id, &audit.auditor);
			let providers = Openings::<T>::get(task_id, &audit.provider);
			match (committed, auditors, providers) {
				(false, ..) if abstained => AuditFinding::AuditorAbstained,
				(false, ..) => AuditFinding::AuditorSilent,
				(true, Some(a), Some(p)) if a.same_outcome(&p) => {
					AuditFinding::Agreed { fuel: a.fuel_used }
				}
				// Outcomes of different executors are not comparable.
				(true, Some(a), Some(p)) if a.executor_version != p.executor_version => {
					AuditFinding::NotComparable { fuel: a.fuel_used }
				}
				(true, Some(a), Some(_)) => AuditFinding::Disagreed { fuel: a.fuel_used },
				(true, Some(a), None) => AuditFinding::ProviderWithheld { fuel: a.fuel_used },
				(true, None, Some(_)) => AuditFinding::AuditorWithheld,
				(true, None, None) => AuditFinding::BothWithheld,
			}
		}

		/// Whether `who` is the party that commits blind in the audit round `audit`: its
		/// auditor, or once disputed a member of its committee.
		pub(crate) fn commits_blind(audit: &AuditRound<T::AccountId>, who: &T::AccountId) -> bool {
			if audit.committee.is_empty() {
				*who == audit.auditor
			} else {
				audit.committee.contains(who)
			}
		}

		/// Stores `who`'s `opening` in `audit`, says so, and judges the audit (or its committee)
		/// if nothing can change any more.
		fn record_opening(
			task_id: TaskId,
			who: T::AccountId,
			opening: Opening,
			assignment: &AssignmentOf<T>,
			audit: &AuditRound<T::AccountId>,
		) {
			Self::deposit_event(Event::Opened {
				task_id,
				who: who.clone(),
				status: opening.status,
				fuel_used: opening.fuel_used,
				output_digest: opening.output_digest,
			});
			Openings::<T>::insert(task_id, &who, opening);
			if !audit.committee.is_empty() {
				Self::judge_if_complete(task_id, assignment, audit);
				return;
			}
			let both = Openings::<T>::contains_key(task_id, &audit.provider)
				&& Openings::<T>::contains_key(task_id, &audit.auditor);
			if both {
				let found = Self::audit_finding(task_id, audit);
				Self::settle_audit(task_id, found);
			}
		}

		/// Hands the finding of an audit to the task pallet, and forgets the audit's records
		/// unless it goes on to a committee (which needs the two disputed openings).
		fn settle_audit(task_id: TaskId, found: AuditFinding) {
			if !T::Tasks::settle_audit(task_id, found) {
				Self::forget_task(task_id);
			}
		}

		/// Judges the committee of the disputed audit `audit` if nothing can change any more:
		/// every member has opened or abstained, or commits have closed and every member that
		/// committed has opened.
		fn judge_if_complete(
			task_id: TaskId,
			assignment: &AssignmentOf<T>,
			audit: &AuditRound<T::AccountId>,
		) {
			let commits_closed = Self::reveals_open(task_id, assignment);
			let done = |m: &T::AccountId| {
				Openings::<T>::contains_key(task_id, m)
					|| Abstentions::<T>::contains_key(task_id, m)
					|| (commits_closed && !Commitments::<T>::contains_key(task_id, m))
			};
			if audit.committee.iter().all(done) {
				let judgement = Self::committee_judgement(task_id, audit);
				Self::forget_task(task_id);
				T::Tasks::settle_committee(task_id, judgement);
			}
		}

		/// What the committee of the disputed audit `audit` of `task_id` found from its
		/// members' commitments and openings so far: the outcome a majority of its members
		/// opened with the same witness ([`Opening::same_witnessed`]: the same status, fuel,
		/// executor version, output digest, fingerprint and witness) stands, whoever opened it;
		/// each member's part. An opening of another executor version than the disputed one is
		/// not comparable: it counts as an abstention. At its deadline, a member that committed
		/// and did not open withheld, one that did neither was silent.
		pub fn committee_judgement(
			task_id: TaskId,
			audit: &AuditRound<T::AccountId>,
		) -> CommitteeJudgement<T::AccountId> {
			let version = audit.answered.2;
			// Each member's opening with its witness.
			let opened: Vec<(T::AccountId, Option<(Opening, [u8; 32])>)> = audit
				.committee
				.iter()
				.map(|m| {
					let witnessed =
						Openings::<T>::get(task_id, m).zip(Witnesses::<T>::get(task_id, m));
					(m.clone(), witnessed)
				})
				.collect();
			// The same outcome with the same witness: both ran it (a copy of a public opening
			// cannot give the witness).
			let same = |(a, wa): &(Opening, [u8; 32]), (b, wb): &(Opening, [u8; 32])| {
				a.same_outcome(b) && wa == wb
			};
			let quorum = audit.committee.len() / 2 + 1;
			let majority = opened.iter().filter_map(|(_, o)| o.as_ref()).find(|candidate| {
				candidate.0.executor_version == version
					&& opened
						.iter()
						.filter(|(_, o)| o.as_ref().is_some_and(|o| same(o, candidate)))
						.count() >= quorum
			});
			let party = |who: &T::AccountId, m: &Opening| {
				Openings::<T>::get(task_id, who).is_some_and(|o| o.same_outcome(m))
			};
			let upheld = match majority {
				None => Upheld::NoMajority,
				Some((m, _)) if party(&audit.provider, m) => Upheld::Provider,
				Some((m, _)) if party(&audit.auditor, m) => Upheld::Auditor,
				Some(_) => Upheld::Neither,
			};
			let members: Vec<(T::AccountId, MemberPart)> = opened
				.iter()
				.map(|(m, o)| {
					let part = match (o, majority) {
						(Some((o, _)), _) if o.executor_version != version => MemberPart::Abstained,
						(Some(o), Some(maj)) if same(o, maj) => {
							MemberPart::Majority { fuel: o.0.fuel_used }
						}
						// The majority's outcome under another witness: it, or the majority,
						// did not run the task; no telling which.
						(Some((o, _)), Some((maj, _))) if o.same_outcome(maj) => {
							MemberPart::Unwitnessed
						}
						(Some(_), _) => MemberPart::Minority,
						(None, _) if Commitments::<T>::contains_key(task_id, m) => {
							MemberPart::Withheld
						}
						(None, _) if Abstentions::<T>::contains_key(task_id, m) => {
							MemberPart::Abstained
						}
						(None, _) => MemberPart::Silent,
					};
					(m.clone(), part)
				})
				.collect();
			// The box the requester gets if the provider was wrong: the first majority member's.
			let status = majority.map(|(o, _)| o.status);
			let delivered = members.iter().find_map(|(m, part)| match (part, status) {
				(MemberPart::Majority { fuel }, Some(status)) => MemberBoxes::<T>::get(task_id, m)
					.map(|sealed| (m.clone(), status, *fuel, sealed.into_inner())),
				_ => None,
			});
			CommitteeJudgement { upheld, members, delivered }
		}

		/// Settles the task if nothing can change any more: every provider of `assignment` has
		/// revealed or abstained, or (replicated) commits have closed and every provider that
		/// committed has revealed.
		fn settle_if_complete(task_id: TaskId, assignment: &AssignmentOf<T>) {
			if let Some(audit) = &assignment.audit {
				if !audit.committee.is_empty() {
					Self::judge_if_complete(task_id, assignment, audit);
					return;
				}
				// Only the auditor's abstention ends an audit here (openings settle in `open`).
				if Abstentions::<T>::contains_key(task_id, &audit.auditor) {
					let found = Self::audit_finding(task_id, audit);
					Self::settle_audit(task_id, found);
				}
				return;
			}
			let replicated = assignment.providers.len() > 1;
			let commits_closed = replicated && Self::reveals_open(task_id, assignment);
			let done = |p: &T::AccountId| {
				Reveals::<T>::contains_key(task_id, p)
					|| Abstentions::<T>::contains_key(task_id, p)
					|| (commits_closed && !Commitments::<T>::contains_key(task_id, p))
			};
			if assignment.providers.iter().all(done) {
				let decision = Self::decide_now(task_id, &assignment.providers);
				T::Tasks::settle(task_id, decision);
			}
		}

		/// Decides a task from the reveals so far and forgets its answers.
		fn decide_now(task_id: TaskId, providers: &[T::AccountId]) -> Decision<T::AccountId> {
			let reveals: Vec<(T::AccountId, Option<Revealed>)> =
				providers.iter().map(|p| (p.clone(), Reveals::<T>::get(task_id, p))).collect();
			// Distinct outcomes with their number of reveals, in the order first revealed.
			let mut tally: Vec<(Revealed, u32)> = Vec::new();
			for revealed in reveals.iter().filter_map(|(_, r)| r.as_ref()) {
				match tally.iter_mut().find(|(outcome, _)| outcome == revealed) {
					Some((_, count)) => *count = count.saturating_add(1),
					None => tally.push((revealed.clone(), 1)),
				}
			}
			// A quorum is a strict majority of the assigned: at most one outcome reaches it.
			let quorum = (providers.len() / 2).saturating_add(1);
			let winner = tally
				.iter()
				.find(|(_, count)| *count as usize >= quorum)
				.map(|(outcome, _)| outcome);
			let abstained = |p: &T::AccountId| Abstentions::<T>::contains_key(task_id, p);
			let committed = |p: &T::AccountId| Commitments::<T>::contains_key(task_id, p);
			let (result, winner) = match winner {
				None if !tally.is_empty() => (Err(FailureReason::NoConsensus), None),
				None if providers.iter().any(abstained) => (Err(FailureReason::Abstained), None),
				None => (Err(FailureReason::NoAnswer), None),
				Some(winner) => {
					let result = match PendingOutputs::<T>::take(task_id, winner.output_hash) {
						Some(output) => Ok(AgreedOutcome {
							status: winner.status,
							output: output.into_inner(),
							fuel_used: winner.fuel_used,
						}),
						None => {
							// Every reveal stores its output (checked by `do_try_state`).
							defensive!("the winning output is not stored");
							Err(FailureReason::OutputMissing)
						}
					};
					(result, Some(winner.clone()))
				}
			};
			let revealed =
				reveals.iter().filter(|(_, r)| r.is_some()).map(|(p, _)| p.clone()).collect();
			// One read of at most `k` entries (the reveals read above were committed too).
			let committers: Vec<T::AccountId> =
				Commitments::<T>::iter_key_prefix(task_id).collect();
			let verdicts = reveals
				.into_iter()
				.map(|(provider, revealed)| {
					let verdict = match (revealed, &winner) {
						(Some(r), Some(w)) if &r == w => Some(Verdict::Agreed),
						// Outcomes of different executors are not comparable.
						(Some(r), Some(w)) if r.executor_version != w.executor_version => None,
						(Some(_), Some(_)) => Some(Verdict::OutVoted),
						// Without a quorum the chain cannot tell the truth from a lie.
						(Some(_), None) => None,
						(None, _) if abstained(&provider) => Some(Verdict::Abstained),
						// It withheld a reveal that would have lost: as costly as a lie.
						(None, Some(_)) if committed(&provider) => Some(Verdict::OutVoted),
						(None, _) => Some(Verdict::NoShow),
					};
					if let Some(verdict) = verdict {
						Self::deposit_event(Event::VerdictGiven {
							task_id,
							provider: provider.clone(),
							verdict,
						});
					}
					(provider, verdict)
				})
				.collect();
			Self::forget_task(task_id);
			Decision { result, verdicts, revealed, committed: committers }
		}

		/// The pallet's invariants: every commitment, reveal and pending output belongs to an
		/// open task, and every commitment and reveal to one of its assigned providers (settled
		/// tasks leave nothing behind); the output of every reveal is stored under its hash, and
		/// every stored output hashes to its key and was revealed.
		#[cfg(any(test, feature = "try-runtime"))]
		pub fn do_try_state() -> Result<(), &'static str> {
			let assigned = |task_id: TaskId, provider: &T::AccountId| {
				T::Tasks::assignment(task_id).is_some_and(|a| a.providers.contains(provider))
			};
			for (task_id, provider, _) in Commitments::<T>::iter() {
				ensure!(assigned(task_id, &provider), "a commitment outlived its task");
				let audit = T::Tasks::assignment(task_id).and_then(|a| a.audit);
				ensure!(
					audit.is_none_or(|audit| audit.provider != provider),
					"an audited provider committed again"
				);
			}
			for (task_id, who, _) in Openings::<T>::iter() {
				let audit = T::Tasks::assignment(task_id).and_then(|a| a.audit);
				let audit = audit.ok_or("an opening outlived its audit")?;
				ensure!(
					Commitments::<T>::contains_key(task_id, &audit.auditor),
					"an opening before the auditor committed"
				);
				ensure!(
					who == audit.provider || who == audit.auditor || audit.committee.contains(&who),
					"an opening by a stranger"
				);
				ensure!(
					Witnesses::<T>::contains_key(task_id, &who) == audit.committee.contains(&who),
					"a member's opening without its witness, or a party's with one"
				);
			}
			for (task_id, who, _) in Witnesses::<T>::iter() {
				ensure!(
					Openings::<T>::contains_key(task_id, &who),
					"a witness without its opening"
				);
				ensure!(MemberBoxes::<T>::contains_key(task_id, &who), "a witness without its box");
			}
			for (task_id, who, _) in MemberBoxes::<T>::iter() {
				ensure!(Witnesses::<T>::contains_key(task_id, &who), "a box without its witness");
			}
			for (task_id, provider, _) in Abstentions::<T>::iter() {
				ensure!(assigned(task_id, &provider), "an abstention outlived its task");
				ensure!(
					!Commitments::<T>::contains_key(task_id, &provider)
						&& !Reveals::<T>::contains_key(task_id, &provider),
					"a provider both abstained and answered"
				);
			}
			let versions = AcceptedVersions::<T>::get();
			ensure!(Self::is_version_set(&versions), "accepted versions are empty or unsorted");
			for (task_id, provider, revealed) in Reveals::<T>::iter() {
				ensure!(assigned(task_id, &provider), "a reveal outlived its task");
				ensure!(
					PendingOutputs::<T>::contains_key(task_id, revealed.output_hash),
					"a revealed output is not stored"
				);
			}
			for (task_id, hash, output) in PendingOutputs::<T>::iter() {
				ensure!(T::Tasks::assignment(task_id).is_some(), "an output outlived its task");
				ensure!(blake2_256(&output) == hash, "a stored output does not match its hash");
				ensure!(
					Reveals::<T>::iter_prefix_values(task_id).any(|r| r.output_hash == hash),
					"a stored output nobody revealed"
				);
			}
			Ok(())
		}

		/// Removes a task's commitments, reveals, abstentions and pending outputs.
		fn forget_task(task_id: TaskId) {
			// An audit's parties: the provider, the auditor and a dispute's committee.
			let parties = bourse_primitives::traits::COMMITTEE_SIZE.saturating_add(2);
			let limit = T::MaxReplication::get().max(parties);
			let _ = Commitments::<T>::clear_prefix(task_id, limit, None);
			let _ = Abstentions::<T>::clear_prefix(task_id, limit, None);
			let _ = Reveals::<T>::clear_prefix(task_id, limit, None);
			let _ = PendingOutputs::<T>::clear_prefix(task_id, limit, None);
			let _ = Openings::<T>::clear_prefix(task_id, limit, None);
			let _ = Witnesses::<T>::clear_prefix(task_id, limit, None);
			let _ = MemberBoxes::<T>::clear_prefix(task_id, limit, None);
		}
	}

	impl<T: Config> TaskJudge<T::AccountId> for Pallet<T> {
		fn decide(task_id: TaskId, providers: &[T::AccountId]) -> (Decision<T::AccountId>, Weight) {
			// Nothing answered: reading the empty answers is part of the caller's timeout
			// benchmark. Otherwise at most what the heaviest settling reveal costs (most
			// providers, largest outputs, a bare majority), which decides the same way.
			let answered = Self::answered(task_id);
			let weight = if answered {
				T::WeightInfo::reveal(T::MaxOutputSize::get())
			} else {
				Weight::zero()
			};
			(Self::decide_now(task_id, providers), weight)
		}

		fn answers(task_id: TaskId, providers: &[T::AccountId]) -> Vec<AnswerView<T::AccountId>> {
			providers
				.iter()
				.map(|provider| AnswerView {
					provider: provider.clone(),
					committed: Commitments::<T>::contains_key(task_id, provider),
					revealed: Reveals::<T>::get(task_id, provider)
						.map(|r| (r.status, r.output_hash, r.fuel_used))
						.or_else(|| {
							Openings::<T>::get(task_id, provider)
								.map(|o| (o.status, o.output_digest, o.fuel_used))
						}),
					abstained: Abstentions::<T>::get(task_id, provider),
				})
				.collect()
		}

		fn judge_audit(
			task_id: TaskId,
			audit: &AuditRound<T::AccountId>,
		) -> (AuditFinding, Weight) {
			let found = Self::audit_finding(task_id, audit);
			Self::forget_task(task_id);
			// At most what the opening that settles an audit costs, which judges the same way.
			(found, T::WeightInfo::open())
		}

		fn judge_committee(
			task_id: TaskId,
			audit: &AuditRound<T::AccountId>,
		) -> (CommitteeJudgement<T::AccountId>, Weight) {
			let judgement = Self::committee_judgement(task_id, audit);
			Self::forget_task(task_id);
			// At most what the opening that settles a committee costs, which judges the same way.
			(judgement, T::WeightInfo::open())
		}

		fn forget(task_id: TaskId) {
			Self::forget_task(task_id);
		}

		fn answered(task_id: TaskId) -> bool {
			Commitments::<T>::iter_key_prefix(task_id).next().is_some()
				|| Reveals::<T>::iter_key_prefix(task_id).next().is_some()
				|| Abstentions::<T>::iter_key_prefix(task_id).next().is_some()
		}
	}
}
