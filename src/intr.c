/* Interruption: a flag set by signal handlers, turned into one Lua error. */
#include "intr.h"
#include "exitcodes.h"
#include "lbs.h"
#include "log.h"

#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

static volatile sig_atomic_t caught;
static void hook(lua_State *L, lua_Debug *ar);
static int raised;

static void on_signal(int sig)
{
	if (!caught)
		caught = sig;
}

void bs_intr_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int bs_interrupted(void)
{
	return caught;
}

int bs_intr_consume(void)
{
	if (caught)
		raised = 1;
	return caught;
}

static double cpu_limit = BS_LUA_CPU_LIMIT_DEFAULT, cpu_next;
static int cpu_strikes;
static unsigned hook_calls;

void bs_intr_set_cpu_limit(double seconds)
{
	cpu_limit = seconds > 0 ? seconds : BS_LUA_CPU_LIMIT_DEFAULT;
	cpu_next = cpu_limit;
	cpu_strikes = 0;
}

static double cpu_seconds(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The CPU budget: an error at the limit; after a grace period (cleanup runs
 * Lua too) another; a third time bsrun exits at once. */
static void check_cpu(lua_State *L)
{
	double used, grace = cpu_limit / 2;
	char msg[200];

	if (cpu_next <= 0)
		cpu_next = cpu_limit;
	if ((used = cpu_seconds()) < cpu_next)
		return;
	cpu_next = used + grace;
	snprintf(msg, sizeof msg,
		 "the recipe or policy ran for more than %g s of CPU time (an endless loop?); "
		 "the limit is BSRUN_LUA_CPU_LIMIT", cpu_limit);
	if (++cpu_strikes >= 3) {
		bs_log(BS_LOG_ERROR, "%s; it went on regardless: exiting", msg);
		exit(BS_EXIT_LIMIT);
	}
	bs_lua_push_error(L, BS_EXIT_LIMIT, msg);
	lua_error(L);
}

static void hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	if ((++hook_calls & 15) == 0)
		check_cpu(L);
	if (!caught || raised)
		return;
	raised = 1;
	{
		char msg[64];
		const char *name = sigabbrev_np(caught);

		snprintf(msg, sizeof msg, "interrupted by SIG%s", name ? name : "?");
		bs_lua_push_error(L, BS_EXIT_INTR, msg);
	}
	lua_error(L);
}

void bs_intr_hook(lua_State *L)
{
	lua_sethook(L, hook, LUA_MASKCOUNT, 1000);
}
