/* Repositories loaded into a libsolv pool: rpm-md (file, http, https) and
 * plain directories of RPMs, each cached as a .solv file. */
#ifndef BSRUN_REPO_H
#define BSRUN_REPO_H

#include <stddef.h>
#include <solv/pool.h>
#include <solv/repo.h>

enum bs_repo_kind {
	BS_REPO_AUTO = 0, /* rpm-md when repodata/repomd.xml exists, else dir */
	BS_REPO_RPMMD,    /* repodata/repomd.xml with primary and filelists */
	BS_REPO_DIR,      /* a directory of *.rpm files (file:// only) */
};

/* A repository as a policy describes it (doc/policies.md, `repos`). */
struct bs_repo_spec {
	const char *name;            /* [A-Za-z0-9._-]+, not starting with '.' */
	const char *url;             /* file://, http:// or https:// */
	enum bs_repo_kind kind;
	int priority;                /* 1..99, lower wins; 0 means 50 */
	const char *const *exclude;  /* package-name globs (fnmatch) never taken from it */
	size_t nexclude;
};

/* What bsrun keeps about a loaded repository (Repo.appdata; owned by the pool). */
struct bs_repo_info {
	char *name, *url;
	enum bs_repo_kind kind;      /* never BS_REPO_AUTO once loaded */
	int priority;
	char **exclude;
	size_t nexclude;
	int from_cache;              /* 1 when read from the .solv cache */
	char cookie[65];             /* sha256 hex of what the cache is keyed by */
	char *cachedir;              /* this repository's cache directory */
};

enum {
	/* Do not contact an http(s) repository: use its .solv cache, whatever
	 * its age (-ENOENT when there is none). file:// ones are always read. */
	BS_REPO_OFFLINE = 1,
};

/* Creates a pool for installing packages of architecture arch (e.g. "x86_64",
 * "i686"; noarch is always installable) into *out. Returns 0, -EINVAL for an
 * empty arch, or -ENOMEM. Free it with bs_pool_free. */
int bs_pool_new(const char *arch, Pool **out);

/* Frees a pool made by bs_pool_new with its repositories; NULL is fine. */
void bs_pool_free(Pool *pool);

/* Loads the repository *spec into pool, caching under cachedir (created if
 * needed; one subdirectory per name and URL). rpm-md: fetches
 * repodata/repomd.xml; when its checksum matches the cache, reads the .solv
 * file; else fetches primary and filelists, verifies their size and checksum,
 * parses them and writes the cache. dir: indexes every *.rpm (not .src.rpm)
 * with libsolv's rpm reader, cached by the names, sizes and mtimes. Sets *out
 * (may be NULL) to the repo, whose appdata is a struct bs_repo_info. On
 * failure, nothing is added to pool and err names the URL. Returns 0, or
 * -EINVAL (bad spec: name, URL, priority, a dir repository over http),
 * -EEXIST (name already loaded), or an infrastructure failure (exit 4):
 * -EBADMSG (bad checksum, truncated download, unparsable metadata), -ENOENT
 * (no repository there), -ECONNREFUSED, -EHOSTUNREACH, -ETIMEDOUT, -EIO,
 * -EPROTONOSUPPORT or another -errno (see bs_fetch). */
int bs_repo_load(Pool *pool, const struct bs_repo_spec *spec, const char *cachedir, int flags,
		 Repo **out, char *err, size_t errlen);

/* Makes every file path that a package of pool, or one of deps, requires a
 * provide of the packages holding that file (libsolv's addfileprovides), so
 * that file requirements resolve, and creates the pool's whatprovides index.
 * The packages' file paths are recorded in each repository's cache (which is
 * rewritten when it lacked some), so that later runs do not search again;
 * paths of deps that no package provides cost one more search, every time.
 * Call it after the last bs_repo_load. */
void bs_pool_add_file_provides(Pool *pool, const Id *deps, size_t ndeps);

/* Returns the info of a repo loaded by bs_repo_load, or NULL for another repo. */
const struct bs_repo_info *bs_repo_info(const Repo *repo);

/* "auto", "rpm-md", "dir"; kind_from_name returns -1 for an unknown name. */
const char *bs_repo_kind_name(enum bs_repo_kind kind);
int bs_repo_kind_from_name(const char *name);

/* Returns 1 when every package named name must not come from repo (an
 * exclude glob of its info matches), else 0. */
int bs_repo_excludes(const Repo *repo, const char *name);

#endif
