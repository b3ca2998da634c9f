//! Outputs sealed to a requester's reply key.
//!
//! A task carries a one-time X25519 public key of its requester (its *reply key*); a provider
//! delivers a single answer's output sealed to it, so nobody but the requester reads the output
//! from the chain. One construction, from one well-kept library on each side: HPKE (RFC 9180) in
//! base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and ChaCha20-Poly1305 — the `hpke`
//! crate here, `@hpke/core` in the scripts (`scripts/lib/reply.mjs`), with vectors checked both
//! ways (`primitives/tests/reply-vectors.json`).
//!
//! Why HPKE and not libsodium's sealed box: RFC 9180 fixes the X25519 function (RFC 7748,
//! clamped) and requires refusing an all-zero shared secret, and both libraries follow it, so a
//! box opens to the same plaintext in the requester's client and in the runtime (which opens it
//! to judge a bad-delivery claim). RustCrypto's `crypto_box` 0.9 reduces the secret scalar
//! modulo the group order and does not refuse small-order keys: a provider could make a box
//! that libsodium refuses and the runtime opens.
//!
//! The sealed plaintext is `salt ‖ output length (u32, little endian) ‖ output ‖ zero padding`,
//! padded to a power of two (at least [`MIN_PADDED`], at most the largest output's size) so the
//! box's length tells little about the output's. Opening is strict: a wrong length, a non-zero
//! padding byte or a box of the wrong size is an error, the same on every side.
//!
//! The box is bound to its task by HPKE's `info` ([`info`]: a context and the task's digest), so
//! a box made for one task does not open as another's.

use crate::{traits::TaskId, Status};
use alloc::vec::Vec;
use codec::Encode;
use hpke::{
	aead::ChaCha20Poly1305, kdf::HkdfSha256, kem::X25519HkdfSha256, Deserializable, OpModeR,
	OpModeS, Serializable,
};
use polkadot_sdk::sp_crypto_hashing::blake2_256;

/// Domain separation of [`info`].
pub const REPLY_CONTEXT: &[u8] = b"bourse/reply";
/// Bytes of the salt at the start of the sealed plaintext.
pub const SALT_LEN: usize = 32;
/// Bytes before the output in the sealed plaintext: the salt and the output's length.
pub const HEADER_LEN: usize = SALT_LEN + 4;
/// Bytes the sealing adds: the encapsulated key (32) and the AEAD tag (16).
pub const OVERHEAD: usize = 32 + 16;
/// The least padded plaintext.
pub const MIN_PADDED: usize = 256;

/// An X25519 public key a requester gives for a task's replies.
pub type ReplyKey = [u8; 32];

type Kem = X25519HkdfSha256;

/// Why a box was not made or not opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyError {
	/// The output is longer than the largest output.
	OutputTooLarge,
	/// A key is not a valid X25519 key, or the shared secret is all zero (a small-order key).
	BadKey,
	/// The box is not a sealing of a well-formed plaintext under this key and task: it does
	/// not authenticate, or its plaintext's length or padding is wrong.
	Malformed,
}

/// HPKE's `info` for the replies of the task of `task_digest`.
pub fn info(task_digest: &[u8; 32]) -> Vec<u8> {
	[REPLY_CONTEXT, task_digest.as_slice()].concat()
}

/// The length of the padded plaintext for an output of `output_len` bytes, when outputs are at
/// most `max_output` bytes.
pub fn padded_len(output_len: usize, max_output: usize) -> usize {
	let exact = HEADER_LEN.saturating_add(output_len);
	let most = HEADER_LEN.saturating_add(max_output);
	exact.checked_next_power_of_two().unwrap_or(most).clamp(MIN_PADDED.min(most), most).max(exact)
}

/// The length of the box of an output of `output_len` bytes.
pub fn sealed_len(output_len: usize, max_output: usize) -> usize {
	padded_len(output_len, max_output).saturating_add(OVERHEAD)
}

/// The most bytes a box can have when outputs are at most `max_output` bytes.
pub const fn max_sealed_len(max_output: usize) -> usize {
	HEADER_LEN.saturating_add(max_output).saturating_add(OVERHEAD)
}

/// The X25519 public keys of small order (libsodium's list, `has_small_order`; the top bit is
/// ignored, as X25519 ignores it): no box can be sealed to them (HPKE refuses the all-zero
/// shared secret), so a task must not name one as its reply key. A test seals to each.
const SMALL_ORDER_KEYS: [[u8; 32]; 7] = {
	let mut keys = [[0u8; 32]; 7];
	// 0 and 1.
	keys[1][0] = 1;
	// The two points of order 8.
	keys[2] = [
		0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
		0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
		0xb8, 0x00,
	];
	keys[3] = [
		0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
		0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
		0x11, 0x57,
	];
	// p - 1, p and p + 1 (p = 2^255 - 19): -1, and 0 and 1 not reduced.
	let mut i = 4;
	while i < 7 {
		let mut j = 1;
		while j < 31 {
			keys[i][j] = 0xff;
			j += 1;
		}
		keys[i][31] = 0x7f;
		i += 1;
	}
	keys[4][0] = 0xec;
	keys[5][0] = 0xed;
	keys[6][0] = 0xee;
	keys
};

/// Whether `key` may be a task's reply key: a box can be sealed to it (it is not of small
/// order, [`SMALL_ORDER_KEYS`]), and it is the canonical encoding of its point (top bit clear,
/// below p = 2^255 - 19), which is what [`public_key`] gives: a requester proving a bad
/// delivery shows the secret of exactly this key.
pub fn is_usable_key(key: &ReplyKey) -> bool {
	let canonical = key[31] & 0x80 == 0
		&& !(key[0] >= 0xed && key[1..31].iter().all(|byte| *byte == 0xff) && key[31] == 0x7f);
	canonical && !SMALL_ORDER_KEYS.contains(key)
}

/// The reply key of the secret `secret` (as RFC 7748 clamps it).
pub fn public_key(secret: &[u8; 32]) -> Result<ReplyKey, ReplyError> {
	let secret =
		<Kem as hpke::Kem>::PrivateKey::from_bytes(secret).map_err(|_| ReplyError::BadKey)?;
	let public = <Kem as hpke::Kem>::sk_to_pk(&secret);
	let mut key = [0u8; 32];
	key.copy_from_slice(&public.to_bytes());
	Ok(key)
}

/// Seals `salt ‖ len ‖ output ‖ padding` to `reply_key` for the task of `task_digest`:
/// the encapsulated key followed by the ciphertext. Randomized by `rng` (a fresh ephemeral key).
pub fn seal(
	reply_key: &ReplyKey,
	task_digest: &[u8; 32],
	salt: &[u8; SALT_LEN],
	output: &[u8],
	max_output: usize,
	rng: &mut (impl hpke::rand_core::CryptoRng + hpke::rand_core::RngCore),
) -> Result<Vec<u8>, ReplyError> {
	if output.len() > max_output {
		return Err(ReplyError::OutputTooLarge);
	}
	let length = u32::try_from(output.len()).map_err(|_| ReplyError::OutputTooLarge)?;
	let mut plaintext = Vec::with_capacity(padded_len(output.len(), max_output));
	plaintext.extend_from_slice(salt);
	plaintext.extend_from_slice(&length.to_le_bytes());
	plaintext.extend_from_slice(output);
	plaintext.resize(padded_len(output.len(), max_output), 0);
	hpke_seal(reply_key, &info(task_digest), &plaintext, rng).map_err(|_| ReplyError::BadKey)
}

/// HPKE base-mode single-shot sealing of `plaintext` to `key` with `info`, in this module's
/// suite: the encapsulated key followed by the ciphertext. Errs on an unusable key.
pub(crate) fn hpke_seal(
	key: &ReplyKey,
	info: &[u8],
	plaintext: &[u8],
	rng: &mut (impl hpke::rand_core::CryptoRng + hpke::rand_core::RngCore),
) -> Result<Vec<u8>, ()> {
	let recipient = <Kem as hpke::Kem>::PublicKey::from_bytes(key).map_err(|_| ())?;
	let (encapsulated, ciphertext) =
		hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem, _>(
			&OpModeS::Base,
			&recipient,
			info,
			plaintext,
			&[],
			rng,
		)
		.map_err(|_| ())?;
	Ok([encapsulated.to_bytes().as_slice(), ciphertext.as_slice()].concat())
}

/// Opens what [`hpke_seal`] made with the key's `secret`.
pub(crate) fn hpke_open(secret: &[u8; 32], info: &[u8], sealed: &[u8]) -> Result<Vec<u8>, ()> {
	let (encapsulated, ciphertext) = sealed.split_at_checked(32).ok_or(())?;
	let encapsulated = <Kem as hpke::Kem>::EncappedKey::from_bytes(encapsulated).map_err(|_| ())?;
	let secret = <Kem as hpke::Kem>::PrivateKey::from_bytes(secret).map_err(|_| ())?;
	hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
		&OpModeR::Base,
		&secret,
		&encapsulated,
		info,
		ciphertext,
		&[],
	)
	.map_err(|_| ())
}

/// [`seal`] with randomness drawn from `seed`: the same box for the same seed. For tests and
/// benchmarks only; a real box takes fresh randomness (the node's, `sandbox::seal_reply`).
#[cfg(feature = "seeded-seal")]
pub fn seal_seeded(
	reply_key: &ReplyKey,
	task_digest: &[u8; 32],
	salt: &[u8; SALT_LEN],
	output: &[u8],
	max_output: usize,
	seed: [u8; 32],
) -> Result<Vec<u8>, ReplyError> {
	use rand_chacha::rand_core::SeedableRng;
	let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
	seal(reply_key, task_digest, salt, output, max_output, &mut rng)
}

/// What a box held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
	/// The provider's salt (of its commitment).
	pub salt: [u8; SALT_LEN],
	/// The output.
	pub output: Vec<u8>,
}

/// Opens `sealed` with the reply key's `secret` for the task of `task_digest`. Deterministic:
/// the requester's client and the runtime reach the same result.
pub fn open(
	secret: &[u8; 32],
	task_digest: &[u8; 32],
	sealed: &[u8],
	max_output: usize,
) -> Result<Opened, ReplyError> {
	if sealed.len() < OVERHEAD || sealed.len() > max_sealed_len(max_output) {
		return Err(ReplyError::Malformed);
	}
	let plaintext =
		hpke_open(secret, &info(task_digest), sealed).map_err(|_| ReplyError::Malformed)?;
	let (header, rest) = plaintext.split_at_checked(HEADER_LEN).ok_or(ReplyError::Malformed)?;
	let (salt, length) = header.split_at(SALT_LEN);
	let length = u32::from_le_bytes(length.try_into().map_err(|_| ReplyError::Malformed)?);
	let length = usize::try_from(length).map_err(|_| ReplyError::Malformed)?;
	if length > max_output || plaintext.len() != padded_len(length, max_output) {
		return Err(ReplyError::Malformed);
	}
	let (output, padding) = rest.split_at_checked(length).ok_or(ReplyError::Malformed)?;
	if padding.iter().any(|byte| *byte != 0) {
		return Err(ReplyError::Malformed);
	}
	Ok(Opened {
		salt: salt.try_into().map_err(|_| ReplyError::Malformed)?,
		output: output.to_vec(),
	})
}

/// Domain separation of a lone answer's commitment ([`answer_commitment`]).
pub const ANSWER_CONTEXT: &[u8] = b"bourse/sealed-answer";
/// Derives the salt of the commitment's run half from the boxed salt.
const RUN_SALT: &[u8] = b"bourse/salt/run";
/// Derives the salt of the commitment's output half from the boxed salt.
const OUTPUT_SALT: &[u8] = b"bourse/salt/output";
/// Derives the salt of a lone answer's proof of execution ([`execution_proof`]).
const PROOF_SALT: &[u8] = b"bourse/salt/proof";

/// A lone answer's proof of execution: the run's fingerprint (`Outcome::fingerprint`, what only
/// running the module gives) hidden under a salt derived from the boxed `salt`. Public in the
/// answer and bound into its commitment; an audit opens it, so a provider that answered without
/// running is caught even when its output was guessable (an empty output, a trap).
pub fn execution_proof(salt: &[u8; SALT_LEN], fingerprint: &[u8; 32]) -> [u8; 32] {
	let proof_salt = blake2_256(&[PROOF_SALT, salt.as_slice()].concat());
	blake2_256(&(proof_salt, fingerprint).encode())
}

/// What a task's commitment names as its output: blake2-256 of the output (of a public task's
/// output; a confidential task will name its ciphertext's digest instead). The chain never
/// stores it in the clear for a lone answer, only inside [`answer_commitment`].
pub fn output_digest(output: &[u8]) -> [u8; 32] {
	blake2_256(output)
}

/// The commitment of a lone answer (replication 1): bound to the task's digest, its id and the
/// provider, with two halves each hidden under its own salt derived from the boxed `salt`:
/// the run (status, fuel used, executor version) and the output's digest ([`output_digest`]);
/// and its `proof` of execution ([`execution_proof`]). Either half can be shown without the
/// other (an audit compares outputs without learning the run's facts, or the reverse), and a
/// low-entropy output is not guessable from it.
#[allow(clippy::too_many_arguments)]
pub fn answer_commitment<AccountId: Encode>(
	task_digest: &[u8; 32],
	task_id: TaskId,
	provider: &AccountId,
	status: Status,
	fuel_used: u64,
	executor_version: u32,
	salt: &[u8; SALT_LEN],
	output_digest: &[u8; 32],
	proof: &[u8; 32],
) -> [u8; 32] {
	let run_salt = blake2_256(&[RUN_SALT, salt.as_slice()].concat());
	let output_salt = blake2_256(&[OUTPUT_SALT, salt.as_slice()].concat());
	let run = blake2_256(&(run_salt, status, fuel_used, executor_version).encode());
	let output = blake2_256(&(output_salt, output_digest).encode());
	blake2_256(&(ANSWER_CONTEXT, task_digest, task_id, provider, run, output, proof).encode())
}

/// Domain separation of a committee member's witness ([`committee_witness`]).
const WITNESS_CONTEXT: &[u8] = b"bourse/committee-witness";
/// Domain separation of a committee member's commitment ([`member_commitment`]).
const MEMBER_CONTEXT: &[u8] = b"bourse/committee-member";

/// A committee member's witness of its run of a disputed task: blake2-256 of its `output`
/// keyed by the round's digest (`round_digest`: the task's digest bound to the committee drawn,
/// which nobody knew before the draw). The two disputed openings are public when the committee
/// sits, so their digests and fingerprints can be copied; this cannot be without the output.
/// (As weak as the output is guessable: a few possible outputs can be tried against their
/// public digest.)
pub fn committee_witness(round_digest: &[u8; 32], output: &[u8]) -> [u8; 32] {
	blake2_256(&(WITNESS_CONTEXT, round_digest, output).encode())
}

/// Domain separation of a committee round's digest ([`committee_digest`]).
const COMMITTEE_DIGEST_CONTEXT: &[u8] = b"bourse/committee-round";

/// The digest a committee's members sign and commit under: the task's digest bound to the
/// committee drawn (`members`, sorted), so that a commitment or witness made for a committee
/// drawn on a sibling fork never counts for another.
pub fn committee_digest<AccountId: Encode + Ord + Clone>(
	task_digest: &[u8; 32],
	members: &[AccountId],
) -> [u8; 32] {
	let mut sorted = members.to_vec();
	sorted.sort();
	blake2_256(&(COMMITTEE_DIGEST_CONTEXT, task_digest, sorted).encode())
}

/// A committee member's commitment: its answer-style commitment (`answer`, from
/// [`answer_commitment`]) bound to its `witness`.
pub fn member_commitment(answer: &[u8; 32], witness: &[u8; 32]) -> [u8; 32] {
	blake2_256(&(MEMBER_CONTEXT, answer, witness).encode())
}

/// Domain separation of an audit coin's seal ([`audit_seal`]).
const AUDIT_SEAL_CONTEXT: &[u8] = b"bourse/audit-seal";
/// Domain separation of an audit coin ([`audit_coin`]).
const AUDIT_COIN_CONTEXT: &[u8] = b"bourse/audit-coin";

/// The seal a requester gives at submission of the secret of its task's audit coin.
pub fn audit_seal(secret: &[u8; 32]) -> [u8; 32] {
	blake2_256(&(AUDIT_SEAL_CONTEXT, secret).encode())
}

/// The audit coin of task `task_id` with the requester's `secret`: the answer is audited when
/// it is below the audit rate. Uniform over `[0, 1)` in parts per billion; nobody who lacks
/// the secret can compute it, and the secret is fixed (sealed) before anyone answers.
pub fn audit_coin(secret: &[u8; 32], task_id: TaskId) -> polkadot_sdk::sp_arithmetic::Perbill {
	let hash = blake2_256(&(AUDIT_COIN_CONTEXT, secret, task_id).encode());
	let draw = u64::from(u32::from_le_bytes([hash[0], hash[1], hash[2], hash[3]]));
	// draw / 2^32 in parts per billion, rounded down: below 1.
	let parts = draw.saturating_mul(1_000_000_000) >> 32;
	polkadot_sdk::sp_arithmetic::Perbill::from_parts(parts as u32)
}
