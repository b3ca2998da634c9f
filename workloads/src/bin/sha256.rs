//! WASI command: `sha256` workload (see the crate docs for input and output).

fn main() {
	bourse_workloads::command(bourse_workloads::sha256::run);
}
