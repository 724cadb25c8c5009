/* Installing RPMs into a context and evaluating BuildRequires inside one:
 * real RPMs built here with rpmbuild, real librpm transactions, real
 * contexts. Needs root, user namespaces and rpmbuild; without them every
 * test prints a loud SKIP line. */
#include "breq.h"
#include "caps.h"
#include "ctx.h"
#include "inctx.h"
#include "install.h"
#include "lstate.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[64];     /* /tmp/bsrun-inst-XXXXXX */
static char rpmdir[128];    /* the binary packages */
static char srpmdir[128];   /* the source packages */
static char hostflag[128];  /* a path only the host has: scriptlets must not reach it */
static int inst_ok;
static char inst_why[2048];

#define NEED_INST()                                                                                 \
	do {                                                                                        \
		if (!inst_ok) {                                                                     \
			fprintf(stderr, "*** SKIP %s: %s ***\n", __func__, inst_why);              \
			return;                                                                     \
		}                                                                                   \
	} while (0)

/* xa: /opt/x/a and a %post that writes /opt/x/post-a and tries the host's
 * flag file; xb requires xa; xsh provides the /bin/sh of xa's %post (the
 * host's, bound in, is not in the root's rpm database). */
static const char pkgs_spec[] =
	"Name: xa\nVersion: 1.0\nRelease: 1\nSummary: a\nLicense: MIT\nBuildArch: noarch\n"
	"%description\na\n"
	"%package -n xb\nSummary: b\nRequires: xa >= 1.0\n%description -n xb\nb\n"
	"%package -n xc\nSummary: c\n%description -n xc\nc\n"
	"%package -n xsh\nSummary: sh\nProvides: /bin/sh\n%description -n xsh\nsh\n"
	"%package -n xdoc\nSummary: doc\n%description -n xdoc\ndoc\n"
	"%install\n"
	"mkdir -p %{buildroot}/opt/x/doc\necho doc > %{buildroot}/opt/x/doc/README\n"
	"mkdir -p %{buildroot}/opt/x/c %{buildroot}/usr/share/doc/xa\n"
	"echo a > %{buildroot}/opt/x/a\necho b > %{buildroot}/opt/x/b\necho c > %{buildroot}/opt/x/c/a\n"
	"echo readme > %{buildroot}/usr/share/doc/xa/README\n"
	"echo de > %{buildroot}/opt/x/de.txt\necho en > %{buildroot}/opt/x/en.txt\n"
	"%post\n"
	"id -u > /opt/x/post-a\n"
	"echo escaped > %{hostflag} 2>/dev/null || true\n"
	"%files\n/opt/x/a\n%doc /usr/share/doc/xa/README\n%lang(de) /opt/x/de.txt\n%lang(en) /opt/x/en.txt\n"
	"%files -n xb\n/opt/x/b\n"
	"%files -n xc\n/opt/x/c/a\n"
	"%files -n xsh\n"
	"%files -n xdoc\n%doc /opt/x/doc/README\n";

/* xd: the same /opt/x/a as xa, different content (a file conflict) */
static const char conflict_spec[] =
	"Name: xd\nVersion: 1.0\nRelease: 1\nSummary: d\nLicense: MIT\nBuildArch: noarch\n"
	"%description\nd\n%install\nmkdir -p %{buildroot}/opt/x\necho d > %{buildroot}/opt/x/a\n"
	"%files\n/opt/x/a\n";

/* BuildRequires that depend on the target's macros */
static const char cond_spec[] =
	"Name: cond\nVersion: 1\nRelease: 1\nSummary: c\nLicense: MIT\nBuildArch: noarch\n"
	"BuildRequires: always >= 2\n"
	"BuildConflicts: badthing\n"
	"%if 0%{?fc1}\nBuildRequires: onlyfc1\n%else\nBuildRequires: notfc1\n%endif\n"
	"%{?_with_x:BuildRequires: xdep}\n"
	"BuildRequires: /usr/include/db.h\n"
	"%description\nc\n%prep\n%build\n%install\n%files\n";

static const char gen_spec[] =
	"Name: gen\nVersion: 1\nRelease: 1\nSummary: g\nLicense: MIT\nBuildArch: noarch\n"
	"BuildRequires: staticdep\n"
	"%description\ng\n"
	"%generate_buildrequires\necho 'gendep >= 1.0'\n%{?fc1:echo fc1gen}\n"
	"%prep\n%build\n%install\n%files\n";

static const char badprep_spec[] =
	"Name: badprep\nVersion: 1\nRelease: 1\nSummary: b\nLicense: MIT\nBuildArch: noarch\n"
	"%description\nb\n%generate_buildrequires\nexit 3\n%prep\n%build\n%install\n%files\n";

static int runv(const char *log, char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* rpmbuild -bb or -bs of spec text NAME.spec into rpmdir / srpmdir */
static int build(const char *name, const char *text, const char *mode)
{
	char spec[256], log[256], top[256], rpms[256], srpms[256], flag[256];
	char *argv[] = {
		"rpmbuild", (char *)mode, "--quiet", "--define", top, "--define", rpms, "--define", srpms,
		"--define", "_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
		"--define", "__os_install_post %{nil}", "--define", "_build_id_links none",
		"--define", flag, spec, NULL,
	};

	snprintf(spec, sizeof spec, "%s/%s.spec", tmpdir, name);
	snprintf(log, sizeof log, "%s/build.log", tmpdir);
	snprintf(top, sizeof top, "_topdir %s/rpmbuild", tmpdir);
	snprintf(rpms, sizeof rpms, "_rpmdir %s", rpmdir);
	snprintf(srpms, sizeof srpms, "_srcrpmdir %s", srpmdir);
	snprintf(flag, sizeof flag, "hostflag %s", hostflag);
	if (write_text(spec, text) < 0)
		return -1;
	return runv(log, argv);
}

static void fixture_up(void)
{
	struct bs_ctx_opts o;
	struct bs_ctx *c = NULL;
	char err[512], root[128];
	int r;

	inst_ok = 0;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/bsrun-inst-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		snprintf(inst_why, sizeof inst_why, "mkdtemp: %s", strerror(errno));
		tmpdir[0] = '\0';
		return;
	}
	chmod(tmpdir, 0755);
	snprintf(rpmdir, sizeof rpmdir, "%s/rpms", tmpdir);
	snprintf(srpmdir, sizeof srpmdir, "%s/srpms", tmpdir);
	snprintf(hostflag, sizeof hostflag, "%s/hostonly/flag", tmpdir);
	mkdir(rpmdir, 0755);
	mkdir(srpmdir, 0755);
	snprintf(root, sizeof root, "%s/hostonly", tmpdir);
	mkdir(root, 0777);
	if (geteuid() != 0) {
		snprintf(inst_why, sizeof inst_why, "not root (contexts need root)");
		return;
	}
	if (access("/proc/self/ns/user", F_OK) < 0) {
		snprintf(inst_why, sizeof inst_why, "no user namespaces in this kernel");
		return;
	}
	if (access("/usr/bin/rpmbuild", X_OK) < 0) {
		snprintf(inst_why, sizeof inst_why, "rpmbuild not installed");
		return;
	}
	snprintf(root, sizeof root, "%s/probe", tmpdir);
	mkdir(root, 0755);
	bs_ctx_opts_init(&o);
	o.root = root;
	o.flags = BS_CTX_OWN_ROOT;
	r = bs_ctx_create(&o, &c, err, sizeof err);
	if (r < 0) {
		snprintf(inst_why, sizeof inst_why, "cannot create a context here: %s", err);
		return;
	}
	bs_ctx_free(c);
	if (build("pkgs", pkgs_spec, "-bb") < 0 || build("conflict", conflict_spec, "-bb") < 0 ||
	    build("cond", cond_spec, "-bs") < 0 || build("gen", gen_spec, "-bs") < 0 ||
	    build("badprep", badprep_spec, "-bs") < 0) {
		snprintf(inst_why, sizeof inst_why, "rpmbuild of the fixtures failed: see %s/build.log", tmpdir);
		tmpdir[0] = '\0'; /* keep it for a look */
		return;
	}
	inst_ok = 1;
}

static void fixture_down(void)
{
	if (tmpdir[0])
		rm_rf(tmpdir);
}

/* ---- helpers ---- */

static struct bs_bind usr_bind[] = {
	{ "/usr", "/usr", BS_BIND_RO | BS_BIND_RECURSIVE | BS_BIND_NODEV | BS_BIND_NOSUID },
};

/* A fresh, empty root made by "bsrun" (host root, 0755) with only the merged-/usr
 * symlinks, and a context on it that owns it; writes the root's path. */
static struct bs_ctx *fresh(char *root, size_t len)
{
	static int seq;
	struct bs_ctx_opts o;
	struct bs_ctx *c = NULL;
	char err[512] = "", p[256];
	static const char *const links[][2] = {
		{ "usr/bin", "bin" }, { "usr/sbin", "sbin" }, { "usr/lib", "lib" }, { "usr/lib64", "lib64" },
	};
	int r;

	snprintf(root, len, "%s/root%d-%d", tmpdir, (int)getpid(), ++seq);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
		snprintf(p, sizeof p, "%s/%s", root, links[i][1]);
		ck_assert_int_eq(symlink(links[i][0], p), 0);
	}
	bs_ctx_opts_init(&o);
	o.root = root;
	o.binds = usr_bind;
	o.nbinds = 1;
	o.flags = BS_CTX_OWN_ROOT;
	r = bs_ctx_create(&o, &c, err, sizeof err);
	ck_assert_msg(r == 0, "bs_ctx_create: %s", err);
	return c;
}

static int sh(struct bs_ctx *c, const char *script)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	char err[512] = "";
	int st = 0, r = bs_ctx_exec(c, argv, NULL, &st, err, sizeof err);

	ck_assert_msg(r == 0, "exec: %s", err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void pkg(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s-1.0-1.noarch.rpm", rpmdir, name);
}

static void srpm(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s-1-1.src.rpm", srpmdir, name);
}

struct seen {
	int starts, dones;
	char order[256];
};

static void progress(void *ud, const struct bs_install_event *ev)
{
	struct seen *s = ud;
	size_t len = strlen(s->order);

	if (ev->what == 's')
		s->starts++;
	if (ev->what == 'd') {
		s->dones++;
		ck_assert_uint_le(ev->index, ev->total);
		snprintf(s->order + len, sizeof s->order - len, "%s%s", len ? "," : "", ev->nevra);
	}
}

/* Output of a host command (first line of it, without the newline), or "". */
static void host_out(char *out, size_t len, const char *cmd)
{
	FILE *f = popen(cmd, "re");
	size_t n;

	out[0] = '\0';
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	pclose(f);
}

/* ---- install ---- */

START_TEST(test_install)
{
	char root[128], a[256], b[256], shp[256], path[256], err[1024] = "", out[1024], cmd[512];
	const char *paths[3];
	struct bs_install_opts io = { .log_fd = -1, .flags = BS_INSTALL_NOFSYNC | BS_INSTALL_NODOCS, .langs = "C:en" };
	struct bs_install_result res;
	struct seen seen = { 0 };
	struct bs_ctx *c;
	struct stat sb;
	uint32_t first, count;
	int r, logfd;

	NEED_INST();
	c = fresh(root, sizeof root);
	bs_ctx_idrange(c, &first, &count);
	/* the root is the context's: owned by its root, mount points made */
	ck_assert_int_eq(stat(root, &sb), 0);
	ck_assert_uint_eq(sb.st_uid, first);
	ck_assert_uint_eq(sb.st_gid, first);
	snprintf(path, sizeof path, "%s/proc", root);
	ck_assert_int_eq(stat(path, &sb), 0);
	/* xb before xa before xsh in the list: rpm orders them */
	pkg(a, sizeof a, "xa");
	pkg(b, sizeof b, "xb");
	pkg(shp, sizeof shp, "xsh");
	paths[0] = b;
	paths[1] = a;
	paths[2] = shp;
	snprintf(path, sizeof path, "%s/install.log", tmpdir);
	logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	ck_assert_int_ge(logfd, 0);
	io.log_fd = logfd;
	io.progress = progress;
	io.ud = &seen;
	io.langs = "en:%{x}"; /* no macros in a language list */
	r = bs_install(c, paths, 3, &io, &res, err, sizeof err);
	ck_assert_int_eq(r, -EINVAL);
	bs_install_result_free(&res);
	io.langs = "C:en";
	r = bs_install(c, paths, 3, &io, &res, err, sizeof err);
	close(logfd);
	ck_assert_msg(r == 0, "bs_install: %d %s", r, err);
	ck_assert_uint_eq(res.nnevras, 3);
	ck_assert_str_eq(res.nevras[0], "xsh-1.0-1.noarch");
	ck_assert_str_eq(res.nevras[1], "xa-1.0-1.noarch");
	ck_assert_str_eq(res.nevras[2], "xb-1.0-1.noarch");
	ck_assert_int_eq(seen.starts, 3);
	ck_assert_int_eq(seen.dones, 3);
	ck_assert_str_eq(seen.order, "xsh-1.0-1.noarch,xa-1.0-1.noarch,xb-1.0-1.noarch");
	bs_install_result_free(&res);
	/* the files, owned by the context's root (its range), not the host's */
	snprintf(path, sizeof path, "%s/opt/x/a", root);
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_uid, first);
	ck_assert_uint_eq(sb.st_gid, first);
	snprintf(path, sizeof path, "%s/opt/x/b", root);
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_uid, first);
	/* nodocs: no README; langs C:en: the %lang(en) file, not the %lang(de)
	 * one (test_lua_install installs both, and the README, by default) */
	snprintf(path, sizeof path, "%s/usr/share/doc/xa/README", root);
	ck_assert_int_eq(lstat(path, &sb), -1);
	snprintf(path, sizeof path, "%s/opt/x/de.txt", root);
	ck_assert_int_eq(lstat(path, &sb), -1);
	snprintf(path, sizeof path, "%s/opt/x/en.txt", root);
	ck_assert_int_eq(lstat(path, &sb), 0);
	/* a %doc file outside /usr (the host's, read-only here): left out too */
	pkg(a, sizeof a, "xdoc");
	paths[0] = a;
	io.log_fd = -1;
	io.progress = NULL;
	r = bs_install(c, paths, 1, &io, &res, err, sizeof err);
	ck_assert_msg(r == 0 && res.nnevras == 1, "bs_install xdoc: %d %s", r, err);
	bs_install_result_free(&res);
	snprintf(path, sizeof path, "%s/opt/x/doc/README", root);
	ck_assert_int_eq(lstat(path, &sb), -1);
	/* the scriptlet ran, as root inside */
	snprintf(path, sizeof path, "%s/opt/x/post-a", root);
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_uid, first);
	snprintf(cmd, sizeof cmd, "cat %s", path);
	host_out(out, sizeof out, cmd);
	ck_assert_str_eq(out, "0\n");
	/* ... and could not reach the host's path */
	ck_assert_int_eq(access(hostflag, F_OK), -1);
	/* the database, where rpm on the host finds it */
	snprintf(cmd, sizeof cmd, "rpm --root %s --dbpath /var/lib/rpm -qa --qf '%%{NEVRA}\\n' | sort", root);
	host_out(out, sizeof out, cmd);
	ck_assert_str_eq(out, "xa-1.0-1.noarch\nxb-1.0-1.noarch\nxdoc-1.0-1.noarch\nxsh-1.0-1.noarch\n");
	snprintf(path, sizeof path, "%s/var/lib/rpm/rpmdb.sqlite", root);
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_uid, first);
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_install_failures)
{
	char root[128], a[256], b[256], d[256], shp[256], err[1024] = "", path[256];
	const char *paths[3];
	struct bs_install_result res;
	struct bs_ctx *c;
	int r;

	NEED_INST();
	c = fresh(root, sizeof root);
	pkg(a, sizeof a, "xa");
	pkg(b, sizeof b, "xb");
	pkg(d, sizeof d, "xd");
	pkg(shp, sizeof shp, "xsh");
	/* a file conflict: nothing installed, rpm's problem named */
	paths[0] = a;
	paths[1] = d;
	paths[2] = shp;
	r = bs_install(c, paths, 3, NULL, &res, err, sizeof err);
	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_msg(strstr(err, "/opt/x/a") && strstr(err, "conflicts") && strstr(err, "xd-1.0-1.noarch"),
		      "message: %s", err);
	ck_assert_uint_ge(res.nproblems, 1);
	ck_assert_uint_eq(res.nnevras, 0);
	bs_install_result_free(&res);
	snprintf(path, sizeof path, "%s/opt/x/a", root);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* a missing dependency */
	paths[0] = b;
	r = bs_install(c, paths, 1, NULL, &res, err, sizeof err);
	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_msg(strstr(err, "xa >= 1.0") && strstr(err, "needed by xb"), "message: %s", err);
	bs_install_result_free(&res);
	/* not an RPM; a symlink; a missing file */
	snprintf(path, sizeof path, "%s/pkgs.spec", tmpdir);
	paths[0] = path;
	r = bs_install(c, paths, 1, NULL, &res, err, sizeof err);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_msg(strstr(err, path) && strstr(err, "not a readable RPM"), "message: %s", err);
	bs_install_result_free(&res);
	snprintf(path, sizeof path, "%s/link.rpm", tmpdir);
	ck_assert_int_eq(symlink(a, path), 0);
	r = bs_install(c, paths, 1, NULL, &res, err, sizeof err);
	ck_assert_int_eq(r, -ELOOP);
	bs_install_result_free(&res);
	snprintf(path, sizeof path, "%s/missing.rpm", tmpdir);
	r = bs_install(c, paths, 1, NULL, &res, err, sizeof err);
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_msg(strstr(err, path), "message: %s", err);
	bs_install_result_free(&res);
	/* a source package is not installable */
	srpm(path, sizeof path, "cond");
	r = bs_install(c, paths, 1, NULL, &res, err, sizeof err);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_msg(strstr(err, "source package"), "message: %s", err);
	bs_install_result_free(&res);
	/* a dead context */
	bs_ctx_kill(c);
	paths[0] = a;
	r = bs_install(c, paths, 1, NULL, &res, err, sizeof err);
	ck_assert_int_eq(r, -ESRCH);
	bs_install_result_free(&res);
	bs_ctx_free(c);
}
END_TEST

/* ---- BuildRequires ---- */

static struct bs_ctx *breq_root(char *root, size_t len)
{
	struct bs_ctx *c = fresh(root, len);

	ck_assert_int_eq(sh(c, "mkdir -p -m 1777 /var/tmp && mkdir -p /builddir /var/lib/rpm /root"), 0);
	return c;
}

static int has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static char *joined(char **v, size_t n)
{
	static char buf[2048];

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(buf);

		snprintf(buf + len, sizeof buf - len, "%s%s", i ? "|" : "", v[i]);
	}
	return buf;
}

START_TEST(test_buildrequires)
{
	char root[128], s[256], err[1024] = "";
	struct bs_breq_opts bo = { .log_fd = -1 };
	struct bs_breq_result res;
	struct bs_macro fc1[] = { { "fc1", "1" }, { "dist", ".fc1" } };
	struct bs_macro withx[] = { { "_with_x", "--with-x" } };
	struct bs_ctx *c;
	int r;

	NEED_INST();
	c = breq_root(root, sizeof root);
	srpm(s, sizeof s, "cond");
	/* no macros: the %else branch, no xdep */
	r = bs_buildrequires(c, s, &bo, &res, err, sizeof err);
	ck_assert_msg(r == 0, "bs_buildrequires: %d %s", r, err);
	ck_assert_str_eq(res.spec, "/builddir/build/SPECS/cond.spec");
	ck_assert_str_eq(joined(res.requires, res.nrequires), "/usr/include/db.h|always >= 2|notfc1");
	ck_assert_str_eq(joined(res.conflicts, res.nconflicts), "badthing");
	ck_assert_uint_eq(res.ngenerated, 0);
	ck_assert_int_eq(res.dynamic, 0);
	bs_breq_result_free(&res);
	/* the target's macros */
	bo.macros = fc1;
	bo.nmacros = 2;
	r = bs_buildrequires(c, s, &bo, &res, err, sizeof err);
	ck_assert_msg(r == 0, "bs_buildrequires: %d %s", r, err);
	ck_assert_str_eq(joined(res.requires, res.nrequires), "/usr/include/db.h|always >= 2|onlyfc1");
	bs_breq_result_free(&res);
	/* --with x */
	bo.macros = withx;
	bo.nmacros = 1;
	r = bs_buildrequires(c, s, &bo, &res, err, sizeof err);
	ck_assert_msg(r == 0, "bs_buildrequires: %d %s", r, err);
	ck_assert_str_eq(joined(res.requires, res.nrequires), "/usr/include/db.h|always >= 2|notfc1|xdep");
	bs_breq_result_free(&res);
	/* the src.rpm went into the root, owned by the context */
	{
		char p[256];
		struct stat sb;
		uint32_t first, count;

		bs_ctx_idrange(c, &first, &count);
		snprintf(p, sizeof p, "%s/builddir/build/SPECS/cond.spec", root);
		ck_assert_int_eq(lstat(p, &sb), 0);
		ck_assert_uint_eq(sb.st_uid, first);
	}
	bs_ctx_free(c);
}
END_TEST

START_TEST(test_buildrequires_generated)
{
	char root[128], s[256], err[1024] = "", log[256];
	struct bs_breq_opts bo = { .log_fd = -1, .uid = 1000, .gid = 1000 };
	struct bs_breq_result res;
	struct bs_macro fc1[] = { { "fc1", "1" } };
	struct bs_ctx *c;
	int r;

	NEED_INST();
	c = breq_root(root, sizeof root);
	srpm(s, sizeof s, "gen");
	r = bs_buildrequires(c, s, &bo, &res, err, sizeof err);
	ck_assert_msg(r == 0, "bs_buildrequires: %d %s", r, err);
	ck_assert_int_eq(res.dynamic, 1);
	ck_assert_str_eq(joined(res.requires, res.nrequires), "gendep >= 1.0|staticdep");
	ck_assert_str_eq(joined(res.generated, res.ngenerated), "gendep >= 1.0");
	bs_breq_result_free(&res);
	bo.macros = fc1;
	bo.nmacros = 1;
	r = bs_buildrequires(c, s, &bo, &res, err, sizeof err);
	ck_assert_msg(r == 0, "bs_buildrequires: %d %s", r, err);
	ck_assert(has(res.generated, res.ngenerated, "fc1gen"));
	ck_assert(has(res.requires, res.nrequires, "fc1gen"));
	bs_breq_result_free(&res);
	/* a failing %generate_buildrequires: -ENOEXEC, its output in the log */
	srpm(s, sizeof s, "badprep");
	snprintf(log, sizeof log, "%s/breq.log", tmpdir);
	bo.log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(bo.log_fd, 0);
	r = bs_buildrequires(c, s, &bo, &res, err, sizeof err);
	close(bo.log_fd);
	ck_assert_int_eq(r, -ENOEXEC);
	ck_assert_msg(strstr(err, "rpmbuild -br") && strstr(err, "badprep.spec"), "message: %s", err);
	bs_breq_result_free(&res);
	/* not a source package */
	snprintf(s, sizeof s, "%s/xa-1.0-1.noarch.rpm", rpmdir);
	bo.log_fd = -1;
	r = bs_buildrequires(c, s, &bo, &res, err, sizeof err);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_msg(strstr(err, s), "message: %s", err);
	bs_breq_result_free(&res);
	bs_ctx_free(c);
}
END_TEST

/* ---- a function run in the context (bs_exec_opts.fn) ---- */

struct fn_arg {
	int chan;
	const char *hostpath;
};

/* Reports what it sees, as the install and BuildRequires functions would run. */
static int probe_fn(void *arg)
{
	struct fn_arg *a = arg;
	char line[256], status[4096] = "";
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, status, sizeof status - 1) : -1;
	const char *nnp, *sc, *cap;

	if (fd >= 0)
		close(fd);
	status[n > 0 ? n : 0] = '\0';
	nnp = strstr(status, "NoNewPrivs:");
	sc = strstr(status, "Seccomp:");
	cap = strstr(status, "CapEff:");
	snprintf(line, sizeof line, "uid=%d nnp=%c seccomp=%c capeff=%.16s host=%d", (int)getuid(),
		 nnp ? nnp[12] : '?', sc ? sc[9] : '?', cap ? cap + 8 : "?", access(a->hostpath, F_OK) == 0);
	bs_inctx_send(a->chan, 'i', 1, line);
	return 5;
}

static void count_rec(void *ud, const struct bs_inctx_rec *r)
{
	snprintf(ud, 256, "%.200s", r->text);
}

START_TEST(test_fn_mode)
{
	char root[128], seen[256] = "", err[512] = "";
	struct bs_exec_opts eo;
	struct bs_inctx ch;
	struct fn_arg a = { .hostpath = tmpdir };
	struct bs_ctx *c;
	int st = 0, r;

	NEED_INST();
	c = fresh(root, sizeof root);
	ck_assert_int_eq(bs_inctx_open(&ch, 8, count_rec, seen), 0);
	a.chan = ch.wfd;
	bs_exec_opts_init(&eo);
	eo.fn = probe_fn;
	eo.arg = &a;
	eo.watch_fd = ch.rfd;
	eo.watch = bs_inctx_drain;
	eo.watch_arg = &ch;
	r = bs_ctx_exec(c, (char *const[]){ "probe-fn", NULL }, &eo, &st, err, sizeof err);
	bs_inctx_close(&ch);
	ck_assert_msg(r == 0, "exec: %s", err);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 5);
	/* root inside, privileges dropped as for any command, the host not visible */
	ck_assert_msg(strncmp(seen, "uid=0 nnp=1 seccomp=2 capeff=", 29) == 0 && strstr(seen, "host=0"), "%s", seen);
	{
		char want[64];

		snprintf(want, sizeof want, "capeff=%016llx ", (unsigned long long)bs_caps_default());
		ck_assert_msg(strstr(seen, want), "%s (want %s)", seen, want);
	}
	bs_ctx_free(c);
}
END_TEST

/* ---- from Lua ---- */

static lua_State *lua_state(void)
{
	lua_State *L = bs_lua_new(BS_LUA_TRUSTED, BSRUN_SRCDIR);
	char root[128];
	static int seq;

	ck_assert_ptr_nonnull(L);
	snprintf(root, sizeof root, "%s/lua%d-%d", tmpdir, (int)getpid(), ++seq);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	lua_pushstring(L, root);
	lua_setglobal(L, "ROOT");
	lua_pushstring(L, rpmdir);
	lua_setglobal(L, "RPMS");
	lua_pushstring(L, srpmdir);
	lua_setglobal(L, "SRPMS");
	lua_pushstring(L, tmpdir);
	lua_setglobal(L, "TMP");
	run_lua(L, "for _, l in ipairs { { 'usr/bin', 'bin' }, { 'usr/lib', 'lib' }, { 'usr/lib64', 'lib64' } } do\n"
		   "  assert(os.execute(string.format('ln -s %s %s/%s', l[1], ROOT, l[2])))\n"
		   "end\n"
		   "local bs = require 'bs'\n"
		   "CTX = assert(bs.ctx.create{ root = ROOT, own_root = true,\n"
		   "  binds = { { '/usr', '/usr', ro = true, recursive = true, nodev = true, nosuid = true } } })\n"
		   "return true");
	lua_pop(L, 1);
	return L;
}

START_TEST(test_lua_install)
{
	lua_State *L;

	NEED_INST();
	L = lua_state();
	run_lua(L,
		"local bs = require 'bs'\n"
		"local function pkg(n) return RPMS .. '/' .. n .. '-1.0-1.noarch.rpm' end\n"
		"local log, inst = io.tmpfile(), io.tmpfile()\n"
		"local events = {}\n"
		"local got, em = bs.rpm.install((CTX), { pkg 'xb', { path = pkg 'xa', nevra = 'xa' }, pkg 'xsh' },\n"
		"  { fsync = true, nodocs = true, log = log, installed_log = inst, timeout = 60,\n"
		"    progress = function(ev) events[#events + 1] = ev.what .. ' ' .. ev.index .. '/' .. ev.total ..\n"
		"      ' ' .. ev.nevra end })\n"
		"if not got then log:seek('set'); error(em .. log:read('a')) end\n"
		/* docs and every language by default (xa's own README is in the host's /usr, read-only here) */
		"assert(bs.rpm.install(CTX, { pkg 'xdoc' }, { verify = 'cache' }))\n"
		"assert(table.concat(got, ',') == 'xsh-1.0-1.noarch,xa-1.0-1.noarch,xb-1.0-1.noarch', table.concat(got, ','))\n"
		"assert(events[1] == 'start 3/3 xsh-1.0-1.noarch', events[1])\n"
		"assert(events[2] == 'done 3/3 xsh-1.0-1.noarch', events[2])\n"
		"assert(#events == 6)\n"
		"inst:seek('set'); local text = inst:read('a')\n"
		"assert(text == 'xsh-1.0-1.noarch\\nxa-1.0-1.noarch\\nxb-1.0-1.noarch\\n', text)\n"
		"log:seek('set'); text = log:read('a')\n"
		"assert(text:find('bsrun: installing [2/3] xa-1.0-1.noarch', 1, true), text)\n"
		"local f = assert(io.open(ROOT .. '/opt/x/post-a')); assert(f:read('a') == '0\\n'); f:close()\n"
		"for _, p in ipairs { '/opt/x/doc/README', '/opt/x/de.txt', '/opt/x/en.txt' } do\n"
		"  assert(io.open(ROOT .. p), p):close()\n"
		"end\n"
		/* a conflict: nil, message, errno, problems */
		"local ok, msg, err, problems = bs.rpm.install(CTX, { pkg 'xd' }, { log = log })\n"
		"assert(ok == nil and msg:find('conflicts', 1, true) and err > 0, msg)\n"
		"assert(#problems == 1 and problems[1]:find('/opt/x/a', 1, true), problems[1])\n"
		/* misuse raises */
		"assert(not pcall(bs.rpm.install, CTX, { pkg 'xa' }, { nosuch = true }))\n"
		"assert(not pcall(bs.rpm.install, CTX, { 42 }))\n"
		"assert(not pcall(bs.rpm.install, CTX, { {} }))\n"
		"assert(not pcall(bs.rpm.install, CTX, {}, { log = 'x' }))\n"
		"assert(not pcall(bs.rpm.install, {}, {}))\n"
		"for _, o in ipairs { { langs = 'de' }, { langs = {} }, { langs = { 'd e' } }, { langs = { '%{x}' } },\n"
		"    { verify = 'none' }, { verify = true }, { fsync = true, nofsync = true }, { fsync = 1 } } do\n"
		"  assert(not pcall(bs.rpm.install, CTX, { pkg 'xa' }, o))\n"
		"end\n"
		/* an error in the progress function is raised after the transaction */
		"CTX:exec({ 'rpm', '-e', '--dbpath', '/var/lib/rpm', 'xb' })\n"
		"local ok2, e = pcall(bs.rpm.install, CTX, { pkg 'xb' }, { progress = function() error('boom') end })\n"
		"assert(not ok2 and tostring(e):find('boom'), tostring(e))\n"
		"CTX:kill()\n"
		"return true");
	lua_close(L);
}
END_TEST

START_TEST(test_lua_buildrequires)
{
	lua_State *L;

	NEED_INST();
	L = lua_state();
	run_lua(L,
		"local bs = require 'bs'\n"
		"assert(CTX:exec({ 'sh', '-c', 'mkdir -p -m 1777 /var/tmp && mkdir -p /builddir' }) == 'exit')\n"
		"local s = SRPMS .. '/cond-1-1.src.rpm'\n"
		"local log = io.tmpfile()\n"
		"local reqs, info = assert(bs.rpm.buildrequires(CTX, s,\n"
		"  { { name = 'fc1', value = '1' }, { name = '_with_x', value = '--with-x' } }, { log = log, timeout = 60 }))\n"
		"assert(table.concat(reqs, '|') == '/usr/include/db.h|always >= 2|onlyfc1|xdep', table.concat(reqs, '|'))\n"
		"assert(info.conflicts[1] == 'badthing' and not info.dynamic and #info.generated == 0)\n"
		"assert(info.spec == '/builddir/build/SPECS/cond.spec', info.spec)\n"
		"reqs, info = assert(bs.rpm.buildrequires(CTX, SRPMS .. '/gen-1-1.src.rpm'))\n"
		"assert(info.dynamic and info.generated[1] == 'gendep >= 1.0', info.generated[1])\n"
		"local ok, msg, err = bs.rpm.buildrequires(CTX, SRPMS .. '/badprep-1-1.src.rpm', nil, { log = log })\n"
		"assert(ok == nil and msg:find('rpmbuild -br', 1, true) and err == 8, msg)\n"
		"ok, msg, err = bs.rpm.buildrequires(CTX, TMP .. '/nosuch.src.rpm')\n"
		"assert(ok == nil and err == 2, msg)\n"
		"assert(not pcall(bs.rpm.buildrequires, CTX, s, { { name = 'bad name', value = '1' } }))\n"
		"assert(not pcall(bs.rpm.buildrequires, CTX, s, { { name = 'x' } }))\n"
		"assert(not pcall(bs.rpm.buildrequires, CTX, s, nil, { nosuch = 1 }))\n"
		"CTX:kill()\n"
		"return true");
	lua_close(L);
}
END_TEST

/* ---- the channel from the context (no context needed) ---- */

struct recs {
	int n;
	char text[4][64];
};

static void collect(void *ud, const struct bs_inctx_rec *r)
{
	struct recs *rs = ud;

	if (rs->n < 4)
		snprintf(rs->text[rs->n], sizeof rs->text[0], "%c%u:%.40s", r->op, (unsigned)r->index, r->text);
	rs->n++;
}

START_TEST(test_channel)
{
	struct bs_inctx ch;
	struct bs_inctx_rec bad;
	struct recs rs = { 0 };
	char big[2000];

	ck_assert_int_eq(bs_inctx_open(&ch, 3, collect, &rs), 0);
	bs_inctx_send(ch.wfd, 's', 1, "foo-1.0-1.noarch");
	/* a forged record: its length does not match its text */
	memset(&bad, 0, sizeof bad);
	bad.op = 'd';
	bad.len = 5;
	memcpy(bad.text, "ab", 3);
	ck_assert_int_eq(write(ch.wfd, &bad, sizeof bad), (ssize_t)sizeof bad);
	/* a short write is not a record either */
	ck_assert_int_eq(write(ch.wfd, "xyz", 3), 3);
	bs_inctx_drain(&ch, ch.rfd);
	ck_assert_int_eq(rs.n, 1);
	ck_assert_str_eq(rs.text[0], "s1:foo-1.0-1.noarch");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	bs_inctx_sendf(ch.wfd, 'w', 2, "%s", big); /* cut to fit */
	bs_inctx_send(ch.wfd, 'd', 3, NULL);
	bs_inctx_send(ch.wfd, 'd', 4, "over the limit");
	bs_inctx_close(&ch);
	bs_inctx_close(&ch); /* idempotent */
	ck_assert_int_eq(rs.n, 3);
	ck_assert_uint_eq(ch.dropped, 1);
	ck_assert_str_eq(rs.text[2], "d3:");
	ck_assert(bs_inctx_printable("foo >= 1.0"));
	ck_assert(!bs_inctx_printable("foo\nbar"));
	ck_assert(!bs_inctx_printable("\x1b[31m"));
}
END_TEST

START_TEST(test_lua_misuse_noctx)
{
	lua_State *L = bs_lua_new(BS_LUA_TRUSTED, BSRUN_SRCDIR);

	ck_assert_ptr_nonnull(L);
	run_lua(L, "local bs = require 'bs'\n"
		   "assert(type(bs.rpm.install) == 'function' and type(bs.rpm.buildrequires) == 'function')\n"
		   "local ok, e = pcall(bs.rpm.install, {}, {})\n"
		   "assert(not ok and e:find('bs.ctx'), e)\n"
		   "ok, e = pcall(bs.rpm.buildrequires, 'ctx', 'x.src.rpm')\n"
		   "assert(not ok and e:find('bs.ctx'), e)\n"
		   "return true");
	lua_close(L);
}
END_TEST

Suite *install_suite(void)
{
	Suite *s = suite_create("install");
	TCase *tc = tcase_create("install");

	tcase_add_unchecked_fixture(tc, fixture_up, fixture_down);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fn_mode);
	tcase_add_test(tc, test_install);
	tcase_add_test(tc, test_install_failures);
	tcase_add_test(tc, test_buildrequires);
	tcase_add_test(tc, test_buildrequires_generated);
	tcase_add_test(tc, test_lua_install);
	tcase_add_test(tc, test_lua_buildrequires);
	suite_add_tcase(s, tc);
	tc = tcase_create("channel");
	tcase_add_test(tc, test_channel);
	tcase_add_test(tc, test_lua_misuse_noctx);
	suite_add_tcase(s, tc);
	return s;
}
