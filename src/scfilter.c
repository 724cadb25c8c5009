/* The seccomp filters of a context (named scfilter: libseccomp owns <seccomp.h>). */
#include "scfilter.h"
#include "bserr.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct bs_seccomp {
	struct sock_fprog prog; /* the allowlist, then the argument rules (merge()) */
};

/* Allowed syscalls, all ABIs (names a given ABI lacks are skipped there). */
static const char *const allowed[] = {
	/* files and directories */
	"read", "write", "open", "openat", "openat2", "close", "close_range", "creat", "lseek", "_llseek",
	"pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2", "pwritev2",
	"stat", "fstat", "lstat", "newfstatat", "statx", "stat64", "fstat64", "lstat64", "fstatat64",
	"oldstat", "oldfstat", "oldlstat", "statfs", "fstatfs", "statfs64", "fstatfs64",
	"access", "faccessat", "faccessat2", "getdents", "getdents64", "readdir", "getcwd", "chdir", "fchdir",
	"rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir", "link", "linkat", "unlink", "unlinkat",
	"symlink", "symlinkat", "readlink", "readlinkat", "chmod", "fchmod", "fchmodat", "fchmodat2",
	"chown", "fchown", "lchown", "fchownat", "chown32", "fchown32", "lchown32", "umask",
	"mknod", "mknodat", "truncate", "ftruncate", "truncate64", "ftruncate64", "fallocate",
	"utime", "utimes", "utimensat", "utimensat_time64", "futimesat",
	"fcntl", "fcntl64", "flock", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range",
	"fadvise64", "fadvise64_64", "readahead", "dup", "dup2", "dup3", "pipe", "pipe2",
	"sendfile", "sendfile64", "splice", "tee", "vmsplice", "copy_file_range", "ioctl",
	"setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr", "listxattr",
	"llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr",
	"inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	"memfd_create", "chroot",
	/* memory */
	"brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync",
	"mlock", "mlock2", "munlock", "mlockall", "munlockall", "remap_file_pages",
	"mbind", "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node",
	"pkey_alloc", "pkey_free", "pkey_mprotect", "membarrier", "process_madvise", "process_mrelease",
	/* processes, threads, signals */
	"clone", "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "waitpid",
	"kill", "tkill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
	"rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "rt_sigsuspend",
	"sigaction", "sigprocmask", "sigreturn", "sigsuspend", "sigpending", "sigaltstack", "signal",
	"signalfd", "signalfd4", "pause", "restart_syscall",
	"pidfd_open", "pidfd_send_signal", "pidfd_getfd", "ptrace", "process_vm_readv", "process_vm_writev",
	"kcmp", "prctl", "arch_prctl", "set_thread_area", "get_thread_area", "set_tid_address",
	"set_robust_list", "get_robust_list", "rseq", "futex", "futex_time64", "futex_waitv",
	"futex_wake", "futex_wait", "futex_requeue", "seccomp", "personality",
	"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
	/* identity and limits */
	"getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid",
	"getuid", "geteuid", "getgid", "getegid", "getuid32", "geteuid32", "getgid32", "getegid32",
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "getresuid", "getresgid",
	"setfsuid", "setfsgid", "setuid32", "setgid32", "setreuid32", "setregid32", "setresuid32",
	"setresgid32", "getresuid32", "getresgid32", "setfsuid32", "setfsgid32",
	"getgroups", "setgroups", "getgroups32", "setgroups32", "capget", "capset",
	"getrlimit", "setrlimit", "prlimit64", "ugetrlimit", "getrusage", "times", "getpriority",
	"setpriority", "nice", "ioprio_get", "ioprio_set", "sched_yield", "sched_setparam",
	"sched_getparam", "sched_setscheduler", "sched_getscheduler", "sched_get_priority_max",
	"sched_get_priority_min", "sched_rr_get_interval", "sched_rr_get_interval_time64",
	"sched_setaffinity", "sched_getaffinity", "sched_setattr", "sched_getattr", "getcpu",
	/* time */
	"time", "gettimeofday", "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep",
	"clock_gettime64", "clock_getres_time64", "clock_nanosleep_time64",
	"alarm", "getitimer", "setitimer", "timer_create", "timer_settime", "timer_gettime",
	"timer_getoverrun", "timer_delete", "timer_settime64", "timer_gettime64",
	"timerfd_create", "timerfd_settime", "timerfd_gettime", "timerfd_settime64", "timerfd_gettime64",
	/* polling and events */
	"poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6", "pselect6_time64",
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"eventfd", "eventfd2",
	/* asynchronous I/O (not io_uring) */
	"io_setup", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_submit", "io_cancel",
	/* sockets (families restricted by the argument rules) */
	"socket", "socketpair", "connect", "accept", "accept4", "bind", "listen", "shutdown",
	"getsockname", "getpeername", "setsockopt", "getsockopt", "sendto", "recvfrom", "sendmsg",
	"recvmsg", "sendmmsg", "recvmmsg", "recvmmsg_time64",
	/* System V and POSIX IPC: private to the context's IPC namespace */
	"ipc", "shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop",
	"semtimedop_time64", "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink",
	"mq_timedsend", "mq_timedreceive", "mq_timedsend_time64", "mq_timedreceive_time64",
	"mq_notify", "mq_getsetattr",
	/* system information; the UTS namespace is the context's own */
	"uname", "olduname", "oldolduname", "sysinfo", "getrandom", "sethostname", "setdomainname",
	NULL,
};

/* Known syscalls that fail with EPERM. */
static const char *const denied[] = {
	"keyctl", "add_key", "request_key", "kexec_load", "kexec_file_load",
	"init_module", "finit_module", "delete_module", "create_module", "query_module", "get_kernel_syms",
	"open_by_handle_at", "name_to_handle_at", "perf_event_open", "bpf", "userfaultfd",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"mount", "umount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	"mount_setattr", "pivot_root", "unshare", "setns", "reboot", "swapon", "swapoff",
	"settimeofday", "stime", "clock_settime", "clock_settime64", "adjtimex", "clock_adjtime",
	"clock_adjtime64", "acct", "quotactl", "quotactl_fd", "syslog", "modify_ldt",
	"lookup_dcookie", "fanotify_init", "fanotify_mark", "vhangup", "iopl", "ioperm", "uselib", "ustat",
	"sysfs", "_sysctl", "vm86", "vm86old", "nfsservctl", "migrate_pages", "move_pages", "bdflush",
	"memfd_secret",
	NULL,
};

const char *const *bs_seccomp_denied(void)
{
	return denied;
}

const char *const *bs_seccomp_allowed(void)
{
	return allowed;
}

static int in_list(const char *const *list, const char *name)
{
	for (; list && *list; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

/* ---- the argument rules: classic BPF built by hand, run after the allowlist ---- */

struct bpf {
	struct sock_filter *v;
	size_t n, cap;
	int oom;
};

static void emit(struct bpf *b, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 128;
		void *nv = realloc(b->v, cap * sizeof *b->v);

		if (!nv) {
			b->oom = 1;
			return;
		}
		b->v = nv;
		b->cap = cap;
	}
	b->v[b->n++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i)))
#define RET_ALLOW SECCOMP_RET_ALLOW
#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

enum rule { R_IOCTL, R_CLONE, R_PERSONALITY, R_SOCKET, R_SOCKETPAIR, R_N };
static const char *const rule_names[R_N] = { "ioctl", "clone", "personality", "socket", "socketpair" };

static size_t rule_len(enum rule r)
{
	switch (r) {
	case R_IOCTL: return 5;
	case R_CLONE: return 4;
	case R_PERSONALITY: return 6;
	default: return 7;
	}
}

/* Emits the block for rule r; it always returns. The low 32 bits of each
 * argument are compared (little-endian x86), matching what the kernel uses:
 * ioctl's request and personality's persona are unsigned int there, socket's
 * family an int, clone's namespace flags all lie in the low word. */
static void emit_rule(struct bpf *b, enum rule r)
{
	const uint32_t nsflags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
				 CLONE_NEWNET | CLONE_NEWCGROUP;

	switch (r) {
	case R_IOCTL:
		emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(1));
		emit(b, BPF_JMP | BPF_JEQ | BPF_K, 2, 0, TIOCSTI);
		emit(b, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, TIOCLINUX);
		emit(b, BPF_RET | BPF_K, 0, 0, RET_ALLOW);
		emit(b, BPF_RET | BPF_K, 0, 0, RET_ERRNO(EPERM));
		break;
	case R_CLONE:
		emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(0));
		emit(b, BPF_JMP | BPF_JSET | BPF_K, 0, 1, nsflags);
		emit(b, BPF_RET | BPF_K, 0, 0, RET_ERRNO(EPERM));
		emit(b, BPF_RET | BPF_K, 0, 0, RET_ALLOW);
		break;
	case R_PERSONALITY:
		emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(0));
		emit(b, BPF_JMP | BPF_JEQ | BPF_K, 3, 0, PER_LINUX);
		emit(b, BPF_JMP | BPF_JEQ | BPF_K, 2, 0, PER_LINUX32);
		emit(b, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0xffffffffu);
		emit(b, BPF_RET | BPF_K, 0, 0, RET_ERRNO(EPERM));
		emit(b, BPF_RET | BPF_K, 0, 0, RET_ALLOW);
		break;
	case R_SOCKET:
	case R_SOCKETPAIR:
		emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(0));
		emit(b, BPF_JMP | BPF_JEQ | BPF_K, 4, 0, AF_UNIX);
		emit(b, BPF_JMP | BPF_JEQ | BPF_K, 3, 0, AF_INET);
		emit(b, BPF_JMP | BPF_JEQ | BPF_K, 2, 0, AF_INET6);
		emit(b, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AF_NETLINK);
		emit(b, BPF_RET | BPF_K, 0, 0, RET_ERRNO(EAFNOSUPPORT));
		emit(b, BPF_RET | BPF_K, 0, 0, RET_ALLOW);
		break;
	default:
		break;
	}
}

/* Emits one architecture section: "if arch != A skip; dispatch on nr; allow". */
static void emit_arch(struct bpf *b, uint32_t audit_arch, const uint32_t *arches, size_t narches)
{
	size_t start, len;
	struct { int nr; enum rule r; } calls[2 * R_N];
	size_t nc = 0;

	for (size_t a = 0; a < narches; a++)
		for (int r = 0; r < R_N; r++) {
			int nr = seccomp_syscall_resolve_name_arch(arches[a], rule_names[r]);

			if (nr >= 0)
				calls[nc++] = (typeof(calls[0])){ nr, (enum rule)r };
		}
	len = 2; /* load nr + final allow */
	for (size_t i = 0; i < nc; i++)
		len += 1 + rule_len(calls[i].r);
	/* jf of the arch test skips the whole section */
	emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)len, audit_arch);
	start = b->n;
	emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < nc; i++) {
		emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)rule_len(calls[i].r), (uint32_t)calls[i].nr);
		emit_rule(b, calls[i].r);
	}
	emit(b, BPF_RET | BPF_K, 0, 0, RET_ALLOW);
	if (!b->oom && b->n - start != len)
		b->oom = 2; /* internal length mismatch */
}

static int build_args(struct sock_fprog *out)
{
	struct bpf b = { 0 };
	uint32_t native = seccomp_arch_native();

	if (native == SCMP_ARCH_X86_64) {
		const uint32_t a64[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X32 };
		const uint32_t a32[] = { SCMP_ARCH_X86 };

		emit_arch(&b, AUDIT_ARCH_X86_64, a64, 2);
		emit_arch(&b, AUDIT_ARCH_I386, a32, 1);
	} else {
		emit_arch(&b, native, &native, 1);
	}
	emit(&b, BPF_RET | BPF_K, 0, 0, RET_ALLOW); /* other ABIs: the allowlist killed them already */
	if (b.oom) {
		free(b.v);
		return b.oom == 1 ? -ENOMEM : -EINVAL;
	}
	out->filter = b.v;
	out->len = (unsigned short)b.n;
	return 0;
}

/* ---- the allowlist: libseccomp ---- */

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, int must_exist,
		    char *err, size_t errlen)
{
	int nr = seccomp_syscall_resolve_name(name), rc;

	if (nr == __NR_SCMP_ERROR)
		return must_exist ? bs_failx(err, errlen, EINVAL, "seccomp: unknown syscall '%s'", name) : 0;
	rc = seccomp_rule_add(ctx, action, nr, 0);
	if (rc < 0 && rc != -EDOM && rc != -EEXIST)
		return bs_fail(err, errlen, -rc, "seccomp: rule for '%s'", name);
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *out)
{
	int fd = memfd_create("bsrun-seccomp", MFD_CLOEXEC), ret = 0;
	struct stat st;
	void *buf = NULL;

	if (fd < 0)
		return -errno;
	if ((ret = seccomp_export_bpf(ctx, fd)) < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		ret = -E2BIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		ret = -EIO;
		free(buf);
		goto out;
	}
	out->filter = buf;
	out->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
out:
	close(fd);
	return ret;
}

/* ---- one program: the allowlist, then the argument rules ---- */

/*
 * bsrun used to load the two programs as two filters (argument rules
 * first, allowlist last). For each syscall the kernel (seccomp_run_filters)
 * runs the newest filter first and keeps an answer only if its action is
 * strictly stricter (KILL_PROCESS < KILL_THREAD < ... < ERRNO < ... < ALLOW;
 * the errno is not part of the comparison), so the pair answered:
 *  - the allowlist's answer whenever it is not ALLOW: a foreign ABI's kill,
 *    ERRNO(EPERM) for a denied syscall, ERRNO(ENOSYS) for an unknown one --
 *    even where an argument rule refused too (a policy denying `socket` made
 *    socket(AF_PACKET) fail with EPERM, not EAFNOSUPPORT: the same action,
 *    and the allowlist's came first);
 *  - the argument rules' answer (ALLOW or their ERRNO) when the allowlist
 *    allows.
 * Running the allowlist first and going on to the argument rules where it
 * would allow gives exactly that: each of the allowlist's `ret ALLOW` becomes
 * a jump to the argument rules' first instruction; everything else stays. The
 * allowlist's own jumps stay inside it (a valid program never jumps past its
 * end), so their relative offsets hold. The argument rules need no state from
 * before: they load arch, nr and each argument themselves and never use X or
 * the scratch memory (libseccomp's allowlist does not either: it is loads of
 * arch, nr and, for i386's socketcall, args[0]; jeq/jgt/ja; ret k).
 */
static int merge(const struct sock_fprog *allow, const struct sock_fprog *args, struct sock_fprog *out)
{
	size_t n = (size_t)allow->len + args->len;
	struct sock_filter *v;

	if (n > BPF_MAXINSNS)
		return -E2BIG;
	if (!allow->len || !args->len)
		return -EINVAL;
	v = malloc(n * sizeof *v);
	if (!v)
		return -ENOMEM;
	memcpy(v, allow->filter, allow->len * sizeof *v);
	memcpy(v + allow->len, args->filter, args->len * sizeof *v);
	for (size_t i = 0; i < allow->len; i++) {
		if (BPF_CLASS(v[i].code) != BPF_RET)
			continue;
		if (BPF_RVAL(v[i].code) != BPF_K) { /* a computed answer might be ALLOW */
			free(v);
			return -EINVAL;
		}
		if (v[i].k == SECCOMP_RET_ALLOW)
			v[i] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)(allow->len - i - 1));
	}
	out->filter = v;
	out->len = (unsigned short)n;
	return 0;
}

static struct bs_seccomp *dup_filter(const struct bs_seccomp *f)
{
	struct bs_seccomp *d = calloc(1, sizeof *d);
	size_t len = f->prog.len * sizeof *f->prog.filter;

	if (!d || !(d->prog.filter = malloc(len))) {
		free(d);
		return NULL;
	}
	memcpy(d->prog.filter, f->prog.filter, len);
	d->prog.len = f->prog.len;
	return d;
}

/* The default filter, compiled once per process (libseccomp takes ~10 ms). */
static struct bs_seccomp *default_filter;

static int build(const char *const *allow, const char *const *deny, struct bs_seccomp **out,
		 char *err, size_t errlen);

int bs_seccomp_build(const char *const *allow, const char *const *deny, struct bs_seccomp **out,
		     char *err, size_t errlen)
{
	int ret;

	if ((allow && *allow) || (deny && *deny))
		return build(allow, deny, out, err, errlen);
	if (!default_filter && (ret = build(NULL, NULL, &default_filter, err, errlen)) < 0)
		return ret;
	*out = dup_filter(default_filter);
	return *out ? 0 : bs_fail(err, errlen, ENOMEM, "seccomp");
}

static int build(const char *const *allow, const char *const *deny, struct bs_seccomp **out,
		 char *err, size_t errlen)
{
	struct sock_fprog allowp = { 0 }, argsp = { 0 };
	struct bs_seccomp *f;
	scmp_filter_ctx ctx;
	int ret = 0;

	*out = NULL;
	for (const char *const *p = allow; p && *p; p++)
		if (seccomp_syscall_resolve_name(*p) == __NR_SCMP_ERROR)
			return bs_failx(err, errlen, EINVAL, "seccomp: unknown syscall '%s' in the allow list", *p);
	for (const char *const *p = deny; p && *p; p++)
		if (seccomp_syscall_resolve_name(*p) == __NR_SCMP_ERROR)
			return bs_failx(err, errlen, EINVAL, "seccomp: unknown syscall '%s' in the deny list", *p);
	f = calloc(1, sizeof *f);
	if (!f)
		return bs_fail(err, errlen, ENOMEM, "seccomp");
	ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	if (!ctx) {
		free(f);
		return bs_fail(err, errlen, ENOMEM, "seccomp_init");
	}
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		if ((ret = seccomp_arch_add(ctx, SCMP_ARCH_X86)) < 0 && ret != -EEXIST)
			goto fail_rc;
		if ((ret = seccomp_arch_add(ctx, SCMP_ARCH_X32)) < 0 && ret != -EEXIST)
			goto fail_rc;
	}
	/* kill the whole process on a foreign ABI; where libseccomp cannot tell
	 * the kernel's API level (e.g. under valgrind), the thread */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 &&
	    (ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL)) < 0)
		goto fail_rc;
	if ((ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
		goto fail_rc;
	/* a binary search over syscall numbers instead of ~400 comparisons on
	 * every syscall of the build (older libseccomp: keep the linear form) */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (const char *const *p = allowed; *p && ret == 0; p++)
		if (!in_list(deny, *p))
			ret = add_rule(ctx, SCMP_ACT_ALLOW, *p, 0, err, errlen);
	for (const char *const *p = denied; *p && ret == 0; p++)
		if (!in_list(allow, *p))
			ret = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), *p, 0, err, errlen);
	/* clone3 (flags out of reach of a filter) is not on the allowlist, so it
	 * gets the default ENOSYS and the C library falls back to clone */
	for (const char *const *p = allow; p && *p && ret == 0; p++)
		if (!in_list(allowed, *p))
			ret = add_rule(ctx, SCMP_ACT_ALLOW, *p, 1, err, errlen);
	for (const char *const *p = deny; p && *p && ret == 0; p++)
		if (!in_list(denied, *p))
			ret = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), *p, 1, err, errlen);
	if (ret < 0)
		goto fail;
	if ((ret = export_bpf(ctx, &allowp)) < 0) {
		bs_fail(err, errlen, -ret, "seccomp: exporting the allowlist");
		goto fail;
	}
	if ((ret = build_args(&argsp)) < 0) {
		bs_fail(err, errlen, -ret, "seccomp: building the argument rules");
		goto fail;
	}
	if ((ret = merge(&allowp, &argsp, &f->prog)) < 0) {
		bs_fail(err, errlen, -ret, "seccomp: merging the allowlist (%u instructions) and the argument rules (%u)",
			allowp.len, argsp.len);
		goto fail;
	}
	free(allowp.filter);
	free(argsp.filter);
	seccomp_release(ctx);
	*out = f;
	return 0;
fail_rc:
	bs_fail(err, errlen, -ret, "seccomp: filter setup");
fail:
	free(allowp.filter);
	free(argsp.filter);
	seccomp_release(ctx);
	bs_seccomp_free(f);
	return ret;
}

const struct sock_fprog *bs_seccomp_prog(const struct bs_seccomp *f)
{
	return &f->prog;
}

int bs_seccomp_apply(const struct bs_seccomp *f)
{
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &f->prog, 0L, 0L) < 0)
		return -errno;
	return 0;
}

void bs_seccomp_free(struct bs_seccomp *f)
{
	if (!f)
		return;
	free(f->prog.filter);
	free(f);
}
