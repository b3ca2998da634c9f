//! Benchmarks of the reputation pallet: reading and updating a record at its worst, as old
//! as decay still applies to (the longest power of the per-block factor).

use super::*;
use frame::{
	arithmetic::{FixedU128, Perbill},
	benchmarking::prelude::*,
};

/// The elapsed blocks below `limit` whose power costs the most multiplications: a squaring per
/// bit of its length and a product per bit set (all ones, or the longest length with the most
/// bits set).
fn costliest_exponent(limit: u128) -> u128 {
	let cost = |e: u128| (u128::BITS - e.leading_zeros()) + e.count_ones();
	let most = limit.saturating_sub(1);
	let mut best = most;
	for bit in 1..u128::BITS {
		if most & (1u128 << bit) != 0 {
			// Clear this bit, set every bit below it.
			let candidate = (most & !(1u128 << bit)) | ((1u128 << bit) - 1);
			if cost(candidate) > cost(best) {
				best = candidate;
			}
		}
	}
	best.max(1)
}

/// A provider whose record was last updated as long ago as decay still computes (fewer than
/// 64 half-lives, the costliest power), with evidence large enough that every fixed-point
/// product takes its long path; and the block number set to now.
fn aged<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("provider", 0, 0);
	let half_life: u128 = T::HalfLife::get().saturated_into::<u128>().max(1);
	let elapsed = costliest_exponent(half_life.saturating_mul(64));
	let large = FixedU128::saturating_from_integer(1_000_000_000u64);
	Records::<T>::insert(&who, Record { successes: large, failures: large, updated: 1u32.into() });
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

#[cfg(test)]
mod tests {
	use super::costliest_exponent;

	#[test]
	fn the_costliest_exponent_is_found() {
		// 64 half-lives of a week of 3 s blocks: 0xC4E000; 0xBFFFFF costs 24 + 23.
		assert_eq!(costliest_exponent(64 * 201_600), 0xBF_FFFF);
		assert_eq!(costliest_exponent(64), 63);
		assert_eq!(costliest_exponent(65), 63);
		assert_eq!(costliest_exponent(2), 1);
	}
}
