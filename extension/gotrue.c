/*
 * gotrue.c
 *		Supabase Auth's dialect (README "Supabase users"), what of it is C:
 *		GET G/user and the user object of its answers, and the steps its
 *		SQL functions (sql/gotrue/) take that authoob's own routes do not.
 *
 * The dialect runs authoob's own routes' work (profile.c, activation.c,
 * recovery.c) and reshapes the answers; its errors are the contract's,
 * whose Supabase Auth error codes errors.c decides.
 */
#include "authoob.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/json.h"

PG_FUNCTION_INFO_V1(authoob_gotrue_user);
PG_FUNCTION_INFO_V1(authoob_gotrue_user_json);
PG_FUNCTION_INFO_V1(authoob_grant_session_of);
PG_FUNCTION_INFO_V1(authoob_check_client_throttle);
PG_FUNCTION_INFO_V1(authoob_activate_user);
PG_FUNCTION_INFO_V1(authoob_spend_reset_token);
PG_FUNCTION_INFO_V1(authoob_password_ask_for_flow);
PG_FUNCTION_INFO_V1(authoob_activation_ask_for_flow);
PG_FUNCTION_INFO_V1(authoob_link_code);

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

static void
push_member(JsonbParseState **state, const char *key, JsonbValue *value)
{
	authoob_push_key(state, key);
	pushJsonbValue(state, WJB_VALUE, value);
}

static void
push_members(JsonbParseState **state, Member *members, int count)
{
	for (int i = 0; i < count; i++)
	{
		pushJsonbValue(state, WJB_KEY, &members[i].key);
		pushJsonbValue(state, WJB_VALUE, &members[i].value);
	}
}

static void
push_bool(JsonbParseState **state, const char *key, bool value)
{
	JsonbValue	v = {.type = jbvBool, .val.boolean = value};

	push_member(state, key, &v);
}

static void
push_string_elem(JsonbParseState **state, const char *value, int len)
{
	JsonbValue	v = {.type = jbvString, .val.string = {len, (char *) value}};

	pushJsonbValue(state, WJB_ELEM, &v);
}

/* A timestamptz column of row as to_jsonb writes it, null for NULL */
static JsonbValue
timestamp_column(AuthoobRow *row, const char *column)
{
	bool		isnull;
	Datum		value = slot_getattr(row->slot, authoob_row_column(AUTHOOB_TABLE_USERS, column),
									 &isnull);
	JsonbValue	v = {.type = jbvNull};

	if (!isnull)
	{
		v.type = jbvString;
		v.val.string.val = JsonEncodeDateTime(NULL, value, TIMESTAMPTZOID, NULL);
		v.val.string.len = strlen(v.val.string.val);
	}
	return v;
}

/*
 * Supabase Auth's user object of user_id, from profile, the user's private
 * JSON as GET P/profile answers it (sort_profile), and what only the user's
 * row and roles hold: when the address was confirmed, the last sign-in,
 * the roles (in app_metadata).  NULL when there is no such user.  Reads by
 * key on the active snapshot (rows.c), and writes nothing.  Connected to
 * SPI.
 */
static Jsonb *
user_object(int64 user_id, Jsonb *profile, const AuthoobSettings *settings)
{
	AuthoobRow	row;
	JsonbValue	confirmed_at;
	JsonbValue	last_sign_in_at;
	UserParts	parts;
	text	  **roles;
	int			nroles;
	char	   *id = psprintf(INT64_FORMAT, user_id);
	JsonbParseState *state = NULL;

	if (!authoob_row_open(&row, AUTHOOB_TABLE_USERS, Int64GetDatum(user_id)))
		return NULL;
	confirmed_at = timestamp_column(&row, "confirmed_at");
	last_sign_in_at = timestamp_column(&row, "current_login_at");
	authoob_row_close(&row);
	roles = authoob_user_role_names(user_id, &nroles);
	sort_profile(profile, &parts);

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	authoob_push_key(&state, "id");
	authoob_push_string(&state, id);
	authoob_push_key(&state, "aud");
	authoob_push_string(&state, settings->jwt_audience);
	authoob_push_key(&state, "role");
	authoob_push_string(&state, settings->jwt_role);
	push_member(&state, "email", &parts.email);
	authoob_push_key(&state, "phone");
	authoob_push_string(&state, "");
	push_member(&state, "email_confirmed_at", &confirmed_at);
	push_member(&state, "confirmed_at", &confirmed_at);
	push_member(&state, "last_sign_in_at", &last_sign_in_at);

	/* a custom field named as one of these wins, as it did in SQL's || */
	authoob_push_key(&state, "app_metadata");
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	authoob_push_key(&state, "provider");
	authoob_push_string(&state, "email");
	authoob_push_key(&state, "providers");
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	push_string_elem(&state, "email", 5);
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	authoob_push_key(&state, "roles");
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < nroles; i++)
		push_string_elem(&state, VARDATA_ANY(roles[i]), VARSIZE_ANY_EXHDR(roles[i]));
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	push_members(&state, parts.app_metadata, parts.napp_metadata);
	pushJsonbValue(&state, WJB_END_OBJECT, NULL);

	authoob_push_key(&state, "user_metadata");
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_members(&state, parts.user_metadata, parts.nuser_metadata);
	pushJsonbValue(&state, WJB_END_OBJECT, NULL);

	/* one identity: the address */
	authoob_push_key(&state, "identities");
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	authoob_push_key(&state, "identity_id");
	authoob_push_string(&state, id);
	authoob_push_key(&state, "id");
	authoob_push_string(&state, id);
	authoob_push_key(&state, "user_id");
	authoob_push_string(&state, id);
	authoob_push_key(&state, "provider");
	authoob_push_string(&state, "email");
	push_member(&state, "email", &parts.email);
	authoob_push_key(&state, "identity_data");
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	authoob_push_key(&state, "sub");
	authoob_push_string(&state, id);
	push_member(&state, "email", &parts.email);
	push_bool(&state, "email_verified", confirmed_at.type != jbvNull);
	pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	push_member(&state, "created_at", &parts.created_at);
	push_member(&state, "updated_at", &parts.updated_at);
	push_member(&state, "last_sign_in_at", &last_sign_in_at);
	pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);

	authoob_push_key(&state, "factors");
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	push_bool(&state, "is_anonymous", false);
	push_member(&state, "created_at", &parts.created_at);
	push_member(&state, "updated_at", &parts.updated_at);
	return JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
}

/*
 * SQL function: authoob_gotrue_user(token text) returns jsonb
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
	Datum		profile;
	Jsonb	   *user;

	authoob_connect_spi();
	settings = authoob_load_settings();
	profile = authoob_token_profile(authoob_text_arg(fcinfo, 0), settings, &user_id);
	user = user_object(user_id, DatumGetJsonbP(profile), settings);
	if (user == NULL)
		authoob_token_refused("names a user that is gone");
	PG_RETURN_DATUM(authoob_finish_spi(JsonbPGetDatum(user), false));
}

/*
 * SQL function: authoob_gotrue_user_json(user_id bigint) returns jsonb
 *
 * The user object of the dialect's other answers (a session's "user", a
 * sign-up, PUT G/user): the same, from the private user JSON without the
 * profile hooks, as the calling statement sees the user.  NULL for no
 * such user.  Owner only.
 */
Datum
authoob_gotrue_user_json(PG_FUNCTION_ARGS)
{
	int64		user_id = PG_GETARG_INT64(0);
	AuthoobRow	row;
	Jsonb	   *user;

	authoob_connect_spi();
	if (!authoob_row_open(&row, AUTHOOB_TABLE_USERS, Int64GetDatum(user_id)))
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	authoob_row_close(&row);
	user = user_object(user_id, DatumGetJsonbP(authoob_private_user_json_read(user_id)),
					   authoob_load_settings());
	PG_RETURN_DATUM(authoob_finish_spi(JsonbPGetDatum(user), false));
}

/*
 * SQL function: authoob_grant_session_of(user_id bigint, client_ip inet) returns jsonb
 *
 * A new refreshable session of an active user and the token endpoint's
 * answer, for a sign-in its caller has proved otherwise (a mailed token,
 * a PKCE code).  Owner only: whoever may call it may sign in as anyone.
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
	PG_RETURN_DATUM(authoob_finish_spi(authoob_grant_session(user_id, PG_GETARG_DATUM(1),
															 PG_ARGISNULL(1), NULL, settings),
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

/*
 * SQL function: authoob_password_ask_for_flow(payload jsonb, client_ip inet,
 *   flow_id bigint) returns boolean
 *
 * recover: P/password/ask, the mail's token bound to the PKCE flow flow_id
 * that the request started; whether a mail was asked for (false: the mail
 * interval held it back, and the flow owns nothing).  Owner only.
 */
Datum
authoob_password_ask_for_flow(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(authoob_ask_reset_mail(fcinfo, PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2)));
}

/*
 * SQL function: authoob_activation_ask_for_flow(payload jsonb, client_ip inet,
 *   flow_id bigint) returns boolean
 *
 * resend, type signup: another activation mail, for the flow as recover
 * does.  Owner only.
 */
Datum
authoob_activation_ask_for_flow(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(authoob_ask_activation_mail(fcinfo, PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2)));
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
