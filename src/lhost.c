/* bsrun_host: helpers for bsrun's own trusted Lua code (never given to recipes). */
#include "lhost.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <lauxlib.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* bsrun_host.uid() → the real uid bsrun runs as. */
static int h_uid(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)getuid());
	return 1;
}

/* bsrun_host.listdir(path) → sorted list of entry names (no . and ..), or nil, msg, errno. */
static int h_listdir(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		return luaL_fileresult(L, 0, path);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof *nn);
			if (!nn)
				goto oom;
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name)))
			goto oom;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_pushstring(L, names[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
		free(names[i]);
	}
	free(names);
	return 1;
oom:
	closedir(d);
	while (n)
		free(names[--n]);
	free(names);
	return luaL_error(L, "out of memory");
}

/* bsrun_host.readfile(path [, max]) → the contents of a regular file (its
 * first max bytes), or nil, "path: reason", errno. Never blocks on a FIFO or
 * a device: the file is opened non-blocking and refused unless regular. */
static int h_readfile(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	lua_Integer max = luaL_optinteger(L, 2, LUA_MAXINTEGER);
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	luaL_Buffer b;

	if (fd < 0)
		return luaL_fileresult(L, 0, path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = fstat(fd, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;

		close(fd);
		lua_pushnil(L);
		lua_pushfstring(L, "%s: %s", path, e == EINVAL ? "not a regular file" : strerror(e));
		lua_pushinteger(L, e);
		return 3;
	}
	luaL_buffinit(L, &b);
	while (max > 0) {
		size_t want = max < LUAL_BUFFERSIZE ? (size_t)max : LUAL_BUFFERSIZE;
		ssize_t r = read(fd, luaL_prepbuffsize(&b, want), want);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return luaL_fileresult(L, 0, path);
		}
		if (r == 0)
			break;
		luaL_addsize(&b, (size_t)r);
		max -= r;
	}
	close(fd);
	luaL_pushresult(&b);
	return 1;
}

void bs_lua_open_host(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "listdir", h_listdir },
		{ "readfile", h_readfile },
		{ "uid", h_uid },
		{ NULL, NULL },
	};

	luaL_newlib(L, funcs);
	bs_lua_open_host_proc(L);
	bs_lua_open_host_file(L);
	lua_setglobal(L, "bsrun_host");
}
