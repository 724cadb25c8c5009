/* The init (PID 1) of a context. */
#include "cinit.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
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

_Noreturn void bs_cinit_run(int ctl, unsigned timeout_s)
{
	static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	struct pollfd p[3];
	sigset_t set;
	int sfd, tfd = -1, np = 2;

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
		np = 3;
	}
	p[0] = (struct pollfd){ .fd = ctl, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	p[2] = (struct pollfd){ .fd = tfd, .events = POLLIN };
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
		if (np == 3 && (p[2].revents & POLLIN)) {
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
