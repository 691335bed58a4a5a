/*
 * CHAP (RFC 7143 12.1.3, RFC 1994 4.1): responses for all four CHAP_A
 * algorithms against digests computed outside our code with the openssl
 * command line tool, mutual verification (match, mismatch, wrong length),
 * refusal of a reflected challenge, and our challenges' length and
 * randomness.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../checkmain.h"
#include "session/chap.h"

/*
 * Vector 1: CHAP_I 0x2a, secret "my-chap-secret" (14 bytes), challenge
 * 00 01 .. 0f. Expected digests made at development time with:
 *   printf '\x2amy-chap-secret\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f' \
 *       > chapvec.bin
 *   openssl dgst -md5 chapvec.bin      (and -sha1, -sha256, -sha3-256)
 */
static const uint8_t v1_secret[] = "my-chap-secret";
static const uint8_t v1_chal[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const char *const v1_hex[] = {
	"db6d93b563dbe3bb574aa7b7757a9d65",
	"589e1a462b8dbe535005d2ecaf2a0f304ad18975",
	"35604a2a3d2bc10658f1480c7d3872a23a2d50ae1a100ee7eb618d78f8266783",
	"40d69916bcf4855da07614d8202df5259b7c30c9d418b4fa42f17939736f3d9a",
};

/*
 * Vector 2 (the target's side of a mutual exchange): CHAP_I 0xc8, secret
 * "target-secret-99", challenge de ad be ef:
 *   printf '\xc8target-secret-99\xde\xad\xbe\xef' > chapvec2.bin
 *   openssl dgst -md5 chapvec2.bin     (and -sha1, -sha256, -sha3-256)
 */
static const uint8_t v2_secret[] = "target-secret-99";
static const uint8_t v2_chal[4] = {0xde, 0xad, 0xbe, 0xef};
static const char *const v2_hex[] = {
	"af3f539b82334788f0885d60faeee06d",
	"8a3d139feedb4d9bec9dede5d8170f779151091e",
	"9d7235179001825ec176fd68ab87ecea7faebe8f70b919e7d24cf81537713bf9",
	"f31d3c3d204e1606d710904267dcd44ceb1c7a56a5403911984afd84e6bb3597",
};

static const int algs[] = {CHAP_ALG_MD5, CHAP_ALG_SHA1, CHAP_ALG_SHA256, CHAP_ALG_SHA3_256};

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;

	for (; s[0] && s[1]; s += 2) {
		unsigned int b;

		ck_assert_int_eq(sscanf(s, "%2x", &b), 1);
		out[n++] = (uint8_t)b;
	}
	return n;
}

START_TEST(response_vectors)
{
	int alg = algs[_i];
	uint8_t want[CHAP_DIGEST_MAX], got[CHAP_DIGEST_MAX];
	size_t wl = unhex(v1_hex[_i], want);
	int n;

	ck_assert(chap_alg_supported(alg));
	ck_assert_uint_eq(chap_alg_digest_len(alg), wl);
	n = chap_response(alg, 0x2a, v1_secret, sizeof(v1_secret) - 1, v1_chal, sizeof(v1_chal),
			  got, sizeof(got));
	ck_assert_int_eq(n, (int)wl);
	ck_assert_mem_eq(got, want, wl);

	/* A one-bit change in the identifier must change the response. */
	n = chap_response(alg, 0x2b, v1_secret, sizeof(v1_secret) - 1, v1_chal, sizeof(v1_chal),
			  got, sizeof(got));
	ck_assert_int_eq(n, (int)wl);
	ck_assert(memcmp(got, want, wl) != 0);
}
END_TEST

START_TEST(secret_with_nul)
{
	/*
	 * Secrets are byte strings, not C strings:
	 *   printf '\x00a\x00bxyz' > chapvec3.bin; openssl dgst -md5 chapvec3.bin
	 */
	static const uint8_t secret[3] = {'a', 0, 'b'};
	static const uint8_t chal[3] = {'x', 'y', 'z'};
	uint8_t want[16], got[16];

	unhex("0ec69bc451ecb3159f0e3785f2073f4b", want);
	ck_assert_int_eq(chap_response(CHAP_ALG_MD5, 0, secret, 3, chal, 3, got, sizeof(got)), 16);
	ck_assert_mem_eq(got, want, 16);
}
END_TEST

START_TEST(bad_arguments)
{
	uint8_t out[CHAP_DIGEST_MAX];
	static uint8_t big[CHAP_CHALLENGE_MAX + 1];

	ck_assert_int_eq(chap_response(4, 1, v1_secret, 3, v1_chal, 16, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(chap_response(CHAP_ALG_SHA256, 1, v1_secret, 3, v1_chal, 16, out, 20),
			 -EINVAL);
	ck_assert_int_eq(
		chap_response(CHAP_ALG_MD5, 1, v1_secret, 3, big, sizeof(big), out, sizeof(out)),
		-EINVAL);
	ck_assert_ptr_null(chap_alg_name(9));
	ck_assert_str_eq(chap_alg_name(CHAP_ALG_SHA3_256), "SHA3-256");
	ck_assert_uint_eq(chap_alg_digest_len(0), 0);
	ck_assert(!chap_alg_supported(0));
}
END_TEST

/*
 * Mutual CHAP, seen from our side: we issue a challenge, and the target's
 * response is computed here by the test exactly as the target computes it
 * (independently vetted by response_vectors).
 */
START_TEST(mutual_verify)
{
	int alg = algs[_i];
	struct chap_ctx c;
	uint8_t resp[CHAP_DIGEST_MAX];
	int n;

	chap_history_clear(); /* v1_chal again, when CK_FORK=no runs every test in one process */
	chap_ctx_init(&c);
	ck_assert_int_eq(chap_ctx_verify(&c, v2_secret, 16, resp, 16), -EINVAL); /* no challenge */
	ck_assert_int_eq(chap_ctx_set_alg(&c, alg), 0);
	ck_assert_int_eq(chap_ctx_peer_challenge(&c, v1_chal, sizeof(v1_chal)), 0);
	ck_assert_int_eq(chap_ctx_make_challenge(&c), 0);
	ck_assert_uint_ge(c.challenge_len, CHAP_CHALLENGE_MIN);
	ck_assert_uint_ge(c.challenge_len, chap_alg_digest_len(alg));

	n = chap_response(alg, c.id, v2_secret, sizeof(v2_secret) - 1, c.challenge, c.challenge_len,
			  resp, sizeof(resp));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(chap_ctx_verify(&c, v2_secret, sizeof(v2_secret) - 1, resp, (size_t)n), 0);

	/* Wrong secret, flipped bit, truncated: all rejected. */
	ck_assert_int_eq(chap_ctx_verify(&c, v1_secret, sizeof(v1_secret) - 1, resp, (size_t)n),
			 -EKEYREJECTED);
	resp[n - 1] ^= 1;
	ck_assert_int_eq(chap_ctx_verify(&c, v2_secret, sizeof(v2_secret) - 1, resp, (size_t)n),
			 -EKEYREJECTED);
	resp[n - 1] ^= 1;
	ck_assert_int_eq(chap_ctx_verify(&c, v2_secret, sizeof(v2_secret) - 1, resp, (size_t)n - 1),
			 -EKEYREJECTED);

	/* Our response to the peer's challenge equals the independent vector. */
	{
		uint8_t want[CHAP_DIGEST_MAX], got[CHAP_DIGEST_MAX];
		size_t wl = unhex(v1_hex[_i], want);

		ck_assert_int_eq(chap_ctx_respond(&c, 0x2a, v1_secret, sizeof(v1_secret) - 1, got,
						  sizeof(got)),
				 (int)wl);
		ck_assert_mem_eq(got, want, wl);
	}
	chap_ctx_wipe(&c);
	ck_assert_uint_eq(c.challenge_len, 0);
	ck_assert(!c.have_challenge);
}
END_TEST

START_TEST(mutual_vector_from_target)
{
	/*
	 * Feed the target's side of vector 2 through the verifier by planting
	 * our "random" challenge: proves verify uses H(our id || secret || our
	 * challenge) with the right byte order.
	 */
	struct chap_ctx c;
	uint8_t resp[CHAP_DIGEST_MAX];
	size_t rl = unhex(v2_hex[2], resp);

	chap_ctx_init(&c);
	ck_assert_int_eq(chap_ctx_set_alg(&c, CHAP_ALG_SHA256), 0);
	c.id = 0xc8;
	memcpy(c.challenge, v2_chal, sizeof(v2_chal));
	c.challenge_len = sizeof(v2_chal);
	c.have_challenge = true;
	ck_assert_int_eq(chap_ctx_verify(&c, v2_secret, sizeof(v2_secret) - 1, resp, rl), 0);
	resp[0] ^= 0x80;
	ck_assert_int_eq(chap_ctx_verify(&c, v2_secret, sizeof(v2_secret) - 1, resp, rl),
			 -EKEYREJECTED);
	chap_ctx_wipe(&c);
}
END_TEST

START_TEST(reflection_refused)
{
	struct chap_ctx c;
	uint8_t mine[CHAP_DIGEST_MAX];
	size_t len;

	chap_ctx_init(&c);
	ck_assert_int_eq(chap_ctx_set_alg(&c, CHAP_ALG_SHA1), 0);
	ck_assert_int_eq(chap_ctx_make_challenge(&c), 0);
	len = c.challenge_len;
	ck_assert_uint_eq(len, 20);
	memcpy(mine, c.challenge, len);
	/* The target hands our own challenge back: refused. */
	ck_assert_int_eq(chap_ctx_peer_challenge(&c, mine, len), -EACCES);
	/* Any other challenge is fine, so is an empty one not. */
	mine[3] ^= 0x10;
	ck_assert_int_eq(chap_ctx_peer_challenge(&c, mine, len), 0);
	ck_assert_int_eq(chap_ctx_peer_challenge(&c, mine, 0), -EMSGSIZE);
	chap_ctx_wipe(&c);
}
END_TEST

START_TEST(challenges_differ)
{
	struct chap_ctx a, b;

	chap_ctx_init(&a);
	chap_ctx_init(&b);
	ck_assert_int_eq(chap_ctx_set_alg(&a, CHAP_ALG_MD5), 0);
	ck_assert_int_eq(chap_ctx_set_alg(&b, CHAP_ALG_MD5), 0);
	ck_assert_int_eq(chap_ctx_make_challenge(&a), 0);
	ck_assert_int_eq(chap_ctx_make_challenge(&b), 0);
	ck_assert_uint_eq(a.challenge_len, 16);
	ck_assert(memcmp(a.challenge, b.challenge, 16) != 0);
	ck_assert_int_eq(chap_ctx_set_alg(&a, 42), -EINVAL);
}
END_TEST

/* RFC 7143 12.1.3 / RFC 1994 2.3 on our side: what a target may not ask us to answer. */
START_TEST(challenge_length_bounds)
{
	static uint8_t big[CHAP_CHALLENGE_MAX + 1];
	struct chap_ctx c;

	chap_history_clear();
	chap_ctx_init(&c);
	ck_assert_int_eq(chap_ctx_set_alg(&c, CHAP_ALG_MD5), 0);
	ck_assert_int_eq(chap_ctx_peer_challenge(&c, v1_chal, 1), -EMSGSIZE);
	ck_assert_int_eq(chap_ctx_peer_challenge(&c, v1_chal, CHAP_CHALLENGE_MIN - 1), -EMSGSIZE);
	ck_assert_int_eq(chap_ctx_peer_challenge(&c, big, sizeof(big)), -EMSGSIZE);
	/* A refused challenge is not answered: nothing was recorded. */
	ck_assert_uint_eq(c.peer_challenge_len, 0);
	ck_assert_int_eq(chap_ctx_peer_challenge(&c, v1_chal, CHAP_CHALLENGE_MIN), 0);
	big[7] = 1;
	ck_assert_int_eq(chap_ctx_peer_challenge(&c, big, CHAP_CHALLENGE_MAX), 0);
	chap_ctx_wipe(&c);
}
END_TEST

START_TEST(repeated_target_challenge_refused)
{
	struct chap_ctx a, b;
	uint8_t other[20];

	chap_history_clear();
	chap_ctx_init(&a);
	chap_ctx_init(&b);
	ck_assert_int_eq(chap_ctx_set_alg(&a, CHAP_ALG_SHA1), 0);
	ck_assert_int_eq(chap_ctx_set_alg(&b, CHAP_ALG_SHA1), 0);
	ck_assert_int_eq(chap_ctx_peer_challenge(&a, v1_chal, sizeof(v1_chal)), 0);
	/* The next login (another ctx) gets the same challenge: refused. */
	ck_assert_int_eq(chap_ctx_peer_challenge(&b, v1_chal, sizeof(v1_chal)), -EALREADY);
	/* The same bytes as a prefix of a longer challenge are a different challenge. */
	memset(other, 0, sizeof(other));
	memcpy(other, v1_chal, sizeof(v1_chal));
	ck_assert_int_eq(chap_ctx_peer_challenge(&b, other, sizeof(other)), 0);
	chap_ctx_wipe(&a);
	chap_ctx_wipe(&b);
}
END_TEST

START_TEST(reflection_across_logins_refused)
{
	struct chap_ctx a, b;
	uint8_t ours[CHAP_DIGEST_MAX];
	size_t len;

	chap_history_clear();
	chap_ctx_init(&a);
	chap_ctx_init(&b);
	ck_assert_int_eq(chap_ctx_set_alg(&a, CHAP_ALG_SHA256), 0);
	ck_assert_int_eq(chap_ctx_peer_challenge(&a, v1_chal, sizeof(v1_chal)), 0);
	ck_assert_int_eq(chap_ctx_make_challenge(&a), 0);
	len = a.challenge_len;
	memcpy(ours, a.challenge, len);
	chap_ctx_wipe(&a);
	/*
	 * Login 2 (a path's re-login, or a second path): the target offers the
	 * challenge we issued in login 1, hoping we compute the response it
	 * could not.
	 */
	ck_assert_int_eq(chap_ctx_set_alg(&b, CHAP_ALG_SHA256), 0);
	ck_assert_int_eq(chap_ctx_peer_challenge(&b, ours, len), -EACCES);
	chap_ctx_wipe(&b);
}
END_TEST

START_TEST(history_is_bounded)
{
	struct chap_ctx c;
	uint8_t chal[CHAP_CHALLENGE_MIN];

	chap_history_clear();
	chap_ctx_init(&c);
	ck_assert_int_eq(chap_ctx_set_alg(&c, CHAP_ALG_MD5), 0);
	ck_assert_int_eq(chap_ctx_peer_challenge(&c, v1_chal, sizeof(v1_chal)), 0);
	/* CHAP_HISTORY other challenges push the first one out, not before. */
	memset(chal, 0xa5, sizeof(chal));
	for (unsigned int i = 0; i < CHAP_HISTORY; i++) {
		chal[0] = (uint8_t)i;
		chal[1] = (uint8_t)(i >> 8);
		if (i == CHAP_HISTORY - 1)
			ck_assert_int_eq(chap_ctx_peer_challenge(&c, v1_chal, sizeof(v1_chal)),
					 -EALREADY);
		ck_assert_int_eq(chap_ctx_peer_challenge(&c, chal, sizeof(chal)), 0);
	}
	ck_assert_int_eq(chap_ctx_peer_challenge(&c, v1_chal, sizeof(v1_chal)), 0);
	chap_ctx_wipe(&c);
}
END_TEST

START_TEST(own_challenges_fresh_per_login)
{
	uint8_t seen[CHAP_HISTORY][16];

	chap_history_clear();
	for (unsigned int i = 0; i < CHAP_HISTORY; i++) {
		struct chap_ctx c;

		chap_ctx_init(&c);
		ck_assert_int_eq(chap_ctx_set_alg(&c, CHAP_ALG_MD5), 0);
		ck_assert_int_eq(chap_ctx_make_challenge(&c), 0);
		ck_assert_uint_eq(c.challenge_len, 16);
		for (unsigned int j = 0; j < i; j++)
			ck_assert(memcmp(seen[j], c.challenge, 16) != 0);
		memcpy(seen[i], c.challenge, 16);
		chap_ctx_wipe(&c);
	}
}
END_TEST

/*
 * chap_creds_dup() copies every part (so the caller's config may go away),
 * keeps NUL bytes and an empty but present secret, leaves absent parts
 * NULL; chap_creds_free() leaves an all-zero struct and takes one twice.
 */
START_TEST(creds_deep_copy)
{
	char user[] = "alice", muser[] = "tgt";
	uint8_t secret[] = {'a', 0, 'b', 'c'};
	uint8_t empty[1] = {0};
	struct chap_creds src = {.user = user,
				 .secret = secret,
				 .secret_len = sizeof(secret),
				 .mutual_user = muser,
				 .mutual_secret = empty,
				 .mutual_secret_len = 0};
	struct chap_creds c, zero = {0};

	ck_assert_int_eq(chap_creds_dup(&c, &src), 0);
	memset(user, 'x', sizeof(user) - 1);
	memset(muser, 'x', sizeof(muser) - 1);
	memset(secret, 'x', sizeof(secret));
	ck_assert_str_eq(c.user, "alice");
	ck_assert_str_eq(c.mutual_user, "tgt");
	ck_assert_uint_eq(c.secret_len, 4);
	ck_assert(memcmp(c.secret, "a\0bc", 4) == 0);
	ck_assert_ptr_nonnull(c.mutual_secret);
	ck_assert_ptr_ne(c.mutual_secret, empty);
	ck_assert_uint_eq(c.mutual_secret_len, 0);
	chap_creds_free(&c);
	ck_assert(memcmp(&c, &zero, sizeof(c)) == 0);
	chap_creds_free(&c);

	/* One-way only: the mutual parts stay absent. */
	src.mutual_user = NULL;
	src.mutual_secret = NULL;
	ck_assert_int_eq(chap_creds_dup(&c, &src), 0);
	ck_assert_ptr_null(c.mutual_user);
	ck_assert_ptr_null(c.mutual_secret);
	chap_creds_free(&c);

	/* dst may be src: the copy replaces the borrowed pointers. */
	src.user = user;
	ck_assert_int_eq(chap_creds_dup(&src, &src), 0);
	ck_assert_ptr_ne(src.user, user);
	ck_assert_ptr_ne(src.secret, secret);
	chap_creds_free(&src);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("chap");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, response_vectors, 0, 4);
	tcase_add_test(tc, secret_with_nul);
	tcase_add_test(tc, bad_arguments);
	tcase_add_loop_test(tc, mutual_verify, 0, 4);
	tcase_add_test(tc, mutual_vector_from_target);
	tcase_add_test(tc, reflection_refused);
	tcase_add_test(tc, challenges_differ);
	tcase_add_test(tc, challenge_length_bounds);
	tcase_add_test(tc, repeated_target_challenge_refused);
	tcase_add_test(tc, reflection_across_logins_refused);
	tcase_add_test(tc, history_is_bounded);
	tcase_add_test(tc, own_challenges_fresh_per_login);
	tcase_add_test(tc, creds_deep_copy);
	suite_add_tcase(s, tc);
	return s;
}
