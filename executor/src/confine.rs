//! Confinement of a sandbox worker process, applied once at its start, before it builds the
//! engine or starts a thread (every thread it starts inherits it): `no_new_privs`, a seccomp
//! deny-list and, where the kernel has it, landlock. After it the process can compute, map
//! anonymous memory, make threads and talk over the pipes it inherited; it cannot open a file,
//! make a socket, start a program, trace or signal another process, or reach the kernel's
//! riskier interfaces (io_uring, bpf, keyrings, userfaultfd, perf, modules, mounts).
//!
//! A deny-list, as Polkadot's PVF workers use: an allow-list written by hand breaks on the next
//! wasmtime or glibc update; the calls denied here are ones nothing in the worker needs. Denied
//! calls fail with `EACCES`, so a probe can tell what was refused.

use crate::protocol::{Confinement, Landlock};
use std::collections::BTreeMap;

/// Applies every protection this platform has and reports which are on. Never fails: what
/// could not be applied shows as off, and the node decides whether to run unconfined.
pub fn confine() -> Confinement {
	let no_new_privs = nix::sys::prctl::set_no_new_privs().is_ok();
	// Landlock first: creating its ruleset needs calls the deny-list then refuses.
	let landlock = landlock_deny_all_files();
	let seccomp = match deny_list() {
		Ok(program) => seccompiler::apply_filter_all_threads(&program).is_ok(),
		Err(e) => {
			eprintln!("bourse sandbox worker: cannot build the seccomp filter: {e}");
			false
		}
	};
	Confinement { no_new_privs, seccomp, landlock }
}

/// A landlock ruleset that handles every file-system access right and grants none.
fn landlock_deny_all_files() -> Landlock {
	use landlock::{Access, AccessFs, Ruleset, RulesetAttr, RulesetStatus, ABI};
	let status = Ruleset::default()
		.handle_access(AccessFs::from_all(ABI::V3))
		.and_then(|ruleset| ruleset.create())
		.and_then(|ruleset| ruleset.restrict_self());
	match status.map(|s| s.ruleset) {
		Ok(RulesetStatus::FullyEnforced) => Landlock::Full,
		Ok(RulesetStatus::PartiallyEnforced) => Landlock::Partial,
		Ok(RulesetStatus::NotEnforced) | Err(_) => Landlock::Off,
	}
}

/// The system calls a worker never needs, each refused with `EACCES`; signals only to itself.
fn deny_list() -> Result<seccompiler::BpfProgram, seccompiler::BackendError> {
	use seccompiler::{
		SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
		SeccompRule, TargetArch,
	};
	let denied: &[i64] = &[
		// Files: opening or creating one, and changing the tree.
		libc::SYS_open,
		libc::SYS_openat,
		libc::SYS_openat2,
		libc::SYS_creat,
		libc::SYS_open_by_handle_at,
		libc::SYS_name_to_handle_at,
		libc::SYS_mknod,
		libc::SYS_mknodat,
		libc::SYS_link,
		libc::SYS_linkat,
		libc::SYS_symlink,
		libc::SYS_symlinkat,
		libc::SYS_unlink,
		libc::SYS_unlinkat,
		libc::SYS_rename,
		libc::SYS_renameat,
		libc::SYS_renameat2,
		libc::SYS_mkdir,
		libc::SYS_mkdirat,
		libc::SYS_rmdir,
		libc::SYS_truncate,
		libc::SYS_chmod,
		libc::SYS_fchmodat,
		libc::SYS_chown,
		libc::SYS_lchown,
		libc::SYS_fchownat,
		libc::SYS_mount,
		libc::SYS_umount2,
		libc::SYS_pivot_root,
		libc::SYS_chroot,
		// Network.
		libc::SYS_socket,
		libc::SYS_socketpair,
		libc::SYS_connect,
		libc::SYS_bind,
		libc::SYS_listen,
		libc::SYS_accept,
		libc::SYS_accept4,
		// Other programs and processes.
		libc::SYS_execve,
		libc::SYS_execveat,
		libc::SYS_fork,
		libc::SYS_vfork,
		libc::SYS_ptrace,
		libc::SYS_process_vm_readv,
		libc::SYS_process_vm_writev,
		libc::SYS_kill,
		libc::SYS_tkill,
		libc::SYS_pidfd_open,
		libc::SYS_pidfd_send_signal,
		libc::SYS_pidfd_getfd,
		libc::SYS_setns,
		libc::SYS_unshare,
		// Kernel interfaces with a record of escapes.
		libc::SYS_io_uring_setup,
		libc::SYS_io_uring_enter,
		libc::SYS_io_uring_register,
		libc::SYS_bpf,
		libc::SYS_keyctl,
		libc::SYS_add_key,
		libc::SYS_request_key,
		libc::SYS_userfaultfd,
		libc::SYS_perf_event_open,
		libc::SYS_init_module,
		libc::SYS_finit_module,
		libc::SYS_delete_module,
		libc::SYS_kexec_load,
		libc::SYS_kexec_file_load,
		libc::SYS_reboot,
		libc::SYS_swapon,
		libc::SYS_swapoff,
		libc::SYS_personality,
		libc::SYS_acct,
	];
	let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
		denied.iter().map(|call| (*call, Vec::new())).collect();
	// `tgkill` to another process is denied; to its own threads (`raise`, `abort`) it is not.
	let own = u64::from(std::process::id());
	let elsewhere = SeccompCondition::new(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Ne, own)?;
	rules.insert(libc::SYS_tgkill, vec![SeccompRule::new(vec![elsewhere])?]);
	let arch = if cfg!(target_arch = "aarch64") { TargetArch::aarch64 } else { TargetArch::x86_64 };
	let filter = SeccompFilter::new(
		rules,
		SeccompAction::Allow,
		SeccompAction::Errno(libc::EACCES as u32),
		arch,
	)?;
	filter.try_into()
}
