/* bs.results: a build's result directory for Lua (src/results.c).
 *
 *   local r = bs.results.begin(b.resultdir)   -- staging dir beside it
 *   local log = r:open("build.log", { tee = true })  -- a file handle for ctx:exec
 *   r:write("results.json", text)
 *   local tail = r:tail("build.log", 2000)
 *   local final, aside = r:commit()           -- put in place, earlier one moved aside
 *
 * In the recipe sandbox only the result directories the trusted side
 * registered (bs_lua_results_allow) can be begun. Names are single safe file
 * names. Misuse raises; a system failure returns nil, message, errno. */
#include "lbs.h"
#include "results.h"
#include "sanitize.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RESULTS_MT "bs.results"
#define ALLOWED_KEY "bsrun.results.allowed"
#define MAX_PUMPS 16

struct lresults {
	struct bs_results *r; /* NULL once closed */
	pid_t pumps[MAX_PUMPS];
	int npumps;
};

void bs_lua_results_allow(lua_State *L, const char *path)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, ALLOWED_KEY) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, ALLOWED_KEY);
	}
	lua_pushboolean(L, 1);
	lua_setfield(L, -2, path);
	lua_pop(L, 1);
}

static int allowed(lua_State *L, const char *path)
{
	int ok = 1;

	if (lua_getfield(L, LUA_REGISTRYINDEX, ALLOWED_KEY) == LUA_TTABLE) {
		ok = lua_getfield(L, -1, path) == LUA_TBOOLEAN;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return ok;
}

static struct lresults *check(lua_State *L, int idx)
{
	struct lresults *lr = luaL_checkudata(L, idx, RESULTS_MT);

	if (!lr->r)
		luaL_error(L, "bs.results: the result directory is closed");
	return lr;
}

static int fail(lua_State *L, int negerr, const char *what)
{
	lua_pushnil(L);
	lua_pushfstring(L, "%s: %s", what, strerror(-negerr));
	lua_pushinteger(L, -negerr);
	return 3;
}

static const char *check_name(lua_State *L, int idx)
{
	const char *name = luaL_checkstring(L, idx);

	if (!bs_results_name_ok(name))
		luaL_error(L, "bs.results: '%s' is not a plain file name", name);
	return name;
}

/* bs.results.begin(path) → results object | nil, msg, errno */
static int l_begin(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct lresults *lr;
	char err[512];
	int ret;

	if (!allowed(L, path))
		return luaL_error(L, "bs.results.begin: %s is not this job's result directory", path);
	lr = lua_newuserdatauv(L, sizeof *lr, 1);
	memset(lr, 0, sizeof *lr);
	luaL_setmetatable(L, RESULTS_MT);
	lua_newtable(L); /* the file handles opened, closed at commit */
	lua_setiuservalue(L, -2, 1);
	ret = bs_results_begin(path, &lr->r, err, sizeof err);
	if (ret < 0) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		lua_pushinteger(L, -ret);
		return 3;
	}
	return 1;
}

/* __close of the file handles we make: like io's. */
static int stream_close(lua_State *L)
{
	luaL_Stream *p = luaL_checkudata(L, 1, LUA_FILEHANDLE);
	int res = fclose(p->f);

	return luaL_fileresult(L, res == 0, NULL);
}

/* Writes all of buf to fd (short writes retried; errors end it). */
static void write_all(int fd, const char *buf, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, buf + off, n - off);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

/* Copies rd to the file -- at most max bytes (0: no limit), then one note
 * saying the rest was discarded, all within max -- and, when tee is set, line by line and
 * sanitized to stderr, until EOF. The writer never blocks on a full log:
 * past the limit its output is read and dropped. */
static _Noreturn void pump(int rd, int fd, int tee, uint64_t max)
{
	char buf[8192], line[4096];
	size_t used = 0;
	/* the note counts against the limit too */
	uint64_t written = 0, room = max > 256 ? max - 256 : 0;
	int capped = 0;
	ssize_t n;

	signal(SIGINT, SIG_IGN);
	for (;;) {
		n = read(rd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (capped)
			continue;
		if (max && written + (uint64_t)n > room) {
			char note[160];
			int len;

			write_all(fd, buf, (size_t)(room - written));
			len = snprintf(note, sizeof note,
				       "\n[bsrun: this log reached its limit of %llu bytes; the rest of the output was discarded]\n",
				       (unsigned long long)max);
			write_all(fd, note, (size_t)len);
			if (tee && write(STDERR_FILENO, note, (size_t)len) < 0) {
				/* the terminal went away */
			}
			capped = 1;
			continue;
		}
		write_all(fd, buf, (size_t)n);
		written += (uint64_t)n;
		for (ssize_t i = 0; tee && i < n; i++) {
			line[used++] = buf[i];
			if (buf[i] == '\n' || used == sizeof line) {
				char *clean = bs_sanitize(line, used, BS_SANITIZE_KEEP_NEWLINES);
				if (clean && write(STDERR_FILENO, clean, strlen(clean)) < 0) {
					/* the terminal went away: keep filling the file */
				}
				free(clean);
				used = 0;
			}
		}
	}
	if (used) {
		char *clean = bs_sanitize(line, used, BS_SANITIZE_KEEP_NEWLINES);
		if (clean && write(STDERR_FILENO, clean, strlen(clean)) < 0) {
			/* nothing to do */
		}
		free(clean);
	}
	_exit(0);
}

/* Starts a pump from a new pipe to fd; returns the pipe's write end. */
static int start_pump(struct lresults *lr, int fd, int tee, uint64_t max)
{
	int p[2];
	pid_t pid;

	if (lr->npumps == MAX_PUMPS)
		return -EMFILE;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[1]);
		pump(p[0], fd, tee, max);
	}
	close(p[0]);
	lr->pumps[lr->npumps++] = pid;
	return p[1];
}

/* r:open(name [, {tee=bool, max=bytes}]) → file handle | nil, msg, errno.
 * tee: also shown on stderr, sanitized; max: the file keeps at most that
 * many bytes of what is written to it (a note marks the cut). Either one
 * puts a pump process between the writer and the file. */
static int l_open(lua_State *L)
{
	static const char *const keys[] = { "tee", "max", NULL };
	struct lresults *lr = check(L, 1);
	const char *name = check_name(L, 2);
	int tee = 0, fd, wfd;
	uint64_t max = 0;
	luaL_Stream *p;

	if (!lua_isnoneornil(L, 3)) {
		bs_lua_check_keys(L, 3, "results:open", keys, BS_KEYS_OPTION);
		lua_getfield(L, 3, "tee");
		tee = lua_toboolean(L, -1);
		lua_pop(L, 1);
		if (lua_getfield(L, 3, "max") != LUA_TNIL) {
			lua_Integer m = luaL_checkinteger(L, -1);
			luaL_argcheck(L, m > 0, 3, "'max' must be a positive number of bytes");
			max = (uint64_t)m;
		}
		lua_pop(L, 1);
	}
	fd = bs_results_create(lr->r, name);
	if (fd < 0)
		return fail(L, fd, name);
	wfd = fd;
	if (tee || max) {
		wfd = start_pump(lr, fd, tee, max);
		close(fd);
		if (wfd < 0)
			return fail(L, wfd, name);
	}
	if (luaL_getmetatable(L, LUA_FILEHANDLE) == LUA_TNIL) {
		/* the sandbox has no io library: run its opener only for the
		 * file metatable it registers; the io table itself is dropped */
		lua_pushcfunction(L, luaopen_io);
		lua_call(L, 0, 1);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	p = lua_newuserdatauv(L, sizeof *p, 0);
	p->closef = NULL;
	luaL_setmetatable(L, LUA_FILEHANDLE);
	p->f = fdopen(wfd, "w");
	if (!p->f) {
		int e = errno;
		close(wfd);
		return fail(L, -e, name);
	}
	setvbuf(p->f, NULL, _IOLBF, 0);
	p->closef = stream_close;
	lua_getiuservalue(L, 1, 1);
	lua_pushvalue(L, -2);
	lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
	lua_pop(L, 1);
	return 1;
}

/* r:write(name, text) → true | nil, msg, errno */
static int l_write(lua_State *L)
{
	struct lresults *lr = check(L, 1);
	const char *name = check_name(L, 2);
	size_t len;
	const char *text = luaL_checklstring(L, 3, &len);
	int ret = bs_results_write(lr->r, name, text, len);

	if (ret < 0)
		return fail(L, ret, name);
	lua_pushboolean(L, 1);
	return 1;
}

/* r:tail(name [, bytes]) → the last bytes (default 4000) of a result file,
 * sanitized (newlines kept) | nil, msg, errno */
static int l_tail(lua_State *L)
{
	struct lresults *lr = check(L, 1);
	const char *name = check_name(L, 2);
	lua_Integer max = luaL_optinteger(L, 3, 4000);
	char *buf, *clean;
	size_t len;
	int ret;

	luaL_argcheck(L, max > 0 && max <= 1 << 20, 3, "out of range (1..1048576)");
	ret = bs_results_tail(lr->r, name, (size_t)max, &buf, &len);
	if (ret < 0)
		return fail(L, ret, name);
	clean = bs_sanitize(buf, len, BS_SANITIZE_KEEP_NEWLINES);
	free(buf);
	if (!clean)
		return luaL_error(L, "out of memory");
	lua_pushstring(L, clean);
	free(clean);
	return 1;
}

/* r:copy_out(root, dir [, limits]) → report | nil, msg, errno, report: the
 * regular files below dir of a bs.fs root, flattened into the staging
 * directory unless limits.flatten == false (see bs.fs.copy_out). */
static int l_copy_out(lua_State *L)
{
	struct lresults *lr = check(L, 1);
	const char *dir = luaL_checkstring(L, 3);

	if (!lua_isnoneornil(L, 4))
		luaL_checktype(L, 4, LUA_TTABLE);
	lua_settop(L, 4);
	return bs_lfs_copy_out(L, 2, dir, bs_results_dirfd(lr->r), lua_istable(L, 4) ? 4 : 0, 1, "r:copy_out");
}

/* r:dirfd() is not exposed; r:path() → the final path. */
static int l_path(lua_State *L)
{
	lua_pushstring(L, bs_results_path(check(L, 1)->r));
	return 1;
}

/* Closes the handles opened through r and waits for their pumps. */
static void close_streams(lua_State *L, int idx, struct lresults *lr)
{
	lua_getiuservalue(L, idx, 1);
	for (lua_Integer i = 1, n = luaL_len(L, -1); i <= n; i++) {
		luaL_Stream *p;

		lua_rawgeti(L, -1, i);
		p = luaL_testudata(L, -1, LUA_FILEHANDLE);
		if (p && p->closef) {
			fclose(p->f);
			p->closef = NULL;
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	lua_newtable(L);
	lua_setiuservalue(L, idx, 1);
	for (int i = 0; i < lr->npumps; i++)
		while (waitpid(lr->pumps[i], NULL, 0) < 0 && errno == EINTR)
			;
	lr->npumps = 0;
}

/* r:commit() → final path, path the earlier result was moved to (or nil)
 * | nil, msg, errno */
static int l_commit(lua_State *L)
{
	struct lresults *lr = check(L, 1);
	char aside[320], err[512];
	int ret;

	close_streams(L, 1, lr);
	ret = bs_results_commit(lr->r, aside, sizeof aside, err, sizeof err);
	if (ret < 0) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		lua_pushinteger(L, -ret);
		return 3;
	}
	lua_pushstring(L, bs_results_path(lr->r));
	if (aside[0])
		lua_pushstring(L, aside);
	else
		lua_pushnil(L);
	bs_results_free(lr->r);
	lr->r = NULL;
	return 2;
}

/* r:abort(): removes the staging directory; fine on a closed object. */
static int l_abort(lua_State *L)
{
	struct lresults *lr = luaL_checkudata(L, 1, RESULTS_MT);

	if (lr->r) {
		close_streams(L, 1, lr);
		bs_results_free(lr->r);
		lr->r = NULL;
	}
	return 0;
}

int luaopen_bs_results(lua_State *L)
{
	static const luaL_Reg funcs[] = { { "begin", l_begin }, { NULL, NULL } };
	static const luaL_Reg methods[] = {
		{ "open", l_open }, { "write", l_write }, { "copy_out", l_copy_out }, { "tail", l_tail }, { "path", l_path },
		{ "commit", l_commit }, { "abort", l_abort }, { NULL, NULL },
	};

	if (luaL_newmetatable(L, RESULTS_MT)) {
		luaL_newlib(L, methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, l_abort);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, l_abort);
		lua_setfield(L, -2, "__close");
		lua_pushliteral(L, "bs.results");
		lua_setfield(L, -2, "__metatable");
	}
	lua_pop(L, 1);
	luaL_newlib(L, funcs);
	return 1;
}
