/* The init (PID 1) of a context. */
#include "cinit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int bs_cinit_send(int fd, char op, int err, const char *text)
{
	struct bs_cinit_msg m;

	memset(&m, 0, sizeof m);
	m.op = op;
	m.err = err;
	if (text) {
		strncpy(m.text, text, sizeof m.text - 1);
	}
	if (send(fd, &m, sizeof m, MSG_NOSIGNAL) != (ssize_t)sizeof m)
		return errno ? -errno : -EIO;
	return 0;
}

int bs_cinit_recv(int fd, struct bs_cinit_msg *m, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	do
		n = recv(fd, m, sizeof *m, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	if (n != (ssize_t)sizeof *m)
		return -EPROTO;
	m->text[sizeof m->text - 1] = '\0';
	return 0;
}

static void reap_all(void)
{
	while (waitpid(-1, NULL, __WALL | WNOHANG) > 0)
		;
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

/* One connection on the namespace socket: our namespace fds, then close. */
static void hand_out_ns(int lfd, int nstypes)
{
	int fds[NNS], n = 0, conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	char buf[CMSG_SPACE(sizeof fds)], byte = 'N';
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf };
	struct cmsghdr *cm;

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
	memset(buf, 0, sizeof buf);
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	sendmsg(conn, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
out:
	while (n--)
		close(fds[n]);
	close(conn);
}

int bs_cinit_get_ns(const char *path, int *fds, int max)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[CMSG_SPACE(sizeof(int) * NNS)], byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf };
	struct cmsghdr *cm;
	struct pollfd p;
	int fd, n = 0;
	ssize_t r;

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
	r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	close(fd);
	if (r < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof f);
			if (n < max)
				fds[n++] = f;
			else
				close(f);
		}
	}
	if (r != 1 || byte != 'N' || n == 0 || (mh.msg_flags & MSG_CTRUNC)) {
		while (n--)
			close(fds[n]);
		return -EPROTO;
	}
	return n;
}

_Noreturn void bs_cinit_run(int ctl, unsigned timeout_s, int lfd, int nstypes)
{
	static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
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
			reap_all();
		}
		if (p[3].revents & POLLIN)
			hand_out_ns(lfd, nstypes);
		if (p[2].revents & POLLIN) {
			bs_cinit_kill_others();
			_exit(BS_CINIT_EXIT_TIMEOUT);
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			struct bs_cinit_msg m;
			int r = bs_cinit_recv(ctl, &m, 0);

			if (r == -ETIMEDOUT)
				continue;
			if (r < 0)
				break; /* bsrun is gone or closed the context */
			if (m.op == 'K') {
				int n = bs_cinit_kill_others();

				bs_cinit_send(ctl, 'k', n, NULL);
			}
		}
	}
	bs_cinit_kill_others();
	_exit(0);
}
