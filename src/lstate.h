/* The two kinds of Lua state bsrun runs: trusted (policies, bsrun's own Lua
 * library) and sandboxed (recipes). */
#ifndef BSRUN_LSTATE_H
#define BSRUN_LSTATE_H

#include <lua.h>
#include <stddef.h>

enum bs_lua_kind {
	BS_LUA_TRUSTED, /* full standard library; require finds DATADIR/lua only */
	BS_LUA_SANDBOX, /* restricted library for recipes, see doc/recipes.md */
};

/* Creates a state of the given kind with the `bs` modules in package.preload
 * and the data directory recorded. In a sandbox state, only text chunks can
 * ever be loaded, and io, debug, os (but time/clock/date/getenv), dofile,
 * loadfile, string.dump, package.loadlib and file-searching require are
 * absent. Returns NULL when out of memory. */
lua_State *bs_lua_new(enum bs_lua_kind kind, const char *datadir);

/* Loads the Lua text file at path as a chunk named "@path" (binary chunks are
 * refused). Returns LUA_OK with the function pushed, or an error status with a
 * "path: reason" or "path:line: reason" message pushed. */
int bs_lua_loadfile(lua_State *L, const char *path);

/* lua_pcall with a handler that adds a traceback to string errors when the log
 * level is trace (-vv). */
int bs_lua_pcall(lua_State *L, int nargs, int nresults);

/* Turns the error value on top of the stack (status != LUA_OK) into one log
 * line and returns bsrun's exit code for it: the `exit` field of a bsrun error
 * table, BS_EXIT_INFRA for out-of-memory, else BS_EXIT_USAGE. Pops the value. */
int bs_lua_report(lua_State *L, int status);

/* Pushes onto `to` a deep copy of the plain data at index idx of `from`
 * (nil, booleans, numbers, strings, tables of those; at most 64 levels and
 * 1,000,000 values; shared subtables are copied once each time they appear).
 * Returns 0, or -EINVAL with err set and nothing pushed. */
int bs_lua_xcopy(lua_State *from, int idx, lua_State *to, char *err, size_t errlen);

#endif
