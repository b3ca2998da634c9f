#!/usr/bin/env node
// Throughput on one dev node: succeeded `submit_task` per block against succeeded
// `transfer_keep_alive` per block, measured in the same run, from pre-signed transactions of
// many accounts. A call counts when its block's events say it succeeded (`ExtrinsicSuccess`):
// a failed call fills a block too, but gives its user nothing.
//
//   node scripts/bench-throughput.mjs [--accounts 3000] [--url ws://127.0.0.1:9944]
//
// Setup: Alice funds the bench accounts; a few of them become providers with many slots (their
// executor keys are nowhere, so tasks just stay assigned: this measures inclusion, not execution).
// Then every account sends one transfer, all at once; then every account submits one task, all
// at once. Per phase it prints, for each block, the extrinsics of that kind that succeeded and
// those included, and the median of succeeded ones over the full blocks (the last, partial block
// left out).
import { readFileSync } from 'node:fs';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { stringToU8a, u8aToHex } from '@polkadot/util';
import { parseArgs, withDefaults } from './lib/args.mjs';
import {
  connectWithProvider, ensureWorkload, openAnswer, send, showAuditCoin, submitJob, submitTask, UNIT, UserError,
} from './lib/chain.mjs';
import { workloadPath } from './lib/node.mjs';
import { possessionProof } from './lib/attestation.mjs';
import { replyKeyPair } from './lib/reply.mjs';

const HELP = `bench-throughput — succeeded submit_task against transfer_keep_alive per block, on one dev node

usage: node scripts/bench-throughput.mjs [--accounts 3000] [--sustained SECS [--per-block 16]]
                                       [--url ws://127.0.0.1:9944]

  --accounts N                       bench accounts funded by Alice (default 3000): the first 15
                                     become providers, every other one sends one transfer, and
                                     up to 480 of them submit one task
  --sustained SECS                   instead of the burst of tasks: Alice (whose node runs tasks)
                                     offers all the slots an offer may have, and every block for
                                     SECS seconds gets --per-block k = 1 tasks, each from another
                                     account; then it reports tasks completed (delivered or
                                     completed, from events) per block at steady state, beside the
                                     transfers per block of the same run. No bench providers.
  --sustained-jobs                   with --sustained: every block one job of --per-block tiles
                                     from a fresh account, which accepts each tile's answer once
                                     held and opened (as bourse job submit --watch does)
  --jobs N [--job-tiles T]           after the burst of tasks, N more accounts each submit one
                                     job of T k = 1 tiles (default 256), all at once; it prints
                                     the tasks carried per block by succeeded jobs (from their
                                     JobSubmitted events) and their ratio to transfers
  --url ws://host:port               the node (default ws://127.0.0.1:9944)`;

/** Events of `section` named in `methods` in block `hash`, counted by name. */
async function countEvents(api, hash, section, methods) {
  const counts = Object.fromEntries(methods.map((m) => [m, 0]));
  for (const { event } of await api.query.system.events.at(hash)) {
    if (event.section === section && event.method in counts) counts[event.method] += 1;
  }
  return counts;
}

/**
 * Shows each task's audit coin, as its requester would, once the block holding its answer is
 * final (an unshown coin always audits: on a one-provider dev chain no auditor can be drawn,
 * and the answer waits three windows before it is delivered unverified). Returns a function
 * that stops it and resolves when the blocks it was given are done.
 */
async function showCoins(api, raw, owners, sign, from) {
  const taskOwner = new Map();
  let done = from - 1;
  let work = Promise.resolve();
  const processUpTo = async (top) => {
    for (; done < top; done += 1) {
      const events = await api.query.system.events.at(await api.rpc.chain.getBlockHash(done + 1));
      for (const { event } of events) {
        if (event.section !== 'tasks') continue;
        if (event.method === 'TaskSubmitted') taskOwner.set(event.data[0].toString(), event.data[1].toString());
        if (event.method === 'AnswerHeld') {
          const owner = owners.get(taskOwner.get(event.data[0].toString()));
          if (owner) await raw.send('author_submitExtrinsic', [sign(showAuditCoin(api, event.data[0], owner.secret), owner.pair, 2)]);
        }
      }
    }
  };
  const unsubscribe = await api.rpc.chain.subscribeFinalizedHeads((header) => {
    work = work.then(() => processUpTo(header.number.toNumber()));
  });
  return async () => {
    unsubscribe();
    await work;
  };
}

/**
 * Sustained load: every new block, `perBlock` k = 1 tasks from fresh accounts (their nonce 1)
 * for `secs` seconds, each account showing its audit coin once the answer is final (nonce 2);
 * then waits for them to settle and returns, per block, tasks submitted, completed
 * (`TaskDelivered` or `TaskCompleted`) and failed.
 */
async function sustainedLoad(api, raw, { alice, requesters, workload, secs, perBlock, sign }) {
  const slots = api.consts.offers.maxSlots.toNumber();
  await send(api, api.tx.offers.setOffer(UNIT / 1_000n, 10_000_000_000n, 512, slots, null), alice, 'set_offer');
  const { replyKey } = replyKeyPair();
  const task = { workload, input: stringToU8a('10\nbench'), fuel: 1_000_000n, memoryMib: 16, maxPrice: UNIT / 1_000n, timeout: 20, replyKey };
  const owners = new Map(requesters.map((pair, i) => [pair.address, { pair, secret: blake2AsU8a(`bench-coin-${i}`) }]));
  const from = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
  const stopCoins = await showCoins(api, raw, owners, sign, from);
  let next = 0;
  let fedUntil = from;
  const end = Date.now() + secs * 1_000;
  await new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    api.rpc.chain.subscribeNewHeads(async (header) => {
      if (Date.now() >= end || next + perBlock > requesters.length) {
        unsubscribe();
        resolve();
        return;
      }
      const batch = requesters.slice(next, next + perBlock)
        .map((pair) => sign(submitTask(api, { ...task, auditSecret: owners.get(pair.address).secret }), pair, 1));
      next += perBlock;
      fedUntil = header.number.toNumber() + 1;
      try {
        await Promise.all(batch.map((hex) => raw.send('author_submitExtrinsic', [hex])));
      } catch (error) {
        unsubscribe();
        reject(error);
      }
      process.stderr.write(`\rsustained: ${next} tasks sent, block #${header.number.toNumber()}   `);
    }).then((u) => { unsubscribe = u; }, reject);
  });
  process.stderr.write('\n');
  // Let the last ones run, be held their verification window, and settle.
  const window = api.consts.tasks.verificationWindow.toNumber();
  const until = fedUntil + task.timeout + window + 5;
  const blocks = [];
  for (let n = from; n <= until; n += 1) {
    while ((await api.rpc.chain.getHeader()).number.toNumber() < n) await new Promise((r) => setTimeout(r, 1_000));
    const hash = await api.rpc.chain.getBlockHash(n);
    const counts = await countEvents(api, hash, 'tasks', ['TaskSubmitted', 'TaskDelivered', 'TaskCompleted', 'TaskFailed']);
    blocks.push({ block: n, submitted: counts.TaskSubmitted, completed: counts.TaskDelivered + counts.TaskCompleted, failed: counts.TaskFailed, ...await loneAnswers(api, hash) });
    process.stderr.write(`\rsustained: settling, block #${n} of #${until}   `);
  }
  process.stderr.write('\n');
  await stopCoins();
  return { blocks, sent: next, fedUntil, window };
}

/**
 * A burst of jobs: `jobs` accounts (funded by Alice for their tiles' deposits) each submit one
 * job of `jobTiles` k = 1 sha256 tiles, all at once. Prints, per block, the jobs that succeeded
 * and the tiles (tasks) they carried; returns the median of tiles per full block.
 */
async function jobBurst(api, raw, { alice, workload, jobs, jobTiles, sign }) {
  const keyring = new Keyring({ type: 'sr25519' });
  const owners = Array.from({ length: jobs }, (_, i) => keyring.addFromUri(`//bench-job//${i}`));
  // A lone tile's deposit reserves its largest sealed output (about 0.68 BRS) until pruned.
  const perJob = BigInt(jobTiles) * UNIT + 10n * UNIT;
  let nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  const funding = owners.map((pair) => sign(api.tx.balances.transferKeepAlive(pair.address, perJob), alice, nonce++));
  const f0 = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
  await submitAll(raw, funding, 'funding the job requesters');
  await countPerBlock(api, f0, 'balances', 'transferKeepAlive', funding.length);
  const longest = api.consts.tasks.maxTimeout.toNumber();
  const signed = owners.map((pair, j) => {
    const inputs = Array.from({ length: jobTiles }, (_, i) => `10\nbench ${j} ${i}`);
    const { tx } = submitJob(api, { workload, inputs, fuel: 1_000_000n, memoryMib: 16, maxPrice: UNIT / 1_000n, timeout: 100, maxWait: longest });
    process.stderr.write(`\rsigning jobs: ${j + 1}/${jobs}   `);
    return sign(tx, pair, 0);
  });
  process.stderr.write('\n');
  const tilesOf = (events, index) => events
    .filter(({ phase, event }) => phase.isApplyExtrinsic && phase.asApplyExtrinsic.toNumber() === index && api.events.tasks.JobSubmitted.is(event))
    .reduce((sum, { event }) => sum + event.data.tiles.toNumber(), 0);
  const j0 = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
  await submitAll(raw, signed, 'submit_job');
  const blocks = await countPerBlock(api, j0, 'tasks', 'submitJob', signed.length, 300_000, tilesOf);
  const full = blocks.length > 1 ? blocks.slice(0, -1) : blocks;
  const tilesPerBlock = median(full.map((b) => b.given));
  console.log(`submit_job of ${jobTiles} tiles per block: ${blocks.map((b) => `#${b.block}:${b.ok}/${b.n} jobs, ${b.given} tasks (${b.full}% of normal weight)`).join(' ')} → median ${tilesPerBlock} tasks in succeeded jobs`);
  if (blocks.length === 1) console.log(`note: all ${jobs} jobs fit in one block; the figure is a lower bound of what a block carries — run with more --jobs (at most the job queue's ${api.consts.tasks.maxQueuedJobs.toNumber()} places)`);
  return tilesPerBlock;
}

/**
 * Sustained load of jobs: every new block for `secs` seconds, one fresh account submits a job of
 * `perBlock` k = 1 tiles (nonce 1), and accepts each tile's answer once it is held, its box
 * opened (as `bourse job submit --watch` does; final at once, no audit). Then waits for them to
 * settle and returns, per block, tiles submitted (from `JobSubmitted`), completed and failed.
 */
async function sustainedJobs(api, raw, { alice, requesters, workload, secs, perBlock, sign }) {
  const slots = api.consts.offers.maxSlots.toNumber();
  await send(api, api.tx.offers.setOffer(UNIT / 1_000n, 10_000_000_000n, 512, slots, null), alice, 'set_offer');
  const longest = api.consts.tasks.maxTimeout.toNumber();
  // A lone tile's deposit reserves its largest sealed output (about 0.68 BRS) until pruned: the
  // job's requesters get a BRS per tile more.
  const feeders = requesters.slice(0, Math.ceil(secs / 2) + 10);
  let aliceNonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  const topUps = feeders.map((pair) => sign(api.tx.balances.transferKeepAlive(pair.address, BigInt(perBlock) * UNIT), alice, aliceNonce++));
  const f0 = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
  await submitAll(raw, topUps, 'funding the job requesters');
  await countPerBlock(api, f0, 'balances', 'transferKeepAlive', topUps.length);
  const from = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
  const secrets = new Map();
  const owners = new Map();
  const nonces = new Map();
  let next = 0;
  let fedUntil = from;
  const end = Date.now() + secs * 1_000;
  // Accept each held tile of ours, its box opened; read from every block's events in order.
  let done = from - 1;
  let work = Promise.resolve();
  const accept = async (top) => {
    for (; done < top; done += 1) {
      const events = await api.query.system.events.at(await api.rpc.chain.getBlockHash(done + 1));
      for (const { event } of events) {
        if (!api.events.tasks.AnswerHeld.is(event)) continue;
        const id = event.data.taskId.toNumber();
        const owner = owners.get(id);
        if (!owner) continue;
        const opened = await openAnswer(api, id, secrets.get(id));
        if (!opened.committed) continue;
        const nonce = nonces.get(owner.address);
        nonces.set(owner.address, nonce + 1);
        await raw.send('author_submitExtrinsic', [sign(api.tx.tasks.acceptAnswer(id), owner, nonce)]);
      }
    }
  };
  const unsubscribeHeads = await api.rpc.chain.subscribeNewHeads((header) => {
    work = work.then(() => accept(header.number.toNumber())).catch((error) => process.stderr.write(`\naccept: ${error.message}\n`));
  });
  await new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    api.rpc.chain.subscribeNewHeads(async (header) => {
      if (Date.now() >= end || next >= feeders.length) {
        unsubscribe();
        resolve();
        return;
      }
      const pair = feeders[next];
      next += 1;
      const inputs = Array.from({ length: perBlock }, (_, i) => `10\nbench ${next} ${i}`);
      const job = submitJob(api, { workload, inputs, fuel: 1_000_000n, memoryMib: 16, maxPrice: UNIT / 1_000n, timeout: 20, maxWait: longest });
      fedUntil = header.number.toNumber() + 1;
      try {
        // Nonce 0 went to its transfer.
        await raw.send('author_submitExtrinsic', [sign(job.tx, pair, 1)]);
        nonces.set(pair.address, 2);
        // Its tiles' ids are known once it is in a block: the job's first task.
        const first = await firstTaskOf(api, pair.address, header.number.toNumber() + 1);
        if (first === undefined) process.stderr.write(`\nthe job of ${pair.address} did not succeed\n`);
        else job.tiles.forEach((tile, i) => { secrets.set(first + i, tile.secret); owners.set(first + i, pair); });
      } catch (error) {
        unsubscribe();
        reject(error);
      }
      process.stderr.write(`\rsustained jobs: ${next} jobs sent, block #${header.number.toNumber()}   `);
    }).then((u) => { unsubscribe = u; }, reject);
  });
  process.stderr.write('\n');
  const window = api.consts.tasks.verificationWindow.toNumber();
  const until = fedUntil + 20 + window + 5;
  const blocks = [];
  for (let n = from; n <= until; n += 1) {
    while ((await api.rpc.chain.getHeader()).number.toNumber() < n) await new Promise((r) => setTimeout(r, 1_000));
    const hash = await api.rpc.chain.getBlockHash(n);
    const events = await api.query.system.events.at(hash);
    const count = (method) => events.filter(({ event }) => event.section === 'tasks' && event.method === method).length;
    const submitted = events.filter(({ event }) => api.events.tasks.JobSubmitted.is(event)).reduce((sum, { event }) => sum + event.data.tiles.toNumber(), 0);
    blocks.push({ block: n, submitted, completed: count('TaskDelivered') + count('TaskCompleted'), failed: count('TaskFailed'), ...await loneAnswers(api, hash) });
    process.stderr.write(`\rsustained jobs: settling, block #${n} of #${until}   `);
  }
  process.stderr.write('\n');
  unsubscribeHeads();
  await work;
  return { blocks, sent: next * perBlock, fedUntil, window };
}

/** The lone answers of the block at `hash`: how many counted (`Answered` events) and how many
 * transactions carried them (`attestation.answer` and `attestation.answerMany`). */
async function loneAnswers(api, hash) {
  const [events, block] = await Promise.all([api.query.system.events.at(hash), api.rpc.chain.getBlock(hash)]);
  const answers = events.filter(({ event }) => api.events.attestation.Answered.is(event)).length;
  const answerTxs = block.block.extrinsics
    .filter(({ method }) => method.section === 'attestation' && ['answer', 'answerMany'].includes(method.method)).length;
  return { answers, answerTxs };
}

/** The first task of the job `who` submitted, found in block `from` or the few after it. */
async function firstTaskOf(api, who, from) {
  for (let n = from; n < from + 10; n += 1) {
    while ((await api.rpc.chain.getHeader()).number.toNumber() < n) await new Promise((r) => setTimeout(r, 250));
    for (const { event } of await api.query.system.events.at(await api.rpc.chain.getBlockHash(n))) {
      if (api.events.tasks.JobSubmitted.is(event) && event.data.requester.toString() === who) return event.data.firstTask.toNumber();
    }
  }
  return undefined;
}

/** Sends raw signed transactions without subscriptions; resolves when all are accepted. */
async function submitAll(raw, hexes, what) {
  let done = 0;
  const batch = 200;
  for (let i = 0; i < hexes.length; i += batch) {
    await Promise.all(hexes.slice(i, i + batch).map((hex) => raw.send('author_submitExtrinsic', [hex])));
    done += Math.min(batch, hexes.length - i);
    process.stderr.write(`\r${what}: ${done}/${hexes.length} in the pool   `);
  }
  process.stderr.write('\n');
}

/**
 * Counts `section.method` extrinsics per block from `fromBlock` until `total` are included:
 * `n` included, `ok` succeeded (an `ExtrinsicSuccess` event in their phase).
 */
async function countPerBlock(api, fromBlock, section, method, total, timeoutMs = 300_000, units = () => 1) {
  const counts = [];
  let seen = 0;
  let next = fromBlock;
  const end = Date.now() + timeoutMs;
  while (seen < total) {
    if (Date.now() > end) throw new UserError(`only ${seen}/${total} ${section}.${method} included in time`);
    const best = (await api.rpc.chain.getHeader()).number.toNumber();
    while (next <= best && seen < total) {
      const hash = await api.rpc.chain.getBlockHash(next);
      const block = await api.rpc.chain.getBlock(hash);
      const indices = block.block.extrinsics
        .map((x, i) => (x.method.section === section && x.method.method === method ? i : -1))
        .filter((i) => i >= 0);
      const n = indices.length;
      if (n > 0 || counts.length > 0) {
        const events = await api.query.system.events.at(hash);
        const succeeded = new Set(events
          .filter(({ phase, event }) => phase.isApplyExtrinsic && event.section === 'system' && event.method === 'ExtrinsicSuccess')
          .map(({ phase }) => phase.asApplyExtrinsic.toNumber()));
        const ok = indices.filter((i) => succeeded.has(i)).length;
        // What the succeeded ones gave their users (a job: its tiles).
        const given = indices.filter((i) => succeeded.has(i)).reduce((sum, i) => sum + units(events, i), 0);
        // How full the block is by weight tells whether weight or time (or arrival) bound it.
        const used = (await api.query.system.blockWeight.at(hash)).normal.refTime.toBigInt();
        counts.push({ block: next, n, ok, given, full: Number((used * 1000n) / maxNormal(api)) / 10 });
      }
      seen += n;
      next += 1;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return counts;
}

/** The most ref time normal extrinsics may use in a block, in picoseconds. */
function maxNormal(api) {
  const { normal } = api.consts.system.blockWeights.perClass;
  return (normal.maxTotal.isSome ? normal.maxTotal.unwrap() : api.consts.system.blockWeights.maxBlock).refTime.toBigInt();
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
}

async function main(argv) {
  const { options } = parseArgs(argv);
  if (options.help) {
    console.log(HELP);
    return 0;
  }
  const args = withDefaults(options, { accounts: '3000', url: 'ws://127.0.0.1:9944', sustained: '0', 'per-block': '16', jobs: '0', 'job-tiles': '256' });
  const jobs = Number(args.jobs);
  const jobTiles = Number(args['job-tiles']);
  const secs = Number(args.sustained);
  const accounts = Number(args.accounts);
  await cryptoWaitReady();
  // The provider too: the pre-signed transactions go to the pool as raw JSON-RPC calls.
  const { api, provider: raw } = await connectWithProvider(args.url);
  try {
    const keyring = new Keyring({ type: 'sr25519' });
    const alice = keyring.addFromUri('//Alice');
    const bob = keyring.addFromUri('//Bob');
    const bench = Array.from({ length: accounts }, (_, i) => keyring.addFromUri(`//bench//${i}`));
    const genesis = api.genesisHash;
    const signing = { era: 0, blockHash: genesis, genesisHash: genesis, runtimeVersion: api.runtimeVersion, signedExtensions: api.registry.signedExtensions };
    const sign = (tx, pair, nonce) => tx.sign(pair, { ...signing, nonce }).toHex();

    // Fund every bench account (and a few providers) from Alice.
    const providers = 15;
    let nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
    const funding = bench.map((pair, i) => sign(api.tx.balances.transferKeepAlive(pair.address, (i < providers ? 2_000n : 10n) * UNIT), alice, nonce++));
    const start = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
    await submitAll(raw, funding, 'funding');
    await countPerBlock(api, start, 'balances', 'transferKeepAlive', accounts);

    const { hash: workload } = await ensureWorkload(api, readFileSync(workloadPath('sha256.wasm')), bob);
    const requesters = bench.slice(providers);
    const transfers = requesters.map((pair) => sign(api.tx.balances.transferKeepAlive(bob.address, UNIT / 100n), pair, 0));
    const t0 = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
    await submitAll(raw, transfers, 'transfer_keep_alive');
    const transferBlocks = await countPerBlock(api, t0, 'balances', 'transferKeepAlive', transfers.length);
    const full = (blocks) => (blocks.length > 1 ? blocks.slice(0, -1) : blocks).map((b) => b.ok);
    const transfersPerBlock = median(full(transferBlocks));
    const show = (blocks) => blocks.map((b) => `#${b.block}:${b.ok}/${b.n} (${b.full}% of normal weight)`).join(' ');
    const failed = (blocks) => blocks.reduce((sum, b) => sum + b.n - b.ok, 0);
    console.log('per block: succeeded/included');
    console.log(`transfer_keep_alive per block: ${show(transferBlocks)} → median ${transfersPerBlock} succeeded (${failed(transferBlocks)} failed)`);
    if (transferBlocks.length === 1) console.log(`note: all ${transfers.length} transfers fit in one block; the ratio is an upper bound — run with more --accounts`);

    if (secs > 0) {
      const perBlock = Number(args['per-block']);
      const load = options['sustained-jobs'] ? sustainedJobs : sustainedLoad;
      const { blocks, sent, fedUntil, window } = await load(api, raw, { alice, requesters, workload, secs, perBlock, sign });
      // Steady state: as many blocks as were fed, from the first completion (the pipeline full:
      // assigned, answered, its coin shown once final). Completions come in waves (a provider
      // answers every other block), so the rate is the mean over those blocks.
      const fed = blocks.filter((b) => b.block <= fedUntil).length;
      const first = blocks.findIndex((b) => b.completed > 0);
      const steady = first < 0 ? [] : blocks.slice(first, first + fed);
      const completedPerBlock = steady.reduce((sum, b) => sum + b.completed, 0) / Math.max(steady.length, 1);
      const total = (key) => blocks.reduce((sum, b) => sum + b[key], 0);
      console.log(`sustained k = 1 ${options['sustained-jobs'] ? 'jobs' : 'tasks'} (${perBlock} tasks a block for ${secs} s, ${sent} sent): #block:submitted/completed/failed`);
      console.log(blocks.map((b) => `#${b.block}:${b.submitted}/${b.completed}/${b.failed}`).join(' '));
      console.log(`submitted ${total('submitted')}, completed ${total('completed')}, failed ${total('failed')} (the rest still open after ${window} blocks of window)`);
      console.log(`completed per block at steady state (#${steady[0]?.block ?? '-'}..#${steady.at(-1)?.block ?? '-'}, ${steady.length} blocks): mean ${completedPerBlock.toFixed(1)}`);
      console.log(`ratio of completed k = 1 tasks / transfer_keep_alive per block: ${(completedPerBlock / transfersPerBlock).toFixed(4)}`);
      const [answers, answerTxs] = [total('answers'), total('answerTxs')];
      console.log(`lone answers: ${answers} counted, in ${answerTxs} transactions (${(answers / Math.max(answerTxs, 1)).toFixed(1)} per transaction)`);
      return 0;
    }

    // Providers with 16 slots each: 240 slots, above what one block of tasks needs.
    const setup = [];
    for (let i = 0; i < providers; i += 1) {
      const pair = keyring.addFromUri(`//bench-executor//${i}`);
      const proof = await possessionProof(api, pair, bench[i].address);
      setup.push(sign(api.tx.offers.registerProvider(1_000n * UNIT, u8aToHex(pair.publicKey), proof), bench[i], 0));
      setup.push(sign(api.tx.offers.setOffer(UNIT / 1_000n, 10_000_000_000n, 64, 16, null), bench[i], 1));
    }
    const setupStart = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
    await submitAll(raw, setup, 'providers');
    await countPerBlock(api, setupStart, 'offers', 'setOffer', providers);

    // As many tasks as slots and queue can take (240 + 256), so every one is a real submission.
    // One reply key for all: the bench never reads its outputs.
    const task = { workload, input: stringToU8a('10\nbench'), fuel: 1_000_000n, memoryMib: 16, maxPrice: UNIT / 1_000n, timeout: 100, replyKey: replyKeyPair().replyKey };
    const tasks = requesters.slice(0, 480).map((pair) => sign(submitTask(api, task), pair, 1));

    const t1 = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
    await submitAll(raw, tasks, 'submit_task');
    const taskBlocks = await countPerBlock(api, t1, 'tasks', 'submitTask', tasks.length);

    const tasksPerBlock = median(full(taskBlocks));
    console.log(`submit_task per block:         ${show(taskBlocks)} → median ${tasksPerBlock} succeeded (${failed(taskBlocks)} failed)`);
    console.log(`ratio of succeeded submit_task / transfer_keep_alive: ${(tasksPerBlock / transfersPerBlock).toFixed(3)}`);
    if (jobs > 0) {
      const tilesPerBlock = await jobBurst(api, raw, { alice, workload, jobs, jobTiles, sign });
      console.log(`ratio of tasks submitted in succeeded jobs / transfer_keep_alive: ${(tilesPerBlock / transfersPerBlock).toFixed(3)}`);
    }
    return 0;
  } finally {
    await api.disconnect(); // and its provider
  }
}

console.error = () => {};
console.warn = () => {};
main(process.argv.slice(2)).then((code) => process.exit(code), (error) => {
  process.stderr.write(`\nbench-throughput: ${error instanceof UserError ? error.message : error.stack ?? error}\n`);
  process.exit(1);
});
