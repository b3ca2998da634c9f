//! # Sample Bourse workloads
//!
//! Portable compute kernels (no intrinsics, no runtime CPU dispatch), each behind a thin WASI
//! command in `src/bin/` that reads its input on stdin and writes its result on stdout. The
//! same functions run natively, so the sandbox can be benchmarked against native code on the
//! same source. Build the Wasm modules with `scripts/build-workloads.sh`.
//!
//! | workload | input (stdin, ASCII) | output (stdout) |
//! | --- | --- | --- |
//! | `sha256` | `ITERATIONS` newline `DATA…` | hex of sha256 applied `ITERATIONS` times, newline |
//! | `mandelbrot` | `TILE_W TILE_H TILE_X TILE_Y IMAGE_W IMAGE_H MAX_ITER` | `TILE_W × TILE_H` RGB bytes |
//! | `primes` | `N` | number of primes ≤ `N`, newline |

pub mod mandelbrot;
pub mod primes;
pub mod sha256;

/// Parses whitespace-separated unsigned decimal numbers: exactly `N` of them.
pub fn parse_numbers<const N: usize>(input: &[u8]) -> Result<[u64; N], String> {
	let text = core::str::from_utf8(input).map_err(|_| "input is not ASCII text".to_string())?;
	let mut out = [0u64; N];
	let mut words = text.split_ascii_whitespace();
	for (i, slot) in out.iter_mut().enumerate() {
		let word = words.next().ok_or_else(|| format!("expected {N} numbers, got {i}"))?;
		*slot = word.parse().map_err(|_| format!("`{word}` is not an unsigned number"))?;
	}
	if words.next().is_some() {
		return Err(format!("expected {N} numbers, got more"));
	}
	Ok(out)
}

/// Runs a workload's entry point as a WASI command: stdin in, stdout out, exit code 2 with a
/// message on stderr when the input is bad.
pub fn command(run: fn(&[u8]) -> Result<Vec<u8>, String>) {
	use std::io::{Read, Write};
	let mut input = Vec::new();
	if let Err(e) = std::io::stdin().read_to_end(&mut input) {
		eprintln!("cannot read stdin: {e}");
		std::process::exit(2);
	}
	match run(&input) {
		Ok(output) => {
			let mut stdout = std::io::stdout();
			if stdout.write_all(&output).and_then(|()| stdout.flush()).is_err() {
				std::process::exit(3);
			}
		}
		Err(e) => {
			eprintln!("{e}");
			std::process::exit(2);
		}
	}
}
