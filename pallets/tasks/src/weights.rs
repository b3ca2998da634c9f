//! PLACEHOLDER until `scripts/weights.sh` generates this file.
#![allow(missing_docs)]
use polkadot_sdk::polkadot_sdk_frame::weights_prelude::*;
pub trait WeightInfo {
	fn upload_workload(l: u32) -> Weight;
	fn remove_workload() -> Weight;
	fn submit_task() -> Weight;
	fn cancel_task() -> Weight;
	fn on_initialize_timeouts(n: u32) -> Weight;
	fn on_initialize_queue(n: u32) -> Weight;
	fn on_initialize_prune(n: u32) -> Weight;
}
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn upload_workload(_l: u32) -> Weight {
		Weight::MAX
	}
	fn remove_workload() -> Weight {
		Weight::MAX
	}
	fn submit_task() -> Weight {
		Weight::MAX
	}
	fn cancel_task() -> Weight {
		Weight::MAX
	}
	fn on_initialize_timeouts(_n: u32) -> Weight {
		Weight::MAX
	}
	fn on_initialize_queue(_n: u32) -> Weight {
		Weight::MAX
	}
	fn on_initialize_prune(_n: u32) -> Weight {
		Weight::MAX
	}
}
impl WeightInfo for () {
	fn upload_workload(_l: u32) -> Weight {
		Weight::zero()
	}
	fn remove_workload() -> Weight {
		Weight::zero()
	}
	fn submit_task() -> Weight {
		Weight::zero()
	}
	fn cancel_task() -> Weight {
		Weight::zero()
	}
	fn on_initialize_timeouts(_n: u32) -> Weight {
		Weight::zero()
	}
	fn on_initialize_queue(_n: u32) -> Weight {
		Weight::zero()
	}
	fn on_initialize_prune(_n: u32) -> Weight {
		Weight::zero()
	}
}
