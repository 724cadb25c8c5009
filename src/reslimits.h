/* Resource limits of a context: a cgroup (v2, or v1 controllers where that is
 * what the host has: detected, never assumed), rlimits. Functions return 0 or
 * -errno (with a one-line message in err when they take one). */
#ifndef BSRUN_RESLIMITS_H
#define BSRUN_RESLIMITS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bs_limits {
	uint64_t memory;     /* bytes of RAM, swap off; 0 = no limit */
	unsigned pids;       /* processes and threads; 0 = no limit */
	unsigned cpu_weight; /* 1..10000 (100 = normal); 0 = leave as is */
};

/* What the cgroup saw; fields the host cannot tell stay 0. */
struct bs_cg_usage {
	uint64_t memory_peak;   /* bytes */
	uint64_t oom_kills;     /* processes killed for the memory limit */
	uint64_t pids_max_hits; /* forks refused by the pids limit */
	uint64_t pids_current;  /* processes in the cgroup now */
	uint64_t memory_current; /* bytes charged now */
};

struct bs_cgroup;

/* Which cgroup flavour the host offers for memory+pids: 2, 1, or 0 (none). */
int bs_cgroup_version(void);

/* Creates cgroup PARENT/NAME (PARENT relative to each hierarchy's root, e.g.
 * "bsrun") with the limits applied, on v2 when its root offers memory and
 * pids, else on the v1 memory, pids, cpu and freezer hierarchies. A leftover
 * empty cgroup of the same name is replaced. -EOPNOTSUPP when the host has no
 * usable cgroup. */
int bs_cgroup_create(const char *parent, const char *name, const struct bs_limits *l,
		     struct bs_cgroup **out, char *err, size_t errlen);

/* Opens the existing cgroup PARENT/NAME (as bs_cgroup_create names it) of
 * another process's context: -ENOENT when its directories are missing.
 * Release with bs_cgroup_close, which leaves the directories. */
int bs_cgroup_open(const char *parent, const char *name, struct bs_cgroup **out);

/* Frees cg without touching the cgroup; NULL is fine. */
void bs_cgroup_close(struct bs_cgroup *cg);

/* Removes PARENT/NAME under each hierarchy when it is empty (and PARENT when
 * that is empty too); errors are ignored (a leftover of a dead context). */
void bs_cgroup_remove(const char *parent, const char *name);

/* Moves process pid (all its threads) into the cgroup. */
int bs_cgroup_attach(struct bs_cgroup *cg, pid_t pid, char *err, size_t errlen);

/* cgroup v1: lets processes of host uid/gid move themselves into the
 * cgroup (bs_cgroup_join_dirs) by giving them its tasks files; undo with
 * bs_cgroup_undelegate. -EOPNOTSUPP on v2. */
int bs_cgroup_delegate_self(struct bs_cgroup *cg, uid_t uid, gid_t gid, char *err, size_t errlen);
int bs_cgroup_undelegate(struct bs_cgroup *cg);

/* cgroup v1: the distinct hierarchy directories of cg (at most max) into
 * dirs, valid while cg lives; their count, -EOPNOTSUPP on v2, -E2BIG. */
int bs_cgroup_self_dirs(const struct bs_cgroup *cg, const char **dirs, int max);

/* cgroup v1: moves the calling thread, which must be its process's only
 * one, into the cgroup directories dirs[0..n) (bs_cgroup_self_dirs) by
 * writing 0 to their tasks files (delegated with bs_cgroup_delegate_self). */
int bs_cgroup_join_dirs(const char *const *dirs, int n, char *err, size_t errlen);

/* Kills every process in the cgroup (cgroup.kill on v2; freeze, SIGKILL each,
 * thaw on v1) and waits up to timeout_ms for it to be empty; -ETIMEDOUT if not. */
int bs_cgroup_kill(struct bs_cgroup *cg, unsigned timeout_ms);

/* Number of processes in the cgroup, or -errno. */
int bs_cgroup_nprocs(struct bs_cgroup *cg);

/* Reads the counters into *u. */
int bs_cgroup_usage(struct bs_cgroup *cg, struct bs_cg_usage *u);

/* Removes the cgroup directories (retrying while the kernel still holds
 * them) and frees cg; NULL is fine. Returns the first error. */
int bs_cgroup_destroy(struct bs_cgroup *cg);

/* The cgroup's directory for a controller ("memory", "pids", "cpu",
 * "freezer"; on v2 the same for all), or NULL when it has none. */
const char *bs_cgroup_path(const struct bs_cgroup *cg, const char *controller);

/* Lowers the calling process's rlimits: core 0, nofile and fsize to the given
 * values (0 = leave). Never raises a hard limit. */
int bs_rlimits_apply(uint64_t nofile, uint64_t fsize);

#endif
