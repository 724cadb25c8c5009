/* Starting a context's init: bsrun-init (src/init/main.c), a small static
 * program embedded in bsrun. bsrun executes it once per process, from a
 * sealed memfd, as its *zygote*; each context's init is then a fork of that
 * small process (not of bsrun's large address space), cloned straight into
 * the context's new namespaces as bsrun's own child. */
#ifndef BSRUN_INITEXEC_H
#define BSRUN_INITEXEC_H

#include <stdint.h>
#include <sys/types.h>

/* Clones a new init into the namespaces nsflags (CLONE_NEW*), a child of
 * the caller. It waits for a 1-byte message 'G' on ctl (send it once its
 * uid/gid maps are written and it is in its cgroup), then reads its config
 * (initcfg.h) from ctl. It holds ctl and keep[0..nkeep) (at most 3, -1
 * ignored), under the same numbers as the caller, and no other fd of the
 * caller's. Starts the zygote first when this process has none (or it
 * died). Returns the init's pid, *pidfd its pidfd, or -errno with a message
 * in err. Not thread-safe. */
pid_t bs_init_clone(uint64_t nsflags, int ctl, const int *keep, int nkeep, int *pidfd, char *err, size_t errlen);

/* The zygote's wire format: a request (one message, the fds attached as
 * SCM_RIGHTS, ctl first) and its answer. */
struct bs_zygote_req {
	uint64_t nsflags;
	int32_t fds[4]; /* the numbers the fds must get in the init */
	int32_t nfds;
};
struct bs_zygote_ans {
	int32_t pid; /* or -errno */
};

/* The exit code of an init whose ctl closed before 'G'. */
#define BS_INIT_EXIT_NOGO 125

#endif
