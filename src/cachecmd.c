/* bsrun cache list|verify|prune. */
#include "cachecmd.h"
#include "exitcodes.h"
#include "image.h"
#include "imgstore.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int bs_cache_store(char *buf, size_t len)
{
	const char *env = getenv("BSRUN_CACHEDIR"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	if (env && env[0] == '/')
		n = snprintf(buf, len, "%s/images", env);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "%s", BS_IMAGE_STORE);
	else if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/bsrun/images", xdg);
	else
		n = snprintf(buf, len, "%s/.cache/bsrun/images", home && home[0] == '/' ? home : "/tmp");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void when(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!t || !localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M", &tm))
		snprintf(buf, len, "-");
}

static int cmd_list(const char *store, const struct bs_image_keys *k)
{
	printf("%-64s  %-12s %8s %10s  %s\n", "KEY", "POLICY", "PACKAGES", "SIZE", "LAST USE");
	for (size_t i = 0; i < k->n; i++) {
		struct bs_image_meta m;
		char err[512], used[32];

		if (!bs_image_present(store, k->v[i]))
			continue;
		if (bs_image_check(store, k->v[i], &m, err, sizeof err) < 0) {
			printf("%-64s  (fails its check: %s)\n", k->v[i], err);
			continue;
		}
		when(m.last_use, used, sizeof used);
		printf("%-64s  %-12s %8u %8.1f MiB  %s\n", m.key, m.policy[0] ? m.policy : "-", m.npackages,
		       (double)m.size / (1 << 20), used);
	}
	return BS_EXIT_OK;
}

static int cmd_verify(const char *store, const struct bs_image_keys *k)
{
	int bad = 0;

	for (size_t i = 0; i < k->n; i++) {
		char err[512];

		if (!bs_image_present(store, k->v[i]))
			continue;
		if (bs_image_verify(store, k->v[i], err, sizeof err) < 0) {
			printf("%s FAILED: %s\n", k->v[i], err);
			bad = 1;
		} else
			printf("%s ok\n", k->v[i]);
	}
	return bad ? BS_EXIT_BUILD : BS_EXIT_OK;
}

static int cmd_prune(const char *store, const struct bs_image_keys *k, int days)
{
	time_t limit = days < 0 ? 0 : time(NULL) - (time_t)days * 86400;
	int code = BS_EXIT_OK;

	for (size_t i = 0; i < k->n; i++) {
		struct bs_image_meta m;
		char err[512];
		int r, bad = 0;

		if (bs_image_present(store, k->v[i])) {
			bad = bs_image_check(store, k->v[i], &m, err, sizeof err) < 0;
			if (!bad && days >= 0 && m.last_use > limit)
				continue;
		}
		r = bs_image_remove(store, k->v[i], err, sizeof err);
		if (r == -EBUSY)
			printf("%s in use, kept\n", k->v[i]);
		else if (r < 0) {
			bs_log(BS_LOG_ERROR, "%s", err);
			code = BS_EXIT_INFRA;
		} else
			printf("%s removed%s\n", k->v[i], bad ? " (failed its check)" : "");
	}
	return code;
}

int bs_cache_command(const struct bs_opts *o)
{
	const char *sub = o->args.n ? o->args.v[0] : NULL;
	char store[PATH_MAX];
	struct bs_image_keys k;
	int r, code;

	if (!sub || (strcmp(sub, "list") != 0 && strcmp(sub, "verify") != 0 && strcmp(sub, "prune") != 0)) {
		bs_log(BS_LOG_ERROR, "bsrun cache: expected list, verify or prune (see bsrun --help)");
		return BS_EXIT_USAGE;
	}
	if (strcmp(sub, "list") == 0 && o->args.n > 1) {
		bs_log(BS_LOG_ERROR, "bsrun cache list takes no arguments");
		return BS_EXIT_USAGE;
	}
	for (size_t i = 1; i < o->args.n; i++)
		if (!bs_image_key_valid(o->args.v[i])) {
			bs_log(BS_LOG_ERROR, "bsrun cache %s: '%s' is not an image key", sub, o->args.v[i]);
			return BS_EXIT_USAGE;
		}
	if (bs_cache_store(store, sizeof store) < 0) {
		bs_log(BS_LOG_ERROR, "the image store's path is too long");
		return BS_EXIT_INFRA;
	}
	r = bs_image_store_keys(store, &k);
	if (r == -ENOENT)
		r = 0; /* no store yet: nothing cached */
	if (r < 0) {
		bs_log(BS_LOG_ERROR, "image store %s: %s", store, strerror(-r));
		return BS_EXIT_INFRA;
	}
	if (o->args.n > 1) {
		/* only the keys given */
		free(k.v);
		k.n = o->args.n - 1;
		k.v = calloc(k.n, sizeof *k.v);
		if (!k.v) {
			bs_log(BS_LOG_ERROR, "out of memory");
			return BS_EXIT_INFRA;
		}
		for (size_t i = 0; i < k.n; i++)
			memcpy(k.v[i], o->args.v[i + 1], 65);
		if (strcmp(sub, "verify") == 0)
			for (size_t i = 0; i < k.n; i++)
				if (!bs_image_present(store, k.v[i])) {
					bs_log(BS_LOG_ERROR, "bsrun cache verify: no image %s in %s", k.v[i], store);
					free(k.v);
					return BS_EXIT_USAGE;
				}
	}
	if (strcmp(sub, "list") == 0)
		code = cmd_list(store, &k);
	else if (strcmp(sub, "verify") == 0)
		code = cmd_verify(store, &k);
	else
		code = cmd_prune(store, &k, o->older_than);
	free(k.v);
	return code;
}
