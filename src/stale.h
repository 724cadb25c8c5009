/* What a dead bsrun left behind (kill -9, a crash, a power cut of the
 * process): finding it by its owner and removing it, never touching what a
 * live bsrun owns.
 *
 * Owners: a context's cgroup and registry entry belong to its id slot, whose
 * lock file RUNDIR/ctx/N a live bsrun holds (flock) for as long as it runs;
 * a root RO OTSDIR/{img,root}-PID-HEX belongs to process PID, which is gone
 * when /proc/PID is missing or a zombie, or was started after the root was
 * made (the pid was reused). A root marked kept (--keep) is never stale.
 * Functions return 0 or -errno with a one-line message in err. */
#ifndef BSRUN_STALE_H
#define BSRUN_STALE_H

#include <stddef.h>
#include <sys/types.h>

/* Told each stale thing found: what ("root", "cgroup", "context"), its name,
 * and whether it was removed (0 in a dry run or when removing failed). */
typedef void (*bs_stale_cb)(void *ud, const char *what, const char *name, int removed);

/* The owner pid of a root name "img-PID-HEX8" or "root-PID-HEX8", or 0 when
 * name is not a root's. */
pid_t bs_stale_root_owner(const char *name);

/* 1 when process pid runs and was started no later than `made` (seconds
 * since the epoch; 0 = do not compare), else 0. */
int bs_stale_owner_alive(pid_t pid, time_t made);

/* Marks the root at path kept (a file NAME.kept beside it): never stale. */
int bs_stale_keep(const char *path, char *err, size_t errlen);

/* Removes the stale roots of rootsdir: unmounts each (lazily, by fd, every
 * mount stacked on it) and removes the tree without following symlinks. With
 * dry set, only reports. Returns how many stale roots were found, or -errno
 * when rootsdir cannot be read (a missing rootsdir: 0). */
int bs_stale_clean_roots(const char *rootsdir, int dry, bs_stale_cb cb, void *ud, char *err, size_t errlen);

/* Removes the contexts of rundir whose slot lock nobody holds: kills what is
 * left in their cgroup (cgparent/ctx-N), removes the cgroup, empties the
 * registry entry; each slot stays locked by us meanwhile, so a bsrun starting
 * now cannot take it. Returns how many were found, or -errno. */
int bs_stale_clean_contexts(const char *rundir, const char *cgparent, int dry, bs_stale_cb cb, void *ud, char *err,
			    size_t errlen);

/* Both of the above for root's registry (/run/bsrun, cgroups under
 * "bsrun") and the roots directory (/var/tmp/bsrun/roots); as an ordinary
 * user only the caller's own registry. Returns how many stale things were
 * found, or -errno of the first failure (the rest is still done). */
int bs_stale_clean_all(int dry, bs_stale_cb cb, void *ud, char *err, size_t errlen);

#endif
