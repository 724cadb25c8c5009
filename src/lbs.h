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

/* Pushes a bsrun error object {exit=code, message=msg} made by bsrun.errors
 * (so errors.is() holds) when that module can be required in L, else a plain
 * table of the same shape; raise it with lua_error. */
void bs_lua_push_error(lua_State *L, int code, const char *msg);

/* The live context of the bs.ctx object at idx; raises for anything else or
 * a closed one. */
struct bs_ctx;
struct bs_ctx *bs_lua_check_ctx(lua_State *L, int idx);

/* Adds install and buildrequires (lbs_install.c) to the bs.rpm table on top. */
void bs_lua_rpm_install(lua_State *L);

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
int luaopen_bs_fs(lua_State *L);

/* Pushes a bs.fs root object owning fd (the root directory, O_PATH) and
 * parentfd (the directory holding it as `name`, for remove_tree); path is
 * what root.path says. For bindings that make roots (e.g. base images). */
void bs_lfs_push_root(lua_State *L, int fd, int parentfd, const char *name, const char *path);

/* The copy of bs.fs.copy_out into the open host directory destfd (for
 * bindings that own a destination, e.g. bs.results): root at rootidx (a root
 * object), options at opts (0: none), flatten unless opts say otherwise when
 * flatten_default. Pushes the report (or nil, msg, errno, report); returns
 * the number of values pushed. Limits as bs.fs.copy_out, under the guard. */
int bs_lfs_copy_out(lua_State *L, int rootidx, const char *dir, int destfd, int opts, int flatten_default,
		    const char *what);

/* Whether path is the path of a root object made in L (and not removed). */
int bs_lfs_is_root(lua_State *L, const char *path);
int luaopen_bs_results(lua_State *L);
int luaopen_bs_image(lua_State *L);

/* The id range reserved by the bs.image.root object at idx (bs.ctx.create's
 * `ids` option); raises unless it is a live root. */
struct bs_idrange;
const struct bs_idrange *bs_lua_image_root_ids(lua_State *L, int idx);

/* The path of the live bs.image root at idx, or NULL (not one, or released). */
const char *bs_lua_image_root_path(lua_State *L, int idx);

/* Records (on) or forgets a root path made in L (bs.fs.mkroot, bs.image.root):
 * under a policy, only such paths may be a context's root. */
void bs_lfs_note_root(lua_State *L, const char *path, int on);

/* Lets bs.results.begin(path) use `path` in L; once any path is allowed,
 * only allowed paths can be begun (the trusted side registers each job's
 * result directories in the recipe sandbox). */
void bs_lua_results_allow(lua_State *L, const char *path);

#endif
