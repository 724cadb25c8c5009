/* A build's result directory, staged and put in place in one rename. */
#include "results.h"
#include "mkdirs.h"
#include "bserr.h"
#include "rmtree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct bs_results {
	char *path;      /* final path */
	char *base;      /* its last component */
	char stage[256]; /* staging directory name in the parent */
	int parentfd;
	int dirfd;       /* staging directory; -1 after commit/abort */
	int committed;
};

int bs_results_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 200 || name[0] == '.')
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

/* Removes the staging directories ".BASE.partial-XXXXXXXX" of parentfd that
 * nobody holds: each live one stays flock'ed by its bsrun until it is put in
 * place or removed, so a lock we can take means its bsrun was killed. The
 * caller holds the parent's lock, so no staging directory is between its
 * mkdir and its lock. Finished results (other names) are never touched. */
static void remove_stale_stages(int parentfd, const char *base)
{
	char prefix[256];
	struct dirent *de;
	size_t n;
	DIR *d = bs_opendir_fd(parentfd);

	if (!d)
		return;
	n = (size_t)snprintf(prefix, sizeof prefix, ".%.200s.partial-", base);
	while ((de = readdir(d))) {
		int sfd;

		if (strncmp(de->d_name, prefix, n) != 0 || strlen(de->d_name) != n + 8 ||
		    strspn(de->d_name + n, "0123456789abcdef") != 8)
			continue;
		sfd = openat(parentfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0)
			continue;
		if (flock(sfd, LOCK_EX | LOCK_NB) == 0)
			bs_remove_tree(parentfd, de->d_name);
		close(sfd);
	}
	closedir(d);
}

int bs_results_begin(const char *path, struct bs_results **out, char *err, size_t errlen)
{
	struct bs_results *r;
	char *copy, *slash;
	const char *parent;
	int ret, locked = 0;

	*out = NULL;
	if (!path || !*path)
		return bs_failx(err, errlen, EINVAL, "result directory: empty path");
	r = calloc(1, sizeof *r);
	copy = strdup(path);
	if (!r || !copy || !(r->path = strdup(path))) {
		free(r);
		free(copy);
		return bs_failx(err, errlen, ENOMEM, "result directory: out of memory");
	}
	r->parentfd = r->dirfd = -1;
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = 0;
	slash = strrchr(copy, '/');
	parent = slash ? (slash == copy ? "/" : copy) : ".";
	r->base = strdup(slash ? slash + 1 : copy);
	if (!r->base || !*r->base || strcmp(r->base, ".") == 0 || strcmp(r->base, "..") == 0) {
		ret = bs_failx(err, errlen, EINVAL, "result directory %s: not a directory name", path);
		goto fail;
	}
	if (slash && slash != copy) {
		*slash = 0;
		ret = bs_mkdirs(copy, 0755); /* the user's own path: its symlinks are the user's */
		if (ret < 0) {
			bs_fail(err, errlen, -ret, "creating %s", copy);
			goto fail;
		}
	}
	r->parentfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->parentfd < 0) {
		ret = bs_fail(err, errlen, errno, "result directory %s: opening %s", path, parent);
		goto fail;
	}
	/* the parent's lock (where flock works) orders this against other
	 * bsruns cleaning or creating staging directories there */
	locked = flock(r->parentfd, LOCK_EX) == 0;
	if (locked)
		remove_stale_stages(r->parentfd, r->base);
	for (int tries = 0;; tries++) {
		unsigned char rnd[4];

		if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
			memset(rnd, tries, sizeof rnd);
		snprintf(r->stage, sizeof r->stage, ".%.200s.partial-%02x%02x%02x%02x", r->base, rnd[0], rnd[1],
			 rnd[2], rnd[3]);
		if (mkdirat(r->parentfd, r->stage, 0755) == 0)
			break;
		if (errno != EEXIST || tries > 100) {
			ret = bs_fail(err, errlen, errno, "result directory %s: creating a staging directory", path);
			goto fail;
		}
	}
	r->dirfd = openat(r->parentfd, r->stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->dirfd < 0) {
		ret = bs_fail(err, errlen, errno, "result directory %s: opening the staging directory", path);
		unlinkat(r->parentfd, r->stage, AT_REMOVEDIR);
		goto fail;
	}
	/* held until commit or abort: the owner mark of a live staging directory */
	flock(r->dirfd, LOCK_EX | LOCK_NB);
	if (locked)
		flock(r->parentfd, LOCK_UN);
	free(copy);
	*out = r;
	return 0;
fail:
	if (locked)
		flock(r->parentfd, LOCK_UN);
	free(copy);
	r->stage[0] = 0;
	bs_results_free(r);
	return ret;
}

int bs_results_dirfd(const struct bs_results *r)
{
	return r->dirfd;
}

const char *bs_results_path(const struct bs_results *r)
{
	return r->path;
}

int bs_results_create(struct bs_results *r, const char *name)
{
	int fd;

	if (!bs_results_name_ok(name))
		return -EINVAL;
	if (r->dirfd < 0)
		return -EBADF;
	fd = openat(r->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	return fd < 0 ? -errno : fd;
}

int bs_results_write(struct bs_results *r, const char *name, const char *data, size_t len)
{
	int fd = bs_results_create(r, name), ret = 0;

	if (fd < 0)
		return fd;
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

int bs_results_tail(struct bs_results *r, const char *name, size_t max, char **out, size_t *len)
{
	struct stat st;
	off_t from;
	size_t want, got = 0;
	char *buf;
	int fd;

	*out = NULL;
	*len = 0;
	if (!bs_results_name_ok(name))
		return -EINVAL;
	fd = openat(r->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = S_ISREG(st.st_mode) ? errno : EINVAL;
		close(fd);
		return -e;
	}
	from = st.st_size > (off_t)max ? st.st_size - (off_t)max : 0;
	want = (size_t)(st.st_size - from);
	buf = malloc(want + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < want) {
		ssize_t n = pread(fd, buf + got, want - got, from + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	*out = buf;
	*len = got;
	return 0;
}

int bs_results_commit(struct bs_results *r, char *aside, size_t asidelen, char *err, size_t errlen)
{
	struct stat st;

	if (aside && asidelen)
		aside[0] = 0;
	if (r->committed || r->dirfd < 0)
		return bs_failx(err, errlen, EINVAL, "result directory %s: already committed", r->path);
	if (fstatat(r->parentfd, r->base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		char old[300], stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
		for (int i = 0;; i++) {
			if (i == 0)
				snprintf(old, sizeof old, "%.200s.old-%s", r->base, stamp);
			else
				snprintf(old, sizeof old, "%.200s.old-%s.%d", r->base, stamp, i);
			if (renameat2(r->parentfd, r->base, r->parentfd, old, RENAME_NOREPLACE) == 0)
				break;
			if (errno != EEXIST || i > 100)
				return bs_fail(err, errlen, errno, "moving the earlier result %s aside", r->path);
		}
		if (aside && asidelen)
			snprintf(aside, asidelen, "%s", old);
	} else if (errno != ENOENT) {
		return bs_fail(err, errlen, errno, "result directory %s", r->path);
	}
	if (renameat2(r->parentfd, r->stage, r->parentfd, r->base, RENAME_NOREPLACE) < 0)
		return bs_fail(err, errlen, errno, "putting the result directory %s in place", r->path);
	close(r->dirfd);
	r->dirfd = -1;
	r->committed = 1;
	return 0;
}

void bs_results_abort(struct bs_results *r)
{
	if (!r || r->committed || r->dirfd < 0)
		return;
	close(r->dirfd);
	r->dirfd = -1;
	if (r->stage[0])
		bs_remove_tree(r->parentfd, r->stage);
}

void bs_results_free(struct bs_results *r)
{
	if (!r)
		return;
	bs_results_abort(r);
	if (r->parentfd >= 0)
		close(r->parentfd);
	free(r->path);
	free(r->base);
	free(r);
}
