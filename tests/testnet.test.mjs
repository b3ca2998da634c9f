// Fault tests on a real testnet: four `bourse-node` validators of `--chain local` on loopback,
// each also a provider whose `bour` key only its own node holds. Replicated tasks run on three
// different validators; a provider whose executor key this test holds lies and is out-voted; a
// validator is killed with SIGKILL (finality goes on, its tasks settle without it, it is paused
// after three misses and no longer drawn, no funds are lost) and restarted (it catches up,
// resumes its offer by itself and runs no stale task); a heavy replicated task (about 10 s of
// compute on each replica) completes; then 100 tasks load the chain while block time and
// finality lag are measured. Polling with deadlines, no fixed sleeps.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { stringToU8a, u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import {
  answerPayload, commitment, commitPayload, generalTransaction, openPayload, outcome, possessionProof,
  revealedArg, revealPayload, sealedAnswer,
} from '../scripts/lib/attestation.mjs';
import {
  auditSecretOf, confidentialMembers, decryptConfidentialOutput, ensureWorkload, openAnswer, placement, replyKeyOf, replySecretOf, send, showAuditCoin, submitConfidentialTask, submitTask,
} from '../scripts/lib/chain.mjs';
import { replyKeyPair } from '../scripts/lib/reply.mjs';
import { scanChain, withDigests } from './scan.mjs';
import { connectNode, waitFor, workloadPath } from '../scripts/lib/node.mjs';
import { endpoints, planTestnet, seedUri, startPlannedNode, waitUntilFinalizing } from '../scripts/lib/testnet.mjs';

/** The genesis offers' price: 1 mBRS per million fuel. */
const PRICE = 1_000_000_000n;
/** Small tasks: four validators and their workloads share two cores here. */
const FUEL = 200_000_000n;
const INPUT = '200\nhello testnet';

let plan;
let passed = 0; // the chain data and logs are deleted only if every test passed
const TESTS = 8;
const nodes = {}; // name → running process
let api;
let raw; // the API's provider: raw JSON-RPC, for general transactions
let ferdie; // the requester: not a validator, never a provider
let workload;
let expectedOutput;

const planned = (name) => plan.nodes.find((n) => n.name === name);
const log = (name) => readFileSync(planned(name).logFile, 'utf8');

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  ferdie = keyring.addFromUri('//Ferdie');
  plan = await planTestnet({ dir: mkdtempSync(join(tmpdir(), 'bourse-testnet-')), validators: 4, ports: 'free' });
  const started = Date.now();
  for (const node of plan.nodes) nodes[node.name] = startPlannedNode(plan, node);
  await waitUntilFinalizing(plan.nodes, { timeoutMs: 240_000 });
  console.log(`4 validators connected and finalized their first block ${((Date.now() - started) / 1000).toFixed(1)} s after start`);
  ({ api, provider: raw } = await connectNode({ ...nodes.alice, wsUrl: endpoints(planned('alice')).ws }));
  ({ hash: workload } = await ensureWorkload(api, readFileSync(workloadPath('sha256.wasm')), ferdie));
  let hash = createHash('sha256').update('hello testnet').digest();
  for (let i = 1; i < 200; i += 1) hash = createHash('sha256').update(hash).digest();
  expectedOutput = `${hash.toString('hex')}\n`;
});

after(async () => {
  try {
    await api?.disconnect(); // and `raw`, its provider
  } finally {
    await Promise.all(Object.values(nodes).map((n) => n.stop()));
    if (passed === TESTS) rmSync(plan.dir, { recursive: true, force: true });
    else if (plan) console.log(`testnet chain data and logs kept in ${plan.dir}`);
  }
});

/**
 * Ferdie submits a sha256 task; resolves with its id, providers (if assigned), the block that
 * assigned (or queued) it and its deadline, read from finalized blocks (with `finalized: false`,
 * from the best chain's).
 */
async function submit(k, {
  maxPrice = PRICE, timeout = 20, failFast = true, nonce, finalized = true, fuel = FUEL, input = INPUT, auditRate = 0,
} = {}) {
  const tx = submitTask(api, {
    workload, input: stringToU8a(input), fuel, memoryMib: 64, maxPrice, replication: k, timeout, failFast, auditRate,
  });
  const { events, blockHash } = await send(api, tx, ferdie, 'submit', { nonce, finalized, timeoutMs: 120_000 });
  const id = events.find(({ event }) => api.events.tasks.TaskSubmitted.is(event)).event.data.taskId.toBigInt();
  const placed = await placement(api, id, blockHash, { finalized, timeoutMs: 120_000 });
  assert.notEqual(placed.kind, 'failed', `task ${id} failed at its assignment: ${placed.data.reason}`);
  const assigned = placed.kind === 'assigned';
  const deadline = assigned ? placed.data.deadline.toNumber() : undefined;
  return { id, providers: assigned ? placed.data.providers.map(String) : [], blockHash: placed.blockHash, deadline };
}

const finalizedNumber = async () => (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();

/** The events of finalized block `number`. */
async function eventsAt(number) {
  const hash = await api.rpc.chain.getBlockHash(number);
  return (await api.query.system.events.at(hash)).map(({ event }) => event);
}

/** Whether a task in `state` has a result: completed (k ≥ 3), or a lone answer held, under
 * audit or final. */
const answered = (state) => state.isCompleted || state.isAnswered || state.isAudited || state.isDelivered;
/** Whether a task in `record` is settled: it has a result or failed (a lone answer counts from
 * the block that holds it: its money moves when it is final). */
const isSettled = (record) => record.isSome && (answered(record.unwrap().state) || record.unwrap().state.isFailed);

/**
 * Waits until every task in `ids` is settled in a finalized block (one query per poll for all
 * of them); resolves with, per task, its final state, the block that settled it and that
 * block's events about the task, all read from the finalized chain.
 */
async function settledAll(ids, { timeoutMs = 180_000 } = {}) {
  await waitFor(`tasks ${ids.join(', ')} to settle in a finalized block`, async () => {
    const at = await api.at(await api.rpc.chain.getFinalizedHead());
    return (await at.query.tasks.tasks.multi(ids)).every(isSettled);
  }, { timeoutMs, intervalMs: 1_000 });
  const at = await api.at(await api.rpc.chain.getFinalizedHead());
  const records = await at.query.tasks.tasks.multi(ids);
  return Promise.all(records.map(async (record, i) => {
    const { state } = record.unwrap();
    const held = state.isAnswered || state.isAudited;
    const settledAt = (held ? state.value.answeredAt : state.value.settledAt).toNumber();
    const events = (await eventsAt(settledAt)).filter((e) => e.data.taskId?.toBigInt?.() === ids[i]);
    return { state, at: settledAt, events };
  }));
}

/** `settledAll` of one task. */
const settled = async (id, options) => (await settledAll([id], options))[0];

const verdicts = (events) => Object.fromEntries(events
  .filter((e) => api.events.attestation.VerdictGiven.is(e))
  .map((e) => [e.data.provider.toString(), e.data.verdict.type]));
const amounts = (events, kind) => Object.fromEntries(events
  .filter((e) => api.events.tasks[kind].is(e))
  .map((e) => [e.data.provider.toString(), e.data.amount.toBigInt()]));

test('a replicated task runs on three different validators and completes with one agreed outcome', async () => {
  const { id, providers } = await submit(3);
  assert.equal(new Set(providers).size, 3, 'three distinct providers');
  const keyring = new Keyring({ type: 'sr25519' });
  const validators = new Map(plan.nodes.map(({ name }) => [keyring.addFromUri(seedUri(name)).address, name]));
  assert.ok(providers.every((p) => validators.has(p)), 'each provider is a validator');
  const { state, events } = await settled(id);
  assert.ok(state.isCompleted, `completed, not ${state.type}`);
  const output = Buffer.from((await api.query.tasks.outputs(id)).unwrap()).toString();
  assert.equal(output, expectedOutput, 'the agreed output is the natively computed digest');
  assert.deepEqual(verdicts(events), Object.fromEntries(providers.map((p) => [p, 'Agreed'])));
  assert.equal(Object.keys(amounts(events, 'ProviderPaid')).length, 3, 'all three paid');
  // Each answer was signed by a `bour` key that only its own validator's keystore holds.
  for (const p of providers) {
    assert.match(log(validators.get(p)), new RegExp(`executed task ${id}:`), `${validators.get(p)} ran task ${id}`);
  }
  passed += 1;
});

test('a confidential task (k = 3) sealed to the validators completes with one agreed ciphertext that only its requester reads', async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  const validators = plan.nodes.map(({ name }) => keyring.addFromUri(seedUri(name)).address);
  await waitFor('every validator\'s encryption key on chain', async () => (await api.query.offers.encryptionKeys.multi(validators)).every((k) => k.isSome), { timeoutMs: 120_000 });
  const members = await confidentialMembers(api, validators, { requester: ferdie.address });
  assert.equal(members.length, 4, 'sealed to the four validators');
  const text = 'confidential testnet';
  const input = `200\n${text}`;
  const { replyKey } = replyKeyPair();
  const { tx, secret } = await submitConfidentialTask(api, {
    workload, input: stringToU8a(input), fuel: FUEL, memoryMib: 64, maxPrice: PRICE, replication: 3, failFast: true, replyKey, members, requester: ferdie.address,
  });
  const { events: sent, blockHash } = await send(api, tx, ferdie, 'submit a confidential task', { finalized: true, timeoutMs: 120_000 });
  const id = sent.find(({ event }) => api.events.tasks.TaskSubmitted.is(event)).event.data.taskId.toBigInt();
  const submittedAt = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  const placed = await placement(api, id, blockHash, { finalized: true, timeoutMs: 120_000 });
  assert.equal(placed.kind, 'assigned');
  const providers = placed.data.providers.map(String);
  assert.equal(new Set(providers).size, 3);
  const { state, at, events } = await settled(id);
  assert.ok(state.isCompleted, `completed, not ${state.type}`);
  assert.deepEqual(verdicts(events), Object.fromEntries(providers.map((p) => [p, 'Agreed'])), 'three nodes made one ciphertext');
  const seat = (FUEL * PRICE + 999_999n) / 1_000_000n;
  assert.deepEqual(amounts(events, 'ProviderPaid'), Object.fromEntries(providers.map((p) => [p, seat])), 'each paid its seat');
  const ciphertext = (await api.query.tasks.outputs(id)).unwrap().toU8a(true);
  const plain = Buffer.from(await decryptConfidentialOutput(api, id, secret, ciphertext, state)).toString();
  let hash = createHash('sha256').update(text).digest();
  for (let i = 1; i < 200; i += 1) hash = createHash('sha256').update(hash).digest();
  const expected = `${hash.toString('hex')}\n`;
  assert.equal(plain, expected, 'the requester decrypts the natively computed digest');
  const needles = [...withDigests('input', input), ['input text', Buffer.from(text)], ...withDigests('output', expected)];
  // The control: the same scan finds the agreed ciphertext (in the reveals and the output).
  const { scanned, controlSeen } = await scanChain(api, submittedAt, at, needles, Buffer.from(ciphertext));
  assert.ok(controlSeen, 'the scan finds the ciphertext');
  console.log(`confidential task ${id}: assigned to ${providers.length} of 4 members, completed at block ${at}; scanned ${scanned} extrinsics, event sets and storage entries of blocks ${submittedAt}..${at}: no plaintext`);
  passed += 1;
});

test('a lying provider is out-voted, slashed and loses reputation; the task completes and the honest are paid', async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  const eve = keyring.addFromUri('//Eve'); // not a validator: the test plays her provider
  const executor = keyring.addFromUri('//Eve//executor');
  // A large bond makes Eve likely in every draw (weight = reputation × bond).
  const proof = await possessionProof(api, executor, eve.address);
  await send(api, api.tx.offers.registerProvider(100_000n * 1_000_000_000_000n, u8aToHex(executor.publicKey), proof), eve, 'register Eve');
  const { blockHash } = await send(api, api.tx.offers.setOffer(PRICE, 10_000_000_000n, 512, 4, null), eve, 'Eve\'s offer');
  const offerBlock = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  await waitFor('Eve\'s offer to take effect', async () => (await api.rpc.chain.getHeader()).number.toNumber() > offerBlock);
  const reputationBefore = (await raw.send('bourse_provider', [eve.address])).offer.reputation;

  try {
    await lieAsEve(eve, executor, reputationBefore);
  } finally {
    // Eve stops offering: the next tests are about the validators.
    await send(api, api.tx.offers.withdrawOffer(), eve, 'withdraw Eve\'s offer');
  }
  passed += 1;
});

async function lieAsEve(eve, executor, reputationBefore) {
  // Tasks Eve is not drawn for run on the validators; they need not be cancelled.
  let task;
  for (let attempt = 0; attempt < 5 && !task; attempt += 1) {
    // Eve must commit within the commit window: act on the first block that includes it.
    const submitted = await submit(3, { timeout: 20, finalized: false });
    if (submitted.providers.includes(eve.address)) task = submitted;
  }
  assert.ok(task, 'Eve was drawn within five tasks');
  const { id } = task;
  const lie = outcome(api, stringToU8a('forty-two\n'), 4242n);
  const salt = randomBytes(32);
  const committed = await commitment(api, id, eve.address, lie, salt);
  const commitCall = api.tx.attestation.commit(id, eve.address, u8aToHex(committed),
    u8aToHex(executor.sign(await commitPayload(api, id, eve.address, committed)))).method;
  await raw.send('author_submitExtrinsic', [generalTransaction(commitCall)]);
  // Reveals open once all three committed (or the commit window passed).
  await waitFor('three commitments', async () => (await api.query.attestation.commitments.entries(id)).length === 3, { timeoutMs: 60_000 });
  const revealCall = api.tx.attestation.reveal(id, eve.address, revealedArg(lie), u8aToHex(stringToU8a('forty-two\n')), u8aToHex(salt),
    u8aToHex(executor.sign(await revealPayload(api, id, eve.address, lie, salt)))).method;
  await raw.send('author_submitExtrinsic', [generalTransaction(revealCall)]);

  const { state, at, events } = await settled(id);
  assert.ok(state.isCompleted, `completed, not ${state.type}`);
  assert.equal(Buffer.from((await api.query.tasks.outputs(id)).unwrap()).toString(), expectedOutput, 'the honest output won');
  // Eve acted on the best chain's assignment; a sibling fork that won may have drawn the task
  // again at the same height (with Eve again, or her commitment would not count) and other
  // honest seats: judge by the finalized chain's.
  const judged = verdicts(events);
  const honest = Object.keys(judged).filter((p) => p !== eve.address);
  if (honest.some((p) => !task.providers.includes(p))) console.log(`task ${id} was drawn again on the fork that won: ${honest.join(', ')} beside Eve`);
  assert.equal(honest.length, 2, 'two honest seats beside Eve');
  assert.deepEqual(judged, { [eve.address]: 'OutVoted', [honest[0]]: 'Agreed', [honest[1]]: 'Agreed' });
  const slash = api.consts.offers.maxSlash.toBigInt();
  assert.deepEqual(amounts(events, 'ProviderSlashed'), { [eve.address]: slash });
  assert.deepEqual(Object.keys(amounts(events, 'ProviderPaid')).sort(), [...honest].sort(), 'the honest are paid');
  // The slash is burned: in that block, issuance drops by exactly the slashes, the base fee of
  // each task settled and the transaction fees.
  const [before, after] = await Promise.all([at - 1, at].map(async (n) => api.query.balances.totalIssuance.at(await api.rpc.chain.getBlockHash(n))));
  const burned = await burnsBetween(at - 1, at);
  assert.equal(before.toBigInt() - after.toBigInt(), burned.fees + burned.slashes + burned.rent + burned.settledTasks * api.consts.tasks.baseFee.toBigInt());
  const reputationAfter = (await raw.send('bourse_provider', [eve.address])).offer.reputation;
  console.log(`Eve's reputation ${reputationBefore.toFixed(3)} → ${reputationAfter.toFixed(3)}, slashed ${slash} plancks`);
  assert.ok(reputationAfter < reputationBefore, 'Eve lost reputation');
}

/** Fees, slashes (but what of them paid a committee) and settled tasks (each burns the base fee)
 * in finalized blocks (from, to]. */
async function burnsBetween(from, to) {
  let fees = 0n;
  let slashes = 0n;
  let settledTasks = 0n;
  let rent = 0n;
  for (let n = from + 1; n <= to; n += 1) {
    for (const e of await eventsAt(n)) {
      if (api.events.transactionPayment.TransactionFeePaid.is(e)) fees += e.data.actualFee.toBigInt();
      else if (api.events.tasks.ProviderSlashed.is(e)) slashes += e.data.amount.toBigInt();
      else if (api.events.tasks.CommitteePaid.is(e)) slashes -= e.data.amount.toBigInt();
      else if (api.events.tasks.QueueRentBurned.is(e)) rent += e.data.amount.toBigInt();
      else if (api.events.tasks.TaskCompleted.is(e) || api.events.tasks.TaskDelivered.is(e) || api.events.tasks.TaskFailed.is(e)) settledTasks += 1n;
    }
  }
  return { fees, slashes, settledTasks, rent };
}

test('a validator killed with SIGKILL: finality goes on, its tasks settle without it, nothing is lost; restarted, it catches up', async () => {
  const dave = new Keyring({ type: 'sr25519' }).addFromUri('//Dave');
  // Dave undercuts the others, so a task with that maximum price can only go to him.
  const cheap = PRICE / 2n;
  const { blockHash } = await send(api, api.tx.offers.setOffer(cheap, 10_000_000_000n, 512, 4, null), dave, 'Dave\'s offer');
  const offerBlock = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  await waitFor('Dave\'s offer to take effect', async () => (await finalizedNumber()) > offerBlock, { timeoutMs: 60_000 });
  const start = await finalizedNumber();

  await nodes.dave.kill();
  const killedAt = await finalizedNumber();
  const timeout = 8;
  const tasks = [await submit(1, { maxPrice: cheap, timeout })];
  assert.deepEqual(tasks[0].providers, [dave.address], 'the cheap task went to Dave');
  // Three replicated tasks draw Dave with probability 63/64; a second round makes it certain
  // in practice. Tasks beyond the free slots queue rather than fail.
  for (let round = 0; round < 2 && !tasks.slice(1).some((t) => t.providers.includes(dave.address)); round += 1) {
    const nonce = (await api.rpc.system.accountNextIndex(ferdie.address)).toNumber();
    tasks.push(...await Promise.all([0, 1, 2].map((i) => submit(3, { timeout, failFast: false, nonce: nonce + i }))));
  }
  const replicated = tasks.slice(1).filter((t) => t.providers.includes(dave.address));
  assert.ok(replicated.length > 0, 'a replicated task went to Dave');

  const results = await settledAll(tasks.map((t) => t.id));
  const finalizedAfter = await finalizedNumber();
  console.log(`with Dave killed: finalized #${killedAt} → #${finalizedAfter}; ${tasks.length} tasks settled`);
  assert.ok(finalizedAfter >= killedAt + timeout, 'finality went on with 3 of 4 validators');

  // Dave's single task: no answer, the requester refunded, Dave a no-show (unslashed: nobody
  // answered, so the task was never shown feasible).
  const [alone] = results;
  assert.ok(alone.state.isFailed && alone.state.asFailed.reason.asAttestation.isNoAnswer, 'failed with NoAnswer');
  assert.deepEqual(verdicts(alone.events), { [dave.address]: 'NoShow' });
  assert.deepEqual(amounts(alone.events, 'ProviderSlashed'), {}, 'nobody answered: nobody slashed');
  assert.ok(alone.events.some((e) => api.events.tasks.Refunded.is(e)), 'refunded');
  // Replicated tasks with Dave: the two others agree and win; Dave is a no-show.
  for (const [i, t] of tasks.entries()) {
    if (i === 0) continue;
    assert.ok(results[i].state.isCompleted, `task ${t.id} completed`);
    if (t.providers.includes(dave.address)) {
      // Settled once the two others revealed after commits closed, not at the deadline.
      console.log(`task ${t.id} with Dave dead: settled in block ${results[i].at}, deadline ${t.deadline}`);
      assert.ok(results[i].at < t.deadline, `settled before its deadline (${results[i].at} < ${t.deadline})`);
      assert.equal(verdicts(results[i].events)[dave.address], 'NoShow');
      assert.ok(amounts(results[i].events, 'ProviderSlashed')[dave.address] > 0n, 'Dave slashed');
    }
  }

  // Liveness: silent on MaxMisses settled tasks in a row, Dave is paused and no longer drawn.
  // His misses so far (his single task and the replicated ones that drew him) may be enough;
  // tasks only he fits make sure (weighted by reputation, a k = 3 draw soon avoids him).
  const maxMisses = api.consts.offers.maxMisses.toNumber();
  const pausedSince = async () => (await raw.send('bourse_provider', [dave.address])).pausedSince;
  if ((await pausedSince()) === null) {
    const nonce = (await api.rpc.system.accountNextIndex(ferdie.address)).toNumber();
    const more = await Promise.all([...Array(maxMisses).keys()].map((i) => submit(1, { maxPrice: cheap, timeout, nonce: nonce + i })));
    for (const t of more) assert.deepEqual(t.providers, [dave.address]);
    tasks.push(...more);
    await settledAll(more.map((t) => t.id));
  }
  const pausedAt = await pausedSince();
  assert.notEqual(pausedAt, null, 'Dave was paused');
  const paused = (await eventsAt(pausedAt)).find((e) => api.events.offers.OfferPaused.is(e) && e.data.provider.toString() === dave.address);
  assert.ok(paused, `OfferPaused in block ${pausedAt}`);
  assert.equal(paused.data.missed.toNumber(), maxMisses);
  const missesByThen = (await settledAll(tasks.map((t) => t.id))).filter((r, i) => tasks[i].providers.includes(dave.address) && r.at <= pausedAt).length;
  console.log(`Dave paused in block ${pausedAt} after ${maxMisses} misses in a row (${missesByThen} of his tasks settled by then)`);
  assert.ok(missesByThen >= maxMisses);
  await assert.rejects(submit(1, { maxPrice: cheap, timeout }), /tasks\.NoProviderAvailable/, 'a task only the paused Dave fits finds nobody');
  const nonce = (await api.rpc.system.accountNextIndex(ferdie.address)).toNumber();
  const undrawn = await Promise.all([0, 1, 2].map((i) => submit(3, { timeout, nonce: nonce + i })));
  tasks.push(...undrawn);
  for (const t of undrawn) assert.ok(!t.providers.includes(dave.address), `task ${t.id} did not draw the paused Dave`);
  for (const r of await settledAll(undrawn.map((t) => t.id))) {
    assert.ok(r.state.isCompleted, 'completed without Dave');
    assert.deepEqual(Object.values(verdicts(r.events)), ['Agreed', 'Agreed', 'Agreed']);
  }

  // No funds lost: issuance fell by exactly the fees, slashes, queue rent and base fees burned meanwhile,
  // free + held balances of all accounts add up to it, and no escrow is left.
  const end = await finalizedNumber();
  const [startHash, endHash] = await Promise.all([start, end].map((n) => api.rpc.chain.getBlockHash(n)));
  const issuanceStart = (await api.query.balances.totalIssuance.at(startHash)).toBigInt();
  const issuanceEnd = (await api.query.balances.totalIssuance.at(endHash)).toBigInt();
  const { fees, slashes, settledTasks, rent } = await burnsBetween(start, end);
  assert.equal(issuanceStart - issuanceEnd, fees + slashes + rent + settledTasks * api.consts.tasks.baseFee.toBigInt());
  const accounts = await (await api.at(endHash)).query.system.account.entries();
  const total = accounts.reduce((s, [, a]) => s + a.data.free.toBigInt() + a.data.reserved.toBigInt(), 0n);
  assert.equal(total, issuanceEnd, 'free + held of every account = total issuance');
  const holds = await api.query.balances.holds(ferdie.address);
  assert.ok(!holds.some((h) => h.id.isTasks && h.id.asTasks.isTaskEscrow), 'no escrow left on hold');

  // Restart: Dave syncs, finalizes with the others, resumes his offer by himself and runs
  // none of the settled tasks.
  const logOffset = statSync(planned('dave').logFile).size;
  nodes.dave = startPlannedNode(plan, planned('dave'));
  await waitUntilFinalizing(plan.nodes, { finalized: (await finalizedNumber()) + 1, timeoutMs: 180_000 });
  const restarted = () => log('dave').slice(logOffset);
  await waitFor('Dave\'s node to resume his offer', async () => {
    const view = await api.at(await api.rpc.chain.getFinalizedHead());
    const presence = await view.query.offers.liveness(dave.address);
    return presence.isNone || presence.unwrap().pausedSince.isNone;
  }, { timeoutMs: 120_000 });
  assert.match(restarted(), /resuming its offer/);
  for (const t of tasks) assert.doesNotMatch(restarted(), new RegExp(`executed task ${t.id}:`), `Dave ran stale task ${t.id}`);
  // ... and takes new work again.
  const fresh = await submit(1, { maxPrice: cheap });
  assert.deepEqual(fresh.providers, [dave.address]);
  const { state } = await settled(fresh.id);
  assert.ok(answered(state), 'the restarted validator answered a new task');
  assert.match(restarted(), new RegExp(`executed task ${fresh.id}:`));
  // A run's end is logged once, however many sibling forks' passes read it.
  const ran = restarted().match(/executed task \d+:/g);
  assert.deepEqual(ran, [`executed task ${fresh.id}:`], 'the restarted validator ran exactly one task, once');
  passed += 1;
});

test('a heavy replicated task (about 10 s of compute on each replica) commits within its fuel-sized window and completes with three Agreed', async () => {
  // The genesis offers stop at 1e10 fuel (about a second of sha256): Alice, Bob and Charlie
  // raise theirs, so the task can only go to them.
  const keyring = new Keyring({ type: 'sr25519' });
  const heavyFuel = 90_000_000_000n;
  const raisers = ['alice', 'bob', 'charlie'].map((name) => keyring.addFromUri(seedUri(name)));
  let lastBlock = 0;
  for (const who of raisers) {
    const offer = (await api.query.offers.offers(who.address)).unwrap();
    const { blockHash } = await send(api, api.tx.offers.setOffer(offer.pricePerMfuel, heavyFuel, offer.maxMemoryMib, offer.slots, null), who, 'raise the offer');
    lastBlock = Math.max(lastBlock, (await api.rpc.chain.getHeader(blockHash)).number.toNumber());
  }
  await waitFor('the raised offers to take effect', async () => (await finalizedNumber()) > lastBlock, { timeoutMs: 60_000 });
  const iterations = heavyFuel / 9_000n; // the sha256 workload burns about 8,100 fuel a round
  const { minTimeout } = await raw.send('bourse_quote', [heavyFuel.toString(), 3, PRICE.toString(), 0, 64]);
  const started = Date.now();
  const task = await submit(3, { fuel: heavyFuel, input: `${iterations}\nheavy`, timeout: minTimeout, finalized: false });
  assert.deepEqual([...task.providers].sort(), raisers.map((r) => r.address).sort(), 'drawn among the raised offers');
  const assignedAt = (await api.rpc.chain.getHeader(task.blockHash)).number.toNumber();
  const { state, at, events } = await settled(task.id, { timeoutMs: 600_000 });
  const seconds = (Date.now() - started) / 1000;
  assert.ok(state.isCompleted && state.asCompleted.status.isSuccess, `completed, not ${state.toString()}`);
  const fuelUsed = state.asCompleted.fuelUsed.toBigInt();
  console.log(`heavy k = 3 task: ${iterations} sha256 rounds, ${fuelUsed} fuel, assigned in block ${assignedAt}, settled in block ${at} (${at - assignedAt} blocks, ${seconds.toFixed(1)} s after submission); timeout ${minTimeout} blocks`);
  assert.deepEqual(verdicts(events), Object.fromEntries(task.providers.map((p) => [p, 'Agreed'])));
  assert.ok(fuelUsed > 50_000_000_000n, `heavy: ${fuelUsed} fuel`);
  assert.ok(at - assignedAt > 2, 'needed longer than the old two-block commit window');
  assert.ok(at < task.deadline, 'settled once all revealed, before its deadline');
  passed += 1;
});

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

/**
 * Shows Ferdie's audit coins as a client does: once a lone answer's block is final, for every
 * task whose coin secret this process keeps, with nonces from `firstNonce` on. Returns what
 * each coin said (task id → audited) and a stop function.
 */
async function showCoinsWhenFinal(firstNonce) {
  const said = new Map();
  const failures = [];
  let nonce = firstNonce;
  let last = await finalizedNumber();
  let busy = Promise.resolve();
  const unsub = await api.rpc.chain.subscribeFinalizedHeads((header) => {
    const upTo = header.number.toNumber();
    busy = busy.then(async () => {
      for (; last < upTo; last += 1) {
        for (const event of await eventsAt(last + 1)) {
          if (!api.events.tasks.AnswerHeld.is(event)) continue;
          const id = event.data.taskId.toBigInt();
          const key = await replyKeyOf(api, id);
          const secret = key ? auditSecretOf(key.toHex()) : undefined;
          if (!secret) continue;
          send(api, showAuditCoin(api, id, secret), ferdie, `show the coin of task ${id}`, { nonce: nonce++, finalized: false })
            .then(({ events }) => {
              const shown = events.map((e) => e.event).find((e) => api.events.tasks.AuditCoinShown.is(e));
              said.set(id, shown.data.audited.isTrue);
            }, (error) => failures.push(error));
        }
      }
    }).catch((error) => failures.push(error));
  });
  return { said, failures, stop: () => unsub() };
}

/** The load test's tasks and the coins shown for them, for the audit test after it. */
let load;

test('under a load of 100 tasks, blocks keep coming and finality follows', async () => {
  const samples = []; // [block number, timestamp ms, finalized number]
  let sampling = true;
  // Every block this node imports, siblings included: BABE's primary and secondary slots can
  // give one height two blocks.
  const heads = new Map(); // height → hashes
  const unsubAll = await api.rpc.chain.subscribeAllHeads((header) => {
    const n = header.number.toNumber();
    if (!heads.has(n)) heads.set(n, new Set());
    heads.get(n).add(header.hash.toHex());
  });
  const unsub = await api.rpc.chain.subscribeNewHeads((header) => {
    Promise.all([api.query.timestamp.now.at(header.hash), finalizedNumber()]).then(([now, finalized]) => {
      if (sampling) samples.push([header.number.toNumber(), now.toNumber(), finalized]);
    }, () => {}); // a head seen while disconnecting
  });
  try {
    const nonce = (await api.rpc.system.accountNextIndex(ferdie.address)).toNumber();
    // The client shows each coin once its answer is final; the coins' nonces follow the tasks'.
    const coins = await showCoinsWhenFinal(nonce + 100);
    const fromBlock = await finalizedNumber();
    const started = Date.now();
    const tasks = await Promise.all(Array.from({ length: 100 }, (_, i) => submit(1, { timeout: 200, failFast: false, nonce: nonce + i })));
    load = { tasks, coins, fromBlock };
    const results = await settledAll(tasks.map((t) => t.id), { timeoutMs: 600_000 });
    const seconds = (Date.now() - started) / 1000;
    const completed = results.filter((r) => answered(r.state)).length;
    const blocks = samples.filter(([n], i) => i === 0 || n > samples[i - 1][0]);
    const intervals = blocks.slice(1).map(([, t], i) => (t - blocks[i][1]) / 1000);
    const lags = blocks.map(([n, , f]) => n - f);
    console.log(`100 tasks: ${completed} completed in ${seconds.toFixed(1)} s over ${blocks.length} blocks; `
      + `block time median ${median(intervals)} s (max ${Math.max(...intervals)} s); `
      + `finality lag median ${median(lags)} blocks (max ${Math.max(...lags)})`);
    const forked = [...heads.values()].filter((hashes) => hashes.size > 1).length;
    console.log(`forks (BABE, c = 1/10, 4 validators): ${forked} of ${heads.size} heights had more than one block `
      + `(${((100 * forked) / Math.max(1, heads.size)).toFixed(1)} %)`);
    // Blocks whose author also authored their parent draw nothing while tasks wait.
    const heights = [...new Set(blocks.map(([n]) => n))];
    const deferring = (await Promise.all(heights.map(eventsAt)))
      .filter((events) => events.some((e) => api.events.tasks.AssignmentDeferred.is(e))).length;
    console.log(`draws deferred (the author also authored the parent, tasks waiting): ${deferring} of ${heights.length} blocks`);
    assert.equal(completed, 100, 'every task completed');
    assert.ok(Math.max(...lags) <= 10, 'finality kept up under load');
    passed += 1;
  } finally {
    sampling = false;
    unsub();
    unsubAll();
  }
});

test('lone answers are audited at the chain\'s rate by other validators, blind: every audit agrees, both are paid, the provider earns reputation', async () => {
  assert.ok(load, 'the load test ran');
  const { tasks, coins, fromBlock } = load;
  const ids = new Set(tasks.map((t) => t.id));
  // Every answer final: unaudited after its window, audited once both opened.
  await waitFor('the 100 answers to be final', async () => {
    const at = await api.at(await api.rpc.chain.getFinalizedHead());
    const records = await at.query.tasks.tasks.multi([...ids]);
    return records.every((r) => r.isSome && (r.unwrap().state.isDelivered || r.unwrap().state.isFailed));
  }, { timeoutMs: 600_000, intervalMs: 2_000 });
  coins.stop();
  assert.deepEqual(coins.failures, [], 'every coin was shown');
  const toBlock = await finalizedNumber();
  const byTask = new Map([...ids].map((id) => [id, { paid: {}, events: [] }]));
  for (let n = fromBlock; n <= toBlock; n += 1) {
    for (const e of await eventsAt(n)) {
      const id = e.data.taskId?.toBigInt?.();
      if (!byTask.has(id)) continue;
      const t = byTask.get(id);
      t.events.push({ n, e });
      if (api.events.tasks.TaskAssigned.is(e)) t.assignedAt = n;
      if (api.events.tasks.AnswerHeld.is(e)) { t.answeredAt = n; t.provider = e.data.provider.toString(); t.fuel = e.data.fuelUsed.toBigInt(); }
      if (api.events.tasks.AuditStarted.is(e)) t.auditor = e.data.auditor.toString();
      if (api.events.tasks.AuditEnded.is(e)) t.found = e.data.found;
      if (api.events.tasks.TaskDelivered.is(e)) t.finalAt = n;
      if (api.events.tasks.ProviderPaid.is(e)) t.paid[e.data.provider.toString()] = e.data.amount.toBigInt();
    }
  }
  const all = [...byTask.values()];
  const audited = all.filter((t) => t.found);
  const shownAudit = [...coins.said.values()].filter(Boolean).length;
  const rate = api.consts.tasks.auditRate.toNumber() / 1e9;
  console.log(`100 lone answers: ${coins.said.size} coins shown once the answer was final, ${shownAudit} said audit (rate ${rate * 100} %); ${audited.length} audits ended`);
  assert.equal(coins.said.size, 100, 'every coin shown');
  assert.equal(audited.length, shownAudit, 'the coins that said so were audited, no others');
  // Binomial(100, 0.1): 2 … 20 holds with probability above 0.999.
  assert.ok(audited.length >= 2 && audited.length <= 20, `${audited.length} audited`);
  for (const t of audited) {
    assert.ok(t.found.isAgreed, `honest validators agree: ${t.found.type}`);
    assert.notEqual(t.auditor, t.provider, 'never its own auditor');
    assert.ok(t.paid[t.auditor] > 0n && t.paid[t.provider] > 0n, 'both paid');
    assert.ok(t.events.some(({ e }) => api.events.attestation.Opened.is(e) && e.data.who.toString() === t.auditor), 'the auditor opened');
  }
  assert.ok(all.every((t) => t.finalAt), 'every answer delivered');
  // The bench of issue #20: fuel paid for, per fuel of one execution; latency; time to final.
  const executed = all.reduce((s, t) => s + t.fuel, 0n);
  const auditFuel = audited.reduce((s, t) => s + t.found.asAgreed.fuel.toBigInt(), 0n);
  const ratio = Number(executed + auditFuel) / Number(executed);
  const med = (xs) => median(xs);
  const latency = med(all.map((t) => t.answeredAt - t.assignedAt));
  const toFinal = (xs) => (xs.length ? med(xs.map((t) => t.finalAt - t.answeredAt)) : '-');
  console.log(`fuel paid ÷ one execution: ${ratio.toFixed(3)} (k = 3 costs 3.0); output to the requester ${latency} block(s) after assignment (median); `
    + `final ${toFinal(all.filter((t) => !t.found))} blocks after the answer unaudited, ${toFinal(audited)} audited (medians)`);
  const scores = await Promise.all([...new Set(audited.map((t) => t.provider))].map(async (p) => (await raw.send('bourse_provider', [p])).reputation));
  console.log(`audited providers' reputations now: ${scores.map((r) => Number(r).toFixed(3)).join(', ')}`);
  passed += 1;
});

test('a lone junk answer is caught by its audit, disputed, and a committee of the other validators slashes its provider and delivers the right output', async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  const eve = keyring.addFromUri('//Eve'); // registered by the lying test; the test plays her provider
  const executor = keyring.addFromUri('//Eve//executor');
  // Eve undercuts the validators: a task priced at her offer is hers alone. Its auditor and
  // committee are drawn by stake from every offer that fits, price no filter.
  const cheap = PRICE / 2n;
  const { blockHash } = await send(api, api.tx.offers.setOffer(cheap, 10_000_000_000n, 512, 4, null), eve, 'Eve\'s cheap offer');
  const offerBlock = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  await waitFor('Eve\'s offer to take effect', async () => (await api.rpc.chain.getHeader()).number.toNumber() > offerBlock);
  const reputationBefore = (await raw.send('bourse_provider', [eve.address])).offer.reputation;
  try {
    await junkAsEve(eve, executor, cheap, reputationBefore);
  } finally {
    await send(api, api.tx.offers.withdrawOffer(), eve, 'withdraw Eve\'s offer');
  }
  passed += 1;
});

async function junkAsEve(eve, executor, cheap, reputationBefore) {
  // The requester asks for an audit of every answer (rate 1): a junk answer is caught at its
  // first audit, as expected at rate p after 1/p answers (10 at the chain's 10 %).
  const { id, providers, blockHash } = await submit(1, { maxPrice: cheap, timeout: 20, finalized: false, auditRate: 1_000_000_000 });
  const assignedAt = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  assert.deepEqual(providers, [eve.address], 'Eve alone fits the price');
  const junk = stringToU8a('forty-two\n');
  const { answer, sealed, opening } = await sealedAnswer(api, id, eve.address, junk, 4242n);
  const answerCall = api.tx.attestation.answer(id, eve.address, answer, u8aToHex(sealed),
    u8aToHex(executor.sign(await answerPayload(api, id, eve.address, answer)))).method;
  await raw.send('author_submitExtrinsic', [generalTransaction(answerCall)]);
  // Held for its window, then audited by a validator; Eve opens her commitment once the
  // auditor has committed (a withheld opening would be slashed without a committee).
  let auditor;
  await waitFor(`task ${id} to be audited`, async () => {
    const task = await api.query.tasks.tasks(id);
    if (task.isSome && task.unwrap().state.isAudited) auditor = task.unwrap().state.asAudited.auditor.provider.toString();
    return auditor;
  }, { timeoutMs: 180_000, intervalMs: 1_000 });
  assert.notEqual(auditor, eve.address);
  await waitFor(`the auditor ${auditor} to commit`, async () => (await api.query.attestation.commitments(id, auditor)).isSome, { timeoutMs: 120_000 });
  const openCall = api.tx.attestation.open(id, eve.address, opening,
    u8aToHex(executor.sign(await openPayload(api, id, eve.address, opening)))).method;
  await raw.send('author_submitExtrinsic', [generalTransaction(openCall)]);
  // Disputed (the RPC says so while the committee is awaited); a committee of the three other
  // validators (all must be free) runs it, commits blind and opens.
  let phase;
  await waitFor(`task ${id} to be disputed`, async () => {
    phase = (await raw.send('bourse_task', [Number(id)]))?.phase;
    return ['Disputed', 'Failed', 'Delivered'].includes(phase?.status);
  }, { timeoutMs: 120_000, intervalMs: 1_000 });
  assert.equal(phase.status, 'Disputed', 'seen disputed before its end');
  let state;
  await waitFor(`task ${id} to end in a finalized block`, async () => {
    const record = await (await api.at(await api.rpc.chain.getFinalizedHead())).query.tasks.tasks(id);
    state = record.unwrap().state;
    return state.isFailed || state.isDelivered;
  }, { timeoutMs: 600_000, intervalMs: 2_000 });
  // (Delivered: by a committee member, the junk answer having been found wrong.)
  assert.ok(state.isDelivered, `delivered by the committee, not ${state.type} ${state.isFailed ? state.asFailed.reason.type : ''}`);
  const at = state.asDelivered.settledAt.toNumber();
  const events = [];
  for (let n = assignedAt; n <= at; n += 1) {
    for (const e of await eventsAt(n)) if (e.data.taskId?.toBigInt?.() === id) events.push({ n, e });
  }
  const of = (kind) => events.filter(({ e }) => api.events.tasks[kind].is(e)).map(({ e }) => e);
  const disputed = of('AuditEnded').find((e) => e.data.found.isDisagreed);
  assert.ok(disputed, 'the audit found another outcome');
  // The finalized chain's auditor (a sibling block may have drawn another one first).
  auditor = disputed.data.auditor.toString();
  assert.notEqual(auditor, eve.address);
  const [drawn] = of('CommitteeDrawn');
  assert.ok(drawn, 'a committee was drawn');
  const members = drawn.data.members.map(String);
  assert.equal(new Set(members).size, 3);
  assert.ok(!members.includes(eve.address) && !members.includes(auditor), 'neither party sits');
  const [judged] = of('CommitteeJudged');
  assert.ok(judged.data.upheld.isAuditor, `the committee upheld ${judged.data.upheld.type}`);
  // The requester gets the committee's output, at no cost: a member's box, opened with the
  // reply key's kept secret.
  assert.ok(members.includes(state.asDelivered.provider.toString()), 'delivered by a member');
  assert.equal(state.asDelivered.cost.toBigInt(), 0n, 'at no cost to the requester');
  const replyKey = (await replyKeyOf(api, id)).toU8a();
  const { output } = await openAnswer(api, id, replySecretOf(replyKey));
  assert.equal(Buffer.from(output).toString(), expectedOutput, 'the committee\'s output is the right one');
  const slash = api.consts.offers.maxSlash.toBigInt();
  assert.deepEqual(amounts(events.map(({ e }) => e), 'ProviderSlashed'), { [eve.address]: slash }, 'Eve alone slashed');
  const paidMembers = of('CommitteePaid').map((e) => e.data.member.toString()).sort();
  assert.deepEqual(paidMembers, [...members].sort(), 'every member paid out of Eve\'s slash');
  assert.ok(amounts(events.map(({ e }) => e), 'ProviderPaid')[auditor] > 0n, 'the auditor paid');
  // Issuance drops in the judging block by exactly what was burned: fees, the slash but the
  // committee's pay, the base fee of each task settled.
  const [before, after] = await Promise.all([at - 1, at].map(async (n) => api.query.balances.totalIssuance.at(await api.rpc.chain.getBlockHash(n))));
  const burned = await burnsBetween(at - 1, at);
  assert.equal(before.toBigInt() - after.toBigInt(), burned.fees + burned.slashes + burned.rent + burned.settledTasks * api.consts.tasks.baseFee.toBigInt());
  const reputationAfter = (await raw.send('bourse_provider', [eve.address])).offer.reputation;
  const n = (kind) => events.find(({ e }) => api.events.tasks[kind].is(e))?.n;
  console.log(`task ${id}: Eve's junk held at #${n('AnswerHeld')}, audited at #${n('AuditStarted')}, disputed at #${disputed ? n('AuditEnded') : '-'}, `
    + `committee drawn at #${n('CommitteeDrawn')}, judged at #${at}; Eve slashed ${slash} plancks, reputation ${reputationBefore.toFixed(3)} → ${reputationAfter.toFixed(3)}`);
  assert.ok(reputationAfter < reputationBefore, 'Eve lost reputation');
}
