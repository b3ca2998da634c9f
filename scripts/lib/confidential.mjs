// Confidential tasks, the scripts' side of `bourse_primitives::confidential`: a task secret `s`,
// keys derived from it with HKDF-SHA256 (`@noble/hashes`), inputs and outputs under
// AES-256-GCM-SIV with the all-zero nonce (`@noble/ciphers`), the secret sealed to providers'
// encryption keys with HPKE (`@hpke/core`, the suite of reply.mjs), and the keyed fingerprint.
// Vectors in `primitives/tests/confidential-vectors.json` are checked by both sides.
import { gcmsiv } from '@noble/ciphers/aes';
import { randomBytes } from '@noble/ciphers/webcrypto';
import { hkdf } from '@noble/hashes/hkdf';
import { sha256 } from '@noble/hashes/sha2';
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import {
  bnToU8a, compactAddLength, stringToU8a, u8aConcat,
} from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';
import { HEADER_LEN as REPLY_HEADER_LEN, MIN_PADDED as REPLY_MIN_PADDED, isUsableKey } from './reply.mjs';

export const SEALED_SECRET_LEN = 32 + 32 + 16;
export const LENGTH_LEN = 4;
export const TAG_LEN = 16;
export const OVERHEAD = LENGTH_LEN + TAG_LEN;
export const MIN_PADDED_INPUT = 64;

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
const NONCE = new Uint8Array(12);
const scaleBytes = (text) => compactAddLength(stringToU8a(text));
const le = (value, bitLength) => bnToU8a(unsigned(value, bitLength, 'a number'), { bitLength, isLe: true });
const blake2 = (bytes) => blake2AsU8a(bytes, 256);

/** Thrown when a confidential value cannot be made or opened. */
export class ConfidentialError extends Error {}

/** `value` as a safe non-negative integer (a Number, BigInt, string or @polkadot/api Codec). */
function count(value, what) {
  const number = typeof value === 'object' && value !== null && 'toNumber' in value ? value.toNumber() : Number(value);
  if (!Number.isSafeInteger(number) || number < 0) throw new ConfidentialError(`${what} is not a count: ${value}`);
  return number;
}

/** `value` as a BigInt in [0, 2^bits) (a Number, BigInt, string or Codec). */
function unsigned(value, bits, what) {
  const big = typeof value === 'object' && value !== null && 'toBigInt' in value ? value.toBigInt() : BigInt(value);
  if (big < 0n || big >= 1n << BigInt(bits)) throw new ConfidentialError(`${what} is not a u${bits}: ${value}`);
  return big;
}

/** A fresh task secret (32 bytes). */
export function taskSecret() {
  return randomBytes(32);
}

/** The hash of a task secret the chain stores (`confidential::secret_hash`). */
export function secretHash(secret) {
  return blake2(u8aConcat(scaleBytes('bourse/task-secret'), secret));
}

function derive(secret, label, tile) {
  return hkdf(sha256, secret, undefined, u8aConcat(stringToU8a(label), le(tile, 32)), 32);
}

/** Tile `tile`'s input key. */
export const inputKey = (secret, tile) => derive(secret, 'bourse/input', tile);
/** Tile `tile`'s output key. */
export const outputKey = (secret, tile) => derive(secret, 'bourse/output', tile);
/** Tile `tile`'s fingerprint key. */
export const fingerprintKey = (secret, tile) => derive(secret, 'bourse/fingerprint', tile);

function bucket(exact, least, most) {
  let size = 1;
  while (size < exact) size *= 2;
  return Math.max(exact, Math.min(Math.max(size, Math.min(least, most)), most));
}

/** The padded plaintext's length of an input of `inputLen` bytes. */
export function paddedInputLen(inputLen, maxCiphertext) {
  maxCiphertext = count(maxCiphertext, 'the bound');
  return bucket(LENGTH_LEN + inputLen, MIN_PADDED_INPUT, maxCiphertext - TAG_LEN);
}

/** The padded plaintext's length of an output of `outputLen` bytes (see the Rust side). */
export function paddedOutputLen(outputLen, maxCiphertext) {
  maxCiphertext = count(maxCiphertext, 'the bound');
  const around = TAG_LEN + REPLY_HEADER_LEN;
  return bucket(LENGTH_LEN + outputLen + around, REPLY_MIN_PADDED, maxCiphertext + REPLY_HEADER_LEN) - around;
}

function pad(bytes, padded) {
  const plaintext = new Uint8Array(padded);
  new DataView(plaintext.buffer).setUint32(0, bytes.length, true);
  plaintext.set(bytes, LENGTH_LEN);
  return plaintext;
}

function unpad(plaintext, max, paddedLen) {
  if (plaintext.length < LENGTH_LEN) throw new ConfidentialError('no length');
  const length = new DataView(plaintext.buffer, plaintext.byteOffset).getUint32(0, true);
  if (length > max || plaintext.length !== paddedLen(length)) throw new ConfidentialError('wrong length or padded size');
  if (plaintext.subarray(LENGTH_LEN + length).some((byte) => byte !== 0)) throw new ConfidentialError('padding not zero');
  return plaintext.slice(LENGTH_LEN, LENGTH_LEN + length);
}

/**
 * The associated data of tile `tile`'s input: `context` is
 * `{ genesis, workload, requester, secretHash }` (32 bytes each; the requester's account id).
 */
export function inputAad(context, tile) {
  return u8aConcat(scaleBytes('bourse/input'), context.genesis, context.workload, context.requester, context.secretHash, le(tile, 32));
}

/** Encrypts tile `tile`'s `input` into at most `maxCiphertext` bytes. */
export function encryptInput(secret, context, tile, input, maxCiphertext) {
  maxCiphertext = count(maxCiphertext, 'the bound');
  if (maxCiphertext < OVERHEAD || input.length > maxCiphertext - OVERHEAD) throw new ConfidentialError('input above the largest');
  const plaintext = pad(input, paddedInputLen(input.length, maxCiphertext));
  return gcmsiv(inputKey(secret, tile), NONCE, inputAad(context, tile)).encrypt(plaintext);
}

/** Decrypts what `encryptInput` made; strict. */
export function decryptInput(secret, context, tile, ciphertext, maxCiphertext) {
  maxCiphertext = count(maxCiphertext, 'the bound');
  if (ciphertext.length > maxCiphertext) throw new ConfidentialError('ciphertext above the largest');
  let plaintext;
  try {
    plaintext = gcmsiv(inputKey(secret, tile), NONCE, inputAad(context, tile)).decrypt(ciphertext);
  } catch (error) {
    throw new ConfidentialError(`the input does not authenticate: ${error.message}`);
  }
  return unpad(plaintext, maxCiphertext - OVERHEAD, (len) => paddedInputLen(len, maxCiphertext));
}

/**
 * The associated data of an output: `context` is
 * `{ genesis, taskId, statusScale, fuelUsed, executorVersion }` (`statusScale`: the SCALE bytes
 * of the run's status).
 */
export function outputAad(context) {
  return u8aConcat(
    scaleBytes('bourse/output'), context.genesis, le(context.taskId, 64), context.statusScale,
    le(context.fuelUsed, 64), le(context.executorVersion, 32),
  );
}

/** Encrypts tile `tile`'s `output` of the run `context`; deterministic. */
export function encryptOutput(secret, tile, context, output, maxCiphertext) {
  maxCiphertext = count(maxCiphertext, 'the bound');
  if (maxCiphertext < OVERHEAD || output.length > maxCiphertext - OVERHEAD) throw new ConfidentialError('output above the largest');
  const plaintext = pad(output, paddedOutputLen(output.length, maxCiphertext));
  return gcmsiv(outputKey(secret, tile), NONCE, outputAad(context)).encrypt(plaintext);
}

/** Decrypts what `encryptOutput` made; strict. */
export function decryptOutput(secret, tile, context, ciphertext, maxCiphertext) {
  maxCiphertext = count(maxCiphertext, 'the bound');
  if (ciphertext.length > maxCiphertext) throw new ConfidentialError('ciphertext above the largest');
  let plaintext;
  try {
    plaintext = gcmsiv(outputKey(secret, tile), NONCE, outputAad(context)).decrypt(ciphertext);
  } catch (error) {
    throw new ConfidentialError(`the output does not authenticate: ${error.message}`);
  }
  return unpad(plaintext, maxCiphertext - OVERHEAD, (len) => paddedOutputLen(len, maxCiphertext));
}

/** The keyed fingerprint of a run's public `fingerprint` (32 bytes). */
export function keyedFingerprint(secret, tile, fingerprint) {
  return blake2(u8aConcat(scaleBytes('bourse/fingerprint'), fingerprintKey(secret, tile), fingerprint));
}

/** HPKE's `info` for the seals of the task of `context`. */
export function sealInfo(context) {
  return u8aConcat(scaleBytes('bourse/task-secret-seal'), context.genesis, context.workload, context.requester, context.secretHash);
}

/** Seals `secret` to a provider's encryption key `key` for the task of `context` (80 bytes). */
export async function sealSecret(key, context, secret) {
  if (!isUsableKey(key)) throw new ConfidentialError('not a usable encryption key (small order or not canonical)');
  let recipientPublicKey;
  try {
    recipientPublicKey = await suite.kem.deserializePublicKey(key);
    const { ct, enc } = await suite.seal({ recipientPublicKey, info: sealInfo(context) }, secret);
    return u8aConcat(new Uint8Array(enc), new Uint8Array(ct));
  } catch (error) {
    throw new ConfidentialError(`cannot seal to this key: ${error.message}`);
  }
}

/** Opens a sealed secret with an encryption key's secret half; checks its hash. */
export async function openSecret(keySecret, context, sealed) {
  if (sealed.length !== SEALED_SECRET_LEN) throw new ConfidentialError('not a sealed secret (its length)');
  let secret;
  try {
    const recipientKey = await suite.kem.deserializePrivateKey(keySecret);
    secret = new Uint8Array(await suite.open({ recipientKey, enc: sealed.slice(0, 32), info: sealInfo(context) }, sealed.slice(32)));
  } catch (error) {
    throw new ConfidentialError(`the seal does not open with this key for this task: ${error.message}`);
  }
  if (!secretHash(secret).every((byte, i) => byte === context.secretHash[i])) throw new ConfidentialError('the secret is not the task\'s');
  return secret;
}
