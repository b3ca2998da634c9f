//! Traits through which the Bourse pallets talk to each other. The runtime decides which
//! pallet implements each; no pallet names another pallet's storage.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::sp_arithmetic::Perbill;
use scale_info::TypeInfo;

/// How a provider's part in a settled task ended, as settlement judged it.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Verdict {
	/// Its outcome was the agreed (majority) outcome.
	Agreed,
	/// It revealed an outcome that lost the vote: it lied or computed wrongly.
	OutVoted,
	/// It gave no valid answer before the deadline.
	NoShow,
}

/// Providers' reputation, as other pallets see it.
pub trait ProviderReputation<AccountId> {
	/// The provider's current score, between 0 and 1.
	fn score(provider: &AccountId) -> Perbill;

	/// Records a settled task's verdict for the provider; `value` is what the task was worth
	/// (its escrow), so that important tasks weigh more.
	fn record(provider: &AccountId, verdict: Verdict, value: u128);
}
