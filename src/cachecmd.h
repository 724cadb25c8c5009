/* bsrun cache list|verify|prune: the base image store from the command line. */
#ifndef BSRUN_CACHECMD_H
#define BSRUN_CACHECMD_H

#include "cli.h"

#include <stddef.h>

/* The image store: $BSRUN_CACHEDIR/images when that is absolute, else
 * /var/cache/bsrun/images for root, else $XDG_CACHE_HOME/bsrun/images
 * (~/.cache/bsrun/images). Returns 0 or -ENAMETOOLONG. */
int bs_cache_store(char *buf, size_t len);

/* Runs `bsrun cache SUBCOMMAND [KEY...]` (o->args); returns the exit code:
 * 0, 1 when verify finds a bad image, 2 usage, 4 the store is unusable. */
int bs_cache_command(const struct bs_opts *o);

#endif
