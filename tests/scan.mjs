// The tests' scan of what a chain shows: every block's extrinsics and events, and the Bourse
// pallets' storage, for byte strings that must never be there.
import { createHash } from 'node:crypto';
import { blake2AsU8a, xxhashAsHex } from '@polkadot/util-crypto';

/** The Bourse pallets, whose storage is scanned. */
export const BOURSE_PALLETS = ['Offers', 'Tasks', 'Attestation', 'Reputation'];

/** `bytes`, its blake2-256 and its sha-256, named after `what`. */
export function withDigests(what, bytes) {
  const buffer = Buffer.from(bytes);
  return [
    [what, buffer],
    [`blake2-256 of the ${what}`, Buffer.from(blake2AsU8a(buffer, 256))],
    [`sha-256 of the ${what}`, createHash('sha256').update(buffer).digest()],
  ];
}

/** Every byte string `api`'s chain shows at block `number`: its extrinsics, its events and the
 * Bourse pallets' storage, as `[where, bytes]`. */
export async function chainBytes(api, number) {
  const hash = await api.rpc.chain.getBlockHash(number);
  const found = [];
  const block = await api.rpc.chain.getBlock(hash);
  block.block.extrinsics.forEach((xt, i) => found.push([`block ${number} extrinsic ${i}`, Buffer.from(xt.toU8a())]));
  const events = await api.rpc.state.getStorage(api.query.system.events.key(), hash);
  found.push([`block ${number} events`, Buffer.from(events.toU8a(true))]);
  for (const pallet of BOURSE_PALLETS) {
    const pairs = await api.rpc.state.getPairs(xxhashAsHex(pallet, 128), hash);
    for (const [key, value] of pairs) found.push([`block ${number} storage ${pallet} ${key.toHex()}`, Buffer.from(value.toU8a(true))]);
  }
  return found;
}

/**
 * Scans blocks `from..=to` for each of `needles` (`[what, bytes]`); throws naming the first
 * place one is found. Returns how many byte strings were scanned, and whether `control` (bytes
 * that must be found, to show the scan sees what it should) was.
 */
export async function scanChain(api, from, to, needles, control) {
  let scanned = 0;
  let controlSeen = false;
  for (let number = from; number <= to; number += 1) {
    for (const [where, bytes] of await chainBytes(api, number)) {
      scanned += 1;
      for (const [what, needle] of needles) {
        if (bytes.includes(needle)) throw new Error(`${where} holds the ${what}`);
      }
      if (control && bytes.includes(control)) controlSeen = true;
    }
  }
  return { scanned, controlSeen };
}
