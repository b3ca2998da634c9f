//! Calls decoded from the fuzzer's bytes: every call of every Bourse pallet and balance
//! transfers, by any dev account, with arguments at, inside and beyond their bounds; the
//! nodes' behaviours switched; blocks ended or skipped.

use crate::{
	chain::{call_name, Chain},
	nodes::Behaviour,
	EXECUTOR_KEYS,
};
use bourse_primitives::{
	reply, AbstainReason, AuditTerms, Claim, ExecutorId, Opening, Revealed, SealedAnswer,
	Statement, Status, EXECUTOR_VERSION,
};
use bourse_runtime::{
	Balance, Runtime, RuntimeCall, RuntimeEvent, System, MICRO_UNIT, MILLI_UNIT, UNIT,
};
use codec::Encode;
use polkadot_sdk::{
	frame_system::offchain::CreateAuthorizedTransaction,
	pallet_balances, pallet_sudo,
	sp_core::crypto::ByteArray,
	sp_io::hashing::blake2_256,
	sp_runtime::{traits::Hash as _, MultiAddress, Perbill, RuntimeAppPublic},
};

/// The fuzzer's bytes, read front to back; zeros once they run out.
pub struct Input<'a> {
	data: &'a [u8],
	pos: usize,
}

impl<'a> Input<'a> {
	/// Reads `data`.
	pub fn new(data: &'a [u8]) -> Self {
		Self { data, pos: 0 }
	}

	/// Whether every byte was read.
	pub fn is_empty(&self) -> bool {
		self.pos >= self.data.len()
	}

	/// The next byte.
	pub fn byte(&mut self) -> u8 {
		let b = self.data.get(self.pos).copied().unwrap_or(0);
		self.pos = self.pos.saturating_add(1);
		b
	}

	/// The next `N` bytes.
	pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
		core::array::from_fn(|_| self.byte())
	}

	/// A number below `n` (0 if `n` is 0).
	pub fn below(&mut self, n: usize) -> usize {
		if n == 0 {
			return 0;
		}
		usize::from(u16::from_le_bytes(self.bytes::<2>())) % n
	}

	/// One of `choices`.
	pub fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
		choices[self.below(choices.len())]
	}

	/// A u64: one of the interesting values, or any.
	pub fn u64_of(&mut self, interesting: &[u64]) -> u64 {
		if self.byte() < 224 {
			self.pick(interesting)
		} else {
			u64::from_le_bytes(self.bytes::<8>())
		}
	}

	/// An amount: one of the interesting values, or any.
	pub fn amount(&mut self) -> Balance {
		const AMOUNTS: [Balance; 12] = [
			0,
			1,
			MILLI_UNIT - 1,
			MILLI_UNIT,
			UNIT,
			10 * UNIT,
			100 * UNIT,
			101 * UNIT,
			1_000 * UNIT,
			999_000 * UNIT,
			1_000_000 * UNIT,
			Balance::MAX,
		];
		if self.byte() < 232 {
			self.pick(&AMOUNTS)
		} else {
			u128::from_le_bytes(self.bytes::<16>())
		}
	}
}

/// The state an action is decoded against, read from the chain.
struct Known {
	/// Tasks submitted so far (ids below this).
	next_task: u64,
	/// Workloads stored, and one unknown hash.
	workloads: Vec<[u8; 32]>,
}

/// A dev account's reply secret: its tasks' outputs are sealed to its public key.
pub fn reply_secret(actor: usize) -> [u8; 32] {
	blake2_256(&(b"bourse-fuzz/reply", actor as u32).encode())
}

/// A dev account's audit-coin secret (one for all its tasks: the coin is drawn per task).
pub fn coin_secret(actor: usize) -> [u8; 32] {
	blake2_256(&(b"bourse-fuzz/coin", actor as u32).encode())
}

/// What the next action did to the block.
pub enum Step {
	/// A call was applied (or refused).
	Applied,
	/// The block ends here.
	EndBlock,
	/// The block ends, and this many empty blocks follow.
	Skip(u32),
}

/// What an action does, with its weight in the draw (of [`OPS_TOTAL`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
	EndBlock,
	Skip,
	Behave,
	Transfer,
	Upload,
	Remove,
	Submit,
	Cancel,
	Accept,
	Claim,
	ShowCoin,
	Register,
	BondExtra,
	Rotate,
	SetOffer,
	WithdrawOffer,
	Unregister,
	WithdrawBond,
	Resume,
	NodeCall,
	Forge,
	Versions,
	SubmitJob,
	CancelJob,
}

/// The actions and their weights: the market's common path heavy, the calls that take offers
/// away light (or the market empties within a sequence).
const OPS: [(Op, u16); 24] = [
	(Op::EndBlock, 48),
	(Op::Skip, 6),
	(Op::Behave, 4),
	(Op::Transfer, 8),
	(Op::Upload, 6),
	(Op::Remove, 2),
	(Op::Submit, 50),
	(Op::Cancel, 10),
	(Op::Accept, 8),
	(Op::Claim, 6),
	(Op::ShowCoin, 16),
	(Op::Register, 4),
	(Op::BondExtra, 2),
	(Op::Rotate, 2),
	(Op::SetOffer, 8),
	(Op::WithdrawOffer, 1),
	(Op::Unregister, 1),
	(Op::WithdrawBond, 2),
	(Op::Resume, 2),
	(Op::NodeCall, 4),
	(Op::Forge, 8),
	(Op::Versions, 2),
	(Op::SubmitJob, 6),
	(Op::CancelJob, 2),
];

/// The sum of the actions' weights.
const OPS_TOTAL: usize = 220;

/// The action of a draw below [`OPS_TOTAL`].
fn op_of(mut draw: usize) -> Op {
	for (op, weight) in OPS {
		let weight = usize::from(weight);
		if draw < weight {
			return op;
		}
		draw -= weight;
	}
	Op::EndBlock
}

/// Decodes the next action and applies it to the block being built.
pub fn step(chain: &mut Chain, input: &mut Input, stats: &mut crate::Stats) -> Step {
	let actors = chain.actors.len();
	let mut who = input.below(actors);
	let mut op = op_of(input.below(OPS_TOTAL));
	let known = chain.with_state(|| Known {
		next_task: pallet_tasks::NextTaskId::<Runtime>::get(),
		workloads: pallet_tasks::Workloads::<Runtime>::iter_keys().take(16).collect(),
	});
	if matches!(op, Op::Submit | Op::SubmitJob) && known.workloads.is_empty() {
		op = Op::Upload;
	}
	// A call only a task's requester may make is mostly made by it.
	let task_id = pick_task(input, &known);
	if matches!(op, Op::Cancel | Op::Accept | Op::Claim | Op::ShowCoin) && input.byte() < 230 {
		let requester = chain
			.with_state(|| pallet_tasks::Tasks::<Runtime>::get(task_id).map(|task| task.requester));
		if let Some(at) = requester.and_then(|r| chain.actors.iter().position(|a| a.account() == r))
		{
			who = at;
		}
	}
	let call: RuntimeCall = match op {
		Op::EndBlock => return Step::EndBlock,
		Op::Skip => return Step::Skip(1 + input.below(30) as u32),
		Op::Behave => {
			let node = input.below(chain.nodes.len());
			let behaviour = input.pick(&Behaviour::ALL);
			if crate::tracing() {
				eprintln!("#{} node {node} turns {behaviour:?}", chain.number);
			}
			chain.nodes[node].behave(behaviour);
			return Step::Applied;
		}
		Op::Transfer => {
			// Mostly amounts that leave the sender able to go on; now and then all it has.
			let dest = MultiAddress::Id(chain.actors[input.below(actors)].account());
			let value = if input.byte() < 200 {
				input.pick(&[0, 1, MILLI_UNIT - 1, MILLI_UNIT, UNIT, 100 * UNIT, 1_000 * UNIT])
			} else {
				input.amount()
			};
			match input.byte() % 16 {
				0..=7 => pallet_balances::Call::transfer_keep_alive { dest, value }.into(),
				8..=14 => pallet_balances::Call::transfer_allow_death { dest, value }.into(),
				_ => pallet_balances::Call::transfer_all {
					dest,
					keep_alive: input.byte().is_multiple_of(2),
				}
				.into(),
			}
		}
		Op::Upload => pallet_tasks::Call::upload_workload { code: workload(input) }.into(),
		Op::Remove => {
			pallet_tasks::Call::remove_workload { hash: pick_workload(input, &known) }.into()
		}
		Op::Submit => {
			if input.byte() < 218 {
				well_formed_submit(chain, input, who, &known)
			} else {
				submit(input, who, &known)
			}
		}
		Op::Cancel => pallet_tasks::Call::cancel_task { task_id }.into(),
		Op::SubmitJob => submit_job(chain, input, who, &known),
		Op::CancelJob => {
			// Mostly a job of the caller's, now and then anyone's or none.
			let next = chain.with_state(pallet_tasks::NextJobId::<Runtime>::get);
			let job_id = match input.byte() {
				0..=229 => next.saturating_sub(1 + input.below(3) as u64),
				_ => u64::from_le_bytes(input.bytes::<8>()),
			};
			if input.byte() < 230 {
				let requester = chain.with_state(|| {
					pallet_tasks::Jobs::<Runtime>::get(job_id).map(|job| job.requester)
				});
				if let Some(at) =
					requester.and_then(|r| chain.actors.iter().position(|a| a.account() == r))
				{
					who = at;
				}
			}
			pallet_tasks::Call::cancel_job { job_id }.into()
		}
		Op::Accept => pallet_tasks::Call::accept_answer { task_id }.into(),
		Op::Claim => {
			let secret = if input.byte() < 200 { reply_secret(who) } else { input.bytes::<32>() };
			pallet_tasks::Call::claim_bad_delivery { task_id, secret }.into()
		}
		Op::ShowCoin => {
			let secret = if input.byte() < 220 { coin_secret(who) } else { input.bytes::<32>() };
			pallet_tasks::Call::show_audit_coin { task_id, secret }.into()
		}
		Op::Register => {
			let key = executor_key(chain, input.below(actors), input.byte() % EXECUTOR_KEYS);
			let owner = if input.byte() < 230 { who } else { input.below(actors) };
			let bond = input.amount();
			let Some((executor, proof)) = possession(chain, key, owner) else {
				return Step::Applied;
			};
			pallet_offers::Call::register_provider { bond, executor, proof }.into()
		}
		Op::BondExtra => pallet_offers::Call::bond_extra { amount: input.amount() }.into(),
		Op::Rotate => {
			let key = executor_key(chain, input.below(actors), input.byte() % EXECUTOR_KEYS);
			let Some((executor, proof)) = possession(chain, key, who) else {
				return Step::Applied;
			};
			pallet_offers::Call::rotate_executor { executor, proof }.into()
		}
		Op::SetOffer => set_offer(chain, input),
		Op::WithdrawOffer => pallet_offers::Call::withdraw_offer {}.into(),
		Op::Unregister => pallet_offers::Call::unregister_provider {}.into(),
		Op::WithdrawBond => pallet_offers::Call::withdraw_bond {}.into(),
		Op::Resume => pallet_offers::Call::resume_offer {}.into(),
		Op::NodeCall => return node_call(chain, input, stats, who),
		Op::Forge => return forged_claim(chain, input, stats, &known),
		Op::Versions => {
			let versions = match input.byte() % 4 {
				0 => vec![EXECUTOR_VERSION],
				1 => vec![EXECUTOR_VERSION, EXECUTOR_VERSION.wrapping_add(1)],
				2 => vec![EXECUTOR_VERSION.wrapping_add(1)],
				_ => vec![],
			};
			let Ok(versions) = versions.try_into() else { return Step::Applied };
			let call = pallet_attestation::Call::set_executor_versions { versions }.into();
			if input.byte() < 200 {
				// Root (Alice) through sudo; otherwise anyone, refused.
				// The call's own result is in `Sudid`: counted under the call, as root's.
				let sudo: RuntimeCall = pallet_sudo::Call::sudo { call: Box::new(call) }.into();
				let xt = chain.signed(0, sudo);
				let mut applied = chain.apply(xt);
				if let Ok(Ok(())) = applied.result {
					let sudid = chain.with_state(|| {
						System::events().into_iter().rev().find_map(|record| match record.event {
							RuntimeEvent::Sudo(pallet_sudo::Event::Sudid { sudo_result }) => {
								Some(sudo_result)
							}
							_ => None,
						})
					});
					if let Some(result) = sudid {
						applied.result = Ok(result);
					}
				}
				stats.applied(Some("Attestation::Call::set_executor_versions (root)"), applied);
				return Step::Applied;
			}
			call
		}
	};
	let xt = chain.signed(who, call);
	stats.applied(None, chain.apply(xt));
	Step::Applied
}

/// `set_offer`: mostly one a task can use (the genesis offers' shape, another price), else
/// arguments around every bound.
fn set_offer(chain: &Chain, input: &mut Input) -> RuntimeCall {
	let (price_per_mfuel, max_fuel, max_memory_mib, slots) = if input.byte() < 160 {
		(
			input.pick(&[MILLI_UNIT, 2 * MILLI_UNIT, MILLI_UNIT / 2, UNIT]),
			input.pick(&[1_000_000_000, 10_000_000_000]),
			input.pick(&[64, 512]),
			input.pick(&[1, 2, 4, 8]),
		)
	} else {
		(
			input.amount() / input.pick(&[1, 1_000, 1_000_000, UNIT]),
			input.u64_of(&[0, 1, 1_000_000, 600_000_000, 10_000_000_000, u64::MAX]),
			input.pick(&[0, 1, 16, 64, 512, 4096, u32::MAX]),
			input.pick(&[0, 1, 2, 4, 16, 64, 1_000, u32::MAX]),
		)
	};
	let expires_at = match input.byte() % 8 {
		0 => Some(chain.number.saturating_add(input.below(40) as u32)),
		1 => Some(input.pick(&[0, u32::MAX])),
		_ => None,
	};
	pallet_offers::Call::set_offer { price_per_mfuel, max_fuel, max_memory_mib, slots, expires_at }
		.into()
}

/// `submit_task` as a client sends it: a stored workload, fuel and memory the offers take,
/// audit terms exactly for a lone task, a timeout its windows allow, a rent the queue takes;
/// one in five deliberately unassignable (too cheap, too large), so the queue fills.
fn well_formed_submit(
	chain: &mut Chain,
	input: &mut Input,
	who: usize,
	known: &Known,
) -> RuntimeCall {
	let workload = known.workloads[input.below(known.workloads.len())];
	let task_input = vec![input.byte(); input.below(100)];
	let fuel_limit = input.pick(&[1_000_000, 600_000_000, 10_000_000_000]);
	let replication = input.pick(&[1, 1, 1, 1, 1, 1, 3, 3, 3, 5]);
	let unassignable = input.byte() < 51;
	let (max_price_per_mfuel, max_memory_mib) = if unassignable {
		input.pick(&[(1, 16), (MILLI_UNIT, 513), (MILLI_UNIT / 2, 64)])
	} else {
		(input.pick(&[MILLI_UNIT, 2 * MILLI_UNIT, UNIT]), input.pick(&[16, 64, 512]))
	};
	let (_, floor) =
		chain.with_state(|| pallet_tasks::Pallet::<Runtime>::windows(fuel_limit, replication));
	let timeout = floor.saturating_add(input.below(30) as u32);
	let queue_rent = match input.byte() % 3 {
		0 => None,
		1 => Some(300 * MICRO_UNIT),
		_ => Some(MILLI_UNIT),
	};
	let audit = (replication == 1).then(|| AuditTerms {
		seal: reply::audit_seal(&coin_secret(who)),
		rate: Perbill::from_percent(input.pick(&[0, 0, 10, 50, 100])),
	});
	pallet_tasks::Call::submit_task {
		workload,
		input: task_input,
		fuel_limit,
		max_memory_mib,
		max_price_per_mfuel,
		replication,
		min_reputation: Perbill::from_percent(input.pick(&[0, 0, 0, 1, 50])),
		timeout,
		queue_rent,
		reply_key: reply::public_key(&reply_secret(who)).unwrap_or_default(),
		audit,
	}
	.into()
}

/// `submit_job` of 1 to 40 tiles (now and then more than a job may have, an empty one, or two
/// tiles sharing a key), each with its own reply key and coin; one in five unassignable, rents
/// at and above the least (so a full job queue is outbid), waits short and long.
fn submit_job(chain: &mut Chain, input: &mut Input, who: usize, known: &Known) -> RuntimeCall {
	let workload = known.workloads[input.below(known.workloads.len())];
	let fuel_limit = input.pick(&[1_000_000, 600_000_000]);
	let replication = input.pick(&[1, 1, 1, 3]);
	let (max_price_per_mfuel, max_memory_mib) = if input.byte() < 51 {
		(1, 16)
	} else {
		(input.pick(&[MILLI_UNIT, UNIT]), input.pick(&[16, 64]))
	};
	let (_, floor) =
		chain.with_state(|| pallet_tasks::Pallet::<Runtime>::windows(fuel_limit, replication));
	let count = match input.byte() {
		0..=4 => 0,
		5..=9 => 1_025,
		_ => 1 + input.below(40),
	};
	let nonce = input.bytes::<4>();
	let mut tiles: Vec<pallet_tasks::JobTile> = (0..count)
		.map(|i| {
			let secret = blake2_256(&(reply_secret(who), nonce, i as u32).encode());
			pallet_tasks::JobTile {
				input: vec![input.byte(); 1 + input.below(40)],
				reply_key: reply::public_key(&secret).unwrap_or_default(),
				audit: (replication == 1).then(|| AuditTerms {
					seal: reply::audit_seal(&blake2_256(
						&(coin_secret(who), nonce, i as u32).encode(),
					)),
					rate: Perbill::zero(),
				}),
			}
		})
		.collect();
	if tiles.len() > 1 && input.byte() < 10 {
		tiles[1].reply_key = tiles[0].reply_key;
	}
	let terms = pallet_tasks::JobTerms {
		fuel_limit,
		max_memory_mib,
		max_price_per_mfuel,
		replication,
		min_reputation: Perbill::zero(),
		timeout: floor.saturating_add(input.below(20) as u32),
		rent: input.pick(&[300 * MICRO_UNIT, 400 * MICRO_UNIT, MILLI_UNIT]),
		max_wait: input.pick(&[1, 5, 40, 600]),
	};
	pallet_tasks::Call::submit_job { workload, terms, tiles }.into()
}

/// A workload's code: small valid ones (a magic number and a tag), junk, or too large.
fn workload(input: &mut Input) -> Vec<u8> {
	match input.byte() % 8 {
		0 => input.bytes::<8>().to_vec(),
		1 => {
			let mut code = b"\0asm\x01\0\0\0".to_vec();
			code.resize(512 * 1024 + 1, 0);
			code
		}
		_ => {
			let mut code = b"\0asm\x01\0\0\0".to_vec();
			code.push(input.byte() % 8);
			code
		}
	}
}

/// A stored workload, mostly; sometimes an unknown hash.
fn pick_workload(input: &mut Input, known: &Known) -> [u8; 32] {
	if known.workloads.is_empty() || input.byte() > 240 {
		return input.bytes::<32>();
	}
	known.workloads[input.below(known.workloads.len())]
}

/// A task id: mostly a recent one, sometimes any.
fn pick_task(input: &mut Input, known: &Known) -> u64 {
	match input.byte() {
		0..=199 => known.next_task.saturating_sub(1 + input.below(4) as u64),
		200..=239 => input.below(known.next_task.saturating_add(1) as usize) as u64,
		_ => u64::from_le_bytes(input.bytes::<8>()),
	}
}

/// `submit_task` with arguments drawn around every bound.
fn submit(input: &mut Input, who: usize, known: &Known) -> RuntimeCall {
	let workload = pick_workload(input, known);
	let input_len = input.pick(&[0, 1, 8, 100, 4096, 64 * 1024, 64 * 1024 + 1]);
	let tag = input.byte();
	let task_input = vec![tag; input_len];
	let fuel_limit = input.u64_of(&[
		0,
		1,
		1_000,
		1_000_000,
		100_000_000,
		600_000_000,
		10_000_000_000,
		10_000_000_001,
		u64::MAX,
	]);
	let max_memory_mib = input.pick(&[0, 1, 16, 64, 512, 513, u32::MAX]);
	let max_price_per_mfuel = match input.byte() % 4 {
		0 => input.amount(),
		_ => input.pick(&[0, 1, MILLI_UNIT - 1, MILLI_UNIT, 2 * MILLI_UNIT, UNIT, UNIT + 1]),
	};
	let replication = input.pick(&[1, 1, 1, 1, 3, 3, 3, 5, 0, 2, 7, u32::MAX]);
	let min_reputation = Perbill::from_percent(input.pick(&[0, 0, 0, 1, 10, 50, 100]));
	let timeout = input.pick(&[0, 1, 2, 3, 5, 8, 10, 15, 20, 40, 1_200, 1_201, u32::MAX]);
	let queue_rent = match input.byte() % 4 {
		0 => None,
		1 => Some(input.amount()),
		_ => Some(input.pick(&[300_000_000, 1_000_000_000, 0, 1])),
	};
	let reply_key = match input.byte() % 8 {
		0 => [0; 32],
		1 => input.bytes::<32>(),
		_ => reply::public_key(&reply_secret(who)).unwrap_or_default(),
	};
	let audit = match input.byte() % 4 {
		0 => None,
		_ => Some(AuditTerms {
			seal: reply::audit_seal(&coin_secret(who)),
			rate: Perbill::from_percent(input.pick(&[0, 10, 50, 100])),
		}),
	};
	pallet_tasks::Call::submit_task {
		workload,
		input: task_input,
		fuel_limit,
		max_memory_mib,
		max_price_per_mfuel,
		replication,
		min_reputation,
		timeout,
		queue_rent,
		reply_key,
		audit,
	}
	.into()
}

/// Executor key `n` of `actor`, as the runtime sees it.
fn executor_key(chain: &Chain, actor: usize, n: u8) -> ExecutorId {
	let pair = crate::chain::dev_pair(&chain.actors[actor].executor_seed(n));
	ExecutorId::from_slice(&polkadot_sdk::sp_core::Pair::public(&pair).to_raw_vec())
		.unwrap_or_else(|()| panic!("an sr25519 key is an executor key"))
}

/// `key` and its proof of possession for `owner`'s account.
fn possession(
	chain: &mut Chain,
	mut key: ExecutorId,
	owner: usize,
) -> Option<(ExecutorId, <ExecutorId as RuntimeAppPublic>::ProofOfPossession)> {
	let account = chain.actors[owner].account();
	let proof = chain.with_keys(|| {
		key.generate_proof_of_possession(&pallet_offers::Pallet::<Runtime>::executor_owner(
			&account,
		))
	})?;
	Some((key, proof))
}

/// A node's feeless call for a provider (limit its offer, resume it), signed by the provider's
/// executor key or by another.
fn node_call(chain: &mut Chain, input: &mut Input, stats: &mut crate::Stats, who: usize) -> Step {
	let provider = chain.actors[who].account();
	let wrong_key = input.byte() > 220;
	let key = if wrong_key {
		executor_key(chain, input.below(chain.actors.len()), 1)
	} else {
		match chain.with_state(|| pallet_offers::Providers::<Runtime>::get(&provider)) {
			Some(record) => record.executor,
			None => executor_key(chain, who, 0),
		}
	};
	let limit = input.byte().is_multiple_of(2);
	let slots = input.pick(&[0, 1, 2, 3, 1_000]);
	let call: Option<RuntimeCall> = chain.with_keys(|| {
		if limit {
			let offer = pallet_offers::Offers::<Runtime>::get(&provider)?;
			let payload = pallet_offers::Pallet::<Runtime>::limit_payload(&provider, &offer, slots);
			let signature = key.sign(&payload)?;
			Some(pallet_offers::Call::limit_offer { provider, slots, signature }.into())
		} else {
			let presence = pallet_offers::Pallet::<Runtime>::check_paused(&provider).ok()?;
			let payload = pallet_offers::Pallet::<Runtime>::resume_payload(&provider, &presence);
			let signature = key.sign(&payload)?;
			Some(pallet_offers::Call::resume_offer_as_node { provider, signature }.into())
		}
	});
	let Some(call) = call else { return Step::Applied };
	let xt =
		<Runtime as CreateAuthorizedTransaction<RuntimeCall>>::create_authorized_transaction(call);
	stats.applied(None, chain.apply(xt));
	Step::Applied
}

/// A statement no honest node would send: junk, or a true provider's key saying something its
/// node did not run, authorized like a node's answer (the pool's checks, then dispatch).
fn forged_claim(
	chain: &mut Chain,
	input: &mut Input,
	stats: &mut crate::Stats,
	known: &Known,
) -> Step {
	let task_id = pick_task(input, known);
	let speaker = input.below(chain.actors.len());
	let provider = chain.actors[speaker].account();
	let key = executor_key(chain, speaker, input.byte() % EXECUTOR_KEYS);
	let junk = input.bytes::<32>();
	let status = input.pick(&[Status::Success, Status::Trap, Status::Exit(1), Status::OutOfFuel]);
	let fuel_used = input.u64_of(&[0, 1, 1_000, u64::MAX]);
	let opening = Opening {
		status,
		fuel_used,
		executor_version: EXECUTOR_VERSION,
		output_digest: junk,
		fingerprint: junk,
		salt: junk,
	};
	if input.byte() % 7 == 6 {
		return forged_bundle(chain, input, stats, known, speaker, key);
	}
	let (claim, payload) = match input.byte() % 6 {
		0 => {
			let answer = SealedAnswer {
				status,
				fuel_used,
				executor_version: EXECUTOR_VERSION,
				commitment: junk,
				proof: junk,
				max_output: input.pick(&[0, 1, 4096, u32::MAX]),
				sealed_hash: blake2_256(&junk),
			};
			(Claim::Answer(answer), junk.to_vec())
		}
		1 => (Claim::Commit(junk), Vec::new()),
		2 => {
			let output = junk.to_vec();
			let revealed = Revealed {
				status,
				output_hash: <polkadot_sdk::sp_runtime::traits::BlakeTwo256>::hash(&output).0,
				fuel_used,
				executor_version: EXECUTOR_VERSION,
			};
			(Claim::Reveal { revealed, salt: junk }, output)
		}
		3 => (Claim::Abstain(input.pick(&[AbstainReason::Time, AbstainReason::Memory])), vec![]),
		4 => (Claim::Open(opening), Vec::new()),
		_ => {
			let claim =
				Claim::OpenWitnessed { opening, witness: junk, sealed_hash: blake2_256(&junk) };
			(claim, junk.to_vec())
		}
	};
	let call = chain.with_keys(|| {
		let digest = pallet_attestation::Pallet::<Runtime>::digest_of(task_id).unwrap_or(junk);
		let statement = Statement { task_id, provider: provider.clone(), claim };
		pallet_attestation::Pallet::<Runtime>::signed_call(&digest, statement, payload, &key)
	});
	let Some(call) = call else { return Step::Applied };
	let call: RuntimeCall = call.into();
	let name = format!("{} (forged)", call_name(&call));
	let xt =
		<Runtime as CreateAuthorizedTransaction<RuntimeCall>>::create_authorized_transaction(call);
	let applied = chain.apply(xt);
	// Signed with the provider's own bound key, a forged claim the chain took is its
	// operator's lie: the provider is no longer honest.
	if matches!(applied.result, Ok(Ok(()))) {
		chain.forgers.insert(provider);
	}
	stats.applied(Some(&name), applied);
	Step::Applied
}

/// A forged [`pallet_attestation::Pallet::answer_many`]: junk answers to up to four tasks
/// (sometimes one twice, sometimes with a box that is not the one hashed), under the digests
/// the chain holds or junk, signed by `key` for `speaker`'s provider.
fn forged_bundle(
	chain: &mut Chain,
	input: &mut Input,
	stats: &mut crate::Stats,
	known: &Known,
	speaker: usize,
	key: ExecutorId,
) -> Step {
	let provider = chain.actors[speaker].account();
	let count = 1 + input.below(4);
	let entries: Vec<_> = (0..count)
		.map(|_| {
			let task_id = pick_task(input, known);
			let junk = input.bytes::<32>();
			let boxed = if input.byte() > 230 { input.bytes::<32>() } else { junk };
			let answer = SealedAnswer {
				status: input.pick(&[Status::Success, Status::Trap]),
				fuel_used: input.u64_of(&[0, 1, 1_000, u64::MAX]),
				executor_version: EXECUTOR_VERSION,
				commitment: junk,
				proof: junk,
				max_output: input.pick(&[0, 1, 4096, u32::MAX]),
				sealed_hash: blake2_256(&junk),
			};
			(task_id, answer, boxed)
		})
		.collect();
	let call = chain.with_keys(|| {
		let answers = entries
			.into_iter()
			.map(|(task_id, answer, boxed)| {
				let digest = pallet_attestation::Pallet::<Runtime>::digest_of(task_id)
					.unwrap_or(answer.commitment);
				let sealed = boxed.to_vec().try_into().ok()?;
				Some(pallet_attestation::BundledAnswer { task_id, digest, answer, sealed })
			})
			.collect::<Option<Vec<_>>>()?;
		pallet_attestation::Pallet::<Runtime>::signed_answers(provider.clone(), answers, &key)
	});
	let Some(call) = call else { return Step::Applied };
	let xt = <Runtime as CreateAuthorizedTransaction<RuntimeCall>>::create_authorized_transaction(
		call.into(),
	);
	let applied = chain.apply(xt);
	// Every answer of a bundle the chain took counted: its operator lied in each.
	if matches!(applied.result, Ok(Ok(()))) {
		chain.forgers.insert(provider);
	}
	stats.applied(Some("Attestation::answer_many (forged)"), applied);
	Step::Applied
}
