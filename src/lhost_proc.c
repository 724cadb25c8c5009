/* bsrun_host.spawn / wait_any: child processes for bsrun's trusted Lua (the
 * chain scheduler's backends start bsrun, sbatch, createrepo_c with them). */
#include "lhost.h"
#include "intr.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROC_MT "bsrun_host.process"
#define MAX_ARGS 4096

struct proc {
	pid_t pid;
	int done;   /* reaped */
	int status; /* waitpid status once done */
};

static struct proc *check_proc(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, PROC_MT);
}

/* Opens a redirection target: a path (created 0644, truncated unless
 * append), or /dev/null when absent. */
static int open_target(lua_State *L, int opts, const char *key, int out)
{
	const char *path = "/dev/null";
	int flags = out ? O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC : O_RDONLY | O_CLOEXEC;
	int fd;

	if (opts && lua_getfield(L, opts, key) != LUA_TNIL) {
		path = luaL_checkstring(L, -1);
		if (out) {
			lua_getfield(L, opts, "append");
			flags |= lua_toboolean(L, -1) ? O_APPEND : O_TRUNC;
			lua_pop(L, 1);
		}
	}
	if (opts)
		lua_pop(L, 1);
	fd = open(path, flags, 0644);
	return fd < 0 ? -errno : fd;
}

/* Whether stdout and stderr name the same file. */
static int same_target(lua_State *L, int opts)
{
	int same;

	if (!opts)
		return 0;
	lua_getfield(L, opts, "stdout");
	lua_getfield(L, opts, "stderr");
	same = lua_type(L, -1) == LUA_TSTRING && lua_type(L, -2) == LUA_TSTRING &&
	       strcmp(lua_tostring(L, -1), lua_tostring(L, -2)) == 0;
	lua_pop(L, 2);
	return same;
}

/* bsrun_host.spawn(argv [, {stdout = path, stderr = path, append = bool}])
 * → process, or nil, msg, errno. argv[1] is run as is when it holds a '/',
 * else looked up in PATH; stdin is /dev/null, stdout/stderr the files given
 * (else /dev/null; the same path for both shares one file). */
static int h_spawn(lua_State *L)
{
	lua_Integer n;
	const char **argv;
	int opts = 0, fds[3], e;
	struct proc *p;
	sigset_t all, old;
	pid_t pid;

	luaL_checktype(L, 1, LUA_TTABLE);
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		opts = 2;
	}
	n = luaL_len(L, 1);
	if (n < 1 || n > MAX_ARGS)
		return luaL_error(L, "bsrun_host.spawn: argv must have 1 to %d words", MAX_ARGS);
	argv = lua_newuserdatauv(L, sizeof *argv * (size_t)(n + 1), 1);
	lua_newtable(L); /* keeps the strings alive */
	for (lua_Integer i = 1; i <= n; i++) {
		if (lua_rawgeti(L, 1, i) != LUA_TSTRING)
			return luaL_error(L, "bsrun_host.spawn: argv[%d] is not a string", (int)i);
		argv[i - 1] = lua_tostring(L, -1);
		lua_rawseti(L, -2, i);
	}
	lua_setiuservalue(L, -2, 1);
	argv[n] = NULL;
	fds[0] = open_target(L, 0, "stdin", 0);
	fds[1] = open_target(L, opts, "stdout", 1);
	if (same_target(L, opts))
		fds[2] = fds[1] >= 0 ? fcntl(fds[1], F_DUPFD_CLOEXEC, 3) : fds[1];
	else
		fds[2] = open_target(L, opts, "stderr", 1);
	for (int i = 0; i < 3; i++)
		if (fds[i] < 0) {
			e = -fds[i];
			for (int j = 0; j < 3; j++)
				if (fds[j] >= 0)
					close(fds[j]);
			luaL_pushfail(L);
			lua_pushfstring(L, "cannot open the %s of %s: %s", i == 1 ? "stdout" : i ? "stderr" : "stdin",
					argv[0], strerror(e));
			lua_pushinteger(L, e);
			return 3;
		}
	p = lua_newuserdatauv(L, sizeof *p, 0);
	memset(p, 0, sizeof *p);
	p->done = 1;
	luaL_setmetatable(L, PROC_MT);
	fflush(NULL);
	/* every signal blocked across fork: the child must not run the
	 * parent's handlers before it has reset them */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (int i = 0; i < 3; i++)
			if (dup2(fds[i], i) < 0)
				_exit(127);
		if (strchr(argv[0], '/'))
			execv(argv[0], (char *const *)argv);
		else
			execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	if (pid < 0) {
		luaL_pushfail(L);
		lua_pushfstring(L, "cannot start %s: %s", argv[0], strerror(e));
		lua_pushinteger(L, e);
		return 3;
	}
	p->pid = pid;
	p->done = 0;
	return 1;
}

/* Reaps p when it has ended (block: wait for it). Returns 1 when done. */
static int reap(struct proc *p, int block)
{
	pid_t r;

	if (p->done)
		return 1;
	do
		r = waitpid(p->pid, &p->status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR && !(block && bs_interrupted()));
	if (r == p->pid || (r < 0 && errno == ECHILD)) {
		p->done = 1;
		return 1;
	}
	return 0;
}

/* Pushes "exit", code or "signal", signo of a reaped process. */
static int push_status(lua_State *L, const struct proc *p)
{
	if (WIFEXITED(p->status)) {
		lua_pushliteral(L, "exit");
		lua_pushinteger(L, WEXITSTATUS(p->status));
	} else {
		lua_pushliteral(L, "signal");
		lua_pushinteger(L, WIFSIGNALED(p->status) ? WTERMSIG(p->status) : 0);
	}
	return 2;
}

/* process:poll() → nil while it runs, else "exit", code | "signal", signo. */
static int p_poll(lua_State *L)
{
	struct proc *p = check_proc(L, 1);

	if (!reap(p, 0)) {
		lua_pushnil(L);
		return 1;
	}
	return push_status(L, p);
}

/* process:wait() → "exit", code | "signal", signo (blocks; an interruption
 * of bsrun returns nil, "interrupted"). */
static int p_wait(lua_State *L)
{
	struct proc *p = check_proc(L, 1);

	if (!reap(p, 1)) {
		lua_pushnil(L);
		lua_pushliteral(L, "interrupted");
		return 2;
	}
	return push_status(L, p);
}

/* process:kill([signo = SIGTERM]) → true (nothing when it has ended). */
static int p_kill(lua_State *L)
{
	struct proc *p = check_proc(L, 1);
	int sig = (int)luaL_optinteger(L, 2, SIGTERM);

	if (!p->done)
		kill(p->pid, sig);
	lua_pushboolean(L, 1);
	return 1;
}

/* process:pid() → the process id. */
static int p_pid(lua_State *L)
{
	lua_pushinteger(L, check_proc(L, 1)->pid);
	return 1;
}

/* A process object collected while its process runs: SIGTERM, then reaped,
 * so that no child outlives bsrun's Lua state. */
static int p_gc(lua_State *L)
{
	struct proc *p = check_proc(L, 1);

	if (!p->done) {
		kill(p->pid, SIGTERM);
		while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
			;
		p->done = 1;
	}
	return 0;
}

/* bsrun_host.wait_any(list of processes [, timeout seconds]) → the first
 * one found ended (reaped) and its index, or nil after the timeout (none:
 * wait without end) or an interruption of bsrun. */
static int h_wait_any(lua_State *L)
{
	double timeout = luaL_optnumber(L, 2, -1);
	struct timespec t0, now, nap = { 0, 50 * 1000 * 1000 };
	lua_Integer n;

	luaL_checktype(L, 1, LUA_TTABLE);
	n = luaL_len(L, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (lua_Integer i = 1; i <= n; i++) {
			lua_rawgeti(L, 1, i);
			if (reap(check_proc(L, -1), 0)) {
				lua_pushinteger(L, i);
				return 2;
			}
			lua_pop(L, 1);
		}
		if (bs_interrupted())
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout >= 0 && (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 >= timeout)
			break;
		nanosleep(&nap, NULL);
	}
	lua_pushnil(L);
	return 1;
}

void bs_lua_open_host_proc(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "poll", p_poll }, { "wait", p_wait }, { "kill", p_kill }, { "pid", p_pid }, { NULL, NULL },
	};

	if (luaL_newmetatable(L, PROC_MT)) {
		luaL_newlib(L, methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, p_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_pop(L, 1);
	lua_pushcfunction(L, h_spawn);
	lua_setfield(L, -2, "spawn");
	lua_pushcfunction(L, h_wait_any);
	lua_setfield(L, -2, "wait_any");
}
