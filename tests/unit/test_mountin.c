/* mount_in: host directories mounted into live contexts (C and ctx:mount),
 * refusals, and a race against an attacker swapping the target's parent
 * for a symlink. Needs root and contexts; without them every test SKIPs. */
#include "ctx.h"
#include "fsin.h"
#include "lstate.h"
#include "mountin.h"
#include "rmtree.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char base[64];     /* /tmp/bsrun-mnt.XXXXXX */
static char rootp[128];   /* base/root: the contexts' root */
static char srcp[128];    /* base/src: the host directory mounted in */
static char canaryd[128]; /* base/canary: a host directory nothing may reach */
static struct bs_ctx *ctx;
static char why[600];

#define NEED_CTX()                                                                \
	do {                                                                      \
		if (!ctx) {                                                       \
			fprintf(stderr, "*** SKIP %s: %s ***\n", __func__, why);  \
			return;                                                   \
		}                                                                 \
	} while (0)

static void wfile(const char *dir, const char *name, const char *content)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	f = fopen(p, "w");
	ck_assert_msg(f != NULL, "%s: %s", p, strerror(errno));
	fputs(content, f);
	fclose(f);
}

static void mk(const char *dir, const char *name, mode_t mode)
{
	char p[256];

	snprintf(p, sizeof p, "%s/%s", dir, name);
	ck_assert_msg(mkdir(p, mode) == 0, "mkdir %s: %s", p, strerror(errno));
	chmod(p, mode);
}

static void setup(void)
{
	static const struct bs_bind usr = { "/usr", "/usr", BS_BIND_RO | BS_BIND_RECURSIVE | BS_BIND_NOSUID | BS_BIND_NODEV };
	struct bs_ctx_opts o;
	char err[512] = "", p[256];
	uint32_t first, count;

	ctx = NULL;
	snprintf(base, sizeof base, "/tmp/bsrun-mnt.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	chmod(base, 0755);
	snprintf(rootp, sizeof rootp, "%s/root", base);
	snprintf(srcp, sizeof srcp, "%s/src", base);
	snprintf(canaryd, sizeof canaryd, "%s/canary", base);
	mk(base, "root", 0755);
	mk(base, "src", 0777);
	mk(base, "canary", 0777); /* writable: a redirected mkdir would succeed */
	wfile(srcp, "hello", "HELLO");
	wfile(canaryd, "secret", "HOST-SECRET");
	for (const char *const *d = (const char *const[]){ "usr", "tmp", "proc", "dev", "mnt", "canary", NULL }; *d; d++)
		mk(rootp, *d, 0755);
	for (const char *const *l = (const char *const[]){ "bin", "usr/bin", "lib", "usr/lib", "lib64", "usr/lib64",
							   NULL };
	     *l; l += 2) {
		snprintf(p, sizeof p, "%s/%s", rootp, l[0]);
		ck_assert_int_eq(symlink(l[1], p), 0);
	}
	if (geteuid() != 0) {
		snprintf(why, sizeof why, "not root");
		return;
	}
	bs_ctx_opts_init(&o);
	o.root = rootp;
	o.binds = &usr;
	o.nbinds = 1;
	if (bs_ctx_create(&o, &ctx, err, sizeof err) < 0) {
		snprintf(why, sizeof why, "cannot create a context here: %s", err);
		ctx = NULL;
		return;
	}
	/* the directories a build would own are owned by root inside */
	bs_ctx_idrange(ctx, &first, &count);
	for (const char *const *d = (const char *const[]){ "mnt", "canary", NULL }; *d; d++) {
		snprintf(p, sizeof p, "%s/%s", rootp, *d);
		ck_assert_int_eq(chown(p, first, first), 0);
	}
}

static void teardown(void)
{
	int bfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	bs_ctx_free(ctx);
	ctx = NULL;
	ck_assert_int_eq(bs_remove_tree(bfd, base + strlen("/tmp/")), 0);
	close(bfd);
}

/* Runs argv in the context; returns its exit code (or 128 + signal). */
#define RUN(...) run((char *const[]){ __VA_ARGS__, NULL })
static int run(char *const argv[])
{
	struct bs_exec_opts eo;
	char err[512] = "";
	int st = 0, r;

	bs_exec_opts_init(&eo);
	eo.stderr_fd = -1;
	r = bs_ctx_exec(ctx, argv, &eo, &st, err, sizeof err);
	ck_assert_msg(r == 0, "exec %s: %s", argv[0], err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int canary_intact(void)
{
	char p[256], buf[32] = "";
	int n = 0;
	FILE *f;

	snprintf(p, sizeof p, "%s/secret", canaryd);
	f = fopen(p, "r");
	if (f) {
		n = (int)fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
	}
	buf[n > 0 ? n : 0] = '\0';
	return strcmp(buf, "HOST-SECRET") == 0;
}

/* Entries of a directory besides . and .. */
static int entries(const char *dir)
{
	char cmd[300];
	int n = -1;
	FILE *f;

	snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
	f = popen(cmd, "r");
	if (f && fscanf(f, "%d", &n) != 1)
		n = -1;
	if (f)
		pclose(f);
	return n;
}

START_TEST(test_mount_in_normal)
{
	char err[512] = "", p[256];

	NEED_CTX();
	/* read-only, onto an existing directory */
	ck_assert_msg(bs_mount_in(ctx, srcp, "/mnt", BS_BIND_RO, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(RUN("/usr/bin/grep", "-q", "HELLO", "/mnt/hello"), 0);
	ck_assert_int_ne(RUN("/usr/bin/touch", "/mnt/new"), 0);
	snprintf(p, sizeof p, "%s/new", srcp);
	ck_assert_int_ne(access(p, F_OK), 0);
	/* read-write, onto a directory it creates; writes reach the host */
	ck_assert_msg(bs_mount_in(ctx, srcp, "/tmp/rw", 0, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(RUN("/usr/bin/touch", "/tmp/rw/new"), 0);
	ck_assert_int_eq(access(p, F_OK), 0);
	/* nosuid and nodev are always on */
	ck_assert_int_eq(RUN("/usr/bin/grep", "-Eq", " /tmp/rw [^ ]*nosuid,nodev", "/proc/self/mountinfo"), 0);
	/* a file onto a file it creates */
	snprintf(p, sizeof p, "%s/hello", srcp);
	ck_assert_msg(bs_mount_in(ctx, p, "/tmp/hello.txt", BS_BIND_RO, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(RUN("/usr/bin/grep", "-q", "HELLO", "/tmp/hello.txt"), 0);
	/* noexec */
	ck_assert_msg(bs_mount_in(ctx, "/usr/bin", "/tmp/bin", BS_BIND_RO | BS_BIND_NOEXEC, err, sizeof err) == 0,
		      "%s", err);
	ck_assert_int_eq(RUN("/usr/bin/true"), 0);
	{
		struct bs_exec_opts eo;
		int st;

		bs_exec_opts_init(&eo);
		ck_assert_int_eq(bs_ctx_exec(ctx, (char *const[]){ "/tmp/bin/true", NULL }, &eo, &st, err, sizeof err),
				 -EACCES);
	}
}
END_TEST

START_TEST(test_mount_in_refusals)
{
	char err[512] = "", p[256];

	NEED_CTX();
	ck_assert_int_eq(bs_mount_in(ctx, "relative", "/mnt", 0, err, sizeof err), -EINVAL);
	ck_assert_int_eq(bs_mount_in(ctx, srcp, "mnt", 0, err, sizeof err), -EINVAL);
	ck_assert_int_eq(bs_mount_in(ctx, srcp, "//", 0, err, sizeof err), -EINVAL);
	ck_assert_int_eq(bs_mount_in(ctx, "/nonexistent-bsrun", "/mnt", 0, err, sizeof err), -ENOENT);
	ck_assert_msg(strstr(err, "/nonexistent-bsrun"), "%s", err);
	/* a symlink planted at the target, or on its path, by the build */
	snprintf(p, sizeof p, "%s/mnt/link", rootp);
	ck_assert_int_eq(symlink("/canary", p), 0);
	ck_assert_int_eq(bs_mount_in(ctx, srcp, "/mnt/link", 0, err, sizeof err), -ELOOP);
	ck_assert_int_eq(bs_mount_in(ctx, srcp, "/mnt/link/x", 0, err, sizeof err), -ELOOP);
	snprintf(p, sizeof p, "%s/mnt/up", rootp);
	ck_assert_int_eq(symlink("../../../../../../..", p), 0);
	ck_assert_int_eq(bs_mount_in(ctx, srcp, "/mnt/up/tmp", 0, err, sizeof err), -ELOOP);
	/* ".." stays inside the root */
	ck_assert_msg(bs_mount_in(ctx, srcp, "/../../../../mnt", BS_BIND_RO, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(RUN("/usr/bin/grep", "-q", "HELLO", "/mnt/hello"), 0);
	ck_assert_int_eq(entries(canaryd), 1);
	snprintf(p, sizeof p, "%s/canary", rootp);
	ck_assert_int_eq(entries(p), 0);
	/* a dead context */
	bs_ctx_kill(ctx);
	ck_assert_int_eq(bs_mount_in(ctx, srcp, "/mnt", 0, err, sizeof err), -ESRCH);
}
END_TEST

/* An attacker in the root swaps mnt/sw (a real directory) with mnt/ln (a
 * symlink to /canary inside, or to the host canary) while mount_in mounts on
 * mnt/sw/t again and again: every mount lands in the real directory, the
 * canaries never get a mount or a new entry. */
static void race(const char *link_target)
{
	char err[512] = "", p[300], q[300];
	int dfd, ok = 0, loops = 0;
	uint32_t first, count;
	pid_t att;

	snprintf(p, sizeof p, "%s/mnt/sw", rootp);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	bs_ctx_idrange(ctx, &first, &count);
	ck_assert_int_eq(chown(p, first, first), 0);
	snprintf(q, sizeof q, "%s/mnt/ln", rootp);
	ck_assert_int_eq(symlink(link_target, q), 0);
	dfd = open(rootp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	att = fork();
	ck_assert_int_ge(att, 0);
	if (att == 0) {
		for (;;)
			renameat2(dfd, "mnt/sw", dfd, "mnt/ln", RENAME_EXCHANGE);
	}
	for (int i = 0; i < 100; i++, loops++) {
		int r = bs_mount_in(ctx, srcp, "/mnt/sw/t", BS_BIND_RO, err, sizeof err);

		ck_assert_msg(r == 0 || r == -ELOOP || r == -ENOENT, "%d %s", r, err);
		ok += r == 0;
	}
	kill(att, SIGKILL);
	waitpid(att, NULL, 0);
	close(dfd);
	printf("mount_in race (%s): %d of %d mounts landed, the rest refused\n", link_target, ok, loops);
	ck_assert_int_gt(ok, 0);
	ck_assert(canary_intact());
	ck_assert_int_eq(entries(canaryd), 1);
	snprintf(p, sizeof p, "%s/canary", rootp);
	ck_assert_int_eq(entries(p), 0);
	/* inside, the only new mounts are on the real directory */
	ck_assert_int_ne(RUN("/usr/bin/grep", "-q", " /canary", "/proc/self/mountinfo"), 0);
	ck_assert_int_eq(RUN("/usr/bin/sh", "-c", "test -f /mnt/sw/t/hello || test -f /mnt/ln/t/hello"), 0);
}

START_TEST(test_mount_in_race_inside)
{
	NEED_CTX();
	race("/canary");
}
END_TEST

START_TEST(test_mount_in_race_host)
{
	NEED_CTX();
	race(canaryd);
}
END_TEST

Suite *mountin_suite(void)
{
	Suite *s = suite_create("mountin");
	TCase *tc = tcase_create("mountin");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mount_in_normal);
	tcase_add_test(tc, test_mount_in_refusals);
	tcase_add_test(tc, test_mount_in_race_inside);
	tcase_add_test(tc, test_mount_in_race_host);
	suite_add_tcase(s, tc);
	return s;
}
