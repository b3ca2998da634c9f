//! `bourse-sandbox-worker`: a sandbox worker process, as `bourse-node sandbox-worker` runs
//! it, for the sandbox's own tests and benchmarks. It speaks the worker protocol on stdin and
//! stdout; not meant to be run by hand.

fn main() {
	std::process::exit(bourse_executor::worker::serve());
}
