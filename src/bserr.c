/* One-line error messages for the context code. */
#include "bserr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int vfail(char *err, size_t errlen, int e, int with_reason, const char *fmt, va_list ap)
{
	int n;

	if (!err || errlen == 0)
		return -e;
	n = vsnprintf(err, errlen, fmt, ap);
	if (with_reason && n >= 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n, ": %s", strerror(e));
	return -e;
}

int bs_fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(err, errlen, e, 1, fmt, ap);
	va_end(ap);
	return r;
}

int bs_failx(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(err, errlen, e, 0, fmt, ap);
	va_end(ap);
	return r;
}
