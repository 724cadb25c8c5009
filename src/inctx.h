/* Running librpm inside a context: a message channel from a function run in
 * the context (bs_exec_opts.fn) back to bsrun, and rpm's configuration.
 *
 * The function runs in the context's command process (root inside, dropped
 * privileges, seccomp) with a copy of bsrun's memory. It reports through
 * fixed-size records written to a pipe (each write is atomic); bsrun reads
 * them while the command runs (bs_exec_opts.watch) and once it has ended.
 * Whatever arrives is the context's word: size-capped, checked, never
 * trusted beyond that. */
#ifndef BSRUN_INCTX_H
#define BSRUN_INCTX_H

#include <stddef.h>
#include <stdint.h>

#define BS_INCTX_TEXT 1000

struct bs_inctx_rec {
	char op;                 /* meaning is the caller's */
	uint32_t index;
	uint32_t len;            /* of text, < BS_INCTX_TEXT */
	char text[BS_INCTX_TEXT]; /* NUL-terminated */
};

/* Parent side: the channel, and a handler called for each record. */
struct bs_inctx {
	int rfd, wfd;            /* pipe; -1 when closed */
	void (*on_rec)(void *ud, const struct bs_inctx_rec *r);
	void *ud;
	size_t nrecs, max_recs;  /* records beyond max_recs are dropped and counted */
	size_t dropped;
};

/* Opens the channel (O_CLOEXEC, read end non-blocking). 0 or -errno. */
int bs_inctx_open(struct bs_inctx *ch, size_t max_recs, void (*on_rec)(void *, const struct bs_inctx_rec *),
		  void *ud);

/* Reads every record available now (a bs_exec_opts.watch function: arg is
 * the channel). Malformed records are dropped. */
void bs_inctx_drain(void *ch, int fd);

/* Closes the write end (after the command ended), reads what is left, closes
 * the read end. Idempotent. */
void bs_inctx_close(struct bs_inctx *ch);

/* Child side: writes one record (text may be NULL; cut to fit). */
void bs_inctx_send(int wfd, char op, uint32_t index, const char *text);

/* printf-style bs_inctx_send. */
void bs_inctx_sendf(int wfd, char op, uint32_t index, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Reads the host's rpm configuration into this process once (before any
 * migration: the function in the context inherits it and never reads the
 * root's rpmrc or macro files). 0 or -EIO. */
int bs_inctx_rpm_config(void);

/* True when s is a plain printable string (no control characters). */
int bs_inctx_printable(const char *s);

#endif
