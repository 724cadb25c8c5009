/* Isolation contexts: the sealed place every build runs in.
 *
 * A context is a PID-1 init (cinit) in new user, PID, mount, UTS, IPC,
 * cgroup and (unless network_host) network namespaces, with its own host
 * uid/gid range, a pivoted root, a fresh /proc, /dev and /tmp, dropped
 * capabilities, NO_NEW_PRIVS, a seccomp allowlist and a cgroup. Commands
 * run in it by *migration*: a helper enters the init's namespaces through its
 * pidfd (setns) and forks the command, which drops the same privileges and
 * execs. The first command of a context its creator runs is started by the
 * init itself instead (it inherits what init set up; no helper, no setns).
 * When a command ends, every other process of the context is killed
 * (unless keep_orphans); when the context is killed, nothing of it remains.
 *
 * As root, each context gets its own range from the id pool; as an ordinary
 * user ("rootless"), a slot of the user's /etc/subuid and /etc/subgid ranges
 * mapped with newuidmap/newgidmap (root inside is never the user's own uid
 * unless single_id_map is set and the user has no subordinate ids), and the
 * registry lives in $XDG_RUNTIME_DIR/bsrun (or /tmp/bsrun-UID). Needs
 * a single-threaded caller while it creates or enters a context, and SIGCHLD
 * not ignored. Every function returns 0 or -errno and writes a one-line
 * message to err (when given) on failure. No function exits the caller. */
#ifndef BSRUN_CTX_H
#define BSRUN_CTX_H

#include "ns.h"
#include "rootfs.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
	BS_CTX_PROC_SUBSET = 1 << 0, /* /proc shows process directories only (subset=pid) */
	BS_CTX_ROOT_RO = 1 << 1,     /* the root mount is read-only */
	BS_CTX_OWN_ROOT = 1 << 2,    /* give the (fresh, bsrun-made) root directory to root inside:
				      * create proc, dev, tmp in it if missing, then fchown it */
};

struct bs_ctx_opts {
	const char *root;                /* host directory that becomes / */
	const char *hostname;            /* default "bsrun" */
	const char *domainname;          /* default "(none)" */
	const struct bs_bind *binds;     /* host paths mounted inside, after /proc, /dev, /tmp */
	size_t nbinds;
	uint64_t caps;                   /* bitmask of CAP_* kept (BS_CAP(CAP_CHOWN) | ...) */
	uint64_t memory;                 /* cgroup memory limit, bytes, swap off; 0 = none */
	unsigned pids;                   /* cgroup pids limit; 0 = none */
	unsigned cpu_weight;             /* 1..10000, 100 = normal; 0 = leave */
	uint64_t nofile, fsize;          /* RLIMIT_NOFILE, RLIMIT_FSIZE (bytes); 0 = leave. core is always 0 */
	unsigned timeout_s;              /* wall-clock life of the context; 0 = none */
	int network_host;                /* share the host's network instead of an empty one with lo */
	char *const *env;                /* default environment of commands (NULL: PATH and HOME only) */
	uint32_t uid_first, uid_count;   /* host id pool, 65536 ids per context; 0 = 2^30 + 1024 slots */
	int single_id_map;               /* map only root inside, to one host id; setgroups denied.
					  * Rootless without subordinate ids: that id is the caller's own */
	int allow_unenforced_limits;     /* rootless: go on without a cgroup when memory/pids/cpu
					  * limits are set but no cgroup can be created (else EPERM) */
	const char *const *syscalls_allow; /* extra syscalls allowed (names), NULL-terminated */
	const char *const *syscalls_deny;  /* extra syscalls refused with EPERM */
	unsigned flags;                  /* BS_CTX_* */
	const char *rundir;              /* registry and id-slot locks; default /run/bsrun */
	const char *cgroup_parent;       /* cgroup directory under each hierarchy; default "bsrun" */
	const struct bs_idrange *ids;    /* a range reserved beforehand (bs_ctx_reserve_ids): used instead of
					  * allocating one; the context holds its own lock on it */
};

struct bs_exec_opts {
	const char *cwd;                 /* inside the context, resolved inside it; default "/" */
	char *const *env;                /* default: the context's env */
	int stdin_fd, stdout_fd, stderr_fd; /* caller's fds; -1 = /dev/null inside; never a directory */
	unsigned timeout_s;              /* 0 = none (the context's own timeout still applies) */
	uint32_t uid, gid;               /* ids inside the context; default 0 (root inside) */
	int keep_orphans;                /* leave the other processes alive when the command ends */
	/* Instead of exec'ing argv (then only a name for messages): call fn(arg)
	 * in the command process, after the same setup (ids, privileges,
	 * seccomp, cgroup, session, stdio; other fds stay open, marked
	 * close-on-exec); its return value is the exit status. */
	int (*fn)(void *arg);
	void *arg;
	/* While the command runs: watch(watch_arg, watch_fd) whenever watch_fd
	 * (a pipe's read end, say) is readable; -1 = none. */
	int watch_fd;
	void (*watch)(void *watch_arg, int fd);
	void *watch_arg;
};

/* Limits a context hit (bs_ctx_limits_hit). */
enum {
	BS_LIMIT_MEMORY = 1 << 0,
	BS_LIMIT_PIDS = 1 << 1,
	BS_LIMIT_TIME = 1 << 2,
};

struct bs_ctx;

/* What another process needs to enter a live context it did not create
 * (read from the context's registry entry, see ctxreg.h). */
struct bs_ctx_ref {
	unsigned id;
	pid_t pid;                       /* init's host pid */
	uint64_t pid_start;              /* init's start time (/proc/PID/stat field 22) */
	int nstypes;                     /* CLONE_NEW* namespaces of the context */
	int single_id_map;
	uint64_t caps, nofile, fsize;
	char *const *syscalls_allow, *const *syscalls_deny; /* as created */
	char *const *env;                /* default environment of commands */
	const char *cgroup_parent;       /* its cgroup is PARENT/ctx-ID; NULL: none */
	uint32_t uid_first, uid_count;
	const char *ns_socket;           /* rootless: where its init hands out its namespaces */
};

/* Fills *o with the defaults: caps = bs_caps_default(), pids 4096, nofile
 * 65536, everything else 0/NULL. */
void bs_ctx_opts_init(struct bs_ctx_opts *o);

/* Fills *eo with the defaults: stdio -1 (/dev/null), cwd "/", root inside,
 * no fn, no watch_fd. */
void bs_exec_opts_init(struct bs_exec_opts *eo);

/* Reserves the host id range a context made with these options would get
 * (rundir and pool of o), so that the caller can prepare its root for it
 * (e.g. an idmapped image) and pass it as o->ids. Release with
 * bs_ns_free_range once the context exists (it keeps the range) or is not
 * needed. */
int bs_ctx_reserve_ids(const struct bs_ctx_opts *o, struct bs_idrange *r, char *err, size_t errlen);

/* Creates a live context (its init is running, ready for commands). */
int bs_ctx_create(const struct bs_ctx_opts *o, struct bs_ctx **out, char *err, size_t errlen);

/* Runs argv in the context (migrate: setns via the init's pidfd, then fork
 * and exec; the creator's first command, unless eo->fn or ids the context's
 * capabilities cannot set: forked by the init) and waits for it; *wstatus
 * gets its wait status. Returns 0 when
 * it ran to its end, -ETIMEDOUT when a timeout killed it (*wstatus set), -ESRCH
 * when the context is dead, -EBADF for a directory or O_PATH stdio fd, or
 * the -errno of a failed setup or execve (e.g. -ENOENT for a missing program). Afterwards no other process of the
 * context lives, unless eo->keep_orphans. */
int bs_ctx_exec(struct bs_ctx *c, char *const argv[], const struct bs_exec_opts *eo, int *wstatus,
		char *err, size_t errlen);

/* Attaches to a live context created by another process: opens its init's
 * pidfd and checks that the pid still names the same process (start time),
 * opens its cgroup. The result works with bs_ctx_exec (which then leaves the
 * context's other processes alone: they are its creator's), bs_ctx_kill (kills
 * every process of the context; its creator releases cgroup and id range) and
 * bs_ctx_free (just closes). -ESRCH when the context is gone. */
int bs_ctx_attach(const struct bs_ctx_ref *ref, struct bs_ctx **out, char *err, size_t errlen);

/* Kills every process of the context and releases its cgroup and id range.
 * Idempotent; afterwards no process of the context exists. */
int bs_ctx_kill(struct bs_ctx *c);

/* Waits until the context ends on its own (its timeout) or is killed, then
 * releases it like bs_ctx_kill; *wstatus gets the init's wait status
 * (exit BS_CINIT_EXIT_TIMEOUT after a timeout). */
int bs_ctx_wait(struct bs_ctx *c, int *wstatus);

/* Kills the context if it lives and frees it; NULL is fine. */
void bs_ctx_free(struct bs_ctx *c);

/* Runs fn(arg, err, errlen) in a short-lived child of the caller that has
 * entered the context's namespaces (setns on its init's pidfd: user, mount,
 * ...) and become root inside; the child's root and cwd are the context's
 * "/". Returns fn's result (0 or -errno, its message in err), -ESRCH when the
 * context is dead, or the -errno of a failed fork or entry. fn must not
 * return a pointer or touch Lua: it runs in another process. */
int bs_ctx_run_in(struct bs_ctx *c, int (*fn)(void *arg, char *err, size_t errlen), void *arg, char *err,
		  size_t errlen);

/* The context's id (its slot in the id pool), init's host pid (0 once dead),
 * and whether it is alive. */
unsigned bs_ctx_id(const struct bs_ctx *c);
pid_t bs_ctx_pid(const struct bs_ctx *c);
int bs_ctx_alive(const struct bs_ctx *c);

/* The host uid/gid range root inside maps to. */
void bs_ctx_idrange(const struct bs_ctx *c, uint32_t *first, uint32_t *count);

/* BS_LIMIT_* bits of the limits the context hit so far (read from the cgroup
 * while alive, kept after death). */
unsigned bs_ctx_limits_hit(struct bs_ctx *c);

/* BS_LIMIT_* bits of the limits the options asked for but nothing enforces
 * (rootless without a usable cgroup, with allow_unenforced_limits). */
unsigned bs_ctx_unenforced(const struct bs_ctx *c);

/* The context's cgroup directory for a controller (NULL when none/dead). */
const char *bs_ctx_cgroup(const struct bs_ctx *c, const char *controller);

#endif
