/* The package download cache: CACHEDIR/packages/TYPE/CHECKSUM.rpm. */
#include "pkgcache.h"
#include "mkdirs.h"
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <solv/chksum.h>
#include <solv/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The checksum names a file: it must be lowercase hex of the type's length. */
static int check_chksum(const struct bs_pkgcache_req *req, char *err, size_t errlen)
{
	Id type = req->chksum_type ? solv_chksum_str2type(req->chksum_type) : 0;
	size_t n = req->chksum ? strlen(req->chksum) : 0;

	if (!req->chksum_type || !req->chksum) {
		snprintf(err, errlen, "%s: the repository gives no checksum for %s", req->url,
			 req->nevra ? req->nevra : "the package");
		return -EINVAL;
	}
	if (!type || n != (size_t)solv_chksum_len(type) * 2 || strspn(req->chksum, "0123456789abcdef") != n ||
	    strspn(req->chksum_type, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(req->chksum_type)) {
		snprintf(err, errlen, "%s: malformed checksum for %s", req->url, req->nevra ? req->nevra : "the package");
		return -EINVAL;
	}
	return 0;
}

/* Hashes the open file fd with type; compares to hex. */
static int fd_matches(int fd, const char *type, const char *hex, char *got, size_t gotlen)
{
	int rc = bs_fetch_fd_chksum(fd, type, got, gotlen);

	return rc < 0 ? rc : strcasecmp(got, hex) == 0 ? 0 : -EBADMSG;
}

/* Opens path (no symlink, a regular file) and sets *size. */
static int open_regular(const char *path, long long *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	*size = (long long)st.st_size;
	return fd;
}

/* A file:// package: verified where it is. */
static int use_local(const struct bs_pkgcache_req *req, struct bs_pkgcache_res *res, char *err, size_t errlen)
{
	char *path = NULL, got[160];
	long long size = 0;
	int fd, rc;

	if ((rc = bs_fetch_file_url_path(req->url, &path)) < 0) {
		snprintf(err, errlen, "%s: not a local file URL", req->url);
		return rc;
	}
	if ((fd = open_regular(path, &size)) < 0) {
		rc = fd;
		snprintf(err, errlen, "%s: %s", req->url,
			 rc == -EINVAL ? "not a regular file" : rc == -ELOOP ? "a symbolic link (refused)" : strerror(-rc));
		free(path);
		return rc;
	}
	if (req->size > 0 && size != req->size) {
		rc = -EBADMSG;
		snprintf(err, errlen, "%s: size mismatch: %lld bytes, expected %lld", req->url, size, req->size);
	} else if ((rc = fd_matches(fd, req->chksum_type, req->chksum, got, sizeof got)) == -EBADMSG) {
		snprintf(err, errlen, "%s: %s checksum mismatch: got %s, expected %s", req->url, req->chksum_type,
			 got, req->chksum);
	} else if (rc < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", req->url, strerror(-rc));
	}
	close(fd);
	if (rc < 0) {
		free(path);
		return rc;
	}
	res->path = path;
	res->size = size;
	res->local = 1;
	return 0;
}

int bs_pkgcache_get(const char *cachedir, const struct bs_pkgcache_req *req,
		    struct bs_pkgcache_res *res, char *err, size_t errlen)
{
	struct bs_fetch_want want = { 0 };
	char *dir = NULL, *path = NULL, name[160];
	long long size = 0;
	int rc, fd;

	memset(res, 0, sizeof *res);
	if (!req->url || !*req->url) {
		snprintf(err, errlen, "%s: no URL", req->nevra ? req->nevra : "package");
		return -EINVAL;
	}
	if ((rc = check_chksum(req, err, errlen)) < 0)
		return rc;
	if (strncasecmp(req->url, "file:", 5) == 0)
		return use_local(req, res, err, errlen);
	if (!cachedir || cachedir[0] != '/') {
		snprintf(err, errlen, "%s: the package cache must be an absolute path", req->url);
		return -EINVAL;
	}
	snprintf(name, sizeof name, "%s.rpm", req->chksum);
	if (asprintf(&dir, "%s/packages/%s", cachedir, req->chksum_type) < 0 ||
	    asprintf(&path, "%s/%s", dir ? dir : "", name) < 0) {
		path = NULL;
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = bs_mkdirs(dir, 0755)) < 0) {
		snprintf(err, errlen, "%s: cannot create the package cache %s: %s", req->url, dir, strerror(-rc));
		goto out;
	}
	/* in the cache: named by its checksum, written only after verification;
	 * the size is checked again (cheap), the checksum not */
	if ((fd = open_regular(path, &size)) >= 0) {
		close(fd);
		if (req->size <= 0 || size == req->size) {
			res->path = path;
			res->size = size;
			res->from_cache = 1;
			path = NULL;
			rc = 0;
			goto out;
		}
		unlink(path); /* a damaged entry: fetched again */
	} else if (fd != -ENOENT) {
		rc = fd;
		snprintf(err, errlen, "%s: unusable cache entry %s: %s", req->url, path, strerror(-rc));
		goto out;
	}
	want.chksum_type = req->chksum_type;
	want.chksum = req->chksum;
	want.size = req->size;
	if ((rc = bs_fetch(req->url, dir, name, &want, err, errlen)) < 0)
		goto out;
	if ((fd = open_regular(path, &size)) < 0) {
		rc = fd;
		snprintf(err, errlen, "%s: the download vanished from %s: %s", req->url, path, strerror(-rc));
		goto out;
	}
	close(fd);
	res->path = path;
	res->size = size;
	path = NULL;
out:
	free(dir);
	free(path);
	return rc;
}
