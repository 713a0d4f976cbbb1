/*
 * crypto.c
 *		The building blocks of tokens: base64url, SHA-256, HMAC-SHA256 and
 *		random tokens, over PostgreSQL's own cryptohash, HMAC and random
 *		source, and comparisons in constant time.
 */
#include "authoob.h"

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

/* Decoded length, or -1 when the text is not base64url */
int
authoob_base64url_decode(const char *src, int len, uint8 *dst, int dstlen)
{
	char	   *std = palloc(len + 4);
	int			n = 0;

	for (int i = 0; i < len; i++)
	{
		char		c = src[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (c == '+' || c == '/' || c == '=')
			return -1;
		std[n++] = c;
	}
	if (n % 4 == 1)
		return -1;
	while (n % 4 != 0)
		std[n++] = '=';
	if (pg_b64_dec_len(n) > dstlen)
		return -1;
	return pg_b64_decode(std, n, (char *) dst, dstlen);
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

/* Compare len bytes in a time that does not depend on where they differ */
bool
authoob_equal_constant_time(const char *a, const char *b, size_t len)
{
	return timingsafe_bcmp(a, b, len) == 0;
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
