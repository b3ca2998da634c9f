//! The real runtime in memory, block after block: BABE pre-digests signed by the validators'
//! keys, the timestamp inherent, signed transactions from the dev accounts, and every node's
//! offchain worker after each block, whose answers enter the next block as the pool gives them.

use crate::nodes::{Behaviour, Node};
use bourse_runtime::{
	genesis_config_presets, Address, Executive, Runtime, RuntimeCall, RuntimeGenesisConfig,
	Signature, SignedPayload, System, TxExtension, UncheckedExtrinsic, SLOT_DURATION,
};
use codec::{DecodeAll, Encode};
use polkadot_sdk::{
	frame_support::{
		dispatch::GetDispatchInfo,
		genesis_builder_helper::build_state,
		storage::{with_transaction, TransactionOutcome},
	},
	frame_system, pallet_babe, pallet_timestamp, pallet_transaction_payment,
	sp_consensus_babe::{
		digests::{PreDigest, SecondaryPlainPreDigest, SecondaryVRFPreDigest},
		make_vrf_transcript, BABE_ENGINE_ID,
	},
	sp_core::{
		crypto::{Pair as _, VrfSecret},
		sr25519, H256,
	},
	sp_io::TestExternalities,
	sp_keyring::Sr25519Keyring,
	sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt},
	sp_runtime::{
		generic::{Era, Header},
		traits::{BlakeTwo256, Hash as _, Header as _},
		transaction_validity::TransactionSource,
		ApplyExtrinsicResult, Digest, DigestItem, DispatchError, Storage,
	},
};
use std::{sync::Arc, time::Instant};

/// The block header of the runtime.
pub type BlockHeader = Header<u32, BlakeTwo256>;

/// The validators of the `local_testnet` preset, in BABE's authority order: each is also a
/// provider whose executor key is its account's key.
pub const VALIDATORS: usize = 4;

/// Providers at genesis: the validators, and as many other dev accounts (a committee of 3
/// needs members besides a task's provider, auditor and requester), each with its own node.
pub const PROVIDERS: usize = 8;

/// Nodes: one per genesis provider, and one holding every other dev account's keys.
pub const NODES: usize = PROVIDERS + 1;

/// An account the fuzzer acts as: a dev account with its keys.
pub struct Actor {
	/// Its signing pair (its account is its public key).
	pub pair: sr25519::Pair,
	/// Its dev seed (`//Alice`, `//Alice//stash`), from which its executor keys derive.
	pub seed: String,
}

impl Actor {
	/// Its account.
	pub fn account(&self) -> bourse_runtime::AccountId {
		polkadot_sdk::sp_runtime::MultiSigner::from(self.pair.public()).into_account()
	}

	/// The seed of its `n`th executor key: a validator's first key is its account key (as in
	/// the genesis preset); the others are keys of their own, one hard junction from the dev
	/// phrase so that a keystore holds them by seed.
	pub fn executor_seed(&self, n: u8) -> String {
		executor_seed(&self.seed, n)
	}
}

/// The seed of the `n`th executor key of the dev account of `seed` ([`Actor::executor_seed`]).
pub fn executor_seed(seed: &str, n: u8) -> String {
	if n == 0 && !seed.contains("//stash") {
		seed.to_string()
	} else {
		format!("{}Bour{n}", seed.replace("//stash", "Stash"))
	}
}

use polkadot_sdk::sp_runtime::traits::IdentifyAccount;

/// What applying one transaction gave, and how long it took natively.
pub struct Applied {
	/// `Pallet::call` of what was applied.
	pub call: String,
	/// The pool's verdict (`Err`: not included) and, inside, the dispatch's.
	pub result: ApplyExtrinsicResult,
	/// Native wall time of `apply_extrinsic`, nanoseconds.
	pub nanos: u128,
	/// The weight the call declared (call and extensions), picoseconds of reference time.
	pub declared: u64,
}

/// A node's transaction waiting in the pool.
pub struct Pooled {
	/// The encoded transaction.
	pub bytes: Vec<u8>,
	/// Blocks it has waited.
	pub age: u32,
	/// Blocks it stays valid for, as the pool's check said.
	pub longevity: u32,
}

/// The chain and the nodes around it.
pub struct Chain {
	/// The state.
	pub ext: TestExternalities,
	/// The dev accounts, the validators first.
	pub actors: Vec<Actor>,
	/// One node per validator, then one for every other provider the fuzzer registers.
	pub nodes: Vec<Node>,
	/// A keystore with every key: proofs of possession and executor signatures made while
	/// building a block.
	pub keys: Arc<MemoryKeystore>,
	/// Current block number (the last one finalized).
	pub number: u32,
	/// The last finalized header's hash.
	pub parent: H256,
	/// The current slot.
	pub slot: u64,
	/// Transactions the nodes sent, oldest first.
	pub pool: Vec<Pooled>,
	/// The block's author, as an authority index.
	pub author: u32,
	/// Providers whose own executor key signed a claim their node never made, and the chain
	/// took it: their operator lied, so they are no longer honest.
	pub forgers: std::collections::BTreeSet<bourse_runtime::AccountId>,
}

/// The genesis storage: the `local_testnet` preset, with the dev accounts after the validators
/// also providers (same bond and offer as the validators'), built once per process.
pub fn genesis() -> Storage {
	static GENESIS: std::sync::OnceLock<Storage> = std::sync::OnceLock::new();
	GENESIS
		.get_or_init(|| {
			let preset =
				genesis_config_presets::get_preset(&"local_testnet".into()).unwrap_or_default();
			let mut patch: serde_json::Value =
				serde_json::from_slice(&preset).unwrap_or_else(|e| panic!("the preset: {e}"));
			let providers = patch["offers"]["providers"]
				.as_array_mut()
				.unwrap_or_else(|| panic!("the preset has no providers"));
			let model = providers[0].clone();
			for keyring in
				Sr25519Keyring::well_known().skip(VALIDATORS).take(PROVIDERS - VALIDATORS)
			{
				let mut provider = model.clone();
				let account = keyring.to_account_id();
				provider["account"] = serde_json::to_value(&account).unwrap_or_default();
				let executor = bourse_primitives::ExecutorId::from(
					dev_pair(&executor_seed(&dev_seed(keyring), 0)).public(),
				);
				provider["executor"] = serde_json::to_value(&executor).unwrap_or_default();
				providers.push(provider);
			}
			let json = serde_json::to_vec(&patch).unwrap_or_default();
			let mut ext = TestExternalities::default();
			ext.execute_with(|| {
				if let Err(e) = build_state::<RuntimeGenesisConfig>(json) {
					panic!("the fuzzer's genesis does not build: {e}");
				}
			});
			let raw = ext.execute_with(|| {
				let mut pairs = Vec::new();
				let mut key = Vec::new();
				while let Some(next) = polkadot_sdk::sp_io::storage::next_key(&key) {
					if let Some(value) = polkadot_sdk::sp_io::storage::get(&next) {
						pairs.push((next.clone(), value.to_vec()));
					}
					key = next;
				}
				pairs
			});
			let mut storage = Storage::default();
			storage.top.extend(raw);
			storage
		})
		.clone()
}

impl Chain {
	/// A fresh chain at genesis, with the providers' nodes of the given behaviours (and the
	/// node of the other dev accounts' executor keys last).
	pub fn new(behaviours: [Behaviour; NODES]) -> Self {
		let actors: Vec<Actor> = Sr25519Keyring::well_known()
			.map(|k| {
				let seed = dev_seed(k);
				Actor { pair: dev_pair(&seed), seed }
			})
			.collect();
		let keys = Arc::new(MemoryKeystore::new());
		let mut nodes = Vec::new();
		for (index, behaviour) in behaviours.into_iter().enumerate() {
			let node = Node::new(behaviour);
			let holders: Vec<&Actor> = if index < PROVIDERS {
				vec![&actors[index]]
			} else {
				actors.iter().skip(PROVIDERS).collect()
			};
			for actor in holders {
				for n in 0..crate::EXECUTOR_KEYS {
					let seed = actor.executor_seed(n);
					insert_key(&node.keystore, bourse_primitives::executor_key::KEY_TYPE, &seed);
					insert_key(&keys, bourse_primitives::executor_key::KEY_TYPE, &seed);
				}
				if index < VALIDATORS {
					insert_key(
						&node.keystore,
						polkadot_sdk::sp_core::crypto::key_types::BABE,
						&actor.seed,
					);
				}
			}
			nodes.push(node);
		}
		let mut ext = TestExternalities::new(genesis());
		let parent = ext.execute_with(|| System::block_hash(0));
		Self {
			ext,
			actors,
			nodes,
			keys,
			number: 0,
			parent,
			slot: 1_000,
			pool: Vec::new(),
			author: 0,
			forgers: Default::default(),
		}
	}

	/// Starts the next block, authored by validator `author`, `slots_skipped` slots after the
	/// one it would have: its pre-digest (a VRF over the epoch's randomness, as BABE will read
	/// it once the block has enacted any epoch change), `on_initialize` and the timestamp.
	pub fn begin_block(&mut self, author: u32, slots_skipped: u64) {
		self.number = self.number.saturating_add(1);
		self.slot = self.slot.saturating_add(1).saturating_add(slots_skipped);
		self.author = author % VALIDATORS as u32;
		let pair = self.actors[self.author as usize].pair.clone();
		let (number, parent, slot, index) = (self.number, self.parent, self.slot, self.author);
		self.ext.execute_with(|| {
			let header = |digest| {
				BlockHeader::new(number, Default::default(), Default::default(), parent, digest)
			};
			let digest_of = |pre_digest: PreDigest| Digest {
				logs: vec![DigestItem::PreRuntime(BABE_ENGINE_ID, pre_digest.encode())],
			};
			// The epoch this block is in: initialize it with an unsigned pre-digest and look.
			let plain = PreDigest::SecondaryPlain(SecondaryPlainPreDigest {
				authority_index: index,
				slot: slot.into(),
			});
			let (randomness, epoch) = with_transaction(|| {
				Executive::initialize_block(&header(digest_of(plain)));
				let epoch = (
					pallet_babe::Randomness::<Runtime>::get(),
					pallet_babe::EpochIndex::<Runtime>::get(),
				);
				TransactionOutcome::Rollback(Ok::<_, DispatchError>(epoch))
			})
			.unwrap_or_else(|e| panic!("could not look at the epoch: {e:?}"));
			let transcript = make_vrf_transcript(&randomness, slot.into(), epoch);
			let pre_digest = PreDigest::SecondaryVRF(SecondaryVRFPreDigest {
				authority_index: index,
				slot: slot.into(),
				vrf_signature: pair.vrf_sign(&transcript.into_sign_data()),
			});
			Executive::initialize_block(&header(digest_of(pre_digest)));
			let now = pallet_timestamp::Call::<Runtime>::set { now: slot * SLOT_DURATION };
			let inherent = UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(now));
			match Executive::apply_extrinsic(inherent) {
				Ok(Ok(())) => {}
				other => panic!("the timestamp inherent failed: {other:?}"),
			}
			Executive::inherents_applied();
		});
	}

	/// Applies the `take` oldest transactions the nodes sent (all if `None`), as the pool
	/// gives them to the block's author.
	pub fn include_node_transactions(&mut self, take: Option<usize>) -> Vec<Applied> {
		let take = take.unwrap_or(self.pool.len()).min(self.pool.len());
		let included: Vec<Pooled> = self.pool.drain(..take).collect();
		self.ext.execute_with(|| {
			included
				.into_iter()
				.filter_map(|pooled| {
					// Decoded once already, when the pool took it.
					UncheckedExtrinsic::decode_all(&mut &pooled.bytes[..]).ok().map(apply)
				})
				.collect()
		})
	}

	/// A transaction of `actor` calling `call`, signed with its next nonce.
	pub fn signed(&mut self, actor: usize, call: RuntimeCall) -> UncheckedExtrinsic {
		let pair = self.actors[actor].pair.clone();
		let account = self.actors[actor].account();
		self.ext.execute_with(|| {
			let nonce = System::account_nonce(&account);
			let extension: TxExtension = (
				frame_system::AuthorizeCall::<Runtime>::new(),
				frame_system::CheckNonZeroSender::<Runtime>::new(),
				frame_system::CheckSpecVersion::<Runtime>::new(),
				frame_system::CheckTxVersion::<Runtime>::new(),
				frame_system::CheckGenesis::<Runtime>::new(),
				frame_system::CheckEra::<Runtime>::from(Era::Immortal),
				frame_system::CheckNonce::<Runtime>::from(nonce),
				frame_system::CheckWeight::<Runtime>::new(),
				pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
				frame_system::WeightReclaim::<Runtime>::new(),
			);
			let payload = SignedPayload::new(call.clone(), extension.clone())
				.unwrap_or_else(|e| panic!("no signed payload: {e:?}"));
			let signature = Signature::from(payload.using_encoded(|bytes| pair.sign(bytes)));
			UncheckedExtrinsic::new_signed(call, Address::Id(account), signature, extension)
		})
	}

	/// Applies `xt` to the block being built.
	pub fn apply(&mut self, xt: UncheckedExtrinsic) -> Applied {
		self.ext.execute_with(|| apply(xt))
	}

	/// Runs `f` in the chain's state.
	pub fn with_state<R>(&mut self, f: impl FnOnce() -> R) -> R {
		self.ext.execute_with(f)
	}

	/// Runs `f` in the chain's state with the keystore of every key, for the fuzzer's own
	/// signatures and proofs: block execution never has a keystore, as on a real node.
	pub fn with_keys<R>(&mut self, f: impl FnOnce() -> R) -> R {
		self.ext.register_extension(KeystoreExt::new(self.keys.clone()));
		let result = self.ext.execute_with(f);
		self.ext.extensions.deregister(std::any::TypeId::of::<KeystoreExt>());
		result
	}

	/// Ends the block: `on_idle`, `on_finalize`, the header. The next block's parent hash is
	/// derived from the block's number alone: a real header's hash covers signatures and sealed
	/// boxes, which are random, and the runtime draws with the parent hash, so a seed would
	/// not replay the same chain.
	pub fn finalize_block(&mut self) -> BlockHeader {
		let header = self.ext.execute_with(Executive::finalize_block);
		self.parent = BlakeTwo256::hash_of(&(b"bourse-fuzz/parent", self.number));
		header
	}

	/// Every node that runs its offchain worker runs it on `header` (its changes to the state
	/// discarded, as a node's are; its random seed its own). What it sends goes through the
	/// pool's check at this state (`validate_transaction`, as a node's pool does): refused, it
	/// is dropped; valid, it waits for the blocks it is valid for. A transaction that does not
	/// decode is a finding.
	pub fn offchain_workers(
		&mut self,
		header: &BlockHeader,
		stats: &mut crate::Stats,
	) -> Result<(), String> {
		let number = self.number;
		self.pool.retain_mut(|entry| {
			entry.age += 1;
			let keep = entry.age <= entry.longevity;
			if !keep && crate::tracing() {
				eprintln!("#{number} the pool drops a transaction after {} blocks", entry.age);
			}
			keep
		});
		for (index, node) in self.nodes.iter().enumerate() {
			if node.behaviour == Behaviour::Offline {
				continue;
			}
			let seed = polkadot_sdk::sp_io::hashing::blake2_256(
				&(b"bourse-fuzz/node-seed", index as u32, self.number).encode(),
			);
			let sent = node.register(&mut self.ext, seed);
			self.ext.execute_with(|| {
				let _: Result<(), DispatchError> = with_transaction(|| {
					Executive::offchain_worker(header);
					TransactionOutcome::Rollback(Ok(()))
				});
			});
			Node::unregister(&mut self.ext);
			let sent = std::mem::take(&mut sent.write().transactions);
			for bytes in sent {
				let xt = UncheckedExtrinsic::decode_all(&mut &bytes[..]).map_err(|e| {
					format!("node {index} sent a transaction that does not decode: {e}")
				})?;
				let name = format!("{} (node, pool)", call_name(&xt.function));
				let validity = self.ext.execute_with(|| {
					with_transaction(|| {
						let validity = Executive::validate_transaction(
							TransactionSource::Local,
							xt,
							header.hash(),
						);
						TransactionOutcome::Rollback(Ok::<_, DispatchError>(validity))
					})
				});
				match validity {
					Ok(Ok(valid)) if node.behaviour != Behaviour::Silent => {
						let longevity = u32::try_from(valid.longevity).unwrap_or(u32::MAX);
						self.pool.push(Pooled { bytes, age: 0, longevity });
					}
					Ok(Ok(_)) => {}
					Ok(Err(refusal)) => {
						if crate::tracing() {
							eprintln!(
								"#{} node {index}: the pool refuses {name}: {refusal:?}",
								self.number
							);
						}
						*stats
							.calls
							.entry(name)
							.or_default()
							.refused
							.entry(format!("{refusal:?}"))
							.or_default() += 1;
					}
					Err(e) => return Err(format!("validate_transaction failed: {e:?}")),
				}
			}
		}
		Ok(())
	}

	/// Moves the block's changes into the backend, so the next block's root is cheap.
	pub fn commit(&mut self) {
		if let Err(e) = self.ext.commit_all() {
			panic!("could not commit the block: {e}");
		}
	}
}

/// Applies one transaction, timed, with the weight it declares.
fn apply(xt: UncheckedExtrinsic) -> Applied {
	// What the block is charged: the call, its extensions, and the base of every transaction
	// (the signature's check among it).
	let info = xt.get_dispatch_info();
	let base =
		<Runtime as frame_system::Config>::BlockWeights::get().get(info.class).base_extrinsic;
	let declared = info.total_weight().saturating_add(base).ref_time();
	let call = call_name(&xt.function);
	let start = Instant::now();
	let result = Executive::apply_extrinsic(xt);
	Applied { call, result, nanos: start.elapsed().as_nanos(), declared }
}

/// `Pallet::call` of a call.
pub fn call_name(call: &RuntimeCall) -> String {
	variant_name(&format!("{call:?}"))
}

/// `Pallet::Item::variant` of a runtime call's or event's debug form (`Tasks(Call::submit_task
/// { .. })`).
pub fn variant_name(debug: &str) -> String {
	let mut parts = debug.split(['(', ')', ' ', '{']);
	let pallet = parts.next().unwrap_or_default();
	let variant = parts.find(|p| !p.is_empty()).unwrap_or_default();
	format!("{pallet}::{variant}")
}

/// A dev key (`//Alice`, `//Alice//stash`) and, when it has one, the mini-secret it comes from,
/// derived once per process: deriving from the dev phrase costs a PBKDF2 of 2048 rounds, which
/// a keystore holding the phrase would pay again for every signature.
fn dev_key(suri: &str) -> (sr25519::Pair, Option<[u8; 32]>) {
	use std::{collections::HashMap, sync::Mutex};
	type Keys = Mutex<HashMap<String, (sr25519::Pair, Option<[u8; 32]>)>>;
	static KEYS: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();
	let keys = KEYS.get_or_init(Default::default);
	let mut keys = keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
	keys.entry(suri.to_string())
		.or_insert_with(|| {
			let (pair, seed) = sr25519::Pair::from_string_with_seed(suri, None)
				.unwrap_or_else(|e| panic!("the dev key {suri}: {e:?}"));
			// Only a key one hard junction from the phrase is its seed's (a deeper one is not).
			let seed = seed.filter(|seed| sr25519::Pair::from_seed(seed).public() == pair.public());
			(pair, seed)
		})
		.clone()
}

/// The dev seed of a keyring account (`//Alice//stash`: the keyring's own `to_seed` says
/// `//AliceStash`, which is another key).
pub fn dev_seed(keyring: Sr25519Keyring) -> String {
	format!("//{}", <&'static str>::from(keyring))
}

/// The pair of a dev key.
pub fn dev_pair(suri: &str) -> sr25519::Pair {
	dev_key(suri).0
}

/// Puts dev key `suri` (one hard junction from the dev phrase) into `keystore` under
/// `key_type`, by its seed.
fn insert_key(
	keystore: &MemoryKeystore,
	key_type: polkadot_sdk::sp_core::crypto::KeyTypeId,
	suri: &str,
) {
	let (pair, Some(seed)) = dev_key(suri) else {
		panic!("the keystore key {suri} is not one hard junction from the dev phrase");
	};
	let hex = format!("0x{}", polkadot_sdk::sp_core::hexdisplay::HexDisplay::from(&seed));
	if keystore.insert(key_type, &hex, pair.public().as_ref()).is_err() {
		panic!("could not add the key {suri}");
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The keys the fuzzer derives once are the dev accounts' keys (the endowed accounts).
	#[test]
	fn cached_dev_keys_are_the_keyrings() {
		for keyring in Sr25519Keyring::well_known() {
			assert_eq!(dev_pair(&dev_seed(keyring)).public(), keyring.public(), "{keyring}");
			// Every executor key is one a keystore can hold by seed.
			for n in 0..crate::EXECUTOR_KEYS {
				assert!(
					dev_key(&executor_seed(&dev_seed(keyring), n)).1.is_some(),
					"{keyring} {n}"
				);
			}
		}
	}
}
