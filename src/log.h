/* Leveled, sanitized diagnostics on stderr (or a stream chosen by tests). */
#ifndef BSRUN_LOG_H
#define BSRUN_LOG_H

#include <stdio.h>

enum bs_log_level {
	BS_LOG_ERROR = 0,
	BS_LOG_WARN = 1,
	BS_LOG_INFO = 2,
	BS_LOG_DEBUG = 3,
	BS_LOG_TRACE = 4,
};

/* Sets the threshold: messages above it are dropped. */
void bs_log_set_level(enum bs_log_level level);
enum bs_log_level bs_log_get_level(void);

/* Maps -q/-v to a level: verbosity < 0 → WARN, 0 → INFO, 1 → DEBUG, ≥ 2 → TRACE. */
enum bs_log_level bs_log_level_for_verbosity(int verbosity);

/* Name of a level ("error", "warn", ...); level_from_name returns -1 if unknown. */
const char *bs_log_level_name(enum bs_log_level level);
int bs_log_level_from_name(const char *name);

/* Redirects log output (NULL restores stderr). */
void bs_log_set_stream(FILE *stream);

/* Writes one line "bsrun: [level: ]message" when level is enabled. The message
 * is sanitized: no control characters or newlines reach the terminal. */
void bs_log_msg(enum bs_log_level level, const char *msg, size_t len);

/* printf-style front end of bs_log_msg. */
void bs_log(enum bs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Shows a one-line progress display ("\r" + sanitized text cut to the
 * terminal's width) when stderr is a terminal and the level is at least info;
 * does nothing otherwise. The next log line or bs_log_progress_clear wipes it. */
void bs_log_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Wipes the progress line if one is shown. */
void bs_log_progress_clear(void);

/* Whether bs_log_progress shows anything. */
int bs_log_progress_enabled(void);

#endif
