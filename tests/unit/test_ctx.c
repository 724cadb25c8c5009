/* Isolation contexts: each protection is a real program in a real context,
 * checked from the host. Needs root and user namespaces; without them every
 * test prints a loud SKIP line. */
#include "caps.h"
#include "lstate.h"
#include "cinit.h"
#include "ctx.h"
#include "fdpass.h"
#include "initexec.h"
#include "reslimits.h"
#include "scfilter.h"
#include "tests.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <ifaddrs.h>
#include <lauxlib.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef BSRUN_HELPERDIR
#define BSRUN_HELPERDIR "build/release/helpers"
#endif

#define PROBE "/helpers/probe"

/* set up once per test case, in the runner (unchecked fixture) */
static char tmpdir[64];   /* /tmp/bsrun-ctx-XXXXXX */
static char rootdir[128]; /* tmpdir/root: the contexts' root */
static char hostdir[128]; /* tmpdir/host: host files outside the root */
static int ctx_ok;
static char ctx_why[1024];

static struct bs_bind binds[3];
static size_t nbinds;

#define NEED_CTX()                                                                                  \
	do {                                                                                        \
		if (!ctx_ok) {                                                                      \
			fprintf(stderr, "*** SKIP %s: %s ***\n", __func__, ctx_why);               \
			return;                                                                     \
		}                                                                                   \
	} while (0)

static void mkpath(const char *dir, const char *name)
{
	char p[PATH_MAX + 256];

	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		ck_abort_msg("mkdir %s: %s", p, strerror(errno));
}

static void symlink_in(const char *dir, const char *target, const char *name)
{
	char p[PATH_MAX + 256];

	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (symlink(target, p) < 0)
		ck_abort_msg("symlink %s: %s", p, strerror(errno));
}

static void base_opts(struct bs_ctx_opts *o)
{
	bs_ctx_opts_init(o);
	o->root = rootdir;
	o->binds = binds;
	o->nbinds = nbinds;
}

/* A Debian-12-like root: /usr bound read-only from the host, bin, lib, lib64
 * and sbin symlinks into it, empty /etc, /tmp, /proc, /dev, and mount points
 * for the helpers and for host directories the tests bind. */
static void fixture_up(void)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c = NULL;
	char err[512];
	int r;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/bsrun-ctx-XXXXXX");
	if (!mkdtemp(tmpdir))
		ck_abort_msg("mkdtemp: %s", strerror(errno));
	chmod(tmpdir, 0755);
	snprintf(rootdir, sizeof rootdir, "%s/root", tmpdir);
	snprintf(hostdir, sizeof hostdir, "%s/host", tmpdir);
	mkpath(tmpdir, "root");
	mkpath(tmpdir, "host");
	for (const char *const *d = (const char *const[]){ "usr", "etc", "tmp", "proc", "dev", "helpers", "mnt",
							   "root", NULL };
	     *d; d++)
		mkpath(rootdir, *d);
	symlink_in(rootdir, "usr/bin", "bin");
	symlink_in(rootdir, "usr/sbin", "sbin");
	symlink_in(rootdir, "usr/lib", "lib");
	symlink_in(rootdir, "usr/lib64", "lib64");
	binds[0] = (struct bs_bind){ "/usr", "/usr", BS_BIND_RO | BS_BIND_RECURSIVE | BS_BIND_NODEV | BS_BIND_NOSUID };
	binds[1] = (struct bs_bind){ BSRUN_HELPERDIR, "/helpers", BS_BIND_RO | BS_BIND_NODEV | BS_BIND_NOSUID };
	nbinds = 2;

	ctx_ok = 0;
	if (geteuid() != 0) {
		snprintf(ctx_why, sizeof ctx_why, "not root (these tests need root; the rootless suite covers ordinary users)");
		return;
	}
	if (access("/proc/self/ns/user", F_OK) < 0) {
		snprintf(ctx_why, sizeof ctx_why, "no user namespaces in this kernel");
		return;
	}
	if (access(BSRUN_HELPERDIR "/probe", X_OK) < 0) {
		snprintf(ctx_why, sizeof ctx_why, "helper %s/probe missing", BSRUN_HELPERDIR);
		return;
	}
	base_opts(&o);
	r = bs_ctx_create(&o, &c, err, sizeof err);
	if (r < 0) {
		snprintf(ctx_why, sizeof ctx_why, "cannot create a context here: %s", err);
		return;
	}
	bs_ctx_free(c);
	ctx_ok = 1;
}

static void fixture_down(void)
{
	if (tmpdir[0])
		rm_rf(tmpdir);
}

/* ---- helpers ---- */

static struct bs_ctx *make(const struct bs_ctx_opts *o)
{
	struct bs_ctx *c = NULL;
	char err[512] = "";
	int r = bs_ctx_create(o, &c, err, sizeof err);

	ck_assert_msg(r == 0, "bs_ctx_create: %d %s", r, err);
	return c;
}

/* Runs argv (NULL-terminated) with stdout and stderr captured into out.
 * Returns bs_ctx_exec's result. */
static int run_eo(struct bs_ctx *c, struct bs_exec_opts *eo, int *st, char *out, size_t outlen, char *const argv[])
{
	int fd = memfd_create("out", MFD_CLOEXEC), r;
	char err[512] = "";
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	eo->stdout_fd = fd;
	eo->stderr_fd = fd;
	r = bs_ctx_exec(c, argv, eo, st, err, sizeof err);
	n = pread(fd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	if (r < 0 && r != -ETIMEDOUT && r != -ESRCH)
		fprintf(stderr, "%s\n", err);
	return r;
}

#define RUN(c, st, out, ...) run_argv(c, st, out, sizeof(out), (char *const[]){ __VA_ARGS__, NULL })
static int run_argv(struct bs_ctx *c, int *st, char *out, size_t outlen, char *const argv[])
{
	struct bs_exec_opts eo;

	bs_exec_opts_init(&eo);
	return run_eo(c, &eo, st, out, outlen, argv);
}

/* Value of "key=N" at the start of a line of out, or LONG_MIN. */
static long val(const char *out, const char *key)
{
	size_t k = strlen(key);

	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, k) == 0 && p[k] == '=')
			return strtol(p + k + 1, NULL, 10);
	return LONG_MIN;
}

#define EXPECT(out, key, e) ck_assert_msg(val(out, key) == (e), "%s: expected %s=%d, output:\n%s", __func__, key, (int)(e), out)

/* Host pids whose command line contains the argument arg. */
static int host_procs_with_arg(const char *arg, pid_t *first)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		char path[300], buf[512];
		ssize_t len;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		for (ssize_t i = 0; i < len; i += (ssize_t)strlen(buf + i) + 1)
			if (strcmp(buf + i, arg) == 0) {
				if (first && !n)
					*first = (pid_t)atoi(e->d_name);
				n++;
				break;
			}
	}
	closedir(d);
	return n;
}

/* Waits up to 3 s until exactly n host processes have arg, five times in a
 * row (a process in the middle of execve shows an empty command line, and
 * setsid(1) forks); returns the last count. */
static int wait_procs(const char *arg, int n)
{
	int have = 0, stable = 0;

	for (int i = 0; i < 300 && stable < 5; i++) {
		have = host_procs_with_arg(arg, NULL);
		stable = have == n ? stable + 1 : 0;
		usleep(10000);
	}
	return have;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- tests ---- */

START_TEST(test_exec_status)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char out[4096], err[256];
	int st;

	NEED_CTX();
	base_opts(&o);
	c = make(&o);
	ck_assert_int_eq(RUN(c, &st, out, "/bin/true"), 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "echo hi; exit 3"), 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	ck_assert_str_eq(out, "hi\n");
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "kill -9 $$"), 0);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* a missing program is the exec's error, not a status */
	ck_assert_int_eq(bs_ctx_exec(c, (char *const[]){ "/no/such/program", NULL }, NULL, &st, err, sizeof err),
			 -ENOENT);
	ck_assert_msg(strstr(err, "/no/such/program"), "message: %s", err);
	/* a missing working directory too */
	{
		struct bs_exec_opts eo;

		bs_exec_opts_init(&eo);
		eo.cwd = "/nonexistent";
		ck_assert_int_eq(bs_ctx_exec(c, (char *const[]){ "/bin/true", NULL }, &eo, &st, err, sizeof err),
				 -ENOENT);
	}
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_identity)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char out[4096], expect[128], host_before[256], host_after[256], path[64], status[4096];
	uint32_t first, count;
	int st, fd;
	ssize_t n;

	NEED_CTX();
	gethostname(host_before, sizeof host_before);
	base_opts(&o);
	c = make(&o);
	bs_ctx_idrange(c, &first, &count);
	ck_assert_uint_eq(count, 65536);
	ck_assert_uint_gt(first, 0); /* host root is never in the range */
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "id -u; id -g; id -G; hostname; cat /proc/self/uid_map /proc/self/gid_map"), 0);
	snprintf(expect, sizeof expect, "0\n0\n0\nbsrun\n         0 %10" PRIu32 "      65536\n         0 %10" PRIu32 "      65536\n",
		 first, first);
	ck_assert_str_eq(out, expect);
	/* the init's host credentials: the range's first id, not root */
	snprintf(path, sizeof path, "/proc/%d/status", (int)bs_ctx_pid(c));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, status, sizeof status - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	status[n] = '\0';
	snprintf(expect, sizeof expect, "Uid:\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu32 "\n", first, first, first, first);
	ck_assert_msg(strstr(status, expect), "init's status lacks '%s'", expect);
	/* the command's parent (bsrun) is outside the context: PPID 0; init is 1 */
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "echo $PPID; [ $$ -gt 1 ] && echo ok"), 0);
	ck_assert_str_eq(out, "0\nok\n");
	bs_ctx_free(c);
	gethostname(host_after, sizeof host_after);
	ck_assert_str_eq(host_before, host_after);
}
END_TEST

START_TEST(test_two_contexts)
{
	struct bs_ctx_opts o;
	struct bs_ctx *a, *b;
	struct bs_exec_opts eo;
	char out[4096];
	uint32_t fa, ca, fb, cb;
	int st;

	NEED_CTX();
	base_opts(&o);
	a = make(&o);
	b = make(&o);
	ck_assert_uint_ne(bs_ctx_id(a), bs_ctx_id(b));
	bs_ctx_idrange(a, &fa, &ca);
	bs_ctx_idrange(b, &fb, &cb);
	ck_assert_msg(fa + ca <= fb || fb + cb <= fa, "ranges overlap: %u+%u and %u+%u", fa, ca, fb, cb);
	/* a sleeper in the first context... */
	bs_exec_opts_init(&eo);
	eo.keep_orphans = 1;
	ck_assert_int_eq(run_eo(a, &eo, &st, out, sizeof out,
				(char *const[]){ "sh", "-c", "setsid sleep 987601 >/dev/null 2>&1 & exit 0", NULL }),
			 0);
	ck_assert_int_eq(wait_procs("987601", 1), 1);
	/* ...is out of the second's sight and reach */
	ck_assert_int_eq(RUN(b, &st, out, "sh", "-c", "ls /proc | grep -c '^[0-9]'; kill -9 -1; exit 0"), 0);
	ck_assert_msg(atoi(out) <= 3, "the second context sees processes:\n%s", out);
	ck_assert_int_eq(host_procs_with_arg("987601", NULL), 1);
	bs_ctx_free(b);
	bs_ctx_free(a);
	ck_assert_int_eq(host_procs_with_arg("987601", NULL), 0);
}
END_TEST

START_TEST(test_orphans_killed)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char out[4096];
	int st;

	NEED_CTX();
	base_opts(&o);
	c = make(&o);
	/* a double-forked daemon, in its own session, ignoring SIGTERM */
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c",
			     "(trap '' TERM HUP; setsid sleep 987602 >/dev/null 2>&1 &) ; exit 0"),
			 0);
	ck_assert_int_eq(host_procs_with_arg("987602", NULL), 0);
	/* the context lives on */
	ck_assert_int_eq(RUN(c, &st, out, "/bin/true"), 0);
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_kill)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	struct bs_exec_opts eo;
	char out[4096], cgdir[PATH_MAX] = "", path[64], status[4096], uidline[64], reg[PATH_MAX], buf[512];
	uint32_t first, count;
	pid_t pid = 0;
	int st, fd;
	ssize_t n;
	struct stat sb;

	NEED_CTX();
	base_opts(&o);
	c = make(&o);
	bs_ctx_idrange(c, &first, &count);
	if (bs_ctx_cgroup(c, "pids"))
		snprintf(cgdir, sizeof cgdir, "%s", bs_ctx_cgroup(c, "pids"));
	/* the registry entry */
	snprintf(reg, sizeof reg, "/run/bsrun/ctx/%u", bs_ctx_id(c));
	fd = open(reg, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof path, "pid=%d\n", (int)bs_ctx_pid(c));
	ck_assert_msg(strstr(buf, path), "registry %s lacks %s:\n%s", reg, path, buf);
	bs_exec_opts_init(&eo);
	eo.keep_orphans = 1;
	ck_assert_int_eq(run_eo(c, &eo, &st, out, sizeof out,
				(char *const[]){ "sh", "-c", "(setsid sleep 987603 >/dev/null 2>&1 &) ; exit 0", NULL }),
			 0);
	ck_assert_int_eq(wait_procs("987603", 1), 1);
	ck_assert_int_eq(host_procs_with_arg("987603", &pid), 1);
	/* on the host the sleeper runs as the context's range, never as root */
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, status, sizeof status - 1);
	close(fd);
	status[n > 0 ? n : 0] = '\0';
	snprintf(uidline, sizeof uidline, "Uid:\t%" PRIu32 "\t", first);
	ck_assert_msg(strstr(status, uidline), "sleeper's status lacks '%s'", uidline);
	ck_assert_int_eq(bs_ctx_kill(c), 0);
	ck_assert_int_eq(host_procs_with_arg("987603", NULL), 0);
	ck_assert(!bs_ctx_alive(c));
	ck_assert_int_eq(bs_ctx_kill(c), 0); /* idempotent */
	ck_assert_int_eq(RUN(c, &st, out, "/bin/true"), -ESRCH);
	if (cgdir[0])
		ck_assert_msg(stat(cgdir, &sb) < 0 && errno == ENOENT, "cgroup %s still there", cgdir);
	/* the registry entry is emptied and its lock released */
	ck_assert_int_eq(stat(reg, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_victim_unreachable)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char out[4096], pidstr[32];
	pid_t victim;
	int st;

	NEED_CTX();
	victim = fork();
	ck_assert_int_ge(victim, 0);
	if (victim == 0) {
		pause();
		_exit(0);
	}
	snprintf(pidstr, sizeof pidstr, "%d", (int)victim);
	base_opts(&o);
	c = make(&o);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "kill", pidstr), 0);
	EXPECT(out, "kill", ESRCH);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "ptrace", pidstr), 0);
	EXPECT(out, "ptrace", ESRCH);
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "kill -9 -1; exit 0"), 0);
	bs_ctx_free(c);
	ck_assert_int_eq(waitpid(victim, &st, WNOHANG), 0); /* still alive */
	kill(victim, SIGKILL);
	waitpid(victim, &st, 0);
}
END_TEST

START_TEST(test_host_files)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	struct bs_bind b[3];
	char out[4096], secret[PATH_MAX], buf[64], etc[PATH_MAX];
	int st, fd;
	mode_t mode_before;
	ssize_t n;
	DIR *d;
	struct dirent *e;

	NEED_CTX();
	snprintf(secret, sizeof secret, "%s/secret", hostdir);
	fd = open(secret, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "host data\n", 10), 10);
	close(fd);
	{
		struct stat sb;

		ck_assert_int_eq(stat(secret, &sb), 0);
		mode_before = sb.st_mode & 07777;
	}
	base_opts(&o);
	memcpy(b, binds, sizeof binds[0] * nbinds);
	b[nbinds] = (struct bs_bind){ hostdir, "/mnt", BS_BIND_RO | BS_BIND_NODEV | BS_BIND_NOSUID };
	o.binds = b;
	o.nbinds = nbinds + 1;
	c = make(&o);
	/* the host path does not exist inside */
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "open", secret, "r"), 0);
	EXPECT(out, "open", ENOENT);
	/* the read-only bind: readable, not writable, not removable */
	ck_assert_int_eq(RUN(c, &st, out, "cat", "/mnt/secret"), 0);
	ck_assert_str_eq(out, "host data\n");
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "open", "/mnt/secret", "w"), 0);
	ck_assert_msg(val(out, "open") == EROFS || val(out, "open") == EACCES, "/mnt/secret writable? %s", out);
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "rm -f /mnt/secret; echo evil > /mnt/new; chmod 777 /mnt/secret; exit 0"), 0);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "open", "/usr/bin/sh", "w"), 0);
	ck_assert_msg(val(out, "open") == EROFS || val(out, "open") == EACCES, "/usr/bin/sh writable? %s", out);
	/* files of the context's own ids on a read-only bind: EROFS itself */
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "grep -E ' /(usr|mnt) ' /proc/self/mountinfo | cut -d' ' -f5,6"), 0);
	ck_assert_msg(strstr(out, "/usr ro,") && strstr(out, "/mnt ro,"), "binds not read-only:\n%s", out);
	/* the root's own files belong to host root: root inside may not touch them */
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "touch /etc/passwd; mkdir /etc/x; ln -s / /etc/y; exit 0"), 0);
	bs_ctx_free(c);
	fd = open(secret, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	ck_assert_str_eq(buf, "host data\n");
	{
		char newp[PATH_MAX];
		struct stat sb;

		snprintf(newp, sizeof newp, "%s/new", hostdir);
		ck_assert_int_ne(stat(newp, &sb), 0);
		ck_assert_int_eq(stat(secret, &sb), 0);
		ck_assert_int_eq(sb.st_mode & 07777, mode_before);
		ck_assert_int_eq(sb.st_uid, 0);
	}
	snprintf(etc, sizeof etc, "%s/etc", rootdir);
	d = opendir(etc);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		ck_assert_msg(e->d_name[0] == '.', "%s/%s appeared", etc, e->d_name);
	closedir(d);
}
END_TEST

START_TEST(test_proc)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char out[16384];
	int st;

	NEED_CTX();
	base_opts(&o);
	c = make(&o);
	/* sysrq-trigger: masked when the kernel has it; absent otherwise */
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "open", "/proc/sysrq-trigger", "w"), 0);
	ck_assert_msg(val(out, "open") == EROFS || val(out, "open") == ENOENT, "sysrq-trigger: %s", out);
	if (access("/proc/sysrq-trigger", F_OK) < 0)
		fprintf(stderr, "*** NOTE test_proc: this kernel has no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ off) ***\n");
	for (char *const *p = (char *const[]){ "/proc/sys/kernel/hostname", "/proc/sys/kernel/core_pattern",
							   "/proc/sys/vm/drop_caches", NULL };
	     *p; p++) {
		ck_assert_int_eq(RUN(c, &st, out, PROBE, "open", *p, "w"), 0);
		/* host-root-owned (EACCES) and on a read-only mount (EROFS) */
		ck_assert_msg(val(out, "open") == EROFS || val(out, "open") == EACCES, "%s writable? %s", *p, out);
	}
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "grep -E ' /proc/(sys|bus|fs|irq) ' /proc/self/mountinfo | cut -d' ' -f5,6"), 0);
	ck_assert_str_eq(out, "/proc/sys ro,nosuid,nodev,noexec,relatime\n/proc/bus ro,nosuid,nodev,noexec,relatime\n"
			      "/proc/fs ro,nosuid,nodev,noexec,relatime\n/proc/irq ro,nosuid,nodev,noexec,relatime\n");
	/* masked files read as empty */
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "cat /proc/kallsyms /proc/keys /proc/timer_list 2>/dev/null | wc -c"), 0);
	ck_assert_str_eq(out, "0\n");
	/* only the context's processes; no /sys; no host mount left */
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "ls /proc | grep -c '^[0-9]'; ls -d /sys 2>&1 >/dev/null | wc -l"), 0);
	ck_assert_msg(atoi(out) <= 3, "processes seen: %s", out);
	ck_assert_int_eq(RUN(c, &st, out, "cat", "/proc/self/mountinfo"), 0);
	{
		int roots = 0;

		for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			char mp[PATH_MAX];

			ck_assert_int_eq(sscanf(l, "%*s %*s %*s %*s %4095s", mp), 1);
			roots += strcmp(mp, "/") == 0;
			ck_assert_msg(strncmp(mp, tmpdir, strlen(tmpdir)) != 0, "host mount point inside: %s", mp);
			ck_assert_msg(strcmp(mp, "/sys") != 0 && strcmp(mp, "/run") != 0, "host mount inside: %s", mp);
		}
		ck_assert_int_eq(roots, 1);
	}
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_dev)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char out[4096];
	int st;

	NEED_CTX();
	base_opts(&o);
	c = make(&o);
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "ls /dev | tr '\\n' ' '"), 0);
	ck_assert_str_eq(out, "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ");
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "mknod", "/tmp/sda"), 0);
	EXPECT(out, "mknod", EPERM);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "mknod", "/dev/sda"), 0);
	EXPECT(out, "mknod", EPERM);
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c"), 0);
	ck_assert_str_eq(out, "4\n4\n");
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "open", "/dev/pts/ptmx", "w"), 0);
	EXPECT(out, "open", 0);
	/* a private devpts: the host's ptys are not there */
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "ls /dev/pts | tr '\\n' ' '"), 0);
	ck_assert_str_eq(out, "ptmx ");
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_network)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof a;
	struct ifaddrs *ifs, *i;
	char out[4096], port[16];
	int st, lfd, others = 0;
	struct pollfd p;

	NEED_CTX();
	/* a listener on every host address */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(lfd, 8), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	snprintf(port, sizeof port, "%u", ntohs(a.sin_port));
	base_opts(&o);
	c = make(&o);
	/* 127.0.0.1 inside is the context's own lo (up): refused, not unreachable */
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "connect", "127.0.0.1", port), 0);
	EXPECT(out, "connect", ECONNREFUSED);
	ck_assert_int_eq(getifaddrs(&ifs), 0);
	for (i = ifs; i; i = i->ifa_next) {
		char addr[64];

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, addr, sizeof addr);
		ck_assert_int_eq(RUN(c, &st, out, PROBE, "connect", addr, port), 0);
		EXPECT(out, "connect", ENETUNREACH);
		others++;
	}
	freeifaddrs(ifs);
	if (!others)
		fprintf(stderr, "*** NOTE test_network: the host has no non-loopback IPv4 address to try ***\n");
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "ls /sys/class/net 2>/dev/null; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '"), 0);
	ck_assert_str_eq(out, "lo\n");
	bs_ctx_free(c);
	p = (struct pollfd){ .fd = lfd, .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 0), 0); /* no connection ever arrived */
	close(lfd);
}
END_TEST

START_TEST(test_pids_limit)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char out[4096];
	int st;

	NEED_CTX();
	if (bs_cgroup_version() == 0) {
		fprintf(stderr, "*** SKIP %s: no usable cgroup on this host ***\n", __func__);
		return;
	}
	base_opts(&o);
	o.pids = 16;
	c = make(&o);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "forkbomb", "200"), 0);
	ck_assert_msg(val(out, "forked") >= 1 && val(out, "forked") < 16, "fork bomb not capped:\n%s", out);
	EXPECT(out, "fork_errno", EAGAIN);
	ck_assert(bs_ctx_limits_hit(c) & BS_LIMIT_PIDS);
	ck_assert(!(bs_ctx_limits_hit(c) & BS_LIMIT_MEMORY));
	/* the bomb's children died with the command */
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "ls /proc | grep -c '^[0-9]'"), 0);
	ck_assert_msg(atoi(out) <= 3, "leftovers: %s", out);
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_memory_limit)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char out[4096];
	int st;

	NEED_CTX();
	if (bs_cgroup_version() == 0) {
		fprintf(stderr, "*** SKIP %s: no usable cgroup on this host ***\n", __func__);
		return;
	}
	base_opts(&o);
#ifdef __SANITIZE_ADDRESS__
	/* the helper that enters the context is a fork of this (ASan) test binary
	 * and its shadow-memory faults are charged to the context's cgroup */
	o.memory = 256u << 20;
#else
	o.memory = 32u << 20;
#endif
	c = make(&o);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "alloc", "1024"), 0);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "memory hog not killed (status 0x%x):\n%s", st, out);
	ck_assert(bs_ctx_limits_hit(c) & BS_LIMIT_MEMORY);
	/* the context survived its OOM (its init is protected) and smaller
	 * programs still run; commands do not inherit the init's protection */
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "alloc", "8"), 0);
	EXPECT(out, "allocated", 8);
	ck_assert_int_eq(RUN(c, &st, out, "cat", "/proc/self/oom_score_adj"), 0);
	ck_assert_str_eq(out, "0\n");
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_fds_not_inherited)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char out[4096];
	int st, fd;

	NEED_CTX();
	fd = open("/etc/hostname", O_RDONLY); /* deliberately without O_CLOEXEC */
	if (fd < 0)
		fd = open("/etc/passwd", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, 42), 42);
	base_opts(&o);
	c = make(&o);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "fd", "42"), 0);
	EXPECT(out, "fd", EBADF);
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "ls /proc/self/fd | tr '\\n' ' '"), 0);
	ck_assert_str_eq(out, "0 1 2 3 ");
	/* a directory handed in as stdio would lead out of the root: refused */
	{
		struct bs_exec_opts eo;
		char err[256];
		int dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		ck_assert_int_ge(dfd, 0);
		bs_exec_opts_init(&eo);
		eo.stdin_fd = dfd;
		ck_assert_int_eq(bs_ctx_exec(c, (char *const[]){ "/bin/true", NULL }, &eo, &st, err, sizeof err), -EBADF);
		close(dfd);
	}
	/* no controlling terminal: a new session */
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "open", "/dev/tty", "r"), 0);
	EXPECT(out, "open", ENXIO);
	bs_ctx_free(c);
	close(42);
	close(fd);
}
END_TEST

START_TEST(test_hostname)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char out[4096], before[256], after[256];
	int st;

	NEED_CTX();
	gethostname(before, sizeof before);
	base_opts(&o);
	o.hostname = "builder";
	c = make(&o);
	ck_assert_int_eq(RUN(c, &st, out, "hostname"), 0);
	ck_assert_str_eq(out, "builder\n");
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "sethostname", "evil"), 0);
	EXPECT(out, "sethostname", EPERM); /* no CAP_SYS_ADMIN by default */
	bs_ctx_free(c);
	/* even with CAP_SYS_ADMIN, only the context's UTS namespace changes */
	o.caps |= BS_CAP(CAP_SYS_ADMIN);
	c = make(&o);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "sethostname", "evil"), 0);
	EXPECT(out, "sethostname", 0);
	ck_assert_int_eq(RUN(c, &st, out, "hostname"), 0);
	ck_assert_str_eq(out, "evil\n");
	bs_ctx_free(c);
	gethostname(after, sizeof after);
	ck_assert_str_eq(before, after);
}
END_TEST

START_TEST(test_seccomp_denied)
{
	const char *const *denied = bs_seccomp_denied();
	char *argv[128];
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char out[8192];
	int st, n = 0, checked = 0;

	NEED_CTX();
	argv[n++] = PROBE;
	argv[n++] = "sys";
	for (const char *const *p = denied; *p && n < 126; p++)
		argv[n++] = (char *)*p;
	argv[n] = NULL;
	base_opts(&o);
	c = make(&o);
	ck_assert_int_eq(run_argv(c, &st, out, sizeof out, argv), 0);
	for (const char *const *p = denied; *p; p++) {
		char key[64];

		snprintf(key, sizeof key, "\n%s=?", *p);
		if (strstr(out, key + 1) == out || strstr(out, key))
			continue; /* not an x86-64 syscall (i386 only) */
		ck_assert_msg(val(out, *p) == EPERM, "%s: expected EPERM, output:\n%s", *p, out);
		checked++;
	}
	ck_assert_int_gt(checked, 40);
	/* the same through the x32 ABI (the filter answers before the kernel
	 * looks at whether x32 is enabled) */
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "x32", "mount", "unshare", "setns", "bpf", "keyctl"), 0);
	EXPECT(out, "mount", EPERM);
	EXPECT(out, "unshare", EPERM);
	EXPECT(out, "setns", EPERM);
	EXPECT(out, "bpf", EPERM);
	EXPECT(out, "keyctl", EPERM);
	/* allowed syscalls still work */
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "sys", "getpid"), 0);
	EXPECT(out, "getpid", 0);
	/* the i386 ABI: rules are compiled in; this kernel may not run it at all */
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "i386"), 0);
	if (strstr(out, "i386=no"))
		fprintf(stderr, "*** SKIP test_seccomp_denied (i386 part): the kernel cannot run i386 code (int 0x80 faults) ***\n");
	bs_ctx_free(c);
	/* a policy can take a syscall back: unshare allowed again gives the
	 * kernel's own answer (EINVAL for flags -1) */
	base_opts(&o);
	o.syscalls_allow = (const char *const[]){ "unshare", NULL };
	c = make(&o);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "sys", "unshare", "setns"), 0);
	EXPECT(out, "unshare", EINVAL);
	EXPECT(out, "setns", EPERM);
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_seccomp_args)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char out[8192];
	int st;

	NEED_CTX();
	base_opts(&o);
	c = make(&o);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "ioctl"), 0);
	EXPECT(out, "tiocsti", EPERM);
	EXPECT(out, "tiocsti_high", EPERM);
	EXPECT(out, "tioclinux", EPERM);
	EXPECT(out, "tioclinux_high", EPERM);
	EXPECT(out, "fionread", 0);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "clone-ns"), 0);
	for (const char *const *f = (const char *const[]){ "newuser", "newns", "newpid", "newnet", "newuts", "newipc",
							   "newcgroup", "newuser_high", NULL };
	     *f; f++)
		EXPECT(out, *f, EPERM);
	EXPECT(out, "plain", 0);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "clone3"), 0);
	EXPECT(out, "clone3", ENOSYS);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "personality"), 0);
	EXPECT(out, "read_implies_exec", EPERM);
	EXPECT(out, "addr_no_randomize", EPERM);
	EXPECT(out, "per_bsd", EPERM);
	EXPECT(out, "query", 0);
	EXPECT(out, "per_linux", 0);
	EXPECT(out, "per_linux32", 0);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "socket"), 0);
	EXPECT(out, "unix", 0);
	EXPECT(out, "inet", 0);
	EXPECT(out, "inet6", 0);
	EXPECT(out, "netlink", 0);
	EXPECT(out, "packet", EAFNOSUPPORT);
	EXPECT(out, "key", EAFNOSUPPORT);
	EXPECT(out, "alg", EAFNOSUPPORT);
	EXPECT(out, "vsock", EAFNOSUPPORT);
	EXPECT(out, "bluetooth", EAFNOSUPPORT);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "unknown"), 0);
	EXPECT(out, "cachestat", ENOSYS);
	EXPECT(out, "statmount", ENOSYS);
	EXPECT(out, "mseal", ENOSYS);
	EXPECT(out, "nr_1000", ENOSYS);
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_privileges)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	struct bs_exec_opts eo;
	char out[8192], expect[64];
	int st;

	NEED_CTX();
	base_opts(&o);
	c = make(&o);
	ck_assert_int_eq(RUN(c, &st, out, "grep", "-E", "^(Cap|NoNewPrivs|Seccomp:)", "/proc/self/status"), 0);
	snprintf(expect, sizeof expect, "CapBnd:\t%016" PRIx64 "\n", bs_caps_default());
	ck_assert_msg(strstr(out, expect), "expected %s in\n%s", expect, out);
	snprintf(expect, sizeof expect, "CapEff:\t%016" PRIx64 "\n", bs_caps_default());
	ck_assert_msg(strstr(out, expect), "expected %s in\n%s", expect, out);
	ck_assert(strstr(out, "CapInh:\t0000000000000000\n"));
	ck_assert(strstr(out, "CapAmb:\t0000000000000000\n"));
	ck_assert(strstr(out, "NoNewPrivs:\t1\n"));
	ck_assert(strstr(out, "Seccomp:\t2\n"));
	/* the init (PID 1) is out of reach: hidden in /proc, not ptraceable */
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "ptrace", "1"), 0);
	EXPECT(out, "ptrace", EPERM);
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "ls -d /proc/1 2>/dev/null; exit 0"), 0);
	ck_assert_str_eq(out, "");
	/* bsrun's ignored and blocked signals and its umask do not leak in */
	{
		sigset_t set, old;
		void (*oldpipe)(int) = signal(SIGPIPE, SIG_IGN);

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, &old);
		umask(077);
		ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status; umask"), 0);
		umask(022);
		sigprocmask(SIG_SETMASK, &old, NULL);
		signal(SIGPIPE, oldpipe);
		ck_assert_str_eq(out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n0022\n");
	}
	/* another uid inside: no capabilities at all */
	bs_exec_opts_init(&eo);
	eo.uid = 1000;
	eo.gid = 1000;
	ck_assert_int_eq(run_eo(c, &eo, &st, out, sizeof out,
				(char *const[]){ "sh", "-c", "id -u; id -g; grep CapEff /proc/self/status", NULL }),
			 0);
	ck_assert_str_eq(out, "1000\n1000\nCapEff:\t0000000000000000\n");
	bs_ctx_free(c);
	/* even a build granted CAP_SYS_PTRACE cannot ptrace the init: bsrun-init
	 * runs from a memfd nobody in the context may read, so its memory
	 * belongs to the host's user namespace (initexec.c) */
	base_opts(&o);
	o.caps |= BS_CAP(CAP_SYS_PTRACE);
	c = make(&o);
	ck_assert_int_eq(RUN(c, &st, out, "grep", "^CapEff", "/proc/self/status"), 0);
	snprintf(expect, sizeof expect, "CapEff:\t%016" PRIx64 "\n", bs_caps_default() | BS_CAP(CAP_SYS_PTRACE));
	ck_assert_str_eq(out, expect);
	ck_assert_int_eq(RUN(c, &st, out, PROBE, "ptrace", "1"), 0);
	EXPECT(out, "ptrace", EPERM);
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_cwd_env)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	struct bs_exec_opts eo;
	char out[4096];
	int st;

	NEED_CTX();
	base_opts(&o);
	o.env = (char *const[]){ "PATH=/usr/bin:/bin", "POLICY=yes", NULL };
	c = make(&o);
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "pwd; env | sort | grep -v '^PWD=' | tr '\\n' ' '"), 0);
	ck_assert_str_eq(out, "/\nPATH=/usr/bin:/bin POLICY=yes ");
	bs_exec_opts_init(&eo);
	eo.cwd = "/tmp";
	eo.env = (char *const[]){ "PATH=/usr/bin", "FOO=bar", NULL };
	ck_assert_int_eq(run_eo(c, &eo, &st, out, sizeof out, (char *const[]){ "sh", "-c", "pwd; echo $FOO $POLICY.", NULL }), 0);
	ck_assert_str_eq(out, "/tmp\nbar .\n");
	/* ".." and absolute symlinks stay inside the root */
	eo.cwd = "/../../..";
	ck_assert_int_eq(run_eo(c, &eo, &st, out, sizeof out, (char *const[]){ "pwd", NULL }), 0);
	ck_assert_str_eq(out, "/\n");
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_timeouts)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	struct bs_exec_opts eo;
	char out[4096];
	double t0;
	int st;

	NEED_CTX();
	base_opts(&o);
	c = make(&o);
	bs_exec_opts_init(&eo);
	eo.timeout_s = 1;
	t0 = now_s();
	ck_assert_int_eq(run_eo(c, &eo, &st, out, sizeof out, (char *const[]){ "sleep", "30", NULL }), -ETIMEDOUT);
	ck_assert_msg(now_s() - t0 < 5, "took %.1f s", now_s() - t0);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert(bs_ctx_alive(c));
	ck_assert(bs_ctx_limits_hit(c) & BS_LIMIT_TIME);
	ck_assert_int_eq(RUN(c, &st, out, "/bin/true"), 0);
	/* a leftover that stops every process it can (the next command too,
	 * before or after its exec) cannot make bsrun wait forever */
	eo.keep_orphans = 1;
	eo.timeout_s = 5; /* it starts after its shell has left (or it would stop that) */
	ck_assert_int_eq(run_eo(c, &eo, &st, out, sizeof out,
				(char *const[]){ "sh", "-c", "(sleep 0.3; while :; do kill -STOP -1; done) >/dev/null 2>&1 & exit 0", NULL }),
			 0);
	usleep(500000);
	eo.keep_orphans = 0;
	eo.timeout_s = 2;
	t0 = now_s();
	ck_assert_int_eq(run_eo(c, &eo, &st, out, sizeof out, (char *const[]){ "/bin/true", NULL }), -ETIMEDOUT);
	ck_assert_msg(now_s() - t0 < 6, "took %.1f s", now_s() - t0);
	ck_assert_int_eq(RUN(c, &st, out, "/bin/true"), 0); /* the stopper died with that command */
	bs_ctx_free(c);
	/* the context's own timeout ends the context */
	o.timeout_s = 1;
	c = make(&o);
	t0 = now_s();
	ck_assert_int_eq(RUN(c, &st, out, "sleep", "30"), -ETIMEDOUT);
	ck_assert_msg(now_s() - t0 < 5, "took %.1f s", now_s() - t0);
	ck_assert(!bs_ctx_alive(c));
	ck_assert(bs_ctx_limits_hit(c) & BS_LIMIT_TIME);
	ck_assert_int_eq(bs_ctx_wait(c, &st), 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == BS_CINIT_EXIT_TIMEOUT);
	bs_ctx_free(c);
	/* bs_ctx_wait on a context that runs out of time by itself */
	c = make(&o);
	t0 = now_s();
	ck_assert_int_eq(bs_ctx_wait(c, &st), 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == BS_CINIT_EXIT_TIMEOUT);
	ck_assert_msg(now_s() - t0 < 5, "took %.1f s", now_s() - t0);
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_create_errors)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c = (struct bs_ctx *)1;
	struct bs_bind b = { "/nonexistent-bsrun-source", "/mnt", BS_BIND_RO };
	char err[512];

	NEED_CTX();
	base_opts(&o);
	o.root = "relative/root";
	ck_assert_int_eq(bs_ctx_create(&o, &c, err, sizeof err), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "relative/root"), "%s", err);
	o.root = "/nonexistent-bsrun-root";
	ck_assert_int_eq(bs_ctx_create(&o, &c, err, sizeof err), -ENOENT);
	o.root = "/";
	ck_assert_int_eq(bs_ctx_create(&o, &c, err, sizeof err), -EINVAL);
	base_opts(&o);
	o.binds = &b;
	o.nbinds = 1;
	ck_assert_int_eq(bs_ctx_create(&o, &c, err, sizeof err), -ENOENT);
	ck_assert_msg(strstr(err, "/nonexistent-bsrun-source"), "%s", err);
	base_opts(&o);
	o.syscalls_deny = (const char *const[]){ "no_such_syscall", NULL };
	ck_assert_int_eq(bs_ctx_create(&o, &c, err, sizeof err), -EINVAL);
	ck_assert_msg(strstr(err, "no_such_syscall"), "%s", err);
	/* a bind target that cannot be created inside (host-root-owned /etc) */
	base_opts(&o);
	b = (struct bs_bind){ hostdir, "/etc/newdir", BS_BIND_RO };
	o.binds = &b;
	o.nbinds = 1;
	ck_assert_int_eq(bs_ctx_create(&o, &c, err, sizeof err), -EACCES);
	ck_assert_msg(strstr(err, "/etc/newdir"), "%s", err);
	/* a pool whose only slot holds host users (/etc/passwd: 1 is daemon) */
	base_opts(&o);
	o.uid_first = 1;
	o.uid_count = 65536;
	ck_assert_int_eq(bs_ctx_create(&o, &c, err, sizeof err), -EAGAIN);
	base_opts(&o);
	o.cpu_weight = 20000;
	ck_assert_int_eq(bs_ctx_create(&o, &c, err, sizeof err), -EINVAL);
}
END_TEST

/* Several bsrun processes creating and tearing down contexts at once: the
 * slot locks keep ranges apart, the shared cgroup parent survives. */
START_TEST(test_concurrent)
{
	pid_t kids[3];
	int st;

	NEED_CTX();
	for (int k = 0; k < 3; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			for (int i = 0; i < 8; i++) {
				struct bs_ctx_opts o;
				struct bs_ctx *c;
				char err[512];
				int cst;

				base_opts(&o);
				o.pids = 64;
				if (bs_ctx_create(&o, &c, err, sizeof err) < 0) {
					fprintf(stderr, "concurrent create: %s\n", err);
					_exit(1);
				}
				if (bs_ctx_exec(c, (char *const[]){ "/bin/true", NULL }, NULL, &cst, err, sizeof err) < 0 || cst) {
					fprintf(stderr, "concurrent exec: %s\n", err);
					_exit(2);
				}
				bs_ctx_free(c);
			}
			_exit(0);
		}
	}
	for (int k = 0; k < 3; k++) {
		ck_assert_int_eq(waitpid(kids[k], &st, 0), kids[k]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker %d: status 0x%x", k, st);
	}
}
END_TEST

START_TEST(test_single_id_map)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char out[4096], expect[128];
	uint32_t first, count;
	int st;

	NEED_CTX();
	base_opts(&o);
	o.single_id_map = 1;
	c = make(&o);
	bs_ctx_idrange(c, &first, &count);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(RUN(c, &st, out, "sh", "-c", "id -u; cat /proc/self/uid_map /proc/self/setgroups"), 0);
	snprintf(expect, sizeof expect, "0\n         0 %10" PRIu32 "          1\ndeny\n", first);
	ck_assert_str_eq(out, expect);
	bs_ctx_free(c);
}
END_TEST

/* ---- bs.ctx from Lua ---- */

static lua_State *lua_with_globals(void)
{
	lua_State *L = bs_lua_new(BS_LUA_TRUSTED, BSRUN_SRCDIR);

	ck_assert_ptr_nonnull(L);
	lua_pushstring(L, rootdir);
	lua_setglobal(L, "ROOT");
	lua_pushstring(L, BSRUN_HELPERDIR);
	lua_setglobal(L, "HELPERS");
	run_lua(L, "BINDS = { { '/usr', '/usr', ro = true, recursive = true, nodev = true },"
		   "          { src = HELPERS, dst = '/helpers', ro = true } }; return true");
	lua_pop(L, 1);
	return L;
}

static void expect_lua_true(lua_State *L, const char *code)
{
	run_lua(L, code);
	ck_assert_msg(lua_toboolean(L, -1), "expected true from:\n%s", code);
	lua_pop(L, 1);
}

START_TEST(test_lua_basics)
{
	lua_State *L;

	NEED_CTX();
	L = lua_with_globals();
	expect_lua_true(L,
		"local bs = require 'bs'\n"
		"local c = bs.ctx.create{ root = ROOT, binds = BINDS, hostname = 'lua', pids = 64, memory = '256M' }\n"
		"assert(getmetatable(c) == false, 'metatable hidden')\n"
		"assert(tostring(c):match('^bs.ctx %d+ %(alive%)$'), tostring(c))\n"
		"local how, code = c:exec({ 'sh', '-c', 'exit 7' })\n"
		"assert(how == 'exit' and code == 7, how)\n"
		"how, code = c:exec({ 'sh', '-c', 'kill -TERM $$' })\n"
		"assert(how == 'signal' and code == 15, how)\n"
		"local f = io.tmpfile()\n"
		"how, code = c:exec({ 'sh', '-c', 'hostname; echo $FOO; pwd; id -u' }, { stdout = f, cwd = '/tmp',\n"
		"                   env = { FOO = 'bar', PATH = '/usr/bin' }, uid = 1000 })\n"
		"assert(how == 'exit' and code == 0)\n"
		"f:seek('set'); local out = f:read('a'); f:close()\n"
		"assert(out == 'lua\\nbar\\n/tmp\\n1000\\n', out)\n"
		"local ok, msg, err = c:exec({ '/no/such/program' })\n"
		"assert(ok == nil and msg:find('/no/such/program', 1, true) and err == 2, msg)\n"
		"how, code = c:exec({ 'sleep', '30' }, { timeout = 1 })\n"
		"assert(how == 'timeout' and code == 9, how)\n"
		"local info = c:info()\n"
		"assert(info.alive and info.id >= 0 and info.pid > 0 and info.uid_count == 65536)\n"
		"assert(info.uid_first > 0 and info.limits.time and not info.limits.memory)\n"
		"assert(info.unenforced.memory == false and info.unenforced.pids == false)\n"
		"assert(c:kill() == true and c:kill() == true)\n"
		"assert(tostring(c):match('dead'))\n"
		"ok, msg, err = c:exec({ 'true' })\n"
		"assert(ok == nil and err == 3, msg)\n"
		"c:close()\n"
		"assert(tostring(c) == 'bs.ctx (closed)')\n"
		"assert(not pcall(c.exec, c, { 'true' }))\n"
		"assert(c:kill() == true)\n"
		"return true");
	lua_close(L);
}
END_TEST

START_TEST(test_lua_close)
{
	lua_State *L;
	pid_t pid;

	NEED_CTX();
	L = lua_with_globals();
	/* <close> kills the context at the end of the block */
	run_lua(L,
		"local bs = require 'bs'\n"
		"local pid\n"
		"do\n"
		"  local c <close> = bs.ctx.create{ root = ROOT, binds = BINDS }\n"
		"  pid = c:info().pid\n"
		"  c:exec({ 'sh', '-c', 'setsid sleep 987604 >/dev/null 2>&1 &' }, { keep_orphans = true })\n"
		"end\n"
		"return pid");
	pid = (pid_t)lua_tointeger(L, -1);
	lua_pop(L, 1);
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(host_procs_with_arg("987604", NULL), 0);
	ck_assert_int_ne(kill(pid, 0), 0);
	/* and __gc does when the object is collected */
	run_lua(L,
		"local bs = require 'bs'\n"
		"local c = bs.ctx.create{ root = ROOT, binds = BINDS }\n"
		"c:exec({ 'sh', '-c', 'setsid sleep 987605 >/dev/null 2>&1 &' }, { keep_orphans = true })\n"
		"local pid = c:info().pid\n"
		"c = nil; collectgarbage(); collectgarbage()\n"
		"return pid");
	ck_assert_int_eq(host_procs_with_arg("987605", NULL), 0);
	lua_close(L);
}
END_TEST

/* Each chunk raises an error containing the text. */
static const struct {
	const char *code, *err;
} lua_misuse[] = {
	{ "bs.ctx.create()", "bad argument #1" },
	{ "bs.ctx.create{}", "'root' is required" },
	{ "bs.ctx.create{ root = ROOT, bogus = 1 }", "unknown option 'bogus'" },
	{ "bs.ctx.create{ root = ROOT, caps = { 'chown', 'warp_drive' } }", "unknown capability 'warp_drive'" },
	{ "bs.ctx.create{ root = ROOT, memory = '4Q' }", "is not a size" },
	{ "bs.ctx.create{ root = ROOT, pids = -1 }", "out of range" },
	{ "bs.ctx.create{ root = ROOT, network = true }", "'network' is false" },
	{ "bs.ctx.create{ root = ROOT, network = 'bridge' }", "'network' is false" },
	{ "bs.ctx.create{ root = ROOT, binds = { { '/usr' } } }", "needs a source and a target" },
	{ "bs.ctx.create{ root = ROOT, binds = { { '/usr', '/usr', rw = true } } }", "unknown option 'rw'" },
	{ "bs.ctx.create{ root = ROOT, env = { ['A=B'] = 'x' } }", "bad environment variable" },
	{ "bs.ctx.create{ root = ROOT, syscalls = { allow = { 1 } } }", "list of strings" },
	{ "bs.ctx.create{ root = ROOT, syscalls = { permit = {} } }", "unknown option 'permit'" },
	{ "local c <close> = bs.ctx.create{ root = ROOT, binds = BINDS }; c:exec({})", "non-empty list" },
	{ "local c <close> = bs.ctx.create{ root = ROOT, binds = BINDS }; c:exec({ 'true' }, { shell = true })",
	  "unknown option 'shell'" },
	{ "local c <close> = bs.ctx.create{ root = ROOT, binds = BINDS }; c:exec({ 'true' }, { stdout = 1 })",
	  "must be a file handle" },
	{ "local c <close> = bs.ctx.create{ root = ROOT, binds = BINDS }; c:exec({ 'true' }, { uid = 70000 })",
	  "out of range" },
	{ "bs.ctx.create{ root = ROOT }.exec(nil, {})", "bad argument #1" },
};

START_TEST(test_lua_misuse)
{
	lua_State *L;
	char code[1024];
	const char *e;

	NEED_CTX();
	L = lua_with_globals();
	snprintf(code, sizeof code, "local bs = require 'bs'; %s", lua_misuse[_i].code);
	e = lua_error_of(L, code);
	ck_assert_msg(e != NULL, "no error from: %s", lua_misuse[_i].code);
	ck_assert_msg(strstr(e, lua_misuse[_i].err), "error '%s' lacks '%s'", e, lua_misuse[_i].err);
	lua_close(L);
}
END_TEST

START_TEST(test_lua_failure)
{
	lua_State *L;

	NEED_CTX();
	L = lua_with_globals();
	/* system failures return nil, message, errno */
	expect_lua_true(L,
		"local bs = require 'bs'\n"
		"local c, msg, err = bs.ctx.create{ root = '/nonexistent-bsrun-root' }\n"
		"assert(c == nil and msg:find('nonexistent', 1, true) and err == 2, msg)\n"
		"c, msg, err = bs.ctx.create{ root = ROOT, syscalls = { deny = { 'no_such_call' } } }\n"
		"assert(c == nil and msg:find('no_such_call', 1, true) and err == 22, msg)\n"
		"return true");
	lua_close(L);
}
END_TEST

/* The first command of a context is started by its init (no exec helper,
 * no setns), later ones by migration: both get the same namespaces, cgroup,
 * ids, capabilities, NO_NEW_PRIVS, seccomp filters, signals and umask. */
/* The pid of our child process whose name is comm, or 0. */
static pid_t child_named(const char *comm)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	ck_assert_ptr_nonnull(d);
	while (!found && (e = readdir(d))) {
		char path[300], buf[512], *p;
		FILE *f;
		long pid, ppid;

		if ((pid = strtol(e->d_name, &p, 10)) <= 0 || *p)
			continue;
		snprintf(path, sizeof path, "/proc/%ld/stat", pid);
		if (!(f = fopen(path, "re")))
			continue;
		if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')) && sscanf(p + 2, "%*c %ld", &ppid) == 1 &&
		    ppid == (long)getpid() && strncmp(strchr(buf, '(') + 1, comm, strlen(comm)) == 0 &&
		    strchr(buf, '(')[1 + strlen(comm)] == ')')
			found = (pid_t)pid;
		fclose(f);
	}
	closedir(d);
	return found;
}

/* The init is bsrun-init run from the sealed memfd, forked by the zygote (a
 * child of ours); a killed zygote is replaced at the next create. */
START_TEST(test_zygote)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char path[64], exe[256];
	pid_t z, z2;
	ssize_t n;
	int st;

	NEED_CTX();
	base_opts(&o);
	c = make(&o);
	snprintf(path, sizeof path, "/proc/%d/exe", (int)bs_ctx_pid(c));
	n = readlink(path, exe, sizeof exe - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	ck_assert_msg(strncmp(exe, "/memfd:bsrun-init", 17) == 0, "init runs %s", exe);
	/* the init is our child (CLONE_PARENT), still running */
	ck_assert_int_eq(waitpid(bs_ctx_pid(c), &st, WNOHANG), 0);
	z = child_named("bsrun-zygote");
	ck_assert_int_gt(z, 0);
	bs_ctx_free(c);
	/* the memfd bsrun runs bsrun-init from is sealed: no write, no resize */
	{
		DIR *d = opendir("/proc/self/fd");
		struct dirent *e;
		int found = 0;

		ck_assert_ptr_nonnull(d);
		while ((e = readdir(d))) {
			char fdpath[300], target[256];
			ssize_t k;
			int fd = atoi(e->d_name);

			snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%s", e->d_name);
			k = readlink(fdpath, target, sizeof target - 1);
			if (k <= 0)
				continue;
			target[k] = '\0';
			if (strncmp(target, "/memfd:bsrun-init", 17) != 0)
				continue;
			found = 1;
			ck_assert_int_lt(write(fd, "x", 1), 0);
			ck_assert_int_eq(errno, EPERM);
			ck_assert_int_lt(ftruncate(fd, 0), 0);
			ck_assert_int_eq(errno, EPERM);
			ck_assert_int_eq(fcntl(fd, F_GET_SEALS) & (F_SEAL_WRITE | F_SEAL_SEAL | F_SEAL_GROW | F_SEAL_SHRINK),
					 F_SEAL_WRITE | F_SEAL_SEAL | F_SEAL_GROW | F_SEAL_SHRINK);
		}
		closedir(d);
		ck_assert_msg(found, "no bsrun-init memfd among our fds");
	}
	/* only the process that started the zygote may ask it: a child that
	 * inherited the socket (a function run in a context) is refused */
	{
		int zs = bs_init_zygote_sock(), cst;
		pid_t k;

		ck_assert_int_ge(zs, 0);
		k = fork();
		ck_assert_int_ge(k, 0);
		if (k == 0) {
			struct bs_zygote_req r = { .nsflags = CLONE_NEWUSER | CLONE_NEWNS };
			struct bs_zygote_ans a = { 0 };
			struct iovec iov = { &r, sizeof r };
			int sp[2];

			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0 ||
			    bs_send_fdsv(zs, &iov, 1, &sp[1], 1) < 0 || recv(zs, &a, sizeof a, 0) != (ssize_t)sizeof a)
				_exit(2);
			_exit(a.pid == -EPERM ? 0 : 1);
		}
		ck_assert_int_eq(waitpid(k, &cst, 0), k);
		ck_assert_msg(WIFEXITED(cst) && WEXITSTATUS(cst) == 0, "a child of ours got an init (status 0x%x)", cst);
	}
	/* a create that fails after asking the zygote (a bad cgroup name)
	 * takes its answer and reaps the init: the next create is not
	 * confused, and no child of ours but the zygote is left */
	{
		struct bs_ctx_opts bad;
		struct bs_ctx *bc = NULL;
		char err[256] = "";

		base_opts(&bad);
		bad.cgroup_parent = "no/such";
		ck_assert_int_lt(bs_ctx_create(&bad, &bc, err, sizeof err), 0);
		ck_assert_ptr_null(bc);
		ck_assert_int_eq(child_named("bsrun-init"), 0);
		c = make(&o);
		bs_ctx_free(c);
	}
	ck_assert_int_eq(kill(z, SIGKILL), 0);
	{
		/* dead (a zombie until bsrun reaps it), then the next create */
		siginfo_t si;

		memset(&si, 0, sizeof si);
		ck_assert_int_eq(waitid(P_PID, (id_t)z, &si, WEXITED | WNOWAIT), 0);
	}
	c = make(&o);
	{
		char out[64];

		ck_assert_int_eq(RUN(c, &st, out, "true"), 0);
	}
	z2 = child_named("bsrun-zygote");
	ck_assert_int_gt(z2, 0);
	ck_assert_int_ne(z2, z);
	ck_assert_int_eq(kill(z, 0), -1); /* the old one was reaped */
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_first_command)
{
	char *const state[] = { "sh", "-c",
				"grep -E '^(Uid|Gid|Groups|Cap...|NoNewPrivs|Seccomp|Seccomp_filters|SigBlk|SigIgn):' "
				"/proc/self/status; umask; cat /proc/self/cgroup; "
				"readlink /proc/self/ns/user /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/net "
				"/proc/self/ns/uts /proc/self/ns/ipc /proc/self/ns/cgroup",
				NULL };
	struct bs_ctx_opts o;
	struct bs_exec_opts eo;
	struct bs_ctx *c;
	char first[4096], second[4096], expect[64], err[512];
	int st;

	NEED_CTX();
	for (int variant = 0; variant < 2; variant++) {
		base_opts(&o);
		bs_exec_opts_init(&eo);
		if (variant == 0) {
			o.caps &= ~BS_CAP(CAP_KILL); /* init keeps it for itself, the command may not */
		} else {
			eo.uid = 1000;
			eo.gid = 1000;
		}
		c = make(&o);
		ck_assert_int_eq(run_eo(c, &eo, &st, first, sizeof first, state), 0);
		ck_assert_int_eq(st, 0);
		ck_assert_int_eq(run_eo(c, &eo, &st, second, sizeof second, state), 0);
		ck_assert_int_eq(st, 0);
		ck_assert_str_eq(first, second);
		ck_assert_msg(strstr(first, "NoNewPrivs:\t1\n") && strstr(first, "Seccomp:\t2\n") &&
				      strstr(first, "\n0022\n") && strstr(first, "SigBlk:\t0000000000000000\n"),
			      "%s", first);
		/* one seccomp filter, not one per part (Seccomp_filters: from Linux 5.10 on) */
		ck_assert_msg(!strstr(first, "Seccomp_filters:") || strstr(first, "Seccomp_filters:\t1\n"), "%s", first);
		snprintf(expect, sizeof expect, "CapBnd:\t%016" PRIx64 "\n", o.caps);
		ck_assert_msg(strstr(first, expect), "expected %s in\n%s", expect, first);
		snprintf(expect, sizeof expect, "CapEff:\t%016" PRIx64 "\n", variant ? (uint64_t)0 : o.caps);
		ck_assert_msg(strstr(first, expect), "expected %s in\n%s", expect, first);
		ck_assert_msg(strstr(first, variant ? "Uid:\t1000\t1000\t1000\t1000\n" : "Uid:\t0\t0\t0\t0\n"),
			      "%s", first);
		bs_ctx_free(c);
	}
	/* a first command that cannot start: its error, and the context lives on */
	base_opts(&o);
	c = make(&o);
	bs_exec_opts_init(&eo);
	ck_assert_int_eq(bs_ctx_exec(c, (char *const[]){ "/no/such/program", NULL }, &eo, &st, err, sizeof err),
			 -ENOENT);
	ck_assert_msg(strstr(err, "/no/such/program"), "%s", err);
	ck_assert_int_eq(RUN(c, &st, first, "/bin/true"), 0);
	ck_assert_int_eq(st, 0);
	bs_ctx_free(c);
	/* keep_orphans on the first command: its daemon outlives it until the next command */
	c = make(&o);
	bs_exec_opts_init(&eo);
	eo.keep_orphans = 1;
	ck_assert_int_eq(run_eo(c, &eo, &st, first, sizeof first,
				(char *const[]){ "sh", "-c", "(setsid sleep 987603 >/dev/null 2>&1 &) ; exit 0", NULL }),
			 0);
	/* the daemon's exec of sleep may come a moment after sh's exit; a
	 * single look could also fall between setsid(1)'s and sleep's exec */
	ck_assert_int_eq(wait_procs("987603", 1), 1);
	ck_assert_int_eq(RUN(c, &st, first, "/bin/true"), 0);
	ck_assert_int_eq(wait_procs("987603", 0), 0);
	bs_ctx_free(c);
}
END_TEST

Suite *ctx_suite(void)
{
	Suite *s = suite_create("ctx");
	TCase *tc = tcase_create("contexts");

	tcase_add_unchecked_fixture(tc, fixture_up, fixture_down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_exec_status);
	tcase_add_test(tc, test_identity);
	tcase_add_test(tc, test_two_contexts);
	tcase_add_test(tc, test_orphans_killed);
	tcase_add_test(tc, test_kill);
	tcase_add_test(tc, test_victim_unreachable);
	tcase_add_test(tc, test_host_files);
	tcase_add_test(tc, test_proc);
	tcase_add_test(tc, test_dev);
	tcase_add_test(tc, test_network);
	tcase_add_test(tc, test_pids_limit);
	tcase_add_test(tc, test_memory_limit);
	tcase_add_test(tc, test_fds_not_inherited);
	tcase_add_test(tc, test_hostname);
	tcase_add_test(tc, test_seccomp_denied);
	tcase_add_test(tc, test_seccomp_args);
	tcase_add_test(tc, test_privileges);
	tcase_add_test(tc, test_zygote);
	tcase_add_test(tc, test_first_command);
	tcase_add_test(tc, test_cwd_env);
	tcase_add_test(tc, test_timeouts);
	tcase_add_test(tc, test_create_errors);
	tcase_add_test(tc, test_single_id_map);
	tcase_add_test(tc, test_concurrent);
	suite_add_tcase(s, tc);
	tc = tcase_create("lua");
	tcase_add_unchecked_fixture(tc, fixture_up, fixture_down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lua_basics);
	tcase_add_test(tc, test_lua_close);
	tcase_add_loop_test(tc, test_lua_misuse, 0, sizeof lua_misuse / sizeof *lua_misuse);
	tcase_add_test(tc, test_lua_failure);
	suite_add_tcase(s, tc);
	return s;
}
