/* bs.rpm: repositories and dependency solving (repo.c, solve.c) for Lua. */
#include "exitcodes.h"
#include "lbs.h"
#include "lbs_guard.h"
#include "repo.h"
#include "solve.h"

#include <errno.h>
#include <lauxlib.h>
#include <string.h>

#define REPOS_MT "bs.rpm.repos"
#define SOLUTION_MT "bs.rpm.solution"

struct lrepos {
	Pool *pool; /* NULL once closed */
};

/* ---- argument checking (misuse raises) ---- */

/* Returns field key of the table at idx as a string, def when absent. */
static const char *opt_string(lua_State *L, int idx, const char *key, const char *def, const char *where)
{
	const char *s = def;
	int t = lua_getfield(L, idx, key);

	if (t == LUA_TSTRING)
		s = lua_tostring(L, -1); /* kept alive by the table */
	else if (t != LUA_TNIL)
		luaL_error(L, "%s.%s: expected a string, got %s", where, key, luaL_typename(L, -1));
	lua_pop(L, 1);
	return s;
}

static int opt_boolean(lua_State *L, int idx, const char *key, int def, const char *where)
{
	int v = def, t = lua_getfield(L, idx, key);

	if (t == LUA_TBOOLEAN)
		v = lua_toboolean(L, -1);
	else if (t != LUA_TNIL)
		luaL_error(L, "%s.%s: expected a boolean, got %s", where, key, luaL_typename(L, -1));
	lua_pop(L, 1);
	return v;
}

/* Turns the list of strings at idx into a C array kept in a userdata pushed
 * on the stack (collected with it); sets *n. */
static const char **string_array(lua_State *L, int idx, const char *where, size_t *n)
{
	const char **v;
	lua_Integer len;

	idx = lua_absindex(L, idx);
	luaL_checkstack(L, 4, NULL);
	if (lua_type(L, idx) != LUA_TTABLE)
		luaL_error(L, "%s: expected a list of strings, got %s", where, luaL_typename(L, idx));
	len = luaL_len(L, idx);
	if (len < 0 || (size_t)len > (size_t)-1 / sizeof *v - 1)
		luaL_error(L, "%s: bad list", where);
	v = lua_newuserdatauv(L, ((size_t)len + 1) * sizeof *v, 0);
	for (lua_Integer i = 1; i <= len; i++) {
		if (lua_rawgeti(L, idx, i) != LUA_TSTRING)
			luaL_error(L, "%s[%d]: expected a string, got %s", where, (int)i, luaL_typename(L, -1));
		v[i - 1] = lua_tostring(L, -1); /* kept alive by the list */
		lua_pop(L, 1);
	}
	v[len] = NULL;
	*n = (size_t)len;
	return v;
}

/* Like string_array for field key of the table at idx; NULL and *n = 0 when absent. */
static const char **opt_strings(lua_State *L, int idx, const char *key, const char *where, size_t *n)
{
	const char **v = NULL;
	char at[128];

	*n = 0;
	if (lua_getfield(L, idx, key) == LUA_TNIL) {
		lua_pop(L, 1);
		return NULL;
	}
	snprintf(at, sizeof at, "%s.%s", where, key);
	v = string_array(L, -1, at, n);
	lua_remove(L, -2); /* the list (still referenced by the table at idx); the array stays */
	return v;
}

/* ---- the repository set ---- */

static struct lrepos *check_repos(lua_State *L, int idx)
{
	struct lrepos *r = luaL_checkudata(L, idx, REPOS_MT);

	if (!r->pool)
		luaL_error(L, "bs.rpm: the repository set is closed");
	return r;
}

static int repos_close(lua_State *L)
{
	struct lrepos *r = luaL_checkudata(L, 1, REPOS_MT);

	bs_pool_free(r->pool);
	r->pool = NULL;
	return 0;
}

/* set:list() → { {name=, url=, kind=, priority=, packages=, cached=}, ... } in load order. */
static int repos_list(lua_State *L)
{
	struct lrepos *r = check_repos(L, 1);
	Pool *pool = r->pool;
	Repo *repo;
	Id id;
	int n = 0;

	lua_createtable(L, pool->urepos, 0);
	FOR_REPOS(id, repo) {
		const struct bs_repo_info *info = bs_repo_info(repo);

		if (!info)
			continue;
		lua_createtable(L, 0, 7);
		lua_pushstring(L, info->name);
		lua_setfield(L, -2, "name");
		lua_pushstring(L, info->url);
		lua_setfield(L, -2, "url");
		lua_pushstring(L, bs_repo_kind_name(info->kind));
		lua_setfield(L, -2, "kind");
		lua_pushinteger(L, info->priority);
		lua_setfield(L, -2, "priority");
		lua_pushinteger(L, repo->nsolvables);
		lua_setfield(L, -2, "packages");
		lua_pushboolean(L, info->from_cache);
		lua_setfield(L, -2, "cached");
		lua_pushstring(L, info->cookie);
		lua_setfield(L, -2, "cookie");
		lua_rawseti(L, -2, ++n);
	}
	return 1;
}

/* Loads the repository described by the table at idx (repos[i]) into pool. */
static int load_one(lua_State *L, Pool *pool, int idx, int i, const char *cachedir, int flags)
{
	static const char *const keys[] = { "name", "url", "kind", "enabled", "priority", "exclude", NULL };
	struct bs_repo_spec spec = { 0 };
	char where[64], err[1024];
	const char *kind;
	int top = lua_gettop(L), rc, kn;

	snprintf(where, sizeof where, "bs.rpm.repos: repos[%d]", i);
	if (lua_type(L, idx) != LUA_TTABLE)
		return luaL_error(L, "%s: expected a table, got %s", where, luaL_typename(L, idx));
	bs_lua_check_keys(L, idx, where, keys, BS_KEYS_KEY);
	if (!opt_boolean(L, idx, "enabled", 1, where))
		return 0;
	spec.name = opt_string(L, idx, "name", NULL, where);
	spec.url = opt_string(L, idx, "url", NULL, where);
	if (!spec.name || !spec.url)
		return luaL_error(L, "%s: name and url are required", where);
	kind = opt_string(L, idx, "kind", "auto", where);
	if ((kn = bs_repo_kind_from_name(kind)) < 0)
		return luaL_error(L, "%s.kind: expected \"rpm-md\", \"dir\" or \"auto\", got \"%s\"", where, kind);
	spec.kind = (enum bs_repo_kind)kn;
	if (lua_getfield(L, idx, "priority") != LUA_TNIL) {
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > 99)
			return luaL_error(L, "%s.priority: expected an integer 1-99", where);
		spec.priority = (int)lua_tointeger(L, -1);
	}
	lua_pop(L, 1);
	spec.exclude = opt_strings(L, idx, "exclude", where, &spec.nexclude);
	rc = bs_repo_load(pool, &spec, cachedir, flags, NULL, err, sizeof err);
	lua_settop(L, top);
	if (rc == -EINVAL || rc == -EEXIST)
		return luaL_error(L, "bs.rpm.repos: %s", err);
	if (rc < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		lua_pushinteger(L, -rc);
		return 3;
	}
	return 0;
}

/* bs.rpm.repos(repos, {cachedir=, arch=, offline=}) → set, or nil, msg, errno. */
static int l_repos(lua_State *L)
{
	static const char *const keys[] = { "cachedir", "arch", "offline", NULL };
	const char *cachedir, *arch;
	struct lrepos *r;
	int flags, n;

	lua_settop(L, 2);
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checktype(L, 2, LUA_TTABLE);
	bs_lua_check_keys(L, 2, "bs.rpm.repos: options", keys, BS_KEYS_KEY);
	cachedir = opt_string(L, 2, "cachedir", NULL, "bs.rpm.repos: options");
	arch = opt_string(L, 2, "arch", "x86_64", "bs.rpm.repos: options");
	flags = opt_boolean(L, 2, "offline", 0, "bs.rpm.repos: options") ? BS_REPO_OFFLINE : 0;
	if (!cachedir || cachedir[0] != '/')
		return luaL_error(L, "bs.rpm.repos: options.cachedir: expected an absolute path");
	bs_guard_cachedir(L, "bs.rpm.repos", cachedir); /* a recipe: only the job's cache */
	if (!*arch)
		return luaL_error(L, "bs.rpm.repos: options.arch: expected an architecture");

	/* created closed, then opened: the collector frees whatever happens next */
	r = lua_newuserdatauv(L, sizeof *r, 0);
	r->pool = NULL;
	luaL_setmetatable(L, REPOS_MT);
	if (bs_pool_new(arch, &r->pool) < 0)
		return luaL_error(L, "bs.rpm.repos: out of memory");
	n = (int)luaL_len(L, 1);
	for (int i = 1; i <= n; i++) {
		int nret;

		lua_rawgeti(L, 1, i);
		nret = load_one(L, r->pool, -1, i, cachedir, flags);
		if (nret)
			return nret;
		lua_pop(L, 1);
	}
	return 1;
}

/* ---- solving ---- */

static int solution_gc(lua_State *L)
{
	bs_solution_free(luaL_checkudata(L, 1, SOLUTION_MT));
	return 0;
}

static void set_str(lua_State *L, const char *key, const char *value)
{
	if (value) {
		lua_pushstring(L, value);
		lua_setfield(L, -2, key);
	}
}

static void push_strings(lua_State *L, char **v, size_t n)
{
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_pushstring(L, v[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

static void push_pkgs(lua_State *L, const struct bs_solution *sol)
{
	lua_createtable(L, (int)sol->npkgs, 0);
	for (size_t i = 0; i < sol->npkgs; i++) {
		const struct bs_pkg *p = &sol->pkgs[i];

		lua_createtable(L, 0, 10);
		set_str(L, "name", p->name);
		set_str(L, "evr", p->evr);
		set_str(L, "arch", p->arch);
		set_str(L, "nevra", p->nevra);
		set_str(L, "repo", p->repo);
		set_str(L, "location", p->location);
		set_str(L, "url", p->url);
		set_str(L, "checksum_type", p->chksum_type);
		set_str(L, "checksum", p->chksum);
		lua_pushinteger(L, (lua_Integer)p->size);
		lua_setfield(L, -2, "size");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

/* bs.rpm.solve(set, requires, {conflicts=, exclude=}) → list of packages in
 * install order; raises exit 3 (with .problems) when unresolvable; nil, msg,
 * errno on a system failure. */
static int l_solve(lua_State *L)
{
	static const char *const keys[] = { "conflicts", "exclude", NULL };
	struct lrepos *r = check_repos(L, 1);
	struct bs_solve_opts opts = { 0 };
	struct bs_solution *sol;
	const char **reqs;
	size_t nreqs;
	char err[4096];
	int rc;

	lua_settop(L, 3);
	reqs = string_array(L, 2, "bs.rpm.solve: requires", &nreqs);
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		bs_lua_check_keys(L, 3, "bs.rpm.solve: options", keys, BS_KEYS_KEY);
		opts.conflicts = opt_strings(L, 3, "conflicts", "bs.rpm.solve: options", &opts.nconflicts);
		opts.exclude = opt_strings(L, 3, "exclude", "bs.rpm.solve: options", &opts.nexclude);
	}
	sol = lua_newuserdatauv(L, sizeof *sol, 0);
	memset(sol, 0, sizeof *sol);
	luaL_setmetatable(L, SOLUTION_MT);
	rc = bs_solve(r->pool, reqs, nreqs, &opts, sol, err, sizeof err);
	if (rc == 0) {
		push_pkgs(L, sol);
		return 1;
	}
	if (rc == -EINVAL)
		return luaL_error(L, "bs.rpm.solve: %s", err);
	if (rc != -ENOPKG) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		lua_pushinteger(L, -rc);
		return 3;
	}
	bs_lua_push_error(L, BS_EXIT_DEPS, err);
	lua_createtable(L, (int)sol->nproblems, 0);
	for (size_t i = 0; i < sol->nproblems; i++) {
		const struct bs_problem *pb = &sol->problems[i];

		lua_createtable(L, 0, 3);
		set_str(L, "text", pb->text);
		push_strings(L, pb->requires, pb->nrequires);
		lua_setfield(L, -2, "requires");
		push_strings(L, pb->details, pb->ndetails);
		lua_setfield(L, -2, "details");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "problems");
	return lua_error(L);
}

int luaopen_bs_rpm(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "repos", l_repos },
		{ "solve", l_solve },
		{ "header", bs_lua_rpm_header },     /* lbs_rpmhdr.c */
		{ "download", bs_lua_rpm_download }, /* lbs_pkgcache.c */
		{ NULL, NULL },
	};
	static const luaL_Reg repos_methods[] = {
		{ "list", repos_list },
		{ "close", repos_close },
		{ NULL, NULL },
	};

	if (luaL_newmetatable(L, REPOS_MT)) {
		luaL_newlib(L, repos_methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, repos_close);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, repos_close);
		lua_setfield(L, -2, "__close");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
	}
	lua_pop(L, 1);
	if (luaL_newmetatable(L, SOLUTION_MT)) {
		lua_pushcfunction(L, solution_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
	}
	lua_pop(L, 1);
	luaL_newlib(L, funcs);
	bs_lua_rpm_install(L);
	return 1;
}
