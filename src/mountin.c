/* mount_in: open_tree on the host, move_mount inside the context. */
#include "mountin.h"
#include "bserr.h"
#include "fsin.h"
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define ERR err, errlen

struct attach_arg {
	int mfd, is_dir;
	const char *target;
};

/* In the context: the root is "/" of its mount namespace. */
static int attach_inside(void *p, char *err, size_t errlen)
{
	const struct attach_arg *a = p;
	int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), r;

	if (rootfd < 0)
		return bs_fail(ERR, errno, "opening the context's root");
	r = bs_bind_attach(rootfd, a->mfd, a->target, a->is_dir, BS_IN_NO_SYMLINKS, ERR);
	close(rootfd);
	return r;
}

int bs_mount_in(struct bs_ctx *c, const char *source, const char *target, unsigned flags, char *err,
		size_t errlen)
{
	struct attach_arg a = { .mfd = -1, .target = target };
	int r;

	if (!source || source[0] != '/' || strlen(source) >= 4096)
		return bs_failx(ERR, EINVAL, "mount: source '%s' is not an absolute path", source ? source : "(null)");
	if (!target || target[0] != '/' || strlen(target) >= 4096)
		return bs_failx(ERR, EINVAL, "mount: target '%s' is not an absolute path", target ? target : "(null)");
	if (target[strspn(target, "/")] == '\0')
		return bs_failx(ERR, EINVAL, "mount: the target cannot be the context's root");
	if (flags & ~(unsigned)(BS_BIND_RO | BS_BIND_NOSUID | BS_BIND_NODEV | BS_BIND_NOEXEC | BS_BIND_RECURSIVE))
		return bs_failx(ERR, EINVAL, "mount %s: unknown flags 0x%x", source, flags);
	if (!bs_ctx_alive(c))
		return bs_failx(ERR, ESRCH, "mount %s: the context is dead", source);
	a.mfd = bs_bind_clone(source, flags | BS_BIND_NOSUID | BS_BIND_NODEV, &a.is_dir, ERR);
	if (a.mfd < 0)
		return a.mfd;
	r = bs_ctx_run_in(c, attach_inside, &a, ERR);
	close(a.mfd);
	return r;
}
