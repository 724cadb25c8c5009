/* The registry of live contexts: one key=value text per id slot file
 * RUNDIR/ctx/N, written by the creating bsrun while it holds the slot's lock
 * (see ns.h), read by `bsrun ctx list|exec|kill`. An entry is live while
 * someone holds the slot's lock and its init (pid + start time) still runs;
 * any other non-empty entry is stale and is emptied by the next reader that
 * may write it. Functions return 0 or -errno with a one-line message in err. */
#ifndef BSRUN_CTXREG_H
#define BSRUN_CTXREG_H

#include "ctx.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bs_ctxreg_entry {
	struct bs_ctx_ref ref;  /* what entering it takes */
	uid_t owner;            /* real uid of the creating process */
	int64_t start;          /* creation time, seconds since the epoch */
	char *root;             /* host directory that is its / */
	char *cmd;              /* the last command started in it ("" before any) */
	char *hostname;
	char **allow, **deny, **env; /* NULL-terminated (owned; ref points at them) */
	char *cgparent;
	char *sock;
};

/* The registry directory for the caller: /run/bsrun for root; otherwise
 * $XDG_RUNTIME_DIR/bsrun when XDG_RUNTIME_DIR is an absolute directory owned
 * by the caller, else /tmp/bsrun-UID. Writes it to buf. */
void bs_ctxreg_rundir(char *buf, size_t len);

/* Start time of process pid in clock ticks since boot (/proc/PID/stat field
 * 22): with the pid it names one process for good. -ESRCH once the process
 * has exited (a zombie counts as gone). */
int bs_proc_starttime(pid_t pid, uint64_t *out);

/* The registry text of an entry (malloc'ed), or NULL when out of memory.
 * Values with a newline are left out; no cmd line when e->cmd is NULL. */
char *bs_ctxreg_format(const struct bs_ctxreg_entry *e);

/* Parses a registry text into *e (zeroed first; free with
 * bs_ctxreg_entry_free). -EINVAL for a malformed or incomplete text. */
int bs_ctxreg_parse(const char *text, struct bs_ctxreg_entry *e);

void bs_ctxreg_entry_free(struct bs_ctxreg_entry *e);

/* The live entries of rundir's registry, sorted by id, in *out (count *n;
 * free each and the array). Stale entries the caller may write are emptied
 * (and their empty cgroups removed) on the way. A missing registry is an
 * empty list. The directory and files must belong to root or the caller. */
int bs_ctxreg_list(const char *rundir, struct bs_ctxreg_entry **out, size_t *n, char *err, size_t errlen);

/* The live entry of context id, or -ESRCH. */
int bs_ctxreg_get(const char *rundir, unsigned id, struct bs_ctxreg_entry *e, char *err, size_t errlen);

#endif
