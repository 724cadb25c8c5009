/* Solve benchmark: loads an rpm-md repository (from bsrun's .solv cache once
 * warm) and solves a requirement list, RUNS times; prints the median wall
 * time of load + solve in ms and the number of packages chosen.
 * usage: solve-bench URL CACHEDIR RUNS REQ...   (see bench/solve.sh)
 * SOLVE_BENCH_VERBOSE=1 also prints each run's load time to stderr;
 * SOLVE_BENCH_COLD_PROCESS=1 skips the warm-up run in this process (the
 * .solv cache must be warm already): bench/solve.sh then times the whole
 * command, process start included, as a user pays it. */
#include "repo.h"
#include "solve.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One load + solve; returns the number of packages or -1. */
static long once(const char *url, const char *cache, const char *const *reqs, size_t n)
{
	struct bs_repo_spec spec = { .name = "big", .url = url, .kind = BS_REPO_RPMMD };
	struct bs_solution sol;
	char err[4096];
	Pool *pool;
	long npkgs;
	int rc;

	double t0 = now_ms();

	if (bs_pool_new("x86_64", &pool) < 0)
		return -1;
	if (bs_repo_load(pool, &spec, cache, 0, NULL, err, sizeof err) < 0) {
		fprintf(stderr, "solve-bench: %s\n", err);
		bs_pool_free(pool);
		return -1;
	}
	if (getenv("SOLVE_BENCH_VERBOSE"))
		fprintf(stderr, "load %.1f ms\n", now_ms() - t0);
	rc = bs_solve(pool, reqs, n, NULL, &sol, err, sizeof err);
	npkgs = rc == 0 ? (long)sol.npkgs : -1;
	if (rc < 0)
		fprintf(stderr, "solve-bench: %s\n", err);
	bs_solution_free(&sol);
	bs_pool_free(pool);
	return npkgs;
}

int main(int argc, char **argv)
{
	int runs;
	double *t;
	long npkgs = 0;

	if (argc < 5 || (runs = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: solve-bench URL CACHEDIR RUNS REQ...\n");
		return 2;
	}
	if (!getenv("SOLVE_BENCH_COLD_PROCESS") &&
	    once(argv[1], argv[2], (const char *const *)argv + 4, (size_t)argc - 4) < 0) /* warm the cache */
		return 1;
	if (!(t = calloc((size_t)runs, sizeof *t)))
		return 1;
	for (int i = 0; i < runs; i++) {
		double t0 = now_ms();

		npkgs = once(argv[1], argv[2], (const char *const *)argv + 4, (size_t)argc - 4);
		t[i] = now_ms() - t0;
		if (npkgs < 0)
			return 1;
	}
	qsort(t, (size_t)runs, sizeof *t, cmp);
	printf("%.1f %ld\n", t[runs / 2], npkgs);
	free(t);
	return 0;
}
