//! WASI command: `primes` workload (see the crate docs for input and output).

fn main() {
	bourse_workloads::command(bourse_workloads::primes::run);
}
