/* bs_buildrequires: src.rpm → BuildRequires, evaluated in the context (see breq.h). */
#include "breq.h"
#include "mkdirs.h"
#include "bserr.h"
#include "inctx.h"
#include "install.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <rpm/header.h>
#include <rpm/rpmds.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ERR err, errlen
#define MAX_DEPS 20000
#define MAX_NOSRC (64u << 20)
#define SUFFIX ".buildreqs.nosrc.rpm" /* rpmbuild -br, %generate_buildrequires */
#define SUFFIX_SRC ".src.rpm"          /* rpmbuild -br, no %generate_buildrequires */

void bs_breq_result_free(struct bs_breq_result *res)
{
	bs_strlist_free(res->requires, res->nrequires);
	bs_strlist_free(res->generated, res->ngenerated);
	bs_strlist_free(res->conflicts, res->nconflicts);
	memset(res, 0, sizeof *res);
}

/* ---- in the context ---- */

/* Records: 's' the spec file, 'r' a requirement (index 1: generated), 'c' a
 * conflict, 'y' the spec generates BuildRequires, 'e' a failure. */
struct child {
	int fd;             /* the src.rpm */
	int chan;
	const char *topdir;
	uint32_t uid, gid;
};

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static uint32_t own_uid, own_gid;

static int chown_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	lchown(path, own_uid, own_gid);
	return 0;
}

static void common_macros(const char *topdir)
{
	rpmPushMacro(NULL, "_topdir", NULL, topdir, RMIL_CMDLINE);
	rpmPushMacro(NULL, "_dbpath", NULL, "/var/lib/rpm", RMIL_CMDLINE);
	rpmPushMacro(NULL, "__plugindir", NULL, "%{nil}", RMIL_CMDLINE);
	rpmPushMacro(NULL, "_pkgverify_level", NULL, "digest", RMIL_CMDLINE);
}

/* Installs the src.rpm under topdir; removes earlier source packages from
 * SRPMS (what rpmbuild -br writes is read from there). */
static int setup_child(void *arg)
{
	struct child *st = arg;
	char dir[600], *spec = NULL;
	static const char *const subdirs[] = { "SPECS", "SOURCES", "SRPMS", "BUILD", "RPMS" };
	rpmts ts;
	FD_t fd;
	DIR *d;
	struct dirent *de;
	rpmRC r;

	common_macros(st->topdir);
	for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
		snprintf(dir, sizeof dir, "%s/%s", st->topdir, subdirs[i]);
		(void)bs_mkdirs(dir, 0755);
	}
	snprintf(dir, sizeof dir, "%s/SRPMS", st->topdir);
	if ((d = opendir(dir))) {
		while ((de = readdir(d)))
			if (has_suffix(de->d_name, SUFFIX) || has_suffix(de->d_name, SUFFIX_SRC))
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	ts = rpmtsCreate();
	rpmtsSetRootDir(ts, "/");
	rpmtsSetFlags(ts, RPMTRANS_FLAG_NOPLUGINS);
	if (lseek(st->fd, 0, SEEK_SET) < 0 || !(fd = fdDup(st->fd))) {
		bs_inctx_send(st->chan, 'e', 0, "cannot read it");
		return 2;
	}
	r = rpmInstallSourcePackage(ts, fd, &spec, NULL);
	Fclose(fd);
	rpmtsFree(ts);
	if (r != RPMRC_OK || !spec) {
		bs_inctx_send(st->chan, 'e', 0, "librpm cannot install it as a source package (see the log)");
		return 2;
	}
	bs_inctx_send(st->chan, 's', 0, spec);
	free(spec);
	if (st->uid || st->gid) {
		own_uid = st->uid;
		own_gid = st->gid;
		nftw(st->topdir, chown_one, 16, FTW_PHYS);
	}
	return 0;
}

static void dep_string(rpmds ds, char *buf, size_t len)
{
	rpmsenseFlags f = rpmdsFlags(ds) & RPMSENSE_SENSEMASK;
	const char *evr = rpmdsEVR(ds), *op = "";

	if ((f & RPMSENSE_LESS) && (f & RPMSENSE_EQUAL))
		op = "<=";
	else if ((f & RPMSENSE_GREATER) && (f & RPMSENSE_EQUAL))
		op = ">=";
	else if (f & RPMSENSE_LESS)
		op = "<";
	else if (f & RPMSENSE_GREATER)
		op = ">";
	else if (f & RPMSENSE_EQUAL)
		op = "=";
	if (*op && evr && *evr)
		snprintf(buf, len, "%s %s %s", rpmdsN(ds), op, evr);
	else
		snprintf(buf, len, "%s", rpmdsN(ds));
}

static void send_deps(int chan, Header h, rpmTagVal tag, char op)
{
	rpmds ds = rpmdsNew(h, tag, 0);
	char buf[BS_INCTX_TEXT];

	while (rpmdsNext(ds) >= 0) {
		rpmsenseFlags f = rpmdsFlags(ds);

		if (f & RPMSENSE_RPMLIB) {
			if (op == 'r' && strcmp(rpmdsN(ds), "rpmlib(DynamicBuildRequires)") == 0)
				bs_inctx_send(chan, 'y', 0, NULL);
			continue;
		}
		dep_string(ds, buf, sizeof buf);
		bs_inctx_send(chan, op, (f & RPMSENSE_FIND_REQUIRES) ? 1 : 0, buf);
	}
	rpmdsFree(ds);
}

/* Reads the requirements from the one SRPMS/NAME.buildreqs.nosrc.rpm (or,
 * for a spec without %generate_buildrequires, NAME.src.rpm) rpmbuild -br
 * wrote: the requirements as rpmbuild evaluated them with the macros. */
static int read_child(void *arg)
{
	struct child *st = arg;
	char dir[600], name[300] = "";
	int n = 0, fd;
	DIR *d;
	struct dirent *de;
	struct stat sb;
	rpmts ts;
	FD_t rfd;
	Header h = NULL;
	rpmRC r;

	common_macros(st->topdir);
	snprintf(dir, sizeof dir, "%s/SRPMS", st->topdir);
	if (!(d = opendir(dir))) {
		bs_inctx_sendf(st->chan, 'e', 0, "%s: cannot open it", dir);
		return 2;
	}
	while ((de = readdir(d)))
		if ((has_suffix(de->d_name, SUFFIX) || has_suffix(de->d_name, SUFFIX_SRC)) && ++n == 1)
			snprintf(name, sizeof name, "%s", de->d_name);
	if (n != 1) {
		closedir(d);
		bs_inctx_sendf(st->chan, 'e', 0, "rpmbuild -br wrote %d source packages in %s, not one", n, dir);
		return 2;
	}
	fd = openat(dirfd(d), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	closedir(d);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > (off_t)MAX_NOSRC) {
		bs_inctx_sendf(st->chan, 'e', 0, "%s/%s: not a regular file of at most %u MiB", dir, name,
			       MAX_NOSRC >> 20);
		return 2;
	}
	ts = rpmtsCreate();
	rfd = fdDup(fd);
	r = rfd ? rpmReadPackageFile(ts, rfd, name, &h) : RPMRC_FAIL;
	if (rfd)
		Fclose(rfd);
	close(fd);
	rpmtsFree(ts);
	if (r != RPMRC_OK && r != RPMRC_NOTTRUSTED && r != RPMRC_NOKEY) {
		bs_inctx_sendf(st->chan, 'e', 0, "%s/%s: librpm cannot read it", dir, name);
		return 2;
	}
	send_deps(st->chan, h, RPMTAG_REQUIRENAME, 'r');
	send_deps(st->chan, h, RPMTAG_CONFLICTNAME, 'c');
	headerFree(h);
	return 0;
}

/* ---- in bsrun ---- */

struct parent {
	struct bs_breq_result *res;
	int nomem;
	char fatal[BS_INCTX_TEXT];
};

static void on_rec(void *ud, const struct bs_inctx_rec *r)
{
	struct parent *p = ud;
	struct bs_breq_result *res = p->res;
	int rc = 0;

	if (!bs_inctx_printable(r->text))
		return;
	switch (r->op) {
	case 's':
		if (r->text[0] == '/' && r->len < sizeof res->spec)
			memcpy(res->spec, r->text, r->len + 1);
		break;
	case 'y':
		res->dynamic = 1;
		break;
	case 'r':
		if (!r->text[0])
			break;
		rc = bs_strlist_add(&res->requires, &res->nrequires, r->text);
		if (!rc && r->index == 1)
			rc = bs_strlist_add(&res->generated, &res->ngenerated, r->text);
		break;
	case 'c':
		if (r->text[0])
			rc = bs_strlist_add(&res->conflicts, &res->nconflicts, r->text);
		break;
	case 'e':
		if (!p->fatal[0])
			snprintf(p->fatal, sizeof p->fatal, "%s", r->text);
		break;
	default:
		break;
	}
	if (rc < 0)
		p->nomem = 1;
}

/* Runs fn in the context with the channel; 0 when it exited 0. */
static int run_fn(struct bs_ctx *c, int (*fn)(void *), struct child *st, struct parent *p, const char *name,
		  const struct bs_breq_opts *o, char *err, size_t errlen)
{
	char *argv[] = { (char *)name, NULL };
	struct bs_exec_opts eo;
	struct bs_inctx ch;
	int ret, wst = 0;

	if ((ret = bs_inctx_open(&ch, MAX_DEPS, on_rec, p)) < 0)
		return bs_fail(ERR, -ret, "buildrequires: pipe");
	st->chan = ch.wfd;
	bs_exec_opts_init(&eo);
	eo.stdout_fd = eo.stderr_fd = o->log_fd;
	eo.timeout_s = o->timeout_s;
	eo.fn = fn;
	eo.arg = st;
	eo.watch_fd = ch.rfd;
	eo.watch = bs_inctx_drain;
	eo.watch_arg = &ch;
	ret = bs_ctx_exec(c, argv, &eo, &wst, ERR);
	bs_inctx_close(&ch);
	if (ret < 0)
		return ret;
	if (p->nomem)
		return bs_fail(ERR, ENOMEM, "buildrequires");
	if (ch.dropped)
		return bs_failx(ERR, E2BIG, "buildrequires: more than %d requirements", MAX_DEPS);
	if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0)
		return p->fatal[0] ? bs_failx(ERR, EINVAL, "%s", p->fatal)
				   : bs_failx(ERR, EINVAL, "%s failed (status 0x%x)", name, wst);
	return 0;
}

static int valid_macro_name(const char *s)
{
	size_t n = 0;

	if (!s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (; *s; s++, n++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return n <= 64;
}

int bs_buildrequires(struct bs_ctx *c, const char *srpm, const struct bs_breq_opts *o, struct bs_breq_result *res,
		     char *err, size_t errlen)
{
	struct child st = { .fd = -1 };
	struct parent p = { .res = res };
	const char *topdir = o->topdir ? o->topdir : "/builddir/build";
	char topdef[600], **argv = NULL, **defs = NULL;
	struct bs_exec_opts eo;
	struct stat sb;
	int ret, wst = 0;
	size_t na = 0;

	memset(res, 0, sizeof *res);
	if (topdir[0] != '/' || strlen(topdir) > 400 || !bs_inctx_printable(topdir) || strchr(topdir, ' '))
		return bs_failx(ERR, EINVAL, "buildrequires: bad topdir '%s'", topdir);
	for (size_t i = 0; i < o->nmacros; i++)
		if (!valid_macro_name(o->macros[i].name) || !o->macros[i].value)
			return bs_failx(ERR, EINVAL, "buildrequires: bad macro name '%s'",
					o->macros[i].name ? o->macros[i].name : "(null)");
	if ((ret = bs_inctx_rpm_config()) < 0)
		return bs_failx(ERR, EIO, "buildrequires: cannot read the host's rpm configuration");
	st.fd = open(srpm, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (st.fd < 0)
		return bs_fail(ERR, errno, "buildrequires: %s", srpm);
	if (fstat(st.fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(st.fd);
		return bs_failx(ERR, EINVAL, "buildrequires: %s: not a regular file", srpm);
	}
	st.topdir = topdir;
	st.uid = o->uid;
	st.gid = o->gid;
	/* 1. the src.rpm into topdir */
	ret = run_fn(c, setup_child, &st, &p, "rpm-install-source", o, ERR);
	close(st.fd);
	st.fd = -1;
	if (ret == -EINVAL) {
		char why[sizeof p.fatal];

		snprintf(why, sizeof why, "%s", err ? err : "");
		return bs_failx(ERR, EINVAL, "buildrequires: %s: %s", srpm, why);
	}
	if (ret < 0)
		return ret;
	if (!res->spec[0])
		return bs_failx(ERR, EINVAL, "buildrequires: %s: no spec file", srpm);
	/* 2. rpmbuild -br with the macros */
	argv = calloc(2 * o->nmacros + 8, sizeof *argv);
	defs = calloc(o->nmacros + 1, sizeof *defs);
	if (!argv || !defs) {
		ret = bs_fail(ERR, ENOMEM, "buildrequires");
		goto out;
	}
	snprintf(topdef, sizeof topdef, "_topdir %s", topdir);
	argv[na++] = "rpmbuild";
	argv[na++] = "-br";
	argv[na++] = "--nodeps";
	argv[na++] = "--define";
	argv[na++] = topdef;
	for (size_t i = 0; i < o->nmacros; i++) {
		if (asprintf(&defs[i], "%s %s", o->macros[i].name, o->macros[i].value) < 0) {
			defs[i] = NULL;
			ret = bs_fail(ERR, ENOMEM, "buildrequires");
			goto out;
		}
		argv[na++] = "--define";
		argv[na++] = defs[i];
	}
	argv[na++] = res->spec;
	argv[na] = NULL;
	bs_exec_opts_init(&eo);
	eo.stdout_fd = eo.stderr_fd = o->log_fd;
	eo.timeout_s = o->timeout_s;
	eo.cwd = topdir;
	eo.uid = o->uid;
	eo.gid = o->gid;
	ret = bs_ctx_exec(c, argv, &eo, &wst, ERR);
	if (ret < 0)
		goto out;
	/* 11: BuildRequires are missing, i.e. %generate_buildrequires printed some */
	if (!WIFEXITED(wst) || (WEXITSTATUS(wst) != 0 && WEXITSTATUS(wst) != 11)) {
		ret = bs_failx(ERR, ENOEXEC, "rpmbuild -br %s failed (%s %d); see the log", res->spec,
			       WIFEXITED(wst) ? "exit" : "signal", WIFEXITED(wst) ? WEXITSTATUS(wst) : WTERMSIG(wst));
		goto out;
	}
	/* 3. the requirements from the .buildreqs.nosrc.rpm */
	ret = run_fn(c, read_child, &st, &p, "rpm-read-buildreqs", o, ERR);
out:
	for (size_t i = 0; defs && i < o->nmacros; i++)
		free(defs[i]);
	free(argv);
	free(defs);
	return ret;
}
