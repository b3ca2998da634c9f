//! Chain specifications, all built from the runtime's genesis presets.

use bourse_runtime::WASM_BINARY;
use polkadot_sdk::{sc_service::ChainType, sp_genesis_builder, *};

/// The chain spec type of Bourse (no node-side extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// The runtime Wasm, or a clear error when the node was built without it.
fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY
		.ok_or_else(|| "The runtime Wasm is not available: rebuild without SKIP_WASM_BUILD".into())
}

/// Token properties shown by wallets and polkadot.js apps.
fn properties() -> sc_service::Properties {
	let mut properties = sc_service::Properties::new();
	properties.insert("tokenSymbol".into(), "BRS".into());
	properties.insert("tokenDecimals".into(), 12.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

/// `--dev`: one validator (Alice), well-known accounts endowed.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Bourse Development")
		.with_id("bourse_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local`: four validators (Alice, Bob, Charlie, Dave).
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Bourse Local Testnet")
		.with_id("bourse_local_testnet")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}
