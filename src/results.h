/* A build's result directory: written in a private staging directory beside
 * it and put in place in one rename, so a half-written result never looks
 * complete and an earlier result is never overwritten (it is moved aside). */
#ifndef BSRUN_RESULTS_H
#define BSRUN_RESULTS_H

#include <stddef.h>
#include <sys/types.h>

struct bs_results;

/* Creates the parent directories of `path` (the user's choice, so symlinks
 * in it are followed) and a fresh staging directory ".NAME.partial-XXXXXX"
 * (mode 0755) beside it. The final directory is not touched yet. */
int bs_results_begin(const char *path, struct bs_results **out, char *err, size_t errlen);

/* The staging directory's fd (valid until commit or abort). */
int bs_results_dirfd(const struct bs_results *r);

/* The final path, as given to begin. */
const char *bs_results_path(const struct bs_results *r);

/* Returns 1 when name is a single safe file name (no '/', not "." or ".." or
 * hidden, printable UTF-8-free ASCII and at most 200 bytes), else 0. */
int bs_results_name_ok(const char *name);

/* Creates file `name` in the staging directory (O_CREAT|O_EXCL|O_NOFOLLOW,
 * mode 0644) and returns a write fd (O_CLOEXEC), or -errno (-EINVAL for a bad
 * name, -EEXIST when it exists). */
int bs_results_create(struct bs_results *r, const char *name);

/* Writes the whole of data to a new file `name`. */
int bs_results_write(struct bs_results *r, const char *name, const char *data, size_t len);

/* Reads at most the last `max` bytes of file `name` (a regular file, opened
 * without following links) into a malloc'd buffer; *len gets its size. */
int bs_results_tail(struct bs_results *r, const char *name, size_t max, char **out, size_t *len);

/* Puts the staging directory in place at the final path. An existing final
 * directory (an earlier result) is first renamed to "NAME.old-YYYYmmdd-HHMMSS"
 * (its new name goes into aside, "" when there was none). Afterwards the
 * staging fd is closed; the object still reports the path. */
int bs_results_commit(struct bs_results *r, char *aside, size_t asidelen, char *err, size_t errlen);

/* Removes the staging directory and everything in it (not after commit). */
void bs_results_abort(struct bs_results *r);

/* Aborts unless committed, and frees r; NULL is fine. */
void bs_results_free(struct bs_results *r);

#endif
