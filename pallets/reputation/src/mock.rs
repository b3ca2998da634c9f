//! A minimal runtime for the reputation pallet's tests.

use crate as pallet_reputation;
use crate::frame;
use frame::testing_prelude::*;

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Reputation: pallet_reputation,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// Half-life used by the tests, in blocks.
pub const HALF_LIFE: u64 = 100;
/// One unit of evidence in the tests.
pub const UNIT: u128 = 1_000;

impl pallet_reputation::Config for Test {
	type HalfLife = ConstU64<HALF_LIFE>;
	type ValueUnit = ConstU128<UNIT>;
	type MaxEvidencePerTask = ConstU32<10>;
	type OutVotedWeight = ConstU32<4>;
	type NoShowWeight = ConstU32<2>;
	type AbstainWeight = ConstU32<1>;
	type PriorFailures = ConstU32<2>;
	type WeightInfo = ();
}

/// Fresh test externalities at block 1.
pub fn new_test_ext() -> TestState {
	let mut ext: TestState =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("storage").into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Test externalities at block 1, with the invariants checked after the test body.
pub fn test(body: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		body();
		Reputation::do_try_state().expect("invariants hold");
	});
}
