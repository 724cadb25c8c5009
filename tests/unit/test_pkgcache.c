/* The package download cache (pkgcache.c) and bs.rpm.download: packages of a
 * solution fetched once over a real HTTP server, reused with the server
 * stopped, refused when corrupt or cut short (nothing left in the cache),
 * and file:// packages verified in place. Added to the repo suite's test case. */
#include "pkgcache.h"
#include "log.h"
#include "lstate.h"
#include "repo.h"
#include "repofix.h"
#include "solve.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NEED_FIXTURES(F)                                                        \
	do {                                                                    \
		if ((F)->skip)                                                  \
			return;                                                 \
		ck_assert_msg(!(F)->error, "building the fixtures failed: %s", (F)->error); \
	} while (0)

/* Loads repository url (rpm-md or dir) and solves reqs into *sol. */
static Pool *load_and_solve(const char *url, enum bs_repo_kind kind, const char *req, struct bs_solution *sol)
{
	struct bs_repo_spec spec = { .name = "r", .url = url, .kind = kind };
	const char *reqs[] = { req };
	char cache[PATH_MAX], err[2048];
	Pool *pool;

	repofix_tmpdir(cache, sizeof cache, "pcrepo");
	ck_assert_int_eq(bs_pool_new("x86_64", &pool), 0);
	ck_assert_msg(bs_repo_load(pool, &spec, cache, 0, NULL, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(bs_solve(pool, reqs, 1, NULL, sol, err, sizeof err) == 0, "%s", err);
	return pool;
}

static struct bs_pkgcache_req req_of(const struct bs_pkg *p)
{
	struct bs_pkgcache_req r = { .nevra = p->nevra, .url = p->url, .chksum_type = p->chksum_type,
				     .chksum = p->chksum, .size = (long long)p->size };
	return r;
}

static long long size_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	return (long long)st.st_size;
}

START_TEST(test_pkgcache_http)
{
	const struct repofix *F = repofix_get();
	struct bs_solution sol;
	struct bs_pkgcache_res res;
	char cache[PATH_MAX], other[PATH_MAX], log[PATH_MAX + 16], url[128], want[PATH_MAX * 2], err[2048];
	Pool *pool;
	pid_t server;
	int port;

	NEED_FIXTURES(F);
	/* a server of its own, to be stopped */
	snprintf(log, sizeof log, "%s/pkgcache-http.log", F->root);
	ck_assert_int_eq(repofix_serve(F->www, log, &port, &server), 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/main/", port);
	pool = load_and_solve(url, BS_REPO_RPMMD, "bar", &sol);
	ck_assert_uint_eq(sol.npkgs, 3);
	repofix_tmpdir(cache, sizeof cache, "pkgcache");
	for (size_t i = 0; i < sol.npkgs; i++) {
		struct bs_pkgcache_req r = req_of(&sol.pkgs[i]);

		ck_assert_msg(bs_pkgcache_get(cache, &r, &res, err, sizeof err) == 0, "%s", err);
		snprintf(want, sizeof want, "%s/packages/sha256/%s.rpm", cache, r.chksum);
		ck_assert_str_eq(res.path, want);
		ck_assert_int_eq(res.from_cache, 0);
		ck_assert_int_eq(res.size, r.size);
		ck_assert_int_eq(size_of(res.path), r.size);
		free(res.path);
	}
	ck_assert_int_eq(repofix_count_lines(log, "GET /main/bar-3.0-1.noarch.rpm"), 1);
	ck_assert_int_eq(repofix_count_files(cache, "."), 0); /* no temporary file left */

	/* the server stopped: everything comes from the cache */
	repofix_stop(server);
	for (size_t i = 0; i < sol.npkgs; i++) {
		struct bs_pkgcache_req r = req_of(&sol.pkgs[i]);

		ck_assert_msg(bs_pkgcache_get(cache, &r, &res, err, sizeof err) == 0, "%s", err);
		ck_assert_int_eq(res.from_cache, 1);
		ck_assert_int_eq(res.size, r.size);
		free(res.path);
	}
	/* ... and a fresh cache cannot be filled: the server is really gone */
	repofix_tmpdir(other, sizeof other, "pkgcache");
	{
		struct bs_pkgcache_req r = req_of(&sol.pkgs[0]);

		ck_assert_int_eq(bs_pkgcache_get(other, &r, &res, err, sizeof err), -ECONNREFUSED);
		ck_assert_msg(strstr(err, r.url), "%s", err);
		ck_assert_ptr_null(res.path);
	}
	/* a cache entry of the wrong size is replaced, not used */
	{
		struct bs_pkgcache_req r = req_of(&sol.pkgs[0]);

		snprintf(want, sizeof want, "%s/packages/sha256/%s.rpm", cache, r.chksum);
		ck_assert_int_eq(truncate(want, 10), 0);
		ck_assert_int_eq(bs_pkgcache_get(cache, &r, &res, err, sizeof err), -ECONNREFUSED);
		ck_assert_int_eq(access(want, F_OK), -1);
	}
	/* malformed checksums never name a file */
	{
		struct bs_pkgcache_req r = req_of(&sol.pkgs[0]);

		r.chksum = "../../../etc/passwd";
		ck_assert_int_eq(bs_pkgcache_get(cache, &r, &res, err, sizeof err), -EINVAL);
		r.chksum = NULL;
		ck_assert_int_eq(bs_pkgcache_get(cache, &r, &res, err, sizeof err), -EINVAL);
		ck_assert_msg(strstr(err, "no checksum"), "%s", err);
	}
	bs_solution_free(&sol);
	bs_pool_free(pool);
}
END_TEST

/* www/pkgbad: main's metadata with bar's package changed (same size). */
static void make_corrupt_repo(const struct repofix *F)
{
	char cmd[PATH_MAX * 4];

	snprintf(cmd, sizeof cmd,
		 "set -e; cd '%s'; [ -d pkgbad ] && exit 0; cp -r main pkgbad.tmp;"
		 " printf '\\377\\377\\377\\377' | dd of=pkgbad.tmp/bar-3.0-1.noarch.rpm bs=1 seek=2000 conv=notrunc 2>/dev/null;"
		 " mv pkgbad.tmp pkgbad",
		 F->www);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_pkgcache_corrupt)
{
	const struct repofix *F = repofix_get();
	struct bs_solution sol;
	struct bs_pkgcache_res res;
	char cache[PATH_MAX], url[PATH_MAX + 32], err[2048];
	Pool *pool;
	size_t bar = 0;

	NEED_FIXTURES(F);
	make_corrupt_repo(F);
	snprintf(url, sizeof url, "%s/pkgbad/", F->http);
	pool = load_and_solve(url, BS_REPO_RPMMD, "bar", &sol);
	repofix_tmpdir(cache, sizeof cache, "pkgcache");
	for (size_t i = 0; i < sol.npkgs; i++)
		if (strcmp(sol.pkgs[i].name, "bar") == 0)
			bar = i;
	{
		struct bs_pkgcache_req r = req_of(&sol.pkgs[bar]);

		ck_assert_int_eq(bs_pkgcache_get(cache, &r, &res, err, sizeof err), -EBADMSG);
		ck_assert_msg(strstr(err, r.url) && strstr(err, "checksum mismatch"), "%s", err);
		ck_assert_ptr_null(res.path);
	}
	/* nothing in the cache: no entry, no temporary file */
	ck_assert_int_eq(repofix_count_files(cache, "."), 0);
	ck_assert_int_eq(repofix_count_files(cache, sol.pkgs[bar].chksum), 0);
	bs_solution_free(&sol);
	bs_pool_free(pool);

	/* the same through a file:// repository: refused in place */
	snprintf(url, sizeof url, "file://%s/pkgbad/", F->www);
	pool = load_and_solve(url, BS_REPO_RPMMD, "bar", &sol);
	for (size_t i = 0; i < sol.npkgs; i++) {
		struct bs_pkgcache_req r = req_of(&sol.pkgs[i]);
		int rc = bs_pkgcache_get(cache, &r, &res, err, sizeof err);

		if (strcmp(sol.pkgs[i].name, "bar") == 0) {
			ck_assert_int_eq(rc, -EBADMSG);
			ck_assert_msg(strstr(err, r.url) && strstr(err, "checksum mismatch"), "%s", err);
		} else {
			ck_assert_msg(rc == 0, "%s", err);
			ck_assert_int_eq(res.local, 1);
			ck_assert_int_eq(res.from_cache, 0);
			ck_assert_ptr_nonnull(strstr(res.path, "/www/pkgbad/"));
			free(res.path);
		}
	}
	ck_assert_int_eq(repofix_count_files(cache, ""), 2); /* packages/sha256/, empty */
	bs_solution_free(&sol);
	bs_pool_free(pool);
}
END_TEST

/* A server that promises the whole file and sends half of it; it ends itself
 * after 20 s without a connection (PR_SET_PDEATHSIG misfires under valgrind). */
static const char cutting_server[] =
	"import socket, sys\n"
	"data = open(sys.argv[1], 'rb').read()\n"
	"s = socket.socket()\n"
	"s.bind(('127.0.0.1', 0))\n"
	"s.listen(8)\n"
	"s.settimeout(20)\n"
	"print(s.getsockname()[1], flush=True)\n"
	"while True:\n"
	"    c, _ = s.accept()\n"
	"    c.settimeout(10)\n"
	"    req = b''\n"
	"    while b'\\r\\n\\r\\n' not in req:\n"
	"        req += c.recv(65536)\n"
	"    c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n' % len(data)"
	" + data[:len(data) // 2])\n"
	"    c.shutdown(socket.SHUT_WR)\n"
	"    while c.recv(65536):\n"
	"        pass\n"
	"    c.close()\n";

START_TEST(test_pkgcache_truncated)
{
	const struct repofix *F = repofix_get();
	struct bs_solution sol;
	struct bs_pkgcache_res res;
	char cache[PATH_MAX], url[PATH_MAX + 32], file[PATH_MAX * 2], err[2048], portbuf[16] = "";
	struct bs_pkgcache_req r;
	Pool *pool;
	pid_t server;
	int p[2], st, rc;
	ssize_t n;

	NEED_FIXTURES(F);
	snprintf(url, sizeof url, "file://%s/main/", F->www);
	pool = load_and_solve(url, BS_REPO_RPMMD, "foo", &sol);
	ck_assert_uint_eq(sol.npkgs, 1);
	snprintf(file, sizeof file, "%s/main/%s", F->www, sol.pkgs[0].location);
	ck_assert_int_eq(pipe(p), 0);
	server = fork();
	ck_assert_int_ge(server, 0);
	if (server == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execlp("python3", "python3", "-c", cutting_server, file, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	/* the port, up to its newline (python may write it in pieces) */
	for (size_t got = 0; !strchr(portbuf, '\n') && got < sizeof portbuf - 1; got += (size_t)n) {
		n = read(p[0], portbuf + got, sizeof portbuf - 1 - got);
		ck_assert_int_gt(n, 0);
		portbuf[got + (size_t)n] = '\0';
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%d/%s", atoi(portbuf), sol.pkgs[0].location);
	r = req_of(&sol.pkgs[0]);
	r.url = url;
	repofix_tmpdir(cache, sizeof cache, "pkgcache");
	rc = bs_pkgcache_get(cache, &r, &res, err, sizeof err);
	ck_assert_msg(rc == -EBADMSG, "rc %d: %s (port %s)", rc, err, portbuf);
	ck_assert_msg(strstr(err, url) && strstr(err, "truncated"), "%s", err);
	ck_assert_int_eq(repofix_count_files(cache, "."), 0);
	ck_assert_int_eq(repofix_count_files(cache, r.chksum), 0);
	kill(server, SIGTERM);
	waitpid(server, &st, 0);
	close(p[0]);
	bs_solution_free(&sol);
	bs_pool_free(pool);
}
END_TEST

START_TEST(test_lua_download)
{
	const struct repofix *F = repofix_get();
	lua_State *L;
	char cache[PATH_MAX], rcache[PATH_MAX], logged[8192];
	FILE *logf;

	NEED_FIXTURES(F);
	make_corrupt_repo(F);
	repofix_tmpdir(cache, sizeof cache, "luapkg");
	repofix_tmpdir(rcache, sizeof rcache, "luarepo");
	L = bs_lua_new(BS_LUA_TRUSTED, BSRUN_SRCDIR);
	ck_assert_ptr_nonnull(L);
	lua_pushstring(L, F->http);
	lua_setglobal(L, "HTTP");
	lua_pushstring(L, F->dir);
	lua_setglobal(L, "DIR");
	lua_pushstring(L, cache);
	lua_setglobal(L, "CACHE");
	lua_pushstring(L, rcache);
	lua_setglobal(L, "RCACHE");
	ck_assert_ptr_nonnull(logf = tmpfile());
	bs_log_set_stream(logf);
	run_lua(L,
		 "local bs = require 'bs'\n"
		 "local errors = require 'bsrun.errors'\n"
		 "local set <close> = bs.rpm.repos({\n"
		 "  { name = 'main', url = HTTP .. '/main/', kind = 'rpm-md' },\n"
		 "  { name = 'bad', url = HTTP .. '/pkgbad/', kind = 'rpm-md', priority = 99 },\n"
		 "  { name = 'plain', url = 'file://' .. DIR, kind = 'dir', priority = 10 },\n"
		 "}, { cachedir = RCACHE })\n"
		 "local pkgs = bs.rpm.solve(set, { 'bar', 'dironly' })\n"
		 "local got = bs.rpm.download(set, pkgs, { cachedir = CACHE })\n"
		 "assert(#got == #pkgs and #got == 4)\n"
		 "for i, g in ipairs(got) do\n"
		 "  assert(g.nevra == pkgs[i].nevra and g.size == pkgs[i].size, g.nevra)\n"
		 "  local f = assert(io.open(g.path, 'rb')); assert(#f:read('a') == g.size); f:close()\n"
		 "  if pkgs[i].repo == 'plain' then assert(g.path:find(DIR, 1, true) == 1 and not g.from_cache)\n"
		 "  else assert(g.path:find(CACHE .. '/packages/sha256/', 1, true) == 1 and g.from_cache == false) end\n"
		 "end\n"
		 "local again = bs.rpm.download(set, pkgs, { cachedir = CACHE })\n"
		 "for i, g in ipairs(again) do assert(g.from_cache == (pkgs[i].repo == 'main'), g.nevra) end\n"
		 "local badbar\n"
		 "for _, p in ipairs(pkgs) do if p.name == 'bar' then badbar = p end end\n"
		 "badbar = { nevra = badbar.nevra, repo = 'bad', url = HTTP .. '/pkgbad/' .. badbar.location,\n"
		 "  checksum_type = badbar.checksum_type, checksum = badbar.checksum, size = badbar.size }\n"
		 "local ok, e = pcall(bs.rpm.download, set, { badbar }, { cachedir = CACHE .. '/x' })\n"
		 "assert(not ok and errors.is(e) and e.exit == errors.INFRA, tostring(e))\n"
		 "assert(e.message:find(badbar.url, 1, true) and e.url == badbar.url and e.errno > 0, e.message)\n"
		 "ok, e = pcall(bs.rpm.download, set, { { nevra = 'x', url = 'http://h/x', repo = 'nosuch' } },\n"
		 "  { cachedir = CACHE })\n"
		 "assert(not ok and tostring(e):find('no repository \"nosuch\"'), tostring(e))\n"
		 "ok, e = pcall(bs.rpm.download, set, { { nevra = 'x', url = 'file:///etc/passwd', repo = 'main' } },\n"
		 "  { cachedir = CACHE })\n"
		 "assert(not ok and tostring(e):find('not a URL of repository'), tostring(e))\n"
		 "ok, e = pcall(bs.rpm.download, set, pkgs, { cachedir = 'rel' })\n"
		 "assert(not ok and tostring(e):find('absolute'), tostring(e))\n"
		 "ok, e = pcall(bs.rpm.download, set, pkgs, { cachedir = '/x', nope = 1 })\n"
		 "assert(not ok and tostring(e):find('nope'), tostring(e))\n"
		 "return true");
	ck_assert(lua_toboolean(L, -1));
	lua_close(L);
	/* progress: one line per download, none for what the cache or a file:// repository had */
	bs_log_set_stream(NULL);
	rewind(logf);
	logged[fread(logged, 1, sizeof logged - 1, logf)] = '\0';
	fclose(logf);
	ck_assert_msg(strstr(logged, "downloaded bar-3.0-1.noarch (") && strstr(logged, "/main/bar-3.0-1.noarch.rpm"),
		      "%s", logged);
	ck_assert_msg(!strstr(logged, "dironly") && !strstr(strstr(logged, "bar-3.0-1") + 1, "downloaded bar"), "%s",
		      logged);
	{
		char bad[PATH_MAX + 8];

		snprintf(bad, sizeof bad, "%s/x", cache);
		/* packages/ and packages/sha256/, nothing in them */
		ck_assert_int_eq(repofix_count_files(bad, ""), 2);
	}
}
END_TEST

void pkgcache_tests(TCase *tc)
{
	tcase_add_test(tc, test_pkgcache_http);
	tcase_add_test(tc, test_pkgcache_corrupt);
	tcase_add_test(tc, test_pkgcache_truncated);
	tcase_add_test(tc, test_lua_download);
}
