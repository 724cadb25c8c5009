/* Loading rpm-md and plain-directory repositories into a libsolv pool, with a
 * .solv cache per repository. libsolv parses, libcurl fetches (fetch.c). */
#include "repo.h"
#include "fetch.h"
#include "heap.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <solv/chksum.h>
#include <solv/bitmap.h>
#include <solv/dataiterator.h>
#include <solv/knownid.h>
#include <solv/repo_repomdxml.h>
#include <solv/repo_rpmdb.h>
#include <solv/repo_rpmmd.h>
#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <solv/repodata.h>
#include <solv/solv_xfopen.h>
#include <solv/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bumped whenever what the cache holds changes meaning. */
#define CACHE_IDENT "bsrun-solv 1"
#define CACHE_FILE "repo.solv"
#define REPOMD_MAX_SIZE (16LL << 20)

static const char *const kind_names[] = { "auto", "rpm-md", "dir" };

const char *bs_repo_kind_name(enum bs_repo_kind kind)
{
	return (unsigned)kind < 3 ? kind_names[kind] : "?";
}

int bs_repo_kind_from_name(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (name && strcmp(name, kind_names[i]) == 0)
			return i;
	return -1;
}

int bs_pool_new(const char *arch, Pool **out)
{
	Pool *pool;

	*out = NULL;
	if (!arch || !*arch)
		return -EINVAL;
	if (!(pool = pool_create()))
		return -ENOMEM;
	pool_setdisttype(pool, DISTTYPE_RPM);
	pool_setarch(pool, arch);
	*out = pool;
	return 0;
}

static void info_free(struct bs_repo_info *info)
{
	if (!info)
		return;
	free(info->name);
	free(info->url);
	free(info->cachedir);
	for (size_t i = 0; i < info->nexclude; i++)
		free(info->exclude[i]);
	free(info->exclude);
	free(info);
}

void bs_pool_free(Pool *pool)
{
	Repo *repo;
	Id id;

	if (!pool)
		return;
	FOR_REPOS(id, repo) {
		info_free(repo->appdata);
		repo->appdata = NULL;
	}
	pool_free(pool);
	bs_heap_release();
}

const struct bs_repo_info *bs_repo_info(const Repo *repo)
{
	return repo ? repo->appdata : NULL;
}

int bs_repo_excludes(const Repo *repo, const char *name)
{
	const struct bs_repo_info *info = bs_repo_info(repo);

	if (!info)
		return 0;
	for (size_t i = 0; i < info->nexclude; i++)
		if (fnmatch(info->exclude[i], name, 0) == 0)
			return 1;
	return 0;
}

/* ---- helpers ---- */

static int valid_name(const char *s)
{
	if (!s || !*s || *s == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* A metadata location from repomd.xml: relative, no "..", no odd bytes. */
static int valid_location(const char *s)
{
	const char *p;

	if (!s || !*s || *s == '/' || strstr(s, "://"))
		return 0;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '\\' || *p == '?' || *p == '#')
			return 0;
	for (p = s; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return 0;
	}
	return 1;
}

/* base + "/" + rel, without doubling the slash; malloc'd or NULL. */
static char *url_join(const char *base, const char *rel)
{
	size_t n = strlen(base);
	char *s;

	if (asprintf(&s, "%s%s%s", base, n && base[n - 1] == '/' ? "" : "/", rel) < 0)
		return NULL;
	return s;
}

static int mkdir_p(const char *path)
{
	char *copy = strdup(path), *p;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (p = copy + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(copy, 0755) < 0 && errno != EEXIST) {
				rc = -errno;
				break;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	free(copy);
	return rc;
}

/* sha256 of the given byte strings (each followed by a NUL), as hex. */
static void hash_strings(char hex[65], const char *const *parts, size_t n)
{
	Chksum *ck = solv_chksum_create(REPOKEY_TYPE_SHA256);
	const unsigned char *bin;
	int len = 0;

	for (size_t i = 0; i < n; i++)
		solv_chksum_add(ck, parts[i], (int)strlen(parts[i]) + 1);
	bin = solv_chksum_get(ck, &len);
	solv_bin2hex(bin, len, hex);
	solv_chksum_free(ck, NULL);
}

/* The state of one load. */
struct load {
	Pool *pool;
	Repo *repo;
	const struct bs_repo_spec *spec;
	int flags;
	char *dir;      /* this repository's cache directory */
	char cookie[65];
	char *err;
	size_t errlen;
};

static int fail(struct load *ld, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct load *ld, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ld->err, ld->errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* The userdata of a cache file; without cookie, the prefix every cookie follows. */
static void cache_userdata(char *buf, size_t len, enum bs_repo_kind kind, const char *cookie)
{
	snprintf(buf, len, CACHE_IDENT "\n%s\n%s%s", bs_repo_kind_name(kind), cookie ? cookie : "",
		 cookie ? "\n" : "");
}

/* Reads the cache into ld->repo when its userdata matches (only the prefix up
 * to the cookie when cookie is NULL). Returns 1 on a hit, 0 on a miss. */
static int cache_read(struct load *ld, enum bs_repo_kind kind, const char *cookie)
{
	char want[256], *path;
	unsigned char *ud = NULL;
	int udlen = 0, hit = 0;
	FILE *fp;

	if (asprintf(&path, "%s/" CACHE_FILE, ld->dir) < 0)
		return 0;
	fp = fopen(path, "re");
	free(path);
	if (!fp)
		return 0;
	cache_userdata(want, sizeof want, kind, cookie);
	if (solv_read_userdata(fp, &ud, &udlen) == 0 && ud &&
	    (cookie ? strcmp((char *)ud, want) == 0 : strncmp((char *)ud, want, strlen(want)) == 0)) {
		struct stat st;

		/* a large repository's pool and the solve after it take about
		 * three times its .solv file: populated in one go, not page by page */
		if (fstat(fileno(fp), &st) == 0 && st.st_size >= (1 << 20))
			bs_heap_prefault((size_t)st.st_size * 4);
		rewind(fp);
		if (repo_add_solv(ld->repo, fp, 0) == 0) {
			hit = 1;
			if (!cookie) {
				const char *c = (char *)ud + strlen(want);

				snprintf(ld->cookie, sizeof ld->cookie, "%.64s", c);
			}
		} else {
			bs_log(BS_LOG_WARN, "repository %s: ignoring unreadable cache: %s", ld->spec->name,
			       pool_errstr(ld->pool));
			repo_empty(ld->repo, 1);
		}
	}
	solv_free(ud);
	fclose(fp);
	return hit;
}

/* Writes repo to the cache file in dir, atomically; a failure is only a warning. */
static void cache_write(Repo *repo, const char *dir, enum bs_repo_kind kind, const char *cookie)
{
	char ud[256], *tmp = NULL, *final = NULL;
	Repowriter *w = NULL;
	FILE *fp = NULL;
	int fd = -1, ok = 0;

	cache_userdata(ud, sizeof ud, kind, cookie);
	if (asprintf(&tmp, "%s/." CACHE_FILE ".part-%d-XXXXXX", dir, (int)getpid()) < 0) {
		tmp = NULL;
		goto out;
	}
	if (asprintf(&final, "%s/" CACHE_FILE, dir) < 0) {
		final = NULL;
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (!(fp = fdopen(fd, "w")))
		goto out;
	fd = -1;
	if (!(w = repowriter_create(repo)))
		goto out;
	repowriter_set_userdata(w, ud, (int)strlen(ud) + 1);
	if (repowriter_write(w, fp) != 0 || fflush(fp) != 0 || fchmod(fileno(fp), 0644) < 0 ||
	    fsync(fileno(fp)) < 0)
		goto out;
	ok = fclose(fp) == 0;
	fp = NULL;
	if (ok && rename(tmp, final) == 0) {
		free(tmp);
		tmp = NULL;
	} else {
		ok = 0;
	}
out:
	if (w)
		repowriter_free(w);
	if (fp)
		fclose(fp);
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	if (!ok)
		bs_log(BS_LOG_WARN, "repository %s: cannot write its cache in %s", repo->name, dir);
	free(final);
}

/* ---- rpm-md ---- */

/* Finds the repomd.xml entry of type `what`: location, checksum, size. */
static int repomd_find(Repo *repo, const char *what, const char **loc, const char **chktype,
		       const char **chk, unsigned long long *size)
{
	Pool *pool = repo->pool;
	Dataiterator di;
	Id type = 0;
	int found = 0;

	dataiterator_init(&di, pool, repo, SOLVID_META, REPOSITORY_REPOMD_TYPE, what, SEARCH_STRING);
	dataiterator_prepend_keyname(&di, REPOSITORY_REPOMD);
	if (dataiterator_step(&di)) {
		dataiterator_setpos_parent(&di);
		*loc = pool_lookup_str(pool, SOLVID_POS, REPOSITORY_REPOMD_LOCATION);
		*chk = pool_lookup_checksum(pool, SOLVID_POS, REPOSITORY_REPOMD_CHECKSUM, &type);
		*size = pool_lookup_num(pool, SOLVID_POS, REPOSITORY_REPOMD_SIZE, 0);
		*chktype = type ? solv_chksum_type2str(type) : NULL;
		found = *loc != NULL;
	}
	dataiterator_free(&di);
	return found;
}

/* Fetches and parses the metadata file of type `what` into ld->repo. */
static int rpmmd_add(struct load *ld, const char *what, int addflags)
{
	const char *loc = NULL, *chktype = NULL, *chk = NULL, *base;
	unsigned long long size = 0;
	char *url = NULL, *path = NULL, *name = NULL, *chkcopy = NULL, *loccopy = NULL;
	struct bs_fetch_want want = { 0 };
	FILE *fp = NULL;
	int rc;

	if (!repomd_find(ld->repo, what, &loc, &chktype, &chk, &size))
		return fail(ld, -EBADMSG, "%s: repodata/repomd.xml lists no %s metadata", ld->spec->url, what);
	/* libsolv's lookups live in a temporary buffer: copy them */
	loccopy = strdup(loc);
	chkcopy = chk ? strdup(chk) : NULL;
	if (!loccopy || (chk && !chkcopy)) {
		rc = fail(ld, -ENOMEM, "out of memory");
		goto out;
	}
	if (!(url = url_join(ld->spec->url, loccopy))) {
		rc = fail(ld, -ENOMEM, "out of memory");
		goto out;
	}
	if (!valid_location(loccopy)) {
		rc = fail(ld, -EBADMSG, "%s: refusing the %s location \"%s\" of repodata/repomd.xml",
			  ld->spec->url, what, loccopy);
		goto out;
	}
	if (!chkcopy || !chktype) {
		rc = fail(ld, -EBADMSG, "%s: repodata/repomd.xml gives no checksum", url);
		goto out;
	}
	base = strrchr(loccopy, '/') ? strrchr(loccopy, '/') + 1 : loccopy;
	if (solv_xfopen_iscompressed(base) < 0) {
		rc = fail(ld, -EBADMSG, "%s: unsupported compression", url);
		goto out;
	}
	want.chksum_type = chktype;
	want.chksum = chkcopy;
	want.size = (long long)size;
	/* named per process (concurrent loads), keeping the suffix solv_xfopen goes by */
	if (asprintf(&name, "%d-%s", (int)getpid(), base) < 0) {
		name = NULL;
		rc = fail(ld, -ENOMEM, "out of memory");
		goto out;
	}
	if (asprintf(&path, "%s/%s", ld->dir, name) < 0) {
		path = NULL;
		rc = fail(ld, -ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = bs_fetch(url, ld->dir, name, &want, ld->err, ld->errlen)) < 0)
		goto out;
	if (!(fp = solv_xfopen(path, "r"))) {
		rc = fail(ld, -EBADMSG, "%s: cannot open: %s", url, strerror(errno));
		goto out;
	}
	if (repo_add_rpmmd(ld->repo, fp, NULL, addflags) != 0) {
		rc = fail(ld, -EBADMSG, "%s: bad %s metadata: %s", url, what, pool_errstr(ld->pool));
		goto out;
	}
	rc = 0;
out:
	if (fp)
		fclose(fp);
	if (path)
		unlink(path);
	free(path);
	free(name);
	free(url);
	free(chkcopy);
	free(loccopy);
	return rc;
}

/* Loads an rpm-md repository; -ENOENT (with err set) when there is no repomd.xml. */
static int load_rpmmd(struct load *ld)
{
	char *url = NULL, *path = NULL, name[32], hex[65];
	const char *parts[4];
	struct bs_fetch_want want = { .max_size = REPOMD_MAX_SIZE };
	FILE *fp = NULL;
	int rc;

	if (ld->flags & BS_REPO_OFFLINE) {
		if (cache_read(ld, BS_REPO_RPMMD, NULL))
			return 1;
		return fail(ld, -ENOENT, "%s: no cached metadata (offline)", ld->spec->url);
	}
	snprintf(name, sizeof name, "%d-repomd.xml", (int)getpid());
	if (!(url = url_join(ld->spec->url, "repodata/repomd.xml")) ||
	    asprintf(&path, "%s/%s", ld->dir, name) < 0) {
		free(url);
		return fail(ld, -ENOMEM, "out of memory");
	}
	if ((rc = bs_fetch(url, ld->dir, name, &want, ld->err, ld->errlen)) < 0)
		goto out;
	if ((rc = bs_fetch_file_chksum(path, "sha256", hex, sizeof hex)) < 0) {
		rc = fail(ld, rc, "%s: cannot read the download: %s", url, strerror(-rc));
		goto out;
	}
	parts[0] = CACHE_IDENT;
	parts[1] = "rpm-md";
	parts[2] = ld->spec->url;
	parts[3] = hex;
	hash_strings(ld->cookie, parts, 4);
	if (cache_read(ld, BS_REPO_RPMMD, ld->cookie)) {
		rc = 1;
		goto out;
	}
	if (!(fp = fopen(path, "re"))) {
		rc = fail(ld, -errno, "%s: cannot read the download: %s", url, strerror(errno));
		goto out;
	}
	if (repo_add_repomdxml(ld->repo, fp, 0) != 0) {
		rc = fail(ld, -EBADMSG, "%s: bad repomd.xml: %s", url, pool_errstr(ld->pool));
		goto out;
	}
	if ((rc = rpmmd_add(ld, "primary", 0)) < 0 ||
	    (rc = rpmmd_add(ld, "filelists", REPO_EXTEND_SOLVABLES | REPO_LOCALPOOL)) < 0)
		goto out;
	repo_internalize(ld->repo);
	cache_write(ld->repo, ld->dir, BS_REPO_RPMMD, ld->cookie);
	rc = 0;
out:
	if (fp)
		fclose(fp);
	unlink(path);
	free(path);
	free(url);
	return rc;
}

/* ---- a directory of RPMs ---- */

static int is_binary_rpm(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	if (de->d_name[0] == '.' || n < 5 || strcmp(de->d_name + n - 4, ".rpm") != 0)
		return 0;
	if ((n >= 8 && strcmp(de->d_name + n - 8, ".src.rpm") == 0) ||
	    (n >= 10 && strcmp(de->d_name + n - 10, ".nosrc.rpm") == 0))
		return 0;
	return 1;
}

static int load_dir(struct load *ld)
{
	struct dirent **ents = NULL;
	Chksum *ck = NULL;
	char *path = NULL;
	const unsigned char *bin;
	int n = 0, rc = 0, len = 0, dfd = -1;

	if ((rc = bs_fetch_file_url_path(ld->spec->url, &path)) < 0)
		return fail(ld, rc == -ENOMEM ? rc : -EINVAL,
			    "%s: a directory of RPMs must be a local file:// URL", ld->spec->url);
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = fail(ld, -errno, "%s: %s", ld->spec->url, strerror(errno));
		goto out;
	}
	if ((n = scandir(path, &ents, is_binary_rpm, alphasort)) < 0) {
		n = 0;
		rc = fail(ld, -errno, "%s: %s", ld->spec->url, strerror(errno));
		goto out;
	}
	/* the cache key: the URL and every file's name, size and mtime */
	ck = solv_chksum_create(REPOKEY_TYPE_SHA256);
	solv_chksum_add(ck, CACHE_IDENT "\0dir\0", (int)sizeof(CACHE_IDENT "\0dir\0"));
	solv_chksum_add(ck, ld->spec->url, (int)strlen(ld->spec->url) + 1);
	for (int i = 0; i < n; i++) {
		struct stat st;
		char line[512];

		if (fstatat(dfd, ents[i]->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
			continue;
		snprintf(line, sizeof line, "%lld %lld.%09ld ", (long long)st.st_size,
			 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		solv_chksum_add(ck, line, (int)strlen(line));
		solv_chksum_add(ck, ents[i]->d_name, (int)strlen(ents[i]->d_name) + 1);
	}
	bin = solv_chksum_get(ck, &len);
	solv_bin2hex(bin, len, ld->cookie);
	if (cache_read(ld, BS_REPO_DIR, ld->cookie)) {
		rc = 1;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		char *file;
		Id p;

		if (asprintf(&file, "%s/%s", path, ents[i]->d_name) < 0) {
			rc = fail(ld, -ENOMEM, "out of memory");
			goto out;
		}
		p = repo_add_rpm(ld->repo, file, REPO_REUSE_REPODATA | REPO_NO_INTERNALIZE | REPO_NO_LOCATION |
					    RPM_ADD_WITH_SHA256SUM);
		if (p)
			repodata_set_location(repo_last_repodata(ld->repo), p, 0, NULL, ents[i]->d_name);
		else
			bs_log(BS_LOG_WARN, "repository %s: skipping %s: %s", ld->spec->name, file,
			       pool_errstr(ld->pool));
		free(file);
	}
	repo_internalize(ld->repo);
	if (!ld->repo->nsolvables)
		bs_log(BS_LOG_WARN, "repository %s: no RPM files in %s", ld->spec->name, path);
	cache_write(ld->repo, ld->dir, BS_REPO_DIR, ld->cookie);
	rc = 0;
out:
	if (ck)
		solv_chksum_free(ck, NULL);
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	if (dfd >= 0)
		close(dfd);
	free(path);
	return rc;
}

/* ---- file provides ---- */

/* Returns 1 when repo's cache already records a search for every file of ids. */
static int searched_all(Repo *repo, const Queue *ids)
{
	Pool *pool = repo->pool;
	Queue have;
	Map seen;
	int all = 1;

	queue_init(&have);
	if (!repo_lookup_idarray(repo, SOLVID_META, REPOSITORY_ADDEDFILEPROVIDES, &have)) {
		queue_free(&have);
		return 0;
	}
	map_init(&seen, pool->ss.nstrings);
	for (int i = 0; i < have.count; i++)
		if (have.elements[i] > 0 && have.elements[i] < pool->ss.nstrings)
			MAPSET(&seen, have.elements[i]);
	for (int i = 0; i < ids->count && all; i++)
		all = ids->elements[i] < pool->ss.nstrings && MAPTST(&seen, ids->elements[i]);
	map_free(&seen);
	queue_free(&have);
	return all;
}

/* Adds to out the file paths in dep (walking rich dependencies) that nothing provides. */
static void unprovided_files(Pool *pool, Id dep, Queue *out)
{
	Id p, pp;

	while (ISRELDEP(dep)) {
		Reldep *rd = GETRELDEP(pool, dep);

		if (rd->flags < 8) { /* name OP evr */
			dep = rd->name;
			break;
		}
		unprovided_files(pool, rd->name, out);
		dep = rd->evr;
	}
	if (ISRELDEP(dep) || pool_id2str(pool, dep)[0] != '/')
		return;
	FOR_PROVIDES(p, pp, dep)
		return;
	queue_pushunique(out, dep);
}

void bs_pool_add_file_provides(Pool *pool, const Id *deps, size_t ndeps)
{
	Queue searched, missing;
	Repo *repo;
	Id id;

	/* 1. the packages' own file requirements: libsolv searches the file lists
	 * once; each repository's cache then records that search (libsolv's
	 * REPOSITORY_ADDEDFILEPROVIDES), so that later runs skip it */
	queue_init(&searched);
	pool_set_flag(pool, POOL_FLAG_ADDFILEPROVIDESFILTERED, 0);
	pool_addfileprovides_queue(pool, &searched, NULL);
	FOR_REPOS(id, repo) {
		struct bs_repo_info *info = repo->appdata;
		Repodata *data;

		if (!info || !searched.count || searched_all(repo, &searched))
			continue;
		data = repo_add_repodata(repo, 0);
		repodata_extend_block(data, repo->start, repo->end - repo->start);
		repodata_set_idarray(data, SOLVID_META, REPOSITORY_ADDEDFILEPROVIDES, &searched);
		repodata_internalize(data);
		if (info->cachedir)
			cache_write(repo, info->cachedir, info->kind, info->cookie);
	}
	queue_free(&searched);
	pool_createwhatprovides(pool);

	/* 2. file paths among deps that nothing provides yet: looked up in the
	 * file lists one by one (an exact-match search; libsolv's
	 * pool_addfileprovides would compare every recorded path again) and
	 * added as provides of the packages holding them */
	queue_init(&missing);
	for (size_t i = 0; i < ndeps; i++)
		unprovided_files(pool, deps[i], &missing);
	if (missing.count) {
		Queue holders;

		queue_init(&holders);
		for (int i = 0; i < missing.count; i++) {
			Dataiterator di;

			queue_empty(&holders);
			dataiterator_init(&di, pool, 0, 0, SOLVABLE_FILELIST, pool_id2str(pool, missing.elements[i]),
					  SEARCH_STRING | SEARCH_FILES | SEARCH_COMPLETE_FILELIST);
			while (dataiterator_step(&di)) {
				queue_push(&holders, di.solvid);
				dataiterator_skip_solvable(&di);
			}
			dataiterator_free(&di);
			for (int j = 0; j < holders.count; j++) {
				Solvable *s = pool_id2solvable(pool, holders.elements[j]);

				s->provides = repo_addid_dep(s->repo, s->provides, missing.elements[i],
							     SOLVABLE_FILEMARKER);
			}
		}
		queue_free(&holders);
		pool_createwhatprovides(pool);
	}
	queue_free(&missing);
}

/* ---- the entry point ---- */

static int check_spec(const struct bs_repo_spec *spec, char *err, size_t errlen)
{
	const char *u = spec->url;

	if (!valid_name(spec->name)) {
		snprintf(err, errlen, "bad repository name \"%s\"", spec->name ? spec->name : "");
		return -EINVAL;
	}
	if (!u || (strncmp(u, "file://", 7) != 0 && strncmp(u, "http://", 7) != 0 &&
		   strncmp(u, "https://", 8) != 0)) {
		snprintf(err, errlen, "repository %s: expected a file://, http:// or https:// URL, got \"%s\"",
			 spec->name, u ? u : "");
		return -EINVAL;
	}
	if (spec->priority < 0 || spec->priority > 99 || (unsigned)spec->kind > BS_REPO_DIR) {
		snprintf(err, errlen, "repository %s: bad priority or kind", spec->name);
		return -EINVAL;
	}
	return 0;
}

static struct bs_repo_info *info_new(const struct bs_repo_spec *spec)
{
	struct bs_repo_info *info = calloc(1, sizeof *info);

	if (!info)
		return NULL;
	info->name = strdup(spec->name);
	info->url = strdup(spec->url);
	info->priority = spec->priority ? spec->priority : 50;
	info->exclude = calloc(spec->nexclude + 1, sizeof *info->exclude);
	if (!info->name || !info->url || !info->exclude)
		goto oom;
	for (; info->nexclude < spec->nexclude; info->nexclude++)
		if (!(info->exclude[info->nexclude] = strdup(spec->exclude[info->nexclude])))
			goto oom;
	return info;
oom:
	info_free(info);
	return NULL;
}

int bs_repo_load(Pool *pool, const struct bs_repo_spec *spec, const char *cachedir, int flags,
		 Repo **out, char *err, size_t errlen)
{
	struct load ld = { .pool = pool, .spec = spec, .flags = flags, .err = err, .errlen = errlen };
	struct bs_repo_info *info = NULL;
	const char *parts[2];
	char urlhash[65];
	Repo *r;
	Id id;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = check_spec(spec, err, errlen)) < 0)
		return rc;
	FOR_REPOS(id, r)
		if (strcmp(r->name, spec->name) == 0) {
			snprintf(err, errlen, "repository %s: loaded twice", spec->name);
			return -EEXIST;
		}
	if (!cachedir || !*cachedir) {
		snprintf(err, errlen, "repository %s: no cache directory", spec->name);
		return -EINVAL;
	}
	if (spec->kind == BS_REPO_DIR && strncmp(spec->url, "file://", 7) != 0) {
		snprintf(err, errlen, "%s: a directory of RPMs must be a local file:// URL", spec->url);
		return -EINVAL;
	}
	if (strncmp(spec->url, "file://", 7) == 0)
		flags &= ~BS_REPO_OFFLINE; /* local: always read */
	parts[0] = spec->url;
	parts[1] = spec->name;
	hash_strings(urlhash, parts, 2);
	if (asprintf(&ld.dir, "%s/%s-%.16s", cachedir, spec->name, urlhash) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((rc = mkdir_p(ld.dir)) < 0) {
		fail(&ld, rc, "repository %s: cannot create the cache %s: %s", spec->name, ld.dir, strerror(-rc));
		goto out;
	}
	if (!(info = info_new(spec))) {
		rc = fail(&ld, -ENOMEM, "out of memory");
		goto out;
	}
	ld.repo = repo_create(pool, spec->name);
	if (spec->kind == BS_REPO_DIR) {
		info->kind = BS_REPO_DIR;
		rc = load_dir(&ld);
	} else {
		info->kind = BS_REPO_RPMMD;
		rc = load_rpmmd(&ld);
		if (rc == -ENOENT && spec->kind == BS_REPO_AUTO && !(flags & BS_REPO_OFFLINE)) {
			if (strncmp(spec->url, "file://", 7) == 0) {
				info->kind = BS_REPO_DIR;
				rc = load_dir(&ld);
			} else {
				rc = fail(&ld, -ENOENT, "%s: no repodata/repomd.xml (a directory of RPMs "
					  "without metadata can only be read over file://)", spec->url);
			}
		}
	}
	if (rc < 0)
		goto out;
	info->from_cache = rc == 1;
	memcpy(info->cookie, ld.cookie, sizeof info->cookie);
	info->cachedir = ld.dir;
	ld.dir = NULL;
	/* libsolv: a higher priority wins; in a policy, a lower one does */
	ld.repo->priority = 100 - info->priority;
	ld.repo->appdata = info;
	info = NULL;
	bs_log(BS_LOG_DEBUG, "repository %s (%s, %s): %d packages%s", spec->name, spec->url,
	       bs_repo_kind_name(bs_repo_info(ld.repo)->kind), ld.repo->nsolvables,
	       bs_repo_info(ld.repo)->from_cache ? ", from the cache" : "");
	if (out)
		*out = ld.repo;
	rc = 0;
out:
	if (rc < 0 && ld.repo)
		repo_free(ld.repo, 1);
	info_free(info);
	free(ld.dir);
	return rc;
}
