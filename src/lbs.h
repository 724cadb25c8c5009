/* The `bs` Lua module: bindings of bsrun's C core. */
#ifndef BSRUN_LBS_H
#define BSRUN_LBS_H

#include <lua.h>

/* Registers "bs" and every "bs.*" submodule in package.preload. */
void bs_lua_preload_bs(lua_State *L);

/* Module openers (one binding file each). */
int luaopen_bs(lua_State *L);
int luaopen_bs_log(lua_State *L);
int luaopen_bs_ctx(lua_State *L);
int luaopen_bs_rpm(lua_State *L);

#endif
