//! The compiled-module cache: prepared modules (and refusals) by code hash and chain rules, so
//! a warm task pays no compilation and a hostile module costs its compilation once.

use crate::{prepare, wasi, CodeHash, ExecutionLimits};
use std::{collections::HashMap, sync::Arc};
use wasmtime::InstancePre;

/// What a compiled module is cached under.
pub(crate) type Key = (CodeHash, prepare::Rules);

/// Compiled modules depend on the code and on the chain rules baked in by instrumentation.
pub(crate) fn cache_key(code_hash: CodeHash, limits: &ExecutionLimits) -> Key {
	let rules = prepare::Rules {
		max_stack_units: limits.max_stack_units,
		max_table_elements: limits.max_table_elements,
	};
	(code_hash, rules)
}

/// A module ready to instantiate, or why it was refused. Local failures are never cached, so
/// an `Err` found in the cache is always the module's fault.
pub(crate) type Prepared = Result<Arc<InstancePre<wasi::State>>, String>;

/// A small least-recently-used map of [`Prepared`] modules.
pub(crate) struct Cache {
	/// Each entry with the tick of its last use.
	entries: HashMap<Key, (Prepared, u64)>,
	tick: u64,
	capacity: usize,
}

impl Cache {
	/// An empty cache of at most `capacity` entries (at least one).
	pub(crate) fn new(capacity: usize) -> Self {
		Self { entries: HashMap::new(), tick: 0, capacity }
	}

	/// The entry under `key`, marked as just used.
	pub(crate) fn get(&mut self, key: &Key) -> Option<Prepared> {
		self.tick += 1;
		let tick = self.tick;
		self.entries.get_mut(key).map(|(p, used)| {
			*used = tick;
			p.clone()
		})
	}

	/// Adds an entry, evicting the least recently used one when full.
	pub(crate) fn insert(&mut self, key: Key, prepared: Prepared) {
		if self.entries.len() >= self.capacity.max(1) {
			// The cache is small, a scan is fine.
			if let Some(oldest) =
				self.entries.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| *k)
			{
				self.entries.remove(&oldest);
			}
		}
		self.tick += 1;
		self.entries.insert(key, (prepared, self.tick));
	}
}
