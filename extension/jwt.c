/*
 * jwt.c
 *		JWT access tokens, signed and read: HS256 with the HMAC of crypto.c,
 *		ES256, EdDSA and RS256 with the keys of keys.c (setting signing_alg).
 *
 * A token is standard (iss, aud, sub, iat, exp, jti, and the session_id,
 * role, email, aal, amr that Supabase's clients and PostgREST read) so any
 * JWT library verifies it with the secret or the published public key.  Reading one checks its
 * header and signature before anything an attacker wrote is parsed;
 * whether its session is still alive is sessions.c's question.
 */
#include "authoob.h"

#include <time.h>

#include "common/sha2.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"

/*
 * The only header authoob signs, keys sorted as JWT libraries write them:
 * {"alg":"HS256","kid":"<kid>","typ":"JWT"}.  Verification matches it byte
 * for byte around the kid, without parsing: whatever another header
 * claims, "alg": "none" included, is refused.
 */
#define JWT_HEADER_PREFIX "{\"alg\":\"HS256\",\"kid\":\""
#define JWT_HEADER_SUFFIX "\",\"typ\":\"JWT\"}"

/*
 * Longest token worth looking at: HS256 tokens are about 600 bytes, RS256
 * ones 1000, and custom_access_token may add claims.  No longer token is
 * issued.
 */
#define MAX_TOKEN_LENGTH 4096

/* Longest signature decoded: RS256's 256 bytes, and room to see it is longer */
#define MAX_SIGNATURE_LENGTH 260

/*
 * The claims authoob writes first, in this order, and that nothing may
 * change: read_own_claims() reads them without a JSON parser.  iss, set by
 * the operator, is not to be changed by a hook either.
 */
#define OWN_CLAIMS_FORMAT \
	"{\"sub\":\"%s\",\"session_id\":\"%s\",\"iat\":" INT64_FORMAT \
	",\"exp\":" INT64_FORMAT ",\"jti\":\"%s\""
static const char *const fixed_claims[] = {"sub", "session_id", "iat", "exp", "jti", "iss"};

/* The claims the prefix holds, the ones a hook's claims are cleared of */
#define N_PREFIX_CLAIMS 5

pg_attribute_noreturn() static void
claims_refused(const char *message)
{
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("%s", message),
			 errdetail("No token was issued.")));
}

/*
 * The claims after the fixed ones as custom_access_token leaves them: the
 * hook sees every claim and answers {"claims": {...}}, whose members are
 * added or replace those authoob wrote; changing a fixed claim fails the
 * request.  Returns the members after the prefix, without braces.
 */
static char *
custom_claims(const char *prefix, const char *rest, int64 user_id)
{
	Jsonb	   *claims = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															CStringGetDatum(psprintf("%s,%s}", prefix, rest))));
	Jsonb	   *answer = authoob_fire_hook(HOOK_CUSTOM_ACCESS_TOKEN,
										   &(AuthoobHookArgs) {.user_id = user_id, .claims = claims});
	JsonbValue *added;
	Datum		merged;
	char	   *text;

	if (answer == NULL)
		return (char *) rest;
	added = authoob_object_value(answer, "claims");
	if (added == NULL || added->type != jbvBinary ||
		!JsonContainerIsObject(added->val.binary.data))
		claims_refused("custom_access_token must answer {\"claims\": {...}}");
	merged = DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(claims),
								 JsonbPGetDatum(JsonbValueToJsonb(added)));
	for (int i = 0; i < (int) lengthof(fixed_claims); i++)
	{
		Datum		key = CStringGetTextDatum(fixed_claims[i]);

		if (!DatumGetBool(DirectFunctionCall2(jsonb_eq,
											  DirectFunctionCall2(jsonb_object_field, JsonbPGetDatum(claims), key),
											  DirectFunctionCall2(jsonb_object_field, merged, key))))
			claims_refused(psprintf("custom_access_token may not change the claim %s",
									fixed_claims[i]));
	}
	for (int i = 0; i < N_PREFIX_CLAIMS; i++)
		merged = DirectFunctionCall2(jsonb_delete, merged,
									 CStringGetTextDatum(fixed_claims[i]));
	text = JsonbToCString(NULL, &DatumGetJsonbP(merged)->root, 0);
	/* "{...}" to "..." */
	text[strlen(text) - 1] = '\0';
	return text + 1;
}

/* The issuer of every token: jwt_issuer, else the API's address */
static char *
issuer(const AuthoobSettings *settings)
{
	return settings->jwt_issuer ? settings->jwt_issuer :
		psprintf("%s%s", settings->api_url ? settings->api_url : "", settings->prefix);
}

/* claims (JSON text) signed with the current key of signing_alg */
static char *
signed_token(const char *claims, const AuthoobSettings *settings)
{
	StringInfoData token;
	char	   *header;
	const AuthoobSigningKey *key = NULL;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

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
					 authoob_base64url_encode((const uint8 *) claims, strlen(claims)));
	if (key != NULL)
		appendStringInfo(&token, ".%s", authoob_key_sign(key, token.data, token.len));
	else
	{
		authoob_hmac_sha256_kept(settings->secret_key, token.data, token.len, digest);
		appendStringInfo(&token, ".%s", authoob_base64url_encode(digest, sizeof(digest)));
	}
	return token.data;
}

/*
 * An access token with claims c, signed with the current key of
 * signing_alg.  Its claims, in this order: sub (the user's id or uuid, as
 * jwt_sub says), session_id, iat, exp, jti
 * (a fresh uuid), iss, aud, role, email, aal, amr, is_anonymous; then
 * whatever custom_access_token adds.  A user without an address (c->email
 * NULL) is anonymous, as Supabase Auth's tokens say it: an empty email,
 * is_anonymous true and the method "anonymous", the only way such a user
 * signed in.
 */
char *
authoob_jwt_sign(const AuthoobClaims *c, const AuthoobSettings *settings)
{
	StringInfoData rest;
	char	   *prefix;
	char	   *token;
	bool		anonymous = c->email == NULL;
	char	   *jti = DatumGetCString(DirectFunctionCall1(uuid_out,
														  DirectFunctionCall1(gen_random_uuid, (Datum) 0)));

	prefix = psprintf(OWN_CLAIMS_FORMAT, c->sub, c->session_id, c->iat, c->exp, jti);
	initStringInfo(&rest);
	appendStringInfoString(&rest, "\"iss\":");
	escape_json(&rest, issuer(settings));
	appendStringInfoString(&rest, ",\"aud\":");
	escape_json(&rest, settings->jwt_audience);
	appendStringInfoString(&rest, ",\"role\":");
	escape_json(&rest, settings->jwt_role);
	appendStringInfoString(&rest, ",\"email\":");
	escape_json(&rest, anonymous ? "" : c->email);
	appendStringInfo(&rest, ",\"aal\":\"%s\",\"amr\":[", c->aal);
	/* the most recent method first, as Supabase Auth lists them */
	if (c->mfa_method)
		appendStringInfo(&rest, "{\"method\":\"%s\",\"timestamp\":" INT64_FORMAT "},",
						 c->mfa_method, c->mfa_time);
	appendStringInfo(&rest, "{\"method\":\"%s\",\"timestamp\":" INT64_FORMAT,
					 anonymous ? "anonymous" : c->method, c->auth_time);
	/* Supabase Auth's AMREntry: the provider of a provider's sign-in */
	if (c->provider && !anonymous)
	{
		appendStringInfoString(&rest, ",\"provider\":");
		escape_json(&rest, c->provider);
	}
	appendStringInfoString(&rest, "}]");
	appendStringInfo(&rest, ",\"is_anonymous\":%s", anonymous ? "true" : "false");
	if (authoob_hook_registered(HOOK_CUSTOM_ACCESS_TOKEN))
		rest.data = custom_claims(prefix, rest.data, c->user_id);

	token = signed_token(psprintf("%s%s%s}", prefix, rest.data[0] ? "," : "", rest.data),
						 settings);
	if (strlen(token) > MAX_TOKEN_LENGTH)
		claims_refused(psprintf("the access token would be longer than %d bytes",
								MAX_TOKEN_LENGTH));
	return token;
}

/*
 * The HS256 secret of kid: the current one while HS256 is signing_alg, or a
 * previous one still valid.  Under another alg the secret signs nothing, so
 * whoever holds it could only forge (docs/sql-api.md, "Signing keys and
 * JWKS"); the one HS256 signed with was rotated out with the alg and verifies
 * from previous_keys for its time.
 */
static const bytea *
signing_key(const char *kid, const AuthoobSettings *settings)
{
	if (strcmp(settings->signing_alg, "HS256") == 0 &&
		memcmp(kid, settings->key_id, AUTHOOB_KID_LENGTH) == 0)
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

/* The uuid of text that is_uuid_text accepted, as a Datum */
static Datum
uuid_datum(const char *text)
{
	pg_uuid_t  *uuid = palloc(sizeof(pg_uuid_t));
	int			n = 0;

	for (int i = 0; i < 36; i += (text[i] == '-') ? 1 : 2)
	{
		if (text[i] == '-')
			continue;
#define HEX(c) ((c) <= '9' ? (c) - '0' : (c) - 'a' + 10)
		uuid->data[n++] = (uint8) (HEX(text[i]) << 4 | HEX(text[i + 1]));
#undef HEX
	}
	return UUIDPGetDatum(uuid);
}

/* A claim that must be a whole non-negative number; -1 if it is not one */
static int64
numeric_claim(Jsonb *claims, const char *key)
{
	JsonbValue *v = authoob_object_value(claims, key);
	char	   *text;
	int64		value;

	if (v == NULL || v->type != jbvNumeric)
		return -1;
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	if (!authoob_parse_digits(text, strlen(text), &value))
		return -1;
	return value;
}

/* Digits at *p, moved past them; false unless a whole number */
static bool
read_digits(const char **p, const char *end, int64 *value)
{
	const char *digits = *p;

	while (*p < end && **p >= '0' && **p <= '9')
		(*p)++;
	return authoob_parse_digits(digits, *p - digits, value);
}

/* The literal text at *p, moved past it */
static bool
read_literal(const char **p, const char *end, const char *literal)
{
	size_t		len = strlen(literal);

	if ((size_t) (end - *p) < len || memcmp(*p, literal, len) != 0)
		return false;
	*p += len;
	return true;
}

/* A uuid in quotes at *p, moved past it, copied into uuid[37] */
static bool
read_uuid(const char **p, const char *end, char *uuid)
{
	if (end - *p < 38 || (*p)[0] != '"' || !is_uuid_text(*p + 1, 36) || (*p)[37] != '"')
		return false;
	memcpy(uuid, *p + 1, 36);
	uuid[36] = '\0';
	*p += 38;
	return true;
}

/*
 * The claims after the fixed ones, up to the closing brace: read without a
 * parser only if none of them could stand for a fixed claim again (a
 * duplicate key, or one written with escapes).
 */
static bool
rest_is_plain(const char *p, const char *end)
{
	static const char *const suspect[] = {"\"sub\"", "\"session_id\"", "\"iat\"",
	"\"exp\"", "\"jti\"", "\\u"};
	char	   *rest = pnstrdup(p, end - p);

	for (int i = 0; i < (int) lengthof(suspect); i++)
		if (strstr(rest, suspect[i]) != NULL)
			return false;
	return true;
}

/* The sub at *p, "<id>" or "<uuid>", moved past it */
static bool
read_sub(const char **p, const char *end, AuthoobSubject *subject)
{
	char		uuid[37];

	if (read_uuid(p, end, uuid))
	{
		subject->user_id = 0;
		memcpy(&subject->uuid, DatumGetUUIDP(uuid_datum(uuid)), sizeof(pg_uuid_t));
		return true;
	}
	return read_literal(p, end, "\"") && read_digits(p, end, &subject->user_id) &&
		subject->user_id > 0 && read_literal(p, end, "\"");
}

/*
 * The claims as authoob itself writes them, read without a JSON parser:
 * the hot path of every verification.  0.2's form is
 * {"sub":"<id>","session_id":"<uuid>","iat":<n>,"exp":<n>,"jti":"<uuid>",...},
 * 0.1's {"sub":"<id>","iat":<n>,"exp":<n>,"jti":"<uuid>"}, whose jti is
 * its session; 0.3's sub may be the user's uuid.  False when they are in
 * any other form (a token another library signed with the secret), which
 * the general JSON path then reads.
 */
static bool
read_own_claims(const char *p, const char *end, AuthoobSubject *sub, int64 *exp, char *session)
{
	int64		iat;
	char		jti[37];
	bool		has_session;

	if (!read_literal(&p, end, "{\"sub\":") || !read_sub(&p, end, sub) ||
		!read_literal(&p, end, ","))
		return false;
	has_session = read_literal(&p, end, "\"session_id\":");
	if (has_session && (!read_uuid(&p, end, session) || !read_literal(&p, end, ",")))
		return false;
	if (!read_literal(&p, end, "\"iat\":") || !read_digits(&p, end, &iat) ||
		!read_literal(&p, end, ",\"exp\":") || !read_digits(&p, end, exp) ||
		!read_literal(&p, end, ",\"jti\":") || !read_uuid(&p, end, jti))
		return false;
	if (!has_session)
	{
		memcpy(session, jti, sizeof(jti));
		return end - p == 1 && *p == '}';
	}
	if (end - p == 1 && *p == '}')
		return true;
	return *p == ',' && end[-1] == '}' && rest_is_plain(p, end);
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
 * still valid, and the signature match in constant time.  NULL if so,
 * else why not.
 */
static const char *
hmac_failure(const char *token, size_t signed_len, const uint8 *header,
			 const uint8 *given, int given_len, const AuthoobSettings *settings)
{
	uint8		expected[PG_SHA256_DIGEST_LENGTH];
	const bytea *key = signing_key((const char *) header + strlen(JWT_HEADER_PREFIX), settings);

	if (key == NULL)
		return "was signed with a key that is gone";
	if (given_len != PG_SHA256_DIGEST_LENGTH)
		return "has no valid signature";
	authoob_hmac_sha256_kept(key, token, signed_len, expected);
	if (timingsafe_bcmp(expected, given, PG_SHA256_DIGEST_LENGTH) != 0)
		return "has a wrong signature";
	return NULL;
}

/*
 * Whether a token is one of ours, signed by a key that still verifies:
 * NULL if so, with its claims' JSON text (not parsed) in *payload, else
 * why not.  The header is only compared with ours, and the signature
 * checked in constant time, before anything an attacker wrote is parsed.
 */
static const char *
signature_failure(const char *token, const AuthoobSettings *settings, char **payload,
				  int *payload_len)
{
	const char *dot1;
	const char *dot2;
	size_t		len;
	uint8		given[MAX_SIGNATURE_LENGTH];
	int			given_len;
	uint8	   *header;
	int			header_len;
	const char *failure;

	if (token == NULL || *token == '\0')
		return "is missing";
	len = strlen(token);
	if (len > MAX_TOKEN_LENGTH)
		return "is too long";
	dot1 = strchr(token, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
		return "is not a JWT";

	/* the header must be ours, byte for byte, and chooses the key */
	header = palloc(dot1 - token + 1);
	header_len = authoob_base64url_decode(token, dot1 - token, header, dot1 - token);
	given_len = authoob_base64url_decode(dot2 + 1, len - (dot2 + 1 - token),
										 given, sizeof(given));
	if (is_hs256_header(header, header_len))
	{
		failure = hmac_failure(token, dot2 - token, header, given, given_len, settings);
		if (failure != NULL)
			return failure;
	}
	else
	{
		const AuthoobSigningKey *key = authoob_find_signing_key(header, header_len);

		if (key == NULL)
			return "has an unexpected header or a key that is gone";
		if (!authoob_key_verify(key, token, len, dot2 - token, given, given_len))
			return "has a wrong signature";
	}

	*payload = palloc(dot2 - dot1 + 1);
	*payload_len = authoob_base64url_decode(dot1 + 1, dot2 - dot1 - 1,
											(uint8 *) *payload, dot2 - dot1);
	if (*payload_len <= 0)
		return "has no valid claims";
	(*payload)[*payload_len] = '\0';
	return NULL;
}

/*
 * Claims that are not in the form authoob writes first: parsed in a
 * subtransaction, so that even a signed oddity (a number out of range)
 * is a clean refusal.  NULL if they are not a JSON object.
 */
static Jsonb *
parsed_claims(char *payload)
{
	Datum		parsed = CStringGetDatum(payload);
	Jsonb	   *claims;

	if (authoob_try(authoob_parse_jsonb, &parsed) != NULL)
		return NULL;
	claims = DatumGetJsonbP(parsed);
	if (!JB_ROOT_IS_OBJECT(claims) || JB_ROOT_IS_SCALAR(claims))
		return NULL;
	return claims;
}

/*
 * What a token claims, if it is ours: its user in *subject (their id or
 * uuid), and its session id in *session (its session_id, or for a token
 * without one, 0.1's, its jti); else a PT401 error.  The session itself is
 * not looked at here.
 */
void
authoob_jwt_read(const char *token, const AuthoobSettings *settings, Datum *session,
				 AuthoobSubject *subject)
{
	char	   *payload;
	int			payload_len;
	const char *failure = signature_failure(token, settings, &payload, &payload_len);
	Jsonb	   *claims;
	JsonbValue *sub;
	JsonbValue *session_value;
	int64		expires;
	char		own_session[37];

	if (token == NULL || *token == '\0')
		authoob_token_missing();
	if (failure != NULL)
		authoob_token_refused(failure);
	if (read_own_claims(payload, payload + payload_len, subject, &expires, own_session))
	{
		if (expires <= (int64) time(NULL))
			authoob_token_refused("has expired");
		*session = uuid_datum(own_session);
		return;
	}

	/* claims in another form: another library signed them with the secret */
	claims = parsed_claims(payload);
	if (claims == NULL)
		authoob_token_refused("has no valid claims");
	if (numeric_claim(claims, "exp") < 0 || numeric_claim(claims, "iat") < 0)
		authoob_token_refused("has no usable exp or iat");
	if (numeric_claim(claims, "exp") <= (int64) time(NULL))
		authoob_token_refused("has expired");
	sub = authoob_object_value(claims, "sub");
	session_value = authoob_object_value(claims, "session_id");
	if (session_value == NULL)
		session_value = authoob_object_value(claims, "jti");
	if (sub == NULL || sub->type != jbvString ||
		session_value == NULL || session_value->type != jbvString ||
		!is_uuid_text(session_value->val.string.val, session_value->val.string.len))
		authoob_token_refused("has no valid sub or session");
	subject->user_id = 0;
	if (is_uuid_text(sub->val.string.val, sub->val.string.len))
		memcpy(&subject->uuid, DatumGetUUIDP(uuid_datum(sub->val.string.val)), sizeof(pg_uuid_t));
	else if (!authoob_parse_digits(sub->val.string.val, sub->val.string.len, &subject->user_id) ||
			 subject->user_id <= 0)
		authoob_token_refused("has no valid sub or session");
	*session = uuid_datum(session_value->val.string.val);
}

/*
 * The service credential (README "Supabase users", the admin API): a token
 * of no user and no session, {"iss", "role": "service_role", "iat", "exp"},
 * as Supabase's service_role key is, signed with the current key.  It opens
 * no session, so nothing but its expiry and the key's rotation ends it.
 */
char *
authoob_service_token_sign(int64 valid_for, const AuthoobSettings *settings)
{
	StringInfoData claims;
	int64		now = (int64) time(NULL);

	initStringInfo(&claims);
	appendStringInfoString(&claims, "{\"iss\":");
	escape_json(&claims, issuer(settings));
	appendStringInfo(&claims, ",\"role\":\"" AUTHOOB_SERVICE_ROLE "\",\"iat\":" INT64_FORMAT
					 ",\"exp\":" INT64_FORMAT "}", now, now + valid_for);
	return signed_token(claims.data, settings);
}

/*
 * A token on an admin route must be a service credential: signed by a key
 * that verifies, not expired, of this issuer, with the role service_role
 * and neither a user (sub) nor a session: a user's token never passes,
 * even one whose role a custom_access_token hook set to service_role
 * (403 not_admin).  One that does not verify is refused as any token
 * (bad_jwt: GoTrue's requireAdmin answers 403 too).
 */
void
authoob_service_token_check(const char *token, const AuthoobSettings *settings)
{
	char	   *payload;
	int			payload_len;
	const char *failure = signature_failure(token, settings, &payload, &payload_len);
	Jsonb	   *claims;
	JsonbValue *role;
	JsonbValue *iss;
	char	   *expected_iss = issuer(settings);

	if (token == NULL || *token == '\0')
		authoob_token_missing();
	if (failure != NULL)
		authoob_token_refused(failure);
	claims = parsed_claims(payload);
	if (claims == NULL)
		authoob_token_refused("has no valid claims");
	if (numeric_claim(claims, "exp") <= (int64) time(NULL))
		authoob_token_refused("has expired or has no exp");
	iss = authoob_object_value(claims, "iss");
	if (iss == NULL || iss->type != jbvString ||
		iss->val.string.len != (int) strlen(expected_iss) ||
		memcmp(iss->val.string.val, expected_iss, iss->val.string.len) != 0)
		authoob_token_refused("has another issuer");
	role = authoob_object_value(claims, "role");
	if (role == NULL || role->type != jbvString ||
		role->val.string.len != (int) strlen(AUTHOOB_SERVICE_ROLE) ||
		memcmp(role->val.string.val, AUTHOOB_SERVICE_ROLE, role->val.string.len) != 0 ||
		authoob_object_value(claims, "sub") != NULL ||
		authoob_object_value(claims, "session_id") != NULL)
		authoob_not_admin();
}
