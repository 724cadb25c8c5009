/* Resolving paths strictly inside a root directory that a build controlled. */
#ifndef BSRUN_FSIN_H
#define BSRUN_FSIN_H

#include <sys/types.h>

enum {
	BS_IN_NO_SYMLINKS = 1 << 0, /* refuse any symlink on the path (ELOOP) */
	BS_IN_NO_XDEV = 1 << 1,     /* refuse crossing a mount point (EXDEV) */
};

/* Opens the host directory `path` as a root: O_PATH|O_DIRECTORY|O_NOFOLLOW|
 * O_CLOEXEC. The path itself is trusted (the caller's); everything below it is
 * not. Returns the fd or -errno. */
int bs_open_root(const char *path);

/* Opens `path` relative to rootfd as if rootfd were "/": absolute paths,
 * "..", and symlinks never leave the root (openat2 RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS, plus RESOLVE_NO_SYMLINKS / RESOLVE_NO_XDEV on
 * request). O_CLOEXEC is always added; O_CREAT honours mode. Returns the fd or
 * -errno (-ENOSYS when the kernel lacks openat2: never a weaker fallback). */
int bs_open_in(int rootfd, const char *path, int flags, mode_t mode, unsigned in_flags);

/* Changes the working directory to `path` resolved inside the root as
 * bs_open_in does (the secure chdir). Returns 0 or -errno. */
int bs_chdir_in(int rootfd, const char *path, unsigned in_flags);

#endif
