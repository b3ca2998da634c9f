//! Offers: registration, bonds, keys, offers, leaving, selection, slots, slashing, invariants.
#![allow(clippy::unwrap_used)]

use crate::{
	mock::*, Assignment, Available, Error, Event, Executors, HoldReason, ProviderMarket,
	ProviderReputation, Providers, Requirements, SelectionError,
};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold},
	sp_runtime::{DispatchResult, Perbill},
};

const PRICE: u128 = 1_000;
const BOND: u128 = 800;

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// Runs a call that must succeed, then checks the invariants.
fn ok(result: DispatchResult) {
	assert_ok!(result);
	Offers::do_try_state().unwrap();
}

/// Registers `who` (executor key `100 + who`) with `BOND` and an offer at `price`, 4 slots.
fn provider(who: u64, price: u128) {
	ok(Offers::register_provider(signed(who), BOND, key(100 + who), pop(who, 100 + who)));
	ok(Offers::set_offer(signed(who), price, 1_000_000, 64, 4, None));
}

/// Executor key `n`'s proof of possession for provider `who`.
fn pop(who: u64, n: u64) -> polkadot_sdk::sp_runtime::testing::TestSignature {
	use polkadot_sdk::sp_runtime::RuntimeAppPublic;
	key(n).generate_proof_of_possession(&Offers::executor_owner(&who)).unwrap()
}

fn next_block() {
	System::set_block_number(System::block_number() + 1);
}

fn held(who: u64) -> u128 {
	Balances::balance_on_hold(&HoldReason::ProviderBond.into(), &who)
}

fn wants(replication: u32, requester: u64, seed: u8) -> Requirements<u64, u128> {
	Requirements {
		replication,
		fuel: 1_000,
		memory_mib: 16,
		max_price: 1_000_000,
		min_reputation: Perbill::zero(),
		requester,
		excluded: Vec::new(),
		by_stake: false,
		seed: [seed; 32],
		only: Vec::new(),
	}
}

fn select(req: &Requirements<u64, u128>) -> Result<Vec<Assignment<u64, u128>>, SelectionError> {
	let chosen = <Offers as ProviderMarket<u64, u128>>::select(req);
	Offers::do_try_state().unwrap();
	chosen
}

fn busy(who: u64) -> u32 {
	Providers::<Test>::get(who).unwrap().busy_slots
}

#[test]
fn registering_holds_the_bond_and_binds_the_key() {
	test(|| {
		ok(Offers::register_provider(signed(1), BOND, key(101), pop(1, 101)));
		assert_eq!(held(1), BOND);
		assert_eq!(Executors::<Test>::get(key(101)), Some(1));
		assert_eq!(<Offers as crate::ExecutorKeys<u64>>::provider_of(&key(101)), Some(1));
		assert_eq!(<Offers as crate::ExecutorKeys<u64>>::executor_of(&1), Some(key(101)));
		System::assert_last_event(
			Event::ProviderRegistered { provider: 1, executor: key(101), bond: BOND }.into(),
		);
	});
}

#[test]
fn registration_errors_leave_everything_unchanged() {
	test(|| {
		assert_noop!(
			Offers::register_provider(signed(1), MIN_BOND - 1, key(101), pop(1, 101)),
			Error::<Test>::BondBelowMinimum
		);
		assert_noop!(
			Offers::register_provider(signed(1), ENDOWMENT + 1, key(101), pop(1, 101)),
			Error::<Test>::InsufficientBalance
		);
		ok(Offers::register_provider(signed(1), BOND, key(101), pop(1, 101)));
		assert_noop!(
			Offers::register_provider(signed(1), BOND, key(102), pop(1, 102)),
			Error::<Test>::AlreadyProvider
		);
		assert_noop!(
			Offers::register_provider(signed(2), BOND, key(101), pop(2, 101)),
			Error::<Test>::ExecutorKeyInUse
		);
		assert_noop!(Offers::bond_extra(signed(2), 10), Error::<Test>::NotProvider);
		assert_noop!(Offers::bond_extra(signed(1), 0), Error::<Test>::ZeroAmount);
		assert_noop!(Offers::bond_extra(signed(1), ENDOWMENT), Error::<Test>::InsufficientBalance);
		assert_noop!(
			Offers::rotate_executor(signed(2), key(105), pop(2, 105)),
			Error::<Test>::NotProvider
		);
		assert_noop!(
			Offers::rotate_executor(signed(1), key(101), pop(1, 101)),
			Error::<Test>::ExecutorKeyInUse
		);
		assert!(
			Offers::register_provider(RuntimeOrigin::none(), BOND, key(109), pop(0, 109)).is_err()
		);
	});
}

#[test]
fn the_provider_limit_is_enforced() {
	test(|| {
		// MaxProviders is 2,000 in the mock: fill it through storage, then try once more.
		for who in 1_000..3_000u64 {
			crate::Providers::<Test>::insert(
				who,
				crate::Provider { executor: key(who), bond: 0, busy_slots: 0, unbonds_at: None },
			);
			Executors::<Test>::insert(key(who), who);
		}
		assert_noop!(
			Offers::register_provider(signed(1), BOND, key(101), pop(1, 101)),
			Error::<Test>::TooManyProviders
		);
		for who in 1_000..3_000u64 {
			crate::Providers::<Test>::remove(who);
			Executors::<Test>::remove(key(who));
		}
	});
}

#[test]
fn bond_extra_and_key_rotation() {
	test(|| {
		ok(Offers::register_provider(signed(1), BOND, key(101), pop(1, 101)));
		ok(Offers::bond_extra(signed(1), 50));
		assert_eq!(held(1), BOND + 50);
		System::assert_last_event(Event::BondIncreased { provider: 1, bond: BOND + 50 }.into());
		ok(Offers::rotate_executor(signed(1), key(111), pop(1, 111)));
		assert_eq!(Executors::<Test>::get(key(101)), None);
		assert_eq!(Executors::<Test>::get(key(111)), Some(1));
		System::assert_last_event(
			Event::ExecutorRotated { provider: 1, executor: key(111) }.into(),
		);
		// The old key is free again for anyone.
		ok(Offers::register_provider(signed(2), BOND, key(101), pop(2, 101)));
	});
}

#[test]
fn offer_errors_leave_everything_unchanged() {
	test(|| {
		let set = |who, price, fuel, mem, slots, expires| {
			Offers::set_offer(signed(who), price, fuel, mem, slots, expires)
		};
		assert_noop!(set(1, PRICE, 1_000, 1, 1, None), Error::<Test>::NotProvider);
		ok(Offers::register_provider(signed(1), BOND, key(101), pop(1, 101)));
		assert_noop!(set(1, PRICE, 1_000, 1, 0, None), Error::<Test>::ZeroSlots);
		assert_noop!(set(1, PRICE, 1_000, 1, 9, None), Error::<Test>::TooManySlots);
		assert_noop!(set(1, 0, 1_000, 1, 1, None), Error::<Test>::ZeroPrice);
		assert_noop!(set(1, 1_000_001, 1_000, 1, 1, None), Error::<Test>::PriceTooHigh);
		assert_noop!(set(1, PRICE, 999, 1, 1, None), Error::<Test>::FuelBelowMinimum);
		assert_noop!(set(1, PRICE, 1_000, 0, 1, None), Error::<Test>::MemoryBelowMinimum);
		assert_noop!(set(1, PRICE, 1_000, 4_097, 1, None), Error::<Test>::MemoryTooLarge);
		assert_noop!(set(1, PRICE, 1_000, 1, 1, Some(1)), Error::<Test>::ExpiryInPast);
		// BOND = 800 covers 8 slots of MAX_SLASH = 100 at most; 800 - 100 does not.
		ok(Offers::register_provider(signed(2), BOND - MAX_SLASH, key(102), pop(2, 102)));
		assert_noop!(set(2, PRICE, 1_000, 1, 8, None), Error::<Test>::BondDoesNotCoverSlots);
		assert_noop!(Offers::withdraw_offer(signed(1)), Error::<Test>::NoOffer);
		assert_noop!(Offers::withdraw_offer(signed(3)), Error::<Test>::NotProvider);
	});
}

#[test]
fn an_offer_is_selectable_from_the_next_block() {
	test(|| {
		provider(1, PRICE);
		System::assert_last_event(
			Event::OfferSet {
				provider: 1,
				price_per_mfuel: PRICE,
				max_fuel: 1_000_000,
				max_memory_mib: 64,
				slots: 4,
				expires_at: None,
				active_from: 2,
			}
			.into(),
		);
		assert_eq!(select(&wants(1, 9, 0)), Err(SelectionError::NotEnoughProviders));
		next_block();
		assert_eq!(select(&wants(1, 9, 0)), Ok(vec![Assignment { provider: 1, price: PRICE }]));
		// Changing the price makes the offer wait another block, at the new price.
		ok(Offers::set_offer(signed(1), 2 * PRICE, 1_000_000, 64, 4, None));
		assert_eq!(select(&wants(1, 9, 0)), Err(SelectionError::NotEnoughProviders));
		next_block();
		assert_eq!(select(&wants(1, 9, 0)), Ok(vec![Assignment { provider: 1, price: 2 * PRICE }]));
	});
}

#[test]
fn selection_filters_by_price_fuel_memory_requester_and_reputation() {
	test(|| {
		provider(1, PRICE);
		provider(2, 3 * PRICE);
		next_block();
		let only = |req: Requirements<u64, u128>| {
			let chosen = select(&req).unwrap();
			for a in &chosen {
				<Offers as ProviderMarket<u64, u128>>::release(&a.provider);
			}
			chosen.into_iter().map(|a| a.provider).collect::<Vec<_>>()
		};
		assert_eq!(only(Requirements { max_price: 2 * PRICE, ..wants(1, 9, 0) }), vec![1]);
		assert_eq!(only(wants(1, 1, 0)), vec![2], "the requester is never chosen");
		assert_eq!(
			select(&Requirements { fuel: 1_000_001, ..wants(1, 9, 0) }),
			Err(SelectionError::NotEnoughProviders)
		);
		assert_eq!(
			select(&Requirements { memory_mib: 65, ..wants(1, 9, 0) }),
			Err(SelectionError::NotEnoughProviders)
		);
		// Provider 2 earns a reputation above the prior; a floor between them keeps only 2.
		for _ in 0..5 {
			<pallet_reputation::Pallet<Test> as ProviderReputation<u64>>::record(
				&2,
				pallet_reputation::Verdict::Agreed,
				10_000,
			);
		}
		assert_eq!(
			only(Requirements { min_reputation: Perbill::from_percent(50), ..wants(1, 9, 0) }),
			vec![2]
		);
		assert_eq!(busy(1) + busy(2), 0);
	});
}

#[test]
fn selection_picks_distinct_providers_and_reserves_slots_only_on_success() {
	test(|| {
		for who in 1..=3 {
			provider(who, PRICE);
		}
		next_block();
		assert_eq!(select(&wants(5, 9, 0)), Err(SelectionError::NotEnoughProviders));
		assert_eq!(busy(1) + busy(2) + busy(3), 0, "nothing reserved on failure");
		assert_eq!(select(&wants(0, 9, 0)), Err(SelectionError::NotEnoughProviders));
		assert_eq!(select(&wants(7, 9, 0)), Err(SelectionError::NotEnoughProviders));
		let mut chosen: Vec<u64> =
			select(&wants(3, 9, 0)).unwrap().into_iter().map(|a| a.provider).collect();
		chosen.sort();
		assert_eq!(chosen, vec![1, 2, 3]);
		assert_eq!((busy(1), busy(2), busy(3)), (1, 1, 1));
	});
}

#[test]
fn a_full_provider_leaves_the_index_and_returns_when_a_slot_frees() {
	test(|| {
		ok(Offers::register_provider(signed(1), BOND, key(101), pop(1, 101)));
		ok(Offers::set_offer(signed(1), PRICE, 1_000_000, 64, 2, None));
		next_block();
		select(&wants(1, 9, 0)).unwrap();
		select(&wants(1, 9, 1)).unwrap();
		assert_eq!(busy(1), 2);
		assert!(Available::<Test>::iter().next().is_none());
		assert_eq!(select(&wants(1, 9, 2)), Err(SelectionError::NotEnoughProviders));
		<Offers as ProviderMarket<u64, u128>>::release(&1);
		Offers::do_try_state().unwrap();
		assert_eq!(busy(1), 1);
		assert!(select(&wants(1, 9, 3)).is_ok());
		// Slots cannot drop below the tasks in progress.
		assert_noop!(
			Offers::set_offer(signed(1), PRICE, 1_000_000, 64, 1, None),
			Error::<Test>::SlotsInUse
		);
	});
}

#[test]
fn the_index_is_ordered_by_price_and_selection_reads_a_bounded_window() {
	test(|| {
		// Twelve providers of one class, the dearest first; a single seat reads the cheapest
		// `SCAN_PER_CLASS` of the class.
		for who in 1..=12u64 {
			provider(who, PRICE * (20 - who as u128));
		}
		next_block();
		let prices: Vec<u128> =
			Available::<Test>::iter_keys().map(|(_, key, _)| u128::from_be_bytes(key)).collect();
		let mut sorted = prices.clone();
		sorted.sort();
		assert_eq!(prices, sorted, "storage order is price order");
		for seed in 0..20u8 {
			let chosen = select(&wants(1, 99, seed)).unwrap();
			assert!(chosen[0].provider > 12 - SCAN_PER_CLASS as u64, "only the cheapest are read");
			<Offers as ProviderMarket<u64, u128>>::release(&chosen[0].provider);
		}
	});
}

#[test]
fn the_draw_is_deterministic_and_weighted_by_bond() {
	test(|| {
		ok(Offers::register_provider(signed(1), MIN_BOND, key(101), pop(1, 101)));
		ok(Offers::register_provider(signed(2), 9 * MIN_BOND, key(102), pop(2, 102)));
		ok(Offers::set_offer(signed(1), PRICE, 1_000_000, 64, 1, None));
		ok(Offers::set_offer(signed(2), PRICE, 1_000_000, 64, 1, None));
		next_block();
		let mut wins = [0u32; 3];
		for seed in 0..200u8 {
			let first = select(&wants(1, 9, seed)).unwrap();
			<Offers as ProviderMarket<u64, u128>>::release(&first[0].provider);
			let again = select(&wants(1, 9, seed)).unwrap();
			assert_eq!(first, again, "same seed, same choice");
			<Offers as ProviderMarket<u64, u128>>::release(&again[0].provider);
			wins[first[0].provider as usize] += 1;
		}
		// Provider 2 has 9× the bond: about 180 of 200 draws.
		assert!(wins[2] > 150 && wins[1] > 5, "wins {wins:?}");
	});
}

#[test]
fn expired_offers_are_skipped_and_pruned_when_met() {
	test(|| {
		ok(Offers::register_provider(signed(1), BOND, key(101), pop(1, 101)));
		ok(Offers::set_offer(signed(1), PRICE, 1_000_000, 64, 4, Some(3)));
		provider(2, 2 * PRICE);
		System::set_block_number(3);
		let cheap = Requirements { max_price: PRICE, ..wants(1, 9, 0) };
		assert_eq!(select(&cheap).unwrap()[0].provider, 1);
		System::set_block_number(4);
		assert_eq!(select(&wants(1, 9, 0)).unwrap()[0].provider, 2);
		assert!(crate::Offers::<Test>::get(1).is_none(), "pruned when met");
		System::assert_has_event(Event::OfferExpired { provider: 1 }.into());
	});
}

#[test]
fn slashing_burns_at_most_the_maximum_and_shrinks_capacity() {
	test(|| {
		ok(Offers::register_provider(signed(1), 4 * MAX_SLASH, key(101), pop(1, 101)));
		ok(Offers::set_offer(signed(1), PRICE, 1_000_000, 64, 4, None));
		next_block();
		select(&wants(1, 9, 0)).unwrap();
		let issuance = Balances::total_issuance();
		let burned = <Offers as ProviderMarket<u64, u128>>::slash(&1, 10 * MAX_SLASH);
		<Offers as ProviderMarket<u64, u128>>::release(&1);
		Offers::do_try_state().unwrap();
		assert_eq!(burned, MAX_SLASH);
		assert_eq!(Balances::total_issuance(), issuance - MAX_SLASH, "burned, paid to nobody");
		assert_eq!(held(1), 3 * MAX_SLASH);
		assert_eq!(Providers::<Test>::get(1).unwrap().bond, 3 * MAX_SLASH, "the bond shrank");
		// Three slots are still covered; a fourth task is not.
		for seed in 0..3 {
			select(&wants(1, 9, seed)).unwrap();
		}
		assert_eq!(select(&wants(1, 9, 9)), Err(SelectionError::NotEnoughProviders));
		// Slashing a non-provider burns nothing.
		assert_eq!(<Offers as ProviderMarket<u64, u128>>::slash(&7, MAX_SLASH), 0);
	});
}

/// Found by the fuzzer (seed 20794000001): a provider rotated its key while its node's
/// commitment to a replicated task waited for its reveal; the old key's node could no longer
/// speak for it, the new key's node had not committed, and the honest provider was slashed as
/// withholding. Rotation now waits for open tasks and held answers, as leaving does.
#[test]
fn rotation_waits_for_open_tasks_and_held_answers() {
	test(|| {
		provider(1, PRICE);
		next_block();
		select(&wants(1, 9, 0)).unwrap();
		assert_noop!(
			Offers::rotate_executor(signed(1), key(111), pop(1, 111)),
			Error::<Test>::OpenTasks
		);
		<Offers as ProviderMarket<u64, u128>>::release(&1);
		<Offers as ProviderMarket<u64, u128>>::hold(&1);
		assert_noop!(
			Offers::rotate_executor(signed(1), key(111), pop(1, 111)),
			Error::<Test>::OpenTasks
		);
		<Offers as ProviderMarket<u64, u128>>::release_held(&1);
		ok(Offers::rotate_executor(signed(1), key(111), pop(1, 111)));
		assert_eq!(Executors::<Test>::get(key(111)), Some(1));
	});
}

#[test]
fn leaving_waits_for_open_tasks_and_the_unbonding_delay() {
	test(|| {
		provider(1, PRICE);
		next_block();
		select(&wants(1, 9, 0)).unwrap();
		assert_noop!(Offers::unregister_provider(signed(1)), Error::<Test>::OpenTasks);
		assert_noop!(Offers::withdraw_bond(signed(1)), Error::<Test>::NotLeaving);
		<Offers as ProviderMarket<u64, u128>>::release(&1);
		ok(Offers::unregister_provider(signed(1)));
		System::assert_last_event(
			Event::ProviderLeaving { provider: 1, unbonds_at: 2 + UNBONDING }.into(),
		);
		assert!(crate::Offers::<Test>::get(1).is_none());
		assert_eq!(select(&wants(1, 9, 0)), Err(SelectionError::NotEnoughProviders));
		assert_noop!(Offers::unregister_provider(signed(1)), Error::<Test>::Leaving);
		assert_noop!(
			Offers::set_offer(signed(1), PRICE, 1_000_000, 64, 4, None),
			Error::<Test>::Leaving
		);
		assert_noop!(Offers::bond_extra(signed(1), 10), Error::<Test>::Leaving);
		assert_noop!(Offers::withdraw_bond(signed(1)), Error::<Test>::StillUnbonding);
		System::set_block_number(2 + UNBONDING);
		let free = Balances::free_balance(1);
		ok(Offers::withdraw_bond(signed(1)));
		assert_eq!(Balances::free_balance(1), free + BOND);
		assert_eq!(held(1), 0);
		assert!(Providers::<Test>::get(1).is_none() && Executors::<Test>::get(key(101)).is_none());
		System::assert_last_event(Event::ProviderRemoved { provider: 1, bond: BOND }.into());
		assert_noop!(Offers::withdraw_bond(signed(1)), Error::<Test>::NotProvider);
		assert_noop!(Offers::unregister_provider(signed(1)), Error::<Test>::NotProvider);
	});
}

#[test]
fn withdrawing_an_offer_removes_it_from_selection() {
	test(|| {
		provider(1, PRICE);
		next_block();
		ok(Offers::withdraw_offer(signed(1)));
		System::assert_last_event(Event::OfferWithdrawn { provider: 1 }.into());
		assert_eq!(select(&wants(1, 9, 0)), Err(SelectionError::NotEnoughProviders));
	});
}

#[test]
fn re_registering_does_not_reset_reputation() {
	test(|| {
		provider(1, PRICE);
		<pallet_reputation::Pallet<Test> as ProviderReputation<u64>>::record(
			&1,
			pallet_reputation::Verdict::OutVoted,
			10_000,
		);
		ok(Offers::unregister_provider(signed(1)));
		System::set_block_number(1 + UNBONDING);
		ok(Offers::withdraw_bond(signed(1)));
		let score = <pallet_reputation::Pallet<Test> as ProviderReputation<u64>>::score;
		let low = score(&1);
		provider(1, PRICE);
		assert_eq!(score(&1), low);
		assert!(low < score(&42), "below a newcomer's prior");
	});
}

#[test]
fn genesis_providers_have_open_offers() {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> { balances: vec![(1, ENDOWMENT)], ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	crate::GenesisConfig::<Test> {
		providers: vec![crate::GenesisProvider {
			account: 1,
			executor: key(101),
			bond: BOND,
			price_per_mfuel: PRICE,
			max_fuel: 1_000_000,
			max_memory_mib: 64,
			slots: 4,
		}],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	TestState::from(storage).execute_with(|| {
		System::set_block_number(1);
		Offers::do_try_state().unwrap();
		assert_eq!(held(1), BOND);
		assert_eq!(select(&wants(1, 9, 0)).unwrap()[0].provider, 1);
	});
}

use polkadot_sdk::polkadot_sdk_frame::testing_prelude::TestState;
use polkadot_sdk::{frame_system, pallet_balances, sp_runtime::BuildStorage};

/// The node's limit of provider `who`'s offer to `slots`, signed by executor key `signer`, as a
/// block applies it: `authorize` (the pool's check), then dispatch as authorized.
fn limit(who: u64, slots: u32, signer: u64) -> DispatchResult {
	use polkadot_sdk::sp_runtime::RuntimeAppPublic;
	let offer = crate::Offers::<Test>::get(who);
	let payload = offer.map(|o| Offers::limit_payload(&who, &o, slots)).unwrap_or_default();
	let signature = key(signer).sign(&payload).unwrap();
	let call = crate::Call::limit_offer { provider: who, slots, signature };
	as_authorized(call, Offers::check_limit(&who, slots).map(|_| ()))
}

/// Applies a node's `call` as a block does: `authorize` (the pool's check), then dispatch as
/// authorized, and checks the invariants. A refused call's error is `state`'s (the checks but
/// for the signature), else `BadSignature`.
fn as_authorized(call: crate::Call<Test>, state: Result<(), Error<Test>>) -> DispatchResult {
	use polkadot_sdk::{
		frame_support::traits::Authorize,
		sp_runtime::{traits::Dispatchable, transaction_validity::TransactionSource},
	};
	let call = RuntimeCall::Offers(call);
	let result = match call.authorize(TransactionSource::External).unwrap() {
		Ok(_) => call
			.dispatch(polkadot_sdk::frame_system::RawOrigin::Authorized.into())
			.map(|_| ())
			.map_err(|e| e.error),
		Err(_) => Err(state.err().unwrap_or(Error::<Test>::BadSignature).into()),
	};
	Offers::do_try_state().unwrap();
	result
}

#[test]
fn the_executor_key_can_only_lower_its_providers_offer() {
	test(|| {
		provider(1, 10);
		provider(2, 10);
		let slots = || crate::Offers::<Test>::get(1).map(|o| o.slots);
		let before = slots().unwrap();
		assert_eq!(limit(1, before, 101), Err(Error::<Test>::NotALimit.into()), "not lower");
		assert_eq!(limit(1, before + 1, 101), Err(Error::<Test>::NotALimit.into()), "higher");
		assert_eq!(limit(1, 1, 102), Err(Error::<Test>::BadSignature.into()), "another's key");
		assert_eq!(limit(3, 1, 101), Err(Error::<Test>::NotProvider.into()));
		assert_eq!(limit(1, 1, 101), Ok(()));
		System::assert_last_event(Event::OfferLimited { provider: 1, slots: 1 }.into());
		assert_eq!(slots(), Some(1));
		assert_eq!(limit(1, 0, 101), Ok(()), "0 withdraws the offer");
		assert_eq!(slots(), None);
		assert_eq!(limit(1, 0, 101), Err(Error::<Test>::NoOffer.into()));
	});
}

#[test]
fn a_limit_cannot_be_replayed_on_a_later_offer() {
	use polkadot_sdk::{
		frame_support::traits::Authorize,
		sp_runtime::{transaction_validity::TransactionSource, RuntimeAppPublic},
	};
	test(|| {
		provider(1, 10);
		let offer = crate::Offers::<Test>::get(1).unwrap();
		let signature = key(101).sign(&Offers::limit_payload(&1, &offer, 1)).unwrap();
		let call =
			RuntimeCall::Offers(crate::Call::limit_offer { provider: 1, slots: 1, signature });
		assert!(call.authorize(TransactionSource::External).unwrap().is_ok());
		// The operator sets a new offer (the next block): the old signature is worthless.
		next_block();
		ok(Offers::set_offer(
			signed(1),
			10,
			offer.max_fuel,
			offer.max_memory_mib,
			offer.slots,
			None,
		));
		assert!(call.authorize(TransactionSource::External).unwrap().is_err());
	});
}

#[test]
fn a_limit_keeps_the_busy_slots() {
	test(|| {
		provider(1, 10);
		next_block();
		select(&wants(1, 9, 0)).unwrap();
		select(&wants(1, 9, 1)).unwrap();
		assert_eq!(busy(1), 2);
		assert_eq!(limit(1, 1, 101), Err(Error::<Test>::NotALimit.into()), "2 are busy");
		assert_eq!(limit(1, 2, 101), Ok(()));
		assert_eq!(limit(1, 0, 101), Ok(()), "withdrawing is always allowed");
		assert_eq!(busy(1), 2, "assigned tasks still run");
	});
}

/// Settles one task of `who`: answered or missed (said nothing).
fn attend(who: u64, answered: bool) {
	<Offers as ProviderMarket<u64, u128>>::record_attendance(&who, answered);
	Offers::do_try_state().unwrap();
}

fn paused(who: u64) -> bool {
	Offers::is_paused(&who)
}

fn in_index(who: u64) -> bool {
	Available::<Test>::iter_keys().any(|(_, _, p)| p == who)
}

/// The node's resumption of provider `who`'s pause `presence`, signed by executor key `signer`,
/// as a block applies it: `authorize` (the pool's check), then dispatch.
fn resume_as_node(who: u64, presence: &crate::Presence<u64>, signer: u64) -> DispatchResult {
	use polkadot_sdk::sp_runtime::RuntimeAppPublic;
	let signature = key(signer).sign(&Offers::resume_payload(&who, presence)).unwrap();
	let call = crate::Call::resume_offer_as_node { provider: who, signature };
	as_authorized(call, Offers::check_node_resume(&who).map(|_| ()))
}

/// `who`'s liveness record (empty if none).
fn presence(who: u64) -> crate::Presence<u64> {
	crate::Liveness::<Test>::get(who).unwrap_or_default()
}

/// `MAX_MISSES` no-shows in a row: pauses `who`.
fn miss_enough(who: u64) {
	for _ in 0..MAX_MISSES {
		attend(who, false);
	}
	assert!(paused(who));
}

fn advance(blocks: u64) {
	System::set_block_number(System::block_number() + blocks);
}

#[test]
fn missing_tasks_in_a_row_pauses_the_offer_and_any_word_clears_the_count() {
	test(|| {
		provider(1, 10);
		provider(2, 20);
		next_block();
		// Misses short of the threshold, then an answer: the count starts again.
		for _ in 1..MAX_MISSES {
			attend(1, false);
		}
		assert_eq!(crate::Liveness::<Test>::get(1).map(|l| l.missed), Some(MAX_MISSES - 1));
		attend(1, true);
		assert_eq!(crate::Liveness::<Test>::get(1), None, "an answer clears the record");
		assert!(!paused(1));
		// Then enough in a row: paused, out of the index, never drawn; its offer stays.
		for _ in 0..MAX_MISSES {
			attend(1, false);
		}
		System::assert_last_event(Event::OfferPaused { provider: 1, missed: MAX_MISSES }.into());
		assert!(paused(1) && !in_index(1) && in_index(2));
		assert!(crate::Offers::<Test>::get(1).is_some(), "the offer stays");
		assert_eq!(select(&wants(2, 9, 0)), Err(SelectionError::NotEnoughProviders));
		for seed in 0..8 {
			let chosen = select(&wants(1, 9, seed)).unwrap();
			assert_eq!(chosen[0].provider, 2, "only the live provider is drawn");
			<Offers as ProviderMarket<u64, u128>>::release(&2);
		}
		// More misses while paused keep counting, without a second pause event.
		let events = System::events().len();
		attend(1, false);
		assert_eq!(System::events().len(), events);
		// An answer on a task it held from before resets the count but not the pause.
		attend(1, true);
		assert!(paused(1) && !in_index(1));
		// Changing the offer does not resume it either.
		next_block();
		ok(Offers::set_offer(signed(1), 5, 1_000_000, 64, 4, None));
		assert!(paused(1) && !in_index(1));
	});
}

#[test]
fn the_operator_resumes_a_paused_offer_at_once_selectable_from_the_next_block() {
	test(|| {
		provider(1, 10);
		next_block();
		assert_noop!(Offers::resume_offer(signed(1)), Error::<Test>::NotPaused);
		assert_noop!(Offers::resume_offer(signed(3)), Error::<Test>::NotProvider);
		miss_enough(1);
		ok(Offers::resume_offer(signed(1)));
		System::assert_last_event(Event::OfferResumed { provider: 1 }.into());
		assert!(!paused(1) && in_index(1));
		assert_eq!(presence(1), crate::Presence { missed: 0, paused_since: None, strikes: 1 });
		// Like a changed offer, a resumed one waits a block: an author cannot resume itself in
		// front of a task in its own block.
		assert_eq!(select(&wants(1, 9, 0)), Err(SelectionError::NotEnoughProviders));
		next_block();
		assert_eq!(select(&wants(1, 9, 0)).unwrap()[0].provider, 1);
		// A task answered clears the strikes, and the record.
		attend(1, true);
		assert_eq!(crate::Liveness::<Test>::get(1), None);
	});
}

#[test]
fn the_node_resumes_with_its_executor_key_after_a_wait_that_doubles_per_strike() {
	test(|| {
		provider(1, 10);
		provider(2, 10);
		next_block();
		assert_eq!(resume_as_node(1, &presence(1), 101), Err(Error::<Test>::NotPaused.into()));
		miss_enough(1);
		let first = presence(1);
		assert_eq!(first.strikes, 1);
		let since = first.paused_since.unwrap();
		assert_eq!(Offers::node_may_resume_from(&first), since + NODE_RESUME_DELAY);
		assert_eq!(resume_as_node(1, &first, 101), Err(Error::<Test>::ResumeTooEarly.into()));
		advance(NODE_RESUME_DELAY);
		assert_eq!(resume_as_node(1, &first, 102), Err(Error::<Test>::BadSignature.into()));
		let other = crate::Presence { paused_since: Some(since + 1), ..first.clone() };
		assert_eq!(resume_as_node(1, &other, 101), Err(Error::<Test>::BadSignature.into()));
		assert_eq!(resume_as_node(3, &first, 103), Err(Error::<Test>::NotProvider.into()));
		assert_eq!(resume_as_node(1, &first, 101), Ok(()));
		System::assert_last_event(Event::OfferResumed { provider: 1 }.into());
		assert!(!paused(1));
		// Paused again without answering in between: the wait doubles, and the first
		// signature resumes nothing.
		miss_enough(1);
		let second = presence(1);
		assert_eq!(second.strikes, 2);
		assert_eq!(
			Offers::node_may_resume_from(&second),
			second.paused_since.unwrap() + 2 * NODE_RESUME_DELAY
		);
		advance(2 * NODE_RESUME_DELAY);
		assert_eq!(resume_as_node(1, &first, 101), Err(Error::<Test>::BadSignature.into()));
		assert_eq!(resume_as_node(1, &second, 101), Ok(()));
		// The doubling stops at MAX_DOUBLINGS.
		let many = crate::Presence { missed: 0, paused_since: Some(0), strikes: 50 };
		assert_eq!(Offers::node_may_resume_from(&many), NODE_RESUME_DELAY << crate::MAX_DOUBLINGS);
		// The operator need not wait.
		miss_enough(1);
		ok(Offers::resume_offer(signed(1)));
	});
}

#[test]
fn leaving_forgets_the_liveness_record() {
	test(|| {
		provider(1, 10);
		next_block();
		for _ in 0..MAX_MISSES {
			attend(1, false);
		}
		ok(Offers::unregister_provider(signed(1)));
		assert!(paused(1), "kept while the bond is held");
		assert_noop!(Offers::resume_offer(signed(1)), Error::<Test>::Leaving);
		System::set_block_number(System::block_number() + UNBONDING);
		ok(Offers::withdraw_bond(signed(1)));
		assert_eq!(crate::Liveness::<Test>::get(1), None);
	});
}

/// A stand-in for the node's sandbox that can only say how many runs it takes at once and
/// which encryption keys it holds (newest first).
struct Capacity(u32, Vec<[u8; 32]>);

impl bourse_primitives::sandbox::WorkloadRunner for Capacity {
	fn submit(
		&self,
		_run: bourse_primitives::sandbox::RunId,
		_code_hash: [u8; 32],
		_code: &[u8],
		_input: &[u8],
		_limits: bourse_primitives::ExecutionLimits,
		_seed: [u8; 32],
	) -> bourse_primitives::sandbox::Submitted {
		unimplemented!("the offers pallet runs nothing")
	}
	fn submit_confidential(
		&self,
		_run: bourse_primitives::sandbox::RunId,
		_code_hash: [u8; 32],
		_code: &[u8],
		_input: &[u8],
		_limits: bourse_primitives::ExecutionLimits,
		_seed: [u8; 32],
		_confidential: bourse_primitives::sandbox::ConfidentialRun,
	) -> bourse_primitives::sandbox::Submitted {
		unimplemented!("the offers pallet runs nothing")
	}
	fn poll(
		&self,
		_run: bourse_primitives::sandbox::RunId,
	) -> bourse_primitives::sandbox::RunState {
		unimplemented!("the offers pallet runs nothing")
	}
	fn cancel(&self, _run: bourse_primitives::sandbox::RunId) {}
	fn offered_slots(&self, _slots: u32) -> u32 {
		self.0
	}
	fn encryption_keys(&self) -> Vec<[u8; 32]> {
		self.1.clone()
	}
}

/// Externalities of a node whose offchain worker runs (with `sandbox`, if any), and what its
/// worker has sent to the pool so far.
fn offchain_node(sandbox: Option<Capacity>) -> (TestState, impl Fn() -> Vec<RuntimeCall>) {
	use codec::Decode;
	use polkadot_sdk::sp_core::offchain::{
		testing::{TestOffchainExt, TestTransactionPoolExt},
		OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
	};
	let mut ext = new_test_ext();
	let (offchain, _) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	if let Some(sandbox) = sandbox {
		ext.register_extension(bourse_primitives::sandbox::SandboxExt::new(std::sync::Arc::new(
			sandbox,
		)));
	}
	let sent = move || {
		pool_state
			.read()
			.transactions
			.iter()
			.map(|bytes| Extrinsic::decode(&mut &bytes[..]).unwrap().function)
			.collect()
	};
	(ext, sent)
}

#[test]
fn the_offchain_worker_resumes_its_paused_providers_once_allowed_and_only_with_a_sandbox() {
	use polkadot_sdk::{frame_support::traits::Hooks, sp_runtime::RuntimeAppPublic};
	// A node with a sandbox of `capacity` runs at once (none: no sandbox): what its worker
	// sends on a block after `blocks` of provider 1's pause.
	let sends = |capacity: Option<u32>, blocks: u64| -> Vec<RuntimeCall> {
		let (mut ext, sent) = offchain_node(capacity.map(|runs| Capacity(runs, Vec::new())));
		ext.execute_with(|| {
			for who in 1..=3 {
				provider(who, 10);
			}
			next_block();
			miss_enough(1);
			miss_enough(2);
			advance(blocks);
			// This node holds the keys of 1 (paused) and 3 (not paused), not of 2 (paused).
			UintAuthorityId::set_all_keys(vec![key(101), key(103)]);
			<Offers as Hooks<u64>>::offchain_worker(System::block_number());
			let sent = sent();
			for call in &sent {
				let RuntimeCall::Offers(crate::Call::resume_offer_as_node { provider, signature }) =
					call.clone()
				else {
					panic!("not a resumption: {call:?}");
				};
				assert_eq!(provider, 1);
				let payload = Offers::resume_payload(&1, &presence(1));
				assert!(key(101).verify(&payload, &signature));
				assert_eq!(resume_as_node(1, &presence(1), 101), Ok(()));
				assert!(!paused(1) && paused(2));
			}
			sent
		})
	};
	assert_eq!(sends(Some(4), NODE_RESUME_DELAY).len(), 1, "one resumption, for provider 1");
	assert_eq!(sends(Some(4), NODE_RESUME_DELAY - 1).len(), 0, "not before the wait is over");
	assert_eq!(sends(None, NODE_RESUME_DELAY).len(), 0, "not without a sandbox");
	assert_eq!(sends(Some(0), NODE_RESUME_DELAY).len(), 0, "not with no room to run");
}

#[test]
fn binding_an_executor_key_takes_its_proof_of_possession_for_this_account() {
	test(|| {
		// Eve (2) tries to bind Ferdie's (1) node key 101 without its proof: she cannot make
		// one (her own key's proof, or a proof with no owner, does not fit).
		let forged = polkadot_sdk::sp_runtime::testing::TestSignature(102, vec![]);
		assert_noop!(
			Offers::register_provider(signed(2), BOND, key(101), forged),
			Error::<Test>::BadProofOfPossession
		);
		assert_noop!(
			Offers::register_provider(signed(2), BOND, key(101), pop(2, 102)),
			Error::<Test>::BadProofOfPossession
		);
		// She front-runs Ferdie's registration, copying his proof from the pool: it names
		// Ferdie's account, not hers.
		assert_noop!(
			Offers::register_provider(signed(2), BOND, key(101), pop(1, 101)),
			Error::<Test>::BadProofOfPossession
		);
		ok(Offers::register_provider(signed(1), BOND, key(101), pop(1, 101)));
		// Ferdie rotates to 111; Eve cannot take the key he rotated away from with his old
		// proof, nor rotate her own provider onto a key she does not hold.
		ok(Offers::rotate_executor(signed(1), key(111), pop(1, 111)));
		assert_noop!(
			Offers::register_provider(signed(2), BOND, key(101), pop(1, 101)),
			Error::<Test>::BadProofOfPossession
		);
		ok(Offers::register_provider(signed(2), BOND, key(102), pop(2, 102)));
		assert_noop!(
			Offers::rotate_executor(signed(2), key(121), pop(1, 121)),
			Error::<Test>::BadProofOfPossession
		);
		// The owner names this chain: a proof for another genesis does not fit.
		let elsewhere = {
			use codec::Encode;
			(crate::EXECUTOR_OWNER_CONTEXT, [9u8; 32], 3u64).encode()
		};
		let proof = polkadot_sdk::sp_runtime::testing::TestSignature(103, elsewhere);
		assert_noop!(
			Offers::register_provider(signed(3), BOND, key(103), proof),
			Error::<Test>::BadProofOfPossession
		);
	});
}

/// Provider `who` with `bond` and an offer at `price` for tasks of `fuel` and `memory` MiB, as
/// many slots as the bond covers (at most 4).
fn offering(who: u64, bond: u128, price: u128, fuel: u64, memory: u32) {
	ok(Offers::register_provider(signed(who), bond, key(100 + who), pop(who, 100 + who)));
	let slots = (bond / MAX_SLASH).min(4) as u32;
	ok(Offers::set_offer(signed(who), price, fuel, memory, slots, None));
}

/// Selects for `req` and frees the slots again; the providers chosen.
fn drawn(req: &Requirements<u64, u128>) -> Result<Vec<u64>, SelectionError> {
	let chosen = select(req)?;
	for a in &chosen {
		<Offers as ProviderMarket<u64, u128>>::release(&a.provider);
	}
	Offers::do_try_state().unwrap();
	Ok(chosen.into_iter().map(|a| a.provider).collect())
}

fn storage_root() -> Vec<u8> {
	polkadot_sdk::sp_io::storage::root(polkadot_sdk::sp_runtime::StateVersion::V1)
}

#[test]
fn cheap_offers_too_small_for_a_task_do_not_keep_it_from_one_that_fits() {
	test(|| {
		// Ten offers at the lowest price with the least capacity (the attack of the issue),
		// and one honest provider at a real price that fits tasks of any size.
		for sybil in 10..=19 {
			offering(sybil, MIN_BOND, 1, 1_000, 1);
		}
		offering(1, BOND, PRICE, 1_000_000, 64);
		next_block();
		let big = Requirements { fuel: 2_000, memory_mib: 1, ..wants(1, 9, 0) };
		for seed in 0..10 {
			assert_eq!(drawn(&Requirements { seed: [seed; 32], ..big.clone() }), Ok(vec![1]));
		}
		// With a replication of 3 the task waits (one provider fits), never goes to a sybil.
		assert_eq!(
			select(&Requirements { replication: 3, ..big.clone() }),
			Err(SelectionError::NotEnoughProviders)
		);
		// A task they do fit goes to them: they won it by price.
		let small = Requirements { fuel: 1_000, memory_mib: 1, ..wants(1, 9, 0) };
		assert!(drawn(&small).unwrap()[0] >= 10);
	});
}

#[test]
fn cheap_offers_below_the_floor_do_not_keep_a_single_seat_from_the_trees() {
	test(|| {
		// The cheap offers fit the task but not the requester's reputation floor: the window
		// holds nobody eligible, so the seat is drawn from the trees.
		for sybil in 10..=19 {
			offering(sybil, MIN_BOND, 1, 1_000_000, 64);
		}
		offering(1, BOND, PRICE, 1_000_000, 64);
		for _ in 0..5 {
			<pallet_reputation::Pallet<Test> as ProviderReputation<u64>>::record(
				&1,
				pallet_reputation::Verdict::Agreed,
				10_000,
			);
		}
		// Reputation changed outside a settlement here: refresh the seat as settlement does.
		<Offers as ProviderMarket<u64, u128>>::release(&1);
		next_block();
		let floor = Requirements { min_reputation: Perbill::from_percent(50), ..wants(1, 9, 0) };
		for seed in 0..10 {
			assert_eq!(drawn(&Requirements { seed: [seed; 32], ..floor.clone() }), Ok(vec![1]));
		}
	});
}

#[test]
fn cheap_sybils_win_replicated_seats_by_stake_not_by_price() {
	test(|| {
		// Ten honest providers with 1,800 of bond each at a real price; ten sybils with the
		// least bond at the lowest price: 2,000 of 20,000 bond, 10 %.
		for honest in (1..=9).chain([20]) {
			offering(honest, 1_800, PRICE, 1_000_000, 64);
		}
		for sybil in 10..=19 {
			offering(sybil, MIN_BOND, 1, 1_000_000, 64);
		}
		next_block();
		let (mut seats, mut sybil_seats, mut captured) = (0u32, 0u32, 0u32);
		for seed in 0..=255u8 {
			let chosen = drawn(&wants(3, 9, seed)).unwrap();
			let mut distinct = chosen.clone();
			distinct.sort();
			distinct.dedup();
			assert_eq!(distinct.len(), 3, "three distinct providers");
			let sybils = chosen.iter().filter(|p| (10..=19).contains(*p)).count() as u32;
			seats += 3;
			sybil_seats += sybils;
			captured += u32::from(sybils >= 2);
		}
		let share = sybil_seats * 100 / seats;
		// Their bond share, 10 % (a little more: seats are distinct, so a drawn honest
		// provider is out of the next draw), within the noise of 768 seats (σ ≈ 1.1 points);
		// a majority in about 3·s² ≈ 3 % of tasks. (Were the cheapest offer given a seat of
		// every task, they would hold 40 % of seats and a majority in 19 % of tasks.)
		assert!((7..=14).contains(&share), "sybils won {share} % of seats");
		assert!(captured * 100 / 256 <= 6, "sybils held {captured} majorities of 256");
	});
}

#[test]
fn a_failed_selection_writes_nothing() {
	test(|| {
		// Two providers that qualify and seven heavy ones above the requester's price: the
		// trees draw the heavy ones, leave them out, and run out of draws or providers.
		offering(1, MIN_BOND, PRICE, 1_000_000, 64);
		offering(2, MIN_BOND, PRICE, 1_000_000, 64);
		for heavy in 3..=9 {
			offering(heavy, 5_000, 10 * PRICE, 1_000_000, 64);
		}
		next_block();
		let cheap = Requirements { max_price: PRICE, ..wants(3, 99, 0) };
		let root = storage_root();
		for seed in 0..20 {
			assert_eq!(
				select(&Requirements { seed: [seed; 32], ..cheap.clone() }),
				Err(SelectionError::NotEnoughProviders)
			);
		}
		assert_eq!(storage_root(), root, "no trace of the failed selections");
		// Under the price, the heavy ones are left out exactly and never drawn twice: two
		// seats of the two cheap providers are found through seven heavy ones in k + 4 draws.
		for seed in 0..20 {
			let mut chosen =
				drawn(&Requirements { seed: [seed; 32], replication: 1, ..cheap.clone() }).unwrap();
			chosen.sort();
			assert!(chosen == vec![1] || chosen == vec![2]);
		}
	});
}

#[test]
fn a_task_above_the_top_class_is_served_by_the_top_class_one_offer_at_a_time() {
	test(|| {
		// The mock's fuel classes start at 1,000, 8,000 and 64,000 fuel.
		offering(1, BOND, PRICE, 1_000_000, 64);
		offering(2, BOND, PRICE, 1_000_000, 64);
		offering(3, BOND, PRICE, 1_000_000, 64);
		offering(4, 5_000, PRICE, 70_000, 64); // top class, too small for the task
		next_block();
		let huge = Requirements { fuel: 100_000, ..wants(3, 9, 0) };
		for seed in 0..20 {
			let mut chosen = drawn(&Requirements { seed: [seed; 32], ..huge.clone() }).unwrap();
			chosen.sort();
			assert_eq!(chosen, vec![1, 2, 3]);
		}
	});
}

#[test]
fn seats_follow_offers_through_class_changes_expiry_and_removal() {
	test(|| {
		for who in 1..=6 {
			offering(who, BOND, PRICE, 1_000_000, 64);
		}
		assert_eq!(crate::SeatCounts::<Test>::get()[8], 6);
		// Moving to another class frees the seat (the last one fills the gap) and takes one
		// there; every step is checked by the invariants (`ok`).
		ok(Offers::set_offer(signed(2), PRICE, 1_000, 1, 4, None));
		assert_eq!(crate::SeatCounts::<Test>::get()[0], 1);
		assert_eq!(crate::SeatCounts::<Test>::get()[8], 5);
		ok(Offers::withdraw_offer(signed(1)));
		ok(Offers::set_offer(signed(3), 2 * PRICE, 1_000_000, 64, 4, Some(3)));
		ok(Offers::set_offer(signed(2), PRICE, 10_000, 8, 4, None));
		ok(Offers::unregister_provider(signed(5)));
		assert_eq!(crate::SeatCounts::<Test>::get()[4], 1);
		assert_eq!(crate::SeatCounts::<Test>::get()[8], 3);
		// An expired offer drawn by the trees is removed with its seat.
		System::set_block_number(4);
		let mut expired_met = false;
		for seed in 0..40 {
			let _ = drawn(&Requirements { seed: [seed; 32], ..wants(3, 9, seed) });
			expired_met |= crate::Offers::<Test>::get(3).is_none();
		}
		assert!(expired_met && crate::Seats::<Test>::get(3).is_none());
		System::assert_has_event(Event::OfferExpired { provider: 3 }.into());
		assert_eq!(crate::SeatCounts::<Test>::get()[8], 2);
	});
}

#[test]
fn a_selection_removes_one_expired_offer_it_meets_and_skips_the_others() {
	test(|| {
		for who in 1..=3 {
			offering(who, BOND, PRICE, 1_000_000, 64);
			ok(Offers::set_offer(signed(who), PRICE, 1_000_000, 64, 4, Some(2)));
		}
		offering(4, BOND, 2 * PRICE, 1_000_000, 64);
		System::set_block_number(3);
		// The window holds the three expired offers: one is removed, the task goes to 4.
		assert_eq!(drawn(&wants(1, 9, 0)), Ok(vec![4]));
		let left = || (1..=3).filter(|who| crate::Offers::<Test>::get(who).is_some()).count();
		assert_eq!(left(), 2, "one removal per selection");
		assert_eq!(drawn(&wants(1, 9, 1)), Ok(vec![4]));
		assert_eq!(drawn(&wants(1, 9, 2)), Ok(vec![4]));
		assert_eq!(left(), 0, "the next selections remove the rest");
	});
}

#[test]
fn the_migration_rebuilds_classes_and_trees_from_a_single_price_index() {
	use polkadot_sdk::frame_support::{
		pallet_prelude::Encode,
		storage::{unhashed, StoragePrefixedMap},
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
		Blake2_128Concat, StorageHasher,
	};
	test(|| {
		for who in 1..=3 {
			offering(who, BOND, PRICE * who as u128, 1_000_000, 64);
		}
		offering(4, BOND, PRICE, 1_000, 1);
		// Storage as version 0 left it: no seats or trees, one index keyed (price, account).
		let _ = crate::Available::<Test>::clear(u32::MAX, None);
		let _ = crate::Seats::<Test>::clear(u32::MAX, None);
		let _ = crate::SeatHolders::<Test>::clear(u32::MAX, None);
		let _ = crate::TreeNodes::<Test>::clear(u32::MAX, None);
		crate::SeatCounts::<Test>::kill();
		crate::ClassWeights::<Test>::kill();
		for who in 1..=4u64 {
			let price = crate::Offers::<Test>::get(who).unwrap().price_per_mfuel;
			let mut key = crate::Available::<Test>::final_prefix().to_vec();
			key.extend(price.to_be_bytes());
			key.extend(Blake2_128Concat::hash(&who.encode()));
			unhashed::put(&key, &());
		}
		StorageVersion::new(0).put::<Offers>();
		assert!(Offers::do_try_state().is_err(), "version 0's layout fails today's invariants");

		crate::migrations::MigrateToClassedSelection::<Test>::on_runtime_upgrade();
		assert_eq!(Offers::on_chain_storage_version(), 1);
		assert_ok!(Offers::do_try_state());
		assert_eq!(crate::Available::<Test>::iter_keys().count(), 4, "old keys gone, all relisted");
		assert_eq!(crate::SeatCounts::<Test>::get()[0], 1);
		next_block();
		assert_eq!(drawn(&Requirements { max_price: PRICE, ..wants(1, 9, 0) }), Ok(vec![1]));
		assert_eq!(drawn(&wants(3, 9, 0)).map(|c| c.len()), Ok(3));
		// Run again, it does nothing: the version says it is done.
		let root = storage_root();
		crate::migrations::MigrateToClassedSelection::<Test>::on_runtime_upgrade();
		assert_eq!(storage_root(), root);
	});
}

#[test]
fn an_auditor_is_drawn_by_stake_never_by_price_and_never_an_excluded_provider() {
	test(|| {
		// Five cheap offers of the least bond (Sybils undercutting the market) and one heavy
		// honest offer at the market price.
		for sybil in 1..=5 {
			offering(sybil, MIN_BOND, PRICE / 2, 1_000_000, 64);
		}
		offering(9, 20 * MIN_BOND, PRICE, 1_000_000, 64);
		next_block();
		let auditor = Requirements { by_stake: true, excluded: vec![3], ..wants(1, 99, 0) };
		let (mut heavy, mut excluded) = (0, 0);
		for seed in 0..100 {
			let chosen = drawn(&Requirements { seed: [seed; 32], ..auditor.clone() }).unwrap();
			heavy += u32::from(chosen == vec![9]);
			excluded += u32::from(chosen == vec![3]);
		}
		// Bond share of the heavy offer: 20 of 25 (the reputations are equal).
		assert!((65..=95).contains(&heavy), "drawn {heavy} times of 100, its share 80");
		assert_eq!(excluded, 0, "the audited provider never audits itself");
		// By price, a single seat goes to the cheapest window: the heavy offer never.
		let cheapest = Requirements { by_stake: false, ..auditor.clone() };
		for seed in 0..20 {
			let chosen = drawn(&Requirements { seed: [seed; 32], ..cheapest.clone() }).unwrap();
			assert_ne!(chosen, vec![9]);
		}
	});
}

/// A usable encryption key, distinct for each `i`.
fn enc(i: u8) -> [u8; 32] {
	let mut key = [9u8; 32];
	key[0] = i.saturating_add(9);
	key
}

/// The node's publication of `enc_key` as provider `who`'s encryption key, signed at
/// `signed_at` by executor key `signer`.
fn publication(who: u64, enc_key: [u8; 32], signed_at: u64, signer: u64) -> crate::Call<Test> {
	use polkadot_sdk::sp_runtime::RuntimeAppPublic;
	let payload = Offers::encryption_key_payload(&who, &key(signer), &enc_key, signed_at);
	let signature = key(signer).sign(&payload).unwrap();
	crate::Call::set_encryption_key { provider: who, key: enc_key, signed_at, signature }
}

/// [`publication`], as a block applies it.
fn publish(who: u64, enc_key: [u8; 32], signed_at: u64, signer: u64) -> DispatchResult {
	let call = publication(who, enc_key, signed_at, signer);
	as_authorized(call, Offers::check_encryption_key(&who, &enc_key, signed_at).map(|_| ()))
}

fn keys_of(who: u64) -> Option<crate::EncryptionKeySet<u64>> {
	crate::EncryptionKeys::<Test>::get(who)
}

#[test]
fn a_node_publishes_its_encryption_key_and_rotates_once_a_grace_period() {
	test(|| {
		provider(1, 10);
		advance(3);
		let now = System::block_number();
		ok(publish(1, enc(1), now, 101));
		System::assert_last_event(
			Event::EncryptionKeySet { provider: 1, key: enc(1), previous_until: None }.into(),
		);
		assert_eq!(
			keys_of(1).unwrap().current,
			crate::EncryptionKey { key: enc(1), signed_at: now }
		);
		// A rotation at once is allowed (nothing previous is live): the first key stays usable
		// for the grace period.
		next_block();
		let rotated = System::block_number();
		ok(publish(1, enc(2), rotated, 101));
		let until = rotated + ENCRYPTION_KEY_GRACE;
		System::assert_last_event(
			Event::EncryptionKeySet { provider: 1, key: enc(2), previous_until: Some(until) }
				.into(),
		);
		let keys = keys_of(1).unwrap();
		assert!(keys.is_live(&enc(1), &rotated) && keys.is_live(&enc(2), &rotated));
		assert!(!keys.is_live(&enc(1), &until), "the old key ends with its grace period");
		// No third key while two are live.
		next_block();
		let now = System::block_number();
		assert_eq!(publish(1, enc(3), now, 101), Err(Error::<Test>::RotationTooSoon.into()));
		System::set_block_number(until - 1);
		assert_eq!(publish(1, enc(3), until - 1, 101), Err(Error::<Test>::RotationTooSoon.into()));
		System::set_block_number(until);
		// The expired key may come back; a live one may not.
		assert_eq!(publish(1, enc(2), until, 101), Err(Error::<Test>::KeyInUse.into()));
		ok(publish(1, enc(1), until, 101));
		assert_eq!(keys_of(1).unwrap().previous.unwrap().0.key, enc(2));
	});
}

#[test]
fn an_encryption_key_is_refused_unless_fresh_usable_new_and_signed_by_the_executor_key() {
	test(|| {
		provider(1, 10);
		provider(2, 10);
		advance(30);
		let now = System::block_number();
		let life = u64::from(crate::ENCRYPTION_KEY_SIGNATURE_LIFE);
		let refused = |who, enc_key, at, signer, error: Error<Test>| {
			let before = storage_root();
			assert_eq!(publish(who, enc_key, at, signer), Err(error.into()));
			assert_eq!(storage_root(), before, "a refusal leaves state as it was");
		};
		refused(3, enc(1), now, 103, Error::<Test>::NotProvider);
		refused(1, enc(1), now + 1, 101, Error::<Test>::StaleKeySignature); // the future
		refused(1, enc(1), now - life - 1, 101, Error::<Test>::StaleKeySignature); // too old
		ok(publish(1, enc(1), now - life, 101)); // the oldest that counts
		refused(1, enc(2), now - life, 101, Error::<Test>::StaleKeySignature); // not after it
																		 // Small order, and not canonical (p + 1, the top bit).
		let mut one = [0u8; 32];
		one[0] = 1;
		refused(2, one, now, 102, Error::<Test>::UnusableKey);
		let mut high = enc(1);
		high[31] |= 0x80;
		refused(2, high, now, 102, Error::<Test>::UnusableKey);
		refused(2, enc(5), now, 101, Error::<Test>::BadSignature); // another provider's key
															 // The current key again.
		refused(1, enc(1), now, 101, Error::<Test>::KeyInUse);
		// Signed for another provider, block or key: the signature does not fit.
		use polkadot_sdk::sp_runtime::RuntimeAppPublic;
		let theirs = key(101).sign(&Offers::encryption_key_payload(&1, &key(101), &enc(6), now));
		let call = crate::Call::set_encryption_key {
			provider: 1,
			key: enc(7),
			signed_at: now,
			signature: theirs.unwrap(),
		};
		assert_eq!(as_authorized(call, Ok(())), Err(Error::<Test>::BadSignature.into()));
		// A leaving provider publishes nothing.
		ok(Offers::withdraw_offer(signed(2)));
		ok(Offers::unregister_provider(signed(2)));
		refused(2, enc(5), now, 102, Error::<Test>::Leaving);
	});
}

#[test]
fn an_old_publication_never_counts_again_after_the_provider_leaves_and_returns() {
	test(|| {
		provider(1, 10);
		next_block();
		let then = System::block_number();
		let old = publication(1, enc(1), then, 101);
		ok(as_authorized(old.clone(), Ok(())));
		ok(Offers::withdraw_offer(signed(1)));
		ok(Offers::unregister_provider(signed(1)));
		advance(UNBONDING);
		ok(Offers::withdraw_bond(signed(1)));
		assert_eq!(keys_of(1), None, "the keys leave with the provider");
		// Back with the same executor key: the old publication is public and immortal, but
		// its block is long past.
		provider(1, 10);
		assert_eq!(
			as_authorized(old, Err(Error::<Test>::StaleKeySignature)),
			Err(Error::<Test>::StaleKeySignature.into())
		);
		assert_eq!(keys_of(1), None);
	});
}

#[test]
fn a_revocation_removes_both_keys_at_once_and_nothing_before_it_counts_again() {
	test(|| {
		provider(1, 10);
		next_block();
		let then = System::block_number();
		let first = publication(1, enc(1), then, 101);
		ok(as_authorized(first.clone(), Ok(())));
		next_block();
		ok(publish(1, enc(2), System::block_number(), 101));
		assert_noop!(Offers::revoke_encryption_keys(signed(3), false), Error::<Test>::NotProvider);
		ok(Offers::revoke_encryption_keys(signed(1), false));
		System::assert_last_event(
			Event::EncryptionKeysRevoked { provider: 1, frozen: false }.into(),
		);
		assert_eq!(keys_of(1), None, "both keys, at once");
		assert_noop!(
			Offers::revoke_encryption_keys(signed(1), false),
			Error::<Test>::NoEncryptionKey
		);
		next_block();
		let now = System::block_number();
		// The first publication, still within its signature's life, does not count again.
		assert_eq!(
			as_authorized(first, Err(Error::<Test>::StaleKeySignature)),
			Err(Error::<Test>::StaleKeySignature.into())
		);
		// The revoked key is never taken again, even freshly signed; a new one is.
		assert_eq!(publish(1, enc(2), now, 101), Err(Error::<Test>::KeyRevoked.into()));
		ok(publish(1, enc(3), now, 101));
		assert!(keys_of(1).unwrap().previous.is_none());
	});
}

#[test]
fn a_frozen_provider_publishes_no_key_until_its_executor_key_is_rotated() {
	test(|| {
		provider(1, 10);
		next_block();
		ok(publish(1, enc(1), System::block_number(), 101));
		// The thief of executor key 101 rotates to its own key: the node may not rotate back
		// for a grace period.
		next_block();
		ok(publish(1, enc(66), System::block_number(), 101));
		next_block();
		assert_eq!(
			publish(1, enc(2), System::block_number(), 101),
			Err(Error::<Test>::RotationTooSoon.into())
		);
		// The account revokes and freezes: the thief's next key does not count either.
		ok(Offers::revoke_encryption_keys(signed(1), true));
		System::assert_last_event(
			Event::EncryptionKeysRevoked { provider: 1, frozen: true }.into(),
		);
		assert_eq!(keys_of(1), None);
		next_block();
		assert_eq!(
			publish(1, enc(67), System::block_number(), 101),
			Err(Error::<Test>::KeysFrozen.into())
		);
		assert_noop!(
			Offers::revoke_encryption_keys(signed(1), true),
			Error::<Test>::NoEncryptionKey
		);
		// Moving to a new executor key ends the freeze; the old key signs no more.
		ok(Offers::rotate_executor(signed(1), key(201), pop(1, 201)));
		System::assert_last_event(
			Event::EncryptionKeysRevoked { provider: 1, frozen: false }.into(),
		);
		next_block();
		assert_eq!(
			publish(1, enc(68), System::block_number(), 101),
			Err(Error::<Test>::BadSignature.into()),
		);
		ok(publish(1, enc(2), System::block_number(), 201));
		// Rotating the executor drops published keys too, and records them revoked.
		next_block();
		ok(Offers::rotate_executor(signed(1), key(301), pop(1, 301)));
		assert_eq!(keys_of(1), None);
		next_block();
		assert_eq!(
			publish(1, enc(2), System::block_number(), 301),
			Err(Error::<Test>::KeyRevoked.into())
		);
		// Leaving forgets it all.
		ok(Offers::withdraw_offer(signed(1)));
		ok(Offers::unregister_provider(signed(1)));
		advance(UNBONDING);
		ok(Offers::withdraw_bond(signed(1)));
		assert_eq!(crate::Revocations::<Test>::get(1), None);
	});
}

#[test]
fn the_offchain_worker_publishes_the_nodes_newest_key_when_the_chain_has_another() {
	use polkadot_sdk::frame_support::traits::Hooks;
	// What a node holding executor keys 101 and 103 and the encryption keys `local` sends at
	// block 10 when the chain holds `chain` for provider 1 (published at block 2, rotated
	// at block 3 when there are two).
	let sends = |local: Option<Vec<[u8; 32]>>, chain: Vec<[u8; 32]>| -> Vec<(u64, [u8; 32])> {
		let (mut ext, sent) = offchain_node(local.map(|keys| Capacity(4, keys)));
		ext.execute_with(|| {
			provider(1, 10);
			provider(2, 10);
			for (at, enc_key) in chain.into_iter().enumerate() {
				System::set_block_number(2 + at as u64);
				ok(publish(1, enc_key, System::block_number(), 101));
			}
			System::set_block_number(10);
			UintAuthorityId::set_all_keys(vec![key(101), key(103)]);
			<Offers as Hooks<u64>>::offchain_worker(System::block_number());
			let sent = sent();
			sent.into_iter()
				.map(|call| {
					let RuntimeCall::Offers(crate::Call::set_encryption_key {
						provider,
						key: enc_key,
						signed_at,
						signature,
					}) = call.clone()
					else {
						panic!("not a publication: {call:?}");
					};
					assert_eq!(signed_at, 10);
					// The call the node made counts in a block.
					let call = crate::Call::set_encryption_key {
						provider,
						key: enc_key,
						signed_at,
						signature,
					};
					ok(as_authorized(call, Ok(())));
					assert_eq!(keys_of(provider).unwrap().current.key, enc_key);
					(provider, enc_key)
				})
				.collect()
		})
	};
	let (old, new) = (enc(1), enc(2));
	assert_eq!(sends(Some(vec![old]), vec![]), vec![(1, old)], "the first key");
	assert_eq!(sends(Some(vec![old]), vec![old]), vec![], "already on chain");
	assert_eq!(sends(Some(vec![new, old]), vec![old]), vec![(1, new)], "a rotation");
	assert_eq!(sends(Some(vec![new]), vec![enc(66)]), vec![(1, new)], "a key it does not hold");
	assert_eq!(sends(Some(vec![new, old]), vec![enc(66), old]), vec![], "not while two are live");
	assert_eq!(sends(Some(vec![]), vec![]), vec![], "no key");
	assert_eq!(sends(None, vec![]), vec![], "no sandbox");
}

/// Providers 1..=`n` with offers and encryption keys `enc(who)` published, selectable now.
fn members_market(n: u64) {
	for who in 1..=n {
		provider(who, 10 * who as u128);
	}
	next_block();
	for who in 1..=n {
		ok(publish(who, enc(who as u8), System::block_number(), 100 + who));
	}
	next_block();
}

#[test]
fn a_confidential_task_draws_its_members_only_by_stake_and_every_one_of_them() {
	test(|| {
		members_market(8);
		let members: Vec<(u64, [u8; 32])> = (1..=4).map(|who| (who, enc(who as u8))).collect();
		let mut seen = std::collections::BTreeSet::new();
		for seed in 0..80 {
			for replication in [1, 3] {
				let req = Requirements { only: members.clone(), ..wants(replication, 99, seed) };
				let chosen = drawn(&req).unwrap();
				assert_eq!(chosen.len(), replication as usize);
				let mut distinct = chosen.clone();
				distinct.sort();
				distinct.dedup();
				assert_eq!(distinct.len(), chosen.len(), "distinct providers");
				assert!(chosen.iter().all(|who| *who <= 4), "never outside the list: {chosen:?}");
				seen.extend(chosen);
			}
		}
		// Price is only a filter: the dearest member is drawn too (a single seat of a public
		// task goes to the cheapest window).
		assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![1, 2, 3, 4]);
		// The slots a draw takes are held as any draw's.
		let req = Requirements { only: members.clone(), ..wants(3, 99, 1) };
		let chosen = select(&req).unwrap();
		for a in &chosen {
			assert_eq!(busy(a.provider), 1);
		}
	});
}

#[test]
fn a_confidential_draw_never_widens_past_its_eligible_members() {
	test(|| {
		members_market(10);
		// Member 1 is fine. Each other is out for one reason:
		// 2 sealed to a key it never published,
		// 3 sealed to a key it has rotated away from and whose grace is over,
		// 4 its keys revoked, 5 paused, 6 full, 7 too dear, 8 the requester, 9 excluded.
		let now = System::block_number();
		ok(publish(3, enc(33), now, 103));
		System::set_block_number(now + ENCRYPTION_KEY_GRACE);
		ok(Offers::revoke_encryption_keys(signed(4), false));
		for _ in 0..MAX_MISSES {
			attend(5, false);
		}
		for seed in 0..4 {
			select(&Requirements { only: vec![(6, enc(6))], ..wants(1, 99, seed) }).unwrap();
		}
		ok(Offers::set_offer(signed(7), 1_000, 1_000_000, 64, 4, None));
		next_block();
		let members: Vec<(u64, [u8; 32])> = vec![
			(1, enc(1)),
			(2, enc(22)),
			(3, enc(3)),
			(4, enc(4)),
			(5, enc(5)),
			(6, enc(6)),
			(7, enc(7)),
			(8, enc(8)),
			(9, enc(9)),
			(1, enc(1)),
		];
		let req = |replication, seed| Requirements {
			only: members.clone(),
			max_price: 100,
			excluded: vec![9],
			..wants(replication, 8, seed)
		};
		for seed in 0..30 {
			assert_eq!(drawn(&req(1, seed)), Ok(vec![1]), "only member 1 qualifies");
			// Two seats: member 1 is not counted twice, and nobody else in the market (10 is
			// free and fits) is taken instead.
			assert!(drawn(&Requirements { only: Vec::new(), ..req(2, seed) }).is_ok());
			let before = storage_root();
			assert_eq!(select(&req(2, seed)), Err(SelectionError::NotEnoughProviders));
			assert_eq!(storage_root(), before, "a failed draw writes nothing");
		}
		// Member 3's current key counts; a key it never published does not.
		assert!(drawn(&Requirements { only: vec![(3, enc(33))], ..req(1, 0) }).is_ok());
		assert!(drawn(&Requirements { only: vec![(3, enc(34))], ..req(1, 0) }).is_err());
	});
}

#[test]
fn a_confidential_draw_skips_every_member_that_cannot_take_a_seat_and_quotes_only_members() {
	test(|| {
		members_market(8);
		let now = System::block_number();
		// 1 fine; 2 its offer expired (removed by the draw that meets it); 3 leaving; 4 no
		// offer; 5 an offer not active before the next block; 6 below the floor; 7 rotated,
		// sealed to its previous key still within its grace period (drawn); 8 the seventeenth
		// entry (never read).
		ok(Offers::set_offer(signed(2), 20, 1_000_000, 64, 4, Some(now + 1)));
		ok(Offers::withdraw_offer(signed(3)));
		ok(Offers::unregister_provider(signed(3)));
		ok(Offers::withdraw_offer(signed(4)));
		ok(publish(7, enc(77), now, 107));
		advance(2);
		ok(Offers::set_offer(signed(5), 50, 1_000_000, 64, 4, None));
		<Test as crate::Config>::Reputation::record(
			&6,
			bourse_primitives::traits::Verdict::OutVoted,
			1_000_000,
		);
		let mut only: Vec<(u64, [u8; 32])> = (1..=7).map(|who| (who, enc(who as u8))).collect();
		only.extend((0..9).map(|_| (1, enc(1)))); // entries 8 to 16: member 1 again
		only.push((8, enc(8)));
		let floor = <Test as crate::Config>::Reputation::score(&1);
		let req =
			|seed| Requirements { only: only.clone(), min_reputation: floor, ..wants(1, 99, seed) };
		let mut seen = std::collections::BTreeSet::new();
		for seed in 0..40 {
			seen.extend(drawn(&req(seed)).unwrap());
		}
		assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![1, 7]);
		assert_eq!(crate::Offers::<Test>::get(2), None, "the expired offer met was removed");
		System::assert_has_event(Event::OfferExpired { provider: 2 }.into());
		// A quote names the same members, never the market's cheapest.
		let quoted: Vec<u64> = <Offers as ProviderMarket<u64, u128>>::candidates(&req(0))
			.into_iter()
			.map(|a| a.provider)
			.collect();
		assert_eq!(quoted, vec![1, 7]);
	});
}
