//! Confinement of a sandbox worker process, applied once at its start, before it builds the
//! engine or starts a thread (every thread it starts inherits it): `no_new_privs`, a seccomp
//! deny-list and, where the kernel has it, landlock. After it the process can compute, map
//! anonymous memory, make threads and talk over the pipes it inherited; it cannot open a file,
//! make a socket, start a program, trace or signal another process, or reach the kernel's
//! riskier interfaces (io_uring, bpf, keyrings, userfaultfd, perf, modules, mounts).
//!
//! A deny-list, as Polkadot's PVF workers use: an allow-list written by hand breaks on the next
//! wasmtime or glibc update; the calls denied here are ones nothing in the worker needs. Denied
//! calls fail with `EACCES`, so a probe can tell what was refused; `clone3` fails with `ENOSYS`
//! (so that threads are made with `clone`, whose flags a filter can read), and a call of the
//! x32 ABI, which the deny-list's numbers would not match, kills the process.
//!
//! First of all the worker leaves the node's namespaces where the kernel lets it (a new user
//! namespace, which Docker's default profile forbids, or a root node's privileges): a network
//! namespace of its own has no interface but an unconfigured loopback, and its own IPC, UTS,
//! mount and cgroup namespaces. It keeps the node's PID namespace (entering a new one takes a
//! fork), so the deny-list is what keeps it from other processes.

use crate::protocol::{Confinement, Landlock};
use std::collections::BTreeMap;

/// Applies every protection this platform has and reports which are on. Never fails: what
/// could not be applied shows as off, and the node decides whether to run unconfined.
pub fn confine() -> Confinement {
	let namespaces = leave_namespaces();
	let no_new_privs = nix::sys::prctl::set_no_new_privs().is_ok();
	// Landlock first: creating its ruleset needs calls the deny-list then refuses.
	let landlock = landlock_deny_all_files();
	Confinement { no_new_privs, seccomp: seccomp(), landlock, namespaces }
}

/// Moves into new network, IPC, UTS, mount and cgroup namespaces, inside a new user namespace
/// if the kernel allows one, else with the node's own privileges; whether it could. Only while
/// the process has a single thread (the kernel requires it for a user namespace).
fn leave_namespaces() -> bool {
	use nix::sched::{unshare, CloneFlags};
	let own = CloneFlags::CLONE_NEWNET
		| CloneFlags::CLONE_NEWIPC
		| CloneFlags::CLONE_NEWUTS
		| CloneFlags::CLONE_NEWNS
		| CloneFlags::CLONE_NEWCGROUP;
	unshare(CloneFlags::CLONE_NEWUSER | own).or_else(|_| unshare(own)).is_ok()
}

/// Installs the seccomp filters on every thread; whether it could. The deny-list names x86-64
/// calls: elsewhere the worker runs without it (and the node says so).
#[cfg(not(target_arch = "x86_64"))]
fn seccomp() -> bool {
	false
}

#[cfg(target_arch = "x86_64")]
fn seccomp() -> bool {
	let filters = [deny_list(), no_clone3()].into_iter().collect::<Result<Vec<_>, _>>();
	match filters {
		Ok(mut filters) => {
			filters.push(no_x32());
			filters.iter().all(|program| seccompiler::apply_filter_all_threads(program).is_ok())
		}
		Err(e) => {
			eprintln!("bourse sandbox worker: cannot build the seccomp filter: {e}");
			false
		}
	}
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
#[cfg(target_arch = "x86_64")]
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
		libc::SYS_fchmodat2,
		libc::SYS_setxattr,
		libc::SYS_lsetxattr,
		libc::SYS_fsetxattr,
		libc::SYS_removexattr,
		libc::SYS_lremovexattr,
		libc::SYS_fremovexattr,
		libc::SYS_utime,
		libc::SYS_utimes,
		libc::SYS_utimensat,
		libc::SYS_futimesat,
		libc::SYS_inotify_init,
		libc::SYS_inotify_init1,
		libc::SYS_fanotify_init,
		libc::SYS_uselib,
		libc::SYS_quotactl,
		libc::SYS_mount,
		libc::SYS_umount2,
		libc::SYS_pivot_root,
		libc::SYS_chroot,
		libc::SYS_open_tree,
		libc::SYS_fsopen,
		libc::SYS_fsconfig,
		libc::SYS_fsmount,
		libc::SYS_fspick,
		libc::SYS_move_mount,
		libc::SYS_mount_setattr,
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
		libc::SYS_rt_sigqueueinfo,
		libc::SYS_rt_tgsigqueueinfo,
		libc::SYS_pidfd_open,
		libc::SYS_pidfd_send_signal,
		libc::SYS_pidfd_getfd,
		libc::SYS_setns,
		libc::SYS_unshare,
		libc::SYS_kcmp,
		libc::SYS_get_robust_list,
		libc::SYS_move_pages,
		libc::SYS_migrate_pages,
		libc::SYS_process_madvise,
		libc::SYS_setpriority,
		libc::SYS_sched_setscheduler,
		libc::SYS_sched_setparam,
		libc::SYS_sched_setattr,
		libc::SYS_ioprio_set,
		// System V and POSIX IPC, shared with other processes of the user.
		libc::SYS_msgget,
		libc::SYS_shmget,
		libc::SYS_semget,
		libc::SYS_mq_open,
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
		// What a worker of a root node could still do with root's powers where it could not
		// enter a user namespace: hardware ports, the clock, the kernel log, identities.
		libc::SYS_iopl,
		libc::SYS_ioperm,
		libc::SYS_modify_ldt,
		libc::SYS_settimeofday,
		libc::SYS_clock_settime,
		libc::SYS_clock_adjtime,
		libc::SYS_adjtimex,
		libc::SYS_syslog,
		libc::SYS_vhangup,
		libc::SYS_sethostname,
		libc::SYS_setdomainname,
		libc::SYS_setuid,
		libc::SYS_setgid,
		libc::SYS_setreuid,
		libc::SYS_setregid,
		libc::SYS_setresuid,
		libc::SYS_setresgid,
		libc::SYS_setfsuid,
		libc::SYS_setfsgid,
		libc::SYS_setgroups,
		libc::SYS_capset,
	];
	let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
		denied.iter().map(|call| (*call, Vec::new())).collect();
	// The arguments compared are all 32-bit (`int` pids, `unsigned int` commands and clone
	// flags, as the kernel reads them): a 64-bit comparison would let set high bits slip past.
	let when = |arg: u8, op: SeccompCmpOp, value: u64| {
		SeccompCondition::new(arg, SeccompCmpArgLen::Dword, op, value)
			.and_then(|condition| SeccompRule::new(vec![condition]))
	};
	let own = u64::from(std::process::id());
	// Signals and limits only for itself: `tgkill` to another process (its own threads are
	// fine: `raise`, `abort`), `prlimit64` and `sched_setaffinity` of another process.
	rules.insert(libc::SYS_tgkill, vec![when(0, SeccompCmpOp::Ne, own)?]);
	rules.insert(libc::SYS_prlimit64, vec![when(0, SeccompCmpOp::Ne, 0)?]);
	rules.insert(libc::SYS_sched_setaffinity, vec![when(0, SeccompCmpOp::Ne, 0)?]);
	// Threads, never processes: `clone` without `CLONE_THREAD` (a `fork`) is denied.
	let thread = libc::CLONE_THREAD as u64;
	rules.insert(libc::SYS_clone, vec![when(0, SeccompCmpOp::MaskedEq(thread), 0)?]);
	// No signals to others through an inherited descriptor's owner.
	// `F_SETSIG` and `F_SETOWN_EX` (linux/fcntl.h), which libc does not name on glibc.
	let owner = [libc::F_SETOWN, 10, 15];
	rules.insert(
		libc::SYS_fcntl,
		owner.iter().map(|cmd| when(1, SeccompCmpOp::Eq, *cmd as u64)).collect::<Result<_, _>>()?,
	);
	// No typing into, or reprogramming, a terminal.
	let tty = [libc::TIOCSTI, libc::TIOCLINUX];
	rules.insert(
		libc::SYS_ioctl,
		tty.iter().map(|cmd| when(1, SeccompCmpOp::Eq, *cmd)).collect::<Result<_, _>>()?,
	);
	let filter = SeccompFilter::new(
		rules,
		SeccompAction::Allow,
		SeccompAction::Errno(libc::EACCES as u32),
		TargetArch::x86_64,
	)?;
	filter.try_into()
}

/// `clone3` fails with `ENOSYS`: its flags are in memory a filter cannot read, and glibc then
/// makes threads with `clone`.
#[cfg(target_arch = "x86_64")]
fn no_clone3() -> Result<seccompiler::BpfProgram, seccompiler::BackendError> {
	use seccompiler::{SeccompAction, SeccompFilter, TargetArch};
	let rules = BTreeMap::from([(libc::SYS_clone3, Vec::new())]);
	let filter = SeccompFilter::new(
		rules,
		SeccompAction::Allow,
		SeccompAction::Errno(libc::ENOSYS as u32),
		TargetArch::x86_64,
	)?;
	filter.try_into()
}

/// Kills the process on any call of the x32 ABI: it shares the x86-64 architecture tag, with
/// bit 30 set in the call number, so the deny-list's numbers would never match it. seccompiler
/// checks the architecture only; this is the check the kernel's seccomp documentation gives.
#[cfg(target_arch = "x86_64")]
fn no_x32() -> seccompiler::BpfProgram {
	use seccompiler::sock_filter;
	const LOAD_WORD: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
	const JUMP_EQ: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
	const JUMP_SET: u16 = (libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K) as u16;
	const RETURN: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
	const X32_SYSCALL_BIT: u32 = 0x4000_0000;
	// `EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE` (linux/audit.h).
	const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
	// Offsets in `struct seccomp_data`: the call number, then the architecture.
	let (nr, arch) = (0, 4);
	let op = |code, jt, jf, k| sock_filter { code, jt, jf, k };
	vec![
		op(LOAD_WORD, 0, 0, arch),
		// Another architecture: the deny-list's own check kills it.
		op(JUMP_EQ, 1, 0, AUDIT_ARCH_X86_64),
		op(RETURN, 0, 0, libc::SECCOMP_RET_ALLOW),
		op(LOAD_WORD, 0, 0, nr),
		op(JUMP_SET, 0, 1, X32_SYSCALL_BIT),
		op(RETURN, 0, 0, libc::SECCOMP_RET_KILL_PROCESS),
		op(RETURN, 0, 0, libc::SECCOMP_RET_ALLOW),
	]
}
