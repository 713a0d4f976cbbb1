/*
 * keys.c
 *		The asymmetric signing keys (ES256, EdDSA, RS256): made, cached,
 *		used to sign and verify with OpenSSL's libcrypto, and published as
 *		JWKs (authoob.signing_keys; docs/sql-api.md, "Signing keys and JWKS").
 *
 * A key's kid is its RFC 7638 JWK thumbprint, so a kid names one public key
 * and a signature once verified under it stays verified: a small cache of
 * tokens already verified spares the backend the public-key work the next
 * time the same token comes (its session is still looked up every time).
 * The HS256 secrets stay where they were, in the settings (jwt.c).
 */
#include "authoob.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/sha2.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(authoob_new_signing_key);

/* An algorithm authoob signs with, and the signature JWS gives it */
typedef struct KeyAlg
{
	const char *name;			/* the JWS "alg" */
	int			signature_len;	/* bytes of a JWS signature */
	bool		sha256;			/* hashed with SHA-256 (not Ed25519) */
} KeyAlg;

static const KeyAlg key_algs[] = {
	{"ES256", 64, true},		/* P-256, r || s */
	{"EdDSA", 64, false},		/* Ed25519 */
	{"RS256", 256, true},		/* RSA 2048, PKCS #1 v1.5 */
};

struct AuthoobSigningKey
{
	const KeyAlg *alg;
	char	   *kid;
	char	   *header;			/* the JWS header it signs, decoded */
	int			header_len;
	TimestampTz valid_until;	/* DT_NOEND for the current key */
	EVP_PKEY   *pkey;
};

/* The keys still valid, from the backend's cache (AUTHOOB_CACHE_KEYS) */
static AuthoobSigningKey *keys;
static int	nkeys;

/*
 * SHA-256 of tokens whose signature verified: sets of VERIFIED_WAYS slots,
 * the set chosen by the digest, a slot of it overwritten in turn.  Tokens
 * whose digests choose the same set do not evict each other until more
 * than VERIFIED_WAYS of them are in use.
 */
#define VERIFIED_SETS 256
#define VERIFIED_WAYS 4
static uint8 verified[VERIFIED_SETS][VERIFIED_WAYS][PG_SHA256_DIGEST_LENGTH];
static uint8 verified_next[VERIFIED_SETS];

static const KeyAlg *
find_alg(const char *name)
{
	for (int i = 0; i < (int) lengthof(key_algs); i++)
		if (strcmp(key_algs[i].name, name) == 0)
			return &key_algs[i];
	return NULL;
}

pg_attribute_noreturn() static void
openssl_failed(const char *what)
{
	unsigned long code = ERR_get_error();

	ERR_clear_error();
	elog(ERROR, "authoob: %s failed: %s", what,
		 code ? ERR_reason_error_string(code) : "no reason given");
}

/* The keys' OpenSSL objects live outside palloc: freed with the cache */
static void
free_pkeys(void *arg)
{
	for (int i = 0; i < nkeys; i++)
		EVP_PKEY_free(keys[i].pkey);
	keys = NULL;
	nkeys = 0;
}

static AuthoobQuery load_keys = AUTHOOB_QUERY0(
	"SELECT kid, alg, private_key, coalesce(valid_until, 'infinity')"
	" FROM authoob.signing_keys"
	" WHERE valid_until IS NULL OR valid_until > now() ORDER BY created_at DESC");

static EVP_PKEY *
read_private_key(const char *pem)
{
	BIO		   *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY   *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (pkey == NULL)
		openssl_failed("reading a signing key");
	return pkey;
}

/*
 * The keys still valid, read once per backend and again when
 * authoob.signing_keys changes.  The caller is connected to SPI.
 */
static void
load_keys_if_needed(void)
{
	MemoryContext cache_context = authoob_cache_begin_load(AUTHOOB_CACHE_KEYS);
	MemoryContext caller_context;
	MemoryContextCallback *callback;
	int			n;

	if (cache_context == NULL)
		return;
	/* the context was reset, and the keys' OpenSSL objects with it */
	Assert(keys == NULL);
	memset(verified, 0, sizeof(verified));
	memset(verified_next, 0, sizeof(verified_next));

	/* a database still at 0.1 (before ALTER EXTENSION UPDATE) has none */
	if (!OidIsValid(get_relname_relid("signing_keys", get_namespace_oid("authoob", false))))
	{
		authoob_cache_end_load(AUTHOOB_CACHE_KEYS);
		return;
	}

	n = (int) authoob_run_latest(&load_keys);
	caller_context = MemoryContextSwitchTo(cache_context);
	callback = palloc0(sizeof(MemoryContextCallback));
	callback->func = free_pkeys;
	MemoryContextRegisterResetCallback(cache_context, callback);
	keys = palloc0(sizeof(AuthoobSigningKey) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		AuthoobSigningKey *key = &keys[nkeys];
		bool		isnull;

		key->alg = find_alg(SPI_getvalue(row, desc, 2));
		if (key->alg == NULL)
			continue;
		key->kid = SPI_getvalue(row, desc, 1);
		key->header = psprintf("{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
							   key->alg->name, key->kid);
		key->header_len = strlen(key->header);
		key->valid_until = DatumGetTimestampTz(SPI_getbinval(row, desc, 4, &isnull));
		key->pkey = read_private_key(SPI_getvalue(row, desc, 3));
		nkeys++;
	}
	MemoryContextSwitchTo(caller_context);
	authoob_cache_end_load(AUTHOOB_CACHE_KEYS);
}

/*
 * The current key of alg (ES256, EdDSA or RS256), which signs new tokens;
 * an error when there is none.  The caller is connected to SPI.
 */
const AuthoobSigningKey *
authoob_current_signing_key(const char *alg)
{
	load_keys_if_needed();
	for (int i = 0; i < nkeys; i++)
		if (keys[i].valid_until == DT_NOEND && strcmp(keys[i].alg->name, alg) == 0)
			return &keys[i];
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("authoob has no current %s signing key", alg),
			 errhint("SELECT authoob_rotate_key()")));
}

/*
 * The key whose header is exactly this one, byte for byte
 * ({"alg":"<its alg>","kid":"<its kid>","typ":"JWT"}), if it is still
 * valid; else NULL.  Nothing of the header is parsed: a header naming
 * another alg for the kid (HS256 with a public key's kid), another kid, or
 * any other form matches no key.  The caller is connected to SPI.
 */
const AuthoobSigningKey *
authoob_find_signing_key(const uint8 *header, int len)
{
	TimestampTz now = GetCurrentTimestamp();

	load_keys_if_needed();
	for (int i = 0; i < nkeys; i++)
		if (keys[i].header_len == len && memcmp(keys[i].header, header, len) == 0)
			return keys[i].valid_until > now ? &keys[i] : NULL;
	return NULL;
}

/* The header the key signs, {"alg":"<alg>","kid":"<kid>","typ":"JWT"} */
const char *
authoob_signing_key_header(const AuthoobSigningKey *key)
{
	return key->header;
}

/* An ES256 signature as JWS writes it (r || s) from OpenSSL's DER */
static void
der_to_raw(const uint8 *der, size_t der_len, uint8 *raw)
{
	ECDSA_SIG  *sig = d2i_ECDSA_SIG(NULL, &der, der_len);
	const BIGNUM *r;
	const BIGNUM *s;

	if (sig == NULL)
		openssl_failed("reading an ECDSA signature");
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32)
	{
		ECDSA_SIG_free(sig);
		openssl_failed("writing an ECDSA signature");
	}
	ECDSA_SIG_free(sig);
}

/* The signature of data with the key, base64url-encoded */
char *
authoob_key_sign(const AuthoobSigningKey *key, const char *data, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t		sig_len = 0;
	uint8	   *sig;
	bool		ok;

	ok = ctx != NULL &&
		EVP_DigestSignInit(ctx, NULL, key->alg->sha256 ? EVP_sha256() : NULL,
						   NULL, key->pkey) == 1 &&
		EVP_DigestSign(ctx, NULL, &sig_len, (const uint8 *) data, len) == 1;
	sig = palloc(Max(sig_len, 1));
	ok = ok && EVP_DigestSign(ctx, sig, &sig_len, (const uint8 *) data, len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		openssl_failed("signing a token");

	if (strcmp(key->alg->name, "ES256") == 0)
	{
		uint8	   *raw = palloc(64);

		der_to_raw(sig, sig_len, raw);
		return authoob_base64url_encode(raw, 64);
	}
	return authoob_base64url_encode(sig, sig_len);
}

/*
 * An ES256 signature (r || s) as the DER OpenSSL verifies, allocated by
 * OpenSSL (OPENSSL_free it); its length in *der_len, 0 when unusable.
 */
static uint8 *
raw_to_der(const uint8 *raw, int *der_len)
{
	ECDSA_SIG  *sig = ECDSA_SIG_new();
	BIGNUM	   *r = BN_bin2bn(raw, 32, NULL);
	BIGNUM	   *s = BN_bin2bn(raw + 32, 32, NULL);
	uint8	   *der = NULL;

	*der_len = 0;
	if (sig != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(sig, r, s) == 1)
	{
		r = s = NULL;			/* the signature owns them now */
		*der_len = i2d_ECDSA_SIG(sig, &der);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	if (*der_len <= 0)
		*der_len = 0;
	return der;
}

/*
 * Whether sig is pkey's signature of len bytes of data: SHA-256 unless
 * Ed25519; an ECDSA signature as JWS writes it (r || s of 32 bytes each)
 * when ecdsa_raw.  Also what checks an identity provider's ID token
 * (provider_keys.c).
 */
bool
authoob_pkey_verify(EVP_PKEY *pkey, bool sha256, bool ecdsa_raw, const char *data,
					size_t len, const uint8 *sig, int sig_len)
{
	EVP_MD_CTX *ctx;
	uint8	   *der = NULL;
	bool		ok;

	if (ecdsa_raw)
	{
		der = sig_len == 64 ? raw_to_der(sig, &sig_len) : NULL;
		if (der == NULL || sig_len == 0)
		{
			OPENSSL_free(der);
			ERR_clear_error();
			return false;
		}
		sig = der;
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL &&
		EVP_DigestVerifyInit(ctx, NULL, sha256 ? EVP_sha256() : NULL, NULL, pkey) == 1 &&
		EVP_DigestVerify(ctx, sig, sig_len, (const uint8 *) data, len) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok;
}

static bool
signature_is_valid(const AuthoobSigningKey *key, const char *data, size_t len,
				   const uint8 *sig, int sig_len)
{
	return sig_len == key->alg->signature_len &&
		authoob_pkey_verify(key->pkey, key->alg->sha256,
							strcmp(key->alg->name, "ES256") == 0, data, len, sig, sig_len);
}

/*
 * Whether sig is the key's signature of the first signed_len bytes of
 * token (token_len bytes in all).  A token verified once is remembered by
 * its SHA-256, and not verified again while the backend's keys stay the
 * same (its kid names one public key: the answer cannot change).
 */
bool
authoob_key_verify(const AuthoobSigningKey *key, const char *token, size_t token_len,
				   size_t signed_len, const uint8 *sig, int sig_len)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	int			set;

	authoob_sha256(token, token_len, digest);
	set = (digest[0] | digest[1] << 8) % VERIFIED_SETS;
	for (int way = 0; way < VERIFIED_WAYS; way++)
		if (timingsafe_bcmp(verified[set][way], digest, sizeof(digest)) == 0)
			return true;
	if (!signature_is_valid(key, token, signed_len, sig, sig_len))
		return false;
	memcpy(verified[set][verified_next[set]], digest, sizeof(digest));
	verified_next[set] = (verified_next[set] + 1) % VERIFIED_WAYS;
	return true;
}

/* A big number of the key as base64url (JWK "n", "e", "x", "y") */
static char *
bn_param(EVP_PKEY *pkey, const char *name, int pad)
{
	BIGNUM	   *bn = NULL;
	int			len;
	uint8	   *bytes;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		openssl_failed("reading a public key");
	len = pad ? pad : BN_num_bytes(bn);
	bytes = palloc(len);
	if (BN_bn2binpad(bn, bytes, len) != len)
	{
		BN_free(bn);
		openssl_failed("reading a public key");
	}
	BN_free(bn);
	return authoob_base64url_encode(bytes, len);
}

/*
 * The public key's required JWK members in RFC 7638's canonical form
 * (lexicographic order, no whitespace): what its thumbprint is the
 * SHA-256 of.
 */
static char *
canonical_jwk(const KeyAlg *alg, EVP_PKEY *pkey)
{
	if (strcmp(alg->name, "ES256") == 0)
		return psprintf("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
						bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32),
						bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32));
	if (strcmp(alg->name, "RS256") == 0)
		return psprintf("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
						bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, 0),
						bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, 0));
	else
	{
		uint8		x[32];
		size_t		len = sizeof(x);

		if (EVP_PKEY_get_raw_public_key(pkey, x, &len) != 1 || len != sizeof(x))
			openssl_failed("reading a public key");
		return psprintf("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}",
						authoob_base64url_encode(x, len));
	}
}

/* not inlined: its result must not live in a register across new_key's PG_TRY */
pg_noinline static EVP_PKEY *
generate_key(const KeyAlg *alg)
{
	EVP_PKEY   *pkey;

	if (strcmp(alg->name, "ES256") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(alg->name, "RS256") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL)
		openssl_failed("making a signing key");
	return pkey;
}

/* The private key as PKCS #8 PEM, in palloc'd memory */
static char *
private_key_pem(EVP_PKEY *pkey)
{
	BIO		   *bio = BIO_new(BIO_s_mem());
	char	   *data;
	long		len;
	char	   *pem;

	if (bio == NULL || PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1)
	{
		BIO_free(bio);
		openssl_failed("writing a signing key");
	}
	len = BIO_get_mem_data(bio, &data);
	pem = pnstrdup(data, len);
	BIO_free(bio);
	return pem;
}

/*
 * A new key of alg: its public half as a canonical JWK and its private
 * key as PEM, both palloc'd; OpenSSL's own memory is freed, error or not.
 */
static void
new_key(const KeyAlg *alg, char **canonical, char **pem)
{
	EVP_PKEY   *pkey = generate_key(alg);

	PG_TRY();
	{
		*canonical = canonical_jwk(alg, pkey);
		*pem = private_key_pem(pkey);
	}
	PG_FINALLY();
	{
		EVP_PKEY_free(pkey);
	}
	PG_END_TRY();
}

static AuthoobQuery retire_current_key = AUTHOOB_QUERY(
	"UPDATE authoob.signing_keys SET valid_until = $2"
	" WHERE alg = $1 AND valid_until IS NULL RETURNING kid",
	2, TEXTOID, TIMESTAMPTZOID);

static AuthoobQuery forget_old_keys = AUTHOOB_QUERY0(
	"DELETE FROM authoob.signing_keys WHERE valid_until <= now()");

static AuthoobQuery insert_key = AUTHOOB_QUERY(
	"INSERT INTO authoob.signing_keys (kid, alg, private_key, public_jwk)"
	" VALUES ($1, $2, $3, $4::jsonb)",
	4, TEXTOID, TEXTOID, TEXTOID, TEXTOID);

static AuthoobQuery token_ttl_query = AUTHOOB_QUERY0(
	"SELECT token_ttl FROM authoob.settings");

/*
 * SQL function: authoob_new_signing_key(alg text, previous_valid_for interval) returns jsonb
 *
 * A new key of alg (ES256, EdDSA or RS256) becomes its current key; the
 * one it replaces still verifies the tokens it signed for
 * previous_valid_for (by default the token lifetime), then it is gone.
 * authoob_rotate_key() and a change of signing_alg call it.
 */
Datum
authoob_new_signing_key(PG_FUNCTION_ARGS)
{
	const KeyAlg *alg;
	TimestampTz valid_until;
	char	   *canonical;
	char	   *pem;
	uint8		thumbprint[PG_SHA256_DIGEST_LENGTH];
	char	   *kid;
	char	   *previous_kid = NULL;
	Datum		args[4];
	bool		isnull;
	const char *names[] = {"kid", "alg", "previous_kid", "previous_valid_until"};
	const char *values[4];

	if (PG_ARGISNULL(0) || (alg = find_alg(text_to_cstring(PG_GETARG_TEXT_PP(0)))) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
				 errmsg("Invalid signing algorithm"),
				 errdetail("Expected \"ES256\", \"EdDSA\" or \"RS256\".")));

	authoob_connect_spi();
	if (PG_ARGISNULL(1))
	{
		if (authoob_run(&token_ttl_query, NULL, NULL, false) != 1)
			elog(ERROR, "authoob: the settings row is missing");
		valid_until = TimestampTzPlusMilliseconds(GetCurrentTransactionStartTimestamp(),
												  (int64) DatumGetInt32(authoob_result_datum(1, &isnull)) * 1000);
	}
	else
		valid_until = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
															  TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
															  PG_GETARG_DATUM(1)));

	new_key(alg, &canonical, &pem);
	authoob_sha256(canonical, strlen(canonical), thumbprint);
	kid = authoob_base64url_encode(thumbprint, sizeof(thumbprint));

	args[0] = CStringGetTextDatum(alg->name);
	args[1] = TimestampTzGetDatum(valid_until);
	if (authoob_run(&retire_current_key, args, NULL, false) == 1)
		previous_kid = authoob_result_text(1);
	authoob_run(&forget_old_keys, NULL, NULL, false);

	args[0] = CStringGetTextDatum(kid);
	args[1] = CStringGetTextDatum(alg->name);
	args[2] = CStringGetTextDatum(pem);
	/* the canonical members, and what a JWKS adds to them */
	args[3] = CStringGetTextDatum(psprintf("%.*s,\"alg\":\"%s\",\"kid\":\"%s\",\"use\":\"sig\"}",
										   (int) strlen(canonical) - 1, canonical,
										   alg->name, kid));
	authoob_run(&insert_key, args, NULL, false);

	values[0] = kid;
	values[1] = alg->name;
	values[2] = previous_kid;
	values[3] = previous_kid == NULL ? NULL :
		DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(valid_until)));
	PG_RETURN_DATUM(authoob_finish_spi(authoob_jsonb_from_pairs(previous_kid ? 4 : 2,
																names, values), false));
}
