/*
 * admin.c
 *		The owner's SQL functions: settings (authoob_configure,
 *		authoob_settings), the rotation of the signing key, and the service
 *		credential of Supabase Auth's admin API with what its routes need
 *		of C (extension/sql/gotrue/authoob_admin_*.sql).
 */
#include "authoob.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(authoob_configure);
PG_FUNCTION_INFO_V1(authoob_settings);
PG_FUNCTION_INFO_V1(authoob_rotate_secret);
PG_FUNCTION_INFO_V1(authoob_service_token);
PG_FUNCTION_INFO_V1(authoob_check_service_token);
PG_FUNCTION_INFO_V1(authoob_admin_password_hash);

/* SQL function: authoob_configure(settings jsonb) returns jsonb */
Datum
authoob_configure(PG_FUNCTION_ARGS)
{
	Jsonb	   *changes = PG_ARGISNULL(0) ? NULL : PG_GETARG_JSONB_P(0);

	authoob_connect_spi();
	PG_RETURN_DATUM(authoob_finish_spi(authoob_change_settings(changes), false));
}

/* SQL function: authoob_settings() returns jsonb, without the secret */
Datum
authoob_settings(PG_FUNCTION_ARGS)
{
	authoob_connect_spi();
	PG_RETURN_DATUM(authoob_finish_spi(authoob_settings_json(), false));
}

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

/*
 * SQL function: authoob_service_token(valid_for interval) returns text
 *
 * The admin API's credential: a service_role token signed with the current
 * key, for valid_for (ten years by default, as Supabase's service key).
 * Owner only: whoever holds it manages every user.  Rotating the key
 * revokes it once the previous key stops verifying.
 */
Datum
authoob_service_token(PG_FUNCTION_ARGS)
{
	Interval   *valid_for = PG_GETARG_INTERVAL_P(0);
	AuthoobSettings *settings;
	int64		seconds;
	char	   *token;

	seconds = (int64) DatumGetFloat8(DirectFunctionCall2(interval_part,
														 CStringGetTextDatum("epoch"),
														 IntervalPGetDatum(valid_for)));
	if (seconds <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("valid_for must be a positive interval")));
	authoob_connect_spi();
	settings = authoob_load_settings();
	token = authoob_service_token_sign(seconds, settings);
	PG_RETURN_DATUM(authoob_finish_spi(CStringGetTextDatum(token), false));
}

/*
 * SQL function: authoob_check_service_token(token text) returns void
 *
 * Raises 403 unless token is a service credential (jwt.c says what that
 * is); the admin routes' functions call it first.
 */
Datum
authoob_check_service_token(PG_FUNCTION_ARGS)
{
	char	   *token = authoob_text_arg(fcinfo, 0);

	authoob_connect_spi();
	authoob_service_token_check(token, authoob_load_settings());
	authoob_finish_spi((Datum) 0, true);
	PG_RETURN_VOID();
}

/*
 * SQL function: authoob_admin_password_hash(email text, password text) returns text
 *
 * What an admin's new account or change needs of C: the address checked
 * as a sign-up's is (400 if it is none), and the hash of the password
 * after the policy a user's own meets (Supabase Auth checks an admin's
 * too); a NULL password is only checked for the address.
 */
Datum
authoob_admin_password_hash(PG_FUNCTION_ARGS)
{
	char	   *email = authoob_text_arg(fcinfo, 0);
	char	   *password = authoob_text_arg(fcinfo, 1);
	AuthoobSettings *settings;
	char	   *hash;

	if (email != NULL && !authoob_email_is_valid(email))
		authoob_invalid_email();
	if (password == NULL)
		PG_RETURN_NULL();
	authoob_connect_spi();
	settings = authoob_load_settings();
	authoob_check_password_policy(password, settings);
	hash = authoob_hash_password(password, settings);
	PG_RETURN_DATUM(authoob_finish_spi(CStringGetTextDatum(hash), false));
}
