/* Command-line parsing and validation (popt). No I/O besides --help text. */
#ifndef BSRUN_CLI_H
#define BSRUN_CLI_H

#include <stddef.h>
#include <stdio.h>

enum bs_cmd {
	BS_CMD_BUILD,   /* bsrun RECIPE PKG.src.rpm... */
	BS_CMD_HELP,    /* --help */
	BS_CMD_VERSION, /* --version */
	BS_CMD_POLICY,  /* bsrun policy check|show ... */
	BS_CMD_CTX,     /* bsrun ctx list|exec|kill ... */
	BS_CMD_CACHE,   /* bsrun cache list|verify|prune ... */
};

struct bs_strv {
	char **v;
	size_t n;
};

struct bs_opts {
	enum bs_cmd cmd;
	char *policy;        /* -p: name or file; NULL = default */
	char *resultdir;     /* -r; NULL = default */
	struct bs_strv defines;  /* -D, normalized to "NAME VALUE" (no leading %) */
	struct bs_strv with;     /* --with */
	struct bs_strv without;  /* --without */
	int keep, shell, dry_run;
	int jobs;            /* -j, 1..BS_MAX_JOBS */
	int verbosity;       /* -1 quiet, 0 normal, n verbose */
	int older_than;      /* --older-than DAYS (cache prune); -1 = not given */
	char *chain_repo;    /* --chain-repo DIR; NULL = none */
	char *scheduler;     /* --scheduler local|slurm; NULL = local */
	char *recipe;        /* RECIPE (BS_CMD_BUILD) */
	struct bs_strv args; /* packages, or the subcommand's words */
};

#define BS_MAX_JOBS 256

/* Parses argv into *o (zeroed first). Returns 0 on success, or an exit code
 * (BS_EXIT_USAGE) with a one-line message in err. Never exits or prints. */
int bs_cli_parse(int argc, const char **argv, struct bs_opts *o, char *err, size_t errlen);

/* Frees everything bs_cli_parse allocated; safe on a zeroed or failed struct. */
void bs_cli_free(struct bs_opts *o);

/* Writes the --help text (every option and exit code) to out. */
void bs_cli_help(FILE *out);

/* Validators shared with the Lua side; each returns 1 when valid. */
int bs_cli_valid_macro_name(const char *s, size_t len);
int bs_cli_valid_feature(const char *s);
int bs_cli_valid_policy_name(const char *s);

#endif
