/* Escaping of control characters and invalid UTF-8 in untrusted text. */
#include "sanitize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Length of the valid, non-control UTF-8 sequence at s (max n bytes), or 0 when
 * the byte at s must be escaped. */
static size_t utf8_ok(const unsigned char *s, size_t n, int flags)
{
	unsigned char c = s[0];
	size_t need;
	uint32_t cp;

	if (c < 0x80) {
		if (c == '\t' || (c == '\n' && (flags & BS_SANITIZE_KEEP_NEWLINES)))
			return 1;
		return (c < 0x20 || c == 0x7f) ? 0 : 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF, C1 controls */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return need;
}

int bs_is_clean(const char *in, size_t len, int flags)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;

	while (i < len) {
		size_t k = utf8_ok(s + i, len - i, flags);
		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

char *bs_sanitize(const char *in, size_t len, int flags)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;
	char *out;

	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	out = malloc(len * 4 + 1);
	if (!out)
		return NULL;
	while (i < len) {
		size_t k = utf8_ok(s + i, len - i, flags);
		if (k == 0) {
			snprintf(out + o, 5, "\\x%02x", s[i]);
			o += 4;
			i++;
			continue;
		}
		while (k--)
			out[o++] = (char)s[i++];
	}
	out[o] = '\0';
	return out;
}
