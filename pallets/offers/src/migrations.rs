//! Storage migrations of the offers pallet.

use super::*;
use frame::{
	deps::frame_support::migrations::VersionedMigration, prelude::*,
	traits::UncheckedOnRuntimeUpgrade,
};

/// From one price index for all offers (storage version 0) to the capacity classes' indexes
/// and selection trees (version 1): clears the old [`Available`] (its keys had no class) and
/// seats every offer, which lists it again where it belongs. One block, reading and writing a
/// bounded number of items per offer: meant for chains of up to a few thousand offers (the
/// test and dev chains of today); a chain near [`Config::MaxProviders`] offers would need it
/// split over blocks.
pub struct RebuildSelection<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for RebuildSelection<T> {
	fn on_runtime_upgrade() -> Weight {
		// Keys of the old layout do not decode under the new one: clear them by prefix.
		let cleared = Available::<T>::clear(u32::MAX, None).backend;
		let mut offers = 0u64;
		for (who, offer) in Offers::<T>::iter() {
			offers = offers.saturating_add(1);
			let class = Pallet::<T>::class_of(offer.max_fuel, offer.max_memory_mib);
			// A seat of the wrong class (left by an earlier layout of the classes) is moved.
			if Seats::<T>::get(&who).is_some_and(|seat| seat.class != class) {
				Pallet::<T>::free_seat(&who);
			}
			if !Seats::<T>::contains_key(&who) {
				Pallet::<T>::take_seat(&who, class);
			}
			Pallet::<T>::sync_index(&who);
		}
		// Per offer: the offer, its seat, the provider, its liveness, the class weights and
		// counts, two holders and two tree paths (a seat freed, one taken) read; as many
		// written; and its score at its worst.
		let per_offer = 8u64.saturating_add(2 * u64::from(TREE_DEPTH));
		T::DbWeight::get()
			.reads_writes(
				offers.saturating_mul(per_offer).saturating_add(1),
				offers.saturating_mul(per_offer).saturating_add(u64::from(cleared)),
			)
			.saturating_add(T::Reputation::score_weight().saturating_mul(offers))
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, frame::try_runtime::TryRuntimeError> {
		Ok((Offers::<T>::iter_keys().count() as u64).encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), frame::try_runtime::TryRuntimeError> {
		let before = u64::decode(&mut &state[..]).map_err(|_| "the offer count did not decode")?;
		let seated = Seats::<T>::iter_keys().count() as u64;
		ensure!(seated == before, "an offer was lost or left without a seat");
		Pallet::<T>::do_try_state().map_err(Into::into)
	}
}

/// [`RebuildSelection`], run once: from storage version 0 to 1.
pub type MigrateToClassedSelection<T> =
	VersionedMigration<0, 1, RebuildSelection<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
