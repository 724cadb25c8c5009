/* Starting a context's init: bsrun-init (src/init/main.c), a small static
 * program embedded in bsrun, executed from a sealed memfd. */
#ifndef BSRUN_INITEXEC_H
#define BSRUN_INITEXEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bs_initproc; /* a starting init: the memory it shares with us until its exec */

/* Clones a child into the namespaces nsflags (CLONE_NEW*) that waits for the
 * byte 'G' on ctl (send it once its uid/gid maps are written), becomes root
 * inside, and executes bsrun-init with "bsrun-init CTL" as argv; ctl and the
 * fds keep[0..nkeep) (at most 4; -1 ignored) are inherited, nothing else,
 * and every signal starts blocked (init resets them). Until its exec the
 * child runs on a stack of its own in the caller's memory (no copy of the
 * caller's address space): *st holds that memory; free it with
 * bs_initproc_free only once the init answered after its exec, or was
 * reaped. Returns the child's pid (*pidfd its pidfd), or -errno with a
 * message in err. */
pid_t bs_init_clone(uint64_t nsflags, int ctl, const int *keep, int nkeep, int *pidfd, struct bs_initproc **st,
		    char *err, size_t errlen);

/* Frees what bs_init_clone kept for a child past its exec or dead; NULL is
 * fine. */
void bs_initproc_free(struct bs_initproc *st);

/* The exit codes of a child that never became bsrun-init. */
#define BS_INIT_EXIT_NOGO 125  /* the control socket closed before 'G' */
#define BS_INIT_EXIT_IDS 126   /* could not become root inside */
#define BS_INIT_EXIT_EXEC 127  /* the exec of bsrun-init failed */

#endif
