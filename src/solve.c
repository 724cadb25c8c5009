/* Turning requirement strings into libsolv jobs, solving, and reporting the
 * transaction or the problems. */
#include "solve.h"
#include "repo.h"

#include <errno.h>
#include <fnmatch.h>
#include <solv/bitmap.h>
#include <solv/chksum.h>
#include <solv/knownid.h>
#include <solv/pool_parserpmrichdep.h>
#include <solv/problems.h>
#include <solv/repo.h>
#include <solv/rules.h>
#include <solv/solvable.h>
#include <solv/solver.h>
#include <solv/transaction.h>
#include <solv/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bs_dep_parse(Pool *pool, const char *dep, Id *id)
{
	size_t n;
	char *buf, *p;

	*id = 0;
	if (!dep)
		return -EINVAL;
	while (*dep == ' ' || *dep == '\t')
		dep++;
	n = strlen(dep);
	while (n && (dep[n - 1] == ' ' || dep[n - 1] == '\t'))
		n--;
	if (!n)
		return -EINVAL;
	/* a plain "name [OP evr]" is parsed as the rich dependency "(name [OP evr])" */
	if (!(buf = malloc(n + 3)))
		return -ENOMEM;
	if (dep[0] == '(') {
		memcpy(buf, dep, n);
		buf[n] = '\0';
	} else {
		buf[0] = '(';
		memcpy(buf + 1, dep, n);
		buf[n + 1] = ')';
		buf[n + 2] = '\0';
	}
	for (p = buf; *p; p++) {
		if (*p == '\t')
			*p = ' ';
		else if ((unsigned char)*p < ' ' || *p == ',')
			break;
	}
	if (!*p)
		*id = pool_parserpmrichdep(pool, buf);
	free(buf);
	return *id ? 0 : -EINVAL;
}

/* Builds pool->considered from the repositories' and the options' excludes;
 * leaves it NULL when nothing is excluded. */
static void set_considered(Pool *pool, const struct bs_solve_opts *opts)
{
	int any = opts && opts->nexclude;
	Repo *repo;
	Id id, p;

	FOR_REPOS(id, repo) {
		const struct bs_repo_info *info = bs_repo_info(repo);

		if (info && info->nexclude)
			any = 1;
	}
	if (!any)
		return;
	pool->considered = solv_calloc(1, sizeof(Map));
	map_init(pool->considered, pool->nsolvables);
	FOR_REPOS(id, repo) {
		Solvable *s;

		FOR_REPO_SOLVABLES(repo, p, s) {
			const char *name = pool_id2str(pool, s->name);
			int out = bs_repo_excludes(repo, name);

			for (size_t i = 0; !out && opts && i < opts->nexclude; i++)
				out = fnmatch(opts->exclude[i], name, 0) == 0;
			if (!out)
				MAPSET(pool->considered, p);
		}
	}
}

static void clear_considered(Pool *pool)
{
	if (pool->considered) {
		map_free(pool->considered);
		pool->considered = solv_free(pool->considered);
	}
}

/* strdup of a possibly NULL string; sets *oom when allocation fails. */
static char *dup(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*oom = 1;
	return d;
}

static int push_str(char ***v, size_t *n, const char *s)
{
	char **nv;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return 0;
	if (!(nv = realloc(*v, (*n + 1) * sizeof *nv)))
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* Fills pkg from solvable p. */
static int fill_pkg(Pool *pool, Id p, struct bs_pkg *pkg)
{
	Solvable *s = pool_id2solvable(pool, p);
	const struct bs_repo_info *info = bs_repo_info(s->repo);
	const char *loc, *base, *chk;
	unsigned int medianr;
	Id type = 0;
	int oom = 0;

	pkg->name = dup(pool_id2str(pool, s->name), &oom);
	pkg->evr = dup(pool_id2str(pool, s->evr), &oom);
	pkg->arch = dup(pool_id2str(pool, s->arch), &oom);
	pkg->nevra = dup(pool_solvable2str(pool, s), &oom);
	pkg->repo = dup(s->repo->name, &oom);
	loc = solvable_lookup_location(s, &medianr);
	pkg->location = dup(loc, &oom);
	base = solvable_lookup_str(s, SOLVABLE_MEDIABASE);
	if (!base && info)
		base = info->url;
	if (loc && base) {
		size_t n = strlen(base);

		if (asprintf(&pkg->url, "%s%s%s", base, n && base[n - 1] == '/' ? "" : "/", loc) < 0) {
			pkg->url = NULL;
			oom = 1;
		}
	}
	chk = solvable_lookup_checksum(s, SOLVABLE_CHECKSUM, &type);
	if (chk && type) {
		pkg->chksum = dup(chk, &oom);
		pkg->chksum_type = dup(solv_chksum_type2str(type), &oom);
	}
	pkg->size = solvable_lookup_num(s, SOLVABLE_DOWNLOADSIZE, 0);
	return oom ? -ENOMEM : 0;
}

static int cmp_ids(const void *a, const void *b, void *unused)
{
	(void)unused;
	return *(const Id *)a - *(const Id *)b;
}

/* Describes problem pid in *pb: text, the requirements involved, every rule. */
static int fill_problem(Solver *solv, Id pid, const Queue *job, const char *const *reqs, size_t nreqs,
			const struct bs_solve_opts *opts, struct bs_problem *pb)
{
	Queue rules, jobs;
	int rc = 0;

	if (!(pb->text = strdup(solver_problem2str(solv, pid))))
		return -ENOMEM;
	queue_init(&rules);
	queue_init(&jobs);
	solver_findallproblemrules(solv, pid, &rules);
	for (int i = 0; i < rules.count && rc == 0; i++) {
		Id rid = rules.elements[i], from = 0, to = 0, dep = 0;
		SolverRuleinfo type = solver_ruleinfo(solv, rid, &from, &to, &dep);

		rc = push_str(&pb->details, &pb->ndetails, solver_ruleinfo2str(solv, type, from, to, dep));
		if ((type & SOLVER_RULE_TYPEMASK) == SOLVER_RULE_JOB) {
			int jidx = solver_rule2jobidx(solv, rid);

			if (jidx >= 0 && jidx < job->count)
				queue_pushunique(&jobs, jidx / 2);
		}
	}
	/* the requirements involved, in the order given (conflicts last) */
	solv_sort(jobs.elements, (size_t)jobs.count, sizeof(Id), cmp_ids, NULL);
	for (int i = 0; i < jobs.count && rc == 0; i++) {
		size_t k = (size_t)jobs.elements[i];
		char *c;

		if (k < nreqs) {
			rc = push_str(&pb->requires, &pb->nrequires, reqs[k]);
		} else if (opts && k - nreqs < opts->nconflicts) {
			if (asprintf(&c, "conflict %s", opts->conflicts[k - nreqs]) < 0) {
				rc = -ENOMEM;
				break;
			}
			rc = push_str(&pb->requires, &pb->nrequires, c);
			free(c);
		}
	}
	queue_free(&rules);
	queue_free(&jobs);
	return rc;
}

/* Writes "cannot install: REQ1, REQ2 (TEXT)" to err. */
static void summarize(const struct bs_solution *sol, char *err, size_t errlen)
{
	size_t used = 0;

	used += (size_t)snprintf(err, errlen, "unresolvable:");
	for (size_t i = 0; i < sol->nproblems && used < errlen; i++) {
		const struct bs_problem *pb = &sol->problems[i];

		used += (size_t)snprintf(err + used, errlen - used, "%s ", i ? ";" : "");
		for (size_t k = 0; k < pb->nrequires && used < errlen; k++)
			used += (size_t)snprintf(err + used, errlen - used, "%s%s", k ? ", " : "", pb->requires[k]);
		if (used < errlen)
			used += (size_t)snprintf(err + used, errlen - used, "%s%s%s", pb->nrequires ? " (" : "",
						 pb->text, pb->nrequires ? ")" : "");
	}
}

int bs_solve(Pool *pool, const char *const *requires, size_t nrequires, const struct bs_solve_opts *opts,
	     struct bs_solution *sol, char *err, size_t errlen)
{
	Solver *solv = NULL;
	Transaction *trans = NULL;
	Queue job, deps;
	size_t nconf = opts ? opts->nconflicts : 0;
	int nprob, rc = 0;

	memset(sol, 0, sizeof *sol);
	queue_init(&job);
	queue_init(&deps);
	for (size_t i = 0; i < nrequires + nconf; i++) {
		const char *s = i < nrequires ? requires[i] : opts->conflicts[i - nrequires];
		Id id;

		if ((rc = bs_dep_parse(pool, s, &id)) < 0) {
			snprintf(err, errlen, "%s \"%s\": not a dependency rpm understands",
				 i < nrequires ? "requirement" : "conflict", s ? s : "(null)");
			goto out;
		}
		queue_push2(&job, (i < nrequires ? SOLVER_INSTALL : SOLVER_ERASE) | SOLVER_SOLVABLE_PROVIDES, id);
	}
	for (int i = 0; i + 1 < job.count; i += 2)
		queue_push(&deps, job.elements[i + 1]);
	bs_pool_add_file_provides(pool, deps.elements, (size_t)deps.count);
	set_considered(pool, opts);
	if (pool->considered)
		pool_createwhatprovides(pool); /* again, without the excluded packages */

	solv = solver_create(pool);
	solver_set_flag(solv, SOLVER_FLAG_IGNORE_RECOMMENDED, 1);
	nprob = solver_solve(solv, &job);
	if (nprob > 0) {
		if (!(sol->problems = calloc((size_t)nprob, sizeof *sol->problems))) {
			rc = -ENOMEM;
			goto out;
		}
		for (Id pid = 1; pid <= nprob; pid++, sol->nproblems++)
			if ((rc = fill_problem(solv, pid, &job, requires, nrequires, opts,
					       &sol->problems[pid - 1])) < 0) {
				sol->nproblems++;
				goto out;
			}
		summarize(sol, err, errlen);
		rc = -ENOPKG;
		goto out;
	}
	trans = solver_create_transaction(solv);
	transaction_order(trans, 0);
	if (trans->steps.count &&
	    !(sol->pkgs = calloc((size_t)trans->steps.count, sizeof *sol->pkgs))) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < trans->steps.count; i++) {
		Id p = trans->steps.elements[i];

		if (transaction_type(trans, p, SOLVER_TRANSACTION_RPM_ONLY) != SOLVER_TRANSACTION_INSTALL)
			continue;
		rc = fill_pkg(pool, p, &sol->pkgs[sol->npkgs++]);
		if (rc < 0)
			goto out;
	}
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (trans)
		transaction_free(trans);
	if (solv)
		solver_free(solv);
	clear_considered(pool);
	queue_free(&job);
	queue_free(&deps);
	return rc;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void bs_solution_free(struct bs_solution *sol)
{
	for (size_t i = 0; i < sol->npkgs; i++) {
		struct bs_pkg *p = &sol->pkgs[i];

		free(p->name);
		free(p->evr);
		free(p->arch);
		free(p->nevra);
		free(p->repo);
		free(p->location);
		free(p->url);
		free(p->chksum_type);
		free(p->chksum);
	}
	free(sol->pkgs);
	for (size_t i = 0; i < sol->nproblems; i++) {
		free(sol->problems[i].text);
		free_strv(sol->problems[i].requires, sol->problems[i].nrequires);
		free_strv(sol->problems[i].details, sol->problems[i].ndetails);
	}
	free(sol->problems);
	memset(sol, 0, sizeof *sol);
}
