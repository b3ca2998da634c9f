// What the command line, the demos and the tests share: connecting, sending, the market's
// calls, amounts, errors.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { stringToU8a, u8aEq, u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import { bourseRpc } from './rpc.mjs';
import {
  answerCommitmentOf, auditCoinSecret, auditSeal, open, ReplyError, replyKeyPair,
} from './reply.mjs';
import {
  ConfidentialError, decryptOutput, encryptInput, sealSecret, secretHash, taskSecret,
} from './confidential.mjs';

/** A failure to report in one line, without a stack trace. */
export class UserError extends Error {}

export const UNIT = 10n ** 12n;

/** An amount in plancks from `123` or `1.5BRS`. */
export function parseAmount(text, what) {
  const match = /^(\d+)(?:\.(\d{1,12}))?\s*(BRS)?$/i.exec(String(text).trim());
  if (!match || (match[2] && !match[3])) throw new UserError(`${what}: expected plancks (an integer) or an amount in BRS like 0.5BRS, got '${text}'`);
  if (!match[3]) return BigInt(match[1]);
  return BigInt(match[1]) * UNIT + BigInt((match[2] ?? '').padEnd(12, '0'));
}

export function formatAmount(plancks) {
  const value = BigInt(plancks);
  const whole = value / UNIT;
  const fraction = (value % UNIT).toString().padStart(12, '0').replace(/0+$/, '');
  return `${whole}${fraction ? `.${fraction}` : ''} BRS`;
}

/**
 * Connects to the node at `url` within `timeoutMs`; resolves with { api, provider }: the API
 * (`api.bourse(method, params)` reads a bourse_* method as plain JSON) and its WebSocket
 * provider, for raw JSON-RPC calls (`provider.send`, e.g. `author_submitExtrinsic`).
 */
export async function connectWithProvider(url, { timeoutMs = 10_000 } = {}) {
  const provider = new WsProvider(url, false);
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new UserError(`cannot reach a Bourse node at ${url}`)), timeoutMs);
  });
  try {
    await Promise.race([provider.connect(), timeout]);
    const api = await Promise.race([ApiPromise.create({ provider, rpc: bourseRpc, noInitWarn: true, throwOnConnect: true }), timeout]);
    // bourse_* answers as plain JSON (see scripts/lib/rpc.mjs).
    api.bourse = async (method, params = []) => {
      try {
        return await provider.send(`bourse_${method}`, params);
      } catch (error) {
        throw new UserError(`bourse_${method}: ${error.message.replace(/^-?\d+: /, '')}`);
      }
    };
    return { api, provider };
  } catch (error) {
    await provider.disconnect().catch(() => {});
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot reach a Bourse node at ${url}: ${error.message}`);
  } finally {
    clearTimeout(timer); // a pending timer would keep a test's process alive
  }
}

/** Connects to the node at `url`; resolves with the API (see `connectWithProvider`). */
export async function connect(url, options) {
  return (await connectWithProvider(url, options)).api;
}

/** The chain's words for a dispatch error: `Pallet.Error: its docs`. */
export function explain(api, dispatchError) {
  if (dispatchError.isModule) {
    const { section, name, docs } = api.registry.findMetaError(dispatchError.asModule);
    return `${section}.${name}: ${docs.join(' ').trim()}`;
  }
  if (dispatchError.isToken) return `token error: ${dispatchError.asToken.type}`;
  return dispatchError.toString();
}

/**
 * Sends `tx` signed by `signer`; resolves with { blockHash, events } once it is in a block, or
 * with `finalized` once its block is finalized (its events can no longer be reorganized away).
 * `nonce` -1 asks the node for the next one; give explicit nonces to send several at once.
 * Other `options` are signing options. Rejects with a UserError naming `what` on a dispatch
 * error, an invalid or dropped transaction, or after `timeoutMs`.
 */
export function send(api, tx, signer, what, { finalized = false, timeoutMs = 60_000, nonce = -1, ...signing } = {}) {
  const late = `${what}: not ${finalized ? 'finalized' : 'in a block'} after ${timeoutMs / 1000} s`;
  let includedAt; // the height of the first block seen to include it
  return subscription(timeoutMs, late, ({ resolve, reject }) => tx
    // -1, not undefined: @polkadot/api then asks the node (`AccountNonceApi`) instead of a cached
    // subscription, which may not have seen the block of the sender's previous transaction yet.
    .signAndSend(signer, { ...signing, nonce }, ({ status, events, dispatchError }) => {
      if (dispatchError) reject(new UserError(`${what} failed: ${explain(api, dispatchError)}`));
      else if (status.isInBlock && !finalized) resolve({ blockHash: status.asInBlock, events });
      else if (status.isInBlock) {
        api.rpc.chain.getHeader(status.asInBlock).then((h) => { includedAt ??= h.number.toNumber(); }, () => {});
      } else if (status.isFinalized) resolve({ blockHash: status.asFinalized, events });
      else if ((status.isInvalid || status.isDropped || status.isUsurped) && includedAt !== undefined) {
        // Included in a block a reorg retracted, and in the new best chain too: the pool, now
        // seeing its nonce used, may call it invalid. Look for it on the finalized chain.
        findFinalized(api, tx.hash.toHex(), includedAt).then(({ blockHash, events: found }) => {
          const failed = found.find(({ event }) => api.events.system.ExtrinsicFailed.is(event));
          if (failed) reject(new UserError(`${what} failed: ${explain(api, failed.event.data.dispatchError)}`));
          else resolve({ blockHash, events: found });
        }, () => reject(new UserError(`${what}: transaction ${status.type}`)));
      } else if (status.isInvalid || status.isDropped || status.isUsurped) reject(new UserError(`${what}: transaction ${status.type}`));
    })
    .catch((error) => { throw new UserError(`${what} refused: ${error.message}`); }));
}

/**
 * The finalized block from height `from` on (within 20 blocks, waiting for finality up to a
 * minute) that includes the extrinsic of hash `txHash`, with that extrinsic's events; rejects
 * if none does.
 */
async function findFinalized(api, txHash, from) {
  const deadline = Date.now() + 60_000;
  for (let n = from; n < from + 20 && Date.now() < deadline;) {
    const finalized = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
    if (finalized < n) {
      await new Promise((r) => { setTimeout(r, 1_000); });
      continue;
    }
    const blockHash = await api.rpc.chain.getBlockHash(n);
    const { block } = await api.rpc.chain.getBlock(blockHash);
    const index = block.extrinsics.findIndex((xt) => xt.hash.toHex() === txHash);
    if (index >= 0) {
      const events = (await api.query.system.events.at(blockHash))
        .filter(({ phase }) => phase.isApplyExtrinsic && phase.asApplyExtrinsic.toNumber() === index);
      return { blockHash, events };
    }
    n += 1;
  }
  throw new Error(`${txHash} is not on the finalized chain`);
}

/**
 * A promise over a subscription: `start({ resolve, reject })` subscribes and resolves with its
 * unsubscribe function. The promise settles once (later calls are ignored), then unsubscribes
 * (also when the subscription only becomes known after settling); it rejects with a UserError
 * saying `late` after `timeoutMs`, or with the error of `start`.
 */
function subscription(timeoutMs, late, start) {
  return new Promise((resolvePromise, rejectPromise) => {
    let unsub;
    let done = false;
    const finish = (settle, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsub?.();
      settle(value);
    };
    const timer = setTimeout(() => finish(rejectPromise, new UserError(late)), timeoutMs);
    start({ resolve: (value) => finish(resolvePromise, value), reject: (error) => finish(rejectPromise, error) }).then(
      (u) => { unsub = u; if (done) u(); },
      (error) => finish(rejectPromise, error),
    );
  });
}

/**
 * Reads the best chain's blocks (with `finalized`, the finalized ones) from block `from` on, each
 * once and in order, as they come: `visit(number, hash, events)` returns `undefined` to go on,
 * or `{ value }` to stop and resolve with `value`; a throw rejects. Rejects with `late` after
 * `timeoutMs`.
 */
function eachBlock(api, { from, finalized = false, timeoutMs, late }, visit) {
  const heads = finalized ? api.rpc.chain.subscribeFinalizedHeads : api.rpc.chain.subscribeNewHeads;
  let next = from;
  return subscription(timeoutMs, late, ({ resolve, reject }) => {
    let busy = false;
    let done = false;
    const scan = async (best) => {
      if (busy || done) return;
      busy = true;
      try {
        for (; next <= best && !done; next += 1) {
          const hash = await api.rpc.chain.getBlockHash(next);
          const stop = await visit(next, hash, await api.query.system.events.at(hash));
          if (stop) { done = true; resolve(stop.value); }
        }
      } catch (error) {
        done = true;
        reject(error);
      } finally {
        busy = false;
      }
    };
    return heads((header) => scan(header.number.toNumber()));
  });
}

/** Stores the workload `code` unless the chain has it; resolves with { hash, stored }. */
export async function ensureWorkload(api, code, signer, options = {}) {
  const hash = blake2AsHex(code, 256);
  if ((await api.query.tasks.workloads(hash)).isSome) return { hash, stored: false };
  await send(api, api.tx.tasks.uploadWorkload(u8aToHex(code)), signer, 'upload', options);
  return { hash, stored: true };
}

/**
 * The `tasks.submitTask` extrinsic, its arguments in the pallet's order: `workload` hash,
 * `input` (bytes, or 0x-hex), fuel limit, memory limit in MiB, maximum price per million fuel
 * (plancks), replication, minimum reputation in Perbill parts (10^9 is 100 %), timeout in
 * blocks, and the queue rent: if no provider is free the task waits in the queue paying
 * `queueRent` plancks per block (default: the chain's least, `tasks.minQueueRent`), or with
 * `failFast` fails at once; and the task's `replyKey` (32 bytes or 0x-hex: the public key of a
 * one-time secret, see `scripts/lib/reply.mjs`). Without one, a fresh key pair is made and its
 * secret kept for this process: `replySecretOf(replyKey)`. A lone task (replication 1) seals
 * its audit coin: `auditSecret` (default: derived from the reply secret when it is known here,
 * else fresh; kept for this process: `auditSecretOf(replyKey)`), asking for an audit rate of at
 * least `auditRate` parts per billion. Show it with `showAuditCoin` once the answer is final on
 * chain; never shown, the answer is audited.
 */
export function submitTask(api, { workload, input, fuel, memoryMib, maxPrice, replication = 1, minReputation = 0, timeout, failFast = false, queueRent, replyKey, auditSecret, auditRate = 0 }) {
  let key = replyKey;
  if (key === undefined) {
    const pair = replyKeyPair();
    key = pair.replyKey;
    replySecrets.set(u8aToHex(key), pair.secret);
  }
  let audit = null;
  if (Number(replication) === 1) {
    const replySecret = replySecretOf(key);
    const secret = auditSecret ?? (replySecret ? auditCoinSecret(replySecret) : replyKeyPair().secret);
    auditSecrets.set(typeof key === 'string' ? key : u8aToHex(key), secret);
    audit = { seal: u8aToHex(auditSeal(secret)), rate: auditRate };
  }
  return api.tx.tasks.submitTask(
    workload,
    typeof input === 'string' ? input : u8aToHex(input),
    fuel,
    memoryMib,
    maxPrice,
    replication,
    minReputation,
    timeout,
    failFast ? null : (queueRent ?? api.consts.tasks.minQueueRent),
    typeof key === 'string' ? key : u8aToHex(key),
    audit,
  );
}

/**
 * The members a confidential task may be sealed to, from `providers` (accounts, in the order
 * to prefer them): each with its current encryption key (`offers.encryptionKeys`), never
 * `requester`, at most `most` (the chain's bound, 16). Providers without a key are left out.
 */
export async function confidentialMembers(api, providers, { requester, most = 16 } = {}) {
  const account = (who) => {
    try {
      return api.createType('AccountId', who).toString();
    } catch {
      throw new UserError(`not an account: ${who}`);
    }
  };
  const self = requester === undefined ? undefined : account(requester);
  const unique = [...new Set(providers.map(account))].filter((p) => p !== self);
  const keys = await api.query.offers.encryptionKeys.multi(unique);
  return unique
    .map((provider, i) => ({ provider, key: keys[i].isSome ? keys[i].unwrap().current.key.toU8a() : undefined }))
    .filter((m) => m.key !== undefined)
    .slice(0, most);
}

/**
 * The `tasks.submitConfidentialTask` extrinsic, with what it takes: a fresh task secret, the
 * `input` encrypted under it for the chain's input bound, and the secret sealed to each of
 * `members` (`[{ provider, key }]`, from `confidentialMembers`) for `requester` (an address or
 * public key: the account that signs). The other terms are `submitTask`'s (no timeout: the
 * chain sets the shortest; no audit). Resolves with `{ tx, secret }`: keep `secret` before
 * sending, it is the only way to read the output.
 */
export async function submitConfidentialTask(api, { workload, input, fuel, memoryMib, maxPrice, replication = 1, minReputation = 0, failFast = false, queueRent, replyKey, members, requester }) {
  const secret = taskSecret();
  const context = {
    genesis: api.genesisHash.toU8a(),
    workload: api.createType('H256', workload).toU8a(),
    requester: api.createType('AccountId', requester).toU8a(),
    secretHash: secretHash(secret),
  };
  const bytes = typeof input === 'string' ? Buffer.from(input.replace(/^0x/, ''), 'hex') : input;
  let ciphertext;
  try {
    ciphertext = encryptInput(secret, context, 0, bytes, api.consts.tasks.maxInputSize.toNumber());
  } catch (error) {
    if (error instanceof ConfidentialError) throw new UserError(`the input does not fit a confidential task: ${error.message}`);
    throw error;
  }
  const seals = await Promise.all(members.map(async ({ provider, key }) => ({
    provider, key: u8aToHex(key), seal: u8aToHex(await sealSecret(key, context, secret)),
  })));
  const tx = api.tx.tasks.submitConfidentialTask(
    workload,
    u8aToHex(ciphertext),
    fuel,
    memoryMib,
    maxPrice,
    replication,
    minReputation,
    failFast ? null : (queueRent ?? api.consts.tasks.minQueueRent),
    typeof replyKey === 'string' ? replyKey : u8aToHex(replyKey),
    u8aToHex(context.secretHash),
    seals,
  );
  return { tx, secret };
}

/**
 * The plaintext of confidential task `taskId`'s agreed output `ciphertext`, with its task
 * `secret`: the run's status and fuel come from the task's state; its executor version, which
 * the output is bound to, is one the chain accepts (tried in turn). `maxOutput`: the bound the
 * output was padded for (a lone answer's `maxOutput`, else the chain's `maxOutputSize`).
 * Throws a UserError if it does not decrypt.
 */
export async function decryptConfidentialOutput(api, taskId, secret, ciphertext, state) {
  const run = state.isCompleted ? state.asCompleted : state.isDelivered ? state.asDelivered : state.isAnswered ? state.asAnswered : state.isAudited ? state.asAudited : undefined;
  if (!run) throw new UserError(`task ${taskId} has no output (${state.type})`);
  const maxOutput = run.maxOutput ? run.maxOutput.toNumber() : api.consts.attestation.maxOutputSize.toNumber();
  const versions = run.executorVersion ? [run.executorVersion.toNumber()] : (await api.query.attestation.acceptedVersions()).map((v) => v.toNumber());
  for (const executorVersion of versions) {
    const context = {
      genesis: api.genesisHash.toU8a(), taskId, statusScale: run.status.toU8a(), fuelUsed: run.fuelUsed.toBigInt(), executorVersion,
    };
    try {
      return decryptOutput(secret, 0, context, ciphertext, maxOutput);
    } catch (error) {
      if (!(error instanceof ConfidentialError)) throw error;
    }
  }
  throw new UserError(`task ${taskId}'s output does not decrypt with the kept task secret`);
}

/**
 * The `tasks.submitJob` extrinsic: one task per input of `inputs` (bytes or strings), all
 * running `workload` on the same terms (as `submitTask`'s), waiting in the job queue at `rent`
 * plancks per block (default: the chain's least) for at most `maxWait` blocks. Each tile gets a
 * fresh one-time reply key and, alone (replication 1), an audit coin of its own, derived from
 * its reply secret. Returns `{ tx, tiles }`: `tiles[i]` is `{ replyKey, secret, auditSecret }`
 * (0x-hex key, bytes) of input `i`, which becomes task `first_task + i` of `JobSubmitted`.
 */
export function submitJob(api, { workload, inputs, fuel, memoryMib, maxPrice, replication = 1, minReputation = 0, timeout, rent, maxWait, auditRate = 0 }) {
  const tiles = inputs.map(() => {
    const { replyKey, secret } = replyKeyPair();
    const auditSecret = Number(replication) === 1 ? auditCoinSecret(secret) : undefined;
    return { replyKey: u8aToHex(replyKey), secret, auditSecret };
  });
  const terms = {
    fuelLimit: fuel,
    maxMemoryMib: memoryMib,
    maxPricePerMfuel: maxPrice,
    replication,
    minReputation,
    timeout,
    rent: rent ?? api.consts.tasks.minQueueRent,
    maxWait,
  };
  const tx = api.tx.tasks.submitJob(workload, terms, inputs.map((input, i) => ({
    // Hex: polkadot.js reads a bare Uint8Array as already length-prefixed.
    input: u8aToHex(typeof input === 'string' ? stringToU8a(input) : input),
    replyKey: tiles[i].replyKey,
    audit: tiles[i].auditSecret ? { seal: u8aToHex(auditSeal(tiles[i].auditSecret)), rate: auditRate } : null,
  })));
  return { tx, tiles };
}

/** The secrets of the audit coins `submitTask` sealed in this process, by reply key (0x-hex). */
const auditSecrets = new Map();

/** The secret of the audit coin of the task submitted here with `replyKey` (`undefined` else). */
export function auditSecretOf(replyKey) {
  return auditSecrets.get(typeof replyKey === 'string' ? replyKey : u8aToHex(replyKey));
}

/**
 * The `tasks.showAuditCoin` extrinsic for task `taskId` with its coin's `secret` (bytes): send it
 * only once the answer's block is final, never before (whoever sees the secret before answering
 * knows whether its answer will be checked). `AuditCoinShown { audited }` says what the coin
 * said.
 */
export function showAuditCoin(api, taskId, secret) {
  return api.tx.tasks.showAuditCoin(taskId, u8aToHex(secret));
}

/** The secrets of the reply keys `submitTask` made in this process, by key (0x-hex). */
const replySecrets = new Map();

/** The secret of a reply key `submitTask` made in this process (`undefined` for others). */
export function replySecretOf(replyKey) {
  return replySecrets.get(typeof replyKey === 'string' ? replyKey : u8aToHex(replyKey));
}

/**
 * What became of task `taskId`, submitted in block `blockHash`: the next block that draws
 * (the next block, unless its author also authored its parent) assigns it, queues it or fails
 * it (or its own block queued it already: its deadline block or the pending submissions were
 * full). Resolves with `{ kind, data, blockHash }`: `kind` is `'assigned'`
 * (data: `TaskAssigned`), `'queued'` (`TaskQueued`) or `'failed'` (`TaskFailed`). Reads the
 * best chain's blocks from the submission's on as they come, or with `finalized` only
 * finalized blocks.
 */
export async function placement(api, taskId, blockHash, { finalized = false, timeoutMs = 60_000 } = {}) {
  const id = BigInt(taskId);
  const { tasks } = api.events;
  const kinds = [['assigned', tasks.TaskAssigned], ['queued', tasks.TaskQueued], ['failed', tasks.TaskFailed]];
  const from = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  const late = `task ${id}: not assigned, queued or failed after ${timeoutMs / 1000} s`;
  return eachBlock(api, { from, finalized, timeoutMs, late }, (number, hash, events) => {
    for (const { event } of events) {
      const found = kinds.find(([, kind]) => kind.is(event));
      if (found && event.data.taskId.toBigInt() === id) {
        return { value: { kind: found[0], data: event.data, blockHash: hash } };
      }
    }
    return undefined;
  });
}

/**
 * The storage deposit a task of `inputLen` input bytes and `replication` providers holds while
 * open (the task and its input, and the largest output per provider, sealed for a lone answer); it shrinks at settlement
 * and comes back when the task is pruned.
 */
export function taskDeposit(api, inputLen, replication = 1) {
  const { taskDepositBase, taskDepositPerByte, maxOutputSize, maxSealedSize } = api.consts.tasks;
  const k = BigInt(replication);
  // A lone answer's output is stored sealed: the box of the largest output.
  const largest = k === 1n ? maxSealedSize.toBigInt() : maxOutputSize.toBigInt();
  const bytes = BigInt(inputLen) + k * largest;
  return (k + 1n) * taskDepositBase.toBigInt() + bytes * taskDepositPerByte.toBigInt();
}

/**
 * The commitment of a lone answer (`answerCommitmentOf` in reply.mjs) from the chain's values:
 * `provider` an address, `status` the chain's `Status` (a codec, or its name as in
 * `'Success'`).
 */
export function answerCommitment(api, { provider, status, ...rest }) {
  const statusType = api.createType(api.tx.attestation.answer.meta.args[2].type.toString()).status.toRawType();
  return answerCommitmentOf({
    ...rest,
    provider: api.createType('AccountId', provider).toU8a(),
    statusScale: api.createType(statusType, status).toU8a(),
  });
}

/**
 * Task `taskId`'s reply key (a `[u8; 32]` codec), or `undefined`: from its extras
 * (`Tasks.TaskExtras`), or for a task submitted before spec 119 from the legacy `Tasks.ReplyKeys`.
 */
export async function replyKeyOf(api, taskId) {
  const extra = await api.query.tasks.taskExtras?.(taskId);
  return extra?.isSome ? extra.unwrap().replyKey : legacyReplyKey(api, taskId);
}

/** Task `taskId`'s reply key in `Tasks.ReplyKeys` (a chain before spec 119), or `undefined`. */
async function legacyReplyKey(api, taskId) {
  const legacy = await api.query.tasks.replyKeys?.(taskId);
  return legacy?.isSome ? legacy.unwrap() : undefined;
}

/**
 * Opens the lone answer of task `taskId` with its reply key's `secret` (32 bytes), as only its
 * requester can. Resolves with `{ output, state, committed, why }`: `output` (bytes) unless the
 * box does not open (`why` says why); `committed` tells, while the answer is held, whether the
 * box holds what the provider committed to (if not, the requester can prove a bad delivery:
 * `tasks.claimBadDelivery`). Rejects with a UserError if the task has no sealed answer.
 */
export async function openAnswer(api, taskId, secret) {
  const [record, sealed, digest] = await Promise.all([
    api.query.tasks.tasks(taskId), api.query.tasks.sealedOutputs(taskId), api.query.tasks.digests(taskId),
  ]);
  if (record.isNone) throw new UserError(`no task ${taskId} (unknown, or pruned after its retention period)`);
  const { state } = record.unwrap();
  if (sealed.isNone || digest.isNone) throw new UserError(`task ${taskId} has no sealed answer (${state.type})`);
  const held = state.isAnswered || state.isAudited ? state.value : undefined;
  // The bound the provider padded the box for, as it signed it.
  const maxOutput = (held ?? state.asDelivered).maxOutput.toNumber();
  const digestBytes = digest.unwrap().toU8a();
  let opened;
  try {
    opened = await open(secret, digestBytes, sealed.unwrap().toU8a(true), maxOutput);
  } catch (error) {
    if (error instanceof ReplyError) return { output: undefined, state, committed: false, why: error.message };
    throw error;
  }
  const committed = held && u8aEq(answerCommitment(api, {
    digest: digestBytes,
    taskId,
    provider: held.provider.provider,
    status: held.status,
    fuelUsed: held.fuelUsed,
    executorVersion: held.executorVersion,
    salt: opened.salt,
    output: opened.output,
    proof: held.proof.toU8a(),
  }), held.commitment);
  return { output: opened.output, state, committed, why: committed === false ? 'the box does not hold the outcome the provider committed to' : undefined };
}

/**
 * Follows the tiles of a job, tasks `firstTask .. firstTask + tiles`, from block `from` on,
 * block by block from the events (every block read once, in order, none skipped): calls
 * `onHeld(taskId)` when a tile's lone answer is held (open it, then accept or claim it), and
 * `onEnded(taskId, view)` when a tile completes, is delivered or fails (`view` is its
 * `bourse_task`), and `onBlock(number, ended)` after each block. `endedBefore`: the tiles that
 * ended before `from`. Resolves when every tile has ended; rejects if a callback throws or
 * nothing ends for `idleMs`.
 */
export async function followJob(api, { firstTask, tiles, from, endedBefore = [], onHeld = async () => {}, onEnded = async () => {}, onBlock = () => {}, idleMs = 300_000 }) {
  const first = BigInt(firstTask);
  const end = first + BigInt(tiles);
  const ended = new Set(endedBefore.map(BigInt));
  if (ended.size === tiles) return undefined;
  const { tasks } = api.events;
  const mine = (id) => id >= first && id < end;
  let lastProgress = Date.now();
  const late = `job tasks ${first}..${end - 1n}: not all ended`;
  return eachBlock(api, { from, timeoutMs: idleMs * 10, late }, async (number, hash, events) => {
    for (const { event } of events) {
      if (event.section !== 'tasks') continue;
      const id = event.data[0]?.toBigInt?.();
      if (id === undefined || !mine(id) || ended.has(id)) continue;
      if (tasks.AnswerHeld.is(event)) await onHeld(Number(id));
      if (tasks.TaskCompleted.is(event) || tasks.TaskDelivered.is(event) || tasks.TaskFailed.is(event)) {
        ended.add(id);
        lastProgress = Date.now();
        await onEnded(Number(id), await api.bourse('task', [Number(id)]));
      }
    }
    onBlock(number, ended.size);
    if (ended.size === tiles) return { value: undefined };
    if (Date.now() - lastProgress > idleMs) throw new UserError(`job tasks ${first}..${end - 1n}: no tile ended for ${idleMs / 1000} s (${ended.size}/${tiles} ended)`);
    return undefined;
  });
}
