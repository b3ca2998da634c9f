// Sealed replies, the scripts' side (scripts/lib/reply.mjs): round trips, wrong keys, tasks and
// bytes, small-order keys, and the cross-language vectors of primitives/tests/reply-vectors.json
// (boxes sealed by `bourse_primitives::reply` open here and the reverse; the Rust side checks
// `cargo test -p bourse-primitives --test reply`). `BOURSE_WRITE_REPLY_VECTORS=1` rewrites this
// side's vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { u8aToHex } from '@polkadot/util';
import {
  answerCommitmentOf, auditCoin, auditCoinSecret, auditSeal, executionProof, MIN_PADDED, HEADER_LEN, OVERHEAD, open, paddedLen, publicKey, replyKeyPair, ReplyError, seal,
} from '../scripts/lib/reply.mjs';

const MAX_OUTPUT = 64 * 1024;
const VECTORS = join(import.meta.dirname, '..', 'primitives', 'tests', 'reply-vectors.json');
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const unhex = (text) => new Uint8Array(Buffer.from(text, 'hex'));
const filled = (n, byte) => new Uint8Array(n).fill(byte);

test('boxes open to what was sealed, at every padding edge', async () => {
  const { secret, replyKey } = replyKeyPair();
  const digest = filled(32, 9);
  for (const len of [0, 1, MIN_PADDED - HEADER_LEN, MIN_PADDED - HEADER_LEN + 1, 32_733, MAX_OUTPUT]) {
    const output = Uint8Array.from({ length: len }, (_, i) => (i * 31) % 251);
    const sealed = await seal(replyKey, digest, filled(32, 3), output, MAX_OUTPUT);
    assert.equal(sealed.length, paddedLen(len, MAX_OUTPUT) + OVERHEAD);
    const opened = await open(secret, digest, sealed, MAX_OUTPUT);
    assert.deepEqual([hex(opened.salt), hex(opened.output)], [hex(filled(32, 3)), hex(output)], `length ${len}`);
  }
  await assert.rejects(seal(replyKey, digest, filled(32, 3), filled(MAX_OUTPUT + 1, 0), MAX_OUTPUT), ReplyError);
});

test('a box opens only with its key, for its task, untouched', async () => {
  const { secret, replyKey } = replyKeyPair();
  const digest = filled(32, 9);
  const sealed = await seal(replyKey, digest, filled(32, 3), new TextEncoder().encode('the output'), MAX_OUTPUT);
  await assert.rejects(open(replyKeyPair().secret, digest, sealed, MAX_OUTPUT), ReplyError);
  await assert.rejects(open(secret, filled(32, 10), sealed, MAX_OUTPUT), ReplyError);
  for (const at of [0, 32, sealed.length - 1]) {
    const tampered = sealed.slice();
    tampered[at] ^= 1;
    await assert.rejects(open(secret, digest, tampered, MAX_OUTPUT), ReplyError);
  }
  await assert.rejects(open(secret, digest, sealed.slice(0, -1), MAX_OUTPUT), ReplyError);
});

test('small-order reply keys are refused', async () => {
  const one = filled(32, 0);
  one[0] = 1;
  for (const small of [filled(32, 0), one]) {
    await assert.rejects(seal(small, filled(32, 9), filled(32, 3), new Uint8Array(1), MAX_OUTPUT), ReplyError);
  }
});

test('cross-language vectors open, and this side\'s are written by it', async () => {
  const file = JSON.parse(readFileSync(VECTORS, 'utf8'));
  if (process.env.BOURSE_WRITE_REPLY_VECTORS) {
    file.js = [];
    for (const [i, output] of [new Uint8Array(0), new TextEncoder().encode('hello from js\n'), filled(700, 0xee)].entries()) {
      const { secret, replyKey } = replyKeyPair();
      const digest = filled(32, 50 + i);
      const salt = filled(32, 60 + i);
      const sealed = await seal(replyKey, digest, salt, output, MAX_OUTPUT);
      // The answer's commitment to what the box holds; statuses Success, Exit(7), Trap.
      const answer = {
        taskId: 2_000 + i, provider: hex(filled(32, 0x21 + i)), statusScale: ['00', '0607000000', '02'][i], fuelUsed: String(987_654_321 * i), executorVersion: 2 + i,
      };
      const fingerprint = filled(32, 0x61 + i);
      const proof = executionProof(salt, fingerprint);
      const commitment = answerCommitmentOf({
        ...answer, digest, provider: filled(32, 0x21 + i), statusScale: unhex(answer.statusScale), salt, output, proof,
      });
      file.js.push({
        secret: hex(secret), replyKey: hex(replyKey), taskDigest: hex(digest), salt: hex(salt), output: hex(output), maxOutput: MAX_OUTPUT, sealed: hex(sealed), ...answer, fingerprint: hex(fingerprint), proof: hex(proof), commitment: hex(commitment),
      });
    }
    writeFileSync(VECTORS, `${JSON.stringify(file, null, 2)}\n`);
  }
  assert.ok(file.rust.length > 0 && file.js.length > 0, 'both sides wrote vectors');
  // Boxes every side must refuse, written by the Rust side (a lenient opener here could read what
  // the runtime calls malformed).
  assert.ok(file.refused.length >= 8, 'the refused vectors');
  for (const v of file.refused) {
    await assert.rejects(open(unhex(v.secret), unhex(v.taskDigest), unhex(v.sealed), v.maxOutput), ReplyError, v.why);
  }
  for (const v of [...file.rust, ...file.js]) {
    assert.equal(hex(publicKey(unhex(v.secret))), v.replyKey);
    const opened = await open(unhex(v.secret), unhex(v.taskDigest), unhex(v.sealed), v.maxOutput);
    assert.deepEqual([hex(opened.salt), hex(opened.output)], [v.salt, v.output]);
    // Both sides commit to what the box holds alike.
    const proof = executionProof(opened.salt, unhex(v.fingerprint));
    assert.equal(hex(proof), v.proof, `the proof of vector ${v.taskId}`);
    const commitment = answerCommitmentOf({
      digest: unhex(v.taskDigest), taskId: v.taskId, provider: unhex(v.provider), statusScale: unhex(v.statusScale), fuelUsed: v.fuelUsed, executorVersion: v.executorVersion, salt: opened.salt, output: opened.output, proof,
    });
    assert.equal(hex(commitment), v.commitment, `the commitment of vector ${v.taskId}`);
  }
});

test('the CLI keeps each reply secret in a private file of its own, never overwritten', async () => {
  const { mkdtempSync, statSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { keepReplySecret, keptReplySecret } = await import('../scripts/lib/reply-secrets.mjs');
  const before = process.env.BOURSE_DATA_DIR;
  process.env.BOURSE_DATA_DIR = mkdtempSync(join(tmpdir(), 'bourse-secrets-'));
  try {
    const { secret, replyKey } = replyKeyPair();
    const path = keepReplySecret(replyKey, secret);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(keptReplySecret(replyKey), secret);
    assert.throws(() => keepReplySecret(replyKey, filled(32, 1)), /EEXIST/, 'a one-time key keeps its secret');
    assert.deepEqual(keptReplySecret(replyKey), secret);
    assert.equal(keptReplySecret(replyKeyPair().replyKey), undefined);
  } finally {
    if (before === undefined) delete process.env.BOURSE_DATA_DIR;
    else process.env.BOURSE_DATA_DIR = before;
  }
});

test('the audit coin: the same seal and draw as the chain\'s (pinned in primitives/tests/reply.rs)', () => {
  const secret = new Uint8Array(32).fill(7);
  assert.equal(u8aToHex(auditSeal(secret)), '0x6e9e1d8f85ee2eebeabe9659a9669e795a6bc6d6bda512709e6261601c1702ea');
  assert.equal(auditCoin(secret, 42), 228_164_537);
  assert.equal(auditCoin(secret, 0), 922_796_721);
  // The coin's secret follows from the reply secret, and differs from it.
  assert.notDeepEqual(auditCoinSecret(secret), secret);
  assert.deepEqual(auditCoinSecret(secret), auditCoinSecret(new Uint8Array(32).fill(7)));
});
