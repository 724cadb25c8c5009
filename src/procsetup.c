/* Setup steps shared by a context's init and its commands. */
#include "procsetup.h"
#include "bserr.h"
#include "caps.h"
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ERR err, errlen

void bs_close_except(const int *keep, size_t n)
{
	int sorted[8], m = 0;
	unsigned from = 0;

	for (size_t i = 0; i < n && m < 8; i++)
		if (keep[i] >= 0)
			sorted[m++] = keep[i];
	for (int i = 1; i < m; i++)
		for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
			int t = sorted[j];

			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	for (int i = 0; i < m; i++) {
		if ((unsigned)sorted[i] > from)
			close_range(from, (unsigned)sorted[i] - 1, 0);
		from = (unsigned)sorted[i] + 1;
	}
	close_range(from, ~0U, 0);
}

int bs_set_ids(uint32_t uid, uint32_t gid, int single, char *err, size_t errlen)
{
	if (!single && setgroups(0, NULL) < 0)
		return bs_fail(ERR, errno, "setgroups");
	if (setresgid(gid, gid, gid) < 0)
		return bs_fail(ERR, errno, "setresgid %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		return bs_fail(ERR, errno, "setresuid %u", (unsigned)uid);
	return 0;
}

int bs_die_with_parent(int parentfd, char *err, size_t errlen)
{
	struct pollfd p = { .fd = parentfd, .events = POLLIN };

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0L, 0L, 0L) < 0)
		return bs_fail(ERR, errno, "PR_SET_PDEATHSIG");
	if (poll(&p, 1, 0) != 0) /* readable: the parent has exited */
		return bs_failx(ERR, ESRCH, "bsrun exited during setup");
	return 0;
}

void bs_reset_signals(void)
{
	sigset_t none;

	/* the kernel's sigaction: glibc refuses to touch the signals it reserves
	 * for itself (32, 33), yet an ignored one is inherited across exec too */
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} dfl = { SIG_DFL, 0, NULL, 0 };

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int bs_not_dumpable(char *err, size_t errlen)
{
	if (prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L) < 0)
		return bs_fail(ERR, errno, "PR_SET_DUMPABLE");
	return 0;
}

int bs_drop_privileges(uint64_t bound, uint64_t caps, char *err, size_t errlen)
{
	int ret;

	if ((ret = bs_caps_drop_bound(bound, caps, ERR)) < 0)
		return ret;
	if ((ret = bs_caps_no_new_privs()) < 0)
		return bs_fail(ERR, -ret, "PR_SET_NO_NEW_PRIVS");
	return 0;
}

int bs_stdio_cwd(const int want[3], const char *cwd, int fds[3], char *err, size_t errlen)
{
	int rootfd, cwdfd;

	for (int i = 0; i < 3; i++) {
		fds[i] = want[i] < 0 ? open("/dev/null", (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC)
				     : fcntl(want[i], F_DUPFD_CLOEXEC, 10);
		if (fds[i] < 0)
			return bs_fail(ERR, errno, "stdio fd %d", want[i] < 0 ? i : want[i]);
	}
	/* exec-cd: resolve cwd inside the context's root */
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cwdfd = rootfd < 0 ? -errno : bs_open_in_root(rootfd, cwd, O_PATH | O_DIRECTORY);
	if (cwdfd < 0 || fchdir(cwdfd) < 0) {
		int e = cwdfd < 0 ? -cwdfd : errno;

		if (cwdfd >= 0)
			close(cwdfd);
		if (rootfd >= 0)
			close(rootfd);
		return bs_fail(ERR, e, "working directory %s", cwd);
	}
	close(cwdfd);
	close(rootfd);
	return 0;
}

int bs_own_session(const int fds[3], char *err, size_t errlen)
{
	if (setsid() < 0)
		return bs_fail(ERR, errno, "setsid");
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			return bs_fail(ERR, errno, "dup2 stdio");
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return bs_fail(ERR, errno, "close_range");
	return 0;
}

void bs_exec_report(int fd, char op, int e, pid_t pid, const char *text)
{
	struct bs_exec_msg m;

	memset(&m, 0, sizeof m);
	m.op = op;
	m.err = e;
	m.pid = pid;
	if (text)
		strncpy(m.text, text, sizeof m.text - 1);
	if (write(fd, &m, sizeof m) < 0) {
		/* nobody to tell */
	}
}
