/* bs.rpm.header: a src.rpm's header, read in a sandbox (rpmhdr.c). */
#include "exitcodes.h"
#include "lbs.h"
#include "rpmhdr.h"

#include <errno.h>
#include <lauxlib.h>
#include <string.h>

static void set_field(lua_State *L, const char *key, const char *value)
{
	if (value) {
		lua_pushstring(L, value);
		lua_setfield(L, -2, key);
	}
}

static void set_list(lua_State *L, const char *key, const struct bs_strlist *l)
{
	lua_createtable(L, (int)l->n, 0);
	for (size_t i = 0; i < l->n; i++) {
		lua_pushstring(L, l->v[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, key);
}

/* The failures that are the file's fault (exit 2), not the machine's. */
static int bad_input(int rc)
{
	switch (-rc) {
	case ENOENT: case EACCES: case EPERM: case ELOOP: case EINVAL: case EBADMSG:
	case EMEDIUMTYPE: case EFBIG: case ECHILD: case ENOTDIR: case EISDIR: case ENXIO:
	case ENAMETOOLONG:
		return 1;
	default:
		return 0;
	}
}

static int header_gc(lua_State *L)
{
	bs_rpmhdr_free(lua_touserdata(L, 1));
	return 0;
}

/* bs.rpm.header(path) → {name=, epoch=, version=, release=, arch=, nevr=,
 * specfile=, sources=, patches=, buildrequires=, rpmlib=, buildconflicts=};
 * raises a bsrun error with exit 2 for a file that is not a readable source
 * RPM; nil, msg, errno when the machine fails (fork, pipe, the sandbox). */
int bs_lua_rpm_header(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct bs_rpmhdr *h;
	char err[1024];
	int rc;

	/* a userdata owns the result, so that an error below frees it */
	h = lua_newuserdatauv(L, sizeof *h, 0);
	memset(h, 0, sizeof *h);
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, header_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	rc = bs_rpmhdr_read(path, h, err, sizeof err);
	if (rc < 0 && bad_input(rc)) {
		bs_lua_push_error(L, BS_EXIT_USAGE, err);
		return lua_error(L);
	}
	if (rc < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		lua_pushinteger(L, -rc);
		return 3;
	}
	lua_createtable(L, 0, 12);
	set_field(L, "name", h->name);
	set_field(L, "version", h->version);
	set_field(L, "release", h->release);
	set_field(L, "arch", h->arch);
	set_field(L, "nevr", h->nevr);
	set_field(L, "specfile", h->specfile);
	if (h->epoch >= 0) {
		lua_pushinteger(L, h->epoch);
		lua_setfield(L, -2, "epoch");
	}
	set_list(L, "sources", &h->sources);
	set_list(L, "patches", &h->patches);
	set_list(L, "buildrequires", &h->buildrequires);
	set_list(L, "rpmlib", &h->rpmlib);
	set_list(L, "buildconflicts", &h->buildconflicts);
	bs_rpmhdr_free(h);
	return 1;
}
