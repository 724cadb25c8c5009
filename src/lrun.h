/* Top-level flows that run bsrun's Lua side: a build, and the policy commands. */
#ifndef BSRUN_LRUN_H
#define BSRUN_LRUN_H

#include "cli.h"

/* Runs `bsrun RECIPE PKG...`: the trusted state checks the inputs and loads the
 * policy (bsrun.main.prepare), then the recipe runs in a sandbox state
 * (bsrun.driver.run) with a copy of that plain data. Returns the exit code;
 * every failure has been reported as one log line. */
int bs_run_build(const struct bs_opts *o, const char *datadir);

/* Runs `bsrun policy check|show ...` in a trusted state; returns the exit code. */
int bs_run_policy(const struct bs_opts *o, const char *datadir);

#endif
