//! The machine code the sandbox runs, for reading: prepares a module as the sandbox does (the
//! stack meter), compiles it with the sandbox's exact engine configuration and writes the
//! compiled artefact (an ELF object), to disassemble with `objdump`.
//!
//! `cargo run --release -p bourse-executor --example codegen -- [module.wasm] out.cwasm`
//!
//! Without a module, it compiles a probe whose functions each do one memory access (at a small
//! static offset, and at one past the 32 MiB guard), so that what guards an access is easy to
//! see: `objdump -d -M intel --no-show-raw-insn out.cwasm`; a bounds check shows as a `cmp`
//! followed by `cmova` (the Spectre guard) or a branch to a `ud2` before the load. Function
//! `N` of the module is `wasm[0]::function[N + 1]` (the stack meter's import comes first).

use bourse_executor::{engine_config, prepare, ExecutorConfig};

/// One access per function: a small offset (within the guard), and one past it.
const PROBE: &str = r#"(module
	(memory (export "memory") 1)
	(func (export "_start"))
	(func (export "small_offset") (param i32) (result i64)
		local.get 0
		i64.load offset=16)
	(func (export "past_the_guard") (param i32) (result i64)
		local.get 0
		i64.load offset=0x2000010)
	(func (export "store_f64") (param i32 f64)
		local.get 0
		local.get 1
		f64.store offset=8))"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
	let args: Vec<String> = std::env::args().skip(1).collect();
	let (code, out) = match args.as_slice() {
		[out] => (wat::parse_str(PROBE)?, out.clone()),
		[module, out] => (std::fs::read(module)?, out.clone()),
		_ => return Err("usage: codegen [module.wasm] out.cwasm".into()),
	};
	let rules = prepare::Rules { max_stack_units: 1 << 18, max_table_elements: 10_000 };
	let prepared = prepare::prepare(&code, rules)?;
	let engine = wasmtime::Engine::new(&engine_config(&ExecutorConfig {
		workers: 1,
		..Default::default()
	}))?;
	let compiled = engine.precompile_module(&prepared)?;
	std::fs::write(&out, &compiled)?;
	eprintln!("wrote {out}: {} bytes of compiled code and metadata", compiled.len());
	Ok(())
}
