/* bs_rpmhdr_read and bs.rpm.header: a real src.rpm built with rpmbuild -bs,
 * every kind of bad file, and proof that the reader runs under its seccomp
 * filter. */
#include "exitcodes.h"
#include "lstate.h"
#include "rpmhdr.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <lauxlib.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

static char root[PATH_MAX], srpm[PATH_MAX + 64], brpm[PATH_MAX + 64];
static const char *skip, *fix_error;
static char fix_errbuf[512];

static const char spec[] =
	"Name: hello\n"
	"Epoch: 3\n"
	"Version: 1.2\n"
	"Release: 4\n"
	"Summary: test\n"
	"License: MIT\n"
	"Source0: hello-1.2.tar.gz\n"
	"Source1: extra.conf\n"
	"Patch0: fix-build.patch\n"
	"BuildRequires: gcc\n"
	"BuildRequires: zlib-devel >= 1.2.3\n"
	"BuildRequires: /usr/include/db.h\n"
	"BuildRequires: (foo or bar >= 2)\n"
	"BuildConflicts: badpkg < 2\n"
	"%description\ntest\n"
	"%prep\n%build\n%install\n%files\n";

static int write_text(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!(f = fopen(path, "we")))
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int run_quiet(const char *const *argv)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, 1);
		dup2(nul, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int find_rpm(const char *dir, const char *suffix, char *out, size_t len)
{
	char cmd[PATH_MAX + 64];
	FILE *p;
	int ok;

	snprintf(cmd, sizeof cmd, "find '%s' -name '*%s' | head -n 1", dir, suffix);
	if (!(p = popen(cmd, "r")))
		return -1;
	ok = fgets(out, (int)len, p) != NULL;
	pclose(p);
	if (!ok)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

static void fixtures_up(void)
{
	char top[PATH_MAX + 16], src[PATH_MAX + 16], out[PATH_MAX + 16], specpath[PATH_MAX + 16];

	if (RUNNING_ON_VALGRIND) {
		skip = "valgrind 3.19 cannot run the seccomp(2) system call";
		printf("\n*** SKIP: src.rpm header tests: %s ***\n\n", skip);
		return;
	}
	if (run_quiet((const char *const[]){ "sh", "-c", "command -v rpmbuild", NULL }) < 0) {
		skip = "rpmbuild not found";
		printf("\n*** SKIP: src.rpm header tests: %s ***\n\n", skip);
		return;
	}
	snprintf(root, sizeof root, "%s/bsrun-rpmhdr-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root)) {
		fix_error = "mkdtemp failed";
		root[0] = '\0';
		return;
	}
	snprintf(top, sizeof top, "_topdir %s/top", root);
	snprintf(src, sizeof src, "_sourcedir %s", root);
	snprintf(out, sizeof out, "_srcrpmdir %s", root);
	snprintf(specpath, sizeof specpath, "%s/hello.spec", root);
	if (write_text(root, "hello.spec", spec) < 0 || write_text(root, "hello-1.2.tar.gz", "tar\n") < 0 ||
	    write_text(root, "extra.conf", "conf\n") < 0 || write_text(root, "fix-build.patch", "patch\n") < 0) {
		fix_error = "cannot write the spec";
		return;
	}
	if (run_quiet((const char *const[]){ "rpmbuild", "-bs", "--quiet", "--define", top, "--define", src,
					     "--define", out, specpath, NULL }) < 0 ||
	    find_rpm(root, ".src.rpm", srpm, sizeof srpm) < 0) {
		fix_error = "rpmbuild -bs failed";
		return;
	}
	snprintf(out, sizeof out, "_rpmdir %s/bin", root);
	if (run_quiet((const char *const[]){ "rpmbuild", "-bb", "--nodeps", "--quiet", "--define", top, "--define",
					     src, "--define", out, "--define", "__os_install_post %{nil}",
					     specpath, NULL }) < 0 ||
	    find_rpm(root, ".x86_64.rpm", brpm, sizeof brpm) < 0) {
		snprintf(fix_errbuf, sizeof fix_errbuf, "rpmbuild -bb failed");
		fix_error = fix_errbuf;
	}
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void fixtures_down(void)
{
	if (root[0])
		nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = '\0';
}

#define NEED_FIXTURES()                                                                  \
	do {                                                                             \
		if (skip)                                                                \
			return;                                                          \
		ck_assert_msg(!fix_error, "building the fixtures failed: %s", fix_error); \
	} while (0)

/* Writes bytes [0, len) of the good src.rpm, then extra, to ROOT/name; returns the path. */
static const char *derived(const char *name, long len, const void *extra, size_t extralen)
{
	static char path[PATH_MAX + 64];
	char buf[1 << 16];
	int in = open(srpm, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	snprintf(path, sizeof path, "%s/%s", root, name);
	ck_assert_int_ge(in, 0);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(out, 0);
	n = read(in, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	if (len >= 0 && len < n)
		n = len;
	ck_assert_int_eq(write(out, buf, (size_t)n), n);
	if (extra)
		ck_assert_int_eq(write(out, extra, extralen), (ssize_t)extralen);
	close(in);
	close(out);
	return path;
}

static long file_size(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return (long)st.st_size;
}

static int has(const struct bs_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

START_TEST(test_good_srpm)
{
	struct bs_rpmhdr h;
	char err[1024];

	NEED_FIXTURES();
	ck_assert_msg(bs_rpmhdr_read(srpm, &h, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(h.name, "hello");
	ck_assert_str_eq(h.version, "1.2");
	ck_assert_str_eq(h.release, "4");
	ck_assert_int_eq(h.epoch, 3);
	ck_assert_str_eq(h.nevr, "hello-3:1.2-4");
	ck_assert_ptr_nonnull(h.arch);
	ck_assert_str_eq(h.specfile, "hello.spec");
	ck_assert_uint_eq(h.sources.n, 2);
	ck_assert(has(&h.sources, "hello-1.2.tar.gz") && has(&h.sources, "extra.conf"));
	ck_assert_uint_eq(h.patches.n, 1);
	ck_assert_str_eq(h.patches.v[0], "fix-build.patch");
	ck_assert_uint_eq(h.buildrequires.n, 4);
	ck_assert(has(&h.buildrequires, "gcc"));
	ck_assert(has(&h.buildrequires, "zlib-devel >= 1.2.3"));
	ck_assert(has(&h.buildrequires, "/usr/include/db.h"));
	ck_assert(has(&h.buildrequires, "(foo or bar >= 2)"));
	ck_assert_uint_ge(h.rpmlib.n, 1);
	for (size_t i = 0; i < h.rpmlib.n; i++)
		ck_assert_msg(strncmp(h.rpmlib.v[i], "rpmlib(", 7) == 0, "%s", h.rpmlib.v[i]);
	ck_assert_uint_eq(h.buildconflicts.n, 1);
	ck_assert_str_eq(h.buildconflicts.v[0], "badpkg < 2");
	bs_rpmhdr_free(&h);
	bs_rpmhdr_free(&h); /* twice is fine */
}
END_TEST

static void expect_bad(const char *path, int want_rc, const char *want_msg)
{
	struct bs_rpmhdr h;
	char err[1024] = "";
	int rc = bs_rpmhdr_read(path, &h, err, sizeof err);

	ck_assert_msg(rc == want_rc, "%s: rc %d (want %d): %s", path, rc, want_rc, err);
	ck_assert_msg(strstr(err, path), "message does not name %s: %s", path, err);
	ck_assert_msg(strstr(err, want_msg), "message lacks '%s': %s", want_msg, err);
	ck_assert_ptr_null(h.name);
	ck_assert_uint_eq(h.buildrequires.n, 0);
}

START_TEST(test_bad_files)
{
	static const long cuts[] = { 1, 4, 50, 95, 96, 100, 111, 112, 200, 1000, 2000 };
	char name[64], rnd[8192];
	const char *p;
	long size;

	NEED_FIXTURES();
	size = file_size(srpm);
	/* truncated at several offsets: the lead, the signature, the header, the payload */
	for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
		snprintf(name, sizeof name, "cut-%ld.src.rpm", cuts[i]);
		expect_bad(derived(name, cuts[i], NULL, 0), -EBADMSG, "");
	}
	expect_bad(derived("cut-half.src.rpm", size / 2, NULL, 0), -EBADMSG, "");
	expect_bad(derived("cut-1.src.rpm", size - 1, NULL, 0), -EBADMSG, "truncated package");
	/* random, empty, binary */
	for (size_t i = 0; i < sizeof rnd; i++)
		rnd[i] = (char)(rand() & 0xff);
	p = derived("random.src.rpm", 0, rnd, sizeof rnd);
	expect_bad(p, -EBADMSG, "not an RPM");
	memcpy(rnd, "\xed\xab\xee\xdb\x03\x00\x00\x01", 8); /* a lead's magic, then noise */
	expect_bad(derived("noise.src.rpm", 0, rnd, sizeof rnd), -EBADMSG, "");
	expect_bad(derived("empty.src.rpm", 0, NULL, 0), -EBADMSG, "empty file");
	expect_bad(brpm, -EMEDIUMTYPE, "binary RPM");
	/* a header claiming 2^31-1 entries, and one of 64 Ki entries and 256 MiB */
	{
		unsigned char intro[16] = { 0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 16 };

		p = derived("count.src.rpm", 96, intro, sizeof intro);
		expect_bad(p, -EBADMSG, "out of range");
		memcpy(intro + 8, "\x00\x00\xff\xff\x0f\xff\xff\xff", 8);
		expect_bad(derived("data.src.rpm", 96, intro, sizeof intro), -EBADMSG, "");
	}
}
END_TEST

START_TEST(test_not_files)
{
	struct bs_rpmhdr h;
	char err[1024], link[PATH_MAX + 64];

	NEED_FIXTURES();
	snprintf(link, sizeof link, "%s/link.src.rpm", root);
	ck_assert_int_eq(symlink(srpm, link), 0);
	ck_assert_int_eq(bs_rpmhdr_read(link, &h, err, sizeof err), -ELOOP);
	ck_assert_msg(strstr(err, "symbolic link"), "%s", err);
	ck_assert_int_eq(bs_rpmhdr_read(root, &h, err, sizeof err), -EINVAL);
	ck_assert_msg(strstr(err, "not a regular file"), "%s", err);
	ck_assert_int_eq(bs_rpmhdr_read("/nonexistent.src.rpm", &h, err, sizeof err), -ENOENT);
	ck_assert_msg(strstr(err, "/nonexistent.src.rpm"), "%s", err);
	ck_assert_int_eq(bs_rpmhdr_read("/dev/null", &h, err, sizeof err), -EINVAL);
}
END_TEST

/* Hooks run in the child under the filter. */
static void hook_getpid(void)
{
	syscall(SYS_getpid); /* harmless, but not on the list */
}

static void hook_write_stdout(void)
{
	(void)!write(1, "x", 1); /* write is allowed to the result pipe only */
}

static void hook_open(void)
{
	(void)!open("/etc/hostname", O_RDONLY);
}

static void hook_crash(void)
{
	raise(SIGSEGV); /* rt_sigprocmask/tgkill: SIGSYS; either way a killed reader */
}

static void hook_nothing(void)
{
}

START_TEST(test_seccomp_active)
{
	static void (*const hooks[])(void) = { hook_getpid, hook_write_stdout, hook_open };
	struct bs_rpmhdr h;
	char err[1024];

	NEED_FIXTURES();
	bs_rpmhdr_child_hook = hook_nothing;
	ck_assert_msg(bs_rpmhdr_read(srpm, &h, err, sizeof err) == 0, "%s", err);
	bs_rpmhdr_free(&h);
	for (size_t i = 0; i < sizeof hooks / sizeof *hooks; i++) {
		bs_rpmhdr_child_hook = hooks[i];
		ck_assert_int_eq(bs_rpmhdr_read(srpm, &h, err, sizeof err), -ECHILD);
		ck_assert_msg(strstr(err, "unreadable header") && strstr(err, "signal 31") &&
				      strstr(err, "forbidden system call") && strstr(err, srpm),
			      "hook %zu: %s", i, err);
	}
	bs_rpmhdr_child_hook = hook_crash;
	ck_assert_int_eq(bs_rpmhdr_read(srpm, &h, err, sizeof err), -ECHILD);
	ck_assert_msg(strstr(err, "unreadable header") && strstr(err, "killed by signal"), "%s", err);
	bs_rpmhdr_child_hook = NULL;
}
END_TEST

START_TEST(test_lua_header)
{
	lua_State *L;
	char code[PATH_MAX * 6];

	NEED_FIXTURES();
	L = bs_lua_new(BS_LUA_TRUSTED, BSRUN_SRCDIR);
	ck_assert_ptr_nonnull(L);
	snprintf(code, sizeof code,
		 "local bs = require 'bs'\n"
		 "local errors = require 'bsrun.errors'\n"
		 "local h = bs.rpm.header('%s')\n"
		 "assert(h.name == 'hello' and h.epoch == 3 and h.version == '1.2' and h.release == '4')\n"
		 "assert(h.nevr == 'hello-3:1.2-4' and h.specfile == 'hello.spec' and type(h.arch) == 'string')\n"
		 "assert(#h.sources == 2 and #h.patches == 1 and h.patches[1] == 'fix-build.patch')\n"
		 "local br = {}\n"
		 "for _, d in ipairs(h.buildrequires) do br[d] = true end\n"
		 "assert(br['zlib-devel >= 1.2.3'] and br['/usr/include/db.h'] and br['(foo or bar >= 2)'] and br.gcc)\n"
		 "assert(#h.buildrequires == 4 and #h.rpmlib >= 1 and h.buildconflicts[1] == 'badpkg < 2')\n"
		 "for _, bad in ipairs({ '%s', '%s/cut-200.src.rpm', '/nonexistent.src.rpm', '%s' }) do\n"
		 "  local ok, e = pcall(bs.rpm.header, bad)\n"
		 "  assert(not ok and errors.is(e) and e.exit == errors.USAGE, tostring(e))\n"
		 "  assert(e.message:find(bad, 1, true), e.message)\n"
		 "end\n"
		 "assert(not pcall(bs.rpm.header))\n"
		 "return true",
		 srpm, brpm, root, root);
	derived("cut-200.src.rpm", 200, NULL, 0);
	run_lua(L, code);
	ck_assert(lua_toboolean(L, -1));
	lua_close(L);
}
END_TEST

Suite *rpmhdr_suite(void)
{
	Suite *s = suite_create("rpmhdr");
	TCase *tc = tcase_create("rpmhdr");

	tcase_add_unchecked_fixture(tc, fixtures_up, fixtures_down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_good_srpm);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_not_files);
	tcase_add_test(tc, test_seccomp_active);
	tcase_add_test(tc, test_lua_header);
	suite_add_tcase(s, tc);
	return s;
}
