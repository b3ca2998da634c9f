//! Storage migrations of the attestation pallet.

use super::*;
use frame::{
	deps::frame_support::migrations::VersionedMigration, prelude::*,
	traits::UncheckedOnRuntimeUpgrade,
};

/// Storage version 1 names the layout this pallet's commitments, reveals, openings, witnesses, boxes and abstentions have had since the
/// chain's genesis at spec 107 (BABE replaced Aura there with a new genesis, so no chain holds
/// an older one): nothing to translate, only the version to record. With `try-runtime` its
/// check decodes every record and runs the invariants after the upgrade. (On every upgrade,
/// `try-runtime` also decodes every pallet's whole state: that is what catches a later layout
/// change made without its own migration.)
pub struct RecordLayoutV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for RecordLayoutV1<T> {
	fn on_runtime_upgrade() -> Weight {
		Weight::zero()
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(_: Vec<u8>) -> Result<(), frame::try_runtime::TryRuntimeError> {
		use frame::deps::frame_support::traits::TryDecodeEntireStorage;
		Pallet::<T>::try_decode_entire_state()
			.map_err(|_| "a record does not decode under storage version 1")?;
		Pallet::<T>::do_try_state().map_err(Into::into)
	}
}

/// [`RecordLayoutV1`], run once: from storage version 0 (none recorded) to 1.
pub type MigrateToV1<T> =
	VersionedMigration<0, 1, RecordLayoutV1<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
