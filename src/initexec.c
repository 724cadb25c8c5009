/* Starting a context's init through the bsrun-init zygote. */
#include "initexec.h"
#include "bserr.h"
#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* bsrun-init's image (initblob.S). */
extern const unsigned char bs_init_blob[], bs_init_blob_end[];

/* The zygote of this process (owner: the pid that started it; a fork of
 * bsrun starts its own). */
static struct {
	pid_t pid, owner;
	uid_t euid; /* the zygote's credentials are those of its start */
	int sock;
} zy = { 0, 0, 0, -1 };

/* The memfd holding bsrun-init: sealed (no write, resize or new seal: a
 * process holding the fd cannot change what bsrun executes later), mode
 * 0555 (a bsrun that changed its uid since can still execute it). Made once
 * per process. */
static int init_memfd(char *err, size_t errlen)
{
	static int fd = -1;
	size_t len = (size_t)(bs_init_blob_end - bs_init_blob), off = 0;
	int nfd;

	if (fd >= 0)
		return fd;
	nfd = memfd_create("bsrun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (nfd < 0 && errno == EINVAL) /* before Linux 6.3 */
		nfd = memfd_create("bsrun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (nfd < 0)
		return bs_fail(err, errlen, errno, "memfd for the context's init");
	while (off < len) {
		ssize_t n = write(nfd, bs_init_blob + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(nfd);
			return bs_fail(err, errlen, e, "writing the context's init");
		}
		off += (size_t)n;
	}
	if (fchmod(nfd, 0555) < 0 ||
	    fcntl(nfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int e = errno;

		close(nfd);
		return bs_fail(err, errlen, e, "sealing the context's init");
	}
	fd = nfd;
	return fd;
}

/* Executes the zygote: bsrun-init --zygote SOCK PARENT, every signal
 * blocked (set by the caller). Of our fds it keeps only stdio and SOCK:
 * the close-on-exec ones go at the exec, the zygote closes the rest. */
static int zygote_exec(int memfd, int sock, pid_t parent)
{
	char sarg[16], parg[24];
	char *argv[] = { "bsrun-init", "--zygote", sarg, parg, NULL }, *envp[] = { NULL };

	snprintf(sarg, sizeof sarg, "%d", sock);
	snprintf(parg, sizeof parg, "%d", (int)parent);
	if (fcntl(sock, F_SETFD, 0) < 0)
		return -errno;
	syscall(SYS_execveat, memfd, "", argv, envp, AT_EMPTY_PATH);
	return -errno;
}

/* SIGKILL to a child of ours, then reaps it. */
static void kill_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Forgets the zygote: closes our socket to it, and kills and reaps it when
 * it is ours (not our parent's, inherited across a fork). */
static void zygote_stop(void)
{
	if (zy.sock >= 0)
		close(zy.sock);
	if (zy.pid > 0 && zy.owner == getpid())
		kill_reap(zy.pid);
	zy.sock = -1;
	zy.pid = 0;
	zy.owner = 0;
}

static int zygote_start(char *err, size_t errlen)
{
	static pid_t registered;
	int memfd = init_memfd(err, errlen), sv[2], e;
	sigset_t all, old;
	pid_t pid, self = getpid();

	if (memfd < 0)
		return memfd;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return bs_fail(err, errlen, errno, "socketpair for the context zygote");
	/* the kernel attaches each request's sender (pid, uid) for the zygote
	 * to check: only this process may ask, not a child of ours that
	 * inherited the socket (a function run inside a context, say) */
	if (setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)) < 0) {
		e = errno;
		close(sv[0]);
		close(sv[1]);
		return bs_fail(err, errlen, e, "socket options for the context zygote");
	}
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		_exit(zygote_exec(memfd, sv[1], self) < 0 ? 127 : 126);
	e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return bs_fail(err, errlen, e, "starting the context zygote");
	}
	/* at exit the zygote goes with us, reaped (not left as a zombie for
	 * PID 1) */
	if (registered != self && atexit(zygote_stop) == 0)
		registered = self;
	zy.pid = pid;
	zy.owner = self;
	zy.euid = geteuid();
	zy.sock = sv[0];
	return 0;
}

int bs_init_request(uint64_t nsflags, int ctl, char *err, size_t errlen)
{
	struct bs_zygote_req r = { .nsflags = nsflags };
	struct iovec iov = { &r, sizeof r };
	int ret;

	/* our parent's (inherited across a fork), or started with other
	 * credentials: not for us */
	if (zy.owner != getpid() || zy.euid != geteuid())
		zygote_stop();
	for (int attempt = 0;; attempt++) {
		if (zy.sock < 0 && (ret = zygote_start(err, errlen)) < 0)
			return ret;
		ret = bs_send_fdsv(zy.sock, &iov, 1, &ctl, 1);
		if ((ret != -EPIPE && ret != -ECONNRESET) || attempt > 0)
			break;
		zygote_stop(); /* it died (killed?): once more with a new one */
	}
	if (ret < 0) {
		zygote_stop();
		return bs_fail(err, errlen, -ret, "asking for a context's init");
	}
	return 0;
}

int bs_init_zygote_sock(void)
{
	return zy.owner == getpid() ? zy.sock : -1;
}

pid_t bs_init_answer(int *pidfd, char *err, size_t errlen)
{
	struct bs_zygote_ans a;
	ssize_t n;
	int e;

	*pidfd = -1;
	do
		n = recv(zy.sock, &a, sizeof a, 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof a) {
		e = n < 0 ? errno : n == 0 ? EPIPE : EPROTO;
		zygote_stop();
		return bs_fail(err, errlen, e, "the context zygote");
	}
	if (a.pid < 0)
		return bs_fail(err, errlen, -a.pid, "clone into new namespaces");
	/* our child (the zygote clones with CLONE_PARENT): its pid cannot be
	 * reused before we reap it */
	*pidfd = (int)syscall(SYS_pidfd_open, a.pid, 0);
	if (*pidfd < 0) {
		e = errno;
		kill_reap(a.pid);
		return bs_fail(err, errlen, e, "pidfd_open of the context's init");
	}
	return a.pid;
}
