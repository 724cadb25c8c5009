/* User-namespace id ranges, uid/gid maps, and small namespace helpers. */
#include "ns.h"
#include "bserr.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* A set of host ids or id ranges that must not appear in any pool slot. */
struct taken {
	struct { uint64_t lo, hi; } *v; /* inclusive */
	size_t n, cap;
};

static int taken_add(struct taken *t, uint64_t lo, uint64_t hi)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		void *nv = realloc(t->v, cap * sizeof *t->v);

		if (!nv)
			return -ENOMEM;
		t->v = nv;
		t->cap = cap;
	}
	t->v[t->n].lo = lo;
	t->v[t->n].hi = hi;
	t->n++;
	return 0;
}

static int parse_u32(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v > UINT32_MAX || (*end && *end != ':' && *end != '\n'))
		return -1;
	*out = v;
	return 0;
}

/* Adds the ids of a colon-separated file: field `idx` of passwd/group lines,
 * or "name:start:count" ranges of subuid/subgid (range != 0). Missing files
 * are fine. */
static int taken_from_file(struct taken *t, const char *path, int idx, int range)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (r == 0 && getline(&line, &cap, f) > 0) {
		char *fields[4] = { NULL };
		char *p = line;
		int nf = 0;
		uint64_t a, b;

		while (nf < 4) {
			fields[nf++] = p;
			p = strchr(p, ':');
			if (!p)
				break;
			p++;
		}
		if (range) {
			if (nf >= 3 && parse_u32(fields[1], &a) == 0 && parse_u32(fields[2], &b) == 0 && b > 0)
				r = taken_add(t, a, a + b - 1);
		} else if (nf > idx && parse_u32(fields[idx], &a) == 0) {
			r = taken_add(t, a, a);
		}
	}
	free(line);
	fclose(f);
	return r;
}

static int overlaps(const struct taken *t, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].lo <= hi && lo <= t->v[i].hi)
			return 1;
	return 0;
}

/* Opens (creating when missing) a directory that must be owned by the caller and not
 * writable by group or others; returns an O_PATH-less directory fd or -errno. */
static int open_safe_dir(int dirfd, const char *name, char *err, size_t errlen, const char *what)
{
	struct stat st;
	int fd;

	/* root's registry is readable by all (bsrun ctx list); a user's is private */
	if (mkdirat(dirfd, name, geteuid() == 0 ? 0755 : 0700) < 0 && errno != EEXIST)
		return bs_fail(err, errlen, errno, "mkdir %s", what);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bs_fail(err, errlen, errno, "open %s", what);
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return bs_fail(err, errlen, e, "stat %s", what);
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(fd);
		return bs_failx(err, errlen, EPERM, "%s: must be owned by uid %u and not writable by others",
				what, (unsigned)geteuid());
	}
	return fd;
}

/* Locks the first free slot s of nslots (ids ufirst + s*size.., gfirst +
 * s*size..) none of whose uids is in t; the slot files live in RUNDIR/ctx. */
static int lock_slot(const char *rundir, uint64_t ufirst, uint64_t gfirst, uint32_t size, uint64_t nslots,
		     const struct taken *t, struct bs_idrange *r, char *err, size_t errlen)
{
	int rundfd, dfd, ret;
	char what[4200];

	if (rundir[0] != '/')
		return bs_failx(err, errlen, EINVAL, "run directory %s: not absolute", rundir);
	/* the run directory itself and its ctx/ subdirectory */
	rundfd = open_safe_dir(AT_FDCWD, rundir, err, errlen, rundir);
	if (rundfd < 0)
		return rundfd;
	snprintf(what, sizeof what, "%s/ctx", rundir);
	dfd = open_safe_dir(rundfd, "ctx", err, errlen, what);
	close(rundfd);
	if (dfd < 0)
		return dfd;
	ret = bs_failx(err, errlen, EAGAIN, "no free id range: all %" PRIu64 " slots of the pool are in use or overlap host ids",
		       nslots);
	for (uint64_t s = 0; s < nslots && s < 100000; s++) {
		uint64_t lo = ufirst + s * size, hi = lo + size - 1;
		char name[32];
		int fd;

		if (t && overlaps(t, lo, hi))
			continue;
		snprintf(name, sizeof name, "%" PRIu64, s);
		fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			ret = bs_fail(err, errlen, errno, "open %s/%s", what, name);
			break;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;

			close(fd);
			if (e == EWOULDBLOCK)
				continue;
			ret = bs_fail(err, errlen, e, "lock %s/%s", what, name);
			break;
		}
		r->first = (uint32_t)lo;
		r->gfirst = (uint32_t)(gfirst + s * size);
		r->count = size;
		r->slot = (unsigned)s;
		r->lockfd = fd;
		ret = 0;
		break;
	}
	close(dfd);
	return ret;
}

int bs_ns_alloc_range(const char *rundir, uint32_t pool_first, uint32_t pool_count, uint32_t size,
		      struct bs_idrange *r, char *err, size_t errlen)
{
	struct taken t = { 0 };
	int ret;

	r->lockfd = -1;
	if (size == 0 || pool_count < size)
		return bs_failx(err, errlen, EINVAL, "id pool of %" PRIu32 " ids cannot hold a range of %" PRIu32,
				pool_count, size);
	if ((uint64_t)pool_first + pool_count > UINT32_MAX)
		return bs_failx(err, errlen, EINVAL, "id pool %" PRIu32 "+%" PRIu32 " passes the largest id",
				pool_first, pool_count);
	if ((ret = taken_from_file(&t, "/etc/passwd", 2, 0)) < 0 ||
	    (ret = taken_from_file(&t, "/etc/group", 2, 0)) < 0 ||
	    (ret = taken_from_file(&t, "/etc/subuid", 0, 1)) < 0 ||
	    (ret = taken_from_file(&t, "/etc/subgid", 0, 1)) < 0 ||
	    (ret = taken_add(&t, 0, 0)) < 0 || (ret = taken_add(&t, UINT32_MAX, UINT32_MAX)) < 0) {
		free(t.v);
		return bs_fail(err, errlen, -ret, "reading the host's users and groups");
	}
	ret = lock_slot(rundir, pool_first, pool_first, size, pool_count / size, &t, r, err, errlen);
	free(t.v);
	return ret;
}

int bs_ns_alloc_sub(const char *rundir, uint32_t ufirst, uint32_t ucount, uint32_t gfirst, uint32_t gcount,
		    struct bs_idrange *r, char *err, size_t errlen)
{
	uint32_t n = ucount < gcount ? ucount : gcount, size = n < BS_NS_RANGE ? n : BS_NS_RANGE;

	r->lockfd = -1;
	if (size == 0)
		return bs_failx(err, errlen, EINVAL, "empty subordinate id range");
	return lock_slot(rundir, ufirst, gfirst, size, n / size, NULL, r, err, errlen);
}

int bs_ns_alloc_self(const char *rundir, struct bs_idrange *r, char *err, size_t errlen)
{
	int ret;

	r->lockfd = -1;
	ret = lock_slot(rundir, 0, 0, 1, 1024, NULL, r, err, errlen);
	if (ret == 0) {
		r->first = (uint32_t)getuid();
		r->gfirst = (uint32_t)getgid();
		r->count = 1;
	}
	return ret;
}

int bs_ns_range_describe(const struct bs_idrange *r, const char *text)
{
	size_t len = strlen(text);

	if (r->lockfd < 0)
		return -EBADF;
	if (ftruncate(r->lockfd, 0) < 0)
		return -errno;
	if (pwrite(r->lockfd, text, len, 0) != (ssize_t)len)
		return errno ? -errno : -EIO;
	return 0;
}

int bs_ns_range_describev(const struct bs_idrange *r, const struct iovec *iov, int n)
{
	size_t len = 0;

	if (r->lockfd < 0)
		return -EBADF;
	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (ftruncate(r->lockfd, 0) < 0)
		return -errno;
	if (pwritev(r->lockfd, iov, n, 0) != (ssize_t)len)
		return errno ? -errno : -EIO;
	return 0;
}

void bs_ns_free_range(struct bs_idrange *r)
{
	if (r->lockfd >= 0) {
		/* leave an empty file: a reader never mistakes it for a live context */
		if (ftruncate(r->lockfd, 0) < 0) {
			/* nothing to do: the lock is what counts */
		}
		close(r->lockfd);
	}
	r->lockfd = -1;
}

static int write_proc(pid_t pid, const char *file, const char *text, char *err, size_t errlen)
{
	char path[64];
	size_t len = strlen(text);
	int fd, e = 0;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return bs_fail(err, errlen, errno, "open %s", path);
	if (write(fd, text, len) != (ssize_t)len)
		e = errno ? errno : EIO;
	close(fd);
	if (e)
		return bs_fail(err, errlen, e, "write '%.*s' to %s", (int)strcspn(text, "\n"), text, path);
	return 0;
}

int bs_ns_write_maps(pid_t pid, const struct bs_idrange *r, int single, char *err, size_t errlen)
{
	char map[64];
	int ret;

	snprintf(map, sizeof map, "0 %" PRIu32 " %" PRIu32 "\n", r->first, single ? 1u : r->count);
	if ((ret = write_proc(pid, "uid_map", map, err, errlen)) < 0)
		return ret;
	if (single && (ret = write_proc(pid, "setgroups", "deny", err, errlen)) < 0)
		return ret;
	snprintf(map, sizeof map, "0 %" PRIu32 " %" PRIu32 "\n", r->gfirst, single ? 1u : r->count);
	return write_proc(pid, "gid_map", map, err, errlen);
}

int bs_ns_loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		ret = -errno;
	else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
	close(fd);
	return ret;
}

int bs_ns_enter(int pidfd, int nstypes)
{
	return setns(pidfd, nstypes) < 0 ? -errno : 0;
}
