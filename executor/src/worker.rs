//! The sandbox worker process: what `bourse-node sandbox-worker` runs. It confines itself
//! ([`crate::confine`]), builds one [`Executor`] with one execution thread (its compiled modules
//! stay cached for the life of the process), then serves [`Request`]s from stdin one at a time,
//! answering on stdout ([`crate::protocol`]); it ends with the node (stdin closed, or the
//! parent-death signal).

use crate::{
	confine::confine,
	protocol::{read_frame, write_frame, ProbeReport, RemoteError, Request, Response},
	Executor, ExecutorConfig,
};
use std::io::{self, Write};

/// Serves the node on stdin and stdout until stdin closes; the exit code for `main`.
pub fn serve() -> i32 {
	// Die with the node, even if it is killed; and be the first the kernel kills when memory
	// runs out, never the node.
	let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
	let _ = std::fs::write("/proc/self/oom_score_adj", "1000");
	let confinement = confine();
	let executor = match Executor::new(ExecutorConfig { workers: 1, ..Default::default() }) {
		Ok(executor) => executor,
		Err(e) => {
			eprintln!("bourse sandbox worker: {e}");
			return 1;
		}
	};
	let mut requests = io::stdin().lock();
	let mut responses = io::stdout().lock();
	if write_frame(&mut responses, &Response::Ready(confinement)).is_err() {
		return 1;
	}
	loop {
		let request = match read_frame::<Request>(&mut requests) {
			Ok(Some(request)) => request,
			Ok(None) => return 0,
			Err(e) => {
				eprintln!("bourse sandbox worker: bad request: {e}");
				return 1;
			}
		};
		if handle(&executor, request, &mut responses).is_err() {
			return 1; // the node is gone
		}
	}
}

/// Answers one request.
fn handle(executor: &Executor, request: Request, responses: &mut impl Write) -> io::Result<()> {
	match request {
		Request::Run { code_hash, code, input, limits, seed } => {
			// Compile first and say so: the node bounds compilation apart from the run. A
			// refused module is no failure here; running it gives its status.
			let _ = executor.precompile(code_hash, &code, limits);
			write_frame(responses, &Response::Prepared)?;
			let result =
				executor.execute(code_hash, &code, &input, limits, seed).map_err(RemoteError::from);
			write_frame(responses, &Response::Finished(result))
		}
		Request::Probe { path } => write_frame(responses, &Response::Probed(probe(path))),
	}
}

/// Tries what confinement must refuse.
fn probe(path: Vec<u8>) -> ProbeReport {
	use std::os::unix::ffi::OsStringExt;
	let path = std::path::PathBuf::from(std::ffi::OsString::from_vec(path));
	let text = |e: io::Error| e.to_string();
	let connect = std::net::TcpStream::connect_timeout(
		&std::net::SocketAddr::from(([127, 0, 0, 1], 9)),
		std::time::Duration::from_secs(1),
	);
	ProbeReport {
		open: std::fs::File::open(&path).map(drop).map_err(text),
		read_dir: std::fs::read_dir(&path).map(drop).map_err(text),
		connect: connect.map(drop).map_err(text),
		execve: std::process::Command::new("/bin/true")
			.env_clear()
			.status()
			.map_err(text)
			.and_then(|s| if s.success() { Ok(()) } else { Err(format!("exited {s}")) }),
		signal_parent: nix::sys::signal::kill(nix::unistd::getppid(), None)
			.map_err(|e| io::Error::from(e).to_string()),
	}
}
