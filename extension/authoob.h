/*
 * authoob.h
 *		Declarations shared by the C sources of the authoob extension.
 *
 * Every request function answers with a jsonb body or raises an error whose
 * SQLSTATE is "PT" followed by the HTTP status it stands for (PostgREST's
 * convention), so that any front can map errors without knowing them.
 */
#ifndef AUTHOOB_H
#define AUTHOOB_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* SQLSTATE for an HTTP status: PT400, PT401, ... */
#define AUTHOOB_STATUS(a, b, c)	MAKE_SQLSTATE('P', 'T', a, b, c)
#define ERRCODE_AUTHOOB_BAD_REQUEST	AUTHOOB_STATUS('4', '0', '0')
#define ERRCODE_AUTHOOB_UNAUTHORIZED	AUTHOOB_STATUS('4', '0', '1')
#define ERRCODE_AUTHOOB_FORBIDDEN	AUTHOOB_STATUS('4', '0', '3')
#define ERRCODE_AUTHOOB_NOT_FOUND	AUTHOOB_STATUS('4', '0', '4')
#define ERRCODE_AUTHOOB_CONFLICT	AUTHOOB_STATUS('4', '0', '9')

/* Longest text accepted for a name-like user field (username, firstname...) */
#define AUTHOOB_MAX_FIELD_CHARS 255

/* Settings, read once per request from authoob.settings (settings.c) */
/* A signing key that still verifies the tokens it signed, until valid_until */
typedef struct AuthoobPreviousKey
{
	char	   *kid;
	bytea	   *secret;
	TimestampTz valid_until;
} AuthoobPreviousKey;

typedef struct AuthoobSettings
{
	bytea	   *secret_key;
	char	   *key_id;			/* "kid" of secret_key */
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
	int32		ip_prefix_v4;	/* per-IP limits count this network */
	int32		ip_prefix_v6;
} AuthoobSettings;

extern AuthoobSettings *authoob_load_settings(void);

/* Per-backend caches, dropped when their tables change (cache.c) */
typedef enum AuthoobCache
{
	AUTHOOB_CACHE_SETTINGS,
	AUTHOOB_CACHE_HOOKS,
	AUTHOOB_CACHE_FIELDS,
	AUTHOOB_N_CACHES
} AuthoobCache;

extern MemoryContext authoob_cache_begin_load(AuthoobCache cache);
extern void authoob_cache_end_load(AuthoobCache cache);

/*
 * A statement run through SPI whose plan is prepared on first use and kept
 * for the life of the backend (spi_util.c).
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
extern uint64 authoob_run_latest(AuthoobQuery *query);
extern Datum authoob_result_datum(int column, bool *isnull);
extern char *authoob_result_text(int column);
extern void authoob_connect_spi(void);
extern Oid	authoob_function_owner(Oid function);
extern ErrorData *authoob_try(void (*fn) (void *), void *arg);
extern Datum authoob_finish_spi(Datum result, bool isnull);

/* JSON payloads (payload.c) */
extern Jsonb *authoob_payload_arg(FunctionCallInfo fcinfo, int argno);
extern char *authoob_payload_string(Jsonb *payload, const char *key,
									bool required, bool *present);
extern Datum authoob_jsonb_from_pairs(int npairs, const char **keys,
									  const char **values);
extern char *authoob_text_arg(FunctionCallInfo fcinfo, int argno);
extern JsonbValue *authoob_object_value(Jsonb *object, const char *key);
extern char *authoob_jsonb_get_string(Jsonb *object, const char *key);
extern void authoob_push_key(JsonbParseState **state, const char *key);
extern void authoob_push_string(JsonbParseState **state, const char *value);
extern void authoob_push_jsonb(JsonbParseState **state, Jsonb *value);
extern bool authoob_jsonb_is_false(Jsonb *object, const char *key);
extern char *authoob_payload_name(Jsonb *payload, const char *key, bool *present);

extern void authoob_parse_jsonb(void *arg);

/* Brute-force limits (throttle.c) */
extern void authoob_check_throttle(const char *email, const char *ip_scope,
								   Datum client_ip, bool ip_isnull,
								   const AuthoobSettings *settings);
extern void authoob_forget_failures(const char *email);
extern char *authoob_throttle_key(const char *email);
extern char *authoob_client_key(Datum client_ip, const AuthoobSettings *settings);

/* Passwords and emails (password.c) */
extern void authoob_check_password_policy(const char *password,
										  const AuthoobSettings *settings);
extern char *authoob_hash_password(const char *password,
									const AuthoobSettings *settings);
extern bool authoob_hash_is_current(const char *hash, const AuthoobSettings *settings);
extern char *authoob_rehash_if_stale(const char *password, const char *hash,
									 const AuthoobSettings *settings);
extern bool authoob_check_password(const char *password, const char *hash);
extern void authoob_dummy_password_check(const char *password,
										 const AuthoobSettings *settings);
extern bool authoob_email_is_valid(const char *email);
extern bool authoob_equal_constant_time(const char *a, const char *b, size_t len);

/* Mail (mail.c, activation.c) */
extern void authoob_require_setting(const char *value, const char *key);
extern void authoob_queue_mail(const char *kind, int64 user_id, const char *link,
							   const AuthoobSettings *settings);
extern void authoob_send_activation(int64 user_id, const AuthoobSettings *settings);
extern void authoob_notify_mailers(void);

/* Hooks (hooks.c), in the order of SPEC.md §6 */
typedef enum AuthoobHook
{
	HOOK_PRE_REGISTER,
	HOOK_POST_REGISTER,
	HOOK_PRE_LOGIN,
	HOOK_BEFORE_LOGIN,
	HOOK_POST_LOGIN,
	HOOK_PRE_PROFILE,
	HOOK_POST_PROFILE,
	HOOK_PRE_USER_PROFILE,
	HOOK_POST_USER_PROFILE,
	HOOK_PRE_TOKEN,
	HOOK_POST_TOKEN,
	HOOK_PRE_ACTIVATE,
	HOOK_POST_ACTIVATE,
	HOOK_ALREADY_ACTIVATED,
	HOOK_MAIL_ACTIVATE_REDIRECT,
	HOOK_PRE_RESET_AUTH,
	HOOK_POST_RESET_AUTH,
	HOOK_PRE_ASK_RESET,
	HOOK_POST_ASK_RESET,
	HOOK_PRE_RESET_TOKEN,
	HOOK_POST_RESET_TOKEN,
	HOOK_PRE_UPDATE_PROFILE,
	HOOK_POST_UPDATE_PROFILE,
	HOOK_PRE_LOGOUT,
	HOOK_POST_LOGOUT,
	HOOK_MAIL_REGISTER,
	HOOK_MAIL_ASK_RESET_PASSWORD,
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
} AuthoobHookArgs;

extern bool authoob_hook_registered(AuthoobHook hook);
extern Jsonb *authoob_call_hook(AuthoobHook hook, Jsonb *context);
extern Jsonb *authoob_fire_hook(AuthoobHook hook, const AuthoobHookArgs *args);
extern Datum authoob_hook_response(Jsonb *answer, Datum response);

/* Tokens (token.c) */
extern char *authoob_base64url_encode(const uint8 *data, int len);
extern char *authoob_key_id(const bytea *secret);
extern void authoob_sha256(const void *data, size_t len, uint8 *digest);
extern char *authoob_issue_token(int64 user_id, Datum client_ip, bool ip_isnull,
								 const AuthoobSettings *settings);
extern Datum authoob_private_user_json(int64 user_id);
extern Datum authoob_public_user_json(int64 user_id, bool *found);
extern bool authoob_session_profile(Datum jti, int64 user_id, bool *confirmed,
									Datum *profile);
extern Datum authoob_update_user(int64 user_id, Jsonb *payload);
extern void authoob_set_password(int64 user_id, const char *hash);
extern void authoob_not_activated(void);
extern int64 authoob_verify_token(const char *token, pg_uuid_t *jti,
								  const AuthoobSettings *settings);
extern int64 authoob_verify_token_profile(const char *token,
										  const AuthoobSettings *settings,
										  Datum *profile);

#endif							/* AUTHOOB_H */
