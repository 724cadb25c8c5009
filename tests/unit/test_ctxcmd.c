/* `bsrun ctx list|exec|kill` against real contexts this test process
 * creates: the registry, entering from another process, the owner check,
 * killing, stale entries. Needs root and user namespaces (else SKIP). */
#include "ctx.h"
#include "ctxreg.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BSRUN BSRUN_SRCDIR "/src/bsrun"
#define NOBODY "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"

static char tmpdir[64];
static char rootdir[128];
static struct bs_bind binds[1];
static int ok;
static char why[600];

#define NEED()                                                                         \
	do {                                                                           \
		if (!ok) {                                                             \
			fprintf(stderr, "*** SKIP %s: %s ***\n", __func__, why);      \
			return;                                                        \
		}                                                                      \
	} while (0)

static void mk(const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/%s", rootdir, name);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		ck_abort_msg("mkdir %s: %s", p, strerror(errno));
}

static void lnk(const char *target, const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/%s", rootdir, name);
	if (symlink(target, p) < 0)
		ck_abort_msg("symlink %s: %s", p, strerror(errno));
}

static void opts(struct bs_ctx_opts *o, const char *host)
{
	bs_ctx_opts_init(o);
	o->root = rootdir;
	o->binds = binds;
	o->nbinds = 1;
	o->hostname = host;
}

static void fixture_up(void)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c = NULL;
	char err[512];

	snprintf(tmpdir, sizeof tmpdir, "/tmp/bsrun-ctxcmd-XXXXXX");
	if (!mkdtemp(tmpdir))
		ck_abort_msg("mkdtemp: %s", strerror(errno));
	chmod(tmpdir, 0755);
	snprintf(rootdir, sizeof rootdir, "%s/root", tmpdir);
	if (mkdir(rootdir, 0755) < 0)
		ck_abort_msg("mkdir %s: %s", rootdir, strerror(errno));
	for (const char *const *d = (const char *const[]){ "usr", "etc", "tmp", "proc", "dev", NULL }; *d; d++)
		mk(*d);
	lnk("usr/bin", "bin");
	lnk("usr/sbin", "sbin");
	lnk("usr/lib", "lib");
	lnk("usr/lib64", "lib64");
	binds[0] = (struct bs_bind){ "/usr", "/usr", BS_BIND_RO | BS_BIND_RECURSIVE | BS_BIND_NODEV | BS_BIND_NOSUID };
	ok = 0;
	if (geteuid() != 0) {
		snprintf(why, sizeof why, "not root");
		return;
	}
	if (access(BSRUN, X_OK) < 0 || access("/usr/bin/setpriv", X_OK) < 0) {
		snprintf(why, sizeof why, "%s or setpriv missing", BSRUN);
		return;
	}
	opts(&o, NULL);
	if (bs_ctx_create(&o, &c, err, sizeof err) < 0) {
		snprintf(why, sizeof why, "cannot create a context here: %s", err);
		return;
	}
	bs_ctx_free(c);
	ok = 1;
}

static void fixture_down(void)
{
	if (tmpdir[0])
		rm_rf(tmpdir);
}

/* Runs argv (NULL-terminated) with stdin from `in` (NULL: /dev/null) and
 * stdout+stderr into out; returns the exit status (128+N for signal N). */
static int run(const char *in, char *out, size_t outlen, char *const argv[])
{
	int ofd = memfd_create("out", MFD_CLOEXEC), ifd, st;
	pid_t pid;
	ssize_t n;

	ck_assert_int_ge(ofd, 0);
	if (in) {
		ifd = memfd_create("in", MFD_CLOEXEC);
		ck_assert_int_eq(write(ifd, in, strlen(in)), (ssize_t)strlen(in));
		lseek(ifd, 0, SEEK_SET);
	} else {
		ifd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(ifd, 0);
		dup2(ofd, 1);
		dup2(ofd, 2);
		execvp(argv[0], argv);
		_exit(126);
	}
	close(ifd);
	while (waitpid(pid, &st, 0) < 0)
		ck_assert_int_eq(errno, EINTR);
	n = pread(ofd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(ofd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define RUN(in, out, ...) run(in, out, sizeof(out), (char *const[]){ __VA_ARGS__, NULL })

static struct bs_ctx *make(const char *host)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c = NULL;
	char err[512] = "";

	opts(&o, host);
	ck_assert_msg(bs_ctx_create(&o, &c, err, sizeof err) == 0, "bs_ctx_create: %s", err);
	return c;
}

/* The line of `bsrun ctx list` output for context id, or NULL. */
static const char *list_line(const char *out, unsigned id)
{
	char want[32];

	snprintf(want, sizeof want, "%u ", id);
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, want, strlen(want)) == 0)
			return p;
	return NULL;
}

START_TEST(test_list_and_exec)
{
	struct bs_ctx *c;
	char out[8192], id[16], host[256];
	const char *line;
	int rc;

	NEED();
	c = make("regtest");
	snprintf(id, sizeof id, "%u", bs_ctx_id(c));
	rc = RUN(NULL, out, BSRUN, "ctx", "list");
	ck_assert_msg(rc == 0, "ctx list: %d %s", rc, out);
	ck_assert_msg(strncmp(out, "ID ", 3) == 0 && strstr(out, "OWNER") && strstr(out, "UPTIME") &&
			      strstr(out, "PROCS") && strstr(out, "MEMORY"), "%s", out);
	line = list_line(out, bs_ctx_id(c));
	ck_assert_msg(line, "context %s not listed: %s", id, out);
	ck_assert_msg(strstr(line, "root") && strstr(line, rootdir), "%s", line);
	/* a command inside sees the context's hostname, not the host's */
	gethostname(host, sizeof host);
	ck_assert_str_ne(host, "regtest");
	rc = RUN(NULL, out, BSRUN, "ctx", "exec", id, "--", "uname", "-n");
	ck_assert_msg(rc == 0 && strcmp(out, "regtest\n") == 0, "exit %d: %s", rc, out);
	/* root inside, in the context's PID namespace, stdio passed through */
	rc = RUN("from stdin\n", out, BSRUN, "ctx", "exec", id, "--", "sh", "-c", "id -u; cat; echo $$");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	ck_assert_msg(strncmp(out, "0\nfrom stdin\n", 13) == 0, "%s", out);
	ck_assert_msg(atoi(out + 13) > 1 && atoi(out + 13) < 100, "pid inside: %s", out + 13);
	/* the command's exit status becomes bsrun's */
	rc = RUN(NULL, out, BSRUN, "ctx", "exec", id, "--", "sh", "-c", "exit 7");
	ck_assert_int_eq(rc, 7);
	rc = RUN(NULL, out, BSRUN, "ctx", "exec", id, "--", "sh", "-c", "kill -9 $$");
	ck_assert_int_eq(rc, 128 + 9);
	rc = RUN(NULL, out, BSRUN, "ctx", "exec", id, "--", "no-such-program");
	ck_assert_msg(rc == 127 && strstr(out, "no-such-program"), "exit %d: %s", rc, out);
	/* the context outlives the entered commands */
	ck_assert(bs_ctx_alive(c));
	rc = RUN(NULL, out, BSRUN, "ctx", "exec", "999999", "--", "true");
	ck_assert_msg(rc == 2 && strstr(out, "no live context 999999"), "exit %d: %s", rc, out);
	bs_ctx_free(c);
	rc = RUN(NULL, out, BSRUN, "ctx", "list");
	ck_assert_msg(rc == 0 && !list_line(out, (unsigned)atoi(id)), "still listed: %s", out);
}
END_TEST

START_TEST(test_non_owner_refused)
{
	struct bs_ctx *c;
	char out[8192], id[16];
	int rc, st;

	NEED();
	c = make(NULL);
	snprintf(id, sizeof id, "%u", bs_ctx_id(c));
	rc = RUN(NULL, out, NOBODY, BSRUN, "ctx", "list");
	ck_assert_msg(rc == 0 && list_line(out, bs_ctx_id(c)), "exit %d: %s", rc, out);
	rc = RUN(NULL, out, NOBODY, BSRUN, "ctx", "exec", id, "--", "touch", "/tmp/pwned");
	ck_assert_msg(rc == 2 && strstr(out, "only its owner or root may enter it"), "exit %d: %s", rc, out);
	rc = RUN(NULL, out, NOBODY, BSRUN, "ctx", "kill", id);
	ck_assert_msg(rc == 2 && strstr(out, "only its owner or root may kill it"), "exit %d: %s", rc, out);
	/* still alive and working, and nothing ran inside */
	ck_assert(bs_ctx_alive(c));
	rc = RUN(NULL, out, BSRUN, "ctx", "exec", id, "--", "sh", "-c", "test ! -e /tmp/pwned && echo clean");
	ck_assert_msg(rc == 0 && strcmp(out, "clean\n") == 0, "exit %d: %s", rc, out);
	{
		struct bs_exec_opts eo;
		char err[256];

		bs_exec_opts_init(&eo);
		ck_assert_int_eq(bs_ctx_exec(c, (char *const[]){ "true", NULL }, &eo, &st, err, sizeof err), 0);
		ck_assert_int_eq(st, 0);
	}
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_kill)
{
	struct bs_ctx *c;
	char out[8192], id[16], procs[PATH_MAX];
	struct pollfd p;
	const char *dir;
	int rc, pidfd;
	struct stat sb;

	NEED();
	c = make(NULL);
	snprintf(id, sizeof id, "%u", bs_ctx_id(c));
	pidfd = (int)syscall(SYS_pidfd_open, bs_ctx_pid(c), 0);
	ck_assert_int_ge(pidfd, 0);
	/* a daemon that double-forks away from the command */
	rc = RUN(NULL, out, BSRUN, "ctx", "exec", id, "--", "sh", "-c", "(sleep 1000 &) ; echo started");
	ck_assert_msg(rc == 0 && strcmp(out, "started\n") == 0, "exit %d: %s", rc, out);
	dir = bs_ctx_cgroup(c, "pids");
	if (dir) {
		snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
		ck_assert_int_eq(stat(procs, &sb), 0);
		rc = RUN(NULL, out, "cat", procs);
		ck_assert_msg(strchr(out, '\n') != strrchr(out, '\n'), "init and sleep expected: %s", out);
	}
	rc = RUN(NULL, out, BSRUN, "ctx", "kill", id);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	/* the init is gone, and with it every process of the context */
	p = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 0), 1);
	close(pidfd);
	if (dir) {
		rc = RUN(NULL, out, "cat", procs);
		ck_assert_msg(rc == 0 && out[0] == '\0', "left in the cgroup: %s", out);
	}
	rc = RUN(NULL, out, BSRUN, "ctx", "list");
	ck_assert_msg(!list_line(out, (unsigned)atoi(id)), "still listed: %s", out);
	rc = RUN(NULL, out, BSRUN, "ctx", "exec", id, "--", "true");
	ck_assert_int_eq(rc, 2);
	/* the creator notices and releases it */
	ck_assert_int_eq(bs_ctx_kill(c), 0);
	bs_ctx_free(c);
}
END_TEST

/* A creator that dies (SIGKILL) leaves its entry; the next call cleans it. */
START_TEST(test_stale_cleaned)
{
	char out[8192], slot[PATH_MAX], cg[PATH_MAX] = "";
	int pfd[2], st, rc;
	unsigned id = 0;
	pid_t pid;
	struct stat sb;

	NEED();
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct bs_ctx *c = make(NULL);
		unsigned cid = bs_ctx_id(c);
		const char *d = bs_ctx_cgroup(c, "pids");
		char buf[PATH_MAX + 16];

		snprintf(buf, sizeof buf, "%u %s", cid, d ? d : "");
		if (write(pfd[1], buf, strlen(buf)) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	{
		char buf[PATH_MAX + 16];
		ssize_t n = read(pfd[0], buf, sizeof buf - 1);

		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		id = (unsigned)strtoul(buf, NULL, 10);
		if (strchr(buf, ' ') && strchr(buf, ' ')[1])
			snprintf(cg, sizeof cg, "%s", strchr(buf, ' ') + 1);
	}
	close(pfd[0]);
	snprintf(slot, sizeof slot, "/run/bsrun/ctx/%u", id);
	ck_assert_int_eq(stat(slot, &sb), 0);
	ck_assert_int_gt(sb.st_size, 0);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	/* the init ends when its creator's channel closes: then nobody holds the slot */
	for (int i = 0; i < 500; i++) {
		rc = RUN(NULL, out, BSRUN, "ctx", "list");
		ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
		ck_assert_int_eq(stat(slot, &sb), 0);
		if (sb.st_size == 0)
			break;
		usleep(10000);
	}
	ck_assert_msg(sb.st_size == 0, "stale entry %s not cleaned", slot);
	ck_assert_msg(!list_line(out, id), "stale context listed: %s", out);
	if (cg[0])
		ck_assert_msg(stat(cg, &sb) < 0 && errno == ENOENT, "stale cgroup %s left", cg);
}
END_TEST

/* The registry text round-trips; malformed texts are refused (no kernel
 * features needed: runs under valgrind too). */
START_TEST(test_registry_format)
{
	char *const allow[] = { "ptrace", NULL }, *const env[] = { "PATH=/bin", "A=b=c", "BAD=x\ny", NULL };
	struct bs_ctxreg_entry e, back;
	char *text, *t2;

	memset(&e, 0, sizeof e);
	e.ref.id = 7;
	e.ref.pid = 4242;
	e.ref.pid_start = 123456789012ULL;
	e.ref.nstypes = 0x7e020000;
	e.ref.caps = 0x800000fbULL;
	e.ref.nofile = 1024;
	e.ref.syscalls_allow = allow;
	e.ref.env = env;
	e.ref.cgroup_parent = "bsrun";
	e.ref.uid_first = 1u << 30;
	e.ref.uid_count = 65536;
	e.ref.ns_socket = "/run/user/1000/bsrun/ctx/7.sock";
	e.owner = 1000;
	e.start = 1700000000;
	e.root = "/tmp/a root";
	e.hostname = "h";
	e.cmd = "make -j2";
	text = bs_ctxreg_format(&e);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(!strstr(text, "BAD="), "%s", text); /* a value with a newline is left out */
	ck_assert_int_eq(bs_ctxreg_parse(text, &back), 0);
	ck_assert_uint_eq(back.ref.id, 7);
	ck_assert_int_eq(back.ref.pid, 4242);
	ck_assert(back.ref.pid_start == 123456789012ULL);
	ck_assert_int_eq(back.ref.nstypes, 0x7e020000);
	ck_assert(back.ref.caps == 0x800000fbULL && back.ref.nofile == 1024 && back.ref.fsize == 0);
	ck_assert_uint_eq(back.owner, 1000);
	ck_assert_str_eq(back.root, "/tmp/a root");
	ck_assert_str_eq(back.cmd, "make -j2");
	ck_assert_str_eq(back.ref.syscalls_allow[0], "ptrace");
	ck_assert_ptr_null(back.ref.syscalls_allow[1]);
	ck_assert_ptr_null(back.ref.syscalls_deny);
	ck_assert_str_eq(back.ref.env[1], "A=b=c");
	ck_assert_ptr_null(back.ref.env[2]);
	ck_assert_str_eq(back.ref.cgroup_parent, "bsrun");
	ck_assert_str_eq(back.ref.ns_socket, "/run/user/1000/bsrun/ctx/7.sock");
	ck_assert(back.ref.uid_first == 1u << 30 && back.ref.uid_count == 65536);
	t2 = bs_ctxreg_format(&back);
	ck_assert_str_eq(t2, text);
	free(t2);
	bs_ctxreg_entry_free(&back);
	free(text);
	/* incomplete or malformed */
	ck_assert_int_eq(bs_ctxreg_parse("id=1\nowner=0\npid=5\n", &back), -EINVAL);
	ck_assert_int_eq(bs_ctxreg_parse("id=1\nowner=0\npid=-5\npidstart=1\nns=1\n", &back), -EINVAL);
	ck_assert_int_eq(bs_ctxreg_parse("id=1\nowner=0\npid=5\npidstart=1\nns=1\nuids=3\n", &back), -EINVAL);
	ck_assert_int_eq(bs_ctxreg_parse("garbage\n", &back), -EINVAL);
	ck_assert_int_eq(bs_ctxreg_parse("id=1\nowner=0\npid=5\npidstart=1\nns=1\nfuture=x\n", &back), 0);
	ck_assert_str_eq(back.cmd, "");
	bs_ctxreg_entry_free(&back);
}
END_TEST

Suite *ctxcmd_suite(void)
{
	Suite *s = suite_create("ctxcmd");
	TCase *tc = tcase_create("ctxcmd");

	tcase_add_unchecked_fixture(tc, fixture_up, fixture_down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_registry_format);
	tcase_add_test(tc, test_list_and_exec);
	tcase_add_test(tc, test_non_owner_refused);
	tcase_add_test(tc, test_kill);
	tcase_add_test(tc, test_stale_cleaned);
	suite_add_tcase(s, tc);
	return s;
}
