/*
 * user_sessions.c
 *		A user's sessions (sign-ins): GET P/sessions lists the live ones,
 *		DELETE P/sessions/<id> ends one, POST P/logout?scope= ends this one,
 *		the others or all.
 *
 * A user sees and ends only their own sessions: another user's session id
 * is not found, exactly as an id that never existed.
 */
#include "authoob.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(authoob_sessions);
PG_FUNCTION_INFO_V1(authoob_end_session);
PG_FUNCTION_INFO_V1(authoob_logout_scope);

static AuthoobQuery list_sessions = AUTHOOB_QUERY(
	"SELECT jsonb_build_object('sessions', coalesce(jsonb_agg(jsonb_build_object("
	" 'id', s.jti, 'created_at', s.created_at, 'refreshed_at', s.refreshed_at,"
	" 'ip', host(s.ip), 'user_agent', s.user_agent, 'aal', s.aal, 'current', s.jti = $2)"
	" ORDER BY s.created_at, s.jti), '[]'))"
	" FROM authoob.sessions s WHERE s.user_id = $1 AND s.expires_at > now()",
	2, INT8OID, UUIDOID);

static AuthoobQuery end_own_session = AUTHOOB_QUERY(
	"DELETE FROM authoob.sessions WHERE jti = $1 AND user_id = $2 AND expires_at > now()",
	2, UUIDOID, INT8OID);

/* $3: also the current one (global), or all but it (others) */
static AuthoobQuery end_sessions = AUTHOOB_QUERY(
	"DELETE FROM authoob.sessions WHERE user_id = $1 AND ($3 OR jti <> $2)",
	3, INT8OID, UUIDOID, BOOLOID);

/* A session id in its canonical text form (8-4-4-4-12 hex), else 404 */
static Datum
session_id_arg(const char *text)
{
	Datum		session;

	if (!authoob_parse_uuid(text, &session))
		authoob_session_not_found();
	return session;
}

/* SQL function: authoob_sessions(token text) returns jsonb */
Datum
authoob_sessions(PG_FUNCTION_ARGS)
{
	pg_uuid_t	current;
	Datum		values[2];
	bool		isnull;

	authoob_connect_spi();
	values[0] = Int64GetDatum(authoob_verify_token(authoob_text_arg(fcinfo, 0), &current,
												   authoob_load_settings()));
	values[1] = UUIDPGetDatum(&current);
	authoob_run(&list_sessions, values, NULL, true);
	PG_RETURN_DATUM(authoob_finish_spi(authoob_result_datum(1, &isnull), false));
}

/* SQL function: authoob_end_session(token text, session_id text) returns jsonb (NULL) */
Datum
authoob_end_session(PG_FUNCTION_ARGS)
{
	Datum		values[2];

	authoob_connect_spi();
	values[1] = Int64GetDatum(authoob_verify_token(authoob_text_arg(fcinfo, 0), NULL,
												   authoob_load_settings()));
	values[0] = session_id_arg(authoob_text_arg(fcinfo, 1));
	if (authoob_run(&end_own_session, values, NULL, false) != 1)
		authoob_session_not_found();
	SPI_finish();
	PG_RETURN_NULL();
}

/*
 * SQL function: authoob_logout_scope(token text, scope text) returns jsonb (NULL)
 *
 * POST P/logout?scope=: "local" (or NULL) ends the token's session, as
 * authoob_logout; "others" every other session of the user; "global" all.
 */
Datum
authoob_logout_scope(PG_FUNCTION_ARGS)
{
	char	   *scope = PG_ARGISNULL(1) ? "local" : TextDatumGetCString(PG_GETARG_DATUM(1));
	bool		local = strcmp(scope, "local") == 0;
	bool		global = strcmp(scope, "global") == 0;
	pg_uuid_t	session;
	Datum		values[3];
	int64		user_id;

	authoob_connect_spi();
	user_id = authoob_verify_token(authoob_text_arg(fcinfo, 0), &session,
								   authoob_load_settings());
	if (!local && !global && strcmp(scope, "others") != 0)
		authoob_invalid_value("scope", "scope is \"local\", \"others\" or \"global\".");
	authoob_fire_hook(HOOK_PRE_LOGOUT, &(AuthoobHookArgs) {.user_id = user_id});
	values[0] = Int64GetDatum(user_id);
	values[1] = UUIDPGetDatum(&session);
	values[2] = BoolGetDatum(global);
	if (local)
		authoob_end_session_of(&session);
	else
		authoob_run(&end_sessions, values, NULL, false);
	authoob_fire_hook(HOOK_POST_LOGOUT, &(AuthoobHookArgs) {0});
	SPI_finish();
	PG_RETURN_NULL();
}
