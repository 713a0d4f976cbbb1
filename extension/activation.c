/*
 * activation.c
 *		Mailed tokens: account activation and password recovery.
 *
 * A mailed token is 256 bits from pg_strong_random, base64url-encoded; only
 * its SHA-256 is stored, so a read of authoob.mail_tokens gives no usable
 * token.  Tokens expire, and are spent by their first successful use.
 */
#include "authoob.h"

#include "catalog/pg_type.h"
#include "common/sha2.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(authoob_activate);
PG_FUNCTION_INFO_V1(authoob_activate_redirect);
PG_FUNCTION_INFO_V1(authoob_password_ask);
PG_FUNCTION_INFO_V1(authoob_password_ask_0_2);
PG_FUNCTION_INFO_V1(authoob_mail_prepare);
PG_FUNCTION_INFO_V1(authoob_password_reset_token);

#define MAIL_TOKEN_BYTES 32
/* base64url of 32 bytes is 43 characters; anything much longer is not ours */
#define MAIL_TOKEN_MAX_LENGTH 64

static AuthoobQuery insert_mail_token = AUTHOOB_QUERY(
	"INSERT INTO authoob.mail_tokens (token_hash, kind, user_id, expires_at)"
	" VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
	4, BYTEAOID, TEXTOID, INT8OID, INT4OID);

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

static AuthoobQuery active_user_by_email = AUTHOOB_QUERY(
	"SELECT id FROM authoob.users WHERE lower(email) = lower($1) AND active",
	1, TEXTOID);

/*
 * At most one reset request per address per interval, counted for every
 * address asked about, known or not.  window_start holds the time of the
 * last request allowed.
 */
static AuthoobQuery ask_allowed = AUTHOOB_QUERY(
	"INSERT INTO authoob.throttle AS t (scope, key, consecutive, window_start)"
	" VALUES ('ask', $1, 1, now())"
	" ON CONFLICT ON CONSTRAINT throttle_pkey DO UPDATE SET"
	"  consecutive = t.consecutive + 1, last_failure_at = now(),"
	"  window_start = CASE WHEN t.window_start <= now() - make_interval(secs => $2)"
	"   THEN now() ELSE t.window_start END"
	" RETURNING window_start = now()",
	2, TEXTOID, INT4OID);

static AuthoobQuery insert_reset_request = AUTHOOB_QUERY(
	"INSERT INTO authoob.mail_requests (kind, email) VALUES ('reset', $1)",
	1, TEXTOID);

/* SKIP LOCKED: each request is taken by one of the mailers preparing */
static AuthoobQuery take_requests = AUTHOOB_QUERY(
	"DELETE FROM authoob.mail_requests WHERE id IN ("
	" SELECT id FROM authoob.mail_requests ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)"
	" RETURNING email",
	1, INT4OID);

/* FOR UPDATE: two resets with one token cannot both succeed */
static AuthoobQuery find_reset = AUTHOOB_QUERY(
	"SELECT t.user_id FROM authoob.mail_tokens t"
	" JOIN authoob.users u ON u.id = t.user_id"
	" WHERE t.token_hash = $1 AND t.kind = 'reset' AND t.used_at IS NULL"
	" AND t.expires_at > now() AND u.active"
	" FOR UPDATE OF t",
	1, BYTEAOID);

static bytea *
token_hash(const char *token)
{
	bytea	   *hash = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	authoob_sha256(token, strlen(token), (uint8 *) VARDATA(hash));
	SET_VARSIZE(hash, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	return hash;
}

/*
 * Make and store a mailed token of kind for user_id, valid ttl seconds;
 * returns the token itself, which exists nowhere else but in the mail.
 */
static char *
new_mail_token(const char *kind, int64 user_id, int ttl)
{
	uint8		random[MAIL_TOKEN_BYTES];
	char	   *token;
	Datum		args[4];

	if (!pg_strong_random(random, sizeof(random)))
		elog(ERROR, "authoob: could not generate a random token");
	token = authoob_base64url_encode(random, sizeof(random));

	args[0] = PointerGetDatum(token_hash(token));
	args[1] = CStringGetTextDatum(kind);
	args[2] = Int64GetDatum(user_id);
	args[3] = Int32GetDatum(ttl);
	authoob_run(&insert_mail_token, args, NULL, false);
	return token;
}

/*
 * At register: an activation token, and its mail with the link
 * api_url + prefix + /activate/<token>.  The caller is connected to SPI.
 */
void
authoob_send_activation(int64 user_id, const AuthoobSettings *settings)
{
	char	   *token;

	authoob_require_setting(settings->api_url, "api_url");
	token = new_mail_token("activation", user_id, settings->activation_ttl);
	authoob_queue_mail("activation", user_id,
					   psprintf("%s%s/activate/%s", settings->api_url,
								settings->prefix, token),
					   settings);
}

static void
no_token_match(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_NOT_FOUND),
			 errmsg("No token match")));
}

/* The stored hash of a mailed token from a request, or 404 */
static bytea *
mail_token_arg(const char *token)
{
	if (token == NULL || *token == '\0' || strlen(token) > MAIL_TOKEN_MAX_LENGTH)
		no_token_match();
	return token_hash(token);
}

/*
 * Activate the account of the token argument; returns its user id.  404 for
 * no match, 409 when already active, unless the already_activated hook
 * answers instead (*answer); 429 when the client IP guessed too often.
 */
static int64
activate(FunctionCallInfo fcinfo, const AuthoobSettings *settings, Jsonb **answer)
{
	const char *token = authoob_text_arg(fcinfo, 0);
	Datum		args[2];
	bool		isnull;
	int64		user_id;
	bool		confirmed;

	*answer = NULL;
	authoob_check_throttle(NULL, "token", PG_GETARG_DATUM(1), PG_ARGISNULL(1), settings);
	authoob_fire_hook(HOOK_PRE_ACTIVATE, &(AuthoobHookArgs) {.token = token});
	args[1] = PointerGetDatum(mail_token_arg(token));
	if (authoob_run(&find_activation, &args[1], NULL, false) != 1)
		no_token_match();
	user_id = DatumGetInt64(authoob_result_datum(1, &isnull));
	confirmed = DatumGetBool(authoob_result_datum(2, &isnull));
	if (confirmed)
	{
		*answer = authoob_fire_hook(HOOK_ALREADY_ACTIVATED,
									&(AuthoobHookArgs) {.user_id = user_id});
		if (*answer)
			return user_id;
		ereport(ERROR,
				(errcode(ERRCODE_AUTHOOB_CONFLICT),
				 errmsg("Unable to activate"),
				 errdetail("The account is already active.")));
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
	(void) activate(fcinfo, authoob_load_settings(), &answer);
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
	user_id = activate(fcinfo, settings, &answer);
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

/* The reset mail of one request, if its address is an active account's */
static void
prepare_reset_mail(void *arg)
{
	const char *email = arg;
	AuthoobSettings *settings = authoob_load_settings();
	Datum		address = CStringGetTextDatum(email);
	bool		isnull;
	int64		user_id;
	char	   *token;
	StringInfoData link;

	if (authoob_run(&active_user_by_email, &address, NULL, false) != 1)
		return;
	user_id = DatumGetInt64(authoob_result_datum(1, &isnull));
	authoob_require_setting(settings->app_url, "app_url");
	token = new_mail_token("reset", user_id, settings->reset_ttl);
	initStringInfo(&link);
	appendStringInfo(&link, "%s%creset_password_token=%s", settings->app_url,
					 strchr(settings->app_url, '?') ? '&' : '?', token);
	authoob_queue_mail("reset", user_id, link.data, settings);
}

/*
 * password/ask: at most one request per address every reset_mail_interval
 * seconds.  Always NULL (204), for an unknown address too.  0.2 records
 * the request as it is, the same work whether or not the address belongs
 * to an account, so that neither the answer nor its time tells who is
 * registered; authoob_mail_prepare() (which every mailer's claim runs)
 * makes the reset mail of an account's request, or drops it.  Until its
 * database is updated, 0.1's entry point makes the mail at once, as 0.1 did.
 */
static Datum
password_ask(FunctionCallInfo fcinfo, bool record_request)
{
	Jsonb	   *payload = authoob_payload_arg(fcinfo, 0);
	char	   *email;
	AuthoobSettings *settings;
	Datum		args[2];
	bool		isnull;
	int64		user_id = 0;

	authoob_connect_spi();
	settings = authoob_load_settings();
	authoob_require_setting(settings->app_url, "app_url");
	authoob_fire_hook(HOOK_PRE_ASK_RESET, &(AuthoobHookArgs) {.payload = payload});
	email = authoob_payload_string(payload, "email", true, NULL);

	args[0] = CStringGetTextDatum(authoob_throttle_key(email));
	args[1] = Int32GetDatum(settings->reset_mail_interval);
	authoob_run(&ask_allowed, args, NULL, false);
	if (DatumGetBool(authoob_result_datum(1, &isnull)))
	{
		if (record_request)
		{
			args[0] = CStringGetTextDatum(email);
			authoob_run(&insert_reset_request, args, NULL, false);
			authoob_notify_mailers();
		}
		else
			prepare_reset_mail(email);
	}

	/* user is null for an unknown address; 204: no body to replace */
	if (authoob_hook_registered(HOOK_POST_ASK_RESET))
	{
		args[0] = CStringGetTextDatum(email);
		if (authoob_run(&active_user_by_email, args, NULL, false) == 1)
			user_id = DatumGetInt64(authoob_result_datum(1, &isnull));
		authoob_fire_hook(HOOK_POST_ASK_RESET,
						  &(AuthoobHookArgs) {.user_id = user_id, .payload = payload});
	}
	SPI_finish();
	PG_RETURN_NULL();
}

/* SQL function (0.2): authoob_password_ask(payload text|jsonb, client_ip inet) returns jsonb */
Datum
authoob_password_ask_0_2(PG_FUNCTION_ARGS)
{
	return password_ask(fcinfo, true);
}

/* SQL function (0.1): authoob_password_ask(payload text|jsonb, client_ip inet) returns jsonb */
Datum
authoob_password_ask(PG_FUNCTION_ARGS)
{
	return password_ask(fcinfo, false);
}

/*
 * SQL function: authoob_mail_prepare(max_requests integer) returns integer
 *
 * Turns up to max_requests recorded password/ask requests into reset mails
 * (for the addresses of active accounts) and forgets them all; returns how
 * many it took.  authoob_mail_claim() runs it first, so that mailers send
 * what was asked; SKIP LOCKED lets several run side by side.  A request
 * whose mail cannot be made (a mail_ask_reset_password hook that raises)
 * is dropped with a warning in the server log: the request that asked for
 * it answered long ago.
 */
Datum
authoob_mail_prepare(PG_FUNCTION_ARGS)
{
	int32		max_requests = PG_ARGISNULL(0) ? 100 : PG_GETARG_INT32(0);
	Datum		arg = Int32GetDatum(max_requests > 0 ? max_requests : 0);
	uint64		nrequests;
	SPITupleTable *requests;

	authoob_connect_spi();
	nrequests = authoob_run(&take_requests, &arg, NULL, false);
	requests = SPI_tuptable;
	for (uint64 i = 0; i < nrequests; i++)
	{
		char	   *email = SPI_getvalue(requests->vals[i], requests->tupdesc, 1);
		ErrorData  *error = authoob_try(prepare_reset_mail, email);

		if (error)
			ereport(WARNING,
					(errmsg("authoob: no reset mail made for a password/ask request: %s",
							error->message)));
	}
	SPI_finish();
	PG_RETURN_INT32((int32) nrequests);
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
	char	   *password1;
	char	   *password2;
	AuthoobSettings *settings;
	Datum		args[1];
	bool		isnull;
	int64		user_id;

	if (*token == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
				 errmsg("Missing data"),
				 errdetail("The field \"token\" is empty.")));

	authoob_connect_spi();
	settings = authoob_load_settings();
	authoob_check_throttle(NULL, "token", PG_GETARG_DATUM(1), PG_ARGISNULL(1), settings);
	authoob_fire_hook(HOOK_PRE_RESET_TOKEN, &(AuthoobHookArgs) {.token = token});
	args[0] = PointerGetDatum(mail_token_arg(token));
	if (authoob_run(&find_reset, args, NULL, false) != 1)
		no_token_match();
	user_id = DatumGetInt64(authoob_result_datum(1, &isnull));

	password1 = authoob_payload_string(payload, "password1", true, NULL);
	password2 = authoob_payload_string(payload, "password2", true, NULL);
	if (strcmp(password1, password2) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
				 errmsg("Password mismatch")));
	authoob_check_password_policy(password1, settings);

	authoob_set_password(user_id, authoob_hash_password(password1, settings));
	/* 204: no body to replace */
	authoob_fire_hook(HOOK_POST_RESET_TOKEN,
					  &(AuthoobHookArgs) {.user_id = user_id, .token = token});
	SPI_finish();
	PG_RETURN_NULL();
}
