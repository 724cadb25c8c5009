/* bsrun-init: the zygote bsrun starts once per process, and each
 * context's PID 1, a fork of the zygote. A small static program bsrun
 * embeds and executes from a sealed memfd (initexec.c): a context's init
 * has its own small address space instead of a copy-on-write copy of
 * bsrun's, cheap to create, to run and to tear down, and nothing of bsrun's
 * memory in reach of the build.
 *
 * Usage (bsrun's only): bsrun-init --zygote SOCK PARENT. For each request
 * on SOCK (initexec.h) it clones an init into new namespaces as PARENT's
 * child. The init waits for 'G', reads its config (initcfg.h) from its
 * control socket, sets the context up (ids, cgroup, UTS, lo, root, limits,
 * privileges, seccomp), answers 'R' (or 'E' and exits 1), then runs the
 * init loop (bs_cinit_run), which may start the first command (an 'X'
 * message) with spawn() below. */
#include "bserr.h"
#include "caps.h"
#include "cinit.h"
#include "initcfg.h"
#include "initexec.h"
#include "fdpass.h"
#include "ns.h"
#include "procsetup.h"
#include "reslimits.h"
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ERR err, errlen
#define CMD_STACK (256 * 1024)

static struct bs_initcfg cfg;

static int setup(char *err, size_t errlen)
{
	struct bs_rootfs rf = { .root = cfg.root, .binds = cfg.binds, .nbinds = cfg.nbinds, .flags = cfg.rootfs_flags };
	const char *host = cfg.hostname ? cfg.hostname : "bsrun";
	const char *domain = cfg.domainname ? cfg.domainname : "(none)";
	int ret;

	if ((ret = bs_set_ids(0, 0, (int)cfg.single_id_map, ERR)) < 0)
		return ret;
	if ((ret = bs_not_dumpable(ERR)) < 0 || (ret = bs_die_with_parent(cfg.parentfd, ERR)) < 0)
		return ret;
	if (cfg.ncgdirs && (ret = bs_cgroup_join_dirs(cfg.cgdirs, (int)cfg.ncgdirs, ERR)) < 0)
		return ret;
	/* the cgroup namespace starts here, now that we are in our cgroup */
	if (!cfg.cgroupns_done && unshare(CLONE_NEWCGROUP) < 0)
		return bs_fail(ERR, errno, "unshare(CLONE_NEWCGROUP)");
	if (sethostname(host, strlen(host)) < 0)
		return bs_fail(ERR, errno, "sethostname %s", host);
	if (setdomainname(domain, strlen(domain)) < 0)
		return bs_fail(ERR, errno, "setdomainname %s", domain);
	if (!cfg.network_host && (ret = bs_ns_loopback_up()) < 0)
		return bs_fail(ERR, -ret, "bringing up lo");
	if ((ret = bs_rootfs_setup(&rf, ERR)) < 0)
		return ret;
	if (setsid() < 0)
		return bs_fail(ERR, errno, "setsid");
	if ((ret = bs_rlimits_apply(cfg.nofile, cfg.fsize)) < 0)
		return bs_fail(ERR, -ret, "setrlimit");
	/* init keeps CAP_KILL: it must be able to kill whatever the build
	 * becomes. The bounding set is the commands': the first command,
	 * forked by init, inherits it */
	if ((ret = bs_drop_privileges(cfg.caps, cfg.caps | BS_CAP(CAP_KILL), ERR)) < 0)
		return ret;
	for (uint32_t i = 0; i < cfg.nprogs; i++)
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &cfg.progs[i], 0L, 0L) < 0)
			return bs_fail(ERR, errno, "loading the seccomp filter");
	/* init stays not dumpable for good: no process of the context can
	 * ptrace it, read its memory or take its fds */
	return bs_not_dumpable(ERR);
}

struct first_args {
	char **argv, **env;
	const char *cwd;
	uint32_t uid, gid;
	int fds[3]; /* in init's fd table; -1: /dev/null */
	int errfd;
};

/* The first command, a child of init: init's namespaces, cgroup, rlimits,
 * bounding set, securebits, NO_NEW_PRIVS and seccomp filters are already
 * the command's; what is left: signal mask, umask, stdio, cwd, ids, the
 * capabilities init keeps for itself (CAP_KILL), session, fds. Runs on its
 * own stack in init's memory until exec (no allocation). */
static int first_main(void *p)
{
	struct first_args *a = p;
	char err[240] = "";
	int ret, fds[3];
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* init blocks the signals it reads from its signalfd */
	if ((ret = bs_not_dumpable(err, sizeof err)) < 0)
		goto fail;
	umask(022);
	if ((ret = bs_stdio_cwd(a->fds, a->cwd, fds, err, sizeof err)) < 0)
		goto fail;
	if (setresgid(a->gid, a->gid, a->gid) < 0) {
		ret = bs_fail(err, sizeof err, errno, "setresgid %u", (unsigned)a->gid);
		goto fail;
	}
	if ((ret = bs_caps_limit(cfg.caps)) < 0) {
		bs_fail(err, sizeof err, -ret, "set the process capabilities");
		goto fail;
	}
	if (a->uid != 0 && setresuid(a->uid, a->uid, a->uid) < 0) {
		ret = bs_fail(err, sizeof err, errno, "setresuid %u", (unsigned)a->uid);
		goto fail;
	}
	if ((ret = bs_not_dumpable(err, sizeof err)) < 0)
		goto fail;
	if ((ret = bs_own_session(fds, err, sizeof err)) < 0)
		goto fail;
	execvpe(a->argv[0], a->argv, a->env);
	ret = bs_fail(err, sizeof err, errno, "exec %s", a->argv[0]);
fail:
	bs_exec_report(a->errfd, 'E', -ret, 0, err);
	_exit(127);
}

/* Next NUL-terminated string of the payload at *p (before end), or NULL. */
static char *next_str(const char **p, const char *end)
{
	const char *s = *p, *z = s < end ? memchr(s, 0, (size_t)(end - s)) : NULL;

	if (!z)
		return NULL;
	*p = z + 1;
	return (char *)s;
}

/* bs_cinit_spawn_fn: starts the command of an 'X' message and waits for
 * its exec (CLONE_VFORK) or its failure. */
static pid_t spawn(void *arg, const char *payload, size_t len, const int *fds, int nfds, char *err, size_t errlen)
{
	struct first_args a = { .fds = { -1, -1, -1 }, .errfd = -1 };
	const char *p = payload + sizeof(struct bs_first_hdr), *end = payload + len;
	struct bs_first_hdr h;
	struct bs_exec_msg m;
	char **v = NULL, *stack = NULL;
	int ep[2] = { -1, -1 }, used = 0;
	pid_t pid = -EPROTO;
	ssize_t n;

	(void)arg;
	if (len < sizeof h)
		return bs_failx(ERR, EPROTO, "bad command message");
	memcpy(&h, payload, sizeof h);
	if (h.nargv == 0 || h.nargv > len || (h.nenv != UINT32_MAX && h.nenv > len))
		return bs_failx(ERR, EPROTO, "bad command message");
	v = calloc(h.nargv + 1 + (h.nenv == UINT32_MAX ? 0 : h.nenv + 1), sizeof *v);
	if (!v)
		return bs_fail(ERR, ENOMEM, "command");
	a.argv = v;
	a.env = h.nenv == UINT32_MAX ? (char **)cfg.env : v + h.nargv + 1;
	a.uid = h.uid;
	a.gid = h.gid;
	if (!(a.cwd = next_str(&p, end)))
		goto bad;
	for (uint32_t i = 0; i < h.nargv; i++)
		if (!(a.argv[i] = next_str(&p, end)))
			goto bad;
	for (uint32_t i = 0; h.nenv != UINT32_MAX && i < h.nenv; i++)
		if (!(a.env[i] = next_str(&p, end)))
			goto bad;
	for (int i = 0; i < 3; i++)
		if (h.fdmask & (1u << i)) {
			if (used >= nfds)
				goto bad;
			a.fds[i] = fds[used++];
		}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		pid = bs_fail(ERR, errno, "pipe");
		goto out;
	}
	a.errfd = ep[1];
	/* init waits (CLONE_VFORK) while the command runs on its own stack in
	 * init's memory: no copy of init's page tables */
	stack = mmap(NULL, CMD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		stack = NULL;
		pid = bs_fail(ERR, errno, "command stack");
		goto out;
	}
	pid = clone(first_main, stack + CMD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	if (pid < 0) {
		pid = bs_fail(ERR, errno, "starting the command");
		goto out;
	}
	close(ep[1]);
	ep[1] = -1;
	/* end of file: the command's exec closed the pipe */
	do
		n = read(ep[0], &m, sizeof m);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof m && m.op == 'E') {
		waitpid(pid, NULL, __WALL);
		m.text[sizeof m.text - 1] = '\0';
		pid = bs_failx(ERR, m.err > 0 ? m.err : EIO, "%s", m.text);
	}
	goto out;
bad:
	pid = bs_failx(ERR, EPROTO, "bad command message");
out:
	for (int i = 0; i < 2; i++)
		if (ep[i] >= 0)
			close(ep[i]);
	if (stack)
		munmap(stack, CMD_STACK);
	free(v);
	return pid;
}

/* The fd at index i of those the config came with, or -1. */
static int take_fd(const int *fds, int nfds, int i)
{
	return i >= 0 && i < nfds ? fds[i] : -1;
}

/* The init proper, in its new namespaces: waits for 'G' (its uid/gid maps
 * are written, it is in its cgroup), reads its config, sets the context up,
 * answers 'R' (or 'E'), runs the init loop. */
static _Noreturn void init_main(int ctl)
{
	char err[240] = "", go = 0, *buf;
	sigset_t none;
	ssize_t n;
	int ret, fds[3], nfds = 0;

	prctl(PR_SET_NAME, "bsrun-init", 0L, 0L, 0L);
	sigemptyset(&none); /* the zygote blocks every signal; dispositions are its defaults */
	sigprocmask(SIG_SETMASK, &none, NULL);
	do
		n = read(ctl, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || go != 'G')
		_exit(BS_INIT_EXIT_NOGO);
	/* its size first: only the pages it needs get touched */
	do
		n = recv(ctl, &go, 1, MSG_PEEK | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || n > BS_INITCFG_MAX || !(buf = malloc((size_t)n)))
		_exit(1);
	n = bs_recv_fds(ctl, buf, (size_t)n, fds, 3, &nfds, 0);
	if (n <= 0 || bs_initcfg_unpack(buf, (size_t)n, &cfg) < 0 ||
	    (cfg.parentfd = take_fd(fds, nfds, cfg.parentfd)) < 0) {
		bs_cinit_send(ctl, 'E', EPROTO, "the context's init got a bad config");
		_exit(1);
	}
	cfg.lockfd = take_fd(fds, nfds, cfg.lockfd);
	cfg.lfd = take_fd(fds, nfds, cfg.lfd);
	/* stderr stays for diagnostics; stdin and stdout (the zygote's
	 * /dev/null) and every other fd go */
	int keep[] = { 2, ctl, cfg.parentfd, cfg.lockfd, cfg.lfd };
	bs_close_except(keep, sizeof keep / sizeof *keep);
	ret = setup(err, sizeof err);
	if (ret < 0) {
		bs_cinit_send(ctl, 'E', -ret, err);
		_exit(1);
	}
	close(cfg.parentfd);
	if (bs_cinit_send(ctl, 'R', 0, NULL) < 0)
		_exit(1);
	bs_cinit_run(ctl, cfg.timeout_s, cfg.lfd, cfg.nstypes, spawn, NULL);
}

/* One request: clone an init into the namespaces asked for, as a child of
 * bsrun (CLONE_PARENT), holding the control socket the request came with;
 * answer its pid or -errno. */
static void zygote_one(int sock, pid_t parent)
{
	struct bs_zygote_req r;
	struct bs_zygote_ans a = { -EPROTO };
	int ctl = -1, nfds = 0;
	struct ucred cred;
	ssize_t n = bs_recv_fds_cred(sock, &r, sizeof r, &ctl, 1, &nfds, 0, &cred);

	if (n == 0 || (n < 0 && n != -EMSGSIZE))
		_exit(0); /* bsrun is gone */
	/* only bsrun itself: a child of it that inherited the socket (a
	 * function run in a context) must not get inits made on the host */
	if (cred.pid != parent || cred.uid != getuid())
		a.pid = -EPERM;
	else if (n == (ssize_t)sizeof r && nfds == 1 &&
	    !(r.nsflags & ~(uint64_t)(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
				     CLONE_NEWNET | CLONE_NEWCGROUP))) {
		struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; } ca = {
			.flags = r.nsflags | CLONE_PARENT
		};
		pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);

		if (pid == 0) {
			close(sock);
			init_main(ctl);
		}
		a.pid = pid < 0 ? -errno : pid;
	}
	if (nfds)
		close(ctl);
	if (send(sock, &a, sizeof a, MSG_NOSIGNAL) < 0)
		_exit(0);
}

/* The zygote: a small process bsrun starts once; each context's init is a
 * fork of it, so creating one copies a few dozen pages, not bsrun's. Dies
 * with bsrun. Every signal stays blocked (bsrun set that for the exec). */
static _Noreturn void zygote(int sock, pid_t parent)
{
	int keep[] = { 0, 1, 2, sock }, nullfd;
	sigset_t all;

	prctl(PR_SET_NAME, "bsrun-zygote", 0L, 0L, 0L);
	/* default dispositions for the inits it forks (an exec keeps only
	 * ignored ones), the mask stays full until each init clears it */
	bs_reset_signals();
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0L, 0L, 0L) < 0 || getppid() != parent)
		_exit(1);
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd < 0 || dup2(nullfd, 0) < 0 || dup2(nullfd, 1) < 0)
		_exit(1);
	bs_close_except(keep, sizeof keep / sizeof *keep);
	for (;;)
		zygote_one(sock, parent);
}

int main(int argc, char **argv)
{
	char *end1 = NULL, *end2 = NULL;
	long sock, parent;

	if (argc != 4 || strcmp(argv[1], "--zygote") != 0)
		return 2;
	sock = strtol(argv[2], &end1, 10);
	parent = strtol(argv[3], &end2, 10);
	if (sock < 3 || sock > 65535 || *end1 || parent < 1 || *end2)
		return 2;
	zygote((int)sock, (pid_t)parent);
}
