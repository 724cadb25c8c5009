/* Installing RPM files into a context with a librpm transaction that runs
 * inside it: rooted at the context's "/", database in /var/lib/rpm, every
 * scriptlet run by the context's root and nowhere else. */
#ifndef BSRUN_INSTALL_H
#define BSRUN_INSTALL_H

#include "ctx.h"

#include <stddef.h>

enum {
	BS_INSTALL_NOFSYNC = 1 << 0, /* no fsync per file (%_flush_io 0) */
	BS_INSTALL_NODOCS = 1 << 1,  /* leave out %doc files (RPMTRANS_FLAG_NODOCS, rpm --excludedocs) */
	BS_INSTALL_NODEPS = 1 << 2,  /* skip rpm's dependency check of the set */
	BS_INSTALL_FSYNC = 1 << 3,   /* fsync every installed file (%_flush_io 1) */
	/* the files were checked against the repository's checksum of the whole
	 * file (bs.rpm.download): rpm skips its own header, payload and per-file
	 * digest checks (%_pkgverify_level none, RPMTRANS_FLAG_NOFILEDIGEST) */
	BS_INSTALL_CACHE_VERIFIED = 1 << 4,
};

/* What the transaction reports as it goes. */
struct bs_install_event {
	char what;          /* 's': a package starts, 'd': it is installed, 'w': a warning (text) */
	size_t index;       /* 1-based position in the caller's list (0 for some warnings) */
	size_t total;
	const char *nevra;  /* from the package's header, as rpm saw it ('s', 'd') */
	const char *text;   /* 'w' */
};

struct bs_install_opts {
	unsigned flags;     /* BS_INSTALL_* */
	int log_fd;         /* stdout and stderr of the transaction: rpm's messages, scriptlet output; -1 = none */
	unsigned timeout_s; /* 0 = none */
	const char *langs;  /* %_install_langs ("C:en"; files of other %lang are left out); NULL = all */
	void (*progress)(void *ud, const struct bs_install_event *ev); /* may be NULL */
	void *ud;
};

struct bs_install_result {
	char **nevras;      /* installed, in the order rpm installed them */
	size_t nnevras;
	char **problems;    /* rpm's problems (conflicts, failed dependencies, ...) when it failed */
	size_t nproblems;
};

/* Installs the RPM files paths[0..n) (host paths, opened here with
 * O_NOFOLLOW, read by the context through the fds: they need not be visible
 * inside) into context c. Returns 0 when every package was installed;
 * -EBADMSG when rpm refused the transaction or a package failed (res->problems
 * says why; err lists them); -ETIMEDOUT; -ESRCH (dead context); -errno of a
 * file that cannot be opened (err names it) or of the setup. res is filled
 * either way; free it with bs_install_result_free. */
int bs_install(struct bs_ctx *c, const char *const *paths, size_t n, const struct bs_install_opts *o,
	       struct bs_install_result *res, char *err, size_t errlen);

void bs_install_result_free(struct bs_install_result *res);

/* Adds a copy of s to a string list; 0 or -ENOMEM. (Shared with breq.c.) */
int bs_strlist_add(char ***v, size_t *n, const char *s);
void bs_strlist_free(char **v, size_t n);

#endif
