//! Checks a module against the sandbox's structural rules and instruments it: a deterministic
//! stack-depth meter, and fuel charges for bulk operations ([`crate::fuel`]).
//!
//! Native stack use of a Wasm call depends on the compiler, its version and the CPU, so a
//! native stack limit would let two nodes disagree on where a deep recursion traps. Instead
//! every function gets a static *frame cost* (1 + parameters + locals + instructions + results
//! of the calls it makes, plus 2 for the charge code — an upper bound on its operand stack and
//! locals) and a hidden global holds the sum of the costs of all active calls: each function
//! adds its cost on entry, traps (`unreachable`) when the sum exceeds the budget, and subtracts
//! it on every exit. The original body is wrapped in a block so that a branch to the
//! function's outermost label still runs the exit code. The trap point depends only on the
//! module and the budget, never on the machine.

use crate::{fuel, wasi};
use wasm_encoder::{
	reencode::{self, Reencode},
	BlockType, CodeSection, ConstExpr, EntityType, Function, GlobalSection, GlobalType,
	ImportSection, Instruction, Module, SectionId, TypeSection, ValType as EncValType,
};
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

/// Rewrites a checked module: every defined function gets the stack meter (see the module
/// docs) and a fuel charge in front of each bulk operation ([`crate::fuel`]); the module gets
/// the meter's global (after the existing ones) and the `bourse::charge` import (after the WASI
/// imports, so defined functions move up by one index, rewritten everywhere by the reencoder).
/// Custom sections are dropped: names and debug info play no part in execution.
struct Instrumenter<'a> {
	summary: &'a Summary,
	/// Stack budget in frame-cost units.
	budget: i32,
	/// Block types of multi-value bodies, appended to the type section, then the charge's type.
	extra_types: Vec<Vec<EncValType>>,
	/// Original index of the next defined function to rewrite.
	next_function: u32,
	wrote_import: bool,
	wrote_global: bool,
}

type Failed = reencode::Error<String>;

/// Where a section goes in a module, by id (the data count and tag sections are out of id
/// order).
fn rank(id: Option<SectionId>) -> u8 {
	match id {
		None => u8::MAX,
		Some(SectionId::Tag) => 11,
		Some(SectionId::DataCount) => 19,
		Some(SectionId::Code) => 20,
		Some(SectionId::Data) => 22,
		Some(other) => u8::from(other) * 2,
	}
}

impl Instrumenter<'_> {
	/// The meter: a global after all others (no index shifts; imports are functions only).
	fn meter(&self) -> u32 {
		self.summary.globals
	}

	/// The `bourse::charge` import: the last import.
	fn charge_import(&self) -> u32 {
		self.summary.imported_funcs
	}

	/// Type index of `[i64] -> []`: the last type.
	fn charge_type(&self) -> u32 {
		self.summary.types.len() as u32 + self.extra_types.len() as u32
	}

	fn add_charge_import(&mut self, imports: &mut ImportSection) {
		imports.import(fuel::MODULE, fuel::CHARGE, EntityType::Function(self.charge_type()));
		self.wrote_import = true;
	}

	fn add_meter_global(&mut self, globals: &mut GlobalSection) {
		let ty = GlobalType { val_type: EncValType::I32, mutable: true, shared: false };
		globals.global(ty, &ConstExpr::i32_const(0));
		self.wrote_global = true;
	}

	/// The block type wrapping a body that returns `results`.
	fn body_block_type(&self, results: &[ValType]) -> Result<BlockType, String> {
		Ok(match results {
			[] => BlockType::Empty,
			[one] => BlockType::Result(enc_val(*one)?),
			many => {
				let results = many.iter().map(|t| enc_val(*t)).collect::<Result<Vec<_>, _>>()?;
				let index = self
					.extra_types
					.iter()
					.position(|r| *r == results)
					.ok_or("multi-value type not collected")?;
				BlockType::FunctionType(self.summary.types.len() as u32 + index as u32)
			}
		})
	}

	/// In front of an operation whose count is on top of the stack: charge what `rule` says,
	/// leaving the count in place.
	fn pay(&self, f: &mut Function, scratch: u32, rule: fuel::Rule) {
		f.instruction(&Instruction::LocalTee(scratch));
		if let Some(free) = rule.free {
			f.instruction(&Instruction::I32Const(free));
			f.instruction(&Instruction::I32GtU);
			f.instruction(&Instruction::If(BlockType::Empty));
			f.instruction(&Instruction::LocalGet(scratch));
		}
		f.instruction(&Instruction::I64ExtendI32U);
		if rule.per != 1 {
			f.instruction(&Instruction::I64Const(rule.per));
			f.instruction(&Instruction::I64Mul);
		}
		if rule.shift != 0 {
			f.instruction(&Instruction::I64Const(rule.shift));
			f.instruction(&Instruction::I64ShrU);
		}
		if rule.base != 0 {
			f.instruction(&Instruction::I64Const(rule.base));
			f.instruction(&Instruction::I64Add);
		}
		f.instruction(&Instruction::Call(self.charge_import()));
		if rule.free.is_some() {
			f.instruction(&Instruction::End);
		}
		f.instruction(&Instruction::LocalGet(scratch));
	}

	/// Adds `cost` to the meter on entry and traps past the budget.
	fn prologue(&self, f: &mut Function, cost: i32) {
		f.instruction(&Instruction::GlobalGet(self.meter()));
		f.instruction(&Instruction::I32Const(cost));
		f.instruction(&Instruction::I32Add);
		f.instruction(&Instruction::GlobalSet(self.meter()));
		f.instruction(&Instruction::GlobalGet(self.meter()));
		f.instruction(&Instruction::I32Const(self.budget));
		f.instruction(&Instruction::I32GtU);
		f.instruction(&Instruction::If(BlockType::Empty));
		f.instruction(&Instruction::Unreachable);
		f.instruction(&Instruction::End);
	}

	/// Takes `cost` back off the meter on exit.
	fn epilogue(&self, f: &mut Function, cost: i32) {
		f.instruction(&Instruction::GlobalGet(self.meter()));
		f.instruction(&Instruction::I32Const(cost));
		f.instruction(&Instruction::I32Sub);
		f.instruction(&Instruction::GlobalSet(self.meter()));
	}
}

impl Reencode for Instrumenter<'_> {
	type Error = String;

	fn function_index(&mut self, func: u32) -> Result<u32, Failed> {
		Ok(if func >= self.summary.imported_funcs { func + 1 } else { func })
	}

	fn parse_type_section(
		&mut self,
		types: &mut TypeSection,
		section: wasmparser::TypeSectionReader<'_>,
	) -> Result<(), Failed> {
		reencode::utils::parse_type_section(self, types, section)?;
		for results in &self.extra_types {
			types.ty().function([], results.iter().copied());
		}
		types.ty().function([EncValType::I64], []);
		Ok(())
	}

	fn parse_import_section(
		&mut self,
		imports: &mut ImportSection,
		section: wasmparser::ImportSectionReader<'_>,
	) -> Result<(), Failed> {
		reencode::utils::parse_import_section(self, imports, section)?;
		self.add_charge_import(imports);
		Ok(())
	}

	fn parse_global_section(
		&mut self,
		globals: &mut GlobalSection,
		section: wasmparser::GlobalSectionReader<'_>,
	) -> Result<(), Failed> {
		reencode::utils::parse_global_section(self, globals, section)?;
		self.add_meter_global(globals);
		Ok(())
	}

	fn intersperse_section_hook(
		&mut self,
		module: &mut Module,
		_after: Option<SectionId>,
		before: Option<SectionId>,
	) -> Result<(), Failed> {
		// The import and global sections a module lacks, each in its place.
		if !self.wrote_import && rank(before) > rank(Some(SectionId::Import)) {
			let mut imports = ImportSection::new();
			self.add_charge_import(&mut imports);
			module.section(&imports);
		}
		if !self.wrote_global && rank(before) > rank(Some(SectionId::Global)) {
			let mut globals = GlobalSection::new();
			self.add_meter_global(&mut globals);
			module.section(&globals);
		}
		Ok(())
	}

	fn parse_custom_section(
		&mut self,
		_module: &mut Module,
		_section: wasmparser::CustomSectionReader<'_>,
	) -> Result<(), Failed> {
		Ok(())
	}

	fn parse_function_body(
		&mut self,
		code: &mut CodeSection,
		body: wasmparser::FunctionBody<'_>,
	) -> Result<(), Failed> {
		let fail = |message: &str| reencode::Error::UserError(message.to_string());
		let s = self.summary;
		let index = self.next_function;
		self.next_function += 1;
		let ty_index = *s.func_types.get(index as usize).ok_or_else(|| fail("no type"))?;
		let ty = s.func_type(ty_index).ok_or_else(|| fail("not a function type"))?;
		let block = self.body_block_type(ty.results()).map_err(reencode::Error::UserError)?;
		let defined = index.checked_sub(s.imported_funcs).ok_or_else(|| fail("bad index"))?;
		let declared = *s.locals.get(defined as usize).ok_or_else(|| fail("no body"))?;
		// One more local, for the counts of bulk operations.
		let scratch = ty.params().len() as u32 + declared;
		let mut locals = Vec::new();
		for local in body.get_locals_reader()? {
			let (count, ty) = local?;
			locals.push((count, self.val_type(ty)?));
		}
		locals.push((1, EncValType::I32));

		let mut reader = body.get_operators_reader()?;
		let mut ops = Vec::new();
		while !reader.eof() {
			ops.push(reader.read()?);
		}
		// The frame cost: an upper bound on the function's locals and operand stack. Values
		// a call leaves count too (one `call` may push many results); the scratch local and
		// the charge code's one extra stack slot add two.
		let results_of_type = |t: u32| s.func_type(t).map_or(0, |f| f.results().len() as u64);
		let call_results: u64 = ops
			.iter()
			.map(|op| match op {
				Operator::Call { function_index } => {
					s.func_types.get(*function_index as usize).map_or(0, |t| results_of_type(*t))
				}
				Operator::CallIndirect { type_index, .. } => results_of_type(*type_index),
				_ => 0,
			})
			.sum();
		let cost = (1
			+ ty.params().len() as u64
			+ u64::from(declared)
			+ ops.len() as u64
			+ call_results
			+ 2)
		.min(i32::MAX as u64) as i32;

		let mut f = Function::new(locals);
		self.prologue(&mut f, cost);
		f.instruction(&Instruction::Block(block));
		// Every operator but the final `end`, with the epilogue before each `return`.
		let last = ops.len().saturating_sub(1);
		for op in ops.into_iter().take(last) {
			match op {
				Operator::Return => self.epilogue(&mut f, cost),
				Operator::MemoryFill { .. } | Operator::MemoryCopy { .. } => {
					self.pay(&mut f, scratch, fuel::MEMORY_BULK)
				}
				Operator::MemoryInit { .. } => self.pay(&mut f, scratch, fuel::MEMORY_INIT),
				Operator::TableFill { .. }
				| Operator::TableCopy { .. }
				| Operator::TableGrow { .. } => self.pay(&mut f, scratch, fuel::TABLE_BULK),
				Operator::TableInit { .. } => self.pay(&mut f, scratch, fuel::TABLE_INIT),
				Operator::MemoryGrow { .. } => self.pay(&mut f, scratch, fuel::MEMORY_GROW),
				_ => {}
			}
			f.instruction(&self.instruction(op)?);
		}
		f.instruction(&Instruction::End);
		self.epilogue(&mut f, cost);
		f.instruction(&Instruction::End);
		code.function(&f);
		Ok(())
	}
}

fn instrument(code: &[u8], s: &Summary, rules: Rules) -> Result<Vec<u8>, String> {
	// Result lists of multi-value functions, each once, in order of first use.
	let mut extra_types: Vec<Vec<EncValType>> = Vec::new();
	for &ty in s.func_types.iter().skip(s.imported_funcs as usize) {
		let results = s.func_type(ty).ok_or("function type is not a function")?.results();
		if results.len() > 1 {
			let results = results.iter().map(|t| enc_val(*t)).collect::<Result<Vec<_>, _>>()?;
			if !extra_types.contains(&results) {
				extra_types.push(results);
			}
		}
	}
	let mut instrumenter = Instrumenter {
		summary: s,
		budget: rules.max_stack_units.min(i32::MAX as u32) as i32,
		extra_types,
		next_function: s.imported_funcs,
		wrote_import: false,
		wrote_global: false,
	};
	let mut module = Module::new();
	instrumenter.parse_core_module(&mut module, Parser::new(0), code).map_err(|e| match e {
		reencode::Error::UserError(message) => message,
		other => other.to_string(),
	})?;
	Ok(module.finish())
}
