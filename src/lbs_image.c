/* bs.image: cached base images and fresh overlay roots for Lua.
 *
 *   local img, state = bs.image.acquire{ policy = "fc1", repos = {...}, packages = {...}, macros = {...} }
 *   if state == "build" then
 *     local ctx = bs.ctx.create{ root = img:tree(), ... }   -- install the base set
 *     ...; ctx:kill(); img:commit(ctx:info())              -- uid_first/uid_count of the build
 *   end
 *   local root = bs.image.root(img, { disk = 4 * 2^30 })   -- overlay, private tmpfs upper
 *   local ctx = bs.ctx.create{ root = root.path, ids = root, ... }
 *   ...; ctx:kill(); root:release(); img:close()
 *
 * Misuse raises; a system failure returns nil, message, errno; an image that
 * fails its check raises a bsrun error (exit 4). */
#include "cachecmd.h"
#include "ctx.h"
#include "exitcodes.h"
#include "image.h"
#include "imgstore.h"
#include "lbs.h"
#include "lbs_guard.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#define IMG_MT "bs.image"
#define ROOT_MT "bs.image.root"

struct limg {
	struct bs_image *img; /* NULL once closed */
};

struct lroot {
	struct bs_root *r; /* NULL once released */
	struct bs_idrange ids;
};

static int fail(lua_State *L, int neg, const char *msg)
{
	luaL_pushfail(L);
	lua_pushstring(L, msg);
	lua_pushinteger(L, -neg);
	return 3;
}

/* Appends "k:" .. each string of list t[k] to the table at parts. */
static void add_list(lua_State *L, int t, const char *k, int parts, int *n)
{
	if (lua_getfield(L, t, k) == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "bs.image.acquire: '%s' must be a list of strings", k);
	for (lua_Integer i = 1;; i++) {
		if (lua_geti(L, -1, i) == LUA_TNIL) {
			lua_pop(L, 1);
			break;
		}
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "bs.image.acquire: '%s' must be a list of strings", k);
		lua_pushfstring(L, "%s:%s", k, lua_tostring(L, -1));
		lua_seti(L, parts, ++*n);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* bs.image.acquire(parts [, { store = }]) → img, "ready"|"build", key | nil, msg, errno.
 * The store defaults to bsrun cache's ($BSRUN_CACHEDIR/images, ...).
 * parts = { policy =, repos =, packages =, macros =, extra = }: the key is the
 * sha256 over each list sorted (so their order does not matter). */
static int l_acquire(lua_State *L)
{
	static const char *const keys[] = { "policy", "repos", "packages", "macros", "extra", NULL };
	static const char *const okeys[] = { "store", NULL };
	static const char *const lists[] = { "repos", "packages", "macros", "extra" };
	const char *store = NULL, *policy = "";
	char defstore[4096];
	const char **parts;
	int bounds[5] = { 0 }, n = 0, r, top;
	struct limg *x;
	char key[65], err[512];

	luaL_checktype(L, 1, LUA_TTABLE);
	bs_lua_check_keys(L, 1, "bs.image.acquire", keys, BS_KEYS_KEY);
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		bs_lua_check_keys(L, 2, "bs.image.acquire: options", okeys, BS_KEYS_OPTION);
		if (lua_getfield(L, 2, "store") != LUA_TNIL) {
			store = lua_tostring(L, -1);
			if (lua_type(L, -1) != LUA_TSTRING || store[0] != '/')
				return luaL_error(L, "bs.image.acquire: options.store: expected an absolute path");
			bs_guard_cachedir(L, "bs.image.acquire", store); /* a recipe: only the job's cache */
		}
		lua_pop(L, 1);
	}
	if (!store) {
		if (bs_cache_store(defstore, sizeof defstore) < 0)
			return luaL_error(L, "bs.image.acquire: the image store's path is too long");
		store = defstore;
	}
	lua_settop(L, 2);
	if (lua_getfield(L, 1, "policy") != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TSTRING)
			return luaL_error(L, "bs.image.acquire: 'policy' must be a string");
		policy = lua_tostring(L, -1);
	}
	lua_newtable(L); /* 4: every part as "list:value" */
	top = lua_gettop(L);
	for (int l = 0; l < 4; l++) {
		add_list(L, 1, lists[l], top, &n);
		bounds[l + 1] = n;
	}
	lua_createtable(L, 0, 2); /* 5: uservalue: what `bsrun cache list` shows */
	lua_pushstring(L, policy);
	lua_setfield(L, -2, "policy");
	lua_createtable(L, bounds[2] - bounds[1], 0);
	lua_setfield(L, -2, "nevras");
	parts = malloc((size_t)(n + 1) * sizeof *parts);
	if (!parts)
		return luaL_error(L, "bs.image.acquire: out of memory");
	for (int i = 0; i < n; i++) {
		lua_geti(L, top, i + 1);
		parts[i] = lua_tostring(L, -1); /* the parts table keeps it */
		lua_pop(L, 1);
	}
	for (int l = 0; l < 4; l++)
		qsort(parts + bounds[l], (size_t)(bounds[l + 1] - bounds[l]), sizeof *parts, cmp_str);
	bs_image_key(parts, (size_t)n, key);
	lua_getfield(L, top + 1, "nevras");
	for (int i = bounds[1]; i < bounds[2]; i++) {
		lua_pushstring(L, parts[i] + strlen("packages:"));
		lua_seti(L, -2, i - bounds[1] + 1);
	}
	lua_pop(L, 1);
	free(parts);
	x = lua_newuserdatauv(L, sizeof *x, 1);
	x->img = NULL;
	luaL_setmetatable(L, IMG_MT);
	lua_pushvalue(L, top + 1);
	lua_setiuservalue(L, -2, 1);
	r = bs_image_acquire(store, key, &x->img, err, sizeof err);
	if (r == -EUCLEAN) {
		bs_lua_push_error(L, BS_EXIT_INFRA, err);
		return lua_error(L);
	}
	if (r < 0)
		return fail(L, r, err);
	if (r == BS_IMAGE_BUILD) /* the staging tree may be the root of the context that fills it */
		bs_lfs_note_root(L, bs_image_tree(x->img), 1);
	lua_pushstring(L, r == BS_IMAGE_READY ? "ready" : "build");
	lua_pushstring(L, key);
	return 3;
}

static struct limg *check_img(lua_State *L)
{
	struct limg *x = luaL_checkudata(L, 1, IMG_MT);

	if (!x->img)
		luaL_error(L, "attempt to use a closed image");
	return x;
}

/* img:tree() → the staging tree while building, else the image tree */
static int l_tree(lua_State *L)
{
	lua_pushstring(L, bs_image_tree(check_img(L)->img));
	return 1;
}

static int l_key(lua_State *L)
{
	lua_pushstring(L, bs_image_keyof(check_img(L)->img));
	return 1;
}

static int l_state(lua_State *L)
{
	int s = bs_image_state(check_img(L)->img);

	lua_pushstring(L, s == BS_IMAGE_READY ? "ready" : s == BS_IMAGE_BUILD ? "build" : "failed");
	return 1;
}

/* img:commit{ uid_first =, uid_count = } (e.g. the build context's info())
 * → true | nil, msg, errno */
static int l_commit(lua_State *L)
{
	struct limg *x = check_img(L);
	struct bs_image_info info = { 0 };
	const char **pk = NULL;
	lua_Integer first, count;
	char err[512];
	int r, isnum1, isnum2;

	luaL_checktype(L, 2, LUA_TTABLE);
	lua_getfield(L, 2, "uid_first");
	lua_getfield(L, 2, "uid_count");
	first = lua_tointegerx(L, -2, &isnum1);
	count = lua_tointegerx(L, -1, &isnum2);
	lua_pop(L, 2);
	if (!isnum1 || !isnum2 || first <= 0 || count <= 0 || first > UINT32_MAX || count > BS_IMAGE_IDS_COUNT)
		return luaL_error(L, "img:commit: expected { uid_first =, uid_count = } of the build's context");
	if (bs_image_state(x->img) != BS_IMAGE_BUILD)
		return luaL_error(L, "img:commit: the image is not being built");
	lua_getiuservalue(L, 1, 1);
	lua_getfield(L, -1, "policy");
	info.policy = lua_tostring(L, -1);
	lua_getfield(L, -2, "nevras");
	info.npackages = (size_t)luaL_len(L, -1);
	pk = calloc(info.npackages + 1, sizeof *pk);
	if (!pk)
		return luaL_error(L, "img:commit: out of memory");
	for (size_t i = 0; i < info.npackages; i++) {
		lua_geti(L, -1, (lua_Integer)i + 1);
		pk[i] = lua_tostring(L, -1);
		lua_pop(L, 1);
	}
	info.packages = pk;
	bs_lfs_note_root(L, bs_image_tree(x->img), 0);
	r = bs_image_commit(x->img, (uint32_t)first, (uint32_t)count, &info, err, sizeof err);
	free(pk);
	if (r < 0)
		return fail(L, r, err);
	lua_pushboolean(L, 1);
	return 1;
}

/* img:close(): an uncommitted staging tree is removed, the image unpinned */
static int l_close(lua_State *L)
{
	struct limg *x = luaL_checkudata(L, 1, IMG_MT);

	if (x->img && bs_image_state(x->img) == BS_IMAGE_BUILD)
		bs_lfs_note_root(L, bs_image_tree(x->img), 0);
	bs_image_free(x->img);
	x->img = NULL;
	return 0;
}

static void pruned(void *ud, const char *key, uint64_t size)
{
	lua_State *L = ud;

	(void)size;
	lua_pushstring(L, key);
	lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -1) + 1);
}

/* bs.image.prune{ max_size = bytes [, keep = img] [, store = ] } → list of the
 * keys removed (least recently used first, images in use kept) | nil, msg, errno */
static int l_prune(lua_State *L)
{
	static const char *const keys[] = { "max_size", "keep", "store", NULL };
	const char *store = NULL, *keep = NULL;
	char defstore[4096], err[512];
	lua_Integer max;
	int isnum, r;

	luaL_checktype(L, 1, LUA_TTABLE);
	bs_lua_check_keys(L, 1, "bs.image.prune", keys, BS_KEYS_OPTION);
	lua_getfield(L, 1, "max_size");
	max = lua_tointegerx(L, -1, &isnum);
	lua_pop(L, 1);
	if (!isnum || max < 0)
		return luaL_error(L, "bs.image.prune: 'max_size' must be a size in bytes");
	if (lua_getfield(L, 1, "store") != LUA_TNIL) {
		store = lua_tostring(L, -1);
		if (lua_type(L, -1) != LUA_TSTRING || store[0] != '/')
			return luaL_error(L, "bs.image.prune: 'store' must be an absolute path");
		bs_guard_cachedir(L, "bs.image.prune", store);
	} else {
		if (bs_cache_store(defstore, sizeof defstore) < 0)
			return luaL_error(L, "bs.image.prune: the store's path is too long");
		store = defstore;
	}
	if (lua_getfield(L, 1, "keep") != LUA_TNIL) {
		struct limg *x = luaL_testudata(L, -1, IMG_MT);

		if (!x || !x->img)
			return luaL_error(L, "bs.image.prune: 'keep' must be an open image");
		keep = bs_image_keyof(x->img);
	}
	lua_newtable(L);
	r = bs_image_prune_to(store, (uint64_t)max, keep, pruned, L, err, sizeof err);
	if (r < 0)
		return fail(L, r, err);
	return 1;
}

/* ---- roots ---- */

/* bs.image.root(img, { disk = bytes [, rootsdir = ] }) → root | nil, msg, errno.
 * Reserves the id range the context made in it must use (ids = root). */
static int l_root(lua_State *L)
{
	static const char *const keys[] = { "disk", "rootsdir", NULL };
	struct limg *x = luaL_checkudata(L, 1, IMG_MT);
	const char *rootsdir = NULL;
	struct bs_ctx_opts o;
	struct lroot *r;
	lua_Integer disk;
	char err[512];
	int isnum, ret;

	if (!x->img)
		return luaL_error(L, "attempt to use a closed image");
	luaL_checktype(L, 2, LUA_TTABLE);
	bs_lua_check_keys(L, 2, "bs.image.root", keys, BS_KEYS_OPTION);
	lua_getfield(L, 2, "disk");
	disk = lua_tointegerx(L, -1, &isnum);
	lua_pop(L, 1);
	if (!isnum || disk < 65536)
		return luaL_error(L, "bs.image.root: 'disk' must be a size in bytes (at least 65536)");
	if (lua_getfield(L, 2, "rootsdir") != LUA_TNIL) {
		rootsdir = lua_tostring(L, -1);
		if (lua_type(L, -1) != LUA_TSTRING || rootsdir[0] != '/')
			return luaL_error(L, "bs.image.root: 'rootsdir' must be an absolute path");
	}
	if (bs_image_state(x->img) != BS_IMAGE_READY)
		return luaL_error(L, "bs.image.root: the image is not ready (commit it first)");
	r = lua_newuserdatauv(L, sizeof *r, 0);
	r->r = NULL;
	r->ids.lockfd = -1;
	luaL_setmetatable(L, ROOT_MT);
	bs_ctx_opts_init(&o);
	if ((ret = bs_ctx_reserve_ids(&o, &r->ids, err, sizeof err)) < 0)
		return fail(L, ret, err);
	ret = bs_root_from_image(x->img, (uint64_t)disk, r->ids.first, r->ids.count, rootsdir, &r->r, err, sizeof err);
	if (ret < 0) {
		bs_ns_free_range(&r->ids);
		return fail(L, ret, err);
	}
	bs_lfs_note_root(L, bs_root_path(r->r), 1); /* a root recipes may name (lbs_guard) */
	return 1;
}

/* root.path, root.uid_first, root.uid_count, root:release(), root:keep() */
static int l_root_release(lua_State *L)
{
	struct lroot *r = luaL_checkudata(L, 1, ROOT_MT);
	int ret = 0;

	if (r->r) {
		bs_lfs_note_root(L, bs_root_path(r->r), 0);
		ret = bs_root_release(r->r);
	}
	r->r = NULL;
	bs_ns_free_range(&r->ids);
	if (ret < 0) {
		lua_pushfstring(L, "releasing a root: %s", strerror(-ret));
		return fail(L, ret, lua_tostring(L, -1));
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* root:keep(): left mounted and marked kept (--keep); the object is done */
static int l_root_keep(lua_State *L)
{
	struct lroot *r = luaL_checkudata(L, 1, ROOT_MT);
	int ret = 0;

	if (r->r) {
		bs_lfs_note_root(L, bs_root_path(r->r), 0);
		ret = bs_root_keep(r->r);
	}
	r->r = NULL;
	bs_ns_free_range(&r->ids);
	if (ret < 0)
		return fail(L, ret, "keeping a root: cannot mark it kept");
	lua_pushboolean(L, 1);
	return 1;
}

static int l_root_index(lua_State *L)
{
	struct lroot *r = luaL_checkudata(L, 1, ROOT_MT);
	const char *k = luaL_checkstring(L, 2);

	if (strcmp(k, "release") == 0)
		lua_pushcfunction(L, l_root_release);
	else if (strcmp(k, "keep") == 0)
		lua_pushcfunction(L, l_root_keep);
	else if (!r->r)
		return luaL_error(L, "attempt to use a released root");
	else if (strcmp(k, "path") == 0)
		lua_pushstring(L, bs_root_path(r->r));
	else if (strcmp(k, "uid_first") == 0)
		lua_pushinteger(L, r->ids.first);
	else if (strcmp(k, "uid_count") == 0)
		lua_pushinteger(L, r->ids.count);
	else
		lua_pushnil(L);
	return 1;
}

const char *bs_lua_image_root_path(lua_State *L, int idx)
{
	struct lroot *r = luaL_testudata(L, idx, ROOT_MT);

	return r && r->r ? bs_root_path(r->r) : NULL;
}

const struct bs_idrange *bs_lua_image_root_ids(lua_State *L, int idx)
{
	struct lroot *r = luaL_testudata(L, idx, ROOT_MT);

	if (!r || !r->r)
		luaL_error(L, "bs.ctx.create: 'ids' must be a live root from bs.image.root");
	return &r->ids;
}

static int l_tostring(lua_State *L)
{
	struct limg *x = luaL_checkudata(L, 1, IMG_MT);

	if (x->img)
		lua_pushfstring(L, "bs.image %s (%s)", bs_image_keyof(x->img),
				bs_image_state(x->img) == BS_IMAGE_READY ? "ready" : "build");
	else
		lua_pushliteral(L, "bs.image (closed)");
	return 1;
}

int luaopen_bs_image(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "tree", l_tree }, { "key", l_key }, { "state", l_state }, { "commit", l_commit },
		{ "close", l_close }, { NULL, NULL },
	};
	static const luaL_Reg funcs[] = {
		{ "acquire", l_acquire },
		{ "root", l_root },
		{ "prune", l_prune },
		{ NULL, NULL },
	};

	if (luaL_newmetatable(L, IMG_MT)) {
		luaL_newlib(L, methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, l_close);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, l_close);
		lua_setfield(L, -2, "__close");
		lua_pushcfunction(L, l_tostring);
		lua_setfield(L, -2, "__tostring");
		lua_pushliteral(L, "bs.image");
		lua_setfield(L, -2, "__metatable");
	}
	lua_pop(L, 1);
	if (luaL_newmetatable(L, ROOT_MT)) {
		lua_pushcfunction(L, l_root_index);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, l_root_release);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, l_root_release);
		lua_setfield(L, -2, "__close");
		lua_pushliteral(L, "bs.image.root");
		lua_setfield(L, -2, "__metatable");
	}
	lua_pop(L, 1);
	luaL_newlib(L, funcs);
	return 1;
}
