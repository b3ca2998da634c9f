//! The node's RPC: the standard Substrate methods plus `system_*` account nonce and
//! `payment_*` fee queries used by wallets and polkadot.js, BABE's `babe_epochAuthorship`, and
//! the `bourse_*` market views.

use std::sync::Arc;

use bourse_runtime::{opaque::Block, AccountId, Balance, Nonce};
use jsonrpsee::RpcModule;
use polkadot_sdk::{
	sc_transaction_pool_api::TransactionPool,
	sp_api::ProvideRuntimeApi,
	sp_block_builder::BlockBuilder,
	sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata},
	*,
};

/// What the RPC methods need from the node.
pub struct FullDeps<C, P, SC> {
	/// The client, to read state and call runtime APIs.
	pub client: Arc<C>,
	/// The transaction pool.
	pub pool: Arc<P>,
	/// The chain selection, for BABE's epoch queries.
	pub select_chain: SC,
	/// The node's keystore, for `babe_epochAuthorship`.
	pub keystore: sp_keystore::KeystorePtr,
	/// BABE's worker, for its epoch data.
	pub babe_worker_handle: sc_consensus_babe::BabeWorkerHandle<Block>,
}

/// Builds the RPC module of a full node.
pub fn create_full<C, P, SC>(
	deps: FullDeps<C, P, SC>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: BlockBuilder<Block>,
	C::Api:
		bourse_primitives::api::BourseApi<Block, AccountId, Balance, bourse_runtime::BlockNumber>,
	C::Api: sp_consensus_babe::BabeApi<Block>,
	P: TransactionPool + 'static,
	SC: sp_consensus::SelectChain<Block> + 'static,
{
	use crate::bourse_rpc::{BourseRpc, BourseRpcApiServer};
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use sc_consensus_babe_rpc::BabeApiServer;
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, select_chain, keystore, babe_worker_handle } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(
		sc_consensus_babe_rpc::Babe::new(
			client.clone(),
			babe_worker_handle,
			keystore,
			select_chain,
		)
		.into_rpc(),
	)?;
	module.merge(BourseRpc::new(client).into_rpc())?;

	Ok(module)
}
