// The command line against the real dev node: upload, submit, watch to completion, fetch the
// result; and every kind of bad input ends in one clear line and a non-zero exit, no stack trace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';
import {
  connectNode, runScript, startNode, waitFor, workloadPath,
} from '../scripts/lib/node.mjs';
import { publicKey } from '../scripts/lib/reply.mjs';
import { replyKeyOf } from '../scripts/lib/chain.mjs';
import { nativeMandelbrot } from './mandelbrot.mjs';

const cli = new URL('../scripts/bourse.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'bourse-cli-'));

let node;

/** Runs the CLI against the test's node (its data in the test's directory); resolves with its
 * exit code, stdout and stderr. */
function bourse(args, { input } = {}) {
  return runScript(cli, [...args, '--url', node.wsUrl], { timeout: 240_000, input, env: { BOURSE_DATA_DIR: dir } });
}

before(async () => {
  node = await startNode(['--dev', '--tmp'], { name: 'cli' });
  const { api } = await connectNode(node);
  await waitFor('block 1', async () => (await api.rpc.chain.getHeader()).number.toNumber() >= 1, { timeoutMs: 60_000 });
  await api.disconnect();
});

after(async () => {
  await node?.stop();
});

test('upload, submit --watch, result: the answer is opened locally, then final; nothing on chain reveals it', async () => {
  const wasm = workloadPath('sha256.wasm');
  const up = await bourse(['upload', wasm]);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, /^uploaded 0x[0-9a-f]{64}\n$/);
  const again = await bourse(['upload', wasm]);
  assert.match(again.stdout, /^already stored 0x[0-9a-f]{64}\n$/);

  const input = join(dir, 'input.txt');
  writeFileSync(input, '500\nbourse cli');
  const run = await bourse(['submit', '--workload', wasm, '--input', input, '--watch']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /task 0 submitted/);
  // The task names a one-time reply key whose secret the CLI kept, readable by its owner only.
  const [, replyKey] = run.stdout.match(/reply key (0x[0-9a-f]{64}): its secret is kept in /);
  const { api } = await connectNode(node);
  try {
    assert.equal((await replyKeyOf(api, 0)).toHex(), replyKey);
  } finally {
    await api.disconnect();
  }
  const kept = join(dir, 'reply-secrets', `${replyKey}.hex`);
  assert.match(run.stdout, new RegExp(`its secret is kept in ${kept}`));
  assert.equal(statSync(kept).mode & 0o777, 0o600);
  const secret = hexToU8a(readFileSync(kept, 'utf8').trim());
  assert.equal(u8aToHex(publicKey(secret)), replyKey, 'the kept secret is the key\'s');
  assert.match(run.stdout, /assigned to 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY/);
  let hash = createHash('sha256').update('bourse cli').digest();
  for (let i = 1; i < 500; i += 1) hash = createHash('sha256').update(hash).digest();
  const expected = `${hash.toString('hex')}\n`;
  // Provisional one block after the assignment, the output opened locally; final after the
  // window.
  const [, assignedAt] = run.stdout.match(/by block (\d+)'s draw/);
  const [, answeredAt, finalAt] = run.stdout.match(/#\d+ task 0 answered \(provisional\) at block (\d+) by 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY: "Success", \d+ fuel; final at block (\d+)/);
  assert.ok(Number(answeredAt) - Number(assignedAt) <= 2, `answered ${answeredAt - assignedAt} blocks after its assignment`);
  assert.ok(run.stdout.includes(`output opened: ${expected.length} bytes, as the provider committed: ${JSON.stringify(expected)}`), run.stdout);
  // The audit coin, shown once the answer was final on chain. Audited (at the task's rate), the
  // one-validator chain has nobody to audit: the answer waits a few windows, then stands.
  const [, coin] = run.stdout.match(/audit coin shown: (no audit|the answer is audited when its window closes)/);
  const windows = coin === 'no audit' ? 0 : 2; // AUDIT_START_TRIES − 1
  const finalBlock = Number(finalAt) + windows * 10;
  assert.match(run.stdout, new RegExp(`#\\d+ task 0 final at block ${finalBlock}: "Success", \\d+ fuel, cost .* paid to 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY`));
  assert.ok(run.stdout.indexOf('output opened') < run.stdout.indexOf('task 0 final'), 'opened before final');
  {
    // Nothing on chain holds the output, nor its plain hash.
    const { api } = await connectNode(node);
    try {
      const view = await api.bourse('task', [0]);
      assert.equal(view.output, null);
      assert.ok(view.sealed.length > 2 * expected.length, 'the sealed box is kept');
      const needles = [Buffer.from(expected).toString('hex'), Buffer.from(expected.trim()).toString('hex'), Buffer.from(blake2AsU8a(Buffer.from(expected), 256)).toString('hex')];
      const head = await api.rpc.chain.getFinalizedHead();
      let start;
      const scanned = new Set();
      for (;;) {
        const keys = await api.rpc.state.getKeysPaged('0x', 500, start, head);
        for (const key of keys) {
          const value = (await api.rpc.state.getStorage(key, head)).toHex();
          for (const needle of needles) assert.ok(!value.includes(needle), `storage ${key.toHex()} holds the output`);
          scanned.add(key.toHex());
        }
        if (keys.length < 500) break;
        start = keys[keys.length - 1];
      }
      assert.ok(scanned.has(api.query.tasks.sealedOutputs.key(0)), `the box was among the ${scanned.size} entries scanned`);
    } finally {
      await api.disconnect();
    }
  }
  const result = await bourse(['result', '0']);
  assert.equal(result.stdout, expected);
  const out = join(dir, 'out.bin');
  assert.equal((await bourse(['result', '0', '--out', out])).code, 0);
  assert.equal(readFileSync(out, 'utf8'), expected);
  // Without the secret, nobody reads it: not even this CLI with another data directory.
  const stranger = await runScript(cli, ['result', '0', '--url', node.wsUrl], { timeout: 60_000, env: { BOURSE_DATA_DIR: join(dir, 'stranger') } });
  assert.notEqual(stranger.code, 0);
  assert.match(stranger.stderr, /sealed to a reply key whose secret is not kept here/);

  const watched = await bourse(['watch', '0']);
  assert.equal(watched.code, 0);
  assert.match(watched.stdout, /task 0 final at block/);

  const offers = await bourse(['offers']);
  assert.match(offers.stdout, /5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY\s+0\.001 BRS\/Mfuel/);
  const quote = await bourse(['quote', '--fuel', '1000000000']);
  assert.match(quote.stdout, /would be assigned now/);
});

test('bad input: one clear line, a non-zero exit, no stack trace', async () => {
  const notWasm = join(dir, 'not.wasm');
  writeFileSync(notWasm, 'hello');
  const wasm = workloadPath('sha256.wasm');
  const cases = [
    [['upload', join(dir, 'missing.wasm')], /cannot read .*missing\.wasm: ENOENT/],
    [['upload', notWasm], /not a WebAssembly module/],
    [['result', '4242'], /no task 4242/],
    [['watch', 'seven'], /task: expected a non-negative integer/],
    [['provider', 'nobody'], /not an account/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['submit', '--workload', wasm, '--input', notWasm, '--suri', '//NoMoney', '--max-price', '1'], /submit refused: 1010: Invalid Transaction: Inability to pay some fees/],
    [['submit', '--workload', wasm, '--input', notWasm, '--suri', '//Ferdie', '--max-price', '1000BRS', '--fuel', '10000000000'], /tasks\.InsufficientBalance: The requester's free balance cannot cover/],
    [['submit', '--workload', wasm, '--input', notWasm, '--max-price', '1', '--fail-fast'], /tasks\.NoProviderAvailable: Not enough eligible providers/],
    [['submit', '--workload', wasm, '--input', notWasm, '--k', '2'], /tasks\.InvalidReplication/],
    [['provider', 'resume'], /offers\.NotPaused: The provider's offer is not paused/],
  ];
  for (const [args, message] of cases) {
    const { code, stdout, stderr } = await bourse(args);
    assert.notEqual(code, 0, `${args.join(' ')} must fail`);
    assert.match(stderr, message, `${args.join(' ')}: ${stderr}`);
    assert.equal(stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${stderr}`);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    assert.equal(stdout, '');
  }
  const unreachable = await runScript(cli, ['offers', '--url', 'ws://127.0.0.1:9']);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /^bourse: cannot reach a Bourse node at ws:\/\/127\.0\.0\.1:9/);
});

test('provider register: the node makes and proves the executor key; a key one does not hold cannot be bound', async () => {
  // Eve tries to bind Alice's node key (the dev chain's genesis provider) with a made-up proof.
  const alice = '0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d';
  const forged = `0x${'00'.repeat(64)}`;
  const stolen = await bourse(['provider', 'register', '--bond', '1000BRS', '--executor', alice, '--proof', forged, '--suri', '//Eve']);
  assert.notEqual(stolen.code, 0);
  assert.match(stolen.stderr, /offers\.BadProofOfPossession/);
  // Ferdie's operator asks his node (here, the dev node) for a fresh key and its proof.
  const { code, stdout, stderr } = await bourse(['provider', 'register', '--bond', '1000BRS', '--suri', '//Ferdie']);
  assert.equal(code, 0, stderr);
  const executor = stdout.match(/executor key (0x[0-9a-f]{64})/)[1];
  assert.match(stdout, /ProviderRegistered/);
  const { api, provider } = await connectNode(node);
  try {
    assert.equal(await provider.send('author_hasKey', [executor, 'bour']), true, 'the node holds the key');
    const view = await provider.send('bourse_provider', ['5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL']);
    assert.equal(view.executor, executor, 'bound to Ferdie');
    // The node's worker serves the new key beside Alice's, and says so.
    await waitFor('the worker to serve the new key', async () => /serving 2 of the \d+ executor keys/.test(readFileSync(node.logFile, 'utf8')), { timeoutMs: 60_000 });
  } finally {
    await api.disconnect();
  }
});

test('the render demo assembles a PNG whose pixels match the natively rendered image', async () => {
  const out = join(dir, 'mandelbrot.png');
  const demo = new URL('../scripts/render-demo.mjs', import.meta.url).pathname;
  const { code, stdout, stderr } = await runScript(demo, ['--size', '96', '--tile', '48', '--iterations', '200', '--out', out, '--url', node.wsUrl], { timeout: 240_000 });
  assert.equal(code, 0, stderr);
  assert.match(stdout, /wrote .*mandelbrot\.png: 96×96, 4 tiles, total cost/);
  assert.match(stdout, /5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY rendered 4 tile\(s\)/);
  assert.match(stderr, /\[#+\] 4\/4 tiles/, 'a progress bar');
  const { decodePng } = await import('../scripts/lib/png.mjs');
  const image = decodePng(readFileSync(out));
  assert.equal(image.width, 96);
  assert.equal(image.height, 96);
  assert.ok(image.rgb.equals(nativeMandelbrot(96, 200)), 'every pixel matches');
});

test('job submit --watch: one transaction, one progress bar, every tile opened, accepted and written out', async () => {
  const inputs = join(dir, 'tiles.txt');
  const ns = [10, 100, 1000, 10_000, 20, 200, 2000, 20_000];
  writeFileSync(inputs, `${ns.join('\n')}\n`);
  const out = join(dir, 'tiles');
  const run = await bourse(['job', 'submit', '--workload', workloadPath('primes.wasm'), '--inputs', inputs, '--fuel', '10000000', '--watch', '--out-dir', out]);
  assert.equal(run.code, 0, run.stderr);
  const [, id, first] = run.stdout.match(/job (\d+) submitted: 8 tiles, tasks (\d+)\.\.(\d+)/);
  assert.match(run.stderr, /\[#+\] 8\/8 tiles/, 'one progress bar');
  assert.match(run.stdout, new RegExp(`job ${id}: 8 tiles \\(tasks ${first}\\.\\.${Number(first) + 7}\\): 8 done, 0 running, 0 waiting`));
  const pi = { 10: 4, 100: 25, 1000: 168, 10000: 1229, 20: 8, 200: 46, 2000: 303, 20000: 2262 };
  ns.forEach((n, i) => assert.equal(readFileSync(join(out, `${i}.out`), 'utf8'), `${pi[n]}\n`, `tile ${i} (N = ${n})`));
  const status = await bourse(['job', id]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /8 done, 0 running, 0 waiting .* 0 failed; cost so far \d/);
  // Alice's node answered the tiles it held in one transaction a pass (`answerMany`, a lone
  // answer as `answer`), not one per tile: each answered tile's transaction is found.
  const { api } = await connectNode(node);
  try {
    const tiles = new Set(ns.map((_, i) => BigInt(first) + BigInt(i)));
    const sizes = [];
    let hash = await api.rpc.chain.getBlockHash();
    for (let back = 0; back < 300 && tiles.size > 0; back += 1) {
      const [block, events] = await Promise.all([api.rpc.chain.getBlock(hash), api.query.system.events.at(hash)]);
      block.block.extrinsics.forEach((xt, index) => {
        if (xt.method.section !== 'attestation' || !['answer', 'answerMany'].includes(xt.method.method)) return;
        const answered = events
          .filter(({ phase, event }) => phase.isApplyExtrinsic && phase.asApplyExtrinsic.toNumber() === index
            && api.events.attestation.Answered.is(event))
          .map(({ event }) => event.data.taskId.toBigInt())
          .filter((t) => tiles.delete(t));
        if (xt.method.method === 'answerMany') assert.equal(answered.length, xt.method.args[1].length, 'every answer of the bundle counted');
        if (answered.length > 0) sizes.push(answered.length);
      });
      const { parentHash, number } = block.block.header;
      if (number.toNumber() === 0) break;
      hash = parentHash;
    }
    assert.equal(tiles.size, 0, `tiles whose answer was not found: ${[...tiles]}`);
    assert.ok(sizes.length < 8 && Math.max(...sizes) > 1, `answers per transaction: ${sizes}`);
    console.log(`job ${id}: 8 tiles answered in ${sizes.length} transactions (${sizes.join(', ')} answers each)`);
  } finally {
    await api.disconnect();
  }
  const missing = await bourse(['job', '999']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^bourse: no job 999 \(unknown, or pruned with its last tile\)\n$/);
  writeFileSync(inputs, '\n\n');
  const empty = await bourse(['job', 'submit', '--workload', workloadPath('primes.wasm'), '--inputs', inputs]);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /no inputs \(one tile per line\)/);
});
