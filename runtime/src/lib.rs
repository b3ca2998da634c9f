//! # Bourse runtime
//!
//! The FRAME runtime of Bourse, a decentralized compute exchange: BABE block production and
//! GRANDPA finality, balances, transaction payment and sudo, and the four market pallets (offers,
//! tasks, attestation, reputation). They plug in here and talk to each other only through traits set in
//! [`configs`].
#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`/`impl_runtime_apis` expand to large recursive types.
#![recursion_limit = "512"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod weights;

use alloc::{borrow::Cow, vec::Vec};
use polkadot_sdk::{
	sp_runtime::{generic, impl_opaque_keys, traits::BlakeTwo256, MultiAddress, MultiSignature},
	sp_version::RuntimeVersion,
	*,
};

use sp_runtime::traits::{IdentifyAccount, Verify};

/// Opaque types: what the node needs to know of blocks without knowing the runtime's calls.
pub mod opaque {
	use super::*;
	use sp_runtime::OpaqueExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, OpaqueExtrinsic>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as sp_runtime::traits::Hash>::Output;

	impl_opaque_keys! {
		/// The keys a validator registers: block production (BABE) and finality (GRANDPA).
		pub struct SessionKeys {
			/// BABE block-production key (sr25519; its VRF outputs are the chain's randomness).
			pub babe: Babe,
			/// GRANDPA finality key (ed25519).
			pub grandpa: Grandpa,
			/// Executor key (sr25519, key type `bour`): signs the answers to tasks assigned to
			/// the provider that bound it.
			pub executor: bourse_primitives::ExecutorId,
		}
	}
}

/// The runtime's version. `spec_version` bumps on every runtime upgrade.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: Cow::Borrowed("bourse"),
	impl_name: Cow::Borrowed("bourse-node"),
	authoring_version: 1,
	spec_version: 121,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 8,
	system_version: 1,
};

/// Target block time. Everything time-based (slot duration, block weight) derives from it.
pub const MILLI_SECS_PER_BLOCK: u64 = 3000;

/// BABE slot duration: at most one primary block per slot. Cannot change after the chain has
/// started.
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Slots per BABE epoch (ten minutes); randomness of an epoch is known two epochs ahead. Cannot
/// change after the chain has started.
pub const EPOCH_DURATION_IN_SLOTS: u64 = 10 * MINUTES as u64;

/// BABE's primary-slot probability `c`: each validator wins a slot's VRF lottery with about
/// this chance; every other slot goes to its secondary (round-robin) author with a VRF too, so
/// every slot has a block. A larger `c` gives more same-slot forks (two primary winners, or a
/// primary and the secondary): with four validators about 7.6 % of slots at 1/10, against
/// 19 % at 1/4, while an epoch still gets about 20 primary VRF outputs.
pub const PRIMARY_PROBABILITY: (u64, u64) = (1, 10);

/// The epoch configuration at genesis.
pub const BABE_GENESIS_EPOCH_CONFIG: sp_consensus_babe::BabeEpochConfiguration =
	sp_consensus_babe::BabeEpochConfiguration {
		c: PRIMARY_PROBABILITY,
		allowed_slots: sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots,
	};

/// Blocks per minute, for durations expressed in blocks.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

/// The smallest unit of the native token, BRS, has 12 decimals.
pub const UNIT: Balance = 1_000_000_000_000;
/// A thousandth of a unit.
pub const MILLI_UNIT: Balance = 1_000_000_000;
/// A millionth of a unit.
pub const MICRO_UNIT: Balance = 1_000_000;
/// Minimum balance an account must keep to exist.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// Block number.
pub type BlockNumber = u32;
/// Signature of transactions: sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;
/// Account identifier: the public key of the signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balance of an account.
pub type Balance = u128;
/// Transaction counter of an account.
pub type Nonce = u32;
/// Hash of blocks and tries.
pub type Hash = sp_core::H256;
/// Address format of calls (accepts an account id and other lookups).
pub type Address = MultiAddress<AccountId, ()>;
/// Block header.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// A block with its justifications.
pub type SignedBlock = generic::SignedBlock<Block>;

/// The transaction extension pipeline. `AuthorizeCall` comes first so that calls with a
/// `#[pallet::authorize]` condition can be sent as general (unsigned, feeless) transactions
/// that are validated in the pool — how validators answer tasks without nonce races.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Extrinsic as the runtime sees it.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload that a signed transaction signs.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations to run on the next runtime upgrade (each runs once, by storage version): the
/// offers' capacity classes and selection trees (offers 0 → 1), the queue with its tasks'
/// entropy (tasks 1 → 2), deadline blocks without a limit (tasks 2 → 3), each task's extras in
/// one entry (tasks 3 → 4), and the first recorded versions of the attestation and reputation
/// layouts (0 → 1, [`RecordVersion`]). Every Bourse pallet declares its version; a layout change
/// raises it and adds its `VersionedMigration` here (`try-runtime` decodes every pallet's whole
/// state after an upgrade, which catches a layout changed without one).
pub type Migrations = (
	pallet_offers::migrations::MigrateToClassedSelection<Runtime>,
	pallet_tasks::migrations::MigrateToQueueEntropy<Runtime>,
	pallet_tasks::migrations::MigrateToUnlimitedDeadlines<Runtime>,
	pallet_tasks::migrations::MigrateToExtrasInOneEntry<Runtime>,
	frame_support::migrations::VersionedMigration<
		0,
		1,
		RecordVersion,
		pallet_attestation::Pallet<Runtime>,
		<Runtime as frame_system::Config>::DbWeight,
	>,
	frame_support::migrations::VersionedMigration<
		0,
		1,
		RecordVersion,
		pallet_reputation::Pallet<Runtime>,
		<Runtime as frame_system::Config>::DbWeight,
	>,
);

/// A layout's first recorded version, with nothing to translate: the attestation and
/// reputation records have kept one layout since the chain's genesis at spec 107 (BABE
/// replaced Aura there with a new genesis, so no chain holds an older one).
/// `VersionedMigration` records the version.
pub struct RecordVersion;

impl frame_support::traits::UncheckedOnRuntimeUpgrade for RecordVersion {}

/// Dispatches blocks and transactions to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	/// The Bourse runtime.
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Babe = pallet_babe;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(7)]
	pub type Reputation = pallet_reputation;

	#[runtime::pallet_index(8)]
	pub type Offers = pallet_offers;

	#[runtime::pallet_index(9)]
	pub type Tasks = pallet_tasks;

	#[runtime::pallet_index(10)]
	pub type Attestation = pallet_attestation;
}
