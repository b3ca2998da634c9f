//! The `bourse_*` RPC methods: read-only JSON views of the market, from the runtime's
//! `BourseApi`, at the best block or at the block hash given as the last parameter. Balances and
//! fuel are decimal strings (they exceed JavaScript's safe integers), accounts SS58 addresses,
//! hashes and bytes `0x` hex, reputations fractions in [0, 1].
//!
//! - `bourse_offers([limit], [at])`: offers with a free slot, cheapest first (default 100, at
//!   most [`MAX_OFFERS_PER_QUERY`]).
//! - `bourse_provider(account, [at])`: a provider's bond, slots, reputation, offer and open tasks.
//! - `bourse_task(id, [at])`: a task's phase, providers, answers so far, outcome, cost and output.
//! - `bourse_job(id, [at])`: a job's tiles counted by phase (waiting, running, done, failed,
//!   pruned) and what the done ones cost.
//! - `bourse_quote(fuel, replication, max_price, [min_reputation], [memory_mib], [requester],
//!   [at])`: would it be assigned now, among whom, what it would hold and cost at most.
//!
//! Runtime calls run on blocking threads (`blocking` methods), never on the async executor.
// `bourse_quote` takes every parameter of a quote (the macro drops attributes on methods).
#![allow(clippy::too_many_arguments)]

use std::{str::FromStr, sync::Arc};

use bourse_primitives::{
	api::{
		AnswerView, BourseApi, JobView, OfferView, ProviderView, QuoteView, TaskPhase, TaskView,
		MAX_OFFERS_PER_QUERY,
	},
	traits::{Assignment, TaskFailure},
	Status,
};
use bourse_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use jsonrpsee::{core::RpcResult, proc_macros::rpc, types::ErrorObjectOwned};
use polkadot_sdk::{
	sp_api::ProvideRuntimeApi,
	sp_blockchain::HeaderBackend,
	sp_core::crypto::Ss58Codec,
	sp_runtime::{traits::Block as BlockT, Perbill},
};
use serde::{de::Error as _, Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Offers returned when the caller gives no limit.
const DEFAULT_OFFERS: u32 = 100;
/// Memory asked for by a quote that names none, in MiB.
const DEFAULT_QUOTE_MEMORY_MIB: u32 = 64;
/// Error code of a failed runtime call.
const RUNTIME_ERROR: i32 = 1;

/// Hex of `bytes`, `0x`-prefixed.
fn hex(bytes: &[u8]) -> String {
	format!("0x{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn fraction(p: Perbill) -> f64 {
	f64::from(p.deconstruct()) / 1e9
}

/// A parameter read from any JSON value by `parse`; otherwise the error `what: <value>`.
fn parse_value<'de, D: Deserializer<'de>, T>(
	d: D,
	what: &str,
	parse: impl FnOnce(&Value) -> Option<T>,
) -> Result<T, D::Error> {
	let value = Value::deserialize(d)?;
	parse(&value).ok_or_else(|| D::Error::custom(format!("{what}: {value}")))
}

/// An account parameter: SS58 or `0x` hex.
pub struct AccountParam(AccountId);

impl<'de> Deserialize<'de> for AccountParam {
	fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
		let text = String::deserialize(d)?;
		AccountId::from_ss58check(&text)
			.or_else(|_| AccountId::from_str(&text))
			.map(AccountParam)
			.map_err(|_| D::Error::custom(format!("not an account (SS58 or 0x hex): {text}")))
	}
}

/// An integer parameter: a JSON number, a decimal string or a `0x` hex string (how
/// @polkadot/api sends large `u64`s).
pub struct U64Param(u64);

impl<'de> Deserialize<'de> for U64Param {
	fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
		parse_value(d, "expected an integer", |value| match value {
			Value::Number(n) => n.as_u64(),
			Value::String(s) => match s.strip_prefix("0x") {
				Some(hex) => u64::from_str_radix(hex, 16).ok(),
				None => s.parse().ok(),
			},
			_ => None,
		})
		.map(U64Param)
	}
}

/// A balance parameter: a JSON number or a decimal string.
pub struct BalanceParam(Balance);

impl<'de> Deserialize<'de> for BalanceParam {
	fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
		parse_value(d, "not a balance", |value| match value {
			Value::Number(n) => n.as_u64().map(Balance::from),
			Value::String(s) => s.parse().ok(),
			_ => None,
		})
		.map(BalanceParam)
	}
}

/// A fraction parameter in [0, 1]: a JSON number or a decimal string.
pub struct FractionParam(Perbill);

impl<'de> Deserialize<'de> for FractionParam {
	fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
		parse_value(d, "expected a fraction in [0, 1]", |value| {
			match value {
				Value::Number(n) => n.as_f64(),
				Value::String(s) => s.parse::<f64>().ok(),
				_ => None,
			}
			.filter(|f| (0.0..=1.0).contains(f))
		})
		.map(|f| FractionParam(Perbill::from_parts((f * 1e9) as u32)))
	}
}

/// A provider and its price per million fuel.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentJson {
	provider: String,
	price_per_mfuel: String,
}

impl From<&Assignment<AccountId, Balance>> for AssignmentJson {
	fn from(a: &Assignment<AccountId, Balance>) -> Self {
		Self { provider: a.provider.to_ss58check(), price_per_mfuel: a.price.to_string() }
	}
}

/// An offer with a free slot.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferJson {
	provider: String,
	price_per_mfuel: String,
	max_fuel: String,
	max_memory_mib: u32,
	slots: u32,
	free_slots: u32,
	expires_at: Option<BlockNumber>,
	active_from: BlockNumber,
	reputation: f64,
}

impl From<&OfferView<AccountId, Balance, BlockNumber>> for OfferJson {
	fn from(o: &OfferView<AccountId, Balance, BlockNumber>) -> Self {
		Self {
			provider: o.provider.to_ss58check(),
			price_per_mfuel: o.price_per_mfuel.to_string(),
			max_fuel: o.max_fuel.to_string(),
			max_memory_mib: o.max_memory_mib,
			slots: o.slots,
			free_slots: o.free_slots,
			expires_at: o.expires_at,
			active_from: o.active_from,
			reputation: fraction(o.reputation),
		}
	}
}

/// A provider.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderJson {
	executor: String,
	bond: String,
	busy_slots: u32,
	unbonds_at: Option<BlockNumber>,
	missed: u32,
	paused_since: Option<BlockNumber>,
	reputation: f64,
	offer: Option<OfferJson>,
	open_tasks: Vec<u64>,
}

impl From<&ProviderView<AccountId, Balance, BlockNumber>> for ProviderJson {
	fn from(p: &ProviderView<AccountId, Balance, BlockNumber>) -> Self {
		Self {
			executor: hex(&p.executor),
			bond: p.bond.to_string(),
			busy_slots: p.busy_slots,
			unbonds_at: p.unbonds_at,
			missed: p.missed,
			paused_since: p.paused_since,
			reputation: fraction(p.reputation),
			offer: p.offer.as_ref().map(OfferJson::from),
			open_tasks: p.open_tasks.clone(),
		}
	}
}

/// A run's status: its name, or `{ "exit": code }`.
#[derive(Clone, Serialize)]
#[serde(untagged)]
pub enum StatusJson {
	/// A status without data, by name.
	Name(String),
	/// `Exit(code)`.
	Exit {
		/// The exit code.
		exit: u32,
	},
}

impl From<&Status> for StatusJson {
	fn from(s: &Status) -> Self {
		match s {
			Status::Exit(exit) => Self::Exit { exit: *exit },
			other => Self::Name(format!("{other:?}")),
		}
	}
}

/// What a provider revealed or answered.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevealedJson {
	status: StatusJson,
	output_hash: String,
	fuel_used: String,
}

/// One provider's answer so far.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerJson {
	provider: String,
	committed: bool,
	revealed: Option<RevealedJson>,
	/// Why it abstained (`time`, `memory`, `version`, `local_failure`), if it did.
	abstained: Option<&'static str>,
}

impl From<&AnswerView<AccountId>> for AnswerJson {
	fn from(a: &AnswerView<AccountId>) -> Self {
		Self {
			provider: a.provider.to_ss58check(),
			committed: a.committed,
			revealed: a.revealed.as_ref().map(|(status, hash, fuel)| RevealedJson {
				status: status.into(),
				output_hash: hex(hash),
				fuel_used: fuel.to_string(),
			}),
			abstained: a.abstained.map(|reason| reason.label()),
		}
	}
}

/// Where a task is, tagged by `status`.
#[derive(Clone, Serialize)]
#[serde(tag = "status", rename_all_fields = "camelCase")]
pub enum PhaseJson {
	/// Waiting for providers.
	Queued { since: BlockNumber },
	/// Assigned; answers due by `deadline`.
	Assigned { providers: Vec<AssignmentJson>, assigned_at: BlockNumber, deadline: BlockNumber },
	/// Completed with the agreed outcome.
	Completed {
		outcome: StatusJson,
		output_hash: String,
		fuel_used: String,
		cost: String,
		settled_at: BlockNumber,
	},
	/// Ended without a result.
	Failed { reason: String, settled_at: BlockNumber },
	/// Answered alone, provisionally: the output is sealed to the requester (`sealed`); final
	/// at `finalAt` unless the requester proves a bad delivery first.
	Answered {
		provider: AssignmentJson,
		outcome: StatusJson,
		fuel_used: String,
		answered_at: BlockNumber,
		final_at: BlockNumber,
	},
	/// A lone answer made final: the provider was paid `cost`.
	Delivered {
		provider: String,
		outcome: StatusJson,
		fuel_used: String,
		cost: String,
		settled_at: BlockNumber,
	},
	/// A lone answer under audit: `auditor` commits blind by `commitUntil`, both open by
	/// `deadline` (their openings show in `answers`); the answer's pay waits.
	Audited {
		provider: AssignmentJson,
		outcome: StatusJson,
		fuel_used: String,
		answered_at: BlockNumber,
		auditor: AssignmentJson,
		audit_at: BlockNumber,
		commit_until: BlockNumber,
		deadline: BlockNumber,
	},
	/// A lone answer whose audit found another outcome: its `committee` (empty until drawn)
	/// commits blind by `commitUntil` and opens by `deadline`; the answer's pay waits.
	Disputed {
		provider: AssignmentJson,
		outcome: StatusJson,
		fuel_used: String,
		answered_at: BlockNumber,
		auditor: AssignmentJson,
		committee: Vec<AssignmentJson>,
		commit_until: Option<BlockNumber>,
		deadline: Option<BlockNumber>,
	},
}

impl From<&TaskPhase<AccountId, Balance, BlockNumber>> for PhaseJson {
	fn from(phase: &TaskPhase<AccountId, Balance, BlockNumber>) -> Self {
		match phase {
			TaskPhase::Queued { since } => Self::Queued { since: *since },
			TaskPhase::Assigned { providers, assigned_at, deadline } => Self::Assigned {
				providers: providers.iter().map(AssignmentJson::from).collect(),
				assigned_at: *assigned_at,
				deadline: *deadline,
			},
			TaskPhase::Completed { status, output_hash, fuel_used, cost, settled_at } => {
				Self::Completed {
					outcome: status.into(),
					output_hash: hex(output_hash),
					fuel_used: fuel_used.to_string(),
					cost: cost.to_string(),
					settled_at: *settled_at,
				}
			}
			TaskPhase::Answered { provider, status, fuel_used, answered_at, final_at } => {
				Self::Answered {
					provider: provider.into(),
					outcome: status.into(),
					fuel_used: fuel_used.to_string(),
					answered_at: *answered_at,
					final_at: *final_at,
				}
			}
			TaskPhase::Delivered { provider, status, fuel_used, cost, settled_at } => {
				Self::Delivered {
					provider: provider.to_ss58check(),
					outcome: status.into(),
					fuel_used: fuel_used.to_string(),
					cost: cost.to_string(),
					settled_at: *settled_at,
				}
			}
			TaskPhase::Audited {
				provider,
				status,
				fuel_used,
				answered_at,
				auditor,
				audit_at,
				commit_until,
				deadline,
			} => Self::Audited {
				provider: provider.into(),
				outcome: status.into(),
				fuel_used: fuel_used.to_string(),
				answered_at: *answered_at,
				auditor: auditor.into(),
				audit_at: *audit_at,
				commit_until: *commit_until,
				deadline: *deadline,
			},
			TaskPhase::Disputed {
				provider,
				status,
				fuel_used,
				answered_at,
				auditor,
				committee,
				commit_until,
				deadline,
			} => Self::Disputed {
				provider: provider.into(),
				outcome: status.into(),
				fuel_used: fuel_used.to_string(),
				answered_at: *answered_at,
				auditor: auditor.into(),
				committee: committee.iter().map(AssignmentJson::from).collect(),
				commit_until: *commit_until,
				deadline: *deadline,
			},
			TaskPhase::Failed { reason, settled_at } => Self::Failed {
				reason: match reason {
					TaskFailure::Attestation(reason) => format!("{reason:?}"),
					other => format!("{other:?}"),
				},
				settled_at: *settled_at,
			},
		}
	}
}

/// A task, its answers and its result.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskJson {
	id: u64,
	requester: String,
	workload: String,
	input_len: u32,
	fuel_limit: String,
	max_memory_mib: u32,
	max_price_per_mfuel: String,
	replication: u32,
	timeout: BlockNumber,
	escrow: String,
	phase: PhaseJson,
	answers: Vec<AnswerJson>,
	output: Option<String>,
	/// A lone answer's output sealed to the requester's reply key (hex), until pruned.
	sealed: Option<String>,
	/// The task's digest (hex), which a box is bound to, while it has one.
	digest: Option<String>,
}

impl TaskJson {
	fn new(id: u64, t: &TaskView<AccountId, Balance, BlockNumber>) -> Self {
		Self {
			id,
			requester: t.requester.to_ss58check(),
			workload: hex(&t.workload),
			input_len: t.input_len,
			fuel_limit: t.fuel_limit.to_string(),
			max_memory_mib: t.max_memory_mib,
			max_price_per_mfuel: t.max_price.to_string(),
			replication: t.replication,
			timeout: t.timeout,
			escrow: t.escrow.to_string(),
			phase: (&t.phase).into(),
			answers: t.answers.iter().map(AnswerJson::from).collect(),
			output: t.output.as_deref().map(hex),
			sealed: t.sealed.as_deref().map(hex),
			digest: t.digest.as_ref().map(|d| hex(d)),
		}
	}
}

/// Would a task be assigned now, to whom, at what cost.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteJson {
	assignable: bool,
	candidates: Vec<AssignmentJson>,
	escrow: Option<String>,
	max_cost: Option<String>,
	/// The shortest timeout (blocks) this task may ask for.
	min_timeout: u32,
}

impl From<&QuoteView<AccountId, Balance>> for QuoteJson {
	fn from(q: &QuoteView<AccountId, Balance>) -> Self {
		Self {
			assignable: q.assignable,
			candidates: q.candidates.iter().map(AssignmentJson::from).collect(),
			escrow: q.escrow.map(|b| b.to_string()),
			max_cost: q.max_cost.map(|b| b.to_string()),
			min_timeout: q.min_timeout,
		}
	}
}

/// A job's tiles by phase.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobJson {
	id: u64,
	requester: String,
	/// Its first tile's task id; the others follow.
	first_task: u64,
	tiles: u32,
	waiting: u32,
	running: u32,
	done: u32,
	failed: u32,
	pruned: u32,
	/// What the done tiles cost (their providers' pay).
	cost: String,
	rent: String,
	wait_until: BlockNumber,
}

impl JobJson {
	fn new(id: u64, j: &JobView<AccountId, Balance, BlockNumber>) -> Self {
		Self {
			id,
			requester: j.requester.to_ss58check(),
			first_task: j.first_task,
			tiles: j.tiles,
			waiting: j.waiting,
			running: j.running,
			done: j.done,
			failed: j.failed,
			pruned: j.pruned,
			cost: j.cost.to_string(),
			rent: j.rent.to_string(),
			wait_until: j.wait_until,
		}
	}
}

/// The `bourse_*` methods.
#[rpc(server)]
pub trait BourseRpcApi<BlockHash> {
	/// Offers with a free slot, cheapest first: `limit` (default 100) at most.
	#[method(name = "bourse_offers", blocking)]
	fn offers(&self, limit: Option<u32>, at: Option<BlockHash>) -> RpcResult<Vec<OfferJson>>;

	/// A provider's bond, slots, reputation, offer and open tasks; `null` if not a provider.
	#[method(name = "bourse_provider", blocking)]
	fn provider(
		&self,
		account: AccountParam,
		at: Option<BlockHash>,
	) -> RpcResult<Option<ProviderJson>>;

	/// A task's phase, answers so far and result; `null` if unknown or pruned.
	#[method(name = "bourse_task", blocking)]
	fn task(&self, id: U64Param, at: Option<BlockHash>) -> RpcResult<Option<TaskJson>>;

	/// A job's tiles counted by phase and what the done ones cost; `null` if unknown or pruned.
	#[method(name = "bourse_job", blocking)]
	fn job(&self, id: U64Param, at: Option<BlockHash>) -> RpcResult<Option<JobJson>>;

	/// Whether a task would be assigned now, among whom, what it would hold and cost at most.
	#[method(name = "bourse_quote", blocking)]
	fn quote(
		&self,
		fuel: U64Param,
		replication: u32,
		max_price: BalanceParam,
		min_reputation: Option<FractionParam>,
		memory_mib: Option<u32>,
		requester: Option<AccountParam>,
		at: Option<BlockHash>,
	) -> RpcResult<QuoteJson>;
}

/// The `bourse_*` methods over a client.
pub struct BourseRpc<C> {
	client: Arc<C>,
}

impl<C> BourseRpc<C> {
	/// The methods over `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

fn runtime_error(e: impl std::fmt::Debug) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(RUNTIME_ERROR, format!("runtime call failed: {e:?}"), None::<()>)
}

impl<C> BourseRpc<C>
where
	C: HeaderBackend<Block>,
{
	fn at(&self, at: Option<<Block as BlockT>::Hash>) -> <Block as BlockT>::Hash {
		at.unwrap_or_else(|| self.client.info().best_hash)
	}
}

impl<C> BourseRpcApiServer<<Block as BlockT>::Hash> for BourseRpc<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: BourseApi<Block, AccountId, Balance, BlockNumber>,
{
	fn offers(
		&self,
		limit: Option<u32>,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<Vec<OfferJson>> {
		let limit = limit.unwrap_or(DEFAULT_OFFERS).min(MAX_OFFERS_PER_QUERY);
		let offers = self.client.runtime_api().offers(self.at(at), limit).map_err(runtime_error)?;
		Ok(offers.iter().map(OfferJson::from).collect())
	}

	fn provider(
		&self,
		account: AccountParam,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<Option<ProviderJson>> {
		let view =
			self.client.runtime_api().provider(self.at(at), account.0).map_err(runtime_error)?;
		Ok(view.as_ref().map(ProviderJson::from))
	}

	fn task(
		&self,
		id: U64Param,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<Option<TaskJson>> {
		let view = self.client.runtime_api().task(self.at(at), id.0).map_err(runtime_error)?;
		Ok(view.as_ref().map(|t| TaskJson::new(id.0, t)))
	}

	fn job(&self, id: U64Param, at: Option<<Block as BlockT>::Hash>) -> RpcResult<Option<JobJson>> {
		let view = self.client.runtime_api().job(self.at(at), id.0).map_err(runtime_error)?;
		Ok(view.as_ref().map(|j| JobJson::new(id.0, j)))
	}

	fn quote(
		&self,
		fuel: U64Param,
		replication: u32,
		max_price: BalanceParam,
		min_reputation: Option<FractionParam>,
		memory_mib: Option<u32>,
		requester: Option<AccountParam>,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<QuoteJson> {
		let view = self
			.client
			.runtime_api()
			.quote(
				self.at(at),
				fuel.0,
				memory_mib.unwrap_or(DEFAULT_QUOTE_MEMORY_MIB),
				replication,
				max_price.0,
				min_reputation.map_or(Perbill::zero(), |f| f.0),
				requester.map_or(AccountId::new([0; 32]), |r| r.0),
			)
			.map_err(runtime_error)?;
		Ok((&view).into())
	}
}
