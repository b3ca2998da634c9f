//! The pallets `bourse-node benchmark pallet` can measure (built with `runtime-benchmarks`).

polkadot_sdk::frame_benchmarking::define_benchmarks!(
	[pallet_offers, Offers]
	[pallet_tasks, Tasks]
	[pallet_attestation, Attestation]
	[pallet_reputation, Reputation]
);
