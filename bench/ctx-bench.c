/* Context create + exec /bin/true + teardown, beside bwrap doing the same
 * (bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc --dev /dev
 * true), alternating, N runs each; prints both medians (and the 10th and 90th
 * percentiles) and the ratio. bs_ctx_create + bs_ctx_exec + bs_ctx_free are
 * what bs.ctx.create + ctx:exec + ctx:kill (or closing the object) call.
 * Needs root. Usage: ctx-bench [N] */
#include "ctx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return now() - t0;
}

static double bsrun_once(const char *root)
{
	const struct bs_bind binds[] = { { "/usr", "/usr", BS_BIND_RO | BS_BIND_RECURSIVE | BS_BIND_NODEV | BS_BIND_NOSUID } };
	char *const argv[] = { "/bin/true", NULL };
	struct bs_ctx_opts o;
	struct bs_ctx *c;
	char err[512];
	double t0 = now();
	int st;

	bs_ctx_opts_init(&o);
	o.root = root;
	o.binds = binds;
	o.nbinds = 1;
	if (bs_ctx_create(&o, &c, err, sizeof err) < 0) {
		fprintf(stderr, "ctx-bench: %s\n", err);
		return -1;
	}
	if (bs_ctx_exec(c, argv, NULL, &st, err, sizeof err) < 0 || st != 0) {
		fprintf(stderr, "ctx-bench: %s\n", err);
		bs_ctx_free(c);
		return -1;
	}
	bs_ctx_free(c);
	return now() - t0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 50, have_bwrap;
	char tmp[] = "/tmp/bsrun-bench-XXXXXX", path[128];
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
	a = calloc((size_t)n, sizeof *a);
	b = calloc((size_t)n, sizeof *b);
	if (!a || !b)
		return 1;
	/* CTX_BENCH_NO_PEER=1: bsrun alone (for profiling it) */
	have_bwrap = !getenv("CTX_BENCH_NO_PEER") && bwrap_once() >= 0;
	if (bsrun_once(tmp) < 0) /* warm-up, and the seccomp filter gets compiled */
		return 1;
	for (int i = 0; i < n; i++) {
		if ((a[i] = bsrun_once(tmp)) < 0)
			return 1;
		if (have_bwrap && (b[i] = bwrap_once()) < 0)
			have_bwrap = 0;
	}
	qsort(a, (size_t)n, sizeof *a, cmp);
	printf("context create + exec /bin/true + teardown: median %.1f ms over %d runs (p10 %.1f, p90 %.1f)\n",
	       a[n / 2] * 1e3, n, a[n / 10] * 1e3, a[n * 9 / 10] * 1e3);
	if (have_bwrap) {
		qsort(b, (size_t)n, sizeof *b, cmp);
		printf("bwrap --unshare-all ... true:                median %.1f ms (p10 %.1f, p90 %.1f)\n",
		       b[n / 2] * 1e3, b[n / 10] * 1e3, b[n * 9 / 10] * 1e3);
		printf("ratio bsrun/bwrap: %.2f (target <= 0.5)\n", a[n / 2] / b[n / 2]);
	} else {
		printf("bwrap: not available, no ratio\n");
	}
	for (const char *const *d = (const char *const[]){ "usr", "etc", "tmp", "proc", "dev", "bin", "sbin", "lib",
							   "lib64", NULL };
	     *d; d++) {
		snprintf(path, sizeof path, "%s/%s", tmp, *d);
		if (rmdir(path) < 0)
			unlink(path);
	}
	rmdir(tmp);
	free(a);
	free(b);
	return 0;
}
