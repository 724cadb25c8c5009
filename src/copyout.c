/* Safe copy-out of build results. */
#include "copyout.h"
#include "fsin.h"
#include "sanitize.h"

#include <rpm/rpmcrypto.h>
#include <rpm/rpmpgp.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_PREFIX ".bsrun-tmp."

struct walk {
	const struct bs_copy_limits *lim;
	struct bs_copy_report *rep;
	char rel[PATH_MAX];
};

static void refuse(struct walk *w, const char *why)
{
	char *clean = bs_sanitize(w->rel, strlen(w->rel), 0);

	w->rep->refused++;
	if (w->rep->warn)
		w->rep->warn(w->rep->ud, clean ? clean : "?", why);
	free(clean);
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Copies in to out, hashing into dig (when not NULL); returns the bytes
 * copied, -EFBIG as soon as more than limit bytes arrive, or -errno. */
static int64_t copy_bytes(int in, int out, uint64_t limit, DIGEST_CTX dig)
{
	char buf[65536];
	uint64_t total = 0;

	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return (int64_t)total;
		total += (uint64_t)n;
		if (total > limit)
			return -EFBIG;
		if (dig)
			rpmDigestUpdate(dig, buf, (size_t)n);
		for (ssize_t off = 0; off < n;) {
			ssize_t m = write(out, buf + off, (size_t)(n - off));
			if (m < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			off += m;
		}
	}
}

/* Copies one verified regular file (fd, at most limit bytes) to destfd/name
 * via a temporary name. */
static int install_file(struct walk *w, int fd, const struct stat *st, int destfd, const char *name,
			uint64_t limit)
{
	char tmp[64], *hex = NULL;
	int out = -1, r;
	int64_t n;
	DIGEST_CTX dig = w->rep->copied ? rpmDigestInit(PGPHASHALGO_SHA256, RPMDIGEST_NONE) : NULL;

	for (int i = 0; i < 100 && out < 0; i++) {
		snprintf(tmp, sizeof tmp, TMP_PREFIX "%ld.%d", (long)getpid(), rand());
		out = openat(destfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0 && errno != EEXIST) {
			r = -errno;
			rpmDigestFinal(dig, NULL, NULL, 0);
			return r;
		}
	}
	if (out < 0) {
		rpmDigestFinal(dig, NULL, NULL, 0);
		return -EEXIST;
	}
	n = copy_bytes(fd, out, limit, dig);
	rpmDigestFinal(dig, (void **)&hex, NULL, 1);
	if (n >= 0 && fchmod(out, st->st_mode & 0755) < 0)
		n = -errno;
	if (n >= 0 && fsync(out) < 0)
		n = -errno;
	close(out);
	if (n < 0) {
		unlinkat(destfd, tmp, 0);
		free(hex);
		return (int)n;
	}
	if (w->lim->overwrite)
		r = renameat(destfd, tmp, destfd, name);
	else
		r = renameat2(destfd, tmp, destfd, name, RENAME_NOREPLACE);
	if (r < 0) {
		r = -errno;
		unlinkat(destfd, tmp, 0);
		free(hex);
		return r;
	}
	w->rep->files++;
	w->rep->bytes += (uint64_t)n;
	if (w->rep->copied)
		w->rep->copied(w->rep->ud, w->lim->flatten ? name : w->rel, (uint64_t)n, hex);
	free(hex);
	return 0;
}

static int walk_dir(struct walk *w, int dirfd, int destfd, unsigned depth);

/* Handles one directory entry; returns 0 (copied or refused) or -errno to stop. */
static int visit(struct walk *w, int dirfd, int destfd, const char *name, unsigned depth)
{
	struct stat lst, st;
	int fd, r;

	if (fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!bs_is_clean(name, strlen(name), 0) || strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
		refuse(w, "unsafe file name");
		return 0;
	}
	if (S_ISDIR(lst.st_mode)) {
		int sub, subdest = destfd;

		if (depth >= w->lim->max_depth) {
			refuse(w, "directory too deep");
			return 0;
		}
		sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return errno == ELOOP || errno == ENOTDIR ? (refuse(w, "changed while copying"), 0) : -errno;
		if (fstat(sub, &st) < 0 || !same_file(&st, &lst) || st.st_dev != lst.st_dev) {
			close(sub);
			refuse(w, "changed while copying");
			return 0;
		}
		if (!w->lim->flatten) {
			if (mkdirat(destfd, name, 0755) < 0 && errno != EEXIST) {
				r = -errno;
				close(sub);
				return r;
			}
			subdest = openat(destfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (subdest < 0) {
				r = -errno;
				close(sub);
				return r;
			}
		}
		r = walk_dir(w, sub, subdest, depth + 1);
		if (subdest != destfd)
			close(subdest);
		close(sub);
		return r;
	}
	if (S_ISLNK(lst.st_mode)) {
		refuse(w, "symbolic link");
		return 0;
	}
	if (!S_ISREG(lst.st_mode)) {
		refuse(w, S_ISFIFO(lst.st_mode) ? "FIFO" : S_ISSOCK(lst.st_mode) ? "socket" : "device node");
		return 0;
	}
	if (lst.st_nlink > 1) {
		refuse(w, "hard link");
		return 0;
	}
	if (w->lim->max_file && (uint64_t)lst.st_size > w->lim->max_file) {
		refuse(w, "file larger than the limit");
		return 0;
	}
	if (w->lim->max_files && w->rep->files >= w->lim->max_files)
		return -EFBIG;
	if (w->lim->max_total && w->rep->bytes + (uint64_t)lst.st_size > w->lim->max_total)
		return -EFBIG;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENXIO || errno == ENOENT) {
			refuse(w, "changed while copying");
			return 0;
		}
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !same_file(&st, &lst) || st.st_nlink > 1) {
		close(fd);
		refuse(w, "changed while copying");
		return 0;
	}
	{
		uint64_t file_cap = w->lim->max_file ? w->lim->max_file : UINT64_MAX;
		uint64_t total_cap = w->lim->max_total ? w->lim->max_total - w->rep->bytes : UINT64_MAX;

		r = install_file(w, fd, &st, destfd, name, file_cap < total_cap ? file_cap : total_cap);
		close(fd);
		if (r == -EFBIG && file_cap < total_cap) {
			/* the file grew while being copied (a live writer): refuse it */
			refuse(w, "file grew past the limit while copying");
			return 0;
		}
	}
	return r;
}

static int walk_dir(struct walk *w, int dirfd, int destfd, unsigned depth)
{
	int dfd = dup(dirfd);
	DIR *d;
	struct dirent *de;
	size_t base = strlen(w->rel);
	int r = 0;

	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		close(dfd);
		return r;
	}
	while (r == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(w->rel + base, sizeof w->rel - base, "%s%s", base ? "/" : "",
				     de->d_name) >= sizeof w->rel - base) {
			w->rel[base] = '\0';
			refuse(w, "path too long");
			continue;
		}
		r = visit(w, dirfd, destfd, de->d_name, depth);
		w->rel[base] = '\0';
	}
	closedir(d);
	return r;
}

int bs_copy_out(int rootfd, const char *dir, int destfd, const struct bs_copy_limits *lim,
		struct bs_copy_report *rep)
{
	struct walk w = { .lim = lim, .rep = rep };
	int src, r;

	src = bs_open_in(rootfd, dir, O_RDONLY | O_DIRECTORY, 0, BS_IN_NO_SYMLINKS);
	if (src < 0)
		return src;
	r = walk_dir(&w, src, destfd, 0);
	close(src);
	return r;
}
