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
	char	   *token;
	Datum		args[4];
	int			partition;
	int			partitions;

	authoob_partition(&partition, &partitions);
	token = authoob_random_token_in(MAIL_TOKEN_BYTES, partition, partitions);

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

/*
 * A reset token for the active account of email, if there is one, and its
 * mail with the link app_url?reset_password_token=<token>.  Connected to
 * SPI.  (A void * argument, to run under authoob_try.)
 */
void
authoob_send_reset(void *email)
{
	AuthoobSettings *settings = authoob_load_settings();
	int64		user_id = authoob_active_user_by_email(email);
	char	   *token;
	StringInfoData link;

	if (user_id == 0)
		return;
	authoob_require_setting(settings->app_url, "app_url");
	token = new_mail_token("reset", user_id, settings->reset_ttl);
	initStringInfo(&link);
	appendStringInfo(&link, "%s%creset_password_token=%s", settings->app_url,
					 strchr(settings->app_url, '?') ? '&' : '?', token);
	authoob_queue_mail("reset", user_id, link.data, settings);
}

/*
 * Another activation mail, for the active account of email if it has not
 * followed its link yet (a resend); nothing for any other address.
 * Connected to SPI.  (A void * argument, to run under authoob_try.)
 */
void
authoob_send_activation_again(void *email)
{
	AuthoobSettings *settings = authoob_load_settings();
	int64		user_id = authoob_active_user_by_email(email);
	bool		confirmed;

	if (user_id == 0 || !authoob_active_user(user_id, &confirmed) || confirmed)
		return;
	authoob_send_activation(user_id, settings);
}

/* The stored hash of a mailed token from a request, or 404 */
bytea *
authoob_mail_token_hash(const char *token)
{
	if (token == NULL || *token == '\0' || strlen(token) > MAIL_TOKEN_MAX_LENGTH)
		authoob_no_token_match();
	return token_hash(token);
}
