/* The image store: keys, the acquire/commit protocol, checks, removal. */
#include "image.h"
#include "mkdirs.h"
#include "bserr.h"
#include "manifest.h"
#include "rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <solv/chksum.h>
#include <solv/knownid.h>
#include <solv/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ERR err, errlen
#define MANIFEST_MAGIC "bsrun-image-manifest 1"

struct bs_image {
	char key[65];
	int state;          /* BS_IMAGE_*, 0 once failed */
	int storefd, lockfd;
	char staging[96];   /* name of the staging directory in the store (BUILD) */
	char tree[PATH_MAX + 200];
	char store[PATH_MAX];
	uint32_t ids_first, ids_count;
};

void bs_image_key(const char *const *parts, size_t n, char key[65])
{
	Chksum *ck = solv_chksum_create(REPOKEY_TYPE_SHA256);
	char fmt[32];
	const unsigned char *bin;
	int len = 0;

	snprintf(fmt, sizeof fmt, "bsrun-image %d", BS_IMAGE_FORMAT);
	solv_chksum_add(ck, fmt, (int)strlen(fmt) + 1);
	for (size_t i = 0; i < n; i++)
		solv_chksum_add(ck, parts[i], (int)strlen(parts[i]) + 1);
	bin = solv_chksum_get(ck, &len);
	solv_bin2hex(bin, len, key);
	solv_chksum_free(ck, NULL);
}

int bs_image_key_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

/* The store's directory fd: ours, not writable by anyone else. */
static int open_store(const char *store, int create, char *err, size_t errlen)
{
	struct stat st;
	int fd, ret;

	if (!store || store[0] != '/')
		return bs_failx(ERR, EINVAL, "image store '%s': not an absolute path", store ? store : "(null)");
	/* 0711 for what is created: the context that fills a staging tree runs
	 * as another uid and must reach it */
	if (create && (ret = bs_mkdirs(store, 0711)) < 0)
		return bs_fail(ERR, -ret, "image store %s", store);
	fd = open(store, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bs_fail(ERR, errno, "image store %s", store);
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(fd);
		return bs_failx(ERR, EPERM, "image store %s: not owned by this user or writable by others", store);
	}
	/* traversable, not listable: a context filling a staging tree reaches it by path */
	if (create && (st.st_mode & 0111) != 0111 && fchmod(fd, (st.st_mode | 0111) & 07777) < 0) {
		ret = bs_fail(ERR, errno, "image store %s", store);
		close(fd);
		return ret;
	}
	return fd;
}

static int read_small(int dfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

static const char *meta_val(const char *text, const char *k)
{
	size_t kl = strlen(k);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, k, kl) == 0 && p[kl] == '=')
			return p + kl + 1;
	return NULL;
}

static int check_at(int storefd, const char *key, struct bs_image_meta *m, char *err, size_t errlen)
{
	char meta[8192], head[1024], *l2, *l3;
	struct bs_image_meta mm;
	const char *v;
	struct stat st;
	unsigned mode;
	uint32_t uid, gid;
	int dfd, n;

	if (!m)
		m = &mm;
	memset(m, 0, sizeof *m);
	dfd = openat(storefd, key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return bs_fail(ERR, errno, "image %.12s", key);
	if (fstat(dfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(dfd);
		return bs_failx(ERR, EUCLEAN, "image %.12s: its directory is writable by others or not ours", key);
	}
	n = read_small(dfd, "meta", meta, sizeof meta);
	if (n < 0) {
		close(dfd);
		return bs_failx(ERR, EUCLEAN, "image %.12s: no metadata: %s", key, strerror(-n));
	}
	n = read_small(dfd, "manifest", head, sizeof head);
	if (n < 0) {
		close(dfd);
		return bs_failx(ERR, EUCLEAN, "image %.12s: no manifest: %s", key, strerror(-n));
	}
	if (fstatat(dfd, "tree", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
		close(dfd);
		return bs_failx(ERR, EUCLEAN, "image %.12s: no tree", key);
	}
	close(dfd);
	if (!(v = meta_val(meta, "format")) || atoi(v) != BS_IMAGE_FORMAT)
		return bs_failx(ERR, EUCLEAN, "image %.12s: unknown format", key);
	if (!(v = meta_val(meta, "key")) || strncmp(v, key, 64) != 0 || (v[64] != '\n' && v[64]))
		return bs_failx(ERR, EUCLEAN, "image %.12s: its metadata names another key", key);
	if (!(v = meta_val(meta, "ids")) || sscanf(v, "%" SCNu32 ":%" SCNu32, &m->ids_first, &m->ids_count) != 2)
		return bs_failx(ERR, EUCLEAN, "image %.12s: no id range in its metadata", key);
	l2 = strchr(head, '\n');
	l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
	if (!l2 || !l3 || strncmp(head, MANIFEST_MAGIC "\n", sizeof MANIFEST_MAGIC) != 0 ||
	    strncmp(l2 + 1, "key ", 4) != 0 || strncmp(l2 + 5, key, 64) != 0 || l2[69] != '\n')
		return bs_failx(ERR, EUCLEAN, "image %.12s: the manifest is not this image's", key);
	if (bs_manifest_top(l3 + 1, &mode, &uid, &gid) < 0)
		return bs_failx(ERR, EUCLEAN, "image %.12s: the manifest's first entry is not the tree", key);
	if (st.st_uid != uid || st.st_gid != gid || uid != m->ids_first || (st.st_mode & 07777) != mode ||
	    (st.st_mode & 022))
		return bs_failx(ERR, EUCLEAN,
				"image %.12s: the tree's top is %u:%u mode %04o, the manifest says %u:%u mode %04o "
				"(owned by %u, not writable by others)",
				key, (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
				(unsigned)uid, (unsigned)gid, mode, (unsigned)m->ids_first);
	snprintf(m->key, sizeof m->key, "%s", key);
	if ((v = meta_val(meta, "policy")))
		snprintf(m->policy, sizeof m->policy, "%.*s", (int)strcspn(v, "\n"), v);
	if ((v = meta_val(meta, "packages")))
		m->npackages = (unsigned)strtoul(v, NULL, 10);
	if ((v = meta_val(meta, "size")))
		m->size = strtoull(v, NULL, 10);
	if ((v = meta_val(meta, "entries")))
		m->entries = strtoull(v, NULL, 10);
	if ((v = meta_val(meta, "created")))
		m->created = (time_t)strtoll(v, NULL, 10);
	{
		char lock[80];

		snprintf(lock, sizeof lock, "%s.lock", key);
		if (fstatat(storefd, lock, &st, AT_SYMLINK_NOFOLLOW) == 0)
			m->last_use = st.st_mtime;
	}
	return 0;
}

int bs_image_check(const char *store, const char *key, struct bs_image_meta *m, char *err, size_t errlen)
{
	int sfd, ret;

	if (!bs_image_key_valid(key))
		return bs_failx(ERR, EINVAL, "'%s' is not an image key", key);
	if ((sfd = open_store(store, 0, ERR)) < 0)
		return sfd;
	ret = check_at(sfd, key, m, ERR);
	close(sfd);
	return ret;
}

static int lock_wait(int fd, int op)
{
	while (flock(fd, op) < 0)
		if (errno != EINTR || (op & LOCK_NB))
			return -errno;
	return 0;
}

/* Opens and locks KEY.lock; a lock file removed (by a prune) while we
 * waited is opened again, so everyone locks the same file. */
static int lock_key(int storefd, const char *key, int op)
{
	char name[80];

	snprintf(name, sizeof name, "%s.lock", key);
	for (int i = 0; i < 100; i++) {
		struct stat a, b;
		int fd = openat(storefd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600), r;

		if (fd < 0)
			return -errno;
		if ((r = lock_wait(fd, op)) < 0) {
			close(fd);
			return r;
		}
		if (fstat(fd, &a) == 0 && fstatat(storefd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
	return -EAGAIN;
}

/* Removes every .KEY.tmp-* (call with the key's exclusive lock held). */
static void remove_staging(int storefd, const char *key)
{
	char prefix[80];
	struct dirent *de;
	DIR *d = bs_opendir_fd(storefd);

	if (!d)
		return;
	snprintf(prefix, sizeof prefix, ".%s.tmp-", key);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			bs_remove_tree(storefd, de->d_name);
	closedir(d);
}

static void set_ready(struct bs_image *img, const struct bs_image_meta *m)
{
	img->state = BS_IMAGE_READY;
	img->ids_first = m->ids_first;
	img->ids_count = m->ids_count;
	snprintf(img->tree, sizeof img->tree, "%s/%s/tree", img->store, img->key);
	futimens(img->lockfd, NULL); /* the last use */
}

/* Waits for the right to build the image: 0 with the exclusive lock held,
 * or 1 with the shared lock held again as soon as another builder put the
 * image in place -- not after that builder's whole build, during which it
 * keeps a shared lock (a blocking upgrade would wait for that) -- or -errno
 * (-EINTR when a signal came). A failed upgrade drops our shared lock (flock
 * converts by unlocking first); the image is checked again under the lock. */
static int wait_builder(struct bs_image *img)
{
	struct timespec poll = { 0, 100 * 1000 * 1000 };
	struct stat st;

	for (;;) {
		if (flock(img->lockfd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (fstatat(img->storefd, img->key, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			int r = lock_wait(img->lockfd, LOCK_SH);

			return r < 0 ? r : 1;
		}
		if (nanosleep(&poll, NULL) < 0 && errno == EINTR)
			return -EINTR;
	}
}

static int make_staging(struct bs_image *img, char *err, size_t errlen)
{
	int sfd;

	for (int i = 0; i < 100; i++) {
		unsigned v = 0;

		if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
			v = (unsigned)rand() ^ (unsigned)getpid();
		snprintf(img->staging, sizeof img->staging, ".%s.tmp-%08x", img->key, v);
		if (mkdirat(img->storefd, img->staging, 0711) == 0)
			break;
		if (errno != EEXIST)
			return bs_fail(ERR, errno, "creating a staging directory in %s", img->store);
		img->staging[0] = '\0';
	}
	if (!img->staging[0])
		return bs_failx(ERR, EEXIST, "no free staging name in %s", img->store);
	sfd = openat(img->storefd, img->staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* the tree with the mount points a context needs (owned by us: a
	 * context's mounts cover them, nothing in it can change them) */
	if (sfd < 0 || mkdirat(sfd, "tree", 0755) < 0 || fchmodat(sfd, "tree", 0755, 0) < 0 ||
	    mkdirat(sfd, "tree/proc", 0555) < 0 || mkdirat(sfd, "tree/dev", 0755) < 0 ||
	    mkdirat(sfd, "tree/tmp", 0755) < 0 || fchmodat(sfd, "tree/tmp", 01777, 0) < 0 ||
	    fchmodat(sfd, "tree/proc", 0555, 0) < 0) {
		int e = errno;

		if (sfd >= 0)
			close(sfd);
		return bs_fail(ERR, e, "creating the staging tree in %s", img->store);
	}
	close(sfd);
	snprintf(img->tree, sizeof img->tree, "%s/%s/tree", img->store, img->staging);
	img->state = BS_IMAGE_BUILD;
	return 0;
}

int bs_image_acquire(const char *store, const char *key, struct bs_image **out, char *err, size_t errlen)
{
	struct bs_image *img;
	struct bs_image_meta m;
	int ret;

	*out = NULL;
	if (!bs_image_key_valid(key))
		return bs_failx(ERR, EINVAL, "'%s' is not an image key", key);
	if (strlen(store) + 80 >= PATH_MAX)
		return bs_failx(ERR, ENAMETOOLONG, "image store %s: path too long", store);
	img = calloc(1, sizeof *img);
	if (!img)
		return bs_fail(ERR, ENOMEM, "image");
	img->lockfd = -1;
	snprintf(img->key, sizeof img->key, "%s", key);
	snprintf(img->store, sizeof img->store, "%s", store);
	if ((img->storefd = open_store(store, 1, ERR)) < 0) {
		ret = img->storefd;
		img->storefd = -1;
		goto fail;
	}
	if ((img->lockfd = lock_key(img->storefd, key, LOCK_SH)) < 0) {
		ret = bs_fail(ERR, -img->lockfd, "locking image %.12s", key);
		goto fail;
	}
	for (;;) {
		struct stat st;

		if (fstatat(img->storefd, key, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if ((ret = check_at(img->storefd, key, &m, ERR)) < 0)
				goto fail;
			set_ready(img, &m);
			*out = img;
			return BS_IMAGE_READY;
		}
		/* missing: build it, unless someone else does (wait for them) */
		if ((ret = wait_builder(img)) < 0) {
			bs_fail(ERR, -ret, "waiting for image %.12s", key);
			goto fail;
		}
		if (ret == 1)
			continue; /* built meanwhile: shared lock held again */
		if (fstatat(img->storefd, key, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			lock_wait(img->lockfd, LOCK_SH); /* built meanwhile: a downgrade never waits */
			continue;
		}
		break;
	}
	remove_staging(img->storefd, key);
	if ((ret = make_staging(img, ERR)) < 0)
		goto fail;
	*out = img;
	return BS_IMAGE_BUILD;
fail:
	bs_image_free(img);
	return ret;
}

int bs_image_state(const struct bs_image *img)
{
	return img->state;
}

const char *bs_image_tree(const struct bs_image *img)
{
	return img->tree;
}

const char *bs_image_keyof(const struct bs_image *img)
{
	return img->key;
}

int bs_image_lockfd(const struct bs_image *img)
{
	return img->lockfd;
}

void bs_image_ids(const struct bs_image *img, uint32_t *first, uint32_t *count)
{
	*first = img->ids_first;
	*count = img->ids_count;
}

static int write_meta(int sfd, const struct bs_image *img, const struct bs_image_info *info, uint64_t size,
		      uint64_t entries, char *err, size_t errlen)
{
	int fd = openat(sfd, "meta", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	size_t np = info && info->packages ? info->npackages : 0;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return bs_fail(ERR, errno, "writing the image metadata");
	}
	fprintf(f, "format=%d\nkey=%s\nids=%" PRIu32 ":%" PRIu32 "\nsize=%" PRIu64 "\nentries=%" PRIu64
		   "\ncreated=%lld\n",
		BS_IMAGE_FORMAT, img->key, (uint32_t)BS_IMAGE_IDS_FIRST, (uint32_t)BS_IMAGE_IDS_COUNT, size, entries,
		(long long)time(NULL));
	if (info && info->policy)
		fprintf(f, "policy=%.*s\n", (int)strcspn(info->policy, "\n"), info->policy);
	fprintf(f, "packages=%zu\n", np);
	for (size_t i = 0; i < np; i++)
		fprintf(f, "package=%.*s\n", (int)strcspn(info->packages[i], "\n"), info->packages[i]);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0) {
		fclose(f);
		return bs_fail(ERR, errno ? errno : EIO, "writing the image metadata");
	}
	return fclose(f) == 0 ? 0 : bs_fail(ERR, errno, "writing the image metadata");
}

static int write_manifest(int sfd, int treefd, const struct bs_image *img, const struct bs_mf_shift *shift,
			  uint64_t *size, uint64_t *entries, char *err, size_t errlen)
{
	int fd = openat(sfd, "manifest", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444), ret;
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");

	if (!f) {
		if (fd >= 0)
			close(fd);
		return bs_fail(ERR, errno, "writing the manifest");
	}
	fprintf(f, MANIFEST_MAGIC "\nkey %s\n", img->key);
	ret = bs_manifest_walk(treefd, shift, f, size, entries, ERR);
	if (ret == 0 && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0))
		ret = bs_fail(ERR, errno ? errno : EIO, "writing the manifest");
	if (fclose(f) != 0 && ret == 0)
		ret = bs_fail(ERR, errno, "writing the manifest");
	return ret;
}

int bs_image_commit(struct bs_image *img, uint32_t src_first, uint32_t src_count, const struct bs_image_info *info,
		    char *err, size_t errlen)
{
	struct bs_mf_shift shift = { src_first, src_count, BS_IMAGE_IDS_FIRST, geteuid() };
	struct bs_image_meta m;
	uint64_t size = 0, entries = 0;
	int sfd = -1, treefd = -1, ret;

	if (img->state != BS_IMAGE_BUILD)
		return bs_failx(ERR, EINVAL, "image %.12s: not being built", img->key);
	if (src_count == 0 || src_count > BS_IMAGE_IDS_COUNT || (uint64_t)src_first + src_count > UINT32_MAX ||
	    (src_first < BS_IMAGE_IDS_FIRST + BS_IMAGE_IDS_COUNT && BS_IMAGE_IDS_FIRST < src_first + src_count))
		return bs_failx(ERR, EINVAL, "image %.12s: build id range %u+%u is not usable", img->key,
				(unsigned)src_first, (unsigned)src_count);
	sfd = openat(img->storefd, img->staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	treefd = sfd < 0 ? -1 : openat(sfd, "tree", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (treefd < 0) {
		ret = bs_fail(ERR, errno, "image %.12s: staging tree", img->key);
		goto fail;
	}
	if ((ret = write_manifest(sfd, treefd, img, &shift, &size, &entries, ERR)) < 0 ||
	    (ret = write_meta(sfd, img, info, size, entries, ERR)) < 0)
		goto fail;
	/* everything on disk before the rename makes it an image */
	if (fchmod(sfd, 0755) < 0 || syncfs(treefd) < 0 || fsync(treefd) < 0 || fsync(sfd) < 0) {
		ret = bs_fail(ERR, errno, "image %.12s: staging directory", img->key);
		goto fail;
	}
	if (renameat2(img->storefd, img->staging, img->storefd, img->key, RENAME_NOREPLACE) < 0) {
		ret = bs_fail(ERR, errno, "image %.12s: putting it in place", img->key);
		goto fail;
	}
	img->staging[0] = '\0';
	fsync(img->storefd);
	close(treefd);
	close(sfd);
	if ((ret = check_at(img->storefd, img->key, &m, ERR)) < 0) {
		img->state = 0;
		return ret;
	}
	lock_wait(img->lockfd, LOCK_SH);
	set_ready(img, &m);
	return 0;
fail:
	if (treefd >= 0)
		close(treefd);
	if (sfd >= 0)
		close(sfd);
	bs_remove_tree(img->storefd, img->staging);
	img->staging[0] = '\0';
	img->state = 0;
	return ret;
}

void bs_image_free(struct bs_image *img)
{
	if (!img)
		return;
	if (img->staging[0] && img->storefd >= 0)
		bs_remove_tree(img->storefd, img->staging);
	if (img->lockfd >= 0)
		close(img->lockfd);
	if (img->storefd >= 0)
		close(img->storefd);
	free(img);
}

/* The first line of a that differs from b (both NUL-terminated), copied
 * into line. */
static void first_difference(const char *a, const char *b, char *line, size_t len)
{
	const char *la = a;

	while (*a && *a == *b) {
		if (*a == '\n')
			la = a + 1;
		a++;
		b++;
	}
	snprintf(line, len, "%.*s", (int)strcspn(la, "\n"), la);
}

int bs_image_verify(const char *store, const char *key, char *err, size_t errlen)
{
	char *want = NULL, *have = NULL, line[512], name[80], why[400] = "";
	size_t wlen = 0, hlen = 0, skip;
	uint64_t size, entries;
	int sfd, dfd = -1, treefd = -1, ret;
	FILE *f = NULL;

	if ((ret = bs_image_check(store, key, NULL, ERR)) < 0)
		return ret;
	if ((sfd = open_store(store, 0, ERR)) < 0)
		return sfd;
	snprintf(name, sizeof name, "%s/manifest", key);
	dfd = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	snprintf(name, sizeof name, "%s/tree", key);
	treefd = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || treefd < 0 || !(f = fdopen(dfd, "r"))) {
		ret = bs_fail(ERR, errno, "image %.12s", key);
		goto out;
	}
	dfd = -1;
	/* the manifest as written */
	{
		FILE *w = open_memstream(&want, &wlen);
		char buf[65536];
		size_t n;

		if (!w) {
			ret = bs_fail(ERR, ENOMEM, "image %.12s", key);
			goto out;
		}
		while ((n = fread(buf, 1, sizeof buf, f)) > 0)
			fwrite(buf, 1, n, w);
		fclose(w);
	}
	/* the tree as it is now, after the same two header lines */
	{
		FILE *h = open_memstream(&have, &hlen);

		if (!h) {
			ret = bs_fail(ERR, ENOMEM, "image %.12s", key);
			goto out;
		}
		fprintf(h, MANIFEST_MAGIC "\nkey %s\n", key);
		ret = bs_manifest_walk(treefd, NULL, h, &size, &entries, why, sizeof why);
		fclose(h);
		if (ret < 0) {
			ret = bs_failx(ERR, EUCLEAN, "image %.12s: %s", key, why);
			goto out;
		}
	}
	if (!want || !have || strcmp(want, have) != 0) {
		skip = 0;
		first_difference(have ? have : "", want ? want : "", line, sizeof line);
		if (!line[0])
			first_difference(want ? want : "", have ? have : "", line, sizeof line), skip = 1;
		ret = bs_failx(ERR, EUCLEAN, "image %.12s: %s the manifest: %s", key,
			       skip ? "the tree lacks an entry of" : "the tree differs from", line);
	}
out:
	if (f)
		fclose(f);
	if (dfd >= 0)
		close(dfd);
	if (treefd >= 0)
		close(treefd);
	close(sfd);
	free(want);
	free(have);
	return ret;
}

int bs_image_remove(const char *store, const char *key, char *err, size_t errlen)
{
	char name[80];
	int sfd, lfd, ret = 0;

	if (!bs_image_key_valid(key))
		return bs_failx(ERR, EINVAL, "'%s' is not an image key", key);
	if ((sfd = open_store(store, 0, ERR)) < 0)
		return sfd;
	lfd = lock_key(sfd, key, LOCK_EX | LOCK_NB);
	if (lfd < 0) {
		close(sfd);
		if (lfd == -EWOULDBLOCK)
			return bs_failx(ERR, EBUSY, "image %.12s is in use", key);
		return bs_fail(ERR, -lfd, "locking image %.12s", key);
	}
	remove_staging(sfd, key);
	ret = bs_remove_tree(sfd, key);
	if (ret == -ENOENT)
		ret = 0;
	if (ret < 0)
		bs_fail(ERR, -ret, "removing image %.12s", key);
	snprintf(name, sizeof name, "%s.lock", key);
	if (ret == 0)
		unlinkat(sfd, name, 0);
	close(lfd);
	close(sfd);
	return ret;
}
