//! Benchmarks of the reputation pallet: reading and updating a record at its worst, as old
//! as decay still applies to (the longest power of the per-block factor).

use super::*;
use frame::{
	arithmetic::{FixedU128, Perbill},
	benchmarking::prelude::*,
};

/// A provider whose record was last updated as long ago as decay still computes (fewer than
/// 64 half-lives; the elapsed blocks all ones in binary, the most multiplications), now.
fn aged<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("provider", 0, 0);
	let half_life: u128 = T::HalfLife::get().saturated_into::<u128>().max(1);
	let limit = half_life.saturating_mul(64);
	// The largest 2^m − 1 below the limit.
	let bits = u128::BITS.saturating_sub(limit.leading_zeros()).saturating_sub(1);
	let elapsed = (1u128 << bits).saturating_sub(1).max(1);
	Records::<T>::insert(
		&who,
		Record {
			successes: FixedU128::saturating_from_integer(5u32),
			failures: FixedU128::saturating_from_integer(1u32),
			updated: 1u32.into(),
		},
	);
	frame_system::Pallet::<T>::set_block_number(elapsed.saturating_add(1).saturated_into());
	who
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A score with the longest decay.
	#[benchmark]
	fn score() {
		let who = aged::<T>();
		let read: Perbill;
		#[block]
		{
			read = <Pallet<T> as ProviderReputation<T::AccountId>>::score(&who);
		}
		assert!(read > Perbill::zero());
	}

	/// A verdict recorded on the record with the longest decay.
	#[benchmark]
	fn record() {
		let who = aged::<T>();
		#[block]
		{
			<Pallet<T> as ProviderReputation<T::AccountId>>::record(
				&who,
				Verdict::OutVoted,
				u128::MAX,
			);
		}
		let now = frame_system::Pallet::<T>::block_number();
		assert_eq!(Records::<T>::get(&who).map(|r| r.updated), Some(now));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
