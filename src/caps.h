/* Capabilities and the privilege drop of a context's processes (libcap).
 * Every function returns 0 or -errno. */
#ifndef BSRUN_CAPS_H
#define BSRUN_CAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/capability.h> /* CAP_* */

#define BS_CAP(c) (UINT64_C(1) << (c))

/* What rpm needs as root inside a context: CHOWN, DAC_OVERRIDE, FOWNER,
 * FSETID, SETUID, SETGID, SETFCAP, KILL. */
uint64_t bs_caps_default(void);

/* Maps a capability name ("chown", "CAP_CHOWN", case-insensitive) to its
 * number, or returns -EINVAL. */
int bs_caps_from_name(const char *name);

/* Drops privileges in this order: capability bounding set reduced to `keep`
 * (every cap up to cap_last_cap), ambient set cleared, permitted/effective set
 * to `keep` and inheritable emptied, securebits locked (root keeps its
 * meaning, no keep-caps, no ambient raise), then CAP_SETPCAP released unless
 * kept. Ids must already be final. Writes the failing step to err. */
int bs_caps_drop(uint64_t keep, char *err, size_t errlen);

/* bs_caps_drop, with the bounding set reduced to `bound` while the
 * process itself keeps `keep` (the context's init: CAP_KILL, which none of
 * its children can regain by exec). */
int bs_caps_drop_bound(uint64_t bound, uint64_t keep, char *err, size_t errlen);

/* Sets permitted and effective to `keep` (a subset of the permitted set,
 * so only a drop) and inheritable to nothing; the raw system call. */
int bs_caps_limit(uint64_t keep);

/* Sets PR_SET_NO_NEW_PRIVS. */
int bs_caps_no_new_privs(void);

#endif
