/*
 * sessions.c
 *		Sessions: a session is a sign-in, a row of authoob.sessions whose jti
 *		is its id.  Its access tokens name it (session_id, or for 0.1's
 *		tokens their jti), so logout ends it and a password change ends every
 *		one of the user's, exactly, whatever the clocks say.
 *
 * A session opened by login ends with its last access token, as in 0.1;
 * one opened by the token endpoint has refresh tokens and lives until
 * session_ttl, inactivity_timeout or logout.  Refresh tokens are stored
 * only as their SHA-256 and are single use: a refresh returns the
 * successor, HMAC-SHA256(the session's refresh_secret, the parent), so
 * that the parent presented again within refresh_reuse_interval (two tabs
 * refreshing at once) gives the same successor without storing it, and
 * later ends the session (a stolen token replayed).  In a sharded
 * deployment a refresh token must route to its partition: the first is
 * drawn until it does, a successor is the first of HMAC(secret, parent),
 * HMAC(secret, parent ".1"), HMAC(secret, parent ".2")... that does (the
 * first one, as ever, when unsharded).
 */
#include "authoob.h"

#include <time.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/sha2.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

/* the length of a refresh token: 32 bytes in base64url */
#define REFRESH_TOKEN_LENGTH 43

/* "now() + n seconds", or NULL for n = 0 (no limit), which least() skips */
#define LIMIT(n) "now() + make_interval(secs => nullif(" n ", 0))"

/* the longest user agent a session keeps */
#define MAX_USER_AGENT 255

/*
 * a session opened by login: it ends with its token (whose address the
 * caller knows: the sign-in read the user, or it is read by key)
 */
static AuthoobQuery insert_session = AUTHOOB_QUERY(
	"INSERT INTO authoob.sessions (jti, user_id, expires_at, ip, user_agent)"
	" VALUES ($1, $2, least(to_timestamp($3), " LIMIT("$5") ", " LIMIT("$6") "), $4, $7)",
	7, UUIDOID, INT8OID, FLOAT8OID, INETOID, INT4OID, INT4OID, TEXTOID);

/* the same, on 0.1's schema (no user agent), until ALTER EXTENSION authoob UPDATE */
static AuthoobQuery insert_session_0_1 = AUTHOOB_QUERY(
	"INSERT INTO authoob.sessions (jti, user_id, expires_at, ip)"
	" VALUES ($1, $2, least(to_timestamp($3), " LIMIT("$5") ", " LIMIT("$6") "), $4)",
	6, UUIDOID, INT8OID, FLOAT8OID, INETOID, INT4OID, INT4OID);

/* a session opened by the token endpoint: refreshable until its limits */
static AuthoobQuery insert_refreshable_session = AUTHOOB_QUERY(
	"INSERT INTO authoob.sessions (jti, user_id, expires_at, ip, refreshed_at, refresh_secret,"
	" user_agent)"
	" VALUES ($1, $2, coalesce(least(" LIMIT("$4") ", " LIMIT("$5") "), 'infinity'), $3, now(), $6,"
	" $7)"
	" RETURNING (SELECT u.email FROM authoob.users u WHERE u.id = $2)",
	7, UUIDOID, INT8OID, INETOID, INT4OID, INT4OID, BYTEAOID, TEXTOID);

/*
 * A new access token in a session ($1): one opened by login now ends with
 * it, within its limits; a refreshable one is not changed.
 */
static AuthoobQuery extend_session = AUTHOOB_QUERY(
	"UPDATE authoob.sessions s SET expires_at = CASE WHEN s.refreshed_at IS NOT NULL"
	" THEN s.expires_at ELSE least(greatest(s.expires_at, to_timestamp($2)),"
	" s.created_at + make_interval(secs => nullif($3, 0)), " LIMIT("$4") ") END"
	" FROM authoob.users u WHERE s.jti = $1 AND u.id = s.user_id"
	" RETURNING u.email, floor(extract(epoch FROM s.created_at))::bigint, s.aal",
	4, UUIDOID, FLOAT8OID, INT4OID, INT4OID);

/* the same, on 0.1's schema, until ALTER EXTENSION authoob UPDATE */
static AuthoobQuery extend_session_0_1 = AUTHOOB_QUERY(
	"UPDATE authoob.sessions s SET expires_at = greatest(s.expires_at, to_timestamp($2))"
	" FROM authoob.users u WHERE s.jti = $1 AND u.id = s.user_id"
	" RETURNING u.email, floor(extract(epoch FROM s.created_at))::bigint, 'aal1'",
	4, UUIDOID, FLOAT8OID, INT4OID, INT4OID);

static AuthoobQuery insert_refresh_token = AUTHOOB_QUERY(
	"INSERT INTO authoob.refresh_tokens (token_hash, session_id) VALUES ($1, $2)"
	" ON CONFLICT (token_hash) DO NOTHING",
	2, BYTEAOID, UUIDOID);

/*
 * A refresh token and its session, locked: two refreshes of one token
 * take turns, and the second sees what the first did.  Its rotation is
 * compared with the clock, not with the start of the transaction, which
 * may have waited for the first.
 */
static AuthoobQuery find_refresh_token = AUTHOOB_QUERY(
	"SELECT r.session_id, s.user_id, s.refresh_secret, r.rotated_at IS NOT NULL,"
	" r.rotated_at > clock_timestamp() - make_interval(secs => $2),"
	" s.expires_at > now() AND u.active, u.confirmed_at IS NOT NULL"
	" FROM authoob.refresh_tokens r JOIN authoob.sessions s ON s.jti = r.session_id"
	" JOIN authoob.users u ON u.id = s.user_id"
	" WHERE r.token_hash = $1 FOR UPDATE OF r, s",
	2, BYTEAOID, INT4OID);

/* ... and what the successor's access token says of its session */
static AuthoobQuery rotate_refresh_token = AUTHOOB_QUERY(
	"WITH rotated AS (UPDATE authoob.refresh_tokens SET rotated_at = now() WHERE token_hash = $1)"
	" UPDATE authoob.sessions s SET refreshed_at = now(),"
	" expires_at = coalesce(least(s.created_at + make_interval(secs => nullif($3, 0)), "
	LIMIT("$4") "), 'infinity')"
	" FROM authoob.users u WHERE s.jti = $2 AND u.id = s.user_id"
	" RETURNING u.email, floor(extract(epoch FROM s.created_at))::bigint, s.aal",
	4, BYTEAOID, UUIDOID, INT4OID, INT4OID);

/*
 * how a session was opened and how it reached aal2, for its tokens' amr
 * (0.3's columns)
 */
static AuthoobQuery session_methods = AUTHOOB_QUERY(
	"SELECT mfa_method, floor(extract(epoch FROM mfa_at))::bigint,"
	" coalesce(sign_in_method, 'password'), sign_in_provider FROM authoob.sessions WHERE jti = $1",
	1, UUIDOID);

/* a session opened otherwise than by a password, and the provider's name (0.3) */
static AuthoobQuery set_sign_in_method = AUTHOOB_QUERY(
	"UPDATE authoob.sessions SET sign_in_method = $2, sign_in_provider = $3 WHERE jti = $1",
	3, UUIDOID, TEXTOID, TEXTOID);

/*
 * A second factor verified in a session: it is aal2 from now on.  The
 * user's other sessions still at aal1 end, as Supabase Auth ends them:
 * whoever opened them with the password alone must pass the factor again.
 */
static AuthoobQuery raise_session = AUTHOOB_QUERY(
	"WITH others AS (DELETE FROM authoob.sessions o WHERE o.user_id = $2 AND o.jti <> $1"
	" AND o.aal = 'aal1')"
	" UPDATE authoob.sessions SET aal = 'aal2', mfa_method = $3, mfa_at = now()"
	" WHERE jti = $1 AND user_id = $2 RETURNING refresh_secret IS NOT NULL",
	3, UUIDOID, INT8OID, TEXTOID);

/* a session at aal1 whose user has a verified factor: what it may not do */
static AuthoobQuery session_below_factor = AUTHOOB_QUERY(
	"SELECT 1 FROM authoob.sessions s WHERE s.jti = $1 AND s.aal = 'aal1'"
	" AND EXISTS (SELECT 1 FROM authoob.mfa_factors f WHERE f.user_id = s.user_id"
	" AND f.status = 'verified')",
	1, UUIDOID);

static AuthoobQuery session_aal = AUTHOOB_QUERY(
	"SELECT aal FROM authoob.sessions WHERE jti = $1",
	1, UUIDOID);

static AuthoobQuery end_session = AUTHOOB_QUERY(
	"DELETE FROM authoob.sessions WHERE jti = $1",
	1, UUIDOID);


/* The session a refresh token was replayed in, for authoob_end_reused_session */
static bool reused_session_pending = false;
static pg_uuid_t reused_session;

static char *
uuid_text(const pg_uuid_t *uuid)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(uuid)));
}

/*
 * An access token of user_id in session, signed in at auth_time by method
 * ("password", "otp", "magiclink", "oauth" at the identity provider
 * provider; NULL: as the session says)
 */
static char *
sign_token(int64 user_id, const pg_uuid_t *session, const char *email,
		   const char *aal, int64 auth_time, int64 iat, const char *method,
		   const char *provider, const AuthoobSettings *settings)
{
	AuthoobClaims claims = {
		.user_id = user_id,
		.sub = authoob_user_sub(user_id, settings),
		.email = email,
		.session_id = uuid_text(session),
		.aal = aal,
		.auth_time = auth_time,
		.iat = iat,
		.exp = iat + settings->token_ttl,
		.method = method ? method : "password",
		.provider = provider,
	};

	/* 0.2's sessions were all opened by a password, and had no second factor */
	if (settings->mfa && (method == NULL || strcmp(aal, "aal2") == 0))
	{
		Datum		value = UUIDPGetDatum(session);
		bool		isnull;

		if (authoob_run(&session_methods, &value, NULL, false) == 1)
		{
			claims.mfa_method = authoob_result_text(1);
			if (claims.mfa_method && strcmp(aal, "aal2") == 0)
				claims.mfa_time = DatumGetInt64(authoob_result_datum(2, &isnull));
			else
				claims.mfa_method = NULL;
			claims.method = authoob_result_text(3);
			claims.provider = authoob_result_text(4);
		}
	}
	return authoob_jwt_sign(&claims, settings);
}

/*
 * The user agent a session keeps, from what a client sent: printable ASCII
 * (anything else becomes '?'), at most MAX_USER_AGENT characters; NULL
 * for none or an empty one.
 */
static char *
kept_user_agent(const char *user_agent)
{
	char	   *kept;
	int			len;

	if (user_agent == NULL || *user_agent == '\0')
		return NULL;
	len = strnlen(user_agent, MAX_USER_AGENT);
	kept = pnstrdup(user_agent, len);
	for (int i = 0; i < len; i++)
		if ((unsigned char) kept[i] < 0x20 || (unsigned char) kept[i] > 0x7e)
			kept[i] = '?';
	return kept;
}

/*
 * The address of user_id as it is now, NULL for none (an anonymous user).
 * The row is read on a fresh snapshot, after the command counter's
 * increment, as a statement would: the user may have been inserted (a
 * registration) or changed (a before_login hook) by this very call, which
 * the snapshot of the statement that called it does not see.  Connected
 * to SPI.
 */
static char *
user_email(int64 user_id)
{
	AuthoobRow	row;
	bool		isnull;
	Datum		email;
	char	   *address = NULL;

	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (authoob_row_open(&row, AUTHOOB_TABLE_USERS, Int64GetDatum(user_id)))
	{
		email = slot_getattr(row.slot, authoob_row_column(AUTHOOB_TABLE_USERS, "email"),
							 &isnull);
		if (!isnull)
			address = TextDatumGetCString(email);
		authoob_row_close(&row);
	}
	PopActiveSnapshot();
	return address;
}

/*
 * Open a session for user_id (login, register) and make its first access
 * token; the session ends with its last token.  email is the user's
 * address as stored, when the caller has just read it (NULL: read here).
 * user_agent (NULL: none) is what the client said it is.  Connected to
 * SPI.
 */
char *
authoob_open_session(int64 user_id, const char *email, Datum client_ip, bool ip_isnull,
					 const char *user_agent, const AuthoobSettings *settings)
{
	Datum		session = DirectFunctionCall1(gen_random_uuid, (Datum) 0);
	int64		iat = (int64) time(NULL);
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ip_isnull ? 'n' : ' ', ' ', ' ', ' '};

	user_agent = kept_user_agent(user_agent);
	values[0] = session;
	values[1] = Int64GetDatum(user_id);
	values[2] = Float8GetDatum((double) (iat + settings->token_ttl));
	values[3] = client_ip;
	values[4] = Int32GetDatum(settings->session_ttl);
	values[5] = Int32GetDatum(settings->inactivity_timeout);
	values[6] = user_agent ? CStringGetTextDatum(user_agent) : (Datum) 0;
	nulls[6] = user_agent ? ' ' : 'n';
	authoob_run(settings->refresh_tokens ? &insert_session : &insert_session_0_1,
				values, nulls, false);
	if (email == NULL)
		email = user_email(user_id);
	return sign_token(user_id, DatumGetUUIDP(session), email, "aal1",
					  iat, iat, "password", NULL, settings);
}

/*
 * A fresh access token in a live session of user_id (GET P/token): the
 * same session, no new row.  Connected to SPI.
 */
char *
authoob_session_token(int64 user_id, const pg_uuid_t *session,
					  const AuthoobSettings *settings)
{
	int64		iat = (int64) time(NULL);
	Datum		values[4];
	bool		isnull;

	values[0] = UUIDPGetDatum(session);
	values[1] = Float8GetDatum((double) (iat + settings->token_ttl));
	values[2] = Int32GetDatum(settings->session_ttl);
	values[3] = Int32GetDatum(settings->inactivity_timeout);
	if (authoob_run(settings->refresh_tokens ? &extend_session : &extend_session_0_1,
					values, NULL, false) != 1)
		authoob_session_ended();
	return sign_token(user_id, session, authoob_result_text(1), authoob_result_text(3),
					  DatumGetInt64(authoob_result_datum(2, &isnull)), iat, NULL, NULL,
					  settings);
}

/* The SHA-256 of a refresh token, as stored */
static Datum
refresh_token_hash(const char *token)
{
	bytea	   *hash = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	SET_VARSIZE(hash, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	authoob_sha256(token, strlen(token), (uint8 *) VARDATA(hash));
	return PointerGetDatum(hash);
}

static void
push_number(JsonbParseState **state, const char *key, int64 value)
{
	JsonbValue	v;

	authoob_push_key(state, key);
	v.type = jbvNumeric;
	v.val.numeric = DatumGetNumeric(DirectFunctionCall1(int8_numeric, Int64GetDatum(value)));
	pushJsonbValue(state, WJB_VALUE, &v);
}

/*
 * The token endpoint's answer {"access_token", "token_type", "expires_in",
 * "expires_at", "refresh_token", "user"}, with refresh_token stored as its
 * hash.  user_changed: the user was written in this statement (a sign-in
 * counts itself), and is read again by statement.
 */
static Datum
grant_response(int64 user_id, const pg_uuid_t *session, const char *access_token,
			   const char *refresh_token, bool user_changed,
			   const AuthoobSettings *settings)
{
	Datum		values[2];
	JsonbParseState *state = NULL;

	values[0] = refresh_token_hash(refresh_token);
	values[1] = UUIDPGetDatum(session);
	authoob_run(&insert_refresh_token, values, NULL, false);

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	authoob_push_key(&state, "access_token");
	authoob_push_string(&state, access_token);
	authoob_push_key(&state, "token_type");
	authoob_push_string(&state, "bearer");
	push_number(&state, "expires_in", settings->token_ttl);
	push_number(&state, "expires_at", (int64) time(NULL) + settings->token_ttl);
	authoob_push_key(&state, "refresh_token");
	authoob_push_string(&state, refresh_token);
	authoob_push_key(&state, "user");
	authoob_push_jsonb(&state, DatumGetJsonbP(user_changed ? authoob_private_user_json(user_id) :
											   authoob_private_user_json_read(user_id)));
	return JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL)));
}

/*
 * The successor of a refresh token, the same each time: the first of
 * HMAC(secret, parent), HMAC(secret, parent ".1")... that routes to this
 * partition.
 */
static char *
next_refresh_token(const bytea *secret, const char *parent, int partition, int partitions)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *successor;

	authoob_hmac_sha256(secret, parent, REFRESH_TOKEN_LENGTH, digest);
	successor = authoob_base64url_encode(digest, sizeof(digest));
	for (int i = 1; !authoob_token_in_partition(successor, partition, partitions); i++)
	{
		char	   *data = psprintf("%s.%d", parent, i);

		authoob_hmac_sha256(secret, data, strlen(data), digest);
		successor = authoob_base64url_encode(digest, sizeof(digest));
	}
	return successor;
}

/* The schema of 0.1 has no refresh tokens: the update brings them */
static void
require_refresh_tokens(const AuthoobSettings *settings)
{
	if (!settings->refresh_tokens)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("refresh tokens need authoob 0.2"),
				 errhint("ALTER EXTENSION authoob UPDATE")));
}

/*
 * Open a refreshable session for user_id, signed in by the token endpoint
 * from user_agent (NULL: none), by method (NULL: a password; "otp",
 * "magiclink": a mailed code or link; "oauth": the identity provider
 * named provider); the endpoint's answer.  Connected to SPI.
 */
Datum
authoob_grant_session(int64 user_id, Datum client_ip, bool ip_isnull,
					  const char *user_agent, const char *method,
					  const char *provider, const AuthoobSettings *settings)
{
	Datum		session = DirectFunctionCall1(gen_random_uuid, (Datum) 0);
	int64		iat = (int64) time(NULL);
	bytea	   *secret = palloc(VARHDRSZ + 32);
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ip_isnull ? 'n' : ' ', ' ', ' ', ' ', ' '};
	char	   *access_token;
	char	   *refresh_token;
	int			partition;
	int			partitions;

	require_refresh_tokens(settings);
	authoob_partition(&partition, &partitions);
	refresh_token = authoob_random_token_in(32, partition, partitions);
	user_agent = kept_user_agent(user_agent);
	values[6] = user_agent ? CStringGetTextDatum(user_agent) : (Datum) 0;
	nulls[6] = user_agent ? ' ' : 'n';
	SET_VARSIZE(secret, VARHDRSZ + 32);
	if (!pg_strong_random(VARDATA(secret), 32))
		elog(ERROR, "authoob: could not generate a session secret");
	values[0] = session;
	values[1] = Int64GetDatum(user_id);
	values[2] = client_ip;
	values[3] = Int32GetDatum(settings->session_ttl);
	values[4] = Int32GetDatum(settings->inactivity_timeout);
	values[5] = PointerGetDatum(secret);
	authoob_run(&insert_refreshable_session, values, nulls, false);
	access_token = sign_token(user_id, DatumGetUUIDP(session), authoob_result_text(1),
							  "aal1", iat, iat, method ? method : "password", provider, settings);
	if (method)
	{
		values[1] = CStringGetTextDatum(method);
		values[2] = provider ? CStringGetTextDatum(provider) : (Datum) 0;
		authoob_run(&set_sign_in_method, values, (char[]) {' ', ' ', provider ? ' ' : 'n'}, false);
	}
	return grant_response(user_id, DatumGetUUIDP(session), access_token,
						  refresh_token, true, settings);
}

/*
 * Exchange a refresh token for a new access token and the next refresh
 * token; the endpoint's answer, or 401.  A token already exchanged gives
 * the same successor within refresh_reuse_interval of its exchange; later,
 * it is a replay: the session is marked to end (authoob_end_reused_session,
 * which authoob_attempt runs once this error has rolled back) and the
 * answer is 401.  Connected to SPI.
 */
Datum
authoob_refresh_session(const char *refresh_token, const AuthoobSettings *settings)
{
	Datum		values[4];
	bool		isnull;
	pg_uuid_t	session;
	int64		user_id;
	bytea	   *secret;
	bool		rotated;
	char	   *successor;
	char	   *access_token;
	int			partition;
	int			partitions;

	require_refresh_tokens(settings);
	authoob_partition(&partition, &partitions);
	if (strlen(refresh_token) != REFRESH_TOKEN_LENGTH ||
		strspn(refresh_token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			   "0123456789-_") != REFRESH_TOKEN_LENGTH)
		authoob_refresh_token_refused(false);
	values[0] = refresh_token_hash(refresh_token);
	values[1] = Int32GetDatum(settings->refresh_reuse_interval);
	if (authoob_run(&find_refresh_token, values, NULL, false) != 1)
		authoob_refresh_token_refused(false);
	memcpy(&session, DatumGetUUIDP(authoob_result_datum(1, &isnull)), sizeof(session));
	user_id = DatumGetInt64(authoob_result_datum(2, &isnull));
	secret = DatumGetByteaPP(authoob_result_datum(3, &isnull));
	rotated = DatumGetBool(authoob_result_datum(4, &isnull));
	if (rotated && !DatumGetBool(authoob_result_datum(5, &isnull)))
	{
		memcpy(&reused_session, &session, sizeof(session));
		reused_session_pending = true;
		authoob_refresh_token_refused(true);
	}
	if (!DatumGetBool(authoob_result_datum(6, &isnull)))
		authoob_refresh_token_refused(false);
	if (settings->require_activation && !DatumGetBool(authoob_result_datum(7, &isnull)))
		authoob_not_activated();
	if (authoob_user_banned(user_id))
		authoob_user_banned_error("Invalid Refresh Token: User Banned");

	successor = next_refresh_token(secret, refresh_token, partition, partitions);
	if (!rotated)
	{
		int64		iat = (int64) time(NULL);

		values[1] = UUIDPGetDatum(&session);
		values[2] = Int32GetDatum(settings->session_ttl);
		values[3] = Int32GetDatum(settings->inactivity_timeout);
		if (authoob_run(&rotate_refresh_token, values, NULL, false) != 1)
			authoob_authentication_failed();
		access_token = sign_token(user_id, &session, authoob_result_text(1),
								  authoob_result_text(3),
								  DatumGetInt64(authoob_result_datum(2, &isnull)), iat, NULL,
								  NULL, settings);
	}
	else
		access_token = authoob_session_token(user_id, &session, settings);
	return grant_response(user_id, &session, access_token,
						  successor, false, settings);
}

/*
 * A second factor (method: "totp", "recovery_code") verified in session
 * of user_id: the session is aal2, the user's other aal1 sessions end, and
 * the answer is a new access token, as the token endpoint answers (with a
 * new refresh token of the session) when the session is refreshable, else
 * as login does ({"token"}).  Connected to SPI.
 */
Datum
authoob_raise_session(int64 user_id, const pg_uuid_t *session, const char *method,
					  const AuthoobSettings *settings)
{
	Datum		values[3];
	bool		isnull;
	bool		refreshable;
	char	   *access_token;
	int			partition;
	int			partitions;

	values[0] = UUIDPGetDatum(session);
	values[1] = Int64GetDatum(user_id);
	values[2] = CStringGetTextDatum(method);
	if (authoob_run(&raise_session, values, NULL, false) != 1)
		authoob_token_refused("is no longer valid");
	refreshable = DatumGetBool(authoob_result_datum(1, &isnull));
	access_token = authoob_session_token(user_id, session, settings);
	if (!refreshable)
		return authoob_jsonb_from_pairs(1, (const char *[]) {"token"},
										(const char *[]) {access_token});
	authoob_partition(&partition, &partitions);
	return grant_response(user_id, session, access_token,
						  authoob_random_token_in(32, partition, partitions), true, settings);
}

/*
 * The assurance level a session has reached now ("aal1", "aal2"; NULL for
 * no such session): what its tokens said when they were made may be older.
 * Connected to SPI.
 */
char *
authoob_session_aal(const pg_uuid_t *session, const AuthoobSettings *settings)
{
	Datum		value = UUIDPGetDatum(session);

	/* 0.1's sessions have no level: every one is aal1 */
	if (!settings->refresh_tokens)
		return "aal1";
	if (authoob_run(&session_aal, &value, NULL, true) != 1)
		return NULL;
	return authoob_result_text(1);
}

/* End a session: logout.  Connected to SPI. */
void
authoob_end_session_of(const pg_uuid_t *session)
{
	Datum		value = UUIDPGetDatum(session);

	authoob_run(&end_session, &value, NULL, false);
}

/*
 * End the session whose refresh token was replayed, if the last refresh
 * found one; then forget it.  authoob_attempt calls it after the refresh's
 * error rolled back, and before it runs one, with end false.
 */
void
authoob_end_reused_session(bool end)
{
	if (end && reused_session_pending)
		authoob_end_session_of(&reused_session);
	reused_session_pending = false;
}

/* After the session was found: with require_activation, 403 if unconfirmed */
static void
check_confirmed(bool confirmed, const AuthoobSettings *settings)
{
	if (settings->require_activation && !confirmed)
		authoob_not_activated();
}

/*
 * Refuse (insufficient_aal, in the words need asks for) a session at aal1
 * whose user has a verified second factor.  Connected to SPI.
 */
void
authoob_require_aal2(const pg_uuid_t *session, AuthoobAalNeed need,
					 const AuthoobSettings *settings)
{
	Datum		value = UUIDPGetDatum(session);

	if (settings->mfa && authoob_run(&session_below_factor, &value, NULL, false) != 0)
		authoob_insufficient_aal(need);
}

/*
 * The user id a token stands for, or a PT401 error: it must be ours (see
 * authoob_jwt_read) and its session alive, not ended (logout, password
 * change), not expired, its user active, and, with mfa_required, at aal2
 * if the user has a verified factor (unless any_aal: the routes that
 * reach aal2).  *session receives the session's id.  The caller is
 * connected to SPI.
 */
static int64
verify_token(const char *token, pg_uuid_t *session, bool any_aal,
			 const AuthoobSettings *settings)
{
	Datum		jti;
	AuthoobSubject subject;
	AuthoobUserDates dates;
	int64		user_id;

	authoob_jwt_read(token, settings, &jti, &subject);
	if (!authoob_live_session(jti, &subject, &user_id, &dates, NULL))
		authoob_session_ended();
	check_confirmed(dates.confirmed, settings);
	if (settings->mfa_required && !any_aal)
		authoob_require_aal2(DatumGetUUIDP(jti), AAL_TO_USE, settings);
	if (session)
		memcpy(session, DatumGetUUIDP(jti), sizeof(pg_uuid_t));
	return user_id;
}

int64
authoob_verify_token(const char *token, pg_uuid_t *session,
					 const AuthoobSettings *settings)
{
	return verify_token(token, session, false, settings);
}

/* authoob_verify_token at any aal: what the second factor's routes take */
int64
authoob_verify_token_any_aal(const char *token, pg_uuid_t *session,
							 const AuthoobSettings *settings)
{
	return verify_token(token, session, true, settings);
}

/*
 * authoob_verify_token, and the user's private JSON in *profile (and their
 * dates in *dates, if not NULL), read from the same row as the session's
 * user: GET P/profile runs no statement.
 */
int64
authoob_verify_token_profile(const char *token, const AuthoobSettings *settings,
							 Datum *profile, AuthoobUserDates *dates)
{
	Datum		session;
	AuthoobSubject subject;
	AuthoobUserDates own;
	int64		user_id;

	authoob_jwt_read(token, settings, &session, &subject);
	if (dates == NULL)
		dates = &own;
	if (!authoob_live_session(session, &subject, &user_id, dates, profile))
		authoob_session_ended();
	check_confirmed(dates->confirmed, settings);
	if (settings->mfa_required)
		authoob_require_aal2(DatumGetUUIDP(session), AAL_TO_USE, settings);
	return user_id;
}
