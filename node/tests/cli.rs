//! The `bourse-node` binary's command line: chain specs from the presets, clear refusals.

use std::process::Command;

fn node() -> Command {
	Command::new(env!("CARGO_BIN_EXE_bourse-node"))
}

#[test]
fn unknown_chain_is_refused_with_a_clear_message() {
	let output = node().args(["--chain", "moon", "--tmp"]).output().expect("bourse-node runs");
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("Unknown chain `moon`"), "stderr: {stderr}");
}

#[test]
fn dev_and_local_chain_specs_come_from_the_presets() {
	for (chain, id, authorities) in [("dev", "bourse_dev", 1), ("local", "bourse_local_testnet", 4)]
	{
		let output = node()
			.args(["export-chain-spec", "--chain", chain])
			.output()
			.expect("bourse-node runs");
		assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
		let spec: serde_json::Value =
			serde_json::from_slice(&output.stdout).expect("JSON chain spec");
		assert_eq!(spec["id"], id);
		assert_eq!(spec["properties"]["tokenSymbol"], "BRS");
		let patch = &spec["genesis"]["runtimeGenesis"]["patch"];
		let babe = patch["babe"]["authorities"].as_array().expect("babe authorities");
		let grandpa = patch["grandpa"]["authorities"].as_array().expect("grandpa authorities");
		assert_eq!((babe.len(), grandpa.len()), (authorities, authorities), "{chain}");
		assert_eq!(patch["babe"]["epochConfig"]["allowed_slots"], "PrimaryAndSecondaryVRFSlots");
	}
}
