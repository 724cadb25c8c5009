/* Base images and fresh overlay roots: real stores, real mounts, real
 * contexts. Needs root, overlayfs with layers by fd and idmapped mounts;
 * without them every test prints a loud SKIP line. */
#include "cachecmd.h"
#include "cli.h"
#include "ctx.h"
#include "image.h"
#include "imgstore.h"
#include "lstate.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef BSRUN_HELPERDIR
#define BSRUN_HELPERDIR "build/release/helpers"
#endif

static char tmpdir[64];    /* /tmp/bsrun-img-XXXXXX */
static char store[128];    /* tmpdir/images */
static char rootsdir[128]; /* tmpdir/roots */
static int img_ok, root_ok, ctx_ok;
static char img_why[1024], root_why[1024], ctx_why[1024];

#define NEED(ok, why)                                                                  \
	do {                                                                           \
		if (!(ok)) {                                                           \
			fprintf(stderr, "*** SKIP %s: %s ***\n", __func__, why);      \
			return;                                                        \
		}                                                                      \
	} while (0)

static void put(const char *tree, const char *name, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", tree, name);
	f = fopen(p, "w");
	ck_assert_msg(f != NULL, "fopen %s: %s", p, strerror(errno));
	fputs(text, f);
	fclose(f);
}

static void dir(const char *tree, const char *name, mode_t mode)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/%s", tree, name);
	ck_assert_msg(mkdir(p, mode) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
	chmod(p, mode);
}

/* A Debian-12-like tree: /usr is a mount point (the host's /usr is bound
 * read-only), bin, lib, lib64, sbin link into it, a few files to change. */
static void populate(const char *tree)
{
	char p[PATH_MAX];

	for (const char *const *d = (const char *const[]){ "usr", "etc", "proc", "dev", "helpers", "root", "data",
							   NULL };
	     *d; d++)
		dir(tree, *d, 0755);
	dir(tree, "tmp", 01777);
	for (const char *const *l = (const char *const[]){ "bin", "sbin", "lib", "lib64", NULL }; *l; l++) {
		char target[32];

		snprintf(target, sizeof target, "usr/%s", *l);
		snprintf(p, sizeof p, "%s/%s", tree, *l);
		ck_assert_int_eq(symlink(target, p), 0);
	}
	put(tree, "etc/os-release", "NAME=bsrun-test\n");
	put(tree, "data/lower.txt", "original\n");
	put(tree, "data/gone.txt", "to be deleted\n");
	put(tree, "data/setuid", "#!/bin/sh\n");
	snprintf(p, sizeof p, "%s/data/setuid", tree);
	chmod(p, 04755);
	{
		char a[PATH_MAX];

		snprintf(p, sizeof p, "%s/data/hardlink", tree);
		snprintf(a, sizeof a, "%s/data/lower.txt", tree);
		ck_assert_int_eq(link(a, p), 0);
	}
}

static void key_of(const char *word, char key[65])
{
	const char *parts[] = { "test", word, tmpdir };

	bs_image_key(parts, 3, key);
}

/* Builds image `word` from the fixture tree (host-made: owners in 0..65535). */
static struct bs_image *build(const char *word)
{
	struct bs_image *img = NULL;
	const char *pk[] = { "a-1-1.noarch", "b-2-1.x86_64" };
	struct bs_image_info info = { "testpol", pk, 2 };
	char key[65], err[512] = "";
	int r;

	key_of(word, key);
	r = bs_image_acquire(store, key, &img, err, sizeof err);
	ck_assert_msg(r == BS_IMAGE_BUILD, "acquire %s: %d %s", word, r, err);
	populate(bs_image_tree(img));
	r = bs_image_commit(img, 0, 65536, &info, err, sizeof err);
	ck_assert_msg(r == 0, "commit: %d %s", r, err);
	ck_assert_int_eq(bs_image_state(img), BS_IMAGE_READY);
	return img;
}

static int mounted_under(const char *prefix)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f))
		if (strstr(line, prefix))
			n++;
	fclose(f);
	return n;
}

static void fixture_up(void)
{
	struct bs_image *img = NULL;
	struct bs_root *root = NULL;
	struct bs_ctx_opts o;
	struct bs_idrange ids;
	char err[512] = "";
	int r;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/bsrun-img-XXXXXX");
	if (!mkdtemp(tmpdir))
		ck_abort_msg("mkdtemp: %s", strerror(errno));
	chmod(tmpdir, 0711);
	snprintf(store, sizeof store, "%s/images", tmpdir);
	snprintf(rootsdir, sizeof rootsdir, "%s/roots", tmpdir);
	img_ok = root_ok = ctx_ok = 0;
	snprintf(root_why, sizeof root_why, "no fresh roots here");
	snprintf(ctx_why, sizeof ctx_why, "no fresh roots here");
	if (geteuid() != 0) {
		snprintf(img_why, sizeof img_why, "not root (images shift owners and mount)");
		return;
	}
	img_ok = 1;
	/* can this kernel make a root? an image, an idmapped overlay */
	img = build("probe");
	bs_ctx_opts_init(&o);
	if (bs_ctx_reserve_ids(&o, &ids, err, sizeof err) < 0) {
		snprintf(root_why, sizeof root_why, "cannot reserve an id range: %s", err);
		bs_image_free(img);
		return;
	}
	r = bs_root_from_image(img, 1 << 20, ids.first, ids.count, rootsdir, &root, err, sizeof err);
	bs_image_free(img);
	if (r < 0) {
		bs_ns_free_range(&ids);
		snprintf(root_why, sizeof root_why, "no overlay roots over idmapped images here: %s", err);
		return;
	}
	root_ok = 1;
	/* and a context in it? */
	if (access(BSRUN_HELPERDIR, F_OK) < 0)
		snprintf(ctx_why, sizeof ctx_why, "helpers %s missing", BSRUN_HELPERDIR);
	else {
		struct bs_ctx *c = NULL;

		o.root = bs_root_path(root);
		o.ids = &ids;
		if (bs_ctx_create(&o, &c, err, sizeof err) < 0)
			snprintf(ctx_why, sizeof ctx_why, "cannot create a context here: %s", err);
		else
			ctx_ok = 1;
		bs_ctx_free(c);
	}
	bs_root_release(root);
	bs_ns_free_range(&ids);
}

static void fixture_down(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096], mp[4096];

	/* a failed test may leave its roots mounted */
	while (f && tmpdir[0] && fgets(line, sizeof line, f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strncmp(mp, tmpdir, strlen(tmpdir)) == 0)
			umount2(mp, MNT_DETACH);
	if (f)
		fclose(f);
	if (tmpdir[0])
		rm_rf(tmpdir);
}

/* ---- tests ---- */

START_TEST(test_key)
{
	const char *a[] = { "repo:abc", "pkg:bash-5.2-1.x86_64" }, *b[] = { "repo:abc", "pkg:bash-5.2-2.x86_64" };
	const char *c[] = { "repo:abcpkg:bash-5.2-1.x86_64" };
	char ka[65], ka2[65], kb[65], kc[65];

	bs_image_key(a, 2, ka);
	bs_image_key(a, 2, ka2);
	bs_image_key(b, 2, kb);
	bs_image_key(c, 1, kc);
	ck_assert_str_eq(ka, ka2);
	ck_assert_str_ne(ka, kb);
	ck_assert_str_ne(ka, kc); /* parts are separated */
	ck_assert(bs_image_key_valid(ka));
	ck_assert(!bs_image_key_valid("abc"));
	ck_assert(!bs_image_key_valid("../../../../etc/passwd"));
}
END_TEST

START_TEST(test_commit_shifts_and_checks)
{
	struct bs_image *img, *again = NULL;
	struct bs_image_meta m;
	char err[512] = "", p[PATH_MAX];
	struct stat st;
	int r;

	NEED(img_ok, img_why);
	img = build("commit");
	/* owners moved into the image range, set-id bits kept, hard links too */
	snprintf(p, sizeof p, "%s/data/setuid", bs_image_tree(img));
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert_uint_eq(st.st_uid, BS_IMAGE_IDS_FIRST);
	ck_assert_uint_eq(st.st_mode & 07777, 04755);
	snprintf(p, sizeof p, "%s/data/hardlink", bs_image_tree(img));
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert_uint_eq(st.st_uid, BS_IMAGE_IDS_FIRST);
	snprintf(p, sizeof p, "%s/bin", bs_image_tree(img));
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert_uint_eq(st.st_uid, BS_IMAGE_IDS_FIRST);
	r = bs_image_check(store, bs_image_keyof(img), &m, err, sizeof err);
	ck_assert_msg(r == 0, "%s", err);
	ck_assert_str_eq(m.policy, "testpol");
	ck_assert_uint_eq(m.npackages, 2);
	ck_assert_uint_eq(m.ids_first, BS_IMAGE_IDS_FIRST);
	ck_assert_uint_gt(m.size, 0);
	r = bs_image_verify(store, bs_image_keyof(img), err, sizeof err);
	ck_assert_msg(r == 0, "%s", err);
	/* a second acquirer finds it ready, even while the first holds it, and
	 * records the use */
	{
		struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

		snprintf(p, sizeof p, "%s/%s.lock", store, bs_image_keyof(img));
		ck_assert_int_eq(utimensat(AT_FDCWD, p, old, 0), 0);
		ck_assert_int_eq(bs_image_check(store, bs_image_keyof(img), &m, err, sizeof err), 0);
		ck_assert_int_eq(m.last_use, 1000000000);
	}
	r = bs_image_acquire(store, bs_image_keyof(img), &again, err, sizeof err);
	ck_assert_msg(r == BS_IMAGE_READY, "%d %s", r, err);
	ck_assert_int_eq(bs_image_check(store, bs_image_keyof(img), &m, err, sizeof err), 0);
	ck_assert_int_ge(m.last_use, time(NULL) - 60);
	ck_assert_str_eq(bs_image_tree(again), bs_image_tree(img));
	/* in use: not removable */
	ck_assert_int_eq(bs_image_remove(store, bs_image_keyof(img), err, sizeof err), -EBUSY);
	bs_image_free(again);
	snprintf(p, sizeof p, "%s", bs_image_keyof(img));
	bs_image_free(img);
	ck_assert_int_eq(bs_image_remove(store, p, err, sizeof err), 0);
	ck_assert_int_eq(bs_image_check(store, p, NULL, err, sizeof err), -ENOENT);
}
END_TEST

START_TEST(test_commit_refuses_foreign_owner)
{
	struct bs_image *img = NULL;
	char key[65], err[512] = "", p[PATH_MAX];
	int r;

	NEED(img_ok, img_why);
	key_of("foreign", key);
	ck_assert_int_eq(bs_image_acquire(store, key, &img, err, sizeof err), BS_IMAGE_BUILD);
	populate(bs_image_tree(img));
	snprintf(p, sizeof p, "%s/etc/os-release", bs_image_tree(img));
	ck_assert_int_eq(chown(p, 100000, 100000), 0);
	r = bs_image_commit(img, 0, 65536, NULL, err, sizeof err);
	ck_assert_int_eq(r, -EPERM);
	ck_assert_msg(strstr(err, "etc/os-release") != NULL, "%s", err);
	bs_image_free(img);
	/* nothing left: the next acquirer builds from scratch */
	ck_assert_int_eq(bs_image_check(store, key, NULL, err, sizeof err), -ENOENT);
}
END_TEST

/* N processes acquire one key at once: one builds, all end with it. */
START_TEST(test_concurrent_one_key)
{
	enum { N = 6 };
	char key[65], counter[PATH_MAX];
	pid_t pids[N];
	int built = 0;
	FILE *f;

	NEED(img_ok, img_why);
	key_of("concurrent", key);
	snprintf(counter, sizeof counter, "%s/built", tmpdir);
	unlink(counter);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			struct bs_image *img = NULL;
			char err[512];
			int r = bs_image_acquire(store, key, &img, err, sizeof err);

			if (r == BS_IMAGE_BUILD) {
				int fd = open(counter, O_WRONLY | O_CREAT | O_APPEND, 0644);

				if (write(fd, "b", 1) != 1)
					_exit(3);
				close(fd);
				populate(bs_image_tree(img));
				usleep(200000);
				r = bs_image_commit(img, 0, 65536, NULL, err, sizeof err) == 0 ? BS_IMAGE_READY : -1;
			}
			if (r != BS_IMAGE_READY) {
				fprintf(stderr, "child: %d %s\n", r, err);
				_exit(2);
			}
			r = access("/proc", F_OK); /* keep using it a moment */
			bs_image_free(img);
			_exit(r == 0 ? 0 : 4);
		}
	}
	for (int i = 0; i < N; i++) {
		int st;

		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d: status 0x%x", i, st);
	}
	f = fopen(counter, "r");
	ck_assert_ptr_nonnull(f);
	while (fgetc(f) == 'b')
		built++;
	fclose(f);
	ck_assert_int_eq(built, 1);
}
END_TEST

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* While one key is being built, another key is acquired at once, and an
 * acquirer of the first key waits for its commit. */
START_TEST(test_keys_do_not_wait)
{
	struct bs_image *img = NULL;
	char k1[65], k2[65], err[512] = "";
	int go[2], st;
	double t0, waited;
	pid_t pid;

	NEED(img_ok, img_why);
	key_of("slow", k1);
	key_of("fast", k2);
	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int r = bs_image_acquire(store, k1, &img, err, sizeof err);

		close(go[0]);
		if (r != BS_IMAGE_BUILD || write(go[1], "x", 1) != 1)
			_exit(2);
		populate(bs_image_tree(img));
		usleep(700000);
		r = bs_image_commit(img, 0, 65536, NULL, err, sizeof err);
		bs_image_free(img);
		_exit(r == 0 ? 0 : 3);
	}
	close(go[1]);
	ck_assert_int_eq(read(go[0], err, 1), 1);
	close(go[0]);
	t0 = now_s();
	ck_assert_int_eq(bs_image_acquire(store, k2, &img, err, sizeof err), BS_IMAGE_BUILD);
	ck_assert_msg(now_s() - t0 < 0.3, "another key waited %.3f s", now_s() - t0);
	bs_image_free(img);
	t0 = now_s();
	ck_assert_int_eq(bs_image_acquire(store, k1, &img, err, sizeof err), BS_IMAGE_READY);
	waited = now_s() - t0;
	ck_assert_msg(waited > 0.3, "the same key did not wait for the build (%.3f s)", waited);
	bs_image_free(img);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(st, 0);
}
END_TEST

START_TEST(test_abandoned_staging_removed)
{
	struct bs_image *img = NULL;
	char key[65], err[512] = "", p[PATH_MAX];

	NEED(img_ok, img_why);
	key_of("crashed", key);
	ck_assert_int_eq(bs_image_acquire(store, key, &img, err, sizeof err), BS_IMAGE_BUILD);
	bs_image_free(img);
	/* a crashed builder's leftovers */
	snprintf(p, sizeof p, "%s/.%s.tmp-dead0000", store, key);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	dir(p, "tree", 0755);
	ck_assert_int_eq(bs_image_acquire(store, key, &img, err, sizeof err), BS_IMAGE_BUILD);
	ck_assert_int_eq(access(p, F_OK), -1);
	bs_image_free(img);
}
END_TEST

static void pruned_cb(void *ud, const char *key, uint64_t size)
{
	char *list = ud;

	(void)size;
	strcat(list, key);
	strcat(list, " ");
}

/* The size cap: the least recently used images go first; an image in use
 * and the one to keep stay. */
START_TEST(test_prune_to_size)
{
	struct bs_image *img[3];
	const char *words[] = { "old", "mid", "new" };
	char keys[3][65], err[512] = "", removed[1024] = "", p[PATH_MAX];
	struct bs_image_meta m;
	struct timespec t[2];

	NEED(img_ok, img_why);
	/* a store of its own: the other tests' images are not part of this */
	strcat(store, "-prune");
	for (int i = 0; i < 3; i++) {
		img[i] = build(words[i]);
		key_of(words[i], keys[i]);
		/* last use: old < mid < new, an hour apart */
		snprintf(p, sizeof p, "%s/%s.lock", store, keys[i]);
		t[0].tv_sec = t[1].tv_sec = time(NULL) - (3 - i) * 3600;
		t[0].tv_nsec = t[1].tv_nsec = 0;
		ck_assert_int_eq(utimensat(AT_FDCWD, p, t, 0), 0);
	}
	ck_assert_int_eq(bs_image_check(store, keys[0], &m, err, sizeof err), 0);
	bs_image_free(img[0]);
	bs_image_free(img[1]);
	/* room for two: the oldest goes */
	ck_assert_int_eq(bs_image_prune_to(store, 2 * m.size, NULL, pruned_cb, removed, err, sizeof err), 0);
	ck_assert_msg(strstr(removed, keys[0]) && !strstr(removed, keys[1]), "%s", removed);
	ck_assert(!bs_image_present(store, keys[0]) && bs_image_present(store, keys[1]));
	/* room for none: "mid" goes, "new" is in use (pinned by img[2]) and stays */
	removed[0] = 0;
	ck_assert_int_eq(bs_image_prune_to(store, 0, NULL, pruned_cb, removed, err, sizeof err), 0);
	ck_assert_msg(strstr(removed, keys[1]) && !strstr(removed, keys[2]), "%s", removed);
	ck_assert(bs_image_present(store, keys[2]));
	bs_image_free(img[2]);
	/* keep_key stays even when unused */
	ck_assert_int_eq(bs_image_prune_to(store, 0, keys[2], NULL, NULL, err, sizeof err), 0);
	ck_assert(bs_image_present(store, keys[2]));
	ck_assert_int_eq(bs_image_prune_to(store, 0, NULL, NULL, NULL, err, sizeof err), 0);
	ck_assert(!bs_image_present(store, keys[2]));
	store[strlen(store) - strlen("-prune")] = '\0';
}
END_TEST

static void corrupt_case(const char *word, void (*spoil)(const char *dir), int cheap)
{
	struct bs_image *img = build(word), *again = NULL;
	char key[65], err[512] = "", dirp[PATH_MAX];
	int r;

	snprintf(key, sizeof key, "%s", bs_image_keyof(img));
	snprintf(dirp, sizeof dirp, "%s/%s", store, key);
	bs_image_free(img);
	spoil(dirp);
	r = bs_image_check(store, key, NULL, err, sizeof err);
	if (cheap) {
		ck_assert_msg(r == -EUCLEAN, "%s: cheap check gave %d %s", word, r, err);
		r = bs_image_acquire(store, key, &again, err, sizeof err);
		ck_assert_msg(r == -EUCLEAN, "%s: acquire gave %d %s", word, r, err);
		ck_assert_ptr_null(again);
	} else
		ck_assert_msg(r == 0, "%s: cheap check gave %d %s", word, r, err);
	r = bs_image_verify(store, key, err, sizeof err);
	ck_assert_msg(r == -EUCLEAN, "%s: verify gave %d %s", word, r, err);
	ck_assert_int_eq(bs_image_remove(store, key, err, sizeof err), 0);
}

static void spoil_file(const char *d)
{
	put(d, "tree/data/gone.txt", "tampered\n");
}

static void spoil_mode(const char *d)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/tree/etc/os-release", d);
	ck_assert_int_eq(chmod(p, 0666), 0);
}

static void spoil_new_file(const char *d)
{
	put(d, "tree/etc/planted", "x\n");
}

static void spoil_writable(const char *d)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/tree", d);
	ck_assert_int_eq(chmod(p, 0777), 0);
}

static void spoil_manifest(const char *d)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof p, "%s/manifest", d);
	fd = open(p, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "0000", 4, 27), 4); /* in the key line */
	close(fd);
}

static void spoil_no_manifest(const char *d)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/manifest", d);
	ck_assert_int_eq(unlink(p), 0);
}

START_TEST(test_corrupted_refused)
{
	NEED(img_ok, img_why);
	corrupt_case("c-file", spoil_file, 0);
	corrupt_case("c-mode", spoil_mode, 0);
	corrupt_case("c-new", spoil_new_file, 0);
	corrupt_case("c-writable", spoil_writable, 1);
	corrupt_case("c-manifest", spoil_manifest, 1);
	corrupt_case("c-nomanifest", spoil_no_manifest, 1);
}
END_TEST

/* ---- roots ---- */

static int run_in(const char *rootpath, const struct bs_idrange *ids, const char *script, char *out, size_t outlen)
{
	struct bs_bind binds[] = {
		{ "/usr", "/usr", BS_BIND_RO | BS_BIND_RECURSIVE | BS_BIND_NODEV | BS_BIND_NOSUID },
	};
	struct bs_ctx_opts o;
	struct bs_exec_opts eo;
	struct bs_ctx *c = NULL;
	char err[512] = "";
	int st = -1, r, fd = memfd_create("out", MFD_CLOEXEC);
	ssize_t n;

	bs_ctx_opts_init(&o);
	o.root = rootpath;
	o.binds = binds;
	o.nbinds = 1;
	o.ids = ids;
	r = bs_ctx_create(&o, &c, err, sizeof err);
	ck_assert_msg(r == 0, "bs_ctx_create: %d %s", r, err);
	bs_exec_opts_init(&eo);
	eo.stdout_fd = eo.stderr_fd = fd;
	r = bs_ctx_exec(c, (char *const[]){ "/bin/sh", "-c", (char *)script, NULL }, &eo, &st, err, sizeof err);
	ck_assert_msg(r == 0, "exec: %d %s", r, err);
	{
		uint32_t f, cnt;

		bs_ctx_idrange(c, &f, &cnt);
		ck_assert_uint_eq(f, ids->first);
	}
	bs_ctx_free(c);
	n = pread(fd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return st;
}

static struct bs_root *fresh(struct bs_image *img, struct bs_idrange *ids, uint64_t size)
{
	struct bs_root *root = NULL;
	struct bs_ctx_opts o;
	char err[512] = "";
	int r;

	bs_ctx_opts_init(&o);
	ck_assert_int_eq(bs_ctx_reserve_ids(&o, ids, err, sizeof err), 0);
	r = bs_root_from_image(img, size, ids->first, ids->count, rootsdir, &root, err, sizeof err);
	ck_assert_msg(r == 0, "root: %d %s", r, err);
	return root;
}

START_TEST(test_root_cannot_change_image)
{
	struct bs_image *img;
	struct bs_root *r1, *r2;
	struct bs_idrange ids1, ids2;
	char out[4096], err[512] = "", p1[512], p2[512], key[65], lower[PATH_MAX];
	struct stat st;
	int s;

	NEED(img_ok, img_why);
	NEED(root_ok, root_why);
	NEED(ctx_ok, ctx_why);
	img = build("isolation");
	snprintf(key, sizeof key, "%s", bs_image_keyof(img));
	r1 = fresh(img, &ids1, 1 << 20);
	r2 = fresh(img, &ids2, 1 << 20);
	snprintf(p1, sizeof p1, "%s", bs_root_path(r1));
	snprintf(p2, sizeof p2, "%s", bs_root_path(r2));
	ck_assert_int_eq(mounted_under(p1), 1);
	/* the image's files appear owned by the context's root */
	ck_assert_int_eq(stat(p1, &st), 0);
	ck_assert_uint_eq(st.st_uid, ids1.first);
	snprintf(lower, sizeof lower, "%s/etc/os-release", p1);
	ck_assert_int_eq(stat(lower, &st), 0);
	ck_assert_uint_eq(st.st_uid, ids1.first);
	/* a hostile build: rewrites, deletes, chmods, plants, fills the disk */
	s = run_in(p1, &ids1,
		   "id -u; stat -c 'owner=%u' /etc/os-release; echo changed > /data/lower.txt; rm /data/gone.txt; "
		   "chmod 777 /etc; echo planted > /etc/planted; echo new > /newfile; cat /data/lower.txt; "
		   "head -c 3000000 /dev/zero > /big 2>/dev/null && echo big=yes || echo big=no; rm -f /big",
		   out, sizeof out);
	ck_assert_msg(s == 0, "status %d, output:\n%s", s, out);
	ck_assert_msg(strstr(out, "owner=0\n") && strstr(out, "changed\n") && strstr(out, "big=no\n"), "output:\n%s",
		      out);
	/* the write is visible in that root only */
	snprintf(lower, sizeof lower, "%s/newfile", p1);
	ck_assert_int_eq(access(lower, F_OK), 0);
	snprintf(lower, sizeof lower, "%s/newfile", p2);
	ck_assert_int_eq(access(lower, F_OK), -1);
	/* the image is unchanged, digest for digest */
	ck_assert_msg(bs_image_verify(store, key, err, sizeof err) == 0, "%s", err);
	/* the second root sees the image, not the first root's changes */
	s = run_in(p2, &ids2, "cat /data/lower.txt /data/gone.txt; test -e /newfile && echo leak; "
			      "test -e /etc/planted && echo leak; stat -c 'mode=%a' /etc",
		   out, sizeof out);
	ck_assert_msg(s == 0 && strcmp(out, "original\nto be deleted\nmode=755\n") == 0, "status %d, output:\n%s", s,
		      out);
	ck_assert_int_eq(bs_root_release(r1), 0);
	ck_assert_int_eq(bs_root_release(r2), 0);
	bs_ns_free_range(&ids1);
	bs_ns_free_range(&ids2);
	ck_assert_int_eq(mounted_under(rootsdir), 0);
	ck_assert_int_eq(access(p1, F_OK), -1);
	ck_assert_int_eq(access(p2, F_OK), -1);
	/* no image mount left pinned either */
	ck_assert_int_eq(mounted_under(store), 0);
	bs_image_free(img);
	ck_assert_int_eq(bs_image_remove(store, key, err, sizeof err), 0);
}
END_TEST

/* Teardown of a root whose upper holds many files is quick. */
START_TEST(test_root_release_fast)
{
	struct bs_image *img;
	struct bs_root *r;
	struct bs_idrange ids;
	char p[PATH_MAX], key[65], err[512];
	double t0, dt;

	NEED(img_ok, img_why);
	NEED(root_ok, root_why);
	img = build("teardown");
	snprintf(key, sizeof key, "%s", bs_image_keyof(img));
	r = fresh(img, &ids, 256 << 20);
	for (int d = 0; d < 20; d++) {
		snprintf(p, sizeof p, "%s/tmp/d%d", bs_root_path(r), d);
		ck_assert_int_eq(mkdir(p, 0755), 0);
		for (int i = 0; i < 1000; i++) {
			int fd;

			snprintf(p, sizeof p, "%s/tmp/d%d/f%d", bs_root_path(r), d, i);
			fd = open(p, O_WRONLY | O_CREAT, 0644);
			ck_assert_int_ge(fd, 0);
			close(fd);
		}
	}
	t0 = now_s();
	ck_assert_int_eq(bs_root_release(r), 0);
	dt = now_s() - t0;
	ck_assert_msg(dt < 0.1, "release of 20000 files took %.3f s", dt);
	bs_ns_free_range(&ids);
	ck_assert_int_eq(mounted_under(rootsdir), 0);
	bs_image_free(img);
	ck_assert_int_eq(bs_image_remove(store, key, err, sizeof err), 0);
}
END_TEST

/* Runs `bsrun ARGS...` through the parser and bs_cache_command with the
 * fixture's store; stdout into out. Returns the exit code. */
static int cache_cmd(char *out, size_t outlen, const char **argv)
{
	struct bs_opts o;
	char err[512];
	int argc = 0, code, fd = memfd_create("out", MFD_CLOEXEC), saved = dup(1);
	ssize_t n;

	while (argv[argc])
		argc++;
	ck_assert_int_eq(bs_cli_parse(argc, argv, &o, err, sizeof err), 0);
	ck_assert_int_eq(o.cmd, BS_CMD_CACHE);
	setenv("BSRUN_CACHEDIR", tmpdir, 1); /* store = tmpdir/images */
	fflush(stdout);
	dup2(fd, 1);
	code = bs_cache_command(&o);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	unsetenv("BSRUN_CACHEDIR");
	bs_cli_free(&o);
	n = pread(fd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return code;
}

#define CACHE(out, ...) cache_cmd(out, sizeof(out), (const char *[]){ "bsrun", "cache", __VA_ARGS__, NULL })

START_TEST(test_cache_command)
{
	struct bs_image *good, *bad, *held;
	char out[8192], kgood[65], kbad[65], kheld[65], dirp[PATH_MAX];

	NEED(img_ok, img_why);
	good = build("cache-good");
	bad = build("cache-bad");
	held = build("cache-held");
	snprintf(kgood, sizeof kgood, "%s", bs_image_keyof(good));
	snprintf(kbad, sizeof kbad, "%s", bs_image_keyof(bad));
	snprintf(kheld, sizeof kheld, "%s", bs_image_keyof(held));
	bs_image_free(good);
	bs_image_free(bad);
	ck_assert_int_eq(CACHE(out, "list"), 0);
	ck_assert_msg(strstr(out, kgood) && strstr(out, "testpol") && strstr(out, kheld), "%s", out);
	ck_assert_int_eq(CACHE(out, "verify"), 0);
	ck_assert_msg(!strstr(out, "FAILED"), "%s", out);
	/* a modified file: verify names it and fails */
	snprintf(dirp, sizeof dirp, "%s/%s", store, kbad);
	put(dirp, "tree/etc/os-release", "NAME=evil\n");
	ck_assert_int_eq(CACHE(out, "verify"), 1);
	ck_assert_msg(strstr(out, "FAILED") && strstr(out, "etc/os-release"), "%s", out);
	ck_assert_int_eq(CACHE(out, "verify", kgood), 0);
	/* a writable tree fails the cheap check: pruned even when fresh */
	spoil_writable(dirp);
	ck_assert_int_eq(CACHE(out, "prune", "--older-than", "30"), 0);
	ck_assert_msg(strstr(out, "removed (failed its check)") && !strstr(out, kgood), "%s", out);
	ck_assert_int_eq(access(dirp, F_OK), -1);
	/* prune without age: everything not in use */
	ck_assert_int_eq(CACHE(out, "prune"), 0);
	ck_assert_msg(strstr(out, "in use, kept") && strstr(out, kgood), "%s", out);
	ck_assert_int_eq(bs_image_check(store, kgood, NULL, dirp, sizeof dirp), -ENOENT);
	ck_assert_int_eq(bs_image_check(store, kheld, NULL, dirp, sizeof dirp), 0);
	bs_image_free(held);
	ck_assert_int_eq(CACHE(out, "prune", kheld), 0);
	ck_assert_int_eq(CACHE(out, "list"), 0);
	ck_assert_msg(!strstr(out, kheld), "%s", out);
}
END_TEST

static const char *chown_to;

static int chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return lchown(path, (uid_t)strtoul(chown_to, NULL, 0), (gid_t)strtoul(chown_to, NULL, 0));
}

/* bs.image from Lua: build, commit with a context's range, a root, a context in it. */
START_TEST(test_lua_flow)
{
	lua_State *L;
	char tree[PATH_MAX];

	NEED(img_ok, img_why);
	NEED(root_ok, root_why);
	NEED(ctx_ok, ctx_why);
	L = bs_lua_new(BS_LUA_TRUSTED, BSRUN_SRCDIR);
	ck_assert_ptr_nonnull(L);
	lua_pushstring(L, store);
	lua_setglobal(L, "STORE");
	lua_pushstring(L, rootsdir);
	lua_setglobal(L, "ROOTS");
	ck_assert_str_eq(lua_error_of(L, "require('bs').image.acquire{ bogus = 1 }"),
			 "test:1: bs.image.acquire: unknown key \"bogus\"");
	run_lua(L, "local bs = require 'bs'\n"
		   "PARTS = { policy = 'p1', repos = { 'sha256:aa' }, packages = { 'z-1-1.x86_64', 'a-1-1.noarch' },\n"
		   "          macros = { '_prefix /usr' } }\n"
		   "local state, key\n"
		   "IMG, state, key = bs.image.acquire(PARTS, { store = STORE })\n"
		   "assert(state == 'build' and IMG:state() == 'build' and #key == 64, state)\n"
		   "return IMG:tree()");
	snprintf(tree, sizeof tree, "%s", lua_tostring(L, -1));
	lua_pop(L, 1);
	populate(tree);
	chown_to = "0x30000000";
	ck_assert_int_eq(nftw(tree, chown_one, 16, FTW_PHYS), 0);
	run_lua(L, "local bs = require 'bs'\n"
		   "assert(IMG:commit{ uid_first = 0x30000000, uid_count = 65536 } == true)\n"
		   "assert(IMG:state() == 'ready')\n"
		   "assert(not pcall(bs.image.root, IMG, {}))\n"
		   "local root = assert(bs.image.root(IMG, { disk = 1 << 20, rootsdir = ROOTS }))\n"
		   "assert(root.path:sub(1, #ROOTS) == ROOTS and root.uid_count == 65536)\n"
		   "local ctx = assert(bs.ctx.create{ root = root.path, ids = root,\n"
		   "  binds = { { '/usr', '/usr', ro = true, recursive = true } } })\n"
		   "assert(ctx:info().uid_first == root.uid_first)\n"
		   "local f = io.tmpfile()\n"
		   "local how, code = ctx:exec({ 'sh', '-c', 'cat /data/lower.txt; stat -c %u /etc/os-release' }, { stdout = f })\n"
		   "f:seek('set'); local out = f:read('a'); f:close()\n"
		   "assert(how == 'exit' and code == 0 and out == 'original\\n0\\n', out)\n"
		   "ctx:kill(); ctx:close()\n"
		   "local path = root.path\n"
		   "assert(root:release() == true)\n"
		   "assert(not pcall(function() return root.path end))\n"
		   "assert(io.open(path) == nil)\n"
		   "local img2, state = bs.image.acquire({ policy = 'p2', repos = { 'sha256:aa' }, macros = { '_prefix /usr' },\n"
		   "  packages = { 'a-1-1.noarch', 'z-1-1.x86_64' } }, { store = STORE })\n"
		   "assert(state == 'ready' and img2:key() == IMG:key(), state)\n"
		   "img2:close(); IMG:close()\n"
		   "assert(tostring(IMG) == 'bs.image (closed)')\n"
		   "return true");
	lua_pop(L, 1);
	lua_close(L);
	ck_assert_int_eq(mounted_under(rootsdir), 0);
}
END_TEST

Suite *image_suite(void)
{
	Suite *s = suite_create("image");
	TCase *tc = tcase_create("images");

	tcase_add_unchecked_fixture(tc, fixture_up, fixture_down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_key);
	tcase_add_test(tc, test_commit_shifts_and_checks);
	tcase_add_test(tc, test_commit_refuses_foreign_owner);
	tcase_add_test(tc, test_concurrent_one_key);
	tcase_add_test(tc, test_keys_do_not_wait);
	tcase_add_test(tc, test_abandoned_staging_removed);
	tcase_add_test(tc, test_prune_to_size);
	tcase_add_test(tc, test_corrupted_refused);
	tcase_add_test(tc, test_root_cannot_change_image);
	tcase_add_test(tc, test_root_release_fast);
	tcase_add_test(tc, test_lua_flow);
	tcase_add_test(tc, test_cache_command);
	suite_add_tcase(s, tc);
	return s;
}
