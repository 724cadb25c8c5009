/* libFuzzer target: the src.rpm header reader without its sandbox. The bytes
 * are the package file; librpm reads its header exactly as the sandboxed
 * child does (bs_rpmhdr_extract: header import, source check, length check,
 * field extraction into the record stream), then the parent's validation
 * (bs_rpmhdr_decode: bounds, sanitising) turns the stream into the plain
 * result. The parent's own pre-check (an empty file is refused before
 * librpm) is applied first.
 *
 * Digests are not checked on most inputs: they are unkeyed (a hostile
 * packager recomputes them), so skipping them lets the fuzzer reach header
 * import and extraction the way an attacker can; every 7th input uses the
 * real reader's flags (digests checked, signatures not). */
#include "rpmhdr.h"
#include "rpmhdr_wire.h"

#include <errno.h>
#include <rpm/rpmkeyring.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static rpmts ts_real, ts_nodigest;
static int in_fd = -1, out_fd = -1;

static rpmts make_ts(rpmVSFlags flags)
{
	rpmts ts = rpmtsCreate();
	rpmKeyring kr = rpmKeyringNew();

	rpmtsSetVSFlags(ts, flags);
	rpmtsSetKeyring(ts, kr);
	rpmKeyringFree(kr);
	return ts;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rpmlogSetMask(RPMLOG_UPTO(RPMLOG_ERR));
	if (rpmReadConfigFiles(NULL, NULL) != 0)
		abort();
	ts_real = make_ts(RPMVSF_MASK_NOSIGNATURES);
	ts_nodigest = make_ts(RPMVSF_MASK_NOSIGNATURES | RPMVSF_MASK_NODIGESTS);
	in_fd = memfd_create("fuzz.src.rpm", MFD_CLOEXEC);
	out_fd = memfd_create("fuzz.records", MFD_CLOEXEC);
	if (in_fd < 0 || out_fd < 0)
		abort();
	return 0;
}

/* A result string: sanitised (no control characters but the tab, which
 * bs_sanitize keeps), bounded. */
static void check_str(const char *s, int may_be_null)
{
	if (!s) {
		if (!may_be_null)
			abort();
		return;
	}
	if (strlen(s) > 4 * BS_RPMHDR_MAX_STRING + 16) {
		fprintf(stderr, "fuzz_rpmhdr: a result string of %zu bytes\n", strlen(s));
		abort();
	}
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if ((*c < 0x20 && *c != '\t') || *c == 0x7f) {
			fprintf(stderr, "fuzz_rpmhdr: byte 0x%02x at %zu of a result string\n", *c,
				(size_t)(c - (const unsigned char *)s));
			abort();
		}
}

static void check_list(const struct bs_strlist *l)
{
	if (l->n > BS_RPMHDR_MAX_LIST)
		abort();
	for (size_t i = 0; i < l->n; i++)
		check_str(l->v[i], 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_rpmhdr h;
	char err[1024] = "", *buf;
	off_t n;
	FD_t fd;
	int rc;

	if (size == 0) /* bs_rpmhdr_read refuses an empty file before librpm */
		return 0;
	if (ftruncate(in_fd, 0) < 0 || pwrite(in_fd, data, size, 0) != (ssize_t)size ||
	    lseek(in_fd, 0, SEEK_SET) < 0 || ftruncate(out_fd, 0) < 0 || lseek(out_fd, 0, SEEK_SET) < 0)
		abort();
	if (!(fd = fdDup(in_fd)))
		abort();
	bs_rpmhdr_extract(size % 7 == 0 ? ts_real : ts_nodigest, fd, "fuzz.src.rpm", in_fd, out_fd);
	Fclose(fd);
	/* librpm keeps every logged error for rpmlogGetNrecs(); the real
	 * reader's child exits after one package, the fuzzer does not: drop
	 * them, so that libFuzzer's per-input leak check stays on */
	rpmlogClose();

	/* the parent reads at most BS_RPMHDR_MAX_OUTPUT bytes, then refuses */
	n = lseek(out_fd, 0, SEEK_CUR);
	if (n < 0)
		abort();
	if (n > (off_t)BS_RPMHDR_MAX_OUTPUT)
		return 0;
	if (!(buf = malloc((size_t)n + 1)) || pread(out_fd, buf, (size_t)n, 0) != n)
		abort();
	rc = bs_rpmhdr_decode("fuzz.src.rpm", buf, (size_t)n, 0, &h, err, sizeof err);
	free(buf);
	if (getenv("FUZZ_SHOW")) /* for looking at an artifact: FUZZ_SHOW=1 build/fuzz/fuzz_rpmhdr FILE */
		fprintf(stderr, "fuzz_rpmhdr: %d: %s\n", rc, rc == 0 ? h.nevr : err);
	if (rc == 0) {
		check_str(h.name, 0);
		check_str(h.version, 0);
		check_str(h.release, 0);
		check_str(h.nevr, 0);
		check_str(h.arch, 1);
		check_str(h.specfile, 1);
		check_list(&h.sources);
		check_list(&h.patches);
		check_list(&h.buildrequires);
		check_list(&h.rpmlib);
		check_list(&h.buildconflicts);
	} else {
		/* a documented error with a message, and nothing left filled in */
		if (!err[0] || h.name || h.nevr || h.sources.v)
			abort();
		if (rc != -EBADMSG && rc != -EMEDIUMTYPE && rc != -EFBIG && rc != -ECHILD && rc != -ENOMEM) {
			fprintf(stderr, "fuzz_rpmhdr: undocumented result %d: %s\n", rc, err);
			abort();
		}
	}
	bs_rpmhdr_free(&h);
	return 0;
}
