/* Rootless contexts: the caller's subordinate ids (/etc/subuid, /etc/subgid)
 * and the setuid helpers newuidmap/newgidmap (package uidmap) that map them.
 * Functions return 0 or -errno with a one-line message in err. */
#ifndef BSRUN_SUBID_H
#define BSRUN_SUBID_H

#include "ns.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bs_subid {
	uint32_t ufirst, ucount; /* the first /etc/subuid range of the caller */
	uint32_t gfirst, gcount; /* the first /etc/subgid range of the caller */
};

/* Finds the caller's (real uid; lines name the user or the uid) first
 * subordinate uid and gid ranges. -ENOENT, with a message saying how to add
 * them, when either is missing; -ENOENT too when newuidmap/newgidmap are not
 * installed (the message says so). */
int bs_subid_find(struct bs_subid *s, char *err, size_t errlen);

/* Maps inside 0..count-1 of process pid's new user namespace to r's host
 * uids and gids (single: only 0 → r->first / r->gfirst) with newuidmap and
 * newgidmap. The process must belong to the caller and be dumpable. */
int bs_subid_write_maps(pid_t pid, const struct bs_idrange *r, int single, char *err, size_t errlen);

#endif
