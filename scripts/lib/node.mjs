// The processes of scripts and tests: starting and stopping `bourse-node` (free loopback ports,
// logs to a file, polling with deadlines, never fixed sleeps, cleanup on exit), its one-shot
// subcommands, and the scripts run by the tests. Also where the build puts the binary and the
// workloads.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectWithProvider } from './chain.mjs';

/** The shared cargo target directory: $CARGO_TARGET_DIR, else ~/.cache/bourse-target. */
function targetDir() {
  return process.env.CARGO_TARGET_DIR || join(process.env.HOME || '.', '.cache/bourse-target');
}

/** Path of the `bourse-node` binary: $BOURSE_NODE, else the shared cargo target directory. */
export function nodeBinary() {
  const path = process.env.BOURSE_NODE ? resolve(process.env.BOURSE_NODE) : join(targetDir(), 'release', 'bourse-node');
  if (!existsSync(path)) {
    throw new Error(`bourse-node not found at ${path}: build it (scripts/test.sh does) or set BOURSE_NODE`);
  }
  return path;
}

/** Path of the workload module `name` (e.g. `sha256.wasm`): in $BOURSE_WORKLOADS_DIR, else the target directory. */
export function workloadPath(name) {
  return join(process.env.BOURSE_WORKLOADS_DIR || join(targetDir(), 'wasm32-wasip1/release'), name);
}

/** Runs `bourse-node` with `args` to the end (a subcommand); returns its output. Throws with its errors if it fails. */
export function runNodeCommand(args) {
  return execFileSync(nodeBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 }).toString();
}

/**
 * Runs the Node.js script at `path` with `args` (`input`, if given, on its standard input;
 * killed after `timeout` ms, if given); resolves with { code, stdout, stderr }, never rejects.
 */
export function runScript(path, args, { timeout = 0, input, env } = {}) {
  return new Promise((resolveRun) => {
    const options = { timeout, env: env === undefined ? process.env : { ...process.env, ...env } };
    const child = execFile(process.execPath, [path, ...args], options, (error, stdout, stderr) => {
      resolveRun({ code: error ? error.code ?? 1 : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
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
let cleanupInstalled = false;
/** Kills `child` when this process exits. Installed with the first one, so that merely
 * importing this module (the demos do, for `workloadPath`) leaves signals alone. */
function killOnExit(child) {
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    const killAll = () => {
      for (const c of running) c.kill('SIGKILL');
    };
    process.on('exit', killAll);
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.on(signal, () => {
        killAll();
        process.exit(130);
      });
    }
  }
  running.add(child);
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
  else killOnExit(child);
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
 * Connects to a node started by `startNode` (`connectWithProvider` of scripts/lib/chain.mjs),
 * retrying until it answers; resolves with { api, provider }. Fails at once, with the end of
 * its log, if the node exits first.
 */
export async function connectNode(node, { timeoutMs = 120_000 } = {}) {
  const exitedFirst = 'bourse-node exited';
  const died = node.exited.then(({ code, signal, error }) => {
    throw new Error(`${exitedFirst} (${error ? error.message : `code ${code}, signal ${signal}`}) before answering; log ${node.logFile}:\n${tail(node.logFile)}`);
  });
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await Promise.race([connectWithProvider(node.wsUrl, { timeoutMs: Math.max(1000, end - Date.now()) }), died]);
    } catch (error) {
      if (error.message.startsWith(exitedFirst)) throw error;
      if (Date.now() > end) throw new Error(`no RPC answer from ${node.wsUrl} within ${timeoutMs} ms (${error.message}); log ${node.logFile}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
