/* The image store as a whole: which images it holds, and keeping it under a
 * size cap (the policy's cache.max_size). */
#ifndef BSRUN_IMGSTORE_H
#define BSRUN_IMGSTORE_H

#include <stddef.h>
#include <stdint.h>

struct bs_image_keys {
	char (*v)[65];
	size_t n;
};

/* Every key with an image, a lock or a staging tree in the store (sorted,
 * unique; free k->v). Returns 0, or -errno when the store cannot be read
 * (-ENOENT: there is none yet). */
int bs_image_store_keys(const char *store, struct bs_image_keys *k);

/* Whether the store holds a (committed) image of key. */
int bs_image_present(const char *store, const char *key);

/* Removes the least recently used images until the images of the store take
 * at most max_size bytes together. Images in use (pinned by a build) and
 * keep_key (may be NULL) are never removed; an image failing its cheap check
 * is removed first. removed() (may be NULL) is told each key removed. Returns
 * 0, or -errno of a failure to read the store or remove an image. */
int bs_image_prune_to(const char *store, uint64_t max_size, const char *keep_key,
		      void (*removed)(void *ud, const char *key, uint64_t size), void *ud, char *err, size_t errlen);

#endif
