/* Escaping of peer-supplied text; see escape.h. */
#include "config.h"

#include <string.h>

#include "util/compiler.h"
#include "util/escape.h"
#include "util/hex.h"

/* The escape of byte c into u (at most STR_ESC_PER_BYTE chars); returns its length. */
static size_t esc_one(unsigned char c, unsigned int flags, char u[STR_ESC_PER_BYTE])
{
	if (c == '\\' && !(flags & STR_ESC_KEEP_BACKSLASH)) {
		u[0] = '\\';
		u[1] = '\\';
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		u[0] = (char)c;
		return 1;
	}
	u[0] = '\\';
	u[1] = 'x';
	u[2] = hex_digit(c >> 4);
	u[3] = hex_digit(c);
	return 4;
}

size_t str_escape_flags(char *out, size_t cap, const void *in, size_t len, unsigned int flags)
{
	const unsigned char *p = in;
	size_t pos = 0, need = 0, room, dots = 0, i;
	char u[STR_ESC_PER_BYTE];

	if (!cap)
		return 0;
	for (i = 0; i < len; i++)
		need += esc_one(p[i], flags, u);
	room = cap - 1;
	if (need > room) {
		/* Truncated: whole escapes only, then "..." so the reader sees the cut. */
		dots = MIN(room, (size_t)3);
		room -= dots;
	}
	for (i = 0; i < len; i++) {
		size_t n = esc_one(p[i], flags, u);

		if (pos + n > room)
			break;
		memcpy(out + pos, u, n);
		pos += n;
	}
	memset(out + pos, '.', dots);
	pos += dots;
	out[pos] = '\0';
	return pos;
}

const char *str_esc(char *out, size_t cap, const char *s)
{
	str_escape(out, cap, s ? s : "", s ? strlen(s) : 0);
	return out;
}

bool str_is_inert(const void *in, size_t len)
{
	const unsigned char *p = in;

	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '\\')
			return false;
	return true;
}

void str_make_inert(char *s, size_t cap)
{
	char raw[1024];
	size_t len, i;

	if (!cap)
		return;
	len = strnlen(s, MIN(cap, sizeof(raw)) - 1);

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			break;
	if (i == len)
		return;
	memcpy(raw, s, len);
	str_escape_flags(s, MIN(cap, sizeof(raw)), raw, len, STR_ESC_KEEP_BACKSLASH);
}
