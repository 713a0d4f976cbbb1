/*
 * mfa.c
 *		Second factors (docs/security.md, "Multi-factor authentication"):
 *		TOTP factors enrolled, challenged, verified and removed, and
 *		recovery codes, in both dialects.  A verified code raises the
 *		session to aal2 (sessions.c).
 *
 * A code is accepted one time step either side of now, once per factor:
 * the factor keeps the step of the last code it took, and taking a code is
 * one UPDATE that requires a later step, so two requests with the same code
 * take turns on the row and the second finds the step gone.  Wrong codes
 * count against the factor like wrong passwords against an account
 * (throttle.c's scope "mfa"): the fronts verify through authoob_attempt,
 * whose argument is {"token", "factor_id", "body"} made by the route's
 * statement, and which commits the failure this file marks.
 *
 * Each act on a factor leaves a record in authoob.audit_log, named as
 * Supabase Auth names it: an enrolment (factor_in_progress), a challenge
 * (challenge_created), a verification (verification_attempted, a TOTP code
 * or a recovery code, outcome success or failure) and a removal
 * (factor_unenrolled).  A refused code's record is written with its count,
 * after the refusal rolled back.
 */
#include "authoob.h"

#include <time.h>

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/sha2.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(authoob_mfa_enroll);
PG_FUNCTION_INFO_V1(authoob_gotrue_enroll_factor);
PG_FUNCTION_INFO_V1(authoob_gotrue_challenge_factor);
PG_FUNCTION_INFO_V1(authoob_mfa_verify);
PG_FUNCTION_INFO_V1(authoob_mfa_verify_challenge);
PG_FUNCTION_INFO_V1(authoob_mfa_recover);
PG_FUNCTION_INFO_V1(authoob_mfa_unenroll);
PG_FUNCTION_INFO_V1(authoob_mfa_factors);

#define TOTP_PERIOD 30			/* seconds a code lives */
#define SECRET_BYTES 20			/* RFC 4226's recommended key length */
#define MAX_FACTORS 10			/* Supabase Auth's default */
#define RECOVERY_CODES 10
#define RECOVERY_CODE_CHARS 10	/* base32: 50 bits each */
/* what Supabase Auth gives an unverified factor and a challenge, in seconds */
#define FACTOR_EXPIRY 300
#define CHALLENGE_EXPIRY 300

/* A user's factors as Supabase Auth writes them (models.Factor) */
#define FACTOR_JSON \
	"jsonb_build_object('id', f.id, 'friendly_name', f.friendly_name," \
	" 'factor_type', f.factor_type, 'status', f.status," \
	" 'created_at', f.created_at, 'updated_at', f.updated_at)"

static AuthoobQuery user_factors = AUTHOOB_QUERY(
	"SELECT coalesce(jsonb_agg(" FACTOR_JSON " ORDER BY f.created_at, f.id), '[]')"
	" FROM authoob.mfa_factors f WHERE f.user_id = $1",
	1, INT8OID);

/*
 * Before an enrolment: unverified factors past their time go (as Supabase
 * Auth's do), then what the user has: factors, verified ones, one of the
 * name asked for, and the address an authenticator app shows.
 */
static AuthoobQuery forget_stale_factors = AUTHOOB_QUERY(
	"DELETE FROM authoob.mfa_factors WHERE user_id = $1 AND status = 'unverified'"
	" AND created_at < now() - make_interval(secs => $2)",
	2, INT8OID, INT4OID);

static AuthoobQuery enrolment_facts = AUTHOOB_QUERY(
	"SELECT count(f.id)::integer, count(f.id) FILTER (WHERE f.status = 'verified')::integer,"
	" bool_or(f.friendly_name = $2) IS TRUE, u.email"
	" FROM authoob.users u LEFT JOIN authoob.mfa_factors f ON f.user_id = u.id"
	" WHERE u.id = $1 GROUP BY u.id",
	2, INT8OID, TEXTOID);

static AuthoobQuery insert_factor = AUTHOOB_QUERY(
	"INSERT INTO authoob.mfa_factors (user_id, friendly_name, secret) VALUES ($1, $2, $3)"
	" RETURNING id::text",
	3, INT8OID, TEXTOID, BYTEAOID);

static AuthoobQuery forget_recovery_codes = AUTHOOB_QUERY(
	"DELETE FROM authoob.mfa_recovery_codes WHERE user_id = $1",
	1, INT8OID);

static AuthoobQuery insert_recovery_code = AUTHOOB_QUERY(
	"INSERT INTO authoob.mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)",
	2, INT8OID, BYTEAOID);

static AuthoobQuery find_factor = AUTHOOB_QUERY(
	"SELECT f.secret, f.status = 'verified', " FACTOR_JSON " FROM authoob.mfa_factors f"
	" WHERE f.id = $1 AND f.user_id = $2",
	2, UUIDOID, INT8OID);

/* a new challenge of a factor; those of it past their time go */
static AuthoobQuery insert_challenge = AUTHOOB_QUERY(
	"WITH expired AS (DELETE FROM authoob.mfa_challenges WHERE factor_id = $1"
	" AND created_at < now() - make_interval(secs => $3))"
	" INSERT INTO authoob.mfa_challenges (factor_id, ip) VALUES ($1, $2)"
	" RETURNING id::text, floor(extract(epoch FROM created_at))::bigint + $3",
	3, UUIDOID, INETOID, INT8OID);

/*
 * A challenge of the factor: whether it was verified or asked from another
 * address, whether it has expired.  Supabase Auth's checks, in its order.
 */
static AuthoobQuery find_challenge = AUTHOOB_QUERY(
	"SELECT c.verified_at IS NOT NULL OR c.ip IS DISTINCT FROM $3,"
	" c.created_at < now() - make_interval(secs => $4)"
	" FROM authoob.mfa_challenges c WHERE c.id = $1 AND c.factor_id = $2",
	4, UUIDOID, UUIDOID, INETOID, INT4OID);

static AuthoobQuery spend_challenge = AUTHOOB_QUERY(
	"UPDATE authoob.mfa_challenges SET verified_at = now() WHERE id = $1",
	1, UUIDOID);

/*
 * Take the code of step $2: only if no code of that step or a later one
 * was taken.  A concurrent taker holds the row until it commits; this one
 * then sees its step and takes nothing.  The first code verifies the
 * factor, and the user's other unverified factors go, as in Supabase Auth.
 */
static AuthoobQuery take_step = AUTHOOB_QUERY(
	"WITH taken AS (UPDATE authoob.mfa_factors SET last_step = $2, status = 'verified',"
	" updated_at = now() WHERE id = $1 AND (last_step IS NULL OR last_step < $2)"
	" RETURNING user_id),"
	" unverified AS (DELETE FROM authoob.mfa_factors o USING taken"
	" WHERE o.user_id = taken.user_id AND o.id <> $1 AND o.status = 'unverified')"
	" SELECT count(*) = 1 FROM taken",
	2, UUIDOID, INT8OID);

static AuthoobQuery spend_recovery_code = AUTHOOB_QUERY(
	"UPDATE authoob.mfa_recovery_codes r SET used_at = now()"
	" WHERE r.user_id = $1 AND r.code_hash = $2 AND r.used_at IS NULL"
	" AND EXISTS (SELECT 1 FROM authoob.mfa_factors f WHERE f.user_id = $1"
	" AND f.status = 'verified')",
	2, INT8OID, BYTEAOID);

/*
 * Remove a factor; the user's other sessions end, and this one is aal1
 * again when no verified factor is left.
 */
static AuthoobQuery remove_factor = AUTHOOB_QUERY(
	"WITH gone AS (DELETE FROM authoob.mfa_factors WHERE id = $1 AND user_id = $2 RETURNING id),"
	" others AS (DELETE FROM authoob.sessions s WHERE s.user_id = $2 AND s.jti <> $3"
	" AND EXISTS (SELECT 1 FROM gone))"
	" UPDATE authoob.sessions s SET aal = 'aal1', mfa_method = NULL, mfa_at = NULL"
	" WHERE s.jti = $3 AND EXISTS (SELECT 1 FROM gone) AND NOT EXISTS ("
	" SELECT 1 FROM authoob.mfa_factors f WHERE f.user_id = $2 AND f.id <> $1"
	" AND f.status = 'verified')",
	3, UUIDOID, INT8OID, UUIDOID);

/*
 * A user's act on their factors in the audit log: the address is the
 * request's ($3), else that of the session's sign-in ($4).
 */
static AuthoobQuery audit_factor_event = AUTHOOB_QUERY(
	"INSERT INTO authoob.audit_log (actor, action, target, ip_address, outcome, payload)"
	" SELECT u.uuid::text, $2, u.uuid,"
	" coalesce($3::inet, (SELECT s.ip FROM authoob.sessions s WHERE s.jti = $4)), $5, $6::jsonb"
	" FROM authoob.users u WHERE u.id = $1",
	6, INT8OID, TEXTOID, TEXTOID, UUIDOID, TEXTOID, TEXTOID);

/*
 * The code just refused (refuse_code), for authoob_attempt to record once
 * the refusal has rolled back: only the action knows which factor a code
 * was for.  Kept in TopMemoryContext, as the action's memory goes with its
 * subtransaction.
 */
typedef struct RefusedCode
{
	char	   *key;			/* what it counts against: a factor's id, or
								 * "recovery:" and a user's id; NULL: none */
	int64		user_id;
	char	   *ip;				/* the client's address, or NULL */
	char	   *payload;		/* its audit record's payload, JSON */
} RefusedCode;

static RefusedCode refused_code;

/* An audit record of user_id's act (ip, session: NULL for none) */
static void
audit_event(int64 user_id, const char *action, const char *ip, const pg_uuid_t *session,
			bool success, const char *payload)
{
	Datum		values[6] = {Int64GetDatum(user_id), CStringGetTextDatum(action),
		ip ? CStringGetTextDatum(ip) : (Datum) 0, session ? UUIDPGetDatum(session) : (Datum) 0,
	CStringGetTextDatum(success ? "success" : "failure"), CStringGetTextDatum(payload)};
	char		nulls[6] = {' ', ' ', ip ? ' ' : 'n', session ? ' ' : 'n', ' ', ' '};

	authoob_run(&audit_factor_event, values, nulls, false);
}

/* A JSON object of n string members, as text: an audit record's payload */
static char *
payload_of(int n, const char **keys, const char **values)
{
	return JsonbToCString(NULL, &DatumGetJsonbP(authoob_jsonb_from_pairs(n, keys, values))->root, 0);
}

/* The text of an inet, NULL for none */
static char *
address_text(Datum ip, bool isnull)
{
	return isnull ? NULL : DatumGetCString(DirectFunctionCall1(inet_out, ip));
}

/* The schema of 0.2 has no factors: the update brings them */
static void
require_factors(const AuthoobSettings *settings)
{
	if (!settings->mfa)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("second factors need authoob 0.3"),
				 errhint("ALTER EXTENSION authoob UPDATE")));
}

/* A factor id as the path gave it: a uuid, else no such factor */
static Datum
factor_id_arg(const char *text)
{
	Datum		factor;

	if (!authoob_parse_uuid(text, &factor))
		authoob_factor_not_found();
	return factor;
}

/*
 * The verified user of token and their session, any aal: the routes of
 * second factors are how an aal1 session reaches aal2.  Connected to SPI.
 */
static int64
factor_user(const char *token, pg_uuid_t *session, AuthoobSettings **settings)
{
	*settings = authoob_load_settings();
	require_factors(*settings);
	return authoob_verify_token_any_aal(token, session, *settings);
}

/*
 * A factor of user_id: its secret, whether it is verified, and (json not
 * NULL) the factor as the user's factors list it; 404 when the user has no
 * such factor (another user's is none of theirs).
 */
static bytea *
load_factor(Datum factor, int64 user_id, bool *verified, Jsonb **json)
{
	Datum		values[2] = {factor, Int64GetDatum(user_id)};
	bool		isnull;
	bytea	   *secret;

	if (authoob_run(&find_factor, values, NULL, false) != 1)
		authoob_factor_not_found();
	secret = DatumGetByteaPCopy(authoob_result_datum(1, &isnull));
	*verified = DatumGetBool(authoob_result_datum(2, &isnull));
	if (json)
		*json = DatumGetJsonbPCopy(authoob_result_datum(3, &isnull));
	return secret;
}

/* Whom an authenticator app names the account's issuer: the app's host */
static char *
issuer_of(Jsonb *body, const AuthoobSettings *settings)
{
	char	   *issuer = authoob_payload_name(body, "issuer", NULL);
	const char *host;

	if (issuer && *issuer)
		return issuer;
	if (settings->app_url == NULL)
		return "authoob";
	host = strstr(settings->app_url, "://");
	host = host ? host + 3 : settings->app_url;
	return pnstrdup(host, strcspn(host, "/:"));
}

/* The SHA-256 of a recovery code, lower-cased as it is stored */
static Datum
recovery_code_hash(const char *code)
{
	bytea	   *hash = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	char	   *lower = str_tolower(code, strlen(code), DEFAULT_COLLATION_OID);

	SET_VARSIZE(hash, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	authoob_sha256(lower, strlen(lower), (uint8 *) VARDATA(hash));
	return PointerGetDatum(hash);
}

/* Ten new recovery codes of user_id, in place of any before: shown once */
static void
push_recovery_codes(JsonbParseState **state, int64 user_id)
{
	Datum		values[2] = {Int64GetDatum(user_id)};

	authoob_run(&forget_recovery_codes, values, NULL, false);
	authoob_push_key(state, "recovery_codes");
	pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < RECOVERY_CODES; i++)
	{
		uint8		random[RECOVERY_CODE_CHARS * 5 / 8];
		char	   *code;

		if (!pg_strong_random(random, sizeof(random)))
			elog(ERROR, "authoob: could not generate a recovery code");
		code = authoob_base32_encode(random, sizeof(random));
		code = str_tolower(code, strlen(code), DEFAULT_COLLATION_OID);
		/* xxxxx-xxxxx: easier to copy by hand */
		code = psprintf("%.*s-%s", RECOVERY_CODE_CHARS / 2, code, code + RECOVERY_CODE_CHARS / 2);
		values[1] = recovery_code_hash(code);
		authoob_run(&insert_recovery_code, values, NULL, false);
		pushJsonbValue(state, WJB_ELEM, &(JsonbValue) {
			.type = jbvString, .val.string = {.len = strlen(code), .val = code}});
	}
	pushJsonbValue(state, WJB_END_ARRAY, NULL);
}

/*
 * Enrol a TOTP factor for the user of the token (fcinfo's arguments: the
 * token, the body): Supabase Auth's answer {"id", "type", "friendly_name",
 * "totp": {"qr_code", "secret", "uri"}}, and with recovery_codes ten new
 * ones.  A user with a verified factor enrols another only at aal2.
 */
static Datum
enroll(FunctionCallInfo fcinfo, bool recovery_codes)
{
	AuthoobSettings *settings;
	pg_uuid_t	session;
	int64		user_id;
	Jsonb	   *body;
	char	   *type;
	char	   *name;
	Datum		values[3];
	bool		isnull;
	bytea	   *secret = palloc(VARHDRSZ + SECRET_BYTES);
	char	   *id;
	char	   *secret_text;
	char	   *email;
	char	   *uri;
	JsonbParseState *state = NULL;

	authoob_connect_spi();
	user_id = factor_user(authoob_text_arg(fcinfo, 0), &session, &settings);
	body = authoob_payload_arg(fcinfo, 1);
	type = authoob_payload_string(body, "factor_type", !recovery_codes, NULL);
	if (type != NULL && strcmp(type, "totp") != 0)
		authoob_invalid_value("factor_type", "factor_type needs to be totp, phone, or webauthn");
	name = authoob_payload_name(body, "friendly_name", NULL);
	name = name ? name : "";

	values[0] = Int64GetDatum(user_id);
	values[1] = Int32GetDatum(FACTOR_EXPIRY);
	authoob_run(&forget_stale_factors, values, NULL, false);
	values[1] = CStringGetTextDatum(name);
	if (authoob_run(&enrolment_facts, values, NULL, false) != 1)
		authoob_user_not_found();
	if (DatumGetBool(authoob_result_datum(3, &isnull)))
		authoob_mfa_refused("mfa_factor_name_conflict",
							psprintf("A factor with the friendly name \"%s\" for this user already exists",
									 name));
	if (DatumGetInt32(authoob_result_datum(1, &isnull)) >= MAX_FACTORS)
		authoob_mfa_refused("too_many_enrolled_mfa_factors",
							"Maximum number of verified factors reached, unenroll to continue");
	email = authoob_result_text(4);
	/* no address: an anonymous user, who may not enrol (GoTrue's requireNotAnonymous) */
	if (email == NULL)
		authoob_anonymous_refused();
	if (DatumGetInt32(authoob_result_datum(2, &isnull)) > 0)
		authoob_require_aal2(&session, AAL_TO_ENROLL, settings);

	SET_VARSIZE(secret, VARHDRSZ + SECRET_BYTES);
	if (!pg_strong_random(VARDATA(secret), SECRET_BYTES))
		elog(ERROR, "authoob: could not generate a TOTP secret");
	values[2] = PointerGetDatum(secret);
	authoob_run(&insert_factor, values, NULL, false);
	id = authoob_result_text(1);
	audit_event(user_id, "factor_in_progress", NULL, &session, true,
				payload_of(2, (const char *[]) {"factor_id", "factor_type"},
						   (const char *[]) {id, "totp"}));
	secret_text = authoob_base32_encode((uint8 *) VARDATA(secret), SECRET_BYTES);
	uri = authoob_totp_uri(issuer_of(body, settings), email, secret_text);

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	authoob_push_key(&state, "id");
	authoob_push_string(&state, id);
	authoob_push_key(&state, "type");
	authoob_push_string(&state, "totp");
	authoob_push_key(&state, "friendly_name");
	authoob_push_string(&state, name);
	authoob_push_key(&state, "totp");
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	authoob_push_key(&state, "qr_code");
	authoob_push_string(&state, authoob_qr_svg(uri));
	authoob_push_key(&state, "secret");
	authoob_push_string(&state, secret_text);
	authoob_push_key(&state, "uri");
	authoob_push_string(&state, uri);
	pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	if (recovery_codes)
		push_recovery_codes(&state, user_id);
	return authoob_finish_spi(JsonbPGetDatum(JsonbValueToJsonb(
		pushJsonbValue(&state, WJB_END_OBJECT, NULL))), false);
}

/* SQL function: authoob_mfa_enroll(token text, payload text) returns jsonb */
Datum
authoob_mfa_enroll(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(enroll(fcinfo, true));
}

/* SQL function: authoob_gotrue_enroll_factor(token text, payload text) returns jsonb */
Datum
authoob_gotrue_enroll_factor(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(enroll(fcinfo, false));
}

/*
 * SQL function: authoob_gotrue_challenge_factor(token text, factor_id text,
 *												 client_ip inet) returns jsonb
 *
 * POST G/factors/<id>/challenge: a challenge the code is verified against,
 * from this address, within five minutes: {"id", "type", "expires_at"}.
 */
Datum
authoob_gotrue_challenge_factor(PG_FUNCTION_ARGS)
{
	AuthoobSettings *settings;
	int64		user_id;
	Datum		factor;
	bool		verified;
	Datum		values[3];
	char		nulls[3] = {' ', PG_ARGISNULL(2) ? 'n' : ' ', ' '};
	bool		isnull;
	char	   *challenge;
	Datum		expires_at;
	JsonbParseState *state = NULL;

	authoob_connect_spi();
	user_id = factor_user(authoob_text_arg(fcinfo, 0), NULL, &settings);
	factor = factor_id_arg(authoob_text_arg(fcinfo, 1));
	load_factor(factor, user_id, &verified, NULL);
	values[0] = factor;
	values[1] = PG_GETARG_DATUM(2);
	values[2] = Int64GetDatum(CHALLENGE_EXPIRY);
	authoob_run(&insert_challenge, values, nulls, false);
	challenge = authoob_result_text(1);
	expires_at = authoob_result_datum(2, &isnull);
	audit_event(user_id, "challenge_created", address_text(values[1], PG_ARGISNULL(2)), NULL, true,
				payload_of(3, (const char *[]) {"factor_id", "factor_status", "challenge_id"},
						   (const char *[]) {DatumGetCString(DirectFunctionCall1(uuid_out, factor)),
				verified ? "verified" : "unverified", challenge}));
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	authoob_push_key(&state, "id");
	authoob_push_string(&state, challenge);
	authoob_push_key(&state, "type");
	authoob_push_string(&state, "totp");
	authoob_push_key(&state, "expires_at");
	pushJsonbValue(&state, WJB_VALUE, &(JsonbValue) {
		.type = jbvNumeric, .val.numeric = DatumGetNumeric(DirectFunctionCall1(
			int8_numeric, expires_at))});
	PG_RETURN_DATUM(authoob_finish_spi(JsonbPGetDatum(JsonbValueToJsonb(
		pushJsonbValue(&state, WJB_END_OBJECT, NULL))), false));
}

/* A verification's request, as the route's statement made it */
typedef struct FactorRequest
{
	AuthoobSettings *settings;
	int64		user_id;
	pg_uuid_t	session;
	char	   *factor_id;		/* as given: the throttle's key */
	Jsonb	   *body;
	char	   *code;
	Datum		client_ip;
	bool		ip_isnull;
	Jsonb	   *factor;			/* for the hooks */
	char	   *challenge_id;	/* Supabase Auth's verification: for the
								 * audit log */
} FactorRequest;

/*
 * Read {"token", "factor_id", "body"} (argument 0): the user and session
 * of the token, the body, its code (400 when empty).
 */
static void
read_factor_request(FunctionCallInfo fcinfo, FactorRequest *request)
{
	Jsonb	   *outer = authoob_payload_arg(fcinfo, 0);

	request->user_id = factor_user(authoob_jsonb_get_string(outer, "token"),
								   &request->session, &request->settings);
	request->factor_id = authoob_jsonb_get_string(outer, "factor_id");
	request->body = authoob_payload_text(authoob_jsonb_get_string(outer, "body"));
	request->code = authoob_payload_string(request->body, "code", false, NULL);
	if (request->code == NULL || *request->code == '\0')
		authoob_invalid_value("code", "Code needs to be non-empty");
	request->client_ip = PG_GETARG_DATUM(1);
	request->ip_isnull = PG_ARGISNULL(1);
	request->challenge_id = NULL;
}

/*
 * The audit record's payload of a verification: the factor, or the
 * recovery codes (method "recovery_code"), and Supabase Auth's challenge
 */
static char *
verification_payload(const FactorRequest *request, const char *method)
{
	const char *keys[3] = {"factor_type"};
	const char *values[3] = {method};
	int			n = 1;

	if (strcmp(method, "totp") == 0)
	{
		keys[n] = "factor_id";
		values[n++] = request->factor_id;
	}
	if (request->challenge_id)
	{
		keys[n] = "challenge_id";
		values[n++] = request->challenge_id;
	}
	return payload_of(n, keys, values);
}

/*
 * A refused code (method's): counted against key, and audited, once the
 * refusal rolled back (authoob_record_mfa_failure)
 */
static void
refuse_code(const FactorRequest *request, const char *method, const char *key,
			const char *message)
{
	authoob_record_mfa_failure(false, NULL);
	refused_code.key = MemoryContextStrdup(TopMemoryContext, key);
	refused_code.user_id = request->user_id;
	if (!request->ip_isnull)
		refused_code.ip = MemoryContextStrdup(TopMemoryContext,
											  address_text(request->client_ip, false));
	refused_code.payload = MemoryContextStrdup(TopMemoryContext,
											   verification_payload(request, method));
	authoob_mfa_refused("mfa_verification_failed", message);
}

/*
 * Count and audit the code refused since the last call, if any, and forget
 * it; authoob_attempt calls it, after the action's error rolled back
 * (record: true) and before it runs one (false).  Connected to SPI, as the
 * owner.
 */
void
authoob_record_mfa_failure(bool record, const AuthoobSettings *settings)
{
	if (record && refused_code.key)
	{
		authoob_record_throttle("mfa", refused_code.key, settings);
		audit_event(refused_code.user_id, "verification_attempted", refused_code.ip, NULL,
					false, refused_code.payload);
	}
	if (refused_code.key)
		pfree(refused_code.key);
	if (refused_code.ip)
		pfree(refused_code.ip);
	if (refused_code.payload)
		pfree(refused_code.payload);
	refused_code = (RefusedCode) {0};
}

/* pre_mfa_verify, before a code is looked at: it may refuse by raising */
static void
before_verification(const FactorRequest *request)
{
	authoob_fire_hook(HOOK_PRE_MFA_VERIFY, &(AuthoobHookArgs) {
		.user_id = request->user_id, .factor = request->factor});
}

/*
 * The request's factor, the user's own (else 404, whether or not it is
 * blocked: another user learns nothing of it), and its secret; 429 while
 * guesses at it, or from this client, are blocked.  Its id is written
 * as PostgreSQL writes a uuid from then on: the throttle's key is the
 * factor, however the path spelt it (upper case letters would make keys
 * of their own).
 */
static bytea *
request_factor(FactorRequest *request, Datum *factor)
{
	bool		verified;
	bytea	   *secret;

	*factor = factor_id_arg(request->factor_id);
	request->factor_id = DatumGetCString(DirectFunctionCall1(uuid_out, *factor));
	secret = load_factor(*factor, request->user_id, &verified, &request->factor);
	authoob_check_mfa_throttle(request->factor_id, request->client_ip, request->ip_isnull,
							   request->settings);
	before_verification(request);
	return secret;
}

/*
 * What a code (a TOTP code, or a recovery code: method) came to: valid, the
 * session raised to aal2 and its new token as the answer; not, refused and
 * counted against key, with message.  post_mfa_verify is told either way,
 * and may refuse a valid code by raising an error.
 */
static Datum
verification_outcome(const FactorRequest *request, bool valid, const char *method,
					 const char *key, const char *message)
{
	Jsonb	   *answer = authoob_fire_hook(HOOK_POST_MFA_VERIFY, &(AuthoobHookArgs) {
		.user_id = request->user_id, .factor = request->factor, .valid = valid});

	if (!valid)
		refuse_code(request, method, key, message);
	audit_event(request->user_id, "verification_attempted",
				address_text(request->client_ip, request->ip_isnull), &request->session, true,
				verification_payload(request, method));
	return authoob_hook_response(answer, authoob_raise_session(request->user_id, &request->session,
																method, request->settings));
}

/*
 * Verify a TOTP code of the request's factor, and take it: the time step
 * it is the code of, one either side of now, if no code of that step or a
 * later one was taken.  Whether it was.
 */
static bool
take_totp_code(const FactorRequest *request, Datum factor, const bytea *secret)
{
	int64		now = (int64) time(NULL) / TOTP_PERIOD;
	int64		matched = -1;
	Datum		values[2];
	bool		isnull;

	if (strlen(request->code) == 6 && strspn(request->code, "0123456789") == 6)
		for (int64 step = now - 1; step <= now + 1; step++)
		{
			char		expected[7];

			snprintf(expected, sizeof(expected), "%06d",
					 authoob_totp_code((uint8 *) VARDATA_ANY(secret),
									   VARSIZE_ANY_EXHDR(secret), step));
			/* every step compared, found or not: the time tells nothing */
			if (authoob_equal_constant_time(expected, request->code, 6))
				matched = step;
		}
	values[0] = factor;
	values[1] = Int64GetDatum(matched);
	return matched >= 0 && authoob_run(&take_step, values, NULL, false) == 1 &&
		DatumGetBool(authoob_result_datum(1, &isnull));
}

/*
 * SQL function: authoob_mfa_verify(request text, client_ip inet) returns jsonb
 *
 * POST P/mfa/factors/<id>/verify, through authoob_attempt: request is
 * {"token", "factor_id", "body": {"code"}}.  A code of the factor (the
 * first one verifies it) raises the session to aal2: the answer is a new
 * access token (sessions.c).
 */
Datum
authoob_mfa_verify(PG_FUNCTION_ARGS)
{
	FactorRequest request;
	Datum		factor;
	bytea	   *secret;

	authoob_connect_spi();
	read_factor_request(fcinfo, &request);
	secret = request_factor(&request, &factor);
	PG_RETURN_DATUM(authoob_finish_spi(verification_outcome(&request,
															take_totp_code(&request, factor, secret),
															"totp", request.factor_id,
															"Invalid TOTP code entered"), false));
}

/*
 * SQL function: authoob_mfa_verify_challenge(request text, client_ip inet)
 *											  returns jsonb
 *
 * POST G/factors/<id>/verify's work (authoob_gotrue_verify_factor gives
 * its answer Supabase Auth's user): as P/mfa's, against a challenge of the
 * factor (the body's challenge_id) asked from the same address within its
 * time, and spent with the code; the answer is the token endpoint's.
 */
Datum
authoob_mfa_verify_challenge(PG_FUNCTION_ARGS)
{
	FactorRequest request;
	Datum		factor;
	bytea	   *secret;
	Datum		challenge;
	Datum		values[4];
	char		nulls[4] = {' ', ' ', PG_ARGISNULL(1) ? 'n' : ' ', ' '};
	bool		isnull;
	bool		valid;

	authoob_connect_spi();
	read_factor_request(fcinfo, &request);
	secret = request_factor(&request, &factor);
	if (!authoob_parse_uuid(authoob_jsonb_get_string(request.body, "challenge_id"), &challenge))
		authoob_mfa_refused("mfa_factor_not_found",
							"MFA factor with the provided challenge ID not found");
	values[0] = challenge;
	values[1] = factor;
	values[2] = PG_GETARG_DATUM(1);
	values[3] = Int32GetDatum(CHALLENGE_EXPIRY);
	if (authoob_run(&find_challenge, values, nulls, false) != 1)
		authoob_mfa_refused("mfa_factor_not_found",
							"MFA factor with the provided challenge ID not found");
	if (DatumGetBool(authoob_result_datum(1, &isnull)))
		authoob_mfa_refused("mfa_ip_address_mismatch",
							"Challenge and verify IP addresses mismatch.");
	if (DatumGetBool(authoob_result_datum(2, &isnull)))
		authoob_mfa_refused("mfa_challenge_expired",
							psprintf("MFA challenge %s has expired, verify against another challenge or create a new challenge.",
									 authoob_jsonb_get_string(request.body, "challenge_id")));
	request.challenge_id = authoob_jsonb_get_string(request.body, "challenge_id");
	valid = take_totp_code(&request, factor, secret);
	if (valid)
		authoob_run(&spend_challenge, &challenge, NULL, false);
	PG_RETURN_DATUM(authoob_finish_spi(verification_outcome(&request, valid, "totp",
															request.factor_id,
															"Invalid TOTP code entered"), false));
}

/*
 * SQL function: authoob_mfa_recover(request text, client_ip inet) returns jsonb
 *
 * POST P/mfa/recover, through authoob_attempt: request is {"token",
 * "body": {"code"}}.  One of the user's unspent recovery codes, while
 * they have a verified factor, raises the session to aal2 as a TOTP code
 * does, and is spent.  Wrong codes count against the user's recovery
 * codes.
 */
Datum
authoob_mfa_recover(PG_FUNCTION_ARGS)
{
	FactorRequest request;
	char	   *key;
	Datum		values[2];

	authoob_connect_spi();
	read_factor_request(fcinfo, &request);
	key = psprintf("recovery:" INT64_FORMAT, request.user_id);
	authoob_check_mfa_throttle(key, request.client_ip, request.ip_isnull, request.settings);
	/* the hooks' factor: the user's recovery codes */
	request.factor = DatumGetJsonbP(authoob_jsonb_from_pairs(1, (const char *[]) {"factor_type"},
															 (const char *[]) {"recovery_code"}));
	before_verification(&request);
	values[0] = Int64GetDatum(request.user_id);
	values[1] = recovery_code_hash(request.code);
	PG_RETURN_DATUM(authoob_finish_spi(verification_outcome(&request,
															authoob_run(&spend_recovery_code, values, NULL, false) == 1,
															"recovery_code", key,
															"Invalid recovery code entered"), false));
}

/*
 * SQL function: authoob_mfa_unenroll(token text, factor_id text) returns jsonb
 *
 * DELETE G/factors/<id> (and P/mfa/factors/<id>): {"id"}.  A verified
 * factor goes only from an aal2 session; the user's other sessions end.
 */
Datum
authoob_mfa_unenroll(PG_FUNCTION_ARGS)
{
	AuthoobSettings *settings;
	pg_uuid_t	session;
	int64		user_id;
	Datum		factor;
	bool		verified;
	Datum		values[3];

	authoob_connect_spi();
	user_id = factor_user(authoob_text_arg(fcinfo, 0), &session, &settings);
	factor = factor_id_arg(authoob_text_arg(fcinfo, 1));
	load_factor(factor, user_id, &verified, NULL);
	if (verified)
		authoob_require_aal2(&session, AAL_TO_UNENROLL, settings);
	audit_event(user_id, "factor_unenrolled", NULL, &session, true,
				payload_of(3, (const char *[]) {"factor_id", "factor_status", "session_id"},
						   (const char *[]) {DatumGetCString(DirectFunctionCall1(uuid_out, factor)),
				verified ? "verified" : "unverified",
				DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&session)))}));
	values[0] = factor;
	values[1] = Int64GetDatum(user_id);
	values[2] = UUIDPGetDatum(&session);
	authoob_run(&remove_factor, values, NULL, false);
	PG_RETURN_DATUM(authoob_finish_spi(authoob_jsonb_from_pairs(1, (const char *[]) {"id"},
																(const char *[]) {authoob_text_arg(fcinfo, 1)}),
									   false));
}

/*
 * The factors of user_id as Supabase Auth writes them in its user object,
 * a JSON array (empty: none, or a schema without factors).  Connected to
 * SPI.
 */
char *
authoob_factors_json(int64 user_id, const AuthoobSettings *settings)
{
	Datum		value = Int64GetDatum(user_id);

	/* the statement only for a user who has some: GET G/user asks every time */
	if (!settings->mfa || !authoob_rows_exist(AUTHOOB_TABLE_MFA_FACTORS, value))
		return "[]";
	authoob_run(&user_factors, &value, NULL, true);
	return authoob_result_text(1);
}

/* SQL function: authoob_mfa_factors(token text) returns jsonb */
Datum
authoob_mfa_factors(PG_FUNCTION_ARGS)
{
	AuthoobSettings *settings;
	int64		user_id;

	authoob_connect_spi();
	user_id = factor_user(authoob_text_arg(fcinfo, 0), NULL, &settings);
	PG_RETURN_DATUM(authoob_finish_spi(DirectFunctionCall1(jsonb_in, CStringGetDatum(
		authoob_factors_json(user_id, settings))), false));
}
