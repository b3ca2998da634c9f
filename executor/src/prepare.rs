//! Checks a module against the sandbox's structural rules and instruments it with a
//! deterministic stack-depth meter.
//!
//! Native stack use of a Wasm call depends on the compiler, its version and the CPU, so a
//! native stack limit would let two nodes disagree on where a deep recursion traps. Instead
//! every function gets a static *frame cost* (1 + parameters + locals + instructions + results
//! of the calls it makes — an upper bound on its operand stack and locals) and a hidden global holds the sum of the costs of all
//! active calls: each function adds its cost on entry, traps (`unreachable`) when the sum
//! exceeds the budget, and subtracts it on every exit. The original body is wrapped in a block
//! so that a branch to the function's outermost label still runs the exit code. The trap point
//! depends only on the module and the budget, never on the machine.

use crate::wasi;
use wasm_encoder::{BlockType, Encode, Instruction, ValType as EncValType};
use wasmparser::{
	CompositeInnerType, ExternalKind, FuncType, Operator, Parser, Payload, TypeRef, ValType,
	Validator, WasmFeatures,
};

/// Largest module the sandbox accepts, in bytes.
pub const MAX_MODULE_BYTES: usize = 4 * 1024 * 1024;
/// Most functions (imported and defined) a module may have.
pub const MAX_FUNCTIONS: u32 = 50_000;
/// Most locals one function may declare. Bounds compile time (register allocation).
pub const MAX_LOCALS: u32 = 4_096;
/// Largest body of one function, in bytes. Bounds compile time.
pub const MAX_FUNCTION_BYTES: usize = 512 * 1024;

/// The Wasm features workloads may use: WebAssembly 2.0 (what Rust, C and Zig emit for
/// `wasm32-wasip1`). Threads, relaxed SIMD, tail calls, exceptions, GC, multiple memories and
/// memory64 are off: they are either non-deterministic or would defeat the stack meter.
pub fn features() -> WasmFeatures {
	let mut features = WasmFeatures::WASM2;
	// `externref` values would need a GC heap; only `funcref` tables are allowed.
	features.remove(WasmFeatures::GC_TYPES);
	features
}

/// Rules that depend on chain constants; part of the compiled-module cache key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rules {
	/// Stack budget in frame-cost units.
	pub max_stack_units: u32,
	/// Largest initial size of a table.
	pub max_table_elements: u32,
}

/// Why a module was refused.
pub type Refusal = String;

struct Summary {
	types: Vec<Option<FuncType>>,
	/// Type index of every function, imported first.
	func_types: Vec<u32>,
	imported_funcs: u32,
	globals: u32,
	has_start_export: bool,
	has_memory_export: bool,
	memories: u32,
	tables: u32,
	/// Locals declared by each defined function, in order.
	locals: Vec<u32>,
}

impl Summary {
	/// The function type at `index` of the type section.
	fn func_type(&self, index: u32) -> Option<&FuncType> {
		self.types.get(index as usize).and_then(|t| t.as_ref())
	}
}

/// Validates `code` and returns the instrumented module, or why it is refused.
pub fn prepare(code: &[u8], rules: Rules) -> Result<Vec<u8>, Refusal> {
	if code.len() > MAX_MODULE_BYTES {
		return Err(format!("module is {} bytes, more than {MAX_MODULE_BYTES}", code.len()));
	}
	Validator::new_with_features(features())
		.validate_all(code)
		.map_err(|e| format!("invalid Wasm: {e}"))?;
	let summary = summarize(code, rules)?;
	instrument(code, &summary, rules).map_err(|e| format!("cannot instrument module: {e}"))
}

fn summarize(code: &[u8], rules: Rules) -> Result<Summary, Refusal> {
	let mut s = Summary {
		types: Vec::new(),
		func_types: Vec::new(),
		imported_funcs: 0,
		globals: 0,
		has_start_export: false,
		has_memory_export: false,
		memories: 0,
		tables: 0,
		locals: Vec::new(),
	};
	let err = |e: wasmparser::BinaryReaderError| format!("invalid Wasm: {e}");
	for payload in Parser::new(0).parse_all(code) {
		match payload.map_err(err)? {
			Payload::TypeSection(reader) => {
				for group in reader {
					for ty in group.map_err(err)?.into_types() {
						s.types.push(match ty.composite_type.inner {
							CompositeInnerType::Func(f) => Some(f),
							_ => None,
						});
					}
				}
			}
			Payload::ImportSection(reader) => {
				for import in reader {
					let import = import.map_err(err)?;
					match import.ty {
						TypeRef::Func(ty)
							if import.module == wasi::MODULE
								&& wasi::FUNCTIONS.contains(&import.name) =>
						{
							s.func_types.push(ty);
							s.imported_funcs += 1;
						}
						_ => {
							return Err(format!(
								"forbidden import `{}::{}`: workloads may import only the WASI \
								 preview-1 functions the sandbox provides",
								import.module, import.name
							))
						}
					}
				}
			}
			Payload::FunctionSection(reader) => {
				for ty in reader {
					s.func_types.push(ty.map_err(err)?);
				}
			}
			Payload::TableSection(reader) => {
				for table in reader {
					let table = table.map_err(err)?;
					s.tables += 1;
					if table.ty.initial > u64::from(rules.max_table_elements) {
						return Err(format!(
							"table of {} elements, more than {}",
							table.ty.initial, rules.max_table_elements
						));
					}
				}
			}
			Payload::MemorySection(reader) => s.memories += reader.count(),
			Payload::GlobalSection(reader) => s.globals += reader.count(),
			Payload::ExportSection(reader) => {
				for export in reader {
					let export = export.map_err(err)?;
					if export.name == "_start" && export.kind == ExternalKind::Func {
						s.has_start_export = true;
					}
					if export.name == "memory" && export.kind == ExternalKind::Memory {
						s.has_memory_export = true;
					}
				}
			}
			Payload::CodeSectionEntry(body) => {
				let mut locals = 0u32;
				for local in body.get_locals_reader().map_err(err)? {
					locals = locals.saturating_add(local.map_err(err)?.0);
				}
				if locals > MAX_LOCALS {
					return Err(format!(
						"a function declares {locals} locals, more than {MAX_LOCALS}"
					));
				}
				if body.range().len() > MAX_FUNCTION_BYTES {
					return Err(format!(
						"a function body is {} bytes, more than {MAX_FUNCTION_BYTES}",
						body.range().len()
					));
				}
				s.locals.push(locals);
			}
			Payload::CustomSection(_) | Payload::Version { .. } | Payload::End(_) => {}
			Payload::StartSection { .. }
			| Payload::ElementSection(_)
			| Payload::DataCountSection { .. }
			| Payload::DataSection(_)
			| Payload::CodeSectionStart { .. } => {}
			other => {
				return Err(format!("unsupported section {:?}", other.as_section().map(|s| s.0)))
			}
		}
	}
	if s.func_types.len() > MAX_FUNCTIONS as usize {
		return Err(format!("{} functions, more than {MAX_FUNCTIONS}", s.func_types.len()));
	}
	if s.memories != 1 || !s.has_memory_export {
		return Err(
			"a workload defines exactly one memory, exported as `memory` (it may not import one)"
				.into(),
		);
	}
	if s.tables > 1 {
		return Err("a workload may have at most one table".into());
	}
	if !s.has_start_export {
		return Err("no `_start` function exported: a workload is a WASI command".into());
	}
	Ok(s)
}

fn enc_val(ty: ValType) -> Result<EncValType, String> {
	Ok(match ty {
		ValType::I32 => EncValType::I32,
		ValType::I64 => EncValType::I64,
		ValType::F32 => EncValType::F32,
		ValType::F64 => EncValType::F64,
		ValType::V128 => EncValType::V128,
		ValType::Ref(r) if r.is_func_ref() && r.is_nullable() => EncValType::FUNCREF,
		other => return Err(format!("unsupported value type {other:?}")),
	})
}

/// Instructions that add `cost` to the meter on entry and trap past the budget.
fn prologue(meter: u32, cost: i32, budget: u32, sink: &mut Vec<u8>) {
	Instruction::GlobalGet(meter).encode(sink);
	Instruction::I32Const(cost).encode(sink);
	Instruction::I32Add.encode(sink);
	Instruction::GlobalSet(meter).encode(sink);
	Instruction::GlobalGet(meter).encode(sink);
	Instruction::I32Const(budget as i32).encode(sink);
	Instruction::I32GtU.encode(sink);
	Instruction::If(BlockType::Empty).encode(sink);
	Instruction::Unreachable.encode(sink);
	Instruction::End.encode(sink);
}

/// Instructions that take `cost` back off the meter on exit.
fn epilogue(meter: u32, cost: i32, sink: &mut Vec<u8>) {
	Instruction::GlobalGet(meter).encode(sink);
	Instruction::I32Const(cost).encode(sink);
	Instruction::I32Sub.encode(sink);
	Instruction::GlobalSet(meter).encode(sink);
}

// Section ids (Wasm core spec, binary format).
const TYPE: u8 = 1;
const GLOBAL: u8 = 6;
const CODE: u8 = 10;

fn instrument(code: &[u8], s: &Summary, rules: Rules) -> Result<Vec<u8>, String> {
	let budget = rules.max_stack_units.min(i32::MAX as u32);
	// The meter is a new global after all imported and defined ones: no index shifts.
	// (Imports are WASI functions only, so there are no imported globals.)
	let meter = s.globals;
	let new_global = {
		let mut g = Vec::new();
		EncValType::I32.encode(&mut g);
		g.push(0x01); // mutable
		Instruction::I32Const(0).encode(&mut g);
		Instruction::End.encode(&mut g);
		g
	};

	// Block types for wrapped bodies; multi-result functions need a new `[] -> results` type,
	// appended after existing types (no index shifts).
	let mut extra_types: Vec<Vec<EncValType>> = Vec::new();
	let type_count = s.types.len() as u32;
	let mut block_type_of = |ty: &FuncType| -> Result<BlockType, String> {
		Ok(match ty.results() {
			[] => BlockType::Empty,
			[one] => BlockType::Result(enc_val(*one)?),
			many => {
				let results = many.iter().map(|t| enc_val(*t)).collect::<Result<Vec<_>, _>>()?;
				let index = match extra_types.iter().position(|r| *r == results) {
					Some(i) => i,
					None => {
						extra_types.push(results);
						extra_types.len() - 1
					}
				};
				BlockType::FunctionType(type_count + index as u32)
			}
		})
	};

	let mut code_section: Option<(Vec<u8>, u32)> = None;
	let mut func_index = s.imported_funcs;
	for payload in Parser::new(0).parse_all(code) {
		if let Payload::CodeSectionEntry(body) = payload.map_err(|e| e.to_string())? {
			let ty_index = *s.func_types.get(func_index as usize).ok_or("function without type")?;
			let ty = s.func_type(ty_index).ok_or("function type is not a function")?;
			let block = block_type_of(ty)?;
			let defined = (func_index - s.imported_funcs) as usize;
			let locals = u64::from(*s.locals.get(defined).ok_or("function without body")?);
			let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
			let ops_start = ops.original_position();
			let mut positions = Vec::new();
			// Values a call leaves on the stack count too: one `call` may push many results.
			let mut call_results = 0u64;
			let results_of_type = |t: u32| s.func_type(t).map_or(0, |f| f.results().len() as u64);
			while !ops.eof() {
				let (op, offset) = ops.read_with_offset().map_err(|e| e.to_string())?;
				match op {
					Operator::Call { function_index } => {
						call_results += s
							.func_types
							.get(function_index as usize)
							.map_or(0, |t| results_of_type(*t))
					}
					Operator::CallIndirect { type_index, .. } => {
						call_results += results_of_type(type_index)
					}
					_ => {}
				}
				positions.push((matches!(op, Operator::Return), offset));
			}
			let end = body.range().end;
			let cost =
				(1 + ty.params().len() as u64 + locals + positions.len() as u64 + call_results)
					.min(i32::MAX as u64) as i32;

			let mut out = Vec::with_capacity(body.range().len() + 64);
			out.extend_from_slice(code.get(body.range().start..ops_start).ok_or("bad range")?);
			prologue(meter, cost, budget, &mut out);
			Instruction::Block(block).encode(&mut out);
			// Every operator but the final `end`, with the epilogue before each `return`.
			let last = positions.len().saturating_sub(1);
			for (i, &(is_return, start)) in positions.iter().enumerate().take(last) {
				let next = positions.get(i + 1).map(|p| p.1).unwrap_or(end);
				if is_return {
					epilogue(meter, cost, &mut out);
				}
				out.extend_from_slice(code.get(start..next).ok_or("bad range")?);
			}
			Instruction::End.encode(&mut out);
			epilogue(meter, cost, &mut out);
			Instruction::End.encode(&mut out);

			let (section, count) = code_section.get_or_insert_with(|| (Vec::new(), 0));
			(out.len() as u32).encode(section);
			section.extend_from_slice(&out);
			*count += 1;
			func_index += 1;
		}
	}

	// Re-assemble: sections copied as they are except types, globals and code; custom
	// sections dropped (names and debug info play no part in execution).
	let mut module = Vec::with_capacity(code.len() + 1024);
	module.extend_from_slice(&[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
	let mut wrote_global = false;
	let mut wrote_types = extra_types.is_empty();
	for payload in Parser::new(0).parse_all(code) {
		let payload = payload.map_err(|e| e.to_string())?;
		let Some((id, range)) = payload.as_section() else {
			continue;
		};
		let data = code.get(range.clone()).ok_or("bad range")?;
		if !wrote_global && matches!(id, 7..=12) {
			write_section(
				&mut module,
				GLOBAL,
				&append_entries(&[], 0, core::slice::from_ref(&new_global)),
			);
			wrote_global = true;
		}
		match id {
			0 => {}
			TYPE => {
				let extra: Vec<Vec<u8>> = extra_types
					.iter()
					.map(|results| {
						let mut t = vec![0x60, 0x00];
						(results.len() as u32).encode(&mut t);
						for r in results {
							r.encode(&mut t);
						}
						t
					})
					.collect();
				write_section(&mut module, TYPE, &append_entries(data, 1, &extra));
				wrote_types = true;
			}
			GLOBAL => {
				write_section(
					&mut module,
					GLOBAL,
					&append_entries(data, 1, core::slice::from_ref(&new_global)),
				);
				wrote_global = true;
			}
			CODE => {
				let (bodies, count) = code_section.take().unwrap_or_default();
				let mut section = Vec::with_capacity(bodies.len() + 5);
				count.encode(&mut section);
				section.extend_from_slice(&bodies);
				write_section(&mut module, CODE, &section);
			}
			_ => write_section(&mut module, id, data),
		}
	}
	if !wrote_global {
		write_section(&mut module, GLOBAL, &append_entries(&[], 0, &[new_global]));
	}
	if !wrote_types {
		return Err("multi-value functions without a type section".into());
	}
	Ok(module)
}

/// A vector section's content (`count` then entries) with `extra` entries appended. `data` is
/// the original content, or empty with `has_count == 0` for a new section.
fn append_entries(data: &[u8], has_count: u8, extra: &[Vec<u8>]) -> Vec<u8> {
	let (count, rest) = if has_count == 0 {
		(0u32, data)
	} else {
		let mut reader = wasmparser::BinaryReader::new(data, 0);
		let count = reader.read_var_u32().unwrap_or(0);
		let at = reader.original_position();
		(count, data.get(at..).unwrap_or(&[]))
	};
	let mut out = Vec::with_capacity(data.len() + 16);
	(count + extra.len() as u32).encode(&mut out);
	out.extend_from_slice(rest);
	for e in extra {
		out.extend_from_slice(e);
	}
	out
}

fn write_section(module: &mut Vec<u8>, id: u8, data: &[u8]) {
	module.push(id);
	(data.len() as u32).encode(module);
	module.extend_from_slice(data);
}
