// End to end on the real `bourse-node --dev`: Bob uploads the sha256 workload and submits a task;
// the chain assigns it to Alice (the dev chain's provider); her node's offchain worker runs it in
// the sandbox and answers with an authorized general transaction signed by her `bour` executor
// key (no signer, no nonce, no fee); the task settles: Alice is paid for the fuel used at her
// price, Bob gets the rest of the escrow back. A forged answer is refused by the pool.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Keyring } from '@polkadot/keyring';
import { stringToU8a, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import {
  answerPayload, generalTransaction, possessionProof, sealedAnswer,
} from '../scripts/lib/attestation.mjs';
import {
  openAnswer, placement, replySecretOf, send, showAuditCoin, submitTask, taskDeposit,
} from '../scripts/lib/chain.mjs';
import { auditCoin } from '../scripts/lib/reply.mjs';
import {
  connectNode, startNode, waitFor, workloadPath,
} from '../scripts/lib/node.mjs';

let node;
let api;
let alice;
let bob;
let workload;
// The API's provider, for raw JSON-RPC: @polkadot/api 16.5 re-encodes general transactions
// wrongly, so they are sent as bytes.
let raw;

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  alice = keyring.addFromUri('//Alice');
  bob = keyring.addFromUri('//Bob');
  node = await startNode(['--dev', '--tmp'], { name: 'market' });
  ({ api, provider: raw } = await connectNode(node));
  const code = readFileSync(workloadPath('sha256.wasm'));
  workload = blake2AsU8a(code, 256);
  // Uploaded unconditionally (not `ensureWorkload`): the upload itself is checked here.
  const { events } = await send(api, api.tx.tasks.uploadWorkload(u8aToHex(code)), bob, 'upload');
  assert.ok(events.some(({ event }) => api.events.tasks.WorkloadUploaded.is(event)));
});

after(async () => {
  try {
    await api?.disconnect(); // and `raw`, its provider
  } finally {
    await node?.stop();
  }
});

/**
 * Bob submits a task of replication 1; resolves with its id, escrow and assigned providers.
 * The block after its submission assigns it, never its own.
 */
async function bobSubmits(maxPrice) {
  const input = stringToU8a('hello bourse');
  const tx = submitTask(api, { workload: u8aToHex(workload), input, fuel: 1_000_000_000n, memoryMib: 64, maxPrice, timeout: 10, failFast: true });
  const { events, blockHash } = await send(api, tx, bob, 'submit');
  const submitted = events.find(({ event }) => api.events.tasks.TaskSubmitted.is(event)).event.data;
  assert.ok(!events.some(({ event }) => api.events.tasks.TaskAssigned.is(event)), 'not assigned in the block that includes it');
  const placed = await placement(api, submitted.taskId, blockHash);
  assert.equal(placed.kind, 'assigned');
  const [submittedAt, assignedAt] = await Promise.all([blockHash, placed.blockHash].map(async (h) => (await api.rpc.chain.getHeader(h)).number.toNumber()));
  assert.equal(assignedAt, submittedAt + 1, 'assigned by the next block');
  return {
    taskId: submitted.taskId.toBigInt(),
    escrow: submitted.escrow.toBigInt(),
    providers: placed.data.providers.map((p) => p.toString()),
  };
}

async function answerCall(taskId, provider, signer, output, fuelUsed) {
  const { answer, sealed } = await sealedAnswer(api, taskId, provider.address, output, fuelUsed);
  const signature = signer.sign(await answerPayload(api, taskId, provider.address, answer));
  return api.tx.attestation.answer(taskId, provider.address, answer, u8aToHex(sealed), u8aToHex(signature)).method;
}

/** The events of blocks from now on, until `match` finds one (or the deadline passes). */
async function waitForEvent(what, match, { timeoutMs = 60_000 } = {}) {
  let found;
  const unsub = await api.query.system.events((events) => {
    found ??= events.map(({ event }) => event).find(match);
  });
  try {
    return await waitFor(what, async () => found, { timeoutMs });
  } finally {
    unsub();
  }
}

/** `data` hashed with SHA-256 `times` times, as lowercase hex (the sha256 workload's output). */
function iteratedSha256(data, times) {
  let hash = createHash('sha256').update(data).digest();
  for (let i = 1; i < times; i += 1) hash = createHash('sha256').update(hash).digest();
  return hash.toString('hex');
}

/** An audit coin secret for task `taskId` that says "no audit" at any rate up to 99 %. */
function quietAuditSecret(taskId) {
  for (;;) {
    const secret = blake2AsU8a(stringToU8a(`quiet ${taskId} ${Math.random()}`), 256);
    if (auditCoin(secret, taskId) >= 990_000_000) return secret;
  }
}

const free = async (who) => (await api.query.system.account(who.address)).data.free.toBigInt();
/** `who`'s held balance for `reason` of the tasks pallet (e.g. 'TaskStorage'). */
const heldFor = async (who, reason) => (await api.query.balances.holds(who.address))
  .filter((h) => h.id.isTasks && h.id.asTasks.type === reason)
  .reduce((sum, h) => sum + h.amount.toBigInt(), 0n);
/** Free balance with the tasks' storage deposits, which come back when the tasks are pruned. */
const spendable = async (who) => (await free(who)) + (await heldFor(who, 'TaskStorage'));

test('Alice\'s node answers Bob\'s sha256 task within 2 blocks, sealed to Bob; final and paid after the window', async () => {
  const price = (await api.query.offers.offers(alice.address)).unwrap().pricePerMfuel.toBigInt();
  const input = '1000\nhello bourse';
  const expected = `${iteratedSha256(Buffer.from('hello bourse'), 1000)}\n`;
  const [aliceBefore, bobBefore, bobDepositsBefore] = [await free(alice), await spendable(bob), await heldFor(bob, 'TaskStorage')];

  const held = waitForEvent('AnswerHeld', (e) => api.events.tasks.AnswerHeld.is(e), { timeoutMs: 60_000 });
  const delivered = waitForEvent('TaskDelivered', (e) => api.events.tasks.TaskDelivered.is(e), { timeoutMs: 120_000 });
  // A coin that says "no audit" (on this one-validator chain nobody could audit).
  const nextId = (await api.query.tasks.nextTaskId()).toNumber();
  const auditSecret = quietAuditSecret(nextId);
  const tx = submitTask(api, { workload: u8aToHex(workload), input: stringToU8a(input), fuel: 1_000_000_000n, memoryMib: 64, maxPrice: price, timeout: 10, failFast: true, auditSecret });
  const replyKey = tx.method.args[9].toHex();
  const { blockHash, events } = await send(api, tx, bob, 'submit');
  const submitted = events.find(({ event }) => api.events.tasks.TaskSubmitted.is(event)).event.data;
  const taskId = submitted.taskId.toBigInt();
  assert.equal(submitted.deposit.toBigInt(), taskDeposit(api, input.length, 1), 'the deposit covers the input and the largest box');
  const placed = await placement(api, taskId, blockHash);
  assert.equal(placed.kind, 'assigned');
  assert.deepEqual(placed.data.providers.map(String), [alice.address]);
  const assignedAt = (await api.rpc.chain.getHeader(placed.blockHash)).number.toBigInt();
  const fee = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event)).event.data.actualFee.toBigInt();

  const answered = await held;
  assert.equal(answered.data.taskId.toBigInt(), taskId);
  const { state } = (await api.query.tasks.tasks(taskId)).unwrap();
  assert.ok(state.isAnswered, `answered, not ${state.type}`);
  const answeredAt = state.asAnswered.answeredAt.toBigInt();
  console.log(`task ${taskId}: assigned in block ${assignedAt}, answered in block ${answeredAt}, final at block ${state.asAnswered.finalAt}`);
  assert.ok(answeredAt - assignedAt <= 2n, `answered ${answeredAt - assignedAt} blocks after assignment`);
  // Only Bob reads the output: the box opens with his secret and holds what Alice committed to.
  assert.equal((await api.query.tasks.outputs(taskId)).isNone, true, 'no output in the clear');
  const opened = await openAnswer(api, taskId, replySecretOf(replyKey));
  assert.equal(Buffer.from(opened.output).toString(), expected, 'the output is the natively computed digest');
  assert.equal(opened.committed, true, 'the box holds what Alice committed to');
  assert.equal(await free(alice), aliceBefore, 'not paid before the answer is final');
  // Bob shows the audit coin once the answer's block is final: no audit.
  await waitFor('the answer\'s block to be final', async () => (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toBigInt() >= answeredAt, { timeoutMs: 30_000 });
  const coin = await send(api, showAuditCoin(api, taskId, auditSecret), bob, 'show the audit coin');
  const shown = coin.events.map(({ event }) => event).find((e) => api.events.tasks.AuditCoinShown.is(e));
  assert.equal(shown.data.audited.isTrue, false, 'the coin says no audit');
  const coinFee = coin.events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event)).event.data.actualFee.toBigInt();

  const event = await delivered;
  assert.equal(event.data.taskId.toBigInt(), taskId);
  const final = (await api.query.tasks.tasks(taskId)).unwrap().state;
  assert.ok(final.isDelivered, `final, not ${final.type}`);
  assert.equal(final.asDelivered.settledAt.toBigInt(), state.asAnswered.finalAt.toBigInt(), 'final when its window closed');
  const fuelUsed = event.data.fuelUsed.toBigInt();
  const payment = (fuelUsed * price + 999_999n) / 1_000_000n;
  const baseFee = api.consts.tasks.baseFee.toBigInt();
  assert.equal(event.data.cost.toBigInt(), payment);
  assert.equal(bobBefore - await spendable(bob), payment + baseFee + fee + coinFee, 'Bob paid the fuel used, the base fee and his transaction fees; the auditor\'s seat came back');
  // Final, the deposit shrank to the task, its input and its box, until pruning.
  const { taskDepositBase, taskDepositPerByte } = api.consts.tasks;
  const boxLen = (await api.query.tasks.sealedOutputs(taskId)).unwrap().length;
  const kept = 2n * taskDepositBase.toBigInt() + BigInt(input.length + boxLen) * taskDepositPerByte.toBigInt();
  assert.equal(await heldFor(bob, 'TaskStorage') - bobDepositsBefore, kept, 'the deposit of what stays stored');
  assert.equal(await free(alice) - aliceBefore, payment, 'Alice earned the payment; her answer was feeless');
  const holds = await api.query.balances.holds(bob.address);
  assert.ok(!holds.some((h) => h.id.isTasks && h.id.asTasks.isTaskEscrow), 'no escrow left on hold');
});

test('the pool refuses an answer not signed by the assigned executor key', async () => {
  const price = (await api.query.offers.offers(alice.address)).unwrap().pricePerMfuel.toBigInt();
  const { taskId } = await bobSubmits(price);
  const forged = generalTransaction(await answerCall(taskId, alice, bob, stringToU8a('forged'), 1n));
  await assert.rejects(raw.send('author_submitExtrinsic', [forged]), (error) => {
    assert.match(error.message, /1010.*bad signature/i, 'refused in the pool as a bad proof');
    return true;
  });
  assert.ok((await api.query.tasks.tasks(taskId)).unwrap().state.isAssigned, 'the task is still waiting for its answer');
});

test('the bourse_* RPC methods show offers, providers, tasks and quotes', async () => {
  const rpc = (method, params = []) => raw.send(method, params);
  const offers = await rpc('bourse_offers', []);
  const mine = offers.find((o) => o.provider === alice.address);
  assert.ok(mine, 'Alice\'s offer is listed');
  assert.equal(typeof mine.pricePerMfuel, 'string');
  assert.ok(mine.freeSlots >= 1 && mine.freeSlots <= mine.slots);
  assert.ok(mine.reputation > 0 && mine.reputation < 1);

  const provider = await rpc('bourse_provider', [alice.address]);
  assert.equal(provider.executor, u8aToHex(alice.publicKey));
  assert.deepEqual(provider.offer, mine);
  assert.equal(await rpc('bourse_provider', [bob.address]), null, 'Bob is not a provider');

  const done = await rpc('bourse_task', [0]);
  assert.equal(done.phase.status, 'Delivered');
  assert.equal(done.phase.outcome, 'Success');
  assert.equal(done.phase.provider, alice.address);
  assert.equal(done.requester, bob.address);
  assert.equal(done.output, null, 'a lone answer\'s output is never in the clear');
  assert.match(done.sealed, /^0x[0-9a-f]+$/);
  assert.match(done.digest, /^0x[0-9a-f]{64}$/);
  assert.equal(await rpc('bourse_task', [999_999]), null, 'unknown task');

  const price = BigInt(mine.pricePerMfuel);
  const quote = await rpc('bourse_quote', [1_000_000_000, 1, price.toString(), 0, 64, bob.address]);
  assert.equal(quote.assignable, true);
  assert.deepEqual(quote.candidates, [{ provider: alice.address, pricePerMfuel: mine.pricePerMfuel }]);
  const baseFee = api.consts.tasks.baseFee.toBigInt();
  // Two seats: Alice's and an auditor's, should the answer be audited.
  assert.equal(BigInt(quote.escrow), 2n * ((1_000_000_000n * price + 999_999n) / 1_000_000n) + baseFee);
  assert.equal(BigInt(quote.maxCost), BigInt(quote.escrow), 'at her own price, the most it can cost (audited) is the escrow');
  const own = await rpc('bourse_quote', [1_000_000_000, 1, price.toString(), 0, 64, alice.address]);
  assert.equal(own.assignable, false, 'a provider is never assigned its own task');
  assert.equal((await rpc('bourse_quote', [1_000_000_000, 3, price.toString()])).assignable, false, 'only one provider on --dev');

  await assert.rejects(rpc('bourse_provider', ['not-an-account']), /not an account/);
  await assert.rejects(rpc('bourse_quote', [1, 1, 'lots']), /not a balance/);
});

test('every call, event, error and storage item of the four market pallets has docs', () => {
  const metadata = api.runtimeMetadata.asLatest;
  const lookup = api.registry.lookup;
  const missing = [];
  for (const name of ['Offers', 'Tasks', 'Attestation', 'Reputation']) {
    const pallet = metadata.pallets.find((p) => p.name.toString() === name);
    assert.ok(pallet, `${name} is in the runtime`);
    for (const kind of ['calls', 'events', 'errors']) {
      if (pallet[kind].isNone) continue;
      const variants = lookup.getSiType(pallet[kind].unwrap().type).def.asVariant.variants;
      for (const v of variants) {
        if (v.docs.length === 0) missing.push(`${name}.${kind}.${v.name}`);
      }
    }
    for (const entry of pallet.storage.isSome ? pallet.storage.unwrap().items : []) {
      if (entry.docs.length === 0) missing.push(`${name}.storage.${entry.name}`);
    }
    for (const constant of pallet.constants) {
      if (constant.docs.length === 0) missing.push(`${name}.constants.${constant.name}`);
    }
  }
  assert.deepEqual(missing, [], 'items without docs');
});

test('ten crowding offers at 1 planck with the least capacity do not keep a 2e9-fuel task from Alice, who fits it', async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  const [minBond, maxSlash] = [api.consts.offers.minBond.toBigInt(), api.consts.offers.maxSlash.toBigInt()];
  const [minFuel, minMemory] = [api.consts.offers.minOfferFuel.toBigInt(), api.consts.offers.minOfferMemoryMib.toNumber()];
  const crowders = Array.from({ length: 10 }, (_, i) => keyring.addFromUri(`//Crowder${i}`));
  // Funded by Alice in one block (consecutive nonces), each with its bond and fees.
  const nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  await Promise.all(crowders.map((c, i) => send(api, api.tx.balances.transferKeepAlive(c.address, minBond + 10n ** 13n), alice, `fund crowder ${i}`, { nonce: nonce + i })));
  await Promise.all(crowders.map(async (c, i) => {
    const executor = keyring.addFromUri(`//Crowder${i}//bour`);
    const proof = await possessionProof(api, executor, c.address);
    await send(api, api.tx.offers.registerProvider(minBond, u8aToHex(executor.publicKey), proof), c, `register crowder ${i}`);
    await send(api, api.tx.offers.setOffer(1, minFuel, minMemory, minBond / maxSlash, null), c, `crowder ${i}'s offer`);
  }));
  const offers = await raw.send('bourse_offers', []);
  assert.equal(offers.filter((o) => o.pricePerMfuel === '1').length, 10, 'ten offers at 1 planck, cheaper than Alice');
  // The task needs twice the crowders' fuel: only Alice fits it, and she is found behind them.
  const price = (await api.query.offers.offers(alice.address)).unwrap().pricePerMfuel.toBigInt();
  const answered = waitForEvent('AnswerHeld', (e) => api.events.tasks.AnswerHeld.is(e), { timeoutMs: 60_000 });
  const tx = submitTask(api, { workload: u8aToHex(workload), input: stringToU8a('1000\nhello bourse'), fuel: 2n * minFuel, memoryMib: 64, maxPrice: price, timeout: 10, failFast: true });
  const { events, blockHash } = await send(api, tx, bob, 'submit behind the crowd');
  const taskId = events.find(({ event }) => api.events.tasks.TaskSubmitted.is(event)).event.data.taskId.toBigInt();
  const placed = await placement(api, taskId, blockHash);
  assert.equal(placed.kind, 'assigned', 'assigned by the next block, not queued or failed');
  assert.deepEqual(placed.data.providers.map(String), [alice.address]);
  assert.equal((await answered).data.taskId.toBigInt(), taskId, 'and Alice answered it');
});

test('300 tasks with an unattainable floor cost their sender rent and do not starve an honest queued task', { timeout: 300_000 }, async () => {
  const eve = new Keyring({ type: 'sr25519' }).addFromUri('//Eve');
  const { minQueueRent, maxQueued, baseFee } = api.consts.tasks;
  const minRent = minQueueRent.toBigInt();
  await send(api, api.tx.balances.transferKeepAlive(eve.address, 400n * 10n ** 12n), alice, 'fund Eve');
  // Eve's tasks ask for a reputation of 100 %, which no provider has: they can never run.
  const squat = { workload: u8aToHex(workload), input: stringToU8a('1\nsquat'), fuel: 1_000_000_000n, memoryMib: 64, maxPrice: 1n, minReputation: 1_000_000_000, timeout: 200 };
  const issuanceBefore = (await api.query.balances.totalIssuance()).toBigInt();
  const nonce = (await api.rpc.system.accountNextIndex(eve.address)).toNumber();
  const results = [];
  for (let start = 0; start < 300; start += 100) {
    results.push(...await Promise.allSettled(Array.from({ length: 100 }, (_, i) => send(api, submitTask(api, squat), eve, `squat ${start + i}`, { nonce: nonce + start + i }))));
  }
  const refused = results.filter((r) => r.status === 'rejected');
  assert.ok(refused.every((r) => /tasks\.QueueFull/.test(r.reason.message)), refused.map((r) => r.reason.message).join('; '));
  // Submitted while the queue had room, a task is placed by the next block: queued, or failed
  // (paying the base fee) once the queue filled up in that block.
  const included = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  const placed = await Promise.all(included.map(({ events: evs, blockHash }) => placement(api, evs.find(({ event }) => api.events.tasks.TaskSubmitted.is(event)).event.data.taskId, blockHash)));
  const failed = placed.filter((p) => p.kind === 'failed');
  assert.ok(failed.every((p) => p.data.reason.isNoProvider), failed.map((p) => p.data.reason.toString()).join('; '));
  const queue = await api.query.tasks.queue();
  assert.equal(queue.length, maxQueued.toNumber(), 'the queue is full of Eve\'s tasks');
  assert.equal(refused.length + failed.length, 300 - maxQueued.toNumber(), 'the rest were refused or failed: equal rent does not outbid');
  console.log(`of Eve's 300 tasks, ${refused.length} were refused at submission and ${failed.length} failed at assignment`);
  const eveHeld = await heldFor(eve, 'TaskEscrow');
  console.log(`Eve queued ${queue.length} tasks, holding ${eveHeld} plancks of escrow and rent reserve`);

  // Bob's task must wait: only Alice fits its fuel, and her price is above its maximum.
  const offer = (await api.query.offers.offers(alice.address)).unwrap();
  const price = offer.pricePerMfuel.toBigInt();
  const minFuel = api.consts.offers.minOfferFuel.toBigInt();
  const honestRent = minRent + (minRent + 9n) / 10n;
  const honest = submitTask(api, { workload: u8aToHex(workload), input: stringToU8a('1000\nhello bourse'), fuel: 2n * minFuel, memoryMib: 64, maxPrice: price - 1n, timeout: 10, queueRent: honestRent });
  await assert.rejects(send(api, submitTask(api, { workload: u8aToHex(workload), input: stringToU8a('1\nx'), fuel: 2n * minFuel, memoryMib: 64, maxPrice: price - 1n, timeout: 10 }), bob, 'at the least rent'), /tasks\.QueueFull/);
  const { events: submittedEvents, blockHash: submittedIn } = await send(api, honest, bob, 'the honest task, at a tenth more rent');
  const taskId = submittedEvents.find(({ event }) => api.events.tasks.TaskSubmitted.is(event)).event.data.taskId.toBigInt();
  const honestPlaced = await placement(api, taskId, submittedIn);
  assert.equal(honestPlaced.kind, 'queued');
  const honestBlock = honestPlaced.blockHash;
  const events = await (await api.at(honestBlock)).query.system.events();
  const outbid = events.find(({ event }) => api.events.tasks.TaskFailed.is(event) && event.data.reason.isOutbid);
  assert.ok(outbid, 'one of Eve\'s tasks gave its place');
  const outbidRent = events.find(({ event }) => api.events.tasks.QueueRentBurned.is(event) && event.data.taskId.eq(outbid.event.data.taskId));
  assert.ok(outbidRent && outbidRent.event.data.amount.toBigInt() >= minRent, 'and paid rent for its wait');

  // Alice lowers her price: within a turn of the queue Bob's task is tried, assigned and run.
  const completed = waitForEvent('Bob\'s task answered', (e) => api.events.tasks.AnswerHeld.is(e) && e.data.taskId.toBigInt() === taskId, { timeoutMs: 180_000 });
  await send(api, api.tx.offers.setOffer(price - 1n, offer.maxFuel, offer.maxMemoryMib, offer.slots, null), alice, 'Alice lowers her price');
  await completed;
  const settledAt = (await api.query.tasks.tasks(taskId)).unwrap().state.asAnswered.answeredAt.toNumber();
  const queuedAt = (await api.rpc.chain.getHeader(honestBlock)).number.toNumber();
  console.log(`Bob's task ${taskId}, queued in block ${queuedAt} behind ${queue.length - 1} squatting tasks, answered in block ${settledAt}`);

  // Eve gives up: cancelling costs each task at least a turn of the queue's rent.
  const open = (await api.query.tasks.queue()).map((entry) => entry.taskId.toBigInt());
  const cancelNonce = (await api.rpc.system.accountNextIndex(eve.address)).toNumber();
  const cancelled = await Promise.all(open.map((id, i) => send(api, api.tx.tasks.cancelTask(id), eve, `cancel ${id}`, { nonce: cancelNonce + i })));
  const turn = BigInt(Math.ceil(maxQueued.toNumber() / api.consts.tasks.assignPerBlock.toNumber()));
  const rent = cancelled.flatMap(({ events: evs }) => evs)
    .filter(({ event }) => api.events.tasks.QueueRentBurned.is(event))
    .reduce((sum, { event }) => sum + event.data.amount.toBigInt(), 0n);
  assert.equal(open.length, maxQueued.toNumber() - 1);
  assert.ok(rent >= BigInt(open.length) * turn * minRent, `rent burned on cancelling: ${rent}`);
  assert.equal((await api.query.tasks.queue()).length, 0);
  assert.equal(await heldFor(eve, 'TaskEscrow'), 0n, 'nothing of Eve\'s escrow is left held');
  const issuanceAfter = (await api.query.balances.totalIssuance()).toBigInt();
  console.log(`squatting the queue cost Eve ${rent + outbidRent.event.data.amount.toBigInt()} plancks of rent and ${BigInt(maxQueued.toNumber() + failed.length) * baseFee.toBigInt()} of base fees; issuance fell by ${issuanceBefore - issuanceAfter}`);
});
