/* bs.rpm from Lua: bs.rpm.repos and bs.rpm.solve against the repo fixtures
 * (added to the repo suite's test case, which builds the fixtures once). */
#include "exitcodes.h"
#include "log.h"
#include "lstate.h"
#include "repofix.h"
#include "tests.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A state of the given kind with the fixtures' locations as globals:
 * HTTP, DIR (a file:// URL), CACHE (a fresh directory), EBADMSG, ECONNREFUSED. */
static lua_State *new_state(enum bs_lua_kind kind, const struct repofix *F)
{
	lua_State *L = bs_lua_new(kind, BSRUN_SRCDIR);
	char cache[PATH_MAX], url[PATH_MAX + 16];

	ck_assert_ptr_nonnull(L);
	repofix_tmpdir(cache, sizeof cache, "luacache");
	lua_pushstring(L, F->http);
	lua_setglobal(L, "HTTP");
	snprintf(url, sizeof url, "file://%s", F->dir);
	lua_pushstring(L, url);
	lua_setglobal(L, "DIR");
	lua_pushstring(L, cache);
	lua_setglobal(L, "CACHE");
	lua_pushinteger(L, EBADMSG);
	lua_setglobal(L, "EBADMSG");
	lua_pushinteger(L, ECONNREFUSED);
	lua_setglobal(L, "ECONNREFUSED");
	return L;
}

#define NEED_FIXTURES(F)                                                        \
	do {                                                                    \
		if ((F)->skip)                                                  \
			return;                                                 \
		ck_assert_msg(!(F)->error, "building the fixtures failed: %s", (F)->error); \
	} while (0)

static void expect_true(lua_State *L, const char *code)
{
	run_lua(L, code);
	ck_assert_msg(lua_toboolean(L, -1), "expected true from:\n%s", code);
	lua_pop(L, 1);
}

static void expect_error(lua_State *L, const char *code, const char *want)
{
	const char *e = lua_error_of(L, code);

	ck_assert_msg(e != NULL, "no error from: %s", code);
	ck_assert_msg(strstr(e, want), "error '%s' lacks '%s'", e, want);
}

START_TEST(test_lua_repos_solve)
{
	const struct repofix *F = repofix_get();
	lua_State *L;

	NEED_FIXTURES(F);
	L = new_state(BS_LUA_TRUSTED, F);
	expect_true(L,
		"local bs = require 'bs'\n"
		"SET = bs.rpm.repos({\n"
		"  { name = 'main', url = HTTP .. '/main/', kind = 'rpm-md', exclude = {} },\n"
		"  { name = 'off', url = 'file:///nonexistent', enabled = false },\n"
		"  { name = 'plain', url = DIR, kind = 'dir', priority = 10 },\n"
		"}, { cachedir = CACHE, arch = 'x86_64' })\n"
		"local l = SET:list()\n"
		"assert(#l == 2, #l)\n"
		"assert(l[1].name == 'main' and l[1].kind == 'rpm-md' and l[1].packages == 9 and l[1].priority == 50)\n"
		"assert(l[1].cached == false and #l[1].cookie == 64 and l[1].url == HTTP .. '/main/')\n"
		"assert(l[2].name == 'plain' and l[2].kind == 'dir' and l[2].packages == 2 and l[2].priority == 10)\n"
		"assert(getmetatable(SET) == false)\n"
		"local p = bs.rpm.solve(SET, { 'bar' })\n"
		"assert(#p == 3, #p)\n"
		"assert(p[3].nevra == 'bar-3.0-1.noarch' and p[3].name == 'bar' and p[3].evr == '3.0-1')\n"
		"assert(p[3].arch == 'noarch' and p[3].repo == 'main' and p[3].location == 'bar-3.0-1.noarch.rpm')\n"
		"assert(p[3].url == HTTP .. '/main/bar-3.0-1.noarch.rpm' and p[3].checksum_type == 'sha256')\n"
		"assert(#p[3].checksum == 64 and math.type(p[3].size) == 'integer' and p[3].size > 0)\n"
		"p = bs.rpm.solve(SET, { 'foo' })\n"
		"assert(#p == 1 and p[1].nevra == 'foo-1.0-1.noarch' and p[1].repo == 'plain', p[1].nevra)\n"
		"assert(p[1].url == DIR .. '/foo-1.0-1.noarch.rpm')\n"
		"p = bs.rpm.solve(SET, { '/usr/include/zlib.h', '(alpha and beta)' }, { conflicts = { 'foo' } })\n"
		"assert(#p == 3)\n"
		"assert(#bs.rpm.solve(SET, {}) == 0)\n"
		"return true");

	/* unresolvable: a bsrun error with exit 3, the problems as data */
	expect_true(L,
		"local bs = require 'bs'\n"
		"local errors = require 'bsrun.errors'\n"
		"local ok, e = pcall(bs.rpm.solve, SET, { 'nosuch', 'foo', 'broken' })\n"
		"assert(not ok and errors.is(e) and e.exit == errors.DEPS, tostring(e))\n"
		"assert(e.message:find('nosuch', 1, true) and e.message:find('broken', 1, true))\n"
		"assert(#e.problems == 2)\n"
		"local seen = {}\n"
		"for _, pb in ipairs(e.problems) do\n"
		"  assert(#pb.requires == 1 and type(pb.text) == 'string' and #pb.details >= 1)\n"
		"  seen[pb.requires[1]] = pb.text\n"
		"end\n"
		"assert(seen.nosuch:find('nothing provides requested nosuch', 1, true))\n"
		"assert(seen.broken:find('doesnotexist', 1, true))\n"
		"ok, e = pcall(bs.rpm.solve, SET, { 'bar' }, { conflicts = { 'foo' } })\n"
		"assert(not ok and e.exit == 3 and e.problems[1].requires[1] == 'bar', e.message)\n"
		"ok, e = pcall(bs.rpm.solve, SET, { 'bar' }, { exclude = { 'zlib*' } })\n"
		"assert(not ok and e.exit == 3, e.message)\n"
		"return true");

	/* closing */
	expect_true(L,
		"local bs = require 'bs'\n"
		"SET:close(); SET:close()\n"
		"local ok, e = pcall(bs.rpm.solve, SET, { 'foo' })\n"
		"assert(not ok and e:find('closed'))\n"
		"ok, e = pcall(SET.list, SET)\n"
		"assert(not ok and e:find('closed'))\n"
		"do\n"
		"  local s <close> = bs.rpm.repos({ { name = 'plain', url = DIR } }, { cachedir = CACHE })\n"
		"  assert(s:list()[1].cached == true and s:list()[1].kind == 'dir')\n"
		"  S2 = s\n"
		"end\n"
		"ok = pcall(S2.list, S2)\n"
		"return not ok");
	lua_close(L);
}
END_TEST

START_TEST(test_lua_failures)
{
	const struct repofix *F = repofix_get();
	lua_State *L;

	NEED_FIXTURES(F);
	L = new_state(BS_LUA_TRUSTED, F);
	/* system failures: nil, message naming the URL, errno */
	expect_true(L,
		"local bs = require 'bs'\n"
		"local s, msg, no = bs.rpm.repos({ { name = 'c', url = HTTP .. '/corrupt/' } }, { cachedir = CACHE })\n"
		"assert(s == nil and no == EBADMSG and msg:find(HTTP .. '/corrupt/', 1, true), msg)\n"
		"assert(msg:find('checksum mismatch', 1, true), msg)\n"
		"s, msg, no = bs.rpm.repos({ { name = 'ok', url = DIR }, { name = 'x', url = 'http://127.0.0.1:1/' } },\n"
		"                          { cachedir = CACHE })\n"
		"assert(s == nil and no == ECONNREFUSED and msg:find('http://127.0.0.1:1/', 1, true), msg)\n"
		"s, msg, no = bs.rpm.repos({ { name = 'p', url = DIR } }, { cachedir = CACHE .. '/new', offline = true })\n"
		"assert(s, msg)\n"
		"s, msg, no = bs.rpm.repos({ { name = 'm', url = HTTP .. '/main' } }, { cachedir = CACHE .. '/new', offline = true })\n"
		"assert(s == nil and msg:find('offline', 1, true), msg)\n"
		"return true");

	/* misuse raises */
	expect_error(L, "require('bs').rpm.repos({}, {})", "options.cachedir: expected an absolute path");
	expect_error(L, "require('bs').rpm.repos({}, { cachedir = 'rel' })", "absolute path");
	expect_error(L, "require('bs').rpm.repos({}, { cachedir = '/tmp', color = 1 })", "unknown key \"color\"");
	expect_error(L, "require('bs').rpm.repos({ 'x' }, { cachedir = '/tmp' })", "repos[1]: expected a table");
	expect_error(L, "require('bs').rpm.repos({ { name = 'x' } }, { cachedir = CACHE })", "name and url are required");
	expect_error(L, "require('bs').rpm.repos({ { name = 'x', url = DIR, prio = 1 } }, { cachedir = CACHE })",
		     "repos[1]: unknown key \"prio\"");
	expect_error(L, "require('bs').rpm.repos({ { name = 'x', url = DIR, kind = 'yum' } }, { cachedir = CACHE })",
		     "repos[1].kind: expected \"rpm-md\", \"dir\" or \"auto\"");
	expect_error(L, "require('bs').rpm.repos({ { name = 'x', url = DIR, priority = 0 } }, { cachedir = CACHE })",
		     "priority: expected an integer 1-99");
	expect_error(L, "require('bs').rpm.repos({ { name = 'x', url = DIR, exclude = { 1 } } }, { cachedir = CACHE })",
		     "repos[1].exclude[1]: expected a string");
	expect_error(L, "require('bs').rpm.repos({ { name = 'x', url = 'ftp://h/' } }, { cachedir = CACHE })",
		     "expected a file://, http:// or https:// URL");
	expect_error(L, "require('bs').rpm.repos({ { name = 'x', url = DIR }, { name = 'x', url = DIR } },"
			" { cachedir = CACHE })", "loaded twice");
	expect_error(L, "require('bs').rpm.solve({}, {})", "bs.rpm.repos expected");
	expect_error(L, "local bs = require 'bs'\n"
			"local s = bs.rpm.repos({ { name = 'p', url = DIR } }, { cachedir = CACHE })\n"
			"bs.rpm.solve(s, { 'foo >=' })", "\"foo >=\"");
	expect_error(L, "local bs = require 'bs'\n"
			"local s = bs.rpm.repos({ { name = 'p', url = DIR } }, { cachedir = CACHE })\n"
			"bs.rpm.solve(s, { 'foo', 2 })", "requires[2]: expected a string");
	expect_error(L, "local bs = require 'bs'\n"
			"local s = bs.rpm.repos({ { name = 'p', url = DIR } }, { cachedir = CACHE })\n"
			"bs.rpm.solve(s, { 'foo' }, { conflict = {} })", "unknown key \"conflict\"");
	lua_close(L);
}
END_TEST

START_TEST(test_lua_exit_code)
{
	const struct repofix *F = repofix_get();
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	lua_State *L;
	int st;

	NEED_FIXTURES(F);
	/* in a recipe's sandbox, an unresolvable requirement makes bsrun exit 3 */
	L = new_state(BS_LUA_SANDBOX, F);
	f = open_memstream(&buf, &len);
	bs_log_set_stream(f);
	ck_assert_int_eq(luaL_loadstring(L, "local bs = require 'bs'\n"
					    "local s = bs.rpm.repos({ { name = 'p', url = DIR } }, { cachedir = CACHE })\n"
					    "bs.rpm.solve(s, { 'dironly', 'gcc' })"), LUA_OK);
	st = bs_lua_pcall(L, 0, 0);
	st = bs_lua_report(L, st);
	bs_log_set_stream(NULL);
	fclose(f);
	ck_assert_msg(st == BS_EXIT_DEPS, "exit %d: %s", st, buf);
	ck_assert_msg(strstr(buf, "nothing provides requested gcc"), "%s", buf);
	free(buf);
	lua_close(L);
}
END_TEST

void repo_lua_tests(TCase *tc)
{
	tcase_add_test(tc, test_lua_repos_solve);
	tcase_add_test(tc, test_lua_failures);
	tcase_add_test(tc, test_lua_exit_code);
}
