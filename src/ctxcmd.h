/* `bsrun ctx list|exec|kill`: live contexts from the command line. */
#ifndef BSRUN_CTXCMD_H
#define BSRUN_CTXCMD_H

#include <stddef.h>
#include <stdio.h>

/* Runs the subcommand in words[0..n) (the words after "ctx"); table output
 * goes to out, messages through bs_log. Returns bsrun's exit code: for exec
 * the command's exit status (128+N when signal N ended it, 127 when it could
 * not be found, 126 when it could not be executed); 2 for a usage error, an
 * unknown context or a caller who is neither the context's owner nor root;
 * 4 when entering or killing failed. Never exits the process. */
int bs_ctxcmd_run(char *const *words, size_t n, FILE *out);

#endif
