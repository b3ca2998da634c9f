// Starting and stopping `bourse-node` processes for scripts and tests: free loopback ports,
// logs to a file, polling with deadlines (never fixed sleeps), and cleanup on exit.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';

/** Path of the `bourse-node` binary: $BOURSE_NODE, else the shared cargo target directory. */
export function nodeBinary() {
  const target = process.env.CARGO_TARGET_DIR || join(process.env.HOME || '.', '.cache/bourse-target');
  const path = process.env.BOURSE_NODE ? resolve(process.env.BOURSE_NODE) : join(target, 'release', 'bourse-node');
  if (!existsSync(path)) {
    throw new Error(`bourse-node not found at ${path}: build it (scripts/test.sh does) or set BOURSE_NODE`);
  }
  return path;
}

/** `count` distinct TCP ports on 127.0.0.1, all free at the moment they are returned. */
export async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const server = createServer();
      await new Promise((ok, fail) => {
        server.once('error', fail);
        server.listen(0, '127.0.0.1', ok);
      });
      servers.push(server); // kept open until all are picked, so no port is handed out twice
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  }
}

/** Rejects with `message` after `ms` milliseconds. */
function deadline(ms, message) {
  let timer;
  const promise = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Polls `probe` until it returns a truthy value, or throws after `timeoutMs`. */
export async function waitFor(what, probe, { timeoutMs = 60_000, intervalMs = 250 } = {}) {
  const end = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > end) {
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

/** The last lines of a log file, for error messages. */
export function tail(logFile, lines = 20) {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Runs `bourse-node` with `args`, output appended to `logFile`. Attached processes are killed
 * when this process exits; detached ones (`detached: true`) outlive it, for scripts that start
 * a testnet and return. Returns { child, logFile, exited, stop(), kill() }.
 */
export function spawnNode(args, logFile, { detached = false } = {}) {
  const log = openSync(logFile, 'a');
  const child = spawn(nodeBinary(), args, { stdio: ['ignore', log, log], detached });
  closeSync(log); // the child holds its own descriptor
  if (detached) child.unref();
  else running.add(child);
  const exited = new Promise((r) => {
    child.once('error', (error) => { running.delete(child); r({ code: null, signal: null, error }); });
    child.once('exit', (code, signal) => { running.delete(child); r({ code, signal }); });
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    logFile,
    exited,
    /** Stops gracefully (SIGINT), killing after 15 s. */
    async stop() {
      if (alive()) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
    /** Kills at once (SIGKILL), as a crash would. */
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Starts `bourse-node` with `args` plus free RPC, p2p and Prometheus ports on loopback.
 * Returns { child, rpcPort, p2pPort, prometheusPort, wsUrl, logFile, exited, stop(), kill() }.
 */
export async function startNode(args, { name = 'node', logDir } = {}) {
  const [rpcPort, p2pPort, prometheusPort] = await freePorts(3);
  const dir = logDir || mkdtempSync(join(tmpdir(), 'bourse-'));
  const node = spawnNode(
    [
      ...args,
      '--rpc-port', String(rpcPort),
      '--port', String(p2pPort),
      '--prometheus-port', String(prometheusPort),
      '--no-telemetry',
      '--no-mdns',
    ],
    join(dir, `${name}.log`),
  );
  return { ...node, rpcPort, p2pPort, prometheusPort, wsUrl: `ws://127.0.0.1:${rpcPort}` };
}

/**
 * Connects @polkadot/api to a node started by `startNode`, retrying until it answers. Fails
 * at once, with the end of its log, if the node exits first.
 */
export async function connect(node, { timeoutMs = 120_000 } = {}) {
  const died = node.exited.then(({ code, signal, error }) => {
    throw new Error(`bourse-node exited (${error ? error.message : `code ${code}, signal ${signal}`}) before answering; log ${node.logFile}:\n${tail(node.logFile)}`);
  });
  const end = Date.now() + timeoutMs;
  for (;;) {
    const provider = new WsProvider(node.wsUrl, false);
    const limit = deadline(Math.max(1000, end - Date.now()), `no RPC answer from ${node.wsUrl} within ${timeoutMs} ms; log ${node.logFile}`);
    try {
      const attempt = (async () => {
        await provider.connect();
        return ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true });
      })();
      return await Promise.race([attempt, died, limit.promise]);
    } catch (error) {
      await provider.disconnect().catch(() => {});
      if (Date.now() > end || /exited|no RPC answer/.test(error.message)) throw error;
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      limit.cancel();
    }
  }
}

/**
 * Signs and sends `tx`, resolving with the events of its block once it is in a block; rejects
 * on a dispatch error, an invalid or dropped transaction, or after `timeoutMs`. `nonce` -1 asks
 * the node for the next one; give explicit nonces to send several at once. With `finalized`, it
 * resolves only once the block is finalized (its events can no longer be reorganized away).
 */
export function sendAndWait(tx, signer, { timeoutMs = 60_000, nonce = -1, finalized = false } = {}) {
  return new Promise((resolveTx, reject) => {
    let unsub;
    let done = false;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsub?.();
      fn(value);
    };
    const timer = setTimeout(() => finish(reject, new Error(`transaction not in a block after ${timeoutMs} ms`)), timeoutMs);
    tx.signAndSend(signer, { nonce }, ({ status, events, dispatchError }) => {
      if (dispatchError) finish(reject, new Error(`dispatch error: ${dispatchError.toString()}`));
      else if (status.isInBlock && !finalized) finish(resolveTx, { blockHash: status.asInBlock, events });
      else if (status.isFinalized) finish(resolveTx, { blockHash: status.asFinalized, events });
      else if (status.isDropped || status.isInvalid || status.isUsurped) finish(reject, new Error(`transaction ${status.type}`));
    }).then((u) => { unsub = u; if (done) u(); }, (error) => finish(reject, error));
  });
}
