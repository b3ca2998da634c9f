// End to end on the dev chain: a confidential task submitted with `bourse submit --confidential`
// is sealed to Alice (whose node published its encryption key), run by her node on the
// plaintext, and its output read back by the requester's CLI; a scan of every block's
// extrinsics and events and of all the Bourse pallets' storage at every block finds neither its
// input nor its output, nor their blake2-256 or sha-256 digests, while the same scan finds the
// input of a public task (the control). Prints the latency of both, in blocks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import {
  connectNode, runScript, startNode, waitFor, workloadPath,
} from '../scripts/lib/node.mjs';
import { decodePng } from '../scripts/lib/png.mjs';
import { openAnswer } from '../scripts/lib/chain.mjs';
import { keptReplySecret } from '../scripts/lib/reply-secrets.mjs';
import { nativeMandelbrot } from './mandelbrot.mjs';
import { scanChain, withDigests } from './scan.mjs';

const cli = new URL('../scripts/bourse.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'bourse-confidential-'));

let node;
let api;

function bourse(args) {
  return runScript(cli, [...args, '--url', node.wsUrl], { timeout: 240_000, env: { BOURSE_DATA_DIR: dir } });
}

/** What the sha256 workload outputs for `rounds` rounds over `text`. */
function sha256Rounds(rounds, text) {
  let hash = createHash('sha256').update(text).digest();
  for (let i = 1; i < rounds; i += 1) hash = createHash('sha256').update(hash).digest();
  return `${hash.toString('hex')}\n`;
}


before(async () => {
  await cryptoWaitReady();
  node = await startNode(['--dev', '--tmp'], { name: 'confidential' });
  ({ api } = await connectNode(node));
  const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  await waitFor('Alice\'s encryption key on chain', async () => (await api.query.offers.encryptionKeys(alice.address)).isSome, { timeoutMs: 90_000 });
});

after(async () => {
  try {
    await api?.disconnect();
  } finally {
    await node?.stop();
  }
});

/** The block numbers of a task's submission and of its answer (`AnswerHeld`), from the CLI's
 * output and the chain's events. */
async function latency(stdout, taskId) {
  const [, assignedAt] = stdout.match(/by block (\d+)'s draw/);
  const [, answeredAt] = stdout.match(new RegExp(`task ${taskId} answered \\(provisional\\) at block (\\d+)`));
  return { assignedAt: Number(assignedAt), answeredAt: Number(answeredAt) };
}

test('a confidential task is read by its requester only: nothing on chain shows its input or output', async () => {
  const wasm = workloadPath('sha256.wasm');
  const secretText = 'confidential bourse input';
  const publicText = 'public bourse input';
  const confidentialInput = `300\n${secretText}`;
  const publicInput = `300\n${publicText}`;
  writeFileSync(join(dir, 'secret.txt'), confidentialInput);
  writeFileSync(join(dir, 'public.txt'), publicInput);

  // The confidential task, sealed to the providers the quote proposes (Alice).
  const run = await bourse(['submit', '--workload', wasm, '--input', join(dir, 'secret.txt'), '--confidential', '--watch']);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /sealed to 1 members: 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY/);
  const [, id] = run.stdout.match(/task (\d+) submitted/);
  const expected = sha256Rounds(300, secretText);
  assert.ok(run.stdout.includes(`output opened: ${expected.length} bytes, as the provider committed: ${JSON.stringify(expected)}`), run.stdout);
  assert.match(run.stdout, new RegExp(`task ${id} final at block \\d+`), 'final unaudited after its window');
  assert.doesNotMatch(run.stdout, /audit coin shown/, 'a confidential task has no audit coin');
  const result = await bourse(['result', id]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, expected);
  // The reply secret alone (what a bad-delivery claim shows everyone) opens the box but not
  // the output: another data directory with it and without the task secret reads nothing.
  const [, replyKey] = run.stdout.match(/reply key (0x[0-9a-f]{64}): its secret is kept in /);
  const strangerDir = join(dir, 'stranger');
  mkdirSync(strangerDir);
  cpSync(join(dir, 'reply-secrets'), join(strangerDir, 'reply-secrets'), { recursive: true });
  const stranger = await runScript(cli, ['result', id, '--url', node.wsUrl], { timeout: 60_000, env: { BOURSE_DATA_DIR: strangerDir } });
  assert.notEqual(stranger.code, 0);
  assert.match(stranger.stderr, /confidential and its task secret is not kept here/);
  process.env.BOURSE_DATA_DIR = dir;
  const boxed = await openAnswer(api, id, keptReplySecret(replyKey));
  delete process.env.BOURSE_DATA_DIR;
  assert.ok(boxed.output !== undefined, `the box opens with the reply secret: ${boxed.why}`);

  // The public control, same workload and size.
  const control = await bourse(['submit', '--workload', wasm, '--input', join(dir, 'public.txt'), '--watch']);
  assert.equal(control.code, 0, control.stderr);
  const [, publicId] = control.stdout.match(/task (\d+) submitted/);

  const confidentialLatency = await latency(run.stdout, id);
  const publicLatency = await latency(control.stdout, publicId);
  const blocks = (l) => l.answeredAt - l.assignedAt;
  console.log(`latency, assignment to answer: confidential ${blocks(confidentialLatency)} blocks, public ${blocks(publicLatency)} blocks`);
  assert.ok(blocks(confidentialLatency) <= blocks(publicLatency) + 1, 'no slower than a public task but a block');

  // The scan: every block's extrinsics and events, and the Bourse pallets' storage at every
  // block. The public task's input is there (the scan sees what it should), the confidential
  // task's nothing.
  const needles = [
    ...withDigests('input', confidentialInput), ['input text', Buffer.from(secretText)],
    ...withDigests('output', expected), ...withDigests('output without newline', expected.trim()),
  ];
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const { scanned, controlSeen } = await scanChain(api, 0, head, needles, Buffer.from(publicInput));
  console.log(`scanned ${scanned} extrinsics, event sets and storage entries over ${head + 1} blocks`);
  assert.ok(controlSeen, 'the control: the public task\'s input is found by the same scan');
  // What the box holds is ciphertext: a claim, which shows the reply secret, shows no output.
  const inBox = Buffer.from(boxed.output);
  for (const [what, needle] of needles) assert.ok(!inBox.includes(needle), `the box holds the ${what}`);
  // Nor does the provider's node log it.
  const logged = readFileSync(node.logFile);
  for (const [what, needle] of needles) {
    assert.ok(!logged.includes(needle) && !logged.includes(needle.toString('hex')), `the node's log holds the ${what}`);
  }
  assert.ok(logged.includes(Buffer.from(`executed task ${id}:`)), 'the log is the node\'s that ran it');
  const terms = await api.query.tasks.confidential(id);
  assert.ok(terms.isSome, 'the task is confidential on chain');
  assert.equal(terms.unwrap().members.length, 1);
});

test('submit --confidential refuses a list too short for k, and names the rule', async () => {
  const wasm = workloadPath('sha256.wasm');
  writeFileSync(join(dir, 'short.txt'), '1\nx');
  const run = await bourse(['submit', '--workload', wasm, '--input', join(dir, 'short.txt'), '--confidential', '--k', '3']);
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /fewer than k = 3: every seat is drawn from the members/);
  const timeout = await bourse(['submit', '--workload', wasm, '--input', join(dir, 'short.txt'), '--confidential', '--timeout', '20']);
  assert.notEqual(timeout.code, 0);
  assert.match(timeout.stderr, /the shortest timeout/);
});

test('the render demo --confidential renders every tile as a confidential task and decrypts it', async () => {
  const out = join(dir, 'confidential.png');
  const demo = new URL('../scripts/render-demo.mjs', import.meta.url).pathname;
  const { code, stdout, stderr } = await runScript(demo, ['--size', '96', '--tile', '48', '--iterations', '200', '--confidential', '--out', out, '--url', node.wsUrl], { timeout: 400_000 });
  assert.equal(code, 0, stderr);
  assert.match(stderr, /sealed to 1 members/);
  assert.match(stdout, /wrote .*confidential\.png: 96×96, 4 tiles, total cost/);
  const image = decodePng(readFileSync(out));
  assert.ok(image.rgb.equals(nativeMandelbrot(96, 200)), 'every pixel matches');
  // Each tile was a confidential task: its parameters never on chain in the clear.
  const ids = [...stdout.matchAll(/task\s+(\d+)/g)].map((m) => Number(m[1]));
  assert.equal(ids.length, 4);
  for (const id of ids) assert.ok((await api.query.tasks.confidential(id)).isSome, `task ${id} is confidential`);
});
