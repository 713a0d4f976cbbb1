/*
 * recovery.c
 *		SQL entry points of password recovery: POST P/password/ask, the
 *		mailers' authoob_mail_prepare(), PUT P/password/reset/token; the
 *		asks and the reset token's lookup, which Supabase Auth's recover,
 *		resend and verify (gotrue.c) run too.
 */
#include "authoob.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

/*
 * At most one reset request per address per interval, counted for every
 * address asked about, known or not.  window_start holds the time of the
 * last request allowed.
 */
PG_FUNCTION_INFO_V1(authoob_password_ask);
PG_FUNCTION_INFO_V1(authoob_password_ask_0_2);
PG_FUNCTION_INFO_V1(authoob_mail_prepare);
PG_FUNCTION_INFO_V1(authoob_mail_prepare_0_3);
PG_FUNCTION_INFO_V1(authoob_password_reset_token);
PG_FUNCTION_INFO_V1(authoob_activation_ask);
PG_FUNCTION_INFO_V1(authoob_otp_ask);

static AuthoobQuery ask_allowed = AUTHOOB_QUERY(
	"INSERT INTO authoob.throttle AS t (scope, key, consecutive, window_start)"
	" VALUES ('ask', $1, 1, now())"
	" ON CONFLICT ON CONSTRAINT throttle_pkey DO UPDATE SET"
	"  consecutive = t.consecutive + 1, last_failure_at = now(),"
	"  window_start = CASE WHEN t.window_start <= now() - make_interval(secs => $2)"
	"   THEN now() ELSE t.window_start END"
	" RETURNING window_start = now()",
	2, TEXTOID, INT4OID);

static AuthoobQuery insert_mail_request = AUTHOOB_QUERY(
	"INSERT INTO authoob.mail_requests (kind, email) VALUES ($2, $1)",
	2, TEXTOID, TEXTOID);

/*
 * flow_id, gotrue and redirect_to are columns since 0.3: only 0.3's entry
 * points (Supabase Auth's dialect) pass them
 */
static AuthoobQuery insert_dialect_mail_request = AUTHOOB_QUERY(
	"INSERT INTO authoob.mail_requests (kind, email, flow_id, gotrue, redirect_to, signup)"
	" VALUES ($2, $1, $3, $4, $5, $6::jsonb)",
	6, TEXTOID, TEXTOID, INT8OID, BOOLOID, TEXTOID, TEXTOID);

/* SKIP LOCKED: each request is taken by one of the mailers preparing */
static AuthoobQuery take_requests = AUTHOOB_QUERY(
	"DELETE FROM authoob.mail_requests WHERE id IN ("
	" SELECT id FROM authoob.mail_requests ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)"
	" RETURNING email, kind",
	1, INT4OID);

/* the same, with the flow of each request (0.3) */
static AuthoobQuery take_flow_requests = AUTHOOB_QUERY(
	"DELETE FROM authoob.mail_requests WHERE id IN ("
	" SELECT id FROM authoob.mail_requests ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)"
	" RETURNING email, kind, flow_id, gotrue, redirect_to, signup",
	1, INT4OID);

/* FOR UPDATE: two resets with one token cannot both succeed */
static AuthoobQuery find_reset = AUTHOOB_QUERY(
	"SELECT t.user_id FROM authoob.mail_tokens t"
	" JOIN authoob.users u ON u.id = t.user_id"
	" WHERE t.token_hash = $1 AND t.kind = 'reset' AND t.used_at IS NULL"
	" AND t.expires_at > now() AND u.active"
	" FOR UPDATE OF t",
	1, BYTEAOID);

/*
 * Every ask counts against its client (scope ask_ip, asks_per_window per
 * ip_window), whatever the address: one client asking about made-up
 * addresses would otherwise fill authoob.mail_requests and hold the real
 * reset mails back.  Over the budget, 429.  The function runs as the
 * extension's owner, who may record.  Connected to SPI.
 */
static void
count_ask(FunctionCallInfo fcinfo, const AuthoobSettings *settings)
{
	if (PG_ARGISNULL(1))
		return;
	authoob_check_throttle(NULL, "ask_ip", PG_GETARG_DATUM(1), false, settings);
	if (!settings->throttle)
		return;
	authoob_record_throttle("ask_ip", authoob_client_key(PG_GETARG_DATUM(1), settings),
							settings);
}

/*
 * Records a request for a mail of kind to email, for the mailers'
 * authoob_mail_prepare(), with what a request of Supabase Auth's dialect
 * adds (dialect: its flow, its redirect_to; NULL for authoob's own), and
 * wakes the mailers.  Connected to SPI.
 */
static void
record_mail_request(const char *email, const char *kind, const AuthoobMailRequest *dialect)
{
	Datum		args[6];
	char		nulls[6] = {' ', ' ', 'n', ' ', 'n', 'n'};

	args[0] = CStringGetTextDatum(email);
	args[1] = CStringGetTextDatum(kind);
	if (dialect == NULL)
	{
		authoob_run(&insert_mail_request, args, NULL, false);
		authoob_notify_mailers();
		return;
	}
	args[2] = Int64GetDatum(dialect->flow_id);
	nulls[2] = dialect->flow_id ? ' ' : 'n';
	args[3] = BoolGetDatum(dialect->gotrue);
	args[4] = dialect->redirect_to ? CStringGetTextDatum(dialect->redirect_to) : (Datum) 0;
	nulls[4] = dialect->redirect_to ? ' ' : 'n';
	args[5] = dialect->signup ? CStringGetTextDatum(dialect->signup) : (Datum) 0;
	nulls[5] = dialect->signup ? ' ' : 'n';
	authoob_run(&insert_dialect_mail_request, args, nulls, false);
	authoob_notify_mailers();
}

/*
 * password/ask: at most one request per address every reset_mail_interval
 * seconds.  0.2 records the request as it is, the same work whether or
 * not the address belongs to an account, so that neither the answer nor
 * its time tells who is registered; authoob_mail_prepare() (which every
 * mailer's claim runs) makes the reset mail of an account's request, or
 * drops it, as dialect asks (NULL: authoob's own mail).  Until its database is
 * updated, 0.1's entry point makes the mail at once, as 0.1 did.  Returns
 * whether the request was allowed (recorded, or its mail made).
 */
static bool
password_ask(FunctionCallInfo fcinfo, bool record_request, const AuthoobMailRequest *dialect)
{
	Jsonb	   *payload = authoob_payload_arg(fcinfo, 0);
	char	   *email;
	AuthoobSettings *settings;
	Datum		args[2];
	bool		isnull;
	bool		allowed;
	int64		user_id = 0;

	authoob_connect_spi();
	settings = authoob_load_settings();
	authoob_require_setting(settings->app_url, "app_url");
	authoob_fire_hook(HOOK_PRE_ASK_RESET, &(AuthoobHookArgs) {.payload = payload});
	email = authoob_payload_string(payload, "email", true, NULL);
	if (record_request)
		count_ask(fcinfo, settings);

	args[0] = CStringGetTextDatum(authoob_throttle_key(email));
	args[1] = Int32GetDatum(settings->reset_mail_interval);
	authoob_run(&ask_allowed, args, NULL, false);
	allowed = DatumGetBool(authoob_result_datum(1, &isnull));
	if (allowed && record_request)
		record_mail_request(email, "reset", dialect);
	else if (allowed)
		authoob_send_reset(&(AuthoobMailRequest) {.email = email});

	/* user is null for an unknown address; 204: no body to replace */
	if (authoob_hook_registered(HOOK_POST_ASK_RESET))
	{
		user_id = authoob_active_user_by_email(email);
		authoob_fire_hook(HOOK_POST_ASK_RESET,
						  &(AuthoobHookArgs) {.user_id = user_id, .payload = payload});
	}
	SPI_finish();
	return allowed;
}

/*
 * SQL function (0.2): authoob_password_ask(payload text|jsonb, client_ip inet) returns jsonb
 *
 * Always NULL (204), for an unknown address too.
 */
Datum
authoob_password_ask_0_2(PG_FUNCTION_ARGS)
{
	password_ask(fcinfo, true, NULL);
	PG_RETURN_NULL();
}

/* SQL function (0.1): authoob_password_ask(payload text|jsonb, client_ip inet) returns jsonb */
Datum
authoob_password_ask(PG_FUNCTION_ARGS)
{
	password_ask(fcinfo, false, NULL);
	PG_RETURN_NULL();
}

/*
 * password/ask for the arguments (payload, client_ip) of the calling SQL
 * function, for a request of Supabase Auth's dialect (its flow and
 * redirect_to); whether a mail was asked for (false: the mail interval
 * held it back).
 */
bool
authoob_ask_reset_mail(FunctionCallInfo fcinfo, const AuthoobMailRequest *dialect)
{
	return password_ask(fcinfo, true, dialect);
}

/*
 * A magic link asked with create_user while otp_signup is on: the request
 * may make the account of an unknown address (authoob_send_magic_link), so
 * it is a registration for the client's limits (client_hashes_per_window,
 * as authoob_count_sign_up counts an anonymous sign-in) and for
 * disable_signup, whoever's address it is: neither the answer nor the work
 * tells whether the address is known.  The user_metadata of the new user,
 * the request's "data" (an object of at most 16 kB), is returned as JSON.
 * Connected to SPI.
 */
static char *
sign_up_by_code(FunctionCallInfo fcinfo, Jsonb *payload, const AuthoobSettings *settings)
{
	JsonbValue *data = authoob_object_value(payload, "data");
	char	   *metadata = "{}";

	if (data && data->type != jbvNull)
	{
		Jsonb	   *object = JsonbValueToJsonb(data);

		if (!JB_ROOT_IS_OBJECT(object) || JB_ROOT_IS_SCALAR(object))
			authoob_invalid_value("data", "An object.");
		metadata = JsonbToCString(NULL, &object->root, VARSIZE(object));
		if (strlen(metadata) > 16384)
			authoob_invalid_value("data", "At most 16384 bytes of JSON.");
	}
	authoob_check_hash_budget(NULL, PG_GETARG_DATUM(1), PG_ARGISNULL(1), settings);
	if (settings->disable_signup)
		authoob_otp_signup_disabled();
	authoob_count_hash(NULL, PG_GETARG_DATUM(1), PG_ARGISNULL(1), settings);
	return metadata;
}

/*
 * {"email"}: another activation mail, for an account that has not followed
 * its link (Supabase Auth's resend), or a magic link (kind "magiclink":
 * P/otp, Supabase Auth's otp).  Asked as password/ask asks, with its
 * limits (every ask counted against its client; one mail per address
 * and kind every reset_mail_interval seconds), the same work whether the
 * address is an account's or not; the mailers' authoob_mail_prepare()
 * makes the mail, as dialect asks (NULL: authoob's own mail), or drops
 * the request.  A magic link's ask fires pre_otp and post_otp (whose user
 * is null for an unknown address).  Returns whether the request was
 * recorded.
 */
static bool
mail_ask(FunctionCallInfo fcinfo, const char *kind, const AuthoobMailRequest *dialect)
{
	Jsonb	   *payload = authoob_payload_arg(fcinfo, 0);
	bool		magic_link = strcmp(kind, "magiclink") == 0;
	AuthoobMailRequest asked = {0};
	char	   *email;
	AuthoobSettings *settings;
	Datum		args[2];
	bool		isnull;
	bool		allowed;

	authoob_connect_spi();
	settings = authoob_load_settings();
	authoob_require_setting(settings->api_url, "api_url");
	if (dialect)
		asked = *dialect;
	if (magic_link)
		authoob_fire_hook(HOOK_PRE_OTP, &(AuthoobHookArgs) {.payload = payload});
	email = authoob_payload_string(payload, "email", true, NULL);
	if (magic_link && settings->otp_signup && authoob_jsonb_is_true(payload, "create_user"))
		asked.signup = sign_up_by_code(fcinfo, payload, settings);
	count_ask(fcinfo, settings);
	/* each kind its own interval: a reset mail asked before does not hold it back */
	args[0] = CStringGetTextDatum(psprintf("%s %s", kind, authoob_throttle_key(email)));
	args[1] = Int32GetDatum(settings->reset_mail_interval);
	authoob_run(&ask_allowed, args, NULL, false);
	allowed = DatumGetBool(authoob_result_datum(1, &isnull));
	if (allowed)
		record_mail_request(email, kind, asked.signup || dialect ? &asked : NULL);
	if (magic_link && authoob_hook_registered(HOOK_POST_OTP))
		authoob_fire_hook(HOOK_POST_OTP,
						  &(AuthoobHookArgs) {.user_id = authoob_active_user_by_email(email),
						  .payload = payload});
	SPI_finish();
	return allowed;
}

static bool
activation_ask(FunctionCallInfo fcinfo, const AuthoobMailRequest *dialect)
{
	return mail_ask(fcinfo, "activation", dialect);
}

/*
 * SQL function: authoob_activation_ask(payload text, client_ip inet) returns jsonb
 *
 * Always NULL, whoever's address it is.
 */
Datum
authoob_activation_ask(PG_FUNCTION_ARGS)
{
	activation_ask(fcinfo, NULL);
	PG_RETURN_NULL();
}

/* activation_ask, for the calling SQL function's arguments, as authoob_ask_reset_mail */
bool
authoob_ask_activation_mail(FunctionCallInfo fcinfo, const AuthoobMailRequest *dialect)
{
	return activation_ask(fcinfo, dialect);
}

/* another address change mail (resend), as authoob_ask_reset_mail */
bool
authoob_ask_email_change_again(FunctionCallInfo fcinfo, const AuthoobMailRequest *dialect)
{
	return mail_ask(fcinfo, "email_change", dialect);
}

/* a magic link's ask, for the calling SQL function's arguments, as authoob_ask_reset_mail */
bool
authoob_ask_magic_link(FunctionCallInfo fcinfo, const AuthoobMailRequest *dialect)
{
	return mail_ask(fcinfo, "magiclink", dialect);
}

/*
 * SQL function: authoob_otp_ask(payload text, client_ip inet) returns jsonb
 *
 * POST P/otp {"email"}: a magic link and a 6-digit code to the address if
 * it is an account's.  Always NULL (204), whoever's address it is.
 */
Datum
authoob_otp_ask(PG_FUNCTION_ARGS)
{
	mail_ask(fcinfo, "magiclink", NULL);
	PG_RETURN_NULL();
}

/*
 * Turns up to max_requests recorded password/ask requests into reset mails
 * (and activation asks into activation mails) for the addresses of active
 * accounts, and forgets them all; returns how many it took.  with_flows
 * (0.3): each request's PKCE flow goes to the token of its mail, and a
 * request of Supabase Auth's dialect gets that dialect's mail.  A
 * request whose mail cannot be made (a mail_ask_reset_password hook that
 * raises) is dropped with a warning in the server log: the request that
 * asked for it answered long ago.
 */
static int32
mail_prepare(FunctionCallInfo fcinfo, bool with_flows)
{
	int32		max_requests = PG_ARGISNULL(0) ? 100 : PG_GETARG_INT32(0);
	Datum		arg = Int32GetDatum(max_requests > 0 ? max_requests : 0);
	uint64		nrequests;
	SPITupleTable *requests;

	authoob_connect_spi();
	nrequests = authoob_run(with_flows ? &take_flow_requests : &take_requests, &arg, NULL, false);
	requests = SPI_tuptable;
	for (uint64 i = 0; i < nrequests; i++)
	{
		HeapTuple	row = requests->vals[i];
		char	   *kind = SPI_getvalue(row, requests->tupdesc, 2);
		AuthoobMailRequest asked = {.email = SPI_getvalue(row, requests->tupdesc, 1)};
		ErrorData  *error;

		if (with_flows)
		{
			bool		isnull;
			Datum		flow_id = SPI_getbinval(row, requests->tupdesc, 3, &isnull);

			if (!isnull)
				asked.flow_id = DatumGetInt64(flow_id);
			asked.gotrue = DatumGetBool(SPI_getbinval(row, requests->tupdesc, 4, &isnull));
			asked.redirect_to = SPI_getvalue(row, requests->tupdesc, 5);
			asked.signup = SPI_getvalue(row, requests->tupdesc, 6);
		}
		error = authoob_try(strcmp(kind, "activation") == 0 ? authoob_send_activation_again :
							strcmp(kind, "magiclink") == 0 ? authoob_send_magic_link :
							strcmp(kind, "email_change") == 0 ? authoob_send_email_change_again :
							authoob_send_reset,
							&asked);
		if (error)
			ereport(WARNING,
					(errmsg("authoob: no reset mail made for a password/ask request: %s",
							error->message)));
	}
	SPI_finish();
	return (int32) nrequests;
}

/*
 * SQL function (0.2): authoob_mail_prepare(max_requests integer) returns integer
 *
 * The recorded requests into mails (mail_prepare); authoob_mail_claim()
 * runs it first, so that mailers send what was asked; SKIP LOCKED lets
 * several run side by side.
 */
Datum
authoob_mail_prepare(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(mail_prepare(fcinfo, false));
}

/* SQL function (0.3): authoob_mail_prepare(max_requests integer) returns integer */
Datum
authoob_mail_prepare_0_3(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(mail_prepare(fcinfo, true));
}

/*
 * The user of a mailed reset token, looked up and limited as
 * P/password/reset/token does it (the client's guesses, pre_reset_token),
 * or 404.  Connected to SPI.
 */
int64
authoob_reset_token_user(const char *token, Datum client_ip, bool ip_isnull,
						 const AuthoobSettings *settings)
{
	Datum		hash;
	bool		isnull;

	authoob_check_throttle(NULL, "token", client_ip, ip_isnull, settings);
	authoob_fire_hook(HOOK_PRE_RESET_TOKEN, &(AuthoobHookArgs) {.token = token});
	hash = PointerGetDatum(authoob_mail_token_hash(token));
	if (authoob_run(&find_reset, &hash, NULL, false) != 1)
		authoob_no_token_match();
	return DatumGetInt64(authoob_result_datum(1, &isnull));
}

/*
 * SQL function: authoob_password_reset_token(payload text|jsonb, client_ip inet)
 *   returns jsonb
 *
 * {"token", "password1", "password2"}: the password of the token's user
 * changes, the token is spent and every earlier JWT of the user revoked.
 * As in the original, the token is looked up first: one that matches
 * nothing is 404 whatever the passwords; then the passwords are checked
 * as PUT P/reset_password checks them.
 */
Datum
authoob_password_reset_token(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload = authoob_payload_arg(fcinfo, 0);
	char	   *token = authoob_payload_string(payload, "token", true, NULL);
	AuthoobSettings *settings;
	int64		user_id;

	if (*token == '\0')
		authoob_missing_data("The field \"token\" is empty.");

	authoob_connect_spi();
	settings = authoob_load_settings();
	user_id = authoob_reset_token_user(token, PG_GETARG_DATUM(1), PG_ARGISNULL(1), settings);

	authoob_set_password(user_id, authoob_new_password_hash(payload, settings));
	/* 204: no body to replace */
	authoob_fire_hook(HOOK_POST_RESET_TOKEN,
					  &(AuthoobHookArgs) {.user_id = user_id, .token = token});
	SPI_finish();
	PG_RETURN_NULL();
}
