/* Verified, atomic downloads with libcurl; checksums with libsolv's Chksum. */
#include "fetch.h"
#include "stale.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <solv/chksum.h>
#include <solv/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BSRUN_VERSION
#define BSRUN_VERSION "0.0.0"
#endif

#define MAX_HEX 129 /* sha512 in hex, plus NUL */

/* Where the received bytes go. */
struct sink {
	int fd;
	Chksum *ck;
	long long got, max;
	int err; /* errno that made on_data refuse the bytes */
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n, off = 0;

	if (s->got + (long long)len > s->max) {
		s->err = EFBIG;
		return 0;
	}
	while (off < len) {
		ssize_t w = write(s->fd, p + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			s->err = errno;
			return 0;
		}
		off += (size_t)w;
	}
	if (s->ck)
		solv_chksum_add(s->ck, p, (int)len); /* curl hands at most CURL_MAX_WRITE_SIZE */
	s->got += (long long)len;
	return len;
}

static void curl_init_once(void)
{
	static int done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		done = 1;
	}
}

/* Writes the URL's scheme, lowercased, to buf; -EINVAL when it has none. */
static int url_scheme(const char *url, char *buf, size_t len)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	int rc = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && strlen(scheme) < len) {
		for (size_t i = 0; scheme[i]; i++)
			buf[i] = (char)(scheme[i] >= 'A' && scheme[i] <= 'Z' ? scheme[i] + 32 : scheme[i]);
		buf[strlen(scheme)] = '\0';
		rc = 0;
	}
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

/* Maps a failed transfer to -errno and a reason. */
static int curl_failure(CURLcode cc, long http, const struct sink *s, const char *detail,
			char *why, size_t len)
{
	const char *d = detail[0] ? detail : curl_easy_strerror(cc);

	switch (cc) {
	case CURLE_WRITE_ERROR:
		if (s->err == EFBIG) {
			snprintf(why, len, "larger than %lld bytes", s->max);
			return -EFBIG;
		}
		snprintf(why, len, "cannot write the download: %s", strerror(s->err ? s->err : EIO));
		return -(s->err ? s->err : EIO);
	case CURLE_FILESIZE_EXCEEDED:
		snprintf(why, len, "larger than %lld bytes", s->max);
		return -EFBIG;
	case CURLE_HTTP_RETURNED_ERROR:
		snprintf(why, len, "HTTP status %ld", http);
		return http == 404 || http == 410 ? -ENOENT : -EIO;
	case CURLE_FILE_COULDNT_READ_FILE:
	case CURLE_REMOTE_FILE_NOT_FOUND:
		snprintf(why, len, "no such file (%s)", d);
		return -ENOENT;
	case CURLE_UNSUPPORTED_PROTOCOL:
		snprintf(why, len, "protocol not allowed (only http, https, file): %s", d);
		return -EPROTONOSUPPORT;
	case CURLE_COULDNT_CONNECT:
		snprintf(why, len, "cannot connect: %s", d);
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		snprintf(why, len, "cannot resolve host: %s", d);
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(why, len, "timed out: %s", d);
		return -ETIMEDOUT;
	case CURLE_PARTIAL_FILE:
		snprintf(why, len, "truncated download (%lld bytes received): %s", s->got, d);
		return -EBADMSG;
	case CURLE_OUT_OF_MEMORY:
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	default:
		snprintf(why, len, "%s", d);
		return -EIO;
	}
}

/* Runs the transfer of url into s; on failure returns -errno with a reason. */
static int transfer(const char *url, struct sink *s, char *why, size_t len)
{
	char scheme[16], detail[CURL_ERROR_SIZE] = "";
	CURL *c;
	CURLcode cc;
	long http = 0;
	int rc;

	if ((rc = url_scheme(url, scheme, sizeof scheme)) < 0) {
		snprintf(why, len, rc == -ENOMEM ? "out of memory" : "malformed URL");
		return rc;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0 && strcmp(scheme, "file") != 0) {
		snprintf(why, len, "protocol not allowed (only http, https, file)");
		return -EPROTONOSUPPORT;
	}
	curl_init_once();
	if (!(c = curl_easy_init())) {
		snprintf(why, len, "cannot initialize libcurl");
		return -ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	/* redirects stay on the protocol asked for; file: never redirects */
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, strcmp(scheme, "file") == 0 ? "http" : scheme);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, strcmp(scheme, "file") != 0 ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, BS_FETCH_CONNECT_SECONDS);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, BS_FETCH_STALL_BYTES);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, BS_FETCH_STALL_SECONDS);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "bsrun/" BSRUN_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
	rc = cc == CURLE_OK ? 0 : curl_failure(cc, http, s, detail, why, len);
	curl_easy_cleanup(c);
	return rc;
}

/* Checks what was received against *want; -EBADMSG with a reason when it differs. */
static int verify(const struct sink *s, const struct bs_fetch_want *want, char *why, size_t len)
{
	char got[MAX_HEX];
	const unsigned char *bin;
	int binlen = 0;

	if (want && want->size > 0 && s->got != want->size) {
		if (s->got < want->size)
			snprintf(why, len, "truncated download: %lld of %lld bytes", s->got, want->size);
		else
			snprintf(why, len, "size mismatch: %lld bytes, expected %lld", s->got, want->size);
		return -EBADMSG;
	}
	if (!s->ck)
		return 0;
	bin = solv_chksum_get(s->ck, &binlen);
	if (!bin || binlen * 2 + 1 > (int)sizeof got) {
		snprintf(why, len, "cannot compute the checksum");
		return -EIO;
	}
	solv_bin2hex(bin, binlen, got);
	if (strcasecmp(got, want->chksum) != 0) {
		snprintf(why, len, "%s checksum mismatch: got %s, expected %s", want->chksum_type, got, want->chksum);
		return -EBADMSG;
	}
	return 0;
}

/* fsyncs the directory dir (so that a rename in it is durable). */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = -errno;
	close(fd);
	return rc;
}

/* The pid in a partial download's name ".NAME.part-PID-XXXXXX", or 0. */
static pid_t part_owner(const char *name)
{
	const char *p = NULL, *q;
	unsigned long v;
	char *end;

	if (name[0] != '.')
		return 0;
	for (q = strstr(name, ".part-"); q; q = strstr(q + 1, ".part-"))
		p = q;
	if (!p || p == name || p[6] < '1' || p[6] > '9')
		return 0;
	errno = 0;
	v = strtoul(p + 6, &end, 10);
	if (errno || v > INT_MAX || *end != '-' || strlen(end + 1) != 6)
		return 0;
	return (pid_t)v;
}

/* Removes dir's partial downloads whose bsrun is gone (killed while it
 * downloaded: nothing else removes them); a live bsrun's are kept. A
 * directory is looked through once for a run of downloads into it (a
 * package cache can hold thousands of entries), not once per download. */
static void clean_parts(const char *dir)
{
	static char last[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (strcmp(dir, last) == 0)
		return;
	snprintf(last, sizeof last, "%s", dir);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		pid_t pid = part_owner(e->d_name);
		struct stat st;

		if (pid > 0 && pid != getpid() && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && !bs_stale_owner_alive(pid, st.st_mtime))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

int bs_fetch(const char *url, const char *dir, const char *name,
	     const struct bs_fetch_want *want, char *err, size_t errlen)
{
	struct sink s = { .fd = -1 };
	char why[512] = "", *tmp = NULL, *final = NULL;
	int rc;

	if (!url || !*url || !dir || !name || !*name || strchr(name, '/') ||
	    (want && want->chksum_type && !want->chksum)) {
		snprintf(err, errlen, "%s: bad download request", url && *url ? url : "(no URL)");
		return -EINVAL;
	}
	if (want && want->chksum_type) {
		Id type = solv_chksum_str2type(want->chksum_type);

		if (!type || !(s.ck = solv_chksum_create(type))) {
			snprintf(err, errlen, "%s: unknown checksum type \"%s\"", url, want->chksum_type);
			return -EINVAL;
		}
		if (strlen(want->chksum) != (size_t)solv_chksum_len(type) * 2) {
			snprintf(err, errlen, "%s: malformed %s checksum \"%s\"", url, want->chksum_type, want->chksum);
			solv_chksum_free(s.ck, NULL);
			return -EINVAL;
		}
	}
	s.max = want && want->max_size > 0 ? want->max_size : BS_FETCH_MAX_SIZE;
	if (asprintf(&final, "%s/%s", dir, name) < 0) {
		final = NULL;
		rc = -ENOMEM;
		snprintf(why, sizeof why, "out of memory");
		goto out;
	}
	clean_parts(dir);
	if (asprintf(&tmp, "%s/.%s.part-%d-XXXXXX", dir, name, (int)getpid()) < 0) {
		tmp = NULL;
		rc = -ENOMEM;
		snprintf(why, sizeof why, "out of memory");
		goto out;
	}
	if ((s.fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		rc = -errno;
		snprintf(why, sizeof why, "cannot create a file in %s: %s", dir, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if ((rc = transfer(url, &s, why, sizeof why)) < 0 ||
	    (rc = verify(&s, want, why, sizeof why)) < 0)
		goto out;
	if (fchmod(s.fd, 0644) < 0 || fsync(s.fd) < 0) {
		rc = -errno;
		snprintf(why, sizeof why, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(s.fd) < 0) {
		s.fd = -1;
		rc = -errno;
		snprintf(why, sizeof why, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	s.fd = -1;
	if (rename(tmp, final) < 0) {
		rc = -errno;
		snprintf(why, sizeof why, "cannot rename into %s: %s", final, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if ((rc = sync_dir(dir)) < 0)
		snprintf(why, sizeof why, "cannot sync %s: %s", dir, strerror(-rc));
out:
	if (s.fd >= 0)
		close(s.fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(final);
	if (s.ck)
		solv_chksum_free(s.ck, NULL);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", url, why);
	return rc;
}

int bs_fetch_fd_chksum(int fd, const char *type, char *hex, size_t hexlen)
{
	Id t = type ? solv_chksum_str2type(type) : 0;
	unsigned char buf[65536];
	const unsigned char *bin;
	Chksum *ck;
	ssize_t n;
	int binlen = 0, rc = 0;

	if (!t || hexlen < (size_t)solv_chksum_len(t) * 2 + 1 || !(ck = solv_chksum_create(t)))
		return -EINVAL;
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		solv_chksum_add(ck, buf, (int)n);
	}
	if (rc == 0) {
		bin = solv_chksum_get(ck, &binlen);
		solv_bin2hex(bin, binlen, hex);
	}
	solv_chksum_free(ck, NULL);
	return rc;
}

int bs_fetch_file_chksum(const char *path, const char *type, char *hex, size_t hexlen)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	rc = bs_fetch_fd_chksum(fd, type, hex, hexlen);
	close(fd);
	return rc;
}

int bs_fetch_file_url_path(const char *url, char **path)
{
	char scheme[16], *host = NULL, *p = NULL;
	CURLU *u;
	int rc = -EINVAL;

	*path = NULL;
	if (url_scheme(url, scheme, sizeof scheme) < 0 || strcmp(scheme, "file") != 0)
		return -EINVAL;
	if (!(u = curl_url()))
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
		CURLUcode hc = curl_url_get(u, CURLUPART_HOST, &host, 0);

		if ((hc == CURLUE_NO_HOST || (hc == CURLUE_OK && (!*host || strcasecmp(host, "localhost") == 0))) &&
		    curl_url_get(u, CURLUPART_PATH, &p, CURLU_URLDECODE) == CURLUE_OK && p[0] == '/') {
			*path = strdup(p);
			rc = *path ? 0 : -ENOMEM;
		}
	}
	curl_free(host);
	curl_free(p);
	curl_url_cleanup(u);
	return rc;
}
