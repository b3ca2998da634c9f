//! What must hold after every block.

use crate::{chain::Chain, Stats};
use bourse_runtime::{AllPalletsWithSystem, Balance, Runtime, RuntimeEvent, System};
use polkadot_sdk::{
	frame_support::{
		dispatch::DispatchClass,
		traits::{TryState, TryStateSelect},
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

/// FRAME's `defensive!` failures the runtime logged on this thread: a release build only logs
/// them (debug builds panic), so the fuzzer listens for them.
struct Defensive;

std::thread_local! {
	static DEFENSIVE: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl log::Log for Defensive {
	fn enabled(&self, metadata: &log::Metadata) -> bool {
		metadata.level() <= log::Level::Error && metadata.target() == "runtime::defensive"
	}

	fn log(&self, record: &log::Record) {
		if self.enabled(record.metadata()) {
			DEFENSIVE.with(|found| found.borrow_mut().push(record.args().to_string()));
		}
	}

	fn flush(&self) {}
}

/// Listens for defensive failures (once per process; another logger already set wins).
pub fn listen_for_defensive_failures() {
	static LOGGER: Defensive = Defensive;
	if log::set_logger(&LOGGER).is_ok() {
		log::set_max_level(log::LevelFilter::Error);
	}
}

/// Checks the block just finalized; counts its events.
pub fn after_block(
	chain: &mut Chain,
	ledger: &mut Ledger,
	stats: &mut Stats,
) -> Result<(), String> {
	let number = chain.number;
	if let Some(failure) = DEFENSIVE.with(|found| found.borrow_mut().drain(..).next()) {
		return Err(format!("defensive failure: {failure}"));
	}
	chain.with_state(|| {
		if let Err(e) = AllPalletsWithSystem::try_state(number, TryStateSelect::All) {
			// FRAME logs which pallet failed; say it here, with the Bourse pallet's reason.
			let bourse = [
				("Tasks", pallet_tasks::Pallet::<Runtime>::do_try_state()),
				("Offers", pallet_offers::Pallet::<Runtime>::do_try_state()),
				("Attestation", pallet_attestation::Pallet::<Runtime>::do_try_state()),
				("Reputation", pallet_reputation::Pallet::<Runtime>::do_try_state()),
			];
			let reason = bourse
				.into_iter()
				.find_map(|(pallet, result)| result.err().map(|why| format!("{pallet}: {why}")));
			return Err(format!("try_state: {}", reason.unwrap_or_else(|| format!("{e:?}"))));
		}

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
			if crate::tracing() {
				eprintln!("#{number} {event:?}");
			}
			match event {
				RuntimeEvent::TransactionPayment(
					// The fee includes the tip; both are burned (no fee handler).
					pallet_transaction_payment::Event::TransactionFeePaid { actual_fee, .. },
				) => burned = burned.saturating_add(*actual_fee),
				RuntimeEvent::Balances(balances) => match balances {
					pallet_balances::Event::Burned { amount, .. }
					| pallet_balances::Event::BurnedHeld { amount, .. }
					| pallet_balances::Event::DustLost { amount, .. }
					| pallet_balances::Event::Rescinded { amount } => burned = burned.saturating_add(*amount),
					pallet_balances::Event::Minted { amount, .. }
					| pallet_balances::Event::Issued { amount } => minted = minted.saturating_add(*amount),
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

/// `Pallet::Event::Variant` of an event.
pub fn event_name(event: &RuntimeEvent) -> String {
	crate::chain::variant_name(&format!("{event:?}"))
}

/// Whether every task has settled (completed, failed, or a lone answer delivered) and nothing
/// waits to be drawn.
pub fn settled(chain: &mut Chain) -> bool {
	chain.with_state(|| {
		pallet_tasks::Pending::<Runtime>::get().is_empty()
			&& pallet_tasks::Queue::<Runtime>::get().is_empty()
			&& pallet_tasks::Tasks::<Runtime>::iter_values().all(|task| task_settled(&task.state))
	})
}

fn task_settled(state: &pallet_tasks::TaskState<Runtime>) -> bool {
	matches!(
		state,
		pallet_tasks::TaskState::Completed { .. }
			| pallet_tasks::TaskState::Failed { .. }
			| pallet_tasks::TaskState::Delivered { .. }
	)
}

/// The ids of the tasks not settled, with their states.
pub fn open_tasks(chain: &mut Chain) -> Vec<(u64, String)> {
	chain.with_state(|| {
		pallet_tasks::Tasks::<Runtime>::iter()
			.filter(|(_, task)| !task_settled(&task.state))
			.map(|(id, task)| (id, format!("{:?}", task.state)))
			.take(4)
			.collect()
	})
}

/// Once every task has settled: no escrow held, no provider slot busy.
pub fn nothing_left(chain: &mut Chain) -> Result<(), String> {
	use bourse_runtime::RuntimeHoldReason;
	chain.with_state(|| {
		for (who, holds) in pallet_balances::Holds::<Runtime>::iter() {
			for hold in holds {
				if hold.id == RuntimeHoldReason::Tasks(pallet_tasks::HoldReason::TaskEscrow)
					&& hold.amount > 0
				{
					return Err(format!(
						"{who} has {} held in escrow with every task settled",
						hold.amount
					));
				}
			}
		}
		for (who, provider) in pallet_offers::Providers::<Runtime>::iter() {
			if provider.busy_slots > 0 {
				return Err(format!(
					"{who} has {} slots busy with every task settled",
					provider.busy_slots
				));
			}
		}
		Ok(())
	})
}

/// The protocol's promise to honest providers: nothing a requester or another provider does
/// gets them slashed. A provider counts as honest while every node holding its executor key
/// runs honestly and its operator signs nothing its node did not run (a provider whose key no
/// node holds, whose node ever lied, hung, abstained, ran another version, went silent or
/// offline, or whose key signed a forged claim the chain took, is tainted for the rest of the
/// sequence). Two
/// lying nodes can agree on the same wrong output and out-vote an honest one (a known limit of
/// majorities), and root can stop accepting the honest version; in those sequences the promise
/// is not checked.
#[derive(Default)]
pub struct Honesty {
	tainted: std::collections::BTreeSet<bourse_runtime::AccountId>,
	liars: std::collections::BTreeSet<usize>,
	root_changed_versions: bool,
}

impl Honesty {
	/// Notes, after a block, which providers can no longer count as honest.
	pub fn observe(&mut self, chain: &mut Chain) {
		use crate::nodes::Behaviour;
		use polkadot_sdk::sp_keystore::Keystore;
		for (index, node) in chain.nodes.iter().enumerate() {
			if matches!(node.behaviour, Behaviour::Liar | Behaviour::FuelLiar) {
				self.liars.insert(index);
			}
		}
		let held: Vec<(Behaviour, Vec<[u8; 32]>)> = chain
			.nodes
			.iter()
			.map(|node| {
				let keys =
					node.keystore.sr25519_public_keys(bourse_primitives::executor_key::KEY_TYPE);
				(node.behaviour, keys.into_iter().map(|key| key.0).collect())
			})
			.collect();
		let (providers, versions) = chain.with_state(|| {
			let providers: Vec<(bourse_runtime::AccountId, [u8; 32])> =
				pallet_offers::Providers::<Runtime>::iter()
					.map(|(who, record)| {
						let key: &[u8] = record.executor.as_ref();
						(who, key.try_into().unwrap_or_default())
					})
					.collect();
			(providers, pallet_attestation::AcceptedVersions::<Runtime>::get())
		});
		if !versions.contains(&bourse_primitives::EXECUTOR_VERSION) {
			self.root_changed_versions = true;
		}
		self.tainted.extend(chain.forgers.iter().cloned());
		for (who, key) in providers {
			let holders: Vec<Behaviour> = held
				.iter()
				.filter(|(_, keys)| keys.contains(&key))
				.map(|(behaviour, _)| *behaviour)
				.collect();
			if holders.is_empty() || holders.iter().any(|b| *b != Behaviour::Honest) {
				self.tainted.insert(who);
			}
		}
	}

	/// Whether the promise is checked in this sequence so far.
	fn checked(&self) -> bool {
		self.liars.len() <= 1 && !self.root_changed_versions
	}

	/// The block's slashes spared every honest provider.
	pub fn check(&self, chain: &mut Chain) -> Result<(), String> {
		if !self.checked() {
			return Ok(());
		}
		chain.with_state(|| {
			for record in System::events() {
				if let RuntimeEvent::Tasks(pallet_tasks::Event::ProviderSlashed {
					task_id,
					provider,
					amount,
				}) = record.event
				{
					if !self.tainted.contains(&provider) {
						let state = pallet_tasks::Tasks::<Runtime>::get(task_id).map(|t| t.state);
						return Err(format!(
							"honest provider {provider} slashed {amount} for task {task_id}: {state:?}"
						));
					}
				}
			}
			Ok(())
		})
	}
}
