/* Host helpers for bsrun's trusted Lua code only. */
#ifndef BSRUN_LHOST_H
#define BSRUN_LHOST_H

#include <lua.h>

/* Sets the global `bsrun_host` table (listdir, readfile, uid). Only trusted states get it. */
void bs_lua_open_host(lua_State *L);

/* Add to the table on top: spawn, wait_any and process objects (lhost_proc.c). */
void bs_lua_open_host_proc(lua_State *L);

/* Add to the table on top: lock, copyfile, sha256, sha256file, mkdirs,
 * isatty, exe, realpath (lhost_file.c). */
void bs_lua_open_host_file(lua_State *L);

#endif
