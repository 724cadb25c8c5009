/* Copying build results out of a hostile tree to the host. */
#ifndef BSRUN_COPYOUT_H
#define BSRUN_COPYOUT_H

#include <stdint.h>
#include <stddef.h>

struct bs_copy_limits {
	uint64_t max_file;  /* bytes of one file (0 = no limit) */
	uint64_t max_total; /* bytes of all files (0 = no limit) */
	uint64_t max_files; /* number of files (0 = no limit) */
	unsigned max_depth; /* directory levels below the source (0 = only its files) */
	int flatten;        /* put every file directly in the destination */
	int overwrite;      /* replace existing destination files */
};

struct bs_copy_report {
	uint64_t files, bytes, refused;
	/* called once per entry that was not copied, with its sanitized path
	 * relative to the source and the reason; may be NULL */
	void (*warn)(void *ud, const char *relpath, const char *why);
	/* called once per file copied, with its path relative to the
	 * destination, its size and the SHA-256 of the bytes copied (lowercase
	 * hex; NULL when the digest failed); may be NULL */
	void (*copied)(void *ud, const char *destpath, uint64_t size, const char *sha256);
	void *ud;
};

/* Copies the regular files below `dir` (resolved inside rootfd without
 * following any symlink) into the host directory destfd. Every source file is
 * opened with O_NOFOLLOW|O_NONBLOCK relative to verified directory fds and
 * checked with fstat against fstatat(AT_SYMLINK_NOFOLLOW); symlinks, hard-linked
 * files, FIFOs, sockets, devices, unsafe names (control characters, invalid
 * UTF-8) and files over max_file are refused and reported, not copied. Files are
 * written to a temporary name created with O_CREAT|O_EXCL|O_NOFOLLOW and renamed
 * into place (never over an existing file unless overwrite), with mode
 * rwx bits & 0755 (no setuid/setgid/sticky) and no xattrs. Returns 0, or -errno
 * for a failure that stopped the copy (-EFBIG when max_total or max_files is
 * exceeded, -EEXIST for an existing result); files copied before a failure stay. */
int bs_copy_out(int rootfd, const char *dir, int destfd, const struct bs_copy_limits *lim,
		struct bs_copy_report *rep);

#endif
