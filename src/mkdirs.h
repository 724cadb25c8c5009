/* mkdir -p. */
#ifndef BSRUN_MKDIRS_H
#define BSRUN_MKDIRS_H

#include <sys/types.h>

/* Creates path and its missing parents with mode (existing directories are
 * left as they are). Follows symlinks like mkdir -p: only for paths bsrun or
 * its user chose, or for paths inside a context seen from inside it.
 * Returns 0, or -errno of the first mkdir that failed (-ENAMETOOLONG). */
int bs_mkdirs(const char *path, mode_t mode);

#endif
