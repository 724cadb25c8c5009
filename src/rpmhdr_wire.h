/* Internal to rpmhdr.c and rpmhdr_child.c: the child's record stream.
 * Each record is a type byte, a 32-bit little-endian length and that many
 * bytes; the stream ends with BS_RPMHDR_REC_END, or is an ERROR record whose
 * first byte is a BS_RPMHDR_ERR_* letter followed by a message. */
#ifndef BSRUN_RPMHDR_WIRE_H
#define BSRUN_RPMHDR_WIRE_H

#include <rpm/rpmio.h>
#include <rpm/rpmts.h>
#include <stddef.h>

struct bs_rpmhdr;

enum {
	BS_RPMHDR_REC_NAME = 'N',
	BS_RPMHDR_REC_VERSION = 'V',
	BS_RPMHDR_REC_RELEASE = 'R',
	BS_RPMHDR_REC_ARCH = 'A',
	BS_RPMHDR_REC_EPOCH = 'E',      /* decimal */
	BS_RPMHDR_REC_SOURCE = 'S',
	BS_RPMHDR_REC_PATCH = 'P',
	BS_RPMHDR_REC_REQUIRE = 'B',
	BS_RPMHDR_REC_RPMLIB = 'L',
	BS_RPMHDR_REC_CONFLICT = 'C',
	BS_RPMHDR_REC_SPECFILE = 'F',
	BS_RPMHDR_REC_ERROR = 'X',
	BS_RPMHDR_REC_END = 'Z',
};

enum {
	BS_RPMHDR_ERR_BAD = 'B',    /* librpm cannot read it */
	BS_RPMHDR_ERR_BINARY = 'S', /* not a source package */
	BS_RPMHDR_ERR_SETUP = 'I',  /* the sandbox could not be set up */
};

/* Exit statuses of the child besides 0. */
#define BS_RPMHDR_EXIT_IO 3
#define BS_RPMHDR_EXIT_SETUP 4

/* The child: never returns. pkgfd is the open package, outfd the pipe, name
 * the file's name for librpm's messages. */
void bs_rpmhdr_child(int pkgfd, int outfd, const char *name) __attribute__((noreturn));

/* What the child does once sandboxed, apart so that it can be fuzzed: reads
 * the package from fd (librpm's handle of pkgfd; ts has the verify flags set)
 * and writes the whole record stream to outfd: the fields then END, or one
 * ERROR record (not an RPM, a binary RPM, truncated). librpm's messages are
 * kept for the report, never printed. Returns when done (a write failure
 * _exits). */
void bs_rpmhdr_extract(rpmts ts, FD_t fd, const char *name, int pkgfd, int outfd);

/* The parent's half: validates the child's output buf/len (status: its wait
 * status) into *out against the bounds of rpmhdr.h, exactly as
 * bs_rpmhdr_read does; shown names the package in err. Returns 0 or the
 * -errno bs_rpmhdr_read documents; on failure *out is freed. */
int bs_rpmhdr_decode(const char *shown, const char *buf, size_t len, int status, struct bs_rpmhdr *out,
		     char *err, size_t errlen);

#endif
