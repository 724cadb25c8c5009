/* The recipe driver: recipe shape checks, macro order, step running, needs. */
#include "lstate.h"
#include "tests.h"

#include <lauxlib.h>
#include <string.h>

static lua_State *S;

static const char prelude[] =
	"local d = require 'bsrun.driver'\n"
	"local e = require 'bsrun.errors'\n"
	"local function job(extra)\n"
	"  local j = { recipe_file = 'r.lua', recipe_name = 'r', defines = {},\n"
	"    options = { with = {}, without = {}, dry_run = false },\n"
	"    policy = { name = 'p', file = 'p.lua', arch = 'x86_64', dist = '', macros = {}, base = {}, repos = {},\n"
	"      isolation = { memory = 2^32, pids = 10, disk = 2^33, timeout = 60, network = false, hostname = 'h' } },\n"
	"    packages = { { path = 'a.src.rpm', file = 'a.src.rpm', stem = 'a', resultdir = 'out' } } }\n"
	"  for k, v in pairs(extra or {}) do j[k] = v end\n"
	"  return j\n"
	"end\n"
	"local function step(name, run, more)\n"
	"  local s = { name = name, does = 'does ' .. name, run = run or function() end }\n"
	"  for k, v in pairs(more or {}) do s[k] = v end\n"
	"  return s\n"
	"end\n";

static void setup(void)
{
	S = bs_lua_new(BS_LUA_SANDBOX, BSRUN_SRCDIR);
	ck_assert_ptr_nonnull(S);
}

static void teardown(void)
{
	lua_close(S);
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
			  "return code == 0 and table.concat(seen, ',') == 'a:a,b:out'"));
}
END_TEST

START_TEST(test_failure_runs_always_steps)
{
	ck_assert(true_of("local seen = {}\n"
			  "local r = { description = 'x', steps = {\n"
			  "  step('a', function() e.raise(e.BUILD, 'compile failed') end),\n"
			  "  step('b', function() seen[#seen + 1] = 'b' end),\n"
			  "  step('c', function() seen[#seen + 1] = 'c' end, { always = true }) } }\n"
			  "local ok, err = pcall(d.run, function() return r end, job())\n"
			  "return not ok and e.is(err) and err.exit == e.BUILD and err.message == 'compile failed'\n"
			  "  and table.concat(seen, ',') == 'c'"));
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
