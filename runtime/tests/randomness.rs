//! Assignment's randomness and author on the real runtime: a block's own BABE VRF output, derived
//! as `pallet_babe` derives it, mixed with the parent hash; its author from the same pre-digest.
#![allow(clippy::unwrap_used)]

use bourse_runtime::{configs::BlockVrfRandomness, genesis_config_presets, Babe, Runtime, System};
use codec::Encode;
use polkadot_sdk::{
	frame_support::{
		genesis_builder_helper::build_state,
		traits::{Hooks, Randomness},
	},
	pallet_babe,
	sp_consensus_babe::{
		digests::{PreDigest, SecondaryVRFPreDigest},
		make_vrf_transcript, BABE_ENGINE_ID,
	},
	sp_core::{
		crypto::{Pair as _, VrfSecret},
		sr25519, H256,
	},
	sp_io::TestExternalities,
	sp_runtime::{traits::Hash, Digest, DigestItem},
};

/// The dev chain's genesis state.
fn dev_chain() -> TestExternalities {
	let json = genesis_config_presets::get_preset(&"development".into()).expect("the dev preset");
	let mut ext = TestExternalities::default();
	ext.execute_with(|| {
		build_state::<bourse_runtime::RuntimeGenesisConfig>(json).expect("the preset builds");
	});
	ext
}

/// The randomness of block 1 authored by Alice (the dev chain's authority) in `slot`, on
/// `parent`; and the VRF output `pallet_babe` derived for it at `on_finalize`.
fn block_one(slot: u64, parent: H256) -> (H256, Option<[u8; 32]>) {
	dev_chain().execute_with(|| {
		let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
		let transcript = make_vrf_transcript(
			&pallet_babe::Randomness::<Runtime>::get(),
			slot.into(),
			pallet_babe::EpochIndex::<Runtime>::get(),
		);
		let pre_digest = PreDigest::SecondaryVRF(SecondaryVRFPreDigest {
			authority_index: 0,
			slot: slot.into(),
			vrf_signature: alice.vrf_sign(&transcript.into_sign_data()),
		});
		let digest =
			Digest { logs: vec![DigestItem::PreRuntime(BABE_ENGINE_ID, pre_digest.encode())] };
		System::initialize(&1, &parent, &digest);
		Babe::on_initialize(1);
		let (random, block) = BlockVrfRandomness::random(b"subject");
		assert_eq!(block, 1);
		Babe::on_finalize(1);
		(random, pallet_babe::AuthorVrfRandomness::<Runtime>::get())
	})
}

#[test]
fn a_blocks_randomness_is_its_vrf_output_mixed_with_its_parent() {
	let parent = H256::repeat_byte(1);
	let (random, vrf) = block_one(1_000, parent);
	assert!(vrf.is_some(), "pallet_babe derived a VRF output");
	let expected = <polkadot_sdk::sp_runtime::traits::BlakeTwo256 as Hash>::hash_of(&(
		vrf,
		parent,
		b"subject".as_slice(),
	));
	assert_eq!(random, expected, "the output pallet_babe derives, and the parent hash");
	// Another slot (another VRF output), another parent: another draw.
	assert_ne!(block_one(1_001, parent).0, random);
	assert_ne!(block_one(1_000, H256::repeat_byte(2)).0, random);
	// The same block, the same draw on every node.
	assert_eq!(block_one(1_000, parent).0, random);
}

/// The tasks pallet's benchmarks weigh the VRF derivation, not the parent-hash fallback: the
/// block the runtime's benchmark helper sets up has a pre-digest the randomness is derived from.
#[cfg(feature = "runtime-benchmarks")]
#[test]
fn the_benchmarks_weigh_the_vrf_derivation() {
	use pallet_tasks::BenchmarkHelper;
	dev_chain().execute_with(|| {
		let (fallback, _) = BlockVrfRandomness::random(b"subject");
		let parent = System::parent_hash();
		let none: Option<[u8; 32]> = None;
		let expected = <polkadot_sdk::sp_runtime::traits::BlakeTwo256 as Hash>::hash_of(&(
			none,
			parent,
			b"subject".as_slice(),
		));
		assert_eq!(fallback, expected, "without a pre-digest: the parent hash alone");
		bourse_runtime::configs::MarketBenchmarks::set_block_randomness();
		let (derived, _) = BlockVrfRandomness::random(b"subject");
		assert_ne!(derived, fallback, "with the helper's pre-digest: a VRF output");
	});
}

/// Block 1 with `authorities` (dev keys) and, if `author` is given, that authority's BABE
/// pre-digest: who the tasks pallet sees as the block's author.
fn author_of_block_one(authorities: &[&str], author: Option<u32>) -> pallet_tasks::Authored {
	use bourse_runtime::configs::BabeBlockAuthor;
	use pallet_tasks::BlockAuthor;
	use polkadot_sdk::{sp_consensus_babe::AuthorityId, sp_core::crypto::Pair as _};
	dev_chain().execute_with(|| {
		let pairs: Vec<sr25519::Pair> = authorities
			.iter()
			.map(|name| sr25519::Pair::from_string(&format!("//{name}"), None).unwrap())
			.collect();
		let set: Vec<(AuthorityId, u64)> =
			pairs.iter().map(|pair| (pair.public().into(), 1)).collect();
		pallet_babe::Authorities::<Runtime>::put(
			polkadot_sdk::frame_support::WeakBoundedVec::force_from(set, None),
		);
		let logs = author
			.map(|index| {
				let slot = 1_000u64;
				let transcript = make_vrf_transcript(
					&pallet_babe::Randomness::<Runtime>::get(),
					slot.into(),
					pallet_babe::EpochIndex::<Runtime>::get(),
				);
				let pre_digest = PreDigest::SecondaryVRF(SecondaryVRFPreDigest {
					authority_index: index,
					slot: slot.into(),
					vrf_signature: pairs[index as usize].vrf_sign(&transcript.into_sign_data()),
				});
				vec![DigestItem::PreRuntime(BABE_ENGINE_ID, pre_digest.encode())]
			})
			.unwrap_or_default();
		System::initialize(&1, &H256::repeat_byte(1), &Digest { logs });
		Babe::on_initialize(1);
		BabeBlockAuthor::author()
	})
}

#[test]
fn the_tasks_pallet_sees_the_babe_author_of_the_block_by_key() {
	use pallet_tasks::Authored;
	use polkadot_sdk::sp_core::crypto::Pair as _;
	let bob = sr25519::Pair::from_string("//Bob", None).unwrap().public().0;
	assert_eq!(author_of_block_one(&["Alice", "Bob"], Some(1)), Authored::By(bob));
	// The dev chain's sole authority draws in every block: nobody else could.
	assert_eq!(author_of_block_one(&["Alice"], Some(0)), Authored::Alone);
	// No pre-digest (only genesis, tests and benchmarks): unknown.
	assert_eq!(author_of_block_one(&["Alice", "Bob"], None), Authored::Unknown);
}

/// The tasks pallet reads the author and randomness `pallet_babe` keeps while a block executes:
/// BABE's hooks must run first, which follows the order of the pallets in the runtime.
#[test]
fn babe_initializes_before_the_tasks_pallet_draws() {
	use polkadot_sdk::frame_support::traits::PalletInfoAccess;
	assert!(Babe::index() < bourse_runtime::Tasks::index());
}

/// The tasks pallet's `draw_rule` benchmark weighs a block whose author is known by key (the
/// costliest path: the key compared with the parent's author, the draws deferred).
#[cfg(feature = "runtime-benchmarks")]
#[test]
fn the_benchmarks_weigh_an_authored_block() {
	use bourse_runtime::configs::BabeBlockAuthor;
	use pallet_tasks::{Authored, BenchmarkHelper, BlockAuthor};
	dev_chain().execute_with(|| {
		bourse_runtime::configs::MarketBenchmarks::set_block_randomness();
		assert!(matches!(BabeBlockAuthor::author(), Authored::By(_)));
	});
}
