/* Shared declarations of bsrun's Check unit tests. */
#ifndef BSRUN_TESTS_H
#define BSRUN_TESTS_H

#include <check.h>
#include <lua.h>

#ifndef BSRUN_SRCDIR
#define BSRUN_SRCDIR "."
/* Removes the directory tree at path (a test's own temporary directory),
 * without following symlinks or crossing mounts. */
void rm_rf(const char *path);

#endif

Suite *cli_suite(void);
Suite *sanitize_suite(void);
Suite *sandbox_suite(void);
Suite *lhost_suite(void);
Suite *bindings_suite(void);
Suite *policy_suite(void);
Suite *driver_suite(void);
Suite *results_suite(void);
Suite *fs_suite(void);
Suite *ctx_suite(void);
Suite *ctxcmd_suite(void);
Suite *rootless_suite(void);
Suite *repo_suite(void);
Suite *mountin_suite(void);
Suite *lbs_fs_suite(void);
Suite *install_suite(void);
Suite *rpmhdr_suite(void);
Suite *image_suite(void);
Suite *stale_suite(void);
Suite *scfilter_suite(void);
Suite *initcfg_suite(void);

/* The bs.rpm tests, added to the repo suite's test case (it builds the fixtures). */
void repo_lua_tests(TCase *tc);

/* The package cache tests, added to the repo suite's test case too. */
void pkgcache_tests(TCase *tc);

/* Runs chunk `code` in L; fails the test with the error message if it raises.
 * Leaves the chunk's first result on the stack. */
void run_lua(lua_State *L, const char *code);

/* Runs chunk `code` in L and returns the error message it raised (a static
 * copy), or NULL when it ran without error. */
const char *lua_error_of(lua_State *L, const char *code);

/* Removes the directory tree at path (a test's own temporary directory),
 * without following symlinks or crossing mounts. */
void rm_rf(const char *path);

#endif
