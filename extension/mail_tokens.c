/*
 * mail_tokens.c
 *		Mailed tokens: what activation and reset mails carry.
 *
 * A mailed token is 256 bits from pg_strong_random, base64url-encoded (in a
 * sharded deployment, drawn until it routes to this partition); only its
 * SHA-256 is stored, so a read of authoob.mail_tokens gives no usable
 * token.  Tokens expire, and are spent by their first successful use.  The
 * mails of Supabase Auth's dialect carry that dialect's link and a 6-digit
 * code beside the token, which verifies with the address (the token alone
 * names its user; a code does not).  Reauthentication mails a code alone,
 * a nonce that a password change then needs (secure_password_change).
 */
#include "authoob.h"

#include <ctype.h>

#include "catalog/pg_type.h"
#include "common/sha2.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#define MAIL_TOKEN_BYTES 32
/* base64url of 32 bytes is 43 characters; anything much longer is not ours */
#define MAIL_TOKEN_MAX_LENGTH 64
/* Supabase Auth's mails carry a code of this many digits beside the link */
#define MAIL_CODE_DIGITS 6

PG_FUNCTION_INFO_V1(authoob_mail_nonce);

/*
 * Whether a session signed in recently enough to change its password
 * without a nonce: within a day, GoTrue's window (user.go)
 */
static AuthoobQuery session_signed_in_recently = AUTHOOB_QUERY(
	"SELECT created_at > now() - interval '24 hours' FROM authoob.sessions WHERE jti = $1",
	1, UUIDOID);

/*
 * The user whose reauthentication nonce was just refused, for
 * authoob_attempt to count once the refusal has rolled back; 0: none
 */
static int64 refused_nonce_user = 0;

static AuthoobQuery spend_nonce = AUTHOOB_QUERY(
	"UPDATE authoob.mail_tokens SET used_at = now() WHERE token_hash = $1",
	1, BYTEAOID);

static AuthoobQuery insert_mail_token = AUTHOOB_QUERY(
	"INSERT INTO authoob.mail_tokens (token_hash, kind, user_id, expires_at)"
	" VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
	4, BYTEAOID, TEXTOID, INT8OID, INT4OID);

/*
 * flow_id is a column since 0.3, and so is code_hash: only 0.3's entry
 * points pass a flow or a code
 */
static AuthoobQuery insert_flow_mail_token = AUTHOOB_QUERY(
	"INSERT INTO authoob.mail_tokens (token_hash, kind, user_id, expires_at, flow_id, code_hash, new_email)"
	" VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5, $6, $7)",
	7, BYTEAOID, TEXTOID, INT8OID, INT4OID, INT8OID, BYTEAOID, TEXTOID);

/*
 * Only the newest code of a kind is valid (Supabase Auth keeps one): a new
 * code takes the older ones' away, so that none comes back when
 * housekeeping removes a newer, spent token
 */
static AuthoobQuery forget_older_codes = AUTHOOB_QUERY(
	"UPDATE authoob.mail_tokens SET code_hash = NULL"
	" WHERE user_id = $1 AND kind = $2 AND code_hash IS NOT NULL",
	2, INT8OID, TEXTOID);

/*
 * A code lives code_ttl seconds at most (Supabase Auth's MAILER_OTP_EXP),
 * less than its link when the link lives longer: six digits are guessed
 * sooner than 256 bits
 */
static AuthoobQuery newest_code = AUTHOOB_QUERY(
	"SELECT token_hash, code_hash, used_at IS NULL AND expires_at > now()"
	"  AND created_at > now() - make_interval(secs => $3)"
	" FROM authoob.mail_tokens WHERE user_id = $1 AND kind = $2 AND code_hash IS NOT NULL"
	" ORDER BY created_at DESC, token_hash LIMIT 1 FOR UPDATE",
	3, INT8OID, TEXTOID, INT4OID);

/* a new magic link ends the older ones of its user (spent, unused) */
static AuthoobQuery end_older_magic_links = AUTHOOB_QUERY(
	"UPDATE authoob.mail_tokens SET used_at = now()"
	" WHERE user_id = $1 AND kind = 'magiclink' AND used_at IS NULL",
	1, INT8OID);

static bytea *
token_hash(const char *token)
{
	bytea	   *hash = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	authoob_sha256(token, strlen(token), (uint8 *) VARDATA(hash));
	SET_VARSIZE(hash, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	return hash;
}

/*
 * What is kept of a code: an HMAC under the secret key, of the code after
 * its token's hash, so that a read of authoob.mail_tokens does not give
 * the codes away by trying the million of them, and two tokens' equal
 * codes are kept unlike.
 */
static bytea *
code_hash(const bytea *token_hash, const char *code, const AuthoobSettings *settings)
{
	bytea	   *hash = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	StringInfoData data;

	initStringInfo(&data);
	appendBinaryStringInfo(&data, VARDATA_ANY(token_hash), VARSIZE_ANY_EXHDR(token_hash));
	appendStringInfoString(&data, code);
	authoob_hmac_sha256(settings->secret_key, data.data, data.len, (uint8 *) VARDATA(hash));
	SET_VARSIZE(hash, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	return hash;
}

/*
 * Make and store a mailed token of kind for user_id, valid ttl seconds,
 * bound to the PKCE flow flow_id (0: none), for an address change to
 * new_email (NULL: none); returns the token itself,
 * which exists nowhere else but in the mail.  With code, a 6-digit code
 * too (*code), which proves the same as the token until the token is
 * spent or expires.
 */
static char *
new_mail_token(const char *kind, int64 user_id, int ttl, int64 flow_id, char **code,
			   const char *new_email, const AuthoobSettings *settings)
{
	char	   *token;
	Datum		args[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', flow_id ? ' ' : 'n', code ? ' ' : 'n',
	new_email ? ' ' : 'n'};
	int			partition;
	int			partitions;

	authoob_partition(&partition, &partitions);
	token = authoob_random_token_in(MAIL_TOKEN_BYTES, partition, partitions);

	args[0] = PointerGetDatum(token_hash(token));
	args[1] = CStringGetTextDatum(kind);
	args[2] = Int64GetDatum(user_id);
	args[3] = Int32GetDatum(ttl);
	args[4] = Int64GetDatum(flow_id);
	args[6] = new_email ? CStringGetTextDatum(new_email) : (Datum) 0;
	if (code)
	{
		Datum		owner[2] = {args[2], args[1]};

		authoob_run(&forget_older_codes, owner, NULL, false);
		*code = authoob_random_digits(MAIL_CODE_DIGITS);
		args[5] = PointerGetDatum(code_hash(DatumGetByteaPP(args[0]), *code, settings));
	}
	authoob_run(flow_id != 0 || code ? &insert_flow_mail_token : &insert_mail_token,
				args, nulls, false);
	return token;
}

/* text, percent-encoded but for RFC 3986's unreserved characters */
static void
append_url_escaped(StringInfo out, const char *text)
{
	for (const unsigned char *p = (const unsigned char *) text; *p; p++)
	{
		if (isalnum(*p) || strchr("-._~", *p))
			appendStringInfoChar(out, *p);
		else
			appendStringInfo(out, "%%%02X", *p);
	}
}

/*
 * Supabase Auth's link: api_url + gotrue_prefix +
 * /verify?token=<token>&type=<type>&redirect_to=<where>, as its mailer
 * writes it (the token is the token_hash verifyOtp takes).
 */
static char *
gotrue_link(const char *token, const char *type, const char *redirect_to,
			const AuthoobSettings *settings)
{
	StringInfoData link;

	authoob_require_setting(settings->api_url, "api_url");
	authoob_require_setting(settings->gotrue_prefix, "gotrue_prefix");
	initStringInfo(&link);
	appendStringInfo(&link, "%s%s/verify?token=%s&type=%s&redirect_to=", settings->api_url,
					 settings->gotrue_prefix, token, type);
	if (redirect_to)
		append_url_escaped(&link, redirect_to);
	return link.data;
}

/*
 * Supabase Auth's verification types that authoob's links carry, and the
 * kind of mailed token each makes: following the link, or giving its
 * code, proves what a token of that kind proves (an invitation's confirms
 * the address, as a sign-up's does).  The dialect's mails and the admin's
 * generate_link make their links from here (an address change's links
 * carry the new address: authoob_send_email_change makes them).
 */
typedef struct LinkType
{
	const char *type;
	const char *kind;
	AuthoobHook hook;			/* the mail hook that may replace its mail */
} LinkType;

static const LinkType link_types[] = {
	{"signup", "activation", HOOK_MAIL_REGISTER},
	{"invite", "activation", HOOK_MAIL_REGISTER},
	{"recovery", "reset", HOOK_MAIL_ASK_RESET_PASSWORD},
	{"magiclink", "magiclink", HOOK_MAIL_MAGIC_LINK},
};

/* The link type named, or NULL */
static const LinkType *
find_link_type(const char *type)
{
	for (int i = 0; type && i < (int) lengthof(link_types); i++)
		if (strcmp(link_types[i].type, type) == 0)
			return &link_types[i];
	return NULL;
}

/* The kind of mailed token a link type makes, or NULL for none */
const char *
authoob_link_kind(const char *type)
{
	const LinkType *link_type = find_link_type(type);

	return link_type ? link_type->kind : NULL;
}

/* How long a token of kind lives, in seconds */
static int
kind_ttl(const char *kind, const AuthoobSettings *settings)
{
	return strcmp(kind, "activation") == 0 ? settings->activation_ttl :
		strcmp(kind, "magiclink") == 0 ? settings->otp_ttl : settings->reset_ttl;
}

/*
 * A new token of the link type's kind for user_id, bound to flow_id (0:
 * none), with that dialect's link (to redirect_to) and a code, written
 * into *mail for its template (named after the type).  Connected to SPI.
 */
static void
make_gotrue_link(const LinkType *type, int64 user_id, int64 flow_id, const char *redirect_to,
				 AuthoobMail *mail, const AuthoobSettings *settings)
{
	char	   *code = NULL;

	mail->kind = type->type;
	mail->hook = type->hook;
	mail->user_id = user_id;
	mail->token = new_mail_token(type->kind, user_id, kind_ttl(type->kind, settings), flow_id,
								 &code, NULL, settings);
	mail->link = gotrue_link(mail->token, type->type, redirect_to, settings);
	mail->code = code;
	mail->redirect_to = redirect_to;
}

/*
 * Queue the mail of a new token of kind ("activation", "reset" or
 * "magiclink") for user_id, bound to flow_id (0: none), with the link
 * authoob's routes mail (link) or, for a request of Supabase Auth's
 * dialect, that dialect's link and a code.  A magic link's mail carries a
 * code in both dialects, and its template is the same.  Connected to SPI.
 */
static void
send_token_mail(const char *kind, int64 user_id, const AuthoobMailRequest *asked,
				const char *(*link) (const char *token, const AuthoobSettings *settings),
				const AuthoobSettings *settings)
{
	bool		activation = strcmp(kind, "activation") == 0;
	bool		magic_link = strcmp(kind, "magiclink") == 0;
	const LinkType *type = find_link_type(magic_link ? "magiclink" : activation ? "signup" : "recovery");
	AuthoobMail mail = {.hook = type->hook, .user_id = user_id};
	char	   *code = NULL;

	if (asked && asked->gotrue)
		make_gotrue_link(type, user_id, asked->flow_id, asked->redirect_to, &mail, settings);
	else
	{
		mail.kind = kind;
		mail.token = new_mail_token(kind, user_id, kind_ttl(kind, settings),
									asked ? asked->flow_id : 0, magic_link ? &code : NULL, NULL,
									settings);
		mail.code = code;
		mail.link = link(mail.token, settings);
	}
	authoob_queue_mail(&mail, settings);
}

/*
 * A link of Supabase Auth's verification type for user_id, leading to
 * redirect_to (NULL: nowhere), its token and code made and kept as a
 * mail's are (*made): queued as the mail of that type when send, else
 * only returned (the admin's generate_link, whose caller hands the link
 * out).  false for a type authoob does not make.  Connected to SPI.
 */
bool
authoob_gotrue_link(int64 user_id, const char *type, const char *redirect_to, bool send,
					AuthoobMail *made, const AuthoobSettings *settings)
{
	const LinkType *link_type = find_link_type(type);

	if (link_type == NULL)
		return false;
	make_gotrue_link(link_type, user_id, 0, redirect_to, made, settings);
	if (send)
		authoob_queue_mail(made, settings);
	return true;
}

/* authoob's activation link: api_url + prefix + /activate/<token> */
static const char *
activation_link(const char *token, const AuthoobSettings *settings)
{
	authoob_require_setting(settings->api_url, "api_url");
	return psprintf("%s%s/activate/%s", settings->api_url, settings->prefix, token);
}

/* authoob's reset link: app_url?reset_password_token=<token> */
static const char *
reset_link(const char *token, const AuthoobSettings *settings)
{
	authoob_require_setting(settings->app_url, "app_url");
	return psprintf("%s%creset_password_token=%s", settings->app_url,
					strchr(settings->app_url, '?') ? '&' : '?', token);
}

/* authoob's magic link: app_url?magic_link_token=<token> */
static const char *
magic_link(const char *token, const AuthoobSettings *settings)
{
	authoob_require_setting(settings->app_url, "app_url");
	return psprintf("%s%cmagic_link_token=%s", settings->app_url,
					strchr(settings->app_url, '?') ? '&' : '?', token);
}

/*
 * At register: the activation mail, of no flow (Supabase Auth's sign-up
 * binds its flow to the token in the same transaction); dialect, for a
 * sign-up of that dialect, else NULL.  The caller is connected to SPI.
 */
void
authoob_send_activation(int64 user_id, const AuthoobMailRequest *dialect,
						const AuthoobSettings *settings)
{
	send_token_mail("activation", user_id, dialect, activation_link, settings);
}

/*
 * A reset token for the active account of the request's email, if there
 * is one, and its mail.  Connected to SPI.  (A void * argument, to run
 * under authoob_try.)
 */
void
authoob_send_reset(void *request)
{
	const AuthoobMailRequest *asked = request;
	AuthoobSettings *settings = authoob_load_settings();
	int64		user_id = authoob_active_user_by_email(asked->email);

	if (user_id == 0)
		return;
	send_token_mail("reset", user_id, asked, reset_link, settings);
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
	send_token_mail("activation", user_id, asked, activation_link, settings);
}

/*
 * Sign-up by code: the account of an address no user has, unconfirmed
 * (the magic link or its code confirms it), its password a random
 * bcrypt-shaped string that no sign-in matches (as an anonymous user's),
 * its user_metadata the request's data.  Nothing when a user has the
 * address (an inactive one too, or a registration that won a race).
 */
static AuthoobQuery sign_up_by_code = AUTHOOB_QUERY(
	"INSERT INTO authoob.users (email, password, user_metadata)"
	" SELECT $1, format('$2a$%s$%s', lpad(s.bcrypt_cost::text, 2, '0'), translate(substr(encode("
	"  uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())"
	"  || uuid_send(gen_random_uuid()), 'base64'), 1, 53), '+', '.')), $2::jsonb"
	" FROM authoob.settings s"
	" ON CONFLICT ((lower(email))) DO NOTHING RETURNING id",
	2, TEXTOID, TEXTOID);

/*
 * A magic link and its code for the active account of the request's
 * email, if there is one (an unconfirmed account too: following the link
 * proves the address); for an address no user has, when the request
 * signs up by code (asked->signup), a new account's; nothing for any
 * other address.  The new code takes
 * the older ones away, and so does the new link: an older link of the
 * address no longer signs in.  Connected to SPI.  (A void * argument, to
 * run under authoob_try.)
 */
void
authoob_send_magic_link(void *request)
{
	const AuthoobMailRequest *asked = request;
	AuthoobSettings *settings = authoob_load_settings();
	int64		user_id = authoob_active_user_by_email(asked->email);
	Datum		args[2];

	if (user_id == 0 && asked->signup)
	{
		args[0] = CStringGetTextDatum(asked->email);
		args[1] = CStringGetTextDatum(asked->signup);
		if (authoob_run(&sign_up_by_code, args, NULL, false) == 1)
		{
			bool		isnull;

			user_id = DatumGetInt64(authoob_result_datum(1, &isnull));
		}
	}
	if (user_id == 0)
		return;
	args[0] = Int64GetDatum(user_id);
	authoob_run(&end_older_magic_links, args, NULL, false);
	send_token_mail("magiclink", user_id, asked, magic_link, settings);
}

/* authoob's address change link: app_url?email_change_token=<token> */
static const char *
email_change_link(const char *token, const AuthoobSettings *settings)
{
	authoob_require_setting(settings->app_url, "app_url");
	return psprintf("%s%cemail_change_token=%s", settings->app_url,
					strchr(settings->app_url, '?') ? '&' : '?', token);
}

/* a new address change ends the older ones of its user */
static AuthoobQuery end_older_email_changes = AUTHOOB_QUERY(
	"UPDATE authoob.mail_tokens SET used_at = now()"
	" WHERE user_id = $1 AND kind = 'email_change' AND used_at IS NULL",
	1, INT8OID);

/* the address of user_id's change waiting for its confirmation, if any */
static AuthoobQuery pending_email_change = AUTHOOB_QUERY(
	"SELECT new_email FROM authoob.mail_tokens WHERE user_id = $1 AND kind = 'email_change'"
	" AND used_at IS NULL AND expires_at > now() ORDER BY created_at DESC LIMIT 1",
	1, INT8OID);

/*
 * An address change of user_id to new_email: a link and a 6-digit code to
 * the new address (valid otp_ttl, ending the older change's), and, if
 * notify, a notice to the old one.  dialect: as for the other mails (NULL:
 * authoob's own link).  Connected to SPI.
 */
void
authoob_send_email_change(int64 user_id, const char *new_email, bool notify,
						  const AuthoobMailRequest *dialect, const AuthoobSettings *settings)
{
	AuthoobMail mail = {.kind = "email_change", .hook = HOOK_MAIL_EMAIL_CHANGE,
	.user_id = user_id, .new_email = new_email};
	Datum		arg = Int64GetDatum(user_id);
	char	   *code;

	authoob_run(&end_older_email_changes, &arg, NULL, false);
	mail.token = new_mail_token("email_change", user_id, settings->otp_ttl,
								0, &code, new_email, settings);
	mail.code = code;
	if (dialect && dialect->gotrue)
	{
		mail.link = gotrue_link(mail.token, "email_change", dialect->redirect_to, settings);
		mail.redirect_to = dialect->redirect_to;
	}
	else
		mail.link = email_change_link(mail.token, settings);
	authoob_queue_mail(&mail, settings);
	if (notify)
		authoob_queue_mail(&(AuthoobMail) {.kind = "email_change_notice",
						   .hook = HOOK_MAIL_EMAIL_CHANGE, .user_id = user_id,
						   .new_email = new_email, .to_old = true}, settings);
}

/*
 * Another mail of the address change the active account of the request's
 * email waits for, if any (Supabase Auth's resend, type email_change);
 * nothing for any other address.  Connected to SPI.  (A void * argument,
 * to run under authoob_try.)
 */
void
authoob_send_email_change_again(void *request)
{
	const AuthoobMailRequest *asked = request;
	AuthoobSettings *settings = authoob_load_settings();
	int64		user_id = authoob_active_user_by_email(asked->email);
	Datum		arg = Int64GetDatum(user_id);

	if (user_id == 0 || authoob_run(&pending_email_change, &arg, NULL, false) != 1)
		return;
	authoob_send_email_change(user_id, authoob_result_text(1), false, asked, settings);
}

/*
 * The hash of user_id's newest token of kind that carries a code, if code
 * is that code and the token is neither spent nor expired; else NULL.  The
 * token's row stays locked until the end of the transaction.  Connected
 * to SPI.
 */
bytea *
authoob_match_mail_code(int64 user_id, const char *kind, const char *code,
						const AuthoobSettings *settings)
{
	Datum		args[3] = {Int64GetDatum(user_id), CStringGetTextDatum(kind),
	Int32GetDatum(settings->code_ttl)};
	bool		isnull;
	bytea	   *hash;
	bytea	   *kept;
	bool		valid;
	bool		matches;

	if (strlen(code) != MAIL_CODE_DIGITS || strspn(code, "0123456789") != MAIL_CODE_DIGITS ||
		authoob_run(&newest_code, args, NULL, false) != 1)
		return NULL;
	hash = DatumGetByteaPP(authoob_result_datum(1, &isnull));
	kept = DatumGetByteaPP(authoob_result_datum(2, &isnull));
	valid = DatumGetBool(authoob_result_datum(3, &isnull));
	matches = VARSIZE_ANY_EXHDR(kept) == PG_SHA256_DIGEST_LENGTH &&
		authoob_equal_constant_time(VARDATA_ANY(kept),
									VARDATA_ANY(code_hash(hash, code, settings)),
									PG_SHA256_DIGEST_LENGTH);
	return matches && valid ? hash : NULL;
}

/* The stored hash of a mailed token from a request, or 404 */
bytea *
authoob_mail_token_hash(const char *token)
{
	if (token == NULL || *token == '\0' || strlen(token) > MAIL_TOKEN_MAX_LENGTH)
		authoob_no_token_match();
	return token_hash(token);
}

/*
 * SQL function: authoob_mail_nonce(user_id bigint) returns void
 *
 * GET G/reauthenticate: mails user_id a 6-digit nonce (template
 * reauthentication, its {{ .Token }}), kept as a mailed code is (an HMAC,
 * single use, reset_ttl seconds, a newer one ends it) with a token no
 * mail carries.  No mail hook fires: the nonce is for the user's eyes.
 * Owner only: authoob_gotrue_reauthenticate checks who asks.
 */
Datum
authoob_mail_nonce(PG_FUNCTION_ARGS)
{
	int64		user_id = PG_GETARG_INT64(0);
	AuthoobSettings *settings;
	char	   *code;

	authoob_connect_spi();
	settings = authoob_load_settings();
	(void) new_mail_token("reauthentication", user_id, settings->reset_ttl, 0, &code, NULL, settings);
	authoob_queue_mail(&(AuthoobMail) {.kind = "reauthentication", .no_hook = true,
		.user_id = user_id, .code = code}, settings);
	SPI_finish();
	PG_RETURN_VOID();
}

/* What wrong nonces count against: a user's, beside their factors' keys */
static char *
nonce_key(int64 user_id)
{
	return psprintf("reauthentication:" INT64_FORMAT, user_id);
}

/*
 * Count the nonce refused since the last call, if any, as a wrong
 * second-factor code of its user (scope mfa), and forget it;
 * authoob_attempt calls it after the action's error rolled back (record:
 * true) and before it runs one (false).  Connected to SPI, as the owner.
 */
void
authoob_record_nonce_failure(bool record, const AuthoobSettings *settings)
{
	if (record && refused_nonce_user != 0)
		authoob_record_throttle("mfa", nonce_key(refused_nonce_user), settings);
	refused_nonce_user = 0;
}

/*
 * With secure_password_change, before the password of user_id changes in
 * session: nothing to check when the session signed in within a day;
 * else 400 reauthentication_needed without a nonce, 422
 * reauthentication_not_valid unless nonce is the user's newest mailed one
 * (which it spends).  A wrong nonce counts as a wrong second-factor code
 * of the user (authoob_record_nonce_failure, once the refusal has rolled
 * back: PUT G/user, PUT P/reset_password), so that the million cannot be
 * tried.  Connected to SPI.
 */
void
authoob_check_reauthentication(int64 user_id, const pg_uuid_t *session, const char *nonce,
							   const AuthoobSettings *settings)
{
	Datum		arg = UUIDPGetDatum(session);
	bool		isnull;
	bytea	   *hash;

	if (!settings->secure_password_change ||
		(authoob_run(&session_signed_in_recently, &arg, NULL, false) == 1 &&
		 DatumGetBool(authoob_result_datum(1, &isnull))))
		return;
	if (nonce == NULL || *nonce == '\0')
		authoob_reauthentication_needed();
	authoob_check_mfa_throttle(nonce_key(user_id), (Datum) 0, true, settings);
	hash = authoob_match_mail_code(user_id, "reauthentication", nonce, settings);
	if (hash == NULL)
	{
		refused_nonce_user = user_id;
		authoob_invalid_nonce();
	}
	arg = PointerGetDatum(hash);
	authoob_run(&spend_nonce, &arg, NULL, false);
}
