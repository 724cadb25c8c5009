/* Locating bsrun's data directory. */
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BSRUN_DATADIR
#define BSRUN_DATADIR "/usr/local/share/bsrun"
#endif

int bs_datadir_valid(const char *dir)
{
	char probe[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(probe, sizeof probe, "%s/lua/bsrun/errors.lua", dir) >= sizeof probe)
		return -ENAMETOOLONG;
	if (stat(probe, &st) < 0)
		return -errno;
	return S_ISREG(st.st_mode) ? 0 : -ENOENT;
}

/* Tries exe's dir + suffix; on success writes the canonical path to buf. */
static int try_candidate(const char *exedir, const char *suffix, char *buf, size_t len)
{
	char cand[PATH_MAX], real[PATH_MAX];

	if ((size_t)snprintf(cand, sizeof cand, "%s/%s", exedir, suffix) >= sizeof cand)
		return -ENAMETOOLONG;
	if (!realpath(cand, real) || bs_datadir_valid(real) < 0)
		return -ENOENT;
	if (strlen(real) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, real);
	return 0;
}

int bs_find_datadir(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (try_candidate(exe, "..", buf, len) == 0 ||
			    try_candidate(exe, "../share/bsrun", buf, len) == 0)
				return 0;
		}
	}
	if (bs_datadir_valid(BSRUN_DATADIR) == 0) {
		if (strlen(BSRUN_DATADIR) >= len)
			return -ENAMETOOLONG;
		strcpy(buf, BSRUN_DATADIR);
		return 0;
	}
	snprintf(buf, len, "%s/.., %s/../share/bsrun, %s", n > 0 ? exe : "?", n > 0 ? exe : "?", BSRUN_DATADIR);
	return -ENOENT;
}
