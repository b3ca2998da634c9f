// Starting and stopping `bourse-node` processes for scripts and tests: free loopback ports,
// logs to a file, polling with deadlines (never fixed sleeps), and cleanup on exit.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';

/** Path of the `bourse-node` binary: $BOURSE_NODE, else the shared cargo target directory. */
export function nodeBinary() {
  if (process.env.BOURSE_NODE) return resolve(process.env.BOURSE_NODE);
  const target = process.env.CARGO_TARGET_DIR || join(process.env.HOME || '.', '.cache/bourse-target');
  const path = join(target, 'release', 'bourse-node');
  if (!existsSync(path)) {
    throw new Error(`bourse-node not found at ${path}: build it (scripts/test.sh does) or set BOURSE_NODE`);
  }
  return path;
}

/** A TCP port on 127.0.0.1 that is free right now. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Polls `probe` until it returns a truthy value, or throws after `timeoutMs`. */
export async function waitFor(what, probe, { timeoutMs = 60_000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

const running = new Set();
function killAll() {
  for (const child of running) child.kill('SIGKILL');
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Starts `bourse-node` with `args` plus free RPC, p2p and Prometheus ports on loopback.
 * Returns { child, rpcPort, wsUrl, logFile, stop() }.
 */
export async function startNode(args, { name = 'node', logDir } = {}) {
  const [rpcPort, p2pPort, prometheusPort] = [await freePort(), await freePort(), await freePort()];
  const dir = logDir || mkdtempSync(join(tmpdir(), 'bourse-'));
  const logFile = join(dir, `${name}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(
    nodeBinary(),
    [
      ...args,
      '--rpc-port', String(rpcPort),
      '--port', String(p2pPort),
      '--prometheus-port', String(prometheusPort),
      '--no-telemetry',
      '--no-mdns',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  running.add(child);
  const exited = new Promise((r) => child.once('exit', (code, signal) => {
    running.delete(child);
    r({ code, signal });
  }));
  return {
    child,
    rpcPort,
    p2pPort,
    prometheusPort,
    wsUrl: `ws://127.0.0.1:${rpcPort}`,
    logFile,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Connects @polkadot/api to `wsUrl`, retrying until the node answers. */
export async function connect(wsUrl, { timeoutMs = 120_000 } = {}) {
  return waitFor(`RPC at ${wsUrl}`, async () => {
    const provider = new WsProvider(wsUrl, false);
    try {
      await provider.connect();
      return await ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true });
    } catch (error) {
      await provider.disconnect().catch(() => {});
      throw error;
    }
  }, { timeoutMs, intervalMs: 500 });
}

/** Signs and sends `tx`, resolving with the events of its block once it is in a block. */
export function sendAndWait(tx, signer) {
  return new Promise((resolveTx, reject) => {
    let unsub;
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        unsub?.();
        reject(new Error(`dispatch error: ${dispatchError.toString()}`));
      } else if (status.isInBlock) {
        unsub?.();
        resolveTx({ blockHash: status.asInBlock, events });
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        unsub?.();
        reject(new Error(`transaction ${status.type}`));
      }
    }).then((u) => { unsub = u; }, reject);
  });
}
