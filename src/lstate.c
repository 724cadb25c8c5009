/* Trusted and sandboxed Lua states. */
#include "lstate.h"
#include "exitcodes.h"
#include "lbs.h"
#include "lhost.h"
#include "log.h"
#include "sanitize.h"

#include <errno.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATADIR_KEY "bsrun.datadir"

/* Modules of bsrun's Lua library that recipes may require. */
static const char *const sandbox_lua_modules[] = { "bsrun.errors", "bsrun.driver", "bsrun.json", "bsrun.installopts",
							   NULL };

int bs_lua_loadfile(lua_State *L, const char *path)
{
	int st = luaL_loadfilex(L, path, "t");

	if (st == LUA_ERRFILE) {
		/* luaL_loadfilex says "cannot open @path"; say it once, plainly */
		const char *msg = lua_tostring(L, -1);
		const char *why = msg ? strrchr(msg, ':') : NULL;

		lua_pop(L, 1);
		lua_pushfstring(L, "cannot read %s%s", path, why ? why : "");
	} else if (st != LUA_OK && lua_type(L, -1) == LUA_TSTRING) {
		/* some load errors (a binary chunk) do not name the file: add it */
		size_t plen = strlen(path);
		const char *msg = lua_tostring(L, -1);

		if (strncmp(msg, path, plen) != 0 || msg[plen] != ':') {
			lua_pushfstring(L, "%s: %s", path, msg);
			lua_remove(L, -2);
		}
	}
	return st;
}

static int msghandler(lua_State *L)
{
	if (lua_type(L, 1) == LUA_TSTRING && bs_log_get_level() >= BS_LOG_TRACE)
		luaL_traceback(L, L, lua_tostring(L, 1), 1);
	else
		lua_settop(L, 1);
	return 1;
}

int bs_lua_pcall(lua_State *L, int nargs, int nresults)
{
	int base = lua_gettop(L) - nargs;
	int st;

	lua_pushcfunction(L, msghandler);
	lua_insert(L, base);
	st = lua_pcall(L, nargs, nresults, base);
	lua_remove(L, base);
	return st;
}

int bs_lua_report(lua_State *L, int status)
{
	int code = BS_EXIT_USAGE;

	if (status == LUA_ERRMEM) {
		bs_log(BS_LOG_ERROR, "out of memory in Lua");
		code = BS_EXIT_INFRA;
	} else if (lua_type(L, -1) == LUA_TTABLE) {
		lua_getfield(L, -1, "exit");
		lua_getfield(L, -2, "message");
		if (lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 0 && lua_tointeger(L, -2) <= 255)
			code = (int)lua_tointeger(L, -2);
		if (lua_type(L, -1) == LUA_TSTRING) {
			size_t len;
			const char *m = lua_tolstring(L, -1, &len);
			bs_log_msg(code == BS_EXIT_OK ? BS_LOG_INFO : BS_LOG_ERROR, m, len);
		} else {
			bs_log(BS_LOG_ERROR, "error object without a message");
		}
		lua_pop(L, 2);
	} else if (lua_type(L, -1) == LUA_TSTRING) {
		size_t len;
		const char *m = lua_tolstring(L, -1, &len);
		bs_log_msg(BS_LOG_ERROR, m, len);
	} else {
		bs_log(BS_LOG_ERROR, "error object is a %s value", luaL_typename(L, -1));
	}
	lua_pop(L, 1);
	return code;
}

/* print() for sandboxed code: tab-separated, sanitized, to stdout. */
static int sandbox_print(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_Buffer b;
	size_t len;
	const char *s;
	char *clean;

	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	s = lua_tolstring(L, -1, &len);
	clean = bs_sanitize(s, len, BS_SANITIZE_KEEP_NEWLINES);
	if (!clean)
		return luaL_error(L, "out of memory");
	fputs(clean, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	free(clean);
	return 0;
}

/* load() for sandboxed code: the mode is always "t". */
static int sandbox_load(lua_State *L)
{
	int n = lua_gettop(L);

	luaL_checkany(L, 1);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	if (n >= 2)
		lua_pushvalue(L, 2);
	else
		lua_pushnil(L);
	lua_pushliteral(L, "t");
	if (n >= 4) {
		lua_pushvalue(L, 4);
		lua_call(L, 4, LUA_MULTRET);
	} else {
		lua_call(L, 3, LUA_MULTRET);
	}
	return lua_gettop(L) - n;
}

/* package.preload loader for one of bsrun's Lua modules (upvalue: its path). */
static int lua_module_loader(lua_State *L)
{
	const char *path = lua_tostring(L, lua_upvalueindex(1));

	if (bs_lua_loadfile(L, path) != LUA_OK)
		return lua_error(L);
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	return 1;
}

static void open_lib(lua_State *L, const char *name, lua_CFunction f)
{
	luaL_requiref(L, name, f, 1);
	lua_pop(L, 1);
}

/* Builds the restricted global environment of a sandbox state. */
static void restrict_sandbox(lua_State *L, const char *datadir)
{
	open_lib(L, LUA_GNAME, luaopen_base);
	open_lib(L, LUA_LOADLIBNAME, luaopen_package);
	open_lib(L, LUA_COLIBNAME, luaopen_coroutine);
	open_lib(L, LUA_TABLIBNAME, luaopen_table);
	open_lib(L, LUA_STRLIBNAME, luaopen_string);
	open_lib(L, LUA_MATHLIBNAME, luaopen_math);
	open_lib(L, LUA_UTF8LIBNAME, luaopen_utf8);

	/* base library: no file loading, text-only load, sanitized print */
	lua_pushnil(L);
	lua_setglobal(L, "dofile");
	lua_pushnil(L);
	lua_setglobal(L, "loadfile");
	lua_getglobal(L, "load");
	lua_pushcclosure(L, sandbox_load, 1);
	lua_setglobal(L, "load");
	lua_pushcfunction(L, sandbox_print);
	lua_setglobal(L, "print");

	/* string.dump is gone (also from the string metatable's __index) */
	lua_getglobal(L, "string");
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);

	/* os: only time, clock, date, getenv; the full table never reaches package.loaded */
	lua_pushcfunction(L, luaopen_os);
	lua_call(L, 0, 1);
	lua_createtable(L, 0, 4);
	for (const char *const *f = (const char *const[]){ "time", "clock", "date", "getenv", NULL }; *f; f++) {
		lua_getfield(L, -2, *f);
		lua_setfield(L, -2, *f);
	}
	lua_pushvalue(L, -1);
	lua_setglobal(L, "os");
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, "os");
	lua_pop(L, 3);

	/* package: require serves package.preload only */
	lua_getglobal(L, "package");
	lua_pushnil(L);
	lua_setfield(L, -2, "loadlib");
	lua_pushnil(L);
	lua_setfield(L, -2, "searchpath");
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "path");
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "cpath");
	lua_getfield(L, -1, "searchers");
	lua_createtable(L, 1, 0);
	lua_rawgeti(L, -2, 1); /* the preload searcher */
	lua_rawseti(L, -2, 1);
	lua_setfield(L, -3, "searchers");
	lua_pop(L, 1);

	lua_getfield(L, -1, "preload");
	for (const char *const *m = sandbox_lua_modules; *m; m++) {
		const char *rel = *m + strlen("bsrun.");
		lua_pushfstring(L, "%s/lua/bsrun/%s.lua", datadir, rel);
		lua_pushcclosure(L, lua_module_loader, 1);
		lua_setfield(L, -2, *m);
	}
	lua_pop(L, 2);
}

static void trust(lua_State *L, const char *datadir)
{
	luaL_openlibs(L);
	lua_getglobal(L, "package");
	lua_pushfstring(L, "%s/lua/?.lua", datadir);
	lua_setfield(L, -2, "path");
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "cpath");
	lua_pop(L, 1);
	bs_lua_open_host(L);
}

static int setup(lua_State *L)
{
	enum bs_lua_kind kind = (enum bs_lua_kind)lua_tointeger(L, 1);
	const char *datadir = lua_tostring(L, 2);

	if (kind == BS_LUA_TRUSTED)
		trust(L, datadir);
	else
		restrict_sandbox(L, datadir);
	lua_pushstring(L, datadir);
	lua_setfield(L, LUA_REGISTRYINDEX, DATADIR_KEY);
	bs_lua_preload_bs(L);
	return 0;
}

lua_State *bs_lua_new(enum bs_lua_kind kind, const char *datadir)
{
	lua_State *L = luaL_newstate();

	if (!L)
		return NULL;
	lua_pushcfunction(L, setup);
	lua_pushinteger(L, kind);
	lua_pushstring(L, datadir);
	if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
		lua_close(L);
		return NULL;
	}
	return L;
}

struct xcopy {
	lua_State *from, *to;
	size_t count;
	char *err;
	size_t errlen;
};

static int xcopy_value(struct xcopy *x, int idx, int depth);

static int xcopy_table(struct xcopy *x, int idx, int depth)
{
	if (depth > 64) {
		snprintf(x->err, x->errlen, "data nested more than 64 levels deep");
		return -EINVAL;
	}
	if (!lua_checkstack(x->from, 4) || !lua_checkstack(x->to, 4)) {
		snprintf(x->err, x->errlen, "Lua stack overflow");
		return -EINVAL;
	}
	lua_newtable(x->to);
	lua_pushnil(x->from);
	while (lua_next(x->from, idx)) {
		int kt = lua_type(x->from, -2);
		if (kt != LUA_TSTRING && kt != LUA_TNUMBER && kt != LUA_TBOOLEAN) {
			snprintf(x->err, x->errlen, "a %s used as a table key cannot be copied",
				 lua_typename(x->from, kt));
			goto fail;
		}
		if (xcopy_value(x, lua_absindex(x->from, -2), depth + 1) < 0)
			goto fail;
		if (xcopy_value(x, lua_absindex(x->from, -1), depth + 1) < 0) {
			lua_pop(x->to, 1);
			goto fail;
		}
		lua_rawset(x->to, -3);
		lua_pop(x->from, 1);
	}
	return 0;
fail:
	lua_pop(x->from, 2);
	lua_pop(x->to, 1);
	return -EINVAL;
}

static int xcopy_value(struct xcopy *x, int idx, int depth)
{
	if (++x->count > 1000000) {
		snprintf(x->err, x->errlen, "more than 1000000 values");
		return -EINVAL;
	}
	switch (lua_type(x->from, idx)) {
	case LUA_TNIL:
		lua_pushnil(x->to);
		return 0;
	case LUA_TBOOLEAN:
		lua_pushboolean(x->to, lua_toboolean(x->from, idx));
		return 0;
	case LUA_TNUMBER:
		if (lua_isinteger(x->from, idx))
			lua_pushinteger(x->to, lua_tointeger(x->from, idx));
		else
			lua_pushnumber(x->to, lua_tonumber(x->from, idx));
		return 0;
	case LUA_TSTRING: {
		size_t len;
		const char *s = lua_tolstring(x->from, idx, &len);
		lua_pushlstring(x->to, s, len);
		return 0;
	}
	case LUA_TTABLE:
		return xcopy_table(x, idx, depth);
	default:
		snprintf(x->err, x->errlen, "a %s value cannot be copied", luaL_typename(x->from, idx));
		return -EINVAL;
	}
}

int bs_lua_xcopy(lua_State *from, int idx, lua_State *to, char *err, size_t errlen)
{
	struct xcopy x = { from, to, 0, err, errlen };

	return xcopy_value(&x, lua_absindex(from, idx), 0);
}
