/* The sandboxed child of bs_rpmhdr_read: namespaces, chroot into nothing,
 * privilege drop, rlimits, seccomp, then librpm reads the header and the child
 * writes a simple record stream to its pipe (see rpmhdr_wire.h). */
#include "rpmhdr.h"
#include "rpmhdr_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <rpm/header.h>
#include <rpm/rpmds.h>
#include <rpm/rpmfiles.h>
#include <rpm/rpmkeyring.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmtd.h>
#include <rpm/rpmts.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <grp.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h> /* RUNNING_ON_VALGRIND: a CPU no-op, not an environment setting */
#else
#define RUNNING_ON_VALGRIND 0
#endif

#define PKG_FD 3
#define OUT_FD 4
#define NOBODY 65534

void (*bs_rpmhdr_child_hook)(void);

static char lastmsg[512];
static const char *descr; /* librpm's name of the package fd, dropped from its messages */

/* librpm's messages: the last error or warning is kept for the report, none is printed. */
static int on_log(rpmlogRec rec, rpmlogCallbackData data)
{
	(void)data;
	if (rpmlogRecPriority(rec) <= RPMLOG_WARNING) {
		const char *m = rpmlogRecMessage(rec);
		size_t n;

		size_t dl = descr ? strlen(descr) : 0;

		if (m && dl && strncmp(m, descr, dl) == 0 && strncmp(m + dl, ": ", 2) == 0)
			m += dl + 2;
		snprintf(lastmsg, sizeof lastmsg, "%s", m ? m : "");
		n = strlen(lastmsg);
		while (n && (lastmsg[n - 1] == '\n' || lastmsg[n - 1] == ' '))
			lastmsg[--n] = '\0';
	}
	return 0;
}

static unsigned char obuf[65536];
static size_t olen;
static int out_fd = OUT_FD;  /* where records go: the pipe, or bs_rpmhdr_extract's outfd */
static int pkg_fd = PKG_FD;  /* the package, for its size */

static void flush_out(void)
{
	const unsigned char *c = obuf;

	while (olen) {
		ssize_t w = write(out_fd, c, olen);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(BS_RPMHDR_EXIT_IO);
		c += w;
		olen -= (size_t)w;
	}
}

/* Appends to the output, written in 64 KiB pieces. */
static void write_all(const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len) {
		size_t n = len < sizeof obuf - olen ? len : sizeof obuf - olen;

		memcpy(obuf + olen, c, n);
		olen += n;
		c += n;
		len -= n;
		if (olen == sizeof obuf)
			flush_out();
	}
}

/* One record: type, 32-bit little-endian length, bytes. */
static void put(char type, const void *p, size_t len)
{
	unsigned char h[5];

	if (len > UINT32_MAX)
		len = UINT32_MAX;
	h[0] = (unsigned char)type;
	for (int i = 0; i < 4; i++)
		h[1 + i] = (unsigned char)(len >> (8 * i));
	write_all(h, sizeof h);
	write_all(p, len);
}

static void put_str(char type, const char *s)
{
	if (s)
		put(type, s, strlen(s));
}

/* Sends an ERROR record: code (a BS_RPMHDR_ERR_* letter) and a message. */
static void report(char code, const char *what, int errnum)
{
	char buf[sizeof lastmsg + 128];

	if (errnum)
		snprintf(buf, sizeof buf, "%c%s: %s", code, what, strerror(errnum));
	else
		snprintf(buf, sizeof buf, "%c%s", code, what);
	put(BS_RPMHDR_REC_ERROR, buf, strlen(buf));
	flush_out();
}

/* Reports a failure, then exits. */
static void __attribute__((noreturn)) fail(char code, const char *what, int errnum)
{
	report(code, what, errnum);
	_exit(code == BS_RPMHDR_ERR_SETUP ? BS_RPMHDR_EXIT_SETUP : 0);
}

/* Moves pkgfd and outfd to PKG_FD and OUT_FD, /dev/null to 0-2, closes the rest. */
static void arrange_fds(int pkgfd, int outfd)
{
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	int p = fcntl(pkgfd, F_DUPFD_CLOEXEC, 10), o = fcntl(outfd, F_DUPFD_CLOEXEC, 10);

	if (nul < 0 || p < 0 || o < 0)
		_exit(BS_RPMHDR_EXIT_SETUP);
	if (dup2(o, OUT_FD) < 0 || dup2(p, PKG_FD) < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 ||
	    dup2(nul, 2) < 0)
		_exit(BS_RPMHDR_EXIT_SETUP);
	if (syscall(SYS_close_range, OUT_FD + 1, ~0U, 0) < 0) {
		for (int fd = OUT_FD + 1; fd < 65536; fd++)
			close(fd);
	}
}

/* A private mount namespace whose only mount is an empty read-only tmpfs,
 * made the root with pivot_root (so that a user namespace can follow). */
static int root_into_nothing(void)
{
	static const char *const points[] = { "/tmp", "/mnt", "/run", "/var/tmp", NULL };

	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	for (int i = 0; points[i]; i++) {
		if (mount("bsrun-rpmhdr", points[i], "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "size=4k,nr_inodes=2,mode=0555") < 0)
			continue;
		if (chdir(points[i]) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
		    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0 ||
		    mount("none", "/", "none", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0)
			return -errno;
		return 0;
	}
	return -errno;
}

/* Namespaces, empty root, unprivileged ids: as much as the host allows, and
 * as root all of it (a failure there is a setup error). */
static void isolate(void)
{
	int rc;

	if (geteuid() == 0) {
		if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) < 0)
			fail(BS_RPMHDR_ERR_SETUP, "unshare", errno);
		if ((rc = root_into_nothing()) < 0)
			fail(BS_RPMHDR_ERR_SETUP, "cannot make an empty root", -rc);
		if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
		    setresuid(NOBODY, NOBODY, NOBODY) < 0)
			fail(BS_RPMHDR_ERR_SETUP, "cannot drop privileges", errno);
		/* a user namespace of its own on top, where the host allows it */
		(void)unshare(CLONE_NEWUSER);
	} else if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) == 0) {
		(void)root_into_nothing();
	}
}

static void limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { soft, hard };

	if (setrlimit(resource, &rl) < 0)
		fail(BS_RPMHDR_ERR_SETUP, "setrlimit", errno);
}

/* The filter: anything not listed kills the process. */
static void apply_seccomp(void)
{
	static const int plain[] = {
		SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(lseek), SCMP_SYS(fstat),
		SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
		SCMP_SYS(exit_group), SCMP_SYS(exit), SCMP_SYS(rt_sigreturn),
		SCMP_SYS(sysinfo), /* glibc's qsort asks for the memory size */
		SCMP_SYS(futex),   /* pthread_once in librpm's and libgcrypt's first uses */
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc = ctx ? 0 : -ENOMEM;

	for (size_t i = 0; rc == 0 && i < sizeof plain / sizeof *plain; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain[i], 0);
#ifdef UNDER_ASAN
	/* ASan's exit path takes down its alternate signal stack */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sigaltstack), 0);
#endif
	/* writing only to the result pipe; fstat through newfstatat only on an fd */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, OUT_FD));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
				      SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		fail(BS_RPMHDR_ERR_SETUP, "cannot load the seccomp filter", -rc);
}

static const char *sense_op(rpmsenseFlags f)
{
	switch (f & RPMSENSE_SENSEMASK) {
	case RPMSENSE_LESS: return "<";
	case RPMSENSE_LESS | RPMSENSE_EQUAL: return "<=";
	case RPMSENSE_EQUAL: return "=";
	case RPMSENSE_GREATER | RPMSENSE_EQUAL: return ">=";
	case RPMSENSE_GREATER: return ">";
	default: return NULL;
	}
}

static rpm_count_t tag_count(Header h, rpmTagVal tag)
{
	struct rpmtd_s td;
	rpm_count_t n;

	if (!headerGet(h, tag, &td, HEADERGET_MINMEM))
		return 0;
	n = rpmtdCount(&td);
	rpmtdFreeData(&td);
	return n;
}

/* Whether a dependency's name, version and flag arrays agree in length.
 * librpm's rpmdsNew returns NULL on a mismatch and leaks what it had read
 * (rpm 4.18), so a crafted header is refused here, before it gets there. */
static int deps_consistent(Header h, rpmTagVal name, rpmTagVal evr, rpmTagVal flags)
{
	rpm_count_t n = tag_count(h, name), e = tag_count(h, evr), f = tag_count(h, flags);

	return (e == 0 || e == n) && (f == 0 || f == n);
}

/* Sends the dependencies of tag as "name [op evr]"; rpmlib() ones under rpmlib_type. */
static void put_deps(Header h, rpmTagVal tag, char type, char rpmlib_type)
{
	rpmds ds = rpmdsNew(h, tag, 0);
	char buf[2 * BS_RPMHDR_MAX_STRING + 8];

	while (rpmdsNext(ds) >= 0) {
		const char *n = rpmdsN(ds), *evr = rpmdsEVR(ds), *op = sense_op(rpmdsFlags(ds));
		int lib = (rpmdsFlags(ds) & RPMSENSE_RPMLIB) || strncmp(n ? n : "", "rpmlib(", 7) == 0;
		int len;

		if (!n)
			continue;
		if (op && evr && *evr)
			len = snprintf(buf, sizeof buf, "%s %s %s", n, op, evr);
		else
			len = snprintf(buf, sizeof buf, "%s", n);
		if (len < 0)
			continue;
		/* an over-long one arrives cut at the buffer and is refused by the parent */
		put(lib ? rpmlib_type : type, buf, (size_t)len < sizeof buf ? (size_t)len : sizeof buf - 1);
	}
	rpmdsFree(ds);
}

static void put_strings(Header h, rpmTagVal tag, char type)
{
	struct rpmtd_s td;
	const char *s;

	if (!headerGet(h, tag, &td, HEADERGET_MINMEM))
		return;
	while ((s = rpmtdNextString(&td)))
		put_str(type, s);
	rpmtdFreeData(&td);
}

/* The file marked as the spec (RPMFILE_SPECFILE), else the first *.spec. */
static void put_specfile(Header h)
{
	struct rpmtd_s names, flags;
	const char *found = NULL;

	if (!headerGet(h, RPMTAG_BASENAMES, &names, HEADERGET_MINMEM))
		return;
	if (headerGet(h, RPMTAG_FILEFLAGS, &flags, HEADERGET_MINMEM)) {
		if (rpmtdCount(&flags) == rpmtdCount(&names)) {
			const char *s;
			uint32_t *f;

			while ((s = rpmtdNextString(&names)) && (f = rpmtdNextUint32(&flags)))
				if (*f & RPMFILE_SPECFILE) {
					found = s;
					break;
				}
		}
		rpmtdFreeData(&flags);
	}
	if (!found) {
		const char *s;

		rpmtdInit(&names);
		while ((s = rpmtdNextString(&names))) {
			size_t n = strlen(s);

			if (n > 5 && strcmp(s + n - 5, ".spec") == 0) {
				found = s;
				break;
			}
		}
	}
	put_str(BS_RPMHDR_REC_SPECFILE, found);
	rpmtdFreeData(&names);
}

/* A package cut short after its header: the signature header's size entry
 * (header + payload) says how long the file must be. */
static int check_length(FD_t fd, Header h)
{
	uint64_t size = headerGetNumber(h, RPMTAG_LONGSIGSIZE);
	struct stat st;
	Header sig;
	off_t at;

	if (!size)
		size = headerGetNumber(h, RPMTAG_SIGSIZE);
	if (!size || fstat(pkg_fd, &st) < 0 || Fseek(fd, 96, SEEK_SET) < 0)
		return 0;
	if (!(sig = headerRead(fd, HEADER_MAGIC_YES))) /* read once already: cannot fail */
		return 0;
	headerFree(sig);
	at = (Ftell(fd) + 7) & ~(off_t)7; /* the signature header is padded to 8 bytes */
	if (at > 0 && (uint64_t)st.st_size < (uint64_t)at + size) {
		char msg[128];

		snprintf(msg, sizeof msg, "truncated package (%lld bytes, the header says %llu)",
			 (long long)st.st_size, (unsigned long long)(at + size));
		report(BS_RPMHDR_ERR_BAD, msg, 0);
		return -1;
	}
	return 0;
}

void bs_rpmhdr_extract(rpmts ts, FD_t fd, const char *name, int pkgfd, int outfd)
{
	Header h = NULL;
	rpmRC rc;
	char num[32];

	pkg_fd = pkgfd;
	out_fd = outfd;
	olen = 0;
	lastmsg[0] = '\0';
	rpmlogSetCallback(on_log, NULL);
	rc = rpmReadPackageFile(ts, fd, name, &h);
	if (rc == RPMRC_NOTFOUND) {
		report(BS_RPMHDR_ERR_BAD, lastmsg[0] ? lastmsg : "not an RPM package", 0);
		goto out;
	}
	if ((rc != RPMRC_OK && rc != RPMRC_NOTTRUSTED && rc != RPMRC_NOKEY) || !h) {
		report(BS_RPMHDR_ERR_BAD, lastmsg[0] ? lastmsg : "cannot read the header", 0);
		goto out;
	}
	if (!headerIsSource(h)) {
		report(BS_RPMHDR_ERR_BINARY, "a binary RPM, not a source package", 0);
		goto out;
	}
	if (check_length(fd, h) < 0)
		goto out;
	if (!deps_consistent(h, RPMTAG_REQUIRENAME, RPMTAG_REQUIREVERSION, RPMTAG_REQUIREFLAGS) ||
	    !deps_consistent(h, RPMTAG_CONFLICTNAME, RPMTAG_CONFLICTVERSION, RPMTAG_CONFLICTFLAGS)) {
		report(BS_RPMHDR_ERR_BAD, "malformed header: dependency names, versions and flags disagree", 0);
		goto out;
	}

	put_str(BS_RPMHDR_REC_NAME, headerGetString(h, RPMTAG_NAME));
	put_str(BS_RPMHDR_REC_VERSION, headerGetString(h, RPMTAG_VERSION));
	put_str(BS_RPMHDR_REC_RELEASE, headerGetString(h, RPMTAG_RELEASE));
	put_str(BS_RPMHDR_REC_ARCH, headerGetString(h, RPMTAG_ARCH));
	if (headerIsEntry(h, RPMTAG_EPOCH)) {
		snprintf(num, sizeof num, "%llu", (unsigned long long)headerGetNumber(h, RPMTAG_EPOCH));
		put_str(BS_RPMHDR_REC_EPOCH, num);
	}
	put_strings(h, RPMTAG_SOURCE, BS_RPMHDR_REC_SOURCE);
	put_strings(h, RPMTAG_PATCH, BS_RPMHDR_REC_PATCH);
	put_deps(h, RPMTAG_REQUIRENAME, BS_RPMHDR_REC_REQUIRE, BS_RPMHDR_REC_RPMLIB);
	put_deps(h, RPMTAG_CONFLICTNAME, BS_RPMHDR_REC_CONFLICT, BS_RPMHDR_REC_CONFLICT);
	put_specfile(h);
	put(BS_RPMHDR_REC_END, "", 0);
	flush_out();
out:
	headerFree(h);
}

void bs_rpmhdr_child(int pkgfd, int outfd, const char *name)
{
	rpmts ts;
	rpmKeyring kr;
	FD_t fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	arrange_fds(pkgfd, outfd);
	signal(SIGPIPE, SIG_DFL);

	/* librpm is initialised from the host's configuration before anything is closed off */
	rpmlogSetCallback(on_log, NULL);
	if (rpmReadConfigFiles(NULL, NULL) != 0)
		fail(BS_RPMHDR_ERR_SETUP, "cannot read rpm's configuration", 0);
	ts = rpmtsCreate();
	rpmtsSetVSFlags(ts, RPMVSF_MASK_NOSIGNATURES);
	kr = rpmKeyringNew(); /* an empty keyring: librpm never loads one */
	rpmtsSetKeyring(ts, kr);
	rpmKeyringFree(kr);
	if (!(fd = fdDup(PKG_FD)))
		fail(BS_RPMHDR_ERR_SETUP, "cannot use the package's fd", errno);
	descr = Fdescr(fd); /* librpm looks its name up in /proc lazily: now, not under the filter */

	isolate();
	if (prctl(PR_SET_DUMPABLE, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(BS_RPMHDR_ERR_SETUP, "prctl", errno);
	limit(RLIMIT_CPU, BS_RPMHDR_CPU_SECONDS, BS_RPMHDR_CPU_SECONDS + 1);
	limit(RLIMIT_FSIZE, 0, 0);
	limit(RLIMIT_CORE, 0, 0);
	/* valgrind keeps fds and address space of its own above the client's */
	if (!RUNNING_ON_VALGRIND)
		limit(RLIMIT_NOFILE, 16, 16);
#ifndef UNDER_ASAN /* ASan reserves terabytes of shadow address space */
	if (!RUNNING_ON_VALGRIND)
		limit(RLIMIT_AS, BS_RPMHDR_MEMORY, BS_RPMHDR_MEMORY);
#endif
	apply_seccomp();
	if (bs_rpmhdr_child_hook)
		bs_rpmhdr_child_hook();

	bs_rpmhdr_extract(ts, fd, name, PKG_FD, OUT_FD);
	_exit(0);
}
