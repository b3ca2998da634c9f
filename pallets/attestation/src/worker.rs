//! The offchain worker: how a provider's node executes its tasks and answers them.
//!
//! On every new best block, for each executor key in the node's keystore that is bound to a
//! provider, it reads the provider's open tasks from the task pallet's index (no scan of all
//! tasks) and moves each one forward without blocking: it submits the run to the node's sandbox
//! (`sandbox::submit`, which returns at once, so every task assigned in a block starts when the
//! block is imported), polls it on this and later passes (`sandbox::poll`), and once it has
//! ended sends the answer (replication 1) or the commitment, then the reveal (replication ≥ 3),
//! as authorized transactions signed by that key. Each pass waits up to [`PASS_WAIT_MS`] for the
//! runs it started, so a short task is answered from the block that assigned it.
//!
//! When the node cannot run a task within its means it abstains (`Claim::Abstain`): the run
//! outlived the task's windows (it is cancelled), its executor's version is not accepted, it needs
//! more memory than the node gives a run, or it kept failing locally until the windows closed.
//! A run that failed locally, or that a restart interrupted (the node's registry of runs is in
//! memory), is submitted again on the next pass while the windows are open; the registry never
//! runs one id twice at once.
//!
//! A lone answer (replication 1) is sealed as soon as its run ends: the node commits to the
//! outcome under a fresh salt and seals the salt and the output to the requester's reply key
//! (`sandbox::seal_reply`, randomness from the node's operating system), and keeps the box, so
//! that every resend and every sibling fork carries the same one.
//!
//! What the node concluded (an outcome and its salt, a sealed answer, or an abstention) is kept in persistent
//! offchain storage under the task id, the provider and the task's digest (which names the
//! block height that assigned it): another task with the same id on a sibling fork never
//! confuses it, the same assignment on two sibling forks (routine with BABE) is run once and
//! committed with one salt whichever fork's commitment lands, and a pending reveal survives a
//! restart. The first conclusion stored wins, so two overlapping passes never commit and reveal
//! with different salts. Records expire `RECORD_GRACE` blocks after their task's deadline (the
//! latest seen). Answers are sent again on later blocks until they are on chain (the pool keeps
//! the copy it holds: one signed again ranks no higher). A provider's lone answers go in
//! `answer_many` bundles: each time a pass sends, all the provider owes so far, and apart the
//! answers this node never sent (see `Outbox`), so no answer waits behind an earlier bundle
//! that the pool still holds, nor is lost with one it dropped. On a block this node authored, answers wait `AuthorAnswerDelay` after the
//! worker starts (see `LocalAuthorship` for why).
//!
//! **Audits.** A lone answer's record keeps what opening its commitment takes (the salt, the
//! output's digest, the run's fingerprint) for [`HELD_RECORD_GRACE`] blocks after the task's
//! deadline, long enough for the answer's window and an audit that starts after it. When the
//! chain audits it, the provider's node opens its commitment as soon as the auditor has
//! committed. An auditor's node runs the task as the provider did (same seed), commits blind to
//! the outcome with a lone answer's commitment, then opens it. An auditor that cannot run it
//! abstains before committing. A member of a disputed audit's committee does as an auditor
//! does, its commitment also binding its witness of the output (keyed by the committee), and
//! opens once every member has committed.
//!
//! Providers that are not validators need `--offchain-worker always`.

use super::*;
use alloc::{vec, vec::Vec};
use bourse_primitives::{
	sandbox::{self, RunId, RunState, Submitted},
	ExecutionLimits, Outcome,
};
use frame::{
	deps::{
		sp_io,
		sp_runtime::{
			offchain::{
				storage::{StorageRetrievalError, StorageValueRef},
				Duration,
			},
			RuntimeAppPublic,
		},
	},
	log,
	prelude::*,
};

/// Log target of the worker.
const TARGET: &str = "bourse";
/// How long one pass waits for the runs it is following before leaving them to later passes.
pub const PASS_WAIT_MS: u64 = 1_000;
/// How often a waiting pass polls its runs.
const POLL_EVERY_MS: u64 = 25;
/// Blocks a record is kept after its task's deadline (the task has settled by then).
const RECORD_GRACE: u32 = 10;
/// Blocks a lone answer's record is kept after its task's deadline: its verification window,
/// and an audit's start tried again for several windows, then its commit window. Once the audit
/// starts its record is kept until the audit's deadline and [`RECORD_GRACE`].
pub const HELD_RECORD_GRACE: u32 = 200;
/// Key of the list of this node's records and when each expires.
const RECORDS_KEY: &[u8] = b"bourse/attestation/records";
/// Key of the executor keys this node served last (see `log_served`).
const SERVED_KEY: &[u8] = b"bourse/attestation/served";
/// Most records tracked for expiry; older ones beyond it are dropped at once.
const MAX_RECORDS: usize = 4_096;

/// This node's records and the block after which each may go.
type Records = Vec<(Vec<u8>, u32)>;
/// What offchain storage hands to a `mutate` closure.
type Stored<V> = Result<Option<V>, StorageRetrievalError>;

/// What this node concluded for one assignment. (Index 0 was a run in progress, which is no
/// longer stored: the node's registry of runs knows it.)
#[derive(Clone, Encode, Decode)]
enum Local {
	/// The run of a replicated task ended with this outcome; `salt` hides it in the commitment.
	#[codec(index = 1)]
	Done { outcome: RunOutcome, salt: [u8; 32] },
	/// The node abstains, for this reason.
	#[codec(index = 2)]
	Abstain(AbstainReason),
	/// A lone answer (replication 1), sealed once: every later pass and every sibling fork
	/// sends the same box. (Stored by nodes before audits: it cannot be opened.)
	#[codec(index = 3)]
	Sealed { answer: SealedAnswer, sealed: Vec<u8> },
	/// A lone answer sealed once, with what opening its commitment in an audit takes.
	#[codec(index = 4)]
	Held { answer: SealedAnswer, sealed: Vec<u8>, opening: Opening },
	/// This node's run as an auditor, with the opening of its blind commitment.
	#[codec(index = 5)]
	Audit { opening: Opening },
	/// This node's run as a member of a disputed audit's committee: the opening of its blind
	/// commitment, its witness of the output, and the output sealed to the requester.
	#[codec(index = 6)]
	Member { opening: Opening, witness: [u8; 32], sealed: Vec<u8> },
}

/// What a finished run did, for the node's log: its status, fuel used and output length.
type Ran = (Status, u64, usize);

/// What a reveal needs of an outcome: an [`Outcome`] without its fingerprint, laid out as
/// `Outcome` was before it had one (spec ≤ 111), so that a record stored by then still decodes
/// after the upgrade and a commitment made before it is revealed with its salt.
#[derive(Clone, Encode, Decode)]
struct RunOutcome {
	status: Status,
	output: Vec<u8>,
	fuel_used: u64,
	executor_version: u32,
}

impl From<Outcome> for RunOutcome {
	fn from(outcome: Outcome) -> Self {
		let Outcome { status, output, fuel_used, executor_version, .. } = outcome;
		Self { status, output, fuel_used, executor_version }
	}
}

/// One task this pass follows.
struct Job<T: Config> {
	task_id: TaskId,
	provider: T::AccountId,
	key: T::ExecutorId,
	assignment: AssignmentOf<T>,
	/// Where this node's conclusion is stored; the run id is its hash.
	storage_key: Vec<u8>,
}

impl<T: Config> Job<T> {
	fn run_id(&self) -> RunId {
		blake2_256(&self.storage_key)
	}
}

impl<T: Config> Pallet<T> {
	/// One offchain-worker pass over the tasks of this node's providers: first every run is
	/// started or read (so no answer's delay holds back a start), then the answers due are
	/// sent, then the pass waits a little for the runs still going.
	pub(crate) fn work(now: BlockNumberFor<T>) {
		Self::expire_records(now.saturated_into());
		let started = sp_io::offchain::timestamp();
		let mut concluded = Vec::new();
		let mut waiting = Vec::new();
		let keys = T::ExecutorId::all();
		let served: Vec<_> =
			keys.iter().filter_map(|key| Some((key.clone(), T::Keys::provider_of(key)?))).collect();
		Self::log_served(&served, keys.len());
		for (key, provider) in served {
			Self::report_slots(&provider);
			for task_id in T::Tasks::open_tasks_of(&provider) {
				let Some(assignment) = T::Tasks::assignment(task_id) else { continue };
				if assignment
					.audit
					.as_ref()
					.is_some_and(|a| !a.committee.is_empty() && !a.committee.contains(&provider))
				{
					continue; // a dispute's parties have opened: its committee is at work
				}
				// Keyed by what decides the outcome and the commitment (the digest names the
				// assignment's height, the run's seed is the task and that height), not by the
				// assigning block's hash: sibling forks that assign the same task to this
				// provider share one run and one salt, so a commitment sent on one fork and
				// included on the other can still be revealed.
				let storage_key =
					(b"bourse/attestation", task_id, &provider, assignment.digest).encode();
				let job = Job {
					task_id,
					provider: provider.clone(),
					key: key.clone(),
					assignment,
					storage_key,
				};
				match Self::conclusion(&job, now, true) {
					Ok(Some(local)) => concluded.push((job, local)),
					Ok(None) => waiting.push(job),
					Err(why) => log::warn!(target: TARGET, "task {task_id}: {why}"),
				}
			}
		}
		// On its own block the author answers after a delay (see `LocalAuthorship`).
		let send_after = T::Authorship::authored_here()
			.then(|| started.add(Duration::from_millis(T::AuthorAnswerDelay::get())));
		let wait_to_send = || {
			if let Some(at) = send_after {
				sp_io::offchain::sleep_until(at); // returns at once once it has passed
			}
		};
		if !concluded.is_empty() {
			wait_to_send();
		}
		let mut outbox = Outbox::default();
		for (job, local) in concluded {
			Self::send_due(&job, now, local, &mut outbox);
		}
		outbox.send();
		// Wait a little for the runs still going; answer those that end.
		let until = started.add(Duration::from_millis(PASS_WAIT_MS));
		while !waiting.is_empty() && sp_io::offchain::timestamp() < until {
			sp_io::offchain::sleep_until(
				sp_io::offchain::timestamp().add(Duration::from_millis(POLL_EVERY_MS)),
			);
			waiting.retain(|job| match Self::conclusion(job, now, false) {
				Ok(None) => true,
				Ok(Some(local)) => {
					wait_to_send();
					Self::send_due(job, now, local, &mut outbox);
					false
				}
				Err(why) => {
					log::warn!(target: TARGET, "task {}: {why}", job.task_id);
					false
				}
			});
			outbox.send();
		}
	}

	/// Logs which executor keys of the keystore this node serves (those bound to a provider now;
	/// a key rotated away from, or bound to nobody, is ignored) whenever that changes.
	fn log_served(served: &[(T::ExecutorId, T::AccountId)], in_keystore: usize) {
		let record = StorageValueRef::persistent(SERVED_KEY);
		let now = served.encode();
		if record.get::<Vec<u8>>().ok().flatten().as_ref() == Some(&now) {
			return;
		}
		record.set(&now);
		for (key, provider) in served {
			let key = key.encode();
			log::info!(
				target: TARGET,
				"serving executor key 0x{} for provider {provider:?}",
				frame::deps::sp_core::hexdisplay::HexDisplay::from(&key)
			);
		}
		log::info!(
			target: TARGET,
			"serving {} of the {in_keystore} executor keys in the keystore (the others are bound \
			 to no provider now)",
			served.len()
		);
	}

	/// Sends what `job`'s provider owes given this node's conclusion `local` (a lone answer
	/// goes to `outbox`, to be sent with the provider's others), logging a failure.
	fn send_due(job: &Job<T>, now: BlockNumberFor<T>, local: Local, outbox: &mut Outbox<T>) {
		if let Err(why) = Self::answer_due(job, now, local, outbox) {
			log::warn!(target: TARGET, "task {}: {why}", job.task_id);
		}
	}

	/// Tells the node's sandbox how many slots `provider` offers (it warns when it cannot run
	/// that many at once).
	fn report_slots(provider: &T::AccountId) {
		let slots = T::Keys::offered_slots(provider);
		if slots > 0 {
			let _ = sandbox::sandbox::offered_slots(slots);
		}
	}

	/// This node's conclusion for `job`: stored already, or reached now by moving its run
	/// forward (read, given up, or started if `may_start`); `None` while it runs.
	fn conclusion(
		job: &Job<T>,
		now: BlockNumberFor<T>,
		may_start: bool,
	) -> Result<Option<Local>, &'static str> {
		let store = StorageValueRef::persistent(&job.storage_key);
		if let Ok(Some(local)) = store.get::<Local>() {
			if job.assignment.audit.is_some() {
				// An audit keeps the record of the answer it audits until it ends (no write
				// unless that is later than known); other records' expiry is set once.
				Self::track_record(job.storage_key.clone(), Self::record_expiry(job));
			}
			return Ok(Some(local));
		}
		if job.assignment.audit.as_ref().is_some_and(|a| a.provider == job.provider) {
			// Its answer was given: only its kept record can open it, never a new run.
			return Err("audited, but this node kept no opening of the answer");
		}
		if let Some(local) = Self::legacy_conclusion(job) {
			// Concluded before this runtime keyed records by digest: keep its salt.
			store.set(&local);
			Self::track_record(job.storage_key.clone(), Self::record_expiry(job));
			return Ok(Some(local));
		}
		let Some((concluded, ran)) = Self::advance(job, now, may_start)? else { return Ok(None) };
		// The first conclusion stored wins: an overlapping pass (a sibling fork's) may have
		// stored its own (with another salt) and answered with it.
		let mut stored_ours = false;
		let kept = store.mutate(|old: Stored<Local>| match old {
			Ok(Some(existing)) => Ok::<_, ()>(existing),
			_ => {
				stored_ours = true;
				Ok(concluded.clone())
			}
		});
		if let (true, Ok(_), Some((status, fuel_used, output_len))) = (stored_ours, &kept, ran) {
			// Once per run, however many passes read its end.
			log::info!(
				target: TARGET,
				"executed task {}: {status:?}, {fuel_used} fuel, {output_len} output bytes",
				job.task_id,
			);
		}
		Self::track_record(job.storage_key.clone(), Self::record_expiry(job));
		kept.map(Some).map_err(|_| "offchain storage refused the conclusion")
	}

	/// The block after which `job`'s record may go.
	fn record_expiry(job: &Job<T>) -> u32 {
		// A lone answer's record, and the audited provider's, outlive the deadline for the
		// answer's window and another audit (a silent auditor replaced).
		let lone = job.assignment.providers.len() == 1
			|| job.assignment.audit.as_ref().is_some_and(|a| a.provider == job.provider);
		let grace = if lone { HELD_RECORD_GRACE } else { RECORD_GRACE };
		job.assignment.deadline.saturated_into::<u32>().saturating_add(grace)
	}

	/// `job`'s conclusion as nodes of spec 109 and before stored it: under the hash of the block
	/// that assigned the task. Read once after the upgrade, so that a task committed before it
	/// is revealed with its salt (and never run again with another). Remove in a later release.
	fn legacy_conclusion(job: &Job<T>) -> Option<Local> {
		let assigned_in = frame_system::Pallet::<T>::block_hash(job.assignment.assigned_at);
		let legacy = (b"bourse/attestation", job.task_id, &job.provider, assigned_in).encode();
		StorageValueRef::persistent(&legacy).get::<Local>().ok().flatten()
	}

	/// Moves this node's run of `job` forward: reads how it ended, gives up when the task's
	/// windows close, or, if `may_start` (once a pass: a failing run is not retried in a tight
	/// loop), starts it when the node has none (first pass, a local failure, a restart).
	/// Returns the conclusion once there is one, with what the run did (status, fuel, output
	/// length) when it finished.
	fn advance(
		job: &Job<T>,
		now: BlockNumberFor<T>,
		may_start: bool,
	) -> Result<Option<(Local, Option<Ran>)>, &'static str> {
		let run = job.run_id();
		let out_of_time = Self::out_of_time(job, now);
		let mut ran = None;
		let local = match Self::poll(run)? {
			RunState::Running if out_of_time => {
				let _ = sandbox::sandbox::cancel(run);
				Local::Abstain(AbstainReason::Time)
			}
			RunState::Running => return Ok(None),
			RunState::Finished(outcome) => {
				if AcceptedVersions::<T>::get().contains(&outcome.executor_version) {
					ran = Some((outcome.status, outcome.fuel_used, outcome.output.len()));
					let salt = sp_io::offchain::random_seed();
					if let Some(audit) = &job.assignment.audit {
						// This node audits: a blind commitment to the outcome, opened later;
						// as a committee member, with its witness of the output.
						let opening = Self::opening(&outcome, salt);
						if audit.committee.contains(&job.provider) {
							let witness = bourse_primitives::reply::committee_witness(
								&job.assignment.digest,
								&outcome.output,
							);
							match Self::seal_box(job, &outcome.output, salt) {
								Ok(sealed) => Local::Member { opening, witness, sealed },
								Err(why) => {
									log::warn!(target: TARGET, "task {}: {why}; abstaining", job.task_id);
									Local::Abstain(AbstainReason::LocalFailure)
								}
							}
						} else {
							Local::Audit { opening }
						}
					} else if job.assignment.providers.len() > 1 {
						Local::Done { outcome: outcome.into(), salt }
					} else {
						Self::seal(job, outcome, salt).unwrap_or_else(|why| {
							// No box, no answer: say so rather than fall silent.
							log::warn!(target: TARGET, "task {}: {why}; abstaining", job.task_id);
							Local::Abstain(AbstainReason::LocalFailure)
						})
					}
				} else {
					log::warn!(
						target: TARGET,
						"task {}: this node's executor version {} is not accepted; abstaining",
						job.task_id,
						outcome.executor_version,
					);
					Local::Abstain(AbstainReason::Version)
				}
			}
			RunState::Abstain(reason) => Local::Abstain(reason),
			RunState::Failed if out_of_time => Local::Abstain(AbstainReason::LocalFailure),
			RunState::Unknown if out_of_time => Local::Abstain(AbstainReason::Time),
			RunState::Failed | RunState::Unknown if may_start => {
				Self::submit(job, run)?;
				return Ok(None);
			}
			RunState::Failed | RunState::Unknown => return Err("no run in flight; next pass"),
		};
		Ok(Some((local, ran)))
	}

	/// The lone answer of `job` with `outcome`: its commitment under `salt`, and the output with
	/// the salt sealed to the requester's reply key by the node (`sandbox::seal_reply`).
	fn seal(job: &Job<T>, outcome: Outcome, salt: [u8; 32]) -> Result<Local, &'static str> {
		use bourse_primitives::reply;
		let digest = job.assignment.digest;
		let proof = reply::execution_proof(&salt, &outcome.fingerprint);
		let commitment = reply::answer_commitment(
			&digest,
			job.task_id,
			&job.provider,
			outcome.status,
			outcome.fuel_used,
			outcome.executor_version,
			&salt,
			&reply::output_digest(&outcome.output),
			&proof,
		);
		let sealed = Self::seal_box(job, &outcome.output, salt)?;
		let answer = SealedAnswer {
			status: outcome.status,
			fuel_used: outcome.fuel_used,
			executor_version: outcome.executor_version,
			commitment,
			proof,
			max_output: T::MaxOutputSize::get(),
			sealed_hash: blake2_256(&sealed),
		};
		let opening = Self::opening(&outcome, salt);
		Ok(Local::Held { answer, sealed, opening })
	}

	/// `output` and `salt` sealed in the node to the reply key of `job`'s task, under the
	/// digest `job` names (the task's, or a committee round's).
	fn seal_box(job: &Job<T>, output: &[u8], salt: [u8; 32]) -> Result<Vec<u8>, &'static str> {
		let key = job.assignment.reply_key.ok_or("the task has no reply key")?;
		let mut out = vec![0u8; T::MaxSealedSize::get() as usize];
		let n = sandbox::sandbox::seal_reply(
			key,
			job.assignment.digest,
			salt,
			output,
			T::MaxOutputSize::get(),
			&mut out,
		);
		match n {
			sandbox::NO_SANDBOX => Err("this node has no sandbox"),
			sandbox::SEAL_REFUSED => Err("the node refused to seal the output"),
			sandbox::BUFFER_TOO_SMALL => Err("the box is larger than the bound"),
			n => Ok(out.get(..n as usize).ok_or("the box is larger than the bound")?.to_vec()),
		}
	}

	/// What opening a commitment to `outcome` under `salt` shows.
	fn opening(outcome: &Outcome, salt: [u8; 32]) -> Opening {
		Opening {
			status: outcome.status,
			fuel_used: outcome.fuel_used,
			executor_version: outcome.executor_version,
			output_digest: bourse_primitives::reply::output_digest(&outcome.output),
			fingerprint: outcome.fingerprint,
			salt,
		}
	}

	/// Whether this node should give up running `job` after block `now`: its deadline, or (a
	/// replicated task it has not committed to) the last block of commits, is two blocks away,
	/// so the abstention sent now has two blocks to land (one author may leave it out).
	fn out_of_time(job: &Job<T>, now: BlockNumberFor<T>) -> bool {
		let two_ahead = now.saturating_add(2u32.into());
		two_ahead >= job.assignment.deadline || Self::commits_closed(job, two_ahead)
	}

	/// Whether `job`'s task is replicated, its provider has not committed, and a commitment sent
	/// after block `now` (landing in the next block at the earliest) would be refused.
	fn commits_closed(job: &Job<T>, now: BlockNumberFor<T>) -> bool {
		let a = &job.assignment;
		a.providers.len() > 1
			&& !Commitments::<T>::contains_key(job.task_id, &job.provider)
			&& (now.saturating_add(One::one()) > a.commit_until
				|| Self::reveals_open(job.task_id, a))
	}

	/// Where run `run` stands in the node's sandbox.
	fn poll(run: RunId) -> Result<RunState, &'static str> {
		let mut out = vec![0u8; (T::MaxOutputSize::get() as usize).saturating_add(128)];
		match sandbox::sandbox::poll(run, &mut out) {
			sandbox::NO_SANDBOX => Err("this node has no sandbox"),
			sandbox::BUFFER_TOO_SMALL => Err("run state larger than the output bound"),
			n => out
				.get(..n as usize)
				.and_then(|bytes| RunState::decode(&mut &bytes[..]).ok())
				.ok_or("undecodable run state"),
		}
	}

	/// Starts `job`'s run in the node's sandbox under `run`.
	fn submit(job: &Job<T>, run: RunId) -> Result<(), &'static str> {
		let work = T::Tasks::work(job.task_id, &job.provider)
			.ok_or("its workload is gone, or it is confidential and not sealed to this provider")?;
		// The task's fuel and memory; the chain's output bound; the sandbox's table and stack
		// constants.
		let limits = ExecutionLimits {
			max_output_bytes: T::MaxOutputSize::get(),
			..ExecutionLimits::with_defaults(work.fuel_limit, work.max_memory_mib)
		};
		// The same seed on every replica: the task and its assignment.
		let seed = blake2_256(&(b"bourse/seed", job.task_id, job.assignment.assigned_at).encode());
		let code = match work.confidential {
			None => {
				sandbox::sandbox::submit(run, work.code_hash, &work.code, &work.input, limits, seed)
			}
			// The node opens the seal and runs the plaintext; its outcome comes back encrypted,
			// and every step after (commitment, reveal, box) handles ciphertext only.
			Some(confidential) => {
				let max_output = bourse_primitives::confidential::max_output_len(
					T::MaxOutputSize::get() as usize,
				);
				// What fits the chain's output bound once encrypted: the same on every member.
				let limits = ExecutionLimits {
					max_output_bytes: u32::try_from(max_output).unwrap_or(0),
					..limits
				};
				sandbox::sandbox::submit_confidential(
					run,
					work.code_hash,
					&work.code,
					&work.input,
					limits,
					seed,
					confidential,
				)
			}
		};
		match sandbox::submitted(code) {
			Some(Submitted::Started | Submitted::Known) => Ok(()),
			Some(Submitted::Busy) => Err("the sandbox is busy; will retry"),
			None => Err("this node has no sandbox"),
		}
	}

	/// Remembers that the record under `key` can go after block `expires`, or later if it is
	/// tracked with a later expiry already (sibling forks may give one assignment different
	/// deadlines: a draw that waited can fall back to an earlier deadline place on one).
	fn track_record(key: Vec<u8>, expires: u32) {
		let list = StorageValueRef::persistent(RECORDS_KEY);
		// A concurrent worker may win the race; the record then stays until a restart of the
		// offchain DB, which is harmless.
		let _ = list.mutate(|old: Stored<Records>| {
			let mut records = old.ok().flatten().unwrap_or_default();
			if let Some((_, known)) = records.iter_mut().find(|(known, _)| *known == key) {
				if *known >= expires {
					return Err(()); // tracked already: no write
				}
				*known = expires;
				return Ok(records);
			}
			if records.len() >= MAX_RECORDS {
				if let Some((oldest, _)) = records.first() {
					StorageValueRef::persistent(oldest).clear();
				}
				records.remove(0);
			}
			records.push((key, expires));
			Ok(records)
		});
	}

	/// Clears the records of tasks whose deadline passed more than `RECORD_GRACE` blocks ago.
	fn expire_records(now: u32) {
		let list = StorageValueRef::persistent(RECORDS_KEY);
		let _ = list.mutate(|old: Stored<Records>| {
			let mut records = old.ok().flatten().unwrap_or_default();
			let before = records.len();
			records.retain(|(key, expires)| {
				let keep = now <= *expires;
				if !keep {
					StorageValueRef::persistent(key).clear();
				}
				keep
			});
			// Nothing expired: leave the list as it is, no write on this pass.
			if records.len() == before {
				return Err(());
			}
			Ok(records)
		});
	}

	/// Sends the answer, commitment, reveal or abstention that `job`'s provider owes now, if
	/// any, given this node's conclusion `local`; a lone answer goes to `outbox`.
	fn answer_due(
		job: &Job<T>,
		now: BlockNumberFor<T>,
		local: Local,
		outbox: &mut Outbox<T>,
	) -> Result<(), &'static str> {
		if let Some(audit) = &job.assignment.audit {
			return Self::audit_due(job, audit, now, local);
		}
		let (task_id, provider) = (job.task_id, &job.provider);
		if Reveals::<T>::contains_key(task_id, provider)
			|| Abstentions::<T>::contains_key(task_id, provider)
		{
			return Ok(());
		}
		let replicated = job.assignment.providers.len() > 1;
		let committed = Commitments::<T>::contains_key(task_id, provider);
		let (claim, payload) = match local {
			Local::Sealed { answer, sealed } | Local::Held { answer, sealed, .. } => {
				if !AcceptedVersions::<T>::get().contains(&answer.executor_version) {
					// Root stopped accepting this version since the run ended.
					(Claim::Abstain(AbstainReason::Version), Vec::new())
				} else {
					(Claim::Answer(answer), sealed)
				}
			}
			// Concluded by a node of spec 110 or before, not sent yet: sealed now, once (the
			// first box stored wins, as conclusions do), and that box sent. Its run left no
			// fingerprint then: its proof is of zeros.
			Local::Done { outcome, salt } if !replicated => {
				let RunOutcome { status, output, fuel_used, executor_version } = outcome;
				let outcome =
					Outcome { status, output, fuel_used, executor_version, fingerprint: [0; 32] };
				let sealed = Self::seal(job, outcome, salt)?;
				let kept = StorageValueRef::persistent(&job.storage_key)
					.mutate(|old: Stored<Local>| match old {
						Ok(Some(existing @ (Local::Sealed { .. } | Local::Held { .. }))) => {
							Ok::<_, ()>(existing)
						}
						_ => Ok(sealed.clone()),
					})
					.map_err(|_| "offchain storage refused the box")?;
				return match kept {
					local @ (Local::Sealed { .. } | Local::Held { .. }) => {
						Self::answer_due(job, now, local, outbox)
					}
					_ => Err("sealing made no box"),
				};
			}
			Local::Done { outcome, salt } => {
				let revealed = Revealed {
					status: outcome.status,
					output_hash: blake2_256(&outcome.output),
					fuel_used: outcome.fuel_used,
					executor_version: outcome.executor_version,
				};
				let accepted = AcceptedVersions::<T>::get().contains(&revealed.executor_version);
				let claim = if !committed && (!accepted || Self::commits_closed(job, now)) {
					// Root stopped accepting this version, or the run ended too late to
					// commit: nothing this node can answer with.
					Claim::Abstain(if accepted {
						AbstainReason::Time
					} else {
						AbstainReason::Version
					})
				} else if !committed {
					Claim::Commit(Self::commitment(
						&job.assignment.digest,
						task_id,
						provider,
						&revealed,
						&salt,
					))
				} else if Self::reveals_open(task_id, &job.assignment) {
					Claim::Reveal { revealed, salt }
				} else {
					return Ok(()); // committed; waiting for the others
				};
				(claim, outcome.output)
			}
			Local::Abstain(_) if committed => return Err("committed, so it cannot abstain"),
			Local::Abstain(reason) => (Claim::Abstain(reason), Vec::new()),
			Local::Audit { .. } => return Err("an auditor's run for a task no longer audited"),
			Local::Member { .. } => return Err("a committee member's run for no dispute"),
		};
		match claim {
			Claim::Answer(answer) => {
				let sealed = payload.try_into().map_err(|_| "the box is above its bound")?;
				let digest = job.assignment.digest;
				let entry = BundledAnswer { task_id, digest, answer, sealed };
				// Checked as the pool will check it, in the next block: an answer it refuses
				// would sink the provider's others with it.
				Pallet::<T>::check_bundled(provider, &entry)?;
				if now >= job.assignment.deadline {
					return Err("too late to answer: the deadline is this block");
				}
				outbox.add(job, entry);
				Ok(())
			}
			claim => Self::send(job, claim, payload),
		}
	}

	/// Sends what `job`'s provider owes now in the audit `audit`, given this node's conclusion
	/// `local`: the audited provider opens its answer's commitment once the auditor has
	/// committed; the auditor commits blind (or abstains), then opens.
	fn audit_due(
		job: &Job<T>,
		audit: &AuditRound<T::AccountId>,
		now: BlockNumberFor<T>,
		local: Local,
	) -> Result<(), &'static str> {
		let (task_id, who) = (job.task_id, &job.provider);
		if Openings::<T>::contains_key(task_id, who) || Abstentions::<T>::contains_key(task_id, who)
		{
			return Ok(());
		}
		let auditor_committed = Commitments::<T>::contains_key(task_id, &audit.auditor);
		// The auditor, or in a dispute a member of its committee.
		let blind = Pallet::<T>::commits_blind(audit, who);
		let committed = Commitments::<T>::contains_key(task_id, who);
		let member = audit.committee.contains(who);
		// What the auditor or a member sends of its run: its blind commitment (or, if it cannot
		// be compared or is too late, its abstention), then, once openings are open, its
		// opening.
		let blind_step = |opening: &Opening, commit: [u8; 32], open: Claim| {
			let accepted = AcceptedVersions::<T>::get().contains(&opening.executor_version);
			// Outcomes of another executor version are not comparable: say so before
			// committing (another auditor is drawn; a member counts for nothing).
			let comparable = opening.executor_version == audit.answered.2;
			if committed {
				// A committee's members open once all have committed.
				Pallet::<T>::reveals_open(task_id, &job.assignment).then_some(open)
			} else if !accepted || !comparable {
				Some(Claim::Abstain(AbstainReason::Version))
			} else if Self::commits_closed(job, now) {
				Some(Claim::Abstain(AbstainReason::Time))
			} else {
				Some(Claim::Commit(commit))
			}
		};
		let digest = &job.assignment.digest;
		let claim = match local {
			Local::Held { opening, .. } if *who == audit.provider => {
				if !auditor_committed {
					return Ok(()); // the auditor has not committed yet
				}
				Claim::Open(opening)
			}
			Local::Sealed { .. } if *who == audit.provider => {
				return Err("audited, but answered by a node that kept no opening");
			}
			// Its run as the auditor, or (a sibling fork assigned it the task alone) as a lone
			// provider: the same run, the same seed.
			Local::Audit { opening } | Local::Held { opening, .. } if blind && !member => {
				let commit = opening.commitment(digest, task_id, who);
				match blind_step(&opening, commit, Claim::Open(opening.clone())) {
					Some(claim) => claim,
					None => return Ok(()),
				}
			}
			Local::Member { opening, witness, sealed } if member => {
				let commit = opening.member_commitment(digest, task_id, who, &witness);
				let sealed_hash = blake2_256(&sealed);
				let open = Claim::OpenWitnessed { opening: opening.clone(), witness, sealed_hash };
				return match blind_step(&opening, commit, open) {
					Some(claim @ Claim::OpenWitnessed { .. }) => Self::send(job, claim, sealed),
					Some(claim) => Self::send(job, claim, Vec::new()),
					None => Ok(()), // the committee's other members have not committed
				};
			}
			Local::Abstain(reason) if blind && !committed => Claim::Abstain(reason),
			_ => return Err("nothing this node can send in the audit"),
		};
		Self::send(job, claim, Vec::new())
	}

	/// Signs `claim` (with its `payload`) with `job`'s executor key and submits it.
	fn send(job: &Job<T>, claim: Claim, payload: Vec<u8>) -> Result<(), &'static str> {
		let task_id = job.task_id;
		if let Claim::Abstain(reason) = claim {
			log::info!(target: TARGET, "task {task_id}: abstaining ({})", reason.label());
		}
		let statement = Statement { task_id, provider: job.provider.clone(), claim };
		let call = Self::signed_call(&job.assignment.digest, statement, payload, &job.key)
			.ok_or("the keystore cannot sign, or the output is above its bound")?;
		Self::submit_call(call)
	}

	/// Submits `call`, signed already, as an authorized transaction.
	fn submit_call(call: Call<T>) -> Result<(), &'static str> {
		let xt = T::create_authorized_transaction(call.into());
		SubmitTransaction::<T, Call<T>>::submit_transaction(xt)
			.map_err(|()| "the transaction pool refused it")
	}
}

/// The lone answers of one worker pass, by provider, sent in [`Pallet::answer_many`]s (at most
/// `MaxAnswersPerCall`, a provider's slots; a lone one as [`Pallet::answer`]), so a node that
/// holds many tasks sends a transaction or two per block for them, not one per task.
///
/// The pool takes a transaction that clashes with others (shares a task's answer tag) only if
/// it ranks above them together, and a bundle ranks by its answers. So each time it sends, the
/// outbox sends everything the provider owes so far in the pass (which replaces the bundles it
/// covers, once it holds more), and, apart, the answers this node never sent before (which
/// clash with nothing it sent: a new answer is never kept out by a bundle of old ones that, say,
/// holds an answer that counted by another way and that the pool has not dropped yet).
struct Outbox<T: Config> {
	by_provider: Vec<Owed<T>>,
}

/// What one provider owes in a pass, and how much of it was sent.
struct Owed<T: Config> {
	provider: T::AccountId,
	key: T::ExecutorId,
	answers: Vec<BundledAnswer<T>>,
	sent: usize,
}

/// Key prefix of the answers a provider's node sent (task and digest), as of its last pass.
const SENT_KEY: &[u8] = b"bourse/attestation/sent";

impl<T: Config> Default for Outbox<T> {
	fn default() -> Self {
		Self { by_provider: Vec::new() }
	}
}

impl<T: Config> Outbox<T> {
	/// Keeps `answer`, of `job`'s provider, to be sent.
	fn add(&mut self, job: &Job<T>, answer: BundledAnswer<T>) {
		match self.by_provider.iter_mut().find(|o| o.provider == job.provider && o.key == job.key) {
			Some(owed) => owed.answers.push(answer),
			None => self.by_provider.push(Owed {
				provider: job.provider.clone(),
				key: job.key.clone(),
				answers: vec![answer],
				sent: 0,
			}),
		}
	}

	/// Sends, for each provider with answers added since the last time, all it owes so far
	/// in this pass, then apart the ones this node never sent, and records what it sent.
	fn send(&mut self) {
		let most = (T::MaxAnswersPerCall::get() as usize).max(1);
		for owed in self.by_provider.iter_mut().filter(|o| o.answers.len() > o.sent) {
			let record_key = (SENT_KEY, &owed.provider).encode();
			let record = StorageValueRef::persistent(&record_key);
			let before: Vec<(TaskId, [u8; 32])> = record.get().ok().flatten().unwrap_or_default();
			let fresh: Vec<_> = owed
				.answers
				.iter()
				.filter(|a| !before.contains(&(a.task_id, a.digest)))
				.cloned()
				.collect();
			let mut calls: Vec<&[BundledAnswer<T>]> = owed.answers.chunks(most).collect();
			if !fresh.is_empty() && fresh.len() < owed.answers.len() {
				calls.extend(fresh.chunks(most));
			}
			for chunk in calls {
				if let Err(why) = Self::submit(&owed.provider, &owed.key, chunk) {
					// Routine when the pool holds these answers already.
					let first = chunk.first().map(|a| a.task_id).unwrap_or_default();
					log::debug!(target: TARGET, "answers from task {first} ({}): {why}", chunk.len());
				}
			}
			// What it owes now, all sent: the record stays as small as the provider's slots.
			let now: Vec<_> = owed.answers.iter().map(|a| (a.task_id, a.digest)).collect();
			record.set(&now);
			owed.sent = owed.answers.len();
		}
	}

	/// Signs `answers` of `provider` with `key` and submits them in one call.
	fn submit(
		provider: &T::AccountId,
		key: &T::ExecutorId,
		answers: &[BundledAnswer<T>],
	) -> Result<(), &'static str> {
		let call = match answers {
			[one] => {
				let statement = Statement {
					task_id: one.task_id,
					provider: provider.clone(),
					claim: Claim::Answer(one.answer.clone()),
				};
				Pallet::<T>::signed_call(&one.digest, statement, one.sealed.to_vec(), key)
			}
			many => Pallet::<T>::signed_answers(provider.clone(), many.to_vec(), key),
		}
		.ok_or("the keystore cannot sign")?;
		Pallet::<T>::submit_call(call)
	}
}

#[cfg(test)]
mod record_layout {
	use super::*;

	/// A record stored by a node of spec ≤ 111 (an outcome without a fingerprint) decodes as
	/// the same conclusion, so a commitment made then is revealed with its salt.
	#[test]
	fn a_record_stored_before_outcomes_had_fingerprints_decodes() {
		let old = (1u8, Status::Exit(3), b"out".to_vec(), 7u64, 2u32, [9u8; 32]).encode();
		let Ok(Local::Done { outcome, salt }) = Local::decode(&mut &old[..]) else {
			panic!("the old record does not decode");
		};
		assert_eq!(
			(outcome.status, outcome.output, outcome.fuel_used, outcome.executor_version, salt),
			(Status::Exit(3), b"out".to_vec(), 7, 2, [9; 32])
		);
		let new = Local::Done {
			outcome: RunOutcome {
				status: Status::Exit(3),
				output: b"out".to_vec(),
				fuel_used: 7,
				executor_version: 2,
			},
			salt: [9; 32],
		};
		assert_eq!(new.encode(), old, "stored as before");
	}

	/// An auditor's record stored by a node of spec 113 (before committees) decodes as the same
	/// opening: committees added a record, not a field.
	#[test]
	fn an_auditors_record_stored_before_committees_decodes() {
		let opening = (Status::Success, 7u64, 2u32, [1u8; 32], [2u8; 32], [3u8; 32]);
		let old = (5u8, opening).encode();
		let Ok(Local::Audit { opening }) = Local::decode(&mut &old[..]) else {
			panic!("the old record does not decode");
		};
		assert_eq!((opening.fuel_used, opening.salt), (7, [3; 32]));
	}
}
