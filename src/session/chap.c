/*
 * CHAP responses and mutual-CHAP challenges (RFC 7143 12.1.3, RFC 1994 4.1).
 * See chap.h for the contract. Nothing in this file logs: a message naming a
 * secret, a challenge or a response would help an eavesdropper with an
 * offline dictionary attack.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "session/chap.h"
#include "util/compiler.h"

struct chap_alg_info {
	int code;
	const char *name; /* as we print it */
	const char *evp;  /* OpenSSL algorithm name for EVP_MD_fetch */
	size_t digest_len;
};

/* IANA "PPP Authentication Algorithms" codes used by RFC 7143 12.1.3. */
static const struct chap_alg_info chap_algs[] = {
	{CHAP_ALG_MD5, "MD5", "MD5", 16},
	{CHAP_ALG_SHA1, "SHA-1", "SHA1", 20},
	{CHAP_ALG_SHA256, "SHA-256", "SHA256", 32},
	{CHAP_ALG_SHA3_256, "SHA3-256", "SHA3-256", 32},
};

static const struct chap_alg_info *chap_alg_find(int alg)
{
	for (size_t i = 0; i < ARRAY_SIZE(chap_algs); i++)
		if (chap_algs[i].code == alg)
			return &chap_algs[i];
	return NULL;
}

const char *chap_alg_name(int alg)
{
	const struct chap_alg_info *a = chap_alg_find(alg);

	return a ? a->name : NULL;
}

size_t chap_alg_digest_len(int alg)
{
	const struct chap_alg_info *a = chap_alg_find(alg);

	return a ? a->digest_len : 0;
}

bool chap_alg_supported(int alg)
{
	const struct chap_alg_info *a = chap_alg_find(alg);
	EVP_MD *md;

	if (!a)
		return false;
	/* A FIPS provider refuses MD5: fetching is the honest availability test. */
	md = EVP_MD_fetch(NULL, a->evp, NULL);
	if (!md)
		return false;
	EVP_MD_free(md);
	return true;
}

int chap_response(int alg, uint8_t id, const uint8_t *secret, size_t secret_len,
		  const uint8_t *challenge, size_t challenge_len, uint8_t *out, size_t cap)
{
	const struct chap_alg_info *a = chap_alg_find(alg);
	EVP_MD_CTX *ctx = NULL;
	EVP_MD *md = NULL;
	unsigned int got = 0;
	int ret = -EIO;

	if (!a || cap < a->digest_len || challenge_len > CHAP_CHALLENGE_MAX ||
	    (secret_len && !secret) || (challenge_len && !challenge))
		return -EINVAL;
	md = EVP_MD_fetch(NULL, a->evp, NULL);
	if (!md)
		return -EOPNOTSUPP;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		goto out;
	/* RFC 1994 4.1: the Identifier octet, then the secret, then the challenge. */
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, &id, 1) != 1 ||
	    EVP_DigestUpdate(ctx, secret, secret_len) != 1 ||
	    EVP_DigestUpdate(ctx, challenge, challenge_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &got) != 1 || got != a->digest_len)
		goto out;
	ret = (int)got;
out:
	EVP_MD_CTX_free(ctx); /* cleanses the digest state */
	EVP_MD_free(md);
	return ret;
}

void chap_ctx_init(struct chap_ctx *c)
{
	memset(c, 0, sizeof(*c));
}

int chap_ctx_set_alg(struct chap_ctx *c, int alg)
{
	if (!chap_alg_find(alg))
		return -EINVAL;
	if (!chap_alg_supported(alg))
		return -EOPNOTSUPP;
	c->alg = alg;
	return 0;
}

/*
 * The process's recent challenges, ours and the targets', as SHA-256
 * digests: a bounded ring, so a long-running daemon's memory does not grow
 * and a repeat within the last CHAP_HISTORY logins is caught. The daemon
 * runs one event loop thread; logins never run concurrently.
 */
struct chap_seen {
	uint8_t digest[32];
	bool ours;
};

static struct chap_seen history[CHAP_HISTORY];
static unsigned int history_n, history_next;

static int chap_fingerprint(const uint8_t *chal, size_t len, uint8_t out[32])
{
	unsigned int got = 0;

	if (EVP_Digest(chal, len, out, &got, EVP_sha256(), NULL) != 1 || got != 32)
		return -EIO;
	return 0;
}

/* The history entry matching this fingerprint, or NULL. */
static const struct chap_seen *history_find(const uint8_t fp[32])
{
	for (unsigned int i = 0; i < history_n; i++)
		if (CRYPTO_memcmp(history[i].digest, fp, 32) == 0)
			return &history[i];
	return NULL;
}

static void history_add(const uint8_t fp[32], bool ours)
{
	memcpy(history[history_next].digest, fp, 32);
	history[history_next].ours = ours;
	history_next = (history_next + 1) % CHAP_HISTORY;
	if (history_n < CHAP_HISTORY)
		history_n++;
}

void chap_history_clear(void)
{
	OPENSSL_cleanse(history, sizeof(history));
	history_n = history_next = 0;
}

int chap_ctx_peer_challenge(struct chap_ctx *c, const uint8_t *chal, size_t len)
{
	const struct chap_seen *seen;
	uint8_t fp[32];

	if (len < CHAP_CHALLENGE_MIN || len > CHAP_CHALLENGE_MAX)
		return -EMSGSIZE;
	/*
	 * RFC 7143 12.1.3: an originator must not reuse the challenge it
	 * received as its own, and the responder must check for it. If the
	 * target hands us our own challenge, answering it would give the
	 * target the response it owes us.
	 */
	if (c->have_challenge && len == c->challenge_len &&
	    CRYPTO_memcmp(chal, c->challenge, len) == 0)
		return -EACCES;
	if (chap_fingerprint(chal, len, fp) < 0)
		return -EIO;
	seen = history_find(fp);
	if (seen)
		return seen->ours ? -EACCES : -EALREADY;
	history_add(fp, false);
	memcpy(c->peer_challenge, chal, len);
	c->peer_challenge_len = len;
	return 0;
}

int chap_ctx_respond(const struct chap_ctx *c, uint8_t id, const uint8_t *secret, size_t secret_len,
		     uint8_t *out, size_t cap)
{
	if (!c->alg || !c->peer_challenge_len)
		return -EINVAL;
	return chap_response(c->alg, id, secret, secret_len, c->peer_challenge,
			     c->peer_challenge_len, out, cap);
}

int chap_ctx_make_challenge(struct chap_ctx *c)
{
	size_t len = chap_alg_digest_len(c->alg);

	if (!len)
		return -EINVAL;
	len = MAX(len, (size_t)CHAP_CHALLENGE_MIN);
	if (len > sizeof(c->challenge))
		return -EINVAL;
	/*
	 * Never issue the target's own challenge back (RFC 7143 12.1.3); with
	 * 128 random bits a collision means a broken RNG, so give up after a
	 * few tries rather than loop.
	 */
	for (int tries = 0; tries < 4; tries++) {
		uint8_t fp[32];

		if (RAND_bytes(&c->id, 1) != 1 || RAND_bytes(c->challenge, (int)len) != 1)
			return -EIO;
		if (len == c->peer_challenge_len &&
		    CRYPTO_memcmp(c->challenge, c->peer_challenge, len) == 0)
			continue;
		if (chap_fingerprint(c->challenge, len, fp) < 0)
			return -EIO;
		if (history_find(fp))
			continue;
		history_add(fp, true);
		c->challenge_len = len;
		c->have_challenge = true;
		return 0;
	}
	return -EIO;
}

int chap_ctx_verify(const struct chap_ctx *c, const uint8_t *secret, size_t secret_len,
		    const uint8_t *resp, size_t resp_len)
{
	uint8_t want[CHAP_DIGEST_MAX];
	int n, ret;

	if (!c->have_challenge)
		return -EINVAL;
	n = chap_response(c->alg, c->id, secret, secret_len, c->challenge, c->challenge_len, want,
			  sizeof(want));
	if (n < 0)
		return n;
	if (resp_len != (size_t)n)
		ret = -EKEYREJECTED;
	else
		ret = CRYPTO_memcmp(want, resp, (size_t)n) == 0 ? 0 : -EKEYREJECTED;
	OPENSSL_cleanse(want, sizeof(want));
	return ret;
}

void chap_ctx_wipe(struct chap_ctx *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
	memset(c, 0, sizeof(*c));
}

/* A copy of len bytes of p, NULL for a NULL p; malloc(1) keeps an empty secret non-NULL. */
static void *chap_memdup(const void *p, size_t len, bool *failed)
{
	void *d;

	if (!p)
		return NULL;
	d = malloc(len ? len : 1);
	if (!d)
		*failed = true;
	else
		memcpy(d, p, len);
	return d;
}

static char *chap_strdup(const char *s, bool *failed)
{
	return s ? chap_memdup(s, strlen(s) + 1, failed) : NULL;
}

int chap_creds_dup(struct chap_creds *dst, const struct chap_creds *src)
{
	struct chap_creds c = *src;
	bool failed = false;

	c.user = chap_strdup(src->user, &failed);
	c.mutual_user = chap_strdup(src->mutual_user, &failed);
	c.secret = chap_memdup(src->secret, src->secret_len, &failed);
	c.mutual_secret = chap_memdup(src->mutual_secret, src->mutual_secret_len, &failed);
	*dst = c;
	if (failed) {
		chap_creds_free(dst);
		return -ENOMEM;
	}
	return 0;
}

static void chap_wipe_free(const uint8_t *p, size_t len)
{
	if (p) {
		OPENSSL_cleanse((void *)p, len);
		free((void *)p);
	}
}

void chap_creds_free(struct chap_creds *c)
{
	chap_wipe_free(c->secret, c->secret_len);
	chap_wipe_free(c->mutual_secret, c->mutual_secret_len);
	free((void *)c->user);
	free((void *)c->mutual_user);
	memset(c, 0, sizeof(*c));
}
