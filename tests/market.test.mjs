// End to end on the real `bourse-node --dev`: Bob uploads the sha256 workload and submits a task;
// the chain assigns it to Alice (the dev chain's provider); an answer signed by Alice's executor
// key arrives as an authorized general transaction (no signer, no nonce, no fee) and the task
// settles: Alice is paid for the fuel used at her price, Bob gets the rest of the escrow back.
// (Until the offchain worker executes tasks, this test answers in Alice's place.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { bnToU8a, compactAddLength, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { connect, sendAndWait, startNode, waitFor } from '../scripts/lib/node.mjs';

const workloadsDir = process.env.BOURSE_WORKLOADS_DIR
  ?? join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/bourse-target'), 'wasm32-wasip1/release');

let node;
let api;
let alice;
let bob;
let workload;
// A raw JSON-RPC connection: @polkadot/api 16.5 re-encodes general transactions wrongly, so they
// are sent as bytes.
let raw;

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  alice = keyring.addFromUri('//Alice');
  bob = keyring.addFromUri('//Bob');
  node = await startNode(['--dev', '--tmp'], { name: 'market' });
  api = await connect(node);
  raw = new WsProvider(node.wsUrl);
  await raw.isReady;
  const code = readFileSync(join(workloadsDir, 'sha256.wasm'));
  workload = blake2AsU8a(code, 256);
  const { events } = await sendAndWait(api.tx.tasks.uploadWorkload(u8aToHex(code)), bob);
  assert.ok(events.some(({ event }) => api.events.tasks.WorkloadUploaded.is(event)));
});

after(async () => {
  try {
    await raw?.disconnect();
    await api?.disconnect();
  } finally {
    await node?.stop();
  }
});

/** Bob submits a task of replication 1; resolves with its id, escrow and assigned providers. */
async function submitTask(maxPrice) {
  const input = u8aToHex(stringToU8a('hello bourse'));
  const tx = api.tx.tasks.submitTask(u8aToHex(workload), input, 1_000_000_000n, 64, maxPrice, 1, 0, 10, true);
  const { events } = await sendAndWait(tx, bob);
  const submitted = events.find(({ event }) => api.events.tasks.TaskSubmitted.is(event)).event.data;
  const assigned = events.find(({ event }) => api.events.tasks.TaskAssigned.is(event));
  assert.ok(assigned, 'TaskAssigned in the block of TaskSubmitted');
  return {
    taskId: submitted.taskId.toBigInt(),
    escrow: submitted.escrow.toBigInt(),
    providers: assigned.event.data.providers.map((p) => p.toString()),
  };
}

/** The bytes an executor key signs for an answer (see `pallet_attestation::answer_payload`). */
function answerPayload(taskId, provider, output, fuelUsed) {
  return u8aConcat(
    compactAddLength(stringToU8a('bourse/answer')),
    bnToU8a(taskId, { bitLength: 64 }),
    provider.publicKey,
    new Uint8Array([0]), // Status::Success
    blake2AsU8a(output, 256),
    bnToU8a(fuelUsed, { bitLength: 64 }),
    bnToU8a(1, { bitLength: 32 }), // executor version
  );
}

/**
 * A general (version 5, unsigned) transaction carrying `call`: the transaction extensions'
 * explicit parts are an immortal era, nonce 0 and tip 0; `AuthorizeCall` authorizes it.
 */
function generalTransaction(call) {
  return u8aToHex(compactAddLength(u8aConcat(
    new Uint8Array([0x45, 0x00]), // version 5, general; extension version 0
    new Uint8Array([0x00, 0x00, 0x00]), // era: immortal, nonce: 0, tip: 0
    call.toU8a(),
  )));
}

function answerCall(taskId, provider, signer, output, fuelUsed) {
  const signature = signer.sign(answerPayload(taskId, provider, output, fuelUsed));
  return api.tx.attestation.answer(taskId, provider.address, 'Success', u8aToHex(output), fuelUsed, 1, u8aToHex(signature)).method;
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

const free = async (who) => (await api.query.system.account(who.address)).data.free.toBigInt();

test('a task settles from an authorized, feeless answer: Alice paid for fuel used, Bob refunded the rest', async () => {
  const offer = (await api.query.offers.offers(alice.address)).unwrap();
  const price = offer.pricePerMfuel.toBigInt();
  const { taskId, escrow, providers } = await submitTask(2n * price);
  assert.deepEqual(providers, [alice.address], 'the only provider takes it (never Bob, the requester)');

  const [aliceBefore, bobBefore] = [await free(alice), await free(bob)];
  const output = stringToU8a('a result');
  const fuelUsed = 123_456_789n;
  const completed = waitForEvent('TaskCompleted', (e) => api.events.tasks.TaskCompleted.is(e) && e.data.taskId.toBigInt() === taskId);
  const hash = await raw.send('author_submitExtrinsic', [generalTransaction(answerCall(taskId, alice, alice, output, fuelUsed))]);
  assert.match(hash, /^0x[0-9a-f]{64}$/);
  const event = await completed;

  const payment = (fuelUsed * price + 999_999n) / 1_000_000n;
  const baseFee = api.consts.tasks.baseFee.toBigInt();
  assert.equal(event.data.cost.toBigInt(), payment);
  assert.equal(event.data.fuelUsed.toBigInt(), fuelUsed);
  assert.equal(await free(alice) - aliceBefore, payment, 'Alice gains exactly the payment: the answer cost her no fee');
  assert.equal(await free(bob) - bobBefore, escrow - payment - baseFee, 'Bob gets back the escrow minus payment and base fee');
  const holds = await api.query.balances.holds(bob.address);
  assert.ok(!holds.some((h) => h.id.isTasks && h.id.asTasks.isTaskEscrow), 'no escrow left on hold');
  assert.equal(u8aToHex((await api.query.tasks.outputs(taskId)).unwrap()), u8aToHex(output));
  assert.ok((await api.query.tasks.tasks(taskId)).unwrap().state.isCompleted);
});

test('the pool refuses an answer not signed by the assigned executor key', async () => {
  const price = (await api.query.offers.offers(alice.address)).unwrap().pricePerMfuel.toBigInt();
  const { taskId } = await submitTask(price);
  const forged = generalTransaction(answerCall(taskId, alice, bob, stringToU8a('forged'), 1n));
  await assert.rejects(raw.send('author_submitExtrinsic', [forged]), (error) => {
    assert.match(error.message, /1010.*bad signature/i, 'refused in the pool as a bad proof');
    return true;
  });
  assert.ok((await api.query.tasks.tasks(taskId)).unwrap().state.isAssigned, 'the task is still waiting for its answer');
});
