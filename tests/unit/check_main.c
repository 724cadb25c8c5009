/* Runs every Check suite of bsrun's unit tests. */
#include "tests.h"

#include <ftw.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void run_lua(lua_State *L, const char *code)
{
	if (luaL_loadbufferx(L, code, strlen(code), "=test", "t") != LUA_OK ||
	    lua_pcall(L, 0, 1, 0) != LUA_OK)
		ck_abort_msg("Lua chunk failed: %s\n--- chunk:\n%s", lua_tostring(L, -1), code);
}

const char *lua_error_of(lua_State *L, const char *code)
{
	static char msg[1024];

	if (luaL_loadbufferx(L, code, strlen(code), "=test", "t") == LUA_OK &&
	    lua_pcall(L, 0, 0, 0) == LUA_OK)
		return NULL;
	if (lua_type(L, -1) == LUA_TTABLE) {
		lua_getfield(L, -1, "message");
		lua_replace(L, -2);
	}
	snprintf(msg, sizeof msg, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "(non-string error)");
	lua_pop(L, 1);
	return msg;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int main(void)
{
	SRunner *sr;
	int failed;

	/* fixtures and shipped files are named relative to the source tree */
	if (chdir(BSRUN_SRCDIR) < 0) {
		perror(BSRUN_SRCDIR);
		return EXIT_FAILURE;
	}
	sr = srunner_create(cli_suite());

	srunner_add_suite(sr, sanitize_suite());
	srunner_add_suite(sr, sandbox_suite());
	srunner_add_suite(sr, lhost_suite());
	srunner_add_suite(sr, bindings_suite());
	srunner_add_suite(sr, policy_suite());
	srunner_add_suite(sr, driver_suite());
	srunner_add_suite(sr, results_suite());
	srunner_add_suite(sr, fs_suite());
	srunner_add_suite(sr, ctx_suite());
	srunner_add_suite(sr, ctxcmd_suite());
	srunner_add_suite(sr, rootless_suite());
	srunner_add_suite(sr, repo_suite());
	srunner_add_suite(sr, mountin_suite());
	srunner_add_suite(sr, lbs_fs_suite());
	srunner_add_suite(sr, install_suite());
	srunner_add_suite(sr, rpmhdr_suite());
	srunner_add_suite(sr, image_suite());
	srunner_add_suite(sr, stale_suite());
	srunner_add_suite(sr, scfilter_suite());
	srunner_add_suite(sr, initcfg_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
