/* libFuzzer target: the policy loader. The bytes are a policy file, loaded by
 * bsrun.policy.load (run in its small environment, validated, merged over
 * its inheritance chain, normalized) in a trusted Lua state made by
 * bs_lua_new exactly as bsrun makes it, then printed with policy.dump and the
 * printout loaded back as Lua. Accepted: a policy, or a bsrun error table
 * (exit 2, one message). A plain Lua error (an internal error of the loader),
 * a dump that is not Lua, a crash or a sanitizer report is a finding.
 *
 * Bounds, so that hostile text ends: an allocation limit on the Lua state
 * (FUZZ_LUA_MEMORY) and an instruction-count hook (FUZZ_LUA_STEPS); once
 * either is hit, any error is accepted. File access is limited to the fuzz
 * file's directory and the policy directories (a fuzzed `inherit` could
 * name /dev/stdin or a FIFO).
 *
 * libFuzzer sees only C coverage, and the loader is Lua: a line hook feeds
 * the Lua lines run (as pairs of consecutive lines) into libFuzzer's extra
 * counters, so that the corpus grows with the Lua paths taken. One state
 * serves all inputs (policies run in an environment of their own and cannot
 * reach the loader's modules); it is collected after each. */
#include "lstate.h"

#include <lauxlib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_LUA_MEMORY (128u << 20) /* bytes the Lua state may hold */
#define FUZZ_LUA_STEPS 20000         /* thousands of VM instructions per input */

static char dir[256], file[300];
static lua_State *L;
static int harness_ref;

struct limits {
	lua_Alloc real;
	void *real_ud;
	size_t used;
	int mem_hit, steps_hit;
	long steps;
};
static struct limits lim;

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct limits *l = ud;
	size_t old = ptr ? osize : 0;
	void *p;

	if (nsize > old && l->used - old + nsize > FUZZ_LUA_MEMORY) {
		l->mem_hit = 1;
		return NULL;
	}
	p = l->real(l->real_ud, ptr, osize, nsize);
	if (nsize == 0 || p)
		l->used = l->used - old + nsize;
	return p;
}

/* Lua line coverage for libFuzzer: one counter per (previous line, line) pair. */
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t lua_cov[1 << 16];
static uint32_t prev_line;

static uint32_t hash_str(const char *s, uint32_t h)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void step_hook(lua_State *L, lua_Debug *ar)
{
	if (ar->event == LUA_HOOKLINE) {
		uint32_t here;

		if (!lua_getinfo(L, "S", ar))
			return;
		here = hash_str(ar->source, 2166136261u) ^ ((uint32_t)ar->currentline * 2654435761u);
		lua_cov[(here ^ (prev_line >> 1)) & (sizeof lua_cov - 1)]++;
		prev_line = here;
		return;
	}
	if (++lim.steps > FUZZ_LUA_STEPS) {
		lim.steps_hit = 1;
		luaL_error(L, "fuzz: instruction limit");
	}
}

/* The harness run in the state: io.open limited, then a function
 * (path, policydir) -> "ok"|"clean"|"err", text. */
static const char harness[] =
	"local allowed = ...\n"
	"local function limit(real)\n"
	"  return function(path, ...)\n"
	"    if type(path) == 'string' and not path:find('/%.%.') then\n"
	"      for _, pre in ipairs(allowed) do\n"
	"        if path:sub(1, #pre + 1) == pre .. '/' then return real(path, ...) end\n"
	"      end\n"
	"    end\n"
	"    return nil, tostring(path) .. ': Permission denied (fuzz target)', 13\n"
	"  end\n"
	"end\n"
	"io.open = limit(io.open)\n"
	"bsrun_host.readfile = limit(bsrun_host.readfile)\n"
	"local policy, errors = require 'bsrun.policy', require 'bsrun.errors'\n"
	"return function(path, policydir)\n"
	"  local ok, res = pcall(policy.load, path, policydir)\n"
	"  if not ok then\n"
	"    if errors.is(res) and type(res.message) == 'string' then return 'clean', res.message end\n"
	"    return 'err', 'plain error: ' .. tostring(res)\n"
	"  end\n"
	"  if type(res) ~= 'table' or type(res.name) ~= 'string' then return 'err', 'no policy returned' end\n"
	"  local text = policy.dump(res)\n"
	"  local f, lerr = load(text, '=dump', 't', {})\n"
	"  if not f then return 'err', 'policy.dump printed invalid Lua: ' .. lerr end\n"
	"  return 'ok', text\n"
	"end\n";

static void cleanup(void)
{
	if (L)
		lua_close(L);
	L = NULL;
	unlink(file);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof dir, "%s/bsrun-fuzz-policy-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(file, sizeof file, "%s/fuzz.lua", dir);
	atexit(cleanup);
	return 0;
}

/* The state, with the harness function in the registry. */
static void make_state(void)
{
	if (!(L = bs_lua_new(BS_LUA_TRUSTED, BSRUN_SRCDIR)))
		abort();
	memset(&lim, 0, sizeof lim);
	lim.real = lua_getallocf(L, &lim.real_ud);
	lim.used = (size_t)lua_gc(L, LUA_GCCOUNT, 0) * 1024 + (size_t)lua_gc(L, LUA_GCCOUNTB, 0);
	lua_setallocf(L, limited_alloc, &lim);
	if (luaL_loadbuffer(L, harness, sizeof harness - 1, "=fuzz-harness") != LUA_OK)
		abort();
	lua_createtable(L, 3, 0);
	lua_pushstring(L, dir);
	lua_rawseti(L, -2, 1);
	lua_pushstring(L, BSRUN_SRCDIR "/policies");
	lua_rawseti(L, -2, 2);
	lua_pushstring(L, BSRUN_SRCDIR "/tests/data/policies");
	lua_rawseti(L, -2, 3);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		fprintf(stderr, "fuzz_policy: harness: %s\n", lua_tostring(L, -1));
		abort();
	}
	harness_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(file, "wb");
	const char *verdict, *text;
	int st;

	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (!L)
		make_state();
	lim.mem_hit = lim.steps_hit = 0;
	lim.steps = 0;
	prev_line = 0;
	lua_rawgeti(L, LUA_REGISTRYINDEX, harness_ref);
	lua_pushstring(L, file);
	lua_pushstring(L, BSRUN_SRCDIR "/policies");
	lua_sethook(L, step_hook, LUA_MASKCOUNT | LUA_MASKLINE, 1000);
	st = lua_pcall(L, 2, 2, 0);
	lua_sethook(L, NULL, 0, 0);
	if (st != LUA_OK) {
		if (!lim.mem_hit && !lim.steps_hit) {
			fprintf(stderr, "fuzz_policy: error outside the loader: %s\n",
				lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : luaL_typename(L, -1));
			abort();
		}
	} else {
		verdict = lua_tostring(L, -2);
		text = lua_tostring(L, -1);
		if (!verdict || !text)
			abort();
		if (strcmp(verdict, "err") == 0 && !lim.mem_hit && !lim.steps_hit) {
			fprintf(stderr, "fuzz_policy: %s\n", text);
			abort();
		}
	}
	lua_settop(L, 0);
	lua_gc(L, LUA_GCCOLLECT, 0);
	return 0;
}
