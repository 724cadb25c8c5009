/* Command-line parsing: every option, every refusal and its message. */
#include "cli.h"
#include "exitcodes.h"
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct bs_opts o;
static char err[512];

/* Parses a NULL-terminated argument list (argv[0] added). */
#define PARSE(...) parse((const char *[]){ "bsrun", __VA_ARGS__, NULL })
static int parse(const char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	bs_cli_free(&o);
	return bs_cli_parse(argc, argv, &o, err, sizeof err);
}

static void teardown(void)
{
	bs_cli_free(&o);
}

START_TEST(test_minimal_build)
{
	ck_assert_int_eq(PARSE("rpmbuild", "a.src.rpm"), 0);
	ck_assert_int_eq(o.cmd, BS_CMD_BUILD);
	ck_assert_str_eq(o.recipe, "rpmbuild");
	ck_assert_uint_eq(o.args.n, 1);
	ck_assert_str_eq(o.args.v[0], "a.src.rpm");
	ck_assert_ptr_null(o.policy);
	ck_assert_ptr_null(o.resultdir);
	ck_assert_int_eq(o.jobs, 1);
	ck_assert_int_eq(o.verbosity, 0);
	ck_assert_int_eq(o.keep | o.shell | o.dry_run, 0);
}
END_TEST

START_TEST(test_all_options)
{
	ck_assert_int_eq(PARSE("-p", "fc1", "--resultdir=out", "-D", "%dist .fc1", "--define", "foo  bar baz",
			       "--with", "x", "--without=y", "--keep", "--shell", "-j", "4", "-n", "-vv",
			       "recipes/x.lua", "a.src.rpm", "b.src.rpm"), 0);
	ck_assert_str_eq(o.policy, "fc1");
	ck_assert_str_eq(o.resultdir, "out");
	ck_assert_uint_eq(o.defines.n, 2);
	ck_assert_str_eq(o.defines.v[0], "dist .fc1");
	ck_assert_str_eq(o.defines.v[1], "foo bar baz");
	ck_assert_uint_eq(o.with.n, 1);
	ck_assert_str_eq(o.with.v[0], "x");
	ck_assert_str_eq(o.without.v[0], "y");
	ck_assert_int_eq(o.keep, 1);
	ck_assert_int_eq(o.shell, 1);
	ck_assert_int_eq(o.dry_run, 1);
	ck_assert_int_eq(o.jobs, 4);
	ck_assert_int_eq(o.verbosity, 2);
	ck_assert_str_eq(o.recipe, "recipes/x.lua");
	ck_assert_uint_eq(o.args.n, 2);
}
END_TEST

START_TEST(test_quiet)
{
	ck_assert_int_eq(PARSE("-q", "r", "a.src.rpm"), 0);
	ck_assert_int_eq(o.verbosity, -1);
}
END_TEST

START_TEST(test_help_version)
{
	ck_assert_int_eq(PARSE("--help"), 0);
	ck_assert_int_eq(o.cmd, BS_CMD_HELP);
	ck_assert_int_eq(PARSE("-h", "--version"), 0);
	ck_assert_int_eq(o.cmd, BS_CMD_HELP);
	ck_assert_int_eq(PARSE("-V"), 0);
	ck_assert_int_eq(o.cmd, BS_CMD_VERSION);
}
END_TEST

START_TEST(test_subcommands)
{
	ck_assert_int_eq(PARSE("policy", "check", "fc1"), 0);
	ck_assert_int_eq(o.cmd, BS_CMD_POLICY);
	ck_assert_uint_eq(o.args.n, 2);
	ck_assert_str_eq(o.args.v[0], "check");
	ck_assert_int_eq(PARSE("ctx", "list"), 0);
	ck_assert_int_eq(o.cmd, BS_CMD_CTX);
	ck_assert_int_eq(PARSE("cache"), 0);
	ck_assert_int_eq(o.cmd, BS_CMD_CACHE);
	ck_assert_int_eq(PARSE("ctx", "exec", "7", "--", "ls", "-l"), 0);
	ck_assert_uint_eq(o.args.n, 4);
	ck_assert_str_eq(o.args.v[3], "-l");
}
END_TEST

/* Each refusal: arguments, then the exact message. */
static const struct {
	const char *argv[8];
	const char *msg;
} refusals[] = {
	{ { "--frob", "r", "a" }, "unknown option '--frob' (see bsrun --help)" },
	{ { "-x", "r", "a" }, "unknown option '-x' (see bsrun --help)" },
	{ { "r", "a", "--policy" }, "option '--policy' needs an argument (see bsrun --help)" },
	{ { }, "missing RECIPE and PKG.src.rpm (see bsrun --help)" },
	{ { "rpmbuild" }, "missing PKG.src.rpm after recipe 'rpmbuild' (see bsrun --help)" },
	{ { "-j", "0", "r", "a" }, "--jobs '0': expected a whole number from 1 to 256" },
	{ { "-j", "257", "r", "a" }, "--jobs '257': expected a whole number from 1 to 256" },
	{ { "-j", "2x", "r", "a" }, "--jobs '2x': expected a whole number from 1 to 256" },
	{ { "-D", "foo", "r", "a" }, "--define 'foo': expected 'NAME VALUE'" },
	{ { "-D", "1x y", "r", "a" }, "--define '1x y': '1x' is not a macro name (letters, digits, _)" },
	{ { "-D", "a-b y", "r", "a" }, "--define 'a-b y': 'a-b' is not a macro name (letters, digits, _)" },
	{ { "-D", "x a\033[2Jb", "r", "a" }, "--define x: the value must be one line without control characters" },
	{ { "--with", "a b", "r", "a" }, "--with 'a b': a feature name is letters, digits and _" },
	{ { "--with", "x", "--without", "x", "r", "a" }, "--with x and --without x contradict each other" },
	{ { "-q", "-v", "r", "a" }, "--quiet and --verbose cannot be combined" },
	{ { "-p", "", "r", "a" }, "--policy needs a non-empty argument" },
	{ { "-p", "a b", "r", "a" }, "--policy 'a b': not a policy name (letters, digits, . _ -) or a file" },
	{ { "-r", "a\nb", "r", "a" }, "--resultdir: the argument contains control characters" },
	{ { "", "a" }, "RECIPE must not be empty" },
	{ { "r", "a\tb" }, "argument 1 contains control characters" },
	{ { "r", "" }, "an empty argument is not a file name" },
};

START_TEST(test_refusal)
{
	const char *argv[10] = { "bsrun" };
	int argc = 1;

	for (int i = 0; refusals[_i].argv[i]; i++)
		argv[argc++] = refusals[_i].argv[i];
	bs_cli_free(&o);
	ck_assert_int_eq(bs_cli_parse(argc, argv, &o, err, sizeof err), BS_EXIT_USAGE);
	ck_assert_str_eq(err, refusals[_i].msg);
}
END_TEST

START_TEST(test_with_dedup)
{
	ck_assert_int_eq(PARSE("--with", "x", "--with", "x", "r", "a"), 0);
	ck_assert_uint_eq(o.with.n, 1);
}
END_TEST

START_TEST(test_help_text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	static const char *const must[] = {
		"--policy", "--resultdir", "--define", "--with=", "--without", "--keep", "--shell", "--jobs",
		"--dry-run", "--quiet", "--verbose", "--help", "--version", "bsrun ctx", "bsrun cache",
		"bsrun policy", "  0  success", "  1  the package failed to build", "  2  usage error",
		"  3  unresolvable dependencies", "  4  infrastructure failure", "  5  a limit was hit",
	};

	bs_cli_help(f);
	fclose(f);
	for (size_t i = 0; i < sizeof must / sizeof *must; i++)
		ck_assert_msg(strstr(buf, must[i]), "--help lacks '%s'", must[i]);
	free(buf);
}
END_TEST

START_TEST(test_validators)
{
	ck_assert(bs_cli_valid_policy_name("fc1"));
	ck_assert(bs_cli_valid_policy_name("my-dist_2.x"));
	ck_assert(!bs_cli_valid_policy_name("-x"));
	ck_assert(!bs_cli_valid_policy_name(".hidden"));
	ck_assert(!bs_cli_valid_policy_name("a/b"));
	ck_assert(bs_cli_valid_feature("ssl_2"));
	ck_assert(!bs_cli_valid_feature(""));
	ck_assert(!bs_cli_valid_feature("a-b"));
	ck_assert(bs_cli_valid_macro_name("_x1", 3));
	ck_assert(!bs_cli_valid_macro_name("", 0));
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_minimal_build);
	tcase_add_test(tc, test_all_options);
	tcase_add_test(tc, test_quiet);
	tcase_add_test(tc, test_help_version);
	tcase_add_test(tc, test_subcommands);
	tcase_add_loop_test(tc, test_refusal, 0, sizeof refusals / sizeof *refusals);
	tcase_add_test(tc, test_with_dedup);
	tcase_add_test(tc, test_help_text);
	tcase_add_test(tc, test_validators);
	suite_add_tcase(s, tc);
	return s;
}
