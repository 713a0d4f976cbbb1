/*
 * activation.c
 *		SQL entry points of account activation: POST P/activate/<token> and
 *		the mailed link, GET P/activate/<token>; the activation itself, which
 *		Supabase Auth's verify (gotrue.c) runs too.
 */
#include "authoob.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(authoob_activate);
PG_FUNCTION_INFO_V1(authoob_activate_redirect);

static AuthoobQuery find_activation = AUTHOOB_QUERY(
	"SELECT t.user_id, u.confirmed_at IS NOT NULL"
	" FROM authoob.mail_tokens t JOIN authoob.users u ON u.id = t.user_id"
	" WHERE t.token_hash = $1 AND t.kind = 'activation' AND t.used_at IS NULL"
	" AND t.expires_at > now()"
	" FOR UPDATE OF u",
	1, BYTEAOID);

static AuthoobQuery confirm_user = AUTHOOB_QUERY(
	"WITH spent AS (UPDATE authoob.mail_tokens SET used_at = now()"
	"  WHERE token_hash = $2)"
	" UPDATE authoob.users SET confirmed_at = now(), update_date = now()"
	" WHERE id = $1",
	2, INT8OID, BYTEAOID);

/*
 * Activate the account of a mailed token; returns its user id.  404 for no
 * match, 409 when already active, unless the already_activated hook answers
 * instead (*answer; *was_active, if not NULL, tells); 429 when the client
 * guessed too often.  Connected to SPI.
 */
int64
authoob_activate_token(const char *token, Datum client_ip, bool ip_isnull,
					   const AuthoobSettings *settings, Jsonb **answer, bool *was_active)
{
	Datum		args[2];
	bool		isnull;
	int64		user_id;
	bool		confirmed;

	*answer = NULL;
	authoob_check_throttle(NULL, "token", client_ip, ip_isnull, settings);
	authoob_fire_hook(HOOK_PRE_ACTIVATE, &(AuthoobHookArgs) {.token = token});
	args[1] = PointerGetDatum(authoob_mail_token_hash(token));
	if (authoob_run(&find_activation, &args[1], NULL, false) != 1)
		authoob_no_token_match();
	user_id = DatumGetInt64(authoob_result_datum(1, &isnull));
	confirmed = DatumGetBool(authoob_result_datum(2, &isnull));
	if (was_active)
		*was_active = confirmed;
	if (confirmed)
	{
		*answer = authoob_fire_hook(HOOK_ALREADY_ACTIVATED,
									&(AuthoobHookArgs) {.user_id = user_id});
		if (*answer)
			return user_id;
		authoob_already_active();
	}
	args[0] = Int64GetDatum(user_id);
	authoob_run(&confirm_user, args, NULL, false);
	*answer = authoob_fire_hook(HOOK_POST_ACTIVATE, &(AuthoobHookArgs) {.user_id = user_id});
	return user_id;
}

/*
 * SQL function: authoob_activate(token text, client_ip inet) returns jsonb
 *
 * NULL (201 with no body), or what post_activate or already_activated
 * answered.
 */
Datum
authoob_activate(PG_FUNCTION_ARGS)
{
	Jsonb	   *answer;

	authoob_connect_spi();
	(void) authoob_activate_token(authoob_text_arg(fcinfo, 0), PG_GETARG_DATUM(1),
								  PG_ARGISNULL(1), authoob_load_settings(), &answer, NULL);
	if (answer)
		PG_RETURN_DATUM(authoob_finish_spi(JsonbPGetDatum(answer), false));
	SPI_finish();
	PG_RETURN_NULL();
}

/*
 * SQL function: authoob_activate_redirect(token text, client_ip inet) returns jsonb
 *
 * The mailed link: activates, then answers {"url": app_url?validated_user=<id>}
 * for the front to redirect to; mail_activate_redirect may answer another
 * {"url"}.  When already active, already_activated's answer is the response
 * (the front redirects if it has a "url").
 */
Datum
authoob_activate_redirect(PG_FUNCTION_ARGS)
{
	AuthoobSettings *settings;
	int64		user_id;
	Jsonb	   *answer;
	const char *key = "url";
	const char *url;

	authoob_connect_spi();
	settings = authoob_load_settings();
	authoob_require_setting(settings->app_url, "app_url");
	user_id = authoob_activate_token(authoob_text_arg(fcinfo, 0), PG_GETARG_DATUM(1),
									 PG_ARGISNULL(1), settings, &answer, NULL);
	if (answer && authoob_jsonb_get_string(answer, "url") == NULL)
		PG_RETURN_DATUM(authoob_finish_spi(JsonbPGetDatum(answer), false));
	answer = authoob_fire_hook(HOOK_MAIL_ACTIVATE_REDIRECT,
							   &(AuthoobHookArgs) {.user_id = user_id,
							   .app_url = settings->app_url});
	url = answer ? authoob_jsonb_get_string(answer, "url") : NULL;
	if (url == NULL)
		url = psprintf("%s%svalidated_user=" INT64_FORMAT, settings->app_url,
					   strchr(settings->app_url, '?') ? "&" : "?", user_id);
	PG_RETURN_DATUM(authoob_finish_spi(authoob_jsonb_from_pairs(1, &key, &url), false));
}
