/* Sanitizing untrusted text, and the log lines built on it. */
#include "log.h"
#include "sanitize.h"
#include "tests.h"

#include <stdlib.h>
#include <string.h>

static void expect_clean(const char *in, size_t len, int flags, const char *want)
{
	char *got = bs_sanitize(in, len, flags);

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(bs_is_clean(in, len, flags), strcmp(want, in) == 0 && strlen(in) == len);
	free(got);
}

START_TEST(test_plain)
{
	expect_clean("hello-1.0.src.rpm", 17, 0, "hello-1.0.src.rpm");
	expect_clean("tab\there", 8, 0, "tab\there");
	expect_clean("caf\xc3\xa9", 5, 0, "caf\xc3\xa9");
	expect_clean("\xe2\x82\xac\xf0\x9f\x98\x80", 7, 0, "\xe2\x82\xac\xf0\x9f\x98\x80");
}
END_TEST

START_TEST(test_controls)
{
	expect_clean("a\033[2Jb", 6, 0, "a\\x1b[2Jb");
	expect_clean("a\nb", 3, 0, "a\\x0ab");
	expect_clean("a\nb", 3, BS_SANITIZE_KEEP_NEWLINES, "a\nb");
	expect_clean("a\rb\x7f", 4, 0, "a\\x0db\\x7f");
	expect_clean("a\0b", 3, 0, "a\\x00b");
}
END_TEST

START_TEST(test_bad_utf8)
{
	expect_clean("\xc2\x9b" "31m", 5, 0, "\\xc2\\x9b31m"); /* C1 CSI as UTF-8 */
	expect_clean("\x9b", 1, 0, "\\x9b");                 /* raw 8-bit CSI */
	expect_clean("\xc0\xaf", 2, 0, "\\xc0\\xaf");         /* overlong '/' */
	expect_clean("\xed\xa0\x80", 3, 0, "\\xed\\xa0\\x80"); /* surrogate */
	expect_clean("\xe2\x82", 2, 0, "\\xe2\\x82");         /* truncated */
	expect_clean("\xf5\x80\x80\x80", 4, 0, "\\xf5\\x80\\x80\\x80");
}
END_TEST

START_TEST(test_log_levels)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	bs_log_set_stream(f);
	bs_log_set_level(bs_log_level_for_verbosity(-1));
	bs_log(BS_LOG_INFO, "hidden");
	bs_log(BS_LOG_WARN, "shown %d", 1);
	bs_log_set_level(bs_log_level_for_verbosity(1));
	bs_log(BS_LOG_DEBUG, "dbg");
	bs_log(BS_LOG_TRACE, "hidden too");
	bs_log(BS_LOG_INFO, "evil\033]0;title\007\nbsrun: error: forged");
	bs_log(BS_LOG_ERROR, "bad");
	fclose(f);
	bs_log_set_stream(NULL);
	bs_log_set_level(BS_LOG_INFO);
	ck_assert_str_eq(buf, "bsrun: warning: shown 1\n"
			      "bsrun: debug: dbg\n"
			      "bsrun: evil\\x1b]0;title\\x07\\x0absrun: error: forged\n"
			      "bsrun: error: bad\n");
	free(buf);
}
END_TEST

START_TEST(test_level_names)
{
	ck_assert_int_eq(bs_log_level_for_verbosity(0), BS_LOG_INFO);
	ck_assert_int_eq(bs_log_level_for_verbosity(5), BS_LOG_TRACE);
	ck_assert_str_eq(bs_log_level_name(BS_LOG_WARN), "warn");
	ck_assert_int_eq(bs_log_level_from_name("debug"), BS_LOG_DEBUG);
	ck_assert_int_eq(bs_log_level_from_name("loud"), -1);
}
END_TEST

Suite *sanitize_suite(void)
{
	Suite *s = suite_create("sanitize");
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_controls);
	tcase_add_test(tc, test_bad_utf8);
	tcase_add_test(tc, test_log_levels);
	tcase_add_test(tc, test_level_names);
	suite_add_tcase(s, tc);
	return s;
}
