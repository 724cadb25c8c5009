/* Leveled, sanitized diagnostics. */
#include "log.h"
#include "sanitize.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static enum bs_log_level threshold = BS_LOG_INFO;
static FILE *log_stream;
static int progress_shown; /* a progress line is on the terminal */

static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

void bs_log_set_level(enum bs_log_level level)
{
	threshold = level;
}

enum bs_log_level bs_log_get_level(void)
{
	return threshold;
}

enum bs_log_level bs_log_level_for_verbosity(int verbosity)
{
	if (verbosity < 0)
		return BS_LOG_WARN;
	if (verbosity == 0)
		return BS_LOG_INFO;
	return verbosity == 1 ? BS_LOG_DEBUG : BS_LOG_TRACE;
}

const char *bs_log_level_name(enum bs_log_level level)
{
	if ((unsigned)level > BS_LOG_TRACE)
		return "?";
	return level_names[level];
}

int bs_log_level_from_name(const char *name)
{
	for (int i = 0; i <= BS_LOG_TRACE; i++)
		if (strcmp(level_names[i], name) == 0)
			return i;
	return -1;
}

void bs_log_set_stream(FILE *stream)
{
	log_stream = stream;
}

void bs_log_msg(enum bs_log_level level, const char *msg, size_t len)
{
	FILE *out = log_stream ? log_stream : stderr;
	char *clean;

	if (level > threshold)
		return;
	clean = bs_sanitize(msg, len, 0);
	bs_log_progress_clear();
	if (level == BS_LOG_ERROR || level == BS_LOG_WARN || level >= BS_LOG_DEBUG)
		fprintf(out, "bsrun: %s: %s\n", level == BS_LOG_WARN ? "warning" : bs_log_level_name(level),
			clean ? clean : "(out of memory)");
	else
		fprintf(out, "bsrun: %s\n", clean ? clean : "(out of memory)");
	fflush(out);
	free(clean);
}

void bs_log(enum bs_log_level level, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	if (level > threshold)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	bs_log_msg(level, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* The progress line goes to a terminal only: stderr of bsrun itself. */
static int progress_tty(void)
{
	return !log_stream && threshold >= BS_LOG_INFO && isatty(STDERR_FILENO);
}

int bs_log_progress_enabled(void)
{
	return progress_tty();
}

void bs_log_progress(const char *fmt, ...)
{
	char buf[1024], *clean;
	struct winsize ws;
	size_t width = 79;
	va_list ap;
	int n;

	if (!progress_tty())
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	clean = bs_sanitize(buf, strlen(buf), 0);
	if (!clean)
		return;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		width = ws.ws_col - 1;
	if (strlen(clean) > width)
		clean[width] = 0;
	fprintf(stderr, "\r\033[K%s", clean);
	fflush(stderr);
	progress_shown = 1;
	free(clean);
}

void bs_log_progress_clear(void)
{
	if (!progress_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	progress_shown = 0;
}
