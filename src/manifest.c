/* Image manifests: fd-only tree walk, owner shift, sha256 of regular files. */
#include "manifest.h"
#include "bserr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <solv/chksum.h>
#include <solv/knownid.h>
#include <solv/util.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_DEPTH 256

struct walk {
	const struct bs_mf_shift *shift;
	FILE *out;
	dev_t dev;
	uint64_t size, entries;
	char *err;
	size_t errlen;
	char path[PATH_MAX + 1]; /* relative path being visited */
	unsigned char buf[1 << 16];
};

static char type_of(mode_t m)
{
	return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b'
		: S_ISFIFO(m) ? 'p' : 's';
}

/* Path with bytes outside printable ASCII, space and '%' as %XX. */
static void put_path(FILE *out, const char *p)
{
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || c == '%')
			fprintf(out, "%%%02X", c);
		else
			putc(c, out);
	}
}

static void hex_of(Chksum *ck, char hex[65])
{
	int len = 0;
	const unsigned char *bin = solv_chksum_get(ck, &len);

	solv_bin2hex(bin, len, hex);
}

/* sha256 of a regular file, opened without following symlinks and checked
 * to be the inode the walk saw. */
static int hash_file(struct walk *w, int dfd, const char *name, const struct stat *st, char hex[65])
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC), e = 0;
	struct stat fst;
	Chksum *ck;
	ssize_t n;

	if (fd < 0)
		return bs_fail(w->err, w->errlen, errno, "open %s", w->path);
	if (fstat(fd, &fst) < 0 || fst.st_ino != st->st_ino || fst.st_dev != st->st_dev) {
		close(fd);
		return bs_failx(w->err, w->errlen, ESTALE, "%s changed during the walk", w->path);
	}
	ck = solv_chksum_create(REPOKEY_TYPE_SHA256);
	while ((n = read(fd, w->buf, sizeof w->buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			break;
		}
		solv_chksum_add(ck, w->buf, (int)n);
	}
	close(fd);
	if (!e)
		hex_of(ck, hex);
	solv_chksum_free(ck, NULL);
	return e ? bs_fail(w->err, w->errlen, e, "read %s", w->path) : 0;
}

static int shift_one(const struct bs_mf_shift *s, uint32_t id, const struct stat *st, uint32_t *to)
{
	if (id - s->from < s->count) {
		*to = s->to + (id - s->from);
		return 0;
	}
	if (id - s->to < s->count && !S_ISDIR(st->st_mode) && st->st_nlink > 1) {
		*to = id; /* a hard link shifted through another name */
		return 0;
	}
	if (id == s->host_owner) {
		*to = s->to; /* made by bsrun itself: the tree, its mount points */
		return 0;
	}
	return -EPERM;
}

/* Moves the entry's owner into the image range; chown clears set-id bits,
 * so the mode is put back. dfd/name = the entry, or fd alone (the top). */
static int shift_ids(struct walk *w, int dfd, const char *name, struct stat *st, int top)
{
	uint32_t nu, ng;

	if (shift_one(w->shift, st->st_uid, st, &nu) < 0 || shift_one(w->shift, st->st_gid, st, &ng) < 0)
		return bs_failx(w->err, w->errlen, EPERM, "%s: owner %u:%u is outside the build's id range", w->path,
				(unsigned)st->st_uid, (unsigned)st->st_gid);
	if (nu == st->st_uid && ng == st->st_gid)
		return 0;
	if (fchownat(dfd, name, nu, ng, AT_SYMLINK_NOFOLLOW | (top ? AT_EMPTY_PATH : 0)) < 0)
		return bs_fail(w->err, w->errlen, errno, "chown %s", w->path);
	if (!S_ISLNK(st->st_mode) && (st->st_mode & 06000) &&
	    (top ? fchmod(dfd, st->st_mode & 07777) : fchmodat(dfd, name, st->st_mode & 07777, 0)) < 0)
		return bs_fail(w->err, w->errlen, errno, "chmod %s", w->path);
	st->st_uid = nu;
	st->st_gid = ng;
	return 0;
}

static int emit(struct walk *w, int dfd, const char *name, const struct stat *st)
{
	char hex[65] = "-";
	uint64_t size = 0;
	int ret;

	if (S_ISREG(st->st_mode)) {
		if ((ret = hash_file(w, dfd, name, st, hex)) < 0)
			return ret;
		size = (uint64_t)st->st_size;
		w->size += size;
	} else if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX + 1];
		ssize_t n = readlinkat(dfd, name, target, sizeof target - 1);
		Chksum *ck;

		if (n < 0)
			return bs_fail(w->err, w->errlen, errno, "readlink %s", w->path);
		ck = solv_chksum_create(REPOKEY_TYPE_SHA256);
		solv_chksum_add(ck, target, (int)n);
		hex_of(ck, hex);
		solv_chksum_free(ck, NULL);
		size = (uint64_t)n;
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		size = (uint64_t)st->st_rdev;
	}
	fprintf(w->out, "%c %04o %" PRIu32 " %" PRIu32 " %" PRIu64 " %s ", type_of(st->st_mode),
		(unsigned)(st->st_mode & 07777), (uint32_t)st->st_uid, (uint32_t)st->st_gid, size, hex);
	put_path(w->out, w->path);
	putc('\n', w->out);
	w->entries++;
	return ferror(w->out) ? bs_failx(w->err, w->errlen, EIO, "writing the manifest") : 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the directory at dfd (not . and ..). */
static int list_dir(struct walk *w, int dfd, char ***names, size_t *n)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*names = NULL;
	*n = 0;
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return bs_fail(w->err, w->errlen, errno, "opendir %s", w->path);
	}
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			char **nv = realloc(*names, (cap = cap ? cap * 2 : 32) * sizeof *nv);

			if (!nv)
				goto nomem;
			*names = nv;
		}
		if (!((*names)[*n] = strdup(de->d_name)))
			goto nomem;
		(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(*names, *n, sizeof **names, cmp_name);
	return 0;
nomem:
	closedir(d);
	return bs_fail(w->err, w->errlen, ENOMEM, "listing %s", w->path);
}

static int walk_dir(struct walk *w, int dfd, int depth)
{
	size_t plen = strlen(w->path), n = 0;
	char **names = NULL;
	int ret;

	if (depth > MAX_DEPTH)
		return bs_failx(w->err, w->errlen, ELOOP, "%s: deeper than %d levels", w->path, MAX_DEPTH);
	if ((ret = list_dir(w, dfd, &names, &n)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (plen + 1 + strlen(names[i]) >= sizeof w->path) {
			ret = bs_failx(w->err, w->errlen, ENAMETOOLONG, "%s/%s: path too long", w->path, names[i]);
			goto out;
		}
		snprintf(w->path + plen, sizeof w->path - plen, "%s%s", plen ? "/" : "", names[i]);
		if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = bs_fail(w->err, w->errlen, errno, "stat %s", w->path);
			goto out;
		}
		if (st.st_dev != w->dev) {
			ret = bs_failx(w->err, w->errlen, EXDEV, "%s: another filesystem inside the tree", w->path);
			goto out;
		}
		if (w->shift && (ret = shift_ids(w, dfd, names[i], &st, 0)) < 0)
			goto out;
		if ((ret = emit(w, dfd, names[i], &st)) < 0)
			goto out;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			struct stat sst;

			if (sub < 0) {
				ret = bs_fail(w->err, w->errlen, errno, "open %s", w->path);
				goto out;
			}
			if (fstat(sub, &sst) < 0 || sst.st_ino != st.st_ino || sst.st_dev != st.st_dev) {
				close(sub);
				ret = bs_failx(w->err, w->errlen, ESTALE, "%s changed during the walk", w->path);
				goto out;
			}
			ret = walk_dir(w, sub, depth + 1);
			close(sub);
			if (ret < 0)
				goto out;
		}
		w->path[plen] = '\0';
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

int bs_manifest_walk(int treefd, const struct bs_mf_shift *shift, FILE *out, uint64_t *size, uint64_t *entries,
		     char *err, size_t errlen)
{
	struct walk *w = calloc(1, sizeof *w);
	struct stat st;
	int ret;

	if (!w)
		return bs_fail(err, errlen, ENOMEM, "manifest");
	w->shift = shift;
	w->out = out;
	w->err = err;
	w->errlen = errlen;
	if (fstat(treefd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(w);
		return bs_failx(err, errlen, ENOTDIR, "the image tree is not a directory");
	}
	w->dev = st.st_dev;
	strcpy(w->path, ".");
	ret = shift ? shift_ids(w, treefd, "", &st, 1) : 0;
	if (ret == 0)
		ret = emit(w, treefd, "", &st);
	w->path[0] = '\0';
	if (ret == 0)
		ret = walk_dir(w, treefd, 0);
	*size = w->size;
	*entries = w->entries;
	free(w);
	return ret;
}

int bs_manifest_top(const char *line, unsigned *mode, uint32_t *uid, uint32_t *gid)
{
	char path[4];

	if (sscanf(line, "d %o %" SCNu32 " %" SCNu32 " %*u %*s %3s", mode, uid, gid, path) != 4 ||
	    strcmp(path, ".") != 0)
		return -EINVAL;
	return 0;
}
