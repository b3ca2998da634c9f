#!/usr/bin/env bash
# Installs what building and testing Bourse needs, idempotently; sourced by dev.sh and test.sh.
# Each missing prerequisite is installed; one that cannot be fails with one clear line.

fail() { echo "bourse setup: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One build cache shared by developers and CI on a machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bourse-target}"
# litep2p pulls OpenSSL: use Debian's instead of compiling a vendored copy (minutes on 2 cores).
export OPENSSL_NO_VENDOR=1
# The runtime's Wasm build runs inside the target directory; point it at our Cargo.lock.
export WASM_BUILD_WORKSPACE_HINT="$ROOT"

command -v cargo >/dev/null && command -v rustup >/dev/null || fail "Rust (cargo and rustup) is required: see https://rustup.rs"
# rustup picks the toolchain from the working directory: use the project's.
cd "$ROOT"

# System packages: protoc (litep2p), clang/libclang (bindgen), OpenSSL headers, pkg-config.
missing=()
command -v cc >/dev/null || missing+=(build-essential)
command -v protoc >/dev/null || missing+=(protobuf-compiler)
command -v clang >/dev/null || missing+=(clang)
compgen -G "/usr/lib/llvm-*/lib/libclang*.so*" >/dev/null || compgen -G "/usr/lib/x86_64-linux-gnu/libclang*.so*" >/dev/null || missing+=(libclang-dev)
[ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]} with apt"
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
	{ $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/tmp/bourse-apt.log 2>&1 \
		|| fail "could not install ${missing[*]} with apt-get (log: /tmp/bourse-apt.log)"
fi

# Rust targets: wasm32v1-none for the runtime, wasm32-wasip1 for sample workloads.
installed_targets="$(rustup target list --installed)" || fail "rustup cannot list the installed targets"
for target in wasm32v1-none wasm32-wasip1; do
	grep -qx "$target" <<<"$installed_targets" || {
		say "adding Rust target $target"
		rustup target add "$target" >/dev/null 2>&1 || fail "could not add the Rust target $target (rustup target add $target)"
	}
done
rustup component list --installed | grep -q '^rust-src' || {
	say "adding rust-src"
	rustup component add rust-src >/dev/null 2>&1 || fail "could not add the rust-src component"
}

# Node.js packages from the committed package-lock.json, reinstalled only when it changed.
command -v node >/dev/null && command -v npm >/dev/null || fail "Node.js >= 20.10 and npm are required for the scripts and tests"
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 10) ? 0 : 1)' \
	|| fail "Node.js >= 20.10 is required (found $(node --version))"
if ! cmp -s "$ROOT/package-lock.json" "$ROOT/node_modules/.bourse-package-lock.json"; then
	say "installing npm packages (npm ci)"
	(cd "$ROOT" && npm ci --no-audit --no-fund >/tmp/bourse-npm.log 2>&1) || fail "npm ci failed (log: /tmp/bourse-npm.log)"
	cp "$ROOT/package-lock.json" "$ROOT/node_modules/.bourse-package-lock.json"
fi
