/* The result directory (src/results.c) and its binding bs.results. */
#include "lbs.h"
#include "lstate.h"
#include "results.h"
#include "rmtree.h"
#include "tests.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64], out[128];
static lua_State *S;

static void setup(void)
{
	strcpy(tmpdir, "/tmp/bsrun-results.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(out, sizeof out, "%s/a/b/out", tmpdir);
	S = bs_lua_new(BS_LUA_SANDBOX, BSRUN_SRCDIR);
	ck_assert_ptr_nonnull(S);
	lua_pushstring(S, out);
	lua_setglobal(S, "OUT");
}

static void teardown(void)
{
	lua_close(S);
	bs_remove_tree(AT_FDCWD, tmpdir);
}

static const char *slurp(const char *dir, const char *name)
{
	static char buf[4096];
	char path[256];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	buf[0] = 0;
	if ((f = fopen(path, "r"))) {
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

/* The number of entries of tmpdir/a/b (staging directories included). */
static int entries(void)
{
	char path[160];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof path, "%s/a/b", tmpdir);
	if (!(dir = opendir(path)))
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.' || (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."));
	closedir(dir);
	return n;
}

START_TEST(test_names)
{
	ck_assert(bs_results_name_ok("build.log"));
	ck_assert(bs_results_name_ok("hello-2.10-1.x86_64.rpm"));
	ck_assert(!bs_results_name_ok(""));
	ck_assert(!bs_results_name_ok(".hidden"));
	ck_assert(!bs_results_name_ok(".."));
	ck_assert(!bs_results_name_ok("a/b"));
	ck_assert(!bs_results_name_ok("a\033[2Jb"));
	ck_assert(!bs_results_name_ok("caf\xc3\xa9"));
}
END_TEST

/* Nothing is visible at the final path before commit; commit puts everything
 * in place at once, and an earlier result is moved aside, not overwritten. */
START_TEST(test_stage_and_commit)
{
	struct bs_results *r;
	char err[256], aside[320];
	struct stat st;

	ck_assert_int_eq(bs_results_begin(out, &r, err, sizeof err), 0);
	ck_assert_int_eq(bs_results_write(r, "results.json", "{}\n", 3), 0);
	ck_assert_int_eq(bs_results_write(r, "results.json", "x", 1), -EEXIST);
	ck_assert_int_eq(bs_results_write(r, "../escape", "x", 1), -EINVAL);
	ck_assert_int_lt(stat(out, &st), 0);
	ck_assert_int_eq(entries(), 1); /* the staging directory only */
	ck_assert_int_eq(bs_results_commit(r, aside, sizeof aside, err, sizeof err), 0);
	ck_assert_str_eq(aside, "");
	ck_assert_str_eq(slurp(out, "results.json"), "{}\n");
	bs_results_free(r);

	ck_assert_int_eq(bs_results_begin(out, &r, err, sizeof err), 0);
	ck_assert_int_eq(bs_results_write(r, "results.json", "{\"second\":1}", 12), 0);
	ck_assert_int_eq(bs_results_commit(r, aside, sizeof aside, err, sizeof err), 0);
	ck_assert_msg(strstr(aside, "out.old-"), "%s", aside);
	ck_assert_str_eq(slurp(out, "results.json"), "{\"second\":1}");
	{
		char old[700];
		snprintf(old, sizeof old, "%s/a/b/%s", tmpdir, aside);
		ck_assert_str_eq(slurp(old, "results.json"), "{}\n");
	}
	ck_assert_int_eq(entries(), 2);
	bs_results_free(r);
}
END_TEST

/* An aborted (or freed, uncommitted) result leaves nothing behind. */
START_TEST(test_abort)
{
	struct bs_results *r;
	char err[256];

	ck_assert_int_eq(bs_results_begin(out, &r, err, sizeof err), 0);
	ck_assert_int_eq(bs_results_write(r, "build.log", "x", 1), 0);
	bs_results_free(r);
	ck_assert_int_eq(entries(), 0);
}
END_TEST

/* The sandbox may only begin its job's result directories. */
START_TEST(test_sandbox_allowed_only)
{
	const char *e;

	bs_lua_results_allow(S, out);
	e = lua_error_of(S, "require('bs').results.begin('/tmp/elsewhere')");
	ck_assert_msg(e && strstr(e, "not this job's result directory"), "%s", e ? e : "(none)");
	run_lua(S, "local r = assert(require('bs').results.begin(OUT)); r:abort(); return true");
	e = lua_error_of(S, "local r = require('bs').results.begin(OUT); r:write('../x', 'y')");
	ck_assert_msg(e && strstr(e, "not a plain file name"), "%s", e ? e : "(none)");
	lua_gc(S, LUA_GCCOLLECT); /* the abandoned result is aborted when collected */
	ck_assert_int_eq(entries(), 0);
}
END_TEST

/* r:open gives a file handle in a state without io; tail is sanitized; commit
 * closes what is open. */
START_TEST(test_open_tail_commit)
{
	run_lua(S, "local r = assert(require('bs').results.begin(OUT))\n"
		   "local f = assert(r:open('build.log'))\n"
		   "f:write('line 1\\n', 'evil \\27]0;title\\7 line\\n')\n"
		   "f:flush()\n"
		   "local t = r:tail('build.log', 100)\n"
		   "assert(not t:find('\\27', 1, true), t)\n"
		   "assert(t:find('line 1', 1, true))\n"
		   "assert(r:open('build.log') == nil)\n"
		   "local final = assert(r:commit())\n"
		   "return final == OUT and io == nil");
	ck_assert(lua_toboolean(S, -1));
	ck_assert(strstr(slurp(out, "build.log"), "evil \033]0;title"));
}
END_TEST

/* A tee'd log reaches the file completely (the pump ends at commit). */
START_TEST(test_tee)
{
	FILE *saved = stderr;
	int null = open("/dev/null", O_WRONLY), keep = dup(2);

	dup2(null, 2);
	run_lua(S, "local r = assert(require('bs').results.begin(OUT))\n"
		   "local f = assert(r:open('build.log', { tee = true }))\n"
		   "for i = 1, 1000 do f:write('line ', i, '\\n') end\n"
		   "return assert(r:commit())");
	dup2(keep, 2);
	close(keep);
	close(null);
	(void)saved;
	ck_assert(strstr(slurp(out, "build.log"), "line 1\nline 2\n"));
	{
		char path[200];
		struct stat st;
		snprintf(path, sizeof path, "%s/build.log", out);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_size, 8893); /* "line N\n" for N = 1..1000 */
	}
}
END_TEST

Suite *results_suite(void)
{
	Suite *s = suite_create("results");
	TCase *tc = tcase_create("results");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_stage_and_commit);
	tcase_add_test(tc, test_abort);
	tcase_add_test(tc, test_sandbox_allowed_only);
	tcase_add_test(tc, test_open_tail_commit);
	tcase_add_test(tc, test_tee);
	suite_add_tcase(s, tc);
	return s;
}
