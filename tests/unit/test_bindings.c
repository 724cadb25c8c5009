/* The bs module (bs.version, bs.has, bs.log), error reporting and data copying. */
#include "exitcodes.h"
#include "log.h"
#include "lstate.h"
#include "tests.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

static lua_State *S;
static char *logbuf;
static size_t loglen;
static FILE *logstream;

static void setup(void)
{
	S = bs_lua_new(BS_LUA_SANDBOX, BSRUN_SRCDIR);
	ck_assert_ptr_nonnull(S);
	logstream = open_memstream(&logbuf, &loglen);
	bs_log_set_stream(logstream);
	bs_log_set_level(BS_LOG_INFO);
}

static void teardown(void)
{
	lua_close(S);
	bs_log_set_stream(NULL);
	fclose(logstream);
	free(logbuf);
	logbuf = NULL;
	bs_log_set_level(BS_LOG_INFO);
}

static const char *logged(void)
{
	fflush(logstream);
	return logbuf ? logbuf : "";
}

START_TEST(test_version)
{
	run_lua(S, "return require('bs').version");
	ck_assert_str_eq(lua_tostring(S, -1), BSRUN_VERSION);
}
END_TEST

START_TEST(test_has)
{
	run_lua(S, "local bs = require 'bs'; return bs.has('log') and bs.has('ctx') and bs.has('rpm') and bs.has('fs')");
	ck_assert(lua_toboolean(S, -1));
	ck_assert_ptr_nonnull(strstr(lua_error_of(S, "require('bs').has('warp')"), "unknown primitive family 'warp'"));
	run_lua(S, "return require('bs').log == require('bs.log')");
	ck_assert(lua_toboolean(S, -1));
}
END_TEST

START_TEST(test_log_format)
{
	run_lua(S, "local log = require('bs').log; log.info('%s-%d', 'a', 5); log.warn({} ~= nil); log.debug('no')");
	ck_assert_str_eq(logged(), "bsrun: a-5\nbsrun: warning: true\n");
}
END_TEST

START_TEST(test_log_quiet_verbose)
{
	bs_log_set_level(bs_log_level_for_verbosity(-1));
	run_lua(S, "local log = require('bs').log; log.info('x'); log.error('e'); return log.level()");
	ck_assert_str_eq(lua_tostring(S, -1), "warn");
	bs_log_set_level(bs_log_level_for_verbosity(1));
	run_lua(S, "local log = require('bs').log; log.debug('d'); log.trace('t');"
		   "return log.enabled('debug') and not log.enabled('trace')");
	ck_assert(lua_toboolean(S, -1));
	ck_assert_str_eq(logged(), "bsrun: error: e\nbsrun: debug: d\n");
}
END_TEST

START_TEST(test_log_misuse)
{
	const char *e = lua_error_of(S, "require('bs').log.info('%d', 'x')");

	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e, "number expected"));
	e = lua_error_of(S, "require('bs').log.enabled('loud')");
	ck_assert_ptr_nonnull(strstr(e, "unknown log level"));
	run_lua(S, "require('bs').log.info('\\27[2J\\n')");
	ck_assert_str_eq(logged(), "bsrun: \\x1b[2J\\x0a\n");
}
END_TEST

START_TEST(test_report_codes)
{
	lua_pushliteral(S, "recipe.lua:3: boom");
	ck_assert_int_eq(bs_lua_report(S, LUA_ERRRUN), BS_EXIT_USAGE);
	run_lua(S, "local e = require 'bsrun.errors'; local ok, err = pcall(e.raise, e.DEPS, 'no %s', 'foo'); return err");
	ck_assert_int_eq(bs_lua_report(S, LUA_ERRRUN), BS_EXIT_DEPS);
	lua_pushboolean(S, 1);
	ck_assert_int_eq(bs_lua_report(S, LUA_ERRRUN), BS_EXIT_USAGE);
	lua_pushliteral(S, "not enough memory");
	ck_assert_int_eq(bs_lua_report(S, LUA_ERRMEM), BS_EXIT_INFRA);
	ck_assert_int_eq(lua_gettop(S), 0);
	ck_assert_str_eq(logged(), "bsrun: error: recipe.lua:3: boom\nbsrun: error: no foo\n"
				   "bsrun: error: error object is a boolean value\nbsrun: error: out of memory in Lua\n");
}
END_TEST

START_TEST(test_xcopy)
{
	lua_State *T = bs_lua_new(BS_LUA_TRUSTED, BSRUN_SRCDIR);
	char err[128];

	run_lua(T, "return { a = 1, b = 'x\\0y', c = { true, false, 2.5 }, [3] = 'three' }");
	ck_assert_int_eq(bs_lua_xcopy(T, -1, S, err, sizeof err), 0);
	lua_setglobal(S, "C");
	run_lua(S, "return C.a == 1 and math.type(C.a) == 'integer' and C.b == 'x\\0y' and C.c[1] == true"
		   " and C.c[2] == false and C.c[3] == 2.5 and C[3] == 'three'");
	ck_assert(lua_toboolean(S, -1));
	lua_settop(S, 0);

	run_lua(T, "return { f = print }");
	ck_assert_int_eq(bs_lua_xcopy(T, -1, S, err, sizeof err), -EINVAL);
	ck_assert_str_eq(err, "a function value cannot be copied");
	ck_assert_int_eq(lua_gettop(S), 0);

	run_lua(T, "local t = {} ; local r = t; for i = 1, 70 do t.x = {}; t = t.x end; return r");
	ck_assert_int_eq(bs_lua_xcopy(T, -1, S, err, sizeof err), -EINVAL);
	ck_assert_str_eq(err, "data nested more than 64 levels deep");
	ck_assert_int_eq(lua_gettop(S), 0);

	run_lua(T, "return { [{}] = 1 }");
	ck_assert_int_eq(bs_lua_xcopy(T, -1, S, err, sizeof err), -EINVAL);
	ck_assert_str_eq(err, "a table used as a table key cannot be copied");
	lua_close(T);
}
END_TEST

Suite *bindings_suite(void)
{
	Suite *s = suite_create("bindings");
	TCase *tc = tcase_create("bs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_has);
	tcase_add_test(tc, test_log_format);
	tcase_add_test(tc, test_log_quiet_verbose);
	tcase_add_test(tc, test_log_misuse);
	tcase_add_test(tc, test_report_codes);
	tcase_add_test(tc, test_xcopy);
	suite_add_tcase(s, tc);
	return s;
}
