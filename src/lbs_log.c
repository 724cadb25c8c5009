/* bs.log: leveled, sanitized diagnostics for recipes and bsrun's Lua code. */
#include "lbs.h"
#include "log.h"
#include "sanitize.h"

#include <stdlib.h>

#include <lauxlib.h>

/* Formats the arguments: one argument is tostring'ed, more go through string.format. */
static void push_message(lua_State *L)
{
	int n = lua_gettop(L);

	if (n <= 1) {
		luaL_tolstring(L, 1, NULL);
		return;
	}
	luaL_checkstring(L, 1);
	lua_getglobal(L, "string");
	lua_getfield(L, -1, "format");
	lua_remove(L, -2);
	lua_insert(L, 1);
	lua_call(L, n, 1);
}

static int log_at(lua_State *L, enum bs_log_level level)
{
	size_t len;
	const char *msg;

	if (level > bs_log_get_level())
		return 0;
	push_message(L);
	msg = lua_tolstring(L, -1, &len);
	bs_log_msg(level, msg, len);
	return 0;
}

static int l_error(lua_State *L) { return log_at(L, BS_LOG_ERROR); }
static int l_warn(lua_State *L) { return log_at(L, BS_LOG_WARN); }
static int l_info(lua_State *L) { return log_at(L, BS_LOG_INFO); }
static int l_debug(lua_State *L) { return log_at(L, BS_LOG_DEBUG); }
static int l_trace(lua_State *L) { return log_at(L, BS_LOG_TRACE); }

/* bs.log.level() → the current level's name. */
static int l_level(lua_State *L)
{
	lua_pushstring(L, bs_log_level_name(bs_log_get_level()));
	return 1;
}

/* bs.log.enabled(name) → whether messages at that level are shown. */
static int l_enabled(lua_State *L)
{
	int lvl = bs_log_level_from_name(luaL_checkstring(L, 1));

	if (lvl < 0)
		return luaL_argerror(L, 1, "unknown log level");
	lua_pushboolean(L, lvl <= (int)bs_log_get_level());
	return 1;
}

/* bs.log.progress(fmt, ...) → one-line progress display on a terminal;
 * bs.log.progress() wipes it. */
static int l_progress(lua_State *L)
{
	if (lua_gettop(L) == 0) {
		bs_log_progress_clear();
		return 0;
	}
	if (!bs_log_progress_enabled())
		return 0;
	push_message(L);
	bs_log_progress("%s", lua_tostring(L, -1));
	return 0;
}

/* bs.log.block(text): writes multi-line text to stderr as it is, sanitized
 * (newlines kept), without the "bsrun:" prefix. */
static int l_block(lua_State *L)
{
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	char *clean;

	if (bs_log_get_level() < BS_LOG_ERROR)
		return 0;
	clean = bs_sanitize(text, len, BS_SANITIZE_KEEP_NEWLINES);
	if (!clean)
		return luaL_error(L, "out of memory");
	bs_log_progress_clear();
	fputs(clean, stderr);
	fflush(stderr);
	free(clean);
	return 0;
}

int luaopen_bs_log(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "error", l_error }, { "warn", l_warn }, { "info", l_info },
		{ "debug", l_debug }, { "trace", l_trace }, { "level", l_level },
		{ "enabled", l_enabled }, { "progress", l_progress },
		{ "block", l_block }, { NULL, NULL },
	};

	luaL_newlib(L, funcs);
	return 1;
}
