/* Starting a context's init: bsrun-init (src/init/main.c), a small static
 * program embedded in bsrun. bsrun executes it once per process, from a
 * sealed memfd, as its *zygote*; each context's init is then a fork of that
 * small process (not of bsrun's large address space), cloned straight into
 * the context's new namespaces as bsrun's own child. */
#ifndef BSRUN_INITEXEC_H
#define BSRUN_INITEXEC_H

#include <stdint.h>
#include <sys/types.h>

/* Asks the zygote for a new init in the namespaces nsflags (CLONE_NEW*),
 * a child of the caller, holding ctl (and no other fd of the caller's). It
 * waits for a 1-byte message 'G' on ctl (send it once its uid/gid maps are
 * written and it is in its cgroup), then for its config (initcfg.h, with
 * the fds it names attached). Starts the zygote first when this process has
 * none (or it died or was started under other credentials). The clone runs
 * while the caller goes on: bs_init_answer gets its result. 0 or -errno
 * with a message in err. Not thread-safe. */
int bs_init_request(uint64_t nsflags, int ctl, char *err, size_t errlen);

/* The answer to bs_init_request: the init's pid (*pidfd its pidfd), or
 * -errno with a message in err. */
pid_t bs_init_answer(int *pidfd, char *err, size_t errlen);

/* This process's end of its zygote's socket, -1 when it has none (for
 * tests: the zygote answers only the process that started it). */
int bs_init_zygote_sock(void);

/* The zygote's wire format: a request (one message, ctl attached as
 * SCM_RIGHTS) and its answer. */
struct bs_zygote_req {
	uint64_t nsflags;
};
struct bs_zygote_ans {
	int32_t pid; /* or -errno */
};

/* The exit code of an init whose ctl closed before 'G'. */
#define BS_INIT_EXIT_NOGO 125

#endif
