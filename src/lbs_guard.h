/* The trusted policy's limits, kept where a recipe cannot reach them.
 *
 * Before a recipe runs, the trusted side (src/lrun.c) stores in the sandbox
 * state's registry what the policy allows: its isolation table (limits,
 * network, caps, seccomp, mounts, uid pool), its results limits, the job's
 * result directories and its cache directory. The bs bindings then refuse anything beyond it with a
 * bsrun error (exit 2). A state without a guard (bsrun's own trusted Lua, the
 * unit tests) allows everything. */
#ifndef BSRUN_LBS_GUARD_H
#define BSRUN_LBS_GUARD_H

#include "ctx.h"

#include <lua.h>

/* Pops the job table (a private copy: {policy = {isolation =, results =},
 * packages = {{resultdir =}, ...}, cachedir =}) and stores the guard made
 * from it. */
void bs_guard_from_job(lua_State *L);

/* Pops a guard table {isolation =, results =, resultdirs = {abs paths},
 * cachedirs = {abs paths}} and
 * stores it (tests use this directly). */
void bs_guard_set(lua_State *L);

/* Pushes the guard table, or nil; returns 1 when there is one. */
int bs_guard_push(lua_State *L);

/* Raises a bsrun error {exit = code, message = ...} (bsrun.errors). */
int bs_lua_raise(lua_State *L, int code, const char *fmt, ...);

/* Allows mounting host `source` on `target` (ctx:mount, binds) only as one
 * of the guard's isolation.mounts (same source and target, lexically
 * normalised; recursive only when the entry says so); adds the flags the
 * entry requires (ro, nosuid, nodev, noexec) to *flags. Raises exit 2 else. */
void bs_guard_mount(lua_State *L, const char *where, const char *source, const char *target, unsigned *flags);

/* bs.ctx.create: replaces the option table at idx by a new one in which a
 * bs.fs root object as `root` becomes its path (under a guard `root` must be
 * one: raises exit 2 else), and in which
 * options the recipe did not give come from its `isolation` table (a policy's
 * isolation section) or else the guard's isolation: memory, pids, cpu_weight,
 * nofile, fsize, timeout, network, hostname, domainname, caps, seccomp →
 * syscalls, mounts → binds, env, single_id_map, allow_unenforced_limits,
 * uid_pool → uid_first/count. */
void bs_guard_ctx_defaults(lua_State *L, int idx);

/* bs.ctx.create: raises exit 2 when the parsed options exceed the guard:
 * a limit above (or without) the policy's, the host network when the policy
 * has none, unenforced limits the policy does not allow, a capability or allowed syscall the policy lacks, a policy deny
 * dropped, an id range outside its pool, a bind it does not list. Tightens
 * the binds' flags in place. */
void bs_guard_ctx_check(lua_State *L, struct bs_ctx_opts *o);

/* Raises exit 2 unless the host path dest is a result directory of the job
 * or below one (no guard: anything). */
void bs_guard_dest(lua_State *L, const char *where, const char *dest);

/* Raises exit 2 unless the host directory dir is the job's cache directory
 * (job.cachedir) or below it (no guard: anything). For bs.rpm's cachedir=. */
void bs_guard_cachedir(lua_State *L, const char *where, const char *dir);

/* Lexically normalised absolute path: "//" and "/." collapsed, no trailing
 * "/"; relative paths are taken from the cwd. Returns 0, or -EINVAL for a ".."
 * component or a path too long. */
int bs_guard_normpath(const char *in, char *out, size_t outlen);

#endif
