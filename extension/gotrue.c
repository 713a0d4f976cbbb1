/*
 * gotrue.c
 *		Supabase Auth's dialect (docs/supabase.md), what of it is C:
 *		GET G/user and the user object of its answers, and the steps its
 *		SQL functions (sql/gotrue/) take that authoob's own routes do not.
 *
 * The dialect runs authoob's own routes' work (profile.c, activation.c,
 * recovery.c) and reshapes the answers; its errors are the contract's,
 * whose Supabase Auth error codes errors.c decides.
 */
#include "authoob.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(authoob_gotrue_user);
PG_FUNCTION_INFO_V1(authoob_gotrue_user_json);
PG_FUNCTION_INFO_V1(authoob_grant_session_of);
PG_FUNCTION_INFO_V1(authoob_check_client_throttle);
PG_FUNCTION_INFO_V1(authoob_activate_user);
PG_FUNCTION_INFO_V1(authoob_spend_reset_token);
PG_FUNCTION_INFO_V1(authoob_password_ask_for_flow);
PG_FUNCTION_INFO_V1(authoob_activation_ask_for_flow);
PG_FUNCTION_INFO_V1(authoob_link_code);
PG_FUNCTION_INFO_V1(authoob_spend_mail_code);
PG_FUNCTION_INFO_V1(authoob_magic_link_user);
PG_FUNCTION_INFO_V1(authoob_magic_link_ask_for_flow);
PG_FUNCTION_INFO_V1(authoob_email_change_ask);
PG_FUNCTION_INFO_V1(authoob_email_change_user);
PG_FUNCTION_INFO_V1(authoob_email_change_again_for_flow);
PG_FUNCTION_INFO_V1(authoob_count_sign_up);
PG_FUNCTION_INFO_V1(authoob_gotrue_mail_link);
PG_FUNCTION_INFO_V1(authoob_confirm_by_magic_link);

/* A member of the private user JSON, as its iterator gives it */
typedef struct Member
{
	JsonbValue	key;
	JsonbValue	value;
} Member;

/*
 * The private user JSON sorted into the places of Supabase Auth's user
 * object: the members it shows under its own names, and the rest, what the
 * user may change (user_metadata) or not (app_metadata).
 */
typedef struct UserParts
{
	JsonbValue	email;
	JsonbValue	created_at;		/* create_date */
	JsonbValue	updated_at;		/* update_date */
	Member	   *user_metadata;
	int			nuser_metadata;
	Member	   *app_metadata;
	int			napp_metadata;
} UserParts;

static bool
key_is(const JsonbValue *key, const char *name)
{
	return key->val.string.len == (int) strlen(name) &&
		memcmp(key->val.string.val, name, key->val.string.len) == 0;
}

/*
 * Sort the members of profile.  Its "id" is the token's user, shown as
 * text, and login_count is not shown; name fields and the custom fields
 * registered updatable are user_metadata; any other member, a custom field
 * not updatable or what a post_profile hook added, is app_metadata: the
 * user cannot change it.  Connected to SPI (the fields' registry).
 */
static void
sort_profile(Jsonb *profile, UserParts *parts)
{
	JsonbIterator *it = JsonbIteratorInit(&profile->root);
	JsonbIteratorToken token;
	Member		member;
	int			count = JB_ROOT_IS_OBJECT(profile) ? JB_ROOT_COUNT(profile) : 0;

	parts->email.type = parts->created_at.type = parts->updated_at.type = jbvNull;
	parts->user_metadata = palloc(sizeof(Member) * (count + 1));
	parts->app_metadata = palloc(sizeof(Member) * (count + 1));
	parts->nuser_metadata = parts->napp_metadata = 0;
	while ((token = JsonbIteratorNext(&it, &member.key, true)) != WJB_DONE)
	{
		if (token != WJB_KEY)
			continue;
		(void) JsonbIteratorNext(&it, &member.value, true);
		if (key_is(&member.key, "id") || key_is(&member.key, "login_count"))
			continue;
		else if (key_is(&member.key, "email"))
			parts->email = member.value;
		else if (key_is(&member.key, "create_date"))
			parts->created_at = member.value;
		else if (key_is(&member.key, "update_date"))
			parts->updated_at = member.value;
		else if (authoob_field_updatable(member.key.val.string.val, member.key.val.string.len))
			parts->user_metadata[parts->nuser_metadata++] = member;
		else
			parts->app_metadata[parts->napp_metadata++] = member;
	}
}

/* A string as a JSON value: escaped, or null for NULL */
static void
append_string(StringInfo out, const char *value)
{
	if (value == NULL)
		appendStringInfoString(out, "null");
	else
		escape_json(out, value);
}

/* A value of the private user JSON, written as jsonb_out would write it */
static void
append_value(StringInfo out, const JsonbValue *value)
{
	switch (value->type)
	{
		case jbvString:
			escape_json(out, pnstrdup(value->val.string.val, value->val.string.len));
			break;
		case jbvNumeric:
			appendStringInfoString(out, DatumGetCString(DirectFunctionCall1(numeric_out,
																			 NumericGetDatum(value->val.numeric))));
			break;
		case jbvBool:
			appendStringInfoString(out, value->val.boolean ? "true" : "false");
			break;
		case jbvBinary:
			(void) JsonbToCString(out, value->val.binary.data, value->val.binary.len);
			break;
		default:
			appendStringInfoString(out, "null");
			break;
	}
}

/* Members of an object, each after ", " unless first; *first follows */
static void
append_members(StringInfo out, const Member *members, int count, bool *first)
{
	for (int i = 0; i < count; i++)
	{
		if (!*first)
			appendStringInfoString(out, ", ");
		*first = false;
		append_value(out, &members[i].key);
		appendStringInfoString(out, ": ");
		append_value(out, &members[i].value);
	}
}

static bool
has_key(const Member *members, int count, const JsonbValue *key)
{
	for (int i = 0; i < count; i++)
		if (members[i].key.val.string.len == key->val.string.len &&
			memcmp(members[i].key.val.string.val, key->val.string.val, key->val.string.len) == 0)
			return true;
	return false;
}

static bool
has_member(const Member *members, int count, Jsonb *stored, const char *key)
{
	for (int i = 0; i < count; i++)
		if (key_is(&members[i].key, key))
			return true;
	return stored != NULL && authoob_object_value(stored, key) != NULL;
}

/*
 * The members of a stored metadata object (NULL: none) whose keys the
 * given members do not take
 */
static void
append_stored_members(StringInfo out, Jsonb *stored, const Member *taken, int ntaken,
					  bool *first)
{
	JsonbIterator *it;
	JsonbIteratorToken token;
	Member		member;

	if (stored == NULL || !JB_ROOT_IS_OBJECT(stored))
		return;
	it = JsonbIteratorInit(&stored->root);
	while ((token = JsonbIteratorNext(&it, &member.key, true)) != WJB_DONE)
	{
		if (token != WJB_KEY)
			continue;
		(void) JsonbIteratorNext(&it, &member.value, true);
		if (!has_key(taken, ntaken, &member.key))
			append_members(out, &member, 1, first);
	}
}

/*
 * user_metadata: the name fields and updatable custom fields that are set
 * (their columns: P/profile's fields), then the free-form members the
 * user stored (PUT G/user's data), which cannot take a field's name.
 */
static void
append_user_metadata(StringInfo out, const UserParts *parts, Jsonb *stored)
{
	bool		first = true;

	appendStringInfoChar(out, '{');
	for (int i = 0; i < parts->nuser_metadata; i++)
		if (parts->user_metadata[i].value.type != jbvNull)
			append_members(out, &parts->user_metadata[i], 1, &first);
	append_stored_members(out, stored, parts->user_metadata, parts->nuser_metadata, &first);
	appendStringInfoChar(out, '}');
}

/*
 * app_metadata: its members (exposed custom fields the user may not
 * change, what a hook added), what the server stored (app_metadata), and
 * where none of them takes the name (they win, as in jsonb's ||), the
 * provider and the user's roles (read by key on the active snapshot:
 * rows.c)
 */
static void
append_app_metadata(StringInfo out, int64 user_id, const UserParts *parts, Jsonb *stored,
					bool anonymous, const char *providers)
{
	bool		first = true;
	/* "email" first (the address's identity is the oldest), then providers' */
	char	   *all = anonymous ? pstrdup(providers[0] ? providers + 2 : "")
		: psprintf("\"email\"%s", providers);
	char	   *comma = strchr(all, ',');

	appendStringInfoChar(out, '{');
	append_members(out, parts->app_metadata, parts->napp_metadata, &first);
	append_stored_members(out, stored, parts->app_metadata, parts->napp_metadata, &first);
	/*
	 * the first of the user's providers, and all of them, as GoTrue's
	 * UpdateAppMetaDataProviders writes them; an anonymous user without
	 * any has none, as GoTrue's signup.go leaves it
	 */
	if (all[0] != '\0' &&
		!has_member(parts->app_metadata, parts->napp_metadata, stored, "provider"))
	{
		appendStringInfo(out, "%s\"provider\": %.*s", first ? "" : ", ",
						 comma ? (int) (comma - all) : (int) strlen(all), all);
		first = false;
	}
	if (all[0] != '\0' &&
		!has_member(parts->app_metadata, parts->napp_metadata, stored, "providers"))
	{
		appendStringInfo(out, "%s\"providers\": [%s]", first ? "" : ", ", all);
		first = false;
	}
	if (!has_member(parts->app_metadata, parts->napp_metadata, stored, "roles"))
	{
		int			nroles;
		text	  **roles = authoob_user_role_names(user_id, &nroles);

		appendStringInfoString(out, first ? "\"roles\": [" : ", \"roles\": [");
		for (int i = 0; i < nroles; i++)
		{
			if (i > 0)
				appendStringInfoString(out, ", ");
			escape_json(out, text_to_cstring(roles[i]));
		}
		appendStringInfoChar(out, ']');
	}
	appendStringInfoChar(out, '}');
}

/*
 * A timestamp as a member of an object, as to_jsonb writes its value, after
 * ", "; nothing when it is not set (Go's omitempty, as Supabase Auth
 * writes its users)
 */
static void
append_time_member(StringInfo out, const char *key, bool set, TimestampTz value)
{
	if (set)
		appendStringInfo(out, ", \"%s\": \"%s\"", key,
						 JsonEncodeDateTime(NULL, TimestampTzGetDatum(value), TIMESTAMPTZOID, NULL));
}

/* A value written once, for the places it appears in */
static char *
value_json(const JsonbValue *value)
{
	StringInfoData out;

	initStringInfo(&out);
	append_value(&out, value);
	return out.data;
}

/*
 * The id Supabase Auth's clients know the user by, as tokens' sub: the
 * uuid with jwt_sub 'uuid' (a database not yet updated has none), else the
 * numeric id as text
 */
static char *
user_object_id(int64 user_id, const AuthoobUserDates *dates, const AuthoobSettings *settings)
{
	if (AUTHOOB_SUB_IS_UUID(settings) && dates->has_uuid)
		return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&dates->uuid)));
	return psprintf(INT64_FORMAT, user_id);
}

/*
 * The user's identities at identity providers (docs/identity-providers.md),
 * each as ", {...}" in GoTrue's models.Identity shape: its id is the
 * provider's subject, identity_data what the provider said; and their
 * providers, each once, as ", \"name\"", in the order the user got them
 * (GoTrue's FindProvidersByUser).
 */
static AuthoobQuery user_identities = AUTHOOB_QUERY(
	"SELECT coalesce(string_agg(', ' || jsonb_build_object('identity_id', i.id, 'id', i.subject,"
	" 'user_id', $2::text, 'identity_data', i.claims, 'provider', i.provider,"
	" 'last_sign_in_at', i.last_sign_in_at, 'created_at', i.created_at, 'updated_at', i.updated_at,"
	" 'email', i.email)::text, '' ORDER BY i.created_at, i.id), ''),"
	" coalesce((SELECT string_agg(', ' || to_jsonb(f.provider)::text, '' ORDER BY f.since, f.provider)"
	" FROM (SELECT j.provider, min(j.created_at) AS since FROM authoob.identities j"
	" WHERE j.user_id = $1 GROUP BY j.provider) f), '')"
	" FROM authoob.identities i WHERE i.user_id = $1",
	2, INT8OID, TEXTOID);

/*
 * Those identities as text, and their providers; none in a database still
 * at 0.2
 */
static char *
provider_identities(int64 user_id, const char *id, const AuthoobSettings *settings,
					char **providers)
{
	Datum		values[2] = {Int64GetDatum(user_id), CStringGetTextDatum(id)};

	*providers = "";
	/*
	 * the schema of 0.3 (settings->mfa says it) has authoob.identities; the
	 * statement only for a user who has some (most have none: GET G/user
	 * asks this every time)
	 */
	if (!settings->mfa || !authoob_rows_exist(AUTHOOB_TABLE_IDENTITIES, values[0]))
		return "";
	authoob_run(&user_identities, values, NULL, true);
	*providers = authoob_result_text(2);
	return authoob_result_text(1);
}

/*
 * Supabase Auth's user object of user_id, as JSON text, its keys in the
 * order and with the omissions of GoTrue's (models.User, models.Identity):
 * from profile, the user's private JSON as GET P/profile answers it
 * (sort_profile), and what only the user's row and roles hold, when the
 * address was confirmed and the last sign-in (dates), the metadata, the
 * roles.  Written as text rather than built as jsonb, which would sort its
 * keys and escape every one of them again on the way out: that was more
 * work than all the rest of GET G/user.  Writes nothing.  Connected to
 * SPI.
 */
static char *
user_object(int64 user_id, Jsonb *profile, const AuthoobUserDates *dates,
			const AuthoobSettings *settings)
{
	StringInfoData out;
	UserParts	parts;
	char	   *id = user_object_id(user_id, dates, settings);
	char	   *email;
	char	   *created_at;
	char	   *updated_at;
	Jsonb	   *user_metadata;
	Jsonb	   *app_metadata;
	char	   *factors;
	char	   *identities;
	char	   *providers;
	bool		anonymous;

	sort_profile(profile, &parts);
	authoob_user_metadata(user_id, &user_metadata, &app_metadata);
	/* no address: an anonymous user, whose email GoTrue writes "" */
	anonymous = parts.email.type == jbvNull;
	email = anonymous ? "\"\"" : value_json(&parts.email);
	created_at = value_json(&parts.created_at);
	updated_at = value_json(&parts.updated_at);
	initStringInfo(&out);
	appendStringInfo(&out, "{\"id\": \"%s\", \"aud\": ", id);
	append_string(&out, settings->jwt_audience);
	appendStringInfoString(&out, ", \"role\": ");
	append_string(&out, settings->jwt_role);
	appendStringInfo(&out, ", \"email\": %s", email);
	/* an anonymous user's confirmed_at lets it in under require_activation: no address to show */
	append_time_member(&out, "email_confirmed_at", dates->confirmed && !anonymous,
					   dates->confirmed_at);
	appendStringInfoString(&out, ", \"phone\": \"\"");
	append_time_member(&out, "confirmed_at", dates->confirmed && !anonymous, dates->confirmed_at);
	append_time_member(&out, "last_sign_in_at", dates->signed_in, dates->last_sign_in_at);
	identities = provider_identities(user_id, id, settings, &providers);
	appendStringInfoString(&out, ", \"app_metadata\": ");
	append_app_metadata(&out, user_id, &parts, app_metadata, anonymous, providers);
	appendStringInfoString(&out, ", \"user_metadata\": ");
	append_user_metadata(&out, &parts, user_metadata);
	/* left out while there are none, as GoTrue's omitempty does */
	factors = authoob_factors_json(user_id, settings);
	if (strcmp(factors, "[]") != 0)
		appendStringInfo(&out, ", \"factors\": %s", factors);
	/*
	 * one identity, the address: its id is the user's, as GoTrue's
	 * provider_id (an anonymous user has none); then the providers'
	 */
	if (anonymous)
		appendStringInfo(&out, ", \"identities\": [%s]", identities[0] ? identities + 2 : "");
	else
	{
		appendStringInfo(&out, ", \"identities\": [{\"identity_id\": \"%s\", \"id\": \"%s\","
						 " \"user_id\": \"%s\", \"identity_data\": {\"email\": %s,"
						 " \"email_verified\": %s, \"phone_verified\": false, \"sub\": \"%s\"},"
						 " \"provider\": \"email\"",
						 id, id, id, email, dates->confirmed ? "true" : "false", id);
		append_time_member(&out, "last_sign_in_at", dates->signed_in, dates->last_sign_in_at);
		appendStringInfo(&out, ", \"created_at\": %s, \"updated_at\": %s, \"email\": %s}%s]",
						 created_at, updated_at, email, identities);
	}
	appendStringInfo(&out, ", \"created_at\": %s, \"updated_at\": %s, \"is_anonymous\": %s}",
					 created_at, updated_at, anonymous ? "true" : "false");
	return out.data;
}

/*
 * SQL function: authoob_gotrue_user(token text) returns json
 *
 * GET G/user: GET P/profile's work, done once (the token verified, the
 * pre_profile and post_profile hooks), its answer as Supabase Auth's user
 * object.  Writes nothing: a standby may answer it.
 */
Datum
authoob_gotrue_user(PG_FUNCTION_ARGS)
{
	AuthoobSettings *settings;
	int64		user_id;
	AuthoobUserDates dates;
	Datum		profile;
	char	   *user;

	authoob_connect_spi();
	settings = authoob_load_settings();
	profile = authoob_token_profile(authoob_text_arg(fcinfo, 0), settings, &user_id, &dates);
	user = user_object(user_id, DatumGetJsonbP(profile), &dates, settings);
	PG_RETURN_DATUM(authoob_finish_spi(CStringGetTextDatum(user), false));
}

/*
 * SQL function: authoob_gotrue_user_json(user_id bigint) returns jsonb
 *
 * The user object of the dialect's other answers (a session's "user", a
 * sign-up, PUT G/user), written by the same hand from the private user
 * JSON without the profile hooks, as the calling statement sees the user.
 * NULL for no such user.  Owner only.
 */
Datum
authoob_gotrue_user_json(PG_FUNCTION_ARGS)
{
	int64		user_id = PG_GETARG_INT64(0);
	AuthoobUserDates dates;
	char	   *user;

	authoob_connect_spi();
	if (!authoob_user_dates(user_id, &dates))
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	user = user_object(user_id, DatumGetJsonbP(authoob_private_user_json_read(user_id)),
					   &dates, authoob_load_settings());
	PG_RETURN_DATUM(authoob_finish_spi(DirectFunctionCall1(jsonb_in, CStringGetDatum(user)),
									   false));
}

/*
 * SQL function: authoob_grant_session_of(user_id bigint, client_ip inet,
 *   method text, provider text) returns jsonb
 *
 * A new refreshable session of an active user and the token endpoint's
 * answer, for a sign-in its caller has proved otherwise (a mailed token,
 * a PKCE code, a sign-up, an identity provider), counted as a sign-in
 * (last_sign_in_at); method ("otp", "magiclink", "oauth" with the
 * provider's name; NULL: "password") is its tokens' amr.  Owner only:
 * whoever may call it may sign in as anyone.
 */
Datum
authoob_grant_session_of(PG_FUNCTION_ARGS)
{
	AuthoobSettings *settings;
	int64		user_id;
	bool		confirmed;

	if (PG_ARGISNULL(0))
		authoob_user_not_found();
	user_id = PG_GETARG_INT64(0);
	authoob_connect_spi();
	settings = authoob_load_settings();
	if (!authoob_active_user(user_id, &confirmed))
		authoob_user_not_found();
	/* as a sign-in with the password: told only to who proved the address */
	if (settings->require_activation && !confirmed)
		authoob_not_activated();
	/* whatever proved who it is: a ban holds until it ends */
	if (authoob_user_banned(user_id))
		authoob_user_banned_error("User is banned");
	authoob_track_sign_in(user_id, PG_GETARG_DATUM(1), PG_ARGISNULL(1), NULL);
	PG_RETURN_DATUM(authoob_finish_spi(authoob_grant_session(user_id, PG_GETARG_DATUM(1),
															 PG_ARGISNULL(1), NULL,
															 PG_NARGS() > 2 ?
															 authoob_text_arg(fcinfo, 2) : NULL,
															 PG_NARGS() > 3 ?
															 authoob_text_arg(fcinfo, 3) : NULL,
															 settings),
									   false));
}

/*
 * SQL function: authoob_check_client_throttle(client_ip inet) returns void
 *
 * 429 when the client is blocked from signing in (the per-IP budget of
 * failures that authoob_attempt records for P/token), for the sign-ins
 * written in SQL that do not pass through authoob_token_grant (the PKCE
 * exchange), so that guessing there meets the same limit.  Owner only.
 */
Datum
authoob_check_client_throttle(PG_FUNCTION_ARGS)
{
	authoob_connect_spi();
	authoob_check_throttle(NULL, "ip", PG_GETARG_DATUM(0), PG_ARGISNULL(0),
						   authoob_load_settings());
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * SQL function: authoob_count_sign_up(client_ip inet) returns void
 *
 * An anonymous sign-in, which hashes no password, spends what a
 * registration spends of the client's budget (client_hashes_per_window,
 * docs/security.md), so that one client makes no more users one way than
 * the other: 429 when it is spent, else one more counted.  Registrations
 * turned off (disable_signup): 422 signup_disabled, after the limit as
 * GoTrue's anonymous.go.  Owner only.
 */
Datum
authoob_count_sign_up(PG_FUNCTION_ARGS)
{
	AuthoobSettings *settings;

	authoob_connect_spi();
	settings = authoob_load_settings();
	authoob_check_hash_budget(NULL, PG_GETARG_DATUM(0), PG_ARGISNULL(0), settings);
	if (settings->disable_signup)
		authoob_signup_disabled();
	authoob_count_hash(NULL, PG_GETARG_DATUM(0), PG_ARGISNULL(0), settings);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * SQL function: authoob_activate_user(token text, client_ip inet) returns bigint
 *
 * The mailed token of verify, type signup: activates as POST P/activate
 * does and returns the user's id, for the caller to sign the user in.  Only
 * the first use of a token signs in: an account already active is 409 even
 * when already_activated answers.  Owner only: authoob_attempt counts its
 * failures (through authoob_gotrue_verify).
 */
Datum
authoob_activate_user(PG_FUNCTION_ARGS)
{
	Jsonb	   *answer;
	bool		was_active = false;
	int64		user_id;

	authoob_connect_spi();
	user_id = authoob_activate_token(authoob_text_arg(fcinfo, 0), PG_GETARG_DATUM(1),
									 PG_ARGISNULL(1), authoob_load_settings(),
									 &answer, &was_active);
	if (was_active)
		authoob_already_active();
	SPI_finish();
	PG_RETURN_INT64(user_id);
}

static AuthoobQuery spend_reset = AUTHOOB_QUERY(
	"UPDATE authoob.mail_tokens SET used_at = now() WHERE token_hash = $1",
	1, BYTEAOID);

/*
 * SQL function: authoob_spend_reset_token(token text, client_ip inet) returns bigint
 *
 * The mailed reset token of verify, type recovery: looked up and limited
 * as P/password/reset/token does it, spent, and its user's id returned,
 * for the caller to sign the user in and set a new password with that
 * session.  Owner only: authoob_attempt counts its failures (through
 * authoob_gotrue_verify).
 */
Datum
authoob_spend_reset_token(PG_FUNCTION_ARGS)
{
	const char *token = authoob_text_arg(fcinfo, 0);
	int64		user_id;
	Datum		hash;

	authoob_connect_spi();
	user_id = authoob_reset_token_user(token, PG_GETARG_DATUM(1), PG_ARGISNULL(1),
									   authoob_load_settings());
	hash = PointerGetDatum(authoob_mail_token_hash(token));
	authoob_run(&spend_reset, &hash, NULL, false);
	authoob_fire_hook(HOOK_POST_RESET_TOKEN,
					  &(AuthoobHookArgs) {.user_id = user_id, .token = token});
	SPI_finish();
	PG_RETURN_INT64(user_id);
}

static AuthoobQuery pending_change_of = AUTHOOB_QUERY(
	"SELECT user_id FROM authoob.mail_tokens WHERE kind = 'email_change'"
	" AND lower(new_email) = lower($1) AND used_at IS NULL AND expires_at > now()"
	" ORDER BY created_at DESC LIMIT 1",
	1, TEXTOID);

static AuthoobQuery spend_code_token = AUTHOOB_QUERY(
	"UPDATE authoob.mail_tokens SET used_at = now() WHERE token_hash = $1",
	1, BYTEAOID);

static AuthoobQuery confirm_by_code = AUTHOOB_QUERY(
	"UPDATE authoob.users SET confirmed_at = now(), update_date = now()"
	" WHERE id = $1 AND confirmed_at IS NULL",
	1, INT8OID);

/*
 * A magic link or its code confirms an account as its address's owner
 * takes it: whatever was set on it before the address was proved (a
 * password someone chose at a sign-up, an identity whose provider did not
 * verify the address, sessions) was not necessarily theirs, and goes, so
 * that nobody who registered the address first keeps a way in.
 */
static AuthoobQuery confirm_by_magic_link = AUTHOOB_QUERY(
	"WITH claimed AS ("
	" UPDATE authoob.users SET confirmed_at = now(), update_date = now(), password = '!'"
	" WHERE id = $1 AND confirmed_at IS NULL RETURNING id),"
	" unproved_identities AS (DELETE FROM authoob.identities"
	" WHERE user_id IN (SELECT id FROM claimed)),"
	" earlier_sessions AS (DELETE FROM authoob.sessions"
	" WHERE user_id IN (SELECT id FROM claimed))"
	" SELECT count(*) FROM claimed",
	1, INT8OID);

/*
 * SQL function: authoob_confirm_by_magic_link(user_id bigint) returns void
 *
 * The account confirmed by its magic link (spent by a PKCE exchange), as
 * above.  Owner only.
 */
Datum
authoob_confirm_by_magic_link(PG_FUNCTION_ARGS)
{
	Datum		arg = PG_GETARG_DATUM(0);

	authoob_connect_spi();
	authoob_run(&confirm_by_magic_link, &arg, NULL, false);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * SQL function: authoob_spend_mail_code(type text, email text, code text,
 *   client_ip inet) returns bigint
 *
 * verify with the 6-digit code of a mail (Supabase Auth's verifyOtp with
 * an email and a token): type signup or invite is the newest activation
 * mail's, recovery the newest reset mail's, magiclink the newest magic
 * link mail's, email any of them.  A magic link's code proves the address
 * as an activation does (post_otp_verify fires).  The code spends its
 * token (the link of the same mail no longer works, and the other way
 * round); a signup code activates the account (post_activate fires), and
 * the user's id is returned for the caller to sign in.  A code is guessed
 * as a password is: the address's and the client's limits block it (429),
 * and authoob_attempt counts a wrong one (403 otp_expired) against both,
 * so that a million codes cannot be tried; the right one ends the
 * address's run of failures, as a sign-in does.  Owner only.
 */
Datum
authoob_spend_mail_code(PG_FUNCTION_ARGS)
{
	const char *type = authoob_text_arg(fcinfo, 0);
	const char *email = authoob_text_arg(fcinfo, 1);
	const char *code = authoob_text_arg(fcinfo, 2);
	/* the kinds of mail token with a code, activation's first */
	static const char *const kinds[] = {"activation", "reset", "magiclink", "email_change"};
	/* type email: any but an address change's */
	const int	email_kinds = 3;
	/* the kind the type names; NULL: email */
	const char *wanted = type == NULL || strcmp(type, "email") == 0 ? NULL :
		strcmp(type, "email_change") == 0 ? "email_change" : authoob_link_kind(type);
	AuthoobSettings *settings;
	int64		user_id;
	bytea	   *hash = NULL;
	bool		activation = false;
	bool		magic_link = false;
	bool		confirmed = false;
	int			first_kind = 0;
	Datum		arg;

	if (type == NULL || email == NULL || code == NULL ||
		(wanted == NULL && strcmp(type, "email") != 0))
		authoob_wrong_code();
	authoob_connect_spi();
	settings = authoob_load_settings();
	authoob_check_throttle(authoob_throttle_key(email), "ip", PG_GETARG_DATUM(3),
						   PG_ARGISNULL(3), settings);
	user_id = authoob_active_user_by_email(email);
	/*
	 * An address change's code comes with the new address only, so that
	 * its wrong guesses count against that address, which no sign-in of
	 * the asking account clears.
	 */
	if (strcmp(type, "email_change") == 0)
	{
		bool		isnull;

		arg = CStringGetTextDatum(email);
		user_id = authoob_run(&pending_change_of, &arg, NULL, false) == 1 ?
			DatumGetInt64(authoob_result_datum(1, &isnull)) : 0;
	}
	/* an activation code proves nothing once the account is confirmed */
	if (user_id != 0 && authoob_active_user(user_id, &confirmed) && confirmed)
		first_kind = 1;
	for (int i = first_kind; user_id != 0 && hash == NULL && i < (int) lengthof(kinds); i++)
		if (wanted == NULL ? i < email_kinds : strcmp(wanted, kinds[i]) == 0)
		{
			hash = authoob_match_mail_code(user_id, kinds[i], code, settings);
			activation = (i == 0);
			magic_link = (i == 2);
		}
	if (hash == NULL)
		authoob_wrong_code();

	arg = PointerGetDatum(hash);
	authoob_run(&spend_code_token, &arg, NULL, false);
	authoob_forget_failures(authoob_throttle_key(email));
	arg = Int64GetDatum(user_id);
	if (magic_link)
	{
		authoob_run(&confirm_by_magic_link, &arg, NULL, false);
		authoob_fire_hook(HOOK_POST_OTP_VERIFY, &(AuthoobHookArgs) {.user_id = user_id});
	}
	else if (activation && authoob_run(&confirm_by_code, &arg, NULL, false) == 1)
		authoob_fire_hook(HOOK_POST_ACTIVATE, &(AuthoobHookArgs) {.user_id = user_id});
	SPI_finish();
	PG_RETURN_INT64(user_id);
}

/*
 * The user of the mailed token (argument 0, from the client at argument
 * 1) that find (by the token's hash, locking its row) finds, limited as
 * mailed tokens are (the client's guesses), or 404; *hash receives the
 * token's hash.  Connects to SPI.
 */
static int64
mailed_token_user(FunctionCallInfo fcinfo, AuthoobQuery *find, Datum *hash)
{
	bool		isnull;

	authoob_connect_spi();
	authoob_check_throttle(NULL, "token", PG_GETARG_DATUM(1), PG_ARGISNULL(1),
						   authoob_load_settings());
	*hash = PointerGetDatum(authoob_mail_token_hash(authoob_text_arg(fcinfo, 0)));
	if (authoob_run(find, hash, NULL, false) != 1)
		authoob_no_token_match();
	return DatumGetInt64(authoob_result_datum(1, &isnull));
}

static AuthoobQuery find_magic_link = AUTHOOB_QUERY(
	"SELECT t.user_id FROM authoob.mail_tokens t"
	" JOIN authoob.users u ON u.id = t.user_id"
	" WHERE t.token_hash = $1 AND t.kind = 'magiclink' AND t.used_at IS NULL"
	" AND t.expires_at > now() AND u.active"
	" FOR UPDATE OF t",
	1, BYTEAOID);

/*
 * SQL function: authoob_magic_link_user(token text, client_ip inet,
 *   spend boolean) returns bigint
 *
 * The user of a mailed magic link's token, looked up and limited as an
 * activation token is (the client's guesses: 404 otp_expired, counted by
 * authoob_attempt), or 404.  With spend, the token is spent, its user's
 * address confirmed (following the link proves it) and post_otp_verify
 * fires; without (the link's GET in the PKCE flow, which a mail scanner
 * may follow first), the token stays for the exchange to spend.  Owner
 * only.
 */
Datum
authoob_magic_link_user(PG_FUNCTION_ARGS)
{
	Datum		arg;
	int64		user_id = mailed_token_user(fcinfo, &find_magic_link, &arg);

	if (!PG_ARGISNULL(2) && PG_GETARG_BOOL(2))
	{
		authoob_run(&spend_code_token, &arg, NULL, false);
		arg = Int64GetDatum(user_id);
		authoob_run(&confirm_by_magic_link, &arg, NULL, false);
		authoob_fire_hook(HOOK_POST_OTP_VERIFY, &(AuthoobHookArgs) {.user_id = user_id});
	}
	SPI_finish();
	PG_RETURN_INT64(user_id);
}

/*
 * The request of Supabase Auth's dialect of the calling ask_for_flow
 * function: its flow (argument 2, NULL for none) and where its link leads
 * (argument 3)
 */
static AuthoobMailRequest *
dialect_request(FunctionCallInfo fcinfo)
{
	AuthoobMailRequest *asked = palloc0(sizeof(AuthoobMailRequest));

	asked->flow_id = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2);
	asked->gotrue = true;
	asked->redirect_to = authoob_text_arg(fcinfo, 3);
	return asked;
}

/*
 * SQL function: authoob_password_ask_for_flow(payload jsonb, client_ip inet,
 *   flow_id bigint, redirect_to text) returns boolean
 *
 * recover: P/password/ask, the mail the dialect's (its link to
 * redirect_to, and a code), its token bound to the PKCE flow flow_id that
 * the request started; whether a mail was asked for (false: the mail
 * interval held it back, and the flow owns nothing).  Owner only.
 */
Datum
authoob_password_ask_for_flow(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(authoob_ask_reset_mail(fcinfo, dialect_request(fcinfo)));
}

/*
 * SQL function: authoob_activation_ask_for_flow(payload jsonb, client_ip inet,
 *   flow_id bigint, redirect_to text) returns boolean
 *
 * resend, type signup: another activation mail, for the flow as recover
 * does.  Owner only.
 */
Datum
authoob_activation_ask_for_flow(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(authoob_ask_activation_mail(fcinfo, dialect_request(fcinfo)));
}

/*
 * SQL function: authoob_magic_link_ask_for_flow(payload jsonb, client_ip inet,
 *   flow_id bigint, redirect_to text) returns boolean
 *
 * otp: a magic link and its code, for the flow as recover does.  Owner
 * only.
 */
Datum
authoob_magic_link_ask_for_flow(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(authoob_ask_magic_link(fcinfo, dialect_request(fcinfo)));
}

/*
 * SQL function: authoob_link_code() returns text
 *
 * The one-time code a mailed link leads to the app with in the PKCE flow
 * (authoob_gotrue_verify_link): 256 random bits, base64url, drawn as mailed
 * tokens are so that in a sharded deployment it routes to this partition,
 * where POST G/token?grant_type=pkce spends it.  Owner only.
 */
Datum
authoob_link_code(PG_FUNCTION_ARGS)
{
	int			partition;
	int			partitions;
	char	   *code;

	authoob_connect_spi();
	authoob_partition(&partition, &partitions);
	code = authoob_random_token_in(32, partition, partitions);
	PG_RETURN_DATUM(authoob_finish_spi(CStringGetTextDatum(code), false));
}

static AuthoobQuery user_email = AUTHOOB_QUERY(
	"SELECT email FROM authoob.users WHERE id = $1",
	1, INT8OID);

static AuthoobQuery email_of_another = AUTHOOB_QUERY(
	"SELECT lower($1), EXISTS (SELECT 1 FROM authoob.users WHERE lower(email) = lower($1) AND id <> $2)",
	2, TEXTOID, INT8OID);

/*
 * SQL function: authoob_email_change_ask(token text, email text,
 *   gotrue boolean, redirect_to text, nonce text) returns boolean
 *
 * A signed-in user asks to change their address to email: at aal2 when
 * they have a verified factor and with the reauthentication nonce under
 * secure_password_change (as for a password change), pre_email_change
 * first; an address that is another account's is 409 (Supabase Auth's 422
 * email_exists, as GoTrue tells it to a signed-in user); in a sharded
 * deployment, an address that routes to another partition is 422.  The
 * new address
 * gets a link and a code (in Supabase Auth's shape with gotrue, its link
 * to redirect_to), the old one a notice; nothing changes until the new
 * address is confirmed (authoob_email_change_user).  Whether a change was
 * asked (false: the address is the user's already).  Owner only.
 */
Datum
authoob_email_change_ask(PG_FUNCTION_ARGS)
{
	const char *token = authoob_text_arg(fcinfo, 0);
	char	   *email = authoob_text_arg(fcinfo, 1);
	const char *key = "email";
	AuthoobSettings *settings;
	AuthoobMailRequest dialect = {.gotrue = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2)};
	pg_uuid_t	session;
	int64		user_id;
	char	   *current;
	char	   *lowered;
	Datum		args[2];
	bool		isnull;
	int			partition;
	int			partitions;

	authoob_connect_spi();
	settings = authoob_load_settings();
	user_id = authoob_verify_token(token, &session, settings);
	if (email == NULL || !authoob_email_is_valid(email))
		authoob_invalid_email();
	args[0] = Int64GetDatum(user_id);
	authoob_run(&user_email, args, NULL, false);
	current = authoob_result_text(1);
	if (current && pg_strcasecmp(current, email) == 0)
	{
		SPI_finish();
		PG_RETURN_BOOL(false);
	}
	authoob_require_aal2(&session, AAL_TO_CHANGE, settings);
	/* a confirmed new address opens a password reset: the same proof */
	authoob_check_reauthentication(user_id, &session, authoob_text_arg(fcinfo, 4), settings);
	authoob_fire_hook(HOOK_PRE_EMAIL_CHANGE, &(AuthoobHookArgs) {.user_id = user_id,
					  .payload = DatumGetJsonbP(authoob_jsonb_from_pairs(1, &key,
																		 (const char **) &email))});
	args[0] = CStringGetTextDatum(email);
	args[1] = Int64GetDatum(user_id);
	authoob_run(&email_of_another, args, NULL, false);
	lowered = authoob_result_text(1);
	if (DatumGetBool(authoob_result_datum(2, &isnull)))
		authoob_email_taken();
	/* sharded: an address lives where the proxy routes it, its user too */
	authoob_partition(&partition, &partitions);
	if (!authoob_token_in_partition(lowered, partition, partitions))
		authoob_email_elsewhere();
	dialect.redirect_to = authoob_text_arg(fcinfo, 3);
	authoob_send_email_change(user_id, email, current != NULL && *current != '\0',
							  &dialect, settings);
	SPI_finish();
	PG_RETURN_BOOL(true);
}

static AuthoobQuery find_email_change = AUTHOOB_QUERY(
	"SELECT t.user_id FROM authoob.mail_tokens t"
	" JOIN authoob.users u ON u.id = t.user_id"
	" WHERE t.token_hash = $1 AND t.kind = 'email_change' AND t.used_at IS NULL"
	" AND t.expires_at > now() AND u.active"
	" FOR UPDATE OF t",
	1, BYTEAOID);

/*
 * SQL function: authoob_email_change_user(token text, client_ip inet)
 *   returns bigint
 *
 * The user of an address change's mailed token, the token spent (its
 * address is made the user's by authoob_apply_email_change, in the same
 * transaction), limited as mailed tokens are; 404 for no match.  Owner
 * only: authoob_attempt counts its failures.
 */
Datum
authoob_email_change_user(PG_FUNCTION_ARGS)
{
	Datum		arg;
	int64		user_id = mailed_token_user(fcinfo, &find_email_change, &arg);

	authoob_run(&spend_code_token, &arg, NULL, false);
	SPI_finish();
	PG_RETURN_INT64(user_id);
}

/*
 * SQL function: authoob_email_change_again_for_flow(payload jsonb,
 *   client_ip inet, flow_id bigint, redirect_to text) returns boolean
 *
 * resend, type email_change: another mail of the change the address's
 * account waits for, asked as the other resends are.  Owner only.
 */
Datum
authoob_email_change_again_for_flow(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(authoob_ask_email_change_again(fcinfo, dialect_request(fcinfo)));
}

/*
 * SQL function: authoob_gotrue_mail_link(user_id bigint, type text,
 *   redirect_to text, send boolean) returns jsonb
 *
 * A link of Supabase Auth's verification type (signup, invite, recovery, magiclink)
 * for the user, to redirect_to, and its code: mailed when send (an
 * invitation), else handed out (the admin's generate_link).  Answers what
 * GoTrue's generate_link adds to the user: action_link, email_otp (the
 * code), hashed_token (the link's token, which verifyOtp takes as
 * token_hash), verification_type, redirect_to.  400 for a type authoob
 * makes no link of.  Owner only: whoever holds the link may sign in as
 * the user.
 */
Datum
authoob_gotrue_mail_link(PG_FUNCTION_ARGS)
{
	static const char *keys[] = {
		"action_link", "email_otp", "hashed_token", "verification_type", "redirect_to"
	};
	const char *type = authoob_text_arg(fcinfo, 1);
	const char *redirect_to = authoob_text_arg(fcinfo, 2);
	AuthoobMail made;
	const char *values[lengthof(keys)];

	if (authoob_link_kind(type) == NULL)
		authoob_bad_link_type(type);
	if (PG_ARGISNULL(0))
		authoob_user_not_found();
	authoob_connect_spi();
	(void) authoob_gotrue_link(PG_GETARG_INT64(0), type, redirect_to,
							   !PG_ARGISNULL(3) && PG_GETARG_BOOL(3), &made,
							   authoob_load_settings());
	values[0] = made.link;
	values[1] = made.code;
	values[2] = made.token;
	values[3] = type;
	values[4] = redirect_to ? redirect_to : "";
	PG_RETURN_DATUM(authoob_finish_spi(authoob_jsonb_from_pairs(lengthof(keys), keys, values),
									   false));
}
