// A local testnet of Bourse validators on loopback, each also a provider (its `bour` executor
// key comes with its dev seed): the plan (chain spec, node keys, ports, base paths, logs, all in
// one folder), starting nodes attached (tests) or detached (`scripts/testnet.mjs`), readiness,
// status and stop. Plain processes; polling with deadlines, never fixed sleeps.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { freePorts, runNodeCommand, spawnNode, tail, waitFor } from './node.mjs';

/** The dev seeds a validator can have (`--alice` … `--ferdie`), in order. */
export const SEEDS = ['alice', 'bob', 'charlie', 'dave', 'eve', 'ferdie'];

/** The secret URI of a dev seed: `alice` → `//Alice`. */
export const seedUri = (name) => `//${name[0].toUpperCase()}${name.slice(1)}`;

/** Default ports of the first node; node i uses base + i. */
export const BASE_PORTS = { p2p: 30333, rpc: 9944, prometheus: 9615 };

const PLAN_FILE = 'testnet.json';

/** A JSON-RPC call over HTTP (the node serves HTTP and WebSocket on its RPC port). */
export async function rpc(url, method, params = []) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(5_000),
  });
  const body = await response.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/**
 * The chain spec of `--chain local` for `count` validators. Four is the runtime's
 * `local_testnet` preset as it is; other counts replace its BABE and GRANDPA authorities and
 * its genesis providers with the first `count` dev seeds.
 */
async function chainSpec(count) {
  // `export-chain-spec`, unlike `build-spec`, adds no bootnode of its own.
  const text = runNodeCommand(['export-chain-spec', '--chain', 'local']);
  if (count === 4) return text;
  // Balances above 2^53 would lose precision through JS numbers: keep them as tokens.
  const spec = JSON.parse(text.replace(/([:[,]\s*)(\d{16,})(?=\s*[,\]}])/g, '$1"__big:$2"'));
  const patch = spec.genesis?.runtimeGenesis?.patch;
  if (!patch?.offers?.providers?.length) throw new Error('the local chain spec has no genesis providers to copy');
  await cryptoWaitReady();
  const sr = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const ed = new Keyring({ type: 'ed25519', ss58Format: 42 });
  const seeds = SEEDS.slice(0, count).map(seedUri);
  const template = patch.offers.providers[0];
  patch.babe.authorities = seeds.map((s) => [sr.addFromUri(s).address, 1]);
  patch.grandpa.authorities = seeds.map((s) => [ed.addFromUri(s).address, 1]);
  patch.offers.providers = seeds.map((s) => {
    const address = sr.addFromUri(s).address;
    return { ...template, account: address, executor: address };
  });
  spec.name = `Bourse ${count}-validator testnet`;
  return JSON.stringify(spec, null, 2).replace(/"__big:(\d+)"/g, '$1');
}

/** The libp2p peer id of the node key in `file`. */
function peerId(file) {
  return runNodeCommand(['key', 'inspect-node-key', '--file', file]).trim();
}

/**
 * Writes the plan of a testnet of `validators` nodes into `dir`: chain spec, one node key per
 * node (so the first node's address, the bootnode, is known in advance), ports, base paths.
 * `ports: 'free'` picks free loopback ports (tests); otherwise `BASE_PORTS` + i.
 */
export async function planTestnet({ dir, validators = 4, ports = 'fixed' }) {
  if (!Number.isInteger(validators) || validators < 1 || validators > SEEDS.length) {
    throw new Error(`--validators must be 1 to ${SEEDS.length} (one per dev seed), not ${validators}`);
  }
  dir = resolve(dir);
  mkdirSync(dir, { recursive: true });
  const chainSpecFile = join(dir, 'chain-spec.json');
  writeFileSync(chainSpecFile, await chainSpec(validators));
  const free = ports === 'free' ? await freePorts(3 * validators) : null;
  const nodes = SEEDS.slice(0, validators).map((name, i) => {
    const nodeKeyFile = join(dir, `${name}.node-key`);
    if (!existsSync(nodeKeyFile)) writeFileSync(nodeKeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    return {
      name,
      p2pPort: free ? free[3 * i] : BASE_PORTS.p2p + i,
      rpcPort: free ? free[3 * i + 1] : BASE_PORTS.rpc + i,
      prometheusPort: free ? free[3 * i + 2] : BASE_PORTS.prometheus + i,
      peerId: peerId(nodeKeyFile),
      basePath: join(dir, name),
      nodeKeyFile,
      logFile: join(dir, `${name}.log`),
    };
  });
  const plan = { dir, chainSpec: chainSpecFile, nodes };
  savePlan(plan);
  return plan;
}

/** The plan saved in `dir`, or null. */
export function loadPlan(dir) {
  const file = join(resolve(dir), PLAN_FILE);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/** Saves `plan` (with the pids of detached nodes) in its folder. */
export function savePlan(plan) {
  writeFileSync(join(plan.dir, PLAN_FILE), `${JSON.stringify(plan, null, 2)}\n`);
}

/** The endpoints of a planned node. */
export function endpoints(node) {
  return {
    ws: `ws://127.0.0.1:${node.rpcPort}`,
    http: `http://127.0.0.1:${node.rpcPort}`,
    p2p: `/ip4/127.0.0.1/tcp/${node.p2pPort}/p2p/${node.peerId}`,
    prometheus: `http://127.0.0.1:${node.prometheusPort}/metrics`,
  };
}

/** The command-line arguments of a planned node; every node but the first boots from the first. */
export function nodeArgs(plan, node) {
  const [boot] = plan.nodes;
  return [
    '--chain', plan.chainSpec,
    `--${node.name}`, // validator, with the seed's babe, grandpa and bour keys
    '--base-path', node.basePath,
    '--node-key-file', node.nodeKeyFile,
    '--rpc-port', String(node.rpcPort),
    '--prometheus-port', String(node.prometheusPort),
    '--listen-addr', `/ip4/127.0.0.1/tcp/${node.p2pPort}`,
    ...(node === boot ? [] : ['--bootnodes', endpoints(boot).p2p]),
    '--rpc-cors', 'all',
    '--no-mdns',
    '--no-telemetry',
  ];
}

/** Starts one planned node; see `spawnNode` for `detached`. */
export function startPlannedNode(plan, node, { detached = false } = {}) {
  const started = spawnNode(nodeArgs(plan, node), node.logFile, { detached });
  node.pid = started.child.pid;
  return started;
}

/**
 * Whether the planned `node` is running: its recorded pid is alive and (where /proc exists)
 * is a `bourse-node` with this node's base path, not another process that reused the pid.
 */
export function running(node) {
  if (!node.pid) return false;
  try {
    process.kill(node.pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${node.pid}/cmdline`, 'utf8').split('\0');
    return cmdline.some((arg) => arg.endsWith('bourse-node')) && cmdline.includes(node.basePath);
  } catch {
    return true; // no /proc: trust the pid
  }
}

/** Best and finalized block numbers, peers and sync state of a node; null if it does not answer. */
export async function nodeStatus(node) {
  const url = endpoints(node).http;
  try {
    const [health, best, finalizedHash] = await Promise.all([
      rpc(url, 'system_health'),
      rpc(url, 'chain_getHeader'),
      rpc(url, 'chain_getFinalizedHead'),
    ]);
    const finalized = await rpc(url, 'chain_getHeader', [finalizedHash]);
    return {
      peers: health.peers,
      syncing: health.isSyncing,
      best: Number.parseInt(best.number, 16),
      finalized: Number.parseInt(finalized.number, 16),
    };
  } catch {
    return null;
  }
}

/** One line per node: name, best, finalized, peers. */
export function describe(nodes, statuses) {
  return nodes.map((n, i) => {
    const s = statuses[i];
    return s ? `${n.name} #${s.best} (finalized #${s.finalized}, ${s.peers} peers)` : `${n.name} down`;
  }).join(', ');
}

/**
 * Waits until every node in `nodes` is connected to all the others and has finalized at least
 * `finalized` blocks. `progress` gets a status line every few seconds. Throws with the end of
 * the slowest node's log after `timeoutMs`.
 */
export async function waitUntilFinalizing(nodes, { finalized = 1, timeoutMs = 180_000, progress } = {}) {
  let last = 0;
  let statuses = [];
  let dead;
  try {
    await waitFor('the testnet to connect and finalize', async () => {
      dead = nodes.find((n) => n.pid && !running(n));
      if (dead) return true; // no use waiting
      statuses = await Promise.all(nodes.map(nodeStatus));
      if (progress && Date.now() - last > 5_000) {
        last = Date.now();
        progress(describe(nodes, statuses));
      }
      return statuses.every((s) => s && s.peers >= nodes.length - 1 && s.finalized >= finalized);
    }, { timeoutMs, intervalMs: 500 });
  } catch (error) {
    const stuck = nodes.find((_, i) => !statuses[i] || statuses[i].finalized < finalized) ?? nodes[0];
    throw new Error(`${error.message}\n${describe(nodes, statuses)}\nlog ${stuck.logFile}:\n${tail(stuck.logFile)}`);
  }
  if (dead) throw new Error(`${dead.name} exited; log ${dead.logFile}:\n${tail(dead.logFile)}`);
  return statuses;
}
