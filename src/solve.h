/* Dependency solving with libsolv: requirement strings in, the packages to
 * install (in install order) or the problems out. */
#ifndef BSRUN_SOLVE_H
#define BSRUN_SOLVE_H

#include <stddef.h>
#include <solv/pool.h>

/* One package to install. */
struct bs_pkg {
	char *name, *evr, *arch;     /* evr: [epoch:]version-release */
	char *nevra;                 /* name-[epoch:]version-release.arch */
	char *repo;                  /* the repository's name */
	char *location;              /* relative to the repository URL (or its xml:base) */
	char *url;                   /* where to download it */
	char *chksum_type, *chksum;  /* "sha256" and hex; NULL when the metadata has none */
	unsigned long long size;     /* download size in bytes; 0 when unknown */
};

/* One reason why the requirements cannot all be met. */
struct bs_problem {
	char *text;                  /* libsolv's one-line description */
	char **requires;             /* the requirements (or conflicts) it involves, as given */
	size_t nrequires;
	char **details;              /* every rule libsolv found involved, one line each */
	size_t ndetails;
};

struct bs_solution {
	struct bs_pkg *pkgs;         /* install order: dependencies first */
	size_t npkgs;
	struct bs_problem *problems; /* set when bs_solve returns -ENOPKG */
	size_t nproblems;
};

struct bs_solve_opts {
	const char *const *conflicts; /* dependencies nothing installed may provide */
	size_t nconflicts;
	const char *const *exclude;   /* package-name globs never installed (beside each repo's own) */
	size_t nexclude;
};

/* Parses one rpm dependency into *id: "name", "name OP evr" (OP one of < <=
 * = == >= >), a file path, or a rich dependency "(a or b)" (libsolv's rpm
 * rich-dependency parser). Returns 0 or -EINVAL. */
int bs_dep_parse(Pool *pool, const char *dep, Id *id);

/* Solves "install something providing each of requires" against the
 * repositories of pool (loaded by bs_repo_load; their exclude globs and
 * priorities apply), with opts (may be NULL). Recommends are ignored. On
 * success fills *sol with the packages to install and returns 0. When the
 * requirements cannot be met returns -ENOPKG with sol->problems set and err
 * naming the requirements involved. Returns -EINVAL (err names the
 * requirement) for a string bs_dep_parse refuses, -ENOMEM when out of memory.
 * Free *sol with bs_solution_free in every case. */
int bs_solve(Pool *pool, const char *const *requires, size_t nrequires, const struct bs_solve_opts *opts,
	     struct bs_solution *sol, char *err, size_t errlen);

/* Frees what bs_solve put in *sol and zeroes it. */
void bs_solution_free(struct bs_solution *sol);

#endif
