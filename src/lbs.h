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

/* Registers "bs" and every "bs.*" submodule in package.preload. */
void bs_lua_preload_bs(lua_State *L);

/* Module openers (one binding file each). */
int luaopen_bs(lua_State *L);
int luaopen_bs_log(lua_State *L);
int luaopen_bs_ctx(lua_State *L);
int luaopen_bs_rpm(lua_State *L);
int luaopen_bs_fs(lua_State *L);

/* Pushes a bs.fs root object owning fd (the root directory, O_PATH) and
 * parentfd (the directory holding it as `name`, for remove_tree); path is
 * what root.path says. For bindings that make roots (e.g. base images). */
void bs_lfs_push_root(lua_State *L, int fd, int parentfd, const char *name, const char *path);

/* Whether path is the path of a root object made in L (and not removed). */
int bs_lfs_is_root(lua_State *L, const char *path);

#endif
