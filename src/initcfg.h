/* What a context's init (bsrun-init) is told to set up: bsrun packs it into
 * one message on the control socket, the init unpacks it after its exec. */
#ifndef BSRUN_INITCFG_H
#define BSRUN_INITCFG_H

#include "rootfs.h"

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#define BS_INITCFG_MAX (192 * 1024) /* largest packed config (within a socket's default send buffer) */
#define BS_INITCFG_CGDIRS 4
#define BS_INITCFG_PROGS 2

struct bs_initcfg {
	const char *root;          /* host directory that becomes / */
	const char *hostname, *domainname;
	const struct bs_bind *binds;
	uint32_t nbinds;
	uint32_t rootfs_flags;     /* BS_ROOTFS_* */
	uint32_t network_host, single_id_map;
	uint32_t timeout_s;        /* the context's life, 0: none */
	int32_t nstypes;           /* CLONE_NEW* of the context */
	/* fds, as indexes into those attached to the config message (the
	 * init turns them into its fd numbers); -1: none */
	int32_t parentfd;          /* bsrun's pidfd (die with it); required */
	int32_t lockfd;            /* the id slot's lock, held while init lives */
	int32_t lfd;               /* rootless: the namespace socket */
	uint64_t caps, nofile, fsize;
	const char *cgdirs[BS_INITCFG_CGDIRS]; /* cgroup v1 directories init joins itself */
	uint32_t ncgdirs;
	uint32_t cgroupns_done;    /* cloned into its cgroup namespace (nothing to join) */
	char *const *env;          /* the commands' default environment, NULL-terminated */
	struct sock_fprog progs[BS_INITCFG_PROGS]; /* seccomp programs, loaded in this order */
	uint32_t nprogs;
};

/* Packs c into a malloc'd buffer (*buf, *len <= BS_INITCFG_MAX). 0, -E2BIG
 * or -ENOMEM. */
int bs_initcfg_pack(const struct bs_initcfg *c, char **buf, size_t *len);

/* Unpacks buf[0..len) into *c: strings and programs point into buf (which
 * must outlive c, suitably aligned as malloc returns it); the binds and env
 * arrays are allocated (bs_initcfg_release). -EPROTO when malformed (every
 * length and count is checked against len), -ENOMEM. */
int bs_initcfg_unpack(char *buf, size_t len, struct bs_initcfg *c);

/* Frees what bs_initcfg_unpack allocated. */
void bs_initcfg_release(struct bs_initcfg *c);

#endif
