/* Fresh root from a cached base image vs restoring the same tree from a
 * gzip tar (what mock's root_cache does), in one run (issue 8). Needs root.
 *
 *   image-bench [RUNS] [TAR_RUNS]   (BENCH_TREE="dir dir ..." picks the
 *                                    host directories copied into the image;
 *                                    default /usr/bin /usr/include /etc)
 *
 * Reports medians, the ratio and the upper layer's disk use per fresh root,
 * and the teardown of a root whose upper holds 100 000 files. */
#include "ctx.h"
#include "image.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 50, truns = argc > 2 ? atoi(argv[2]) : 3;
	const char *src = getenv("BENCH_TREE") ? getenv("BENCH_TREE") : "/usr/bin /usr/include /etc";
	char work[] = "/var/tmp/bsrun-imgbench-XXXXXX", store[128], roots[128], err[512], key[65], seed[64];
	const char *parts[] = { seed };
	double *tr = calloc((size_t)runs, sizeof *tr), *tt = calloc((size_t)truns, sizeof *tt), t0, tbuild;
	uint64_t used_max = 0;
	struct bs_image *img = NULL;
	struct bs_idrange ids;
	struct bs_ctx_opts o;
	int r, code = 1;

	if (geteuid() != 0) {
		printf("image-bench: SKIP (needs root)\n");
		return 0;
	}
	if (runs < 1 || truns < 1 || !tr || !tt || !mkdtemp(work))
		return 2;
	chmod(work, 0711);
	snprintf(store, sizeof store, "%s/images", work);
	snprintf(roots, sizeof roots, "%s/roots", work);
	snprintf(seed, sizeof seed, "bench %d %ld", (int)getpid(), (long)time(NULL));
	bs_image_key(parts, 1, key);

	/* the image: the host directories copied in, then committed */
	if ((r = bs_image_acquire(store, key, &img, err, sizeof err)) != BS_IMAGE_BUILD) {
		fprintf(stderr, "image-bench: acquire: %s\n", err);
		goto out;
	}
	if (sh("cp -a %s '%s'/", src, bs_image_tree(img)) != 0)
		goto out;
	t0 = now();
	if (bs_image_commit(img, 0, 65536, NULL, err, sizeof err) < 0) {
		fprintf(stderr, "image-bench: commit: %s\n", err);
		goto out;
	}
	tbuild = now() - t0;
	{
		struct bs_image_meta m;

		bs_image_check(store, key, &m, err, sizeof err);
		printf("image: %s: %.0f MiB in %llu entries; commit (owner shift + manifest) %.2f s\n", src,
		       (double)m.size / (1 << 20), (unsigned long long)m.entries, tbuild);
	}
	bs_image_free(img);
	img = NULL;

	/* the peer: the same tree restored from a gzip tar */
	if (sh("tar -C '%s/%s/tree' -czf '%s/base.tgz' .", store, key, work) != 0)
		goto out;
	for (int i = 0; i < truns; i++) {
		sh("mkdir '%s/restore'", work);
		t0 = now();
		if (sh("tar -C '%s/restore' -xzf '%s/base.tgz'", work, work) != 0)
			goto out;
		tt[i] = now() - t0;
		sh("rm -rf '%s/restore'", work);
	}

	/* fresh roots: acquire (cheap check) + idmapped overlay on a private tmpfs */
	bs_ctx_opts_init(&o);
	if (bs_ctx_reserve_ids(&o, &ids, err, sizeof err) < 0) {
		fprintf(stderr, "image-bench: %s\n", err);
		goto out;
	}
	for (int i = 0; i < runs; i++) {
		struct bs_root *root = NULL;
		struct statvfs sv;

		t0 = now();
		if (bs_image_acquire(store, key, &img, err, sizeof err) != BS_IMAGE_READY ||
		    bs_root_from_image(img, 4ull << 30, ids.first, ids.count, roots, &root, err, sizeof err) < 0) {
			fprintf(stderr, "image-bench: fresh root: %s\n", err);
			goto out;
		}
		tr[i] = now() - t0;
		if (statvfs(bs_root_path(root), &sv) == 0 && (sv.f_blocks - sv.f_bfree) * sv.f_frsize > used_max)
			used_max = (sv.f_blocks - sv.f_bfree) * sv.f_frsize;
		bs_root_release(root);
		bs_image_free(img);
		img = NULL;
	}
	/* teardown of a root whose build created 100 000 files */
	{
		struct bs_root *root = NULL;
		double trel;

		bs_image_acquire(store, key, &img, err, sizeof err);
		if (bs_root_from_image(img, 4ull << 30, ids.first, ids.count, roots, &root, err, sizeof err) < 0)
			goto out;
		if (sh("cd '%s' && mkdir -p tmp/many && cd tmp/many && seq 1 100 | xargs mkdir && "
		       "for d in $(seq 1 100); do (cd $d && seq 1 1000 | xargs touch); done",
		       bs_root_path(root)) != 0)
			goto out;
		t0 = now();
		bs_root_release(root);
		trel = now() - t0;
		bs_image_free(img);
		img = NULL;
		printf("teardown of a root with 100000 files in its upper: %.3f s (target <= 0.1 s)\n", trel);
	}
	bs_ns_free_range(&ids);
	{
		double mt = median(tt, truns), mr = median(tr, runs);

		printf("tar -xzf restore: median %.3f s (%d runs)\n", mt, truns);
		printf("fresh root from image: median %.2f ms, max %.2f ms (%d runs; target <= 20 ms)\n", mr * 1e3,
		       tr[runs - 1] * 1e3, runs);
		printf("ratio fresh root / tar restore: 1/%.0f (target <= 1/200)\n", mt / mr);
		printf("disk not shared with the base per fresh root: %llu KiB (target <= 1024 KiB)\n",
		       (unsigned long long)(used_max >> 10));
	}
	code = 0;
out:
	bs_image_free(img);
	bs_image_remove(store, key, err, sizeof err);
	sh("rm -rf '%s'", work);
	free(tr);
	free(tt);
	return code;
}
