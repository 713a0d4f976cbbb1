/*
 * mail_tokens.c
 *		Mailed tokens: what activation and reset mails carry.
 *
 * A mailed token is 256 bits from pg_strong_random, base64url-encoded (in a
 * sharded deployment, drawn until it routes to this partition); only its
 * SHA-256 is stored, so a read of authoob.mail_tokens gives no usable
 * token.  Tokens expire, and are spent by their first successful use.
 */
#include "authoob.h"

#include "catalog/pg_type.h"
#include "common/sha2.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#define MAIL_TOKEN_BYTES 32
/* base64url of 32 bytes is 43 characters; anything much longer is not ours */
#define MAIL_TOKEN_MAX_LENGTH 64

static AuthoobQuery insert_mail_token = AUTHOOB_QUERY(
	"INSERT INTO authoob.mail_tokens (token_hash, kind, user_id, expires_at)"
	" VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
	4, BYTEAOID, TEXTOID, INT8OID, INT4OID);

/* flow_id is a column since 0.3: only 0.3's entry points pass a flow */
static AuthoobQuery insert_flow_mail_token = AUTHOOB_QUERY(
	"INSERT INTO authoob.mail_tokens (token_hash, kind, user_id, expires_at, flow_id)"
	" VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)",
	5, BYTEAOID, TEXTOID, INT8OID, INT4OID, INT8OID);

static bytea *
token_hash(const char *token)
{
	bytea	   *hash = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	authoob_sha256(token, strlen(token), (uint8 *) VARDATA(hash));
	SET_VARSIZE(hash, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	return hash;
}

/*
 * Make and store a mailed token of kind for user_id, valid ttl seconds,
 * bound to the PKCE flow flow_id (0: none); returns the token itself,
 * which exists nowhere else but in the mail.
 */
static char *
new_mail_token(const char *kind, int64 user_id, int ttl, int64 flow_id)
{
	char	   *token;
	Datum		args[5];
	int			partition;
	int			partitions;

	authoob_partition(&partition, &partitions);
	token = authoob_random_token_in(MAIL_TOKEN_BYTES, partition, partitions);

	args[0] = PointerGetDatum(token_hash(token));
	args[1] = CStringGetTextDatum(kind);
	args[2] = Int64GetDatum(user_id);
	args[3] = Int32GetDatum(ttl);
	args[4] = Int64GetDatum(flow_id);
	authoob_run(flow_id != 0 ? &insert_flow_mail_token : &insert_mail_token,
				args, NULL, false);
	return token;
}

/*
 * An activation token bound to flow_id (0: none), and its mail with the
 * link api_url + prefix + /activate/<token>.  Connected to SPI.
 */
static void
send_activation(int64 user_id, int64 flow_id, const AuthoobSettings *settings)
{
	char	   *token;

	authoob_require_setting(settings->api_url, "api_url");
	token = new_mail_token("activation", user_id, settings->activation_ttl, flow_id);
	authoob_queue_mail("activation", user_id,
					   psprintf("%s%s/activate/%s", settings->api_url,
								settings->prefix, token),
					   settings);
}

/*
 * At register: the activation mail, of no flow (Supabase Auth's sign-up
 * binds its flow to the token in the same transaction).  The caller is
 * connected to SPI.
 */
void
authoob_send_activation(int64 user_id, const AuthoobSettings *settings)
{
	send_activation(user_id, 0, settings);
}

/*
 * A reset token for the active account of the request's email, if there
 * is one, and its mail with the link app_url?reset_password_token=<token>.
 * Connected to SPI.  (A void * argument, to run under authoob_try.)
 */
void
authoob_send_reset(void *request)
{
	const AuthoobMailRequest *asked = request;
	AuthoobSettings *settings = authoob_load_settings();
	int64		user_id = authoob_active_user_by_email(asked->email);
	char	   *token;
	StringInfoData link;

	if (user_id == 0)
		return;
	authoob_require_setting(settings->app_url, "app_url");
	token = new_mail_token("reset", user_id, settings->reset_ttl, asked->flow_id);
	initStringInfo(&link);
	appendStringInfo(&link, "%s%creset_password_token=%s", settings->app_url,
					 strchr(settings->app_url, '?') ? '&' : '?', token);
	authoob_queue_mail("reset", user_id, link.data, settings);
}

/*
 * Another activation mail, for the active account of the request's email
 * if it has not followed its link yet (a resend); nothing for any other
 * address.  Connected to SPI.  (A void * argument, to run under
 * authoob_try.)
 */
void
authoob_send_activation_again(void *request)
{
	const AuthoobMailRequest *asked = request;
	AuthoobSettings *settings = authoob_load_settings();
	int64		user_id = authoob_active_user_by_email(asked->email);
	bool		confirmed;

	if (user_id == 0 || !authoob_active_user(user_id, &confirmed) || confirmed)
		return;
	send_activation(user_id, asked->flow_id, settings);
}

/* The stored hash of a mailed token from a request, or 404 */
bytea *
authoob_mail_token_hash(const char *token)
{
	if (token == NULL || *token == '\0' || strlen(token) > MAIL_TOKEN_MAX_LENGTH)
		authoob_no_token_match();
	return token_hash(token);
}
