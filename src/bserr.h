/* One-line error messages for the context code: "what failed: reason". */
#ifndef BSRUN_BSERR_H
#define BSRUN_BSERR_H

#include <stddef.h>

/* Writes "<fmt...>: strerror(e)" into err (when err is not NULL) and returns
 * -e. e is a positive errno value. Async-signal-safe enough for a forked child
 * of a single-threaded process (vsnprintf only). */
int bs_fail(char *err, size_t errlen, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Like bs_fail, without the ": strerror(e)" suffix. */
int bs_failx(char *err, size_t errlen, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
