/* mkdir -p. */
#include "mkdirs.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

int bs_mkdirs(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof p)
		return -ENAMETOOLONG;
	memcpy(p, path, n + 1);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;

			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST)
				return -errno;
			*s = c;
			if (!c)
				return 0;
		}
	}
}
