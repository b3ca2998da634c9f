// End to end: the real `bourse-node --dev` produces and finalizes blocks, and @polkadot/api can
// submit a balance transfer to it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { send } from '../scripts/lib/chain.mjs';
import { connectNode, startNode, waitFor } from '../scripts/lib/node.mjs';

let node;
let api;
let startedAt;

before(async () => {
  await cryptoWaitReady();
  startedAt = Date.now();
  node = await startNode(['--dev', '--tmp'], { name: 'dev' });
  ({ api } = await connectNode(node));
});

after(async () => {
  try {
    await api?.disconnect();
  } finally {
    await node?.stop();
  }
});

test('the dev chain is Bourse and finalizes block 2', async () => {
  assert.equal(api.runtimeVersion.specName.toString(), 'bourse');
  const finalized = await waitFor('finalized block >= 2', async () => {
    const hash = await api.rpc.chain.getFinalizedHead();
    const header = await api.rpc.chain.getHeader(hash);
    return header.number.toNumber() >= 2 ? header.number.toNumber() : 0;
  }, { timeoutMs: 120_000 });
  assert.ok(finalized >= 2);
  console.log(`bourse-node --dev --tmp finalized block ${finalized} ${((Date.now() - startedAt) / 1000).toFixed(1)} s after start`);
});

test('Alice transfers to Bob with transfer_keep_alive', async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const bob = keyring.addFromUri('//Bob');
  const amount = 1_234_567_890_000n;

  const before = (await api.query.system.account(bob.address)).data.free.toBigInt();
  const { events } = await send(api, api.tx.balances.transferKeepAlive(bob.address, amount), alice, 'transfer');

  const transfer = events.find(({ event }) => api.events.balances.Transfer.is(event));
  assert.ok(transfer, 'a Balances.Transfer event is emitted');
  const [from, to, value] = transfer.event.data;
  assert.equal(from.toString(), alice.address);
  assert.equal(to.toString(), bob.address);
  assert.equal(value.toBigInt(), amount);
  assert.ok(events.some(({ event }) => api.events.system.ExtrinsicSuccess.is(event)));

  const afterTransfer = (await api.query.system.account(bob.address)).data.free.toBigInt();
  assert.equal(afterTransfer - before, amount);
});

test('Alice is a provider with an open offer and her executor key in the keystore', async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const provider = (await api.query.offers.providers(alice.address)).unwrap();
  assert.equal(provider.executor.toHex(), `0x${Buffer.from(alice.publicKey).toString('hex')}`);
  assert.ok(provider.bond.toBigInt() > 0n);
  const held = await api.query.balances.holds(alice.address);
  assert.ok(held.some((h) => h.id.isOffers && h.amount.toBigInt() === provider.bond.toBigInt()),
    'the bond is held under Offers.ProviderBond');
  const offer = (await api.query.offers.offers(alice.address)).unwrap();
  assert.ok(offer.slots.toNumber() > 0 && offer.pricePerMfuel.toBigInt() > 0n);
  // The index of her capacity class, keyed (class, price, provider), and her seat in that
  // class's selection tree.
  const entries = await api.query.offers.available.entries();
  const seat = (await api.query.offers.seats(alice.address)).unwrap();
  assert.ok(entries.some(([key]) => key.args[2].toString() === alice.address
    && key.args[0].toNumber() === seat.class.toNumber()), 'her offer is in her class\'s price index');
  assert.ok((await api.query.offers.classWeights())[seat.class.toNumber()].toBigInt() > 0n, 'and weighs in its tree');
  assert.ok((await api.rpc.author.hasKey(`0x${Buffer.from(alice.publicKey).toString('hex')}`, 'bour')).isTrue,
    '--dev put the `bour` executor key in the keystore');
});
