#!/usr/bin/env node
// The Bourse command line: upload workloads, submit tasks, follow them, fetch results, and run a
// provider. `node scripts/bourse.mjs --help` for the commands.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import {
  confidentialMembers, connectWithProvider, decryptConfidentialOutput, ensureWorkload, followJob, formatAmount, openAnswer, parseAmount, placement, replyKeyOf, send, showAuditCoin, submitConfidentialTask, submitJob, submitTask, taskDeposit, UNIT, UserError,
} from './lib/chain.mjs';
import { parseArgs } from './lib/args.mjs';
import { generalTransaction, limitPayload, nodeExecutorKey } from './lib/attestation.mjs';
import { auditCoinSecret, replyKeyPair } from './lib/reply.mjs';
import {
  keepReplySecret, keepTaskSecret, keptReplySecret, keptTaskSecret, secretFile,
} from './lib/reply-secrets.mjs';

const HELP = `bourse — the Bourse compute exchange from the command line

usage: node scripts/bourse.mjs <command> [options]

requester commands (default --suri //Bob):
  upload <module.wasm>                 store a workload; prints its hash
  submit --workload <hash|file.wasm> --input <file|-> [--fuel N] [--k N]
         [--max-price P] [--min-rep F] [--memory MiB] [--timeout blocks (default: 10, or
         the least the fuel needs)]
         [--queue-rent P | --fail-fast] [--watch]
         [--confidential [--members a,b,...]]
                                       submit a task; prints its id. If no provider is free
                                       it waits in the queue paying P per block (default:
                                       the chain's least), or with --fail-fast fails at once.
                                       --confidential: the input is encrypted and its key
                                       sealed to the members (default: the providers the
                                       quote proposes that publish an encryption key, at
                                       most 16), the only ones drawn; only they and you can
                                       read the input and the output (status, fuel, sizes and
                                       timing stay public); no audit, the timeout is the
                                       shortest
  watch <task>                         follow a task: assigned, committed, revealed, answered
                                       (provisional), final; a lone answer's output is
                                       opened with the kept secret, and a box that does not
                                       open is proven bad (the provider is slashed, you are
                                       refunded)
  result <task> [--out file]           the task's output (to stdout or a file)
  accept <task>                        make a lone answer final before its window closes
  claim <task>                         prove a lone answer's box does not hold what its
                                       provider committed to, within its window: shows the
                                       one-time secret (the output becomes public); a false
                                       claim costs a fee
  cancel <task>                        cancel a task while it is queued (not yet assigned)
  job submit --workload <hash|file.wasm> --inputs <file> [--fuel N] [--k N] [--max-price P]
         [--min-rep F] [--memory MiB] [--timeout blocks] [--rent P] [--max-wait blocks]
         [--watch [--out-dir DIR]]
                                       submit a job: one task (tile) per line of the inputs
                                       file, in one transaction; its tiles wait in the job
                                       queue (rent P per block, default the chain's least) for
                                       at most --max-wait blocks (default: two per tile and
                                       20, within the chain's longest). --watch follows it with
                                       one progress bar, opens and accepts each lone answer,
                                       and writes tile i's output to DIR/<i>.out
  job <id> | job watch <id> [--out-dir DIR] | job cancel <id>
                                       a job's tiles by phase and cost; follow it; cancel its
                                       waiting tiles (its assigned ones run on)

market:
  offers                               offers with a free slot, cheapest first
  provider <account>                   a provider's bond, slots, reputation, offer and
                                       encryption keys
  quote --fuel N [--k N] [--max-price P] [--min-rep F] [--memory MiB]

provider operator commands (default --suri //Alice):
  provider register --bond B [--executor <public key hex> --proof <hex>]
                                       the node at --url makes a fresh executor key and
                                       proves it holds it (author_rotateKeysWithOwner; run it
                                       on the provider's node), or give both yourself
  provider offer --price P --max-fuel N --max-memory MiB --slots N [--expires block]
  provider rotate-key [--executor <public key hex> --proof <hex>]   (the same way)
  provider limit --slots N [--provider <account>]
                                       lower the offer's slots (0 withdraws it), signed by
                                       the executor key (--suri is its secret; the provider
                                       defaults to the key's own account, as on --dev)
  provider resume                      put an offer paused for missed tasks back in selection
                                       (its node does this by itself when it runs again)
  provider revoke-keys [--freeze]      remove the provider's encryption keys at once (a leaked
                                       key file: rotate-encryption-key on the node first);
                                       --freeze: no key counts until the executor key is
                                       rotated (a stolen executor key)
  provider leave                       unregister (the bond unbonds after a delay)
  provider withdraw                    release the bond once unbonded

options everywhere:
  --url ws://host:port                 node to talk to (default ws://127.0.0.1:9944)
  --suri <secret>                      signing account (secret URI, e.g. //Bob or a mnemonic)

Amounts (P, B) are plancks (integers) or BRS with a unit, e.g. 0.5BRS (12 decimals).
Inputs are public on chain, and so are the outputs of replicated tasks (--k 3 or more). The
output of a single provider (--k 1) is sealed to a one-time reply key made for the task: only
the holder of its secret (kept in $BOURSE_DATA_DIR or ~/.local/share/bourse, reply-secrets/)
reads it. A random part of single answers (at least the chain's audit rate, more for valuable
tasks) is audited: another provider runs the task blind and both open what they committed to.
Whether yours is, a coin sealed at submission decides: watch shows it once the answer is final
on chain (from the kept secret); a coin never shown means an audit, paid from your escrow's
auditor seat (refunded when no audit happens).`;

function parseInteger(text, what) {
  if (!/^\d+$/.test(String(text))) throw new UserError(`${what}: expected a non-negative integer, got '${text}'`);
  return BigInt(text);
}

function readInput(path) {
  if (path === undefined || path === true) throw new UserError('--input: a file, or - for standard input');
  try {
    return path === '-' ? readFileSync(0) : readFileSync(path);
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${error.code ?? error.message}`);
  }
}

function readWasm(path) {
  let code;
  try {
    code = readFileSync(path);
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${error.code ?? error.message}`);
  }
  if (code.length < 8 || code.readUInt32BE(0) !== 0x0061736d) throw new UserError(`${path} is not a WebAssembly module`);
  return code;
}

/** Stores the module at `path` unless the chain has it; resolves with { hash, stored }. */
async function upload(api, signer, path) {
  return ensureWorkload(api, readWasm(path), signer);
}

async function taskView(api, id) {
  const view = await api.bourse('task', [Number(id)]);
  if (view === null) throw new UserError(`no task ${id} (unknown, or pruned after its retention period)`);
  return view;
}

function describe(view) {
  const { phase } = view;
  switch (phase.status) {
    case 'Queued': return `queued since block ${phase.since}`;
    case 'Assigned': return `assigned at block ${phase.assignedAt} to ${phase.providers.map((p) => p.provider).join(', ')}; answers due by block ${phase.deadline}`;
    case 'Completed': return `completed at block ${phase.settledAt}: ${JSON.stringify(phase.outcome)}, ${phase.fuelUsed} fuel, cost ${formatAmount(phase.cost)}`;
    case 'Answered': return `answered (provisional) at block ${phase.answeredAt} by ${phase.provider.provider}: ${JSON.stringify(phase.outcome)}, ${phase.fuelUsed} fuel; final at block ${phase.finalAt} unless a bad delivery is proven (or audited then)`;
    case 'Audited': return `under audit since block ${phase.auditAt} by ${phase.auditor.provider} (the answer by ${phase.provider.provider}): it commits by block ${phase.commitUntil}, both open by block ${phase.deadline}`;
    case 'Disputed': return phase.committee.length === 0
      ? `disputed: the audit by ${phase.auditor.provider} found another outcome than ${phase.provider.provider}'s; a committee of three is drawn to decide`
      : `disputed: a committee (${phase.committee.map((m) => m.provider).join(', ')}) reruns it, commits by block ${phase.commitUntil}, opens by block ${phase.deadline}; the wrong party is slashed`;
    case 'Delivered': return `final at block ${phase.settledAt}: ${JSON.stringify(phase.outcome)}, ${phase.fuelUsed} fuel, cost ${formatAmount(phase.cost)} paid to ${phase.provider}`;
    default: return `failed at block ${phase.settledAt}: ${phase.reason}`;
  }
}

/** Whether a task in `view` has ended (its money moved): completed, final or failed. */
const ended = (view) => ['Completed', 'Delivered', 'Failed'].includes(view.phase.status);
/** Whether a task in `view` ended with a result. */
const succeeded = (view) => ['Completed', 'Delivered'].includes(view.phase.status);

/** The secret this CLI kept for task `id`'s reply key, or `undefined`. */
async function secretOf(api, id) {
  const key = await replyKeyOf(api, id);
  return key ? keptReplySecret(key.toHex()) : undefined;
}

/**
 * `output` of task `id` as its requester reads it: as it is for a public task; decrypted with
 * the kept task secret for a confidential one (`state`: the task's, for the run's facts).
 */
async function plaintextOf(api, id, output, state) {
  if ((await api.query.tasks.confidential(id)).isNone) return output;
  const key = await replyKeyOf(api, id);
  const secret = key && keptTaskSecret(key.toHex());
  if (!secret) throw new UserError(`task ${id} is confidential and its task secret is not kept here (in ${secretFile('x', 'task-secrets').replace(/x\.hex$/, '')})`);
  return decryptConfidentialOutput(api, id, secret, output, state);
}

/** A line showing `output`: as text if it is printable UTF-8, else hex; cut to 200 characters. */
function preview(output) {
  const text = Buffer.from(output).toString('utf8');
  const printable = !text.includes('\uFFFD') && !/[\x00-\x08\x0e-\x1f]/.test(text);
  const shown = printable ? JSON.stringify(text) : `0x${Buffer.from(output).toString('hex')}`;
  return shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
}

/** Proves the bad delivery of task `id`'s lone answer with its reply key's `secret`. */
async function claim(api, id, secret, signer, out) {
  const { events } = await send(api, api.tx.tasks.claimBadDelivery(id, secret), signer, 'claim bad delivery');
  const proven = events.some(({ event }) => api.events.tasks.TaskFailed.is(event));
  out(proven
    ? `task ${id}: bad delivery proven: the provider is slashed, the escrow refunded`
    : `task ${id}: the box held what the provider committed to: the claim cost its fee`);
}

/**
 * Opens the lone answer of task `id` (if this CLI kept its secret) and prints it. A box that
 * does not open is proven bad at once with `signer` (showing the secret reveals nothing then);
 * a box that opens to another outcome than the one committed to is shown, and proving that is
 * left to `claim`, which makes the output public.
 */
async function openAndCheck(api, id, signer, out, at) {
  const secret = await secretOf(api, id);
  if (!secret) { out(`#${at}   output sealed to a reply key whose secret is not kept here (${secretFile('<key>').replace('<key>.hex', '')})`); return; }
  const { output: opened, state, committed, why } = await openAnswer(api, id, secret);
  if (opened !== undefined) {
    let output;
    try {
      output = await plaintextOf(api, id, opened, state);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      out(`#${at}   output opened but not read: ${error.message}`);
      return;
    }
    out(`#${at}   output opened: ${output.length} bytes${committed ? ', as the provider committed' : ''}: ${preview(output)}`);
    if (committed === false) out(`#${at}   warning: ${why}: \`bourse claim ${id}\` proves it while the window is open (the provider is slashed, you are refunded), but shows the one-time secret: anyone can then read this output`);
    return;
  }
  if (!state.isAnswered) return;
  out(`#${at}   bad delivery: ${why}; proving it on chain`);
  await claim(api, id, secret, signer, (line) => out(`#${at}   ${line}`));
}

/**
 * Shows the audit coin of task `id` (its secret follows from the kept reply secret), once its
 * answer's block is final: whether the answer is audited when its window closes. Nothing to
 * show (another client showed it, or no secret is kept here) is said, not an error.
 */
async function showCoin(api, id, signer, out, at) {
  // A confidential task has no audit: nothing to show.
  if ((await api.query.tasks.confidential(id)).isSome) return;
  const replySecret = await secretOf(api, id);
  if (!replySecret) { out(`#${at}   audit coin not shown: no kept secret (the answer is audited when its window closes)`); return; }
  try {
    const { events } = await send(api, showAuditCoin(api, id, auditCoinSecret(replySecret)), signer, 'show the audit coin');
    const shown = events.map(({ event }) => event).find((e) => api.events.tasks.AuditCoinShown.is(e));
    out(`#${at}   audit coin shown: ${shown?.data.audited.isTrue ? 'the answer is audited when its window closes' : 'no audit'}`);
  } catch (error) {
    out(`#${at}   audit coin not shown: ${error.message}`);
  }
}

/** Follows task `id` block by block until it has ended (completed, final or failed). */
async function watch(api, id, signer, out = console.log) {
  let last = '';
  const seen = new Set();
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    let busy = false;
    const step = async (header) => {
      if (busy) return;
      busy = true;
      try {
        const view = await taskView(api, id);
        const line = describe(view);
        if (line !== last) { out(`#${header.number} task ${id} ${line}`); last = line; }
        for (const a of view.answers) {
          if (a.committed && !seen.has(`c${a.provider}`)) { seen.add(`c${a.provider}`); out(`#${header.number}   ${a.provider} committed`); }
          if (a.abstained && !seen.has(`a${a.provider}`)) { seen.add(`a${a.provider}`); out(`#${header.number}   ${a.provider} abstained (${a.abstained})`); }
          if (a.revealed && !seen.has(`r${a.provider}`)) { seen.add(`r${a.provider}`); out(`#${header.number}   ${a.provider} answered ${a.revealed.outputHash.slice(0, 18)}… with ${a.revealed.fuelUsed} fuel`); }
        }
        if (view.phase.status === 'Answered' && !seen.has('opened')) {
          seen.add('opened');
          await openAndCheck(api, id, signer, out, header.number);
        }
        if (view.phase.status === 'Answered' && !seen.has('coin')) {
          const finalized = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
          if (finalized >= view.phase.answeredAt) {
            seen.add('coin');
            await showCoin(api, id, signer, out, header.number);
          }
        }
        if (ended(view)) { unsub(); resolve(view); }
      } catch (error) { unsub(); reject(error); } finally { busy = false; }
    };
    api.rpc.chain.subscribeNewHeads(step).then((u) => { unsub = u; }, reject);
  });
}

/**
 * The terms `submit` and `job submit` share, from the options: the workload (uploaded if a
 * file), fuel, replication, memory, reputation floor, timeout (at least what the fuel needs)
 * and price ceiling (default: the dearest offer's price).
 */
async function taskTerms(api, signer, options, what) {
  if (!options.workload || options.workload === true) throw new UserError(`${what}: --workload <hash|file.wasm> is required`);
  const workload = /^0x[0-9a-fA-F]{64}$/.test(options.workload) ? options.workload : (await upload(api, signer, options.workload)).hash;
  if ((await api.query.tasks.workloads(workload)).isNone) throw new UserError(`no workload ${workload} on chain (upload it first)`);
  const fuel = parseInteger(options.fuel ?? '1000000000', '--fuel');
  const k = Number(parseInteger(options.k ?? '1', '--k'));
  const memory = Number(parseInteger(options.memory ?? '64', '--memory'));
  const minRep = Number(options['min-rep'] ?? 0);
  if (!(minRep >= 0 && minRep <= 1)) throw new UserError('--min-rep: a fraction between 0 and 1');
  // The chain's shortest timeout grows with the fuel (`bourse_quote`'s `minTimeout`).
  const { minTimeout } = await api.bourse('quote', [fuel.toString(), k, '1', 0, memory]);
  const maxTimeout = api.consts.tasks.maxTimeout.toNumber();
  if (minTimeout > maxTimeout) throw new UserError(`--fuel: ${fuel} fuel needs a timeout of ${minTimeout} blocks, above the longest (${maxTimeout})`);
  const timeout = options.timeout === undefined
    ? Math.max(10, minTimeout)
    : Number(parseInteger(options.timeout, '--timeout'));
  if (timeout < minTimeout) throw new UserError(`--timeout: at least ${minTimeout} blocks for ${fuel} fuel at k = ${k}`);
  let maxPrice;
  if (options['max-price'] !== undefined) maxPrice = parseAmount(options['max-price'], '--max-price');
  else {
    const offers = await api.bourse('offers');
    if (offers.length === 0) throw new UserError('no offers on chain: pass --max-price to queue the task');
    maxPrice = offers.map((o) => BigInt(o.pricePerMfuel)).reduce((a, b) => (a > b ? a : b));
  }
  return { workload, fuel, k, memory, minRep, timeout, maxPrice };
}

/** Sends a task's submission `tx`, says where it went, and with `--watch` follows it. */
async function submitted(api, tx, signer, options, kept, replyKey) {
  const { events, blockHash } = await send(api, tx, signer, 'submit');
  const data = events.find(({ event }) => api.events.tasks.TaskSubmitted.is(event)).event.data;
  const id = data.taskId.toString();
  console.log(`task ${id} submitted: escrow ${formatAmount(data.escrow.toBigInt())} and storage deposit ${formatAmount(data.deposit.toBigInt())} held (the deposit shrinks at settlement and comes back when the task is pruned)`);
  console.log(`reply key ${u8aToHex(replyKey)}: its secret is kept in ${kept}`);
  const placed = await placement(api, id, blockHash);
  if (placed.kind === 'assigned') {
    const [from, at] = await Promise.all([blockHash, placed.blockHash].map(async (h) => (await api.rpc.chain.getHeader(h)).number.toNumber()));
    const waited = at - from > 1 ? ` (${at - from} blocks after submission: a block whose author also authored its parent draws nothing)` : '';
    console.log(`assigned to ${placed.data.providers.map(String).join(', ')} by block ${at}'s draw${waited}; answers due by block ${placed.data.deadline}`);
  }
  else if (placed.kind === 'queued') console.log(`queued: no provider free yet; waiting costs ${formatAmount(placed.data.rent.toBigInt())} per block (burned), at most its timeout and a turn of the queue`);
  else {
    console.log(`failed: ${placed.data.reason.toString()} (refunded less the base fee)`);
    return 1;
  }
  if (options.watch) {
    const view = await watch(api, id, signer);
    return succeeded(view) ? 0 : 1;
  }
  return 0;
}

/**
 * `submit --confidential`: the input encrypted under a fresh task secret (kept before anything
 * is sent), sealed to the members (`--members`, or the providers the quote proposes that
 * publish an encryption key), the task submitted and followed as `submit` does.
 */
async function submitConfidential(api, signer, options) {
  if (options.timeout !== undefined) throw new UserError('--timeout: a confidential task has the shortest timeout its fuel allows');
  const { workload, fuel, k, memory, minRep, maxPrice } = await taskTerms(api, signer, options, 'submit');
  const input = readInput(options.input);
  const failFast = Boolean(options['fail-fast']);
  if (failFast && options['queue-rent'] !== undefined) throw new UserError('--fail-fast and --queue-rent: choose one');
  const minRent = api.consts.tasks.minQueueRent.toBigInt();
  const queueRent = options['queue-rent'] === undefined ? minRent : parseAmount(options['queue-rent'], '--queue-rent');
  if (queueRent < minRent) throw new UserError(`--queue-rent: at least ${formatAmount(minRent)} per block`);
  let proposed;
  if (options.members && options.members !== true) proposed = String(options.members).split(',').map((m) => m.trim()).filter(Boolean);
  else {
    const quote = await api.bourse('quote', [fuel.toString(), k, maxPrice.toString(), String(minRep), memory, signer.address]);
    proposed = quote.candidates.map((c) => c.provider);
  }
  const members = await confidentialMembers(api, proposed, { requester: signer.address });
  const dropped = proposed.filter((p) => !members.some((m) => m.provider === api.createType('AccountId', p).toString()));
  if (dropped.length > 0) report(`left out (no encryption key on chain, or you): ${dropped.join(', ')}`);
  if (!options.members) report('members: the market\'s candidates, strangers to you; agreement among them is all a confidential task checks (name the providers you trust with --members)');
  if (members.length < k) {
    throw new UserError(`--confidential: ${members.length} of the proposed providers publish an encryption key (${proposed.length} proposed), fewer than k = ${k}: every seat is drawn from the members; name more with --members a,b,... or lower --k`);
  }
  console.log(`sealed to ${members.length} members: ${members.map((m) => m.provider).join(', ')} (only they can be drawn, and read the input and output)`);
  const { secret: replySecret, replyKey } = replyKeyPair();
  const kept = keepReplySecret(replyKey, replySecret);
  const { tx, secret } = await submitConfidentialTask(api, {
    workload, input, fuel, memoryMib: memory, maxPrice, replication: k, minReputation: Math.round(minRep * 1e9), failFast, queueRent, replyKey, members, requester: signer.address,
  });
  const keptTask = keepTaskSecret(replyKey, secret);
  console.log(`task secret kept in ${keptTask}`);
  return submitted(api, tx, signer, options, kept, replyKey);
}

/** A job id from the command line. */
function positionalId(text, what) {
  if (text === undefined) throw new UserError(`${what}: which job? (${what} <id>)`);
  return Number(parseInteger(text, 'job'));
}

/** The job `id`'s status (`bourse_job`), or a UserError if it is unknown or pruned. */
async function jobView(api, id) {
  const view = await api.bourse('job', [Number(id)]);
  if (view === null) throw new UserError(`no job ${id} (unknown, or pruned with its last tile)`);
  return view;
}

/** One line of a job's status. */
function describeJob(view) {
  return `job ${view.id}: ${view.tiles} tiles (tasks ${view.firstTask}..${view.firstTask + view.tiles - 1}): ${view.done} done, ${view.running} running, ${view.waiting} waiting (until block ${view.waitUntil}), ${view.failed} failed${view.pruned ? `, ${view.pruned} pruned` : ''}; cost so far ${formatAmount(view.cost)}`;
}

/** A one-line progress bar on stderr. */
function progressBar(done, total, note) {
  const width = 30;
  const filled = Math.round((done / Math.max(total, 1)) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} tiles ${note}   `);
  if (done === total) process.stderr.write('\n');
}

/**
 * Follows job `id` block by block (from block `from`, default the best) with one progress bar
 * until every tile has ended. Each lone answer is opened with its kept secret: holding what its
 * provider committed to, it is accepted (final at once); a box that does not open is proven bad
 * (the tile is refunded). With `outDir`, tile i's output goes to `outDir/<i>.out`. Resolves with
 * the job's last status and the transactions that failed.
 */
async function watchJob(api, id, signer, outDir, from) {
  const first = await jobView(api, id);
  const ended = new Set();
  const failures = [];
  if (outDir) mkdirSync(outDir, { recursive: true });
  const written = new Set();
  const write = (task, output) => {
    written.add(task);
    if (outDir) writeFileSync(join(outDir, `${task - first.firstTask}.out`), output);
  };
  // The acceptances are signed at once with consecutive nonces, never awaited one by one.
  let nonce = (await api.rpc.system.accountNextIndex(signer.address)).toNumber();
  const fire = (tx, what) => send(api, tx, signer, what, { nonce: nonce++ }).catch((error) => failures.push(`${what}: ${error.message}`));
  let note = '';
  const onHeld = async (task) => {
    const secret = await secretOf(api, task);
    if (!secret) return;
    const box = await openAnswer(api, task, secret);
    if (box.output !== undefined && box.committed) {
      write(task, box.output);
      fire(api.tx.tasks.acceptAnswer(task), `accept task ${task}`);
    } else if (box.output === undefined) {
      fire(api.tx.tasks.claimBadDelivery(task, secret), `claim task ${task}`);
    }
  };
  // Watching a job submitted earlier: its tiles are read once, those ended counted, those
  // answered opened.
  const start = from ?? (await api.rpc.chain.getHeader()).number.toNumber() + 1;
  if (from === undefined) {
    const at = (await api.rpc.chain.getBlockHash(start - 1)).toHex();
    for (let task = first.firstTask; task < first.firstTask + first.tiles; task += 1) {
      const view = await api.bourse('task', [task, at]);
      if (view === null || ['Completed', 'Delivered', 'Failed'].includes(view.phase.status)) ended.add(task);
      else if (view.phase.status === 'Answered') await onHeld(task);
    }
  }
  await followJob(api, {
    firstTask: first.firstTask,
    tiles: first.tiles,
    from: start,
    endedBefore: [...ended],
    onHeld,
    onEnded: async (task, view) => {
      ended.add(task);
      if (view?.phase.status === 'Completed') write(task, Buffer.from((view.output ?? '0x').slice(2), 'hex'));
      // A lone answer final without having been seen held (read on a fork that lost, or
      // before this watch): its box stays until pruned.
      if (view?.phase.status === 'Delivered' && !written.has(task)) {
        const secret = await secretOf(api, task);
        const box = secret ? await openAnswer(api, task, secret) : {};
        if (box.output !== undefined) write(task, box.output);
      }
    },
    onBlock: (number) => {
      if (number % 5 === 0) {
        jobView(api, id).then((status) => { note = `: ${status.running} running, ${status.waiting} waiting, ${status.failed} failed`; }, () => {});
      }
      progressBar(ended.size, first.tiles, `block #${number}${note}`);
    },
  });
  return { status: await jobView(api, id), failures };
}

/** Reads the job's inputs: one tile per line of `path` (empty lines skipped). */
function readInputs(path) {
  const lines = readInput(path).toString('utf8').split('\n').filter((line) => line.length > 0);
  if (lines.length === 0) throw new UserError(`${path}: no inputs (one tile per line)`);
  return lines;
}

/**
 * Lowers `provider`'s offer to `slots` with a feeless general transaction signed by its executor
 * key `executor`, sent as bytes over `rpc` (the WebSocket provider), and waits for
 * `Offers.OfferLimited`.
 */
async function limitOffer(api, rpc, executor, provider, slots) {
  let payload;
  try {
    payload = await limitPayload(api, provider, slots);
  } catch (error) {
    throw new UserError(`provider limit: ${error.message}`);
  }
  const signature = u8aToHex(executor.sign(payload));
  const call = api.tx.offers.limitOffer(provider, slots, signature).method;
  let found;
  const unsub = await api.query.system.events((events) => {
    found ??= events.map(({ event }) => event).find((e) => api.events.offers.OfferLimited.is(e) && e.data.provider.toString() === provider);
  });
  try {
    await rpc.send('author_submitExtrinsic', [generalTransaction(call)]);
  } catch (error) {
    unsub();
    throw new UserError(`provider limit refused: ${error.message} (the executor key may only lower the slots, to no fewer than are busy)`);
  }
  try {
    const event = await waitUntil(() => found, 60_000);
    console.log(`OfferLimited ${JSON.stringify(event.data.toHuman())}`);
    return 0;
  } finally {
    unsub();
  }
}

/** Resolves with `probe()` once it is truthy; rejects after `timeoutMs`. */
async function waitUntil(probe, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > end) throw new UserError('provider limit: not in a block after 60 s');
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(argv) {
  const { positional, options } = parseArgs(argv);
  const [command, sub] = positional;
  if (!command || options.help || command === 'help') { console.log(HELP); return 0; }
  const known = ['upload', 'submit', 'watch', 'result', 'accept', 'claim', 'cancel', 'job', 'offers', 'provider', 'quote'];
  if (!known.includes(command)) throw new UserError(`unknown command '${command}' (see --help)`);

  await cryptoWaitReady();
  const { api, provider } = await connectWithProvider(options.url ?? 'ws://127.0.0.1:9944');
  try {
    const operator = command === 'provider' && ['register', 'offer', 'rotate-key', 'resume', 'revoke-keys', 'leave', 'withdraw', 'limit'].includes(sub);
    const signer = new Keyring({ type: 'sr25519' }).addFromUri(options.suri ?? (operator ? '//Alice' : '//Bob'));
    switch (command) {
      case 'upload': {
        if (!sub) throw new UserError('upload: which module? (upload <module.wasm>)');
        const { hash, stored } = await upload(api, signer, sub);
        console.log(stored ? `uploaded ${hash}` : `already stored ${hash}`);
        return 0;
      }
      case 'submit': {
        if (options.confidential) return await submitConfidential(api, signer, options);
        const { workload, fuel, k, memory, minRep, timeout, maxPrice } = await taskTerms(api, signer, options, 'submit');
        const input = readInput(options.input);
        const failFast = Boolean(options['fail-fast']);
        if (failFast && options['queue-rent'] !== undefined) throw new UserError('--fail-fast and --queue-rent: choose one');
        const minRent = api.consts.tasks.minQueueRent.toBigInt();
        const queueRent = options['queue-rent'] === undefined ? minRent : parseAmount(options['queue-rent'], '--queue-rent');
        if (queueRent < minRent) throw new UserError(`--queue-rent: at least ${formatAmount(minRent)} per block`);
        // A one-time reply key per task; its secret is kept before the key is used.
        const { secret, replyKey } = replyKeyPair();
        const kept = keepReplySecret(replyKey, secret);
        const tx = submitTask(api, {
          workload, input, fuel, memoryMib: memory, maxPrice, replication: k, minReputation: Math.round(minRep * 1e9), timeout, failFast, queueRent, replyKey,
          // The audit coin's secret follows from the kept reply secret.
          auditSecret: auditCoinSecret(secret),
        });
        return await submitted(api, tx, signer, options, kept, replyKey);
      }
      case 'job': {
        if (sub === 'submit') {
          const { workload, fuel, k, memory, minRep, timeout, maxPrice } = await taskTerms(api, signer, options, 'job submit');
          const inputs = readInputs(options.inputs);
          const most = api.consts.tasks.maxJobTiles.toNumber();
          if (inputs.length > most) throw new UserError(`--inputs: ${inputs.length} tiles, more than a job may have (${most})`);
          const minRent = api.consts.tasks.minQueueRent.toBigInt();
          const rent = options.rent === undefined ? minRent : parseAmount(options.rent, '--rent');
          if (rent < minRent) throw new UserError(`--rent: at least ${formatAmount(minRent)} per block`);
          const longest = api.consts.tasks.maxTimeout.toNumber();
          const maxWait = options['max-wait'] === undefined ? Math.min(longest, 20 + 2 * inputs.length) : Number(parseInteger(options['max-wait'], '--max-wait'));
          if (maxWait < 1 || maxWait > longest) throw new UserError(`--max-wait: between 1 and ${longest} blocks`);
          const job = submitJob(api, { workload, inputs, fuel, memoryMib: memory, maxPrice, replication: k, minReputation: Math.round(minRep * 1e9), timeout, rent, maxWait });
          // Every tile's secret is kept before its key is used.
          for (const tile of job.tiles) keepReplySecret(tile.replyKey, tile.secret);
          const { events, blockHash } = await send(api, job.tx, signer, 'job submit');
          const data = events.find(({ event }) => api.events.tasks.JobSubmitted.is(event)).event.data;
          const id = data.jobId.toNumber();
          console.log(`job ${id} submitted: ${data.tiles} tiles, tasks ${data.firstTask}..${data.firstTask.toNumber() + data.tiles.toNumber() - 1}; escrow ${formatAmount(data.escrow.toBigInt())} and storage deposit ${formatAmount(data.deposit.toBigInt())} held; tiles wait at most ${maxWait} blocks at ${formatAmount(rent)} per block`);
          if (!options.watch) return 0;
          const from = (await api.rpc.chain.getHeader(blockHash)).number.toNumber() + 1;
          const { status, failures } = await watchJob(api, id, signer, options['out-dir'], from);
          for (const failure of failures) report(`warning: ${failure}`);
          console.log(describeJob(status));
          return status.failed === 0 ? 0 : 1;
        }
        if (sub === 'watch' || sub === 'cancel') {
          const id = positionalId(positional[2], `job ${sub}`);
          if (sub === 'cancel') {
            await send(api, api.tx.tasks.cancelJob(id), signer, 'job cancel');
            console.log(describeJob(await jobView(api, id)));
            return 0;
          }
          const { status, failures } = await watchJob(api, id, signer, options['out-dir']);
          for (const failure of failures) report(`warning: ${failure}`);
          console.log(describeJob(status));
          return status.failed === 0 ? 0 : 1;
        }
        console.log(describeJob(await jobView(api, positionalId(sub, 'job'))));
        return 0;
      }
      case 'watch': {
        if (sub === undefined) throw new UserError('watch: which task? (watch <task>)');
        const view = await watch(api, parseInteger(sub, 'task').toString(), signer);
        return succeeded(view) ? 0 : 1;
      }
      case 'result': {
        if (sub === undefined) throw new UserError('result: which task? (result <task>)');
        const id = parseInteger(sub, 'task').toString();
        const view = await taskView(api, id);
        let output;
        if (view.sealed) {
          const secret = await secretOf(api, id);
          if (!secret) throw new UserError(`task ${id}'s output is sealed to a reply key whose secret is not kept here (in ${secretFile('x').replace(/x\.hex$/, '')})`);
          const opened = await openAnswer(api, id, secret);
          if (opened.output === undefined) throw new UserError(`task ${id}'s box does not open: ${opened.why}`);
          if (opened.committed === false) report(`warning: ${opened.why} (watch the task to prove it)`);
          output = Buffer.from(await plaintextOf(api, id, opened.output, opened.state));
        } else {
          if (view.phase.status !== 'Completed') throw new UserError(`task ${id} has no result: ${describe(view)}`);
          const record = await api.query.tasks.tasks(id);
          const agreed = Buffer.from((view.output ?? '0x').slice(2), 'hex');
          output = Buffer.from(await plaintextOf(api, id, agreed, record.unwrap().state));
        }
        if (options.out && options.out !== true) { writeFileSync(options.out, output); report(`wrote ${output.length} bytes to ${options.out}`); }
        else process.stdout.write(output);
        return 0;
      }
      case 'claim': {
        if (sub === undefined) throw new UserError('claim: which task? (claim <task>)');
        const id = parseInteger(sub, 'task').toString();
        const secret = await secretOf(api, id);
        if (!secret) throw new UserError(`task ${id}: no kept secret for its reply key`);
        await claim(api, id, secret, signer, console.log);
        return 0;
      }
      case 'accept': {
        if (sub === undefined) throw new UserError('accept: which task? (accept <task>)');
        await send(api, api.tx.tasks.acceptAnswer(parseInteger(sub, 'task')), signer, 'accept');
        console.log(`task ${sub}'s answer is final`);
        return 0;
      }
      case 'cancel': {
        if (sub === undefined) throw new UserError('cancel: which task? (cancel <task>)');
        await send(api, api.tx.tasks.cancelTask(parseInteger(sub, 'task')), signer, 'cancel');
        console.log(`task ${sub} cancelled`);
        return 0;
      }
      case 'offers': {
        const offers = await api.bourse('offers');
        if (offers.length === 0) { console.log('no offers with a free slot'); return 0; }
        for (const o of offers) {
          console.log(`${o.provider}  ${formatAmount(o.pricePerMfuel)}/Mfuel  fuel ≤ ${o.maxFuel}  memory ≤ ${o.maxMemoryMib} MiB  slots ${o.freeSlots}/${o.slots}  reputation ${(o.reputation * 100).toFixed(1)}%`);
        }
        return 0;
      }
      case 'quote': {
        const fuel = parseInteger(options.fuel ?? '1000000000', '--fuel');
        const k = Number(parseInteger(options.k ?? '1', '--k'));
        const maxPrice = options['max-price'] !== undefined ? parseAmount(options['max-price'], '--max-price') : UNIT;
        const quote = await api.bourse('quote', [fuel.toString(), k, maxPrice.toString(), String(options['min-rep'] ?? 0), Number(options.memory ?? 64), signer.address]);
        console.log(quote.assignable ? 'would be assigned now' : 'would wait in the queue (not enough eligible providers free)');
        for (const c of quote.candidates) console.log(`  candidate ${c.provider} at ${formatAmount(c.pricePerMfuel)}/Mfuel`);
        console.log(`holds ${quote.escrow ? formatAmount(quote.escrow) : 'more than a balance can hold'}${quote.assignable && quote.maxCost ? `; costs at most ${formatAmount(quote.maxCost)} at these providers' prices` : ''}; timeout at least ${quote.minTimeout} blocks`);
        const perByte = api.consts.tasks.taskDepositPerByte.toBigInt();
        console.log(`storage deposit ${formatAmount(taskDeposit(api, 0, k))} + ${formatAmount(perByte)} per input byte while open, returned when pruned; queue rent at least ${formatAmount(api.consts.tasks.minQueueRent.toBigInt())} per block waited`);
        return 0;
      }
      case 'provider': {
        if (!operator) {
          if (!sub) throw new UserError('provider: which account? (provider <account>)');
          const view = await api.bourse('provider', [sub]);
          if (view === null) throw new UserError(`${sub} is not a provider`);
          console.log(JSON.stringify(view, null, 2));
          if (view.pausedSince !== null) {
            console.log(`offer paused since block ${view.pausedSince} for missed tasks: not drawn until resumed (bourse provider resume, or its node by itself once running with a sandbox, after a delay)`);
          }
          const keys = await api.query.offers.encryptionKeys(sub);
          if (keys.isNone) {
            console.log('no encryption key published (its node publishes one at its next block)');
          } else {
            const { current, previous } = keys.unwrap();
            const now = (await api.rpc.chain.getHeader()).number.toNumber();
            const live = previous.isSome && previous.unwrap()[1].toNumber() > now;
            const before = live ? `; the previous ${previous.unwrap()[0].key.toHex()} usable until block ${previous.unwrap()[1]}` : '';
            console.log(`encryption key ${current.key.toHex()} (signed at block ${current.signedAt})${before}`);
          }
          return 0;
        }
        const need = (name) => {
          if (options[name] === undefined || options[name] === true) throw new UserError(`provider ${sub}: --${name} is required`);
          return options[name];
        };
        if (sub === 'limit') return await limitOffer(api, provider, signer, options.provider ?? signer.address, Number(parseInteger(need('slots'), '--slots')));
        // A key to bind, with its proof of possession: given, or made by the node at --url.
        const bindable = async () => {
          if (options.executor !== undefined || options.proof !== undefined) return { executor: need('executor'), proof: need('proof') };
          try {
            return await nodeExecutorKey(api, provider, signer.address);
          } catch (error) {
            throw new UserError(`provider ${sub}: the node could not make an executor key (${error.message}); run this against the provider's own node, or pass --executor and --proof`);
          }
        };
        const key = ['register', 'rotate-key'].includes(sub) ? await bindable() : undefined;
        if (key) console.log(`executor key ${key.executor}`);
        const calls = {
          register: () => api.tx.offers.registerProvider(parseAmount(need('bond'), '--bond'), key.executor, key.proof),
          offer: () => api.tx.offers.setOffer(parseAmount(need('price'), '--price'), parseInteger(need('max-fuel'), '--max-fuel'), Number(parseInteger(need('max-memory'), '--max-memory')), Number(parseInteger(need('slots'), '--slots')), options.expires ? Number(parseInteger(options.expires, '--expires')) : null),
          'rotate-key': () => api.tx.offers.rotateExecutor(key.executor, key.proof),
          resume: () => api.tx.offers.resumeOffer(),
          'revoke-keys': () => api.tx.offers.revokeEncryptionKeys(options.freeze === true),
          leave: () => api.tx.offers.unregisterProvider(),
          withdraw: () => api.tx.offers.withdrawBond(),
        };
        const { events } = await send(api, calls[sub](), signer, `provider ${sub}`);
        for (const { event } of events) if (event.section === 'offers') console.log(`${event.method} ${JSON.stringify(event.data.toHuman())}`);
        return 0;
      }
      default: return 1;
    }
  } finally {
    await api.disconnect();
  }
}

// @polkadot/api logs RPC failures itself; the CLI reports each failure once, in its own words.
const report = (line) => process.stderr.write(`${line}\n`);
console.error = () => {};
console.warn = () => {};

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    report(`bourse: ${error instanceof UserError ? error.message : error.message ?? error}`);
    process.exit(1);
  },
);
