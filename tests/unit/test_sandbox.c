/* The recipe sandbox: each forbidden function is really absent or refused. */
#include "exitcodes.h"
#include "lstate.h"
#include "tests.h"

#include <fcntl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static lua_State *S;

static void setup(void)
{
	S = bs_lua_new(BS_LUA_SANDBOX, BSRUN_SRCDIR);
	ck_assert_ptr_nonnull(S);
}

static void teardown(void)
{
	lua_close(S);
}

static void expect_true(const char *code)
{
	run_lua(S, code);
	ck_assert_msg(lua_toboolean(S, -1), "expected true from: %s", code);
	lua_pop(S, 1);
}

/* Each expression must be nil in the sandbox. */
static const char *const absent[] = {
	"io", "debug", "dofile", "loadfile", "string.dump", "package.loadlib", "package.searchpath",
	"os.execute", "os.remove", "os.rename", "os.exit", "os.tmpname", "os.setlocale",
	"package.loaded.io", "package.loaded.debug", "bsrun_host", "('').dump", "require('os').execute",
};

START_TEST(test_absent)
{
	char code[256];

	snprintf(code, sizeof code, "return %s == nil", absent[_i]);
	expect_true(code);
}
END_TEST

START_TEST(test_present)
{
	expect_true("return type(os.time) == 'function' and type(os.clock) == 'function'"
		    " and type(os.date) == 'function' and type(os.getenv) == 'function'");
	expect_true("return type(string.format) == 'function' and type(table.concat) == 'function'"
		    " and type(math.floor) == 'function' and type(coroutine.wrap) == 'function'");
	expect_true("return load('return 1 + 1')() == 2");
	expect_true("return load('return x', 'c', 't', {x = 5})() == 5");
	expect_true("return require('bs').version ~= nil");
}
END_TEST

/* Each chunk must raise an error containing the given text. */
static const struct {
	const char *code, *err;
} refused[] = {
	{ "return require('io')", "module 'io' not found" },
	{ "return require('debug')", "module 'debug' not found" },
	{ "return require('bsrun.main')", "module 'bsrun.main' not found" },
	{ "return require('bsrun.policy')", "module 'bsrun.policy' not found" },
	{ "return require('lpeg')", "module 'lpeg' not found" },
	{ "return require('os').execute('true')", "attempt to call a nil value (field 'execute')" },
	{ "return io.open('/etc/passwd')", "attempt to index a nil value (global 'io')" },
	{ "package.path = './?.lua'; return require('evil')", "module 'evil' not found" },
};

START_TEST(test_refused)
{
	const char *e = lua_error_of(S, refused[_i].code);

	ck_assert_msg(e != NULL, "no error from: %s", refused[_i].code);
	ck_assert_msg(strstr(e, refused[_i].err), "error '%s' lacks '%s'", e, refused[_i].err);
}
END_TEST

struct membuf {
	char data[4096];
	size_t len;
};

static int writer(lua_State *L, const void *p, size_t sz, void *ud)
{
	struct membuf *m = ud;

	(void)L;
	if (m->len + sz > sizeof m->data)
		return 1;
	memcpy(m->data + m->len, p, sz);
	m->len += sz;
	return 0;
}

/* Pushes onto S a binary chunk made in a trusted state. */
static void push_binary_chunk(void)
{
	lua_State *T = bs_lua_new(BS_LUA_TRUSTED, BSRUN_SRCDIR);
	struct membuf m = { .len = 0 };

	ck_assert_int_eq(luaL_loadstring(T, "return 42"), LUA_OK);
	ck_assert_int_eq(lua_dump(T, writer, &m, 0), 0);
	ck_assert_int_eq(m.data[0], 0x1b);
	lua_pushlstring(S, m.data, m.len);
	lua_close(T);
}

START_TEST(test_binary_chunk_refused)
{
	push_binary_chunk();
	lua_setglobal(S, "BIN");
	expect_true("local f, e = load(BIN); return f == nil and e:find('binary chunk') ~= nil");
	expect_true("local f, e = load(BIN, 'x', 'b'); return f == nil and e:find('binary chunk') ~= nil");
	expect_true("local f, e = load(BIN, 'x', 'bt', {}); return f == nil and e:find('binary chunk') ~= nil");
	expect_true("local i = 0; local f, e = load(function() i = i + 1; if i == 1 then return BIN end end);"
		    "return f == nil and e:find('binary chunk') ~= nil");
}
END_TEST

START_TEST(test_binary_recipe_file_refused)
{
	char path[] = "/tmp/bsrun-test-recipe.XXXXXX";
	int fd = mkstemp(path);
	size_t len;
	const char *bin;

	ck_assert_int_ge(fd, 0);
	push_binary_chunk();
	bin = lua_tolstring(S, -1, &len);
	ck_assert_int_eq(write(fd, bin, len), (ssize_t)len);
	close(fd);
	lua_pop(S, 1);
	ck_assert_int_ne(bs_lua_loadfile(S, path), LUA_OK);
	ck_assert_msg(strstr(lua_tostring(S, -1), "binary chunk"), "got: %s", lua_tostring(S, -1));
	unlink(path);
}
END_TEST

START_TEST(test_missing_file_message)
{
	ck_assert_int_ne(bs_lua_loadfile(S, "/nonexistent/r.lua"), LUA_OK);
	ck_assert_str_eq(lua_tostring(S, -1), "cannot read /nonexistent/r.lua: No such file or directory");
}
END_TEST

START_TEST(test_print_sanitized)
{
	char path[] = "/tmp/bsrun-test-print.XXXXXX";
	int fd = mkstemp(path), saved = dup(1);
	char buf[256] = { 0 };

	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	dup2(fd, 1);
	run_lua(S, "print('a\\27[31m', 2, nil) print('x\\ny')");
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	ck_assert_int_gt(pread(fd, buf, sizeof buf - 1, 0), 0);
	close(fd);
	unlink(path);
	ck_assert_str_eq(buf, "a\\x1b[31m\t2\tnil\nx\ny\n");
}
END_TEST

START_TEST(test_trusted_has_more)
{
	lua_State *T = bs_lua_new(BS_LUA_TRUSTED, BSRUN_SRCDIR);

	run_lua(T, "return io ~= nil and debug ~= nil and type(bsrun_host.listdir) == 'function'"
		   " and require('bsrun.errors').USAGE == 2 and package.cpath == ''");
	ck_assert(lua_toboolean(T, -1));
	lua_close(T);
}
END_TEST

Suite *sandbox_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("recipe state");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_absent, 0, sizeof absent / sizeof *absent);
	tcase_add_test(tc, test_present);
	tcase_add_loop_test(tc, test_refused, 0, sizeof refused / sizeof *refused);
	tcase_add_test(tc, test_binary_chunk_refused);
	tcase_add_test(tc, test_binary_recipe_file_refused);
	tcase_add_test(tc, test_missing_file_message);
	tcase_add_test(tc, test_print_sanitized);
	tcase_add_test(tc, test_trusted_has_more);
	suite_add_tcase(s, tc);
	return s;
}
