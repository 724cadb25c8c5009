/* bsrun_host file helpers for the chain (trusted Lua only): an exclusive
 * lock, a no-symlink copy of a regular file, sha256, mkdir -p, isatty, the
 * path of bsrun itself. */
#include "fetch.h"
#include "lhost.h"
#include "mkdirs.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <limits.h>
#include <solv/chksum.h>
#include <solv/knownid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_MT "bsrun_host.lock"

static int fail_errno(lua_State *L, int e, const char *what, const char *path)
{
	luaL_pushfail(L);
	lua_pushfstring(L, "%s %s: %s", what, path, strerror(e));
	lua_pushinteger(L, e);
	return 3;
}

/* bsrun_host.lock(path) → lock (held until lock:unlock() or collection), or
 * nil, msg, errno. flock(LOCK_EX) on path, created 0644 (no symlink followed);
 * waits for other holders, on this machine or over a shared file system
 * that supports flock. */
static int h_lock(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	int *slot = lua_newuserdatauv(L, sizeof *slot, 0);
	int fd;

	*slot = -1;
	luaL_setmetatable(L, LOCK_MT);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail_errno(L, errno, "cannot open the lock", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;

			close(fd);
			return fail_errno(L, e, "cannot lock", path);
		}
	}
	*slot = fd;
	return 1;
}

static int lock_unlock(lua_State *L)
{
	int *slot = luaL_checkudata(L, 1, LOCK_MT);

	if (*slot >= 0)
		close(*slot);
	*slot = -1;
	return 0;
}

/* bsrun_host.copyfile(src, dst) → true, or nil, msg, errno. src must be a
 * regular file (opened O_NOFOLLOW); dst is written beside itself and renamed
 * into place, so readers see the old file or the whole new one. */
static int h_copyfile(lua_State *L)
{
	const char *src = luaL_checkstring(L, 1), *dst = luaL_checkstring(L, 2);
	char tmp[PATH_MAX], buf[65536];
	struct stat sb;
	int in, out, e = 0;
	ssize_t r;

	if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", dst, (long)getpid()) >= (int)sizeof tmp)
		return fail_errno(L, ENAMETOOLONG, "cannot copy to", dst);
	in = open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0)
		return fail_errno(L, errno, "cannot open", src);
	if (fstat(in, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(in);
		return fail_errno(L, EINVAL, "not a regular file:", src);
	}
	unlink(tmp);
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0) {
		e = errno;
		close(in);
		return fail_errno(L, e, "cannot create", tmp);
	}
	while ((r = read(in, buf, sizeof buf)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			break;
		}
		for (ssize_t off = 0; off < r && !e;) {
			ssize_t w = write(out, buf + off, (size_t)(r - off));

			if (w < 0 && errno != EINTR)
				e = errno;
			else if (w > 0)
				off += w;
		}
		if (e)
			break;
	}
	close(in);
	if (!e && fsync(out) < 0)
		e = errno;
	if (close(out) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, dst) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		return fail_errno(L, e, "cannot copy to", dst);
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* Hashes data with sha256 into hex (65 bytes). */
static void sha256_hex(Chksum *c, char hex[65])
{
	int len = 0;
	const unsigned char *d = solv_chksum_get(c, &len);

	for (int i = 0; i < len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	hex[64] = '\0';
}

/* bsrun_host.sha256(string) → hex digest. */
static int h_sha256(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	Chksum *c = solv_chksum_create(REPOKEY_TYPE_SHA256);
	char hex[65];

	solv_chksum_add(c, s, (int)len);
	sha256_hex(c, hex);
	solv_chksum_free(c, NULL);
	lua_pushstring(L, hex);
	return 1;
}

/* bsrun_host.sha256file(path) → hex digest of a regular file (no symlink
 * followed), or nil, msg, errno. */
static int h_sha256file(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	char hex[65];
	struct stat sb;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), r;

	if (fd < 0)
		return fail_errno(L, errno, "cannot open", path);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return fail_errno(L, EINVAL, "not a regular file:", path);
	}
	r = bs_fetch_fd_chksum(fd, "sha256", hex, sizeof hex);
	close(fd);
	if (r < 0)
		return fail_errno(L, -r, "cannot read", path);
	lua_pushstring(L, hex);
	return 1;
}

/* bsrun_host.mkdirs(path) → true, or nil, msg, errno (mkdir -p, 0755). */
static int h_mkdirs(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	int r = bs_mkdirs(path, 0755);

	if (r < 0)
		return fail_errno(L, -r, "cannot make", path);
	lua_pushboolean(L, 1);
	return 1;
}

/* bsrun_host.isatty(fd) → whether fd is a terminal. */
static int h_isatty(lua_State *L)
{
	lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
	return 1;
}

/* bsrun_host.exe() → the absolute path of the running bsrun, or nil, msg. */
static int h_exe(lua_State *L)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);

	if (n < 0)
		return fail_errno(L, errno, "cannot read", "/proc/self/exe");
	path[n] = '\0';
	lua_pushstring(L, path);
	return 1;
}

/* bsrun_host.realpath(path) → the canonical absolute path, or nil, msg, errno. */
static int h_realpath(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	char *r = realpath(path, NULL);

	if (!r)
		return fail_errno(L, errno, "cannot resolve", path);
	lua_pushstring(L, r);
	free(r);
	return 1;
}

void bs_lua_open_host_file(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "lock", h_lock }, { "copyfile", h_copyfile }, { "sha256", h_sha256 },
		{ "sha256file", h_sha256file }, { "mkdirs", h_mkdirs }, { "isatty", h_isatty },
		{ "exe", h_exe }, { "realpath", h_realpath }, { NULL, NULL },
	};

	if (luaL_newmetatable(L, LOCK_MT)) {
		lua_createtable(L, 0, 1);
		lua_pushcfunction(L, lock_unlock);
		lua_setfield(L, -2, "unlock");
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, lock_unlock);
		lua_setfield(L, -2, "__gc");
	}
	lua_pop(L, 1);
	luaL_setfuncs(L, funcs, 0);
}
