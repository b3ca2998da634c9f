//! Sealed replies: round trips at every padding edge, every way a box can be wrong, small-order
//! keys, and the cross-language vectors (`reply-vectors.json`: boxes sealed here open in
//! `scripts/lib/reply.mjs` and the reverse; `tests/reply.test.mjs` checks the other side).
//!
//! `BOURSE_WRITE_REPLY_VECTORS=1 cargo test -p bourse-primitives --test reply` rewrites this
//! side's vectors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bourse_primitives::reply::{
	self, info, max_sealed_len, open, padded_len, public_key, seal, sealed_len, Opened, ReplyError,
	HEADER_LEN, MIN_PADDED, OVERHEAD,
};
use bourse_primitives::Status;
use codec::{Decode, Encode};
use hpke::{
	aead::ChaCha20Poly1305, kdf::HkdfSha256, kem::X25519HkdfSha256, Deserializable, OpModeS,
	Serializable,
};
use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};
use serde_json::{json, Value};

const MAX_OUTPUT: usize = 64 * 1024;
/// The vectors file of the checkout under test: cargo names its package directory when it runs
/// the test (a binary built in another checkout that shares the target directory has that
/// checkout's path compiled in).
fn vectors() -> std::path::PathBuf {
	let dir = std::env::var_os("CARGO_MANIFEST_DIR")
		.map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), std::path::PathBuf::from);
	dir.join("tests/reply-vectors.json")
}

fn rng(seed: u8) -> ChaCha20Rng {
	ChaCha20Rng::from_seed([seed; 32])
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
	(0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn array(text: &str) -> [u8; 32] {
	unhex(text).try_into().unwrap()
}

/// A key pair from a fixed secret.
fn keys(seed: u8) -> ([u8; 32], [u8; 32]) {
	let secret = [seed; 32];
	(secret, public_key(&secret).unwrap())
}

#[test]
fn boxes_open_to_what_was_sealed_at_every_padding_edge() {
	let (secret, key) = keys(7);
	let digest = [9; 32];
	let edges = [0, 1, MIN_PADDED - HEADER_LEN, MIN_PADDED - HEADER_LEN + 1, 1_000, 32_732, 32_733];
	for len in edges.into_iter().chain([MAX_OUTPUT - 1, MAX_OUTPUT]) {
		let output: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
		let sealed = seal(&key, &digest, &[3; 32], &output, MAX_OUTPUT, &mut rng(1)).unwrap();
		assert_eq!(sealed.len(), sealed_len(len, MAX_OUTPUT), "length {len}");
		assert!(sealed.len() <= max_sealed_len(MAX_OUTPUT));
		let opened = open(&secret, &digest, &sealed, MAX_OUTPUT).unwrap();
		assert_eq!(opened, Opened { salt: [3; 32], output }, "length {len}");
	}
	assert_eq!(padded_len(0, MAX_OUTPUT), MIN_PADDED);
	assert_eq!(padded_len(MIN_PADDED - HEADER_LEN + 1, MAX_OUTPUT), 2 * MIN_PADDED);
	assert_eq!(padded_len(MAX_OUTPUT, MAX_OUTPUT), HEADER_LEN + MAX_OUTPUT, "capped at the most");
	assert_eq!(max_sealed_len(MAX_OUTPUT), HEADER_LEN + MAX_OUTPUT + OVERHEAD);
	assert_eq!(
		seal(&key, &digest, &[3; 32], &vec![0; MAX_OUTPUT + 1], MAX_OUTPUT, &mut rng(1)),
		Err(ReplyError::OutputTooLarge)
	);
}

#[test]
fn a_box_opens_only_with_its_key_for_its_task_and_untouched() {
	let (secret, key) = keys(7);
	let digest = [9; 32];
	let sealed = seal(&key, &digest, &[3; 32], b"the output", MAX_OUTPUT, &mut rng(1)).unwrap();
	assert_eq!(open(&[8; 32], &digest, &sealed, MAX_OUTPUT), Err(ReplyError::Malformed));
	assert_eq!(open(&secret, &[10; 32], &sealed, MAX_OUTPUT), Err(ReplyError::Malformed));
	for at in [0, 31, 32, sealed.len() / 2, sealed.len() - 1] {
		let mut tampered = sealed.clone();
		tampered[at] ^= 1;
		assert_eq!(open(&secret, &digest, &tampered, MAX_OUTPUT), Err(ReplyError::Malformed));
	}
	assert_eq!(
		open(&secret, &digest, &sealed[..OVERHEAD - 1], MAX_OUTPUT),
		Err(ReplyError::Malformed)
	);
	assert_eq!(
		open(&secret, &digest, &sealed[..sealed.len() - 1], MAX_OUTPUT),
		Err(ReplyError::Malformed)
	);
	// Randomized: two sealings differ, both open.
	let again = seal(&key, &digest, &[3; 32], b"the output", MAX_OUTPUT, &mut rng(2)).unwrap();
	assert_ne!(again, sealed);
	assert_eq!(open(&secret, &digest, &again, MAX_OUTPUT).unwrap().output, b"the output");
}

/// Small-order points: a reply key of one is refused at sealing (the shared secret would be
/// zero); a box whose encapsulated key is one does not open, here as in libsodium-class clients.
#[test]
fn small_order_keys_neither_seal_nor_open() {
	let (secret, _) = keys(7);
	let digest = [9; 32];
	let mut one = [0u8; 32];
	one[0] = 1;
	for small in [[0u8; 32], one] {
		assert_eq!(
			seal(&small, &digest, &[3; 32], b"x", MAX_OUTPUT, &mut rng(1)),
			Err(ReplyError::BadKey)
		);
		let mut forged = small.to_vec();
		forged.extend_from_slice(&[0; MIN_PADDED + 16]);
		assert_eq!(open(&secret, &digest, &forged, MAX_OUTPUT), Err(ReplyError::Malformed));
	}
}

/// The keys `is_usable_key` takes are exactly the canonical ones (top bit clear, below p) a box
/// can be sealed to: the small-order ones (with the top bit set or not) fail to seal, and keys
/// of secrets do seal.
#[test]
fn unusable_reply_keys_are_exactly_the_small_order_ones() {
	let mut refused = std::collections::BTreeSet::new();
	for byte in 0..=255u8 {
		for top in [0u8, 0x80] {
			// Every small-order key is one of these shapes: test candidates around them too.
			for mut key in [
				[byte; 32],
				{
					let mut k = [0u8; 32];
					k[0] = byte;
					k
				},
				{
					let mut k = [0xffu8; 32];
					k[0] = byte;
					k[31] = 0x7f;
					k
				},
			] {
				key[31] = (key[31] & 0x7f) | top;
				let seals = seal(&key, &[1; 32], &[2; 32], b"x", MAX_OUTPUT, &mut rng(3)).is_ok();
				let at_least_p = key[31] == 0x7f && key[0] >= 0xed && key[1..31] == [0xff; 30];
				let canonical = top == 0 && !at_least_p;
				assert_eq!(reply::is_usable_key(&key), seals && canonical, "{key:02x?}");
				if !seals {
					refused.insert(key);
				}
			}
		}
	}
	// 0, 1, p - 1, p, p + 1, each with and without the top bit.
	assert_eq!(refused.len(), 10);
	let order_eight = [
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	];
	for hex_key in order_eight {
		let key = array(hex_key);
		assert!(!reply::is_usable_key(&key));
		let sealed = seal(&key, &[1; 32], &[2; 32], b"x", MAX_OUTPUT, &mut rng(3));
		assert_eq!(sealed, Err(ReplyError::BadKey), "a point of order 8");
	}
	for i in 0..64u8 {
		let (_, key) = keys(i);
		assert!(reply::is_usable_key(&key));
	}
}

/// Boxes that must not open, each with why: a flipped tag byte, a cut box, a small-order
/// encapsulated key, another task's digest, a wrong length field, non-zero padding, a padded
/// size that is not the one the length gives, a box longer than the largest.
fn refusal_vectors() -> Vec<Value> {
	let (secret, key) = keys(30);
	let digest = [31; 32];
	let good = seal(&key, &digest, &[32; 32], b"refused", MAX_OUTPUT, &mut rng(33)).unwrap();
	let plaintext = |len: u32, body: &[u8], padded: usize, pad: u8| {
		let mut p = [32u8; 32].to_vec();
		p.extend_from_slice(&len.to_le_bytes());
		p.extend_from_slice(body);
		p.resize(padded, pad);
		p
	};
	let mut flipped = good.clone();
	if let Some(last) = flipped.last_mut() {
		*last ^= 1;
	}
	let mut small_order = good.clone();
	small_order[..32].fill(0);
	let canonical = padded_len(5, MAX_OUTPUT);
	let cases: Vec<(&str, Vec<u8>, [u8; 32])> = vec![
		("a flipped tag byte", flipped, digest),
		("a cut box", good[..good.len() - 1].to_vec(), digest),
		("a small-order encapsulated key", small_order, digest),
		("another task's digest", good.clone(), [34; 32]),
		(
			"a length field past the box",
			seal_raw(&key, &digest, &plaintext(1000, b"abcde", canonical, 0)),
			digest,
		),
		(
			"non-zero padding",
			seal_raw(&key, &digest, &plaintext(5, b"abcde", canonical, 1)),
			digest,
		),
		(
			"a padded size the length does not give",
			seal_raw(&key, &digest, &plaintext(5, b"abcde", canonical * 2, 0)),
			digest,
		),
		(
			"a box longer than the largest",
			seal_raw(&key, &digest, &plaintext(5, b"abcde", HEADER_LEN + MAX_OUTPUT + 1, 0)),
			digest,
		),
	];
	cases
		.into_iter()
		.map(|(why, sealed, task_digest)| {
			json!({
				"why": why, "secret": hex(&secret), "taskDigest": hex(&task_digest),
				"maxOutput": MAX_OUTPUT, "sealed": hex(&sealed),
			})
		})
		.collect()
}

/// Seals `plaintext` as is (not a well-formed reply) to `key`.
fn seal_raw(key: &[u8; 32], digest: &[u8; 32], plaintext: &[u8]) -> Vec<u8> {
	let recipient = <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(key).unwrap();
	let (encapsulated, ciphertext) =
		hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256, _>(
			&OpModeS::Base,
			&recipient,
			&info(digest),
			plaintext,
			&[],
			&mut rng(5),
		)
		.unwrap();
	[encapsulated.to_bytes().as_slice(), ciphertext.as_slice()].concat()
}

/// Opening is strict, so no box opens to one thing in a lenient client and another in the
/// runtime: the length field, the padding and the padded size must all be exact.
#[test]
fn a_plaintext_with_a_wrong_length_or_padding_does_not_open() {
	let (secret, key) = keys(7);
	let digest = [9; 32];
	let plaintext = |len: u32, total: usize, pad: u8| {
		let mut p = vec![3u8; 32];
		p.extend_from_slice(&len.to_le_bytes());
		p.extend_from_slice(&vec![b'o'; len.min(4_000) as usize]);
		p.resize(total, pad);
		p
	};
	let good = seal_raw(&key, &digest, &plaintext(5, MIN_PADDED, 0));
	assert_eq!(open(&secret, &digest, &good, MAX_OUTPUT).unwrap().output, b"ooooo");
	for bad in [
		plaintext(5, MIN_PADDED, 1),                // non-zero padding
		plaintext(5, MIN_PADDED + 1, 0),            // not the padded size
		plaintext(5, 512, 0),                       // padded beyond its bucket
		plaintext(300, MIN_PADDED, 0),              // length beyond the plaintext
		plaintext(MAX_OUTPUT as u32 + 1, 4_100, 0), // length above the largest output
		vec![3u8; HEADER_LEN - 1],                  // no room for the header
	] {
		let sealed = seal_raw(&key, &digest, &bad);
		assert_eq!(open(&secret, &digest, &sealed, MAX_OUTPUT), Err(ReplyError::Malformed));
	}
}

/// The vectors of both sides open here; this side's are exactly what sealing with their seed
/// gives (rewritten with `BOURSE_WRITE_REPLY_VECTORS=1`).
#[test]
fn cross_language_vectors_open() {
	let outputs: [&[u8]; 3] = [b"", b"hello bourse\n", &[0xff; 300]];
	let ours: Vec<Value> = outputs
		.iter()
		.enumerate()
		.map(|(i, output)| {
			let (secret, key) = keys(20 + i as u8);
			let digest = [30 + i as u8; 32];
			let salt = [40 + i as u8; 32];
			let sealed = seal(&key, &digest, &salt, output, MAX_OUTPUT, &mut rng(i as u8)).unwrap();
			// The answer's commitment to what the box holds.
			let (task_id, provider) = (1_000 + i as u64, [0x11 + i as u8; 32]);
			let status = [Status::Success, Status::Exit(3), Status::OutOfFuel][i];
			let (fuel_used, version) = (123_456_789 * i as u64, 2 + i as u32);
			let fingerprint = [0x51 + i as u8; 32];
			let proof = reply::execution_proof(&salt, &fingerprint);
			let commitment = reply::answer_commitment(
				&digest,
				task_id,
				&provider,
				status,
				fuel_used,
				version,
				&salt,
				&reply::output_digest(output),
				&proof,
			);
			json!({
				"secret": hex(&secret), "replyKey": hex(&key), "taskDigest": hex(&digest),
				"salt": hex(&salt), "output": hex(output), "maxOutput": MAX_OUTPUT,
				"sealed": hex(&sealed), "taskId": task_id, "provider": hex(&provider),
				"statusScale": hex(&status.encode()), "fuelUsed": fuel_used.to_string(),
				"executorVersion": version, "fingerprint": hex(&fingerprint),
				"proof": hex(&proof), "commitment": hex(&commitment),
			})
		})
		.collect();
	let writing = std::env::var_os("BOURSE_WRITE_REPLY_VECTORS").is_some();
	let mut file: Value = match std::fs::read_to_string(vectors()) {
		Ok(text) => serde_json::from_str(&text).unwrap(),
		Err(_) if writing => json!({ "rust": [], "js": [] }),
		Err(e) => panic!("{}: {e}", vectors().display()),
	};
	let refused = refusal_vectors();
	if writing {
		file["rust"] = Value::Array(ours.clone());
		file["refused"] = Value::Array(refused.clone());
		std::fs::write(vectors(), serde_json::to_string_pretty(&file).unwrap() + "\n").unwrap();
	}
	assert_eq!(file["rust"], Value::Array(ours), "this side's vectors are current");
	assert_eq!(file["refused"], Value::Array(refused.clone()), "the refused vectors are current");
	// Boxes every side must refuse (the JS side checks them too): a lenient opener could read
	// what the runtime, judging a bad-delivery claim, would call malformed.
	for vector in &refused {
		let field = |name: &str| vector[name].as_str().unwrap();
		let max = vector["maxOutput"].as_u64().unwrap() as usize;
		let opened = open(
			&array(field("secret")),
			&array(field("taskDigest")),
			&unhex(field("sealed")),
			max,
		);
		assert!(opened.is_err(), "refused: {}", field("why"));
	}
	let js = file["js"].as_array().expect("the JS side's vectors");
	assert!(!js.is_empty(), "the JS side wrote vectors (node --test tests/reply.test.mjs)");
	for vector in file["rust"].as_array().unwrap().iter().chain(js) {
		let field = |name: &str| vector[name].as_str().unwrap();
		let secret = array(field("secret"));
		assert_eq!(public_key(&secret).unwrap(), array(field("replyKey")));
		let max = vector["maxOutput"].as_u64().unwrap() as usize;
		let opened = open(&secret, &array(field("taskDigest")), &unhex(field("sealed")), max);
		assert_eq!(
			opened,
			Ok(Opened { salt: array(field("salt")), output: unhex(field("output")) }),
			"{vector}"
		);
		// Both sides commit to what the box holds alike.
		let status = Status::decode(&mut &unhex(field("statusScale"))[..]).unwrap();
		let proof = reply::execution_proof(&array(field("salt")), &array(field("fingerprint")));
		assert_eq!(hex(&proof), field("proof"), "{vector}");
		let commitment = reply::answer_commitment(
			&array(field("taskDigest")),
			vector["taskId"].as_u64().unwrap(),
			&array(field("provider")),
			status,
			field("fuelUsed").parse().unwrap(),
			vector["executorVersion"].as_u64().unwrap() as u32,
			&array(field("salt")),
			&reply::output_digest(&unhex(field("output"))),
			&proof,
		);
		assert_eq!(hex(&commitment), field("commitment"), "{vector}");
	}
	let _ = reply::REPLY_CONTEXT;
}

/// The audit coin's seal and draw, pinned: `tests/reply.test.mjs` pins the same values for
/// `scripts/lib/reply.mjs`, so a requester's client and the chain agree on both.
#[test]
fn audit_coin_vectors() {
	use bourse_primitives::reply::{audit_coin, audit_seal};
	use polkadot_sdk::sp_arithmetic::Perbill;
	let secret = [7u8; 32];
	let seal: String = audit_seal(&secret).iter().map(|b| format!("{b:02x}")).collect();
	assert_eq!(seal, "6e9e1d8f85ee2eebeabe9659a9669e795a6bc6d6bda512709e6261601c1702ea");
	assert_eq!(audit_coin(&secret, 42), Perbill::from_parts(228_164_537));
	assert_eq!(audit_coin(&secret, 0), Perbill::from_parts(922_796_721));
	// Uniform: about a tenth of the coins fall below 10 %.
	let below = (0..10_000u64).filter(|id| audit_coin(&secret, *id) < Perbill::from_percent(10));
	let below = below.count();
	assert!((850..1150).contains(&below), "{below} of 10000 below 10 %");
}
