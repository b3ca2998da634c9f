// Where the CLI keeps the secrets of the reply keys it gives its tasks: a JSON file mapping each
// reply key (0x-hex) to its secret, readable by its owner only, in `$BOURSE_DATA_DIR` or
// `~/.local/share/bourse`. Whoever holds a secret reads the outputs sealed to its key: keep the
// file as private as a wallet.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { hexToU8a, u8aToHex } from '@polkadot/util';

/** The directory of the CLI's data. */
export function dataDir() {
  return process.env.BOURSE_DATA_DIR ?? join(homedir(), '.local', 'share', 'bourse');
}

/** The file of the kept secrets. */
export function secretsFile() {
  return join(dataDir(), 'reply-secrets.json');
}

function read() {
  try {
    return JSON.parse(readFileSync(secretsFile(), 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT') return {};
    throw error;
  }
}

/** Keeps `secret` (32 bytes) as the secret of `replyKey`; returns the file's path. */
export function keepReplySecret(replyKey, secret) {
  mkdirSync(dataDir(), { recursive: true, mode: 0o700 });
  const secrets = read();
  secrets[typeof replyKey === 'string' ? replyKey : u8aToHex(replyKey)] = u8aToHex(secret);
  // Written whole to a private file, then moved in place: a crash never leaves half a file.
  const partial = `${secretsFile()}.${process.pid}.partial`;
  writeFileSync(partial, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(partial, 0o600);
  renameSync(partial, secretsFile());
  return secretsFile();
}

/** The kept secret of `replyKey` (32 bytes), or `undefined`. */
export function keptReplySecret(replyKey) {
  const secret = read()[typeof replyKey === 'string' ? replyKey : u8aToHex(replyKey)];
  return secret === undefined ? undefined : hexToU8a(secret);
}
