/* Safe file primitives: open_in/chdir_in, copy_out, remove_tree — normal
 * cases, every refusal, and races against an attacker swapping directories
 * and symlinks. The host canaries must never be read, written or removed. */
#include "copyout.h"
#include "fsin.h"
#include "rmtree.h"
#include "tests.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char base[64];      /* per-test temp dir */
static char rootp[128];    /* the "build root" */
static char canaryd[128];  /* host directory full of canaries */
static int rootfd = -1;

static void wfile(int dirfd, const char *name, const char *content, mode_t mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	ck_assert_msg(fd >= 0, "create %s: %s", name, strerror(errno));
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	fchmod(fd, mode);
	close(fd);
}

static char *rfile(int dirfd, const char *name)
{
	static char buf[256];
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void setup(void)
{
	int cd;

	snprintf(base, sizeof base, "/tmp/bsrun-fs.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(rootp, sizeof rootp, "%s/root", base);
	snprintf(canaryd, sizeof canaryd, "%s/canary", base);
	ck_assert_int_eq(mkdir(rootp, 0755), 0);
	ck_assert_int_eq(mkdir(canaryd, 0755), 0);
	cd = open(canaryd, O_RDONLY | O_DIRECTORY);
	wfile(cd, "secret", "HOST-SECRET", 0644);
	wfile(cd, "secret2", "HOST-SECRET", 0644);
	close(cd);
	rootfd = bs_open_root(rootp);
	ck_assert_int_ge(rootfd, 0);
}

static void teardown(void)
{
	int bfd = open("/tmp", O_RDONLY | O_DIRECTORY);

	close(rootfd);
	bs_remove_tree(bfd, base + strlen("/tmp/"));
	close(bfd);
}

/* openat2 is a kernel feature (and valgrind 3.19 does not know it): tests
 * that need it say SKIP loudly when it is missing. */
#define NEED_OPENAT2()                                                                          \
	do {                                                                                    \
		int probe_ = bs_open_in(rootfd, ".", O_PATH, 0, 0);                              \
		if (probe_ == -ENOSYS) {                                                        \
			printf("SKIP: %s: openat2 is not available here (old kernel or valgrind)\n", \
			       __func__);                                                       \
			return;                                                                 \
		}                                                                               \
		if (probe_ >= 0)                                                                \
			close(probe_);                                                          \
	} while (0)

static int canaries_intact(void)
{
	int cd = open(canaryd, O_RDONLY | O_DIRECTORY);
	char *a = cd >= 0 ? rfile(cd, "secret") : NULL;
	int ok = a && strcmp(a, "HOST-SECRET") == 0;

	a = cd >= 0 ? rfile(cd, "secret2") : NULL;
	ok = ok && a && strcmp(a, "HOST-SECRET") == 0;
	if (cd >= 0)
		close(cd);
	return ok;
}

/* --- open_in / chdir_in ------------------------------------------------------ */

START_TEST(test_open_in_normal)
{
	int fd;

	NEED_OPENAT2();

	ck_assert_int_eq(mkdirat(rootfd, "a", 0755), 0);
	fd = bs_open_in(rootfd, "a", O_RDONLY | O_DIRECTORY, 0, 0);
	ck_assert_int_ge(fd, 0);
	wfile(fd, "f", "inside", 0644);
	close(fd);
	fd = bs_open_in(rootfd, "/a/f", O_RDONLY, 0, BS_IN_NO_SYMLINKS);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = bs_open_in(rootfd, "a/new", O_WRONLY | O_CREAT | O_EXCL, 0600, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);
	ck_assert_int_eq(bs_open_in(rootfd, "", O_RDONLY, 0, 0), -ENOENT);
}
END_TEST

START_TEST(test_open_in_escapes)
{
	char target[256];

	NEED_OPENAT2();

	/* absolute symlink to the host canary, relative climbing, magic link */
	snprintf(target, sizeof target, "%s/secret", canaryd);
	ck_assert_int_eq(symlinkat(target, rootfd, "abs"), 0);
	ck_assert_int_eq(symlinkat("../../../../../../../../../../../..", rootfd, "up"), 0);
	ck_assert_int_eq(symlinkat("/proc/self/root", rootfd, "magic"), 0);
	ck_assert_int_eq(bs_open_in(rootfd, "abs", O_RDONLY, 0, 0), -ENOENT);
	ck_assert_int_eq(bs_open_in(rootfd, "abs", O_RDONLY, 0, BS_IN_NO_SYMLINKS), -ELOOP);
	snprintf(target, sizeof target, "up%s/secret", canaryd);
	ck_assert_int_eq(bs_open_in(rootfd, target, O_RDONLY, 0, 0), -ENOENT);
	snprintf(target, sizeof target, "../../../../..%s/secret", canaryd);
	ck_assert_int_eq(bs_open_in(rootfd, target, O_RDONLY, 0, 0), -ENOENT);
	snprintf(target, sizeof target, "magic%s/secret", canaryd);
	ck_assert_int_eq(bs_open_in(rootfd, target, O_RDONLY, 0, 0), -ENOENT);
	ck_assert_int_eq(bs_open_in(rootfd, "/etc/passwd", O_RDONLY, 0, 0), -ENOENT);
	/* creating through a dangling absolute symlink lands inside the root */
	ck_assert_int_eq(symlinkat("/made-by-link", rootfd, "dangling"), 0);
	{
		int fd = bs_open_in(rootfd, "dangling", O_WRONLY | O_CREAT, 0600, 0);
		struct stat st;
		if (fd >= 0)
			close(fd);
		ck_assert_int_eq(stat("/made-by-link", &st), -1);
	}
	ck_assert(canaries_intact());
}
END_TEST

START_TEST(test_chdir_in)
{
	int saved;
	struct stat a, b;

	NEED_OPENAT2();
	saved = open(".", O_PATH | O_DIRECTORY);

	ck_assert_int_eq(mkdirat(rootfd, "d", 0755), 0);
	ck_assert_int_eq(symlinkat("/", rootfd, "d/toroot"), 0);
	ck_assert_int_eq(bs_chdir_in(rootfd, "d/../../../..", 0), 0);
	ck_assert_int_eq(stat(".", &a), 0);
	ck_assert_int_eq(fstat(rootfd, &b), 0);
	ck_assert(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	ck_assert_int_eq(bs_chdir_in(rootfd, "d/toroot", 0), 0);
	ck_assert_int_eq(stat(".", &a), 0);
	ck_assert(a.st_ino == b.st_ino);
	ck_assert_int_eq(bs_chdir_in(rootfd, "d/toroot", BS_IN_NO_SYMLINKS), -ELOOP);
	ck_assert_int_eq(bs_chdir_in(rootfd, "nope", 0), -ENOENT);
	fchdir(saved);
	close(saved);
}
END_TEST

/* --- the attacker: swaps root/NAME between a real dir and a symlink ----------- */

struct swapper {
	int dirfd;
	const char *name, *other;
	volatile int stop;
	long swaps;
};

static void *swap_loop(void *arg)
{
	struct swapper *s = arg;

	while (!s->stop)
		if (renameat2(s->dirfd, s->name, s->dirfd, s->other, RENAME_EXCHANGE) == 0)
			s->swaps++;
	return NULL;
}

/* Makes dirfd/name a real directory (with file "secret" = INSIDE) and
 * dirfd/other a symlink to the host canary directory, and starts swapping. */
static pthread_t start_swapper(struct swapper *s, int dirfd, const char *name, const char *other)
{
	pthread_t t;
	int fd;

	s->dirfd = dirfd;
	s->name = name;
	s->other = other;
	s->stop = 0;
	s->swaps = 0;
	ck_assert_int_eq(mkdirat(dirfd, name, 0755), 0);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY);
	wfile(fd, "secret", "INSIDE", 0644);
	close(fd);
	ck_assert_int_eq(symlinkat(canaryd, dirfd, other), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, swap_loop, s), 0);
	return t;
}

START_TEST(test_open_in_race)
{
	struct swapper s;
	pthread_t t;
	int inside = 0;

	NEED_OPENAT2();
	t = start_swapper(&s, rootfd, "d", "d2");

	for (int i = 0; i < 20000; i++) {
		int fd = bs_open_in(rootfd, "d/secret", O_RDONLY, 0, 0);
		char buf[32] = { 0 };
		if (fd < 0)
			continue;
		ck_assert_int_ge(read(fd, buf, sizeof buf - 1), 0);
		close(fd);
		ck_assert_msg(strcmp(buf, "HOST-SECRET") != 0, "read the host canary through a swapped symlink");
		inside += strcmp(buf, "INSIDE") == 0;
	}
	s.stop = 1;
	pthread_join(t, NULL);
	ck_assert_int_gt(s.swaps, 0);
	ck_assert_int_gt(inside, 0);
	ck_assert(canaries_intact());
}
END_TEST

/* --- copy_out ------------------------------------------------------------------ */

struct warnings {
	char text[4096];
	int n;
};

static void collect(void *ud, const char *rel, const char *why)
{
	struct warnings *w = ud;
	size_t len = strlen(w->text);

	snprintf(w->text + len, sizeof w->text - len, "%s: %s\n", rel, why);
	w->n++;
}

static int make_dest(const char *name)
{
	char p[256];

	snprintf(p, sizeof p, "%s/%s", base, name);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	return open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Names of the entries of dirfd (sorted, space-separated, temp files too). */
static const char *listing(int dirfd)
{
	static char out[1024];
	struct dirent **ents;
	int n = scandirat(dirfd, ".", &ents, NULL, alphasort);

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, "..")) {
			strncat(out, ents[i]->d_name, sizeof out - strlen(out) - 2);
			strcat(out, " ");
		}
		free(ents[i]);
	}
	free(ents);
	return out;
}

START_TEST(test_copy_out_hostile_tree)
{
	struct bs_copy_limits lim = { .max_file = 1 << 20, .max_total = 10 << 20, .max_files = 100, .max_depth = 4 };
	struct warnings w = { .n = 0 };
	struct bs_copy_report rep = { .warn = collect, .ud = &w };
	char p[256];
	int res, dest = make_dest("out"), sub;
	struct stat st;

	NEED_OPENAT2();

	ck_assert_int_eq(mkdirat(rootfd, "res", 0755), 0);
	res = openat(rootfd, "res", O_RDONLY | O_DIRECTORY);
	wfile(res, "a.rpm", "package-a", 0644);
	wfile(res, "suid", "setuid-binary", 04755);
	ck_assert_int_eq(mkdirat(res, "sub", 0755), 0);
	sub = openat(res, "sub", O_RDONLY | O_DIRECTORY);
	wfile(sub, "b.rpm", "package-b", 0600);
	close(sub);
	ck_assert_int_eq(symlinkat("/etc/shadow", res, "shadow"), 0);
	snprintf(p, sizeof p, "%s/secret", canaryd);
	ck_assert_int_eq(symlinkat(p, res, "canary-link"), 0);
	ck_assert_int_eq(linkat(AT_FDCWD, p, res, "hardlink", 0), 0);
	ck_assert_int_eq(mkfifoat(res, "fifo", 0644), 0);
	if (mknodat(res, "null", S_IFCHR | 0666, makedev(1, 3)) < 0)
		wfile(res, "null-not-root", "x", 0644), printf("SKIP (partial): mknod needs root; device case not covered\n");
	{
		int fd = openat(res, "huge", O_WRONLY | O_CREAT, 0644);
		ck_assert_int_eq(ftruncate(fd, 10LL << 30), 0); /* 10 GiB sparse */
		close(fd);
	}
	wfile(res, "evil\033[2Jname", "x", 0644);
	close(res);

	ck_assert_int_eq(bs_copy_out(rootfd, "res", dest, &lim, &rep), 0);
	if (faccessat(dest, "null-not-root", F_OK, 0) == 0)
		ck_assert_str_eq(listing(dest), "a.rpm null-not-root sub suid ");
	else
		ck_assert_str_eq(listing(dest), "a.rpm sub suid ");
	ck_assert_str_eq(rfile(dest, "a.rpm"), "package-a");
	ck_assert_str_eq(rfile(dest, "sub/b.rpm"), "package-b");
	ck_assert_int_eq(fstatat(dest, "suid", &st, 0), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(fstatat(dest, "sub/b.rpm", &st, 0), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(rep.files, faccessat(dest, "null-not-root", F_OK, 0) == 0 ? 4 : 3);
	ck_assert_msg(strstr(w.text, "shadow: symbolic link\n"), "%s", w.text);
	ck_assert_msg(strstr(w.text, "canary-link: symbolic link\n"), "%s", w.text);
	ck_assert_msg(strstr(w.text, "hardlink: hard link\n"), "%s", w.text);
	ck_assert_msg(strstr(w.text, "fifo: FIFO\n"), "%s", w.text);
	ck_assert_msg(strstr(w.text, "huge: file larger than the limit\n"), "%s", w.text);
	ck_assert_msg(strstr(w.text, "evil\\x1b[2Jname: unsafe file name\n"), "%s", w.text);
	ck_assert(canaries_intact());

	/* a second copy never overwrites; with overwrite it does */
	memset(&rep, 0, sizeof rep);
	ck_assert_int_eq(bs_copy_out(rootfd, "res", dest, &lim, &rep), -EEXIST);
	ck_assert_msg(!strstr(listing(dest), ".bsrun-tmp"), "temp file left: %s", listing(dest));
	lim.overwrite = 1;
	memset(&rep, 0, sizeof rep);
	ck_assert_int_eq(bs_copy_out(rootfd, "res", dest, &lim, &rep), 0);
	close(dest);
}
END_TEST

START_TEST(test_copy_out_limits)
{
	struct bs_copy_limits lim = { .max_files = 2, .max_depth = 0 };
	struct bs_copy_report rep = { 0 };
	int res, dest = make_dest("out");

	NEED_OPENAT2();

	ck_assert_int_eq(mkdirat(rootfd, "res", 0755), 0);
	res = openat(rootfd, "res", O_RDONLY | O_DIRECTORY);
	wfile(res, "1", "one", 0644);
	wfile(res, "2", "two", 0644);
	wfile(res, "3", "three", 0644);
	ck_assert_int_eq(mkdirat(res, "deep", 0755), 0);
	close(res);
	ck_assert_int_eq(bs_copy_out(rootfd, "res", dest, &lim, &rep), -EFBIG);
	ck_assert_uint_eq(rep.files, 2);
	close(dest);

	dest = make_dest("out2");
	memset(&rep, 0, sizeof rep);
	lim = (struct bs_copy_limits){ .max_total = 7, .max_depth = 1 };
	ck_assert_int_eq(bs_copy_out(rootfd, "res", dest, &lim, &rep), -EFBIG);
	ck_assert_uint_le(rep.bytes, 7);
	ck_assert_msg(!strstr(listing(dest), ".bsrun-tmp"), "temp file left");
	close(dest);

	/* the source directory itself may not be reached through a symlink */
	ck_assert_int_eq(symlinkat("/etc", rootfd, "etclink"), 0);
	dest = make_dest("out3");
	ck_assert_int_eq(bs_copy_out(rootfd, "etclink", dest, &lim, &rep), -ELOOP);
	ck_assert_str_eq(listing(dest), "");
	close(dest);
}
END_TEST

START_TEST(test_copy_out_flatten)
{
	struct bs_copy_limits lim = { .max_depth = 3, .flatten = 1 };
	struct bs_copy_report rep = { 0 };
	int res, dest = make_dest("out");

	NEED_OPENAT2();

	ck_assert_int_eq(mkdirat(rootfd, "RPMS", 0755), 0);
	ck_assert_int_eq(mkdirat(rootfd, "RPMS/noarch", 0755), 0);
	ck_assert_int_eq(mkdirat(rootfd, "RPMS/x86_64", 0755), 0);
	res = openat(rootfd, "RPMS", O_RDONLY | O_DIRECTORY);
	wfile(res, "noarch/a.noarch.rpm", "a", 0644);
	wfile(res, "x86_64/b.x86_64.rpm", "b", 0644);
	close(res);
	ck_assert_int_eq(bs_copy_out(rootfd, "/RPMS", dest, &lim, &rep), 0);
	ck_assert_str_eq(listing(dest), "a.noarch.rpm b.x86_64.rpm ");
	close(dest);
}
END_TEST

START_TEST(test_copy_out_race)
{
	struct bs_copy_limits lim = { .max_depth = 4 };
	struct swapper s;
	pthread_t t;
	int res;

	NEED_OPENAT2();

	ck_assert_int_eq(mkdirat(rootfd, "res", 0755), 0);
	res = openat(rootfd, "res", O_RDONLY | O_DIRECTORY);
	t = start_swapper(&s, res, "d", "d2");
	for (int i = 0; i < 300; i++) {
		char name[32];
		struct bs_copy_report rep = { 0 };
		int dest;
		char *c;

		snprintf(name, sizeof name, "out%d", i);
		dest = make_dest(name);
		bs_copy_out(rootfd, "res", dest, &lim, &rep);
		c = rfile(dest, "d/secret");
		ck_assert_msg(!c || strcmp(c, "HOST-SECRET") != 0, "copied the host canary");
		c = rfile(dest, "d2/secret");
		ck_assert_msg(!c || strcmp(c, "HOST-SECRET") != 0, "copied the host canary");
		close(dest);
	}
	s.stop = 1;
	pthread_join(t, NULL);
	close(res);
	ck_assert_int_gt(s.swaps, 0);
	ck_assert(canaries_intact());
}
END_TEST

/* --- remove_tree ------------------------------------------------------------------ */

START_TEST(test_remove_tree_hostile)
{
	int bfd = open(base, O_RDONLY | O_DIRECTORY), d;

	ck_assert_int_eq(symlinkat(canaryd, rootfd, "to-canaries"), 0);
	ck_assert_int_eq(mkdirat(rootfd, "locked", 0755), 0);
	d = openat(rootfd, "locked", O_RDONLY | O_DIRECTORY);
	wfile(d, "f", "x", 0000);
	ck_assert_int_eq(mkdirat(d, "inner", 0000), 0);
	close(d);
	ck_assert_int_eq(fchmodat(rootfd, "locked", 0500, 0), 0);
	ck_assert_int_eq(mkfifoat(rootfd, "fifo", 0600), 0);
	ck_assert_int_eq(bs_remove_tree(bfd, "root"), 0);
	ck_assert_int_eq(faccessat(bfd, "root", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	ck_assert(canaries_intact());
	/* a symlink given as the top is removed, not followed */
	ck_assert_int_eq(symlinkat(canaryd, bfd, "toplink"), 0);
	ck_assert_int_eq(bs_remove_tree(bfd, "toplink"), 0);
	ck_assert(canaries_intact());
	ck_assert_int_eq(bs_remove_tree(bfd, "does-not-exist"), 0);
	close(bfd);
}
END_TEST

START_TEST(test_remove_tree_deep)
{
	int bfd = open(base, O_RDONLY | O_DIRECTORY), d = dup(rootfd);

	close(d);
	d = openat(bfd, "root", O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < 10000; i++) {
		int n;
		ck_assert_int_eq(mkdirat(d, "d", 0755), 0);
		n = openat(d, "d", O_RDONLY | O_DIRECTORY);
		if (i % 1000 == 0)
			wfile(n, "file", "x", 0444);
		close(d);
		d = n;
	}
	close(d);
	ck_assert_int_eq(bs_remove_tree(bfd, "root"), 0);
	ck_assert_int_eq(faccessat(bfd, "root", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	close(bfd);
}
END_TEST

START_TEST(test_remove_tree_race)
{
	for (int round = 0; round < 20; round++) {
		int bfd = open(base, O_RDONLY | O_DIRECTORY), d;
		struct swapper s;
		pthread_t t;
		char name[32];

		snprintf(name, sizeof name, "victim%d", round);
		ck_assert_int_eq(mkdirat(bfd, name, 0755), 0);
		d = openat(bfd, name, O_RDONLY | O_DIRECTORY);
		for (int i = 0; i < 50; i++) {
			char f[16];
			snprintf(f, sizeof f, "f%d", i);
			wfile(d, f, "x", 0644);
		}
		t = start_swapper(&s, d, "d", "d2");
		usleep(100);
		bs_remove_tree(bfd, name);
		s.stop = 1;
		pthread_join(t, NULL);
		close(d);
		ck_assert(canaries_intact());
		bs_remove_tree(bfd, name);
		close(bfd);
	}
}
END_TEST

Suite *fs_suite(void)
{
	Suite *s = suite_create("fs");
	TCase *tc = tcase_create("primitives");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_in_normal);
	tcase_add_test(tc, test_open_in_escapes);
	tcase_add_test(tc, test_chdir_in);
	tcase_add_test(tc, test_open_in_race);
	tcase_add_test(tc, test_copy_out_hostile_tree);
	tcase_add_test(tc, test_copy_out_limits);
	tcase_add_test(tc, test_copy_out_flatten);
	tcase_add_test(tc, test_copy_out_race);
	tcase_add_test(tc, test_remove_tree_hostile);
	tcase_add_test(tc, test_remove_tree_deep);
	tcase_add_test(tc, test_remove_tree_race);
	suite_add_tcase(s, tc);
	return s;
}
