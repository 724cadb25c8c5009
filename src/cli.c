/* Command-line parsing and validation with popt. */
#include "cli.h"
#include "exitcodes.h"

#include <ctype.h>
#include <errno.h>
#include <popt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_POLICY = 1, OPT_RESULTDIR, OPT_DEFINE, OPT_WITH, OPT_WITHOUT, OPT_KEEP, OPT_SHELL,
	OPT_JOBS, OPT_DRYRUN, OPT_QUIET, OPT_VERBOSE, OPT_HELP, OPT_VERSION, OPT_OLDER_THAN,
	OPT_CHAIN_REPO, OPT_SCHEDULER,
};

static const struct poptOption options[] = {
	{ "policy", 'p', POPT_ARG_STRING, NULL, OPT_POLICY, NULL, NULL },
	{ "resultdir", 'r', POPT_ARG_STRING, NULL, OPT_RESULTDIR, NULL, NULL },
	{ "define", 'D', POPT_ARG_STRING, NULL, OPT_DEFINE, NULL, NULL },
	{ "with", '\0', POPT_ARG_STRING, NULL, OPT_WITH, NULL, NULL },
	{ "without", '\0', POPT_ARG_STRING, NULL, OPT_WITHOUT, NULL, NULL },
	{ "keep", '\0', POPT_ARG_NONE, NULL, OPT_KEEP, NULL, NULL },
	{ "shell", '\0', POPT_ARG_NONE, NULL, OPT_SHELL, NULL, NULL },
	{ "jobs", 'j', POPT_ARG_STRING, NULL, OPT_JOBS, NULL, NULL },
	{ "dry-run", 'n', POPT_ARG_NONE, NULL, OPT_DRYRUN, NULL, NULL },
	{ "quiet", 'q', POPT_ARG_NONE, NULL, OPT_QUIET, NULL, NULL },
	{ "verbose", 'v', POPT_ARG_NONE, NULL, OPT_VERBOSE, NULL, NULL },
	{ "help", 'h', POPT_ARG_NONE, NULL, OPT_HELP, NULL, NULL },
	{ "version", 'V', POPT_ARG_NONE, NULL, OPT_VERSION, NULL, NULL },
	{ "older-than", '\0', POPT_ARG_STRING, NULL, OPT_OLDER_THAN, NULL, NULL },
	{ "chain-repo", '\0', POPT_ARG_STRING, NULL, OPT_CHAIN_REPO, NULL, NULL },
	{ "scheduler", '\0', POPT_ARG_STRING, NULL, OPT_SCHEDULER, NULL, NULL },
	POPT_TABLEEND
};

static const char help_text[] =
	"Usage: bsrun [OPTIONS] RECIPE PKG.src.rpm...\n"
	"       bsrun [OPTIONS] [-j N] [--scheduler=local|slurm] RECIPE PKG.src.rpm|DIR|@LIST...\n"
	"       bsrun policy check|show|get [POLICY...]\n"
	"       bsrun ctx list | exec ID -- CMD... | kill ID\n"
	"       bsrun cache list|verify|prune [--older-than=DAYS] [KEY...]\n"
	"\n"
	"Rebuild untrusted RPM source packages in sealed, fresh build contexts.\n"
	"RECIPE is a file, or a name in the recipes directory (rpmbuild = recipes/rpmbuild.lua).\n"
	"\n"
	"Options:\n"
	"  -p, --policy=NAME|FILE    target distribution policy (default: hostdist)\n"
	"  -r, --resultdir=DIR       where results and logs go\n"
	"                            (default: ./results/PACKAGE)\n"
	"  -D, --define='NAME VALUE' define an rpm macro for the build (repeatable)\n"
	"      --with=FEATURE        build with a conditional feature (repeatable)\n"
	"      --without=FEATURE     build without a conditional feature (repeatable)\n"
	"      --keep                keep the build root afterwards (mounted) and say where it is\n"
	"      --shell               open a shell in the build's context after the build\n"
	"  -j, --jobs=N              build up to N packages at once (1-256, default 1)\n"
	"      --scheduler=NAME      where a chain's builds run: local (default) or slurm\n"
	"      --chain-repo=DIR      use the rpm-md repository DIR before the policy's and\n"
	"                            publish the RPMs built into it (createrepo_c, locked)\n"
	"\n"
	"Several packages (or DIR: its *.src.rpm; @LIST: a file naming one per line) are\n"
	"a chain: BuildRequires are mapped to the packages the set produces and they are\n"
	"built in dependency order into -r DIR (default ./results): DIR/NVR per package,\n"
	"DIR/repo, DIR/chain.json. See doc/chains.md.\n"
	"  -n, --dry-run             check the inputs and print the plan; build nothing\n"
	"  -q, --quiet               only warnings and errors\n"
	"  -v, --verbose             more detail (repeat for a Lua traceback on errors)\n"
	"  -h, --help                show this help and exit\n"
	"  -V, --version             show the version and exit\n"
	"\n"
	"Policy commands:\n"
	"  bsrun policy check [POLICY...]   validate policies (default: all shipped ones)\n"
	"  bsrun policy show POLICY         print the merged, normalized policy\n"
	"  bsrun policy get POLICY KEY      print one value for scripts (KEY: a dotted\n"
	"                                   path, e.g. universe, names, repos.1.url)\n"
	"\n"
	"Context commands (live build contexts, see bsrun(1)):\n"
	"  bsrun ctx list                   ID, owner, uptime, processes, memory, root, command;\n"
	"                                   what a dead bsrun left is shown as stale\n"
	"  bsrun ctx exec ID -- CMD [ARG...] run CMD as root inside context ID (stdio passed\n"
	"                                   through; exits with CMD's status)\n"
	"  bsrun ctx kill ID                end context ID and every process in it\n"
	"  bsrun ctx clean                  remove what killed bsruns left (roots, mounts, cgroups,\n"
	"                                   registry entries); a build does this when it starts\n"
	"  Only a context's owner or root may exec into or kill it (else exit 2).\n"
	"\n"
	"Cache commands (base images; $BSRUN_CACHEDIR/images, default /var/cache/bsrun/images):\n"
	"  bsrun cache list                 key, policy, packages, size and last use of each image\n"
	"  bsrun cache verify [KEY...]      re-hash every file against its manifest (exit 1 on a mismatch)\n"
	"  bsrun cache prune [--older-than=DAYS] [KEY...]\n"
	"                                   remove images unused for DAYS days (default: all unused),\n"
	"                                   images that fail their check and abandoned staging trees\n"
	"\n"
	"Exit codes:\n"
	"  0  success\n"
	"  1  the package failed to build\n"
	"  2  usage error or bad input (unknown option, unreadable or malformed file,\n"
	"     invalid policy or recipe)\n"
	"  3  unresolvable dependencies\n"
	"  4  infrastructure failure (repository unreachable, missing kernel feature,\n"
	"     disk full)\n"
	"  5  a limit was hit (the policy's memory, pids, disk or time limit, or the\n"
	"     CPU budget of the recipe's and policy's Lua code)\n"
	"  A chain exits 0 when every package built, 1 when some failed or were skipped,\n"
	"  2 for a dependency cycle or bad input, 4 when its repository cannot be made.\n"
	"  130  interrupted (Ctrl-C, SIGTERM, SIGHUP); the build was torn down\n"
	"\n"
	"See bsrun(1), doc/policies.md and doc/recipes.md.\n";

void bs_cli_help(FILE *out)
{
	fputs(help_text, out);
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return BS_EXIT_USAGE;
}

static int strv_push(struct bs_strv *sv, const char *s)
{
	char **nv = realloc(sv->v, (sv->n + 2) * sizeof *nv);

	if (!nv)
		return -ENOMEM;
	sv->v = nv;
	if (!(sv->v[sv->n] = strdup(s)))
		return -ENOMEM;
	sv->v[++sv->n] = NULL;
	return 0;
}

static void strv_free(struct bs_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

static int strv_has(const struct bs_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int bs_cli_valid_macro_name(const char *s, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

int bs_cli_valid_feature(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

int bs_cli_valid_policy_name(const char *s)
{
	if (!isalnum((unsigned char)s[0]))
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

/* Validates -D 'NAME VALUE' and stores it as "NAME VALUE" without a leading '%'. */
static int add_define(struct bs_opts *o, const char *arg, char *err, size_t errlen)
{
	const char *name = arg[0] == '%' ? arg + 1 : arg;
	size_t nlen = strcspn(name, " \t");
	const char *value = name + nlen;

	if (!*value)
		return fail(err, errlen, "--define '%s': expected 'NAME VALUE'", arg);
	if (!bs_cli_valid_macro_name(name, nlen))
		return fail(err, errlen, "--define '%s': '%.*s' is not a macro name (letters, digits, _)",
			    arg, (int)nlen, name);
	value += strspn(value, " \t");
	if (has_control(value))
		return fail(err, errlen, "--define %.*s: the value must be one line without control characters",
			    (int)nlen, name);
	{
		size_t len = nlen + 1 + strlen(value) + 1;
		char *norm = malloc(len);
		int r;

		if (!norm)
			return fail(err, errlen, "out of memory");
		snprintf(norm, len, "%.*s %s", (int)nlen, name, value);
		r = strv_push(&o->defines, norm);
		free(norm);
		if (r < 0)
			return fail(err, errlen, "out of memory");
	}
	return 0;
}

static int set_jobs(struct bs_opts *o, const char *arg, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 1 || v > BS_MAX_JOBS)
		return fail(err, errlen, "--jobs '%s': expected a whole number from 1 to %d", arg, BS_MAX_JOBS);
	o->jobs = (int)v;
	return 0;
}

static int set_days(struct bs_opts *o, const char *arg, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0 || v > 100000)
		return fail(err, errlen, "--older-than '%s': expected a whole number of days", arg);
	o->older_than = (int)v;
	return 0;
}

static int set_string(char **slot, const char *opt, const char *arg, char *err, size_t errlen)
{
	if (!*arg)
		return fail(err, errlen, "%s needs a non-empty argument", opt);
	if (has_control(arg))
		return fail(err, errlen, "%s: the argument contains control characters", opt);
	free(*slot);
	if (!(*slot = strdup(arg)))
		return fail(err, errlen, "out of memory");
	return 0;
}

static int handle_opt(struct bs_opts *o, int rc, const char *arg, int *quiet, char *err, size_t errlen)
{
	switch (rc) {
	case OPT_POLICY:
		if (set_string(&o->policy, "--policy", arg, err, errlen))
			return BS_EXIT_USAGE;
		if (!strchr(arg, '/') && !(strlen(arg) > 4 && strcmp(arg + strlen(arg) - 4, ".lua") == 0) &&
		    !bs_cli_valid_policy_name(arg))
			return fail(err, errlen, "--policy '%s': not a policy name (letters, digits, . _ -) or a file", arg);
		return 0;
	case OPT_RESULTDIR:
		return set_string(&o->resultdir, "--resultdir", arg, err, errlen);
	case OPT_DEFINE:
		return add_define(o, arg, err, errlen);
	case OPT_WITH:
	case OPT_WITHOUT: {
		const char *opt = rc == OPT_WITH ? "--with" : "--without";
		struct bs_strv *mine = rc == OPT_WITH ? &o->with : &o->without;
		struct bs_strv *other = rc == OPT_WITH ? &o->without : &o->with;

		if (!bs_cli_valid_feature(arg))
			return fail(err, errlen, "%s '%s': a feature name is letters, digits and _", opt, arg);
		if (strv_has(other, arg))
			return fail(err, errlen, "--with %s and --without %s contradict each other", arg, arg);
		if (!strv_has(mine, arg) && strv_push(mine, arg) < 0)
			return fail(err, errlen, "out of memory");
		return 0;
	}
	case OPT_KEEP:
		o->keep = 1;
		return 0;
	case OPT_SHELL:
		o->shell = 1;
		return 0;
	case OPT_JOBS:
		return set_jobs(o, arg, err, errlen);
	case OPT_CHAIN_REPO:
		return set_string(&o->chain_repo, "--chain-repo", arg, err, errlen);
	case OPT_SCHEDULER:
		if (strcmp(arg, "local") != 0 && strcmp(arg, "slurm") != 0)
			return fail(err, errlen, "--scheduler '%s': expected local or slurm", arg);
		return set_string(&o->scheduler, "--scheduler", arg, err, errlen);
	case OPT_OLDER_THAN:
		return set_days(o, arg, err, errlen);
	case OPT_DRYRUN:
		o->dry_run = 1;
		return 0;
	case OPT_QUIET:
		*quiet = 1;
		return 0;
	case OPT_VERBOSE:
		o->verbosity++;
		return 0;
	case OPT_HELP:
		o->cmd = BS_CMD_HELP;
		return 0;
	case OPT_VERSION:
		if (o->cmd != BS_CMD_HELP)
			o->cmd = BS_CMD_VERSION;
		return 0;
	}
	return fail(err, errlen, "internal error: unhandled option %d", rc);
}

static int popt_failure(poptContext pc, int rc, char *err, size_t errlen)
{
	const char *opt = poptBadOption(pc, 0);

	switch (rc) {
	case POPT_ERROR_BADOPT:
		return fail(err, errlen, "unknown option '%s' (see bsrun --help)", opt);
	case POPT_ERROR_NOARG:
		return fail(err, errlen, "option '%s' needs an argument (see bsrun --help)", opt);
	default:
		return fail(err, errlen, "%s: %s (see bsrun --help)", opt, poptStrerror(rc));
	}
}

/* Assigns the leftover words: subcommand or RECIPE, then arguments. */
static int take_args(struct bs_opts *o, poptContext pc, char *err, size_t errlen)
{
	const char *first = poptGetArg(pc);
	const char *a;

	if (o->cmd == BS_CMD_HELP || o->cmd == BS_CMD_VERSION)
		return 0;
	if (!first)
		return fail(err, errlen, "missing RECIPE and PKG.src.rpm (see bsrun --help)");
	if (strcmp(first, "policy") == 0)
		o->cmd = BS_CMD_POLICY;
	else if (strcmp(first, "ctx") == 0)
		o->cmd = BS_CMD_CTX;
	else if (strcmp(first, "cache") == 0)
		o->cmd = BS_CMD_CACHE;
	else if (!*first)
		return fail(err, errlen, "RECIPE must not be empty");
	else if (!(o->recipe = strdup(first)))
		return fail(err, errlen, "out of memory");
	while ((a = poptGetArg(pc)))
		if (strv_push(&o->args, a) < 0)
			return fail(err, errlen, "out of memory");
	if (o->older_than >= 0 && !(o->cmd == BS_CMD_CACHE && o->args.n && strcmp(o->args.v[0], "prune") == 0))
		return fail(err, errlen, "--older-than only goes with 'bsrun cache prune'");
	if (o->cmd == BS_CMD_BUILD && o->args.n == 0)
		return fail(err, errlen, "missing PKG.src.rpm after recipe '%s' (see bsrun --help)", o->recipe);
	for (size_t i = 0; i < o->args.n && o->cmd != BS_CMD_CTX; i++) {
		if (!*o->args.v[i])
			return fail(err, errlen, "an empty argument is not a file name");
		if (has_control(o->args.v[i]))
			return fail(err, errlen, "argument %zu contains control characters", i + 1);
	}
	return 0;
}

int bs_cli_parse(int argc, const char **argv, struct bs_opts *o, char *err, size_t errlen)
{
	poptContext pc;
	int rc, quiet = 0, ret = 0;

	memset(o, 0, sizeof *o);
	o->jobs = 1;
	o->older_than = -1;
	err[0] = '\0';
	pc = poptGetContext("bsrun", argc, argv, options, 0);
	if (!pc)
		return fail(err, errlen, "out of memory");
	while ((rc = poptGetNextOpt(pc)) > 0) {
		char *arg = poptGetOptArg(pc);

		ret = handle_opt(o, rc, arg ? arg : "", &quiet, err, errlen);
		free(arg);
		if (ret)
			goto out;
	}
	if (rc < -1) {
		ret = popt_failure(pc, rc, err, errlen);
		goto out;
	}
	if (quiet && o->verbosity > 0) {
		ret = fail(err, errlen, "--quiet and --verbose cannot be combined");
		goto out;
	}
	if (quiet)
		o->verbosity = -1;
	ret = take_args(o, pc, err, errlen);
out:
	poptFreeContext(pc);
	return ret;
}

void bs_cli_free(struct bs_opts *o)
{
	free(o->policy);
	free(o->resultdir);
	free(o->recipe);
	free(o->chain_repo);
	free(o->scheduler);
	strv_free(&o->defines);
	strv_free(&o->with);
	strv_free(&o->without);
	strv_free(&o->args);
	memset(o, 0, sizeof *o);
}
