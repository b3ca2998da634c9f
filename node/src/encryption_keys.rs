//! The node's encryption keys: X25519 key pairs to which requesters seal the secrets of
//! confidential tasks (published on chain by the offchain worker, `Offers::set_encryption_key`).
//!
//! Each secret is drawn from the operating system's randomness and kept in one file of the
//! chain's data directory (`<base path>/chains/<chain>/bourse/encryption/`), named
//! `<counter, 10 digits>-<public key, hex>`: the highest counter is the newest key. Files are
//! written whole (a temporary file, synced, then renamed) with mode 0600 in a directory of mode
//! 0700; a file whose name does not match its secret's public key, or that others may read, is
//! skipped with a warning. Keys are never derived from the executor key, so a stolen executor
//! key's seed opens no seal. Old keys stay on disk: tasks sealed to them may still be running.
//!
//! `bourse-node rotate-encryption-key` adds a newer key; a running node publishes it at its
//! next block, and the chain keeps the older one usable for its grace period.

use std::{
	fs,
	io::Write,
	os::unix::fs::{OpenOptionsExt, PermissionsExt},
	path::{Path, PathBuf},
};

use bourse_primitives::reply::{public_key, ReplyKey};

/// The directory of the keys, inside a chain's data directory.
pub fn directory(data_path: &Path) -> PathBuf {
	data_path.join("bourse").join("encryption")
}

/// One key on disk.
struct StoredKey {
	counter: u64,
	public: ReplyKey,
	secret: [u8; 32],
}

/// The encryption keys in one directory.
pub struct EncryptionKeys {
	dir: PathBuf,
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The counter and public key a key file's name gives, if it is a key file's name; the files
/// being written (`.<name>`) are not.
fn parse(name: &str) -> Option<(u64, ReplyKey)> {
	let (counter, public) = name.split_once('-')?;
	if counter.len() != 10 {
		return None;
	}
	Some((counter.parse().ok()?, unhex(public)?))
}

fn unhex(text: &str) -> Option<ReplyKey> {
	if text.len() != 64 {
		return None;
	}
	let mut key = [0u8; 32];
	for (i, byte) in key.iter_mut().enumerate() {
		*byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
	}
	Some(key)
}

impl EncryptionKeys {
	/// Opens the keys in `dir` (creating it), and makes the first key if there is none.
	/// Refuses a directory it cannot read, or a key file it cannot use (others may read it,
	/// or it is not the secret of its name's key): starting with a new key would leave tasks
	/// sealed to the old one unopened.
	pub fn open(dir: PathBuf) -> Result<Self, String> {
		let keys = Self { dir };
		keys.prepare()?;
		let (loaded, refused) = keys.scan()?;
		if let Some((name, why)) = refused.iter().min() {
			return Err(format!(
				"the encryption key {} cannot be used: {why} (fix or remove it)",
				keys.dir.join(name).display()
			));
		}
		if loaded.is_empty() {
			let public = keys.create()?;
			log::info!(target: "bourse", "🔑 new encryption key {}", hex(&public));
		}
		Ok(keys)
	}

	/// Adds a key newer than every key in `dir`; returns its public half.
	pub fn rotate(dir: PathBuf) -> Result<ReplyKey, String> {
		let keys = Self { dir };
		keys.prepare()?;
		keys.create()
	}

	/// The public halves, newest first.
	pub fn public_keys(&self) -> Vec<ReplyKey> {
		self.load().into_iter().map(|key| key.public).collect()
	}

	/// The secret half of `public`, if this node holds it.
	#[allow(dead_code)] // opened seals come with confidential tasks
	pub fn secret(&self, public: &ReplyKey) -> Option<[u8; 32]> {
		self.load().into_iter().find(|key| key.public == *public).map(|key| key.secret)
	}

	/// Creates the directory with mode 0700, or checks that nobody else may read it.
	fn prepare(&self) -> Result<(), String> {
		let shown = self.dir.display();
		fs::create_dir_all(&self.dir).map_err(|e| format!("cannot create {shown}: {e}"))?;
		let mode = fs::metadata(&self.dir)
			.map_err(|e| format!("cannot read {shown}: {e}"))?
			.permissions()
			.mode();
		if mode & 0o077 != 0 {
			fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
				.map_err(|e| format!("cannot restrict {shown} to its owner: {e}"))?;
		}
		Ok(())
	}

	/// The keys on disk, newest first (what cannot be read is left out: [`Self::open`] refused
	/// it at start).
	fn load(&self) -> Vec<StoredKey> {
		self.scan().map(|(keys, _)| keys).unwrap_or_default()
	}

	/// The keys on disk, newest first, and the key files refused with why. Files whose name is
	/// not `<counter>-<public key>` are not keys and are ignored.
	#[allow(clippy::type_complexity)]
	fn scan(&self) -> Result<(Vec<StoredKey>, Vec<(String, String)>), String> {
		let entries = fs::read_dir(&self.dir)
			.map_err(|e| format!("cannot read {}: {e}", self.dir.display()))?;
		let (mut keys, mut refused) = (Vec::new(), Vec::new());
		for entry in entries.flatten() {
			let name = entry.file_name();
			let Some(name) = name.to_str() else { continue };
			let Some((counter, public)) = parse(name) else { continue };
			match Self::read(&entry.path(), &public) {
				Ok(secret) => keys.push(StoredKey { counter, public, secret }),
				Err(why) => refused.push((name.to_string(), why)),
			}
		}
		keys.sort_by(|a, b| b.counter.cmp(&a.counter).then(b.public.cmp(&a.public)));
		Ok((keys, refused))
	}

	/// The highest counter of any key file, usable or not.
	fn highest_counter(&self) -> u64 {
		let Ok(entries) = fs::read_dir(&self.dir) else { return 0 };
		entries
			.flatten()
			.filter_map(|entry| parse(entry.file_name().to_str()?).map(|(counter, _)| counter))
			.max()
			.unwrap_or(0)
	}

	/// The secret in `path`, if it is a private regular file and its public key is `public`.
	/// Opened without following a symbolic link, and checked as opened.
	fn read(path: &Path, public: &ReplyKey) -> Result<[u8; 32], String> {
		use std::io::Read;
		let mut file = fs::OpenOptions::new()
			.read(true)
			.custom_flags(libc::O_NOFOLLOW)
			.open(path)
			.map_err(|e| e.to_string())?;
		let metadata = file.metadata().map_err(|e| e.to_string())?;
		if !metadata.is_file() {
			return Err("not a regular file".into());
		}
		if metadata.permissions().mode() & 0o077 != 0 {
			return Err("others may read it (it must be mode 0600)".into());
		}
		let mut bytes = Vec::with_capacity(33);
		(&mut file).take(33).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
		let secret: [u8; 32] = bytes.try_into().map_err(|_| "not 32 bytes".to_string())?;
		if public_key(&secret).ok().as_ref() != Some(public) {
			return Err("its secret is not its name's key".into());
		}
		Ok(secret)
	}

	/// Draws a key and writes it under the next counter; returns its public half.
	fn create(&self) -> Result<ReplyKey, String> {
		use rand_core::RngCore;
		let mut secret = [0u8; 32];
		rand_core::OsRng.fill_bytes(&mut secret);
		let public = public_key(&secret).map_err(|e| format!("{e:?}"))?;
		let counter = self.highest_counter().saturating_add(1);
		let name = format!("{counter:010}-{}", hex(&public));
		let temporary = self.dir.join(format!(".{name}"));
		let shown = temporary.display();
		let mut file = fs::OpenOptions::new()
			.write(true)
			.create_new(true)
			.mode(0o600)
			// Never through a symbolic link planted in the directory.
			.custom_flags(libc::O_NOFOLLOW)
			.open(&temporary)
			.map_err(|e| format!("cannot create {shown}: {e}"))?;
		file.write_all(&secret).map_err(|e| format!("cannot write {shown}: {e}"))?;
		file.sync_all().map_err(|e| format!("cannot sync {shown}: {e}"))?;
		fs::rename(&temporary, self.dir.join(&name))
			.map_err(|e| format!("cannot rename {shown}: {e}"))?;
		// The rename itself survives a crash once the directory is synced.
		if let Ok(dir) = fs::File::open(&self.dir) {
			let _ = dir.sync_all();
		}
		Ok(public)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn scratch(name: &str) -> PathBuf {
		let dir = std::env::temp_dir()
			.join(format!("bourse-encryption-keys-{name}-{}", std::process::id()));
		let _ = fs::remove_dir_all(&dir);
		dir
	}

	#[test]
	fn the_first_key_is_made_once_kept_private_and_found_again() {
		let dir = scratch("first");
		let keys = EncryptionKeys::open(dir.clone()).unwrap();
		let first = keys.public_keys();
		assert_eq!(first.len(), 1);
		assert!(bourse_primitives::reply::is_usable_key(&first[0]));
		assert_eq!(fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
		let file = fs::read_dir(&dir).unwrap().next().unwrap().unwrap();
		assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
		// Opened again (a restart): the same key, no new one.
		let again = EncryptionKeys::open(dir.clone()).unwrap();
		assert_eq!(again.public_keys(), first);
		let secret = again.secret(&first[0]).unwrap();
		assert_eq!(public_key(&secret).unwrap(), first[0]);
		fs::remove_dir_all(dir).unwrap();
	}

	#[test]
	fn a_rotation_adds_the_newest_key_and_keeps_the_old() {
		let dir = scratch("rotate");
		let keys = EncryptionKeys::open(dir.clone()).unwrap();
		let old = keys.public_keys()[0];
		let new = EncryptionKeys::rotate(dir.clone()).unwrap();
		assert_ne!(new, old);
		// The running node's store sees it at once.
		assert_eq!(keys.public_keys(), vec![new, old]);
		assert!(keys.secret(&old).is_some());
		fs::remove_dir_all(dir).unwrap();
	}

	#[test]
	fn a_key_file_that_is_not_private_or_not_its_names_key_stops_the_node() {
		let dir = scratch("skip");
		let keys = EncryptionKeys::open(dir.clone()).unwrap();
		let good = keys.public_keys()[0];
		// Readable by others.
		let loose = EncryptionKeys::rotate(dir.clone()).unwrap();
		let loose_file = dir.join(format!("{:010}-{}", 2, hex(&loose)));
		fs::set_permissions(&loose_file, fs::Permissions::from_mode(0o644)).unwrap();
		// A secret under another key's name.
		let wrong = dir.join(format!("{:010}-{}", 3, hex(&[7; 32])));
		fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&wrong).unwrap();
		fs::write(&wrong, [1u8; 32]).unwrap();
		// Truncated, and not a key's name at all.
		let short = dir.join(format!("{:010}-{}", 4, hex(&good)));
		fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&short).unwrap();
		fs::write(dir.join("notes.txt"), b"hello").unwrap();
		// A running node uses what it can.
		assert_eq!(keys.public_keys(), vec![good]);
		// A starting node refuses each bad file, one after the other, with its reason.
		for (file, why) in [
			(&loose_file, "others may read it"),
			(&wrong, "not its name's key"),
			(&short, "not 32 bytes"),
		] {
			let error = EncryptionKeys::open(dir.clone()).err().unwrap();
			assert!(error.contains(why), "{error}");
			fs::remove_file(file).unwrap();
		}
		// A symbolic link is not followed.
		let link = dir.join(format!("{:010}-{}", 5, hex(&good)));
		std::os::unix::fs::symlink(dir.join(format!("{:010}-{}", 1, hex(&good))), &link).unwrap();
		assert!(EncryptionKeys::open(dir.clone()).is_err());
		fs::remove_file(&link).unwrap();
		// The next key takes a counter above every file's, usable or not.
		let loose_again = dir.join(format!("{:010}-{}", 9, hex(&loose)));
		fs::OpenOptions::new().write(true).create_new(true).mode(0o644).open(&loose_again).unwrap();
		let next = EncryptionKeys::rotate(dir.clone()).unwrap();
		assert!(dir.join(format!("{:010}-{}", 10, hex(&next))).exists());
		fs::remove_dir_all(dir).unwrap();
	}
}
