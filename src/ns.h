/* User-namespace id ranges, uid/gid maps, and small namespace helpers.
 * Every function returns 0 or -errno (with a one-line message in err when
 * the function takes one). */
#ifndef BSRUN_NS_H
#define BSRUN_NS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BS_NS_RANGE 65536u                 /* ids per context */
#define BS_NS_POOL_FIRST 0x40000000u       /* default pool: 1073741824 ... */
#define BS_NS_POOL_COUNT (1024u * BS_NS_RANGE) /* ... 1024 slots */
#define BS_NS_RUNDIR "/run/bsrun"

/* A host id range held by one live context. The slot file under
 * RUNDIR/ctx/ stays flock'ed (LOCK_EX) as long as any holder of lockfd lives,
 * so ranges of live contexts never overlap, even across bsrun processes. */
struct bs_idrange {
	uint32_t first, count; /* host uids first .. first+count-1 */
	uint32_t gfirst;       /* host gids gfirst .. gfirst+count-1 */
	unsigned slot;         /* slot number in the pool: the context id */
	int lockfd;            /* open, locked slot file (O_CLOEXEC); -1 when none */
};

/* Allocates the first free slot of `size` ids in the pool [pool_first,
 * pool_first+pool_count) whose ids are all unused by /etc/passwd, /etc/group,
 * /etc/subuid and /etc/subgid and which contains neither id 0 nor (uid_t)-1.
 * rundir must be a directory owned by the caller's euid, not writable by others (created when
 * missing). Returns 0, or -EAGAIN when every slot is taken, or -errno. */
int bs_ns_alloc_range(const char *rundir, uint32_t pool_first, uint32_t pool_count, uint32_t size,
		      struct bs_idrange *r, char *err, size_t errlen);

/* The rootless variant: slot s holds uids ufirst + s*size .. and gids
 * gfirst + s*size .., size = min(65536, ucount, gcount) (the caller's
 * subordinate ranges; no host-id checks: newuidmap enforces them). rundir
 * must be owned by the caller. */
int bs_ns_alloc_sub(const char *rundir, uint32_t ufirst, uint32_t ucount, uint32_t gfirst, uint32_t gcount,
		    struct bs_idrange *r, char *err, size_t errlen);

/* A registry slot only (ids: the caller's own uid and gid, count 1), for a
 * rootless single-id map without subordinate ids. */
int bs_ns_alloc_self(const char *rundir, struct bs_idrange *r, char *err, size_t errlen);

/* Rewrites the slot file's registry text (key=value lines); keeps the lock. */
int bs_ns_range_describe(const struct bs_idrange *r, const char *text);

/* The same, the text in n pieces (writev). */
struct iovec;
int bs_ns_range_describev(const struct bs_idrange *r, const struct iovec *iov, int n);

/* Releases the range (closes lockfd); safe on a released or zeroed range with lockfd -1. */
void bs_ns_free_range(struct bs_idrange *r);

/* Writes /proc/PID/{uid_map,setgroups,gid_map} of a child that has just
 * entered a new user namespace (needs root): inside 0..count-1 → host
 * uids first.., gids gfirst..; with
 * single != 0 only inside 0 → host first, and setgroups is denied first. */
int bs_ns_write_maps(pid_t pid, const struct bs_idrange *r, int single, char *err, size_t errlen);

/* Brings the loopback interface up in the caller's network namespace. */
int bs_ns_loopback_up(void);

/* Enters the namespaces `nstypes` (CLONE_NEW* bits) of the process behind
 * pidfd, all at once (setns on a pidfd). Caller must be single-threaded. */
int bs_ns_enter(int pidfd, int nstypes);

#endif
