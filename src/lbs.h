/* The `bs` Lua module: bindings of bsrun's C core. */
#ifndef BSRUN_LBS_H
#define BSRUN_LBS_H

#include <lua.h>

/* How bs_lua_check_keys words an unknown key: "unknown option 'k'" (bs.ctx)
 * or "unknown key \"k\"" (bs.rpm). */
enum bs_keys_style { BS_KEYS_OPTION, BS_KEYS_KEY };

/* Raises "WHERE: unknown ..." unless every key of the table at idx is a
 * string listed in known (NULL-terminated); misuse of a bs function. */
void bs_lua_check_keys(lua_State *L, int idx, const char *where, const char *const *known,
		       enum bs_keys_style style);

/* Pushes a bsrun error object {exit=code, message=msg} (bsrun.errors when
 * loadable, else a plain table of that shape), for lua_error (lbs_rpm.c). */
void bs_lua_push_error(lua_State *L, int code, const char *msg);

/* bs.rpm.header (lbs_rpmhdr.c) and bs.rpm.download (lbs_pkgcache.c). */
int bs_lua_rpm_header(lua_State *L);
int bs_lua_rpm_download(lua_State *L);

/* Registers "bs" and every "bs.*" submodule in package.preload. */
void bs_lua_preload_bs(lua_State *L);

/* Module openers (one binding file each). */
int luaopen_bs(lua_State *L);
int luaopen_bs_log(lua_State *L);
int luaopen_bs_ctx(lua_State *L);
int luaopen_bs_rpm(lua_State *L);

#endif
