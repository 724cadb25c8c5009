/* bsrun_host: helpers for bsrun's own trusted Lua code (never given to recipes). */
#include "lhost.h"

#include <dirent.h>
#include <errno.h>
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

void bs_lua_open_host(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "listdir", h_listdir },
		{ "uid", h_uid },
		{ NULL, NULL },
	};

	luaL_newlib(L, funcs);
	bs_lua_open_host_proc(L);
	bs_lua_open_host_file(L);
	lua_setglobal(L, "bsrun_host");
}
