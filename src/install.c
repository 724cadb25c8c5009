/* bs_install: a librpm transaction run inside a context (see install.h). */
#include "install.h"
#include "mkdirs.h"
#include "bserr.h"
#include "inctx.h"

#include <errno.h>
#include <fcntl.h>
#include <rpm/header.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmps.h>
#include <rpm/rpmts.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ERR err, errlen
#define MAX_PROBLEMS 200

/* Records from the context: 's' start, 'd' done (text: NEVRA), 'w' warning,
 * 'p' a problem of the transaction, 'e' a failure of the setup. */

int bs_strlist_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

void bs_strlist_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void bs_install_result_free(struct bs_install_result *res)
{
	bs_strlist_free(res->nevras, res->nnevras);
	bs_strlist_free(res->problems, res->nproblems);
	memset(res, 0, sizeof *res);
}

/* ---- in the context ---- */

struct child {
	const int *fds;
	size_t n;
	int chan;
	unsigned flags;
	const char *langs;
	FD_t cur;
};

static void *notify(const void *arg, const rpmCallbackType what, const rpm_loff_t amount, const rpm_loff_t total,
		    fnpyKey key, rpmCallbackData data)
{
	struct child *st = data;
	size_t idx = (size_t)(uintptr_t)key;
	Header h = (Header)arg;
	char *nevra;

	(void)amount;
	switch (what) {
	case RPMCALLBACK_INST_OPEN_FILE:
		if (idx < 1 || idx > st->n || lseek(st->fds[idx - 1], 0, SEEK_SET) < 0)
			return NULL;
		st->cur = fdDup(st->fds[idx - 1]);
		return st->cur;
	case RPMCALLBACK_INST_CLOSE_FILE:
		if (st->cur) {
			Fclose(st->cur);
			st->cur = NULL;
		}
		return NULL;
	case RPMCALLBACK_INST_START:
	case RPMCALLBACK_INST_STOP:
		nevra = h ? headerGetAsString(h, RPMTAG_NEVRA) : NULL;
		bs_inctx_send(st->chan, what == RPMCALLBACK_INST_START ? 's' : 'd', (uint32_t)idx, nevra);
		free(nevra);
		return NULL;
	case RPMCALLBACK_SCRIPT_ERROR:
		nevra = h ? headerGetAsString(h, RPMTAG_NEVRA) : NULL;
		bs_inctx_sendf(st->chan, 'w', (uint32_t)idx, "%s: scriptlet %s failed (status %llu)",
			       nevra ? nevra : "?", rpmTagGetName((rpmTagVal)amount), (unsigned long long)total);
		free(nevra);
		return NULL;
	case RPMCALLBACK_UNPACK_ERROR:
	case RPMCALLBACK_CPIO_ERROR:
		nevra = h ? headerGetAsString(h, RPMTAG_NEVRA) : NULL;
		bs_inctx_sendf(st->chan, 'p', (uint32_t)idx, "%s: unpacking the payload failed", nevra ? nevra : "?");
		free(nevra);
		return NULL;
	default:
		return NULL;
	}
}

static void send_problems(int chan, rpmps ps)
{
	rpmpsi it = rpmpsInitIterator(ps);
	rpmProblem p;

	while ((p = rpmpsiNext(it))) {
		char *s = rpmProblemString(p);

		bs_inctx_send(chan, 'p', 0, s);
		free(s);
	}
	rpmpsFreeIterator(it);
}

/* The macros of the transaction (pushed in the context's copy of bsrun's
 * rpm configuration, so bsrun's own stays as it was). */
static void push_macros(unsigned flags, const char *langs)
{
	rpmPushMacro(NULL, "_dbpath", NULL, "/var/lib/rpm", RMIL_CMDLINE);
	/* no plugins: they would be loaded from the context's root */
	rpmPushMacro(NULL, "__plugindir", NULL, "%{nil}", RMIL_CMDLINE);
	/* digests always; signatures by policy, later: the hostdist packages are unsigned */
	rpmPushMacro(NULL, "_pkgverify_level", NULL, flags & BS_INSTALL_CACHE_VERIFIED ? "none" : "digest",
		     RMIL_CMDLINE);
	if (flags & (BS_INSTALL_NOFSYNC | BS_INSTALL_FSYNC))
		rpmPushMacro(NULL, "_flush_io", NULL, flags & BS_INSTALL_FSYNC ? "1" : "0", RMIL_CMDLINE);
	rpmPushMacro(NULL, "_install_langs", NULL, langs ? langs : "all", RMIL_CMDLINE);
	if (flags & BS_INSTALL_NODOCS)
		rpmPushMacro(NULL, "_excludedocs", NULL, "1", RMIL_CMDLINE);
}

static int install_child(void *arg)
{
	struct child *st = arg;
	rpmts ts;
	rpmps ps;
	int rc, failed = 0;
	rpmtransFlags tf = RPMTRANS_FLAG_NOPLUGINS;

	push_macros(st->flags, st->langs);
	if (st->flags & BS_INSTALL_NODOCS)
		tf |= RPMTRANS_FLAG_NODOCS;
	if (st->flags & BS_INSTALL_CACHE_VERIFIED)
		tf |= RPMTRANS_FLAG_NOFILEDIGEST;
	(void)bs_mkdirs("/var/lib/rpm", 0755);
	ts = rpmtsCreate();
	rpmtsSetRootDir(ts, "/");
	rpmtsSetFlags(ts, tf);
	if (st->flags & BS_INSTALL_CACHE_VERIFIED)
		rpmtsSetVSFlags(ts, rpmtsVSFlags(ts) | RPMVSF_MASK_NODIGESTS | RPMVSF_MASK_NOSIGNATURES);
	for (size_t i = 0; i < st->n; i++) {
		FD_t fd;
		Header h = NULL;
		rpmRC r;

		if (lseek(st->fds[i], 0, SEEK_SET) < 0 || !(fd = fdDup(st->fds[i]))) {
			bs_inctx_send(st->chan, 'e', (uint32_t)i + 1, "cannot read it");
			return 2;
		}
		r = rpmReadPackageFile(ts, fd, "package", &h);
		Fclose(fd);
		if (r != RPMRC_OK && r != RPMRC_NOTTRUSTED && r != RPMRC_NOKEY) {
			bs_inctx_send(st->chan, 'e', (uint32_t)i + 1, "not a readable RPM (or a bad digest)");
			return 2;
		}
		if (headerIsSource(h)) {
			bs_inctx_send(st->chan, 'e', (uint32_t)i + 1, "a source package, not installable");
			return 2;
		}
		rc = rpmtsAddInstallElement(ts, h, (fnpyKey)(uintptr_t)(i + 1), 1, NULL);
		headerFree(h);
		if (rc) {
			bs_inctx_send(st->chan, 'e', (uint32_t)i + 1, "rpm refused to add it to the transaction");
			return 2;
		}
	}
	if (!(st->flags & BS_INSTALL_NODEPS) && rpmtsCheck(ts) == 0) {
		ps = rpmtsProblems(ts);
		if (rpmpsNumProblems(ps) > 0) {
			send_problems(st->chan, ps);
			failed = 1;
		}
		rpmpsFree(ps);
		if (failed)
			return 1;
	}
	if (rpmtsOrder(ts) != 0) {
		bs_inctx_send(st->chan, 'p', 0, "rpm cannot order the packages");
		return 1;
	}
	rpmtsClean(ts);
	rpmtsSetNotifyCallback(ts, notify, st);
	rc = rpmtsRun(ts, NULL, RPMPROB_FILTER_NONE);
	if (rc != 0) {
		ps = rpmtsProblems(ts);
		send_problems(st->chan, ps);
		rpmpsFree(ps);
		if (rc < 0)
			bs_inctx_send(st->chan, 'p', 0, "the transaction failed (see the log)");
		failed = 1;
	}
	rpmtsFree(ts); /* closes the database */
	return failed;
}

/* ---- in bsrun ---- */

/* A %_install_langs value: languages ([A-Za-z0-9_@.-]) joined by ':'; no '%'. */
static int valid_langs(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 1024 || *s == ':' || s[n - 1] == ':' || strstr(s, "::"))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("_@.-:", *s)))
			return 0;
	return 1;
}

struct parent {
	const struct bs_install_opts *o;
	struct bs_install_result *res;
	size_t total;
	int nomem;
	size_t fatal_index;
	char fatal[BS_INCTX_TEXT];
};

static void on_rec(void *ud, const struct bs_inctx_rec *r)
{
	struct parent *p = ud;
	struct bs_install_event ev = { .what = r->op, .index = r->index, .total = p->total };

	if (!bs_inctx_printable(r->text) || r->index > p->total)
		return;
	switch (r->op) {
	case 'd':
		if (bs_strlist_add(&p->res->nevras, &p->res->nnevras, r->text) < 0)
			p->nomem = 1;
		/* fall through */
	case 's':
		ev.nevra = r->text;
		break;
	case 'w':
		ev.text = r->text;
		break;
	case 'p':
		if (p->res->nproblems < MAX_PROBLEMS && bs_strlist_add(&p->res->problems, &p->res->nproblems, r->text) < 0)
			p->nomem = 1;
		return;
	case 'e':
		if (!p->fatal[0]) {
			snprintf(p->fatal, sizeof p->fatal, "%s", r->text);
			p->fatal_index = r->index;
		}
		return;
	default:
		return;
	}
	if (p->o->progress)
		p->o->progress(p->o->ud, &ev);
}

/* The first problem into err: "rpm transaction failed: p1 (and N more, see
 * the log)"; a full disk names every package, one is enough to say it. */
static int problems_err(const struct bs_install_result *res, char *err, size_t errlen)
{
	if (!err || !errlen)
		return -EBADMSG;
	if (res->nproblems == 0)
		snprintf(err, errlen, "rpm transaction failed");
	else if (res->nproblems == 1)
		snprintf(err, errlen, "rpm transaction failed: %s", res->problems[0]);
	else
		snprintf(err, errlen, "rpm transaction failed: %s (and %zu more problems)", res->problems[0],
			 res->nproblems - 1);
	return -EBADMSG;
}

int bs_install(struct bs_ctx *c, const char *const *paths, size_t n, const struct bs_install_opts *o,
	       struct bs_install_result *res, char *err, size_t errlen)
{
	struct bs_install_opts defaults = { .log_fd = -1 };
	struct parent p = { .res = res, .total = n };
	struct bs_exec_opts eo;
	struct bs_inctx ch;
	struct child st = { .n = n };
	char *const argv[] = { "rpm-install", NULL };
	int *fds, ret, wst = 0;
	size_t opened = 0;

	memset(res, 0, sizeof *res);
	if (!o)
		o = &defaults;
	p.o = o;
	if (n == 0)
		return 0;
	if (n > 100000)
		return bs_failx(ERR, E2BIG, "install: %zu packages are too many", n);
	if (o->langs && !valid_langs(o->langs))
		return bs_failx(ERR, EINVAL, "install: bad language list \"%s\"", o->langs);
	if ((ret = bs_inctx_rpm_config()) < 0)
		return bs_failx(ERR, EIO, "install: cannot read the host's rpm configuration");
	fds = calloc(n, sizeof *fds);
	if (!fds)
		return bs_fail(ERR, ENOMEM, "install");
	for (; opened < n; opened++) {
		struct stat sb;

		fds[opened] = open(paths[opened], O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fds[opened] < 0 || fstat(fds[opened], &sb) < 0 || !S_ISREG(sb.st_mode)) {
			ret = fds[opened] < 0 ? bs_fail(ERR, errno, "install: %s", paths[opened])
					      : bs_failx(ERR, EINVAL, "install: %s: not a regular file", paths[opened]);
			if (fds[opened] >= 0)
				close(fds[opened]);
			goto out;
		}
	}
	if ((ret = bs_inctx_open(&ch, 4 * n + MAX_PROBLEMS + 64, on_rec, &p)) < 0) {
		bs_fail(ERR, -ret, "install: pipe");
		goto out;
	}
	st.fds = fds;
	st.chan = ch.wfd;
	st.flags = o->flags;
	st.langs = o->langs;
	bs_exec_opts_init(&eo);
	eo.stdout_fd = eo.stderr_fd = o->log_fd;
	eo.timeout_s = o->timeout_s;
	eo.fn = install_child;
	eo.arg = &st;
	eo.watch_fd = ch.rfd;
	eo.watch = bs_inctx_drain;
	eo.watch_arg = &ch;
	ret = bs_ctx_exec(c, argv, &eo, &wst, ERR);
	bs_inctx_close(&ch);
	if (ret < 0)
		goto out;
	if (p.nomem) {
		ret = bs_fail(ERR, ENOMEM, "install");
	} else if (p.fatal[0]) {
		ret = bs_failx(ERR, EINVAL, "install: %s%s%s", p.fatal_index ? paths[p.fatal_index - 1] : "",
			       p.fatal_index ? ": " : "", p.fatal);
	} else if (WIFEXITED(wst) && WEXITSTATUS(wst) == 0 && res->nnevras == n) {
		ret = 0;
	} else if (res->nproblems || (WIFEXITED(wst) && WEXITSTATUS(wst) == 1)) {
		if (!res->nproblems)
			bs_strlist_add(&res->problems, &res->nproblems, "a package failed to install (see the log)");
		ret = problems_err(res, ERR);
	} else {
		ret = bs_failx(ERR, EIO, "install: the transaction ended abnormally (status 0x%x)", wst);
	}
out:
	while (opened--)
		close(fds[opened]);
	free(fds);
	return ret;
}
