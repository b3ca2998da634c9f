// This file is part of Bourse. Licensed under Apache-2.0.

//! Weights for `pallet_reputation`: replaced by `scripts/weights.sh reputation`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use polkadot_sdk::polkadot_sdk_frame::weights_prelude::*;

/// Weight functions of `pallet_reputation`.
pub trait WeightInfo {
	fn score() -> Weight;
	fn record() -> Weight;
}

/// Weights for `pallet_reputation` using the Bourse node and recommended hardware.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn score() -> Weight {
		Weight::from_parts(50_000_000, 3_500).saturating_add(T::DbWeight::get().reads(1_u64))
	}
	fn record() -> Weight {
		Weight::from_parts(50_000_000, 3_500)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

impl WeightInfo for () {
	fn score() -> Weight {
		Weight::from_parts(50_000_000, 3_500).saturating_add(RocksDbWeight::get().reads(1_u64))
	}
	fn record() -> Weight {
		Weight::from_parts(50_000_000, 3_500)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
}
