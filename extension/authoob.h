/*
 * authoob.h
 *		Declarations shared by the C sources of the authoob extension.
 *
 * The sources are layers, and this header follows them from the bottom up
 * (docs/architecture.md, "Layer order"): building blocks that know nothing
 * of accounts; the settings; passwords, users and limits; hooks; tokens and
 * sessions; mail; and on top the SQL entry points, a file per family of
 * routes.  A file calls only into the sections above its own here, never
 * below; of the entry points, only gotrue.c (Supabase Auth's dialect, on top
 * of them) calls others', which the last section declares.
 *
 * Every request function answers with a jsonb body or raises an error whose
 * SQLSTATE is "PT" followed by the HTTP status it stands for (PostgREST's
 * convention), so that any front can map errors without knowing them.
 */
#ifndef AUTHOOB_H
#define AUTHOOB_H

#include "postgres.h"

#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* ---------------------------------------------------------------------
 * Building blocks
 * ---------------------------------------------------------------------
 */

/*
 * errors.c: the contract's errors, each written once with the error code
 * Supabase Auth's clients read; none returns
 */

/* SQLSTATE for an HTTP status: PT400, PT401, ... */
#define AUTHOOB_STATUS(a, b, c)	MAKE_SQLSTATE('P', 'T', a, b, c)
#define ERRCODE_AUTHOOB_BAD_REQUEST	AUTHOOB_STATUS('4', '0', '0')
#define ERRCODE_AUTHOOB_UNAUTHORIZED	AUTHOOB_STATUS('4', '0', '1')
#define ERRCODE_AUTHOOB_FORBIDDEN	AUTHOOB_STATUS('4', '0', '3')
#define ERRCODE_AUTHOOB_NOT_FOUND	AUTHOOB_STATUS('4', '0', '4')
#define ERRCODE_AUTHOOB_CONFLICT	AUTHOOB_STATUS('4', '0', '9')
#define ERRCODE_AUTHOOB_TOO_MANY_REQUESTS	AUTHOOB_STATUS('4', '2', '9')

extern void authoob_missing_data(const char *reason) pg_attribute_noreturn();
extern void authoob_bad_body(const char *reason) pg_attribute_noreturn();
extern void authoob_invalid_value(const char *field, const char *reason) pg_attribute_noreturn();
extern void authoob_mismatching_passwords(void) pg_attribute_noreturn();
extern void authoob_password_mismatch(void) pg_attribute_noreturn();
extern void authoob_weak_password(const char *reason, const char *message,
								  const char *reasons) pg_attribute_noreturn();
extern void authoob_password_too_long(int max_bytes) pg_attribute_noreturn();
extern void authoob_invalid_email(void) pg_attribute_noreturn();
extern void authoob_authentication_failed(void) pg_attribute_noreturn();
extern void authoob_token_refused(const char *why) pg_attribute_noreturn();
extern void authoob_token_missing(void) pg_attribute_noreturn();
extern void authoob_session_ended(void) pg_attribute_noreturn();
extern void authoob_refresh_token_refused(bool already_used) pg_attribute_noreturn();
extern void authoob_not_activated(void) pg_attribute_noreturn();
extern void authoob_not_admin(void) pg_attribute_noreturn();
extern void authoob_user_banned_error(const char *message) pg_attribute_noreturn();
extern void authoob_no_token_match(void) pg_attribute_noreturn();
extern void authoob_wrong_code(void) pg_attribute_noreturn();
extern void authoob_reauthentication_needed(void) pg_attribute_noreturn();
extern void authoob_invalid_nonce(void) pg_attribute_noreturn();
extern void authoob_anonymous_refused(void) pg_attribute_noreturn();
extern void authoob_bad_link_type(const char *type) pg_attribute_noreturn();
extern void authoob_user_not_found(void) pg_attribute_noreturn();
extern void authoob_session_not_found(void) pg_attribute_noreturn();
extern void authoob_email_elsewhere(void);
extern void authoob_email_taken(void);
extern void authoob_already_registered(void) pg_attribute_noreturn();
extern void authoob_signup_disabled(void) pg_attribute_noreturn();
extern void authoob_otp_signup_disabled(void) pg_attribute_noreturn();
extern void authoob_already_active(void) pg_attribute_noreturn();
extern void authoob_too_many_attempts(int seconds) pg_attribute_noreturn();
extern void authoob_factor_not_found(void) pg_attribute_noreturn();

/* what needs an aal2 session once a user has a verified factor */
typedef enum AuthoobAalNeed
{
	AAL_TO_ENROLL,				/* another factor */
	AAL_TO_UNENROLL,			/* a verified factor */
	AAL_TO_CHANGE,				/* the password or the address */
	AAL_TO_USE					/* anything, with mfa_required */
} AuthoobAalNeed;

extern void authoob_insufficient_aal(AuthoobAalNeed need) pg_attribute_noreturn();
extern void authoob_mfa_refused(const char *error_code,
								const char *message) pg_attribute_noreturn();

/* crypto.c: base64url, SHA-256, HMAC, random tokens, constant-time compare */

/* a kid: the first 11 base64url characters of the secret's SHA-256 */
#define AUTHOOB_KID_LENGTH 11

extern char *authoob_base64url_encode(const uint8 *data, int len);
extern int	authoob_base64url_decode(const char *src, int len, uint8 *dst, int dstlen);
extern void authoob_sha256(const void *data, size_t len, uint8 *digest);
extern void authoob_hmac_sha256(const bytea *key, const char *data, size_t len,
								uint8 *digest);
extern void authoob_hmac_sha256_kept(const bytea *key, const char *data, size_t len,
									 uint8 *digest);
extern void authoob_hmac_forget_keys(void);
extern char *authoob_key_id(const bytea *secret);
extern char *authoob_random_token(int nbytes);
extern bool authoob_token_in_partition(const char *token, int partition, int partitions);
extern char *authoob_random_token_in(int nbytes, int partition, int partitions);
extern char *authoob_random_digits(int ndigits);
extern bool authoob_equal_constant_time(const char *a, const char *b, size_t len);

/* totp.c: RFC 6238 codes, base32, otpauth:// URIs, their QR code in SVG */
extern int	authoob_totp_code(const uint8 *secret, int len, int64 step);
extern char *authoob_base32_encode(const uint8 *data, int len);
extern char *authoob_totp_uri(const char *issuer, const char *account, const char *secret);
extern char *authoob_qr_svg(const char *text);

/* email.c */
extern bool authoob_email_is_valid(const char *email);

/* payload.c: request bodies and arguments in, jsonb out */

/* Longest text accepted for a name-like user field (username, firstname...) */
#define AUTHOOB_MAX_FIELD_CHARS 255

extern Jsonb *authoob_payload_arg(FunctionCallInfo fcinfo, int argno);
extern Jsonb *authoob_payload_text(const char *body);
extern bool authoob_parse_uuid(const char *text, Datum *uuid);
extern char *authoob_payload_string(Jsonb *payload, const char *key,
									bool required, bool *present);
extern char *authoob_payload_name(Jsonb *payload, const char *key, bool *present);
extern Jsonb *authoob_sign_in_body(Jsonb *body, const char *query_grant,
								   const char *user_agent);
extern char *authoob_text_arg(FunctionCallInfo fcinfo, int argno);
extern bool authoob_parse_digits(const char *text, int len, int64 *value);
extern void authoob_parse_jsonb(void *arg);
extern JsonbValue *authoob_object_value(Jsonb *object, const char *key);
extern char *authoob_jsonb_get_string(Jsonb *object, const char *key);
extern bool authoob_jsonb_is_false(Jsonb *object, const char *key);
extern bool authoob_jsonb_is_true(Jsonb *object, const char *key);
extern Datum authoob_jsonb_from_pairs(int npairs, const char **keys,
									  const char **values);
extern void authoob_push_key(JsonbParseState **state, const char *key);
extern void authoob_push_string(JsonbParseState **state, const char *value);
extern void authoob_push_jsonb(JsonbParseState **state, Jsonb *value);

/*
 * owner.c: the one way authoob's code takes another role's rights: the
 * role, a security-restricted operation and a search_path of authoob's
 * choosing, taken and given back together (docs/security.md)
 */
typedef struct AuthoobOwnerContext
{
	Oid			user;			/* what to give back */
	int			security_context;
	int			guc_level;
} AuthoobOwnerContext;

/*
 * The search_path of every statement authoob's C code runs, and the SET
 * clause of every SECURITY DEFINER function of the extension: only the
 * system's operators, functions and types are found there by an
 * unqualified name (pg_temp comes last, and is never searched for
 * operators or functions).
 */
#define AUTHOOB_SEARCH_PATH "pg_catalog, pg_temp"

extern void authoob_enter_owner_context(Oid role, const char *search_path,
										AuthoobOwnerContext *saved);
extern void authoob_leave_owner_context(const AuthoobOwnerContext *saved);

/*
 * spi_util.c: a statement run through SPI whose plan is prepared on first
 * use and kept for the life of the backend; only under AUTHOOB_SEARCH_PATH
 */
typedef struct AuthoobQuery
{
	const char *sql;
	int			nargs;
	const Oid  *argtypes;
	SPIPlanPtr	plan;
} AuthoobQuery;

/* AUTHOOB_QUERY("SELECT ... $1", 1, TEXTOID): the plan is made on first use */
#define AUTHOOB_QUERY(sql_, nargs_, ...) \
	{.sql = (sql_), .nargs = (nargs_), .argtypes = (const Oid[]) {__VA_ARGS__}}
#define AUTHOOB_QUERY0(sql_) {.sql = (sql_), .nargs = 0}

/*
 * read_only: a lookup that need not see what the calling function has
 * written so far (it runs on the caller's snapshot, without a command
 * counter increment).
 */
extern uint64 authoob_run(AuthoobQuery *query, Datum *values, const char *nulls,
						  bool read_only);
extern uint64 authoob_run_sql(const char *sql, int nargs, Oid *argtypes,
							  Datum *values, const char *nulls, bool read_only);
extern uint64 authoob_run_latest(AuthoobQuery *query);
extern Datum authoob_result_datum(int column, bool *isnull);
extern char *authoob_result_text(int column);
extern void authoob_connect_spi(void);
extern Datum authoob_finish_spi(Datum result, bool isnull);
extern ErrorData *authoob_try(void (*fn) (void *), void *arg);
extern Datum authoob_call_as_caller(Oid function, int nargs, const Oid *argtypes,
									const Datum *args, const bool *nulls, bool *isnull);
extern char *authoob_function_schema(Oid function);
extern Oid	authoob_function_oid(Oid namespace, const char *name, int nargs,
								 const Oid *argtypes);
extern Oid	authoob_function_owner(Oid function);

/*
 * rows.c: a row of authoob's tables by its primary key (or the rows of the
 * key's first column, or of another index's), read through the index on
 * the active snapshot, without the executor
 */
typedef enum AuthoobTable
{
	AUTHOOB_TABLE_SESSIONS,		/* by jti */
	AUTHOOB_TABLE_USER_SESSIONS,	/* by user_id */
	AUTHOOB_TABLE_USERS,		/* by id */
	AUTHOOB_TABLE_USERS_BY_EMAIL,	/* by lower(email) */
	AUTHOOB_TABLE_ROLES_USERS,	/* by user_id (and role_id) */
	AUTHOOB_TABLE_ROLES,		/* by id */
	AUTHOOB_TABLE_IDENTITIES,	/* by user_id (0.3) */
	AUTHOOB_TABLE_MFA_FACTORS,	/* by user_id (0.3) */
	AUTHOOB_TABLE_THROTTLE,		/* by scope and key */
	AUTHOOB_N_TABLES
} AuthoobTable;

typedef struct AuthoobRow
{
	Relation	rel;
	TupleTableSlot *slot;		/* the row: slot_getattr() */
} AuthoobRow;

extern bool authoob_row_open(AuthoobRow *row, AuthoobTable table, Datum key);
extern bool authoob_row_open_pair(AuthoobRow *row, AuthoobTable table, Datum key,
								  Datum key2);
extern AttrNumber authoob_row_column(AuthoobTable table, const char *name);
extern AttrNumber authoob_row_column_if_any(AuthoobTable table, const char *name);
extern void authoob_row_close(AuthoobRow *row);
extern int	authoob_rows_each(AuthoobTable table, Datum key,
							  void (*fn) (TupleTableSlot *slot, void *arg), void *arg);
extern bool authoob_rows_exist(AuthoobTable table, Datum key);

/* trust.c: code a write of authoob.users runs must be a superuser's */
extern void authoob_check_trusted_code(void);

/* cache.c: per-backend caches, dropped when their tables change */
typedef enum AuthoobCache
{
	AUTHOOB_CACHE_SETTINGS,
	AUTHOOB_CACHE_HOOKS,
	AUTHOOB_CACHE_FIELDS,
	AUTHOOB_CACHE_KEYS,			/* keys.c: authoob.signing_keys */
	AUTHOOB_N_CACHES
} AuthoobCache;

extern MemoryContext authoob_cache_begin_load(AuthoobCache cache);
extern void authoob_cache_end_load(AuthoobCache cache);

/* ---------------------------------------------------------------------
 * settings.c: authoob.settings, one row, read once per backend and cached
 * ---------------------------------------------------------------------
 */

/* A signing key that still verifies the tokens it signed, until valid_until */
typedef struct AuthoobPreviousKey
{
	char	   *kid;
	bytea	   *secret;
	TimestampTz valid_until;
} AuthoobPreviousKey;

/* What the C code reads of the settings (settings.c's table says which) */
typedef struct AuthoobSettings
{
	bytea	   *secret_key;
	char	   *key_id;			/* "kid" of secret_key */
	char	   *signing_alg;	/* "HS256" (secret_key), "ES256", "EdDSA", "RS256" */
	int			nprevious_keys;
	AuthoobPreviousKey *previous_keys;
	int32		token_ttl;		/* seconds */
	int32		bcrypt_cost;
	bool		require_activation;
	int32		password_min_length;
	bool		password_require_uppercase;
	bool		password_require_digit;
	char	   *app_url;		/* NULL when not set */
	char	   *api_url;		/* NULL when not set */
	char	   *email_sender;	/* NULL when not set */
	char	   *prefix;
	bool		prevent_mail_send;
	int32		activation_ttl; /* seconds */
	int32		reset_ttl;		/* seconds */
	int32		reset_mail_interval;	/* seconds */
	int32		hook_timeout;	/* milliseconds */
	char	   *password_hash;	/* "bcrypt" or "argon2id" */
	int32		argon2_memory;	/* KiB */
	int32		argon2_time;	/* passes */
	int32		argon2_parallelism;
	bool		throttle;		/* brute-force limits on */
	int32		login_free_failures;	/* an account's failures before its wait */
	int32		login_backoff_max;	/* seconds: the longest wait */
	int32		login_failures_per_hour;	/* an account's cap */
	int32		ip_failures_per_window; /* a client's sign-in failures */
	int32		token_failures_per_window;	/* a client's mailed-token failures */
	int32		asks_per_window;	/* a client's password asks */
	int32		ip_window;		/* seconds: the window of the per-client caps */
	int32		ip_prefix_v4;	/* per-IP limits count this network */
	int32		ip_prefix_v6;
	char	   *jwt_issuer;		/* NULL: api_url + prefix */
	char	   *jwt_audience;
	char	   *jwt_role;
	int32		session_ttl;	/* seconds; 0: no limit */
	int32		inactivity_timeout;	/* seconds since the last refresh; 0: none */
	int32		refresh_reuse_interval; /* seconds */
	bool		refresh_tokens; /* the schema has them (0.2): sessions.c */
	int32		client_hashes_per_window;	/* per ip_window; 0: not counted */
	int32		account_sign_ins_per_window;	/* per ip_window; 0: not counted */
	int32		client_hashes_at_once;	/* 0: no cap */
	char	   *jwt_sub;		/* "id" or "uuid": what tokens' sub is */
	bool		disable_signup; /* no registration, in either dialect */
	char	   *gotrue_prefix;	/* NULL: Supabase Auth's dialect is off */
	bool		mfa_required;	/* a user with a verified factor needs aal2 */
	bool		mfa;			/* the schema has factors (0.3): sessions.c */
	int32		otp_ttl;		/* seconds: a magic link's and its code's life */
	bool		secure_password_change; /* a password change needs a nonce */
	int32		code_ttl;		/* seconds a mailed 6-digit code lives at most */
	bool		otp_signup;		/* a magic link may make an unknown address's account */
	bool		audit;			/* the schema has the audit log (0.3) */
} AuthoobSettings;

/* Whether tokens' sub (and Supabase Auth's user id) is the user's uuid */
#define AUTHOOB_SUB_IS_UUID(settings) ((settings)->jwt_sub[0] == 'u')

extern AuthoobSettings *authoob_load_settings(void);
extern void authoob_partition(int *partition, int *partitions);
extern Datum authoob_change_settings(Jsonb *changes);
extern Datum authoob_settings_json(void);
extern void authoob_require_setting(const char *value, const char *key);

/* ---------------------------------------------------------------------
 * Passwords, users, limits
 * ---------------------------------------------------------------------
 */

/* password.c: bcrypt and argon2id, the password policy */
extern void authoob_check_password_policy(const char *password,
										  const AuthoobSettings *settings);
extern char *authoob_hash_password(const char *password,
									const AuthoobSettings *settings);
extern char *authoob_new_password_hash(Jsonb *payload, const AuthoobSettings *settings);
extern bool authoob_hash_is_current(const char *hash, const AuthoobSettings *settings);
extern char *authoob_rehash_if_stale(const char *password, const char *hash,
									 const AuthoobSettings *settings);
extern bool authoob_check_password(const char *password, const char *hash);
extern bool authoob_is_password_hash(const char *hash);
extern void authoob_dummy_password_check(const char *password,
										 const AuthoobSettings *settings);
extern uint64 authoob_hashes_computed(void);

/* users.c: the user as JSON, custom fields, profile updates, passwords */

/*
 * When a user confirmed their address and last signed in, from their row,
 * and their uuid (0.3: a database not yet updated has none)
 */
typedef struct AuthoobUserDates
{
	bool		confirmed;		/* confirmed_at is set */
	TimestampTz confirmed_at;
	bool		signed_in;		/* current_login_at is set */
	TimestampTz last_sign_in_at;
	bool		has_uuid;
	pg_uuid_t	uuid;
} AuthoobUserDates;

/*
 * Whom a token names: its sub is a user's numeric id or, with jwt_sub
 * 'uuid', their uuid.  Both verify whatever the setting says now, so that
 * tokens issued before it changed live out their time.
 */
typedef struct AuthoobSubject
{
	int64		user_id;		/* 0 when the sub is a uuid */
	pg_uuid_t	uuid;			/* the sub, when user_id is 0 */
} AuthoobSubject;

/* Longest user_metadata a user may keep, as jsonb text (README "Supabase users") */
#define AUTHOOB_MAX_USER_METADATA 16384

extern Datum authoob_private_user_json(int64 user_id);
extern Datum authoob_private_user_json_read(int64 user_id);
extern Datum authoob_public_user_json(int64 user_id, bool *found);
extern bool authoob_field_updatable(const char *key, int len);
extern text **authoob_user_role_names(int64 user_id, int *nroles);
extern bool authoob_live_session(Datum jti, const AuthoobSubject *subject, int64 *user_id,
								 AuthoobUserDates *dates, Datum *profile);
extern bool authoob_user_dates(int64 user_id, AuthoobUserDates *dates);
extern bool authoob_user_banned(int64 user_id);
extern void authoob_user_metadata(int64 user_id, Jsonb **user_metadata,
								  Jsonb **app_metadata);
extern char *authoob_user_sub(int64 user_id, const AuthoobSettings *settings);
extern void authoob_track_sign_in(int64 user_id, Datum client_ip, bool ip_isnull,
								  const char *new_hash);

/* What a sign-in by password reads of the account of its address */
typedef struct AuthoobSignInUser
{
	int64		id;
	char	   *email;			/* as stored */
	char	   *password;		/* its hash */
	bool		active;
	bool		confirmed;
	bool		has_ban;		/* banned_until: an admin's ban, till then */
	TimestampTz banned_until;
} AuthoobSignInUser;

extern bool authoob_user_for_sign_in(const char *email, AuthoobSignInUser *user);
extern bool authoob_sign_in_user_banned(const AuthoobSignInUser *user);
extern Datum authoob_update_user(int64 user_id, Jsonb *payload);
extern void authoob_set_password(int64 user_id, const char *hash);
extern int64 authoob_active_user_by_email(const char *email);
extern bool authoob_active_user(int64 user_id, bool *confirmed);

/* throttle.c: brute-force limits, and the budget of password hashes */
extern void authoob_check_throttle(const char *email, const char *ip_scope,
								   Datum client_ip, bool ip_isnull,
								   const AuthoobSettings *settings);
extern void authoob_record_throttle(const char *scope, const char *key,
									const AuthoobSettings *settings);
extern void authoob_check_mfa_throttle(const char *key, Datum client_ip, bool ip_isnull,
									   const AuthoobSettings *settings);
extern void authoob_check_hash_budget(const char *account_key, Datum client_ip,
									  bool ip_isnull, const AuthoobSettings *settings);
extern void authoob_check_sign_in_limits(const char *account_key, Datum client_ip,
										 bool ip_isnull, const AuthoobSettings *settings);
extern void authoob_count_hash(const char *account_key, Datum client_ip,
							   bool ip_isnull, const AuthoobSettings *settings);
extern void authoob_forget_failures(const char *email);
extern char *authoob_throttle_key(const char *email);
extern char *authoob_client_key(Datum client_ip, const AuthoobSettings *settings);

/* ---------------------------------------------------------------------
 * hooks.c: SQL functions the application registers by hook name
 * ---------------------------------------------------------------------
 */

/* What a context may hold, in the order its keys are written */
#define CTX_USER		(1 << 0)
#define CTX_PAYLOAD		(1 << 1)
#define CTX_RESPONSE	(1 << 2)
#define CTX_TOKEN		(1 << 3)
#define CTX_USER_ID		(1 << 4)
#define CTX_APP_URL		(1 << 5)
#define CTX_LINK		(1 << 6)
#define CTX_CLAIMS		(1 << 7)
#define CTX_FACTOR		(1 << 8)
#define CTX_VALID		(1 << 9)
#define CTX_PROVIDER	(1 << 10)
#define CTX_IDENTITY	(1 << 11)

/*
 * Every hook: its name and its context's keys (docs/sql-api.md, "Hooks").  The
 * one list: the enum, the names hooks.c matches, and the SQL table of hook
 * names (authoob_hook_names()) all come from it.
 */
#define AUTHOOB_HOOKS(X) \
	X(PRE_REGISTER, pre_register, CTX_PAYLOAD) \
	X(POST_REGISTER, post_register, CTX_USER | CTX_PAYLOAD) \
	X(PRE_LOGIN, pre_login, CTX_PAYLOAD) \
	X(BEFORE_LOGIN, before_login, CTX_PAYLOAD | CTX_USER) \
	X(POST_LOGIN, post_login, CTX_USER | CTX_PAYLOAD) \
	X(PRE_PROFILE, pre_profile, CTX_USER) \
	X(POST_PROFILE, post_profile, CTX_USER | CTX_RESPONSE) \
	X(PRE_USER_PROFILE, pre_user_profile, CTX_USER_ID) \
	X(POST_USER_PROFILE, post_user_profile, CTX_USER | CTX_RESPONSE) \
	X(PRE_TOKEN, pre_token, CTX_USER) \
	X(POST_TOKEN, post_token, CTX_USER | CTX_RESPONSE) \
	X(PRE_ACTIVATE, pre_activate, CTX_TOKEN) \
	X(POST_ACTIVATE, post_activate, CTX_USER) \
	X(ALREADY_ACTIVATED, already_activated, CTX_USER) \
	X(MAIL_ACTIVATE_REDIRECT, mail_activate_redirect, CTX_USER | CTX_APP_URL) \
	X(PRE_RESET_AUTH, pre_reset_auth, CTX_PAYLOAD | CTX_USER) \
	X(POST_RESET_AUTH, post_reset_auth, CTX_PAYLOAD | CTX_USER) \
	X(PRE_ASK_RESET, pre_ask_reset, CTX_PAYLOAD) \
	X(POST_ASK_RESET, post_ask_reset, CTX_PAYLOAD | CTX_USER) \
	X(PRE_RESET_TOKEN, pre_reset_token, CTX_TOKEN) \
	X(POST_RESET_TOKEN, post_reset_token, CTX_USER | CTX_TOKEN) \
	X(PRE_UPDATE_PROFILE, pre_update_profile, CTX_USER | CTX_PAYLOAD) \
	X(POST_UPDATE_PROFILE, post_update_profile, CTX_USER | CTX_PAYLOAD | CTX_RESPONSE) \
	X(PRE_LOGOUT, pre_logout, CTX_USER) \
	X(POST_LOGOUT, post_logout, 0) \
	X(MAIL_REGISTER, mail_register, CTX_USER | CTX_LINK) \
	X(MAIL_ASK_RESET_PASSWORD, mail_ask_reset_password, CTX_USER | CTX_LINK) \
	X(CUSTOM_ACCESS_TOKEN, custom_access_token, CTX_USER | CTX_CLAIMS) \
	X(PRE_MFA_VERIFY, pre_mfa_verify, CTX_USER | CTX_FACTOR) \
	X(POST_MFA_VERIFY, post_mfa_verify, CTX_USER | CTX_FACTOR | CTX_VALID) \
	X(PRE_OAUTH_SIGNIN, pre_oauth_signin, CTX_PROVIDER | CTX_CLAIMS) \
	X(POST_OAUTH_SIGNIN, post_oauth_signin, CTX_USER | CTX_IDENTITY) \
	X(PRE_OTP, pre_otp, CTX_PAYLOAD) \
	X(POST_OTP, post_otp, CTX_PAYLOAD | CTX_USER) \
	X(MAIL_MAGIC_LINK, mail_magic_link, CTX_USER | CTX_LINK) \
	X(POST_OTP_VERIFY, post_otp_verify, CTX_USER) \
	X(PRE_EMAIL_CHANGE, pre_email_change, CTX_USER | CTX_PAYLOAD) \
	X(MAIL_EMAIL_CHANGE, mail_email_change, CTX_USER | CTX_LINK)

#define AUTHOOB_HOOK_ENUM(NAME, name, context) HOOK_##NAME,
typedef enum AuthoobHook
{
	AUTHOOB_HOOKS(AUTHOOB_HOOK_ENUM)
	AUTHOOB_N_HOOKS
} AuthoobHook;

/* What a hook's context is made of; each hook takes the keys it needs */
typedef struct AuthoobHookArgs
{
	int64		user_id;		/* "user": private JSON; 0 for null */
	Jsonb	   *payload;		/* "payload": the request body */
	Jsonb	   *response;		/* "response": the response body */
	const char *token;			/* "token": a mailed token */
	const char *app_url;		/* "app_url" */
	const char *link;			/* "link": the mailed link */
	Jsonb	   *claims;			/* "claims": an access token's claims */
	Jsonb	   *factor;			/* "factor": the second factor a code is for */
	bool		valid;			/* "valid": whether the code was right */
	const char *provider;		/* "provider": an identity provider's name */
	Jsonb	   *identity;		/* "identity": a user's identity there */
} AuthoobHookArgs;

extern bool authoob_hook_registered(AuthoobHook hook);
extern Jsonb *authoob_fire_hook(AuthoobHook hook, const AuthoobHookArgs *args);
extern Datum authoob_hook_response(Jsonb *answer, Datum response);

/* ---------------------------------------------------------------------
 * Tokens and sessions
 * ---------------------------------------------------------------------
 */

/*
 * keys.c: the asymmetric signing keys (ES256, EdDSA, RS256), with OpenSSL.
 * A key is found by the exact header it signs, so that a header naming
 * another alg for its kid finds nothing.
 */
typedef struct AuthoobSigningKey AuthoobSigningKey;

extern const AuthoobSigningKey *authoob_current_signing_key(const char *alg);
extern const AuthoobSigningKey *authoob_find_signing_key(const uint8 *header, int len);
extern const char *authoob_signing_key_header(const AuthoobSigningKey *key);
extern char *authoob_key_sign(const AuthoobSigningKey *key, const char *data, size_t len);
extern bool authoob_key_verify(const AuthoobSigningKey *key, const char *token,
							   size_t token_len, size_t signed_len,
							   const uint8 *sig, int sig_len);
/* OpenSSL's EVP_PKEY, for those files that do not include its headers */
struct evp_pkey_st;
extern bool authoob_pkey_verify(struct evp_pkey_st *pkey, bool sha256, bool ecdsa_raw,
								const char *data, size_t len, const uint8 *sig, int sig_len);

/* jwt.c: JWT access tokens, signed and read */
typedef struct AuthoobClaims
{
	int64		user_id;		/* the user, for custom_access_token */
	const char *sub;			/* their id or uuid (setting jwt_sub), as text */
	const char *email;
	const char *session_id;		/* the session's uuid, as text */
	const char *aal;			/* "aal1" or "aal2" */
	int64		auth_time;		/* amr's timestamp: the sign-in */
	const char *method;			/* amr's first: "password", "otp", "magiclink",
								 * "oauth" */
	const char *provider;		/* "oauth": the identity provider's name */
	const char *mfa_method;		/* aal2: "totp" or "recovery_code"; else NULL */
	int64		mfa_time;		/* ... amr's timestamp of it */
	int64		iat;
	int64		exp;
} AuthoobClaims;

extern char *authoob_jwt_sign(const AuthoobClaims *claims, const AuthoobSettings *settings);
extern void authoob_jwt_read(const char *token, const AuthoobSettings *settings,
							 Datum *session, AuthoobSubject *subject);

/* The role claim of the service credential, Supabase's admin role */
#define AUTHOOB_SERVICE_ROLE "service_role"

extern char *authoob_service_token_sign(int64 valid_for, const AuthoobSettings *settings);
extern void authoob_service_token_check(const char *token, const AuthoobSettings *settings);

/*
 * sessions.c: a session is a sign-in, a row of authoob.sessions whose jti
 * is its id; its access tokens name it, its refresh tokens rotate in it.
 */
extern char *authoob_open_session(int64 user_id, const char *email, Datum client_ip,
								  bool ip_isnull,
								  const char *user_agent, const AuthoobSettings *settings);
extern char *authoob_session_token(int64 user_id, const pg_uuid_t *session,
								   const AuthoobSettings *settings);
extern Datum authoob_grant_session(int64 user_id, Datum client_ip, bool ip_isnull,
								   const char *user_agent, const char *method,
								   const char *provider, const AuthoobSettings *settings);
extern Datum authoob_refresh_session(const char *refresh_token,
									 const AuthoobSettings *settings);
extern Datum authoob_raise_session(int64 user_id, const pg_uuid_t *session,
								   const char *method, const AuthoobSettings *settings);
extern char *authoob_session_aal(const pg_uuid_t *session, const AuthoobSettings *settings);
extern void authoob_end_session_of(const pg_uuid_t *session);
extern void authoob_end_reused_session(bool end);
extern int64 authoob_verify_token(const char *token, pg_uuid_t *session,
								  const AuthoobSettings *settings);
extern int64 authoob_verify_token_any_aal(const char *token, pg_uuid_t *session,
										  const AuthoobSettings *settings);
extern void authoob_require_aal2(const pg_uuid_t *session, AuthoobAalNeed need,
								 const AuthoobSettings *settings);
extern int64 authoob_verify_token_profile(const char *token,
										  const AuthoobSettings *settings,
										  Datum *profile, AuthoobUserDates *dates);

/* ---------------------------------------------------------------------
 * Mail
 * ---------------------------------------------------------------------
 */

/*
 * mail.c: the outbox, and mails rendered from templates.  An AuthoobMail
 * is what a template is rendered with: its kind names the template
 * (activation, reset; Supabase Auth's signup, recovery; magiclink in
 * both); code (a 6-digit code) and redirect_to are NULL in authoob's own
 * mails but the magic link's.
 */
typedef struct AuthoobMail
{
	const char *kind;
	AuthoobHook hook;			/* the mail hook that may replace it */
	bool		no_hook;		/* a reauthentication's nonce: no mail hook */
	int64		user_id;
	const char *link;
	const char *token;			/* the mailed token, which the link carries */
	const char *code;
	const char *redirect_to;
	const char *new_email;		/* an address change's: the mail goes there */
	bool		to_old;			/* ... unless this is the notice to the old one */
} AuthoobMail;

extern void authoob_queue_mail(const AuthoobMail *mail, const AuthoobSettings *settings);
extern void authoob_check_reauthentication(int64 user_id, const pg_uuid_t *session,
										   const char *nonce, const AuthoobSettings *settings);
extern void authoob_record_nonce_failure(bool record, const AuthoobSettings *settings);
extern void authoob_notify_mailers(void);

/*
 * mail_tokens.c: activation and reset tokens, and their mails.  A mail
 * asked for by address (password/ask, resend) is made later, from an
 * AuthoobMailRequest: flow_id is the PKCE flow of Supabase Auth's request
 * that asked for it (0: none), which its token carries; gotrue, a request
 * of that dialect, whose mail carries its link (to redirect_to, NULL for
 * none) and a 6-digit code.
 */
typedef struct AuthoobMailRequest
{
	const char *email;
	int64		flow_id;
	bool		gotrue;
	const char *redirect_to;
	const char *signup;			/* sign-up by code: the new user's user_metadata (JSON) */
} AuthoobMailRequest;

extern void authoob_send_activation(int64 user_id, const AuthoobMailRequest *dialect,
									const AuthoobSettings *settings);
extern void authoob_send_reset(void *request);
extern void authoob_send_activation_again(void *request);
extern void authoob_send_magic_link(void *request);
extern void authoob_send_email_change(int64 user_id, const char *new_email, bool notify,
									  const AuthoobMailRequest *dialect,
									  const AuthoobSettings *settings);
extern void authoob_send_email_change_again(void *request);
extern const char *authoob_link_kind(const char *type);
extern bool authoob_gotrue_link(int64 user_id, const char *type, const char *redirect_to,
								bool send, AuthoobMail *made, const AuthoobSettings *settings);
extern bytea *authoob_mail_token_hash(const char *token);
extern bytea *authoob_match_mail_code(int64 user_id, const char *kind, const char *code,
									  const AuthoobSettings *settings);

/* ---------------------------------------------------------------------
 * SQL entry points, on top: account.c, user_sessions.c, profile.c,
 * activation.c, recovery.c, gotrue.c, attempt.c, admin.c (and cache.c's
 * trigger, hooks.c's authoob_hook_names()); module.c holds the magic block.
 * They declare here only what gotrue.c, Supabase Auth's dialect, runs of
 * authoob's own routes' work.
 * ---------------------------------------------------------------------
 */

/* mfa.c: a user's factors, in Supabase Auth's user object */
extern char *authoob_factors_json(int64 user_id, const AuthoobSettings *settings);
/* ... and a refused code's record, which authoob_attempt makes outlive it */
extern void authoob_record_mfa_failure(bool record, const AuthoobSettings *settings);

/* profile.c: GET P/profile's answer, its user in *user_id (and *dates) */
extern Datum authoob_token_profile(const char *token, const AuthoobSettings *settings,
								   int64 *user_id, AuthoobUserDates *dates);

/* activation.c: a mailed activation token followed */
extern int64 authoob_activate_token(const char *token, Datum client_ip, bool ip_isnull,
									const AuthoobSettings *settings, Jsonb **answer,
									bool *was_active);

/* recovery.c: mails asked for by address, the reset token's user */
extern bool authoob_ask_reset_mail(FunctionCallInfo fcinfo,
								   const AuthoobMailRequest *dialect);
extern bool authoob_ask_activation_mail(FunctionCallInfo fcinfo,
										const AuthoobMailRequest *dialect);
extern bool authoob_ask_magic_link(FunctionCallInfo fcinfo,
								   const AuthoobMailRequest *dialect);
extern bool authoob_ask_email_change_again(FunctionCallInfo fcinfo,
										   const AuthoobMailRequest *dialect);
extern int64 authoob_reset_token_user(const char *token, Datum client_ip, bool ip_isnull,
									  const AuthoobSettings *settings);

#endif							/* AUTHOOB_H */
