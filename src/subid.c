/* Rootless contexts: subordinate id ranges and newuidmap/newgidmap. */
#include "subid.h"
#include "bserr.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const helper_dirs[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin", NULL };

static int find_helper(const char *name, char *path, size_t len)
{
	for (size_t i = 0; helper_dirs[i]; i++) {
		snprintf(path, len, "%s/%s", helper_dirs[i], name);
		if (access(path, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/* The first "NAME:start:count" or "UID:start:count" line for the caller. */
static int find_range(const char *file, const char *user, uid_t uid, uint32_t *first, uint32_t *count)
{
	FILE *f = fopen(file, "re");
	char *line = NULL, uidstr[16];
	size_t cap = 0;
	int ret = -ENOENT;

	if (!f)
		return -ENOENT;
	snprintf(uidstr, sizeof uidstr, "%u", (unsigned)uid);
	while (ret == -ENOENT && getline(&line, &cap, f) > 0) {
		char *save = NULL, *name = strtok_r(line, ":\n", &save), *a = strtok_r(NULL, ":\n", &save),
		     *b = strtok_r(NULL, ":\n", &save), *end1, *end2;
		unsigned long long s, n;

		if (!name || !a || !b || (strcmp(name, uidstr) != 0 && (!user || strcmp(name, user) != 0)))
			continue;
		errno = 0;
		s = strtoull(a, &end1, 10);
		n = strtoull(b, &end2, 10);
		if (errno || *end1 || *end2 || n == 0 || s == 0 || s + n - 1 > UINT32_MAX - 1)
			continue;
		*first = (uint32_t)s;
		*count = (uint32_t)n;
		ret = 0;
	}
	free(line);
	fclose(f);
	return ret;
}

int bs_subid_find(struct bs_subid *s, char *err, size_t errlen)
{
	uid_t uid = getuid();
	struct passwd *pw = getpwuid(uid);
	const char *user = pw ? pw->pw_name : NULL;
	char name[64], path[64];

	snprintf(name, sizeof name, "%s", user ? user : "USER");
	if (find_range("/etc/subuid", user, uid, &s->ufirst, &s->ucount) < 0 ||
	    find_range("/etc/subgid", user, uid, &s->gfirst, &s->gcount) < 0)
		return bs_failx(err, errlen, ENOENT,
				"rootless contexts need subordinate ids for %s (uid %u) in /etc/subuid and /etc/subgid: "
				"as root run 'usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s' "
				"(or add the line '%s:100000:65536' to both files, with a range no one else uses), "
				"or allow a single-id map (root inside as your own uid)",
				name, (unsigned)uid, name, name);
	if (find_helper("newuidmap", path, sizeof path) < 0 || find_helper("newgidmap", path, sizeof path) < 0)
		return bs_failx(err, errlen, ENOENT,
				"rootless contexts need newuidmap and newgidmap (Debian package uidmap)");
	return 0;
}

/* Runs HELPER PID 0 FIRST COUNT; its stderr becomes the message on failure. */
static int run_map(const char *helper, pid_t pid, uint32_t first, uint32_t count, char *err, size_t errlen)
{
	char path[64], spid[16], sfirst[16], scount[16], out[256];
	char *argv[] = { path, spid, "0", sfirst, scount, NULL }, *envp[] = { NULL };
	posix_spawn_file_actions_t fa;
	int p[2], st = 0, ret;
	pid_t child;
	ssize_t n;

	if (find_helper(helper, path, sizeof path) < 0)
		return bs_failx(err, errlen, ENOENT, "%s not found (Debian package uidmap)", helper);
	snprintf(spid, sizeof spid, "%d", (int)pid);
	snprintf(sfirst, sizeof sfirst, "%" PRIu32, first);
	snprintf(scount, sizeof scount, "%" PRIu32, count);
	if (pipe2(p, O_CLOEXEC) < 0)
		return bs_fail(err, errlen, errno, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	ret = posix_spawn(&child, path, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (ret != 0) {
		close(p[0]);
		return bs_fail(err, errlen, ret, "running %s", path);
	}
	n = read(p[0], out, sizeof out - 1);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	close(p[0]);
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return bs_failx(err, errlen, EPERM, "%s %s 0 %s %s failed%s%s", helper, spid, sfirst, scount,
				out[0] ? ": " : "", out);
	return 0;
}

int bs_subid_write_maps(pid_t pid, const struct bs_idrange *r, int single, char *err, size_t errlen)
{
	int ret;

	if ((ret = run_map("newuidmap", pid, r->first, single ? 1 : r->count, err, errlen)) < 0)
		return ret;
	return run_map("newgidmap", pid, r->gfirst, single ? 1 : r->count, err, errlen);
}
