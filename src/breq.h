/* BuildRequires evaluated where they belong: inside the build root, with the
 * target's macros. The src.rpm is installed in the context (librpm, inside
 * it), `rpmbuild -br --nodeps` runs there with the macros, and the
 * requirements are read from the .buildreqs.nosrc.rpm it writes (librpm,
 * inside the context again): static BuildRequires after %if and %{?...}, path
 * BuildRequires, and what %generate_buildrequires printed. */
#ifndef BSRUN_BREQ_H
#define BSRUN_BREQ_H

#include "ctx.h"

#include <stddef.h>
#include <stdint.h>

struct bs_macro {
	const char *name;  /* [A-Za-z_][A-Za-z0-9_]*, at most 64 characters */
	const char *value; /* no NUL; newlines allowed as rpm allows them */
};

struct bs_breq_opts {
	const struct bs_macro *macros; /* --define NAME VALUE, in this order */
	size_t nmacros;
	const char *topdir;  /* inside the context; default "/builddir/build" */
	int log_fd;          /* rpmbuild's output; -1 = none */
	unsigned timeout_s;  /* per step; 0 = none */
	uint32_t uid, gid;   /* rpmbuild runs as (inside); the tree is given to them */
};

struct bs_breq_result {
	char **requires;     /* "name", "name >= 1.2", "/usr/include/db.h", "(a or b)"; no rpmlib() */
	size_t nrequires;
	char **generated;    /* the subset of requires %generate_buildrequires printed */
	size_t ngenerated;
	char **conflicts;    /* BuildConflicts */
	size_t nconflicts;
	int dynamic;         /* the spec has %generate_buildrequires */
	char spec[512];      /* the spec file, inside the context */
};

/* Evaluates the BuildRequires of host file srpm (opened with O_NOFOLLOW,
 * handed to the context by fd) in context c. Returns 0; -ENOEXEC when
 * rpmbuild -br failed (a broken spec, a failing %prep or
 * %generate_buildrequires: err says so, the log has rpmbuild's output);
 * -EINVAL for a file librpm cannot install as a source package or a bad
 * macro name; -ETIMEDOUT, -ESRCH, or another -errno of the setup. Free the
 * result with bs_breq_result_free (also after a failure). */
int bs_buildrequires(struct bs_ctx *c, const char *srpm, const struct bs_breq_opts *o, struct bs_breq_result *res,
		     char *err, size_t errlen);

void bs_breq_result_free(struct bs_breq_result *res);

#endif
