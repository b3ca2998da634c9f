//! Storage migrations of the offers pallet.

use super::*;
use frame::{
	deps::frame_support::migrations::VersionedMigration, prelude::*,
	traits::UncheckedOnRuntimeUpgrade,
};

/// From one price index for all offers (storage version 0) to the capacity classes' indexes
/// and selection trees (version 1): clears the old [`Available`] (its keys had no class) and
/// seats every offer, which lists it again where it belongs. One block, reading and writing a
/// bounded number of items per offer (at most [`Config::MaxProviders`] offers).
pub struct RebuildSelection<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for RebuildSelection<T> {
	fn on_runtime_upgrade() -> Weight {
		// Keys of the old layout do not decode under the new one: clear them by prefix.
		let cleared = Available::<T>::clear(u32::MAX, None).backend;
		let mut offers = 0u64;
		for (who, offer) in Offers::<T>::iter() {
			offers = offers.saturating_add(1);
			if !Seats::<T>::contains_key(&who) {
				Pallet::<T>::take_seat(
					&who,
					Pallet::<T>::class_of(offer.max_fuel, offer.max_memory_mib),
				);
			}
			Pallet::<T>::sync_index(&who);
		}
		// Per offer: the offer, its seat, the provider, its liveness and reputation, the class
		// weights and counts, and a tree path (`TREE_DEPTH` nodes) read; as many written.
		let per_offer = 6u64.saturating_add(u64::from(TREE_DEPTH));
		T::DbWeight::get().reads_writes(
			offers.saturating_mul(per_offer).saturating_add(1),
			offers.saturating_mul(per_offer).saturating_add(u64::from(cleared)),
		)
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(
		_state: alloc::vec::Vec<u8>,
	) -> Result<(), frame::try_runtime::TryRuntimeError> {
		Pallet::<T>::do_try_state().map_err(Into::into)
	}
}

/// [`RebuildSelection`], run once: from storage version 0 to 1.
pub type MigrateToClassedSelection<T> =
	VersionedMigration<0, 1, RebuildSelection<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
