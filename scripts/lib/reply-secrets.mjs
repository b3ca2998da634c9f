// Where the CLI keeps the secrets of the reply keys it gives its tasks: one file per key,
// `reply-secrets/<key>.hex` (0x-hex), readable by its owner only, in `$BOURSE_DATA_DIR` or
// `~/.local/share/bourse`. Whoever holds a secret reads the outputs sealed to its key: keep the
// directory as private as a wallet.
import {
  closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { hexToU8a, u8aToHex } from '@polkadot/util';

/** The directory of the CLI's data. */
export function dataDir() {
  return process.env.BOURSE_DATA_DIR || join(homedir(), '.local', 'share', 'bourse');
}

/** The file of the secret of `replyKey` (32 bytes or 0x-hex), in `kind`'s directory. */
export function secretFile(replyKey, kind = 'reply-secrets') {
  return join(dataDir(), kind, `${typeof replyKey === 'string' ? replyKey : u8aToHex(replyKey)}.hex`);
}

/**
 * Keeps `secret` (32 bytes) as the secret of `replyKey` in a file of its own, created (never
 * overwritten: a key is one-time), private and flushed to disk before the key is used; returns
 * the file's path.
 */
export function keepReplySecret(replyKey, secret) {
  return keep(replyKey, secret, 'reply-secrets');
}

/**
 * Keeps a confidential task's secret (32 bytes), by the task's reply key, as `keepReplySecret`
 * keeps a reply secret (in `task-secrets/`): apart from it, since a bad-delivery claim shows
 * the reply secret, never the task's.
 */
export function keepTaskSecret(replyKey, secret) {
  return keep(replyKey, secret, 'task-secrets');
}

/** The kept task secret of the confidential task of `replyKey`, or `undefined`. */
export function keptTaskSecret(replyKey) {
  return kept(replyKey, 'task-secrets');
}

function keep(replyKey, secret, kind) {
  mkdirSync(join(dataDir(), kind), { recursive: true, mode: 0o700 });
  const path = secretFile(replyKey, kind);
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, `${u8aToHex(secret)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** The kept secret of `replyKey` (32 bytes), or `undefined`. */
export function keptReplySecret(replyKey) {
  return kept(replyKey, 'reply-secrets');
}

function kept(replyKey, kind) {
  try {
    return hexToU8a(readFileSync(secretFile(replyKey, kind), 'utf8').trim());
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }
}
