//! Confidential tasks: an input readable only by the providers it is sealed to, an output only by
//! them and the requester.
//!
//! The requester draws one *task secret* `s` (32 bytes) per task or job. From it, with
//! HKDF-SHA256, come one key per tile for the input, the output and the run's fingerprint
//! ([`input_key`], [`output_key`], [`fingerprint_key`]). The chain stores only
//! [`secret_hash`]`(s)`, which binds every ciphertext and seal of the task.
//!
//! - **Input**: AES-256-GCM-SIV under the tile's input key, bound (associated data) to the chain,
//!   the workload, the requester, the secret's hash and the tile ([`encrypt_input`]).
//! - **Seals**: `s` is sealed to each chosen provider's published encryption key with HPKE
//!   (RFC 9180), the suite of [`crate::reply`], bound to the chain, the workload, the requester
//!   and the secret's hash ([`seal_secret`]); [`open_secret`] refuses a secret whose hash is not
//!   the task's.
//! - **Output**: AES-256-GCM-SIV under the tile's output key with a fixed nonce, bound to the
//!   task and its public facts (status, fuel, executor version) ([`encrypt_output`]).
//!   Deterministic: honest replicas that ran the same task produce the same ciphertext, so the
//!   chain compares ciphertext digests and never sees a digest of the plaintext. GCM-SIV is
//!   built for a repeated nonce: a repeated (key, nonce, associated data, plaintext) gives the
//!   same ciphertext and reveals nothing else, where a stream cipher with a fixed nonce would
//!   give a liar who chose its own plaintext the key stream of the honest output.
//! - **Fingerprint**: a run's public fingerprint is a hash of its final memory, which holds its
//!   input and output; anyone could check a guessed input against it. Confidential tasks show
//!   [`keyed_fingerprint`] instead, which needs the task secret.
//!
//! Every plaintext is `length (u32, little endian) ‖ bytes ‖ zero padding`, opened strictly,
//! padded so that the ciphertext's length tells little: inputs to a power of two
//! ([`padded_input_len`]); outputs so that the ciphertext, boxed to the requester by
//! [`crate::reply::seal`], fills a power of two there ([`padded_output_len`]).
//!
//! The scripts' side is `scripts/lib/confidential.mjs` (`@noble/ciphers`, `@noble/hashes`,
//! `@hpke/core`), with vectors checked both ways (`primitives/tests/confidential-vectors.json`).
//!
//! What stays public: that a task is confidential, its workload, its requester, the providers
//! it is sealed to and those drawn, its status (`Exit(n)` included), fuel used, the padded
//! sizes and the timing.

use crate::{reply, CodeHash, Status};
use aes_gcm_siv::{
	aead::{Aead, KeyInit, Payload},
	Aes256GcmSiv, Nonce,
};
use alloc::vec::Vec;
use codec::Encode;
use polkadot_sdk::sp_crypto_hashing::blake2_256;

/// A task's secret: every key of the task derives from it.
pub type TaskSecret = [u8; 32];

/// Domain separation of [`secret_hash`].
pub const SECRET_CONTEXT: &[u8] = b"bourse/task-secret";
/// Domain separation of a seal's HPKE `info` ([`seal_info`]).
pub const SEAL_CONTEXT: &[u8] = b"bourse/task-secret-seal";
/// Domain separation of an input's associated data, and HKDF label of [`input_key`].
pub const INPUT_CONTEXT: &[u8] = b"bourse/input";
/// Domain separation of an output's associated data, and HKDF label of [`output_key`].
pub const OUTPUT_CONTEXT: &[u8] = b"bourse/output";
/// Domain separation of [`keyed_fingerprint`], and HKDF label of [`fingerprint_key`].
pub const FINGERPRINT_CONTEXT: &[u8] = b"bourse/fingerprint";

/// Bytes of a sealed secret: HPKE's encapsulated key (32), the secret (32) and the tag (16).
pub const SEALED_SECRET_LEN: usize = 32 + 32 + 16;
/// Bytes of the length before the plaintext.
pub const LENGTH_LEN: usize = 4;
/// Bytes AES-GCM-SIV adds: its tag.
pub const TAG_LEN: usize = 16;
/// Bytes a ciphertext has beyond its plaintext, at the least: the length and the tag.
pub const OVERHEAD: usize = LENGTH_LEN + TAG_LEN;
/// The least padded input plaintext.
pub const MIN_PADDED_INPUT: usize = 64;

/// Most providers a confidential task's secret is sealed to (its *members*).
pub const MAX_MEMBERS: usize = 16;

/// A sealed task secret, as stored for one provider.
pub type SealedSecret = [u8; SEALED_SECRET_LEN];

/// Why a confidential value was not made or not opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfidentialError {
	/// The plaintext is longer than the bound allows.
	TooLarge,
	/// A key is not a usable X25519 key (see [`reply::is_usable_key`]).
	BadKey,
	/// The ciphertext or seal does not authenticate under this key and context, or its
	/// plaintext's length or padding is wrong.
	Malformed,
	/// The seal opened to a secret whose hash is not the task's.
	WrongSecret,
}

/// What binds a task's seals and inputs to it: the chain, the workload, the requester and the
/// hash of the task's secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskContext<AccountId> {
	/// The chain's genesis hash.
	pub genesis: [u8; 32],
	/// The workload the input is for.
	pub workload: CodeHash,
	/// The requester.
	pub requester: AccountId,
	/// [`secret_hash`] of the task's secret.
	pub secret_hash: [u8; 32],
}

/// What binds an output's ciphertext to its task and run: the chain, the task and the run's
/// public facts. Two replicas agree on a ciphertext only if they agree on all of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputContext {
	/// The chain's genesis hash.
	pub genesis: [u8; 32],
	/// The task.
	pub task_id: crate::traits::TaskId,
	/// The run's status.
	pub status: Status,
	/// The run's fuel.
	pub fuel_used: u64,
	/// The sandbox's version.
	pub executor_version: u32,
}

/// The hash of task secret `secret` the chain stores: blake2-256 of SCALE(context, secret).
pub fn secret_hash(secret: &TaskSecret) -> [u8; 32] {
	blake2_256(&(SECRET_CONTEXT, secret).encode())
}

/// HKDF-SHA256 of `secret` (no salt) with `info` = `label ‖ tile (u32, little endian)`.
fn derive(secret: &TaskSecret, label: &[u8], tile: u32) -> [u8; 32] {
	let mut key = [0u8; 32];
	let info = [label, &tile.to_le_bytes()].concat();
	// 32 bytes is always within HKDF-SHA256's output bound (255 × 32): never an error.
	let _ = hkdf::Hkdf::<sha2::Sha256>::new(None, secret).expand(&info, &mut key);
	key
}

/// The key of tile `tile`'s input (a lone task is tile 0).
pub fn input_key(secret: &TaskSecret, tile: u32) -> [u8; 32] {
	derive(secret, INPUT_CONTEXT, tile)
}

/// The key of tile `tile`'s output.
pub fn output_key(secret: &TaskSecret, tile: u32) -> [u8; 32] {
	derive(secret, OUTPUT_CONTEXT, tile)
}

/// The key of tile `tile`'s keyed fingerprint.
pub fn fingerprint_key(secret: &TaskSecret, tile: u32) -> [u8; 32] {
	derive(secret, FINGERPRINT_CONTEXT, tile)
}

/// The length of `exact` bytes padded to a power of two, at least `least` and at most `most`
/// (never below `exact`).
fn bucket(exact: usize, least: usize, most: usize) -> usize {
	exact.checked_next_power_of_two().unwrap_or(most).clamp(least.min(most), most).max(exact)
}

/// The padded plaintext's length of an input of `input_len` bytes whose ciphertext may have
/// at most `max_ciphertext` bytes.
pub fn padded_input_len(input_len: usize, max_ciphertext: usize) -> usize {
	let exact = LENGTH_LEN.saturating_add(input_len);
	bucket(exact, MIN_PADDED_INPUT, max_ciphertext.saturating_sub(TAG_LEN))
}

/// The most bytes an input may have when its ciphertext may have at most `max_ciphertext`.
pub const fn max_input_len(max_ciphertext: usize) -> usize {
	max_ciphertext.saturating_sub(OVERHEAD)
}

/// The padded plaintext's length of an output of `output_len` bytes whose ciphertext may have
/// at most `max_ciphertext` bytes: the ciphertext plus the reply box's header fills a power of
/// two (at least [`reply::MIN_PADDED`]), so boxing it to the requester adds no padding.
pub fn padded_output_len(output_len: usize, max_ciphertext: usize) -> usize {
	let around = TAG_LEN.saturating_add(reply::HEADER_LEN);
	let exact = LENGTH_LEN.saturating_add(output_len).saturating_add(around);
	let most = max_ciphertext.saturating_add(reply::HEADER_LEN);
	bucket(exact, reply::MIN_PADDED, most).saturating_sub(around)
}

/// The most bytes an output may have when its ciphertext may have at most `max_ciphertext`.
pub const fn max_output_len(max_ciphertext: usize) -> usize {
	max_ciphertext.saturating_sub(OVERHEAD)
}

/// `length ‖ bytes ‖ zeros` to `padded` bytes.
fn pad(bytes: &[u8], padded: usize) -> Result<Vec<u8>, ConfidentialError> {
	let length = u32::try_from(bytes.len()).map_err(|_| ConfidentialError::TooLarge)?;
	let mut plaintext = Vec::with_capacity(padded);
	plaintext.extend_from_slice(&length.to_le_bytes());
	plaintext.extend_from_slice(bytes);
	plaintext.resize(padded, 0);
	Ok(plaintext)
}

/// The bytes of a padded plaintext, if its length fits `max` and its padding is `padded_len`
/// of that length and all zero.
fn unpad(
	plaintext: &[u8],
	max: usize,
	padded_len: impl Fn(usize) -> usize,
) -> Result<Vec<u8>, ConfidentialError> {
	let (length, rest) =
		plaintext.split_at_checked(LENGTH_LEN).ok_or(ConfidentialError::Malformed)?;
	let length = u32::from_le_bytes(length.try_into().map_err(|_| ConfidentialError::Malformed)?);
	let length = usize::try_from(length).map_err(|_| ConfidentialError::Malformed)?;
	if length > max || plaintext.len() != padded_len(length) {
		return Err(ConfidentialError::Malformed);
	}
	let (bytes, padding) = rest.split_at_checked(length).ok_or(ConfidentialError::Malformed)?;
	if padding.iter().any(|byte| *byte != 0) {
		return Err(ConfidentialError::Malformed);
	}
	Ok(bytes.to_vec())
}

/// AES-256-GCM-SIV of `plaintext` under `key` with the all-zero nonce.
fn encrypt(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, ConfidentialError> {
	let cipher = Aes256GcmSiv::new(key.into());
	cipher
		.encrypt(&Nonce::default(), Payload { msg: plaintext, aad })
		.map_err(|_| ConfidentialError::TooLarge)
}

/// Opens what [`encrypt`] made.
fn decrypt(key: &[u8; 32], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, ConfidentialError> {
	let cipher = Aes256GcmSiv::new(key.into());
	cipher
		.decrypt(&Nonce::default(), Payload { msg: ciphertext, aad })
		.map_err(|_| ConfidentialError::Malformed)
}

/// The associated data of tile `tile`'s input.
pub fn input_aad<AccountId: Encode>(context: &TaskContext<AccountId>, tile: u32) -> Vec<u8> {
	(
		INPUT_CONTEXT,
		context.genesis,
		context.workload,
		&context.requester,
		context.secret_hash,
		tile,
	)
		.encode()
}

/// Encrypts tile `tile`'s `input` for the task of `context`, into at most `max_ciphertext`
/// bytes (the chain's bound on a task's input).
pub fn encrypt_input<AccountId: Encode>(
	secret: &TaskSecret,
	context: &TaskContext<AccountId>,
	tile: u32,
	input: &[u8],
	max_ciphertext: usize,
) -> Result<Vec<u8>, ConfidentialError> {
	if max_ciphertext < OVERHEAD || input.len() > max_input_len(max_ciphertext) {
		return Err(ConfidentialError::TooLarge);
	}
	let plaintext = pad(input, padded_input_len(input.len(), max_ciphertext))?;
	encrypt(&input_key(secret, tile), &input_aad(context, tile), &plaintext)
}

/// Decrypts what [`encrypt_input`] made; strict about length and padding.
pub fn decrypt_input<AccountId: Encode>(
	secret: &TaskSecret,
	context: &TaskContext<AccountId>,
	tile: u32,
	ciphertext: &[u8],
	max_ciphertext: usize,
) -> Result<Vec<u8>, ConfidentialError> {
	if ciphertext.len() > max_ciphertext {
		return Err(ConfidentialError::Malformed);
	}
	let plaintext = decrypt(&input_key(secret, tile), &input_aad(context, tile), ciphertext)?;
	unpad(&plaintext, max_input_len(max_ciphertext), |len| padded_input_len(len, max_ciphertext))
}

/// The associated data of an output.
pub fn output_aad(context: &OutputContext) -> Vec<u8> {
	(
		OUTPUT_CONTEXT,
		context.genesis,
		context.task_id,
		context.status,
		context.fuel_used,
		context.executor_version,
	)
		.encode()
}

/// Encrypts tile `tile`'s `output` of the run `context`, into at most `max_ciphertext` bytes.
/// Deterministic: the same task secret, tile, run and output give the same ciphertext.
pub fn encrypt_output(
	secret: &TaskSecret,
	tile: u32,
	context: &OutputContext,
	output: &[u8],
	max_ciphertext: usize,
) -> Result<Vec<u8>, ConfidentialError> {
	if max_ciphertext < OVERHEAD || output.len() > max_output_len(max_ciphertext) {
		return Err(ConfidentialError::TooLarge);
	}
	let plaintext = pad(output, padded_output_len(output.len(), max_ciphertext))?;
	encrypt(&output_key(secret, tile), &output_aad(context), &plaintext)
}

/// Decrypts what [`encrypt_output`] made; strict about length and padding.
pub fn decrypt_output(
	secret: &TaskSecret,
	tile: u32,
	context: &OutputContext,
	ciphertext: &[u8],
	max_ciphertext: usize,
) -> Result<Vec<u8>, ConfidentialError> {
	if ciphertext.len() > max_ciphertext {
		return Err(ConfidentialError::Malformed);
	}
	let plaintext = decrypt(&output_key(secret, tile), &output_aad(context), ciphertext)?;
	unpad(&plaintext, max_output_len(max_ciphertext), |len| padded_output_len(len, max_ciphertext))
}

/// The fingerprint a confidential run shows in place of its public `fingerprint` (a hash of
/// its final memory): bound to the tile's fingerprint key, so only holders of the task secret
/// can check a guess against it. (BLAKE2 has no length extension: prefixing a fixed-length key
/// makes it a keyed hash.)
pub fn keyed_fingerprint(secret: &TaskSecret, tile: u32, fingerprint: &[u8; 32]) -> [u8; 32] {
	blake2_256(&(FINGERPRINT_CONTEXT, fingerprint_key(secret, tile), fingerprint).encode())
}

/// HPKE's `info` for the seals of the task of `context`.
pub fn seal_info<AccountId: Encode>(context: &TaskContext<AccountId>) -> Vec<u8> {
	(SEAL_CONTEXT, context.genesis, context.workload, &context.requester, context.secret_hash)
		.encode()
}

/// Seals `secret` to a provider's encryption key `key` for the task of `context`. Randomized by
/// `rng` (a fresh ephemeral key).
pub fn seal_secret<AccountId: Encode>(
	key: &reply::ReplyKey,
	context: &TaskContext<AccountId>,
	secret: &TaskSecret,
	rng: &mut (impl hpke::rand_core::CryptoRng + hpke::rand_core::RngCore),
) -> Result<SealedSecret, ConfidentialError> {
	if !reply::is_usable_key(key) {
		return Err(ConfidentialError::BadKey);
	}
	reply::hpke_seal(key, &seal_info(context), secret, rng)
		.map_err(|_| ConfidentialError::BadKey)?
		.try_into()
		.map_err(|_| ConfidentialError::Malformed)
}

/// Opens a sealed secret with the encryption key's secret `key_secret`, for the task of
/// `context`; refuses a secret whose hash is not the task's.
pub fn open_secret<AccountId: Encode>(
	key_secret: &[u8; 32],
	context: &TaskContext<AccountId>,
	sealed: &SealedSecret,
) -> Result<TaskSecret, ConfidentialError> {
	let opened = reply::hpke_open(key_secret, &seal_info(context), sealed)
		.map_err(|_| ConfidentialError::Malformed)?;
	let secret: TaskSecret = opened.try_into().map_err(|_| ConfidentialError::Malformed)?;
	if secret_hash(&secret) != context.secret_hash {
		return Err(ConfidentialError::WrongSecret);
	}
	Ok(secret)
}

/// [`seal_secret`] with randomness drawn from `seed`: for tests and benchmarks only.
#[cfg(feature = "seeded-seal")]
pub fn seal_secret_seeded<AccountId: Encode>(
	key: &reply::ReplyKey,
	context: &TaskContext<AccountId>,
	secret: &TaskSecret,
	seed: [u8; 32],
) -> Result<SealedSecret, ConfidentialError> {
	use rand_chacha::rand_core::SeedableRng;
	let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
	seal_secret(key, context, secret, &mut rng)
}

/// An account already SCALE-encoded, encoded as itself: how the node, which does not know the
/// chain's account type, binds a requester into a context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreEncoded<'a>(pub &'a [u8]);

impl Encode for PreEncoded<'_> {
	fn size_hint(&self) -> usize {
		self.0.len()
	}

	fn encode_to<W: codec::Output + ?Sized>(&self, dest: &mut W) {
		dest.write(self.0);
	}
}

/// What closes a confidential run's outcome once its plaintext run has ended
/// ([`crate::sandbox::ConfidentialRun::open`]): the task's secret, in the node only.
pub struct Closer {
	secret: TaskSecret,
	genesis: [u8; 32],
	task_id: crate::traits::TaskId,
	max_output: usize,
}

impl Closer {
	/// The most output bytes the plaintext run may write: what still fits the chain's output
	/// bound once encrypted.
	pub fn max_plain_output(&self) -> usize {
		max_output_len(self.max_output)
	}

	/// `outcome` as the chain sees it: its output encrypted (tile 0), its fingerprint keyed.
	pub fn close(&self, outcome: crate::Outcome) -> Result<crate::Outcome, ConfidentialError> {
		let context = OutputContext {
			genesis: self.genesis,
			task_id: self.task_id,
			status: outcome.status,
			fuel_used: outcome.fuel_used,
			executor_version: outcome.executor_version,
		};
		let output = encrypt_output(&self.secret, 0, &context, &outcome.output, self.max_output)?;
		let fingerprint = keyed_fingerprint(&self.secret, 0, &outcome.fingerprint);
		Ok(crate::Outcome { output, fingerprint, ..outcome })
	}
}

impl crate::sandbox::ConfidentialRun {
	/// Opens this member's seal with its key's secret `key_secret` and decrypts the task's input
	/// ciphertext `input` of workload `workload`: the plaintext input, and what closes the
	/// outcome. [`ConfidentialError::Malformed`] or [`ConfidentialError::WrongSecret`]: the
	/// requester sealed or encrypted badly (or for another task).
	pub fn open(
		&self,
		key_secret: &[u8; 32],
		workload: CodeHash,
		input: &[u8],
	) -> Result<(Vec<u8>, Closer), ConfidentialError> {
		let context = TaskContext {
			genesis: self.genesis,
			workload,
			requester: PreEncoded(&self.requester),
			secret_hash: self.secret_hash,
		};
		let secret = open_secret(key_secret, &context, &self.seal)?;
		let plaintext = decrypt_input(&secret, &context, 0, input, self.max_input as usize)?;
		let closer = Closer {
			secret,
			genesis: self.genesis,
			task_id: self.task_id,
			max_output: self.max_output as usize,
		};
		Ok((plaintext, closer))
	}
}
