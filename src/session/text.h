/*
 * iSCSI text key=value codec (RFC 7143 6.1, 6.2, 11.10, 11.12): the data
 * segment of Login and Text PDUs.
 *
 * Wire format: "key=value\0key=value\0...". A pair may be split across PDUs
 * whose C (continue) bit is set (RFC 7143 11.10.2, 11.12.2); the parts are
 * collected with the accumulator and parsed once the last PDU arrived.
 *
 * Contract
 * - No allocation, no I/O, no logging. All buffers are the caller's.
 * - The parser returns views (pointer + length) into the caller's buffer;
 *   they stay valid as long as that buffer is unchanged. Values of complete
 *   pairs are also NUL-terminated C strings (the NUL of the pair); keys are
 *   terminated by '=', so compare them with iscsi_text_key_is().
 * - Semantics (which keys exist, their negotiation rules, duplicates) belong
 *   to param.c / login.c; this file only knows the syntax, the length
 *   limits and the value encodings.
 * - int functions return 0 (or a count) / -errno; parse errors are -EPROTO
 *   with *why set to a static string (why may be NULL).
 */
#ifndef ISN_SESSION_TEXT_H
#define ISN_SESSION_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 7143 6.1: key names up to 63 bytes, simple values up to 255. */
#define ISCSI_TEXT_KEY_MAX   63
#define ISCSI_TEXT_VALUE_MAX 255
/*
 * Keys whose values are large binary strings (CHAP_C, CHAP_R, ...; RFC
 * 7143 6.1 "large-binary-value") are allowed this many bytes of text:
 * room for a 4095-byte value in hex. Our own policy bound, chosen so that
 * a hostile peer cannot make one value unbounded.
 */
#define ISCSI_TEXT_LONG_VALUE_MAX 8192

/* One key=value pair: views into the parsed buffer. */
struct iscsi_text_pair {
	const char *key;
	size_t key_len;
	const char *value; /* NUL-terminated for complete pairs */
	size_t value_len;
};

/* True when pair's key is exactly name (a C string). */
bool iscsi_text_key_is(const struct iscsi_text_pair *pair, const char *name);

/* Largest value length allowed for this key (255, or 8192 for long keys). */
size_t iscsi_text_value_max(const char *key, size_t key_len);

/*
 * Parse buf[0..len) into pairs[0..max_pairs). Empty strings between NULs
 * are skipped (some targets pad the segment with extra NULs).
 * more: the segment continues in a later PDU (C bit). Then a last pair
 * without its NUL is not an error: it is left out and *consumed says where
 * it starts, so the caller can carry it over. Without more, a missing final
 * NUL is -EPROTO. consumed may be NULL.
 * Returns the number of pairs, -EPROTO (missing '=', empty or over-long
 * key, bad key character, value over its limit) or -ENOSPC (more than
 * max_pairs pairs).
 */
int iscsi_text_parse(const char *buf, size_t len, bool more, struct iscsi_text_pair *pairs,
		     size_t max_pairs, size_t *consumed, const char **why);

/* ---- Accumulator for text spanning several PDUs (C bit) ---- */

struct iscsi_text_acc {
	char *buf; /* caller-owned storage, cap bytes */
	size_t cap;
	size_t len;
	bool complete; /* the last part (C = 0) has been appended */
};

void iscsi_text_acc_init(struct iscsi_text_acc *acc, char *buf, size_t cap);

/* Forget the collected text, keep the buffer. */
void iscsi_text_acc_reset(struct iscsi_text_acc *acc);

/*
 * Append one PDU's data segment; cont is that PDU's C bit. Returns 0,
 * -EMSGSIZE when the total would exceed cap (a peer sending more than we
 * are prepared to hold), -EALREADY after the last part was appended.
 */
int iscsi_text_acc_append(struct iscsi_text_acc *acc, const void *seg, size_t len, bool cont);

/*
 * Parse the complete text (as iscsi_text_parse with more = false). The
 * pairs point into acc->buf. -EAGAIN while incomplete.
 */
int iscsi_text_acc_parse(const struct iscsi_text_acc *acc, struct iscsi_text_pair *pairs,
			 size_t max_pairs, const char **why);

/* ---- Builder: "key=value\0" into a caller buffer ---- */

struct iscsi_text_builder {
	char *buf; /* caller-owned, cap bytes */
	size_t cap;
	size_t len; /* bytes of complete pairs written: the data segment length */
	int err;    /* first error, sticky: later adds fail and change nothing */
};

void iscsi_text_builder_init(struct iscsi_text_builder *b, char *buf, size_t cap);

/*
 * Each add writes a whole pair or nothing. Returns 0, -ENOSPC (buffer
 * full), or -EINVAL (key empty/too long/bad character, value too long or
 * containing NUL). After an error every later add returns the same error,
 * so a sequence of adds can be checked once at the end via b->err.
 */
int iscsi_text_add(struct iscsi_text_builder *b, const char *key, const char *value);
/* Decimal number (RFC 7143 6.1 decimal-constant). */
int iscsi_text_add_u64(struct iscsi_text_builder *b, const char *key, uint64_t v);
/* "0x" hex number. */
int iscsi_text_add_hex(struct iscsi_text_builder *b, const char *key, uint64_t v);
/* List value "a,b,c" (RFC 7143 6.2 list-of-values); n >= 1. */
int iscsi_text_add_list(struct iscsi_text_builder *b, const char *key, const char *const *items,
			size_t n);
/* Binary value as "0x" + 2 lowercase hex digits per byte (RFC 7143 6.1 hex-constant). */
int iscsi_text_add_binary_hex(struct iscsi_text_builder *b, const char *key, const uint8_t *data,
			      size_t n);
/* Binary value as "0b" + base64 (RFC 7143 6.1 base64-constant, RFC 4648 with padding). */
int iscsi_text_add_binary_b64(struct iscsi_text_builder *b, const char *key, const uint8_t *data,
			      size_t n);

/* ---- Values ---- */

/* RFC 7143 6.2: answers that are not values. */
enum iscsi_text_special {
	ISCSI_TEXT_VAL_PLAIN = 0,      /* an ordinary value */
	ISCSI_TEXT_VAL_REJECT,	       /* "Reject" */
	ISCSI_TEXT_VAL_IRRELEVANT,     /* "Irrelevant" */
	ISCSI_TEXT_VAL_NOT_UNDERSTOOD, /* "NotUnderstood" */
};

enum iscsi_text_special iscsi_text_special(const char *value, size_t len);

/*
 * Numerical value (RFC 7143 6.1 numerical-value): decimal-constant, or
 * hex-constant 0x/0X, or base64-constant 0b/0B, up to 64 bits. No sign,
 * no spaces, no empty digits. Returns 0, -EINVAL (syntax) or -ERANGE.
 */
int iscsi_text_parse_number(const char *value, size_t len, uint64_t *out);

/*
 * Binary value (RFC 7143 6.1 binary-value: hex-constant or base64-constant)
 * decoded into out[0..cap); *out_len gets the byte count. An odd number of
 * hex digits means a leading zero nibble. Returns 0, -EINVAL (syntax: no
 * prefix, bad digit, bad base64 padding), -ENOSPC (cap too small).
 */
int iscsi_text_decode_binary(const char *value, size_t len, uint8_t *out, size_t cap,
			     size_t *out_len);

/*
 * Iterate the items of a list value "a,b,c": *pos starts at 0; returns 1
 * with *item and *item_len set, 0 at the end, -EPROTO for an empty item ("a,,b",
 * trailing comma).
 */
int iscsi_text_list_next(const char *value, size_t len, size_t *pos, const char **item,
			 size_t *item_len);

/* True when the list value contains item exactly. */
bool iscsi_text_list_has(const char *value, size_t len, const char *item);

#endif
