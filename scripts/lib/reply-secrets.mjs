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

/** The file of the secret of `replyKey` (32 bytes or 0x-hex). */
export function secretFile(replyKey) {
  return join(dataDir(), 'reply-secrets', `${typeof replyKey === 'string' ? replyKey : u8aToHex(replyKey)}.hex`);
}

/**
 * Keeps `secret` (32 bytes) as the secret of `replyKey` in a file of its own, created (never
 * overwritten: a key is one-time), private and flushed to disk before the key is used; returns
 * the file's path.
 */
export function keepReplySecret(replyKey, secret) {
  mkdirSync(join(dataDir(), 'reply-secrets'), { recursive: true, mode: 0o700 });
  const path = secretFile(replyKey);
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
  try {
    return hexToU8a(readFileSync(secretFile(replyKey), 'utf8').trim());
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }
}
