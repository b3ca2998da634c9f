//! What must hold after every block.

use crate::{chain::Chain, Stats};
use bourse_runtime::{AllPalletsWithSystem, Balance, Runtime, RuntimeEvent, System};
use polkadot_sdk::{
	frame_support::{
		dispatch::DispatchClass,
		traits::{Get, TryState, TryStateSelect},
	},
	frame_system, pallet_balances, pallet_transaction_payment,
};

/// The issuance the events account for.
pub struct Ledger {
	/// Total issuance after the last block.
	issuance: Balance,
}

impl Ledger {
	/// Starts from the chain's issuance now.
	pub fn new(chain: &mut Chain) -> Self {
		Self { issuance: chain.with_state(pallet_balances::TotalIssuance::<Runtime>::get) }
	}
}

/// Checks the block just finalized; counts its events.
pub fn after_block(chain: &mut Chain, ledger: &mut Ledger, stats: &mut Stats) -> Result<(), String> {
	let number = chain.number;
	chain.with_state(|| {
		AllPalletsWithSystem::try_state(number, TryStateSelect::All)
			.map_err(|e| format!("try_state: {e:?}"))?;

		// Every unit is in some account.
		let issuance = pallet_balances::TotalIssuance::<Runtime>::get();
		let mut held = 0u128;
		for (_, account) in frame_system::Account::<Runtime>::iter() {
			held = held.saturating_add(account.data.free).saturating_add(account.data.reserved);
		}
		if held != issuance {
			return Err(format!("Σ (free + reserved) = {held} but total issuance = {issuance}"));
		}

		// Issuance moves only by what the events say was burned (fees, burns, slashes, dust),
		// and nothing is ever minted.
		let mut burned = 0u128;
		let mut minted = 0u128;
		for record in System::events() {
			let event = &record.event;
			*stats.events.entry(event_name(event)).or_default() += 1;
			match event {
				RuntimeEvent::TransactionPayment(
					// The fee includes the tip; both are burned (no fee handler).
					pallet_transaction_payment::Event::TransactionFeePaid { actual_fee, .. },
				) => burned = burned.saturating_add(*actual_fee),
				RuntimeEvent::Balances(balances) => match balances {
					pallet_balances::Event::Burned { amount, .. } |
					pallet_balances::Event::BurnedHeld { amount, .. } |
					pallet_balances::Event::DustLost { amount, .. } |
					pallet_balances::Event::Rescinded { amount } => {
						burned = burned.saturating_add(*amount)
					}
					pallet_balances::Event::Minted { amount, .. } |
					pallet_balances::Event::Issued { amount } => {
						minted = minted.saturating_add(*amount)
					}
					_ => {}
				},
				_ => {}
			}
		}
		if minted > 0 {
			return Err(format!("{minted} minted"));
		}
		let expected = ledger.issuance.saturating_sub(burned);
		if issuance != expected {
			return Err(format!(
				"issuance {} → {issuance}, but the events burned {burned} (expected {expected})",
				ledger.issuance
			));
		}
		ledger.issuance = issuance;

		// The block within its weight limits.
		let limits = <Runtime as frame_system::Config>::BlockWeights::get();
		let consumed = frame_system::BlockWeight::<Runtime>::get();
		let total = consumed.total();
		if total.any_gt(limits.max_block) {
			return Err(format!("block weight {total:?} over the limit {:?}", limits.max_block));
		}
		for class in [DispatchClass::Normal, DispatchClass::Operational] {
			if let Some(max) = limits.get(class).max_total {
				if consumed.get(class).any_gt(max) {
					return Err(format!("{class:?} weight {:?} over {max:?}", consumed.get(class)));
				}
			}
		}
		Ok(())
	})
}

/// `Pallet::Variant` of an event.
pub fn event_name(event: &RuntimeEvent) -> String {
	let debug = format!("{event:?}");
	let mut parts = debug.split(|c: char| c == '(' || c == ' ' || c == '{' || c == ')');
	let pallet = parts.next().unwrap_or_default().to_string();
	let variant = parts.find(|p| !p.is_empty()).unwrap_or_default().to_string();
	format!("{pallet}::{variant}")
}
