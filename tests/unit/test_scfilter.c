/* The seccomp filter itself, loaded into a forked child of the test (no
 * context needed): one filter, a self-contained program, and the answers of
 * the old two-filter layering where an argument rule and the allowlist both
 * refuse. The argument rules through real contexts: test_ctx.c. */
#include "scfilter.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum probe { P_GETPID, P_TIOCSTI, P_PERSONALITY, P_SOCKET_UNIX, P_SOCKET_PACKET, P_SOCKETPAIR_UNIX,
	     P_SOCKETPAIR_PACKET, P_KEYCTL, P_CLONE3, P_NR1000, P_N };

struct answers {
	int status;  /* the child's wait status, -1 if it sent no answers */
	int load;    /* 0 or -errno of loading the filter */
	int filters; /* Seccomp_filters: in /proc/self/status, -1 if absent */
	int err[P_N]; /* 0 if the syscall worked, else its errno */
};

static int answer(long r)
{
	return r < 0 ? errno : 0;
}

/* in the child: the number of filters from /proc/self/status, or -1 */
static int count_filters(void)
{
	static char buf[8192];
	const char *p;
	ssize_t n = -1;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
	}
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "\nSeccomp_filters:");
	return p ? atoi(p + strlen("\nSeccomp_filters:")) : -1;
}

/* Forks; the child sets NO_NEW_PRIVS, loads f (bs_seccomp_apply) or else the
 * raw program prog with one prctl, then tries each probe. Arguments are
 * chosen so that an unfiltered kernel would answer something else (EBADF,
 * EINVAL, success). Check the outcome with probed() (after freeing f: no
 * leak when it fails under CK_FORK=no). */
static void probe(const struct bs_seccomp *f, const struct sock_fprog *prog, struct answers *a)
{
	int pfd[2], st;
	pid_t pid;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct answers r;
		int sv[2];
		long s;

		memset(&r, 0, sizeof r);
		close(pfd[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0)
			r.load = -errno;
		else if (f)
			r.load = bs_seccomp_apply(f);
		else
			r.load = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0L, 0L) < 0 ? -errno : 0;
		if (r.load == 0) {
			r.filters = count_filters();
			r.err[P_GETPID] = answer(syscall(SYS_getpid));
			r.err[P_TIOCSTI] = answer(syscall(SYS_ioctl, -1, TIOCSTI, NULL));
			r.err[P_PERSONALITY] = answer(syscall(SYS_personality, PER_LINUX | READ_IMPLIES_EXEC));
			r.err[P_SOCKET_UNIX] = answer(s = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0));
			if (s >= 0)
				close((int)s);
			r.err[P_SOCKET_PACKET] = answer(s = syscall(SYS_socket, AF_PACKET, -1, -1));
			if (s >= 0)
				close((int)s);
			r.err[P_SOCKETPAIR_UNIX] = answer(s = syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv));
			if (s == 0) {
				close(sv[0]);
				close(sv[1]);
			}
			r.err[P_SOCKETPAIR_PACKET] = answer(syscall(SYS_socketpair, AF_PACKET, -1, -1, sv));
			r.err[P_KEYCTL] = answer(syscall(SYS_keyctl, -1, -1, -1, -1, -1));
			r.err[P_CLONE3] = answer(syscall(SYS_clone3, NULL, 0));
			r.err[P_NR1000] = answer(syscall(1000, -1, -1, -1));
		}
		_exit(write(pfd[1], &r, sizeof r) == (ssize_t)sizeof r ? 0 : 1);
	}
	close(pfd[1]);
	if (read(pfd[0], a, sizeof *a) != (ssize_t)sizeof *a)
		memset(a, 0, sizeof *a);
	close(pfd[0]);
	a->status = waitpid(pid, &st, 0) == pid ? st : -1;
}

static void probed(const struct answers *a)
{
	ck_assert_msg(a->status == 0, "child status %#x", a->status);
	ck_assert_msg(a->load == 0, "loading the filter: %s", strerror(-a->load));
}

/* The default filter's answers, whichever way it was loaded. */
static void expect_default(const struct answers *a)
{
	ck_assert_int_eq(a->err[P_GETPID], 0);
	ck_assert_int_eq(a->err[P_TIOCSTI], EPERM);     /* argument rule (unfiltered: EBADF) */
	ck_assert_int_eq(a->err[P_PERSONALITY], EPERM); /* argument rule */
	ck_assert_int_eq(a->err[P_SOCKET_UNIX], 0);
	ck_assert_int_eq(a->err[P_SOCKET_PACKET], EAFNOSUPPORT); /* argument rule (unfiltered: EINVAL) */
	ck_assert_int_eq(a->err[P_SOCKETPAIR_UNIX], 0);
	ck_assert_int_eq(a->err[P_SOCKETPAIR_PACKET], EAFNOSUPPORT);
	ck_assert_int_eq(a->err[P_KEYCTL], EPERM);  /* deny list */
	ck_assert_int_eq(a->err[P_CLONE3], ENOSYS); /* not on the allowlist (unfiltered: EINVAL) */
	ck_assert_int_eq(a->err[P_NR1000], ENOSYS);
}

/* Seccomp_filters: is shown from Linux 5.10 on. */
static int need_filter_count(const struct answers *a, const char *func)
{
	if (a->filters >= 0)
		return 1;
	fprintf(stderr, "*** SKIP %s (filter count): no Seccomp_filters: in /proc/self/status (kernel < 5.10) ***\n",
		func);
	return 0;
}

/* bs_seccomp_apply installs exactly one filter (it used to be two: the
 * argument rules and the allowlist, each with its own JIT image and run) */
START_TEST(test_one_filter)
{
	struct bs_seccomp *f;
	struct answers a;
	char err[256];

	ck_assert_msg(bs_seccomp_build(NULL, NULL, &f, err, sizeof err) == 0, "%s", err);
	probe(f, NULL, &a);
	bs_seccomp_free(f);
	probed(&a);
	if (need_filter_count(&a, __func__))
		ck_assert_int_eq(a.filters, 1);
	expect_default(&a);
}
END_TEST

/* bs_seccomp_prog is self-contained: its bytes, copied and loaded with one
 * prctl after the filter is freed, answer the same */
START_TEST(test_raw_program)
{
	struct bs_seccomp *f;
	struct sock_fprog copy;
	const struct sock_fprog *p;
	struct answers a;
	char err[256];

	ck_assert_msg(bs_seccomp_build(NULL, NULL, &f, err, sizeof err) == 0, "%s", err);
	p = bs_seccomp_prog(f);
	ck_assert(p && p->filter);
	ck_assert_int_gt(p->len, 100);
	ck_assert_int_le(p->len, BPF_MAXINSNS);
	copy.len = p->len;
	copy.filter = malloc(p->len * sizeof *p->filter);
	ck_assert_ptr_nonnull(copy.filter);
	memcpy(copy.filter, p->filter, p->len * sizeof *p->filter);
	bs_seccomp_free(f);
	probe(NULL, &copy, &a);
	free(copy.filter);
	probed(&a);
	if (need_filter_count(&a, __func__))
		ck_assert_int_eq(a.filters, 1);
	expect_default(&a);
}
END_TEST

/* Where the allowlist refuses a syscall an argument rule refuses too, the
 * allowlist's errno is the answer, as with the two filters before (same
 * action ERRNO: the kernel kept the newest filter's, the allowlist's). */
START_TEST(test_denied_and_argument_rule)
{
	struct bs_seccomp *f;
	struct answers a;
	char err[256];

	ck_assert_msg(bs_seccomp_build(NULL, (const char *const[]){ "socket", "personality", NULL }, &f, err,
				       sizeof err) == 0,
		      "%s", err);
	probe(f, NULL, &a);
	bs_seccomp_free(f);
	probed(&a);
	ck_assert_int_eq(a.err[P_SOCKET_UNIX], EPERM);
	ck_assert_int_eq(a.err[P_SOCKET_PACKET], EPERM); /* not the argument rule's EAFNOSUPPORT */
	ck_assert_int_eq(a.err[P_PERSONALITY], EPERM);
	/* the rest as by default */
	ck_assert_int_eq(a.err[P_SOCKETPAIR_UNIX], 0);
	ck_assert_int_eq(a.err[P_SOCKETPAIR_PACKET], EAFNOSUPPORT);
	ck_assert_int_eq(a.err[P_TIOCSTI], EPERM);
	ck_assert_int_eq(a.err[P_KEYCTL], EPERM);
	ck_assert_int_eq(a.err[P_CLONE3], ENOSYS);
	ck_assert_int_eq(a.err[P_GETPID], 0);
}
END_TEST

Suite *scfilter_suite(void)
{
	Suite *s = suite_create("scfilter");
	TCase *tc = tcase_create("filter");

	tcase_add_test(tc, test_one_filter);
	tcase_add_test(tc, test_raw_program);
	tcase_add_test(tc, test_denied_and_argument_rule);
	suite_add_tcase(s, tc);
	return s;
}
