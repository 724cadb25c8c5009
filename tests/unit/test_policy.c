/* Policy loading and schema validation, driven by the fixtures in
 * tests/data/policies: every bad fixture's first line says the exact error. */
#include "lstate.h"
#include "tests.h"

#include <dirent.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURES "tests/data/policies"
#define MAX_FIXTURES 128

static lua_State *T;
static char *bad[MAX_FIXTURES], *good[MAX_FIXTURES];
static int nbad, ngood;

static void setup(void)
{
	T = bs_lua_new(BS_LUA_TRUSTED, BSRUN_SRCDIR);
	ck_assert_ptr_nonnull(T);
}

static void teardown(void)
{
	lua_close(T);
}

static int list_fixtures(const char *dir, char **out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < MAX_FIXTURES) {
		size_t len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".lua") == 0) {
			size_t plen = strlen(dir) + len + 2;
			out[n] = malloc(plen);
			snprintf(out[n++], plen, "%s/%s", dir, de->d_name);
		}
	}
	closedir(d);
	return n;
}

/* Loads a policy; returns NULL on success or the error message (static). */
static const char *load_policy(const char *path)
{
	static char code[1024];

	snprintf(code, sizeof code, "return require('bsrun.policy').load(%s%s%s, 'policies')", "'", path, "'");
	return lua_error_of(T, code);
}

/* The fixture's "-- expect: TEXT" line with FILE and DIR substituted. */
static void expected_error(const char *path, char *out, size_t len)
{
	char line[1024], *nl;
	const char *p;
	FILE *f = fopen(path, "r");
	size_t o = 0;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	fclose(f);
	if ((nl = strchr(line, '\n')))
		*nl = '\0';
	ck_assert_msg(strncmp(line, "-- expect: ", 11) == 0, "%s: first line is not '-- expect: '", path);
	for (p = line + 11; *p && o + 1 < len;) {
		if (strncmp(p, "FILE", 4) == 0) {
			o += (size_t)snprintf(out + o, len - o, "%s", path);
			p += 4;
		} else if (strncmp(p, "DIR", 3) == 0) {
			o += (size_t)snprintf(out + o, len - o, "%s", FIXTURES "/bad");
			p += 3;
		} else {
			out[o++] = *p++;
		}
	}
	out[o < len ? o : len - 1] = '\0';
}

START_TEST(test_bad_fixture)
{
	char want[1024];
	const char *got;

	ck_assert_int_gt(nbad, 0);
	expected_error(bad[_i], want, sizeof want);
	got = load_policy(bad[_i]);
	ck_assert_msg(got != NULL, "%s loaded without error; expected: %s", bad[_i], want);
	ck_assert_str_eq(got, want);
}
END_TEST

START_TEST(test_good_fixture)
{
	const char *got = load_policy(good[_i]);

	ck_assert_msg(got == NULL, "%s: %s", good[_i], got);
}
END_TEST

START_TEST(test_fixture_counts)
{
	ck_assert_int_ge(nbad, 20);
	ck_assert_int_ge(ngood, 6);
}
END_TEST

START_TEST(test_shipped_policies)
{
	run_lua(T, "local p = require 'bsrun.policy'\n"
		   "local h = p.load('hostdist', 'policies')\n"
		   "local r = p.load('rhl9', 'policies')\n"
		   "local f = p.load('fc1', 'policies')\n"
		   "assert(h.name == 'hostdist' and h.isolation.memory == 4 * 2^30, 'hostdist memory')\n"
		   "assert(h.isolation.network == false and h.isolation.pids == 4096, 'hostdist limits')\n"
		   "assert(h.isolation.timeout == 4 * 3600 and h.isolation.disk == 8 * 2^30, 'hostdist time/disk')\n"
		   "assert(#h.base > 5 and #h.universe > 20, 'hostdist lists')\n"
		   "assert(r.arch == 'i386' and r.dist == '.rh9' and r.macros.rh9 == '1', 'rhl9')\n"
		   "assert(f.arch == 'i386' and f.dist == '.fc1' and f.macros.fc1 == '1', 'fc1')\n"
		   "assert(f.macros.fedora == '1' and #f.repos >= 2, 'fc1 repos')\n"
		   "return true");
	ck_assert(lua_toboolean(T, -1));
}
END_TEST

START_TEST(test_mirror_override)
{
	run_lua(T, "local p = require 'bsrun.policy'\n"
		   "local f = assert(io.open('/tmp/bsrun-mirror-test.lua', 'w'))\n"
		   "f:write('return { inherit = \"fc1\", mirror = \"/srv/fc1\" }') f:close()\n"
		   "local pol = p.load('/tmp/bsrun-mirror-test.lua', 'policies')\n"
		   "os.remove('/tmp/bsrun-mirror-test.lua')\n"
		   "return #pol.repos == 1 and pol.repos[1].url == 'file:///srv/fc1' and pol.macros.fc1 == '1'");
	ck_assert(lua_toboolean(T, -1));
}
END_TEST

START_TEST(test_not_found)
{
	ck_assert_str_eq(load_policy("nosuch"), "policy \"nosuch\" not found (looked in policies)");
}
END_TEST

START_TEST(test_dump_roundtrip)
{
	run_lua(T, "local p = require 'bsrun.policy'\n"
		   "local s = p.dump(p.load('fc1', 'policies'))\n"
		   "local t = assert(load(s, 'dump', 't', {}))()\n"
		   "return t.arch == 'i386' and t.isolation.pids == 4096 and s == p.dump(t)");
	ck_assert(lua_toboolean(T, -1));
}
END_TEST

Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("schema");

	nbad = list_fixtures(FIXTURES "/bad", bad);
	ngood = list_fixtures(FIXTURES "/good", good);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fixture_counts);
	tcase_add_loop_test(tc, test_bad_fixture, 0, nbad ? nbad : 1);
	tcase_add_loop_test(tc, test_good_fixture, 0, ngood);
	tcase_add_test(tc, test_shipped_policies);
	tcase_add_test(tc, test_mirror_override);
	tcase_add_test(tc, test_not_found);
	tcase_add_test(tc, test_dump_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

/* Frees the fixture lists (called at exit). */
static void free_fixtures(void) __attribute__((destructor));
static void free_fixtures(void)
{
	while (nbad)
		free(bad[--nbad]);
	while (ngood)
		free(good[--ngood]);
}
