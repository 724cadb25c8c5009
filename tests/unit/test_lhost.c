/* bsrun_host's process and file helpers (the chain's backends use them):
 * spawn/wait/poll/kill/wait_any, a collected running process is ended,
 * lock against another process, copyfile refuses symlinks, sha256. */
#include "lstate.h"
#include "tests.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

static lua_State *T;
static char dir[] = "/tmp/bsrun-test-lhost.XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	T = bs_lua_new(BS_LUA_TRUSTED, BSRUN_SRCDIR);
	ck_assert_ptr_nonnull(T);
	lua_pushstring(T, dir);
	lua_setglobal(T, "DIR");
}

static void teardown(void)
{
	char cmd[128];

	lua_close(T);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

/* Runs code; it must return true (else its second result is the message). */
static void expect(const char *code)
{
	if (luaL_loadbufferx(T, code, strlen(code), "=test", "t") != LUA_OK || lua_pcall(T, 0, 2, 0) != LUA_OK)
		ck_abort_msg("Lua chunk failed: %s\n--- chunk:\n%s", lua_tostring(T, -1), code);
	ck_assert_msg(lua_toboolean(T, -2), "%s: %s", code, lua_tostring(T, -1) ? lua_tostring(T, -1) : "false");
	lua_pop(T, 2);
}

START_TEST(test_spawn_wait)
{
	expect("local p = assert(bsrun_host.spawn({'/bin/sh', '-c', 'echo out; echo err >&2; exit 3'},"
	       "  {stdout = DIR .. '/log', stderr = DIR .. '/log'}))\n"
	       "local how, code = p:wait()\n"
	       "local text = io.open(DIR .. '/log'):read('a')\n"
	       "return how == 'exit' and code == 3 and text == 'out\\nerr\\n' and p:poll() == 'exit', text");
	expect("local p = assert(bsrun_host.spawn({'no-such-command-bsrun'}))\n"
	       "local how, code = p:wait() return how == 'exit' and code == 127, tostring(code)");
	expect("local ok, msg = bsrun_host.spawn({'true'}, {stdout = DIR .. '/nodir/log'})\n"
	       "return ok == nil and msg:find('cannot open the stdout') ~= nil, msg");
}
END_TEST

START_TEST(test_wait_any_kill)
{
	expect("local slow = assert(bsrun_host.spawn({'sleep', '30'}))\n"
	       "local quick = assert(bsrun_host.spawn({'true'}))\n"
	       "local p, i = bsrun_host.wait_any({slow, quick}, 10)\n"
	       "if p ~= quick or i ~= 2 then return false, 'not the quick one' end\n"
	       "if bsrun_host.wait_any({slow}, 0.2) ~= nil then return false, 'sleep ended' end\n"
	       "if slow:poll() ~= nil then return false, 'poll' end\n"
	       "slow:kill()\n"
	       "local how, sig = slow:wait() return how == 'signal' and sig == 15, how");
}
END_TEST

START_TEST(test_gc_ends_process)
{
	run_lua(T, "local p = assert(bsrun_host.spawn({'sleep', '30'})) return p:pid()");
	pid_t pid = (pid_t)lua_tointeger(T, -1);

	lua_pop(T, 1);
	ck_assert_int_gt(pid, 0);
	lua_gc(T, LUA_GCCOLLECT);
	lua_gc(T, LUA_GCCOLLECT);
	ck_assert_int_ne(kill(pid, 0), 0); /* ended and reaped */
}
END_TEST

START_TEST(test_lock)
{
	expect("local l = assert(bsrun_host.lock(DIR .. '/.lock'))\n"
	       "local how, held = bsrun_host.spawn({'flock', '-n', DIR .. '/.lock', 'true'}):wait()\n"
	       "l:unlock()\n"
	       "local how2, free = bsrun_host.spawn({'flock', '-n', DIR .. '/.lock', 'true'}):wait()\n"
	       "return held == 1 and free == 0, tostring(held) .. ' ' .. tostring(free)");
}
END_TEST

START_TEST(test_copyfile)
{
	expect("local f = io.open(DIR .. '/a', 'w') f:write('abc') f:close()\n"
	       "assert(bsrun_host.copyfile(DIR .. '/a', DIR .. '/b'))\n"
	       "local same = io.open(DIR .. '/b'):read('a') == 'abc'\n"
	       "os.execute('ln -s a ' .. DIR .. '/link')\n"
	       "local ok, msg = bsrun_host.copyfile(DIR .. '/link', DIR .. '/c')\n"
	       "return same and ok == nil and io.open(DIR .. '/c') == nil, msg");
	expect("local want = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'\n"
	       "return bsrun_host.sha256('abc') == want and bsrun_host.sha256file(DIR .. '/a') == want"
	       "  and bsrun_host.sha256file(DIR .. '/link') == nil, 'sha256'");
	expect("assert(bsrun_host.mkdirs(DIR .. '/x/y/z'))\n"
	       "return bsrun_host.listdir(DIR .. '/x/y')[1] == 'z' and bsrun_host.exe():sub(1, 1) == '/', 'mkdirs'");
}
END_TEST

Suite *lhost_suite(void)
{
	Suite *s = suite_create("lhost");
	TCase *tc = tcase_create("processes and files");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_spawn_wait);
	tcase_add_test(tc, test_wait_any_kill);
	tcase_add_test(tc, test_gc_ends_process);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_copyfile);
	suite_add_tcase(s, tc);
	return s;
}
