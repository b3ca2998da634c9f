//! The fuel schedule: what a run pays on top of wasmtime's one unit per operator, so that fuel
//! bounds time. wasmtime charges `memory.fill` of 64 MiB like an `i32.add`; without this a
//! requester could buy an hour of a provider's CPU for the price of a second.
//!
//! Every operation whose running time grows with an operand pays for it **before** the work
//! (`n` is the operand: bytes, elements or pages):
//!
//! | operation                                  | extra fuel                                 |
//! |--------------------------------------------|--------------------------------------------|
//! | `memory.fill`, `memory.copy`               | `n / 8` when `n > 256` bytes               |
//! | `memory.init`                              | `16 + n / 8`                               |
//! | `table.fill`, `table.copy`, `table.grow`   | `16 + 8 × n`                               |
//! | `table.init`                               | `16 + 8 × n`                               |
//! | `memory.grow`                              | `16 + 4096 × n` (64 KiB pages)             |
//! | initial memory of `n` pages                | `4096 × n`, before instantiation           |
//! | WASI bytes read or written                 | 1 per 8 bytes                              |
//! | WASI `random_get`                          | 1 per byte                                 |
//! | WASI `iovec`, `poll_oneoff` subscription   | 16 each                                    |
//!
//! A grow pays for what it asks, granted or not. The numbers come from
//! `cargo bench -p bourse-executor --bench fuel` (ns per fuel of the sample workloads and of a
//! hostile set): they bring every CPU-bound program within a few ns per fuel of the others.
//! Memory-bound code (a pointer chase over a large memory) stays slower per fuel than any
//! per-instruction price can fix; the node's wall-clock budget covers it.
//!
//! Bulk operations are charged by code that [`crate::prepare`] inserts in front of them: it
//! calls the host function [`MODULE`]`::`[`CHARGE`] with the fuel due; bulk memory operations
//! up to 256 bytes skip the call (their own unit and the check's cover them). The schedule is
//! part of the executor version: change any number here and bump
//! `bourse_primitives::EXECUTOR_VERSION`, since `fuel_used` changes.

use crate::wasi::Stop;
use anyhow::Result;
use wasmtime::Caller;

/// Import module of the fuel host function that prepared modules call.
pub const MODULE: &str = "bourse";
/// Name of the fuel host function: `charge(fuel: i64)`.
pub const CHARGE: &str = "charge";

/// What an operation whose count (bytes, elements or pages) `n` is on top of the stack pays:
/// `base + (n × per) >> shift` fuel, when `n > free` (always when `free` is `None`).
#[derive(Clone, Copy, Debug)]
pub struct Rule {
	/// Counts up to this pay nothing extra (no host call).
	pub free: Option<i32>,
	/// Fuel per operation.
	pub base: i64,
	/// Fuel per unit of the count, before the shift.
	pub per: i64,
	/// Right shift of `n × per`.
	pub shift: i64,
}

/// `memory.fill`, `memory.copy`: one fuel per 8 bytes above 256.
pub const MEMORY_BULK: Rule = Rule { free: Some(256), base: 0, per: 1, shift: 3 };
/// `memory.init` (a library call whatever its size): 16, and one fuel per 8 bytes.
pub const MEMORY_INIT: Rule = Rule { free: None, base: 16, per: 1, shift: 3 };
/// `table.fill`, `table.copy`, `table.grow` (library calls whatever their size): 16, and 8
/// fuel per element.
pub const TABLE_BULK: Rule = Rule { free: None, base: 16, per: 8, shift: 0 };
/// `table.init`: 16, and 8 fuel per element.
pub const TABLE_INIT: Rule = Rule { free: None, base: 16, per: 8, shift: 0 };
/// `memory.grow` (a library call whatever its size): 16, and 4096 fuel per 64-KiB page.
pub const MEMORY_GROW: Rule = Rule { free: None, base: 16, per: FUEL_PER_PAGE, shift: 0 };
/// Fuel per 64-KiB page of memory, grown or initial (1 per 16 bytes): the kernel zeroes each
/// page on first touch and the allocator clears it after the run, about a microsecond per
/// 4-KiB page.
pub const FUEL_PER_PAGE: i64 = 4096;

/// What a module's initial memory of `pages` pages pays before it is instantiated.
pub fn initial_memory(pages: u64) -> u64 {
	pages.saturating_mul(FUEL_PER_PAGE as u64)
}

/// Fuel per 8 bytes a WASI call moves.
pub const FUEL_PER_8_BYTES: u64 = 1;
/// Fuel per `iovec` of `fd_read`/`fd_write` and per `poll_oneoff` subscription.
pub const FUEL_PER_ENTRY: u64 = 16;
/// Fuel per byte of `random_get` (the generator is slower than a copy).
pub const FUEL_PER_RANDOM_BYTE: u64 = 1;

/// Takes `fuel` from the run, or ends it as out of fuel (taking what is left) if it has less.
/// An engine without fuel metering (benchmark baselines) is charged nothing.
pub fn consume<T>(caller: &mut Caller<'_, T>, fuel: u64) -> Result<()> {
	let Ok(left) = caller.get_fuel() else { return Ok(()) };
	if fuel > left {
		caller.set_fuel(0)?;
		return Err(Stop::OutOfFuel.into());
	}
	caller.set_fuel(left - fuel)?;
	Ok(())
}

/// The fuel for `bytes` bytes a WASI call moves.
pub fn bytes(bytes: usize) -> u64 {
	(bytes as u64).div_ceil(8).saturating_mul(FUEL_PER_8_BYTES)
}

/// The fuel for `entries` iovecs or subscriptions of a WASI call.
pub fn entries(entries: usize) -> u64 {
	(entries as u64).saturating_mul(FUEL_PER_ENTRY)
}
