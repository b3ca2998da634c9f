#!/usr/bin/env node
// The picture of what Bourse does: a Mandelbrot image rendered by the chain's providers, one
// job of one task per tile (a single `submit_job`), assembled into a PNG. With --k 1 each tile comes sealed to a one-time reply
// key of this process: the demo opens it, checks it holds what the provider committed to, and
// accepts it (final at once; a bad box would be proven and refunded instead).
//
// With --confidential each tile is a confidential task of its own (a job carries no
// secrets): its parameters are encrypted and sealed to the providers that publish an
// encryption key, which alone are drawn and alone can read the tile; the demo decrypts each
// tile's pixels. Tiles go out as the members have free slots, the next as one ends.
//
//   node scripts/render-demo.mjs [--size 512] [--tile 128] [--iterations 300] [--k 1]
//        [--confidential] [--out mandelbrot.png] [--url ws://127.0.0.1:9944] [--suri //Bob]
//        [--workload file.wasm]
import { readFileSync, writeFileSync } from 'node:fs';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { parseArgs, withDefaults } from './lib/args.mjs';
import {
  confidentialMembers, connect, decryptConfidentialOutput, ensureWorkload, followJob, formatAmount, openAnswer, send, submitConfidentialTask, submitJob, UserError,
} from './lib/chain.mjs';
import { replyKeyPair } from './lib/reply.mjs';
import { workloadPath } from './lib/node.mjs';
import { encodePng } from './lib/png.mjs';

const HELP = 'usage: node scripts/render-demo.mjs [--size 512] [--tile 128] [--iterations 300] [--k 1] [--confidential] [--out mandelbrot.png] [--url ws://127.0.0.1:9944] [--suri //Bob] [--workload mandelbrot.wasm]';

function positive(text, what) {
  if (!/^[1-9]\d*$/.test(String(text))) throw new UserError(`--${what}: expected a positive integer, got '${text}'`);
  return Number(text);
}

/** A one-line progress bar on stderr. */
function progress(done, total, note = '') {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} tiles ${note}   `);
  if (done === total) process.stderr.write('\n');
}

async function main(argv) {
  const { options } = parseArgs(argv);
  if (options.help) {
    console.log(HELP);
    return 0;
  }
  const args = withDefaults(options, {
    size: '512', tile: '128', iterations: '300', k: '1', out: 'mandelbrot.png', url: 'ws://127.0.0.1:9944', suri: '//Bob', workload: workloadPath('mandelbrot.wasm'),
  });
  const size = positive(args.size, 'size');
  const tile = positive(args.tile, 'tile');
  const iterations = positive(args.iterations, 'iterations');
  const k = positive(args.k, 'k');
  if (size % tile !== 0) throw new UserError(`--size ${size} is not a multiple of --tile ${tile}`);
  if (tile * tile * 3 > 64 * 1024) throw new UserError(`a ${tile}×${tile} tile is more than the 64 KiB output limit (at most 147×147)`);

  await cryptoWaitReady();
  const api = await connect(args.url);
  try {
    const requester = new Keyring({ type: 'sr25519' }).addFromUri(args.suri);
    let code;
    try { code = readFileSync(args.workload); } catch (e) { throw new UserError(`cannot read ${args.workload}: ${e.code ?? e.message}`); }
    const offers = await api.bourse('offers');
    if (offers.length === 0) throw new UserError('no offers on chain');
    const maxPrice = offers.map((o) => BigInt(o.pricePerMfuel)).reduce((a, b) => (a > b ? a : b));

    // Every transaction of the demo signed at once with consecutive nonces; then wait for all.
    let nonce = (await api.rpc.system.accountNextIndex(requester.address)).toNumber();
    const { hash, stored } = await ensureWorkload(api, code, requester, { nonce });
    if (stored) nonce += 1;

    const tiles = [];
    for (let y = 0; y < size; y += tile) for (let x = 0; x < size; x += tile) tiles.push({ x, y });
    if (options.confidential) {
      const rendered = await renderConfidential(api, {
        requester, hash, tiles, tile, size, iterations, k, maxPrice, offers, nonce,
      });
      return finish(args.out, size, tile, tiles, rendered);
    }
    progress(0, tiles.length, 'submitting one job');
    // Tiles wait in the job queue until slots free: as long as a slot per tile a block takes,
    // within the chain's longest wait.
    const maxWait = Math.min(api.consts.tasks.maxTimeout.toNumber(), 20 + 2 * tiles.length);
    const inputs = tiles.map(({ x, y }) => `${tile} ${tile} ${x} ${y} ${size} ${size} ${iterations}`);
    const job = submitJob(api, { workload: hash, inputs, fuel: 1_000_000_000n, memoryMib: 64, maxPrice, replication: k, timeout: 20, maxWait });
    const { events: submitted, blockHash: submittedIn } = await send(api, job.tx, requester, `job of ${tiles.length} tiles`, { nonce: nonce++ });
    const { jobId, firstTask } = submitted.find(({ event }) => api.events.tasks.JobSubmitted.is(event)).event.data;
    const ids = tiles.map((_, i) => firstTask.toNumber() + i);
    const secrets = new Map(ids.map((id, i) => [id, job.tiles[i].secret]));
    process.stderr.write(`\rjob ${jobId}: tasks ${ids[0]}..${ids.at(-1)}\n`);

    // Who was paid for which tile, from the chain's receipts (ProviderPaid events).
    const paid = new Map();
    const unsubEvents = await api.query.system.events((events) => {
      for (const { event } of events) {
        if (api.events.tasks.ProviderPaid.is(event)) {
          const id = event.data.taskId.toNumber();
          paid.set(id, [...(paid.get(id) ?? []), event.data.provider.toString()]);
        }
      }
    });

    // Follow the tiles block by block from the events until all are settled. A lone answer's
    // tile is opened as soon as it is held, and accepted once it holds what its provider
    // committed to.
    const views = new Map();
    const outputs = new Map();
    const from = (await api.rpc.chain.getHeader(submittedIn)).number.toNumber() + 1;
    let waiting = '';
    await followJob(api, {
      firstTask: ids[0],
      tiles: ids.length,
      from,
      onHeld: async (id) => {
        const opened = await openAnswer(api, id, secrets.get(id));
        if (opened.committed) {
          outputs.set(id, Buffer.from(opened.output));
          send(api, api.tx.tasks.acceptAnswer(id), requester, `accept tile task ${id}`, { nonce: nonce++ }).catch(() => {});
        } else {
          outputs.set(id, undefined);
          send(api, api.tx.tasks.claimBadDelivery(id, secrets.get(id)), requester, `claim task ${id}`, { nonce: nonce++ }).catch(() => {});
        }
      },
      onEnded: async (id, view) => {
        views.set(id, view);
        // Its held answer was missed (read on a fork that lost): it is final now, and its box
        // stays until pruned.
        if (view?.phase.status === 'Delivered' && !outputs.has(id)) {
          const opened = await openAnswer(api, id, secrets.get(id));
          outputs.set(id, opened.output === undefined ? undefined : Buffer.from(opened.output));
        }
      },
      onBlock: (number, ended) => {
        if (number % 5 === 0) {
          api.bourse('job', [jobId.toNumber()]).then((status) => { waiting = status ? `(${status.waiting} waiting, ${status.running} running)` : ''; }, () => {});
        }
        progress(ended, ids.length, `block #${number} ${waiting}`);
      },
    });

    unsubEvents();
    const rendered = tiles.map(({ x, y }, i) => {
      const view = views.get(ids[i]);
      if (!['Completed', 'Delivered'].includes(view.phase.status) || view.phase.outcome !== 'Success') throw new UserError(`tile at (${x}, ${y}), task ${ids[i]}: ${JSON.stringify(view.phase)}`);
      const pixels = view.phase.status === 'Delivered' ? outputs.get(ids[i]) : Buffer.from(view.output.slice(2), 'hex');
      if (!pixels) throw new UserError(`tile at (${x}, ${y}), task ${ids[i]}: its box does not open with its reply key`);
      const provider = view.phase.provider ?? (paid.get(ids[i]) ?? ['(receipt not seen)']).join('+');
      return { id: ids[i], pixels, provider, fuelUsed: view.phase.fuelUsed, cost: BigInt(view.phase.cost) };
    });
    return finish(args.out, size, tile, tiles, rendered);
  } finally {
    await api.disconnect();
  }
}

/** Assembles the `rendered` tiles (`{ id, pixels, provider, fuelUsed, cost }`) into the PNG
 * `out` and prints a receipt per tile. */
function finish(out, size, tile, tiles, rendered) {
  const image = Buffer.alloc(size * size * 3);
  let total = 0n;
  const byProvider = new Map();
  tiles.forEach(({ x, y }, i) => {
    const { id, pixels, provider, fuelUsed, cost } = rendered[i];
    for (let row = 0; row < tile; row += 1) pixels.copy(image, ((y + row) * size + x) * 3, row * tile * 3, (row + 1) * tile * 3);
    total += cost;
    byProvider.set(provider, (byProvider.get(provider) ?? 0) + 1);
    console.log(`tile (${String(x).padStart(4)}, ${String(y).padStart(4)})  task ${String(id).padStart(4)}  ${provider}  ${fuelUsed} fuel  ${formatAmount(cost)}`);
  });
  writeFileSync(out, encodePng(size, size, image));
  for (const [provider, count] of byProvider) console.log(`${provider} rendered ${count} tile(s)`);
  console.log(`wrote ${out}: ${size}×${size}, ${tiles.length} tiles, total cost ${formatAmount(total)}`);
  return 0;
}

/**
 * Renders `tiles` as confidential tasks, one each, sealed to the providers that publish an
 * encryption key: as many in flight as they have free slots, the next submitted as one ends.
 * Each lone answer is opened, decrypted and accepted; a replicated tile's agreed ciphertext is
 * decrypted. Resolves with the tiles' `{ id, pixels, provider, fuelUsed, cost }`, in order.
 */
async function renderConfidential(api, { requester, hash, tiles, tile, size, iterations, k, maxPrice, offers, nonce: first }) {
  let nonce = first;
  const members = await confidentialMembers(api, offers.map((o) => o.provider), { requester: requester.address });
  if (members.length < k) throw new UserError(`--confidential: ${members.length} providers publish an encryption key, fewer than k = ${k}`);
  const slots = offers.filter((o) => members.some((m) => m.provider === String(o.provider))).reduce((sum, o) => sum + Number(o.freeSlots), 0);
  const inFlight = Math.max(1, Math.floor(slots / k));
  process.stderr.write(`sealed to ${members.length} members (${members.map((m) => m.provider).join(', ')}); ${inFlight} tiles at a time\n`);
  const rendered = new Array(tiles.length);
  let next = 0;
  let done = 0;
  let stopped = false; // a tile failed: the others finish the tile they run and stop
  progress(0, tiles.length, 'confidential tiles');
  const renderOne = async (i) => {
    const { x, y } = tiles[i];
    const { secret: replySecret, replyKey } = replyKeyPair();
    const { tx, secret } = await submitConfidentialTask(api, {
      workload: hash, input: Buffer.from(`${tile} ${tile} ${x} ${y} ${size} ${size} ${iterations}`), fuel: 1_000_000_000n, memoryMib: 64, maxPrice, replication: k, replyKey, members, requester: requester.address,
    });
    const { events } = await send(api, tx, requester, `confidential tile (${x}, ${y})`, { nonce: nonce++ });
    const id = events.find(({ event }) => api.events.tasks.TaskSubmitted.is(event)).event.data.taskId.toNumber();
    while (!stopped) {
      await new Promise((resolve) => { setTimeout(resolve, 1_000); });
      const view = await api.bourse('task', [id]);
      const { status } = view.phase;
      if (status === 'Answered' || status === 'Delivered') {
        const opened = await openAnswer(api, id, replySecret);
        if (opened.output === undefined || opened.committed === false) throw new UserError(`tile at (${x}, ${y}), task ${id}: ${opened.why}`);
        const pixels = Buffer.from(await decryptConfidentialOutput(api, id, secret, opened.output, opened.state));
        if (status === 'Answered') {
          // Final now; or already, if its window closed meanwhile (`NotAnswered`).
          await send(api, api.tx.tasks.acceptAnswer(id), requester, `accept tile task ${id}`, { nonce: nonce++ })
            .catch((error) => { if (!/NotAnswered/.test(error.message)) throw error; });
        }
        const final = await api.bourse('task', [id]);
        const provider = final.phase.provider?.provider ?? final.phase.provider;
        rendered[i] = { id, pixels, provider, fuelUsed: final.phase.fuelUsed, cost: BigInt(final.phase.cost ?? 0) };
        break;
      }
      if (status === 'Completed') {
        const record = await api.query.tasks.tasks(id);
        const ciphertext = Buffer.from(view.output.slice(2), 'hex');
        const pixels = Buffer.from(await decryptConfidentialOutput(api, id, secret, ciphertext, record.unwrap().state));
        rendered[i] = { id, pixels, provider: `${k} members`, fuelUsed: view.phase.fuelUsed, cost: BigInt(view.phase.cost) };
        break;
      }
      if (status === 'Failed') throw new UserError(`tile at (${x}, ${y}), task ${id}: ${JSON.stringify(view.phase)}`);
    }
    done += 1;
    progress(done, tiles.length, 'confidential tiles');
  };
  const worker = async () => {
    while (next < tiles.length && !stopped) {
      const i = next;
      next += 1;
      try {
        await renderOne(i);
      } catch (error) {
        stopped = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, tiles.length) }, worker));
  return rendered;
}

console.error = () => {};
console.warn = () => {};
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`\nrender-demo: ${error instanceof UserError ? error.message : error.message ?? error}\n`);
    process.exit(1);
  },
);
