/*
 * sessions.c
 *		Sessions: every token is a row of authoob.sessions, found by its jti,
 *		which is what makes logout and "every earlier token after a password
 *		change" exact, without clock-resolution games.
 */
#include "authoob.h"

#include <time.h>

#include "catalog/pg_type.h"
#include "utils/builtins.h"

static AuthoobQuery insert_session = AUTHOOB_QUERY(
	"INSERT INTO authoob.sessions (jti, user_id, expires_at, ip)"
	" VALUES ($1, $2, to_timestamp($3), $4)",
	4, UUIDOID, INT8OID, FLOAT8OID, INETOID);

static AuthoobQuery find_session = AUTHOOB_QUERY(
	"SELECT u.confirmed_at IS NOT NULL"
	" FROM authoob.sessions s JOIN authoob.users u ON u.id = s.user_id"
	" WHERE " AUTHOOB_LIVE_SESSION,
	2, UUIDOID, INT8OID);

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
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ip_isnull ? 'n' : ' '};

	values[0] = jti;
	values[1] = Int64GetDatum(user_id);
	values[2] = Float8GetDatum((double) exp);
	values[3] = client_ip;
	authoob_run(&insert_session, values, nulls, false);
	return authoob_jwt_sign(user_id, DatumGetCString(DirectFunctionCall1(uuid_out, jti)),
							iat, exp, settings);
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
 * authoob_jwt_read) and its session alive, not revoked (logout, password
 * change), not expired, its user active.  *jti receives the session id.
 * The caller is connected to SPI.
 */
int64
authoob_verify_token(const char *token, pg_uuid_t *jti,
					 const AuthoobSettings *settings)
{
	Datum		values[2];
	bool		isnull;
	int64		user_id = authoob_jwt_read(token, settings, &values[0]);

	values[1] = Int64GetDatum(user_id);
	if (authoob_run(&find_session, values, NULL, true) != 1)
		authoob_token_refused("is no longer valid");
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
	int64		user_id = authoob_jwt_read(token, settings, &jti);

	if (!authoob_session_profile(jti, user_id, &confirmed, profile))
		authoob_token_refused("is no longer valid");
	check_confirmed(confirmed, settings);
	return user_id;
}
