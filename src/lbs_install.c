/* bs.rpm.install and bs.rpm.buildrequires: librpm run inside a context
 * (install.c, breq.c) for Lua. Part of the bs.rpm table (lbs_rpm.c calls
 * bs_lua_rpm_install). Misuse raises; a failure returns nil, msg, errno. */
#include "breq.h"
#include "install.h"
#include "lbs.h"
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILES 100000
#define MAX_MACROS 4096

/* A Lua file handle in field k of the options at t → its fd (flushed); -1 when absent. */
static int opt_stream(lua_State *L, int t, const char *k, const char *what)
{
	int fd = -1;

	if (lua_getfield(L, t, k) != LUA_TNIL) {
		luaL_Stream *s = luaL_testudata(L, -1, LUA_FILEHANDLE);

		if (!s)
			luaL_error(L, "%s: options.%s: expected a file handle, got %s", what, k, luaL_typename(L, -1));
		if (!s->closef || !s->f)
			luaL_error(L, "%s: options.%s: the file is closed", what, k);
		fflush(s->f);
		fd = fileno(s->f);
	}
	lua_pop(L, 1);
	return fd;
}

static int opt_bool(lua_State *L, int t, const char *k, const char *what)
{
	int v = 0, ty = lua_getfield(L, t, k);

	if (ty == LUA_TBOOLEAN)
		v = lua_toboolean(L, -1);
	else if (ty != LUA_TNIL)
		luaL_error(L, "%s: options.%s: expected a boolean, got %s", what, k, luaL_typename(L, -1));
	lua_pop(L, 1);
	return v;
}

static lua_Integer opt_int(lua_State *L, int t, const char *k, lua_Integer max, const char *what)
{
	lua_Integer v = 0;

	if (lua_getfield(L, t, k) != LUA_TNIL) {
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > max)
			luaL_error(L, "%s: options.%s: expected an integer 0-%d", what, k, (int)max);
		v = lua_tointeger(L, -1);
	}
	lua_pop(L, 1);
	return v;
}

static void push_strings(lua_State *L, char **v, size_t n)
{
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_pushstring(L, v[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

static int fail(lua_State *L, int neg, const char *msg)
{
	luaL_pushfail(L);
	lua_pushstring(L, msg);
	lua_pushinteger(L, -neg);
	return 3;
}

/* ---- install ---- */

struct progress {
	lua_State *L;
	int fn;          /* stack index of the progress function, 0 = none */
	int log_fd, installed_fd;
	int failed;      /* the function raised: its error is at stack index err_at */
	int err_at;
};

static void write_line(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void write_line(int fd, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 1)
		n = (int)sizeof line - 1;
	if (n > 0 && write(fd, line, (size_t)n) < 0) {
		/* a log that cannot be written does not stop the installation */
	}
}

static void on_progress(void *ud, const struct bs_install_event *ev)
{
	struct progress *p = ud;
	lua_State *L = p->L;
	const char *what = ev->what == 's' ? "start" : ev->what == 'd' ? "done" : "warning";

	if (p->log_fd >= 0) {
		if (ev->what == 's')
			write_line(p->log_fd, "bsrun: installing [%zu/%zu] %s\n", ev->index, ev->total, ev->nevra);
		else if (ev->what == 'w')
			write_line(p->log_fd, "bsrun: warning: %s\n", ev->text);
	}
	if (p->installed_fd >= 0 && ev->what == 'd')
		write_line(p->installed_fd, "%s\n", ev->nevra);
	if (!p->fn) {
		if (ev->what == 's')
			bs_log(BS_LOG_INFO, "installing [%zu/%zu] %s", ev->index, ev->total, ev->nevra);
		else if (ev->what == 'w')
			bs_log(BS_LOG_WARN, "%s", ev->text);
		return;
	}
	if (p->failed || !lua_checkstack(L, 8))
		return;
	lua_pushvalue(L, p->fn);
	lua_createtable(L, 0, 5);
	lua_pushstring(L, what);
	lua_setfield(L, -2, "what");
	lua_pushinteger(L, (lua_Integer)ev->index);
	lua_setfield(L, -2, "index");
	lua_pushinteger(L, (lua_Integer)ev->total);
	lua_setfield(L, -2, "total");
	if (ev->nevra) {
		lua_pushstring(L, ev->nevra);
		lua_setfield(L, -2, "nevra");
	}
	if (ev->text) {
		lua_pushstring(L, ev->text);
		lua_setfield(L, -2, "text");
	}
	/* never a longjmp through bs_ctx_exec: errors are raised afterwards */
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		p->failed = 1;
		p->err_at = lua_gettop(L);
	}
}

/* The langs option at field langs of t: nil or "all" → NULL; a list of
 * language names → "a:b:c" in buf. Raises on anything else. */
static const char *opt_langs(lua_State *L, int t, char *buf, size_t len, const char *what)
{
	lua_Integer n = 0;
	size_t used = 0;
	int ty = lua_getfield(L, t, "langs");

	if (ty == LUA_TNIL || (ty == LUA_TSTRING && strcmp(lua_tostring(L, -1), "all") == 0)) {
		lua_pop(L, 1);
		return NULL;
	}
	if (ty != LUA_TTABLE || (n = (lua_Integer)luaL_len(L, -1)) < 1 || n > 32)
		luaL_error(L, "%s: options.langs: expected \"all\" or a list of 1-32 language names", what);
	for (lua_Integer i = 1; i <= n; i++) {
		size_t l;
		const char *s;

		if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
			luaL_error(L, "%s: options.langs[%d]: expected a language name", what, (int)i);
		s = lua_tolstring(L, -1, &l);
		if (!l || l > 32 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@.-") != l)
			luaL_error(L, "%s: options.langs[%d]: a bad language name", what, (int)i);
		if (used + l + 2 > len)
			luaL_error(L, "%s: options.langs: too long", what);
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i > 1 ? ":" : "", s);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return buf;
}

/* bs.rpm.install(ctx, files [, opts]) → list of installed NEVRAs, or nil, msg, errno, problems.
 * files: paths or tables with a path field. opts: nofsync / fsync, nodocs (excludedocs), langs,
 * verify ("rpm" | "cache"), nodeps, log, installed_log (file handles), progress (function),
 * timeout (seconds). */
static int l_install(lua_State *L)
{
	static const char *const keys[] = { "nofsync", "fsync", "nodocs", "excludedocs", "langs", "verify", "nodeps",
					    "log", "installed_log", "progress", "timeout", NULL };
	const char *what = "bs.rpm.install";
	struct bs_ctx *c = bs_lua_check_ctx(L, 1);
	struct bs_install_opts io = { .log_fd = -1 };
	struct progress p = { .L = L, .log_fd = -1, .installed_fd = -1 };
	struct bs_install_result res;
	const char **paths;
	char err[8192], langs[32 * 34];
	lua_Integer n;
	int r, nret;

	lua_settop(L, 3);
	luaL_checktype(L, 2, LUA_TTABLE);
	if (!lua_isnil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		bs_lua_check_keys(L, 3, "bs.rpm.install: options", keys, BS_KEYS_KEY);
		if (opt_bool(L, 3, "nofsync", what))
			io.flags |= BS_INSTALL_NOFSYNC;
		if (opt_bool(L, 3, "fsync", what)) {
			if (io.flags & BS_INSTALL_NOFSYNC)
				return luaL_error(L, "%s: options: fsync and nofsync together", what);
			io.flags |= BS_INSTALL_FSYNC;
		}
		if (lua_getfield(L, 3, "verify") != LUA_TNIL) {
			const char *v = lua_tostring(L, -1);

			if (lua_type(L, -1) != LUA_TSTRING || (strcmp(v, "rpm") != 0 && strcmp(v, "cache") != 0))
				return luaL_error(L, "%s: options.verify: expected \"rpm\" or \"cache\"", what);
			if (strcmp(v, "cache") == 0)
				io.flags |= BS_INSTALL_CACHE_VERIFIED;
		}
		lua_pop(L, 1);
		io.langs = opt_langs(L, 3, langs, sizeof langs, what);
		if (opt_bool(L, 3, "nodocs", what) || opt_bool(L, 3, "excludedocs", what))
			io.flags |= BS_INSTALL_NODOCS;
		if (opt_bool(L, 3, "nodeps", what))
			io.flags |= BS_INSTALL_NODEPS;
		io.log_fd = p.log_fd = opt_stream(L, 3, "log", what);
		p.installed_fd = opt_stream(L, 3, "installed_log", what);
		io.timeout_s = (unsigned)opt_int(L, 3, "timeout", 1 << 30, what);
		if (lua_getfield(L, 3, "progress") == LUA_TFUNCTION)
			p.fn = lua_gettop(L); /* slot 4 */
		else if (!lua_isnil(L, -1))
			return luaL_error(L, "%s: options.progress: expected a function, got %s", what,
					  luaL_typename(L, -1));
	}
	if (!p.fn)
		lua_settop(L, 4); /* keep slot 4 either way */
	n = (lua_Integer)luaL_len(L, 2);
	if (n < 0 || n > MAX_FILES)
		return luaL_error(L, "%s: files: a list of at most %d files", what, MAX_FILES);
	paths = lua_newuserdatauv(L, sizeof *paths * (size_t)(n + 1), 0); /* slot 5 */
	for (lua_Integer i = 1; i <= n; i++) {
		int t = lua_rawgeti(L, 2, i);

		if (t == LUA_TTABLE) {
			if (lua_getfield(L, -1, "path") != LUA_TSTRING)
				return luaL_error(L, "%s: files[%d]: a table needs a path string", what, (int)i);
			lua_remove(L, -2); /* the string stays referenced by the table */
		} else if (t != LUA_TSTRING) {
			return luaL_error(L, "%s: files[%d]: expected a path or a table with path, got %s", what,
					  (int)i, luaL_typename(L, -1));
		}
		paths[i - 1] = lua_tostring(L, -1);
		if (strlen(paths[i - 1]) != lua_rawlen(L, -1) || !paths[i - 1][0])
			return luaL_error(L, "%s: files[%d]: a bad path", what, (int)i);
		lua_pop(L, 1);
	}
	paths[n] = NULL;
	io.progress = on_progress;
	io.ud = &p;
	r = bs_install(c, paths, (size_t)n, &io, &res, err, sizeof err);
	if (p.failed) {
		bs_install_result_free(&res);
		lua_pushvalue(L, p.err_at);
		return lua_error(L);
	}
	if (r < 0) {
		nret = fail(L, r, err);
		push_strings(L, res.problems, res.nproblems);
		bs_install_result_free(&res);
		return nret + 1;
	}
	push_strings(L, res.nevras, res.nnevras);
	bs_install_result_free(&res);
	return 1;
}

/* ---- buildrequires ---- */

/* bs.rpm.buildrequires(ctx, srpm [, macros [, opts]]) → requires, { generated =, conflicts =,
 * dynamic =, spec = }, or nil, msg, errno. macros: { {name=, value=}, ... } (driver.lua's
 * M.macros). opts: log (file handle), topdir, uid, gid, timeout. */
static int l_buildrequires(lua_State *L)
{
	static const char *const keys[] = { "log", "topdir", "uid", "gid", "timeout", NULL };
	static const char *const mkeys[] = { "name", "value", NULL };
	const char *what = "bs.rpm.buildrequires";
	struct bs_ctx *c = bs_lua_check_ctx(L, 1);
	const char *srpm = luaL_checkstring(L, 2);
	struct bs_breq_opts bo = { .log_fd = -1 };
	struct bs_breq_result res;
	struct bs_macro *m = NULL;
	char err[4096];
	lua_Integer n = 0;
	int r;

	lua_settop(L, 4);
	if (strlen(srpm) != lua_rawlen(L, 2) || !*srpm)
		return luaL_error(L, "%s: a bad path", what);
	if (!lua_isnil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		n = (lua_Integer)luaL_len(L, 3);
		if (n < 0 || n > MAX_MACROS)
			return luaL_error(L, "%s: macros: at most %d", what, MAX_MACROS);
	}
	m = lua_newuserdatauv(L, sizeof *m * (size_t)(n ? n : 1), 0); /* slot 5 */
	for (lua_Integer i = 1; i <= n; i++) {
		char where[64];

		snprintf(where, sizeof where, "%s: macros[%d]", what, (int)i);
		if (lua_rawgeti(L, 3, i) != LUA_TTABLE)
			return luaL_error(L, "%s: expected a table {name=, value=}", where);
		bs_lua_check_keys(L, -1, where, mkeys, BS_KEYS_KEY);
		if (lua_getfield(L, -1, "name") != LUA_TSTRING || lua_getfield(L, -2, "value") != LUA_TSTRING)
			return luaL_error(L, "%s: name and value must be strings", where);
		m[i - 1].name = lua_tostring(L, -2);  /* both referenced by the macro table */
		m[i - 1].value = lua_tostring(L, -1);
		if (strlen(m[i - 1].value) != lua_rawlen(L, -1))
			return luaL_error(L, "%s: value contains a NUL byte", where);
		lua_pop(L, 3);
	}
	if (!lua_isnil(L, 4)) {
		luaL_checktype(L, 4, LUA_TTABLE);
		bs_lua_check_keys(L, 4, "bs.rpm.buildrequires: options", keys, BS_KEYS_KEY);
		bo.log_fd = opt_stream(L, 4, "log", what);
		bo.timeout_s = (unsigned)opt_int(L, 4, "timeout", 1 << 30, what);
		bo.uid = (uint32_t)opt_int(L, 4, "uid", 65535, what);
		bo.gid = (uint32_t)opt_int(L, 4, "gid", 65535, what);
		if (lua_getfield(L, 4, "topdir") != LUA_TNIL) {
			if (lua_type(L, -1) != LUA_TSTRING)
				return luaL_error(L, "%s: options.topdir: expected a string", what);
			bo.topdir = lua_tostring(L, -1); /* referenced by the options */
		}
		lua_pop(L, 1);
	}
	bo.macros = m;
	bo.nmacros = (size_t)n;
	r = bs_buildrequires(c, srpm, &bo, &res, err, sizeof err);
	if (r == -EINVAL && strstr(err, "bad macro name"))
		return luaL_error(L, "%s: %s", what, err);
	if (r < 0) {
		bs_breq_result_free(&res);
		return fail(L, r, err);
	}
	push_strings(L, res.requires, res.nrequires);
	lua_createtable(L, 0, 4);
	push_strings(L, res.generated, res.ngenerated);
	lua_setfield(L, -2, "generated");
	push_strings(L, res.conflicts, res.nconflicts);
	lua_setfield(L, -2, "conflicts");
	lua_pushboolean(L, res.dynamic);
	lua_setfield(L, -2, "dynamic");
	lua_pushstring(L, res.spec);
	lua_setfield(L, -2, "spec");
	bs_breq_result_free(&res);
	return 2;
}

void bs_lua_rpm_install(lua_State *L)
{
	lua_pushcfunction(L, l_install);
	lua_setfield(L, -2, "install");
	lua_pushcfunction(L, l_buildrequires);
	lua_setfield(L, -2, "buildrequires");
}
