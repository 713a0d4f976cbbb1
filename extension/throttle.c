/*
 * throttle.c
 *		Brute-force limits kept in the database, so that they hold across any
 *		number of fronts: per account (exponential backoff, then a cap per
 *		hour) and per client IP (a failure budget per window); and a budget
 *		of password hashes, whatever their outcome, per client, per account
 *		and at once per client.
 *
 * A failure must be remembered although the action that failed raises an
 * error and rolls back.  So the fronts call actions through the procedure
 * authoob_attempt(): it runs the action in a subtransaction and, when it
 * failed in a way that counts, records the failure and COMMITs before
 * raising the action's own error.  The functions themselves (SELECT
 * authoob_login...) check the limits too, so no caller gets past a block,
 * but only authoob_attempt makes failures outlive their transaction.
 *
 * A hash is the costliest work a request can ask for, and a registration
 * or a sign-in that succeeds costs as much as one that fails: without a
 * budget, one client could keep every core busy hashing, and queue mails
 * to any address with its registrations.  So every hash of a registration
 * or a sign-in counts (scopes hash_ip per client and sign_in per account,
 * in the same table, over ip_window), and a client hashes at most
 * client_hashes_at_once passwords at a time.
 */
#include "authoob.h"

#include <stddef.h>
#include <sys/socket.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/sha2.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/inet.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

static AuthoobQuery blocked_until = AUTHOOB_QUERY(
	"SELECT ceil(extract(epoch FROM max(blocked_until) - now()))::integer"
	" FROM authoob.throttle"
	" WHERE ((scope = $1 AND key = $2) OR (scope = $3 AND key = $4))"
	" AND blocked_until > now()",
	4, TEXTOID, TEXTOID, TEXTOID, TEXTOID);

static AuthoobQuery forget_failures = AUTHOOB_QUERY(
	"DELETE FROM authoob.throttle WHERE scope = 'login' AND key = $1",
	1, TEXTOID);

/*
 * Raise 429 when account_key in account_scope or client_key in
 * client_scope is blocked; a NULL key is not looked up.  Connected to SPI.
 */
static void
raise_if_blocked(const char *account_scope, const char *account_key,
				 const char *client_scope, const char *client_key)
{
	Datum		args[4];
	char		nulls[4] = {' ', account_key ? ' ' : 'n', ' ', client_key ? ' ' : 'n'};
	bool		isnull;
	Datum		seconds;

	args[0] = CStringGetTextDatum(account_scope);
	args[1] = account_key ? CStringGetTextDatum(account_key) : (Datum) 0;
	args[2] = CStringGetTextDatum(client_scope);
	args[3] = client_key ? CStringGetTextDatum(client_key) : (Datum) 0;
	authoob_run(&blocked_until, args, nulls, true);
	seconds = authoob_result_datum(1, &isnull);
	if (!isnull)
		authoob_too_many_attempts(DatumGetInt32(seconds));
}

/*
 * Raise 429 when the account of email (lower-cased; NULL for none) or the
 * client IP, in ip_scope ("ip" for logins, "token" for mailed tokens), is
 * blocked.  Connected to SPI.
 */
void
authoob_check_throttle(const char *email, const char *ip_scope, Datum client_ip,
					   bool ip_isnull, const AuthoobSettings *settings)
{
	if (!settings->throttle)
		return;
	raise_if_blocked("login", email, ip_scope,
					 ip_isnull ? NULL : authoob_client_key(client_ip, settings));
}

/*
 * Raise 429 when the second factor key (a factor's id, or "recovery:" and
 * a user's id) or the client is blocked from guessing codes.  Connected to
 * SPI.
 */
void
authoob_check_mfa_throttle(const char *key, Datum client_ip, bool ip_isnull,
						   const AuthoobSettings *settings)
{
	if (!settings->throttle)
		return;
	raise_if_blocked("mfa", key, "token",
					 ip_isnull ? NULL : authoob_client_key(client_ip, settings));
}

/*
 * Each scope authoob_record_throttle() counts: the setting that caps its
 * events per window, and whether its failures also make the account wait
 * (a doubling wait after login_free_failures).  An account's window is an
 * hour; a client's, ip_window.
 */
typedef struct ThrottleScope
{
	const char *scope;
	ptrdiff_t	cap;			/* offsetof(AuthoobSettings, ...) */
	bool		account;
} ThrottleScope;

static const ThrottleScope throttle_scopes[] = {
	{"login", offsetof(AuthoobSettings, login_failures_per_hour), true},
	{"ip", offsetof(AuthoobSettings, ip_failures_per_window), false},
	{"token", offsetof(AuthoobSettings, token_failures_per_window), false},
	{"ask_ip", offsetof(AuthoobSettings, asks_per_window), false},
	{"hash_ip", offsetof(AuthoobSettings, client_hashes_per_window), false},
	{"sign_in", offsetof(AuthoobSettings, account_sign_ins_per_window), false},
	/* a second factor's wrong codes count as an account's wrong passwords */
	{"mfa", offsetof(AuthoobSettings, login_failures_per_hour), true},
};

static AuthoobQuery count_event = AUTHOOB_QUERY(
	"INSERT INTO authoob.throttle AS th (scope, key, consecutive, window_failures)"
	" VALUES ($1, $2, 1, 1)"
	" ON CONFLICT ON CONSTRAINT throttle_pkey DO UPDATE SET"
	" consecutive = th.consecutive + 1,"
	" window_start = CASE WHEN th.window_start <= now() - make_interval(secs => $3)"
	"                THEN now() ELSE th.window_start END,"
	" window_failures = CASE WHEN th.window_start <= now() - make_interval(secs => $3)"
	"                   THEN 1 ELSE th.window_failures + 1 END,"
	" last_failure_at = now()"
	" RETURNING consecutive, window_start, window_failures, blocked_until",
	3, TEXTOID, TEXTOID, INT4OID);

static AuthoobQuery set_blocked_until = AUTHOOB_QUERY(
	"UPDATE authoob.throttle SET blocked_until = $3 WHERE scope = $1 AND key = $2",
	3, TEXTOID, TEXTOID, TIMESTAMPTZOID);

/*
 * Count one event of scope against key: a failure, or any event that a
 * budget counts.  One statement, and a second only when the count starts
 * or ends a block: this runs with every sign-in.  Rows a day old are
 * housekeeping's (authoob_housekeeping), not every sign-in's.  As the
 * extension's owner: a request function, or an owner context.  Connected
 * to SPI.
 */
void
authoob_record_throttle(const char *scope, const char *key,
						const AuthoobSettings *settings)
{
	const ThrottleScope *rule = NULL;
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	int32		window;
	int32		consecutive;
	TimestampTz window_start;
	int32		window_failures;
	bool		isnull;
	bool		was_blocked;
	TimestampTz blocked_until = 0;
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	if (!settings->throttle)
		return;
	for (int i = 0; i < (int) lengthof(throttle_scopes); i++)
		if (strcmp(throttle_scopes[i].scope, scope) == 0)
			rule = &throttle_scopes[i];
	if (rule == NULL)
		elog(ERROR, "authoob: no throttle scope \"%s\"", scope);
	window = rule->account ? 3600 : settings->ip_window;

	args[0] = CStringGetTextDatum(scope);
	args[1] = CStringGetTextDatum(key);
	args[2] = Int32GetDatum(window);
	authoob_run(&count_event, args, nulls, false);
	consecutive = DatumGetInt32(authoob_result_datum(1, &isnull));
	window_start = DatumGetTimestampTz(authoob_result_datum(2, &isnull));
	window_failures = DatumGetInt32(authoob_result_datum(3, &isnull));
	args[2] = authoob_result_datum(4, &isnull);
	was_blocked = !isnull;

	if (rule->account && consecutive >= settings->login_free_failures)
		blocked_until = now + (TimestampTz) Min(settings->login_backoff_max,
												1 << Min(consecutive - settings->login_free_failures, 20))
			* USECS_PER_SEC;
	if (window_failures >= *(const int32 *) ((const char *) settings + rule->cap))
		blocked_until = Max(blocked_until, window_start + (TimestampTz) window * USECS_PER_SEC);

	if (blocked_until == 0 ? !was_blocked
		: was_blocked && DatumGetTimestampTz(args[2]) == blocked_until)
		return;
	args[2] = TimestampTzGetDatum(blocked_until);
	nulls[2] = blocked_until == 0 ? 'n' : ' ';
	authoob_run(&set_blocked_until, args, nulls, false);
}

/*
 * Take one of the client's client_hashes_at_once slots until the end of
 * the transaction, which covers the hash: a transaction-scoped advisory
 * lock on a 64-bit key made of the client's key and the slot's number.
 * None free: 429, to come back in a second.  A transaction that holds a
 * slot already takes it again (advisory locks are reentrant).
 */
static void
take_hash_slot(const char *client_key, int slots)
{
	for (int slot = 0; slot < slots; slot++)
	{
		uint64		lock_key = hash_bytes_extended((const unsigned char *) client_key,
												   strlen(client_key), slot);

		if (DatumGetBool(DirectFunctionCall1(pg_try_advisory_xact_lock_int8,
											 Int64GetDatum((int64) lock_key))))
			return;
	}
	authoob_too_many_attempts(1);
}

/*
 * Before a password is hashed for a registration (account_key NULL) or a
 * sign-in (account_key its authoob_throttle_key): 429, and no hash, when
 * the client or the account has spent its hash budget for the window, or
 * when the client has client_hashes_at_once hashes running already.  A
 * caller without client_ip is counted per account only.  Connected to
 * SPI.
 */
void
authoob_check_hash_budget(const char *account_key, Datum client_ip, bool ip_isnull,
						  const AuthoobSettings *settings)
{
	char	   *client_key;

	if (!settings->throttle)
		return;
	client_key = ip_isnull ? NULL : authoob_client_key(client_ip, settings);
	/* a database not updated yet has no such budget (settings.c) */
	if ((settings->client_hashes_per_window > 0 || settings->account_sign_ins_per_window > 0) &&
		(account_key != NULL || client_key != NULL))
		raise_if_blocked("sign_in", account_key, "hash_ip", client_key);
	if (client_key != NULL && settings->client_hashes_at_once > 0)
		take_hash_slot(client_key, settings->client_hashes_at_once);
}

/*
 * After the hash: count it against the client (scope hash_ip) and the
 * account (sign_in; account_key NULL for a registration).  Written after
 * the hash, so that the rows counted are not locked while it runs; they
 * stay locked until the transaction ends, which should come soon.  As
 * authoob_record_throttle.
 */
void
authoob_count_hash(const char *account_key, Datum client_ip, bool ip_isnull,
				   const AuthoobSettings *settings)
{
	if (!settings->throttle)
		return;
	if (account_key != NULL && settings->account_sign_ins_per_window > 0)
		authoob_record_throttle("sign_in", account_key, settings);
	if (!ip_isnull && settings->client_hashes_per_window > 0)
		authoob_record_throttle("hash_ip", authoob_client_key(client_ip, settings), settings);
}

/*
 * The key of a client in authoob.throttle: its address, or the network of
 * ip_prefix_v4 or ip_prefix_v6 bits around it, since one client commonly
 * owns a whole IPv6 /64 and could rotate through it.
 */
char *
authoob_client_key(Datum client_ip, const AuthoobSettings *settings)
{
	inet	   *ip = DatumGetInetPP(client_ip);
	int			bits;
	Datum		network;

	/*
	 * An IPv4 client seen through a dual-stack socket (::ffff:a.b.c.d) is
	 * that IPv4 client: its /64 would be every IPv4 client's.
	 */
	if (ip_family(ip) == PGSQL_AF_INET6 &&
		memcmp(ip_addr(ip), "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
		client_ip = DirectFunctionCall1(inet_in,
										CStringGetDatum(psprintf("%u.%u.%u.%u",
																 ip_addr(ip)[12], ip_addr(ip)[13],
																 ip_addr(ip)[14], ip_addr(ip)[15])));
	ip = DatumGetInetPP(client_ip);
	bits = ip_family(ip) == PGSQL_AF_INET ? settings->ip_prefix_v4 : settings->ip_prefix_v6;

	if (bits >= ip_maxbits(ip))
		return TextDatumGetCString(DirectFunctionCall1(network_host, client_ip));
	network = DirectFunctionCall1(network_network,
								  DirectFunctionCall2(inet_set_masklen, client_ip,
													  Int32GetDatum(bits)));
	return DatumGetCString(DirectFunctionCall1(cidr_out, network));
}

/* A successful login ends the account's run of failures.  Connected to SPI. */
void
authoob_forget_failures(const char *email)
{
	Datum		arg = CStringGetTextDatum(email);

	authoob_run(&forget_failures, &arg, NULL, false);
}

/*
 * The key of an account in authoob.throttle: its address, lower-cased.  An
 * address longer than any valid one (254) cannot belong to an account, but
 * is counted all the same, under its SHA-256, so that the key always fits
 * the table's index.
 */
char *
authoob_throttle_key(const char *email)
{
	char	   *key = str_tolower(email, strlen(email), DEFAULT_COLLATION_OID);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hashed;

	if (strlen(key) <= 254)
		return key;
	authoob_sha256(key, strlen(key), digest);
	hashed = palloc(7 + 2 * sizeof(digest) + 1);
	strcpy(hashed, "sha256:");
	hex_encode((const char *) digest, sizeof(digest), hashed + 7);
	hashed[7 + 2 * sizeof(digest)] = '\0';
	return hashed;
}


