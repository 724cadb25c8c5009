/* bs.fs: build roots and safe access to trees a build controlled.
 *
 *   local root = bs.fs.mkroot()                  -- fresh, private, never reused
 *   local rep = bs.fs.copy_out(root, "/builddir/build/RPMS", resultdir, { max_file = 2^31 })
 *   local text = bs.fs.read(root, "/builddir/files.list", { max = 65536 })
 *   bs.fs.remove_tree(root)
 *
 * Misuse raises; a system failure returns nil, message, errno; an escape
 * attempt (a symlink on a path, a device node or FIFO where a file was asked
 * for) raises. Under a trusted policy (lbs_guard.h) copy_out writes only into
 * the job's result directories and only within the policy's results limits,
 * and roots are made only in the default work directory. */
#include "copyout.h"
#include "mkdirs.h"
#include "exitcodes.h"
#include "fsin.h"
#include "lbs.h"
#include "lbs_guard.h"
#include "rmtree.h"
#include "stale.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROOT_MT "bs.fs.root"
#define DEFAULT_WORKDIR "/var/tmp/bsrun/roots"
#define READ_DEFAULT (1 << 20)
#define READ_MAX (64 << 20)

/* A root: its directory fd, the work directory's fd and its name there; the
 * path is the userdata's user value. */
struct lroot {
	int fd, parentfd; /* -1 once removed or closed */
	char name[64];
};

#define ROOTS_KEY "bsrun.fs.roots"

void bs_lfs_note_root(lua_State *L, const char *path, int on)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, ROOTS_KEY) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, ROOTS_KEY);
	}
	if (on)
		lua_pushboolean(L, 1);
	else
		lua_pushnil(L);
	lua_setfield(L, -2, path);
	lua_pop(L, 1);
}

int bs_lfs_is_root(lua_State *L, const char *path)
{
	int top = lua_gettop(L), yes = 0;

	if (lua_getfield(L, LUA_REGISTRYINDEX, ROOTS_KEY) == LUA_TTABLE)
		yes = lua_getfield(L, -1, path) == LUA_TBOOLEAN;
	lua_settop(L, top);
	return yes;
}

static int fail(lua_State *L, int neg, const char *fmt, const char *arg)
{
	luaL_pushfail(L);
	lua_pushfstring(L, fmt, arg);
	lua_pushfstring(L, "%s: %s", lua_tostring(L, -1), strerror(-neg));
	lua_remove(L, -2);
	lua_pushinteger(L, -neg);
	return 3;
}

static void close_root(struct lroot *r)
{
	if (r->fd >= 0)
		close(r->fd);
	if (r->parentfd >= 0)
		close(r->parentfd);
	r->fd = r->parentfd = -1;
}

/* ---- mkroot ---- */

/* bs.fs.mkroot([workdir]) → root | nil, msg, errno. The work directory (and
 * the missing directories above it) are created 0711, owned by the caller, and
 * must not be group- or world-writable. */
static int l_mkroot(lua_State *L)
{
	const char *base = luaL_optstring(L, 1, DEFAULT_WORKDIR);
	struct lroot *r;
	struct stat st;
	int bfd, e;

	if (base[0] != '/')
		return luaL_error(L, "bs.fs.mkroot: the work directory must be an absolute path");
	if (!lua_isnoneornil(L, 1) && strcmp(base, DEFAULT_WORKDIR) != 0) {
		if (bs_guard_push(L))
			bs_lua_raise(L, BS_EXIT_USAGE, "bs.fs.mkroot: a recipe makes roots only in " DEFAULT_WORKDIR);
		lua_pop(L, 1);
	}
	r = lua_newuserdatauv(L, sizeof *r, 1);
	r->fd = r->parentfd = -1;
	r->name[0] = '\0';
	luaL_setmetatable(L, ROOT_MT);
	/* 0711: only we list or create there; a context's init (another uid, in
	 * its user namespace) must still reach the root by path */
	if ((e = bs_mkdirs(base, 0711)) < 0)
		return fail(L, e, "bs.fs.mkroot: work directory %s", base);
	bfd = open(base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bfd < 0)
		return fail(L, -errno, "bs.fs.mkroot: work directory %s", base);
	/* the work directory must be ours alone: roots are private */
	if (fstat(bfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(bfd);
		return fail(L, -EPERM, "bs.fs.mkroot: work directory %s is not private to this user", base);
	}
	if ((st.st_mode & 0011) != 0011 && chmod(base, (st.st_mode & 0700) | 0711) < 0) {
		e = -errno;
		close(bfd);
		return fail(L, e, "bs.fs.mkroot: work directory %s", base);
	}
	for (int i = 0; i < 100; i++) {
		unsigned v = 0;

		if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
			v = (unsigned)rand() ^ (unsigned)getpid();
		snprintf(r->name, sizeof r->name, "root-%u-%08x", (unsigned)getpid(), v);
		if (mkdirat(bfd, r->name, 0700) == 0)
			break;
		if (errno != EEXIST) {
			e = -errno;
			close(bfd);
			return fail(L, e, "bs.fs.mkroot: creating a root in %s", base);
		}
		r->name[0] = '\0';
	}
	if (!r->name[0]) {
		close(bfd);
		return fail(L, -EEXIST, "bs.fs.mkroot: no free name in %s", base);
	}
	r->parentfd = bfd;
	r->fd = openat(bfd, r->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->fd < 0 || fchmodat(bfd, r->name, 0755, 0) < 0 || mkdirat(r->fd, "proc", 0755) < 0 ||
	    mkdirat(r->fd, "dev", 0755) < 0 || mkdirat(r->fd, "tmp", 0700) < 0 ||
	    fchmodat(r->fd, "tmp", 01777, AT_SYMLINK_NOFOLLOW) < 0) {
		e = -errno;
		if (r->fd >= 0)
			close(r->fd);
		r->fd = -1;
		bs_remove_tree(bfd, r->name);
		close_root(r);
		return fail(L, e, "bs.fs.mkroot: setting up a root in %s", base);
	}
	lua_pushfstring(L, "%s/%s", strcmp(base, "/") ? base : "", r->name);
	bs_lfs_note_root(L, lua_tostring(L, -1), 1);
	lua_setiuservalue(L, -2, 1);
	return 1;
}

/* ---- the root argument ---- */

/* The root at arg: a root object, or (without a guard) a host directory path
 * opened as a root. Returns its fd; *owned tells whether to close it. */
static int root_arg(lua_State *L, int arg, const char *what, int *owned)
{
	struct lroot *r = luaL_testudata(L, arg, ROOT_MT);

	*owned = 0;
	if (r) {
		if (r->fd < 0)
			luaL_error(L, "%s: the root was removed", what);
		return r->fd;
	}
	if (luaL_testudata(L, arg, "bs.image.root")) {
		const char *path = bs_lua_image_root_path(L, arg);

		if (!path)
			luaL_error(L, "%s: the root was released", what);
		*owned = 1;
		return bs_open_root(path);
	}
	if (lua_type(L, arg) != LUA_TSTRING)
		luaL_error(L, "%s: bad argument #%d (a root from bs.fs.mkroot expected)", what, arg);
	if (bs_guard_push(L))
		bs_lua_raise(L, BS_EXIT_USAGE, "%s: a recipe names roots by the objects bs.fs.mkroot returns", what);
	lua_pop(L, 1);
	*owned = 1;
	return bs_open_root(lua_tostring(L, arg));
}

/* ---- copy_out ---- */

struct collected {
	char **warn, **name, **sha;
	uint64_t *size;
	size_t nwarn, nname, capw, capn;
	int oom;
};

static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*v, (*cap ? *cap * 2 : 16) * elem);
	if (!p)
		return -1;
	*v = p;
	*cap = *cap ? *cap * 2 : 16;
	return 0;
}

static void on_warn(void *ud, const char *rel, const char *why)
{
	struct collected *c = ud;
	size_t n = strlen(rel) + strlen(why) + 3;
	char *s;

	if (c->oom)
		return;
	if (grow((void **)&c->warn, &c->capw, c->nwarn, sizeof *c->warn) < 0 || !(s = malloc(n))) {
		c->oom = 1;
		return;
	}
	snprintf(s, n, "%s: %s", rel, why);
	c->warn[c->nwarn++] = s;
}

static void on_copied(void *ud, const char *path, uint64_t size, const char *sha256)
{
	struct collected *c = ud;
	size_t cap = c->capn, cap2 = c->capn;
	char *s = NULL, *h = NULL;

	if (c->oom)
		return;
	if (grow((void **)&c->name, &cap, c->nname, sizeof *c->name) < 0 ||
	    grow((void **)&c->sha, &cap2, c->nname, sizeof *c->sha) < 0 ||
	    grow((void **)&c->size, &c->capn, c->nname, sizeof *c->size) < 0 || !(s = strdup(path)) ||
	    (sha256 && !(h = strdup(sha256)))) {
		free(s);
		c->oom = 1;
		return;
	}
	c->name[c->nname] = s;
	c->sha[c->nname] = h;
	c->size[c->nname++] = size;
}

static void free_collected(struct collected *c)
{
	for (size_t i = 0; i < c->nwarn; i++)
		free(c->warn[i]);
	for (size_t i = 0; i < c->nname; i++) {
		free(c->name[i]);
		free(c->sha[i]);
	}
	free(c->warn);
	free(c->name);
	free(c->sha);
	free(c->size);
}

/* A copy limit: the option, else the policy's results limit, else dflt; never
 * above the guard's. */
static uint64_t limit(lua_State *L, int opts, const char *k, uint64_t dflt)
{
	int top = lua_gettop(L);
	lua_Integer g = -1;
	uint64_t v = dflt;

	if (bs_guard_push(L) && lua_getfield(L, -1, "results") == LUA_TTABLE &&
	    lua_getfield(L, -1, k) == LUA_TNUMBER && lua_isinteger(L, -1))
		g = lua_tointeger(L, -1);
	lua_settop(L, top);
	if (g >= 0)
		v = (uint64_t)g;
	if (opts > 0 && lua_getfield(L, opts, k) != LUA_TNIL) {
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0)
			luaL_error(L, "bs.fs.copy_out: '%s' must be a non-negative integer", k);
		v = (uint64_t)lua_tointeger(L, -1);
		if (g > 0 && (v == 0 || v > (uint64_t)g))
			bs_lua_raise(L, BS_EXIT_USAGE, "bs.fs.copy_out: '%s' exceeds the policy's results.%s", k, k);
	}
	lua_settop(L, top);
	return v;
}

static int opt_flag(lua_State *L, int opts, const char *k)
{
	int v = 0;

	if (opts > 0 && lua_getfield(L, opts, k) != LUA_TNIL) {
		if (!lua_isboolean(L, -1))
			luaL_error(L, "bs.fs.copy_out: '%s' must be a boolean", k);
		v = lua_toboolean(L, -1);
	}
	if (opts > 0)
		lua_pop(L, 1);
	return v;
}

int bs_lfs_copy_out(lua_State *L, int rootidx, const char *dir, int destfd, int opts, int flatten_default,
		    const char *what)
{
	static const char *const keys[] = { "max_file", "max_total", "max_files", "max_depth", "overwrite", "flatten",
					    NULL };
	struct collected col;
	struct bs_copy_limits lim;
	struct bs_copy_report rep;
	int owned, rootfd, r;

	if (opts > 0)
		bs_lua_check_keys(L, opts, what, keys, BS_KEYS_OPTION);
	memset(&lim, 0, sizeof lim);
	lim.max_file = limit(L, opts, "max_file", 2ULL << 30);
	lim.max_total = limit(L, opts, "max_total", 8ULL << 30);
	lim.max_files = limit(L, opts, "max_files", 10000);
	lim.max_depth = (unsigned)limit(L, opts, "max_depth", 32);
	lim.overwrite = opt_flag(L, opts, "overwrite");
	lim.flatten = flatten_default;
	if (opts > 0 && lua_getfield(L, opts, "flatten") != LUA_TNIL)
		lim.flatten = opt_flag(L, opts, "flatten");
	if (opts > 0)
		lua_pop(L, 1);
	rootfd = root_arg(L, rootidx, what, &owned);
	if (rootfd < 0)
		return fail(L, rootfd, "copy_out: root %s", lua_tostring(L, rootidx));
	memset(&col, 0, sizeof col);
	memset(&rep, 0, sizeof rep);
	rep.warn = on_warn;
	rep.copied = on_copied;
	rep.ud = &col;
	r = bs_copy_out(rootfd, dir, destfd, &lim, &rep);
	if (owned)
		close(rootfd);
	if (col.oom) {
		free_collected(&col);
		return luaL_error(L, "%s: out of memory", what);
	}
	/* the report, built once the copy is over (a Lua error inside the copy
	 * would leak its fds) */
	lua_createtable(L, 0, 4);
	lua_createtable(L, (int)col.nname, 0);
	for (size_t i = 0; i < col.nname; i++) {
		lua_createtable(L, 0, 4);
		lua_pushstring(L, col.name[i]);
		lua_setfield(L, -2, "name");
		lua_pushstring(L, col.name[i]);
		lua_setfield(L, -2, "file");
		lua_pushinteger(L, (lua_Integer)col.size[i]);
		lua_setfield(L, -2, "size");
		if (col.sha[i]) {
			lua_pushstring(L, col.sha[i]);
			lua_setfield(L, -2, "sha256");
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "files");
	lua_createtable(L, (int)col.nwarn, 0);
	for (size_t i = 0; i < col.nwarn; i++) {
		lua_pushstring(L, col.warn[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "warnings");
	lua_pushinteger(L, (lua_Integer)rep.bytes);
	lua_setfield(L, -2, "bytes");
	lua_pushinteger(L, (lua_Integer)rep.refused);
	lua_setfield(L, -2, "refused");
	free_collected(&col);
	if (r == -ELOOP)
		return luaL_error(L, "%s: %s: a symbolic link on the path inside the root (refused)", what, dir);
	if (r < 0) {
		fail(L, r, r == -EFBIG ? "copy_out: %s: a results limit was hit" : "copy_out: %s", dir);
		lua_pushvalue(L, -4); /* the report */
		return 4;
	}
	return 1;
}

/* bs.fs.copy_out(root, dir, dest [, opts]) → { files = {{name=, file=, size=, sha256=}}, warnings = {...},
 *   bytes =, refused = } | nil, msg, errno, report */
static int l_copy_out(lua_State *L)
{
	const char *what = "bs.fs.copy_out";
	const char *dir = luaL_checkstring(L, 2), *dest = luaL_checkstring(L, 3);
	int opts = 0, destfd, r;

	if (!lua_isnoneornil(L, 4)) {
		luaL_checktype(L, 4, LUA_TTABLE);
		opts = 4;
	}
	lua_settop(L, 4);
	bs_guard_dest(L, what, dest);
	if ((r = bs_mkdirs(dest, 0755)) < 0 || (destfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = r < 0 ? r : -errno;
		return fail(L, r, "bs.fs.copy_out: destination %s", dest);
	}
	r = bs_lfs_copy_out(L, 1, dir, destfd, opts, 0, what);
	close(destfd);
	return r;
}

/* ---- remove_tree ---- */

/* bs.fs.remove_tree(root [, dir]) → true | nil, msg, errno; idempotent */
static int l_remove_tree(lua_State *L)
{
	const char *what = "bs.fs.remove_tree";
	struct lroot *root = luaL_testudata(L, 1, ROOT_MT);
	const char *dir = luaL_optstring(L, 2, NULL);
	char parent[PATH_MAX];
	const char *last;
	int pfd, r, owned = 0, rootfd;

	if (root && !dir) {
		if (root->parentfd < 0)
			r = 0; /* removed already */
		else if ((r = bs_remove_tree(root->parentfd, root->name)) == 0 || r == -ENOENT) {
			close_root(root);
			if (lua_getiuservalue(L, 1, 1) == LUA_TSTRING)
				bs_lfs_note_root(L, lua_tostring(L, -1), 0);
			lua_pop(L, 1);
		}
		if (r < 0 && r != -ENOENT)
			return fail(L, r, "bs.fs.remove_tree: %s", lua_getiuservalue(L, 1, 1) == LUA_TSTRING ?
								lua_tostring(L, -1) : root->name);
		lua_pushboolean(L, 1);
		return 1;
	}
	if (!root && !dir) {
		/* a host path (trusted states only): its parent by path, itself by fd */
		const char *path = luaL_checkstring(L, 1);

		if (bs_guard_push(L))
			bs_lua_raise(L, BS_EXIT_USAGE, "%s: a recipe removes only roots from bs.fs.mkroot", what);
		lua_pop(L, 1);
		last = strrchr(path, '/');
		if (!last || !last[1] || path[0] != '/' || strlen(path) >= sizeof parent)
			return luaL_error(L, "%s: '%s' is not an absolute path to remove", what, path);
		snprintf(parent, sizeof parent, "%.*s", (int)(last - path), path);
		pfd = open(parent[0] ? parent : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0)
			return errno == ENOENT ? (lua_pushboolean(L, 1), 1) : fail(L, -errno, "bs.fs.remove_tree: %s", path);
		last++;
	} else {
		rootfd = root_arg(L, 1, what, &owned);
		if (rootfd < 0)
			return fail(L, rootfd, "bs.fs.remove_tree: root %s", lua_tostring(L, 1));
		last = strrchr(dir, '/');
		last = last ? last + 1 : dir;
		if (!*last || strcmp(last, ".") == 0 || strcmp(last, "..") == 0 ||
		    (size_t)(last - dir) >= sizeof parent) {
			if (owned)
				close(rootfd);
			return luaL_error(L, "%s: '%s' does not name an entry (use bs.fs.remove_tree(root) for the root)",
					  what, dir);
		}
		snprintf(parent, sizeof parent, "%.*s", (int)(last - dir), dir);
		pfd = bs_open_in(rootfd, parent[0] ? parent : "/", O_PATH | O_DIRECTORY, 0, BS_IN_NO_SYMLINKS);
		if (owned)
			close(rootfd);
		if (pfd == -ELOOP)
			return luaL_error(L, "%s: %s: a symbolic link on the path inside the root (refused)", what, dir);
		if (pfd == -ENOENT) {
			lua_pushboolean(L, 1);
			return 1;
		}
		if (pfd < 0)
			return fail(L, pfd, "bs.fs.remove_tree: %s", dir);
	}
	r = bs_remove_tree(pfd, last);
	close(pfd);
	if (r < 0 && r != -ENOENT)
		return fail(L, r, "bs.fs.remove_tree: %s", dir ? dir : lua_tostring(L, 1));
	lua_pushboolean(L, 1);
	return 1;
}

/* ---- read ---- */

/* bs.fs.read(root, path [, {max=}]) → string | nil, msg, errno */
static int l_read(lua_State *L)
{
	static const char *const keys[] = { "max", NULL };
	const char *what = "bs.fs.read", *path = luaL_checkstring(L, 2);
	lua_Integer max = READ_DEFAULT;
	luaL_Buffer b;
	struct stat st;
	int owned, rootfd, fd;
	size_t got = 0;

	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		bs_lua_check_keys(L, 3, what, keys, BS_KEYS_OPTION);
		if (lua_getfield(L, 3, "max") != LUA_TNIL) {
			if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > READ_MAX)
				return luaL_error(L, "%s: 'max' must be an integer from 0 to %d", what, READ_MAX);
			max = lua_tointeger(L, -1);
		}
		lua_pop(L, 1);
	}
	rootfd = root_arg(L, 1, what, &owned);
	if (rootfd < 0)
		return fail(L, rootfd, "bs.fs.read: root %s", lua_tostring(L, 1));
	fd = bs_open_in(rootfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0, 0);
	if (owned)
		close(rootfd);
	if (fd == -ELOOP)
		return luaL_error(L, "%s: %s is a symbolic link (refused)", what, path);
	if (fd == -ENXIO)
		return luaL_error(L, "%s: %s is not a regular file (refused)", what, path);
	if (fd < 0)
		return fail(L, fd, "bs.fs.read: %s", path);
	if (fstat(fd, &st) < 0) {
		int e = -errno;

		close(fd);
		return fail(L, e, "bs.fs.read: %s", path);
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		return luaL_error(L, "%s: %s is not a regular file with one link (refused)", what, path);
	}
	if (st.st_size > max) {
		close(fd);
		return fail(L, -EFBIG, "bs.fs.read: %s", path);
	}
	luaL_buffinit(L, &b);
	for (;;) {
		char *p = luaL_prepbuffsize(&b, 65536);
		size_t want = (size_t)max + 1 - got < 65536 ? (size_t)max + 1 - got : 65536;
		ssize_t n = want ? read(fd, p, want) : 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || got + (size_t)(n > 0 ? n : 0) > (size_t)max) {
			int e = n < 0 ? -errno : -EFBIG;

			close(fd);
			return fail(L, e, "bs.fs.read: %s", path);
		}
		if (n == 0)
			break;
		luaL_addsize(&b, (size_t)n);
		got += (size_t)n;
	}
	close(fd);
	luaL_pushresult(&b);
	return 1;
}

/* ---- the root object ---- */

static int root_index(lua_State *L)
{
	struct lroot *r = luaL_checkudata(L, 1, ROOT_MT);
	const char *k = luaL_checkstring(L, 2);

	(void)r;
	if (strcmp(k, "path") == 0) {
		lua_getiuservalue(L, 1, 1);
		return 1;
	}
	lua_pushnil(L);
	return 1;
}

static int root_tostring(lua_State *L)
{
	struct lroot *r = luaL_checkudata(L, 1, ROOT_MT);

	lua_getiuservalue(L, 1, 1);
	lua_pushfstring(L, "bs.fs.root %s%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "?",
			r->fd < 0 ? " (removed)" : "");
	return 1;
}

/* __gc and __close: close the fds; the tree stays until remove_tree */
static int root_gc(lua_State *L)
{
	close_root(luaL_checkudata(L, 1, ROOT_MT));
	return 0;
}

/* Registers the root objects' metatable once per state. */
static void root_meta(lua_State *L)
{
	static const luaL_Reg meta[] = {
		{ "__index", root_index }, { "__tostring", root_tostring }, { "__gc", root_gc },
		{ "__close", root_gc }, { NULL, NULL },
	};

	if (luaL_newmetatable(L, ROOT_MT)) {
		luaL_setfuncs(L, meta, 0);
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
	}
	lua_pop(L, 1);
}

void bs_lfs_push_root(lua_State *L, int fd, int parentfd, const char *name, const char *path)
{
	struct lroot *r;

	root_meta(L);
	r = lua_newuserdatauv(L, sizeof *r, 1);
	r->fd = fd;
	r->parentfd = parentfd;
	snprintf(r->name, sizeof r->name, "%s", name);
	luaL_setmetatable(L, ROOT_MT);
	lua_pushstring(L, path);
	bs_lfs_note_root(L, path, 1);
	lua_setiuservalue(L, -2, 1);
}

/* bs.fs.keep_root(path) → true | nil, msg, errno: marks one of this
 * process's roots (in the default work directory) kept, so that no later
 * bsrun takes it for a killed build's leftover (--keep). */
static int l_keep_root(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1), *name;
	size_t n = strlen(DEFAULT_WORKDIR);
	char err[512];
	int e;

	name = path + n + 1;
	if (strncmp(path, DEFAULT_WORKDIR "/", n + 1) != 0 || bs_stale_root_owner(name) != getpid())
		bs_lua_raise(L, BS_EXIT_USAGE, "bs.fs.keep_root: %s is not a root of this bsrun", path);
	if ((e = bs_stale_keep(path, err, sizeof err)) < 0) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		lua_pushinteger(L, -e);
		return 3;
	}
	lua_pushboolean(L, 1);
	return 1;
}

int luaopen_bs_fs(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "mkroot", l_mkroot }, { "copy_out", l_copy_out }, { "remove_tree", l_remove_tree },
		{ "read", l_read }, { "keep_root", l_keep_root }, { NULL, NULL },
	};
	root_meta(L);
	luaL_newlib(L, funcs);
	return 1;
}
