//! The deterministic WASI preview-1 subset a workload sees.
//!
//! `wasmtime-wasi` is not used: its preview-1 sleeps in real time, reports output overflow to
//! the guest as an error the guest may ignore, reads real clocks and entropy, and pulls the
//! component model, async and tokio. Workloads need only these few functions, each
//! deterministic: stdin is the task input, stdout the output (past the limit the run ends as
//! `OutputTooLarge`), stderr is discarded, arguments are fixed (`workload`), the environment is
//! empty, there is no file system (no preopened directories), clocks read a fixed time,
//! `poll_oneoff` returns at once, `random_get` draws from a generator seeded by the caller,
//! and `proc_exit(n)` ends the run. Host work is charged as fuel before it is done, by bytes
//! and by entries ([`crate::fuel`]), so that large copies and floods of iovecs are not free.

use crate::fuel;
use anyhow::{bail, Result};
use wasmtime::{Caller, Extern, Linker, Memory, ResourceLimiter};

/// The import module of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Every function the sandbox provides; importing anything else makes a module invalid.
pub const FUNCTIONS: &[&str] = &[
	"args_get",
	"args_sizes_get",
	"environ_get",
	"environ_sizes_get",
	"clock_res_get",
	"clock_time_get",
	"fd_close",
	"fd_fdstat_get",
	"fd_fdstat_set_flags",
	"fd_filestat_get",
	"fd_prestat_get",
	"fd_prestat_dir_name",
	"fd_read",
	"fd_seek",
	"fd_sync",
	"fd_write",
	"poll_oneoff",
	"proc_exit",
	"random_get",
	"sched_yield",
];

/// The program's only argument (`argv[0]`).
const ARG0: &[u8] = b"workload\0";
/// What every clock reads: 2026-01-01T00:00:00Z in nanoseconds. No real time anywhere.
pub const FIXED_TIME_NS: u64 = 1_767_225_600_000_000_000;

// WASI errno values.
const SUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EFAULT: i32 = 21;
const EINVAL: i32 = 28;
const ESPIPE: i32 = 70;

/// Why a host function ended the run; recovered from the error by the executor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
	/// `proc_exit(code)`.
	Exit(u32),
	/// stdout past the output limit.
	OutputTooLarge,
	/// Host work ran out of fuel.
	OutOfFuel,
}

impl std::fmt::Display for Stop {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "{self:?}")
	}
}
impl std::error::Error for Stop {}

/// Deterministic pseudo-random generator (xoshiro256**), seeded by the caller. Good enough
/// for simulations; not a source of secrets (everything on-chain is public anyway).
#[derive(Debug, Clone)]
pub struct Rng([u64; 4]);

impl Rng {
	/// A generator from a 32-byte seed.
	pub fn new(seed: [u8; 32]) -> Self {
		let mut s = [0u64; 4];
		for (i, chunk) in seed.chunks_exact(8).enumerate() {
			let mut b = [0u8; 8];
			b.copy_from_slice(chunk);
			s[i] = u64::from_le_bytes(b);
		}
		// splitmix64 over the words, so that an all-zero seed still gives a valid state.
		let mut x = 0x9E37_79B9_7F4A_7C15u64;
		for w in s.iter_mut() {
			x = x.wrapping_add(*w).wrapping_add(0x9E37_79B9_7F4A_7C15);
			let mut z = x;
			z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
			z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
			*w = z ^ (z >> 31);
		}
		Self(s)
	}

	fn next_u64(&mut self) -> u64 {
		let [s0, s1, s2, s3] = &mut self.0;
		let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
		let t = *s1 << 17;
		*s2 ^= *s0;
		*s3 ^= *s1;
		*s1 ^= *s2;
		*s0 ^= *s3;
		*s2 ^= t;
		*s3 = s3.rotate_left(45);
		result
	}

	fn fill(&mut self, buf: &mut [u8]) {
		for chunk in buf.chunks_mut(8) {
			let bytes = self.next_u64().to_le_bytes();
			chunk.copy_from_slice(bytes.get(..chunk.len()).unwrap_or(&[]));
		}
	}
}

/// A `memory.grow` the limits allowed that this node could not give (see
/// `Limiter::memory_grow_failed`): it stops the run as a local failure.
#[derive(Debug)]
pub struct GrowthRefused(pub String);

impl core::fmt::Display for GrowthRefused {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		write!(f, "this node could not grow the memory: {}", self.0)
	}
}

impl std::error::Error for GrowthRefused {}

/// Memory and table limits of one run; records whether the memory limit was hit, so that a
/// program that traps after a refused `memory.grow` ends as `MemoryExceeded`.
#[derive(Debug)]
pub struct Limiter {
	/// Largest linear memory in bytes.
	pub max_memory: usize,
	/// Largest table.
	pub max_table_elements: usize,
	/// Set when a memory grow was refused.
	pub memory_exceeded: bool,
	/// The size the last `memory.grow` asked for and the module's own maximum, if any.
	pub growing: Option<(usize, Option<usize>)>,
}

impl ResourceLimiter for Limiter {
	fn memory_growing(
		&mut self,
		_current: usize,
		desired: usize,
		max: Option<usize>,
	) -> Result<bool> {
		self.growing = Some((desired, max));
		let ok = desired <= self.max_memory;
		if !ok {
			self.memory_exceeded = true;
		}
		Ok(ok)
	}

	/// A growth the limiter allowed failed. Beyond the module's own maximum, it fails the same
	/// way on every node: the module sees -1. Anything else is this node's failure (an `mmap` or
	/// `mprotect` refused): the run stops with the error, a local failure, never an outcome (the
	/// module would otherwise see -1 on this node only).
	fn memory_grow_failed(&mut self, error: anyhow::Error) -> Result<()> {
		match self.growing {
			Some((desired, Some(max))) if desired > max => Ok(()),
			_ => Err(GrowthRefused(format!("{error:#}")).into()),
		}
	}

	fn table_growing(
		&mut self,
		_current: usize,
		desired: usize,
		_max: Option<usize>,
	) -> Result<bool> {
		Ok(desired <= self.max_table_elements)
	}
}

/// The state of one run.
pub struct State {
	input: Vec<u8>,
	read: usize,
	/// stdout so far.
	pub output: Vec<u8>,
	max_output: usize,
	rng: Rng,
	/// Memory and table limits.
	pub limiter: Limiter,
}

impl State {
	/// State for a run on `input`.
	pub fn new(input: Vec<u8>, max_output: usize, seed: [u8; 32], limiter: Limiter) -> Self {
		Self { input, read: 0, output: Vec::new(), max_output, rng: Rng::new(seed), limiter }
	}
}

fn memory(caller: &mut Caller<'_, State>) -> Result<Memory> {
	match caller.get_export("memory") {
		Some(Extern::Memory(m)) => Ok(m),
		// Checked before instantiation; a module without memory never gets here.
		_ => bail!("workload has no exported memory"),
	}
}

fn slice(mem: &[u8], ptr: i32, len: usize) -> Option<std::ops::Range<usize>> {
	let start = ptr as u32 as usize;
	let end = start.checked_add(len)?;
	(end <= mem.len()).then_some(start..end)
}

fn write_u32(mem: &mut [u8], ptr: i32, value: u32) -> bool {
	write_bytes(mem, ptr, &value.to_le_bytes())
}

fn write_u64(mem: &mut [u8], ptr: i32, value: u64) -> bool {
	write_bytes(mem, ptr, &value.to_le_bytes())
}

fn write_bytes(mem: &mut [u8], ptr: i32, bytes: &[u8]) -> bool {
	match slice(mem, ptr, bytes.len()).and_then(|r| mem.get_mut(r)) {
		Some(dst) => {
			dst.copy_from_slice(bytes);
			true
		}
		None => false,
	}
}

fn read_u32(mem: &[u8], ptr: i32) -> Option<u32> {
	let r = slice(mem, ptr, 4)?;
	let mut b = [0u8; 4];
	b.copy_from_slice(mem.get(r)?);
	Some(u32::from_le_bytes(b))
}

/// stdin, stdout and stderr: the only descriptors a workload has.
fn is_stdio(fd: i32) -> bool {
	(0..=2).contains(&fd)
}

/// Ends an `fd_read`/`fd_write`: reports the number of bytes moved at `ptr`.
fn finish_transfer(c: &mut Caller<'_, State>, m: Memory, total: usize, ptr: i32) -> Result<i32> {
	Ok(errno(write_u32(m.data_mut(c), ptr, total as u32)))
}

fn errno(ok: bool) -> i32 {
	if ok {
		SUCCESS
	} else {
		EFAULT
	}
}

/// The number of iovecs a call asks for, paid before they are read (even when one turns out
/// to lie outside memory); more than 1024 is refused with `EFAULT`, paying for 1024.
fn iovec_count(count: i32) -> usize {
	(count as u32).min(1024) as usize
}

/// The (buffer, length) pairs of an iovec array.
fn iovecs(mem: &[u8], iovs: i32, count: i32) -> Option<Vec<(i32, usize)>> {
	let count = count as u32;
	if count > 1024 {
		return None;
	}
	(0..count)
		.map(|i| {
			let at = (iovs as u32).checked_add(i.checked_mul(8)?)? as i32;
			Some((read_u32(mem, at)? as i32, read_u32(mem, at.wrapping_add(4))? as usize))
		})
		.collect()
}

/// Defines the WASI functions in `linker`.
pub fn define(linker: &mut Linker<State>) -> Result<()> {
	linker.func_wrap(
		MODULE,
		"args_sizes_get",
		|mut c: Caller<'_, State>, argc: i32, size: i32| {
			let m = memory(&mut c)?;
			let mem = m.data_mut(&mut c);
			Ok(errno(write_u32(mem, argc, 1) && write_u32(mem, size, ARG0.len() as u32)))
		},
	)?;
	linker.func_wrap(MODULE, "args_get", |mut c: Caller<'_, State>, argv: i32, buf: i32| {
		let m = memory(&mut c)?;
		let mem = m.data_mut(&mut c);
		Ok(errno(write_u32(mem, argv, buf as u32) && write_bytes(mem, buf, ARG0)))
	})?;
	linker.func_wrap(
		MODULE,
		"environ_sizes_get",
		|mut c: Caller<'_, State>, count: i32, size: i32| {
			let m = memory(&mut c)?;
			let mem = m.data_mut(&mut c);
			Ok(errno(write_u32(mem, count, 0) && write_u32(mem, size, 0)))
		},
	)?;
	linker.func_wrap(MODULE, "environ_get", |_: Caller<'_, State>, _env: i32, _buf: i32| {
		Ok(SUCCESS)
	})?;
	linker.func_wrap(MODULE, "clock_res_get", |mut c: Caller<'_, State>, _id: i32, res: i32| {
		let m = memory(&mut c)?;
		Ok(errno(write_u64(m.data_mut(&mut c), res, 1)))
	})?;
	linker.func_wrap(
		MODULE,
		"clock_time_get",
		|mut c: Caller<'_, State>, _id: i32, _precision: i64, time: i32| {
			let m = memory(&mut c)?;
			Ok(errno(write_u64(m.data_mut(&mut c), time, FIXED_TIME_NS)))
		},
	)?;
	linker.func_wrap(MODULE, "fd_close", |_: Caller<'_, State>, fd: i32| {
		Ok(if is_stdio(fd) { SUCCESS } else { EBADF })
	})?;
	linker.func_wrap(MODULE, "fd_fdstat_get", |mut c: Caller<'_, State>, fd: i32, stat: i32| {
		if !is_stdio(fd) {
			return Ok(EBADF);
		}
		// filetype CHARACTER_DEVICE (2), no flags, all rights.
		let mut s = [0u8; 24];
		s[0] = 2;
		s[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
		s[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
		let m = memory(&mut c)?;
		Ok(errno(write_bytes(m.data_mut(&mut c), stat, &s)))
	})?;
	linker.func_wrap(
		MODULE,
		"fd_fdstat_set_flags",
		|_: Caller<'_, State>, fd: i32, _flags: i32| Ok(if is_stdio(fd) { SUCCESS } else { EBADF }),
	)?;
	linker.func_wrap(
		MODULE,
		"fd_filestat_get",
		|mut c: Caller<'_, State>, fd: i32, stat: i32| {
			if !is_stdio(fd) {
				return Ok(EBADF);
			}
			let mut s = [0u8; 64];
			s[16] = 2; // CHARACTER_DEVICE
			let m = memory(&mut c)?;
			Ok(errno(write_bytes(m.data_mut(&mut c), stat, &s)))
		},
	)?;
	// No preopened directories: no file system at all.
	linker.func_wrap(MODULE, "fd_prestat_get", |_: Caller<'_, State>, _fd: i32, _buf: i32| {
		Ok(EBADF)
	})?;
	linker.func_wrap(
		MODULE,
		"fd_prestat_dir_name",
		|_: Caller<'_, State>, _fd: i32, _path: i32, _len: i32| Ok(EBADF),
	)?;
	linker.func_wrap(
		MODULE,
		"fd_seek",
		|_: Caller<'_, State>, fd: i32, _offset: i64, _whence: i32, _new: i32| {
			Ok(if is_stdio(fd) { ESPIPE } else { EBADF })
		},
	)?;
	linker.func_wrap(MODULE, "fd_sync", |_: Caller<'_, State>, fd: i32| {
		Ok(if is_stdio(fd) { SUCCESS } else { EBADF })
	})?;
	linker.func_wrap(
		MODULE,
		"fd_read",
		|mut c: Caller<'_, State>, fd: i32, iovs: i32, count: i32, nread: i32| {
			if fd != 0 {
				return Ok(EBADF);
			}
			let m = memory(&mut c)?;
			fuel::consume(&mut c, fuel::entries(iovec_count(count)))?;
			let Some(vecs) = iovecs(m.data(&c), iovs, count) else {
				return Ok(EFAULT);
			};
			let wanted = vecs.iter().fold(0usize, |sum, (_, len)| sum.saturating_add(*len));
			let left = c.data().input.len().saturating_sub(c.data().read);
			fuel::consume(&mut c, fuel::bytes(wanted.min(left)))?;
			let mut total = 0usize;
			{
				let (mem, state) = m.data_and_store_mut(&mut c);
				for (buf, len) in vecs {
					let rest = state.input.get(state.read..).unwrap_or(&[]);
					let n = len.min(rest.len());
					let (Some(range), Some(src)) = (slice(mem, buf, n), rest.get(..n)) else {
						return Ok(EFAULT);
					};
					if let Some(dst) = mem.get_mut(range) {
						dst.copy_from_slice(src);
					}
					state.read += n;
					total += n;
					if n < len {
						break;
					}
				}
			}
			finish_transfer(&mut c, m, total, nread)
		},
	)?;
	linker.func_wrap(
		MODULE,
		"fd_write",
		|mut c: Caller<'_, State>, fd: i32, iovs: i32, count: i32, nwritten: i32| {
			if !(1..=2).contains(&fd) {
				return Ok(EBADF);
			}
			let m = memory(&mut c)?;
			fuel::consume(&mut c, fuel::entries(iovec_count(count)))?;
			let Some(vecs) = iovecs(m.data(&c), iovs, count) else {
				return Ok(EFAULT);
			};
			let bytes = vecs.iter().fold(0usize, |sum, (_, len)| sum.saturating_add(*len));
			fuel::consume(&mut c, fuel::bytes(bytes))?;
			let mut total = 0usize;
			{
				let (mem, state) = m.data_and_store_mut(&mut c);
				for (buf, len) in vecs {
					let Some(src) = slice(mem, buf, len).and_then(|r| mem.get(r)) else {
						return Ok(EFAULT);
					};
					if fd == 1 {
						if state.output.len() + len > state.max_output {
							// Keep what fits, so the outcome shows where the program was.
							let room = state.max_output - state.output.len();
							state.output.extend_from_slice(src.get(..room).unwrap_or(&[]));
							return Err(Stop::OutputTooLarge.into());
						}
						state.output.extend_from_slice(src);
					}
					total += len;
				}
			}
			finish_transfer(&mut c, m, total, nwritten)
		},
	)?;
	linker.func_wrap(
		MODULE,
		"poll_oneoff",
		|mut c: Caller<'_, State>, subs: i32, events: i32, count: i32, nevents: i32| {
			// Every subscription fires at once: clocks have no real time, stdin and stdout
			// are always ready. Sleeping returns immediately.
			let count = count as u32;
			if count == 0 || count > 1024 {
				return Ok(EINVAL);
			}
			fuel::consume(&mut c, fuel::entries(count as usize))?;
			let m = memory(&mut c)?;
			let mem = m.data_mut(&mut c);
			for i in 0..count {
				let sub = (subs as u32).wrapping_add(i * 48) as i32;
				let Some(range) = slice(mem, sub, 48) else {
					return Ok(EFAULT);
				};
				let mut s = [0u8; 48];
				s.copy_from_slice(mem.get(range).unwrap_or(&[0; 48]));
				let mut e = [0u8; 32];
				e[0..8].copy_from_slice(&s[0..8]); // userdata
				e[10] = s[8]; // event type = subscription tag
				if !write_bytes(mem, (events as u32).wrapping_add(i * 32) as i32, &e) {
					return Ok(EFAULT);
				}
			}
			Ok(errno(write_u32(mem, nevents, count)))
		},
	)?;
	linker.func_wrap(MODULE, "proc_exit", |_: Caller<'_, State>, code: i32| -> Result<()> {
		Err(Stop::Exit(code as u32).into())
	})?;
	linker.func_wrap(MODULE, "random_get", |mut c: Caller<'_, State>, buf: i32, len: i32| {
		let len = len as u32 as usize;
		fuel::consume(&mut c, (len as u64).saturating_mul(fuel::FUEL_PER_RANDOM_BYTE))?;
		let m = memory(&mut c)?;
		let (mem, state) = m.data_and_store_mut(&mut c);
		match slice(mem, buf, len).and_then(|r| mem.get_mut(r)) {
			Some(dst) => {
				state.rng.fill(dst);
				Ok(SUCCESS)
			}
			None => Ok(EFAULT),
		}
	})?;
	linker.func_wrap(MODULE, "sched_yield", |_: Caller<'_, State>| Ok(SUCCESS))?;
	// Not WASI: the fuel charge that prepared modules call in front of bulk operations.
	linker.func_wrap(fuel::MODULE, fuel::CHARGE, |mut c: Caller<'_, State>, due: i64| {
		fuel::consume(&mut c, due.max(0) as u64)
	})?;
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn limiter() -> Limiter {
		Limiter {
			max_memory: 1 << 20,
			max_table_elements: 10,
			memory_exceeded: false,
			growing: None,
		}
	}

	/// A growth past the module's own maximum fails alike everywhere (the module sees -1); a
	/// growth the host could not give stops the run as this node's failure.
	#[test]
	fn only_the_modules_own_maximum_fails_a_growth_as_an_outcome() {
		let mut limits = limiter();
		assert!(limits.memory_growing(65_536, 3 * 65_536, Some(2 * 65_536)).unwrap());
		assert!(limits.memory_grow_failed(anyhow::anyhow!("Memory maximum size exceeded")).is_ok());
		assert!(limits.memory_growing(65_536, 2 * 65_536, Some(4 * 65_536)).unwrap());
		let host = std::io::Error::from_raw_os_error(12);
		let refused = limits.memory_grow_failed(host.into()).unwrap_err();
		assert!(refused.is::<GrowthRefused>(), "the host's failure");
		assert!(limits.memory_growing(65_536, 2 * 65_536, None).unwrap());
		assert!(limits
			.memory_grow_failed(anyhow::anyhow!("mprotect"))
			.unwrap_err()
			.is::<GrowthRefused>());
	}
}
