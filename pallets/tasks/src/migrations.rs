//! Storage migrations of the tasks pallet.

use super::*;
use frame::{
	deps::frame_support::migrations::VersionedMigration, prelude::*,
	traits::UncheckedOnRuntimeUpgrade,
};

/// From a queue of task ids (storage version 0) to a queue with rent (version 1): the tasks
/// queued before keep their places and pay no rent (they were queued for free and hold no
/// reserve); any newcomer outbids them when the queue is full.
pub struct QueueWithRent<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for QueueWithRent<T> {
	fn on_runtime_upgrade() -> Weight {
		let translated = Queue::<T>::translate::<BoundedVec<TaskId, T::MaxQueued>, _>(|ids| {
			let entries = ids?.into_iter().map(|task_id| QueuedTask {
				task_id,
				rent: Zero::zero(),
				reserve: Zero::zero(),
			});
			Some(BoundedVec::truncate_from(entries.collect()))
		});
		if translated.is_err() {
			// Not the old layout: leave it as it is; try_state will say what is wrong.
			frame::log::warn!(target: "runtime::tasks", "the queue did not decode as task ids");
		}
		T::DbWeight::get().reads_writes(1, 1)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, frame::try_runtime::TryRuntimeError> {
		let ids = frame::deps::frame_support::storage::unhashed::get_raw(&Queue::<T>::hashed_key())
			.map(|raw| BoundedVec::<TaskId, T::MaxQueued>::decode(&mut &raw[..]))
			.transpose()
			.map_err(|_| "the old queue did not decode")?
			.unwrap_or_default();
		Ok(ids.into_inner().encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), frame::try_runtime::TryRuntimeError> {
		let before = alloc::vec::Vec::<TaskId>::decode(&mut &state[..])
			.map_err(|_| "the queue's ids did not decode")?;
		let after: alloc::vec::Vec<TaskId> =
			Queue::<T>::get().iter().map(|entry| entry.task_id).collect();
		ensure!(before == after, "the queue lost a task or its order");
		Pallet::<T>::do_try_state().map_err(Into::into)
	}
}

/// [`QueueWithRent`], run once: from storage version 0 to 1.
pub type MigrateToQueueRent<T> =
	VersionedMigration<0, 1, QueueWithRent<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
