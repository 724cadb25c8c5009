/* Resource limits of a context: cgroup v2 or v1, rlimits. */
#include "reslimits.h"
#include "bserr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { C_MEMORY, C_PIDS, C_CPU, C_FREEZER, C_N };
static const char *const cnames[C_N] = { "memory", "pids", "cpu", "freezer" };

struct bs_cgroup {
	int version;
	char *dir[C_N];    /* per controller; v2: all the same string */
	char *parent[C_N]; /* the PARENT directory, kept when other contexts use it */
};

struct mounts {
	char v2[PATH_MAX];
	char v1[C_N][PATH_MAX];
};

static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *e = p + strcspn(p, ", \n");

		if ((size_t)(e - p) == n && strncmp(p, word, n) == 0)
			return 1;
		p = *e ? e + 1 : e;
	}
	return 0;
}

/* Finds the cgroup mounts in /proc/self/mountinfo. */
static void find_mounts(struct mounts *m)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;

	memset(m, 0, sizeof *m);
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - "), *fields[6], *p = line, *fstype, *super;
		int n = 0;

		if (!sep)
			continue;
		*sep = '\0';
		while (n < 6 && p) {
			fields[n++] = p;
			p = strchr(p, ' ');
			if (p)
				*p++ = '\0';
		}
		if (n < 5 || strchr(fields[4], '\\'))
			continue; /* escaped mount points are not ours to guess */
		fstype = sep + 3;
		p = strchr(fstype, ' ');
		if (!p)
			continue;
		*p++ = '\0';
		super = strchr(p, ' '); /* after the source */
		super = super ? super + 1 : p;
		if (strcmp(fstype, "cgroup2") == 0 && !m->v2[0])
			snprintf(m->v2, sizeof m->v2, "%s", fields[4]);
		else if (strcmp(fstype, "cgroup") == 0)
			for (int c = 0; c < C_N; c++)
				if (!m->v1[c][0] && has_word(super, cnames[c]))
					snprintf(m->v1[c], sizeof m->v1[c], "%s", fields[4]);
	}
	free(line);
	fclose(f);
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		ret = errno ? -errno : -EIO;
	close(fd);
	return ret;
}

static int v2_usable(const struct mounts *m)
{
	char path[PATH_MAX + 32], buf[512];

	if (!m->v2[0])
		return 0;
	snprintf(path, sizeof path, "%s/cgroup.controllers", m->v2);
	if (read_file(path, buf, sizeof buf) < 0)
		return 0;
	return has_word(buf, "memory") && has_word(buf, "pids");
}

int bs_cgroup_version(void)
{
	struct mounts m;

	find_mounts(&m);
	if (v2_usable(&m))
		return 2;
	if (m.v1[C_MEMORY][0] && m.v1[C_PIDS][0])
		return 1;
	return 0;
}

static int valid_component(const char *s)
{
	if (!s || !*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (; *s; s++)
		if (*s == '/' || *s == '\n')
			return 0;
	return 1;
}

/* mkdir DIR, replacing an empty leftover. */
static int make_dir(const char *dir, int fresh)
{
	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (!fresh)
		return 0;
	if (rmdir(dir) < 0)
		return -errno; /* EBUSY: processes still in it */
	return mkdir(dir, 0755) < 0 ? -errno : 0;
}

static int set_value(const char *dir, const char *file, const char *value, char *err, size_t errlen)
{
	char path[PATH_MAX + 64];
	int ret;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	if ((ret = write_file(path, value)) < 0)
		return bs_fail(err, errlen, -ret, "write %s to %s", value, path);
	return 0;
}

int bs_cgroup_create(const char *parent, const char *name, const struct bs_limits *l,
		     struct bs_cgroup **out, char *err, size_t errlen)
{
	struct mounts m;
	struct bs_cgroup *cg;
	char buf[64];
	int ret = 0;

	*out = NULL;
	if (!valid_component(parent) || !valid_component(name))
		return bs_failx(err, errlen, EINVAL, "cgroup name '%s/%s' is not a plain name", parent ? parent : "",
				name ? name : "");
	find_mounts(&m);
	cg = calloc(1, sizeof *cg);
	if (!cg)
		return bs_fail(err, errlen, ENOMEM, "cgroup");
	if (v2_usable(&m)) {
		char *pdir = NULL, *dir = NULL;

		cg->version = 2;
		if (asprintf(&pdir, "%s/%s", m.v2, parent) < 0 || asprintf(&dir, "%s/%s", pdir, name) < 0) {
			free(pdir);
			free(cg);
			return bs_fail(err, errlen, ENOMEM, "cgroup");
		}
		for (int c = 0; c < C_N; c++) {
			cg->dir[c] = dir;
			cg->parent[c] = pdir;
		}
		if ((ret = set_value(m.v2, "cgroup.subtree_control", "+memory +pids", err, errlen)) < 0)
			goto fail;
		/* another context's teardown may remove the shared parent between
		 * our mkdirs: start over then */
		for (int tries = 0; tries < 3; tries++) {
			if ((ret = make_dir(pdir, 0)) < 0) {
				bs_fail(err, errlen, -ret, "mkdir %s", pdir);
				goto fail;
			}
			if ((ret = set_value(pdir, "cgroup.subtree_control", "+memory +pids", err, errlen)) < 0 &&
			    ret != -ENOENT)
				goto fail;
			if (l->cpu_weight)
				set_value(m.v2, "cgroup.subtree_control", "+cpu", NULL, 0),
				set_value(pdir, "cgroup.subtree_control", "+cpu", NULL, 0);
			if (ret == 0 && (ret = make_dir(dir, 1)) != -ENOENT)
				break;
		}
		if (ret < 0) {
			bs_fail(err, errlen, -ret, "mkdir %s", dir);
			goto fail;
		}
		if (l->memory) {
			snprintf(buf, sizeof buf, "%" PRIu64, l->memory);
			if ((ret = set_value(dir, "memory.max", buf, err, errlen)) < 0)
				goto fail;
			set_value(dir, "memory.swap.max", "0", NULL, 0); /* absent without swap accounting */
		}
		if (l->pids) {
			snprintf(buf, sizeof buf, "%u", l->pids);
			if ((ret = set_value(dir, "pids.max", buf, err, errlen)) < 0)
				goto fail;
		}
		if (l->cpu_weight) {
			snprintf(buf, sizeof buf, "%u", l->cpu_weight);
			if ((ret = set_value(dir, "cpu.weight", buf, err, errlen)) < 0)
				goto fail;
		}
		*out = cg;
		return 0;
	}
	if (!m.v1[C_MEMORY][0] || !m.v1[C_PIDS][0]) {
		free(cg);
		return bs_failx(err, errlen, EOPNOTSUPP,
				"no usable cgroup: neither cgroup v2 with memory+pids nor v1 memory and pids hierarchies are mounted");
	}
	cg->version = 1;
	for (int c = 0; c < C_N; c++) {
		if (!m.v1[c][0] || (c == C_CPU && !l->cpu_weight))
			continue;
		if (asprintf(&cg->parent[c], "%s/%s", m.v1[c], parent) < 0) {
			cg->parent[c] = NULL;
			ret = bs_fail(err, errlen, ENOMEM, "cgroup");
			goto fail;
		}
		if (asprintf(&cg->dir[c], "%s/%s", cg->parent[c], name) < 0) {
			cg->dir[c] = NULL;
			ret = bs_fail(err, errlen, ENOMEM, "cgroup");
			goto fail;
		}
		/* the shared parent may vanish under a concurrent teardown: retry */
		for (int tries = 0; tries < 3; tries++) {
			if ((ret = make_dir(cg->parent[c], 0)) < 0 || (ret = make_dir(cg->dir[c], 1)) != -ENOENT)
				break;
		}
		if (ret < 0) {
			bs_fail(err, errlen, -ret, "mkdir %s", cg->dir[c]);
			free(cg->dir[c]);
			cg->dir[c] = NULL;
			goto fail;
		}
	}
	if (l->memory) {
		snprintf(buf, sizeof buf, "%" PRIu64, l->memory);
		if ((ret = set_value(cg->dir[C_MEMORY], "memory.limit_in_bytes", buf, err, errlen)) < 0)
			goto fail;
		/* swap off: memory+swap capped at the same value (absent without swap accounting) */
		set_value(cg->dir[C_MEMORY], "memory.memsw.limit_in_bytes", buf, NULL, 0);
		set_value(cg->dir[C_MEMORY], "memory.swappiness", "0", NULL, 0);
	}
	if (l->pids) {
		snprintf(buf, sizeof buf, "%u", l->pids);
		if ((ret = set_value(cg->dir[C_PIDS], "pids.max", buf, err, errlen)) < 0)
			goto fail;
	}
	if (l->cpu_weight && cg->dir[C_CPU]) {
		/* v1 shares: weight 100 = 1024 shares */
		snprintf(buf, sizeof buf, "%" PRIu64, (uint64_t)l->cpu_weight * 1024 / 100 < 2 ? 2 :
			 (uint64_t)l->cpu_weight * 1024 / 100);
		if ((ret = set_value(cg->dir[C_CPU], "cpu.shares", buf, err, errlen)) < 0)
			goto fail;
	}
	*out = cg;
	return 0;
fail:
	bs_cgroup_destroy(cg);
	return ret;
}

int bs_cgroup_open(const char *parent, const char *name, struct bs_cgroup **out)
{
	struct mounts m;
	struct bs_cgroup *cg;
	struct stat st;

	*out = NULL;
	if (!valid_component(parent) || !valid_component(name))
		return -EINVAL;
	find_mounts(&m);
	cg = calloc(1, sizeof *cg);
	if (!cg)
		return -ENOMEM;
	if (v2_usable(&m)) {
		cg->version = 2;
		if (asprintf(&cg->dir[0], "%s/%s/%s", m.v2, parent, name) < 0) {
			free(cg);
			return -ENOMEM;
		}
		for (int c = 1; c < C_N; c++)
			cg->dir[c] = cg->dir[0];
	} else {
		cg->version = 1;
		for (int c = 0; c < C_N; c++)
			if (m.v1[c][0] && asprintf(&cg->dir[c], "%s/%s/%s", m.v1[c], parent, name) < 0) {
				cg->dir[c] = NULL;
				bs_cgroup_close(cg);
				return -ENOMEM;
			}
	}
	for (int c = 0; c < C_N; c++)
		if (cg->dir[c] && (stat(cg->dir[c], &st) < 0 || !S_ISDIR(st.st_mode))) {
			if (c == C_MEMORY || c == C_PIDS) {
				bs_cgroup_close(cg);
				return -ENOENT;
			}
			if (cg->version == 1) {
				free(cg->dir[c]);
				cg->dir[c] = NULL;
			}
		}
	*out = cg;
	return 0;
}

void bs_cgroup_close(struct bs_cgroup *cg)
{
	if (!cg)
		return;
	for (int c = 0; c < C_N; c++) {
		if (cg->version == 2 && c > 0)
			break;
		free(cg->dir[c]);
		free(cg->parent[c]);
	}
	free(cg);
}

void bs_cgroup_remove(const char *parent, const char *name)
{
	struct mounts m;
	char path[PATH_MAX * 2];

	if (!valid_component(parent) || !valid_component(name))
		return;
	find_mounts(&m);
	for (int c = -1; c < C_N; c++) {
		const char *base = c < 0 ? m.v2 : m.v1[c];

		if (!base[0])
			continue;
		snprintf(path, sizeof path, "%s/%s/%s", base, parent, name);
		rmdir(path);
		snprintf(path, sizeof path, "%s/%s", base, parent);
		rmdir(path);
	}
}

const char *bs_cgroup_path(const struct bs_cgroup *cg, const char *controller)
{
	for (int c = 0; cg && c < C_N; c++)
		if (strcmp(cnames[c], controller) == 0)
			return cg->dir[c];
	return NULL;
}

int bs_cgroup_attach(struct bs_cgroup *cg, pid_t pid, char *err, size_t errlen)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%d", (int)pid);
	for (int c = 0; c < C_N; c++) {
		int ret;

		if (!cg->dir[c] || (c > 0 && cg->dir[c] == cg->dir[0]))
			continue;
		if ((ret = set_value(cg->dir[c], "cgroup.procs", buf, err, errlen)) < 0)
			return ret;
	}
	return 0;
}

/* chown of each v1 hierarchy's tasks file (distinct directories only). */
static int chown_tasks(struct bs_cgroup *cg, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	char path[PATH_MAX + 16];

	if (cg->version != 1)
		return -EOPNOTSUPP;
	for (int c = 0; c < C_N; c++) {
		if (!cg->dir[c] || (c > 0 && cg->dir[c] == cg->dir[0]))
			continue;
		snprintf(path, sizeof path, "%s/tasks", cg->dir[c]);
		if (chown(path, uid, gid) < 0)
			return bs_fail(err, errlen, errno, "chown %s", path);
	}
	return 0;
}

int bs_cgroup_delegate_self(struct bs_cgroup *cg, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	return chown_tasks(cg, uid, gid, err, errlen);
}

int bs_cgroup_undelegate(struct bs_cgroup *cg)
{
	return chown_tasks(cg, 0, 0, NULL, 0);
}

int bs_cgroup_self_dirs(const struct bs_cgroup *cg, const char **dirs, int max)
{
	int n = 0;

	if (cg->version != 1)
		return -EOPNOTSUPP;
	for (int c = 0; c < C_N; c++) {
		if (!cg->dir[c] || (c > 0 && cg->dir[c] == cg->dir[0]))
			continue;
		if (n == max)
			return -E2BIG;
		dirs[n++] = cg->dir[c];
	}
	return n;
}

int bs_cgroup_join_dirs(const char *const *dirs, int n, char *err, size_t errlen)
{
	int ret;

	/* "0" in tasks: the calling thread, which the kernel moves without the
	 * global lock whose writers wait for an RCU grace period */
	for (int i = 0; i < n; i++)
		if ((ret = set_value(dirs[i], "tasks", "0", err, errlen)) < 0)
			return ret;
	return 0;
}

static const char *procs_dir(const struct bs_cgroup *cg)
{
	return cg->dir[C_PIDS] ? cg->dir[C_PIDS] : cg->dir[C_MEMORY];
}

/* Calls fn(pid) for each pid in DIR/cgroup.procs; returns the count or -errno. */
static int each_proc(const char *dir, void (*fn)(pid_t))
{
	char path[PATH_MAX + 32], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		long pid = strtol(line, NULL, 10);

		if (pid > 0) {
			if (fn)
				fn((pid_t)pid);
			n++;
		}
	}
	free(line);
	fclose(f);
	return n;
}

int bs_cgroup_nprocs(struct bs_cgroup *cg)
{
	return each_proc(procs_dir(cg), NULL);
}

static void kill9(pid_t pid)
{
	kill(pid, SIGKILL);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int bs_cgroup_kill(struct bs_cgroup *cg, unsigned timeout_ms)
{
	const char *dir = procs_dir(cg);
	unsigned waited = 0;

	if (bs_cgroup_nprocs(cg) == 0)
		return 0;
	if (cg->version == 2 && set_value(dir, "cgroup.kill", "1", NULL, 0) == 0) {
		/* done: the kernel kills every process, including new forks */
	} else if (cg->dir[C_FREEZER]) {
		char state[64];
		char path[PATH_MAX + 32];

		set_value(cg->dir[C_FREEZER], "freezer.state", "FROZEN", NULL, 0);
		snprintf(path, sizeof path, "%s/freezer.state", cg->dir[C_FREEZER]);
		for (unsigned i = 0; i < 200; i++) {
			if (read_file(path, state, sizeof state) < 0 || strncmp(state, "FROZEN", 6) == 0)
				break;
			sleep_ms(5);
		}
		each_proc(cg->dir[C_FREEZER], kill9);
		set_value(cg->dir[C_FREEZER], "freezer.state", "THAWED", NULL, 0);
	} else {
		/* no freezer: repeat until nothing is left (forks may race) */
		for (int i = 0; i < 20 && each_proc(dir, kill9) > 0; i++)
			sleep_ms(1);
	}
	while (bs_cgroup_nprocs(cg) > 0) {
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		each_proc(dir, kill9);
		sleep_ms(5);
		waited += 5;
	}
	return 0;
}

/* Reads "key value" lines of DIR/FILE; returns the value of key or 0. */
static uint64_t keyed(const char *dir, const char *file, const char *key)
{
	char path[PATH_MAX + 64], buf[4096];
	size_t klen = strlen(key);

	if (!dir)
		return 0;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (read_file(path, buf, sizeof buf) < 0)
		return 0;
	for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
			return strtoull(p + klen + 1, NULL, 10);
	return 0;
}

static uint64_t single(const char *dir, const char *file)
{
	char path[PATH_MAX + 64], buf[64];

	if (!dir)
		return 0;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (read_file(path, buf, sizeof buf) < 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

int bs_cgroup_usage(struct bs_cgroup *cg, struct bs_cg_usage *u)
{
	int n;

	memset(u, 0, sizeof *u);
	if (cg->version == 2) {
		u->memory_peak = single(cg->dir[C_MEMORY], "memory.peak");
		u->memory_current = single(cg->dir[C_MEMORY], "memory.current");
		u->oom_kills = keyed(cg->dir[C_MEMORY], "memory.events", "oom_kill");
	} else {
		u->memory_peak = single(cg->dir[C_MEMORY], "memory.max_usage_in_bytes");
		u->memory_current = single(cg->dir[C_MEMORY], "memory.usage_in_bytes");
		u->oom_kills = keyed(cg->dir[C_MEMORY], "memory.oom_control", "oom_kill");
	}
	u->pids_max_hits = keyed(cg->dir[C_PIDS], "pids.events", "max");
	n = bs_cgroup_nprocs(cg);
	u->pids_current = n > 0 ? (uint64_t)n : 0;
	return 0;
}

int bs_cgroup_destroy(struct bs_cgroup *cg)
{
	int ret = 0;

	if (!cg)
		return 0;
	for (int c = 0; c < C_N; c++) {
		if (!cg->dir[c] || (c > 0 && cg->dir[c] == cg->dir[0]))
			continue;
		for (int i = 0; i < 400; i++) {
			if (rmdir(cg->dir[c]) == 0 || errno == ENOENT)
				break;
			if (errno != EBUSY) {
				if (!ret)
					ret = -errno;
				break;
			}
			if (i == 399 && !ret)
				ret = -EBUSY;
			sleep_ms(5);
		}
		/* the shared parent goes when it is empty; other contexts keep it */
		rmdir(cg->parent[c]);
	}
	for (int c = 0; c < C_N; c++) {
		if (cg->version == 2 && c > 0)
			break;
		free(cg->dir[c]);
		free(cg->parent[c]);
	}
	free(cg);
	return ret;
}

int bs_rlimits_apply(uint64_t nofile, uint64_t fsize)
{
	struct rlimit rl = { 0, 0 };
	const struct { int res; uint64_t v; } set[] = { { RLIMIT_NOFILE, nofile }, { RLIMIT_FSIZE, fsize } };

	if (setrlimit(RLIMIT_CORE, &rl) < 0)
		return -errno;
	for (size_t i = 0; i < sizeof set / sizeof *set; i++) {
		if (!set[i].v)
			continue;
		if (getrlimit(set[i].res, &rl) < 0)
			return -errno;
		if (rl.rlim_max == RLIM_INFINITY || set[i].v < rl.rlim_max)
			rl.rlim_max = set[i].v;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(set[i].res, &rl) < 0)
			return -errno;
	}
	return 0;
}
