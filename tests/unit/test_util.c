/*
 * util: CRC32C against the RFC 3720 appendix B.4 vectors (written here from
 * the RFC's digest bytes as they appear on the wire), big-endian helpers,
 * the intrusive list and the debug-flag parser.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../checkmain.h"
#include "util/bytes.h"
#include "util/compiler.h"
#include "util/crc32c.h"
#include "util/escape.h"
#include "util/list.h"
#include "util/log.h"
#include "util/rdahead.h"

static void check_wire_digest(const uint8_t *buf, size_t len, const uint8_t want[4])
{
	uint8_t wire[4];

	crc32c_put(wire, crc32c(buf, len));
	ck_assert_mem_eq(wire, want, 4);
	ck_assert_uint_eq(crc32c_get(want), crc32c(buf, len));
}

START_TEST(crc32c_rfc3720_b4)
{
	static const uint8_t zeros_crc[4] = {0xaa, 0x36, 0x91, 0x8a};
	static const uint8_t ones_crc[4] = {0x43, 0xab, 0xa8, 0x62};
	static const uint8_t inc_crc[4] = {0x4e, 0x79, 0xdd, 0x46};
	static const uint8_t dec_crc[4] = {0x5c, 0xdb, 0x3f, 0x11};
	static const uint8_t read_pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	static const uint8_t read_crc[4] = {0x56, 0x3a, 0x96, 0xd9};
	uint8_t buf[32];
	int i;

	memset(buf, 0, sizeof(buf));
	check_wire_digest(buf, 32, zeros_crc);
	memset(buf, 0xff, sizeof(buf));
	check_wire_digest(buf, 32, ones_crc);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	check_wire_digest(buf, 32, inc_crc);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	check_wire_digest(buf, 32, dec_crc);
	check_wire_digest(read_pdu, sizeof(read_pdu), read_crc);
}
END_TEST

START_TEST(crc32c_incremental_matches_whole)
{
	uint8_t buf[1000];
	uint32_t st = CRC32C_INIT;
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	st = crc32c_update(st, buf, 1);
	st = crc32c_update(st, buf + 1, 500);
	st = crc32c_update(st, buf + 501, 499);
	ck_assert_uint_eq(crc32c_final(st), crc32c(buf, sizeof(buf)));
}
END_TEST

START_TEST(bytes_roundtrip)
{
	uint8_t b[8];

	put_be16(b, 0x1234);
	ck_assert_uint_eq(b[0], 0x12);
	ck_assert_uint_eq(get_be16(b), 0x1234);
	put_be24(b, 0xabcdef);
	ck_assert_uint_eq(b[0], 0xab);
	ck_assert_uint_eq(get_be24(b), 0xabcdef);
	put_be32(b, 0xdeadbeef);
	ck_assert_uint_eq(b[3], 0xef);
	ck_assert_uint_eq(get_be32(b), 0xdeadbeef);
	put_be64(b, 0x0102030405060708ull);
	ck_assert_uint_eq(b[0], 1);
	ck_assert_uint_eq(b[7], 8);
	ck_assert(get_be64(b) == 0x0102030405060708ull);
}
END_TEST

struct item {
	int v;
	struct list_node node;
};

START_TEST(list_ops)
{
	struct list_node h = LIST_INIT(h), h2 = LIST_INIT(h2), *pos, *tmp;
	struct item it[4];
	int i, sum = 0;

	for (i = 0; i < 4; i++) {
		it[i].v = i + 1;
		list_add_tail(i < 2 ? &h : &h2, &it[i].node);
	}
	list_splice_tail(&h, &h2);
	ck_assert(list_empty(&h2));
	i = 1;
	list_for_each_safe(pos, tmp, &h)
	{
		struct item *x = list_entry(pos, struct item, node);

		ck_assert_int_eq(x->v, i++);
		sum += x->v;
		if (x->v == 2)
			list_del(pos);
	}
	ck_assert_int_eq(sum, 10);
	pos = list_pop(&h);
	ck_assert_int_eq(list_entry(pos, struct item, node)->v, 1);
	list_del(pos); /* self-linked after pop: harmless */
}
END_TEST

/* Read-ahead bookkeeping over a real socket: steps of 5 and 7 bytes from one read. */
START_TEST(rdahead_steps)
{
	uint8_t buf[16], step[32];
	struct rdahead ra = {.buf = buf, .size = sizeof(buf)};
	struct iovec iov[2];
	unsigned int n;
	int sv[2];
	ssize_t r;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	ck_assert_int_eq(write(sv[0], "hello, world!", 13), 13);
	rdahead_wakeup(&ra, 2);
	ck_assert(rdahead_may_read(&ra));
	iov[0].iov_base = step;
	iov[0].iov_len = 5;
	n = rdahead_iov(&ra, iov, 1, 5, 64);
	ck_assert_uint_eq(n, 2);
	r = readv(sv[1], iov, (int)n);
	ck_assert_int_eq(r, 13);
	ck_assert_uint_eq(rdahead_got(&ra, (size_t)r, 5), 5);
	ck_assert_mem_eq(step, "hello", 5);
	ck_assert(ra.drained); /* 13 < 5 + 16: the socket is empty */
	ck_assert(!rdahead_may_read(&ra));
	ck_assert_uint_eq(rdahead_avail(&ra), 8);
	ck_assert_uint_eq(rdahead_take(&ra, step, 7), 7);
	ck_assert_mem_eq(step, ", world", 7);
	ck_assert_uint_eq(rdahead_take(&ra, step, 7), 1);
	ck_assert_uint_eq(rdahead_avail(&ra), 0);
	ck_assert_uint_eq(ra.off, 0);
	/* A step as large as the buffer reads alone; the budget runs out. */
	rdahead_wakeup(&ra, 1);
	ck_assert_uint_eq(rdahead_iov(&ra, iov, 1, 16, 64), 1);
	ck_assert(rdahead_may_read(&ra));
	ck_assert(!rdahead_may_read(&ra));
	ck_assert_uint_eq(rdahead_got(&ra, 16, 16), 16);
	ck_assert(!ra.drained);
	/* No read-ahead asked: a full read of the step is not short. */
	rdahead_wakeup(&ra, 1);
	ck_assert_uint_eq(rdahead_iov(&ra, iov, 1, 5, 0), 1);
	ck_assert_uint_eq(rdahead_got(&ra, 5, 5), 5);
	ck_assert(!ra.drained);
	ck_assert_uint_eq(rdahead_avail(&ra), 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(debug_flags)
{
	ck_assert_int_eq(log_parse_debug("session,path"), 0);
	ck_assert_uint_eq(log_debug_mask, LOG_SUB_SESSION | LOG_SUB_PATH);
	ck_assert_int_eq(log_parse_debug("bogus"), -EINVAL);
	ck_assert_int_eq(log_parse_debug("none"), 0);
	ck_assert_uint_eq(log_debug_mask, 0);
}
END_TEST

/* Every char is printable ASCII: what a terminal shows as it is. */
static void assert_inert_output(const char *s, size_t len)
{
	ck_assert_uint_eq(strlen(s), len);
	for (size_t i = 0; i < len; i++)
		ck_assert_msg((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f,
			      "byte 0x%02x at %zu", (unsigned char)s[i], i);
}

/* Undo str_escape() (no truncation): proves the mapping loses nothing. */
static size_t unescape(const char *s, uint8_t *out)
{
	size_t n = 0;

	while (*s) {
		if (s[0] == '\\' && s[1] == '\\') {
			out[n++] = '\\';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x') {
			char hex[3] = {s[2], s[3], 0};

			out[n++] = (uint8_t)strtoul(hex, NULL, 16);
			s += 4;
		} else {
			out[n++] = (uint8_t)*s++;
		}
	}
	return n;
}

START_TEST(escape_every_byte)
{
	uint8_t all[256], back[256];
	char out[256 * STR_ESC_PER_BYTE + 1], one[8];
	size_t n;

	for (int c = 0; c < 256; c++) {
		uint8_t b = (uint8_t)c;

		all[c] = b;
		n = str_escape(one, sizeof(one), &b, 1);
		assert_inert_output(one, n);
		if (c == '\\')
			ck_assert_str_eq(one, "\\\\");
		else if (c >= 0x20 && c < 0x7f)
			ck_assert(n == 1 && one[0] == (char)c);
		else {
			char want[8];

			snprintf(want, sizeof(want), "\\x%02x", c);
			ck_assert_str_eq(one, want);
		}
		ck_assert(str_is_inert(&b, 1) == (n == 1));
	}
	/* CR, LF, ESC, DEL and a UTF-8 sequence by name: never raw. */
	ck_assert_str_eq(str_esc(out, sizeof(out), "a\r\nb\x1b[2J\x7f\xc3\xa9"),
			 "a\\x0d\\x0ab\\x1b[2J\\x7f\\xc3\\xa9");
	ck_assert_str_eq(str_esc(out, sizeof(out), NULL), "");
	n = str_escape(out, sizeof(out), all, sizeof(all));
	assert_inert_output(out, n);
	ck_assert_uint_eq(unescape(out, back), 256);
	ck_assert_mem_eq(back, all, 256);
	/* Backslashes kept for whole log lines, controls still escaped. */
	n = str_escape_flags(out, sizeof(out), "a\\b\n", 4, STR_ESC_KEEP_BACKSLASH);
	ck_assert_str_eq(out, "a\\b\\x0a");
}
END_TEST

START_TEST(escape_truncation_bounds)
{
	uint8_t in[40];
	char full[sizeof(in) * STR_ESC_PER_BYTE + 1], out[sizeof(full) + 8];
	size_t flen;

	/* A mix of plain chars, backslashes and 4-char escapes. */
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i % 3 == 0 ? 'a' + i : i % 3 == 1 ? '\\' : 0x80 + i);
	flen = str_escape(full, sizeof(full), in, sizeof(in));
	ck_assert_uint_eq(str_escape(out, 0, in, sizeof(in)), 0);
	for (size_t cap = 1; cap <= sizeof(full) + 4; cap++) {
		size_t n;

		memset(out, 'Z', sizeof(out));
		n = str_escape(out, cap, in, sizeof(in));
		ck_assert_uint_le(n, cap - 1);
		ck_assert_int_eq(out[n], 0);
		ck_assert_int_eq(out[cap], 'Z'); /* nothing written past cap */
		assert_inert_output(out, n);
		if (cap > flen) {
			ck_assert_str_eq(out, full);
			continue;
		}
		/* Cut: a whole-escape prefix of the full output, then "...". */
		ck_assert_uint_ge(n, MIN(cap - 1, (size_t)3));
		ck_assert(memcmp(out + n - MIN(n, 3), "...", MIN(n, 3)) == 0);
		if (cap - 1 > 3) {
			size_t keep = n - 3;
			uint8_t back[sizeof(in)];
			char tmp[sizeof(full)];

			ck_assert(memcmp(out, full, keep) == 0);
			ck_assert_uint_le(cap - 1 - n, STR_ESC_PER_BYTE - 1);
			/* The kept part decodes to a prefix of the input. */
			memcpy(tmp, out, keep);
			tmp[keep] = 0;
			ck_assert(memcmp(back, in, unescape(tmp, back)) == 0);
			ck_assert(keep == 0 || (tmp[keep - 1] != 'x' && tmp[keep - 1] != '\\') ||
				  (keep >= 2 && tmp[keep - 2] == '\\'));
		}
	}
}
END_TEST

START_TEST(make_inert_in_place)
{
	char msg[32] = "CHAP_A=\x1b[2J\\x\r\n\xff";
	char big[300];

	str_make_inert(msg, sizeof(msg));
	ck_assert_str_eq(msg, "CHAP_A=\\x1b[2J\\x\\x0d\\x0a\\xff");
	/* Already inert: untouched, backslashes too. */
	str_make_inert(msg, sizeof(msg));
	ck_assert_str_eq(msg, "CHAP_A=\\x1b[2J\\x\\x0d\\x0a\\xff");
	/* Expansion beyond cap: cut whole, marked, still in bounds. */
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	str_make_inert(big, sizeof(big));
	ck_assert_uint_le(strlen(big), sizeof(big) - 1);
	assert_inert_output(big, strlen(big));
	ck_assert_str_eq(big + strlen(big) - 7, "\\x0a...");
}
END_TEST

static void grab_line(int prio, const char *line, void *opaque)
{
	(void)prio;
	snprintf(opaque, 256, "%s", line);
}

START_TEST(log_lines_carry_no_control_bytes)
{
	char got[256];

	log_set_hook(grab_line, got);
	log_err("sess0: %s", "alias\r\niscsi-nbd: forged\x1b[31m\xff");
	log_set_hook(NULL, NULL);
	ck_assert_str_eq(got, "sess0: alias\\x0d\\x0aiscsi-nbd: forged\\x1b[31m\\xff");
}
END_TEST

/* Every line the rate-limited logger prints, in order. */
struct rl_lines {
	char line[8][128];
	int prio[8];
	unsigned int n;
};

static void rl_grab(int prio, const char *line, void *opaque)
{
	struct rl_lines *l = opaque;

	ck_assert_uint_lt(l->n, 8);
	l->prio[l->n] = prio;
	snprintf(l->line[l->n++], sizeof(l->line[0]), "%s", line);
}

/* A fake clock drives the limiter: 2 lines per 10 s window, the rest counted,
 * the count printed before the next line let through and by flush(). */
START_TEST(log_ratelimit_counts_what_it_drops)
{
	struct log_ratelimit rl;
	struct rl_lines l = {0};
	double now = 100.0;

	log_ratelimit_init(&rl, "nbd0", 10.0, 2);
	log_set_hook(rl_grab, &l);
	for (int i = 0; i < 5; i++)
		log_rl_printf(&rl, now + i, LOG_ERR, "nbd0: error %d", i);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.line[0], "nbd0: error 0");
	ck_assert_str_eq(l.line[1], "nbd0: error 1");
	/* Still inside the window (opened at 100): dropped too. */
	log_rl_printf(&rl, 109.9, LOG_ERR, "nbd0: error 5");
	ck_assert_uint_eq(l.n, 2);
	/* A new window: the count of the 4 dropped lines comes first. */
	log_rl_printf(&rl, 110.0, LOG_WARNING, "nbd0: error 6");
	ck_assert_uint_eq(l.n, 4);
	ck_assert_str_eq(l.line[2], "nbd0: 4 similar messages suppressed");
	ck_assert_int_eq(l.prio[2], LOG_ERR);
	ck_assert_str_eq(l.line[3], "nbd0: error 6");
	ck_assert_int_eq(l.prio[3], LOG_WARNING);
	/* Nothing dropped since: flush prints nothing. */
	log_ratelimit_flush(&rl);
	ck_assert_uint_eq(l.n, 4);
	log_rl_printf(&rl, 111.0, LOG_ERR, "nbd0: error 7");
	log_rl_printf(&rl, 112.0, LOG_ERR, "nbd0: error 8");
	ck_assert_uint_eq(l.n, 5);
	log_ratelimit_flush(&rl);
	ck_assert_uint_eq(l.n, 6);
	ck_assert_str_eq(l.line[5], "nbd0: 1 similar messages suppressed");
	log_ratelimit_flush(&rl);
	ck_assert_uint_eq(l.n, 6);
	/* A clock that went back opens a new window rather than muting forever. */
	log_rl_printf(&rl, 50.0, LOG_ERR, "nbd0: error 9");
	ck_assert_uint_eq(l.n, 7);
	ck_assert_str_eq(l.line[6], "nbd0: error 9");
	log_set_hook(NULL, NULL);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, crc32c_rfc3720_b4);
	tcase_add_test(tc, crc32c_incremental_matches_whole);
	tcase_add_test(tc, bytes_roundtrip);
	tcase_add_test(tc, list_ops);
	tcase_add_test(tc, debug_flags);
	tcase_add_test(tc, rdahead_steps);
	tcase_add_test(tc, escape_every_byte);
	tcase_add_test(tc, escape_truncation_bounds);
	tcase_add_test(tc, make_inert_in_place);
	tcase_add_test(tc, log_lines_carry_no_control_bytes);
	tcase_add_test(tc, log_ratelimit_counts_what_it_drops);
	suite_add_tcase(s, tc);
	return s;
}
