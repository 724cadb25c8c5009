/* openat2-based resolution inside a root. */
#include "fsin.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int bs_open_root(const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int bs_open_in(int rootfd, const char *path, int flags, mode_t mode, unsigned in_flags)
{
	struct open_how how;
	long fd;
	int tries = 0;

	if (!path || !*path)
		return -ENOENT;
	memset(&how, 0, sizeof how);
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	if (in_flags & BS_IN_NO_SYMLINKS)
		how.resolve |= RESOLVE_NO_SYMLINKS;
	if (in_flags & BS_IN_NO_XDEV)
		how.resolve |= RESOLVE_NO_XDEV;
	/* EAGAIN: a concurrent rename made the kernel give up; retry a bounded
	 * number of times so a renaming attacker cannot hold us forever */
	do
		fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
	while (fd < 0 && errno == EAGAIN && ++tries < 256);
	return fd < 0 ? -errno : (int)fd;
}

int bs_chdir_in(int rootfd, const char *path, unsigned in_flags)
{
	int fd = bs_open_in(rootfd, path, O_PATH | O_DIRECTORY, 0, in_flags);
	int r;

	if (fd < 0)
		return fd;
	r = fchdir(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}
