//! Configuration of each pallet of the runtime.

use super::*;
use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{
		fungible::HoldConsideration, ConstU128, ConstU32, ConstU64, ConstU8, LinearStoragePrice,
		VariantCountOf,
	},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_MILLIS},
		IdentityFee, Weight,
	},
};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_runtime::{traits::One, Perbill};

/// Largest block, in bytes.
const MAX_BLOCK_LENGTH: u32 = 5 * 1024 * 1024;

/// Share of a block's weight and length available to normal (user) transactions.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// A third of the block time is spent executing; the rest goes to propagation and import.
	pub RuntimeBlockWeights: frame_system::limits::BlockWeights =
		frame_system::limits::BlockWeights::with_sensible_defaults(
			Weight::from_parts(WEIGHT_REF_TIME_PER_MILLIS.saturating_mul(MILLI_SECS_PER_BLOCK / 3), u64::MAX),
			NORMAL_DISPATCH_RATIO,
		);
	/// 5 MiB blocks, of which normal transactions may fill `NORMAL_DISPATCH_RATIO`.
	pub RuntimeBlockLength: frame_system::limits::BlockLength =
		frame_system::limits::BlockLength::builder()
			.max_length(MAX_BLOCK_LENGTH)
			.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * MAX_BLOCK_LENGTH)
			.build();
	/// The generic Substrate SS58 prefix.
	pub const SS58Prefix: u8 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	// The node stores state in ParityDb (RocksDB is not even built), so storage is priced at
	// ParityDb's measured costs.
	type DbWeight = ParityDbWeight;
	// The transaction extensions' checks, measured on this runtime and ParityDb (the default
	// prices them on RocksDB and the reference machine).
	type ExtensionsWeightInfo = crate::weights::frame_system_extensions::WeightInfo<Runtime>;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_babe::Config for Runtime {
	type EpochDuration = ConstU64<{ crate::EPOCH_DURATION_IN_SLOTS }>;
	type ExpectedBlockTime = ConstU64<{ crate::MILLI_SECS_PER_BLOCK }>;
	// A fixed authority set from genesis: no session pallet.
	type EpochChangeTrigger = pallet_babe::SameAuthoritiesForever;
	type DisabledValidators = ();
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	// No equivocation reports: there is no session to prove key ownership in.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Babe;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type Balance = Balance;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type ReserveIdentifier = [u8; 8];
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Evidence halves in a week: recent behaviour counts most.
	pub const ReputationHalfLife: BlockNumber = 7 * DAYS;
	/// A task worth 10 mBRS is one unit of evidence.
	pub const ReputationValueUnit: Balance = 10 * MILLI_UNIT;
}

impl pallet_reputation::Config for Runtime {
	type HalfLife = ReputationHalfLife;
	type ValueUnit = ReputationValueUnit;
	// One task adds at most ten units: a reputation is built from many tasks, not bought.
	type MaxEvidencePerTask = ConstU32<10>;
	// A lie costs eight honest tasks, silence three.
	type OutVotedWeight = ConstU32<8>;
	type NoShowWeight = ConstU32<3>;
	// Abstaining costs a third of silence.
	type AbstainWeight = ConstU32<1>;
	// Newcomers score 1/4; an established honest provider approaches 1.
	type PriorFailures = ConstU32<2>;
	type WeightInfo = pallet_reputation::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Smallest provider bond.
	pub const MinProviderBond: Balance = 100 * UNIT;
	/// Most one task can slash; the bond covers it for every slot.
	pub const MaxSlash: Balance = 10 * UNIT;
	/// Slashed from a provider silent while a quorum answered in time: half a lie's slash.
	pub const NoShowSlash: Balance = 5 * UNIT;
	/// Fuel an honest provider surely burns in one block time (3 s): 2e8 fuel per second, i.e.
	/// 5 ns per fuel, about twice the slowest CPU-bound code measured on the executor's fuel
	/// schedule (2.3 ns/fuel; `executor/benches/fuel.rs`). Task windows grow from it: 1e8 fuel
	/// gets a commit window of 4 blocks, 1e9 of 5, 1e10 of 20.
	pub const FuelPerBlock: u64 = 600_000_000;
	/// Highest price per million fuel an offer may ask.
	pub const MaxPricePerMfuel: Balance = UNIT;
	/// A provider's bond stays held an hour after it unregisters.
	pub const UnbondingDelay: BlockNumber = HOURS;
	/// A provider's previous encryption key stays usable a day after a rotation: a task lives
	/// at most a few hours from its submission (a job's wait and a timeout of at most an hour
	/// each, then its audits and committee), so every task sealed to it can still be opened.
	pub const EncryptionKeyGrace: BlockNumber = DAYS;
}

impl pallet_offers::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ExecutorId = bourse_primitives::ExecutorId;
	type Reputation = Reputation;
	type MinBond = MinProviderBond;
	type MaxSlash = MaxSlash;
	type MaxSlots = MaxSlots;
	type MaxPricePerMfuel = MaxPricePerMfuel;
	// An offer must take real tasks: a billion fuel (about a second of compute) and 64 MiB.
	type MinOfferFuel = ConstU64<1_000_000_000>;
	type MinOfferMemoryMib = ConstU32<64>;
	// wasm32 memories end at 4 GiB.
	type MaxMemoryMib = ConstU32<4_096>;
	type MaxProviders = ConstU32<10_000>;
	type UnbondingDelay = UnbondingDelay;
	// The first seat's window: the cheapest five eligible offers.
	type MaxCandidates = ConstU32<5>;
	// Three entries of each of the nine capacity classes.
	type ScanPerClass = ConstU32<3>;
	type MaxReplication = MaxReplication;
	// Three no-shows in a row pause an offer: one can be bad luck (a lost transaction), three in
	// a row a node that is down. (Concurrent tasks can settle in one block, so a restart during
	// three of them pauses too; the node resumes it when it is back.)
	type MaxMisses = ConstU32<3>;
	// The node may resume a first pause after 10 blocks (30 s), doubling with each pause
	// without an answer in between, up to 640 blocks (32 min).
	type NodeResumeDelay = ConstU32<10>;
	type EncryptionKeyGrace = EncryptionKeyGrace;
	type WeightInfo = pallet_offers::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Most providers one task may have (odd, see `bourse_primitives::is_valid_replication`):
	/// the one bound of tasks, selection and attestation.
	pub const MaxReplication: u32 = 5;
}

parameter_types! {
	/// Deposit per byte of stored workload code.
	pub const WorkloadDepositPerByte: Balance = 10 * MICRO_UNIT;
	/// Deposit per stored workload.
	pub const WorkloadDepositBase: Balance = 10 * MILLI_UNIT;
	/// Workload deposits are held for this reason.
	pub const WorkloadHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Tasks(pallet_tasks::HoldReason::WorkloadDeposit);
	/// Fee per task on top of the fuel escrow.
	pub const TaskBaseFee: Balance = MILLI_UNIT;
	/// Longest timeout: an hour.
	pub const MaxTaskTimeout: BlockNumber = HOURS;
	/// The share of a block that settling task deadlines may take: enough to settle, each at
	/// its worst, every deadline one block can create (the runtime's integrity test).
	pub const DeadlineShare: Perbill = Perbill::from_percent(80);
	/// Settled tasks and their outputs are kept a day.
	pub const TaskRetention: BlockNumber = DAYS;
	/// The least rent per block for a place in the task queue: 300 µBRS, so holding one place
	/// for an hour costs 0.36 BRS and the whole queue (256 places) about 92 BRS an hour.
	pub const MinQueueRent: Balance = 300 * MICRO_UNIT;
	/// Storage deposit per task item (the task, each output), as for workloads.
	pub const TaskDepositBase: Balance = 10 * MILLI_UNIT;
	/// Storage deposit per byte of a task's input and outputs, as for workloads: 10.24 mBRS
	/// per KiB.
	pub const TaskDepositPerByte: Balance = 10 * MICRO_UNIT;
}

/// Most tasks a provider runs at once (its offer's slots).
pub type MaxSlots = ConstU32<16>;

/// Largest task output: the sandbox's output limit, the same on every node.
pub type MaxOutputSize = ConstU32<{ bourse_primitives::defaults::MAX_OUTPUT_BYTES }>;

/// Largest box of a lone answer: the largest output sealed to a reply key.
pub type MaxSealedSize = ConstU32<
	{
		bourse_primitives::reply::max_sealed_len(
			bourse_primitives::defaults::MAX_OUTPUT_BYTES as usize,
		) as u32
	},
>;

parameter_types! {
	/// A lone answer is final 10 blocks (30 s) after it lands: the requester's client opens
	/// its box within a block, and has the rest to prove a bad delivery.
	pub const VerificationWindow: BlockNumber = 10;
	/// A bad-delivery claim that proves nothing costs its requester 0.1 BRS, burned: a
	/// hundred base fees, so that opening boxes on demand is no way to harass a provider.
	pub const FalseClaimFee: Balance = 100 * MILLI_UNIT;
	/// One lone answer in ten is audited at least (BOINC checks 5–10 % of results); valuable
	/// tasks more (`pallet_tasks::Pallet::audit_rate`).
	pub const AuditRate: Perbill = Perbill::from_percent(10);
}

impl pallet_tasks::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Market = Offers;
	type Reputation = Reputation;
	type Judge = Attestation;
	type Randomness = BlockVrfRandomness;
	type BlockAuthor = BabeBlockAuthor;
	type MaxCodeSize = ConstU32<{ 512 * 1024 }>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		WorkloadHoldReason,
		LinearStoragePrice<WorkloadDepositBase, WorkloadDepositPerByte, Balance>,
	>;
	type MaxInputSize = ConstU32<{ 64 * 1024 }>;
	type MaxOutputSize = MaxOutputSize;
	type MaxSealedSize = MaxSealedSize;
	type VerificationWindow = VerificationWindow;
	type FalseClaimFee = FalseClaimFee;
	type AuditRate = AuditRate;
	// Above the most answers a block's weight allows; the rest would wait a block.
	type FinalizePerBlock = ConstU32<128>;
	type MaxMemoryMib = ConstU32<4_096>;
	type MaxReplication = MaxReplication;
	// Execute, commit and reveal take three blocks; five leave room for a missed slot.
	type MinTimeout = ConstU32<5>;
	type MaxTimeout = MaxTaskTimeout;
	type BaseFee = TaskBaseFee;
	// A wrong or missing answer costs the most a task may slash.
	type Slash = MaxSlash;
	// Half the out-voted slash: silence is not a lie.
	type NoShowSlash = NoShowSlash;
	type FuelPerBlock = FuelPerBlock;
	type MaxQueued = ConstU32<256>;
	type MinQueueRent = MinQueueRent;
	type TaskDepositBase = TaskDepositBase;
	type TaskDepositPerByte = TaskDepositPerByte;
	type AssignPerBlock = ConstU32<8>;
	// A 1,024-tile render is one job; a block's weight and length bound how many it carries.
	type MaxJobTiles = ConstU32<1024>;
	type MaxQueuedJobs = ConstU32<64>;
	// 32 selections of the most providers: about a fifth of a block at their worst.
	type JobTriesPerBlock = ConstU32<32>;
	// A 1,024-tile job closes within 16 blocks.
	type JobClosesPerBlock = ConstU32<64>;
	// Above the most submissions a block's weight allows (the pallet's integrity test).
	type MaxPending = ConstU32<192>;
	// Any number of tasks may share a deadline block; settling takes at most 80 % of a
	// block and carries the rest over.
	type DeadlineShare = DeadlineShare;
	type Retention = TaskRetention;
	// Above the most submissions a block's weight allows, and the job tiles a block assigns
	// or closes (the pallet's integrity test).
	type PrunePerBlock = ConstU32<256>;
	type WeightInfo = pallet_tasks::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketBenchmarks;
}

/// This block's own randomness: the output of the VRF its BABE author evaluated for its slot
/// (from the pre-digest that `pallet_babe` keeps while the block executes, as `pallet_babe`
/// derives it at `on_finalize`), mixed with the parent block's hash.
///
/// - The authors of earlier blocks cannot know the VRF output. (Unlike
///   `pallet_babe::ParentBlockRandomness`, it is not the parent's output, which the parent's
///   author knew while choosing the transactions it included.)
/// - This block's author knows its VRF output ahead (once the epoch's randomness is fixed) but
///   cannot choose it, only withhold the block. The parent's hash keeps it from computing any
///   draw before the parent is sealed, when nothing it sends can still land in the parent (a
///   bond or offer change there would otherwise move a draw it foresaw).
/// - Only an author of both blocks knows both ahead.
///
/// Blocks without a VRF output (genesis; benchmarks and tests, which author no BABE blocks) fall
/// back to the parent hash alone.
pub struct BlockVrfRandomness;

impl frame_support::traits::Randomness<Hash, BlockNumber> for BlockVrfRandomness {
	fn random(subject: &[u8]) -> (Hash, BlockNumber) {
		use sp_core::crypto::Wraps;
		let now = System::block_number();
		let vrf = pallet_babe::Initialized::<Runtime>::get().flatten().and_then(|pre_digest| {
			let signature = pre_digest.vrf_signature()?;
			let authorities = pallet_babe::Authorities::<Runtime>::get();
			let (authority, _) = authorities.get(pre_digest.authority_index() as usize)?;
			let transcript = sp_consensus_babe::make_vrf_transcript(
				&pallet_babe::Randomness::<Runtime>::get(),
				pallet_babe::CurrentSlot::<Runtime>::get(),
				pallet_babe::EpochIndex::<Runtime>::get(),
			);
			authority
				.as_inner_ref()
				.make_bytes::<{ sp_consensus_babe::RANDOMNESS_LENGTH }>(
					sp_consensus_babe::RANDOMNESS_VRF_CONTEXT,
					&transcript,
					&signature.pre_output,
				)
				.ok()
		});
		let parent = System::parent_hash();
		(<BlakeTwo256 as sp_runtime::traits::Hash>::hash_of(&(vrf, parent, subject)), now)
	}
}

/// This block's BABE author, from the pre-digest `pallet_babe` keeps while the block executes
/// (its `on_initialize` runs before the tasks pallet's: a runtime test pins the order). Every
/// block but genesis has one: the client refuses blocks without, and blocks without a VRF output
/// (plain secondary slots), which the chain's epoch configuration does not allow.
pub struct BabeBlockAuthor;

impl bourse_primitives::traits::BlockAuthor for BabeBlockAuthor {
	fn author() -> bourse_primitives::traits::Authored {
		use bourse_primitives::traits::Authored;
		let authorities = pallet_babe::Authorities::<Runtime>::get();
		if authorities.len() <= 1 {
			return Authored::Alone;
		}
		let Some(pre_digest) = pallet_babe::Initialized::<Runtime>::get().flatten() else {
			return Authored::Unknown;
		};
		// By key, not index: an index names another authority once the set changes. (The client
		// refuses an index outside the set.)
		let key = authorities
			.get(pre_digest.authority_index() as usize)
			.and_then(|(key, _)| <[u8; 32]>::try_from(AsRef::<[u8]>::as_ref(key)).ok())
			.unwrap_or_default();
		if pre_digest.vrf_signature().is_none() {
			return Authored::WithoutVrf(key);
		}
		Authored::By(key)
	}
}

/// Whether this node's keystore holds the BABE key of the author of the block the offchain
/// worker processes, found from the block's pre-runtime digest (in `System::Digest`, which the
/// offchain worker's `Executive` deposits again; `pallet_authorship` would have forgotten it).
/// A sole authority counts as not authoring: it authors the next block too and includes its own
/// answers itself, so there is no peer to race and nothing needs to wait.
pub struct BabeAuthorship;

impl bourse_primitives::traits::LocalAuthorship for BabeAuthorship {
	fn authored_here() -> bool {
		use frame_support::traits::FindAuthor;
		let authorities = pallet_babe::Authorities::<Runtime>::get();
		if authorities.len() <= 1 {
			return false;
		}
		let digest = frame_system::Pallet::<Runtime>::digest();
		let pre_runtime = digest.logs.iter().filter_map(|log| log.as_pre_runtime());
		let Some(index) = <Babe as FindAuthor<u32>>::find_author(pre_runtime) else {
			return false;
		};
		let Some((author, _)) = usize::try_from(index).ok().and_then(|i| authorities.get(i)) else {
			return false;
		};
		let author: &[u8] = author.as_ref();
		sp_io::crypto::sr25519_public_keys(sp_core::crypto::key_types::BABE)
			.iter()
			.any(|key| AsRef::<[u8]>::as_ref(key) == author)
	}
}

impl pallet_attestation::Config for Runtime {
	type ExecutorId = bourse_primitives::ExecutorId;
	type Keys = Offers;
	type Tasks = Tasks;
	type Authorship = BabeAuthorship;
	// A third of a slot: ample for a block to reach peers, and the answer still makes the next.
	type AuthorAnswerDelay = ConstU64<{ MILLI_SECS_PER_BLOCK / 3 }>;
	type MaxOutputSize = MaxOutputSize;
	type MaxSealedSize = MaxSealedSize;
	type MaxReplication = MaxReplication;
	// The version in use and the next one, during a rolling upgrade.
	type MaxExecutorVersions = ConstU32<2>;
	// A provider's node answers every task it holds in one call.
	type MaxAnswersPerCall = MaxSlots;
	type WeightInfo = pallet_attestation::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketBenchmarks;
}

impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type RuntimeCall = RuntimeCall;
	type Extrinsic = UncheckedExtrinsic;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extension = TxExtension;
	fn create_transaction(call: RuntimeCall, extension: TxExtension) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_transaction(call, extension)
	}
}

/// Offchain workers answer tasks with general transactions that `AuthorizeCall` authorizes: no
/// signer, so no nonce (always 0) and no fee; immortal, as answers are deduplicated by tag.
impl<C> frame_system::offchain::CreateAuthorizedTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	fn create_extension() -> TxExtension {
		(
			frame_system::AuthorizeCall::<Runtime>::new(),
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(sp_runtime::generic::Era::Immortal),
			frame_system::CheckNonce::<Runtime>::from(0),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
			frame_system::WeightReclaim::<Runtime>::new(),
		)
	}
}

/// Providers and assigned tasks for the tasks and attestation benchmarks, made through the
/// offers and tasks pallets.
#[cfg(feature = "runtime-benchmarks")]
pub struct MarketBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl MarketBenchmarks {
	fn executor(i: u32) -> bourse_primitives::ExecutorId {
		use codec::{Decode, Encode};
		let seed = (i, *b"bourse-benchmark-executor").encode();
		Decode::decode(&mut sp_runtime::traits::TrailingZeroInput::new(&seed))
			.expect("any 32 bytes decode to a key")
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_tasks::BenchmarkHelper<AccountId> for MarketBenchmarks {
	fn provider(i: u32, slots: u32) -> AccountId {
		let who: AccountId = frame_benchmarking::account("provider", i, 0);
		pallet_offers::Pallet::<Runtime>::benchmark_provider(
			&who,
			Self::executor(i),
			MILLI_UNIT,
			slots,
		)
		.expect("a fresh benchmark provider registers");
		who
	}

	fn encryption_key(provider: &AccountId) -> bourse_primitives::reply::ReplyKey {
		use codec::Encode;
		let secret =
			sp_io::hashing::blake2_256(&(b"bourse-benchmark-encryption", provider).encode());
		let key = bourse_primitives::reply::public_key(&secret).expect("any secret has a key");
		pallet_offers::Pallet::<Runtime>::benchmark_encryption_key(provider, key);
		key
	}

	/// A block authored by the first BABE authority in a secondary VRF slot, as pallet_babe
	/// keeps its pre-digest while the block executes: `BlockVrfRandomness` derives the VRF
	/// output from it (the proof is not checked there; the client checked it on import). The
	/// authority set is the largest allowed (the dev chain's authority, repeated).
	fn set_block_randomness() {
		use codec::Decode;
		use sp_consensus_babe::digests::{PreDigest, SecondaryVRFPreDigest};
		// A valid curve point for the pre-output (the Ristretto base point), a zero proof.
		let mut signature = alloc::vec![
			0xe2, 0xf2, 0xae, 0x0a, 0x6a, 0xbc, 0x4e, 0x71, 0xa8, 0x84, 0xa9, 0x61, 0xc5, 0x00,
			0x51, 0x5f, 0x58, 0xe3, 0x0b, 0x6a, 0xa5, 0x82, 0xdd, 0x8d, 0xb6, 0xa6, 0x59, 0x45,
			0xe0, 0x8d, 0x2d, 0x76,
		];
		signature.resize(32 + 64, 0);
		let vrf_signature = Decode::decode(&mut &signature[..]).expect("a pre-output and a proof");
		let slot = sp_consensus_babe::Slot::from(1_000);
		pallet_babe::CurrentSlot::<Runtime>::put(slot);
		let pre_digest = PreDigest::SecondaryVRF(SecondaryVRFPreDigest {
			authority_index: 0,
			slot,
			vrf_signature,
		});
		pallet_babe::Initialized::<Runtime>::put(Some(pre_digest));
		let mut authorities = pallet_babe::Authorities::<Runtime>::get().into_inner();
		if let Some(first) = authorities.first().cloned() {
			let most =
				<<Runtime as pallet_babe::Config>::MaxAuthorities as frame_support::traits::Get<
					u32,
				>>::get() as usize;
			authorities.resize(most, first);
		}
		pallet_babe::Authorities::<Runtime>::put(frame_support::WeakBoundedVec::force_from(
			authorities,
			None,
		));
	}
}

/// The audit terms of the benchmarks' tasks: a lone task seals a coin (whose secret is
/// [`BENCH_COIN_SECRET`]), a replicated one none.
#[cfg(feature = "runtime-benchmarks")]
fn bench_audit_terms(replication: u32) -> Option<bourse_primitives::AuditTerms> {
	(replication == 1).then(|| bourse_primitives::AuditTerms {
		seal: bourse_primitives::reply::audit_seal(&BENCH_COIN_SECRET),
		rate: Perbill::zero(),
	})
}

/// The secret of the benchmarks' audit coins.
#[cfg(feature = "runtime-benchmarks")]
pub const BENCH_COIN_SECRET: [u8; 32] = [0x17; 32];

#[cfg(feature = "runtime-benchmarks")]
impl pallet_attestation::BenchmarkHelper<AccountId, bourse_primitives::ExecutorId>
	for MarketBenchmarks
{
	fn assigned_task(
		keys: Vec<bourse_primitives::ExecutorId>,
	) -> (pallet_tasks::TaskId, Vec<AccountId>) {
		use pallet_tasks::TaskLedger;
		let replication = keys.len() as u32;
		let task_id = Self::submitted_task(keys, replication);
		let providers = Tasks::assignment(task_id).map(|a| a.providers).unwrap_or_default();
		(task_id, providers)
	}

	fn lone_task(
		keys: Vec<bourse_primitives::ExecutorId>,
	) -> (pallet_tasks::TaskId, Vec<AccountId>) {
		let count = keys.len() as u32;
		let task_id = Self::submitted_task(keys, 1);
		(task_id, (0..count).map(|i| frame_benchmarking::account("provider", i, 0)).collect())
	}

	fn lone_tasks(
		key: bourse_primitives::ExecutorId,
		count: u32,
	) -> (AccountId, Vec<pallet_tasks::TaskId>) {
		let tasks = Self::submitted_tasks(alloc::vec![key], 1, count);
		(frame_benchmarking::account("provider", 0, 0), tasks)
	}

	fn start_audit(task_id: pallet_tasks::TaskId) {
		use frame_support::traits::Hooks;
		let Some(pallet_tasks::TaskState::Answered { final_at, .. }) =
			pallet_tasks::Tasks::<Runtime>::get(task_id).map(|t| t.state)
		else {
			return;
		};
		System::set_block_number(final_at);
		Tasks::on_initialize(final_at);
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl MarketBenchmarks {
	/// Registers a fresh benchmark provider per key, then submits a task of `replication`
	/// and assigns it in the next block.
	fn submitted_task(
		keys: Vec<bourse_primitives::ExecutorId>,
		replication: u32,
	) -> pallet_tasks::TaskId {
		Self::submitted_tasks(keys, replication, 1).first().copied().unwrap_or_default()
	}

	/// Registers a fresh benchmark provider per key, then submits `count` tasks of
	/// `replication` (at most what the providers' 16 slots each hold) and assigns them in the
	/// next block.
	fn submitted_tasks(
		keys: Vec<bourse_primitives::ExecutorId>,
		replication: u32,
		count: u32,
	) -> Vec<pallet_tasks::TaskId> {
		use frame_support::traits::fungible::Mutate;
		// The genesis providers' keys are not in the benchmark keystore: their offers go, so
		// that no draw (a seat by price, an auditor by stake) picks them.
		let genesis: alloc::vec::Vec<AccountId> =
			pallet_offers::Offers::<Runtime>::iter_keys().collect();
		for who in genesis {
			let _ = pallet_offers::Pallet::<Runtime>::withdraw_offer(RuntimeOrigin::signed(who));
		}
		for (i, key) in keys.into_iter().enumerate() {
			let who: AccountId = frame_benchmarking::account("provider", i as u32, 0);
			pallet_offers::Pallet::<Runtime>::benchmark_provider(&who, key, MILLI_UNIT / 2, 16)
				.expect("a fresh benchmark provider registers");
		}
		System::set_block_number(System::block_number().saturating_add(1));
		let requester: AccountId = frame_benchmarking::account("requester", 0, 0);
		Balances::set_balance(&requester, 1_000_000 * UNIT);
		let code = b"\0asm\x01\0\0\0benchmark".to_vec();
		let hash = sp_io::hashing::blake2_256(&code);
		let _ = Tasks::upload_workload(RuntimeOrigin::signed(requester.clone()), code);
		let fuel = 1_000_000;
		// The shortest timeout this fuel allows (windows follow the fuel).
		let (_, timeout) = Tasks::windows(fuel, replication);
		let tasks = (0..count)
			.map(|i| {
				let task_id = pallet_tasks::NextTaskId::<Runtime>::get();
				// Each task its own reply key, as a requester's client makes them.
				let mut reply_key = [7; 32];
				reply_key[..4].copy_from_slice(&i.to_le_bytes());
				// The largest input: each answer reads the task's record, input and all.
				let input =
					alloc::vec![1; <<Runtime as pallet_tasks::Config>::MaxInputSize as frame_support::traits::Get<u32>>::get() as usize];
				Tasks::submit_task(
					RuntimeOrigin::signed(requester.clone()),
					hash,
					input,
					fuel,
					1,
					MILLI_UNIT / 2,
					replication,
					Perbill::zero(),
					timeout,
					None,
					reply_key,
					bench_audit_terms(replication),
				)
				.expect("the benchmark providers are free");
				task_id
			})
			.collect();
		// The next block assigns them.
		let next = System::block_number().saturating_add(1);
		System::set_block_number(next);
		Tasks::assign_pending(next, &mut pallet_tasks::Seeds::new());
		tasks
	}
}
