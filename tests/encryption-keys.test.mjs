// End to end: a provider's node draws its encryption key in its chain's data directory and
// publishes it (`offers.setEncryptionKey`, feeless, from its offchain worker); a requester's
// client seals a task secret to the published key and only the node's secret opens it;
// `bourse-node rotate-encryption-key` rotates it while the node runs (the old key stays
// usable for the grace period); the account revokes its keys, the revoked key is never
// published again, and a new one is.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { openSecret, sealSecret, secretHash, taskSecret } from '../scripts/lib/confidential.mjs';
import { publicKey } from '../scripts/lib/reply.mjs';
import {
  connectNode, runNodeCommand, runScript, startNode, waitFor,
} from '../scripts/lib/node.mjs';

const CLI = join(import.meta.dirname, '..', 'scripts', 'bourse.mjs');

const hex = (bytes) => `0x${Buffer.from(bytes).toString('hex')}`;

let node;
let api;
let alice;
let basePath;
let keysDir;

before(async () => {
  await cryptoWaitReady();
  basePath = mkdtempSync(join(tmpdir(), 'bourse-keys-'));
  keysDir = join(basePath, 'chains', 'bourse_dev', 'bourse', 'encryption');
  node = await startNode(['--dev', '--base-path', basePath], { name: 'keys' });
  ({ api } = await connectNode(node));
  alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
});

after(async () => {
  try {
    await api?.disconnect();
  } finally {
    await node?.stop();
  }
});

/** Alice's encryption keys on chain (best block), or null. */
async function chainKeys() {
  const keys = await api.query.offers.encryptionKeys(alice.address);
  return keys.isSome ? keys.unwrap() : null;
}

/** The node's key files, newest first: { name, key, secret, mode }. */
function files() {
  return readdirSync(keysDir).filter((name) => !name.startsWith('.')).sort().reverse().map((name) => ({
    name,
    key: `0x${name.split('-')[1]}`,
    secret: new Uint8Array(readFileSync(join(keysDir, name))),
    mode: statSync(join(keysDir, name)).mode & 0o777,
  }));
}

test('the node publishes the key it drew, and only its secret opens a seal to it', async () => {
  const keys = await waitFor('Alice\'s encryption key on chain', chainKeys, { timeoutMs: 90_000 });
  const [file, ...older] = files();
  assert.equal(older.length, 0, 'one key');
  assert.match(file.name, /^0000000001-[0-9a-f]{64}$/);
  assert.equal(file.mode, 0o600, 'readable by the node\'s user alone');
  assert.equal(statSync(keysDir).mode & 0o777, 0o700);
  assert.equal(keys.current.key.toHex(), file.key, 'the chain holds the file\'s key');
  assert.equal(hex(publicKey(file.secret)), file.key, 'the file holds its secret');
  assert.ok(keys.previous.isNone);
  // A requester seals a task secret to the published key; the node's secret opens it.
  const secret = taskSecret();
  const context = {
    genesis: api.genesisHash.toU8a(), workload: new Uint8Array(32).fill(1), requester: alice.publicKey, secretHash: secretHash(secret),
  };
  const sealed = await sealSecret(keys.current.key.toU8a(), context, secret);
  assert.equal(hex(await openSecret(file.secret, context, sealed)), hex(secret));
});

test('a rotation while the node runs is published, the old key usable for the grace period', async () => {
  const before = await waitFor('Alice\'s encryption key on chain', chainKeys, { timeoutMs: 90_000 });
  const printed = runNodeCommand(['rotate-encryption-key', '--dev', '--base-path', basePath]).trim();
  const [newest, oldest] = files();
  assert.equal(printed, newest.key, 'the command prints the new key');
  assert.equal(oldest.key, before.current.key.toHex());
  const keys = await waitFor('the rotation on chain', async () => {
    const now = await chainKeys();
    return now?.current.key.toHex() === newest.key ? now : null;
  }, { timeoutMs: 90_000 });
  const [previous, until] = keys.previous.unwrap();
  assert.equal(previous.key.toHex(), oldest.key, 'the old key stays');
  const grace = api.consts.offers.encryptionKeyGrace.toNumber();
  const now = (await api.rpc.chain.getHeader()).number.toNumber();
  assert.ok(until.toNumber() > now && until.toNumber() <= now + grace, `usable until ${until} (now ${now}, grace ${grace})`);
  assert.ok(keys.current.signedAt.toNumber() > before.current.signedAt.toNumber());
});

test('the account revokes its keys at once; the revoked key never returns, a new one does', async () => {
  const shown = await runScript(CLI, ['provider', alice.address, '--url', node.wsUrl]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /encryption key 0x[0-9a-f]{64} \(signed at block \d+\); the previous 0x[0-9a-f]{64} usable until block \d+/);
  const revoked = await runScript(CLI, ['provider', 'revoke-keys', '--url', node.wsUrl, '--suri', '//Alice']);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /EncryptionKeysRevoked/);
  assert.equal(await chainKeys(), null, 'both keys gone at once');
  // The node's newest key is the revoked one: it says so and publishes nothing.
  await waitFor('the node\'s warning', () => readFileSync(node.logFile, 'utf8').includes('had this node\'s newest encryption key revoked'), { timeoutMs: 60_000 });
  assert.equal(await chainKeys(), null);
  // A new key: published at the next block, nothing previous.
  const fresh = runNodeCommand(['rotate-encryption-key', '--dev', '--base-path', basePath]).trim();
  const keys = await waitFor('the new key on chain', async () => {
    const now = await chainKeys();
    return now?.current.key.toHex() === fresh ? now : null;
  }, { timeoutMs: 90_000 });
  assert.ok(keys.previous.isNone, 'nothing previous after a revocation');
  assert.equal(files().length, 3, 'every key kept on disk');
  // `--dev` alone names a fresh temporary directory: refused.
  assert.throws(() => runNodeCommand(['rotate-encryption-key', '--dev']), /base-path/);
});
