/* Image manifests: one line per entry of a tree (type, mode, owner, size,
 * sha256, path), made by walking the tree through directory fds only. */
#ifndef BSRUN_MANIFEST_H
#define BSRUN_MANIFEST_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* How owners change during the walk (bs_image_commit): an id in
 * [from, from+count) becomes to + (id - from); an id already in [to,
 * to+count) is kept only on a hard-linked file seen before; an entry owned
 * by `host_owner` (the caller: the tree's top and the mount points it made)
 * becomes `to`. Anything else: -EPERM. */
struct bs_mf_shift {
	uint32_t from, count, to;
	uid_t host_owner;
};

/* Writes the manifest lines of the tree at treefd (an O_RDONLY directory fd)
 * to out, in a fixed order (names sorted bytewise, parents first), shifting
 * owners first when shift is not NULL. Never follows a symlink nor crosses
 * into another filesystem. *size gets the bytes of regular files, *entries
 * the number of lines. */
int bs_manifest_walk(int treefd, const struct bs_mf_shift *shift, FILE *out, uint64_t *size, uint64_t *entries,
		     char *err, size_t errlen);

/* Parses the top entry's line ("d MODE UID GID ..."). Returns 0 or -EINVAL. */
int bs_manifest_top(const char *line, unsigned *mode, uint32_t *uid, uint32_t *gid);

#endif
