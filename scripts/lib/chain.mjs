// What the command line and the demos share: connecting, sending, amounts, errors.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { bourseRpc } from './rpc.mjs';

/** A failure to report in one line, without a stack trace. */
export class UserError extends Error {}

export const UNIT = 10n ** 12n;

/** An amount in plancks from `123` or `1.5BRS`. */
export function parseAmount(text, what) {
  const match = /^(\d+)(?:\.(\d{1,12}))?\s*(BRS)?$/i.exec(String(text).trim());
  if (!match || (match[2] && !match[3])) throw new UserError(`${what}: expected plancks (an integer) or an amount in BRS like 0.5BRS, got '${text}'`);
  if (!match[3]) return BigInt(match[1]);
  return BigInt(match[1]) * UNIT + BigInt((match[2] ?? '').padEnd(12, '0'));
}

export function formatAmount(plancks) {
  const value = BigInt(plancks);
  const whole = value / UNIT;
  const fraction = (value % UNIT).toString().padStart(12, '0').replace(/0+$/, '');
  return `${whole}${fraction ? `.${fraction}` : ''} BRS`;
}

export async function connect(url) {
  const provider = new WsProvider(url, false);
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new UserError(`cannot reach a Bourse node at ${url}`)), 10_000));
  try {
    await Promise.race([provider.connect(), timeout]);
    const api = await Promise.race([ApiPromise.create({ provider, rpc: bourseRpc, noInitWarn: true, throwOnConnect: true }), timeout]);
    // bourse_* answers as plain JSON (see scripts/lib/rpc.mjs).
    api.bourse = async (method, params = []) => {
      try {
        return await provider.send(`bourse_${method}`, params);
      } catch (error) {
        throw new UserError(`bourse_${method}: ${error.message.replace(/^-?\d+: /, '')}`);
      }
    };
    return api;
  } catch (error) {
    await provider.disconnect().catch(() => {});
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot reach a Bourse node at ${url}: ${error.message}`);
  }
}

/** The chain's words for a dispatch error: `Pallet.Error: its docs`. */
export function explain(api, dispatchError) {
  if (dispatchError.isModule) {
    const { section, name, docs } = api.registry.findMetaError(dispatchError.asModule);
    return `${section}.${name}: ${docs.join(' ').trim()}`;
  }
  if (dispatchError.isToken) return `token error: ${dispatchError.asToken.type}`;
  return dispatchError.toString();
}

/** Sends `tx` signed by `signer` (signing `options`, e.g. an explicit nonce); resolves with its
 * block's events once in a block. */
export function send(api, tx, signer, what, options = {}) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    const timer = setTimeout(() => { unsub(); reject(new UserError(`${what}: not in a block after 60 s`)); }, 60_000);
    tx.signAndSend(signer, options, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        clearTimeout(timer); unsub();
        reject(new UserError(`${what} failed: ${explain(api, dispatchError)}`));
      } else if (status.isInBlock) {
        clearTimeout(timer); unsub();
        resolve({ blockHash: status.asInBlock, events });
      } else if (status.isInvalid || status.isDropped || status.isUsurped) {
        clearTimeout(timer); unsub();
        reject(new UserError(`${what}: transaction ${status.type}`));
      }
    }).then((u) => { unsub = u; }, (error) => {
      clearTimeout(timer);
      reject(new UserError(`${what} refused: ${error.message}`));
    });
  });
}

