//! Benchmarks of the attestation pallet: each answer at its worst case, the last one of a task
//! with the most providers, which decides and settles it.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::pallet::{Commitments, Reveals};
use alloc::{vec, vec::Vec};
use frame::{benchmarking::prelude::*, deps::sp_runtime::RuntimeAppPublic};

/// Tasks for the benchmarks, made by the runtime (tasks and providers are other pallets).
pub trait BenchmarkHelper<AccountId, ExecutorId> {
	/// An open task assigned to one provider per key in `keys` (each bound to its key);
	/// returns the task and its providers in assignment order.
	fn assigned_task(keys: Vec<ExecutorId>) -> (TaskId, Vec<AccountId>);
}

/// Providers with their executor keys, in assignment order.
type ProvidersWithKeys<T> =
	Vec<(<T as frame_system::Config>::AccountId, <T as Config>::ExecutorId)>;

/// A task of `k` providers with fresh executor keys; the keys in assignment order.
fn task<T: Config>(k: u32) -> (TaskId, ProvidersWithKeys<T>) {
	let keys: Vec<T::ExecutorId> = (0..k).map(|_| T::ExecutorId::generate_pair(None)).collect();
	let (task_id, providers) = T::BenchmarkHelper::assigned_task(keys);
	let pairs = providers
		.into_iter()
		.map(|p| {
			let key = T::Keys::executor_of(&p).unwrap();
			(p, key)
		})
		.collect();
	(task_id, pairs)
}

fn outcome(output: &[u8]) -> Revealed {
	Revealed {
		status: Status::Success,
		output_hash: blake2_256(output),
		fuel_used: 1_000,
		executor_version: bourse_primitives::EXECUTOR_VERSION,
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// The answer of a task of replication 1, with an output of `l` bytes; it settles the task.
	#[benchmark]
	fn answer(l: Linear<0, { T::MaxOutputSize::get() }>) {
		let (task_id, providers) = task::<T>(1);
		let (provider, key) = providers.into_iter().next().unwrap();
		let output = vec![7u8; l as usize];
		let revealed = outcome(&output);
		let payload = Pallet::<T>::answer_payload(
			task_id,
			&provider,
			&revealed.status,
			&revealed.output_hash,
			revealed.fuel_used,
			revealed.executor_version,
		);
		let signature = key.sign(&payload).unwrap();
		#[extrinsic_call]
		_(
			RawOrigin::Authorized,
			task_id,
			provider,
			revealed.status,
			output.try_into().unwrap(),
			revealed.fuel_used,
			revealed.executor_version,
			signature,
		);
		assert!(T::Tasks::assignment(task_id).is_none(), "settled");
	}

	/// The last commit of a task with the most providers.
	#[benchmark]
	fn commit() {
		let (task_id, providers) = task::<T>(T::MaxReplication::get());
		let revealed = outcome(b"output");
		let mut last = None;
		for (i, (provider, key)) in providers.into_iter().enumerate() {
			let commitment = Pallet::<T>::commitment(task_id, &provider, &revealed, &[i as u8; 32]);
			let signature =
				key.sign(&Pallet::<T>::commit_payload(task_id, &provider, &commitment)).unwrap();
			if last.is_some() {
				Pallet::<T>::commit(
					RawOrigin::Authorized.into(),
					task_id,
					provider.clone(),
					commitment,
					signature.clone(),
				)
				.unwrap();
			}
			if last.is_none() {
				last = Some((provider, commitment, signature));
			}
		}
		let (provider, commitment, signature) = last.unwrap();
		#[extrinsic_call]
		_(RawOrigin::Authorized, task_id, provider.clone(), commitment, signature);
		assert!(Commitments::<T>::contains_key(task_id, &provider));
	}

	/// The last reveal of a task with the most providers, with an output of `l` bytes, at the
	/// worst case of settlement: a bare majority agreed on a largest output (taken and stored
	/// as the result), every other provider revealed a distinct largest output (cleared), and
	/// this one differs too, so it stores a new output and is slashed with the others.
	#[benchmark]
	fn reveal(l: Linear<0, { T::MaxOutputSize::get() }>) {
		let (task_id, providers) = task::<T>(T::MaxReplication::get());
		let largest = T::MaxOutputSize::get() as usize;
		let majority = providers.len() / 2 + 1;
		let last = providers.len() - 1;
		let outputs: Vec<Vec<u8>> = (0..providers.len())
			.map(|i| match i {
				i if i < majority => vec![7u8; largest],
				i if i < last => vec![8u8.wrapping_add(i as u8); largest],
				_ => vec![200u8; l as usize],
			})
			.collect();
		// The majority agrees on the whole outcome; everyone else differs (in fuel too).
		let outcomes: Vec<Revealed> = outputs
			.iter()
			.enumerate()
			.map(|(i, o)| {
				let fuel_used = if i < majority { 1_000 } else { 1_000 + i as u64 };
				Revealed { fuel_used, ..outcome(o) }
			})
			.collect();
		for (i, (provider, key)) in providers.iter().enumerate() {
			let commitment =
				Pallet::<T>::commitment(task_id, provider, &outcomes[i], &[i as u8; 32]);
			let signature =
				key.sign(&Pallet::<T>::commit_payload(task_id, provider, &commitment)).unwrap();
			Pallet::<T>::commit(
				RawOrigin::Authorized.into(),
				task_id,
				provider.clone(),
				commitment,
				signature,
			)
			.unwrap();
		}
		for (i, (provider, key)) in providers.iter().enumerate().take(last) {
			let salt = [i as u8; 32];
			let signature = key
				.sign(&Pallet::<T>::reveal_payload(task_id, provider, &outcomes[i], &salt))
				.unwrap();
			Pallet::<T>::reveal(
				RawOrigin::Authorized.into(),
				task_id,
				provider.clone(),
				outcomes[i].clone(),
				outputs[i].clone().try_into().unwrap(),
				salt,
				signature,
			)
			.unwrap();
		}
		let (provider, key) = providers.into_iter().last().unwrap();
		let revealed = outcomes[last].clone();
		let salt = [last as u8; 32];
		let signature =
			key.sign(&Pallet::<T>::reveal_payload(task_id, &provider, &revealed, &salt)).unwrap();
		#[extrinsic_call]
		_(
			RawOrigin::Authorized,
			task_id,
			provider.clone(),
			revealed,
			outputs[last].clone().try_into().unwrap(),
			salt,
			signature,
		);
		assert!(!Reveals::<T>::contains_key(task_id, &provider), "decided and forgotten");
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
