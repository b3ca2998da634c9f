//! Provider selection: capacity classes, their price indexes, and the sum trees that draw
//! providers by bond × reputation (see the crate's *Selection*).

use super::*;
use alloc::vec::Vec;
use frame::{arithmetic::Perbill, prelude::*};

/// Capacity classes per dimension (fuel, memory).
pub const CLASSES_PER_DIMENSION: u8 = 3;
/// Capacity classes: fuel class × [`CLASSES_PER_DIMENSION`] + memory class.
pub const CLASSES: usize = 9;
/// Each class's lower bound is this many times the one below.
pub const CLASS_STEP: u64 = 8;
/// Children of a node of a selection tree.
pub const FANOUT: usize = 16;
/// Levels of a selection tree: it has `FANOUT ^ TREE_DEPTH` leaves (seats).
pub const TREE_DEPTH: u32 = 4;
/// Seats of one class's selection tree.
pub const SEATS_PER_CLASS: u32 = (FANOUT as u32).pow(TREE_DEPTH);
/// Draws from the trees one selection may make beyond its replication: rejected draws
/// (an offer above the task's price, below its reputation floor, …) cost one each.
pub const SPARE_DRAWS: u32 = 4;
/// Expired offers one selection removes (the first it meets); others it skips, to be removed
/// by a later selection, so what one selection writes stays bounded and benchmarked.
pub const REMOVALS_PER_SELECTION: usize = 1;

/// One node of a selection tree: the weight under each of its children (at the last level,
/// the weight of each seat).
pub type TreeNode = [u128; FANOUT];

/// Where an offer sits in the selection trees.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Seat {
	/// Its capacity class.
	pub class: u8,
	/// Its leaf in that class's tree.
	pub leaf: u32,
}

/// An eligible offer met by selection: `(provider, price, weight)`.
pub(crate) type Candidate<T> = (<T as frame_system::Config>::AccountId, BalanceOf<T>, u128);

/// The class of `value` in one dimension whose lowest class starts at `min`.
fn dimension_class(value: u64, min: u64) -> u8 {
	let mut class = 0;
	let mut bound = min.max(1);
	while class + 1 < CLASSES_PER_DIMENSION {
		match bound.checked_mul(CLASS_STEP) {
			Some(next) if next <= value => {
				bound = next;
				class += 1;
			}
			_ => break,
		}
	}
	class
}

/// The least capacity of class `class` in a dimension whose lowest class starts at `min`.
fn dimension_bound(class: u8, min: u64) -> u64 {
	(0..class).fold(min.max(1), |bound, _| bound.saturating_mul(CLASS_STEP))
}

/// Index of node `index` of tree level `level` among a tree's nodes.
fn node_id(level: u32, index: u32) -> u32 {
	// Nodes above `level`: 1 + F + … + F^(level-1).
	let above = (0..level).fold(0u32, |sum, l| sum.saturating_add((FANOUT as u32).pow(l)));
	above.saturating_add(index)
}

/// The level and index of the node numbered `id` (the inverse of [`node_id`]).
#[cfg(any(test, feature = "try-runtime"))]
fn node_at(id: u32) -> Option<(u32, u32)> {
	let mut first = 0u32;
	for level in 0..TREE_DEPTH {
		let nodes = (FANOUT as u32).pow(level);
		if id < first.saturating_add(nodes) {
			return Some((level, id.saturating_sub(first)));
		}
		first = first.saturating_add(nodes);
	}
	None
}

/// The node of level `level` above `leaf` and the entry of it that covers `leaf`.
fn position(leaf: u32, level: u32) -> (u32, usize) {
	let below = (FANOUT as u32).pow(TREE_DEPTH.saturating_sub(1).saturating_sub(level));
	let child = leaf / below;
	(child / FANOUT as u32, (child % FANOUT as u32) as usize)
}

impl<T: Config> Pallet<T> {
	/// The capacity class of offers of `max_fuel` and `max_memory_mib`: every offer of a class
	/// allows at least its lower bounds.
	pub fn class_of(max_fuel: u64, max_memory_mib: u32) -> u8 {
		dimension_class(max_fuel, T::MinOfferFuel::get())
			.saturating_mul(CLASSES_PER_DIMENSION)
			.saturating_add(dimension_class(
				max_memory_mib.into(),
				T::MinOfferMemoryMib::get().into(),
			))
	}

	/// The classes that may hold offers fitting `req` (fuel and memory class at least those of
	/// the task's needs), and those the trees draw from: the classes whose every offer fits it
	/// (in a dimension where the task needs more than the top class's bound, the top class,
	/// whose offers are checked one by one).
	fn classes_for(req: &Requirements<T::AccountId, BalanceOf<T>>) -> (Vec<u8>, Vec<u8>) {
		let (min_fuel, min_memory) = (T::MinOfferFuel::get(), T::MinOfferMemoryMib::get().into());
		let memory_need = u64::from(req.memory_mib);
		let top = CLASSES_PER_DIMENSION.saturating_sub(1);
		let fuel = dimension_class(req.fuel, min_fuel);
		let memory = dimension_class(memory_need, min_memory);
		let sure_fuel = |f: u8| f == top || dimension_bound(f, min_fuel) >= req.fuel;
		let sure_memory = |m: u8| m == top || dimension_bound(m, min_memory) >= memory_need;
		let mut may = Vec::new();
		let mut sure = Vec::new();
		for f in fuel..CLASSES_PER_DIMENSION {
			for m in memory..CLASSES_PER_DIMENSION {
				let class = f.saturating_mul(CLASSES_PER_DIMENSION).saturating_add(m);
				may.push(class);
				if sure_fuel(f) && sure_memory(m) {
					sure.push(class);
				}
			}
		}
		(may, sure)
	}

	/// The `i`-th random number of a draw seeded by `seed`.
	fn random(seed: &[u8; 32], i: u32) -> u128 {
		let hash = blake2_256(&(seed, i).encode());
		u128::decode(&mut hash.as_slice()).unwrap_or_default()
	}

	/// Whether `who`'s `offer` may take a task of `req` now (all but the reputation floor).
	fn offer_fits(
		who: &T::AccountId,
		offer: &Offer<BalanceOf<T>, BlockNumberFor<T>>,
		req: &Requirements<T::AccountId, BalanceOf<T>>,
		now: BlockNumberFor<T>,
	) -> bool {
		*who != req.requester
			&& !req.excluded.contains(who)
			&& offer.active_from <= now
			&& offer.price_per_mfuel <= req.max_price
			&& offer.max_fuel >= req.fuel
			&& offer.max_memory_mib >= req.memory_mib
	}

	/// A confidential task's members that may take a seat now — `(provider, price, weight)`,
	/// weighted by bond × reputation — and the expired offers met. Reads at most
	/// [`bourse_primitives::confidential::MAX_MEMBERS`] members, each once: an offer that fits
	/// the task, a free slot, not paused, and the encryption key its secret was sealed to still
	/// live ([`crate::EncryptionKeySet::is_live`]). Writes nothing.
	#[allow(clippy::type_complexity)]
	pub(crate) fn listed(
		req: &Requirements<T::AccountId, BalanceOf<T>>,
		now: BlockNumberFor<T>,
	) -> (Vec<Candidate<T>>, Vec<(T::AccountId, Offer<BalanceOf<T>, BlockNumberFor<T>>)>) {
		let mut candidates: Vec<Candidate<T>> = Vec::new();
		let mut expired = Vec::new();
		let members = req.only.iter().take(bourse_primitives::confidential::MAX_MEMBERS);
		for (index, (who, key)) in members.enumerate() {
			// Each account once, its first entry (a repeat never doubles a chance).
			if req.only.iter().take(index).any(|(earlier, _)| earlier == who) {
				continue;
			}
			let Some(offer) = Offers::<T>::get(who) else { continue };
			if offer.is_expired(&now) {
				expired.push((who.clone(), offer));
				continue;
			}
			if !Self::offer_fits(who, &offer, req, now) || Self::is_paused(who) {
				continue;
			}
			let Some(provider) = Providers::<T>::get(who) else { continue };
			if Self::free_slots(who, &provider, &offer) == 0 {
				continue;
			}
			if !EncryptionKeys::<T>::get(who).is_some_and(|keys| keys.is_live(key, &now)) {
				continue;
			}
			let score = T::Reputation::score(who);
			if score < req.min_reputation {
				continue;
			}
			let weight = Self::weight_of(provider.bond, score);
			candidates.push((who.clone(), offer.price_per_mfuel, weight));
		}
		(candidates, expired)
	}

	/// The selection weight of a provider of `bond` and reputation `score`: never zero.
	pub(crate) fn weight_of(bond: BalanceOf<T>, score: Perbill) -> u128 {
		score.mul_floor(bond.saturated_into::<u128>()).max(1)
	}

	/// The cheapest eligible offers for `req` — `(provider, price, weight)`, cheapest first, at
	/// most [`Config::MaxCandidates`] — and the expired offers met on the way. Reads at most
	/// [`Config::ScanPerClass`] index entries of each class that may fit; writes nothing.
	#[allow(clippy::type_complexity)]
	pub(crate) fn scan(
		req: &Requirements<T::AccountId, BalanceOf<T>>,
		now: BlockNumberFor<T>,
	) -> (Vec<Candidate<T>>, Vec<(T::AccountId, Offer<BalanceOf<T>, BlockNumberFor<T>>)>) {
		let max_price: u128 = req.max_price.saturated_into();
		let mut candidates = Vec::new();
		let mut expired = Vec::new();
		for class in Self::classes_for(req).0 {
			let entries =
				Available::<T>::iter_prefix((class,)).take(T::ScanPerClass::get() as usize);
			for ((key, who), ()) in entries {
				if u128::from_be_bytes(key) > max_price {
					break;
				}
				let (Some(offer), Some(provider)) =
					(Offers::<T>::get(&who), Providers::<T>::get(&who))
				else {
					continue;
				};
				if offer.is_expired(&now) {
					expired.push((who, offer));
					continue;
				}
				if !Self::offer_fits(&who, &offer, req, now) {
					continue;
				}
				let score = T::Reputation::score(&who);
				if score < req.min_reputation {
					continue;
				}
				candidates.push((
					who,
					offer.price_per_mfuel,
					Self::weight_of(provider.bond, score),
				));
			}
		}
		// Stable: equal prices keep the classes' order, the same on every node.
		candidates.sort_by_key(|c| c.1);
		candidates.truncate(T::MaxCandidates::get() as usize);
		(candidates, expired)
	}

	/// Draws one of `candidates` weighted by their weights, with random number `i` of `seed`,
	/// and takes it out of the list.
	fn draw_from(
		candidates: &mut Vec<Candidate<T>>,
		seed: &[u8; 32],
		i: u32,
	) -> Option<Candidate<T>> {
		let total = candidates.iter().fold(0u128, |sum, c| sum.saturating_add(c.2));
		let mut point = Self::random(seed, i) % total.max(1);
		let mut pick = candidates.len().checked_sub(1)?;
		for (index, candidate) in candidates.iter().enumerate() {
			if point < candidate.2 {
				pick = index;
				break;
			}
			point = point.saturating_sub(candidate.2);
		}
		Some(candidates.swap_remove(pick))
	}

	/// The weight of `seat` in its tree.
	pub fn seat_weight(seat: Seat) -> u128 {
		let (node, entry) = position(seat.leaf, TREE_DEPTH.saturating_sub(1));
		TreeNodes::<T>::get(seat.class, node_id(TREE_DEPTH.saturating_sub(1), node))
			.and_then(|n| n.get(entry).copied())
			.unwrap_or_default()
	}

	/// Draws a seat of the classes `classes` weighted by the trees, leaving out the seats of
	/// `excluded` (with their weights): sampling without replacement, `FANOUT`·depth reads.
	fn draw_seat(
		classes: &[u8],
		excluded: &[(Seat, u128)],
		seed: &[u8; 32],
		i: u32,
	) -> Option<(Seat, u128)> {
		let totals = ClassWeights::<T>::get();
		let left_out = |class: u8, level: u32, child: u32| -> u128 {
			excluded
				.iter()
				.filter(|(seat, _)| {
					seat.class == class
						&& (level == 0 || {
							let (node, entry) = position(seat.leaf, level.saturating_sub(1));
							node.saturating_mul(FANOUT as u32).saturating_add(entry as u32) == child
						})
				})
				.fold(0u128, |sum, (_, w)| sum.saturating_add(*w))
		};
		let weight_of_class = |class: u8| -> u128 {
			totals
				.get(usize::from(class))
				.copied()
				.unwrap_or_default()
				.saturating_sub(left_out(class, 0, 0))
		};
		let total = classes.iter().fold(0u128, |sum, c| sum.saturating_add(weight_of_class(*c)));
		if total == 0 {
			return None;
		}
		let mut point = Self::random(seed, i) % total;
		let mut class = *classes.last()?;
		for c in classes {
			let weight = weight_of_class(*c);
			if point < weight {
				class = *c;
				break;
			}
			point = point.saturating_sub(weight);
		}
		// Descend: at each level, the child whose (remaining) weight holds the point.
		let mut index = 0u32;
		let mut weight = 0u128;
		for level in 0..TREE_DEPTH {
			let node = TreeNodes::<T>::get(class, node_id(level, index)).unwrap_or_default();
			let mut next = None;
			for (entry, sum) in node.iter().enumerate() {
				let child = index.saturating_mul(FANOUT as u32).saturating_add(entry as u32);
				let left = sum.saturating_sub(left_out(class, level.saturating_add(1), child));
				if point < left {
					next = Some((child, left));
					break;
				}
				point = point.saturating_sub(left);
			}
			(index, weight) = next?;
		}
		Some((Seat { class, leaf: index }, weight))
	}

	/// Chooses and reserves providers for a task; see [`ProviderMarket::select`].
	pub(crate) fn do_select(
		req: &Requirements<T::AccountId, BalanceOf<T>>,
	) -> Result<Chosen<T>, SelectionError> {
		let now = frame_system::Pallet::<T>::block_number();
		let wanted = req.replication as usize;
		if wanted == 0 || req.replication > T::MaxReplication::get() {
			return Err(SelectionError::NotEnoughProviders);
		}
		let mut chosen: Vec<(T::AccountId, BalanceOf<T>)> = Vec::with_capacity(wanted);
		let mut excluded: Vec<(Seat, u128)> = Vec::new();
		let mut expired = Vec::new();
		// A confidential task's seats come from its members alone…
		if !req.only.is_empty() {
			let (mut listed, met) = Self::listed(req, now);
			expired = met;
			let mut draw = 0u32;
			while chosen.len() < wanted {
				let Some((who, price, _)) = Self::draw_from(&mut listed, &req.seed, draw) else {
					break;
				};
				chosen.push((who, price));
				draw = draw.saturating_add(1);
			}
		}
		// …a single seat goes to the cheapest eligible offers (price competition)…
		else if wanted == 1 && !req.by_stake {
			let (mut window, met) = Self::scan(req, now);
			expired = met;
			if let Some((who, price, _)) = Self::draw_from(&mut window, &req.seed, 0) {
				chosen.push((who, price));
			}
		}
		// …the seats of a replicated task (and a single seat whose window holds nobody
		// eligible) are drawn from all offers that surely fit, by bond × reputation: a
		// replicated task buys trust, which cheapness cannot capture.
		let sure = Self::classes_for(req).1;
		let most = req.replication.saturating_add(SPARE_DRAWS);
		let mut draw = 0u32;
		while chosen.len() < wanted && draw < most && req.only.is_empty() {
			draw = draw.saturating_add(1);
			let Some((seat, weight)) = Self::draw_seat(&sure, &excluded, &req.seed, draw) else {
				break;
			};
			excluded.push((seat, weight));
			let Some(who) = SeatHolders::<T>::get(seat.class, seat.leaf) else { continue };
			let Some(offer) = Offers::<T>::get(&who) else { continue };
			if offer.is_expired(&now) {
				if !expired.iter().any(|(e, _)| *e == who) {
					expired.push((who, offer));
				}
				continue;
			}
			if !Self::offer_fits(&who, &offer, req, now)
				|| T::Reputation::score(&who) < req.min_reputation
			{
				continue;
			}
			chosen.push((who, offer.price_per_mfuel));
		}
		// Selection writes nothing but the removal of an expired offer it met, even when it
		// fails.
		for (who, offer) in expired.into_iter().take(REMOVALS_PER_SELECTION) {
			Self::remove_offer(&who, &offer);
			Self::deposit_event(Event::OfferExpired { provider: who });
		}
		if chosen.len() < wanted {
			return Err(SelectionError::NotEnoughProviders);
		}
		for (provider, _) in &chosen {
			Providers::<T>::mutate(provider, |p| {
				if let Some(p) = p {
					p.busy_slots = p.busy_slots.saturating_add(1);
				}
			});
			Self::sync_index(provider);
		}
		Ok(chosen.into_iter().map(|(provider, price)| Assignment { provider, price }).collect())
	}

	/// Sets the weight of `seat` to `weight`, and every sum above it.
	pub(crate) fn set_seat_weight(seat: Seat, weight: u128) {
		let old = Self::seat_weight(seat);
		if old == weight {
			return;
		}
		for level in 0..TREE_DEPTH {
			let (node, entry) = position(seat.leaf, level);
			TreeNodes::<T>::mutate_exists(seat.class, node_id(level, node), |stored| {
				let mut sums = stored.unwrap_or_default();
				if let Some(sum) = sums.get_mut(entry) {
					*sum = sum.saturating_sub(old).saturating_add(weight);
				}
				*stored = sums.iter().any(|s| *s != 0).then_some(sums);
			});
		}
		ClassWeights::<T>::mutate(|totals| {
			if let Some(total) = totals.get_mut(usize::from(seat.class)) {
				*total = total.saturating_sub(old).saturating_add(weight);
			}
		});
	}

	/// Gives `who` the next seat of `class` (weight zero until [`Pallet::sync_index`]).
	pub(crate) fn take_seat(who: &T::AccountId, class: u8) {
		let mut counts = SeatCounts::<T>::get();
		let Some(count) = counts.get_mut(usize::from(class)) else { return };
		if *count >= SEATS_PER_CLASS {
			return; // unreachable: `integrity_test` bounds the providers by the seats
		}
		let seat = Seat { class, leaf: *count };
		*count = count.saturating_add(1);
		SeatCounts::<T>::put(counts);
		SeatHolders::<T>::insert(class, seat.leaf, who);
		Seats::<T>::insert(who, seat);
	}

	/// Takes `who`'s seat away; the last seat of its class moves into the gap.
	pub(crate) fn free_seat(who: &T::AccountId) {
		let Some(seat) = Seats::<T>::take(who) else { return };
		Self::set_seat_weight(seat, 0);
		let mut counts = SeatCounts::<T>::get();
		let Some(count) = counts.get_mut(usize::from(seat.class)) else { return };
		let last = Seat { class: seat.class, leaf: count.saturating_sub(1) };
		*count = last.leaf;
		SeatCounts::<T>::put(counts);
		let moved = SeatHolders::<T>::take(last.class, last.leaf);
		if last.leaf == seat.leaf {
			return;
		}
		if let Some(moved) = moved {
			let weight = Self::seat_weight(last);
			Self::set_seat_weight(last, 0);
			Self::set_seat_weight(seat, weight);
			SeatHolders::<T>::insert(seat.class, seat.leaf, &moved);
			Seats::<T>::insert(&moved, seat);
		}
	}

	/// The selection trees' invariants: seats and their holders match one to one, each offer
	/// has a seat of its class, seats of a class are numbered from zero without gaps, a seat
	/// weighs something exactly when its offer is in [`Available`], and every sum is the sum of
	/// what is under it.
	#[cfg(any(test, feature = "try-runtime"))]
	pub fn tree_try_state() -> Result<(), &'static str> {
		let mut seated = [0u32; CLASSES];
		for (who, seat) in Seats::<T>::iter() {
			ensure!(
				SeatHolders::<T>::get(seat.class, seat.leaf).as_ref() == Some(&who),
				"a seat's holder is not its provider"
			);
			let offer = Offers::<T>::get(&who).ok_or("a seat without an offer")?;
			ensure!(
				seat.class == Self::class_of(offer.max_fuel, offer.max_memory_mib),
				"a seat in the wrong class"
			);
			let count = seated.get_mut(usize::from(seat.class)).ok_or("no such class")?;
			*count = count.saturating_add(1);
			let seats = SeatCounts::<T>::get().get(usize::from(seat.class)).copied();
			ensure!(seats.is_some_and(|n| seat.leaf < n), "a seat beyond its class's count");
			let bond = Providers::<T>::get(&who).ok_or("a seat without a provider")?.bond;
			// The score in a weight may be stale (decay is caught up at the next change), but
			// never above 1: a seat weighs at most its bond.
			ensure!(
				Self::seat_weight(seat) <= bond.saturated_into::<u128>().max(1),
				"a seat weighs more than its bond"
			);
			let listed = Available::<T>::contains_key((
				seat.class,
				price_key::<T>(offer.price_per_mfuel),
				&who,
			));
			ensure!(
				listed == (Self::seat_weight(seat) > 0),
				"a seat's weight disagrees with the index"
			);
		}
		ensure!(seated == SeatCounts::<T>::get(), "seat counts are wrong");
		for (class, leaf, who) in SeatHolders::<T>::iter() {
			ensure!(
				Seats::<T>::get(&who) == Some(Seat { class, leaf }),
				"a holder without its seat"
			);
		}
		for who in Offers::<T>::iter_keys() {
			ensure!(Seats::<T>::contains_key(&who), "an offer without a seat");
		}
		let sum = |node: &TreeNode| node.iter().fold(0u128, |a, s| a.saturating_add(*s));
		for (class, id, node) in TreeNodes::<T>::iter() {
			ensure!(node.iter().any(|s| *s != 0), "an empty tree node is kept");
			let (level, index) = node_at(id).ok_or("a tree node beyond the tree")?;
			if level + 1 == TREE_DEPTH {
				let count = seated.get(usize::from(class)).copied().unwrap_or_default();
				for (entry, weight) in node.iter().enumerate() {
					let leaf = index.saturating_mul(FANOUT as u32).saturating_add(entry as u32);
					ensure!(*weight == 0 || leaf < count, "weight on an empty seat");
				}
			}
			if level > 0 {
				let parent = TreeNodes::<T>::get(class, node_id(level - 1, index / FANOUT as u32))
					.unwrap_or_default();
				ensure!(
					parent.get((index % FANOUT as u32) as usize) == Some(&sum(&node)),
					"a tree sum differs from what is under it"
				);
			}
			for (entry, under) in node.iter().enumerate() {
				if level + 1 < TREE_DEPTH && *under != 0 {
					let child = index.saturating_mul(FANOUT as u32).saturating_add(entry as u32);
					let child = TreeNodes::<T>::get(class, node_id(level + 1, child));
					ensure!(child.is_some(), "a tree sum over nothing");
				}
			}
		}
		for (class, total) in ClassWeights::<T>::get().iter().enumerate() {
			let root = TreeNodes::<T>::get(class as u8, 0).map_or(0, |n| sum(&n));
			ensure!(*total == root, "a class total differs from its tree");
		}
		Ok(())
	}
}
