/* The filesystem of a context, with the fd-based mount API. */
#include "rootfs.h"
#include "bserr.h"
#include "fsin.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define ERR err, errlen

static const struct {
	const char *name;
	unsigned major, minor;
} devnodes[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

/* /proc entries hidden behind an empty read-only file or directory */
static const char *const proc_masked[] = {
	"kcore", "kmsg", "kallsyms", "keys", "key-users", "timer_list", "sched_debug", "latency_stats",
	"sysrq-trigger", "config.gz", "kpagecount", "kpageflags", "kpagecgroup", "vmallocinfo",
	"acpi", "asound", "scsi", "mpt", "driver", "tty/driver", "fs/nfsd", NULL,
};

/* /proc entries made read-only */
static const char *const proc_readonly[] = { "sys", "bus", "fs", "irq", NULL };

int bs_open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);

	return fd < 0 ? -errno : (int)fd;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int setattr(int fd, const char *what, unsigned set, int recursive, char *err, size_t errlen)
{
	struct mount_attr a = { .attr_set = set };

	if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof a) < 0)
		return bs_fail(ERR, errno, "mount_setattr %s", what);
	return 0;
}

/* Moves the detached mount mfd onto the object at tfd. */
static int attach(int mfd, int tfd, const char *what, char *err, size_t errlen)
{
	if (move_mount(mfd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return bs_fail(ERR, errno, "move_mount onto %s", what);
	return 0;
}

/* Resolves a mount point inside the root (bs_open_in with in_flags),
 * creating the last component (directory, or empty file with is_file) when it
 * is missing. */
static int mountpoint(int rootfd, const char *path, int is_file, unsigned in_flags, char *err, size_t errlen)
{
	char parent[4096];
	const char *slash, *last;
	int pfd, fd;

	fd = bs_open_in(rootfd, path, O_PATH, 0, in_flags);
	if (fd >= 0 || fd != -ENOENT)
		return fd >= 0 ? fd : bs_fail(ERR, -fd, "mount point %s", path);
	slash = strrchr(path, '/');
	last = slash ? slash + 1 : path;
	if (!*last || strcmp(last, "..") == 0 || strcmp(last, ".") == 0 ||
	    (size_t)(last - path) >= sizeof parent)
		return bs_failx(ERR, EINVAL, "mount point %s: bad path", path);
	snprintf(parent, sizeof parent, "%.*s", (int)(last - path), path);
	pfd = bs_open_in(rootfd, parent[0] ? parent : "/", O_PATH | O_DIRECTORY, 0, in_flags);
	if (pfd < 0)
		return bs_fail(ERR, -pfd, "mount point %s: parent", path);
	if (is_file) {
		fd = openat(pfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	} else {
		fd = mkdirat(pfd, last, 0755);
	}
	if (fd < 0 && errno != EEXIST) {
		int e = errno;

		close(pfd);
		return bs_fail(ERR, e, "mount point %s: missing and cannot be created", path);
	}
	close(pfd);
	fd = bs_open_in(rootfd, path, O_PATH, 0, in_flags);
	return fd >= 0 ? fd : bs_fail(ERR, -fd, "mount point %s", path);
}

/* fsopen + fsconfig string options + fsmount; returns the detached mount fd. */
static int new_fs(const char *type, const char *const *opts, unsigned attrs, const char *what,
		  char *err, size_t errlen)
{
	int fsfd = fsopen(type, FSOPEN_CLOEXEC), mfd;

	if (fsfd < 0)
		return bs_fail(ERR, errno, "fsopen %s for %s", type, what);
	for (const char *const *o = opts; o && o[0]; o += 2) {
		int r = o[1] ? fsconfig(fsfd, FSCONFIG_SET_STRING, o[0], o[1], 0)
			     : fsconfig(fsfd, FSCONFIG_SET_FLAG, o[0], NULL, 0);

		if (r < 0) {
			int e = errno;

			close(fsfd);
			return bs_fail(ERR, e, "%s option %s%s%s for %s", type, o[0], o[1] ? "=" : "",
				       o[1] ? o[1] : "", what);
		}
	}
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		int e = errno;

		close(fsfd);
		return bs_fail(ERR, e, "create %s for %s", type, what);
	}
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	close(fsfd);
	if (mfd < 0)
		return bs_fail(ERR, errno, "fsmount %s for %s", type, what);
	return mfd;
}

/* Mounts a new filesystem on PATH inside the root; returns the mount's fd. */
static int mount_new(int rootfd, const char *path, const char *type, const char *const *opts, unsigned attrs,
		     char *err, size_t errlen)
{
	int mfd = new_fs(type, opts, attrs, path, ERR), tfd, ret;

	if (mfd < 0)
		return mfd;
	tfd = mountpoint(rootfd, path, 0, 0, ERR);
	if (tfd < 0) {
		close(mfd);
		return tfd;
	}
	ret = attach(mfd, tfd, path, ERR);
	close(tfd);
	if (ret < 0) {
		close(mfd);
		return ret;
	}
	return mfd;
}

/* The source of the /proc masks: a small read-only tmpfs holding an empty
 * file and an empty directory, attached on the /proc mount point (proc goes
 * on top of it, hiding it): closing a mount that was never attached would
 * make the kernel wait for an RCU grace period (milliseconds here). */
static int mask_source(int rootfd, char *err, size_t errlen)
{
	const char *const opts[] = { "mode", "0555", "size", "4k", "nr_inodes", "8", NULL };
	int efd = new_fs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "/proc masks", ERR);
	int fd, tfd, ret;

	if (efd < 0)
		return efd;
	fd = openat(efd, "file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0 || mkdirat(efd, "dir", 0) < 0) {
		ret = bs_fail(ERR, errno, "making the /proc masks");
		if (fd >= 0)
			close(fd);
		close(efd);
		return ret;
	}
	close(fd);
	if ((ret = setattr(efd, "/proc masks", MOUNT_ATTR_RDONLY, 0, ERR)) < 0 ||
	    (ret = tfd = mountpoint(rootfd, "/proc", 0, 0, ERR)) < 0) {
		close(efd);
		return ret;
	}
	ret = attach(efd, tfd, "/proc", ERR);
	close(tfd);
	if (ret < 0) {
		close(efd);
		return ret;
	}
	return efd;
}

static int mask_proc(int procfd, int efd, char *err, size_t errlen)
{
	struct stat st;
	int ret = 0;

	for (const char *const *p = proc_masked; *p; p++) {
		int src;

		if (fstatat(procfd, *p, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* absent on this kernel or with subset=pid */
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			continue;
		src = open_tree(efd, S_ISDIR(st.st_mode) ? "dir" : "file", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (src < 0) {
			ret = bs_fail(ERR, errno, "open_tree for /proc/%s", *p);
			goto out;
		}
		if (move_mount(src, "", procfd, *p, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
			ret = bs_fail(ERR, errno, "masking /proc/%s", *p);
			close(src);
			goto out;
		}
		close(src);
	}
	for (const char *const *p = proc_readonly; *p; p++) {
		int src;

		if (fstatat(procfd, *p, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		src = open_tree(procfd, *p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (src < 0) {
			ret = bs_fail(ERR, errno, "open_tree /proc/%s", *p);
			goto out;
		}
		if ((ret = setattr(src, *p, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					  MOUNT_ATTR_NOEXEC, 1, ERR)) < 0 ||
		    move_mount(src, "", procfd, *p, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
			if (!ret)
				ret = bs_fail(ERR, errno, "making /proc/%s read-only", *p);
			close(src);
			goto out;
		}
		close(src);
	}
out:
	return ret;
}

static int setup_proc(int rootfd, unsigned flags, char *err, size_t errlen)
{
	const char *const with_subset[] = { "hidepid", "invisible", "subset", "pid", NULL };
	const char *const plain[] = { "hidepid", "invisible", NULL };
	int pfd, efd, ret;

	if ((efd = mask_source(rootfd, ERR)) < 0)
		return efd;
	pfd = mount_new(rootfd, "/proc", "proc", (flags & BS_ROOTFS_PROC_SUBSET) ? with_subset : plain,
			MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, ERR);
	if (pfd < 0) {
		close(efd);
		return pfd;
	}
	ret = mask_proc(pfd, efd, ERR);
	close(pfd);
	close(efd);
	return ret;
}

static int check_node(int fd, unsigned major, unsigned minor)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != major || minor(st.st_rdev) != minor)
		return -ENODEV;
	return 0;
}

static int setup_dev(int rootfd, unsigned flags, char *err, size_t errlen)
{
	const char *const devopts[] = { "mode", "0755", "size", "1m", "nr_inodes", "1024", NULL };
	const char *const shmopts[] = { "mode", "1777", NULL };
	const char *const ptsgid[] = { "newinstance", NULL, "ptmxmode", "0666", "mode", "0620", "gid", "5", NULL };
	const char *const ptsnogid[] = { "newinstance", NULL, "ptmxmode", "0666", "mode", "0600", NULL };
	const struct { const char *target, *name; } links[] = {
		{ "pts/ptmx", "ptmx" }, { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
	};
	int dfd, ret = 0, sub = -1, tfd = -1;

	dfd = mount_new(rootfd, "/dev", "tmpfs", devopts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, ERR);
	if (dfd < 0)
		return dfd;
	for (size_t i = 0; i < sizeof devnodes / sizeof *devnodes; i++) {
		char host[32];
		int fd;

		snprintf(host, sizeof host, "/dev/%s", devnodes[i].name);
		fd = openat(dfd, devnodes[i].name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0) {
			ret = bs_fail(ERR, errno, "create mount point /dev/%s", devnodes[i].name);
			goto out;
		}
		close(fd);
		sub = open_tree(AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (sub < 0) {
			ret = bs_fail(ERR, errno, "open_tree %s", host);
			goto out;
		}
		if ((ret = check_node(sub, devnodes[i].major, devnodes[i].minor)) < 0) {
			bs_fail(ERR, -ret, "host %s is not the device %u:%u", host, devnodes[i].major, devnodes[i].minor);
			goto out;
		}
		if ((ret = setattr(sub, host, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0, ERR)) < 0)
			goto out;
		tfd = openat(dfd, devnodes[i].name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (tfd < 0) {
			ret = bs_fail(ERR, errno, "open /dev/%s", devnodes[i].name);
			goto out;
		}
		if ((ret = attach(sub, tfd, host, ERR)) < 0)
			goto out;
		close_fd(&sub);
		close_fd(&tfd);
	}
	if (mkdirat(dfd, "pts", 0755) < 0 || mkdirat(dfd, "shm", 01777) < 0 || fchmodat(dfd, "shm", 01777, 0) < 0) {
		ret = bs_fail(ERR, errno, "mkdir in /dev");
		goto out;
	}
	for (size_t i = 0; i < sizeof links / sizeof *links; i++)
		if (symlinkat(links[i].target, dfd, links[i].name) < 0) {
			ret = bs_fail(ERR, errno, "symlink /dev/%s", links[i].name);
			goto out;
		}
	sub = new_fs("devpts", (flags & BS_ROOTFS_DEVPTS_GID5) ? ptsgid : ptsnogid,
		     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, "/dev/pts", ERR);
	if (sub < 0) {
		ret = sub;
		goto out;
	}
	tfd = openat(dfd, "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0 || (ret = attach(sub, tfd, "/dev/pts", ERR)) < 0) {
		if (!ret)
			ret = bs_fail(ERR, errno, "open /dev/pts");
		goto out;
	}
	close_fd(&sub);
	close_fd(&tfd);
	sub = new_fs("tmpfs", shmopts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "/dev/shm", ERR);
	if (sub < 0) {
		ret = sub;
		goto out;
	}
	tfd = openat(dfd, "shm", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0 || (ret = attach(sub, tfd, "/dev/shm", ERR)) < 0) {
		if (!ret)
			ret = bs_fail(ERR, errno, "open /dev/shm");
		goto out;
	}
out:
	close_fd(&sub);
	close_fd(&tfd);
	close(dfd);
	return ret;
}

int bs_bind_clone(const char *source, unsigned flags, int *is_dir, char *err, size_t errlen)
{
	unsigned attrs = 0;
	int rec = (flags & BS_BIND_RECURSIVE) != 0, src, ret;
	struct stat st;

	src = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));
	if (src < 0)
		return bs_fail(ERR, errno, "bind source %s", source);
	if (fstat(src, &st) < 0) {
		ret = bs_fail(ERR, errno, "bind source %s", source);
		close(src);
		return ret;
	}
	if (flags & BS_BIND_RO)
		attrs |= MOUNT_ATTR_RDONLY;
	if (flags & BS_BIND_NOSUID)
		attrs |= MOUNT_ATTR_NOSUID;
	if (flags & BS_BIND_NODEV)
		attrs |= MOUNT_ATTR_NODEV;
	if (flags & BS_BIND_NOEXEC)
		attrs |= MOUNT_ATTR_NOEXEC;
	if (attrs && (ret = setattr(src, source, attrs, rec, ERR)) < 0) {
		close(src);
		return ret;
	}
	*is_dir = S_ISDIR(st.st_mode);
	return src;
}

int bs_bind_attach(int rootfd, int mfd, const char *target, int is_dir, unsigned in_flags, char *err,
		   size_t errlen)
{
	int tfd = mountpoint(rootfd, target, !is_dir, in_flags, ERR), ret;

	if (tfd < 0)
		return tfd;
	ret = attach(mfd, tfd, target, ERR);
	close(tfd);
	return ret;
}

static int setup_bind(int rootfd, const struct bs_bind *b, char *err, size_t errlen)
{
	int is_dir = 0, src = bs_bind_clone(b->source, b->flags, &is_dir, ERR), ret;

	if (src < 0)
		return src;
	ret = bs_bind_attach(rootfd, src, b->target, is_dir, 0, ERR);
	close(src);
	return ret;
}

static int valid_abs(const char *p)
{
	return p && p[0] == '/' && strlen(p) < 4096;
}

int bs_rootfs_check(const struct bs_rootfs *o, char *err, size_t errlen)
{
	struct stat st;

	if (!valid_abs(o->root))
		return bs_failx(ERR, EINVAL, "root '%s': not an absolute path", o->root ? o->root : "(null)");
	if (stat(o->root, &st) < 0)
		return bs_fail(ERR, errno, "root %s", o->root);
	if (!S_ISDIR(st.st_mode))
		return bs_failx(ERR, ENOTDIR, "root %s: not a directory", o->root);
	if (strcmp(o->root, "/") == 0)
		return bs_failx(ERR, EINVAL, "root /: the host's own root cannot be a context's root");
	for (size_t i = 0; i < o->nbinds; i++) {
		const struct bs_bind *b = &o->binds[i];

		if (!valid_abs(b->source) || !valid_abs(b->target))
			return bs_failx(ERR, EINVAL, "bind %s → %s: paths must be absolute",
					b->source ? b->source : "(null)", b->target ? b->target : "(null)");
		if (b->flags & ~(unsigned)(BS_BIND_RO | BS_BIND_NOSUID | BS_BIND_NODEV | BS_BIND_NOEXEC |
					    BS_BIND_RECURSIVE | BS_BIND_FILE))
			return bs_failx(ERR, EINVAL, "bind %s: unknown flags 0x%x", b->source, b->flags);
		if (stat(b->source, &st) < 0)
			return bs_fail(ERR, errno, "bind source %s", b->source);
	}
	for (size_t i = 0; i < sizeof devnodes / sizeof *devnodes; i++) {
		char host[32];

		snprintf(host, sizeof host, "/dev/%s", devnodes[i].name);
		if (stat(host, &st) < 0)
			return bs_fail(ERR, errno, "host device %s", host);
		if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != devnodes[i].major ||
		    minor(st.st_rdev) != devnodes[i].minor)
			return bs_failx(ERR, ENODEV, "host %s is not the device %u:%u", host, devnodes[i].major,
					devnodes[i].minor);
	}
	return 0;
}

int bs_rootfs_setup(const struct bs_rootfs *o, char *err, size_t errlen)
{
	const char *const tmpopts[] = { "mode", "1777", NULL };
	int tree, tfd, rootfd = -1, ret;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return bs_fail(ERR, errno, "making all mounts private");
	/* the root: a recursive clone of the host directory, attached over it */
	tree = open_tree(AT_FDCWD, o->root, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return bs_fail(ERR, errno, "open_tree root %s", o->root);
	if ((ret = setattr(tree, o->root, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 1, ERR)) < 0) {
		close(tree);
		return ret;
	}
	tfd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0) {
		ret = bs_fail(ERR, errno, "open root %s", o->root);
		close(tree);
		return ret;
	}
	ret = attach(tree, tfd, o->root, ERR);
	close(tfd);
	close(tree);
	if (ret < 0)
		return ret;
	rootfd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return bs_fail(ERR, errno, "open new root %s", o->root);
	/* /proc first: a user namespace may mount proc only while a fully
	 * visible one exists, and before anything of it is masked */
	if ((ret = setup_proc(rootfd, o->flags, ERR)) < 0)
		goto out;
	if ((ret = setup_dev(rootfd, o->flags, ERR)) < 0)
		goto out;
	if ((tfd = mount_new(rootfd, "/tmp", "tmpfs", tmpopts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, ERR)) < 0) {
		ret = tfd;
		goto out;
	}
	close(tfd);
	for (size_t i = 0; i < o->nbinds; i++)
		if ((ret = setup_bind(rootfd, &o->binds[i], ERR)) < 0)
			goto out;
	if (fchdir(rootfd) < 0) {
		ret = bs_fail(ERR, errno, "chdir %s", o->root);
		goto out;
	}
	if (syscall(SYS_pivot_root, ".", ".") < 0) {
		ret = bs_fail(ERR, errno, "pivot_root %s", o->root);
		goto out;
	}
	if (umount2(".", MNT_DETACH) < 0) {
		ret = bs_fail(ERR, errno, "detaching the old root");
		goto out;
	}
	if (chdir("/") < 0) {
		ret = bs_fail(ERR, errno, "chdir /");
		goto out;
	}
	if (o->flags & BS_ROOTFS_ROOT_RO) {
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };

		if (mount_setattr(AT_FDCWD, "/", 0, &a, sizeof a) < 0) {
			ret = bs_fail(ERR, errno, "making / read-only");
			goto out;
		}
	}
	ret = 0;
out:
	close(rootfd);
	return ret;
}
