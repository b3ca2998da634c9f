// What an executor key signs, and how its answers travel: the SCALE payloads of
// `pallet_attestation` (answer, commitment, commit, reveal) and general (authorized)
// transactions. For tests that play a provider whose executor key they hold.
import { bnToU8a, compactAddLength, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';

const context = (name) => compactAddLength(stringToU8a(`bourse/${name}`));
const u64 = (n) => bnToU8a(n, { bitLength: 64 });
const u32 = (n) => bnToU8a(n, { bitLength: 32 });

/** Index of each `Status` variant without data (`Exit(code)` is `{ Exit: code }`). */
export const STATUS = { Success: 0, OutOfFuel: 1, Trap: 2, InvalidModule: 3, MemoryExceeded: 4, OutputTooLarge: 5 };

/** SCALE encoding of a `Status`: a name above, or `{ Exit: code }`. */
function encodeStatus(status) {
  if (typeof status === 'object' && status !== null && 'Exit' in status) return u8aConcat(new Uint8Array([6]), u32(status.Exit));
  if (!(status in STATUS)) throw new Error(`unknown status ${JSON.stringify(status)}`);
  return new Uint8Array([STATUS[status]]);
}

/** The sandbox version answers report (`bourse_primitives::EXECUTOR_VERSION`). */
export const EXECUTOR_VERSION = 1;

/** An outcome as `Revealed` fields: status name, blake2-256 of `output`, fuel used, version. */
export function outcome(output, fuelUsed, status = 'Success') {
  return { status, outputHash: blake2AsU8a(output, 256), fuelUsed: BigInt(fuelUsed), executorVersion: EXECUTOR_VERSION };
}

const encodeRevealed = (r) => u8aConcat(encodeStatus(r.status), r.outputHash, u64(r.fuelUsed), u32(r.executorVersion));

/** The payload signed for an answer (replication 1). */
export function answerPayload(genesisHash, taskId, provider, revealed) {
  return u8aConcat(context('answer'), genesisHash, u64(taskId), provider, encodeRevealed(revealed));
}

/** The commitment to `revealed` with `salt` (`Pallet::commitment`). */
export function commitment(taskId, provider, revealed, salt) {
  return blake2AsU8a(u8aConcat(context('commit'), u64(taskId), provider, encodeRevealed(revealed), salt), 256);
}

/** The payload signed for a commit. */
export function commitPayload(genesisHash, taskId, provider, committed) {
  return u8aConcat(context('commit'), genesisHash, u64(taskId), provider, committed);
}

/** The payload signed for a reveal. */
export function revealPayload(genesisHash, taskId, provider, revealed, salt) {
  return u8aConcat(context('reveal'), genesisHash, u64(taskId), provider, encodeRevealed(revealed), salt);
}

/** `revealed` as the call argument @polkadot/api expects. */
export function revealedArg(revealed) {
  return { ...revealed, outputHash: u8aToHex(revealed.outputHash) };
}

/**
 * A general (version 5) transaction carrying `call`, as hex: the transaction extensions'
 * explicit parts are an immortal era, nonce 0 and tip 0; `AuthorizeCall` authorizes it.
 * (@polkadot/api 16.5 re-encodes general transactions wrongly, so they are sent as bytes
 * with `author_submitExtrinsic`.)
 */
export function generalTransaction(call) {
  return u8aToHex(compactAddLength(u8aConcat(
    new Uint8Array([0x45, 0x00]), // version 5, general; extension version 0
    new Uint8Array([0x00, 0x00, 0x00]), // era: immortal, nonce: 0, tip: 0
    call.toU8a(),
  )));
}
