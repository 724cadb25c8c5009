/* Packages to install, as local files: verified in place for file://
 * repositories, downloaded once into a cache keyed by their checksum for
 * http(s) ones. Functions return 0 or -errno with a one-line message in err. */
#ifndef BSRUN_PKGCACHE_H
#define BSRUN_PKGCACHE_H

#include <stddef.h>

/* One package of a solution (bs_solve's struct bs_pkg fields). */
struct bs_pkgcache_req {
	const char *nevra;        /* for messages */
	const char *url;          /* file://, http:// or https:// */
	const char *chksum_type;  /* "sha256", ... (required) */
	const char *chksum;       /* hex digest from the repository's metadata (required) */
	long long size;           /* bytes; 0 or less: unknown */
};

struct bs_pkgcache_res {
	char *path;               /* malloc'd local path of the verified package */
	long long size;           /* its size in bytes */
	int from_cache;           /* 1: an http(s) package already in the cache */
	int local;                /* 1: a file:// package used in place */
};

/* Makes the package req available as a verified local file (*res; free
 * res->path). file:// URL: the file itself (opened O_NOFOLLOW, must be a
 * regular file) after checking its size and checksum; nothing is copied.
 * http(s): CACHEDIR/packages/TYPE/CHECKSUM.rpm, reused when present with the
 * expected size (a regular file, not a symlink), else downloaded with
 * bs_fetch (temporary name, size and checksum verified, renamed into place:
 * a failed download leaves nothing behind). cachedir must be absolute; its
 * subdirectories are created. Returns 0, or -EINVAL (missing or malformed
 * checksum, bad URL, relative cachedir), -EBADMSG (checksum or size mismatch,
 * truncated download), -ENOENT, -ECONNREFUSED, ... as bs_fetch; err names the URL. */
int bs_pkgcache_get(const char *cachedir, const struct bs_pkgcache_req *req,
		    struct bs_pkgcache_res *res, char *err, size_t errlen);

#endif
