/* bsrun ctx list|exec|kill|clean. */
#include "ctxcmd.h"
#include "ctx.h"
#include "ctxreg.h"
#include "exitcodes.h"
#include "log.h"
#include "reslimits.h"
#include "stale.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROOT_RUNDIR "/run/bsrun"

/* The registries the caller may see: root's, and (for an ordinary user) the
 * caller's own, which is searched first. */
static size_t rundirs(char dirs[2][4200])
{
	if (geteuid() == 0) {
		snprintf(dirs[0], sizeof dirs[0], "%s", ROOT_RUNDIR);
		return 1;
	}
	bs_ctxreg_rundir(dirs[0], sizeof dirs[0]);
	snprintf(dirs[1], sizeof dirs[1], "%s", ROOT_RUNDIR);
	return 2;
}

static void fmt_uptime(char *buf, size_t len, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%ds", (int)s);
	else if (s < 3600)
		snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60 % 60));
	else
		snprintf(buf, len, "%dd%02dh", (int)(s / 86400), (int)(s / 3600 % 24));
}

static void fmt_size(char *buf, size_t len, uint64_t b)
{
	const char *units = "KMGT";
	double v = (double)b;
	int u = -1;

	if (b < 1024) {
		snprintf(buf, len, "%" PRIu64 "B", b);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f%c", v, units[u]);
}

static void fmt_owner(char *buf, size_t len, uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	if (pw && strlen(pw->pw_name) < 32)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%u", (unsigned)uid);
}

static void print_entry(FILE *out, const struct bs_ctxreg_entry *e)
{
	char up[32], procs[32] = "-", mem[32] = "-", owner[40];
	struct bs_cgroup *cg = NULL;

	fmt_uptime(up, sizeof up, (int64_t)time(NULL) - e->start);
	fmt_owner(owner, sizeof owner, e->owner);
	if (e->cgparent) {
		char name[32];

		snprintf(name, sizeof name, "ctx-%u", e->ref.id);
		if (bs_cgroup_open(e->cgparent, name, &cg) == 0) {
			struct bs_cg_usage u;

			if (bs_cgroup_usage(cg, &u) == 0) {
				snprintf(procs, sizeof procs, "%" PRIu64, u.pids_current);
				fmt_size(mem, sizeof mem, u.memory_current);
			}
			bs_cgroup_close(cg);
		}
	}
	fprintf(out, "%-5u %-10s %-8s %5s %8s  %s  %s\n", e->ref.id, owner, up, procs, mem, e->root ? e->root : "?",
		e->cmd && *e->cmd ? e->cmd : "-");
}

/* A stale thing: one line of `ctx list` (not removed) or `ctx clean`. */
static void print_stale(void *ud, const char *what, const char *name, int removed)
{
	FILE *out = ud;

	if (!removed)
		fprintf(out, "%-5s %-10s %-8s %5s %8s  %s %s (left by a dead bsrun; bsrun ctx clean removes it)\n", "-",
			"-", "stale", "-", "-", what, name);
	else
		fprintf(out, "removed stale %s %s\n", what, name);
}

static void print_failed(void *ud, const char *what, const char *name, int removed)
{
	print_stale(ud, what, name, removed);
	if (!removed)
		bs_log(BS_LOG_WARN, "ctx clean: could not remove stale %s %s", what, name);
}

/* bsrun ctx clean: removes what dead bsruns left (never a live one's). */
static int cmd_clean(FILE *out)
{
	char err[512] = "";
	int r = bs_stale_clean_all(0, print_failed, out, err, sizeof err);

	if (r < 0) {
		bs_log(BS_LOG_ERROR, "ctx clean: %s", err);
		return BS_EXIT_INFRA;
	}
	if (r == 0)
		fprintf(out, "nothing stale\n");
	return BS_EXIT_OK;
}

static int cmd_list(FILE *out)
{
	char dirs[2][4200], err[512];
	size_t nd = rundirs(dirs);

	fprintf(out, "%-5s %-10s %-8s %5s %8s  %s  %s\n", "ID", "OWNER", "UPTIME", "PROCS", "MEMORY", "ROOT", "COMMAND");
	/* what dead bsruns left, before the registry read below empties their entries */
	bs_stale_clean_all(1, print_stale, out, err, sizeof err);
	for (size_t d = 0; d < nd; d++) {
		struct bs_ctxreg_entry *v;
		size_t n;

		if (bs_ctxreg_list(dirs[d], &v, &n, err, sizeof err) < 0) {
			bs_log(BS_LOG_ERROR, "ctx list: %s", err);
			return BS_EXIT_INFRA;
		}
		for (size_t i = 0; i < n; i++) {
			print_entry(out, &v[i]);
			bs_ctxreg_entry_free(&v[i]);
		}
		free(v);
	}
	return BS_EXIT_OK;
}

static int parse_id(const char *s, unsigned *id)
{
	char *end;
	unsigned long v;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9)
		return -1;
	v = strtoul(s, &end, 10);
	*id = (unsigned)v;
	return 0;
}

/* Finds live context id in the caller's registries and checks that the
 * caller (real uid, from the kernel) is its owner or root. */
static int find_owned(const char *verb, unsigned id, struct bs_ctxreg_entry *e)
{
	char dirs[2][4200], err[512];
	size_t nd = rundirs(dirs);
	uid_t caller = getuid();
	int ret = -ESRCH;

	for (size_t d = 0; d < nd && ret == -ESRCH; d++) {
		ret = bs_ctxreg_get(dirs[d], id, e, err, sizeof err);
		if (ret < 0 && ret != -ESRCH) {
			bs_log(BS_LOG_ERROR, "ctx %s: %s", verb, err);
			return BS_EXIT_INFRA;
		}
	}
	if (ret == -ESRCH) {
		bs_log(BS_LOG_ERROR, "ctx %s: no live context %u (see bsrun ctx list)", verb, id);
		return BS_EXIT_USAGE;
	}
	if (caller != 0 && caller != e->owner) {
		bs_log(BS_LOG_ERROR, "ctx %s: context %u belongs to uid %u; only its owner or root may %s it", verb, id,
		       (unsigned)e->owner, strcmp(verb, "exec") == 0 ? "enter" : "kill");
		bs_ctxreg_entry_free(e);
		return BS_EXIT_USAGE;
	}
	return BS_EXIT_OK;
}

static int attach(const char *verb, unsigned id, struct bs_ctx **c)
{
	struct bs_ctxreg_entry e;
	char err[512];
	int code = find_owned(verb, id, &e), r;

	if (code)
		return code;
	r = bs_ctx_attach(&e.ref, c, err, sizeof err);
	bs_ctxreg_entry_free(&e);
	if (r < 0) {
		bs_log(BS_LOG_ERROR, "ctx %s: %s", verb, err);
		return r == -ESRCH ? BS_EXIT_USAGE : BS_EXIT_INFRA;
	}
	return BS_EXIT_OK;
}

static int stdio_fd(int fd)
{
	return fcntl(fd, F_GETFD) < 0 ? -1 : fd;
}

static int cmd_exec(unsigned id, char *const *argv)
{
	struct bs_exec_opts eo;
	struct bs_ctx *c = NULL;
	char err[512];
	int code = attach("exec", id, &c), st = 0, r;

	if (code)
		return code;
	bs_exec_opts_init(&eo);
	eo.stdin_fd = stdio_fd(0);
	eo.stdout_fd = stdio_fd(1);
	eo.stderr_fd = stdio_fd(2);
	fflush(stdout);
	r = bs_ctx_exec(c, argv, &eo, &st, err, sizeof err);
	bs_ctx_free(c);
	if (r < 0 && r != -ETIMEDOUT) {
		bs_log(BS_LOG_ERROR, "ctx exec: %s", err);
		return r == -ENOENT ? 127 : (r == -EACCES || r == -ENOEXEC) ? 126 : BS_EXIT_INFRA;
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return BS_EXIT_INFRA;
}

static int cmd_kill(unsigned id)
{
	struct bs_ctx *c = NULL;
	int code = attach("kill", id, &c), r;

	if (code)
		return code;
	r = bs_ctx_kill(c);
	bs_ctx_free(c);
	if (r < 0) {
		bs_log(BS_LOG_ERROR, "ctx kill: context %u: %s", id, strerror(-r));
		return BS_EXIT_INFRA;
	}
	return BS_EXIT_OK;
}

int bs_ctxcmd_run(char *const *words, size_t n, FILE *out)
{
	unsigned id;

	if (n == 0) {
		bs_log(BS_LOG_ERROR, "missing ctx subcommand: list, exec, kill or clean (see bsrun --help)");
		return BS_EXIT_USAGE;
	}
	if (strcmp(words[0], "list") == 0) {
		if (n != 1) {
			bs_log(BS_LOG_ERROR, "ctx list takes no arguments");
			return BS_EXIT_USAGE;
		}
		return cmd_list(out);
	}
	if (strcmp(words[0], "exec") == 0) {
		if (n < 3 || parse_id(words[1], &id) < 0 || !words[2][0]) {
			bs_log(BS_LOG_ERROR, "usage: bsrun ctx exec ID -- COMMAND [ARG...]");
			return BS_EXIT_USAGE;
		}
		return cmd_exec(id, words + 2);
	}
	if (strcmp(words[0], "kill") == 0) {
		if (n != 2 || parse_id(words[1], &id) < 0) {
			bs_log(BS_LOG_ERROR, "usage: bsrun ctx kill ID");
			return BS_EXIT_USAGE;
		}
		return cmd_kill(id);
	}
	if (strcmp(words[0], "clean") == 0) {
		if (n != 1) {
			bs_log(BS_LOG_ERROR, "ctx clean takes no arguments");
			return BS_EXIT_USAGE;
		}
		return cmd_clean(out);
	}
	bs_log(BS_LOG_ERROR, "unknown ctx subcommand '%s': list, exec, kill or clean (see bsrun --help)", words[0]);
	return BS_EXIT_USAGE;
}
