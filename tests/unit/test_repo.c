/* Repositories and solving against real RPMs: rpm-md over HTTP and file://,
 * plain directories, the .solv cache, checksums, and libsolv's answers. */
#include "fetch.h"
#include "heap.h"
#include "repo.h"
#include "repofix.h"
#include "solve.h"
#include "tests.h"

#include <solv/knownid.h>
#include <solv/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#define BIG (PATH_MAX * 4)

static const struct repofix *F;
static char cache[PATH_MAX];
static char err[2048];
static Pool *pool;

static void fixtures_up(void)
{
	F = repofix_get();
}

static void fixtures_down(void)
{
	repofix_cleanup();
}

static void setup(void)
{
	if (F->skip || F->error)
		return;
	repofix_tmpdir(cache, sizeof cache, "cache");
	ck_assert_int_eq(bs_pool_new("x86_64", &pool), 0);
}

static void teardown(void)
{
	bs_pool_free(pool);
	pool = NULL;
}

/* Returns from the test when the tools are missing (the SKIP line was printed). */
#define NEED_FIXTURES()                                                         \
	do {                                                                    \
		if (F->skip)                                                    \
			return;                                                 \
		ck_assert_msg(!F->error, "building the fixtures failed: %s", F->error); \
	} while (0)

static int load_ex(const char *name, const char *url, enum bs_repo_kind kind, int prio,
		   const char *const *exclude, size_t nexclude, int flags)
{
	struct bs_repo_spec spec = { .name = name, .url = url, .kind = kind, .priority = prio,
				     .exclude = exclude, .nexclude = nexclude };

	err[0] = '\0';
	return bs_repo_load(pool, &spec, cache, flags, NULL, err, sizeof err);
}

static int load(const char *name, const char *url, enum bs_repo_kind kind)
{
	return load_ex(name, url, kind, 0, NULL, 0, 0);
}

static void load_main(void)
{
	char url[BIG];

	snprintf(url, sizeof url, "%s/main/", F->http);
	ck_assert_msg(load("main", url, BS_REPO_RPMMD) == 0, "loading %s: %s", url, err);
}

/* Solves reqs; returns the NEVRAs installed, in order, space-separated (static). */
static const char *solve_opts(const char *const *reqs, size_t n, const struct bs_solve_opts *opts, int *rc,
			      struct bs_solution *keep)
{
	static char out[4096];
	struct bs_solution sol;
	size_t used = 0;

	err[0] = out[0] = '\0';
	*rc = bs_solve(pool, reqs, n, opts, &sol, err, sizeof err);
	for (size_t i = 0; i < sol.npkgs; i++)
		used += (size_t)snprintf(out + used, sizeof out - used, "%s%s", i ? " " : "", sol.pkgs[i].nevra);
	if (keep)
		*keep = sol;
	else
		bs_solution_free(&sol);
	return out;
}

#define SOLVE(...)                                                                          \
	({                                                                                  \
		static const char *const r_[] = { __VA_ARGS__ };                            \
		int rc_;                                                                    \
		const char *o_ = solve_opts(r_, sizeof r_ / sizeof *r_, NULL, &rc_, NULL); \
		ck_assert_msg(rc_ == 0, "solving failed (%d): %s", rc_, err);               \
		o_;                                                                         \
	})

static size_t file_size(const char *path)
{
	struct stat st;

	ck_assert_msg(stat(path, &st) == 0, "stat %s", path);
	return (size_t)st.st_size;
}

START_TEST(test_names_versions)
{
	struct bs_solution sol;
	const char *const foo[] = { "foo" };
	char path[BIG], hex[129], url[BIG];
	int rc;

	NEED_FIXTURES();
	load_main();
	ck_assert_str_eq(SOLVE("foo"), "foo-2.0-1.noarch");
	ck_assert_str_eq(SOLVE("foo < 2"), "foo-1.0-1.noarch");
	ck_assert_str_eq(SOLVE("foo <= 1.0-1"), "foo-1.0-1.noarch");
	ck_assert_str_eq(SOLVE("foo >= 1.5"), "foo-2.0-1.noarch");
	ck_assert_str_eq(SOLVE("foo = 1.0"), "foo-1.0-1.noarch");
	ck_assert_str_eq(SOLVE("  foo\t>\t1.0  "), "foo-2.0-1.noarch");

	/* every field of the answer */
	solve_opts(foo, 1, NULL, &rc, &sol);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(sol.npkgs, 1);
	ck_assert_str_eq(sol.pkgs[0].name, "foo");
	ck_assert_str_eq(sol.pkgs[0].evr, "2.0-1");
	ck_assert_str_eq(sol.pkgs[0].arch, "noarch");
	ck_assert_str_eq(sol.pkgs[0].repo, "main");
	ck_assert_str_eq(sol.pkgs[0].location, "foo-2.0-1.noarch.rpm");
	snprintf(url, sizeof url, "%s/main/foo-2.0-1.noarch.rpm", F->http);
	ck_assert_str_eq(sol.pkgs[0].url, url);
	snprintf(path, sizeof path, "%s/main/foo-2.0-1.noarch.rpm", F->www);
	ck_assert_uint_eq(sol.pkgs[0].size, file_size(path));
	ck_assert_str_eq(sol.pkgs[0].chksum_type, "sha256");
	ck_assert_int_eq(bs_fetch_file_chksum(path, "sha256", hex, sizeof hex), 0);
	ck_assert_str_eq(sol.pkgs[0].chksum, hex);
	bs_solution_free(&sol);
	ck_assert_ptr_null(sol.pkgs);
}
END_TEST

START_TEST(test_provides_and_order)
{
	const char *got;

	NEED_FIXTURES();
	load_main();
	ck_assert_str_eq(SOLVE("pkgconfig(zlib) >= 1.2"), "zlib-devel-1.2.13-1.noarch");
	ck_assert_str_eq(SOLVE("foo-virtual < 2"), "foo-1.0-1.noarch");
	/* bar needs foo >= 2.0 and zlib-devel: both come first */
	got = SOLVE("bar-virtual");
	ck_assert_msg(strstr(got, "foo-2.0-1.noarch") && strstr(got, "zlib-devel-1.2.13-1.noarch"), "%s", got);
	ck_assert_msg(strstr(got, "bar-3.0-1.noarch") == got + strlen(got) - strlen("bar-3.0-1.noarch"),
		      "bar is not last: %s", got);
	/* several requirements at once, shared dependencies installed once */
	got = SOLVE("bar", "foo", "zlib-devel");
	ck_assert_msg(strlen(got) == strlen("foo-2.0-1.noarch zlib-devel-1.2.13-1.noarch bar-3.0-1.noarch"), "%s", got);
}
END_TEST

START_TEST(test_file_requires)
{
	NEED_FIXTURES();
	load_main();
	/* /usr/include is not in primary.xml: this needs filelists */
	ck_assert_str_eq(SOLVE("/usr/include/zlib.h"), "zlib-devel-1.2.13-1.noarch");
	/* a package that requires a file */
	ck_assert_str_eq(SOLVE("usesfile"), "zlib-devel-1.2.13-1.noarch usesfile-1.0-1.noarch");
	ck_assert_str_eq(SOLVE("/usr/share/foo/version"), "foo-2.0-1.noarch");
}
END_TEST

START_TEST(test_rich)
{
	const char *got;

	NEED_FIXTURES();
	load_main();
	got = SOLVE("(alpha or beta)");
	ck_assert_msg(strcmp(got, "alpha-1.0-1.noarch") == 0 || strcmp(got, "beta-1.0-1.noarch") == 0, "%s", got);
	got = SOLVE("(alpha and beta)");
	ck_assert_msg(strstr(got, "alpha-1.0-1.noarch") && strstr(got, "beta-1.0-1.noarch"), "%s", got);
	ck_assert_str_eq(SOLVE("(foo >= 1.0 with foo < 2)"), "foo-1.0-1.noarch");
	ck_assert_str_eq(SOLVE("(nosuch or foo < 2)"), "foo-1.0-1.noarch");
}
END_TEST

START_TEST(test_conflicts)
{
	const char *const both[] = { "conflicter", "foo" };
	const char *const bar[] = { "bar" };
	const char *const foo[] = { "foo" };
	const char *const nofoo[] = { "foo" };
	const char *const zglob[] = { "zlib*" };
	struct bs_solve_opts opts = { .conflicts = nofoo, .nconflicts = 1 };
	struct bs_solution sol;
	int rc;

	NEED_FIXTURES();
	load_main();
	/* a package's Conflicts: */
	solve_opts(both, 2, NULL, &rc, &sol);
	ck_assert_int_eq(rc, -ENOPKG);
	ck_assert_uint_ge(sol.nproblems, 1);
	ck_assert_msg(strstr(sol.problems[0].text, "conflicter") && strstr(sol.problems[0].text, "foo"),
		      "%s", sol.problems[0].text);
	ck_assert_msg(strstr(err, "conflicter") && strstr(err, "foo"), "%s", err);
	bs_solution_free(&sol);

	/* BuildConflicts-style option: nothing may provide foo, yet bar needs it */
	solve_opts(bar, 1, &opts, &rc, &sol);
	ck_assert_int_eq(rc, -ENOPKG);
	ck_assert_msg(strstr(err, "bar") && strstr(err, "conflict foo"), "%s", err);
	bs_solution_free(&sol);
	ck_assert_str_eq(SOLVE("zlib-devel"), "zlib-devel-1.2.13-1.noarch");

	/* excludes, as an option */
	opts = (struct bs_solve_opts){ .exclude = zglob, .nexclude = 1 };
	solve_opts(bar, 1, &opts, &rc, &sol);
	ck_assert_int_eq(rc, -ENOPKG);
	ck_assert_msg(strstr(err, "bar"), "%s", err);
	bs_solution_free(&sol);
	/* and the option does not outlive the call */
	ck_assert_str_eq(SOLVE("zlib-devel"), "zlib-devel-1.2.13-1.noarch");

	/* excludes of a repository */
	bs_pool_free(pool);
	ck_assert_int_eq(bs_pool_new("x86_64", &pool), 0);
	{
		char url[BIG];

		snprintf(url, sizeof url, "%s/main", F->http);
		ck_assert_int_eq(load_ex("main", url, BS_REPO_RPMMD, 0, foo, 1, 0), 0);
	}
	solve_opts(foo, 1, NULL, &rc, &sol);
	ck_assert_int_eq(rc, -ENOPKG);
	ck_assert_msg(strstr(err, "foo"), "%s", err);
	bs_solution_free(&sol);
	ck_assert_str_eq(SOLVE("zlib-devel"), "zlib-devel-1.2.13-1.noarch");
}
END_TEST

START_TEST(test_unresolvable)
{
	const char *const reqs[] = { "nosuchpkg", "foo", "broken", "/usr/include/nosuch.h" };
	const char *const bad[] = { "foo >=" };
	const char *const bad2[] = { "foo, bar" };
	struct bs_solution sol;
	int rc, seen_nosuch = 0, seen_broken = 0, seen_file = 0;

	NEED_FIXTURES();
	load_main();
	solve_opts(reqs, 4, NULL, &rc, &sol);
	ck_assert_int_eq(rc, -ENOPKG);
	ck_assert_uint_eq(sol.npkgs, 0);
	ck_assert_uint_eq(sol.nproblems, 3);
	for (size_t i = 0; i < sol.nproblems; i++) {
		const struct bs_problem *pb = &sol.problems[i];

		ck_assert_uint_eq(pb->nrequires, 1);
		ck_assert_uint_ge(pb->ndetails, 1);
		if (strcmp(pb->requires[0], "nosuchpkg") == 0) {
			seen_nosuch = 1;
			ck_assert_msg(strstr(pb->text, "nothing provides requested nosuchpkg"), "%s", pb->text);
		} else if (strcmp(pb->requires[0], "broken") == 0) {
			seen_broken = 1;
			ck_assert_msg(strstr(pb->text, "doesnotexist"), "%s", pb->text);
		} else if (strcmp(pb->requires[0], "/usr/include/nosuch.h") == 0) {
			seen_file = 1;
		}
	}
	ck_assert(seen_nosuch && seen_broken && seen_file);
	ck_assert_msg(strstr(err, "nosuchpkg") && strstr(err, "broken") && strstr(err, "/usr/include/nosuch.h") &&
		      !strstr(err, "foo"), "%s", err);
	bs_solution_free(&sol);

	solve_opts(bad, 1, NULL, &rc, &sol);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_msg(strstr(err, "\"foo >=\""), "%s", err);
	bs_solution_free(&sol);
	solve_opts(bad2, 1, NULL, &rc, &sol);
	ck_assert_int_eq(rc, -EINVAL);
	bs_solution_free(&sol);
}
END_TEST

START_TEST(test_cache_reused)
{
	char url[BIG], log[BIG], www[BIG];
	int port, primary1, repomd1;
	pid_t pid;

	NEED_FIXTURES();
	/* a server of our own, to stop it half-way */
	snprintf(log, sizeof log, "%s/own-http.log", cache);
	snprintf(www, sizeof www, "%s/main", F->www);
	ck_assert_int_eq(repofix_serve(www, log, &port, &pid), 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);

	ck_assert_msg(load("main", url, BS_REPO_RPMMD) == 0, "%s", err);
	ck_assert_int_eq(bs_repo_info(pool->repos[1])->from_cache, 0);
	primary1 = repofix_count_lines(log, "-primary.xml.gz");
	repomd1 = repofix_count_lines(log, "repomd.xml");
	ck_assert_int_eq(primary1, 1);
	ck_assert_int_eq(repofix_count_lines(log, "-filelists.xml.gz"), 1);

	/* the same repomd.xml: only it is fetched again */
	bs_pool_free(pool);
	ck_assert_int_eq(bs_pool_new("x86_64", &pool), 0);
	ck_assert_msg(load("main", url, BS_REPO_RPMMD) == 0, "%s", err);
	ck_assert_int_eq(bs_repo_info(pool->repos[1])->from_cache, 1);
	ck_assert_int_eq(repofix_count_lines(log, "-primary.xml.gz"), primary1);
	ck_assert_int_eq(repofix_count_lines(log, "-filelists.xml.gz"), 1);
	ck_assert_int_eq(repofix_count_lines(log, "repomd.xml"), repomd1 + 1);
	ck_assert_str_eq(SOLVE("/usr/include/zlib.h"), "zlib-devel-1.2.13-1.noarch");

	/* the packages' file requirements were searched once, and the cache says so */
	bs_pool_free(pool);
	ck_assert_int_eq(bs_pool_new("x86_64", &pool), 0);
	ck_assert_msg(load("main", url, BS_REPO_RPMMD) == 0, "%s", err);
	{
		Queue q;
		int found = 0;

		queue_init(&q);
		ck_assert(repo_lookup_idarray(pool->repos[1], SOLVID_META, REPOSITORY_ADDEDFILEPROVIDES, &q));
		for (int i = 0; i < q.count; i++)
			found |= strcmp(pool_id2str(pool, q.elements[i]), "/usr/include/zconf.h") == 0;
		queue_free(&q);
		ck_assert_msg(found, "/usr/include/zconf.h (required by usesfile) not recorded");
	}

	/* the server gone: offline loads use the cache, online ones fail naming the URL */
	repofix_stop(pid);
	bs_pool_free(pool);
	ck_assert_int_eq(bs_pool_new("x86_64", &pool), 0);
	ck_assert_int_eq(load("main", url, BS_REPO_RPMMD), -ECONNREFUSED);
	ck_assert_msg(strstr(err, url), "%s", err);
	ck_assert_int_eq(pool->urepos, 0);
	ck_assert_msg(load_ex("main", url, BS_REPO_RPMMD, 0, NULL, 0, BS_REPO_OFFLINE) == 0, "%s", err);
	ck_assert_int_eq(bs_repo_info(pool->repos[1])->from_cache, 1);
	ck_assert_str_eq(SOLVE("bar"), "foo-2.0-1.noarch zlib-devel-1.2.13-1.noarch bar-3.0-1.noarch");

	/* the cache holds the .solv file only: no metadata, no temporary file */
	ck_assert_int_eq(repofix_count_files(cache, "repo.solv"), 1);
	ck_assert_int_eq(repofix_count_files(cache, "."), 0);
	ck_assert_int_eq(repofix_count_files(cache, "repomd"), 0);
	ck_assert_int_eq(repofix_count_files(cache, "primary"), 0);

	/* offline with no cache at all */
	ck_assert_int_eq(load_ex("other", url, BS_REPO_RPMMD, 0, NULL, 0, BS_REPO_OFFLINE), -ENOENT);
	ck_assert_msg(strstr(err, url), "%s", err);
}
END_TEST

START_TEST(test_cache_invalidated)
{
	char url[BIG], www[PATH_MAX], rpm[BIG], src[BIG];
	NEED_FIXTURES();
	/* a copy of the directory repository, which then changes */
	repofix_tmpdir(www, sizeof www, "dircopy");
	snprintf(rpm, sizeof rpm, "%s/dironly-0.5-1.noarch.rpm", www);
	snprintf(src, sizeof src, "%s/dironly-0.5-1.noarch.rpm", F->dir);
	ck_assert_int_eq(link(src, rpm), 0);
	snprintf(url, sizeof url, "file://%s", www);
	ck_assert_msg(load("d", url, BS_REPO_DIR) == 0, "%s", err);
	ck_assert_int_eq(bs_repo_info(pool->repos[1])->from_cache, 0);
	ck_assert_str_eq(SOLVE("dironly"), "dironly-0.5-1.noarch");

	snprintf(rpm, sizeof rpm, "%s/foo-1.0-1.noarch.rpm", www);
	snprintf(src, sizeof src, "%s/foo-1.0-1.noarch.rpm", F->dir);
	ck_assert_int_eq(link(src, rpm), 0);
	bs_pool_free(pool);
	ck_assert_int_eq(bs_pool_new("x86_64", &pool), 0);
	ck_assert_msg(load("d", url, BS_REPO_DIR) == 0, "%s", err);
	ck_assert_int_eq(bs_repo_info(pool->repos[1])->from_cache, 0);
	ck_assert_str_eq(SOLVE("foo"), "foo-1.0-1.noarch");

	bs_pool_free(pool);
	ck_assert_int_eq(bs_pool_new("x86_64", &pool), 0);
	ck_assert_msg(load("d", url, BS_REPO_DIR) == 0, "%s", err);
	ck_assert_int_eq(bs_repo_info(pool->repos[1])->from_cache, 1);
	ck_assert_str_eq(SOLVE("foo", "dironly"), "foo-1.0-1.noarch dironly-0.5-1.noarch");
}
END_TEST

START_TEST(test_bad_checksum)
{
	char url[BIG];

	NEED_FIXTURES();
	snprintf(url, sizeof url, "%s/corrupt", F->http);
	ck_assert_int_eq(load("corrupt", url, BS_REPO_RPMMD), -EBADMSG);
	ck_assert_msg(strstr(err, url) && strstr(err, "-primary.xml.gz") && strstr(err, "checksum mismatch"), "%s", err);
	ck_assert_int_eq(pool->urepos, 0);
	ck_assert_int_eq(repofix_count_files(cache, ""), 1); /* the repository's empty cache dir */

	snprintf(url, sizeof url, "%s/truncated/", F->http);
	ck_assert_int_eq(load("truncated", url, BS_REPO_AUTO), -EBADMSG);
	ck_assert_msg(strstr(err, url) && strstr(err, "-primary.xml.gz") && strstr(err, "truncated"), "%s", err);
	ck_assert_int_eq(pool->urepos, 0);
	ck_assert_int_eq(repofix_count_files(cache, ""), 2);
}
END_TEST

START_TEST(test_unreachable)
{
	char url[BIG], path[BIG];
	int port;
	pid_t pid;

	NEED_FIXTURES();
	/* a port nothing listens on: start a server to find one, then stop it */
	snprintf(path, sizeof path, "%s/unused.log", cache);
	ck_assert_int_eq(repofix_serve(F->dir, path, &port, &pid), 0);
	repofix_stop(pid);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/repo/", port);
	ck_assert_int_eq(load("gone", url, BS_REPO_AUTO), -ECONNREFUSED);
	ck_assert_msg(strstr(err, url), "%s", err);

	/* a server without that repository */
	snprintf(url, sizeof url, "%s/nosuch/", F->http);
	ck_assert_int_eq(load("nosuch", url, BS_REPO_RPMMD), -ENOENT);
	ck_assert_msg(strstr(err, url) && strstr(err, "404"), "%s", err);
	ck_assert_int_eq(load("nosuch", url, BS_REPO_AUTO), -ENOENT);
	ck_assert_msg(strstr(err, url) && strstr(err, "file://"), "%s", err);
	ck_assert_int_eq(load("nosuch", url, BS_REPO_DIR), -EINVAL);

	snprintf(url, sizeof url, "file://%s/nosuch", F->root);
	ck_assert_int_eq(load("nosuch", url, BS_REPO_AUTO), -ENOENT);
	ck_assert_msg(strstr(err, url), "%s", err);
	ck_assert_int_eq(pool->urepos, 0);
	ck_assert_int_eq(repofix_count_files(cache, "."), 0);

	/* bad specs */
	ck_assert_int_eq(load("ftp", "ftp://example.org/", BS_REPO_AUTO), -EINVAL);
	ck_assert_int_eq(load("../x", "file:///tmp", BS_REPO_AUTO), -EINVAL);
}
END_TEST

START_TEST(test_dir_repo)
{
	char url[BIG], path[BIG], hex[129];
	struct bs_solution sol;
	const char *const req[] = { "dironly" };
	int rc;

	NEED_FIXTURES();
	snprintf(url, sizeof url, "file://%s", F->dir);
	ck_assert_msg(load("plain", url, BS_REPO_AUTO) == 0, "%s", err);
	ck_assert_int_eq(bs_repo_info(pool->repos[1])->kind, BS_REPO_DIR);
	ck_assert_int_eq(pool->repos[1]->nsolvables, 2);
	solve_opts(req, 1, NULL, &rc, &sol);
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_uint_eq(sol.npkgs, 1);
	ck_assert_str_eq(sol.pkgs[0].nevra, "dironly-0.5-1.noarch");
	ck_assert_str_eq(sol.pkgs[0].location, "dironly-0.5-1.noarch.rpm");
	snprintf(path, sizeof path, "%s/dironly-0.5-1.noarch.rpm", F->dir);
	snprintf(url, sizeof url, "file://%s/dironly-0.5-1.noarch.rpm", F->dir);
	ck_assert_str_eq(sol.pkgs[0].url, url);
	ck_assert_uint_eq(sol.pkgs[0].size, file_size(path));
	ck_assert_int_eq(bs_fetch_file_chksum(path, "sha256", hex, sizeof hex), 0);
	ck_assert_str_eq(sol.pkgs[0].chksum_type, "sha256");
	ck_assert_str_eq(sol.pkgs[0].chksum, hex);
	bs_solution_free(&sol);
	ck_assert_str_eq(SOLVE("/usr/share/fixt/dironly"), "dironly-0.5-1.noarch");

	/* the same, from the cache */
	bs_pool_free(pool);
	ck_assert_int_eq(bs_pool_new("x86_64", &pool), 0);
	snprintf(url, sizeof url, "file://%s/", F->dir);
	ck_assert_msg(load("plain", url, BS_REPO_DIR) == 0, "%s", err);
	ck_assert_int_eq(bs_repo_info(pool->repos[1])->from_cache, 0); /* another URL, another cache */
	bs_pool_free(pool);
	ck_assert_int_eq(bs_pool_new("x86_64", &pool), 0);
	ck_assert_msg(load("plain", url, BS_REPO_DIR) == 0, "%s", err);
	ck_assert_int_eq(bs_repo_info(pool->repos[1])->from_cache, 1);
	ck_assert_str_eq(SOLVE("dironly"), "dironly-0.5-1.noarch");
}
END_TEST

START_TEST(test_file_url_xz_and_priority)
{
	char url[BIG], dirurl[BIG];
	const char *got;

	NEED_FIXTURES();
	snprintf(url, sizeof url, "file://%s/xz", F->www);
	ck_assert_msg(load("xz", url, BS_REPO_AUTO) == 0, "%s", err);
	ck_assert_int_eq(bs_repo_info(pool->repos[1])->kind, BS_REPO_RPMMD);
	ck_assert_str_eq(SOLVE("/usr/include/zconf.h"), "zlib-devel-1.2.13-1.noarch");
	ck_assert_str_eq(SOLVE("foo"), "foo-2.0-1.noarch");

	/* a second repository with a better (lower) priority wins over a newer version */
	snprintf(dirurl, sizeof dirurl, "file://%s", F->dir);
	ck_assert_msg(load_ex("plain", dirurl, BS_REPO_DIR, 10, NULL, 0, 0) == 0, "%s", err);
	ck_assert_int_eq(load("plain", dirurl, BS_REPO_DIR), -EEXIST);
	got = SOLVE("foo");
	ck_assert_str_eq(got, "foo-1.0-1.noarch");
	/* ... but only for what it has */
	ck_assert_str_eq(SOLVE("foo >= 2"), "foo-2.0-1.noarch");
	ck_assert_str_eq(SOLVE("dironly", "zlib-devel"), "dironly-0.5-1.noarch zlib-devel-1.2.13-1.noarch");
}
END_TEST

START_TEST(test_fetch)
{
	char url[BIG], path[PATH_MAX + 64], hex[129], dir[PATH_MAX];
	struct bs_fetch_want want = { .chksum_type = "sha256", .chksum = hex };

	NEED_FIXTURES();
	repofix_tmpdir(dir, sizeof dir, "fetch");
	snprintf(path, sizeof path, "%s/dironly-0.5-1.noarch.rpm", F->dir);
	ck_assert_int_eq(bs_fetch_file_chksum(path, "sha256", hex, sizeof hex), 0);
	want.size = (long long)file_size(path);

	snprintf(url, sizeof url, "file://%s", path);
	/* a killed bsrun's partial download goes, a live one's stays */
	{
		pid_t dead = fork();
		char part[PATH_MAX + 64];
		int fd;

		if (dead == 0)
			_exit(0);
		ck_assert_int_gt(dead, 0);
		ck_assert_int_eq(waitpid(dead, NULL, 0), dead);
		snprintf(part, sizeof part, "%s/.gone.rpm.part-%d-abcdef", dir, (int)dead);
		ck_assert_int_ge(fd = open(part, O_WRONLY | O_CREAT | O_CLOEXEC, 0600), 0);
		close(fd);
		snprintf(part, sizeof part, "%s/.live.rpm.part-1-abcdef", dir);
		ck_assert_int_ge(fd = open(part, O_WRONLY | O_CREAT | O_CLOEXEC, 0600), 0);
		close(fd);
		ck_assert_msg(bs_fetch(url, dir, "ok.rpm", &want, err, sizeof err) == 0, "%s", err);
		ck_assert_uint_eq(repofix_count_files(dir, ".gone.rpm.part-"), 0);
		ck_assert_uint_eq(repofix_count_files(dir, ".live.rpm.part-1-"), 1);
		ck_assert_int_eq(unlink(part), 0);
	}
	ck_assert_uint_eq(repofix_count_files(dir, ""), 1);

	/* wrong checksum, wrong size, too big: nothing is left behind */
	want.chksum = "0000000000000000000000000000000000000000000000000000000000000000";
	ck_assert_int_eq(bs_fetch(url, dir, "bad.rpm", &want, err, sizeof err), -EBADMSG);
	ck_assert_msg(strstr(err, url) && strstr(err, "checksum mismatch"), "%s", err);
	want.chksum = hex;
	want.size++;
	ck_assert_int_eq(bs_fetch(url, dir, "bad.rpm", &want, err, sizeof err), -EBADMSG);
	ck_assert_msg(strstr(err, url) && strstr(err, "truncated"), "%s", err);
	want.size -= 2;
	ck_assert_int_eq(bs_fetch(url, dir, "bad.rpm", &want, err, sizeof err), -EBADMSG);
	ck_assert_msg(strstr(err, "size mismatch"), "%s", err);
	want.size = 0;
	want.max_size = 100;
	ck_assert_int_eq(bs_fetch(url, dir, "bad.rpm", &want, err, sizeof err), -EFBIG);
	ck_assert_msg(strstr(err, url), "%s", err);
	snprintf(url, sizeof url, "%s/main/nosuch.rpm", F->http);
	ck_assert_int_eq(bs_fetch(url, dir, "bad.rpm", NULL, err, sizeof err), -ENOENT);
	ck_assert_msg(strstr(err, url), "%s", err);
	/* a failed download never replaces a good entry */
	ck_assert_int_eq(bs_fetch(url, dir, "ok.rpm", NULL, err, sizeof err), -ENOENT);
	ck_assert_uint_eq(repofix_count_files(dir, ""), 1);
	ck_assert_uint_eq(repofix_count_files(dir, "ok.rpm"), 1);

	/* over HTTP, verified */
	snprintf(path, sizeof path, "%s/main/foo-1.0-1.noarch.rpm", F->www);
	ck_assert_int_eq(bs_fetch_file_chksum(path, "sha256", hex, sizeof hex), 0);
	want.max_size = 0;
	want.size = (long long)file_size(path);
	snprintf(url, sizeof url, "%s/main/foo-1.0-1.noarch.rpm", F->http);
	ck_assert_msg(bs_fetch(url, dir, "foo.rpm", &want, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(repofix_count_files(dir, ""), 2);

	/* protocols */
	ck_assert_int_eq(bs_fetch("ftp://127.0.0.1/x", dir, "x", NULL, err, sizeof err), -EPROTONOSUPPORT);
	ck_assert_msg(strstr(err, "ftp://127.0.0.1/x"), "%s", err);
	ck_assert_int_eq(bs_fetch("gopher://127.0.0.1/x", dir, "x", NULL, err, sizeof err), -EPROTONOSUPPORT);
	ck_assert_int_eq(bs_fetch("/etc/passwd", dir, "x", NULL, err, sizeof err), -EINVAL);
	ck_assert_msg(strstr(err, "malformed URL"), "%s", err);
	ck_assert_int_eq(bs_fetch(url, dir, "../x", NULL, err, sizeof err), -EINVAL);
	want.chksum_type = "crc99";
	ck_assert_int_eq(bs_fetch(url, dir, "x", &want, err, sizeof err), -EINVAL);
	ck_assert_uint_eq(repofix_count_files(dir, ""), 2);
}
END_TEST

START_TEST(test_file_url_path)
{
	char *p;

	ck_assert_int_eq(bs_fetch_file_url_path("file:///srv/a%20b/", &p), 0);
	ck_assert_str_eq(p, "/srv/a b/");
	free(p);
	ck_assert_int_eq(bs_fetch_file_url_path("file://localhost/srv", &p), 0);
	ck_assert_str_eq(p, "/srv");
	free(p);
	ck_assert_int_eq(bs_fetch_file_url_path("file://otherhost/srv", &p), -EINVAL);
	ck_assert_int_eq(bs_fetch_file_url_path("http://localhost/srv", &p), -EINVAL);
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_dep_parse)
{
	Pool *p;
	Id id;

	ck_assert_int_eq(bs_pool_new("x86_64", &p), 0);
	ck_assert_int_eq(bs_dep_parse(p, "foo", &id), 0);
	ck_assert_str_eq(pool_dep2str(p, id), "foo");
	ck_assert_int_eq(bs_dep_parse(p, "foo >= 1:2.0-3", &id), 0);
	ck_assert_str_eq(pool_dep2str(p, id), "foo >= 1:2.0-3");
	ck_assert_int_eq(bs_dep_parse(p, "/usr/include/db.h", &id), 0);
	ck_assert_str_eq(pool_dep2str(p, id), "/usr/include/db.h");
	ck_assert_int_eq(bs_dep_parse(p, "(a or (b and c >= 2))", &id), 0);
	ck_assert_str_eq(pool_dep2str(p, id), "(a or (b and c >= 2))");
	ck_assert_int_eq(bs_dep_parse(p, "(a if b else c)", &id), 0);
	ck_assert_int_eq(bs_dep_parse(p, "", &id), -EINVAL);
	ck_assert_int_eq(bs_dep_parse(p, "   ", &id), -EINVAL);
	ck_assert_int_eq(bs_dep_parse(p, "foo >=", &id), -EINVAL);
	ck_assert_int_eq(bs_dep_parse(p, "a b", &id), -EINVAL);
	ck_assert_int_eq(bs_dep_parse(p, "(a or b", &id), -EINVAL);
	ck_assert_int_eq(bs_dep_parse(p, "a\nb", &id), -EINVAL);
	ck_assert_int_eq(bs_dep_parse(p, NULL, &id), -EINVAL);
	bs_pool_free(p);
}
END_TEST

/* bs_heap_prefault: what is allocated after it comes without a page fault
 * per page: 4096 blocks of 4000 bytes, as a solver pool grows, would take
 * about 4000 faults on a heap that grows by brk. */
START_TEST(test_heap_prefault)
{
	static char *blocks[4096];
	struct rusage a, b;
	int rc;

#if defined(__SANITIZE_ADDRESS__)
	printf("\n*** SKIP test_heap_prefault: the sanitizer's allocator is not glibc's heap ***\n\n");
	return;
#endif
	if (RUNNING_ON_VALGRIND) {
		printf("\n*** SKIP test_heap_prefault: valgrind's allocator is not glibc's heap ***\n\n");
		return;
	}
	rc = bs_heap_prefault(32 << 20);
	if (rc == -EINVAL) {
		printf("\n*** SKIP test_heap_prefault: the kernel has no MADV_POPULATE_WRITE (Linux < 5.14) ***\n\n");
		bs_heap_release();
		return;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &a), 0);
	for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++) {
		blocks[i] = malloc(4000);
		ck_assert_ptr_nonnull(blocks[i]);
		memset(blocks[i], 1, 4000);
	}
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &b), 0);
	/* ~4000 without the prefault; a few hundred may come from free chunks the
	 * heap had already (a test process inherits its runner's heap) */
	ck_assert_msg(b.ru_minflt - a.ru_minflt < 1024, "%ld page faults for 16 MB after the prefault",
		      b.ru_minflt - a.ru_minflt);
	for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++)
		free(blocks[i]);
	bs_heap_release();
}
END_TEST

Suite *repo_suite(void)
{
	Suite *s = suite_create("repo");
	TCase *tc = tcase_create("repo");

	tcase_add_unchecked_fixture(tc, fixtures_up, fixtures_down);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_names_versions);
	tcase_add_test(tc, test_provides_and_order);
	tcase_add_test(tc, test_file_requires);
	tcase_add_test(tc, test_rich);
	tcase_add_test(tc, test_conflicts);
	tcase_add_test(tc, test_unresolvable);
	tcase_add_test(tc, test_cache_reused);
	tcase_add_test(tc, test_cache_invalidated);
	tcase_add_test(tc, test_bad_checksum);
	tcase_add_test(tc, test_unreachable);
	tcase_add_test(tc, test_dir_repo);
	tcase_add_test(tc, test_file_url_xz_and_priority);
	tcase_add_test(tc, test_fetch);
	tcase_add_test(tc, test_file_url_path);
	tcase_add_test(tc, test_dep_parse);
	tcase_add_test(tc, test_heap_prefault);
	repo_lua_tests(tc);
	pkgcache_tests(tc);
	suite_add_tcase(s, tc);
	return s;
}
