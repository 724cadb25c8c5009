/* Isolation contexts: create, exec (migrate), kill, wait, free. */
#include "ctx.h"
#include "intr.h"
#include "bserr.h"
#include "caps.h"
#include "cinit.h"
#include "ctxreg.h"
#include "reslimits.h"
#include "ns.h"
#include "scfilter.h"
#include "subid.h"
#include "initcfg.h"
#include "initexec.h"
#include "fdpass.h"
#include "procsetup.h"

#include <errno.h>
#include <linux/filter.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ERR err, errlen

extern char **environ;

struct bs_ctx {
	unsigned id;
	pid_t pid;        /* init, host pid; 0 once reaped */
	int pidfd;        /* init */
	int ctl;          /* control socket to init */
	int init_status;  /* wait status of init once reaped, else -1 */
	int nstypes;      /* namespaces to enter */
	int single_id_map;
	int attached;     /* another process's context (bs_ctx_attach) */
	int ran;          /* a command was started in it */
	int oom_done;     /* protect_init_from_oom was called */
	char *desc;       /* registry text without the pid lines and the command line */
	char head[64];    /* the registry's pid lines */
	unsigned hit;     /* BS_LIMIT_* seen so far */
	unsigned unenforced; /* BS_LIMIT_* asked for but not enforced (rootless) */
	int nsfd[8];      /* rootless: the init's namespaces, user first; -1 ends */
	char *sockpath;   /* rootless: the init's namespace socket (we created it) */
	uint64_t caps, nofile, fsize;
	int64_t deadline; /* end of the context's time (now_ms), -1: none */
	struct bs_idrange ids;
	struct bs_cgroup *cg;
	struct bs_seccomp *filter;
	char **env;
};

static char *const default_env[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin", "HOME=/root", NULL,
};

/* clone3's argument, version 0 (64 bytes), declared here: <linux/sched.h>
 * does not mix with <sched.h>. */
struct clone_args0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static pid_t clone3_(uint64_t flags, int *pidfd)
{
	/* with CLONE_PARENT the kernel takes the caller's exit signal (SIGCHLD)
	 * and refuses an explicit one */
	struct clone_args0 a = { .flags = flags, .exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD };

	if (pidfd)
		a.pidfd = (uint64_t)(uintptr_t)pidfd;
	return (pid_t)syscall(SYS_clone3, &a, sizeof a);
}

void bs_ctx_opts_init(struct bs_ctx_opts *o)
{
	memset(o, 0, sizeof *o);
	o->caps = bs_caps_default();
	o->pids = 4096;
	o->nofile = 65536;
}

void bs_exec_opts_init(struct bs_exec_opts *eo)
{
	memset(eo, 0, sizeof *eo);
	eo->stdin_fd = eo->stdout_fd = eo->stderr_fd = -1;
	eo->watch_fd = -1;
}

unsigned bs_ctx_id(const struct bs_ctx *c)
{
	return c->id;
}

pid_t bs_ctx_pid(const struct bs_ctx *c)
{
	return c->pid;
}

int bs_ctx_alive(const struct bs_ctx *c)
{
	return c->pidfd >= 0 && c->init_status < 0;
}

void bs_ctx_idrange(const struct bs_ctx *c, uint32_t *first, uint32_t *count)
{
	*first = c->ids.first;
	*count = c->single_id_map ? 1 : c->ids.count;
}

unsigned bs_ctx_unenforced(const struct bs_ctx *c)
{
	return c->unenforced;
}

const char *bs_ctx_cgroup(const struct bs_ctx *c, const char *controller)
{
	return c->cg ? bs_cgroup_path(c->cg, controller) : NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void update_hits(struct bs_ctx *c)
{
	struct bs_cg_usage u;

	if (c->cg && bs_cgroup_usage(c->cg, &u) == 0) {
		if (u.oom_kills)
			c->hit |= BS_LIMIT_MEMORY;
		if (u.pids_max_hits)
			c->hit |= BS_LIMIT_PIDS;
	}
}

unsigned bs_ctx_limits_hit(struct bs_ctx *c)
{
	update_hits(c);
	return c->hit;
}

static char **copy_env(char *const *env)
{
	size_t n = 0;
	char **v;

	while (env[n])
		n++;
	v = calloc(n + 1, sizeof *v);
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = strdup(env[i]))) {
			while (i--)
				free(v[i]);
			free(v);
			return NULL;
		}
	return v;
}

static void free_env(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The cgroup's OOM killer must pick the build's processes, never the
 * context's init (that would end the context and lose the build's status).
 * Done once, before anything but init runs in the context and after init
 * forked the first command (exec_by_init), so no command inherits it. Best
 * effort: a bsrun without CAP_SYS_RESOURCE may not lower the score. */
static void protect_init_from_oom(struct bs_ctx *c)
{
	char path[64];
	int fd;

	if (c->oom_done || c->attached || c->pid <= 0)
		return;
	c->oom_done = 1;
	snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)c->pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "-1000", 5) < 0) {
		/* keep the default score */
	}
	close(fd);
}

/* ---- create ---- */

static int validate(const struct bs_ctx_opts *o, char *err, size_t errlen)
{
	const char *h = o->hostname ? o->hostname : "bsrun";
	const char *d = o->domainname ? o->domainname : "(none)";

	if (strlen(h) == 0 || strlen(h) > 64)
		return bs_failx(ERR, EINVAL, "hostname must have 1 to 64 characters");
	if (strlen(d) > 64)
		return bs_failx(ERR, EINVAL, "domainname must have at most 64 characters");
	if (o->cpu_weight > 10000)
		return bs_failx(ERR, EINVAL, "cpu weight %u is not in 1..10000", o->cpu_weight);
	if (o->flags & ~(unsigned)(BS_CTX_PROC_SUBSET | BS_CTX_ROOT_RO | BS_CTX_OWN_ROOT))
		return bs_failx(ERR, EINVAL, "unknown context flags 0x%x", o->flags);
	return 0;
}

/* BS_CTX_OWN_ROOT: the mount points, then the root directory itself to
 * root inside. The root is opened without following a symlink; entries are
 * made and checked relative to that fd. */
static int own_root(const char *root, uint32_t uid, uint32_t gid, char *err, size_t errlen)
{
	static const char *const dirs[] = { "proc", "dev", "tmp" };
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), ret = 0;
	struct stat st;

	if (fd < 0)
		return bs_fail(ERR, errno, "root %s", root);
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs && !ret; i++) {
		if (mkdirat(fd, dirs[i], 0755) < 0 && errno != EEXIST)
			ret = bs_fail(ERR, errno, "root %s: mkdir %s", root, dirs[i]);
		else if (fstatat(fd, dirs[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			ret = bs_failx(ERR, ENOTDIR, "root %s: %s is not a directory", root, dirs[i]);
	}
	if (!ret && fchown(fd, uid, gid) < 0)
		ret = bs_fail(ERR, errno, "root %s: chown to %u", root, (unsigned)uid);
	close(fd);
	return ret;
}

/* The registry entry: what `bsrun ctx` lists and needs to enter the
 * context. Made in two parts: the text without the init's pid (c->desc)
 * while the zygote clones the init, and the pid lines (c->head) once the
 * init exists (describe_pid). */
static void describe(struct bs_ctx *c, const struct bs_ctx_opts *o)
{
	struct bs_ctxreg_entry e;
	char *text, *w;

	memset(&e, 0, sizeof e);
	e.ref.id = c->id;
	e.ref.nstypes = c->nstypes;
	e.ref.single_id_map = c->single_id_map;
	e.ref.caps = c->caps;
	e.ref.nofile = c->nofile;
	e.ref.fsize = c->fsize;
	e.ref.syscalls_allow = (char *const *)o->syscalls_allow;
	e.ref.syscalls_deny = (char *const *)o->syscalls_deny;
	e.ref.env = c->env;
	e.ref.cgroup_parent = c->cg ? (o->cgroup_parent ? o->cgroup_parent : "bsrun") : NULL;
	e.ref.uid_first = c->ids.first;
	e.ref.uid_count = c->single_id_map ? 1u : c->ids.count;
	e.ref.ns_socket = c->sockpath;
	e.owner = getuid();
	e.start = (int64_t)time(NULL);
	e.root = (char *)o->root;
	e.hostname = (char *)(o->hostname ? o->hostname : "bsrun");
	text = bs_ctxreg_format(&e);
	if (!text)
		return;
	/* without its pid lines: describe_pid writes them in front */
	w = text;
	for (char *l = text; *l;) {
		char *nl = strchr(l, '\n'), *next = nl ? nl + 1 : l + strlen(l);

		if (strncmp(l, "pid=", 4) != 0 && strncmp(l, "pidstart=", 9) != 0) {
			memmove(w, l, (size_t)(next - l));
			w += next - l;
		}
		l = next;
	}
	*w = '\0';
	free(c->desc);
	c->desc = text;
}

/* Writes the registry entry, with cmd (a "cmd=...\n" line) when not NULL. */
static void write_entry(struct bs_ctx *c, const char *cmd)
{
	struct iovec iov[3] = { { c->head, strlen(c->head) }, { c->desc, strlen(c->desc) },
				{ (void *)(cmd ? cmd : ""), cmd ? strlen(cmd) : 0 } };

	bs_ns_range_describev(&c->ids, iov, 3);
}

/* The init's pid lines; then the entry goes to the registry. */
static void describe_pid(struct bs_ctx *c)
{
	uint64_t start;

	if (!c->desc || bs_proc_starttime(c->pid, &start) < 0) {
		free(c->desc); /* no entry: not listed, not enterable from outside */
		c->desc = NULL;
		return;
	}
	snprintf(c->head, sizeof c->head, "pid=%d\npidstart=%" PRIu64 "\n", (int)c->pid, start);
	write_entry(c, NULL);
}

/* Records argv as the context's current command in its registry entry. */
static void describe_cmd(struct bs_ctx *c, char *const argv[])
{
	char cmd[264];
	size_t len = 4;

	if (!c->desc)
		return;
	memcpy(cmd, "cmd=", 4);
	for (size_t i = 0; argv[i] && len < sizeof cmd - 8; i++) {
		if (i)
			cmd[len++] = ' ';
		for (const char *p = argv[i]; *p && len < sizeof cmd - 8; p++)
			cmd[len++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
	}
	cmd[len++] = '\n';
	cmd[len] = '\0';
	write_entry(c, cmd);
}

enum { MAP_DIRECT, MAP_SUBID };

/* Opens the new init's namespace files (/proc/PID/ns/...), the user namespace first. */
static int open_namespaces(struct bs_ctx *c, char *err, size_t errlen)
{
	static const struct { int type; const char *name; } ns[] = {
		{ CLONE_NEWUSER, "user" }, { CLONE_NEWNS, "mnt" }, { CLONE_NEWPID, "pid" },
		{ CLONE_NEWUTS, "uts" },   { CLONE_NEWIPC, "ipc" }, { CLONE_NEWNET, "net" },
		{ CLONE_NEWCGROUP, "cgroup" },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
		char path[64];
		int fd;

		if (!(c->nstypes & ns[i].type))
			continue;
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)c->pid, ns[i].name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return bs_fail(ERR, errno, "open %s", path);
		c->nsfd[n++] = fd;
	}
	return 0;
}

/* Rootless: the socket RUNDIR/ctx/ID.sock on which the init hands its
 * namespaces to `bsrun ctx exec` (the directory is the caller's, 0700);
 * returns the listening fd. */
static int ns_socket(struct bs_ctx *c, const char *rundir, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (asprintf(&c->sockpath, "%s/ctx/%u.sock", rundir, c->id) < 0) {
		c->sockpath = NULL;
		return bs_fail(ERR, ENOMEM, "socket path");
	}
	if (strlen(c->sockpath) >= sizeof sa.sun_path) {
		free(c->sockpath);
		c->sockpath = NULL;
		return bs_failx(ERR, ENAMETOOLONG, "run directory %s: too long for a socket path", rundir);
	}
	memcpy(sa.sun_path, c->sockpath, strlen(c->sockpath));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return bs_fail(ERR, errno, "socket");
	unlink(c->sockpath); /* a dead context's: we hold the slot */
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 8) < 0) {
		int e = errno;

		close(fd);
		free(c->sockpath);
		c->sockpath = NULL;
		return bs_fail(ERR, e, "socket %s/ctx/%u.sock", rundir, c->id);
	}
	return fd;
}

/* Enters the context's namespaces: through the opened namespace files when
 * there are (rootless), else all at once through the init's pidfd. */
static int enter_namespaces(struct bs_ctx *c)
{
	if (c->nsfd[0] < 0)
		return bs_ns_enter(c->pidfd, c->nstypes);
	for (size_t i = 0; i < sizeof c->nsfd / sizeof *c->nsfd && c->nsfd[i] >= 0; i++)
		if (setns(c->nsfd[i], 0) < 0)
			return -errno;
	return 0;
}

/* The context's host ids: a pool slot as root; rootless, a slot of the
 * caller's subordinate ranges (mapped by newuidmap), or, only when a
 * single-id map is allowed and there are none, the caller's own ids. */
static int alloc_ids(struct bs_ctx *c, const struct bs_ctx_opts *o, const char *rundir, int *mapping, char *err,
		     size_t errlen)
{
	struct bs_subid sub;
	char why[700];
	int ret;

	*mapping = MAP_DIRECT;
	if (geteuid() == 0)
		return bs_ns_alloc_range(rundir, o->uid_first ? o->uid_first : BS_NS_POOL_FIRST,
					 o->uid_count ? o->uid_count : BS_NS_POOL_COUNT, BS_NS_RANGE, &c->ids, ERR);
	ret = bs_subid_find(&sub, why, sizeof why);
	if (ret == 0) {
		*mapping = MAP_SUBID;
		return bs_ns_alloc_sub(rundir, sub.ufirst, sub.ucount, sub.gfirst, sub.gcount, &c->ids, ERR);
	}
	if (!o->single_id_map)
		return bs_failx(ERR, -ret, "%s", why);
	c->single_id_map = 1;
	return bs_ns_alloc_self(rundir, &c->ids, ERR);
}

/* The context's cgroup with the limits. Rootless on a host where the user
 * cannot create one (cgroup v1, or v2 without delegation): fine when no limit
 * is asked for; with limits only when allow_unenforced_limits says so. */
static int make_cgroup(struct bs_ctx *c, const struct bs_ctx_opts *o, char *err, size_t errlen)
{
	struct bs_limits lim = { .memory = o->memory, .pids = o->pids, .cpu_weight = o->cpu_weight };
	unsigned want = (o->memory ? BS_LIMIT_MEMORY : 0) | (o->pids ? BS_LIMIT_PIDS : 0);
	char name[32], why[512] = "";
	int ret;

	snprintf(name, sizeof name, "ctx-%u", c->id);
	ret = bs_cgroup_create(o->cgroup_parent ? o->cgroup_parent : "bsrun", name, &lim, &c->cg, why, sizeof why);
	if (ret == 0)
		return 0;
	if (ret == -EOPNOTSUPP && !want && !o->cpu_weight)
		return 0; /* no cgroup and none needed: the PID namespace still kills all */
	if (geteuid() == 0 || (ret != -EACCES && ret != -EPERM && ret != -EROFS && ret != -EOPNOTSUPP))
		return bs_failx(ERR, -ret, "%s", why);
	if (!want && !o->cpu_weight)
		return 0;
	if (o->allow_unenforced_limits) {
		c->unenforced = want;
		return 0;
	}
	return bs_failx(ERR, EPERM,
			"the %s%s%s limit%s cannot be enforced: an ordinary user cannot create cgroups here (%s); "
			"run as root, set the limits to 0, or allow unenforced limits",
			o->memory ? "memory" : "", o->memory && (o->pids || o->cpu_weight) ? "/" : "",
			o->pids ? (o->cpu_weight ? "pids/cpu" : "pids") : (o->cpu_weight ? "cpu" : ""),
			(o->memory != 0) + (o->pids != 0) + (o->cpu_weight != 0) > 1 ? "s" : "", why);
}

/* A context object with every descriptor closed (-1) and no init yet. */
static struct bs_ctx *ctx_alloc(void)
{
	struct bs_ctx *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->pidfd = c->ctl = -1;
	c->init_status = -1;
	c->deadline = -1;
	c->ids.lockfd = -1;
	for (size_t i = 0; i < sizeof c->nsfd / sizeof *c->nsfd; i++)
		c->nsfd[i] = -1;
	return c;
}

int bs_ctx_reserve_ids(const struct bs_ctx_opts *o, struct bs_idrange *r, char *err, size_t errlen)
{
	char rundir[4200];

	if (geteuid() != 0)
		return bs_failx(ERR, EPERM, "reserving an id range before the context needs root");
	if (!o->rundir)
		bs_ctxreg_rundir(rundir, sizeof rundir);
	return bs_ns_alloc_range(o->rundir ? o->rundir : rundir, o->uid_first ? o->uid_first : BS_NS_POOL_FIRST,
				 o->uid_count ? o->uid_count : BS_NS_POOL_COUNT, BS_NS_RANGE, r, ERR);
}

static void reap_init(struct bs_ctx *c);

/* Appends fd (unless -1) to fds[0..*n); its index there, or -1. */
static int32_t add_fd(int *fds, int *n, int fd)
{
	if (fd < 0)
		return -1;
	fds[*n] = fd;
	return (*n)++;
}

/* The config of the context's init (initcfg.h), packed: what o asks for, the
 * filter, the fds it keeps (indexes of those sent along with it: bsrun's
 * pidfd, the id slot's lock, the rootless namespace socket). */
static int pack_init_cfg(const struct bs_ctx *c, const struct bs_ctx_opts *o, int self_cg, int cgroupns_done,
			 int parentfd, int lfd, int *fds, int *nfds, char **buf, size_t *len, char *err, size_t errlen)
{
	struct bs_initcfg ic = {
		.root = o->root, .hostname = o->hostname, .domainname = o->domainname, .binds = o->binds,
		.nbinds = (uint32_t)o->nbinds, .network_host = !!o->network_host, .single_id_map = !!c->single_id_map,
		.timeout_s = o->timeout_s, .nstypes = c->nstypes, .caps = c->caps, .nofile = c->nofile, .fsize = c->fsize,
		.env = c->env, .cgroupns_done = (uint32_t)cgroupns_done,
	};
	int n, ret;

	*nfds = 0;
	ic.parentfd = add_fd(fds, nfds, parentfd);
	ic.lockfd = add_fd(fds, nfds, c->ids.lockfd);
	ic.lfd = add_fd(fds, nfds, lfd);
	if (o->flags & BS_CTX_PROC_SUBSET)
		ic.rootfs_flags |= BS_ROOTFS_PROC_SUBSET;
	if (o->flags & BS_CTX_ROOT_RO)
		ic.rootfs_flags |= BS_ROOTFS_ROOT_RO;
	if (!c->single_id_map)
		ic.rootfs_flags |= BS_ROOTFS_DEVPTS_GID5;
	if (self_cg && (n = bs_cgroup_self_dirs(c->cg, ic.cgdirs, BS_INITCFG_CGDIRS)) > 0)
		ic.ncgdirs = (uint32_t)n;
	ic.progs[0] = *bs_seccomp_prog(c->filter);
	ic.nprogs = 1;
	if ((ret = bs_initcfg_pack(&ic, buf, len)) < 0)
		return bs_fail(ERR, -ret, "the context's init config");
	return 0;
}

/* Asks the zygote for the init (bs_init_request), with the cgroup
 * namespace at once when newcg; sv[1] goes to it. */
static int ask_init(struct bs_ctx *c, int sv[2], int newcg, char *err, size_t errlen)
{
	uint64_t flags = (uint64_t)(c->nstypes & ~CLONE_NEWCGROUP) | (newcg ? CLONE_NEWCGROUP : 0);
	int ret = bs_init_request(flags, sv[1], ERR);

	close(sv[1]);
	sv[1] = -1;
	return ret;
}

/* Why the init child ended before answering (it is reaped here). */
static const char *init_gone(struct bs_ctx *c)
{
	int st;

	reap_init(c);
	st = c->init_status;
	if (st < 0 || (st & 0x7f))
		return "it was killed";
	return ((st >> 8) & 0xff) == BS_INIT_EXIT_NOGO ? "bsrun closed its channel" : "it exited during setup";
}

int bs_ctx_create(const struct bs_ctx_opts *o, struct bs_ctx **out, char *err, size_t errlen)
{
	struct bs_rootfs rf = { .root = o->root, .binds = o->binds, .nbinds = o->nbinds };
	struct bs_cinit_msg m;
	struct bs_ctx *c;
	int sv[2] = { -1, -1 }, parentfd = -1, lfd = -1, ret, self_cg = 0, sendfds[3], nsend = 0;
	int asked = 0, newcg = 0; /* the zygote has our request (newcg: with the cgroup namespace) */
	char *cfg = NULL;
	size_t cfglen = 0;
	char rundir[4200];
	int mapping = MAP_DIRECT;

	*out = NULL;
	if ((ret = validate(o, ERR)) < 0 || (ret = bs_rootfs_check(&rf, ERR)) < 0)
		return ret;
	c = ctx_alloc();
	if (!c)
		return bs_fail(ERR, ENOMEM, "context");
	c->caps = o->caps;
	c->nofile = o->nofile;
	c->fsize = o->fsize;
	c->single_id_map = o->single_id_map;
	if (o->timeout_s)
		c->deadline = now_ms() + (int64_t)o->timeout_s * 1000;
	c->nstypes = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP |
		     (o->network_host ? 0 : CLONE_NEWNET);
	c->env = copy_env(o->env ? o->env : default_env);
	if (!c->env) {
		ret = bs_fail(ERR, ENOMEM, "context environment");
		goto fail;
	}
	if ((ret = bs_seccomp_build(o->syscalls_allow, o->syscalls_deny, &c->filter, ERR)) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		ret = bs_fail(ERR, errno, "socketpair");
		goto fail;
	}
	c->ctl = sv[0];
	sv[0] = -1;
	/* as root: the zygote clones the init while we go on (it waits for
	 * 'G'), and the init starts its cgroup namespace once in its cgroup */
	if (geteuid() == 0) {
		if ((ret = ask_init(c, sv, 0, ERR)) < 0)
			goto fail;
		asked = 1;
	}
	if (!o->rundir)
		bs_ctxreg_rundir(rundir, sizeof rundir);
	if (o->ids) {
		c->ids = *o->ids;
		c->ids.lockfd = o->ids->lockfd < 0 ? -1 : fcntl(o->ids->lockfd, F_DUPFD_CLOEXEC, 3);
		if (c->ids.lockfd < 0) {
			ret = bs_fail(ERR, o->ids->lockfd < 0 ? EBADF : errno, "the reserved id range");
			goto fail;
		}
	} else if ((ret = alloc_ids(c, o, o->rundir ? o->rundir : rundir, &mapping, ERR)) < 0)
		goto fail;
	c->id = c->ids.slot;
	if ((o->flags & BS_CTX_OWN_ROOT) && (ret = own_root(o->root, c->ids.first, c->ids.gfirst, ERR)) < 0)
		goto fail;
	if ((ret = make_cgroup(c, o, ERR)) < 0)
		goto fail;
	/* cgroup v1: init moves itself in, which spares the kernel's RCU grace
	 * period a move by bsrun costs (bsrun takes the tasks files back below) */
	if (c->cg && mapping == MAP_DIRECT) {
		self_cg = bs_cgroup_delegate_self(c->cg, c->ids.first, c->ids.gfirst, NULL, 0) == 0;
		if (!self_cg)
			bs_cgroup_undelegate(c->cg);
	}
	if (geteuid() != 0 && (lfd = ns_socket(c, o->rundir ? o->rundir : rundir, ERR)) < 0) {
		ret = lfd;
		goto fail;
	}
	/* rootless: later, when we know whether there is a cgroup to join: the
	 * cgroup namespace must be one at the clone, for open_namespaces */
	if (!asked) {
		newcg = !c->cg;
		if ((ret = ask_init(c, sv, newcg, ERR)) < 0)
			goto fail;
		asked = 1;
	}
	describe(c, o);
	parentfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (parentfd < 0) {
		ret = bs_fail(ERR, errno, "pidfd_open");
		goto fail;
	}
	if ((ret = pack_init_cfg(c, o, self_cg, newcg, parentfd, lfd, sendfds, &nsend, &cfg, &cfglen, ERR)) < 0)
		goto fail;
	asked = 0; /* answered, whatever the answer */
	c->pid = bs_init_answer(&c->pidfd, ERR);
	if (c->pid < 0) {
		ret = c->pid;
		c->pid = 0;
		goto fail;
	}
	/* rootless: the init will not be dumpable, and its memory belongs to the
	 * host's user namespace, so a setns through its pidfd (a ptrace check)
	 * would fail later; its namespaces are opened now, while it still runs
	 * as the caller and is dumpable */
	if (geteuid() != 0 && (ret = open_namespaces(c, ERR)) < 0)
		goto fail;
	if (mapping == MAP_SUBID)
		ret = bs_subid_write_maps(c->pid, &c->ids, c->single_id_map, ERR);
	else
		ret = bs_ns_write_maps(c->pid, &c->ids, c->single_id_map, ERR);
	if (ret < 0)
		goto fail;
	if (c->cg && !self_cg && (ret = bs_cgroup_attach(c->cg, c->pid, ERR)) < 0)
		goto fail;
	/* 'G': the init goes on, and reads its config, with its fds */
	{
		struct iovec iov = { cfg, cfglen };

		if (write(c->ctl, "G", 1) != 1)
			ret = -errno;
		else
			ret = bs_send_fdsv(c->ctl, &iov, 1, sendfds, nsend);
		if (ret < 0) {
			bs_fail(ERR, -ret, "starting the context's init");
			goto fail;
		}
	}
	free(cfg);
	cfg = NULL;
	close(parentfd);
	parentfd = -1;
	if (lfd >= 0)
		close(lfd);
	lfd = -1;
	/* the registry entry while the init sets up (a failed context's goes
	 * with its id slot) */
	describe_pid(c);
	ret = bs_cinit_recv(c->ctl, &m, 30000);
	if (ret == -EPIPE)
		ret = bs_failx(ERR, EIO, "the context's init did not start: %s", init_gone(c));
	else if (ret < 0)
		bs_fail(ERR, -ret, "waiting for the context's init");
	if (ret < 0)
		goto fail;
	if (m.op == 'E') {
		ret = bs_failx(ERR, m.err > 0 ? m.err : EIO, "context setup: %s", m.text);
		goto fail;
	}
	if (m.op != 'R') {
		ret = bs_failx(ERR, EPROTO, "context setup: unexpected answer '%c'", m.op);
		goto fail;
	}
	if (self_cg)
		bs_cgroup_undelegate(c->cg);
	*out = c;
	return 0;
fail:
	if (asked) {
		/* the zygote's answer must not wait for the next context */
		c->pid = bs_init_answer(&c->pidfd, NULL, 0);
		if (c->pid < 0)
			c->pid = 0;
	}
	free(cfg);
	if (lfd >= 0)
		close(lfd);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (parentfd >= 0)
		close(parentfd);
	bs_ctx_free(c);
	return ret;
}

int bs_ctx_attach(const struct bs_ctx_ref *ref, struct bs_ctx **out, char *err, size_t errlen)
{
	struct pollfd p;
	struct bs_ctx *c;
	uint64_t start;
	int ret;

	*out = NULL;
	c = ctx_alloc();
	if (!c)
		return bs_fail(ERR, ENOMEM, "context");
	c->attached = 1;
	c->id = ref->id;
	c->caps = ref->caps;
	c->nofile = ref->nofile;
	c->fsize = ref->fsize;
	c->single_id_map = ref->single_id_map;
	c->ids.first = ref->uid_first;
	c->ids.count = ref->uid_count;
	c->nstypes = ref->nstypes & (CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
				     CLONE_NEWCGROUP | CLONE_NEWNET);
	if (!(c->nstypes & CLONE_NEWUSER) || !(c->nstypes & CLONE_NEWPID) || !(c->nstypes & CLONE_NEWNS)) {
		ret = bs_failx(ERR, EINVAL, "context %u: its registry entry lacks the user, PID or mount namespace",
			       ref->id);
		goto fail;
	}
	c->env = copy_env(ref->env ? ref->env : default_env);
	if (!c->env) {
		ret = bs_fail(ERR, ENOMEM, "context environment");
		goto fail;
	}
	/* the pidfd first, then the start time: while the pidfd's process lives,
	 * the pid cannot name another one */
	c->pidfd = (int)syscall(SYS_pidfd_open, ref->pid, 0);
	if (c->pidfd < 0) {
		ret = bs_fail(ERR, errno == ESRCH ? ESRCH : errno, "context %u: its init (pid %d)", ref->id,
			      (int)ref->pid);
		goto fail;
	}
	p = (struct pollfd){ .fd = c->pidfd, .events = POLLIN };
	if (bs_proc_starttime(ref->pid, &start) < 0 || start != ref->pid_start || poll(&p, 1, 0) != 0) {
		ret = bs_failx(ERR, ESRCH, "context %u is gone (pid %d is no longer its init)", ref->id, (int)ref->pid);
		goto fail;
	}
	c->pid = ref->pid;
	if (geteuid() != 0 && ref->ns_socket) {
		/* rootless: the init hands out its namespaces on its socket */
		int n = bs_cinit_get_ns(ref->ns_socket, c->nsfd, (int)(sizeof c->nsfd / sizeof *c->nsfd) - 1);

		if (n < 0) {
			ret = bs_fail(ERR, -n, "context %u: its namespace socket %s", ref->id, ref->ns_socket);
			goto fail;
		}
	}
	if ((ret = bs_seccomp_build((const char *const *)ref->syscalls_allow,
				    (const char *const *)ref->syscalls_deny, &c->filter, ERR)) < 0)
		goto fail;
	if (ref->cgroup_parent) {
		char name[32];

		snprintf(name, sizeof name, "ctx-%u", ref->id);
		if ((ret = bs_cgroup_open(ref->cgroup_parent, name, &c->cg)) < 0) {
			bs_fail(ERR, -ret, "context %u: cgroup %s/%s", ref->id, ref->cgroup_parent, name);
			goto fail;
		}
	}
	*out = c;
	return 0;
fail:
	bs_ctx_free(c);
	return ret;
}

/* ---- exec (migrate) ---- */

/* The command, in the context: cwd, limits, ids, privileges, fds, seccomp, exec. */
static _Noreturn void exec_command(struct bs_ctx *c, char *const argv[], const struct bs_exec_opts *eo,
				   int errfd, int parentfd)
{
	int want[3] = { eo->stdin_fd, eo->stdout_fd, eo->stderr_fd }, fds[3];
	char err[240] = "";
	int ret;
	const char *cwd = eo->cwd ? eo->cwd : "/";

	if ((ret = bs_not_dumpable(err, sizeof err)) < 0)
		goto fail;
	bs_reset_signals();
	umask(022);
	if ((ret = bs_stdio_cwd(want, cwd, fds, err, sizeof err)) < 0)
		goto fail;
	if ((ret = bs_rlimits_apply(c->nofile, c->fsize)) < 0) {
		bs_fail(err, sizeof err, -ret, "setrlimit");
		goto fail;
	}
	/* root inside: ids, then drop; another uid: drop first (it takes
	 * CAP_SETPCAP), the uid change then clears what is left */
	if (!c->single_id_map && setgroups(0, NULL) < 0) {
		ret = bs_fail(err, sizeof err, errno, "setgroups");
		goto fail;
	}
	if (setresgid(eo->gid, eo->gid, eo->gid) < 0) {
		ret = bs_fail(err, sizeof err, errno, "setresgid %u", (unsigned)eo->gid);
		goto fail;
	}
	if ((ret = bs_drop_privileges(c->caps, c->caps, err, sizeof err)) < 0)
		goto fail;
	if (eo->uid != 0 && setresuid(eo->uid, eo->uid, eo->uid) < 0) {
		ret = bs_fail(err, sizeof err, errno, "setresuid %u", (unsigned)eo->uid);
		goto fail;
	}
	if ((ret = bs_not_dumpable(err, sizeof err)) < 0 || (ret = bs_die_with_parent(parentfd, err, sizeof err)) < 0)
		goto fail;
	if ((ret = bs_own_session(fds, err, sizeof err)) < 0)
		goto fail;
	if ((ret = bs_seccomp_apply(c->filter)) < 0) {
		bs_fail(err, sizeof err, -ret, "loading the seccomp filter");
		goto fail;
	}
	if (eo->fn) {
		/* setup done: bsrun stops waiting for messages and waits for the end */
		environ = eo->env ? (char **)eo->env : c->env;
		close(errfd);
		_exit(eo->fn(eo->arg) & 0xff);
	}
	execvpe(argv[0], argv, eo->env ? (char *const *)eo->env : c->env);
	ret = bs_fail(err, sizeof err, errno, "exec %s", argv[0]);
fail:
	bs_exec_report(errfd, 'E', -ret, 0, err);
	_exit(127);
}

/* The command shares the helper's memory until its exec (CLONE_VM): no copy
 * of page tables, no copy-on-write faults, nothing to tear down at exec.
 * exec_command runs on its own stack, with system calls and no allocation;
 * the helper only reports the command's pid and exits meanwhile. Not under
 * AddressSanitizer, whose instrumentation does not expect a second stack. */
#if defined(__SANITIZE_ADDRESS__)
#define SHARED_VM 0
#else
#define SHARED_VM 1
#endif
#define CMD_STACK (256 * 1024)

struct cmd_args {
	struct bs_ctx *c;
	char *const *argv;
	const struct bs_exec_opts *eo;
	int errfd, parentfd;
};

static int command_main(void *p)
{
	struct cmd_args *a = p;

	exec_command(a->c, a->argv, a->eo, a->errfd, a->parentfd);
}

/* The helper: waits for bsrun to put it into the cgroup, enters the
 * context, becomes root inside, starts the command as bsrun's child. */
static _Noreturn void exec_helper(struct bs_ctx *c, char *const argv[], const struct bs_exec_opts *eo, int gofd,
				  int errfd, int parentfd)
{
	char err[240] = "", go = 0;
	int ret;
	pid_t pid;

	if (read(gofd, &go, 1) != 1 || go != 'G')
		_exit(1);
	close(gofd);
	if ((ret = enter_namespaces(c)) < 0) {
		if (ret == -EPERM && c->attached && geteuid() != 0)
			bs_failx(err, sizeof err, EPERM,
				 "a rootless context can only be entered by the bsrun that created it (its init is protected from ptrace, which setns through its pidfd needs)");
		else
			bs_fail(err, sizeof err, -ret, "entering the context (setns)");
		goto fail;
	}
	if ((ret = bs_set_ids(0, 0, c->single_id_map, err, sizeof err)) < 0 ||
	    (ret = bs_not_dumpable(err, sizeof err)) < 0)
		goto fail;
	/* CLONE_PARENT: the command becomes bsrun's child, in the context's PID
	 * namespace. This helper is not in that namespace: nothing in the
	 * context can stop it, and bsrun keeps its timeout over the command. */
	if (SHARED_VM && !eo->fn) { /* a function (librpm...) gets its own memory and stack */
		struct cmd_args a = { c, argv, eo, errfd, parentfd };
		char *stack = mmap(NULL, CMD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
				   -1, 0);

		if (stack == MAP_FAILED) {
			ret = bs_fail(err, sizeof err, errno, "command stack");
			goto fail;
		}
		/* no CLONE_VFORK: bsrun must learn the pid at once, to kill the
		 * command on a timeout even when something stops it before exec */
		pid = clone(command_main, stack + CMD_STACK, CLONE_VM | CLONE_PARENT, &a);
	} else {
		pid = clone3_(CLONE_PARENT, NULL);
		if (pid == 0)
			exec_command(c, argv, eo, errfd, parentfd);
	}
	if (pid < 0) {
		ret = bs_fail(err, sizeof err, errno, "clone into the context");
		goto fail;
	}
	bs_exec_report(errfd, 'P', 0, pid, NULL);
	_exit(0);
fail:
	bs_exec_report(errfd, 'E', -ret, 0, err);
	_exit(1);
}

static int wait_child(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, __WALL);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

/* Reaps init once it has exited (or is being killed). */
static void reap_init(struct bs_ctx *c)
{
	siginfo_t si;

	if (c->pidfd < 0 || c->init_status >= 0)
		return;
	if (c->attached) {
		/* not our child: its pidfd turns readable once it (and with it
		 * every process of its PID namespace) is gone */
		struct pollfd p = { .fd = c->pidfd, .events = POLLIN };

		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
		c->init_status = SIGKILL;
		update_hits(c);
		c->pid = 0;
		return;
	}
	memset(&si, 0, sizeof si);
	while (waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
	if (si.si_code == CLD_EXITED)
		c->init_status = (si.si_status & 0xff) << 8;
	else
		c->init_status = si.si_status & 0x7f;
	if (si.si_code == CLD_EXITED && si.si_status == BS_CINIT_EXIT_TIMEOUT)
		c->hit |= BS_LIMIT_TIME;
	c->pid = 0; /* (release reads the limits hit before the cgroup goes) */
}

/* Appends the NUL-terminated s to the payload buffer b (size BS_CINIT_XMAX). */
static int put_str(char *b, size_t *len, const char *s)
{
	size_t n = strlen(s) + 1;

	if (n > BS_CINIT_XMAX - *len)
		return -E2BIG;
	memcpy(b + *len, s, n);
	*len += n;
	return 0;
}

/* Whether the context's init can start this command itself: the first
 * command of a context this process created, a program (not a function),
 * ids the kept capabilities can set. */
static int by_init_possible(const struct bs_ctx *c, const struct bs_exec_opts *eo)
{
	if (c->ran || c->attached || c->ctl < 0 || eo->fn)
		return 0;
	if (eo->gid != 0 && !(c->caps & BS_CAP(CAP_SETGID)))
		return 0;
	return eo->uid == 0 || (c->caps & BS_CAP(CAP_SETUID));
}

/* The first command, started by the context's init (bs_cinit_run's 'X'):
 * no helper process, no setns, no second seccomp load; its cgroup, limits,
 * namespaces and filters are init's. Waits for its end like bs_ctx_exec;
 * *st gets its wait status. Returns 0, the -errno of a failed start (message
 * in err), or -E2BIG before anything was started (the caller then takes the
 * helper path). */
static int exec_by_init(struct bs_ctx *c, char *const argv[], const struct bs_exec_opts *eo, int64_t deadline,
			int *st, int *timed_out, int *interrupted, char *err, size_t errlen)
{
	struct bs_first_hdr h = { .uid = eo->uid, .gid = eo->gid, .nenv = UINT32_MAX };
	int want[3] = { eo->stdin_fd, eo->stdout_fd, eo->stderr_fd }, fds[3], nfds = 0, cfd = -1, ret = 0;
	int watchfd = eo->watch ? eo->watch_fd : -1;
	struct bs_cinit_msg m;
	size_t len = sizeof h, size = sizeof h + strlen(eo->cwd ? eo->cwd : "/") + 1;
	char *b;

	for (size_t i = 0; argv[i]; i++)
		size += strlen(argv[i]) + 1;
	for (size_t i = 0; eo->env && eo->env[i]; i++)
		size += strlen(eo->env[i]) + 1;
	if (size > BS_CINIT_XMAX)
		return -E2BIG;
	if (!(b = malloc(size)))
		return bs_fail(ERR, ENOMEM, "exec %s", argv[0]);
	ret = put_str(b, &len, eo->cwd ? eo->cwd : "/");
	for (size_t i = 0; argv[i] && ret == 0; i++, h.nargv++)
		ret = put_str(b, &len, argv[i]);
	if (eo->env)
		for (h.nenv = 0; eo->env[h.nenv] && ret == 0; h.nenv++)
			ret = put_str(b, &len, eo->env[h.nenv]);
	for (int i = 0; i < 3; i++)
		if (want[i] >= 0) {
			h.fdmask |= 1u << i;
			fds[nfds++] = want[i];
		}
	memcpy(b, &h, sizeof h);
	if (ret == 0)
		ret = bs_cinit_send_exec(c->ctl, b, len, fds, nfds, eo->keep_orphans);
	free(b);
	if (ret == -E2BIG)
		return ret;
	/* init waits for the command's exec (CLONE_VFORK): should something
	 * hold it up until a deadline, or Ctrl-C come, the context dies */
	while (ret == 0) {
		struct pollfd p = { .fd = c->ctl, .events = POLLIN };
		int64_t end = deadline, left;
		int r;

		if (c->deadline >= 0 && (end < 0 || c->deadline < end))
			end = c->deadline;
		left = end < 0 ? -1 : end - now_ms();
		r = poll(&p, 1, end < 0 ? -1 : left > 0 ? (int)(left > 0x7fffffff ? 0x7fffffff : left) : 0);
		if (r > 0) {
			ret = bs_cinit_recv_fd(c->ctl, &m, 0, &cfd);
			break;
		}
		if (r < 0 && errno == EINTR && !bs_interrupted())
			continue;
		if (r < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
		reap_init(c);
		*st = SIGKILL;
		if (r < 0) {
			*interrupted = 1;
		} else {
			*timed_out = 1;
			if (end != deadline)
				c->hit |= BS_LIMIT_TIME;
		}
		return 0;
	}
	if (ret < 0)
		return bs_fail(ERR, -ret, "exec %s: the context's init", argv[0]);
	if (m.op == 'E')
		return bs_failx(ERR, m.err > 0 ? m.err : EIO, "%s", m.text);
	if (m.op != 'P' || cfd < 0) {
		if (cfd >= 0)
			close(cfd);
		return bs_failx(ERR, EPROTO, "exec %s: unexpected answer '%c' of the context's init", argv[0], m.op);
	}
	/* init has forked the command: from now on init may not be the OOM
	 * killer's choice, and the command does not inherit that */
	protect_init_from_oom(c);
	*st = SIGKILL;
	for (;;) {
		struct pollfd p[3] = { { .fd = c->ctl, .events = POLLIN }, { .fd = c->pidfd, .events = POLLIN },
				       { .fd = watchfd, .events = POLLIN } };
		int tmo = -1, r;

		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			tmo = left > 0 ? (int)(left > 0x7fffffff ? 0x7fffffff : left) : 0;
		}
		r = poll(p, 3, tmo);
		if (r < 0 && errno == EINTR) {
			if (bs_interrupted() && !*interrupted) { /* Ctrl-C: the command dies now */
				syscall(SYS_pidfd_send_signal, cfd, SIGKILL, NULL, 0);
				*interrupted = 1;
				deadline = -1;
			}
			continue;
		}
		if (r < 0)
			break;
		if (r == 0) {
			syscall(SYS_pidfd_send_signal, cfd, SIGKILL, NULL, 0);
			*timed_out = 1;
			deadline = -1; /* it dies now: wait for init's word */
			continue;
		}
		if (p[0].revents) {
			/* 'x': init reaped it; anything else: init is gone, and the
			 * kernel killed the command with the namespace */
			if (bs_cinit_recv(c->ctl, &m, 0) == 0 && m.op == 'x') {
				*st = m.err;
				if (strcmp(m.text, "busy") == 0)
					ret = bs_failx(ERR, EBUSY, "killing what %s left behind: a process stayed",
						       argv[0]);
			} else {
				/* init is exiting: its pidfd turns readable a moment
				 * after its channel closes; wait for that, so that the
				 * caller sees how the context ended (its timeout) */
				struct pollfd pp = { .fd = c->pidfd, .events = POLLIN };

				if (poll(&pp, 1, 5000) < 0) {
					/* nothing more to learn */
				}
			}
			break;
		}
		if (p[1].revents & POLLIN)
			break; /* init died: the time ran out, or someone killed it */
		if (p[2].revents) {
			if (p[2].revents & POLLIN)
				eo->watch(eo->watch_arg, watchfd);
			else
				watchfd = -1; /* every writer is gone */
		}
	}
	close(cfd);
	return ret;
}

int bs_ctx_exec(struct bs_ctx *c, char *const argv[], const struct bs_exec_opts *eo, int *wstatus,
		char *err, size_t errlen)
{
	struct bs_exec_opts defaults;
	int gop[2] = { -1, -1 }, errp[2] = { -1, -1 }, parentfd = -1, bfd = -1, ret = 0, st = 0, timed_out = 0;
	int interrupted = 0;
	pid_t helper, cmd = 0;
	struct bs_exec_msg m, failure = { .op = 0 };
	int64_t deadline = -1;

	*wstatus = 0;
	if (!argv || !argv[0] || !argv[0][0])
		return bs_failx(ERR, EINVAL, "exec: empty command");
	if (!eo) {
		bs_exec_opts_init(&defaults);
		eo = &defaults;
	}
	if (!bs_ctx_alive(c))
		return bs_failx(ERR, ESRCH, "exec %s: the context is dead", argv[0]);
	/* a directory (or O_PATH) fd handed in as stdio would be a way out of
	 * the root (fchdir, openat ".."): only other kinds of file pass */
	for (int i = 0; i < 3; i++) {
		int fd = i == 0 ? eo->stdin_fd : i == 1 ? eo->stdout_fd : eo->stderr_fd, fl;
		struct stat sb;

		if (fd < 0)
			continue;
		if (fstat(fd, &sb) < 0 || (fl = fcntl(fd, F_GETFL)) < 0)
			return bs_fail(ERR, errno, "exec %s: stdio fd %d", argv[0], fd);
		if (S_ISDIR(sb.st_mode) || (fl & O_PATH))
			return bs_failx(ERR, EBADF, "exec %s: stdio fd %d is a directory or O_PATH fd", argv[0], fd);
	}
	if (eo->timeout_s)
		deadline = now_ms() + (int64_t)eo->timeout_s * 1000;
	describe_cmd(c, argv);
	if (by_init_possible(c, eo)) {
		c->ran = 1;
		ret = exec_by_init(c, argv, eo, deadline, &st, &timed_out, &interrupted, ERR);
		if (ret != -E2BIG) {
			*wstatus = st;
			if (ret < 0)
				goto out;
			goto ended; /* init killed what it left behind */
		}
		ret = 0;
	}
	c->ran = 1;
	protect_init_from_oom(c);
	if (pipe2(gop, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		ret = bs_fail(ERR, errno, "pipe");
		goto out;
	}
	parentfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (parentfd < 0) {
		ret = bs_fail(ERR, errno, "pidfd_open");
		goto out;
	}
	helper = fork();
	if (helper < 0) {
		ret = bs_fail(ERR, errno, "fork");
		goto out;
	}
	if (helper == 0) {
		close(gop[1]);
		close(errp[0]);
		close(c->ctl);
		exec_helper(c, argv, eo, gop[0], errp[1], parentfd);
	}
	close(gop[0]);
	close(errp[1]);
	gop[0] = errp[1] = -1;
	if (c->cg && (ret = bs_cgroup_attach(c->cg, helper, ERR)) < 0) {
		kill(helper, SIGKILL);
		wait_child(helper, &st);
		goto out;
	}
	if (write(gop[1], "G", 1) != 1) {
		ret = bs_fail(ERR, errno, "starting the exec helper");
		kill(helper, SIGKILL);
		wait_child(helper, &st);
		goto out;
	}
	close(gop[1]);
	gop[1] = -1;
	wait_child(helper, &st);
	/* messages until every writer is gone: the command's copy closes at
	 * exec. A process left in the context could stop the command before
	 * that: the timeout holds here too. */
	for (;;) {
		struct pollfd p = { .fd = errp[0], .events = POLLIN };
		int tmo = -1;
		ssize_t n;

		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			tmo = left > 0 ? (int)(left > 0x7fffffff ? 0x7fffffff : left) : 0;
		}
		n = poll(&p, 1, tmo);
		if (n < 0 && errno == EINTR) {
			if (bs_interrupted() && !interrupted) { /* Ctrl-C: the command dies now */
				interrupted = 1;
				deadline = 0;
			}
			continue;
		}
		if (n == 0) {
			if (cmd > 0)
				kill(cmd, SIGKILL);
			timed_out = !interrupted;
			deadline = -1; /* the command dies now: wait for the end of file */
			continue;
		}
		n = read(errp[0], &m, sizeof m);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof m)
			break;
		if (m.op == 'P')
			cmd = m.pid;
		else if (m.op == 'E' && !failure.op)
			failure = m;
	}
	if (interrupted && cmd > 0)
		kill(cmd, SIGKILL); /* (it may have started after the interruption) */
	if (cmd > 0) {
		int watchfd = eo->watch ? eo->watch_fd : -1;

		bfd = timed_out ? -1 : (int)syscall(SYS_pidfd_open, cmd, 0);
		for (;;) {
			struct pollfd p[3] = { { .fd = bfd, .events = POLLIN }, { .fd = c->pidfd, .events = POLLIN },
					       { .fd = watchfd, .events = POLLIN } };
			int tmo = -1, r;

			if (bfd < 0)
				break;
			if (deadline >= 0) {
				int64_t left = deadline - now_ms();

				tmo = left > 0 ? (int)(left > 0x7fffffff ? 0x7fffffff : left) : 0;
			}
			r = poll(p, 3, tmo);
			if (r < 0 && errno == EINTR && bs_interrupted()) {
				syscall(SYS_pidfd_send_signal, bfd, SIGKILL, NULL, 0);
				interrupted = 1;
				break;
			}
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0) {
				syscall(SYS_pidfd_send_signal, bfd, SIGKILL, NULL, 0);
				timed_out = 1;
				break;
			}
			if (r < 0 || (p[0].revents & POLLIN))
				break;
			if (p[2].revents) {
				if (p[2].revents & POLLIN)
					eo->watch(eo->watch_arg, watchfd);
				else
					watchfd = -1; /* every writer is gone */
				continue;
			}
			if (p[1].revents & POLLIN) {
				/* init died (the context's time ran out, or someone killed
				 * it): the kernel kills the command with the namespace */
				break;
			}
		}
		wait_child(cmd, &st);
		*wstatus = st;
		if (bfd >= 0)
			close(bfd);
	}
	if (failure.op == 'E') {
		ret = bs_failx(ERR, failure.err > 0 ? failure.err : EIO, "%s", failure.text);
		goto out;
	}
	if (cmd <= 0) {
		ret = bs_failx(ERR, EIO, "exec %s: the helper ended without starting it (status 0x%x)", argv[0], st);
		goto out;
	}
	/* an attached context's other processes are its creator's business */
	if (bs_ctx_alive(c) && !eo->keep_orphans && !c->attached) {
		struct bs_cinit_msg km;
		int r = bs_cinit_send(c->ctl, 'K', 0, NULL);

		if (r == 0)
			r = bs_cinit_recv(c->ctl, &km, 10000);
		if (r == 0 && (km.op != 'k' || km.err < 0))
			r = km.err < 0 ? km.err : -EPROTO;
		if (r < 0) {
			struct pollfd p = { .fd = c->pidfd, .events = POLLIN };

			/* a closed channel means init is exiting (time ran out, or a
			 * kill): the context ended, with everything in it */
			if (r == -ETIMEDOUT || poll(&p, 1, 5000) != 1) {
				ret = bs_fail(ERR, -r, "killing what %s left behind", argv[0]);
				goto out;
			}
		}
	}
ended:
	/* did the context end meanwhile? */
	{
		struct pollfd p = { .fd = c->pidfd, .events = POLLIN };

		if (c->init_status < 0 && poll(&p, 1, 0) == 1) {
			reap_init(c);
			if (c->hit & BS_LIMIT_TIME)
				timed_out = 1;
		}
	}
	/* (the limits hit are read when asked for, and before the cgroup goes) */
	if (interrupted) {
		ret = bs_failx(ERR, EINTR, "%s: interrupted", argv[0]);
	} else if (timed_out) {
		c->hit |= BS_LIMIT_TIME;
		ret = bs_failx(ERR, ETIMEDOUT, "%s: killed by the %s timeout", argv[0],
			       bs_ctx_alive(c) ? "command" : "context");
	}
out:
	for (int i = 0; i < 2; i++) {
		if (gop[i] >= 0)
			close(gop[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (parentfd >= 0)
		close(parentfd);
	return ret;
}

/* ---- kill, wait, free ---- */

static int release(struct bs_ctx *c)
{
	int ret = 0, dead = c->init_status >= 0;

	if (c->pidfd >= 0) {
		close(c->pidfd);
		c->pidfd = -1;
	}
	if (c->ctl >= 0) {
		close(c->ctl);
		c->ctl = -1;
	}
	for (size_t i = 0; i < sizeof c->nsfd / sizeof *c->nsfd; i++)
		if (c->nsfd[i] >= 0) {
			close(c->nsfd[i]);
			c->nsfd[i] = -1;
		}
	if (c->sockpath) {
		if (!c->attached)
			unlink(c->sockpath);
		free(c->sockpath);
		c->sockpath = NULL;
	}
	if (c->cg && c->attached) {
		/* the creator removes the cgroup; only make sure nothing is left */
		if (dead)
			ret = bs_cgroup_kill(c->cg, 2000);
		bs_cgroup_close(c->cg);
		c->cg = NULL;
	} else if (c->cg) {
		update_hits(c);
		/* belt and braces: the PID namespace is gone with its init, so the
		 * cgroup is empty unless something escaped it */
		ret = bs_cgroup_kill(c->cg, 2000);
		if (bs_cgroup_destroy(c->cg) < 0 && !ret)
			ret = -EBUSY;
		c->cg = NULL;
	}
	bs_ns_free_range(&c->ids);
	return ret;
}

int bs_ctx_kill(struct bs_ctx *c)
{
	if (!c)
		return 0;
	if (c->pidfd >= 0 && c->init_status < 0) {
		/* SIGKILL to a PID namespace's init kills every process in it;
		 * init is reaped only once all of them are gone */
		if (syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0) < 0 && c->attached && errno != ESRCH) {
			int e = errno;

			release(c); /* not ours, and we may not kill it: do not wait for it */
			return -e;
		}
		reap_init(c);
	}
	return release(c);
}

int bs_ctx_wait(struct bs_ctx *c, int *wstatus)
{
	if (c->pidfd >= 0 && c->init_status < 0)
		reap_init(c);
	if (wstatus)
		*wstatus = c->init_status < 0 ? 0 : c->init_status;
	return release(c);
}

void bs_ctx_free(struct bs_ctx *c)
{
	if (!c)
		return;
	if (c->attached)
		release(c); /* not ours to kill */
	else
		bs_ctx_kill(c);
	bs_seccomp_free(c->filter);
	free_env(c->env);
	free(c->desc);
	free(c);
}

/* ---- running a function inside (mount_in) ---- */

int bs_ctx_run_in(struct bs_ctx *c, int (*fn)(void *arg, char *err, size_t errlen), void *arg, char *err,
		  size_t errlen)
{
	struct bs_exec_msg m;
	int p[2], st = 0, ret;
	pid_t pid;
	ssize_t n;

	if (!bs_ctx_alive(c))
		return bs_failx(ERR, ESRCH, "the context is dead");
	protect_init_from_oom(c);
	if (pipe2(p, O_CLOEXEC) < 0)
		return bs_fail(ERR, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		ret = bs_fail(ERR, errno, "fork");
		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (pid == 0) {
		char e[200] = "";

		close(p[0]);
		if (c->ctl >= 0)
			close(c->ctl);
		if ((ret = enter_namespaces(c)) < 0)
			bs_fail(e, sizeof e, -ret, "entering the context (setns)");
		else if ((ret = bs_set_ids(0, 0, c->single_id_map, e, sizeof e)) >= 0 &&
			 (ret = bs_not_dumpable(e, sizeof e)) >= 0)
			ret = fn(arg, e, sizeof e);
		bs_exec_report(p[1], ret < 0 ? 'E' : 'P', -ret, 0, e);
		_exit(0);
	}
	close(p[1]);
	do
		n = read(p[0], &m, sizeof m);
	while (n < 0 && errno == EINTR);
	close(p[0]);
	wait_child(pid, &st);
	if (n != (ssize_t)sizeof m)
		return bs_failx(ERR, EIO, "the helper entering the context ended (status 0x%x)", st);
	if (m.op == 'E')
		return bs_failx(ERR, m.err > 0 ? m.err : EIO, "%s", m.text);
	return 0;
}
