/* bsrun's exit codes, documented in --help and bsrun(1). */
#ifndef BSRUN_EXITCODES_H
#define BSRUN_EXITCODES_H

enum bs_exit {
	BS_EXIT_OK = 0,     /* success */
	BS_EXIT_BUILD = 1,  /* the package failed to build */
	BS_EXIT_USAGE = 2,  /* usage error or bad input: option, file, policy, recipe */
	BS_EXIT_DEPS = 3,   /* unresolvable dependencies */
	BS_EXIT_INFRA = 4,  /* infrastructure failure: repository, kernel feature, disk */
	BS_EXIT_LIMIT = 5,  /* a policy limit was hit: memory, pids, disk, time */
	BS_EXIT_INTR = 130, /* interrupted (Ctrl-C, SIGTERM, SIGHUP); everything torn down */
};

#endif
