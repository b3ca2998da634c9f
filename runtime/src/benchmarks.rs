//! The pallets `bourse-node benchmark pallet` can measure (built with `runtime-benchmarks`).

polkadot_sdk::frame_benchmarking::define_benchmarks!(
	// The transaction extensions' own weights, on this runtime and its database.
	[frame_system_extensions, polkadot_sdk::frame_system_benchmarking::extensions::Pallet::<Runtime>]
	[pallet_offers, Offers]
	[pallet_tasks, Tasks]
	[pallet_attestation, Attestation]
	[pallet_reputation, Reputation]
);
