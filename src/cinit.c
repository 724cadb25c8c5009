/* The init (PID 1) of a context. */
#include "cinit.h"
#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* One message (header, then len bytes of payload) with fds[0..nfds) attached. */
static int send_msg(int fd, char op, int err, const char *text, const void *payload, size_t len, const int *fds,
		    int nfds)
{
	struct bs_cinit_msg m;
	struct iovec iov[2] = { { &m, sizeof m }, { (void *)payload, len } };

	if (nfds < 0 || nfds > 3)
		return -EINVAL;
	memset(&m, 0, sizeof m);
	m.op = op;
	m.err = err;
	if (text) /* m is zeroed: the copy stays terminated */
		memcpy(m.text, text, strnlen(text, sizeof m.text - 1));
	return bs_send_fdsv(fd, iov, len ? 2 : 1, fds, nfds);
}

int bs_cinit_send(int fd, char op, int err, const char *text)
{
	return send_msg(fd, op, err, text, NULL, 0, NULL, 0);
}

int bs_cinit_send_exec(int fd, const void *payload, size_t len, const int *fds, int nfds, int keep_orphans)
{
	if (len > BS_CINIT_XMAX)
		return -E2BIG;
	return send_msg(fd, 'X', (int)len, keep_orphans ? "k" : NULL, payload, len, fds, nfds);
}

/* Receives one message into buf (size >= sizeof *m) and up to 3 attached
 * fds; returns the message's length or -errno. Extra fds are closed. */
static ssize_t recv_msg(int fd, void *buf, size_t size, int *fds, int *nfds)
{
	ssize_t n = bs_recv_fds(fd, buf, size, fds, 3, nfds, MSG_DONTWAIT);

	if (n == 0)
		return -EPIPE;
	if (n == -EMSGSIZE || (n > 0 && (size_t)n < sizeof(struct bs_cinit_msg))) {
		while (*nfds)
			close(fds[--*nfds]);
		return -EPROTO;
	}
	if (n > 0)
		((struct bs_cinit_msg *)buf)->text[sizeof ((struct bs_cinit_msg *)buf)->text - 1] = '\0';
	return n;
}

int bs_cinit_recv_fd(int fd, struct bs_cinit_msg *m, int timeout_ms, int *rfd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r, fds[3], nfds;
	ssize_t n;

	if (rfd)
		*rfd = -1;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	n = recv_msg(fd, m, sizeof *m, fds, &nfds);
	if (n < 0)
		return (int)n;
	for (int i = 0; i < nfds; i++) {
		if (i == 0 && rfd)
			*rfd = fds[0];
		else
			close(fds[i]);
	}
	if (n != (ssize_t)sizeof *m) {
		if (rfd && *rfd >= 0)
			close(*rfd);
		if (rfd)
			*rfd = -1;
		return -EPROTO;
	}
	return 0;
}

int bs_cinit_recv(int fd, struct bs_cinit_msg *m, int timeout_ms)
{
	return bs_cinit_recv_fd(fd, m, timeout_ms, NULL);
}

/* Reaps every child that has ended; when the first command is among them,
 * kills the rest unless told to keep them (the 'K' of bs_ctx_exec) and
 * tells bsrun its status ('x', text "busy" when some process stayed). */
static void reap_all(int ctl, pid_t *cmd, int *kill_rest)
{
	pid_t p;
	int st;

	while ((p = waitpid(-1, &st, __WALL | WNOHANG)) > 0)
		if (p == *cmd) {
			int k = *kill_rest ? bs_cinit_kill_others() : 0;

			bs_cinit_send(ctl, 'x', st, k < 0 ? "busy" : NULL);
			*cmd = 0;
			*kill_rest = 0;
		}
}

/* An 'X' message: the first command, started by spawn; answers 'P' with
 * its pidfd, or 'E'. */
static void first_command(int ctl, const char *buf, size_t len, const int *fds, int nfds, bs_cinit_spawn_fn spawn,
			  void *arg, pid_t *cmd, int *kill_rest)
{
	const struct bs_cinit_msg *m = (const struct bs_cinit_msg *)buf;
	char err[sizeof m->text] = "";
	pid_t pid = -EBUSY;
	int pidfd = -1;

	if (!spawn)
		snprintf(err, sizeof err, "the context's init starts only its first command");
	else if ((size_t)m->err != len - sizeof *m)
		pid = -EPROTO;
	else
		pid = spawn(arg, buf + sizeof *m, len - sizeof *m, fds, nfds, err, sizeof err);
	if (pid > 0) {
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0) {
			int e = errno;

			kill(pid, SIGKILL); /* reaped with the others */
			snprintf(err, sizeof err, "pidfd_open of the command: %s", strerror(e));
			pid = -e;
		}
	}
	if (pid > 0) {
		*cmd = pid;
		*kill_rest = m->text[0] != 'k';
		if (send_msg(ctl, 'P', 0, NULL, NULL, 0, &pidfd, 1) < 0)
			kill(pid, SIGKILL);
		close(pidfd);
	} else {
		bs_cinit_send(ctl, 'E', (int)-pid, err[0] ? err : strerror((int)-pid));
	}
}

int bs_cinit_kill_others(void)
{
	int reaped = 0, idle = 0;

	for (;;) {
		int r = kill(-1, SIGKILL), e = errno;
		pid_t p;

		while ((p = waitpid(-1, NULL, __WALL | WNOHANG)) > 0)
			reaped++;
		if (r < 0 && e == ESRCH)
			return reaped;
		if (p == 0) {
			/* children still dying: wait for one */
			if (waitpid(-1, NULL, __WALL) > 0)
				reaped++;
			continue;
		}
		/* no child of ours left, yet kill found someone: a process whose
		 * parent is outside (an exec'd command not yet reaped by bsrun) */
		if (++idle > 2000)
			return -EBUSY;
		struct timespec ts = { 0, 1000000L };
		nanosleep(&ts, NULL);
	}
}

static const struct { int type; const char *name; } ns_files[] = {
	{ CLONE_NEWUSER, "user" }, { CLONE_NEWNS, "mnt" }, { CLONE_NEWPID, "pid" }, { CLONE_NEWUTS, "uts" },
	{ CLONE_NEWIPC, "ipc" },   { CLONE_NEWNET, "net" }, { CLONE_NEWCGROUP, "cgroup" },
};
#define NNS (sizeof ns_files / sizeof *ns_files)
_Static_assert(NNS <= BS_FDPASS_MAX, "one message carries every namespace");

/* One connection on the namespace socket: our namespace fds, then close. */
static void hand_out_ns(int lfd, int nstypes)
{
	int fds[NNS], n = 0, conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	char byte = 'N';
	struct iovec iov = { &byte, 1 };

	if (conn < 0)
		return;
	for (size_t i = 0; i < NNS; i++) {
		char path[64];

		if (!(nstypes & ns_files[i].type))
			continue;
		snprintf(path, sizeof path, "/proc/self/ns/%s", ns_files[i].name);
		fds[n] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[n] < 0)
			goto out;
		n++;
	}
	bs_send_fdsv(conn, &iov, 1, fds, n); /* non-blocking: a reader that does not read gets nothing */
out:
	while (n--)
		close(fds[n]);
	close(conn);
}

int bs_cinit_get_ns(const char *path, int *fds, int max)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd p;
	char byte = 0;
	int fd, n = 0;
	ssize_t r;

	if (max > BS_FDPASS_MAX)
		max = BS_FDPASS_MAX;
	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 5000) != 1) {
		close(fd);
		return -ETIMEDOUT;
	}
	r = bs_recv_fds(fd, &byte, 1, fds, max, &n, 0);
	close(fd);
	if (r == -EMSGSIZE)
		return -EPROTO;
	if (r < 0)
		return (int)r;
	if (r != 1 || byte != 'N' || n == 0) {
		while (n--)
			close(fds[n]);
		return -EPROTO;
	}
	return n;
}

_Noreturn void bs_cinit_run(int ctl, unsigned timeout_s, int lfd, int nstypes, bs_cinit_spawn_fn spawn,
			    void *spawn_arg)
{
	static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	static union {
		struct bs_cinit_msg m;
		char bytes[sizeof(struct bs_cinit_msg) + BS_CINIT_XMAX];
	} in;
	pid_t cmd = 0;
	int kill_rest = 0;
	struct pollfd p[4];
	sigset_t set;
	int sfd, tfd = -1, np = 4;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		_exit(1);
	if (timeout_s) {
		struct itimerspec its = { .it_value = { (time_t)timeout_s, 0 } };

		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0)
			_exit(1);
	}
	p[0] = (struct pollfd){ .fd = ctl, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	p[2] = (struct pollfd){ .fd = tfd, .events = POLLIN }; /* poll skips negative fds */
	p[3] = (struct pollfd){ .fd = lfd, .events = POLLIN };
	for (;;) {
		if (poll(p, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
				if (si.ssi_signo != SIGCHLD)
					kill(-1, (int)si.ssi_signo);
			reap_all(ctl, &cmd, &kill_rest);
		}
		if (p[3].revents & POLLIN)
			hand_out_ns(lfd, nstypes);
		if (p[2].revents & POLLIN) {
			bs_cinit_kill_others();
			_exit(BS_CINIT_EXIT_TIMEOUT);
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			int fds[3], nfds;
			ssize_t n = recv_msg(ctl, &in, sizeof in, fds, &nfds);

			if (n == -EPROTO || n == -EAGAIN)
				continue;
			if (n < 0)
				break; /* bsrun is gone or closed the context */
			if (in.m.op == 'X') {
				first_command(ctl, in.bytes, (size_t)n, fds, nfds, spawn, spawn_arg, &cmd, &kill_rest);
				spawn = NULL;
			} else if (in.m.op == 'K') {
				int k = bs_cinit_kill_others();

				bs_cinit_send(ctl, 'k', k, NULL);
			}
			while (nfds)
				close(fds[--nfds]);
		}
	}
	bs_cinit_kill_others();
	_exit(0);
}
