/* Starting a context's init from the bsrun-init program embedded in bsrun. */
#include "initexec.h"
#include "bserr.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* bsrun-init's image (initblob.S). */
extern const unsigned char bs_init_blob[], bs_init_blob_end[];

/* The child shares our memory until its exec (CLONE_VM): no copy of bsrun's
 * page tables, no copy-on-write faults on either side. Not under
 * AddressSanitizer, whose instrumentation does not expect a second stack:
 * the child is then a copy-on-write fork. */
#if defined(__SANITIZE_ADDRESS__)
#define SHARED_VM 0
#else
#define SHARED_VM 1
#endif
#define START_STACK (64 * 1024)

struct bs_initproc {
	char *stack;
	int ctl, memfd, nkeep;
	int keep[4];
	char ctlarg[16];
	char *argv[3];
	char *envp[1];
};

/* System calls of the child while it shares our memory: glibc's wrappers
 * would write errno into our thread's TLS (and its set*id ones would signal
 * our threads). */
#if defined(__x86_64__)
static inline long raw_syscall(long n, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}
#else
static long raw_syscall(long n, long a1, long a2, long a3, long a4, long a5)
{
	return syscall(n, a1, a2, a3, a4, a5);
}
#endif

static int init_fd = -1; /* the sealed memfd, once per process */

/* The memfd holding bsrun-init: sealed (no write, resize or new seal: a
 * process holding the fd cannot change what later contexts execute) and
 * mode 0111: executable, readable by nobody. A context's root does not map
 * the memfd's owner, so its exec marks the init not dumpable and its memory
 * owned by the host's user namespace (the kernel's would_dump), as a copy
 * of bsrun's was: nothing in the context can ptrace it even with
 * CAP_SYS_PTRACE there. */
static int init_memfd(char *err, size_t errlen)
{
	size_t len = (size_t)(bs_init_blob_end - bs_init_blob), off = 0;
	int fd;

	if (init_fd >= 0)
		return init_fd;
	fd = memfd_create("bsrun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL) /* before Linux 6.3 */
		fd = memfd_create("bsrun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return bs_fail(err, errlen, errno, "memfd for the context's init");
	while (off < len) {
		ssize_t n = write(fd, bs_init_blob + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			return bs_fail(err, errlen, e, "writing the context's init");
		}
		off += (size_t)n;
	}
	if (fchmod(fd, 0111) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int e = errno;

		close(fd);
		return bs_fail(err, errlen, e, "sealing the context's init");
	}
	init_fd = fd;
	return fd;
}

/* The child: wait for 'G' (maps written), become root inside so that the
 * exec keeps a full capability set in the new user namespace, keep the
 * chosen fds across the exec, exec bsrun-init. System calls only. */
__attribute__((no_sanitize_address)) static int start_main(void *p)
{
	const struct bs_initproc *s = p;
	char go = 0;
	long r;

	do
		r = raw_syscall(SYS_read, s->ctl, (long)&go, 1, 0, 0);
	while (r == -EINTR);
	if (r != 1 || go != 'G')
		raw_syscall(SYS_exit_group, BS_INIT_EXIT_NOGO, 0, 0, 0, 0);
	if (raw_syscall(SYS_setresgid, 0, 0, 0, 0, 0) < 0 || raw_syscall(SYS_setresuid, 0, 0, 0, 0, 0) < 0)
		raw_syscall(SYS_exit_group, BS_INIT_EXIT_IDS, 0, 0, 0, 0);
	raw_syscall(SYS_fcntl, s->ctl, F_SETFD, 0, 0, 0);
	for (int i = 0; i < s->nkeep; i++)
		raw_syscall(SYS_fcntl, s->keep[i], F_SETFD, 0, 0, 0);
	raw_syscall(SYS_execveat, s->memfd, (long)"", (long)s->argv, (long)s->envp, AT_EMPTY_PATH);
	raw_syscall(SYS_exit_group, BS_INIT_EXIT_EXEC, 0, 0, 0, 0);
	return 0;
}

pid_t bs_init_clone(uint64_t nsflags, int ctl, const int *keep, int nkeep, int *pidfd, struct bs_initproc **st,
		    char *err, size_t errlen)
{
	struct bs_initproc *s;
	sigset_t all, old;
	pid_t pid;
	int memfd, e;

	*st = NULL;
	*pidfd = -1;
	if (nkeep < 0 || nkeep > 4)
		return bs_failx(err, errlen, EINVAL, "too many fds for the context's init");
	if ((memfd = init_memfd(err, errlen)) < 0)
		return memfd;
	if (!(s = calloc(1, sizeof *s)))
		return bs_fail(err, errlen, ENOMEM, "the context's init");
	s->ctl = ctl;
	s->memfd = memfd;
	for (int i = 0; i < nkeep; i++)
		if (keep[i] >= 0)
			s->keep[s->nkeep++] = keep[i];
	snprintf(s->ctlarg, sizeof s->ctlarg, "%d", ctl);
	s->argv[0] = "bsrun-init";
	s->argv[1] = s->ctlarg;
	if (SHARED_VM) {
		s->stack = mmap(NULL, START_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1,
				0);
		if (s->stack == MAP_FAILED) {
			free(s);
			return bs_fail(err, errlen, errno, "the context's init stack");
		}
	}
	/* no signal handler of ours may run in the child (our memory) */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if (SHARED_VM) {
		pid = clone(start_main, s->stack + START_STACK, (int)(nsflags | CLONE_VM | CLONE_PIDFD) | SIGCHLD, s,
			    pidfd);
	} else {
		struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; } a = {
			.flags = nsflags | CLONE_PIDFD, .pidfd = (uint64_t)(uintptr_t)pidfd, .exit_signal = SIGCHLD
		};

		pid = (pid_t)syscall(SYS_clone3, &a, sizeof a);
		if (pid == 0)
			_exit(start_main(s));
	}
	e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		bs_initproc_free(s);
		*pidfd = -1;
		return bs_fail(err, errlen, e, "clone into new namespaces");
	}
	*st = s;
	return pid;
}

void bs_initproc_free(struct bs_initproc *st)
{
	if (!st)
		return;
	if (st->stack)
		munmap(st->stack, START_STACK);
	free(st);
}
