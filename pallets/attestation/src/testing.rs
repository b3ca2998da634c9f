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
	let output = output.to_vec().try_into().map_err(|_| Error::<T>::OutputTooLarge)?;
	let statement = Statement { task_id, provider, claim };
	let digest = Pallet::<T>::digest_of(task_id).unwrap_or_default();
	let call = Pallet::<T>::signed_call(&digest, statement, output, key)
		.ok_or(DispatchError::Other("the key cannot sign"))?;
	apply::<T>(call)
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
		Call::answer { task_id, provider, fuel_used, executor_version, .. } => {
			Pallet::<T>::check_answer(*task_id, provider, *fuel_used, *executor_version).map(|_| ())
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
