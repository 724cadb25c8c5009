/* bs.fs and ctx:mount from Lua, and the trusted policy's guard: a recipe
 * (a sandbox state with a guard) cannot mount, bind, raise a limit or copy
 * out beyond what the policy allows. */
#include "ctx.h"
#include "fsin.h"
#include "lbs.h"
#include "lbs_guard.h"
#include "lstate.h"
#include "rmtree.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static lua_State *L;
static char base[64]; /* /tmp/bsrun-lfs.XXXXXX */

static const char prelude[] =
	"local bs = require 'bs'\n"
	/* exit code and message of the error f raises (nil exit for a plain error) */
	"local function raised(f, ...)\n"
	"  local ok, e = pcall(f, ...)\n"
	"  if ok then return 'no error' end\n"
	"  if type(e) == 'table' then return e.exit, e.message end\n"
	"  return nil, e\n"
	"end\n"
	"local function w(path, text) local f = assert(io.open(path, 'w')); f:write(text); f:close() end\n";

static void setglobal(const char *name, const char *val)
{
	lua_pushstring(L, val);
	lua_setglobal(L, name);
}

static int lua_true(const char *body)
{
	char code[8192];
	int r;

	snprintf(code, sizeof code, "%s%s", prelude, body);
	run_lua(L, code);
	r = lua_toboolean(L, -1);
	if (!r && lua_type(L, -1) == LUA_TSTRING)
		fprintf(stderr, "%s\n", lua_tostring(L, -1));
	lua_pop(L, 1);
	return r;
}

static void setup_state(enum bs_lua_kind kind)
{
	char p[128];

	snprintf(base, sizeof base, "/tmp/bsrun-lfs.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	chmod(base, 0755);
	L = bs_lua_new(kind, BSRUN_SRCDIR);
	ck_assert_ptr_nonnull(L);
	setglobal("BASE", base);
	snprintf(p, sizeof p, "%s/canary", base);
	ck_assert_int_eq(mkdir(p, 0777), 0);
	setglobal("CANARY", p);
	snprintf(p, sizeof p, "%s/canary/secret", base);
	{
		FILE *f = fopen(p, "w");
		fputs("HOST-SECRET", f);
		fclose(f);
	}
}

static void setup(void)
{
	setup_state(BS_LUA_TRUSTED);
}

static void teardown(void)
{
	int bfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	lua_close(L);
	ck_assert_int_eq(bs_remove_tree(bfd, base + strlen("/tmp/")), 0);
	close(bfd);
}

/* Kernel features valgrind 3.19 lacks (openat2, pidfd_open): tests that need
 * them say SKIP loudly. */
static int lacks(const char *func, int need_pidfd)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), in = bs_open_in(fd, ".", O_PATH, 0, 0);
	long pfd = need_pidfd ? syscall(SYS_pidfd_open, getpid(), 0) : 0;
	int missing = in == -ENOSYS || (pfd < 0 && errno == ENOSYS);

	if (in >= 0)
		close(in);
	if (pfd > 0)
		close((int)pfd);
	close(fd);
	if (missing)
		fprintf(stderr, "*** SKIP %s: %s is not available here (old kernel or valgrind) ***\n", func,
			in == -ENOSYS ? "openat2" : "pidfd_open");
	return missing;
}

#define NEED_KERNEL(pidfd)                     \
	do {                                   \
		if (lacks(__func__, pidfd))    \
			return;                \
	} while (0)

/* ---- bs.fs in a trusted state (no guard) ---- */

START_TEST(test_mkroot)
{
	ck_assert(lua_true("local r = assert(bs.fs.mkroot(BASE .. '/work/roots'))\n"
			   "local r2 = assert(bs.fs.mkroot(BASE .. '/work/roots'))\n"
			   "assert(r.path ~= r2.path and r.path:sub(1, #BASE + 12) == BASE .. '/work/roots/')\n"
			   "assert(tostring(r):find('bs.fs.root', 1, true))\n"
			   "assert(getmetatable(r) == false)\n"
			   "return r.path .. '|' .. r2.path"));
	run_lua(L, "local bs = require 'bs'\n"
		   "R = assert(bs.fs.mkroot(BASE .. '/work/roots')); return R.path");
	{
		char p[256], q[300];
		struct stat st;

		snprintf(p, sizeof p, "%s", lua_tostring(L, -1));
		lua_pop(L, 1);
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_int_eq(st.st_mode & 07777, 0755);
		snprintf(q, sizeof q, "%s/tmp", p);
		ck_assert_int_eq(stat(q, &st), 0);
		ck_assert_int_eq(st.st_mode & 07777, 01777);
		snprintf(q, sizeof q, "%s/proc", p);
		ck_assert_int_eq(stat(q, &st), 0);
		snprintf(q, sizeof q, "%s/dev", p);
		ck_assert_int_eq(stat(q, &st), 0);
		snprintf(q, sizeof q, "%s/work/roots", base);
		ck_assert_int_eq(stat(q, &st), 0);
		ck_assert_int_eq(st.st_mode & 07777, 0711);
		/* removal: the tree goes, twice is fine, the object says so */
		ck_assert(lua_true("assert(bs.fs.remove_tree(R)); assert(bs.fs.remove_tree(R))\n"
				   "return tostring(R):find('removed', 1, true) ~= nil"));
		ck_assert_int_ne(access(p, F_OK), 0);
		ck_assert(lua_true("local e, m = raised(bs.fs.read, R, 'x'); return m:find('removed', 1, true) ~= nil"));
	}
	/* a work directory others can write is refused */
	ck_assert(lua_true("os.execute('mkdir -m 0777 ' .. BASE .. '/open')\n"
			   "local r, msg, e = bs.fs.mkroot(BASE .. '/open')\n"
			   "return r == nil and msg:find('not private', 1, true) and e == 1"));
}
END_TEST

/* a hostile results tree made on the host: only regular in-limit files arrive */
START_TEST(test_copy_out)
{
	char p[256];
	FILE *f;

	NEED_KERNEL(0);
	f = popen("printf package-a | sha256sum", "r");
	ck_assert(f && fgets(p, 65, f));
	pclose(f);
	setglobal("SHA_A", p);

	ck_assert(lua_true("R = assert(bs.fs.mkroot(BASE .. '/work'))\n"
			   "os.execute('mkdir -p ' .. R.path .. '/res/sub')\n"
			   "w(R.path .. '/res/a.rpm', 'package-a'); w(R.path .. '/res/sub/b.rpm', 'bb')\n"
			   "os.execute('ln -s /etc/shadow ' .. R.path .. '/res/shadow')\n"
			   "os.execute('ln -s ' .. CANARY .. '/secret ' .. R.path .. '/res/canary')\n"
			   "os.execute('mkfifo ' .. R.path .. '/res/fifo')\n"
			   "os.execute('truncate -s 10G ' .. R.path .. '/res/huge')\n"
			   "return true"));
	run_lua(L, "return R.path");
	snprintf(p, sizeof p, "%s/res/null", lua_tostring(L, -1));
	lua_pop(L, 1);
	if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) < 0)
		printf("SKIP (partial): mknod needs root; device case not covered\n");
	ck_assert(lua_true("local rep = assert(bs.fs.copy_out(R, '/res', BASE .. '/out/x', { max_file = 1 << 20 }))\n"
			   "table.sort(rep.files, function(a, b) return a.name < b.name end)\n"
			   "assert(#rep.files == 2, #rep.files)\n"
			   "assert(rep.files[1].name == 'a.rpm' and rep.files[1].size == 9)\n"
			   /* sha256 of 'package-a' */
			   "assert(rep.files[1].sha256 == SHA_A, rep.files[1].sha256)\n"
			   "assert(rep.files[2].name == 'sub/b.rpm' and rep.files[2].size == 2)\n"
			   "local warn = table.concat(rep.warnings, '\\n')\n"
			   "assert(warn:find('shadow: symbolic link', 1, true), warn)\n"
			   "assert(warn:find('canary: symbolic link', 1, true), warn)\n"
			   "assert(warn:find('fifo: FIFO', 1, true), warn)\n"
			   "assert(warn:find('huge: file larger than the limit', 1, true), warn)\n"
			   "assert(io.open(BASE .. '/out/x/a.rpm'):read('a') == 'package-a')\n"
			   "assert(rep.bytes == 11)\n"
			   /* again: nothing is overwritten unless asked */
			   "local ok, msg, e, rep2 = bs.fs.copy_out(R, '/res', BASE .. '/out/x')\n"
			   "assert(ok == nil and e == 17 and type(rep2) == 'table', msg)\n"
			   "assert(bs.fs.copy_out(R, '/res', BASE .. '/out/x', { overwrite = true, max_file = 100 }))\n"
			   /* flatten */
			   "local rep3 = assert(bs.fs.copy_out(R, 'res', BASE .. '/flat', { flatten = true, max_file = 100 }))\n"
			   "assert(io.open(BASE .. '/flat/b.rpm'))\n"
			   /* a symlink on the source path raises; a missing one is nil, msg, errno */
			   "os.execute('ln -s /etc ' .. R.path .. '/etc-link')\n"
			   "local x, m = raised(bs.fs.copy_out, R, '/etc-link', BASE .. '/out/y')\n"
			   "assert(m:find('symbolic link', 1, true), m)\n"
			   "local n, m2, e2 = bs.fs.copy_out(R, '/nope', BASE .. '/out/z')\n"
			   "assert(n == nil and e2 == 2, m2)\n"
			   /* bs.results: the same copy into the staged result directory, flattened */
			   "local res = assert(bs.results.begin(BASE .. '/final'))\n"
			   "local rr = assert(res:copy_out(R, '/res', { max_file = 100 }))\n"
			   "assert(#rr.files == 2 and rr.files[1].file and #rr.warnings >= 4)\n"
			   "assert(res:commit() == BASE .. '/final')\n"
			   "assert(io.open(BASE .. '/final/b.rpm'):read('a') == 'bb')\n"
			   "local f = io.open(CANARY .. '/secret'):read('a')\n"
			   "assert(bs.fs.remove_tree(R))\n"
			   "return f == 'HOST-SECRET'"));
}
END_TEST

START_TEST(test_read)
{
	char p[256];

	NEED_KERNEL(0);

	ck_assert(lua_true("R = assert(bs.fs.mkroot(BASE .. '/work'))\n"
			   "os.execute('mkdir -p ' .. R.path .. '/d')\n"
			   "w(R.path .. '/d/list', 'a\\nb\\n')\n"
			   "os.execute('ln -s ' .. CANARY .. '/secret ' .. R.path .. '/d/canary')\n"
			   "os.execute('ln -s /d ' .. R.path .. '/dl')\n"
			   "os.execute('mkfifo ' .. R.path .. '/d/fifo')\n"
			   "w(R.path .. '/d/other', 'x')\n"
			   "os.execute('ln ' .. R.path .. '/d/other ' .. R.path .. '/d/hard')\n"
			   "return true"));
	run_lua(L, "return R.path");
	snprintf(p, sizeof p, "%s/d/null", lua_tostring(L, -1));
	lua_pop(L, 1);
	if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) < 0)
		printf("SKIP (partial): mknod needs root; device case not covered\n");
	ck_assert(lua_true("assert(bs.fs.read(R, '/d/list') == 'a\\nb\\n')\n"
			   "assert(bs.fs.read(R, 'd/list', { max = 4 }) == 'a\\nb\\n')\n"
			   "assert(bs.fs.read(R, '/dl/list') == nil or true)\n" /* a symlinked directory stays inside */
			   "local n, m, e = bs.fs.read(R, '/d/list', { max = 3 })\n"
			   "assert(n == nil and e == 27, m)\n"
			   "n, m, e = bs.fs.read(R, '/d/none')\n"
			   "assert(n == nil and e == 2, m)\n"
			   "local x, m1 = raised(bs.fs.read, R, '/d/canary'); assert(m1:find('symbolic link', 1, true), m1)\n"
			   "local x2, m2 = raised(bs.fs.read, R, '/d/fifo'); assert(m2:find('not a regular file', 1, true), m2)\n"
			   "local x3, m3 = raised(bs.fs.read, R, '/d/hard'); assert(m3:find('one link', 1, true), m3)\n"
			   "if io.open(R.path .. '/d/null') then\n"
			   "  local x4, m4 = raised(bs.fs.read, R, '/d/null'); assert(m4:find('not a regular file', 1, true), m4)\n"
			   "end\n"
			   "assert(bs.fs.remove_tree(R))\n"
			   "return io.open(CANARY .. '/secret'):read('a') == 'HOST-SECRET'"));
}
END_TEST

START_TEST(test_remove_tree_dir)
{
	NEED_KERNEL(0);
	ck_assert(lua_true("R = assert(bs.fs.mkroot(BASE .. '/work'))\n"
			   "os.execute('mkdir -p ' .. R.path .. '/a/b/c')\n"
			   "os.execute('ln -s ' .. CANARY .. ' ' .. R.path .. '/a/link')\n"
			   "assert(bs.fs.remove_tree(R, '/a/b'))\n"
			   "assert(io.open(R.path .. '/a/b') == nil and io.open(R.path .. '/a'))\n"
			   "assert(bs.fs.remove_tree(R, '/a/b'))\n" /* idempotent */
			   "local x, m = raised(bs.fs.remove_tree, R, '/a/link/secret')\n"
			   "assert(m:find('symbolic link', 1, true), m)\n"
			   "assert(bs.fs.remove_tree(R, '/a/link'))\n" /* the link itself goes, not its target */
			   "local x2, m2 = raised(bs.fs.remove_tree, R, '/a/..'); assert(m2:find('does not name', 1, true), m2)\n"
			   "assert(bs.fs.remove_tree(R))\n"
			   "return io.open(CANARY .. '/secret'):read('a') == 'HOST-SECRET'"));
}
END_TEST

/* A shipped policy's isolation section maps onto a working context. */
START_TEST(test_policy_isolation)
{
	if (geteuid() != 0) {
		fprintf(stderr, "*** SKIP %s: not root ***\n", __func__);
		return;
	}
	NEED_KERNEL(1);
	ck_assert(lua_true("local pol = require('bsrun.policy').load('hostdist', 'policies')\n"
			   "local r = assert(bs.fs.mkroot(BASE .. '/work'))\n"
			   "for _, l in ipairs { 'bin', 'lib', 'lib64' } do os.execute('ln -s usr/' .. l .. ' ' .. r.path .. '/' .. l) end\n"
			   "os.execute('mkdir ' .. r.path .. '/usr')\n"
			   "local ctx = assert(bs.ctx.create { root = r, isolation = pol.isolation,\n"
			   "  binds = { { '/usr', '/usr', ro = true, recursive = true } } })\n"
			   "local out = assert(io.open(BASE .. '/uname', 'w'))\n"
			   "local how, code = ctx:exec({ '/usr/bin/uname', '-n' }, { stdout = out })\n"
			   "out:close(); ctx:kill()\n"
			   "assert(how == 'exit' and code == 0, how .. ' ' .. tostring(code))\n"
			   "assert(bs.fs.remove_tree(r))\n"
			   "return io.open(BASE .. '/uname'):read('a') == pol.isolation.hostname .. '\\n'"));
}
END_TEST

/* ---- the guard (a recipe's sandbox state) ---- */

static void setup_guarded(void)
{
	char res[128];
	int bfd, rfd;

	setup_state(BS_LUA_SANDBOX);
	/* ROOT: a root object, as bs.fs.mkroot or a base-image binding makes them */
	snprintf(res, sizeof res, "%s/root", base);
	ck_assert_int_eq(mkdir(res, 0755), 0);
	bfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	rfd = open(res, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert(bfd >= 0 && rfd >= 0);
	bs_lfs_push_root(L, rfd, bfd, "root", res);
	lua_setglobal(L, "ROOT");
	snprintf(res, sizeof res, "%s/root2", base);
	ck_assert_int_eq(mkdir(res, 0755), 0);
	bfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	rfd = open(res, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert(bfd >= 0 && rfd >= 0);
	bs_lfs_push_root(L, rfd, bfd, "root2", res);
	lua_setglobal(L, "ROOT2");
	snprintf(res, sizeof res, "%s/results", base);
	lua_createtable(L, 0, 3);
	lua_createtable(L, 1, 0);
	lua_pushstring(L, res);
	lua_rawseti(L, -2, 1);
	lua_setfield(L, -2, "resultdirs");
	bs_guard_set(L);
}

/* Installs a guard with these isolation and results tables (Lua source). */
static void guard(const char *iso)
{
	char code[4096];

	snprintf(code, sizeof code,
		 "return { isolation = %s, results = { max_file = 1000, max_total = 10000, max_files = 10, max_depth = 4 },"
		 " resultdirs = { BASE .. '/results' }, cachedirs = { BASE .. '/cache' } }", iso);
	run_lua(L, code);
	bs_guard_set(L);
}

static const char iso_small[] =
	"{ memory = 1 << 30, pids = 100, timeout = 60, network = false, caps = { 'CHOWN' },"
	"  uid_pool = { first = 300000000, count = 65536 * 64 },"
	"  seccomp = { allow = {}, deny = { 'ptrace' } },"
	"  mounts = { { source = '/usr', target = '/usr', ro = true, nosuid = true, nodev = true, noexec = false, recursive = true },"
	"             { source = BASE .. '/canary', target = '/repo', ro = true, nosuid = true, nodev = true, noexec = false, recursive = false } } }";

START_TEST(test_guard_refusals)
{
	guard(iso_small);
	ck_assert(lua_true("local function no(pat, f, ...)\n"
			   "  local code, msg = raised(f, ...)\n"
			   "  assert(code == 2 and msg:find(pat, 1, true), tostring(code) .. ': ' .. tostring(msg))\n"
			   "end\n"
			   "local c = bs.ctx.create\n"
			   "no(\"'memory' 2147483648 exceeds the policy's isolation.memory\", c, { root = ROOT, memory = '2G' })\n"
			   "no(\"'pids' 1000 exceeds\", c, { root = ROOT, pids = 1000 })\n"
			   "no(\"'timeout' none instead of 0 exceeds\", c, { root = ROOT, timeout = 0 })\n"
			   "no('host network is not allowed', c, { root = ROOT, network = 'host' })\n"
			   "no('unenforced limits are not allowed', c, { root = ROOT, allow_unenforced_limits = true })\n"
			   "no('capabilities beyond', c, { root = ROOT, caps = { 'SYS_ADMIN' } })\n"
			   "no('allowing the system call mount', c, { root = ROOT, syscalls = { allow = { 'mount' }, deny = { 'ptrace' } } })\n"
			   "no('the policy denies the system call ptrace', c, { root = ROOT, syscalls = { deny = {} } })\n"
			   "no('mounting /etc on /etc is not allowed', c, { root = ROOT, binds = { { '/etc', '/etc' } } })\n"
			   "no('mounting ' .. BASE .. '/canary on /other is not allowed', c, { root = ROOT, binds = { { BASE .. '/canary', '/other' } } })\n"
			   "no('does not allow a recursive mount', c, { root = ROOT, binds = { { BASE .. '/canary', '/repo', recursive = true } } })\n"
			   "no('without \"..\"', c, { root = ROOT, binds = { { BASE .. '/canary/../canary', '/repo' } } })\n"
			   "no('must be a root from bs.fs.mkroot', c, { root = '/etc' })\n"
			   "no('outside the policy\\'s isolation.uid_pool', c, { root = ROOT, uid_first = 0 })\n"
			   "no('outside the policy\\'s isolation.uid_pool', c, { root = ROOT, uid_first = 300000000 + 65536 * 64 - 1, uid_count = 65536 })\n"
			   "no('must be a root from bs.fs.mkroot', c, { root = ROOT.path .. '/' })\n"
			   "local gone = ROOT2; assert(bs.fs.remove_tree(gone))\n"
			   "no('must be a root from bs.fs.mkroot', c, { root = gone })\n"
			   "no('must be a root from bs.fs.mkroot', c, { root = gone.path })\n"
			   "no(\"'memory' 2147483648 exceeds\", c, { root = ROOT.path, memory = '2G' })\n"
			   "return true"));
	/* an explicit isolation table cannot loosen the policy either */
	ck_assert(lua_true("local code, msg = raised(bs.ctx.create, { root = ROOT, isolation = { memory = 1 << 40 } })\n"
			   "return code == 2 and msg:find(\"exceeds the policy's isolation.memory\", 1, true) ~= nil"));
	ck_assert(lua_true("local function no(pat, f, ...)\n"
			   "  local code, msg = raised(f, ...)\n"
			   "  assert(code == 2 and msg:find(pat, 1, true), tostring(code) .. ': ' .. tostring(msg))\n"
			   "end\n"
			   "no('is not the job\\'s result directory', bs.fs.copy_out, '/', 'etc', BASE .. '/elsewhere')\n"
			   "no('is not the job\\'s result directory', bs.fs.copy_out, '/', 'etc', BASE .. '/results/../elsewhere')\n"
			   "no('is not the job\\'s result directory', bs.fs.copy_out, '/', 'etc', BASE .. '/results-x')\n"
			   "no('names roots by the objects', bs.fs.copy_out, '/', 'etc', BASE .. '/results/sub')\n"
			   "no(\"'max_file' exceeds the policy's results.max_file\", bs.fs.copy_out, '/', 'etc', BASE .. '/results', { max_file = 1001 })\n"
			   "no(\"'max_files' exceeds\", bs.fs.copy_out, '/', 'etc', BASE .. '/results', { max_files = 0 })\n"
			   "no('makes roots only in', bs.fs.mkroot, BASE)\n"
			   "no('removes only roots', bs.fs.remove_tree, BASE .. '/canary')\n"
			   "no('names roots by the objects', bs.fs.read, '/', 'etc/passwd')\n"
			   "no('/etc is not in the job\\'s cache directory', bs.rpm.repos, {}, { cachedir = '/etc' })\n"
			   "no('is not in the job\\'s cache directory', bs.rpm.repos, {}, { cachedir = BASE .. '/cache/../x' })\n"
			   "assert(bs.rpm.repos({}, { cachedir = BASE .. '/cache/repos', offline = true }))\n"
			   "return io == nil"));
	ck_assert_int_eq(access(BSRUN_SRCDIR, F_OK), 0);
	{
		char p[128];

		snprintf(p, sizeof p, "%s/elsewhere", base);
		ck_assert_int_ne(access(p, F_OK), 0);
		snprintf(p, sizeof p, "%s/canary/secret", base);
		ck_assert_int_eq(access(p, F_OK), 0);
	}
}
END_TEST

/* A real context under a guard: the policy's mounts are bound, the limits
 * taken from it, ctx:mount allowed only for its mounts. */
START_TEST(test_guard_ctx)
{
	char root[128], p[160];

	if (geteuid() != 0) {
		fprintf(stderr, "*** SKIP %s: not root ***\n", __func__);
		return;
	}
	NEED_KERNEL(1);
	snprintf(root, sizeof root, "%s/root", base);
	for (const char *const *d = (const char *const[]){ "usr", "tmp", "proc", "dev", "mnt", "repo", NULL }; *d; d++) {
		snprintf(p, sizeof p, "%s/%s", root, *d);
		ck_assert_int_eq(mkdir(p, 0755), 0);
	}
	snprintf(p, sizeof p, "%s/bin", root);
	ck_assert_int_eq(symlink("usr/bin", p), 0);
	snprintf(p, sizeof p, "%s/lib", root);
	ck_assert_int_eq(symlink("usr/lib", p), 0);
	snprintf(p, sizeof p, "%s/lib64", root);
	ck_assert_int_eq(symlink("usr/lib64", p), 0);
	snprintf(p, sizeof p, "%s/mnt/link", root);
	ck_assert_int_eq(symlink("/usr", p), 0);
	guard(iso_small);
	{
		char code[4096];

		snprintf(code, sizeof code, "%s",
			 "local bs = require 'bs'\n"
			 "local ctx, msg = bs.ctx.create { root = ROOT }\n"
			 "if not ctx then return 'SKIP ' .. msg end\n"
			 "local function run(...) local how, code = ctx:exec({ ... }); return how == 'exit' and code or -1 end\n"
			 "assert(run('/usr/bin/grep', '-q', 'HOST-SECRET', '/repo/secret') == 0, 'policy mount missing')\n"
			 "assert(run('/usr/bin/touch', '/repo/new') ~= 0, 'policy mount not read-only')\n"
			 "local ok, err = pcall(ctx.mount, ctx, BASE .. '/canary', '/elsewhere')\n"
			 "assert(not ok and err.exit == 2, tostring(err))\n"
			 "assert(ctx:mount(BASE .. '/canary', '/repo', { ro = false }))\n" /* tightened to ro */
			 "assert(run('/usr/bin/touch', '/repo/new') ~= 0, 'ro not enforced')\n"
			 "ctx:kill()\n"
			 "return 'ok'");
		run_lua(L, code);
		if (strncmp(lua_tostring(L, -1), "SKIP", 4) == 0)
			fprintf(stderr, "*** %s: %s ***\n", __func__, lua_tostring(L, -1));
		else
			ck_assert_str_eq(lua_tostring(L, -1), "ok");
		lua_pop(L, 1);
	}
	/* without a guard: ctx:mount raises on a symlink at the target */
	lua_pushnil(L);
	bs_guard_set(L);
	{
		const char *e = lua_error_of(L, "local bs = require 'bs'\n"
					       "local ctx = assert(bs.ctx.create { root = ROOT, binds = { { '/usr', '/usr', ro = true, recursive = true } } })\n"
					       "local ok, err = pcall(ctx.mount, ctx, BASE .. '/canary', '/mnt/link')\n"
					       "ctx:kill()\n"
					       "error(err, 0)");

		ck_assert_ptr_nonnull(e);
		ck_assert_msg(strstr(e, "ctx:mount: /mnt/link: a symbolic link on the target path"), "%s", e);
	}
	snprintf(p, sizeof p, "%s/canary/new", base);
	ck_assert_int_ne(access(p, F_OK), 0);
}
END_TEST

Suite *lbs_fs_suite(void)
{
	Suite *s = suite_create("lbs_fs");
	TCase *tc = tcase_create("trusted");
	TCase *tg = tcase_create("guarded");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mkroot);
	tcase_add_test(tc, test_copy_out);
	tcase_add_test(tc, test_read);
	tcase_add_test(tc, test_remove_tree_dir);
	tcase_add_test(tc, test_policy_isolation);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tg, 60);
	tcase_add_checked_fixture(tg, setup_guarded, teardown);
	tcase_add_test(tg, test_guard_refusals);
	tcase_add_test(tg, test_guard_ctx);
	suite_add_tcase(s, tg);
	return s;
}
