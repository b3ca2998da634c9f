// End to end on the real `bourse-node --dev`: execution a provider can keep its promises with.
// A hostile "time bomb" task ends in seconds with an outcome and no slash; four heavy tasks
// assigned in one block run side by side and settle together; a node killed mid-run runs the
// task again after its restart, within the task's windows; an answer of an executor version the
// chain does not accept is refused by the pool; the executor key lowers its provider's offer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { stringToU8a, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import {
  answerPayload, generalTransaction, limitPayload, sealedAnswer,
} from '../scripts/lib/attestation.mjs';
import { placement, send, submitTask } from '../scripts/lib/chain.mjs';
import {
  connectNode, runScript, startNode, waitFor, workloadPath,
} from '../scripts/lib/node.mjs';

// `(module (memory (export "memory") 1024) (func (export "_start")
//    (loop (memory.fill (i32.const 0) (i32.const 0) (i32.const 67108864)) (br 0))))`:
// each iteration fills 64 MiB for a handful of instructions. Before fuel followed bulk memory
// operations, fuel 1e7 let it run for about 1.5 hours.
const TIME_BOMB = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type 0: () -> ()
  0x03, 0x02, 0x01, 0x00, // function 0 of type 0
  0x05, 0x04, 0x01, 0x00, 0x80, 0x08, // memory of 1024 pages (64 MiB)
  0x07, 0x13, 0x02, 0x06, ...Buffer.from('memory'), 0x02, 0x00, 0x06, ...Buffer.from('_start'), 0x00, 0x00,
  0x0a, 0x15, 0x01, 0x13, 0x00, // code: one body of 19 bytes, no locals
  0x03, 0x40, // loop
  0x41, 0x00, 0x41, 0x00, 0x41, 0x80, 0x80, 0x80, 0x20, // i32.const 0, 0, 67108864
  0xfc, 0x0b, 0x00, // memory.fill
  0x0c, 0x00, // br 0
  0x0b, 0x0b, // end loop, end function
]);

let node;
let api;
let raw;
let alice;
let bob;
let sha256;
let baseDir;

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  alice = keyring.addFromUri('//Alice');
  bob = keyring.addFromUri('//Bob');
  // A base path of our own: one test restarts the node on the same chain.
  baseDir = mkdtempSync(join(tmpdir(), 'bourse-execution-'));
  node = await startNode(['--dev', '--base-path', baseDir], { name: 'execution', logDir: baseDir });
  ({ api, provider: raw } = await connectNode(node));
  sha256 = await upload(readFileSync(workloadPath('sha256.wasm')));
});

after(async () => {
  try {
    await api?.disconnect();
  } finally {
    await node?.stop();
  }
});

async function upload(code) {
  await send(api, api.tx.tasks.uploadWorkload(u8aToHex(code)), bob, 'upload');
  return u8aToHex(blake2AsU8a(code, 256));
}

const price = async () => (await api.query.offers.offers(alice.address)).unwrap().pricePerMfuel.toBigInt();

/** Bob's task of `workload` on `input`; resolves with its id and the block it was assigned in. */
async function bobSubmits(workload, input, { fuel, memoryMib = 64, timeout = 10, nonce } = {}) {
  const tx = submitTask(api, { workload, input: stringToU8a(input), fuel, memoryMib, maxPrice: await price(), timeout, failFast: true });
  const { blockHash, events } = await send(api, tx, bob, 'submit', nonce === undefined ? {} : { nonce });
  const taskId = events.find(({ event }) => api.events.tasks.TaskSubmitted.is(event)).event.data.taskId.toBigInt();
  const placed = await placement(api, taskId, blockHash);
  assert.equal(placed.kind, 'assigned', `task ${taskId} assigned by the next block`);
  return { taskId, assignedAt: (await api.rpc.chain.getHeader(placed.blockHash)).number.toBigInt() };
}

/** The task's state once it has an answer or has ended: answered (held), completed, final or
 * failed. */
async function settled(taskId, timeoutMs = 90_000) {
  return waitFor(`task ${taskId} settled`, async () => {
    const task = (await api.query.tasks.tasks(taskId)).unwrap();
    return task.state.isAssigned || task.state.isQueued ? undefined : task.state;
  }, { timeoutMs });
}

/** The answer's outcome (status, fuel used) of a task in `state`, if it has one. */
const outcomeOf = (state) => (['Answered', 'Completed', 'Delivered'].includes(state.type) ? state.value : undefined);
/** The block a task in `state` was answered or ended in. */
const settledAt = (state) => (state.isAnswered ? state.asAnswered.answeredAt : state.value.settledAt).toBigInt();

/** Every `Tasks.ProviderSlashed` event from block `from` to the best block. */
async function slashesSince(from) {
  const best = (await api.rpc.chain.getHeader()).number.toBigInt();
  const slashes = [];
  for (let n = from; n <= best; n += 1n) {
    const at = await api.at(await api.rpc.chain.getBlockHash(n));
    for (const { event } of await at.query.system.events()) {
      if (api.events.tasks.ProviderSlashed.is(event)) slashes.push(`${n}: ${event.data.toString()}`);
    }
  }
  return slashes;
}

test('workloads run in confined worker processes, children of bourse-node with no_new_privs, seccomp and no environment', async () => {
  const { readdirSync } = await import('node:fs');
  const children = readdirSync(`/proc/${node.child.pid}/task`)
    .flatMap((tid) => readFileSync(`/proc/${node.child.pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/))
    .filter(Boolean);
  const workers = children.filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[1] === 'sandbox-worker');
  assert.ok(workers.length > 0, `worker processes among the node's children (${children})`);
  for (const pid of workers) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    assert.match(status, /^NoNewPrivs:\s+1$/m, `worker ${pid}: no_new_privs`);
    assert.match(status, /^Seccomp:\s+2$/m, `worker ${pid}: a seccomp filter`);
    assert.equal(readFileSync(`/proc/${pid}/environ`).length, 0, `worker ${pid}: an empty environment`);
  }
  console.log(`${workers.length} confined sandbox workers: pids ${workers.join(', ')}`);
  // And a task still completes right after its assignment.
  const { taskId, assignedAt } = await bobSubmits(sha256, '100\nconfined', { fuel: 100_000_000n });
  const state = await settled(taskId);
  assert.ok(outcomeOf(state), state.toString());
  assert.ok(settledAt(state) - assignedAt <= 2n, `settled ${settledAt(state) - assignedAt} blocks after assignment`);
});

test('a time bomb with the shortest timeout ends with an outcome or an abstention, and nobody is slashed', async () => {
  const bomb = await upload(TIME_BOMB);
  const minTimeout = api.consts.tasks.minTimeout.toNumber();
  const started = Date.now();
  const { taskId, assignedAt } = await bobSubmits(bomb, 'boom', { fuel: 10_000_000n, timeout: minTimeout });
  const state = await settled(taskId);
  const seconds = (Date.now() - started) / 1000;
  const how = outcomeOf(state) ? `${state.type.toLowerCase()}: ${outcomeOf(state).status.toString()}, ${outcomeOf(state).fuelUsed} fuel` : `failed: ${state.asFailed.reason.toString()}`;
  console.log(`time bomb (fuel 1e7, timeout ${minTimeout} blocks): ${how}, ${settledAt(state) - assignedAt} blocks, ${seconds.toFixed(1)} s after submission`);
  assert.ok(
    (outcomeOf(state)?.status.isOutOfFuel)
      || (state.isFailed && state.asFailed.reason.toString().includes('Abstained')),
    `an outcome (out of fuel) or an abstention, not ${state.toString()}`,
  );
  assert.deepEqual(await slashesSince(assignedAt), [], 'no ProviderSlashed');
});

test('four heavy tasks assigned to one provider in one block run side by side and settle together', async () => {
  // About 1.2e10 fuel... bounded by the offer: as much sha256 as Alice's offer allows.
  const maxFuel = (await api.query.offers.offers(alice.address)).unwrap().maxFuel.toBigInt();
  const slots = (await api.query.offers.offers(alice.address)).unwrap().slots.toNumber();
  assert.ok(slots >= 4, `Alice offers ${slots} slots`);
  const iterations = Number(maxFuel / 9_000n); // the sha256 workload burns about 8,100 fuel a round
  const nonce = (await api.rpc.system.accountNextIndex(bob.address)).toNumber();
  const tasks = await Promise.all([0, 1, 2, 3].map((i) => bobSubmits(sha256, `${iterations}\nheavy ${i}`, { fuel: maxFuel, timeout: 20, nonce: nonce + i })));
  const blocks = new Set(tasks.map((t) => t.assignedAt));
  assert.equal(blocks.size, 1, `assigned in one block, not ${[...blocks]}`);
  const states = await Promise.all(tasks.map((t) => settled(t.taskId)));
  const at = states.map(settledAt);
  const assignedAt = tasks[0].assignedAt;
  console.log(`4 × sha256 of ${iterations} rounds (${maxFuel} fuel each), assigned in block ${assignedAt}: settled in blocks ${at.join(', ')}`);
  assert.ok(states.every((s) => outcomeOf(s)?.status.isSuccess), 'all four answered with success');
  const spread = at.reduce((a, b) => (a > b ? a : b)) - at.reduce((a, b) => (a < b ? a : b));
  assert.ok(spread <= 1n, `settled within one block of each other (spread ${spread})`);
  assert.deepEqual(await slashesSince(assignedAt), []);
});

test('a node killed mid-run runs the task again after its restart, within the windows', async () => {
  const maxFuel = (await api.query.offers.offers(alice.address)).unwrap().maxFuel.toBigInt();
  const iterations = Number(maxFuel / 9_000n);
  const { taskId, assignedAt } = await bobSubmits(sha256, `${iterations}\nrestart`, { fuel: maxFuel, timeout: 30 });
  // The run started when the block was imported; it takes about a second.
  await node.kill();
  await api.disconnect();
  node = await startNode(['--dev', '--base-path', baseDir], { name: 'execution-restarted', logDir: baseDir });
  ({ api, provider: raw } = await connectNode(node));
  const state = await settled(taskId);
  console.log(`task ${taskId} assigned in block ${assignedAt}, node killed and restarted, settled in block ${settledAt(state)}`);
  assert.ok(outcomeOf(state)?.status.isSuccess, state.toString());
  assert.deepEqual(await slashesSince(assignedAt), []);
});

test('the pool refuses an answer of an executor version the chain does not accept', async () => {
  const accepted = (await api.query.attestation.acceptedVersions()).map((v) => v.toNumber());
  assert.deepEqual(accepted, [api.consts.attestation.executorVersion.toNumber()]);
  // A long task, so that Alice's own answer does not settle it first.
  const maxFuel = (await api.query.offers.offers(alice.address)).unwrap().maxFuel.toBigInt();
  const { taskId } = await bobSubmits(sha256, `${Number(maxFuel / 9_000n)}\nversion`, { fuel: maxFuel, timeout: 20 });
  const { answer, sealed } = await sealedAnswer(api, taskId, alice.address, stringToU8a('whatever'), 1n, { executorVersion: 999 });
  const signature = alice.sign(await answerPayload(api, taskId, alice.address, answer));
  const call = api.tx.attestation.answer(taskId, alice.address, answer, u8aToHex(sealed), u8aToHex(signature)).method;
  await assert.rejects(raw.send('author_submitExtrinsic', [generalTransaction(call)]), (error) => {
    assert.match(error.message, /1010/, 'refused in the pool');
    return true;
  });
  await settled(taskId);
});

test('the executor key lowers its provider\'s offer with `bourse provider limit`, and only lowers it', async () => {
  const offer = async () => (await api.query.offers.offers(alice.address)).unwrap();
  const before = (await offer()).slots.toNumber();
  const cli = (slots) => runScript(join(import.meta.dirname, '../scripts/bourse.mjs'), ['provider', 'limit', '--slots', String(slots), '--url', node.wsUrl], { timeout: 120_000 });
  const raised = await cli(before + 1);
  assert.equal(raised.code, 1, 'raising is refused');
  assert.match(raised.stderr, /refused.*may only lower/);
  const lowered = await cli(before - 1);
  assert.equal(lowered.code, 0, lowered.stderr);
  assert.match(lowered.stdout, /OfferLimited/);
  assert.equal((await offer()).slots.toNumber(), before - 1);
  // Signed by another key than the provider's executor key: a bad proof.
  const signature = bob.sign(await limitPayload(api, alice.address, 1));
  const call = api.tx.offers.limitOffer(alice.address, 1, u8aToHex(signature)).method;
  await assert.rejects(raw.send('author_submitExtrinsic', [generalTransaction(call)]), /bad signature/i);
});
