/*
 * iSCSI text key=value codec, RFC 7143 6.1 (syntax, value encodings) and
 * 6.2 (special answers). See text.h for the contract.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "session/text.h"
#include "util/compiler.h"
#include "util/hex.h"

static int text_fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EPROTO;
}

/*
 * RFC 7143 6.1 key-name: letters, digits, '.', '-', '+', '@', '_'. '#' is
 * accepted too: RFC 7143 names IANA-registered extension keys "X#...".
 */
static bool key_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '+' || c == '@' || c == '_' || c == '#';
}

static bool key_ok(const char *key, size_t len)
{
	if (len == 0 || len > ISCSI_TEXT_KEY_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!key_char_ok((unsigned char)key[i]))
			return false;
	return true;
}

bool iscsi_text_key_is(const struct iscsi_text_pair *pair, const char *name)
{
	size_t n = strlen(name);

	return pair->key_len == n && memcmp(pair->key, name, n) == 0;
}

/*
 * Keys carrying large-binary-values (RFC 7143 6.1): the CHAP challenge and
 * response (12.1.3), and the SRP / Kerberos exchanges of RFC 7143 12.1.
 */
static const char *const long_keys[] = {
	"CHAP_C", "CHAP_R", "KRB_AP_REQ", "KRB_AP_REP", "SRP_s",
	"SRP_A",  "SRP_B",  "SRP_M",	  "SRP_HM",
};

size_t iscsi_text_value_max(const char *key, size_t key_len)
{
	for (size_t i = 0; i < ARRAY_SIZE(long_keys); i++)
		if (strlen(long_keys[i]) == key_len && memcmp(long_keys[i], key, key_len) == 0)
			return ISCSI_TEXT_LONG_VALUE_MAX;
	return ISCSI_TEXT_VALUE_MAX;
}

int iscsi_text_parse(const char *buf, size_t len, bool more, struct iscsi_text_pair *pairs,
		     size_t max_pairs, size_t *consumed, const char **why)
{
	size_t pos = 0, n = 0;

	while (pos < len) {
		const char *start = buf + pos;
		const char *nul = memchr(start, '\0', len - pos);
		const char *eq;
		size_t entry_len, key_len, value_len;

		if (!nul) {
			/* RFC 7143 11.10.2: with C set the pair continues in the next PDU. */
			if (more)
				break;
			return text_fail(why, "last key=value pair not NUL-terminated");
		}
		entry_len = (size_t)(nul - start);
		if (entry_len == 0) {
			pos++;
			continue;
		}
		eq = memchr(start, '=', entry_len);
		if (!eq)
			return text_fail(why, "key=value pair without '='");
		key_len = (size_t)(eq - start);
		value_len = entry_len - key_len - 1;
		if (key_len == 0)
			return text_fail(why, "empty key");
		if (key_len > ISCSI_TEXT_KEY_MAX)
			return text_fail(why, "key longer than 63 bytes");
		if (!key_ok(start, key_len))
			return text_fail(why, "invalid character in key");
		if (value_len > iscsi_text_value_max(start, key_len))
			return text_fail(why, "value longer than the key allows");
		if (n == max_pairs)
			return -ENOSPC;
		pairs[n].key = start;
		pairs[n].key_len = key_len;
		pairs[n].value = eq + 1;
		pairs[n].value_len = value_len;
		n++;
		pos += entry_len + 1;
	}
	if (consumed)
		*consumed = pos;
	return (int)MIN(n, (size_t)0x7fffffff);
}

/* ---- Accumulator ---- */

void iscsi_text_acc_init(struct iscsi_text_acc *acc, char *buf, size_t cap)
{
	acc->buf = buf;
	acc->cap = cap;
	acc->len = 0;
	acc->complete = false;
}

void iscsi_text_acc_reset(struct iscsi_text_acc *acc)
{
	acc->len = 0;
	acc->complete = false;
}

int iscsi_text_acc_append(struct iscsi_text_acc *acc, const void *seg, size_t len, bool cont)
{
	if (acc->complete)
		return -EALREADY;
	if (len > acc->cap - acc->len)
		return -EMSGSIZE;
	if (len)
		memcpy(acc->buf + acc->len, seg, len);
	acc->len += len;
	acc->complete = !cont;
	return 0;
}

int iscsi_text_acc_parse(const struct iscsi_text_acc *acc, struct iscsi_text_pair *pairs,
			 size_t max_pairs, const char **why)
{
	if (!acc->complete)
		return -EAGAIN;
	return iscsi_text_parse(acc->buf, acc->len, false, pairs, max_pairs, NULL, why);
}

/* ---- Builder ---- */

void iscsi_text_builder_init(struct iscsi_text_builder *b, char *buf, size_t cap)
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->err = 0;
}

static int builder_err(struct iscsi_text_builder *b, int err)
{
	b->err = err;
	return err;
}

/*
 * Reserve room for "key=" + value_len + NUL and write "key=". Returns the
 * value position, or -errno (recorded in b->err). Nothing is committed
 * until builder_commit().
 */
static int builder_begin(struct iscsi_text_builder *b, const char *key, size_t value_len,
			 char **value)
{
	size_t key_len, need;

	if (b->err)
		return b->err;
	key_len = strlen(key);
	if (!key_ok(key, key_len) || value_len > iscsi_text_value_max(key, key_len))
		return builder_err(b, -EINVAL);
	need = key_len + 1 + value_len + 1;
	if (need > b->cap - b->len)
		return builder_err(b, -ENOSPC);
	memcpy(b->buf + b->len, key, key_len);
	b->buf[b->len + key_len] = '=';
	*value = b->buf + b->len + key_len + 1;
	return 0;
}

static void builder_commit(struct iscsi_text_builder *b, char *value, size_t value_len)
{
	value[value_len] = '\0';
	b->len = (size_t)(value + value_len + 1 - b->buf);
}

int iscsi_text_add(struct iscsi_text_builder *b, const char *key, const char *value)
{
	size_t n = strlen(value);
	char *v = NULL;
	int r = builder_begin(b, key, n, &v);

	if (r < 0)
		return r;
	memcpy(v, value, n);
	builder_commit(b, v, n);
	return 0;
}

int iscsi_text_add_u64(struct iscsi_text_builder *b, const char *key, uint64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	return iscsi_text_add(b, key, tmp);
}

int iscsi_text_add_hex(struct iscsi_text_builder *b, const char *key, uint64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "0x%llx", (unsigned long long)v);
	return iscsi_text_add(b, key, tmp);
}

int iscsi_text_add_list(struct iscsi_text_builder *b, const char *key, const char *const *items,
			size_t n)
{
	size_t total = 0, off = 0;
	char *v = NULL;
	int r;

	if (b->err)
		return b->err;
	if (n == 0)
		return builder_err(b, -EINVAL);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(items[i]);

		/* RFC 7143 6.2: list items are non-empty and contain no comma. */
		if (l == 0 || memchr(items[i], ',', l))
			return builder_err(b, -EINVAL);
		total += l + (i ? 1 : 0);
		if (total > ISCSI_TEXT_LONG_VALUE_MAX)
			return builder_err(b, -EINVAL);
	}
	r = builder_begin(b, key, total, &v);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(items[i]);

		if (i)
			v[off++] = ',';
		memcpy(v + off, items[i], l);
		off += l;
	}
	builder_commit(b, v, total);
	return 0;
}

int iscsi_text_add_binary_hex(struct iscsi_text_builder *b, const char *key, const uint8_t *data,
			      size_t n)
{
	char *v = NULL;
	int r;

	if (!b->err && (n == 0 || n > ISCSI_TEXT_LONG_VALUE_MAX / 2))
		return builder_err(b, -EINVAL);
	r = builder_begin(b, key, 2 + 2 * n, &v);
	if (r < 0)
		return r;
	v[0] = '0';
	v[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		v[2 + 2 * i] = hex_digit(data[i] >> 4);
		v[3 + 2 * i] = hex_digit(data[i]);
	}
	builder_commit(b, v, 2 + 2 * n);
	return 0;
}

static const char b64_digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int iscsi_text_add_binary_b64(struct iscsi_text_builder *b, const char *key, const uint8_t *data,
			      size_t n)
{
	size_t out_len, o = 2;
	char *v = NULL;
	int r;

	if (!b->err && (n == 0 || n > ISCSI_TEXT_LONG_VALUE_MAX / 2))
		return builder_err(b, -EINVAL);
	out_len = 2 + (n + 2) / 3 * 4;
	r = builder_begin(b, key, out_len, &v);
	if (r < 0)
		return r;
	v[0] = '0';
	v[1] = 'b';
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)data[i] << 16;
		size_t left = n - i;

		if (left > 1)
			w |= (uint32_t)data[i + 1] << 8;
		if (left > 2)
			w |= data[i + 2];
		v[o++] = b64_digits[(w >> 18) & 63];
		v[o++] = b64_digits[(w >> 12) & 63];
		v[o++] = left > 1 ? b64_digits[(w >> 6) & 63] : '=';
		v[o++] = left > 2 ? b64_digits[w & 63] : '=';
	}
	builder_commit(b, v, out_len);
	return 0;
}

/* ---- Values ---- */

enum iscsi_text_special iscsi_text_special(const char *value, size_t len)
{
	if (len == 6 && memcmp(value, "Reject", 6) == 0)
		return ISCSI_TEXT_VAL_REJECT;
	if (len == 10 && memcmp(value, "Irrelevant", 10) == 0)
		return ISCSI_TEXT_VAL_IRRELEVANT;
	if (len == 13 && memcmp(value, "NotUnderstood", 13) == 0)
		return ISCSI_TEXT_VAL_NOT_UNDERSTOOD;
	return ISCSI_TEXT_VAL_PLAIN;
}

/* The value of a base64 digit: its place in the alphabet the encoder uses, or -1. */
static int b64_val(char c)
{
	const char *p = c ? strchr(b64_digits, c) : NULL;

	return p ? (int)(p - b64_digits) : -1;
}

/* Hex digits (no prefix) to bytes; odd count = implied leading zero nibble. */
static int decode_hex(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t n = (len + 1) / 2, o = 0, i = 0;

	if (len == 0)
		return -EINVAL;
	if (n > cap)
		return -ENOSPC;
	if (len & 1) {
		int d = hex_value((unsigned char)s[0]);

		if (d < 0)
			return -EINVAL;
		out[o++] = (uint8_t)d;
		i = 1;
	}
	for (; i < len; i += 2) {
		int hi = hex_value((unsigned char)s[i]), lo = hex_value((unsigned char)s[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[o++] = (uint8_t)(hi << 4 | lo);
	}
	*out_len = o;
	return 0;
}

/*
 * RFC 4648 section 4 base64. '=' padding only at the end, at most two, and
 * then the length must be a multiple of 4; unpadded input is accepted too
 * (a lone trailing character, 6 bits, can never form a byte: rejected).
 */
static int decode_b64(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t pad = 0, data_len, o = 0, need;
	uint32_t acc = 0;
	unsigned int bits = 0;

	while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
		pad++;
	if (pad && len % 4)
		return -EINVAL;
	data_len = len - pad;
	if (data_len == 0 || data_len % 4 == 1)
		return -EINVAL;
	need = data_len / 4 * 3 + (data_len % 4 ? data_len % 4 - 1 : 0);
	if (need > cap)
		return -ENOSPC;
	for (size_t i = 0; i < data_len; i++) {
		int d = b64_val(s[i]);

		if (d < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*out_len = o;
	return 0;
}

int iscsi_text_decode_binary(const char *value, size_t len, uint8_t *out, size_t cap,
			     size_t *out_len)
{
	if (len < 3 || value[0] != '0')
		return -EINVAL;
	if (value[1] == 'x' || value[1] == 'X')
		return decode_hex(value + 2, len - 2, out, cap, out_len);
	if (value[1] == 'b' || value[1] == 'B')
		return decode_b64(value + 2, len - 2, out, cap, out_len);
	return -EINVAL;
}

int iscsi_text_parse_number(const char *value, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return -EINVAL;
	if (len >= 2 && value[0] == '0' &&
	    (value[1] == 'x' || value[1] == 'X' || value[1] == 'b' || value[1] == 'B')) {
		/* A numerical value is a simple value: at most 255 bytes of text. */
		uint8_t bytes[ISCSI_TEXT_VALUE_MAX];
		size_t n = 0, first = 0;
		int r = iscsi_text_decode_binary(value, len, bytes, sizeof(bytes), &n);

		if (r == -ENOSPC)
			return -ERANGE;
		if (r < 0)
			return r;
		/* Leading zero bytes do not count against the 64 bits. */
		while (first < n && bytes[first] == 0)
			first++;
		if (n - first > 8)
			return -ERANGE;
		for (size_t i = first; i < n; i++)
			v = v << 8 | bytes[i];
		*out = v;
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned int d = (unsigned char)value[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (mul_overflow(v, 10, &v) || add_overflow(v, d, &v))
			return -ERANGE;
	}
	*out = v;
	return 0;
}

int iscsi_text_list_next(const char *value, size_t len, size_t *pos, const char **item,
			 size_t *item_len)
{
	const char *comma;
	size_t start = *pos, end;

	/* len + 1 marks "past the last item"; an empty value has no items. */
	if (start > len || len == 0)
		return 0;
	comma = memchr(value + start, ',', len - start);
	end = comma ? (size_t)(comma - value) : len;
	if (end == start)
		return -EPROTO;
	*item = value + start;
	*item_len = end - start;
	*pos = comma ? end + 1 : len + 1;
	return 1;
}

bool iscsi_text_list_has(const char *value, size_t len, const char *item)
{
	size_t pos = 0, n = strlen(item), il;
	const char *it;

	while (iscsi_text_list_next(value, len, &pos, &it, &il) == 1)
		if (il == n && memcmp(it, item, n) == 0)
			return true;
	return false;
}
