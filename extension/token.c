/*
 * token.c
 *		JWT (HS256) access tokens, signed with PostgreSQL's own HMAC.
 *
 * A token is standard (sub, iat, exp, jti) so any JWT library verifies it
 * with the secret; it is also listed in authoob.sessions by its jti, which
 * is what makes logout and "every earlier token after a password change"
 * exact, without clock-resolution games.
 */
#include "authoob.h"

#include <time.h>

#include "catalog/pg_type.h"
#include "common/base64.h"
#include "common/cryptohash.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
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
/* a kid: the first 11 base64url characters of the secret's SHA-256 */
#define KID_LENGTH 11

/* Longest token worth looking at; ours are about 200 bytes */
#define MAX_TOKEN_LENGTH 1024

static AuthoobQuery insert_session = AUTHOOB_QUERY(
	"INSERT INTO authoob.sessions (jti, user_id, expires_at, ip)"
	" VALUES ($1, $2, to_timestamp($3), $4)",
	4, UUIDOID, INT8OID, FLOAT8OID, INETOID);

static AuthoobQuery find_session = AUTHOOB_QUERY(
	"SELECT u.confirmed_at IS NOT NULL"
	" FROM authoob.sessions s JOIN authoob.users u ON u.id = s.user_id"
	" WHERE s.jti = $1 AND s.user_id = $2 AND s.expires_at > now() AND u.active",
	2, UUIDOID, INT8OID);

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
static int
base64url_decode(const char *src, int len, uint8 *dst, int dstlen)
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
	kid[KID_LENGTH] = '\0';
	return kid;
}

static void
hmac_sha256(const bytea *key, const char *data, size_t len, uint8 *digest)
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
 * Make a token for user_id, recorded as a session that expires with it.
 * The caller is connected to SPI.
 */
char *
authoob_issue_token(int64 user_id, Datum client_ip, bool ip_isnull,
					const AuthoobSettings *settings)
{
	Datum		jti = DirectFunctionCall1(gen_random_uuid, (Datum) 0);
	int64		iat = (int64) time(NULL);
	int64		exp = iat + settings->token_ttl;
	StringInfoData token;
	StringInfoData claims;
	char	   *header;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ip_isnull ? 'n' : ' '};

	initStringInfo(&claims);
	appendStringInfo(&claims,
					 "{\"sub\":\"" INT64_FORMAT "\",\"iat\":" INT64_FORMAT
					 ",\"exp\":" INT64_FORMAT ",\"jti\":\"%s\"}",
					 user_id, iat, exp,
					 DatumGetCString(DirectFunctionCall1(uuid_out, jti)));

	header = psprintf(JWT_HEADER_PREFIX "%s" JWT_HEADER_SUFFIX, settings->key_id);
	initStringInfo(&token);
	appendStringInfo(&token, "%s.%s",
					 authoob_base64url_encode((const uint8 *) header, strlen(header)),
					 authoob_base64url_encode((const uint8 *) claims.data, claims.len));
	hmac_sha256(settings->secret_key, token.data, token.len, digest);
	appendStringInfo(&token, ".%s", authoob_base64url_encode(digest, sizeof(digest)));

	values[0] = jti;
	values[1] = Int64GetDatum(user_id);
	values[2] = Float8GetDatum((double) exp);
	values[3] = client_ip;
	authoob_run(&insert_session, values, nulls, false);
	return token.data;
}

/* The secret of kid: the current key, or a previous one still valid */
static const bytea *
signing_key(const char *kid, const AuthoobSettings *settings)
{
	if (memcmp(kid, settings->key_id, KID_LENGTH) == 0)
		return settings->secret_key;
	for (int i = 0; i < settings->nprevious_keys; i++)
		if (memcmp(kid, settings->previous_keys[i].kid, KID_LENGTH) == 0 &&
			settings->previous_keys[i].valid_until > GetCurrentTimestamp())
			return settings->previous_keys[i].secret;
	return NULL;
}

static void
token_refused(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_UNAUTHORIZED),
			 errmsg("Authentication failed"),
			 errdetail_internal("The token %s.", why)));
}

/* len characters of text as a non-negative integer of at most 18 digits */
static bool
parse_digits(const char *text, int len, int64 *value)
{
	if (len < 1 || len > 18)
		return false;
	*value = 0;
	for (int i = 0; i < len; i++)
	{
		if (text[i] < '0' || text[i] > '9')
			return false;
		*value = *value * 10 + (text[i] - '0');
	}
	return true;
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
		token_refused(psprintf("has no numeric %s", key));
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	if (!parse_digits(text, strlen(text), &value))
		token_refused(psprintf("has an unusable %s", key));
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
		if (!parse_digits(digits, p - digits, &values[i]))
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

/*
 * What a token claims, if it is ours: its user id, and its session id in
 * *jti; else a PT401 error.  The header is only compared with ours, and
 * the signature checked in constant time, before anything an attacker
 * wrote is parsed.  The session itself is not looked at here.
 */
static int64
read_token(const char *token, const AuthoobSettings *settings, Datum *jti)
{
	const char *dot1;
	const char *dot2;
	size_t		len;
	uint8		expected[PG_SHA256_DIGEST_LENGTH];
	uint8		given[PG_SHA256_DIGEST_LENGTH + 3];
	uint8	   *header;
	uint8	   *payload;
	int			header_len;
	int			payload_len;
	Jsonb	   *claims;
	JsonbValue *sub;
	JsonbValue *jti_value;
	Datum		parsed;
	const bytea *key;
	int64		user_id;
	int64		expires;
	char		own_jti[37];

	if (token == NULL || *token == '\0')
		token_refused("is missing");
	len = strlen(token);
	if (len > MAX_TOKEN_LENGTH)
		token_refused("is too long");
	dot1 = strchr(token, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
		token_refused("is not a JWT");

	/* the header must be ours, byte for byte; its kid chooses the key */
	header = palloc(dot1 - token + 1);
	header_len = base64url_decode(token, dot1 - token, header, dot1 - token);
	if (header_len != (int) (strlen(JWT_HEADER_PREFIX) + KID_LENGTH + strlen(JWT_HEADER_SUFFIX)) ||
		memcmp(header, JWT_HEADER_PREFIX, strlen(JWT_HEADER_PREFIX)) != 0 ||
		memcmp(header + strlen(JWT_HEADER_PREFIX) + KID_LENGTH, JWT_HEADER_SUFFIX,
			   strlen(JWT_HEADER_SUFFIX)) != 0)
		token_refused("has an unexpected header");
	key = signing_key((const char *) header + strlen(JWT_HEADER_PREFIX), settings);
	if (key == NULL)
		token_refused("was signed with a key that is gone");

	/* signature over "header.payload", compared in constant time */
	if (base64url_decode(dot2 + 1, len - (dot2 + 1 - token), given, sizeof(given))
		!= PG_SHA256_DIGEST_LENGTH)
		token_refused("has no valid signature");
	hmac_sha256(key, token, dot2 - token, expected);
	if (timingsafe_bcmp(expected, given, PG_SHA256_DIGEST_LENGTH) != 0)
		token_refused("has a wrong signature");

	payload = palloc(dot2 - dot1 + 1);
	payload_len = base64url_decode(dot1 + 1, dot2 - dot1 - 1, payload, dot2 - dot1);
	if (payload_len <= 0)
		token_refused("has no valid claims");
	payload[payload_len] = '\0';

	if (read_own_claims((const char *) payload, (const char *) payload + payload_len,
						&user_id, &expires, own_jti))
	{
		if (expires <= (int64) time(NULL))
			token_refused("has expired");
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
		token_refused("has no valid claims");
	claims = DatumGetJsonbP(parsed);
	if (!JB_ROOT_IS_OBJECT(claims) || JB_ROOT_IS_SCALAR(claims))
		token_refused("has no valid claims");

	if (numeric_claim(claims, "exp") <= (int64) time(NULL))
		token_refused("has expired");
	(void) numeric_claim(claims, "iat");
	sub = authoob_object_value(claims, "sub");
	jti_value = authoob_object_value(claims, "jti");
	if (sub == NULL || sub->type != jbvString ||
		!parse_digits(sub->val.string.val, sub->val.string.len, &user_id) ||
		jti_value == NULL || jti_value->type != jbvString ||
		!is_uuid_text(jti_value->val.string.val, jti_value->val.string.len))
		token_refused("has no valid sub or jti");
	*jti = DirectFunctionCall1(uuid_in,
							   CStringGetDatum(pnstrdup(jti_value->val.string.val,
														jti_value->val.string.len)));
	return user_id;
}

/* After the session was found: with require_activation, 403 if unconfirmed */
static void
check_confirmed(bool confirmed, const AuthoobSettings *settings)
{
	if (settings->require_activation && !confirmed)
		authoob_not_activated();
}

/*
 * The user id a token stands for, or a PT401 error: it must be ours (see
 * read_token) and its session alive, not revoked (logout, password
 * change), not expired, its user active.  *jti receives the session id.
 * The caller is connected to SPI.
 */
int64
authoob_verify_token(const char *token, pg_uuid_t *jti,
					 const AuthoobSettings *settings)
{
	Datum		values[2];
	bool		isnull;
	int64		user_id = read_token(token, settings, &values[0]);

	values[1] = Int64GetDatum(user_id);
	if (authoob_run(&find_session, values, NULL, true) != 1)
		token_refused("is no longer valid");
	check_confirmed(DatumGetBool(authoob_result_datum(1, &isnull)), settings);
	if (jti)
		memcpy(jti, DatumGetUUIDP(values[0]), sizeof(pg_uuid_t));
	return user_id;
}

/*
 * authoob_verify_token, and the user's private JSON in *profile, read by
 * the same statement as the session: GET P/profile costs one statement.
 */
int64
authoob_verify_token_profile(const char *token, const AuthoobSettings *settings,
							 Datum *profile)
{
	Datum		jti;
	bool		confirmed;
	int64		user_id = read_token(token, settings, &jti);

	if (!authoob_session_profile(jti, user_id, &confirmed, profile))
		token_refused("is no longer valid");
	check_confirmed(confirmed, settings);
	return user_id;
}



PG_FUNCTION_INFO_V1(authoob_rotate_secret);

static AuthoobQuery keep_previous_key = AUTHOOB_QUERY(
	"INSERT INTO authoob.previous_keys (kid, secret, valid_until) VALUES ($1, $2, $3)"
	" ON CONFLICT (kid) DO UPDATE SET valid_until = EXCLUDED.valid_until",
	3, TEXTOID, BYTEAOID, TIMESTAMPTZOID);

static AuthoobQuery forget_old_keys = AUTHOOB_QUERY0(
	"DELETE FROM authoob.previous_keys WHERE valid_until <= now()");

static AuthoobQuery set_secret = AUTHOOB_QUERY(
	"UPDATE authoob.settings SET secret_key = $1",
	1, BYTEAOID);

/*
 * SQL function: authoob_rotate_secret(previous_valid_for interval) returns jsonb
 *
 * A new random signing key becomes current; the one it replaces still
 * verifies the tokens it signed for previous_valid_for (by default the
 * token lifetime, so no token is cut short), then it is gone.
 */
Datum
authoob_rotate_secret(PG_FUNCTION_ARGS)
{
	AuthoobSettings *settings;
	bytea	   *secret = palloc(VARHDRSZ + 32);
	Datum		args[3];
	TimestampTz valid_until;
	const char *keys[] = {"kid", "previous_kid", "previous_valid_until"};
	const char *values[3];

	authoob_connect_spi();
	settings = authoob_load_settings();
	if (PG_ARGISNULL(0))
		valid_until = TimestampTzPlusMilliseconds(GetCurrentTransactionStartTimestamp(),
												  (int64) settings->token_ttl * 1000);
	else
		valid_until = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
															  TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
															  PG_GETARG_DATUM(0)));

	args[0] = CStringGetTextDatum(settings->key_id);
	args[1] = PointerGetDatum(settings->secret_key);
	args[2] = TimestampTzGetDatum(valid_until);
	authoob_run(&keep_previous_key, args, NULL, false);
	authoob_run(&forget_old_keys, NULL, NULL, false);

	if (!pg_strong_random(VARDATA(secret), 32))
		elog(ERROR, "authoob: could not generate a random secret");
	SET_VARSIZE(secret, VARHDRSZ + 32);
	args[0] = PointerGetDatum(secret);
	authoob_run(&set_secret, args, NULL, false);

	values[0] = authoob_key_id(secret);
	values[1] = settings->key_id;
	values[2] = DatumGetCString(DirectFunctionCall1(timestamptz_out,
													TimestampTzGetDatum(valid_until)));
	PG_RETURN_DATUM(authoob_finish_spi(authoob_jsonb_from_pairs(3, keys, values), false));
}
