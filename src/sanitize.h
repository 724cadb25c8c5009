/* Making untrusted text safe to show on a terminal or in a log line. */
#ifndef BSRUN_SANITIZE_H
#define BSRUN_SANITIZE_H

#include <stddef.h>

enum {
	BS_SANITIZE_KEEP_NEWLINES = 1, /* keep '\n' (multi-line output); else it is escaped */
};

/* Returns a malloc'd NUL-terminated copy of in[0..len) in which every control
 * character (C0 except tab, DEL, C1 as UTF-8), every byte that is not part of
 * valid UTF-8, and every NUL is written as a visible \xNN escape; backslashes are
 * kept as they are. The result never contains an escape sequence a terminal acts
 * on. Returns NULL only when out of memory. */
char *bs_sanitize(const char *in, size_t len, int flags);

/* Returns 1 when bs_sanitize would return a copy equal to the input. */
int bs_is_clean(const char *in, size_t len, int flags);

#endif
