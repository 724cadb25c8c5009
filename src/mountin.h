/* Mounting a host directory into a live context. */
#ifndef BSRUN_MOUNTIN_H
#define BSRUN_MOUNTIN_H

#include "ctx.h"

#include <stddef.h>

/* Mounts the host path `source` (a directory or a file) on `target` inside the
 * live context c, with the BS_BIND_* flags RO, NOEXEC, RECURSIVE (NOSUID and
 * NODEV are always set). The source is cloned on the host with open_tree
 * (OPEN_TREE_CLONE [| AT_RECURSIVE]) and its attributes set with
 * mount_setattr before anything of the context is touched; then a child that
 * entered the context's namespaces as root inside resolves `target` in the
 * context's root with openat2 RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS|
 * RESOLVE_NO_MAGICLINKS (creating the last component when missing) and
 * attaches the clone with move_mount onto that fd. A symlink anywhere on the
 * target path gives -ELOOP; nothing can redirect the mount outside the root.
 * The mount is seen by every process of the context. Returns 0 or -errno
 * (-EINVAL for a relative path or the target "/", -ESRCH for a dead context). */
int bs_mount_in(struct bs_ctx *c, const char *source, const char *target, unsigned flags, char *err,
		size_t errlen);

#endif
