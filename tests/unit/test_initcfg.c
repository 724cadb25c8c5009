/* The packed config of a context's init (src/initcfg.c): what bsrun packs,
 * the init unpacks to the same values; every truncated or corrupted packing
 * is refused (-EPROTO), never read past its end (run under ASan/valgrind). */
#include "initcfg.h"
#include "tests.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct bs_bind binds[] = {
	{ "/usr", "/usr", BS_BIND_RO | BS_BIND_RECURSIVE },
	{ "/srv/in", "/builddir/in", BS_BIND_FILE },
};
static char *const env[] = { "PATH=/usr/bin:/bin", "HOME=/root", "A=b=c", NULL };
static struct sock_filter prog[] = { { 0x06, 0, 0, 0x7fff0000 }, { 0x06, 0, 0, 0x00050001 } };

static void fill(struct bs_initcfg *c)
{
	memset(c, 0, sizeof *c);
	c->root = "/var/tmp/bsrun/roots/x";
	c->hostname = "builder";
	c->domainname = NULL;
	c->binds = binds;
	c->nbinds = 2;
	c->rootfs_flags = BS_ROOTFS_PROC_SUBSET | BS_ROOTFS_DEVPTS_GID5;
	c->network_host = 0;
	c->single_id_map = 1;
	c->timeout_s = 3600;
	c->nstypes = 0x7e020000;
	c->parentfd = 0;
	c->lockfd = 1;
	c->lfd = -1;
	c->caps = 0x1234567890ULL;
	c->nofile = 65536;
	c->fsize = 1ULL << 40;
	c->cgdirs[0] = "/sys/fs/cgroup/memory/bsrun/ctx-1";
	c->cgdirs[1] = "/sys/fs/cgroup/pids/bsrun/ctx-1";
	c->ncgdirs = 2;
	c->cgroupns_done = 1;
	c->env = env;
	c->progs[0].filter = prog;
	c->progs[0].len = 2;
	c->nprogs = 1;
}

START_TEST(test_initcfg_roundtrip)
{
	struct bs_initcfg in, out;
	char *buf = NULL;
	size_t len = 0;

	fill(&in);
	ck_assert_int_eq(bs_initcfg_pack(&in, &buf, &len), 0);
	ck_assert_int_eq(bs_initcfg_unpack(buf, len, &out), 0);
	ck_assert_str_eq(out.root, in.root);
	ck_assert_str_eq(out.hostname, "builder");
	ck_assert_ptr_null(out.domainname);
	ck_assert_uint_eq(out.nbinds, 2);
	ck_assert_str_eq(out.binds[1].source, "/srv/in");
	ck_assert_str_eq(out.binds[1].target, "/builddir/in");
	ck_assert_uint_eq(out.binds[1].flags, BS_BIND_FILE);
	ck_assert_uint_eq(out.rootfs_flags, in.rootfs_flags);
	ck_assert_uint_eq(out.single_id_map, 1);
	ck_assert_uint_eq(out.timeout_s, 3600);
	ck_assert_int_eq(out.nstypes, in.nstypes);
	ck_assert_int_eq(out.parentfd, 0);
	ck_assert_int_eq(out.lockfd, 1);
	ck_assert_int_eq(out.lfd, -1);
	ck_assert(out.caps == in.caps && out.nofile == in.nofile && out.fsize == in.fsize);
	ck_assert_uint_eq(out.ncgdirs, 2);
	ck_assert_str_eq(out.cgdirs[1], in.cgdirs[1]);
	ck_assert_uint_eq(out.cgroupns_done, 1);
	ck_assert_str_eq(out.env[2], "A=b=c");
	ck_assert_ptr_null(out.env[3]);
	ck_assert_uint_eq(out.nprogs, 1);
	ck_assert_uint_eq(out.progs[0].len, 2);
	ck_assert_mem_eq(out.progs[0].filter, prog, sizeof prog);
	bs_initcfg_release(&out);
	free(buf);
}
END_TEST

/* Every prefix of a packing, and every single-byte change to a count or
 * length field, is refused or unpacks within the buffer. */
START_TEST(test_initcfg_malformed)
{
	struct bs_initcfg in, out;
	char *buf = NULL, *cut;
	size_t len = 0;

	fill(&in);
	ck_assert_int_eq(bs_initcfg_pack(&in, &buf, &len), 0);
	for (size_t n = 0; n < len; n++) {
		/* an exact-size copy: ASan and valgrind see any read past it */
		cut = malloc(n ? n : 1);
		ck_assert_ptr_nonnull(cut);
		memcpy(cut, buf, n);
		ck_assert_int_eq(bs_initcfg_unpack(cut, n, &out), -EPROTO);
		free(cut);
	}
	for (size_t off = 0; off < len; off += 4) {
		static const uint32_t evil[] = { 0, 1, 0x7fffffff, 0xfffffffe, 0xffffffff };

		for (size_t e = 0; e < sizeof evil / sizeof *evil; e++) {
			cut = malloc(len);
			ck_assert_ptr_nonnull(cut);
			memcpy(cut, buf, len);
			memcpy(cut + off, &evil[e], sizeof evil[e]);
			if (bs_initcfg_unpack(cut, len, &out) == 0) {
				/* accepted: then everything it points to lies inside */
				ck_assert(out.root >= cut && out.root < cut + len);
				for (uint32_t i = 0; i < out.nbinds; i++)
					ck_assert(out.binds[i].source >= cut && out.binds[i].target < cut + len);
				for (uint32_t i = 0; i < out.nprogs; i++)
					ck_assert((char *)out.progs[i].filter >= cut &&
						  (char *)(out.progs[i].filter + out.progs[i].len) <= cut + len);
				bs_initcfg_release(&out);
			}
			free(cut);
		}
	}
	/* too many seccomp programs or cgroup dirs: refused when packing */
	in.nprogs = BS_INITCFG_PROGS + 1;
	ck_assert_int_eq(bs_initcfg_pack(&in, &cut, &len), -EINVAL);
	free(buf);
}
END_TEST

Suite *initcfg_suite(void)
{
	Suite *s = suite_create("initcfg");
	TCase *tc = tcase_create("initcfg");

	tcase_add_test(tc, test_initcfg_roundtrip);
	tcase_add_test(tc, test_initcfg_malformed);
	suite_add_tcase(s, tc);
	return s;
}
