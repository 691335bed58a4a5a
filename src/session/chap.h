/*
 * CHAP for iSCSI (RFC 7143 12.1.3 on top of RFC 1994), one-way and mutual.
 *
 * Response = H(CHAP_I as one octet || secret || challenge), where H is the
 * algorithm named by CHAP_A: 5 MD5 (RFC 1994), and the IANA "PPP
 * Authentication Algorithms" codes 6 SHA-1, 7 SHA-256, 8 SHA3-256
 * (RFC 7143 12.1.3 points to that registry). Digests run through OpenSSL
 * EVP; an algorithm the OpenSSL build or its FIPS provider refuses is
 * simply not supported (chap_alg_supported()).
 *
 * Contract
 * - No I/O, no logging of secrets or responses, ever.
 * - Secrets are byte strings with a length (they may contain NUL), borrowed
 *   for the duration of a call; nothing here keeps a pointer to them, but
 *   for the owned copy chap_creds_dup() makes (see struct chap_creds).
 * - struct chap_ctx holds our challenge for mutual CHAP; chap_ctx_wipe()
 *   cleanses it (OPENSSL_cleanse) and must be called when the login ends.
 * - Functions return 0 / a length, or -errno.
 */
#ifndef ISN_SESSION_CHAP_H
#define ISN_SESSION_CHAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum chap_alg {
	CHAP_ALG_MD5 = 5,
	CHAP_ALG_SHA1 = 6,
	CHAP_ALG_SHA256 = 7,
	CHAP_ALG_SHA3_256 = 8,
};

/* Largest digest among the algorithms above (SHA-256, SHA3-256). */
#define CHAP_DIGEST_MAX 32
/* Binary CHAP_C / CHAP_R longer than this are refused (RFC 7143 12.1.3). */
#define CHAP_CHALLENGE_MAX 1024
/*
 * Our own challenges are never shorter than this, whatever the digest, and
 * a target's shorter than this are refused. RFC 7143 12.1.3 asks for
 * secrets of up to 128 bits and bounds CHAP_C at 1024 bytes but sets no
 * lower bound; RFC 1994 2.3 wants a challenge that is unique and
 * unpredictable. A 1-byte challenge repeats after 256 logins, so a rogue
 * or man-in-the-middle target could collect our answer to every challenge
 * the real target can ask. 16 bytes (128 bits) is the size of the MD5
 * digest, of LIO's challenges, and below tgt's 50.
 */
#define CHAP_CHALLENGE_MIN 16
/* Challenges (ours and the targets') this process remembers to refuse a repeat. */
#define CHAP_HISTORY 64
/* Longest CHAP_A offer list. */
#define CHAP_ALGS_MAX 4

/* "MD5", "SHA-1", "SHA-256", "SHA3-256", or NULL for an unknown code. */
const char *chap_alg_name(int alg);

/* Digest length in bytes of alg, or 0 if alg is not one of the four. */
size_t chap_alg_digest_len(int alg);

/* True if alg is known and this OpenSSL can compute it. */
bool chap_alg_supported(int alg);

/*
 * out = H(id || secret || challenge). out must hold chap_alg_digest_len(alg)
 * bytes (cap). Returns the digest length, -EINVAL (unknown algorithm, cap
 * too small, challenge longer than CHAP_CHALLENGE_MAX), -EOPNOTSUPP (not
 * available in this OpenSSL) or -EIO (OpenSSL failure).
 */
int chap_response(int alg, uint8_t id, const uint8_t *secret, size_t secret_len,
		  const uint8_t *challenge, size_t challenge_len, uint8_t *out, size_t cap);

/*
 * The CHAP credentials of a login, one struct wherever they travel
 * (command line -> device -> path -> session -> login). user NULL:
 * AuthMethod=None. mutual_secret set (and not empty): mutual CHAP, the
 * target must answer our challenge with it. Secrets are byte strings with
 * a length; no part of this is ever logged.
 *
 * Ownership is the holder's to say: in a config the pointers are borrowed;
 * an object that outlives its caller's config (session, device) keeps a
 * copy from chap_creds_dup() and releases it with chap_creds_free().
 */
struct chap_creds {
	const char *user;
	const uint8_t *secret;
	size_t secret_len;
	const char *mutual_user; /* target's expected CHAP_N (NULL: any) */
	const uint8_t *mutual_secret;
	size_t mutual_secret_len;
};

/*
 * dst = an owned deep copy of src: the strings and the secrets (a secret
 * of length 0 stays non-NULL if it was). dst may be src. Returns 0, or
 * -ENOMEM with dst all zero and nothing allocated.
 */
int chap_creds_dup(struct chap_creds *dst, const struct chap_creds *src);

/*
 * Release a copy from chap_creds_dup(): cleanse the secrets
 * (OPENSSL_cleanse), free every part, zero c. Safe on an all-zero c.
 */
void chap_creds_free(struct chap_creds *c);

/* State of our side of one CHAP exchange (one login). */
struct chap_ctx {
	int alg;				    /* chosen by the target, 0 until then */
	bool have_challenge;			    /* we issued a challenge (mutual CHAP) */
	uint8_t id;				    /* our CHAP_I */
	uint8_t challenge[CHAP_DIGEST_MAX];	    /* >= CHAP_CHALLENGE_MIN */
	size_t challenge_len;			    /* max(digest length, CHAP_CHALLENGE_MIN) */
	uint8_t peer_challenge[CHAP_CHALLENGE_MAX]; /* the target's, to refuse reflection */
	size_t peer_challenge_len;
};

void chap_ctx_init(struct chap_ctx *c);

/* Set the algorithm the target picked. -EINVAL unknown, -EOPNOTSUPP unavailable. */
int chap_ctx_set_alg(struct chap_ctx *c, int alg);

/*
 * Record the target's challenge, after RFC 7143 12.1.3 checks:
 * -EMSGSIZE: shorter than CHAP_CHALLENGE_MIN or longer than CHAP_CHALLENGE_MAX.
 * -EACCES: identical to a challenge we issued, in this exchange or in one
 *   of this process's recent logins (reflection: answering it would give
 *   the target the response it owes us).
 * -EALREADY: identical to a challenge a target already sent this process
 *   (a challenge must never be used twice, RFC 1994 2.3; a repeat is a
 *   replay or a target with a predictable generator).
 * An accepted challenge joins the process's history (CHAP_HISTORY entries,
 * kept as SHA-256 digests, oldest forgotten first).
 */
int chap_ctx_peer_challenge(struct chap_ctx *c, const uint8_t *chal, size_t len);

/*
 * Compute our CHAP_R to the recorded peer challenge with peer id `id`.
 * Returns the digest length written to out, or -errno as chap_response().
 */
int chap_ctx_respond(const struct chap_ctx *c, uint8_t id, const uint8_t *secret, size_t secret_len,
		     uint8_t *out, size_t cap);

/*
 * Issue our challenge for mutual CHAP: random CHAP_I and a fresh random
 * challenge of max(digest length, 16) bytes (RAND_bytes) for every login,
 * never equal to the peer's challenge nor to any in the history, which it
 * joins. Needs the algorithm set. Returns 0, -EINVAL or -EIO.
 */
int chap_ctx_make_challenge(struct chap_ctx *c);

/*
 * Verify the target's CHAP_R against our challenge with the secret we hold
 * for the target, in constant time (CRYPTO_memcmp). Returns 0 on a match,
 * -EKEYREJECTED on a mismatch or a wrong length, -EINVAL if we issued no
 * challenge.
 */
int chap_ctx_verify(const struct chap_ctx *c, const uint8_t *secret, size_t secret_len,
		    const uint8_t *resp, size_t resp_len);

/* Cleanse challenges; the ctx may be reused after chap_ctx_init(). */
void chap_ctx_wipe(struct chap_ctx *c);

/*
 * Forget the process's challenge history. For tests that replay a fixed
 * exchange; nothing else calls it.
 */
void chap_history_clear(void);

#endif
