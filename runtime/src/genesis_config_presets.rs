//! Genesis presets: `development` (Alice alone) and `local_testnet` (Alice, Bob, Charlie, Dave),
//! where every validator is also a provider with an open offer.

use crate::{
	AccountId, BalancesConfig, OffersConfig, RuntimeGenesisConfig, SudoConfig, MILLI_UNIT, UNIT,
};
use alloc::{vec, vec::Vec};
use bourse_primitives::ExecutorId;
use polkadot_sdk::{
	sp_consensus_babe::AuthorityId as BabeId,
	sp_consensus_grandpa::AuthorityId as GrandpaId,
	sp_genesis_builder::{self, PresetId},
	sp_keyring::{Ed25519Keyring, Sr25519Keyring},
	*,
};
use serde_json::Value;

/// What every endowed account starts with.
const ENDOWMENT: u128 = 1_000_000 * UNIT;

/// Bond of each genesis provider: covers every slot many times over.
const PROVIDER_BOND: u128 = 1_000 * UNIT;
/// Price of each genesis offer: 1 mBRS per million fuel.
const PROVIDER_PRICE: u128 = MILLI_UNIT;
/// Most fuel per task of each genesis offer.
const PROVIDER_MAX_FUEL: u64 = 10_000_000_000;
/// Most memory per task of each genesis offer, in MiB.
const PROVIDER_MAX_MEMORY_MIB: u32 = 512;
/// Concurrent tasks of each genesis offer.
const PROVIDER_SLOTS: u32 = 4;

/// One validator, which is also a provider: its account, consensus keys and executor key, all
/// from one dev seed (the keys `--dev` and `--alice` … put in the node's keystore).
struct Validator {
	account: AccountId,
	babe: BabeId,
	grandpa: GrandpaId,
	executor: ExecutorId,
}

impl Validator {
	fn dev(sr: Sr25519Keyring, ed: Ed25519Keyring) -> Self {
		Self {
			account: sr.to_account_id(),
			babe: sr.public().into(),
			grandpa: ed.public().into(),
			executor: sr.public().into(),
		}
	}
}

/// The genesis patch as JSON; `None` if it cannot be serialized (then the preset is unknown
/// rather than silently empty).
fn genesis(validators: Vec<Validator>, endowed: Vec<AccountId>, root: AccountId) -> Option<Value> {
	let config = RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.into_iter().map(|account| (account, ENDOWMENT)).collect(),
			..Default::default()
		},
		babe: pallet_babe::GenesisConfig {
			authorities: validators.iter().map(|v| (v.babe.clone(), 1)).collect(),
			epoch_config: crate::BABE_GENESIS_EPOCH_CONFIG,
			..Default::default()
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: validators.iter().map(|v| (v.grandpa.clone(), 1)).collect(),
			..Default::default()
		},
		sudo: SudoConfig { key: Some(root) },
		offers: OffersConfig {
			providers: validators
				.iter()
				.map(|v| pallet_offers::GenesisProvider {
					account: v.account.clone(),
					executor: v.executor.clone(),
					bond: PROVIDER_BOND,
					price_per_mfuel: PROVIDER_PRICE,
					max_fuel: PROVIDER_MAX_FUEL,
					max_memory_mib: PROVIDER_MAX_MEMORY_MIB,
					slots: PROVIDER_SLOTS,
				})
				.collect(),
		},
		..Default::default()
	};
	serde_json::to_value(config).ok()
}

/// Single-validator development chain: Alice produces and finalizes blocks.
pub fn development_config_genesis() -> Option<Value> {
	genesis(
		vec![Validator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// Four-validator local testnet: Alice, Bob, Charlie and Dave.
pub fn local_testnet_genesis() -> Option<Value> {
	use Ed25519Keyring as E;
	use Sr25519Keyring as S;
	genesis(
		vec![
			Validator::dev(S::Alice, E::Alice),
			Validator::dev(S::Bob, E::Bob),
			Validator::dev(S::Charlie, E::Charlie),
			Validator::dev(S::Dave, E::Dave),
		],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The preset with the given id, as JSON bytes, or `None` for an unknown id.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis()?,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis()?,
		_ => return None,
	};
	serde_json::to_string(&patch).ok().map(|json| json.into_bytes())
}

/// The ids of all presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
