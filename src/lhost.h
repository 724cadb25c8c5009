/* Host helpers for bsrun's trusted Lua code only. */
#ifndef BSRUN_LHOST_H
#define BSRUN_LHOST_H

#include <lua.h>

/* Sets the global `bsrun_host` table (listdir, readfile, uid). Only trusted states get it. */
void bs_lua_open_host(lua_State *L);

#endif
