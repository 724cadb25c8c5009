/* Interruption (Ctrl-C, SIGTERM, SIGHUP): noted by a signal handler and
 * checked by long waits and by the Lua states, so that a build is torn down
 * through its normal cleanup instead of dying half-way. */
#ifndef BSRUN_INTR_H
#define BSRUN_INTR_H

#include <lua.h>

/* Installs handlers for SIGINT, SIGTERM and SIGHUP (without SA_RESTART, so
 * blocking calls return EINTR). */
void bs_intr_install(void);

/* The signal that interrupted bsrun, or 0. */
int bs_interrupted(void);

/* The signal that interrupted bsrun, or 0; after an interruption, the hook
 * below no longer raises (the caller handles it: cleanup runs undisturbed). */
int bs_intr_consume(void);

/* The default of the CPU budget of bsrun's Lua code (BSRUN_LUA_CPU_LIMIT). */
#define BS_LUA_CPU_LIMIT_DEFAULT 600.0

/* Sets the CPU budget: when bsrun's own CPU time (CLOCK_PROCESS_CPUTIME_ID;
 * builds run in other processes and do not count) passes it while Lua code
 * runs, the hook below raises a bsrun error (exit BS_EXIT_LIMIT) naming it;
 * once more after a grace period of half the limit for
 * cleanup, and a third time bsrun exits. 0 or less: the default. */
void bs_intr_set_cpu_limit(double seconds);

/* Makes L raise one bsrun error (exit BS_EXIT_INTR, "interrupted by
 * SIGNAME") at the next Lua instruction after an interruption; code run
 * afterwards (cleanup) is not interrupted again. The same hook enforces the
 * CPU budget above. */
void bs_intr_hook(lua_State *L);

#endif
