/* Glue between the command line and bsrun's Lua side. */
#include "lrun.h"
#include "exitcodes.h"
#include "lbs_guard.h"
#include "intr.h"
#include "lbs.h"
#include "log.h"
#include "lstate.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>

/* The CPU budget of bsrun's Lua code: BSRUN_LUA_CPU_LIMIT seconds, else the default. */
static void set_cpu_limit(void)
{
	const char *v = getenv("BSRUN_LUA_CPU_LIMIT");

	bs_intr_set_cpu_limit(v ? strtod(v, NULL) : 0);
}

static void push_strv(lua_State *L, const struct bs_strv *sv)
{
	lua_createtable(L, (int)sv->n, 0);
	for (size_t i = 0; i < sv->n; i++) {
		lua_pushstring(L, sv->v[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

static void set_str(lua_State *L, const char *key, const char *val)
{
	if (!val)
		return;
	lua_pushstring(L, val);
	lua_setfield(L, -2, key);
}

static void set_bool(lua_State *L, const char *key, int val)
{
	lua_pushboolean(L, val);
	lua_setfield(L, -2, key);
}

/* Pushes the parsed command line as a plain table (see doc/recipes.md: job.options). */
static int push_options(lua_State *L)
{
	const struct bs_opts *o = lua_touserdata(L, 1);

	lua_newtable(L);
	set_str(L, "policy", o->policy);
	set_str(L, "resultdir", o->resultdir);
	set_str(L, "recipe", o->recipe);
	set_str(L, "chain_repo", o->chain_repo);
	set_str(L, "scheduler", o->scheduler);
	push_strv(L, &o->defines);
	lua_setfield(L, -2, "defines");
	push_strv(L, &o->with);
	lua_setfield(L, -2, "with");
	push_strv(L, &o->without);
	lua_setfield(L, -2, "without");
	push_strv(L, &o->args);
	lua_setfield(L, -2, "args");
	set_bool(L, "keep", o->keep);
	set_bool(L, "shell", o->shell);
	set_bool(L, "dry_run", o->dry_run);
	lua_pushinteger(L, o->jobs);
	lua_setfield(L, -2, "jobs");
	lua_pushinteger(L, o->verbosity);
	lua_setfield(L, -2, "verbosity");
	return 1;
}

/* Calls bsrun.main.FUNC(options, datadir) in the trusted state; leaves its result. */
static int call_main(lua_State *L, const char *func, const struct bs_opts *o, const char *datadir)
{
	int st;

	lua_getglobal(L, "require");
	lua_pushliteral(L, "bsrun.main");
	st = bs_lua_pcall(L, 1, 1);
	if (st != LUA_OK)
		return st;
	lua_getfield(L, -1, func);
	lua_remove(L, -2);
	lua_pushcfunction(L, push_options);
	lua_pushlightuserdata(L, (void *)o);
	st = lua_pcall(L, 1, 1, 0);
	if (st != LUA_OK)
		return st;
	lua_pushstring(L, datadir);
	return bs_lua_pcall(L, 2, 1);
}

/* Converts a Lua result to an exit code: an integer 0..255, else USAGE. */
static int exit_code_of(lua_State *L, int idx)
{
	if (lua_isinteger(L, idx) && lua_tointeger(L, idx) >= 0 && lua_tointeger(L, idx) <= 255)
		return (int)lua_tointeger(L, idx);
	bs_log(BS_LOG_ERROR, "internal error: expected an exit code, got a %s", luaL_typename(L, idx));
	return BS_EXIT_USAGE;
}

/* In the sandbox state: copies the job from the trusted state (lightuserdata 1,
 * its job on top), loads the recipe and runs it through bsrun.driver. */
static int run_recipe(lua_State *S)
{
	lua_State *T = lua_touserdata(S, 1);
	char err[256];
	const char *recipe_file;

	lua_settop(S, 0);
	if (bs_lua_xcopy(T, -1, S, err, sizeof err) < 0)
		return luaL_error(S, "cannot pass the job to the recipe: %s", err);
	/* a second, private copy: what the trusted policy allows, out of the
	 * recipe's reach (the registry), checked by the bs bindings */
	if (bs_lua_xcopy(T, -1, S, err, sizeof err) < 0)
		return luaL_error(S, "cannot pass the policy to the bindings: %s", err);
	bs_guard_from_job(S);
	/* the result directories the recipe may write: this job's only */
	lua_getfield(S, 1, "packages");
	for (lua_Integer i = 1, n = luaL_len(S, -1); i <= n; i++) {
		lua_rawgeti(S, -1, i);
		if (lua_getfield(S, -1, "resultdir") == LUA_TSTRING)
			bs_lua_results_allow(S, lua_tostring(S, -1));
		lua_pop(S, 2);
	}
	lua_pop(S, 1);
	lua_getfield(S, 1, "recipe_file");
	recipe_file = lua_tostring(S, -1);
	if (!recipe_file)
		return luaL_error(S, "internal error: job has no recipe_file");
	lua_getglobal(S, "require");
	lua_pushliteral(S, "bsrun.driver");
	lua_call(S, 1, 1);
	lua_getfield(S, -1, "run");
	if (bs_lua_loadfile(S, recipe_file) != LUA_OK)
		return lua_error(S);
	lua_pushvalue(S, 1);
	lua_call(S, 2, 1); /* driver.run(recipe_chunk, job) */
	return 1;
}

/* Calls bsrun.chain.FUNC(job) in the trusted state, the job on top (kept);
 * leaves the exit code in *code. */
static void call_chain(lua_State *T, const char *func, int *code)
{
	int st;

	lua_getglobal(T, "require");
	lua_pushliteral(T, "bsrun.chain");
	st = bs_lua_pcall(T, 1, 1);
	if (st == LUA_OK) {
		lua_getfield(T, -1, func);
		lua_remove(T, -2);
		lua_pushvalue(T, -2);
		st = bs_lua_pcall(T, 1, 1);
	}
	*code = st == LUA_OK ? exit_code_of(T, -1) : bs_lua_report(T, st);
	lua_pop(T, 1);
}

/* Whether the job on top of T has a true field key. */
static int job_has(lua_State *T, const char *key)
{
	int yes = lua_getfield(T, -1, key) != LUA_TNIL && lua_toboolean(T, -1);

	lua_pop(T, 1);
	return yes;
}

int bs_run_build(const struct bs_opts *o, const char *datadir)
{
	lua_State *T = bs_lua_new(BS_LUA_TRUSTED, datadir);
	lua_State *S = NULL;
	int st, code;

	if (!T) {
		bs_log(BS_LOG_ERROR, "cannot create a Lua state: out of memory");
		return BS_EXIT_INFRA;
	}
	set_cpu_limit();
	bs_intr_hook(T);
	st = call_main(T, "prepare", o, datadir);
	if (st != LUA_OK) {
		code = bs_lua_report(T, st);
		goto out;
	}
	if (job_has(T, "chain")) {
		/* several packages: the trusted planner and a scheduler (bsrun.chain) */
		call_chain(T, "run", &code);
		goto out;
	}
	S = bs_lua_new(BS_LUA_SANDBOX, datadir);
	if (!S) {
		bs_log(BS_LOG_ERROR, "cannot create a Lua state: out of memory");
		code = BS_EXIT_INFRA;
		goto out;
	}
	bs_intr_hook(S);
	lua_pushcfunction(S, run_recipe);
	lua_pushlightuserdata(S, T);
	st = bs_lua_pcall(S, 1, 1);
	code = st == LUA_OK ? exit_code_of(S, -1) : bs_lua_report(S, st);
	if (code == BS_EXIT_OK && job_has(T, "chain_repo"))
		call_chain(T, "publish", &code); /* --chain-repo: the RPMs built into it */
out:
	if (S)
		lua_close(S);
	lua_close(T);
	return code;
}

int bs_run_policy(const struct bs_opts *o, const char *datadir)
{
	lua_State *T = bs_lua_new(BS_LUA_TRUSTED, datadir);
	int st, code;

	if (!T) {
		bs_log(BS_LOG_ERROR, "cannot create a Lua state: out of memory");
		return BS_EXIT_INFRA;
	}
	set_cpu_limit();
	bs_intr_hook(T);
	st = call_main(T, "policy_command", o, datadir);
	code = st == LUA_OK ? exit_code_of(T, -1) : bs_lua_report(T, st);
	lua_close(T);
	return code;
}
