//! A mock runtime for the offers pallet: balances, reputation and offers.

use crate as pallet_offers;
use crate::frame;
use frame::testing_prelude::*;
use polkadot_sdk::pallet_balances;
pub use polkadot_sdk::sp_runtime::testing::UintAuthorityId;

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Reputation: pallet_reputation,
		Offers: pallet_offers,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u128>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = u128;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

impl pallet_reputation::Config for Test {
	type HalfLife = ConstU64<1_000>;
	type ValueUnit = ConstU128<1_000>;
	type MaxEvidencePerTask = ConstU32<10>;
	type OutVotedWeight = ConstU32<4>;
	type NoShowWeight = ConstU32<2>;
	type AbstainWeight = ConstU32<1>;
	type PriorFailures = ConstU32<2>;
	type WeightInfo = ();
}

/// Most one task can slash, in the tests.
pub const MAX_SLASH: u128 = 100;
/// Smallest bond, in the tests.
pub const MIN_BOND: u128 = 200;
/// Unbonding delay, in blocks.
pub const UNBONDING: u64 = 20;
/// Cheapest eligible offers the first seat is drawn from, in the tests.
pub const MAX_CANDIDATES: u32 = 5;
/// Index entries of each capacity class one selection reads, in the tests.
pub const SCAN_PER_CLASS: u32 = 3;
/// Silent tasks in a row that pause an offer, in the tests.
pub const MAX_MISSES: u32 = 3;
/// Blocks into a first pause before the node may resume it, in the tests.
pub const NODE_RESUME_DELAY: u64 = 5;
/// Blocks a previous encryption key stays usable, in the tests.
pub const ENCRYPTION_KEY_GRACE: u64 = 20;

impl pallet_offers::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ExecutorId = UintAuthorityId;
	type Reputation = Reputation;
	type MinBond = ConstU128<MIN_BOND>;
	type MaxSlash = ConstU128<MAX_SLASH>;
	type MaxSlots = ConstU32<8>;
	type MaxPricePerMfuel = ConstU128<1_000_000>;
	type MinOfferFuel = ConstU64<1_000>;
	type MinOfferMemoryMib = ConstU32<1>;
	type MaxMemoryMib = ConstU32<4_096>;
	type MaxProviders = ConstU32<2_000>;
	type UnbondingDelay = ConstU64<UNBONDING>;
	type MaxCandidates = ConstU32<MAX_CANDIDATES>;
	type ScanPerClass = ConstU32<SCAN_PER_CLASS>;
	type MaxReplication = ConstU32<5>;
	type MaxMisses = ConstU32<MAX_MISSES>;
	type NodeResumeDelay = ConstU64<NODE_RESUME_DELAY>;
	type EncryptionKeyGrace = ConstU64<ENCRYPTION_KEY_GRACE>;
	type WeightInfo = ();
}

/// Every test account starts with this much.
pub const ENDOWMENT: u128 = 10_000;

/// Externalities at block 1 with accounts 1..=20 endowed.
pub fn new_test_ext() -> TestState {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("storage");
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=20).map(|who| (who, ENDOWMENT)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances genesis");
	let mut ext: TestState = storage.into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `body` in fresh externalities and checks the invariants after it.
pub fn test(body: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		body();
		Offers::do_try_state().expect("invariants hold");
	});
}

/// The executor key tests give provider `who`: `UintAuthorityId(n)` for the number `n` they
/// name (by convention `100 + who`).
pub fn key(n: u64) -> UintAuthorityId {
	UintAuthorityId(n)
}

/// Extrinsics of the mock: the node's resumptions are general transactions.
pub type Extrinsic = frame_system::mocking::MockUncheckedExtrinsic<Test>;

impl<C> frame_system::offchain::CreateTransactionBase<C> for Test
where
	RuntimeCall: From<C>,
{
	type RuntimeCall = RuntimeCall;
	type Extrinsic = Extrinsic;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extension = ();
	fn create_transaction(call: RuntimeCall, extension: ()) -> Extrinsic {
		Extrinsic::new_transaction(call, extension)
	}
}

impl<C> frame_system::offchain::CreateAuthorizedTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	fn create_extension() {}
}
