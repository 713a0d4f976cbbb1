/*
 * profile.c
 *		Profiles: GET P/profile, GET P/profile/<id>, PUT P/profile.
 *
 * The private user JSON is the user's own view (never a hash or a token),
 * the public one what anybody may see.
 */
#include "authoob.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(authoob_profile);
PG_FUNCTION_INFO_V1(authoob_public_profile);
PG_FUNCTION_INFO_V1(authoob_update_profile);

#define PRIVATE_USER_JSON \
	"jsonb_build_object('id', u.id, 'email', u.email, 'username', u.username," \
	" 'firstname', u.firstname, 'lastname', u.lastname," \
	" 'create_date', u.create_date, 'update_date', u.update_date," \
	" 'login_count', u.login_count)"

static AuthoobQuery private_profile = AUTHOOB_QUERY(
	"SELECT " PRIVATE_USER_JSON " FROM authoob.users u WHERE u.id = $1",
	1, INT8OID);

static AuthoobQuery public_profile = AUTHOOB_QUERY(
	"SELECT jsonb_build_object('id', u.id, 'username', u.username)"
	" FROM authoob.users u WHERE u.id = $1 AND u.active",
	1, INT8OID);

static AuthoobQuery update_profile = AUTHOOB_QUERY(
	"UPDATE authoob.users u SET"
	" username = CASE WHEN $2 THEN $3 ELSE username END,"
	" firstname = CASE WHEN $4 THEN $5 ELSE firstname END,"
	" lastname = CASE WHEN $6 THEN $7 ELSE lastname END,"
	" update_date = now()"
	" WHERE u.id = $1 RETURNING " PRIVATE_USER_JSON,
	7, INT8OID, BOOLOID, TEXTOID, BOOLOID, TEXTOID, BOOLOID, TEXTOID);

/* The private user JSON of a user; the caller is connected to SPI */
Datum
authoob_private_user_json(int64 user_id)
{
	Datum		value = Int64GetDatum(user_id);
	bool		isnull;

	if (authoob_run(&private_profile, &value, NULL, false) != 1)
		elog(ERROR, "authoob: user " INT64_FORMAT " vanished", user_id);
	return authoob_result_datum(1, &isnull);
}

/* SQL function: authoob_profile(token text) returns jsonb */
Datum
authoob_profile(PG_FUNCTION_ARGS)
{
	int64		user_id;

	authoob_connect_spi();
	user_id = authoob_verify_token(authoob_text_arg(fcinfo, 0), NULL, authoob_load_settings());
	PG_RETURN_DATUM(authoob_finish_spi(authoob_private_user_json(user_id), false));
}

/*
 * A user id from a URL segment: digits only and within bigint, else no
 * such user (never a cast error).
 */
static bool
parse_user_id(const char *text, int64 *id)
{
	int64		n = 0;

	if (text == NULL || *text == '\0' || strlen(text) > 18)
		return false;
	for (const char *p = text; *p; p++)
	{
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (*p - '0');
	}
	*id = n;
	return true;
}

/* SQL function: authoob_public_profile(user_id text) returns jsonb */
Datum
authoob_public_profile(PG_FUNCTION_ARGS)
{
	int64		user_id;
	Datum		value;
	bool		isnull;

	if (!parse_user_id(authoob_text_arg(fcinfo, 0), &user_id))
		ereport(ERROR,
				(errcode(ERRCODE_AUTHOOB_NOT_FOUND),
				 errmsg("User not found")));
	authoob_connect_spi();
	value = Int64GetDatum(user_id);
	if (authoob_run(&public_profile, &value, NULL, true) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_AUTHOOB_NOT_FOUND),
				 errmsg("User not found")));
	PG_RETURN_DATUM(authoob_finish_spi(authoob_result_datum(1, &isnull), false));
}

/* SQL function: authoob_update_profile(token text, payload text|jsonb) returns jsonb */
Datum
authoob_update_profile(PG_FUNCTION_ARGS)
{
	static const char *const fields[] = {"username", "firstname", "lastname"};
	Jsonb	   *payload;
	int64		user_id;
	Datum		values[7];
	char		nulls[7];
	bool		isnull;

	authoob_connect_spi();
	user_id = authoob_verify_token(authoob_text_arg(fcinfo, 0), NULL, authoob_load_settings());
	payload = authoob_payload_arg(fcinfo, 1);

	values[0] = Int64GetDatum(user_id);
	nulls[0] = ' ';
	for (int i = 0; i < 3; i++)
	{
		bool		present;
		char	   *value = authoob_payload_name(payload, fields[i], &present);

		values[1 + 2 * i] = BoolGetDatum(present);
		nulls[1 + 2 * i] = ' ';
		values[2 + 2 * i] = value ? CStringGetTextDatum(value) : (Datum) 0;
		nulls[2 + 2 * i] = value ? ' ' : 'n';
	}
	if (authoob_run(&update_profile, values, nulls, false) != 1)
		elog(ERROR, "authoob: user " INT64_FORMAT " vanished", user_id);
	PG_RETURN_DATUM(authoob_finish_spi(authoob_result_datum(1, &isnull), false));
}
