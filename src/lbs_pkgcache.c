/* bs.rpm.download: the packages of a solution as verified local files (pkgcache.c). */
#include "exitcodes.h"
#include "lbs.h"
#include "lbs_guard.h"
#include "log.h"
#include "pkgcache.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *field_string(lua_State *L, int idx, const char *key, int i, int required)
{
	int t = lua_getfield(L, idx, key);
	const char *s = NULL;

	if (t == LUA_TSTRING)
		s = lua_tostring(L, -1); /* kept alive by the package table */
	else if (t != LUA_TNIL || required)
		luaL_error(L, "bs.rpm.download: pkgs[%d].%s: expected a string, got %s", i, key, luaL_typename(L, -1));
	lua_pop(L, 1);
	return s;
}

static int is_file_url(const char *url)
{
	return strncasecmp(url, "file:", 5) == 0;
}

/* Pushes set:list() turned into { [name] = url }. */
static void push_repo_urls(lua_State *L)
{
	lua_getfield(L, 1, "list");
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	lua_newtable(L);
	for (lua_Integer i = 1; lua_rawgeti(L, -2, i) == LUA_TTABLE; i++) {
		lua_getfield(L, -1, "name");
		lua_getfield(L, -2, "url");
		lua_settable(L, -4);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	lua_remove(L, -2);
}

/* bs.rpm.download(set, pkgs, {cachedir=}) → { {nevra=, path=, size=, from_cache=}, ... }
 * in the order of pkgs; raises a bsrun error with exit 4 (and .url, .errno)
 * when a package cannot be had or is not what the metadata says. */
int bs_lua_rpm_download(lua_State *L)
{
	static const char *const keys[] = { "cachedir", NULL };
	const char *cachedir;
	lua_Integer n;
	int urls;

	lua_settop(L, 3);
	luaL_checkudata(L, 1, "bs.rpm.repos");
	luaL_checktype(L, 2, LUA_TTABLE);
	luaL_checktype(L, 3, LUA_TTABLE);
	bs_lua_check_keys(L, 3, "bs.rpm.download: options", keys, BS_KEYS_KEY);
	lua_getfield(L, 3, "cachedir");
	cachedir = lua_tostring(L, -1);
	if (lua_type(L, -1) != LUA_TSTRING || cachedir[0] != '/')
		return luaL_error(L, "bs.rpm.download: options.cachedir: expected an absolute path");
	bs_guard_cachedir(L, "bs.rpm.download", cachedir); /* a recipe: only the job's cache */
	push_repo_urls(L);
	urls = lua_gettop(L);
	n = luaL_len(L, 2);
	lua_createtable(L, (int)(n > 0 && n < 100000 ? n : 0), 0);
	for (lua_Integer i = 1; i <= n; i++) {
		struct bs_pkgcache_req req = { 0 };
		struct bs_pkgcache_res res;
		const char *repo, *repo_url;
		char err[2048];
		int top, rc;

		if (lua_rawgeti(L, 2, i) != LUA_TTABLE)
			return luaL_error(L, "bs.rpm.download: pkgs[%d]: expected a table, got %s", (int)i,
					  luaL_typename(L, -1));
		top = lua_gettop(L);
		req.nevra = field_string(L, top, "nevra", (int)i, 1);
		req.url = field_string(L, top, "url", (int)i, 1);
		repo = field_string(L, top, "repo", (int)i, 1);
		req.chksum_type = field_string(L, top, "checksum_type", (int)i, 0);
		req.chksum = field_string(L, top, "checksum", (int)i, 0);
		if (lua_getfield(L, top, "size") != LUA_TNIL && !lua_isinteger(L, -1))
			return luaL_error(L, "bs.rpm.download: pkgs[%d].size: expected an integer", (int)i);
		req.size = (long long)lua_tointeger(L, -1);
		lua_pop(L, 1);
		lua_getfield(L, urls, repo);
		repo_url = lua_tostring(L, -1);
		if (!repo_url)
			return luaL_error(L, "bs.rpm.download: pkgs[%d].repo: no repository \"%s\" in the set", (int)i, repo);
		if (is_file_url(repo_url) != is_file_url(req.url))
			return luaL_error(L, "bs.rpm.download: pkgs[%d].url: not a URL of repository \"%s\"", (int)i, repo);
		lua_pop(L, 1);

		if (!is_file_url(req.url))
			bs_log(BS_LOG_DEBUG, "package %s: %s", req.nevra, req.url);
		rc = bs_pkgcache_get(cachedir, &req, &res, err, sizeof err);
		if (rc < 0) {
			bs_lua_push_error(L, BS_EXIT_INFRA, err);
			if (lua_type(L, -1) == LUA_TTABLE) {
				lua_pushstring(L, req.url);
				lua_setfield(L, -2, "url");
				lua_pushinteger(L, -rc);
				lua_setfield(L, -2, "errno");
			}
			return lua_error(L);
		}
		if (!res.local && !res.from_cache)
			bs_log(BS_LOG_INFO, "downloaded %s (%lld bytes) from %s", req.nevra, res.size, req.url);
		lua_createtable(L, 0, 4);
		lua_pushstring(L, req.nevra);
		lua_setfield(L, -2, "nevra");
		lua_pushstring(L, res.path);
		free(res.path);
		lua_setfield(L, -2, "path");
		lua_pushinteger(L, res.size);
		lua_setfield(L, -2, "size");
		lua_pushboolean(L, res.from_cache);
		lua_setfield(L, -2, "from_cache");
		lua_rawseti(L, -3, i);
		lua_settop(L, urls + 1);
	}
	return 1;
}
