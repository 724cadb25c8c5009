/* What a dead bsrun left behind: stale roots, contexts and cgroups, found by
 * their owner and removed (see stale.h for the ownership rules). */
#include "stale.h"
#include "bserr.h"
#include "ctxreg.h"
#include "image.h"
#include "reslimits.h"
#include "rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ERR err, errlen

pid_t bs_stale_root_owner(const char *name)
{
	const char *p = NULL;
	unsigned long v;
	char *end;

	if (strncmp(name, "img-", 4) == 0)
		p = name + 4;
	else if (strncmp(name, "root-", 5) == 0)
		p = name + 5;
	if (!p || *p < '1' || *p > '9')
		return 0;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || v > INT_MAX || *end != '-' || strlen(end + 1) != 8)
		return 0;
	for (const char *h = end + 1; *h; h++)
		if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
			return 0;
	return (pid_t)v;
}

/* The boot time (seconds since the epoch), from /proc/stat's btime. */
static time_t boot_time(void)
{
	char line[256];
	long long bt = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "btime %lld", &bt) == 1)
			break;
	fclose(f);
	return (time_t)bt;
}

int bs_stale_owner_alive(pid_t pid, time_t made)
{
	uint64_t ticks;
	long hz = sysconf(_SC_CLK_TCK);
	time_t boot;

	if (pid <= 0 || bs_proc_starttime(pid, &ticks) < 0)
		return 0;
	if (!made || hz <= 0 || !(boot = boot_time()))
		return 1;
	/* started after the thing was made: the pid was reused (2 s of slack
	 * for the rounding of btime and of the start time) */
	return boot + (time_t)(ticks / (uint64_t)hz) <= made + 2;
}

int bs_stale_keep(const char *path, char *err, size_t errlen)
{
	char marker[PATH_MAX];
	int fd;

	if (snprintf(marker, sizeof marker, "%s.kept", path) >= (int)sizeof marker)
		return bs_failx(ERR, ENAMETOOLONG, "root %s: path too long", path);
	fd = open(marker, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return bs_fail(ERR, errno, "marking root %s kept", path);
	close(fd);
	return 0;
}

/* 1 when entry name of dfd is a mount point (another mount than dfd's). */
static int is_mountpoint(int dfd, const char *name)
{
	struct statx a, b;

	if (statx(dfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &a) < 0 ||
	    statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID, &b) < 0)
		return 0;
	return (b.stx_attributes & STATX_ATTR_MOUNT_ROOT) || a.stx_mnt_id != b.stx_mnt_id;
}

/* Unmounts (lazily) every mount stacked on entry name of dfd, through an
 * O_PATH fd of the entry itself (never a path that could follow a link: the
 * magic link /proc/self/fd/N names that fd, so umount2 must follow it). */
static int unmount_all(int dfd, const char *name)
{
	for (int i = 0; i < 16 && is_mountpoint(dfd, name); i++) {
		int fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char self[64];

		if (fd < 0)
			return -errno;
		snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
		if (umount2(self, MNT_DETACH) < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		close(fd);
	}
	return is_mountpoint(dfd, name) ? -EBUSY : 0;
}

/* The time entry name was made, as well as the host can tell (its ctime:
 * never earlier than its creation). 0 when unknown. */
static time_t made_time(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_ctime : 0;
}

static int has_marker(int dfd, const char *name)
{
	char m[300];
	struct stat st;

	snprintf(m, sizeof m, "%s.kept", name);
	return fstatat(dfd, m, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Opens the directory path for a scan, only when it is ours alone (so its
 * names are trusted; what names it in messages): the stream, or NULL with
 * *ret 0 (there is no such directory) or a -errno (err set). */
static DIR *open_private(const char *path, const char *what, int *ret, char *err, size_t errlen)
{
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	DIR *d;

	*ret = 0;
	if (dfd < 0) {
		if (errno != ENOENT)
			*ret = bs_fail(ERR, errno, "%s %s", what, path);
		return NULL;
	}
	if (fstat(dfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(dfd);
		*ret = bs_failx(ERR, EPERM, "%s %s: not private to this user", what, path);
		return NULL;
	}
	if (!(d = fdopendir(dfd))) {
		int e = errno;

		close(dfd);
		*ret = bs_fail(ERR, e, "%s %s", what, path);
	}
	return d;
}

int bs_stale_clean_roots(const char *rootsdir, int dry, bs_stale_cb cb, void *ud, char *err, size_t errlen)
{
	struct dirent *de;
	struct stat st;
	int dfd, found = 0;
	DIR *d = open_private(rootsdir, "roots directory", &found, ERR);

	if (!d)
		return found;
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		pid_t pid = bs_stale_root_owner(de->d_name);
		int removed = 0;

		if (!pid) {
			/* a marker whose root is gone */
			size_t n = strlen(de->d_name);
			char root[256];

			if (n > 5 && n < sizeof root && strcmp(de->d_name + n - 5, ".kept") == 0) {
				snprintf(root, sizeof root, "%.*s", (int)(n - 5), de->d_name);
				if (bs_stale_root_owner(root) && fstatat(dfd, root, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
				    errno == ENOENT && !dry)
					unlinkat(dfd, de->d_name, 0);
			}
			continue;
		}
		if (bs_stale_owner_alive(pid, made_time(dfd, de->d_name)) || has_marker(dfd, de->d_name))
			continue;
		found++;
		if (!dry && unmount_all(dfd, de->d_name) == 0 && bs_remove_tree(dfd, de->d_name) == 0)
			removed = 1;
		if (cb)
			cb(ud, "root", de->d_name, removed);
	}
	closedir(d);
	return found;
}

/* Slot file name: digits only. */
static int slot_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* One slot nobody holds (we hold its lock now): its cgroup and entry. */
static int clean_slot(int fd, const char *cgparent, const char *id, int dry, bs_stale_cb cb, void *ud)
{
	struct bs_cgroup *cg;
	struct stat st;
	char name[300];
	int found = 0;

	snprintf(name, sizeof name, "ctx-%s", id);
	if (bs_cgroup_open(cgparent, name, &cg) == 0) {
		int removed = 0;

		found = 1;
		if (!dry)
			bs_cgroup_kill(cg, 3000); /* nothing should be left: the init died with bsrun */
		bs_cgroup_close(cg);
		if (!dry) {
			bs_cgroup_remove(cgparent, name);
			removed = bs_cgroup_open(cgparent, name, &cg) == -ENOENT;
			if (!removed)
				bs_cgroup_close(cg);
		}
		if (cb)
			cb(ud, "cgroup", name, removed);
	}
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		found = 1;
		if (cb)
			cb(ud, "context", id, !dry && ftruncate(fd, 0) == 0);
	}
	return found;
}

int bs_stale_clean_contexts(const char *rundir, const char *cgparent, int dry, bs_stale_cb cb, void *ud, char *err,
			    size_t errlen)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int found = 0;
	DIR *d;

	if (snprintf(path, sizeof path, "%s/ctx", rundir) >= (int)sizeof path)
		return bs_failx(ERR, ENAMETOOLONG, "run directory %s: too long", rundir);
	if (!(d = open_private(path, "registry", &found, ERR)))
		return found;
	while ((de = readdir(d))) {
		int fd;

		if (!slot_name(de->d_name))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* a lock we can take: nobody holds the slot; holding it, no
		 * bsrun can take it until we are done */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0) {
			char sock[300];

			found += clean_slot(fd, cgparent, de->d_name, dry, cb, ud);
			snprintf(sock, sizeof sock, "%s.sock", de->d_name);
			if (!dry)
				unlinkat(dirfd(d), sock, 0);
		}
		close(fd); /* drops the lock */
	}
	closedir(d);
	return found;
}

int bs_stale_clean_all(int dry, bs_stale_cb cb, void *ud, char *err, size_t errlen)
{
	char rundir[4200];
	int a, b;

	bs_ctxreg_rundir(rundir, sizeof rundir);
	a = bs_stale_clean_contexts(rundir, "bsrun", dry, cb, ud, ERR);
	if (geteuid() != 0)
		return a;
	b = bs_stale_clean_roots(BS_IMAGE_ROOTS, dry, cb, ud, a < 0 ? NULL : err, a < 0 ? 0 : errlen);
	if (a < 0)
		return a;
	return b < 0 ? b : a + b;
}
