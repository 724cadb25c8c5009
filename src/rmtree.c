/* fd-based removal of hostile trees. */
#include "rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_STEPS 10000000L /* directory scans and entries before giving up (-EAGAIN) */

struct frame {
	dev_t dev;
	ino_t ino;
	char *name; /* this directory's name in its parent */
};

struct rm {
	struct frame *stack;
	size_t depth, cap;
	struct stat *stuck; /* directories that could not be emptied: not entered again */
	size_t nstuck;
	dev_t topdev;
	long steps;
	int err; /* first failure */
};

static void note(struct rm *rm, int err)
{
	if (!rm->err)
		rm->err = err;
}

static int is_stuck(const struct rm *rm, const struct stat *st)
{
	for (size_t i = 0; i < rm->nstuck; i++)
		if (rm->stuck[i].st_dev == st->st_dev && rm->stuck[i].st_ino == st->st_ino)
			return 1;
	return 0;
}

static void mark_stuck(struct rm *rm, dev_t dev, ino_t ino)
{
	struct stat *n = realloc(rm->stuck, (rm->nstuck + 1) * sizeof *n);

	if (!n)
		return;
	rm->stuck = n;
	memset(&n[rm->nstuck], 0, sizeof *n);
	n[rm->nstuck].st_dev = dev;
	n[rm->nstuck].st_ino = ino;
	rm->nstuck++;
}

/* Opens dirfd/name as a directory, never through a symlink, and checks that it
 * is the object fstatat saw (st); makes it accessible if the build locked it. */
static int open_dir_checked(int dirfd, const char *name, const struct stat *st)
{
	struct stat now;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == EACCES && fchmodat(dirfd, name, 0700, AT_SYMLINK_NOFOLLOW) == 0)
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		close(fd);
		return -EAGAIN;
	}
	if ((now.st_mode & 0700) != 0700)
		fchmod(fd, 0700);
	return fd;
}

static int push(struct rm *rm, const struct stat *st, const char *name)
{
	if (rm->depth == rm->cap) {
		size_t cap = rm->cap ? rm->cap * 2 : 64;
		struct frame *n = realloc(rm->stack, cap * sizeof *n);
		if (!n)
			return -ENOMEM;
		rm->stack = n;
		rm->cap = cap;
	}
	if (!(rm->stack[rm->depth].name = strdup(name)))
		return -ENOMEM;
	rm->stack[rm->depth].dev = st->st_dev;
	rm->stack[rm->depth].ino = st->st_ino;
	rm->depth++;
	return 0;
}

/* Removes what it can of cur's entries; returns a child directory fd to enter
 * (pushed on the stack), 0 when cur has been scanned, or -errno. */
static int scan(struct rm *rm, int cur)
{
	int dfd = dup(cur), child = 0;
	DIR *d;
	struct dirent *de;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return -errno;
	}
	while (!child && (de = readdir(d))) {
		struct stat st;
		const char *e = de->d_name;

		if (strcmp(e, ".") == 0 || strcmp(e, "..") == 0)
			continue;
		if (++rm->steps > MAX_STEPS) {
			child = -EAGAIN;
			break;
		}
		if (fstatat(cur, e, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone already */
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(cur, e, 0) < 0 && errno != ENOENT) {
				if ((errno == EACCES || errno == EPERM) && fchmod(cur, 0700) == 0 && unlinkat(cur, e, 0) == 0)
					continue;
				note(rm, errno == EISDIR ? -EAGAIN : -errno);
			}
			continue;
		}
		if (st.st_dev != rm->topdev) {
			note(rm, -EBUSY); /* another filesystem: leave it alone */
			continue;
		}
		if (is_stuck(rm, &st) || unlinkat(cur, e, AT_REMOVEDIR) == 0 || errno == ENOENT)
			continue;
		if (errno == EBUSY) {
			note(rm, -EBUSY); /* a mount point */
			continue;
		}
		child = open_dir_checked(cur, e, &st);
		if (child == -EAGAIN || child == -ELOOP || child == -ENOTDIR || child == -ENOENT) {
			child = 0; /* swapped under us: look again at the next scan */
			continue;
		}
		if (child > 0 && push(rm, &st, e) < 0) {
			close(child);
			child = -ENOMEM;
		}
	}
	closedir(d);
	return child;
}

/* Climbs from cur (top of the stack) to its parent after checking that ".." is
 * the directory recorded below it; removes cur there. Returns the parent fd. */
static int climb(struct rm *rm, int cur)
{
	struct frame *me = &rm->stack[rm->depth - 1], *up = &rm->stack[rm->depth - 2];
	struct stat st;
	int parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (parent < 0)
		return -errno;
	if (fstat(parent, &st) < 0 || st.st_dev != up->dev || st.st_ino != up->ino) {
		close(parent);
		return -ESTALE;
	}
	if (unlinkat(parent, me->name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
		if (errno == ENOTEMPTY || errno == EEXIST)
			mark_stuck(rm, me->dev, me->ino);
		else
			note(rm, -errno);
	}
	free(me->name);
	rm->depth--;
	return parent;
}

int bs_remove_tree(int parentfd, const char *name)
{
	struct rm rm = { 0 };
	struct stat st;
	int cur, r = 0;

	if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(parentfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	rm.topdev = st.st_dev;
	cur = open_dir_checked(parentfd, name, &st);
	if (cur < 0)
		return cur;
	if ((r = push(&rm, &st, name)) < 0)
		goto out;
	for (;;) {
		int next = scan(&rm, cur);

		if (next < 0) {
			r = next;
			break;
		}
		if (next > 0) {
			close(cur);
			cur = next;
			continue;
		}
		if (rm.depth == 1)
			break;
		next = climb(&rm, cur);
		if (next < 0) {
			r = next;
			break;
		}
		close(cur);
		cur = next;
	}
	close(cur);
	cur = -1;
	if (r == 0 && unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		note(&rm, -errno);
out:
	if (cur >= 0)
		close(cur);
	while (rm.depth)
		free(rm.stack[--rm.depth].name);
	free(rm.stack);
	free(rm.stuck);
	return r ? r : rm.err;
}

DIR *bs_opendir_fd(int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return NULL;
	if (!(d = fdopendir(fd))) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return d;
}
