/* Fresh roots: overlayfs over an idmapped, read-only image tree with a
 * private tmpfs upper layer, all made with the fd-based mount API. */
#include "bserr.h"
#include "mkdirs.h"
#include "image.h"
#include "stale.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ERR err, errlen

struct bs_root {
	char path[PATH_MAX];
	char name[64];
	int parentfd; /* the roots directory */
	int pinfd;    /* a duplicate of the image's lock fd: the image stays while the root lives */
	int mounted;
};

const char *bs_root_path(const struct bs_root *r)
{
	return r->path;
}

static int write_map(pid_t pid, const char *file, const char *map)
{
	char path[64];
	int fd, e = 0;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, map, strlen(map)) != (ssize_t)strlen(map))
		e = errno ? errno : EIO;
	close(fd);
	return -e;
}

/* A user namespace whose maps take host ids [from, from+count) to [to,
 * to+count): the idmapping of the image tree's mount. */
static int idmap_userns(uint32_t from, uint32_t to, uint32_t count, char *err, size_t errlen)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	char map[64], path[64];
	int p[2], fd = -1, r, st;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return bs_fail(ERR, errno, "pipe");
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0) {
		char c;

		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return bs_fail(ERR, errno, "clone3(CLONE_NEWUSER) for the image's id mapping");
	}
	snprintf(map, sizeof map, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n", from, to, count);
	if ((r = write_map(pid, "uid_map", map)) < 0 || (r = write_map(pid, "gid_map", map)) < 0)
		bs_fail(ERR, -r, "writing the image's id mapping");
	else {
		snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = bs_fail(ERR, errno, "opening %s", path);
	}
	close(p[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return fd < 0 ? r : fd;
}

/* The mount API's own message (fsconfig/fsmount failures), else strerror. */
static int fs_fail(int fsfd, char *err, size_t errlen, int e, const char *what)
{
	char log[256];
	ssize_t n = fsfd >= 0 ? read(fsfd, log, sizeof log - 1) : -1;

	if (n > 2) {
		log[n] = '\0';
		log[strcspn(log, "\n")] = '\0';
		return bs_failx(ERR, e, "%s: %s (%s)", what, strerror(e), log + 2);
	}
	return bs_fail(ERR, e, "%s", what);
}

/* The image tree as a detached, read-only mount showing the image range as
 * the target range. */
static int lower_mount(const char *tree, int userns, char *err, size_t errlen)
{
	struct mount_attr a = {
		.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
		.userns_fd = (uint64_t)userns,
	};
	int t = open_tree(AT_FDCWD, tree, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (t < 0)
		return bs_fail(ERR, errno, "open_tree %s", tree);
	if (mount_setattr(t, "", AT_EMPTY_PATH, &a, sizeof a) < 0) {
		int e = errno;

		close(t);
		return bs_fail(ERR, e, "idmapped mount of %s (needs Linux 5.12+ and a filesystem that supports it)",
			       tree);
	}
	return t;
}

/* A detached tmpfs of `size` bytes with upper/ (mode, owned by owner) and work/. */
static int upper_mount(uint64_t size, mode_t mode, uint32_t owner, char *err, size_t errlen)
{
	char sz[32];
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), m = -1;

	if (fs < 0)
		return bs_fail(ERR, errno, "fsopen tmpfs");
	snprintf(sz, sizeof sz, "%" PRIu64, size);
	if (fsconfig(fs, FSCONFIG_SET_STRING, "size", sz, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0) {
		int r = fs_fail(fs, ERR, errno, "the upper layer's tmpfs");

		close(fs);
		return r;
	}
	close(fs);
	if (mkdirat(m, "upper", 0700) < 0 || fchownat(m, "upper", owner, owner, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(m, "upper", mode & 07777, 0) < 0 || mkdirat(m, "work", 0700) < 0) {
		int e = errno;

		close(m);
		return bs_fail(ERR, e, "the upper layer's directories");
	}
	return m;
}

static int overlay_mount(int lower, int tmpfs, char *err, size_t errlen)
{
	int up = openat(tmpfs, "upper", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int wk = openat(tmpfs, "work", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int ov = -1, m = -1;

	if (up < 0 || wk < 0) {
		m = bs_fail(ERR, errno, "the upper layer's directories");
		goto out;
	}
	ov = fsopen("overlay", FSOPEN_CLOEXEC);
	if (ov < 0) {
		m = bs_fail(ERR, errno, "fsopen overlay");
		goto out;
	}
	if (fsconfig(ov, FSCONFIG_SET_FD, "lowerdir+", NULL, lower) < 0 ||
	    fsconfig(ov, FSCONFIG_SET_FD, "upperdir", NULL, up) < 0 ||
	    fsconfig(ov, FSCONFIG_SET_FD, "workdir", NULL, wk) < 0 ||
	    fsconfig(ov, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		m = fs_fail(ov, ERR, errno, "overlayfs over the image (layers by fd need Linux 6.13+)");
		goto out;
	}
	m = fsmount(ov, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (m < 0)
		m = fs_fail(ov, ERR, errno, "fsmount overlay");
out:
	if (up >= 0)
		close(up);
	if (wk >= 0)
		close(wk);
	if (ov >= 0)
		close(ov);
	return m;
}

/* mkdir -p, 0711 for what it creates (a context's init, root in its own
 * user namespace only, must pass through to its root; nobody may list the
 * random names); the roots directory is configuration. */
static int open_rootsdir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (dir[0] != '/' || strlen(dir) >= PATH_MAX - 80)
		return bs_failx(ERR, EINVAL, "roots directory '%s': not an absolute path", dir);
	if ((fd = bs_mkdirs(dir, 0711)) < 0)
		return bs_fail(ERR, -fd, "roots directory %s", dir);
	fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bs_fail(ERR, errno, "roots directory %s", dir);
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(fd);
		return bs_failx(ERR, EPERM, "roots directory %s: not private to this user", dir);
	}
	return fd;
}

int bs_root_from_image(const struct bs_image *img, uint64_t upper_size, uint32_t target_first,
		       uint32_t target_count, const char *rootsdir, struct bs_root **out, char *err, size_t errlen)
{
	uint32_t ifirst, icount;
	int userns = -1, lower = -1, tmpfs = -1, ov = -1, ret;
	struct bs_root *r;
	struct stat st;

	*out = NULL;
	if (bs_image_state(img) != BS_IMAGE_READY)
		return bs_failx(ERR, EINVAL, "image %.12s is not ready", bs_image_keyof(img));
	bs_image_ids(img, &ifirst, &icount);
	if (upper_size < 65536)
		return bs_failx(ERR, EINVAL, "a root's disk limit must be at least 64 KiB");
	if (target_first == 0 || target_count == 0 || (uint64_t)target_first + target_count > UINT32_MAX)
		return bs_failx(ERR, EINVAL, "target id range %u+%u is not usable", (unsigned)target_first,
				(unsigned)target_count);
	if (target_count > icount)
		target_count = icount;
	if (stat(bs_image_tree(img), &st) < 0)
		return bs_fail(ERR, errno, "image tree %s", bs_image_tree(img));
	r = calloc(1, sizeof *r);
	if (!r)
		return bs_fail(ERR, ENOMEM, "root");
	r->pinfd = -1;
	if ((r->parentfd = open_rootsdir(rootsdir ? rootsdir : BS_IMAGE_ROOTS, ERR)) < 0) {
		ret = r->parentfd;
		free(r);
		return ret;
	}
	for (int i = 0; i < 100 && !r->name[0]; i++) {
		unsigned v = 0;

		if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
			v = (unsigned)rand() ^ (unsigned)getpid();
		snprintf(r->name, sizeof r->name, "img-%u-%08x", (unsigned)getpid(), v);
		if (mkdirat(r->parentfd, r->name, 0755) < 0) {
			r->name[0] = '\0';
			if (errno != EEXIST) {
				ret = bs_fail(ERR, errno, "creating a root in %s", rootsdir ? rootsdir : BS_IMAGE_ROOTS);
				goto fail;
			}
		}
	}
	if (!r->name[0]) {
		ret = bs_failx(ERR, EEXIST, "no free root name");
		goto fail;
	}
	snprintf(r->path, sizeof r->path, "%s/%s", rootsdir ? rootsdir : BS_IMAGE_ROOTS, r->name);
	if (bs_image_lockfd(img) >= 0 && (r->pinfd = fcntl(bs_image_lockfd(img), F_DUPFD_CLOEXEC, 3)) < 0) {
		ret = bs_fail(ERR, errno, "pinning the image");
		goto fail;
	}
	if ((ret = userns = idmap_userns(ifirst, target_first, target_count, ERR)) < 0 ||
	    (ret = lower = lower_mount(bs_image_tree(img), userns, ERR)) < 0 ||
	    (ret = tmpfs = upper_mount(upper_size, st.st_mode, target_first + (st.st_uid - ifirst), ERR)) < 0 ||
	    (ret = ov = overlay_mount(lower, tmpfs, ERR)) < 0)
		goto fail;
	if (move_mount(ov, "", r->parentfd, r->name, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		ret = bs_fail(ERR, errno, "mounting the root on %s", r->path);
		goto fail;
	}
	r->mounted = 1;
	close(ov);
	close(tmpfs);
	close(lower);
	close(userns);
	*out = r;
	return 0;
fail:
	if (ov >= 0)
		close(ov);
	if (tmpfs >= 0)
		close(tmpfs);
	if (lower >= 0)
		close(lower);
	if (userns >= 0)
		close(userns);
	bs_root_release(r);
	return ret;
}

/* Drops the last reference to a detached overlay (and with it its tmpfs) in
 * a short-lived grandchild: freeing 100 000 tmpfs inodes takes about 0.4 s
 * that the caller need not wait for. The grandchild keeps no other fd of the
 * caller (no lock outlives the caller's release) and holds the mount until
 * the caller and the child closed their copies, so the freeing is its own. */
static void drop_in_background(int mntfd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return; /* the caller's close frees it */
	pid = fork();
	if (pid == 0) {
		/* the child keeps the pipe (0, 2) and the mount (1) only: the
		 * caller waits for it, so no lock of the caller outlives its release */
		int a = fcntl(p[0], F_DUPFD, 10), b = fcntl(mntfd, F_DUPFD, 10), w = fcntl(p[1], F_DUPFD, 10);
		char c;

		if (a < 0 || b < 0 || w < 0 || dup2(a, 0) < 0 || dup2(b, 1) < 0 || dup2(w, 2) < 0)
			_exit(1);
		close_range(3, ~0U, 0);
		if (fork() == 0) {
			close(2);
			/* end of file: the caller and the child let go of the mount */
			while (read(0, &c, 1) < 0 && errno == EINTR)
				;
			close_range(0, ~0U, 0);
			_exit(0);
		}
		_exit(0);
	}
	/* the mount first, then the pipe: the grandchild's close is the last */
	close(mntfd);
	close(p[0]);
	close(p[1]);
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}

/* Closes a root's fds and frees it (its tree is left as it is). */
static void root_free(struct bs_root *r)
{
	if (r->parentfd >= 0)
		close(r->parentfd);
	if (r->pinfd >= 0)
		close(r->pinfd);
	free(r);
}

int bs_root_release(struct bs_root *r)
{
	int ret = 0;

	if (!r)
		return 0;
	if (r->mounted) {
		int fd = openat(r->parentfd, r->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char self[64];

		/* by the fd's magic path: the name is resolved in the roots directory alone */
		snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
		if (fd < 0 || umount2(self, MNT_DETACH) < 0)
			ret = -errno;
		if (fd >= 0 && ret == 0)
			drop_in_background(fd);
		else if (fd >= 0)
			close(fd);
	}
	if (r->name[0] && ret == 0 && unlinkat(r->parentfd, r->name, AT_REMOVEDIR) < 0)
		ret = -errno;
	root_free(r);
	return ret;
}

int bs_root_keep(struct bs_root *r)
{
	char err[512];
	int ret;

	if (!r)
		return 0;
	ret = bs_stale_keep(r->path, err, sizeof err);
	root_free(r);
	return ret;
}
