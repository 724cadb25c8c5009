/* The `bs` module: version, feature tests and submodules. */
#include "lbs.h"
#include "intr.h"

#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#ifndef BSRUN_VERSION
#define BSRUN_VERSION "0.0.0"
#endif

static const luaL_Reg submodules[] = {
	{ "log", luaopen_bs_log },
	{ "ctx", luaopen_bs_ctx },
	{ "rpm", luaopen_bs_rpm },
	{ "fs", luaopen_bs_fs },
	{ "results", luaopen_bs_results },
	{ "image", luaopen_bs_image },
	{ NULL, NULL },
};

/* Primitive families later versions add; bs.has() says which this build has. */
static const char *const planned[] = { NULL };

/* bs.has(name) → true when this build provides bs.NAME. */
static int bs_has(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);

	for (const luaL_Reg *m = submodules; m->name; m++)
		if (strcmp(m->name, name) == 0) {
			lua_pushboolean(L, 1);
			return 1;
		}
	for (const char *const *p = planned; *p; p++)
		if (strcmp(*p, name) == 0) {
			lua_pushboolean(L, 0);
			return 1;
		}
	return luaL_error(L, "bs.has: unknown primitive family '%s'", name);
}

/* bs.time() → wall-clock seconds since the epoch, with sub-second precision. */
static int bs_time(lua_State *L)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
	return 1;
}

/* bs.interrupted() → "SIGINT" (etc.) once bsrun was interrupted, else nil.
 * Afterwards no interruption error is raised any more: cleanup runs. */
static int bs_interrupted_l(lua_State *L)
{
	int sig = bs_intr_consume();
	const char *name = sig ? sigabbrev_np(sig) : NULL;

	if (!sig)
		return 0;
	lua_pushfstring(L, "SIG%s", name ? name : "?");
	return 1;
}

int luaopen_bs(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "has", bs_has },
		{ "interrupted", bs_interrupted_l },
		{ "time", bs_time },
		{ NULL, NULL },
	};

	luaL_newlib(L, funcs);
	lua_pushliteral(L, BSRUN_VERSION);
	lua_setfield(L, -2, "version");
	for (const luaL_Reg *m = submodules; m->name; m++) {
		lua_pushfstring(L, "bs.%s", m->name);
		luaL_requiref(L, lua_tostring(L, -1), m->func, 0);
		lua_setfield(L, -3, m->name);
		lua_pop(L, 1);
	}
	return 1;
}

void bs_lua_check_keys(lua_State *L, int idx, const char *where, const char *const *known,
		       enum bs_keys_style style)
{
	idx = lua_absindex(L, idx);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		int ok = 0;

		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING)
			for (const char *const *k = known; *k && !ok; k++)
				ok = strcmp(*k, lua_tostring(L, -1)) == 0;
		if (ok)
			continue;
		if (lua_type(L, -1) != LUA_TSTRING) {
			if (style == BS_KEYS_OPTION)
				luaL_error(L, "%s: option keys must be strings", where);
			luaL_error(L, "%s: unexpected %s key", where, luaL_typename(L, -1));
		}
		if (style == BS_KEYS_OPTION)
			luaL_error(L, "%s: unknown option '%s'", where, lua_tostring(L, -1));
		luaL_error(L, "%s: unknown key \"%s\"", where, lua_tostring(L, -1));
	}
}

/* Pushes a bsrun error object {exit=, message=} made by bsrun.errors when
 * that module can be required here, else a plain table of the same shape. */
void bs_lua_push_error(lua_State *L, int code, const char *msg)
{
	int top = lua_gettop(L), have;

	/* the module as loaded already (the driver loads it), else require'd */
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	have = lua_getfield(L, -1, "bsrun.errors") == LUA_TTABLE;
	lua_remove(L, -2);
	if (!have) {
		lua_pop(L, 1);
		if (lua_getglobal(L, "require") == LUA_TFUNCTION) {
			lua_pushliteral(L, "bsrun.errors");
			have = lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TTABLE;
		}
	}
	if (have) {
		if (lua_getfield(L, -1, "raise") == LUA_TFUNCTION) {
			lua_pushinteger(L, code);
			lua_pushliteral(L, "%s");
			lua_pushstring(L, msg);
			if (lua_pcall(L, 3, 0, 0) != LUA_OK && lua_type(L, -1) == LUA_TTABLE) {
				lua_replace(L, top + 1);
				lua_settop(L, top + 1);
				return;
			}
		}
	}
	lua_settop(L, top);
	lua_createtable(L, 0, 3);
	lua_pushinteger(L, code);
	lua_setfield(L, -2, "exit");
	lua_pushstring(L, msg);
	lua_setfield(L, -2, "message");
}

void bs_lua_preload_bs(lua_State *L)
{
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	lua_pushcfunction(L, luaopen_bs);
	lua_setfield(L, -2, "bs");
	for (const luaL_Reg *m = submodules; m->name; m++) {
		lua_pushfstring(L, "bs.%s", m->name);
		lua_pushcfunction(L, m->func);
		lua_setfield(L, -3, lua_tostring(L, -2));
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}
