// Repro: k=3 tasks on a 4-validator testnet; do all honest validators commit in time?
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { stringToU8a, u8aToHex } from '@polkadot/util';
import { connect, sendAndWait, spawnNode, waitFor } from './lib/node.mjs';
import { endpoints, nodeArgs, planTestnet, waitUntilFinalizing } from './lib/testnet.mjs';
await cryptoWaitReady();
const plan = await planTestnet({ dir: mkdtempSync(join(tmpdir(), 'repro-')), validators: 4, ports: 'free' });
const extra = (process.env.EXTRA || '').split(' ').filter(Boolean);
const procs = plan.nodes.map((n) => { const p = spawnNode([...nodeArgs(plan, n), ...extra], n.logFile); n.pid = p.child.pid; return p; });
try {
  await waitUntilFinalizing(plan.nodes);
  const api = await connect({ ...procs[0], wsUrl: endpoints(plan.nodes[0]).ws });
  const ferdie = new Keyring({ type: 'sr25519' }).addFromUri('//Ferdie');
  const code = readFileSync(join(process.env.HOME, '.cache/bourse-target/wasm32-wasip1/release/sha256.wasm'));
  await sendAndWait(api.tx.tasks.uploadWorkload(u8aToHex(code)), ferdie);
  const wl = u8aToHex(blake2AsU8a(code, 256));
  const ids = [];
  for (let i = 0; i < 8; i++) {
    const { events } = await sendAndWait(api.tx.tasks.submitTask(wl, u8aToHex(stringToU8a('200\nhi')), 200000000n, 64, 1000000000n, 3, 0, 12, true), ferdie);
    ids.push(events.find(({ event }) => api.events.tasks.TaskSubmitted.is(event)).event.data.taskId.toNumber());
    await new Promise((r) => setTimeout(r, 2000 + Math.random() * 3000));
  }
  await waitFor('settled', async () => (await api.query.tasks.tasks.multi(ids)).every((t) => !t.unwrap().state.isAssigned && !t.unwrap().state.isQueued), { timeoutMs: 200000 });
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const verdicts = {};
  for (let n = 1; n <= best; n++) {
    const ev = await api.query.system.events.at(await api.rpc.chain.getBlockHash(n));
    for (const { event } of ev) if (api.events.attestation.VerdictGiven.is(event)) { const v = event.data.verdict.type; verdicts[v] = (verdicts[v] || 0) + 1; if (v !== 'Agreed') console.log(`block ${n}: task ${event.data.taskId} ${event.data.provider} ${v}`); }
  }
  console.log('verdicts', verdicts, 'dir', plan.dir);
  await api.disconnect();
} finally {
  await Promise.all(procs.map((p) => p.stop()));
}
