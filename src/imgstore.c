/* The image store as a whole: listing, and the size cap. */
#include "imgstore.h"
#include "bserr.h"
#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int cmp_key(const void *a, const void *b)
{
	return strcmp(a, b);
}

int bs_image_store_keys(const char *store, struct bs_image_keys *k)
{
	DIR *d = opendir(store);
	struct dirent *de;
	size_t cap = 0;

	k->v = NULL;
	k->n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		const char *s = de->d_name + (de->d_name[0] == '.');
		char key[65];

		if (strlen(s) < 64)
			continue;
		memcpy(key, s, 64);
		key[64] = '\0';
		if (!bs_image_key_valid(key) || (s[64] && strcmp(s + 64, ".lock") != 0 && strncmp(s + 64, ".tmp-", 5) != 0))
			continue;
		if (k->n == cap) {
			void *nv = realloc(k->v, (cap = cap ? cap * 2 : 16) * sizeof *k->v);

			if (!nv) {
				closedir(d);
				return -ENOMEM;
			}
			k->v = nv;
		}
		memcpy(k->v[k->n++], key, 65);
	}
	closedir(d);
	if (k->n > 1)
		qsort(k->v, k->n, sizeof *k->v, cmp_key);
	if (k->n > 1) {
		size_t j = 1;

		for (size_t i = 1; i < k->n; i++)
			if (strcmp(k->v[i], k->v[j - 1]) != 0)
				memcpy(k->v[j++], k->v[i], 65);
		k->n = j;
	}
	return 0;
}

int bs_image_present(const char *store, const char *key)
{
	char p[PATH_MAX + 80];

	snprintf(p, sizeof p, "%s/%s", store, key);
	return access(p, F_OK) == 0;
}

struct entry {
	char key[65];
	uint64_t size;
	time_t last_use;
	int bad;
};

/* Oldest use first; images failing their check before everything. */
static int cmp_use(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->bad != y->bad)
		return y->bad - x->bad;
	return x->last_use < y->last_use ? -1 : x->last_use > y->last_use;
}

int bs_image_prune_to(const char *store, uint64_t max_size, const char *keep_key,
		      void (*removed)(void *ud, const char *key, uint64_t size), void *ud, char *err, size_t errlen)
{
	struct bs_image_keys k;
	struct entry *e;
	uint64_t total = 0;
	size_t n = 0;
	int ret = bs_image_store_keys(store, &k);

	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return bs_fail(err, errlen, -ret, "image store %s", store);
	e = calloc(k.n ? k.n : 1, sizeof *e);
	if (!e) {
		free(k.v);
		return bs_failx(err, errlen, ENOMEM, "image store %s: out of memory", store);
	}
	for (size_t i = 0; i < k.n; i++) {
		struct bs_image_meta m;
		char why[512];

		if (!bs_image_present(store, k.v[i]))
			continue;
		memcpy(e[n].key, k.v[i], 65);
		if (bs_image_check(store, k.v[i], &m, why, sizeof why) < 0) {
			e[n].bad = 1;
		} else {
			e[n].size = m.size;
			e[n].last_use = m.last_use;
			total += m.size;
		}
		n++;
	}
	free(k.v);
	qsort(e, n, sizeof *e, cmp_use);
	for (size_t i = 0; i < n && ret == 0; i++) {
		int r;

		if (!e[i].bad && total <= max_size)
			break;
		if (keep_key && strcmp(e[i].key, keep_key) == 0)
			continue;
		r = bs_image_remove(store, e[i].key, err, errlen);
		if (r == -EBUSY)
			continue; /* a build uses it */
		if (r < 0) {
			ret = r;
			break;
		}
		total -= e[i].size;
		if (removed)
			removed(ud, e[i].key, e[i].size);
	}
	free(e);
	return ret;
}
