/* The seccomp filters of a context (libseccomp for the allowlist, a small
 * hand-built BPF program for argument rules). Functions return 0 or -errno. */
#ifndef BSRUN_SCFILTER_H
#define BSRUN_SCFILTER_H

#include <linux/filter.h>
#include <stddef.h>

/* Two compiled programs, applied together:
 *  - the allowlist: every syscall on it is allowed, every syscall on the deny
 *    list fails with EPERM, clone3 and every other syscall with ENOSYS; one
 *    rule set per ABI of the machine (x86-64, i386, x32 on x86-64); a foreign
 *    ABI kills the process;
 *  - the argument rules: ioctl TIOCSTI/TIOCLINUX (low 32 bits of the request)
 *    → EPERM; clone with any CLONE_NEW* flag → EPERM; personality other than
 *    PER_LINUX, PER_LINUX32 or the 0xffffffff query → EPERM; socket and
 *    socketpair outside AF_UNIX, AF_INET, AF_INET6, AF_NETLINK → EAFNOSUPPORT.
 * When several filters answer, the kernel takes the strictest action, so an
 * argument rule's EPERM wins over the allowlist's ALLOW. */
struct bs_seccomp;

/* Compiles the filters (the default one once per process, then copies; not
 * thread-safe). allow and deny (NULL-terminated lists of syscall
 * names, or NULL) adjust the defaults: a name in `allow` is allowed even if
 * denied by default, a name in `deny` fails with EPERM. An unknown name is an
 * error (-EINVAL, named in err). */
int bs_seccomp_build(const char *const *allow, const char *const *deny, struct bs_seccomp **out,
		     char *err, size_t errlen);

/* Loads both programs into the calling thread (NO_NEW_PRIVS must be set or
 * the caller must hold CAP_SYS_ADMIN). Only syscalls, no allocation: safe in a
 * forked child. */
int bs_seccomp_apply(const struct bs_seccomp *f);

/* The filter as the classic BPF programs bs_seccomp_apply loads, in that
 * order, into v[0..max) (valid while f lives); their count or -E2BIG. */
int bs_seccomp_progs(const struct bs_seccomp *f, struct sock_fprog *v, int max);

/* Frees a compiled filter; NULL is fine. */
void bs_seccomp_free(struct bs_seccomp *f);

/* The default deny list (NULL-terminated), e.g. for tests and documentation. */
const char *const *bs_seccomp_denied(void);

/* The default allowlist (NULL-terminated). */
const char *const *bs_seccomp_allowed(void);

#endif
