//! Builds the runtime to Wasm (the on-chain code) when the `std` feature is on.
fn main() {
	#[cfg(feature = "std")]
	{
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
	}
}
