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

/* Makes L raise one bsrun error (exit BS_EXIT_INTR, "interrupted by
 * SIGNAME") at the next Lua instruction after an interruption; code run
 * afterwards (cleanup) is not interrupted again. */
void bs_intr_hook(lua_State *L);

#endif
