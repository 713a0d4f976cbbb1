/*
 * password.c
 *		Password policy, bcrypt hashing through pgcrypto, email validation.
 *
 * Hashes are bcrypt, through pgcrypto's crypt()/gen_salt('bf') called by
 * their C entry points (so it does not matter which schema pgcrypto is in),
 * or argon2id through Debian's libargon2; either kind verifies, whatever
 * the current setting.
 */
#include "authoob.h"

#include <argon2.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

/* bcrypt reads at most 72 bytes: longer passwords are refused, not cut */
#define BCRYPT_MAX_PASSWORD_BYTES 72
/* argon2id reads everything; this bounds the work a request can ask for */
#define ARGON2_MAX_PASSWORD_BYTES 1024
#define ARGON2_SALT_BYTES 16
#define ARGON2_HASH_BYTES 32

static PGFunction pgcrypto_crypt = NULL;
static PGFunction pgcrypto_gen_salt_rounds = NULL;

/*
 * Hashes this backend has computed: authoob_attempt tells by it whether a
 * sign-in that failed spent hash work, which must count against the hash
 * budget (throttle.c) although the error rolled the sign-in's own count
 * back.
 */
static uint64 hashes_computed = 0;

static void
load_pgcrypto(void)
{
	if (pgcrypto_crypt != NULL)
		return;
	pgcrypto_crypt = (PGFunction)
		load_external_function("$libdir/pgcrypto", "pg_crypt", true, NULL);
	pgcrypto_gen_salt_rounds = (PGFunction)
		load_external_function("$libdir/pgcrypto", "pg_gen_salt_rounds", true, NULL);
}

static bool
uses_argon2(const AuthoobSettings *settings)
{
	return strcmp(settings->password_hash, "argon2id") == 0;
}

static bool
is_argon2_hash(const char *hash)
{
	return strncmp(hash, "$argon2id$", 10) == 0;
}

/*
 * bcrypt's names: $2a$, which pgcrypto and Supabase Auth (Go's bcrypt)
 * write, $2b$ and $2y$, OpenBSD's and crypt_blowfish's later names for the
 * same algorithm (PHP, Node, Python, libxcrypt write them), and $2x$,
 * crypt_blowfish's for hashes made with its old sign-extension bug.
 */
static bool
is_bcrypt_hash(const char *hash)
{
	return hash[0] == '$' && hash[1] == '2' && hash[2] != '\0' &&
		strchr("abxy", hash[2]) != NULL && hash[3] == '$';
}

/*
 * Whether hash is one a password can match; an account imported from
 * Supabase Auth without a password (docs/supabase.md, "Bringing your
 * users") holds "!", which none does.
 */
bool
authoob_is_password_hash(const char *hash)
{
	return is_argon2_hash(hash) || is_bcrypt_hash(hash);
}

/*
 * The original's policy: a minimum length in characters, an upper-case
 * letter and a digit (each configurable), plus a ceiling in bytes: bcrypt's
 * 72, or 1024 under argon2id.  Every rule is checked: Supabase Auth's
 * clients are told each one broken (GoTrue's password.go: "length", then
 * "characters" with the character sets required), authoob's own routes
 * the first.
 */
void
authoob_check_password_policy(const char *password,
							  const AuthoobSettings *settings)
{
	size_t		nbytes = strlen(password);
	size_t		max_bytes = uses_argon2(settings) ?
		ARGON2_MAX_PASSWORD_BYTES : BCRYPT_MAX_PASSWORD_BYTES;
	bool		has_upper = false;
	bool		has_digit = false;
	const char *first = NULL;
	StringInfoData message;
	StringInfoData reasons;

	if (nbytes > max_bytes)
		authoob_password_too_long((int) max_bytes);
	for (const char *p = password; *p; p++)
	{
		if (*p >= 'A' && *p <= 'Z')
			has_upper = true;
		else if (*p >= '0' && *p <= '9')
			has_digit = true;
	}
	initStringInfo(&message);
	initStringInfo(&reasons);
	if (pg_mbstrlen_with_len(password, nbytes) < settings->password_min_length)
	{
		first = psprintf("A password must have at least %d characters.",
						 settings->password_min_length);
		appendStringInfo(&message, "Password should be at least %d characters.",
						 settings->password_min_length);
		appendStringInfoString(&reasons, "\"length\"");
	}
	if ((settings->password_require_uppercase && !has_upper) ||
		(settings->password_require_digit && !has_digit))
	{
		if (first == NULL)
			first = settings->password_require_uppercase && !has_upper ?
				"A password must contain an upper-case letter (A-Z)." :
				"A password must contain a digit.";
		appendStringInfo(&message, "%sPassword should contain at least one character of each: %s%s%s.",
						 message.len > 0 ? " " : "",
						 settings->password_require_uppercase ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ" : "",
						 settings->password_require_uppercase && settings->password_require_digit ? ", " : "",
						 settings->password_require_digit ? "0123456789" : "");
		appendStringInfo(&reasons, "%s\"characters\"", reasons.len > 0 ? ", " : "");
	}
	if (first != NULL)
		authoob_weak_password(first, message.data, psprintf("[%s]", reasons.data));
}

static char *
bcrypt_hash(const char *password, int cost)
{
	Datum		salt;

	load_pgcrypto();
	hashes_computed++;
	salt = DirectFunctionCall2(pgcrypto_gen_salt_rounds,
							   CStringGetTextDatum("bf"), Int32GetDatum(cost));
	return TextDatumGetCString(DirectFunctionCall2(pgcrypto_crypt,
												   CStringGetTextDatum(password),
												   salt));
}

static char *
argon2id_hash(const char *password, const AuthoobSettings *settings)
{
	uint8		salt[ARGON2_SALT_BYTES];
	size_t		length = argon2_encodedlen(settings->argon2_time, settings->argon2_memory,
										   settings->argon2_parallelism,
										   ARGON2_SALT_BYTES, ARGON2_HASH_BYTES,
										   Argon2_id);
	char	   *encoded = palloc(length);
	int			rc;

	if (!pg_strong_random(salt, sizeof(salt)))
		elog(ERROR, "authoob: could not generate a random salt");
	hashes_computed++;
	rc = argon2id_hash_encoded(settings->argon2_time, settings->argon2_memory,
							   settings->argon2_parallelism, password, strlen(password),
							   salt, sizeof(salt), ARGON2_HASH_BYTES, encoded, length);
	if (rc != ARGON2_OK)
		elog(ERROR, "authoob: argon2id failed: %s", argon2_error_message(rc));
	return encoded;
}

/*
 * The hash of the new password of a password change's body, {"password1",
 * "password2"}, checked in the original's order: "Missing data", "Password
 * mismatch", then the policy.
 */
char *
authoob_new_password_hash(Jsonb *payload, const AuthoobSettings *settings)
{
	char	   *password1 = authoob_payload_string(payload, "password1", true, NULL);
	char	   *password2 = authoob_payload_string(payload, "password2", true, NULL);

	if (strcmp(password1, password2) != 0)
		authoob_password_mismatch();
	authoob_check_password_policy(password1, settings);
	return authoob_hash_password(password1, settings);
}

/* A hash of password made with the current settings */
char *
authoob_hash_password(const char *password, const AuthoobSettings *settings)
{
	if (uses_argon2(settings))
		return argon2id_hash(password, settings);
	return bcrypt_hash(password, settings->bcrypt_cost);
}

/*
 * Whether hash was made with the current settings; a login replaces one
 * that was not (bcrypt users move to argon2id, costs go up).
 */
bool
authoob_hash_is_current(const char *hash, const AuthoobSettings *settings)
{
	if (uses_argon2(settings))
	{
		unsigned int m,
					t,
					p;

		return is_argon2_hash(hash) &&
			sscanf(hash, "$argon2id$v=%*u$m=%u,t=%u,p=%u$", &m, &t, &p) == 3 &&
			m == (unsigned int) settings->argon2_memory &&
			t == (unsigned int) settings->argon2_time &&
			p == (unsigned int) settings->argon2_parallelism;
	}
	/* what pgcrypto makes: another name of bcrypt is made again too */
	return strncmp(hash, "$2a$", 4) == 0 && strlen(hash) > 7 &&
		atoi(hash + 4) == settings->bcrypt_cost;
}

/*
 * After a successful login: a new hash of password if hash was made with
 * older settings (and the current kind can hold this password), else NULL.
 */
char *
authoob_rehash_if_stale(const char *password, const char *hash,
						const AuthoobSettings *settings)
{
	if (authoob_hash_is_current(hash, settings))
		return NULL;
	if (!uses_argon2(settings) && strlen(password) > BCRYPT_MAX_PASSWORD_BYTES)
		return NULL;
	return authoob_hash_password(password, settings);
}

/* Whether password matches hash, of either kind */
bool
authoob_check_password(const char *password, const char *hash)
{
	char	   *computed;
	char	   *setting;

	if (is_argon2_hash(hash))
	{
		if (strlen(password) > ARGON2_MAX_PASSWORD_BYTES)
			return false;
		hashes_computed++;
		return argon2id_verify(hash, password, strlen(password)) == ARGON2_OK;
	}

	if (!is_bcrypt_hash(hash))
		return false;			/* "!" (pgcrypto would fail on it: invalid salt) */
	if (strlen(password) > BCRYPT_MAX_PASSWORD_BYTES)
		return false;			/* never stored: no bcrypt hash can match it */

	/*
	 * pgcrypto knows $2a$ and $2x$ only (it reads $2b$ as a DES salt): $2b$
	 * and $2y$ are asked as $2a$, whose hash of every password of at most
	 * 72 bytes is theirs.
	 */
	setting = pstrdup(hash);
	if (setting[2] == 'b' || setting[2] == 'y')
		setting[2] = 'a';
	load_pgcrypto();
	hashes_computed++;
	computed = TextDatumGetCString(DirectFunctionCall2(pgcrypto_crypt,
													   CStringGetTextDatum(password),
													   CStringGetTextDatum(setting)));
	return strlen(computed) == strlen(setting) &&
		authoob_equal_constant_time(computed, setting, strlen(setting));
}

/* How many hashes this backend has computed so far */
uint64
authoob_hashes_computed(void)
{
	return hashes_computed;
}

/*
 * Spend the same hash work as a real check, so that an unknown email answers
 * in the same time as a wrong password.  The dummy hash is made once per
 * backend and settings.
 */
void
authoob_dummy_password_check(const char *password, const AuthoobSettings *settings)
{
	static char *dummy_hash = NULL;

	if (dummy_hash == NULL || !authoob_hash_is_current(dummy_hash, settings))
	{
		char	   *hash = authoob_hash_password("authoob dummy password", settings);

		if (dummy_hash)
			pfree(dummy_hash);
		dummy_hash = MemoryContextStrdup(TopMemoryContext, hash);
	}
	(void) authoob_check_password(password, dummy_hash);
}


