/*
 * account.c
 *		Accounts: register, login, logout, fresh tokens, the token endpoint
 *		(password and refresh_token grants), password change, and token
 *		verification for the rest of the application.
 *
 * Each returns the response body as jsonb (NULL when there is none) or
 * raises PTxxx.  All of them are SECURITY DEFINER with a fixed search_path;
 * the statements they run name every object with its schema.
 */
#include "authoob.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(authoob_register);
PG_FUNCTION_INFO_V1(authoob_register_for_dialect);
PG_FUNCTION_INFO_V1(authoob_login);
PG_FUNCTION_INFO_V1(authoob_logout);
PG_FUNCTION_INFO_V1(authoob_token);
PG_FUNCTION_INFO_V1(authoob_token_grant);
PG_FUNCTION_INFO_V1(authoob_token_request);
PG_FUNCTION_INFO_V1(authoob_sign_in_request);
PG_FUNCTION_INFO_V1(authoob_reset_password);
PG_FUNCTION_INFO_V1(authoob_verify);
PG_FUNCTION_INFO_V1(authoob_verify_headers);
PG_FUNCTION_INFO_V1(authoob_authenticate);
PG_FUNCTION_INFO_V1(authoob_uid);
PG_FUNCTION_INFO_V1(authoob_aal);
PG_FUNCTION_INFO_V1(authoob_new_user_uuid);

static AuthoobQuery insert_user = AUTHOOB_QUERY(
	"INSERT INTO authoob.users (email, password, firstname, lastname)"
	" VALUES ($1, $2, $3, $4)"
	" ON CONFLICT ((lower(email))) DO NOTHING RETURNING id",
	4, TEXTOID, TEXTOID, TEXTOID, TEXTOID);

/*
 * The client of a sign-up, for the record the users' trigger writes of it
 * in the audit log (authoob_audit_user_event), for this transaction
 */
static AuthoobQuery note_sign_up_client = AUTHOOB_QUERY(
	"SELECT set_config('authoob.sign_up_ip', $1::text, true)",
	1, INETOID);

static AuthoobQuery forget_expired_sessions = AUTHOOB_QUERY(
	"DELETE FROM authoob.sessions WHERE user_id = $1 AND expires_at <= now()",
	1, INT8OID);

/* Whether a session read by forget_expired is expired: *(bool *) arg */
static void
note_expired(TupleTableSlot *slot, void *arg)
{
	AttrNumber	expires_at = authoob_row_column(AUTHOOB_TABLE_USER_SESSIONS, "expires_at");
	bool		isnull;
	Datum		value = slot_getattr(slot, expires_at, &isnull);

	if (!isnull && DatumGetTimestampTz(value) <= GetCurrentTransactionStartTimestamp())
		*(bool *) arg = true;
}

/*
 * Forget the user's expired sessions, as a sign-in does.  Most users have
 * none: their sessions are read first, by user_id without a statement, on
 * the snapshot the DELETE would take (a fresh one, after the command
 * counter's increment, as SPI takes for a statement that writes), and the
 * DELETE runs only when one has expired.  Connected to SPI.
 */
static void
forget_expired(int64 user_id)
{
	Datum		value = Int64GetDatum(user_id);
	bool		expired = false;

	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	authoob_rows_each(AUTHOOB_TABLE_USER_SESSIONS, value, note_expired, &expired);
	PopActiveSnapshot();
	if (expired)
		authoob_run(&forget_expired_sessions, &value, NULL, false);
}

/* {"token": token} */
static Datum
token_response(const char *token)
{
	const char *key = "token";

	return authoob_jsonb_from_pairs(1, &key, &token);
}

/*
 * Register the payload's account and mail its activation link, the
 * dialect's mail for a sign-up of Supabase Auth's dialect (NULL: authoob's
 * own); the arguments are authoob_register's.
 */
static Datum
register_account(FunctionCallInfo fcinfo, const AuthoobMailRequest *dialect)
{
	Jsonb	   *payload = authoob_payload_arg(fcinfo, 0);
	char	   *email;
	char	   *password1;
	char	   *password2;
	char	   *firstname;
	char	   *lastname;
	AuthoobSettings *settings;
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		isnull;
	int64		user_id;
	Datum		response;
	Jsonb	   *answer;

	authoob_connect_spi();
	settings = authoob_load_settings();
	if (settings->disable_signup)
		authoob_signup_disabled();
	authoob_fire_hook(HOOK_PRE_REGISTER, &(AuthoobHookArgs) {.payload = payload});
	/* absent, null or not a string: no value, which the checks refuse */
	email = authoob_jsonb_get_string(payload, "email");
	password1 = authoob_jsonb_get_string(payload, "password1");
	password2 = authoob_jsonb_get_string(payload, "password2");

	/*
	 * The original's order: the policy (no password fails it), then the
	 * mismatch, then the email, then a duplicate.
	 */
	authoob_check_password_policy(password1 ? password1 : "", settings);
	if (password2 == NULL || strcmp(password1, password2) != 0)
		authoob_mismatching_passwords();
	if (email == NULL || !authoob_email_is_valid(email))
		authoob_invalid_email();
	firstname = authoob_payload_name(payload, "firstname", NULL);
	lastname = authoob_payload_name(payload, "lastname", NULL);

	/*
	 * A known address is found by the insert, after the hash: it costs the
	 * same time and the same budget as a new one, so that Supabase Auth's
	 * dialect can answer both alike (and the insert settles a race anyway).
	 */
	values[0] = CStringGetTextDatum(email);
	authoob_check_hash_budget(NULL, PG_GETARG_DATUM(1), PG_ARGISNULL(1), settings);
	values[1] = CStringGetTextDatum(authoob_hash_password(password1, settings));
	authoob_count_hash(NULL, PG_GETARG_DATUM(1), PG_ARGISNULL(1), settings);
	values[2] = firstname ? CStringGetTextDatum(firstname) : (Datum) 0;
	nulls[2] = firstname ? ' ' : 'n';
	values[3] = lastname ? CStringGetTextDatum(lastname) : (Datum) 0;
	nulls[3] = lastname ? ' ' : 'n';
	if (!PG_ARGISNULL(1))
		authoob_run(&note_sign_up_client, &PG_GETARG_DATUM(1), NULL, false);
	if (authoob_run(&insert_user, values, nulls, false) != 1)
		authoob_already_registered();
	user_id = DatumGetInt64(authoob_result_datum(1, &isnull));

	authoob_send_activation(user_id, dialect, settings);
	/* the address as stored is read again: a trigger may have changed it */
	response = token_response(authoob_open_session(user_id, NULL, PG_GETARG_DATUM(1),
												   PG_ARGISNULL(1),
												   authoob_jsonb_get_string(payload, "user_agent"),
												   settings));
	answer = authoob_fire_hook(HOOK_POST_REGISTER,
							   &(AuthoobHookArgs) {.user_id = user_id, .payload = payload});
	return authoob_finish_spi(authoob_hook_response(answer, response), false);
}

/* SQL function: authoob_register(payload text|jsonb, client_ip inet) returns jsonb */
Datum
authoob_register(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(register_account(fcinfo, NULL));
}

/*
 * SQL function: authoob_register_for_dialect(payload jsonb, client_ip inet,
 *   redirect_to text) returns jsonb
 *
 * Supabase Auth's sign-up: authoob_register, whose activation mail is that
 * dialect's, its link leading to redirect_to, with a code.  Owner only.
 */
Datum
authoob_register_for_dialect(PG_FUNCTION_ARGS)
{
	AuthoobMailRequest dialect = {.gotrue = true, .redirect_to = authoob_text_arg(fcinfo, 2)};

	PG_RETURN_DATUM(register_account(fcinfo, &dialect));
}

/*
 * Sign in with payload's email and password, as login does and with the
 * same hooks and limits; the user's id (and *stored_email, the account's
 * address as stored), or the error.  Connected to SPI.
 */
static int64
sign_in(Jsonb *payload, Datum client_ip, bool ip_isnull, const AuthoobSettings *settings,
		char **stored_email)
{
	char	   *email;
	char	   *password;
	char	   *throttle_key;
	int64		user_id;
	char	   *hash;
	AuthoobSignInUser user;

	authoob_fire_hook(HOOK_PRE_LOGIN, &(AuthoobHookArgs) {.payload = payload});
	email = authoob_payload_string(payload, "email", true, NULL);
	password = authoob_payload_string(payload, "password", true, NULL);
	/* over a limit: 429, without looking at the password */
	throttle_key = authoob_throttle_key(email);
	authoob_check_sign_in_limits(throttle_key, client_ip, ip_isnull, settings);

	if (!authoob_user_for_sign_in(email, &user))
	{
		/* an unknown email costs the same hash work as a wrong password */
		authoob_dummy_password_check(password, settings);
		authoob_authentication_failed();
	}
	user_id = user.id;
	hash = user.password;
	/* the token's address: the row's, unless a hook may change it below */
	*stored_email = authoob_hook_registered(HOOK_BEFORE_LOGIN) ? NULL : user.email;

	authoob_fire_hook(HOOK_BEFORE_LOGIN,
					  &(AuthoobHookArgs) {.user_id = user_id, .payload = payload});
	/* an account without a password costs the hash a wrong password does */
	if (!authoob_is_password_hash(hash))
		authoob_dummy_password_check(password, settings);
	if (!authoob_check_password(password, hash) || !user.active)
		authoob_authentication_failed();
	/* told only to who knows the password (Supabase Auth tells anyone) */
	if (settings->require_activation && !user.confirmed)
		authoob_not_activated();
	if (authoob_sign_in_user_banned(&user))
		authoob_user_banned_error("User is banned");
	/* a stale hash made again is written with the sign-in: one UPDATE */
	authoob_track_sign_in(user_id, client_ip, ip_isnull,
						  authoob_rehash_if_stale(password, hash, settings));
	forget_expired(user_id);
	authoob_forget_failures(throttle_key);
	/*
	 * Last, after every hash (a stale one was made again above): the rows
	 * it writes stay locked only for the rest of the transaction.  A
	 * failure rolls this back; authoob_attempt counts its hashes again.
	 */
	authoob_count_hash(throttle_key, client_ip, ip_isnull, settings);
	return user_id;
}

/* SQL function: authoob_login(payload text|jsonb, client_ip inet) returns jsonb */
Datum
authoob_login(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload = authoob_payload_arg(fcinfo, 0);
	AuthoobSettings *settings;
	int64		user_id;
	char	   *email;
	Datum		response;
	Jsonb	   *answer;

	authoob_connect_spi();
	settings = authoob_load_settings();
	user_id = sign_in(payload, PG_GETARG_DATUM(1), PG_ARGISNULL(1), settings, &email);
	response = token_response(authoob_open_session(user_id, email, PG_GETARG_DATUM(1),
												   PG_ARGISNULL(1),
												   authoob_jsonb_get_string(payload, "user_agent"),
												   settings));
	answer = authoob_fire_hook(HOOK_POST_LOGIN,
							   &(AuthoobHookArgs) {.user_id = user_id, .payload = payload});
	PG_RETURN_DATUM(authoob_finish_spi(authoob_hook_response(answer, response), false));
}

/*
 * SQL function: authoob_token_grant(payload text|jsonb, client_ip inet,
 *									 query_grant text) returns jsonb
 *
 * POST P/token: grant_type (the body's, else query_grant, the query
 * string's) "password" signs in as login does and opens a refreshable
 * session; "refresh_token" exchanges a refresh token.  Both answer
 * {"access_token", "token_type", "expires_in", "expires_at",
 * "refresh_token", "user"}.  No grant, or an unknown one: 400.
 */
Datum
authoob_token_grant(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload = authoob_payload_arg(fcinfo, 0);
	char	   *grant = authoob_jsonb_get_string(payload, "grant_type");
	char	   *email;
	AuthoobSettings *settings;
	int64		user_id;
	Datum		response;
	Jsonb	   *answer;

	if (grant == NULL && !PG_ARGISNULL(2))
		grant = TextDatumGetCString(PG_GETARG_DATUM(2));
	if (grant == NULL ||
		(strcmp(grant, "password") != 0 && strcmp(grant, "refresh_token") != 0))
		authoob_missing_data("grant_type is \"password\" or \"refresh_token\".");

	authoob_connect_spi();
	settings = authoob_load_settings();
	if (strcmp(grant, "refresh_token") == 0)
	{
		/* a refresh token is guessed as a password is: the same per-IP limit */
		authoob_check_throttle(NULL, "ip", PG_GETARG_DATUM(1), PG_ARGISNULL(1), settings);
		PG_RETURN_DATUM(authoob_finish_spi(authoob_refresh_session(
			authoob_payload_string(payload, "refresh_token", true, NULL), settings), false));
	}

	user_id = sign_in(payload, PG_GETARG_DATUM(1), PG_ARGISNULL(1), settings, &email);
	response = authoob_grant_session(user_id, PG_GETARG_DATUM(1), PG_ARGISNULL(1),
									 authoob_jsonb_get_string(payload, "user_agent"), NULL,
									 NULL, settings);
	answer = authoob_fire_hook(HOOK_POST_LOGIN,
							   &(AuthoobHookArgs) {.user_id = user_id, .payload = payload});
	PG_RETURN_DATUM(authoob_finish_spi(authoob_hook_response(answer, response), false));
}

/*
 * The body of a sign-in for the 0.2 form of authoob_attempt, whose one
 * argument is the body: authoob_sign_in_body's, with the query string's
 * grant_type (argument 1) and, with_agent, the client's User-Agent
 * (argument 2), written out as text again.  A body that is not a JSON
 * object is left as it is, for the sign-in to refuse.
 */
static Datum
sign_in_body(FunctionCallInfo fcinfo, bool with_agent)
{
	char	   *query_grant = authoob_text_arg(fcinfo, 1);
	char	   *user_agent = with_agent ? authoob_text_arg(fcinfo, 2) : NULL;
	Jsonb	   *body = NULL;
	Jsonb	   *joined;
	Datum		parsed;

	if (query_grant == NULL && user_agent == NULL)
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (!PG_ARGISNULL(0))
	{
		parsed = CStringGetDatum(TextDatumGetCString(PG_GETARG_DATUM(0)));
		if (authoob_try(authoob_parse_jsonb, &parsed) != NULL ||
			!JB_ROOT_IS_OBJECT(DatumGetJsonbP(parsed)))
			PG_RETURN_DATUM(PG_GETARG_DATUM(0));
		body = DatumGetJsonbP(parsed);
	}
	joined = authoob_sign_in_body(body, query_grant, user_agent);
	if (joined == body)
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	PG_RETURN_TEXT_P(cstring_to_text(JsonbToCString(NULL, &joined->root, 0)));
}

/*
 * SQL function: authoob_token_request(payload text, query_grant text) returns text
 *
 * The body of POST P/token for a caller with no User-Agent to pass on:
 * sign_in_body without one.
 */
Datum
authoob_token_request(PG_FUNCTION_ARGS)
{
	return sign_in_body(fcinfo, false);
}

/*
 * SQL function: authoob_sign_in_request(payload text, query_grant text,
 *										 user_agent text) returns text
 *
 * The body of POST P/login and POST P/token (and of the Supabase dialect's
 * token route) as 0.2's fronts pass it to authoob_attempt: sign_in_body
 * with the User-Agent.  0.3's pass the three apart (attempt.c).
 */
Datum
authoob_sign_in_request(PG_FUNCTION_ARGS)
{
	return sign_in_body(fcinfo, true);
}

/* SQL function: authoob_logout(token text) returns jsonb (always NULL) */
Datum
authoob_logout(PG_FUNCTION_ARGS)
{
	pg_uuid_t	session;
	int64		user_id;

	authoob_connect_spi();
	user_id = authoob_verify_token(authoob_text_arg(fcinfo, 0), &session,
								   authoob_load_settings());
	authoob_fire_hook(HOOK_PRE_LOGOUT, &(AuthoobHookArgs) {.user_id = user_id});
	authoob_end_session_of(&session);
	/* 204: the answer has no body to replace */
	authoob_fire_hook(HOOK_POST_LOGOUT, &(AuthoobHookArgs) {0});
	SPI_finish();
	PG_RETURN_NULL();
}

/* SQL function: authoob_token(token text) returns jsonb */
Datum
authoob_token(PG_FUNCTION_ARGS)
{
	AuthoobSettings *settings;
	pg_uuid_t	session;
	int64		user_id;
	Datum		response;
	Jsonb	   *answer;

	authoob_connect_spi();
	settings = authoob_load_settings();
	user_id = authoob_verify_token(authoob_text_arg(fcinfo, 0), &session, settings);
	authoob_fire_hook(HOOK_PRE_TOKEN, &(AuthoobHookArgs) {.user_id = user_id});
	response = token_response(authoob_session_token(user_id, &session, settings));
	answer = authoob_fire_hook(HOOK_POST_TOKEN,
							   &(AuthoobHookArgs) {.user_id = user_id,
							   .response = DatumGetJsonbP(response)});
	PG_RETURN_DATUM(authoob_finish_spi(authoob_hook_response(answer, response), false));
}

/*
 * SQL function: authoob_reset_password(token text, payload text|jsonb) returns jsonb
 *
 * A signed-in user's new password, {"password1", "password2"}; with
 * secure_password_change, and "nonce" unless the session signed in within
 * a day (docs/supabase.md, "Reauthentication").
 */
Datum
authoob_reset_password(PG_FUNCTION_ARGS)
{
	AuthoobSettings *settings;
	Jsonb	   *payload;
	int64		user_id;
	pg_uuid_t	session;
	Jsonb	   *answer;

	authoob_connect_spi();
	settings = authoob_load_settings();
	user_id = authoob_verify_token(authoob_text_arg(fcinfo, 0), &session, settings);
	authoob_require_aal2(&session, AAL_TO_CHANGE, settings);
	payload = authoob_payload_arg(fcinfo, 1);
	authoob_check_reauthentication(user_id, &session, authoob_jsonb_get_string(payload, "nonce"),
								   settings);
	authoob_fire_hook(HOOK_PRE_RESET_AUTH,
					  &(AuthoobHookArgs) {.user_id = user_id, .payload = payload});
	authoob_set_password(user_id, authoob_new_password_hash(payload, settings));
	answer = authoob_fire_hook(HOOK_POST_RESET_AUTH,
							   &(AuthoobHookArgs) {.user_id = user_id, .payload = payload});
	if (answer)
		PG_RETURN_DATUM(authoob_finish_spi(JsonbPGetDatum(answer), false));
	SPI_finish();
	PG_RETURN_NULL();
}

/* SQL function: authoob_verify(token text) returns bigint */
Datum
authoob_verify(PG_FUNCTION_ARGS)
{
	int64		user_id;

	authoob_connect_spi();
	user_id = authoob_verify_token(authoob_text_arg(fcinfo, 0), NULL, authoob_load_settings());
	SPI_finish();
	PG_RETURN_INT64(user_id);
}

static AuthoobQuery user_identity = AUTHOOB_QUERY(
	"SELECT coalesce(u.email, ''), coalesce(string_agg(r.name, ',' ORDER BY r.name), '')"
	" FROM authoob.users u"
	" LEFT JOIN authoob.roles_users ru ON ru.user_id = u.id"
	" LEFT JOIN authoob.roles r ON r.id = ru.role_id"
	" WHERE u.id = $1 GROUP BY u.id",
	1, INT8OID);

/*
 * SQL function: authoob_verify_headers(token text) returns jsonb
 *
 * Forward auth (GET P/verify, for nginx auth_request, Traefik forwardAuth,
 * Envoy ext_authz): who the token stands for, as the headers a proxy passes
 * upstream, {"X-Auth-User-Id": "1" (or the user's uuid, as the tokens'
 * sub: setting jwt_sub), "X-Auth-User-Email": ... (empty for an
 * anonymous user), "X-Auth-User-Roles": "a,b", "X-Auth-Session-Id": ...,
 * "X-Auth-AAL": "aal1" or "aal2", as the session is now}; a token that
 * does not verify is 401, as everywhere.
 */
Datum
authoob_verify_headers(PG_FUNCTION_ARGS)
{
	const char *keys[] = {"X-Auth-User-Id", "X-Auth-User-Email", "X-Auth-User-Roles",
	"X-Auth-Session-Id", "X-Auth-AAL"};
	const char *values[lengthof(keys)];
	pg_uuid_t	session;
	Datum		user_id;
	AuthoobSettings *settings;

	authoob_connect_spi();
	settings = authoob_load_settings();
	user_id = Int64GetDatum(authoob_verify_token(authoob_text_arg(fcinfo, 0), &session,
												 settings));
	if (authoob_run(&user_identity, &user_id, NULL, true) != 1)
		authoob_token_refused("names a user that is gone");
	values[1] = authoob_result_text(1);
	values[2] = authoob_result_text(2);
	values[0] = authoob_user_sub(DatumGetInt64(user_id), settings);
	values[3] = DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&session)));
	values[4] = authoob_session_aal(&session, settings);
	PG_RETURN_DATUM(authoob_finish_spi(authoob_jsonb_from_pairs(lengthof(keys), keys, values),
									   false));
}

/*
 * The user authenticated in this transaction, for row-level security.  It
 * lives in backend memory tagged with the transaction, not in a GUC, so no
 * SQL statement can forge it and it is gone when the transaction ends.
 */
static LocalTransactionId authenticated_lxid = InvalidLocalTransactionId;
static int64 authenticated_user_id;
static pg_uuid_t authenticated_session;

/* SQL function: authoob_authenticate(token text) returns bigint */
Datum
authoob_authenticate(PG_FUNCTION_ARGS)
{
	int64		user_id;

	authoob_connect_spi();
	user_id = authoob_verify_token(authoob_text_arg(fcinfo, 0), &authenticated_session,
								   authoob_load_settings());
	SPI_finish();
	authenticated_user_id = user_id;
	authenticated_lxid = MyProc->lxid;
	PG_RETURN_INT64(user_id);
}

/* SQL function: authoob_uid() returns bigint */
Datum
authoob_uid(PG_FUNCTION_ARGS)
{
	if (authenticated_lxid == InvalidLocalTransactionId ||
		authenticated_lxid != MyProc->lxid)
		PG_RETURN_NULL();
	PG_RETURN_INT64(authenticated_user_id);
}

/*
 * SQL function: authoob_aal() returns text
 *
 * The assurance level of the session authoob_authenticate() verified in
 * this transaction, as it is now ("aal1", "aal2"), or NULL: for policies
 * that require a second factor (USING (authoob_aal() = 'aal2')).
 */
Datum
authoob_aal(PG_FUNCTION_ARGS)
{
	char	   *aal;

	if (authenticated_lxid == InvalidLocalTransactionId ||
		authenticated_lxid != MyProc->lxid)
		PG_RETURN_NULL();
	authoob_connect_spi();
	aal = authoob_session_aal(&authenticated_session, authoob_load_settings());
	if (aal == NULL)
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	PG_RETURN_DATUM(authoob_finish_spi(CStringGetTextDatum(aal), false));
}

/*
 * SQL function: authoob_new_user_uuid() returns uuid
 *
 * A new user's uuid: random (version 4), and in a sharded deployment
 * drawn again until hashtext of its text routes to this partition, as
 * mailed tokens are, so that the proxy finds the user by it.
 */
Datum
authoob_new_user_uuid(PG_FUNCTION_ARGS)
{
	int			partition;
	int			partitions;
	Datum		uuid;

	authoob_connect_spi();
	authoob_partition(&partition, &partitions);
	SPI_finish();
	do
		uuid = DirectFunctionCall1(gen_random_uuid, (Datum) 0);
	while (!authoob_token_in_partition(DatumGetCString(DirectFunctionCall1(uuid_out, uuid)),
									   partition, partitions));
	PG_RETURN_DATUM(uuid);
}
