/* The recipe driver: recipe shape checks, macro order, step running, needs. */
#include "lstate.h"
#include "rmtree.h"
#include "tests.h"

#include <fcntl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static lua_State *S;

static const char prelude[] =
	"local d = require 'bsrun.driver'\n"
	"local e = require 'bsrun.errors'\n"
	"local function job(extra)\n"
	"  local j = { recipe_file = 'r.lua', recipe_name = 'r', defines = {},\n"
	"    options = { with = {}, without = {}, dry_run = false },\n"
	"    policy = { name = 'p', file = 'p.lua', arch = 'x86_64', dist = '', macros = {}, base = {}, repos = {},\n"
	"      isolation = { memory = 2^32, pids = 10, disk = 2^33, timeout = 60, network = false, hostname = 'h' } },\n"
	"    packages = { { path = 'a.src.rpm', file = 'a.src.rpm', stem = 'a', resultdir = RESULTDIR } } }\n"
	"  for k, v in pairs(extra or {}) do j[k] = v end\n"
	"  return j\n"
	"end\n"
	"local function step(name, run, more)\n"
	"  local s = { name = name, does = 'does ' .. name, run = run or function() end }\n"
	"  for k, v in pairs(more or {}) do s[k] = v end\n"
	"  return s\n"
	"end\n";

static char tmpdir[64];

static void setup(void)
{
	char out[128];

	strcpy(tmpdir, "/tmp/bsrun-driver.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(out, sizeof out, "%s/out", tmpdir);
	S = bs_lua_new(BS_LUA_SANDBOX, BSRUN_SRCDIR);
	ck_assert_ptr_nonnull(S);
	lua_pushstring(S, out);
	lua_setglobal(S, "RESULTDIR");
}

static void teardown(void)
{
	lua_close(S);
	bs_remove_tree(AT_FDCWD, tmpdir);
}

/* The content of a file of the result directory ("" when missing). */
static const char *result_file(const char *name)
{
	static char buf[8192];
	char path[256];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof path, "%s/out/%s", tmpdir, name);
	buf[0] = 0;
	if ((f = fopen(path, "r"))) {
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

static const char *err_of(const char *body)
{
	char code[4096];

	snprintf(code, sizeof code, "%s%s", prelude, body);
	return lua_error_of(S, code);
}

static int true_of(const char *body)
{
	char code[4096];
	int r;

	snprintf(code, sizeof code, "%s%s", prelude, body);
	run_lua(S, code);
	r = lua_toboolean(S, -1);
	lua_pop(S, 1);
	return r;
}

#define RESULT_PATH(name) (snprintf(pathbuf, sizeof pathbuf, "%s/out/%s", tmpdir, name), pathbuf)
static char pathbuf[256];

static const struct {
	const char *recipe, *err;
} shapes[] = {
	{ "nil", "r.lua: a recipe must return a table, got nil" },
	{ "{ steps = { step('a') } }", "r.lua: description: expected a string, got nil" },
	{ "{ description = 'x' }", "r.lua: steps: expected a table, got nil" },
	{ "{ description = 'x', steps = {} }", "r.lua: steps: a recipe needs at least one step" },
	{ "{ description = 'x', steps = { step('a') }, colour = 1 }", "r.lua: colour: unknown key" },
	{ "{ description = 'x', steps = { step('a'), { name = 'b', does = 'y' } } }",
	  "r.lua: steps[2].run: expected a function, got nil" },
	{ "{ description = 'x', steps = { step('a', nil, { when = 1 }) } }", "r.lua: steps[1].when: unknown key" },
	{ "{ description = 'x', steps = { step('a'), step('a') } }", "r.lua: steps[2].name: duplicate step name \"a\"" },
	{ "{ description = 'x', steps = { 'a' } }", "r.lua: steps[1]: expected a table, got string" },
	{ "{ description = 'x', steps = { step('a') }, needs = { 'warp' } }",
	  "r.lua: needs[1]: bs.has: unknown primitive family 'warp'" },
	{ "{ description = 'x', steps = { step('a', nil, { always = 'yes' }) } }",
	  "r.lua: steps[1].always: expected a boolean, got string" },
};

START_TEST(test_shape)
{
	char body[1024];
	const char *e;

	snprintf(body, sizeof body, "d.check_recipe(%s, 'r.lua')", shapes[_i].recipe);
	e = err_of(body);
	ck_assert_msg(e != NULL, "no error for %s", shapes[_i].recipe);
	ck_assert_str_eq(e, shapes[_i].err);
}
END_TEST

START_TEST(test_macro_order)
{
	ck_assert(true_of("local j = job { defines = { { name = 'dist', value = '.x' } } }\n"
			  "j.policy.macros = { zz = '1', dist = '.fc1', aa = '2' }\n"
			  "j.options.with = { 'ssl' }; j.options.without = { 'gui' }\n"
			  "local m = d.macros(j)\n"
			  "local s = {}; for i, x in ipairs(m) do s[i] = x.name .. '=' .. x.value end\n"
			  "return table.concat(s, ' ') == 'aa=2 dist=.fc1 zz=1 _with_ssl=--with-ssl "
			  "_without_gui=--without-gui dist=.x'"));
}
END_TEST

START_TEST(test_runs_steps_in_order)
{
	ck_assert(true_of("local seen = {}\n"
			  "local r = { description = 'x', needs = { 'log' }, steps = {\n"
			  "  step('a', function(b) seen[#seen + 1] = 'a:' .. b.package.stem end),\n"
			  "  step('b', function(b) seen[#seen + 1] = 'b:' .. b.resultdir end) } }\n"
			  "local code = d.run(function() return r end, job())\n"
			  "return code == 0 and table.concat(seen, ',') == 'a:a,b:' .. RESULTDIR"));
	/* the result directory is in place with the state of each phase */
	ck_assert_msg(strstr(result_file("results.json"), "\"status\": \"ok\""), "%s", result_file("results.json"));
	ck_assert_msg(strstr(result_file("state.log"), "done b"), "%s", result_file("state.log"));
	ck_assert_int_eq(access(RESULT_PATH("build.log"), F_OK), 0);
}
END_TEST

START_TEST(test_failure_runs_always_steps)
{
	ck_assert(true_of("local seen = {}\n"
			  "local r = { description = 'x', steps = {\n"
			  "  step('a', function() e.raise(e.BUILD, 'compile failed') end),\n"
			  "  step('b', function() seen[#seen + 1] = 'b' end),\n"
			  "  step('c', function() seen[#seen + 1] = 'c' end, { always = true }) } }\n"
			  "local code = d.run(function() return r end, job())\n"
			  "return code == e.BUILD and table.concat(seen, ',') == 'c'"));
	/* the failure is recorded: phase, message, exit code; every log written */
	ck_assert_msg(strstr(result_file("results.json"), "\"failed_phase\": \"a\""), "%s", result_file("results.json"));
	ck_assert(strstr(result_file("results.json"), "\"message\": \"compile failed\""));
	ck_assert(strstr(result_file("results.json"), "\"exit_code\": 1"));
	ck_assert(strstr(result_file("state.log"), "FAILED a"));
	ck_assert(strstr(result_file("state.log"), "done c"));
}
END_TEST

START_TEST(test_missing_needs)
{
	/* every family is provided now: pretend this version lacks bs.fs */
	const char *e = err_of("local bs = require 'bs'\n"
			       "local has = bs.has\n"
			       "bs.has = function(n) if n == 'fs' then return false end return has(n) end\n"
			       "local r = { description = 'x', needs = { 'ctx', 'fs', 'rpm' }, steps = { step('a') } }\n"
			       "d.run(function() return r end, job())");

	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, "recipe r needs bs.fs, which this version of bsrun (" BSRUN_VERSION
			    ") does not provide yet; --dry-run checks the inputs and prints the plan");
}
END_TEST

START_TEST(test_dry_run_runs_nothing)
{
	ck_assert(true_of("local ran = false\n"
			  "local r = { description = 'x', needs = { 'ctx' }, steps = {\n"
			  "  step('a', function() ran = true end, { plan = function(b) return 'detail ' .. b.package.file end }) } }\n"
			  "local j = job(); j.options.dry_run = true\n"
			  "return d.run(function() return r end, j) == 0 and not ran"));
}
END_TEST

START_TEST(test_shipped_recipe_shape)
{
	ck_assert_int_eq(bs_lua_loadfile(S, "recipes/rpmbuild.lua"), LUA_OK);
	lua_setglobal(S, "CHUNK");
	ck_assert(true_of("d.check_recipe(CHUNK(), 'recipes/rpmbuild.lua') return true"));
}
END_TEST

START_TEST(test_isolation_summary)
{
	ck_assert(true_of("return d.isolation_summary(job().policy.isolation) == "
			  "'memory 4G, pids 10, disk 8G, timeout 1m, network none, hostname h'"));
}
END_TEST

Suite *driver_suite(void)
{
	Suite *s = suite_create("driver");
	TCase *tc = tcase_create("recipes");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_shape, 0, sizeof shapes / sizeof *shapes);
	tcase_add_test(tc, test_macro_order);
	tcase_add_test(tc, test_runs_steps_in_order);
	tcase_add_test(tc, test_failure_runs_always_steps);
	tcase_add_test(tc, test_missing_needs);
	tcase_add_test(tc, test_dry_run_runs_nothing);
	tcase_add_test(tc, test_shipped_recipe_shape);
	tcase_add_test(tc, test_isolation_summary);
	suite_add_tcase(s, tc);
	return s;
}
