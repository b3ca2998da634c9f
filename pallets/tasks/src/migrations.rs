//! Storage migrations of the tasks pallet.
//!
//! The migration from storage version 0 (a queue of bare task ids) to 1 (a queue with rent) was
//! removed with spec 107: BABE replaced Aura there with a new genesis, so no chain runs an older
//! layout than 1.

use super::*;
use frame::{
	deps::frame_support::migrations::VersionedMigration, prelude::*,
	traits::UncheckedOnRuntimeUpgrade,
};

/// The layouts of storage version 1.
pub mod v1 {
	use super::*;

	/// A queued task as storage version 1 kept it: without entropy.
	#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
	pub struct QueuedTask<Balance> {
		/// The task.
		pub task_id: TaskId,
		/// Rent per block waited.
		pub rent: Balance,
		/// Held for the rent.
		pub reserve: Balance,
	}
}

/// From a queue without entropy (storage version 1) to one whose tasks carry the entropy that
/// seeds their draws (version 2). The tasks queued before get an entropy from their requester
/// and id: their ids were fixed long before the blocks that will draw for them.
pub struct QueueWithEntropy<T>(core::marker::PhantomData<T>);

impl<T: Config> QueueWithEntropy<T> {
	/// The entropy of a task queued before entropy was kept.
	pub fn legacy_entropy(task_id: TaskId) -> [u8; 32] {
		let requester = Tasks::<T>::get(task_id).map(|task| task.requester);
		blake2_256(&(TASK_ENTROPY_CONTEXT, requester, task_id).encode())
	}
}

impl<T: Config> UncheckedOnRuntimeUpgrade for QueueWithEntropy<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut reads = 1u64;
		let translated = Queue::<T>::translate::<
			BoundedVec<v1::QueuedTask<BalanceOf<T>>, T::MaxQueued>,
			_,
		>(|old| {
			let entries = old?.into_iter().map(|entry| {
				reads = reads.saturating_add(1);
				QueuedTask {
					task_id: entry.task_id,
					rent: entry.rent,
					reserve: entry.reserve,
					entropy: Self::legacy_entropy(entry.task_id),
				}
			});
			Some(BoundedVec::truncate_from(entries.collect()))
		});
		if translated.is_err() {
			// Not the old layout: leave it as it is; try_state will say what is wrong.
			frame::log::warn!(target: "runtime::tasks", "the queue did not decode as version 1");
		}
		T::DbWeight::get().reads_writes(reads, 1)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, frame::try_runtime::TryRuntimeError> {
		let old = frame::deps::frame_support::storage::unhashed::get_raw(&Queue::<T>::hashed_key())
			.map(|raw| {
				BoundedVec::<v1::QueuedTask<BalanceOf<T>>, T::MaxQueued>::decode(&mut &raw[..])
			})
			.transpose()
			.map_err(|_| "the old queue did not decode")?
			.unwrap_or_default();
		Ok(old.into_inner().encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), frame::try_runtime::TryRuntimeError> {
		let before = alloc::vec::Vec::<v1::QueuedTask<BalanceOf<T>>>::decode(&mut &state[..])
			.map_err(|_| "the old queue did not decode")?;
		let after: alloc::vec::Vec<v1::QueuedTask<BalanceOf<T>>> = Queue::<T>::get()
			.iter()
			.map(|entry| v1::QueuedTask {
				task_id: entry.task_id,
				rent: entry.rent,
				reserve: entry.reserve,
			})
			.collect();
		ensure!(before == after, "the queue lost a task, its rent or its order");
		Pallet::<T>::do_try_state().map_err(Into::into)
	}
}

/// [`QueueWithEntropy`], run once: from storage version 1 to 2.
pub type MigrateToQueueEntropy<T> =
	VersionedMigration<1, 2, QueueWithEntropy<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;

/// The layouts of storage version 2.
pub mod v2 {
	use super::*;

	/// Tasks' deadline places as storage version 2 kept them: at most 32 per block, in one list.
	#[frame::deps::frame_support::storage_alias]
	pub type Timeouts<T: Config> = StorageMap<
		Pallet<T>,
		Twox64Concat,
		BlockNumberFor<T>,
		alloc::vec::Vec<TaskId>,
		OptionQuery,
	>;
}

/// From deadline blocks of at most 32 places, each one list (storage version 2), to one entry
/// per task in a map with no limit per block, settled from a cursor (version 3). The cursor
/// starts at the block number the upgrade sees (the parent's: upgrades run before the block
/// is initialized), whose deadlines were settled already: one empty block probed.
pub struct UnlimitedDeadlines<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for UnlimitedDeadlines<T> {
	fn on_runtime_upgrade() -> Weight {
		// All read before any is written: both layouts live under the same prefix.
		let old: alloc::vec::Vec<_> = v2::Timeouts::<T>::drain().collect();
		let mut places = 0u64;
		for (settles_at, task_ids) in &old {
			for task_id in task_ids {
				Timeouts::<T>::insert(settles_at, task_id, ());
				places = places.saturating_add(1);
			}
		}
		TimeoutCursor::<T>::put(frame_system::Pallet::<T>::block_number());
		let blocks = old.len() as u64;
		T::DbWeight::get()
			.reads_writes(blocks.saturating_add(1), blocks.saturating_add(places).saturating_add(1))
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, frame::try_runtime::TryRuntimeError> {
		let mut places: alloc::vec::Vec<(BlockNumberFor<T>, TaskId)> = v2::Timeouts::<T>::iter()
			.flat_map(|(at, ids)| ids.into_iter().map(move |id| (at, id)))
			.collect();
		places.sort();
		Ok(places.encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), frame::try_runtime::TryRuntimeError> {
		let before = alloc::vec::Vec::<(BlockNumberFor<T>, TaskId)>::decode(&mut &state[..])
			.map_err(|_| "the old deadlines did not decode")?;
		let mut after: alloc::vec::Vec<(BlockNumberFor<T>, TaskId)> =
			Timeouts::<T>::iter().map(|(at, id, ())| (at, id)).collect();
		after.sort();
		ensure!(before == after, "a deadline place was lost or moved");
		Pallet::<T>::do_try_state().map_err(Into::into)
	}
}

/// [`UnlimitedDeadlines`], run once: from storage version 2 to 3.
pub type MigrateToUnlimitedDeadlines<T> = VersionedMigration<
	2,
	3,
	UnlimitedDeadlines<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// From each task's reply key, audit coin and deposit in three maps (storage version 3) to one
/// [`TaskExtras`] entry per task written at submission (version 4). Nothing is moved: a
/// translation of every live task would be unbounded (a full job queue alone is 65,536
/// tiles). The tasks submitted before the upgrade keep theirs in the legacy maps, which
/// drain as those tasks are pruned: [`ExtrasSince`] marks the first task with extras.
pub struct ExtrasInOneEntry<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for ExtrasInOneEntry<T> {
	fn on_runtime_upgrade() -> Weight {
		ExtrasSince::<T>::put(NextTaskId::<T>::get());
		T::DbWeight::get().reads_writes(1, 1)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, frame::try_runtime::TryRuntimeError> {
		// Run on a chain with extras already, it would turn its new tasks into legacy ones.
		ensure!(TaskExtras::<T>::iter_keys().next().is_none(), "tasks with extras already");
		ensure!(ExtrasSince::<T>::get() == 0, "the first task with extras is set already");
		Ok(alloc::vec::Vec::new())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(_: alloc::vec::Vec<u8>) -> Result<(), frame::try_runtime::TryRuntimeError> {
		ensure!(
			ExtrasSince::<T>::get() == NextTaskId::<T>::get(),
			"the first task with extras is not the next one"
		);
		Pallet::<T>::do_try_state().map_err(Into::into)
	}
}

/// [`ExtrasInOneEntry`], run once: from storage version 3 to 4.
pub type MigrateToExtrasInOneEntry<T> =
	VersionedMigration<3, 4, ExtrasInOneEntry<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
