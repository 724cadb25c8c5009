/* Test fixtures: real RPMs built with rpmbuild from tiny specs, rpm-md
 * repositories made with createrepo_c, served by a real HTTP server. */
#ifndef BSRUN_REPOFIX_H
#define BSRUN_REPOFIX_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

/* Everything lives under root (a fresh temporary directory):
 *   www/main/       rpm-md (gzip): foo-1.0, foo-2.0, zlib-devel-1.2.13, bar,
 *                   conflicter, broken, alpha, beta, usesfile
 *   www/xz/         the same packages, metadata compressed with xz
 *   www/corrupt/    main with one byte of primary.xml.gz changed
 *   www/truncated/  main with primary.xml.gz cut short
 *   dir/            no metadata: dironly-0.5, foo-1.0
 * and www/ is served at http://127.0.0.1:port/ with a request log in http_log. */
struct repofix {
	const char *skip;       /* why the fixtures are unavailable (a tool is missing), or NULL */
	const char *error;      /* why building them failed, or NULL */
	char root[2048];
	char www[PATH_MAX];
	char dir[PATH_MAX];
	char http_log[PATH_MAX];
	char http[64];          /* "http://127.0.0.1:PORT" */
	int port;
	pid_t server;
};

/* Builds the fixtures and starts the server (once; later calls return the same). */
const struct repofix *repofix_get(void);

/* Stops the server and removes root; safe to call when nothing was built. */
void repofix_cleanup(void);

/* Starts `python3 -m http.server` on 127.0.0.1 serving dir, logging requests to
 * log; waits until it accepts. Returns 0 with *port and *pid set, or -1. */
int repofix_serve(const char *dir, const char *log, int *port, pid_t *pid);

/* Stops a server started by repofix_serve. */
void repofix_stop(pid_t pid);

/* Number of lines of file path containing needle (0 when unreadable). */
int repofix_count_lines(const char *path, const char *needle);

/* Number of entries of directory path, recursively, whose name starts with
 * prefix ("" for all). */
int repofix_count_files(const char *path, const char *prefix);

/* Makes a fresh empty directory under root and writes its path to buf. */
void repofix_tmpdir(char *buf, size_t len, const char *what);

#endif
