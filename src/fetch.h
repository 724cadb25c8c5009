/* Downloading one URL (http, https or file) into a cache directory, verified
 * and atomically: a cache entry either is complete and checked, or absent. */
#ifndef BSRUN_FETCH_H
#define BSRUN_FETCH_H

#include <stddef.h>

/* What the downloaded bytes must be. Zeroed means "anything up to max_size". */
struct bs_fetch_want {
	const char *chksum_type; /* "sha256", "sha1", "sha512", "md5", ...; NULL: unchecked */
	const char *chksum;      /* expected digest in hex (with chksum_type) */
	long long size;          /* expected size in bytes; 0 or less: unknown */
	long long max_size;      /* refuse more bytes than this; 0: BS_FETCH_MAX_SIZE */
};

#define BS_FETCH_MAX_SIZE (8LL << 30)

/* Timeouts, in seconds: connecting, and a transfer that stalls (under
 * BS_FETCH_STALL_BYTES bytes/s for BS_FETCH_STALL_SECONDS). */
#define BS_FETCH_CONNECT_SECONDS 30L
#define BS_FETCH_STALL_SECONDS 60L
#define BS_FETCH_STALL_BYTES 1L

/* Downloads url to dir/name: the bytes go to a temporary file in dir, are
 * checked against *want (size, then checksum; want may be NULL), fsync'ed and
 * renamed over dir/name, then dir is fsync'ed. Only http, https and file URLs
 * are accepted; redirects are followed (at most 5) only to the same protocol.
 * On failure nothing is left in dir (dir/name is untouched) and err holds a
 * one-line message naming the URL. Returns 0, or:
 *   -EINVAL           bad arguments (empty or malformed url, name with '/');
 *   -EPROTONOSUPPORT  a protocol other than http, https, file (or a redirect to one);
 *   -ENOENT           the server has no such file (HTTP 404/410, missing file:// path);
 *   -ECONNREFUSED, -EHOSTUNREACH, -ETIMEDOUT, -EIO  the server cannot be reached
 *                     or failed (other HTTP errors, TLS, protocol errors);
 *   -EBADMSG          the bytes are not what *want says: truncated, wrong size,
 *                     checksum mismatch;
 *   -EFBIG            more than max_size bytes;
 *   other -errno      a local failure (creating, writing or renaming in dir).
 * The partial download is dir/.NAME.part-PID-XXXXXX; those of bsruns that
 * are gone (killed while downloading) are removed from dir first (once per
 * run of downloads into dir). */
int bs_fetch(const char *url, const char *dir, const char *name,
	     const struct bs_fetch_want *want, char *err, size_t errlen);

/* Computes the checksum of the file at path: writes its hex digest (for the
 * libsolv/rpm-md type name, e.g. "sha256") to hex. Returns 0, -EINVAL for an
 * unknown type or a too small buffer, or -errno from reading. */
int bs_fetch_file_chksum(const char *path, const char *type, char *hex, size_t hexlen);

/* The same for what is left to read of the open file fd (read to its end). */
int bs_fetch_fd_chksum(int fd, const char *type, char *hex, size_t hexlen);

/* Sets *path to the local path (percent-decoded, malloc'd) of a file:// URL
 * with an empty or "localhost" host. Returns 0, -EINVAL when url is not such
 * a URL, or -ENOMEM. */
int bs_fetch_file_url_path(const char *url, char **path);

#endif
