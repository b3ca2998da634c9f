//! The `bourse_*` RPC methods: read-only JSON views of the market at the best block, from the
//! runtime's `BourseApi`. Balances are decimal strings (they exceed JavaScript's safe integers),
//! accounts SS58 addresses, hashes and bytes `0x` hex, reputations fractions in [0, 1].
//!
//! - `bourse_offers([limit])`: offers with a free slot, cheapest first (default 100).
//! - `bourse_provider(account)`: a provider's bond, slots, reputation, offer and open tasks.
//! - `bourse_task(id)`: a task's phase, providers, answers so far, outcome, cost and output.
//! - `bourse_quote(fuel, replication, max_price, [min_reputation], [memory_mib], [requester])`:
//!   would it be assigned now, among whom, what it would hold and cost at most.

use std::{str::FromStr, sync::Arc};

use bourse_primitives::{
	api::{AnswerView, BourseApi, OfferView, ProviderView, QuoteView, TaskPhase, TaskView},
	traits::{Assignment, TaskFailure},
	Status,
};
use bourse_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use jsonrpsee::{
	types::{ErrorObjectOwned, Params},
	RpcModule,
};
use polkadot_sdk::{
	sp_api::ProvideRuntimeApi, sp_blockchain::HeaderBackend, sp_core::crypto::Ss58Codec,
	sp_runtime::Perbill,
};
use serde_json::{json, Value};

/// JSON-RPC error code of invalid parameters.
const INVALID_PARAMS: i32 = -32602;
/// Error code of a failed runtime call.
const RUNTIME_ERROR: i32 = 1;

fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(INVALID_PARAMS, message.into(), None::<()>)
}

fn hex(bytes: &[u8]) -> String {
	format!("0x{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn account(a: &AccountId) -> String {
	a.to_ss58check()
}

fn fraction(p: Perbill) -> f64 {
	f64::from(p.deconstruct()) / 1e9
}

fn status(s: &Status) -> Value {
	match s {
		Status::Exit(code) => json!({ "exit": code }),
		other => json!(format!("{other:?}")),
	}
}

fn assignment(a: &Assignment<AccountId, Balance>) -> Value {
	json!({ "provider": account(&a.provider), "pricePerMfuel": a.price.to_string() })
}

fn offer(o: &OfferView<AccountId, Balance, BlockNumber>) -> Value {
	json!({
		"provider": account(&o.provider),
		"pricePerMfuel": o.price_per_mfuel.to_string(),
		"maxFuel": o.max_fuel.to_string(),
		"maxMemoryMib": o.max_memory_mib,
		"slots": o.slots,
		"freeSlots": o.free_slots,
		"expiresAt": o.expires_at,
		"activeFrom": o.active_from,
		"reputation": fraction(o.reputation),
	})
}

fn provider(p: &ProviderView<AccountId, Balance, BlockNumber>) -> Value {
	json!({
		"executor": hex(&p.executor),
		"bond": p.bond.to_string(),
		"busySlots": p.busy_slots,
		"unbondsAt": p.unbonds_at,
		"reputation": fraction(p.reputation),
		"offer": p.offer.as_ref().map(offer),
		"openTasks": p.open_tasks,
	})
}

fn failure(f: &TaskFailure) -> String {
	match f {
		TaskFailure::Attestation(reason) => format!("{reason:?}"),
		other => format!("{other:?}"),
	}
}

fn answer(a: &AnswerView<AccountId>) -> Value {
	json!({
		"provider": account(&a.provider),
		"committed": a.committed,
		"revealed": a.revealed.as_ref().map(|(s, hash, fuel)| json!({
			"status": status(s), "outputHash": hex(hash), "fuelUsed": fuel.to_string(),
		})),
	})
}

fn task(id: u64, t: &TaskView<AccountId, Balance, BlockNumber>) -> Value {
	let phase = match &t.phase {
		TaskPhase::Queued { since } => json!({ "status": "Queued", "since": since }),
		TaskPhase::Assigned { providers, assigned_at, deadline } => json!({
			"status": "Assigned",
			"providers": providers.iter().map(assignment).collect::<Vec<_>>(),
			"assignedAt": assigned_at,
			"deadline": deadline,
		}),
		TaskPhase::Completed { status: s, output_hash, fuel_used, cost, settled_at } => json!({
			"status": "Completed",
			"outcome": status(s),
			"outputHash": hex(output_hash),
			"fuelUsed": fuel_used.to_string(),
			"cost": cost.to_string(),
			"settledAt": settled_at,
		}),
		TaskPhase::Failed { reason, settled_at } => {
			json!({ "status": "Failed", "reason": failure(reason), "settledAt": settled_at })
		}
	};
	json!({
		"id": id,
		"requester": account(&t.requester),
		"workload": hex(&t.workload),
		"inputLen": t.input_len,
		"fuelLimit": t.fuel_limit.to_string(),
		"maxMemoryMib": t.max_memory_mib,
		"maxPricePerMfuel": t.max_price.to_string(),
		"replication": t.replication,
		"timeout": t.timeout,
		"escrow": t.escrow.to_string(),
		"phase": phase,
		"answers": t.answers.iter().map(answer).collect::<Vec<_>>(),
		"output": t.output.as_deref().map(hex),
	})
}

fn quote(q: &QuoteView<AccountId, Balance>) -> Value {
	json!({
		"assignable": q.assignable,
		"candidates": q.candidates.iter().map(assignment).collect::<Vec<_>>(),
		"escrow": q.escrow.map(|b| b.to_string()),
		"maxCost": q.max_cost.map(|b| b.to_string()),
	})
}

fn parse_account(text: &str) -> Result<AccountId, ErrorObjectOwned> {
	AccountId::from_ss58check(text)
		.or_else(|_| AccountId::from_str(text))
		.map_err(|_| invalid(format!("not an account (SS58 or 0x hex): {text}")))
}

/// A balance from a JSON number or decimal string.
fn parse_balance(value: &Value) -> Result<Balance, ErrorObjectOwned> {
	match value {
		Value::Number(n) => n.as_u64().map(Balance::from),
		Value::String(s) => s.parse().ok(),
		_ => None,
	}
	.ok_or_else(|| invalid(format!("not a balance: {value}")))
}

/// An integer from a JSON number, a decimal string or a `0x` hex string (how @polkadot/api
/// sends large `u64`s).
fn parse_u64(value: &Value, what: &str) -> Result<u64, ErrorObjectOwned> {
	match value {
		Value::Number(n) => n.as_u64(),
		Value::String(s) => match s.strip_prefix("0x") {
			Some(hex) => u64::from_str_radix(hex, 16).ok(),
			None => s.parse().ok(),
		},
		_ => None,
	}
	.ok_or_else(|| invalid(format!("{what}: expected an integer, got {value}")))
}

/// A fraction in [0, 1] from a JSON number or a decimal string.
fn parse_fraction(value: &Value, what: &str) -> Result<Perbill, ErrorObjectOwned> {
	let fraction = match value {
		Value::Number(n) => n.as_f64(),
		Value::String(s) => s.parse::<f64>().ok(),
		_ => None,
	}
	.filter(|f| (0.0..=1.0).contains(f))
	.ok_or_else(|| invalid(format!("{what}: expected a fraction in [0, 1], got {value}")))?;
	Ok(Perbill::from_parts((fraction * 1e9) as u32))
}

/// The `bourse_*` methods over `client`.
pub fn module<C>(
	client: Arc<C>,
) -> Result<RpcModule<Arc<C>>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: BourseApi<Block, AccountId, Balance, BlockNumber>,
{
	fn runtime_error(e: impl std::fmt::Debug) -> ErrorObjectOwned {
		ErrorObjectOwned::owned(RUNTIME_ERROR, format!("runtime call failed: {e:?}"), None::<()>)
	}

	let mut module = RpcModule::new(client);
	module.register_method("bourse_offers", |params: Params, client, _| {
		let limit = params.parse::<Option<(Option<u32>,)>>().ok().flatten().and_then(|(l,)| l);
		let best = client.info().best_hash;
		let offers =
			client.runtime_api().offers(best, limit.unwrap_or(100)).map_err(runtime_error)?;
		Ok::<_, ErrorObjectOwned>(Value::Array(offers.iter().map(offer).collect()))
	})?;
	module.register_method("bourse_provider", |params: Params, client, _| {
		let (who,): (String,) = params.parse().map_err(|_| invalid("expected [account]"))?;
		let who = parse_account(&who)?;
		let best = client.info().best_hash;
		let view = client.runtime_api().provider(best, who).map_err(runtime_error)?;
		Ok::<_, ErrorObjectOwned>(view.as_ref().map(provider).unwrap_or(Value::Null))
	})?;
	module.register_method("bourse_task", |params: Params, client, _| {
		let (id,): (u64,) = params.parse().map_err(|_| invalid("expected [task id]"))?;
		let best = client.info().best_hash;
		let view = client.runtime_api().task(best, id).map_err(runtime_error)?;
		Ok::<_, ErrorObjectOwned>(view.as_ref().map(|t| task(id, t)).unwrap_or(Value::Null))
	})?;
	module.register_method("bourse_quote", |params: Params, client, _| {
		let mut seq = params.sequence();
		let fuel: Value =
			seq.next().map_err(|_| invalid("expected [fuel, replication, max price, ...]"))?;
		let fuel = parse_u64(&fuel, "fuel")?;
		let replication: u32 =
			seq.next().map_err(|_| invalid("replication: expected an integer"))?;
		let max_price: Value = seq.next().map_err(|_| invalid("expected a max price"))?;
		let max_price = parse_balance(&max_price)?;
		let min_reputation: Option<Value> =
			seq.optional_next().map_err(|_| invalid("min reputation"))?;
		let min_reputation = match min_reputation {
			Some(Value::Null) | None => Perbill::zero(),
			Some(value) => parse_fraction(&value, "min reputation")?,
		};
		let memory_mib: Option<u32> = seq.optional_next().map_err(|_| invalid("memory: MiB"))?;
		let requester: Option<String> =
			seq.optional_next().map_err(|_| invalid("requester: an account"))?;
		let requester = match requester {
			Some(text) => parse_account(&text)?,
			None => AccountId::new([0; 32]),
		};
		let best = client.info().best_hash;
		let view = client
			.runtime_api()
			.quote(
				best,
				fuel,
				memory_mib.unwrap_or(64),
				replication,
				max_price,
				min_reputation,
				requester,
			)
			.map_err(runtime_error)?;
		Ok::<_, ErrorObjectOwned>(quote(&view))
	})?;
	Ok(module)
}
