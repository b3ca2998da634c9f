//! What the node and a sandbox worker process say to each other: SCALE messages, each framed
//! by its length (4 bytes, little-endian), over the worker's stdin (requests) and stdout
//! (responses). One request at a time; every request but [`Request::Run`] has one response,
//! a run has two ([`Response::Prepared`], then [`Response::Finished`]).

use crate::{CodeHash, Error, ExecutionLimits, Outcome};
use codec::{Decode, Encode};
use std::io::{self, Read, Write};

/// The largest frame either side accepts: a workload, an input and their limits fit many
/// times over; a garbled length prefix is refused before anything is allocated.
pub const MAX_FRAME: u32 = 16 * 1024 * 1024;

/// From the node to a worker.
#[derive(Debug, Encode, Decode)]
pub enum Request {
	/// Run `code` (hash `code_hash`) on `input`, as [`Executor::execute`](crate::Executor) does.
	Run {
		code_hash: CodeHash,
		code: Vec<u8>,
		input: Vec<u8>,
		limits: ExecutionLimits,
		seed: [u8; 32],
	},
	/// Try what confinement must refuse, with `path` a file or directory to open (e.g. the
	/// node's keystore), and report each attempt. Sent by the node's own tests; harmless.
	Probe { path: Vec<u8> },
}

/// From a worker to the node.
#[derive(Debug, Encode, Decode)]
pub enum Response {
	/// The worker started: the protections it runs under.
	Ready(Confinement),
	/// The run's module is compiled (or refused): compilation is over, running begins.
	Prepared,
	/// The run ended.
	Finished(Result<Outcome, RemoteError>),
	/// What [`Request::Probe`] found.
	Probed(ProbeReport),
}

/// The protections a worker runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Confinement {
	/// `PR_SET_NO_NEW_PRIVS`: no privileges gained through `execve` (which is denied anyway).
	pub no_new_privs: bool,
	/// The seccomp deny-list is installed (`Seccomp: 2`).
	pub seccomp: bool,
	/// How much of landlock's file-system and network rules the kernel enforces.
	pub landlock: Landlock,
	/// The worker left the node's network, IPC, UTS, mount and cgroup namespaces.
	pub namespaces: bool,
}

impl Confinement {
	/// Whether the protections the node requires are on: the seccomp deny-list (which also
	/// refuses opening files and sockets) and `no_new_privs`. Landlock is a second wall where
	/// the kernel has it.
	pub fn is_confined(&self) -> bool {
		self.no_new_privs && self.seccomp
	}
}

impl std::fmt::Display for Confinement {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let on = |b: bool| if b { "on" } else { "OFF" };
		write!(
			f,
			"seccomp deny-list {}, no_new_privs {}, own namespaces {}, landlock {}",
			on(self.seccomp),
			on(self.no_new_privs),
			on(self.namespaces),
			match self.landlock {
				Landlock::Full => "fully enforced",
				Landlock::Partial => "partly enforced",
				Landlock::Off => "not available",
			}
		)
	}
}

/// Landlock's status in a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Landlock {
	/// Not enforced (the kernel lacks it, or it failed).
	Off,
	/// Some of the rules are enforced (an older landlock ABI).
	Partial,
	/// Every rule is enforced.
	Full,
}

/// Each attempt of [`Request::Probe`]: `Ok(())` if it succeeded, else the error it met.
#[derive(Debug, Encode, Decode)]
pub struct ProbeReport {
	/// Opening the probed path for reading.
	pub open: Result<(), String>,
	/// Listing the probed path as a directory.
	pub read_dir: Result<(), String>,
	/// A TCP connection to 127.0.0.1:9 (refused by the network, if ever made).
	pub connect: Result<(), String>,
	/// `execve` of `/bin/true`.
	pub execve: Result<(), String>,
	/// A signal (0: only whether it could be sent) to the parent, the node.
	pub signal_parent: Result<(), String>,
}

/// [`Error`] across the process boundary.
#[derive(Debug, Encode, Decode)]
pub enum RemoteError {
	/// [`Error::Engine`].
	Engine(String),
	/// [`Error::WorkerLost`].
	WorkerLost,
	/// [`Error::Resources`].
	Resources(String),
	/// [`Error::TimedOut`].
	TimedOut,
	/// [`Error::Cancelled`].
	Cancelled,
	/// [`Error::MemoryAboveNode`].
	MemoryAboveNode,
}

impl From<Error> for RemoteError {
	fn from(e: Error) -> Self {
		match e {
			Error::Engine(e) => RemoteError::Engine(e),
			Error::WorkerLost => RemoteError::WorkerLost,
			Error::Resources(e) => RemoteError::Resources(e),
			Error::TimedOut => RemoteError::TimedOut,
			Error::Cancelled => RemoteError::Cancelled,
			Error::MemoryAboveNode => RemoteError::MemoryAboveNode,
		}
	}
}

impl From<RemoteError> for Error {
	fn from(e: RemoteError) -> Self {
		match e {
			RemoteError::Engine(e) => Error::Engine(e),
			RemoteError::WorkerLost => Error::WorkerLost,
			RemoteError::Resources(e) => Error::Resources(e),
			RemoteError::TimedOut => Error::TimedOut,
			RemoteError::Cancelled => Error::Cancelled,
			RemoteError::MemoryAboveNode => Error::MemoryAboveNode,
		}
	}
}

/// Writes `message` as one frame and flushes.
pub fn write_frame(to: &mut impl Write, message: &impl Encode) -> io::Result<()> {
	let bytes = message.encode();
	let len = u32::try_from(bytes.len())
		.ok()
		.filter(|len| *len <= MAX_FRAME)
		.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
	to.write_all(&len.to_le_bytes())?;
	to.write_all(&bytes)?;
	to.flush()
}

/// Reads one frame and decodes it; `Ok(None)` at a clean end of the stream.
pub fn read_frame<M: Decode>(from: &mut impl Read) -> io::Result<Option<M>> {
	read_frame_within(from, MAX_FRAME)
}

/// [`read_frame`] of frames of at most `max` bytes.
pub fn read_frame_within<M: Decode>(from: &mut impl Read, max: u32) -> io::Result<Option<M>> {
	let mut len = [0u8; 4];
	match from.read_exact(&mut len) {
		Ok(()) => {}
		Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
		Err(e) => return Err(e),
	}
	let len = u32::from_le_bytes(len);
	if len > max {
		return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too large"));
	}
	let mut bytes = vec![0u8; len as usize];
	from.read_exact(&mut bytes)?;
	M::decode(&mut &bytes[..])
		.map(Some)
		.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
}
