//! Benchmarks of the offers pallet: every call at its worst case, and provider selection with
//! 10 to 1,000 providers.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::pallet::{
	BalanceOf, EncryptionKey, EncryptionKeySet, EncryptionKeys, Offers, Providers, Revocation,
	Revocations, Seats,
};
use crate::{CLASSES, SPARE_DRAWS};
use alloc::vec::Vec;
use frame::{
	benchmarking::prelude::*,
	deps::sp_runtime::{traits::TrailingZeroInput, RuntimeAppPublic},
	token::fungible::{Inspect, Mutate},
};

/// A distinct executor key for each `i`.
fn executor<T: Config>(i: u32) -> T::ExecutorId {
	Decode::decode(&mut TrailingZeroInput::new(&(i, b"executor").encode())).unwrap()
}

/// A bond that covers the most slots an offer may have.
fn full_bond<T: Config>() -> BalanceOf<T> {
	T::MinBond::get().max(T::MaxSlash::get().saturating_mul(T::MaxSlots::get().into()))
}

/// An account with funds for two full bonds.
fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	let who: T::AccountId = account(name, i, 0);
	let amount =
		full_bond::<T>().saturating_mul(2u32.into()).saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&who, amount);
	who
}

/// A registered provider with a full bond and an offer with every slot free.
fn provider_with_offer<T: Config>(i: u32) -> T::AccountId {
	let who = funded::<T>("provider", i);
	Pallet::<T>::register(&who, executor::<T>(i), full_bond::<T>()).unwrap();
	Pallet::<T>::set(
		&who,
		1_000u32.into(),
		u64::MAX,
		T::MaxMemoryMib::get(),
		T::MaxSlots::get(),
		None,
		Zero::zero(),
	)
	.unwrap();
	who
}

/// A provider with an offer of the most slots whose executor key can sign (a keystore pair),
/// and its node's call withdrawing the offer (slots to zero: the offer leaves its seat, and
/// another provider's seat of the class moves into the gap).
fn limit<T: Config>() -> (T::AccountId, Call<T>) {
	let who = funded::<T>("provider", 0);
	let key = T::ExecutorId::generate_pair(None);
	Pallet::<T>::register(&who, key.clone(), full_bond::<T>()).unwrap();
	let now = frame_system::Pallet::<T>::block_number();
	let most = T::MaxSlots::get();
	Pallet::<T>::set(&who, 1_000u32.into(), u64::MAX, T::MaxMemoryMib::get(), most, None, now)
		.unwrap();
	provider_with_offer::<T>(1);
	let offer = Offers::<T>::get(&who).unwrap();
	let slots = 0;
	let signature = key.sign(&Pallet::<T>::limit_payload(&who, &offer, slots)).unwrap();
	(who.clone(), Call::limit_offer { provider: who, slots, signature })
}

/// A fresh executor key in the keystore and its proof of possession for `who`.
fn possessed<T: Config>(
	who: &T::AccountId,
) -> (T::ExecutorId, <T::ExecutorId as RuntimeAppPublic>::ProofOfPossession) {
	let mut key = T::ExecutorId::generate_pair(None);
	let proof = key.generate_proof_of_possession(&Pallet::<T>::executor_owner(who)).unwrap();
	(key, proof)
}

/// A provider with a full offer whose executor key can sign, paused by missed tasks, and its
/// node's call resuming it, at the first block the node may.
fn paused<T: Config>() -> (T::AccountId, Call<T>) {
	let who = funded::<T>("provider", 0);
	let key = T::ExecutorId::generate_pair(None);
	Pallet::<T>::register(&who, key.clone(), full_bond::<T>()).unwrap();
	let now = frame_system::Pallet::<T>::block_number();
	let most = T::MaxSlots::get();
	Pallet::<T>::set(&who, 1_000u32.into(), u64::MAX, T::MaxMemoryMib::get(), most, None, now)
		.unwrap();
	for _ in 0..T::MaxMisses::get() {
		Pallet::<T>::attend(&who, false);
	}
	let presence = Pallet::<T>::check_paused(&who).unwrap();
	let wait_over = Pallet::<T>::node_may_resume_from(&presence);
	frame_system::Pallet::<T>::set_block_number(wait_over);
	let signature = key.sign(&Pallet::<T>::resume_payload(&who, &presence)).unwrap();
	(who.clone(), Call::resume_offer_as_node { provider: who, signature })
}

/// A usable encryption key, distinct for each `i` (a canonical X25519 key of large order).
fn encryption_key(i: u8) -> bourse_primitives::reply::ReplyKey {
	let mut key = [9u8; 32];
	key[0] = i.saturating_add(9);
	key
}

/// A provider whose executor key can sign, with an encryption key whose previous one has
/// expired, and its node's call rotating to another: the worst publication (two keys read and
/// written, the old one kept as previous).
fn rotation<T: Config>() -> (T::AccountId, Call<T>) {
	let who = funded::<T>("provider", 0);
	let key = T::ExecutorId::generate_pair(None);
	Pallet::<T>::register(&who, key.clone(), full_bond::<T>()).unwrap();
	let expired = frame_system::Pallet::<T>::block_number();
	EncryptionKeys::<T>::insert(
		&who,
		EncryptionKeySet {
			current: EncryptionKey { key: encryption_key(1), signed_at: expired },
			previous: Some((
				EncryptionKey { key: encryption_key(0), signed_at: Zero::zero() },
				expired,
			)),
		},
	);
	// A revocation before them, read too.
	let revocation = Revocation { at: Zero::zero(), key: Some(encryption_key(3)), frozen: false };
	Revocations::<T>::insert(&who, revocation);
	let now = expired.saturating_add(One::one());
	frame_system::Pallet::<T>::set_block_number(now);
	let new = encryption_key(2);
	let signature = key.sign(&Pallet::<T>::encryption_key_payload(&who, &key, &new, now)).unwrap();
	(who.clone(), Call::set_encryption_key { provider: who, key: new, signed_at: now, signature })
}

/// Registers `who` with `bond` (funding it) and an offer at `price` for `fuel` and `memory`,
/// until `expires_at`.
fn offering<T: Config>(
	who: &T::AccountId,
	i: u32,
	bond: BalanceOf<T>,
	price: BalanceOf<T>,
	fuel: u64,
	memory: u32,
	expires_at: Option<BlockNumberFor<T>>,
) {
	T::Currency::set_balance(who, bond.saturating_add(T::Currency::minimum_balance()));
	Pallet::<T>::register(who, executor::<T>(i), bond).unwrap();
	let slots =
		T::MaxSlots::get().min(bond.checked_div(&T::MaxSlash::get()).unwrap().saturated_into());
	Pallet::<T>::set(who, price, fuel, memory, slots, expires_at, Zero::zero()).unwrap();
}

/// The worst market for a selection of `replication` seats, with `n` providers that qualify
/// (above the requester's floor): 100 crowders at the lowest price too small for the task,
/// `ScanPerClass` cheap offers in every class that fit it but are below the floor, and
/// [`SPARE_DRAWS`] offers below the floor holding nearly all the trees' weight, the first of
/// them expired (selection removes it: [`crate::REMOVALS_PER_SELECTION`]). The task needs
/// one fuel more than the least offer, so every class is read; it is not one of theirs.
fn crowded_market<T: Config>(n: u32, replication: u32) -> Requirements<T::AccountId, BalanceOf<T>> {
	use bourse_primitives::traits::Verdict;
	// The floor is read at the block of the selection: reputation decays between blocks.
	frame_system::Pallet::<T>::set_block_number(1u32.into());
	let (min_fuel, min_memory) = (T::MinOfferFuel::get(), T::MinOfferMemoryMib::get());
	let mut i = 0u32;
	let mut next = || {
		i += 1;
		i
	};
	let bond = full_bond::<T>();
	let cheap: BalanceOf<T> = 1u32.into();
	for c in 0..100 {
		let who = account("crowder", c, 0);
		offering::<T>(&who, next(), T::MinBond::get(), cheap, min_fuel, min_memory, None);
	}
	for class in 0..CLASSES as u32 {
		let (fuel_class, memory_class) = (class / 3, class % 3);
		let fuel = min_fuel.saturating_mul(8u64.pow(fuel_class)).saturating_add(1);
		let memory = min_memory.saturating_mul(8u32.pow(memory_class)).min(T::MaxMemoryMib::get());
		for j in 0..T::ScanPerClass::get() {
			let who = account("window", class * 100 + j, 0);
			let fuel = fuel.max(min_fuel + 1);
			offering::<T>(&who, next(), T::MinBond::get(), cheap, fuel, memory, None);
		}
	}
	// The window's offers weigh little beside the providers (so the trees' draws spent on them
	// are the heavy ones'), the heavy ones nearly everything.
	let bond = bond.saturating_mul(1_000u32.into());
	let heavy = bond.saturating_mul(1_000_000u32.into());
	let last_block = 2u32.into();
	for h in 0..SPARE_DRAWS {
		let who = account("heavy", h, 0);
		let until = (h == 0).then_some(last_block);
		let (fuel, memory) = (u64::MAX, T::MaxMemoryMib::get());
		offering::<T>(&who, next(), heavy, 1_000u32.into(), fuel, memory, until);
	}
	for p in 0..n {
		let who = account("provider", p, 0);
		let (fuel, memory) = (u64::MAX, T::MaxMemoryMib::get());
		offering::<T>(&who, next(), bond, 1_000u32.into(), fuel, memory, None);
		T::Reputation::record(&who, Verdict::Agreed, 1_000_000_000_000);
		Pallet::<T>::sync_index(&who);
	}
	frame_system::Pallet::<T>::set_block_number(3u32.into());
	let floor = T::Reputation::score(&account("provider", 0, 0));
	Requirements {
		replication,
		fuel: min_fuel.saturating_add(1),
		memory_mib: min_memory,
		max_price: T::MaxPricePerMfuel::get(),
		min_reputation: floor,
		requester: account("requester", 0, 0),
		excluded: alloc::vec::Vec::new(),
		by_stake: false,
		seed: [7; 32],
		only: alloc::vec::Vec::new(),
	}
}

#[benchmarks(where <T as frame_system::Config>::RuntimeCall: From<Call<T>>)]
mod benchmarks {
	use super::*;
	use frame::deps::frame_support::traits::{Authorize, UnfilteredDispatchable};
	use frame::deps::sp_runtime::transaction_validity::TransactionSource;

	/// An executor key withdraws its provider's offer (slots to zero), the worst of its
	/// limits: the seat is freed and another moves into it.
	#[benchmark]
	fn limit_offer() {
		let (who, call) = limit::<T>();
		#[block]
		{
			call.dispatch_bypass_filter(RawOrigin::Authorized.into()).unwrap();
		}
		assert!(Offers::<T>::get(&who).is_none());
	}

	/// The pool's and the block's check of a limit, signature included.
	#[benchmark]
	fn authorize_limit_offer() {
		let (_, call) = limit::<T>();
		let call: <T as frame_system::Config>::RuntimeCall = call.into();
		#[block]
		{
			call.authorize(TransactionSource::External)
				.expect("an authorized call")
				.expect("authorize accepts the limit");
		}
	}

	/// The operator resumes its paused offer (back into the index).
	#[benchmark]
	fn resume_offer() {
		let (who, _) = paused::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Pallet::<T>::is_paused(&who));
	}

	/// The node resumes its provider's paused offer.
	#[benchmark]
	fn resume_offer_as_node() {
		let (who, call) = paused::<T>();
		#[block]
		{
			call.dispatch_bypass_filter(RawOrigin::Authorized.into()).unwrap();
		}
		assert!(!Pallet::<T>::is_paused(&who));
	}

	/// The pool's and the block's check of a resumption, signature included.
	#[benchmark]
	fn authorize_resume_offer_as_node() {
		let (_, call) = paused::<T>();
		let call: <T as frame_system::Config>::RuntimeCall = call.into();
		#[block]
		{
			call.authorize(TransactionSource::External)
				.expect("an authorized call")
				.expect("authorize accepts the resumption");
		}
	}

	#[benchmark]
	fn register_provider() {
		let caller = funded::<T>("caller", 0);
		let bond = full_bond::<T>();
		let (key, proof) = possessed::<T>(&caller);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), bond, key, proof);
		assert_eq!(Providers::<T>::get(&caller).map(|p| p.bond), Some(bond));
	}

	#[benchmark]
	fn bond_extra() {
		let caller = provider_with_offer::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), T::MinBond::get());
		assert!(Providers::<T>::get(&caller).unwrap().bond > full_bond::<T>());
	}

	/// A node rotates its provider's encryption key.
	#[benchmark]
	fn set_encryption_key() {
		let (who, call) = rotation::<T>();
		#[block]
		{
			call.dispatch_bypass_filter(RawOrigin::Authorized.into()).unwrap();
		}
		let keys = EncryptionKeys::<T>::get(&who).unwrap();
		assert_eq!(
			(keys.current.key, keys.previous.unwrap().0.key),
			(encryption_key(2), encryption_key(1))
		);
	}

	/// The pool's and the block's check of an encryption key, signature included.
	#[benchmark]
	fn authorize_set_encryption_key() {
		let (_, call) = rotation::<T>();
		let call: <T as frame_system::Config>::RuntimeCall = call.into();
		#[block]
		{
			call.authorize(TransactionSource::External)
				.expect("an authorized call")
				.expect("authorize accepts the key");
		}
	}

	/// A provider's account revokes its encryption keys and freezes publication.
	#[benchmark]
	fn revoke_encryption_keys() {
		let (who, _) = rotation::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), true);
		assert!(EncryptionKeys::<T>::get(&who).is_none());
		assert!(Revocations::<T>::get(&who).unwrap().frozen);
	}

	/// Worst case: the provider's encryption keys are removed too.
	#[benchmark]
	fn rotate_executor() {
		let caller = provider_with_offer::<T>(0);
		let keys = EncryptionKeySet {
			current: EncryptionKey { key: encryption_key(1), signed_at: Zero::zero() },
			previous: None,
		};
		EncryptionKeys::<T>::insert(&caller, keys);
		let (key, proof) = possessed::<T>(&caller);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), key.clone(), proof);
		assert_eq!(<Pallet<T> as ExecutorKeys<T::AccountId>>::executor_of(&caller), Some(key));
	}

	#[benchmark]
	fn set_offer() {
		// Worst case: an existing offer moves to another price and another class, so its seat
		// is freed (another one moving into the gap) and one is taken in the new class.
		let caller = provider_with_offer::<T>(0);
		provider_with_offer::<T>(1);
		let smallest = (T::MinOfferFuel::get().max(1), T::MinOfferMemoryMib::get().max(1));
		let other = funded::<T>("provider", 2);
		Pallet::<T>::register(&other, executor::<T>(2), full_bond::<T>()).unwrap();
		let slots = T::MaxSlots::get();
		Pallet::<T>::set(
			&other,
			1_000u32.into(),
			smallest.0,
			smallest.1,
			slots,
			None,
			Zero::zero(),
		)
		.unwrap();
		let before = Seats::<T>::get(&caller).unwrap().class;
		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller.clone()),
			2_000u32.into(),
			smallest.0,
			smallest.1,
			T::MaxSlots::get(),
			Some(1_000u32.into()),
		);
		assert_eq!(Offers::<T>::get(&caller).unwrap().price_per_mfuel, 2_000u32.into());
		assert_ne!(Seats::<T>::get(&caller).unwrap().class, before);
	}

	#[benchmark]
	fn withdraw_offer() {
		// Worst case: another seat of the class moves into the one freed.
		let caller = provider_with_offer::<T>(0);
		provider_with_offer::<T>(1);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));
		assert!(Offers::<T>::get(&caller).is_none());
	}

	#[benchmark]
	fn unregister_provider() {
		// Worst case: another seat of the class moves into the one freed.
		let caller = provider_with_offer::<T>(0);
		provider_with_offer::<T>(1);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));
		assert!(Providers::<T>::get(&caller).unwrap().unbonds_at.is_some());
	}

	#[benchmark]
	fn withdraw_bond() {
		let caller = provider_with_offer::<T>(0);
		Pallet::<T>::unregister_provider(RawOrigin::Signed(caller.clone()).into()).unwrap();
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingDelay::get()),
		);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));
		assert!(Providers::<T>::get(&caller).is_none());
	}

	/// A single seat at its worst, with `n` providers: 100 crowding offers at the lowest price
	/// too small for the task in front, every class's window read in full and refused (below
	/// the requester's floor), then the trees drawn through [`SPARE_DRAWS`] heavy offers below
	/// the floor to one of the `n` providers above it. Flat in `n`.
	#[benchmark]
	fn select_single(n: Linear<10, 1_000>) {
		let requirements = crowded_market::<T>(n, 1);
		let chosen: Vec<_>;
		#[block]
		{
			chosen = Pallet::<T>::do_select(&requirements).unwrap();
		}
		assert_eq!(chosen.len(), 1);
		let expired: T::AccountId = account("heavy", 0, 0);
		assert!(Offers::<T>::get(&expired).is_none(), "the expired offer met was removed");
	}

	/// A task of the most replicas at its worst, with `n` providers: every seat drawn from the
	/// trees, through [`SPARE_DRAWS`] heavy offers below the requester's floor. Flat in `n`.
	#[benchmark]
	fn select_replicated(n: Linear<10, 1_000>) {
		let requirements = crowded_market::<T>(n, T::MaxReplication::get());
		let chosen: Vec<_>;
		#[block]
		{
			chosen = Pallet::<T>::do_select(&requirements).unwrap();
		}
		assert_eq!(chosen.len() as u32, T::MaxReplication::get());
		let expired: T::AccountId = account("heavy", 0, 0);
		assert!(Offers::<T>::get(&expired).is_none(), "the expired offer met was removed");
	}

	/// A confidential task's draw at its worst: the most members, each read in full (offer,
	/// provider, liveness, keys, score), the first with an expired offer (removed), the most
	/// seats drawn from the rest.
	#[benchmark]
	fn select_listed() {
		let members = bourse_primitives::confidential::MAX_MEMBERS as u32;
		let now = frame_system::Pallet::<T>::block_number();
		let mut only = Vec::new();
		for i in 0..members {
			let who: T::AccountId = account("member", i, 0);
			let until = (i == 0).then(|| now.saturating_add(One::one()));
			let (fuel, memory) = (u64::MAX, T::MaxMemoryMib::get());
			offering::<T>(&who, 1_000 + i, full_bond::<T>(), 1_000u32.into(), fuel, memory, until);
			let key = encryption_key(10u8.saturating_add(i as u8));
			let keys = EncryptionKeySet {
				current: EncryptionKey { key, signed_at: Zero::zero() },
				previous: None,
			};
			EncryptionKeys::<T>::insert(&who, keys);
			only.push((who, key));
		}
		frame_system::Pallet::<T>::set_block_number(now.saturating_add(2u32.into()));
		let requirements = Requirements {
			replication: T::MaxReplication::get(),
			fuel: T::MinOfferFuel::get(),
			memory_mib: T::MinOfferMemoryMib::get(),
			max_price: T::MaxPricePerMfuel::get(),
			min_reputation: Perbill::zero(),
			requester: account("requester", 0, 0),
			excluded: Vec::new(),
			by_stake: true,
			seed: [7; 32],
			only,
		};
		let chosen: Vec<_>;
		#[block]
		{
			chosen = Pallet::<T>::do_select(&requirements).unwrap();
		}
		assert_eq!(chosen.len() as u32, T::MaxReplication::get());
		let expired: T::AccountId = account("member", 0, 0);
		assert!(Offers::<T>::get(&expired).is_none(), "the expired offer met was removed");
	}

	#[benchmark]
	fn release_slot() {
		// Worst case: the provider was full, so releasing puts it back in the index.
		let caller = provider_with_offer::<T>(0);
		Providers::<T>::mutate(&caller, |p| {
			if let Some(p) = p {
				p.busy_slots = T::MaxSlots::get();
			}
		});
		Pallet::<T>::sync_index(&caller);
		#[block]
		{
			Pallet::<T>::release(&caller);
		}
		assert_eq!(Providers::<T>::get(&caller).unwrap().busy_slots, T::MaxSlots::get() - 1);
	}

	#[benchmark]
	fn slash() {
		let caller = provider_with_offer::<T>(0);
		let burned;
		#[block]
		{
			burned = Pallet::<T>::slash(&caller, T::MaxSlash::get());
		}
		assert_eq!(burned, T::MaxSlash::get());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
