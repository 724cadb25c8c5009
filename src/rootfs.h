/* The filesystem of a context: its root, /proc, /dev, /tmp and bind mounts,
 * built with the fd-based mount API (open_tree, mount_setattr, move_mount,
 * fsopen/fsmount) and entered with pivot_root. Functions return 0 or -errno
 * with a one-line message naming the failing path in err. */
#ifndef BSRUN_ROOTFS_H
#define BSRUN_ROOTFS_H

#include <stddef.h>

enum {
	BS_BIND_RO = 1 << 0,        /* read-only (recursively with BS_BIND_RECURSIVE) */
	BS_BIND_NOSUID = 1 << 1,
	BS_BIND_NODEV = 1 << 2,
	BS_BIND_NOEXEC = 1 << 3,
	BS_BIND_RECURSIVE = 1 << 4, /* take the submounts of source along */
	BS_BIND_FILE = 1 << 5,      /* source is a file: create a file, not a dir, as mount point */
};

/* Mounts host path `source` on `target` inside the new root. */
struct bs_bind {
	const char *source; /* absolute host path */
	const char *target; /* absolute path inside the root; resolved inside it */
	unsigned flags;     /* BS_BIND_* */
};

enum {
	BS_ROOTFS_PROC_SUBSET = 1 << 0, /* /proc with subset=pid: only process directories */
	BS_ROOTFS_ROOT_RO = 1 << 1,     /* the root mount itself read-only */
	BS_ROOTFS_DEVPTS_GID5 = 1 << 2, /* gid 5 (tty) is mapped: devpts gid=5 */
};

struct bs_rootfs {
	const char *root; /* absolute host directory that becomes / */
	const struct bs_bind *binds;
	size_t nbinds;
	unsigned flags; /* BS_ROOTFS_* */
};

/* Checks, on the host, what setup will need: root is an absolute directory,
 * binds are absolute, the host device nodes are the expected ones. */
int bs_rootfs_check(const struct bs_rootfs *o, char *err, size_t errlen);

/* In a fresh mount namespace whose owner user namespace the caller is
 * privileged in, and a fresh PID namespace whose init the caller is: makes
 * every mount private, clones the root (nosuid, nodev), mounts a fresh /proc
 * (hidepid=invisible) and masks it (kcore, kmsg, sysrq-trigger, keys, ... as
 * empty read-only files or dirs; sys, bus, fs, irq read-only), a /dev tmpfs
 * with null zero full random urandom tty bound from the host, a private devpts
 * (newinstance, ptmx) and shm, a fresh /tmp, the binds, then pivot_root and
 * detaches the old root. Afterwards the cwd is "/". */
int bs_rootfs_setup(const struct bs_rootfs *o, char *err, size_t errlen);

/* Clones the host path `source` as a detached mount (open_tree
 * OPEN_TREE_CLONE, with AT_RECURSIVE for BS_BIND_RECURSIVE) and sets the
 * BS_BIND_* attributes on it with mount_setattr (recursively for
 * BS_BIND_RECURSIVE). *is_dir tells whether source is a directory. Returns the
 * mount fd (O_CLOEXEC) or -errno. */
int bs_bind_clone(const char *source, unsigned flags, int *is_dir, char *err, size_t errlen);

/* Attaches the detached mount mfd (move_mount) onto `target` resolved inside
 * rootfd with openat2 RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS plus the BS_IN_*
 * in_flags (fsin.h), creating the last component (a directory, or an empty
 * file when !is_dir) when it is missing. The target is an fd from resolution
 * to attach, so nothing swapped in meanwhile can redirect the mount. Returns
 * 0 or -errno (-ELOOP: a symlink on the path under BS_IN_NO_SYMLINKS). */
int bs_bind_attach(int rootfd, int mfd, const char *target, int is_dir, unsigned in_flags, char *err,
		   size_t errlen);

/* Opens `path` inside the tree at rootfd: openat2 with RESOLVE_IN_ROOT and
 * RESOLVE_NO_MAGICLINKS, so no symlink or ".." leads out. Returns an fd or
 * -errno. */
int bs_open_in_root(int rootfd, const char *path, int flags);

#endif
