//! The offchain worker: how a provider's node executes its tasks and answers them.
//!
//! On every new best block, for each executor key in the node's keystore that is bound to a
//! provider, it reads the provider's open tasks from the task pallet's index (no scan of all
//! tasks), runs each one once through the `sandbox::run` host function, and sends the answer
//! (replication 1) or the commitment, then the reveal (replication ≥ 3), as authorized
//! transactions signed by that key.
//!
//! What it did is kept in persistent offchain storage under the task id, the provider and the
//! hash of the block that assigned the task, so a re-imported block or another fork with the
//! same task id never confuses it, a restarted node does not run a task twice, and a pending
//! reveal is not forgotten. Records expire `RECORD_GRACE` blocks after their task's deadline.
//! Answers are sent again on later blocks until they are on chain (the pool drops the
//! duplicates). On a block this node authored, answers wait `AuthorAnswerDelay` after the
//! worker starts (see `LocalAuthorship` for why).
//!
//! Providers that are not validators need `--offchain-worker always`.

use super::*;
use alloc::{vec, vec::Vec};
use bourse_primitives::{sandbox, ExecutionLimits, Outcome, EXECUTOR_VERSION};
use frame::{
	deps::{
		sp_io,
		sp_runtime::{
			offchain::{
				storage::{StorageRetrievalError, StorageValueRef},
				Duration, Timestamp,
			},
			RuntimeAppPublic,
		},
	},
	log,
	prelude::*,
};

/// Log target of the worker.
const TARGET: &str = "bourse";
/// Blocks after which a run that never finished (the node stopped) may be tried again.
const RUN_EXPIRY: u32 = 20;
/// Blocks a record is kept after its task's deadline (the task has settled by then).
const RECORD_GRACE: u32 = 10;
/// Key of the list of this node's records and when each expires.
const RECORDS_KEY: &[u8] = b"bourse/attestation/records";
/// Most records tracked for expiry; older ones beyond it are dropped at once.
const MAX_RECORDS: usize = 4_096;

/// This node's records and the block after which each may go.
type Records = Vec<(Vec<u8>, u32)>;
/// What offchain storage hands to a `mutate` closure.
type Stored<V> = Result<Option<V>, StorageRetrievalError>;

/// What this node did for one assignment.
#[derive(Encode, Decode)]
enum Local {
	/// A run started at this block.
	Running(u32),
	/// The run ended with this outcome; `salt` hides it in the commitment.
	Done { outcome: Outcome, salt: [u8; 32] },
}

impl<T: Config> Pallet<T> {
	/// One offchain-worker pass over the tasks of this node's providers.
	pub(crate) fn work(now: BlockNumberFor<T>) {
		Self::expire_records(now.saturated_into());
		let send_after = T::Authorship::authored_here().then(|| {
			sp_io::offchain::timestamp().add(Duration::from_millis(T::AuthorAnswerDelay::get()))
		});
		for key in T::ExecutorId::all() {
			let Some(provider) = T::Keys::provider_of(&key) else { continue };
			for task_id in T::Tasks::open_tasks_of(&provider) {
				if let Err(why) = Self::work_on(task_id, &provider, &key, now, send_after) {
					log::warn!(target: TARGET, "task {task_id}: {why}");
				}
			}
		}
	}

	/// Runs `task_id` once for `provider` and sends whatever answer is due.
	fn work_on(
		task_id: TaskId,
		provider: &T::AccountId,
		key: &T::ExecutorId,
		now: BlockNumberFor<T>,
		send_after: Option<Timestamp>,
	) -> Result<(), &'static str> {
		let assignment = T::Tasks::assignment(task_id).ok_or("no longer open")?;
		let assigned_in = frame_system::Pallet::<T>::block_hash(assignment.assigned_at);
		let storage_key = (b"bourse/attestation", task_id, provider, assigned_in).encode();
		let store = StorageValueRef::persistent(&storage_key);
		let now_u32: u32 = now.saturated_into();

		let (outcome, salt) = match store.get::<Local>() {
			Ok(Some(Local::Done { outcome, salt })) => (outcome, salt),
			Ok(Some(Local::Running(since))) if now_u32 < since.saturating_add(RUN_EXPIRY) => {
				return Ok(()); // another worker is on it
			}
			_ => {
				let claimed = store.mutate(|old: Stored<Local>| match old {
					Ok(Some(Local::Done { .. })) => Err(()),
					Ok(Some(Local::Running(since)))
						if now_u32 < since.saturating_add(RUN_EXPIRY) =>
					{
						Err(())
					}
					_ => Ok(Local::Running(now_u32)),
				});
				if claimed.is_err() {
					return Ok(());
				}
				let expires =
					assignment.deadline.saturated_into::<u32>().saturating_add(RECORD_GRACE);
				Self::track_record(storage_key.clone(), expires);
				let outcome = Self::execute(task_id, &assignment)?;
				let salt = sp_io::offchain::random_seed();
				store.set(&Local::Done { outcome: outcome.clone(), salt });
				(outcome, salt)
			}
		};
		if let Some(deadline) = send_after {
			sp_io::offchain::sleep_until(deadline); // returns at once once it has passed
		}
		Self::answer_due(task_id, provider, key, &assignment, outcome, salt)
	}

	/// Remembers that the record under `key` can go after block `expires`.
	fn track_record(key: Vec<u8>, expires: u32) {
		let list = StorageValueRef::persistent(RECORDS_KEY);
		// A concurrent worker may win the race; the record then stays until a restart of the
		// offchain DB, which is harmless.
		let _ = list.mutate(|old: Stored<Records>| {
			let mut records = old.ok().flatten().unwrap_or_default();
			if records.len() >= MAX_RECORDS {
				if let Some((oldest, _)) = records.first() {
					StorageValueRef::persistent(oldest).clear();
				}
				records.remove(0);
			}
			records.push((key, expires));
			Ok::<_, ()>(records)
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

	/// Runs the task in the node's sandbox.
	fn execute(task_id: TaskId, assignment: &AssignmentOf<T>) -> Result<Outcome, &'static str> {
		let work = T::Tasks::work(task_id).ok_or("its workload is gone")?;
		// The task's fuel and memory; the chain's output bound; the sandbox's table and stack
		// constants.
		let limits = ExecutionLimits {
			max_output_bytes: T::MaxOutputSize::get(),
			..ExecutionLimits::with_defaults(work.fuel_limit, work.max_memory_mib)
		};
		// The same seed on every replica: the task and its assignment.
		let seed = blake2_256(&(b"bourse/seed", task_id, assignment.assigned_at).encode());
		let mut out = vec![0u8; (T::MaxOutputSize::get() as usize).saturating_add(64)];
		let written =
			sandbox::sandbox::run(work.code_hash, &work.code, &work.input, limits, seed, &mut out);
		let outcome = match written {
			sandbox::NO_SANDBOX => return Err("this node has no sandbox"),
			sandbox::LOCAL_FAILURE => return Err("the sandbox failed locally; will retry"),
			sandbox::BUFFER_TOO_SMALL => return Err("outcome larger than the output bound"),
			n => out
				.get(..n as usize)
				.and_then(|bytes| Outcome::decode(&mut &bytes[..]).ok())
				.ok_or("undecodable outcome")?,
		};
		log::info!(
			target: TARGET,
			"executed task {task_id}: {:?}, {} fuel, {} output bytes",
			outcome.status,
			outcome.fuel_used,
			outcome.output.len(),
		);
		Ok(outcome)
	}

	/// Sends the answer, commitment or reveal that `provider` owes now, if any.
	fn answer_due(
		task_id: TaskId,
		provider: &T::AccountId,
		key: &T::ExecutorId,
		assignment: &AssignmentOf<T>,
		outcome: Outcome,
		salt: [u8; 32],
	) -> Result<(), &'static str> {
		if Reveals::<T>::contains_key(task_id, provider) {
			return Ok(());
		}
		let output_hash = blake2_256(&outcome.output);
		let revealed = Revealed {
			status: outcome.status,
			output_hash,
			fuel_used: outcome.fuel_used,
			executor_version: EXECUTOR_VERSION,
		};
		let output: BoundedVec<u8, T::MaxOutputSize> =
			outcome.output.try_into().map_err(|_| "output above the bound")?;
		let claim = if assignment.providers.len() == 1 {
			Claim::Answer(revealed)
		} else if !Commitments::<T>::contains_key(task_id, provider) {
			Claim::Commit(Self::commitment(task_id, provider, &revealed, &salt))
		} else if Self::reveals_open(task_id, assignment) {
			Claim::Reveal { revealed, salt }
		} else {
			return Ok(()); // committed; waiting for the others
		};
		let statement = Statement { task_id, provider: provider.clone(), claim };
		let call = Self::signed_call(statement, output, key).ok_or("the keystore cannot sign")?;
		let xt = T::create_authorized_transaction(call.into());
		SubmitTransaction::<T, Call<T>>::submit_transaction(xt)
			.map_err(|()| "the transaction pool refused the answer")
	}
}
