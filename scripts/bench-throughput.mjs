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
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { stringToU8a, u8aToHex } from '@polkadot/util';
import { parseArgs, withDefaults } from './lib/args.mjs';
import {
  connectWithProvider, ensureWorkload, submitTask, UNIT, UserError,
} from './lib/chain.mjs';
import { workloadPath } from './lib/node.mjs';
import { possessionProof } from './lib/attestation.mjs';
import { replyKeyPair } from './lib/reply.mjs';

const HELP = `bench-throughput — succeeded submit_task against transfer_keep_alive per block, on one dev node

usage: node scripts/bench-throughput.mjs [--accounts 3000] [--url ws://127.0.0.1:9944]

  --accounts N                       bench accounts funded by Alice (default 3000): the first 15
                                     become providers, every other one sends one transfer, and
                                     up to 480 of them submit one task
  --url ws://host:port               the node (default ws://127.0.0.1:9944)`;

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
async function countPerBlock(api, fromBlock, section, method, total, timeoutMs = 300_000) {
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
        // How full the block is by weight tells whether weight or time (or arrival) bound it.
        const used = (await api.query.system.blockWeight.at(hash)).normal.refTime.toBigInt();
        counts.push({ block: next, n, ok, full: Number((used * 1000n) / maxNormal(api)) / 10 });
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
  const args = withDefaults(options, { accounts: '3000', url: 'ws://127.0.0.1:9944' });
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

    // Providers with 16 slots each: 240 slots, above what one block of tasks needs.
    const setup = [];
    for (let i = 0; i < providers; i += 1) {
      const pair = keyring.addFromUri(`//bench-executor//${i}`);
      const proof = await possessionProof(api, pair, bench[i].address);
      setup.push(sign(api.tx.offers.registerProvider(1_000n * UNIT, u8aToHex(pair.publicKey), proof), bench[i], 0));
      setup.push(sign(api.tx.offers.setOffer(UNIT / 1_000n, 10_000_000_000n, 64, 16, null), bench[i], 1));
    }
    const { hash: workload } = await ensureWorkload(api, readFileSync(workloadPath('sha256.wasm')), bob);
    const setupStart = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
    await submitAll(raw, setup, 'providers');
    await countPerBlock(api, setupStart, 'offers', 'setOffer', providers);

    const requesters = bench.slice(providers);
    const transfers = requesters.map((pair) => sign(api.tx.balances.transferKeepAlive(bob.address, UNIT / 100n), pair, 0));
    // As many tasks as slots and queue can take (240 + 256), so every one is a real submission.
    // One reply key for all: the bench never reads its outputs.
    const task = { workload, input: stringToU8a('10\nbench'), fuel: 1_000_000n, memoryMib: 16, maxPrice: UNIT / 1_000n, timeout: 100, replyKey: replyKeyPair().replyKey };
    const tasks = requesters.slice(0, 480).map((pair) => sign(submitTask(api, task), pair, 1));

    const t0 = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
    await submitAll(raw, transfers, 'transfer_keep_alive');
    const transferBlocks = await countPerBlock(api, t0, 'balances', 'transferKeepAlive', transfers.length);
    const t1 = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
    await submitAll(raw, tasks, 'submit_task');
    const taskBlocks = await countPerBlock(api, t1, 'tasks', 'submitTask', tasks.length);

    const full = (blocks) => (blocks.length > 1 ? blocks.slice(0, -1) : blocks).map((b) => b.ok);
    const transfersPerBlock = median(full(transferBlocks));
    const tasksPerBlock = median(full(taskBlocks));
    const show = (blocks) => blocks.map((b) => `#${b.block}:${b.ok}/${b.n} (${b.full}% of normal weight)`).join(' ');
    const failed = (blocks) => blocks.reduce((sum, b) => sum + b.n - b.ok, 0);
    console.log('per block: succeeded/included');
    console.log(`transfer_keep_alive per block: ${show(transferBlocks)} → median ${transfersPerBlock} succeeded (${failed(transferBlocks)} failed)`);
    console.log(`submit_task per block:         ${show(taskBlocks)} → median ${tasksPerBlock} succeeded (${failed(taskBlocks)} failed)`);
    console.log(`ratio of succeeded submit_task / transfer_keep_alive: ${(tasksPerBlock / transfersPerBlock).toFixed(3)}`);
    if (transferBlocks.length === 1) console.log(`note: all ${transfers.length} transfers fit in one block; the ratio is an upper bound — run with more --accounts`);
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
