//! WASI command: `mandelbrot` workload (see the crate docs for input and output).

fn main() {
	bourse_workloads::command(bourse_workloads::mandelbrot::run);
}
