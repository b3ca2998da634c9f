// Outputs sealed to a requester's reply key, the scripts' side of `bourse_primitives::reply`:
// HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305 from
// `@hpke/core`; the plaintext is `salt ‖ output length (u32 LE) ‖ output ‖ zero padding` to a
// power of two (at least 256 bytes, at most the largest output's), opened strictly. Vectors in
// `primitives/tests/reply-vectors.json` are checked by both sides.
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import { x25519 } from '@noble/curves/ed25519';
import {
  bnToU8a, compactAddLength, stringToU8a, u8aConcat,
} from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';

export const REPLY_CONTEXT = new TextEncoder().encode('bourse/reply');
export const SALT_LEN = 32;
export const HEADER_LEN = SALT_LEN + 4;
export const OVERHEAD = 32 + 16;
export const MIN_PADDED = 256;

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });

/** Thrown when a box does not open to a well-formed reply (or a key is not usable). */
export class ReplyError extends Error {}

/** HPKE's `info` for the replies of the task of `taskDigest` (32 bytes). */
export function info(taskDigest) {
  return concat(REPLY_CONTEXT, taskDigest);
}

/** The padded plaintext's length for an output of `outputLen` bytes. */
export function paddedLen(outputLen, maxOutput) {
  const exact = HEADER_LEN + outputLen;
  const most = HEADER_LEN + maxOutput;
  let bucket = 1;
  while (bucket < exact) bucket *= 2;
  return Math.max(exact, Math.min(Math.max(bucket, Math.min(MIN_PADDED, most)), most));
}

/** The X25519 keys of small order (libsodium's list; `reply::SMALL_ORDER_KEYS`). */
const SMALL_ORDER_KEYS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

/**
 * Whether `key` (32 bytes) may be sealed to, as `reply::is_usable_key` decides: the canonical
 * encoding of its point (top bit clear, below 2^255 - 19) and not of small order.
 */
export function isUsableKey(key) {
  if (key.length !== 32 || (key[31] & 0x80) !== 0) return false;
  if (key[0] >= 0xed && key.subarray(1, 31).every((b) => b === 0xff) && key[31] === 0x7f) return false;
  return !SMALL_ORDER_KEYS.includes(Buffer.from(key).toString('hex'));
}

/** A fresh reply key pair: `{ secret, replyKey }`, 32 bytes each. */
export function replyKeyPair() {
  const secret = x25519.utils.randomPrivateKey();
  return { secret, replyKey: x25519.getPublicKey(secret) };
}

/** The reply key of `secret` (RFC 7748: clamped). */
export function publicKey(secret) {
  return x25519.getPublicKey(secret);
}

/** Seals `salt ‖ len ‖ output ‖ padding` to `replyKey` for the task of `taskDigest`. */
export async function seal(replyKey, taskDigest, salt, output, maxOutput) {
  if (output.length > maxOutput) throw new ReplyError('output above the largest output');
  const plaintext = new Uint8Array(paddedLen(output.length, maxOutput));
  plaintext.set(salt, 0);
  new DataView(plaintext.buffer).setUint32(SALT_LEN, output.length, true);
  plaintext.set(output, HEADER_LEN);
  let recipientPublicKey;
  try {
    recipientPublicKey = await suite.kem.deserializePublicKey(replyKey);
  } catch (error) {
    throw new ReplyError(`not a reply key: ${error.message}`);
  }
  try {
    const { ct, enc } = await suite.seal({ recipientPublicKey, info: info(taskDigest) }, plaintext);
    return concat(new Uint8Array(enc), new Uint8Array(ct));
  } catch (error) {
    throw new ReplyError(`cannot seal to this key: ${error.message}`);
  }
}

/** Opens `sealed` with the reply key's `secret`; resolves with `{ salt, output }`. Strict. */
export async function open(secret, taskDigest, sealed, maxOutput) {
  if (sealed.length < OVERHEAD || sealed.length > HEADER_LEN + maxOutput + OVERHEAD) throw new ReplyError('not a reply box (its length)');
  let plaintext;
  try {
    const recipientKey = await suite.kem.deserializePrivateKey(secret);
    plaintext = new Uint8Array(await suite.open({ recipientKey, enc: sealed.slice(0, 32), info: info(taskDigest) }, sealed.slice(32)));
  } catch (error) {
    throw new ReplyError(`the box does not open with this key for this task: ${error.message}`);
  }
  if (plaintext.length < HEADER_LEN) throw new ReplyError('the box holds no reply header');
  const length = new DataView(plaintext.buffer, plaintext.byteOffset).getUint32(SALT_LEN, true);
  if (length > maxOutput || plaintext.length !== paddedLen(length, maxOutput)) throw new ReplyError('the reply\'s length or padded size is wrong');
  const padding = plaintext.subarray(HEADER_LEN + length);
  if (padding.some((byte) => byte !== 0)) throw new ReplyError('the reply\'s padding is not zero');
  return { salt: plaintext.slice(0, SALT_LEN), output: plaintext.slice(HEADER_LEN, HEADER_LEN + length) };
}

/**
 * The commitment of a lone answer, as `bourse_primitives::reply::answer_commitment` makes it:
 * bound to the task's `digest` (32 bytes), `taskId` and `provider` (its 32-byte account id),
 * with a run half (the SCALE encoding of its status `statusScale`, fuel used, executor
 * version) and an output half (blake2-256 of `output`), each under its own salt derived from the
 * boxed `salt`, and the answer's `proof` of execution (`executionProof`). (`answerCommitment` in chain.mjs takes the chain's types instead of bytes.)
 */
export function answerCommitmentOf({
  digest, taskId, provider, statusScale, fuelUsed, executorVersion, salt, output, proof,
}) {
  const blake2 = (bytes) => blake2AsU8a(bytes, 256);
  const le = (value, bitLength) => bnToU8a(BigInt(value), { bitLength, isLe: true });
  const runSalt = blake2(u8aConcat(stringToU8a('bourse/salt/run'), salt));
  const outputSalt = blake2(u8aConcat(stringToU8a('bourse/salt/output'), salt));
  const run = blake2(u8aConcat(runSalt, statusScale, le(fuelUsed, 64), le(executorVersion, 32)));
  const outputHalf = blake2(u8aConcat(outputSalt, blake2(output)));
  return blake2(u8aConcat(compactAddLength(stringToU8a('bourse/sealed-answer')), digest, le(taskId, 64), provider, run, outputHalf, proof));
}

/**
 * A lone answer's proof of execution, as `bourse_primitives::reply::execution_proof` makes it:
 * the run's `fingerprint` (32 bytes: what only running the module gives) under a salt derived
 * from the boxed `salt`.
 */
export function executionProof(salt, fingerprint) {
  const proofSalt = blake2AsU8a(u8aConcat(stringToU8a('bourse/salt/proof'), salt), 256);
  return blake2AsU8a(u8aConcat(proofSalt, fingerprint), 256);
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * The secret of a lone task's audit coin, derived from its reply key's `replySecret` (so a client
 * that keeps the one keeps the other): blake2-256 of `bourse/audit-coin-secret` and the secret.
 * Shown with `tasks.showAuditCoin` only once the answer is final on chain.
 */
export function auditCoinSecret(replySecret) {
  return blake2AsU8a(u8aConcat(stringToU8a('bourse/audit-coin-secret'), replySecret), 256);
}

/** The seal of an audit coin's `secret` given at submission (`reply::audit_seal`). */
export function auditSeal(secret) {
  return blake2AsU8a(u8aConcat(compactAddLength(stringToU8a('bourse/audit-seal')), secret), 256);
}

/**
 * Task `taskId`'s audit coin with `secret`, in parts per billion (`reply::audit_coin`): the
 * answer is audited when it is below the task's audit rate.
 */
export function auditCoin(secret, taskId) {
  const hash = blake2AsU8a(u8aConcat(
    compactAddLength(stringToU8a('bourse/audit-coin')),
    secret,
    bnToU8a(BigInt(taskId), { bitLength: 64, isLe: true }),
  ), 256);
  const draw = BigInt(new DataView(hash.buffer, hash.byteOffset, 4).getUint32(0, true));
  return Number((draw * 1_000_000_000n) >> 32n);
}
