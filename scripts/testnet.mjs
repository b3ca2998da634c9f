#!/usr/bin/env node
// A local multi-validator Bourse testnet on loopback, every validator also a provider.
// `node scripts/testnet.mjs --help` for the commands.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  endpoints, loadPlan, nodeStatus, planTestnet, savePlan, running, startPlannedNode, SEEDS, waitUntilFinalizing,
} from './lib/testnet.mjs';
import { parseArgs } from './lib/args.mjs';
import { connect } from './lib/chain.mjs';

const HELP = `testnet — a local Bourse testnet of validators that are also providers

usage: node scripts/testnet.mjs <command> [options]

  start [--validators N] [--fresh]   start N validators (default 4, at most 6) of --chain local
                                     (resumes the chain in --dir if one is there; --fresh
                                     wipes it first); returns once all are connected and
                                     finalizing, and prints their endpoints
  status                             best and finalized block, peers, of every node
  stop [--purge]                     stop every node (SIGINT, then SIGKILL after 15 s);
                                     --purge deletes the chain data too
  forks [--minutes M]                watch every node for M minutes (default 10): heights
                                     with more than one block (BABE forks), blocks whose
                                     author also authored the parent (no draws), best-chain
                                     reorganizations per node, finality lag

options:
  --dir <folder>                     where chain spec, keys, chain data and logs live
                                     (default: .testnet in the repository)

Node i listens on p2p 30333+i, RPC (WebSocket and HTTP) 9944+i and Prometheus 9615+i, all on
127.0.0.1. The first node is the bootnode of the others. Logs: <dir>/<name>.log.`;

const ROOT = join(import.meta.dirname, '..');

async function start(dir, options) {
  let plan = loadPlan(dir);
  if (plan?.nodes.some(running)) {
    throw new Error(`a testnet is already running in ${dir}: 'stop' it first`);
  }
  const validators = options.validators === undefined ? undefined : Number(options.validators);
  if (validators !== undefined && !(Number.isInteger(validators) && validators >= 1 && validators <= SEEDS.length)) {
    throw new Error(`--validators must be 1 to ${SEEDS.length} (one per dev seed), not '${options.validators}'`);
  }
  if (options.fresh || (plan && validators !== undefined && validators !== plan.nodes.length)) {
    rmSync(dir, { recursive: true, force: true });
    plan = null;
  }
  if (!plan) {
    console.log(`planning a ${validators ?? 4}-validator testnet in ${dir}`);
    plan = await planTestnet({ dir, validators: validators ?? 4 });
  } else {
    console.log(`resuming the ${plan.nodes.length}-validator testnet in ${dir}`);
  }
  const started = Date.now();
  for (const node of plan.nodes) {
    startPlannedNode(plan, node, { detached: true });
    console.log(`started ${node.name} (pid ${node.pid}), log ${node.logFile}`);
  }
  savePlan(plan);
  try {
    await waitUntilFinalizing(plan.nodes, { progress: (line) => console.log(`  waiting: ${line}`) });
  } catch (error) {
    error.message += `\n(nodes still running are left as they are: 'node scripts/testnet.mjs stop${options.dir ? ` --dir ${options.dir}` : ''}' stops them)`;
    throw error;
  }
  console.log(`all ${plan.nodes.length} validators connected and finalizing after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  for (const node of plan.nodes) {
    const e = endpoints(node);
    console.log(`${node.name.padEnd(8)} ${e.ws}  p2p ${e.p2p}  metrics ${e.prometheus}`);
  }
  const first = encodeURIComponent(endpoints(plan.nodes[0]).ws);
  console.log(`\npolkadot.js apps: https://polkadot.js.org/apps/?rpc=${first}`);
  console.log(`CLI:              node scripts/bourse.mjs offers --url ${endpoints(plan.nodes[0]).ws}`);
  console.log('stop:             node scripts/testnet.mjs stop');
}

async function status(dir) {
  const plan = loadPlan(dir);
  if (!plan) throw new Error(`no testnet in ${dir}: 'start' one`);
  const statuses = await Promise.all(plan.nodes.map(nodeStatus));
  plan.nodes.forEach((node, i) => {
    const s = statuses[i];
    const state = s ? `best #${s.best}, finalized #${s.finalized}, ${s.peers} peers${s.syncing ? ', syncing' : ''}` : 'not answering';
    console.log(`${node.name.padEnd(8)} ${running(node) ? `pid ${node.pid}` : 'stopped'.padEnd(9)}  ${endpoints(node).ws}  ${state}`);
  });
  if (statuses.some((s) => !s)) process.exitCode = 1;
}

async function stop(dir, options) {
  const plan = loadPlan(dir);
  if (!plan) throw new Error(`no testnet in ${dir}`);
  const nodes = plan.nodes.filter(running);
  const signal = (node, name) => {
    try {
      process.kill(node.pid, name);
    } catch {
      // exited meanwhile
    }
  };
  for (const node of nodes) signal(node, 'SIGINT');
  const end = Date.now() + 15_000;
  while (nodes.some(running) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
  for (const node of nodes.filter(running)) signal(node, 'SIGKILL');
  console.log(`stopped ${nodes.length} node(s)`);
  if (options.purge) {
    rmSync(dir, { recursive: true, force: true });
    console.log(`deleted ${dir}`);
  } else {
    for (const node of plan.nodes) delete node.pid;
    savePlan(plan);
  }
}

async function forks(dir, options) {
  const plan = loadPlan(dir);
  if (!plan?.nodes.some(running)) throw new Error(`no running testnet in ${dir}: 'start' one`);
  const minutes = options.minutes === undefined ? 10 : Number(options.minutes);
  if (!(minutes > 0)) throw new Error(`--minutes must be a positive number, not '${options.minutes}'`);
  const apis = await Promise.all(plan.nodes.filter(running).map((node) => connect(endpoints(node).ws)));
  const heights = new Map(); // height → hashes imported anywhere
  const reorgs = apis.map(() => 0);
  const lags = [];
  const unsubs = await Promise.all(apis.flatMap((api, i) => {
    let best;
    return [
      api.rpc.chain.subscribeAllHeads((header) => {
        const n = header.number.toNumber();
        if (!heights.has(n)) heights.set(n, new Set());
        heights.get(n).add(header.hash.toHex());
      }),
      // A new best block that does not extend the previous best is a reorganization.
      api.rpc.chain.subscribeNewHeads(async (header) => {
        if (best && !header.parentHash.eq(best)) reorgs[i] += 1;
        best = header.hash;
        if (i === 0) {
          const finalized = await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead());
          lags.push(header.number.toNumber() - finalized.number.toNumber());
        }
      }),
    ];
  }));
  const report = (label) => {
    const forked = [...heights.values()].filter((hashes) => hashes.size > 1).length;
    const sorted = [...lags].sort((a, b) => a - b);
    const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
    console.log(`${label}: ${forked} of ${heights.size} heights had more than one block `
      + `(${((100 * forked) / Math.max(1, heights.size)).toFixed(1)} %); best-chain reorganizations per node `
      + `${reorgs.join(', ')}; finality lag median ${median} blocks (max ${Math.max(0, ...lags)})`);
  };
  const started = Date.now();
  const first = (await apis[0].rpc.chain.getHeader(await apis[0].rpc.chain.getFinalizedHead())).number.toNumber();
  for (let minute = 1; minute <= Math.ceil(minutes); minute += 1) {
    await new Promise((r) => setTimeout(r, Math.min(60_000, started + minutes * 60_000 - Date.now())));
    report(`after ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  }
  unsubs.forEach((u) => u());
  await sameAuthors(apis[0], first);
  await Promise.all(apis.map((api) => api.disconnect()));
}

/** The BABE authority index of `header`'s author, from its pre-runtime digest. */
function babeAuthor(api, header) {
  const log = header.digest.logs.find((item) => item.isPreRuntime && item.asPreRuntime[0].toString() === 'BABE');
  if (!log) return undefined;
  const digest = api.registry.createType('RawBabePreDigest', log.asPreRuntime[1]);
  return digest.value.authorityIndex.toNumber();
}

/**
 * Reports, over the finalized chain since block `from`, the blocks whose author also authored
 * the parent: they draw no assignments (the tasks pallet's `may_draw`), so a task submitted
 * before one waits a block more.
 */
async function sameAuthors(api, from) {
  const head = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
  let previous;
  let same = 0;
  let counted = 0;
  for (let n = Math.max(1, from); n <= head; n += 1) {
    const author = babeAuthor(api, await api.rpc.chain.getHeader(await api.rpc.chain.getBlockHash(n)));
    if (previous !== undefined && author !== undefined) {
      counted += 1;
      if (author === previous) same += 1;
    }
    previous = author;
  }
  console.log(`finalized blocks ${from}..${head}: ${same} of ${counted} had the author of their parent `
    + `(${((100 * same) / Math.max(1, counted)).toFixed(1)} %): those blocks draw no assignments`);
}

const { positional, options } = parseArgs(process.argv.slice(2));
const dir = options.dir ? String(options.dir) : join(ROOT, '.testnet');
const commands = { start, status, stop, forks };
const command = commands[positional[0]];
if (!command || options.help) {
  console.log(HELP);
  process.exit(command || options.help ? 0 : 1);
}
try {
  await command(dir, options);
} catch (error) {
  console.error(`testnet ${positional[0]}: ${error.message}`);
  process.exit(1);
}
