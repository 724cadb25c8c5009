/* bsrun: entry point — parse the command line, find the data directory, dispatch. */
#include "cachecmd.h"
#include "cli.h"
#include "ctxcmd.h"
#include "exitcodes.h"
#include "intr.h"
#include "log.h"
#include "lrun.h"
#include "paths.h"
#include "stale.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* What a killed bsrun left, removed as a build starts: said once per thing. */
static void stale_note(void *ud, const char *what, const char *name, int removed)
{
	(void)ud;
	if (removed)
		bs_log(BS_LOG_INFO, "removed stale %s %s (left by a bsrun that was killed)", what, name);
	else
		bs_log(BS_LOG_WARN, "could not remove stale %s %s (left by a bsrun that was killed)", what, name);
}

int main(int argc, char **argv)
{
	struct bs_opts o;
	char err[512], datadir[PATH_MAX];
	int code, r;

	code = bs_cli_parse(argc, (const char **)argv, &o, err, sizeof err);
	if (code) {
		bs_log(BS_LOG_ERROR, "%s", err);
		bs_cli_free(&o);
		return code;
	}
	bs_log_set_level(bs_log_level_for_verbosity(o.verbosity));
	switch (o.cmd) {
	case BS_CMD_HELP:
		bs_cli_help(stdout);
		code = BS_EXIT_OK;
		goto out;
	case BS_CMD_VERSION:
		printf("bsrun %s\n", BSRUN_VERSION);
		code = BS_EXIT_OK;
		goto out;
	case BS_CMD_CTX:
		code = bs_ctxcmd_run(o.args.v, o.args.n, stdout);
		goto out;
	case BS_CMD_CACHE:
		code = bs_cache_command(&o);
		goto out;
	default:
		break;
	}
	r = bs_find_datadir(datadir, sizeof datadir);
	if (r < 0) {
		bs_log(BS_LOG_ERROR, "cannot find bsrun's Lua library (looked in %s): %s", datadir, strerror(-r));
		code = BS_EXIT_INFRA;
		goto out;
	}
	bs_intr_install();
	if (o.cmd == BS_CMD_BUILD && !o.dry_run) {
		char why[512] = "";

		if (bs_stale_clean_all(0, stale_note, NULL, why, sizeof why) < 0)
			bs_log(BS_LOG_WARN, "cleaning what killed bsruns left: %s", why);
	}
	code = o.cmd == BS_CMD_POLICY ? bs_run_policy(&o, datadir) : bs_run_build(&o, datadir);
out:
	if (fflush(stdout) != 0 && code == BS_EXIT_OK) {
		bs_log(BS_LOG_ERROR, "cannot write output: %s", strerror(errno));
		code = BS_EXIT_INFRA;
	}
	bs_cli_free(&o);
	return code;
}
