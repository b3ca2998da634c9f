// Confidential tasks, the scripts' side (scripts/lib/confidential.mjs): round trips, every
// binding, determinism, seals, and the cross-language vectors of
// primitives/tests/confidential-vectors.json (made by `bourse_primitives::confidential` and
// checked here, and the reverse; the Rust side is `cargo test -p bourse-primitives --test
// confidential`). `BOURSE_WRITE_CONFIDENTIAL_VECTORS=1` rewrites this side's vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfidentialError, decryptInput, decryptOutput, encryptInput, encryptOutput, keyedFingerprint,
  openSecret, OVERHEAD, paddedInputLen, paddedOutputLen, sealSecret, secretHash, taskSecret, TAG_LEN,
} from '../scripts/lib/confidential.mjs';
import { publicKey, replyKeyPair } from '../scripts/lib/reply.mjs';

const MAX = 64 * 1024;
const VECTORS = join(import.meta.dirname, '..', 'primitives', 'tests', 'confidential-vectors.json');
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const unhex = (text) => new Uint8Array(Buffer.from(text, 'hex'));
const filled = (n, byte) => new Uint8Array(n).fill(byte);
const SUCCESS = Uint8Array.of(0);

function contextOf(secret) {
  return { genesis: filled(32, 1), workload: filled(32, 2), requester: filled(32, 3), secretHash: secretHash(secret) };
}
const run = (taskId) => ({ genesis: filled(32, 1), taskId, statusScale: SUCCESS, fuelUsed: 1234, executorVersion: 2 });

test('inputs and outputs round trip, padded, and open only for their tile, task and run', () => {
  const secret = taskSecret();
  const context = contextOf(secret);
  for (const len of [0, 1, 60, 61, 1000, MAX - OVERHEAD]) {
    const input = Uint8Array.from({ length: len }, (_, i) => (i * 31) % 251);
    const ciphertext = encryptInput(secret, context, 5, input, MAX);
    assert.equal(ciphertext.length, paddedInputLen(len, MAX) + TAG_LEN);
    assert.equal(hex(decryptInput(secret, context, 5, ciphertext, MAX)), hex(input));
    const output = encryptOutput(secret, 5, run(9), input, MAX);
    assert.equal(output.length, paddedOutputLen(len, MAX) + TAG_LEN);
    assert.equal(hex(decryptOutput(secret, 5, run(9), output, MAX)), hex(input));
  }
  assert.throws(() => encryptInput(secret, context, 0, filled(MAX - OVERHEAD + 1, 0), MAX), ConfidentialError);
  const input = encryptInput(secret, context, 5, new TextEncoder().encode('the input'), MAX);
  assert.throws(() => decryptInput(secret, context, 6, input, MAX), ConfidentialError);
  assert.throws(() => decryptInput(taskSecret(), context, 5, input, MAX), ConfidentialError);
  assert.throws(() => decryptInput(secret, { ...context, requester: filled(32, 9) }, 5, input, MAX), ConfidentialError);
  const output = encryptOutput(secret, 5, run(9), new TextEncoder().encode('42'), MAX);
  assert.equal(hex(output), hex(encryptOutput(secret, 5, run(9), new TextEncoder().encode('42'), MAX)), 'deterministic');
  assert.throws(() => decryptOutput(secret, 5, run(10), output, MAX), ConfidentialError);
  assert.throws(() => decryptOutput(secret, 5, { ...run(9), fuelUsed: 1 }, output, MAX), ConfidentialError);
  const tampered = output.slice();
  tampered[3] ^= 1;
  assert.throws(() => decryptOutput(secret, 5, run(9), tampered, MAX), ConfidentialError);
});

test('a seal opens only with its key, for its task, to the task\'s secret', async () => {
  const secret = taskSecret();
  const context = contextOf(secret);
  const { secret: providerSecret, replyKey } = replyKeyPair();
  const sealed = await sealSecret(replyKey, context, secret);
  assert.equal(sealed.length, 80);
  assert.equal(hex(await openSecret(providerSecret, context, sealed)), hex(secret));
  await assert.rejects(openSecret(replyKeyPair().secret, context, sealed), ConfidentialError);
  await assert.rejects(openSecret(providerSecret, { ...context, workload: filled(32, 9) }, sealed), ConfidentialError);
  const lying = await sealSecret(replyKey, context, taskSecret());
  await assert.rejects(openSecret(providerSecret, context, lying), /not the task's/);
  const small = filled(32, 0);
  small[0] = 1;
  await assert.rejects(sealSecret(small, context, secret), ConfidentialError);
  const high = replyKey.slice();
  high[31] |= 0x80;
  await assert.rejects(sealSecret(high, context, secret), /not a usable encryption key/);
});

/** One vector of this side: deterministic values, and a seal with fresh randomness. */
async function vector(i) {
  const secret = filled(32, 0xa0 + i);
  const context = { genesis: filled(32, 0xb0 + i), workload: filled(32, 0xc0 + i), requester: filled(32, 0xd0 + i), secretHash: secretHash(secret) };
  const input = [new Uint8Array(0), new TextEncoder().encode('from js\n'), filled(1000, 0x5a)][i];
  const output = [new Uint8Array(0), new TextEncoder().encode('js output\n'), filled(5000, 0xa5)][i];
  const statusScale = [Uint8Array.of(0), Uint8Array.of(6, 9, 0, 0, 0), Uint8Array.of(2)][i];
  const tile = 3 * i;
  const out = { genesis: context.genesis, taskId: 2000 + i, statusScale, fuelUsed: 987654321n * BigInt(i), executorVersion: 2 };
  const providerSecret = filled(32, 0xe0 + i);
  const fingerprint = filled(32, 0xf0 + i);
  return {
    secret: hex(secret), secretHash: hex(context.secretHash), genesis: hex(context.genesis), workload: hex(context.workload),
    requester: hex(context.requester), tile, max: MAX, input: hex(input),
    inputCiphertext: hex(encryptInput(secret, context, tile, input, MAX)),
    taskId: out.taskId, statusScale: hex(statusScale), fuelUsed: out.fuelUsed.toString(), executorVersion: out.executorVersion,
    output: hex(output), outputCiphertext: hex(encryptOutput(secret, tile, out, output, MAX)),
    fingerprint: hex(fingerprint), keyedFingerprint: hex(keyedFingerprint(secret, tile, fingerprint)),
    providerSecret: hex(providerSecret), providerKey: hex(publicKey(providerSecret)),
    sealed: hex(await sealSecret(publicKey(providerSecret), context, secret)),
  };
}

/** Checks a vector of either side by recomputing it and opening its seal. */
async function check(v) {
  const secret = unhex(v.secret);
  const context = { genesis: unhex(v.genesis), workload: unhex(v.workload), requester: unhex(v.requester), secretHash: unhex(v.secretHash) };
  assert.equal(hex(secretHash(secret)), v.secretHash);
  assert.equal(hex(encryptInput(secret, context, v.tile, unhex(v.input), v.max)), v.inputCiphertext);
  assert.equal(hex(decryptInput(secret, context, v.tile, unhex(v.inputCiphertext), v.max)), v.input);
  const out = { genesis: context.genesis, taskId: v.taskId, statusScale: unhex(v.statusScale), fuelUsed: BigInt(v.fuelUsed), executorVersion: v.executorVersion };
  assert.equal(hex(encryptOutput(secret, v.tile, out, unhex(v.output), v.max)), v.outputCiphertext);
  assert.equal(hex(decryptOutput(secret, v.tile, out, unhex(v.outputCiphertext), v.max)), v.output);
  assert.equal(hex(keyedFingerprint(secret, v.tile, unhex(v.fingerprint))), v.keyedFingerprint);
  assert.equal(hex(publicKey(unhex(v.providerSecret))), v.providerKey);
  assert.equal(hex(await openSecret(unhex(v.providerSecret), context, unhex(v.sealed))), v.secret);
}

test('cross-language vectors check, and this side\'s are written by it', async () => {
  const file = JSON.parse(readFileSync(VECTORS, 'utf8'));
  if (process.env.BOURSE_WRITE_CONFIDENTIAL_VECTORS) {
    file.js = [];
    for (const i of [0, 1, 2]) file.js.push(await vector(i));
    writeFileSync(VECTORS, `${JSON.stringify(file, null, 2)}\n`);
  }
  assert.ok(file.rust.length >= 3 && file.js.length >= 3);
  for (const v of [...file.rust, ...file.js]) await check(v);
});
