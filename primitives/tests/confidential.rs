//! Confidential tasks' construction: round trips at the padding edges, every binding (key, tile,
//! task, run, chain, workload, requester), strict opening, deterministic outputs, seals that
//! open only for their task and key and only to the task's secret, the keyed fingerprint, and
//! the cross-language vectors (`confidential-vectors.json`: made here, checked in
//! `scripts/lib/confidential.mjs`, and the reverse; `tests/confidential.test.mjs` checks the
//! other side).
//!
//! `BOURSE_WRITE_CONFIDENTIAL_VECTORS=1 cargo test -p bourse-primitives --test confidential`
//! rewrites this side's vectors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bourse_primitives::confidential::{
	decrypt_input, decrypt_output, encrypt_input, encrypt_output, keyed_fingerprint, max_input_len,
	max_output_len, open_secret, padded_input_len, padded_output_len, seal_secret, secret_hash,
	ConfidentialError, OutputContext, TaskContext, MIN_PADDED_INPUT, OVERHEAD, SEALED_SECRET_LEN,
	TAG_LEN,
};
use bourse_primitives::{reply, Status};
use codec::Encode;
use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};
use serde_json::{json, Value};

/// The chain's bound on a task's input, and on an output's ciphertext.
const MAX: usize = 64 * 1024;

fn vectors() -> std::path::PathBuf {
	let dir = std::env::var_os("CARGO_MANIFEST_DIR")
		.map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), std::path::PathBuf::from);
	dir.join("tests/confidential-vectors.json")
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
	(0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn array(value: &Value) -> [u8; 32] {
	unhex(value.as_str().unwrap()).try_into().unwrap()
}

fn context(secret: &[u8; 32]) -> TaskContext<[u8; 32]> {
	TaskContext {
		genesis: [1; 32],
		workload: [2; 32],
		requester: [3; 32],
		secret_hash: secret_hash(secret),
	}
}

fn run(task_id: u64) -> OutputContext {
	OutputContext {
		genesis: [1; 32],
		task_id,
		status: Status::Success,
		fuel_used: 1_234,
		executor_version: 2,
	}
}

#[test]
fn inputs_and_outputs_round_trip_at_every_padding_edge() {
	let secret = [7; 32];
	let context = context(&secret);
	for len in [
		0,
		1,
		MIN_PADDED_INPUT - 4,
		MIN_PADDED_INPUT - 3,
		1_000,
		32_764,
		32_765,
		max_input_len(MAX),
	] {
		let input: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
		let ciphertext = encrypt_input(&secret, &context, 5, &input, MAX).unwrap();
		assert_eq!(ciphertext.len(), padded_input_len(len, MAX) + TAG_LEN, "input of {len}");
		assert!(ciphertext.len() <= MAX);
		let padded = ciphertext.len() - TAG_LEN;
		assert!(padded.is_power_of_two() || ciphertext.len() == MAX, "input of {len}");
		assert_eq!(decrypt_input(&secret, &context, 5, &ciphertext, MAX).unwrap(), input);
	}
	assert_eq!(
		encrypt_input(&secret, &context, 0, &vec![0; max_input_len(MAX) + 1], MAX),
		Err(ConfidentialError::TooLarge)
	);
	for len in [0, 1, 200, 204, 205, 1_000, max_output_len(MAX)] {
		let output: Vec<u8> = (0..len).map(|i| (i * 7 % 253) as u8).collect();
		let ciphertext = encrypt_output(&secret, 5, &run(9), &output, MAX).unwrap();
		assert_eq!(ciphertext.len(), padded_output_len(len, MAX) + TAG_LEN, "output of {len}");
		assert!(ciphertext.len() <= MAX);
		// Boxed to the requester, it fills a power of two: no second padding.
		let boxed = reply::padded_len(ciphertext.len(), MAX);
		assert_eq!(boxed, reply::HEADER_LEN + ciphertext.len(), "output of {len}");
		assert!(boxed.is_power_of_two() || ciphertext.len() == MAX, "output of {len}");
		assert_eq!(decrypt_output(&secret, 5, &run(9), &ciphertext, MAX).unwrap(), output);
	}
	assert_eq!(
		encrypt_output(&secret, 0, &run(9), &vec![0; max_output_len(MAX) + 1], MAX),
		Err(ConfidentialError::TooLarge)
	);
	assert_eq!(max_output_len(MAX) + OVERHEAD, MAX);
}

#[test]
fn a_ciphertext_opens_only_with_its_secret_for_its_tile_task_and_run() {
	let secret = [7; 32];
	let context = context(&secret);
	let input = encrypt_input(&secret, &context, 5, b"the input", MAX).unwrap();
	let malformed = Err(ConfidentialError::Malformed);
	assert_eq!(decrypt_input(&[8; 32], &context, 5, &input, MAX), malformed);
	assert_eq!(decrypt_input(&secret, &context, 6, &input, MAX), malformed);
	for other in [
		TaskContext { genesis: [9; 32], ..context.clone() },
		TaskContext { workload: [9; 32], ..context.clone() },
		TaskContext { requester: [9; 32], ..context.clone() },
		TaskContext { secret_hash: [9; 32], ..context.clone() },
	] {
		assert_eq!(decrypt_input(&secret, &other, 5, &input, MAX), malformed);
	}
	for at in [0, input.len() / 2, input.len() - 1] {
		let mut tampered = input.clone();
		tampered[at] ^= 1;
		assert_eq!(decrypt_input(&secret, &context, 5, &tampered, MAX), malformed);
	}
	let output = encrypt_output(&secret, 5, &run(9), b"the output", MAX).unwrap();
	assert_eq!(decrypt_output(&secret, 6, &run(9), &output, MAX), malformed);
	for other in [
		OutputContext { genesis: [9; 32], ..run(9) },
		run(10),
		OutputContext { status: Status::Exit(1), ..run(9) },
		OutputContext { fuel_used: 1_235, ..run(9) },
		OutputContext { executor_version: 3, ..run(9) },
	] {
		assert_eq!(decrypt_output(&secret, 5, &other, &output, MAX), malformed);
	}
	// The input key is not the output key.
	assert_eq!(decrypt_output(&secret, 5, &run(9), &input, MAX), malformed);
}

#[test]
fn outputs_are_deterministic_and_reveal_only_equality() {
	let secret = [7; 32];
	let output = b"42".to_vec();
	let one = encrypt_output(&secret, 0, &run(9), &output, MAX).unwrap();
	assert_eq!(one, encrypt_output(&secret, 0, &run(9), &output, MAX).unwrap(), "replicas agree");
	// Another output, tile, task, run fact or secret: another ciphertext, with nothing shared
	// (no fixed key stream: the first bytes differ too).
	for other in [
		encrypt_output(&secret, 0, &run(9), b"43", MAX).unwrap(),
		encrypt_output(&secret, 1, &run(9), &output, MAX).unwrap(),
		encrypt_output(&secret, 0, &run(10), &output, MAX).unwrap(),
		encrypt_output(&secret, 0, &OutputContext { fuel_used: 1, ..run(9) }, &output, MAX)
			.unwrap(),
		encrypt_output(&[8; 32], 0, &run(9), &output, MAX).unwrap(),
	] {
		assert_eq!(other.len(), one.len());
		assert_ne!(other[..16], one[..16]);
	}
	// A liar who chose its plaintext learns no key stream: XOR of two ciphertexts is not the
	// XOR of their plaintexts.
	let chosen = encrypt_output(&secret, 0, &run(9), b"\0\0", MAX).unwrap();
	let xor: Vec<u8> = one.iter().zip(&chosen).map(|(a, b)| a ^ b).collect();
	assert_ne!(xor[4..6], output[..], "GCM-SIV's synthetic IV differs per plaintext");
}

/// Opening is strict: a plaintext with a wrong length or padding, under the right key, does
/// not open (every client and node reads the same bytes or none).
#[test]
fn a_plaintext_with_a_wrong_length_or_padding_does_not_open() {
	use aes_gcm_siv::{
		aead::{Aead, KeyInit, Payload},
		Aes256GcmSiv, Nonce,
	};
	let secret = [7; 32];
	let context = context(&secret);
	let aad = bourse_primitives::confidential::input_aad(&context, 0);
	let key = bourse_primitives::confidential::input_key(&secret, 0);
	let seal = |plaintext: &[u8]| {
		Aes256GcmSiv::new((&key).into())
			.encrypt(&Nonce::default(), Payload { msg: plaintext, aad: &aad })
			.unwrap()
	};
	let plaintext = |len: u32, total: usize, pad: u8| {
		let mut p = len.to_le_bytes().to_vec();
		p.extend_from_slice(&vec![b'i'; (len as usize).min(total.saturating_sub(4))]);
		p.resize(total, pad);
		p
	};
	let good = seal(&plaintext(5, MIN_PADDED_INPUT, 0));
	assert_eq!(decrypt_input(&secret, &context, 0, &good, MAX).unwrap(), b"iiiii");
	for bad in [
		plaintext(5, MIN_PADDED_INPUT, 1),     // non-zero padding
		plaintext(5, MIN_PADDED_INPUT + 1, 0), // not the padded size
		plaintext(5, 128, 0),                  // padded beyond its bucket
		plaintext(100, MIN_PADDED_INPUT, 0),   // length beyond the plaintext
		vec![1, 0],                            // no room for the length
	] {
		assert_eq!(
			decrypt_input(&secret, &context, 0, &seal(&bad), MAX),
			Err(ConfidentialError::Malformed)
		);
	}
	assert_eq!(
		decrypt_input(&secret, &context, 0, &vec![0; MAX + 1], MAX),
		Err(ConfidentialError::Malformed),
		"longer than the bound"
	);
}

#[test]
fn a_seal_opens_only_with_its_key_for_its_task_and_only_to_the_tasks_secret() {
	let secret = [7; 32];
	let context = context(&secret);
	let provider = [21; 32];
	let key = reply::public_key(&provider).unwrap();
	let sealed =
		seal_secret(&key, &context, &secret, &mut ChaCha20Rng::from_seed([1; 32])).unwrap();
	assert_eq!(sealed.len(), SEALED_SECRET_LEN);
	assert_eq!(open_secret(&provider, &context, &sealed), Ok(secret));
	let malformed = Err(ConfidentialError::Malformed);
	assert_eq!(open_secret(&[22; 32], &context, &sealed), malformed, "another provider");
	for other in [
		TaskContext { genesis: [9; 32], ..context.clone() },
		TaskContext { workload: [9; 32], ..context.clone() },
		TaskContext { requester: [9; 32], ..context.clone() },
	] {
		assert_eq!(open_secret(&provider, &other, &sealed), malformed);
	}
	let mut tampered = sealed;
	tampered[40] ^= 1;
	assert_eq!(open_secret(&provider, &context, &tampered), malformed);
	// A requester who seals another secret than the one its task names is caught by its hash.
	let lying =
		seal_secret(&key, &context, &[8; 32], &mut ChaCha20Rng::from_seed([2; 32])).unwrap();
	assert_eq!(open_secret(&provider, &context, &lying), Err(ConfidentialError::WrongSecret));
	// Unusable keys.
	let mut small = [0u8; 32];
	small[0] = 1;
	let mut rng = ChaCha20Rng::from_seed([3; 32]);
	assert_eq!(seal_secret(&small, &context, &secret, &mut rng), Err(ConfidentialError::BadKey));
	let mut high = key;
	high[31] |= 0x80;
	assert_eq!(seal_secret(&high, &context, &secret, &mut rng), Err(ConfidentialError::BadKey));
}

#[test]
fn the_keyed_fingerprint_needs_the_secret() {
	let fingerprint = [5; 32];
	let keyed = keyed_fingerprint(&[7; 32], 0, &fingerprint);
	assert_ne!(keyed, fingerprint);
	assert_ne!(keyed, keyed_fingerprint(&[8; 32], 0, &fingerprint), "another secret");
	assert_ne!(keyed, keyed_fingerprint(&[7; 32], 1, &fingerprint), "another tile");
	assert_ne!(keyed, keyed_fingerprint(&[7; 32], 0, &[6; 32]), "another run");
}

/// One vector: everything derived from `secret`, checked by recomputing it.
fn vector(i: u8) -> Value {
	let secret = [0x70 + i; 32];
	let context = TaskContext {
		genesis: [0x10 + i; 32],
		workload: [0x20 + i; 32],
		requester: [0x30 + i; 32],
		secret_hash: secret_hash(&secret),
	};
	// The last, under a bound of 4 KiB (to keep the file small): the largest input and an
	// output whose padding is clamped to the bound, with fuel beyond 2^53 (JavaScript's safe
	// integers).
	let max = if i == 3 { 4_096 } else { MAX };
	let largest_input = vec![0x11; max_input_len(max)];
	let clamped_output = vec![0x22; max_output_len(max) - 10];
	let inputs: [&[u8]; 4] = [b"", b"confidential input\n", &[0xab; 700], &largest_input];
	let outputs: [&[u8]; 4] = [b"", b"confidential output\n", &[0xcd; 300], &clamped_output];
	let statuses = [Status::Success, Status::Exit(3), Status::OutOfFuel, Status::Exit(u32::MAX)];
	let (tile, task_id) = (u32::from(i) * 7, 1_000 + u64::from(i));
	let run = OutputContext {
		genesis: context.genesis,
		task_id,
		status: statuses[usize::from(i)],
		fuel_used: if i == 3 { u64::MAX - 1 } else { 123_456_789 * u64::from(i) },
		executor_version: 2 + u32::from(i),
	};
	let provider_secret = [0x50 + i; 32];
	let key = reply::public_key(&provider_secret).unwrap();
	let sealed =
		seal_secret(&key, &context, &secret, &mut ChaCha20Rng::from_seed([i; 32])).unwrap();
	let fingerprint = [0x60 + i; 32];
	let input = inputs[usize::from(i)];
	let output = outputs[usize::from(i)];
	json!({
		"secret": hex(&secret), "secretHash": hex(&context.secret_hash),
		"genesis": hex(&context.genesis), "workload": hex(&context.workload),
		"requester": hex(&context.requester), "tile": tile, "max": max,
		"input": hex(input),
		"inputCiphertext": hex(&encrypt_input(&secret, &context, tile, input, max).unwrap()),
		"taskId": task_id, "statusScale": hex(&run.status.encode()),
		"fuelUsed": run.fuel_used.to_string(), "executorVersion": run.executor_version,
		"output": hex(output),
		"outputCiphertext": hex(&encrypt_output(&secret, tile, &run, output, max).unwrap()),
		"fingerprint": hex(&fingerprint),
		"keyedFingerprint": hex(&keyed_fingerprint(&secret, tile, &fingerprint)),
		"providerSecret": hex(&provider_secret), "providerKey": hex(&key),
		"sealed": hex(&sealed),
	})
}

/// Checks a vector of either side: its deterministic values recomputed here, its seal opened.
fn check(vector: &Value) {
	use codec::Decode;
	let secret = array(&vector["secret"]);
	let context = TaskContext {
		genesis: array(&vector["genesis"]),
		workload: array(&vector["workload"]),
		requester: array(&vector["requester"]),
		secret_hash: array(&vector["secretHash"]),
	};
	assert_eq!(secret_hash(&secret), context.secret_hash);
	let tile = vector["tile"].as_u64().unwrap() as u32;
	let max = vector["max"].as_u64().unwrap() as usize;
	let input = unhex(vector["input"].as_str().unwrap());
	let input_ciphertext = unhex(vector["inputCiphertext"].as_str().unwrap());
	assert_eq!(encrypt_input(&secret, &context, tile, &input, max).unwrap(), input_ciphertext);
	assert_eq!(decrypt_input(&secret, &context, tile, &input_ciphertext, max).unwrap(), input);
	let run = OutputContext {
		genesis: context.genesis,
		task_id: vector["taskId"].as_u64().unwrap(),
		status: Status::decode(&mut &unhex(vector["statusScale"].as_str().unwrap())[..]).unwrap(),
		fuel_used: vector["fuelUsed"].as_str().unwrap().parse().unwrap(),
		executor_version: vector["executorVersion"].as_u64().unwrap() as u32,
	};
	let output = unhex(vector["output"].as_str().unwrap());
	let output_ciphertext = unhex(vector["outputCiphertext"].as_str().unwrap());
	assert_eq!(encrypt_output(&secret, tile, &run, &output, max).unwrap(), output_ciphertext);
	assert_eq!(decrypt_output(&secret, tile, &run, &output_ciphertext, max).unwrap(), output);
	let fingerprint = array(&vector["fingerprint"]);
	assert_eq!(keyed_fingerprint(&secret, tile, &fingerprint), array(&vector["keyedFingerprint"]));
	let provider_secret = array(&vector["providerSecret"]);
	assert_eq!(reply::public_key(&provider_secret).unwrap(), array(&vector["providerKey"]));
	let sealed = unhex(vector["sealed"].as_str().unwrap()).try_into().unwrap();
	assert_eq!(open_secret(&provider_secret, &context, &sealed), Ok(secret));
}

/// The vectors of both sides check here; this side's are exactly what their seeds give
/// (rewritten with `BOURSE_WRITE_CONFIDENTIAL_VECTORS=1`).
#[test]
fn cross_language_vectors_check() {
	let ours: Vec<Value> = (0..4).map(vector).collect();
	let writing = std::env::var_os("BOURSE_WRITE_CONFIDENTIAL_VECTORS").is_some();
	let mut file: Value = match std::fs::read_to_string(vectors()) {
		Ok(text) => serde_json::from_str(&text).unwrap(),
		Err(_) if writing => json!({ "rust": [], "js": [] }),
		Err(e) => panic!("{}: {e}", vectors().display()),
	};
	if writing {
		file["rust"] = Value::Array(ours.clone());
		std::fs::write(vectors(), serde_json::to_string_pretty(&file).unwrap() + "\n").unwrap();
	}
	assert_eq!(file["rust"], Value::Array(ours), "this side's vectors are current");
	let theirs = file["js"].as_array().unwrap();
	assert!(theirs.len() >= 3, "the JS side's vectors are there");
	for vector in file["rust"].as_array().unwrap().iter().chain(theirs) {
		check(vector);
	}
}

#[test]
fn a_members_node_opens_the_run_the_client_made_and_closes_its_outcome_for_the_client() {
	use bourse_primitives::{sandbox::ConfidentialRun, Outcome};
	let secret = [9; 32];
	let node_secret = [4; 32];
	let key = reply::public_key(&node_secret).unwrap();
	let context = context(&secret);
	let mut rng = ChaCha20Rng::from_seed([5; 32]);
	let seal = seal_secret(&key, &context, &secret, &mut rng).unwrap();
	let input = encrypt_input(&secret, &context, 0, b"plaintext input", MAX).unwrap();
	// What the runtime hands the node: the requester as its SCALE bytes.
	let run_of = |seal| ConfidentialRun {
		genesis: context.genesis,
		task_id: 7,
		requester: context.requester.encode(),
		secret_hash: context.secret_hash,
		key,
		seal,
		max_input: MAX as u32,
		max_output: MAX as u32,
	};
	let (plaintext, closer) = run_of(seal).open(&node_secret, context.workload, &input).unwrap();
	assert_eq!(plaintext, b"plaintext input");
	assert_eq!(closer.max_plain_output(), max_output_len(MAX));
	let ran = Outcome {
		status: Status::Success,
		output: b"plaintext output".to_vec(),
		fuel_used: 1_234,
		executor_version: 2,
		fingerprint: [8; 32],
	};
	let closed = closer.close(ran.clone()).unwrap();
	assert_eq!(closed.fingerprint, keyed_fingerprint(&secret, 0, &[8; 32]));
	assert_eq!((closed.status, closed.fuel_used), (ran.status, ran.fuel_used));
	assert_eq!(decrypt_output(&secret, 0, &run(7), &closed.output, MAX).unwrap(), ran.output);
	// Another workload, a seal to another secret, or another key's secret: nothing opens.
	assert!(run_of(seal).open(&node_secret, [0xee; 32], &input).is_err());
	assert_eq!(
		run_of(seal).open(&[6; 32], context.workload, &input).err(),
		Some(ConfidentialError::Malformed)
	);
	let other = seal_secret(&key, &context, &[1; 32], &mut rng).unwrap();
	assert_eq!(
		run_of(other).open(&node_secret, context.workload, &input).err(),
		Some(ConfidentialError::WrongSecret)
	);
}
