/* bs.ctx: isolation contexts for Lua.
 *
 *   local ctx = bs.ctx.create{ root = "/srv/root", binds = {{"/usr", "/usr", ro = true}}, ... }
 *   local how, code = ctx:exec({"rpmbuild", "-ba", "x.spec"}, { cwd = "/build", timeout = 3600 })
 *   ctx:kill()
 *
 * Misuse (wrong types, unknown keys, a closed context) raises an error; a
 * system failure returns nil, message, errno. Context objects are userdata
 * with __gc and __close (both kill the context) and a hidden metatable. */
#include "caps.h"
#include "ctx.h"
#include "exitcodes.h"
#include "lbs.h"
#include "lbs_guard.h"
#include "mountin.h"

#include <errno.h>
#include <lauxlib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#define CTX_MT "bs.ctx"

struct lctx {
	struct bs_ctx *c; /* NULL once closed */
};

/* ---- option tables ---- */

/* Pushes field k of table t; returns its type. */
static int field(lua_State *L, int t, const char *k)
{
	return lua_getfield(L, t, k);
}

static const char *opt_string(lua_State *L, int t, const char *k, const char *what)
{
	const char *s = NULL;

	if (field(L, t, k) != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "%s: '%s' must be a string", what, k);
		s = lua_tostring(L, -1);
	}
	lua_pop(L, 1); /* the string stays alive: the option table holds it */
	return s;
}

static int opt_bool(lua_State *L, int t, const char *k, const char *what)
{
	int v = 0;

	if (field(L, t, k) != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TBOOLEAN)
			luaL_error(L, "%s: '%s' must be a boolean", what, k);
		v = lua_toboolean(L, -1);
	}
	lua_pop(L, 1);
	return v;
}

/* A non-negative integer, or a string of digits with a K, M, G or T suffix
 * (powers of 1024) for sizes. */
static uint64_t opt_size(lua_State *L, int t, const char *k, const char *what, uint64_t max, int suffixes)
{
	uint64_t v = 0;

	if (field(L, t, k) != LUA_TNIL) {
		if (lua_isinteger(L, -1)) {
			lua_Integer i = lua_tointeger(L, -1);

			if (i < 0 || (uint64_t)i > max)
				luaL_error(L, "%s: '%s' out of range", what, k);
			v = (uint64_t)i;
		} else if (suffixes && lua_type(L, -1) == LUA_TSTRING) {
			const char *s = lua_tostring(L, -1);
			char *end;
			unsigned long long n;
			int shift = 0;

			if (*s < '0' || *s > '9')
				luaL_error(L, "%s: '%s' is not a size: %s", what, k, s);
			errno = 0;
			n = strtoull(s, &end, 10);
			switch (*end) {
			case 'K': shift = 10; end++; break;
			case 'M': shift = 20; end++; break;
			case 'G': shift = 30; end++; break;
			case 'T': shift = 40; end++; break;
			default: break;
			}
			if (errno || *end || n > (max >> shift))
				luaL_error(L, "%s: '%s' is not a size: %s", what, k, s);
			v = (uint64_t)n << shift;
		} else {
			luaL_error(L, "%s: '%s' must be a non-negative integer%s", what, k,
				   suffixes ? " or a size like \"4G\"" : "");
		}
	}
	lua_pop(L, 1);
	return v;
}

/* Builds a NULL-terminated array of strings from a sequence (in a userdata
 * left on the stack, so Lua frees it). Returns NULL for nil. */
static const char **opt_strlist(lua_State *L, int t, const char *k, const char *what)
{
	const char **v;
	lua_Integer n;

	if (field(L, t, k) == LUA_TNIL) {
		lua_pop(L, 1);
		lua_pushnil(L); /* keep the stack shape: one slot per list */
		return NULL;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "%s: '%s' must be a list of strings", what, k);
	n = (lua_Integer)lua_rawlen(L, -1);
	if (n > 4096)
		luaL_error(L, "%s: '%s' is too long", what, k);
	v = lua_newuserdatauv(L, sizeof *v * (size_t)(n + 1), 0);
	for (lua_Integer i = 1; i <= n; i++) {
		if (lua_rawgeti(L, -2, i) != LUA_TSTRING)
			luaL_error(L, "%s: '%s' must be a list of strings", what, k);
		v[i - 1] = lua_tostring(L, -1); /* anchored by the list */
		lua_pop(L, 1);
	}
	v[n] = NULL;
	lua_remove(L, -2); /* the list stays referenced by the option table */
	return v;
}

/* env = { NAME = "value", ... } → "NAME=value" strings, sorted, in a userdata
 * left on the stack. NULL for nil. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char **opt_env(lua_State *L, int t, const char *what)
{
	size_t n = 0, i = 0;
	char **v;

	if (field(L, t, "env") == LUA_TNIL) {
		lua_pop(L, 1);
		lua_pushnil(L);
		return NULL;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "%s: 'env' must be a table of NAME = value", what);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		n++;
		lua_pop(L, 1);
	}
	if (n > 4096)
		luaL_error(L, "%s: 'env' is too large", what);
	v = lua_newuserdatauv(L, sizeof *v * (n + 1), 1);
	lua_createtable(L, (int)n, 0); /* the "NAME=value" strings, anchored */
	lua_setiuservalue(L, -2, 1);
	lua_getiuservalue(L, -1, 1);
	lua_pushnil(L);
	while (lua_next(L, -4)) {
		const char *name, *val;

		if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "%s: 'env' must map names to strings", what);
		name = lua_tostring(L, -2);
		val = lua_tostring(L, -1);
		if (!*name || strchr(name, '=') || strlen(name) != lua_rawlen(L, -2) || strlen(val) != lua_rawlen(L, -1))
			luaL_error(L, "%s: bad environment variable '%s'", what, name);
		lua_pushfstring(L, "%s=%s", name, val);
		v[i] = (char *)lua_tostring(L, -1);
		lua_rawseti(L, -4, (lua_Integer)++i);
		lua_pop(L, 1);
	}
	lua_pop(L, 1); /* the strings table */
	v[n] = NULL;
	qsort(v, n, sizeof *v, cmp_str);
	lua_remove(L, -2); /* the env table */
	return v;
}

static uint64_t opt_caps(lua_State *L, int t, const char *what)
{
	uint64_t caps = 0;
	lua_Integer n;

	if (field(L, t, "caps") == LUA_TNIL) {
		lua_pop(L, 1);
		return bs_caps_default();
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "%s: 'caps' must be a list of capability names", what);
	n = (lua_Integer)lua_rawlen(L, -1);
	for (lua_Integer i = 1; i <= n; i++) {
		int cap;

		if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
			luaL_error(L, "%s: 'caps' must be a list of capability names", what);
		cap = bs_caps_from_name(lua_tostring(L, -1));
		if (cap < 0)
			luaL_error(L, "%s: unknown capability '%s'", what, lua_tostring(L, -1));
		caps |= BS_CAP(cap);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return caps;
}

/* binds = { { "/host", "/inside", ro = true, nosuid = ..., nodev = ..., noexec = ..., recursive = ... }, ... }
 * (or src = / dst = instead of the two positional strings) */
static struct bs_bind *opt_binds(lua_State *L, int t, size_t *count, const char *what)
{
	static const char *const keys[] = { "src", "dst", "ro", "nosuid", "nodev", "noexec", "recursive", NULL };
	static const struct { const char *k; unsigned f; } flags[] = {
		{ "ro", BS_BIND_RO }, { "nosuid", BS_BIND_NOSUID }, { "nodev", BS_BIND_NODEV },
		{ "noexec", BS_BIND_NOEXEC }, { "recursive", BS_BIND_RECURSIVE },
	};
	struct bs_bind *b;
	lua_Integer n;

	*count = 0;
	if (field(L, t, "binds") == LUA_TNIL) {
		lua_pop(L, 1);
		lua_pushnil(L);
		return NULL;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "%s: 'binds' must be a list of tables", what);
	n = (lua_Integer)lua_rawlen(L, -1);
	if (n > 256)
		luaL_error(L, "%s: too many binds", what);
	b = lua_newuserdatauv(L, sizeof *b * (size_t)(n ? n : 1), 0);
	for (lua_Integer i = 1; i <= n; i++) {
		int e;

		if (lua_rawgeti(L, -2, i) != LUA_TTABLE)
			luaL_error(L, "%s: binds[%d] must be a table", what, (int)i);
		e = lua_gettop(L);
		/* positional source and target are allowed besides the keys */
		lua_pushnil(L);
		while (lua_next(L, e)) {
			lua_pop(L, 1);
			if (lua_isinteger(L, -1) && (lua_tointeger(L, -1) == 1 || lua_tointeger(L, -1) == 2))
				continue;
			if (lua_type(L, -1) != LUA_TSTRING) {
				luaL_error(L, "%s: binds[%d]: unknown option", what, (int)i);
			} else {
				int ok = 0;

				for (const char *const *k = keys; *k && !ok; k++)
					ok = strcmp(*k, lua_tostring(L, -1)) == 0;
				if (!ok)
					luaL_error(L, "%s: binds[%d]: unknown option '%s'", what, (int)i, lua_tostring(L, -1));
			}
		}
		b[i - 1].source = opt_string(L, e, "src", what);
		b[i - 1].target = opt_string(L, e, "dst", what);
		if (!b[i - 1].source && lua_rawgeti(L, e, 1) == LUA_TSTRING)
			b[i - 1].source = lua_tostring(L, -1);
		lua_settop(L, e);
		if (!b[i - 1].target && lua_rawgeti(L, e, 2) == LUA_TSTRING)
			b[i - 1].target = lua_tostring(L, -1);
		lua_settop(L, e);
		if (!b[i - 1].source || !b[i - 1].target)
			luaL_error(L, "%s: binds[%d] needs a source and a target", what, (int)i);
		b[i - 1].flags = 0;
		for (size_t f = 0; f < sizeof flags / sizeof *flags; f++)
			if (opt_bool(L, e, flags[f].k, what))
				b[i - 1].flags |= flags[f].f;
		lua_pop(L, 1);
	}
	lua_remove(L, -2);
	*count = (size_t)n;
	return b;
}

/* ---- results ---- */

static int fail(lua_State *L, int neg, const char *msg)
{
	luaL_pushfail(L);
	lua_pushstring(L, msg);
	lua_pushinteger(L, -neg);
	return 3;
}

/* "exit", code | "signal", signo */
static int push_status(lua_State *L, int st)
{
	if (WIFSIGNALED(st)) {
		lua_pushliteral(L, "signal");
		lua_pushinteger(L, WTERMSIG(st));
	} else {
		lua_pushliteral(L, "exit");
		lua_pushinteger(L, WEXITSTATUS(st));
	}
	return 2;
}

static struct lctx *check_ctx(lua_State *L)
{
	struct lctx *x = luaL_checkudata(L, 1, CTX_MT);

	if (!x->c)
		luaL_error(L, "attempt to use a closed context");
	return x;
}

struct bs_ctx *bs_lua_check_ctx(lua_State *L, int idx)
{
	struct lctx *x = luaL_checkudata(L, idx, CTX_MT);

	if (!x->c)
		luaL_error(L, "attempt to use a closed context");
	return x->c;
}

/* ---- bs.ctx.create ---- */

static int l_create(lua_State *L)
{
	static const char *const keys[] = {
		"root", "hostname", "domainname", "binds", "caps", "memory", "pids", "cpu_weight", "nofile",
		"fsize", "timeout", "network", "env", "single_id_map", "syscalls", "proc_subset",
		"root_readonly", "uid_first", "uid_count", "own_root", "allow_unenforced_limits", "ids", NULL,
	};
	const char *what = "bs.ctx.create";
	struct bs_ctx_opts o;
	struct lctx *x;
	char err[512];
	int r, t = 1;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	bs_guard_ctx_defaults(L, 1); /* isolation = policy table, and the trusted policy's defaults */
	bs_lua_check_keys(L, t, what, keys, BS_KEYS_OPTION);
	bs_ctx_opts_init(&o);
	o.root = opt_string(L, t, "root", what);
	if (!o.root)
		return luaL_error(L, "%s: 'root' is required", what);
	o.hostname = opt_string(L, t, "hostname", what);
	o.domainname = opt_string(L, t, "domainname", what);
	o.caps = opt_caps(L, t, what);
	o.memory = opt_size(L, t, "memory", what, UINT64_MAX >> 1, 1);
	if (field(L, t, "pids") != LUA_TNIL)
		o.pids = (unsigned)opt_size(L, t, "pids", what, 1u << 22, 0);
	lua_pop(L, 1);
	o.cpu_weight = (unsigned)opt_size(L, t, "cpu_weight", what, 10000, 0);
	if (field(L, t, "nofile") != LUA_TNIL)
		o.nofile = opt_size(L, t, "nofile", what, 1u << 30, 0);
	lua_pop(L, 1);
	o.fsize = opt_size(L, t, "fsize", what, UINT64_MAX >> 1, 1);
	o.timeout_s = (unsigned)opt_size(L, t, "timeout", what, 1u << 30, 0);
	o.uid_first = (uint32_t)opt_size(L, t, "uid_first", what, UINT32_MAX, 0);
	o.uid_count = (uint32_t)opt_size(L, t, "uid_count", what, UINT32_MAX, 0);
	if (field(L, t, "ids") != LUA_TNIL)
		o.ids = bs_lua_image_root_ids(L, -1); /* a root from bs.image.root: its reserved range */
	lua_pop(L, 1);
	switch (field(L, t, "network")) {
	case LUA_TNIL:
		break;
	case LUA_TBOOLEAN:
		if (lua_toboolean(L, -1))
			return luaL_error(L, "%s: 'network' is false (an empty network) or \"host\"", what);
		break;
	case LUA_TSTRING:
		if (strcmp(lua_tostring(L, -1), "host") == 0) {
			o.network_host = 1;
			break;
		}
		/* fall through */
	default:
		return luaL_error(L, "%s: 'network' is false (an empty network) or \"host\"", what);
	}
	lua_pop(L, 1);
	o.single_id_map = opt_bool(L, t, "single_id_map", what);
	o.allow_unenforced_limits = opt_bool(L, t, "allow_unenforced_limits", what);
	if (opt_bool(L, t, "proc_subset", what))
		o.flags |= BS_CTX_PROC_SUBSET;
	if (opt_bool(L, t, "root_readonly", what))
		o.flags |= BS_CTX_ROOT_RO;
	if (opt_bool(L, t, "own_root", what))
		o.flags |= BS_CTX_OWN_ROOT;
	/* from here on each helper leaves one value on the stack (slots 2..) */
	o.binds = opt_binds(L, t, &o.nbinds, what);
	o.env = opt_env(L, t, what);
	if (field(L, t, "syscalls") != LUA_TNIL) {
		int s = lua_gettop(L);
		static const char *const skeys[] = { "allow", "deny", NULL };

		if (!lua_istable(L, s))
			return luaL_error(L, "%s: 'syscalls' must be a table { allow = {...}, deny = {...} }", what);
		bs_lua_check_keys(L, s, "bs.ctx.create: syscalls", skeys, BS_KEYS_OPTION);
		o.syscalls_allow = opt_strlist(L, s, "allow", what);
		o.syscalls_deny = opt_strlist(L, s, "deny", what);
	}
	bs_guard_ctx_check(L, &o); /* never beyond the trusted policy */
	/* the object first (closed), then the context: an error later cannot leak it */
	x = lua_newuserdatauv(L, sizeof *x, 0);
	x->c = NULL;
	luaL_setmetatable(L, CTX_MT);
	r = bs_ctx_create(&o, &x->c, err, sizeof err);
	if (r < 0)
		return fail(L, r, err);
	return 1;
}

/* ---- methods ---- */

/* A Lua file handle (io.open, io.stdout, ...) → its fd; nil → -1. */
static int opt_stream(lua_State *L, int t, const char *k, const char *what)
{
	int fd = -1;

	int type = field(L, t, k);

	if (type == LUA_TSTRING && strcmp(lua_tostring(L, -1), "terminal") == 0) {
		/* bsrun's own stdin/stdout/stderr (bsrun --shell): a terminal only,
		 * and in a recipe only when the user asked for a shell */
		int own = strcmp(k, "stdin") == 0 ? 0 : strcmp(k, "stdout") == 0 ? 1 : 2;

		if (bs_guard_push(L)) {
			int allowed = lua_getfield(L, -1, "shell") == LUA_TBOOLEAN && lua_toboolean(L, -1);

			lua_pop(L, 2);
			if (!allowed)
				bs_lua_raise(L, BS_EXIT_USAGE, "%s: '%s' = \"terminal\" needs bsrun --shell", what, k);
		}
		if (!isatty(own))
			luaL_error(L, "%s: '%s' = \"terminal\": bsrun's %s is not a terminal", what, k, k);
		fd = own;
	} else if (type != LUA_TNIL) {
		luaL_Stream *s = luaL_testudata(L, -1, LUA_FILEHANDLE);

		if (!s)
			luaL_error(L, "%s: '%s' must be a file handle or \"terminal\"", what, k);
		if (!s->closef || !s->f)
			luaL_error(L, "%s: '%s' is a closed file", what, k);
		fflush(s->f);
		fd = fileno(s->f);
	}
	lua_pop(L, 1);
	return fd;
}

/* ctx:exec(argv [, opts]) → "exit", code | "signal", signo | "timeout", signo
 * opts: cwd, env, stdin, stdout, stderr (file handles), timeout, uid, gid, keep_orphans */
static int l_exec(lua_State *L)
{
	static const char *const keys[] = { "cwd", "env", "stdin", "stdout", "stderr", "timeout", "uid", "gid",
					    "keep_orphans", NULL };
	const char *what = "ctx:exec";
	struct lctx *x = check_ctx(L);
	struct bs_exec_opts eo;
	const char **argv;
	char err[512];
	lua_Integer n;
	int st = 0, r;

	luaL_checktype(L, 2, LUA_TTABLE);
	if (!lua_isnoneornil(L, 3))
		luaL_checktype(L, 3, LUA_TTABLE);
	lua_settop(L, 3);
	n = (lua_Integer)lua_rawlen(L, 2);
	if (n < 1 || n > 65536)
		return luaL_error(L, "%s: argv must be a non-empty list of strings", what);
	argv = lua_newuserdatauv(L, sizeof *argv * (size_t)(n + 1), 0); /* slot 4 */
	for (lua_Integer i = 1; i <= n; i++) {
		size_t len;

		if (lua_rawgeti(L, 2, i) != LUA_TSTRING)
			return luaL_error(L, "%s: argv must be a non-empty list of strings", what);
		argv[i - 1] = lua_tolstring(L, -1, &len);
		if (strlen(argv[i - 1]) != len)
			return luaL_error(L, "%s: argv[%d] contains a NUL byte", what, (int)i);
		lua_pop(L, 1);
	}
	argv[n] = NULL;
	if (!argv[0][0])
		return luaL_error(L, "%s: argv[1] is empty", what);
	bs_exec_opts_init(&eo);
	if (lua_istable(L, 3)) {
		bs_lua_check_keys(L, 3, what, keys, BS_KEYS_OPTION);
		eo.cwd = opt_string(L, 3, "cwd", what);
		eo.stdin_fd = opt_stream(L, 3, "stdin", what);
		eo.stdout_fd = opt_stream(L, 3, "stdout", what);
		eo.stderr_fd = opt_stream(L, 3, "stderr", what);
		eo.timeout_s = (unsigned)opt_size(L, 3, "timeout", what, 1u << 30, 0);
		eo.uid = (uint32_t)opt_size(L, 3, "uid", what, 65535, 0);
		eo.gid = (uint32_t)opt_size(L, 3, "gid", what, 65535, 0);
		eo.keep_orphans = opt_bool(L, 3, "keep_orphans", what);
		eo.env = opt_env(L, 3, what); /* slot 5 */
	}
	r = bs_ctx_exec(x->c, (char *const *)argv, &eo, &st, err, sizeof err);
	if (r == -ETIMEDOUT) {
		lua_pushliteral(L, "timeout");
		lua_pushinteger(L, WIFSIGNALED(st) ? WTERMSIG(st) : SIGKILL);
		return 2;
	}
	if (r < 0)
		return fail(L, r, err);
	return push_status(L, st);
}

/* ctx:mount(source, target [, {ro=, nosuid=, nodev=, noexec=, recursive=}]) →
 * true | nil, msg, errno. nosuid and nodev are always on; under a policy only
 * its isolation.mounts (with at least their flags). A symlink on the target
 * path inside the context raises. */
static int l_mount(lua_State *L)
{
	static const char *const keys[] = { "ro", "nosuid", "nodev", "noexec", "recursive", NULL };
	const char *what = "ctx:mount";
	struct lctx *x = check_ctx(L);
	const char *source = luaL_checkstring(L, 2), *target = luaL_checkstring(L, 3);
	unsigned flags = BS_BIND_NOSUID | BS_BIND_NODEV;
	char err[512];
	int r;

	if (strlen(source) != lua_rawlen(L, 2) || strlen(target) != lua_rawlen(L, 3))
		return luaL_error(L, "%s: paths must not contain NUL bytes", what);
	if (!lua_isnoneornil(L, 4)) {
		luaL_checktype(L, 4, LUA_TTABLE);
		bs_lua_check_keys(L, 4, what, keys, BS_KEYS_OPTION);
		if (opt_bool(L, 4, "ro", what))
			flags |= BS_BIND_RO;
		if (opt_bool(L, 4, "noexec", what))
			flags |= BS_BIND_NOEXEC;
		if (opt_bool(L, 4, "recursive", what))
			flags |= BS_BIND_RECURSIVE;
		(void)opt_bool(L, 4, "nosuid", what); /* type-checked; always on */
		(void)opt_bool(L, 4, "nodev", what);
	}
	bs_guard_mount(L, what, source, target, &flags);
	r = bs_mount_in(x->c, source, target, flags, err, sizeof err);
	if (r == -ELOOP)
		return luaL_error(L, "%s: %s: a symbolic link on the target path inside the context (refused)", what,
				  target);
	if (r < 0)
		return fail(L, r, err);
	lua_pushboolean(L, 1);
	return 1;
}

/* ctx:kill() → true | nil, msg, errno */
static int l_kill(lua_State *L)
{
	struct lctx *x = luaL_checkudata(L, 1, CTX_MT);
	int r = x->c ? bs_ctx_kill(x->c) : 0;

	if (r < 0)
		return fail(L, r, "killing the context left its cgroup behind");
	lua_pushboolean(L, 1);
	return 1;
}

/* ctx:wait() → "exit", code | "signal", signo (of the context's init) */
static int l_wait(lua_State *L)
{
	struct lctx *x = check_ctx(L);
	int st = 0, r = bs_ctx_wait(x->c, &st);

	if (r < 0)
		return fail(L, r, "releasing the context");
	return push_status(L, st);
}

/* ctx:info() → { id =, pid =, alive =, uid_first =, uid_count =, limits = { memory =, pids =, time = },
 *               unenforced = { memory =, pids = } } (unenforced: rootless, allow_unenforced_limits) */
static int l_info(lua_State *L)
{
	struct lctx *x = check_ctx(L);
	unsigned hit = bs_ctx_limits_hit(x->c);
	uint32_t first, count;

	bs_ctx_idrange(x->c, &first, &count);
	lua_createtable(L, 0, 7);
	lua_pushinteger(L, bs_ctx_id(x->c));
	lua_setfield(L, -2, "id");
	lua_pushinteger(L, bs_ctx_pid(x->c));
	lua_setfield(L, -2, "pid");
	lua_pushboolean(L, bs_ctx_alive(x->c));
	lua_setfield(L, -2, "alive");
	lua_pushinteger(L, first);
	lua_setfield(L, -2, "uid_first");
	lua_pushinteger(L, count);
	lua_setfield(L, -2, "uid_count");
	lua_createtable(L, 0, 3);
	lua_pushboolean(L, (hit & BS_LIMIT_MEMORY) != 0);
	lua_setfield(L, -2, "memory");
	lua_pushboolean(L, (hit & BS_LIMIT_PIDS) != 0);
	lua_setfield(L, -2, "pids");
	lua_pushboolean(L, (hit & BS_LIMIT_TIME) != 0);
	lua_setfield(L, -2, "time");
	lua_setfield(L, -2, "limits");
	lua_createtable(L, 0, 2);
	lua_pushboolean(L, (bs_ctx_unenforced(x->c) & BS_LIMIT_MEMORY) != 0);
	lua_setfield(L, -2, "memory");
	lua_pushboolean(L, (bs_ctx_unenforced(x->c) & BS_LIMIT_PIDS) != 0);
	lua_setfield(L, -2, "pids");
	lua_setfield(L, -2, "unenforced");
	return 1;
}

/* __gc and __close: kill and free; idempotent */
static int l_close(lua_State *L)
{
	struct lctx *x = luaL_checkudata(L, 1, CTX_MT);

	if (x->c) {
		bs_ctx_free(x->c);
		x->c = NULL;
	}
	return 0;
}

static int l_tostring(lua_State *L)
{
	struct lctx *x = luaL_checkudata(L, 1, CTX_MT);

	if (!x->c)
		lua_pushliteral(L, "bs.ctx (closed)");
	else
		lua_pushfstring(L, "bs.ctx %d (%s)", (int)bs_ctx_id(x->c), bs_ctx_alive(x->c) ? "alive" : "dead");
	return 1;
}

int luaopen_bs_ctx(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "create", l_create },
		{ NULL, NULL },
	};
	static const luaL_Reg methods[] = {
		{ "exec", l_exec }, { "mount", l_mount }, { "kill", l_kill }, { "wait", l_wait }, { "info", l_info },
		{ "close", l_close }, { NULL, NULL },
	};
	static const luaL_Reg meta[] = {
		{ "__gc", l_close }, { "__close", l_close }, { "__tostring", l_tostring }, { NULL, NULL },
	};

	if (luaL_newmetatable(L, CTX_MT)) {
		luaL_setfuncs(L, meta, 0);
		luaL_newlib(L, methods);
		lua_setfield(L, -2, "__index");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
	}
	lua_pop(L, 1);
	luaL_newlib(L, funcs);
	return 1;
}
