/* bs_rpmhdr_read: opens the package, runs the sandboxed child
 * (rpmhdr_child.c), and validates its bounded output. */
#include "rpmhdr.h"
#include "rpmhdr_wire.h"
#include "sanitize.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the child's output into *buf (at most BS_RPMHDR_MAX_OUTPUT bytes) until
 * EOF. Returns 0, -ETIMEDOUT, -EFBIG or -errno. */
static int collect(int fd, char **buf, size_t *len)
{
	long long deadline = now_ms() + BS_RPMHDR_TIMEOUT_MS;
	size_t cap = 0;

	*buf = NULL;
	*len = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		if (cap - *len < 65536) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb;

			if (ncap > BS_RPMHDR_MAX_OUTPUT + 1)
				ncap = BS_RPMHDR_MAX_OUTPUT + 1;
			if (ncap <= *len)
				return -EFBIG;
			if (!(nb = realloc(*buf, ncap)))
				return -ENOMEM;
			*buf = nb;
			cap = ncap;
		}
		n = read(fd, *buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		*len += (size_t)n;
		if (*len > BS_RPMHDR_MAX_OUTPUT)
			return -EFBIG;
	}
}

static int list_add(struct bs_strlist *l, char *s)
{
	char **nv;

	if (l->n >= BS_RPMHDR_MAX_LIST)
		return -EFBIG;
	if (!(nv = realloc(l->v, (l->n + 1) * sizeof *nv)))
		return -ENOMEM;
	l->v = nv;
	l->v[l->n++] = s;
	return 0;
}

static int set_once(char **field, char *s)
{
	if (*field) {
		free(s);
		return -EPROTO;
	}
	*field = s;
	return 0;
}

/* Turns the record stream into *h. Returns 0, -EBADMSG/-EMEDIUMTYPE/-EIO
 * with the child's reason in why (an ERROR record), -EFBIG, -EPROTO
 * (malformed stream) or -ENOMEM. */
static int decode(const unsigned char *b, size_t len, struct bs_rpmhdr *h, char *why, size_t whylen)
{
	size_t off = 0;

	while (off < len) {
		unsigned char type;
		uint32_t n = 0;
		char *s;
		int rc = 0;

		if (len - off < 5)
			return -EPROTO;
		type = b[off];
		for (int i = 0; i < 4; i++)
			n |= (uint32_t)b[off + 1 + i] << (8 * i);
		off += 5;
		if (n > len - off)
			return -EPROTO;
		if (type == BS_RPMHDR_REC_END)
			return n == 0 && off == len && h->name && h->version && h->release ? 0 : -EPROTO;
		if (type == BS_RPMHDR_REC_ERROR) {
			char *msg;

			if (n < 1 || off + n != len)
				return -EPROTO;
			if (!(msg = bs_sanitize((const char *)b + off + 1, n - 1 > 400 ? 400 : n - 1, 0)))
				return -ENOMEM;
			snprintf(why, whylen, "%s", msg);
			free(msg);
			switch (b[off]) {
			case BS_RPMHDR_ERR_BAD: return -EBADMSG;
			case BS_RPMHDR_ERR_BINARY: return -EMEDIUMTYPE;
			case BS_RPMHDR_ERR_SETUP: return -EIO;
			default: return -EPROTO;
			}
		}
		if (n > BS_RPMHDR_MAX_STRING) {
			snprintf(why, whylen, "a header string longer than %u bytes", BS_RPMHDR_MAX_STRING);
			return -EFBIG;
		}
		if (!(s = bs_sanitize((const char *)b + off, n, 0)))
			return -ENOMEM;
		off += n;
		switch (type) {
		case BS_RPMHDR_REC_NAME: rc = set_once(&h->name, s); break;
		case BS_RPMHDR_REC_VERSION: rc = set_once(&h->version, s); break;
		case BS_RPMHDR_REC_RELEASE: rc = set_once(&h->release, s); break;
		case BS_RPMHDR_REC_ARCH: rc = set_once(&h->arch, s); break;
		case BS_RPMHDR_REC_SPECFILE: rc = set_once(&h->specfile, s); break;
		case BS_RPMHDR_REC_EPOCH: {
			char *end;
			unsigned long long e;

			errno = 0;
			e = strtoull(s, &end, 10);
			rc = h->epoch >= 0 || errno || *end || !*s || e > UINT32_MAX ? -EPROTO : 0;
			h->epoch = (long long)e;
			free(s);
			break;
		}
		case BS_RPMHDR_REC_SOURCE: rc = list_add(&h->sources, s); break;
		case BS_RPMHDR_REC_PATCH: rc = list_add(&h->patches, s); break;
		case BS_RPMHDR_REC_REQUIRE: rc = list_add(&h->buildrequires, s); break;
		case BS_RPMHDR_REC_RPMLIB: rc = list_add(&h->rpmlib, s); break;
		case BS_RPMHDR_REC_CONFLICT: rc = list_add(&h->buildconflicts, s); break;
		default:
			free(s);
			return -EPROTO;
		}
		if (rc == -EFBIG || rc == -ENOMEM) {
			free(s);
			if (rc == -EFBIG)
				snprintf(why, whylen, "more than %u entries in one header list", BS_RPMHDR_MAX_LIST);
			return rc;
		}
		if (rc < 0)
			return rc;
	}
	return -EPROTO; /* no END record */
}

static void list_free(struct bs_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

void bs_rpmhdr_free(struct bs_rpmhdr *h)
{
	free(h->name);
	free(h->version);
	free(h->release);
	free(h->arch);
	free(h->nevr);
	free(h->specfile);
	list_free(&h->sources);
	list_free(&h->patches);
	list_free(&h->buildrequires);
	list_free(&h->rpmlib);
	list_free(&h->buildconflicts);
	memset(h, 0, sizeof *h);
	h->epoch = -1;
}

int bs_rpmhdr_decode(const char *shown, const char *buf, size_t len, int status, struct bs_rpmhdr *out,
		     char *err, size_t errlen)
{
	char why[512] = "";
	int rc;

	memset(out, 0, sizeof *out);
	out->epoch = -1;
	rc = decode((const unsigned char *)buf, len, out, why, sizeof why);
	if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		rc = -EPROTO;
	switch (rc) {
	case 0:
		if (asprintf(&out->nevr, out->epoch >= 0 ? "%s-%lld:%s-%s" : "%s-%.0lld%s-%s", out->name,
			     out->epoch >= 0 ? out->epoch : 0, out->version, out->release) < 0) {
			out->nevr = NULL;
			rc = -ENOMEM;
			snprintf(err, errlen, "out of memory");
		}
		break;
	case -EBADMSG:
	case -EMEDIUMTYPE:
	case -EFBIG:
		snprintf(err, errlen, "%s: %s", shown, why);
		break;
	case -EIO:
		snprintf(err, errlen, "%s: cannot read the header: %s", shown, why);
		break;
	case -ENOMEM:
		snprintf(err, errlen, "out of memory");
		break;
	default:
		rc = -ECHILD;
		snprintf(err, errlen, "%s: unreadable header (the reader's output is malformed, exit status %d)",
			 shown, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	if (rc < 0)
		bs_rpmhdr_free(out);
	return rc;
}

/* Forks the child and collects its output; sets *status to its wait status. */
static int run_child(int pkgfd, const char *name, char **buf, size_t *len, int *status, int *timed_out)
{
	int p[2], rc;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if ((pid = fork()) < 0) {
		rc = -errno;
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (pid == 0) {
		close(p[0]);
		bs_rpmhdr_child(pkgfd, p[1], name);
	}
	close(p[1]);
	rc = collect(p[0], buf, len);
	close(p[0]);
	if (rc < 0)
		kill(pid, SIGKILL);
	*timed_out = rc == -ETIMEDOUT;
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR) {
			*status = W_EXITCODE(0, SIGKILL);
			break;
		}
	return rc == -ETIMEDOUT ? 0 : rc;
}

int bs_rpmhdr_read(const char *path, struct bs_rpmhdr *out, char *err, size_t errlen)
{
	char *shown, *buf = NULL;
	const char *base;
	struct stat st;
	size_t len = 0;
	int fd, rc, status = 0, timed_out = 0;

	memset(out, 0, sizeof *out);
	out->epoch = -1;
	if (!path || !*path) {
		snprintf(err, errlen, "no package file given");
		return -EINVAL;
	}
	if (!(shown = bs_sanitize(path, strlen(path), 0))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (errno == ELOOP)
			snprintf(err, errlen, "%s: is a symbolic link (refused)", shown);
		else
			snprintf(err, errlen, "cannot open %s: %s", shown, strerror(errno));
		free(shown);
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", shown, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file", shown);
		goto out;
	}
	if (st.st_size == 0) {
		rc = -EBADMSG;
		snprintf(err, errlen, "%s: empty file, not a source RPM", shown);
		goto out;
	}
	if (fcntl(fd, F_SETFL, 0) < 0) { /* back to blocking reads */
		rc = -errno;
		snprintf(err, errlen, "%s: %s", shown, strerror(errno));
		goto out;
	}
	base = strrchr(shown, '/') ? strrchr(shown, '/') + 1 : shown;
	rc = run_child(fd, base, &buf, &len, &status, &timed_out);
	if (rc == -EFBIG) {
		snprintf(err, errlen, "%s: header too large (more than %u bytes of fields)", shown,
			 BS_RPMHDR_MAX_OUTPUT);
		goto out;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot run the header reader: %s", shown, strerror(-rc));
		goto out;
	}
	if (timed_out) {
		rc = -ECHILD;
		snprintf(err, errlen, "%s: unreadable header (no result within %d s)", shown,
			 BS_RPMHDR_TIMEOUT_MS / 1000);
		goto out;
	}
	if (WIFSIGNALED(status)) {
		rc = -ECHILD;
		snprintf(err, errlen, "%s: unreadable header (the reader was killed by signal %d%s)", shown,
			 WTERMSIG(status), WTERMSIG(status) == SIGSYS ? ", a forbidden system call" : "");
		goto out;
	}
	rc = bs_rpmhdr_decode(shown, buf, len, status, out, err, errlen);
out:
	if (rc < 0)
		bs_rpmhdr_free(out);
	free(buf);
	free(shown);
	close(fd);
	return rc;
}
