/*
 * profile.c
 *		Profiles: GET P/profile, GET P/profile/<id>, PUT P/profile.
 *
 * The private user JSON is the user's own view (never a hash or a token),
 * the public one what anybody may see; both, with the custom fields, are
 * made in users.c.
 */
#include "authoob.h"

#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(authoob_profile);
PG_FUNCTION_INFO_V1(authoob_public_profile);
PG_FUNCTION_INFO_V1(authoob_update_profile);

/*
 * GET P/profile's work: the user a token stands for, verified once, in
 * *user_id (their dates in *dates, if not NULL), and the answer, their
 * private JSON through the pre_profile and post_profile hooks.  Writes
 * nothing.  Connected to SPI.
 */
Datum
authoob_token_profile(const char *token, const AuthoobSettings *settings, int64 *user_id,
					  AuthoobUserDates *dates)
{
	Datum		response;
	Jsonb	   *answer;

	if (!authoob_hook_registered(HOOK_PRE_PROFILE))
	{
		/* the common case, the hot path: no statement */
		*user_id = authoob_verify_token_profile(token, settings, &response, dates);
	}
	else
	{
		/* a pre hook may change the user: read it after the hook */
		*user_id = authoob_verify_token(token, NULL, settings);
		authoob_fire_hook(HOOK_PRE_PROFILE, &(AuthoobHookArgs) {.user_id = *user_id});
		response = authoob_private_user_json(*user_id);
		if (dates && !authoob_user_dates(*user_id, dates))
			elog(ERROR, "authoob: user " INT64_FORMAT " vanished", *user_id);
	}
	answer = authoob_fire_hook(HOOK_POST_PROFILE,
							   &(AuthoobHookArgs) {.user_id = *user_id,
							   .response = DatumGetJsonbP(response)});
	return authoob_hook_response(answer, response);
}

/* SQL function: authoob_profile(token text) returns jsonb */
Datum
authoob_profile(PG_FUNCTION_ARGS)
{
	int64		user_id;
	Datum		response;

	authoob_connect_spi();
	response = authoob_token_profile(authoob_text_arg(fcinfo, 0), authoob_load_settings(),
									 &user_id, NULL);
	PG_RETURN_DATUM(authoob_finish_spi(response, false));
}

/* SQL function: authoob_public_profile(user_id text) returns jsonb */
Datum
authoob_public_profile(PG_FUNCTION_ARGS)
{
	char	   *id = authoob_text_arg(fcinfo, 0);
	int64		user_id;
	bool		found;
	Datum		response;
	Jsonb	   *answer;

	if (id == NULL || !authoob_parse_digits(id, strlen(id), &user_id))
		authoob_user_not_found();
	authoob_connect_spi();
	authoob_fire_hook(HOOK_PRE_USER_PROFILE, &(AuthoobHookArgs) {.user_id = user_id});
	response = authoob_public_user_json(user_id, &found);
	if (!found)
		authoob_user_not_found();
	answer = authoob_fire_hook(HOOK_POST_USER_PROFILE,
							   &(AuthoobHookArgs) {.user_id = user_id,
							   .response = DatumGetJsonbP(response)});
	PG_RETURN_DATUM(authoob_finish_spi(authoob_hook_response(answer, response), false));
}

/* SQL function: authoob_update_profile(token text, payload text|jsonb) returns jsonb */
Datum
authoob_update_profile(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload;
	int64		user_id;
	Datum		response;
	Jsonb	   *answer;

	authoob_connect_spi();
	user_id = authoob_verify_token(authoob_text_arg(fcinfo, 0), NULL, authoob_load_settings());
	payload = authoob_payload_arg(fcinfo, 1);
	authoob_fire_hook(HOOK_PRE_UPDATE_PROFILE,
					  &(AuthoobHookArgs) {.user_id = user_id, .payload = payload});
	response = authoob_update_user(user_id, payload);
	answer = authoob_fire_hook(HOOK_POST_UPDATE_PROFILE,
							   &(AuthoobHookArgs) {.user_id = user_id, .payload = payload,
							   .response = DatumGetJsonbP(response)});
	PG_RETURN_DATUM(authoob_finish_spi(authoob_hook_response(answer, response), false));
}
