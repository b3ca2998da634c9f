//! PLACEHOLDER until `scripts/weights.sh` generates this file.
#![allow(missing_docs)]
use polkadot_sdk::polkadot_sdk_frame::weights_prelude::*;
pub trait WeightInfo {
	fn register_provider() -> Weight;
	fn bond_extra() -> Weight;
	fn rotate_executor() -> Weight;
	fn set_offer() -> Weight;
	fn withdraw_offer() -> Weight;
	fn unregister_provider() -> Weight;
	fn withdraw_bond() -> Weight;
	fn select_providers(n: u32) -> Weight;
	fn release_slot() -> Weight;
	fn slash() -> Weight;
}
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_provider() -> Weight {
		Weight::MAX
	}
	fn bond_extra() -> Weight {
		Weight::MAX
	}
	fn rotate_executor() -> Weight {
		Weight::MAX
	}
	fn set_offer() -> Weight {
		Weight::MAX
	}
	fn withdraw_offer() -> Weight {
		Weight::MAX
	}
	fn unregister_provider() -> Weight {
		Weight::MAX
	}
	fn withdraw_bond() -> Weight {
		Weight::MAX
	}
	fn select_providers(_n: u32) -> Weight {
		Weight::MAX
	}
	fn release_slot() -> Weight {
		Weight::MAX
	}
	fn slash() -> Weight {
		Weight::MAX
	}
}
impl WeightInfo for () {
	fn register_provider() -> Weight {
		Weight::zero()
	}
	fn bond_extra() -> Weight {
		Weight::zero()
	}
	fn rotate_executor() -> Weight {
		Weight::zero()
	}
	fn set_offer() -> Weight {
		Weight::zero()
	}
	fn withdraw_offer() -> Weight {
		Weight::zero()
	}
	fn unregister_provider() -> Weight {
		Weight::zero()
	}
	fn withdraw_bond() -> Weight {
		Weight::zero()
	}
	fn select_providers(_n: u32) -> Weight {
		Weight::zero()
	}
	fn release_slot() -> Weight {
		Weight::zero()
	}
	fn slash() -> Weight {
		Weight::zero()
	}
}
