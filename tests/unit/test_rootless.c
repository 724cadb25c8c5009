/* Rootless contexts: a test user with subordinate id ranges (created and
 * removed here) creates contexts; root inside maps to a subordinate id, never
 * to the user; a user without ranges is refused with a how-to unless a
 * single-id map is allowed; limits without a cgroup are refused unless
 * allowed; the user's registry works with `bsrun ctx`. Needs root, useradd,
 * usermod, userdel, newuidmap (else a loud SKIP). */
#include "ctx.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BSRUN BSRUN_SRCDIR "/src/bsrun"
#define SUB_FIRST 500000000u
#define SUB_COUNT 131072u

static char tmpdir[64], rootdir[128], outdir[128];
static char user[32];
static uid_t uid;
static gid_t gid;
static int ok, have_user;
static char why[600];
static struct bs_bind binds[2];

#define NEED()                                                                         \
	do {                                                                           \
		if (!ok) {                                                             \
			fprintf(stderr, "*** SKIP %s: %s ***\n", __func__, why);      \
			return;                                                        \
		}                                                                      \
	} while (0)

/* Runs argv quietly; returns its exit status (or -1). */
static int sh(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define SH(...) sh((char *const[]){ __VA_ARGS__, NULL })

static void mk(const char *dir, const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		ck_abort_msg("mkdir %s: %s", p, strerror(errno));
}

static void rm_tmp_registry(uid_t u)
{
	char p[64];

	snprintf(p, sizeof p, "/tmp/bsrun-%u", (unsigned)u);
	SH("rm", "-rf", "--one-file-system", p);
}

static void fixture_up(void)
{
	char range[64];
	struct passwd *pw;
	struct bs_ctx_opts o;
	struct bs_ctx *c = NULL;
	char err[512];

	ok = have_user = 0;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/bsrun-rootless-XXXXXX");
	if (!mkdtemp(tmpdir))
		ck_abort_msg("mkdtemp: %s", strerror(errno));
	chmod(tmpdir, 0755);
	snprintf(rootdir, sizeof rootdir, "%s/root", tmpdir);
	snprintf(outdir, sizeof outdir, "%s/out", tmpdir);
	mk(tmpdir, "root");
	mk(tmpdir, "out");
	for (const char *const *d = (const char *const[]){ "usr", "etc", "tmp", "proc", "dev", "mnt", NULL }; *d; d++)
		mk(rootdir, *d);
	{
		char p[PATH_MAX];
		const char *l[][2] = { { "usr/bin", "bin" }, { "usr/sbin", "sbin" }, { "usr/lib", "lib" },
				       { "usr/lib64", "lib64" } };

		for (size_t i = 0; i < 4; i++) {
			snprintf(p, sizeof p, "%s/%s", rootdir, l[i][1]);
			symlink(l[i][0], p);
		}
	}
	binds[0] = (struct bs_bind){ "/usr", "/usr", BS_BIND_RO | BS_BIND_RECURSIVE | BS_BIND_NODEV | BS_BIND_NOSUID };
	binds[1] = (struct bs_bind){ outdir, "/mnt", BS_BIND_NODEV | BS_BIND_NOSUID };
	if (geteuid() != 0) {
		snprintf(why, sizeof why, "not root (the test creates a user)");
		return;
	}
	for (const char *const *t = (const char *const[]){ "/usr/sbin/useradd", "/usr/sbin/usermod",
							   "/usr/sbin/userdel", "/usr/bin/newuidmap",
							   "/usr/bin/newgidmap", NULL };
	     *t; t++)
		if (access(*t, X_OK) < 0) {
			snprintf(why, sizeof why, "%s missing (packages passwd, uidmap)", *t);
			return;
		}
	/* contexts at all (valgrind lacks clone3) */
	bs_ctx_opts_init(&o);
	o.root = rootdir;
	o.binds = binds;
	o.nbinds = 1;
	if (bs_ctx_create(&o, &c, err, sizeof err) < 0) {
		snprintf(why, sizeof why, "cannot create a context here: %s", err);
		return;
	}
	bs_ctx_free(c);
	snprintf(user, sizeof user, "bsrunrl%u", (unsigned)getpid() % 100000);
	SH("userdel", user);
	if (SH("useradd", "-r", "-M", "-s", "/usr/sbin/nologin", user) != 0) {
		snprintf(why, sizeof why, "useradd %s failed", user);
		return;
	}
	have_user = 1;
	snprintf(range, sizeof range, "%u-%u", SUB_FIRST, SUB_FIRST + SUB_COUNT - 1);
	if (SH("usermod", "--add-subuids", range, "--add-subgids", range, user) != 0) {
		snprintf(why, sizeof why, "usermod --add-subuids %s %s failed", range, user);
		return;
	}
	pw = getpwnam(user);
	if (!pw) {
		snprintf(why, sizeof why, "getpwnam %s", user);
		return;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	/* root inside (the first subordinate id) may write here */
	if (chown(outdir, SUB_FIRST, SUB_FIRST) < 0)
		ck_abort_msg("chown %s: %s", outdir, strerror(errno));
	rm_tmp_registry(uid);
	rm_tmp_registry(65534);
	ok = 1;
}

static void fixture_down(void)
{
	if (have_user) {
		char range[64];

		snprintf(range, sizeof range, "%u-%u", SUB_FIRST, SUB_FIRST + SUB_COUNT - 1);
		SH("usermod", "--del-subuids", range, "--del-subgids", range, user);
		SH("userdel", user);
		rm_tmp_registry(uid);
	}
	rm_tmp_registry(65534);
	if (tmpdir[0])
		rm_rf(tmpdir);
}

/* ---- in the child that runs as the user ---- */

static int report_fd;

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdprintf(report_fd, fmt, ap);
	va_end(ap);
}

/* Runs argv with stdout+stderr captured; returns the exit status. */
static int capture(char *out, size_t len, char *const argv[])
{
	int fd = memfd_create("out", MFD_CLOEXEC), st;
	pid_t pid = fork();
	ssize_t n;

	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = '|';
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs argv in c; its output (newlines as '|') after "key=". */
static void run_in(struct bs_ctx *c, const char *key, char *const argv[])
{
	struct bs_exec_opts eo;
	char out[1024], err[512] = "";
	int fd = memfd_create("o", MFD_CLOEXEC), st = 0, r;
	ssize_t n;

	bs_exec_opts_init(&eo);
	eo.stdout_fd = eo.stderr_fd = fd;
	r = bs_ctx_exec(c, argv, &eo, &st, err, sizeof err);
	n = pread(fd, out, sizeof out - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = '|';
	report("%s=%d %d %s%s\n", key, r, st, out, err);
}

static void become(uid_t u, gid_t g)
{
	if (setgroups(0, NULL) < 0 || setresgid(g, g, g) < 0 || setresuid(u, u, u) < 0)
		_exit(90);
	prctl(PR_SET_DUMPABLE, 1L, 0L, 0L, 0L); /* as a login would leave it */
	unsetenv("XDG_RUNTIME_DIR");
}

static void as_user(void)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c = NULL;
	char err[1024] = "", out[4096], id[16], path[64], line[256];
	int r;
	FILE *f;

	become(uid, gid);
	bs_ctx_opts_init(&o);
	o.root = rootdir;
	o.binds = binds;
	o.nbinds = 2;
	o.hostname = "rootless";
	/* default limits: pids needs a cgroup the user cannot create here */
	r = bs_ctx_create(&o, &c, err, sizeof err);
	report("limits=%d %s\n", r, err);
	if (r == 0) {
		report("limits_cgroup=%s\n", bs_ctx_cgroup(c, "pids") ? "yes" : "no");
		bs_ctx_free(c);
	}
	o.allow_unenforced_limits = 1;
	r = bs_ctx_create(&o, &c, err, sizeof err);
	report("allowed=%d %s\n", r, err);
	if (r < 0)
		return;
	report("unenforced=%u\n", bs_ctx_unenforced(c));
	run_in(c, "uidmap", (char *const[]){ "cat", "/proc/self/uid_map", NULL });
	run_in(c, "gidmap", (char *const[]){ "cat", "/proc/self/gid_map", NULL });
	run_in(c, "touch", (char *const[]){ "sh", "-c", "id -u; touch /mnt/made-inside", NULL });
	snprintf(path, sizeof path, "/proc/%d/status", (int)bs_ctx_pid(c));
	f = fopen(path, "re");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "Uid:", 4) == 0 || strncmp(line, "Gid:", 4) == 0)
			report("init%s", line);
	if (f)
		fclose(f);
	/* the user's own registry, through the command line */
	snprintf(id, sizeof id, "%u", bs_ctx_id(c));
	report("id=%s\n", id);
	r = capture(out, sizeof out, (char *const[]){ BSRUN, "ctx", "list", NULL });
	report("list=%d %s\n", r, out);
	r = capture(out, sizeof out, (char *const[]){ BSRUN, "ctx", "exec", id, "--", "uname", "-n", NULL });
	report("cliexec=%d %s\n", r, out);
	snprintf(path, sizeof path, "/tmp/bsrun-%u/ctx/%s", (unsigned)uid, id);
	report("registry=%s\n", access(path, F_OK) == 0 ? "yes" : "no");
	{
		int pfd = (int)syscall(SYS_pidfd_open, bs_ctx_pid(c), 0);
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		struct stat st;

		r = capture(out, sizeof out, (char *const[]){ BSRUN, "ctx", "kill", id, NULL });
		report("clikill=%d %s dead=%d\n", r, out, pfd >= 0 && poll(&p, 1, 2000) == 1);
		close(pfd);
		snprintf(path, sizeof path, "/tmp/bsrun-%u", (unsigned)uid);
		report("rundir_mode=%o\n", stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0u);
	}
	bs_ctx_free(c);
	snprintf(path, sizeof path, "/tmp/bsrun-%u/ctx/%s.sock", (unsigned)uid, id);
	report("sock_after=%s\n", access(path, F_OK) == 0 ? "left" : "gone");
}

static void as_nobody(void)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c = NULL;
	char err[1024] = "";
	int r;

	become(65534, 65534);
	bs_ctx_opts_init(&o);
	o.root = rootdir;
	o.binds = binds;
	o.nbinds = 1;
	o.pids = 0;
	r = bs_ctx_create(&o, &c, err, sizeof err);
	report("nosub=%d %s\n", r, err);
	if (r == 0)
		bs_ctx_free(c);
	o.single_id_map = 1;
	r = bs_ctx_create(&o, &c, err, sizeof err);
	report("single=%d %s\n", r, err);
	if (r < 0)
		return;
	run_in(c, "smap", (char *const[]){ "cat", "/proc/self/uid_map", NULL });
	bs_ctx_free(c);
}

/* Runs fn in a child as another user; returns its report. */
static void in_child(void (*fn)(void), char *out, size_t len)
{
	int fd = memfd_create("report", 0), st;
	pid_t pid;
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		report_fd = fd;
		fn();
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status 0x%x: %s", st, out);
}

/* The line "key=..." of a report, without the key, or "" */
static const char *get(const char *rep, const char *key)
{
	static char v[2048];
	size_t k = strlen(key);

	v[0] = '\0';
	for (const char *p = rep; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, k) == 0 && p[k] == '=') {
			size_t n = strcspn(p + k + 1, "\n");

			snprintf(v, sizeof v, "%.*s", (int)(n < sizeof v ? n : sizeof v - 1), p + k + 1);
			break;
		}
	return v;
}

START_TEST(test_rootless_subids)
{
	char rep[16384], want[128], file[PATH_MAX];
	unsigned a, b, n;
	struct stat st;

	NEED();
	in_child(as_user, rep, sizeof rep);
	/* pids 4096 by default: no cgroup for this user here, so refused ... */
	ck_assert_msg(strncmp(get(rep, "limits"), "-1 ", 3) == 0 && strstr(get(rep, "limits"), "cannot be enforced"),
		      "%s", rep);
	/* ... unless allowed, and then said */
	ck_assert_msg(strncmp(get(rep, "allowed"), "0 ", 2) == 0, "%s", rep);
	ck_assert_str_eq(get(rep, "unenforced"), "2");
	/* root inside is the first subordinate id, 65536 ids */
	ck_assert_msg(sscanf(get(rep, "uidmap"), "0 0 %u %u %u", &a, &b, &n) == 3, "%s", rep);
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(b, SUB_FIRST);
	ck_assert_uint_eq(n, 65536);
	ck_assert_msg(sscanf(get(rep, "gidmap"), "0 0 %u %u %u", &a, &b, &n) == 3 && b == SUB_FIRST && n == 65536,
		      "%s", rep);
	/* the init's host credentials: the subordinate id, not the user */
	snprintf(want, sizeof want, "\t%u\t%u\t%u\t%u", SUB_FIRST, SUB_FIRST, SUB_FIRST, SUB_FIRST);
	ck_assert_msg(strstr(rep, "initUid:\t") && strstr(strstr(rep, "initUid:\t"), want), "%s", rep);
	/* a file made by root inside belongs to the subordinate id on the host */
	ck_assert_msg(strcmp(get(rep, "touch"), "0 0 0|") == 0, "%s", rep);
	snprintf(file, sizeof file, "%s/made-inside", outdir);
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_uint_eq(st.st_uid, SUB_FIRST);
	ck_assert_uint_eq(st.st_gid, SUB_FIRST);
	ck_assert_uint_ne(st.st_uid, uid);
	/* the user's registry and the command line */
	ck_assert_str_eq(get(rep, "registry"), "yes");
	ck_assert_msg(strncmp(get(rep, "list"), "0 ", 2) == 0 && strstr(get(rep, "list"), user) &&
			      strstr(get(rep, "list"), rootdir), "%s", rep);
	ck_assert_msg(strcmp(get(rep, "cliexec"), "0 rootless|") == 0, "%s", rep);
	ck_assert_msg(strcmp(get(rep, "clikill"), "0  dead=1") == 0, "%s", rep);
	ck_assert_str_eq(get(rep, "rundir_mode"), "700");
	ck_assert_str_eq(get(rep, "sock_after"), "gone");
}
END_TEST

START_TEST(test_rootless_without_subids)
{
	char rep[8192];
	unsigned a, b, n;

	NEED();
	in_child(as_nobody, rep, sizeof rep);
	/* refused with the how-to */
	ck_assert_msg(strncmp(get(rep, "nosub"), "-2 ", 3) == 0 && strstr(get(rep, "nosub"), "usermod --add-subuids") &&
			      strstr(get(rep, "nosub"), "/etc/subuid"), "%s", rep);
	/* a single-id map when allowed: root inside is the user's own uid */
	ck_assert_msg(strncmp(get(rep, "single"), "0 ", 2) == 0, "%s", rep);
	ck_assert_msg(sscanf(get(rep, "smap"), "0 0 %u %u %u", &a, &b, &n) == 3 && b == 65534 && n == 1, "%s", rep);
}
END_TEST

Suite *rootless_suite(void)
{
	Suite *s = suite_create("rootless");
	TCase *tc = tcase_create("rootless");

	tcase_add_unchecked_fixture(tc, fixture_up, fixture_down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rootless_subids);
	tcase_add_test(tc, test_rootless_without_subids);
	suite_add_tcase(s, tc);
	return s;
}
