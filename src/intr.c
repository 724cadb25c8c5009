/* Interruption: a flag set by signal handlers, turned into one Lua error. */
#include "intr.h"
#include "exitcodes.h"
#include "lbs.h"

#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t caught;
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

static void hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	if (!caught || raised)
		return;
	raised = 1;
	lua_sethook(L, NULL, 0, 0);
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
