/* Context create + exec /bin/true + teardown, beside bwrap doing the same
 * (bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc --dev /dev
 * true), alternating, N runs each; prints both medians (and the 10th and 90th
 * percentiles) and the ratio. bs_ctx_create + bs_ctx_exec + bs_ctx_free are
 * what bs.ctx.create + ctx:exec + ctx:kill (or closing the object) call.
 * Needs root. Usage: ctx-bench [N] */
#include "ctx.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double bwrap_once(void)
{
	char *const argv[] = { "bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
			       "--dev", "/dev", "true", NULL };
	double t0 = now();
	pid_t pid;
	int st;

	/* posix_spawn (CLONE_VM | CLONE_VFORK), not fork: a fork would copy
	 * this process's page tables and leave copy-on-write faults for the
	 * next bsrun iteration to pay, costs of the harness, not of either tool */
	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return now() - t0;
}

/* per bsrun iteration: create, exec, free times; minor faults of bsrun
 * and of its reaped descendants (init, /bin/true) */
static double *t_create, *t_exec, *t_free, *f_self, *f_child;
static int iter;

static void faults(long *self, long *child)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	*self = r.ru_minflt;
	getrusage(RUSAGE_CHILDREN, &r);
	*child = r.ru_minflt;
}

static double bsrun_once(const char *root)
{
	const struct bs_bind binds[] = { { "/usr", "/usr", BS_BIND_RO | BS_BIND_RECURSIVE | BS_BIND_NODEV | BS_BIND_NOSUID } };
	char *const argv[] = { "/bin/true", NULL };
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char err[512];
	double t0 = now(), t1, t2;
	long s0, c0, s1, c1;
	int st;

	faults(&s0, &c0);
	bs_ctx_opts_init(&o);
	o.root = root;
	o.binds = binds;
	o.nbinds = 1;
	if (bs_ctx_create(&o, &c, err, sizeof err) < 0) {
		fprintf(stderr, "ctx-bench: %s\n", err);
		return -1;
	}
	t1 = now();
	if (bs_ctx_exec(c, argv, NULL, &st, err, sizeof err) < 0 || st != 0) {
		fprintf(stderr, "ctx-bench: %s\n", err);
		bs_ctx_free(c);
		return -1;
	}
	t2 = now();
	bs_ctx_free(c);
	if (t_create && iter >= 0) {
		double t3 = now();

		faults(&s1, &c1);
		t_create[iter] = t1 - t0;
		t_exec[iter] = t2 - t1;
		t_free[iter] = t3 - t2;
		f_self[iter] = (double)(s1 - s0);
		f_child[iter] = (double)(c1 - c0);
	}
	return now() - t0;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return v[n / 2];
}

static char tmp[] = "/tmp/bsrun-bench-XXXXXX";

/* At exit, failed runs included: the bench root goes. */
static void remove_root(void)
{
	char path[128];

	for (const char *const *d = (const char *const[]){ "usr", "etc", "tmp", "proc", "dev", "bin", "sbin", "lib",
							   "lib64", NULL };
	     *d; d++) {
		snprintf(path, sizeof path, "%s/%s", tmp, *d);
		if (rmdir(path) < 0)
			unlink(path);
	}
	rmdir(tmp);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 50, have_bwrap;
	char path[128];
	double *a, *b;

	if (n < 1 || n > 100000)
		n = 50;
	if (geteuid() != 0) {
		printf("ctx-bench: SKIP: needs root\n");
		return 0;
	}
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	atexit(remove_root);
	chmod(tmp, 0755);
	for (const char *const *d = (const char *const[]){ "usr", "etc", "tmp", "proc", "dev", NULL }; *d; d++) {
		snprintf(path, sizeof path, "%s/%s", tmp, *d);
		mkdir(path, 0755);
	}
	for (const char *const *l = (const char *const[]){ "bin", "sbin", "lib", "lib64", NULL }; *l; l++) {
		char target[32];

		snprintf(path, sizeof path, "%s/%s", tmp, *l);
		snprintf(target, sizeof target, "usr/%s", *l);
		if (symlink(target, path) < 0 && errno != EEXIST)
			perror(path);
	}
	t_create = calloc((size_t)n, sizeof *a);
	t_exec = calloc((size_t)n, sizeof *a);
	t_free = calloc((size_t)n, sizeof *a);
	f_self = calloc((size_t)n, sizeof *a);
	f_child = calloc((size_t)n, sizeof *a);
	if (!t_create || !t_exec || !t_free || !f_self || !f_child)
		return 1;
	iter = -1;
	a = calloc((size_t)n, sizeof *a);
	b = calloc((size_t)n, sizeof *b);
	if (!a || !b)
		return 1;
	/* CTX_BENCH_NO_PEER=1: bsrun alone (for profiling it) */
	have_bwrap = !getenv("CTX_BENCH_NO_PEER") && bwrap_once() >= 0;
	if (bsrun_once(tmp) < 0) /* warm-up, and the seccomp filter gets compiled */
		return 1;
	for (int i = 0; i < n; i++) {
		iter = i;
		if ((a[i] = bsrun_once(tmp)) < 0)
			return 1;
		if (have_bwrap && (b[i] = bwrap_once()) < 0)
			have_bwrap = 0;
	}
	qsort(a, (size_t)n, sizeof *a, cmp);
	printf("context create + exec /bin/true + teardown: median %.1f ms over %d runs (p10 %.1f, p90 %.1f)\n",
	       a[n / 2] * 1e3, n, a[n / 10] * 1e3, a[n * 9 / 10] * 1e3);
	printf("  bsrun parts (medians): create %.2f ms, exec %.2f ms, free %.2f ms; minor faults: bsrun %.0f, "
	       "its children (init, true) %.0f\n",
	       median(t_create, n) * 1e3, median(t_exec, n) * 1e3, median(t_free, n) * 1e3, median(f_self, n),
	       median(f_child, n));
	if (have_bwrap) {
		qsort(b, (size_t)n, sizeof *b, cmp);
		printf("bwrap --unshare-all ... true:                median %.1f ms (p10 %.1f, p90 %.1f)\n",
		       b[n / 2] * 1e3, b[n / 10] * 1e3, b[n * 9 / 10] * 1e3);
		printf("ratio bsrun/bwrap: %.2f (target <= 0.5)\n", a[n / 2] / b[n / 2]);
	} else {
		printf("bwrap: not available, no ratio\n");
	}
	free(a);
	free(b);
	free(t_create);
	free(t_exec);
	free(t_free);
	free(f_self);
	free(f_child);
	return 0;
}
