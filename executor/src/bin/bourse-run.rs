//! `bourse-run`: runs a workload in the Bourse sandbox, exactly as a provider would, so you
//! can try it and learn its fuel before paying for it.
//!
//! ```text
//! bourse-run MODULE.wasm [--fuel N] [--memory MIB] [--seed HEX] < input > output
//! ```
//! The output goes to stdout; status, fuel used and timing go to stderr. The exit code is 0
//! for `Success`, 1 for any other status, 2 for a usage error.

use blake2::{digest::consts::U32, Blake2b, Digest};
use bourse_executor::{ExecutionLimits, Executor, ExecutorConfig, Status};
use bourse_primitives::defaults;
use std::io::{Read, Write};

const USAGE: &str =
	"usage: bourse-run MODULE.wasm [--fuel N] [--memory MIB] [--seed HEX64] < input > output";

fn fail(message: &str) -> ! {
	eprintln!("bourse-run: {message}\n{USAGE}");
	std::process::exit(2);
}

fn main() {
	let mut args = std::env::args().skip(1);
	let mut module = None;
	let mut limits = ExecutionLimits::with_defaults(defaults::FUEL, defaults::MAX_MEMORY_MIB);
	let mut seed = [0u8; 32];
	while let Some(arg) = args.next() {
		let mut value =
			|name: &str| args.next().unwrap_or_else(|| fail(&format!("{name} needs a value")));
		match arg.as_str() {
			"--fuel" => {
				limits.fuel =
					value("--fuel").parse().unwrap_or_else(|_| fail("--fuel takes a number"))
			}
			"--memory" => {
				limits.max_memory_mib = value("--memory")
					.parse()
					.unwrap_or_else(|_| fail("--memory takes a number of MiB"))
			}
			"--seed" => {
				let hex = value("--seed");
				if hex.len() != 64 || !hex.is_ascii() {
					fail("--seed takes 64 hex digits");
				}
				for (i, byte) in seed.iter_mut().enumerate() {
					*byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
						.unwrap_or_else(|_| fail("--seed takes 64 hex digits"));
				}
			}
			"-h" | "--help" => {
				println!("{USAGE}");
				return;
			}
			path if module.is_none() && !path.starts_with("--") => module = Some(path.to_string()),
			other => fail(&format!("unexpected argument `{other}`")),
		}
	}
	let path = module.unwrap_or_else(|| fail("no module given"));
	let code = std::fs::read(&path).unwrap_or_else(|e| fail(&format!("cannot read {path}: {e}")));
	let mut input = Vec::new();
	if let Err(e) = std::io::stdin().read_to_end(&mut input) {
		fail(&format!("cannot read stdin: {e}"));
	}
	let hash: [u8; 32] = Blake2b::<U32>::digest(&code).into();

	let executor = Executor::new(ExecutorConfig { workers: 1, ..Default::default() })
		.unwrap_or_else(|e| fail(&e.to_string()));
	let started = std::time::Instant::now();
	let outcome = executor
		.execute(hash, &code, &input, limits, seed)
		.unwrap_or_else(|e| fail(&e.to_string()));
	let elapsed = started.elapsed();

	let _ = std::io::stdout().write_all(&outcome.output);
	let _ = std::io::stdout().flush();
	eprintln!(
		"status: {:?}\nfuel used: {} of {}\noutput: {} bytes\ntime: {:.3} ms (including compilation)\nexecutor version: {}",
		outcome.status,
		outcome.fuel_used,
		limits.fuel,
		outcome.output.len(),
		elapsed.as_secs_f64() * 1e3,
		outcome.executor_version
	);
	std::process::exit(if outcome.status == Status::Success { 0 } else { 1 });
}
