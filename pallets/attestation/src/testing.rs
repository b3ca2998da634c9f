//! For tests that play providers (this pallet's own and the whole-market tests): sign a
//! statement and apply its call as a block applies an authorized transaction. Compiled in this
//! pallet's tests and with the `test-utils` feature.
#![allow(clippy::unwrap_used)]

use super::*;
use frame::deps::{
	frame_support::traits::Authorize,
	frame_system::RawOrigin,
	sp_runtime::{
		traits::Dispatchable,
		transaction_validity::{InvalidTransaction, TransactionSource, TransactionValidityError},
		DispatchError, DispatchResult,
	},
};
use frame::deps::{frame_support::traits::Get, sp_io::hashing::blake2_256};

/// Signs `provider`'s statement `claim` about `task_id` with `key` and [`apply`]s its call (with
/// `output` for answers and reveals).
pub fn submit<T: Config>(
	key: &T::ExecutorId,
	task_id: TaskId,
	provider: T::AccountId,
	claim: Claim,
	output: &[u8],
) -> DispatchResult
where
	<T as frame::deps::frame_system::Config>::RuntimeCall: From<Call<T>>,
{
	let statement = Statement { task_id, provider, claim };
	let digest = Pallet::<T>::digest_of(task_id).unwrap_or_default();
	let call = Pallet::<T>::signed_call(&digest, statement, output.to_vec(), key)
		.ok_or(Error::<T>::OutputTooLarge)?;
	apply::<T>(call)
}

/// The secret of the reply key tests give their tasks ([`reply_key`]).
pub const REPLY_SECRET: [u8; 32] = [0x42; 32];

/// The reply key of [`REPLY_SECRET`].
pub fn reply_key() -> bourse_primitives::reply::ReplyKey {
	bourse_primitives::reply::public_key(&REPLY_SECRET).unwrap()
}

/// `provider`'s lone answer to `task_id` of `status`, `fuel_used` and `output`, committed and
/// sealed under `salt` to the task's reply key (to [`reply_key`] if the task is not open),
/// deterministically: the claim and its box ([`submit`]'s `output`).
pub fn sealed_answer<T: Config>(
	task_id: TaskId,
	provider: &T::AccountId,
	status: Status,
	fuel_used: u64,
	output: &[u8],
	salt: [u8; 32],
) -> (Claim, Vec<u8>) {
	use bourse_primitives::reply;
	let assignment = T::Tasks::assignment(task_id);
	let digest = assignment.as_ref().map(|a| a.digest).unwrap_or_default();
	let key = assignment.and_then(|a| a.reply_key).unwrap_or_else(reply_key);
	let executor_version = EXECUTOR_VERSION;
	let sealed =
		reply::seal_seeded(&key, &digest, &salt, output, T::MaxOutputSize::get() as usize, salt)
			.unwrap();
	// The tests' stand-in for a run's fingerprint: the output's hash.
	let proof = reply::execution_proof(&salt, &blake2_256(output));
	let commitment = reply::answer_commitment(
		&digest,
		task_id,
		provider,
		status,
		fuel_used,
		executor_version,
		&salt,
		&reply::output_digest(output),
		&proof,
	);
	let sealed_hash = blake2_256(&sealed);
	let max_output = T::MaxOutputSize::get();
	let answer = SealedAnswer {
		status,
		fuel_used,
		executor_version,
		commitment,
		proof,
		max_output,
		sealed_hash,
	};
	(Claim::Answer(answer), sealed)
}

/// `provider`'s lone answer to `task_id` of `output` (successful, `fuel_used`), sealed under
/// `salt` as [`sealed_answer`] seals it, as an entry of [`Pallet::answer_many`].
pub fn bundled_answer<T: Config>(
	task_id: TaskId,
	provider: &T::AccountId,
	output: &[u8],
	fuel_used: u64,
	salt: [u8; 32],
) -> BundledAnswer<T> {
	let (claim, sealed) =
		sealed_answer::<T>(task_id, provider, Status::Success, fuel_used, output, salt);
	let Claim::Answer(answer) = claim else { unreachable!("a lone answer") };
	BundledAnswer {
		task_id,
		digest: Pallet::<T>::digest_of(task_id).unwrap_or_default(),
		answer,
		sealed: sealed.try_into().unwrap(),
	}
}

/// Applies an answer's call as a block does: `authorize` (every check, the signature last), then
/// dispatch (the state checks again). A refused call is not dispatched; its error is the one the
/// state checks find, else the one of a check only the pool runs (a reveal's output hash, the
/// key, the signature). Panics if the pool accepts what dispatch then refuses.
pub fn apply<T: Config>(call: Call<T>) -> DispatchResult
where
	<T as frame::deps::frame_system::Config>::RuntimeCall: From<Call<T>>,
{
	let state = match &call {
		Call::answer { task_id, provider, answer, .. } => {
			Pallet::<T>::check_answer(*task_id, provider, answer).map(|_| ())
		}
		Call::commit { task_id, provider, .. } => {
			Pallet::<T>::check_commit(*task_id, provider).map(|_| ())
		}
		Call::reveal { task_id, provider, revealed, salt, .. } => {
			Pallet::<T>::check_reveal(*task_id, provider, revealed, salt).map(|_| ())
		}
		Call::abstain { task_id, provider, .. } => {
			Pallet::<T>::check_abstain(*task_id, provider).map(|_| ())
		}
		Call::open { task_id, who, opening, .. } => {
			Pallet::<T>::check_opening(*task_id, who, opening, None).map(|_| ())
		}
		Call::open_witnessed { task_id, who, opening, witness, .. } => {
			Pallet::<T>::check_opening(*task_id, who, opening, Some(witness)).map(|_| ())
		}
		Call::answer_many { provider, answers, .. } => answers
			.iter()
			.try_for_each(|entry| Pallet::<T>::check_bundled(provider, entry).map(|_| ())),
		_ => unreachable!("no other authorized calls"),
	};
	let call: <T as frame::deps::frame_system::Config>::RuntimeCall = call.into();
	match call.authorize(TransactionSource::External).expect("answers are authorized calls") {
		Ok(_) => {
			let result =
				call.dispatch(RawOrigin::Authorized.into()).map(|_| ()).map_err(|e| e.error);
			assert_eq!(result, Ok(()), "the pool accepted a call that dispatch refuses");
			result
		}
		Err(refusal) => Err(match state {
			Err(error) => error.into(),
			Ok(()) => pool_only_error::<T>(refusal),
		}),
	}
}

/// The error of a call refused by a check only the pool runs.
fn pool_only_error<T: Config>(refusal: TransactionValidityError) -> DispatchError {
	match refusal {
		TransactionValidityError::Invalid(InvalidTransaction::BadProof) => {
			Error::<T>::BadSignature.into()
		}
		TransactionValidityError::Invalid(InvalidTransaction::Custom(index)) => {
			<Error<T> as codec::Decode>::decode(&mut &[index][..]).unwrap().into()
		}
		other => panic!("a refusal the state checks should have found: {other:?}"),
	}
}

/// A successful outcome of `output` that burned `fuel_used`, by this sandbox version.
pub fn outcome(output: &[u8], fuel_used: u64) -> Revealed {
	Revealed {
		status: Status::Success,
		output_hash: frame::hashing::blake2_256(output),
		fuel_used,
		executor_version: EXECUTOR_VERSION,
	}
}
