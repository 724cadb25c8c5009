/* Reading the header of an untrusted src.rpm with librpm, in a throwaway
 * sandboxed child process (new namespaces, no writable path, rlimits, a strict
 * seccomp filter); the parent only ever sees a bounded, validated summary. */
#ifndef BSRUN_RPMHDR_H
#define BSRUN_RPMHDR_H

#include <stddef.h>

/* Bounds on what the parent accepts from the child. */
#define BS_RPMHDR_MAX_OUTPUT (4u << 20)  /* bytes of serialised output */
#define BS_RPMHDR_MAX_STRING 4096u       /* bytes of one string */
#define BS_RPMHDR_MAX_LIST 4096u         /* entries of one list */
#define BS_RPMHDR_TIMEOUT_MS 30000       /* wall-clock time of the child */
#define BS_RPMHDR_CPU_SECONDS 10         /* CPU time of the child (RLIMIT_CPU) */
#define BS_RPMHDR_MEMORY (1024ull << 20) /* address space of the child (RLIMIT_AS) */

struct bs_strlist {
	char **v;
	size_t n;
};

/* What bs_rpmhdr_read reports; every string is valid UTF-8 without control
 * characters (sanitised with bs_sanitize), each at most BS_RPMHDR_MAX_STRING
 * bytes before sanitising. */
struct bs_rpmhdr {
	char *name, *version, *release, *arch;
	char *nevr;                      /* name-[epoch:]version-release */
	long long epoch;                 /* -1 when the package has none */
	char *specfile;                  /* NULL when no file is marked as the spec */
	struct bs_strlist sources;       /* Source file names, in header order */
	struct bs_strlist patches;       /* Patch file names, in header order */
	struct bs_strlist buildrequires; /* "name [op evr]", rich deps as written */
	struct bs_strlist rpmlib;        /* the rpmlib(...) requirements, apart */
	struct bs_strlist buildconflicts;
};

/* Test hook: when set, called in the child right after the seccomp filter is
 * loaded and before the header is read (tests prove the filter is active). */
extern void (*bs_rpmhdr_child_hook)(void);

/* Reads the src.rpm at path into *out (zeroed first; free with
 * bs_rpmhdr_free). The parent opens the file (O_NOFOLLOW, must be a regular
 * file), forks a child that enters new user, mount, network and IPC
 * namespaces where the host allows, chroots into an empty read-only tmpfs
 * (as root), drops to an unprivileged uid, keeps only the package's fd and a
 * pipe, limits its address space and CPU time, loads a seccomp filter that
 * allows little beyond read, lseek, fstat, memory management, writing to the
 * pipe and exiting (anything else kills it), and reads the header with
 * librpm. The parent bounds and validates the output, kills the child after
 * BS_RPMHDR_TIMEOUT_MS, and never parses the header itself. Returns 0, or
 * (err names the file and the problem):
 *   -ENOENT, -EACCES, -ELOOP, ...  the file cannot be opened (ELOOP: a symlink);
 *   -EINVAL      not a regular file;
 *   -EBADMSG     not a readable RPM: empty, truncated, not an RPM, bad header;
 *   -EMEDIUMTYPE a binary RPM, not a source package;
 *   -EFBIG       the header says more than the bounds above allow;
 *   -ECHILD      "unreadable header": the child crashed, was killed (seccomp,
 *                rlimit, timeout) or sent malformed output;
 *   -ENOMEM, -EAGAIN, other -errno  a local failure (pipe, fork). */
int bs_rpmhdr_read(const char *path, struct bs_rpmhdr *out, char *err, size_t errlen);

/* Frees what bs_rpmhdr_read filled in and zeroes *h; a zeroed *h is fine. */
void bs_rpmhdr_free(struct bs_rpmhdr *h);

#endif
