//! # Reputation pallet
//!
//! Public, on-chain reputation of Bourse compute providers. It decides who gets work: the
//! requester's minimum reputation filters providers, and provider selection weighs them by
//! bond × reputation.
//!
//! ## Model
//!
//! Per provider, Beta-style evidence: `successes` and `failures`, fixed-point numbers.
//! Settlement reports each provider's [`Verdict`] on a task together with the task's value:
//!
//! - [`Verdict::Agreed`] adds `value / ValueUnit` (at most `MaxEvidencePerTask`) to successes
//!   (settlement reports it only for checked work: agreement among replicas; a lone answer is
//!   paid, not evidence);
//! - [`Verdict::OutVoted`] adds that much times [`Config::OutVotedWeight`] to failures — lying
//!   costs more than one honest task earns;
//! - [`Verdict::NoShow`] adds that much times [`Config::NoShowWeight`] to failures;
//! - [`Verdict::Abstained`] adds that much times [`Config::AbstainWeight`] (less than silence)
//!   to failures: the provider could not deliver, but said so.
//!
//! Evidence decays exponentially: it halves every [`Config::HalfLife`] blocks (a per-block factor
//! `2^(-1/HalfLife)` in fixed point, so the result does not depend on how often a record is
//! touched), applied lazily when a provider's record is read or updated, so old behaviour
//! matters less than recent behaviour and no block ever walks all providers.
//!
//! The score is `(s + 1) / (s + f + 2 + P)` as a [`Perbill`], where `P` =
//! [`Config::PriorFailures`] is a cautious prior that never decays: a provider without evidence
//! scores `1 / (2 + P)`, below any established honest provider. Records are kept when a
//! provider leaves, so leaving and registering again never raises a score; as evidence decays a
//! score drifts back towards the prior, not above it.
//!
//! There is no extrinsic: only settlement, through [`ProviderReputation::record`], changes a
//! record. Every change emits [`Event::ReputationUpdated`].
#![cfg_attr(not(feature = "std"), no_std)]

pub use bourse_primitives::traits::{ProviderReputation, Verdict};
pub use pallet::*;
use polkadot_sdk::polkadot_sdk_frame as frame;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

#[frame::pallet]
pub mod pallet {
	use super::*;
	use frame::{
		arithmetic::{FixedPointNumber, FixedU128, Perbill, Saturating},
		prelude::*,
	};

	/// A provider's evidence, as of block `updated`.
	#[derive(
		Clone,
		Copy,
		Debug,
		Default,
		PartialEq,
		Eq,
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		TypeInfo,
	)]
	pub struct Record<BlockNumber> {
		/// Decayed weight of agreed answers.
		pub successes: FixedU128,
		/// Decayed weight of out-voted and missing answers.
		pub failures: FixedU128,
		/// Block at which the decay was last applied.
		pub updated: BlockNumber,
	}

	/// The storage layout's version: 1 since versions were first recorded (the runtime's
	/// `Migrations` records it on a chain that had none).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Blocks after which evidence counts half. Must not be zero.
		#[pallet::constant]
		type HalfLife: Get<BlockNumberFor<Self>>;

		/// Task value (in the smallest balance unit) that counts as one unit of evidence.
		#[pallet::constant]
		type ValueUnit: Get<u128>;

		/// Most evidence one task can add, in units: one huge task cannot buy a reputation.
		#[pallet::constant]
		type MaxEvidencePerTask: Get<u32>;

		/// How many times an out-voted answer weighs more than an agreed one.
		#[pallet::constant]
		type OutVotedWeight: Get<u32>;

		/// How many times a missing answer weighs more than an agreed one.
		#[pallet::constant]
		type NoShowWeight: Get<u32>;

		/// How much an abstention weighs as a failure, against an agreed answer's one success:
		/// less than silence, so saying "I could not" beats saying nothing, yet a provider that
		/// abstains from everything loses the selection it would keep for free.
		#[pallet::constant]
		type AbstainWeight: Get<u32>;

		/// Pseudo-failures of the prior: a provider without evidence scores `1 / (2 + P)`.
		#[pallet::constant]
		type PriorFailures: Get<u32>;

		/// Weights of reading and recording a score, from the benchmarks; callers charge them
		/// through [`ProviderReputation::score_weight`] and [`ProviderReputation::record_weight`].
		type WeightInfo: WeightInfo;
	}

	/// Evidence per provider account. Kept after a provider leaves, so that registering again
	/// starts from the old record, never from a clean slate.
	#[pallet::storage]
	pub type Records<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Record<BlockNumberFor<T>>, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Settlement recorded a verdict for a provider; `score` is its new score.
		ReputationUpdated { provider: T::AccountId, verdict: Verdict, score: Perbill },
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(!T::HalfLife::get().is_zero(), "HalfLife must not be zero");
			assert!(T::ValueUnit::get() > 0, "ValueUnit must not be zero");
			assert!(T::MaxEvidencePerTask::get() > 0, "MaxEvidencePerTask must not be zero");
			assert!(T::OutVotedWeight::get() > 1, "a lie must weigh more than a success");
			assert!(T::NoShowWeight::get() > 1, "silence must weigh more than a success");
			assert!(
				T::AbstainWeight::get() < T::NoShowWeight::get(),
				"an abstention must weigh less than silence"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), frame::try_runtime::TryRuntimeError> {
			Self::do_try_state().map_err(Into::into)
		}
	}

	impl<T: Config> Pallet<T> {
		/// The share of evidence kept after one block: `2^(-1 / HalfLife)`, computed as
		/// `1 / exp(ln 2 / HalfLife)` with a Taylor series in fixed point (deterministic, no
		/// floats). Evidence kept after `n` blocks is this to the power `n`, so decay composes
		/// exactly however often a record is updated.
		pub fn keep_per_block() -> FixedU128 {
			// ln 2 with 18 decimals.
			const LN_2: FixedU128 = FixedU128::from_inner(693_147_180_559_945_309);
			let half_life: u128 = T::HalfLife::get().saturated_into::<u128>().max(1);
			let x = LN_2 / FixedU128::saturating_from_integer(half_life);
			// exp(x) for 0 < x <= ln 2: 30 terms are far beyond 18 decimals.
			let (mut sum, mut term) = (FixedU128::one(), FixedU128::one());
			for k in 1u32..30 {
				term = term.saturating_mul(x) / FixedU128::saturating_from_integer(k);
				if term.is_zero() {
					break;
				}
				sum = sum.saturating_add(term);
			}
			FixedU128::one() / sum
		}

		/// `record` decayed from its last update to `now`: evidence times
		/// [`Self::keep_per_block`] to the power of the elapsed blocks.
		pub fn decayed(
			record: Record<BlockNumberFor<T>>,
			now: BlockNumberFor<T>,
		) -> Record<BlockNumberFor<T>> {
			let elapsed: u128 = now.saturating_sub(record.updated).saturated_into();
			let half_life: u128 = T::HalfLife::get().saturated_into::<u128>().max(1);
			let factor = if elapsed == 0 {
				FixedU128::one()
			} else if elapsed / half_life >= 64 {
				// Less than 2^-64 of anything is left.
				FixedU128::zero()
			} else {
				Self::keep_per_block().saturating_pow(elapsed as usize)
			};
			Record {
				successes: record.successes.saturating_mul(factor),
				failures: record.failures.saturating_mul(factor),
				updated: now.max(record.updated),
			}
		}

		/// The score of evidence `record`: `(s + 1) / (s + f + 2 + P)`.
		pub fn score_of(record: &Record<BlockNumberFor<T>>) -> Perbill {
			let one = FixedU128::one();
			let numerator = record.successes.saturating_add(one);
			let denominator = record.successes.saturating_add(record.failures).saturating_add(
				FixedU128::saturating_from_integer(2u32.saturating_add(T::PriorFailures::get())),
			);
			Perbill::from_rational(numerator.into_inner(), denominator.into_inner())
		}

		/// A provider's record as of now (decay applied, not stored); empty if it has none.
		pub fn current(provider: &T::AccountId) -> Record<BlockNumberFor<T>> {
			let now = frame_system::Pallet::<T>::block_number();
			Records::<T>::get(provider)
				.map(|r| Self::decayed(r, now))
				.unwrap_or(Record { updated: now, ..Default::default() })
		}

		/// Evidence one task of `value` adds, before the verdict's weight.
		fn evidence(value: u128) -> FixedU128 {
			FixedU128::checked_from_rational(value, T::ValueUnit::get().max(1))
				.unwrap_or_else(FixedU128::max_value)
				.min(FixedU128::saturating_from_integer(T::MaxEvidencePerTask::get()))
		}

		/// The pallet's invariants: no record is dated in the future, and every score is in
		/// `[0, 1]` with the prior bounding a record without successes.
		#[cfg(any(test, feature = "try-runtime"))]
		pub fn do_try_state() -> Result<(), &'static str> {
			let now = frame_system::Pallet::<T>::block_number();
			let prior = Self::score_of(&Record::default());
			for (_, record) in Records::<T>::iter() {
				ensure!(record.updated <= now, "a reputation record is dated in the future");
				if record.successes.is_zero() {
					ensure!(
						Self::score_of(&record) <= prior,
						"a score without successes is above the prior"
					);
				}
			}
			Ok(())
		}
	}

	impl<T: Config> ProviderReputation<T::AccountId> for Pallet<T> {
		fn score(provider: &T::AccountId) -> Perbill {
			Self::score_of(&Self::current(provider))
		}

		fn score_weight() -> Weight {
			T::WeightInfo::score()
		}

		fn record_weight() -> Weight {
			T::WeightInfo::record()
		}

		fn record(provider: &T::AccountId, verdict: Verdict, value: u128) {
			let evidence = Self::evidence(value);
			// A worthless task changes nothing: no write, no event.
			if evidence.is_zero() {
				return;
			}
			let mut record = Self::current(provider);
			match verdict {
				Verdict::Agreed => record.successes = record.successes.saturating_add(evidence),
				Verdict::OutVoted => {
					record.failures = record.failures.saturating_add(evidence.saturating_mul(
						FixedU128::saturating_from_integer(T::OutVotedWeight::get()),
					))
				}
				Verdict::Abstained => {
					record.failures = record.failures.saturating_add(evidence.saturating_mul(
						FixedU128::saturating_from_integer(T::AbstainWeight::get()),
					))
				}
				Verdict::NoShow => {
					record.failures =
						record.failures.saturating_add(evidence.saturating_mul(
							FixedU128::saturating_from_integer(T::NoShowWeight::get()),
						))
				}
			}
			let score = Self::score_of(&record);
			Records::<T>::insert(provider, record);
			Self::deposit_event(Event::ReputationUpdated {
				provider: provider.clone(),
				verdict,
				score,
			});
		}
	}
}
