/* The packed config of a context's init: little fixed-width fields,
 * length-prefixed strings and byte blocks, all bounds-checked on unpack. */
#include "initcfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct wbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void put(struct wbuf *w, const void *v, size_t n)
{
	if (w->err)
		return;
	if (n > BS_INITCFG_MAX - w->len) {
		w->err = -E2BIG;
		return;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		char *np;

		while (cap < w->len + n)
			cap *= 2;
		if (!(np = realloc(w->p, cap))) {
			w->err = -ENOMEM;
			return;
		}
		w->p = np;
		w->cap = cap;
	}
	memcpy(w->p + w->len, v, n);
	w->len += n;
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	put(w, &v, sizeof v);
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	put(w, &v, sizeof v);
}

/* A block: its length, its bytes, padding to 8. NULL: length UINT32_MAX. */
static void put_block(struct wbuf *w, const void *v, size_t n)
{
	static const char zero[8];

	if (!v) {
		put_u32(w, UINT32_MAX);
		put_u32(w, 0);
		return;
	}
	put_u32(w, (uint32_t)n);
	put_u32(w, 0);
	put(w, v, n);
	put(w, zero, (8 - n % 8) % 8);
}

static void put_str(struct wbuf *w, const char *s)
{
	put_block(w, s, s ? strlen(s) + 1 : 0);
}

int bs_initcfg_pack(const struct bs_initcfg *c, char **buf, size_t *len)
{
	struct wbuf w = { 0 };
	uint32_t nenv = 0;

	if (c->ncgdirs > BS_INITCFG_CGDIRS || c->nprogs > BS_INITCFG_PROGS)
		return -EINVAL;
	while (c->env && c->env[nenv])
		nenv++;
	put_u32(&w, c->nbinds);
	put_u32(&w, c->rootfs_flags);
	put_u32(&w, c->network_host);
	put_u32(&w, c->single_id_map);
	put_u32(&w, c->timeout_s);
	put_u32(&w, (uint32_t)c->nstypes);
	put_u32(&w, (uint32_t)c->parentfd);
	put_u32(&w, (uint32_t)c->lockfd);
	put_u32(&w, (uint32_t)c->lfd);
	put_u32(&w, c->ncgdirs);
	put_u32(&w, c->cgroupns_done);
	put_u32(&w, nenv);
	put_u32(&w, c->nprogs);
	put_u32(&w, 0);
	put_u64(&w, c->caps);
	put_u64(&w, c->nofile);
	put_u64(&w, c->fsize);
	put_str(&w, c->root);
	put_str(&w, c->hostname);
	put_str(&w, c->domainname);
	for (uint32_t i = 0; i < c->nbinds; i++) {
		put_str(&w, c->binds[i].source);
		put_str(&w, c->binds[i].target);
		put_u32(&w, c->binds[i].flags);
		put_u32(&w, 0);
	}
	for (uint32_t i = 0; i < c->ncgdirs; i++)
		put_str(&w, c->cgdirs[i]);
	for (uint32_t i = 0; i < nenv; i++)
		put_str(&w, c->env[i]);
	for (uint32_t i = 0; i < c->nprogs; i++)
		put_block(&w, c->progs[i].filter, (size_t)c->progs[i].len * sizeof *c->progs[i].filter);
	if (w.err) {
		free(w.p);
		return w.err;
	}
	*buf = w.p;
	*len = w.len;
	return 0;
}

struct rbuf {
	char *p;
	size_t len, off;
	int bad;
};

static void *take(struct rbuf *r, size_t n)
{
	void *v;

	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	v = r->p + r->off;
	r->off += n;
	return v;
}

/* n bytes into v (zeros past the end, which marks r bad). */
static void get(struct rbuf *r, void *v, size_t n)
{
	void *p = take(r, n);

	if (p)
		memcpy(v, p, n);
	else
		memset(v, 0, n);
}

static uint32_t get_u32(struct rbuf *r)
{
	uint32_t v;

	get(r, &v, sizeof v);
	return v;
}

static uint64_t get_u64(struct rbuf *r)
{
	uint64_t v;

	get(r, &v, sizeof v);
	return v;
}

/* A block (NULL for the NULL mark); *n gets its length. */
static void *get_block(struct rbuf *r, size_t *n)
{
	uint32_t len = get_u32(r);
	void *v;

	get_u32(r);
	*n = 0;
	if (len == UINT32_MAX || r->bad)
		return NULL;
	v = take(r, len);
	if (v && !take(r, (8 - len % 8) % 8))
		return NULL;
	*n = len;
	return v;
}

/* A string: a block ending in its only NUL. optional: NULL allowed. */
static const char *get_str(struct rbuf *r, int optional)
{
	size_t n;
	char *s = get_block(r, &n);

	if (!s) {
		if (!optional)
			r->bad = 1;
		return NULL;
	}
	if (n == 0 || s[n - 1] != '\0' || strlen(s) != n - 1)
		r->bad = 1;
	return s;
}

int bs_initcfg_unpack(char *buf, size_t len, struct bs_initcfg *c)
{
	struct rbuf r = { .p = buf, .len = len };
	struct bs_bind *binds = NULL;
	char **env = NULL;
	uint32_t nenv;

	memset(c, 0, sizeof *c);
	c->nbinds = get_u32(&r);
	c->rootfs_flags = get_u32(&r);
	c->network_host = get_u32(&r);
	c->single_id_map = get_u32(&r);
	c->timeout_s = get_u32(&r);
	c->nstypes = (int32_t)get_u32(&r);
	c->parentfd = (int32_t)get_u32(&r);
	c->lockfd = (int32_t)get_u32(&r);
	c->lfd = (int32_t)get_u32(&r);
	c->ncgdirs = get_u32(&r);
	c->cgroupns_done = get_u32(&r);
	nenv = get_u32(&r);
	c->nprogs = get_u32(&r);
	get_u32(&r);
	c->caps = get_u64(&r);
	c->nofile = get_u64(&r);
	c->fsize = get_u64(&r);
	/* each bind, env string and program takes at least 8 bytes */
	if (r.bad || c->ncgdirs > BS_INITCFG_CGDIRS || c->nprogs > BS_INITCFG_PROGS || c->nbinds > len / 8 ||
	    nenv > len / 8)
		return -EPROTO;
	c->root = get_str(&r, 0);
	c->hostname = get_str(&r, 1);
	c->domainname = get_str(&r, 1);
	if (!(binds = calloc((size_t)c->nbinds + 1, sizeof *binds)) || !(env = calloc((size_t)nenv + 1, sizeof *env))) {
		free(binds);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < c->nbinds && !r.bad; i++) {
		binds[i].source = get_str(&r, 0);
		binds[i].target = get_str(&r, 0);
		binds[i].flags = get_u32(&r);
		get_u32(&r);
	}
	for (uint32_t i = 0; i < c->ncgdirs && !r.bad; i++)
		c->cgdirs[i] = get_str(&r, 0);
	for (uint32_t i = 0; i < nenv && !r.bad; i++)
		env[i] = (char *)get_str(&r, 0);
	for (uint32_t i = 0; i < c->nprogs && !r.bad; i++) {
		size_t n;
		void *p = get_block(&r, &n);

		if (!p || n == 0 || n % sizeof(struct sock_filter) || n / sizeof(struct sock_filter) > BPF_MAXINSNS)
			r.bad = 1;
		c->progs[i].filter = p;
		c->progs[i].len = (unsigned short)(n / sizeof(struct sock_filter));
	}
	c->binds = binds;
	c->env = env;
	if (r.bad || r.off != len) {
		bs_initcfg_release(c);
		return -EPROTO;
	}
	return 0;
}

void bs_initcfg_release(struct bs_initcfg *c)
{
	free((void *)c->binds);
	free((void *)c->env);
	c->binds = NULL;
	c->env = NULL;
}
