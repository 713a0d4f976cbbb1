/*
 * crypto.c
 *		The building blocks of tokens: base64url, SHA-256, HMAC-SHA256 and
 *		random tokens, over PostgreSQL's own cryptohash, HMAC and random
 *		source (and OpenSSL's digests for the HMAC of the signing secrets,
 *		whose key schedule is kept), and comparisons in constant time.
 */
#include "authoob.h"

#include <openssl/evp.h>

#include "common/base64.h"
#include "common/cryptohash.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "catalog/pg_collation_d.h"
#include "utils/builtins.h"

/* base64url without padding (RFC 7515), from the server's base64 */
char *
authoob_base64url_encode(const uint8 *data, int len)
{
	char	   *out = palloc(pg_b64_enc_len(len) + 1);
	int			n = pg_b64_encode((const char *) data, len, out, pg_b64_enc_len(len));

	if (n < 0)
		elog(ERROR, "authoob: base64 encoding failed");
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p; p++)
		*p = (*p == '+') ? '-' : (*p == '/') ? '_' : *p;
	return out;
}

#define BASE64URL_ALPHABET \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* 1 + the 6-bit value of each base64url character; 0 for any other byte */
static uint8 base64url_value[256];

/*
 * Decoded length, or -1 when the text is not base64url without padding (a
 * character outside the alphabet, a length no encoding has, bits left over
 * that are not zero, or more than dstlen bytes): in one pass, into dst,
 * four characters to three bytes at a time.
 */
int
authoob_base64url_decode(const char *src, int len, uint8 *dst, int dstlen)
{
	const unsigned char *in = (const unsigned char *) src;
	int			whole = len / 4 * 4;
	int			n = 0;
	int			bad = 0;
	uint32		bits = 0;
	int			rest = len - whole;

	if (base64url_value['_'] == 0)
		for (int i = 0; i < 64; i++)
			base64url_value[(uint8) BASE64URL_ALPHABET[i]] = i + 1;
	if (rest == 1 || (int64) len * 3 / 4 > dstlen)
		return -1;
	for (int i = 0; i < whole; i += 4)
	{
		/* a byte outside the alphabet has value 0, hence -1: bad goes negative */
		int			a = base64url_value[in[i]] - 1;
		int			b = base64url_value[in[i + 1]] - 1;
		int			c = base64url_value[in[i + 2]] - 1;
		int			d = base64url_value[in[i + 3]] - 1;

		bad |= a | b | c | d;
		bits = (uint32) a << 18 | (uint32) b << 12 | (uint32) c << 6 | (uint32) d;
		dst[n] = (uint8) (bits >> 16);
		dst[n + 1] = (uint8) (bits >> 8);
		dst[n + 2] = (uint8) bits;
		n += 3;
	}
	if (rest > 0)
	{
		bits = 0;
		for (int i = whole; i < len; i++)
		{
			int			v = base64url_value[in[i]] - 1;

			bad |= v;
			bits = bits << 6 | (uint32) (v & 63);
		}
		/* 2 characters: 12 bits, a byte and 4 bits that must be zero; 3: 18, 2 and 2 */
		if (rest == 2)
		{
			dst[n++] = (uint8) (bits >> 4);
			bad |= (bits & 0xf) ? -1 : 0;
		}
		else
		{
			dst[n++] = (uint8) (bits >> 10);
			dst[n++] = (uint8) (bits >> 2);
			bad |= (bits & 0x3) ? -1 : 0;
		}
	}
	return bad < 0 ? -1 : n;
}

/* SHA-256 of data, with the server's cryptohash */
void
authoob_sha256(const void *data, size_t len, uint8 *digest)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL ||
		pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, data, len) < 0 ||
		pg_cryptohash_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "authoob: SHA-256 failed: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
}

/*
 * The key id of a secret.  Derived from the secret itself, so databases
 * given the same secret_key agree on it.
 */
char *
authoob_key_id(const bytea *secret)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *kid;

	authoob_sha256(VARDATA_ANY(secret), VARSIZE_ANY_EXHDR(secret), digest);
	kid = authoob_base64url_encode(digest, sizeof(digest));
	kid[AUTHOOB_KID_LENGTH] = '\0';
	return kid;
}

/* HMAC-SHA256 of data under key, with the server's HMAC */
void
authoob_hmac_sha256(const bytea *key, const char *data, size_t len, uint8 *digest)
{
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);

	if (ctx == NULL)
		elog(ERROR, "authoob: out of memory for HMAC");
	if (pg_hmac_init(ctx, (const uint8 *) VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_hmac_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
	{
		const char *err = pg_hmac_error(ctx);

		pg_hmac_free(ctx);
		elog(ERROR, "authoob: HMAC failed: %s", err);
	}
	pg_hmac_free(ctx);
}

/*
 * HMAC-SHA256 under the signing secrets, which sign and verify every
 * token: the two SHA-256 states after each key's padded blocks (RFC 2104's
 * K xor ipad and K xor opad) are made once per key and backend, and each
 * HMAC starts from copies of them instead of from the key.  A few keys are
 * kept (the current secret and those rotated out); the settings forget
 * them all whenever they are read again (authoob_hmac_forget_keys).
 */
#define HMAC_BLOCK 64
#define HMAC_KEPT_KEYS 4

typedef struct HmacKey
{
	uint8	   *key;			/* malloc'd copy; NULL: a free slot */
	size_t		keylen;
	EVP_MD_CTX *inner;			/* SHA-256 after K xor ipad */
	EVP_MD_CTX *outer;			/* SHA-256 after K xor opad */
} HmacKey;

static HmacKey hmac_keys[HMAC_KEPT_KEYS];
static int	hmac_next_slot;
static EVP_MD_CTX *hmac_work;

pg_attribute_noreturn() static void
hmac_failed(void)
{
	elog(ERROR, "authoob: HMAC failed in OpenSSL");
}

static void
free_hmac_key(HmacKey *k)
{
	if (k->key)
	{
		explicit_bzero(k->key, k->keylen);
		free(k->key);
	}
	/* EVP_MD_CTX_free cleanses the states */
	EVP_MD_CTX_free(k->inner);
	EVP_MD_CTX_free(k->outer);
	memset(k, 0, sizeof(*k));
}

/* Forget every key's states: the settings were read again */
void
authoob_hmac_forget_keys(void)
{
	for (int i = 0; i < HMAC_KEPT_KEYS; i++)
		free_hmac_key(&hmac_keys[i]);
	hmac_next_slot = 0;
}

/* The states of key, made now if they are not kept yet */
static HmacKey *
hmac_key(const uint8 *key, size_t keylen)
{
	HmacKey    *k;
	uint8		block[HMAC_BLOCK];
	uint8		pad[HMAC_BLOCK];

	for (int i = 0; i < HMAC_KEPT_KEYS; i++)
		if (hmac_keys[i].key && hmac_keys[i].keylen == keylen &&
			memcmp(hmac_keys[i].key, key, keylen) == 0)
			return &hmac_keys[i];

	if (hmac_work == NULL && (hmac_work = EVP_MD_CTX_new()) == NULL)
		hmac_failed();
	k = &hmac_keys[hmac_next_slot];
	hmac_next_slot = (hmac_next_slot + 1) % HMAC_KEPT_KEYS;
	free_hmac_key(k);

	/* a key longer than a block is replaced by its hash */
	memset(block, 0, sizeof(block));
	if (keylen > HMAC_BLOCK)
		authoob_sha256(key, keylen, block);
	else
		memcpy(block, key, keylen);
	k->inner = EVP_MD_CTX_new();
	k->outer = EVP_MD_CTX_new();
	k->key = malloc(Max(keylen, 1));
	if (k->inner == NULL || k->outer == NULL || k->key == NULL)
	{
		explicit_bzero(block, sizeof(block));
		free_hmac_key(k);
		hmac_failed();
	}
	memcpy(k->key, key, keylen);
	k->keylen = keylen;
	for (int i = 0; i < HMAC_BLOCK; i++)
		pad[i] = block[i] ^ 0x36;
	if (EVP_DigestInit_ex(k->inner, EVP_sha256(), NULL) != 1 ||
		EVP_DigestUpdate(k->inner, pad, HMAC_BLOCK) != 1)
		goto failed;
	for (int i = 0; i < HMAC_BLOCK; i++)
		pad[i] = block[i] ^ 0x5c;
	if (EVP_DigestInit_ex(k->outer, EVP_sha256(), NULL) != 1 ||
		EVP_DigestUpdate(k->outer, pad, HMAC_BLOCK) != 1)
		goto failed;
	explicit_bzero(block, sizeof(block));
	explicit_bzero(pad, sizeof(pad));
	return k;

failed:
	explicit_bzero(block, sizeof(block));
	explicit_bzero(pad, sizeof(pad));
	free_hmac_key(k);
	hmac_failed();
}

/*
 * HMAC-SHA256 of data under a signing secret (the same as
 * authoob_hmac_sha256), from the key's kept states
 */
void
authoob_hmac_sha256_kept(const bytea *key, const char *data, size_t len, uint8 *digest)
{
	HmacKey    *k = hmac_key((const uint8 *) VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));
	uint8		inner[PG_SHA256_DIGEST_LENGTH];

	if (EVP_MD_CTX_copy_ex(hmac_work, k->inner) != 1 ||
		EVP_DigestUpdate(hmac_work, data, len) != 1 ||
		EVP_DigestFinal_ex(hmac_work, inner, NULL) != 1 ||
		EVP_MD_CTX_copy_ex(hmac_work, k->outer) != 1 ||
		EVP_DigestUpdate(hmac_work, inner, sizeof(inner)) != 1 ||
		EVP_DigestFinal_ex(hmac_work, digest, NULL) != 1)
		hmac_failed();
}

/* Compare len bytes in a time that does not depend on where they differ */
bool
authoob_equal_constant_time(const char *a, const char *b, size_t len)
{
	return timingsafe_bcmp(a, b, len) == 0;
}

/*
 * ndigits decimal digits from the server's strong random source, each
 * digit uniform: a draw of 32 bits at or above the largest multiple of
 * 10^ndigits is drawn again, so that no code is likelier than another.
 */
char *
authoob_random_digits(int ndigits)
{
	uint32		range = 1;
	uint32		draw;
	char	   *digits = palloc(ndigits + 1);

	Assert(ndigits > 0 && ndigits <= 9);
	for (int i = 0; i < ndigits; i++)
		range *= 10;
	do
	{
		if (!pg_strong_random(&draw, sizeof(draw)))
			elog(ERROR, "authoob: could not generate a random code");
	} while (draw >= PG_UINT32_MAX - PG_UINT32_MAX % range);
	draw %= range;
	for (int i = ndigits - 1; i >= 0; i--, draw /= 10)
		digits[i] = '0' + draw % 10;
	digits[ndigits] = '\0';
	return digits;
}

/* nbytes from the server's strong random source, base64url-encoded */
char *
authoob_random_token(int nbytes)
{
	uint8	   *random = palloc(nbytes);

	if (!pg_strong_random(random, nbytes))
		elog(ERROR, "authoob: could not generate a random token");
	return authoob_base64url_encode(random, nbytes);
}

/*
 * Whether a token routes to partition (of partitions, a power of two) as
 * a PL/Proxy function routes it: RUN ON hashtext(token), which takes
 * hashtext(token) & (partitions - 1).  Every token does when unsharded.
 */
bool
authoob_token_in_partition(const char *token, int partition, int partitions)
{
	int32		hash;

	if (partitions <= 1)
		return true;
	hash = DatumGetInt32(DirectFunctionCall1Coll(hashtext, C_COLLATION_OID,
												 PointerGetDatum(cstring_to_text(token))));
	return (hash & (partitions - 1)) == partition;
}

/*
 * A random token that routes to partition: drawn again until it does (as
 * many draws as partitions, on average); as random as any other.
 */
char *
authoob_random_token_in(int nbytes, int partition, int partitions)
{
	char	   *token;

	do
		token = authoob_random_token(nbytes);
	while (!authoob_token_in_partition(token, partition, partitions));
	return token;
}
