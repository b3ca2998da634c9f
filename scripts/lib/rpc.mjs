// The node's custom RPC methods, for `ApiPromise.create({ rpc: bourseRpc })`. Their answers
// are JSON; @polkadot/api's `Json` type turns a top-level array into an object with keys "0",
// "1"…, so the scripts read them with a plain JSON-RPC call (`api.bourse` in chain.mjs).

/** The optional last parameter of every method: the hash of the block to read (default: best). */
const AT = { name: 'at', type: 'BlockHash', isOptional: true };

/** bourse_* RPC definitions for @polkadot/api (answers are JSON). */
export const bourseRpc = {
  bourse: {
    offers: { description: 'Offers with a free slot, cheapest first', params: [{ name: 'limit', type: 'u32', isOptional: true }, AT], type: 'Json' },
    provider: { description: 'A provider', params: [{ name: 'account', type: 'Text' }, AT], type: 'Json' },
    task: { description: 'A task, its answers and result', params: [{ name: 'id', type: 'u64' }, AT], type: 'Json' },
    job: { description: "A job's tiles by phase and the done ones' cost", params: [{ name: 'id', type: 'u64' }, AT], type: 'Json' },
    quote: {
      description: 'Would a task be assigned now, to whom, at what cost',
      params: [
        { name: 'fuel', type: 'u64' },
        { name: 'replication', type: 'u32' },
        { name: 'maxPrice', type: 'Text' },
        { name: 'minReputation', type: 'Text', isOptional: true },
        { name: 'memoryMib', type: 'u32', isOptional: true },
        { name: 'requester', type: 'Text', isOptional: true },
        AT,
      ],
      type: 'Json',
    },
  },
};

