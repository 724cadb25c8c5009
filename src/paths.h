/* Where bsrun's own files (lua/, recipes/, policies/) live. */
#ifndef BSRUN_PATHS_H
#define BSRUN_PATHS_H

#include <stddef.h>

/* Finds the data directory: the source tree when the binary runs from one
 * (SRC/src/bsrun → SRC), else the installed tree next to the binary
 * (P/bin/bsrun → P/share/bsrun), else the compiled-in BSRUN_DATADIR. A tree
 * counts only if it holds lua/bsrun/errors.lua. Writes it to buf and returns 0,
 * or -ENOENT (buf then lists where it looked) / -ENAMETOOLONG. */
int bs_find_datadir(char *buf, size_t len);

/* Returns 0 when dir holds bsrun's Lua library, -errno otherwise. */
int bs_datadir_valid(const char *dir);

#endif
