/* What a dead bsrun left (src/stale.c): the ownership checks first -- a live
 * owner's things are never touched -- then the removal of stale roots (with
 * a real mount when root), contexts and cgroups; and the staging directories
 * of results (src/results.c) a killed bsrun left. */
#include "reslimits.h"
#include "results.h"
#include "rmtree.h"
#include "stale.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[64];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/bsrun-stale.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	bs_remove_tree(AT_FDCWD, tmpdir);
}

/* A pid that ran and is gone (reaped). */
static pid_t dead_pid(void)
{
	pid_t p = fork();

	ck_assert_int_ge(p, 0);
	if (p == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(p, NULL, 0), p);
	return p;
}

static int exists(const char *dir, const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

static void mkd(const char *dir, const char *name)
{
	char p[512];

	snprintf(p, sizeof p, "%s/%s", dir, name);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

static void touch(const char *dir, const char *name)
{
	char p[512];
	int fd;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

struct seen {
	int n, removed;
	char last[128];
};

static void note(void *ud, const char *what, const char *name, int removed)
{
	struct seen *s = ud;

	s->n++;
	s->removed += removed;
	snprintf(s->last, sizeof s->last, "%s %s", what, name);
}

START_TEST(test_root_names)
{
	ck_assert_int_eq(bs_stale_root_owner("img-1234-0123abcd"), 1234);
	ck_assert_int_eq(bs_stale_root_owner("root-7-ffffffff"), 7);
	ck_assert_int_eq(bs_stale_root_owner("img-1234-0123abcd.kept"), 0);
	ck_assert_int_eq(bs_stale_root_owner("img-1234-0123ABCD"), 0);
	ck_assert_int_eq(bs_stale_root_owner("img-0-0123abcd"), 0);
	ck_assert_int_eq(bs_stale_root_owner("img--0123abcd"), 0);
	ck_assert_int_eq(bs_stale_root_owner("img-99999999999-0123abcd"), 0);
	ck_assert_int_eq(bs_stale_root_owner("img-12-0123abc"), 0);
	ck_assert_int_eq(bs_stale_root_owner("tmp-12-0123abcd"), 0);
	ck_assert_int_eq(bs_stale_root_owner(".."), 0);
}
END_TEST

/* the ownership check: a live process owns what it made; a dead one does
 * not; a process started after the thing was made is a reused pid */
START_TEST(test_owner_alive)
{
	ck_assert_int_eq(bs_stale_owner_alive(getpid(), 0), 1);
	ck_assert_int_eq(bs_stale_owner_alive(getpid(), time(NULL)), 1);
	ck_assert_int_eq(bs_stale_owner_alive(getppid(), time(NULL)), 1);
	ck_assert_int_eq(bs_stale_owner_alive(dead_pid(), 0), 0);
	ck_assert_int_eq(bs_stale_owner_alive(getpid(), 1000), 0); /* made in 1970: before we started */
	ck_assert_int_eq(bs_stale_owner_alive(0, 0), 0);
	ck_assert_int_eq(bs_stale_owner_alive(-1, 0), 0);
}
END_TEST

START_TEST(test_clean_roots)
{
	char live[64], dead[64], kept[64], orphan[64], outside[128], link[512], err[256];
	pid_t d = dead_pid();
	struct seen s = { 0 };
	struct stat st;

	snprintf(live, sizeof live, "img-%d-0000000a", (int)getpid());
	snprintf(dead, sizeof dead, "img-%d-0000000b", (int)d);
	snprintf(kept, sizeof kept, "root-%d-0000000c", (int)d);
	snprintf(orphan, sizeof orphan, "img-%d-0000000d.kept", (int)d);
	mkd(tmpdir, "roots");
	ck_assert_int_eq(chmod(tmpdir, 0700), 0);
	snprintf(outside, sizeof outside, "%s/secret", tmpdir);
	touch(tmpdir, "secret");
	char roots[128];

	snprintf(roots, sizeof roots, "%s/roots", tmpdir);
	mkd(roots, live);
	mkd(roots, dead);
	mkd(roots, kept);
	mkd(roots, "other");
	touch(roots, orphan);
	{
		char k[80], sub[256];

		snprintf(k, sizeof k, "%s.kept", kept);
		touch(roots, k);
		/* the dead root holds a tree with a symlink out of it */
		snprintf(sub, sizeof sub, "%s/%s", roots, dead);
		mkd(sub, "usr");
		touch(sub, "usr/file");
		snprintf(link, sizeof link, "%s/%s/usr/link", roots, dead);
		ck_assert_int_eq(symlink(outside, link), 0);
		snprintf(link, sizeof link, "%s/%s/dirlink", roots, dead);
		ck_assert_int_eq(symlink(tmpdir, link), 0);
	}

	/* a dry run finds the dead one only and removes nothing */
	ck_assert_int_eq(bs_stale_clean_roots(roots, 1, note, &s, err, sizeof err), 1);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(s.removed, 0);
	ck_assert(exists(roots, dead));

	memset(&s, 0, sizeof s);
	ck_assert_int_eq(bs_stale_clean_roots(roots, 0, note, &s, err, sizeof err), 1);
	ck_assert_int_eq(s.removed, 1);
	ck_assert(!exists(roots, dead));
	ck_assert(!exists(roots, orphan)); /* a marker whose root is gone */
	ck_assert(exists(roots, live));
	ck_assert(exists(roots, kept));
	ck_assert(exists(roots, "other"));
	ck_assert(exists(tmpdir, "secret")); /* links were removed, not followed */
	ck_assert_int_eq(stat(tmpdir, &st), 0);

	/* a missing roots directory: nothing to do */
	ck_assert_int_eq(bs_stale_clean_roots("/nonexistent/bsrun-roots", 0, note, &s, err, sizeof err), 0);
	/* a directory others may write to is not trusted */
	ck_assert_int_eq(chmod(roots, 0777), 0);
	ck_assert_int_eq(bs_stale_clean_roots(roots, 0, note, &s, err, sizeof err), -EPERM);
}
END_TEST

/* with root: a stale root's mounts are taken off (a live one's stay) */
START_TEST(test_clean_mounted_roots)
{
	char roots[128], live[64], dead[64], p[512], err[256];
	struct seen s = { 0 };

	if (geteuid() != 0) {
		fprintf(stderr, "*** SKIP %s: mounting needs root ***\n", __func__);
		return;
	}
	snprintf(roots, sizeof roots, "%s/roots", tmpdir);
	mkd(tmpdir, "roots");
	snprintf(live, sizeof live, "img-%d-0000000a", (int)getpid());
	snprintf(dead, sizeof dead, "img-%d-0000000b", (int)dead_pid());
	mkd(roots, live);
	mkd(roots, dead);
	snprintf(p, sizeof p, "%s/%s", roots, live);
	ck_assert_int_eq(mount("bsrun-test", p, "tmpfs", 0, "size=64k"), 0);
	snprintf(p, sizeof p, "%s/%s", roots, dead);
	ck_assert_int_eq(mount("bsrun-test", p, "tmpfs", 0, "size=64k"), 0);
	ck_assert_int_eq(mount("bsrun-test", p, "tmpfs", 0, "size=64k"), 0); /* stacked */
	touch(p, "upper-file");

	ck_assert_int_eq(bs_stale_clean_roots(roots, 0, note, &s, err, sizeof err), 1);
	ck_assert_int_eq(s.removed, 1);
	ck_assert(!exists(roots, dead));
	snprintf(p, sizeof p, "%s/%s", roots, live);
	/* the live one is still a mount */
	ck_assert_int_eq(umount2(p, MNT_DETACH), 0);
}
END_TEST

START_TEST(test_clean_contexts)
{
	char rundir[128], ctxdir[160], slot[200], err[256], cgparent[64];
	struct seen s = { 0 };
	struct bs_cgroup *cg = NULL;
	struct bs_limits lim = { .pids = 16 };
	struct stat st;
	int held, fd, have_cg;

	snprintf(rundir, sizeof rundir, "%s/run", tmpdir);
	snprintf(ctxdir, sizeof ctxdir, "%s/ctx", rundir);
	ck_assert_int_eq(mkdir(rundir, 0755), 0);
	ck_assert_int_eq(mkdir(ctxdir, 0755), 0);
	/* slot 5: an entry nobody holds; slot 6: one a live holder locks */
	snprintf(slot, sizeof slot, "%s/5", ctxdir);
	fd = open(slot, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_eq(write(fd, "id=5\n", 5), 5);
	close(fd);
	snprintf(slot, sizeof slot, "%s/6", ctxdir);
	held = open(slot, O_RDWR | O_CREAT, 0644);
	ck_assert_int_eq(write(held, "id=6\n", 5), 5);
	ck_assert_int_eq(flock(held, LOCK_EX), 0);
	touch(ctxdir, "5.sock");

	snprintf(cgparent, sizeof cgparent, "bsrun-test-%d", (int)getpid());
	have_cg = geteuid() == 0 && bs_cgroup_create(cgparent, "ctx-5", &lim, &cg, err, sizeof err) == 0;
	if (have_cg) {
		bs_cgroup_close(cg);
		ck_assert_int_eq(bs_cgroup_create(cgparent, "ctx-6", &lim, &cg, err, sizeof err), 0);
		bs_cgroup_close(cg);
	} else {
		fprintf(stderr, "*** SKIP %s (cgroup part): needs root and a usable cgroup ***\n", __func__);
	}

	ck_assert_int_eq(bs_stale_clean_contexts(rundir, cgparent, 1, note, &s, err, sizeof err), 1);
	ck_assert_int_eq(s.removed, 0);
	memset(&s, 0, sizeof s);
	ck_assert_int_eq(bs_stale_clean_contexts(rundir, cgparent, 0, note, &s, err, sizeof err), 1);
	snprintf(slot, sizeof slot, "%s/5", ctxdir);
	ck_assert_int_eq(stat(slot, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert(!exists(ctxdir, "5.sock"));
	ck_assert_int_eq(fstat(held, &st), 0);
	ck_assert_int_eq(st.st_size, 5); /* the live one's entry stays */
	if (have_cg) {
		ck_assert_int_eq(s.n, 2); /* cgroup and entry of slot 5 */
		ck_assert_int_eq(s.removed, 2);
		ck_assert_int_eq(bs_cgroup_open(cgparent, "ctx-5", &cg), -ENOENT);
		ck_assert_int_eq(bs_cgroup_open(cgparent, "ctx-6", &cg), 0); /* the live one's */
		bs_cgroup_close(cg);
		bs_cgroup_remove(cgparent, "ctx-6");
		ck_assert_int_eq(bs_cgroup_open(cgparent, "ctx-6", &cg), -ENOENT);
	}
	close(held);
	/* now nobody holds slot 6: it is stale too */
	memset(&s, 0, sizeof s);
	ck_assert_int_eq(bs_stale_clean_contexts(rundir, cgparent, 0, note, &s, err, sizeof err), 1);
	ck_assert_int_eq(stat(slot, &st), 0);
	snprintf(slot, sizeof slot, "%s/6", ctxdir);
	ck_assert_int_eq(stat(slot, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
}
END_TEST

/* results: a killed bsrun's staging directory is removed by the next begin
 * of the same result; a live one's (locked) and finished results stay */
START_TEST(test_results_stale_stage)
{
	char path[128], err[256];
	struct bs_results *a, *b;
	int fd;

	snprintf(path, sizeof path, "%s/out", tmpdir);
	mkd(tmpdir, ".out.partial-0badc0de");   /* killed: nobody holds it */
	touch(tmpdir, ".out.partial-0badc0de/build.log");
	mkd(tmpdir, ".other.partial-0badc0de"); /* another result's */
	mkd(tmpdir, "out.old-20260101-000000");
	ck_assert_int_eq(bs_results_begin(path, &a, err, sizeof err), 0);
	ck_assert(!exists(tmpdir, ".out.partial-0badc0de"));
	ck_assert(exists(tmpdir, ".other.partial-0badc0de"));
	ck_assert(exists(tmpdir, "out.old-20260101-000000"));
	/* a's is live: a second begin leaves it */
	fd = bs_results_create(a, "state.log");
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(bs_results_begin(path, &b, err, sizeof err), 0);
	fd = bs_results_create(a, "more.log");
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(bs_results_commit(a, NULL, 0, err, sizeof err), 0);
	ck_assert(exists(tmpdir, "out/state.log"));
	bs_results_free(a);
	bs_results_free(b);
}
END_TEST

Suite *stale_suite(void)
{
	Suite *s = suite_create("stale");
	TCase *tc = tcase_create("stale");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_root_names);
	tcase_add_test(tc, test_owner_alive);
	tcase_add_test(tc, test_clean_roots);
	tcase_add_test(tc, test_clean_mounted_roots);
	tcase_add_test(tc, test_clean_contexts);
	tcase_add_test(tc, test_results_stale_stage);
	suite_add_tcase(s, tc);
	return s;
}
