/*
 * Fuzz the text codec with arbitrary data segments.
 * Input: byte 0 picks a split point and the C bit; the rest is text.
 *
 * Oracles besides the sanitizers:
 * - parsed views lie inside the input and respect the RFC 7143 6.1 limits;
 * - parsing the text in two PDUs through the accumulator gives the same
 *   pairs as parsing it whole;
 * - every parsed pair rebuilt with the builder parses back identically;
 * - a decoded binary value re-encoded as hex and as base64 decodes back to
 *   the same bytes.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAIRS 64

static void check_binary(const char *v, size_t len)
{
	static uint8_t bin[ISCSI_TEXT_LONG_VALUE_MAX], bin2[ISCSI_TEXT_LONG_VALUE_MAX];
	static char out[2 * ISCSI_TEXT_LONG_VALUE_MAX + 64];
	struct iscsi_text_builder b;
	struct iscsi_text_pair p;
	size_t n = 0, n2 = 0;

	if (iscsi_text_decode_binary(v, len, bin, sizeof(bin), &n) != 0)
		return;
	if (n == 0 || n > len)
		abort();
	if (n > ISCSI_TEXT_LONG_VALUE_MAX / 2)
		return;
	iscsi_text_builder_init(&b, out, sizeof(out));
	if (iscsi_text_add_binary_hex(&b, "CHAP_C", bin, n) != 0 ||
	    iscsi_text_add_binary_b64(&b, "CHAP_R", bin, n) != 0)
		abort();
	/* Hex pair first, then base64. */
	if (iscsi_text_parse(out, b.len, false, &p, 1, NULL, NULL) != -ENOSPC)
		abort();
	{
		struct iscsi_text_pair two[2];

		if (iscsi_text_parse(out, b.len, false, two, 2, NULL, NULL) != 2)
			abort();
		for (int k = 0; k < 2; k++) {
			if (iscsi_text_decode_binary(two[k].value, two[k].value_len, bin2,
						     sizeof(bin2), &n2) != 0 ||
			    n2 != n || memcmp(bin, bin2, n) != 0)
				abort();
		}
	}
}

static void check_value(const struct iscsi_text_pair *p)
{
	uint64_t num;
	size_t pos = 0, il;
	const char *it;
	int r;

	(void)iscsi_text_special(p->value, p->value_len);
	(void)iscsi_text_parse_number(p->value, p->value_len, &num);
	while ((r = iscsi_text_list_next(p->value, p->value_len, &pos, &it, &il)) == 1)
		if (il == 0 || it < p->value || it + il > p->value + p->value_len)
			abort();
	check_binary(p->value, p->value_len);
}

/* Rebuild one pair and parse it back. */
static void check_rebuild(const struct iscsi_text_pair *p)
{
	char key[ISCSI_TEXT_KEY_MAX + 1], val[ISCSI_TEXT_LONG_VALUE_MAX + 1];
	char out[ISCSI_TEXT_KEY_MAX + ISCSI_TEXT_LONG_VALUE_MAX + 2];
	struct iscsi_text_builder b;
	struct iscsi_text_pair q;

	memcpy(key, p->key, p->key_len);
	key[p->key_len] = '\0';
	memcpy(val, p->value, p->value_len);
	val[p->value_len] = '\0';
	iscsi_text_builder_init(&b, out, sizeof(out));
	if (iscsi_text_add(&b, key, val) != 0)
		abort();
	if (iscsi_text_parse(out, b.len, false, &q, 1, NULL, NULL) != 1)
		abort();
	if (q.key_len != p->key_len || q.value_len != p->value_len ||
	    memcmp(q.key, p->key, p->key_len) != 0 || memcmp(q.value, p->value, p->value_len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct iscsi_text_pair whole[MAX_PAIRS], acc_pairs[MAX_PAIRS], part[MAX_PAIRS];
	static char store[16384];
	struct iscsi_text_acc acc;
	const char *text;
	size_t len, split, consumed = 0;
	int n, na, np;

	if (size < 1)
		return 0;
	text = (const char *)data + 1;
	len = size - 1;
	split = len ? (size_t)data[0] * len / 255 : 0;

	n = iscsi_text_parse(text, len, false, whole, MAX_PAIRS, NULL, NULL);
	for (int k = 0; k < n; k++) {
		const struct iscsi_text_pair *p = &whole[k];

		if (p->key < text || p->value + p->value_len > text + len || p->key_len == 0 ||
		    p->key_len > ISCSI_TEXT_KEY_MAX ||
		    p->value_len > iscsi_text_value_max(p->key, p->key_len) ||
		    p->value[p->value_len] != '\0')
			abort();
		check_value(p);
		check_rebuild(p);
	}

	/* The first part alone, as a PDU with the C bit. */
	np = iscsi_text_parse(text, split, true, part, MAX_PAIRS, &consumed, NULL);
	if (np >= 0 && consumed > split)
		abort();

	/* Two PDUs through the accumulator must equal the whole. */
	iscsi_text_acc_init(&acc, store, sizeof(store));
	if (iscsi_text_acc_append(&acc, text, split, true) == 0 &&
	    iscsi_text_acc_append(&acc, text + split, len - split, false) == 0) {
		na = iscsi_text_acc_parse(&acc, acc_pairs, MAX_PAIRS, NULL);
		if (na != n)
			abort();
		for (int k = 0; k < n; k++)
			if (acc_pairs[k].key_len != whole[k].key_len ||
			    acc_pairs[k].value_len != whole[k].value_len ||
			    memcmp(acc_pairs[k].key, whole[k].key, whole[k].key_len) != 0 ||
			    memcmp(acc_pairs[k].value, whole[k].value, whole[k].value_len) != 0)
				abort();
	}
	/* Whole input as one value too. */
	check_binary(text, len);
	{
		uint64_t num;

		(void)iscsi_text_parse_number(text, len, &num);
	}
	return 0;
}
