//! # Offers pallet
//!
//! The supply side of the Bourse compute market: who sells compute, at what price and within
//! which limits, and the choice of providers for a task.
//!
//! ## Providers
//!
//! A provider is an account (cold: it holds the bond and receives payouts) that registered with
//! [`Pallet::register_provider`]: a bond, held from its balance under
//! [`HoldReason::ProviderBond`], and an **executor key** (hot: key type `bour`, sr25519), the key
//! its node holds in its keystore and signs answers with. One executor key serves one provider;
//! [`Pallet::rotate_executor`] replaces it. Binding a key takes a **proof of possession**: the
//! key's signature over [`Pallet::executor_owner`] (a context, the genesis hash and the
//! provider's account), which the node makes itself (`author_rotateKeysWithOwner`), so nobody
//! can bind a key another node holds (a front-run registration, a key rotated away from) and
//! the operator never handles the secret. The bond doubles as the deposit for the provider's
//! storage. A provider leaves with [`Pallet::unregister_provider`] once no task of its is open;
//! the bond is released by [`Pallet::withdraw_bond`] after [`Config::UnbondingDelay`] blocks, so
//! a provider cannot escape a slash by leaving in the block it misbehaves.
//!
//! ## Offers
//!
//! One offer per provider ([`Pallet::set_offer`]): price per million fuel, most fuel and memory
//! per task, concurrent slots, optional last block. The provider's node can lower its slots, or
//! withdraw the offer, with its executor key alone ([`Pallet::limit_offer`], feeless): when it
//! cannot run as many tasks at once as offered, it protects the bond without the cold account.
//! The bond must cover every slot: `bond ≥
//! slots × MaxSlash`, so each task a provider holds can be slashed in full. A new or changed
//! offer takes effect from the **next** block: a block author who sees a task coming cannot
//! change its own offer in front of it. An offer past its last block is never selected and is
//! removed when a selection meets it (one such removal per selection, so a selection's writes
//! stay bounded); nobody needs to call anything.
//!
//! ## Selection
//!
//! [`ProviderMarket::select`] picks providers for a task, in three ways, each with a cost bounded
//! by constants, never by the number of providers or offers.
//!
//! **Capacity classes.** Offers are sorted into [`CLASSES`] classes by what they allow: three
//! fuel classes (at least [`Config::MinOfferFuel`], 8×, 64× that) times three memory classes
//! (from [`Config::MinOfferMemoryMib`] the same way) — [`Pallet::class_of`]. An offer of a
//! class fits every task up to the class's lower bounds. A task needs the classes at or above
//! its fuel and memory; offers in other classes can never fit it, so however many of them
//! there are, the task never reads them.
//!
//! **A single seat goes to price.** Each class has its own price index, [`Available`]
//! (big-endian price under the non-hashing `Identity` key, so storage order is price order).
//! For a task of replication 1, selection reads at most [`Config::ScanPerClass`] entries of
//! each class the task may use, from the cheapest up, keeps the eligible ones (price ≤ the
//! task's maximum, fuel, memory, reputation floor, active, not the requester), and draws the
//! provider from the [`Config::MaxCandidates`] cheapest of them, weighted by bond × reputation.
//! Cheap offers win the tasks they compete for by price — and must execute correctly.
//!
//! **A confidential task's seats go to its members.** A task whose secret is sealed to a list
//! of providers ([`Requirements::only`]; its first
//! [`bourse_primitives::confidential::MAX_MEMBERS`] entries, each account once) draws every
//! seat from that list alone, by bond × reputation, price only a filter: each member read once,
//! eligible as above and while the encryption key its secret was sealed to is live at the draw
//! ([`EncryptionKeySet::is_live`]; a key revoked later does not take a seat back). Nobody else
//! is drawn, however many are free: the draw never widens, and fails when too few members
//! qualify. (No task sets the list yet: confidential tasks are being built.)
//!
//! **Replicated seats go to stake.** Every seat of a replicated task (and a single seat whose
//! window holds nobody eligible) is drawn from *every* offer of the classes that surely fit the
//! task, weighted by bond × reputation, price only as a filter: each class keeps a sum tree of
//! its offers' weights ([`TreeNodes`], [`FANOUT`]-ary, depth [`TREE_DEPTH`], one seat per
//! offer, [`Seats`]), so a draw reads one node per level. Offers drawn already, and drawn ones
//! that do not qualify (price, floor, requester, not yet active, expired), are left out of the
//! next draw exactly, by subtracting their weight along their path; at most the replication
//! plus [`SPARE_DRAWS`] draws are made. Seats the trees cannot fill stay empty and the
//! selection fails (the task waits in the queue). The trees draw from the classes whose every
//! offer fits (where a task needs more than the top class's bound, from the top class, checking
//! each drawn offer). A seat weighs its provider's bond × reputation as of the provider's last
//! change (offer, bond, a slot taken or freed, a settlement: reputation only changes at
//! settlement, and its slow decay is caught up at the next), zero while the offer has no free
//! slot or is paused. Each provider is paid its own price, at most the task's maximum. If too
//! few qualify, selection fails and writes nothing but the removal of the first expired offer
//! it met ([`REMOVALS_PER_SELECTION`]).
//!
//! **Limits, said plainly.** Offers that can never qualify for a task (priced above its
//! maximum, below its floor) still weigh in the trees and spend its draws: stake held there
//! can make replicated tasks fail and wait, at the cost of a locked bond that earns nothing.
//! Offers in the class at a task's edge (they may or may not fit) are never drawn for a
//! replicated task, only read for a single seat.
//!
//! **Why cheap Sybils neither crowd nor capture.** Offers that cannot fit a task sit in other
//! classes or at most fill the [`Config::ScanPerClass`] entries of the one class at the task's
//! edge; the classes that surely fit still reach the task, and if the window holds nobody
//! eligible (say, cheap offers below the requester's reputation floor), the seat is drawn from
//! the trees. A replicated task's seats — and so its majority — follow bond × reputation, not
//! price: ten 1-planck identities win them in proportion to the bond they lock and the
//! reputation they earned (each new identity starts from reputation's cautious prior). Seats
//! are drawn without replacement, one per identity, so splitting a bond over many identities
//! does raise its share somewhat where a few honest providers hold most of the stake; this is
//! bounded by the stake split and shrinks as honest providers outnumber the replication. Had
//! the cheapest offer a seat of every replicated task, ten cheap Sybils with 12 % of the stake
//! would hold a k = 3 majority in about 22 % of tasks instead of 4 %.
//!
//! **What a block author can influence.** The task pallet seeds each draw with the randomness
//! of the block that assigns the task (in the runtime, that block's BABE VRF output mixed with
//! its parent's hash) mixed with the task's requester and nonce, and assigns a block's
//! submissions at the start of the next block that draws in the order of their seeds. Offers and bonds
//! changed in a block weigh in the next block's draws. The author that includes a task knows
//! neither its seed nor where its own submissions fall; the author of the assigning block
//! cannot compute a draw before the block it builds on is sealed, when its own offer and bond
//! changes are in or out, and can only withhold its block. An author of both blocks would know
//! the draw ahead and could grind the first block's hash (and its own offer changes in it) into
//! the draw it wants, so a block whose author also authored its parent draws nothing: the next
//! block by another author does. Two colluding authors can still steer draws.
//!
//! Slashed bond is burned, never paid to a counterparty, so nobody profits from a failure.
//!
//! ## Liveness
//!
//! A provider whose verdict was `NoShow` — it said nothing at all, or committed and never
//! revealed while no quorum formed (with a quorum that is `OutVoted`) — on
//! [`Config::MaxMisses`] settled tasks in a row is **paused**
//! ([`Event::OfferPaused`]): its offer stays but leaves the index, so it is not drawn again, and
//! the tasks it holds still run and settle. Any other verdict (an abstention or an out-voted
//! answer too) clears the count: the pause is about a dead or cut-off node, not a wrong one
//! (slashes and reputation handle those).
//!
//! The operator resumes at any time with [`Pallet::resume_offer`]. The node resumes by itself
//! with [`Pallet::resume_offer_as_node`], signed by its executor key, when its offchain worker
//! runs and its sandbox has room for runs — but not before [`Config::NodeResumeDelay`] blocks
//! into the pause, doubled for each pause since the provider last answered a task (its
//! *strikes*, at most [`MAX_DOUBLINGS`] doublings): a node that is up but cannot answer would
//! otherwise flap between paused and drawn. A resumed offer is selectable from the next block,
//! like a changed one. The pause belongs to the provider, not to one offer: an offer set while
//! paused stays out of selection until it is resumed. A signature names the pause (its first
//! block and strikes), so it resumes no other.
//!
//! ## Encryption keys
//!
//! A provider's node publishes an X25519 public key ([`Pallet::set_encryption_key`], feeless,
//! signed by the executor key), to which requesters seal the secrets of confidential tasks. The
//! secret half is drawn at random by the node and kept in its chain's data directory; it is not
//! derived from the executor key (whoever held that key's seed could otherwise open every seal
//! in the chain's history) and never enters a workload's worker. The chain keeps the current key
//! and, after a rotation, the previous one until [`Config::EncryptionKeyGrace`] blocks later, so
//! tasks sealed to it before the rotation can still be opened; a rotation is refused while the
//! previous key is still usable, so at most two keys are live and a node rotates at most once a
//! grace period. A key must be usable for HPKE ([`bourse_primitives::reply::is_usable_key`]) and
//! never one of the provider's two live keys again.
//!
//! The signature names the block it was made at (at most [`ENCRYPTION_KEY_SIGNATURE_LIFE`]
//! blocks before inclusion, and after the current key's and the last revocation), the provider
//! and its executor key, so an old publication never counts again.
//!
//! The provider's account revokes both keys at once with [`Pallet::revoke_encryption_keys`],
//! without waiting for the grace period; the revoked current key is never accepted again (its
//! secret may have leaked). A stolen executor key's thief could publish a key of its own, so a
//! revocation can also *freeze* publication until the executor key is rotated
//! ([`Pallet::rotate_executor`], which removes the keys too).
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use bourse_primitives::api::{OfferView, ProviderView};
pub use bourse_primitives::traits::{
	Assignment, ExecutorKeys, ProviderMarket, ProviderReputation, Requirements, SelectionError,
};
pub use pallet::*;
use polkadot_sdk::polkadot_sdk_frame as frame;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
pub mod selection;
#[cfg(test)]
mod tests;
pub mod weights;
pub use selection::{
	Seat, TreeNode, CLASSES, FANOUT, REMOVALS_PER_SELECTION, SEATS_PER_CLASS, SPARE_DRAWS,
	TREE_DEPTH,
};

/// Domain separation of the limits executor keys sign ([`Pallet::limit_payload`]).
pub const LIMIT_CONTEXT: &[u8] = b"bourse/limit-offer";
/// Domain separation of the owner an executor key proves it belongs to
/// ([`Pallet::executor_owner`]).
pub const EXECUTOR_OWNER_CONTEXT: &[u8] = b"bourse/executor-owner";
/// Domain separation of the resumptions executor keys sign ([`Pallet::resume_payload`]).
pub const RESUME_CONTEXT: &[u8] = b"bourse/resume-offer";
/// Domain separation of the encryption keys executor keys publish
/// ([`Pallet::encryption_key_payload`]).
pub const ENCRYPTION_KEY_CONTEXT: &[u8] = b"bourse/encryption-key";
/// Blocks a signature of an encryption key counts for after the block it names: the node signs
/// at the block its offchain worker runs on, and a signature older than this is refused, so no
/// publication can be replayed later (after the provider left and came back, say).
pub const ENCRYPTION_KEY_SIGNATURE_LIFE: u32 = 16;
/// Most doublings of [`Config::NodeResumeDelay`] for a provider paused again and again.
pub const MAX_DOUBLINGS: u32 = 6;

// The macro-expanded authorization of `set_encryption_key` (four arguments and a signature)
// names a long tuple type.
#[allow(clippy::type_complexity)]
#[frame::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame::{
		deps::sp_runtime::{offchain::storage::StorageValueRef, RuntimeAppPublic},
		log,
		prelude::*,
		token::{fungible, tokens::Restriction, Fortitude, Precision},
	};
	use fungible::MutateHold;

	/// A balance of the pallet's currency.
	pub type BalanceOf<T> = <<T as Config>::Currency as fungible::Inspect<
		<T as frame_system::Config>::AccountId,
	>>::Balance;

	/// A provider registered at genesis, with its offer open from block 1. In a chain spec's
	/// JSON its fields are camelCase: `account`, `executor`, `bond`, `pricePerMfuel`, ….
	#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
	#[serde(rename_all = "camelCase", deny_unknown_fields)]
	pub struct GenesisProvider<AccountId, ExecutorId, Balance> {
		/// The provider's account: holds the bond, receives payouts.
		pub account: AccountId,
		/// The executor key its node answers tasks with.
		pub executor: ExecutorId,
		/// Bond held from the account.
		pub bond: Balance,
		/// Price per million fuel of its offer.
		pub price_per_mfuel: Balance,
		/// Most fuel per task.
		pub max_fuel: u64,
		/// Most memory per task, in MiB.
		pub max_memory_mib: u32,
		/// Concurrent tasks.
		pub slots: u32,
	}

	/// A genesis provider of this runtime.
	pub type GenesisProviderOf<T> = GenesisProvider<
		<T as frame_system::Config>::AccountId,
		<T as Config>::ExecutorId,
		BalanceOf<T>,
	>;

	/// Providers chosen for a task.
	pub type Chosen<T> = Vec<Assignment<<T as frame_system::Config>::AccountId, BalanceOf<T>>>;

	/// A price as an index key: its big-endian bytes, so byte order is numeric order.
	pub type PriceKey = [u8; 16];

	/// A registered provider.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	)]
	pub struct Provider<ExecutorId, Balance, BlockNumber> {
		/// The hot key its node answers tasks with.
		pub executor: ExecutorId,
		/// Bond held from the provider's account (always equal to the held amount).
		pub bond: Balance,
		/// Slots taken by tasks that are assigned and not yet settled.
		pub busy_slots: u32,
		/// Set once it unregistered: the first block at which its bond may be withdrawn.
		pub unbonds_at: Option<BlockNumber>,
	}

	/// A provider's standing offer.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	)]
	pub struct Offer<Balance, BlockNumber> {
		/// Price per million fuel.
		pub price_per_mfuel: Balance,
		/// Most fuel one task may ask for.
		pub max_fuel: u64,
		/// Most memory one task may ask for, in MiB.
		pub max_memory_mib: u32,
		/// Tasks it runs at the same time.
		pub slots: u32,
		/// Last block at which it may be selected, if it expires.
		pub expires_at: Option<BlockNumber>,
		/// First block at which it may be selected (the block after it was set).
		pub active_from: BlockNumber,
	}

	/// How present a provider has been: kept only while not all zero.
	#[derive(
		Clone,
		Debug,
		Default,
		PartialEq,
		Eq,
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		TypeInfo,
	)]
	pub struct Presence<BlockNumber> {
		/// Settled tasks in a row it was a no-show on.
		pub missed: u32,
		/// Set while its offer is paused: the block the pause began.
		pub paused_since: Option<BlockNumber>,
		/// Pauses since it last answered a task: each doubles the wait before its node may
		/// resume it.
		pub strikes: u32,
	}

	impl<Balance, BlockNumber: PartialOrd> Offer<Balance, BlockNumber> {
		/// Whether the offer is past its last block at `now`.
		pub fn is_expired(&self, now: &BlockNumber) -> bool {
			self.expires_at.as_ref().is_some_and(|last| now > last)
		}
	}

	/// An X25519 public key a provider published ([`Pallet::set_encryption_key`]).
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	)]
	pub struct EncryptionKey<BlockNumber> {
		/// The public key.
		pub key: bourse_primitives::reply::ReplyKey,
		/// The block its executor key's signature names.
		pub signed_at: BlockNumber,
	}

	/// A provider's live encryption keys.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	)]
	pub struct EncryptionKeySet<BlockNumber> {
		/// The key requesters seal to.
		pub current: EncryptionKey<BlockNumber>,
		/// The key it replaced, and the first block at which it is no longer usable.
		pub previous: Option<(EncryptionKey<BlockNumber>, BlockNumber)>,
	}

	/// What a provider's last revocation of its encryption keys left behind
	/// ([`Pallet::revoke_encryption_keys`], [`Pallet::rotate_executor`]).
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	)]
	pub struct Revocation<BlockNumber> {
		/// Its block: only publications signed after it count.
		pub at: BlockNumber,
		/// The key that was current then, never published again (its secret may have leaked).
		pub key: Option<bourse_primitives::reply::ReplyKey>,
		/// Whether executor-signed publications are refused until the executor key is rotated
		/// (its thief could otherwise publish a key of its own at once).
		pub frozen: bool,
	}

	impl<BlockNumber: PartialOrd> EncryptionKeySet<BlockNumber> {
		/// Whether the previous key is still usable at `now`.
		pub fn previous_is_live(&self, now: &BlockNumber) -> bool {
			self.previous.as_ref().is_some_and(|(_, until)| now < until)
		}

		/// Whether `key` is one of the live keys at `now`.
		pub fn is_live(&self, key: &bourse_primitives::reply::ReplyKey, now: &BlockNumber) -> bool {
			self.current.key == *key
				|| (self.previous_is_live(now)
					&& self.previous.as_ref().is_some_and(|(previous, _)| previous.key == *key))
		}
	}

	/// The storage layout's version: 1 since the capacity classes and selection trees.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>>
		+ CreateAuthorizedTransaction<Call<Self>>
	{
		/// The currency bonds are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::Mutate<Self::AccountId>;

		/// The runtime's hold reasons, of which [`HoldReason`] is one part.
		type RuntimeHoldReason: From<HoldReason>;

		/// A provider's executor key (public part); its signature can lower the provider's
		/// capacity ([`Pallet::limit_offer`]).
		type ExecutorId: Parameter
			+ Member
			+ MaxEncodedLen
			+ Ord
			+ MaybeSerializeDeserialize
			+ RuntimeAppPublic<ProofOfPossession: Parameter>;

		/// Providers' reputation: the requester's floor and the selection weight.
		type Reputation: ProviderReputation<Self::AccountId>;

		/// Smallest bond; also the deposit for a provider's storage.
		#[pallet::constant]
		type MinBond: Get<BalanceOf<Self>>;

		/// Most that one task can slash from a provider's bond; the bond must cover this for
		/// every slot.
		#[pallet::constant]
		type MaxSlash: Get<BalanceOf<Self>>;

		/// Most concurrent slots of one offer.
		#[pallet::constant]
		type MaxSlots: Get<u32>;

		/// Highest price per million fuel an offer may ask.
		#[pallet::constant]
		type MaxPricePerMfuel: Get<BalanceOf<Self>>;

		/// Least fuel an offer must allow per task. Offers too small for real tasks would
		/// otherwise sit in the cheap end of the price index and crowd the candidate window.
		#[pallet::constant]
		type MinOfferFuel: Get<u64>;

		/// Least memory an offer must allow per task, in MiB (for the same reason).
		#[pallet::constant]
		type MinOfferMemoryMib: Get<u32>;

		/// Most memory an offer may allow per task, in MiB.
		#[pallet::constant]
		type MaxMemoryMib: Get<u32>;

		/// Most registered providers.
		#[pallet::constant]
		type MaxProviders: Get<u32>;

		/// Blocks between unregistering and withdrawing the bond.
		#[pallet::constant]
		type UnbondingDelay: Get<BlockNumberFor<Self>>;

		/// Cheapest eligible offers the first seat of a task is drawn from.
		#[pallet::constant]
		type MaxCandidates: Get<u32>;

		/// Entries of each capacity class's price index one selection reads: with the classes
		/// and the trees' depth, the cost bound of selection.
		#[pallet::constant]
		type ScanPerClass: Get<u32>;

		/// Most providers one task may ask for.
		#[pallet::constant]
		type MaxReplication: Get<u32>;

		/// Settled tasks in a row a provider may leave without a word before its offer is
		/// paused (see the crate's *Liveness*).
		#[pallet::constant]
		type MaxMisses: Get<u32>;

		/// Blocks into a first pause before the provider's node may resume it; doubled for each
		/// further pause without an answer in between (see the crate's *Liveness*).
		#[pallet::constant]
		type NodeResumeDelay: Get<BlockNumberFor<Self>>;

		/// Blocks a provider's previous encryption key stays usable after a rotation: longer
		/// than a task can live from its submission to its last audit or committee, so every
		/// task sealed to the old key can still be opened. Also the least time between two
		/// rotations.
		#[pallet::constant]
		type EncryptionKeyGrace: Get<BlockNumberFor<Self>>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's bond.
		ProviderBond,
	}

	/// Registered providers, by account.
	#[pallet::storage]
	pub type Providers<T: Config> = CountedStorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Provider<T::ExecutorId, BalanceOf<T>, BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// The provider each executor key answers for.
	#[pallet::storage]
	pub type Executors<T: Config> =
		StorageMap<_, Blake2_128Concat, T::ExecutorId, T::AccountId, OptionQuery>;

	/// Each provider's offer.
	#[pallet::storage]
	pub type Offers<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Offer<BalanceOf<T>, BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Providers that recently missed tasks or are paused (see the crate's *Liveness*); absent
	/// means present and not paused. Held only by registered providers, whose bond is the
	/// deposit.
	#[pallet::storage]
	pub type Liveness<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Presence<BlockNumberFor<T>>, OptionQuery>;

	/// Lone answers of each provider held in their verification window (the task pallet's):
	/// each keeps a slash's worth of the bond exposed, though its slot is free again. Absent
	/// means none; the bond is the deposit.
	#[pallet::storage]
	pub type HeldAnswers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Offers with a free slot that are not paused, by capacity class
	/// ([`Pallet::class_of`]), then price (big-endian price bytes, not hashed), then provider.
	/// Selection reads each class from the cheapest up.
	#[pallet::storage]
	pub type Available<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Identity, u8>,
			NMapKey<Identity, PriceKey>,
			NMapKey<Blake2_128Concat, T::AccountId>,
		),
		(),
		OptionQuery,
	>;

	/// Each offer's seat in the selection tree of its capacity class.
	#[pallet::storage]
	pub type Seats<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Seat, OptionQuery>;

	/// The provider in each seat, by class and leaf.
	#[pallet::storage]
	pub type SeatHolders<T: Config> =
		StorageDoubleMap<_, Identity, u8, Identity, u32, T::AccountId, OptionQuery>;

	/// Seats taken in each class (they are numbered from zero).
	#[pallet::storage]
	pub type SeatCounts<T: Config> = StorageValue<_, [u32; CLASSES], ValueQuery>;

	/// The selection trees: by class and node number, the weight under each child of the node
	/// (at the last level, of each seat). A seat weighs its provider's bond × reputation as of
	/// the provider's last change (offer, bond, slots, settlement), zero while its offer is not
	/// in [`Available`]. Nodes that weigh nothing are not stored.
	#[pallet::storage]
	pub type TreeNodes<T: Config> =
		StorageDoubleMap<_, Identity, u8, Identity, u32, TreeNode, OptionQuery>;

	/// The weight of each class's selection tree.
	#[pallet::storage]
	pub type ClassWeights<T: Config> = StorageValue<_, [u128; CLASSES], ValueQuery>;

	/// Providers' published encryption keys (see the crate's *Encryption keys*). One bounded
	/// entry a provider, covered by its bond like the rest of its storage.
	#[pallet::storage]
	pub type EncryptionKeys<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		EncryptionKeySet<BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Providers' last revocation of their encryption keys, kept while they are registered.
	#[pallet::storage]
	pub type Revocations<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Revocation<BlockNumberFor<T>>, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An account became a provider with `bond` held and `executor` as its executor key.
		ProviderRegistered { provider: T::AccountId, executor: T::ExecutorId, bond: BalanceOf<T> },
		/// A provider's bond grew to `bond`.
		BondIncreased { provider: T::AccountId, bond: BalanceOf<T> },
		/// A provider's executor key is now `executor`.
		ExecutorRotated { provider: T::AccountId, executor: T::ExecutorId },
		/// A provider set its offer; it may be selected from block `active_from`.
		OfferSet {
			provider: T::AccountId,
			price_per_mfuel: BalanceOf<T>,
			max_fuel: u64,
			max_memory_mib: u32,
			slots: u32,
			expires_at: Option<BlockNumberFor<T>>,
			active_from: BlockNumberFor<T>,
		},
		/// A provider withdrew its offer.
		OfferWithdrawn { provider: T::AccountId },
		/// A provider's executor key lowered its offer to `slots` (0: the offer is withdrawn).
		OfferLimited { provider: T::AccountId, slots: u32 },
		/// An offer past its last block was removed.
		OfferExpired { provider: T::AccountId },
		/// A provider was a no-show on `missed` settled tasks in a row: it is out of selection
		/// (with any offer it has or sets) until it is resumed.
		OfferPaused { provider: T::AccountId, missed: u32 },
		/// A paused provider's offer is back in selection.
		OfferResumed { provider: T::AccountId },
		/// A provider unregistered; its bond can be withdrawn from block `unbonds_at`.
		ProviderLeaving { provider: T::AccountId, unbonds_at: BlockNumberFor<T> },
		/// A provider left and `bond` was released to it.
		ProviderRemoved { provider: T::AccountId, bond: BalanceOf<T> },
		/// A provider's node published `key` as its encryption key; the key it replaced, if
		/// any, stays usable until block `previous_until` (exclusive).
		EncryptionKeySet {
			provider: T::AccountId,
			key: bourse_primitives::reply::ReplyKey,
			previous_until: Option<BlockNumberFor<T>>,
		},
		/// A provider's encryption keys were removed (by its account, or as its executor key
		/// changed); if `frozen`, its executor key publishes none until it is rotated.
		EncryptionKeysRevoked { provider: T::AccountId, frozen: bool },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already a provider.
		AlreadyProvider,
		/// The account is not a provider.
		NotProvider,
		/// The bond is below the minimum bond.
		BondBelowMinimum,
		/// The bond does not cover every slot: it must be at least slots × the maximum slash.
		BondDoesNotCoverSlots,
		/// The amount must not be zero.
		ZeroAmount,
		/// The account's free balance cannot cover the bond.
		InsufficientBalance,
		/// The executor key is already bound to a provider.
		ExecutorKeyInUse,
		/// The provider limit of the market is reached.
		TooManyProviders,
		/// An offer needs at least one slot.
		ZeroSlots,
		/// More slots than an offer may have.
		TooManySlots,
		/// Fewer slots than tasks the provider is running.
		SlotsInUse,
		/// The price must not be zero.
		ZeroPrice,
		/// The price is above the market's highest price.
		PriceTooHigh,
		/// The maximum fuel is below the least an offer must allow.
		FuelBelowMinimum,
		/// The maximum memory is below the least an offer must allow.
		MemoryBelowMinimum,
		/// The maximum memory is above what an offer may allow.
		MemoryTooLarge,
		/// The last block of the offer has already passed.
		ExpiryInPast,
		/// The provider has no offer.
		NoOffer,
		/// The provider still has tasks that are not settled, or lone answers held in their
		/// verification window (leaving and rotating the executor key wait for them).
		OpenTasks,
		/// The provider is leaving: it can only withdraw its bond.
		Leaving,
		/// The provider has not unregistered.
		NotLeaving,
		/// The unbonding delay has not passed yet.
		StillUnbonding,
		/// The executor key may only lower the slots: below the offer's, at or above the busy
		/// ones (or 0 to withdraw).
		NotALimit,
		/// The signature is not the provider's executor key's over this limit of this offer
		/// (or this resumption of this pause).
		BadSignature,
		/// The provider's offer is not paused.
		NotPaused,
		/// The proof does not show that the executor key's holder made it for this account on
		/// this chain ([`Pallet::executor_owner`]).
		BadProofOfPossession,
		/// The provider's node may not resume this pause yet (see the crate's *Liveness*).
		ResumeTooEarly,
		/// The encryption key's signature names a block in the future, more than
		/// [`ENCRYPTION_KEY_SIGNATURE_LIFE`] blocks ago, or not after the current key's.
		StaleKeySignature,
		/// The provider's previous encryption key is still usable: it rotates again from the
		/// block the previous key expires ([`Config::EncryptionKeyGrace`]).
		RotationTooSoon,
		/// Not a usable X25519 public key (of small order, or not canonically encoded).
		UnusableKey,
		/// The key is one of the provider's live encryption keys already.
		KeyInUse,
		/// The provider's account revoked its encryption keys and froze publication until its
		/// executor key is rotated ([`Pallet::rotate_executor`]).
		KeysFrozen,
		/// The key was revoked (its secret may have leaked): the node must draw a new one
		/// (`bourse-node rotate-encryption-key`).
		KeyRevoked,
		/// The provider has no encryption key (and the revocation would freeze nothing new).
		NoEncryptionKey,
	}

	/// Providers at genesis. Each gets its bond held and an offer open from block 1.
	#[pallet::genesis_config]
	#[derive(frame::prelude::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The providers and their offers.
		pub providers: Vec<GenesisProviderOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for p in &self.providers {
				let registered = Pallet::<T>::register(&p.account, p.executor.clone(), p.bond);
				assert!(registered.is_ok(), "genesis provider cannot register: {registered:?}");
				let offer = Pallet::<T>::set(
					&p.account,
					p.price_per_mfuel,
					p.max_fuel,
					p.max_memory_mib,
					p.slots,
					None,
					Zero::zero(),
				);
				assert!(offer.is_ok(), "genesis offer is invalid: {offer:?}");
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// On nodes that hold executor keys: resume the offers of their providers that were
		/// paused (a node that runs this is up again), and publish the node's encryption key.
		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::resume_local();
			Self::publish_local_keys(now);
		}

		fn integrity_test() {
			assert!(T::MaxSlots::get() > 0, "MaxSlots must not be zero");
			assert!(!T::MaxSlash::get().is_zero(), "MaxSlash must not be zero");
			assert!(T::MaxMisses::get() > 0, "MaxMisses must not be zero");
			assert!(!T::NodeResumeDelay::get().is_zero(), "NodeResumeDelay must not be zero");
			assert!(
				T::MaxCandidates::get() >= T::MaxReplication::get(),
				"the window must hold as many offers as a task may need"
			);
			assert!(T::ScanPerClass::get() > 0, "ScanPerClass must not be zero");
			assert!(
				T::MaxProviders::get() <= SEATS_PER_CLASS,
				"the selection trees must have a seat for every provider"
			);
			assert!(!T::EncryptionKeyGrace::get().is_zero(), "EncryptionKeyGrace must not be zero");
			assert!(
				T::UnbondingDelay::get() > ENCRYPTION_KEY_SIGNATURE_LIFE.into(),
				"a provider must not leave and return within an encryption key signature's life"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), frame::try_runtime::TryRuntimeError> {
			Self::do_try_state().map_err(Into::into)
		}
	}

	// Calls that re-list an offer read its provider's score once more than their benchmarks
	// measure at its worst: they add [`ProviderReputation::score_weight`].
	#[pallet::call(weight = <T as Config>::WeightInfo)]
	impl<T: Config> Pallet<T> {
		/// Become a provider: hold `bond` from the caller and bind `executor` as its executor
		/// key. The bond must be at least [`Config::MinBond`]; `proof` is the key's proof of
		/// possession for [`Pallet::executor_owner`] of the caller (`author_rotateKeysWithOwner`
		/// on the node that will hold the key gives both).
		#[pallet::call_index(0)]
		pub fn register_provider(
			origin: OriginFor<T>,
			#[pallet::compact] bond: BalanceOf<T>,
			executor: T::ExecutorId,
			proof: <T::ExecutorId as RuntimeAppPublic>::ProofOfPossession,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::check_possession(&who, &executor, &proof)?;
			Self::register(&who, executor, bond)
		}

		/// Add `amount` to the caller's bond.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::bond_extra().saturating_add(T::Reputation::score_weight()))]
		pub fn bond_extra(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotProvider)?;
			ensure!(provider.unbonds_at.is_none(), Error::<T>::Leaving);
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			T::Currency::hold(&HoldReason::ProviderBond.into(), &who, amount)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			provider.bond = provider.bond.saturating_add(amount);
			let bond = provider.bond;
			Providers::<T>::insert(&who, provider);
			Self::sync_index(&who);
			Self::deposit_event(Event::BondIncreased { provider: who, bond });
			Ok(())
		}

		/// Replace the caller's executor key by `executor`, with its proof of possession for
		/// the caller (as in [`Pallet::register_provider`]). Answers signed by the old key are
		/// refused from now on, so it is refused while the provider has tasks that are not
		/// settled or lone answers held in their window (`OpenTasks`): the node holding the old
		/// key committed to them and must reveal or open with it, and a new key's node cannot
		/// (it would be slashed as withholding). To move a provider to another node, lower its
		/// offer to 0 slots, wait for its tasks to settle, then rotate. The provider's
		/// encryption keys are removed: the new key's node publishes its own.
		#[pallet::call_index(2)]
		pub fn rotate_executor(
			origin: OriginFor<T>,
			executor: T::ExecutorId,
			proof: <T::ExecutorId as RuntimeAppPublic>::ProofOfPossession,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotProvider)?;
			ensure!(provider.busy_slots == 0, Error::<T>::OpenTasks);
			ensure!(!HeldAnswers::<T>::contains_key(&who), Error::<T>::OpenTasks);
			ensure!(!Executors::<T>::contains_key(&executor), Error::<T>::ExecutorKeyInUse);
			Self::check_possession(&who, &executor, &proof)?;
			Executors::<T>::remove(&provider.executor);
			Executors::<T>::insert(&executor, &who);
			provider.executor = executor.clone();
			Providers::<T>::insert(&who, provider);
			Self::deposit_event(Event::ExecutorRotated { provider: who.clone(), executor });
			// The new key's node holds none of the old node's encryption keys; and a thief of
			// the old key may have published its own. A freeze ends here.
			Self::revoke_keys(&who, false);
			Ok(())
		}

		/// Set or replace the caller's offer: `price_per_mfuel` per million fuel, tasks of at
		/// most `max_fuel` fuel and `max_memory_mib` MiB, `slots` at a time, selectable from the
		/// next block until `expires_at` (inclusive) if given. The bond must cover every slot.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_offer().saturating_add(T::Reputation::score_weight()))]
		pub fn set_offer(
			origin: OriginFor<T>,
			#[pallet::compact] price_per_mfuel: BalanceOf<T>,
			max_fuel: u64,
			max_memory_mib: u32,
			slots: u32,
			expires_at: Option<BlockNumberFor<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let now = frame_system::Pallet::<T>::block_number();
			Self::set(&who, price_per_mfuel, max_fuel, max_memory_mib, slots, expires_at, now)
		}

		/// Withdraw the caller's offer. Tasks already assigned still run and settle.
		#[pallet::call_index(4)]
		pub fn withdraw_offer(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(Providers::<T>::contains_key(&who), Error::<T>::NotProvider);
			let offer = Offers::<T>::get(&who).ok_or(Error::<T>::NoOffer)?;
			Self::remove_offer(&who, &offer);
			Self::deposit_event(Event::OfferWithdrawn { provider: who });
			Ok(())
		}

		/// Lower `provider`'s offer to `slots` (0 withdraws it), authorized by the provider's
		/// executor key instead of its account: `signature` is the key's over
		/// [`Pallet::limit_payload`], which names the offer as it is now, so a limit cannot be
		/// replayed on a later offer. It can only reduce capacity (to no fewer slots than are
		/// busy), so a node protects its bond without the provider's cold key. Feeless; refused
		/// in the pool when invalid.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::limit_offer().saturating_add(T::Reputation::score_weight()))]
		#[pallet::authorize(Self::authorize_limit_offer)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_limit_offer())]
		pub fn limit_offer(
			origin: OriginFor<T>,
			provider: T::AccountId,
			slots: u32,
			signature: <T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let _ = signature; // checked in `authorize`
			let offer = Self::check_limit(&provider, slots)?;
			if slots == 0 {
				Self::remove_offer(&provider, &offer);
			} else {
				Offers::<T>::insert(&provider, Offer { slots, ..offer });
				Self::sync_index(&provider);
			}
			Self::deposit_event(Event::OfferLimited { provider, slots });
			Ok(())
		}

		/// Stop being a provider: the offer goes at once, the bond can be withdrawn with
		/// [`Pallet::withdraw_bond`] after [`Config::UnbondingDelay`] blocks. Only possible when
		/// no task of the caller is open and none of its answers is held in its window.
		#[pallet::call_index(5)]
		pub fn unregister_provider(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotProvider)?;
			ensure!(provider.unbonds_at.is_none(), Error::<T>::Leaving);
			ensure!(provider.busy_slots == 0, Error::<T>::OpenTasks);
			ensure!(!HeldAnswers::<T>::contains_key(&who), Error::<T>::OpenTasks);
			let unbonds_at =
				frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingDelay::get());
			if let Some(offer) = Offers::<T>::get(&who) {
				Self::remove_offer(&who, &offer);
			}
			provider.unbonds_at = Some(unbonds_at);
			Providers::<T>::insert(&who, provider);
			Self::deposit_event(Event::ProviderLeaving { provider: who, unbonds_at });
			Ok(())
		}

		/// Release the bond of a provider that unregistered at least
		/// [`Config::UnbondingDelay`] blocks ago, and forget it (its reputation stays).
		#[pallet::call_index(6)]
		pub fn withdraw_bond(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotProvider)?;
			let unbonds_at = provider.unbonds_at.ok_or(Error::<T>::NotLeaving)?;
			ensure!(
				frame_system::Pallet::<T>::block_number() >= unbonds_at,
				Error::<T>::StillUnbonding
			);
			let bond = T::Currency::release_all(
				&HoldReason::ProviderBond.into(),
				&who,
				Precision::BestEffort,
			)?;
			Executors::<T>::remove(&provider.executor);
			Liveness::<T>::remove(&who);
			EncryptionKeys::<T>::remove(&who);
			Revocations::<T>::remove(&who);
			Providers::<T>::remove(&who);
			Self::deposit_event(Event::ProviderRemoved { provider: who, bond });
			Ok(())
		}

		/// Put the caller's paused offer back in selection (see the crate's *Liveness*). The
		/// operator's way; the node resumes by itself with [`Pallet::resume_offer_as_node`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::resume_offer().saturating_add(T::Reputation::score_weight()))]
		pub fn resume_offer(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let presence = Self::check_paused(&who)?;
			Self::resume(&who, presence);
			Ok(())
		}

		/// Put `provider`'s paused offer back in selection, authorized by its executor key once
		/// [`Pallet::node_may_resume_from`] has come: `signature` is the key's over
		/// [`Pallet::resume_payload`], which names this pause, so it resumes no other. The
		/// node's offchain worker sends it when it finds its provider paused. Feeless; refused
		/// in the pool when invalid.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::resume_offer_as_node().saturating_add(T::Reputation::score_weight()))]
		#[pallet::authorize(Self::authorize_resume_offer_as_node)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_resume_offer_as_node())]
		pub fn resume_offer_as_node(
			origin: OriginFor<T>,
			provider: T::AccountId,
			signature: <T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let _ = signature; // checked in `authorize`
			let presence = Self::check_node_resume(&provider)?;
			Self::resume(&provider, presence);
			Ok(())
		}

		/// Publish `key` as `provider`'s encryption key (see the crate's *Encryption keys*),
		/// authorized by the provider's executor key: `signature` is the key's over
		/// [`Pallet::encryption_key_payload`], made at block `signed_at`. The current key, if
		/// any, stays usable for [`Config::EncryptionKeyGrace`] blocks. The node's offchain
		/// worker sends it. Feeless; refused in the pool when invalid.
		#[pallet::call_index(10)]
		#[pallet::authorize(Self::authorize_set_encryption_key)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_set_encryption_key())]
		pub fn set_encryption_key(
			origin: OriginFor<T>,
			provider: T::AccountId,
			key: bourse_primitives::reply::ReplyKey,
			signed_at: BlockNumberFor<T>,
			signature: <T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			let _ = signature; // checked in `authorize`
			let keys = Self::check_encryption_key(&provider, &key, signed_at)?;
			let previous_until = keys.as_ref().map(|_| {
				frame_system::Pallet::<T>::block_number()
					.saturating_add(T::EncryptionKeyGrace::get())
			});
			let previous = keys.map(|keys| keys.current).zip(previous_until);
			EncryptionKeys::<T>::insert(
				&provider,
				EncryptionKeySet { current: EncryptionKey { key, signed_at }, previous },
			);
			Self::deposit_event(Event::EncryptionKeySet { provider, key, previous_until });
			Ok(())
		}

		/// Remove the caller's encryption keys at once, both of them, and never accept the
		/// current one again nor any publication signed before this block.
		///
		/// - The node's key file leaked or was lost: run `bourse-node rotate-encryption-key`
		///   on the node first, then revoke with `freeze` false; the node publishes its new key
		///   at its next block.
		/// - The executor key may have been stolen: revoke with `freeze` true, so that no
		///   executor-signed key counts (its thief could publish one of its own) until the
		///   executor key is rotated ([`Pallet::rotate_executor`], once the provider's tasks
		///   settle: withdraw the offer meanwhile).
		#[pallet::call_index(11)]
		pub fn revoke_encryption_keys(origin: OriginFor<T>, freeze: bool) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(Providers::<T>::contains_key(&who), Error::<T>::NotProvider);
			let frozen_already = Revocations::<T>::get(&who).is_some_and(|r| r.frozen);
			ensure!(
				EncryptionKeys::<T>::contains_key(&who) || (freeze && !frozen_already),
				Error::<T>::NoEncryptionKey
			);
			Self::revoke_keys(&who, freeze);
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// What an executor key signs to prove it may be bound to `provider`: a context, the
		/// genesis hash and the account (the `owner` of `author_rotateKeysWithOwner`).
		pub fn executor_owner(provider: &T::AccountId) -> Vec<u8> {
			let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
			(EXECUTOR_OWNER_CONTEXT, genesis, provider).encode()
		}

		/// `proof` shows that `executor`'s holder made it for `provider` on this chain.
		fn check_possession(
			provider: &T::AccountId,
			executor: &T::ExecutorId,
			proof: &<T::ExecutorId as RuntimeAppPublic>::ProofOfPossession,
		) -> DispatchResult {
			let owner = Self::executor_owner(provider);
			ensure!(
				executor.verify_proof_of_possession(&owner, proof),
				Error::<T>::BadProofOfPossession
			);
			Ok(())
		}

		/// `signature` is `provider`'s executor key's over `payload`.
		fn check_executor_signed(
			provider: &T::AccountId,
			payload: &[u8],
			signature: &<T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> Result<(), Error<T>> {
			let key = Providers::<T>::get(provider).ok_or(Error::<T>::NotProvider)?.executor;
			ensure!(key.verify(&payload, signature), Error::<T>::BadSignature);
			Ok(())
		}

		/// Maps an error of this pallet to the pool's refusal.
		fn invalid(error: Error<T>) -> TransactionValidityError {
			match error {
				Error::<T>::BadSignature => InvalidTransaction::BadProof.into(),
				other => {
					InvalidTransaction::Custom(other.encode().first().copied().unwrap_or(0)).into()
				}
			}
		}

		/// Pool and block check of [`Pallet::resume_offer_as_node`]: the state, then the
		/// signature.
		fn authorize_resume_offer_as_node(
			_source: TransactionSource,
			provider: &T::AccountId,
			signature: &<T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> TransactionValidityWithRefund {
			let presence = Self::check_node_resume(provider).map_err(Self::invalid)?;
			Self::check_executor_signed(
				provider,
				&Self::resume_payload(provider, &presence),
				signature,
			)
			.map_err(Self::invalid)?;
			let valid = ValidTransaction::with_tag_prefix("BourseResumeOffer")
				.priority(TransactionPriority::MAX / 2)
				.and_provides((provider, presence.paused_since, presence.strikes))
				.longevity(16)
				.propagate(true)
				.into();
			Ok((valid, Weight::zero()))
		}

		/// The bytes an executor key signs to resume `provider`'s pause `presence`: with a
		/// context and the genesis hash, its first block and strikes, so the signature is
		/// worthless on another chain and for any other pause.
		pub fn resume_payload(
			provider: &T::AccountId,
			presence: &Presence<BlockNumberFor<T>>,
		) -> Vec<u8> {
			let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
			(RESUME_CONTEXT, genesis, provider, presence.paused_since, presence.strikes).encode()
		}

		/// `provider`'s liveness record if it is paused, or why it cannot be resumed.
		pub fn check_paused(
			provider: &T::AccountId,
		) -> Result<Presence<BlockNumberFor<T>>, Error<T>> {
			let record = Providers::<T>::get(provider).ok_or(Error::<T>::NotProvider)?;
			ensure!(record.unbonds_at.is_none(), Error::<T>::Leaving);
			Liveness::<T>::get(provider)
				.filter(|presence| presence.paused_since.is_some())
				.ok_or(Error::<T>::NotPaused)
		}

		/// The first block at which the node may resume the pause `presence`: its first block
		/// plus [`Config::NodeResumeDelay`] doubled once per strike after the first.
		pub fn node_may_resume_from(presence: &Presence<BlockNumberFor<T>>) -> BlockNumberFor<T> {
			let doublings = presence.strikes.saturating_sub(1).min(MAX_DOUBLINGS);
			let delay = T::NodeResumeDelay::get().saturating_mul((1u32 << doublings).into());
			presence.paused_since.unwrap_or_default().saturating_add(delay)
		}

		/// [`Self::check_paused`], and that the node's wait is over.
		pub fn check_node_resume(
			provider: &T::AccountId,
		) -> Result<Presence<BlockNumberFor<T>>, Error<T>> {
			let presence = Self::check_paused(provider)?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now >= Self::node_may_resume_from(&presence), Error::<T>::ResumeTooEarly);
			Ok(presence)
		}

		/// Ends `who`'s pause (its strikes stay until it answers a task) and makes its offer
		/// selectable from the next block.
		fn resume(who: &T::AccountId, presence: Presence<BlockNumberFor<T>>) {
			Self::keep_presence(who, &Presence { missed: 0, paused_since: None, ..presence });
			let next = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
			Offers::<T>::mutate(who, |offer| {
				if let Some(offer) = offer {
					offer.active_from = next;
				}
			});
			Self::sync_index(who);
			Self::deposit_event(Event::OfferResumed { provider: who.clone() });
		}

		/// Stores `who`'s liveness record, or removes it when empty.
		fn keep_presence(who: &T::AccountId, presence: &Presence<BlockNumberFor<T>>) {
			if *presence == Presence::default() {
				Liveness::<T>::remove(who);
			} else {
				Liveness::<T>::insert(who, presence);
			}
		}

		/// Counts a settled task of `who` toward its liveness (see
		/// [`ProviderMarket::record_attendance`]).
		pub(crate) fn attend(who: &T::AccountId, answered: bool) {
			let stored = Liveness::<T>::get(who);
			if answered && stored.is_none() {
				return; // the common case: present, and nothing to clear
			}
			if !Providers::<T>::contains_key(who) {
				return;
			}
			let mut presence = stored.unwrap_or_default();
			let mut paused = false;
			if answered {
				presence.missed = 0;
				presence.strikes = 0;
			} else {
				presence.missed = presence.missed.saturating_add(1);
				if presence.paused_since.is_none() && presence.missed >= T::MaxMisses::get() {
					presence.paused_since = Some(frame_system::Pallet::<T>::block_number());
					presence.strikes = presence.strikes.saturating_add(1);
					paused = true;
				}
			}
			Self::keep_presence(who, &presence);
			if paused {
				Self::sync_index(who);
				Self::deposit_event(Event::OfferPaused {
					provider: who.clone(),
					missed: presence.missed,
				});
			}
		}

		/// Whether `who`'s offer is paused.
		pub fn is_paused(who: &T::AccountId) -> bool {
			Liveness::<T>::get(who).is_some_and(|presence| presence.paused_since.is_some())
		}

		/// The offchain part of liveness: sends [`Pallet::resume_offer_as_node`] for every
		/// provider whose executor key this node holds, whose offer is paused and whose wait is
		/// over — if this node has a sandbox with room for runs (else resuming would only lose
		/// more tasks; it warns once per pause).
		fn resume_local() {
			for key in T::ExecutorId::all() {
				let Some(provider) = Executors::<T>::get(&key) else { continue };
				let Ok(presence) = Self::check_node_resume(&provider) else { continue };
				let slots = Offers::<T>::get(&provider).map_or(1, |offer| offer.slots);
				let capacity = bourse_primitives::sandbox::sandbox::offered_slots(slots);
				if capacity == 0 || capacity == bourse_primitives::sandbox::NO_SANDBOX {
					let warned = (b"bourse/offers/no-sandbox", &provider).encode();
					let warned = StorageValueRef::persistent(&warned);
					if warned.get::<Option<BlockNumberFor<T>>>().ok().flatten()
						!= Some(presence.paused_since)
					{
						warned.set(&presence.paused_since);
						log::warn!(
							target: "bourse",
							"this node's provider is paused for missed tasks, and this node has \
							 no sandbox to run them: not resuming its offer"
						);
					}
					continue;
				}
				let Some(signature) = key.sign(&Self::resume_payload(&provider, &presence)) else {
					log::warn!(target: "bourse", "the keystore cannot sign a resumption");
					continue;
				};
				let call = Call::<T>::resume_offer_as_node { provider, signature };
				let xt = T::create_authorized_transaction(call.into());
				match SubmitTransaction::<T, Call<T>>::submit_transaction(xt) {
					Ok(()) => log::info!(
						target: "bourse",
						"this node's provider was paused at block {:?} for missed tasks; \
						 resuming its offer",
						presence.paused_since
					),
					// Most often the same resumption, still in the pool from the last block.
					Err(()) => log::debug!(target: "bourse", "the pool refused a resumption"),
				}
			}
		}

		/// The bytes an executor key signs to publish `key` as `provider`'s encryption key at
		/// block `signed_at`: with a context, the genesis hash and the executor key itself, so
		/// the signature is worthless on another chain, for another provider or after the
		/// executor key changed; `signed_at` makes it worthless later.
		pub fn encryption_key_payload(
			provider: &T::AccountId,
			executor: &T::ExecutorId,
			key: &bourse_primitives::reply::ReplyKey,
			signed_at: BlockNumberFor<T>,
		) -> Vec<u8> {
			let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
			(ENCRYPTION_KEY_CONTEXT, genesis, provider, executor, key, signed_at).encode()
		}

		/// Checks a publication of `key` as `provider`'s encryption key signed at `signed_at`,
		/// but for its signature, cheapest first; returns the keys it replaces.
		pub fn check_encryption_key(
			provider: &T::AccountId,
			key: &bourse_primitives::reply::ReplyKey,
			signed_at: BlockNumberFor<T>,
		) -> Result<Option<EncryptionKeySet<BlockNumberFor<T>>>, Error<T>> {
			let record = Providers::<T>::get(provider).ok_or(Error::<T>::NotProvider)?;
			ensure!(record.unbonds_at.is_none(), Error::<T>::Leaving);
			let now = frame_system::Pallet::<T>::block_number();
			let life = BlockNumberFor::<T>::from(ENCRYPTION_KEY_SIGNATURE_LIFE);
			ensure!(
				signed_at <= now && now <= signed_at.saturating_add(life),
				Error::<T>::StaleKeySignature
			);
			let revocation = Revocations::<T>::get(provider);
			if let Some(revocation) = &revocation {
				ensure!(!revocation.frozen, Error::<T>::KeysFrozen);
				ensure!(signed_at > revocation.at, Error::<T>::StaleKeySignature);
			}
			let keys = EncryptionKeys::<T>::get(provider);
			if let Some(keys) = &keys {
				ensure!(!keys.previous_is_live(&now), Error::<T>::RotationTooSoon);
				ensure!(signed_at > keys.current.signed_at, Error::<T>::StaleKeySignature);
			}
			ensure!(bourse_primitives::reply::is_usable_key(key), Error::<T>::UnusableKey);
			ensure!(
				revocation.is_none_or(|revocation| revocation.key.as_ref() != Some(key)),
				Error::<T>::KeyRevoked
			);
			ensure!(
				!keys.as_ref().is_some_and(|keys| keys.is_live(key, &now)),
				Error::<T>::KeyInUse
			);
			Ok(keys)
		}

		/// Pool and block check of [`Pallet::set_encryption_key`]: the state, then the
		/// signature.
		fn authorize_set_encryption_key(
			_source: TransactionSource,
			provider: &T::AccountId,
			key: &bourse_primitives::reply::ReplyKey,
			signed_at: &BlockNumberFor<T>,
			signature: &<T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> TransactionValidityWithRefund {
			Self::check_encryption_key(provider, key, *signed_at).map_err(Self::invalid)?;
			let executor = Providers::<T>::get(provider)
				.ok_or(Self::invalid(Error::<T>::NotProvider))?
				.executor;
			let payload = Self::encryption_key_payload(provider, &executor, key, *signed_at);
			ensure!(executor.verify(&payload, signature), Self::invalid(Error::<T>::BadSignature));
			let valid = ValidTransaction::with_tag_prefix("BourseEncryptionKey")
				.priority(TransactionPriority::MAX / 2)
				.and_provides((provider, signed_at))
				.longevity(u64::from(ENCRYPTION_KEY_SIGNATURE_LIFE))
				.propagate(true)
				.into();
			Ok((valid, Weight::zero()))
		}

		/// Removes `who`'s encryption keys and records the revocation (see [`Revocation`]).
		fn revoke_keys(who: &T::AccountId, freeze: bool) {
			let removed = EncryptionKeys::<T>::take(who);
			let was_frozen = Revocations::<T>::get(who).is_some_and(|r| r.frozen);
			if removed.is_none() && !was_frozen && !freeze {
				return; // nothing published, nothing to undo
			}
			let revocation = Revocation {
				at: frame_system::Pallet::<T>::block_number(),
				key: removed.map(|keys| keys.current.key),
				frozen: freeze,
			};
			Revocations::<T>::insert(who, revocation);
			Self::deposit_event(Event::EncryptionKeysRevoked {
				provider: who.clone(),
				frozen: freeze,
			});
		}

		/// The offchain part of encryption keys: for every provider whose executor key this
		/// node holds, publishes the node's newest encryption key when the chain's current key
		/// is another one (none yet, an older key of this node's, or a key this node does not
		/// hold: lost, or published by another node with the same executor key) and a rotation
		/// is allowed; warns when it is not and the chain's key is not this node's.
		fn publish_local_keys(now: BlockNumberFor<T>) {
			let mut buffer = [0u8; 1 + 32 * bourse_primitives::sandbox::MAX_ENCRYPTION_KEYS];
			let length = bourse_primitives::sandbox::sandbox::encryption_keys(&mut buffer);
			let Some(local) = buffer.get(..length as usize).and_then(|mut bytes| {
				Vec::<bourse_primitives::reply::ReplyKey>::decode(&mut bytes).ok()
			}) else {
				// No sandbox here (not a provider's node); or more keys than the buffer holds,
				// which `MAX_ENCRYPTION_KEYS` (below 64: a one-byte length) rules out.
				return;
			};
			let Some(newest) = local.first() else { return };
			for executor in T::ExecutorId::all() {
				let Some(provider) = Executors::<T>::get(&executor) else { continue };
				let chain = EncryptionKeys::<T>::get(&provider);
				if chain.as_ref().is_some_and(|keys| keys.current.key == *newest) {
					continue;
				}
				if let Err(error) = Self::check_encryption_key(&provider, newest, now) {
					let foreign =
						chain.as_ref().is_some_and(|keys| !local.contains(&keys.current.key));
					let why = match error {
						Error::<T>::RotationTooSoon if foreign => Some(
							"has an encryption key on chain that this node does not hold, and \
							 may not rotate it yet: confidential tasks sealed to it cannot be \
							 opened here (its account can revoke it: `bourse provider \
							 revoke-keys`)",
						),
						Error::<T>::KeyRevoked => Some(
							"had this node's newest encryption key revoked: draw a new one with \
							 `bourse-node rotate-encryption-key`",
						),
						Error::<T>::KeysFrozen => Some(
							"froze its encryption keys: none is published until its executor key \
							 is rotated",
						),
						_ => None,
					};
					// Said once per cause and chain key, not at every block.
					let cause = (&error, chain.as_ref().map(|keys| keys.current.key)).encode();
					let warned = (b"bourse/offers/key-warning", &provider).encode();
					let warned = StorageValueRef::persistent(&warned);
					if let Some(why) = why {
						if warned.get::<Vec<u8>>().ok().flatten().as_ref() != Some(&cause) {
							warned.set(&cause);
							log::warn!(target: "bourse", "this node's provider {why}");
						}
					}
					continue;
				}
				let payload = Self::encryption_key_payload(&provider, &executor, newest, now);
				let Some(signature) = executor.sign(&payload) else {
					log::warn!(target: "bourse", "the keystore cannot sign an encryption key");
					continue;
				};
				let call = Call::<T>::set_encryption_key {
					provider,
					key: *newest,
					signed_at: now,
					signature,
				};
				let xt = T::create_authorized_transaction(call.into());
				match SubmitTransaction::<T, Call<T>>::submit_transaction(xt) {
					Ok(()) => log::info!(target: "bourse", "publishing this node's encryption key"),
					Err(()) => log::debug!(target: "bourse", "the pool refused an encryption key"),
				}
			}
		}

		/// Pool and block check of [`Pallet::limit_offer`]: the state, then the signature.
		fn authorize_limit_offer(
			_source: TransactionSource,
			provider: &T::AccountId,
			slots: &u32,
			signature: &<T::ExecutorId as RuntimeAppPublic>::Signature,
		) -> TransactionValidityWithRefund {
			let offer = Self::check_limit(provider, *slots).map_err(Self::invalid)?;
			Self::check_executor_signed(
				provider,
				&Self::limit_payload(provider, &offer, *slots),
				signature,
			)
			.map_err(Self::invalid)?;
			let valid = ValidTransaction::with_tag_prefix("BourseLimitOffer")
				.priority(TransactionPriority::MAX / 2)
				.and_provides((provider, offer.active_from, offer.slots))
				.longevity(16)
				.propagate(true)
				.into();
			Ok((valid, Weight::zero()))
		}

		/// The bytes an executor key signs to lower `provider`'s `offer` to `slots`: with a
		/// context, the genesis hash and the offer's current first block and slots, so the
		/// signature is worthless on another chain and once the offer changed.
		pub fn limit_payload(
			provider: &T::AccountId,
			offer: &Offer<BalanceOf<T>, BlockNumberFor<T>>,
			slots: u32,
		) -> Vec<u8> {
			let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
			(LIMIT_CONTEXT, genesis, provider, offer.active_from, offer.slots, slots).encode()
		}

		/// Checks a limit of `provider`'s offer to `slots`, but for its signature; returns the
		/// offer.
		pub fn check_limit(
			provider: &T::AccountId,
			slots: u32,
		) -> Result<Offer<BalanceOf<T>, BlockNumberFor<T>>, Error<T>> {
			let record = Providers::<T>::get(provider).ok_or(Error::<T>::NotProvider)?;
			let offer = Offers::<T>::get(provider).ok_or(Error::<T>::NoOffer)?;
			ensure!(
				slots < offer.slots && (slots == 0 || slots >= record.busy_slots),
				Error::<T>::NotALimit
			);
			Ok(offer)
		}

		/// Registers `who` with `bond` and `executor` (the checks of
		/// [`Pallet::register_provider`]).
		pub(crate) fn register(
			who: &T::AccountId,
			executor: T::ExecutorId,
			bond: BalanceOf<T>,
		) -> DispatchResult {
			ensure!(!Providers::<T>::contains_key(who), Error::<T>::AlreadyProvider);
			ensure!(bond >= T::MinBond::get(), Error::<T>::BondBelowMinimum);
			ensure!(!Executors::<T>::contains_key(&executor), Error::<T>::ExecutorKeyInUse);
			ensure!(Providers::<T>::count() < T::MaxProviders::get(), Error::<T>::TooManyProviders);
			T::Currency::hold(&HoldReason::ProviderBond.into(), who, bond)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			Executors::<T>::insert(&executor, who);
			Providers::<T>::insert(
				who,
				Provider { executor: executor.clone(), bond, busy_slots: 0, unbonds_at: None },
			);
			Self::deposit_event(Event::ProviderRegistered {
				provider: who.clone(),
				executor,
				bond,
			});
			Ok(())
		}

		/// Makes `who` a provider with executor key `executor`, a full bond and an offer of
		/// `slots` slots at `price` for tasks of any fuel and the most memory, selectable from the next
		/// block: for other pallets' benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		pub fn benchmark_provider(
			who: &T::AccountId,
			executor: T::ExecutorId,
			price: BalanceOf<T>,
			slots: u32,
		) -> DispatchResult {
			use frame::token::fungible::{Inspect, Mutate};
			let bond =
				T::MinBond::get().max(T::MaxSlash::get().saturating_mul(T::MaxSlots::get().into()));
			T::Currency::set_balance(
				who,
				bond.saturating_mul(2u32.into()).saturating_add(T::Currency::minimum_balance()),
			);
			Self::register(who, executor, bond)?;
			let now = frame_system::Pallet::<T>::block_number();
			Self::set(who, price, u64::MAX, T::MaxMemoryMib::get(), slots, None, now)
		}

		/// Publishes `key` as `who`'s current encryption key, signed now: for other pallets'
		/// benchmarks (a provider's node publishes it through [`Pallet::set_encryption_key`]).
		#[cfg(feature = "runtime-benchmarks")]
		pub fn benchmark_encryption_key(
			who: &T::AccountId,
			key: bourse_primitives::reply::ReplyKey,
		) {
			let signed_at = frame_system::Pallet::<T>::block_number();
			let current = EncryptionKey { key, signed_at };
			EncryptionKeys::<T>::insert(who, EncryptionKeySet { current, previous: None });
		}

		/// Sets `who`'s offer as of block `now` (the checks of [`Pallet::set_offer`]).
		pub(crate) fn set(
			who: &T::AccountId,
			price_per_mfuel: BalanceOf<T>,
			max_fuel: u64,
			max_memory_mib: u32,
			slots: u32,
			expires_at: Option<BlockNumberFor<T>>,
			now: BlockNumberFor<T>,
		) -> DispatchResult {
			let provider = Providers::<T>::get(who).ok_or(Error::<T>::NotProvider)?;
			ensure!(provider.unbonds_at.is_none(), Error::<T>::Leaving);
			ensure!(slots > 0, Error::<T>::ZeroSlots);
			ensure!(slots <= T::MaxSlots::get(), Error::<T>::TooManySlots);
			ensure!(slots >= provider.busy_slots, Error::<T>::SlotsInUse);
			ensure!(!price_per_mfuel.is_zero(), Error::<T>::ZeroPrice);
			ensure!(price_per_mfuel <= T::MaxPricePerMfuel::get(), Error::<T>::PriceTooHigh);
			ensure!(max_fuel >= T::MinOfferFuel::get().max(1), Error::<T>::FuelBelowMinimum);
			ensure!(
				max_memory_mib >= T::MinOfferMemoryMib::get().max(1),
				Error::<T>::MemoryBelowMinimum
			);
			ensure!(max_memory_mib <= T::MaxMemoryMib::get(), Error::<T>::MemoryTooLarge);
			ensure!(expires_at.is_none_or(|last| last > now), Error::<T>::ExpiryInPast);
			ensure!(
				provider.bond >= T::MaxSlash::get().saturating_mul(slots.into()),
				Error::<T>::BondDoesNotCoverSlots
			);
			let class = Self::class_of(max_fuel, max_memory_mib);
			if let Some(old) = Offers::<T>::get(who) {
				Self::unlist(who, &old);
				if Self::class_of(old.max_fuel, old.max_memory_mib) != class {
					Self::free_seat(who);
				}
			}
			if !Seats::<T>::contains_key(who) {
				Self::take_seat(who, class);
			}
			let active_from = now.saturating_add(One::one());
			Offers::<T>::insert(
				who,
				Offer { price_per_mfuel, max_fuel, max_memory_mib, slots, expires_at, active_from },
			);
			Self::sync_index(who);
			Self::deposit_event(Event::OfferSet {
				provider: who.clone(),
				price_per_mfuel,
				max_fuel,
				max_memory_mib,
				slots,
				expires_at,
				active_from,
			});
			Ok(())
		}

		/// Removes `who`'s offer, its index entry and its seat.
		pub(crate) fn remove_offer(
			who: &T::AccountId,
			offer: &Offer<BalanceOf<T>, BlockNumberFor<T>>,
		) {
			Self::unlist(who, offer);
			Self::free_seat(who);
			Offers::<T>::remove(who);
		}

		/// Removes `who`'s `offer` from [`Available`].
		fn unlist(who: &T::AccountId, offer: &Offer<BalanceOf<T>, BlockNumberFor<T>>) {
			let class = Self::class_of(offer.max_fuel, offer.max_memory_mib);
			Available::<T>::remove((class, price_key::<T>(offer.price_per_mfuel), who));
		}

		/// Slots `provider` may hold under `offer`: its slots, fewer if slashes shrank the bond
		/// below what they need.
		pub fn capacity(
			provider: &Provider<T::ExecutorId, BalanceOf<T>, BlockNumberFor<T>>,
			offer: &Offer<BalanceOf<T>, BlockNumberFor<T>>,
		) -> u32 {
			offer.slots.min(Self::covered(provider))
		}

		/// How many slashes of [`Config::MaxSlash`] `provider`'s bond covers.
		fn covered(provider: &Provider<T::ExecutorId, BalanceOf<T>, BlockNumberFor<T>>) -> u32 {
			provider.bond.checked_div(&T::MaxSlash::get()).map_or(0, |n| n.saturated_into::<u32>())
		}

		/// Slots `who` (its record `provider`) can take a task in now under `offer`: none while
		/// it is leaving; else its capacity less its busy slots, and no more than its bond
		/// covers beside the busy slots and the answers held in their window ([`HeldAnswers`]).
		pub fn free_slots(
			who: &T::AccountId,
			provider: &Provider<T::ExecutorId, BalanceOf<T>, BlockNumberFor<T>>,
			offer: &Offer<BalanceOf<T>, BlockNumberFor<T>>,
		) -> u32 {
			if provider.unbonds_at.is_some() {
				return 0;
			}
			let exposed = provider.busy_slots.saturating_add(HeldAnswers::<T>::get(who));
			Self::capacity(provider, offer)
				.saturating_sub(provider.busy_slots)
				.min(Self::covered(provider).saturating_sub(exposed))
		}

		/// Where `who`'s offer belongs in [`Available`] — its class and price — and whether it
		/// belongs there (it has a free slot, is not leaving and not paused); with its weight in
		/// the selection trees (zero when not listed).
		fn belongs_in_index(who: &T::AccountId) -> Option<((u8, PriceKey), bool, u128)> {
			let offer = Offers::<T>::get(who)?;
			let key = (
				Self::class_of(offer.max_fuel, offer.max_memory_mib),
				price_key::<T>(offer.price_per_mfuel),
			);
			let provider = Providers::<T>::get(who);
			let free = provider.as_ref().is_some_and(|p| Self::free_slots(who, p, &offer) > 0)
				&& !Self::is_paused(who);
			let weight = match provider {
				Some(p) if free => Self::weight_of(p.bond, T::Reputation::score(who)),
				_ => 0,
			};
			Some((key, free, weight))
		}

		/// The offer of `who` as requesters see it.
		pub fn offer_view(
			who: &T::AccountId,
		) -> Option<OfferView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
			let offer = Offers::<T>::get(who)?;
			let provider = Providers::<T>::get(who)?;
			Some(OfferView {
				provider: who.clone(),
				price_per_mfuel: offer.price_per_mfuel,
				max_fuel: offer.max_fuel,
				max_memory_mib: offer.max_memory_mib,
				slots: offer.slots,
				free_slots: Self::free_slots(who, &provider, &offer),
				expires_at: offer.expires_at,
				active_from: offer.active_from,
				reputation: T::Reputation::score(who),
			})
		}

		/// The offers with a free slot, cheapest first, at most `limit`.
		pub fn offer_views(
			limit: u32,
		) -> Vec<OfferView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
			let mut listed: Vec<(PriceKey, T::AccountId)> = (0..CLASSES as u8)
				.flat_map(|class| Available::<T>::iter_key_prefix((class,)).take(limit as usize))
				.collect();
			listed.sort();
			listed.truncate(limit as usize);
			listed.into_iter().filter_map(|(_, who)| Self::offer_view(&who)).collect()
		}

		/// `who` as anyone may see it (without its open tasks, which the task pallet knows).
		pub fn provider_view(
			who: &T::AccountId,
		) -> Option<ProviderView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
			let provider = Providers::<T>::get(who)?;
			let presence = Liveness::<T>::get(who).unwrap_or_default();
			Some(ProviderView {
				executor: provider.executor.encode(),
				bond: provider.bond,
				busy_slots: provider.busy_slots,
				unbonds_at: provider.unbonds_at,
				missed: presence.missed,
				paused_since: presence.paused_since,
				reputation: T::Reputation::score(who),
				offer: Self::offer_view(who),
				open_tasks: Vec::new(),
			})
		}

		/// Puts `who`'s offer into [`Available`] or takes it out, and sets its seat's weight,
		/// after a change of its offer, bond, busy slots, pause or reputation.
		pub(crate) fn sync_index(who: &T::AccountId) {
			let Some(((class, price), free, weight)) = Self::belongs_in_index(who) else { return };
			if free {
				Available::<T>::insert((class, price, who), ());
			} else {
				Available::<T>::remove((class, price, who));
			}
			if let Some(seat) = Seats::<T>::get(who) {
				Self::set_seat_weight(seat, weight);
			}
		}

		/// The pallet's invariants:
		/// - each provider's held bond equals its recorded bond, and the bond covers its busy
		///   slots and held answers (`bond ≥ (busy + held) × MaxSlash`); held answers belong to
		///   registered providers that are not leaving, and none is recorded as zero;
		/// - each executor key maps to the provider that holds it, one to one;
		/// - an offer belongs to a provider that is not leaving, its bond covers its slots or
		///   its busy slots, and busy slots ≤ slots;
		/// - [`Available`] holds exactly the offers with a free slot that are not paused, under
		///   their price;
		/// - [`Liveness`] holds only registered providers, and no empty record; a pause began in
		///   the past; a provider not paused has fewer misses than pause.
		/// - [`EncryptionKeys`] holds only registered providers' usable keys, signed in the past
		///   and after their last revocation, the previous one older, another key, and usable for
		///   at most the grace period; [`Revocations`] only registered providers', none frozen
		///   with keys published.
		#[cfg(any(test, feature = "try-runtime"))]
		pub fn do_try_state() -> Result<(), &'static str> {
			use fungible::InspectHold;
			let reason: T::RuntimeHoldReason = HoldReason::ProviderBond.into();
			let mut count = 0u32;
			for (who, provider) in Providers::<T>::iter() {
				count = count.saturating_add(1);
				ensure!(
					T::Currency::balance_on_hold(&reason, &who) == provider.bond,
					"held bond differs from recorded bond"
				);
				let exposed = provider.busy_slots.saturating_add(HeldAnswers::<T>::get(&who));
				ensure!(
					provider.bond >= T::MaxSlash::get().saturating_mul(exposed.into()),
					"bond does not cover busy slots and held answers"
				);
				ensure!(
					Executors::<T>::get(&provider.executor).as_ref() == Some(&who),
					"executor key does not map back to its provider"
				);
			}
			ensure!(count == Providers::<T>::count(), "provider counter is wrong");
			for (who, held) in HeldAnswers::<T>::iter() {
				let provider = Providers::<T>::get(&who).ok_or("held answers of a non-provider")?;
				ensure!(provider.unbonds_at.is_none(), "a leaving provider has held answers");
				ensure!(held > 0, "no held answers recorded as some");
			}
			for (executor, who) in Executors::<T>::iter() {
				ensure!(
					Providers::<T>::get(&who).is_some_and(|p| p.executor == executor),
					"executor key bound to a provider that does not hold it"
				);
			}
			for (who, offer) in Offers::<T>::iter() {
				let provider = Providers::<T>::get(&who).ok_or("offer without provider")?;
				ensure!(provider.unbonds_at.is_none(), "a leaving provider has an offer");
				ensure!(provider.busy_slots <= offer.slots, "more busy slots than slots");
				let ((class, price), free, _) =
					Self::belongs_in_index(&who).ok_or("offer vanished")?;
				ensure!(
					Available::<T>::contains_key((class, price, &who)) == free,
					"price index disagrees with offers"
				);
			}
			for ((class, price, who), ()) in Available::<T>::iter() {
				ensure!(
					Self::belongs_in_index(&who)
						.is_some_and(|(key, free, _)| free && key == (class, price)),
					"price index entry without a free offer of that class and price"
				);
			}
			Self::tree_try_state()?;
			let now = frame_system::Pallet::<T>::block_number();
			for (who, presence) in Liveness::<T>::iter() {
				ensure!(Providers::<T>::contains_key(&who), "liveness of a non-provider");
				ensure!(presence != Presence::default(), "an empty liveness record is kept");
				if let Some(since) = presence.paused_since {
					ensure!(since <= now, "paused in the future");
				} else {
					ensure!(presence.missed < T::MaxMisses::get(), "enough misses but not paused");
				}
			}
			for (who, revocation) in Revocations::<T>::iter() {
				ensure!(Providers::<T>::contains_key(&who), "a revocation of a non-provider");
				ensure!(revocation.at <= now, "a revocation in the future");
				if revocation.frozen {
					ensure!(
						!EncryptionKeys::<T>::contains_key(&who),
						"keys published while frozen"
					);
				}
			}
			for (who, keys) in EncryptionKeys::<T>::iter() {
				ensure!(Providers::<T>::contains_key(&who), "encryption keys of a non-provider");
				if let Some(revocation) = Revocations::<T>::get(&who) {
					ensure!(
						keys.current.signed_at > revocation.at,
						"a key signed before its revocation"
					);
				}
				ensure!(
					bourse_primitives::reply::is_usable_key(&keys.current.key),
					"an unusable encryption key"
				);
				ensure!(keys.current.signed_at <= now, "an encryption key signed in the future");
				if let Some((previous, until)) = &keys.previous {
					ensure!(
						previous.signed_at < keys.current.signed_at,
						"encryption keys out of order"
					);
					ensure!(
						previous.key != keys.current.key,
						"an encryption key replaced by itself"
					);
					ensure!(
						*until <= now.saturating_add(T::EncryptionKeyGrace::get()),
						"a previous encryption key usable beyond the grace period"
					);
				}
			}
			Ok(())
		}
	}

	/// The index key of `price`.
	pub fn price_key<T: Config>(price: BalanceOf<T>) -> PriceKey {
		price.saturated_into::<u128>().to_be_bytes()
	}

	impl<T: Config> ProviderMarket<T::AccountId, BalanceOf<T>> for Pallet<T> {
		fn select(
			requirements: &Requirements<T::AccountId, BalanceOf<T>>,
		) -> Result<Chosen<T>, SelectionError> {
			Self::do_select(requirements)
		}

		fn select_weight(replication: u32) -> Weight {
			// Flat in the number of providers (see the benchmarks); charged at the most there
			// can be.
			let providers = T::MaxProviders::get();
			// Scores read at their worst (the benchmark meets fresh records): a single seat
			// reads every class's window, then draws from the trees; every seat taken is synced.
			let (measured, scores) = if replication <= 1 {
				let window = T::ScanPerClass::get().saturating_mul(CLASSES as u32);
				(T::WeightInfo::select_single(providers), window.saturating_add(SPARE_DRAWS + 2))
			} else {
				let draws = replication.saturating_add(SPARE_DRAWS);
				(T::WeightInfo::select_replicated(providers), draws.saturating_add(replication))
			};
			let market = measured
				.saturating_add(T::Reputation::score_weight().saturating_mul(scores.into()));
			// A confidential task's draw reads each member's score once, and syncs each seat.
			// Its benchmark's members share tree paths (one class, neighbouring leaves): each
			// seat synced and the expired offer removed may touch a path of its own.
			let members = bourse_primitives::confidential::MAX_MEMBERS as u32;
			let paths = replication.saturating_add(REMOVALS_PER_SELECTION as u32);
			let nodes = u64::from(paths.saturating_mul(TREE_DEPTH));
			let listed = T::WeightInfo::select_listed()
				.saturating_add(
					T::Reputation::score_weight()
						.saturating_mul(members.saturating_add(replication).into()),
				)
				.saturating_add(T::DbWeight::get().reads_writes(nodes, nodes));
			market.max(listed)
		}

		fn release(provider: &T::AccountId) {
			Providers::<T>::mutate(provider, |p| {
				if let Some(p) = p {
					p.busy_slots = p.busy_slots.saturating_sub(1);
				}
			});
			Self::sync_index(provider);
		}

		fn hold(provider: &T::AccountId) {
			HeldAnswers::<T>::mutate(provider, |held| *held = held.saturating_add(1));
			Self::release(provider);
		}

		fn held_answers(provider: &T::AccountId) -> u32 {
			HeldAnswers::<T>::get(provider)
		}

		fn release_held(provider: &T::AccountId) {
			HeldAnswers::<T>::mutate_exists(provider, |held| {
				*held = held.map(|n| n.saturating_sub(1)).filter(|n| *n > 0);
			});
			Self::sync_index(provider);
		}

		fn candidates(
			requirements: &Requirements<T::AccountId, BalanceOf<T>>,
		) -> Vec<Assignment<T::AccountId, BalanceOf<T>>> {
			let now = frame_system::Pallet::<T>::block_number();
			// A confidential task's candidates are its eligible members, never the market's.
			let (candidates, _) = if requirements.only.is_empty() {
				Self::scan(requirements, now)
			} else {
				Self::listed(requirements, now)
			};
			candidates
				.into_iter()
				.map(|(provider, price, _)| Assignment { provider, price })
				.collect()
		}

		fn record_attendance(provider: &T::AccountId, answered: bool) {
			Self::attend(provider, answered)
		}

		fn slash(provider: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
			let amount = amount.min(T::MaxSlash::get());
			let Ok(burned) = T::Currency::burn_held(
				&HoldReason::ProviderBond.into(),
				provider,
				amount,
				Precision::BestEffort,
				Fortitude::Force,
			) else {
				return Zero::zero();
			};
			if burned.is_zero() {
				return burned;
			}
			Providers::<T>::mutate(provider, |p| {
				if let Some(p) = p {
					p.bond = p.bond.saturating_sub(burned);
				}
			});
			Self::sync_index(provider);
			// The caller announces the slash with its reason (`Tasks::ProviderSlashed`).
			burned
		}

		fn forfeit(
			provider: &T::AccountId,
			amount: BalanceOf<T>,
			to: &T::AccountId,
		) -> BalanceOf<T> {
			let amount = amount.min(T::MaxSlash::get());
			// To `to`'s free balance (`Restriction::Free`): the payee owns it outright.
			let Ok(moved) = T::Currency::transfer_on_hold(
				&HoldReason::ProviderBond.into(),
				provider,
				to,
				amount,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Force,
			) else {
				return Zero::zero();
			};
			if moved.is_zero() {
				return moved;
			}
			Providers::<T>::mutate(provider, |p| {
				if let Some(p) = p {
					p.bond = p.bond.saturating_sub(moved);
				}
			});
			Self::sync_index(provider);
			moved
		}

		fn encryption_key_live(
			provider: &T::AccountId,
			key: &bourse_primitives::reply::ReplyKey,
		) -> bool {
			let now = frame_system::Pallet::<T>::block_number();
			EncryptionKeys::<T>::get(provider).is_some_and(|keys| keys.is_live(key, &now))
		}
	}

	impl<T: Config> ExecutorKeys<T::AccountId> for Pallet<T> {
		type ExecutorId = T::ExecutorId;

		fn provider_of(executor: &T::ExecutorId) -> Option<T::AccountId> {
			Executors::<T>::get(executor)
		}

		fn executor_of(provider: &T::AccountId) -> Option<T::ExecutorId> {
			Providers::<T>::get(provider).map(|p| p.executor)
		}

		fn offered_slots(provider: &T::AccountId) -> u32 {
			Offers::<T>::get(provider).map_or(0, |offer| offer.slots)
		}
	}
}
