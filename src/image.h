/* Cached, read-only base images and fresh overlay roots over them.
 *
 * A store (default BS_IMAGE_STORE, a root-owned 0700 directory) holds one
 * directory per image key:
 *   KEY/tree      the image tree, owned by the image id range (outside every
 *                 context's range), never written after commit
 *   KEY/manifest  path, type, mode, owner, size, sha256 of every entry
 *   KEY/meta      key, format, id range, policy, packages, size, creation time
 *   KEY.lock      flock'ed: LOCK_EX while the image is built or pruned,
 *                 LOCK_SH while anyone uses it; its mtime is the last use
 *   .KEY.tmp-XXXXXX  a staging directory while the image is built
 * Every function returns 0 (or a positive state) or -errno with a one-line
 * message in err. */
#ifndef BSRUN_IMAGE_H
#define BSRUN_IMAGE_H

#include "ns.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define BS_IMAGE_FORMAT 1
#define BS_IMAGE_STORE "/var/cache/bsrun/images"
#define BS_IMAGE_ROOTS "/var/tmp/bsrun/roots"
/* The ids image trees are owned by on disk: just past the default context
 * pool, so no context ever maps them. */
#define BS_IMAGE_IDS_FIRST (BS_NS_POOL_FIRST + BS_NS_POOL_COUNT)
#define BS_IMAGE_IDS_COUNT BS_NS_RANGE

enum { BS_IMAGE_READY = 1, BS_IMAGE_BUILD = 2 };

struct bs_image;

/* What `bsrun cache list` shows about an image (recorded at commit). */
struct bs_image_info {
	const char *policy;            /* may be NULL */
	const char *const *packages;   /* NEVRAs; may be NULL */
	size_t npackages;
};

/* An image's metadata as read back (bs_image_check). */
struct bs_image_meta {
	char key[65];
	char policy[128];
	unsigned npackages;
	uint32_t ids_first, ids_count;
	uint64_t size;     /* bytes of regular files */
	uint64_t entries;  /* manifest entries */
	time_t created, last_use;
};

/* The image key: lowercase hex sha256 over the format version and the parts
 * in the given order (each NUL-terminated). The caller orders the parts
 * (sorted NEVRAs, repository checksums, install-affecting macros). */
void bs_image_key(const char *const *parts, size_t n, char key[65]);

/* Whether s is a well-formed key (64 lowercase hex digits). */
int bs_image_key_valid(const char *s);

/* Finds or starts image `key` in store (created 0700 when missing).
 * BS_IMAGE_READY: the image exists and passed the cheap check; the image is
 * pinned (LOCK_SH) until bs_image_free. BS_IMAGE_BUILD: the caller holds the
 * key's exclusive lock and a fresh staging tree (bs_image_tree; empty but
 * for the mount points proc, dev and tmp) to populate, then bs_image_commit. Acquirers of one key wait while it is
 * built; different keys never wait for each other. An abandoned staging
 * directory is removed. An image failing the cheap check is refused
 * (-EUCLEAN). */
int bs_image_acquire(const char *store, const char *key, struct bs_image **out, char *err, size_t errlen);

/* BS_IMAGE_READY or BS_IMAGE_BUILD. */
int bs_image_state(const struct bs_image *img);

/* The tree: the staging tree while building, else the image tree. */
const char *bs_image_tree(const struct bs_image *img);
const char *bs_image_keyof(const struct bs_image *img);

/* The on-disk id range of a ready image's tree. */
void bs_image_ids(const struct bs_image *img, uint32_t *first, uint32_t *count);

/* Completes a BUILD image; nothing may run in the staging tree any more.
 * Shifts every owner from the build's host range [src_first, src_first +
 * src_count) to the image range (an owner outside it is refused, -EPERM;
 * entries owned by the caller, like the tree's top and the proc, dev and tmp
 * mount points bs_image_acquire made, become the image's root), syncs the
 * filesystem, writes manifest and meta,
 * renames the staging directory into place and downgrades the lock: the
 * image is READY (and pinned) afterwards. On failure the staging directory is
 * removed. */
int bs_image_commit(struct bs_image *img, uint32_t src_first, uint32_t src_count, const struct bs_image_info *info,
		    char *err, size_t errlen);

/* The key's lock fd (for roots that pin the image); -1 when none. */
int bs_image_lockfd(const struct bs_image *img);

/* Releases the image: an uncommitted staging directory is removed, the lock
 * dropped. NULL is fine. */
void bs_image_free(struct bs_image *img);

/* The cheap check of image `key`: meta and manifest present and naming the
 * key, the format known, the store entry root-owned and not writable by
 * others, the tree's top owned and moded as the manifest records and not
 * writable by group or others. Fills *m when given. -EUCLEAN when it fails. */
int bs_image_check(const char *store, const char *key, struct bs_image_meta *m, char *err, size_t errlen);

/* Full verification: the cheap check, then every entry of the tree re-read
 * and re-hashed against the manifest. -EUCLEAN names the first mismatch. */
int bs_image_verify(const char *store, const char *key, char *err, size_t errlen);

/* Removes image `key` (and stale staging dirs of it) unless in use:
 * -EBUSY when someone holds its lock. */
int bs_image_remove(const char *store, const char *key, char *err, size_t errlen);

/* A fresh root: an overlayfs (lower: the image tree through an idmapped,
 * read-only mount that shows the image range as the target range; upper and
 * work on a private tmpfs of upper_size bytes) mounted on a new directory
 * under rootsdir (default BS_IMAGE_ROOTS). The upper's top is owned by the
 * target range's first id. Pins the image while it lives. */
struct bs_root;
int bs_root_from_image(const struct bs_image *img, uint64_t upper_size, uint32_t target_first,
		       uint32_t target_count, const char *rootsdir, struct bs_root **out, char *err, size_t errlen);

/* The root's path (the overlay's mount point). */
const char *bs_root_path(const struct bs_root *r);

/* Unmounts the overlay (its tmpfs goes with it), removes the directory and
 * frees r. Returns 0 or the -errno of a failed step (r is freed anyway).
 * Nothing may run in the root any more. NULL is fine. */
int bs_root_release(struct bs_root *r);

/* Frees r and leaves its root mounted where it is, marked kept (see
 * stale.h): --keep. Returns 0 or -errno of the marking (r is freed anyway). */
int bs_root_keep(struct bs_root *r);

#endif
