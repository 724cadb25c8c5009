/* The channel from a function running in a context back to bsrun. */
#include "inctx.h"

#include <errno.h>
#include <fcntl.h>
#include <rpm/rpmlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int bs_inctx_open(struct bs_inctx *ch, size_t max_recs, void (*on_rec)(void *, const struct bs_inctx_rec *),
		  void *ud)
{
	int p[2];

	memset(ch, 0, sizeof *ch);
	ch->rfd = ch->wfd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	ch->rfd = p[0];
	ch->wfd = p[1];
	ch->on_rec = on_rec;
	ch->ud = ud;
	ch->max_recs = max_recs;
	return 0;
}

void bs_inctx_drain(void *arg, int fd)
{
	struct bs_inctx *ch = arg;
	struct bs_inctx_rec r;
	ssize_t n;

	(void)fd;
	if (ch->rfd < 0)
		return;
	/* writers write whole records atomically: a read gets whole records */
	while ((n = read(ch->rfd, &r, sizeof r)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		if (n != (ssize_t)sizeof r || r.len >= BS_INCTX_TEXT || r.text[r.len] != '\0' ||
		    strlen(r.text) != r.len)
			continue;
		if (ch->nrecs >= ch->max_recs) {
			ch->dropped++;
			continue;
		}
		ch->nrecs++;
		ch->on_rec(ch->ud, &r);
	}
}

void bs_inctx_close(struct bs_inctx *ch)
{
	if (ch->wfd >= 0) {
		close(ch->wfd);
		ch->wfd = -1;
	}
	if (ch->rfd >= 0) {
		bs_inctx_drain(ch, ch->rfd);
		close(ch->rfd);
		ch->rfd = -1;
	}
}

void bs_inctx_send(int wfd, char op, uint32_t index, const char *text)
{
	struct bs_inctx_rec r;

	memset(&r, 0, sizeof r);
	r.op = op;
	r.index = index;
	if (text)
		snprintf(r.text, sizeof r.text, "%s", text);
	r.len = (uint32_t)strlen(r.text);
	if (write(wfd, &r, sizeof r) < 0) {
		/* bsrun is gone: nobody to tell */
	}
}

void bs_inctx_sendf(int wfd, char op, uint32_t index, const char *fmt, ...)
{
	char text[BS_INCTX_TEXT];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	bs_inctx_send(wfd, op, index, text);
}

int bs_inctx_rpm_config(void)
{
	static int done;

	if (done)
		return 0;
	if (rpmReadConfigFiles(NULL, NULL) != 0)
		return -EIO;
	done = 1;
	return 0;
}

int bs_inctx_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}
