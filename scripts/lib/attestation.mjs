// What an executor key signs, and how its answers travel: the statements of `pallet_attestation`
// (answer, commit, reveal, abstain) and commitments, the limits of `pallet_offers` and executor
// keys' proofs of possession, read from the runtime, and general (authorized) transactions. For tests that play a provider whose
// executor key they hold, and for operators lowering their offer with the executor key.
import {
  compactAddLength, compactStripLength, stringToU8a, u8aConcat, u8aEq, u8aToHex,
} from '@polkadot/util';
import { blake2AsU8a, decodeAddress, randomAsU8a } from '@polkadot/util-crypto';
import { answerCommitment, replyKeyOf } from './chain.mjs';
import { executionProof, seal } from './reply.mjs';

/** An outcome as `Revealed` fields: status, blake2-256 of `output`, fuel used, and the sandbox
 * version the chain expects (`attestation.executorVersion`). */
export function outcome(api, output, fuelUsed, status = 'Success') {
  const executorVersion = api.consts.attestation.executorVersion.toNumber();
  return { status, outputHash: blake2AsU8a(output, 256), fuelUsed: BigInt(fuelUsed), executorVersion };
}

/** `revealed` as the argument @polkadot/api expects (calls and runtime APIs). */
export function revealedArg(revealed) {
  return { ...revealed, outputHash: u8aToHex(revealed.outputHash) };
}

// What an executor key signs comes from the runtime (`BourseApi`): the scripts never encode a
// payload themselves, so a change of its format reaches them with the runtime.

/** The bytes of a runtime API's `Vec<u8>` answer: @polkadot/api keeps its SCALE length prefix. */
const payload = (answer) => compactStripLength(answer.toU8a(true))[1];

/** The bytes an executor key signs for `provider`'s statement `claim` about task `taskId`. */
async function statementPayload(api, taskId, provider, claim) {
  return payload(await api.call.bourseApi.statementPayload({ taskId, provider, claim }));
}

/**
 * `provider`'s lone answer (replication 1) to task `taskId` with `output` and `fuelUsed`: its
 * commitment (`answerCommitment`) under `salt`, and the output with the salt sealed to the
 * task's reply key, as the chain holds them now. Resolves with `{ answer, sealed, opening }`:
 * the `SealedAnswer` argument of `attestation.answer`, its box, and the `Opening` that opens its
 * commitment if the answer is audited (`attestation.open`).
 */
export async function sealedAnswer(api, taskId, provider, output, fuelUsed, {
  status = 'Success', executorVersion = api.consts.attestation.executorVersion.toNumber(), salt = randomAsU8a(32),
} = {}) {
  const [digest, key] = await Promise.all([api.query.tasks.digests(taskId), replyKeyOf(api, taskId)]);
  const digestBytes = digest.unwrap().toU8a();
  const maxOutput = api.consts.tasks.maxOutputSize.toNumber();
  const sealed = await seal(key.toU8a(), digestBytes, salt, output, maxOutput);
  // A script that plays a provider never ran the task: its stand-in fingerprint is random.
  const fingerprint = randomAsU8a(32);
  const proof = executionProof(salt, fingerprint);
  const commitment = answerCommitment(api, {
    digest: digestBytes, taskId, provider, status, fuelUsed, executorVersion, salt, output, proof,
  });
  const answer = {
    status, fuelUsed: BigInt(fuelUsed), executorVersion, commitment: u8aToHex(commitment), proof: u8aToHex(proof), maxOutput, sealedHash: u8aToHex(blake2AsU8a(sealed, 256)),
  };
  const opening = {
    status, fuelUsed: BigInt(fuelUsed), executorVersion, outputDigest: u8aToHex(blake2AsU8a(output, 256)),
    fingerprint: u8aToHex(fingerprint), salt: u8aToHex(salt),
  };
  return { answer, sealed, opening };
}

/** The payload signed for a lone answer (`answer`: as `sealedAnswer` makes it). */
export async function answerPayload(api, taskId, provider, answer) {
  return statementPayload(api, taskId, provider, { Answer: answer });
}

/** The payload signed to open a commitment in an audit (`opening`: as `sealedAnswer` makes it). */
export async function openPayload(api, taskId, who, opening) {
  return statementPayload(api, taskId, who, { Open: opening });
}

/** The commitment to `revealed` with `salt`. */
export async function commitment(api, taskId, provider, revealed, salt) {
  return (await api.call.bourseApi.commitment(taskId, provider, revealedArg(revealed), u8aToHex(salt))).toU8a();
}

/** The payload signed for a commit. */
export async function commitPayload(api, taskId, provider, committed) {
  return statementPayload(api, taskId, provider, { Commit: u8aToHex(committed) });
}

/** The payload signed for a reveal. */
export async function revealPayload(api, taskId, provider, revealed, salt) {
  return statementPayload(api, taskId, provider, { Reveal: { revealed: revealedArg(revealed), salt: u8aToHex(salt) } });
}

/** The payload signed for an abstention (`reason`: Time, Memory, Version or LocalFailure). */
export async function abstainPayload(api, taskId, provider, reason) {
  return statementPayload(api, taskId, provider, { Abstain: reason });
}

/** The payload `provider`'s executor key signs to lower its offer to `slots` (0: withdraw it);
 * throws when there is no offer to lower. */
export async function limitPayload(api, provider, slots) {
  const bytes = payload(await api.call.bourseApi.limitPayload(provider, slots));
  if (bytes.length === 0) throw new Error(`${provider} has no offer`);
  expectPrefix(api, bytes, 'bourse/limit-offer', provider);
  return bytes;
}

/**
 * Refuses to sign bytes from the node that do not start as the chain's payload of `context`
 * for `provider` does (context, genesis hash, account): a lying node could otherwise have the
 * executor key sign something else, e.g. a proof of possession ("POP_" ‖ owner) binding the key
 * to its own account.
 */
function expectPrefix(api, bytes, context, provider) {
  const prefix = u8aConcat(compactAddLength(stringToU8a(context)), api.genesisHash.toU8a(), decodeAddress(provider));
  if (!u8aEq(bytes.subarray(0, prefix.length), prefix)) {
    throw new Error(`the node's ${context} payload is not one (refusing to sign it)`);
  }
}

/** The `owner` an executor key proves possession for, to be bound to `provider`. */
export async function executorOwner(api, provider) {
  const owner = payload(await api.call.bourseApi.executorOwner(provider));
  expectPrefix(api, owner, 'bourse/executor-owner', provider);
  return owner;
}

/** A proof of possession by the sr25519 key `pair` (one a test or script holds) for being
 * bound to `provider`: the key's signature over "POP_" ‖ owner, as the runtime verifies. */
export async function possessionProof(api, pair, provider) {
  return u8aToHex(pair.sign(u8aConcat(new TextEncoder().encode('POP_'), await executorOwner(api, provider))));
}

/**
 * Makes the node behind `rpc` (its keystore) generate fresh session keys owned by `provider`
 * (`author_rotateKeysWithOwner`, an unsafe RPC: the node's own, or `--rpc-methods unsafe`) and
 * returns its new executor (`bour`) key with that key's proof of possession: the operator
 * never sees the secret. The proof is a tuple of one 64-byte signature per session key, in
 * the keys' order.
 */
export async function nodeExecutorKey(api, rpc, provider) {
  const owner = u8aToHex(await executorOwner(api, provider));
  const generated = await rpc.send('author_rotateKeysWithOwner', [owner]);
  if (!generated.proof) throw new Error('the node made no proof of possession (runtime too old?)');
  const decoded = (await api.call.sessionKeys.decodeSessionKeys(generated.keys)).unwrap();
  const types = decoded.map(([, type]) => Buffer.from(type.toU8a()).toString('latin1'));
  const index = types.indexOf('bour');
  if (index < 0) throw new Error(`the node's session keys have no bour key (${types.join(', ')})`);
  const proof = Buffer.from(generated.proof.slice(2), 'hex');
  if (proof.length !== 64 * types.length) throw new Error(`unexpected proof of ${proof.length} bytes for ${types.length} keys`);
  return {
    executor: u8aToHex(decoded[index][0].toU8a(true)),
    proof: u8aToHex(proof.subarray(64 * index, 64 * (index + 1))),
  };
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
