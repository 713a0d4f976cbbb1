/*
 * settings.c
 *		authoob.settings: one row, read on each request, changed by the owner.
 *
 * authoob_configure(jsonb) checks every key and value before it changes
 * anything, so a bad call changes nothing.  The secret key is never read
 * back; setting it (to a string of at least 32 bytes) is allowed so that
 * several databases can share tokens.
 */
#include "authoob.h"

#include <stddef.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

typedef enum SettingKind
{
	SETTING_URL,				/* http(s) URL or null */
	SETTING_EMAIL,				/* email address or null */
	SETTING_SECRET,				/* string of at least 32 bytes */
	SETTING_BOOL,
	SETTING_INT,
	SETTING_PREFIX,				/* "/word[/word...]" */
	SETTING_HEADER,				/* HTTP header name */
	SETTING_HASH,				/* "bcrypt" or "argon2id" */
	SETTING_SIGNING_ALG,		/* "HS256", "ES256", "EdDSA" or "RS256" */
	SETTING_CLAIM,				/* a claim's text: 1 to 200 printable characters */
	SETTING_OPTIONAL_PREFIX,	/* a SETTING_PREFIX or null (off) */
	SETTING_URL_LIST,			/* http(s) URLs separated by commas or spaces, or null */
	SETTING_JWT_SUB				/* "id" or "uuid" */
} SettingKind;

/*
 * One line a setting: its key (also the column of authoob.settings), how it
 * is checked, and where authoob_load_settings() puts it (-1: only the SQL
 * side reads it).  "absent" is the value the C code runs with when the
 * column does not exist yet: a database still at an earlier version, until
 * ALTER EXTENSION authoob UPDATE adds it, behaves as that version did.
 */
typedef struct SettingDef
{
	const char *key;
	SettingKind kind;
	int			min;			/* for SETTING_INT */
	int			max;
	ptrdiff_t	field;			/* offsetof(AuthoobSettings, ...) or -1 */
	const char *absent;			/* NULL: the column exists since 0.1 */
} SettingDef;

#define FIELD(name) offsetof(AuthoobSettings, name)
#define SQL_ONLY (-1)

static const SettingDef setting_defs[] = {
	{"app_url", SETTING_URL, 0, 0, FIELD(app_url), NULL},
	{"api_url", SETTING_URL, 0, 0, FIELD(api_url), NULL},
	{"secret_key", SETTING_SECRET, 0, 0, FIELD(secret_key), NULL},
	{"email_sender", SETTING_EMAIL, 0, 0, FIELD(email_sender), NULL},
	{"prevent_mail_send", SETTING_BOOL, 0, 0, FIELD(prevent_mail_send), NULL},
	{"prefix", SETTING_PREFIX, 0, 0, FIELD(prefix), NULL},
	{"token_header", SETTING_HEADER, 0, 0, SQL_ONLY, NULL},
	{"token_ttl", SETTING_INT, 60, 366 * 24 * 3600, FIELD(token_ttl), NULL},
	{"bcrypt_cost", SETTING_INT, 4, 31, FIELD(bcrypt_cost), NULL},
	{"require_activation", SETTING_BOOL, 0, 0, FIELD(require_activation), NULL},
	{"password_min_length", SETTING_INT, 1, 72, FIELD(password_min_length), NULL},
	{"password_require_uppercase", SETTING_BOOL, 0, 0, FIELD(password_require_uppercase), NULL},
	{"password_require_digit", SETTING_BOOL, 0, 0, FIELD(password_require_digit), NULL},
	{"activation_ttl", SETTING_INT, 3600, 366 * 24 * 3600, FIELD(activation_ttl), NULL},
	{"reset_ttl", SETTING_INT, 60, 7 * 24 * 3600, FIELD(reset_ttl), NULL},
	{"reset_mail_interval", SETTING_INT, 0, 24 * 3600, FIELD(reset_mail_interval), NULL},
	{"mail_max_attempts", SETTING_INT, 1, 100, SQL_ONLY, NULL},
	{"mail_retry_delay", SETTING_INT, 1, 24 * 3600, SQL_ONLY, NULL},
	{"hook_timeout", SETTING_INT, 1, 10 * 60 * 1000, FIELD(hook_timeout), NULL},
	{"password_hash", SETTING_HASH, 0, 0, FIELD(password_hash), NULL},
	{"argon2_memory", SETTING_INT, 1024, 1024 * 1024, FIELD(argon2_memory), NULL},
	{"argon2_time", SETTING_INT, 1, 20, FIELD(argon2_time), NULL},
	{"argon2_parallelism", SETTING_INT, 1, 16, FIELD(argon2_parallelism), NULL},
	{"throttle", SETTING_BOOL, 0, 0, FIELD(throttle), NULL},
	{"login_free_failures", SETTING_INT, 1, 1000, FIELD(login_free_failures), NULL},
	{"login_backoff_max", SETTING_INT, 1, 24 * 3600, FIELD(login_backoff_max), NULL},
	{"login_failures_per_hour", SETTING_INT, 1, 100000, FIELD(login_failures_per_hour), NULL},
	{"ip_failures_per_window", SETTING_INT, 1, 1000000, FIELD(ip_failures_per_window), NULL},
	{"token_failures_per_window", SETTING_INT, 1, 1000000, FIELD(token_failures_per_window), NULL},
	{"ip_window", SETTING_INT, 1, 24 * 3600, FIELD(ip_window), NULL},
	/* 0.2: per-IP limits count a network, not an address (0.1: each address) */
	{"ip_prefix_v4", SETTING_INT, 8, 32, FIELD(ip_prefix_v4), "32"},
	{"ip_prefix_v6", SETTING_INT, 16, 128, FIELD(ip_prefix_v6), "128"},
	/* 0.2: password/ask asks per client and ip_window (0.1: unlimited) */
	{"asks_per_window", SETTING_INT, 1, 1000000, FIELD(asks_per_window), "1000000"},
	/* 0.2: tokens others verify with a public key (0.1: the shared secret) */
	{"signing_alg", SETTING_SIGNING_ALG, 0, 0, FIELD(signing_alg), "HS256"},
	/* 0.2: the claims iss (null: api_url + prefix), aud and role */
	{"jwt_issuer", SETTING_CLAIM, 0, 0, FIELD(jwt_issuer), NULL},
	{"jwt_audience", SETTING_CLAIM, 0, 0, FIELD(jwt_audience), "authenticated"},
	{"jwt_role", SETTING_CLAIM, 0, 0, FIELD(jwt_role), "authenticated"},
	/* 0.2: sessions' limits in seconds, 0 for none (0.1: a token's lifetime) */
	{"session_ttl", SETTING_INT, 0, 10 * 366 * 24 * 3600, FIELD(session_ttl), "0"},
	{"inactivity_timeout", SETTING_INT, 0, 10 * 366 * 24 * 3600, FIELD(inactivity_timeout), "0"},
	{"refresh_reuse_interval", SETTING_INT, 0, 3600, FIELD(refresh_reuse_interval), "10"},
	/* 0.2: Supabase Auth's protocol, and where mailed links may lead */
	{"gotrue_prefix", SETTING_OPTIONAL_PREFIX, 0, 0, FIELD(gotrue_prefix), NULL},
	{"redirect_urls", SETTING_URL_LIST, 0, 0, SQL_ONLY, NULL},
	/* 0.3: a budget of password hashes (0.2: none; 0 here turns it off) */
	{"client_hashes_per_window", SETTING_INT, 1, 1000000, FIELD(client_hashes_per_window), "0"},
	{"account_sign_ins_per_window", SETTING_INT, 1, 1000000, FIELD(account_sign_ins_per_window), "0"},
	{"client_hashes_at_once", SETTING_INT, 1, 10000, FIELD(client_hashes_at_once), "0"},
	/* 0.3: tokens' sub may be the user's uuid (0.2: the numeric id) */
	{"jwt_sub", SETTING_JWT_SUB, 0, 0, FIELD(jwt_sub), "id"},
	/* 0.3: how long finished mails stay (0.2: for ever; read by SQL only) */
	{"mail_retention", SETTING_INT, 3600, 366 * 24 * 3600, SQL_ONLY, NULL},
	/* 0.3: registrations may be turned off (Supabase Auth's disable_signup) */
	{"disable_signup", SETTING_BOOL, 0, 0, FIELD(disable_signup), "false"},
	/* 0.3: users with a verified factor need aal2 for what they do (0.2: no factors) */
	{"mfa_required", SETTING_BOOL, 0, 0, FIELD(mfa_required), "false"},
	/* 0.3: days audit records stay (0.2 kept none; read by SQL only) */
	{"audit_retention", SETTING_INT, 1, 100 * 366, SQL_ONLY, NULL},
	/* 0.3: magic links and their codes (0.2 had none) */
	{"otp_ttl", SETTING_INT, 60, 24 * 3600, FIELD(otp_ttl), "600"},
	/* 0.3: anonymous sign-ins, and the days their users stay (read by SQL only) */
	{"anonymous_signin", SETTING_BOOL, 0, 0, SQL_ONLY, NULL},
	{"anonymous_retention", SETTING_INT, 0, 100 * 366, SQL_ONLY, NULL},
	/* 0.3: a password change may need a mailed nonce (0.2: none) */
	{"secure_password_change", SETTING_BOOL, 0, 0, FIELD(secure_password_change), "false"},
	/* 0.3: mailed codes' own lifetime (0.2 mailed no codes) */
	{"code_ttl", SETTING_INT, 60, 7 * 24 * 3600, FIELD(code_ttl), "3600"},
	/* 0.3: sign-up by code (0.2 had no magic links) */
	{"otp_signup", SETTING_BOOL, 0, 0, FIELD(otp_signup), "false"},
	/* 0.3: users link and unlink identities themselves (read by SQL only) */
	{"manual_linking", SETTING_BOOL, 0, 0, SQL_ONLY, NULL},
};

#define N_SETTINGS lengthof(setting_defs)

static AuthoobQuery load_query = AUTHOOB_QUERY0(
	"SELECT to_jsonb(s) FROM authoob.settings s");

static AuthoobQuery previous_keys_query = AUTHOOB_QUERY0(
	"SELECT kid, secret, valid_until FROM authoob.previous_keys WHERE valid_until > now()");

/* A stored value (jsonb, or NULL when absent or null) into its field */
static void
set_field(AuthoobSettings *settings, const SettingDef *def, JsonbValue *value)
{
	char	   *field = (char *) settings + def->field;
	char	   *text = NULL;

	if (value != NULL && value->type == jbvString)
		text = pnstrdup(value->val.string.val, value->val.string.len);
	else if (value != NULL && value->type == jbvNumeric)
		text = DatumGetCString(DirectFunctionCall1(numeric_out,
												   NumericGetDatum(value->val.numeric)));
	else if (value != NULL && value->type == jbvBool)
		text = value->val.boolean ? "true" : "false";

	switch (def->kind)
	{
		case SETTING_BOOL:
			*(bool *) field = text != NULL && strcmp(text, "true") == 0;
			break;
		case SETTING_INT:
			*(int32 *) field = text ? pg_strtoint32(text) : 0;
			break;
		case SETTING_SECRET:
			/* to_jsonb writes bytea as "\x<hex>" */
			if (text == NULL || strncmp(text, "\\x", 2) != 0)
				elog(ERROR, "authoob: the secret key is missing");
			*(bytea **) field = DatumGetByteaPP(DirectFunctionCall1(byteain,
																	 CStringGetDatum(text)));
			break;
		default:
			*(char **) field = text;
			break;
	}
}

/*
 * The settings, from the backend's cache or read afresh; the caller is
 * connected to SPI and must not change them.
 */
AuthoobSettings *
authoob_load_settings(void)
{
	static AuthoobSettings settings;
	MemoryContext cache_context = authoob_cache_begin_load(AUTHOOB_CACHE_SETTINGS);
	MemoryContext caller_context;
	bool		isnull;
	Jsonb	   *row;

	if (cache_context == NULL)
		return &settings;

	/* the secrets may have changed: their HMAC states are made again */
	authoob_hmac_forget_keys();
	authoob_check_trusted_code();
	if (authoob_run_latest(&load_query) != 1)
		elog(ERROR, "authoob: the settings row is missing");
	row = DatumGetJsonbP(authoob_result_datum(1, &isnull));

	caller_context = MemoryContextSwitchTo(cache_context);
	for (int i = 0; i < (int) N_SETTINGS; i++)
	{
		const SettingDef *def = &setting_defs[i];
		JsonbValue *value;
		JsonbValue	absent;

		if (def->field == SQL_ONLY)
			continue;
		value = authoob_object_value(row, def->key);
		if (value == NULL && def->absent != NULL)
		{
			absent.type = jbvString;
			absent.val.string.val = (char *) def->absent;
			absent.val.string.len = strlen(def->absent);
			value = &absent;
		}
		set_field(&settings, def, value);
	}
	settings.key_id = authoob_key_id(settings.secret_key);
	/* the same update added refresh tokens to the schema */
	settings.refresh_tokens = authoob_object_value(row, "refresh_reuse_interval") != NULL;
	settings.mfa = authoob_object_value(row, "mfa_required") != NULL;
	settings.audit = authoob_object_value(row, "audit_retention") != NULL;
	MemoryContextSwitchTo(caller_context);

	/* keys rotated out that still verify for a while */
	settings.nprevious_keys = (int) authoob_run_latest(&previous_keys_query);
	MemoryContextSwitchTo(cache_context);
	settings.previous_keys = palloc0(sizeof(AuthoobPreviousKey) * (settings.nprevious_keys + 1));
	for (int i = 0; i < settings.nprevious_keys; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		settings.previous_keys[i].kid = SPI_getvalue(row, desc, 1);
		settings.previous_keys[i].secret =
			DatumGetByteaPCopy(SPI_getbinval(row, desc, 2, &isnull));
		settings.previous_keys[i].valid_until =
			DatumGetTimestampTz(SPI_getbinval(row, desc, 3, &isnull));
	}
	MemoryContextSwitchTo(caller_context);

	authoob_cache_end_load(AUTHOOB_CACHE_SETTINGS);
	return &settings;
}

pg_attribute_noreturn() static void
bad_setting(const char *key, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
			 errmsg("Invalid value for setting %s", key),
			 errdetail_internal("%s", why)));
}

static bool
is_http_url(const char *s)
{
	return (strncmp(s, "http://", 7) == 0 && s[7] != '\0') ||
		(strncmp(s, "https://", 8) == 0 && s[8] != '\0');
}

static bool
is_prefix(const char *s)
{
	if (s[0] != '/' || s[1] == '\0' || s[strlen(s) - 1] == '/' || strstr(s, "//"))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char) *s) || strchr("/-_.~", *s)))
			return false;
	return true;
}

static bool
has_control_character(const char *s)
{
	for (; *s; s++)
		if ((unsigned char) *s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool
is_header_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char) *s) || strchr("!#$%&'*+-.^_`|~", *s)))
			return false;
	return true;
}

/*
 * Check one value and turn it into the text of an SQL parameter (NULL for
 * SQL NULL).
 */
static char *
setting_value_text(const SettingDef *def, JsonbValue *value)
{
	char	   *s = NULL;

	if (value->type == jbvNull)
	{
		if (def->kind == SETTING_URL || def->kind == SETTING_EMAIL ||
			def->kind == SETTING_OPTIONAL_PREFIX || def->kind == SETTING_URL_LIST ||
			(def->kind == SETTING_CLAIM && def->absent == NULL))
			return NULL;
		bad_setting(def->key, "This setting cannot be null.");
	}

	switch (def->kind)
	{
		case SETTING_BOOL:
			if (value->type != jbvBool)
				bad_setting(def->key, "Expected true or false.");
			return value->val.boolean ? "true" : "false";
		case SETTING_INT:
			{
				int64		n;

				if (value->type != jbvNumeric)
					bad_setting(def->key, "Expected an integer.");
				s = DatumGetCString(DirectFunctionCall1(numeric_out,
														NumericGetDatum(value->val.numeric)));
				if (strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
					bad_setting(def->key, "Expected a non-negative integer.");
				n = strtol(s, NULL, 10);
				if (n < def->min || n > def->max)
					bad_setting(def->key, psprintf("Expected an integer from %d to %d.",
												   def->min, def->max));
				return s;
			}
		default:
			break;
	}

	if (value->type != jbvString)
		bad_setting(def->key, "Expected a string.");
	s = pnstrdup(value->val.string.val, value->val.string.len);
	switch (def->kind)
	{
		case SETTING_URL:
			if (!is_http_url(s) || strlen(s) > 2000 || strpbrk(s, " \t\r\n\"<>"))
				bad_setting(def->key, "Expected an http:// or https:// URL.");
			break;
		case SETTING_EMAIL:
			if (!authoob_email_is_valid(s))
				bad_setting(def->key, "Expected an email address.");
			break;
		case SETTING_SECRET:
			if (strlen(s) < 32)
				bad_setting(def->key, "A secret key must have at least 32 bytes.");
			break;
		case SETTING_PREFIX:
		case SETTING_OPTIONAL_PREFIX:
			if (!is_prefix(s) || strlen(s) > 200)
				bad_setting(def->key, "Expected a path such as /authoob (letters, digits, - _ . ~ and inner slashes).");
			break;
		case SETTING_HEADER:
			if (!is_header_name(s) || strlen(s) > 200)
				bad_setting(def->key, "Expected an HTTP header name.");
			break;
		case SETTING_HASH:
			if (strcmp(s, "bcrypt") != 0 && strcmp(s, "argon2id") != 0)
				bad_setting(def->key, "Expected \"bcrypt\" or \"argon2id\".");
			break;
		case SETTING_SIGNING_ALG:
			if (strcmp(s, "HS256") != 0 && strcmp(s, "ES256") != 0 &&
				strcmp(s, "EdDSA") != 0 && strcmp(s, "RS256") != 0)
				bad_setting(def->key, "Expected \"HS256\", \"ES256\", \"EdDSA\" or \"RS256\".");
			break;
		case SETTING_JWT_SUB:
			if (strcmp(s, "id") != 0 && strcmp(s, "uuid") != 0)
				bad_setting(def->key, "Expected \"id\" or \"uuid\".");
			break;
		case SETTING_CLAIM:
			if (strlen(s) < 1 || pg_mbstrlen(s) > 200 || has_control_character(s))
				bad_setting(def->key, "Expected 1 to 200 characters, no control character.");
			break;
		case SETTING_URL_LIST:
			if (strlen(s) > 20000 || strpbrk(s, "\t\r\n\"<>\\"))
				bad_setting(def->key, "Expected http:// or https:// URLs separated by commas or spaces.");
			for (char *url = s + strspn(s, " ,"); *url != '\0'; url += strspn(url, " ,"))
			{
				char	   *one = pnstrdup(url, strcspn(url, " ,"));

				if (!is_http_url(one))
					bad_setting(def->key, "Expected http:// or https:// URLs separated by commas or spaces.");
				url += strlen(one);
			}
			break;
		default:
			break;
	}
	return s;
}

static const SettingDef *
find_setting(const char *key, int len)
{
	for (int i = 0; i < (int) N_SETTINGS; i++)
		if ((int) strlen(setting_defs[i].key) == len &&
			strncmp(setting_defs[i].key, key, len) == 0)
			return &setting_defs[i];
	return NULL;
}

static char *
valid_keys(void)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < (int) N_SETTINGS; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", setting_defs[i].key);
	return buf.data;
}

/*
 * The settings as jsonb, without the secret key.  Not read-only: it must see
 * the update authoob_configure has just made.
 */
Datum
authoob_settings_json(void)
{
	static AuthoobQuery query = AUTHOOB_QUERY0(
	"SELECT to_jsonb(s) - 'secret_key' - 'singleton' FROM authoob.settings s");
	bool		isnull;

	if (authoob_run(&query, NULL, NULL, false) != 1)
		elog(ERROR, "authoob: the settings row is missing");
	return authoob_result_datum(1, &isnull);
}

static AuthoobQuery end_sessions = AUTHOOB_QUERY0("DELETE FROM authoob.sessions");
static AuthoobQuery forget_keys = AUTHOOB_QUERY0("DELETE FROM authoob.previous_keys");

/*
 * A new secret_key is a clean break, as docs/settings.md promises: every
 * session ends and no earlier key verifies anything, so that setting a key
 * back cannot bring its tokens back.
 */
static void
revoke_every_token(void)
{
	authoob_run(&end_sessions, NULL, NULL, false);
	authoob_run(&forget_keys, NULL, NULL, false);
}

/*
 * Apply changes (a JSON object of settings) after checking every key and
 * value, so that a bad call changes nothing; returns the settings as
 * authoob_settings_json() does.  For authoob_configure().
 */
Datum
authoob_change_settings(Jsonb *changes)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	v;
	StringInfoData sql;
	const SettingDef *defs[N_SETTINGS];
	Datum		values[N_SETTINGS];
	char		nulls[N_SETTINGS];
	Oid			types[N_SETTINGS];
	int			n = 0;

	if (changes == NULL || !JB_ROOT_IS_OBJECT(changes) || JB_ROOT_IS_SCALAR(changes))
		authoob_missing_data("Give the settings to change as a JSON object.");

	/* check everything first: a bad key or value changes nothing */
	it = JsonbIteratorInit(&changes->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		const SettingDef *def;
		char	   *text_value;

		if (tok != WJB_KEY)
			continue;
		def = find_setting(v.val.string.val, v.val.string.len);
		if (def == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_AUTHOOB_BAD_REQUEST),
					 errmsg("Unknown setting %s",
							pnstrdup(v.val.string.val, v.val.string.len)),
					 errdetail("Valid settings: %s.", valid_keys())));
		tok = JsonbIteratorNext(&it, &v, true);
		Assert(tok == WJB_VALUE);
		text_value = setting_value_text(def, &v);
		defs[n] = def;
		nulls[n] = text_value ? ' ' : 'n';
		types[n] = TEXTOID;
		if (def->kind == SETTING_SECRET)
		{
			/* stored as the raw bytes a JWT library is given as key */
			types[n] = BYTEAOID;
			values[n] = PointerGetDatum(cstring_to_text(text_value));
		}
		else
			values[n] = text_value ? CStringGetTextDatum(text_value) : (Datum) 0;
		n++;
	}

	if (n > 0)
	{
		initStringInfo(&sql);
		appendStringInfoString(&sql, "UPDATE authoob.settings SET ");
		for (int i = 0; i < n; i++)
		{
			if (defs[i]->kind == SETTING_SECRET)
				appendStringInfo(&sql, "%s%s = $%d", i ? ", " : "",
								 defs[i]->key, i + 1);
			else
				appendStringInfo(&sql, "%s%s = $%d::%s", i ? ", " : "",
								 defs[i]->key, i + 1,
								 defs[i]->kind == SETTING_BOOL ? "boolean" :
								 defs[i]->kind == SETTING_INT ? "integer" : "text");
		}
		authoob_run_sql(sql.data, n, types, values, nulls, false);
	}
	for (int i = 0; i < n; i++)
		if (defs[i]->kind == SETTING_SECRET)
			revoke_every_token();
	return authoob_settings_json();
}

/* A setting an action cannot do without: its absence is the operator's to fix */
void
authoob_require_setting(const char *value, const char *key)
{
	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("authoob is not configured: %s is not set", key),
				 errhint("SELECT authoob_configure('{\"%s\": ...}')", key)));
}

/*
 * This database's partition when it is one of a sharded deployment
 * (docs/scale-out.md, "Sharding"): the row authoob_set_partition() wrote,
 * else 0 of 1.  Tokens that must say where their user lives (mailed and
 * refresh tokens) are drawn to route here.  Connected to SPI.
 */
static AuthoobQuery select_partition = AUTHOOB_QUERY0(
	"SELECT partition, partitions FROM authoob.partition");

void
authoob_partition(int *partition, int *partitions)
{
	Oid			schema = get_namespace_oid("authoob", true);
	bool		isnull;

	*partition = 0;
	*partitions = 1;
	/* a database still at 0.1 has no such table, and is not sharded */
	if (!OidIsValid(schema) || !OidIsValid(get_relname_relid("partition", schema)))
		return;
	if (authoob_run(&select_partition, NULL, NULL, true) != 1)
		return;
	*partition = DatumGetInt32(authoob_result_datum(1, &isnull));
	*partitions = DatumGetInt32(authoob_result_datum(2, &isnull));
}
