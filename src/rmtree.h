/* Removing a tree that a hostile build controlled. */
#ifndef BSRUN_RMTREE_H
#define BSRUN_RMTREE_H

#include <dirent.h>

/* Removes the entry `name` of the directory parentfd and, for a directory,
 * everything below it. Works only through directory fds: never follows a
 * symlink (a symlink is removed, not its target), never descends into another
 * filesystem or a mount point, climbs back with ".." only after checking that
 * it is the directory it came from, and makes directories writable (0700)
 * when the build left them read-only. Any depth works with a few fds open.
 * Returns 0 when the entry is gone; else -errno of the first failure (-EBUSY:
 * a mount point or other filesystem was left in place; -ESTALE: the tree was
 * moved while being removed; -EAGAIN: it kept changing), having removed what
 * it safely could. */
int bs_remove_tree(int parentfd, const char *name);

/* A directory stream over the directory dfd from its first entry, on an
 * open file of its own (dfd stays open and its offset untouched); NULL with
 * errno set on failure. closedir() closes only the stream's own fd. */
DIR *bs_opendir_fd(int dfd);

#endif
