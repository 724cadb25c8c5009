/* The registry of live contexts: format, parse, list, clean stale entries. */
#include "ctxreg.h"
#include "bserr.h"
#include "reslimits.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TEXT (1u << 20)

void bs_ctxreg_rundir(char *buf, size_t len)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (geteuid() == 0) {
		snprintf(buf, len, "/run/bsrun");
		return;
	}
	if (x && x[0] == '/' && strlen(x) < 4000 && stat(x, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid() && !(st.st_mode & 022)) {
		snprintf(buf, len, "%s/bsrun", x);
		return;
	}
	snprintf(buf, len, "/tmp/bsrun-%u", (unsigned)geteuid());
}

int bs_proc_starttime(pid_t pid, uint64_t *out)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || !p[1] || !p[2])
		return -EIO;
	if (p[2] == 'Z' || p[2] == 'X')
		return -ESRCH; /* exited, not reaped yet */
	/* after "comm)": field 3 (state) ... field 22 (starttime) */
	for (int field = 2; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EIO;
	}
	*out = strtoull(p + 1, NULL, 10);
	return 0;
}

/* ---- format ---- */

struct buf {
	char *s;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(struct buf *b, const char *key, const char *fmt, ...)
{
	char *v = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if (!strchr(v, '\n')) {
		size_t need = b->len + strlen(key) + (size_t)n + 3;

		if (need > b->cap) {
			size_t cap = need * 2;
			char *ns = realloc(b->s, cap);

			if (!ns) {
				b->oom = 1;
				free(v);
				return;
			}
			b->s = ns;
			b->cap = cap;
		}
		b->len += (size_t)sprintf(b->s + b->len, "%s=%s\n", key, v);
	}
	free(v);
}

static void put_list(struct buf *b, const char *key, char *const *v)
{
	for (size_t i = 0; v && v[i]; i++)
		put(b, key, "%s", v[i]);
}

char *bs_ctxreg_format(const struct bs_ctxreg_entry *e)
{
	const struct bs_ctx_ref *r = &e->ref;
	struct buf b = { 0 };

	put(&b, "id", "%u", r->id);
	put(&b, "owner", "%u", (unsigned)e->owner);
	put(&b, "pid", "%d", (int)r->pid);
	put(&b, "pidstart", "%" PRIu64, r->pid_start);
	put(&b, "start", "%" PRId64, e->start);
	put(&b, "uids", "%" PRIu32 ":%" PRIu32, r->uid_first, r->uid_count);
	put(&b, "single", "%d", r->single_id_map);
	put(&b, "ns", "%d", r->nstypes);
	put(&b, "caps", "%" PRIx64, r->caps);
	put(&b, "nofile", "%" PRIu64, r->nofile);
	put(&b, "fsize", "%" PRIu64, r->fsize);
	if (e->root)
		put(&b, "root", "%s", e->root);
	if (e->hostname)
		put(&b, "hostname", "%s", e->hostname);
	if (r->cgroup_parent)
		put(&b, "cgparent", "%s", r->cgroup_parent);
	if (r->ns_socket)
		put(&b, "sock", "%s", r->ns_socket);
	put_list(&b, "allow", r->syscalls_allow);
	put_list(&b, "deny", r->syscalls_deny);
	put_list(&b, "env", r->env);
	if (e->cmd)
		put(&b, "cmd", "%s", e->cmd);
	if (b.oom || !b.s) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* ---- parse ---- */

static int push(char ***v, const char *s)
{
	size_t n = 0;
	char **nv;

	while (*v && (*v)[n])
		n++;
	nv = realloc(*v, (n + 2) * sizeof *nv);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[n] = strdup(s)))
		return -ENOMEM;
	nv[n + 1] = NULL;
	return 0;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void bs_ctxreg_entry_free(struct bs_ctxreg_entry *e)
{
	free(e->root);
	free(e->cmd);
	free(e->hostname);
	free(e->cgparent);
	free(e->sock);
	free_strv(e->allow);
	free_strv(e->deny);
	free_strv(e->env);
	memset(e, 0, sizeof *e);
}

static int num(const char *v, uint64_t max, int base, uint64_t *out)
{
	char *end;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(v, &end, base);
	return errno || *end || *out > max ? -EINVAL : 0;
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static int parse_line(struct bs_ctxreg_entry *e, const char *k, const char *v, unsigned *seen)
{
	struct bs_ctx_ref *r = &e->ref;
	uint64_t x, y;
	int ret = 0;

	if (strcmp(k, "id") == 0 && (ret = num(v, 1u << 30, 10, &x)) == 0)
		r->id = (unsigned)x, *seen |= 1;
	else if (strcmp(k, "owner") == 0 && (ret = num(v, UINT32_MAX - 1, 10, &x)) == 0)
		e->owner = (uid_t)x, *seen |= 2;
	else if (strcmp(k, "pid") == 0 && (ret = num(v, INT32_MAX, 10, &x)) == 0 && x > 0)
		r->pid = (pid_t)x, *seen |= 4;
	else if (strcmp(k, "pidstart") == 0 && (ret = num(v, UINT64_MAX, 10, &x)) == 0)
		r->pid_start = x, *seen |= 8;
	else if (strcmp(k, "start") == 0 && (ret = num(v, INT64_MAX, 10, &x)) == 0)
		e->start = (int64_t)x;
	else if (strcmp(k, "uids") == 0) {
		char *colon = strchr(v, ':');

		if (!colon)
			return -EINVAL;
		*colon = '\0';
		if ((ret = num(v, UINT32_MAX, 10, &x)) == 0 && (ret = num(colon + 1, UINT32_MAX, 10, &y)) == 0)
			r->uid_first = (uint32_t)x, r->uid_count = (uint32_t)y;
	} else if (strcmp(k, "single") == 0 && (ret = num(v, 1, 10, &x)) == 0)
		r->single_id_map = (int)x;
	else if (strcmp(k, "ns") == 0 && (ret = num(v, INT32_MAX, 10, &x)) == 0)
		r->nstypes = (int)x, *seen |= 16;
	else if (strcmp(k, "caps") == 0 && (ret = num(v, UINT64_MAX, 16, &x)) == 0)
		r->caps = x;
	else if (strcmp(k, "nofile") == 0 && (ret = num(v, UINT64_MAX, 10, &x)) == 0)
		r->nofile = x;
	else if (strcmp(k, "fsize") == 0 && (ret = num(v, UINT64_MAX, 10, &x)) == 0)
		r->fsize = x;
	else if (strcmp(k, "root") == 0)
		ret = set_str(&e->root, v);
	else if (strcmp(k, "hostname") == 0)
		ret = set_str(&e->hostname, v);
	else if (strcmp(k, "cgparent") == 0)
		ret = set_str(&e->cgparent, v);
	else if (strcmp(k, "sock") == 0)
		ret = set_str(&e->sock, v);
	else if (strcmp(k, "cmd") == 0)
		ret = set_str(&e->cmd, v);
	else if (strcmp(k, "allow") == 0)
		ret = push(&e->allow, v);
	else if (strcmp(k, "deny") == 0)
		ret = push(&e->deny, v);
	else if (strcmp(k, "env") == 0)
		ret = push(&e->env, v);
	return ret; /* unknown keys: from a newer bsrun, ignored */
}

int bs_ctxreg_parse(const char *text, struct bs_ctxreg_entry *e)
{
	char *copy = strdup(text), *line, *save = NULL;
	unsigned seen = 0;
	int ret = 0;

	memset(e, 0, sizeof *e);
	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line && ret == 0; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq) {
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		ret = parse_line(e, line, eq + 1, &seen);
	}
	free(copy);
	if (ret == 0 && seen != 31)
		ret = -EINVAL;
	if (ret == 0 && !e->cmd)
		ret = set_str(&e->cmd, "");
	if (ret < 0) {
		bs_ctxreg_entry_free(e);
		return ret;
	}
	e->ref.syscalls_allow = e->allow;
	e->ref.syscalls_deny = e->deny;
	e->ref.env = e->env;
	e->ref.cgroup_parent = e->cgparent;
	e->ref.ns_socket = e->sock;
	return 0;
}

/* ---- list ---- */

static int read_all(int fd, char **out)
{
	size_t len = 0, cap = 4096;
	char *s = malloc(cap);

	if (!s)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *ns;

			if (cap >= MAX_TEXT) {
				free(s);
				return -EFBIG;
			}
			ns = realloc(s, cap * 2);
			if (!ns) {
				free(s);
				return -ENOMEM;
			}
			s = ns;
			cap *= 2;
		}
		n = pread(fd, s + len, cap - 1 - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(s);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	s[len] = '\0';
	*out = s;
	return 0;
}

/* Is the process pid (with this start time) still running? */
static int init_alive(const struct bs_ctx_ref *r)
{
	uint64_t st;

	return bs_proc_starttime(r->pid, &st) == 0 && st == r->pid_start;
}

/* An entry nobody holds: empty it (and its cgroup) while holding its lock. */
static void clean_stale(int dfd, int fd, const char *text)
{
	struct bs_ctxreg_entry e;

	if (bs_ctxreg_parse(text, &e) == 0) {
		if (e.sock) {
			char name[32];

			snprintf(name, sizeof name, "%u.sock", e.ref.id);
			unlinkat(dfd, name, 0);
		}
		if (e.cgparent) {
			char name[32];

			snprintf(name, sizeof name, "ctx-%u", e.ref.id);
			bs_cgroup_remove(e.cgparent, name);
		}
		bs_ctxreg_entry_free(&e);
	}
	if (ftruncate(fd, 0) < 0) {
		/* read-only for this caller: the next one with write access cleans it */
	}
}

/* One slot file: 1 and *e filled when live, 0 when free or stale, or -errno. */
static int read_slot(int dfd, const char *name, uid_t dir_owner, struct bs_ctxreg_entry *e)
{
	struct stat st;
	char *text = NULL;
	int fd, ret, locked;

	fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != dir_owner || st.st_size == 0) {
		close(fd);
		return 0;
	}
	/* a lock we can take means nobody holds the context any more */
	locked = flock(fd, LOCK_EX | LOCK_NB) == 0;
	if ((ret = read_all(fd, &text)) < 0) {
		close(fd);
		return ret;
	}
	if (locked) {
		if (*text)
			clean_stale(dfd, fd, text);
		ret = 0;
	} else if (!*text || bs_ctxreg_parse(text, e) < 0) {
		ret = 0; /* being written or released right now */
	} else if (!init_alive(&e->ref) || strtoul(name, NULL, 10) != e->ref.id) {
		bs_ctxreg_entry_free(e); /* its init is gone; its holder will release it */
		ret = 0;
	} else {
		ret = 1;
	}
	free(text);
	close(fd); /* drops our lock, if any */
	return ret;
}

static int by_id(const void *a, const void *b)
{
	const struct bs_ctxreg_entry *x = a, *y = b;

	return x->ref.id < y->ref.id ? -1 : x->ref.id > y->ref.id;
}

/* Opens an existing registry directory that belongs to root or the caller
 * and is not writable by others; -ENOENT when missing. */
static int open_trusted(int dirfd, const char *path, uid_t *owner, char *err, size_t errlen)
{
	struct stat st;
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? -ENOENT : bs_fail(err, errlen, errno, "registry %s", path);
	if (fstat(fd, &st) < 0 || (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 022)) {
		close(fd);
		return bs_failx(err, errlen, EPERM, "registry %s: not owned by root or uid %u, or writable by others",
				path, (unsigned)geteuid());
	}
	*owner = st.st_uid;
	return fd;
}

int bs_ctxreg_list(const char *rundir, struct bs_ctxreg_entry **out, size_t *n, char *err, size_t errlen)
{
	struct bs_ctxreg_entry *v = NULL;
	size_t cnt = 0, cap = 0;
	uid_t owner, owner2;
	int rfd, dfd, ret = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	rfd = open_trusted(AT_FDCWD, rundir, &owner, err, errlen);
	if (rfd == -ENOENT)
		return 0;
	if (rfd < 0)
		return rfd;
	dfd = open_trusted(rfd, "ctx", &owner2, err, errlen);
	close(rfd);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	if (owner2 != owner) {
		close(dfd);
		return bs_failx(err, errlen, EPERM, "registry %s/ctx: owned by uid %u, its parent by uid %u", rundir,
				(unsigned)owner2, (unsigned)owner);
	}
	d = fdopendir(dfd);
	if (!d) {
		ret = bs_fail(err, errlen, errno, "registry %s/ctx", rundir);
		close(dfd);
		return ret;
	}
	while ((de = readdir(d))) {
		struct bs_ctxreg_entry e;
		int r;

		if (!de->d_name[0] || strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		r = read_slot(dirfd(d), de->d_name, owner, &e);
		if (r < 0) {
			ret = bs_fail(err, errlen, -r, "registry %s/ctx/%s", rundir, de->d_name);
			break;
		}
		if (r == 0)
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct bs_ctxreg_entry *nv = realloc(v, ncap * sizeof *nv);

			if (!nv) {
				bs_ctxreg_entry_free(&e);
				ret = bs_fail(err, errlen, ENOMEM, "registry");
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt++] = e;
	}
	closedir(d);
	if (ret < 0) {
		for (size_t i = 0; i < cnt; i++)
			bs_ctxreg_entry_free(&v[i]);
		free(v);
		return ret;
	}
	/* the entries own their strings: fix the ref pointers after the moves */
	for (size_t i = 0; i < cnt; i++) {
		v[i].ref.syscalls_allow = v[i].allow;
		v[i].ref.syscalls_deny = v[i].deny;
		v[i].ref.env = v[i].env;
		v[i].ref.cgroup_parent = v[i].cgparent;
		v[i].ref.ns_socket = v[i].sock;
	}
	if (cnt)
		qsort(v, cnt, sizeof *v, by_id);
	*out = v;
	*n = cnt;
	return 0;
}

int bs_ctxreg_get(const char *rundir, unsigned id, struct bs_ctxreg_entry *e, char *err, size_t errlen)
{
	struct bs_ctxreg_entry *v;
	size_t n;
	int ret = bs_ctxreg_list(rundir, &v, &n, err, errlen), found = 0;

	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n; i++) {
		if (!found && v[i].ref.id == id) {
			*e = v[i];
			e->ref.syscalls_allow = e->allow;
			e->ref.syscalls_deny = e->deny;
			e->ref.env = e->env;
			e->ref.cgroup_parent = e->cgparent;
			e->ref.ns_socket = e->sock;
			found = 1;
		} else {
			bs_ctxreg_entry_free(&v[i]);
		}
	}
	free(v);
	if (!found)
		return bs_failx(err, errlen, ESRCH, "no live context %u in %s", id, rundir);
	return 0;
}
