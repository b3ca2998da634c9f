//! The seeded driver's target under libFuzzer: the bytes decode into blocks of calls on a fresh
//! chain; any broken invariant, breached limit or panic aborts with the finding.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	let mut stats = bourse_fuzzer::Stats::default();
	if let Err(finding) = bourse_fuzzer::run_bytes(data, &mut stats) {
		panic!("after block {}: {}", finding.block, finding.what);
	}
});
