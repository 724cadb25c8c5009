/* The trusted policy's limits in the sandbox state's registry (lbs_guard.h). */
#include "lbs_guard.h"
#include "lbs.h"
#include "caps.h"
#include "exitcodes.h"
#include "rootfs.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define GUARD_KEY "bsrun.guard"

void bs_guard_set(lua_State *L)
{
	lua_setfield(L, LUA_REGISTRYINDEX, GUARD_KEY);
}

int bs_guard_push(lua_State *L)
{
	return lua_getfield(L, LUA_REGISTRYINDEX, GUARD_KEY) == LUA_TTABLE;
}

int bs_guard_normpath(const char *in, char *out, size_t outlen)
{
	char buf[4096];
	size_t n = 0;
	const char *p;

	if (!in || !*in)
		return -EINVAL;
	if (in[0] != '/') {
		if (!getcwd(buf, sizeof buf) || strlen(buf) + strlen(in) + 2 > sizeof buf)
			return -EINVAL;
		strcat(buf, "/");
		strcat(buf, in);
	} else if (strlen(in) >= sizeof buf) {
		return -EINVAL;
	} else {
		strcpy(buf, in);
	}
	for (p = buf; *p;) {
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (!len)
			break;
		if (len == 1 && p[0] == '.') {
			p += len;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return -EINVAL;
		if (n + len + 2 > outlen)
			return -EINVAL;
		out[n++] = '/';
		memcpy(out + n, p, len);
		n += len;
		p += len;
	}
	if (n == 0) {
		if (outlen < 2)
			return -EINVAL;
		out[n++] = '/';
	}
	out[n] = '\0';
	return 0;
}

int bs_lua_raise(lua_State *L, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	bs_lua_push_error(L, code, msg);
	return lua_error(L);
}

/* ---- from the trusted job ---- */

void bs_guard_from_job(lua_State *L)
{
	int job = lua_gettop(L), n = 0;

	lua_createtable(L, 0, 3);
	if (lua_getfield(L, job, "policy") == LUA_TTABLE) {
		lua_getfield(L, -1, "isolation");
		lua_setfield(L, -3, "isolation");
		lua_getfield(L, -1, "results");
		lua_setfield(L, -3, "results");
	}
	lua_pop(L, 1);
	lua_newtable(L);
	if (lua_getfield(L, job, "packages") == LUA_TTABLE) {
		for (lua_Integer i = 1; lua_rawgeti(L, -1, i) == LUA_TTABLE; i++) {
			char norm[4096];

			if (lua_getfield(L, -1, "resultdir") == LUA_TSTRING &&
			    bs_guard_normpath(lua_tostring(L, -1), norm, sizeof norm) == 0) {
				lua_pushstring(L, norm);
				lua_rawseti(L, -5, ++n);
			}
			lua_pop(L, 2);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	lua_setfield(L, -2, "resultdirs");
	lua_newtable(L);
	if (lua_getfield(L, job, "cachedir") == LUA_TSTRING) {
		char norm[4096];

		if (bs_guard_normpath(lua_tostring(L, -1), norm, sizeof norm) == 0) {
			lua_pushstring(L, norm);
			lua_rawseti(L, -3, 1);
		}
	}
	lua_pop(L, 1);
	lua_setfield(L, -2, "cachedirs");
	/* bsrun --shell: the user's terminal may become a shell's stdio */
	{
		int top = lua_gettop(L), shell = 0;

		if (lua_getfield(L, job, "options") == LUA_TTABLE)
			shell = lua_getfield(L, -1, "shell") == LUA_TBOOLEAN && lua_toboolean(L, -1);
		lua_settop(L, top);
		lua_pushboolean(L, shell);
		lua_setfield(L, -2, "shell");
	}
	bs_guard_set(L);
	lua_settop(L, job - 1);
}

/* Pushes guard.isolation[key] (nil when no guard); returns its type. */
static int giso(lua_State *L, const char *key)
{
	int t;

	if (!bs_guard_push(L)) {
		lua_pop(L, 1);
		lua_pushnil(L);
		return LUA_TNIL;
	}
	if (lua_getfield(L, -1, "isolation") != LUA_TTABLE) {
		lua_pop(L, 2);
		lua_pushnil(L);
		return LUA_TNIL;
	}
	t = lua_getfield(L, -1, key);
	lua_replace(L, -3);
	lua_pop(L, 1);
	return t;
}

/* ---- mounts ---- */

static int bool_field(lua_State *L, int t, const char *k, int dflt)
{
	int v = lua_getfield(L, t, k) == LUA_TBOOLEAN ? lua_toboolean(L, -1) : dflt;

	lua_pop(L, 1);
	return v;
}

void bs_guard_mount(lua_State *L, const char *where, const char *source, const char *target, unsigned *flags)
{
	char s[4096], t[4096], es[4096], et[4096];
	int top = lua_gettop(L), found = 0;

	if (!bs_guard_push(L)) {
		lua_settop(L, top);
		return;
	}
	lua_pop(L, 1);
	if (bs_guard_normpath(source, s, sizeof s) < 0 || source[0] != '/' ||
	    bs_guard_normpath(target, t, sizeof t) < 0 || target[0] != '/')
		bs_lua_raise(L, BS_EXIT_USAGE, "%s: %s → %s: the policy allows only absolute paths without \"..\"",
			     where, source, target);
	if (giso(L, "mounts") == LUA_TTABLE) {
		int m = lua_gettop(L);

		for (lua_Integer i = 1; !found && lua_rawgeti(L, m, i) == LUA_TTABLE; i++) {
			int e = lua_gettop(L);

			lua_getfield(L, e, "source");
			lua_getfield(L, e, "target");
			if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING &&
			    bs_guard_normpath(lua_tostring(L, -2), es, sizeof es) == 0 &&
			    bs_guard_normpath(lua_tostring(L, -1), et, sizeof et) == 0 && strcmp(es, s) == 0 &&
			    strcmp(et, t) == 0) {
				found = 1;
				if ((*flags & BS_BIND_RECURSIVE) && !bool_field(L, e, "recursive", 0))
					bs_lua_raise(L, BS_EXIT_USAGE,
						     "%s: %s → %s: the policy does not allow a recursive mount (isolation.mounts)",
						     where, source, target);
				if (bool_field(L, e, "ro", 1))
					*flags |= BS_BIND_RO;
				if (bool_field(L, e, "nosuid", 1))
					*flags |= BS_BIND_NOSUID;
				if (bool_field(L, e, "nodev", 1))
					*flags |= BS_BIND_NODEV;
				if (bool_field(L, e, "noexec", 0))
					*flags |= BS_BIND_NOEXEC;
			}
			lua_settop(L, m);
		}
	}
	lua_settop(L, top);
	if (!found)
		bs_lua_raise(L, BS_EXIT_USAGE, "%s: mounting %s on %s is not allowed by the policy (isolation.mounts)",
			     where, source, target);
}

/* ---- bs.ctx.create ---- */

/* isolation key → bs.ctx.create option, copied as they are */
static const char *const same_keys[] = {
	"memory", "pids", "cpu_weight", "nofile", "fsize", "timeout", "hostname", "domainname", "caps", "env",
	"single_id_map", "allow_unenforced_limits", NULL,
};

/* Sets option k of the table at `to` from the value on top (popped) unless
 * the option is already set. */
static void set_default(lua_State *L, int to, const char *k)
{
	if (lua_getfield(L, to, k) == LUA_TNIL && !lua_isnil(L, -2)) {
		lua_pop(L, 1);
		lua_setfield(L, to, k);
		return;
	}
	lua_pop(L, 2);
}

static void map_isolation(lua_State *L, int iso, int to)
{
	for (const char *const *k = same_keys; *k; k++) {
		lua_getfield(L, iso, *k);
		set_default(L, to, *k);
	}
	if (lua_getfield(L, iso, "network") == LUA_TSTRING)
		set_default(L, to, "network");
	else
		lua_pop(L, 1);
	if (lua_getfield(L, iso, "seccomp") == LUA_TTABLE) {
		lua_createtable(L, 0, 2);
		lua_getfield(L, -2, "allow");
		lua_setfield(L, -2, "allow");
		lua_getfield(L, -2, "deny");
		lua_setfield(L, -2, "deny");
		lua_remove(L, -2);
		set_default(L, to, "syscalls");
	} else {
		lua_pop(L, 1);
	}
	if (lua_getfield(L, iso, "uid_pool") == LUA_TTABLE) {
		lua_getfield(L, -1, "first");
		set_default(L, to, "uid_first");
		lua_getfield(L, -1, "count");
		set_default(L, to, "uid_count");
	}
	lua_pop(L, 1);
	if (lua_getfield(L, iso, "mounts") == LUA_TTABLE) {
		static const char *const flags[] = { "ro", "nosuid", "nodev", "noexec", "recursive", NULL };
		int m = lua_gettop(L);

		lua_newtable(L);
		for (lua_Integer i = 1; lua_rawgeti(L, m, i) == LUA_TTABLE; i++) {
			lua_createtable(L, 0, 7);
			lua_getfield(L, -2, "source");
			lua_setfield(L, -2, "src");
			lua_getfield(L, -2, "target");
			lua_setfield(L, -2, "dst");
			for (const char *const *f = flags; *f; f++) {
				lua_getfield(L, -2, *f);
				lua_setfield(L, -2, *f);
			}
			lua_rawseti(L, m + 1, i);
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
		if (lua_rawlen(L, -1) > 0) {
			set_default(L, to, "binds");
		} else {
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
}

void bs_guard_ctx_defaults(lua_State *L, int idx)
{
	int to, rt;

	idx = lua_absindex(L, idx);
	lua_newtable(L);
	to = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "isolation") == 0) {
			lua_pop(L, 1);
			continue;
		}
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_settable(L, to);
	}
	/* root: a bs.fs root object stands for its path; under a policy only
	 * such objects or their paths (a string could name any host directory) */
	rt = lua_getfield(L, to, "root");
	if (rt == LUA_TUSERDATA && luaL_testudata(L, -1, "bs.fs.root")) {
		rt = lua_getiuservalue(L, -1, 1);
		lua_remove(L, -2);
		lua_pushvalue(L, -1);
		lua_setfield(L, to, "root");
	} else if (rt == LUA_TUSERDATA && luaL_testudata(L, -1, "bs.image.root")) {
		/* an overlay root: its path, and the id range reserved for it */
		const char *path = bs_lua_image_root_path(L, -1);

		if (!path)
			luaL_error(L, "bs.ctx.create: the root was released");
		if (lua_getfield(L, to, "ids") == LUA_TNIL) {
			lua_pushvalue(L, -2);
			lua_setfield(L, to, "ids");
		}
		lua_pop(L, 1);
		lua_pop(L, 1);
		rt = LUA_TSTRING;
		lua_pushstring(L, path);
		lua_pushvalue(L, -1);
		lua_setfield(L, to, "root");
	}
	if (rt != LUA_TNIL) {
		int guarded = bs_guard_push(L);

		lua_pop(L, 1);
		if (guarded && (rt != LUA_TSTRING || !bs_lfs_is_root(L, lua_tostring(L, -1))))
			bs_lua_raise(L, BS_EXIT_USAGE,
				     "bs.ctx.create: a recipe's context root must be a root from bs.fs.mkroot");
	}
	lua_pop(L, 1);
	switch (lua_getfield(L, idx, "isolation")) {
	case LUA_TTABLE:
		map_isolation(L, lua_gettop(L), to);
		break;
	case LUA_TNIL:
		if (bs_guard_push(L) && lua_getfield(L, -1, "isolation") == LUA_TTABLE)
			map_isolation(L, lua_gettop(L), to);
		break;
	default:
		luaL_error(L, "bs.ctx.create: 'isolation' must be a policy's isolation table");
	}
	lua_settop(L, to);
	lua_replace(L, idx);
}

/* Raises unless v (0 = none) is within the guard's limit for key. */
static void check_limit(lua_State *L, const char *key, uint64_t v)
{
	lua_Integer g;

	if (giso(L, key) != LUA_TNUMBER || !lua_isinteger(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	g = lua_tointeger(L, -1);
	lua_pop(L, 1);
	if (g > 0 && (v == 0 || v > (uint64_t)g))
		bs_lua_raise(L, BS_EXIT_USAGE, "bs.ctx.create: '%s' %s%llu exceeds the policy's isolation.%s = %lld", key,
			     v ? "" : "none instead of ", (unsigned long long)v, key, (long long)g);
}

static int in_strlist(lua_State *L, int t, const char *s)
{
	int found = 0;

	for (lua_Integer i = 1; !found && lua_rawgeti(L, t, i) == LUA_TSTRING; i++) {
		found = strcmp(lua_tostring(L, -1), s) == 0;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return found;
}

void bs_guard_ctx_check(lua_State *L, struct bs_ctx_opts *o)
{
	const char *where = "bs.ctx.create";
	int top = lua_gettop(L);

	if (!bs_guard_push(L)) {
		lua_settop(L, top);
		return;
	}
	lua_settop(L, top);
	check_limit(L, "memory", o->memory);
	check_limit(L, "pids", o->pids);
	check_limit(L, "cpu_weight", o->cpu_weight);
	check_limit(L, "nofile", o->nofile);
	check_limit(L, "fsize", o->fsize);
	check_limit(L, "timeout", o->timeout_s);
	if (o->network_host) {
		int ok = giso(L, "network") == LUA_TSTRING && strcmp(lua_tostring(L, -1), "host") == 0;

		lua_pop(L, 1);
		if (!ok)
			bs_lua_raise(L, BS_EXIT_USAGE, "%s: the host network is not allowed by the policy (isolation.network)",
				     where);
	}
	if (o->allow_unenforced_limits) {
		int ok = giso(L, "allow_unenforced_limits") == LUA_TBOOLEAN && lua_toboolean(L, -1);

		lua_pop(L, 1);
		if (!ok)
			bs_lua_raise(L, BS_EXIT_USAGE,
				     "%s: unenforced limits are not allowed by the policy (isolation.allow_unenforced_limits)",
				     where);
	}
	if (giso(L, "caps") == LUA_TTABLE) {
		uint64_t allowed = 0;

		for (lua_Integer i = 1; lua_rawgeti(L, -1, i) == LUA_TSTRING; i++) {
			int cap = bs_caps_from_name(lua_tostring(L, -1));

			if (cap >= 0)
				allowed |= BS_CAP(cap);
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
		if (o->caps & ~allowed)
			bs_lua_raise(L, BS_EXIT_USAGE, "%s: capabilities beyond the policy's isolation.caps (mask 0x%llx)",
				     where, (unsigned long long)(o->caps & ~allowed));
	}
	lua_pop(L, 1);
	if (giso(L, "seccomp") == LUA_TTABLE) {
		int s = lua_gettop(L);

		lua_getfield(L, s, "allow");
		for (const char *const *a = o->syscalls_allow; a && *a; a++)
			if (!lua_istable(L, -1) || !in_strlist(L, s + 1, *a))
				bs_lua_raise(L, BS_EXIT_USAGE, "%s: allowing the system call %s is beyond the policy's isolation.seccomp",
					     where, *a);
		lua_getfield(L, s, "deny");
		for (lua_Integer i = 1; lua_istable(L, s + 2) && lua_rawgeti(L, s + 2, i) == LUA_TSTRING; i++) {
			int have = 0;

			for (const char *const *d = o->syscalls_deny; d && *d && !have; d++)
				have = strcmp(*d, lua_tostring(L, -1)) == 0;
			if (!have)
				bs_lua_raise(L, BS_EXIT_USAGE, "%s: the policy denies the system call %s (isolation.seccomp.deny)",
					     where, lua_tostring(L, -1));
			lua_pop(L, 1);
		}
	}
	lua_settop(L, top);
	if (giso(L, "uid_pool") == LUA_TTABLE) {
		lua_Integer f, c;

		lua_getfield(L, -1, "first");
		lua_getfield(L, -2, "count");
		f = lua_tointeger(L, -2);
		c = lua_tointeger(L, -1);
		if (!o->uid_first || (lua_Integer)o->uid_first < f ||
		    (lua_Integer)o->uid_first + (lua_Integer)(o->uid_count ? o->uid_count : 65536) > f + c)
			bs_lua_raise(L, BS_EXIT_USAGE, "%s: the id range is outside the policy's isolation.uid_pool", where);
	}
	lua_settop(L, top);
	for (size_t i = 0; i < o->nbinds; i++) {
		struct bs_bind *b = (struct bs_bind *)&o->binds[i];

		bs_guard_mount(L, "bs.ctx.create: binds", b->source, b->target, &b->flags);
	}
}

/* ---- host directories: result and cache directories ---- */

/* Raises exit 2 unless path is at or below one of the guard's `key` paths. */
static void guard_under(lua_State *L, const char *what, const char *path, const char *key, const char *desc)
{
	char d[4096];
	int top = lua_gettop(L), ok = 0;

	if (!bs_guard_push(L)) {
		lua_settop(L, top);
		return;
	}
	if (bs_guard_normpath(path, d, sizeof d) == 0 && lua_getfield(L, -1, key) == LUA_TTABLE) {
		for (lua_Integer i = 1; !ok && lua_rawgeti(L, -1, i) == LUA_TSTRING; i++) {
			const char *r = lua_tostring(L, -1);
			size_t n = strlen(r);

			ok = strncmp(d, r, n) == 0 && (d[n] == '\0' || d[n] == '/' || strcmp(r, "/") == 0);
			lua_pop(L, 1);
		}
	}
	lua_settop(L, top);
	if (!ok)
		bs_lua_raise(L, BS_EXIT_USAGE, "%s: %s is not %s", what, path, desc);
}

void bs_guard_dest(lua_State *L, const char *what, const char *dest)
{
	guard_under(L, what, dest, "resultdirs", "the job's result directory");
}

void bs_guard_cachedir(lua_State *L, const char *what, const char *dir)
{
	guard_under(L, what, dir, "cachedirs", "in the job's cache directory");
}
