/*
 * provider_keys.c
 *		An identity provider's ID token checked against one of its keys:
 *		an RSA or P-256 JWK of the provider's JWK Set, with OpenSSL's
 *		libcrypto (docs/identity-providers.md).
 *
 * Which key of the set, and what the claims must say (iss, aud, exp, iat,
 * nonce), is decided in SQL (authoob_oauth_id_token): this file only
 * answers whether that key signed the token, and with what claims.
 *
 * Sharded, what a provider said is checked on the partition of the flow
 * and handed to the partition of the user, through the proxy: sealed here
 * with a MAC under the key every partition shares, so that the partition
 * of the user takes no caller's word for it.
 */
#include "authoob.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "common/sha2.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(authoob_jws_verify);
PG_FUNCTION_INFO_V1(authoob_oauth_handoff_seal);
PG_FUNCTION_INFO_V1(authoob_oauth_handoff_open);

/* RSA moduli up to 8192 bits: more than any provider publishes */
#define JWK_MAX_BYTES 1024

/* A base64url member of the JWK, decoded (NULL if absent or not base64url) */
static uint8 *
jwk_bytes(Jsonb *jwk, const char *member, int *len)
{
	char	   *text = authoob_jsonb_get_string(jwk, member);
	uint8	   *bytes;

	if (text == NULL || strlen(text) > JWK_MAX_BYTES * 4 / 3 + 4)
		return NULL;
	bytes = palloc(strlen(text) * 3 / 4 + 3);
	*len = authoob_base64url_decode(text, strlen(text), bytes, strlen(text) * 3 / 4 + 3);
	return *len > 0 ? bytes : NULL;
}

/* The public key the params describe, NULL if they describe none */
static EVP_PKEY *
key_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY   *pkey = NULL;

	if (ctx == NULL || params == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* An RSA JWK: its modulus n and exponent e */
static EVP_PKEY *
rsa_key(Jsonb *jwk)
{
	int			n_len,
				e_len;
	uint8	   *n = jwk_bytes(jwk, "n", &n_len);
	uint8	   *e = jwk_bytes(jwk, "e", &e_len);
	BIGNUM	   *bn_n = n ? BN_bin2bn(n, n_len, NULL) : NULL;
	BIGNUM	   *bn_e = e ? BN_bin2bn(e, e_len, NULL) : NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY   *pkey = NULL;

	if (bn_n != NULL && bn_e != NULL && bld != NULL &&
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1)
		pkey = key_from_params("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return pkey;
}

/* A P-256 JWK: its point, x and y of 32 bytes each */
static EVP_PKEY *
p256_key(Jsonb *jwk)
{
	int			x_len = 0,
				y_len = 0;
	uint8	   *x = jwk_bytes(jwk, "x", &x_len);
	uint8	   *y = jwk_bytes(jwk, "y", &y_len);
	uint8		point[65];
	OSSL_PARAM_BLD *bld;
	EVP_PKEY   *pkey = NULL;

	if (x == NULL || y == NULL || x_len != 32 || y_len != 32)
		return NULL;
	point[0] = 0x04;			/* uncompressed (SEC 1, 2.3.3) */
	memcpy(point + 1, x, 32);
	memcpy(point + 33, y, 32);
	bld = OSSL_PARAM_BLD_new();
	if (bld != NULL &&
		OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
		OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) == 1)
		pkey = key_from_params("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* A base64url JSON object of the token, or NULL */
static Jsonb *
decoded_object(const char *part, int len)
{
	uint8	   *bytes = palloc(len * 3 / 4 + 3);
	int			n = authoob_base64url_decode(part, len, bytes, len * 3 / 4 + 3);

	if (n <= 0 || memchr(bytes, '\0', n) != NULL)
		return NULL;
	bytes[n] = '\0';
	return authoob_payload_text((char *) bytes);
}

static bool
is_string(Jsonb *object, const char *key, const char *value)
{
	char	   *found = authoob_jsonb_get_string(object, key);

	return found != NULL && strcmp(found, value) == 0;
}

/*
 * SQL function: authoob_jws_verify(token text, jwk jsonb) returns jsonb
 *
 * The claims of a compact JWS signed RS256 with an RSA key or ES256 with
 * a P-256 key, when jwk's is the key that signed it; NULL otherwise
 * (another key, another algorithm, "none", a signature that does not
 * verify). A token that is no JWS at all is a PT400. Owner only.
 */
Datum
authoob_jws_verify(PG_FUNCTION_ARGS)
{
	char	   *token = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Jsonb	   *jwk = PG_GETARG_JSONB_P(1);
	char	   *dot1 = strchr(token, '.');
	char	   *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	Jsonb	   *header;
	Jsonb	   *claims;
	EVP_PKEY   *pkey = NULL;
	bool		ecdsa;
	uint8	   *sig;
	int			sig_len;
	bool		ok;

	if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
		authoob_bad_body("An ID token is a JWS of three parts.");
	header = decoded_object(token, dot1 - token);
	claims = decoded_object(dot1 + 1, dot2 - dot1 - 1);
	if (header == NULL || claims == NULL)
		authoob_bad_body("An ID token's header and claims are base64url JSON objects.");
	ecdsa = is_string(header, "alg", "ES256");
	if (ecdsa && is_string(jwk, "kty", "EC") && is_string(jwk, "crv", "P-256"))
		pkey = p256_key(jwk);
	else if (is_string(header, "alg", "RS256") && is_string(jwk, "kty", "RSA"))
		pkey = rsa_key(jwk);
	if (pkey == NULL)
	{
		ERR_clear_error();
		PG_RETURN_NULL();
	}
	sig = palloc(strlen(dot2 + 1) * 3 / 4 + 3);
	sig_len = authoob_base64url_decode(dot2 + 1, strlen(dot2 + 1), sig,
									   strlen(dot2 + 1) * 3 / 4 + 3);
	ok = sig_len > 0 &&
		authoob_pkey_verify(pkey, true, ecdsa, token, dot2 - token, sig, sig_len);
	EVP_PKEY_free(pkey);
	if (!ok)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(claims);
}

static AuthoobQuery handoff_key = AUTHOOB_QUERY0(
	"SELECT handoff_key FROM authoob.partition WHERE handoff_key IS NOT NULL");

/*
 * The MAC of a hand-off's payload, base64url: HMAC-SHA256 under the key
 * the partitions share (authoob.partition.handoff_key, which
 * scripts/shard-setup.sh gives them all), never a key that signs or
 * verifies tokens; NULL when this database has none.  Connected to SPI.
 */
static char *
handoff_mac(const char *payload, size_t len)
{
	bool		isnull;
	bytea	   *key;
	uint8		mac[PG_SHA256_DIGEST_LENGTH];
	char	   *text;

	if (authoob_run(&handoff_key, NULL, NULL, true) != 1)
		return NULL;
	key = DatumGetByteaPP(authoob_result_datum(1, &isnull));
	authoob_hmac_sha256(key, payload, len, mac);
	text = authoob_base64url_encode(mac, sizeof(mac));
	explicit_bzero(mac, sizeof(mac));
	return text;
}

/*
 * SQL function: authoob_oauth_handoff_seal(payload jsonb) returns text
 *
 * payload as base64url JSON, a dot, and its MAC.  Owner only.
 */
Datum
authoob_oauth_handoff_seal(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload = PG_GETARG_JSONB_P(0);
	char	   *json;
	char	   *encoded;
	char	   *sealed;
	char	   *mac;

	authoob_connect_spi();
	json = JsonbToCString(NULL, &payload->root, VARSIZE(payload));
	encoded = authoob_base64url_encode((const uint8 *) json, strlen(json));
	if ((mac = handoff_mac(encoded, strlen(encoded))) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("authoob: this partition has no hand-off key"),
				 errhint("scripts/shard-setup.sh gives every partition the same one (authoob_set_partition_key).")));
	sealed = psprintf("%s.%s", encoded, mac);
	PG_RETURN_DATUM(authoob_finish_spi(CStringGetTextDatum(sealed), false));
}

/*
 * SQL function: authoob_oauth_handoff_open(handoff text) returns jsonb
 *
 * The payload of a hand-off this deployment sealed; NULL for anything
 * else (another MAC, another secret, no hand-off at all).  The MAC is
 * compared in constant time.  Owner only.
 */
Datum
authoob_oauth_handoff_open(PG_FUNCTION_ARGS)
{
	char	   *handoff = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *dot = strchr(handoff, '.');
	char	   *expected;
	Jsonb	   *payload = NULL;

	authoob_connect_spi();
	if (dot != NULL)
	{
		expected = handoff_mac(handoff, dot - handoff);
		if (expected != NULL && strlen(dot + 1) == strlen(expected) &&
			authoob_equal_constant_time(dot + 1, expected, strlen(expected)))
			payload = decoded_object(handoff, dot - handoff);
	}
	if (payload == NULL)
	{
		authoob_finish_spi((Datum) 0, true);
		PG_RETURN_NULL();
	}
	PG_RETURN_DATUM(authoob_finish_spi(JsonbPGetDatum(payload), false));
}
