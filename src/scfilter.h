/* The seccomp filter of a context (libseccomp for the allowlist, a small
 * hand-built BPF program for argument rules, merged into one classic BPF
 * program). Functions return 0 or -errno. */
#ifndef BSRUN_SCFILTER_H
#define BSRUN_SCFILTER_H

#include <stddef.h>

struct sock_fprog; /* <linux/filter.h> */

/* One compiled program, two parts:
 *  - the allowlist: every syscall on it is allowed, every syscall on the deny
 *    list fails with EPERM, clone3 and every other syscall with ENOSYS; one
 *    rule set per ABI of the machine (x86-64, i386, x32 on x86-64); a foreign
 *    ABI kills the process;
 *  - the argument rules: ioctl TIOCSTI/TIOCLINUX (low 32 bits of the request)
 *    → EPERM; clone with any CLONE_NEW* flag → EPERM; personality other than
 *    PER_LINUX, PER_LINUX32 or the 0xffffffff query → EPERM; socket and
 *    socketpair outside AF_UNIX, AF_INET, AF_INET6, AF_NETLINK → EAFNOSUPPORT.
 * The allowlist runs first; where it would allow, the argument rules answer.
 * This is exactly what the two parts loaded as two filters answered (the
 * kernel keeps the strictest action, the newest filter's on a tie): a foreign
 * ABI is killed, a denied or unknown syscall gets the allowlist's EPERM or
 * ENOSYS even where an argument rule refuses too, an allowed one the argument
 * rules' ALLOW, EPERM or EAFNOSUPPORT. */
struct bs_seccomp;

/* Compiles the filter (the default one once per process, then copies; not
 * thread-safe). allow and deny (NULL-terminated lists of syscall
 * names, or NULL) adjust the defaults: a name in `allow` is allowed even if
 * denied by default, a name in `deny` fails with EPERM. An unknown name is an
 * error (-EINVAL, named in err). */
int bs_seccomp_build(const char *const *allow, const char *const *deny, struct bs_seccomp **out,
		     char *err, size_t errlen);

/* Loads the program as one filter into the calling thread (NO_NEW_PRIVS must
 * be set or the caller must hold CAP_SYS_ADMIN). Only syscalls, no
 * allocation: safe in a forked child. */
int bs_seccomp_apply(const struct bs_seccomp *f);

/* The filter as one classic BPF program (valid while f lives). Self-contained:
 * its instructions (len * sizeof(struct sock_filter) bytes) may be copied and
 * loaded elsewhere with one prctl(PR_SET_SECCOMP) or seccomp(2). */
const struct sock_fprog *bs_seccomp_prog(const struct bs_seccomp *f);

/* Frees a compiled filter; NULL is fine. */
void bs_seccomp_free(struct bs_seccomp *f);

/* The default deny list (NULL-terminated), e.g. for tests and documentation. */
const char *const *bs_seccomp_denied(void);

/* The default allowlist (NULL-terminated). */
const char *const *bs_seccomp_allowed(void);

#endif
