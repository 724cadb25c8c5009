/* Generated RPM repositories and a real HTTP server for the repo and solver tests. */
#include "repofix.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct repofix fix;
static int built;
static char errbuf[2048];

/* The packages. foo is built twice (ver 1.0 and 2.0); fixt makes the rest. */
static const char foo_spec[] =
	"Name: foo\n"
	"Version: %{ver}\n"
	"Release: 1\n"
	"Summary: foo\n"
	"License: MIT\n"
	"BuildArch: noarch\n"
	"Provides: foo-virtual = %{ver}\n"
	"%description\nfoo\n"
	"%install\n"
	"mkdir -p %{buildroot}/usr/share/foo\n"
	"echo %{ver} > %{buildroot}/usr/share/foo/version\n"
	"%files\n/usr/share/foo/version\n";

static const char fixt_spec[] =
	"Name: fixt\n"
	"Version: 1.0\n"
	"Release: 1\n"
	"Summary: bsrun test fixtures\n"
	"License: MIT\n"
	"BuildArch: noarch\n"
	"%description\nfixtures\n"
	"%package -n zlib-devel\nSummary: headers\nVersion: 1.2.13\n"
	"Provides: pkgconfig(zlib) = 1.2.13\n"
	"%description -n zlib-devel\nheaders\n"
	"%package -n bar\nSummary: bar\nVersion: 3.0\n"
	"Requires: foo >= 2.0\nRequires: zlib-devel\nProvides: bar-virtual = 3\n"
	"%description -n bar\nbar\n"
	"%package -n conflicter\nSummary: conflicter\nConflicts: foo\n"
	"%description -n conflicter\nconflicter\n"
	"%package -n broken\nSummary: broken\nRequires: doesnotexist >= 1\n"
	"%description -n broken\nbroken\n"
	"%package -n alpha\nSummary: alpha\n%description -n alpha\nalpha\n"
	"%package -n beta\nSummary: beta\n%description -n beta\nbeta\n"
	"%package -n usesfile\nSummary: usesfile\nRequires: /usr/include/zconf.h\n"
	"%description -n usesfile\nusesfile\n"
	"%package -n dironly\nSummary: dironly\nVersion: 0.5\n%description -n dironly\ndironly\n"
	"%install\n"
	"mkdir -p %{buildroot}/usr/include %{buildroot}/usr/share/fixt\n"
	"echo '/* zlib */' > %{buildroot}/usr/include/zlib.h\n"
	"echo '/* zconf */' > %{buildroot}/usr/include/zconf.h\n"
	"for p in bar conflicter broken alpha beta usesfile dironly; do echo $p > %{buildroot}/usr/share/fixt/$p; done\n"
	"%files -n zlib-devel\n/usr/include/zlib.h\n/usr/include/zconf.h\n"
	"%files -n bar\n/usr/share/fixt/bar\n"
	"%files -n conflicter\n/usr/share/fixt/conflicter\n"
	"%files -n broken\n/usr/share/fixt/broken\n"
	"%files -n alpha\n/usr/share/fixt/alpha\n"
	"%files -n beta\n/usr/share/fixt/beta\n"
	"%files -n usesfile\n/usr/share/fixt/usesfile\n"
	"%files -n dironly\n/usr/share/fixt/dironly\n";

static int failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int failf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	fix.error = errbuf;
	return -1;
}

static int have_tool(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n && snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, name) < (int)sizeof buf &&
		    access(buf, X_OK) == 0)
			return 1;
		p += n + (e ? 1 : 0);
	}
	return 0;
}

/* Runs argv with output into ROOT/cmd.log; returns 0 when it exits 0. */
static int run(const char *const *argv)
{
	char log[PATH_MAX + 16];
	pid_t pid;
	int st;

	snprintf(log, sizeof log, "%s/cmd.log", fix.root);
	if ((pid = fork()) < 0)
		return failf("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	{
		char out[1024] = "";
		int fd = open(log, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			off_t size = lseek(fd, 0, SEEK_END);
			ssize_t n;

			lseek(fd, size > (off_t)sizeof out - 1 ? size - (off_t)sizeof out + 1 : 0, SEEK_SET);
			n = read(fd, out, sizeof out - 1);
			out[n > 0 ? n : 0] = '\0';
			close(fd);
		}
		return failf("%s failed (status %d):\n%s", argv[0], st, out);
	}
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		return failf("cannot write %s", path);
	return 0;
}

static int rpmbuild(const char *spec, const char *ver, const char *rpmdir)
{
	char top[PATH_MAX + 32], rpms[PATH_MAX + 32], verdef[64];
	const char *argv[] = {
		"rpmbuild", "-bb", "--quiet", "--define", top, "--define", rpms,
		"--define", "_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
		"--define", "__os_install_post %{nil}", "--define", "_build_id_links none",
		"--define", verdef, spec, NULL,
	};

	snprintf(top, sizeof top, "_topdir %s/rpmbuild", fix.root);
	snprintf(rpms, sizeof rpms, "_rpmdir %s", rpmdir);
	snprintf(verdef, sizeof verdef, "ver %s", ver);
	return run(argv);
}

static int mkdirf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int mkdirf(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	if (mkdir(path, 0755) < 0)
		return failf("mkdir %s: %s", path, strerror(errno));
	return 0;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		return failf("open %s: %s", from, strerror(errno));
	if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		close(in);
		return failf("create %s: %s", to, strerror(errno));
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	close(in);
	return close(out) == 0 && n == 0 ? 0 : failf("copy %s: failed", from);
}

/* Copies every file of directory from (not recursive) into to. */
static int copy_dir(const char *from, const char *to, const char *only)
{
	DIR *d = opendir(from);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return failf("opendir %s: %s", from, strerror(errno));
	while (rc == 0 && (de = readdir(d))) {
		char a[PATH_MAX * 2], b[PATH_MAX * 2];

		if (de->d_name[0] == '.' || (only && strncmp(de->d_name, only, strlen(only)) != 0))
			continue;
		snprintf(a, sizeof a, "%s/%s", from, de->d_name);
		snprintf(b, sizeof b, "%s/%s", to, de->d_name);
		rc = copy_file(a, b);
	}
	closedir(d);
	return rc;
}

/* Finds the primary.xml.gz in repodata/ of repository dir. */
static int find_primary(const char *dir, char *buf, size_t len)
{
	char rd[PATH_MAX + 16];
	DIR *d;
	struct dirent *de;
	int found = -1;

	snprintf(rd, sizeof rd, "%s/repodata", dir);
	if (!(d = opendir(rd)))
		return failf("opendir %s: %s", rd, strerror(errno));
	while ((de = readdir(d)))
		if (strstr(de->d_name, "-primary.xml.gz")) {
			snprintf(buf, len, "%s/%s", rd, de->d_name);
			found = 0;
		}
	closedir(d);
	return found == 0 ? 0 : failf("no primary.xml.gz in %s", rd);
}

static int createrepo(const char *dir, const char *compress)
{
	const char *argv[] = { "createrepo_c", "-q", "--no-database", compress ? compress : dir,
			       compress ? dir : NULL, NULL };

	return run(argv);
}

static int build_all(void)
{
	char spec[PATH_MAX + 16], rpms[PATH_MAX + 16], path[PATH_MAX * 2], primary[PATH_MAX * 2];
	struct stat st;
	int fd;

	snprintf(rpms, sizeof rpms, "%s/rpms", fix.root);
	if (mkdirf("%s", rpms) < 0 || mkdirf("%s", fix.www) < 0 || mkdirf("%s", fix.dir) < 0)
		return -1;
	snprintf(spec, sizeof spec, "%s/foo.spec", fix.root);
	if (write_file(spec, foo_spec) < 0 || rpmbuild(spec, "1.0", rpms) < 0 || rpmbuild(spec, "2.0", rpms) < 0)
		return -1;
	snprintf(spec, sizeof spec, "%s/fixt.spec", fix.root);
	if (write_file(spec, fixt_spec) < 0 || rpmbuild(spec, "1.0", rpms) < 0)
		return -1;
	/* dir/: a plain directory; www/main: everything else, as rpm-md */
	if (copy_dir(rpms, fix.dir, "dironly-") < 0 || copy_dir(rpms, fix.dir, "foo-1.0-") < 0)
		return -1;
	snprintf(path, sizeof path, "%s/dironly-0.5-1.noarch.rpm", rpms);
	unlink(path);
	static const char *const repos[] = { "main", "xz", "corrupt", "truncated" };
	for (size_t i = 0; i < sizeof repos / sizeof *repos; i++) {
		snprintf(path, sizeof path, "%s/%s", fix.www, repos[i]);
		if (mkdirf("%s", path) < 0 || copy_dir(rpms, path, NULL) < 0 ||
		    createrepo(path, strcmp(repos[i], "xz") == 0 ? "--xz" : NULL) < 0)
			return -1;
	}
	/* corrupt: same size, one byte changed; truncated: half of it */
	snprintf(path, sizeof path, "%s/corrupt", fix.www);
	if (find_primary(path, primary, sizeof primary) < 0 || stat(primary, &st) < 0 ||
	    (fd = open(primary, O_RDWR | O_CLOEXEC)) < 0)
		return failf("cannot open %s", primary);
	if (pwrite(fd, "\xff", 1, st.st_size / 2) != 1) {
		close(fd);
		return failf("cannot change %s", primary);
	}
	close(fd);
	snprintf(path, sizeof path, "%s/truncated", fix.www);
	if (find_primary(path, primary, sizeof primary) < 0 || stat(primary, &st) < 0 ||
	    truncate(primary, st.st_size / 2) < 0)
		return failf("cannot truncate %s", primary);
	if (repofix_serve(fix.www, fix.http_log, &fix.port, &fix.server) < 0)
		return failf("cannot start python3 -m http.server");
	snprintf(fix.http, sizeof fix.http, "http://127.0.0.1:%d", fix.port);
	return 0;
}

const struct repofix *repofix_get(void)
{
	static const char *const tools[] = { "rpmbuild", "createrepo_c", "python3" };
	static char skipbuf[256];

	if (built)
		return &fix;
	built = 1;
	for (size_t i = 0; i < sizeof tools / sizeof *tools; i++)
		if (!have_tool(tools[i])) {
			snprintf(skipbuf, sizeof skipbuf, "%s not found in PATH", tools[i]);
			fix.skip = skipbuf;
			fprintf(stderr, "\n*** SKIP: repository and solver tests: %s ***\n\n", skipbuf);
			return &fix;
		}
	snprintf(fix.root, sizeof fix.root, "%s/bsrun-repotest-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(fix.root)) {
		failf("mkdtemp %s: %s", fix.root, strerror(errno));
		fix.root[0] = '\0';
		return &fix;
	}
	snprintf(fix.www, sizeof fix.www, "%s/www", fix.root);
	snprintf(fix.dir, sizeof fix.dir, "%s/dir", fix.root);
	snprintf(fix.http_log, sizeof fix.http_log, "%s/http.log", fix.root);
	build_all();
	return &fix;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void repofix_cleanup(void)
{
	if (fix.server > 0)
		repofix_stop(fix.server);
	fix.server = 0;
	if (fix.root[0])
		nftw(fix.root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	memset(&fix, 0, sizeof fix);
	built = 0;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int accepts(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	return ok;
}

int repofix_serve(const char *dir, const char *log, int *port, pid_t *pid)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		char portstr[16];
		int p = free_port(), st;
		pid_t child;

		if (p < 0)
			return -1;
		snprintf(portstr, sizeof portstr, "%d", p);
		if ((child = fork()) < 0)
			return -1;
		if (child == 0) {
			int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

			prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the tests */
			if (nul >= 0) {
				dup2(nul, 0);
				dup2(nul, 1);
			}
			if (fd >= 0)
				dup2(fd, 2);
			execlp("python3", "python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", portstr,
			       "--directory", dir, (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 1000; i++) { /* up to 10 s */
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			if (accepts(p)) {
				*port = p;
				*pid = child;
				return 0;
			}
			if (waitpid(child, &st, WNOHANG) == child) {
				child = 0;
				break;
			}
			nanosleep(&ts, NULL);
		}
		if (child > 0)
			repofix_stop(child);
	}
	return -1;
}

void repofix_stop(pid_t pid)
{
	int st;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

int repofix_count_lines(const char *path, const char *needle)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;

	if (!f)
		return 0;
	while (getline(&line, &cap, f) >= 0)
		if (strstr(line, needle))
			n++;
	free(line);
	fclose(f);
	return n;
}

static const char *count_prefix;
static int count_n;

static int count_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0 && strncmp(path + ftw->base, count_prefix, strlen(count_prefix)) == 0)
		count_n++;
	return 0;
}

int repofix_count_files(const char *path, const char *prefix)
{
	count_prefix = prefix;
	count_n = 0;
	nftw(path, count_entry, 16, FTW_PHYS);
	return count_n;
}

void repofix_tmpdir(char *buf, size_t len, const char *what)
{
	static int seq;

	snprintf(buf, len, "%s/%s-%d-%d", fix.root, what, (int)getpid(), ++seq);
	mkdir(buf, 0755);
}
