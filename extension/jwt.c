/*
 * jwt.c
 *		JWT access tokens, signed and read: HS256 with the HMAC of crypto.c,
 *		ES256, EdDSA and RS256 with the keys of keys.c (setting signing_alg).
 *
 * A token is standard (sub, iat, exp, jti) so any JWT library verifies it
 * with the secret or the published public key.  Reading one checks its
 * header and signature before anything an attacker wrote is parsed;
 * whether its session is still alive is sessions.c's question.
 */
#include "authoob.h"

#include <time.h>

#include "common/sha2.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

/*
 * The only header authoob signs, keys sorted as JWT libraries write them:
 * {"alg":"HS256","kid":"<kid>","typ":"JWT"}.  Verification matches it byte
 * for byte around the kid, without parsing: whatever another header
 * claims, "alg": "none" included, is refused.
 */
#define JWT_HEADER_PREFIX "{\"alg\":\"HS256\",\"kid\":\""
#define JWT_HEADER_SUFFIX "\",\"typ\":\"JWT\"}"

/* Longest token worth looking at; ours are 200 (HS256) to 650 (RS256) bytes */
#define MAX_TOKEN_LENGTH 1024

/* Longest signature decoded: RS256's 256 bytes, and room to see it is longer */
#define MAX_SIGNATURE_LENGTH 260

/*
 * A token for user_id, session jti (its text form), valid from iat to exp
 * (seconds since the epoch), signed with the current key of signing_alg.
 */
char *
authoob_jwt_sign(int64 user_id, const char *jti, int64 iat, int64 exp,
				 const AuthoobSettings *settings)
{
	StringInfoData token;
	StringInfoData claims;
	char	   *header;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	const AuthoobSigningKey *key = NULL;

	initStringInfo(&claims);
	appendStringInfo(&claims,
					 "{\"sub\":\"" INT64_FORMAT "\",\"iat\":" INT64_FORMAT
					 ",\"exp\":" INT64_FORMAT ",\"jti\":\"%s\"}",
					 user_id, iat, exp, jti);

	if (strcmp(settings->signing_alg, "HS256") == 0)
		header = psprintf(JWT_HEADER_PREFIX "%s" JWT_HEADER_SUFFIX, settings->key_id);
	else
	{
		key = authoob_current_signing_key(settings->signing_alg);
		header = pstrdup(authoob_signing_key_header(key));
	}
	initStringInfo(&token);
	appendStringInfo(&token, "%s.%s",
					 authoob_base64url_encode((const uint8 *) header, strlen(header)),
					 authoob_base64url_encode((const uint8 *) claims.data, claims.len));
	if (key != NULL)
	{
		appendStringInfo(&token, ".%s", authoob_key_sign(key, token.data, token.len));
		return token.data;
	}
	authoob_hmac_sha256(settings->secret_key, token.data, token.len, digest);
	appendStringInfo(&token, ".%s", authoob_base64url_encode(digest, sizeof(digest)));
	return token.data;
}

/* The HS256 secret of kid: the current one, or a previous one still valid */
static const bytea *
signing_key(const char *kid, const AuthoobSettings *settings)
{
	if (memcmp(kid, settings->key_id, AUTHOOB_KID_LENGTH) == 0)
		return settings->secret_key;
	for (int i = 0; i < settings->nprevious_keys; i++)
		if (memcmp(kid, settings->previous_keys[i].kid, AUTHOOB_KID_LENGTH) == 0 &&
			settings->previous_keys[i].valid_until > GetCurrentTimestamp())
			return settings->previous_keys[i].secret;
	return NULL;
}

/* 36 characters in the 8-4-4-4-12 form of a uuid, lower-case hex */
static bool
is_uuid_text(const char *text, int len)
{
	if (len != 36)
		return false;
	for (int i = 0; i < 36; i++)
	{
		bool		dash = (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash ? text[i] != '-' :
			!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			return false;
	}
	return true;
}

/* A claim that must be a whole non-negative number, else 401 */
static int64
numeric_claim(Jsonb *claims, const char *key)
{
	JsonbValue *v = authoob_object_value(claims, key);
	char	   *text;
	int64		value;

	if (v == NULL || v->type != jbvNumeric)
		authoob_token_refused(psprintf("has no numeric %s", key));
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	if (!authoob_parse_digits(text, strlen(text), &value))
		authoob_token_refused(psprintf("has an unusable %s", key));
	return value;
}

/*
 * The claims as authoob itself writes them,
 * {"sub":"<id>","iat":<n>,"exp":<n>,"jti":"<uuid>"}, read without a JSON
 * parser: the hot path of every verification.  False when they are in any
 * other form (a token another library signed with the secret), which the
 * general JSON path then reads.
 */
static bool
read_own_claims(const char *p, const char *end, int64 *sub, int64 *exp, char *jti)
{
	int64		values[3];
	static const char *const before[3] = {"{\"sub\":\"", "\",\"iat\":", ",\"exp\":"};

	for (int i = 0; i < 3; i++)
	{
		const char *digits;

		if (strncmp(p, before[i], strlen(before[i])) != 0)
			return false;
		digits = p += strlen(before[i]);
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (!authoob_parse_digits(digits, p - digits, &values[i]))
			return false;
	}
	if (strncmp(p, ",\"jti\":\"", 8) != 0 || end - p != 8 + 36 + 2 ||
		!is_uuid_text(p + 8, 36) || strncmp(p + 8 + 36, "\"}", 2) != 0)
		return false;
	memcpy(jti, p + 8, 36);
	jti[36] = '\0';
	*sub = values[0];
	*exp = values[2];
	return true;
}

/* {"alg":"HS256","kid":"<11 characters>","typ":"JWT"}: a secret's header */
static bool
is_hs256_header(const uint8 *header, int len)
{
	return len == (int) (strlen(JWT_HEADER_PREFIX) + AUTHOOB_KID_LENGTH + strlen(JWT_HEADER_SUFFIX)) &&
		memcmp(header, JWT_HEADER_PREFIX, strlen(JWT_HEADER_PREFIX)) == 0 &&
		memcmp(header + strlen(JWT_HEADER_PREFIX) + AUTHOOB_KID_LENGTH, JWT_HEADER_SUFFIX,
			   strlen(JWT_HEADER_SUFFIX)) == 0;
}

/*
 * The HMAC of a token with an HS256 header: its kid must name a secret
 * still valid, and the signature match in constant time; else PT401.
 */
static void
check_hmac(const char *token, size_t signed_len, const uint8 *header,
		   const uint8 *given, int given_len, const AuthoobSettings *settings)
{
	uint8		expected[PG_SHA256_DIGEST_LENGTH];
	const bytea *key = signing_key((const char *) header + strlen(JWT_HEADER_PREFIX), settings);

	if (key == NULL)
		authoob_token_refused("was signed with a key that is gone");
	if (given_len != PG_SHA256_DIGEST_LENGTH)
		authoob_token_refused("has no valid signature");
	authoob_hmac_sha256(key, token, signed_len, expected);
	if (timingsafe_bcmp(expected, given, PG_SHA256_DIGEST_LENGTH) != 0)
		authoob_token_refused("has a wrong signature");
}

/*
 * What a token claims, if it is ours: its user id, and its session id in
 * *jti; else a PT401 error.  The header is only compared with ours, and
 * the signature checked in constant time, before anything an attacker
 * wrote is parsed.  The session itself is not looked at here.
 */
int64
authoob_jwt_read(const char *token, const AuthoobSettings *settings, Datum *jti)
{
	const char *dot1;
	const char *dot2;
	size_t		len;
	uint8		given[MAX_SIGNATURE_LENGTH];
	int			given_len;
	uint8	   *header;
	uint8	   *payload;
	int			header_len;
	int			payload_len;
	Jsonb	   *claims;
	JsonbValue *sub;
	JsonbValue *jti_value;
	Datum		parsed;
	int64		user_id;
	int64		expires;
	char		own_jti[37];

	if (token == NULL || *token == '\0')
		authoob_token_refused("is missing");
	len = strlen(token);
	if (len > MAX_TOKEN_LENGTH)
		authoob_token_refused("is too long");
	dot1 = strchr(token, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
		authoob_token_refused("is not a JWT");

	/* the header must be ours, byte for byte, and chooses the key */
	header = palloc(dot1 - token + 1);
	header_len = authoob_base64url_decode(token, dot1 - token, header, dot1 - token);
	given_len = authoob_base64url_decode(dot2 + 1, len - (dot2 + 1 - token),
										 given, sizeof(given));
	if (is_hs256_header(header, header_len))
		check_hmac(token, dot2 - token, header, given, given_len, settings);
	else
	{
		const AuthoobSigningKey *key = authoob_find_signing_key(header, header_len);

		if (key == NULL)
			authoob_token_refused("has an unexpected header or a key that is gone");
		if (!authoob_key_verify(key, token, len, dot2 - token, given, given_len))
			authoob_token_refused("has a wrong signature");
	}

	payload = palloc(dot2 - dot1 + 1);
	payload_len = authoob_base64url_decode(dot1 + 1, dot2 - dot1 - 1, payload, dot2 - dot1);
	if (payload_len <= 0)
		authoob_token_refused("has no valid claims");
	payload[payload_len] = '\0';

	if (read_own_claims((const char *) payload, (const char *) payload + payload_len,
						&user_id, &expires, own_jti))
	{
		if (expires <= (int64) time(NULL))
			authoob_token_refused("has expired");
		*jti = DirectFunctionCall1(uuid_in, CStringGetDatum(own_jti));
		return user_id;
	}

	/*
	 * Claims in another form (another library signed them with the secret):
	 * parsed in a subtransaction, so that even a signed oddity (a number
	 * out of range) is a clean 401.
	 */
	parsed = CStringGetDatum((char *) payload);
	if (authoob_try(authoob_parse_jsonb, &parsed) != NULL)
		authoob_token_refused("has no valid claims");
	claims = DatumGetJsonbP(parsed);
	if (!JB_ROOT_IS_OBJECT(claims) || JB_ROOT_IS_SCALAR(claims))
		authoob_token_refused("has no valid claims");

	if (numeric_claim(claims, "exp") <= (int64) time(NULL))
		authoob_token_refused("has expired");
	(void) numeric_claim(claims, "iat");
	sub = authoob_object_value(claims, "sub");
	jti_value = authoob_object_value(claims, "jti");
	if (sub == NULL || sub->type != jbvString ||
		!authoob_parse_digits(sub->val.string.val, sub->val.string.len, &user_id) ||
		jti_value == NULL || jti_value->type != jbvString ||
		!is_uuid_text(jti_value->val.string.val, jti_value->val.string.len))
		authoob_token_refused("has no valid sub or jti");
	*jti = DirectFunctionCall1(uuid_in,
							   CStringGetDatum(pnstrdup(jti_value->val.string.val,
														jti_value->val.string.len)));
	return user_id;
}
