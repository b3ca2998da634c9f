//! Genesis presets: `development` (Alice alone) and `local_testnet` (Alice, Bob, Charlie, Dave).

use crate::{AccountId, BalancesConfig, RuntimeGenesisConfig, SudoConfig, UNIT};
use alloc::{vec, vec::Vec};
use polkadot_sdk::{
	sp_consensus_aura::sr25519::AuthorityId as AuraId,
	sp_consensus_grandpa::AuthorityId as GrandpaId,
	sp_genesis_builder::{self, PresetId},
	sp_keyring::{Ed25519Keyring, Sr25519Keyring},
	*,
};
use serde_json::Value;

/// What every endowed account starts with.
const ENDOWMENT: u128 = 1_000_000 * UNIT;

/// One validator: its account and consensus keys, all from one dev seed.
struct Validator {
	aura: AuraId,
	grandpa: GrandpaId,
}

impl Validator {
	fn dev(sr: Sr25519Keyring, ed: Ed25519Keyring) -> Self {
		Self { aura: sr.public().into(), grandpa: ed.public().into() }
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
		aura: pallet_aura::GenesisConfig {
			authorities: validators.iter().map(|v| v.aura.clone()).collect(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: validators.iter().map(|v| (v.grandpa.clone(), 1)).collect(),
			..Default::default()
		},
		sudo: SudoConfig { key: Some(root) },
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
